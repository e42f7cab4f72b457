/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a live update hands over, as the running kernel describes it:
 * pkernfs fills in the region and its files, the IOMMU driver the units,
 * domains and devices it froze.  pkh_encode() (kernel/pkhandover/) writes
 * the blob of it and /sys/kernel/pkhandover/state prints it as the JSON
 * spec, so both come from one snapshot.
 *
 * Shared with the userspace build of the encoder (pkhandover's tests and
 * fuzzer), which includes pkh_compat.h first for the kernel's type names.
 */
#ifndef _LINUX_PKHANDOVER_STATE_H
#define _LINUX_PKHANDOVER_STATE_H

#ifdef __KERNEL__
#include <linux/types.h>
#endif

#include "abi.h"

/**
 * struct pkh_state_range - a run of a region's bytes, CPU byte order
 * @offset: first byte, from the region's base
 * @length: bytes
 */
struct pkh_state_range {
	u64 offset;
	u64 length;
};

/**
 * struct pkh_state_mapping - an IOVA range of a domain, CPU byte order
 * (the fields of struct pkh_iova_mapping)
 */
struct pkh_state_mapping {
	u64 iova;
	u64 region_offset;
	u64 length;
	u32 region;
	u32 perm;
};

/**
 * struct pkh_state_file - a pkernfs file kept across the update
 * @name:  its name, NUL-terminated
 * @inode: its inode number
 * @size:  its size in bytes
 */
struct pkh_state_file {
	const char *name;
	u64 inode;
	u64 size;
};

/**
 * struct pkh_state_region - a pkernfs carve-out
 * @base: @size: @block_size: @fs_uuid: @flags: the region's properties
 * @metadata:        where its pkernfs metadata lies, @nr_metadata ranges
 * @metadata_digest: SHA-256 of those bytes, in order
 * @files:           its files, @nr_files of them, ascending inode
 */
struct pkh_state_region {
	u64 base;
	u64 size;
	u32 block_size;
	u8 fs_uuid[16];
	u32 flags;
	const struct pkh_state_range *metadata;
	unsigned int nr_metadata;
	u8 metadata_digest[PKH_METADATA_DIGEST_SIZE];
	const struct pkh_state_file *files;
	unsigned int nr_files;
};

/**
 * struct pkh_state_unit - an IOMMU unit; the fields of unit@N, in a state
 *                         to hand over and in the handover received
 * @type:             PKH_IOMMU_TYPE_*
 * @reg_base:         its register base
 * @segment:          the PCI segment it translates
 * @root_table:       physical address of its preserved root table
 * @translation_mode: PKH_TRANSLATION_*
 * @table_region:     index of the region that holds its tables
 */
struct pkh_state_unit {
	u32 type;
	u64 reg_base;
	u32 segment;
	u64 root_table;
	u32 translation_mode;
	u32 table_region;
};

/**
 * struct pkh_state_domain - a frozen IOMMU domain; the fields of domain@N
 * @iova_map: what the domain translates, @nr_iova ranges; v3 writes it on
 *            the domain, v2 on each device attached to it
 */
struct pkh_state_domain {
	u32 unit;
	u32 domain_id;
	u64 pgtable_root;
	u32 format;
	u32 levels;
	u32 address_width;
	const struct pkh_state_mapping *iova_map;
	unsigned int nr_iova;
};

/**
 * struct pkh_state_device - a device kept running; the fields of device@N
 * @pci_ids: vendor, device, subsystem vendor, subsystem device
 */
struct pkh_state_device {
	u32 pci_address;
	u32 pci_ids[4];
	u32 iommu_group;
	u32 domain;
	u32 flags;
};

/**
 * struct pkh_state - everything a live update hands over
 * @abi_major: 2 or 3, the blob's major; @abi_minor its minor
 * @creator:   NUL-terminated, at most PKH_MAX_CREATOR_LEN bytes
 * The arrays are in the blob's order; their counts follow each.
 */
struct pkh_state {
	u16 abi_major;
	u16 abi_minor;
	u64 generation;
	u64 nonce;
	const char *creator;
	const struct pkh_state_region *regions;
	unsigned int nr_regions;
	const struct pkh_state_unit *units;
	unsigned int nr_units;
	const struct pkh_state_domain *domains;
	unsigned int nr_domains;
	const struct pkh_state_device *devices;
	unsigned int nr_devices;
};

#endif /* _LINUX_PKHANDOVER_STATE_H */
