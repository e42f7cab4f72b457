// SPDX-License-Identifier: GPL-2.0-only
//
// The kernel-C encoder (pkh_encode.c) against libpkhandover's encode().  A
// kernel that builds its own handover (kexec_file_load, issue 12) must
// write, for the same state, the very bytes the library writes: the good
// fixtures, the fixture models in v2 and v3, and the bench's 1 TiB guest
// with 256 devices.  Bad states give -EINVAL, a short buffer -ENOSPC and
// no write past it (ASan build).
#include "kernel_encode.hpp"
#include "test_support.hpp"

#include "../bench/guest_model.hpp"
#include "../tools/fixture_models.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

using namespace pkh;
using pkh::kencode::Encoded;
using pkh::kencode::kernel_encode;
using pkh::kencode::KernelState;

namespace
{

// The kernel's blob of `h` is the library's, byte for byte, and the bound
// covers it.
void check_same_bytes(const Handover &h)
{
	const auto library = encode(h);
	INFO((library.ok() ? std::string("encoded") : library.error().message()));
	REQUIRE(library.ok());
	const Encoded kernel = kernel_encode(h);
	REQUIRE(kernel.status == 0);
	CHECK(kernel.blob.size() <= kernel.bound);
	CHECK(kernel.blob.size() == library->size());
	CHECK(kernel.blob == *library);
}

// pkh_encode() of `state` into a heap buffer of exactly `size` bytes
// (malloc's alignment is enough for libfdt), so ASan sees a write past it.
int encode_into(const pkh_state &state, std::size_t size, Bytes *out = nullptr)
{
	void *buffer = std::malloc(size ? size : 1);
	REQUIRE(buffer);
	std::size_t length = 0;
	const int status = pkh_encode(&state, buffer, size, &length);
	if (status == 0 && out) {
		const auto *bytes = static_cast<const std::uint8_t *>(buffer);
		out->assign(bytes, bytes + length);
	}
	std::free(buffer);
	return status;
}

} // namespace

TEST_CASE("kernel encode: every good v2 and v3 fixture, byte for byte", "[kernel-encode]")
{
	unsigned compared = 0;
	for (const auto &entry : std::filesystem::directory_iterator(test::data_dir() + "/good")) {
		if (entry.path().extension() != ".blob")
			continue;
		const Bytes file = test::load(entry.path().string());
		const auto model = decode(file);
		INFO(entry.path().filename().string());
		REQUIRE(model.ok());
		if (model->abi_major < 2)
			continue;
		const auto library = encode(*model);
		REQUIRE(library.ok());
		const Encoded kernel = kernel_encode(*model);
		REQUIRE(kernel.status == 0);
		CHECK(kernel.blob == *library);
		// The optional items of a newer minor are read past, not kept:
		// the other fixtures are what encode() wrote, byte for byte.
		if (entry.path().filename().string().rfind("optional-items-", 0) != 0)
			CHECK(kernel.blob == file);
		compared++;
	}
	CHECK(compared == 8); // four v3 fixtures and their v2 counterparts
}

TEST_CASE("kernel encode: the fixture models in v2 and v3", "[kernel-encode]")
{
	for (const Handover &h : {test::small_handover_v2(), test::small_handover(), test::minimal_handover_v2(),
				  test::minimal_handover(), test::example_handover_v2(), pkh::example_handover()}) {
		INFO("major " << h.abi_major << ", creator " << h.creator);
		check_same_bytes(h);
	}
}

TEST_CASE("kernel encode: the bench's guests, 1 GiB to 1 TiB, 256 devices", "[kernel-encode]")
{
	for (std::uint16_t major : {2, 3}) {
		for (const bench::Shape &shape : {bench::full_guest, bench::small_fixed, bench::large_fixed}) {
			INFO("major " << major << ", " << shape.guest_ram << " bytes of guest RAM, " << shape.devices
				      << " devices");
			check_same_bytes(bench::make_guest(shape, major));
		}
	}
	// The 1 TiB guest's v3 blob, as docs/BENCHMARKS.md gives it.
	CHECK(kernel_encode(bench::make_guest(bench::full_guest, 3)).blob.size() == 34526);
}

TEST_CASE("kernel encode: extreme generation, nonce, minor and creator", "[kernel-encode]")
{
	Handover h = pkh::example_handover();
	h.generation = 0xfedcba9876543210ull;
	h.nonce = ~0ull;
	h.abi_minor = 7;
	h.creator = std::string(PKH_MAX_CREATOR_LEN, 'k');
	check_same_bytes(h);
}

TEST_CASE("kernel encode: states that cannot be a blob give -EINVAL", "[kernel-encode]")
{
	SECTION("majors 1 and 4")
	{
		for (std::uint16_t major : {0, 1, 4, 0xffff}) {
			Handover h = test::small_handover();
			h.abi_major = major;
			INFO("major " << major);
			const Encoded kernel = kernel_encode(h);
			CHECK(kernel.bound == 0);
			CHECK(kernel.status == -EINVAL);
			const KernelState state(h);
			CHECK(encode_into(state.state(), 1 << 20) == -EINVAL);
		}
	}
	SECTION("a device whose domain does not exist")
	{
		const Handover h = test::small_handover();
		const KernelState state(h);
		pkh_state broken = state.state();
		std::vector<pkh_state_device> devices(broken.devices, broken.devices + broken.nr_devices);
		devices.back().domain = broken.nr_domains;
		broken.devices = devices.data();
		CHECK(pkh_encode_bound(&broken) == 0);
		CHECK(encode_into(broken, 1 << 20) == -EINVAL);
	}
	SECTION("no creator, or a file without a name")
	{
		const Handover h = test::small_handover();
		const KernelState state(h);
		pkh_state broken = state.state();
		broken.creator = nullptr;
		CHECK(pkh_encode_bound(&broken) == 0);
		CHECK(encode_into(broken, 1 << 20) == -EINVAL);

		broken = state.state();
		std::vector<pkh_state_region> regions(broken.regions, broken.regions + broken.nr_regions);
		REQUIRE(regions[0].nr_files > 0);
		std::vector<pkh_state_file> files(regions[0].files, regions[0].files + regions[0].nr_files);
		files[0].name = nullptr;
		regions[0].files = files.data();
		broken.regions = regions.data();
		CHECK(pkh_encode_bound(&broken) == 0);
		CHECK(encode_into(broken, 1 << 20) == -EINVAL);
	}
	SECTION("more than the 64 MiB cap")
	{
		Handover h = test::minimal_handover();
		PkernfsFile huge;
		huge.name = std::string(PKH_MAX_BLOB_SIZE, 'x');
		huge.inode = 2;
		h.regions[0].files.push_back(huge);
		const KernelState state(h);
		CHECK(pkh_encode_bound(&state.state()) == 0);
		CHECK(encode_into(state.state(), 1 << 20) == -EINVAL);
	}
}

TEST_CASE("kernel encode: a buffer one byte short gives -ENOSPC, the exact size the blob", "[kernel-encode]")
{
	const Handover h = pkh::example_handover();
	const KernelState state(h);
	const auto library = encode(h);
	REQUIRE(library.ok());
	const std::size_t size = library->size();
	for (std::size_t short_size :
	     {std::size_t{0}, std::size_t{PKH_BLOB_HEADER_SIZE}, std::size_t{100}, size / 2, size - 8, size - 1}) {
		INFO("buffer of " << short_size << " bytes, blob of " << size);
		CHECK(encode_into(state.state(), short_size) == -ENOSPC);
	}
	Bytes exact;
	CHECK(encode_into(state.state(), size, &exact) == 0);
	CHECK(exact == *library);
}
