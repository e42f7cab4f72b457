// SPDX-License-Identifier: GPL-2.0-only
#include "../tools/fixture_models.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

using namespace pkh;
using namespace pkh::test;

namespace {

bool contains(const std::vector<std::string> &lines, const std::string &line)
{
	return std::find(lines.begin(), lines.end(), line) != lines.end();
}

} // namespace

TEST_CASE("human sizes and addresses", "[text]")
{
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
	CHECK(text.find("region 0  0x100000000-0x2ffffffff  8 GiB  guest-ram  block 2 MiB") != std::string::npos);
	CHECK(text.find("file \"vm0-ram\"  inode 2  4 GiB  2048 extents in 1 run") != std::string::npos);
	CHECK(text.find("unit 0  intel-vtd  registers 0xfed90000") != std::string::npos);
	CHECK(text.find("    domain 1  id 2  4-level second-level  48-bit  page tables at 0x300002000\n"
			"      device 0000:5e:00.0") != std::string::npos);
	CHECK(text.find("iova 0x0-0xffffffff  4 GiB  -> region 0 +0x0 (phys 0x100000000)  rw") != std::string::npos);
	const std::string small = to_text(small_handover());
	CHECK(small.find("4 extents in 3 runs") != std::string::npos);
}

TEST_CASE("diff of equal handovers is empty", "[text]")
{
	CHECK(diff(small_handover(), small_handover()).empty());
}

TEST_CASE("diff names what changed", "[text]")
{
	Handover before = small_handover();
	Handover after = small_handover();
	after.generation = 8;
	after.regions[0].size = 128 * MiB;
	after.regions[0].files.pop_back();
	after.regions[0].files[0].extents[3].region_offset = 10 * MiB;
	after.iommu_domains.push_back(IommuDomain{0, 12, after.regions[1].base + 0x9000, 1, 4, 48});
	after.devices[0].domain = 2;
	after.devices.push_back(VfioDevice{PKH_PCI_ADDRESS(0, 2, 0, 0), {0x1af4, 0x1041, 0, 0}, 9, 1, 0, {}});
	const auto lines = diff(before, after);
	INFO(Catch::Detail::stringify(lines));
	CHECK(contains(lines, "~ generation: 7 -> 8"));
	CHECK(contains(lines, "~ region 0x100000000 size: 64 MiB -> 128 MiB"));
	CHECK(contains(lines, "- region 0x100000000 file \"vm1-ram\" (inode 5, 3 MiB)"));
	CHECK(contains(lines, "~ region 0x100000000 file inode 2 extents: 4 -> 4 extents, 1 differ"));
	CHECK(contains(lines, "+ domain id 12 on unit 0xfed90000"));
	CHECK(contains(lines, "~ device 0000:00:02.0 moved: domain id 1 on unit 0xfed90000 -> domain id 12 on unit "
			      "0xfed90000"));
	CHECK(contains(lines, "+ device 0000:02:00.0 (1af4:1041)"));
	CHECK(lines.size() == 7);
}
