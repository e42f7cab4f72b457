// SPDX-License-Identifier: GPL-2.0-only
//
// Decoder of untrusted blobs.  Structure (presence, lengths, names, unknown
// items) is checked here while reading the FDT, the properties of each node
// as the schema tables list them; value rules come from the shared
// Validator, called at the point docs/VALIDATION.md puts them.
#include "fdt_io.hpp"
#include "schema.hpp"
#include "validator.hpp"

#include <algorithm>
#include <cstring>
#include <fmt/format.h>
#include <initializer_list>
#include <optional>
#include <string_view>

extern "C" {
#include <libfdt.h>
}
#include <zlib.h>

namespace pkh
{

using detail::make_error;

namespace
{

constexpr std::size_t fdt_header_min = 40; // sizeof(struct fdt_header)

// Node and property names from an untrusted tree, safe to print: bytes
// outside printable ASCII become '?' (as the kernel-C parser does).
std::string printable(std::string_view name)
{
	std::string text(name);
	for (char &c : text)
		if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e)
			c = '?';
	return text;
}

bool is_optional_name(std::string_view name)
{
	return name.starts_with(PKH_OPTIONAL_PREFIX);
}

// One node of the tree and its path, with typed, length-checked reads.
class NodeReader
{
public:
	NodeReader(const void *fdt, int offset, std::string path) : fdt_(fdt), offset_(offset), path_(std::move(path))
	{
	}

	const std::string &path() const { return path_; }
	int offset() const { return offset_; }

	Result<std::span<const std::uint8_t>> raw(const char *name) const
	{
		int length = 0;
		const void *value = fdt_getprop(fdt_, offset_, name, &length);
		if (!value && length != -FDT_ERR_NOTFOUND)
			return make_error(ErrorCode::BAD_FDT, prop_path(name),
					  fmt::format("cannot read property {}: {}", name, fdt_strerror(length)));
		if (!value)
			return make_error(ErrorCode::MISSING_PROPERTY, prop_path(name),
					  fmt::format("required property {} is missing", name));
		return std::span(static_cast<const std::uint8_t *>(value), static_cast<std::size_t>(length));
	}

	Result<std::span<const std::uint8_t>> sized(const char *name, std::size_t expected) const
	{
		auto value = raw(name);
		if (value && value->size() != expected)
			return make_error(ErrorCode::BAD_LENGTH, prop_path(name),
					  fmt::format("{} bytes, expected {}", value->size(), expected));
		return value;
	}

	Result<std::uint32_t> u32(const char *name) const
	{
		auto value = sized(name, 4);
		if (!value)
			return value.error();
		return detail::load_be32(value->data());
	}

	Result<std::uint64_t> u64(const char *name) const
	{
		auto value = sized(name, 8);
		if (!value)
			return value.error();
		return detail::load_be64(value->data());
	}

	// Records of a packed array: the length must be a multiple of the size.
	Result<std::span<const std::uint8_t>> array(const char *name, std::size_t record_size) const
	{
		auto value = raw(name);
		if (value && value->size() % record_size != 0)
			return make_error(ErrorCode::BAD_LENGTH, prop_path(name),
					  fmt::format("{} bytes is not a whole number of {}-byte records",
						      value->size(), record_size));
		return value;
	}

	// A NUL-terminated string; malformed ones are value errors.
	Result<std::string> string(const char *name) const
	{
		auto value = raw(name);
		if (!value)
			return value.error();
		if (value->empty() || value->back() != 0 ||
		    std::memchr(value->data(), 0, value->size()) != &value->back())
			return make_error(ErrorCode::BAD_VALUE, prop_path(name), "not a single NUL-terminated string");
		return std::string(reinterpret_cast<const char *>(value->data()), value->size() - 1);
	}

	// Every property must be one of `known` or optional; one of `other`
	// (an item of another ABI major) is refused as unknown too, saying so.
	Status only_properties(const std::vector<const char *> &known, const std::vector<const char *> &other = {},
			       std::uint16_t major = PKH_ABI_MAJOR) const
	{
		std::vector<std::string_view> seen;
		int property = 0;
		fdt_for_each_property_offset(property, fdt_, offset_)
		{
			const char *name = nullptr;
			int length = 0;
			if (!fdt_getprop_by_offset(fdt_, property, &name, &length) || !name)
				return make_error(ErrorCode::BAD_FDT, path_, "unreadable property");
			std::string_view view(name);
			if (is_optional_name(view))
				continue;
			bool is_known = false;
			for (const char *candidate : known)
				is_known = is_known || candidate == view;
			if (!is_known) {
				bool is_other = false;
				for (const char *candidate : other)
					is_other = is_other || candidate == view;
				return make_error(ErrorCode::UNKNOWN_PROPERTY, prop_path(name),
						  fmt::format("unknown property {}{}", printable(view),
							      is_other ? fmt::format(" (not an item of ABI v{}, "
										     "which this blob's header says)",
										     major)
								       : std::string()));
			}
			// libfdt reads the first of repeated properties; a second
			// copy would mean the writer and reader disagree.
			if (std::find(seen.begin(), seen.end(), view) != seen.end())
				return make_error(ErrorCode::DUPLICATE, prop_path(name),
						  fmt::format("property {} appears twice", view));
			seen.push_back(view);
		}
		return Ok{};
	}

	// No child nodes except optional ones.
	Status no_children() const
	{
		int child = 0;
		fdt_for_each_subnode(child, fdt_, offset_)
		{
			std::string_view name = fdt_get_name(fdt_, child, nullptr);
			if (!is_optional_name(name))
				return make_error(ErrorCode::UNKNOWN_NODE, path_ + "/" + printable(name),
						  fmt::format("unknown node {}", printable(name)));
		}
		return Ok{};
	}

	std::string prop_path(std::string_view name) const
	{
		return (path_ == "/" ? std::string() : path_) + "/" + printable(name);
	}

private:
	const void *fdt_;
	int offset_;
	std::string path_;
};

// A packed array of records, each `fields`, of `record_size` bytes.
template <typename Record>
std::vector<Record> load_records(std::span<const schema::Field<Record>> fields, std::span<const std::uint8_t> bytes,
				 std::size_t record_size)
{
	std::vector<Record> records(bytes.size() / record_size);
	for (std::size_t k = 0; k < records.size(); k++)
		records[k] = schema::load_record(fields, bytes.data() + k * record_size);
	return records;
}

// The properties of `fields`, read into `record` in table order.  A
// structural fault (missing, wrong length) returns at once; the first value
// fault (a malformed string, a pci-ids cell over 16 bits) goes to
// `value_fault` and reading goes on, as docs/VALIDATION.md orders the
// structural checks of a node before its values.
template <typename Record>
Status read_fields(const NodeReader &node, std::span<const schema::Field<Record>> fields, Record &record,
		   std::optional<Error> &value_fault, std::uint16_t major)
{
	using schema::Format;
	for (std::size_t i = 0; i < fields.size();) {
		const schema::Field<Record> &field = fields[i];
		if (!field.property || !field.in_major(major)) {
			i++;
			continue;
		}
		if (field.format == Format::extents) {
			auto bytes = node.array(field.property, sizeof(pkh_extent));
			if (!bytes)
				return bytes.error();
			const std::size_t count = bytes->size() / sizeof(pkh_extent);
			if (count < field.min_count)
				return make_error(ErrorCode::BAD_LENGTH, node.prop_path(field.property),
						  fmt::format("{} bytes; at least {} {}-byte record{}", bytes->size(),
							      field.min_count, sizeof(pkh_extent),
							      field.min_count == 1 ? "" : "s"));
			if (field.max_count && count > field.max_count)
				return make_error(
					ErrorCode::TOO_MANY, node.prop_path(field.property),
					fmt::format("{} {}; at most {}", count, field.elements, field.max_count));
			record.*field.extents = load_records(schema::extent_fields(), *bytes, sizeof(pkh_extent));
			i++;
			continue;
		}
		if (field.format == Format::digest) {
			Digest &digest = record.*field.digest;
			auto bytes = node.sized(field.property, digest.size());
			if (!bytes)
				return bytes.error();
			std::memcpy(digest.data(), bytes->data(), digest.size());
			i++;
			continue;
		}
		if (field.format == Format::text) {
			auto text = node.string(field.property);
			if (text)
				record.*field.text = *text;
			else if (text.error().code != ErrorCode::BAD_VALUE)
				return text.error();
			else if (!value_fault)
				value_fault = text.error();
			i++;
			continue;
		}
		if (field.format == Format::uuid) {
			Uuid &uuid = record.*field.uuid;
			auto bytes = node.sized(field.property, uuid.size());
			if (!bytes)
				return bytes.error();
			std::memcpy(uuid.data(), bytes->data(), uuid.size());
			i++;
			continue;
		}
		// Consecutive fields of one property are its 32-bit cells.
		std::size_t end = i + 1;
		while (end < fields.size() && fields[end].property &&
		       std::string_view(fields[end].property) == field.property)
			end++;
		if (end == i + 1) {
			if (field.width() == 8) {
				auto value = node.u64(field.property);
				if (!value)
					return value.error();
				field.set(record, *value);
			} else {
				auto value = node.u32(field.property);
				if (!value)
					return value.error();
				field.set(record, *value);
			}
			i = end;
			continue;
		}
		auto cells = node.sized(field.property, 4 * (end - i));
		if (!cells)
			return cells.error();
		for (std::size_t k = i; k < end; k++) {
			const std::uint32_t value = detail::load_be32(cells->data() + 4 * (k - i));
			if (value > fields[k].max && !value_fault)
				value_fault = make_error(
					ErrorCode::BAD_VALUE, node.prop_path(field.property),
					fmt::format("{} {:#x} is over {:#x}", fields[k].label, value, fields[k].max));
			fields[k].set(record, value);
		}
		i = end;
	}
	return Ok{};
}

// The kind of a list child: "region" for "region@1f"; empty if the name is
// not <kind>@<hex digits>.
std::string_view child_kind(std::string_view name)
{
	const auto at = name.find('@');
	if (at == std::string_view::npos || at == 0 || at + 1 == name.size())
		return {};
	for (char c : name.substr(at + 1))
		if (!std::isxdigit(static_cast<unsigned char>(c)))
			return {};
	return name.substr(0, at);
}

// Visits the children of a list node.  `visit(kind, index, reader)` is called
// for each child whose kind is in `kinds`, in FDT order, after checking the
// name is "<kind>@<index>" and the per-kind limit.
struct ListKind {
	std::string_view name;
	std::size_t limit;
	std::size_t count = 0;
};

template <typename Visit>
Status walk_list(const void *fdt, const NodeReader &list, std::initializer_list<ListKind> kind_list, Visit visit)
{
	std::vector<ListKind> kinds(kind_list);
	int child = 0;
	fdt_for_each_subnode(child, fdt, list.offset())
	{
		std::string_view name = fdt_get_name(fdt, child, nullptr);
		const std::string child_path = list.path() + "/" + printable(name);
		if (is_optional_name(name))
			continue;
		const std::string_view kind = child_kind(name);
		ListKind *match = nullptr;
		for (ListKind &candidate : kinds)
			if (candidate.name == kind)
				match = &candidate;
		if (!match)
			return make_error(ErrorCode::UNKNOWN_NODE, child_path,
					  fmt::format("unknown node {}", printable(name)));
		if (match->count == match->limit)
			return make_error(ErrorCode::TOO_MANY, child_path,
					  fmt::format("more than {} {} nodes", match->limit, match->name));
		const std::string expected = fmt::format("{}@{:x}", match->name, match->count);
		if (name != expected)
			return make_error(
				ErrorCode::BAD_NODE_NAME, child_path,
				fmt::format("expected {} here (nodes are numbered 0, 1, 2... in order)", expected));
		if (auto status = visit(*match, match->count, NodeReader(fdt, child, child_path)); !status)
			return status;
		match->count++;
	}
	return Ok{};
}

#define PKH_TRY(expr)                                                                                                  \
	do {                                                                                                           \
		auto pkh_try_status = (expr);                                                                          \
		if (!pkh_try_status)                                                                                   \
			return pkh_try_status.error();                                                                 \
	} while (0)

#define PKH_READ(target, expr)                                                                                         \
	do {                                                                                                           \
		auto pkh_read_value = (expr);                                                                          \
		if (!pkh_read_value)                                                                                   \
			return pkh_read_value.error();                                                                 \
		target = *pkh_read_value;                                                                              \
	} while (0)

class Decoder
{
public:
	Decoder(const void *fdt, const MemoryConstraints &constraints, std::uint16_t major)
	    : fdt_(fdt), major_(major), validator_(constraints, major)
	{
		handover.abi_major = major;
	}

	Status root(std::uint16_t abi_major)
	{
		NodeReader root(fdt_, 0, "/");
		auto compatible = root.raw(PKH_PROP_COMPATIBLE);
		if (!compatible)
			return compatible.error();
		const std::string expected = fmt::format("{}{}", PKH_COMPATIBLE_PREFIX, abi_major);
		if (compatible->size() != expected.size() + 1 ||
		    std::memcmp(compatible->data(), expected.c_str(), expected.size() + 1) != 0)
			return make_error(
				ErrorCode::BAD_COMPATIBLE, "/compatible",
				fmt::format("expected \"{}\" to match the header's ABI major {}", expected, abi_major));
		std::optional<Error> value_fault;
		PKH_TRY(read_fields(root, schema::root_fields(), handover, value_fault, major_));
		if (value_fault)
			return *value_fault;
		PKH_TRY(validator_.root(handover));
		auto known = schema::properties(schema::root_fields(), major_);
		known.insert(known.begin(), PKH_PROP_COMPATIBLE);
		PKH_TRY(root.only_properties(known));

		int regions = -1, iommu = -1, devices = -1;
		int child = 0;
		fdt_for_each_subnode(child, fdt_, 0)
		{
			std::string_view name = fdt_get_name(fdt_, child, nullptr);
			int *slot = name == PKH_NODE_REGIONS   ? &regions
				    : name == PKH_NODE_IOMMU   ? &iommu
				    : name == PKH_NODE_DEVICES ? &devices
							       : nullptr;
			if (is_optional_name(name))
				continue;
			if (!slot)
				return make_error(ErrorCode::UNKNOWN_NODE, "/" + printable(name),
						  fmt::format("unknown node {}", printable(name)));
			if (*slot >= 0)
				return make_error(ErrorCode::DUPLICATE, "/" + printable(name),
						  fmt::format("node {} appears twice", name));
			*slot = child;
		}
		if (regions < 0)
			return make_error(ErrorCode::MISSING_NODE, "/regions", "required node /regions is missing");
		PKH_TRY(read_regions(NodeReader(fdt_, regions, "/regions")));
		if (iommu >= 0)
			PKH_TRY(read_iommu(NodeReader(fdt_, iommu, "/iommu")));
		if (devices >= 0)
			PKH_TRY(read_devices(NodeReader(fdt_, devices, "/devices")));
		return check_domains_used();
	}

	Handover handover;

private:
	Status read_regions(const NodeReader &list)
	{
		PKH_TRY(list.only_properties({}));
		PKH_TRY(walk_list(fdt_, list, {{PKH_NODE_REGION, PKH_MAX_REGIONS}},
				  [&](const ListKind &, std::size_t index, const NodeReader &node) {
					  return read_region(node, index);
				  }));
		if (handover.regions.empty())
			return make_error(ErrorCode::MISSING_NODE, "/regions/region@0",
					  "at least one region is required");
		return Ok{};
	}

	Status read_region(const NodeReader &node, std::size_t index)
	{
		PkernfsRegion &region = handover.regions.emplace_back();
		std::optional<Error> value_fault;
		PKH_TRY(read_fields(node, schema::region_fields(), region, value_fault, major_));
		if (value_fault)
			return *value_fault;
		PKH_TRY(validator_.region(handover.regions, index));
		PKH_TRY(node.only_properties(schema::properties(schema::region_fields(), major_),
					     schema::properties(schema::region_fields(), major_, true), major_));
		validator_.begin_files(region);
		return walk_list(fdt_, node, {{PKH_NODE_FILE, PKH_MAX_FILES_PER_REGION}},
				 [&](const ListKind &, std::size_t file_index, const NodeReader &file_node) {
					 return read_file(region, index, file_node, file_index);
				 });
	}

	Status read_file(PkernfsRegion &region, std::size_t region_index, const NodeReader &node, std::size_t index)
	{
		PkernfsFile &file = region.files.emplace_back();
		// A malformed name string is a value fault, reported by the
		// validator's name rule, in order after the other reads.
		std::optional<Error> value_fault;
		PKH_TRY(read_fields(node, schema::file_fields(), file, value_fault, major_));
		if (value_fault)
			return *value_fault;
		PKH_TRY(validator_.file(region, region_index, index));
		PKH_TRY(node.only_properties(schema::properties(schema::file_fields(), major_),
					     schema::properties(schema::file_fields(), major_, true), major_));
		return node.no_children();
	}

	Status read_iommu(const NodeReader &list)
	{
		PKH_TRY(list.only_properties({}));
		bool seen_domain = false;
		return walk_list(fdt_, list, {{PKH_NODE_UNIT, PKH_MAX_IOMMU_UNITS}, {PKH_NODE_DOMAIN, PKH_MAX_DOMAINS}},
				 [&](const ListKind &kind, std::size_t index, const NodeReader &node) -> Status {
					 if (kind.name == PKH_NODE_DOMAIN) {
						 seen_domain = true;
						 return read_domain(node, index);
					 }
					 if (seen_domain)
						 return make_error(ErrorCode::NOT_SORTED, node.path(),
								   "units come before domains in /iommu");
					 return read_unit(node, index);
				 });
	}

	Status read_unit(const NodeReader &node, std::size_t index)
	{
		IommuUnit &unit = handover.iommu_units.emplace_back();
		std::optional<Error> value_fault;
		PKH_TRY(read_fields(node, schema::unit_fields(), unit, value_fault, major_));
		if (value_fault)
			return *value_fault;
		PKH_TRY(validator_.unit(handover, index));
		PKH_TRY(node.only_properties(schema::properties(schema::unit_fields(), major_)));
		return node.no_children();
	}

	Status read_domain(const NodeReader &node, std::size_t index)
	{
		IommuDomain &domain = handover.iommu_domains.emplace_back();
		IovaMap &map = domain_maps_.emplace_back();
		std::optional<Error> value_fault;
		PKH_TRY(read_fields(node, schema::domain_fields(), domain, value_fault, major_));
		auto known = schema::properties(schema::domain_fields(), major_);
		std::vector<const char *> other_major;
		if (major_ >= 3) {
			std::span<const std::uint8_t> bytes;
			PKH_READ(bytes, node.array(PKH_PROP_IOVA_MAP, sizeof(pkh_iova_mapping)));
			map = load_iova_map(bytes);
			known.push_back(PKH_PROP_IOVA_MAP);
		} else {
			other_major.push_back(PKH_PROP_IOVA_MAP);
		}
		if (value_fault)
			return *value_fault;
		PKH_TRY(validator_.domain(handover, index, map));
		PKH_TRY(node.only_properties(known, other_major, major_));
		return node.no_children();
	}

	// A v3 domain's map reaches guest RAM only through its devices; one
	// that none is attached to would keep memory mapped for no one, and
	// the model, which holds the map on the devices, could not show it.
	Status check_domains_used() const
	{
		const std::vector<std::size_t> first_device = detail::first_device_of_each_domain(handover);
		for (std::size_t d = 0; d < domain_maps_.size(); d++) {
			if (!domain_maps_[d].empty() && first_device[d] == handover.devices.size())
				return make_error(ErrorCode::BAD_VALUE, detail::domain_path(d) + "/" PKH_PROP_IOVA_MAP,
						  fmt::format("{} mapping{}, but no device is attached to domain {}",
							      domain_maps_[d].size(),
							      domain_maps_[d].size() == 1 ? "" : "s", d));
		}
		return Ok{};
	}

	// The records of an iova-map; the caller has checked the length is a
	// whole number of them.  More than PKH_MAX_IOVA_MAPPINGS are loaded
	// too (the blob's size cap bounds them) for the validator to refuse.
	static IovaMap load_iova_map(std::span<const std::uint8_t> bytes)
	{
		return IovaMap(load_records(schema::iova_mapping_fields(), bytes, sizeof(pkh_iova_mapping)));
	}

	Status read_devices(const NodeReader &list)
	{
		PKH_TRY(list.only_properties({}));
		return walk_list(fdt_, list, {{PKH_NODE_DEVICE, PKH_MAX_DEVICES}},
				 [&](const ListKind &, std::size_t index, const NodeReader &node) {
					 return read_device(node, index);
				 });
	}

	Status read_device(const NodeReader &node, std::size_t index)
	{
		VfioDevice &device = handover.devices.emplace_back();
		std::optional<Error> value_fault; // a pci-ids cell over 16 bits
		PKH_TRY(read_fields(node, schema::device_fields(), device, value_fault, major_));
		auto known = schema::properties(schema::device_fields(), major_);
		std::vector<const char *> other_major;
		if (major_ < 3) {
			std::span<const std::uint8_t> bytes;
			PKH_READ(bytes, node.array(PKH_PROP_IOVA_MAP, sizeof(pkh_iova_mapping)));
			device.iova_map = load_iova_map(bytes);
			known.push_back(PKH_PROP_IOVA_MAP);
		} else {
			// v3: the domain's map, shared with it.  The validator checks
			// the domain reference before it reads the map.
			if (device.domain < domain_maps_.size())
				device.iova_map = domain_maps_[device.domain];
			other_major.push_back(PKH_PROP_IOVA_MAP);
		}

		// Order of docs/VALIDATION.md 8.2 then 8.3: the canonical-order
		// check sees only pci-address, so run it on a model without ids.
		const PciIds ids = device.ids;
		device.ids = PciIds{};
		if (index > 0 && device.pci_address <= handover.devices[index - 1].pci_address)
			return validator_.device(handover, index).error();
		if (value_fault)
			return *value_fault;
		device.ids = ids;
		PKH_TRY(validator_.device(handover, index));
		PKH_TRY(node.only_properties(known, other_major, major_));
		return node.no_children();
	}

	const void *fdt_;
	std::uint16_t major_;
	detail::Validator validator_;
	std::vector<IovaMap> domain_maps_; // v3: each domain's iova map
};

// libfdt 1.6.1 (bookworm) adds property lengths to an int offset unchecked:
// a length near 2^32 makes fdt_check_full() loop forever or accept a tree
// that later reads back negative lengths, and a tree older than version 16
// makes it dereference NULL.  Walk the structure block with bounds first;
// anything this refuses, a fixed libfdt refuses too (BAD_FDT either way).
bool structure_block_walkable(const std::uint8_t *fdt, std::size_t size)
{
	const std::size_t offset = fdt_off_dt_struct(fdt);
	if (offset > size)
		return false;
	std::size_t left = fdt_version(fdt) >= 17 ? fdt_size_dt_struct(fdt) : size - offset;
	if (left > size - offset)
		return false;
	const std::uint8_t *p = fdt + offset;
	while (left >= 4) {
		const std::uint32_t tag = detail::load_be32(p);
		p += 4;
		left -= 4;
		std::size_t skip = 0;
		switch (tag) {
		case FDT_BEGIN_NODE: {
			const void *nul = std::memchr(p, 0, left);
			if (!nul)
				return false;
			skip = static_cast<const std::uint8_t *>(nul) - p + 1;
			break;
		}
		case FDT_PROP:
			if (left < 8 || detail::load_be32(p) > left - 8)
				return false;
			skip = 8 + detail::load_be32(p);
			break;
		case FDT_END_NODE:
		case FDT_NOP: break;
		case FDT_END: return true;
		default: return false;
		}
		skip = std::min<std::size_t>((skip + 3) & ~std::size_t{3}, left);
		p += skip;
		left -= skip;
	}
	return false;
}

Result<std::uint16_t> check_header(std::span<const std::uint8_t> blob)
{
	if (blob.size() < PKH_BLOB_HEADER_SIZE)
		return make_error(
			ErrorCode::TRUNCATED, "header",
			fmt::format("{} bytes, shorter than the {}-byte header", blob.size(), PKH_BLOB_HEADER_SIZE));
	const std::uint8_t *h = blob.data();
	const std::uint32_t magic = detail::load_le32(h + 0);
	const std::uint16_t major = detail::load_le16(h + 4);
	const std::uint32_t header_size = detail::load_le32(h + 8);
	const std::uint32_t total_size = detail::load_le32(h + 12);
	const std::uint32_t crc = detail::load_le32(h + 16);
	const std::uint32_t flags = detail::load_le32(h + 20);
	const std::uint64_t reserved = detail::load_le64(h + 24);
	if (magic != PKH_BLOB_MAGIC)
		return make_error(ErrorCode::BAD_MAGIC, "header.magic",
				  fmt::format("magic {:#010x}, expected {:#010x} (\"PKHO\")", magic, PKH_BLOB_MAGIC));
	if (major == 0)
		return make_error(ErrorCode::BAD_VERSION, "header.abi_major", "ABI major version 0 does not exist");
	if (header_size < PKH_BLOB_HEADER_SIZE || header_size % 8 != 0)
		return make_error(ErrorCode::BAD_VERSION, "header.header_size",
				  fmt::format("header size {} is not a multiple of 8 of at least {}", header_size,
					      PKH_BLOB_HEADER_SIZE));
	if (major > PKH_ABI_MAJOR)
		return make_error(ErrorCode::VERSION_TOO_NEW, "header.abi_major",
				  fmt::format("ABI {}.{} is newer than this reader's {}.{}", major,
					      detail::load_le16(h + 6), PKH_ABI_MAJOR, PKH_ABI_MINOR));
	if (header_size != PKH_BLOB_HEADER_SIZE)
		return make_error(ErrorCode::BAD_VERSION, "header.header_size",
				  fmt::format("header size {}; ABI {} headers are {} bytes", header_size, major,
					      PKH_BLOB_HEADER_SIZE));
	if (flags != 0 || reserved != 0)
		return make_error(ErrorCode::BAD_HEADER, flags ? "header.flags" : "header.reserved",
				  "reserved header bits are set");
	if (total_size > PKH_MAX_BLOB_SIZE)
		return make_error(ErrorCode::TOO_LARGE, "header.total_size",
				  fmt::format("{} bytes; the cap is {}", total_size, PKH_MAX_BLOB_SIZE));
	if (total_size < header_size + fdt_header_min)
		return make_error(ErrorCode::TRUNCATED, "header.total_size",
				  fmt::format("total size {} leaves no room for an FDT", total_size));
	if (blob.size() < total_size)
		return make_error(ErrorCode::TRUNCATED, "header.total_size",
				  fmt::format("header says {} bytes, only {} present", total_size, blob.size()));
	if (blob.size() > total_size)
		return make_error(ErrorCode::SIZE_MISMATCH, "header.total_size",
				  fmt::format("header says {} bytes, buffer holds {}", total_size, blob.size()));
	const std::uint32_t actual = detail::crc32_of(blob.subspan(header_size));
	if (actual != crc)
		return make_error(ErrorCode::BAD_CRC, "header.payload_crc32",
				  fmt::format("payload CRC32 {:#010x}, header says {:#010x}", actual, crc));
	return major;
}

} // namespace

Result<Handover> decode(std::span<const std::uint8_t> blob, const MemoryConstraints &constraints)
{
	auto major = check_header(blob);
	if (!major)
		return major.error();
	auto payload = blob.subspan(PKH_BLOB_HEADER_SIZE);
	// libfdt needs an 8-byte aligned tree; callers may pass any span.
	Bytes aligned_copy;
	if (reinterpret_cast<std::uintptr_t>(payload.data()) % 8 != 0) {
		aligned_copy.assign(payload.begin(), payload.end());
		payload = aligned_copy;
	}
	// Nothing reads the tree before the full structural check passes.
	const std::uint8_t *fdt = payload.data();
	int fdt_status = fdt_check_header(fdt);
	if (fdt_status != 0)
		return make_error(ErrorCode::BAD_FDT, "payload",
				  fmt::format("fdt_check_header: {}", fdt_strerror(fdt_status)));
	if (fdt_totalsize(fdt) != payload.size())
		return make_error(ErrorCode::BAD_FDT, "payload",
				  fmt::format("FDT totalsize {} differs from the payload's {} bytes",
					      fdt_totalsize(fdt), payload.size()));
	if (fdt_version(fdt) < 16)
		return make_error(ErrorCode::BAD_FDT, "payload",
				  fmt::format("FDT version {}; 16 or later is needed", fdt_version(fdt)));
	if (!structure_block_walkable(fdt, payload.size()))
		return make_error(ErrorCode::BAD_FDT, "payload", "a tag overruns the FDT structure block");
	fdt_status = fdt_check_full(fdt, payload.size());
	if (fdt_status != 0)
		return make_error(ErrorCode::BAD_FDT, "payload",
				  fmt::format("fdt_check_full: {}", fdt_strerror(fdt_status)));
	// fdt_check_full() accepts a tree whose first tag is not a node.
	if (!fdt_get_name(payload.data(), 0, nullptr))
		return make_error(ErrorCode::BAD_FDT, "/", "the payload has no root node");
	Decoder decoder(payload.data(), constraints, *major);
	decoder.handover.abi_minor = detail::load_le16(blob.data() + 6);
	if (auto status = decoder.root(*major); !status)
		return status.error();
	return std::move(decoder.handover);
}

Status validate(const Handover &handover, const MemoryConstraints &constraints)
{
	if (handover.abi_major < PKH_ABI_MAJOR_OLDEST || handover.abi_major > PKH_ABI_MAJOR)
		return make_error(ErrorCode::BAD_VERSION, "header.abi_major",
				  fmt::format("ABI major {} is not one this library writes ({}..{})",
					      handover.abi_major, PKH_ABI_MAJOR_OLDEST, PKH_ABI_MAJOR));
	detail::Validator validator(constraints, handover.abi_major);
	PKH_TRY(validator.root(handover));
	if (handover.regions.empty())
		return make_error(ErrorCode::MISSING_NODE, "/regions/region@0", "at least one region is required");
	if (handover.regions.size() > PKH_MAX_REGIONS)
		return make_error(ErrorCode::TOO_MANY, "/regions", fmt::format("at most {} regions", PKH_MAX_REGIONS));
	const bool v1 = handover.abi_major == 1;
	for (std::size_t r = 0; r < handover.regions.size(); r++) {
		const PkernfsRegion &region = handover.regions[r];
		const std::string path = detail::region_path(r);
		// What decode() finds while reading a region's properties, before
		// its value rules: the length of the metadata array.
		if (!v1 && region.metadata.empty())
			return make_error(ErrorCode::BAD_LENGTH, path + "/" PKH_PROP_METADATA,
					  fmt::format("no metadata ranges; an ABI v2 region lists 1..{}",
						      PKH_MAX_METADATA_RANGES));
		if (!v1 && region.metadata.size() > PKH_MAX_METADATA_RANGES)
			return make_error(
				ErrorCode::TOO_MANY, path + "/" PKH_PROP_METADATA,
				fmt::format("{} ranges; at most {}", region.metadata.size(), PKH_MAX_METADATA_RANGES));
		PKH_TRY(validator.region(handover.regions, r));
		// Then, as its unknown properties: the items of the other major.
		if (v1 && !region.metadata.empty())
			return make_error(ErrorCode::UNKNOWN_PROPERTY, path + "/" PKH_PROP_METADATA,
					  "an ABI v1 region has no metadata ranges (they are v2's)");
		if (v1 && region.metadata_digest != Digest{})
			return make_error(ErrorCode::UNKNOWN_PROPERTY, path + "/" PKH_PROP_METADATA_DIGEST,
					  "an ABI v1 region has no metadata digest (it is v2's)");
		if (region.files.size() > PKH_MAX_FILES_PER_REGION)
			return make_error(ErrorCode::TOO_MANY, path,
					  fmt::format("at most {} files per region", PKH_MAX_FILES_PER_REGION));
		validator.begin_files(region);
		for (std::size_t f = 0; f < region.files.size(); f++) {
			PKH_TRY(validator.file(region, r, f));
			if (!v1 && !region.files[f].extents.empty())
				return make_error(ErrorCode::UNKNOWN_PROPERTY,
						  detail::file_path(r, f) + "/" PKH_PROP_EXTENTS,
						  "an ABI v2 file has no extents: the region's metadata locates "
						  "its blocks (extents are v1's)");
		}
	}
	if (handover.iommu_units.size() > PKH_MAX_IOMMU_UNITS)
		return make_error(ErrorCode::TOO_MANY, "/iommu", fmt::format("at most {} units", PKH_MAX_IOMMU_UNITS));
	if (handover.iommu_domains.size() > PKH_MAX_DOMAINS)
		return make_error(ErrorCode::TOO_MANY, "/iommu", fmt::format("at most {} domains", PKH_MAX_DOMAINS));
	if (handover.devices.size() > PKH_MAX_DEVICES)
		return make_error(ErrorCode::TOO_MANY, "/devices", fmt::format("at most {} devices", PKH_MAX_DEVICES));
	for (std::size_t u = 0; u < handover.iommu_units.size(); u++)
		PKH_TRY(validator.unit(handover, u));
	// What a v3 blob writes on each domain: its first device's map.
	const std::vector<std::size_t> first_device = detail::first_device_of_each_domain(handover);
	for (std::size_t d = 0; d < handover.iommu_domains.size(); d++) {
		const std::size_t first = first_device[d];
		PKH_TRY(validator.domain(handover, d,
					 first == handover.devices.size() ? IovaMap{} : handover.devices[first].iova_map));
	}
	for (std::size_t d = 0; d < handover.devices.size(); d++)
		PKH_TRY(validator.device(handover, d));
	return Ok{};
}

} // namespace pkh
