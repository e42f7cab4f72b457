# SPDX-License-Identifier: GPL-2.0-only
# Guest side of tests/bench/blackout.sh (installed as /scenarios/blackout.sh
# through the initramfs --extra tree; not a test scenario).  One boot, a chain
# of kexecs of the same kernel and initramfs, the modes taking turns so that
# a slow stretch of the host (TCG) hits every mode alike:
#   stage s            mode number (s - 1) mod M of pkh.modes=, then kexec -e
#   stage M*N+1        report and power off
# pkh.modes= is a comma list (default plain,live) of:
#   plain              kexec -l
#   live               kexec --live-update --handover-spec /tmp/state.json -l
#                      (the spec gunzipped from /bench/state.json.gz; not timed)
#   plain-nocheck      kexec -i -l: purgatory skips its SHA-256 of the segments
#   live-nocheck       the same for a live update
# Every load has --console-serial, so that purgatory says when it starts.
# N is pkh.runs= (default 10).  The kernel is pkh.kernel= (default
# /boot/bzImage).  The host times each PKH-KEXEC-E line to the next PKH-BOOT
# line; PKH-BENCH lines carry the rest.
runs=$(pkh_arg runs || echo 10)
kernel=$(pkh_arg kernel || echo /boot/bzImage)
modes=$(pkh_arg modes || echo plain,live)
spec=/tmp/state.json
pkh_dmesg_show 'pkhandover'
set -f
# shellcheck disable=SC2046 # splits the comma list on purpose
set -- $(echo "$modes" | tr , ' ')
set +f
nmodes=$#
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
live | live-nocheck)
	live=1
	[ -f "$spec" ] || gunzip -c /bench/state.json.gz >"$spec" || pkh_die "no /bench/state.json.gz"
	;;
*) pkh_die "pkh.modes: unknown mode $mode" ;;
esac
nocheck=
case "$mode" in *-nocheck) nocheck=-i ;; esac
echo "PKH-BENCH load-start stage=$PKH_STAGE mode=$mode" >&2
if [ -n "$live" ]; then
	# shellcheck disable=SC2086 # $nocheck is one option or nothing
	kexec $nocheck --console-serial --live-update --handover-spec "$spec" -l "$kernel" --initrd="$initrd" \
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
