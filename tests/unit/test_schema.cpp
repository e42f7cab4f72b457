// SPDX-License-Identifier: GPL-2.0-only
//
// The schema tables drive encode, decode, the JSON spec and diff: whatever a
// table lists, each of them handles, field by field.
#include "../tools/fixture_models.hpp"
#include "schema.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>
#include <functional>

using namespace pkh;
using namespace pkh::test;

namespace
{

// Changes one field of a record to another value its type can hold.
template <typename Record> void change_field(const schema::Field<Record> &field, Record &record)
{
	if (field.format == schema::Format::text)
		record.*field.text += "x";
	else if (field.format == schema::Format::uuid)
		(record.*field.uuid)[15] ^= 0x01;
	else
		field.set(record, field.get(record) ^ 1);
}

// For each field of `fields`: a copy of small_handover() with that field of
// the record `pick` selects changed must differ from the original in diff
// (by the field's label, unless `labelled` is false: a packed record's
// fields are shown together), must change inspect's text, and must survive
// the JSON spec and, when the change leaves the model valid, the blob.
template <typename Record>
void check_every_field(std::span<const schema::Field<Record>> fields, const std::function<Record &(Handover &)> &pick,
		       bool labelled)
{
	const Handover base = small_handover();
	for (const schema::Field<Record> &field : fields) {
		INFO("field " << field.key);
		Handover changed = base;
		change_field(field, pick(changed));
		REQUIRE_FALSE(changed == base);

		const auto lines = diff(base, changed);
		CHECK_FALSE(lines.empty());
		if (labelled && !field.identity) {
			bool named = false;
			for (const std::string &line : lines)
				named = named || line.find(std::string(" ") + field.label + ":") != std::string::npos;
			CHECK(named);
		}

		// inspect's text shows it: the tree is laid out by hand, for
		// reading, and this keeps it showing every field the table has.
		CHECK(to_text(changed) != to_text(base));

		auto reread = parse_spec(to_json(changed));
		REQUIRE(reread.ok());
		CHECK(*reread == changed);

		auto blob = encode(changed);
		if (!blob)
			continue; // the change broke an ABI rule: encode refused it, as it should
		auto decoded = decode(*blob);
		REQUIRE(decoded.ok());
		CHECK(*decoded == changed);
	}
}

} // namespace

TEST_CASE("every schema field is compared by diff, shown by inspect, kept by JSON and by the blob", "[schema]")
{
	check_every_field<Handover>(
		schema::root_fields(), [](Handover &h) -> Handover & { return h; }, true);
	check_every_field<PkernfsRegion>(
		schema::region_fields(), [](Handover &h) -> PkernfsRegion & { return h.regions[0]; }, true);
	check_every_field<PkernfsFile>(
		schema::file_fields(), [](Handover &h) -> PkernfsFile & { return h.regions[0].files[0]; }, true);
	check_every_field<Extent>(
		schema::extent_fields(), [](Handover &h) -> Extent & { return h.regions[0].files[0].extents[0]; },
		false);
	check_every_field<IommuUnit>(
		schema::unit_fields(), [](Handover &h) -> IommuUnit & { return h.iommu_units[0]; }, true);
	check_every_field<IommuDomain>(
		schema::domain_fields(), [](Handover &h) -> IommuDomain & { return h.iommu_domains[0]; }, true);
	check_every_field<VfioDevice>(
		schema::device_fields(), [](Handover &h) -> VfioDevice & { return h.devices[0]; }, true);
	check_every_field<IovaMapping>(
		schema::iova_mapping_fields(), [](Handover &h) -> IovaMapping & { return h.devices[0].iova_map[0]; },
		false);
}

// Names, compared as text (the same literal may have two addresses).
template <typename Record> std::vector<std::string> property_names(std::span<const schema::Field<Record>> fields)
{
	std::vector<std::string> names;
	for (const char *name : schema::properties(fields))
		names.emplace_back(name);
	return names;
}

TEST_CASE("the decoder knows exactly the properties the encoder writes", "[schema]")
{
	// Each node's properties, once each, in the order the encoder writes
	// them; pci-ids is one property of four cells.
	CHECK(property_names(schema::device_fields()) ==
	      std::vector<std::string>{PKH_PROP_PCI_ADDRESS, PKH_PROP_PCI_IDS, PKH_PROP_IOMMU_GROUP, PKH_PROP_DOMAIN,
				       PKH_PROP_FLAGS});
	CHECK(property_names(schema::root_fields()) ==
	      std::vector<std::string>{PKH_PROP_GENERATION, PKH_PROP_NONCE, PKH_PROP_CREATOR});
}

TEST_CASE("a packed record's fields fill it exactly", "[schema]")
{
	const auto sum = [](auto fields) {
		std::size_t bytes = 0;
		for (const auto &field : fields)
			bytes += field.width();
		return bytes;
	};
	CHECK(sum(schema::extent_fields()) == sizeof(pkh_extent));
	CHECK(sum(schema::iova_mapping_fields()) == sizeof(pkh_iova_mapping));
	IovaMapping map{0x1000, 1, 0x2000, 0x3000, PKH_IOVA_PERM_READ};
	std::uint8_t bytes[sizeof(pkh_iova_mapping)] = {};
	schema::store_record(schema::iova_mapping_fields(), map, bytes);
	CHECK(schema::load_record(schema::iova_mapping_fields(), bytes) == map);
	CHECK(detail::load_le32(bytes + offsetof(pkh_iova_mapping, region)) == 1);
}
