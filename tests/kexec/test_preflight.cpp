// SPDX-License-Identifier: GPL-2.0-only
//
// The pre-flight check of kexec --live-update (kexec-ext/preflight.cpp):
// it must find a kernel's support declaration in every image format it
// reads, refuse every kernel without one, and turn every malformed image
// into an error, never a crash (run under ASan/UBSan in the sanitized
// build).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>

#include "kernel_fixtures.hpp"
#include "preflight.hpp"

using namespace pkh;
using namespace pkh::kexec;
using namespace pkh::kexec::test;

namespace {

void put32(Bytes &b, std::size_t at, std::uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b.at(at + i) = std::uint8_t(v >> (8 * i));
}

Result<KernelSupport> find(const Bytes &image)
{
	return find_kernel_support(image);
}

ErrorCode code_of(const Result<KernelSupport> &r)
{
	REQUIRE_FALSE(r.ok());
	return r.error().code;
}

// Every prefix, and seeded random corruptions: an error or a result,
// never a crash or a read out of bounds.
void survives_hostile_variants(const Bytes &image)
{
	for (std::size_t n = 0; n < image.size(); n += (n < 0x300 ? 1 : 61)) {
		Bytes prefix(image.begin(), image.begin() + n);
		auto r = find(prefix);
		if (r.ok()) {
			// Only a prefix that still holds the whole record may pass.
			CHECK(r->abi_major_min >= 1);
		} else {
			CHECK_FALSE(r.error().why.empty());
		}
	}
	std::mt19937 rng(20251125);
	for (int round = 0; round < 2000; round++) {
		Bytes mutant = image;
		const int flips = 1 + int(rng() % 8);
		for (int i = 0; i < flips; i++) {
			const std::size_t at = rng() % mutant.size();
			switch (rng() % 3) {
			case 0:
				mutant[at] = std::uint8_t(rng());
				break;
			case 1:
				mutant[at] = 0xff;
				break;
			default:
				mutant[at] = 0;
			}
		}
		auto r = find(mutant);
		if (!r.ok())
			CHECK_FALSE(r.error().why.empty());
	}
}

} // namespace

TEST_CASE("bzImage: the record in kernel_info's variable data is found")
{
	auto r = find(make_bzimage(support_record(1, 1)));
	REQUIRE(r.ok());
	CHECK(r->format == KernelImageFormat::BzImage);
	CHECK(r->abi_major_min == 1);
	CHECK(r->abi_major_max == 1);
	CHECK(r->location.find("kernel_info") != std::string::npos);

	// After other variable data, at a 4-byte aligned offset.
	Bytes var(8, 0x5a);
	auto record = support_record(1, 3);
	var.insert(var.end(), record.begin(), record.end());
	auto later = find(make_bzimage(var));
	REQUIRE(later.ok());
	CHECK(later->abi_major_max == 3);

	// A larger record (a later ABI appending fields) is accepted.
	Bytes bigger = support_record(1, 1, PKH_SUPPORT_MAGIC, 24);
	bigger.resize(24, 0);
	CHECK(find(make_bzimage(bigger)).ok());
}

TEST_CASE("bzImage without a declaration is refused, naming the kernel and what is missing")
{
	const Bytes image = make_bzimage({});
	CHECK(code_of(find(image)) == ErrorCode::UNSUPPORTED);
	auto status = check_kernel_support(image, "/boot/vmlinuz-stock", PKH_ABI_MAJOR);
	REQUIRE_FALSE(status.ok());
	CHECK(status.error().where == "/boot/vmlinuz-stock");
	CHECK(status.error().why.find("kernel_info") != std::string::npos);
	CHECK(status.error().why.find("does not declare support") != std::string::npos);
	CHECK(status.error().why.find("ABI v" + std::to_string(PKH_ABI_MAJOR)) != std::string::npos);

	// Variable data that is not the record.
	CHECK(code_of(find(make_bzimage(Bytes(32, 0x11)))) == ErrorCode::UNSUPPORTED);
}

TEST_CASE("bzImage before boot protocol 2.15 has no kernel_info and is refused")
{
	auto r = find(make_bzimage(support_record(1, 1), 0x020e));
	CHECK(code_of(r) == ErrorCode::BAD_VERSION);
	CHECK(r.error().why.find("2.14") != std::string::npos);
}

TEST_CASE("the blob's major must lie in the declared range")
{
	CHECK(check_kernel_support(make_bzimage(support_record(1, 1)), "k", 1).ok());
	CHECK(check_kernel_support(make_bzimage(support_record(1, 2)), "k", 2).ok());
	auto newer_only = check_kernel_support(make_bzimage(support_record(2, 3)), "k", 1);
	REQUIRE_FALSE(newer_only.ok());
	CHECK(newer_only.error().code == ErrorCode::UNSUPPORTED);
	CHECK(newer_only.error().why.find("2..3") != std::string::npos);
	CHECK(newer_only.error().why.find("ABI v1") != std::string::npos);
	CHECK_FALSE(check_kernel_support(make_bzimage(support_record(1, 1)), "k", 2).ok());
}

TEST_CASE("malformed support records are errors")
{
	CHECK(code_of(find(make_bzimage(support_record(0, 1)))) == ErrorCode::BAD_VALUE);
	CHECK(code_of(find(make_bzimage(support_record(3, 2)))) == ErrorCode::BAD_VALUE);
	CHECK(code_of(find(make_bzimage(support_record(1, 1, PKH_SUPPORT_MAGIC, 12)))) ==
	      ErrorCode::BAD_VALUE);
	// size claims more than the variable data holds
	CHECK(code_of(find(make_bzimage(support_record(1, 1, PKH_SUPPORT_MAGIC, 64)))) ==
	      ErrorCode::BAD_VALUE);
	// the record cut short by size_total
	Bytes cut = support_record(1, 1);
	cut.resize(12);
	CHECK(code_of(find(make_bzimage(cut))) == ErrorCode::TRUNCATED);
}

TEST_CASE("bzImage headers and offsets past the end are errors")
{
	const Bytes good = make_bzimage(support_record(1, 1));

	Bytes b = good;
	put32(b, 0x268, 0xfffffff0); // kernel_info_offset past the end
	CHECK(code_of(find(b)) == ErrorCode::TRUNCATED);

	b = good;
	put32(b, 0x268, 0);
	CHECK(code_of(find(b)) == ErrorCode::UNSUPPORTED);

	b = good;
	put32(b, BZ_KERNEL_INFO, 0x12345678); // no "LToP"
	CHECK(code_of(find(b)) == ErrorCode::BAD_MAGIC);

	b = good;
	put32(b, BZ_KERNEL_INFO + 8, 0xffffffff); // size_total past the end
	CHECK(code_of(find(b)) == ErrorCode::TRUNCATED);

	b = good;
	put32(b, BZ_KERNEL_INFO + 4, 64); // size > size_total
	CHECK(code_of(find(b)) == ErrorCode::BAD_VALUE);

	b = good;
	put32(b, BZ_KERNEL_INFO + 4, 8); // header smaller than its fields
	CHECK(code_of(find(b)) == ErrorCode::BAD_VALUE);

	b = good;
	b[0x1f1] = 0xff; // setup_sects: kernel_info lands past the end
	CHECK(code_of(find(b)) == ErrorCode::TRUNCATED);

	b = good;
	b[0x1f1] = 0; // means 4 sectors: kernel_info moves, "LToP" is not there
	CHECK(code_of(find(b)) == ErrorCode::BAD_MAGIC);

	b = Bytes(good.begin(), good.begin() + 0x260); // "HdrS" but no kernel_info_offset
	CHECK(code_of(find(b)) == ErrorCode::TRUNCATED);

	survives_hostile_variants(good);
}

TEST_CASE("ELF: the note is found in PT_NOTE segments and SHT_NOTE sections")
{
	for (auto place : {NotePlace::Segment, NotePlace::Section, NotePlace::Both}) {
		auto r = find(make_elf(support_record(1, 2), place));
		REQUIRE(r.ok());
		CHECK(r->format == KernelImageFormat::Elf);
		CHECK(r->abi_major_max == 2);
	}
	auto aligned8 = find(make_elf(support_record(1, 1), NotePlace::Segment, PKH_ELF_NOTE_TYPE,
				      PKH_ELF_NOTE_NAME, true));
	CHECK(aligned8.ok());
	CHECK(find(make_elf(support_record(1, 1), NotePlace::Section))->location.find(".note.pkhandover") !=
	      std::string::npos);
}

TEST_CASE("ELF without our note is refused")
{
	CHECK(code_of(find(make_elf(std::nullopt))) == ErrorCode::UNSUPPORTED);
	CHECK(code_of(find(make_elf(support_record(1, 1), NotePlace::Both, 0x1234))) ==
	      ErrorCode::UNSUPPORTED);
	CHECK(code_of(find(make_elf(support_record(1, 1), NotePlace::Both, PKH_ELF_NOTE_TYPE,
				    "pkhandovex"))) == ErrorCode::UNSUPPORTED);
	CHECK(code_of(find(make_elf(support_record(1, 1), NotePlace::Both, PKH_ELF_NOTE_TYPE,
				    "pkhandover2"))) == ErrorCode::UNSUPPORTED);
	auto status = check_kernel_support(make_elf(std::nullopt), "vmlinux", 1);
	REQUIRE_FALSE(status.ok());
	CHECK(status.error().where == "vmlinux");
	CHECK(status.error().why.find("ELF note \"pkhandover\"") != std::string::npos);
}

TEST_CASE("malformed ELF images are errors")
{
	Bytes short_desc = support_record(1, 1);
	short_desc.resize(8);
	CHECK(code_of(find(make_elf(short_desc))) == ErrorCode::TRUNCATED);

	Bytes b = make_elf(support_record(1, 1));
	// PT_NOTE p_offset (in the first Elf64_Phdr, after the 64-byte header)
	put32(b, 64 + 8, 0x7ffffff0);
	CHECK_FALSE(find(b).ok());

	b = make_elf(support_record(1, 1), NotePlace::Section);
	put32(b, 0x28, 0xfffffff0); // e_shoff past the end
	CHECK_FALSE(find(b).ok());

	survives_hostile_variants(make_elf(support_record(1, 1), NotePlace::Both));
}

TEST_CASE("arm64 Image: the note is found in its bytes")
{
	auto r = find(make_arm64_image(support_record(1, 1)));
	REQUIRE(r.ok());
	CHECK(r->format == KernelImageFormat::Arm64Image);
	CHECK(code_of(find(make_arm64_image(std::nullopt))) == ErrorCode::UNSUPPORTED);

	Bytes b = make_arm64_image(support_record(1, 1));
	put32(b, 0x1000 + 4, 0x7fffffff); // descsz past the end
	CHECK(code_of(find(b)) == ErrorCode::TRUNCATED);

	survives_hostile_variants(make_arm64_image(support_record(1, 1)));
}

TEST_CASE("files that are no kernel image are refused")
{
	CHECK(code_of(find({})) == ErrorCode::TRUNCATED);
	CHECK(code_of(find(Bytes(100, 0))) == ErrorCode::TRUNCATED);
	CHECK(code_of(find(Bytes(1 << 20, 0))) == ErrorCode::BAD_MAGIC);
	CHECK(code_of(find(Bytes{0x7f, 'E', 'L', 'F'})) != ErrorCode::OK);
}

TEST_CASE("a real bzImage gains a declaration only through the fixture")
{
	const Bytes plain = make_bzimage({});
	auto with = add_support_to_bzimage(plain, 1, 1);
	REQUIRE(with.ok());
	CHECK(check_kernel_support(*with, "k", 1).ok());
}

TEST_CASE("a stock Debian kernel is refused")
{
	const char *path = std::getenv("PKH_STOCK_KERNEL");
	if (path == nullptr || *path == '\0') {
		WARN("PKH_STOCK_KERNEL is not set: skipped (tests/kexec/get-stock-kernel.sh finds one)");
		return;
	}
	std::ifstream in(path, std::ios::binary);
	REQUIRE(in);
	Bytes image((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
	auto status = check_kernel_support(image, path, PKH_ABI_MAJOR);
	REQUIRE_FALSE(status.ok());
	CHECK(status.error().code == ErrorCode::UNSUPPORTED);
	CHECK(status.error().where == path);
	INFO(status.error().why);
	CHECK(status.error().why.find("does not declare support") != std::string::npos);

	// The same kernel with the record added by the fixture passes.
	auto patched = add_support_to_bzimage(image, 1, 1);
	REQUIRE(patched.ok());
	CHECK(check_kernel_support(*patched, path, PKH_ABI_MAJOR).ok());
}
