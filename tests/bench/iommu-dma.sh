#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# What a live update saves a passthrough device, measured in QEMU (TCG):
#
#   tests/bench/iommu-dma.sh [--runs N] [--no-build]
#
# Runs the VM scenarios iommu-live-update-keeps-dma, iommu-restore-replaces
# and iommu-plain-kexec-loses-mapping N times (default 3) and prints, as
# medians (min-max):
#   live:    kexec -e -> the first edu DMA landed in the new kernel, issued
#            by the first thing /init runs, with no re-setup at all (the
#            TSC, which kexec does not reset, read by pkh-edu at "kexec -e",
#            at /init and when the DMA is done; cycles to ms with the new
#            kernel's "tsc: Detected N MHz").  The translation itself is
#            never off: the DMA could land at any moment of the kexec.
#   replace: the new VMM's first paging attach, which swaps the frozen
#            IOMMU_DOMAIN_PKERNFS for its own domain (pkh-edu step
#            attach-ioas), and its whole restore (bind .. enable); the
#            device's DMA works throughout
#   control: after a plain kexec, the VMM's re-setup before any DMA can
#            land (pkh-edu restore total: bind vfio-pci, iommufd, map,
#            attach, enable), and kexec -e -> the first DMA possible: the
#            new kernel's /init, that re-setup and one DMA
# Logs: build/bench-vm/iommu-dma/RUN-SCENARIO.log.  Exits 1 if a run fails.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
runs=3
build=
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=$2; shift 2 ;;
	--no-build) build=--no-build; shift ;;
	-h | --help) sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "iommu-dma.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
case "$runs" in '' | *[!0-9]* | 0) echo "iommu-dma.sh: --runs needs a positive number" >&2; exit 2 ;; esac

out=$top/build/bench-vm/iommu-dma
mkdir -p "$out/vm" "$out/logs"
# Its own initramfs and logs: the test suite may be running beside it.
export PKH_VM_DIR=$out/vm PKH_VM_LOGS=$out/logs
scenarios=(iommu-live-update-keeps-dma iommu-restore-replaces iommu-plain-kexec-loses-mapping)
for r in $(seq 1 "$runs"); do
	"$top/tests/vm/run-vm-tests.sh" $build "${scenarios[@]}" >"$out/run$r.out" 2>&1 || {
		grep -E '^(PASS|FAIL)' "$out/run$r.out" >&2
		echo "iommu-dma.sh: run $r failed" >&2
		exit 1
	}
	build=--no-build
	for s in "${scenarios[@]}"; do
		cp "$out/logs/$s.log" "$out/run$r-$s.log"
	done
done

# One number per run and measure, then medians.  TSC cycles to ms with the
# new kernel's "tsc: Detected N MHz".
for r in $(seq 1 "$runs"); do
	awk -v r="$r" '
	function tscval(   t) { match($0, /tsc [0-9]+\)/); return substr($0, RSTART + 4, RLENGTH - 5) }
	FNR == 1 { f++; ke = 0 }
	/^PKH-KEXEC-E-TSC / { ke = $2 }
	/^PKH-BOOT-TSC / && ke { boot[f] = $2 - ke }
	/tsc: Detected [0-9.]+ MHz/ && !/^PKH/ {
		match($0, /Detected [0-9.]+ MHz/); mhz = substr($0, RSTART + 9, RLENGTH - 13) + 0 }
	f == 1 && /^pkh-edu: dma edu->ram iova 0x102000 .*tsc [0-9]+\)/ && !first { first = tscval() - ke }
	f == 2 && /^pkh-edu: step attach-ioas / { rep = $4 }
	f == 2 && /^pkh-edu: restore total / { rt = $4 }
	f == 3 && /^pkh-edu: restore total / { ct = $4 }
	f == 3 && ct && /^pkh-edu: dma edu->ram iova 0x102000 .*device done in/ && !cdma { cdma = $(NF - 3) }
	END {
		if (!first || !mhz || !rep || !rt || !ct || !cdma || !boot[1] || !boot[3]) {
			printf "run %s: missing marks (dma %s, MHz %s, replace %s, restore %s, control %s/%s, boot %s/%s)\n",
			       r, first, mhz, rep, rt, ct, cdma, boot[1], boot[3] > "/dev/stderr"
			exit 1
		}
		c = mhz * 1000
		printf "%s %.1f %.1f %.3f %.1f %.1f %.1f\n", r, first / c, boot[1] / c, rep / 1000,
		       rt / 1000, ct / 1000, boot[3] / c + (ct + cdma) / 1000
	}' "$out/run$r-iommu-live-update-keeps-dma.log" "$out/run$r-iommu-restore-replaces.log" \
		"$out/run$r-iommu-plain-kexec-loses-mapping.log"
done >"$out/numbers.txt"

awk '
function med(c,   i, j, t, n, b) {
	n = 0; for (i = 1; i <= NR; i++) b[++n] = v[i, c]
	for (i = 2; i <= n; i++) { t = b[i]; for (j = i - 1; j >= 1 && b[j] > t; j--) b[j + 1] = b[j]; b[j + 1] = t }
	lo[c] = b[1]; hi[c] = b[n]
	return n % 2 ? b[(n + 1) / 2] : (b[n / 2] + b[n / 2 + 1]) / 2
}
function row(text, c, fmt,   m) { m = med(c); printf "  %-58s " fmt " ms  (" fmt "-" fmt ")\n", text, m, lo[c], hi[c]; return m }
{ for (c = 2; c <= 7; c++) v[NR, c] = $c }
END {
	printf "iommu-dma: %d runs, QEMU TCG q35 + intel-iommu + edu; medians (min-max)\n", NR
	l = row("live update: kexec -e -> first DMA landed (no re-setup)", 2, "%8.1f")
	row("live update: kexec -e -> the new kernel runs /init", 3, "%8.1f")
	p = row("live update: replace of the frozen domain (attach-ioas)", 4, "%8.3f")
	row("live update: whole VMM restore, DMA working throughout", 5, "%8.1f")
	c = row("plain kexec: VMM re-setup before any DMA can land", 6, "%8.1f")
	k = row("plain kexec: kexec -e -> first DMA possible (/init + re-setup + DMA)", 7, "%8.1f")
	printf "  first DMA, live / plain = %.3f;  replace / re-setup = %.4f\n", l / k, p / c
}' "$out/numbers.txt"
