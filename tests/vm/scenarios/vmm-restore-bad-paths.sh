# SPDX-License-Identifier: GPL-2.0-only
# Scenario vmm-restore-bad-paths: after a live update, every wrong restore
# is refused with a message saying why, and leaves the guest RAM file as it
# was; then the right restore brings the guest back, continuing.
#   - the state file missing: pkh-vmm refuses; forced, QEMU refuses
#   - the state file corrupt (bytes overwritten mid-stream) and truncated:
#     QEMU refuses
#   - a VM size that is not the RAM file's (128 MiB and 32 MiB for a
#     64 MiB file): pkh-vmm refuses; forced, QEMU refuses
case "$PKH_STAGE" in
1)
	pkh_need_pkernfs
	pkh_mount "$PKH_FS_FORMAT_OPT" || pkh_die "mount -o $PKH_FS_FORMAT_OPT failed"
	pkh-vmm setup || pkh_die "pkh-vmm setup failed"
	pkh-vmm start vm1 || pkh_die "pkh-vmm start vm1 failed"
	pkh-vmm wait-reports vm1 2 >/dev/null || pkh_die "the guest does not report"
	pkh_vmm_save_and_update vm1
	;;
2)
	gen=$(pkh_check_received) || exit 1
	pkh_mount || pkh_die "mount without format failed after the live update"
	pkh-vmm setup || pkh_die "pkh-vmm setup failed"
	ram=$PKH_MNT/vm1-ram
	state=$PKH_MNT/vm1-state
	cp "$state" /tmp/vm1-state.good || pkh_die "cannot copy the state file"

	# refused CASE ARGS...: pkh-vmm restore ARGS fails, with QEMU gone,
	# and the RAM file keeps its size and md5.
	refused() {
		local what=$1
		shift
		if pkh-vmm restore vm1 "$@" 2>/tmp/refusal; then
			cat /tmp/refusal >&2
			pkh_die "$what: restored"
		fi
		echo "PKH-VMM-REFUSED $what: $(tail -n 1 /tmp/refusal)" >&2
		[ "$(stat -c %s "$ram")" = 67108864 ] || pkh_die "$what: $ram changed size"
		pkh_check_file vm1-ram "$(pkh_arg ram)" || pkh_die "$what: $ram changed"
	}

	rm -f "$state"
	refused "state file missing" 
	refused "state file missing, forced" --force
	cp /tmp/vm1-state.good "$state"
	size=$(stat -c %s "$state")
	dd if=/dev/urandom of="$state" bs=4096 count=4 seek=$((size / 8192)) conv=notrunc 2>/dev/null
	refused "state file corrupt"
	cp /tmp/vm1-state.good "$state"
	truncate -s $((size / 2)) "$state"
	refused "state file truncated"
	cp /tmp/vm1-state.good "$state"
	refused "VM size 128 MiB" --size 128
	refused "VM size 128 MiB, forced" --size 128 --force
	refused "VM size 32 MiB, forced" --size 32 --force

	pkh-vmm restore vm1 || pkh_die "the right restore failed after the wrong ones"
	pkh-vmm wait-reports vm1 1 >/dev/null || pkh_die "no report from the restored guest"
	pkh_vmm_check_continued vm1 || pkh_die "the guest did not continue after the refused restores"
	pkh-vmm quit vm1
	pkh_pass "7 wrong restores refused, RAM file unchanged each time; then the guest continued"
	;;
*) pkh_die "unexpected stage $PKH_STAGE" ;;
esac
