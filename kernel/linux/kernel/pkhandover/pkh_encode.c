// SPDX-License-Identifier: GPL-2.0-only
/*
 * The handover blob of a struct pkh_state: the header of <pkhandover/abi.h>
 * and an FDT written with libfdt's sequential-write functions, node by node
 * and property by property in the order of the ABI's node tables, which is
 * the order libpkhandover writes.  Two encoders that make the same calls
 * make the same bytes: that is what lets a kernel-built blob be compared
 * with a library-built one, byte for byte.
 */
#include "pkh_encode.h"

#ifdef __KERNEL__
#include <linux/errno.h>
#else
#include <errno.h>
#endif

/* The FDT's fixed parts: its header, and the empty reservation map. */
#define PKH_ENC_FDT_HEADER	40u
#define PKH_ENC_FDT_RSVMAP	16u
/* A token, and a property's token, length and name offset. */
#define PKH_ENC_TOKEN		4u
#define PKH_ENC_PROP_HEAD	12u
/* "region@" and friends with a 32-bit hex index, and the NUL. */
#define PKH_ENC_NODE_NAME	32

/* Every property name the encoder writes; the strings block holds each once. */
static const char *const pkh_enc_names[] = {
	PKH_PROP_COMPATIBLE, PKH_PROP_GENERATION, PKH_PROP_NONCE,
	PKH_PROP_CREATOR, PKH_PROP_BASE, PKH_PROP_SIZE, PKH_PROP_BLOCK_SIZE,
	PKH_PROP_FS_UUID, PKH_PROP_FLAGS, PKH_PROP_METADATA,
	PKH_PROP_METADATA_DIGEST, PKH_PROP_NAME, PKH_PROP_INODE,
	PKH_PROP_TYPE, PKH_PROP_REG_BASE, PKH_PROP_SEGMENT,
	PKH_PROP_ROOT_TABLE, PKH_PROP_TRANSLATION_MODE, PKH_PROP_TABLE_REGION,
	PKH_PROP_UNIT, PKH_PROP_DOMAIN_ID, PKH_PROP_PGTABLE_ROOT,
	PKH_PROP_FORMAT, PKH_PROP_LEVELS, PKH_PROP_ADDRESS_WIDTH,
	PKH_PROP_PCI_ADDRESS, PKH_PROP_PCI_IDS, PKH_PROP_IOMMU_GROUP,
	PKH_PROP_DOMAIN, PKH_PROP_IOVA_MAP,
};

/* Bytes a node named "<kind>@<hex>" (or @name) takes in the struct block. */
static u64 pkh_enc_node_cost(size_t name_len)
{
	return 2 * PKH_ENC_TOKEN + ALIGN((u64)name_len + 1, 4);
}

static u64 pkh_enc_prop_cost(u64 value_len)
{
	return PKH_ENC_PROP_HEAD + ALIGN(value_len, 4);
}

static bool pkh_enc_major_ok(u16 major)
{
	return major == 2 || major == 3;
}

size_t pkh_encode_bound(const struct pkh_state *s)
{
	const u64 u32p = pkh_enc_prop_cost(4), u64p = pkh_enc_prop_cost(8);
	const u64 list_node = pkh_enc_node_cost(PKH_ENC_NODE_NAME);
	u64 size = PKH_BLOB_HEADER_SIZE + PKH_ENC_FDT_HEADER +
		   PKH_ENC_FDT_RSVMAP + PKH_ENC_TOKEN;
	const struct pkh_state_region *r;
	unsigned int i, j;
	u64 map_bytes;

	if (!pkh_enc_major_ok(s->abi_major) || !s->creator)
		return 0;
	for (i = 0; i < ARRAY_SIZE(pkh_enc_names); i++)
		size += strlen(pkh_enc_names[i]) + 1;

	/* The root: compatible, generation, nonce, creator. */
	size += pkh_enc_node_cost(0) +
		pkh_enc_prop_cost(sizeof(PKH_COMPATIBLE_PREFIX) + 5) +
		2 * u64p + pkh_enc_prop_cost(strlen(s->creator) + 1);

	size += pkh_enc_node_cost(sizeof(PKH_NODE_REGIONS));
	for (i = 0; i < s->nr_regions; i++) {
		r = &s->regions[i];
		size += list_node + 2 * u64p + 2 * u32p +
			pkh_enc_prop_cost(sizeof(r->fs_uuid)) +
			pkh_enc_prop_cost((u64)r->nr_metadata *
					  sizeof(struct pkh_extent)) +
			pkh_enc_prop_cost(PKH_METADATA_DIGEST_SIZE);
		for (j = 0; j < r->nr_files; j++) {
			if (!r->files[j].name)
				return 0;
			size += list_node + 2 * u64p +
				pkh_enc_prop_cost(strlen(r->files[j].name) + 1);
		}
		if (size > PKH_MAX_BLOB_SIZE)
			return 0;
	}

	size += pkh_enc_node_cost(sizeof(PKH_NODE_IOMMU));
	size += (u64)s->nr_units * (list_node + 4 * u32p + 2 * u64p);
	for (i = 0; i < s->nr_domains; i++) {
		size += list_node + 5 * u32p + u64p;
		if (s->abi_major >= 3)
			size += pkh_enc_prop_cost((u64)s->domains[i].nr_iova *
						  sizeof(struct pkh_iova_mapping));
		if (size > PKH_MAX_BLOB_SIZE)
			return 0;
	}

	size += pkh_enc_node_cost(sizeof(PKH_NODE_DEVICES));
	for (i = 0; i < s->nr_devices; i++) {
		if (s->devices[i].domain >= s->nr_domains)
			return 0;
		size += list_node + 4 * u32p + pkh_enc_prop_cost(16);
		/* v2: each device carries its domain's map. */
		map_bytes = (u64)s->domains[s->devices[i].domain].nr_iova *
			    sizeof(struct pkh_iova_mapping);
		if (s->abi_major < 3)
			size += pkh_enc_prop_cost(map_bytes);
		if (size > PKH_MAX_BLOB_SIZE)
			return 0;
	}
	return size > PKH_MAX_BLOB_SIZE ? 0 : (size_t)size;
}

/* Little-endian stores at any alignment: FDT values are 4-byte aligned. */
static void pkh_enc_le(u8 *p, u64 value, unsigned int bytes)
{
	unsigned int i;

	for (i = 0; i < bytes; i++)
		p[i] = (u8)(value >> (8 * i));
}

/*
 * struct pkh_enc - the tree being written
 * @fdt: the FDT, after the blob's header
 * @err: the first libfdt error; later calls do nothing
 */
struct pkh_enc {
	void *fdt;
	int err;
};

static void pkh_enc_check(struct pkh_enc *e, int ret)
{
	if (!e->err && ret < 0)
		e->err = ret;
}

static void pkh_enc_begin(struct pkh_enc *e, const char *name)
{
	if (!e->err)
		pkh_enc_check(e, fdt_begin_node(e->fdt, name));
}

static void pkh_enc_list_node(struct pkh_enc *e, const char *kind,
			      unsigned int index)
{
	char name[PKH_ENC_NODE_NAME];

	snprintf(name, sizeof(name), "%s@%x", kind, index);
	pkh_enc_begin(e, name);
}

static void pkh_enc_end(struct pkh_enc *e)
{
	if (!e->err)
		pkh_enc_check(e, fdt_end_node(e->fdt));
}

static void pkh_enc_u32(struct pkh_enc *e, const char *name, u32 value)
{
	if (!e->err)
		pkh_enc_check(e, fdt_property_u32(e->fdt, name, value));
}

static void pkh_enc_u64(struct pkh_enc *e, const char *name, u64 value)
{
	if (!e->err)
		pkh_enc_check(e, fdt_property_u64(e->fdt, name, value));
}

static void pkh_enc_bytes(struct pkh_enc *e, const char *name,
			  const void *value, int len)
{
	if (!e->err)
		pkh_enc_check(e, fdt_property(e->fdt, name, value, len));
}

static void pkh_enc_string(struct pkh_enc *e, const char *name,
			   const char *value)
{
	pkh_enc_bytes(e, name, value, (int)strlen(value) + 1);
}

/* Room for @len bytes of property @name, or NULL after an error. */
static u8 *pkh_enc_placeholder(struct pkh_enc *e, const char *name, u64 len)
{
	void *value = NULL;

	if (!e->err)
		pkh_enc_check(e, fdt_property_placeholder(e->fdt, name,
							  (int)len, &value));
	return e->err ? NULL : value;
}

static void pkh_enc_metadata(struct pkh_enc *e,
			     const struct pkh_state_region *r)
{
	u8 *out = pkh_enc_placeholder(e, PKH_PROP_METADATA,
				      (u64)r->nr_metadata *
				      sizeof(struct pkh_extent));
	unsigned int i;

	for (i = 0; out && i < r->nr_metadata; i++) {
		pkh_enc_le(out, r->metadata[i].offset, 8);
		pkh_enc_le(out + 8, r->metadata[i].length, 8);
		out += sizeof(struct pkh_extent);
	}
}

static void pkh_enc_iova_map(struct pkh_enc *e,
			     const struct pkh_state_domain *d)
{
	u8 *out = pkh_enc_placeholder(e, PKH_PROP_IOVA_MAP,
				      (u64)d->nr_iova *
				      sizeof(struct pkh_iova_mapping));
	const struct pkh_state_mapping *m;
	unsigned int i;

	for (i = 0; out && i < d->nr_iova; i++) {
		m = &d->iova_map[i];
		pkh_enc_le(out, m->iova, 8);
		pkh_enc_le(out + 8, m->region_offset, 8);
		pkh_enc_le(out + 16, m->length, 8);
		pkh_enc_le(out + 24, m->region, 4);
		pkh_enc_le(out + 28, m->perm, 4);
		out += sizeof(struct pkh_iova_mapping);
	}
}

static void pkh_enc_region(struct pkh_enc *e, const struct pkh_state_region *r,
			   unsigned int index)
{
	const struct pkh_state_file *f;
	unsigned int i;

	pkh_enc_list_node(e, PKH_NODE_REGION, index);
	pkh_enc_u64(e, PKH_PROP_BASE, r->base);
	pkh_enc_u64(e, PKH_PROP_SIZE, r->size);
	pkh_enc_u32(e, PKH_PROP_BLOCK_SIZE, r->block_size);
	pkh_enc_bytes(e, PKH_PROP_FS_UUID, r->fs_uuid, sizeof(r->fs_uuid));
	pkh_enc_u32(e, PKH_PROP_FLAGS, r->flags);
	pkh_enc_metadata(e, r);
	pkh_enc_bytes(e, PKH_PROP_METADATA_DIGEST, r->metadata_digest,
		      PKH_METADATA_DIGEST_SIZE);
	for (i = 0; i < r->nr_files; i++) {
		f = &r->files[i];
		pkh_enc_list_node(e, PKH_NODE_FILE, i);
		pkh_enc_string(e, PKH_PROP_NAME, f->name);
		pkh_enc_u64(e, PKH_PROP_INODE, f->inode);
		pkh_enc_u64(e, PKH_PROP_SIZE, f->size);
		pkh_enc_end(e);
	}
	pkh_enc_end(e);
}

static void pkh_enc_iommu(struct pkh_enc *e, const struct pkh_state *s)
{
	const struct pkh_state_domain *d;
	const struct pkh_state_unit *u;
	unsigned int i;

	pkh_enc_begin(e, PKH_NODE_IOMMU);
	for (i = 0; i < s->nr_units; i++) {
		u = &s->units[i];
		pkh_enc_list_node(e, PKH_NODE_UNIT, i);
		pkh_enc_u32(e, PKH_PROP_TYPE, u->type);
		pkh_enc_u64(e, PKH_PROP_REG_BASE, u->reg_base);
		pkh_enc_u32(e, PKH_PROP_SEGMENT, u->segment);
		pkh_enc_u64(e, PKH_PROP_ROOT_TABLE, u->root_table);
		pkh_enc_u32(e, PKH_PROP_TRANSLATION_MODE, u->translation_mode);
		pkh_enc_u32(e, PKH_PROP_TABLE_REGION, u->table_region);
		pkh_enc_end(e);
	}
	for (i = 0; i < s->nr_domains; i++) {
		d = &s->domains[i];
		pkh_enc_list_node(e, PKH_NODE_DOMAIN, i);
		pkh_enc_u32(e, PKH_PROP_UNIT, d->unit);
		pkh_enc_u32(e, PKH_PROP_DOMAIN_ID, d->domain_id);
		pkh_enc_u64(e, PKH_PROP_PGTABLE_ROOT, d->pgtable_root);
		pkh_enc_u32(e, PKH_PROP_FORMAT, d->format);
		pkh_enc_u32(e, PKH_PROP_LEVELS, d->levels);
		pkh_enc_u32(e, PKH_PROP_ADDRESS_WIDTH, d->address_width);
		/* v3: the map of the devices attached to the domain, once. */
		if (s->abi_major >= 3)
			pkh_enc_iova_map(e, d);
		pkh_enc_end(e);
	}
	pkh_enc_end(e);
}

static void pkh_enc_devices(struct pkh_enc *e, const struct pkh_state *s)
{
	const struct pkh_state_device *dev;
	unsigned int i, k;
	u32 ids[4];

	pkh_enc_begin(e, PKH_NODE_DEVICES);
	for (i = 0; i < s->nr_devices; i++) {
		dev = &s->devices[i];
		pkh_enc_list_node(e, PKH_NODE_DEVICE, i);
		pkh_enc_u32(e, PKH_PROP_PCI_ADDRESS, dev->pci_address);
		for (k = 0; k < 4; k++)
			ids[k] = cpu_to_fdt32(dev->pci_ids[k]);
		pkh_enc_bytes(e, PKH_PROP_PCI_IDS, ids, sizeof(ids));
		pkh_enc_u32(e, PKH_PROP_IOMMU_GROUP, dev->iommu_group);
		pkh_enc_u32(e, PKH_PROP_DOMAIN, dev->domain);
		pkh_enc_u32(e, PKH_PROP_FLAGS, dev->flags);
		/* v2: each device carries its domain's map. */
		if (s->abi_major < 3)
			pkh_enc_iova_map(e, &s->domains[dev->domain]);
		pkh_enc_end(e);
	}
	pkh_enc_end(e);
}

int pkh_encode(const struct pkh_state *s, void *buf, size_t size,
	       size_t *len)
{
	char compatible[sizeof(PKH_COMPATIBLE_PREFIX) + 5];
	struct pkh_enc e = { .err = 0 };
	u8 *header = buf;
	size_t total;
	unsigned int i;

	if (!pkh_encode_bound(s))
		return -EINVAL;
	if (size < PKH_BLOB_HEADER_SIZE + PKH_ENC_FDT_HEADER)
		return -ENOSPC;
	if (size > PKH_MAX_BLOB_SIZE)
		size = PKH_MAX_BLOB_SIZE;
	e.fdt = header + PKH_BLOB_HEADER_SIZE;
	pkh_enc_check(&e, fdt_create(e.fdt, (int)(size -
						   PKH_BLOB_HEADER_SIZE)));
	if (!e.err)
		pkh_enc_check(&e, fdt_finish_reservemap(e.fdt));

	snprintf(compatible, sizeof(compatible), "%s%u",
		 PKH_COMPATIBLE_PREFIX, s->abi_major);
	pkh_enc_begin(&e, "");
	pkh_enc_string(&e, PKH_PROP_COMPATIBLE, compatible);
	pkh_enc_u64(&e, PKH_PROP_GENERATION, s->generation);
	pkh_enc_u64(&e, PKH_PROP_NONCE, s->nonce);
	pkh_enc_string(&e, PKH_PROP_CREATOR, s->creator);

	pkh_enc_begin(&e, PKH_NODE_REGIONS);
	for (i = 0; i < s->nr_regions; i++)
		pkh_enc_region(&e, &s->regions[i], i);
	pkh_enc_end(&e);
	if (s->nr_units || s->nr_domains)
		pkh_enc_iommu(&e, s);
	if (s->nr_devices)
		pkh_enc_devices(&e, s);
	pkh_enc_end(&e);
	if (!e.err)
		pkh_enc_check(&e, fdt_finish(e.fdt));
	if (e.err)
		return e.err == -FDT_ERR_NOSPACE ? -ENOSPC : -EINVAL;

	total = PKH_BLOB_HEADER_SIZE + fdt_totalsize(e.fdt);
	pkh_enc_le(header, PKH_BLOB_MAGIC, 4);
	pkh_enc_le(header + 4, s->abi_major, 2);
	pkh_enc_le(header + 6, s->abi_minor, 2);
	pkh_enc_le(header + 8, PKH_BLOB_HEADER_SIZE, 4);
	pkh_enc_le(header + 12, total, 4);
	pkh_enc_le(header + 16, pkh_crc32(e.fdt, total - PKH_BLOB_HEADER_SIZE),
		   4);
	pkh_enc_le(header + 20, 0, 4);
	pkh_enc_le(header + 24, 0, 8);
	*len = total;
	return 0;
}
