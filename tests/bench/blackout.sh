#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The blackout benchmark (run by hand; not a test): in ONE QEMU boot (q35 +
# intel-iommu, TCG, like tests/vm), a chain of kexecs of the same kernel and
# the same initramfs, the modes taking turns (plain, live, plain, live...):
#   plain           kexec -l; kexec -e
#   live            kexec --live-update -l; kexec -e: kexec collects the
#                   state from /sys/kernel/pkhandover/state itself
#   plain-nocheck,  the same with kexec -i: purgatory skips its SHA-256 of
#   live-nocheck    the segments, which tells the hashing apart
#
#   tests/bench/blackout.sh [--runs N] [--files N] [--kernel BZIMAGE]
#                           [--modes LIST]   (default plain,live,plain-nocheck,
#                                            live-nocheck; N kexecs of each)
#   tests/bench/blackout.sh --analyse LOG
#                            (only the figures of an earlier run's log)
#
# Blackout of one kexec: from the guest's "PKH-KEXEC-E" line (printed just
# before kexec -e) to the next kernel's "PKH-BOOT" line (its /init running),
# both stamped by the host as they arrive on the serial console.  Every
# kernel boots with earlyprintk=serial and every kexec loads with
# --console-serial, so the old kernel's last line, purgatory, the
# decompressor and the new kernel's lines are stamped as they happen too:
# tests/bench/blackout-analyse.py cuts each kexec into shutdown, relocate
# (the segment copy), purgatory (the SHA-256), kernel, handover, rest and
# userspace.  Prints the median (min/max) of each mode, the ratio live/plain
# against the target max(1.05x, +20 ms), the phases, the kexec -l time of
# each mode (not part of the blackout), and what the new kernel's pkernfs
# took to check the metadata digest and adopt (at the first mount, after
# the blackout).  Exits 0 whatever the figures; non-zero only if the run
# breaks.
#
# The state is real: the first boot formats pkernfs in the carve-out (2 GiB
# at 4 GiB, VM RAM 5 GiB) and fills it with FILES files (8) grown a 2 MiB
# block at a time in turn, so that the carve-out is full and every block is
# an extent of its own (1,020 extents).  Every boot mounts pkernfs before
# its kexec, in both modes; with a live update that first mount checks the
# handover's metadata digest and adopts.
#
# Environment: PKH_KERNEL (default build/linux/bzImage), PKH_QEMU,
# BLACKOUT_MEM (5G), BLACKOUT_CARVEOUT (2G@4G), BLACKOUT_APPEND (more
# command line), BLACKOUT_TIMEOUT (1800 s).
# The serial log is build/bench-vm/blackout.log (host time, then the line).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
qemu=${PKH_QEMU:-qemu-system-x86_64}
kernel=${PKH_KERNEL:-$top/build/linux/bzImage}
runs=10
files=8
modes=plain,live,plain-nocheck,live-nocheck
analyse=
mem=${BLACKOUT_MEM:-5G}
carveout=${BLACKOUT_CARVEOUT:-2G@4G}
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=$2; shift 2 ;;
	--files) files=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--modes) modes=$2; shift 2 ;;
	--analyse) analyse=$2; shift 2 ;;
	-h | --help) sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "blackout.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
out=$top/build/bench-vm
if [ -n "$analyse" ]; then
	log=$analyse
else
	mkdir -p "$out"
	extra=$(mktemp -d "$out/.extra.XXXXXX")
	trap 'rm -rf "$extra"' EXIT
	mkdir -p "$extra/scenarios"
	cp "$here/blackout-guest.sh" "$extra/scenarios/blackout.sh"

	initramfs=$(PKH_NEXT_KERNEL=$kernel "$top/tests/vm/build-initramfs.sh" --kernel "$kernel" \
		--extra "$extra" --out "$out" | tail -n 1)

	# Without the support declaration in the kernel, kexec --live-update refuses
	# it (and the test stand-in /boot/declared.bzImage is not bootable): only the
	# plain runs are measured then.
	if ! "$top/build/kexec-out/sbin/kexec" --live-update \
		--handover-spec "$top/tests/kexec/data/handover-spec.json" \
		--handover-out "$out/probe.blob" -l "$kernel" 2>"$out/probe.err"; then
		modes=$(echo "$modes" | tr , '\n' | grep -v '^live' | paste -sd, -)
		echo "blackout.sh: $kernel does not declare pkhandover support: $modes only" \
			"($(tail -c 200 "$out/probe.err"))" >&2
	fi
	rm -f "$out/probe.blob" "$out/probe.err"

	log=$out/blackout.log
	nmodes=$(echo "$modes" | tr , '\n' | wc -l)
	append="console=ttyS0 earlyprintk=serial,ttyS0,115200 intel_iommu=on no_timer_check panic=-1 pkh.scenario=blackout pkh.stage=1 pkh.runs=$runs pkh.modes=$modes pkh.files=$files pkernfs=$carveout ${BLACKOUT_APPEND:-}"
	echo "blackout.sh: booting; $((nmodes * runs)) kexecs ($modes, taking turns); log: ${log#"$top"/}" >&2
	rc=0
	timeout -k 10 "${BLACKOUT_TIMEOUT:-1800}" "$qemu" \
		-machine q35,kernel-irqchip=split -device intel-iommu,intremap=on \
		-m "$mem" -smp 2 -nographic -no-reboot -nic none \
		-kernel "$kernel" -initrd "$initramfs" -append "$append" </dev/null 2>&1 |
		perl -MTime::HiRes=time -ne 'BEGIN { $| = 1 } s/\r//g; printf "%.6f %s", time, $_' >"$log" ||
		rc=$?
	grep -aq "PKH-RESULT PASS blackout" "$log" || {
		echo "blackout.sh: the run did not finish (exit $rc):" >&2
		grep -a 'PKH-RESULT\|Kernel panic' "$log" | tail -n 5 >&2
		exit 1
	}

fi

# The load of each mode (not part of the blackout): PKH-BENCH load-start and
# load-end of the same stage.
awk '{ t = $1; line = substr($0, length($1) + 2) }
line ~ /^PKH-BENCH load-(start|end) / {
	split(line, w, /[ =]/); s = w[4]; m = w[6]
	if (w[2] == "load-start") st[s] = t
	else if (s in st) { n[m]++; d[m, n[m]] = (t - st[s]) * 1000; if (!(m in seen)) { seen[m] = 1; order[++nm] = m } }
}
END {
	printf "kexec -l (not in the blackout), ms, median:"
	for (i = 1; i <= nm; i++) {
		m = order[i]; k = n[m]
		for (a = 1; a <= k; a++) b[a] = d[m, a]
		for (a = 2; a <= k; a++) { x = b[a]; for (c = a - 1; c >= 1 && b[c] > x; c--) b[c + 1] = b[c]; b[c + 1] = x }
		printf " %s %.1f", m, k % 2 ? b[(k + 1) / 2] : (b[k / 2] + b[k / 2 + 1]) / 2
	}
	printf "\n"
}' "$log"
# The state (stage 1) and each adoption's metadata check.
state=$(grep -a -m1 'PKH-BENCH state ' "$log" | sed 's/.*PKH-BENCH state //' || true)
echo "state: ${state:-not reported}"
awk '{ line = substr($0, length($1) + 2) }
line ~ /^PKH-BENCH adopt / {
	split(line, w, /[ =]/); kib = w[6]; us[++n] = w[8]
}
END {
	if (!n) { print "adoption: none reported"; exit }
	for (a = 2; a <= n; a++) { x = us[a]; for (c = a - 1; c >= 1 && us[c] > x; c--) us[c + 1] = us[c]; us[c + 1] = x }
	printf "adoption (first mount: metadata digest and files), %d live updates: metadata %d KiB, check median %d us (min %d, max %d)\n", n, kib, n % 2 ? us[(n + 1) / 2] : (us[n / 2] + us[n / 2 + 1]) / 2, us[1], us[n]
}' "$log"
blob_bytes=$(echo "$state" | sed -n 's/.*blob-bytes=\([0-9]*\).*/\1/p')
extents=$(echo "$state" | sed -n 's/.*extents=\([0-9]*\).*/\1/p')
python3 "$here/blackout-analyse.py" "$log" --blob-bytes "${blob_bytes:-0}" --extents "${extents:-0}"
