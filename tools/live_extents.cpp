// SPDX-License-Identifier: GPL-2.0-only
//
// FIEMAP on the files of the mounted pkernfs, for inspect --live.
#include "live_extents.hpp"
#include "util.hpp"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sstream>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <vector>

namespace pkh::tool
{

namespace
{

// A batch of FIEMAP records per ioctl: a file of 262,612 extents (pkernfs's
// most) takes about a thousand calls.
constexpr std::uint32_t batch = 256;

struct FileExtents {
	std::vector<Extent> extents; // region offsets
	std::uint64_t mapped = 0;
};

Result<FileExtents> fiemap_file(const std::string &path, const PkernfsFile &file, const PkernfsRegion &region)
{
	util::FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
	if (fd.get() < 0)
		return Error{ErrorCode::IO, path, fmt::format("cannot open: {}", std::strerror(errno))};
	struct stat st {
	};
	if (::fstat(fd.get(), &st) != 0)
		return Error{ErrorCode::IO, path, fmt::format("cannot stat: {}", std::strerror(errno))};
	if (st.st_ino != file.inode)
		return Error{ErrorCode::BAD_VALUE, path,
			     fmt::format("is inode {}, the handover's \"{}\" is inode {}", st.st_ino, file.name,
					 file.inode)};

	std::vector<std::uint8_t> buffer(sizeof(fiemap) + batch * sizeof(fiemap_extent));
	auto *map = reinterpret_cast<fiemap *>(buffer.data());
	FileExtents out;
	std::uint64_t start = 0;
	for (;;) {
		std::memset(buffer.data(), 0, buffer.size());
		map->fm_start = start;
		map->fm_length = FIEMAP_MAX_OFFSET - start;
		map->fm_extent_count = batch;
		if (::ioctl(fd.get(), FS_IOC_FIEMAP, map) != 0)
			return Error{ErrorCode::IO, path, fmt::format("FIEMAP: {}", std::strerror(errno))};
		if (map->fm_mapped_extents == 0)
			return out;
		bool last = false;
		for (std::uint32_t i = 0; i < map->fm_mapped_extents; i++) {
			const fiemap_extent &e = map->fm_extents[i];
			if (e.fe_physical < region.base || e.fe_length > region.size ||
			    e.fe_physical - region.base > region.size - e.fe_length)
				return Error{
					ErrorCode::OUT_OF_BOUNDS, path,
					fmt::format("extent at file offset {:#x}: physical {:#x}+{:#x} lies outside "
						    "the region {:#x}+{:#x}",
						    e.fe_logical, e.fe_physical, e.fe_length, region.base,
						    region.size)};
			out.extents.push_back({e.fe_physical - region.base, e.fe_length});
			out.mapped += e.fe_length;
			start = e.fe_logical + e.fe_length;
			last = e.fe_flags & FIEMAP_EXTENT_LAST;
		}
		if (last)
			return out;
	}
}

} // namespace

Result<std::string> find_pkernfs_mount(const std::string &mounts)
{
	auto bytes = util::read_file(mounts, 1 << 20);
	if (!bytes)
		return bytes.error();
	std::istringstream lines(std::string(bytes->begin(), bytes->end()));
	std::string line;
	while (std::getline(lines, line)) {
		std::istringstream fields(line);
		std::string source, dir, type;
		if (fields >> source >> dir >> type && type == "pkernfs") {
			// /proc/self/mounts writes space, tab, newline and backslash
			// as octal escapes.
			std::string unescaped;
			for (std::size_t i = 0; i < dir.size(); i++) {
				if (dir[i] == '\\' && i + 3 < dir.size() && std::isdigit(dir[i + 1])) {
					unescaped += char(std::stoi(dir.substr(i + 1, 3), nullptr, 8));
					i += 3;
				} else {
					unescaped += dir[i];
				}
			}
			return unescaped;
		}
	}
	return std::string();
}

Result<std::string> live_extents_text(const Handover &h, const std::string &dir)
{
	std::string out = fmt::format("file blocks, read with FIEMAP from the pkernfs mounted on {}\n", dir);
	for (std::size_t r = 0; r < h.regions.size(); r++) {
		const PkernfsRegion &region = h.regions[r];
		for (const PkernfsFile &file : region.files) {
			const std::string path = dir + "/" + file.name;
			auto extents = fiemap_file(path, file, region);
			if (!extents)
				return extents.error();
			out += fmt::format("  region {}  file \"{}\"  inode {}  {} extents, {:#x} bytes\n", r,
					   file.name, file.inode, extents->extents.size(), extents->mapped);
			for (const Extent &e : extents->extents)
				out += fmt::format("    +{:#x}  {:#x}  at {:#x}\n", e.region_offset, e.length,
						   region.base + e.region_offset);
		}
	}
	return out;
}

} // namespace pkh::tool
