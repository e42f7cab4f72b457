// SPDX-License-Identifier: GPL-2.0-only
//
// Test-only tools to damage blobs precisely: edit the FDT payload with
// libfdt's read-write API, then re-wrap it with a fresh header and CRC, or
// patch header fields directly.  Used by make-fixtures, the unit tests and
// the mutation test.
#pragma once

#include <pkhandover/handover.hpp>

#include <cstring>
#include <stdexcept>
#include <string>

#include <endian.h>
#include <zlib.h>

extern "C" {
#include <libfdt.h>
}

namespace pkh::test {

inline std::uint32_t payload_crc(const Bytes &blob)
{
	return static_cast<std::uint32_t>(
		crc32(0L, blob.data() + PKH_BLOB_HEADER_SIZE, static_cast<uInt>(blob.size() - PKH_BLOB_HEADER_SIZE)));
}

inline void put_le16(Bytes &blob, std::size_t offset, std::uint16_t value)
{
	value = htole16(value);
	std::memcpy(blob.data() + offset, &value, sizeof(value));
}

inline void put_le32(Bytes &blob, std::size_t offset, std::uint32_t value)
{
	value = htole32(value);
	std::memcpy(blob.data() + offset, &value, sizeof(value));
}

inline void put_be32(Bytes &blob, std::size_t offset, std::uint32_t value)
{
	value = htobe32(value);
	std::memcpy(blob.data() + offset, &value, sizeof(value));
}

inline void put_le64_raw(std::uint8_t *at, std::uint64_t value)
{
	const std::uint64_t le = htole64(value);
	std::memcpy(at, &le, sizeof(le));
}

inline void put_le64(Bytes &blob, std::size_t offset, std::uint64_t value)
{
	value = htole64(value);
	std::memcpy(blob.data() + offset, &value, sizeof(value));
}

// Header field offsets (struct pkh_blob_header).
constexpr std::size_t header_abi_major = 4, header_abi_minor = 6, header_header_size = 8, header_total_size = 12,
		      header_crc = 16, header_flags = 20, header_reserved = 24;

inline void fix_crc(Bytes &blob)
{
	put_le32(blob, header_crc, payload_crc(blob));
}

// Header + CRC around an FDT, as the encoder would write it.
inline Bytes wrap(const void *fdt, std::uint16_t major = PKH_ABI_MAJOR, std::uint16_t minor = PKH_ABI_MINOR)
{
	const std::size_t fdt_size = fdt_totalsize(fdt);
	Bytes blob(PKH_BLOB_HEADER_SIZE + fdt_size, 0);
	std::memcpy(blob.data() + PKH_BLOB_HEADER_SIZE, fdt, fdt_size);
	put_le32(blob, 0, PKH_BLOB_MAGIC);
	put_le16(blob, header_abi_major, major);
	put_le16(blob, header_abi_minor, minor);
	put_le32(blob, header_header_size, PKH_BLOB_HEADER_SIZE);
	put_le32(blob, header_total_size, static_cast<std::uint32_t>(blob.size()));
	fix_crc(blob);
	return blob;
}

// An editable copy of a blob's FDT.  Every edit throws on libfdt failure so
// a fixture is never silently built wrong.
class FdtEditor {
public:
	// The edited blob keeps the header's major unless blob() is given one.
	explicit FdtEditor(const Bytes &blob)
	    : fdt_(blob.size() - PKH_BLOB_HEADER_SIZE + 65536),
	      major_(static_cast<std::uint16_t>(blob[header_abi_major] | blob[header_abi_major + 1] << 8))
	{
		check(fdt_open_into(blob.data() + PKH_BLOB_HEADER_SIZE, fdt_.data(), static_cast<int>(fdt_.size())),
		      "open");
	}

	int node(const std::string &path) const
	{
		const int offset = fdt_path_offset(fdt_.data(), path.c_str());
		check(offset, "path " + path);
		return offset;
	}

	FdtEditor &set(const std::string &path, const char *name, const void *value, std::size_t size)
	{
		check(fdt_setprop(fdt_.data(), node(path), name, value, static_cast<int>(size)), name);
		return *this;
	}
	FdtEditor &set_u32(const std::string &path, const char *name, std::uint32_t value)
	{
		check(fdt_setprop_u32(fdt_.data(), node(path), name, value), name);
		return *this;
	}
	FdtEditor &set_u64(const std::string &path, const char *name, std::uint64_t value)
	{
		check(fdt_setprop_u64(fdt_.data(), node(path), name, value), name);
		return *this;
	}
	FdtEditor &set_string(const std::string &path, const char *name, const char *value)
	{
		check(fdt_setprop_string(fdt_.data(), node(path), name, value), name);
		return *this;
	}
	FdtEditor &remove(const std::string &path, const char *name)
	{
		check(fdt_delprop(fdt_.data(), node(path), name), name);
		return *this;
	}
	FdtEditor &add_node(const std::string &parent, const char *name)
	{
		check(fdt_add_subnode(fdt_.data(), node(parent), name), name);
		return *this;
	}
	FdtEditor &remove_node(const std::string &path)
	{
		check(fdt_del_node(fdt_.data(), node(path)), "delete " + path);
		return *this;
	}
	// Renames without libfdt's duplicate check, to build duplicate nodes.
	FdtEditor &rename(const std::string &path, const char *name)
	{
		check(fdt_set_name(fdt_.data(), node(path), name), "rename " + path);
		return *this;
	}

	// Gives property `from` the name of property `to` in the same node, to
	// build a node with a repeated property (libfdt's setprop replaces).
	FdtEditor &alias_property(const std::string &path, const char *from, const char *to)
	{
		auto *source = fdt_get_property_w(fdt_.data(), node(path), from, nullptr);
		const auto *target = fdt_get_property(fdt_.data(), node(path), to, nullptr);
		if (!source || !target)
			throw std::runtime_error(std::string("alias_property: missing ") + from + " or " + to);
		source->nameoff = target->nameoff;
		return *this;
	}

	// Raw access to the tree, for faults below libfdt's API.
	std::uint8_t *raw() { return fdt_.data(); }

	Bytes blob() { return blob(major_); }
	Bytes blob(std::uint16_t major)
	{
		check(fdt_pack(fdt_.data()), "pack");
		return wrap(fdt_.data(), major);
	}

private:
	static void check(int rc, const std::string &what)
	{
		if (rc < 0)
			throw std::runtime_error("libfdt " + what + ": " + fdt_strerror(rc));
	}
	Bytes fdt_;
	std::uint16_t major_;
};

} // namespace pkh::test
