# SPDX-License-Identifier: GPL-2.0-only
# Scenario iommu-restore-replaces: after a live update, the new VMM takes
# the device over from the frozen IOMMU_DOMAIN_PKERNFS with iommufd.
#   stage 1: pkh_iommu_freeze, kexec --live-update
#   stage 2: the device is adopted; pkh-edu vmm-restore --replace binds it to
#            vfio-pci (no reset, bus-master kept), binds iommufd, maps
#            vm0-ram at the same IOVA, attaches the IOAS's own paging
#            domain (which replaces the frozen one) and then a new paging
#            HWPT (iommufd's replace); the edu DMA lands in page 2, a DMA
#            to unmapped IOVA 0x400000 faults and changes nothing; the frozen
#            domain is gone, its pages are back (frozen-table-pages 0) and
#            iommu-tables can be written and removed again.
bdf=$(pkh_edu_bdf) || pkh_die "no edu device (1234:11e8): PKH_QEMU_ARGS lacks -device edu?"
ram=$PKH_MNT/vm0-ram
stage_1() {
	pkh_iommu_freeze "$bdf"
	pkh_iommu_live_update
}

stage_2() {
	gen=$(pkh_check_received) || exit 1
	grep -q "^device $bdf .* adopted$" $PKH_IOMMU_STATUS ||
		pkh_die "$PKH_IOMMU_STATUS does not show $bdf adopted"
	pkh_mount || pkh_die "mount without format failed after the live update"
	pkh-edu vmm-restore --bdf "$bdf" --file "$ram" --iova $PKH_IOVA \
		--len $PKH_IOVA_LEN --expect-pattern 1 --replace ||
		pkh_die "pkh-edu vmm-restore failed (exit $?)"
	pkh_dmesg_show 'pkhandover\|vfio-pci'
	pkh_dmesg_has "vfio-pci $bdf: kept running across a live update: not reset" ||
		pkh_die "vfio-pci did not keep $bdf as it was"
	pkh_edu_check "$ram" 0x2000 1 "the DMA after the replace" 4095
	pkh_dmesg_wait "Request device [${bdf#0000:}] fault addr 0x400000" ||
		pkh_die "no DMAR fault for the DMA to unmapped IOVA 0x400000"
	pkh_dmesg_wait "${bdf#0000:}: frozen domain" || true
	sed 's/^/PKH-IOMMU: /' $PKH_IOMMU_STATUS >&2
	grep -q "^device $bdf .* replaced$" $PKH_IOMMU_STATUS ||
		pkh_die "$PKH_IOMMU_STATUS does not show $bdf replaced"
	! grep -q "^core $bdf " $PKH_IOMMU_STATUS ||
		pkh_die "$PKH_IOMMU_STATUS: the IOMMU core still has $bdf on its kept domain"
	dmesg | grep -q -- "$bdf: frozen domain [0-9]* replaced$" ||
		pkh_die "dmesg: no \"frozen domain N replaced\" for $bdf"
	grep -qx 'frozen-table-pages 0' $PKH_IOMMU_STATUS ||
		pkh_die "frozen table pages are left after the replace"
	echo x >>"$PKH_MNT/iommu-tables" || pkh_die "iommu-tables is still read-only after the replace"
	rm "$PKH_MNT/iommu-tables" || pkh_die "iommu-tables cannot be removed after the replace"
	pkh_pass "the VMM's paging domain replaced the frozen one; DMA lands, unmapped faults, frozen pages freed"
}
