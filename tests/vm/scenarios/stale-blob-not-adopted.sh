# SPDX-License-Identifier: GPL-2.0-only
# Scenario stale-blob-not-adopted: a valid blob whose generation does not
# follow the superblock's (as a blob of an older or newer state would): the
# new kernel accepts it at boot (it is well formed and inside the carve-out),
# but pkernfs must not adopt it; the files are mounted as the carve-out
# describes them, unchanged.
#   stage 1: format, write vm0-ram, take $PKH_STATE (generation 1), set the
#            generation to 7, kexec --live-update with it
#   stage 2: handover accepted, "not adopted", no "adopted handover", the
#            file intact
stage_1() {
	pkh_need_pkernfs
	pkh_mount "$PKH_FS_FORMAT_OPT" || pkh_die "mount -o $PKH_FS_FORMAT_OPT failed"
	sum=$(pkh_write_file vm0-ram 1 16777216) || exit 1
	pkh_state_spec /tmp/state.json
	gen=$(pkh_json_u64 generation /tmp/state.json)
	[ "$gen" = 1 ] || pkh_die "the state's generation is $gen, not 1"
	sed 's/"generation": *1,/"generation": 7,/' /tmp/state.json >/tmp/stale.json
	[ "$(pkh_json_u64 generation /tmp/stale.json)" = 7 ] || pkh_die "could not change the generation"
	pkh_kexec_load_live /tmp/stale.json "$(pkh_next_cmdline "pkh.expect=$sum" pkh.gen=7)"
	pkh_kexec_exec
}

stage_2() {
	gen=$(pkh_check_received) || exit 1
	pkh_mount || pkh_die "mount without format failed"
	pkh_dmesg_show 'pkernfs'
	pkh_dmesg_has "handover generation $gen not adopted" || pkh_die "pkernfs did not say the handover is not adopted"
	! pkh_dmesg_has "$PKH_MSG_ADOPTED" || pkh_die "pkernfs adopted a stale handover"
	pkh_check_file vm0-ram "$(pkh_arg expect)" || pkh_die "vm0-ram changed"
	pkh_pass "generation $gen accepted at boot but not adopted; vm0-ram intact"
}
