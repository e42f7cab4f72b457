/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel-side parser of the pkhandover blob.
 *
 * The same pkh_parse.c compiles in the kernel (with the kernel's libfdt) and
 * in userspace (libfdt) for tests and fuzzing; pkh_compat.h picks the
 * environment.
 * It never allocates except through ops->alloc, never writes to the blob and
 * publishes nothing (no callback runs) until the whole blob has validated:
 * a new kernel either adopts all of it or none of it.
 */
#ifndef PKH_PARSE_H
#define PKH_PARSE_H

#include "pkh_compat.h"

#include <pkhandover/abi.h>
#include <pkhandover/errors.h>

/**
 * struct pkh_phys_range - a physical range the platform knows about
 * @start: first byte
 * @size:  bytes
 */
struct pkh_phys_range {
	u64 start;
	u64 size;
};

/**
 * struct pkh_memory_map - platform facts the blob is checked against
 * @ram:        system RAM ranges; NULL/0 skips the "inside RAM" check
 * @nr_ram:     entries in @ram
 * @reserved:   ranges the boot needs (kernel, initrd, setup_data,
 *              crashkernel); NULL/0 skips the check
 * @nr_reserved: entries in @reserved
 */
struct pkh_memory_map {
	const struct pkh_phys_range *ram;
	unsigned int nr_ram;
	const struct pkh_phys_range *reserved;
	unsigned int nr_reserved;
};

/**
 * struct pkh_error - where and why a blob was refused
 * @code:   enum pkh_error_code
 * @where:  node/property path, e.g. "/regions/region@1/size"
 * @why:    the specific reason, with the offending values
 */
struct pkh_error {
	int code;
	char where[96];
	char why[160];
};

struct pkh_header_info {
	u16 abi_major;
	u16 abi_minor;
	u64 generation;
	u64 nonce;
	const char *creator;	/* points into the blob */
};

struct pkh_region_info {
	unsigned int index;
	u64 base;
	u64 size;
	u32 block_size;
	const u8 *fs_uuid;	/* 16 bytes, points into the blob */
	u32 flags;
	unsigned int nr_files;
	/*
	 * v2: where the region's pkernfs metadata lies (little-endian, in
	 * the blob, only 4-byte aligned: memcpy them) and the SHA-256 of it
	 * (PKH_METADATA_DIGEST_SIZE bytes in the blob); NULL and 0 in v1
	 */
	const struct pkh_extent *metadata;
	unsigned int nr_metadata;
	const u8 *metadata_digest;
};

struct pkh_file_info {
	unsigned int region;
	unsigned int index;
	const char *name;	/* points into the blob */
	u64 inode;
	u64 size;
	/*
	 * v1: little-endian, in the blob, only 4-byte aligned: memcpy them;
	 * NULL and 0 in v2
	 */
	const struct pkh_extent *extents;
	unsigned int nr_extents;
};

struct pkh_iommu_unit_info {
	unsigned int index;
	u32 type;
	u64 reg_base;
	u32 segment;
	u64 root_table;
	u32 translation_mode;
	u32 table_region;
};

struct pkh_iommu_domain_info {
	unsigned int index;
	u32 unit;
	u32 domain_id;
	u64 pgtable_root;
	u32 format;
	u32 levels;
	u32 address_width;
};

struct pkh_device_info {
	unsigned int index;
	u32 pci_address;
	u16 vendor;
	u16 device;
	u16 subsystem_vendor;
	u16 subsystem_device;
	u32 iommu_group;
	u32 domain;
	u32 flags;
	/* little-endian, in the blob, only 4-byte aligned: memcpy them */
	const struct pkh_iova_mapping *iova_map;
	unsigned int nr_iova;
};

/**
 * struct pkh_parse_ops - what the caller does with a validated blob
 * @ctx:     passed back to every callback
 * @alloc:   scratch memory for validation, required: a context of about
 *           100 KiB, a 16 KiB file-name table, and the block bitmap of one
 *           region at a time (at most PKH_MAX_REGION_BLOCKS / 8 bytes);
 *           need not be zeroed
 * @free:    releases what @alloc returned, with the size asked for; all
 *           of it is released before pkh_parse() returns
 * @header:  optional; called once, first
 * @region:  optional; once per region, in index order
 * @file:    optional; once per file, after its region
 * @iommu_unit:   optional
 * @iommu_domain: optional
 * @device:  optional
 *
 * A callback returning non-zero stops the walk; pkh_parse() then returns
 * that value.  Callbacks run only after the whole blob validated.
 */
struct pkh_parse_ops {
	void *ctx;
	void *(*alloc)(void *ctx, size_t size);
	void (*free)(void *ctx, void *ptr, size_t size);
	int (*header)(void *ctx, const struct pkh_header_info *info);
	int (*region)(void *ctx, const struct pkh_region_info *info);
	int (*file)(void *ctx, const struct pkh_file_info *info);
	int (*iommu_unit)(void *ctx, const struct pkh_iommu_unit_info *info);
	int (*iommu_domain)(void *ctx, const struct pkh_iommu_domain_info *info);
	int (*device)(void *ctx, const struct pkh_device_info *info);
};

/**
 * pkh_parse() - validate a handover blob and walk what it preserves
 * @blob:  the blob (header + FDT); not modified; 8-byte aligned, as
 *         libfdt needs (else -PKH_ERR_UNALIGNED, "payload")
 * @size:  bytes available at @blob
 * @map:   platform facts to check against, or NULL
 * @ops:   scratch allocator and callbacks
 * @err:   filled on failure (code, where, why); may be NULL
 *
 * Return: 0 on success, -PKH_ERR_* if the blob is invalid (or scratch
 * memory ran out: -PKH_ERR_NO_MEMORY), or the non-zero value a callback
 * returned (then @err->code is PKH_ERR_OK and @err->where the node).
 */
int pkh_parse(const void *blob, size_t size, const struct pkh_memory_map *map,
	      const struct pkh_parse_ops *ops, struct pkh_error *err);

/**
 * pkh_strerror() - short explanation of a PKH_ERR_* code
 * @code: the code, positive or negated
 *
 * Return: a static string; "unknown error" for codes out of range.
 */
const char *pkh_strerror(int code);

#endif /* PKH_PARSE_H */
