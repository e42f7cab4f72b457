# SPDX-License-Identifier: GPL-2.0-only
# Scenario iommu-plain-kexec-loses-mapping: the control of the IOMMU
# persistence scenarios.  A plain kexec (no live update, no freeze) loses the
# device's IOMMU mapping: the same edu DMA that landed in a pkernfs page
# before the kexec faults after it and changes nothing.  It proves the
# scenarios can see a loss; a "preserved" result means something only
# because this one fails to preserve.
#   stage 1: mount -o format, 2 MiB zeroed vm0-ram; pkh-edu vmm-setup maps it
#            at IOVA 0x100000 through iommufd (VFIO cdev), proves a DMA lands
#            (page 0 -> edu buffer -> page 1; edu moves
#            at most 4095 bytes, see pkh-edu.c), zeroes page 2, and holds every
#            fd in the background; then a plain kexec -l / kexec -e
#   stage 2: mount without format: pages 0 and 1 still hold pattern 1, page
#            2 is zero; pkh-edu raw-dma (no VFIO, no re-setup) sets
#            bus-master and DMAs the edu buffer to IOVA 0x102000 (page 2
#            before the kexec): page 2 must stay zero, pages 0 and 1
#            unchanged, and dmesg must show the DMAR write fault of the
#            device at 0x102000; then pkh-edu vmm-restore (the full
#            re-setup a VMM does today) lands the edu buffer, still pattern 1,
#            in page 2, and a DMA to unmapped IOVA 0x400000 faults
iova=0x100000
len=0x200000
ram=$PKH_MNT/vm0-ram

bdf=$(pkh_edu_bdf) || pkh_die "no edu device (1234:11e8): PKH_QEMU_ARGS lacks -device edu?"
stage_1() {
	pkh_need_pkernfs
	pkh_mount "$PKH_FS_FORMAT_OPT" || pkh_die "mount -o $PKH_FS_FORMAT_OPT failed"
	dd if=/dev/zero of="$ram" bs=1M count=2 2>/dev/null || pkh_die "cannot create $ram"
	pkh_log "edu at $bdf; pkh-edu vmm-setup in the background"
	pkh_edu_vmm /tmp/pkh-edu.out vmm-setup --bdf "$bdf" --file "$ram" \
		--iova $iova --len $len --fill-pattern 1
	# The same bytes seen through the file, not the VMM's mapping.
	pkh_edu_check "$ram" 0x0 1 "before the kexec"
	pkh_edu_check "$ram" 0x1000 1 "the DMA through the HWPT" 4095
	pkh_edu_check "$ram" 0x2000 0 "before the kexec"
	pkh_log "the VMM holds the device; plain kexec"
	pkh_kexec_load "$(pkh_next_cmdline)"
	pkh_kexec_exec
}

stage_2() {
	pkh_need_pkernfs
	pkh_mount || pkh_die "mount without format failed after the kexec"
	# The file survived: a zero page 2 below is the DMA's doing, not a lost file.
	pkh_edu_check "$ram" 0x0 1 "after the plain kexec"
	pkh_edu_check "$ram" 0x1000 1 "after the plain kexec" 4095
	pkh_edu_check "$ram" 0x2000 0 "after the plain kexec, before the DMA"
	fault="Request device [${bdf#0000:}] fault addr 0x102000"
	! pkh_dmesg_has "$fault" || pkh_die "a DMAR fault at 0x102000 before the DMA"
	pkh-edu raw-dma --bdf "$bdf" --to-ram 0x102000 --set-master ||
		pkh_die "pkh-edu raw-dma failed (exit $?)"
	pkh_dmesg_wait "$fault"
	pkh_dmesg_show 'DMAR.*fault\|DMAR: \[DMA'
	pkh_edu_check "$ram" 0x2000 0 "the DMA to IOVA 0x102000 after a plain kexec landed"
	pkh_edu_check "$ram" 0x0 1 "after the DMA"
	pkh_edu_check "$ram" 0x1000 1 "after the DMA" 4095
	pkh_dmesg_has "$fault" || pkh_die "dmesg lacks the DMAR fault '$fault'"
	dmesg | grep -F -- "$fault" | grep -q 'DMA Write' ||
		pkh_die "the DMAR fault at 0x102000 is not a write fault"
	# What was lost is the mapping, not the device's state: a full VMM
	# re-setup (vmm-restore) maps the file again and the edu buffer, still
	# holding pattern 1, lands in page 2; an unmapped IOVA faults.
	pkh-edu vmm-restore --bdf "$bdf" --file "$ram" --iova $iova --len $len \
		--expect-pattern 1 || pkh_die "pkh-edu vmm-restore failed (exit $?)"
	pkh_edu_check "$ram" 0x2000 1 "after vmm-restore" 4095
	pkh_dmesg_wait "Request device [${bdf#0000:}] fault addr 0x400000" ||
		pkh_die "no DMAR fault for the DMA to unmapped IOVA 0x400000"
	pkh_pass "mapping lost: DMA to 0x102000 faulted, vm0-ram page 2 still zero; re-setup restores it"
}
