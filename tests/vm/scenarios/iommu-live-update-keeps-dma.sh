# SPDX-License-Identifier: GPL-2.0-only
# Scenario iommu-live-update-keeps-dma: the device's IOMMU translation
# survives a live update, and its DMA lands before anyone sets anything up.
#   stage 1: pkh_iommu_freeze (vm0-ram at IOVA 0x100000 through iommufd, a
#            DMA proven, the domain frozen into iommu-tables), then
#            kexec --live-update and kexec -e with the VMM still holding it
#   stage 2: first thing, with no VFIO, no iommufd and no bus-master
#            write, the edu device copies its buffer to IOVA 0x102000; then:
#            the new kernel adopted the domain (dmesg, status), vm0-ram page
#            2 (zero before the kexec) now holds pattern 1, and no DMAR fault
#            was logged.  The control scenario
#            iommu-plain-kexec-loses-mapping shows the same DMA faulting
#            after a plain kexec.
bdf=$(pkh_edu_bdf) || pkh_die "no edu device (1234:11e8): PKH_QEMU_ARGS lacks -device edu?"
ram=$PKH_MNT/vm0-ram
stage_1() {
	pkh_iommu_freeze "$bdf"
	pkh_iommu_live_update
}

stage_2() {
	# The DMA first, before anything else runs: the earliest a guest
	# could see it (the benchmark times it from kexec -e).
	pkh_iommu_raw_dma "$bdf" 0x102000
	gen=$(pkh_check_received) || exit 1
	pkh_dmesg_show 'pkhandover: iommu\|DMAR'
	pkh_dmesg_has "${bdf} adopted on domain" || pkh_die "dmesg: $bdf was not adopted"
	sed 's/^/PKH-IOMMU: /' $PKH_IOMMU_STATUS >&2
	grep -q "^device $bdf .* adopted$" $PKH_IOMMU_STATUS ||
		pkh_die "$PKH_IOMMU_STATUS does not show $bdf adopted"
	# The IOMMU core has it on its kept domain, which translates the
	# first iova of vm0-ram (iommu_iova_to_phys).
	grep -q "^core $bdf domain=pkernfs iova $(printf '0x%x' $PKH_IOVA) -> 0x" $PKH_IOMMU_STATUS ||
		pkh_die "$PKH_IOMMU_STATUS: the IOMMU core does not have $bdf on its kept domain"
	pkh_mount || pkh_die "mount without format failed after the live update"
	pkh_edu_check "$ram" 0x2000 1 "the DMA to IOVA 0x102000 after the live update" 4095
	pkh_edu_check "$ram" 0x1000 1 "after the DMA" 4095
	! pkh_dmesg_wait "fault addr 0x102000" || pkh_die "a DMAR fault for IOVA 0x102000"
	pkh_pass "DMA to IOVA 0x102000 landed in vm0-ram page 2 before any re-setup, generation $gen"
}
