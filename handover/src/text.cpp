// SPDX-License-Identifier: GPL-2.0-only
//
// Presentation: the readable tree that `pkhandover inspect` prints and the
// semantic diff of `pkhandover diff`.  Both read only the model.
#include <pkhandover/handover.hpp>

#include <fmt/format.h>
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
	auto changed = [&](const std::string &what, const auto &before, const auto &after) {
		if (before != after)
			lines.push_back(fmt::format("~ {}: {} -> {}", what, before, after));
	};
	changed("abi minor", a.abi_minor, b.abi_minor);
	changed("generation", a.generation, b.generation);
	changed("nonce", hex(a.nonce), hex(b.nonce));
	changed("creator", a.creator, b.creator);

	// Regions are matched by base address, files by inode.
	std::map<std::uint64_t, const PkernfsRegion *> regions_a, regions_b;
	for (const PkernfsRegion &region : a.regions)
		regions_a[region.base] = &region;
	for (const PkernfsRegion &region : b.regions)
		regions_b[region.base] = &region;
	for (const auto &[base, region] : regions_a)
		if (!regions_b.count(base))
			lines.push_back(fmt::format("- region {:#x} ({}, {} files)", base, human_size(region->size),
						    region->files.size()));
	for (const auto &[base, region] : regions_b) {
		auto old_it = regions_a.find(base);
		if (old_it == regions_a.end()) {
			lines.push_back(fmt::format("+ region {:#x} ({}, {} files)", base, human_size(region->size),
						    region->files.size()));
			continue;
		}
		const PkernfsRegion &old_region = *old_it->second;
		const std::string name = fmt::format("region {:#x}", base);
		changed(name + " size", human_size(old_region.size), human_size(region->size));
		changed(name + " block size", human_size(old_region.block_size), human_size(region->block_size));
		changed(name + " flags", region_flags_text(old_region.flags), region_flags_text(region->flags));
		changed(name + " fs uuid", uuid_text(old_region.fs_uuid), uuid_text(region->fs_uuid));
		std::map<std::uint64_t, const PkernfsFile *> files_a, files_b;
		for (const PkernfsFile &file : old_region.files)
			files_a[file.inode] = &file;
		for (const PkernfsFile &file : region->files)
			files_b[file.inode] = &file;
		for (const auto &[inode, file] : files_a)
			if (!files_b.count(inode))
				lines.push_back(fmt::format("- {} file \"{}\" (inode {}, {})", name, file->name, inode,
							    human_size(file->size)));
		for (const auto &[inode, file] : files_b) {
			auto old_file = files_a.find(inode);
			if (old_file == files_a.end()) {
				lines.push_back(fmt::format("+ {} file \"{}\" (inode {}, {})", name, file->name, inode,
							    human_size(file->size)));
				continue;
			}
			const std::string file_name = fmt::format("{} file inode {}", name, inode);
			changed(file_name + " name", old_file->second->name, file->name);
			changed(file_name + " size", human_size(old_file->second->size), human_size(file->size));
			if (old_file->second->extents != file->extents) {
				std::size_t differing = 0;
				const auto &before = old_file->second->extents;
				for (std::size_t k = 0; k < std::max(before.size(), file->extents.size()); k++)
					differing += k >= before.size() || k >= file->extents.size() ||
						     before[k] != file->extents[k];
				lines.push_back(fmt::format("~ {} extents: {} -> {} extents, {} differ", file_name,
							    before.size(), file->extents.size(), differing));
			}
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
		const std::string name = fmt::format("iommu unit {:#x}", reg_base);
		changed(name + " root table", hex(old_unit->second->root_table), hex(unit->root_table));
		changed(name + " translation mode", old_unit->second->translation_mode, unit->translation_mode);
		changed(name + " segment", old_unit->second->segment, unit->segment);
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
		changed(identity + " page-table root", hex(old_domain->second->pgtable_root), hex(domain->pgtable_root));
		changed(identity + " levels", old_domain->second->levels, domain->levels);
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
		if (before.ids != device->ids)
			lines.push_back(fmt::format("~ {} ids: {:04x}:{:04x} -> {:04x}:{:04x}", name, before.ids.vendor,
						    before.ids.device, device->ids.vendor, device->ids.device));
		const std::string domain_before = domain_identity(a, before.domain);
		const std::string domain_after = domain_identity(b, device->domain);
		if (domain_before != domain_after)
			lines.push_back(fmt::format("~ {} moved: {} -> {}", name, domain_before, domain_after));
		changed(name + " iommu group", before.iommu_group, device->iommu_group);
		changed(name + " flags", device_flags_text(before.flags), device_flags_text(device->flags));
		if (before.iova_map != device->iova_map)
			lines.push_back(fmt::format("~ {} iova map: {} -> {} ranges", name, before.iova_map.size(),
						    device->iova_map.size()));
	}
	return lines;
}

} // namespace pkh
