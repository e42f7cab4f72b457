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

TEST_CASE("the JSON spec round-trips every model", "[json]")
{
	for (const Handover &h : {example_handover(), small_handover(), minimal_handover()}) {
		auto back = parse_spec(to_json(h));
		REQUIRE(back.ok());
		CHECK(*back == h);
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
