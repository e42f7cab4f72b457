// SPDX-License-Identifier: GPL-2.0-only
//
// Pre-flight check of kexec --live-update: does the kernel about to be
// loaded declare that it can receive a handover blob of this ABI major?
//
// A kernel that cannot honour the blob ignores it silently (x86 skips
// unknown setup_data types, arm64 unknown /chosen properties), and the
// preserved IOMMU state and devices would then be reset under running VMs.
// So the check fails closed: no declaration, a malformed image or a
// declaration that excludes the blob's major all refuse the load.
//
// Where the declaration lives (see DOC: support declaration in
// <pkhandover/abi.h>):
// - bzImage: a struct pkh_kernel_support record in the variable data of the
//   boot protocol's kernel_info (protocol 2.15 and later);
// - ELF (vmlinux): a note named PKH_ELF_NOTE_NAME of type PKH_ELF_NOTE_TYPE
//   whose descriptor is the record, in a PT_NOTE segment or SHT_NOTE
//   section;
// - arm64 Image: the same note, found in the raw bytes (the Image is the
//   loadable part of vmlinux, and the kernel's .notes section is in it).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include <pkhandover/handover.hpp>

namespace pkh::kexec {

enum class KernelImageFormat {
	BzImage,
	Elf,
	Arm64Image,
};

const char *format_name(KernelImageFormat format);

struct KernelSupport {
	KernelImageFormat format = KernelImageFormat::BzImage;
	std::uint32_t abi_major_min = 0;
	std::uint32_t abi_major_max = 0;
	std::string location; // where the record was found, for messages
};

// Identifies the image and finds its support record.  Errors:
// BAD_MAGIC (not a kernel image we know), TRUNCATED (headers or offsets
// past the end of the file), BAD_VERSION (bzImage protocol without
// kernel_info), BAD_VALUE (a malformed record or ELF), UNSUPPORTED (a
// well-formed image without a declaration).  `why` says what is missing;
// `where` is left empty for the caller to name the file.
Result<KernelSupport> find_kernel_support(std::span<const std::uint8_t> image);

// The pre-flight: Ok when the image declares support for blob_major.
// Errors name kernel_name in `where` and say what is missing in `why`.
Status check_kernel_support(std::span<const std::uint8_t> image,
			    const std::string &kernel_name, std::uint32_t blob_major);

} // namespace pkh::kexec
