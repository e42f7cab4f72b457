// SPDX-License-Identifier: GPL-2.0-only
//
// kexec --live-update: the C++ side of kexec-tools' extern "C" hook.
//
// kexec-tools calls in at three points (see pkh_kexec_hook.h); everything
// with a decision in it is here, where it is tested, and kexec-tools only
// checks return values.  Errors are pkh::Result values until the extern "C"
// boundary, which prints them once and returns -1.
#include "pkh_kexec_hook.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include <endian.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <pkhandover/handover.hpp>

#include "preflight.hpp"
#include "util.hpp"

#ifndef PKH_KEXEC_CREATOR
#define PKH_KEXEC_CREATOR "kexec-tools 2.0.25 pkhandover"
#endif

namespace
{

using pkh::Bytes;
using pkh::Error;
using pkh::ErrorCode;
using pkh::Result;
using pkh::Status;

constexpr const char *PREFIX = "kexec: --live-update: ";

// A JSON spec of a 1 TiB guest in 2 MiB extents is some tens of MiB; the
// cap only stops a wrong file (a disk image) from being slurped whole.
constexpr std::size_t MAX_SPEC_SIZE = std::size_t(1) << 30;

// What pkh_kexec_prepare() accepted, for the check in
// pkh_kexec_segments_ready(): kexec is one process loading one image.
std::optional<pkh::Handover> prepared_handover;

Error io_error(const std::string &path, const std::string &what)
{
	return Error{ErrorCode::IO, path, fmt::format("{}: {}", what, std::strerror(errno))};
}

Result<std::string> read_text_file(const std::string &path)
{
	auto bytes = pkh::util::read_file(path, MAX_SPEC_SIZE);
	if (!bytes) {
		Error e = bytes.error();
		e.why = "the handover spec: " + e.why;
		return e;
	}
	return std::string(bytes->begin(), bytes->end());
}

// Writes the blob next to its final name and renames it into place, so a
// reader never sees half a blob.  Mode 0600: a blob holds physical
// addresses of guest memory.
Status write_blob_file(const std::string &path, const Bytes &blob)
{
	std::string tmp = path + ".XXXXXX";
	pkh::util::FileDescriptor fd{::mkostemp(tmp.data(), O_CLOEXEC)};
	if (fd.get() < 0)
		return io_error(path, "cannot create the handover output");
	if (auto written = pkh::util::write_all(fd.get(), path, blob); !written) {
		Error e = written.error();
		e.why = "cannot write the handover output: " + e.why;
		::unlink(tmp.c_str());
		return e;
	}
	if (fd.close() != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
		Error e = io_error(path, "cannot write the handover output");
		::unlink(tmp.c_str());
		return e;
	}
	return pkh::Ok{};
}

Result<pkh::Handover> load_state(const pkh_kexec_request &request)
{
	// Without --handover-spec, the running kernel reports its state (the
	// pkhandover kernel series, /sys/kernel/pkhandover/state, root only).
	const char *source = request.handover_spec != nullptr ? request.handover_spec : PKH_KEXEC_LIVE_STATE;
	if (request.handover_spec == nullptr && ::access(source, F_OK) != 0)
		return Error{ErrorCode::UNSUPPORTED, source,
			     "the running kernel reports no handover state: boot a kernel with the pkhandover "
			     "series and mount pkernfs, or give the state with --handover-spec FILE"};
	auto text = read_text_file(source);
	if (!text)
		return text.error();
	auto handover = pkh::parse_spec(*text);
	if (!handover) {
		Error e = handover.error();
		e.where = e.where.empty() ? std::string(source) : fmt::format("{}: {}", source, e.where);
		return e;
	}
	if (handover->creator.empty())
		handover->creator = PKH_KEXEC_CREATOR;
	return handover;
}

// A state of v2 or later (files by name, metadata ranges, no extents) can
// be written as any major from v2 on; they differ only in where the iova
// maps sit.  Write the newest one the target kernel accepts, so that a
// rollback to a kernel that knows at most v2 keeps working.  A v1 state
// stays v1, and a target that knows neither gets the newest and is refused
// by the support check after encoding, which says why.
void pick_abi_major(pkh::Handover &handover, std::span<const std::uint8_t> kernel_image)
{
	constexpr std::uint16_t first_metadata_major = 2;
	if (handover.abi_major < first_metadata_major)
		return;
	auto support = pkh::kexec::find_kernel_support(kernel_image);
	if (!support)
		return;
	for (std::uint16_t major = PKH_ABI_MAJOR; major >= first_metadata_major; --major) {
		if (major >= support->abi_major_min && major <= support->abi_major_max) {
			handover.abi_major = major;
			return;
		}
	}
	handover.abi_major = PKH_ABI_MAJOR;
}

// The whole preparation; each step's error says which step failed.
Result<Bytes> prepare(const pkh_kexec_request &request, const std::string &kernel_path,
		      std::span<const std::uint8_t> kernel_image)
{
	if (const char *raw = std::getenv(PKH_KEXEC_RAW_BLOB_ENV); raw != nullptr && *raw != '\0') {
		auto bytes = pkh::util::read_file(raw, pkh::util::max_blob_file_size);
		if (!bytes)
			return bytes.error();
		auto supported = pkh::kexec::check_kernel_support(kernel_image, kernel_path, PKH_ABI_MAJOR);
		if (!supported) {
			Error e = supported.error();
			e.why = "refusing to attach a handover to this kernel: " + e.why;
			return e;
		}
		std::fprintf(stderr, "%sTEST: attaching %s as it is, unchecked (%s)\n", PREFIX, raw,
			     PKH_KEXEC_RAW_BLOB_ENV);
		// The overlap checks need a model; a damaged blob has none.
		auto decoded = pkh::decode(*bytes);
		if (decoded)
			prepared_handover = std::move(*decoded);
		return bytes;
	}

	auto handover = load_state(request);
	if (!handover)
		return handover.error();
	pick_abi_major(*handover, kernel_image);

	auto blob = pkh::encode(*handover);
	if (!blob) {
		Error e = blob.error();
		e.why = "the handover state is not valid: " + e.why;
		return e;
	}

	// Read the blob back as the next kernel will: what we attach must
	// pass the same checks, and describe the same state.
	auto decoded = pkh::decode(*blob);
	if (!decoded) {
		Error e = decoded.error();
		e.why = "the encoded blob fails its own validation (a libpkhandover bug): " + e.why;
		return e;
	}
	if (!(*decoded == *handover))
		return Error{ErrorCode::BAD_VALUE, "blob",
			     "the encoded blob decodes to a different state (a libpkhandover bug)"};

	const auto *header = reinterpret_cast<const pkh_blob_header *>(blob->data());
	const std::uint32_t blob_major = le16toh(header->abi_major);
	auto supported = pkh::kexec::check_kernel_support(kernel_image, kernel_path, blob_major);
	if (!supported) {
		Error e = supported.error();
		e.why = "refusing to attach a handover to this kernel: " + e.why;
		return e;
	}

	prepared_handover = std::move(*handover);
	return blob;
}

void print_error(const Error &e)
{
	std::fprintf(stderr, "%s%s\n", PREFIX, e.message().c_str());
}

// The lockdown mode in force ("integrity", "confidentiality"), or empty
// when the kernel is not locked down or does not say (no securityfs, no
// lockdown LSM): then kexec_load's own answer is the one that counts.
std::string lockdown_mode()
{
	const char *env = std::getenv(PKH_KEXEC_LOCKDOWN_ENV);
	const char *path = env != nullptr && *env != '\0' ? env : PKH_KEXEC_LOCKDOWN;
	auto bytes = pkh::util::read_file(path, 4096);
	if (!bytes)
		return {};
	const std::string text(bytes->begin(), bytes->end());
	const auto open = text.find('['), close = text.find(']');
	if (open == std::string::npos || close == std::string::npos || close < open)
		return {};
	const std::string mode = text.substr(open + 1, close - open - 1);
	return mode == "none" ? std::string{} : mode;
}

} // namespace

extern "C" int pkh_kexec_check_options(const struct pkh_kexec_request *request, int loading, int crash,
				       int file_syscall)
{
	if (!request->live_update) {
		if (request->handover_spec || request->handover_out) {
			std::fprintf(stderr, "kexec: --handover-spec and --handover-out only apply "
					     "together with --live-update\n");
			return -1;
		}
		return 0;
	}
	if (crash) {
		std::fprintf(stderr,
			     "%scannot be combined with -p (--load-panic): a crash kernel "
			     "never receives a handover\n",
			     PREFIX);
		return -1;
	}
	if (file_syscall == PKH_KEXEC_SYSCALL_FILE_OR_LOAD) {
		std::fprintf(stderr,
			     "%scannot be combined with -a: a live update must not fall back "
			     "from kexec_file_load to kexec_load unseen; use -s (the kernel "
			     "builds the handover) or -c (kexec builds it)\n",
			     PREFIX);
		return -1;
	}
	if (file_syscall == PKH_KEXEC_SYSCALL_FILE && request->handover_spec) {
		std::fprintf(stderr,
			     "%s--handover-spec cannot be combined with -s: under "
			     "kexec_file_load the running kernel builds the handover from "
			     "its own state (%s)\n",
			     PREFIX, PKH_KEXEC_LIVE_HANDOVER);
		return -1;
	}
	if (!loading) {
		std::fprintf(stderr,
			     "%sapplies to loading a kernel (-l); it cannot be combined with "
			     "-e, -u or -S\n",
			     PREFIX);
		return -1;
	}
	// A dry run loads nothing, so lockdown does not stop it.
	if (file_syscall == PKH_KEXEC_SYSCALL_LOAD && !pkh_kexec_dry_run(request)) {
		if (const std::string mode = lockdown_mode(); !mode.empty()) {
			std::fprintf(stderr,
				     "%sthe running kernel is locked down (%s), so it refuses kexec_load: "
				     "only kexec_file_load of a signed kernel works there; use "
				     "kexec -s --live-update (the kernel then builds the handover itself)\n",
				     PREFIX, mode.c_str());
			return -1;
		}
	}
	return 0;
}

extern "C" int pkh_kexec_dry_run(const struct pkh_kexec_request *request)
{
	return request->live_update && request->handover_out != nullptr;
}

extern "C" int pkh_kexec_prepare(const struct pkh_kexec_request *request, const char *kernel_path,
				 const void *kernel_image, size_t kernel_size, struct pkh_kexec_blob *out)
{
	out->bytes = nullptr;
	out->size = 0;
	prepared_handover.reset();
	try {
		std::span<const std::uint8_t> image{static_cast<const std::uint8_t *>(kernel_image), kernel_size};
		auto blob = prepare(*request, kernel_path ? kernel_path : "(kernel)", image);
		if (!blob) {
			print_error(blob.error());
			return -1;
		}
		if (pkh_kexec_dry_run(request)) {
			auto written = write_blob_file(request->handover_out, *blob);
			if (!written) {
				print_error(written.error());
				return -1;
			}
			std::printf("kexec: --live-update: wrote the %zu-byte handover blob for %s to %s; "
				    "nothing was loaded\n",
				    blob->size(), kernel_path, request->handover_out);
		}
		auto *bytes = static_cast<unsigned char *>(std::malloc(blob->size()));
		if (bytes == nullptr)
			throw std::bad_alloc();
		std::memcpy(bytes, blob->data(), blob->size());
		out->bytes = bytes;
		out->size = blob->size();
		return 0;
	} catch (const std::exception &e) {
		std::fprintf(stderr, "%sinternal error: %s\n", PREFIX, e.what());
		return -1;
	}
}

extern "C" int pkh_kexec_prepare_file(const struct pkh_kexec_request *request, const char *kernel_path,
				      const void *kernel_image, size_t kernel_size)
{
	try {
		const std::string path = kernel_path ? kernel_path : "(kernel)";
		std::span<const std::uint8_t> image{static_cast<const std::uint8_t *>(kernel_image), kernel_size};
		// The kernel writes the newest major it knows: ours.
		if (auto supported = pkh::kexec::check_kernel_support(image, path, PKH_ABI_MAJOR); !supported) {
			Error e = supported.error();
			e.why = "refusing to load this kernel for a live update: " + e.why;
			print_error(e);
			return -1;
		}
		if (::access(PKH_KEXEC_LIVE_HANDOVER, F_OK) != 0) {
			print_error(Error{ErrorCode::UNSUPPORTED, PKH_KEXEC_LIVE_HANDOVER,
					  "the running kernel cannot build a handover (it lacks the pkhandover "
					  "series), so -s cannot carry one"});
			return -1;
		}
		auto blob = pkh::util::read_file(PKH_KEXEC_LIVE_HANDOVER, pkh::util::max_blob_file_size);
		if (!blob) {
			Error e = blob.error();
			e.why = "the running kernel cannot build its handover now (is pkernfs mounted?): " + e.why;
			print_error(e);
			return -1;
		}
		if (auto decoded = pkh::decode(*blob); !decoded) {
			Error e = decoded.error();
			e.why = "the running kernel's handover is not valid (a kernel bug): " + e.why;
			print_error(e);
			return -1;
		}
		if (pkh_kexec_dry_run(request)) {
			if (auto written = write_blob_file(request->handover_out, *blob); !written) {
				print_error(written.error());
				return -1;
			}
			std::printf("kexec: --live-update: wrote the %zu-byte handover blob the running kernel "
				    "builds now (%s) for %s to %s; nothing was loaded\n",
				    blob->size(), PKH_KEXEC_LIVE_HANDOVER, path.c_str(), request->handover_out);
		}
		return 0;
	} catch (const std::exception &e) {
		std::fprintf(stderr, "%sinternal error: %s\n", PREFIX, e.what());
		return -1;
	}
}

extern "C" void pkh_kexec_file_load_failed(int err)
{
	if (err == EINVAL)
		std::fprintf(stderr,
			     "%sthe running kernel refused KEXEC_FILE_LIVE_UPDATE (EINVAL): it lacks the "
			     "pkhandover series' kexec_file_load support; use -c\n",
			     PREFIX);
	else if (err == EOPNOTSUPP)
		std::fprintf(stderr, "%sthe kernel's loader for this image type cannot attach a handover\n", PREFIX);
	else if (err == ENODEV)
		std::fprintf(stderr, "%sthe running kernel has nothing to hand over: pkernfs is not mounted\n", PREFIX);
	else if (err == EPERM) {
		// Lockdown answers an image whose signature it cannot verify
		// against the trusted keys with EPERM (kimage_validate_signature).
		if (const std::string mode = lockdown_mode(); !mode.empty())
			std::fprintf(stderr,
				     "%sthe running kernel is locked down (%s) and could not verify this "
				     "image's signature: only a kernel signed (sbsign) with a key in its "
				     "trusted keyring can be loaded; nothing was loaded and nothing of the "
				     "live update changed\n",
				     PREFIX, mode.c_str());
	} else if (err == EKEYREJECTED || err == ENOKEY || err == EBADMSG || err == ENODATA)
		// KEXEC_SIG_FORCE without lockdown returns the verifier's own error.
		std::fprintf(stderr,
			     "%sthe running kernel enforces kexec signatures and did not accept this "
			     "image (%s): sign it (sbsign) with a key in its trusted keyring\n",
			     PREFIX, std::strerror(err));
}

extern "C" void pkh_kexec_blob_free(struct pkh_kexec_blob *blob)
{
	std::free(blob->bytes);
	blob->bytes = nullptr;
	blob->size = 0;
}

namespace
{

Status dump_segments(const char *path, const pkh_kexec_segment *segments, int nr_segments)
{
	Bytes out;
	auto put64 = [&out](std::uint64_t v) {
		for (int i = 0; i < 8; i++)
			out.push_back(std::uint8_t(v >> (8 * i)));
	};
	static constexpr char magic[8] = {'P', 'K', 'H', 'S', 'E', 'G', 'S', '1'};
	out.insert(out.end(), magic, magic + sizeof(magic));
	put64(std::uint64_t(nr_segments));
	for (int i = 0; i < nr_segments; i++) {
		const auto &s = segments[i];
		put64(reinterpret_cast<std::uintptr_t>(s.mem));
		put64(s.memsz);
		put64(s.buf ? s.bufsz : 0);
		if (s.buf && s.bufsz) {
			const auto *b = static_cast<const std::uint8_t *>(s.buf);
			out.insert(out.end(), b, b + s.bufsz);
		}
	}
	return write_blob_file(path, out);
}

} // namespace

extern "C" int pkh_kexec_segments_ready(const struct pkh_kexec_segment *segments, int nr_segments,
					int handover_attached)
{
	try {
		if (prepared_handover && !handover_attached) {
			std::fprintf(stderr,
				     "%sthe kexec loader for this kernel image type does not attach "
				     "a handover (x86: bzImage and ELF with Linux boot parameters; "
				     "arm64: its device tree); refusing to load the kernel without it\n",
				     PREFIX);
			return -1;
		}
		if (prepared_handover) {
			pkh::MemoryConstraints constraints;
			for (int i = 0; i < nr_segments; i++)
				constraints.reserved_for_boot.push_back(
					pkh::PhysRange{reinterpret_cast<std::uintptr_t>(segments[i].mem),
						       segments[i].memsz, fmt::format("kexec segment {}", i)});
			auto valid = pkh::validate(*prepared_handover, constraints);
			if (!valid) {
				Error e = valid.error();
				e.why = "the image kexec placed conflicts with preserved memory: " + e.why;
				print_error(e);
				return -1;
			}
		}
		const char *dump = std::getenv(PKH_KEXEC_DUMP_ENV);
		if (dump == nullptr || *dump == '\0')
			return 0;
		auto dumped = dump_segments(dump, segments, nr_segments);
		if (!dumped) {
			print_error(dumped.error());
			return -1;
		}
		std::fprintf(stderr, "kexec: %s: dumped %d segments to %s; nothing was loaded\n", PKH_KEXEC_DUMP_ENV,
			     nr_segments, dump);
		return 1;
	} catch (const std::exception &e) {
		std::fprintf(stderr, "%sinternal error: %s\n", PREFIX, e.what());
		return -1;
	}
}
