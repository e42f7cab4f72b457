// SPDX-License-Identifier: GPL-2.0-only
#include "util.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <iterator>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace pkh::util
{

namespace
{

Error io_error(const std::string &path, const std::string &why)
{
	return Error{ErrorCode::IO, path, why};
}

} // namespace

FileDescriptor::~FileDescriptor()
{
	if (fd_ >= 0)
		::close(fd_);
}

int FileDescriptor::close()
{
	const int fd = std::exchange(fd_, -1);
	return fd >= 0 ? ::close(fd) : 0;
}

Result<Bytes> read_file(const std::string &path, std::size_t limit)
{
	FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
	if (fd.get() < 0)
		return io_error(path, fmt::format("cannot open: {}", std::strerror(errno)));
	struct stat st {
	};
	if (::fstat(fd.get(), &st) != 0)
		return io_error(path, fmt::format("cannot stat: {}", std::strerror(errno)));
	if (S_ISDIR(st.st_mode))
		return io_error(path, "is a directory");
	return read_all(fd.get(), path, limit);
}

Result<Bytes> read_all(int fd, const std::string &path, std::size_t limit)
{
	Bytes bytes;
	std::size_t used = 0;
	for (;;) {
		if (used == bytes.size())
			bytes.resize(std::min(limit + 1, std::max<std::size_t>(4096, bytes.size() * 2)));
		if (used == bytes.size())
			return io_error(path, fmt::format("larger than {} bytes", limit));
		const ssize_t n = ::read(fd, bytes.data() + used, bytes.size() - used);
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

Status write_all(int fd, const std::string &path, std::span<const std::uint8_t> bytes)
{
	while (!bytes.empty()) {
		const ssize_t n = ::write(fd, bytes.data(), bytes.size());
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return io_error(path, fmt::format("write failed: {}", std::strerror(n < 0 ? errno : EIO)));
		bytes = bytes.subspan(static_cast<std::size_t>(n));
	}
	return Ok{};
}

std::string human_size(std::uint64_t bytes)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	unsigned unit = 0;
	while (unit + 1 < std::size(units) && bytes >> (10 * (unit + 1)) != 0)
		unit++;
	if (unit == 0)
		return fmt::format("{} B", bytes);
	const std::uint64_t scale = std::uint64_t{1} << (10 * unit);
	if (bytes % scale == 0)
		return fmt::format("{} {}", bytes / scale, units[unit]);
	return fmt::format("{:.2f} {}", static_cast<double>(bytes) / static_cast<double>(scale), units[unit]);
}

std::string hex(std::uint64_t value)
{
	return fmt::format("{:#x}", value);
}

std::string pci_address_string(std::uint32_t pci_address)
{
	return fmt::format("{:04x}:{:02x}:{:02x}.{:x}", PKH_PCI_SEGMENT(pci_address), PKH_PCI_BUS(pci_address),
			   PKH_PCI_DEVICE(pci_address), PKH_PCI_FUNCTION(pci_address));
}

} // namespace pkh::util
