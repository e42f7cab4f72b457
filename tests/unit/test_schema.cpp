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
	else if (field.format == schema::Format::digest)
		(record.*field.digest)[31] ^= 0x01;
	else if (field.format == schema::Format::extents)
		(record.*field.extents).back().length += 0x1000;
	else
		field.set(record, field.get(record) ^ 1);
}

// For each field of `fields` that `base`'s ABI major has: a copy of `base`
// with that field of the record `pick` selects changed must differ from the
// original in diff (by the field's label, unless `labelled` is false: a
// packed record's fields are shown together), must change inspect's text,
// and must survive the JSON spec and, when the change leaves the model
// valid, the blob.  (abi_major is not one field: a model of the other major
// has other items; the versioning tests cover it.)
template <typename Record>
void check_every_field(const Handover &base, std::span<const schema::Field<Record>> fields,
		       const std::function<Record &(Handover &)> &pick, bool labelled)
{
	for (const schema::Field<Record> &field : fields) {
		INFO("field " << field.key << ", ABI v" << base.abi_major);
		if (!field.in_major(base.abi_major) || std::string_view(field.key) == "abi_major")
			continue;
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
	for (const Handover &base : {small_handover(), small_handover_v1()}) {
		check_every_field<Handover>(
			base, schema::root_fields(), [](Handover &h) -> Handover & { return h; }, true);
		check_every_field<PkernfsRegion>(
			base, schema::region_fields(), [](Handover &h) -> PkernfsRegion & { return h.regions[0]; },
			true);
		check_every_field<PkernfsFile>(
			base, schema::file_fields(), [](Handover &h) -> PkernfsFile & { return h.regions[0].files[0]; },
			true);
		check_every_field<IommuUnit>(
			base, schema::unit_fields(), [](Handover &h) -> IommuUnit & { return h.iommu_units[0]; }, true);
		check_every_field<IommuDomain>(
			base, schema::domain_fields(), [](Handover &h) -> IommuDomain & { return h.iommu_domains[0]; },
			true);
		check_every_field<VfioDevice>(
			base, schema::device_fields(), [](Handover &h) -> VfioDevice & { return h.devices[0]; }, true);
		check_every_field<IovaMapping>(
			base, schema::iova_mapping_fields(),
			[](Handover &h) -> IovaMapping & { return h.devices[0].iova_map[0]; }, false);
	}
	// The packed pkh_extent records: v1 file extents, v2 metadata ranges.
	check_every_field<Extent>(
		small_handover_v1(), schema::extent_fields(),
		[](Handover &h) -> Extent & { return h.regions[0].files[0].extents[0]; }, false);
	check_every_field<Extent>(
		small_handover(), schema::extent_fields(),
		[](Handover &h) -> Extent & { return h.regions[0].metadata[0]; }, false);
}

// Names, compared as text (the same literal may have two addresses).
template <typename Record>
std::vector<std::string> property_names(std::span<const schema::Field<Record>> fields,
					std::uint16_t major = PKH_ABI_MAJOR)
{
	std::vector<std::string> names;
	for (const char *name : schema::properties(fields, major))
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
	// v2: a region's metadata ranges and digest; files without extents.
	CHECK(property_names(schema::region_fields(), 2) ==
	      std::vector<std::string>{PKH_PROP_BASE, PKH_PROP_SIZE, PKH_PROP_BLOCK_SIZE, PKH_PROP_FS_UUID,
				       PKH_PROP_FLAGS, PKH_PROP_METADATA, PKH_PROP_METADATA_DIGEST});
	CHECK(property_names(schema::file_fields(), 2) ==
	      std::vector<std::string>{PKH_PROP_NAME, PKH_PROP_INODE, PKH_PROP_SIZE});
	// v1: the reverse.
	CHECK(property_names(schema::region_fields(), 1) == std::vector<std::string>{PKH_PROP_BASE, PKH_PROP_SIZE,
										     PKH_PROP_BLOCK_SIZE,
										     PKH_PROP_FS_UUID, PKH_PROP_FLAGS});
	CHECK(property_names(schema::file_fields(), 1) ==
	      std::vector<std::string>{PKH_PROP_NAME, PKH_PROP_INODE, PKH_PROP_SIZE, PKH_PROP_EXTENTS});
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
