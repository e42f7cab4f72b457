// SPDX-License-Identifier: GPL-2.0-only
//
// Each value rule of the ABI on a model (what `pkhandover build` enforces on
// a spec), with the exact code and path.  Rules that need a blob to break
// (lengths, names, unknown items) are in the hostile fixtures.
#include "../tools/fixture_models.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>
#include <functional>

using namespace pkh;
using namespace pkh::test;

namespace {

struct Rule {
	const char *name;
	std::function<void(Handover &)> change;
	ErrorCode code;
	const char *where;
	// the model changed: small_handover(), small_handover_v2() or small_handover_v1()
	std::uint16_t major = PKH_ABI_MAJOR;
};

const std::vector<Rule> rules = {
	{"nonce zero", [](Handover &h) { h.nonce = 0; }, ErrorCode::BAD_VALUE, "/nonce"},
	{"empty creator", [](Handover &h) { h.creator.clear(); }, ErrorCode::BAD_VALUE, "/creator"},
	{"creator with newline", [](Handover &h) { h.creator = "a\nb"; }, ErrorCode::BAD_VALUE, "/creator"},
	{"creator too long", [](Handover &h) { h.creator = std::string(128, 'x'); }, ErrorCode::BAD_VALUE, "/creator"},
	{"no regions", [](Handover &h) { h.regions.clear(); }, ErrorCode::MISSING_NODE, "/regions/region@0"},
	{"regions out of order", [](Handover &h) { std::swap(h.regions[0], h.regions[1]); }, ErrorCode::NOT_SORTED,
	 "/regions/region@1/base"},
	{"unaligned size", [](Handover &h) { h.regions[1].size += 4096; }, ErrorCode::UNALIGNED,
	 "/regions/region@1/size"},
	{"block size not a power of two", [](Handover &h) { h.regions[1].block_size = 3 * 4096; }, ErrorCode::BAD_VALUE,
	 "/regions/region@1/block-size"},
	{"block size too small", [](Handover &h) { h.regions[1].block_size = 2048; }, ErrorCode::BAD_VALUE,
	 "/regions/region@1/block-size"},
	{"too many blocks",
	 [](Handover &h) {
		 h.regions[1].size = 128 * GiB;
		 h.regions[1].block_size = 4096;
	 },
	 ErrorCode::TOO_MANY, "/regions/region@1/block-size"},
	{"no region flags", [](Handover &h) { h.regions[0].flags = 0; }, ErrorCode::BAD_VALUE,
	 "/regions/region@0/flags"},
	{"file name dot-dot", [](Handover &h) { h.regions[0].files[0].name = ".."; }, ErrorCode::BAD_VALUE,
	 "/regions/region@0/file@0/name"},
	{"file name empty", [](Handover &h) { h.regions[0].files[0].name = ""; }, ErrorCode::BAD_VALUE,
	 "/regions/region@0/file@0/name"},
	{"inode zero", [](Handover &h) { h.regions[0].files[0].inode = 0; }, ErrorCode::BAD_VALUE,
	 "/regions/region@0/file@0/inode"},
	{"inodes descending", [](Handover &h) { h.regions[0].files[1].inode = 1; }, ErrorCode::NOT_SORTED,
	 "/regions/region@0/file@1/inode"},
	{"extent unaligned to block", [](Handover &h) { h.regions[0].files[1].extents[0].length = 3 * MiB; },
	 ErrorCode::UNALIGNED, "/regions/region@0/file@1/extents[0]", 1},
	{"extents overlap inside a file", [](Handover &h) { h.regions[0].files[0].extents[3].region_offset = 0; },
	 ErrorCode::OVERLAP, "/regions/region@0/file@0/extents[3]", 1},
	{"extents exceed size", [](Handover &h) { h.regions[0].files[1].size = 1 * MiB; }, ErrorCode::BAD_VALUE,
	 "/regions/region@0/file@1/extents", 1},
	{"too many files", [](Handover &h) { h.regions[0].files.resize(PKH_MAX_FILES_PER_REGION + 1); },
	 ErrorCode::TOO_MANY, "/regions/region@0"},
	{"unit type out of range", [](Handover &h) { h.iommu_units[0].type = 9; }, ErrorCode::BAD_VALUE,
	 "/iommu/unit@0/type"},
	{"smmu reserved", [](Handover &h) { h.iommu_units[0].type = PKH_IOMMU_TYPE_ARM_SMMU_V3; },
	 ErrorCode::UNSUPPORTED, "/iommu/unit@0/type"},
	{"unit reg-base unaligned", [](Handover &h) { h.iommu_units[0].reg_base += 4; }, ErrorCode::UNALIGNED,
	 "/iommu/unit@0/reg-base"},
	{"segment over 0xffff", [](Handover &h) { h.iommu_units[0].segment = 0x10000; }, ErrorCode::BAD_VALUE,
	 "/iommu/unit@0/segment"},
	{"translation mode 3", [](Handover &h) { h.iommu_units[0].translation_mode = 3; }, ErrorCode::BAD_VALUE,
	 "/iommu/unit@0/translation-mode"},
	{"tables in a guest-ram region", [](Handover &h) { h.iommu_units[0].table_region = 0; }, ErrorCode::BAD_VALUE,
	 "/iommu/unit@0/table-region"},
	{"duplicate unit", [](Handover &h) { h.iommu_units.push_back(h.iommu_units[0]); }, ErrorCode::DUPLICATE,
	 "/iommu/unit@1/reg-base"},
	{"domain on a missing unit", [](Handover &h) { h.iommu_domains[1].unit = 1; }, ErrorCode::BAD_REFERENCE,
	 "/iommu/domain@1/unit"},
	{"domain id zero", [](Handover &h) { h.iommu_domains[0].domain_id = 0; }, ErrorCode::BAD_VALUE,
	 "/iommu/domain@0/domain-id"},
	{"domain id over 16 bits", [](Handover &h) { h.iommu_domains[1].domain_id = 0x10000; }, ErrorCode::BAD_VALUE,
	 "/iommu/domain@1/domain-id"},
	{"domains out of order", [](Handover &h) { std::swap(h.iommu_domains[0], h.iommu_domains[1]); },
	 ErrorCode::NOT_SORTED, "/iommu/domain@1/domain-id"},
	{"page table unaligned", [](Handover &h) { h.iommu_domains[0].pgtable_root += 16; }, ErrorCode::UNALIGNED,
	 "/iommu/domain@0/pgtable-root"},
	{"page table straddles the region end",
	 [](Handover &h) { h.iommu_domains[0].pgtable_root = h.regions[1].base + h.regions[1].size; },
	 ErrorCode::OUT_OF_BOUNDS, "/iommu/domain@0/pgtable-root"},
	{"format 3", [](Handover &h) { h.iommu_domains[0].format = 3; }, ErrorCode::BAD_VALUE,
	 "/iommu/domain@0/format"},
	{"two levels", [](Handover &h) { h.iommu_domains[0].levels = 2; }, ErrorCode::BAD_VALUE,
	 "/iommu/domain@0/levels"},
	{"device on another segment", [](Handover &h) { h.devices[1].pci_address = PKH_PCI_ADDRESS(1, 0, 0, 0); },
	 ErrorCode::BAD_VALUE, "/devices/device@1/domain"},
	{"unknown device flag", [](Handover &h) { h.devices[0].flags |= 0x100; }, ErrorCode::BAD_VALUE,
	 "/devices/device@0/flags"},
	{"iova length zero", [](Handover &h) { h.devices[0].iova_map[0].length = 0; }, ErrorCode::ZERO_SIZE,
	 "/iommu/domain@0/iova-map[0]"},
	{"iova unaligned", [](Handover &h) { h.devices[0].iova_map[0].iova = 0x100800; }, ErrorCode::UNALIGNED,
	 "/iommu/domain@0/iova-map[0]"},
	{"iova wraps", [](Handover &h) { h.devices[0].iova_map[1].iova = 0xfffffffffff00000ull; }, ErrorCode::OVERFLOW,
	 "/iommu/domain@0/iova-map[1]"},
	{"iova region missing", [](Handover &h) { h.devices[0].iova_map[0].region = 5; }, ErrorCode::BAD_REFERENCE,
	 "/iommu/domain@0/iova-map[0]"},
	{"iova perm zero", [](Handover &h) { h.devices[0].iova_map[0].perm = 0; }, ErrorCode::BAD_VALUE,
	 "/iommu/domain@0/iova-map[0]"},
	{"iova perm unknown bit", [](Handover &h) { h.devices[0].iova_map[0].perm = 4; }, ErrorCode::BAD_VALUE,
	 "/iommu/domain@0/iova-map[0]"},
	{"iova past region", [](Handover &h) { h.devices[0].iova_map[1].region_offset = 62 * MiB; },
	 ErrorCode::OUT_OF_BOUNDS, "/iommu/domain@0/iova-map[1]"},
	{"iova ranges descending", [](Handover &h) { h.devices[0].iova_map[1].iova = 0; }, ErrorCode::OVERLAP,
	 "/iommu/domain@0/iova-map[1]"},
	// ABI v2: the metadata ranges of a region, and what may not reach them.
	{"no metadata ranges", [](Handover &h) { h.regions[1].metadata.clear(); }, ErrorCode::BAD_LENGTH,
	 "/regions/region@1/metadata"},
	{"too many metadata ranges",
	 [](Handover &h) {
		 h.regions[0].metadata.clear();
		 for (std::uint64_t k = 0; k <= PKH_MAX_METADATA_RANGES; k++)
			 h.regions[0].metadata.push_back({k * 0x2000, 0x1000});
	 },
	 ErrorCode::TOO_MANY, "/regions/region@0/metadata"},
	{"metadata range zero length", [](Handover &h) { h.regions[0].metadata[0].length = 0; }, ErrorCode::ZERO_SIZE,
	 "/regions/region@0/metadata"},
	{"metadata range unaligned", [](Handover &h) { h.regions[0].metadata[2].length = 0x1800; },
	 ErrorCode::UNALIGNED, "/regions/region@0/metadata"},
	{"metadata range wraps", [](Handover &h) { h.regions[1].metadata[1].region_offset = 0xfffffffffffff000ull; },
	 ErrorCode::OVERFLOW, "/regions/region@1/metadata"},
	{"metadata range past the region", [](Handover &h) { h.regions[1].metadata[1].length = 4 * MiB; },
	 ErrorCode::OUT_OF_BOUNDS, "/regions/region@1/metadata"},
	{"metadata ranges descending",
	 [](Handover &h) { std::swap(h.regions[0].metadata[0], h.regions[0].metadata[2]); }, ErrorCode::NOT_SORTED,
	 "/regions/region@0/metadata"},
	{"metadata ranges overlap", [](Handover &h) { h.regions[0].metadata[0].length = 0x12000; }, ErrorCode::OVERLAP,
	 "/regions/region@0/metadata"},
	{"metadata ranges touch", [](Handover &h) { h.regions[0].metadata[0].length = 0x11000; }, ErrorCode::BAD_VALUE,
	 "/regions/region@0/metadata"},
	{"root table in metadata", [](Handover &h) { h.iommu_units[0].root_table = h.regions[1].base + 1 * MiB; },
	 ErrorCode::OVERLAP, "/iommu/unit@0/root-table"},
	{"page table in metadata", [](Handover &h) { h.iommu_domains[0].pgtable_root = h.regions[1].base + 0x111000; },
	 ErrorCode::OVERLAP, "/iommu/domain@0/pgtable-root"},
	{"iova onto metadata", [](Handover &h) { h.devices[1].iova_map[0].region_offset = 10 * MiB; },
	 ErrorCode::OVERLAP, "/iommu/domain@1/iova-map"},
	{"iova ending in metadata", [](Handover &h) { h.devices[0].iova_map[0].length = 10 * MiB + 0x1000; },
	 ErrorCode::OVERLAP, "/iommu/domain@0/iova-map"},
	// ABI v3 writes a domain's map once: its devices must agree on it.
	{"devices of one domain disagree", [](Handover &h) { h.devices[1].domain = 0; }, ErrorCode::BAD_VALUE,
	 "/devices/device@1/iova-map"},
	// ABI v1 and v2: the same rules, on each device's own map.
	{"v2 iova length zero", [](Handover &h) { h.devices[0].iova_map[0].length = 0; }, ErrorCode::ZERO_SIZE,
	 "/devices/device@0/iova-map[0]", 2},
	{"v2 iova onto metadata", [](Handover &h) { h.devices[1].iova_map[0].region_offset = 10 * MiB; },
	 ErrorCode::OVERLAP, "/devices/device@1/iova-map", 2},
	{"v2 devices of one domain disagree", [](Handover &h) { h.devices[1].domain = 0; }, ErrorCode::BAD_VALUE,
	 "/devices/device@1/iova-map", 2},
	{"v1 iova past the address width", [](Handover &h) { h.devices[1].iova_map[0].iova = 1ull << 39; },
	 ErrorCode::OUT_OF_BOUNDS, "/devices/device@1/iova-map[0]", 1},
};

} // namespace

TEST_CASE("each value rule reports its code and path, on the model and in a blob", "[validation]")
{
	for (const Rule &rule : rules) {
		DYNAMIC_SECTION(rule.name)
		{
			Handover h = rule.major == 1   ? small_handover_v1()
				     : rule.major == 2 ? small_handover_v2()
							: small_handover();
			rule.change(h);
			auto status = validate(h);
			REQUIRE_FALSE(status.ok());
			CHECK(error_name(status.error().code) == std::string(error_name(rule.code)));
			CHECK(status.error().where == rule.where);
			CHECK_FALSE(status.error().why.empty());
		}
	}
}

TEST_CASE("the valid models pass", "[validation]")
{
	CHECK(validate(example_handover()).ok());
	CHECK(validate(small_handover()).ok());
	CHECK(validate(minimal_handover()).ok());
	CHECK(validate(example_handover_v2()).ok());
	CHECK(validate(small_handover_v2()).ok());
	CHECK(validate(minimal_handover_v2()).ok());
	CHECK(validate(example_handover_v1()).ok());
	CHECK(validate(small_handover_v1()).ok());
	CHECK(validate(minimal_handover_v1()).ok());
}

TEST_CASE("v1 models keep v1's rules: no metadata checks, extents checked", "[validation]")
{
	// An IOVA range over what would be v2 metadata is fine in v1 (v1 has
	// none); a v2 model with the same range is refused.
	Handover v1 = small_handover_v1();
	v1.devices[1].iova_map[0].region_offset = 10 * MiB;
	CHECK(validate(v1).ok());
	Handover v2 = small_handover();
	v2.devices[1].iova_map[0].region_offset = 10 * MiB;
	CHECK_FALSE(validate(v2).ok());
	// v2 does not check file sizes against extents, which it has none of.
	Handover sized = small_handover();
	sized.regions[0].files[0].size = 1 * GiB;
	CHECK(validate(sized).ok());
}

TEST_CASE("memory constraints: RAM and what the boot occupies", "[validation]")
{
	const Handover h = small_handover();
	MemoryConstraints ram_covers{{{0x100000, 8 * GiB, "System RAM"}}, {}};
	CHECK(validate(h, ram_covers).ok());
	MemoryConstraints region1_outside{{{0x100000, 4 * GiB + 100 * MiB, "System RAM"}}, {}};
	auto outside = validate(h, region1_outside);
	REQUIRE_FALSE(outside.ok());
	CHECK(outside.error().code == ErrorCode::OUTSIDE_RAM);
	CHECK(outside.error().where == "/regions/region@1");
	MemoryConstraints kernel_over_region0{{}, {{4 * GiB + 60 * MiB, 8 * MiB, "kernel"}}};
	auto conflict = validate(h, kernel_over_region0);
	REQUIRE_FALSE(conflict.ok());
	CHECK(conflict.error().code == ErrorCode::CONFLICT);
	CHECK(conflict.error().where == "/regions/region@0");
	CHECK(conflict.error().why.find("kernel") != std::string::npos);
	// Touching but not overlapping is fine.
	MemoryConstraints adjacent{{}, {{4 * GiB + 64 * MiB, 8 * MiB, "initrd"}}};
	CHECK(validate(h, adjacent).ok());
}
