// SPDX-License-Identifier: GPL-2.0-only
#include "../tools/fixture_models.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace pkh;
using namespace pkh::test;
using json = nlohmann::ordered_json;

namespace
{

json small_spec()
{
	return json::parse(to_json(small_handover()));
}

Error spec_failure(const json &spec)
{
	auto result = parse_spec(spec.dump());
	REQUIRE_FALSE(result.ok());
	return result.error();
}

} // namespace

TEST_CASE("the JSON spec round-trips every model, v2 and v1", "[json]")
{
	for (const Handover &h : {example_handover(), small_handover(), minimal_handover(), example_handover_v1(),
				  small_handover_v1(), minimal_handover_v1()}) {
		auto back = parse_spec(to_json(h));
		REQUIRE(back.ok());
		CHECK(*back == h);
	}
}

TEST_CASE("a v3 spec: abi_major, metadata ranges and digest per region, files without extents", "[json]")
{
	const json spec = small_spec();
	CHECK(spec.begin().key() == "abi_major");
	CHECK(spec["abi_major"] == 3);
	const json &region = spec["regions"][0];
	CHECK(region["metadata"] ==
	      json::parse(R"([["0xa00000", "0x3000"], ["0xa11000", "0x1000"], ["0xb00000", "0x2000"]])"));
	CHECK(region["metadata_digest"] == "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
	std::vector<std::string> file_keys;
	for (const auto &item : region["files"][0].items())
		file_keys.push_back(item.key());
	CHECK(file_keys == std::vector<std::string>{"name", "inode", "size"});

	// abi_major is optional: a spec without it is the current major.
	json implicit = spec;
	implicit.erase("abi_major");
	auto h = parse_spec(implicit.dump());
	REQUIRE(h.ok());
	CHECK(*h == small_handover());
}

TEST_CASE("a v3 spec refuses extents and needs metadata; a v1 spec the reverse", "[json]")
{
	json spec = small_spec();
	spec["regions"][0]["files"][0]["extents"] = json::array({json::array({"0x0", "0x200000"})});
	auto error = spec_failure(spec);
	CHECK(error.code == ErrorCode::BAD_SPEC);
	CHECK(error.where == "$.regions[0].files[0].extents");
	CHECK(error.why.find("ABI v1 only") != std::string::npos);

	spec = small_spec();
	spec["regions"][1].erase("metadata");
	error = spec_failure(spec);
	CHECK(error.where == "$.regions[1].metadata");
	CHECK(error.why.find("missing") != std::string::npos);

	spec = small_spec();
	spec["regions"][0].erase("metadata_digest");
	CHECK(spec_failure(spec).where == "$.regions[0].metadata_digest");

	spec = small_spec();
	spec["regions"][0]["metadata_digest"] = "0011";
	CHECK(spec_failure(spec).where == "$.regions[0].metadata_digest");
	spec["regions"][0]["metadata_digest"] = std::string(63, '0') + "g";
	CHECK(spec_failure(spec).where == "$.regions[0].metadata_digest");

	spec = small_spec();
	spec["regions"][0]["metadata"][1] = json::array({"0x1000"});
	CHECK(spec_failure(spec).where == "$.regions[0].metadata[1]");

	json v1 = json::parse(to_json(small_handover_v1()));
	CHECK(v1["abi_major"] == 1);
	CHECK(v1["regions"][0].find("metadata") == v1["regions"][0].end());
	v1["regions"][0]["metadata"] = json::array({json::array({"0x0", "0x1000"})});
	error = spec_failure(v1);
	CHECK(error.where == "$.regions[0].metadata");
	CHECK(error.why.find("ABI v2..v3 only") != std::string::npos);

	v1 = json::parse(to_json(small_handover_v1()));
	v1["regions"][0]["files"][1].erase("extents");
	CHECK(spec_failure(v1).where == "$.regions[0].files[1].extents");

	for (const json &major : {json(0), json(4), json("x")}) {
		spec = small_spec();
		spec["abi_major"] = major;
		CHECK(spec_failure(spec).where == "$.abi_major");
	}
}

TEST_CASE("numbers: integers, hex, decimal strings and binary suffixes", "[json]")
{
	json spec = small_spec();
	spec["regions"][0]["base"] = "4G";
	spec["regions"][0]["size"] = 67108864;
	spec["regions"][0]["block_size"] = "2m";
	spec["regions"][1]["base"] = "0x108000000";
	auto h = parse_spec(spec.dump());
	INFO((h.ok() ? std::string() : h.error().message()));
	REQUIRE(h.ok());
	CHECK(*h == small_handover());
}

TEST_CASE("bad numbers name the JSON path", "[json]")
{
	json spec = small_spec();
	spec["regions"][1]["size"] = -4;
	auto error = spec_failure(spec);
	CHECK(error.code == ErrorCode::BAD_SPEC);
	CHECK(error.where == "$.regions[1].size");

	spec = small_spec();
	spec["regions"][0]["base"] = "0x1ffffffffffffffff";
	error = spec_failure(spec);
	CHECK(error.where == "$.regions[0].base");
	CHECK(error.why.find("64 bits") != std::string::npos);

	spec = small_spec();
	spec["regions"][0]["base"] = "20000000T";
	CHECK(spec_failure(spec).why.find("64 bits") != std::string::npos);

	spec = small_spec();
	spec["regions"][0]["base"] = "12q";
	CHECK(spec_failure(spec).why.find("not a number") != std::string::npos);

	spec = small_spec();
	spec["devices"][0]["vendor"] = "0x10000";
	error = spec_failure(spec);
	CHECK(error.where == "$.devices[0].vendor");

	spec = small_spec();
	spec["iommu"]["domains"][0]["levels"] = 4.5;
	CHECK(spec_failure(spec).where == "$.iommu.domains[0].levels");
}

TEST_CASE("unknown and missing keys are refused", "[json]")
{
	json spec = small_spec();
	spec["regions"][0]["files"][1]["colour"] = "blue";
	auto error = spec_failure(spec);
	CHECK(error.where == "$.regions[0].files[1].colour");
	CHECK(error.why == "unknown key");

	spec = small_spec();
	spec.erase("nonce");
	CHECK(spec_failure(spec).where == "$.nonce");

	spec = small_spec();
	spec["devices"][1]["iova_map"][0].erase("perm");
	CHECK(spec_failure(spec).why.find("perm") != std::string::npos);
}

TEST_CASE("names, flags, addresses and enums", "[json]")
{
	json spec = small_spec();
	spec["regions"][0]["flags"] = json::array({"guest-ram", "sparkly"});
	CHECK(spec_failure(spec).where == "$.regions[0].flags[1]");

	spec = small_spec();
	spec["devices"][0]["pci_address"] = "00:02.0";
	CHECK(spec_failure(spec).where == "$.devices[0].pci_address");

	spec = small_spec();
	spec["devices"][0]["pci_address"] = "0000:00:20.0"; // device 0x20 > 0x1f
	CHECK(spec_failure(spec).where == "$.devices[0].pci_address");

	spec = small_spec();
	spec["iommu"]["units"][0]["type"] = "intel-vtx";
	CHECK(spec_failure(spec).why.find("intel-vtd") != std::string::npos);

	spec = small_spec();
	spec["regions"][0]["fs_uuid"] = "0102";
	CHECK(spec_failure(spec).where == "$.regions[0].fs_uuid");

	spec = small_spec();
	spec["devices"][0]["iova_map"][0]["perm"] = "x";
	CHECK(spec_failure(spec).where == "$.devices[0].iova_map[0].perm");
}

TEST_CASE("malformed JSON text says where", "[json]")
{
	auto result = parse_spec("{\"generation\": 1,\n \"nonce\": }");
	REQUIRE_FALSE(result.ok());
	CHECK(result.error().code == ErrorCode::BAD_SPEC);
	CHECK(result.error().why.find("line 2") != std::string::npos);
	CHECK_FALSE(parse_spec("[1, 2]").ok());
	CHECK_FALSE(parse_spec("").ok());
}
