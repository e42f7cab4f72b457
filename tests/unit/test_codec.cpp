// SPDX-License-Identifier: GPL-2.0-only
#include "../tools/blob_surgery.hpp"
#include "../tools/fixture_models.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

using namespace pkh;
using namespace pkh::test;

TEST_CASE("encode then decode gives back the same model", "[codec]")
{
	for (const Handover &original : {example_handover(), small_handover(), minimal_handover()}) {
		auto blob = encode(original);
		REQUIRE(blob.ok());
		auto decoded = decode(*blob);
		REQUIRE(decoded.ok());
		CHECK(*decoded == original);
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
	Handover h = small_handover();
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

TEST_CASE("a large guest costs at most 16 bytes per extent", "[codec]")
{
	Handover h = minimal_handover();
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
