// SPDX-License-Identifier: GPL-2.0-only
/*
 * Validate a pkhandover blob and walk what it preserves.
 *
 * The checks follow docs/VALIDATION.md step by step and in its order, as
 * libpkhandover's decoder does, so both report the same code for the same
 * fault; "4.8" in a comment is step 8 of section 4 there.
 *
 * Two passes.  pkh_validate() checks everything and keeps what later checks
 * need (region bounds, unit segments, domain widths) in a scratch context
 * from ops->alloc.  Only when it succeeds does pkh_publish() walk the tree
 * again and call the callbacks, so a caller adopts all of a blob or none.
 *
 * Nothing recurses: the tree has a fixed shape (root, list node, entry,
 * file) and anything deeper is rejected or skipped as an optional item.
 * Each node's properties and children are walked once per pass, block
 * overlaps use one bitmap per region, file names one hash table per region,
 * and other duplicates are caught by the canonical order, so the time is
 * linear in the blob plus the block count of the regions that have files
 * (v1), plus a binary search of a region's metadata ranges per IOVA
 * mapping, IOMMU root table and page-table root (v2).
 *
 * Every major this header knows is read: v3 (PKH_ABI_MAJOR), v2 and v1
 * (PKH_ABI_MAJOR_OLDEST).  A region from v2 on has its metadata ranges and
 * their digest, a v1 file its extents; a v3 domain has its iova map, a v1
 * or v2 device its own copy of its domain's.  Each is an unknown property
 * in the majors that do not have it.
 */

#include "pkh_parse.h"

/* The smallest FDT: its header. */
#define PKH_FDT_HEADER_SIZE	40u
/* Hash slots for the file names of a region: a power of two, >= 2x files. */
#define PKH_NAME_SLOTS		2048u
/* Most properties a node of the ABI has. */
#define PKH_MAX_PROPS		7
/* A spec length meaning "a string, checked by the value rules". */
#define PKH_LEN_STRING		0
#define PKH_LONG_BITS		(8 * sizeof(unsigned long))
#define PKH_PAGE_MASK		((u64)PKH_PAGE_SIZE - 1)

/*
 * struct pkh_prop_spec - a property a node must have
 * @name: its name
 * @len:  > 0: exact length; PKH_LEN_STRING; < 0: a multiple of -@len
 */
struct pkh_prop_spec {
	const char *name;
	int len;
};

/*
 * struct pkh_region_state - what later checks need of a region
 * @metadata: v2: its metadata ranges, in the blob (only 4-byte aligned,
 *            little-endian); NULL in v1
 * @nr_metadata: entries in @metadata
 */
struct pkh_region_state {
	u64 base;
	u64 size;
	u32 block_size;
	u32 flags;
	unsigned int nr_files;
	const u8 *metadata;
	unsigned int nr_metadata;
};

struct pkh_unit_state {
	u32 segment;
	u32 table_region;
};

/*
 * struct pkh_domain_state - what later checks need of a domain
 * @iova_map:     its map, in the blob (little-endian, only 4-byte
 *                aligned): v3's on the domain, or in v1 and v2 that of
 *                its first device
 * @nr_iova:      entries in @iova_map
 * @first_device: index of the first device attached to it, or -1
 */
struct pkh_domain_state {
	u32 unit;
	u32 address_width;
	const u8 *iova_map;
	u32 nr_iova;
	int first_device;
};

/*
 * struct pkh_ctx - state of one pkh_parse() call, from ops->alloc
 *
 * @path is the node being checked ("" for the root); @item is scratch for
 * names such as "extents[3]".  @val and @len hold the known properties of
 * the current node by spec index (NULL if missing); @extra is its first
 * unknown or repeated property in FDT order.  @prev_key is the sort key of
 * the previous entry of the list being walked.
 */
struct pkh_ctx {
	const void *fdt;
	const struct pkh_memory_map *map;
	const struct pkh_parse_ops *ops;
	struct pkh_error *err;
	u16 abi_major;
	u16 abi_minor;
	int regions_node;
	int iommu_node;
	int devices_node;
	unsigned int nr_regions;
	unsigned int nr_units;
	unsigned int nr_domains;
	u64 prev_key;
	char path[96];
	char item[32];
	const struct pkh_prop_spec *spec;
	unsigned int nr_spec;
	const void *val[PKH_MAX_PROPS];
	int len[PKH_MAX_PROPS];
	const char *extra;
	bool extra_dup;
	unsigned long *bitmap;
	size_t bitmap_size;
	const char **names;
	struct pkh_region_state regions[PKH_MAX_REGIONS];
	struct pkh_unit_state units[PKH_MAX_IOMMU_UNITS];
	struct pkh_domain_state domains[PKH_MAX_DOMAINS];
};

/* The shared X-macro list; entries are in enum order. */
static const struct pkh_error_entry {
	int code;
	const char *text;
} pkh_errors[] = {
#define PKH_ERROR_ENTRY(name, text) { PKH_ERR_##name, text },
	PKH_ERROR_LIST(PKH_ERROR_ENTRY)
#undef PKH_ERROR_ENTRY
};

/* ------------------------------------------------------------ errors */

static void pkh_set_where(struct pkh_error *err, const char *path,
			  const char *name)
{
	size_t max = sizeof(err->where) - 1;
	size_t n = strlen(path);

	if (n > max)
		n = max;
	memcpy(err->where, path, n);
	if (name) {
		if (n < max)
			err->where[n++] = '/';
		/* Names of unknown items come from the blob: keep them tame. */
		for (; *name && n < max; name++)
			err->where[n++] = (*name >= 0x20 && *name <= 0x7e) ?
					  *name : '?';
	} else if (!n) {
		err->where[n++] = '/';
	}
	err->where[n] = '\0';
}

static __printf(5, 0)
int pkh_vfail(struct pkh_error *err, int code, const char *path,
	      const char *name, const char *fmt, va_list ap)
{
	if (err) {
		err->code = code;
		pkh_set_where(err, path, name);
		vsnprintf(err->why, sizeof(err->why), fmt, ap);
	}
	return -code;
}

/* Fails with @where, a full location such as "header.magic". */
static __printf(4, 5)
int pkh_fail_at(struct pkh_error *err, int code, const char *where,
		const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = pkh_vfail(err, code, where, NULL, fmt, ap);
	va_end(ap);
	return ret;
}

/* Fails at the current node, or at its item @name if not NULL. */
static __printf(4, 5)
int pkh_fail(struct pkh_ctx *c, int code, const char *name,
	     const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = pkh_vfail(c->err, code, c->path, name, fmt, ap);
	va_end(ap);
	return ret;
}

static __printf(2, 3)
void pkh_set_path(struct pkh_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->path, sizeof(c->path), fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------ helpers */

static u32 pkh_be32(const void *p)
{
	fdt32_t v;

	memcpy(&v, p, sizeof(v));
	return fdt32_to_cpu(v);
}

static u64 pkh_be64(const void *p)
{
	fdt64_t v;

	memcpy(&v, p, sizeof(v));
	return fdt64_to_cpu(v);
}

static bool pkh_optional(const char *name)
{
	return !strncmp(name, PKH_OPTIONAL_PREFIX,
			sizeof(PKH_OPTIONAL_PREFIX) - 1);
}

/* NUL-terminated, 1..@max printable ASCII bytes and nothing after. */
static bool pkh_is_string(const void *val, int len, int max)
{
	const char *s = val;
	int i;

	if (len < 2 || len - 1 > max || s[len - 1])
		return false;
	for (i = 0; i < len - 1; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

static bool pkh_is_hex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
	       (ch >= 'A' && ch <= 'F');
}

/* Whether @name is "<kind>@<hex digits>", the digits in either case. */
static bool pkh_is_kind(const char *name, const char *kind)
{
	size_t n = strlen(kind);

	if (strncmp(name, kind, n) || name[n] != '@' || !name[n + 1])
		return false;
	for (name += n + 1; *name; name++)
		if (!pkh_is_hex(*name))
			return false;
	return true;
}

/* [base, base + size) lies inside @r; base + size does not wrap. */
static bool pkh_inside(u64 base, u64 size, const struct pkh_phys_range *r)
{
	if (base < r->start || base - r->start > r->size)
		return false;
	return size <= r->size - (base - r->start);
}

/* [base, base + size) and @r share a byte; base + size does not wrap. */
static bool pkh_overlaps(u64 base, u64 size, const struct pkh_phys_range *r)
{
	if (!size || !r->size)
		return false;
	if (r->start >= base)
		return r->start - base < size;
	return base - r->start < r->size;
}

/* The 4 KiB page at @addr lies inside region @r. */
static bool pkh_page_in_region(u64 addr, const struct pkh_region_state *r)
{
	return addr >= r->base && addr - r->base <= r->size - PKH_PAGE_SIZE;
}

static void *pkh_alloc(struct pkh_ctx *c, size_t size)
{
	return c->ops->alloc(c->ops->ctx, size);
}

static void pkh_free_bitmap(struct pkh_ctx *c)
{
	if (c->bitmap)
		c->ops->free(c->ops->ctx, c->bitmap, c->bitmap_size);
	c->bitmap = NULL;
	c->bitmap_size = 0;
}

/*
 * Marks blocks [@start, @end) of region @r used.  Returns 1 if one of them
 * already was, 0 if not, or -PKH_ERR_NO_MEMORY.
 */
static int pkh_claim_blocks(struct pkh_ctx *c,
			    const struct pkh_region_state *r,
			    u64 start, u64 end)
{
	unsigned long mask, *word;
	u64 bits, n;

	if (!c->bitmap) {
		bits = r->size / r->block_size;
		c->bitmap_size = (bits + PKH_LONG_BITS - 1) / PKH_LONG_BITS *
				 sizeof(unsigned long);
		c->bitmap = pkh_alloc(c, c->bitmap_size);
		if (!c->bitmap) {
			c->bitmap_size = 0;
			return -PKH_ERR_NO_MEMORY;
		}
		memset(c->bitmap, 0, c->bitmap_size);
	}
	while (start < end) {
		word = &c->bitmap[start / PKH_LONG_BITS];
		n = PKH_LONG_BITS - start % PKH_LONG_BITS;
		if (n > end - start)
			n = end - start;
		mask = n == PKH_LONG_BITS ? ~0ul : ((1ul << n) - 1);
		mask <<= start % PKH_LONG_BITS;
		if (*word & mask)
			return 1;
		*word |= mask;
		start += n;
	}
	return 0;
}

/*
 * Records @name among the file names of the current region.  Returns 1 if
 * it was there already, 0 if not, or -PKH_ERR_NO_MEMORY.
 */
static int pkh_name_seen(struct pkh_ctx *c, const char *name)
{
	const unsigned char *p;
	u32 hash = 2166136261u;
	unsigned int i;

	if (!c->names) {
		c->names = pkh_alloc(c, PKH_NAME_SLOTS * sizeof(*c->names));
		if (!c->names)
			return -PKH_ERR_NO_MEMORY;
		memset(c->names, 0, PKH_NAME_SLOTS * sizeof(*c->names));
	}
	for (p = (const unsigned char *)name; *p; p++)
		hash = (hash ^ *p) * 16777619u;
	for (i = hash & (PKH_NAME_SLOTS - 1); c->names[i];
	     i = (i + 1) & (PKH_NAME_SLOTS - 1))
		if (!strcmp(c->names[i], name))
			return 1;
	c->names[i] = name;
	return 0;
}

/* ------------------------------------------------------------ properties */

/*
 * Finds the known properties of @node (those in @spec) in one pass, and
 * notes the first unknown or repeated one for pkh_check_extra().  Optional
 * properties are skipped.
 */
static int pkh_collect(struct pkh_ctx *c, int node,
		       const struct pkh_prop_spec *spec, unsigned int nr)
{
	const char *name;
	const void *val;
	unsigned int i;
	int off, len;

	c->spec = spec;
	c->nr_spec = nr;
	c->extra = NULL;
	c->extra_dup = false;
	for (i = 0; i < nr; i++) {
		c->val[i] = NULL;
		c->len[i] = 0;
	}
	fdt_for_each_property_offset(off, c->fdt, node) {
		name = NULL;
		val = fdt_getprop_by_offset(c->fdt, off, &name, &len);
		if (!val || !name || len < 0)
			return pkh_fail(c, PKH_ERR_BAD_FDT, NULL,
					"unreadable property at offset %d",
					off);
		if (pkh_optional(name))
			continue;
		for (i = 0; i < nr; i++)
			if (!strcmp(name, spec[i].name))
				break;
		if (i < nr && !c->val[i]) {
			c->val[i] = val;
			c->len[i] = len;
		} else if (!c->extra) {
			c->extra = name;
			c->extra_dup = i < nr;
		}
	}
	if (off != -FDT_ERR_NOTFOUND)
		return pkh_fail(c, PKH_ERR_BAD_FDT, NULL,
				"cannot walk properties: %s",
				fdt_strerror(off));
	return 0;
}

/* Presence and length of known property @i. */
static int pkh_need(struct pkh_ctx *c, unsigned int i)
{
	const struct pkh_prop_spec *s = &c->spec[i];
	int len = c->len[i];

	if (!c->val[i])
		return pkh_fail(c, PKH_ERR_MISSING_PROPERTY, s->name,
				"required property is missing");
	if (s->len > 0 && len != s->len)
		return pkh_fail(c, PKH_ERR_BAD_LENGTH, s->name,
				"%d bytes, expected %d", len, s->len);
	if (s->len < 0 && len % -s->len)
		return pkh_fail(c, PKH_ERR_BAD_LENGTH, s->name,
				"%d bytes, not a multiple of %d",
				len, -s->len);
	return 0;
}

static int pkh_need_all(struct pkh_ctx *c)
{
	unsigned int i;
	int ret;

	for (i = 0; i < c->nr_spec; i++) {
		ret = pkh_need(c, i);
		if (ret)
			return ret;
	}
	return 0;
}

static u32 pkh_u32(struct pkh_ctx *c, unsigned int i)
{
	return pkh_be32(c->val[i]);
}

static u64 pkh_u64(struct pkh_ctx *c, unsigned int i)
{
	return pkh_be64(c->val[i]);
}

static int pkh_check_extra(struct pkh_ctx *c)
{
	if (!c->extra)
		return 0;
	if (c->extra_dup)
		return pkh_fail(c, PKH_ERR_DUPLICATE, c->extra,
				"property appears more than once");
	return pkh_fail(c, PKH_ERR_UNKNOWN_PROPERTY, c->extra,
			"unknown property");
}

/* A node of a kind that has no children: any but optional ones fail. */
static int pkh_check_no_children(struct pkh_ctx *c, int node)
{
	const char *name;
	int child;

	fdt_for_each_subnode(child, c->fdt, node) {
		name = fdt_get_name(c->fdt, child, NULL);
		if (!name)
			return pkh_fail(c, PKH_ERR_BAD_FDT, NULL,
					"unreadable node name");
		if (!pkh_optional(name))
			return pkh_fail(c, PKH_ERR_UNKNOWN_NODE, name,
					"unknown node");
	}
	return 0;
}

/*
 * The list rules for the @k-th child of kind @kind (VALIDATION.md 3): at
 * most @limit, checked as soon as one more is seen, and the name is
 * "<kind>@<k in lower hex>".
 */
static int pkh_check_list_child(struct pkh_ctx *c, const char *name,
				const char *kind, unsigned int k,
				unsigned int limit)
{
	if (k >= limit)
		return pkh_fail(c, PKH_ERR_TOO_MANY, name,
				"more than %u %s nodes", limit, kind);
	snprintf(c->item, sizeof(c->item), "%s@%x", kind, k);
	if (strcmp(name, c->item))
		return pkh_fail(c, PKH_ERR_BAD_NODE_NAME, name,
				"expected %s", c->item);
	return 0;
}

/* A list node has only optional properties (VALIDATION.md 3). */
static int pkh_check_list_node(struct pkh_ctx *c, int node)
{
	int ret;

	ret = pkh_collect(c, node, NULL, 0);
	if (ret)
		return ret;
	return pkh_check_extra(c);
}

static const char *pkh_child_name(struct pkh_ctx *c, int child)
{
	return fdt_get_name(c->fdt, child, NULL);
}

/* ------------------------------------------------------------ header */

/*
 * pkh_fdt_struct_ok() - a bounded walk of the FDT structure block
 * @fdt:  a tree whose header passed fdt_check_header()
 * @size: its totalsize, which the caller checked lies inside the buffer
 *
 * libfdt before 1.7 (bookworm has 1.6.1) adds a property's length to an
 * int offset unchecked in fdt_next_tag(): a length near 2^32 wraps, and
 * fdt_check_full() then loops forever, or passes a tree whose property
 * reads back with a negative length.  Fixed libfdt rejects such trees, so
 * rejecting them here first changes no result, only makes it safe: every
 * tag must fit inside the block, a node name must end inside it, and the
 * block must reach FDT_END.
 *
 * Return: true if fdt_check_full() may walk the tree.
 */
static bool pkh_fdt_struct_ok(const void *fdt, size_t size)
{
	const u8 *p = (const u8 *)fdt + fdt_off_dt_struct(fdt);
	const u8 *nul;
	size_t left, n;
	u32 tag;

	left = fdt_version(fdt) >= 17 ? fdt_size_dt_struct(fdt) :
	       size - fdt_off_dt_struct(fdt);
	while (left >= 4) {
		tag = pkh_be32(p);
		p += 4;
		left -= 4;
		switch (tag) {
		case FDT_BEGIN_NODE:
			nul = memchr(p, 0, left);
			if (!nul)
				return false;
			n = nul - p + 1;
			break;
		case FDT_PROP:
			if (left < 8 || pkh_be32(p) > left - 8)
				return false;
			n = 8 + pkh_be32(p);
			break;
		case FDT_END_NODE:
		case FDT_NOP:
			n = 0;
			break;
		case FDT_END:
			return true;
		default:
			return false;
		}
		n = (n + 3) & ~(size_t)3;
		if (n > left)
			n = left;
		p += n;
		left -= n;
	}
	return false;
}

/*
 * pkh_check_header() - VALIDATION.md section 1
 *
 * On success *@fdt is the payload, which passed fdt_check_full(), and
 * *@major, *@minor the header's version.
 */
static int pkh_check_header(const void *blob, size_t size,
			    struct pkh_error *err, const void **fdt,
			    u16 *major, u16 *minor)
{
	struct pkh_blob_header h;
	u32 magic, hsize, total, crc, flags;
	const void *payload;
	int ret;

	/* 1.1 */
	if (size < sizeof(h))
		return pkh_fail_at(err, PKH_ERR_TRUNCATED, "header",
				   "%zu bytes, the header alone is %zu",
				   size, sizeof(h));
	memcpy(&h, blob, sizeof(h));
	magic = le32_to_cpu(h.magic);
	*major = le16_to_cpu(h.abi_major);
	hsize = le32_to_cpu(h.header_size);
	total = le32_to_cpu(h.total_size);
	crc = le32_to_cpu(h.payload_crc32);
	flags = le32_to_cpu(h.flags);

	/* 1.2 */
	if (magic != PKH_BLOB_MAGIC)
		return pkh_fail_at(err, PKH_ERR_BAD_MAGIC, "header.magic",
				   "0x%08x, expected 0x%08x",
				   magic, PKH_BLOB_MAGIC);
	/* 1.3 */
	if (*major < PKH_ABI_MAJOR_OLDEST)
		return pkh_fail_at(err, PKH_ERR_BAD_VERSION, "header.abi_major",
				   "major version %u, the oldest is %u", *major,
				   PKH_ABI_MAJOR_OLDEST);
	if (hsize < PKH_BLOB_HEADER_SIZE || hsize % 8)
		return pkh_fail_at(err, PKH_ERR_BAD_VERSION,
				   "header.header_size",
				   "%u is below %u or not a multiple of 8",
				   hsize, PKH_BLOB_HEADER_SIZE);
	/* 1.4 */
	if (*major > PKH_ABI_MAJOR)
		return pkh_fail_at(err, PKH_ERR_VERSION_TOO_NEW,
				   "header.abi_major",
				   "major %u, this reader knows up to %u",
				   *major, PKH_ABI_MAJOR);
	/* 1.5 */
	if (hsize != PKH_BLOB_HEADER_SIZE)
		return pkh_fail_at(err, PKH_ERR_BAD_VERSION,
				   "header.header_size",
				   "%u, major %u has %u", hsize, *major,
				   PKH_BLOB_HEADER_SIZE);
	/* 1.6 */
	if (flags)
		return pkh_fail_at(err, PKH_ERR_BAD_HEADER, "header.flags",
				   "0x%x, none are defined", flags);
	if (h.reserved)
		return pkh_fail_at(err, PKH_ERR_BAD_HEADER, "header.reserved",
				   "0x%llx, must be 0",
				   (unsigned long long)le64_to_cpu(h.reserved));
	/* 1.7 */
	if (total > PKH_MAX_BLOB_SIZE)
		return pkh_fail_at(err, PKH_ERR_TOO_LARGE, "header.total_size",
				   "%u bytes, the cap is %u",
				   total, PKH_MAX_BLOB_SIZE);
	/* 1.8 */
	if (total < hsize + PKH_FDT_HEADER_SIZE)
		return pkh_fail_at(err, PKH_ERR_TRUNCATED, "header.total_size",
				   "%u bytes, too small for an FDT", total);
	/* 1.9 */
	if (size < total)
		return pkh_fail_at(err, PKH_ERR_TRUNCATED, "header.total_size",
				   "%u bytes, only %zu given", total, size);
	if (size > total)
		return pkh_fail_at(err, PKH_ERR_SIZE_MISMATCH,
				   "header.total_size",
				   "%u bytes, but %zu given", total, size);
	/* 1.10 */
	payload = (const u8 *)blob + hsize;
	if (pkh_crc32(payload, total - hsize) != crc)
		return pkh_fail_at(err, PKH_ERR_BAD_CRC,
				   "header.payload_crc32",
				   "0x%08x, the payload's is 0x%08x", crc,
				   pkh_crc32(payload, total - hsize));
	/*
	 * 1.11, with guards that keep libfdt 1.6's fdt_check_full() from
	 * crashing or hanging; each fails a tree fdt_check_full() fails or
	 * (version) would crash on: fdt_get_name() returns NULL for the root
	 * of a tree older than version 16, and the function dereferences it.
	 * Misalignment, which libfdt also refuses, is the caller's fault.
	 */
	if ((uintptr_t)payload & 7)
		return pkh_fail_at(err, PKH_ERR_UNALIGNED, "payload",
				   "the FDT is not 8-byte aligned, libfdt needs it");
	ret = fdt_check_header(payload);
	if (ret)
		return pkh_fail_at(err, PKH_ERR_BAD_FDT, "payload",
				   "fdt_check_header: %s", fdt_strerror(ret));
	if (fdt_totalsize(payload) != total - hsize)
		return pkh_fail_at(err, PKH_ERR_BAD_FDT, "payload",
				   "FDT totalsize %u, payload %u bytes",
				   fdt_totalsize(payload), total - hsize);
	if (fdt_version(payload) < 16)
		return pkh_fail_at(err, PKH_ERR_BAD_FDT, "payload",
				   "FDT version %u, 16 or later is needed",
				   fdt_version(payload));
	if (!pkh_fdt_struct_ok(payload, total - hsize))
		return pkh_fail_at(err, PKH_ERR_BAD_FDT, "payload",
				   "a tag overruns the structure block");
	ret = pkh_fdt_check_full(payload, total - hsize);
	if (ret)
		return pkh_fail_at(err, PKH_ERR_BAD_FDT, "payload",
				   "fdt_check_full: %s", fdt_strerror(ret));
	*fdt = payload;
	*minor = le16_to_cpu(h.abi_minor);
	return 0;
}

/* ------------------------------------------------------------ root */

enum { PKH_ROOT_COMPATIBLE, PKH_ROOT_GENERATION, PKH_ROOT_NONCE,
	PKH_ROOT_CREATOR };

static const struct pkh_prop_spec pkh_root_spec[] = {
	{ PKH_PROP_COMPATIBLE, PKH_LEN_STRING },
	{ PKH_PROP_GENERATION, 8 },
	{ PKH_PROP_NONCE, 8 },
	{ PKH_PROP_CREATOR, PKH_LEN_STRING },
};

static int pkh_check_root(struct pkh_ctx *c)
{
	const char *name;
	int ret, node, *slot;

	c->path[0] = '\0';
	ret = pkh_collect(c, 0, pkh_root_spec, ARRAY_SIZE(pkh_root_spec));
	if (ret)
		return ret;

	/* 2.1: exactly "pkhandover,v<major>", canonical decimal */
	ret = pkh_need(c, PKH_ROOT_COMPATIBLE);
	if (ret)
		return ret;
	snprintf(c->item, sizeof(c->item), "%s%u", PKH_COMPATIBLE_PREFIX,
		 c->abi_major);
	if (c->len[PKH_ROOT_COMPATIBLE] != (int)strlen(c->item) + 1 ||
	    memcmp(c->val[PKH_ROOT_COMPATIBLE], c->item,
		   c->len[PKH_ROOT_COMPATIBLE]))
		return pkh_fail(c, PKH_ERR_BAD_COMPATIBLE, PKH_PROP_COMPATIBLE,
				"not \"%s\", the header's major", c->item);

	/* 2.2: presence and lengths, then values */
	ret = pkh_need(c, PKH_ROOT_GENERATION);
	if (!ret)
		ret = pkh_need(c, PKH_ROOT_NONCE);
	if (!ret)
		ret = pkh_need(c, PKH_ROOT_CREATOR);
	if (ret)
		return ret;
	if (!pkh_u64(c, PKH_ROOT_GENERATION))
		return pkh_fail(c, PKH_ERR_BAD_VALUE, PKH_PROP_GENERATION,
				"0; the first handover is 1");
	if (!pkh_u64(c, PKH_ROOT_NONCE))
		return pkh_fail(c, PKH_ERR_BAD_VALUE, PKH_PROP_NONCE,
				"0 is not a nonce");
	if (!pkh_is_string(c->val[PKH_ROOT_CREATOR],
			   c->len[PKH_ROOT_CREATOR], PKH_MAX_CREATOR_LEN))
		return pkh_fail(c, PKH_ERR_BAD_VALUE, PKH_PROP_CREATOR,
				"not a printable string of 1..%d bytes (%d with NUL)",
				PKH_MAX_CREATOR_LEN, c->len[PKH_ROOT_CREATOR]);

	/* 2.3 */
	ret = pkh_check_extra(c);
	if (ret)
		return ret;

	/* 2.4 */
	fdt_for_each_subnode(node, c->fdt, 0) {
		name = pkh_child_name(c, node);
		if (!name)
			return pkh_fail(c, PKH_ERR_BAD_FDT, NULL,
					"unreadable node name");
		if (pkh_optional(name))
			continue;
		if (!strcmp(name, PKH_NODE_REGIONS))
			slot = &c->regions_node;
		else if (!strcmp(name, PKH_NODE_IOMMU))
			slot = &c->iommu_node;
		else if (!strcmp(name, PKH_NODE_DEVICES))
			slot = &c->devices_node;
		else
			return pkh_fail(c, PKH_ERR_UNKNOWN_NODE, name,
					"unknown node");
		if (*slot >= 0)
			return pkh_fail(c, PKH_ERR_DUPLICATE, name,
					"node appears more than once");
		*slot = node;
	}

	/* 2.5 */
	if (c->regions_node < 0)
		return pkh_fail(c, PKH_ERR_MISSING_NODE, PKH_NODE_REGIONS,
				"required node is missing");
	return 0;
}

/* ------------------------------------------------------------ regions */

enum { PKH_REGION_BASE, PKH_REGION_SIZE, PKH_REGION_BLOCK_SIZE,
	PKH_REGION_FS_UUID, PKH_REGION_FLAGS, PKH_REGION_METADATA,
	PKH_REGION_METADATA_DIGEST };

/*
 * The properties of a region: v2 has all of them, v1 the first five, so
 * that a v1 region with metadata is refused as having an unknown property.
 */
static const struct pkh_prop_spec pkh_region_spec[] = {
	{ PKH_PROP_BASE, 8 },
	{ PKH_PROP_SIZE, 8 },
	{ PKH_PROP_BLOCK_SIZE, 4 },
	{ PKH_PROP_FS_UUID, 16 },
	{ PKH_PROP_FLAGS, 4 },
	{ PKH_PROP_METADATA, -(int)sizeof(struct pkh_extent) },
	{ PKH_PROP_METADATA_DIGEST, PKH_METADATA_DIGEST_SIZE },
};

#define PKH_REGION_PROPS_V1	(PKH_REGION_FLAGS + 1)

enum { PKH_FILE_NAME, PKH_FILE_INODE, PKH_FILE_SIZE, PKH_FILE_EXTENTS };

/* Likewise a file: v1 has extents, v2 refuses them. */
static const struct pkh_prop_spec pkh_file_spec[] = {
	{ PKH_PROP_NAME, PKH_LEN_STRING },
	{ PKH_PROP_INODE, 8 },
	{ PKH_PROP_SIZE, 8 },
	{ PKH_PROP_EXTENTS, -(int)sizeof(struct pkh_extent) },
};

#define PKH_FILE_PROPS_V2	PKH_FILE_EXTENTS

static unsigned int pkh_region_props(const struct pkh_ctx *c)
{
	return c->abi_major == 1 ? PKH_REGION_PROPS_V1 :
	       ARRAY_SIZE(pkh_region_spec);
}

static unsigned int pkh_file_props(const struct pkh_ctx *c)
{
	return c->abi_major == 1 ? ARRAY_SIZE(pkh_file_spec) :
	       PKH_FILE_PROPS_V2;
}

static void pkh_set_region_path(struct pkh_ctx *c, unsigned int region)
{
	pkh_set_path(c, "/%s/%s@%x", PKH_NODE_REGIONS, PKH_NODE_REGION,
		     region);
}

static bool pkh_is_file_name(const char *name, int len)
{
	if (!pkh_is_string(name, len, PKH_MAX_NAME_LEN))
		return false;
	if (strchr(name, '/'))
		return false;
	return strcmp(name, ".") && strcmp(name, "..");
}

/*
 * pkh_item() - the path element "prop[k]" of one array record
 *
 * Formatted only on the failure path: the loops below run once per extent
 * or IOVA record, up to hundreds of thousands of times per blob.
 */
static const char *pkh_item(struct pkh_ctx *c, const char *prop,
			    unsigned int k)
{
	snprintf(c->item, sizeof(c->item), "%s[%u]", prop, k);
	return c->item;
}

/* 5.6 and 5.7 */
static int pkh_check_extents(struct pkh_ctx *c,
			     const struct pkh_region_state *r, u64 size)
{
	const u8 *data = c->val[PKH_FILE_EXTENTS];
	unsigned int k, nr;
	struct pkh_extent e;
	u64 off, len, bs = r->block_size, blocks = 0, need;
	int ret;

	nr = c->len[PKH_FILE_EXTENTS] / sizeof(e);
	for (k = 0; k < nr; k++) {
		memcpy(&e, data + (size_t)k * sizeof(e), sizeof(e));
		off = le64_to_cpu(e.region_offset);
		len = le64_to_cpu(e.length);
		if (!len)
			return pkh_fail(c, PKH_ERR_ZERO_SIZE, pkh_item(c, PKH_PROP_EXTENTS, k),
					"length 0");
		if ((off | len) & (bs - 1))
			return pkh_fail(c, PKH_ERR_UNALIGNED, pkh_item(c, PKH_PROP_EXTENTS, k),
					"offset 0x%llx length 0x%llx, block size 0x%llx",
					off, len, bs);
		if (off + len < off)
			return pkh_fail(c, PKH_ERR_OVERFLOW, pkh_item(c, PKH_PROP_EXTENTS, k),
					"offset 0x%llx + length 0x%llx wraps",
					off, len);
		if (off + len > r->size)
			return pkh_fail(c, PKH_ERR_OUT_OF_BOUNDS, pkh_item(c, PKH_PROP_EXTENTS, k),
					"ends at 0x%llx, region size 0x%llx",
					off + len, r->size);
		ret = pkh_claim_blocks(c, r, off / bs, (off + len) / bs);
		if (ret < 0)
			return pkh_fail(c, -ret, pkh_item(c, PKH_PROP_EXTENTS, k),
					"no memory for a bitmap of %llu blocks",
					r->size / bs);
		if (ret)
			return pkh_fail(c, PKH_ERR_OVERLAP, pkh_item(c, PKH_PROP_EXTENTS, k),
					"[0x%llx, 0x%llx) reuses a block already in an extent",
					off, off + len);
		blocks += len / bs;
	}
	need = size / bs + (size % bs ? 1 : 0);
	if (blocks != need)
		return pkh_fail(c, PKH_ERR_BAD_VALUE, PKH_PROP_EXTENTS,
				"%llu blocks of 0x%llx, size 0x%llx needs %llu",
				blocks, bs, size, need);
	return 0;
}

static int pkh_check_file(struct pkh_ctx *c, int node, unsigned int region,
			  unsigned int n)
{
	const struct pkh_region_state *r = &c->regions[region];
	const char *name;
	u64 inode;
	int ret;

	pkh_set_path(c, "/%s/%s@%x/%s@%x", PKH_NODE_REGIONS, PKH_NODE_REGION,
		     region, PKH_NODE_FILE, n);
	ret = pkh_collect(c, node, pkh_file_spec, pkh_file_props(c));
	if (ret)
		return ret;
	/* 5.1 */
	ret = pkh_need_all(c);
	if (ret)
		return ret;
	/* 5.2 */
	name = c->val[PKH_FILE_NAME];
	if (!pkh_is_file_name(name, c->len[PKH_FILE_NAME]))
		return pkh_fail(c, PKH_ERR_BAD_VALUE, PKH_PROP_NAME,
				"not 1..%d printable bytes without '/', nor . or ..",
				PKH_MAX_NAME_LEN);
	/* 5.3 */
	inode = pkh_u64(c, PKH_FILE_INODE);
	if (!inode)
		return pkh_fail(c, PKH_ERR_BAD_VALUE, PKH_PROP_INODE,
				"inode 0");
	/* 5.4 */
	if (n && inode == c->prev_key)
		return pkh_fail(c, PKH_ERR_DUPLICATE, PKH_PROP_INODE,
				"inode %llu again", inode);
	if (n && inode < c->prev_key)
		return pkh_fail(c, PKH_ERR_NOT_SORTED, PKH_PROP_INODE,
				"inode %llu after %llu", inode, c->prev_key);
	c->prev_key = inode;
	/* 5.5 */
	ret = pkh_name_seen(c, name);
	if (ret < 0)
		return pkh_fail(c, -ret, PKH_PROP_NAME,
				"no memory for the name table");
	if (ret)
		return pkh_fail(c, PKH_ERR_DUPLICATE, PKH_PROP_NAME,
				"\"%s\" names an earlier file too", name);
	/* 5.6, 5.7: v1 only */
	if (c->abi_major == 1) {
		ret = pkh_check_extents(c, r, pkh_u64(c, PKH_FILE_SIZE));
		if (ret)
			return ret;
	}
	/* 5.8 */
	ret = pkh_check_extra(c);
	if (ret)
		return ret;
	return pkh_check_no_children(c, node);
}

/* 4.11 */
static int pkh_check_files(struct pkh_ctx *c, int node, unsigned int region)
{
	const char *name;
	unsigned int n = 0;
	int child, ret;

	if (c->names)
		memset(c->names, 0, PKH_NAME_SLOTS * sizeof(*c->names));
	pkh_set_region_path(c, region);
	fdt_for_each_subnode(child, c->fdt, node) {
		name = pkh_child_name(c, child);
		if (!name)
			return pkh_fail(c, PKH_ERR_BAD_FDT, NULL,
					"unreadable node name");
		if (pkh_optional(name))
			continue;
		if (!pkh_is_kind(name, PKH_NODE_FILE))
			return pkh_fail(c, PKH_ERR_UNKNOWN_NODE, name,
					"unknown node");
		ret = pkh_check_list_child(c, name, PKH_NODE_FILE, n,
					   PKH_MAX_FILES_PER_REGION);
		if (ret)
			return ret;
		ret = pkh_check_file(c, child, region, n);
		if (ret)
			return ret;
		n++;
		pkh_set_region_path(c, region);
	}
	c->regions[region].nr_files = n;
	pkh_free_bitmap(c);
	return 0;
}

/*
 * 4.1: presence and length of the region's properties in spec order; a v2
 * region's metadata also holds 1..PKH_MAX_METADATA_RANGES ranges.
 */
static int pkh_need_region(struct pkh_ctx *c)
{
	unsigned int i, nr;
	int ret;

	for (i = 0; i < c->nr_spec; i++) {
		ret = pkh_need(c, i);
		if (ret)
			return ret;
		if (i != PKH_REGION_METADATA)
			continue;
		if (!c->len[i])
			return pkh_fail(c, PKH_ERR_BAD_LENGTH, PKH_PROP_METADATA,
					"0 bytes: at least one range is needed");
		nr = c->len[i] / sizeof(struct pkh_extent);
		if (nr > PKH_MAX_METADATA_RANGES)
			return pkh_fail(c, PKH_ERR_TOO_MANY, PKH_PROP_METADATA,
					"%u ranges, at most %u", nr,
					PKH_MAX_METADATA_RANGES);
	}
	return 0;
}

/* The metadata range @k of @r, in bytes. */
static void pkh_metadata_range(const struct pkh_region_state *r,
			       unsigned int k, u64 *off, u64 *len)
{
	struct pkh_extent e;

	memcpy(&e, r->metadata + (size_t)k * sizeof(e), sizeof(e));
	*off = le64_to_cpu(e.region_offset);
	*len = le64_to_cpu(e.length);
}

/* 4.10: each metadata range in order, against the region and the last. */
static int pkh_check_metadata(struct pkh_ctx *c, struct pkh_region_state *r)
{
	u64 off, len, prev_off = 0, prev_end = 0;
	unsigned int k;

	r->metadata = c->val[PKH_REGION_METADATA];
	r->nr_metadata = c->len[PKH_REGION_METADATA] /
			 sizeof(struct pkh_extent);
	for (k = 0; k < r->nr_metadata; k++) {
		pkh_metadata_range(r, k, &off, &len);
		if (!len)
			return pkh_fail(c, PKH_ERR_ZERO_SIZE, PKH_PROP_METADATA,
					"range %u: length 0", k);
		if ((off | len) & PKH_PAGE_MASK)
			return pkh_fail(c, PKH_ERR_UNALIGNED, PKH_PROP_METADATA,
					"range %u: offset 0x%llx length 0x%llx not 4 KiB aligned",
					k, off, len);
		if (off + len < off)
			return pkh_fail(c, PKH_ERR_OVERFLOW, PKH_PROP_METADATA,
					"range %u: offset 0x%llx + length 0x%llx wraps",
					k, off, len);
		if (off + len > r->size)
			return pkh_fail(c, PKH_ERR_OUT_OF_BOUNDS,
					PKH_PROP_METADATA,
					"range %u ends at 0x%llx, region size 0x%llx",
					k, off + len, r->size);
		if (k && off < prev_off)
			return pkh_fail(c, PKH_ERR_NOT_SORTED, PKH_PROP_METADATA,
					"range %u at 0x%llx, below the previous at 0x%llx",
					k, off, prev_off);
		if (k && off < prev_end)
			return pkh_fail(c, PKH_ERR_OVERLAP, PKH_PROP_METADATA,
					"range %u at 0x%llx, inside the previous, which ends at 0x%llx",
					k, off, prev_end);
		if (k && off == prev_end)
			return pkh_fail(c, PKH_ERR_BAD_VALUE, PKH_PROP_METADATA,
					"range %u at 0x%llx touches the previous: they are one range",
					k, off);
		prev_off = off;
		prev_end = off + len;
	}
	return 0;
}

/*
 * Whether [@off, @off + @len) of region @r, a range that does not wrap,
 * shares a byte with one of its metadata ranges (none in v1).  The ranges
 * validated, so they are ascending and apart: a binary search for the
 * last one that starts below @off + @len.
 */
static bool pkh_in_metadata(const struct pkh_region_state *r, u64 off,
			    u64 len)
{
	unsigned int lo = 0, hi = r->nr_metadata, mid;
	u64 start, size;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		pkh_metadata_range(r, mid, &start, &size);
		if (start < off + len)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return false;
	pkh_metadata_range(r, lo - 1, &start, &size);
	return start + size > off;
}

/* 4.9 */
static int pkh_check_memory_map(struct pkh_ctx *c, u64 base, u64 size)
{
	const struct pkh_memory_map *map = c->map;
	const struct pkh_phys_range *r;
	unsigned int i;

	if (!map)
		return 0;
	if (map->ram && map->nr_ram) {
		for (i = 0; i < map->nr_ram; i++)
			if (pkh_inside(base, size, &map->ram[i]))
				break;
		if (i == map->nr_ram)
			return pkh_fail(c, PKH_ERR_OUTSIDE_RAM, NULL,
					"[0x%llx, 0x%llx) is not inside one RAM range",
					base, base + size);
	}
	for (i = 0; map->reserved && i < map->nr_reserved; i++) {
		r = &map->reserved[i];
		if (pkh_overlaps(base, size, r))
			return pkh_fail(c, PKH_ERR_CONFLICT, NULL,
					"[0x%llx, 0x%llx) overlaps boot range at 0x%llx size 0x%llx",
					base, base + size,
					(unsigned long long)r->start,
					(unsigned long long)r->size);
	}
	return 0;
}

static int pkh_check_region(struct pkh_ctx *c, int node, unsigned int n)
{
	struct pkh_region_state *r = &c->regions[n];
	const struct pkh_region_state *prev;
	u64 base, size;
	u32 bs, flags;
	int ret;

	pkh_set_region_path(c, n);
	ret = pkh_collect(c, node, pkh_region_spec, pkh_region_props(c));
	if (ret)
		return ret;
	/* 4.1 */
	ret = pkh_need_region(c);
	if (ret)
		return ret;
	base = pkh_u64(c, PKH_REGION_BASE);
	size = pkh_u64(c, PKH_REGION_SIZE);
	bs = pkh_u32(c, PKH_REGION_BLOCK_SIZE);
	flags = pkh_u32(c, PKH_REGION_FLAGS);
	/* 4.2 */
	if (!size)
		return pkh_fail(c, PKH_ERR_ZERO_SIZE, PKH_PROP_SIZE, "size 0");
	/* 4.3 */
	if (base % PKH_REGION_ALIGN)
		return pkh_fail(c, PKH_ERR_UNALIGNED, PKH_PROP_BASE,
				"0x%llx is not a multiple of 0x%x",
				base, PKH_REGION_ALIGN);
	if (size % PKH_REGION_ALIGN)
		return pkh_fail(c, PKH_ERR_UNALIGNED, PKH_PROP_SIZE,
				"0x%llx is not a multiple of 0x%x",
				size, PKH_REGION_ALIGN);
	/* 4.4 */
	if (base + size < base)
		return pkh_fail(c, PKH_ERR_OVERFLOW, PKH_PROP_SIZE,
				"base 0x%llx + size 0x%llx wraps", base, size);
	/* 4.5 */
	if (base < PKH_LOW_MEMORY_END)
		return pkh_fail(c, PKH_ERR_LOW_MEMORY, PKH_PROP_BASE,
				"0x%llx is below 0x%x", base,
				PKH_LOW_MEMORY_END);
	/* 4.6 */
	if (bs < PKH_MIN_BLOCK_SIZE || bs > PKH_MAX_BLOCK_SIZE ||
	    (bs & (bs - 1)) || size % bs)
		return pkh_fail(c, PKH_ERR_BAD_VALUE, PKH_PROP_BLOCK_SIZE,
				"0x%x: not a power of two in [0x%x, 0x%x] dividing size 0x%llx",
				bs, PKH_MIN_BLOCK_SIZE, PKH_MAX_BLOCK_SIZE,
				size);
	if (size / bs > PKH_MAX_REGION_BLOCKS)
		return pkh_fail(c, PKH_ERR_TOO_MANY, PKH_PROP_BLOCK_SIZE,
				"%llu blocks, at most %u", size / bs,
				PKH_MAX_REGION_BLOCKS);
	/* 4.7 */
	if (!flags || (flags & ~PKH_REGION_F_ALL))
		return pkh_fail(c, PKH_ERR_BAD_VALUE, PKH_PROP_FLAGS,
				"0x%x: zero or unknown bits", flags);
	/* 4.8 */
	if (n) {
		prev = &c->regions[n - 1];
		if (base < prev->base)
			return pkh_fail(c, PKH_ERR_NOT_SORTED, PKH_PROP_BASE,
					"0x%llx below the previous base 0x%llx",
					base, prev->base);
		if (base < prev->base + prev->size)
			return pkh_fail(c, PKH_ERR_OVERLAP, PKH_PROP_BASE,
					"0x%llx inside the previous region, which ends at 0x%llx",
					base, prev->base + prev->size);
	}
	/* 4.9 */
	ret = pkh_check_memory_map(c, base, size);
	if (ret)
		return ret;
	r->base = base;
	r->size = size;
	r->block_size = bs;
	r->flags = flags;
	r->nr_files = 0;
	r->metadata = NULL;
	r->nr_metadata = 0;
	/* 4.10: v2 only */
	if (c->abi_major != 1) {
		ret = pkh_check_metadata(c, r);
		if (ret)
			return ret;
	}
	/* 4.11 */
	ret = pkh_check_extra(c);
	if (ret)
		return ret;
	/* 4.12 */
	return pkh_check_files(c, node, n);
}

/* VALIDATION.md 3 for /regions, then 4 and 5 for each region. */
static int pkh_check_regions(struct pkh_ctx *c)
{
	const char *name;
	unsigned int n = 0;
	int child, ret;

	pkh_set_path(c, "/%s", PKH_NODE_REGIONS);
	ret = pkh_check_list_node(c, c->regions_node);
	if (ret)
		return ret;
	fdt_for_each_subnode(child, c->fdt, c->regions_node) {
		name = pkh_child_name(c, child);
		if (!name)
			return pkh_fail(c, PKH_ERR_BAD_FDT, NULL,
					"unreadable node name");
		if (pkh_optional(name))
			continue;
		if (!pkh_is_kind(name, PKH_NODE_REGION))
			return pkh_fail(c, PKH_ERR_UNKNOWN_NODE, name,
					"unknown node");
		ret = pkh_check_list_child(c, name, PKH_NODE_REGION, n,
					   PKH_MAX_REGIONS);
		if (ret)
			return ret;
		ret = pkh_check_region(c, child, n);
		if (ret)
			return ret;
		c->nr_regions = ++n;
		pkh_set_path(c, "/%s", PKH_NODE_REGIONS);
	}
	if (!n)
		return pkh_fail(c, PKH_ERR_MISSING_NODE, PKH_NODE_REGION "@0",
				"at least one region is required");
	return 0;
}

/* ------------------------------------------------------------ iommu */

enum { PKH_UNIT_TYPE, PKH_UNIT_REG_BASE, PKH_UNIT_SEGMENT,
	PKH_UNIT_ROOT_TABLE, PKH_UNIT_TRANSLATION_MODE,
	PKH_UNIT_TABLE_REGION };

static const struct pkh_prop_spec pkh_unit_spec[] = {
	{ PKH_PROP_TYPE, 4 },
	{ PKH_PROP_REG_BASE, 8 },
	{ PKH_PROP_SEGMENT, 4 },
	{ PKH_PROP_ROOT_TABLE, 8 },
	{ PKH_PROP_TRANSLATION_MODE, 4 },
	{ PKH_PROP_TABLE_REGION, 4 },
};

enum { PKH_DOMAIN_UNIT, PKH_DOMAIN_DOMAIN_ID, PKH_DOMAIN_PGTABLE_ROOT,
	PKH_DOMAIN_FORMAT, PKH_DOMAIN_LEVELS, PKH_DOMAIN_ADDRESS_WIDTH,
	PKH_DOMAIN_IOVA_MAP };

/* The last entry, the iova map, only from v3 on. */
static const struct pkh_prop_spec pkh_domain_spec[] = {
	{ PKH_PROP_UNIT, 4 },
	{ PKH_PROP_DOMAIN_ID, 4 },
	{ PKH_PROP_PGTABLE_ROOT, 8 },
	{ PKH_PROP_FORMAT, 4 },
	{ PKH_PROP_LEVELS, 4 },
	{ PKH_PROP_ADDRESS_WIDTH, 4 },
	{ PKH_PROP_IOVA_MAP, -(int)sizeof(struct pkh_iova_mapping) },
};

static unsigned int pkh_domain_props(const struct pkh_ctx *c)
{
	return c->abi_major >= 3 ? ARRAY_SIZE(pkh_domain_spec) :
				   ARRAY_SIZE(pkh_domain_spec) - 1;
}

static int pkh_check_iova_map(struct pkh_ctx *c, u32 width, const u8 *data,
			      unsigned int nr);

static int pkh_check_unit(struct pkh_ctx *c, int node, unsigned int n)
{
	struct pkh_unit_state *u = &c->units[n];
	u64 reg, root;
	u32 type, segment, mode, region;
	int ret;

	pkh_set_path(c, "/%s/%s@%x", PKH_NODE_IOMMU, PKH_NODE_UNIT, n);
	ret = pkh_collect(c, node, pkh_unit_spec, ARRAY_SIZE(pkh_unit_spec));
	if (ret)
		return ret;
	/* 6.1 */
	ret = pkh_need_all(c);
	if (ret)
		return ret;
	type = pkh_u32(c, PKH_UNIT_TYPE);
	reg = pkh_u64(c, PKH_UNIT_REG_BASE);
	segment = pkh_u32(c, PKH_UNIT_SEGMENT);
	root = pkh_u64(c, PKH_UNIT_ROOT_TABLE);
	mode = pkh_u32(c, PKH_UNIT_TRANSLATION_MODE);
	region = pkh_u32(c, PKH_UNIT_TABLE_REGION);
	/* 6.2 */
	if (type < PKH_IOMMU_TYPE_INTEL_VTD || type > PKH_IOMMU_TYPE_ARM_SMMU_V3)
		return pkh_fail(c, PKH_ERR_BAD_VALUE, PKH_PROP_TYPE,
				"unknown IOMMU type %u", type);
	if (type != PKH_IOMMU_TYPE_INTEL_VTD)
		return pkh_fail(c, PKH_ERR_UNSUPPORTED, PKH_PROP_TYPE,
				"IOMMU type %u is reserved in v1", type);
	/* 6.3 */
	if (reg & PKH_PAGE_MASK)
		return pkh_fail(c, PKH_ERR_UNALIGNED, PKH_PROP_REG_BASE,
				"0x%llx is not 4 KiB aligned", reg);
	/* 6.4 */
	if (n && reg == c->prev_key)
		return pkh_fail(c, PKH_ERR_DUPLICATE, PKH_PROP_REG_BASE,
				"0x%llx again", reg);
	if (n && reg < c->prev_key)
		return pkh_fail(c, PKH_ERR_NOT_SORTED, PKH_PROP_REG_BASE,
				"0x%llx after 0x%llx", reg, c->prev_key);
	c->prev_key = reg;
	/* 6.5 */
	if (segment > 0xffff)
		return pkh_fail(c, PKH_ERR_BAD_VALUE, PKH_PROP_SEGMENT,
				"segment 0x%x above 0xffff", segment);
	/* 6.6 */
	if (root & PKH_PAGE_MASK)
		return pkh_fail(c, PKH_ERR_UNALIGNED, PKH_PROP_ROOT_TABLE,
				"0x%llx is not 4 KiB aligned", root);
	/* 6.7 */
	if (mode < PKH_TRANSLATION_LEGACY || mode > PKH_TRANSLATION_SCALABLE)
		return pkh_fail(c, PKH_ERR_BAD_VALUE,
				PKH_PROP_TRANSLATION_MODE,
				"unknown translation mode %u", mode);
	/* 6.8 */
	if (region >= c->nr_regions)
		return pkh_fail(c, PKH_ERR_BAD_REFERENCE,
				PKH_PROP_TABLE_REGION,
				"region %u of %u", region, c->nr_regions);
	if (!(c->regions[region].flags & PKH_REGION_F_IOMMU_TABLES))
		return pkh_fail(c, PKH_ERR_BAD_VALUE, PKH_PROP_TABLE_REGION,
				"region %u lacks the IOMMU_TABLES flag",
				region);
	/* 6.9; v2: not in the region's pkernfs metadata */
	if (!pkh_page_in_region(root, &c->regions[region]))
		return pkh_fail(c, PKH_ERR_OUT_OF_BOUNDS, PKH_PROP_ROOT_TABLE,
				"0x%llx is not inside region %u", root, region);
	if (pkh_in_metadata(&c->regions[region],
			    root - c->regions[region].base, PKH_PAGE_SIZE))
		return pkh_fail(c, PKH_ERR_OVERLAP, PKH_PROP_ROOT_TABLE,
				"0x%llx is in the pkernfs metadata of region %u",
				root, region);
	u->segment = segment;
	u->table_region = region;
	/* 6.10 */
	ret = pkh_check_extra(c);
	if (ret)
		return ret;
	return pkh_check_no_children(c, node);
}

static int pkh_check_domain(struct pkh_ctx *c, int node, unsigned int n)
{
	struct pkh_domain_state *d = &c->domains[n];
	const struct pkh_region_state *r;
	u32 unit, id, format, levels, width;
	u64 root, key;
	int ret;

	pkh_set_path(c, "/%s/%s@%x", PKH_NODE_IOMMU, PKH_NODE_DOMAIN, n);
	ret = pkh_collect(c, node, pkh_domain_spec, pkh_domain_props(c));
	if (ret)
		return ret;
	/* 7.1 */
	ret = pkh_need_all(c);
	if (ret)
		return ret;
	unit = pkh_u32(c, PKH_DOMAIN_UNIT);
	id = pkh_u32(c, PKH_DOMAIN_DOMAIN_ID);
	root = pkh_u64(c, PKH_DOMAIN_PGTABLE_ROOT);
	format = pkh_u32(c, PKH_DOMAIN_FORMAT);
	levels = pkh_u32(c, PKH_DOMAIN_LEVELS);
	width = pkh_u32(c, PKH_DOMAIN_ADDRESS_WIDTH);
	/* 7.2 */
	if (unit >= c->nr_units)
		return pkh_fail(c, PKH_ERR_BAD_REFERENCE, PKH_PROP_UNIT,
				"unit %u of %u", unit, c->nr_units);
	/* 7.3 */
	if (!id || id > 0xffff)
		return pkh_fail(c, PKH_ERR_BAD_VALUE, PKH_PROP_DOMAIN_ID,
				"domain id %u not in 1..0xffff", id);
	/* 7.4 */
	key = (u64)unit << 32 | id;
	if (n && key == c->prev_key)
		return pkh_fail(c, PKH_ERR_DUPLICATE, PKH_PROP_DOMAIN_ID,
				"unit %u domain %u again", unit, id);
	if (n && key < c->prev_key)
		return pkh_fail(c, PKH_ERR_NOT_SORTED, PKH_PROP_DOMAIN_ID,
				"unit %u domain %u after unit %u domain %u",
				unit, id, (u32)(c->prev_key >> 32),
				(u32)c->prev_key);
	c->prev_key = key;
	/* 7.5 */
	if (root & PKH_PAGE_MASK)
		return pkh_fail(c, PKH_ERR_UNALIGNED, PKH_PROP_PGTABLE_ROOT,
				"0x%llx is not 4 KiB aligned", root);
	r = &c->regions[c->units[unit].table_region];
	if (!pkh_page_in_region(root, r))
		return pkh_fail(c, PKH_ERR_OUT_OF_BOUNDS, PKH_PROP_PGTABLE_ROOT,
				"0x%llx is not inside region %u", root,
				c->units[unit].table_region);
	/* 7.6 */
	if (format < PKH_PGTABLE_VTD_SECOND_LEVEL ||
	    format > PKH_PGTABLE_VTD_FIRST_LEVEL)
		return pkh_fail(c, PKH_ERR_BAD_VALUE, PKH_PROP_FORMAT,
				"unknown page-table format %u", format);
	if (levels < 3 || levels > 5)
		return pkh_fail(c, PKH_ERR_BAD_VALUE, PKH_PROP_LEVELS,
				"%u levels, not 3..5", levels);
	if (width != 12 + 9 * levels)
		return pkh_fail(c, PKH_ERR_BAD_VALUE, PKH_PROP_ADDRESS_WIDTH,
				"%u bits, %u levels translate %u",
				width, levels, 12 + 9 * levels);
	/* 7.7: v2 */
	if (pkh_in_metadata(r, root - r->base, PKH_PAGE_SIZE))
		return pkh_fail(c, PKH_ERR_OVERLAP, PKH_PROP_PGTABLE_ROOT,
				"0x%llx is in the pkernfs metadata of region %u",
				root, c->units[unit].table_region);
	d->unit = unit;
	d->address_width = width;
	d->iova_map = NULL;
	d->nr_iova = 0;
	d->first_device = -1;
	/* 7.8: v3 */
	if (c->abi_major >= 3) {
		d->iova_map = c->val[PKH_DOMAIN_IOVA_MAP];
		d->nr_iova = c->len[PKH_DOMAIN_IOVA_MAP] /
			     sizeof(struct pkh_iova_mapping);
		ret = pkh_check_iova_map(c, width, d->iova_map, d->nr_iova);
		if (ret)
			return ret;
	}
	/* 7.9 */
	ret = pkh_check_extra(c);
	if (ret)
		return ret;
	return pkh_check_no_children(c, node);
}

/* VALIDATION.md 3 for /iommu, then 6 and 7. */
static int pkh_check_iommu(struct pkh_ctx *c)
{
	const char *name;
	int child, ret;

	pkh_set_path(c, "/%s", PKH_NODE_IOMMU);
	ret = pkh_check_list_node(c, c->iommu_node);
	if (ret)
		return ret;
	fdt_for_each_subnode(child, c->fdt, c->iommu_node) {
		name = pkh_child_name(c, child);
		if (!name)
			return pkh_fail(c, PKH_ERR_BAD_FDT, NULL,
					"unreadable node name");
		if (pkh_optional(name))
			continue;
		if (pkh_is_kind(name, PKH_NODE_UNIT)) {
			ret = pkh_check_list_child(c, name, PKH_NODE_UNIT,
						   c->nr_units,
						   PKH_MAX_IOMMU_UNITS);
			if (ret)
				return ret;
			if (c->nr_domains)
				return pkh_fail(c, PKH_ERR_NOT_SORTED, name,
						"units come before domains");
			ret = pkh_check_unit(c, child, c->nr_units);
			if (ret)
				return ret;
			c->nr_units++;
		} else if (pkh_is_kind(name, PKH_NODE_DOMAIN)) {
			ret = pkh_check_list_child(c, name, PKH_NODE_DOMAIN,
						   c->nr_domains,
						   PKH_MAX_DOMAINS);
			if (ret)
				return ret;
			ret = pkh_check_domain(c, child, c->nr_domains);
			if (ret)
				return ret;
			c->nr_domains++;
		} else {
			return pkh_fail(c, PKH_ERR_UNKNOWN_NODE, name,
					"unknown node");
		}
		pkh_set_path(c, "/%s", PKH_NODE_IOMMU);
	}
	return 0;
}

/* ------------------------------------------------------------ devices */

enum { PKH_DEV_PCI_ADDRESS, PKH_DEV_PCI_IDS, PKH_DEV_IOMMU_GROUP,
	PKH_DEV_DOMAIN, PKH_DEV_FLAGS, PKH_DEV_IOVA_MAP };

/* The last entry, the device's own iova map, only in v1 and v2. */
static const struct pkh_prop_spec pkh_device_spec[] = {
	{ PKH_PROP_PCI_ADDRESS, 4 },
	{ PKH_PROP_PCI_IDS, 16 },
	{ PKH_PROP_IOMMU_GROUP, 4 },
	{ PKH_PROP_DOMAIN, 4 },
	{ PKH_PROP_FLAGS, 4 },
	{ PKH_PROP_IOVA_MAP, -(int)sizeof(struct pkh_iova_mapping) },
};

static unsigned int pkh_device_props(const struct pkh_ctx *c)
{
	return c->abi_major >= 3 ? ARRAY_SIZE(pkh_device_spec) - 1 :
				   ARRAY_SIZE(pkh_device_spec);
}

/*
 * 8.7 to 8.9: the @nr records at @data, an iova map of the node being
 * checked (a v3 domain, or a v1 or v2 device) whose domain translates
 * @width address bits.
 */
static int pkh_check_iova_map(struct pkh_ctx *c, u32 width, const u8 *data,
			      unsigned int nr)
{
	const struct pkh_region_state *r;
	struct pkh_iova_mapping m;
	u64 iova, off, len, prev_end = 0;
	u32 region, perm;
	unsigned int k;

	/* 8.7 */
	if (nr > PKH_MAX_IOVA_MAPPINGS)
		return pkh_fail(c, PKH_ERR_TOO_MANY, PKH_PROP_IOVA_MAP,
				"%u mappings, at most %u", nr,
				PKH_MAX_IOVA_MAPPINGS);
	/* 8.8 */
	for (k = 0; k < nr; k++) {
		memcpy(&m, data + (size_t)k * sizeof(m), sizeof(m));
		iova = le64_to_cpu(m.iova);
		off = le64_to_cpu(m.region_offset);
		len = le64_to_cpu(m.length);
		region = le32_to_cpu(m.region);
		perm = le32_to_cpu(m.perm);
		if (!len)
			return pkh_fail(c, PKH_ERR_ZERO_SIZE, pkh_item(c, PKH_PROP_IOVA_MAP, k),
					"length 0");
		if ((iova | off | len) & PKH_PAGE_MASK)
			return pkh_fail(c, PKH_ERR_UNALIGNED, pkh_item(c, PKH_PROP_IOVA_MAP, k),
					"iova 0x%llx offset 0x%llx length 0x%llx not 4 KiB aligned",
					iova, off, len);
		if (iova + len < iova || off + len < off)
			return pkh_fail(c, PKH_ERR_OVERFLOW, pkh_item(c, PKH_PROP_IOVA_MAP, k),
					"iova 0x%llx or offset 0x%llx + length 0x%llx wraps",
					iova, off, len);
		if (region >= c->nr_regions)
			return pkh_fail(c, PKH_ERR_BAD_REFERENCE, pkh_item(c, PKH_PROP_IOVA_MAP, k),
					"region %u of %u", region,
					c->nr_regions);
		if (!perm || (perm & ~PKH_IOVA_PERM_ALL))
			return pkh_fail(c, PKH_ERR_BAD_VALUE, pkh_item(c, PKH_PROP_IOVA_MAP, k),
					"permissions 0x%x: none or unknown bits",
					perm);
		r = &c->regions[region];
		if (!(r->flags & PKH_REGION_F_GUEST_RAM))
			return pkh_fail(c, PKH_ERR_BAD_VALUE, pkh_item(c, PKH_PROP_IOVA_MAP, k),
					"region %u lacks the GUEST_RAM flag",
					region);
		if (off + len > r->size)
			return pkh_fail(c, PKH_ERR_OUT_OF_BOUNDS, pkh_item(c, PKH_PROP_IOVA_MAP, k),
					"ends at 0x%llx, region %u size 0x%llx",
					off + len, region, r->size);
		if (iova + len > (1ull << width))
			return pkh_fail(c, PKH_ERR_OUT_OF_BOUNDS, pkh_item(c, PKH_PROP_IOVA_MAP, k),
					"iova end 0x%llx beyond %u address bits",
					iova + len, width);
		if (k && iova < prev_end)
			return pkh_fail(c, PKH_ERR_OVERLAP, pkh_item(c, PKH_PROP_IOVA_MAP, k),
					"iova 0x%llx below the previous end 0x%llx",
					iova, prev_end);
		prev_end = iova + len;
	}
	/* 8.9, from v2 on: no mapping reaches its region's pkernfs metadata. */
	for (k = 0; k < nr; k++) {
		memcpy(&m, data + (size_t)k * sizeof(m), sizeof(m));
		off = le64_to_cpu(m.region_offset);
		len = le64_to_cpu(m.length);
		region = le32_to_cpu(m.region);
		if (pkh_in_metadata(&c->regions[region], off, len))
			return pkh_fail(c, PKH_ERR_OVERLAP, PKH_PROP_IOVA_MAP,
					"iova-map[%u]: [0x%llx, 0x%llx) of region %u holds pkernfs metadata",
					k, off, off + len, region);
	}
	return 0;
}

/*
 * 8.10: the devices of one domain reach what its tables translate, so each
 * carries the map of the domain's first device.  In v3 the map is the
 * domain's and only the first device is noted.
 */
static int pkh_check_same_map(struct pkh_ctx *c, u32 domain, unsigned int n)
{
	struct pkh_domain_state *d = &c->domains[domain];
	const u8 *map = c->val[PKH_DEV_IOVA_MAP];
	unsigned int nr = c->len[PKH_DEV_IOVA_MAP] /
			  sizeof(struct pkh_iova_mapping);

	if (d->first_device < 0) {
		d->first_device = n;
		if (c->abi_major < 3) {
			d->iova_map = map;
			d->nr_iova = nr;
		}
		return 0;
	}
	if (c->abi_major >= 3)
		return 0;
	if (nr != d->nr_iova ||
	    memcmp(map, d->iova_map, (size_t)nr * sizeof(struct pkh_iova_mapping)))
		return pkh_fail(c, PKH_ERR_BAD_VALUE, PKH_PROP_IOVA_MAP,
				"differs from the map of device@%x, attached to the same domain %u",
				d->first_device, domain);
	return 0;
}

static int pkh_check_device(struct pkh_ctx *c, int node, unsigned int n)
{
	const u8 *ids;
	u32 addr, domain, flags, id;
	unsigned int i;
	int ret;

	pkh_set_path(c, "/%s/%s@%x", PKH_NODE_DEVICES, PKH_NODE_DEVICE, n);
	ret = pkh_collect(c, node, pkh_device_spec, pkh_device_props(c));
	if (ret)
		return ret;
	/* 8.1 */
	ret = pkh_need_all(c);
	if (ret)
		return ret;
	addr = pkh_u32(c, PKH_DEV_PCI_ADDRESS);
	ids = c->val[PKH_DEV_PCI_IDS];
	domain = pkh_u32(c, PKH_DEV_DOMAIN);
	flags = pkh_u32(c, PKH_DEV_FLAGS);
	/* 8.2 */
	if (n && addr == c->prev_key)
		return pkh_fail(c, PKH_ERR_DUPLICATE, PKH_PROP_PCI_ADDRESS,
				"0x%08x again", addr);
	if (n && addr < c->prev_key)
		return pkh_fail(c, PKH_ERR_NOT_SORTED, PKH_PROP_PCI_ADDRESS,
				"0x%08x after 0x%08x", addr,
				(u32)c->prev_key);
	c->prev_key = addr;
	/* 8.3 */
	for (i = 0; i < 4; i++) {
		id = pkh_be32(ids + 4 * i);
		if (id > 0xffff || (!i && id == 0xffff))
			return pkh_fail(c, PKH_ERR_BAD_VALUE, PKH_PROP_PCI_IDS,
					"id %u is 0x%x", i, id);
	}
	/* 8.4 */
	if (domain >= c->nr_domains)
		return pkh_fail(c, PKH_ERR_BAD_REFERENCE, PKH_PROP_DOMAIN,
				"domain %u of %u", domain, c->nr_domains);
	/* 8.5 */
	if (c->units[c->domains[domain].unit].segment !=
	    PKH_PCI_SEGMENT(addr))
		return pkh_fail(c, PKH_ERR_BAD_VALUE, PKH_PROP_DOMAIN,
				"domain %u is on segment %u, the device on %u",
				domain,
				c->units[c->domains[domain].unit].segment,
				PKH_PCI_SEGMENT(addr));
	/* 8.6 */
	if (flags & ~PKH_DEVICE_F_ALL)
		return pkh_fail(c, PKH_ERR_BAD_VALUE, PKH_PROP_FLAGS,
				"0x%x has unknown bits", flags);
	/* 8.7 to 8.9: v1 and v2 */
	if (c->abi_major < 3) {
		ret = pkh_check_iova_map(c, c->domains[domain].address_width,
					 c->val[PKH_DEV_IOVA_MAP],
					 c->len[PKH_DEV_IOVA_MAP] /
					 sizeof(struct pkh_iova_mapping));
		if (ret)
			return ret;
	}
	ret = pkh_check_same_map(c, domain, n);
	if (ret)
		return ret;
	/* 8.11 */
	ret = pkh_check_extra(c);
	if (ret)
		return ret;
	return pkh_check_no_children(c, node);
}

/* VALIDATION.md 3 for /devices, then 8. */
static int pkh_check_devices(struct pkh_ctx *c)
{
	const char *name;
	unsigned int n = 0;
	int child, ret;

	pkh_set_path(c, "/%s", PKH_NODE_DEVICES);
	ret = pkh_check_list_node(c, c->devices_node);
	if (ret)
		return ret;
	fdt_for_each_subnode(child, c->fdt, c->devices_node) {
		name = pkh_child_name(c, child);
		if (!name)
			return pkh_fail(c, PKH_ERR_BAD_FDT, NULL,
					"unreadable node name");
		if (pkh_optional(name))
			continue;
		if (!pkh_is_kind(name, PKH_NODE_DEVICE))
			return pkh_fail(c, PKH_ERR_UNKNOWN_NODE, name,
					"unknown node");
		ret = pkh_check_list_child(c, name, PKH_NODE_DEVICE, n,
					   PKH_MAX_DEVICES);
		if (ret)
			return ret;
		ret = pkh_check_device(c, child, n);
		if (ret)
			return ret;
		n++;
		pkh_set_path(c, "/%s", PKH_NODE_DEVICES);
	}
	return 0;
}

/*
 * 9: a v3 domain's map reaches guest RAM only through the devices attached
 * to it; a map no device uses would keep memory mapped for no one.
 */
static int pkh_check_domains_used(struct pkh_ctx *c)
{
	unsigned int n;

	if (c->abi_major < 3)
		return 0;
	for (n = 0; n < c->nr_domains; n++) {
		if (!c->domains[n].nr_iova || c->domains[n].first_device >= 0)
			continue;
		pkh_set_path(c, "/%s/%s@%x", PKH_NODE_IOMMU, PKH_NODE_DOMAIN, n);
		return pkh_fail(c, PKH_ERR_BAD_VALUE, PKH_PROP_IOVA_MAP,
				"%u mappings, but no device is attached to domain %u",
				c->domains[n].nr_iova, n);
	}
	return 0;
}

static int pkh_validate(struct pkh_ctx *c)
{
	int ret;

	ret = pkh_check_root(c);
	if (ret)
		return ret;
	ret = pkh_check_regions(c);
	if (ret)
		return ret;
	if (c->iommu_node >= 0) {
		ret = pkh_check_iommu(c);
		if (ret)
			return ret;
	}
	if (c->devices_node >= 0) {
		ret = pkh_check_devices(c);
		if (ret)
			return ret;
	}
	return pkh_check_domains_used(c);
}

/* ------------------------------------------------------------ publish */

/*
 * The publish pass reads a tree that validated, so it only repeats the walk
 * (skipping optional items) and hands out what it finds.
 */

static int pkh_callback_failed(struct pkh_ctx *c, int ret)
{
	if (c->err) {
		c->err->code = PKH_ERR_OK;
		pkh_set_where(c->err, c->path, NULL);
		snprintf(c->err->why, sizeof(c->err->why),
			 "callback returned %d", ret);
	}
	return ret;
}

static int pkh_publish_region(struct pkh_ctx *c, int node, unsigned int n)
{
	const struct pkh_region_state *r = &c->regions[n];
	struct pkh_region_info ri;
	struct pkh_file_info fi;
	const char *name;
	unsigned int k = 0;
	int child, ret;

	pkh_set_region_path(c, n);
	ret = pkh_collect(c, node, pkh_region_spec, pkh_region_props(c));
	if (ret)
		return ret;
	memset(&ri, 0, sizeof(ri));
	ri.index = n;
	ri.base = r->base;
	ri.size = r->size;
	ri.block_size = r->block_size;
	ri.fs_uuid = c->val[PKH_REGION_FS_UUID];
	ri.flags = r->flags;
	ri.nr_files = r->nr_files;
	ri.metadata = (const struct pkh_extent *)r->metadata;
	ri.nr_metadata = r->nr_metadata;
	if (r->metadata)
		ri.metadata_digest = c->val[PKH_REGION_METADATA_DIGEST];
	if (c->ops->region) {
		ret = c->ops->region(c->ops->ctx, &ri);
		if (ret)
			return pkh_callback_failed(c, ret);
	}
	fdt_for_each_subnode(child, c->fdt, node) {
		name = pkh_child_name(c, child);
		if (!name || pkh_optional(name))
			continue;
		pkh_set_path(c, "/%s/%s@%x/%s@%x", PKH_NODE_REGIONS,
			     PKH_NODE_REGION, n, PKH_NODE_FILE, k);
		ret = pkh_collect(c, child, pkh_file_spec,
				  pkh_file_props(c));
		if (ret)
			return ret;
		memset(&fi, 0, sizeof(fi));
		fi.region = n;
		fi.index = k++;
		fi.name = c->val[PKH_FILE_NAME];
		fi.inode = pkh_u64(c, PKH_FILE_INODE);
		fi.size = pkh_u64(c, PKH_FILE_SIZE);
		if (c->abi_major == 1) {
			fi.extents = c->val[PKH_FILE_EXTENTS];
			fi.nr_extents = c->len[PKH_FILE_EXTENTS] /
					sizeof(struct pkh_extent);
		}
		if (c->ops->file) {
			ret = c->ops->file(c->ops->ctx, &fi);
			if (ret)
				return pkh_callback_failed(c, ret);
		}
	}
	return 0;
}

static int pkh_publish_unit(struct pkh_ctx *c, int node, unsigned int n)
{
	struct pkh_iommu_unit_info ui;
	int ret;

	pkh_set_path(c, "/%s/%s@%x", PKH_NODE_IOMMU, PKH_NODE_UNIT, n);
	ret = pkh_collect(c, node, pkh_unit_spec, ARRAY_SIZE(pkh_unit_spec));
	if (ret)
		return ret;
	memset(&ui, 0, sizeof(ui));
	ui.index = n;
	ui.type = pkh_u32(c, PKH_UNIT_TYPE);
	ui.reg_base = pkh_u64(c, PKH_UNIT_REG_BASE);
	ui.segment = pkh_u32(c, PKH_UNIT_SEGMENT);
	ui.root_table = pkh_u64(c, PKH_UNIT_ROOT_TABLE);
	ui.translation_mode = pkh_u32(c, PKH_UNIT_TRANSLATION_MODE);
	ui.table_region = pkh_u32(c, PKH_UNIT_TABLE_REGION);
	if (!c->ops->iommu_unit)
		return 0;
	ret = c->ops->iommu_unit(c->ops->ctx, &ui);
	return ret ? pkh_callback_failed(c, ret) : 0;
}

static int pkh_publish_domain(struct pkh_ctx *c, int node, unsigned int n)
{
	struct pkh_iommu_domain_info di;
	int ret;

	pkh_set_path(c, "/%s/%s@%x", PKH_NODE_IOMMU, PKH_NODE_DOMAIN, n);
	ret = pkh_collect(c, node, pkh_domain_spec, pkh_domain_props(c));
	if (ret)
		return ret;
	memset(&di, 0, sizeof(di));
	di.index = n;
	di.unit = pkh_u32(c, PKH_DOMAIN_UNIT);
	di.domain_id = pkh_u32(c, PKH_DOMAIN_DOMAIN_ID);
	di.pgtable_root = pkh_u64(c, PKH_DOMAIN_PGTABLE_ROOT);
	di.format = pkh_u32(c, PKH_DOMAIN_FORMAT);
	di.levels = pkh_u32(c, PKH_DOMAIN_LEVELS);
	di.address_width = pkh_u32(c, PKH_DOMAIN_ADDRESS_WIDTH);
	if (!c->ops->iommu_domain)
		return 0;
	ret = c->ops->iommu_domain(c->ops->ctx, &di);
	return ret ? pkh_callback_failed(c, ret) : 0;
}

static int pkh_publish_device(struct pkh_ctx *c, int node, unsigned int n)
{
	struct pkh_device_info di;
	const u8 *ids;
	int ret;

	pkh_set_path(c, "/%s/%s@%x", PKH_NODE_DEVICES, PKH_NODE_DEVICE, n);
	ret = pkh_collect(c, node, pkh_device_spec, pkh_device_props(c));
	if (ret)
		return ret;
	ids = c->val[PKH_DEV_PCI_IDS];
	memset(&di, 0, sizeof(di));
	di.index = n;
	di.pci_address = pkh_u32(c, PKH_DEV_PCI_ADDRESS);
	di.vendor = pkh_be32(ids);
	di.device = pkh_be32(ids + 4);
	di.subsystem_vendor = pkh_be32(ids + 8);
	di.subsystem_device = pkh_be32(ids + 12);
	di.iommu_group = pkh_u32(c, PKH_DEV_IOMMU_GROUP);
	di.domain = pkh_u32(c, PKH_DEV_DOMAIN);
	di.flags = pkh_u32(c, PKH_DEV_FLAGS);
	/* The domain's map: v3's, or the first device's, which all equal. */
	di.iova_map = (const struct pkh_iova_mapping *)
		      c->domains[di.domain].iova_map;
	di.nr_iova = c->domains[di.domain].nr_iova;
	if (!c->ops->device)
		return 0;
	ret = c->ops->device(c->ops->ctx, &di);
	return ret ? pkh_callback_failed(c, ret) : 0;
}

static int pkh_publish(struct pkh_ctx *c)
{
	struct pkh_header_info hi;
	const char *name;
	unsigned int n, units = 0, domains = 0;
	int child, ret;

	c->path[0] = '\0';
	ret = pkh_collect(c, 0, pkh_root_spec, ARRAY_SIZE(pkh_root_spec));
	if (ret)
		return ret;
	memset(&hi, 0, sizeof(hi));
	hi.abi_major = c->abi_major;
	hi.abi_minor = c->abi_minor;
	hi.generation = pkh_u64(c, PKH_ROOT_GENERATION);
	hi.nonce = pkh_u64(c, PKH_ROOT_NONCE);
	hi.creator = c->val[PKH_ROOT_CREATOR];
	if (c->ops->header) {
		ret = c->ops->header(c->ops->ctx, &hi);
		if (ret)
			return pkh_callback_failed(c, ret);
	}

	n = 0;
	fdt_for_each_subnode(child, c->fdt, c->regions_node) {
		name = pkh_child_name(c, child);
		if (!name || pkh_optional(name))
			continue;
		ret = pkh_publish_region(c, child, n++);
		if (ret)
			return ret;
	}

	if (c->iommu_node >= 0) {
		fdt_for_each_subnode(child, c->fdt, c->iommu_node) {
			name = pkh_child_name(c, child);
			if (!name || pkh_optional(name))
				continue;
			if (pkh_is_kind(name, PKH_NODE_UNIT))
				ret = pkh_publish_unit(c, child, units++);
			else
				ret = pkh_publish_domain(c, child, domains++);
			if (ret)
				return ret;
		}
	}

	if (c->devices_node >= 0) {
		n = 0;
		fdt_for_each_subnode(child, c->fdt, c->devices_node) {
			name = pkh_child_name(c, child);
			if (!name || pkh_optional(name))
				continue;
			ret = pkh_publish_device(c, child, n++);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ API */

/**
 * pkh_parse() - validate a handover blob and walk what it preserves
 * @blob: the blob (header + FDT); not modified.  The FDT inside must be
 *        8-byte aligned for libfdt, i.e. @blob itself.
 * @size: bytes available at @blob
 * @map:  platform facts to check against, or NULL
 * @ops:  scratch allocator (required) and callbacks (optional)
 * @err:  filled on failure (code, where, why); may be NULL
 *
 * Checks everything docs/VALIDATION.md lists, in its order, and reports the
 * first failure.  Only if the whole blob is valid are the callbacks called:
 * header, then each region followed by its files, then IOMMU units, IOMMU
 * domains and devices, each in index order.  Scratch memory (the context,
 * about 100 KiB, most of it the state of PKH_MAX_DOMAINS domains, a
 * file-name table of 16 KiB and one block bitmap of up to
 * PKH_MAX_REGION_BLOCKS / 8 bytes at a time) comes from @ops->alloc and is
 * given back through @ops->free before returning, whatever the outcome.
 *
 * Return: 0 on success, -PKH_ERR_* if the blob is invalid (or scratch
 * memory ran out: -PKH_ERR_NO_MEMORY), or the non-zero value a callback
 * returned; then @err has code PKH_ERR_OK and the node in @err->where.
 */
int pkh_parse(const void *blob, size_t size, const struct pkh_memory_map *map,
	      const struct pkh_parse_ops *ops, struct pkh_error *err)
{
	const void *fdt = NULL;
	struct pkh_ctx *c;
	u16 major = 0, minor = 0;
	int ret;

	if (err)
		memset(err, 0, sizeof(*err));
	ret = pkh_check_header(blob, size, err, &fdt, &major, &minor);
	if (ret)
		return ret;
	if (!ops || !ops->alloc || !ops->free)
		return pkh_fail_at(err, PKH_ERR_NO_MEMORY, "ops",
				   "no scratch allocator");
	c = ops->alloc(ops->ctx, sizeof(*c));
	if (!c)
		return pkh_fail_at(err, PKH_ERR_NO_MEMORY, "ops",
				   "no memory for %zu bytes of context",
				   sizeof(*c));
	memset(c, 0, sizeof(*c));
	c->fdt = fdt;
	c->abi_major = major;
	c->abi_minor = minor;
	c->map = map;
	c->ops = ops;
	c->err = err;
	c->regions_node = -1;
	c->iommu_node = -1;
	c->devices_node = -1;

	ret = pkh_validate(c);
	pkh_free_bitmap(c);
	if (c->names)
		ops->free(ops->ctx, c->names,
			  PKH_NAME_SLOTS * sizeof(*c->names));
	c->names = NULL;
	if (!ret)
		ret = pkh_publish(c);
	ops->free(ops->ctx, c, sizeof(*c));
	return ret;
}

/**
 * pkh_strerror() - short explanation of a PKH_ERR_* code
 * @code: the code, positive or negated
 *
 * Return: a static string; "unknown error" for codes out of range.
 */
const char *pkh_strerror(int code)
{
	if (code < 0 && code > -(int)ARRAY_SIZE(pkh_errors))
		code = -code;
	if (code < 0 || code >= (int)ARRAY_SIZE(pkh_errors) ||
	    pkh_errors[code].code != code)
		return "unknown error";
	return pkh_errors[code].text;
}
