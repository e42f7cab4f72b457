// SPDX-License-Identifier: GPL-2.0-only
//
// Pins every ABI value: a change here is an ABI change and must come with a
// version bump (see the versioning rules in abi.h).
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstring>
#include <pkhandover/abi.h>
#include <pkhandover/errors.h>

TEST_CASE("blob header layout is pinned", "[abi]")
{
	CHECK(sizeof(pkh_blob_header) == 32);
	CHECK(offsetof(pkh_blob_header, magic) == 0);
	CHECK(offsetof(pkh_blob_header, abi_major) == 4);
	CHECK(offsetof(pkh_blob_header, abi_minor) == 6);
	CHECK(offsetof(pkh_blob_header, header_size) == 8);
	CHECK(offsetof(pkh_blob_header, total_size) == 12);
	CHECK(offsetof(pkh_blob_header, payload_crc32) == 16);
	CHECK(offsetof(pkh_blob_header, flags) == 20);
	CHECK(offsetof(pkh_blob_header, reserved) == 24);
}

TEST_CASE("packed records are pinned", "[abi]")
{
	CHECK(sizeof(pkh_extent) == 16);
	CHECK(offsetof(pkh_extent, region_offset) == 0);
	CHECK(offsetof(pkh_extent, length) == 8);
	CHECK(sizeof(pkh_iova_mapping) == 32);
	CHECK(offsetof(pkh_iova_mapping, iova) == 0);
	CHECK(offsetof(pkh_iova_mapping, region_offset) == 8);
	CHECK(offsetof(pkh_iova_mapping, length) == 16);
	CHECK(offsetof(pkh_iova_mapping, region) == 24);
	CHECK(offsetof(pkh_iova_mapping, perm) == 28);
	CHECK(sizeof(pkh_kernel_support) == 16);
	CHECK(offsetof(pkh_kernel_support, abi_major_min) == 8);
}

TEST_CASE("identifiers and delivery constants are pinned", "[abi]")
{
	CHECK(PKH_ABI_MAJOR == 1);
	CHECK(std::strcmp(PKH_COMPATIBLE, "pkhandover,v1") == 0);
	CHECK(PKH_BLOB_MAGIC == 0x4f484b50u);
	CHECK(std::memcmp("PKHO", "\x50\x4b\x48\x4f", 4) == 0);
	CHECK(PKH_SETUP_DATA_TYPE == 0x504b4831u);
	// Not an upstream setup_data type (1..10, 10 is KHO) and not SETUP_INDIRECT.
	CHECK(PKH_SETUP_DATA_TYPE > 10);
	CHECK((PKH_SETUP_DATA_TYPE & 0x80000000u) == 0);
	CHECK(std::strcmp(PKH_CHOSEN_PROP, "linux,pkhandover") == 0);
	CHECK(std::strcmp(PKH_CHOSEN_RANGE_PROP, "linux,pkhandover-range") == 0);
	CHECK(PKH_SUPPORT_MAGIC == 0x53484b50u);
	CHECK(std::strcmp(PKH_ELF_NOTE_NAME, "pkhandover") == 0);
	CHECK(PKH_MAX_BLOB_SIZE == 64u << 20);
	CHECK(PKH_REGION_ALIGN == 2u << 20);
	CHECK(PKH_PCI_ADDRESS(0x1, 0x3b, 0x1f, 7) == 0x13bffu);
	CHECK(PKH_PCI_DEVICE(0x13bffu) == 0x1f);
}

TEST_CASE("error codes are stable", "[abi]")
{
	CHECK(PKH_ERR_OK == 0);
	CHECK(PKH_ERR_TRUNCATED == 1);
	CHECK(PKH_ERR_BAD_CRC == 8);
	CHECK(PKH_ERR_NO_MEMORY == 31);
	CHECK(PKH_ERR_COUNT == 32);
}
