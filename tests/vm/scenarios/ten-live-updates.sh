# SPDX-License-Identifier: GPL-2.0-only
# Scenario ten-live-updates: ten kexec --live-update in a row (stages 1 ->
# 11).  At every new kernel: the handover is accepted, vm0-ram has the same
# md5sum, and the generation is above the previous one (pkh.prevgen=).
# kexec collects the state from the running kernel each time.
bytes=16777216
# kexec collects the state itself (no --handover-spec): the hook reads
# /sys/kernel/pkhandover/state of the running kernel.
export PKH_COLLECT=1
last=11
if [ "$PKH_STAGE" = 1 ]; then
	pkh_need_pkernfs
	pkh_mount "$PKH_FS_FORMAT_OPT" || pkh_die "mount -o $PKH_FS_FORMAT_OPT failed"
	sum=$(pkh_write_file vm0-ram 1 "$bytes") || exit 1
	gen=0
else
	sum=$(pkh_arg expect)
	gen=$(pkh_check_received) || exit 1
	prev=$(pkh_arg prevgen)
	[ "$gen" -gt "$prev" ] 2>/dev/null ||
		pkh_die "generation $gen after live update $((PKH_STAGE - 1)) is not above $prev"
	pkh_mount || pkh_die "mount failed after live update $((PKH_STAGE - 1))"
	pkh_check_file vm0-ram "$sum" || pkh_die "vm0-ram changed in live update $((PKH_STAGE - 1))"
	echo "PKH-GEN stage=$PKH_STAGE generation=$gen" >&2
fi
if [ "$PKH_STAGE" -ge "$last" ]; then
	pkh_pass "vm0-ram intact across $((last - 1)) live updates, generation $gen"
	exit 0
fi
pkh_live_update "pkh.expect=$sum" "pkh.prevgen=$gen"
