// SPDX-License-Identifier: GPL-2.0-only
//
// Shared helpers of the unit tests: fixture loading, the manifest of hostile
// fixtures, and a C++ face for the kernel-C parser.
#pragma once

#include <pkhandover/handover.hpp>

#include "util.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern "C" {
#include "pkh_parse.h"
}

namespace pkh::test
{

inline std::string data_dir()
{
	return PKH_TEST_DATA_DIR;
}

inline Bytes load(const std::string &path)
{
	auto bytes = util::read_file(path, util::max_blob_file_size);
	if (!bytes)
		throw std::runtime_error(bytes.error().message());
	return *bytes;
}

inline PhysRange parse_range(const std::string &text)
{
	PhysRange range;
	std::istringstream in(text);
	std::string start, size;
	std::getline(in, start, ':');
	std::getline(in, size, ':');
	std::getline(in, range.what);
	range.start = std::stoull(start, nullptr, 0);
	range.size = std::stoull(size, nullptr, 0);
	return range;
}

struct ManifestEntry {
	std::string name, code, where;
	MemoryConstraints constraints;
};

inline std::vector<ManifestEntry> manifest()
{
	std::ifstream in(data_dir() + "/bad/MANIFEST");
	std::vector<ManifestEntry> entries;
	std::string line;
	while (std::getline(in, line)) {
		if (line.empty() || line[0] == '#')
			continue;
		std::istringstream fields(line);
		ManifestEntry entry;
		fields >> entry.name >> entry.code >> entry.where;
		std::string extra;
		while (fields >> extra) {
			if (extra.rfind("ram=", 0) == 0)
				entry.constraints.ram.push_back(parse_range(extra.substr(4)));
			else if (extra.rfind("reserved=", 0) == 0)
				entry.constraints.reserved_for_boot.push_back(parse_range(extra.substr(9)));
		}
		entries.push_back(entry);
	}
	return entries;
}

// Outcome of the kernel-C parser, in the same terms as pkh::Error.
struct KernelParse {
	std::string code; // "OK" or the PKH_ERR_* name
	std::string where;
	std::string why;
	unsigned regions = 0, files = 0, extents = 0, units = 0, domains = 0, devices = 0, iova = 0;
};

inline KernelParse kernel_parse(const Bytes &blob, const MemoryConstraints &constraints = {})
{
	std::vector<pkh_phys_range> ram, reserved;
	for (const auto &range : constraints.ram)
		ram.push_back({range.start, range.size});
	for (const auto &range : constraints.reserved_for_boot)
		reserved.push_back({range.start, range.size});
	pkh_memory_map map{ram.data(), static_cast<unsigned>(ram.size()), reserved.data(),
			   static_cast<unsigned>(reserved.size())};

	KernelParse result;
	pkh_parse_ops ops{};
	ops.ctx = &result;
	ops.alloc = [](void *, size_t size) { return std::calloc(1, size); };
	ops.free = [](void *, void *ptr, size_t) { std::free(ptr); };
	ops.region = [](void *ctx, const pkh_region_info *) {
		static_cast<KernelParse *>(ctx)->regions++;
		return 0;
	};
	ops.file = [](void *ctx, const pkh_file_info *info) {
		static_cast<KernelParse *>(ctx)->files++;
		static_cast<KernelParse *>(ctx)->extents += info->nr_extents;
		return 0;
	};
	ops.iommu_unit = [](void *ctx, const pkh_iommu_unit_info *) {
		static_cast<KernelParse *>(ctx)->units++;
		return 0;
	};
	ops.iommu_domain = [](void *ctx, const pkh_iommu_domain_info *) {
		static_cast<KernelParse *>(ctx)->domains++;
		return 0;
	};
	ops.device = [](void *ctx, const pkh_device_info *info) {
		static_cast<KernelParse *>(ctx)->devices++;
		static_cast<KernelParse *>(ctx)->iova += info->nr_iova;
		return 0;
	};
	pkh_error error{};
	const int rc = pkh_parse(blob.data(), blob.size(), &map, &ops, &error);
	if (rc == 0) {
		result.code = "OK";
	} else {
		result.code = error_name(static_cast<ErrorCode>(-rc));
		result.where = error.where;
		result.why = error.why;
	}
	return result;
}

} // namespace pkh::test
