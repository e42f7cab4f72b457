// SPDX-License-Identifier: GPL-2.0-only
//
// Test fixtures for kexec --live-update: kernel images that do or do not
// declare pkhandover support, and the reader of what kexec would load
// (PKH_KEXEC_TEST_DUMP_SEGMENTS) that finds the handover the way the next
// kernel does: in the setup_data chain of the x86 boot parameters, or
// under /chosen in the arm64 dtb.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <pkhandover/handover.hpp>

namespace pkh::kexec::test {

// ------------------------------------------------------------ kernel images

// struct pkh_kernel_support, little-endian.
Bytes support_record(std::uint32_t abi_major_min, std::uint32_t abi_major_max,
		     std::uint32_t magic = PKH_SUPPORT_MAGIC,
		     std::uint32_t size = sizeof(struct pkh_kernel_support));

// Offsets of the synthetic bzImage, for tests that corrupt it.
inline constexpr std::size_t BZ_SETUP_SECTS = 1;
inline constexpr std::size_t BZ_PROTECTED_MODE = (BZ_SETUP_SECTS + 1) * 512;
inline constexpr std::size_t BZ_KERNEL_INFO_OFFSET = 0x100;
inline constexpr std::size_t BZ_KERNEL_INFO = BZ_PROTECTED_MODE + BZ_KERNEL_INFO_OFFSET;

// A bzImage-shaped file: a 64-bit relocatable setup header (boot protocol
// `protocol`) that kexec's bzImage64 loader accepts, and kernel_info with
// `var_data` as its variable data.  Its code is zeros: it loads, it never
// boots.
Bytes make_bzimage(const Bytes &var_data, std::uint16_t protocol = 0x020f);

enum class NotePlace { Segment, Section, Both };

// A minimal ELF64 vmlinux-like file with one note (name, type, descriptor)
// in a PT_NOTE segment and/or an SHT_NOTE section; align8 gives the note
// segment 8-byte alignment as in some linkers' output.
Bytes make_elf(const std::optional<Bytes> &note_desc, NotePlace place = NotePlace::Segment,
	       std::uint32_t note_type = PKH_ELF_NOTE_TYPE,
	       const std::string &note_name = PKH_ELF_NOTE_NAME, bool align8 = false);

// An arm64 Image (header with "ARM\x64" magic) holding the note in its
// bytes, as the kernel's .notes section is in the Image.
Bytes make_arm64_image(const std::optional<Bytes> &note_desc);

// A copy of a real bzImage whose kernel_info variable data gains the
// support record (appended after any existing variable data, so the bytes
// after kernel_info are overwritten: the copy is for load tests and is
// never booted).
Result<Bytes> add_support_to_bzimage(Bytes bzimage, std::uint32_t abi_major_min,
				     std::uint32_t abi_major_max);

// ------------------------------------------------------- what kexec loads

struct DumpedSegment {
	std::uint64_t mem = 0;	 // physical load address
	std::uint64_t memsz = 0; // bytes reserved at mem; past bytes.size() they are zero
	Bytes bytes;
};

// Parses the file pkh_kexec_segments_ready() writes.
Result<std::vector<DumpedSegment>> parse_segment_dump(std::span<const std::uint8_t> dump);

// `length` bytes of physical memory at `address` as they will be after the
// kexec copies the segments; an error when not inside one segment.
Result<Bytes> read_physical(const std::vector<DumpedSegment> &segments, std::uint64_t address,
			    std::uint64_t length);

struct SetupDataEntry {
	std::uint64_t address = 0;
	std::uint32_t type = 0;
	Bytes data;
};

// x86: finds the boot parameters (the segment with "HdrS" at 0x202) and
// walks the setup_data list from boot_params.hdr.setup_data.
Result<std::vector<SetupDataEntry>> setup_data_chain(const std::vector<DumpedSegment> &segments);

// x86: the data of the single setup_data entry of type PKH_SETUP_DATA_TYPE.
Result<Bytes> handover_from_setup_data(const std::vector<DumpedSegment> &segments);

// arm64: the dtb segment (starts with the FDT magic and passes
// fdt_check_full).
Result<Bytes> dtb_from_segments(const std::vector<DumpedSegment> &segments);

// arm64: the handover under /chosen: the inline property, or the copy that
// PKH_CHOSEN_RANGE_PROP points at.  Error when there is none, or both.
Result<Bytes> handover_from_dtb(const Bytes &dtb, const std::vector<DumpedSegment> &segments);

} // namespace pkh::kexec::test
