// SPDX-License-Identifier: GPL-2.0-only
//
// Encoder: a validated model becomes header + FDT, written with libfdt's
// sequential-write API straight into the output buffer (bulk arrays through
// fdt_property_placeholder, so each extent is written once).  The properties
// of each node are those of its schema table, in table order.
#include "encode_internal.hpp"
#include "fdt_io.hpp"
#include "schema.hpp"
#include "validator.hpp"

#include <algorithm>
#include <fmt/format.h>

extern "C" {
#include <libfdt.h>
}

namespace pkh
{

using detail::make_error;

namespace
{

// Upper bound of the FDT size: fixed costs per node and property, plus the
// payloads.  Generous on purpose; the result is trimmed to the real size.
std::size_t fdt_size_estimate(const Handover &h)
{
	constexpr std::size_t per_node = 64, per_property = 16, scalar = 8, strings = 512;
	std::size_t size = 1024 + strings + h.creator.size();
	for (const PkernfsRegion &region : h.regions) {
		size += per_node + 7 * (per_property + scalar) + region.fs_uuid.size() + region.metadata_digest.size() +
			region.metadata.size() * sizeof(pkh_extent);
		for (const PkernfsFile &file : region.files)
			size += per_node + 4 * (per_property + scalar) + file.name.size() +
				file.extents.size() * sizeof(pkh_extent);
	}
	size += per_node * 2;
	size += (h.iommu_units.size() + h.iommu_domains.size()) * (per_node + 7 * (per_property + scalar));
	// Every device's map counts, though v3 writes only one per domain.
	for (const VfioDevice &device : h.devices)
		size += per_node + 6 * (per_property + 16) + device.iova_map.size() * sizeof(pkh_iova_mapping);
	return size;
}

class FdtWriter
{
public:
	explicit FdtWriter(void *buffer) : fdt_(buffer) {}

	void begin(const std::string &name) { check(fdt_begin_node(fdt_, name.c_str())); }
	void end() { check(fdt_end_node(fdt_)); }
	void u32(const char *name, std::uint32_t value) { check(fdt_property_u32(fdt_, name, value)); }
	void u64(const char *name, std::uint64_t value) { check(fdt_property_u64(fdt_, name, value)); }
	void string(const char *name, const std::string &value)
	{
		check(fdt_property_string(fdt_, name, value.c_str()));
	}
	void bytes(const char *name, const void *value, std::size_t size)
	{
		check(fdt_property(fdt_, name, value, static_cast<int>(size)));
	}
	std::uint8_t *placeholder(const char *name, std::size_t size)
	{
		void *value = nullptr;
		check(fdt_property_placeholder(fdt_, name, static_cast<int>(size), &value));
		return static_cast<std::uint8_t *>(value);
	}

	// The first libfdt failure; later calls are skipped.
	int status() const { return status_; }
	bool failed() const { return status_ != 0; }

private:
	void check(int rc)
	{
		if (status_ == 0 && rc < 0)
			status_ = rc;
	}
	void *fdt_;
	int status_ = 0;
};

std::string list_node(const char *kind, std::size_t index)
{
	return fmt::format("{}@{:x}", kind, index);
}

// A packed array of records, written in place.
template <typename Record>
void write_records(FdtWriter &w, const char *property, std::span<const schema::Field<Record>> fields,
		   const std::vector<Record> &records, std::size_t record_size)
{
	std::uint8_t *out = w.placeholder(property, records.size() * record_size);
	if (!out)
		return;
	for (const Record &record : records) {
		schema::store_record(fields, record, out);
		out += record_size;
	}
}

// The properties of `fields` that ABI `major` has, from `record`, in table
// order.
template <typename Record>
void write_fields(FdtWriter &w, std::span<const schema::Field<Record>> fields, const Record &record,
		  std::uint16_t major)
{
	using schema::Format;
	for (std::size_t i = 0; i < fields.size();) {
		const schema::Field<Record> &field = fields[i];
		if (!field.property || !field.in_major(major)) {
			i++;
			continue;
		}
		if (field.format == Format::extents) {
			write_records(w, field.property, schema::extent_fields(), record.*field.extents,
				      sizeof(pkh_extent));
			i++;
			continue;
		}
		if (field.format == Format::digest) {
			const Digest &digest = record.*field.digest;
			w.bytes(field.property, digest.data(), digest.size());
			i++;
			continue;
		}
		if (field.format == Format::text) {
			w.string(field.property, record.*field.text);
			i++;
			continue;
		}
		if (field.format == Format::uuid) {
			const Uuid &uuid = record.*field.uuid;
			w.bytes(field.property, uuid.data(), uuid.size());
			i++;
			continue;
		}
		// Consecutive fields of one property are its 32-bit cells.
		std::size_t end = i + 1;
		while (end < fields.size() && fields[end].property &&
		       std::string_view(fields[end].property) == field.property)
			end++;
		if (end == i + 1 && field.width() == 8) {
			w.u64(field.property, field.get(record));
		} else if (end == i + 1) {
			w.u32(field.property, static_cast<std::uint32_t>(field.get(record)));
		} else {
			std::vector<fdt32_t> cells;
			for (std::size_t k = i; k < end; k++)
				cells.push_back(cpu_to_fdt32(static_cast<std::uint32_t>(fields[k].get(record))));
			w.bytes(field.property, cells.data(), cells.size() * sizeof(fdt32_t));
		}
		i = end;
	}
}

void write_tree(FdtWriter &w, const Handover &h)
{
	const std::uint16_t major = h.abi_major;
	w.begin("");
	w.string(PKH_PROP_COMPATIBLE, fmt::format("{}{}", PKH_COMPATIBLE_PREFIX, major));
	write_fields(w, schema::root_fields(), h, major);

	w.begin(PKH_NODE_REGIONS);
	for (std::size_t r = 0; r < h.regions.size() && !w.failed(); r++) {
		const PkernfsRegion &region = h.regions[r];
		w.begin(list_node(PKH_NODE_REGION, r));
		write_fields(w, schema::region_fields(), region, major);
		for (std::size_t f = 0; f < region.files.size() && !w.failed(); f++) {
			const PkernfsFile &file = region.files[f];
			w.begin(list_node(PKH_NODE_FILE, f));
			write_fields(w, schema::file_fields(), file, major);
			w.end();
		}
		w.end();
	}
	w.end();

	if (!h.iommu_units.empty() || !h.iommu_domains.empty()) {
		w.begin(PKH_NODE_IOMMU);
		for (std::size_t u = 0; u < h.iommu_units.size(); u++) {
			w.begin(list_node(PKH_NODE_UNIT, u));
			write_fields(w, schema::unit_fields(), h.iommu_units[u], major);
			w.end();
		}
		const std::vector<std::size_t> first_device = detail::first_device_of_each_domain(h);
		for (std::size_t d = 0; d < h.iommu_domains.size(); d++) {
			w.begin(list_node(PKH_NODE_DOMAIN, d));
			write_fields(w, schema::domain_fields(), h.iommu_domains[d], major);
			// v3: the map of the devices attached to the domain, once
			// (validate() has checked they agree); none if it has none.
			if (major >= 3) {
				const std::size_t first = first_device[d];
				write_records(w, PKH_PROP_IOVA_MAP, schema::iova_mapping_fields(),
					      first == h.devices.size() ? IovaMap{}.ranges()
									: h.devices[first].iova_map.ranges(),
					      sizeof(pkh_iova_mapping));
			}
			w.end();
		}
		w.end();
	}

	if (!h.devices.empty()) {
		w.begin(PKH_NODE_DEVICES);
		for (std::size_t d = 0; d < h.devices.size() && !w.failed(); d++) {
			const VfioDevice &device = h.devices[d];
			w.begin(list_node(PKH_NODE_DEVICE, d));
			write_fields(w, schema::device_fields(), device, major);
			if (major < 3)
				write_records(w, PKH_PROP_IOVA_MAP, schema::iova_mapping_fields(),
					      device.iova_map.ranges(), sizeof(pkh_iova_mapping));
			w.end();
		}
		w.end();
	}
	w.end();
}

} // namespace

Result<Bytes> encode(const Handover &handover)
{
	if (auto status = validate(handover); !status)
		return status.error();
	return detail::encode_unchecked(handover);
}

Result<Bytes> detail::encode_unchecked(const Handover &handover)
{
	const std::size_t estimate = fdt_size_estimate(handover);
	if (estimate > PKH_MAX_BLOB_SIZE * 2ull)
		return make_error(
			ErrorCode::TOO_LARGE, "/",
			fmt::format("the state needs about {} bytes; the cap is {}", estimate, PKH_MAX_BLOB_SIZE));
	Bytes blob(PKH_BLOB_HEADER_SIZE + estimate);
	void *fdt = blob.data() + PKH_BLOB_HEADER_SIZE;
	FdtWriter writer(fdt);
	int rc = fdt_create(fdt, static_cast<int>(estimate));
	if (rc == 0)
		rc = fdt_finish_reservemap(fdt);
	if (rc == 0) {
		write_tree(writer, handover);
		rc = writer.status();
	}
	if (rc == 0)
		rc = fdt_finish(fdt);
	if (rc != 0)
		return make_error(ErrorCode::BAD_FDT, "/", fmt::format("libfdt: {}", fdt_strerror(rc)));

	const std::size_t total = PKH_BLOB_HEADER_SIZE + fdt_totalsize(fdt);
	if (total > PKH_MAX_BLOB_SIZE)
		return make_error(ErrorCode::TOO_LARGE, "/",
				  fmt::format("blob would be {} bytes; the cap is {}", total, PKH_MAX_BLOB_SIZE));
	blob.resize(total);

	std::uint8_t *header = blob.data();
	detail::store_le32(header + 0, PKH_BLOB_MAGIC);
	detail::store_le16(header + 4, handover.abi_major);
	detail::store_le16(header + 6, handover.abi_minor);
	detail::store_le32(header + 8, PKH_BLOB_HEADER_SIZE);
	detail::store_le32(header + 12, static_cast<std::uint32_t>(total));
	detail::store_le32(header + 16, detail::crc32_of(std::span(blob).subspan(PKH_BLOB_HEADER_SIZE)));
	detail::store_le32(header + 20, 0);
	detail::store_le64(header + 24, 0);
	return blob;
}

} // namespace pkh
