// SPDX-License-Identifier: GPL-2.0-only
//
// Helper of tests/kexec/*.sh: makes kernel image fixtures and reads the
// handover back out of what kexec would load.
//
//   pkh-kexec-testtool make-bzimage OUT [MIN MAX]     synthetic bzImage
//   pkh-kexec-testtool make-arm64-image OUT [MIN MAX] synthetic arm64 Image
//   pkh-kexec-testtool make-elf OUT [MIN MAX]         synthetic ELF vmlinux
//   pkh-kexec-testtool add-support IN OUT MIN MAX     copy of a real bzImage
//                                                     with the declaration
//   pkh-kexec-testtool setup-data DUMP OUT            x86: our setup_data entry
//   pkh-kexec-testtool setup-data-types DUMP          x86: the chain's types
//   pkh-kexec-testtool dtb DUMP OUT                   arm64: the loaded dtb
//   pkh-kexec-testtool dtb-handover DUMP OUT          arm64: the blob in it
//
// Without MIN MAX the image declares nothing.  Exit 0 on success, 1 when
// the thing looked for is not there (the message says why), 2 on usage.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "kernel_fixtures.hpp"

using namespace pkh;
using namespace pkh::kexec::test;

namespace {

int usage()
{
	std::fprintf(stderr, "usage: pkh-kexec-testtool make-bzimage|make-arm64-image|make-elf OUT "
			     "[MIN MAX]\n"
			     "       pkh-kexec-testtool add-support IN OUT MIN MAX\n"
			     "       pkh-kexec-testtool setup-data|dtb|dtb-handover DUMP OUT\n"
			     "       pkh-kexec-testtool setup-data-types DUMP\n");
	return 2;
}

bool read_all(const std::string &path, Bytes &out)
{
	std::ifstream in(path, std::ios::binary);
	if (!in) {
		std::fprintf(stderr, "pkh-kexec-testtool: cannot read %s\n", path.c_str());
		return false;
	}
	out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
	return true;
}

bool write_all(const std::string &path, const Bytes &bytes)
{
	std::ofstream out(path, std::ios::binary | std::ios::trunc);
	out.write(reinterpret_cast<const char *>(bytes.data()), std::streamsize(bytes.size()));
	out.close();
	if (!out) {
		std::fprintf(stderr, "pkh-kexec-testtool: cannot write %s\n", path.c_str());
		return false;
	}
	return true;
}

int fail(const Error &e)
{
	std::fprintf(stderr, "pkh-kexec-testtool: %s: %s\n", e.where.c_str(), e.why.c_str());
	return 1;
}

std::uint32_t number(const char *text)
{
	return std::uint32_t(std::stoul(text, nullptr, 0));
}

} // namespace

int main(int argc, char **argv)
{
	if (argc < 3)
		return usage();
	const std::string command = argv[1];
	try {
		if (command == "make-bzimage" || command == "make-arm64-image" || command == "make-elf") {
			if (argc != 3 && argc != 5)
				return usage();
			std::optional<Bytes> record;
			if (argc == 5)
				record = support_record(number(argv[3]), number(argv[4]));
			Bytes image = command == "make-bzimage"	    ? make_bzimage(record.value_or(Bytes{}))
				      : command == "make-arm64-image" ? make_arm64_image(record)
								      : make_elf(record, NotePlace::Both);
			return write_all(argv[2], image) ? 0 : 2;
		}
		if (command == "add-support") {
			if (argc != 6)
				return usage();
			Bytes image;
			if (!read_all(argv[2], image))
				return 2;
			auto patched = add_support_to_bzimage(std::move(image), number(argv[4]), number(argv[5]));
			if (!patched)
				return fail(patched.error());
			return write_all(argv[3], *patched) ? 0 : 2;
		}

		Bytes dump;
		if (!read_all(argv[2], dump))
			return 2;
		auto segments = parse_segment_dump(dump);
		if (!segments)
			return fail(segments.error());
		if (command == "setup-data-types") {
			auto chain = setup_data_chain(*segments);
			if (!chain)
				return fail(chain.error());
			for (const auto &entry : *chain)
				std::printf("%#x %zu\n", entry.type, entry.data.size());
			return 0;
		}
		if (argc != 4)
			return usage();
		Result<Bytes> found = Bytes{};
		if (command == "setup-data") {
			found = handover_from_setup_data(*segments);
		} else if (command == "dtb") {
			found = dtb_from_segments(*segments);
		} else if (command == "dtb-handover") {
			auto dtb = dtb_from_segments(*segments);
			if (!dtb)
				return fail(dtb.error());
			found = handover_from_dtb(*dtb, *segments);
		} else {
			return usage();
		}
		if (!found)
			return fail(found.error());
		return write_all(argv[3], *found) ? 0 : 2;
	} catch (const std::exception &e) {
		std::fprintf(stderr, "pkh-kexec-testtool: %s\n", e.what());
		return 2;
	}
}
