# SPDX-License-Identifier: GPL-2.0-only
# Scenario pkernfs-metadata-changed-after-load: a v2 handover names the
# carve-out's metadata and its SHA-256, taken when kexec -l read the state.
# A file's metadata changes after that (chmod rewrites its inode slot, with
# a valid CRC), so the digest no longer matches: the new kernel accepts the
# blob at boot (it is well formed) but pkernfs adopts nothing, says why, and
# mounts the files as the carve-out describes them.  The same run first
# proves the refusal of a state whose metadata lies outside the carve-out.
#   stage 1: format, write vm0-ram; a state whose first metadata range ends
#            past the region is refused by kexec, naming the property;
#            kexec --live-update -l with the real state; chmod 0600
#            vm0-ram; kexec -e
#   stage 2: accepted; "not adopted: the digest of its metadata ..."; no
#            "adopted handover"; vm0-ram intact, mode 600
stage_1() {
	pkh_need_pkernfs
	pkh_mount "$PKH_FS_FORMAT_OPT" || pkh_die "mount -o $PKH_FS_FORMAT_OPT failed"
	sum=$(pkh_write_file vm0-ram 1 16777216) || exit 1
	chmod 0644 "$PKH_MNT/vm0-ram"
	pkh_state_spec /tmp/state.json
	grep -q '"metadata_digest": "[0-9a-f]\{64\}"' /tmp/state.json ||
		pkh_die "$PKH_STATE has no metadata_digest: $(tr -d '\n' </tmp/state.json | head -c 400)"
	! grep -q '"extents"' /tmp/state.json || pkh_die "$PKH_STATE still lists extents"

	# The carve-out is 64 MiB: a range at 64 MiB lies outside it.
	sed 's/"metadata": \[\["0x0", "0x\([0-9a-f]*\)"\]/"metadata": [["0x4000000", "0x\1"]/' \
		/tmp/state.json >/tmp/outside.json
	cmp -s /tmp/state.json /tmp/outside.json && pkh_die "could not move the metadata range"
	if kexec --live-update --handover-spec /tmp/outside.json -l "$PKH_NEXT_KERNEL" 2>/tmp/outside.err; then
		pkh_die "kexec --live-update accepted metadata outside the carve-out"
	fi
	sed 's/^/PKH-REFUSED: /' /tmp/outside.err >&2
	grep -q '/regions/region@0/metadata.*OUT_OF_BOUNDS' /tmp/outside.err ||
		pkh_die "the refusal does not name /regions/region@0/metadata and OUT_OF_BOUNDS"
	echo "PKH-CHECK metadata outside the carve-out refused" >&2

	pkh_kexec_load_live /tmp/state.json "$(pkh_next_cmdline "pkh.expect=$sum")"
	chmod 0600 "$PKH_MNT/vm0-ram"
	pkh_kexec_exec
}

stage_2() {
	pkh_check_received >/dev/null || exit 1
	pkh_mount || pkh_die "mount without format failed"
	pkh_dmesg_show 'pkernfs'
	pkh_dmesg_has "not adopted: the digest of its metadata" ||
		pkh_die "pkernfs did not say the metadata digest differs"
	! pkh_dmesg_has "$PKH_MSG_ADOPTED" || pkh_die "pkernfs adopted a handover whose metadata changed"
	[ "$(stat -c %a "$PKH_MNT/vm0-ram")" = 600 ] ||
		pkh_die "vm0-ram has mode $(stat -c %a "$PKH_MNT/vm0-ram"), not the carve-out's 600"
	pkh_check_file vm0-ram "$(pkh_arg expect)" || pkh_die "vm0-ram changed"
	pkh_pass "metadata changed after kexec -l: digest mismatch, not adopted; vm0-ram intact"
}
