// SPDX-License-Identifier: GPL-2.0-only
//
// The schema of the handover: for each record of the model, one table of its
// fields with the FDT property, the JSON key, the label diff uses, the
// format, whether a spec must give it, and its limit.  The encoder and the
// decoder (scalar properties, packed records, the list of known properties),
// the JSON spec in both directions and diff all walk these tables, so a
// field is spelled out once, here.  Value rules beyond a field's type (the
// ABI's alignment, overlap and reference rules) stay in the Validator, which
// follows docs/VALIDATION.md; the kernel-C parser is the second, independent
// reader that the differential tests compare with.
#pragma once

#include "fdt_io.hpp"

#include <pkhandover/handover.hpp>

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace pkh::schema
{

// How a value is written in a JSON spec and shown by diff.
enum class Format {
	decimal,     // JSON number; "48"
	hex,         // JSON "0x1000"; "0x1000"
	size,        // JSON "0x4000000"; "0x4000000 (64 MiB)"
	pci_id,      // JSON "0x8086"; "0x8086"
	enumeration, // JSON name (or number); "1 (intel-vtd)"
	flags,       // JSON array of names (and a number for unnamed bits); "0x1 (guest-ram)"
	perm,        // JSON "r", "w", "rw" (or a number); "0x3 (rw)"
	pci_address, // JSON "0000:3b:02.0"; the same
	region_ref,  // JSON index; diff: "region <base>", as indexes shift
	domain_ref,  // JSON index; diff: "domain id <id> on unit <reg_base>"
	text,        // JSON string; "\"vm0-ram\""
	uuid,        // JSON "01020304-0506-..."; the same
	digest,      // JSON "<64 lower-case hex digits>"; the same
	extents,     // packed struct pkh_extent[]; JSON [[offset, length], ...]
};

// A named value of an enumeration, or a named bit of a flags field.
struct Name {
	std::uint32_t value;
	const char *name;
};

inline constexpr Name iommu_type_names[] = {{PKH_IOMMU_TYPE_INTEL_VTD, "intel-vtd"},
					    {PKH_IOMMU_TYPE_AMD_VI, "amd-vi"},
					    {PKH_IOMMU_TYPE_ARM_SMMU_V3, "arm-smmu-v3"}};
inline constexpr Name translation_mode_names[] = {{PKH_TRANSLATION_LEGACY, "legacy"},
						  {PKH_TRANSLATION_SCALABLE, "scalable"}};
inline constexpr Name pgtable_format_names[] = {{PKH_PGTABLE_VTD_SECOND_LEVEL, "vtd-second-level"},
						{PKH_PGTABLE_VTD_FIRST_LEVEL, "vtd-first-level"}};
inline constexpr Name region_flag_names[] = {{PKH_REGION_F_GUEST_RAM, "guest-ram"},
					     {PKH_REGION_F_IOMMU_TABLES, "iommu-tables"}};
inline constexpr Name device_flag_names[] = {{PKH_DEVICE_F_NO_RESET, "no-reset"},
					     {PKH_DEVICE_F_KEEP_BUS_MASTER, "keep-bus-master"}};

// The name of an enumeration value; nullptr when it has none.
const char *name_of(std::span<const Name> names, std::uint32_t value);
// "guest-ram,iommu-tables"; "none" for 0; unnamed bits as a hex number.
std::string flags_text(std::span<const Name> names, std::uint32_t flags);

// One field of a record.  Numbers go through get/set as 64-bit values
// bounded by `max`; text and UUID fields through their member pointers.
template <typename Record> struct Field {
	// FDT property; nullptr when the field is not a property (abi_minor
	// lives in the header).  Consecutive fields naming the same property
	// are its 32-bit cells, in order (pci-ids).
	const char *property = nullptr;
	const char *key = nullptr;   // JSON key
	const char *label = nullptr; // what diff calls it
	Format format = Format::decimal;
	bool required = true;  // a spec must give it; otherwise the model's default
	bool identity = false; // diff matches records by it instead of comparing it
	// Byte offset of the little-endian field in a packed record (extents,
	// iova-map); unused for node properties.
	std::size_t record_offset = 0;
	std::uint64_t max = 0; // the largest value its type holds
	std::uint64_t (*get)(const Record &) = nullptr;
	void (*set)(Record &, std::uint64_t) = nullptr;
	std::string Record::*text = nullptr;
	Uuid Record::*uuid = nullptr;
	Digest Record::*digest = nullptr;
	// Format::extents: the records, how many the property may hold, and
	// what diff calls one and several of them.
	std::vector<Extent> Record::*extents = nullptr;
	std::size_t min_count = 0;
	std::size_t max_count = 0; // 0: no limit of its own
	const char *element = nullptr;
	const char *elements = nullptr;
	std::span<const Name> names = {};
	// The ABI majors that have the field; a reader of another major
	// refuses its property as unknown, a spec of another major its key.
	std::uint16_t min_major = PKH_ABI_MAJOR_OLDEST;
	std::uint16_t max_major = PKH_ABI_MAJOR;

	bool is_number() const { return get != nullptr; }
	bool in_major(std::uint16_t major) const { return major >= min_major && major <= max_major; }
	// Bytes the field takes in an FDT cell or a packed record.
	std::size_t width() const { return max > 0xffffffffu ? 8 : 4; }
};

// Field initialisers for a numeric member (also nested, like ids.vendor):
// its limit and accessors, from its type.
#define PKH_SCHEMA_NUMBER(Record, member)                                                                              \
	.max = std::numeric_limits<std::remove_cvref_t<decltype(std::declval<Record &>().member)>>::max(),             \
	.get = [](const Record &record) -> std::uint64_t { return record.member; },                                    \
	.set = [](Record &record, std::uint64_t value) {                                                               \
		record.member = static_cast<std::remove_cvref_t<decltype(record.member)>>(value);                      \
	}

// Nodes and packed records: fields in FDT property order, which is also the
// order of the JSON keys and of the decoder's reads (so the first fault a
// reader reports follows docs/VALIDATION.md).
std::span<const Field<Handover>> root_fields();
std::span<const Field<PkernfsRegion>> region_fields();
std::span<const Field<PkernfsFile>> file_fields();
std::span<const Field<Extent>> extent_fields(); // PKH_PROP_EXTENTS and PKH_PROP_METADATA records
std::span<const Field<IommuUnit>> unit_fields();
std::span<const Field<IommuDomain>> domain_fields();
std::span<const Field<VfioDevice>> device_fields();
std::span<const Field<IovaMapping>> iova_mapping_fields(); // PKH_PROP_IOVA_MAP records

// The FDT properties of a node in ABI `major` (with `other`: those of the
// other majors, which a reader of `major` refuses), each once, in order.
template <typename Record>
std::vector<const char *> properties(std::span<const Field<Record>> fields, std::uint16_t major, bool other = false)
{
	std::vector<const char *> names;
	for (const Field<Record> &field : fields)
		if (field.property && field.in_major(major) != other &&
		    (names.empty() || std::string_view(names.back()) != field.property))
			names.push_back(field.property);
	return names;
}

// Reads and writes a packed record's little-endian fields at their offsets.
template <typename Record> Record load_record(std::span<const Field<Record>> fields, const std::uint8_t *bytes)
{
	Record record{};
	for (const Field<Record> &field : fields) {
		const std::uint8_t *at = bytes + field.record_offset;
		field.set(record, field.width() == 8 ? detail::load_le64(at) : detail::load_le32(at));
	}
	return record;
}

template <typename Record>
void store_record(std::span<const Field<Record>> fields, const Record &record, std::uint8_t *bytes)
{
	for (const Field<Record> &field : fields) {
		std::uint8_t *at = bytes + field.record_offset;
		if (field.width() == 8)
			detail::store_le64(at, field.get(record));
		else
			detail::store_le32(at, static_cast<std::uint32_t>(field.get(record)));
	}
}

// What diff shows for a number of this format: exact first, a readable
// gloss after it.  References are resolved in `handover`.
std::string show_number(Format format, std::span<const Name> names, std::uint64_t value, const Handover &handover);

// The identity of a domain and of a region, as diff matches and shows them.
std::string domain_identity(const Handover &handover, std::uint32_t domain_index);
std::string region_identity(const Handover &handover, std::uint32_t region_index);

} // namespace pkh::schema
