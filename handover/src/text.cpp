// SPDX-License-Identifier: GPL-2.0-only
//
// Presentation: the readable tree that `pkhandover inspect` prints and the
// semantic diff of `pkhandover diff`.  Both read only the model; diff walks
// the schema tables, so it compares every field the ABI has.
#include "schema.hpp"
#include "util.hpp"

#include <pkhandover/handover.hpp>

#include <algorithm>
#include <fmt/format.h>
#include <functional>
#include <map>

namespace pkh
{

using util::human_size;
using util::pci_address_string;

namespace
{

const char *name_or_unknown(std::span<const schema::Name> names, std::uint32_t value)
{
	const char *name = schema::name_of(names, value);
	return name ? name : "unknown";
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

std::string digest_text(const Digest &digest)
{
	std::string text;
	for (std::uint8_t byte : digest)
		text += fmt::format("{:02x}", byte);
	return text;
}

std::string pgtable_format_text(std::uint32_t format)
{
	switch (format) {
	case PKH_PGTABLE_VTD_SECOND_LEVEL: return "second-level";
	case PKH_PGTABLE_VTD_FIRST_LEVEL: return "first-level";
	default: return fmt::format("format {}", format);
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

using schema::Field;
using schema::Format;

// A size as inspect shows it: "8 MiB" when that is exact, otherwise the
// exact value first ("0x800001 (8.00 MiB)"), so two sizes that differ never
// read the same.
std::string size_text(std::uint64_t bytes)
{
	const std::string readable = human_size(bytes);
	if (readable.find('.') == std::string::npos)
		return readable;
	return fmt::format("{:#x} ({})", bytes, readable);
}

std::string exact_size(std::uint64_t bytes)
{
	return fmt::format("{:#x} ({})", bytes, human_size(bytes));
}

std::string quoted(const std::string &text)
{
	return fmt::format("\"{}\"", text);
}

// Every field of a record in table order, "label value ...": how a file's
// extent or a device's IOVA range reads in a diff.
template <typename Record>
std::string record_text(std::span<const Field<Record>> fields, const Record &record, const Handover &h)
{
	std::string text;
	for (const Field<Record> &field : fields)
		text += fmt::format("{}{} {}", text.empty() ? "" : " ", field.label,
				    schema::show_number(field.format, field.names, field.get(record), h));
	return text;
}

// Differing positions of a list that are printed in full; a reallocated
// 4 GiB file differs in all of its 2048 extents, and the count says that.
constexpr std::size_t shown_list_differences = 8;

// Compares two lists whose order carries meaning (a file's extents are in
// file order, a device's IOVA ranges in IOVA order) position by position:
// a summary with the exact counts, then the first differing positions with
// every field of the element on both sides.
template <typename Record>
void diff_list(std::vector<Difference> &out, const std::string &owner, const char *list_name, const char *element_name,
	       const char *elements_name, std::span<const Field<Record>> fields, const Handover &a,
	       const std::vector<Record> &before, const Handover &b, const std::vector<Record> &after)
{
	std::vector<Difference> details;
	std::size_t differing = 0;
	for (std::size_t k = 0; k < std::max(before.size(), after.size()); k++) {
		const bool in_before = k < before.size(), in_after = k < after.size();
		const std::string text_before = in_before ? record_text(fields, before[k], a) : std::string();
		const std::string text_after = in_after ? record_text(fields, after[k], b) : std::string();
		if (in_before && in_after && text_before == text_after)
			continue;
		differing++;
		if (details.size() == shown_list_differences)
			continue;
		const std::string element = fmt::format("{} {} {}", owner, element_name, k);
		if (!in_after)
			details.push_back({Difference::Kind::removed, element, text_before, {}, {}});
		else if (!in_before)
			details.push_back({Difference::Kind::added, element, {}, text_after, {}});
		else
			details.push_back({Difference::Kind::changed, element, text_before, text_after, {}});
	}
	if (differing == 0)
		return;
	out.push_back(
		{Difference::Kind::changed, fmt::format("{} {}", owner, list_name), std::to_string(before.size()),
		 fmt::format("{} {}", after.size(), elements_name),
		 fmt::format(", {} differ{}", differing,
			     differing > details.size() ? fmt::format(" (first {} shown)", details.size()) : "")});
	out.insert(out.end(), details.begin(), details.end());
}

// The fields of a record both sides have, compared by raw value (references
// by what they refer to, as indexes shift) and shown exactly; identity
// fields matched the two records and are equal by construction.
template <typename Record>
void diff_fields(std::vector<Difference> &out, const std::string &owner, std::span<const Field<Record>> fields,
		 const Handover &a, const Record &before, const Handover &b, const Record &after)
{
	for (const Field<Record> &field : fields) {
		if (field.identity)
			continue;
		const std::string what = owner.empty() ? field.label : owner + " " + field.label;
		if (field.format == Format::text) {
			if (before.*field.text != after.*field.text)
				out.push_back({Difference::Kind::changed,
					       what,
					       quoted(before.*field.text),
					       quoted(after.*field.text),
					       {}});
			continue;
		}
		if (field.format == Format::uuid) {
			if (before.*field.uuid != after.*field.uuid)
				out.push_back({Difference::Kind::changed,
					       what,
					       uuid_text(before.*field.uuid),
					       uuid_text(after.*field.uuid),
					       {}});
			continue;
		}
		if (field.format == Format::digest) {
			if (before.*field.digest != after.*field.digest)
				out.push_back({Difference::Kind::changed,
					       what,
					       digest_text(before.*field.digest),
					       digest_text(after.*field.digest),
					       {}});
			continue;
		}
		if (field.format == Format::extents) {
			diff_list(out, owner, field.label, field.element, field.elements, schema::extent_fields(), a,
				  before.*field.extents, b, after.*field.extents);
			continue;
		}
		const std::string shown_before = schema::show_number(field.format, field.names, field.get(before), a);
		const std::string shown_after = schema::show_number(field.format, field.names, field.get(after), b);
		const bool is_reference = field.format == Format::region_ref || field.format == Format::domain_ref;
		if (is_reference ? shown_before != shown_after : field.get(before) != field.get(after))
			out.push_back({Difference::Kind::changed, what, shown_before, shown_after, {}});
	}
}

// Matches the records of two lists by a key: removed ones, added ones, then
// `both(key, before, after)` for each record on both sides, in key order.
template <typename Key, typename Record, typename KeyOf, typename Removed, typename Added, typename Both>
void match_records(const std::vector<Record> &a, const std::vector<Record> &b, KeyOf key_of, Removed removed,
		   Added added, Both both)
{
	std::map<Key, const Record *> before, after;
	for (std::size_t i = 0; i < a.size(); i++)
		before[key_of(a, i)] = &a[i];
	for (std::size_t i = 0; i < b.size(); i++)
		after[key_of(b, i)] = &b[i];
	for (const auto &[key, record] : before)
		if (!after.count(key))
			removed(key, *record);
	for (const auto &[key, record] : after) {
		auto old = before.find(key);
		if (old == before.end())
			added(key, *record);
		else
			both(key, *old->second, *record);
	}
}
} // namespace

std::string to_text(const Handover &h)
{
	std::string out;
	out += fmt::format("handover ABI {}.{}  generation {}  nonce {:#018x}\n", h.abi_major, h.abi_minor,
			   h.generation, h.nonce);
	out += fmt::format("creator \"{}\"\n", h.creator);

	out += fmt::format("regions ({})\n", h.regions.size());
	for (std::size_t r = 0; r < h.regions.size(); r++) {
		const PkernfsRegion &region = h.regions[r];
		// v1: the blocks the extents hold; v2 (no extents): the files'
		// sizes in whole blocks.
		std::uint64_t used = 0;
		for (const PkernfsFile &file : region.files) {
			for (const Extent &extent : file.extents)
				used += extent.length;
			if (h.abi_major >= 2)
				used += (file.size + region.block_size - 1) / region.block_size * region.block_size;
		}
		out += fmt::format("  region {}  {:#x}-{:#x}  {}  {}  block {}  fs {}\n", r, region.base,
				   region.base + region.size - 1, size_text(region.size),
				   schema::flags_text(schema::region_flag_names, region.flags),
				   size_text(region.block_size), uuid_text(region.fs_uuid));
		if (h.abi_major >= 2) {
			std::uint64_t metadata = 0;
			for (const Extent &range : region.metadata)
				metadata += range.length;
			out += fmt::format("    metadata  {} range{}, {}  digest {}\n", region.metadata.size(),
					   region.metadata.size() == 1 ? "" : "s", size_text(metadata),
					   digest_text(region.metadata_digest));
			constexpr std::size_t shown = 8;
			for (std::size_t i = 0; i < region.metadata.size() && i < shown; i++)
				out += fmt::format("      +{:#x}  {}  at {:#x}\n", region.metadata[i].region_offset,
						   size_text(region.metadata[i].length),
						   region.base + region.metadata[i].region_offset);
			if (region.metadata.size() > shown)
				out += fmt::format("      ... {} more ranges\n", region.metadata.size() - shown);
		}
		for (const PkernfsFile &file : region.files) {
			if (h.abi_major >= 2) {
				out += fmt::format("    file \"{}\"  inode {}  {}\n", file.name, file.inode,
						   size_text(file.size));
				continue;
			}
			const auto runs = coalesce(file.extents);
			out += fmt::format("    file \"{}\"  inode {}  {}  {} extents in {} run{}\n", file.name,
					   file.inode, size_text(file.size), file.extents.size(), runs.size(),
					   runs.size() == 1 ? "" : "s");
			constexpr std::size_t shown = 4;
			for (std::size_t i = 0; i < runs.size() && i < shown; i++)
				out += fmt::format("      +{:#x}  {}  at {:#x}\n", runs[i].region_offset,
						   size_text(runs[i].length), region.base + runs[i].region_offset);
			if (runs.size() > shown)
				out += fmt::format("      ... {} more runs\n", runs.size() - shown);
		}
		if (region.flags & PKH_REGION_F_GUEST_RAM)
			out += fmt::format("    {} of {} in files\n", size_text(used), size_text(region.size));
	}

	out += fmt::format("iommu units ({})\n", h.iommu_units.size());
	for (std::size_t u = 0; u < h.iommu_units.size(); u++) {
		const IommuUnit &unit = h.iommu_units[u];
		out += fmt::format("  unit {}  {}  registers {:#x}  segment {:04x}  {}  root table {:#x} (region {})\n",
				   u, name_or_unknown(schema::iommu_type_names, unit.type), unit.reg_base, unit.segment,
				   name_or_unknown(schema::translation_mode_names, unit.translation_mode),
				   unit.root_table, unit.table_region);
		for (std::size_t d = 0; d < h.iommu_domains.size(); d++) {
			const IommuDomain &domain = h.iommu_domains[d];
			if (domain.unit != u)
				continue;
			out += fmt::format("    domain {}  id {}  {}-level {}  {}-bit  page tables at {:#x}\n", d,
					   domain.domain_id, domain.levels, pgtable_format_text(domain.format),
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
				   device.domain, schema::flags_text(schema::device_flag_names, device.flags));
		out += fmt::format("    {} mapped in {} range{}\n", size_text(mapped), device.iova_map.size(),
				   device.iova_map.size() == 1 ? "" : "s");
		constexpr std::size_t shown = 8;
		for (std::size_t k = 0; k < device.iova_map.size() && k < shown; k++) {
			const IovaMapping &map = device.iova_map[k];
			const std::uint64_t phys =
				map.region < h.regions.size() ? h.regions[map.region].base + map.region_offset : 0;
			out += fmt::format("    iova {:#x}-{:#x}  {}  -> region {} +{:#x} (phys {:#x})  {}\n", map.iova,
					   map.iova + map.length - 1, size_text(map.length), map.region,
					   map.region_offset, phys, perm_text(map.perm));
		}
		if (device.iova_map.size() > shown)
			out += fmt::format("    ... {} more ranges\n", device.iova_map.size() - shown);
	}
	return out;
}

std::string Difference::line() const
{
	switch (kind) {
	case Kind::added: return after.empty() ? "+ " + what : fmt::format("+ {}: {}", what, after);
	case Kind::removed: return before.empty() ? "- " + what : fmt::format("- {}: {}", what, before);
	case Kind::changed: break;
	}
	return fmt::format("~ {}: {} -> {}{}", what, before, after, note);
}

std::vector<Difference> differences(const Handover &a, const Handover &b)
{
	using Kind = Difference::Kind;
	std::vector<Difference> out;
	diff_fields(out, "", schema::root_fields(), a, a, b, b);

	// Regions are matched by base address, files by inode.
	const auto region_summary = [](const PkernfsRegion &region) {
		return fmt::format("size {}, {} files", exact_size(region.size), region.files.size());
	};
	match_records<std::uint64_t>(
		a.regions, b.regions, [](const auto &list, std::size_t i) { return list[i].base; },
		[&](std::uint64_t base, const PkernfsRegion &region) {
			out.push_back(
				{Kind::removed, fmt::format("region {:#x}", base), region_summary(region), {}, {}});
		},
		[&](std::uint64_t base, const PkernfsRegion &region) {
			out.push_back({Kind::added, fmt::format("region {:#x}", base), {}, region_summary(region), {}});
		},
		[&](std::uint64_t base, const PkernfsRegion &before, const PkernfsRegion &after) {
			const std::string name = fmt::format("region {:#x}", base);
			diff_fields(out, name, schema::region_fields(), a, before, b, after);
			const auto file_summary = [](const PkernfsFile &file) {
				return fmt::format("inode {}, size {}", file.inode, exact_size(file.size));
			};
			match_records<std::uint64_t>(
				before.files, after.files,
				[](const auto &list, std::size_t i) { return list[i].inode; },
				[&](std::uint64_t, const PkernfsFile &file) {
					out.push_back({Kind::removed,
						       fmt::format("{} file \"{}\"", name, file.name),
						       file_summary(file),
						       {},
						       {}});
				},
				[&](std::uint64_t, const PkernfsFile &file) {
					out.push_back({Kind::added,
						       fmt::format("{} file \"{}\"", name, file.name),
						       {},
						       file_summary(file),
						       {}});
				},
				[&](std::uint64_t inode, const PkernfsFile &old_file, const PkernfsFile &new_file) {
					const std::string file_name = fmt::format("{} file inode {}", name, inode);
					diff_fields(out, file_name, schema::file_fields(), a, old_file, b, new_file);
				});
		});

	// Units by register base; domains by (unit register base, domain id).
	match_records<std::uint64_t>(
		a.iommu_units, b.iommu_units, [](const auto &list, std::size_t i) { return list[i].reg_base; },
		[&](std::uint64_t reg_base, const IommuUnit &) {
			out.push_back({Kind::removed, fmt::format("iommu unit {:#x}", reg_base), {}, {}, {}});
		},
		[&](std::uint64_t reg_base, const IommuUnit &) {
			out.push_back({Kind::added, fmt::format("iommu unit {:#x}", reg_base), {}, {}, {}});
		},
		[&](std::uint64_t reg_base, const IommuUnit &before, const IommuUnit &after) {
			diff_fields(out, fmt::format("iommu unit {:#x}", reg_base), schema::unit_fields(), a, before, b,
				    after);
		});
	// A domain's key resolves its unit in its own handover.
	const auto domain_key = [&](const std::vector<IommuDomain> &list, std::size_t i) {
		return schema::domain_identity(&list == &a.iommu_domains ? a : b, static_cast<std::uint32_t>(i));
	};
	match_records<std::string>(
		a.iommu_domains, b.iommu_domains, domain_key,
		[&](const std::string &identity, const IommuDomain &) {
			out.push_back({Kind::removed, identity, {}, {}, {}});
		},
		[&](const std::string &identity, const IommuDomain &) {
			out.push_back({Kind::added, identity, {}, {}, {}});
		},
		[&](const std::string &identity, const IommuDomain &before, const IommuDomain &after) {
			diff_fields(out, identity, schema::domain_fields(), a, before, b, after);
		});

	// Devices by PCI address.
	const auto device_summary = [](const VfioDevice &device) {
		return fmt::format("{:04x}:{:04x}", device.ids.vendor, device.ids.device);
	};
	match_records<std::uint32_t>(
		a.devices, b.devices, [](const auto &list, std::size_t i) { return list[i].pci_address; },
		[&](std::uint32_t address, const VfioDevice &device) {
			out.push_back({Kind::removed,
				       "device " + util::pci_address_string(address),
				       device_summary(device),
				       {},
				       {}});
		},
		[&](std::uint32_t address, const VfioDevice &device) {
			out.push_back({Kind::added,
				       "device " + util::pci_address_string(address),
				       {},
				       device_summary(device),
				       {}});
		},
		[&](std::uint32_t address, const VfioDevice &before, const VfioDevice &after) {
			const std::string name = "device " + util::pci_address_string(address);
			diff_fields(out, name, schema::device_fields(), a, before, b, after);
			diff_list(out, name, "iova map", "iova range", "ranges", schema::iova_mapping_fields(), a,
				  before.iova_map.ranges(), b, after.iova_map.ranges());
		});
	return out;
}

std::vector<std::string> diff(const Handover &a, const Handover &b)
{
	std::vector<std::string> lines;
	for (const Difference &difference : differences(a, b))
		lines.push_back(difference.line());
	return lines;
}
} // namespace pkh
