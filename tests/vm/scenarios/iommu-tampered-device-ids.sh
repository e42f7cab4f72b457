# SPDX-License-Identifier: GPL-2.0-only
# Scenario iommu-tampered-device-ids: the handover names a different device
# (PCI device id 0x11e9) at the edu device's address.  The blob is valid;
# the new kernel reads the real ids from config space, refuses to adopt the
# entry, and the device stays blocked: its DMA faults and changes nothing.
pkh_iommu_tampered_scenario 's/"device": "0x11e8"/"device": "0x11e9"/' \
	"it is 1234:11e8" "a device that is not the one handed over stays blocked"
