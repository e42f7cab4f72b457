#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The blackout benchmark (run by hand; not a test): in ONE QEMU boot (q35 +
# intel-iommu, TCG, like tests/vm), a chain of kexecs of the same kernel and
# the same initramfs, the modes taking turns (plain, live, plain, live...):
#   plain           kexec -l; kexec -e
#   live            kexec --live-update --handover-spec STATE -l; kexec -e,
#                   STATE being a large synthetic handover state
#   plain-nocheck,  the same with kexec -i: purgatory skips its SHA-256 of
#   live-nocheck    the segments, which tells the hashing apart
#
#   tests/bench/blackout.sh [--runs N] [--extents N] [--kernel BZIMAGE]
#                           [--modes LIST]   (default plain,live,plain-nocheck,
#                                            live-nocheck; N kexecs of each)
#   tests/bench/blackout.sh --analyse LOG [--extents N]
#                            (only the figures of an earlier run's log)
#
# Blackout of one kexec: from the guest's "PKH-KEXEC-E" line (printed just
# before kexec -e) to the next kernel's "PKH-BOOT" line (its /init running),
# both stamped by the host as they arrive on the serial console.  Every
# kernel boots with earlyprintk=serial and every kexec loads with
# --console-serial, so the old kernel's last line, purgatory, the
# decompressor and the new kernel's lines are stamped as they happen too:
# tests/bench/blackout-analyse.py cuts each kexec into shutdown, relocate
# (the segment copy), purgatory (the SHA-256), decompress, early, kernel and
# userspace, and compares the kernel phase line by line.  Prints the median
# (min/max) of each mode, the ratio live/plain against the target
# max(1.05x, +20 ms), the phases, and the kexec -l time of each mode (not
# part of the blackout).  Exits 0 whatever the figures; non-zero only if the
# run breaks.
#
# The synthetic state is one region, the whole pkernfs= carve-out (the
# kernel rejects regions outside it), in 4 KiB blocks, split among 8 files
# of one-block extents interleaved so that no two extents of a file are
# adjacent: by default 2 GiB at 4 GiB (VM RAM 5 GiB) and 524,288 extents,
# an 8 MiB blob like docs/BENCHMARKS.md's 1 TiB guest.  The kernel accepts it
# at boot (that is the parse being timed); nothing mounts pkernfs, so nothing
# is adopted.  Both modes boot with the same pkernfs= command line.
#
# Environment: PKH_KERNEL (default build/linux/bzImage), PKH_QEMU,
# BLACKOUT_MEM (5G), BLACKOUT_CARVEOUT (2G@4G), BLACKOUT_REGION_BASE / _SIZE
# / _BLOCK (the region: must be the carve-out), BLACKOUT_FILES (8),
# BLACKOUT_APPEND (more command line), BLACKOUT_TIMEOUT (1800 s).
# The serial log is build/bench-vm/blackout.log (host time, then the line).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
qemu=${PKH_QEMU:-qemu-system-x86_64}
kernel=${PKH_KERNEL:-$top/build/linux/bzImage}
runs=10
extents=524288
modes=plain,live,plain-nocheck,live-nocheck
analyse=
mem=${BLACKOUT_MEM:-5G}
carveout=${BLACKOUT_CARVEOUT:-2G@4G}
base=${BLACKOUT_REGION_BASE:-0x100000000}
size=${BLACKOUT_REGION_SIZE:-0x80000000}
block=${BLACKOUT_REGION_BLOCK:-0x1000}
files=${BLACKOUT_FILES:-8}
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=$2; shift 2 ;;
	--extents) extents=$2; shift 2 ;;
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
	blob_bytes=$(stat -c %s "$out/state.blob" 2>/dev/null || echo 0)
else
	mkdir -p "$out"
	extra=$(mktemp -d "$out/.extra.XXXXXX")
	trap 'rm -rf "$extra"' EXIT
	mkdir -p "$extra/scenarios" "$extra/bench"
	cp "$here/blackout-guest.sh" "$extra/scenarios/blackout.sh"

	# --- the synthetic state: FILES files sharing EXTENTS one-block extents,
	# interleaved so that no two extents of a file are adjacent.
	python3 - "$extra/bench/state.json" "$base" "$size" "$block" "$files" "$extents" <<-'PY'
	import json, sys
	path, base, size, block, files, extents = sys.argv[1], *(int(x, 0) for x in sys.argv[2:])
	assert extents * block <= size, "region too small for the extents"
	per = extents // files
	out = []
	for f in range(files):
	    ex = [[hex((k * files + f) * block), hex(block)] for k in range(per)]
	    out.append({"name": f"vm{f}-ram", "inode": f + 2, "size": hex(per * block), "extents": ex})
	spec = {"generation": 1, "nonce": "0x5eedb1ac0a7c0de1", "creator": "tests/bench/blackout",
	        "regions": [{"base": hex(base), "size": hex(size), "block_size": hex(block),
	                     "fs_uuid": "6b1d9a3e-0c5f-4e27-8a41-2f9d7c3b5e60",
	                     "flags": ["guest-ram"], "files": out}]}
	json.dump(spec, open(path, "w"), separators=(",", ":"))
	PY
	"$top/build/tools/pkhandover" build "$extra/bench/state.json" -o "$out/state.blob" >/dev/null
	blob_bytes=$(stat -c %s "$out/state.blob")
	echo "blackout.sh: synthetic state: $files files, $extents extents, blob $blob_bytes bytes" \
		"(spec $(stat -c %s "$extra/bench/state.json") bytes, gzipped in the initramfs)" >&2
	cp "$extra/bench/state.json" "$out/state.json"
	# Gzipped: the initramfs is copied at every kexec of both modes.
	gzip -9n "$extra/bench/state.json"

	initramfs=$(PKH_NEXT_KERNEL=$kernel "$top/tests/vm/build-initramfs.sh" --kernel "$kernel" \
		--extra "$extra" --out "$out" | tail -n 1)

	# Without the support declaration in the kernel, kexec --live-update refuses
	# it (and the test stand-in /boot/declared.bzImage is not bootable): only the
	# plain runs are measured then.
	if ! "$top/build/kexec-out/sbin/kexec" --live-update --handover-spec "$out/state.json" \
		--handover-out "$out/probe.blob" -l "$kernel" 2>"$out/probe.err"; then
		modes=$(echo "$modes" | tr , '\n' | grep -v '^live' | paste -sd, -)
		echo "blackout.sh: $kernel does not declare pkhandover support: $modes only" \
			"($(tail -c 200 "$out/probe.err"))" >&2
	fi
	rm -f "$out/probe.blob" "$out/probe.err"

	log=$out/blackout.log
	nmodes=$(echo "$modes" | tr , '\n' | wc -l)
	append="console=ttyS0 earlyprintk=serial,ttyS0,115200 intel_iommu=on no_timer_check panic=-1 pkh.scenario=blackout pkh.stage=1 pkh.runs=$runs pkh.modes=$modes pkernfs=$carveout ${BLACKOUT_APPEND:-}"
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
python3 "$here/blackout-analyse.py" "$log" --blob-bytes "$blob_bytes" --extents "$extents"
