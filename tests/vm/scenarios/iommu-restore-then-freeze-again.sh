# SPDX-License-Identifier: GPL-2.0-only
# Scenario iommu-restore-then-freeze-again: the steady state of a host that
# updates its kernel again and again.  After a live update the new VMM
# takes the device over (its own paging domain replaces the frozen one);
# before the next live update it freezes its new domain, into the same
# pkernfs file, now free again; the next kernel adopts that one.
#   stage 1: pkh_iommu_freeze, kexec --live-update
#   stage 2: adopted; pkh-edu vmm-restore --replace --hold in the background
#            (DMA lands, frozen pages back: frozen-table-pages 0); zero page
#            2; the VMM freezes its new HWPT into iommu-tables
#            (IOMMU_HWPT_FREEZE, on SIGUSR1); the status
#            shows it frozen; kexec --live-update
#   stage 3: adopted again; the first DMA with no re-setup lands in page 2
bdf=$(pkh_edu_bdf) || pkh_die "no edu device (1234:11e8): PKH_QEMU_ARGS lacks -device edu?"
ram=$PKH_MNT/vm0-ram
stage_1() {
	pkh_iommu_freeze "$bdf"
	pkh_iommu_live_update
}

stage_2() {
	pkh_check_received >/dev/null || exit 1
	pkh_mount || pkh_die "mount without format failed after the live update"
	pkh_iommu_restore_freezable "$bdf"
	pkh-edu pattern-fill --file "$ram" --offset 0x2000 --pattern 0 >&2 ||
		pkh_die "cannot zero vm0-ram page 2"
	# The VMM owns the device through its iommufd: it freezes.
	pkh_edu_freeze_now /tmp/pkh-restore.out
	sed 's/^/PKH-IOMMU: /' $PKH_IOMMU_STATUS >&2
	grep -q "^device $bdf .* frozen$" $PKH_IOMMU_STATUS ||
		pkh_die "$PKH_IOMMU_STATUS does not show $bdf frozen again"
	pkh_iommu_live_update
}

stage_3() {
	pkh_iommu_raw_dma "$bdf" 0x102000
	gen=$(pkh_check_received) || exit 1
	[ "$gen" = 2 ] || pkh_die "generation $gen, not 2"
	grep -q "^device $bdf .* adopted$" $PKH_IOMMU_STATUS ||
		pkh_die "$PKH_IOMMU_STATUS does not show $bdf adopted"
	pkh_mount || pkh_die "mount failed after the second live update"
	pkh_edu_check "$ram" 0x2000 1 "the DMA after the second live update" 4095
	! pkh_dmesg_has "fault addr 0x102000" || pkh_die "a DMAR fault for IOVA 0x102000"
	pkh_pass "the new VMM's domain, frozen again, went through a second live update"
}
