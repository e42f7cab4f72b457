// SPDX-License-Identifier: GPL-2.0-only
//
// Presentation: the readable tree that `pkhandover inspect` prints and the
// semantic diff of `pkhandover diff`.  Both read only the model.
#include <pkhandover/handover.hpp>

#include <algorithm>
#include <fmt/format.h>
#include <functional>
#include <map>

namespace pkh {

std::string hex(std::uint64_t value)
{
	return fmt::format("{:#x}", value);
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

std::string pci_address_string(std::uint32_t pci_address)
{
	return fmt::format("{:04x}:{:02x}:{:02x}.{:x}", PKH_PCI_SEGMENT(pci_address), PKH_PCI_BUS(pci_address),
			   PKH_PCI_DEVICE(pci_address), PKH_PCI_FUNCTION(pci_address));
}

namespace {

std::string region_flags_text(std::uint32_t flags)
{
	std::string text;
	if (flags & PKH_REGION_F_GUEST_RAM)
		text += "guest-ram";
	if (flags & PKH_REGION_F_IOMMU_TABLES)
		text += text.empty() ? "iommu-tables" : ",iommu-tables";
	return text.empty() ? "none" : text;
}

std::string device_flags_text(std::uint32_t flags)
{
	std::string text;
	if (flags & PKH_DEVICE_F_NO_RESET)
		text += "no-reset";
	if (flags & PKH_DEVICE_F_KEEP_BUS_MASTER)
		text += text.empty() ? "keep-bus-master" : ",keep-bus-master";
	return text.empty() ? "none" : text;
}

std::string perm_text(std::uint32_t perm)
{
	return std::string(perm & PKH_IOVA_PERM_READ ? "r" : "-") + (perm & PKH_IOVA_PERM_WRITE ? "w" : "-");
}

std::string uuid_text(const Uuid &uuid)
{
	std::string text;
	for (std::size_t i = 0; i < uuid.size(); i++)
		text += fmt::format("{}{:02x}", (i == 4 || i == 6 || i == 8 || i == 10) ? "-" : "", uuid[i]);
	return text;
}

const char *unit_type_text(std::uint32_t type)
{
	switch (type) {
	case PKH_IOMMU_TYPE_INTEL_VTD: return "intel-vtd";
	case PKH_IOMMU_TYPE_AMD_VI: return "amd-vi";
	case PKH_IOMMU_TYPE_ARM_SMMU_V3: return "arm-smmu-v3";
	default: return "unknown";
	}
}

// Contiguous runs of a file's extents, so 2048 blocks in a row read as one.
std::vector<Extent> coalesce(const std::vector<Extent> &extents)
{
	std::vector<Extent> runs;
	for (const Extent &extent : extents) {
		if (!runs.empty() && runs.back().region_offset + runs.back().length == extent.region_offset)
			runs.back().length += extent.length;
		else
			runs.push_back(extent);
	}
	return runs;
}

std::string domain_identity(const Handover &h, std::uint32_t domain_index)
{
	if (domain_index >= h.iommu_domains.size())
		return fmt::format("domain #{} (missing)", domain_index);
	const IommuDomain &domain = h.iommu_domains[domain_index];
	const std::uint64_t reg_base =
		domain.unit < h.iommu_units.size() ? h.iommu_units[domain.unit].reg_base : 0;
	return fmt::format("domain id {} on unit {:#x}", domain.domain_id, reg_base);
}

// A record that refers to a region by index (a unit's table region, an IOVA
// range's backing) is compared by the region's base: the index is only a
// position in the list, and shifts when a region is added before it.
std::string region_identity(const Handover &h, std::uint32_t region_index)
{
	if (region_index >= h.regions.size())
		return fmt::format("region #{} (missing)", region_index);
	return fmt::format("region {:#x}", h.regions[region_index].base);
}

const char *translation_mode_text(std::uint32_t mode)
{
	switch (mode) {
	case PKH_TRANSLATION_LEGACY: return "legacy";
	case PKH_TRANSLATION_SCALABLE: return "scalable";
	default: return "unknown";
	}
}

const char *pgtable_format_text(std::uint32_t format)
{
	switch (format) {
	case PKH_PGTABLE_VTD_SECOND_LEVEL: return "vtd-second-level";
	case PKH_PGTABLE_VTD_FIRST_LEVEL: return "vtd-first-level";
	default: return "unknown";
	}
}

// The exact value leads; the binary-unit size only helps the eye, as it
// rounds (0xfffff000 and 0xffffe000 are both "4.00 GiB").
std::string exact_size(std::uint64_t bytes)
{
	return fmt::format("{:#x} ({})", bytes, human_size(bytes));
}

std::string quoted(const std::string &text)
{
	return fmt::format("\"{}\"", text);
}

std::string pci_ids_text(const PciIds &ids)
{
	return fmt::format("{:04x}:{:04x} (subsystem {:04x}:{:04x})", ids.vendor, ids.device, ids.subsystem_vendor,
			   ids.subsystem_device);
}

std::string extent_text(const Extent &extent)
{
	return fmt::format("offset {:#x} length {:#x}", extent.region_offset, extent.length);
}

std::string iova_mapping_text(const Handover &h, const IovaMapping &map)
{
	return fmt::format("iova {:#x} length {:#x} {} offset {:#x} perm {:#x} ({})", map.iova, map.length,
			   region_identity(h, map.region), map.region_offset, map.perm, perm_text(map.perm));
}

// Differing positions of a list that are printed in full; a reallocated
// 4 GiB file differs in all of its 2048 extents, and the count says that.
constexpr std::size_t shown_list_differences = 8;

// Compares two lists whose order carries meaning (a file's extents are in
// file order, a device's IOVA ranges in IOVA order) position by position:
// a summary line with the exact counts, then the first differing positions
// with every field of the element on both sides.
template <typename T, typename Same, typename DescribeBefore, typename DescribeAfter>
void diff_list(std::vector<std::string> &lines, const std::string &owner, const char *list_name,
	       const char *element_name, const char *elements_name, const std::vector<T> &before,
	       const std::vector<T> &after, Same same, DescribeBefore describe_before, DescribeAfter describe_after)
{
	std::vector<std::string> details;
	std::size_t differing = 0;
	for (std::size_t k = 0; k < std::max(before.size(), after.size()); k++) {
		const bool in_before = k < before.size(), in_after = k < after.size();
		if (in_before && in_after && same(before[k], after[k]))
			continue;
		differing++;
		if (details.size() == shown_list_differences)
			continue;
		const std::string element = fmt::format("{} {} {}", owner, element_name, k);
		if (!in_after)
			details.push_back(fmt::format("- {}: {}", element, describe_before(before[k])));
		else if (!in_before)
			details.push_back(fmt::format("+ {}: {}", element, describe_after(after[k])));
		else
			details.push_back(fmt::format("~ {}: {} -> {}", element, describe_before(before[k]),
						      describe_after(after[k])));
	}
	if (differing == 0)
		return;
	lines.push_back(fmt::format(
		"~ {} {}: {} -> {} {}, {} differ{}", owner, list_name, before.size(), after.size(), elements_name,
		differing, differing > details.size() ? fmt::format(" (first {} shown)", details.size()) : ""));
	lines.insert(lines.end(), details.begin(), details.end());
}

} // namespace

std::string to_text(const Handover &h)
{
	std::string out;
	out += fmt::format("handover ABI {}.{}  generation {}  nonce {:#018x}\n", PKH_ABI_MAJOR, h.abi_minor,
			   h.generation, h.nonce);
	out += fmt::format("creator \"{}\"\n", h.creator);

	out += fmt::format("regions ({})\n", h.regions.size());
	for (std::size_t r = 0; r < h.regions.size(); r++) {
		const PkernfsRegion &region = h.regions[r];
		std::uint64_t used = 0;
		for (const PkernfsFile &file : region.files)
			for (const Extent &extent : file.extents)
				used += extent.length;
		out += fmt::format("  region {}  {:#x}-{:#x}  {}  {}  block {}  fs {}\n", r, region.base,
				   region.base + region.size - 1, human_size(region.size),
				   region_flags_text(region.flags), human_size(region.block_size),
				   uuid_text(region.fs_uuid));
		for (const PkernfsFile &file : region.files) {
			const auto runs = coalesce(file.extents);
			out += fmt::format("    file \"{}\"  inode {}  {}  {} extents in {} run{}\n", file.name,
					   file.inode, human_size(file.size), file.extents.size(), runs.size(),
					   runs.size() == 1 ? "" : "s");
			constexpr std::size_t shown = 4;
			for (std::size_t i = 0; i < runs.size() && i < shown; i++)
				out += fmt::format("      +{:#x}  {}  at {:#x}\n", runs[i].region_offset,
						   human_size(runs[i].length), region.base + runs[i].region_offset);
			if (runs.size() > shown)
				out += fmt::format("      ... {} more runs\n", runs.size() - shown);
		}
		if (region.flags & PKH_REGION_F_GUEST_RAM)
			out += fmt::format("    {} of {} in files\n", human_size(used), human_size(region.size));
	}

	out += fmt::format("iommu units ({})\n", h.iommu_units.size());
	for (std::size_t u = 0; u < h.iommu_units.size(); u++) {
		const IommuUnit &unit = h.iommu_units[u];
		out += fmt::format("  unit {}  {}  registers {:#x}  segment {:04x}  {}  root table {:#x} (region {})\n", u,
				   unit_type_text(unit.type), unit.reg_base, unit.segment,
				   unit.translation_mode == PKH_TRANSLATION_SCALABLE ? "scalable" : "legacy",
				   unit.root_table, unit.table_region);
		for (std::size_t d = 0; d < h.iommu_domains.size(); d++) {
			const IommuDomain &domain = h.iommu_domains[d];
			if (domain.unit != u)
				continue;
			out += fmt::format("    domain {}  id {}  {}-level {}  {}-bit  page tables at {:#x}\n", d,
					   domain.domain_id, domain.levels,
					   domain.format == PKH_PGTABLE_VTD_FIRST_LEVEL ? "first-level" : "second-level",
					   domain.address_width, domain.pgtable_root);
			for (const VfioDevice &device : h.devices)
				if (device.domain == d)
					out += fmt::format("      device {}\n", pci_address_string(device.pci_address));
		}
	}

	out += fmt::format("devices ({})\n", h.devices.size());
	for (const VfioDevice &device : h.devices) {
		std::uint64_t mapped = 0;
		for (const IovaMapping &map : device.iova_map)
			mapped += map.length;
		out += fmt::format("  {}  {:04x}:{:04x} (subsystem {:04x}:{:04x})  group {}  domain {}  {}\n",
				   pci_address_string(device.pci_address), device.ids.vendor, device.ids.device,
				   device.ids.subsystem_vendor, device.ids.subsystem_device, device.iommu_group,
				   device.domain, device_flags_text(device.flags));
		out += fmt::format("    {} mapped in {} range{}\n", human_size(mapped), device.iova_map.size(),
				   device.iova_map.size() == 1 ? "" : "s");
		constexpr std::size_t shown = 8;
		for (std::size_t k = 0; k < device.iova_map.size() && k < shown; k++) {
			const IovaMapping &map = device.iova_map[k];
			const std::uint64_t phys =
				map.region < h.regions.size() ? h.regions[map.region].base + map.region_offset : 0;
			out += fmt::format("    iova {:#x}-{:#x}  {}  -> region {} +{:#x} (phys {:#x})  {}\n", map.iova,
					   map.iova + map.length - 1, human_size(map.length), map.region,
					   map.region_offset, phys, perm_text(map.perm));
		}
		if (device.iova_map.size() > shown)
			out += fmt::format("    ... {} more ranges\n", device.iova_map.size() - shown);
	}
	return out;
}

std::vector<std::string> diff(const Handover &a, const Handover &b)
{
	std::vector<std::string> lines;
	// Raw values are compared and only then formatted: formatted values can
	// hide a difference (human_size rounds to two decimals).
	auto changed = [&](const std::string &what, const auto &before, const auto &after, auto show) {
		if (before != after)
			lines.push_back(fmt::format("~ {}: {} -> {}", what, show(before), show(after)));
	};
	const auto as_is = [](const auto &value) { return fmt::format("{}", value); };
	const auto as_hex = [](std::uint64_t value) { return hex(value); };
	changed("abi minor", a.abi_minor, b.abi_minor, as_is);
	changed("generation", a.generation, b.generation, as_is);
	changed("nonce", a.nonce, b.nonce, as_hex);
	changed("creator", a.creator, b.creator, quoted);

	// Regions are matched by base address, files by inode.
	std::map<std::uint64_t, const PkernfsRegion *> regions_a, regions_b;
	for (const PkernfsRegion &region : a.regions)
		regions_a[region.base] = &region;
	for (const PkernfsRegion &region : b.regions)
		regions_b[region.base] = &region;
	for (const auto &[base, region] : regions_a)
		if (!regions_b.count(base))
			lines.push_back(fmt::format("- region {:#x}: size {}, {} files", base, exact_size(region->size),
						    region->files.size()));
	for (const auto &[base, region] : regions_b) {
		auto old_it = regions_a.find(base);
		if (old_it == regions_a.end()) {
			lines.push_back(fmt::format("+ region {:#x}: size {}, {} files", base, exact_size(region->size),
						    region->files.size()));
			continue;
		}
		const PkernfsRegion &old_region = *old_it->second;
		const std::string name = fmt::format("region {:#x}", base);
		changed(name + " size", old_region.size, region->size, exact_size);
		changed(name + " block size", std::uint64_t{old_region.block_size}, std::uint64_t{region->block_size},
			exact_size);
		changed(name + " flags", old_region.flags, region->flags,
			[](std::uint32_t flags) { return fmt::format("{:#x} ({})", flags, region_flags_text(flags)); });
		changed(name + " fs uuid", old_region.fs_uuid, region->fs_uuid, uuid_text);
		std::map<std::uint64_t, const PkernfsFile *> files_a, files_b;
		for (const PkernfsFile &file : old_region.files)
			files_a[file.inode] = &file;
		for (const PkernfsFile &file : region->files)
			files_b[file.inode] = &file;
		for (const auto &[inode, file] : files_a)
			if (!files_b.count(inode))
				lines.push_back(fmt::format("- {} file \"{}\": inode {}, size {}", name, file->name,
							    inode, exact_size(file->size)));
		for (const auto &[inode, file] : files_b) {
			auto old_file = files_a.find(inode);
			if (old_file == files_a.end()) {
				lines.push_back(fmt::format("+ {} file \"{}\": inode {}, size {}", name, file->name,
							    inode, exact_size(file->size)));
				continue;
			}
			const PkernfsFile &before = *old_file->second;
			const std::string file_name = fmt::format("{} file inode {}", name, inode);
			changed(file_name + " name", before.name, file->name, quoted);
			changed(file_name + " size", before.size, file->size, exact_size);
			diff_list(lines, file_name, "extents", "extent", "extents", before.extents, file->extents,
				  std::equal_to<Extent>{}, extent_text, extent_text);
		}
	}

	// Units by register base; domains by (unit register base, domain id).
	std::map<std::uint64_t, const IommuUnit *> units_a, units_b;
	for (const IommuUnit &unit : a.iommu_units)
		units_a[unit.reg_base] = &unit;
	for (const IommuUnit &unit : b.iommu_units)
		units_b[unit.reg_base] = &unit;
	for (const auto &[reg_base, unit] : units_a)
		if (!units_b.count(reg_base))
			lines.push_back(fmt::format("- iommu unit {:#x}", reg_base));
	for (const auto &[reg_base, unit] : units_b) {
		auto old_unit = units_a.find(reg_base);
		if (old_unit == units_a.end()) {
			lines.push_back(fmt::format("+ iommu unit {:#x}", reg_base));
			continue;
		}
		const IommuUnit &before = *old_unit->second;
		const std::string name = fmt::format("iommu unit {:#x}", reg_base);
		changed(name + " type", before.type, unit->type,
			[](std::uint32_t type) { return fmt::format("{} ({})", type, unit_type_text(type)); });
		changed(name + " segment", before.segment, unit->segment, as_hex);
		changed(name + " root table", before.root_table, unit->root_table, as_hex);
		changed(name + " translation mode", before.translation_mode, unit->translation_mode,
			[](std::uint32_t mode) { return fmt::format("{} ({})", mode, translation_mode_text(mode)); });
		changed(name + " table region", region_identity(a, before.table_region),
			region_identity(b, unit->table_region), as_is);
	}
	std::map<std::string, const IommuDomain *> domains_a, domains_b;
	for (std::size_t d = 0; d < a.iommu_domains.size(); d++)
		domains_a[domain_identity(a, d)] = &a.iommu_domains[d];
	for (std::size_t d = 0; d < b.iommu_domains.size(); d++)
		domains_b[domain_identity(b, d)] = &b.iommu_domains[d];
	for (const auto &[identity, domain] : domains_a)
		if (!domains_b.count(identity))
			lines.push_back(fmt::format("- {}", identity));
	for (const auto &[identity, domain] : domains_b) {
		auto old_domain = domains_a.find(identity);
		if (old_domain == domains_a.end()) {
			lines.push_back(fmt::format("+ {}", identity));
			continue;
		}
		// unit and domain_id are the identity itself.
		const IommuDomain &before = *old_domain->second;
		changed(identity + " page-table root", before.pgtable_root, domain->pgtable_root, as_hex);
		changed(identity + " format", before.format, domain->format, [](std::uint32_t format) {
			return fmt::format("{} ({})", format, pgtable_format_text(format));
		});
		changed(identity + " levels", before.levels, domain->levels, as_is);
		changed(identity + " address width", before.address_width, domain->address_width, as_is);
	}

	// Devices by PCI address.
	std::map<std::uint32_t, const VfioDevice *> devices_a, devices_b;
	for (const VfioDevice &device : a.devices)
		devices_a[device.pci_address] = &device;
	for (const VfioDevice &device : b.devices)
		devices_b[device.pci_address] = &device;
	for (const auto &[address, device] : devices_a)
		if (!devices_b.count(address))
			lines.push_back(fmt::format("- device {} ({:04x}:{:04x})", pci_address_string(address),
						    device->ids.vendor, device->ids.device));
	for (const auto &[address, device] : devices_b) {
		auto old_device = devices_a.find(address);
		const std::string name = fmt::format("device {}", pci_address_string(address));
		if (old_device == devices_a.end()) {
			lines.push_back(fmt::format("+ {} ({:04x}:{:04x})", name, device->ids.vendor, device->ids.device));
			continue;
		}
		const VfioDevice &before = *old_device->second;
		changed(name + " ids", before.ids, device->ids, pci_ids_text);
		const std::string domain_before = domain_identity(a, before.domain);
		const std::string domain_after = domain_identity(b, device->domain);
		if (domain_before != domain_after)
			lines.push_back(fmt::format("~ {} moved: {} -> {}", name, domain_before, domain_after));
		changed(name + " iommu group", before.iommu_group, device->iommu_group, as_is);
		changed(name + " flags", before.flags, device->flags,
			[](std::uint32_t flags) { return fmt::format("{:#x} ({})", flags, device_flags_text(flags)); });
		diff_list(
			lines, name, "iova map", "iova range", "ranges", before.iova_map, device->iova_map,
			[&](const IovaMapping &old_map, const IovaMapping &map) {
				return iova_mapping_text(a, old_map) == iova_mapping_text(b, map);
			},
			[&](const IovaMapping &map) { return iova_mapping_text(a, map); },
			[&](const IovaMapping &map) { return iova_mapping_text(b, map); });
	}
	return lines;
}

} // namespace pkh
