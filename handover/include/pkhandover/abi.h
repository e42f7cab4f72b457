/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pkhandover ABI v3: the blob one kernel hands the next on a live update.
 * Readers also accept v1 and v2 blobs (see "Versioning", "v1" and "v2"
 * below).
 *
 * DOC: contract
 *
 * This header is the single source of truth for the handover blob.  The same
 * file is compiled by libpkhandover (C++20, userspace), by kexec-tools'
 * --live-update hook and by the Linux patch series (include/linux/), so it
 * uses only <linux/types.h> and the preprocessor.  Changing anything here
 * that an existing reader or writer depends on is an ABI break: it needs a
 * new major version and a new compatible string (see "Versioning" below),
 * and tests/unit/test_abi_layout.cpp pins every value so that a silent
 * change fails the build of the tests.
 *
 * DOC: blob layout
 *
 * A blob is a fixed little-endian header (struct pkh_blob_header, 32 bytes)
 * followed immediately by a flattened device tree (the payload):
 *
 *   offset 0                 struct pkh_blob_header
 *   offset header_size       FDT, exactly total_size - header_size bytes
 *
 * The header can be checked cheaply (magic, version, sizes, CRC) before any
 * FDT code touches the payload; the payload must then pass fdt_check_full()
 * before any property is read (bookworm's libfdt 1.6.1 lacks upstream's
 * fdt_next_tag() overflow fix, so nothing may be read from an unchecked
 * tree).
 *
 * payload_crc32 is the standard CRC-32 (IEEE 802.3, reflected, poly
 * 0xedb88320) of the payload bytes: zlib's crc32(0, p, n), which equals the
 * kernel's ~crc32_le(~0, p, n).
 *
 * DOC: encoding rules
 *
 * - Scalar properties are FDT cells: big-endian, as every FDT property.
 *   "u32" is one cell (4 bytes), "u64" two cells (8 bytes).
 * - Bulk arrays (metadata ranges, v1 file extents, IOVA maps) are packed
 *   little-endian records (struct pkh_extent, struct pkh_iova_mapping); the
 *   property length must be
 *   a whole multiple of the record size.
 * - Strings are NUL-terminated, non-empty, printable ASCII (0x20..0x7e).
 * - Child nodes of a list are named "<kind>@<index>", the index in lower
 *   case hex without leading zeros, numbered 0, 1, 2... in order.  Indexes
 *   are how records refer to each other ("region", "unit", "domain").
 * - Lists are kept in a canonical order (given per list below), so the same
 *   state always encodes to the same bytes and duplicates are caught in one
 *   linear pass.
 * - Every node and property a reader does not know is rejected, unless its
 *   name starts with PKH_OPTIONAL_PREFIX: such items were added by a later
 *   minor version, carry nothing the reader needs to stay safe, and are
 *   skipped.
 * - All physical addresses, offsets and lengths are bytes.  Every range is
 *   checked for u64 overflow before use.
 *
 * DOC: tree
 *
 * / (root)                                                       required
 *   compatible  string  PKH_COMPATIBLE ("pkhandover,v3"), or
 *                       "pkhandover,v<major>" in an older blob    required
 *   generation  u64     live updates since the state was created; the
 *                       first handover is 1 and each one adds 1   required
 *   nonce       u64     random, chosen by the kernel that booted with the
 *                       carve-out; also recorded in the pkernfs superblock
 *                       so a stale carve-out after a firmware reboot (no
 *                       blob, or a blob of another boot) is recognised;
 *                       never 0                                   required
 *   creator     string  who built the blob, e.g. "kexec-tools 2.0.25
 *                       pkhandover 0.1"; at most PKH_MAX_CREATOR_LEN
 *                       bytes without the NUL                     required
 *
 * /regions                                                       required
 *   region@N  a pkernfs carve-out; 1..PKH_MAX_REGIONS, ascending base,
 *             no two overlapping
 *     base        u64   physical base, PKH_REGION_ALIGN aligned, not below
 *                       PKH_LOW_MEMORY_END                         required
 *     size        u64   bytes, non-zero, PKH_REGION_ALIGN aligned  required
 *     block-size  u32   pkernfs allocation unit: a power of two between
 *                       PKH_MIN_BLOCK_SIZE and PKH_MAX_BLOCK_SIZE; size is
 *                       a multiple of it and holds at most
 *                       PKH_MAX_REGION_BLOCKS blocks               required
 *     fs-uuid     16 bytes  identity of the pkernfs on this region, as in
 *                       its superblock                             required
 *     flags       u32   PKH_REGION_F_*                             required
 *     metadata    struct pkh_extent[]  where the region's pkernfs metadata
 *                       lies (its superblock, the inode slots in use, the
 *                       allocation bitmap, the extent blocks): 1 to
 *                       PKH_MAX_METADATA_RANGES ranges, ascending, not
 *                       touching (adjacent ranges are one range), offsets
 *                       and lengths multiples of PKH_PAGE_SIZE, inside the
 *                       region.  The files' blocks are found there, not in
 *                       the blob.                     required from v2 on
 *     metadata-digest  PKH_METADATA_DIGEST_SIZE bytes  SHA-256 of the
 *                       bytes of those ranges, concatenated in order, taken
 *                       by the old kernel when it froze the state for the
 *                       handover (the read of its state for kexec -l).
 *                       The new kernel adopts nothing from the region
 *                       unless the ranges are where its metadata lies and
 *                       their digest is this one.   required from v2 on
 *     file@N      a file of guest RAM; at most PKH_MAX_FILES_PER_REGION,
 *                 ascending inode, unique names
 *       name      string  file name inside pkernfs, no '/', at most
 *                         PKH_MAX_NAME_LEN bytes                   required
 *       inode     u64     pkernfs inode number, non-zero           required
 *       size      u64     file size in bytes                       required
 *       extents   struct pkh_extent[]  v1 only (later readers refuse it
 *                         in a later blob): the file's blocks in file order:
 *                         extent k holds the file bytes that follow those
 *                         of extent k-1.  Offsets and lengths are multiples
 *                         of block-size, inside the region, and no block
 *                         belongs to two extents of any files.  The total
 *                         length is size rounded up to block-size.
 *                                                           required in v1
 *
 * /iommu                                                         optional
 *   unit@N    an IOMMU; at most PKH_MAX_IOMMU_UNITS, ascending reg-base
 *     type              u32  PKH_IOMMU_TYPE_*; v1 readers accept VT-d only,
 *                            the other values are reserved        required
 *     reg-base          u64  MMIO register base, 4 KiB aligned    required
 *     segment           u32  PCI segment it translates, <= 0xffff required
 *     root-table        u64  physical address of the root table (VT-d
 *                            RTADDR), 4 KiB aligned; the 4 KiB page lies in
 *                            table-region                         required
 *     translation-mode  u32  PKH_TRANSLATION_*                    required
 *     table-region      u32  index of the region (flag IOMMU_TABLES) that
 *                            holds the root, context and page tables required
 *   domain@N  a frozen IOMMU domain; at most PKH_MAX_DOMAINS, ascending
 *             (unit, domain-id)
 *     unit           u32  index of its unit                       required
 *     domain-id      u32  hardware domain id, 1..0xffff for VT-d  required
 *     pgtable-root   u64  physical address of the top page-table page,
 *                         4 KiB aligned, inside the unit's table-region
 *                                                                 required
 *     format         u32  PKH_PGTABLE_*                           required
 *     levels         u32  3, 4 or 5                               required
 *     address-width  u32  input address bits: 12 + 9 * levels    required
 *     iova-map       struct pkh_iova_mapping[]  what the domain translates,
 *                         and so what every device attached to it reaches:
 *                         ascending iova, no overlaps, iova + length <=
 *                         2^address-width, 4 KiB aligned, inside a region
 *                         with flag GUEST_RAM and outside its metadata; at
 *                         most PKH_MAX_IOVA_MAPPINGS records.  Empty (length
 *                         0) if no device is attached to the domain.
 *                                                          required in v3
 *
 * /devices                                                       optional
 *   device@N  a VFIO device kept running; at most PKH_MAX_DEVICES,
 *             ascending pci-address (so no BDF twice)
 *     pci-address  u32     segment << 16 | bus << 8 | device << 3 | function
 *                                                                 required
 *     pci-ids      u32[4]  vendor, device, subsystem vendor, subsystem
 *                          device; each <= 0xffff, vendor != 0xffff; the
 *                          new kernel blocks the device if they differ
 *                                                                 required
 *     iommu-group  u32     IOMMU group number on the old kernel   required
 *     domain       u32     index of the domain it is attached to; the
 *                          domain's unit has the device's segment required
 *     flags        u32     PKH_DEVICE_F_*                         required
 *     iova-map     struct pkh_iova_mapping[]  v1 and v2 only (a v3 reader
 *                          refuses it in a v3 blob): the domain's map, by
 *                          the rules of the domain's iova-map above, once
 *                          per device; the devices attached to one domain
 *                          carry the same map         required in v1 and v2
 *
 * DOC: versioning
 *
 * The header carries abi_major and abi_minor; the compatible string carries
 * the major ("pkhandover,v<major>") and must agree with the header.
 * - A minor bump may only add optional items (PKH_OPTIONAL_PREFIX) or new
 *   values that old readers already reject safely.  Readers accept every
 *   minor of their major.
 * - Anything else (a new required item, a changed meaning, unit or layout,
 *   a larger header) needs a major bump.  A reader refuses a major it does
 *   not know, and kexec --live-update refuses a target kernel that does not
 *   declare support for the blob's major (see "support declaration").
 *
 * DOC: v1
 *
 * v1 is v2 without metadata and metadata-digest, and with every file's
 * extents: the blob carried a second copy of what the carve-out's metadata
 * already holds, so it grew with guest RAM (8 MiB for a 1 TiB guest in
 * 2 MiB blocks).  Later readers accept v1 blobs and check them as v1
 * always did (each file's blocks against the carve-out).
 *
 * DOC: v2
 *
 * v2 is v3 with the iova-map on each device instead of on its domain.  The
 * devices of one domain all DMA through the same tables, so in v2 a domain
 * shared by 16 devices had its map written 16 times, and the device nodes
 * were most of a blob (64 KiB of 68 KiB for 256 devices on 16 domains).
 * v3 readers accept v2 blobs and check each device's map as v2 did, plus
 * one rule that a v2 blob already could not break and still pass the new
 * kernel's walk of the domain's tables: the devices attached to one domain
 * carry the same map.
 *
 * Readers refuse a newer major (VERSION_TOO_NEW): a v1 reader a v2 or v3
 * blob, a v2 reader a v3 blob.  kexec's pre-flight reads the majors the
 * target kernel declares and writes the newest one both sides know: v3,
 * or v2 for a kernel that declares at most v2 (so a rollback to the
 * previous kernel keeps working).  It refuses a kernel that declares only
 * v1, which needs the files' extents that a v2 state no longer has.
 *
 * DOC: delivery
 *
 * x86: a setup_data entry of type PKH_SETUP_DATA_TYPE whose data is the whole
 * blob.  Types 1..10 are upstream's (10 is KHO) and bit 31 is
 * SETUP_INDIRECT; kernels ignore unknown types silently, which is why the
 * pre-flight check exists.
 *
 * arm64: /chosen gets PKH_CHOSEN_PROP holding the whole blob, or, for a blob
 * over PKH_CHOSEN_INLINE_MAX (arm64 caps the whole dtb at 2 MiB),
 * PKH_CHOSEN_RANGE_PROP = <u64 address, u64 size> of a copy in memory the
 * loader reserves.  Stale properties of either name are deleted first and
 * crash (-p) images never get one.
 *
 * DOC: support declaration
 *
 * A kernel that can receive this ABI says so in its image, where kexec's
 * pre-flight can read it without running the kernel:
 * - bzImage: a struct pkh_kernel_support record in the variable-length data
 *   of the x86 boot protocol's kernel_info (found through the setup
 *   header's kernel_info_offset);
 * - ELF images (vmlinux): an ELF note of name PKH_ELF_NOTE_NAME and type
 *   PKH_ELF_NOTE_TYPE whose descriptor is the same record;
 * - arm64 Image (neither ELF nor kernel_info): the same note's bytes as the
 *   linker placed them in the image (namesz, descsz, type, the padded name,
 *   then the record), found by scanning the uncompressed Image.
 */
#ifndef PKHANDOVER_ABI_H
#define PKHANDOVER_ABI_H

#include <linux/types.h>

#ifdef __cplusplus
#define PKH_STATIC_ASSERT(expr, msg) static_assert(expr, msg)
#else
#define PKH_STATIC_ASSERT(expr, msg) _Static_assert(expr, msg)
#endif

/* Version of the ABI described here. */
#define PKH_ABI_MAJOR 3
#define PKH_ABI_MINOR 0
/* Oldest major a reader of this header still accepts. */
#define PKH_ABI_MAJOR_OLDEST 1
#define PKH_COMPATIBLE_PREFIX "pkhandover,v"
#define PKH_COMPATIBLE "pkhandover,v3"
#define PKH_COMPATIBLE_V2 "pkhandover,v2"
#define PKH_COMPATIBLE_V1 "pkhandover,v1"

/* "PKHO" read as a little-endian u32. */
#define PKH_BLOB_MAGIC 0x4f484b50u

/* Header size of v1 to v3; later majors may grow it. */
#define PKH_BLOB_HEADER_SIZE 32u

/*
 * Largest blob a reader accepts.  In v1 a 1 TiB guest in 2 MiB blocks is
 * 8 MiB of extents; the cap leaves room for several such guests and bounds
 * what an early-boot parser is asked to walk.  v2 and v3 blobs stay far
 * below.
 */
#define PKH_MAX_BLOB_SIZE (64u << 20)

/* x86 setup_data type: "PKH1" as a big-endian u32; bit 31 is clear. */
#define PKH_SETUP_DATA_TYPE 0x504b4831u

/* arm64 /chosen properties. */
#define PKH_CHOSEN_PROP "linux,pkhandover"
#define PKH_CHOSEN_RANGE_PROP "linux,pkhandover-range"
#define PKH_CHOSEN_INLINE_MAX (512u << 10)

/* Support declaration (see DOC: support declaration). */
#define PKH_SUPPORT_MAGIC 0x53484b50u /* "PKHS" little-endian */
#define PKH_ELF_NOTE_NAME "pkhandover"
#define PKH_ELF_NOTE_TYPE 0x504b4831u

/**
 * struct pkh_blob_header - fixed header in front of the FDT payload
 * @magic:         PKH_BLOB_MAGIC
 * @abi_major:     major version; readers refuse one they do not know
 * @abi_minor:     minor version; readers accept any
 * @header_size:   bytes of this header: PKH_BLOB_HEADER_SIZE in v1 to v3
 * @total_size:    bytes of header plus payload; at most PKH_MAX_BLOB_SIZE
 * @payload_crc32: CRC-32 of the payload (see DOC: blob layout)
 * @flags:         none defined in v1 to v3; must be zero
 * @reserved:      must be zero
 *
 * All fields little-endian.
 */
struct pkh_blob_header {
	__le32 magic;
	__le16 abi_major;
	__le16 abi_minor;
	__le32 header_size;
	__le32 total_size;
	__le32 payload_crc32;
	__le32 flags;
	__le64 reserved;
};
PKH_STATIC_ASSERT(sizeof(struct pkh_blob_header) == PKH_BLOB_HEADER_SIZE,
		  "pkh_blob_header layout is ABI");

/**
 * struct pkh_extent - one run of a region's bytes (little-endian): a run of
 * pkernfs metadata, or in v1 a run of a file's blocks
 * @region_offset: byte offset of the run inside the region
 * @length:        bytes in the run
 */
struct pkh_extent {
	__le64 region_offset;
	__le64 length;
};
PKH_STATIC_ASSERT(sizeof(struct pkh_extent) == 16, "pkh_extent layout is ABI");

/**
 * struct pkh_iova_mapping - one IOVA range of a domain (little-endian)
 * @iova:          first I/O virtual address
 * @region_offset: byte offset of the backing memory inside @region
 * @length:        bytes
 * @region:        index of the region backing the range
 * @perm:          PKH_IOVA_PERM_* bits, at least one
 */
struct pkh_iova_mapping {
	__le64 iova;
	__le64 region_offset;
	__le64 length;
	__le32 region;
	__le32 perm;
};
PKH_STATIC_ASSERT(sizeof(struct pkh_iova_mapping) == 32,
		  "pkh_iova_mapping layout is ABI");

/**
 * struct pkh_kernel_support - a kernel's declaration that it can receive
 * handover blobs (little-endian)
 * @magic:     PKH_SUPPORT_MAGIC
 * @size:      sizeof(struct pkh_kernel_support) in v1
 * @abi_major_min: oldest major the kernel accepts
 * @abi_major_max: newest major the kernel accepts
 */
struct pkh_kernel_support {
	__le32 magic;
	__le32 size;
	__le32 abi_major_min;
	__le32 abi_major_max;
};
PKH_STATIC_ASSERT(sizeof(struct pkh_kernel_support) == 16,
		  "pkh_kernel_support layout is ABI");

/* Node and property names. */
#define PKH_OPTIONAL_PREFIX "opt-"

#define PKH_PROP_COMPATIBLE "compatible"
#define PKH_PROP_GENERATION "generation"
#define PKH_PROP_NONCE "nonce"
#define PKH_PROP_CREATOR "creator"

#define PKH_NODE_REGIONS "regions"
#define PKH_NODE_REGION "region"
#define PKH_PROP_BASE "base"
#define PKH_PROP_SIZE "size"
#define PKH_PROP_BLOCK_SIZE "block-size"
#define PKH_PROP_FS_UUID "fs-uuid"
#define PKH_PROP_FLAGS "flags"
#define PKH_PROP_METADATA "metadata"
#define PKH_PROP_METADATA_DIGEST "metadata-digest"

#define PKH_NODE_FILE "file"
#define PKH_PROP_NAME "name"
#define PKH_PROP_INODE "inode"
#define PKH_PROP_EXTENTS "extents"

#define PKH_NODE_IOMMU "iommu"
#define PKH_NODE_UNIT "unit"
#define PKH_PROP_TYPE "type"
#define PKH_PROP_REG_BASE "reg-base"
#define PKH_PROP_SEGMENT "segment"
#define PKH_PROP_ROOT_TABLE "root-table"
#define PKH_PROP_TRANSLATION_MODE "translation-mode"
#define PKH_PROP_TABLE_REGION "table-region"

#define PKH_NODE_DOMAIN "domain"
#define PKH_PROP_UNIT "unit"
#define PKH_PROP_DOMAIN_ID "domain-id"
#define PKH_PROP_PGTABLE_ROOT "pgtable-root"
#define PKH_PROP_FORMAT "format"
#define PKH_PROP_LEVELS "levels"
#define PKH_PROP_ADDRESS_WIDTH "address-width"

#define PKH_NODE_DEVICES "devices"
#define PKH_NODE_DEVICE "device"
#define PKH_PROP_PCI_ADDRESS "pci-address"
#define PKH_PROP_PCI_IDS "pci-ids"
#define PKH_PROP_IOMMU_GROUP "iommu-group"
#define PKH_PROP_DOMAIN "domain"
#define PKH_PROP_IOVA_MAP "iova-map"

/* Value sets. */
#define PKH_REGION_F_GUEST_RAM (1u << 0)    /* holds guest RAM files */
#define PKH_REGION_F_IOMMU_TABLES (1u << 1) /* holds IOMMU tables */
#define PKH_REGION_F_ALL (PKH_REGION_F_GUEST_RAM | PKH_REGION_F_IOMMU_TABLES)

#define PKH_IOMMU_TYPE_INTEL_VTD 1
#define PKH_IOMMU_TYPE_AMD_VI 2	    /* reserved: refused by v1 readers */
#define PKH_IOMMU_TYPE_ARM_SMMU_V3 3 /* reserved: refused by v1 readers */

#define PKH_TRANSLATION_LEGACY 1   /* VT-d legacy root/context tables */
#define PKH_TRANSLATION_SCALABLE 2 /* VT-d scalable mode */

#define PKH_PGTABLE_VTD_SECOND_LEVEL 1
#define PKH_PGTABLE_VTD_FIRST_LEVEL 2

/* Do not reset the device when VFIO first opens it in the new kernel. */
#define PKH_DEVICE_F_NO_RESET (1u << 0)
/* Keep PCI bus mastering on across the kexec. */
#define PKH_DEVICE_F_KEEP_BUS_MASTER (1u << 1)
#define PKH_DEVICE_F_ALL (PKH_DEVICE_F_NO_RESET | PKH_DEVICE_F_KEEP_BUS_MASTER)

#define PKH_IOVA_PERM_READ (1u << 0)
#define PKH_IOVA_PERM_WRITE (1u << 1)
#define PKH_IOVA_PERM_ALL (PKH_IOVA_PERM_READ | PKH_IOVA_PERM_WRITE)

/* Limits. */
#define PKH_PAGE_SIZE 4096u
#define PKH_REGION_ALIGN (2u << 20)
#define PKH_LOW_MEMORY_END (1u << 20) /* firmware and real-mode trampolines */
#define PKH_MIN_BLOCK_SIZE PKH_PAGE_SIZE
#define PKH_MAX_BLOCK_SIZE (1u << 30)
#define PKH_MAX_REGION_BLOCKS (1u << 24)
#define PKH_MAX_REGIONS 64
#define PKH_MAX_FILES_PER_REGION 1024
/* Superblock, bitmap, up to 1024 runs of inode slots and of extent blocks. */
#define PKH_MAX_METADATA_RANGES 4096
#define PKH_METADATA_DIGEST_SIZE 32 /* SHA-256 */
#define PKH_MAX_IOMMU_UNITS 64
#define PKH_MAX_DOMAINS 4096
#define PKH_MAX_DEVICES 4096
#define PKH_MAX_IOVA_MAPPINGS (1u << 20)
#define PKH_MAX_NAME_LEN 255
#define PKH_MAX_CREATOR_LEN 127
#define PKH_MAX_NODE_DEPTH 3

/* Helpers for pci-address. */
#define PKH_PCI_ADDRESS(seg, bus, dev, fn)                                \
	(((__u32)(seg) << 16) | ((__u32)(bus) << 8) | ((__u32)(dev) << 3) | \
	 (__u32)(fn))
#define PKH_PCI_SEGMENT(a) ((__u32)(a) >> 16)
#define PKH_PCI_BUS(a) (((__u32)(a) >> 8) & 0xff)
#define PKH_PCI_DEVICE(a) (((__u32)(a) >> 3) & 0x1f)
#define PKH_PCI_FUNCTION(a) ((__u32)(a) & 0x7)

#endif /* PKHANDOVER_ABI_H */
