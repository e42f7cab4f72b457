// SPDX-License-Identifier: GPL-2.0-only
//
// Everything the kernel-C parser (pkh_parse.c) publishes, captured from its
// callbacks into the C++ model, and a field-by-field comparison of two
// models: what the differential and CRC tests hold the two readers to.
#pragma once

#include <pkhandover/handover.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <endian.h>

extern "C" {
#include "pkh_parse.h"
}

namespace pkh::kview
{

// What pkh_parse() returned and published.  `model` holds every value the
// callbacks handed out; `problems` every way the callbacks broke the
// contract of pkh_parse.h (order, indexes, counts, pointers).
struct KernelView {
	int rc = 0;
	std::string code; // "OK" or the PKH_ERR_* name of -rc
	int err_code = 0; // pkh_error.code
	std::string where, why;
	unsigned callbacks = 0;
	bool header_seen = false;
	std::uint16_t abi_major = 0;
	Handover model;
	std::vector<unsigned> nr_files; // region_info.nr_files, per region
	std::vector<std::string> problems;
};

namespace detail
{

inline KernelView &view(void *ctx)
{
	return *static_cast<KernelView *>(ctx);
}

// The callback order pkh_parse.h promises: header, each region followed by
// its files, units, domains, devices.
inline void expect_stage(KernelView &v, const char *what, bool ok)
{
	v.callbacks++;
	if (!ok)
		v.problems.push_back(std::string(what) + " out of order");
}

inline std::uint64_t le64_at(const void *base, std::size_t offset)
{
	std::uint64_t value;
	std::memcpy(&value, static_cast<const std::uint8_t *>(base) + offset, sizeof(value));
	return le64toh(value);
}

inline std::uint32_t le32_at(const void *base, std::size_t offset)
{
	std::uint32_t value;
	std::memcpy(&value, static_cast<const std::uint8_t *>(base) + offset, sizeof(value));
	return le32toh(value);
}

} // namespace detail

// Runs pkh_parse() on a copy of `blob` in 8-byte aligned memory (as the
// kernel has it) and captures what it publishes.
inline KernelView kernel_view(const Bytes &blob, const MemoryConstraints &constraints = {})
{
	using detail::view;
	std::vector<pkh_phys_range> ram, reserved;
	for (const auto &range : constraints.ram)
		ram.push_back({range.start, range.size});
	for (const auto &range : constraints.reserved_for_boot)
		reserved.push_back({range.start, range.size});
	const pkh_memory_map map{ram.data(), static_cast<unsigned>(ram.size()), reserved.data(),
				 static_cast<unsigned>(reserved.size())};

	KernelView v;
	pkh_parse_ops ops{};
	ops.ctx = &v;
	ops.alloc = [](void *, size_t size) { return std::malloc(size); };
	ops.free = [](void *, void *ptr, size_t) { std::free(ptr); };
	ops.header = [](void *ctx, const pkh_header_info *info) {
		KernelView &k = view(ctx);
		detail::expect_stage(k, "header", k.callbacks == 0);
		k.header_seen = true;
		k.abi_major = info->abi_major;
		k.model.abi_major = info->abi_major;
		k.model.abi_minor = info->abi_minor;
		k.model.generation = info->generation;
		k.model.nonce = info->nonce;
		k.model.creator = info->creator;
		return 0;
	};
	ops.region = [](void *ctx, const pkh_region_info *info) {
		KernelView &k = view(ctx);
		detail::expect_stage(k, "region",
				     k.header_seen && k.model.iommu_units.empty() && k.model.iommu_domains.empty() &&
					     k.model.devices.empty());
		if (info->index != k.model.regions.size())
			k.problems.push_back("region index " + std::to_string(info->index) + " at position " +
					     std::to_string(k.model.regions.size()));
		PkernfsRegion region;
		region.base = info->base;
		region.size = info->size;
		region.block_size = info->block_size;
		std::memcpy(region.fs_uuid.data(), info->fs_uuid, region.fs_uuid.size());
		region.flags = info->flags;
		// v2: the metadata ranges and their digest; v1 publishes none.
		if ((info->metadata_digest != nullptr) != (info->nr_metadata != 0) ||
		    (info->metadata != nullptr) != (info->nr_metadata != 0))
			k.problems.push_back("region " + std::to_string(info->index) +
					     ": metadata, its count and its digest disagree");
		if ((info->nr_metadata != 0) != (k.abi_major != 1))
			k.problems.push_back("region " + std::to_string(info->index) + ": " +
					     std::to_string(info->nr_metadata) + " metadata ranges in a v" +
					     std::to_string(k.abi_major) + " blob");
		for (unsigned i = 0; i < info->nr_metadata; i++) {
			const std::size_t at = i * sizeof(pkh_extent);
			region.metadata.push_back(
				{detail::le64_at(info->metadata, at + offsetof(pkh_extent, region_offset)),
				 detail::le64_at(info->metadata, at + offsetof(pkh_extent, length))});
		}
		if (info->metadata_digest)
			std::memcpy(region.metadata_digest.data(), info->metadata_digest,
				    region.metadata_digest.size());
		k.model.regions.push_back(region);
		k.nr_files.push_back(info->nr_files);
		return 0;
	};
	ops.file = [](void *ctx, const pkh_file_info *info) {
		KernelView &k = view(ctx);
		detail::expect_stage(k, "file",
				     !k.model.regions.empty() && k.model.iommu_units.empty() &&
					     k.model.iommu_domains.empty() && k.model.devices.empty());
		if (k.model.regions.empty())
			return 0;
		auto &files = k.model.regions.back().files;
		if (info->region != k.model.regions.size() - 1 || info->index != files.size())
			k.problems.push_back(
				"file " + std::to_string(info->region) + "/" + std::to_string(info->index) + " at " +
				std::to_string(k.model.regions.size() - 1) + "/" + std::to_string(files.size()));
		PkernfsFile file;
		file.name = info->name;
		file.inode = info->inode;
		file.size = info->size;
		if (k.abi_major != 1 && (info->extents || info->nr_extents))
			k.problems.push_back("file " + std::to_string(info->index) + ": extents in a v2 blob");
		for (unsigned i = 0; i < info->nr_extents; i++) {
			const std::size_t at = i * sizeof(pkh_extent);
			file.extents.push_back(
				{detail::le64_at(info->extents, at + offsetof(pkh_extent, region_offset)),
				 detail::le64_at(info->extents, at + offsetof(pkh_extent, length))});
		}
		files.push_back(file);
		return 0;
	};
	ops.iommu_unit = [](void *ctx, const pkh_iommu_unit_info *info) {
		KernelView &k = view(ctx);
		detail::expect_stage(k, "unit",
				     !k.model.regions.empty() && k.model.iommu_domains.empty() &&
					     k.model.devices.empty());
		if (info->index != k.model.iommu_units.size())
			k.problems.push_back("unit index " + std::to_string(info->index));
		k.model.iommu_units.push_back(IommuUnit{info->type, info->reg_base, info->segment, info->root_table,
							info->translation_mode, info->table_region});
		return 0;
	};
	ops.iommu_domain = [](void *ctx, const pkh_iommu_domain_info *info) {
		KernelView &k = view(ctx);
		detail::expect_stage(k, "domain", !k.model.regions.empty() && k.model.devices.empty());
		if (info->index != k.model.iommu_domains.size())
			k.problems.push_back("domain index " + std::to_string(info->index));
		k.model.iommu_domains.push_back(IommuDomain{info->unit, info->domain_id, info->pgtable_root,
							    info->format, info->levels, info->address_width});
		return 0;
	};
	ops.device = [](void *ctx, const pkh_device_info *info) {
		KernelView &k = view(ctx);
		detail::expect_stage(k, "device", !k.model.regions.empty());
		if (info->index != k.model.devices.size())
			k.problems.push_back("device index " + std::to_string(info->index));
		VfioDevice device;
		device.pci_address = info->pci_address;
		device.ids = {info->vendor, info->device, info->subsystem_vendor, info->subsystem_device};
		device.iommu_group = info->iommu_group;
		device.domain = info->domain;
		device.flags = info->flags;
		for (unsigned i = 0; i < info->nr_iova; i++) {
			const std::size_t at = i * sizeof(pkh_iova_mapping);
			IovaMapping m;
			m.iova = detail::le64_at(info->iova_map, at + offsetof(pkh_iova_mapping, iova));
			m.region_offset =
				detail::le64_at(info->iova_map, at + offsetof(pkh_iova_mapping, region_offset));
			m.length = detail::le64_at(info->iova_map, at + offsetof(pkh_iova_mapping, length));
			m.region = detail::le32_at(info->iova_map, at + offsetof(pkh_iova_mapping, region));
			m.perm = detail::le32_at(info->iova_map, at + offsetof(pkh_iova_mapping, perm));
			device.iova_map.push_back(m);
		}
		k.model.devices.push_back(device);
		return 0;
	};

	// The kernel gets the blob page-aligned; libfdt needs 8 bytes.
	std::vector<std::uint64_t> aligned((blob.size() + 7) / 8 + 1);
	if (!blob.empty())
		std::memcpy(aligned.data(), blob.data(), blob.size());
	pkh_error error{};
	v.rc = pkh_parse(aligned.data(), blob.size(), &map, &ops, &error);
	v.err_code = error.code;
	if (v.rc == 0) {
		v.code = "OK";
		for (std::size_t i = 0; i < v.model.regions.size(); i++)
			if (v.nr_files[i] != v.model.regions[i].files.size())
				v.problems.push_back("region " + std::to_string(i) + " nr_files " +
						     std::to_string(v.nr_files[i]) + ", " +
						     std::to_string(v.model.regions[i].files.size()) + " files");
		if (!v.header_seen)
			v.problems.push_back("no header callback");
	} else {
		v.code = v.rc < 0 && -v.rc < PKH_ERR_COUNT ? error_name(static_cast<ErrorCode>(-v.rc)) : "UNKNOWN";
		v.where = error.where;
		v.why = error.why;
		if (v.callbacks)
			v.problems.push_back("callbacks ran for a refused blob");
	}
	return v;
}

// Every field in which two models differ, by path, e.g.
// "regions[1].files[0].extents[3].length" or "regions[0].metadata[2].length";
// empty when they are equal.
inline std::vector<std::string> field_differences(const Handover &a, const Handover &b)
{
	std::vector<std::string> out;
#define PKH_FIELD(path, x, y)                                                                                          \
	do {                                                                                                           \
		if ((x) != (y))                                                                                        \
			out.push_back(path);                                                                           \
	} while (0)
	auto at = [](const std::string &list, std::size_t i) { return list + "[" + std::to_string(i) + "]"; };

	PKH_FIELD("abi_major", a.abi_major, b.abi_major);
	PKH_FIELD("abi_minor", a.abi_minor, b.abi_minor);
	PKH_FIELD("generation", a.generation, b.generation);
	PKH_FIELD("nonce", a.nonce, b.nonce);
	PKH_FIELD("creator", a.creator, b.creator);
	PKH_FIELD("regions.size", a.regions.size(), b.regions.size());
	for (std::size_t i = 0; i < std::min(a.regions.size(), b.regions.size()); i++) {
		const auto &ra = a.regions[i], &rb = b.regions[i];
		const std::string r = at("regions", i);
		PKH_FIELD(r + ".base", ra.base, rb.base);
		PKH_FIELD(r + ".size", ra.size, rb.size);
		PKH_FIELD(r + ".block_size", ra.block_size, rb.block_size);
		PKH_FIELD(r + ".fs_uuid", ra.fs_uuid, rb.fs_uuid);
		PKH_FIELD(r + ".flags", ra.flags, rb.flags);
		PKH_FIELD(r + ".metadata.size", ra.metadata.size(), rb.metadata.size());
		for (std::size_t k = 0; k < std::min(ra.metadata.size(), rb.metadata.size()); k++) {
			const std::string m = r + "." + at("metadata", k);
			PKH_FIELD(m + ".region_offset", ra.metadata[k].region_offset, rb.metadata[k].region_offset);
			PKH_FIELD(m + ".length", ra.metadata[k].length, rb.metadata[k].length);
		}
		PKH_FIELD(r + ".metadata_digest", ra.metadata_digest, rb.metadata_digest);
		PKH_FIELD(r + ".files.size", ra.files.size(), rb.files.size());
		for (std::size_t j = 0; j < std::min(ra.files.size(), rb.files.size()); j++) {
			const auto &fa = ra.files[j], &fb = rb.files[j];
			const std::string f = r + "." + at("files", j);
			PKH_FIELD(f + ".name", fa.name, fb.name);
			PKH_FIELD(f + ".inode", fa.inode, fb.inode);
			PKH_FIELD(f + ".size", fa.size, fb.size);
			PKH_FIELD(f + ".extents.size", fa.extents.size(), fb.extents.size());
			for (std::size_t k = 0; k < std::min(fa.extents.size(), fb.extents.size()); k++) {
				const std::string e = f + "." + at("extents", k);
				PKH_FIELD(e + ".region_offset", fa.extents[k].region_offset,
					  fb.extents[k].region_offset);
				PKH_FIELD(e + ".length", fa.extents[k].length, fb.extents[k].length);
			}
		}
	}
	PKH_FIELD("iommu_units.size", a.iommu_units.size(), b.iommu_units.size());
	for (std::size_t i = 0; i < std::min(a.iommu_units.size(), b.iommu_units.size()); i++) {
		const auto &ua = a.iommu_units[i], &ub = b.iommu_units[i];
		const std::string u = at("iommu_units", i);
		PKH_FIELD(u + ".type", ua.type, ub.type);
		PKH_FIELD(u + ".reg_base", ua.reg_base, ub.reg_base);
		PKH_FIELD(u + ".segment", ua.segment, ub.segment);
		PKH_FIELD(u + ".root_table", ua.root_table, ub.root_table);
		PKH_FIELD(u + ".translation_mode", ua.translation_mode, ub.translation_mode);
		PKH_FIELD(u + ".table_region", ua.table_region, ub.table_region);
	}
	PKH_FIELD("iommu_domains.size", a.iommu_domains.size(), b.iommu_domains.size());
	for (std::size_t i = 0; i < std::min(a.iommu_domains.size(), b.iommu_domains.size()); i++) {
		const auto &da = a.iommu_domains[i], &db = b.iommu_domains[i];
		const std::string d = at("iommu_domains", i);
		PKH_FIELD(d + ".unit", da.unit, db.unit);
		PKH_FIELD(d + ".domain_id", da.domain_id, db.domain_id);
		PKH_FIELD(d + ".pgtable_root", da.pgtable_root, db.pgtable_root);
		PKH_FIELD(d + ".format", da.format, db.format);
		PKH_FIELD(d + ".levels", da.levels, db.levels);
		PKH_FIELD(d + ".address_width", da.address_width, db.address_width);
	}
	PKH_FIELD("devices.size", a.devices.size(), b.devices.size());
	for (std::size_t i = 0; i < std::min(a.devices.size(), b.devices.size()); i++) {
		const auto &da = a.devices[i], &db = b.devices[i];
		const std::string d = at("devices", i);
		PKH_FIELD(d + ".pci_address", da.pci_address, db.pci_address);
		PKH_FIELD(d + ".ids.vendor", da.ids.vendor, db.ids.vendor);
		PKH_FIELD(d + ".ids.device", da.ids.device, db.ids.device);
		PKH_FIELD(d + ".ids.subsystem_vendor", da.ids.subsystem_vendor, db.ids.subsystem_vendor);
		PKH_FIELD(d + ".ids.subsystem_device", da.ids.subsystem_device, db.ids.subsystem_device);
		PKH_FIELD(d + ".iommu_group", da.iommu_group, db.iommu_group);
		PKH_FIELD(d + ".domain", da.domain, db.domain);
		PKH_FIELD(d + ".flags", da.flags, db.flags);
		PKH_FIELD(d + ".iova_map.size", da.iova_map.size(), db.iova_map.size());
		for (std::size_t k = 0; k < std::min(da.iova_map.size(), db.iova_map.size()); k++) {
			const auto &ma = da.iova_map[k], &mb = db.iova_map[k];
			const std::string m = d + "." + at("iova_map", k);
			PKH_FIELD(m + ".iova", ma.iova, mb.iova);
			PKH_FIELD(m + ".region", ma.region, mb.region);
			PKH_FIELD(m + ".region_offset", ma.region_offset, mb.region_offset);
			PKH_FIELD(m + ".length", ma.length, mb.length);
			PKH_FIELD(m + ".perm", ma.perm, mb.perm);
		}
	}
#undef PKH_FIELD
	return out;
}

inline std::string join(const std::vector<std::string> &lines)
{
	std::string out;
	for (const auto &line : lines)
		out += line + "\n";
	return out;
}

} // namespace pkh::kview
