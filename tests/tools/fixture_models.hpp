// SPDX-License-Identifier: GPL-2.0-only
//
// Small, complete handovers the fixtures and tests start from: every kind of
// node, few enough extents that thousands of mutants run in seconds.
#pragma once

#include <pkhandover/handover.hpp>

namespace pkh::test {

constexpr std::uint64_t MiB = 1ull << 20;
constexpr std::uint64_t GiB = 1ull << 30;

// Guest RAM: 64 MiB at 4 GiB (2 MiB blocks) with two files;
// IOMMU tables: 4 MiB at 4 GiB + 128 MiB (4 KiB blocks);
// one VT-d unit, two domains, two devices.
inline Handover small_handover()
{
	Handover h;
	h.generation = 7;
	h.nonce = 0x0123456789abcdefull;
	h.creator = "pkhandover tests";

	PkernfsRegion ram;
	ram.base = 4 * GiB;
	ram.size = 64 * MiB;
	ram.block_size = 2 * MiB;
	ram.fs_uuid = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	ram.flags = PKH_REGION_F_GUEST_RAM;
	ram.files.push_back(PkernfsFile{"vm0-ram", 2, 8 * MiB,
					{{0, 2 * MiB}, {2 * MiB, 2 * MiB}, {8 * MiB, 2 * MiB}, {4 * MiB, 2 * MiB}}});
	ram.files.push_back(PkernfsFile{"vm1-ram", 5, 3 * MiB, {{16 * MiB, 4 * MiB}}});

	PkernfsRegion tables;
	tables.base = 4 * GiB + 128 * MiB;
	tables.size = 4 * MiB;
	tables.block_size = 4096;
	tables.fs_uuid = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
			  0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};
	tables.flags = PKH_REGION_F_IOMMU_TABLES;
	h.regions = {ram, tables};

	h.iommu_units.push_back(IommuUnit{PKH_IOMMU_TYPE_INTEL_VTD, 0xfed90000, 0, tables.base,
					  PKH_TRANSLATION_LEGACY, 1});
	h.iommu_domains.push_back(IommuDomain{0, 1, tables.base + 0x1000, PKH_PGTABLE_VTD_SECOND_LEVEL, 4, 48});
	h.iommu_domains.push_back(IommuDomain{0, 9, tables.base + 0x5000, PKH_PGTABLE_VTD_SECOND_LEVEL, 3, 39});

	h.devices.push_back(VfioDevice{PKH_PCI_ADDRESS(0, 0, 2, 0),
				       {0x1234, 0x11e8, 0x1af4, 0x1100},
				       3,
				       0,
				       PKH_DEVICE_F_NO_RESET | PKH_DEVICE_F_KEEP_BUS_MASTER,
				       {{0x100000, 0, 0, 8 * MiB, PKH_IOVA_PERM_ALL},
					{0x10000000, 0, 16 * MiB, 4 * MiB, PKH_IOVA_PERM_READ}}});
	h.devices.push_back(VfioDevice{PKH_PCI_ADDRESS(0, 1, 0, 0),
				       {0x8086, 0x10fb, 0x8086, 0x000c},
				       4,
				       1,
				       PKH_DEVICE_F_NO_RESET,
				       {{0, 0, 16 * MiB, 4 * MiB, PKH_IOVA_PERM_WRITE}}});
	return h;
}

// The least a valid blob holds: one region, no files, no IOMMU, no devices.
inline Handover minimal_handover()
{
	Handover h;
	h.generation = 1;
	h.nonce = 42;
	h.creator = "minimal";
	PkernfsRegion region;
	region.base = 512 * MiB;
	region.size = 64 * MiB;
	region.flags = PKH_REGION_F_GUEST_RAM;
	h.regions.push_back(region);
	return h;
}

} // namespace pkh::test
