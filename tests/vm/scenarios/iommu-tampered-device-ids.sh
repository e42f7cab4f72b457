# SPDX-License-Identifier: GPL-2.0-only
# Scenario iommu-tampered-device-ids: the handover names a different device
# (PCI device id 0x11e9) at the edu device's address.  The blob is valid;
# the new kernel reads the real ids from config space, refuses to adopt the
# entry, and the device stays blocked: its DMA faults and changes nothing.
bdf=$(pkh_edu_bdf) || pkh_die "no edu device (1234:11e8): PKH_QEMU_ARGS lacks -device edu?"
case "$PKH_STAGE" in
1)
	pkh_iommu_freeze "$bdf"
	pkh_iommu_live_update --tamper 's/"device": "0x11e8"/"device": "0x11e9"/'
	;;
2)
	pkh_check_received >/dev/null || exit 1
	pkh_dmesg_show 'pkhandover: iommu'
	pkh_dmesg_has "$bdf blocked: it is 1234:11e8" || pkh_die "dmesg does not say why $bdf is blocked"
	pkh_mount || pkh_die "mount without format failed"
	pkh_iommu_expect_blocked "$bdf"
	pkh_pass "a device that is not the one handed over stays blocked"
	;;
*)
	pkh_die "unexpected stage $PKH_STAGE"
	;;
esac
