# SPDX-License-Identifier: GPL-2.0-only
# Scenario systemctl-kexec-sequence: the supported sequence on systemd hosts,
#   kexec --live-update -l ...   then   systemctl kexec
# systemctl kexec loads nothing when a kernel is loaded; systemd-shutdown
# unmounts the file systems, syncs and has the loaded kernel booted:
# pkh-systemd-kexec (tests/vm/guest-src/) does that last step as systemd 252
# does, here down its path without a kexec binary, reboot(LINUX_REBOOT_CMD_KEXEC).
#   stage 1: mount -o format, write 16 MiB to vm0-ram; kexec --live-update -l
#            collecting the state itself (no --handover-spec); kexec_loaded
#            is 1; umount pkernfs; pkh-systemd-kexec
#   stage 2: handover accepted and adopted; vm0-ram has the same md5sum
bytes=16777216
stage_1() {
	pkh_need_pkernfs
	command -v pkh-systemd-kexec >/dev/null || pkh_die "no pkh-systemd-kexec in the initramfs (tests/vm/guest-src)"
	pkh_mount "$PKH_FS_FORMAT_OPT" || pkh_die "mount -o $PKH_FS_FORMAT_OPT failed"
	sum=$(pkh_write_file vm0-ram 1 "$bytes") || exit 1
	pkh_log "wrote $bytes bytes of pattern 1 to $PKH_MNT/vm0-ram, md5=$sum"
	pkh_state_spec /tmp/pkh-state.json
	gen=$(pkh_json_u64 generation /tmp/pkh-state.json)
	[ "$gen" = 1 ] || pkh_die "the state to hand over has generation '$gen', not 1"
	[ "$(cat /sys/kernel/kexec_loaded)" = 0 ] || pkh_die "a kernel is loaded before kexec -l"
	# 1. kexec --live-update -l (the state from the running kernel).
	pkh_kexec_load_live "" "$(pkh_next_cmdline "pkh.expect=$sum" "pkh.gen=$gen")"
	loaded=$(cat /sys/kernel/kexec_loaded)
	echo "PKH-SYSTEMCTL-KEXEC kexec_loaded=$loaded" >&2
	[ "$loaded" = 1 ] || pkh_die "kexec --live-update -l left /sys/kernel/kexec_loaded at $loaded"
	# 2. systemctl kexec: stop everything, unmount (pkernfs too), sync, kexec.
	pkh_log "umount $PKH_MNT (systemd-shutdown unmounts every file system)"
	umount "$PKH_MNT" || pkh_die "umount $PKH_MNT failed"
	pkh_log "pkh-systemd-kexec /nonexistent/kexec (systemd-shutdown's kexec step)"
	echo "PKH-KEXEC-E stage=$PKH_STAGE" >&2
	pkh-systemd-kexec /nonexistent/kexec
	pkh_die "pkh-systemd-kexec returned (exit $?)"
}

stage_2() {
	gen=$(pkh_check_received) || exit 1
	[ "$gen" = 1 ] || pkh_die "received generation $gen, not 1"
	grep -q vm0-ram /tmp/pkh-inspect.txt || pkh_die "pkhandover inspect --live does not show vm0-ram"
	pkh_mount || pkh_die "mount without format failed after the live update"
	pkh_dmesg_has "$PKH_MSG_ADOPTED 1:" || pkh_die "dmesg lacks '$PKH_MSG_ADOPTED 1:'"
	pkh_check_file vm0-ram "$(pkh_arg expect)" || pkh_die "vm0-ram changed across systemctl kexec"
	pkh_pass "vm0-ram intact after kexec --live-update -l and systemd's kexec step, generation $gen"
}
