// SPDX-License-Identifier: GPL-2.0-only
//
// Where blobs are found: a dtb's /chosen, the setup_data sysfs tree, files.
#include "../tools/fixture_models.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

extern "C" {
#include <libfdt.h>
}

using namespace pkh;
using namespace pkh::test;
namespace fs = std::filesystem;

namespace
{

// A dtb like arm64 kexec writes: /chosen with our property, plus noise.
Bytes dtb_with_chosen(const char *property, const void *value, int size)
{
	Bytes dtb(size + 4096);
	void *fdt = dtb.data();
	REQUIRE(fdt_create(fdt, static_cast<int>(dtb.size())) == 0);
	REQUIRE(fdt_finish_reservemap(fdt) == 0);
	REQUIRE(fdt_begin_node(fdt, "") == 0);
	REQUIRE(fdt_property_string(fdt, "compatible", "linux,dummy-virt") == 0);
	REQUIRE(fdt_begin_node(fdt, "chosen") == 0);
	REQUIRE(fdt_property_string(fdt, "bootargs", "console=ttyAMA0") == 0);
	if (property)
		REQUIRE(fdt_property(fdt, property, value, size) == 0);
	REQUIRE(fdt_end_node(fdt) == 0);
	REQUIRE(fdt_end_node(fdt) == 0);
	REQUIRE(fdt_finish(fdt) == 0);
	dtb.resize(fdt_totalsize(fdt));
	return dtb;
}

struct TempDir {
	fs::path path;
	TempDir()
	{
		char pattern[] = "/tmp/pkh-test-XXXXXX";
		REQUIRE(mkdtemp(pattern));
		path = pattern;
	}
	~TempDir() { fs::remove_all(path); }
	void write(const fs::path &relative, const std::string &text) const
	{
		fs::create_directories((path / relative).parent_path());
		std::ofstream(path / relative, std::ios::binary) << text;
	}
};

} // namespace

TEST_CASE("a blob is recovered byte-identical from a dtb's /chosen", "[sources]")
{
	const Bytes blob = *encode(small_handover());
	const Bytes dtb = dtb_with_chosen(PKH_CHOSEN_PROP, blob.data(), static_cast<int>(blob.size()));
	auto found = blob_from_dtb(dtb);
	REQUIRE(found.ok());
	CHECK(*found == blob);
	// blob_from_file_bytes tells a dtb from a raw blob by magic.
	CHECK(*blob_from_file_bytes(dtb) == blob);
	CHECK(*blob_from_file_bytes(blob) == blob);
}

TEST_CASE("dtb problems are clear errors", "[sources]")
{
	auto missing = blob_from_dtb(dtb_with_chosen(nullptr, nullptr, 0));
	REQUIRE_FALSE(missing.ok());
	CHECK(missing.error().code == ErrorCode::MISSING_PROPERTY);
	CHECK(missing.error().where == "dtb:/chosen");

	const std::uint8_t range[16] = {0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0};
	auto out_of_line = blob_from_dtb(dtb_with_chosen(PKH_CHOSEN_RANGE_PROP, range, 16));
	REQUIRE_FALSE(out_of_line.ok());
	CHECK(out_of_line.error().code == ErrorCode::UNSUPPORTED);
	CHECK(out_of_line.error().why.find("0x80000000") != std::string::npos);

	auto short_range = blob_from_dtb(dtb_with_chosen(PKH_CHOSEN_RANGE_PROP, range, 8));
	REQUIRE_FALSE(short_range.ok());
	CHECK(short_range.error().code == ErrorCode::BAD_LENGTH);

	Bytes broken = dtb_with_chosen(nullptr, nullptr, 0);
	broken.resize(broken.size() - 8);
	auto truncated = blob_from_dtb(broken);
	REQUIRE_FALSE(truncated.ok());
	CHECK(truncated.error().code == ErrorCode::BAD_FDT);
}

TEST_CASE("setup_data: the entry of our type is found among others", "[sources]")
{
	const Bytes blob = *encode(small_handover());
	TempDir sysfs;
	sysfs.write("0/type", "0x2\n");
	sysfs.write("0/data", "not ours");
	sysfs.write("1/type", "0x504b4831\n");
	sysfs.write("1/data", std::string(blob.begin(), blob.end()));
	sysfs.write("2/type", "0x9\n");
	sysfs.write("2/data", "rng seed");
	auto found = blob_from_setup_data_dir(sysfs.path);
	REQUIRE(found.ok());
	CHECK(*found == blob);
}

TEST_CASE("setup_data: absent, duplicated and malformed entries", "[sources]")
{
	TempDir none;
	none.write("0/type", "0x2\n");
	none.write("0/data", "x");
	auto missing = blob_from_setup_data_dir(none.path);
	REQUIRE_FALSE(missing.ok());
	CHECK(missing.error().code == ErrorCode::MISSING_NODE);
	CHECK(missing.error().why.find("received no handover") != std::string::npos);

	TempDir twice;
	for (const char *entry : {"0", "1"}) {
		twice.write(fs::path(entry) / "type", "0x504b4831\n");
		twice.write(fs::path(entry) / "data", "x");
	}
	auto duplicate = blob_from_setup_data_dir(twice.path);
	REQUIRE_FALSE(duplicate.ok());
	CHECK(duplicate.error().code == ErrorCode::DUPLICATE);

	TempDir garbage;
	garbage.write("0/type", "banana\n");
	auto bad_type = blob_from_setup_data_dir(garbage.path);
	REQUIRE_FALSE(bad_type.ok());
	CHECK(bad_type.error().code == ErrorCode::BAD_VALUE);
	CHECK(bad_type.error().where == (garbage.path / "0/type").string());

	auto no_dir = blob_from_setup_data_dir("/nonexistent/setup_data");
	REQUIRE_FALSE(no_dir.ok());
	CHECK(no_dir.error().code == ErrorCode::IO);
}

TEST_CASE("read_file reports I/O errors with the path", "[sources]")
{
	auto missing = util::read_file("/nonexistent/blob", util::max_blob_file_size);
	REQUIRE_FALSE(missing.ok());
	CHECK(missing.error().code == ErrorCode::IO);
	CHECK(missing.error().where == "/nonexistent/blob");
	auto directory = util::read_file("/tmp", util::max_blob_file_size);
	REQUIRE_FALSE(directory.ok());
	CHECK(directory.error().why == "is a directory");
}
