# SPDX-License-Identifier: GPL-2.0-only
# Scenario iommu-vmm-killed-after-freeze: a VMM that dies after freezing
# its device does not take the device's DMA with it.
#   stage 1: pkh_iommu_freeze (vmm-setup: vm0-ram at IOVA 0x100000, a DMA
#            proven, the HWPT frozen with IOMMU_HWPT_FREEZE, fds held);
#            then kill -9 of the VMM.  vfio-pci leaves the device enabled
#            and bus-master, and the IOMMU core moves it to its kept domain
#            (the frozen copy) instead of blocking it; iommufd then tears
#            the HWPT down (no warning: the harness fails on one).  With
#            no VMM, no re-setup and no bus-master write, the edu DMA to
#            IOVA 0x102000 lands in vm0-ram page 2, and no DMAR fault is
#            logged.  Page 2 zeroed again; kexec --live-update with no VMM.
#   stage 2: the edu DMA lands again, first thing; the device is adopted.
#            A new VMM takes it over (vmm-restore --replace), freezes its
#            own HWPT (on SIGUSR1) and is killed as well: the DMA lands
#            (the kept domain of this kernel).  A later VMM in the same
#            kernel takes the device back (vmm-restore: its own HWPT
#            replaces the kept domain), its DMA lands, and the device is
#            no longer frozen.
bdf=$(pkh_edu_bdf) || pkh_die "no edu device (1234:11e8): PKH_QEMU_ARGS lacks -device edu?"
ram=$PKH_MNT/vm0-ram

# kept_dma_lands WHEN: the edu DMA to IOVA 0x102000, with no VMM, lands in
# vm0-ram page 2 (zero before it) with the edu buffer's pattern 1.
kept_dma_lands() {
	pkh_edu_check "$ram" 0x2000 0 "page 2 before the DMA $1"
	pkh_iommu_raw_dma "$bdf" 0x102000
	pkh_edu_check "$ram" 0x2000 1 "the DMA to IOVA 0x102000 $1" 4095
	! pkh_dmesg_has "fault addr 0x102000" || pkh_die "a DMAR fault for IOVA 0x102000 $1"
}

stage_1() {
	pkh_iommu_freeze "$bdf"
	pkh_edu_kill9
	pkh_dmesg_show 'pkhandover\|vfio-pci'
	pkh_dmesg_has "on its frozen domain" || pkh_die "the device did not fall back to its frozen domain"
	sed 's/^/PKH-IOMMU: /' $PKH_IOMMU_STATUS >&2
	grep -q "^device $bdf .* frozen$" $PKH_IOMMU_STATUS ||
		pkh_die "$PKH_IOMMU_STATUS does not show $bdf frozen after the VMM died"
	kept_dma_lands "after the VMM was killed"
	pkh-edu pattern-fill --file "$ram" --offset 0x2000 --pattern 0 >&2 ||
		pkh_die "cannot zero vm0-ram page 2"
	pkh_iommu_live_update
}

stage_2() {
	pkh_iommu_raw_dma "$bdf" 0x102000
	gen=$(pkh_check_received) || exit 1
	grep -q "^device $bdf .* adopted$" $PKH_IOMMU_STATUS ||
		pkh_die "$PKH_IOMMU_STATUS does not show $bdf adopted"
	pkh_mount || pkh_die "mount without format failed after the live update"
	pkh_edu_check "$ram" 0x2000 1 "the DMA after the live update with no VMM" 4095

	pkh-edu pattern-fill --file "$ram" --offset 0x2000 --pattern 0 >&2 ||
		pkh_die "cannot zero vm0-ram page 2"
	pkh_iommu_restore_freezable "$bdf"
	pkh_edu_freeze_now /tmp/pkh-restore.out
	pkh_edu_kill9
	pkh-edu pattern-fill --file "$ram" --offset 0x2000 --pattern 0 >&2 ||
		pkh_die "cannot zero vm0-ram page 2"
	kept_dma_lands "after the second VMM was killed"

	pkh-edu pattern-fill --file "$ram" --offset 0x2000 --pattern 0 >&2 ||
		pkh_die "cannot zero vm0-ram page 2"
	pkh-edu vmm-restore --bdf "$bdf" --file "$ram" --iova $PKH_IOVA \
		--len $PKH_IOVA_LEN --expect-pattern 1 >/tmp/pkh-later.out 2>&1 ||
		{ cat /tmp/pkh-later.out >&2; pkh_die "a later VMM could not take the device back"; }
	cat /tmp/pkh-later.out >&2
	pkh_dmesg_has "taken over by a new owner" || pkh_die "dmesg: the kept domain was not replaced"
	sed 's/^/PKH-IOMMU: /' $PKH_IOMMU_STATUS >&2
	! grep -q "^device $bdf .* frozen$" $PKH_IOMMU_STATUS ||
		pkh_die "$PKH_IOMMU_STATUS still shows $bdf frozen after a VMM took it back"
	pkh_pass "VMM killed after the freeze: DMA went on, the live update carried the device (generation $gen), and a later VMM took it back"
}
