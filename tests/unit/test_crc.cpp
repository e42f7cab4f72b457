// SPDX-License-Identifier: GPL-2.0-only
//
// The ABI's CRC is zlib's crc32(); the kernel computes it as
// ~crc32_le(~0, p, n).  crc32_le below is the kernel's definition written
// out bit by bit (reflected, polynomial 0xedb88320, no inversion).
#include "test_support.hpp"

#include <catch2/catch.hpp>
#include <zlib.h>

namespace {

std::uint32_t reference_crc32_le(std::uint32_t crc, const std::uint8_t *p, std::size_t n)
{
	while (n--) {
		crc ^= *p++;
		for (int bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
	}
	return crc;
}

} // namespace

TEST_CASE("zlib crc32 equals the kernel's inverted crc32_le", "[crc]")
{
	const std::string check = "123456789";
	const auto *bytes = reinterpret_cast<const std::uint8_t *>(check.data());
	CHECK(crc32(0, bytes, 9) == 0xcbf43926u); // the CRC-32 check value
	CHECK(~reference_crc32_le(~0u, bytes, 9) == 0xcbf43926u);

	for (const auto &fixture : {"good/example.blob", "good/small.blob"}) {
		const auto blob = pkh::test::load(pkh::test::data_dir() + "/" + fixture);
		const std::uint8_t *payload = blob.data() + PKH_BLOB_HEADER_SIZE;
		const std::size_t size = blob.size() - PKH_BLOB_HEADER_SIZE;
		const std::uint32_t zlib_crc = static_cast<std::uint32_t>(crc32(0, payload, static_cast<uInt>(size)));
		CHECK(~reference_crc32_le(~0u, payload, size) == zlib_crc);
		// The kernel-C parser's userspace shim computes the same value.
		CHECK(pkh_crc32(payload, size) == zlib_crc);
		std::uint32_t header_crc;
		std::memcpy(&header_crc, blob.data() + 16, 4);
		CHECK(le32toh(header_crc) == zlib_crc);
	}
}
