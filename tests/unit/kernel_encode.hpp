// SPDX-License-Identifier: GPL-2.0-only
//
// A C++ face for the kernel-C encoder (kernel/.../pkh_encode.c): a
// libpkhandover model as the struct pkh_state the kernel fills in, and the
// blob pkh_encode() writes of it.  The unit tests and the fuzzer compare
// that blob with libpkhandover's encode(), byte for byte.
#pragma once

#include <pkhandover/handover.hpp>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string>
#include <vector>

extern "C" {
#include "pkh_encode.h"
}

namespace pkh::kencode
{

// The model as the kernel would describe it; the C struct points into the
// vectors, so it is neither copied nor moved.
class KernelState
{
public:
	explicit KernelState(const Handover &h)
	{
		regions_.reserve(h.regions.size());
		for (const PkernfsRegion &region : h.regions) {
			auto &ranges = ranges_.emplace_back();
			for (const Extent &range : region.metadata)
				ranges.push_back({range.region_offset, range.length});
			auto &files = files_.emplace_back();
			for (const PkernfsFile &file : region.files)
				files.push_back({file.name.c_str(), file.inode, file.size});
			pkh_state_region out{};
			out.base = region.base;
			out.size = region.size;
			out.block_size = region.block_size;
			std::copy(region.fs_uuid.begin(), region.fs_uuid.end(), out.fs_uuid);
			out.flags = region.flags;
			out.metadata = ranges.data();
			out.nr_metadata = static_cast<unsigned int>(ranges.size());
			std::copy(region.metadata_digest.begin(), region.metadata_digest.end(), out.metadata_digest);
			out.files = files.data();
			out.nr_files = static_cast<unsigned int>(files.size());
			regions_.push_back(out);
		}
		for (const IommuUnit &unit : h.iommu_units)
			units_.push_back({unit.type, unit.reg_base, unit.segment, unit.root_table,
					  unit.translation_mode, unit.table_region});
		// The kernel knows each domain's map; the model has it on each
		// device attached to it (validate() checks they agree).
		for (std::size_t d = 0; d < h.iommu_domains.size(); d++) {
			const IommuDomain &domain = h.iommu_domains[d];
			auto &map = maps_.emplace_back();
			for (const VfioDevice &device : h.devices) {
				if (device.domain != d)
					continue;
				for (const IovaMapping &m : device.iova_map)
					map.push_back({m.iova, m.region_offset, m.length, m.region, m.perm});
				break;
			}
			domains_.push_back({domain.unit, domain.domain_id, domain.pgtable_root, domain.format,
					    domain.levels, domain.address_width, map.data(),
					    static_cast<unsigned int>(map.size())});
		}
		for (const VfioDevice &device : h.devices)
			devices_.push_back({device.pci_address,
					    {device.ids.vendor, device.ids.device, device.ids.subsystem_vendor,
					     device.ids.subsystem_device},
					    device.iommu_group,
					    device.domain,
					    device.flags});
		state_.abi_major = h.abi_major;
		state_.abi_minor = h.abi_minor;
		state_.generation = h.generation;
		state_.nonce = h.nonce;
		state_.creator = h.creator.c_str();
		state_.regions = regions_.data();
		state_.nr_regions = static_cast<unsigned int>(regions_.size());
		state_.units = units_.data();
		state_.nr_units = static_cast<unsigned int>(units_.size());
		state_.domains = domains_.data();
		state_.nr_domains = static_cast<unsigned int>(domains_.size());
		state_.devices = devices_.data();
		state_.nr_devices = static_cast<unsigned int>(devices_.size());
	}
	KernelState(const KernelState &) = delete;
	KernelState &operator=(const KernelState &) = delete;

	const pkh_state &state() const { return state_; }

private:
	pkh_state state_{};
	std::vector<pkh_state_region> regions_;
	std::vector<std::vector<pkh_state_range>> ranges_;
	std::vector<std::vector<pkh_state_file>> files_;
	std::vector<pkh_state_unit> units_;
	std::vector<pkh_state_domain> domains_;
	std::vector<std::vector<pkh_state_mapping>> maps_;
	std::vector<pkh_state_device> devices_;
};

// What pkh_encode() writes for `h`: the blob, or -errno.  The buffer is
// 8-byte aligned, as libfdt wants, and pkh_encode_bound() rounded up to 8
// bytes; pkh_encode() is told the bound itself, so libfdt's own checks keep
// it inside and ASan sees a write beyond the last 8-byte word.
struct Encoded {
	int status = 0;
	std::size_t bound = 0;
	Bytes blob;
};

inline Encoded kernel_encode(const Handover &h)
{
	const KernelState kernel(h);
	Encoded out;
	out.bound = pkh_encode_bound(&kernel.state());
	if (out.bound == 0) {
		out.status = -EINVAL;
		return out;
	}
	std::unique_ptr<std::uint64_t[]> buffer(new std::uint64_t[(out.bound + 7) / 8]);
	auto *bytes = reinterpret_cast<std::uint8_t *>(buffer.get());
	std::size_t length = 0;
	out.status = pkh_encode(&kernel.state(), bytes, out.bound, &length);
	if (out.status == 0)
		out.blob.assign(bytes, bytes + length);
	return out;
}

} // namespace pkh::kencode
