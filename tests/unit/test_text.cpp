// SPDX-License-Identifier: GPL-2.0-only
#include "../tools/fixture_models.hpp"
#include "test_support.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>

using namespace pkh;
using namespace pkh::test;

TEST_CASE("human sizes and addresses", "[text]")
{
	using util::hex, util::human_size, util::pci_address_string;
	CHECK(human_size(0) == "0 B");
	CHECK(human_size(1023) == "1023 B");
	CHECK(human_size(4096) == "4 KiB");
	CHECK(human_size(2 * MiB) == "2 MiB");
	CHECK(human_size(1536) == "1.50 KiB");
	CHECK(human_size(4 * GiB) == "4 GiB");
	CHECK(human_size(1ull << 40) == "1 TiB");
	CHECK(human_size(~0ull) == "16.00 EiB");
	CHECK(hex(0x100000000) == "0x100000000");
	CHECK(pci_address_string(PKH_PCI_ADDRESS(0x1, 0x3b, 0x02, 1)) == "0001:3b:02.1");
}

TEST_CASE("inspect text shows what preserves what", "[text]")
{
	const std::string text = to_text(example_handover());
	CHECK(text.find("handover ABI 3.0  generation 1") != std::string::npos);
	CHECK(text.find("region 0  0x100000000-0x2ffffffff  8 GiB  guest-ram  block 2 MiB") != std::string::npos);
	CHECK(text.find("    metadata  2 ranges, 20 KiB  digest ") != std::string::npos);
	CHECK(text.find("      +0x0  16 KiB  at 0x100000000\n      +0x11000  4 KiB  at 0x100011000\n") !=
	      std::string::npos);
	CHECK(text.find("file \"vm0-ram\"  inode 2  4 GiB\n") != std::string::npos);
	CHECK(text.find("unit 0  intel-vtd  registers 0xfed90000") != std::string::npos);
	CHECK(text.find("    domain 1  id 2  4-level second-level  48-bit  page tables at 0x300102000\n"
			"      device 0000:5e:00.0") != std::string::npos);
	CHECK(text.find("iova 0x0-0xffffffff  4 GiB  -> region 0 +0x200000 (phys 0x100200000)  rw") !=
	      std::string::npos);
	const std::string small = to_text(small_handover());
	CHECK(small.find("    metadata  3 ranges, 24 KiB  digest "
			 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n") != std::string::npos);
	// v1: the files' extents, no metadata.
	const std::string v1 = to_text(example_handover_v1());
	CHECK(v1.find("handover ABI 1.0  generation 1") != std::string::npos);
	CHECK(v1.find("file \"vm0-ram\"  inode 2  4 GiB  2048 extents in 1 run") != std::string::npos);
	CHECK(v1.find("metadata") == std::string::npos);
	CHECK(to_text(small_handover_v1()).find("4 extents in 3 runs") != std::string::npos);
}

TEST_CASE("diff reports metadata ranges, digests and the ABI major", "[text]")
{
	Handover after = small_handover();
	after.regions[0].metadata_digest[0] = 0xff;
	after.regions[0].metadata[2].length = 0x3000;
	CHECK(diff(small_handover(), after) ==
	      std::vector<std::string>{
		      "~ region 0x100000000 metadata: 3 -> 3 ranges, 1 differ",
		      "~ region 0x100000000 metadata range 2: offset 0xb00000 length 0x2000 -> offset 0xb00000 length "
		      "0x3000",
		      "~ region 0x100000000 metadata digest: "
		      "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f -> "
		      "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	      });
	const auto lines = diff(small_handover_v1(), small_handover());
	REQUIRE_FALSE(lines.empty());
	CHECK(lines[0] == "~ abi major: 1 -> 3");
	CHECK(std::find(lines.begin(), lines.end(), "~ region 0x100000000 metadata: 0 -> 3 ranges, 3 differ") !=
	      lines.end());
	CHECK(std::find(lines.begin(), lines.end(),
			"~ region 0x100000000 file inode 5 extents: 1 -> 0 extents, 1 differ") != lines.end());
}

TEST_CASE("diff of equal handovers is empty", "[text]")
{
	CHECK(diff(small_handover(), small_handover()).empty());
}

TEST_CASE("diff names what changed", "[text]")
{
	Handover before = small_handover_v1();
	Handover after = small_handover_v1();
	after.generation = 8;
	after.regions[0].size = 128 * MiB;
	after.regions[0].files.pop_back();
	after.regions[0].files[0].extents[3].region_offset = 10 * MiB;
	after.iommu_domains.push_back(IommuDomain{0, 12, after.regions[1].base + 0x9000, 1, 4, 48});
	after.devices[0].domain = 2;
	after.devices.push_back(VfioDevice{PKH_PCI_ADDRESS(0, 2, 0, 0), {0x1af4, 0x1041, 0, 0}, 9, 1, 0, {}});
	CHECK(diff(before, after) ==
	      std::vector<std::string>{
		      "~ generation: 7 -> 8",
		      "~ region 0x100000000 size: 0x4000000 (64 MiB) -> 0x8000000 (128 MiB)",
		      "- region 0x100000000 file \"vm1-ram\": inode 5, size 0x300000 (3 MiB)",
		      "~ region 0x100000000 file inode 2 extents: 4 -> 4 extents, 1 differ",
		      "~ region 0x100000000 file inode 2 extent 3: offset 0x400000 length 0x200000 -> offset 0xa00000 "
		      "length 0x200000",
		      "+ domain id 12 on unit 0xfed90000",
		      "~ device 0000:00:02.0 moved: domain id 1 on unit 0xfed90000 -> domain id 12 on unit 0xfed90000",
		      "+ device 0000:02:00.0: 1af4:1041",
	      });
}

// human_size prints both sizes as "4.00 GiB"; comparing that text called
// these two files the same.
TEST_CASE("diff compares a file size by value, not by its rounded human size", "[text]")
{
	Handover before = example_handover();
	Handover after = example_handover();
	before.regions[0].files[0].size = 4 * GiB - 0x1000;
	after.regions[0].files[0].size = 4 * GiB - 0x2000;
	CHECK(diff(before, after) ==
	      std::vector<std::string>{
		      "~ region 0x100000000 file inode 2 size: 0xfffff000 (4.00 GiB) -> 0xffffe000 (4.00 GiB)"});
}

TEST_CASE("diff compares a domain's address width", "[text]")
{
	Handover after = small_handover();
	after.iommu_domains[1].address_width = 48;
	CHECK(diff(small_handover(), after) ==
	      std::vector<std::string>{"~ domain id 9 on unit 0xfed90000 address width: 39 -> 48"});
}

TEST_CASE("diff compares a domain's page-table format", "[text]")
{
	Handover after = small_handover();
	after.iommu_domains[0].format = PKH_PGTABLE_VTD_FIRST_LEVEL;
	CHECK(diff(small_handover(), after) ==
	      std::vector<std::string>{
		      "~ domain id 1 on unit 0xfed90000 format: 1 (vtd-second-level) -> 2 (vtd-first-level)"});
}

TEST_CASE("diff compares an IOMMU unit's type", "[text]")
{
	Handover after = small_handover();
	after.iommu_units[0].type = PKH_IOMMU_TYPE_AMD_VI;
	CHECK(diff(small_handover(), after) ==
	      std::vector<std::string>{"~ iommu unit 0xfed90000 type: 1 (intel-vtd) -> 2 (amd-vi)"});
}

TEST_CASE("diff compares an IOMMU unit's table region", "[text]")
{
	Handover after = small_handover();
	after.iommu_units[0].table_region = 0;
	CHECK(diff(small_handover(), after) ==
	      std::vector<std::string>{
		      "~ iommu unit 0xfed90000 table region: region 0x108000000 -> region 0x100000000"});
}

TEST_CASE("diff reports a change of any other field with its exact values", "[text]")
{
	const std::string range_1 =
		"iova 0x10000000 in region 0x100000000 offset 0x1000000 length 0x400000 perm 0x1 (r-)";
	const auto range_1_became = [&](const std::string &after) {
		return std::vector<std::string>{"~ device 0000:00:02.0 iova map: 2 -> 2 ranges, 1 differ",
						"~ device 0000:00:02.0 iova range 1: " + range_1 + " -> " + after};
	};
	struct FieldChange {
		const char *field;
		std::function<void(Handover &)> change;
		std::vector<std::string> expected;
	};
	const std::vector<FieldChange> changes = {
		{"abi_minor", [](Handover &h) { h.abi_minor = 1; }, {"~ abi minor: 0 -> 1"}},
		{"nonce",
		 [](Handover &h) { h.nonce = 0x0123456789abcdeeull; },
		 {"~ nonce: 0x123456789abcdef -> 0x123456789abcdee"}},
		{"creator", [](Handover &h) { h.creator = "other"; }, {"~ creator: \"pkhandover tests\" -> \"other\""}},
		{"region block_size",
		 [](Handover &h) { h.regions[1].block_size = 8192; },
		 {"~ region 0x108000000 block size: 0x1000 (4 KiB) -> 0x2000 (8 KiB)"}},
		{"region fs_uuid",
		 [](Handover &h) { h.regions[0].fs_uuid[15] = 0x11; },
		 {"~ region 0x100000000 fs uuid: 01020304-0506-0708-090a-0b0c0d0e0f10 -> "
		  "01020304-0506-0708-090a-0b0c0d0e0f11"}},
		{"region flags",
		 [](Handover &h) { h.regions[0].flags = PKH_REGION_F_ALL; },
		 {"~ region 0x100000000 flags: 0x1 (guest-ram) -> 0x3 (guest-ram,iommu-tables)"}},
		{"file name",
		 [](Handover &h) { h.regions[0].files[0].name = "vm9-ram"; },
		 {"~ region 0x100000000 file inode 2 name: \"vm0-ram\" -> \"vm9-ram\""}},
		{"unit segment",
		 [](Handover &h) { h.iommu_units[0].segment = 1; },
		 {"~ iommu unit 0xfed90000 segment: 0 -> 1"}},
		{"unit root_table",
		 [](Handover &h) { h.iommu_units[0].root_table += 0x1000; },
		 {"~ iommu unit 0xfed90000 root table: 0x108000000 -> 0x108001000"}},
		{"unit translation_mode",
		 [](Handover &h) { h.iommu_units[0].translation_mode = PKH_TRANSLATION_SCALABLE; },
		 {"~ iommu unit 0xfed90000 translation mode: 1 (legacy) -> 2 (scalable)"}},
		{"domain pgtable_root",
		 [](Handover &h) { h.iommu_domains[0].pgtable_root += 0x2000; },
		 {"~ domain id 1 on unit 0xfed90000 page-table root: 0x108001000 -> 0x108003000"}},
		{"domain levels",
		 [](Handover &h) { h.iommu_domains[1].levels = 4; },
		 {"~ domain id 9 on unit 0xfed90000 levels: 3 -> 4"}},
		// The old text showed only vendor:device, the same on both sides.
		{"device subsystem ids",
		 [](Handover &h) { h.devices[0].ids.subsystem_device = 0x1101; },
		 {"~ device 0000:00:02.0 subsystem device: 0x1100 -> 0x1101"}},
		{"device vendor",
		 [](Handover &h) { h.devices[0].ids.vendor = 0x8086; },
		 {"~ device 0000:00:02.0 vendor: 0x1234 -> 0x8086"}},
		{"device iommu_group",
		 [](Handover &h) { h.devices[0].iommu_group = 30; },
		 {"~ device 0000:00:02.0 iommu group: 3 -> 30"}},
		{"device flags",
		 [](Handover &h) { h.devices[1].flags = 0; },
		 {"~ device 0000:01:00.0 flags: 0x1 (no-reset) -> 0x0 (none)"}},
		{"iova", [](Handover &h) { h.devices[0].iova_map[1].iova = 0x20000000; },
		 range_1_became(
			 "iova 0x20000000 in region 0x100000000 offset 0x1000000 length 0x400000 perm 0x1 (r-)")},
		{"iova length", [](Handover &h) { h.devices[0].iova_map[1].length = 2 * MiB; },
		 range_1_became(
			 "iova 0x10000000 in region 0x100000000 offset 0x1000000 length 0x200000 perm 0x1 (r-)")},
		{"iova region", [](Handover &h) { h.devices[0].iova_map[1].region = 1; },
		 range_1_became(
			 "iova 0x10000000 in region 0x108000000 offset 0x1000000 length 0x400000 perm 0x1 (r-)")},
		{"iova region_offset", [](Handover &h) { h.devices[0].iova_map[1].region_offset = 20 * MiB; },
		 range_1_became(
			 "iova 0x10000000 in region 0x100000000 offset 0x1400000 length 0x400000 perm 0x1 (r-)")},
		{"iova perm", [](Handover &h) { h.devices[0].iova_map[1].perm = PKH_IOVA_PERM_ALL; },
		 range_1_became(
			 "iova 0x10000000 in region 0x100000000 offset 0x1000000 length 0x400000 perm 0x3 (rw)")},
	};
	for (const FieldChange &field_change : changes) {
		INFO(field_change.field);
		Handover after = small_handover();
		field_change.change(after);
		CHECK(diff(small_handover(), after) == field_change.expected);
	}
}

TEST_CASE("diff shows the first differing extents in full and counts all", "[text]")
{
	Handover after = example_handover_v1();
	auto &extents = after.regions[0].files[0].extents;
	std::reverse(extents.begin(), extents.end());
	const auto lines = diff(example_handover_v1(), after);
	REQUIRE(lines.size() == 9);
	CHECK(lines[0] ==
	      "~ region 0x100000000 file inode 2 extents: 2048 -> 2048 extents, 2048 differ (first 8 shown)");
	CHECK(lines[1] == "~ region 0x100000000 file inode 2 extent 0: offset 0x0 length 0x200000 -> offset 0xffe00000 "
			  "length 0x200000");
	CHECK(lines[8] == "~ region 0x100000000 file inode 2 extent 7: offset 0xe00000 length 0x200000 -> offset "
			  "0xff000000 length 0x200000");
}

// Region indexes only say where a region sits in the list: a region added in
// front shifts them without changing what a unit or an IOVA range uses.
TEST_CASE("diff follows region references by base address, not by index", "[text]")
{
	Handover after = small_handover();
	PkernfsRegion low;
	low.base = 2 * GiB;
	low.size = 2 * MiB;
	after.regions.insert(after.regions.begin(), low);
	after.iommu_units[0].table_region++;
	for (VfioDevice &device : after.devices)
		for (IovaMapping &map : device.iova_map)
			map.region++;
	CHECK(diff(small_handover(), after) ==
	      std::vector<std::string>{"+ region 0x80000000: size 0x200000 (2 MiB), 0 files"});
}
