// SPDX-License-Identifier: GPL-2.0-only
//
// Where blobs come from: a file, a dtb's /chosen, or the running kernel's
// setup_data entries in sysfs.
#include "fdt_io.hpp"
#include "util.hpp"

#include <pkhandover/handover.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fmt/format.h>
#include <memory>

extern "C" {
#include <libfdt.h>
}

namespace pkh
{

namespace
{

Error io_error(const std::string &path, const std::string &why)
{
	return Error{ErrorCode::IO, path, why};
}

struct DirCloser {
	void operator()(DIR *dir) const { ::closedir(dir); }
};

constexpr std::uint32_t fdt_magic_value = 0xd00dfeed;

} // namespace

Result<Bytes> blob_from_file(const std::string &path)
{
	auto bytes = util::read_file(path, util::max_blob_file_size);
	if (!bytes)
		return bytes.error();
	return blob_from_file_bytes(std::move(*bytes));
}

Result<Bytes> blob_from_dtb(std::span<const std::uint8_t> dtb)
{
	const int status = fdt_check_full(dtb.data(), dtb.size());
	if (status != 0)
		return Error{ErrorCode::BAD_FDT, "dtb", fmt::format("fdt_check_full: {}", fdt_strerror(status))};
	const int chosen = fdt_path_offset(dtb.data(), "/chosen");
	if (chosen < 0)
		return Error{ErrorCode::MISSING_NODE, "dtb:/chosen", "the dtb has no /chosen node"};
	int length = 0;
	const void *inline_blob = fdt_getprop(dtb.data(), chosen, PKH_CHOSEN_PROP, &length);
	if (inline_blob) {
		const auto *begin = static_cast<const std::uint8_t *>(inline_blob);
		return Bytes(begin, begin + length);
	}
	const void *range = fdt_getprop(dtb.data(), chosen, PKH_CHOSEN_RANGE_PROP, &length);
	if (range) {
		if (length != 16)
			return Error{ErrorCode::BAD_LENGTH, "dtb:/chosen/" PKH_CHOSEN_RANGE_PROP,
				     fmt::format("{} bytes, expected 16 (<u64 address, u64 size>)", length)};
		const auto *cells = static_cast<const std::uint8_t *>(range);
		return Error{ErrorCode::UNSUPPORTED, "dtb:/chosen/" PKH_CHOSEN_RANGE_PROP,
			     fmt::format("the blob is out of line at {:#x} ({} bytes); read it on the "
					 "running system with --live",
					 detail::load_be64(cells), detail::load_be64(cells + 8))};
	}
	return Error{ErrorCode::MISSING_PROPERTY, "dtb:/chosen",
		     "no " PKH_CHOSEN_PROP " or " PKH_CHOSEN_RANGE_PROP " property"};
}

Result<Bytes> blob_from_file_bytes(Bytes bytes)
{
	if (bytes.size() >= 4 && detail::load_be32(bytes.data()) == fdt_magic_value)
		return blob_from_dtb(bytes);
	return bytes;
}

Result<Bytes> blob_from_setup_data_dir(const std::string &dir)
{
	std::unique_ptr<DIR, DirCloser> handle(::opendir(dir.c_str()));
	if (!handle)
		return io_error(dir, fmt::format("cannot list: {}", std::strerror(errno)));
	std::vector<std::string> entries;
	while (const dirent *entry = ::readdir(handle.get()))
		if (entry->d_name[0] != '.')
			entries.emplace_back(entry->d_name);
	std::sort(entries.begin(), entries.end());
	std::vector<std::string> found;
	for (const std::string &entry : entries) {
		const std::string type_path = dir + "/" + entry + "/type";
		auto type_text = util::read_file(type_path, 64);
		if (!type_text)
			return type_text.error();
		const std::string text(type_text->begin(), type_text->end());
		char *end = nullptr;
		errno = 0;
		const unsigned long long type = std::strtoull(text.c_str(), &end, 0);
		if (errno != 0 || end == text.c_str() || (*end != '\n' && *end != '\0'))
			return Error{ErrorCode::BAD_VALUE, type_path, fmt::format("not a number: \"{}\"", text)};
		if (type == PKH_SETUP_DATA_TYPE)
			found.push_back(entry);
	}
	if (found.empty())
		return Error{ErrorCode::MISSING_NODE, dir,
			     fmt::format("no setup_data entry of type {:#x}: this kernel received no handover",
					 PKH_SETUP_DATA_TYPE)};
	if (found.size() > 1)
		return Error{ErrorCode::DUPLICATE, dir,
			     fmt::format("{} setup_data entries of type {:#x}", found.size(), PKH_SETUP_DATA_TYPE)};
	return util::read_file(dir + "/" + found.front() + "/data", util::max_blob_file_size);
}

} // namespace pkh
