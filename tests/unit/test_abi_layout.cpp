// SPDX-License-Identifier: GPL-2.0-only
//
// The ABI as bytes.  Every ABI value is pinned at compile time below, so a
// change to abi.h or errors.h fails the build of the tests and must come
// with a version bump (see the versioning rules in abi.h).  The test cases
// then read blobs the encoder produced and check that each field sits at
// the byte offset, width and byte order the ABI documents, that the C
// structs of abi.h read the same bytes back, and that the identifiers
// (magic, compatible, setup_data type) are the documented bytes.
#include "../tools/fixture_models.hpp"

#include <catch2/catch.hpp>

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

#include <endian.h>
#include <zlib.h>

extern "C" {
#include <libfdt.h>
}

using namespace pkh;

// ---------------------------------------------------------- pinned values

static_assert(PKH_ABI_MAJOR == 3);
static_assert(PKH_ABI_MAJOR_OLDEST == 1);
static_assert(PKH_ABI_MINOR == 0);
static_assert(PKH_BLOB_MAGIC == 0x4f484b50u);
static_assert(PKH_BLOB_HEADER_SIZE == 32);
static_assert(std::string_view(PKH_COMPATIBLE) == "pkhandover,v3");
static_assert(std::string_view(PKH_COMPATIBLE_V2) == "pkhandover,v2");
static_assert(std::string_view(PKH_COMPATIBLE_V1) == "pkhandover,v1");
static_assert(std::string_view(PKH_PROP_METADATA) == "metadata");
static_assert(std::string_view(PKH_PROP_METADATA_DIGEST) == "metadata-digest");
static_assert(std::string_view(PKH_PROP_EXTENTS) == "extents");
static_assert(PKH_MAX_METADATA_RANGES == 4096);
static_assert(PKH_METADATA_DIGEST_SIZE == 32);
static_assert(PKH_PAGE_SIZE == 4096);
static_assert(std::string_view(PKH_COMPATIBLE_PREFIX) == "pkhandover,v");
static_assert(PKH_SETUP_DATA_TYPE == 0x504b4831u);
// Not an upstream setup_data type (1..10, 10 is KHO) and not SETUP_INDIRECT.
static_assert(PKH_SETUP_DATA_TYPE > 10 && (PKH_SETUP_DATA_TYPE & 0x80000000u) == 0);
static_assert(std::string_view(PKH_CHOSEN_PROP) == "linux,pkhandover");
static_assert(std::string_view(PKH_CHOSEN_RANGE_PROP) == "linux,pkhandover-range");
static_assert(PKH_SUPPORT_MAGIC == 0x53484b50u);
static_assert(std::string_view(PKH_ELF_NOTE_NAME) == "pkhandover");
static_assert(PKH_MAX_BLOB_SIZE == 64u << 20);
static_assert(PKH_REGION_ALIGN == 2u << 20);
static_assert(PKH_PCI_ADDRESS(0x1, 0x3b, 0x1f, 7) == 0x13bffu);
static_assert(PKH_PCI_SEGMENT(0x13bffu) == 1 && PKH_PCI_BUS(0x13bffu) == 0x3b && PKH_PCI_DEVICE(0x13bffu) == 0x1f &&
	      PKH_PCI_FUNCTION(0x13bffu) == 7);
// The record layouts, as the readers and writers of other languages and
// kernels see them (abi.h asserts only the sizes).
static_assert(offsetof(pkh_blob_header, magic) == 0 && offsetof(pkh_blob_header, abi_major) == 4 &&
	      offsetof(pkh_blob_header, abi_minor) == 6 && offsetof(pkh_blob_header, header_size) == 8 &&
	      offsetof(pkh_blob_header, total_size) == 12 && offsetof(pkh_blob_header, payload_crc32) == 16 &&
	      offsetof(pkh_blob_header, flags) == 20 && offsetof(pkh_blob_header, reserved) == 24);
static_assert(offsetof(pkh_extent, region_offset) == 0 && offsetof(pkh_extent, length) == 8);
static_assert(offsetof(pkh_iova_mapping, iova) == 0 && offsetof(pkh_iova_mapping, region_offset) == 8 &&
	      offsetof(pkh_iova_mapping, length) == 16 && offsetof(pkh_iova_mapping, region) == 24 &&
	      offsetof(pkh_iova_mapping, perm) == 28);
static_assert(offsetof(pkh_kernel_support, magic) == 0 && offsetof(pkh_kernel_support, size) == 4 &&
	      offsetof(pkh_kernel_support, abi_major_min) == 8 && offsetof(pkh_kernel_support, abi_major_max) == 12);
static_assert(PKH_ERR_OK == 0 && PKH_ERR_TRUNCATED == 1 && PKH_ERR_BAD_CRC == 8 && PKH_ERR_NO_MEMORY == 31 &&
	      PKH_ERR_COUNT == 32);

namespace
{

std::uint64_t le_at(const std::uint8_t *p, std::size_t width)
{
	std::uint64_t value = 0;
	for (std::size_t i = width; i-- > 0;)
		value = value << 8 | p[i];
	return value;
}

std::uint64_t be_at(const std::uint8_t *p, std::size_t width)
{
	std::uint64_t value = 0;
	for (std::size_t i = 0; i < width; i++)
		value = value << 8 | p[i];
	return value;
}

// The bytes of property `name` of node `path` in the blob's FDT.
std::string_view property(const Bytes &blob, const char *path, const char *name)
{
	const void *fdt = blob.data() + PKH_BLOB_HEADER_SIZE;
	const int node = fdt_path_offset(fdt, path);
	REQUIRE(node >= 0);
	int length = 0;
	const void *value = fdt_getprop(fdt, node, name, &length);
	REQUIRE(value != nullptr);
	return {static_cast<const char *>(value), static_cast<std::size_t>(length)};
}

const std::uint8_t *u8(std::string_view bytes)
{
	return reinterpret_cast<const std::uint8_t *>(bytes.data());
}

// small_handover() (v2) or small_handover_v1() with values that tell the
// fields of a record apart.
Handover distinct_handover(std::uint16_t major = PKH_ABI_MAJOR)
{
	Handover h = major == 1 ? test::small_handover_v1() : test::small_handover();
	h.abi_minor = 0x0203;
	h.regions[1].flags = PKH_REGION_F_ALL; // so an IOVA map may use region 1
	h.devices[1].iova_map = {{0x0000000a00000000ull, 1, 0x3000, 0x2000, PKH_IOVA_PERM_READ}};
	return h;
}

} // namespace

TEST_CASE("the encoder writes each header field at its documented offset", "[abi]")
{
	const auto blob = encode(distinct_handover());
	REQUIRE(blob.ok());
	const std::uint8_t *b = blob->data();

	// The documented layout: field, offset, width; little-endian; the
	// fields tile the 32 bytes and the FDT follows.
	struct Field {
		const char *name;
		std::size_t offset, width;
		std::uint64_t value;
	};
	const std::uint32_t crc = static_cast<std::uint32_t>(
		crc32(0, b + PKH_BLOB_HEADER_SIZE, static_cast<uInt>(blob->size() - PKH_BLOB_HEADER_SIZE)));
	const Field fields[] = {
		{"magic", 0, 4, PKH_BLOB_MAGIC},
		{"abi_major", 4, 2, PKH_ABI_MAJOR},
		{"abi_minor", 6, 2, 0x0203},
		{"header_size", 8, 4, 32},
		{"total_size", 12, 4, blob->size()},
		{"payload_crc32", 16, 4, crc},
		{"flags", 20, 4, 0},
		{"reserved", 24, 8, 0},
	};
	std::size_t next = 0;
	for (const auto &field : fields) {
		INFO(field.name);
		CHECK(field.offset == next);
		CHECK(le_at(b + field.offset, field.width) == field.value);
		next = field.offset + field.width;
	}
	CHECK(next == PKH_BLOB_HEADER_SIZE);
	CHECK(std::memcmp(b, "PKHO", 4) == 0);
	CHECK(be_at(b + PKH_BLOB_HEADER_SIZE, 4) == FDT_MAGIC);

	// struct pkh_blob_header reads the same values from the same bytes.
	pkh_blob_header header;
	std::memcpy(&header, b, sizeof(header));
	CHECK(le32toh(header.magic) == PKH_BLOB_MAGIC);
	CHECK(le16toh(header.abi_major) == 3);
	CHECK(le16toh(header.abi_minor) == 0x0203);
	CHECK(le32toh(header.header_size) == 32);
	CHECK(le32toh(header.total_size) == blob->size());
	CHECK(le32toh(header.payload_crc32) == crc);
	CHECK(header.flags == 0);
	CHECK(header.reserved == 0);
}

TEST_CASE("a v1 blob's header says major 1 and its compatible pkhandover,v1", "[abi]")
{
	const auto blob = encode(distinct_handover(1));
	REQUIRE(blob.ok());
	CHECK(le_at(blob->data() + 4, 2) == 1);
	CHECK(property(*blob, "/", PKH_PROP_COMPATIBLE) == std::string_view("pkhandover,v1\0", 14));
}

// The property bytes @records are the struct pkh_extent records of @want,
// at the documented offsets and through the struct alike.
static void check_extent_records(std::string_view records, const std::vector<Extent> &want)
{
	REQUIRE(records.size() == 16 * want.size());
	for (std::size_t k = 0; k < want.size(); k++) {
		INFO("record " << k);
		const std::uint8_t *record = u8(records) + 16 * k;
		CHECK(le_at(record + 0, 8) == want[k].region_offset);
		CHECK(le_at(record + 8, 8) == want[k].length);
		pkh_extent e;
		std::memcpy(&e, record, sizeof(e));
		CHECK(le64toh(e.region_offset) == want[k].region_offset);
		CHECK(le64toh(e.length) == want[k].length);
	}
}

TEST_CASE("metadata ranges are struct pkh_extent records, the digest its 32 bytes", "[abi]")
{
	const Handover model = distinct_handover();
	const auto blob = encode(model);
	REQUIRE(blob.ok());
	for (std::size_t r = 0; r < model.regions.size(); r++) {
		const std::string path = "/regions/region@" + std::to_string(r);
		const auto &region = model.regions[r];
		INFO(path);
		check_extent_records(property(*blob, path.c_str(), PKH_PROP_METADATA), region.metadata);
		const auto digest = property(*blob, path.c_str(), PKH_PROP_METADATA_DIGEST);
		REQUIRE(digest.size() == PKH_METADATA_DIGEST_SIZE);
		CHECK(std::memcmp(digest.data(), region.metadata_digest.data(), PKH_METADATA_DIGEST_SIZE) == 0);
	}
}

TEST_CASE("v1 extents and IOVA maps are packed little-endian records at the documented offsets", "[abi]")
{
	const Handover model = distinct_handover(1);
	const auto blob = encode(model);
	REQUIRE(blob.ok());

	check_extent_records(property(*blob, "/regions/region@0/file@0", PKH_PROP_EXTENTS),
			     model.regions[0].files[0].extents);

	// v1 and v2 write each device's map on the device, v3 once on its
	// domain (device n is on domain n here).
	const Handover v3_model = distinct_handover();
	const auto v3_blob = encode(v3_model);
	REQUIRE(v3_blob.ok());
	const void *v3_fdt = v3_blob->data() + PKH_BLOB_HEADER_SIZE;
	CHECK(fdt_getprop(v3_fdt, fdt_path_offset(v3_fdt, "/devices/device@0"), PKH_PROP_IOVA_MAP, nullptr) ==
	      nullptr);
	struct Place {
		const Bytes &blob;
		const Handover &model;
		const char *path;
	};
	for (const Place &place : {Place{*blob, model, "/devices/device@0"}, Place{*blob, model, "/devices/device@1"},
				   Place{*v3_blob, v3_model, "/iommu/domain@0"},
				   Place{*v3_blob, v3_model, "/iommu/domain@1"}}) {
		const char *path = place.path;
		const auto map = property(place.blob, path, PKH_PROP_IOVA_MAP);
		const auto &device = place.model.devices[path[std::strlen(path) - 1] - '0'];
		REQUIRE(map.size() == 32 * device.iova_map.size());
		for (std::size_t k = 0; k < device.iova_map.size(); k++) {
			INFO(path << " mapping " << k);
			const auto &m = device.iova_map[k];
			const std::uint8_t *record = u8(map) + 32 * k;
			CHECK(le_at(record + 0, 8) == m.iova);
			CHECK(le_at(record + 8, 8) == m.region_offset);
			CHECK(le_at(record + 16, 8) == m.length);
			CHECK(le_at(record + 24, 4) == m.region);
			CHECK(le_at(record + 28, 4) == m.perm);
			pkh_iova_mapping s;
			std::memcpy(&s, record, sizeof(s));
			CHECK(le64toh(s.iova) == m.iova);
			CHECK(le64toh(s.region_offset) == m.region_offset);
			CHECK(le64toh(s.length) == m.length);
			CHECK(le32toh(s.region) == m.region);
			CHECK(le32toh(s.perm) == m.perm);
		}
	}
}

TEST_CASE("the root and scalar properties are the documented bytes", "[abi]")
{
	const Handover model = distinct_handover();
	const auto blob = encode(model);
	REQUIRE(blob.ok());

	// compatible: "pkhandover,v" and the header's major, NUL-terminated.
	const auto compatible = property(*blob, "/", PKH_PROP_COMPATIBLE);
	CHECK(compatible == std::string_view("pkhandover,v3\0", 14));
	CHECK(compatible.substr(0, 12) == PKH_COMPATIBLE_PREFIX);
	CHECK(compatible.substr(12) == std::to_string(le_at(blob->data() + 4, 2)) + std::string(1, '\0'));

	// u64 and u32 are big-endian cells.
	const auto generation = property(*blob, "/", PKH_PROP_GENERATION);
	CHECK(generation.size() == 8);
	CHECK(be_at(u8(generation), 8) == model.generation);
	const auto nonce = property(*blob, "/", PKH_PROP_NONCE);
	CHECK(nonce == std::string_view("\x01\x23\x45\x67\x89\xab\xcd\xef", 8));
	const auto block_size = property(*blob, "/regions/region@0", PKH_PROP_BLOCK_SIZE);
	CHECK(block_size == std::string_view("\x00\x20\x00\x00", 4));
	const auto ids = property(*blob, "/devices/device@0", PKH_PROP_PCI_IDS);
	CHECK(ids == std::string_view("\x00\x00\x12\x34\x00\x00\x11\xe8\x00\x00\x1a\xf4\x00\x00\x11\x00", 16));
	const auto uuid = property(*blob, "/regions/region@0", PKH_PROP_FS_UUID);
	CHECK(uuid == std::string_view("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10", 16));
	const auto creator = property(*blob, "/", PKH_PROP_CREATOR);
	CHECK(creator == std::string_view("pkhandover tests\0", 17));
}

TEST_CASE("list entries are named <kind>@<index in lower-case hex>", "[abi]")
{
	Handover h = test::minimal_handover();
	h.regions[0].size = 2 * test::MiB;
	for (unsigned i = 1; i < 27; i++) {
		PkernfsRegion region = h.regions[0];
		region.base = h.regions[0].base + 4 * test::MiB * i;
		h.regions.push_back(region);
	}
	const auto blob = encode(h);
	REQUIRE(blob.ok());
	const void *fdt = blob->data() + PKH_BLOB_HEADER_SIZE;
	CHECK(fdt_path_offset(fdt, "/regions/region@9") >= 0);
	CHECK(fdt_path_offset(fdt, "/regions/region@a") >= 0);
	CHECK(fdt_path_offset(fdt, "/regions/region@1a") >= 0);
	CHECK(fdt_path_offset(fdt, "/regions/region@1b") == -FDT_ERR_NOTFOUND);
	CHECK(fdt_path_offset(fdt, "/regions/region@A") == -FDT_ERR_NOTFOUND);
	CHECK(fdt_path_offset(fdt, "/regions/region@10") >= 0);
	CHECK(fdt_path_offset(fdt, "/regions/region@16") >= 0);
}

TEST_CASE("identifiers are the bytes their names say", "[abi]")
{
	// "PKH1" as a big-endian u32; "PKHS" and "PKHO" little-endian.
	const std::uint32_t setup_type = htobe32(PKH_SETUP_DATA_TYPE);
	CHECK(std::memcmp(&setup_type, "PKH1", 4) == 0);
	const std::uint32_t support = htole32(PKH_SUPPORT_MAGIC);
	CHECK(std::memcmp(&support, "PKHS", 4) == 0);
	const std::uint32_t magic = htole32(PKH_BLOB_MAGIC);
	CHECK(std::memcmp(&magic, "PKHO", 4) == 0);
	CHECK(PKH_ELF_NOTE_TYPE == PKH_SETUP_DATA_TYPE);

	// A support record as a kernel image carries it, read through the struct.
	const std::uint8_t record[16] = {'P', 'K', 'H', 'S', 16, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0};
	pkh_kernel_support s;
	std::memcpy(&s, record, sizeof(s));
	CHECK(le32toh(s.magic) == PKH_SUPPORT_MAGIC);
	CHECK(le32toh(s.size) == sizeof(s));
	CHECK(le32toh(s.abi_major_min) == 1);
	CHECK(le32toh(s.abi_major_max) == 3);
}

TEST_CASE("error codes keep their numbers", "[abi]")
{
	// Codes are reported by number (the kernel's sysfs, the CLI's JSON).
	const char *const names[] = {
		"OK",
		"TRUNCATED",
		"SIZE_MISMATCH",
		"BAD_MAGIC",
		"BAD_VERSION",
		"VERSION_TOO_NEW",
		"BAD_HEADER",
		"TOO_LARGE",
		"BAD_CRC",
		"BAD_FDT",
		"BAD_COMPATIBLE",
		"MISSING_NODE",
		"MISSING_PROPERTY",
		"BAD_LENGTH",
		"BAD_VALUE",
		"UNKNOWN_NODE",
		"UNKNOWN_PROPERTY",
		"BAD_NODE_NAME",
		"TOO_MANY",
		"ZERO_SIZE",
		"UNALIGNED",
		"OVERFLOW",
		"OVERLAP",
		"OUT_OF_BOUNDS",
		"BAD_REFERENCE",
		"DUPLICATE",
		"NOT_SORTED",
		"LOW_MEMORY",
		"OUTSIDE_RAM",
		"CONFLICT",
		"UNSUPPORTED",
		"NO_MEMORY",
	};
	static_assert(std::size(names) == PKH_ERR_COUNT);
	for (int code = 0; code < PKH_ERR_COUNT; code++) {
		INFO("code " << code);
		CHECK(std::string(error_name(static_cast<ErrorCode>(code))) == names[code]);
	}
}
