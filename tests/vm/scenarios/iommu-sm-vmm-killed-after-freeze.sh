# SPDX-License-Identifier: GPL-2.0-only
# Scenario iommu-sm-vmm-killed-after-freeze: iommu-vmm-killed-after-freeze with the VT-d unit in scalable mode
# (PKH_VTD_MODE=scalable in its .conf): the frozen and adopted tables are a
# scalable-mode root table, context entries naming a PASID directory, and a
# PASID table whose RID2PASID entry is the frozen second-level domain.
# shellcheck source=iommu-vmm-killed-after-freeze.sh
. /scenarios/iommu-vmm-killed-after-freeze.sh
