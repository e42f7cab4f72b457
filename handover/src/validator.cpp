// SPDX-License-Identifier: GPL-2.0-only
#include "validator.hpp"
#include "util.hpp"

#include <algorithm>
#include <bit>
#include <fmt/format.h>

namespace pkh::detail
{

namespace
{

// a + b without wrapping; false when the sum does not fit in 64 bits.
bool checked_add(std::uint64_t a, std::uint64_t b, std::uint64_t &sum)
{
	return !__builtin_add_overflow(a, b, &sum);
}

bool is_aligned(std::uint64_t value, std::uint64_t alignment)
{
	return value % alignment == 0;
}

bool inside(std::uint64_t start, std::uint64_t size, const PhysRange &outer)
{
	return start >= outer.start && size <= outer.size && start - outer.start <= outer.size - size;
}

// Last byte of a range, saturating: a platform range may reach 2^64.
std::uint64_t last_byte(std::uint64_t start, std::uint64_t size)
{
	std::uint64_t end = 0;
	return __builtin_add_overflow(start, size - 1, &end) ? UINT64_MAX : end;
}

bool overlaps(std::uint64_t start, std::uint64_t size, const PhysRange &other)
{
	if (size == 0 || other.size == 0)
		return false;
	return start <= last_byte(other.start, other.size) && other.start <= last_byte(start, size);
}

Status ok()
{
	return Ok{};
}

// The metadata range of `region` that [offset, offset + length) touches, or
// nullptr; the ranges are valid (ascending, disjoint), so a binary search.
const Extent *metadata_overlap(const PkernfsRegion &region, std::uint64_t offset, std::uint64_t length)
{
	const auto &ranges = region.metadata;
	auto it = std::partition_point(ranges.begin(), ranges.end(), [&](const Extent &range) {
		return range.region_offset + range.length <= offset;
	});
	if (it == ranges.end() || length == 0)
		return nullptr;
	// The range ends past offset: it overlaps unless it starts at or past
	// offset + length.
	return it->region_offset <= offset || it->region_offset - offset < length ? &*it : nullptr;
}

} // namespace

Error make_error(ErrorCode code, std::string where, std::string why)
{
	return Error{code, std::move(where), std::move(why)};
}

std::string region_path(std::size_t region)
{
	return fmt::format("/regions/region@{:x}", region);
}

std::string file_path(std::size_t region, std::size_t file)
{
	return fmt::format("{}/file@{:x}", region_path(region), file);
}

std::string unit_path(std::size_t unit)
{
	return fmt::format("/iommu/unit@{:x}", unit);
}

std::string domain_path(std::size_t domain)
{
	return fmt::format("/iommu/domain@{:x}", domain);
}

std::string device_path(std::size_t device)
{
	return fmt::format("/devices/device@{:x}", device);
}

bool is_printable_string(const std::string &text)
{
	for (unsigned char c : text)
		if (c < 0x20 || c > 0x7e)
			return false;
	return true;
}

bool valid_file_name(const std::string &name)
{
	return !name.empty() && name.size() <= PKH_MAX_NAME_LEN && is_printable_string(name) &&
	       name.find('/') == std::string::npos && name != "." && name != "..";
}

Status Validator::root(const Handover &handover) const
{
	if (handover.generation == 0)
		return make_error(ErrorCode::BAD_VALUE, "/generation",
				  "generation is 0; the first handover is generation 1");
	if (handover.nonce == 0)
		return make_error(ErrorCode::BAD_VALUE, "/nonce", "nonce is 0; it must be random and non-zero");
	if (handover.creator.empty() || handover.creator.size() > PKH_MAX_CREATOR_LEN ||
	    !is_printable_string(handover.creator))
		return make_error(ErrorCode::BAD_VALUE, "/creator",
				  fmt::format("creator must be 1..{} printable ASCII characters", PKH_MAX_CREATOR_LEN));
	return ok();
}

Status Validator::region(const std::vector<PkernfsRegion> &regions, std::size_t index)
{
	const PkernfsRegion &region = regions[index];
	const std::string path = region_path(index);
	if (region.size == 0)
		return make_error(ErrorCode::ZERO_SIZE, path + "/size", "region size is 0");
	if (!is_aligned(region.base, PKH_REGION_ALIGN))
		return make_error(ErrorCode::UNALIGNED, path + "/base",
				  fmt::format("base {:#x} is not 2 MiB aligned", region.base));
	if (!is_aligned(region.size, PKH_REGION_ALIGN))
		return make_error(ErrorCode::UNALIGNED, path + "/size",
				  fmt::format("size {:#x} is not a multiple of 2 MiB", region.size));
	std::uint64_t end = 0;
	if (!checked_add(region.base, region.size, end))
		return make_error(ErrorCode::OVERFLOW, path + "/size",
				  fmt::format("base {:#x} + size {:#x} wraps around 2^64", region.base, region.size));
	if (region.base < PKH_LOW_MEMORY_END)
		return make_error(ErrorCode::LOW_MEMORY, path + "/base",
				  fmt::format("base {:#x} is below 1 MiB", region.base));
	const std::uint32_t block = region.block_size;
	if (!std::has_single_bit(block) || block < PKH_MIN_BLOCK_SIZE || block > PKH_MAX_BLOCK_SIZE ||
	    region.size % block != 0)
		return make_error(ErrorCode::BAD_VALUE, path + "/block-size",
				  fmt::format("block-size {:#x} must be a power of two in [4 KiB, 1 GiB] "
					      "dividing size {:#x}",
					      block, region.size));
	if (region.size / block > PKH_MAX_REGION_BLOCKS)
		return make_error(
			ErrorCode::TOO_MANY, path + "/block-size",
			fmt::format("{} blocks; at most {} per region", region.size / block, PKH_MAX_REGION_BLOCKS));
	if (region.flags == 0 || (region.flags & ~PKH_REGION_F_ALL) != 0)
		return make_error(
			ErrorCode::BAD_VALUE, path + "/flags",
			fmt::format("flags {:#x}: must be a non-empty set of {:#x}", region.flags, PKH_REGION_F_ALL));
	if (index > 0) {
		const PkernfsRegion &previous = regions[index - 1];
		if (region.base < previous.base)
			return make_error(ErrorCode::NOT_SORTED, path + "/base",
					  fmt::format("base {:#x} comes after region {} at {:#x}; regions are "
						      "in ascending base order",
						      region.base, index - 1, previous.base));
		if (region.base < previous.base + previous.size)
			return make_error(ErrorCode::OVERLAP, path + "/base",
					  fmt::format("{:#x}..{:#x} overlaps region {} ({:#x}..{:#x})", region.base,
						      end - 1, index - 1, previous.base,
						      previous.base + previous.size - 1));
	}
	if (!constraints_.ram.empty()) {
		bool in_ram = false;
		for (const PhysRange &ram : constraints_.ram)
			in_ram = in_ram || inside(region.base, region.size, ram);
		if (!in_ram)
			return make_error(
				ErrorCode::OUTSIDE_RAM, path,
				fmt::format("{:#x}..{:#x} is not inside one system RAM range", region.base, end - 1));
	}
	for (const PhysRange &reserved : constraints_.reserved_for_boot)
		if (overlaps(region.base, region.size, reserved))
			return make_error(ErrorCode::CONFLICT, path,
					  fmt::format("{:#x}..{:#x} overlaps the {} at {:#x}..{:#x}", region.base,
						      end - 1, reserved.what.empty() ? "boot" : reserved.what,
						      reserved.start, last_byte(reserved.start, reserved.size)));
	// ABI v2: where the region's pkernfs metadata lies.  (A v1 region has
	// none: its reader refuses the property as unknown.)
	const std::string metadata = path + "/" PKH_PROP_METADATA;
	for (std::size_t k = 0; k < region.metadata.size(); k++) {
		const Extent &range = region.metadata[k];
		if (range.length == 0)
			return make_error(ErrorCode::ZERO_SIZE, metadata,
					  fmt::format("metadata range {} has length 0", k));
		if (!is_aligned(range.region_offset, PKH_PAGE_SIZE) || !is_aligned(range.length, PKH_PAGE_SIZE))
			return make_error(ErrorCode::UNALIGNED, metadata,
					  fmt::format("metadata range {}: offset {:#x} length {:#x} not multiples of "
						      "4 KiB",
						      k, range.region_offset, range.length));
		std::uint64_t range_end = 0;
		if (!checked_add(range.region_offset, range.length, range_end))
			return make_error(
				ErrorCode::OVERFLOW, metadata,
				fmt::format("metadata range {}: offset {:#x} + length {:#x} wraps around 2^64", k,
					    range.region_offset, range.length));
		if (range_end > region.size)
			return make_error(ErrorCode::OUT_OF_BOUNDS, metadata,
					  fmt::format("metadata range {} {:#x}..{:#x} ends past the region size {:#x}",
						      k, range.region_offset, range_end - 1, region.size));
		if (k == 0)
			continue;
		const Extent &previous = region.metadata[k - 1];
		const std::uint64_t previous_end = previous.region_offset + previous.length;
		if (range.region_offset < previous.region_offset)
			return make_error(ErrorCode::NOT_SORTED, metadata,
					  fmt::format("metadata range {} at {:#x} comes after range {} at {:#x}; "
						      "ranges are in ascending offset order",
						      k, range.region_offset, k - 1, previous.region_offset));
		if (range.region_offset < previous_end)
			return make_error(ErrorCode::OVERLAP, metadata,
					  fmt::format("metadata range {} at {:#x} starts inside range {} "
						      "({:#x}..{:#x})",
						      k, range.region_offset, k - 1, previous.region_offset,
						      previous_end - 1));
		if (range.region_offset == previous_end)
			return make_error(ErrorCode::BAD_VALUE, metadata,
					  fmt::format("metadata range {} at {:#x} starts where range {} ends; "
						      "adjacent ranges must be one range",
						      k, range.region_offset, k - 1));
	}
	return ok();
}

void Validator::begin_files(const PkernfsRegion &region)
{
	const std::uint64_t blocks = region.size / region.block_size;
	used_blocks_.assign((blocks + 63) / 64, 0);
	file_names_.clear();
}

Status Validator::file(const PkernfsRegion &region, std::size_t region_index, std::size_t index)
{
	const PkernfsFile &file = region.files[index];
	const std::string path = file_path(region_index, index);
	if (!valid_file_name(file.name))
		return make_error(ErrorCode::BAD_VALUE, path + "/name",
				  fmt::format("name must be 1..{} printable characters without '/', "
					      "not . or ..",
					      PKH_MAX_NAME_LEN));
	if (file.inode == 0)
		return make_error(ErrorCode::BAD_VALUE, path + "/inode", "inode 0 is not a valid inode");
	if (index > 0) {
		const std::uint64_t previous = region.files[index - 1].inode;
		if (file.inode == previous)
			return make_error(ErrorCode::DUPLICATE, path + "/inode",
					  fmt::format("inode {} appears twice", file.inode));
		if (file.inode < previous)
			return make_error(ErrorCode::NOT_SORTED, path + "/inode",
					  fmt::format("inode {} after inode {}; files are in ascending "
						      "inode order",
						      file.inode, previous));
	}
	if (!file_names_.insert(file.name).second)
		return make_error(ErrorCode::DUPLICATE, path + "/name",
				  fmt::format("name \"{}\" appears twice in the region", file.name));

	// ABI v2: the file's blocks are found through the region's metadata.
	if (major_ >= 2)
		return ok();
	const std::uint64_t block = region.block_size;
	std::uint64_t total = 0;
	for (std::size_t k = 0; k < file.extents.size(); k++) {
		const Extent &extent = file.extents[k];
		// Formatted only on failure: this loop runs once per extent.
		auto where = [&] { return fmt::format("{}/extents[{}]", path, k); };
		if (extent.length == 0)
			return make_error(ErrorCode::ZERO_SIZE, where(), "extent length is 0");
		if (!is_aligned(extent.region_offset, block) || !is_aligned(extent.length, block))
			return make_error(ErrorCode::UNALIGNED, where(),
					  fmt::format("offset {:#x} length {:#x} not multiples of block-size "
						      "{:#x}",
						      extent.region_offset, extent.length, block));
		std::uint64_t end = 0;
		if (!checked_add(extent.region_offset, extent.length, end))
			return make_error(ErrorCode::OVERFLOW, where(),
					  fmt::format("offset {:#x} + length {:#x} wraps around 2^64",
						      extent.region_offset, extent.length));
		if (end > region.size)
			return make_error(ErrorCode::OUT_OF_BOUNDS, where(),
					  fmt::format("{:#x}..{:#x} ends past the region size {:#x}",
						      extent.region_offset, end - 1, region.size));
		for (std::uint64_t b = extent.region_offset / block; b < end / block; b++) {
			std::uint64_t &word = used_blocks_[b / 64];
			const std::uint64_t bit = std::uint64_t{1} << (b % 64);
			if (word & bit)
				return make_error(ErrorCode::OVERLAP, where(),
						  fmt::format("block at offset {:#x} is already used by "
							      "another extent",
							      b * block));
			word |= bit;
		}
		total += extent.length; // cannot wrap: blocks are distinct inside the region
	}
	const std::uint64_t blocks_needed = file.size / block + (file.size % block != 0);
	if (total / block != blocks_needed)
		return make_error(ErrorCode::BAD_VALUE, path + "/extents",
				  fmt::format("extents hold {:#x} bytes; size {:#x} needs {:#x}", total, file.size,
					      blocks_needed * block));
	return ok();
}

Status Validator::unit(const Handover &handover, std::size_t index) const
{
	const IommuUnit &unit = handover.iommu_units[index];
	const std::string path = unit_path(index);
	if (unit.type < PKH_IOMMU_TYPE_INTEL_VTD || unit.type > PKH_IOMMU_TYPE_ARM_SMMU_V3)
		return make_error(ErrorCode::BAD_VALUE, path + "/type",
				  fmt::format("type {} is not an IOMMU type", unit.type));
	if (unit.type != PKH_IOMMU_TYPE_INTEL_VTD)
		return make_error(ErrorCode::UNSUPPORTED, path + "/type",
				  fmt::format("type {} ({}) is reserved; ABI v1 and v2 carry Intel VT-d only",
					      unit.type, unit.type == PKH_IOMMU_TYPE_AMD_VI ? "AMD-Vi" : "SMMUv3"));
	if (!is_aligned(unit.reg_base, PKH_PAGE_SIZE))
		return make_error(ErrorCode::UNALIGNED, path + "/reg-base",
				  fmt::format("reg-base {:#x} is not 4 KiB aligned", unit.reg_base));
	if (index > 0) {
		const std::uint64_t previous = handover.iommu_units[index - 1].reg_base;
		if (unit.reg_base == previous)
			return make_error(ErrorCode::DUPLICATE, path + "/reg-base",
					  fmt::format("two units at {:#x}", unit.reg_base));
		if (unit.reg_base < previous)
			return make_error(ErrorCode::NOT_SORTED, path + "/reg-base",
					  fmt::format("{:#x} after {:#x}; units are in ascending reg-base order",
						      unit.reg_base, previous));
	}
	if (unit.segment > 0xffff)
		return make_error(ErrorCode::BAD_VALUE, path + "/segment",
				  fmt::format("segment {:#x} is over 0xffff", unit.segment));
	if (!is_aligned(unit.root_table, PKH_PAGE_SIZE))
		return make_error(ErrorCode::UNALIGNED, path + "/root-table",
				  fmt::format("root-table {:#x} is not 4 KiB aligned", unit.root_table));
	if (unit.translation_mode < PKH_TRANSLATION_LEGACY || unit.translation_mode > PKH_TRANSLATION_SCALABLE)
		return make_error(
			ErrorCode::BAD_VALUE, path + "/translation-mode",
			fmt::format("translation-mode {} is not 1 (legacy) or 2 (scalable)", unit.translation_mode));
	if (unit.table_region >= handover.regions.size())
		return make_error(ErrorCode::BAD_REFERENCE, path + "/table-region",
				  fmt::format("region {} does not exist ({} regions)", unit.table_region,
					      handover.regions.size()));
	const PkernfsRegion &tables = handover.regions[unit.table_region];
	if (!(tables.flags & PKH_REGION_F_IOMMU_TABLES))
		return make_error(ErrorCode::BAD_VALUE, path + "/table-region",
				  fmt::format("region {} is not flagged iommu-tables", unit.table_region));
	if (!inside(unit.root_table, PKH_PAGE_SIZE, PhysRange{tables.base, tables.size, {}}))
		return make_error(ErrorCode::OUT_OF_BOUNDS, path + "/root-table",
				  fmt::format("root table {:#x} is outside region {} ({:#x}..{:#x})", unit.root_table,
					      unit.table_region, tables.base, tables.base + tables.size - 1));
	if (const Extent *range = metadata_overlap(tables, unit.root_table - tables.base, PKH_PAGE_SIZE))
		return make_error(ErrorCode::OVERLAP, path + "/root-table",
				  fmt::format("root table {:#x} lies in region {}'s pkernfs metadata at "
					      "{:#x}..{:#x}",
					      unit.root_table, unit.table_region, tables.base + range->region_offset,
					      tables.base + range->region_offset + range->length - 1));
	return ok();
}

Status Validator::domain(const Handover &handover, std::size_t index, const IovaMap &map) const
{
	const IommuDomain &domain = handover.iommu_domains[index];
	const std::string path = domain_path(index);
	if (domain.unit >= handover.iommu_units.size())
		return make_error(
			ErrorCode::BAD_REFERENCE, path + "/unit",
			fmt::format("unit {} does not exist ({} units)", domain.unit, handover.iommu_units.size()));
	if (domain.domain_id == 0 || domain.domain_id > 0xffff)
		return make_error(ErrorCode::BAD_VALUE, path + "/domain-id",
				  fmt::format("domain-id {} is not in 1..65535", domain.domain_id));
	if (index > 0) {
		const IommuDomain &previous = handover.iommu_domains[index - 1];
		const auto key = std::pair(domain.unit, domain.domain_id);
		const auto previous_key = std::pair(previous.unit, previous.domain_id);
		if (key == previous_key)
			return make_error(
				ErrorCode::DUPLICATE, path + "/domain-id",
				fmt::format("domain-id {} appears twice on unit {}", domain.domain_id, domain.unit));
		if (key < previous_key)
			return make_error(ErrorCode::NOT_SORTED, path + "/domain-id",
					  fmt::format("unit {} domain-id {} after unit {} domain-id {}; domains are "
						      "in ascending (unit, domain-id) order",
						      domain.unit, domain.domain_id, previous.unit,
						      previous.domain_id));
	}
	if (!is_aligned(domain.pgtable_root, PKH_PAGE_SIZE))
		return make_error(ErrorCode::UNALIGNED, path + "/pgtable-root",
				  fmt::format("pgtable-root {:#x} is not 4 KiB aligned", domain.pgtable_root));
	const IommuUnit &unit = handover.iommu_units[domain.unit];
	const PkernfsRegion &tables = handover.regions[unit.table_region];
	if (!inside(domain.pgtable_root, PKH_PAGE_SIZE, PhysRange{tables.base, tables.size, {}}))
		return make_error(ErrorCode::OUT_OF_BOUNDS, path + "/pgtable-root",
				  fmt::format("page-table root {:#x} is outside the unit's table region {} "
					      "({:#x}..{:#x})",
					      domain.pgtable_root, unit.table_region, tables.base,
					      tables.base + tables.size - 1));
	if (domain.format < PKH_PGTABLE_VTD_SECOND_LEVEL || domain.format > PKH_PGTABLE_VTD_FIRST_LEVEL)
		return make_error(ErrorCode::BAD_VALUE, path + "/format",
				  fmt::format("format {} is not 1 (second-level) or 2 (first-level)", domain.format));
	if (domain.levels < 3 || domain.levels > 5)
		return make_error(ErrorCode::BAD_VALUE, path + "/levels",
				  fmt::format("levels {} is not 3, 4 or 5", domain.levels));
	if (domain.address_width != 12 + 9 * domain.levels)
		return make_error(ErrorCode::BAD_VALUE, path + "/address-width",
				  fmt::format("address-width {} does not match {} levels ({} bits)",
					      domain.address_width, domain.levels, 12 + 9 * domain.levels));
	if (const Extent *range = metadata_overlap(tables, domain.pgtable_root - tables.base, PKH_PAGE_SIZE))
		return make_error(ErrorCode::OVERLAP, path + "/pgtable-root",
				  fmt::format("page-table root {:#x} lies in region {}'s pkernfs metadata at "
					      "{:#x}..{:#x}",
					      domain.pgtable_root, unit.table_region,
					      tables.base + range->region_offset,
					      tables.base + range->region_offset + range->length - 1));
	// ABI v3: the map is the domain's, written once for all its devices.
	if (major_ >= 3)
		return iova_map(handover, map, domain, path);
	return ok();
}

Status Validator::iova_map(const Handover &handover, const IovaMap &iova_map, const IommuDomain &domain,
			   const std::string &path) const
{
	if (iova_map.size() > PKH_MAX_IOVA_MAPPINGS)
		return make_error(ErrorCode::TOO_MANY, path + "/iova-map",
				  fmt::format("{} mappings; at most {}", iova_map.size(), PKH_MAX_IOVA_MAPPINGS));
	std::uint64_t previous_end = 0;
	for (std::size_t k = 0; k < iova_map.size(); k++) {
		const IovaMapping &map = iova_map[k];
		auto where = [&] { return fmt::format("{}/iova-map[{}]", path, k); };
		if (map.length == 0)
			return make_error(ErrorCode::ZERO_SIZE, where(), "mapping length is 0");
		if (!is_aligned(map.iova, PKH_PAGE_SIZE) || !is_aligned(map.region_offset, PKH_PAGE_SIZE) ||
		    !is_aligned(map.length, PKH_PAGE_SIZE))
			return make_error(ErrorCode::UNALIGNED, where(),
					  fmt::format("iova {:#x} offset {:#x} length {:#x} must be 4 KiB "
						      "aligned",
						      map.iova, map.region_offset, map.length));
		std::uint64_t iova_end = 0, offset_end = 0;
		if (!checked_add(map.iova, map.length, iova_end) ||
		    !checked_add(map.region_offset, map.length, offset_end))
			return make_error(ErrorCode::OVERFLOW, where(), "iova or offset + length wraps around 2^64");
		if (map.region >= handover.regions.size())
			return make_error(ErrorCode::BAD_REFERENCE, where(),
					  fmt::format("region {} does not exist ({} regions)", map.region,
						      handover.regions.size()));
		if (map.perm == 0 || (map.perm & ~PKH_IOVA_PERM_ALL))
			return make_error(ErrorCode::BAD_VALUE, where(),
					  fmt::format("perm {:#x} must be a non-empty set of read (1) and "
						      "write (2)",
						      map.perm));
		const PkernfsRegion &region = handover.regions[map.region];
		if (!(region.flags & PKH_REGION_F_GUEST_RAM))
			return make_error(ErrorCode::BAD_VALUE, where(),
					  fmt::format("region {} is not flagged guest-ram", map.region));
		if (offset_end > region.size)
			return make_error(ErrorCode::OUT_OF_BOUNDS, where(),
					  fmt::format("offset {:#x} + length {:#x} is past region {}'s size {:#x}",
						      map.region_offset, map.length, map.region, region.size));
		if (domain.address_width < 64 && iova_end > (std::uint64_t{1} << domain.address_width))
			return make_error(ErrorCode::OUT_OF_BOUNDS, where(),
					  fmt::format("iova {:#x}..{:#x} is past the domain's {}-bit space", map.iova,
						      iova_end - 1, domain.address_width));
		if (k > 0 && map.iova < previous_end)
			return make_error(ErrorCode::OVERLAP, where(),
					  fmt::format("iova {:#x} starts before the previous mapping ends "
						      "({:#x})",
						      map.iova, previous_end));
		previous_end = iova_end;
	}
	// ABI v2 on: no device may reach the region's pkernfs metadata.
	for (std::size_t k = 0; k < iova_map.size(); k++) {
		const IovaMapping &map = iova_map[k];
		const PkernfsRegion &region = handover.regions[map.region];
		if (const Extent *range = metadata_overlap(region, map.region_offset, map.length))
			return make_error(ErrorCode::OVERLAP, path + "/iova-map",
					  fmt::format("iova-map[{}] maps region {} offsets {:#x}..{:#x}, which overlap "
						      "its pkernfs metadata at {:#x}..{:#x}",
						      k, map.region, map.region_offset,
						      map.region_offset + map.length - 1, range->region_offset,
						      range->region_offset + range->length - 1));
	}
	return ok();
}

Status Validator::device(const Handover &handover, std::size_t index)
{
	const VfioDevice &device = handover.devices[index];
	const std::string path = device_path(index);
	if (index > 0) {
		const std::uint32_t previous = handover.devices[index - 1].pci_address;
		if (device.pci_address == previous)
			return make_error(
				ErrorCode::DUPLICATE, path + "/pci-address",
				fmt::format("{} appears twice", util::pci_address_string(device.pci_address)));
		if (device.pci_address < previous)
			return make_error(ErrorCode::NOT_SORTED, path + "/pci-address",
					  fmt::format("{} after {}; devices are in ascending PCI address order",
						      util::pci_address_string(device.pci_address),
						      util::pci_address_string(previous)));
	}
	if (device.ids.vendor == 0xffff)
		return make_error(ErrorCode::BAD_VALUE, path + "/pci-ids",
				  "vendor 0xffff is what an absent device reads as");
	if (device.domain >= handover.iommu_domains.size())
		return make_error(ErrorCode::BAD_REFERENCE, path + "/domain",
				  fmt::format("domain {} does not exist ({} domains)", device.domain,
					      handover.iommu_domains.size()));
	const IommuDomain &domain = handover.iommu_domains[device.domain];
	const IommuUnit &unit = handover.iommu_units[domain.unit];
	if (unit.segment != PKH_PCI_SEGMENT(device.pci_address))
		return make_error(ErrorCode::BAD_VALUE, path + "/domain",
				  fmt::format("device is on segment {} but domain {}'s unit translates "
					      "segment {}",
					      PKH_PCI_SEGMENT(device.pci_address), device.domain, unit.segment));
	if (device.flags & ~PKH_DEVICE_F_ALL)
		return make_error(ErrorCode::BAD_VALUE, path + "/flags",
				  fmt::format("unknown flag bits {:#x}", device.flags & ~PKH_DEVICE_F_ALL));
	// ABI v1 and v2: each device carries its domain's map.
	if (major_ < 3)
		if (auto status = iova_map(handover, device.iova_map, domain, path); !status)
			return status;
	// The domain's tables translate the same for every device attached to
	// it, so two maps of one domain cannot both be what it translates.
	if (first_device_.size() != handover.iommu_domains.size())
		first_device_.assign(handover.iommu_domains.size(), std::string::npos);
	std::size_t &first_index = first_device_[device.domain];
	if (first_index == std::string::npos) {
		first_index = index;
	} else if (const VfioDevice &first = handover.devices[first_index]; !(first.iova_map == device.iova_map)) {
		return make_error(ErrorCode::BAD_VALUE, path + "/iova-map",
				  fmt::format("differs from the iova map of device@{:x} ({}), which is "
					      "attached to the same domain {}",
					      first_index, util::pci_address_string(first.pci_address), device.domain));
	}
	return ok();
}

std::vector<std::size_t> first_device_of_each_domain(const Handover &handover)
{
	std::vector<std::size_t> first(handover.iommu_domains.size(), handover.devices.size());
	for (std::size_t d = handover.devices.size(); d-- > 0;)
		if (handover.devices[d].domain < first.size())
			first[handover.devices[d].domain] = d;
	return first;
}

} // namespace pkh::detail
