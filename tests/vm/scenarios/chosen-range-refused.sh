# SPDX-License-Identifier: GPL-2.0-only
# Scenario chosen-range-refused (arm64): a /chosen/linux,pkhandover-range
# the new kernel must refuse before it reserves anything.  kexec's test
# hook (PKH_KEXEC_TEST_CHOSEN_RANGE, kexec-ext/pkh_kexec_hook.h) writes the
# property with no segment behind it; one case per kexec, in one VM:
#   case 1  <0x1000 BLOB_SIZE>          below RAM: "not RAM that the kernel maps"
#   case 2  <CARVE_OUT_BASE BLOB_SIZE>  "overlaps the pkernfs carve-out"
#   case 3  <RAM_START 1 GiB>           "larger than the blob size cap" (a
#                                       range over all RAM must not be
#                                       reserved: the boot would starve)
#   case 4  <RAM_START BLOB_SIZE> and the blob inline: both properties,
#                                       DUPLICATE
#   case 5  <INITRD 4 KiB>              "overlaps memory reserved during
#                                       boot": the next kernel's initrd,
#                                       where a plain load of the same
#                                       files puts it (kexec -d); freeing
#                                       the range would free the initrd
# After each, the kernel boots, logs the rejection, keeps the carve-out
# reserved and adopts nothing, and vm0-ram is intact (pkh_check_rejected).
chosen_range_cases=5

# The first byte of RAM, from /proc/iomem (virt: 0x40000000).
ram_start() {
	local r
	r=$(grep -m1 ': System RAM$' /proc/iomem | sed 's/-.*//; s/^ *//') ||
		pkh_die "no System RAM in /proc/iomem"
	[ -n "$r" ] || pkh_die "no System RAM in /proc/iomem"
	printf '0x%s\n' "$r"
}

# expected_rejection CASE: what the kernel says of that case.
expected_rejection() {
	case "$1" in
	1) echo 'it is not RAM that the kernel maps; nothing reserved (OUT_OF_BOUNDS)' ;;
	2) echo 'it overlaps the pkernfs carve-out; nothing reserved (OUT_OF_BOUNDS)' ;;
	3) echo 'it is larger than the blob size cap; nothing reserved (OUT_OF_BOUNDS)' ;;
	4) echo 'both linux,pkhandover and linux,pkhandover-range, one expected (DUPLICATE)' ;;
	5) echo 'it overlaps memory reserved during boot; nothing reserved (OUT_OF_BOUNDS)' ;;
	esac
}

# largest_segment: the address of the largest segment in kexec -d's list on
# stdin (the initrd: larger than the Image, the dtb and purgatory).
largest_segment() {
	local line mem='' size best=0 best_mem=''
	while IFS= read -r line; do
		case "$line" in
		segment\[*\].mem\ *) mem=${line##*= } ;;
		segment\[*\].memsz*)
			size=$((${line##*= }))
			if [ "$size" -gt "$best" ]; then
				best=$size
				best_mem=$mem
			fi
			;;
		esac
	done
	[ -n "$best_mem" ] || return 1
	echo "$best_mem"
}

# load_case CASE SUM: kexec --live-update with case CASE's range; kexec -e.
load_case() {
	local spec=/tmp/pkh-spec.json blob=/tmp/pkh-dry.blob size range initrd cmdline seg
	pkh_state_spec "$spec"
	kexec --live-update --handover-spec "$spec" --handover-out "$blob" \
		-l "$PKH_NEXT_KERNEL" >&2 || pkh_die "the dry run failed"
	size=$(stat -c %s "$blob")
	case "$1" in
	1) range="0x1000 $size" ;;
	2) range="$(printf '0x%x' "$(pkh_carveout_base)") $size" ;;
	3) range="$(ram_start) 0x40000000" ;;
	4) range="$(ram_start) $size inline" ;;
	esac
	initrd=$(pkh_next_initrd) || exit 1
	cmdline=$(pkh_next_cmdline "pkh.expect=$2" "pkh.case=$1")
	if [ "$1" = 5 ]; then
		# Where kexec puts the initrd: a plain load of the same files.
		kexec -d -l "$PKH_NEXT_KERNEL" --initrd="$initrd" --append="$cmdline" \
			>/tmp/kexec-d.out 2>&1 || { cat /tmp/kexec-d.out >&2; pkh_die "kexec -d -l failed"; }
		seg=$(largest_segment </tmp/kexec-d.out) || pkh_die "kexec -d listed no segments"
		kexec -u || pkh_die "kexec -u failed"
		range="$seg 4096"
		pkh_log "the initrd segment is at $seg"
	fi
	pkh_log "PKH_KEXEC_TEST_CHOSEN_RANGE=\"$range\" kexec --live-update -l $PKH_NEXT_KERNEL"
	PKH_KEXEC_TEST_CHOSEN_RANGE="$range" kexec --live-update --handover-spec "$spec" \
		-l "$PKH_NEXT_KERNEL" --initrd="$initrd" --append="$cmdline" >/tmp/kexec.err 2>&1 ||
		{ cat /tmp/kexec.err >&2; pkh_die "kexec --live-update (case $1) failed"; }
	cat /tmp/kexec.err >&2
	grep -q "TEST: /chosen/linux,pkhandover-range = " /tmp/kexec.err ||
		pkh_die "kexec did not say it wrote the test range"
	pkh_kexec_exec
}

case "$PKH_STAGE" in
1)
	pkh_need_pkernfs
	pkh_mount "$PKH_FS_FORMAT_OPT" || pkh_die "mount -o $PKH_FS_FORMAT_OPT failed"
	sum=$(pkh_write_file vm0-ram 1 16777216) || exit 1
	load_case 1 "$sum"
	;;
*)
	done_case=$(pkh_arg case)
	[ "$done_case" = $((PKH_STAGE - 1)) ] || pkh_die "stage $PKH_STAGE booted after case '$done_case'"
	want=$(expected_rejection "$done_case")
	pkh_check_rejected "range case $done_case"
	pkh_dmesg_has "$PKH_MSG_REJECTED: /chosen: " || pkh_die "the rejection is not about /chosen"
	pkh_dmesg_has "$want" || pkh_die "dmesg lacks '$want'"
	echo "PKH-CHECK range case $done_case refused: $want" >&2
	if [ "$done_case" -lt "$chosen_range_cases" ]; then
		load_case $((done_case + 1)) "$(pkh_arg expect)"
	fi
	pkh_pass "5 bad /chosen ranges refused before anything was reserved (not RAM, the carve-out, over the cap, both properties, the initrd); carve-out reserved, vm0-ram intact"
	;;
esac
