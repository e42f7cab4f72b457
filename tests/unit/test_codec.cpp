// SPDX-License-Identifier: GPL-2.0-only
#include "../tools/blob_surgery.hpp"
#include "../tools/fixture_models.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

using namespace pkh;
using namespace pkh::test;

TEST_CASE("encode then decode gives back the same model, v2 and v1", "[codec]")
{
	for (const Handover &original :
	     {example_handover(), small_handover(), minimal_handover(), example_handover_v2(), small_handover_v2(),
	      minimal_handover_v2(), example_handover_v1(), small_handover_v1(), minimal_handover_v1()}) {
		auto blob = encode(original);
		REQUIRE(blob.ok());
		auto decoded = decode(*blob);
		REQUIRE(decoded.ok());
		CHECK(*decoded == original);
		CHECK(decoded->abi_major == original.abi_major);
	}
}

TEST_CASE("writers write v3 by default, and v2 or v1 when the model says so", "[codec][versioning]")
{
	CHECK(Handover{}.abi_major == PKH_ABI_MAJOR);
	CHECK(PKH_ABI_MAJOR == 3);
	for (const Handover &h : {small_handover(), small_handover_v2(), small_handover_v1()}) {
		INFO("major " << h.abi_major);
		auto blob = encode(h);
		REQUIRE(blob.ok());
		pkh_blob_header header;
		std::memcpy(&header, blob->data(), sizeof(header));
		CHECK(le16toh(header.abi_major) == h.abi_major);
		const void *fdt = blob->data() + PKH_BLOB_HEADER_SIZE;
		const char *compatible = static_cast<const char *>(fdt_getprop(fdt, 0, PKH_PROP_COMPATIBLE, nullptr));
		REQUIRE(compatible);
		CHECK(std::string(compatible) == (h.abi_major == 1   ? PKH_COMPATIBLE_V1
						  : h.abi_major == 2 ? PKH_COMPATIBLE_V2
								     : PKH_COMPATIBLE));
		// From v2 on: metadata and digest per region, no extents; v1 the
		// reverse.  v3: the iova map on the domain, not on the device.
		const int region = fdt_path_offset(fdt, "/regions/region@0");
		const int file = fdt_path_offset(fdt, "/regions/region@0/file@0");
		const int domain = fdt_path_offset(fdt, "/iommu/domain@0");
		const int device = fdt_path_offset(fdt, "/devices/device@0");
		const bool v1 = h.abi_major == 1, v3 = h.abi_major == 3;
		CHECK((fdt_getprop(fdt, region, PKH_PROP_METADATA, nullptr) != nullptr) == !v1);
		CHECK((fdt_getprop(fdt, region, PKH_PROP_METADATA_DIGEST, nullptr) != nullptr) == !v1);
		CHECK((fdt_getprop(fdt, file, PKH_PROP_EXTENTS, nullptr) != nullptr) == v1);
		CHECK((fdt_getprop(fdt, domain, PKH_PROP_IOVA_MAP, nullptr) != nullptr) == v3);
		CHECK((fdt_getprop(fdt, device, PKH_PROP_IOVA_MAP, nullptr) != nullptr) == !v3);
	}
}

TEST_CASE("v3 writes a domain's map once, however many devices share it", "[codec][versioning]")
{
	// example_handover(): vm0's two functions share domain 0.
	const Handover v3 = example_handover();
	REQUIRE(v3.devices[0].domain == v3.devices[1].domain);
	Handover v2 = v3;
	v2.abi_major = 2;
	const auto blob3 = encode(v3), blob2 = encode(v2);
	REQUIRE(blob3.ok());
	REQUIRE(blob2.ok());
	// Three device maps of one 32-byte record and a 12-byte property header
	// each, against the two domains' maps.
	CHECK(blob2->size() - blob3->size() == 12 + 32);
	auto decoded = decode(*blob3);
	REQUIRE(decoded.ok());
	CHECK(*decoded == v3);
	// The decoded devices share their domain's map rather than copy it.
	CHECK(decoded->devices[0].iova_map.shares_ranges_with(decoded->devices[1].iova_map));
	CHECK_FALSE(decoded->devices[0].iova_map.shares_ranges_with(decoded->devices[2].iova_map));
	// Changing one device's map leaves the other's alone.
	decoded->devices[0].iova_map[0].perm = PKH_IOVA_PERM_READ;
	CHECK(decoded->devices[1].iova_map[0].perm == PKH_IOVA_PERM_ALL);
}

TEST_CASE("a v1 blob decodes as v1, with its file extents (new reader, old blob)", "[codec][versioning]")
{
	auto decoded = decode(load(data_dir() + "/good/small-v1.blob"));
	REQUIRE(decoded.ok());
	CHECK(decoded->abi_major == 1);
	CHECK(decoded->regions[0].files[0].extents == small_handover_v1().regions[0].files[0].extents);
	CHECK(decoded->regions[0].metadata.empty());
	CHECK(*decoded == small_handover_v1());
}

TEST_CASE("a v2 blob decodes as v2, with its metadata ranges, digest and device maps (new reader, old blob)",
	  "[codec][versioning]")
{
	auto decoded = decode(load(data_dir() + "/good/small-v2.blob"));
	REQUIRE(decoded.ok());
	CHECK(decoded->abi_major == 2);
	CHECK(decoded->regions[0].metadata == small_handover_v2().regions[0].metadata);
	CHECK(decoded->regions[0].metadata_digest == small_handover_v2().regions[0].metadata_digest);
	CHECK(decoded->regions[0].files[0].extents.empty());
	CHECK(*decoded == small_handover_v2());
}

TEST_CASE("a v3 blob decodes as v3, each device with its domain's map", "[codec][versioning]")
{
	auto decoded = decode(load(data_dir() + "/good/example.blob"));
	REQUIRE(decoded.ok());
	CHECK(decoded->abi_major == 3);
	CHECK(*decoded == example_handover());
}

TEST_CASE("a blob of the next major (4) is VERSION_TOO_NEW, as a v3 blob is to a v2-only reader", "[codec][versioning]")
{
	// A v2-only reader (PKH_ABI_MAJOR 2) refuses a v3 blob in exactly this
	// way: the header check, before anything of the payload is read.
	for (const Handover &h : {small_handover(), small_handover_v2(), small_handover_v1()}) {
		Bytes blob = *encode(h);
		put_le16(blob, header_abi_major, PKH_ABI_MAJOR + 1);
		auto decoded = decode(blob);
		REQUIRE_FALSE(decoded.ok());
		CHECK(decoded.error().code == ErrorCode::VERSION_TOO_NEW);
		CHECK(decoded.error().where == "header.abi_major");
	}
}

TEST_CASE("a model whose items do not match its major is refused", "[codec][versioning]")
{
	struct Case {
		const char *what;
		Handover model;
		ErrorCode code;
		const char *where;
	};
	Handover v2_with_extents = small_handover();
	v2_with_extents.regions[0].files[1].extents = {{16 * MiB, 4 * MiB}};
	Handover v2_no_metadata = small_handover();
	v2_no_metadata.regions[1].metadata.clear();
	Handover v1_with_metadata = small_handover_v1();
	v1_with_metadata.regions[0].metadata = {{0, 0x1000}};
	Handover v1_with_digest = small_handover_v1();
	v1_with_digest.regions[1].metadata_digest[0] = 1;
	Handover v1_no_extents = small_handover_v1();
	v1_no_extents.regions[0].files[1].extents.clear();
	Handover major_zero = small_handover();
	major_zero.abi_major = 0;
	Handover major_four = small_handover();
	major_four.abi_major = 4;
	Handover v3_devices_disagree = example_handover();
	v3_devices_disagree.devices[1].iova_map[0].length = 2 * GiB;
	Handover v2_devices_disagree = example_handover_v2();
	v2_devices_disagree.devices[1].iova_map[0].length = 2 * GiB;
	const std::vector<Case> cases = {
		{"v2 file with extents", v2_with_extents, ErrorCode::UNKNOWN_PROPERTY,
		 "/regions/region@0/file@1/extents"},
		{"v2 region without metadata", v2_no_metadata, ErrorCode::BAD_LENGTH, "/regions/region@1/metadata"},
		{"v1 region with metadata", v1_with_metadata, ErrorCode::UNKNOWN_PROPERTY,
		 "/regions/region@0/metadata"},
		{"v1 region with a digest", v1_with_digest, ErrorCode::UNKNOWN_PROPERTY,
		 "/regions/region@1/metadata-digest"},
		{"v1 file without extents", v1_no_extents, ErrorCode::BAD_VALUE, "/regions/region@0/file@1/extents"},
		{"major 0", major_zero, ErrorCode::BAD_VERSION, "header.abi_major"},
		{"major 4", major_four, ErrorCode::BAD_VERSION, "header.abi_major"},
		{"v3 devices of one domain with different maps", v3_devices_disagree, ErrorCode::BAD_VALUE,
		 "/devices/device@1/iova-map"},
		{"v2 devices of one domain with different maps", v2_devices_disagree, ErrorCode::BAD_VALUE,
		 "/devices/device@1/iova-map"},
	};
	for (const Case &c : cases) {
		INFO(c.what);
		auto blob = encode(c.model);
		REQUIRE_FALSE(blob.ok());
		CHECK(blob.error().code == c.code);
		CHECK(blob.error().where == c.where);
	}
}

TEST_CASE("encoding is deterministic and canonical", "[codec]")
{
	auto first = encode(small_handover());
	auto second = encode(small_handover());
	REQUIRE(first.ok());
	REQUIRE(second.ok());
	CHECK(*first == *second);
	// Re-encoding a decoded blob reproduces it byte for byte.
	auto again = encode(*decode(*first));
	REQUIRE(again.ok());
	CHECK(*again == *first);
}

TEST_CASE("the header describes the payload", "[codec]")
{
	auto blob = encode(small_handover());
	REQUIRE(blob.ok());
	pkh_blob_header header;
	std::memcpy(&header, blob->data(), sizeof(header));
	CHECK(le32toh(header.magic) == PKH_BLOB_MAGIC);
	CHECK(le16toh(header.abi_major) == PKH_ABI_MAJOR);
	CHECK(le16toh(header.abi_minor) == PKH_ABI_MINOR);
	CHECK(le32toh(header.header_size) == PKH_BLOB_HEADER_SIZE);
	CHECK(le32toh(header.total_size) == blob->size());
	CHECK(le32toh(header.payload_crc32) == payload_crc(*blob));
	CHECK(header.flags == 0);
	CHECK(header.reserved == 0);
	const std::uint8_t *fdt = blob->data() + PKH_BLOB_HEADER_SIZE;
	CHECK(fdt_check_full(fdt, blob->size() - PKH_BLOB_HEADER_SIZE) == 0);
	CHECK(fdt_totalsize(fdt) == blob->size() - PKH_BLOB_HEADER_SIZE);
	CHECK(fdt_num_mem_rsv(fdt) == 0);
}

TEST_CASE("extents and IOVA maps are packed little-endian arrays", "[codec]")
{
	Handover h = small_handover_v1();
	auto blob = encode(h);
	REQUIRE(blob.ok());
	const void *fdt = blob->data() + PKH_BLOB_HEADER_SIZE;
	int length = 0;
	const auto *extents = static_cast<const std::uint8_t *>(
		fdt_getprop(fdt, fdt_path_offset(fdt, "/regions/region@0/file@0"), PKH_PROP_EXTENTS, &length));
	REQUIRE(extents);
	REQUIRE(length == 4 * 16);
	// Third extent: offset 8 MiB, length 2 MiB, little-endian.
	std::uint64_t offset, size;
	std::memcpy(&offset, extents + 32, 8);
	std::memcpy(&size, extents + 40, 8);
	CHECK(le64toh(offset) == 8 * MiB);
	CHECK(le64toh(size) == 2 * MiB);
	const auto *maps = static_cast<const std::uint8_t *>(
		fdt_getprop(fdt, fdt_path_offset(fdt, "/devices/device@0"), PKH_PROP_IOVA_MAP, &length));
	REQUIRE(length == 2 * 32);
	std::uint32_t perm;
	std::memcpy(&perm, maps + 32 + 28, 4);
	CHECK(le32toh(perm) == PKH_IOVA_PERM_READ);
}

TEST_CASE("metadata ranges are packed little-endian records, the digest raw bytes", "[codec]")
{
	Handover h = small_handover();
	auto blob = encode(h);
	REQUIRE(blob.ok());
	const void *fdt = blob->data() + PKH_BLOB_HEADER_SIZE;
	const int region = fdt_path_offset(fdt, "/regions/region@0");
	int length = 0;
	const auto *ranges = static_cast<const std::uint8_t *>(fdt_getprop(fdt, region, PKH_PROP_METADATA, &length));
	REQUIRE(ranges);
	REQUIRE(static_cast<std::size_t>(length) == 16 * h.regions[0].metadata.size());
	for (std::size_t k = 0; k < h.regions[0].metadata.size(); k++) {
		std::uint64_t offset, size;
		std::memcpy(&offset, ranges + 16 * k, 8);
		std::memcpy(&size, ranges + 16 * k + 8, 8);
		CHECK(le64toh(offset) == h.regions[0].metadata[k].region_offset);
		CHECK(le64toh(size) == h.regions[0].metadata[k].length);
	}
	const auto *digest =
		static_cast<const std::uint8_t *>(fdt_getprop(fdt, region, PKH_PROP_METADATA_DIGEST, &length));
	REQUIRE(digest);
	REQUIRE(length == PKH_METADATA_DIGEST_SIZE);
	CHECK(std::equal(digest, digest + length, h.regions[0].metadata_digest.begin()));
}

TEST_CASE("a v2 guest's blob does not grow with its RAM", "[codec]")
{
	Handover small = minimal_handover(), large = minimal_handover();
	small.regions[0].files.push_back({"guest", 2, 1 * GiB, {}});
	small.regions[0].size = 2 * GiB;
	large.regions[0].files.push_back({"guest", 2, 1024 * GiB, {}});
	large.regions[0].size = 1025 * GiB;
	auto small_blob = encode(small), large_blob = encode(large);
	REQUIRE(small_blob.ok());
	REQUIRE(large_blob.ok());
	CHECK(small_blob->size() == large_blob->size());
	CHECK(large_blob->size() < 1024);
}

TEST_CASE("a large v1 guest costs at most 16 bytes per extent", "[codec]")
{
	Handover h = minimal_handover_v1();
	h.regions[0].size = 64 * GiB;
	PkernfsFile file{"big", 2, 64 * GiB, {}};
	for (std::uint64_t offset = 0; offset < 64 * GiB; offset += 2 * MiB)
		file.extents.push_back({offset, 2 * MiB});
	h.regions[0].files.push_back(file);
	auto blob = encode(h);
	REQUIRE(blob.ok());
	const std::size_t extents = file.extents.size();
	CHECK(extents == 32768);
	CHECK(blob->size() - extents * 16 < 1024); // everything but the array is tiny
	CHECK(static_cast<double>(blob->size()) / static_cast<double>(extents) <= 16.05);
}

TEST_CASE("encode refuses an invalid model with the validator's error", "[codec]")
{
	Handover h = small_handover();
	h.regions[1].base = h.regions[0].base;
	auto blob = encode(h);
	REQUIRE_FALSE(blob.ok());
	CHECK(blob.error().code == ErrorCode::OVERLAP);
	auto status = validate(h);
	REQUIRE_FALSE(status.ok());
	CHECK(status.error().where == blob.error().where);
}

TEST_CASE("optional items of a later minor version are skipped", "[codec]")
{
	Bytes blob = FdtEditor(*encode(small_handover()))
			     .set_u32("/", "opt-new-root", 1)
			     .add_node("/devices/device@1", "opt-new-child")
			     .blob();
	put_le16(blob, header_abi_minor, 9);
	fix_crc(blob);
	auto decoded = decode(blob);
	REQUIRE(decoded.ok());
	CHECK(decoded->abi_minor == 9);
	Handover expected = small_handover();
	expected.abi_minor = 9;
	CHECK(*decoded == expected);
}

TEST_CASE("devices without /iommu fail on their domain reference", "[codec]")
{
	Bytes blob = *encode(small_handover());
	FdtEditor editor(blob);
	editor.remove_node("/iommu");
	auto decoded = decode(editor.blob());
	REQUIRE_FALSE(decoded.ok());
	CHECK(decoded.error().code == ErrorCode::BAD_REFERENCE);
	CHECK(decoded.error().where == "/devices/device@0/domain");
}
