# SPDX-License-Identifier: GPL-2.0-only
# Scenario iommu-tampered-pgtable-root: the handover says the domain's page
# tables start at the carve-out's first page (the pkernfs superblock), not
# where the context entry points.  The blob is valid; the new kernel finds
# the hardware's context entry disagreeing and blocks the device.
bdf=$(pkh_edu_bdf) || pkh_die "no edu device (1234:11e8): PKH_QEMU_ARGS lacks -device edu?"
case "$PKH_STAGE" in
1)
	pkh_iommu_freeze "$bdf"
	pkh_iommu_live_update --tamper 's/"pgtable_root": "0x[0-9a-f]*"/"pgtable_root": "0x20000000"/'
	;;
2)
	pkh_check_received >/dev/null || exit 1
	pkh_dmesg_show 'pkhandover: iommu'
	pkh_dmesg_has "$bdf blocked: context entry" || pkh_die "dmesg does not say why $bdf is blocked"
	pkh_mount || pkh_die "mount without format failed"
	pkh_iommu_expect_blocked "$bdf"
	pkh_pass "page tables that are not the ones the hardware uses: device blocked"
	;;
*)
	pkh_die "unexpected stage $PKH_STAGE"
	;;
esac
