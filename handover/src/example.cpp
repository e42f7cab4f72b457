// SPDX-License-Identifier: GPL-2.0-only
#include <pkhandover/handover.hpp>

namespace pkh {

namespace {

constexpr std::uint64_t MiB = 1ull << 20;
constexpr std::uint64_t GiB = 1ull << 30;

// Block-by-block extents, as pkernfs allocates them.
std::vector<Extent> blocks(std::uint64_t first_offset, std::uint64_t bytes, std::uint64_t block)
{
	std::vector<Extent> extents;
	for (std::uint64_t offset = 0; offset < bytes; offset += block)
		extents.push_back(Extent{first_offset + offset, block});
	return extents;
}

} // namespace

Handover example_handover()
{
	Handover h;
	h.generation = 1;
	h.nonce = 0x9e3779b97f4a7c15ull;
	h.creator = "pkhandover example";

	// Guest RAM: 8 GiB at 4 GiB, in 2 MiB blocks.  vm0 has 4 GiB, vm1 1 GiB.
	PkernfsRegion guest_ram;
	guest_ram.base = 4 * GiB;
	guest_ram.size = 8 * GiB;
	guest_ram.block_size = 2 * MiB;
	guest_ram.fs_uuid = {0x5f, 0x0c, 0x3a, 0x61, 0x8e, 0x2b, 0x4d, 0x17,
			     0x9a, 0x40, 0x6b, 0xd2, 0x11, 0x73, 0xc8, 0x05};
	guest_ram.flags = PKH_REGION_F_GUEST_RAM;
	guest_ram.files.push_back(PkernfsFile{"vm0-ram", 2, 4 * GiB, blocks(0, 4 * GiB, 2 * MiB)});
	guest_ram.files.push_back(PkernfsFile{"vm1-ram", 3, 1 * GiB, blocks(4 * GiB, 1 * GiB, 2 * MiB)});

	// IOMMU tables: 64 MiB at 12 GiB in 4 KiB blocks.
	PkernfsRegion tables;
	tables.base = 12 * GiB;
	tables.size = 64 * MiB;
	tables.block_size = 4096;
	tables.fs_uuid = {0xc1, 0x7e, 0x52, 0x09, 0x33, 0xa4, 0x4f, 0x6e,
			  0x8d, 0x21, 0x90, 0x5b, 0xe7, 0x4a, 0x02, 0xf8};
	tables.flags = PKH_REGION_F_IOMMU_TABLES;

	h.regions = {guest_ram, tables};

	h.iommu_units.push_back(IommuUnit{PKH_IOMMU_TYPE_INTEL_VTD, 0xfed90000, 0, tables.base,
					  PKH_TRANSLATION_LEGACY, 1});
	h.iommu_domains.push_back(IommuDomain{0, 1, tables.base + 0x1000, PKH_PGTABLE_VTD_SECOND_LEVEL, 4, 48});
	h.iommu_domains.push_back(IommuDomain{0, 2, tables.base + 0x2000, PKH_PGTABLE_VTD_SECOND_LEVEL, 4, 48});

	const std::uint32_t keep_running = PKH_DEVICE_F_NO_RESET | PKH_DEVICE_F_KEEP_BUS_MASTER;
	// vm0: two functions of an X710 virtual function pair, guest RAM at IOVA 0.
	const std::vector<IovaMapping> vm0_map = {{0, 0, 0, 4 * GiB, PKH_IOVA_PERM_ALL}};
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
				       {{0, 0, 4 * GiB, 1 * GiB, PKH_IOVA_PERM_ALL}}});
	return h;
}

} // namespace pkh
