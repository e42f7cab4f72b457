#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The VM harness must fail a scenario whose kernel reported trouble, even
# when the scenario itself says PASS.  Runs the harness-catches-* scenarios
# (made to fail; run-vm-tests.sh leaves them out of its default list) and
# checks the harness printed FAIL for the kernel's reason:
#   harness-catches-warning  LKDTM's WARN_ON(1)             -> "WARNING: "
#   harness-catches-kasan    LKDTM's slab use-after-free,
#                            on the debug kernel              -> "BUG: KASAN: "
#
#   tests/vm/check-harness.sh [--debug-kernel]
# Without --debug-kernel only the first runs.  Expects the kernels built
# (run-vm-tests.sh --no-build).  Prints PASS/FAIL lines.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
logs=${PKH_VM_LOGS:-$top/build/vm-logs}
status=0

expect_caught() { # CHECK-NAME SCENARIO REASON-REGEX [run-vm-tests.sh option]
	local check=$1 scenario=$2 reason=$3 opt=${4:-} out rc label=
	[ "$opt" = --debug-kernel ] && label=debug/
	out=$("$here/run-vm-tests.sh" --no-build $opt "$scenario" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed 's/^\(PASS\|FAIL\) /  harness said: \1 /'
	if [ "$rc" -ne 1 ]; then
		echo "FAIL $check: run-vm-tests.sh exited $rc, not 1"
		status=1
	elif ! printf '%s\n' "$out" | grep -qE "^FAIL $label$scenario \(.*\): kernel log: .*$reason"; then
		echo "FAIL $check: no 'FAIL $label$scenario ... kernel log: $reason' line"
		status=1
	else
		echo "PASS $check"
	fi
}

expect_caught vm-harness-fails-on-warn-on harness-catches-warning \
	'WARNING: CPU: [0-9]+ PID: [0-9]+ at [^ ]*drivers/misc/lkdtm/bugs.c:[0-9]+ lkdtm_WARNING'
# The guest did claim success: only the kernel log can have failed it.
if grep -aq 'PKH-RESULT PASS harness-catches-warning' "$logs/harness-catches-warning.log"; then
	echo "PASS vm-harness-warn-on-scenario-claimed-pass"
else
	echo "FAIL vm-harness-warn-on-scenario-claimed-pass: the guest did not get to claim PASS"
	status=1
fi
if [ "${1:-}" = --debug-kernel ]; then
	expect_caught vm-harness-debug-kernel-fails-on-kasan harness-catches-kasan \
		'BUG: KASAN: slab-use-after-free in lkdtm_READ_AFTER_FREE' --debug-kernel
fi
exit $status
