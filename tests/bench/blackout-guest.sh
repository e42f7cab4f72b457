# SPDX-License-Identifier: GPL-2.0-only
# Guest side of tests/bench/blackout.sh (installed as /scenarios/blackout.sh
# through the initramfs --extra tree; not a test scenario).  One boot, a chain
# of kexecs of the same kernel and initramfs, the modes taking turns so that
# a slow stretch of the host (TCG) hits every mode alike:
#   stage 1            format pkernfs and fill the carve-out with pkh.files=
#                      files (default 8), grown a block at a time in turn so
#                      that every block is its own extent; print the state
#   stage s            mount pkernfs (the first mount of the boot decides on
#                      the handover: with a live update it checks the
#                      metadata digest and adopts), then mode number
#                      (s - 1) mod M of pkh.modes=, then kexec -e
#   stage M*N+1        report and power off
# pkh.modes= is a comma list (default plain,live) of:
#   plain              kexec -l
#   live               kexec --live-update -l: kexec collects the state
#                      from /sys/kernel/pkhandover/state itself
#   plain-nocheck      kexec -i -l: purgatory skips its SHA-256 of the segments
#   live-nocheck       the same for a live update
# Every load has --console-serial, so that purgatory says when it starts.
# N is pkh.runs= (default 10).  The kernel is pkh.kernel= (default
# /boot/bzImage).  The host times each PKH-KEXEC-E line to the next PKH-BOOT
# line; PKH-BENCH lines carry the rest.
runs=$(pkh_arg runs || echo 10)
kernel=$(pkh_arg kernel || echo /boot/bzImage)
modes=$(pkh_arg modes || echo plain,live)
files=$(pkh_arg files || echo 8)
block=2097152
pkh_dmesg_show 'pkhandover\|pkernfs'
set -f
# shellcheck disable=SC2046 # splits the comma list on purpose
set -- $(echo "$modes" | tr , ' ')
set +f
nmodes=$#
if [ "$PKH_STAGE" -eq 1 ]; then
	pkh_need_pkernfs
	pkh_mount "$PKH_FS_FORMAT_OPT" || pkh_die "mount -o $PKH_FS_FORMAT_OPT failed"
	# Round robin, one block per file per turn, until the carve-out is full.
	blocks=0
	full=
	while [ -z "$full" ]; do
		blocks=$((blocks + 1))
		f=0
		while [ "$f" -lt "$files" ]; do
			if ! truncate -s $((blocks * block)) "$PKH_MNT/vm$f-ram" 2>/dev/null; then
				full=1
				[ "$blocks" -gt 1 ] || touch "$PKH_MNT/vm$f-ram"
				truncate -s $(((blocks - 1) * block)) "$PKH_MNT/vm$f-ram"
			fi
			f=$((f + 1))
		done
	done
	extents=0
	for p in "$PKH_MNT"/*; do
		n=$(filefrag "$p" | sed -n 's/.*: \([0-9]*\) extents\{0,1\} found$/\1/p')
		extents=$((extents + n))
	done
	kept=$(df -k "$PKH_MNT" | awk 'NR == 2 { print $3 }')
	df -k "$PKH_MNT" | sed 's/^/PKH-DF: /' >&2
	kexec --live-update --handover-out /tmp/probe.blob -l "$kernel" >&2 ||
		pkh_die "kexec --live-update dry run failed"
	echo "PKH-BENCH state files=$files extents=$extents kept-kib=$kept blob-bytes=$(stat -c %s /tmp/probe.blob) state-bytes=$(wc -c <"$PKH_STATE")" >&2
else
	pkh_mount || pkh_die "mount without format failed"
	# pkernfs: adopted handover generation G: F files, nonce N, metadata
	# M KiB checked in U us
	dmesg | sed -n 's/.*pkernfs: adopted handover generation [0-9]*: .*metadata \([0-9]*\) KiB checked in \([0-9]*\) us.*/PKH-BENCH adopt stage='"$PKH_STAGE"' metadata-kib=\1 check-us=\2/p' >&2
fi
if [ "$PKH_STAGE" -gt "$((nmodes * runs))" ]; then
	pkh_pass "$((nmodes * runs)) kexecs"
	exit 0
fi
shift "$(((PKH_STAGE - 1) % nmodes))"
mode=$1
initrd=$(pkh_next_initrd) || exit 1
next=$(pkh_next_cmdline)
case "$mode" in
plain | plain-nocheck) live= ;;
live | live-nocheck) live=1 ;;
*) pkh_die "pkh.modes: unknown mode $mode" ;;
esac
nocheck=
case "$mode" in *-nocheck) nocheck=-i ;; esac
echo "PKH-BENCH load-start stage=$PKH_STAGE mode=$mode" >&2
if [ -n "$live" ]; then
	# shellcheck disable=SC2086 # $nocheck is one option or nothing
	kexec $nocheck --console-serial --live-update -l "$kernel" --initrd="$initrd" \
		--append="$next" >&2 || pkh_die "kexec --live-update -l failed"
else
	# shellcheck disable=SC2086
	kexec $nocheck --console-serial -l "$kernel" --initrd="$initrd" --append="$next" >&2 ||
		pkh_die "kexec -l failed"
fi
echo "PKH-BENCH load-end stage=$PKH_STAGE mode=$mode" >&2
sync
echo "PKH-KEXEC-E stage=$PKH_STAGE mode=$mode" >&2
kexec -e
pkh_die "kexec -e returned"
