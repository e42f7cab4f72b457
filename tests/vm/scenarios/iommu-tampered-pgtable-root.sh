# SPDX-License-Identifier: GPL-2.0-only
# Scenario iommu-tampered-pgtable-root: the handover says the domain's page
# tables start 1 MiB into the carve-out (an unused page of pkernfs's first
# block: not in its metadata ranges, which ABI v2 refuses), not where the
# context entry points.  The blob is valid; the new kernel finds the
# hardware's context entry disagreeing and blocks the device.
pkh_iommu_tampered_scenario 's/"pgtable_root": "0x[0-9a-f]*"/"pgtable_root": "0x20100000"/' \
	"context entry" "page tables that are not the ones the hardware uses: device blocked"
