# SPDX-License-Identifier: GPL-2.0-only
# Scenario rejected-blob-outside-carveout: a blob that is valid by the ABI
# (kexec's hook and pkhandover validate accept it) but whose region is not
# the pkernfs carve-out: the new kernel must reject it at boot (its extra
# rule), boot on, keep the carve-out reserved, adopt nothing, and still mount
# the files as the carve-out describes them.  Works with the kexec of today
# (no way to load a damaged blob is needed).
#   stage 1: format, write vm0-ram, take $PKH_STATE, move its region from
#            the carve-out (pkernfs=SIZE@BASE: 512 MiB on x86, 1.5 GiB on
#            arm64 virt) 256 MiB down (still RAM on both, so only the
#            kernel's carve-out rule can refuse it), kexec --live-update
#            with it
#   stage 2: pkh_check_rejected
stage_1() {
	pkh_need_pkernfs
	pkh_mount "$PKH_FS_FORMAT_OPT" || pkh_die "mount -o $PKH_FS_FORMAT_OPT failed"
	sum=$(pkh_write_file vm0-ram 1 16777216) || exit 1
	pkh_state_spec /tmp/state.json
	carveout=$(pkh_carveout_base) || exit 1
	moved=$(printf '0x%x' $((carveout - 0x10000000)))
	carveout=$(printf '0x%x' "$carveout")
	base=$(pkh_json_u64 base /tmp/state.json)
	[ "$base" = "$carveout" ] || pkh_die "the state's region is at $base, not at the carve-out $carveout"
	sed "s/\"base\": *\"$carveout\"/\"base\": \"$moved\"/" /tmp/state.json >/tmp/moved.json
	[ "$(pkh_json_u64 base /tmp/moved.json)" = "$moved" ] ||
		pkh_die "could not move the region in the spec to $moved"
	echo "PKH-CHECK region moved $base -> $moved" >&2
	pkh_kexec_load_live /tmp/moved.json "$(pkh_next_cmdline "pkh.expect=$sum")"
	pkh_kexec_exec
}

stage_2() {
	pkh_check_rejected "outside-carveout"
	pkh_pass "a region outside the carve-out is rejected; carve-out reserved; vm0-ram intact"
}
