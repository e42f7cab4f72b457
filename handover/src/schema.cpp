// SPDX-License-Identifier: GPL-2.0-only
//
// The tables of handover/src/schema.hpp: every field of the ABI, once.
#include "schema.hpp"
#include "util.hpp"

#include <fmt/format.h>

namespace pkh::schema
{

namespace
{

// clang-format off
const Field<Handover> root_table[] = {
	{.key = "abi_major", .label = "abi major", .required = false, PKH_SCHEMA_NUMBER(Handover, abi_major)},
	{.key = "abi_minor", .label = "abi minor", .required = false, PKH_SCHEMA_NUMBER(Handover, abi_minor)},
	{.property = PKH_PROP_GENERATION, .key = "generation", .label = "generation", PKH_SCHEMA_NUMBER(Handover, generation)},
	{.property = PKH_PROP_NONCE, .key = "nonce", .label = "nonce", .format = Format::hex, PKH_SCHEMA_NUMBER(Handover, nonce)},
	{.property = PKH_PROP_CREATOR, .key = "creator", .label = "creator", .format = Format::text, .text = &Handover::creator},
};

const Field<PkernfsRegion> region_table[] = {
	{.property = PKH_PROP_BASE, .key = "base", .label = "base", .format = Format::size, .identity = true, PKH_SCHEMA_NUMBER(PkernfsRegion, base)},
	{.property = PKH_PROP_SIZE, .key = "size", .label = "size", .format = Format::size, PKH_SCHEMA_NUMBER(PkernfsRegion, size)},
	{.property = PKH_PROP_BLOCK_SIZE, .key = "block_size", .label = "block size", .format = Format::size, .required = false, PKH_SCHEMA_NUMBER(PkernfsRegion, block_size)},
	{.property = PKH_PROP_FS_UUID, .key = "fs_uuid", .label = "fs uuid", .format = Format::uuid, .uuid = &PkernfsRegion::fs_uuid},
	{.property = PKH_PROP_FLAGS, .key = "flags", .label = "flags", .format = Format::flags, PKH_SCHEMA_NUMBER(PkernfsRegion, flags), .names = region_flag_names},
	{.property = PKH_PROP_METADATA, .key = "metadata", .label = "metadata", .format = Format::extents, .extents = &PkernfsRegion::metadata, .min_count = 1, .max_count = PKH_MAX_METADATA_RANGES, .element = "metadata range", .elements = "ranges", .min_major = 2},
	{.property = PKH_PROP_METADATA_DIGEST, .key = "metadata_digest", .label = "metadata digest", .format = Format::digest, .digest = &PkernfsRegion::metadata_digest, .min_major = 2},
};

const Field<PkernfsFile> file_table[] = {
	{.property = PKH_PROP_NAME, .key = "name", .label = "name", .format = Format::text, .text = &PkernfsFile::name},
	{.property = PKH_PROP_INODE, .key = "inode", .label = "inode", .identity = true, PKH_SCHEMA_NUMBER(PkernfsFile, inode)},
	{.property = PKH_PROP_SIZE, .key = "size", .label = "size", .format = Format::size, PKH_SCHEMA_NUMBER(PkernfsFile, size)},
	{.property = PKH_PROP_EXTENTS, .key = "extents", .label = "extents", .format = Format::extents, .extents = &PkernfsFile::extents, .element = "extent", .elements = "extents", .max_major = 1},
};

// struct pkh_extent; a spec writes one as [offset, length].
const Field<Extent> extent_table[] = {
	{.key = "offset", .label = "offset", .format = Format::hex, .record_offset = 0, PKH_SCHEMA_NUMBER(Extent, region_offset)},
	{.key = "length", .label = "length", .format = Format::hex, .record_offset = 8, PKH_SCHEMA_NUMBER(Extent, length)},
};

const Field<IommuUnit> unit_table[] = {
	{.property = PKH_PROP_TYPE, .key = "type", .label = "type", .format = Format::enumeration, PKH_SCHEMA_NUMBER(IommuUnit, type), .names = iommu_type_names},
	{.property = PKH_PROP_REG_BASE, .key = "reg_base", .label = "registers", .format = Format::hex, .identity = true, PKH_SCHEMA_NUMBER(IommuUnit, reg_base)},
	{.property = PKH_PROP_SEGMENT, .key = "segment", .label = "segment", .required = false, PKH_SCHEMA_NUMBER(IommuUnit, segment)},
	{.property = PKH_PROP_ROOT_TABLE, .key = "root_table", .label = "root table", .format = Format::hex, PKH_SCHEMA_NUMBER(IommuUnit, root_table)},
	{.property = PKH_PROP_TRANSLATION_MODE, .key = "translation_mode", .label = "translation mode", .format = Format::enumeration, PKH_SCHEMA_NUMBER(IommuUnit, translation_mode), .names = translation_mode_names},
	{.property = PKH_PROP_TABLE_REGION, .key = "table_region", .label = "table region", .format = Format::region_ref, PKH_SCHEMA_NUMBER(IommuUnit, table_region)},
};

const Field<IommuDomain> domain_table[] = {
	{.property = PKH_PROP_UNIT, .key = "unit", .label = "unit", .identity = true, PKH_SCHEMA_NUMBER(IommuDomain, unit)},
	{.property = PKH_PROP_DOMAIN_ID, .key = "domain_id", .label = "domain id", .identity = true, PKH_SCHEMA_NUMBER(IommuDomain, domain_id)},
	{.property = PKH_PROP_PGTABLE_ROOT, .key = "pgtable_root", .label = "page-table root", .format = Format::hex, PKH_SCHEMA_NUMBER(IommuDomain, pgtable_root)},
	{.property = PKH_PROP_FORMAT, .key = "format", .label = "format", .format = Format::enumeration, PKH_SCHEMA_NUMBER(IommuDomain, format), .names = pgtable_format_names},
	{.property = PKH_PROP_LEVELS, .key = "levels", .label = "levels", PKH_SCHEMA_NUMBER(IommuDomain, levels)},
	{.property = PKH_PROP_ADDRESS_WIDTH, .key = "address_width", .label = "address width", PKH_SCHEMA_NUMBER(IommuDomain, address_width)},
};

// PKH_PROP_IOVA_MAP, the device's last property, holds its IOVA map.  The
// four pci-ids cells are 32 bits in the blob and 16 in the model.
const Field<VfioDevice> device_table[] = {
	{.property = PKH_PROP_PCI_ADDRESS, .key = "pci_address", .label = "pci address", .format = Format::pci_address, .identity = true, PKH_SCHEMA_NUMBER(VfioDevice, pci_address)},
	{.property = PKH_PROP_PCI_IDS, .key = "vendor", .label = "vendor", .format = Format::pci_id, PKH_SCHEMA_NUMBER(VfioDevice, ids.vendor)},
	{.property = PKH_PROP_PCI_IDS, .key = "device", .label = "device", .format = Format::pci_id, PKH_SCHEMA_NUMBER(VfioDevice, ids.device)},
	{.property = PKH_PROP_PCI_IDS, .key = "subsystem_vendor", .label = "subsystem vendor", .format = Format::pci_id, .required = false, PKH_SCHEMA_NUMBER(VfioDevice, ids.subsystem_vendor)},
	{.property = PKH_PROP_PCI_IDS, .key = "subsystem_device", .label = "subsystem device", .format = Format::pci_id, .required = false, PKH_SCHEMA_NUMBER(VfioDevice, ids.subsystem_device)},
	{.property = PKH_PROP_IOMMU_GROUP, .key = "iommu_group", .label = "iommu group", PKH_SCHEMA_NUMBER(VfioDevice, iommu_group)},
	// A device that changes domain "moved"; the line names both domains.
	{.property = PKH_PROP_DOMAIN, .key = "domain", .label = "moved", .format = Format::domain_ref, PKH_SCHEMA_NUMBER(VfioDevice, domain)},
	{.property = PKH_PROP_FLAGS, .key = "flags", .label = "flags", .format = Format::flags, .required = false, PKH_SCHEMA_NUMBER(VfioDevice, flags), .names = device_flag_names},
};

// struct pkh_iova_mapping, in the order a spec and diff give it.
const Field<IovaMapping> iova_mapping_table[] = {
	{.key = "iova", .label = "iova", .format = Format::hex, .record_offset = 0, PKH_SCHEMA_NUMBER(IovaMapping, iova)},
	{.key = "region", .label = "in", .format = Format::region_ref, .record_offset = 24, PKH_SCHEMA_NUMBER(IovaMapping, region)},
	{.key = "offset", .label = "offset", .format = Format::hex, .record_offset = 8, PKH_SCHEMA_NUMBER(IovaMapping, region_offset)},
	{.key = "length", .label = "length", .format = Format::hex, .record_offset = 16, PKH_SCHEMA_NUMBER(IovaMapping, length)},
	{.key = "perm", .label = "perm", .format = Format::perm, .record_offset = 28, PKH_SCHEMA_NUMBER(IovaMapping, perm)},
};
// clang-format on

static_assert(sizeof(pkh_extent) == 16 && sizeof(pkh_iova_mapping) == 32,
	      "the record offsets above follow <pkhandover/abi.h>");

std::string perm_text(std::uint32_t perm)
{
	return std::string(perm & PKH_IOVA_PERM_READ ? "r" : "-") + (perm & PKH_IOVA_PERM_WRITE ? "w" : "-");
}

} // namespace

std::span<const Field<Handover>> root_fields()
{
	return root_table;
}
std::span<const Field<PkernfsRegion>> region_fields()
{
	return region_table;
}
std::span<const Field<PkernfsFile>> file_fields()
{
	return file_table;
}
std::span<const Field<Extent>> extent_fields()
{
	return extent_table;
}
std::span<const Field<IommuUnit>> unit_fields()
{
	return unit_table;
}
std::span<const Field<IommuDomain>> domain_fields()
{
	return domain_table;
}
std::span<const Field<VfioDevice>> device_fields()
{
	return device_table;
}
std::span<const Field<IovaMapping>> iova_mapping_fields()
{
	return iova_mapping_table;
}

const char *name_of(std::span<const Name> names, std::uint32_t value)
{
	for (const Name &name : names)
		if (name.value == value)
			return name.name;
	return nullptr;
}

std::string flags_text(std::span<const Name> names, std::uint32_t flags)
{
	std::string text;
	std::uint32_t unnamed = flags;
	for (const Name &name : names)
		if (flags & name.value) {
			text += (text.empty() ? "" : ",") + std::string(name.name);
			unnamed &= ~name.value;
		}
	if (unnamed)
		text += (text.empty() ? "" : ",") + util::hex(unnamed);
	return text.empty() ? "none" : text;
}

std::string domain_identity(const Handover &h, std::uint32_t domain_index)
{
	if (domain_index >= h.iommu_domains.size())
		return fmt::format("domain #{} (missing)", domain_index);
	const IommuDomain &domain = h.iommu_domains[domain_index];
	const std::uint64_t reg_base = domain.unit < h.iommu_units.size() ? h.iommu_units[domain.unit].reg_base : 0;
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

std::string show_number(Format format, std::span<const Name> names, std::uint64_t value, const Handover &handover)
{
	const auto value32 = static_cast<std::uint32_t>(value);
	switch (format) {
	case Format::decimal: return fmt::format("{}", value);
	case Format::hex: return util::hex(value);
	// The exact value leads; the binary-unit size only helps the eye, as it
	// rounds (0xfffff000 and 0xffffe000 are both "4.00 GiB").
	case Format::size: return fmt::format("{:#x} ({})", value, util::human_size(value));
	case Format::pci_id: return fmt::format("{:#06x}", value);
	case Format::enumeration: {
		const char *name = name_of(names, value32);
		return fmt::format("{} ({})", value, name ? name : "unknown");
	}
	case Format::flags: return fmt::format("{:#x} ({})", value, flags_text(names, value32));
	case Format::perm: return fmt::format("{:#x} ({})", value, perm_text(value32));
	case Format::pci_address: return util::pci_address_string(value32);
	case Format::region_ref: return region_identity(handover, value32);
	case Format::domain_ref: return domain_identity(handover, value32);
	case Format::text:
	case Format::uuid:
	case Format::digest:
	case Format::extents: break;
	}
	return fmt::format("{}", value);
}

} // namespace pkh::schema
