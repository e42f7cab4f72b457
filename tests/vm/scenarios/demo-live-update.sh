# SPDX-License-Identifier: GPL-2.0-only
# Scenario demo-live-update: the live update `make demo` shows (tests/vm/
# demo.sh renders its log).  Also a test: it passes only when everything the
# handover carries is the same on both sides, the passthrough device's DMA
# lands before any re-setup and the new VMM's iommufd replaces its domain.
#   stage 1: mount -o format; vm0-ram (16 MiB, pattern 1) and vm1-ram (4 MiB,
#            pattern 2); the edu device (QEMU -device edu) gets vm2-ram
#            (2 MiB) mapped at IOVA 0x100000 through iommufd, a DMA proven
#            and its domain frozen into iommu-tables, the VMM holding it
#            (pkh_iommu_freeze_file); the records of the blob built from
#            $PKH_STATE (blob, regions, files with the md5 of their bytes,
#            IOMMU units, devices) go to /boot/pkh-demo/old.rows, which the
#            next initramfs carries, with the md5 of the page the DMA wrote
#            and the frozen table pages; kexec --live-update -l (kexec
#            collects the state itself), kexec -e
#   stage 2: first of all, with no VFIO and no iommufd, the edu device
#            copies its buffer to IOVA 0x102000 (pkh-edu raw-dma); handover
#            accepted (pkh_check_received), device adopted; mount (adopts);
#            the DMA landed in vm2-ram page 2 (row "DMA after kexec"), which
#            is then zeroed again so that vm2-ram compares with the old
#            kernel's bytes (a stray byte anywhere else would show); the
#            records from /sys/kernel/pkhandover/received and the mounted
#            files, one PKH-DEMO-ROW per record, all MATCH; then the new
#            VMM, pkh-edu vmm-restore --replace, replaces the frozen domain
#            with its own (its DMA lands, an unmapped IOVA faults), and no
#            frozen table page is left (row "iommufd replace").
# Time marks (pkh_demo_mark) go to the kernel log around each phase.
bdf=$(pkh_edu_bdf) || pkh_die "no edu device (1234:11e8): PKH_QEMU_ARGS lacks -device edu?"
dev_ram=$PKH_MNT/vm2-ram
dma_iova=0x102000
stage_1() {
	pkh_demo_mark init
	pkh_need_pkernfs
	pkh_demo_mark create-start
	pkh_mount "$PKH_FS_FORMAT_OPT" || pkh_die "mount -o $PKH_FS_FORMAT_OPT failed"
	sum=$(pkh_write_file vm0-ram 1 16777216) || exit 1
	pkh_log "wrote vm0-ram: 16 MiB, md5 $sum"
	sum=$(pkh_write_file vm1-ram 2 4194304) || exit 1
	pkh_log "wrote vm1-ram: 4 MiB, md5 $sum"
	pkh_demo_mark create-end

	# The passthrough device: a VMM maps vm2-ram for it and freezes its
	# domain, then keeps running through the kexec.
	pkh_demo_mark freeze-start
	pkh_iommu_freeze_file "$bdf" vm2-ram
	pkh_demo_mark freeze-end
	pkh_log "edu $bdf: vm2-ram at iova $PKH_IOVA through iommufd, DMA into page 1 landed; VMM holds it"
	mkdir -p /boot/pkh-demo
	pkh_demo_page_md5 "$dev_ram" 0x1000 >/boot/pkh-demo/dma.md5 || exit 1
	sed -n 's/^frozen-table-pages //p' $PKH_IOMMU_STATUS >/boot/pkh-demo/frozen-pages

	# What the old kernel hands over, recorded before the load.  kexec
	# reads the same $PKH_STATE and encodes it as pkhandover build does.
	pkh_state_spec /tmp/pkh-spec.json
	gen=$(pkh_json_u64 generation /tmp/pkh-spec.json)
	pkhandover build /tmp/pkh-spec.json -o /tmp/pkh-old.blob >&2 ||
		pkh_die "pkhandover build of $PKH_STATE failed"
	pkhandover inspect /tmp/pkh-old.blob >/tmp/pkh-old.txt ||
		pkh_die "pkhandover inspect of the old kernel's blob failed"
	pkh_demo_records /tmp/pkh-old.txt /tmp/pkh-old.blob >/boot/pkh-demo/old.rows
	sed 's/^/PKH-DEMO-OLD /' /boot/pkh-demo/old.rows >&2
	pkh_next_initrd >/dev/null || exit 1

	pkh_demo_mark load-start
	pkh_kexec_load_live "" "$(pkh_next_cmdline "pkh.gen=$gen")"
	pkh_demo_mark load-end
	sync
	pkh_demo_mark exec
	pkh_kexec_exec
}

stage_2() {
	pkh_demo_mark init
	[ -f /boot/pkh-demo/old.rows ] || pkh_die "no /boot/pkh-demo/old.rows from the old kernel"
	# Before anything else: the device DMAs through what the old kernel
	# left it (bus-master on, its domain adopted), no VFIO, no iommufd.
	pkh_log "pkh-edu raw-dma --bdf $bdf --to-ram $dma_iova: the edu device DMAs, nothing set up again"
	pkh_iommu_raw_dma "$bdf" $dma_iova
	pkh_demo_mark dma-end
	gen=$(pkh_check_received) || exit 1
	pkh_dmesg_has "$bdf adopted on domain" || pkh_die "dmesg: $bdf was not adopted"
	sed 's/^/PKH-IOMMU: /' $PKH_IOMMU_STATUS >&2
	grep -q "^device $bdf .* adopted$" $PKH_IOMMU_STATUS ||
		pkh_die "$PKH_IOMMU_STATUS does not show $bdf adopted"
	pkh_demo_mark mount-start
	pkh_mount || pkh_die "mount without format failed after the live update"
	pkh_demo_mark mount-end
	pkh_dmesg_has "$PKH_MSG_ADOPTED $gen:" || pkh_die "pkernfs did not adopt generation $gen"

	# Did it land?  Page 2 holds what page 1 got from the same edu buffer
	# before the kexec: pattern 1, 4095 bytes (QEMU 7.2's edu), and no fault.
	new=$(pkh_demo_page_md5 "$dev_ram" 0x2000) || exit 1
	verdict=landed
	pkh-edu pattern-check --file "$dev_ram" --offset 0x2000 --pattern 1 --dma-len 4095 >&2 ||
		verdict=LOST
	! pkh_dmesg_has "fault addr $dma_iova" || verdict=FAULTED
	pkh_demo_row "DMA after kexec" "device $bdf -> iova $dma_iova" \
		"$(cat /boot/pkh-demo/dma.md5)" "$new" $verdict
	[ $verdict = landed ] || pkh_die "the edu DMA to IOVA $dma_iova after the live update: $verdict"
	pkh-edu pattern-fill --file "$dev_ram" --offset 0x2000 --pattern 0 >&2 ||
		pkh_die "cannot zero vm2-ram page 2 again"

	# The new side is what this kernel now holds, not the blob again: the
	# state it would hand over next ($PKH_STATE), built from the carve-out
	# metadata pkernfs mounted and the IOMMU units the driver adopted.
	# Only the blob row reads the received bytes (did they arrive intact).
	pkh_demo_mark verify-start
	pkh_state_spec /tmp/pkh-held.json
	pkhandover build /tmp/pkh-held.json -o /tmp/pkh-held.blob >&2 ||
		pkh_die "pkhandover build of the new kernel's $PKH_STATE failed"
	pkhandover inspect /tmp/pkh-held.blob >/tmp/pkh-new.txt ||
		pkh_die "pkhandover inspect of the new kernel's state failed"
	pkh_demo_records /tmp/pkh-new.txt "$PKH_RECEIVED" >/tmp/pkh-new.rows
	pkh_demo_mark verify-end
	pkh_demo_compare /boot/pkh-demo/old.rows /tmp/pkh-new.rows ||
		pkh_die "the new kernel's view differs from the old kernel's (PKH-DEMO-ROW ... DIFFER)"

	# The new VMM takes the device over: iommufd's replace of the frozen
	# domain (the DMA lands again, an unmapped IOVA faults).
	did=$(sed -n "s/^device $bdf did=\([0-9]*\) .*/\1/p" $PKH_IOMMU_STATUS)
	pkh_log "pkh-edu vmm-restore --replace: the new VMM binds $bdf (vfio-pci, iommufd), maps vm2-ram, attaches"
	pkh-edu vmm-restore --bdf "$bdf" --file "$dev_ram" --iova $PKH_IOVA \
		--len $PKH_IOVA_LEN --expect-pattern 1 --replace >/tmp/pkh-restore.out 2>&1 ||
		{ cat /tmp/pkh-restore.out >&2; pkh_die "pkh-edu vmm-restore --replace failed"; }
	cat /tmp/pkh-restore.out >&2
	hwpt=$(sed -n 's/^pkh-edu: restore total .* hwpt \([0-9]*\)$/\1/p' /tmp/pkh-restore.out)
	pkh_dmesg_wait "${bdf#0000:}: frozen domain" || true
	sed 's/^/PKH-IOMMU: /' $PKH_IOMMU_STATUS >&2
	verdict=replaced
	grep -q "^device $bdf .* replaced$" $PKH_IOMMU_STATUS || verdict=KEPT
	left=$(sed -n 's/^frozen-table-pages //p' $PKH_IOMMU_STATUS)
	[ "$left" = 0 ] || verdict=LEAKED
	pkh_demo_row "iommufd replace" "domain ${did:-?} -> hwpt ${hwpt:-?}, frozen table pages" \
		"$(cat /boot/pkh-demo/frozen-pages)" "${left:-?}" $verdict
	[ $verdict = replaced ] || pkh_die "the replace of frozen domain $did: $verdict"
	pkh_pass "$(grep -c . /tmp/pkh-new.rows) records match, DMA landed after kexec, domain $did replaced, generation $gen"
}
