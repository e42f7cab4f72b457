/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host-kernel live update with pkernfs: what the rest of the kernel sees.
 *
 * The pkernfs carve-out (pkernfs=SIZE@ADDR) is RAM that this kernel
 * reserves at boot and never gives to the page allocator, so that what a
 * previous kernel left there survives, and what this kernel puts there
 * survives into the next one.
 */
#ifndef _LINUX_PKHANDOVER_H
#define _LINUX_PKHANDOVER_H

/*
 * The support declaration, struct pkh_kernel_support, for the assembler
 * (arch/x86/boot/compressed/kernel_info.S); kernel/pkhandover/support.c
 * checks these against include/linux/pkhandover/abi.h.
 */
#define PKHANDOVER_SUPPORT_MAGIC	0x53484b50	/* PKH_SUPPORT_MAGIC */
#define PKHANDOVER_SUPPORT_SIZE		16
#define PKHANDOVER_ABI_MAJOR_MIN	1
#define PKHANDOVER_ABI_MAJOR_MAX	3

#ifndef __ASSEMBLY__

#include <linux/errno.h>
#include <linux/types.h>
#include <linux/pkhandover/state.h>

struct device;
struct file;
struct iommu_domain;
struct pci_dev;
struct pkh_extent;
struct pkh_iova_mapping;
struct seq_file;

/**
 * struct pkhandover_range - a physical memory range
 * @start: first byte
 * @size:  bytes
 */
struct pkhandover_range {
	u64 start;
	u64 size;
};

/**
 * enum pkhandover_status - what this boot received
 * @PKHANDOVER_NONE:     booted without a handover blob
 * @PKHANDOVER_ACCEPTED: a blob came and passed every check
 * @PKHANDOVER_REJECTED: a blob came and was refused; nothing is adopted
 */
enum pkhandover_status {
	PKHANDOVER_NONE,
	PKHANDOVER_ACCEPTED,
	PKHANDOVER_REJECTED,
};

/**
 * struct pkhandover_info - the outcome of this boot's handover
 * @status:     none, accepted or rejected
 * @blob:       accepted: the validated copy of the blob (kept for good)
 * @size:       accepted: its size in bytes
 * @abi_major:  accepted: the blob's ABI version
 * @abi_minor:  accepted: the blob's ABI minor version
 * @generation: accepted: live updates since the state was created
 * @nonce:      accepted: the nonce of the state the blob describes
 * @creator:    accepted: who built the blob (points into @blob)
 * @parse_ns:   time pkh_parse() took in early boot
 * @nr_regions: accepted: regions in the blob
 * @nr_files:   accepted: files, in all regions
 * @nr_extents: accepted: extents of all files (v1)
 * @nr_ranges:  accepted: metadata ranges of all regions (v2)
 * @nr_units:   accepted: IOMMU units (not adopted yet)
 * @nr_domains: accepted: IOMMU domains (not adopted yet)
 * @nr_devices: accepted: devices (not adopted yet)
 * @has_carveout_region: accepted: a region is exactly the carve-out
 * @carveout_region: its index
 * @block_size: its block size
 * @region_flags: its PKH_REGION_F_* flags
 * @fs_uuid:    its pkernfs uuid
 * @metadata:   its metadata ranges (v2; NULL in v1): where its pkernfs
 *              metadata lay when the old kernel took the state; in the
 *              kept blob, little-endian and only 4-byte aligned: copy each
 *              before use
 * @nr_metadata: entries in @metadata
 * @metadata_digest: v2: the SHA-256 of those ranges' bytes, in order
 * @error:      rejected: the PKH_ERR_* code
 * @where:      rejected: where in the blob
 * @why:        rejected: why
 */
struct pkhandover_info {
	enum pkhandover_status status;
	const void *blob;
	size_t size;
	u16 abi_major;
	u16 abi_minor;
	u64 generation;
	u64 nonce;
	const char *creator;
	u64 parse_ns;
	unsigned int nr_regions;
	unsigned int nr_files;
	unsigned long nr_extents;
	unsigned long nr_ranges;
	unsigned int nr_units;
	unsigned int nr_domains;
	unsigned int nr_devices;
	bool has_carveout_region;
	unsigned int carveout_region;
	u32 block_size;
	u32 region_flags;
	u8 fs_uuid[16];
	const struct pkh_extent *metadata;
	unsigned int nr_metadata;
	u8 metadata_digest[32];
	int error;
	char where[96];
	char why[160];
};

/**
 * struct pkhandover_file - a file of the carve-out, as handed over
 * @name:       its name (points into the blob)
 * @inode:      its pkernfs inode number
 * @size:       its size in bytes
 * @extents:    v1: its blocks in file order: little-endian and only 4-byte
 *              aligned, in the blob; copy each before use; NULL in v2,
 *              whose blobs name the metadata instead (see
 *              struct pkhandover_info)
 * @nr_extents: entries in @extents
 */
struct pkhandover_file {
	const char *name;
	u64 inode;
	u64 size;
	const struct pkh_extent *extents;
	unsigned int nr_extents;
};

/**
 * struct pkhandover_file_walk - a walk over the handed-over files
 * @file: called for each file; embed the struct to pass context
 */
struct pkhandover_file_walk {
	int (*file)(struct pkhandover_file_walk *walk,
		    const struct pkhandover_file *file);
};

/**
 * struct pkhandover_iommu_domain - a frozen IOMMU domain of the blob
 * @unit:          index of its unit
 * @domain_id:     hardware domain id
 * @pgtable_root:  physical address of its top page-table page
 * @format:        PKH_PGTABLE_*
 * @levels:        page-table levels
 * @address_width: input address bits
 */
struct pkhandover_iommu_domain {
	u32 unit;
	u32 domain_id;
	u64 pgtable_root;
	u32 format;
	u32 levels;
	u32 address_width;
};

/**
 * struct pkhandover_device - a device of the blob, kept running
 * @pci_address: segment << 16 | bus << 8 | devfn
 * @vendor:      PCI vendor id it had
 * @device:      PCI device id
 * @subsystem_vendor: PCI subsystem vendor id
 * @subsystem_device: PCI subsystem id
 * @iommu_group: its IOMMU group in the old kernel
 * @domain:      index of its domain
 * @flags:       PKH_DEVICE_F_*
 * @iova_map:    what its domain translates: little-endian, only 4-byte
 *               aligned, in the blob; copy each before use
 * @nr_iova:     entries in @iova_map
 */
struct pkhandover_device {
	u32 pci_address;
	u16 vendor;
	u16 device;
	u16 subsystem_vendor;
	u16 subsystem_device;
	u32 iommu_group;
	u32 domain;
	u32 flags;
	const struct pkh_iova_mapping *iova_map;
	unsigned int nr_iova;
};

/**
 * struct pkhandover_iommu_state - the IOMMU part of an accepted blob
 * @units:      its units
 * @domains:    its domains
 * @devices:    its devices
 * @nr_units:   entries in @units
 * @nr_domains: entries in @domains
 * @nr_devices: entries in @devices
 */
struct pkhandover_iommu_state {
	struct pkh_state_unit *units;
	struct pkhandover_iommu_domain *domains;
	struct pkhandover_device *devices;
	unsigned int nr_units;
	unsigned int nr_domains;
	unsigned int nr_devices;
};

/**
 * enum pkhandover_frozen_kind - why memory must stay as it is
 * @PKHANDOVER_FROZEN_TABLES: IOMMU tables a running device is translated
 *                            through: nobody may write them
 * @PKHANDOVER_FROZEN_DMA:    memory those tables translate to: nobody may
 *                            free it
 */
enum pkhandover_frozen_kind {
	PKHANDOVER_FROZEN_TABLES,
	PKHANDOVER_FROZEN_DMA,
};

/**
 * struct pkhandover_state - a snapshot of what the next kernel is to get
 * @state:   the state, as pkh_encode() and the JSON spec take it; its
 *           arrays point at the members below
 * @creator: its creator string
 * @region:  the carve-out, as pkernfs describes it
 * @files:   pkernfs's files; their names are in @names
 * @names:   the files' names, PKH_STATE_NAME_SIZE bytes each
 * @ranges:  where pkernfs's metadata lies in the carve-out
 * @units:   the IOMMU units with frozen tables
 * @domains: the frozen domains; their maps are in @maps
 * @maps:    the domains' IOVA maps, one after the other
 * @devices: the devices kept running
 *
 * pkhandover_state_collect() fills it, pkernfs and the IOMMU driver each
 * their part, and pkhandover_state_free() frees what they allocated.
 */
struct pkhandover_state {
	struct pkh_state state;
	char creator[PKH_MAX_CREATOR_LEN + 1];
	struct pkh_state_region region;
	struct pkh_state_file *files;
	char *names;
	struct pkh_state_range *ranges;
	struct pkh_state_unit *units;
	struct pkh_state_domain *domains;
	struct pkh_state_mapping *maps;
	struct pkh_state_device *devices;
};

/* A pkernfs file name (PKH_MAX_NAME_LEN bytes) and its NUL. */
#define PKH_STATE_NAME_SIZE	256

/**
 * struct pkhandover_iommu_ops - the IOMMU driver that can freeze domains
 * @freeze:      copy the translation of @domain, which @dev is attached
 *               to, into page tables in the pkernfs file @tables; the
 *               caller keeps the domain's entries from changing meanwhile
 *               and from then on (iommufd: IOMMU_HWPT_FREEZE); *@kept is
 *               set to the domain the device's group is to fall back to
 *               if its owner lets go of it before the live update
 * @has_tables:  whether frozen tables exist now; must not sleep
 * @collect:     add the units, domains and devices it keeps running to a
 *               state whose region @region, based at @region_base, holds
 *               their tables and guest RAM; 0 or -ENOMEM
 * @status_show: print what is frozen or adopted, for people
 */
struct pkhandover_iommu_ops {
	int (*freeze)(struct device *dev, struct iommu_domain *domain,
		      struct file *tables, struct iommu_domain **kept);
	bool (*has_tables)(void);
	int (*collect)(struct pkhandover_state *hs, unsigned int region,
		       phys_addr_t region_base);
	int (*status_show)(struct seq_file *m);
};

#ifdef CONFIG_PKHANDOVER

void pkernfs_carveout_reserve(void);
bool pkernfs_carveout_usable(phys_addr_t *base, phys_addr_t *size);
bool pkernfs_carveout_reserved(phys_addr_t *base, phys_addr_t *size);
bool pkernfs_carveout_overlaps(phys_addr_t start, phys_addr_t size);
bool pkernfs_range_is_mapped_ram(phys_addr_t base, phys_addr_t size);

void pkhandover_receive(void *blob, size_t size,
			const struct pkhandover_range *reserved,
			unsigned int nr_reserved);
__printf(3, 4)
void pkhandover_reject(int code, const char *where, const char *fmt, ...);
const struct pkhandover_info *pkhandover_get_info(void);
const char *pkhandover_error_name(int code);
int pkhandover_walk_files(struct pkhandover_file_walk *walk);
int pkhandover_get_iommu_state(struct pkhandover_iommu_state *st);
void pkhandover_put_iommu_state(struct pkhandover_iommu_state *st);

int pkhandover_frozen_add(phys_addr_t start, u64 size,
			  enum pkhandover_frozen_kind kind, const void *owner);
void pkhandover_frozen_remove(const void *owner);
bool pkhandover_frozen_overlaps(phys_addr_t start, u64 size,
				bool tables_only);
int pkhandover_keep_device(u32 pci_address, const void *owner);
void pkhandover_release_device(u32 pci_address);
bool pkhandover_device_kept(struct pci_dev *pdev);
void pkhandover_register_iommu(const struct pkhandover_iommu_ops *ops);
int pkhandover_iommu_freeze(struct device *dev, struct iommu_domain *domain,
			    struct file *tables, struct iommu_domain **kept);
bool pkhandover_iommu_has_tables(void);
int pkhandover_iommu_collect(struct pkhandover_state *hs, unsigned int region,
			     phys_addr_t region_base);
int pkhandover_state_collect(struct pkhandover_state *hs);
void pkhandover_state_free(struct pkhandover_state *hs);
int pkhandover_state_json_show(struct seq_file *m);
int pkhandover_state_blob(void **blob, size_t *len);
int pkhandover_state_blob_show(struct seq_file *m);
int pkhandover_iommu_status_show(struct seq_file *m);

#else /* !CONFIG_PKHANDOVER */

static inline void pkernfs_carveout_reserve(void)
{
}

static inline bool pkernfs_carveout_usable(phys_addr_t *base,
					   phys_addr_t *size)
{
	return false;
}

static inline bool pkernfs_carveout_reserved(phys_addr_t *base,
					     phys_addr_t *size)
{
	return false;
}

static inline bool pkernfs_carveout_overlaps(phys_addr_t start,
					     phys_addr_t size)
{
	return false;
}

static inline bool pkhandover_device_kept(struct pci_dev *pdev)
{
	return false;
}

static inline int pkhandover_iommu_freeze(struct device *dev,
					  struct iommu_domain *domain,
					  struct file *tables,
					  struct iommu_domain **kept)
{
	return -EOPNOTSUPP;
}

static inline int pkhandover_state_blob(void **blob, size_t *len)
{
	return -EOPNOTSUPP;
}

#endif /* CONFIG_PKHANDOVER */

/*
 * The handover in a flattened device tree's /chosen (arm64): the
 * architecture calls pkhandover_fdt_reserve() right after
 * pkernfs_carveout_reserve(), and pkhandover_fdt_receive() once the linear
 * map is up and memblock can allocate.
 */
#if defined(CONFIG_PKHANDOVER) && defined(CONFIG_OF_EARLY_FLATTREE)
void pkhandover_fdt_reserve(void);
void pkhandover_fdt_receive(void);
bool pkhandover_fdt_reservation_in(u64 base, u64 size, const char **what,
				   u64 *start, u64 *len);
#else
static inline void pkhandover_fdt_reserve(void)
{
}

static inline void pkhandover_fdt_receive(void)
{
}

static inline bool pkhandover_fdt_reservation_in(u64 base, u64 size,
						 const char **what,
						 u64 *start, u64 *len)
{
	return false;
}
#endif

#ifdef CONFIG_PKERNFS
int pkernfs_state_collect(struct pkhandover_state *hs);
const char *pkernfs_status(u64 *generation);
int pkernfs_table_file(struct file *file, phys_addr_t *start, u64 *size);
#else
static inline int pkernfs_table_file(struct file *file, phys_addr_t *start,
				     u64 *size)
{
	return -ENODEV;
}

static inline int pkernfs_state_collect(struct pkhandover_state *hs)
{
	return -ENODEV;
}

static inline const char *pkernfs_status(u64 *generation)
{
	*generation = 0;
	return "disabled";
}
#endif /* CONFIG_PKERNFS */

#endif /* !__ASSEMBLY__ */

#endif /* _LINUX_PKHANDOVER_H */
