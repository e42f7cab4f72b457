# SPDX-License-Identifier: GPL-2.0-only
# Guest side of tests/bench/blackout.sh (installed as /scenarios/blackout.sh
# through the initramfs --extra tree; not a test scenario).  One boot, a chain
# of kexecs of the same kernel and initramfs:
#   stages 1..N        plain kexec -l, kexec -e
#   stages N+1..2N     kexec --live-update --handover-spec /tmp/state.json
#                      (gunzipped from /bench/state.json.gz; not timed)
#                      -l, kexec -e
#   stage 2N+1         report and power off
# N is pkh.runs= (default 10); pkh.modes=1 does the plain runs only.  The kernel is pkh.kernel= (default
# /boot/bzImage).  The host times each PKH-KEXEC-E line to the next PKH-BOOT
# line; PKH-BENCH lines carry the rest.
runs=$(pkh_arg runs || echo 10)
kernel=$(pkh_arg kernel || echo /boot/bzImage)
modes=$(pkh_arg modes || echo 2) # 1: the plain runs only
spec=/tmp/state.json
pkh_dmesg_show 'pkhandover'
if [ "$PKH_STAGE" -gt "$((modes * runs))" ]; then
	pkh_pass "$((modes * runs)) kexecs"
	exit 0
fi
initrd=$(pkh_next_initrd) || exit 1
next=$(pkh_next_cmdline)
if [ "$PKH_STAGE" -le "$runs" ]; then
	echo "PKH-BENCH load-start stage=$PKH_STAGE mode=plain" >&2
	kexec -l "$kernel" --initrd="$initrd" --append="$next" >&2 ||
		pkh_die "kexec -l failed"
	echo "PKH-BENCH load-end stage=$PKH_STAGE mode=plain" >&2
else
	[ -f "$spec" ] || gunzip -c /bench/state.json.gz >"$spec" || pkh_die "no /bench/state.json.gz"
	echo "PKH-BENCH load-start stage=$PKH_STAGE mode=live" >&2
	kexec --live-update --handover-spec "$spec" -l "$kernel" --initrd="$initrd" \
		--append="$next" >&2 || pkh_die "kexec --live-update -l failed"
	echo "PKH-BENCH load-end stage=$PKH_STAGE mode=live" >&2
fi
sync
echo "PKH-KEXEC-E stage=$PKH_STAGE" >&2
kexec -e
pkh_die "kexec -e returned"
