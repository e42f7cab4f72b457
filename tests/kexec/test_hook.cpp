// SPDX-License-Identifier: GPL-2.0-only
//
// The extern "C" hook kexec-tools calls (kexec-ext/hook.cpp), driven the
// way the patched kexec.c drives it, without kexec-tools around it.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <endian.h>
#include <unistd.h>

#include "kernel_fixtures.hpp"
#include "pkh_kexec_hook.h"

using namespace pkh;
using namespace pkh::kexec::test;
namespace fs = std::filesystem;

namespace {

// A v2 state, as a v2 kernel's /sys/kernel/pkhandover/state prints it.
const std::string spec_text = R"({
  "abi_major": 2, "generation": 2, "nonce": "0x42", "creator": "test_hook",
  "regions": [{"base": "0x1000000000", "size": "0x40000000", "block_size": "0x200000",
               "fs_uuid": "3a9d1f0e-2b7c-4e58-9c61-0d4f2a8b7e13", "flags": ["guest-ram"],
               "metadata": [["0x0", "0x2000"], ["0x104000", "0x1000"]],
               "metadata_digest": "0d6f1e9c2a7b4c3d8e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5",
               "files": [{"name": "ram", "inode": 2, "size": "0x400000"}]}]
})";

// The same state from a kernel that still writes v1: every file's extents.
const std::string v1_spec_text = R"({
  "abi_major": 1, "generation": 2, "nonce": "0x42", "creator": "test_hook",
  "regions": [{"base": "0x1000000000", "size": "0x40000000", "block_size": "0x200000",
               "fs_uuid": "3a9d1f0e-2b7c-4e58-9c61-0d4f2a8b7e13", "flags": ["guest-ram"],
               "files": [{"name": "ram", "inode": 2, "size": "0x400000",
                          "extents": [["0x200000", "0x400000"]]}]}]
})";

struct TempDir {
	fs::path path;
	TempDir()
	{
		std::string templ = (fs::temp_directory_path() / "pkh-hook-test.XXXXXX").string();
		path = ::mkdtemp(templ.data());
	}
	~TempDir() { fs::remove_all(path); }
	std::string write(const std::string &name, const std::string &text) const
	{
		std::ofstream(path / name, std::ios::binary) << text;
		return (path / name).string();
	}
};

Bytes read_bytes(const fs::path &path)
{
	std::ifstream in(path, std::ios::binary);
	return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

Bytes expected_blob()
{
	auto model = parse_spec(spec_text);
	REQUIRE(model.ok());
	auto blob = encode(*model);
	REQUIRE(blob.ok());
	return *blob;
}

} // namespace

TEST_CASE("a locked-down kernel: only -s, or a dry run")
{
	TempDir dir;
	const std::string lockdown = (dir.path / "lockdown").string();
	::setenv(PKH_KEXEC_LOCKDOWN_ENV, lockdown.c_str(), 1);
	pkh_kexec_request live{1, nullptr, nullptr};
	pkh_kexec_request dry{1, nullptr, "out.blob"};
	for (const char *text : {"none [integrity] confidentiality\n", "none integrity [confidentiality]\n"}) {
		INFO(text);
		std::ofstream(lockdown) << text;
		CHECK(pkh_kexec_check_options(&live, 1, 0, PKH_KEXEC_SYSCALL_LOAD) == -1);
		CHECK(pkh_kexec_check_options(&live, 1, 0, PKH_KEXEC_SYSCALL_FILE) == 0);
		CHECK(pkh_kexec_check_options(&dry, 1, 0, PKH_KEXEC_SYSCALL_LOAD) == 0);
	}
	// Not locked down, or no lockdown LSM to ask: kexec_load is fine.
	std::ofstream(lockdown) << "[none] integrity confidentiality\n";
	CHECK(pkh_kexec_check_options(&live, 1, 0, PKH_KEXEC_SYSCALL_LOAD) == 0);
	fs::remove(lockdown);
	CHECK(pkh_kexec_check_options(&live, 1, 0, PKH_KEXEC_SYSCALL_LOAD) == 0);
	::unsetenv(PKH_KEXEC_LOCKDOWN_ENV);
}

namespace {

// What pkh_kexec_file_load_failed(ERR) writes to stderr.
std::string file_load_failure_text(int err, const TempDir &dir)
{
	const fs::path out = dir.path / "stderr";
	std::fflush(stderr);
	const int saved = ::dup(STDERR_FILENO);
	REQUIRE(saved >= 0);
	REQUIRE(std::freopen(out.c_str(), "w", stderr) != nullptr);
	pkh_kexec_file_load_failed(err);
	std::fflush(stderr);
	REQUIRE(::dup2(saved, STDERR_FILENO) == STDERR_FILENO);
	::close(saved);
	const Bytes bytes = read_bytes(out);
	return std::string(bytes.begin(), bytes.end());
}

} // namespace

TEST_CASE("a kexec_file_load failure is explained: lockdown and signatures")
{
	TempDir dir;
	const std::string lockdown = (dir.path / "lockdown").string();
	::setenv(PKH_KEXEC_LOCKDOWN_ENV, lockdown.c_str(), 1);
	std::ofstream(lockdown) << "none [integrity] confidentiality\n";
	const std::string locked = file_load_failure_text(EPERM, dir);
	CHECK(locked.find("locked down (integrity) and could not verify this image's signature") != std::string::npos);
	CHECK(locked.find("nothing was loaded") != std::string::npos);
	// Not locked down: EPERM is kexec_file_load's own (no CAP_SYS_BOOT).
	std::ofstream(lockdown) << "[none] integrity confidentiality\n";
	CHECK(file_load_failure_text(EPERM, dir).empty());
	const std::string forced = file_load_failure_text(EKEYREJECTED, dir);
	CHECK(forced.find("enforces kexec signatures and did not accept this image (") != std::string::npos);
	CHECK(file_load_failure_text(ENODEV, dir).find("pkernfs is not mounted") != std::string::npos);
	::unsetenv(PKH_KEXEC_LOCKDOWN_ENV);
}

TEST_CASE("option combinations")
{
	pkh_kexec_request none{};
	CHECK(pkh_kexec_check_options(&none, 1, 0, 0) == 0);
	CHECK(pkh_kexec_check_options(&none, 0, 1, 1) == 0); // plain kexec: never our business

	pkh_kexec_request spec_only{0, "spec.json", nullptr};
	CHECK(pkh_kexec_check_options(&spec_only, 1, 0, 0) == -1);
	pkh_kexec_request out_only{0, nullptr, "out.blob"};
	CHECK(pkh_kexec_check_options(&out_only, 1, 0, 0) == -1);

	pkh_kexec_request live{1, "spec.json", nullptr};
	CHECK(pkh_kexec_check_options(&live, 1, 0, 0) == 0);
	CHECK(pkh_kexec_check_options(&live, 1, 1, 0) == -1); // -p
	// -s: the kernel builds the handover of its own state, so no spec.
	CHECK(pkh_kexec_check_options(&live, 1, 0, PKH_KEXEC_SYSCALL_FILE) == -1);
	pkh_kexec_request live_kernel{1, nullptr, nullptr};
	CHECK(pkh_kexec_check_options(&live_kernel, 1, 0, PKH_KEXEC_SYSCALL_LOAD) == 0);
	CHECK(pkh_kexec_check_options(&live_kernel, 1, 0, PKH_KEXEC_SYSCALL_FILE) == 0);
	CHECK(pkh_kexec_check_options(&live_kernel, 1, 1, PKH_KEXEC_SYSCALL_FILE) == -1); // -s -p
	CHECK(pkh_kexec_check_options(&live_kernel, 0, 0, PKH_KEXEC_SYSCALL_FILE) == -1); // -s -e
	// -a could fall back to kexec_load unseen.
	CHECK(pkh_kexec_check_options(&live_kernel, 1, 0, PKH_KEXEC_SYSCALL_FILE_OR_LOAD) == -1);
	CHECK(pkh_kexec_check_options(&live, 1, 0, PKH_KEXEC_SYSCALL_FILE_OR_LOAD) == -1);
	CHECK(pkh_kexec_check_options(&live, 0, 0, 0) == -1); // -e, -u, -S
	CHECK(pkh_kexec_dry_run(&live) == 0);
	pkh_kexec_request dry{1, "spec.json", "out.blob"};
	CHECK(pkh_kexec_dry_run(&dry) == 1);
	CHECK(pkh_kexec_dry_run(&out_only) == 0);
}

TEST_CASE("prepare builds the blob of the spec for a kernel that declares support")
{
	TempDir dir;
	const std::string spec = dir.write("spec.json", spec_text);
	const Bytes image = make_bzimage(support_record(1, 2));
	pkh_kexec_request request{1, spec.c_str(), nullptr};
	pkh_kexec_blob blob{};
	REQUIRE(pkh_kexec_prepare(&request, "bzImage", image.data(), image.size(), &blob) == 0);
	REQUIRE(blob.bytes != nullptr);
	CHECK(Bytes(blob.bytes, blob.bytes + blob.size) == expected_blob());
	pkh_kexec_blob_free(&blob);
	CHECK(blob.bytes == nullptr);
	CHECK(blob.size == 0);
	pkh_kexec_blob_free(&blob); // twice is harmless
}

TEST_CASE("versions: the newest major both sides know; a v1-only kernel is refused a v2 state")
{
	TempDir dir;
	const Bytes v1_only = make_bzimage(support_record(1, 1));
	pkh_kexec_blob blob{};

	// A state from a v2 kernel (or a v3 one: the model is the same) is
	// written as v3 for a kernel that takes v3, and as v2 for one that
	// declares at most v2, so that a rollback to it keeps working.
	const std::string v2_spec = dir.write("v2.json", spec_text);
	pkh_kexec_request v2_request{1, v2_spec.c_str(), nullptr};
	const struct {
		std::uint32_t min_major, max_major, written;
	} targets[] = {{1, 2, 2}, {2, 2, 2}, {1, 3, 3}, {2, 3, 3}, {3, 3, 3}, {2, 7, 3}};
	for (const auto &target : targets) {
		CAPTURE(target.min_major, target.max_major);
		const Bytes image = make_bzimage(support_record(target.min_major, target.max_major));
		REQUIRE(pkh_kexec_prepare(&v2_request, "k", image.data(), image.size(), &blob) == 0);
		REQUIRE(blob.size >= PKH_BLOB_HEADER_SIZE);
		const auto *header = reinterpret_cast<const pkh_blob_header *>(blob.bytes);
		CHECK(le16toh(header->abi_major) == target.written);
		auto decoded = decode(std::span<const std::uint8_t>(blob.bytes, blob.size));
		REQUIRE(decoded.ok());
		CHECK(decoded->abi_major == target.written);
		REQUIRE(decoded->regions.size() == 1);
		CHECK(decoded->regions[0].files.size() == 1);
		pkh_kexec_blob_free(&blob);
	}

	// A v1-only kernel would refuse any newer blob at boot (VERSION_TOO_NEW)
	// and adopt nothing, and a v1 blob needs the extents this state lacks:
	// kexec refuses to load it at all.
	CHECK(pkh_kexec_prepare(&v2_request, "v1-only", v1_only.data(), v1_only.size(), &blob) == -1);
	CHECK(blob.bytes == nullptr);

	// An old kernel's v1 state goes as v1 to a v1-only kernel and to a
	// v1..v3 one.
	const std::string v1_spec = dir.write("v1.json", v1_spec_text);
	pkh_kexec_request v1_request{1, v1_spec.c_str(), nullptr};
	for (const Bytes &image : {v1_only, make_bzimage(support_record(1, 3))}) {
		REQUIRE(pkh_kexec_prepare(&v1_request, "k", image.data(), image.size(), &blob) == 0);
		REQUIRE(blob.size >= PKH_BLOB_HEADER_SIZE);
		const auto *header = reinterpret_cast<const pkh_blob_header *>(blob.bytes);
		CHECK(le16toh(header->abi_major) == 1);
		auto decoded = decode(std::span<const std::uint8_t>(blob.bytes, blob.size));
		REQUIRE(decoded.ok());
		CHECK(decoded->abi_major == 1);
		REQUIRE(decoded->regions.size() == 1);
		REQUIRE(decoded->regions[0].files.size() == 1);
		CHECK(decoded->regions[0].files[0].extents == std::vector<Extent>{{0x200000, 0x400000}});
		pkh_kexec_blob_free(&blob);
	}

	// A kernel that declares only v2 or later is refused a v1 state.
	for (const Bytes &image : {make_bzimage(support_record(2, 2)), make_bzimage(support_record(2, 3))})
		CHECK(pkh_kexec_prepare(&v1_request, "v2-only", image.data(), image.size(), &blob) == -1);
}

TEST_CASE("prepare fails closed")
{
	TempDir dir;
	const std::string spec = dir.write("spec.json", spec_text);
	const Bytes declares = make_bzimage(support_record(1, 2));
	pkh_kexec_blob blob{};

	const Bytes silent = make_bzimage({});
	pkh_kexec_request request{1, spec.c_str(), nullptr};
	CHECK(pkh_kexec_prepare(&request, "stock", silent.data(), silent.size(), &blob) == -1);
	CHECK(blob.bytes == nullptr);

	pkh_kexec_request no_spec{1, nullptr, nullptr};
	CHECK(pkh_kexec_prepare(&no_spec, "k", declares.data(), declares.size(), &blob) == -1);

	const std::string missing = (dir.path / "missing.json").string();
	pkh_kexec_request missing_spec{1, missing.c_str(), nullptr};
	CHECK(pkh_kexec_prepare(&missing_spec, "k", declares.data(), declares.size(), &blob) == -1);

	const std::string invalid = dir.write("invalid.json", R"({"generation": 0})");
	pkh_kexec_request invalid_spec{1, invalid.c_str(), nullptr};
	CHECK(pkh_kexec_prepare(&invalid_spec, "k", declares.data(), declares.size(), &blob) == -1);
	CHECK(blob.bytes == nullptr);
}

TEST_CASE("a dry run writes the blob, privately")
{
	TempDir dir;
	const std::string spec = dir.write("spec.json", spec_text);
	const std::string out = (dir.path / "out.blob").string();
	const Bytes image = make_elf(support_record(1, 2));
	pkh_kexec_request request{1, spec.c_str(), out.c_str()};
	pkh_kexec_blob blob{};
	REQUIRE(pkh_kexec_prepare(&request, "vmlinux", image.data(), image.size(), &blob) == 0);
	pkh_kexec_blob_free(&blob);
	CHECK(read_bytes(out) == expected_blob());
	CHECK((fs::status(out).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write));
	// Nothing else is left in the directory (no temporary file).
	CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 2);
}

TEST_CASE("segments: the blob must be attached and must not lie under a segment")
{
	TempDir dir;
	const std::string spec = dir.write("spec.json", spec_text);
	const Bytes image = make_bzimage(support_record(1, 2));
	pkh_kexec_request request{1, spec.c_str(), nullptr};
	pkh_kexec_blob blob{};
	REQUIRE(pkh_kexec_prepare(&request, "bzImage", image.data(), image.size(), &blob) == 0);

	static const char payload[] = "segment bytes";
	pkh_kexec_segment low{payload, sizeof(payload), reinterpret_cast<const void *>(0x1000000), 0x1000};
	::unsetenv(PKH_KEXEC_DUMP_ENV);
	CHECK(pkh_kexec_segments_ready(&low, 1, 1) == 0);
	CHECK(pkh_kexec_segments_ready(&low, 1, 0) == -1); // the loader did not attach it

	// The region is 0x1000000000..+1 GiB.
	pkh_kexec_segment under{payload, sizeof(payload), reinterpret_cast<const void *>(0x1000200000), 0x1000};
	pkh_kexec_segment both[2] = {low, under};
	CHECK(pkh_kexec_segments_ready(both, 2, 1) == -1);

	const std::string dump = (dir.path / "segments").string();
	::setenv(PKH_KEXEC_DUMP_ENV, dump.c_str(), 1);
	CHECK(pkh_kexec_segments_ready(&low, 1, 1) == 1);
	::unsetenv(PKH_KEXEC_DUMP_ENV);
	auto segments = parse_segment_dump(read_bytes(dump));
	REQUIRE(segments.ok());
	REQUIRE(segments->size() == 1);
	CHECK((*segments)[0].mem == 0x1000000);
	CHECK((*segments)[0].memsz == 0x1000);
	CHECK((*segments)[0].bytes == Bytes(payload, payload + sizeof(payload)));
	pkh_kexec_blob_free(&blob);
}
