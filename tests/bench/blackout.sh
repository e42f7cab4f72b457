#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The blackout benchmark (run by hand; not a test): in ONE QEMU boot (q35 +
# intel-iommu, TCG, like tests/vm), N plain `kexec -l; kexec -e` and then N
# `kexec --live-update --handover-spec STATE -l; kexec -e` of the same kernel
# and the same initramfs, STATE being a large synthetic handover state.
#
#   tests/bench/blackout.sh [--runs N] [--extents N] [--kernel BZIMAGE]
#   tests/bench/blackout.sh --analyse LOG [--runs N] [--extents N]
#                            (only the figures of an earlier run's log)
#
# Blackout of one kexec: from the guest's "PKH-KEXEC-E" line (printed just
# before kexec -e) to the next kernel's "PKH-BOOT" line (its /init running),
# both stamped by the host as they arrive on the serial console.  Prints the
# median (and min/max) of each mode, the ratio live/plain against the target
# max(1.05x, +20 ms), the in-kernel time to "Run /init" (printk time), the
# kexec -l time of each mode (not part of the blackout), and every pkhandover
# line of the new kernels' dmesg (parse and reserve time, when the kernel
# logs it).  Exits 0 whatever the figures; non-zero only if the run breaks.
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
	--analyse) analyse=$2; shift 2 ;;
	-h | --help) sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "blackout.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
out=$top/build/bench-vm
if [ -n "$analyse" ]; then
	log=$analyse
	modes=1
	grep -aq 'mode=live' "$log" && modes=2
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
	modes=2
	if ! "$top/build/kexec-out/sbin/kexec" --live-update --handover-spec "$out/state.json" \
		--handover-out "$out/probe.blob" -l "$kernel" 2>"$out/probe.err"; then
		modes=1
		echo "blackout.sh: $kernel does not declare pkhandover support: plain runs only" \
			"($(tail -c 200 "$out/probe.err"))" >&2
	fi
	rm -f "$out/probe.blob" "$out/probe.err"

	log=$out/blackout.log
	append="console=ttyS0 intel_iommu=on no_timer_check panic=-1 pkh.scenario=blackout pkh.stage=1 pkh.runs=$runs pkh.modes=$modes pkernfs=$carveout ${BLACKOUT_APPEND:-}"
	echo "blackout.sh: booting; $((modes * runs)) kexecs; log: ${log#"$top"/}" >&2
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

awk -v runs="$runs" -v modes="$modes" -v blob="$blob_bytes" -v extents="$extents" '
function median(a, n,   i, j, t, b) {
	for (i = 1; i <= n; i++) b[i] = a[i]
	for (i = 2; i <= n; i++) { t = b[i]; for (j = i - 1; j >= 1 && b[j] > t; j--) b[j + 1] = b[j]; b[j + 1] = t }
	return n % 2 ? b[(n + 1) / 2] : (b[n / 2] + b[n / 2 + 1]) / 2
}
function minof(a, n,   i, m) { m = a[1]; for (i = 2; i <= n; i++) if (a[i] < m) m = a[i]; return m }
function maxof(a, n,   i, m) { m = a[1]; for (i = 2; i <= n; i++) if (a[i] > m) m = a[i]; return m }
{ t = $1; line = substr($0, length($1) + 2) }
line ~ /^PKH-BENCH load-start/ { split(line, w, /[ =]/); ls[w[4]] = t }
line ~ /^PKH-BENCH load-end/ { split(line, w, /[ =]/); s = w[4]; ld[s] = t - ls[s] }
line ~ /^PKH-KEXEC-E stage=/ { split(line, w, "="); ke[w[2] + 0] = t }
line ~ /^PKH-BOOT stage=/ { split(line, w, /[ =]/); s = w[3] + 0; if ((s - 1) in ke) bo[s - 1] = t - ke[s - 1]; stage = s }
line ~ /\] Run \/init as init process/ && line !~ /^PKH/ { match(line, /\[ *[0-9.]+\]/); ri[stage + 1] = substr(line, RSTART + 1, RLENGTH - 2) + 0 }
line ~ /pkhandover: / && line !~ /^PKH/ { pk[++npk] = "stage " stage + 1 ": " line }
line ~ /handover accepted: .*parsed in [0-9]+ us/ && line !~ /^PKH/ {
	match(line, /parsed in [0-9]+ us/); v = substr(line, RSTART + 10, RLENGTH - 13) / 1000
	# 0 us with a large blob: the kernel clock was not running yet.
	if (v > 0 || extents < 1000) pt[++npt] = v; else nzero++
}
END {
	np = nl = 0
	for (s = 1; s <= modes * runs; s++) {
		if (!(s in bo)) { print "blackout.sh: no blackout for stage " s > "/dev/stderr"; continue }
		if (s <= runs) { p[++np] = bo[s] * 1000; pl[np] = ld[s] * 1000; pr[np] = ri[s + 1] * 1000 }
		else { l[++nl] = bo[s] * 1000; ll[nl] = ld[s] * 1000; lr[nl] = ri[s + 1] * 1000 }
	}
	mp = median(p, np)
	printf "blackout (kexec -e -> next /init), host-timed, ms, median [min..max] of %d / %d:\n", np, nl
	printf "  plain kexec:          %8.1f [%.1f..%.1f]\n", mp, minof(p, np), maxof(p, np)
	if (!nl) {
		printf "  kexec --live-update:  not measured (the kernel does not declare pkhandover support)\n"
		printf "new kernel, printk time at \"Run /init\", ms, median: plain %.1f\n", median(pr, np)
		printf "kexec -l (not in the blackout), ms, median: plain %.1f\n", median(pl, np)
		printf "plain runs (ms):"; for (i = 1; i <= np; i++) printf " %.0f", p[i]; printf "\n"
		exit 0
	}
	ml = median(l, nl)
	printf "  kexec --live-update:  %8.1f [%.1f..%.1f]   (blob %d bytes, %d extents)\n", ml, minof(l, nl), maxof(l, nl), blob, extents
	tgt = mp * 1.05 > mp + 20 ? mp * 1.05 : mp + 20
	printf "  ratio live/plain:     %8.3f   (+%.1f ms; target <= max(1.05x, +20 ms) = %.1f ms: %s)\n", ml / mp, ml - mp, tgt, ml <= tgt ? "meets" : "misses"
	printf "new kernel, printk time at \"Run /init\", ms, median: plain %.1f, live %.1f\n", median(pr, np), median(lr, nl)
	printf "kexec -l (not in the blackout), ms, median: plain %.1f, live %.1f\n", median(pl, np), median(ll, nl)
	printf "plain runs (ms):"; for (i = 1; i <= np; i++) printf " %.0f", p[i]; printf "\n"
	printf "live runs (ms): "; for (i = 1; i <= nl; i++) printf " %.0f", l[i]; printf "\n"
	if (npt) printf "new kernel, \"parsed in\" (pkh_parse of the blob, early boot), ms, median of %d: %.1f [%.1f..%.1f]\n", npt, median(pt, npt), minof(pt, npt), maxof(pt, npt)
	if (nzero) printf "  (%d boot(s) said \"parsed in 0 us\": the kernel clock was not running yet; left out)\n", nzero
	if (npk) { print "pkhandover lines of the new kernels (parse + reserve time):"; for (i = 1; i <= npk && i <= 40; i++) if (pk[i] ~ /accepted|rejected/ || i <= 2) print "  " pk[i] }
	else print "no pkhandover lines in the new kernels dmesg (kernel series not applied): parse + reserve time not measured"
}' "$log"
