#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Run every test of pkhandover after ./scripts/setup.sh:
#   unit, fixture, differential, mutation, fuzz-corpus and CLI tests
#   (make check, plain and under ASan+UBSan), the kexec --live-update tests,
#   the man pages, the bash completion and the installed pkg-config file,
#   the Debian packages installed into a scratch root, and the QEMU VM
#   end-to-end tests (x86_64, then arm64 on QEMU virt).
# Prints one PASS/FAIL line per suite and scenario and a final
# "N passed, N failed"; exits 1 if anything failed.
#
#   ./scripts/test.sh          what CI runs: everything above, the exported
#                              kernel series (applies, equals the built
#                              tree, checkpatch, every prefix builds) and
#                              the debug kernel (KASAN, UBSAN, lockdep,
#                              DEBUG_LIST, panic_on_warn) on the pkernfs and
#                              IOMMU scenarios ($DEBUG_SCENARIOS)
#   ./scripts/test.sh --full   the debug kernel on every scenario, and each
#                              fuzzer for 300 s instead of 30
set -uo pipefail

full=0
for arg in "$@"; do
	case "$arg" in
	--full) full=1 ;;
	*) echo "test.sh: unknown argument $arg (only --full)" >&2; exit 2 ;;
	esac
done

top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/build"
if [ ! -f "$build/Makefile" ]; then
	echo "test.sh: $build is not configured; run ./scripts/setup.sh first" >&2
	exit 2
fi

passed=0
failed=0
failures=()
record() { # name status
	if [ "$2" -eq 0 ]; then
		echo "PASS $1"
		passed=$((passed + 1))
	else
		echo "FAIL $1"
		failed=$((failed + 1))
		failures+=("$1")
	fi
}

# Count PASS/FAIL lines a sub-runner printed.
count_lines() { # log prefix
	local p f
	p=$(grep -c "^PASS " "$1" || true)
	f=$(grep -c "^FAIL " "$1" || true)
	passed=$((passed + p))
	failed=$((failed + f))
	while IFS= read -r line; do failures+=("$2${line#FAIL }"); done < <(grep "^FAIL " "$1" || true)
}

logs="$build/test-logs"
mkdir -p "$logs"

echo "== make check"
# Results of an earlier run must not count: automake deletes them only once
# every check program has built, so a build failure would leave them.
find "$build/tests" -name '*.trs' -type f 2>/dev/null |
	while IFS= read -r old; do rm -f "$old" "${old%.trs}.log"; done
rm -f "$build/test-suite.log"
make -C "$build" -j"$(nproc)" check >"$logs/make-check.log" 2>&1
check_status=$?
# One line per automake test with its result.
check_failed=0 check_results=0
for trs in $(find "$build/tests" -name '*.trs' | sort); do
	name=${trs#"$build"/}
	name=${name%.trs}
	check_results=$((check_results + 1))
	if grep -q '^:test-result: PASS' "$trs" && ! grep -q '^:test-result: \(FAIL\|ERROR\|XPASS\)' "$trs"; then
		record "$name" 0
	else
		record "$name" 1
		check_failed=1
		sed -n '1,200p' "${trs%.trs}.log" | tail -40
	fi
done
# make check failed and no test says why (the build broke, or a test was
# never run), or it ran no test at all: a failure of its own.
if { [ $check_status -ne 0 ] && [ $check_failed -eq 0 ]; } || [ $check_results -eq 0 ]; then
	record "make check (exit $check_status, $check_results test results)" 1
	tail -40 "$logs/make-check.log"
fi

# The libFuzzer targets (the C++ decoder, the kernel-C parser with the
# kernel's CRC, the kernel's FDT checker against libfdt), each for a bounded
# time from the corpus; a crash, leak or disagreement fails.
if grep -q '^FUZZING_ENABLED = yes' "$build/Makefile"; then
	fuzz_seconds=${FUZZ_SECONDS:-$([ "$full" = 1 ] && echo 300 || echo 30)}
	echo "== fuzzing: $fuzz_seconds s per target"
	make -C "$build" fuzz FUZZ_SECONDS="$fuzz_seconds" >"$logs/fuzz.log" 2>&1
	fuzz_status=$?
	grep -E '^(fuzzing|Done [0-9]+ runs)' "$logs/fuzz.log"
	[ $fuzz_status -eq 0 ] || tail -40 "$logs/fuzz.log"
	record "fuzz (decode, kparse, fdt-check)" $fuzz_status
fi

echo "== Debian packages (built by scripts/build-debs.sh into build/deb)"
"$top/tests/packaging/test-debian-packages.sh" 2>&1 | tee "$logs/packaging.log"
count_lines "$logs/packaging.log" ""

# --- kernel export (tests/kernel/check-export.sh; kernel/README.md) ---------
# The exported series applies to 6.12.95, equals the tree build-kernel.sh
# builds and keeps checkpatch's baseline.  Then every prefix of it builds:
# about 15 minutes of one core, run with make -j1 next to the VM tests
# (QEMU under TCG leaves a core idle most of the time); its lines come
# after theirs.
echo "== kernel: the exported series"
"$top/tests/kernel/check-export.sh" 2>&1 | tee "$logs/kernel-export.log"
count_lines "$logs/kernel-export.log" ""
echo "== kernel: every prefix of the exported series builds (in the background; log: ${logs#"$top"/}/kernel-prefixes.log)"
JOBS=1 nice "$top/tests/kernel/check-export.sh" --only-prefix-builds >"$logs/kernel-prefixes.log" 2>&1 &
prefixes_pid=$!

if [ -x "$top/tests/vm/run-vm-tests.sh" ]; then
	echo "== VM end-to-end tests"
	"$top/tests/vm/run-vm-tests.sh" 2>&1 | tee "$logs/vm.log"
	count_lines "$logs/vm.log" "vm: "
fi

# arm64 (issue 15): the scenarios marked for it (PKH_ARCHES in their .conf:
# boot, live-update-preserves-file, the three corrupt-blob ones,
# rejected-blob-outside-carveout, stale-blob-not-adopted, ten-live-updates,
# live-update-refuses-unsupported, large-blob-by-range, smmuv3-unit-refused,
# chosen-range-refused)
# on the arm64 kernel in QEMU virt under TCG.  run-vm-tests.sh builds the
# kernel (scripts/build-kernel.sh --arch arm64; quick when up to date) and
# says "FAIL arm64/vm-setup" when it or the initramfs cannot be built.  The
# arm64 kexec and pkhandover CLI come from setup.sh: one that is missing is
# a FAIL line here, not a skip, since the suite claims arm64 support.
if [ -x "$top/tests/vm/run-vm-tests.sh" ]; then
	echo "== VM end-to-end tests on arm64 (QEMU virt)"
	arm64_missing=
	for bin in "$build/kexec-out/arm64/sbin/kexec" "$build/kexec-out/arm64/bin/pkhandover"; do
		[ -x "$bin" ] || arm64_missing="$arm64_missing ${bin#"$top"/}"
	done
	if [ -n "$arm64_missing" ]; then
		record "vm: arm64/vm-setup: not built:$arm64_missing (./scripts/setup.sh)" 1
	else
		"$top/tests/vm/run-vm-tests.sh" --arch arm64 2>&1 | tee "$logs/vm-arm64.log"
		count_lines "$logs/vm-arm64.log" "vm: "
	fi
fi

# The harness itself: a scenario that says PASS after a real WARN_ON
# (test kernel) or a use-after-free (debug kernel) fails: in the debug
# section below.

# The debug kernel (KASAN, UBSAN, lockdep, DEBUG_LIST, DEBUG_VM,
# panic_on_warn), built by setup.sh, on every IOMMU path (adoption,
# replace, a tampered handover blocked) and every pkernfs path (write, live
# update, remount, extent blocks, a real VMM's RAM) and the kernel's own
# handover through kexec_file_load with a signature check under lockdown,
# and the iommufd freeze (bad input, a map racing it, and the VMM killed
# after it, under lockdep), and VT-d scalable mode (adoption and replace;
# freeze, kept domain, adoption, take-back):
# $DEBUG_SCENARIOS, about 8 minutes
# (pkernfs-fragmented-large-file alone about 2.5).
DEBUG_SCENARIOS=(live-update-preserves-file pkernfs-remount-enospc
	pkernfs-fragmented-large-file iommu-live-update-keeps-dma
	iommu-restore-replaces iommu-tampered-root-outside
	vmm-guest-survives-live-update kexec-file-lockdown-signed
	iommu-freeze-races-map iommu-freeze-ioctl-bad-input
	iommu-vmm-killed-after-freeze iommu-sm-restore-replaces
	iommu-sm-vmm-killed-after-freeze)
if [ -x "$top/tests/vm/run-vm-tests.sh" ]; then
	echo "== VM end-to-end tests on the debug kernel"
	# --full: every scenario (no list: run-vm-tests.sh's default).
	[ "$full" = 1 ] && DEBUG_SCENARIOS=()
	"$top/tests/vm/run-vm-tests.sh" --debug-kernel "${DEBUG_SCENARIOS[@]}" 2>&1 |
		tee "$logs/vm-debug.log"
	count_lines "$logs/vm-debug.log" "vm: "
	echo "== the VM harness fails a scenario on a KASAN report (debug kernel)"
	"$top/tests/vm/check-harness.sh" --debug-kernel 2>&1 | tee "$logs/vm-harness-debug.log"
	count_lines "$logs/vm-harness-debug.log" "vm: "
fi

echo "== kernel: every prefix of the exported series builds"
wait "$prefixes_pid"
prefixes_status=$?
cat "$logs/kernel-prefixes.log"
count_lines "$logs/kernel-prefixes.log" ""
if [ $prefixes_status -ne 0 ] && ! grep -q '^FAIL ' "$logs/kernel-prefixes.log"; then
	record "kernel-export: prefix builds (exit $prefixes_status)" 1
fi

echo
for f in "${failures[@]}"; do echo "failed: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
