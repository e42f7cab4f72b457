// SPDX-License-Identifier: GPL-2.0-only
//
// Where blobs come from: a file, a dtb's /chosen, or the running kernel's
// setup_data entries in sysfs.
#include "fdt_io.hpp"

#include <pkhandover/handover.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

extern "C" {
#include <libfdt.h>
}

namespace pkh {

namespace {

Error io_error(const std::string &path, const std::string &why)
{
	return Error{ErrorCode::IO, path, why};
}

// A file descriptor closed on every path.
class FileDescriptor {
public:
	explicit FileDescriptor(int fd) : fd_(fd) {}
	FileDescriptor(const FileDescriptor &) = delete;
	FileDescriptor &operator=(const FileDescriptor &) = delete;
	~FileDescriptor()
	{
		if (fd_ >= 0)
			::close(fd_);
	}
	int get() const { return fd_; }

private:
	int fd_;
};

struct DirCloser {
	void operator()(DIR *dir) const { ::closedir(dir); }
};

// Reads up to `limit` bytes; sysfs files report size 0, so read until EOF.
Result<Bytes> read_limited(const std::string &path, std::size_t limit)
{
	FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
	if (fd.get() < 0)
		return io_error(path, fmt::format("cannot open: {}", std::strerror(errno)));
	struct stat st {};
	if (::fstat(fd.get(), &st) != 0)
		return io_error(path, fmt::format("cannot stat: {}", std::strerror(errno)));
	if (S_ISDIR(st.st_mode))
		return io_error(path, "is a directory");
	Bytes bytes;
	std::size_t used = 0;
	for (;;) {
		if (used == bytes.size())
			bytes.resize(std::min(limit + 1, std::max<std::size_t>(4096, bytes.size() * 2)));
		if (used == bytes.size())
			return io_error(path, fmt::format("larger than {} bytes", limit));
		const ssize_t n = ::read(fd.get(), bytes.data() + used, bytes.size() - used);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return io_error(path, fmt::format("read failed: {}", std::strerror(errno)));
		}
		if (n == 0)
			break;
		used += static_cast<std::size_t>(n);
	}
	bytes.resize(used);
	return bytes;
}

constexpr std::uint32_t fdt_magic_value = 0xd00dfeed;

} // namespace

Result<Bytes> read_file(const std::string &path)
{
	return read_limited(path, 2ull * PKH_MAX_BLOB_SIZE);
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
		auto type_text = read_limited(type_path, 64);
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
	return read_limited(dir + "/" + found.front() + "/data", 2ull * PKH_MAX_BLOB_SIZE);
}

} // namespace pkh
