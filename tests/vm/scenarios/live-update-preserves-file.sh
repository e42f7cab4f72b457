# SPDX-License-Identifier: GPL-2.0-only
# Scenario live-update-preserves-file: a guest-RAM file in pkernfs survives a
# real kexec --live-update into the patched kernel, byte for byte.
#   stage 1: $PKH_STATE and $PKH_HANDOVER give ENODEV before the mount;
#            mount -o format, write 16 MiB of pkh_pattern 1 to vm0-ram, sync,
#            kexec --live-update with the spec read from $PKH_STATE, kexec -e
#   stage 2: dmesg says "handover accepted"; pkhandover inspect --live shows
#            vm0-ram; mount without format; same md5sum
bytes=16777216
stage_1() {
	pkh_need_pkernfs
	# Nothing to hand over before pkernfs is mounted: both views say so.
	local f err
	for f in "$PKH_STATE" "$PKH_HANDOVER"; do
		err=$(cat "$f" 2>&1 >/dev/null) && pkh_die "$f is readable before pkernfs is mounted"
		case "$err" in
		*"No such device"*) echo "PKH-CHECK unmounted $(basename "$f") ENODEV" >&2 ;;
		*) pkh_die "reading $f before the mount: '$err', not ENODEV" ;;
		esac
	done
	pkh_mount "$PKH_FS_FORMAT_OPT" || pkh_die "mount -o $PKH_FS_FORMAT_OPT failed"
	sum=$(pkh_write_file vm0-ram 1 "$bytes") || exit 1
	pkh_log "wrote $bytes bytes of pattern 1 to $PKH_MNT/vm0-ram, md5=$sum"
	pkh_live_update "pkh.expect=$sum"
}

stage_2() {
	pkh_iomem_has pkernfs || pkh_die "/proc/iomem does not show the pkernfs carve-out"
	gen=$(pkh_check_received) || exit 1
	grep -q vm0-ram /tmp/pkh-inspect.txt || pkh_die "pkhandover inspect --live does not show vm0-ram"
	pkh_mount || pkh_die "mount without format failed after the live update"
	pkh_check_file vm0-ram "$(pkh_arg expect)" || pkh_die "vm0-ram changed across the live update"
	pkh_pass "vm0-ram intact, generation $gen"
}
