// SPDX-License-Identifier: GPL-2.0-only
//
// Byte-order helpers for reading and writing the blob.  FDT property data is
// only 4-byte aligned, so every multi-byte value goes through memcpy.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>

#include <zlib.h>

namespace pkh::detail {

template <typename T> T load(const std::uint8_t *p)
{
	T value;
	std::memcpy(&value, p, sizeof(value));
	return value;
}

inline std::uint16_t load_le16(const std::uint8_t *p) { return le16toh(load<std::uint16_t>(p)); }
inline std::uint32_t load_le32(const std::uint8_t *p) { return le32toh(load<std::uint32_t>(p)); }
inline std::uint64_t load_le64(const std::uint8_t *p) { return le64toh(load<std::uint64_t>(p)); }
inline std::uint32_t load_be32(const std::uint8_t *p) { return be32toh(load<std::uint32_t>(p)); }
inline std::uint64_t load_be64(const std::uint8_t *p) { return be64toh(load<std::uint64_t>(p)); }

template <typename T> void store(std::uint8_t *p, T value) { std::memcpy(p, &value, sizeof(value)); }

inline void store_le16(std::uint8_t *p, std::uint16_t v) { store(p, htole16(v)); }
inline void store_le32(std::uint8_t *p, std::uint32_t v) { store(p, htole32(v)); }
inline void store_le64(std::uint8_t *p, std::uint64_t v) { store(p, htole64(v)); }

// CRC-32 as the ABI defines it; zlib's crc32() takes a uInt length, so feed
// it in chunks.
inline std::uint32_t crc32_of(std::span<const std::uint8_t> bytes)
{
	uLong crc = crc32(0L, Z_NULL, 0);
	while (!bytes.empty()) {
		const std::size_t chunk = bytes.size() < (1u << 30) ? bytes.size() : (1u << 30);
		crc = crc32(crc, bytes.data(), static_cast<uInt>(chunk));
		bytes = bytes.subspan(chunk);
	}
	return static_cast<std::uint32_t>(crc);
}

} // namespace pkh::detail
