// SPDX-License-Identifier: GPL-2.0-only
//
// libpkhandover: the model of a live-update handover, its encoder to the
// blob described in <pkhandover/abi.h>, the decoder that validates a blob,
// and the JSON spec format used by pkhandover and kexec --live-update.
//
// The library's ABI is what this header marks PKH_API, and nothing else:
// libpkhandover.so is built with -fvisibility=hidden and a version script,
// and `make check` compares its exported symbols with
// tests/lib/exported-symbols.txt.  Only standard C++ types appear here,
// and IovaMap, a class defined inline in this header (no exported symbol).
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

extern "C" {
#include <pkhandover/abi.h>
#include <pkhandover/errors.h>
}

#define PKH_API __attribute__((visibility("default")))

namespace pkh
{

// ---------------------------------------------------------------- errors

enum class ErrorCode : int {
#define PKH_CPP_ERROR_ENTRY(name, text) name = PKH_ERR_##name,
	PKH_ERROR_LIST(PKH_CPP_ERROR_ENTRY)
#undef PKH_CPP_ERROR_ENTRY
	// Errors that are not about a blob: reading files, parsing JSON specs.
	IO = 1000,
	BAD_SPEC,
};

// Stable identifier of a code, e.g. "BAD_CRC".
[[nodiscard]] PKH_API const char *error_name(ErrorCode code);

struct Error {
	ErrorCode code = ErrorCode::OK;
	std::string where; // node/property path, e.g. "/regions/region@1/size"
	std::string why;   // the specific reason, with the offending values

	// "where: why (CODE)"
	[[nodiscard]] PKH_API std::string message() const;
};

// A value or an Error; errors are values until the CLI's top level turns
// them into a message and an exit code.  [[nodiscard]]: a dropped Result is
// a dropped error.
template <typename T> class [[nodiscard]] Result
{
public:
	Result(T value) : state_(std::move(value)) {}
	Result(Error error) : state_(std::move(error)) {}

	[[nodiscard]] bool ok() const { return state_.index() == 0; }
	explicit operator bool() const { return ok(); }
	[[nodiscard]] T &value() { return std::get<0>(state_); }
	[[nodiscard]] const T &value() const { return std::get<0>(state_); }
	T &operator*() { return value(); }
	const T &operator*() const { return value(); }
	T *operator->() { return &value(); }
	const T *operator->() const { return &value(); }
	[[nodiscard]] const Error &error() const { return std::get<1>(state_); }

private:
	std::variant<T, Error> state_;
};

struct Ok {
};
using Status = Result<Ok>;

// ---------------------------------------------------------------- model

using Bytes = std::vector<std::uint8_t>;
using Uuid = std::array<std::uint8_t, 16>;
// SHA-256 of a region's metadata ranges (ABI v2); the library never computes
// it, it carries what the old kernel took.
using Digest = std::array<std::uint8_t, PKH_METADATA_DIGEST_SIZE>;

struct Extent {
	std::uint64_t region_offset = 0;
	std::uint64_t length = 0;
	bool operator==(const Extent &) const = default;
};

struct PkernfsFile {
	std::string name;
	std::uint64_t inode = 0;
	std::uint64_t size = 0;
	std::vector<Extent> extents; // ABI v1 only: v2 files carry none
	bool operator==(const PkernfsFile &) const = default;
};

struct PkernfsRegion {
	std::uint64_t base = 0;
	std::uint64_t size = 0;
	std::uint32_t block_size = PKH_REGION_ALIGN;
	Uuid fs_uuid{};
	std::uint32_t flags = 0;
	// ABI v2 only: where the region's pkernfs metadata lies (ascending,
	// page-aligned, not touching) and the SHA-256 of those bytes.
	std::vector<Extent> metadata;
	Digest metadata_digest{};
	std::vector<PkernfsFile> files;
	bool operator==(const PkernfsRegion &) const = default;
};

struct IommuUnit {
	std::uint32_t type = PKH_IOMMU_TYPE_INTEL_VTD;
	std::uint64_t reg_base = 0;
	std::uint32_t segment = 0;
	std::uint64_t root_table = 0;
	std::uint32_t translation_mode = PKH_TRANSLATION_LEGACY;
	std::uint32_t table_region = 0;
	bool operator==(const IommuUnit &) const = default;
};

struct IommuDomain {
	std::uint32_t unit = 0;
	std::uint32_t domain_id = 0;
	std::uint64_t pgtable_root = 0;
	std::uint32_t format = PKH_PGTABLE_VTD_SECOND_LEVEL;
	std::uint32_t levels = 4;
	std::uint32_t address_width = 48;
	bool operator==(const IommuDomain &) const = default;
};

struct IovaMapping {
	std::uint64_t iova = 0;
	std::uint32_t region = 0;
	std::uint64_t region_offset = 0;
	std::uint64_t length = 0;
	std::uint32_t perm = PKH_IOVA_PERM_ALL;
	bool operator==(const IovaMapping &) const = default;
};

// The IOVA ranges a device reaches: what its domain translates.  Every
// device attached to one domain has the same map, as the hardware walks the
// same tables for all of them, and ABI v3 writes it once, on the domain.
// Copies share their ranges until one of them is changed, so decoding a v3
// blob holds each domain's map once however many devices it has, and
// comparing two devices' maps that share costs nothing.  A std::vector in
// every other respect that matters here: build it with push_back or a
// braced list, read it with size(), [] and range-for.
class IovaMap {
public:
	using value_type = IovaMapping;
	using const_iterator = std::vector<IovaMapping>::const_iterator;
	using iterator = std::vector<IovaMapping>::iterator;

	IovaMap() = default;
	IovaMap(std::initializer_list<IovaMapping> ranges) : IovaMap(std::vector<IovaMapping>(ranges)) {}
	IovaMap(std::vector<IovaMapping> ranges)
	    : ranges_(ranges.empty() ? nullptr : std::make_shared<std::vector<IovaMapping>>(std::move(ranges)))
	{
	}

	std::size_t size() const { return ranges_ ? ranges_->size() : 0; }
	bool empty() const { return size() == 0; }
	const std::vector<IovaMapping> &ranges() const { return ranges_ ? *ranges_ : no_ranges(); }
	const IovaMapping &operator[](std::size_t k) const { return ranges()[k]; }
	const_iterator begin() const { return ranges().begin(); }
	const_iterator end() const { return ranges().end(); }

	// Changing a map first gives it ranges of its own.
	IovaMapping &operator[](std::size_t k) { return own()[k]; }
	iterator begin() { return own().begin(); }
	iterator end() { return own().end(); }
	void push_back(const IovaMapping &range) { own().push_back(range); }
	void pop_back() { own().pop_back(); }
	void clear() { ranges_.reset(); }

	// Whether this and `other` are one map, not only equal ones.
	bool shares_ranges_with(const IovaMap &other) const { return ranges_ == other.ranges_; }
	bool operator==(const IovaMap &other) const
	{
		return shares_ranges_with(other) || ranges() == other.ranges();
	}

private:
	static const std::vector<IovaMapping> &no_ranges()
	{
		static const std::vector<IovaMapping> none;
		return none;
	}
	std::vector<IovaMapping> &own()
	{
		if (!ranges_)
			ranges_ = std::make_shared<std::vector<IovaMapping>>();
		else if (ranges_.use_count() > 1)
			ranges_ = std::make_shared<std::vector<IovaMapping>>(*ranges_);
		return *ranges_;
	}

	std::shared_ptr<std::vector<IovaMapping>> ranges_; // null: no ranges
};

struct PciIds {
	std::uint16_t vendor = 0;
	std::uint16_t device = 0;
	std::uint16_t subsystem_vendor = 0;
	std::uint16_t subsystem_device = 0;
	bool operator==(const PciIds &) const = default;
};

struct VfioDevice {
	std::uint32_t pci_address = 0; // PKH_PCI_ADDRESS(seg, bus, dev, fn)
	PciIds ids;
	std::uint32_t iommu_group = 0;
	std::uint32_t domain = 0;
	std::uint32_t flags = 0;
	IovaMap iova_map;
	bool operator==(const VfioDevice &) const = default;
};

struct Handover {
	// The blob's major: PKH_ABI_MAJOR (v3: region metadata, no file
	// extents, each domain's iova map on the domain), 2 (the map on each
	// device) or 1 (file extents, no metadata).  decode() gives the blob's;
	// encode() writes this one.
	std::uint16_t abi_major = PKH_ABI_MAJOR;
	std::uint16_t abi_minor = PKH_ABI_MINOR;
	std::uint64_t generation = 1;
	std::uint64_t nonce = 0;
	std::string creator;
	std::vector<PkernfsRegion> regions;
	std::vector<IommuUnit> iommu_units;
	std::vector<IommuDomain> iommu_domains;
	std::vector<VfioDevice> devices;
	bool operator==(const Handover &) const = default;
};

// ------------------------------------------------------ platform checks

struct PhysRange {
	std::uint64_t start = 0;
	std::uint64_t size = 0;
	std::string what; // "kernel", "initrd", "setup_data", "crashkernel"...
};

// What the platform knows that the blob does not: where RAM is and what the
// boot itself occupies.  Empty lists skip those checks (a blob examined on
// another machine).
struct MemoryConstraints {
	std::vector<PhysRange> ram;
	std::vector<PhysRange> reserved_for_boot;
};

// ---------------------------------------------------------------- API

// Checks every rule of the ABI on a model (what decode() enforces on a blob).
PKH_API Status validate(const Handover &handover, const MemoryConstraints &constraints = {});

// Validates, then encodes the blob: header, CRC and canonical FDT.
PKH_API Result<Bytes> encode(const Handover &handover);

// Full check of an untrusted blob (header, CRC, fdt_check_full, every rule)
// and the model it describes.
PKH_API Result<Handover> decode(std::span<const std::uint8_t> blob, const MemoryConstraints &constraints = {});

// The JSON spec: the format `pkhandover example` prints, `build` reads and
// `inspect --json` writes.  Addresses and sizes are hex strings; numbers and
// size suffixes (K, M, G, T) are accepted on input.  Both sides are JSON
// text, indented by two spaces on output.
[[nodiscard]] PKH_API std::string to_json(const Handover &handover);
PKH_API Result<Handover> parse_spec(const std::string &json_text);

// A realistic example (ABI v2): two regions with their pkernfs metadata
// ranges, one VT-d unit, two domains, three devices and a 4 GiB guest RAM
// file.
[[nodiscard]] PKH_API Handover example_handover();

// ------------------------------------------------------ finding blobs

// The blob carried by a dtb under /chosen (PKH_CHOSEN_PROP).
PKH_API Result<Bytes> blob_from_dtb(std::span<const std::uint8_t> dtb);
// The blob in a setup_data directory such as
// /sys/kernel/boot_params/setup_data: the entry whose type is ours.
PKH_API Result<Bytes> blob_from_setup_data_dir(const std::string &dir);
// A raw blob or a dtb carrying one, told apart by magic.
PKH_API Result<Bytes> blob_from_file_bytes(Bytes bytes);
// A file holding a raw blob or a dtb carrying one (at most twice the blob
// size cap).
PKH_API Result<Bytes> blob_from_file(const std::string &path);

// ------------------------------------------------------ presentation

// Human-readable tree of what preserves what.
[[nodiscard]] PKH_API std::string to_text(const Handover &handover);

// One difference between two handovers: a record only one side has, or a
// field whose raw values differ (compared as values, shown exactly).
struct Difference {
	enum class Kind { added, removed, changed };
	Kind kind = Kind::changed;
	std::string what;   // "region 0x100000000 file inode 2 size"
	std::string before; // the value on the first side; for removed, what it was
	std::string after;  // the value on the second side; for added, what it is
	std::string note;   // a remark on the change, e.g. ", 3 differ"

	// "~ what: before -> after", "+ what: after", "- what: before"
	[[nodiscard]] PKH_API std::string line() const;
	bool operator==(const Difference &) const = default;
};

// Every difference, records matched by identity (a region by its base, a
// file by inode, a unit by its register base, a domain by unit and id, a
// device by PCI address); empty when the two are the same.
[[nodiscard]] PKH_API std::vector<Difference> differences(const Handover &a, const Handover &b);
// The same as text lines, one per difference.
[[nodiscard]] PKH_API std::vector<std::string> diff(const Handover &a, const Handover &b);
// The same as a JSON array of {"kind", "what", "before", "after"} objects.
[[nodiscard]] PKH_API std::string differences_to_json(const std::vector<Difference> &differences);

} // namespace pkh
