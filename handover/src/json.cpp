// SPDX-License-Identifier: GPL-2.0-only
//
// The JSON spec: what people write, `pkhandover example` prints and
// `inspect --json` produces.  Reading is strict: unknown keys, wrong types
// and out-of-range numbers are errors naming the JSON path.
#include "validator.hpp"

#include <cctype>
#include <fmt/format.h>
#include <limits>
#include <map>
#include <set>

namespace pkh {

using json = nlohmann::ordered_json;

namespace {

Error spec_error(const std::string &where, const std::string &why)
{
	return Error{ErrorCode::BAD_SPEC, where, why};
}

// Flag names, in bit order.
const std::vector<std::pair<std::uint32_t, std::string>> region_flag_names = {
	{PKH_REGION_F_GUEST_RAM, "guest-ram"}, {PKH_REGION_F_IOMMU_TABLES, "iommu-tables"}};
const std::vector<std::pair<std::uint32_t, std::string>> device_flag_names = {
	{PKH_DEVICE_F_NO_RESET, "no-reset"}, {PKH_DEVICE_F_KEEP_BUS_MASTER, "keep-bus-master"}};
const std::map<std::uint32_t, std::string> iommu_type_names = {{PKH_IOMMU_TYPE_INTEL_VTD, "intel-vtd"},
							       {PKH_IOMMU_TYPE_AMD_VI, "amd-vi"},
							       {PKH_IOMMU_TYPE_ARM_SMMU_V3, "arm-smmu-v3"}};
const std::map<std::uint32_t, std::string> translation_names = {{PKH_TRANSLATION_LEGACY, "legacy"},
								{PKH_TRANSLATION_SCALABLE, "scalable"}};
const std::map<std::uint32_t, std::string> format_names = {{PKH_PGTABLE_VTD_SECOND_LEVEL, "vtd-second-level"},
							   {PKH_PGTABLE_VTD_FIRST_LEVEL, "vtd-first-level"}};

json flags_to_json(std::uint32_t flags, const std::vector<std::pair<std::uint32_t, std::string>> &names)
{
	json out = json::array();
	for (const auto &[bit, name] : names)
		if (flags & bit)
			out.push_back(name);
	// Bits without a name survive a round trip as a number.
	std::uint32_t unnamed = flags;
	for (const auto &[bit, name] : names)
		unnamed &= ~bit;
	if (unnamed)
		out.push_back(unnamed);
	return out;
}

std::string enum_to_string(std::uint32_t value, const std::map<std::uint32_t, std::string> &names)
{
	auto it = names.find(value);
	return it != names.end() ? it->second : std::to_string(value);
}

std::string uuid_to_string(const Uuid &uuid)
{
	std::string text;
	for (std::size_t i = 0; i < uuid.size(); i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			text += '-';
		text += fmt::format("{:02x}", uuid[i]);
	}
	return text;
}

std::string perm_to_string(std::uint32_t perm)
{
	if (perm & ~PKH_IOVA_PERM_ALL)
		return std::to_string(perm);
	std::string text;
	if (perm & PKH_IOVA_PERM_READ)
		text += 'r';
	if (perm & PKH_IOVA_PERM_WRITE)
		text += 'w';
	return text.empty() ? "0" : text;
}

// ------------------------------------------------------------- reading

// A JSON object being read: every key must be consumed exactly once.
class SpecObject {
public:
	SpecObject(const json &value, std::string path) : value_(value), path_(std::move(path)) {}

	Status check_object() const
	{
		if (!value_.is_object())
			return spec_error(path_, "expected an object");
		return Ok{};
	}

	const json *find(const std::string &key)
	{
		auto it = value_.find(key);
		if (it == value_.end())
			return nullptr;
		used_.insert(key);
		return &*it;
	}

	Result<const json *> require(const std::string &key)
	{
		const json *value = find(key);
		if (!value)
			return spec_error(path_, fmt::format("missing key \"{}\"", key));
		return value;
	}

	Status no_unknown_keys() const
	{
		for (const auto &item : value_.items())
			if (!used_.count(item.key()))
				return spec_error(path_ + "." + item.key(), "unknown key");
		return Ok{};
	}

	std::string path(const std::string &key) const { return path_ + "." + key; }

private:
	const json &value_;
	std::string path_;
	std::set<std::string> used_;
};

// An unsigned number: a JSON integer, or a string in decimal or 0x hex with
// an optional binary suffix K, M, G or T.
Result<std::uint64_t> number_from_json(const json &value, const std::string &path, std::uint64_t max)
{
	std::uint64_t result = 0;
	if (value.is_number_unsigned()) {
		result = value.get<std::uint64_t>();
	} else if (value.is_number_integer()) {
		if (value.get<std::int64_t>() < 0)
			return spec_error(path, "negative numbers are not allowed");
		result = static_cast<std::uint64_t>(value.get<std::int64_t>());
	} else if (value.is_number_float()) {
		return spec_error(path, "expected an integer");
	} else if (value.is_string()) {
		std::string text = value.get<std::string>();
		unsigned shift = 0;
		if (!text.empty()) {
			switch (std::toupper(static_cast<unsigned char>(text.back()))) {
			case 'K': shift = 10; break;
			case 'M': shift = 20; break;
			case 'G': shift = 30; break;
			case 'T': shift = 40; break;
			default: break;
			}
		}
		if (shift)
			text.pop_back();
		const bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
		const std::string digits = hex ? text.substr(2) : text;
		if (digits.empty())
			return spec_error(path, fmt::format("\"{}\" is not a number", value.get<std::string>()));
		for (char c : digits) {
			const int digit = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
					  : hex && std::isxdigit(static_cast<unsigned char>(c))
						  ? std::tolower(static_cast<unsigned char>(c)) - 'a' + 10
						  : -1;
			if (digit < 0)
				return spec_error(path, fmt::format("\"{}\" is not a number", value.get<std::string>()));
			const unsigned base = hex ? 16 : 10;
			if (result > (std::numeric_limits<std::uint64_t>::max() - digit) / base)
				return spec_error(path, fmt::format("\"{}\" does not fit in 64 bits", value.get<std::string>()));
			result = result * base + digit;
		}
		if (shift && result > (std::numeric_limits<std::uint64_t>::max() >> shift))
			return spec_error(path, fmt::format("\"{}\" does not fit in 64 bits", value.get<std::string>()));
		result <<= shift;
	} else {
		return spec_error(path, "expected a number or a numeric string");
	}
	if (result > max)
		return spec_error(path, fmt::format("{} is larger than {}", result, max));
	return result;
}

template <typename T> Result<T> read_number(SpecObject &object, const std::string &key, bool required, T fallback)
{
	const json *value = object.find(key);
	if (!value) {
		if (required)
			return spec_error(object.path(key), "missing key");
		return fallback;
	}
	auto number = number_from_json(*value, object.path(key), std::numeric_limits<T>::max());
	if (!number)
		return number.error();
	return static_cast<T>(*number);
}

Result<std::uint32_t> enum_from_json(const json *value, const std::string &path,
				     const std::map<std::uint32_t, std::string> &names)
{
	if (value->is_string())
		for (const auto &[number, name] : names)
			if (name == value->get<std::string>())
				return number;
	if (value->is_string() && !value->get<std::string>().empty() &&
	    !std::isdigit(static_cast<unsigned char>(value->get<std::string>()[0]))) {
		std::string known;
		for (const auto &[number, name] : names)
			known += (known.empty() ? "" : ", ") + name;
		return spec_error(path, fmt::format("unknown value \"{}\" (known: {})", value->get<std::string>(), known));
	}
	auto number = number_from_json(*value, path, 0xffffffffu);
	if (!number)
		return number.error();
	return static_cast<std::uint32_t>(*number);
}

Result<std::uint32_t> flags_from_json(const json *value, const std::string &path,
				      const std::vector<std::pair<std::uint32_t, std::string>> &names)
{
	if (!value->is_array())
		return spec_error(path, "expected an array of flag names");
	std::uint32_t flags = 0;
	for (std::size_t i = 0; i < value->size(); i++) {
		const json &item = (*value)[i];
		const std::string where = fmt::format("{}[{}]", path, i);
		if (item.is_string()) {
			bool found = false;
			for (const auto &[bit, name] : names)
				if (name == item.get<std::string>()) {
					flags |= bit;
					found = true;
				}
			if (!found)
				return spec_error(where, fmt::format("unknown flag \"{}\"", item.get<std::string>()));
		} else {
			auto number = number_from_json(item, where, 0xffffffffu);
			if (!number)
				return number.error();
			flags |= static_cast<std::uint32_t>(*number);
		}
	}
	return flags;
}

Result<Uuid> uuid_from_json(const json *value, const std::string &path)
{
	if (!value->is_string())
		return spec_error(path, "expected a UUID string");
	std::string hex_digits;
	for (char c : value->get<std::string>())
		if (c != '-')
			hex_digits += c;
	Uuid uuid{};
	if (hex_digits.size() != 32)
		return spec_error(path, "a UUID has 32 hex digits");
	for (std::size_t i = 0; i < 16; i++) {
		auto byte = number_from_json("0x" + hex_digits.substr(2 * i, 2), path, 0xff);
		if (!byte)
			return spec_error(path, "a UUID has 32 hex digits");
		uuid[i] = static_cast<std::uint8_t>(*byte);
	}
	return uuid;
}

// Exactly "SSSS:BB:DD.F" in hex, as lspci -D prints it.
Result<std::uint32_t> pci_address_from_json(const json *value, const std::string &path)
{
	const Error error = spec_error(path, "expected a PCI address \"SSSS:BB:DD.F\" (hex, device <= 1f, function <= 7)");
	if (!value->is_string())
		return error;
	const std::string text = value->get<std::string>();
	static const char shape[] = "hhhh:hh:hh.h";
	if (text.size() != sizeof(shape) - 1)
		return error;
	std::uint32_t fields[4] = {};
	int field = 0;
	for (std::size_t i = 0; i < text.size(); i++) {
		const unsigned char c = static_cast<unsigned char>(text[i]);
		if (shape[i] != 'h') {
			if (c != static_cast<unsigned char>(shape[i]))
				return error;
			field++;
			continue;
		}
		if (!std::isxdigit(c))
			return error;
		fields[field] = fields[field] * 16 +
				static_cast<std::uint32_t>(std::isdigit(c) ? c - '0' : std::tolower(c) - 'a' + 10);
	}
	if (fields[2] > 0x1f || fields[3] > 7)
		return error;
	return PKH_PCI_ADDRESS(fields[0], fields[1], fields[2], fields[3]);
}

Result<std::uint32_t> perm_from_json(const json *value, const std::string &path)
{
	if (value->is_string()) {
		const std::string text = value->get<std::string>();
		if (text == "r")
			return PKH_IOVA_PERM_READ;
		if (text == "w")
			return PKH_IOVA_PERM_WRITE;
		if (text == "rw")
			return PKH_IOVA_PERM_ALL;
	}
	auto number = number_from_json(*value, path, 0xffffffffu);
	if (!number)
		return spec_error(path, "expected \"r\", \"w\", \"rw\" or a number");
	return static_cast<std::uint32_t>(*number);
}

Result<const json *> require_array(SpecObject &object, const std::string &key, bool required)
{
	static const json empty = json::array();
	const json *value = object.find(key);
	if (!value) {
		if (required)
			return spec_error(object.path(key), "missing key");
		return &empty;
	}
	if (!value->is_array())
		return spec_error(object.path(key), "expected an array");
	return value;
}

#define PKH_SPEC_READ(target, expr)                                                                    \
	do {                                                                                           \
		auto pkh_spec_value = (expr);                                                          \
		if (!pkh_spec_value)                                                                   \
			return pkh_spec_value.error();                                                \
		target = *pkh_spec_value;                                                              \
	} while (0)

#define PKH_SPEC_TRY(expr)                                                                             \
	do {                                                                                           \
		auto pkh_spec_status = (expr);                                                         \
		if (!pkh_spec_status)                                                                  \
			return pkh_spec_status.error();                                                \
	} while (0)

Result<PkernfsFile> file_from_json(const json &value, const std::string &path)
{
	SpecObject object(value, path);
	PKH_SPEC_TRY(object.check_object());
	PkernfsFile file;
	const json *name = nullptr;
	PKH_SPEC_READ(name, object.require("name"));
	if (!name->is_string())
		return spec_error(object.path("name"), "expected a string");
	file.name = name->get<std::string>();
	PKH_SPEC_READ(file.inode, read_number<std::uint64_t>(object, "inode", true, 0));
	PKH_SPEC_READ(file.size, read_number<std::uint64_t>(object, "size", true, 0));
	const json *extents = nullptr;
	PKH_SPEC_READ(extents, require_array(object, "extents", true));
	file.extents.reserve(extents->size());
	for (std::size_t k = 0; k < extents->size(); k++) {
		const json &pair = (*extents)[k];
		const std::string where = fmt::format("{}.extents[{}]", path, k);
		if (!pair.is_array() || pair.size() != 2)
			return spec_error(where, "expected [offset, length]");
		Extent extent;
		PKH_SPEC_READ(extent.region_offset, number_from_json(pair[0], where + "[0]", UINT64_MAX));
		PKH_SPEC_READ(extent.length, number_from_json(pair[1], where + "[1]", UINT64_MAX));
		file.extents.push_back(extent);
	}
	PKH_SPEC_TRY(object.no_unknown_keys());
	return file;
}

Result<PkernfsRegion> region_from_json(const json &value, const std::string &path)
{
	SpecObject object(value, path);
	PKH_SPEC_TRY(object.check_object());
	PkernfsRegion region;
	PKH_SPEC_READ(region.base, read_number<std::uint64_t>(object, "base", true, 0));
	PKH_SPEC_READ(region.size, read_number<std::uint64_t>(object, "size", true, 0));
	PKH_SPEC_READ(region.block_size, read_number<std::uint32_t>(object, "block_size", false, PKH_REGION_ALIGN));
	const json *uuid = nullptr;
	PKH_SPEC_READ(uuid, object.require("fs_uuid"));
	PKH_SPEC_READ(region.fs_uuid, uuid_from_json(uuid, object.path("fs_uuid")));
	const json *flags = nullptr;
	PKH_SPEC_READ(flags, object.require("flags"));
	PKH_SPEC_READ(region.flags, flags_from_json(flags, object.path("flags"), region_flag_names));
	const json *files = nullptr;
	PKH_SPEC_READ(files, require_array(object, "files", false));
	for (std::size_t f = 0; f < files->size(); f++) {
		auto file = file_from_json((*files)[f], fmt::format("{}.files[{}]", path, f));
		if (!file)
			return file.error();
		region.files.push_back(std::move(*file));
	}
	PKH_SPEC_TRY(object.no_unknown_keys());
	return region;
}

Result<IommuUnit> unit_from_json(const json &value, const std::string &path)
{
	SpecObject object(value, path);
	PKH_SPEC_TRY(object.check_object());
	IommuUnit unit;
	const json *field = nullptr;
	PKH_SPEC_READ(field, object.require("type"));
	PKH_SPEC_READ(unit.type, enum_from_json(field, object.path("type"), iommu_type_names));
	PKH_SPEC_READ(unit.reg_base, read_number<std::uint64_t>(object, "reg_base", true, 0));
	PKH_SPEC_READ(unit.segment, read_number<std::uint32_t>(object, "segment", false, 0));
	PKH_SPEC_READ(unit.root_table, read_number<std::uint64_t>(object, "root_table", true, 0));
	PKH_SPEC_READ(field, object.require("translation_mode"));
	PKH_SPEC_READ(unit.translation_mode, enum_from_json(field, object.path("translation_mode"), translation_names));
	PKH_SPEC_READ(unit.table_region, read_number<std::uint32_t>(object, "table_region", true, 0));
	PKH_SPEC_TRY(object.no_unknown_keys());
	return unit;
}

Result<IommuDomain> domain_from_json(const json &value, const std::string &path)
{
	SpecObject object(value, path);
	PKH_SPEC_TRY(object.check_object());
	IommuDomain domain;
	PKH_SPEC_READ(domain.unit, read_number<std::uint32_t>(object, "unit", true, 0));
	PKH_SPEC_READ(domain.domain_id, read_number<std::uint32_t>(object, "domain_id", true, 0));
	PKH_SPEC_READ(domain.pgtable_root, read_number<std::uint64_t>(object, "pgtable_root", true, 0));
	const json *format = nullptr;
	PKH_SPEC_READ(format, object.require("format"));
	PKH_SPEC_READ(domain.format, enum_from_json(format, object.path("format"), format_names));
	PKH_SPEC_READ(domain.levels, read_number<std::uint32_t>(object, "levels", true, 0));
	PKH_SPEC_READ(domain.address_width, read_number<std::uint32_t>(object, "address_width", true, 0));
	PKH_SPEC_TRY(object.no_unknown_keys());
	return domain;
}

Result<VfioDevice> device_from_json(const json &value, const std::string &path)
{
	SpecObject object(value, path);
	PKH_SPEC_TRY(object.check_object());
	VfioDevice device;
	const json *field = nullptr;
	PKH_SPEC_READ(field, object.require("pci_address"));
	PKH_SPEC_READ(device.pci_address, pci_address_from_json(field, object.path("pci_address")));
	PKH_SPEC_READ(device.ids.vendor, read_number<std::uint16_t>(object, "vendor", true, 0));
	PKH_SPEC_READ(device.ids.device, read_number<std::uint16_t>(object, "device", true, 0));
	PKH_SPEC_READ(device.ids.subsystem_vendor, read_number<std::uint16_t>(object, "subsystem_vendor", false, 0));
	PKH_SPEC_READ(device.ids.subsystem_device, read_number<std::uint16_t>(object, "subsystem_device", false, 0));
	PKH_SPEC_READ(device.iommu_group, read_number<std::uint32_t>(object, "iommu_group", true, 0));
	PKH_SPEC_READ(device.domain, read_number<std::uint32_t>(object, "domain", true, 0));
	const json *flags = object.find("flags");
	if (flags)
		PKH_SPEC_READ(device.flags, flags_from_json(flags, object.path("flags"), device_flag_names));
	const json *maps = nullptr;
	PKH_SPEC_READ(maps, require_array(object, "iova_map", false));
	for (std::size_t k = 0; k < maps->size(); k++) {
		const std::string where = fmt::format("{}.iova_map[{}]", path, k);
		SpecObject map_object((*maps)[k], where);
		PKH_SPEC_TRY(map_object.check_object());
		IovaMapping map;
		PKH_SPEC_READ(map.iova, read_number<std::uint64_t>(map_object, "iova", true, 0));
		PKH_SPEC_READ(map.region, read_number<std::uint32_t>(map_object, "region", true, 0));
		PKH_SPEC_READ(map.region_offset, read_number<std::uint64_t>(map_object, "offset", true, 0));
		PKH_SPEC_READ(map.length, read_number<std::uint64_t>(map_object, "length", true, 0));
		PKH_SPEC_READ(field, map_object.require("perm"));
		PKH_SPEC_READ(map.perm, perm_from_json(field, map_object.path("perm")));
		PKH_SPEC_TRY(map_object.no_unknown_keys());
		device.iova_map.push_back(map);
	}
	PKH_SPEC_TRY(object.no_unknown_keys());
	return device;
}

} // namespace

json to_json(const Handover &h)
{
	json spec;
	spec["abi_minor"] = h.abi_minor;
	spec["generation"] = h.generation;
	spec["nonce"] = hex(h.nonce);
	spec["creator"] = h.creator;
	json regions = json::array();
	for (const PkernfsRegion &region : h.regions) {
		json files = json::array();
		for (const PkernfsFile &file : region.files) {
			json extents = json::array();
			for (const Extent &extent : file.extents)
				extents.push_back(json::array({hex(extent.region_offset), hex(extent.length)}));
			files.push_back({{"name", file.name},
					 {"inode", file.inode},
					 {"size", hex(file.size)},
					 {"extents", std::move(extents)}});
		}
		regions.push_back({{"base", hex(region.base)},
				   {"size", hex(region.size)},
				   {"block_size", hex(region.block_size)},
				   {"fs_uuid", uuid_to_string(region.fs_uuid)},
				   {"flags", flags_to_json(region.flags, region_flag_names)},
				   {"files", std::move(files)}});
	}
	spec["regions"] = std::move(regions);
	json units = json::array(), domains = json::array(), devices = json::array();
	for (const IommuUnit &unit : h.iommu_units)
		units.push_back({{"type", enum_to_string(unit.type, iommu_type_names)},
				 {"reg_base", hex(unit.reg_base)},
				 {"segment", unit.segment},
				 {"root_table", hex(unit.root_table)},
				 {"translation_mode", enum_to_string(unit.translation_mode, translation_names)},
				 {"table_region", unit.table_region}});
	for (const IommuDomain &domain : h.iommu_domains)
		domains.push_back({{"unit", domain.unit},
				   {"domain_id", domain.domain_id},
				   {"pgtable_root", hex(domain.pgtable_root)},
				   {"format", enum_to_string(domain.format, format_names)},
				   {"levels", domain.levels},
				   {"address_width", domain.address_width}});
	for (const VfioDevice &device : h.devices) {
		json maps = json::array();
		for (const IovaMapping &map : device.iova_map)
			maps.push_back({{"iova", hex(map.iova)},
					{"region", map.region},
					{"offset", hex(map.region_offset)},
					{"length", hex(map.length)},
					{"perm", perm_to_string(map.perm)}});
		devices.push_back({{"pci_address", pci_address_string(device.pci_address)},
				   {"vendor", fmt::format("{:#06x}", device.ids.vendor)},
				   {"device", fmt::format("{:#06x}", device.ids.device)},
				   {"subsystem_vendor", fmt::format("{:#06x}", device.ids.subsystem_vendor)},
				   {"subsystem_device", fmt::format("{:#06x}", device.ids.subsystem_device)},
				   {"iommu_group", device.iommu_group},
				   {"domain", device.domain},
				   {"flags", flags_to_json(device.flags, device_flag_names)},
				   {"iova_map", std::move(maps)}});
	}
	spec["iommu"] = {{"units", std::move(units)}, {"domains", std::move(domains)}};
	spec["devices"] = std::move(devices);
	return spec;
}

Result<Handover> from_json(const json &spec)
{
	SpecObject root(spec, "$");
	PKH_SPEC_TRY(root.check_object());
	Handover h;
	PKH_SPEC_READ(h.abi_minor, read_number<std::uint16_t>(root, "abi_minor", false, PKH_ABI_MINOR));
	PKH_SPEC_READ(h.generation, read_number<std::uint64_t>(root, "generation", true, 0));
	PKH_SPEC_READ(h.nonce, read_number<std::uint64_t>(root, "nonce", true, 0));
	const json *creator = nullptr;
	PKH_SPEC_READ(creator, root.require("creator"));
	if (!creator->is_string())
		return spec_error("$.creator", "expected a string");
	h.creator = creator->get<std::string>();
	const json *regions = nullptr;
	PKH_SPEC_READ(regions, require_array(root, "regions", true));
	for (std::size_t r = 0; r < regions->size(); r++) {
		auto region = region_from_json((*regions)[r], fmt::format("$.regions[{}]", r));
		if (!region)
			return region.error();
		h.regions.push_back(std::move(*region));
	}
	if (const json *iommu = root.find("iommu")) {
		SpecObject object(*iommu, "$.iommu");
		PKH_SPEC_TRY(object.check_object());
		const json *units = nullptr, *domains = nullptr;
		PKH_SPEC_READ(units, require_array(object, "units", false));
		PKH_SPEC_READ(domains, require_array(object, "domains", false));
		for (std::size_t u = 0; u < units->size(); u++) {
			auto unit = unit_from_json((*units)[u], fmt::format("$.iommu.units[{}]", u));
			if (!unit)
				return unit.error();
			h.iommu_units.push_back(*unit);
		}
		for (std::size_t d = 0; d < domains->size(); d++) {
			auto domain = domain_from_json((*domains)[d], fmt::format("$.iommu.domains[{}]", d));
			if (!domain)
				return domain.error();
			h.iommu_domains.push_back(*domain);
		}
		PKH_SPEC_TRY(object.no_unknown_keys());
	}
	const json *devices = nullptr;
	PKH_SPEC_READ(devices, require_array(root, "devices", false));
	for (std::size_t d = 0; d < devices->size(); d++) {
		auto device = device_from_json((*devices)[d], fmt::format("$.devices[{}]", d));
		if (!device)
			return device.error();
		h.devices.push_back(std::move(*device));
	}
	PKH_SPEC_TRY(root.no_unknown_keys());
	return h;
}

Result<Handover> parse_spec(const std::string &text)
{
	// nlohmann keeps the last of duplicated keys; a spec with two values for
	// one key is ambiguous, so find them while parsing.
	std::vector<std::set<std::string>> keys_seen;
	std::string duplicate;
	auto find_duplicates = [&](int, json::parse_event_t event, json &parsed) {
		switch (event) {
		case json::parse_event_t::object_start:
			keys_seen.emplace_back();
			break;
		case json::parse_event_t::object_end:
			keys_seen.pop_back();
			break;
		case json::parse_event_t::key:
			if (!keys_seen.empty() && !keys_seen.back().insert(parsed.get<std::string>()).second &&
			    duplicate.empty())
				duplicate = parsed.get<std::string>();
			break;
		default:
			break;
		}
		return true;
	};
	json spec;
	try {
		spec = json::parse(text, find_duplicates);
	} catch (const json::parse_error &e) {
		// e.what() names the line and column of the fault.
		return spec_error("$", fmt::format("not valid JSON: {}", e.what()));
	}
	if (!duplicate.empty())
		return spec_error("$", fmt::format("key \"{}\" appears twice in one object", duplicate));
	return from_json(spec);
}

} // namespace pkh
