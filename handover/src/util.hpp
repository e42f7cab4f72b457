// SPDX-License-Identifier: GPL-2.0-only
//
// The small helper set that libpkhandover, the pkhandover tool and the kexec
// hook all need: a file descriptor that closes itself, a bounded file reader,
// a full write, and the few number formats the three print.  Internal: it is
// not in the installed headers and libpkhandover.so does not export it (the
// tool links its own copy, libpkhutil; the hook gets it from the static
// libpkhandover.a).
#pragma once

#include <pkhandover/handover.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace pkh::util
{

// A file descriptor closed on every path.
class FileDescriptor
{
public:
	explicit FileDescriptor(int fd) : fd_(fd) {}
	FileDescriptor(const FileDescriptor &) = delete;
	FileDescriptor &operator=(const FileDescriptor &) = delete;
	~FileDescriptor();

	[[nodiscard]] int get() const { return fd_; }
	// Closes now and returns close()'s result: after a write, close() is
	// where some filesystems report that the data did not make it.
	int close();

private:
	int fd_;
};

// The whole file, refused when it holds more than `limit` bytes.  Reads to
// EOF rather than trusting st_size (sysfs files report 0).  Errors are
// ErrorCode::IO with the path in `where`.
[[nodiscard]] Result<Bytes> read_file(const std::string &path, std::size_t limit);
// The rest of an open file (a pipe, stdin), with the same limit; `path`
// names it in errors.
[[nodiscard]] Result<Bytes> read_all(int fd, const std::string &path, std::size_t limit);

// What the readers of blobs accept: a blob, or a dtb carrying one, is at
// most twice the ABI's cap.
inline constexpr std::size_t max_blob_file_size = 2ull * PKH_MAX_BLOB_SIZE;

// Writes all of `bytes` to `fd`, retrying short writes and EINTR; `path`
// names the file in the error.
[[nodiscard]] Status write_all(int fd, const std::string &path, std::span<const std::uint8_t> bytes);

// Size with a binary unit, e.g. "4 GiB", "2 MiB", "1.50 KiB", "1536 B".
// Rounds: for reading, never for comparing.
[[nodiscard]] std::string human_size(std::uint64_t bytes);
// "0x1f"
[[nodiscard]] std::string hex(std::uint64_t value);
// "0000:00:02.0", as lspci -D prints it.
[[nodiscard]] std::string pci_address_string(std::uint32_t pci_address);

} // namespace pkh::util
