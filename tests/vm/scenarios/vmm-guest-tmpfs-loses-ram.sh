# SPDX-License-Identifier: GPL-2.0-only
# Scenario vmm-guest-tmpfs-loses-ram: the control of
# vmm-guest-survives-live-update.  The same guest, saved the same way into
# pkernfs, but with its RAM on a tmpfs: after the live update the state
# file is there and the RAM is not.  QEMU restores (--force: pkh-vmm
# refuses without it, as the RAM file is gone) and the same check that
# passes on pkernfs must fail: the guest reports its state block lost, or
# (paused inside a call, its stack gone) starts afresh with a new seed.
stage_1() {
	pkh_vmm_start_fresh vm1 --ram-dir /mnt/tmpfs >/dev/null || exit 1
	pkh_vmm_save_and_update vm1
}

stage_2() {
	gen=$(pkh_check_received) || exit 1
	pkh_mount || pkh_die "mount without format failed after the live update"
	pkh-vmm setup || pkh_die "pkh-vmm setup failed"
	if pkh-vmm restore vm1; then
		pkh_die "pkh-vmm restored although the guest RAM file is gone"
	fi
	pkh-vmm restore vm1 --force || pkh_die "pkh-vmm restore --force failed"
	if pkh_vmm_check_continued vm1; then
		pkh_die "the check passed although the guest RAM was on tmpfs"
	fi
	first=$(pkh_vmm_first_report vm1)
	pkh-vmm quit vm1
	# Paused in its loop, the guest finds its state block zeroed
	# (state=LOST); paused inside a call, it returns through a zeroed
	# stack, runs wild into its ROM and starts afresh with a new seed.
	# Either way its own RAM is gone.
	case "$first" in
	*state=LOST*) pkh_pass "guest RAM on tmpfs lost: the check fails as it must ($first)" ;;
	*seed=*)
		[ "$(pkh_field seed "$first")" != "$(pkh_arg seed)" ] ||
			pkh_die "the check failed, but not because the RAM was lost: $first"
		pkh_pass "guest RAM on tmpfs lost: the guest started afresh (seed $(pkh_field seed "$first"), was $(pkh_arg seed)); the check fails as it must"
		;;
	*) pkh_die "the check failed, but not because the RAM was lost: $first" ;;
	esac
}
