// SPDX-License-Identifier: GPL-2.0-only
//
// The golden and hostile fixtures of tests/data, defined once: make-fixtures
// writes them, and the unit tests check the checked-in files still equal
// what this produces (so an ABI change cannot slip past the fixtures).
//
// Each hostile fixture has exactly one fault, the error code both readers
// must report, and the path they must name.
#pragma once

#include "../../handover/src/encode_internal.hpp"
#include "blob_surgery.hpp"
#include "fixture_models.hpp"

#include <functional>
#include <string>
#include <vector>

namespace pkh::test {

struct Fixture {
	std::string name; // file name without .blob
	std::string code; // PKH_ERR_* name; "OK" for good fixtures
	std::string where;
	std::vector<std::string> ram;	   // "START:SIZE" constraints, as the CLI takes them
	std::vector<std::string> reserved; // "START:SIZE:WHAT"
	Bytes blob;
};

inline Bytes must_encode(const Handover &h)
{
	auto blob = detail::encode_unchecked(h);
	if (!blob)
		throw std::runtime_error("encode: " + blob.error().message());
	return *blob;
}

// A later minor version's optional additions, which readers skip.
inline Bytes with_optional_items(const Bytes &blob)
{
	Bytes optional = FdtEditor(blob)
				 .set_u32("/", "opt-future-root-flag", 1)
				 .add_node("/regions/region@0", "opt-future-node")
				 .set_u64("/devices/device@0", "opt-future-counter", 3)
				 .blob();
	put_le16(optional, header_abi_minor, 3);
	fix_crc(optional);
	return optional;
}

// ABI v3 blobs, and the v2 and v1 blobs of the same state that kernels of
// the earlier ABIs hand over (*-v2, *-v1: new readers still accept them).
inline std::vector<Fixture> good_fixtures()
{
	std::vector<Fixture> good;
	good.push_back({"example", "OK", "", {}, {}, must_encode(example_handover())});
	good.push_back({"small", "OK", "", {}, {}, must_encode(small_handover())});
	good.push_back({"minimal", "OK", "", {}, {}, must_encode(minimal_handover())});
	good.push_back(
		{"optional-items-minor-3", "OK", "", {}, {}, with_optional_items(must_encode(small_handover()))});
	good.push_back({"example-v2", "OK", "", {}, {}, must_encode(example_handover_v2())});
	good.push_back({"small-v2", "OK", "", {}, {}, must_encode(small_handover_v2())});
	good.push_back({"minimal-v2", "OK", "", {}, {}, must_encode(minimal_handover_v2())});
	good.push_back({"optional-items-minor-3-v2", "OK", "", {}, {},
			with_optional_items(must_encode(small_handover_v2()))});
	good.push_back({"example-v1", "OK", "", {}, {}, must_encode(example_handover_v1())});
	good.push_back({"small-v1", "OK", "", {}, {}, must_encode(small_handover_v1())});
	good.push_back({"minimal-v1", "OK", "", {}, {}, must_encode(minimal_handover_v1())});
	good.push_back(
		{"optional-items-minor-3-v1", "OK", "", {}, {}, with_optional_items(must_encode(small_handover_v1()))});
	return good;
}

// The faults of ABI v1 (and of every major) are in v1 blobs, as they were
// before v2 (their bytes have not changed); those of v2 in v2 blobs; those
// of v3 in v3 blobs.
inline std::vector<Fixture> hostile_fixtures()
{
	std::vector<Fixture> bad;
	const Handover base = small_handover_v1();
	const Bytes good = must_encode(base);
	auto add = [&](std::string name, std::string code, std::string where, Bytes blob) {
		bad.push_back({std::move(name), std::move(code), std::move(where), {}, {}, std::move(blob)});
	};
	auto with_model = [&](const std::function<void(Handover &)> &change) {
		Handover h = base;
		change(h);
		return must_encode(h);
	};
	auto with_header = [&](const std::function<void(Bytes &)> &change, bool recrc = false) {
		Bytes blob = good;
		change(blob);
		if (recrc)
			fix_crc(blob);
		return blob;
	};

	// 1. Truncation and size.
	add("truncated-header", "TRUNCATED", "header", Bytes(good.begin(), good.begin() + 20));
	add("truncated-payload", "TRUNCATED", "header.total_size", Bytes(good.begin(), good.end() - 100));
	add("trailing-bytes", "SIZE_MISMATCH", "header.total_size",
	    with_header([](Bytes &b) { b.insert(b.end(), 8, 0); }));
	// 2. Magic, compatible, version.
	add("bad-magic", "BAD_MAGIC", "header.magic", with_header([](Bytes &b) { b[0] ^= 0x20; }));
	add("major-zero", "BAD_VERSION", "header.abi_major", with_header([](Bytes &b) { put_le16(b, header_abi_major, 0); }));
	// What a v2-only reader does with a v3 blob, this reader does with v4.
	add("major-too-new", "VERSION_TOO_NEW", "header.abi_major",
	    with_header([](Bytes &b) { put_le16(b, header_abi_major, PKH_ABI_MAJOR + 1); }));
	add("header-size-40", "BAD_VERSION", "header.header_size",
	    with_header([](Bytes &b) { put_le32(b, header_header_size, 40); }));
	add("reserved-set", "BAD_HEADER", "header.reserved",
	    with_header([](Bytes &b) { put_le64(b, header_reserved, 1); }));
	add("wrong-compatible", "BAD_COMPATIBLE", "/compatible",
	    FdtEditor(good).set_string("/", PKH_PROP_COMPATIBLE, "pkhandover,v2").blob());
	// 3. CRC.
	add("crc-mismatch", "BAD_CRC", "header.payload_crc32",
	    with_header([](Bytes &b) { b[PKH_BLOB_HEADER_SIZE + 200] ^= 0x01; }));
	// 7. Size cap.
	add("over-size-cap", "TOO_LARGE", "header.total_size",
	    with_header([](Bytes &b) { put_le32(b, header_total_size, PKH_MAX_BLOB_SIZE + 8); }));
	// Not an FDT inside a valid header.
	add("payload-not-fdt", "BAD_FDT", "payload",
	    with_header([](Bytes &b) { b[PKH_BLOB_HEADER_SIZE] ^= 0xff; }, true));
	// Trees that crash or hang bookworm's libfdt 1.6.1 fdt_check_full().
	{
		Bytes old_version = good;
		put_be32(old_version, PKH_BLOB_HEADER_SIZE + 0x14, 5); // fdt version
		fix_crc(old_version);
		add("fdt-version-5", "BAD_FDT", "payload", old_version);
		Bytes wrapping = good;
		const std::size_t first_tag = PKH_BLOB_HEADER_SIZE + fdt_off_dt_struct(good.data() + PKH_BLOB_HEADER_SIZE);
		// The root node's name is empty: BEGIN_NODE, 4 bytes of name padding,
		// then the first property's tag and length.
		put_be32(wrapping, first_tag + 8 + 4, 0xfffffff4u);
		fix_crc(wrapping);
		add("property-length-wraps", "BAD_FDT", "payload", wrapping);
	}
	// 9. Wrong lengths, missing and unknown items.
	add("base-4-bytes", "BAD_LENGTH", "/regions/region@0/base",
	    FdtEditor(good).set_u32("/regions/region@0", PKH_PROP_BASE, 0x10000).blob());
	add("extents-odd-length", "BAD_LENGTH", "/regions/region@0/file@0/extents",
	    FdtEditor(good).set("/regions/region@0/file@0", PKH_PROP_EXTENTS, "0123456789abcdefXYZ", 19).blob());
	add("missing-size", "MISSING_PROPERTY", "/regions/region@1/size",
	    FdtEditor(good).remove("/regions/region@1", PKH_PROP_SIZE).blob());
	add("missing-nonce", "MISSING_PROPERTY", "/nonce", FdtEditor(good).remove("/", PKH_PROP_NONCE).blob());
	add("missing-regions", "MISSING_NODE", "/regions", FdtEditor(good).remove_node("/regions").blob());
	add("unknown-root-property", "UNKNOWN_PROPERTY", "/frobnicate",
	    FdtEditor(good).set_u32("/", "frobnicate", 1).blob());
	add("unknown-critical-node", "UNKNOWN_NODE", "/regions/region@0/file@0/shadow-pages",
	    FdtEditor(good).add_node("/regions/region@0/file@0", "shadow-pages").blob());
	add("unknown-root-node", "UNKNOWN_NODE", "/memory", FdtEditor(good).add_node("/", "memory").blob());
	add("generation-zero", "BAD_VALUE", "/generation", with_model([](Handover &h) { h.generation = 0; }));
	add("unknown-region-flag", "BAD_VALUE", "/regions/region@1/flags",
	    with_model([](Handover &h) { h.regions[1].flags |= 0x80; }));
	add("file-name-with-slash", "BAD_VALUE", "/regions/region@0/file@1/name",
	    with_model([](Handover &h) { h.regions[0].files[1].name = "../etc"; }));
	add("extents-short-of-size", "BAD_VALUE", "/regions/region@0/file@0/extents",
	    with_model([](Handover &h) { h.regions[0].files[0].size = 12 * MiB; }));
	add("address-width-mismatch", "BAD_VALUE", "/iommu/domain@1/address-width",
	    with_model([](Handover &h) { h.iommu_domains[1].address_width = 48; }));
	add("device-vendor-ffff", "BAD_VALUE", "/devices/device@1/pci-ids",
	    with_model([](Handover &h) { h.devices[1].ids.vendor = 0xffff; }));
	add("iommu-amd-reserved", "UNSUPPORTED", "/iommu/unit@0/type",
	    with_model([](Handover &h) { h.iommu_units[0].type = PKH_IOMMU_TYPE_AMD_VI; }));
	// 8. Duplicates: BDF, domain, node.
	add("duplicate-bdf", "DUPLICATE", "/devices/device@1/pci-address",
	    with_model([](Handover &h) { h.devices[1].pci_address = h.devices[0].pci_address; }));
	add("duplicate-domain-id", "DUPLICATE", "/iommu/domain@1/domain-id",
	    with_model([](Handover &h) { h.iommu_domains[1].domain_id = 1; }));
	add("duplicate-inode", "DUPLICATE", "/regions/region@0/file@1/inode",
	    with_model([](Handover &h) { h.regions[0].files[1].inode = 2; }));
	add("duplicate-file-name", "DUPLICATE", "/regions/region@0/file@1/name",
	    with_model([](Handover &h) { h.regions[0].files[1].name = "vm0-ram"; }));
	add("duplicate-property", "DUPLICATE", "/regions/region@0/base",
	    FdtEditor(good)
		    .set_u64("/regions/region@0", "opt-spare", base.regions[0].base) // libfdt inserts it first
		    .alias_property("/regions/region@0", "opt-spare", PKH_PROP_BASE)
		    .blob());
	add("duplicate-regions-node", "DUPLICATE", "/regions", FdtEditor(good).rename("/iommu", "regions").blob());
	add("duplicate-region-node-name", "BAD_NODE_NAME", "/regions/region@0",
	    FdtEditor(good).rename("/regions/region@1", "region@0").blob());
	add("region-index-skips", "BAD_NODE_NAME", "/regions/region@2",
	    FdtEditor(good).rename("/regions/region@1", "region@2").blob());
	add("devices-unsorted", "NOT_SORTED", "/devices/device@1/pci-address",
	    with_model([](Handover &h) { h.devices[1].pci_address = PKH_PCI_ADDRESS(0, 0, 1, 0); }));
	// 4. Overlaps.
	add("overlapping-regions", "OVERLAP", "/regions/region@1/base",
	    with_model([](Handover &h) { h.regions[1].base = h.regions[0].base + 32 * MiB; }));
	add("extents-share-block", "OVERLAP", "/regions/region@0/file@1/extents[0]",
	    with_model([](Handover &h) { h.regions[0].files[1].extents[0].region_offset = 2 * MiB; }));
	add("iova-overlap", "OVERLAP", "/devices/device@0/iova-map[1]",
	    with_model([](Handover &h) { h.devices[0].iova_map[1].iova = 0x200000; }));
	// 5. Outside RAM, unaligned, zero, overflow.
	add("zero-size-region", "ZERO_SIZE", "/regions/region@1/size",
	    with_model([](Handover &h) { h.regions[1].size = 0; }));
	add("zero-length-extent", "ZERO_SIZE", "/regions/region@0/file@1/extents[0]",
	    with_model([](Handover &h) { h.regions[0].files[1].extents[0].length = 0; }));
	add("unaligned-region", "UNALIGNED", "/regions/region@0/base",
	    with_model([](Handover &h) { h.regions[0].base += 4096; }));
	add("unaligned-root-table", "UNALIGNED", "/iommu/unit@0/root-table",
	    with_model([](Handover &h) { h.iommu_units[0].root_table += 8; }));
	add("region-overflows-u64", "OVERFLOW", "/regions/region@1/size", with_model([](Handover &h) {
		    h.regions[1].base = 0xffffffffffe00000ull;
		    h.regions[1].size = 4 * MiB;
	    }));
	add("extent-overflows-u64", "OVERFLOW", "/regions/region@0/file@1/extents[0]",
	    with_model([](Handover &h) { h.regions[0].files[1].extents[0].region_offset = 0xffffffffffe00000ull; }));
	add("extent-past-region", "OUT_OF_BOUNDS", "/regions/region@0/file@1/extents[0]",
	    with_model([](Handover &h) { h.regions[0].files[1].extents[0].region_offset = 62 * MiB; }));
	Bytes outside_ram = good;
	bad.push_back({"region-outside-ram", "OUTSIDE_RAM", "/regions/region@0", {"0x100000:0x40000000"}, {},
		       outside_ram});
	add("region-in-low-memory", "LOW_MEMORY", "/regions/region@0/base", with_model([](Handover &h) {
		    h.regions[0].base = 0;
		    h.regions[0].size = 64 * MiB;
	    }));
	// 6. Overlapping what the boot needs (kernel, initrd, setup_data...).
	bad.push_back({"region-over-initrd", "CONFLICT", "/regions/region@1", {},
		       {"0x108100000:0x1000000:initrd"}, good});
	// 11. Page tables outside preserved memory.
	add("pgtable-root-outside-tables", "OUT_OF_BOUNDS", "/iommu/domain@0/pgtable-root",
	    with_model([](Handover &h) { h.iommu_domains[0].pgtable_root = 0x7000000; }));
	add("root-table-outside-tables", "OUT_OF_BOUNDS", "/iommu/unit@0/root-table",
	    with_model([](Handover &h) { h.iommu_units[0].root_table = h.regions[0].base; }));
	add("iova-past-address-width", "OUT_OF_BOUNDS", "/devices/device@1/iova-map[0]",
	    with_model([](Handover &h) { h.devices[1].iova_map[0].iova = 1ull << 39; }));
	// References.
	add("device-domain-missing", "BAD_REFERENCE", "/devices/device@1/domain",
	    with_model([](Handover &h) { h.devices[1].domain = 7; }));
	add("table-region-missing", "BAD_REFERENCE", "/iommu/unit@0/table-region",
	    with_model([](Handover &h) { h.iommu_units[0].table_region = 2; }));
	add("iova-into-table-region", "BAD_VALUE", "/devices/device@0/iova-map[0]",
	    with_model([](Handover &h) { h.devices[0].iova_map[0].region = 1; }));
	// Limits.
	add("too-many-regions", "TOO_MANY", "/regions/region@40", with_model([](Handover &h) {
		    h.iommu_units.clear();
		    h.iommu_domains.clear();
		    h.devices.clear();
		    h.regions.resize(1);
		    h.regions[0].files.clear();
		    for (std::uint64_t i = 1; i <= PKH_MAX_REGIONS; i++) {
			    PkernfsRegion region = h.regions[0];
			    region.base = h.regions[0].base + i * 64 * MiB;
			    h.regions.push_back(region);
		    }
	    }));

	// ABI v2: region metadata ranges and digest, files without extents.
	const Handover base2 = small_handover_v2();
	const Bytes good2 = must_encode(base2);
	auto with_model2 = [&](const std::function<void(Handover &)> &change) {
		Handover h = base2;
		change(h);
		return must_encode(h);
	};
	const std::string metadata = "/regions/region@0/" PKH_PROP_METADATA;
	add("metadata-missing", "MISSING_PROPERTY", metadata,
	    FdtEditor(good2).remove("/regions/region@0", PKH_PROP_METADATA).blob());
	add("metadata-empty", "BAD_LENGTH", metadata,
	    FdtEditor(good2).set("/regions/region@0", PKH_PROP_METADATA, "", 0).blob());
	add("metadata-odd-length", "BAD_LENGTH", metadata,
	    FdtEditor(good2).set("/regions/region@0", PKH_PROP_METADATA, "0123456789abcdefXYZ", 19).blob());
	add("metadata-digest-short", "BAD_LENGTH", "/regions/region@0/" PKH_PROP_METADATA_DIGEST,
	    FdtEditor(good2).set("/regions/region@0", PKH_PROP_METADATA_DIGEST, "0123456789abcdef", 16).blob());
	add("metadata-zero-length", "ZERO_SIZE", metadata,
	    with_model2([](Handover &h) { h.regions[0].metadata[1].length = 0; }));
	add("metadata-unaligned", "UNALIGNED", metadata,
	    with_model2([](Handover &h) { h.regions[0].metadata[1].region_offset += 0x800; }));
	add("metadata-overflows-u64", "OVERFLOW", metadata,
	    with_model2([](Handover &h) { h.regions[0].metadata[2].region_offset = 0xfffffffffffff000ull; }));
	add("metadata-outside-region", "OUT_OF_BOUNDS", metadata, with_model2([](Handover &h) {
		    h.regions[0].metadata[2] = {63 * MiB, 2 * MiB};
	    }));
	add("metadata-unsorted", "NOT_SORTED", metadata,
	    with_model2([](Handover &h) { h.regions[0].metadata[1].region_offset = 9 * MiB; }));
	add("metadata-overlap", "OVERLAP", metadata,
	    with_model2([](Handover &h) { h.regions[0].metadata[1].region_offset = 10 * MiB + 0x1000; }));
	add("metadata-adjacent", "BAD_VALUE", metadata,
	    with_model2([](Handover &h) { h.regions[0].metadata[1].region_offset = 10 * MiB + 0x3000; }));
	add("v2-file-with-extents", "UNKNOWN_PROPERTY", "/regions/region@0/file@0/" PKH_PROP_EXTENTS, [&] {
		const Extent extent = base.regions[0].files[0].extents[0];
		std::uint8_t record[sizeof(pkh_extent)];
		put_le64_raw(record, extent.region_offset);
		put_le64_raw(record + 8, extent.length);
		return FdtEditor(good2)
			.set("/regions/region@0/file@0", PKH_PROP_EXTENTS, record, sizeof(record))
			.blob();
	}());
	add("v1-region-with-metadata", "UNKNOWN_PROPERTY", metadata, [&] {
		std::uint8_t record[sizeof(pkh_extent)];
		put_le64_raw(record, 10 * MiB);
		put_le64_raw(record + 8, 0x1000);
		return FdtEditor(good).set("/regions/region@0", PKH_PROP_METADATA, record, sizeof(record)).blob();
	}());
	add("v2-compatible-v1", "BAD_COMPATIBLE", "/compatible",
	    FdtEditor(good2).set_string("/", PKH_PROP_COMPATIBLE, PKH_COMPATIBLE_V1).blob());
	add("iova-into-metadata", "OVERLAP", "/devices/device@0/" PKH_PROP_IOVA_MAP,
	    with_model2([](Handover &h) { h.devices[0].iova_map[1].region_offset = 8 * MiB; }));
	add("root-table-in-metadata", "OVERLAP", "/iommu/unit@0/" PKH_PROP_ROOT_TABLE,
	    with_model2([](Handover &h) { h.iommu_units[0].root_table = h.regions[1].base + 1 * MiB + 0x1000; }));
	add("pgtable-root-in-metadata", "OVERLAP", "/iommu/domain@1/" PKH_PROP_PGTABLE_ROOT,
	    with_model2([](Handover &h) { h.iommu_domains[1].pgtable_root = h.regions[1].base + 1 * MiB + 0x11000; }));
	// Every major: two devices of one domain with different maps (the
	// domain's tables cannot translate both), in the last major that
	// writes a map per device.
	add("v2-devices-of-one-domain-disagree", "BAD_VALUE", "/devices/device@1/" PKH_PROP_IOVA_MAP,
	    with_model2([](Handover &h) { h.devices[1].domain = 0; }));

	// ABI v3: each domain's iova map on the domain, none on the devices.
	const Handover base3 = small_handover();
	const Bytes good3 = must_encode(base3);
	auto with_model3 = [&](const std::function<void(Handover &)> &change) {
		Handover h = base3;
		change(h);
		return must_encode(h);
	};
	add("v3-compatible-v2", "BAD_COMPATIBLE", "/compatible",
	    FdtEditor(good3).set_string("/", PKH_PROP_COMPATIBLE, PKH_COMPATIBLE_V2).blob());
	add("v3-domain-without-iova-map", "MISSING_PROPERTY", "/iommu/domain@0/" PKH_PROP_IOVA_MAP,
	    FdtEditor(good3).remove("/iommu/domain@0", PKH_PROP_IOVA_MAP).blob());
	add("v3-domain-iova-map-odd-length", "BAD_LENGTH", "/iommu/domain@1/" PKH_PROP_IOVA_MAP,
	    FdtEditor(good3).set("/iommu/domain@1", PKH_PROP_IOVA_MAP, "0123456789abcdef", 16).blob());
	add("v3-device-with-iova-map", "UNKNOWN_PROPERTY", "/devices/device@0/" PKH_PROP_IOVA_MAP, [&] {
		const IovaMapping &m = base3.devices[0].iova_map[0];
		std::uint8_t record[sizeof(pkh_iova_mapping)];
		put_le64_raw(record, m.iova);
		put_le64_raw(record + 8, m.region_offset);
		put_le64_raw(record + 16, m.length);
		put_le64_raw(record + 24, std::uint64_t{m.perm} << 32 | m.region);
		return FdtEditor(good3).set("/devices/device@0", PKH_PROP_IOVA_MAP, record, sizeof(record)).blob();
	}());
	add("v3-iova-overlap", "OVERLAP", "/iommu/domain@0/" PKH_PROP_IOVA_MAP "[1]",
	    with_model3([](Handover &h) { h.devices[0].iova_map[1].iova = 0x200000; }));
	add("v3-iova-past-address-width", "OUT_OF_BOUNDS", "/iommu/domain@1/" PKH_PROP_IOVA_MAP "[0]",
	    with_model3([](Handover &h) { h.devices[1].iova_map[0].iova = 1ull << 39; }));
	add("v3-iova-into-metadata", "OVERLAP", "/iommu/domain@0/" PKH_PROP_IOVA_MAP,
	    with_model3([](Handover &h) { h.devices[0].iova_map[1].region_offset = 8 * MiB; }));
	// A map kept for no device: domain 1 loses its only device.
	add("v3-domain-map-without-device", "BAD_VALUE", "/iommu/domain@1/" PKH_PROP_IOVA_MAP,
	    FdtEditor(good3).remove_node("/devices/device@1").blob());
	return bad;
}

} // namespace pkh::test
