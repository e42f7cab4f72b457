# SPDX-License-Identifier: GPL-2.0-only
# Scenario vmm-restore-bad-paths: after a live update, every wrong restore
# is refused with a message saying why, and leaves the guest RAM file as it
# was; then the right restore brings the guest back, continuing.
#   - the state file missing: pkh-vmm refuses; forced, QEMU loads nothing
#     and pkh-vmm stops it after 20 s
#   - the state file damaged mid-stream: pkh-vmm refuses (its md5 differs
#     from the one saved; QEMU would load it: the bytes are a ROM's)
#   - its header damaged (forced): QEMU refuses
#   - truncated: pkh-vmm refuses (QEMU 7.2 would load it)
#   - a VM size that is not the RAM file's (128 MiB and 32 MiB for a
#     64 MiB file): pkh-vmm refuses; forced, QEMU refuses
stage_1() {
	pkh_vmm_start_fresh vm1 >/dev/null || exit 1
	pkh_vmm_save_and_update vm1
}

stage_2() {
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
	# QEMU 7.2 waits for ever on an empty stream: pkh-vmm gives up.
	PKH_VMM_LOAD_WAIT=20 refused "state file missing, forced" --force
	size=$(stat -c %s /tmp/vm1-state.good)
	# QEMU loads a damaged page of a ROM in the stream without noticing:
	# pkh-vmm's md5 of the state file is what catches this one.
	cp /tmp/vm1-state.good "$state"
	dd if=/dev/urandom of="$state" bs=4096 count=4 seek=$((size / 8192)) conv=notrunc 2>/dev/null
	refused "state file damaged mid-stream"
	# A damaged header: QEMU itself refuses.
	cp /tmp/vm1-state.good "$state"
	dd if=/dev/urandom of="$state" bs=64 count=1 conv=notrunc 2>/dev/null
	refused "state file header damaged, forced" --force
	cp /tmp/vm1-state.good "$state"
	truncate -s $((size / 2)) "$state"
	# QEMU 7.2 loads this one too ("VM status: paused"), so no forced case.
	refused "state file truncated"
	cp /tmp/vm1-state.good "$state"
	refused "VM size 128 MiB" --size 128
	refused "VM size 128 MiB, forced" --size 128 --force
	refused "VM size 32 MiB, forced" --size 32 --force

	pkh-vmm restore vm1 || pkh_die "the right restore failed after the wrong ones"
	pkh_vmm_check_continued vm1 || pkh_die "the guest did not continue after the refused restores"
	pkh-vmm quit vm1
	pkh_pass "9 wrong restores refused, RAM file unchanged each time; then the guest continued"
}
