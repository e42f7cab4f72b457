// SPDX-License-Identifier: GPL-2.0-only
#include <pkhandover/handover.hpp>

namespace pkh {

namespace {

constexpr std::uint64_t KiB = 1ull << 10;
constexpr std::uint64_t MiB = 1ull << 20;
constexpr std::uint64_t GiB = 1ull << 30;

// A stand-in for the SHA-256 the old kernel takes of the metadata ranges:
// the library never computes it, so the example carries 32 bytes derived
// from the region's identity and ranges (splitmix64).
Digest example_digest(const PkernfsRegion &region)
{
	std::uint64_t state = region.base ^ region.size;
	for (std::uint8_t byte : region.fs_uuid)
		state = state * 0x100000001b3ull ^ byte;
	for (const Extent &range : region.metadata)
		state = (state ^ range.region_offset) * 0x9e3779b97f4a7c15ull ^ range.length;
	Digest digest{};
	for (std::size_t i = 0; i < digest.size(); i += 8) {
		std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		z ^= z >> 31;
		for (std::size_t k = 0; k < 8; k++)
			digest[i + k] = static_cast<std::uint8_t>(z >> (8 * k));
	}
	return digest;
}

} // namespace

Handover example_handover()
{
	Handover h;
	h.generation = 1;
	h.nonce = 0x9e3779b97f4a7c15ull;
	h.creator = "pkhandover example";

	// Guest RAM: 8 GiB at 4 GiB, in 2 MiB blocks.  Its first block is
	// pkernfs metadata: the superblock page at 0 with the inode slots in
	// use after it (root, vm0-ram, vm1-ram), and the allocation bitmap
	// after the 16-slot inode table.  vm0 has 4 GiB, vm1 1 GiB, from the
	// second block on.
	PkernfsRegion guest_ram;
	guest_ram.base = 4 * GiB;
	guest_ram.size = 8 * GiB;
	guest_ram.block_size = 2 * MiB;
	guest_ram.fs_uuid = {0x5f, 0x0c, 0x3a, 0x61, 0x8e, 0x2b, 0x4d, 0x17,
			     0x9a, 0x40, 0x6b, 0xd2, 0x11, 0x73, 0xc8, 0x05};
	guest_ram.flags = PKH_REGION_F_GUEST_RAM;
	guest_ram.metadata = {{0, 16 * KiB}, {0x11000, 4 * KiB}};
	guest_ram.metadata_digest = example_digest(guest_ram);
	guest_ram.files.push_back(PkernfsFile{"vm0-ram", 2, 4 * GiB, {}});
	guest_ram.files.push_back(PkernfsFile{"vm1-ram", 3, 1 * GiB, {}});

	// IOMMU tables: 64 MiB at 12 GiB in 4 KiB blocks; its metadata is the
	// superblock and the root's inode slot, and the bitmap; the tables
	// start at 1 MiB.
	PkernfsRegion tables;
	tables.base = 12 * GiB;
	tables.size = 64 * MiB;
	tables.block_size = 4096;
	tables.fs_uuid = {0xc1, 0x7e, 0x52, 0x09, 0x33, 0xa4, 0x4f, 0x6e,
			  0x8d, 0x21, 0x90, 0x5b, 0xe7, 0x4a, 0x02, 0xf8};
	tables.flags = PKH_REGION_F_IOMMU_TABLES;
	tables.metadata = {{0, 8 * KiB}, {0x11000, 4 * KiB}};
	tables.metadata_digest = example_digest(tables);

	h.regions = {guest_ram, tables};

	const std::uint64_t root_table = tables.base + 1 * MiB;
	h.iommu_units.push_back(
		IommuUnit{PKH_IOMMU_TYPE_INTEL_VTD, 0xfed90000, 0, root_table, PKH_TRANSLATION_LEGACY, 1});
	h.iommu_domains.push_back(IommuDomain{0, 1, root_table + 0x1000, PKH_PGTABLE_VTD_SECOND_LEVEL, 4, 48});
	h.iommu_domains.push_back(IommuDomain{0, 2, root_table + 0x2000, PKH_PGTABLE_VTD_SECOND_LEVEL, 4, 48});

	const std::uint32_t keep_running = PKH_DEVICE_F_NO_RESET | PKH_DEVICE_F_KEEP_BUS_MASTER;
	// vm0: two functions of an X710 virtual function pair, guest RAM at IOVA 0.
	const std::vector<IovaMapping> vm0_map = {{0, 0, 2 * MiB, 4 * GiB, PKH_IOVA_PERM_ALL}};
	h.devices.push_back(VfioDevice{PKH_PCI_ADDRESS(0, 0x3b, 0x02, 0), {0x8086, 0x154c, 0x8086, 0x0000}, 41, 0,
				       keep_running, vm0_map});
	h.devices.push_back(VfioDevice{PKH_PCI_ADDRESS(0, 0x3b, 0x02, 1), {0x8086, 0x154c, 0x8086, 0x0000}, 42, 0,
				       keep_running, vm0_map});
	// vm1: an NVMe controller.
	h.devices.push_back(VfioDevice{PKH_PCI_ADDRESS(0, 0x5e, 0x00, 0),
				       {0x144d, 0xa808, 0x144d, 0xa801},
				       57,
				       1,
				       keep_running,
				       {{0, 0, 4 * GiB + 2 * MiB, 1 * GiB, PKH_IOVA_PERM_ALL}}});
	return h;
}

} // namespace pkh
