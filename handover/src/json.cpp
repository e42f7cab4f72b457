// SPDX-License-Identifier: GPL-2.0-only
//
// The JSON spec: what people write, `pkhandover example` prints and
// `inspect --json` produces, read and written by walking the schema tables
// (schema.hpp).  Reading is strict: unknown keys, wrong types and
// out-of-range numbers are errors naming the JSON path.  nlohmann::json stays
// inside this file: the API takes and gives JSON text.
#include "schema.hpp"
#include "util.hpp"

#include <cctype>
#include <fmt/format.h>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

namespace pkh
{

using json = nlohmann::ordered_json;

namespace
{

Error spec_error(const std::string &where, const std::string &why)
{
	return Error{ErrorCode::BAD_SPEC, where, why};
}

// ------------------------------------------------------------- writing

json flags_to_json(std::uint32_t flags, std::span<const schema::Name> names)
{
	json out = json::array();
	std::uint32_t unnamed = flags;
	for (const schema::Name &name : names)
		if (flags & name.value) {
			out.push_back(name.name);
			unnamed &= ~name.value;
		}
	// Bits without a name survive a round trip as a number.
	if (unnamed)
		out.push_back(unnamed);
	return out;
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

std::string digest_to_string(const Digest &digest)
{
	std::string text;
	for (std::uint8_t byte : digest)
		text += fmt::format("{:02x}", byte);
	return text;
}

json extents_to_json(const std::vector<Extent> &extents);

template <typename Record> json field_to_json(const schema::Field<Record> &field, const Record &record)
{
	using schema::Format;
	if (field.format == Format::text)
		return record.*field.text;
	if (field.format == Format::uuid)
		return uuid_to_string(record.*field.uuid);
	if (field.format == Format::digest)
		return digest_to_string(record.*field.digest);
	if (field.format == Format::extents)
		return extents_to_json(record.*field.extents);
	const std::uint64_t value = field.get(record);
	const auto value32 = static_cast<std::uint32_t>(value);
	switch (field.format) {
	case Format::hex:
	case Format::size: return util::hex(value);
	case Format::pci_id: return fmt::format("{:#06x}", value);
	case Format::enumeration: {
		const char *name = schema::name_of(field.names, value32);
		return name ? std::string(name) : std::to_string(value);
	}
	case Format::flags: return flags_to_json(value32, field.names);
	case Format::perm: return perm_to_string(value32);
	case Format::pci_address: return util::pci_address_string(value32);
	default: return value;
	}
}

// [[offset, length], ...], each pair as schema::extent_fields() gives it.
json extents_to_json(const std::vector<Extent> &extents)
{
	json out = json::array();
	for (const Extent &extent : extents) {
		json pair = json::array();
		for (const auto &field : schema::extent_fields())
			pair.push_back(field_to_json(field, extent));
		out.push_back(std::move(pair));
	}
	return out;
}

// The keys of the fields ABI `major` has.
template <typename Record>
json record_to_json(std::span<const schema::Field<Record>> fields, const Record &record,
		    std::uint16_t major = PKH_ABI_MAJOR)
{
	json object = json::object();
	for (const schema::Field<Record> &field : fields)
		if (field.in_major(major))
			object[field.key] = field_to_json(field, record);
	return object;
}

// ------------------------------------------------------------- reading

// A JSON object being read: every key must be consumed exactly once.
class SpecObject
{
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
			return spec_error(path(key), fmt::format("missing key \"{}\"", key));
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
				return spec_error(path,
						  fmt::format("\"{}\" is not a number", value.get<std::string>()));
			const unsigned base = hex ? 16 : 10;
			if (result > (std::numeric_limits<std::uint64_t>::max() - digit) / base)
				return spec_error(
					path, fmt::format("\"{}\" does not fit in 64 bits", value.get<std::string>()));
			result = result * base + digit;
		}
		if (shift && result > (std::numeric_limits<std::uint64_t>::max() >> shift))
			return spec_error(path,
					  fmt::format("\"{}\" does not fit in 64 bits", value.get<std::string>()));
		result <<= shift;
	} else {
		return spec_error(path, "expected a number or a numeric string");
	}
	if (result > max)
		return spec_error(path, fmt::format("{} is larger than {}", result, max));
	return result;
}

Result<std::uint32_t> enum_from_json(const json *value, const std::string &path, std::span<const schema::Name> names)
{
	if (value->is_string())
		for (const schema::Name &name : names)
			if (name.name == value->get<std::string>())
				return name.value;
	if (value->is_string() && !value->get<std::string>().empty() &&
	    !std::isdigit(static_cast<unsigned char>(value->get<std::string>()[0]))) {
		std::string known;
		for (const schema::Name &name : names)
			known += (known.empty() ? "" : ", ") + std::string(name.name);
		return spec_error(path,
				  fmt::format("unknown value \"{}\" (known: {})", value->get<std::string>(), known));
	}
	auto number = number_from_json(*value, path, 0xffffffffu);
	if (!number)
		return number.error();
	return static_cast<std::uint32_t>(*number);
}

Result<std::uint32_t> flags_from_json(const json *value, const std::string &path, std::span<const schema::Name> names)
{
	if (!value->is_array())
		return spec_error(path, "expected an array of flag names");
	std::uint32_t flags = 0;
	for (std::size_t i = 0; i < value->size(); i++) {
		const json &item = (*value)[i];
		const std::string where = fmt::format("{}[{}]", path, i);
		if (item.is_string()) {
			bool found = false;
			for (const schema::Name &name : names)
				if (name.name == item.get<std::string>()) {
					flags |= name.value;
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
	const Error error =
		spec_error(path, "expected a PCI address \"SSSS:BB:DD.F\" (hex, device <= 1f, function <= 7)");
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

Result<Digest> digest_from_json(const json *value, const std::string &path)
{
	const Error error = spec_error(path, fmt::format("expected a SHA-256 digest: a string of {} hex digits",
							 2 * PKH_METADATA_DIGEST_SIZE));
	if (!value->is_string() || value->get<std::string>().size() != 2 * PKH_METADATA_DIGEST_SIZE)
		return error;
	const std::string text = value->get<std::string>();
	const auto nibble = [](char c) {
		const auto u = static_cast<unsigned char>(c);
		return std::isdigit(u) ? c - '0' : std::isxdigit(u) ? std::tolower(u) - 'a' + 10 : -1;
	};
	Digest digest{};
	for (std::size_t i = 0; i < digest.size(); i++) {
		const int high = nibble(text[2 * i]), low = nibble(text[2 * i + 1]);
		if (high < 0 || low < 0)
			return error;
		digest[i] = static_cast<std::uint8_t>(high << 4 | low);
	}
	return digest;
}

// [[offset, length], ...] at `path`.
Result<std::vector<Extent>> extents_from_json(const json *value, const std::string &path)
{
	if (!value->is_array())
		return spec_error(path, "expected an array of [offset, length] pairs");
	const auto extent_fields = schema::extent_fields();
	std::vector<Extent> extents;
	extents.reserve(value->size());
	for (std::size_t k = 0; k < value->size(); k++) {
		const json &pair = (*value)[k];
		const std::string where = fmt::format("{}[{}]", path, k);
		if (!pair.is_array() || pair.size() != extent_fields.size())
			return spec_error(where, "expected [offset, length]");
		Extent extent;
		for (std::size_t i = 0; i < extent_fields.size(); i++) {
			auto number = number_from_json(pair[i], fmt::format("{}[{}]", where, i), extent_fields[i].max);
			if (!number)
				return number.error();
			extent_fields[i].set(extent, *number);
		}
		extents.push_back(extent);
	}
	return extents;
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

#define PKH_SPEC_READ(target, expr)                                                                                    \
	do {                                                                                                           \
		auto pkh_spec_value = (expr);                                                                          \
		if (!pkh_spec_value)                                                                                   \
			return pkh_spec_value.error();                                                                 \
		target = *pkh_spec_value;                                                                              \
	} while (0)

#define PKH_SPEC_TRY(expr)                                                                                             \
	do {                                                                                                           \
		auto pkh_spec_status = (expr);                                                                         \
		if (!pkh_spec_status)                                                                                  \
			return pkh_spec_status.error();                                                                \
	} while (0)

// "v1", "v2", "v1..v3"
std::string majors_text(std::uint16_t min_major, std::uint16_t max_major)
{
	return min_major == max_major ? fmt::format("v{}", min_major) : fmt::format("v{}..v{}", min_major, max_major);
}

// Reads the fields of `fields` from `object` into `record`, in table order;
// optional keys that are absent keep the record's default.  A key of a
// field that ABI `major` lacks is refused by name.
template <typename Record>
Status fields_from_json(std::span<const schema::Field<Record>> fields, SpecObject &object, Record &record,
			std::uint16_t major)
{
	using schema::Format;
	for (const schema::Field<Record> &field : fields) {
		if (!field.in_major(major)) {
			if (object.find(field.key))
				return spec_error(object.path(field.key),
						  fmt::format("\"{}\" is ABI {} only; this spec is ABI v{} "
							      "(\"abi_major\": {}){}",
							      field.key, majors_text(field.min_major, field.max_major),
							      major, major,
							      major >= 2 && field.format == Format::extents
								      ? ": its files carry name, inode and size, "
									"and each region its \"metadata\" ranges"
								      : ""));
			continue;
		}
		const json *value = object.find(field.key);
		if (!value) {
			if (field.required)
				return spec_error(object.path(field.key), fmt::format("missing key \"{}\"", field.key));
			continue;
		}
		const std::string path = object.path(field.key);
		if (field.format == Format::text) {
			if (!value->is_string())
				return spec_error(path, "expected a string");
			record.*field.text = value->get<std::string>();
			continue;
		}
		if (field.format == Format::uuid) {
			PKH_SPEC_READ(record.*field.uuid, uuid_from_json(value, path));
			continue;
		}
		if (field.format == Format::digest) {
			PKH_SPEC_READ(record.*field.digest, digest_from_json(value, path));
			continue;
		}
		if (field.format == Format::extents) {
			PKH_SPEC_READ(record.*field.extents, extents_from_json(value, path));
			continue;
		}
		std::uint64_t number = 0;
		switch (field.format) {
		case Format::enumeration: PKH_SPEC_READ(number, enum_from_json(value, path, field.names)); break;
		case Format::flags: PKH_SPEC_READ(number, flags_from_json(value, path, field.names)); break;
		case Format::perm: PKH_SPEC_READ(number, perm_from_json(value, path)); break;
		case Format::pci_address: PKH_SPEC_READ(number, pci_address_from_json(value, path)); break;
		default: PKH_SPEC_READ(number, number_from_json(*value, path, field.max)); break;
		}
		field.set(record, number);
	}
	return Ok{};
}

template <typename Record>
Result<Record> record_from_json(std::span<const schema::Field<Record>> fields, const json &value,
				const std::string &path, std::uint16_t major)
{
	SpecObject object(value, path);
	PKH_SPEC_TRY(object.check_object());
	Record record;
	PKH_SPEC_TRY(fields_from_json(fields, object, record, major));
	PKH_SPEC_TRY(object.no_unknown_keys());
	return record;
}

Result<PkernfsRegion> region_from_json(const json &value, const std::string &path, std::uint16_t major)
{
	SpecObject object(value, path);
	PKH_SPEC_TRY(object.check_object());
	PkernfsRegion region;
	PKH_SPEC_TRY(fields_from_json(schema::region_fields(), object, region, major));
	const json *files = nullptr;
	PKH_SPEC_READ(files, require_array(object, "files", false));
	for (std::size_t f = 0; f < files->size(); f++) {
		auto file = record_from_json(schema::file_fields(), (*files)[f], fmt::format("{}.files[{}]", path, f),
					     major);
		if (!file)
			return file.error();
		region.files.push_back(std::move(*file));
	}
	PKH_SPEC_TRY(object.no_unknown_keys());
	return region;
}

Result<VfioDevice> device_from_json(const json &value, const std::string &path, std::uint16_t major)
{
	SpecObject object(value, path);
	PKH_SPEC_TRY(object.check_object());
	VfioDevice device;
	PKH_SPEC_TRY(fields_from_json(schema::device_fields(), object, device, major));
	const json *maps = nullptr;
	PKH_SPEC_READ(maps, require_array(object, "iova_map", false));
	for (std::size_t k = 0; k < maps->size(); k++) {
		auto map = record_from_json(schema::iova_mapping_fields(), (*maps)[k],
					    fmt::format("{}.iova_map[{}]", path, k), major);
		if (!map)
			return map.error();
		device.iova_map.push_back(*map);
	}
	PKH_SPEC_TRY(object.no_unknown_keys());
	return device;
}

// A list of records under `key` of `object`, each read by `read`.
template <typename Record, typename Read>
Status list_from_json(SpecObject &object, const char *key, bool required, std::vector<Record> &out, Read read)
{
	const json *items = nullptr;
	PKH_SPEC_READ(items, require_array(object, key, required));
	for (std::size_t i = 0; i < items->size(); i++) {
		auto item = read((*items)[i], fmt::format("{}[{}]", object.path(key), i));
		if (!item)
			return item.error();
		out.push_back(std::move(*item));
	}
	return Ok{};
}

Result<Handover> from_json(const json &spec)
{
	SpecObject root(spec, "$");
	PKH_SPEC_TRY(root.check_object());
	// The major decides which keys the rest may have: read it first.
	std::uint16_t major = PKH_ABI_MAJOR;
	if (auto it = spec.find("abi_major"); it != spec.end()) {
		std::uint64_t number = 0;
		PKH_SPEC_READ(number, number_from_json(*it, "$.abi_major", 0xffff));
		if (number < PKH_ABI_MAJOR_OLDEST || number > PKH_ABI_MAJOR)
			return spec_error("$.abi_major", fmt::format("ABI major {} is not one this library writes "
								     "({}..{})",
								     number, PKH_ABI_MAJOR_OLDEST, PKH_ABI_MAJOR));
		major = static_cast<std::uint16_t>(number);
	}
	Handover h;
	PKH_SPEC_TRY(fields_from_json(schema::root_fields(), root, h, major));
	const auto in_major = [major](auto read) {
		return [major, read](const json &value, const std::string &path) { return read(value, path, major); };
	};
	PKH_SPEC_TRY(list_from_json(root, "regions", true, h.regions, in_major(region_from_json)));
	if (const json *iommu = root.find("iommu")) {
		SpecObject object(*iommu, "$.iommu");
		PKH_SPEC_TRY(object.check_object());
		PKH_SPEC_TRY(list_from_json(object, "units", false, h.iommu_units,
					    [major](const json &value, const std::string &path) {
						    return record_from_json(schema::unit_fields(), value, path, major);
					    }));
		PKH_SPEC_TRY(list_from_json(
			object, "domains", false, h.iommu_domains, [major](const json &value, const std::string &path) {
				return record_from_json(schema::domain_fields(), value, path, major);
			}));
		PKH_SPEC_TRY(object.no_unknown_keys());
	}
	PKH_SPEC_TRY(list_from_json(root, "devices", false, h.devices, in_major(device_from_json)));
	PKH_SPEC_TRY(root.no_unknown_keys());
	return h;
}

} // namespace

std::string to_json(const Handover &h)
{
	const std::uint16_t major = h.abi_major;
	json spec = record_to_json(schema::root_fields(), h, major);
	json regions = json::array();
	for (const PkernfsRegion &region : h.regions) {
		json files = json::array();
		for (const PkernfsFile &file : region.files)
			files.push_back(record_to_json(schema::file_fields(), file, major));
		json object = record_to_json(schema::region_fields(), region, major);
		object["files"] = std::move(files);
		regions.push_back(std::move(object));
	}
	spec["regions"] = std::move(regions);
	json units = json::array(), domains = json::array(), devices = json::array();
	for (const IommuUnit &unit : h.iommu_units)
		units.push_back(record_to_json(schema::unit_fields(), unit, major));
	for (const IommuDomain &domain : h.iommu_domains)
		domains.push_back(record_to_json(schema::domain_fields(), domain, major));
	for (const VfioDevice &device : h.devices) {
		json maps = json::array();
		for (const IovaMapping &map : device.iova_map)
			maps.push_back(record_to_json(schema::iova_mapping_fields(), map, major));
		json object = record_to_json(schema::device_fields(), device, major);
		object["iova_map"] = std::move(maps);
		devices.push_back(std::move(object));
	}
	spec["iommu"] = {{"units", std::move(units)}, {"domains", std::move(domains)}};
	spec["devices"] = std::move(devices);
	return spec.dump(2);
}

std::string differences_to_json(const std::vector<Difference> &differences)
{
	json out = json::array();
	for (const Difference &difference : differences) {
		static const char *const kinds[] = {"added", "removed", "changed"};
		json item = {{"kind", kinds[static_cast<int>(difference.kind)]}, {"what", difference.what}};
		if (difference.kind != Difference::Kind::added)
			item["before"] = difference.before;
		if (difference.kind != Difference::Kind::removed)
			item["after"] = difference.after;
		if (!difference.note.empty())
			item["note"] = difference.note;
		out.push_back(std::move(item));
	}
	return out.dump(2);
}

Result<Handover> parse_spec(const std::string &text)
{
	// nlohmann keeps the last of duplicated keys; a spec with two values for
	// one key is ambiguous, so find them while parsing.
	std::vector<std::set<std::string>> keys_seen;
	std::string duplicate;
	auto find_duplicates = [&](int, json::parse_event_t event, json &parsed) {
		switch (event) {
		case json::parse_event_t::object_start: keys_seen.emplace_back(); break;
		case json::parse_event_t::object_end: keys_seen.pop_back(); break;
		case json::parse_event_t::key:
			if (!keys_seen.empty() && !keys_seen.back().insert(parsed.get<std::string>()).second &&
			    duplicate.empty())
				duplicate = parsed.get<std::string>();
			break;
		default: break;
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
