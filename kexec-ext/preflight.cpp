// SPDX-License-Identifier: GPL-2.0-only
//
// Pre-flight check: find a kernel image's pkhandover support declaration.
// Every offset read from the image is bounds-checked against the image
// size in 64-bit arithmetic before use; a malformed image is an error with
// a message, never a read past the end.
#include "preflight.hpp"

#include <cstring>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include <gelf.h>
#include <libelf.h>

#include <fmt/format.h>

namespace pkh::kexec {

namespace {

using Span = std::span<const std::uint8_t>;

// x86 boot protocol (Documentation/arch/x86/boot.rst): offsets into the
// setup header of a bzImage.
constexpr std::uint64_t SETUP_SECTS_OFFSET = 0x1f1;
constexpr std::uint64_t HDRS_OFFSET = 0x202;
constexpr std::uint64_t VERSION_OFFSET = 0x206;
constexpr std::uint64_t KERNEL_INFO_OFFSET_OFFSET = 0x268;
constexpr std::uint64_t SETUP_HEADER_END = 0x26c; // end of kernel_info_offset
constexpr std::uint32_t HDRS_MAGIC = 0x53726448;  // "HdrS"
constexpr std::uint16_t KERNEL_INFO_MIN_VERSION = 0x020f;
constexpr std::uint32_t LTOP_MAGIC = 0x506f544c; // "LToP"
constexpr std::uint64_t KERNEL_INFO_HEADER_SIZE = 16;
constexpr std::uint64_t SECTOR_SIZE = 512;

// arm64 Image header (Documentation/arch/arm64/booting.rst).
constexpr std::uint64_t ARM64_MAGIC_OFFSET = 0x38;
constexpr std::uint32_t ARM64_MAGIC = 0x644d5241; // "ARM\x64"

constexpr std::string_view NOTE_NAME{PKH_ELF_NOTE_NAME, sizeof(PKH_ELF_NOTE_NAME)}; // with NUL
constexpr std::uint64_t RECORD_SIZE = sizeof(struct pkh_kernel_support);

std::optional<std::uint32_t> le32_at(Span bytes, std::uint64_t offset)
{
	if (offset > bytes.size() || bytes.size() - offset < 4)
		return std::nullopt;
	const std::uint8_t *p = bytes.data() + offset;
	return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 |
	       std::uint32_t(p[3]) << 24;
}

std::optional<std::uint16_t> le16_at(Span bytes, std::uint64_t offset)
{
	if (offset > bytes.size() || bytes.size() - offset < 2)
		return std::nullopt;
	const std::uint8_t *p = bytes.data() + offset;
	return std::uint16_t(p[0] | p[1] << 8);
}

Error error(ErrorCode code, std::string why)
{
	return Error{code, {}, std::move(why)};
}

std::string abi_text(std::uint32_t major)
{
	return fmt::format("pkhandover ABI v{}", major);
}

// A struct pkh_kernel_support at the start of `bytes` (which may be longer).
Result<KernelSupport> parse_record(Span bytes, KernelImageFormat format, std::string location)
{
	if (bytes.size() < RECORD_SIZE)
		return error(ErrorCode::TRUNCATED,
			     fmt::format("its pkhandover support record at {} is cut short: {} of {} bytes",
					 location, bytes.size(), RECORD_SIZE));
	const std::uint32_t magic = *le32_at(bytes, 0);
	const std::uint32_t size = *le32_at(bytes, 4);
	const std::uint32_t min = *le32_at(bytes, 8);
	const std::uint32_t max = *le32_at(bytes, 12);
	if (magic != PKH_SUPPORT_MAGIC)
		return error(ErrorCode::BAD_VALUE,
			     fmt::format("its pkhandover support record at {} has magic {:#010x}, not {:#010x}",
					 location, magic, PKH_SUPPORT_MAGIC));
	// A later ABI may append fields (size grows); a smaller size cannot
	// hold the fields v1 needs.
	if (size < RECORD_SIZE || size > bytes.size())
		return error(ErrorCode::BAD_VALUE,
			     fmt::format("its pkhandover support record at {} has size {} (must be {}..{})",
					 location, size, RECORD_SIZE, bytes.size()));
	if (min == 0 || min > max)
		return error(ErrorCode::BAD_VALUE,
			     fmt::format("its pkhandover support record at {} declares the empty or invalid "
					 "ABI major range {}..{}",
					 location, min, max));
	return KernelSupport{format, min, max, std::move(location)};
}

// ------------------------------------------------------------- bzImage

Result<KernelSupport> find_in_bzimage(Span image)
{
	if (image.size() < SETUP_HEADER_END)
		return error(ErrorCode::TRUNCATED,
			     fmt::format("it has the bzImage signature \"HdrS\" but is only {} bytes, shorter "
					 "than the x86 setup header ({:#x} bytes)",
					 image.size(), SETUP_HEADER_END));
	const std::uint16_t version = *le16_at(image, VERSION_OFFSET);
	if (version < KERNEL_INFO_MIN_VERSION)
		return error(ErrorCode::BAD_VERSION,
			     fmt::format("its x86 boot protocol {}.{:02} predates kernel_info (2.15), so it "
					 "cannot declare support for {}: it is not a pkhandover-capable kernel",
					 version >> 8, version & 0xff, abi_text(PKH_ABI_MAJOR)));
	std::uint64_t setup_sects = image[SETUP_SECTS_OFFSET];
	if (setup_sects == 0)
		setup_sects = 4; // boot protocol: 0 means 4
	const std::uint32_t kernel_info_offset = *le32_at(image, KERNEL_INFO_OFFSET_OFFSET);
	if (kernel_info_offset == 0)
		return error(ErrorCode::UNSUPPORTED,
			     "its setup header has no kernel_info (kernel_info_offset is 0), so it declares no "
			     "pkhandover support");
	// kernel_info_offset counts from the protected-mode code, which
	// follows the setup sectors and the boot sector.
	const std::uint64_t protected_mode_start = (setup_sects + 1) * SECTOR_SIZE;
	const std::uint64_t kernel_info = protected_mode_start + kernel_info_offset;
	if (kernel_info > image.size() || image.size() - kernel_info < KERNEL_INFO_HEADER_SIZE)
		return error(ErrorCode::TRUNCATED,
			     fmt::format("its kernel_info header at file offset {:#x} ((setup_sects {} + 1) * "
					 "512 + kernel_info_offset {:#x}) lies past the end of the {}-byte file",
					 kernel_info, setup_sects, kernel_info_offset, image.size()));
	const std::uint32_t magic = *le32_at(image, kernel_info);
	if (magic != LTOP_MAGIC)
		return error(ErrorCode::BAD_MAGIC,
			     fmt::format("its kernel_info at file offset {:#x} does not start with \"LToP\" "
					 "(found {:#010x})",
					 kernel_info, magic));
	const std::uint32_t header_size = *le32_at(image, kernel_info + 4);
	const std::uint32_t size_total = *le32_at(image, kernel_info + 8);
	if (header_size < KERNEL_INFO_HEADER_SIZE || header_size > size_total)
		return error(ErrorCode::BAD_VALUE,
			     fmt::format("its kernel_info at file offset {:#x} has size {} and size_total {} "
					 "(need 16 <= size <= size_total)",
					 kernel_info, header_size, size_total));
	if (image.size() - kernel_info < size_total)
		return error(ErrorCode::TRUNCATED,
			     fmt::format("its kernel_info at file offset {:#x} claims {} bytes, past the end "
					 "of the {}-byte file",
					 kernel_info, size_total, image.size()));
	const std::uint64_t var_start = kernel_info + header_size;
	const std::uint64_t var_end = kernel_info + size_total;
	// Records in the variable data are 4-byte aligned relative to
	// kernel_info, like every field of the boot protocol.
	for (std::uint64_t at = kernel_info + ((header_size + 3) & ~std::uint64_t(3)); at + 4 <= var_end;
	     at += 4) {
		if (*le32_at(image, at) != PKH_SUPPORT_MAGIC)
			continue;
		return parse_record(image.subspan(at, var_end - at), KernelImageFormat::BzImage,
				    fmt::format("bzImage kernel_info + {:#x} (file offset {:#x})",
						at - kernel_info, at));
	}
	return error(ErrorCode::UNSUPPORTED,
		     fmt::format("its kernel_info (file offset {:#x}) has {} bytes of variable data and no "
				 "pkhandover support record (struct pkh_kernel_support, magic \"PKHS\") in "
				 "them: the kernel does not declare support for {}",
				 kernel_info, var_end - var_start, abi_text(PKH_ABI_MAJOR)));
}

// ------------------------------------------------------------- ELF notes

struct ElfCloser {
	void operator()(Elf *elf) const { elf_end(elf); }
};
using ElfPtr = std::unique_ptr<Elf, ElfCloser>;

bool note_is_ours(const GElf_Nhdr &nhdr, const std::uint8_t *note_base, std::size_t name_offset)
{
	return nhdr.n_type == PKH_ELF_NOTE_TYPE && nhdr.n_namesz == NOTE_NAME.size() &&
	       std::memcmp(note_base + name_offset, NOTE_NAME.data(), NOTE_NAME.size()) == 0;
}

// Walks one block of notes (a PT_NOTE segment or SHT_NOTE section).
// Returns the record, an error for a malformed one of ours, or nothing.
std::optional<Result<KernelSupport>> find_in_notes(Elf_Data *data, const std::string &where)
{
	if (data == nullptr || data->d_buf == nullptr)
		return std::nullopt;
	const auto *base = static_cast<const std::uint8_t *>(data->d_buf);
	std::size_t offset = 0;
	GElf_Nhdr nhdr;
	std::size_t name_offset = 0;
	std::size_t desc_offset = 0;
	// gelf_getnote() checks every note against d_size and returns 0 at
	// the end or at the first malformed note.
	while (offset < data->d_size) {
		std::size_t next = gelf_getnote(data, offset, &nhdr, &name_offset, &desc_offset);
		if (next == 0)
			break;
		if (note_is_ours(nhdr, base, name_offset)) {
			Span desc{base + desc_offset, nhdr.n_descsz};
			return parse_record(desc, KernelImageFormat::Elf,
					    fmt::format("ELF note \"{}\" in {}", PKH_ELF_NOTE_NAME, where));
		}
		offset = next;
	}
	return std::nullopt;
}

Result<KernelSupport> find_in_elf(Span image)
{
	if (elf_version(EV_CURRENT) == EV_NONE)
		return error(ErrorCode::BAD_VALUE, "libelf is unusable (elf_version failed)");
	// elf_memory() wants a writable buffer and may convert in place; give
	// it a private copy so the caller's image (what kexec loads) stays
	// exactly as read.
	std::vector<char> copy(image.begin(), image.end());
	ElfPtr elf{elf_memory(copy.data(), copy.size())};
	if (!elf || elf_kind(elf.get()) != ELF_K_ELF)
		return error(ErrorCode::BAD_VALUE,
			     fmt::format("it starts like an ELF file but libelf cannot read it: {}",
					 elf_errmsg(-1)));
	GElf_Ehdr ehdr;
	if (gelf_getehdr(elf.get(), &ehdr) == nullptr)
		return error(ErrorCode::TRUNCATED,
			     fmt::format("its ELF header is malformed or cut short: {}", elf_errmsg(-1)));

	std::size_t phnum = 0;
	if (elf_getphdrnum(elf.get(), &phnum) != 0)
		return error(ErrorCode::TRUNCATED,
			     fmt::format("its ELF program headers are malformed: {}", elf_errmsg(-1)));
	for (std::size_t i = 0; i < phnum; i++) {
		GElf_Phdr phdr;
		if (gelf_getphdr(elf.get(), int(i), &phdr) == nullptr)
			return error(ErrorCode::TRUNCATED,
				     fmt::format("its ELF program header {} is unreadable: {}", i,
						 elf_errmsg(-1)));
		if (phdr.p_type != PT_NOTE || phdr.p_filesz == 0)
			continue;
		if (phdr.p_offset > image.size() || image.size() - phdr.p_offset < phdr.p_filesz)
			return error(ErrorCode::TRUNCATED,
				     fmt::format("its PT_NOTE segment {} (offset {:#x}, {} bytes) lies past the "
						 "end of the {}-byte file",
						 i, phdr.p_offset, phdr.p_filesz, image.size()));
		Elf_Data *data = elf_getdata_rawchunk(elf.get(), int64_t(phdr.p_offset), phdr.p_filesz,
						      phdr.p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR);
		if (auto found = find_in_notes(data, fmt::format("PT_NOTE segment {}", i)))
			return std::move(*found);
	}

	std::size_t shstrndx = 0;
	const bool have_names = elf_getshdrstrndx(elf.get(), &shstrndx) == 0;
	for (Elf_Scn *scn = elf_nextscn(elf.get(), nullptr); scn != nullptr;
	     scn = elf_nextscn(elf.get(), scn)) {
		GElf_Shdr shdr;
		if (gelf_getshdr(scn, &shdr) == nullptr)
			return error(ErrorCode::TRUNCATED,
				     fmt::format("its ELF section header {} is unreadable: {}",
						 elf_ndxscn(scn), elf_errmsg(-1)));
		if (shdr.sh_type != SHT_NOTE || shdr.sh_size == 0)
			continue;
		if (shdr.sh_offset > image.size() || image.size() - shdr.sh_offset < shdr.sh_size)
			return error(ErrorCode::TRUNCATED,
				     fmt::format("its SHT_NOTE section {} (offset {:#x}, {} bytes) lies past "
						 "the end of the {}-byte file",
						 elf_ndxscn(scn), shdr.sh_offset, shdr.sh_size, image.size()));
		const char *name = have_names ? elf_strptr(elf.get(), shstrndx, shdr.sh_name) : nullptr;
		Elf_Data *data = elf_getdata(scn, nullptr);
		if (auto found = find_in_notes(
			    data, fmt::format("section {} {}", elf_ndxscn(scn), name ? name : "(unnamed)")))
			return std::move(*found);
	}
	return error(ErrorCode::UNSUPPORTED,
		     fmt::format("it has no ELF note \"{}\" of type {:#x} (struct pkh_kernel_support) in its "
				 "PT_NOTE segments or SHT_NOTE sections: the kernel does not declare support "
				 "for {}",
				 PKH_ELF_NOTE_NAME, PKH_ELF_NOTE_TYPE, abi_text(PKH_ABI_MAJOR)));
}

// ------------------------------------------------------------- arm64 Image

// The Image is vmlinux's loadable bytes, so the note is there in its raw
// form: Elf64_Nhdr {namesz, descsz, type}, the name padded to 4, the
// descriptor.  Notes are 4-byte aligned.
Result<KernelSupport> find_in_raw_image(Span image, KernelImageFormat format)
{
	constexpr std::uint64_t NHDR_SIZE = 12;
	const std::uint64_t name_padded = (NOTE_NAME.size() + 3) & ~std::uint64_t(3);
	for (std::uint64_t at = 0; at + NHDR_SIZE + name_padded <= image.size(); at += 4) {
		if (*le32_at(image, at) != NOTE_NAME.size() || *le32_at(image, at + 8) != PKH_ELF_NOTE_TYPE ||
		    std::memcmp(image.data() + at + NHDR_SIZE, NOTE_NAME.data(), NOTE_NAME.size()) != 0)
			continue;
		const std::uint32_t descsz = *le32_at(image, at + 4);
		const std::uint64_t desc = at + NHDR_SIZE + name_padded;
		const std::uint64_t available = image.size() - desc;
		std::string location = fmt::format("ELF note \"{}\" at file offset {:#x}", PKH_ELF_NOTE_NAME, at);
		if (descsz > available)
			return error(ErrorCode::TRUNCATED,
				     fmt::format("its {} claims a {}-byte descriptor, past the end of the file",
						 location, descsz));
		return parse_record(image.subspan(desc, descsz), format, std::move(location));
	}
	return error(ErrorCode::UNSUPPORTED,
		     fmt::format("it contains no ELF note \"{}\" of type {:#x} (struct pkh_kernel_support): "
				 "the kernel does not declare support for {}",
				 PKH_ELF_NOTE_NAME, PKH_ELF_NOTE_TYPE, abi_text(PKH_ABI_MAJOR)));
}

} // namespace

const char *format_name(KernelImageFormat format)
{
	switch (format) {
	case KernelImageFormat::BzImage:
		return "bzImage";
	case KernelImageFormat::Elf:
		return "ELF";
	case KernelImageFormat::Arm64Image:
		return "arm64 Image";
	}
	return "?";
}

Result<KernelSupport> find_kernel_support(Span image)
{
	static constexpr std::uint8_t elf_magic[4] = {0x7f, 'E', 'L', 'F'};
	if (image.size() >= 4 && std::memcmp(image.data(), elf_magic, 4) == 0)
		return find_in_elf(image);
	if (le32_at(image, HDRS_OFFSET) == HDRS_MAGIC)
		return find_in_bzimage(image);
	if (le32_at(image, ARM64_MAGIC_OFFSET) == ARM64_MAGIC)
		return find_in_raw_image(image, KernelImageFormat::Arm64Image);
	if (image.size() < HDRS_OFFSET + 4)
		return error(ErrorCode::TRUNCATED,
			     fmt::format("it is only {} bytes, too short to be a kernel image", image.size()));
	return error(ErrorCode::BAD_MAGIC,
		     "it is not a kernel image the pre-flight check can read (bzImage, ELF vmlinux or arm64 "
		     "Image), so whether it supports the handover cannot be checked");
}

Status check_kernel_support(Span image, const std::string &kernel_name, std::uint32_t blob_major)
{
	auto support = find_kernel_support(image);
	if (!support) {
		Error e = support.error();
		e.where = kernel_name;
		return e;
	}
	if (blob_major < support->abi_major_min || blob_major > support->abi_major_max)
		return Error{ErrorCode::UNSUPPORTED, kernel_name,
			     fmt::format("its {} ({}) accepts pkhandover ABI majors {}..{}, but the handover "
					 "blob is {}",
					 format_name(support->format), support->location, support->abi_major_min,
					 support->abi_major_max, abi_text(blob_major))};
	return Ok{};
}

} // namespace pkh::kexec
