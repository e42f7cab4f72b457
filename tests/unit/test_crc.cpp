// SPDX-License-Identifier: GPL-2.0-only
//
// The blob's CRC on the kernel's side.  pkh_parse.c checks payload_crc32
// with pkh_crc32() (pkh_compat.h): ~crc32_le(~0, p, n), the kernel's
// crc32_le() seeded and inverted.  In userspace crc32_le() is pkh_compat.h's
// own implementation of the kernel's semantics (no inversion in or out), not
// zlib, so what is tested here is the seed and inversion logic the kernel
// runs, against zlib's crc32(), the ABI's definition (abi.h).
#include "kernel_view.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <random>
#include <set>

#include <zlib.h>

using namespace pkh;
using namespace pkh::kview;

namespace
{

std::uint32_t zlib_crc(std::uint32_t seed, const std::uint8_t *p, std::size_t n)
{
	return static_cast<std::uint32_t>(crc32_z(seed, p, n));
}

// The kernel's crc32_le() written out bit by bit, as lib/crc32.c's
// CRC_LE_BITS == 1 variant: reflected, polynomial 0xedb88320, no inversion.
std::uint32_t bitwise_crc32_le(std::uint32_t crc, const std::uint8_t *p, std::size_t n)
{
	while (n--) {
		crc ^= *p++;
		for (int bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
	}
	return crc;
}

const std::uint8_t *bytes(const std::string &s)
{
	return reinterpret_cast<const std::uint8_t *>(s.data());
}

std::uint32_t stored_crc(const Bytes &blob)
{
	std::uint32_t crc;
	std::memcpy(&crc, blob.data() + offsetof(pkh_blob_header, payload_crc32), sizeof(crc));
	return le32toh(crc);
}

void store_crc(Bytes &blob, std::uint32_t crc)
{
	crc = htole32(crc);
	std::memcpy(blob.data() + offsetof(pkh_blob_header, payload_crc32), &crc, sizeof(crc));
}

std::vector<std::filesystem::path> fixtures(const char *dir)
{
	std::vector<std::filesystem::path> out;
	for (const auto &entry : std::filesystem::directory_iterator(std::string(PKH_TEST_DATA_DIR) + "/" + dir))
		if (entry.path().extension() == ".blob")
			out.push_back(entry.path());
	std::sort(out.begin(), out.end());
	return out;
}

} // namespace

TEST_CASE("pkh_crc32 gives the CRC-32 check values", "[crc]")
{
	const std::vector<std::pair<std::string, std::uint32_t>> vectors = {
		{"", 0x00000000u},
		{"a", 0xe8b7be43u},
		{"abc", 0x352441c2u},
		{"123456789", 0xcbf43926u}, // the CRC-32 check value
		{"message digest", 0x20159d7fu},
		{"abcdefghijklmnopqrstuvwxyz", 0x4c2750bdu},
		{"The quick brown fox jumps over the lazy dog", 0x414fa339u},
	};
	for (const auto &[text, crc] : vectors) {
		INFO('"' << text << '"');
		CHECK(pkh_crc32(text.data(), text.size()) == crc);
		CHECK(zlib_crc(0, bytes(text), text.size()) == crc);
	}
}

TEST_CASE("crc32_le has the kernel's semantics: no inversion in or out", "[crc]")
{
	const std::string check = "123456789";
	// Seeded with ~0 and not inverted: the complement of the check value.
	CHECK(crc32_le(~0u, bytes(check), check.size()) == 0x340bc6d9u);
	// Seeded with 0, zero bytes leave it 0 (zlib's crc32(0, ...) does not).
	const Bytes zeros(1024, 0);
	for (std::size_t n = 0; n <= zeros.size(); n++) {
		INFO(n << " zero bytes");
		CHECK(crc32_le(0, zeros.data(), n) == 0);
		CHECK(zlib_crc(0, zeros.data(), n) == (n ? ~crc32_le(~0u, zeros.data(), n) : 0u));
	}
	// No bytes: the seed comes back unchanged.
	for (const std::uint32_t seed : {0u, 1u, 0x12345678u, 0xffffffffu})
		CHECK(crc32_le(seed, nullptr, 0) == seed);
}

TEST_CASE("crc32_le matches zlib on every length 0..1024, every alignment and any seed", "[crc]")
{
	// zlib's crc32(c, p, n) is ~crc32_le(~c, p, n) for every c.
	std::mt19937_64 rng(1024);
	Bytes buffer(1024 + 8);
	for (auto &byte : buffer)
		byte = static_cast<std::uint8_t>(rng());
	unsigned cases = 0;
	for (std::size_t n = 0; n <= 1024; n++) {
		const std::size_t offset = n % 8;
		const std::uint8_t *p = buffer.data() + offset;
		const auto seed = static_cast<std::uint32_t>(rng());
		INFO(n << " bytes at offset " << offset << ", seed " << seed);
		CHECK(pkh_crc32(p, n) == zlib_crc(0, p, n));
		CHECK(crc32_le(seed, p, n) == ~zlib_crc(~seed, p, n));
		CHECK(crc32_le(seed, p, n) == bitwise_crc32_le(seed, p, n));
		// Continuing a CRC: two calls give what one call gives.
		const std::size_t split = n ? rng() % (n + 1) : 0;
		CHECK(crc32_le(crc32_le(seed, p, split), p + split, n - split) == crc32_le(seed, p, n));
		cases++;
	}
	CHECK(cases == 1025);
}

TEST_CASE("pkh_crc32 matches zlib on 200 random buffers up to 256 KiB", "[crc]")
{
	std::mt19937_64 rng(0xc4c);
	for (unsigned i = 0; i < 200; i++) {
		Bytes buffer(rng() % (256 << 10));
		for (auto &byte : buffer)
			byte = static_cast<std::uint8_t>(rng());
		INFO("buffer " << i << ", " << buffer.size() << " bytes");
		CHECK(pkh_crc32(buffer.data(), buffer.size()) == zlib_crc(0, buffer.data(), buffer.size()));
	}
}

TEST_CASE("every fixture's header CRC is what the kernel computes", "[crc]")
{
	unsigned good = 0, bad = 0;
	std::set<std::string> wrong;
	for (const char *dir : {"good", "bad"}) {
		for (const auto &path : fixtures(dir)) {
			const Bytes blob = pkh::test::load(path);
			if (blob.size() < PKH_BLOB_HEADER_SIZE)
				continue; // truncated-header: no CRC to check
			INFO(path.filename().string());
			// The payload the header describes, as far as it is there.
			std::uint32_t total;
			std::memcpy(&total, blob.data() + offsetof(pkh_blob_header, total_size), sizeof(total));
			total = std::max<std::uint32_t>(le32toh(total), PKH_BLOB_HEADER_SIZE);
			const std::uint8_t *payload = blob.data() + PKH_BLOB_HEADER_SIZE;
			const std::size_t size = std::min<std::size_t>(total, blob.size()) - PKH_BLOB_HEADER_SIZE;
			const std::uint32_t kernel = pkh_crc32(payload, size);
			CHECK(kernel == zlib_crc(0, payload, size));
			if (std::string(dir) == "good") {
				CHECK(stored_crc(blob) == kernel);
				good++;
			} else {
				const std::string name = path.stem().string();
				if (stored_crc(blob) != kernel)
					wrong.insert(name);
				bad++;
			}
		}
	}
	CHECK(good == 12); // four v3 blobs and their v2 and v1 counterparts
	CHECK(bad == fixtures("bad").size() - 1);
	// Only crc-mismatch carries a wrong CRC, and truncated-payload lacks
	// bytes the CRC covers.
	const std::set<std::string> expected = {"crc-mismatch", "truncated-payload"};
	CHECK(wrong == expected);
}

TEST_CASE("the kernel-C parser accepts exactly the right CRC", "[crc]")
{
	const Bytes golden = pkh::test::load(pkh::test::data_dir() + "/good/small.blob");
	const std::uint32_t right =
		zlib_crc(0, golden.data() + PKH_BLOB_HEADER_SIZE, golden.size() - PKH_BLOB_HEADER_SIZE);
	REQUIRE(stored_crc(golden) == right);
	CHECK(kernel_view(golden).code == "OK");

	// Every single-bit error in the stored CRC, and the values a wrong seed
	// or a missing inversion would give.
	std::vector<std::uint32_t> wrong;
	for (unsigned bit = 0; bit < 32; bit++)
		wrong.push_back(right ^ (1u << bit));
	const std::uint8_t *payload = golden.data() + PKH_BLOB_HEADER_SIZE;
	const std::size_t size = golden.size() - PKH_BLOB_HEADER_SIZE;
	wrong.push_back(~right);                      // no final inversion
	wrong.push_back(crc32_le(0, payload, size));  // seed 0, no inversion
	wrong.push_back(~crc32_le(0, payload, size)); // seed 0
	wrong.push_back(__builtin_bswap32(right));    // big-endian
	wrong.push_back(0);
	for (const std::uint32_t crc : wrong) {
		Bytes blob = golden;
		store_crc(blob, crc);
		const KernelView kernel = kernel_view(blob);
		INFO("stored 0x" << std::hex << crc);
		CHECK(kernel.code == "BAD_CRC");
		CHECK(kernel.where == "header.payload_crc32");
		char why[64];
		std::snprintf(why, sizeof(why), "0x%08x, the payload's is 0x%08x", crc, right);
		CHECK(kernel.why == why);
	}

	// Every single-bit error in the payload is caught by the CRC.
	for (std::size_t bit = PKH_BLOB_HEADER_SIZE * 8; bit < golden.size() * 8; bit++) {
		Bytes blob = golden;
		blob[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
		INFO("bit " << bit);
		CHECK(kernel_view(blob).code == "BAD_CRC");
	}
}
