// SPDX-License-Identifier: GPL-2.0-only
#include "kernel_fixtures.hpp"

#include <cstring>

#include <elf.h>

extern "C" {
#include <libfdt.h>
}

#include <fmt/format.h>

namespace pkh::kexec::test {

namespace {

void put16(Bytes &b, std::size_t at, std::uint16_t v)
{
	if (b.size() < at + 2)
		b.resize(at + 2);
	b[at] = std::uint8_t(v);
	b[at + 1] = std::uint8_t(v >> 8);
}

void put32(Bytes &b, std::size_t at, std::uint32_t v)
{
	if (b.size() < at + 4)
		b.resize(at + 4);
	for (int i = 0; i < 4; i++)
		b[at + i] = std::uint8_t(v >> (8 * i));
}

void put64(Bytes &b, std::size_t at, std::uint64_t v)
{
	if (b.size() < at + 8)
		b.resize(at + 8);
	for (int i = 0; i < 8; i++)
		b[at + i] = std::uint8_t(v >> (8 * i));
}

void put_bytes(Bytes &b, std::size_t at, std::span<const std::uint8_t> v)
{
	if (v.empty())
		return;
	if (b.size() < at + v.size())
		b.resize(at + v.size());
	std::memcpy(b.data() + at, v.data(), v.size());
}

std::uint32_t get32(std::span<const std::uint8_t> b, std::size_t at)
{
	return std::uint32_t(b[at]) | std::uint32_t(b[at + 1]) << 8 | std::uint32_t(b[at + 2]) << 16 |
	       std::uint32_t(b[at + 3]) << 24;
}

std::uint64_t get64(std::span<const std::uint8_t> b, std::size_t at)
{
	return std::uint64_t(get32(b, at)) | std::uint64_t(get32(b, at + 4)) << 32;
}

std::uint64_t get_be64(const void *p)
{
	const auto *b = static_cast<const std::uint8_t *>(p);
	std::uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

std::size_t align4(std::size_t n)
{
	return (n + 3) & ~std::size_t(3);
}

Error fixture_error(ErrorCode code, std::string where, std::string why)
{
	return Error{code, std::move(where), std::move(why)};
}

// Elf64_Nhdr, the name padded to 4, the descriptor padded to 4.
Bytes note_bytes(const std::string &name, std::uint32_t type, const Bytes &desc)
{
	Bytes note;
	put32(note, 0, std::uint32_t(name.size() + 1));
	put32(note, 4, std::uint32_t(desc.size()));
	put32(note, 8, type);
	Bytes name_bytes(name.begin(), name.end());
	name_bytes.push_back(0);
	put_bytes(note, 12, name_bytes);
	note.resize(align4(note.size()));
	std::size_t desc_at = note.size();
	put_bytes(note, desc_at, desc);
	note.resize(align4(note.size()));
	return note;
}

} // namespace

Bytes support_record(std::uint32_t abi_major_min, std::uint32_t abi_major_max, std::uint32_t magic,
		     std::uint32_t size)
{
	Bytes r;
	put32(r, 0, magic);
	put32(r, 4, size);
	put32(r, 8, abi_major_min);
	put32(r, 12, abi_major_max);
	return r;
}

Bytes make_bzimage(const Bytes &var_data, std::uint16_t protocol)
{
	Bytes b(BZ_PROTECTED_MODE + 0x1000, 0);
	// A boot sector starting with zeros reads as an empty LZMA stream to
	// kexec's slurp_decompress_file(); real ones start with "MZ" (the EFI
	// stub) or, before it, a far jump (0xea).
	b[0] = 0xea;
	b[0x1f1] = BZ_SETUP_SECTS;
	put16(b, 0x1fe, 0xaa55);
	b[0x200] = 0xeb; // jmp over the header, as real kernels start
	b[0x201] = 0x6a; // the setup header runs to 0x26c
	put32(b, 0x202, 0x53726448); // "HdrS"
	put16(b, 0x206, protocol);
	b[0x211] = 0x01;		  // loadflags: LOADED_HIGH
	put32(b, 0x230, 0x200000);	  // kernel_alignment
	b[0x234] = 1;			  // relocatable_kernel
	put16(b, 0x236, 0x3);		  // xloadflags: KERNEL_64 | CAN_BE_LOADED_ABOVE_4G
	put32(b, 0x238, 2047);		  // cmdline_size
	put32(b, 0x260, 0x100000);	  // init_size
	put32(b, 0x268, BZ_KERNEL_INFO_OFFSET);
	put32(b, BZ_KERNEL_INFO, 0x506f544c); // "LToP"
	put32(b, BZ_KERNEL_INFO + 4, 16);
	put32(b, BZ_KERNEL_INFO + 8, std::uint32_t(16 + var_data.size()));
	put32(b, BZ_KERNEL_INFO + 12, 0x8000000a); // setup_type_max
	put_bytes(b, BZ_KERNEL_INFO + 16, var_data);
	return b;
}

Bytes make_elf(const std::optional<Bytes> &note_desc, NotePlace place, std::uint32_t note_type,
	       const std::string &note_name, bool align8)
{
	const Bytes note = note_desc ? note_bytes(note_name, note_type, *note_desc)
				     : note_bytes("GNU", 3, Bytes(20, 0xab)); // a build-id only
	const bool segment = place != NotePlace::Section;
	const bool section = place != NotePlace::Segment;
	const std::size_t phdr_at = sizeof(Elf64_Ehdr);
	const std::size_t note_at = phdr_at + (segment ? sizeof(Elf64_Phdr) : 0);
	const std::size_t note_at_aligned = (note_at + 7) & ~std::size_t(7);
	static const char shstrtab[] = "\0.note.pkhandover\0.shstrtab";
	const std::size_t shstrtab_at = note_at_aligned + note.size();
	const std::size_t shdr_at = (shstrtab_at + sizeof(shstrtab) + 7) & ~std::size_t(7);

	Elf64_Ehdr ehdr{};
	std::memcpy(ehdr.e_ident, ELFMAG, SELFMAG);
	ehdr.e_ident[EI_CLASS] = ELFCLASS64;
	ehdr.e_ident[EI_DATA] = ELFDATA2LSB;
	ehdr.e_ident[EI_VERSION] = EV_CURRENT;
	ehdr.e_type = ET_EXEC;
	ehdr.e_machine = EM_X86_64;
	ehdr.e_version = EV_CURRENT;
	ehdr.e_ehsize = sizeof(Elf64_Ehdr);
	if (segment) {
		ehdr.e_phoff = phdr_at;
		ehdr.e_phentsize = sizeof(Elf64_Phdr);
		ehdr.e_phnum = 1;
	}
	if (section) {
		ehdr.e_shoff = shdr_at;
		ehdr.e_shentsize = sizeof(Elf64_Shdr);
		ehdr.e_shnum = 3;
		ehdr.e_shstrndx = 2;
	}

	Bytes b;
	put_bytes(b, 0, {reinterpret_cast<const std::uint8_t *>(&ehdr), sizeof(ehdr)});
	if (segment) {
		Elf64_Phdr phdr{};
		phdr.p_type = PT_NOTE;
		phdr.p_offset = note_at_aligned;
		phdr.p_filesz = note.size();
		phdr.p_memsz = note.size();
		phdr.p_align = align8 ? 8 : 4;
		put_bytes(b, phdr_at, {reinterpret_cast<const std::uint8_t *>(&phdr), sizeof(phdr)});
	}
	put_bytes(b, note_at_aligned, note);
	if (section) {
		put_bytes(b, shstrtab_at,
			  {reinterpret_cast<const std::uint8_t *>(shstrtab), sizeof(shstrtab)});
		Elf64_Shdr shdr[3]{};
		shdr[1].sh_name = 1;
		shdr[1].sh_type = SHT_NOTE;
		shdr[1].sh_offset = note_at_aligned;
		shdr[1].sh_size = note.size();
		shdr[1].sh_addralign = 4;
		shdr[2].sh_name = 18;
		shdr[2].sh_type = SHT_STRTAB;
		shdr[2].sh_offset = shstrtab_at;
		shdr[2].sh_size = sizeof(shstrtab);
		shdr[2].sh_addralign = 1;
		put_bytes(b, shdr_at, {reinterpret_cast<const std::uint8_t *>(shdr), sizeof(shdr)});
	}
	return b;
}

Bytes make_arm64_image(const std::optional<Bytes> &note_desc)
{
	Bytes b(0x10000, 0);
	put32(b, 0, 0x91005a4d); // code0: "MZ" of the EFI stub, as real Images
	put32(b, 4, 0x14000000); // code1: a branch
	put64(b, 8, 0);	      // text_offset
	put64(b, 16, 0x20000); // image_size: what the kernel needs, >= the file
	put64(b, 24, 0xa);     // flags: little-endian, 4 KiB pages, anywhere
	put32(b, 0x38, 0x644d5241); // "ARM\x64"
	if (note_desc)
		put_bytes(b, 0x1000, note_bytes(PKH_ELF_NOTE_NAME, PKH_ELF_NOTE_TYPE, *note_desc));
	return b;
}

Result<Bytes> add_support_to_bzimage(Bytes b, std::uint32_t min, std::uint32_t max)
{
	if (b.size() < 0x270 || get32(b, 0x202) != 0x53726448)
		return fixture_error(ErrorCode::BAD_MAGIC, "bzImage", "not a bzImage");
	if ((b[0x206] | b[0x207] << 8) < 0x020f)
		return fixture_error(ErrorCode::BAD_VERSION, "bzImage", "boot protocol before 2.15");
	std::uint64_t setup_sects = b[0x1f1] ? b[0x1f1] : 4;
	std::uint64_t ki = (setup_sects + 1) * 512 + get32(b, 0x268);
	if (ki + 16 > b.size() || get32(b, ki) != 0x506f544c)
		return fixture_error(ErrorCode::BAD_MAGIC, "bzImage", "no kernel_info");
	const std::uint32_t size_total = get32(b, ki + 8);
	const Bytes record = support_record(min, max);
	const std::uint64_t at = ki + align4(size_total);
	if (at + record.size() > b.size())
		return fixture_error(ErrorCode::TRUNCATED, "bzImage", "no room after kernel_info");
	put_bytes(b, at, record);
	put32(b, ki + 8, std::uint32_t(at + record.size() - ki));
	return b;
}

Result<std::vector<DumpedSegment>> parse_segment_dump(std::span<const std::uint8_t> dump)
{
	static constexpr char magic[8] = {'P', 'K', 'H', 'S', 'E', 'G', 'S', '1'};
	if (dump.size() < 16 || std::memcmp(dump.data(), magic, 8) != 0)
		return fixture_error(ErrorCode::BAD_MAGIC, "dump", "not a PKH_KEXEC_TEST_DUMP_SEGMENTS file");
	const std::uint64_t count = get64(dump, 8);
	std::size_t at = 16;
	std::vector<DumpedSegment> segments;
	for (std::uint64_t i = 0; i < count; i++) {
		if (dump.size() - at < 24)
			return fixture_error(ErrorCode::TRUNCATED, fmt::format("dump segment {}", i),
					     "header cut short");
		DumpedSegment s;
		s.mem = get64(dump, at);
		s.memsz = get64(dump, at + 8);
		const std::uint64_t bufsz = get64(dump, at + 16);
		at += 24;
		if (dump.size() - at < bufsz || bufsz > s.memsz)
			return fixture_error(ErrorCode::TRUNCATED, fmt::format("dump segment {}", i),
					     "bytes cut short or larger than memsz");
		s.bytes.assign(dump.begin() + at, dump.begin() + at + bufsz);
		at += bufsz;
		segments.push_back(std::move(s));
	}
	if (at != dump.size())
		return fixture_error(ErrorCode::SIZE_MISMATCH, "dump", "trailing bytes");
	return segments;
}

Result<Bytes> read_physical(const std::vector<DumpedSegment> &segments, std::uint64_t address,
			    std::uint64_t length)
{
	for (const auto &s : segments) {
		if (address < s.mem || address - s.mem > s.memsz || s.memsz - (address - s.mem) < length)
			continue;
		Bytes out(length, 0);
		const std::uint64_t offset = address - s.mem;
		if (offset < s.bytes.size()) {
			const std::uint64_t n = std::min<std::uint64_t>(length, s.bytes.size() - offset);
			std::memcpy(out.data(), s.bytes.data() + offset, n);
		}
		return out;
	}
	return fixture_error(ErrorCode::OUT_OF_BOUNDS, fmt::format("{:#x}+{:#x}", address, length),
			     "not inside one loaded segment");
}

Result<std::vector<SetupDataEntry>> setup_data_chain(const std::vector<DumpedSegment> &segments)
{
	const DumpedSegment *boot_params = nullptr;
	for (const auto &s : segments)
		if (s.bytes.size() >= 0x258 && get32(s.bytes, 0x202) == 0x53726448) {
			if (boot_params)
				return fixture_error(ErrorCode::DUPLICATE, "boot_params",
						     "two segments look like boot parameters");
			boot_params = &s;
		}
	if (!boot_params)
		return fixture_error(ErrorCode::MISSING_NODE, "boot_params", "no segment holds boot parameters");

	std::vector<SetupDataEntry> chain;
	std::uint64_t next = get64(boot_params->bytes, 0x250); // hdr.setup_data
	while (next != 0) {
		if (chain.size() == 64)
			return fixture_error(ErrorCode::TOO_MANY, "setup_data", "more than 64 entries (a loop?)");
		auto header = read_physical(segments, next, 16);
		if (!header)
			return header.error();
		SetupDataEntry entry;
		entry.address = next;
		entry.type = get32(*header, 8);
		const std::uint32_t len = get32(*header, 12);
		auto data = read_physical(segments, next + 16, len);
		if (!data)
			return data.error();
		entry.data = std::move(*data);
		next = get64(*header, 0);
		chain.push_back(std::move(entry));
	}
	return chain;
}

Result<Bytes> handover_from_setup_data(const std::vector<DumpedSegment> &segments)
{
	auto chain = setup_data_chain(segments);
	if (!chain)
		return chain.error();
	std::optional<Bytes> found;
	for (auto &entry : *chain) {
		if (entry.type != PKH_SETUP_DATA_TYPE)
			continue;
		if (found)
			return fixture_error(ErrorCode::DUPLICATE, "setup_data",
					     "two entries of the pkhandover type");
		found = std::move(entry.data);
	}
	if (!found)
		return fixture_error(ErrorCode::MISSING_NODE, "setup_data",
				     fmt::format("no entry of type {:#x} among {} entries",
						 PKH_SETUP_DATA_TYPE, chain->size()));
	return *found;
}

Result<Bytes> dtb_from_segments(const std::vector<DumpedSegment> &segments)
{
	const DumpedSegment *dtb = nullptr;
	for (const auto &s : segments) {
		if (s.bytes.size() < sizeof(struct fdt_header) || fdt_magic(s.bytes.data()) != FDT_MAGIC)
			continue;
		if (dtb)
			return fixture_error(ErrorCode::DUPLICATE, "dtb", "two segments hold a dtb");
		dtb = &s;
	}
	if (!dtb)
		return fixture_error(ErrorCode::MISSING_NODE, "dtb", "no segment holds a dtb");
	if (fdt_check_full(dtb->bytes.data(), dtb->bytes.size()) != 0)
		return fixture_error(ErrorCode::BAD_FDT, "dtb", "the loaded dtb fails fdt_check_full");
	return Bytes(dtb->bytes.begin(), dtb->bytes.begin() + fdt_totalsize(dtb->bytes.data()));
}

Result<Bytes> handover_from_dtb(const Bytes &dtb, const std::vector<DumpedSegment> &segments)
{
	if (fdt_check_full(dtb.data(), dtb.size()) != 0)
		return fixture_error(ErrorCode::BAD_FDT, "dtb", "fails fdt_check_full");
	const int chosen = fdt_path_offset(dtb.data(), "/chosen");
	if (chosen < 0)
		return fixture_error(ErrorCode::MISSING_NODE, "/chosen", "no /chosen node");
	int inline_len = 0, range_len = 0;
	const void *inline_blob = fdt_getprop(dtb.data(), chosen, PKH_CHOSEN_PROP, &inline_len);
	const void *range = fdt_getprop(dtb.data(), chosen, PKH_CHOSEN_RANGE_PROP, &range_len);
	if (inline_blob && range)
		return fixture_error(ErrorCode::DUPLICATE, "/chosen", "both the inline and the range property");
	if (inline_blob) {
		const auto *p = static_cast<const std::uint8_t *>(inline_blob);
		return Bytes(p, p + inline_len);
	}
	if (range) {
		if (range_len != 16)
			return fixture_error(ErrorCode::BAD_LENGTH, "/chosen/" PKH_CHOSEN_RANGE_PROP,
					     fmt::format("{} bytes, not 16", range_len));
		return read_physical(segments, get_be64(range),
				     get_be64(static_cast<const std::uint8_t *>(range) + 8));
	}
	return fixture_error(ErrorCode::MISSING_PROPERTY, "/chosen", "no pkhandover property");
}

} // namespace pkh::kexec::test
