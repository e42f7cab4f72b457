// SPDX-License-Identifier: GPL-2.0-only
//
// The synthetic guest of `make bench` (tests/bench/bench.cpp): guest RAM in
// pkernfs files, an IOMMU table region, one VT-d unit, domains and devices,
// in any shape and ABI major.  The unit tests encode the same states with
// the kernel-C encoder, so the bench's scale is also what they compare.
#pragma once

#include <pkhandover/handover.hpp>

#include <algorithm>
#include <cstdint>
#include <string>

namespace pkh::bench
{

constexpr std::uint64_t KiB = 1ull << 10;
constexpr std::uint64_t MiB = 1ull << 20;
constexpr std::uint64_t GiB = 1ull << 30;
constexpr std::uint64_t TiB = 1ull << 40;

// ------------------------------------------------------------ the guest

struct Shape {
	std::uint64_t guest_ram;    // bytes of region 0, all of it in files
	unsigned files;             // files sharing region 0, interleaved
	unsigned devices;           // devices, spread over the domains
	unsigned domains;           // domains on the one unit
	unsigned ranges_per_device; // IOVA ranges of each device
};

// The full benchmark: 1 TiB, 8 files, 256 devices, 16 domains.
constexpr Shape full_guest{1 * TiB, 8, 256, 16, 4};
// The linearity pair: the same layout at 1 GiB and 1 TiB, devices fixed.
constexpr Shape small_fixed{1 * GiB, 8, 4, 2, 4};
constexpr Shape middle_fixed{32 * GiB, 8, 4, 2, 4};
constexpr Shape large_fixed{1 * TiB, 8, 4, 2, 4};

constexpr std::uint64_t guest_block = 2 * MiB;
constexpr std::uint64_t ram_base = 4 * GiB;
constexpr std::uint64_t tables_size = 256 * MiB;

// A stand-in for the metadata digest the old kernel takes (the library
// never computes SHA-256): 32 bytes from the region's ranges.
inline pkh::Digest bench_digest(const pkh::PkernfsRegion &region)
{
	std::uint64_t state = region.base;
	for (const pkh::Extent &range : region.metadata)
		state = (state ^ range.region_offset ^ range.length) * 0x9e3779b97f4a7c15ull;
	pkh::Digest digest{};
	for (std::size_t i = 0; i < digest.size(); i++) {
		state = state * 6364136223846793005ull + 1442695040888963407ull;
		digest[i] = static_cast<std::uint8_t>(state >> 56);
	}
	return digest;
}

// major 1: the files' extents, data from block 0.  major 2: pkernfs's
// metadata ranges instead: block 0 holds the superblock with the inode
// slots in use (merged into one range) and the allocation bitmap, the data
// starts at block 1, and each file has an extent block (its extents do not
// fit in its inode slot) after the data; the region grows by those blocks.
inline pkh::Handover make_guest(const Shape &shape, std::uint16_t major = 1)
{
	const bool v2 = major >= 2;
	pkh::Handover h;
	h.abi_major = major;
	h.generation = 1;
	h.nonce = 0x243f6a8885a308d3ull;
	h.creator = "pkhandover bench";

	pkh::PkernfsRegion ram;
	ram.base = ram_base;
	ram.size = shape.guest_ram;
	ram.block_size = guest_block;
	ram.fs_uuid = {0x62, 0x65, 0x6e, 0x63, 0x68, 0x2d, 0x4a, 0x72, 0x81, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
	ram.flags = PKH_REGION_F_GUEST_RAM;
	const std::uint64_t blocks = shape.guest_ram / guest_block;
	const std::uint64_t blocks_per_file = blocks / shape.files;
	ram.files.resize(shape.files);
	for (unsigned f = 0; f < shape.files; f++) {
		pkh::PkernfsFile &file = ram.files[f];
		file.name = "vm" + std::to_string(f) + "-ram";
		file.inode = 2 + f;
		file.size = blocks_per_file * guest_block;
		if (v2)
			continue;
		file.extents.reserve(blocks_per_file);
		// Block k of file f is region block k * files + f.
		for (std::uint64_t k = 0; k < blocks_per_file; k++)
			file.extents.push_back({(k * shape.files + f) * guest_block, guest_block});
	}
	const std::uint64_t data_offset = v2 ? guest_block : 0;
	if (v2) {
		ram.size = guest_block + shape.guest_ram + shape.files * guest_block;
		const std::uint64_t slots = 4 * KiB * (2 + shape.files); // superblock, root, files
		const std::uint64_t bitmap = ((ram.size / guest_block + 7) / 8 + 4 * KiB - 1) / (4 * KiB) * (4 * KiB);
		ram.metadata = {{0, slots},
				{0x11000, bitmap}, // after a 16-slot inode table
				{guest_block + shape.guest_ram, shape.files * guest_block}};
		ram.metadata_digest = bench_digest(ram);
	}

	pkh::PkernfsRegion tables;
	tables.base = ram_base + ram.size;
	tables.size = tables_size;
	tables.block_size = 4 * KiB;
	tables.fs_uuid = {0x62, 0x65, 0x6e, 0x63, 0x68, 0x2d, 0x4a, 0x72,
			  0x81, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02};
	tables.flags = PKH_REGION_F_IOMMU_TABLES;
	// v2: superblock and root slot, the bitmap; the tables from 1 MiB.
	const std::uint64_t root_table = tables.base + (v2 ? 1 * MiB : 0);
	if (v2) {
		tables.metadata = {{0, 8 * KiB}, {0x11000, tables_size / (4 * KiB) / 8}};
		tables.metadata_digest = bench_digest(tables);
	}

	h.regions.push_back(std::move(ram));
	h.regions.push_back(std::move(tables));

	h.iommu_units.push_back({PKH_IOMMU_TYPE_INTEL_VTD, 0xfed90000, 0, root_table, PKH_TRANSLATION_LEGACY, 1});
	for (unsigned d = 0; d < shape.domains; d++)
		h.iommu_domains.push_back(
			{0, d + 1, root_table + (d + 1) * 4 * KiB, PKH_PGTABLE_VTD_SECOND_LEVEL, 4, 48});

	// Device i: bus 0x10 + i / 32, device i % 32, function 0; domain i %
	// domains; ranges of 64 MiB at IOVA 0, 1 GiB, 2 GiB..., backed by the
	// first blocks of its domain's share of guest RAM.
	// (Shorter when a domain's share of guest RAM is too small for them.)
	const std::uint64_t range_length =
		std::min<std::uint64_t>(64 * MiB, shape.guest_ram / shape.domains / shape.ranges_per_device);
	for (unsigned i = 0; i < shape.devices; i++) {
		pkh::VfioDevice device;
		device.pci_address = PKH_PCI_ADDRESS(0, 0x10 + i / 32, i % 32, 0);
		device.ids = {0x15b3, 0x101e, 0x15b3, 0x0071};
		device.iommu_group = 100 + i;
		device.domain = i % shape.domains;
		device.flags = PKH_DEVICE_F_NO_RESET | PKH_DEVICE_F_KEEP_BUS_MASTER;
		const std::uint64_t share = shape.guest_ram / shape.domains;
		for (unsigned k = 0; k < shape.ranges_per_device; k++)
			device.iova_map.push_back({k * GiB, 0, data_offset + device.domain * share + k * range_length,
						   range_length, PKH_IOVA_PERM_ALL});
		h.devices.push_back(std::move(device));
	}
	return h;
}

} // namespace pkh::bench
