# SPDX-License-Identifier: GPL-2.0-only
# Scenario vmm-guest-ten-live-updates: the guest of
# vmm-guest-survives-live-update through ten host live updates in a row.
# Each new kernel restores it, checks that it continued from the state it
# was saved in (not just from the first), lets it report, and saves it and
# live-updates again.
last=11
case "$PKH_STAGE" in
1)
	pkh_vmm_start_fresh vm1 >/dev/null || exit 1
	pkh_vmm_save_and_update vm1
	;;
*)
	[ "$PKH_STAGE" -le "$last" ] || pkh_die "unexpected stage $PKH_STAGE"
	pkh_vmm_resume vm1
	echo "PKH-VMM-CONTINUED live-update=$((PKH_STAGE - 1)) $(pkh_vmm_first_report vm1)" >&2
	if [ "$PKH_STAGE" -lt "$last" ]; then
		pkh_vmm_save_and_update vm1
	fi
	pkh-vmm quit vm1
	pkh_pass "the guest continued through $((last - 1)) live updates: $(pkh_vmm_first_report vm1)"
	;;
esac
