// SPDX-License-Identifier: GPL-2.0-only
//
// Mutation test: flips, truncates and splices a golden blob into thousands
// of variants and feeds each to both readers.  Every variant must be refused
// by both with the same code, or accepted by both as a model that validates
// and re-encodes to itself.  A crash or hang fails the run (the script runs
// it under a timeout, and under ASan+UBSan too).
//
// usage: mutate [--count N] [--seed S] [--write-sample DIR K]
#include "../tools/blob_surgery.hpp"
#include "../unit/test_support.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <random>

using namespace pkh;
using namespace pkh::test;

namespace {

enum class Kind { FLIP, FLIP_RECRC, TRUNCATE, TRUNCATE_CONSISTENT, SPLICE, SET_BYTE, HEADER_FIELD, COUNT };

const char *kind_name(Kind kind)
{
	static const char *const names[] = {"flip", "flip+crc", "truncate", "truncate+header", "splice", "set-byte",
					    "header-field"};
	return names[static_cast<int>(kind)];
}

Bytes mutate(const Bytes &base, const Bytes &donor, Kind kind, std::mt19937_64 &rng)
{
	Bytes blob = base;
	auto below = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
	const std::size_t payload = PKH_BLOB_HEADER_SIZE;
	switch (kind) {
	case Kind::FLIP:
	case Kind::FLIP_RECRC:
		for (std::size_t flips = 1 + below(3); flips > 0; flips--)
			blob[below(blob.size())] ^= static_cast<std::uint8_t>(1u << below(8));
		if (kind == Kind::FLIP_RECRC)
			fix_crc(blob);
		break;
	case Kind::TRUNCATE:
		blob.resize(below(blob.size()));
		break;
	case Kind::TRUNCATE_CONSISTENT:
		blob.resize(payload + below(blob.size() - payload));
		put_le32(blob, header_total_size, static_cast<std::uint32_t>(blob.size()));
		fix_crc(blob);
		break;
	case Kind::SPLICE: {
		const std::size_t length = 1 + below(64);
		const std::size_t from = below(donor.size() - length);
		const std::size_t to = payload + below(blob.size() - payload - length);
		std::copy(donor.begin() + from, donor.begin() + from + length, blob.begin() + to);
		fix_crc(blob);
		break;
	}
	case Kind::SET_BYTE: {
		static const std::uint8_t interesting[] = {0x00, 0xff, 0x7f, 0x80, 0x01, 0x40, 0x10};
		const std::size_t at = payload + below(blob.size() - payload);
		blob[at] = interesting[below(sizeof(interesting))];
		fix_crc(blob);
		break;
	}
	case Kind::HEADER_FIELD: {
		static const std::uint32_t values[] = {0, 1, 2, 31, 32, 33, 40, 0x7fffffff, 0xffffffff, 0x10000};
		const std::size_t field = 4 * below(PKH_BLOB_HEADER_SIZE / 4);
		put_le32(blob, field, values[below(std::size(values))]);
		break;
	}
	case Kind::COUNT:
		break;
	}
	return blob;
}

} // namespace

int main(int argc, char **argv)
{
	std::size_t count = 12000;
	std::uint64_t seed = 20261125;
	std::string sample_dir;
	std::size_t sample_count = 0;
	for (int i = 1; i < argc; i++) {
		const std::string arg = argv[i];
		if (arg == "--count" && i + 1 < argc)
			count = std::stoul(argv[++i]);
		else if (arg == "--seed" && i + 1 < argc)
			seed = std::stoull(argv[++i]);
		else if (arg == "--write-sample" && i + 2 < argc) {
			sample_dir = argv[++i];
			sample_count = std::stoul(argv[++i]);
		} else {
			std::cerr << "usage: mutate [--count N] [--seed S] [--write-sample DIR K]\n";
			return 2;
		}
	}
	const Bytes base = load(data_dir() + "/good/small.blob");
	const Bytes donor = load(data_dir() + "/good/example.blob");
	std::mt19937_64 rng(seed);
	std::map<std::string, std::size_t> verdicts;
	std::size_t disagreements = 0, accepted = 0, broken_accepts = 0;
	for (std::size_t n = 0; n < count; n++) {
		const auto kind = static_cast<Kind>(n % static_cast<std::size_t>(Kind::COUNT));
		const Bytes blob = mutate(base, donor, kind, rng);
		if (n < sample_count) {
			std::ofstream out(sample_dir + "/mutant-" + std::to_string(n) + ".blob", std::ios::binary);
			out.write(reinterpret_cast<const char *>(blob.data()), static_cast<std::streamsize>(blob.size()));
		}
		auto model = decode(blob);
		const KernelParse kernel = kernel_parse(blob);
		const std::string cpp_code = model ? "OK" : error_name(model.error().code);
		verdicts[cpp_code]++;
		if (cpp_code != kernel.code || (!model && model.error().where != kernel.where)) {
			if (disagreements++ < 10) {
				const std::string path = "mutation-disagreement-" + std::to_string(n) + ".blob";
				std::ofstream(path, std::ios::binary)
					.write(reinterpret_cast<const char *>(blob.data()),
					       static_cast<std::streamsize>(blob.size()));
				std::cerr << "disagreement on mutant " << n << " (" << kind_name(kind) << ", saved as "
					  << path << "): C++ " << (model ? "OK" : model.error().message())
					  << " | kernel-C " << kernel.code << " " << kernel.where << ": " << kernel.why
					  << "\n";
			}
			continue;
		}
		if (model) {
			accepted++;
			auto again = encode(*model);
			if (!validate(*model).ok() || !again.ok() || !decode(*again).ok() || *decode(*again) != *model) {
				if (broken_accepts++ < 10)
					std::cerr << "mutant " << n << " was accepted but its model does not re-encode\n";
			}
		}
	}
	std::cout << "mutants: " << count << ", accepted by both: " << accepted
		  << ", disagreements: " << disagreements << ", accepted-but-invalid: " << broken_accepts << "\n";
	std::cout << "verdicts:";
	for (const auto &[code, n] : verdicts)
		std::cout << " " << code << "=" << n;
	std::cout << "\n";
	return disagreements == 0 && broken_accepts == 0 ? 0 : 1;
}
