# SPDX-License-Identifier: GPL-2.0-only
# Scenario iommu-freeze-races-map: the freeze is atomic with respect to the
# VMM's own map and unmap.
#   stage 1: pkernfs formatted, vm0-ram and iommu-tables made; pkh-edu
#            freeze-race binds edu, attaches it, and runs a thread that maps
#            and unmaps 64 KiB of vm0-ram at IOVA 0x8000000 in a loop; after
#            200 calls succeeded, the main thread freezes the HWPT.  Every
#            call succeeds before the freeze or fails with EPERM after it
#            (none succeeds after a refusal), and the frozen copy is the
#            state the last successful call left: 1 range, plus the one at
#            0x8000000 if it was mapped (the status's ranges=).  Then a live
#            update with the VMM holding.
#   stage 2: the new kernel adopted the device and its domain.
bdf=$(pkh_edu_bdf) || pkh_die "no edu device (1234:11e8): PKH_QEMU_ARGS lacks -device edu?"
stage_1() {
	local ram=$PKH_MNT/vm0-ram tables=$PKH_MNT/iommu-tables
	pkh_iommu_fresh
	pkh_edu_vmm /tmp/pkh-edu.out freeze-race --bdf "$bdf" --file "$ram" \
		--iova $PKH_IOVA --len $PKH_IOVA_LEN --freeze "$tables"
	grep -q '^pkh-edu: freeze-race passed$' /tmp/pkh-edu.out || pkh_die "freeze-race did not pass"
	sed 's/^/PKH-IOMMU: /' $PKH_IOMMU_STATUS >&2
	grep -q "^device $bdf .* frozen$" $PKH_IOMMU_STATUS ||
		pkh_die "$PKH_IOMMU_STATUS does not show $bdf frozen"
	pkh_iommu_live_update
}

stage_2() {
	gen=$(pkh_check_received) || exit 1
	pkh_dmesg_show 'pkhandover: iommu'
	sed 's/^/PKH-IOMMU: /' $PKH_IOMMU_STATUS >&2
	grep -q "^device $bdf .* adopted$" $PKH_IOMMU_STATUS ||
		pkh_die "$PKH_IOMMU_STATUS does not show $bdf adopted"
	pkh_pass "maps and unmaps racing the freeze: each before it or EPERM after it; the frozen copy adopted, generation $gen"
}
