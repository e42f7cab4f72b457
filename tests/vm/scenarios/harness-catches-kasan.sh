# SPDX-License-Identifier: GPL-2.0-only
# Scenario harness-catches-kasan: on the debug kernel, a use-after-free in
# kernel code must fail the scenario that then claims success.  LKDTM reads
# a freed slab object (READ_AFTER_FREE); KASAN reports it (and
# panic_on_warn=1 stops the VM).
# Not in the default list: tests/vm/check-harness.sh runs it with
# --debug-kernel and expects "FAIL debug/harness-catches-kasan ... KASAN".
lkdtm=/sys/kernel/debug/provoke-crash/DIRECT
[ -w "$lkdtm" ] || pkh_die "no $lkdtm (CONFIG_LKDTM, debugfs)"
# LKDTM refuses a name it does not know (EINVAL): that is not a pass.
echo READ_AFTER_FREE >"$lkdtm" || pkh_die "LKDTM refused READ_AFTER_FREE"
pkh_pass "claims success after a use-after-free"
