# SPDX-License-Identifier: GPL-2.0-only
# Scenario iommu-tampered-root-outside: the handover's root table lies
# outside preserved memory (in a second region at 768 MiB).  The new kernel
# rejects the whole blob;
# the IOMMU, which the old kernel left translating, is not turned off but
# given an empty root table: the device's DMA faults and changes nothing,
# and the kernel boots.
bdf=$(pkh_edu_bdf) || pkh_die "no edu device (1234:11e8): PKH_QEMU_ARGS lacks -device edu?"
stage_1() {
	pkh_iommu_freeze "$bdf"
	# A second region at 768 MiB, outside the carve-out, holds the root
	# and page tables as far as the blob says: valid by the ABI, so kexec
	# builds it; only the new kernel knows what is preserved.
	pkh_iommu_live_update --tamper '/^  \],$/i\
    , { "base": "0x30000000", "size": "0x200000", "block_size": "0x200000", "fs_uuid": "0b5e55ed-0000-4000-8000-000000000001", "flags": ["iommu-tables"], "metadata": [["0x1ff000", "0x1000"]], "metadata_digest": "0000000000000000000000000000000000000000000000000000000000000000", "files": [] }
s/"table_region": 0/"table_region": 1/
s/"root_table": "0x[0-9a-f]*"/"root_table": "0x30000000"/
s/"pgtable_root": "0x[0-9a-f]*"/"pgtable_root": "0x30001000"/'
}

stage_2() {
	pkh_dmesg_show 'pkhandover\|DMAR: dmar0'
	pkh_dmesg_has "$PKH_MSG_REJECTED" || pkh_die "dmesg lacks '$PKH_MSG_REJECTED'"
	pkh_dmesg_has "dmar0: translation left on by the previous kernel; all its DMA is blocked" ||
		pkh_die "dmesg does not say the IOMMU blocks everything"
	pkh_mount || pkh_die "mount without format failed after the rejection"
	pkh_iommu_expect_blocked "$bdf"
	pkh_pass "root table outside preserved memory: blob rejected, translation kept on, DMA blocked"
}
