// SPDX-License-Identifier: GPL-2.0-only
//
// An out-of-tree user of libpkhandover, built only with
//   c++ consumer.cpp $(pkg-config --cflags --libs libpkhandover)
// against an installed tree.  It builds the example handover, encodes it,
// decodes it back, reads a JSON spec from its argument (pkhandover example's
// output), and prints what it found on one line; the test compares the line.
#include <pkhandover/handover.hpp>

// The public header brings no third-party header along: a consumer needs
// nothing but the C++ standard library and pkg-config's flags.
#if defined(NLOHMANN_JSON_VERSION_MAJOR) || defined(FMT_VERSION) || defined(FDT_MAGIC)
#error "<pkhandover/handover.hpp> includes a third-party header"
#endif

#include <cstdio>
#include <fstream>
#include <sstream>

int main(int argc, char **argv)
{
	if (argc != 2) {
		std::fprintf(stderr, "usage: consumer SPEC.json\n");
		return 2;
	}
	std::ifstream in(argv[1]);
	std::stringstream text;
	text << in.rdbuf();
	auto spec = pkh::parse_spec(text.str());
	if (!spec) {
		std::fprintf(stderr, "consumer: %s\n", spec.error().message().c_str());
		return 1;
	}
	pkh::Handover model = pkh::example_handover();
	auto blob = pkh::encode(model);
	if (!blob) {
		std::fprintf(stderr, "consumer: %s\n", blob.error().message().c_str());
		return 1;
	}
	auto back = pkh::decode(blob.value());
	if (!back) {
		std::fprintf(stderr, "consumer: %s\n", back.error().message().c_str());
		return 1;
	}
	// The JSON spec is plain text both ways.
	auto reread = pkh::parse_spec(pkh::to_json(back.value()));
	if (!reread || !(reread.value() == model) || !pkh::differences(reread.value(), model).empty()) {
		std::fprintf(stderr, "consumer: the JSON spec does not round-trip\n");
		return 1;
	}
	std::printf("ABI %u.%u, %zu-byte blob, %zu regions, %zu devices, round trip %s, spec %s, %s\n",
		    (unsigned)PKH_ABI_MAJOR, (unsigned)back.value().abi_minor, blob.value().size(),
		    back.value().regions.size(), back.value().devices.size(),
		    back.value() == model ? "same" : "different",
		    spec.value() == model ? "same as the example" : "differs from the example",
		    pkh::error_name(pkh::ErrorCode::BAD_CRC));
	return 0;
}
