// SPDX-License-Identifier: GPL-2.0-only
//
// The C++ decoder and the kernel-C parser are two independent readers of
// the same ABI.  They must agree on every blob: on a valid one, on every
// value the kernel-C parser publishes (every header, region, metadata range
// and digest, file, extent, unit, domain, device and IOVA mapping field,
// compared one by one), in v2 blobs and in the v1 blobs they still accept;
// on an invalid one, on the code and the path.
#include "kernel_view.hpp"
#include "test_support.hpp"

#include "../tools/fixture_models.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include <zlib.h>

using namespace pkh;
using namespace pkh::kview;

namespace
{

using pkh::test::data_dir;

Bytes fixture(const std::string &name)
{
	return pkh::test::load(data_dir() + "/" + name + ".blob");
}

// Both readers on one blob: the verdict, the code and the path agree, a
// valid blob gives the same values, and the kernel-C parser keeps the
// contract of its callbacks.  Returns the kernel's view.
KernelView check_agree(const Bytes &blob, const MemoryConstraints &constraints = {})
{
	const auto decoded = decode(blob, constraints);
	const KernelView kernel = kernel_view(blob, constraints);
	INFO("kernel-C: " << kernel.code << " " << kernel.where << ": " << kernel.why);
	INFO("kernel-C callback problems:\n" << join(kernel.problems));
	CHECK(kernel.problems.empty());
	if (!decoded.ok()) {
		INFO("C++: " << decoded.error().message());
		CHECK(kernel.code == error_name(decoded.error().code));
		CHECK(kernel.err_code == static_cast<int>(decoded.error().code));
		CHECK(kernel.where == decoded.error().where);
		CHECK_FALSE(kernel.why.empty());
		return kernel;
	}
	REQUIRE(kernel.code == "OK");
	const auto differences = field_differences(*decoded, kernel.model);
	INFO("fields that differ (C++ vs kernel-C):\n" << join(differences));
	CHECK(differences.empty());
	// Anything the model grows later and the list above misses.
	CHECK(*decoded == kernel.model);
	std::uint16_t major;
	std::memcpy(&major, blob.data() + offsetof(pkh_blob_header, abi_major), sizeof(major));
	CHECK(kernel.abi_major == le16toh(major));
	CHECK(kernel.model.abi_major == kernel.abi_major);
	CHECK(kernel.abi_major >= PKH_ABI_MAJOR_OLDEST);
	CHECK(kernel.abi_major <= PKH_ABI_MAJOR);
	return kernel;
}

void fix_crc(Bytes &blob)
{
	const auto crc = static_cast<std::uint32_t>(
		crc32(0, blob.data() + PKH_BLOB_HEADER_SIZE, static_cast<uInt>(blob.size() - PKH_BLOB_HEADER_SIZE)));
	const std::uint32_t le = htole32(crc);
	std::memcpy(blob.data() + offsetof(pkh_blob_header, payload_crc32), &le, sizeof(le));
}

// Verdicts over a batch of mutants: both kinds must occur, or the batch
// tested nothing of one side.
struct Tally {
	unsigned accepted = 0, refused = 0;
	void add(const KernelView &kernel) { (kernel.rc == 0 ? accepted : refused)++; }
};

// ---------------------------------------------------------- random models

// A deterministic generator (the standard distributions are not portable).
class Random
{
public:
	explicit Random(std::uint64_t seed) : rng_(seed) {}
	std::uint64_t next() { return rng_(); }
	std::uint64_t below(std::uint64_t n) { return n ? rng_() % n : 0; }
	bool one_in(unsigned n) { return below(n) == 0; }

private:
	std::mt19937_64 rng_;
};

std::string random_name(Random &r, std::size_t max)
{
	std::string name;
	const std::size_t length = 1 + r.below(max);
	while (name.size() < length) {
		const char c = static_cast<char>(0x20 + r.below(0x7f - 0x20));
		if (c != '/')
			name += c;
	}
	if (name == "." || name == "..")
		name += "x";
	return name;
}

// Files of one region: in v1, extents taken from free blocks, in file order
// (not address order), the size anywhere in the last block; in v2 no
// extents, any size.
void random_files(Random &r, PkernfsRegion &region, bool v1)
{
	const std::uint64_t blocks = region.size / region.block_size;
	std::vector<bool> used(blocks, false);
	std::set<std::string> names;
	std::uint64_t inode = 0;
	for (std::uint64_t n = r.below(6); n > 0; n--) {
		PkernfsFile file;
		do
			file.name = random_name(r, r.one_in(8) ? PKH_MAX_NAME_LEN : 16);
		while (!names.insert(file.name).second);
		inode += 1 + r.below(r.one_in(4) ? ~0ull / 16 : 100);
		file.inode = inode;
		std::uint64_t total = 0;
		for (std::uint64_t e = r.below(5); e > 0; e--) {
			std::uint64_t start = r.below(blocks);
			if (used[start])
				continue;
			std::uint64_t length = 0;
			const std::uint64_t want = 1 + r.below(8);
			while (length < want && start + length < blocks && !used[start + length])
				used[start + length++] = true;
			file.extents.push_back({start * region.block_size, length * region.block_size});
			total += length * region.block_size;
		}
		file.size = total ? total - r.below(region.block_size) : 0;
		if (!v1) {
			file.extents.clear();
			file.size = r.below(region.size + 1);
		}
		region.files.push_back(file);
	}
}

// The first pages of a v2 region hold its metadata, as pkernfs lays it out:
// up to this many, so that IOMMU tables and IOVA maps can stay clear of it.
constexpr std::uint64_t metadata_pages = 64;

// v2 metadata ranges: ascending, page aligned, apart, inside the first
// metadata_pages pages; and a digest (the readers never recompute it).
void random_metadata(Random &r, PkernfsRegion &region)
{
	std::uint64_t page = r.below(2);
	for (std::uint64_t n = 1 + r.below(6); n > 0 && page < metadata_pages; n--) {
		const std::uint64_t pages = 1 + r.below(std::min<std::uint64_t>(8, metadata_pages - page));
		region.metadata.push_back({page * PKH_PAGE_SIZE, pages * PKH_PAGE_SIZE});
		page += pages + 1 + r.below(4);
	}
	for (auto &byte : region.metadata_digest)
		byte = static_cast<std::uint8_t>(r.next());
}

// A valid handover of every kind of node, different for every seed; one in
// four is v1.
Handover random_handover(std::uint64_t seed)
{
	Random r(seed);
	Handover h;
	h.abi_major = r.one_in(4) ? std::uint16_t{1} : std::uint16_t{PKH_ABI_MAJOR};
	const bool v1 = h.abi_major == 1;
	// Where IOMMU tables and IOVA maps may go: past the metadata in v2.
	const std::uint64_t first_free_page = v1 ? 0 : metadata_pages;
	h.abi_minor = static_cast<std::uint16_t>(r.below(0x10000));
	h.generation = r.next() | 1;
	h.nonce = r.next() | 2;
	h.creator = random_name(r, r.one_in(4) ? PKH_MAX_CREATOR_LEN : 24);

	std::uint64_t base = PKH_REGION_ALIGN * (1 + r.below(1024));
	const unsigned regions = 1 + r.below(5);
	for (unsigned i = 0; i < regions; i++) {
		PkernfsRegion region;
		if (r.one_in(8)) {
			region.block_size = PKH_MAX_BLOCK_SIZE;
			region.size = PKH_MAX_BLOCK_SIZE * (1 + r.below(2));
		} else {
			region.block_size = PKH_MIN_BLOCK_SIZE << r.below(10); // up to 2 MiB
			region.size = PKH_REGION_ALIGN * (1 + r.below(16));
		}
		region.base = base;
		for (auto &byte : region.fs_uuid)
			byte = static_cast<std::uint8_t>(r.next());
		region.flags = static_cast<std::uint32_t>(1 + r.below(PKH_REGION_F_ALL));
		if (!v1)
			random_metadata(r, region);
		random_files(r, region, v1);
		h.regions.push_back(region);
		base += region.size + PKH_REGION_ALIGN * r.below(4);
	}

	std::vector<std::uint32_t> tables, ram;
	for (std::uint32_t i = 0; i < regions; i++) {
		if (h.regions[i].flags & PKH_REGION_F_IOMMU_TABLES)
			tables.push_back(i);
		if (h.regions[i].flags & PKH_REGION_F_GUEST_RAM)
			ram.push_back(i);
	}
	if (tables.empty())
		return h;
	auto page_in = [&](std::uint32_t region) {
		return h.regions[region].base +
		       PKH_PAGE_SIZE * (first_free_page +
					r.below(h.regions[region].size / PKH_PAGE_SIZE - first_free_page));
	};

	std::uint64_t reg_base = 0xfed00000;
	for (std::uint64_t n = r.below(4); n > 0; n--) {
		reg_base += PKH_PAGE_SIZE * (1 + r.below(64));
		const std::uint32_t table_region = tables[r.below(tables.size())];
		h.iommu_units.push_back(IommuUnit{PKH_IOMMU_TYPE_INTEL_VTD, reg_base,
						  static_cast<std::uint32_t>(r.one_in(4) ? r.below(0x10000) : 0),
						  page_in(table_region), static_cast<std::uint32_t>(1 + r.below(2)),
						  table_region});
	}
	for (std::uint32_t unit = 0; unit < h.iommu_units.size(); unit++) {
		std::uint32_t id = 0;
		for (std::uint64_t n = r.below(4); n > 0; n--) {
			id += static_cast<std::uint32_t>(1 + r.below(0x3fff));
			const std::uint32_t levels = static_cast<std::uint32_t>(3 + r.below(3));
			h.iommu_domains.push_back(IommuDomain{unit, id, page_in(h.iommu_units[unit].table_region),
							      static_cast<std::uint32_t>(1 + r.below(2)), levels,
							      12 + 9 * levels});
		}
	}
	if (h.iommu_domains.empty() || ram.empty())
		return h;

	std::map<std::uint32_t, VfioDevice> devices; // by pci-address: sorted, unique
	std::map<std::uint32_t, IovaMap> domain_maps;  // the devices of a domain share its map
	for (std::uint64_t n = 1 + r.below(6); n > 0; n--) {
		VfioDevice device;
		device.domain = static_cast<std::uint32_t>(r.below(h.iommu_domains.size()));
		const IommuDomain &domain = h.iommu_domains[device.domain];
		device.pci_address =
			PKH_PCI_ADDRESS(h.iommu_units[domain.unit].segment, r.below(256), r.below(32), r.below(8));
		device.ids = {static_cast<std::uint16_t>(r.below(0xffff)), static_cast<std::uint16_t>(r.next()),
			      static_cast<std::uint16_t>(r.next()), static_cast<std::uint16_t>(r.next())};
		device.iommu_group = static_cast<std::uint32_t>(r.next());
		device.flags = static_cast<std::uint32_t>(r.below(PKH_DEVICE_F_ALL + 1));
		if (auto shared = domain_maps.find(device.domain); shared != domain_maps.end()) {
			device.iova_map = shared->second;
			devices[device.pci_address] = device;
			continue;
		}
		std::uint64_t iova = 0;
		const std::uint64_t limit = 1ull << domain.address_width;
		for (std::uint64_t m = r.below(5); m > 0; m--) {
			IovaMapping map;
			map.region = ram[r.below(ram.size())];
			const std::uint64_t pages = h.regions[map.region].size / PKH_PAGE_SIZE;
			const std::uint64_t first = first_free_page + r.below(pages - first_free_page);
			map.region_offset = first * PKH_PAGE_SIZE;
			map.length = PKH_PAGE_SIZE * (1 + r.below(std::min<std::uint64_t>(pages - first, 512)));
			iova += PKH_PAGE_SIZE * r.below(r.one_in(4) ? (1ull << 24) : 16);
			if (iova + map.length > limit)
				break;
			map.iova = iova;
			map.perm = static_cast<std::uint32_t>(1 + r.below(PKH_IOVA_PERM_ALL));
			iova += map.length;
			device.iova_map.push_back(map);
		}
		domain_maps[device.domain] = device.iova_map;
		devices[device.pci_address] = device;
	}
	for (auto &entry : devices)
		h.devices.push_back(entry.second);
	return h;
}

} // namespace

TEST_CASE("both readers see the same values in every golden blob", "[differential]")
{
	for (const char *name : {"example", "small", "minimal", "optional-items-minor-3", "example-v1", "small-v1",
				 "minimal-v1", "optional-items-minor-3-v1"}) {
		DYNAMIC_SECTION(name)
		{
			const Bytes blob = fixture(std::string("good/") + name);
			const KernelView kernel = check_agree(blob);
			REQUIRE(kernel.code == "OK");
			// v2 goldens name their metadata, v1 ones their files' extents.
			const bool v1 = std::string(name).ends_with("-v1");
			CHECK(kernel.abi_major == (v1 ? 1 : PKH_ABI_MAJOR));
			for (const auto &region : kernel.model.regions)
				CHECK(region.metadata.empty() == v1);
		}
	}
}

TEST_CASE("the kernel-C parser publishes the models the blobs were built from", "[differential]")
{
	// Independent of the C++ decoder: the model in, the kernel's values out.
	const std::vector<std::pair<const char *, Handover>> models = {
		{"example", example_handover()},	   {"small", test::small_handover()},
		{"minimal", test::minimal_handover()},	   {"example-v1", test::example_handover_v1()},
		{"small-v1", test::small_handover_v1()}, {"minimal-v1", test::minimal_handover_v1()}};
	for (const auto &[name, model] : models) {
		DYNAMIC_SECTION(name)
		{
			const auto blob = encode(model);
			REQUIRE(blob.ok());
			const KernelView kernel = check_agree(*blob);
			REQUIRE(kernel.code == "OK");
			INFO(join(field_differences(model, kernel.model)));
			CHECK(field_differences(model, kernel.model).empty());
			CHECK(kernel.model == model);
		}
	}
	// The example holds at least one of everything, so no field went
	// uncompared: 2 regions with metadata, files, a unit, domains, devices
	// with IOVA maps; and its v1 form the files' extents.
	const Handover example = example_handover();
	CHECK(example.abi_major == PKH_ABI_MAJOR);
	CHECK(example.regions.size() == 2);
	CHECK_FALSE(example.regions[0].metadata.empty());
	CHECK_FALSE(test::example_handover_v1().regions[0].files.at(0).extents.empty());
	CHECK(example.iommu_units.size() == 1);
	CHECK(example.iommu_domains.size() == 2);
	CHECK(example.devices.size() == 3);
}

TEST_CASE("both readers agree value by value on 400 random valid handovers", "[differential]")
{
	unsigned v1 = 0, files = 0, extents = 0, metadata = 0, units = 0, domains = 0, devices = 0, iova = 0;
	for (std::uint64_t seed = 1; seed <= 400; seed++) {
		const Handover model = random_handover(seed);
		INFO("seed " << seed);
		const auto blob = encode(model);
		if (!blob.ok())
			FAIL("the generator made an invalid model: " << blob.error().message());
		const KernelView kernel = check_agree(*blob);
		REQUIRE(kernel.code == "OK");
		INFO(join(field_differences(model, kernel.model)));
		CHECK(kernel.model == model);
		v1 += model.abi_major == 1;
		for (const auto &region : model.regions) {
			metadata += region.metadata.size();
			files += region.files.size();
			for (const auto &file : region.files)
				extents += file.extents.size();
		}
		units += model.iommu_units.size();
		domains += model.iommu_domains.size();
		devices += model.devices.size();
		for (const auto &device : model.devices)
			iova += device.iova_map.size();
	}
	// The generator reaches every kind of record.
	INFO(v1 << " v1 blobs, " << files << " files, " << extents << " extents, " << metadata << " metadata ranges, "
		<< units << " units, " << domains << " domains, " << devices << " devices, " << iova << " IOVA mappings");
	CHECK(v1 > 50);
	CHECK(v1 < 350);
	CHECK(files > 400);
	CHECK(extents > 100);
	CHECK(metadata > 400);
	CHECK(units > 100);
	CHECK(domains > 100);
	CHECK(devices > 100);
	CHECK(iova > 100);
}

TEST_CASE("the field comparison names exactly the field that differs", "[differential]")
{
	// A comparison that misses a field would let the readers disagree on
	// it unnoticed: change each field alone and expect exactly its path.
	// Not necessarily a valid blob: every field the edits name exists.
	Handover base = test::small_handover();
	base.regions[1].metadata = {{0, 0x3000}, {0x5000, 0x1000}};
	base.regions[1].metadata_digest[0] = 0x5a;
	while (base.regions[0].files[0].extents.size() < 4)
		base.regions[0].files[0].extents.push_back(
			{0x200000 * (base.regions[0].files[0].extents.size() + 1), 0x200000});
	const std::vector<std::pair<std::string, std::function<void(Handover &)>>> edits = {
		{"abi_major", [](Handover &h) { h.abi_major++; }},
		{"abi_minor", [](Handover &h) { h.abi_minor++; }},
		{"generation", [](Handover &h) { h.generation++; }},
		{"nonce", [](Handover &h) { h.nonce++; }},
		{"creator", [](Handover &h) { h.creator += "x"; }},
		{"regions.size", [](Handover &h) { h.regions.pop_back(); }},
		{"regions[1].base", [](Handover &h) { h.regions[1].base++; }},
		{"regions[1].size", [](Handover &h) { h.regions[1].size++; }},
		{"regions[1].block_size", [](Handover &h) { h.regions[1].block_size++; }},
		{"regions[1].fs_uuid", [](Handover &h) { h.regions[1].fs_uuid[15]++; }},
		{"regions[1].flags", [](Handover &h) { h.regions[1].flags++; }},
		{"regions[1].metadata.size", [](Handover &h) { h.regions[1].metadata.pop_back(); }},
		{"regions[1].metadata[1].region_offset", [](Handover &h) { h.regions[1].metadata[1].region_offset++; }},
		{"regions[1].metadata[1].length", [](Handover &h) { h.regions[1].metadata[1].length++; }},
		{"regions[1].metadata_digest", [](Handover &h) { h.regions[1].metadata_digest[31]++; }},
		{"regions[0].files.size", [](Handover &h) { h.regions[0].files.pop_back(); }},
		{"regions[0].files[1].name", [](Handover &h) { h.regions[0].files[1].name += "x"; }},
		{"regions[0].files[1].inode", [](Handover &h) { h.regions[0].files[1].inode++; }},
		{"regions[0].files[1].size", [](Handover &h) { h.regions[0].files[1].size++; }},
		{"regions[0].files[0].extents.size", [](Handover &h) { h.regions[0].files[0].extents.pop_back(); }},
		{"regions[0].files[0].extents[3].region_offset",
		 [](Handover &h) { h.regions[0].files[0].extents[3].region_offset++; }},
		{"regions[0].files[0].extents[3].length",
		 [](Handover &h) { h.regions[0].files[0].extents[3].length++; }},
		{"iommu_units.size", [](Handover &h) { h.iommu_units.pop_back(); }},
		{"iommu_units[0].type", [](Handover &h) { h.iommu_units[0].type++; }},
		{"iommu_units[0].reg_base", [](Handover &h) { h.iommu_units[0].reg_base++; }},
		{"iommu_units[0].segment", [](Handover &h) { h.iommu_units[0].segment++; }},
		{"iommu_units[0].root_table", [](Handover &h) { h.iommu_units[0].root_table++; }},
		{"iommu_units[0].translation_mode", [](Handover &h) { h.iommu_units[0].translation_mode++; }},
		{"iommu_units[0].table_region", [](Handover &h) { h.iommu_units[0].table_region++; }},
		{"iommu_domains.size", [](Handover &h) { h.iommu_domains.pop_back(); }},
		{"iommu_domains[1].unit", [](Handover &h) { h.iommu_domains[1].unit++; }},
		{"iommu_domains[1].domain_id", [](Handover &h) { h.iommu_domains[1].domain_id++; }},
		{"iommu_domains[1].pgtable_root", [](Handover &h) { h.iommu_domains[1].pgtable_root++; }},
		{"iommu_domains[1].format", [](Handover &h) { h.iommu_domains[1].format++; }},
		{"iommu_domains[1].levels", [](Handover &h) { h.iommu_domains[1].levels++; }},
		{"iommu_domains[1].address_width", [](Handover &h) { h.iommu_domains[1].address_width++; }},
		{"devices.size", [](Handover &h) { h.devices.pop_back(); }},
		{"devices[1].pci_address", [](Handover &h) { h.devices[1].pci_address++; }},
		{"devices[1].ids.vendor", [](Handover &h) { h.devices[1].ids.vendor++; }},
		{"devices[1].ids.device", [](Handover &h) { h.devices[1].ids.device++; }},
		{"devices[1].ids.subsystem_vendor", [](Handover &h) { h.devices[1].ids.subsystem_vendor++; }},
		{"devices[1].ids.subsystem_device", [](Handover &h) { h.devices[1].ids.subsystem_device++; }},
		{"devices[1].iommu_group", [](Handover &h) { h.devices[1].iommu_group++; }},
		{"devices[1].domain", [](Handover &h) { h.devices[1].domain++; }},
		{"devices[1].flags", [](Handover &h) { h.devices[1].flags++; }},
		{"devices[0].iova_map.size", [](Handover &h) { h.devices[0].iova_map.pop_back(); }},
		{"devices[0].iova_map[1].iova", [](Handover &h) { h.devices[0].iova_map[1].iova++; }},
		{"devices[0].iova_map[1].region", [](Handover &h) { h.devices[0].iova_map[1].region++; }},
		{"devices[0].iova_map[1].region_offset", [](Handover &h) { h.devices[0].iova_map[1].region_offset++; }},
		{"devices[0].iova_map[1].length", [](Handover &h) { h.devices[0].iova_map[1].length++; }},
		{"devices[0].iova_map[1].perm", [](Handover &h) { h.devices[0].iova_map[1].perm++; }},
	};
	CHECK(field_differences(base, base).empty());
	for (const auto &[path, edit] : edits) {
		Handover changed = base;
		edit(changed);
		INFO(path);
		CHECK(field_differences(base, changed) == std::vector<std::string>{path});
		CHECK(field_differences(changed, base) == std::vector<std::string>{path});
	}
}

TEST_CASE("both readers refuse each hostile fixture with the same code and path", "[differential]")
{
	const auto entries = pkh::test::manifest();
	std::size_t blobs = 0;
	for (const auto &file : std::filesystem::directory_iterator(data_dir() + "/bad"))
		blobs += file.path().extension() == ".blob";
	REQUIRE(entries.size() == blobs); // every hostile fixture is run
	for (const auto &entry : entries) {
		DYNAMIC_SECTION(entry.name)
		{
			const KernelView kernel = check_agree(fixture("bad/" + entry.name), entry.constraints);
			CHECK(kernel.code == entry.code);
			CHECK(kernel.where == entry.where);
			// An invalid blob publishes nothing, however late the fault.
			CHECK(kernel.callbacks == 0);
		}
	}
}

TEST_CASE("both readers agree on every single-bit flip of the small golden blobs", "[differential][mutation]")
{
	// The CRC is fixed up after each flip so the flip reaches the FDT.
	for (const char *name : {"minimal", "small", "optional-items-minor-3", "minimal-v1", "small-v1"}) {
		const Bytes golden = fixture(std::string("good/") + name);
		Tally tally;
		for (std::size_t bit = PKH_BLOB_HEADER_SIZE * 8; bit < golden.size() * 8; bit++) {
			Bytes blob = golden;
			blob[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
			fix_crc(blob);
			INFO(name << ": bit " << bit);
			tally.add(check_agree(blob));
		}
		INFO(name << ": " << tally.accepted << " accepted, " << tally.refused << " refused");
		CHECK(tally.accepted > 0);
		CHECK(tally.refused > 0);
	}
}

TEST_CASE("both readers agree on every header byte set to 0x00 and 0xff", "[differential][mutation]")
{
	const Bytes golden = fixture("good/small");
	Tally tally;
	for (std::size_t at = 0; at < PKH_BLOB_HEADER_SIZE; at++)
		for (const std::uint8_t value : {0x00, 0xff}) {
			Bytes blob = golden;
			blob[at] = value;
			INFO("byte " << at << " = " << int(value));
			tally.add(check_agree(blob));
		}
	CHECK(tally.refused > 0);
}

TEST_CASE("both readers agree on every truncation of the small golden blobs", "[differential][mutation]")
{
	for (const char *name : {"minimal", "small", "small-v1"}) {
		const Bytes golden = fixture(std::string("good/") + name);
		for (std::size_t size = 0; size < golden.size(); size++) {
			Bytes blob(golden.begin(), golden.begin() + static_cast<std::ptrdiff_t>(size));
			INFO(name << ": " << size << " bytes");
			CHECK(check_agree(blob).code == "TRUNCATED");
			// The header says so too: the payload ends where it ends.
			if (size >= PKH_BLOB_HEADER_SIZE + 40) {
				const std::uint32_t total = htole32(static_cast<std::uint32_t>(size));
				std::memcpy(blob.data() + offsetof(pkh_blob_header, total_size), &total, 4);
				fix_crc(blob);
				CHECK(check_agree(blob).code == "BAD_FDT");
			}
		}
	}
}

TEST_CASE("both readers agree on 5000 random mutants of the golden blobs", "[differential][mutation]")
{
	// Flips, byte runs, spliced FDT words and copied-over ranges, with the
	// CRC fixed; seeded, so a failure names a mutant that can be rebuilt.
	const std::vector<Bytes> goldens = {fixture("good/example"), fixture("good/small"),
					    fixture("good/optional-items-minor-3"), fixture("good/example-v1"),
					    fixture("good/small-v1")};
	Random r(0x5eed);
	Tally tally;
	for (unsigned n = 0; n < 5000; n++) {
		const Bytes &golden = goldens[n % goldens.size()];
		Bytes blob = golden;
		const std::size_t payload = blob.size() - PKH_BLOB_HEADER_SIZE;
		// The first 4 KiB: the structure, not example-v1's 2048 extents.
		const std::size_t span = std::min<std::size_t>(payload, 4096);
		for (std::uint64_t k = 1 + r.below(4); k > 0; k--) {
			const std::size_t at = PKH_BLOB_HEADER_SIZE + r.below(span);
			switch (r.below(4)) {
			case 0: blob[at] ^= static_cast<std::uint8_t>(1u << r.below(8)); break;
			case 1: blob[at] = static_cast<std::uint8_t>(r.next()); break;
			case 2: { // a small big-endian word: lengths, offsets, cells
				const std::size_t word = at & ~std::size_t{3};
				if (word + 4 <= blob.size()) {
					const std::uint32_t value = htobe32(static_cast<std::uint32_t>(r.below(64)));
					std::memcpy(blob.data() + word, &value, 4);
				}
				break;
			}
			default: { // a range copied from elsewhere in the payload
				const std::size_t length = 1 + r.below(32);
				const std::size_t from = PKH_BLOB_HEADER_SIZE + r.below(span);
				if (from + length <= blob.size() && at + length <= blob.size())
					std::memmove(blob.data() + at, blob.data() + from, length);
				break;
			}
			}
		}
		fix_crc(blob);
		INFO("mutant " << n);
		tally.add(check_agree(blob));
	}
	INFO(tally.accepted << " accepted, " << tally.refused << " refused");
	CHECK(tally.accepted > 0);
	CHECK(tally.refused > 0);
}
