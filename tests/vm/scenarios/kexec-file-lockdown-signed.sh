# SPDX-License-Identifier: GPL-2.0-only
# Scenario kexec-file-lockdown-signed: a live update on a Secure Boot host.
# The kernel runs with lockdown=integrity, trusts one test key
# (CONFIG_SYSTEM_TRUSTED_KEYS, made by scripts/build-kernel.sh) and checks
# bzImage signatures (KEXEC_SIG, KEXEC_BZIMAGE_VERIFY_SIG);
# /boot/signed.bzImage is this kernel signed with that key by sbsign
# (tests/vm/build-initramfs.sh), /boot/untrusted.bzImage the same signed
# with a key it does not trust, /boot/bzImage unsigned.
#   stage 1: the edu domain frozen and a guest RAM file written, then:
#            kexec_load is refused by the kernel (EPERM) and a live update
#            without -s by kexec itself; kexec -s --live-update of the
#            unsigned and of the untrusted kernel gets EPERM and changes
#            nothing (status, iommu, state, the kernel's blob, the files,
#            nothing loaded); the kernel-built blob is the library-built one
#            (pkhandover diff: []); kexec -s --live-update of the signed
#            kernel, kexec -e
#   stage 2: locked down again; the blob the old kernel built arrived and
#            was accepted, the edu domain adopted, both files intact;
#            lockdown refuses the BAR through sysfs, so the new VMM takes
#            the device through VFIO and iommufd (no reset), and its DMA
#            lands in the kept guest RAM.
bdf=$(pkh_edu_bdf) || pkh_die "no edu device (1234:11e8): PKH_QEMU_ARGS lacks -device edu?"
ram=$PKH_MNT/vm0-ram
signed=/boot/signed.bzImage
untrusted=/boot/untrusted.bzImage
unsigned=/boot/bzImage
lockdown=/sys/kernel/security/lockdown

lockdown_check() {
	[ -r $lockdown ] || pkh_die "no $lockdown (securityfs, SECURITY_LOCKDOWN_LSM)"
	echo "PKH-CHECK lockdown stage=$PKH_STAGE: $(cat $lockdown)" >&2
	grep -qF '[integrity]' $lockdown || pkh_die "the kernel is not locked down to integrity"
}

# lockdown_snapshot FILE: everything of the live update a refused load must
# leave as it was.
lockdown_snapshot() {
	{
		cat /sys/kernel/pkhandover/status $PKH_IOMMU_STATUS "$PKH_STATE"
		echo "handover md5 $(md5sum <"$PKH_HANDOVER")"
		echo "kexec_loaded $(cat /sys/kernel/kexec_loaded)"
		md5sum "$PKH_MNT"/*
	} >"$1" 2>&1
}

# refused_file_load IMAGE WHY: kexec -s --live-update of IMAGE gets EPERM
# from the kernel, kexec says why, and nothing changed.
refused_file_load() {
	kexec --live-update -s -l "$1" --initrd="$initrd" --append="$cmdline" >/tmp/refused.out 2>&1 &&
		pkh_die "kexec -s --live-update of $1 was not refused under lockdown"
	cat /tmp/refused.out >&2
	grep -q 'kexec_file_load failed: Operation not permitted' /tmp/refused.out ||
		pkh_die "kexec_file_load of $1 did not fail with EPERM"
	grep -q "locked down (integrity) and could not verify this image's signature" /tmp/refused.out ||
		pkh_die "kexec did not say why $1 was refused"
	lockdown_snapshot /tmp/after
	if ! cmp -s /tmp/before /tmp/after; then
		diff /tmp/before /tmp/after >&2
		pkh_die "refusing $1 changed the live-update state"
	fi
	echo "PKH-CHECK kexec -s --live-update $(basename "$1") ($2) refused: EPERM; live-update state unchanged" >&2
}

stage_1() {
	lockdown_check
	[ -f $signed ] && [ -f $untrusted ] ||
		pkh_die "no $signed or $untrusted: the kernel's build made no signing key (scripts/build-kernel.sh)"
	pkh_iommu_freeze "$bdf"
	ram1=$(pkh_write_file guest-ram-1 7 $((8 << 20))) || exit 1
	vm0=$(md5sum <"$ram" | cut -d' ' -f1)
	initrd=$(pkh_next_initrd) || exit 1
	cmdline=$(pkh_next_cmdline)
	lockdown_snapshot /tmp/before

	# The kernel refuses kexec_load outright, whatever the image.
	kexec -c -l $signed --initrd="$initrd" --append="$cmdline" >/tmp/refused.out 2>&1 &&
		pkh_die "kexec_load was not refused under lockdown"
	grep -q 'kexec_load failed: Operation not permitted' /tmp/refused.out ||
		pkh_die "kexec_load did not fail with EPERM: $(cat /tmp/refused.out)"
	pkh_dmesg_show 'Lockdown:'
	echo "PKH-CHECK kexec_load refused: EPERM, $(grep 'kexec_load failed' /tmp/refused.out)" >&2
	# kexec --live-update says so before it asks.
	pkh_expect_kexec_refusal "only kexec_file_load of a signed kernel works there" \
		kexec --live-update -c -l $signed --initrd="$initrd" --append="$cmdline"

	refused_file_load $unsigned unsigned
	refused_file_load $untrusted "untrusted key"

	PKH_NEXT_KERNEL=$signed
	pkh_iommu_live_update "pkh.ram1=$ram1" "pkh.vm0=$vm0"
}

stage_2() {
	lockdown_check
	gen=$(pkh_check_received) || exit 1
	pkh_dmesg_show 'pkhandover: iommu\|Lockdown:'
	pkh_dmesg_has "${bdf} adopted on domain" || pkh_die "dmesg: $bdf was not adopted"
	grep -q "^device $bdf .* adopted$" $PKH_IOMMU_STATUS ||
		pkh_die "$PKH_IOMMU_STATUS does not show $bdf adopted"
	pkh_mount || pkh_die "mount without format failed after the live update"
	pkh_check_file guest-ram-1 "$(pkh_arg ram1)" || pkh_die "guest-ram-1 changed across the live update"
	pkh_check_file vm0-ram "$(pkh_arg vm0)" || pkh_die "vm0-ram changed across the live update"

	# Lockdown closes the device's registers to sysfs (LOCKDOWN_PCI_ACCESS);
	# config space still reads, and shows bus-master kept.
	pkh-edu raw-dma --bdf "$bdf" --to-ram 0x102000 >/tmp/raw.out 2>&1 &&
		pkh_die "the edu BAR could be mapped through sysfs under lockdown"
	cat /tmp/raw.out >&2
	grep -q 'bus-master on' /tmp/raw.out || pkh_die "bus-master did not survive the live update"
	grep -q 'resource0.*Operation not permitted' /tmp/raw.out ||
		pkh_die "pkh-edu raw-dma failed, but not for lockdown"
	echo "PKH-CHECK lockdown refuses the BAR through sysfs (EPERM); bus-master kept" >&2

	# So the new VMM takes the device the way it must there: VFIO and
	# iommufd, no reset, its paging domain replacing the adopted one.
	pkh-edu vmm-restore --bdf "$bdf" --file "$ram" --iova $PKH_IOVA \
		--len $PKH_IOVA_LEN --expect-pattern 1 --replace ||
		pkh_die "pkh-edu vmm-restore failed (exit $?)"
	pkh_dmesg_has "vfio-pci $bdf: kept running across a live update: not reset" ||
		pkh_die "vfio-pci did not keep $bdf as it was"
	pkh_edu_check "$ram" 0x2000 1 "the DMA after the live update" 4095
	grep -q "^device $bdf .* replaced$" $PKH_IOMMU_STATUS ||
		pkh_die "$PKH_IOMMU_STATUS does not show $bdf replaced"
	pkh_pass "lockdown=integrity: kexec_load and unsigned or untrusted kernels refused (EPERM, nothing changed); the signed kernel received the old kernel's own handover, generation $gen: files intact, edu domain adopted, DMA lands through VFIO"
}
