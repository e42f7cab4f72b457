# SPDX-License-Identifier: GPL-2.0-only
# Scenario iommu-ten-live-updates: ten live updates in a row with the edu
# device attached to its frozen domain the whole time (stages 1 -> 11).
# Each new kernel adopts the domain again from the handover the previous
# one built from what it had adopted, and a DMA lands before any re-setup:
# vm0-ram page 2 is zeroed through the file, the edu device copies its
# buffer to IOVA 0x102000, and page 2 holds pattern 1 again.
# kexec collects the state itself (no --handover-spec) each time.
export PKH_COLLECT=1
bdf=$(pkh_edu_bdf) || pkh_die "no edu device (1234:11e8): PKH_QEMU_ARGS lacks -device edu?"
ram=$PKH_MNT/vm0-ram
last=11
if [ "$PKH_STAGE" = 1 ]; then
	pkh_iommu_freeze "$bdf"
else
	gen=$(pkh_check_received) || exit 1
	[ "$gen" = $((PKH_STAGE - 1)) ] || pkh_die "generation $gen in stage $PKH_STAGE"
	grep -q "^device $bdf .* adopted$" $PKH_IOMMU_STATUS ||
		pkh_die "live update $((PKH_STAGE - 1)): $bdf not adopted"
	pkh_mount || pkh_die "mount failed after live update $((PKH_STAGE - 1))"
	pkh-edu pattern-fill --file "$ram" --offset 0x2000 --pattern 0 >&2 ||
		pkh_die "cannot zero vm0-ram page 2"
	pkh_iommu_raw_dma "$bdf" 0x102000
	pkh_edu_check "$ram" 0x2000 1 "the DMA after live update $((PKH_STAGE - 1))" 4095
	! pkh_dmesg_has "fault addr 0x102000" || pkh_die "a DMAR fault for IOVA 0x102000"
	echo "PKH-IOMMU-DMA stage=$PKH_STAGE generation=$gen landed" >&2
fi
if [ "$PKH_STAGE" -ge "$last" ]; then
	pkh_pass "DMA landed through the adopted domain after each of $((last - 1)) live updates"
	exit 0
fi
pkh_iommu_live_update
