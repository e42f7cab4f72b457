#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A real VMM across a live update, measured in QEMU (TCG, with QEMU TCG
# inside):
#
#   tests/bench/vmm.sh [--runs N] [--no-build]
#
# Runs the VM scenarios vmm-guest-survives-live-update and vmm-ram-backings
# N times (default 3) and prints medians (min-max):
#   downtime:  the guest's own view (its RTC, which follows the host clock
#              across a restore: the gap between its last report before the
#              pause and its first after; reports are 1 s apart, so this is
#              good to a second) beside the host's, on the TSC, which kexec
#              does not reset: pause -> cont, and its parts: save (stop,
#              migrate to pkernfs, quit), the host blackout (kexec -e -> new
#              kernel's /init) and the VMM restore (QEMU start, load, cont)
#   state:     bytes saved against guest RAM (64 MiB, and 256 MiB from
#              vmm-ram-backings)
#   backings:  64 MiB of guest RAM on pkernfs, hugetlbfs (2 MiB pages) and
#              tmpfs in the same VM: first touch of every page, a touch
#              through a new mapping (fault-in of RAM that exists), and an
#              iommufd pin of all of it; ratios against hugetlbfs
# Logs: build/bench-vm/vmm/. Exits 1 if a run fails.
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
	*) echo "vmm.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
case "$runs" in '' | *[!0-9]* | 0) echo "vmm.sh: --runs needs a positive number" >&2; exit 2 ;; esac

out=$top/build/bench-vm/vmm
mkdir -p "$out/vm" "$out/logs"
export PKH_VM_DIR=$out/vm PKH_VM_LOGS=$out/logs
scenarios=(vmm-guest-survives-live-update vmm-ram-backings)
for r in $(seq 1 "$runs"); do
	"$top/tests/vm/run-vm-tests.sh" $build "${scenarios[@]}" >"$out/run$r.out" 2>&1 || {
		grep -E '^(PASS|FAIL)' "$out/run$r.out" >&2
		echo "vmm.sh: run $r failed" >&2
		exit 1
	}
	build=--no-build
	for s in "${scenarios[@]}"; do
		cp "$out/logs/$s.log" "$out/run$r-$s.log"
	done
done

# One line of numbers per run (tests/vm/vmm-timeline.awk).
for r in $(seq 1 "$runs"); do
	awk -f "$top/tests/vm/vmm-timeline.awk" "$out/run$r-vmm-guest-survives-live-update.log" >"$out/run$r.downtime" || {
		echo "vmm.sh: run $r: marks missing in $out/run$r-vmm-guest-survives-live-update.log" >&2
		exit 1
	}
	awk '
	/^PKH-BENCH / {
		for (i = 1; i <= NF; i++) {
			if ($i == "memory-bench") f = $(i + 1)
			if ($i ~ /-us$/) v[$i] = $(i + 1)
		}
		k = f ~ /pkernfs/ ? "pkernfs" : f ~ /huge/ ? "hugetlbfs" : "tmpfs"
		# the lower of the two rounds
		if (!(k in ft) || v["first-touch-us"] < ft[k]) ft[k] = v["first-touch-us"]
		if (!(k in tt) || v["touch-us"] < tt[k]) tt[k] = v["touch-us"]
		if (!(k in pt) || v["pin-us"] < pt[k]) pt[k] = v["pin-us"]
	}
	/^PKH-VMM-SAVED vm2 / { for (i = 1; i <= NF; i++) if ($i ~ /^state_bytes=/) s2 = substr($i, 13) }
	END {
		if (!("pkernfs" in ft) || !("hugetlbfs" in ft) || !("tmpfs" in ft) || !s2) { print "missing" > "/dev/stderr"; exit 1 }
		printf "%d %d %d %d %d %d %d %d %d %d\n", ft["pkernfs"], ft["hugetlbfs"], ft["tmpfs"],
		       tt["pkernfs"], tt["hugetlbfs"], tt["tmpfs"], pt["pkernfs"], pt["hugetlbfs"], pt["tmpfs"], s2
	}' "$out/run$r-vmm-ram-backings.log" >"$out/run$r.backings" || {
		echo "vmm.sh: run $r: figures missing in $out/run$r-vmm-ram-backings.log" >&2
		exit 1
	}
done

# median (min-max) of column COL over the runs' FILE.
stat_col() { # SUFFIX COL
	cat "$out"/run*."$1" | awk -v c="$2" '{ print $c }' | sort -n |
		awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%g (%g-%g)", m, v[1], v[NR] }'
}
med() { cat "$out"/run*."$1" | awk -v c="$2" '{ print $c }' | sort -n |
	awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "== a real VMM (QEMU $(qemu-system-x86_64 --version | head -n 1 | awk '{ print $4 }'), $runs runs, median (min-max)"
echo "downtime, guest's clock (RTC gap, +-1 s):    $(stat_col downtime 1) s"
echo "downtime, host TSC pause -> cont:            $(stat_col downtime 2) ms"
echo "  save: stop, migrate to pkernfs, quit       $(stat_col downtime 3) ms"
echo "  host blackout: kexec -e -> new /init       $(stat_col downtime 5) ms"
echo "  restore: QEMU start, load state, cont      $(stat_col downtime 7) ms"
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t ? "meets" : "misses") }'; }
s64=$(awk -v s="$(med downtime 8)" -v r="$(med downtime 9)" 'BEGIN { printf "%.3f", 100 * s / r }')
s256=$(awk -v s="$(med backings 10)" 'BEGIN { printf "%.3f", 100 * s / 268435456 }')
echo "state file, 64 MiB guest:                    $(stat_col downtime 8) bytes (${s64}% of RAM; target <= 1%: $(verdict "$s64" 1))"
echo "state file, 256 MiB guest:                   $(stat_col backings 10) bytes (${s256}% of RAM; target <= 1%: $(verdict "$s256" 1))"
echo "64 MiB guest RAM (lower of 2 rounds per run)  pkernfs  hugetlbfs  tmpfs   pkernfs/hugetlbfs (target <= 1.2x)"
row() { # LABEL COL_PKERNFS COL_HUGE COL_TMPFS
	local r
	r=$(awk -v a="$(med backings "$2")" -v b="$(med backings "$3")" 'BEGIN { printf "%.2f", b ? a / b : 0 }')
	printf "  %-40s %8.1f %10.1f %6.1f   %sx %s\n" "$1" \
		"$(med backings "$2" | awk '{ print $1 / 1000 }')" "$(med backings "$3" | awk '{ print $1 / 1000 }')" \
		"$(med backings "$4" | awk '{ print $1 / 1000 }')" "$r" "$(verdict "$r" 1.2)"
}
row "first touch of every page, ms" 1 2 3
row "touch again, new mapping (fault-in), ms" 4 5 6
row "iommufd pin (IOAS_MAP, device attached), ms" 7 8 9
