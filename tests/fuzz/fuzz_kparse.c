// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the kernel-C parser (kernel/linux/kernel/pkhandover/pkh_parse.c).
 *
 * Each input is parsed three ways so mutations reach past the CRC:
 *  1. as it is, with no memory map;
 *  2. with a v1 header's total_size and payload_crc32 fixed up, against a
 *     small memory map;
 *  3. as a bare FDT payload behind a valid header, once normally and once
 *     with the scratch allocator failing at its (size % 4)-th call.
 * Every callback reads every field and every byte its pointers cover, so
 * ASan sees any pointer the parser hands out that is not inside the input.
 * Allocations are checked: free() must get the size alloc() was asked for,
 * and nothing may stay allocated after pkh_parse() returns.
 *
 * The parser's CRC is the kernel's (pkh_crc32() over crc32_le(), from
 * pkh_compat.h): each input also checks it against zlib's crc32(), the
 * ABI's definition, with the input's first word as a crc32_le() seed and
 * split at a point the input picks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <zlib.h>

#include "pkh_parse.h"

struct fuzz_ctx {
	unsigned long live;	/* allocations not yet freed */
	int fail_at;		/* alloc call that fails, or -1 */
	int calls;
};

static volatile u64 sink;

static void touch(const void *p, size_t n)
{
	const volatile u8 *b = p;
	u64 sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		sum += b[i];
	sink += sum;
}

static void *f_alloc(void *ctx, size_t size)
{
	struct fuzz_ctx *f = ctx;
	size_t *p;

	if (f->calls++ == f->fail_at)
		return NULL;
	p = malloc(sizeof(size_t) + size);
	if (!p)
		return NULL;
	*p = size;
	f->live++;
	return p + 1;
}

static void f_free(void *ctx, void *ptr, size_t size)
{
	struct fuzz_ctx *f = ctx;
	size_t *p = (size_t *)ptr - 1;

	if (!ptr || *p != size || !f->live)
		abort();
	f->live--;
	free(p);
}

static int on_header(void *ctx, const struct pkh_header_info *i)
{
	(void)ctx;
	sink += i->abi_major + i->abi_minor + i->generation + i->nonce;
	touch(i->creator, strlen(i->creator) + 1);
	return 0;
}

static int on_region(void *ctx, const struct pkh_region_info *i)
{
	struct pkh_extent e;
	unsigned int k;

	(void)ctx;
	sink += i->index + i->base + i->size + i->block_size + i->flags +
		i->nr_files + i->nr_metadata;
	touch(i->fs_uuid, 16);
	/* v2: the ranges and the digest point into the blob; v1: none. */
	if (!i->nr_metadata != !i->metadata ||
	    !i->nr_metadata != !i->metadata_digest)
		abort();
	for (k = 0; k < i->nr_metadata; k++) {
		memcpy(&e, (const u8 *)i->metadata + k * sizeof(e), sizeof(e));
		sink += le64_to_cpu(e.region_offset) + le64_to_cpu(e.length);
	}
	if (i->metadata_digest)
		touch(i->metadata_digest, PKH_METADATA_DIGEST_SIZE);
	return 0;
}

static int on_file(void *ctx, const struct pkh_file_info *i)
{
	struct pkh_extent e;
	unsigned int k;

	(void)ctx;
	sink += i->region + i->index + i->inode + i->size + i->nr_extents;
	touch(i->name, strlen(i->name) + 1);
	for (k = 0; k < i->nr_extents; k++) {
		memcpy(&e, (const u8 *)i->extents + k * sizeof(e), sizeof(e));
		sink += le64_to_cpu(e.region_offset) + le64_to_cpu(e.length);
	}
	return 0;
}

static int on_unit(void *ctx, const struct pkh_iommu_unit_info *i)
{
	(void)ctx;
	sink += i->index + i->type + i->reg_base + i->segment +
		i->root_table + i->translation_mode + i->table_region;
	return 0;
}

static int on_domain(void *ctx, const struct pkh_iommu_domain_info *i)
{
	(void)ctx;
	sink += i->index + i->unit + i->domain_id + i->pgtable_root +
		i->format + i->levels + i->address_width;
	return 0;
}

static int on_device(void *ctx, const struct pkh_device_info *i)
{
	struct pkh_iova_mapping m;
	unsigned int k;

	(void)ctx;
	sink += i->index + i->pci_address + i->vendor + i->device +
		i->subsystem_vendor + i->subsystem_device + i->iommu_group +
		i->domain + i->flags + i->nr_iova;
	for (k = 0; k < i->nr_iova; k++) {
		memcpy(&m, (const u8 *)i->iova_map + k * sizeof(m), sizeof(m));
		sink += le64_to_cpu(m.iova) + le64_to_cpu(m.region_offset) +
			le64_to_cpu(m.length) + le32_to_cpu(m.region) +
			le32_to_cpu(m.perm);
	}
	return 0;
}

static void run(const u8 *blob, size_t size,
		const struct pkh_memory_map *map, int fail_at)
{
	struct fuzz_ctx f = { 0, fail_at, 0 };
	struct pkh_parse_ops ops = {
		.ctx = &f,
		.alloc = f_alloc,
		.free = f_free,
		.header = on_header,
		.region = on_region,
		.file = on_file,
		.iommu_unit = on_unit,
		.iommu_domain = on_domain,
		.device = on_device,
	};
	struct pkh_error err;
	int ret;

	ret = pkh_parse(blob, size, map, &ops, &err);
	if (f.live)
		abort();	/* scratch memory leaked */
	if (ret > 0 || ret <= -PKH_ERR_COUNT)
		abort();	/* callbacks return 0: only -PKH_ERR_* */
	if (ret && (err.code != -ret || !memchr(err.where, 0, sizeof(err.where)) ||
		    !memchr(err.why, 0, sizeof(err.why))))
		abort();
	if (ret == -PKH_ERR_NO_MEMORY && fail_at < 0)
		abort();
	sink += strlen(pkh_strerror(ret)) + strlen(err.where) +
		strlen(err.why);
}

/* The kernel's CRC against zlib's; aborts on a difference. */
static void check_crc(const u8 *data, size_t size)
{
	u32 seed = 0, whole;
	size_t split;

	if (pkh_crc32(data, size) != (u32)crc32_z(0, data, size))
		abort();
	if (size >= 4)
		memcpy(&seed, data, 4);
	/* zlib's crc32(c, p, n) is ~crc32_le(~c, p, n) */
	whole = crc32_le(seed, data, size);
	if (whole != (u32)~crc32_z(~seed, data, size))
		abort();
	/* a CRC continued in a second call is the CRC of the whole */
	split = size ? data[size - 1] * size / 256 : 0;
	if (crc32_le(crc32_le(seed, data, split), data + split,
		     size - split) != whole)
		abort();
}

static void put_le32(u8 *p, u32 v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct pkh_phys_range ram[] = {
		{ 0x100000, 0x7ff00000 },
		{ 0x100000000ull, 0x400000000ull },
	};
	static const struct pkh_phys_range reserved[] = {
		{ 0x1000000, 0x2000000 },
		{ 0x300000000ull, 0x200000 },
	};
	static const struct pkh_memory_map map = { ram, 2, reserved, 2 };
	u8 *copy;

	check_crc(data, size);

	/* 1: as given */
	run(data, size, NULL, -1);

	if (size > PKH_MAX_BLOB_SIZE - PKH_BLOB_HEADER_SIZE)
		return 0;
	copy = malloc(size + PKH_BLOB_HEADER_SIZE);
	if (!copy)
		return 0;

	/* 2: header fixed up */
	if (size >= PKH_BLOB_HEADER_SIZE) {
		memcpy(copy, data, size);
		put_le32(copy + 8, PKH_BLOB_HEADER_SIZE);
		put_le32(copy + 12, size);
		put_le32(copy + 16, pkh_crc32(copy + PKH_BLOB_HEADER_SIZE,
					      size - PKH_BLOB_HEADER_SIZE));
		run(copy, size, &map, -1);
	}

	/* 3: the input is the payload */
	memset(copy, 0, PKH_BLOB_HEADER_SIZE);
	put_le32(copy, PKH_BLOB_MAGIC);
	copy[4] = PKH_ABI_MAJOR;
	copy[6] = size & 0xff;		/* any minor is accepted */
	put_le32(copy + 8, PKH_BLOB_HEADER_SIZE);
	put_le32(copy + 12, size + PKH_BLOB_HEADER_SIZE);
	put_le32(copy + 16, pkh_crc32(data, size));
	memcpy(copy + PKH_BLOB_HEADER_SIZE, data, size);
	run(copy, size + PKH_BLOB_HEADER_SIZE, NULL, -1);
	run(copy, size + PKH_BLOB_HEADER_SIZE, &map, size % 4);

	free(copy);
	return 0;
}
