// SPDX-License-Identifier: GPL-2.0-only
//
// The checked-in fixtures: golden blobs decode, each hostile blob is refused
// with the code and path of its MANIFEST line, and the files still equal
// what tests/tools/hostile_fixtures.hpp generates.
#include "../tools/hostile_fixtures.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>
#include <set>

using namespace pkh;
using namespace pkh::test;

TEST_CASE("golden blobs decode to their models", "[fixtures]")
{
	auto example = decode(load(data_dir() + "/good/example.blob"));
	REQUIRE(example.ok());
	CHECK(example->abi_major == 3);
	CHECK(*example == example_handover());
	auto small = decode(load(data_dir() + "/good/small.blob"));
	REQUIRE(small.ok());
	CHECK(*small == small_handover());
	auto minimal = decode(load(data_dir() + "/good/minimal.blob"));
	REQUIRE(minimal.ok());
	CHECK(*minimal == minimal_handover());
	auto optional = decode(load(data_dir() + "/good/optional-items-minor-3.blob"));
	REQUIRE(optional.ok());
	CHECK(optional->abi_minor == 3);
}

TEST_CASE("golden v1 blobs still decode, as v1 (new reader, old blob)", "[fixtures][versioning]")
{
	auto example = decode(load(data_dir() + "/good/example-v1.blob"));
	REQUIRE(example.ok());
	CHECK(example->abi_major == 1);
	CHECK(*example == example_handover_v1());
	auto small = decode(load(data_dir() + "/good/small-v1.blob"));
	REQUIRE(small.ok());
	CHECK(*small == small_handover_v1());
	auto minimal = decode(load(data_dir() + "/good/minimal-v1.blob"));
	REQUIRE(minimal.ok());
	CHECK(*minimal == minimal_handover_v1());
	auto optional = decode(load(data_dir() + "/good/optional-items-minor-3-v1.blob"));
	REQUIRE(optional.ok());
	CHECK(optional->abi_major == 1);
	CHECK(optional->abi_minor == 3);
}

TEST_CASE("every hostile fixture is refused with its code and path", "[fixtures]")
{
	const auto entries = manifest();
	REQUIRE(entries.size() >= 50);
	for (const auto &entry : entries) {
		DYNAMIC_SECTION(entry.name)
		{
			auto result = decode(load(data_dir() + "/bad/" + entry.name + ".blob"), entry.constraints);
			REQUIRE_FALSE(result.ok());
			CHECK(error_name(result.error().code) == entry.code);
			CHECK(result.error().where == entry.where);
			CHECK_FALSE(result.error().why.empty());
		}
	}
}

TEST_CASE("the hostile fixtures cover every blob error code", "[fixtures]")
{
	std::set<std::string> covered;
	for (const auto &entry : manifest())
		covered.insert(entry.code);
	for (int code = 1; code < PKH_ERR_COUNT; code++) {
		const std::string name = error_name(static_cast<ErrorCode>(code));
		if (name == "NO_MEMORY") // allocation failure, not a property of a blob
			continue;
		INFO(name);
		CHECK(covered.count(name) == 1);
	}
}

TEST_CASE("checked-in fixtures match the generator (make fixtures)", "[fixtures]")
{
	for (const auto &fixture : good_fixtures()) {
		INFO(fixture.name);
		CHECK(load(data_dir() + "/good/" + fixture.name + ".blob") == fixture.blob);
	}
	const auto entries = manifest();
	const auto generated = hostile_fixtures();
	REQUIRE(entries.size() == generated.size());
	for (std::size_t i = 0; i < generated.size(); i++) {
		INFO(generated[i].name);
		CHECK(entries[i].name == generated[i].name);
		CHECK(entries[i].code == generated[i].code);
		CHECK(load(data_dir() + "/bad/" + generated[i].name + ".blob") == generated[i].blob);
	}
}
