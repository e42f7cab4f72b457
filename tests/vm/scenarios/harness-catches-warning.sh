# SPDX-License-Identifier: GPL-2.0-only
# Scenario harness-catches-warning: a scenario that reports PASS but whose
# kernel hit a WARN_ON must fail.  LKDTM (the kernel's own fault injector)
# runs a real WARN_ON(1); then the scenario claims success.  Not in the
# default list: tests/vm/check-harness.sh runs it and expects the harness to
# print "FAIL harness-catches-warning ... kernel log: ...".
lkdtm=/sys/kernel/debug/provoke-crash/DIRECT
[ -w "$lkdtm" ] || pkh_die "no $lkdtm (CONFIG_LKDTM, debugfs)"
echo WARNING >"$lkdtm"
pkh_pass "claims success after a WARN_ON"
