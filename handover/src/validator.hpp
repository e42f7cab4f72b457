// SPDX-License-Identifier: GPL-2.0-only
//
// The value rules of the ABI, shared by validate() (on a model built from a
// spec) and decode() (interleaved with reading the FDT), so both report the
// same first fault in the order docs/VALIDATION.md gives.
#pragma once

#include <pkhandover/handover.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace pkh::detail {

Error make_error(ErrorCode code, std::string where, std::string why);

std::string region_path(std::size_t region);
std::string file_path(std::size_t region, std::size_t file);
std::string unit_path(std::size_t unit);
std::string domain_path(std::size_t domain);
std::string device_path(std::size_t device);

class Validator {
public:
	// `major`: the ABI major of the blob or model (v1: file extents; v2:
	// region metadata ranges; v3: each domain's iova map on the domain).
	Validator(const MemoryConstraints &constraints, std::uint16_t major) : constraints_(constraints), major_(major)
	{
	}

	// Root values: generation, nonce, creator.
	Status root(const Handover &handover) const;

	// Region values (not its files), its metadata ranges last; regions[0..index)
	// are already valid.
	Status region(const std::vector<PkernfsRegion> &regions, std::size_t index);

	// Called before the first file of a region: resets the block bitmap.
	void begin_files(const PkernfsRegion &region);
	// File values; files[0..index) of the region are already valid.
	Status file(const PkernfsRegion &region, std::size_t region_index, std::size_t index);

	Status unit(const Handover &handover, std::size_t index) const;
	// Domain values, and in ABI v3 its iova map: what decode() read from
	// the domain's node, or for validate() the map of its devices.
	Status domain(const Handover &handover, std::size_t index, const IovaMap &map) const;
	// Device values: in v1 and v2 its own iova map; in every major, that
	// the map is the one of the first device attached to the same domain.
	// Devices are checked in index order; each one's domain remembers its
	// first device for the later ones to be compared with.
	Status device(const Handover &handover, std::size_t index);

private:
	// VALIDATION.md 8.7 to 8.9, where the map is (`path`: its node).
	Status iova_map(const Handover &handover, const IovaMap &map, const IommuDomain &domain,
			const std::string &path) const;

	const MemoryConstraints &constraints_;
	std::uint16_t major_;
	std::vector<std::uint64_t> used_blocks_; // bitmap of the current region
	std::set<std::string> file_names_;	  // names of the current region
	std::vector<std::size_t> first_device_;	  // per domain; npos: none yet
};

// For each domain, the index of the first device attached to it, or
// handover.devices.size() for a domain without devices: one pass, so that
// 4096 domains and their devices cost no more than reading them.  Domain
// references out of range are skipped (the validator refuses them).
std::vector<std::size_t> first_device_of_each_domain(const Handover &handover);

bool is_printable_string(const std::string &text);
bool valid_file_name(const std::string &name);

} // namespace pkh::detail
