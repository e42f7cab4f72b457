// SPDX-License-Identifier: GPL-2.0-only
//
// Small, complete handovers the fixtures and tests start from: every kind of
// node, few enough records that thousands of mutants run in seconds.  Each
// comes as ABI v3 (what writers write), as v2 (each device's iova map on
// the device) and as v1 (file extents, no metadata): the blobs kernels of
// the earlier ABIs hand over.
#pragma once

#include <pkhandover/handover.hpp>

namespace pkh::test {

constexpr std::uint64_t MiB = 1ull << 20;
constexpr std::uint64_t GiB = 1ull << 30;

// Guest RAM: 64 MiB at 4 GiB (2 MiB blocks) with two files;
// IOMMU tables: 4 MiB at 4 GiB + 128 MiB (4 KiB blocks);
// one VT-d unit, two domains, two devices.  ABI v1: the files' extents.
inline Handover small_handover_v1()
{
	Handover h;
	h.abi_major = 1;
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

// small_handover_v1() in ABI v2: no extents; each region's metadata in
// blocks no file, table or IOVA range uses (guest RAM: three ranges in the
// free block at 10 MiB; tables: two ranges from 1 MiB).
inline Handover small_handover_v2()
{
	Handover h = small_handover_v1();
	h.abi_major = 2;
	for (PkernfsRegion &region : h.regions)
		for (PkernfsFile &file : region.files)
			file.extents.clear();
	h.regions[0].metadata = {{10 * MiB, 0x3000}, {10 * MiB + 0x11000, 0x1000}, {11 * MiB, 0x2000}};
	h.regions[1].metadata = {{1 * MiB, 0x2000}, {1 * MiB + 0x11000, 0x1000}};
	for (std::uint8_t i = 0; i < PKH_METADATA_DIGEST_SIZE; i++) {
		h.regions[0].metadata_digest[i] = i;
		h.regions[1].metadata_digest[i] = static_cast<std::uint8_t>(0xe0 ^ i);
	}
	return h;
}

// The same state in ABI v3: the model is the same, the blob writes each
// domain's iova map on the domain.
inline Handover small_handover()
{
	Handover h = small_handover_v2();
	h.abi_major = 3;
	return h;
}

// The least a valid blob holds: one region, no files, no IOMMU, no devices.
inline Handover minimal_handover_v1()
{
	Handover h;
	h.abi_major = 1;
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

// In ABI v2: the superblock and root inode slot, and the bitmap.
inline Handover minimal_handover_v2()
{
	Handover h = minimal_handover_v1();
	h.abi_major = 2;
	h.regions[0].metadata = {{0, 0x2000}, {0x11000, 0x1000}};
	h.regions[0].metadata_digest.fill(0x5a);
	return h;
}

// In ABI v3 (no devices, so the same blob but for the major).
inline Handover minimal_handover()
{
	Handover h = minimal_handover_v2();
	h.abi_major = 3;
	return h;
}

// example_handover() in ABI v2: vm0's two functions each carry the map.
inline Handover example_handover_v2()
{
	Handover h = example_handover();
	h.abi_major = 2;
	return h;
}

// example_handover() as it was in ABI v1: vm0-ram and vm1-ram in 2 MiB
// extents from offset 0, the root table at the start of the table region.
inline Handover example_handover_v1()
{
	Handover h = example_handover();
	h.abi_major = 1;
	for (PkernfsRegion &region : h.regions) {
		region.metadata.clear();
		region.metadata_digest = {};
	}
	const auto blocks = [](std::uint64_t first_offset, std::uint64_t bytes) {
		std::vector<Extent> extents;
		for (std::uint64_t offset = 0; offset < bytes; offset += 2 * MiB)
			extents.push_back(Extent{first_offset + offset, 2 * MiB});
		return extents;
	};
	h.regions[0].files[0].extents = blocks(0, 4 * GiB);
	h.regions[0].files[1].extents = blocks(4 * GiB, 1 * GiB);
	const std::uint64_t tables = h.regions[1].base;
	h.iommu_units[0].root_table = tables;
	h.iommu_domains[0].pgtable_root = tables + 0x1000;
	h.iommu_domains[1].pgtable_root = tables + 0x2000;
	h.devices[0].iova_map[0].region_offset = 0;
	h.devices[1].iova_map[0].region_offset = 0;
	h.devices[2].iova_map[0].region_offset = 4 * GiB;
	return h;
}

} // namespace pkh::test
