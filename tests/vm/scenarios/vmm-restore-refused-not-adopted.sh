# SPDX-License-Identifier: GPL-2.0-only
# Scenario vmm-restore-refused-not-adopted: the VM is saved, but the host
# reboots with a plain kexec: no handover, so pkernfs mounts its files as
# stale.  pkh-vmm refuses to restore (nothing vouches for the RAM file) and
# says so; the RAM file is untouched.  --force restores anyway, with a
# warning: the carve-out stayed reserved, so here the guest does continue.
stage_1() {
	pkh_vmm_start_fresh vm1 >/dev/null || exit 1
	pkh-vmm save vm1 || pkh_die "pkh-vmm save vm1 failed"
	st=$(pkh_vmm_ram_state "$PKH_MNT/vm1-ram")
	md5=$(md5sum "$PKH_MNT/vm1-ram" | cut -d' ' -f1)
	umount "/vmm/mnt/pkernfs" "$PKH_MNT"
	pkh_kexec_load "$(pkh_next_cmdline "pkh.ram=$md5" "pkh.counter=$(pkh_field counter "$st")" \
		"pkh.reports=$(pkh_field reports "$st")" "pkh.seed=$(pkh_field seed "$st")" \
		"pkh.sum=$(pkh_field sum "$st")")"
	pkh_kexec_exec
}

stage_2() {
	! pkh_dmesg_has "$PKH_MSG_ACCEPTED" || pkh_die "a plain kexec carried a handover"
	pkh_mount || pkh_die "mount without format failed after the plain kexec"
	grep -q 'pkernfs=stale' /sys/kernel/pkhandover/status ||
		pkh_die "pkernfs is not stale: $(cat /sys/kernel/pkhandover/status)"
	pkh-vmm setup || pkh_die "pkh-vmm setup failed"
	if pkh-vmm restore vm1 2>/tmp/refusal; then
		pkh_die "pkh-vmm restored from a pkernfs that adopted no handover"
	fi
	echo "PKH-VMM-REFUSED not adopted: $(tail -n 1 /tmp/refusal)" >&2
	pkh_check_file vm1-ram "$(pkh_arg ram)" || pkh_die "the refused restore changed vm1-ram"
	pkh-vmm restore vm1 --force || pkh_die "pkh-vmm restore --force failed"
	pkh_vmm_check_continued vm1 || pkh_die "the forced restore did not continue the guest"
	pkh-vmm quit vm1
	pkh_pass "restore refused while pkernfs=stale, RAM file untouched; --force restored with a warning"
}
