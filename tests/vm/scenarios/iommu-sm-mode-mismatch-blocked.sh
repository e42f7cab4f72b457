# SPDX-License-Identifier: GPL-2.0-only
# Scenario iommu-sm-mode-mismatch-blocked: tables frozen in VT-d scalable
# mode reach a kernel that runs the unit in legacy mode.
#   stage 1: scalable mode (PKH_VTD_MODE=scalable): pkh_iommu_freeze, then
#            a live update into a kernel booted with intel_iommu=on,sm_off
#   stage 2: the handover's translation mode and the root table the
#            hardware uses (RTADDR.SMT) are not this kernel's: nothing is
#            adopted, translation stays on with an empty root table, and
#            the device's DMA faults instead of landing in guest RAM.
bdf=$(pkh_edu_bdf) || pkh_die "no edu device (1234:11e8): PKH_QEMU_ARGS lacks -device edu?"
stage_1() {
	pkh_iommu_freeze "$bdf"
	grep -q ' mode=scalable$' $PKH_IOMMU_STATUS ||
		pkh_die "$PKH_IOMMU_STATUS: the unit's tables are not in scalable mode"
	pkh_iommu_live_update intel_iommu=on,sm_off
}

stage_2() {
	pkh_dmesg_show 'pkhandover: iommu\|DMAR: dmar0'
	pkh_dmesg_has "dmar0: translation left on by the previous kernel; all its DMA is blocked: the handover's translation mode 2 and the root table's (scalable) are not this kernel's: VT-d legacy mode" ||
		pkh_die "dmesg does not say the modes differ and the unit blocks everything"
	pkh_mount || pkh_die "mount without format failed"
	pkh_iommu_expect_blocked "$bdf"
	pkh_pass "scalable-mode tables refused by a legacy-mode kernel: translation kept on, DMA blocked"
}
