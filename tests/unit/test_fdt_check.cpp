// SPDX-License-Identifier: GPL-2.0-only
//
// The kernel's FDT checker (pkh_fdt_check_full(), pkh_fdt_check.c, built
// here through pkh_compat.h) against libfdt's fdt_check_full(), which it
// stands in for: on the fuzz corpus, every fixture's payload, and many
// damaged trees (every single-byte value of a small tree, every single-bit
// flip of the others, every truncation, header fields at their boundaries,
// random damage), both must accept or both refuse.  Where libfdt 1.6.1
// cannot be asked (tests/tools/fdt_oracle.h), the kernel's answer is
// asserted exactly instead.
#include "kernel_view.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <random>

extern "C" {
#include "../tools/fdt_oracle.h"
}

using namespace pkh;
using namespace pkh::kview;

namespace
{

// Verdicts over a set of trees, and the first disagreements in words.
struct Comparison {
	unsigned cases = 0, accepted = 0, refused = 0, old_version = 0, huge = 0, same_code = 0;
	std::vector<std::string> disagreements;

	void run(const Bytes &tree, std::size_t bufsize, const std::string &what)
	{
		// 8-byte aligned, and exactly bufsize long so that ASan sees a
		// read past the buffer (the tree is copied, not referenced).
		std::vector<std::uint64_t> words(bufsize / 8 + 1);
		if (!tree.empty())
			std::memcpy(words.data(), tree.data(), std::min(bufsize, tree.size()));
		const void *fdt = words.data();
		const int kernel = pkh_fdt_check_full(fdt, bufsize);
		cases++;
		switch (fdt_oracle(fdt, bufsize)) {
		case FDT_ORACLE_OLD_VERSION:
			old_version++;
			if (kernel != -FDT_ERR_BADVERSION)
				fail(what, "version " + std::to_string(fdt_version(fdt)) + ": kernel says " +
						   std::to_string(kernel) + ", not -FDT_ERR_BADVERSION");
			return;
		case FDT_ORACLE_HUGE_PROPERTY:
			huge++;
			if (kernel == 0)
				fail(what, "a property of 1 GiB or more: kernel accepts");
			return;
		case FDT_ORACLE_LIBFDT: break;
		}
		const int libfdt = fdt_check_full(fdt, bufsize);
		(libfdt == 0 ? accepted : refused)++;
		if (kernel == libfdt)
			same_code++;
		if ((kernel == 0) != (libfdt == 0))
			fail(what, "kernel " + std::string(fdt_strerror(kernel)) + ", libfdt " + fdt_strerror(libfdt));
	}

	void fail(const std::string &what, const std::string &why)
	{
		if (disagreements.size() < 20)
			disagreements.push_back(what + ": " + why);
		else if (disagreements.size() == 20)
			disagreements.push_back("...");
	}

	std::string summary() const
	{
		return std::to_string(cases) + " trees: libfdt accepts " + std::to_string(accepted) + ", refuses " +
		       std::to_string(refused) + " (same code " + std::to_string(same_code) + "); old version " +
		       std::to_string(old_version) + ", huge property " + std::to_string(huge) + "\n" +
		       join(disagreements);
	}
};

using pkh::test::data_dir;
using pkh::test::load;

Bytes payload(const Bytes &blob)
{
	if (blob.size() < PKH_BLOB_HEADER_SIZE)
		return {};
	return Bytes(blob.begin() + PKH_BLOB_HEADER_SIZE, blob.end());
}

std::vector<std::pair<std::string, Bytes>> files(const std::string &dir)
{
	std::vector<std::pair<std::string, Bytes>> out;
	for (const auto &entry : std::filesystem::directory_iterator(dir))
		if (entry.is_regular_file() && entry.path().filename() != "MANIFEST")
			out.emplace_back(entry.path().filename().string(), load(entry.path()));
	std::sort(out.begin(), out.end());
	return out;
}

Bytes good_tree(const char *name)
{
	return payload(load(data_dir() + "/good/" + name + ".blob"));
}

void put_be32(Bytes &tree, std::size_t offset, std::uint32_t value)
{
	for (int i = 3; i >= 0; i--, value >>= 8)
		tree[offset + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(value);
}

} // namespace

TEST_CASE("kernel FDT check and libfdt agree on the corpus and the fixtures", "[fdt-check]")
{
	Comparison c;
	unsigned inputs = 0;
	for (const auto &dir : {data_dir() + "/../fuzz/corpus", data_dir() + "/good", data_dir() + "/bad"}) {
		for (const auto &[name, bytes] : files(dir)) {
			// As a blob's payload, and as a bare tree.
			c.run(payload(bytes), payload(bytes).size(), name + " payload");
			c.run(bytes, bytes.size(), name);
			inputs++;
		}
	}
	INFO(c.summary());
	CHECK(c.disagreements.empty());
	CHECK(inputs > 100);
	CHECK(c.accepted > 60); // every good blob and most hostile ones are good trees
	CHECK(c.refused > 60);
}

TEST_CASE("kernel FDT check and libfdt agree on every byte value of the minimal tree", "[fdt-check]")
{
	const Bytes golden = good_tree("minimal");
	Comparison c;
	c.run(golden, golden.size(), "minimal");
	REQUIRE(c.accepted == 1);
	for (std::size_t at = 0; at < golden.size(); at++)
		for (unsigned value = 0; value < 256; value++) {
			if (value == golden[at])
				continue;
			Bytes tree = golden;
			tree[at] = static_cast<std::uint8_t>(value);
			c.run(tree, tree.size(), "byte " + std::to_string(at) + " = " + std::to_string(value));
		}
	INFO(c.summary());
	CHECK(c.disagreements.empty());
	CHECK(c.cases == 1 + golden.size() * 255);
	CHECK(c.accepted > 1000); // a changed value is still a tree
	CHECK(c.refused > 1000);
}

TEST_CASE("kernel FDT check and libfdt agree on every single-bit flip of the other trees", "[fdt-check]")
{
	for (const char *name : {"small", "optional-items-minor-3", "example"}) {
		const Bytes golden = good_tree(name);
		Comparison c;
		// The example's extents are 32 KiB of data: its first 4 KiB and
		// its last 1 KiB hold every structure.
		for (std::size_t bit = 0; bit < golden.size() * 8; bit++) {
			const std::size_t at = bit / 8;
			if (golden.size() > 8192 && at >= 4096 && at < golden.size() - 1024)
				continue;
			Bytes tree = golden;
			tree[at] ^= static_cast<std::uint8_t>(1u << (bit % 8));
			c.run(tree, tree.size(), std::string(name) + " bit " + std::to_string(bit));
		}
		INFO(name << ": " << c.summary());
		CHECK(c.disagreements.empty());
		CHECK(c.accepted > 100);
		CHECK(c.refused > 100);
	}
}

TEST_CASE("kernel FDT check and libfdt agree on every truncation", "[fdt-check]")
{
	for (const char *name : {"minimal", "small", "optional-items-minor-3"}) {
		const Bytes golden = good_tree(name);
		Comparison short_buffer, short_tree;
		for (std::size_t size = 0; size <= golden.size(); size++) {
			// A buffer shorter than the tree says it is: refused by both.
			short_buffer.run(golden, size, std::string(name) + " buffer " + std::to_string(size));
			// A tree whose header says it ends there.
			if (size >= 40) {
				Bytes tree(golden.begin(), golden.begin() + static_cast<std::ptrdiff_t>(size));
				put_be32(tree, 4, static_cast<std::uint32_t>(size)); // totalsize
				short_tree.run(tree, size, std::string(name) + " tree " + std::to_string(size));
			}
		}
		INFO(name << ": " << short_buffer.summary() << short_tree.summary());
		CHECK(short_buffer.disagreements.empty());
		CHECK(short_buffer.accepted == 1); // only the whole tree
		CHECK(short_tree.disagreements.empty());
		CHECK(short_tree.accepted == 1);
		// A bigger buffer than the tree is fine.
		Comparison longer;
		longer.run(golden, golden.size() + 64, name);
		CHECK(longer.accepted == 1);
	}
}

TEST_CASE("kernel FDT check and libfdt agree on header fields at their boundaries", "[fdt-check]")
{
	const Bytes golden = good_tree("small");
	const auto size = static_cast<std::uint32_t>(golden.size());
	Comparison c;
	// totalsize, off_dt_struct, off_dt_strings, off_mem_rsvmap, version,
	// last_comp_version, boot_cpuid_phys, size_dt_strings, size_dt_struct.
	for (std::size_t field = 4; field < 40; field += 4) {
		const std::uint32_t original = fdt_oracle_be32(golden.data() + field);
		std::vector<std::uint32_t> values = {0,        1,    2,        3,          4,          7,         8,
						     15,       16,   17,       18,         27,         28,        40,
						     size - 1, size, size + 1, 0x7fffffff, 0x80000000, 0xffffffff};
		for (std::uint32_t delta = 1; delta <= 16; delta++) {
			values.push_back(original + delta);
			values.push_back(original - delta);
		}
		for (const std::uint32_t value : values) {
			Bytes tree = golden;
			put_be32(tree, field, value);
			c.run(tree, tree.size(),
			      "header field " + std::to_string(field) + " = " + std::to_string(value));
		}
	}
	// Versions the kernel does not walk: 2..15, each with a last compatible
	// version that fdt_check_header() takes.
	for (std::uint32_t version = 2; version < 16; version++)
		for (const std::uint32_t last_comp : {2u, version}) {
			Bytes tree = golden;
			put_be32(tree, 20, version);
			put_be32(tree, 24, last_comp);
			c.run(tree, tree.size(), "version " + std::to_string(version));
		}
	INFO(c.summary());
	CHECK(c.disagreements.empty());
	CHECK(c.old_version == 28);
	CHECK(c.accepted > 0);
	CHECK(c.refused > 100);
}

TEST_CASE("kernel FDT check and libfdt agree on 30000 randomly damaged trees", "[fdt-check]")
{
	const std::vector<Bytes> goldens = {good_tree("minimal"), good_tree("small"),
					    good_tree("optional-items-minor-3")};
	std::mt19937_64 rng(0xfd7);
	auto below = [&](std::size_t n) { return n ? static_cast<std::size_t>(rng() % n) : 0; };
	Comparison c;
	for (unsigned n = 0; n < 30000; n++) {
		Bytes tree = goldens[n % goldens.size()];
		for (std::size_t k = 1 + below(4); k > 0; k--) {
			const std::size_t at = below(tree.size());
			switch (below(5)) {
			case 0: tree[at] ^= static_cast<std::uint8_t>(1u << below(8)); break;
			case 1: tree[at] = static_cast<std::uint8_t>(rng()); break;
			case 2: // a tag, a small length or a name offset
				if (at + 4 <= tree.size())
					put_be32(tree, at & ~std::size_t{3}, static_cast<std::uint32_t>(below(12)));
				break;
			case 3: // a length near 2^32, or near the block sizes
				if (at + 4 <= tree.size())
					put_be32(tree, at & ~std::size_t{3},
						 static_cast<std::uint32_t>(below(2) ? -below(64)
										     : tree.size() - below(64)));
				break;
			default: { // a run of bytes moved
				const std::size_t length = 1 + below(16);
				const std::size_t from = below(tree.size());
				if (from + length <= tree.size() && at + length <= tree.size())
					std::memmove(tree.data() + at, tree.data() + from, length);
				break;
			}
			}
		}
		c.run(tree, tree.size(), "mutant " + std::to_string(n));
	}
	// Random bytes behind a plausible header.
	for (unsigned n = 0; n < 3000; n++) {
		Bytes tree(40 + below(400));
		for (auto &byte : tree)
			byte = static_cast<std::uint8_t>(below(4) ? below(4) : rng());
		const auto size = static_cast<std::uint32_t>(tree.size());
		put_be32(tree, 0, FDT_MAGIC);
		put_be32(tree, 4, size);
		put_be32(tree, 8, 40 + static_cast<std::uint32_t>(below(size - 40)) / 4 * 4);
		put_be32(tree, 12, 40 + static_cast<std::uint32_t>(below(size - 40)));
		put_be32(tree, 16, 40);
		put_be32(tree, 20, 17);
		put_be32(tree, 24, 16);
		put_be32(tree, 32, static_cast<std::uint32_t>(below(size)));
		put_be32(tree, 36, static_cast<std::uint32_t>(below(size)));
		std::memset(tree.data() + 40, 0, std::min<std::size_t>(16, tree.size() - 40)); // empty rsvmap
		c.run(tree, tree.size(), "random " + std::to_string(n));
	}
	INFO(c.summary());
	CHECK(c.disagreements.empty());
	CHECK(c.cases == 33000);
	CHECK(c.accepted > 1000);
	CHECK(c.refused > 1000);
}
