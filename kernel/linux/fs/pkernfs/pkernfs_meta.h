/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pkernfs: a filesystem in the pkernfs carve-out whose files survive kexec.
 * Its format in the carve-out, and what meta.c does with it without the
 * VFS, so that userspace can build the same code (tests/pkernfs/).
 *
 * Layout of the carve-out (all fields little-endian):
 *
 *   block 0 ...                metadata, meta_blocks blocks of 2 MiB:
 *     offset 0                 struct pkernfs_super (in a 4 KiB page)
 *     offset inode_table       nr_inodes slots of struct pkernfs_dinode,
 *                              4 KiB each (a flat, single directory)
 *     offset bitmap            block allocation bitmap, one bit per
 *                              block of the carve-out, metadata included
 *   block meta_blocks ...      file data, allocated in 2 MiB blocks, and
 *                              the extent blocks of files with more
 *                              extents than an inode slot holds
 *
 * Every piece of metadata carries a CRC-32 (zlib's crc32()): the
 * superblock covers its own fields, including the bitmap's CRC, and each
 * inode slot covers itself.  All of it lives in the carve-out, so a kernel
 * booted after kexec with the same pkernfs= finds the same files with the
 * same bytes, and a kernel that finds anything inconsistent refuses to
 * mount instead of guessing.
 *
 * A file's first PKERNFS_MAX_EXTENTS extents live in its inode slot.  A
 * file that needs more (free space fragmented into small holes) gets one
 * extent block: a data block of the carve-out, marked in the bitmap, that
 * holds the rest (struct pkernfs_xblock), with its own CRC-32.  The
 * superblock says PKERNFS_VERSION_XBLOCK while any file has one, and
 * PKERNFS_VERSION again once none has: a kernel that knows only version 1
 * then refuses the filesystem (it would not see those extents, and would
 * free the extent block as owned by no file) instead of misreading it,
 * and mounts it again as soon as no file needs an extent block.
 */
#ifndef _FS_PKERNFS_META_H
#define _FS_PKERNFS_META_H

#include "pkernfs_compat.h"

#define PKERNFS_MAGIC		0x53464b50	/* "PKFS" little-endian */
#define PKERNFS_VERSION		1	/* no file has an extent block */
#define PKERNFS_VERSION_XBLOCK	2	/* a file has one: see above */
#define PKERNFS_BLOCK_SIZE	SZ_2M
#define PKERNFS_BLOCK_SHIFT	21
#define PKERNFS_SLOT_SIZE	4096
#define PKERNFS_MIN_INODES	16
#define PKERNFS_MAX_INODES	1024	/* PKH_MAX_FILES_PER_REGION */
#define PKERNFS_NAME_LEN	255	/* PKH_MAX_NAME_LEN */
#define PKERNFS_ROOT_INO	1
#define PKERNFS_FIRST_INO	2

/**
 * struct pkernfs_super - the superblock, at the start of the carve-out
 * @magic:       PKERNFS_MAGIC
 * @version:     PKERNFS_VERSION, or PKERNFS_VERSION_XBLOCK while any file
 *               has an extent block
 * @sb_size:     sizeof(struct pkernfs_super)
 * @crc:         CRC-32 of this structure, with @crc zero
 * @base:        physical base of the carve-out it was formatted in
 * @size:        size of that carve-out
 * @block_size:  PKERNFS_BLOCK_SIZE
 * @nr_blocks:   @size / @block_size
 * @meta_blocks: blocks 0 .. @meta_blocks - 1 hold the metadata
 * @nr_inodes:   slots in the inode table
 * @inode_table: byte offset of the inode table
 * @bitmap:      byte offset of the allocation bitmap
 * @bitmap_size: bytes of the bitmap (a multiple of 8)
 * @bitmap_crc:  CRC-32 of the bitmap
 * @uuid:        identity of this filesystem (the handover's fs-uuid)
 * @nonce:       random, never 0; replaced by the first mount of every
 *               boot, so a handover blob matches only the boot that
 *               built it
 * @generation:  handover generation the kernel that mounted it last
 *               adopted, 0 if it adopted none
 * @next_ino:    inode number the next file gets
 * @format_time: seconds since the epoch when it was formatted
 * @reserved:    zero
 */
struct pkernfs_super {
	__le32 magic;
	__le32 version;
	__le32 sb_size;
	__le32 crc;
	__le64 base;
	__le64 size;
	__le32 block_size;
	__le32 nr_blocks;
	__le32 meta_blocks;
	__le32 nr_inodes;
	__le64 inode_table;
	__le64 bitmap;
	__le32 bitmap_size;
	__le32 bitmap_crc;
	u8 uuid[16];
	__le64 nonce;
	__le64 generation;
	__le64 next_ino;
	__le64 format_time;
	__le64 reserved[4];
};

/**
 * struct pkernfs_dextent - a run of blocks of a file
 * @start: first block, counted from the start of the carve-out
 * @count: blocks in the run, at least one
 */
struct pkernfs_dextent {
	__le32 start;
	__le32 count;
};

#define PKERNFS_DINODE_F_UNLINKED	(1u << 0)

#define PKERNFS_DINODE_HEAD	(72 + PKERNFS_NAME_LEN + 1)
#define PKERNFS_MAX_EXTENTS	\
	((PKERNFS_SLOT_SIZE - PKERNFS_DINODE_HEAD) / sizeof(struct pkernfs_dextent))

/**
 * struct pkernfs_dinode - a file, in one 4 KiB slot of the inode table
 * @ino:        inode number, 0 for a free slot
 * @size:       bytes; the extents hold exactly DIV_ROUND_UP(@size, block
 *              size) blocks
 * @crc:        CRC-32 of the slot, with @crc zero
 * @mode:       S_IFREG and permission bits
 * @uid:        owner
 * @gid:        group
 * @flags:      PKERNFS_DINODE_F_*; an unlinked file is one still open
 *              when it was removed: its blocks are freed at the next mount
 * @xblock:     the file's extent block (struct pkernfs_xblock) if
 *              @nr_extents is above PKERNFS_MAX_EXTENTS, else 0 (block 0
 *              is metadata, never an extent block)
 * @mtime_sec:  modification time
 * @ctime_sec:  change time
 * @mtime_nsec: modification time, nanoseconds
 * @ctime_nsec: change time, nanoseconds
 * @nr_extents: the file's extents: the first PKERNFS_MAX_EXTENTS in
 *              @extents, the rest in the extent block
 * @name_len:   bytes of @name without the NUL, 1..PKERNFS_NAME_LEN
 * @name:       printable ASCII without '/', NUL-terminated, then zeros
 * @extents:    the file's first blocks, in file order; read and write
 *              them, like those of the extent block, with pkernfs_extent()
 */
struct pkernfs_dinode {
	__le64 ino;
	__le64 size;
	__le32 crc;
	__le32 mode;
	__le32 uid;
	__le32 gid;
	__le32 flags;
	__le32 xblock;
	__le64 mtime_sec;
	__le64 ctime_sec;
	__le32 mtime_nsec;
	__le32 ctime_nsec;
	__le32 nr_extents;
	__le32 name_len;
	char name[PKERNFS_NAME_LEN + 1];
	struct pkernfs_dextent extents[PKERNFS_MAX_EXTENTS];
};

#define PKERNFS_XBLOCK_MAGIC	0x42584b50	/* "PKXB" little-endian */

/**
 * struct pkernfs_xblock - an extent block: the extents of a file past the
 * PKERNFS_MAX_EXTENTS in its inode slot
 * @magic:      PKERNFS_XBLOCK_MAGIC
 * @crc:        CRC-32 of this header and of @extents[0 .. @nr_extents - 1],
 *              with @crc zero; the rest of the block is not used
 * @ino:        inode number of the file it belongs to
 * @nr_extents: entries used in @extents: the file's nr_extents less
 *              PKERNFS_MAX_EXTENTS, at least one
 * @reserved:   zero
 * @extents:    the file's extents PKERNFS_MAX_EXTENTS and on, in file order
 *
 * One block is enough and there is no chain: it holds
 * PKERNFS_XBLOCK_EXTENTS (262141) extents, so a file can have
 * PKERNFS_MAX_FILE_EXTENTS (262612) of them, and a file with more would
 * need more runs of blocks than that, i.e. more than 512 GiB of data in a
 * carve-out of over 1 TiB fragmented into holes of one block.  Such a file
 * gets ENOSPC, as every file with more than PKERNFS_MAX_EXTENTS extents did
 * before extent blocks.
 */
struct pkernfs_xblock {
	__le32 magic;
	__le32 crc;
	__le64 ino;
	__le32 nr_extents;
	__le32 reserved;
	struct pkernfs_dextent extents[];
};

#define PKERNFS_XBLOCK_EXTENTS	\
	((PKERNFS_BLOCK_SIZE - sizeof(struct pkernfs_xblock)) /	\
	 sizeof(struct pkernfs_dextent))
#define PKERNFS_MAX_FILE_EXTENTS	\
	(PKERNFS_MAX_EXTENTS + PKERNFS_XBLOCK_EXTENTS)

/*
 * Bytes of an extent block's header and its first @n extents: what its
 * CRC and the handover's metadata cover.  @n is at most
 * PKERNFS_XBLOCK_EXTENTS, so this is at most a block.
 */
static inline size_t pkernfs_xblock_bytes(u32 n)
{
	return sizeof(struct pkernfs_xblock) +
	       (size_t)n * sizeof(struct pkernfs_dextent);
}

/**
 * struct pkernfs_sb_info - a mounted pkernfs
 * @base:        physical base of the carve-out
 * @size:        its size
 * @sb:          the VFS superblock
 * @super:       the superblock, through the direct map
 * @dinodes:     the inode table, through the direct map
 * @bitmap:      the allocation bitmap, through the direct map
 * @nr_blocks:   blocks in the carve-out
 * @meta_blocks: blocks the metadata takes
 * @nr_inodes:   inode slots
 * @free_blocks: clear bits in the bitmap
 * @free_slots:  free inode slots
 * @nr_xblocks:  extent blocks: the superblock's version is
 *               PKERNFS_VERSION_XBLOCK exactly while this is not zero
 * @lock:        serialises every change to the metadata; taken for good
 *               by the reboot notifier so that kexec never sees a change
 *               half done
 */
struct pkernfs_sb_info {
	phys_addr_t base;
	phys_addr_t size;
	struct super_block *sb;
	struct pkernfs_super *super;
	struct pkernfs_dinode *dinodes;
	unsigned long *bitmap;
	u32 nr_blocks;
	u32 meta_blocks;
	u32 nr_inodes;
	u32 free_blocks;
	u32 free_slots;
	u32 nr_xblocks;
	struct mutex lock;
};

static inline void *pkernfs_block_addr(struct pkernfs_sb_info *sbi, u32 block)
{
	return __va(sbi->base + ((phys_addr_t)block << PKERNFS_BLOCK_SHIFT));
}

/**
 * pkernfs_extent() - extent @i of a file, wherever it lives
 * @sbi: the filesystem
 * @di:  the file's inode slot
 * @i:   the extent's index in the file, below PKERNFS_MAX_FILE_EXTENTS
 *
 * Every read and write of a file's extents goes through here, so that
 * only this function knows that the first PKERNFS_MAX_EXTENTS are in the
 * inode slot and the rest in the extent block.  An index at or past
 * PKERNFS_MAX_EXTENTS needs @di->xblock to be set: the mount checked it
 * for every file, and the allocator sets it before it adds such an extent.
 *
 * Return: the extent, to read, or to write under sbi->lock (then refresh
 * the CRCs of the slot and of the extent block).
 */
static inline struct pkernfs_dextent *
pkernfs_extent(struct pkernfs_sb_info *sbi, struct pkernfs_dinode *di, u32 i)
{
	struct pkernfs_xblock *xb;

	if (i < PKERNFS_MAX_EXTENTS)
		return &di->extents[i];
	xb = pkernfs_block_addr(sbi, le32_to_cpu(di->xblock));
	return &xb->extents[i - PKERNFS_MAX_EXTENTS];
}

static inline u32 pkernfs_blocks_for(u64 size)
{
	return DIV_ROUND_UP_ULL(size, PKERNFS_BLOCK_SIZE);
}

/**
 * struct pkernfs_layout - where the metadata lives in a carve-out
 * @nr_inodes:   inode slots
 * @bitmap_size: bytes of the allocation bitmap
 * @meta_blocks: blocks the metadata takes, from block 0
 * @inode_table: byte offset of the inode table
 * @bitmap:      byte offset of the bitmap
 */
struct pkernfs_layout {
	u32 nr_inodes;
	u32 bitmap_size;
	u32 meta_blocks;
	u64 inode_table;
	u64 bitmap;
};

/**
 * typedef pkernfs_range_fn - a callback of pkernfs_metadata_ranges()
 * @arg: its argument
 * @off: the range's offset in the carve-out, in bytes
 * @len: its length in bytes
 *
 * Return: 0 to go on, anything else to stop the walk.
 */
typedef int (*pkernfs_range_fn)(void *arg, u64 off, u64 len);

/**
 * struct pkernfs_meta_result - a carve-out's metadata against a handover's
 * @nr:    metadata ranges of the carve-out, once digested
 * @bytes: their bytes
 * @why:   why they differ; empty if they do not
 */
struct pkernfs_meta_result {
	unsigned int nr;
	u64 bytes;
	char why[192];
};

/* meta.c: no VFS, no locking; callers hold sbi->lock or own the carve-out */
void pkernfs_layout(u32 nr_blocks, struct pkernfs_layout *l);
void pkernfs_map(struct pkernfs_sb_info *sbi, const struct pkernfs_layout *l);
u32 pkernfs_crc(const void *p, size_t size, size_t crc_offset);
void pkernfs_update_super(struct pkernfs_sb_info *sbi);
void pkernfs_update_bitmap(struct pkernfs_sb_info *sbi);
void pkernfs_update_dinode(struct pkernfs_dinode *di);
u32 pkernfs_xblock_crc(const struct pkernfs_xblock *xb);
bool pkernfs_name_ok(const char *name, size_t len);
int pkernfs_format_carveout(struct pkernfs_sb_info *sbi, const u8 *uuid,
			    u64 nonce, u64 now);
int pkernfs_check_consistent(struct pkernfs_sb_info *sbi,
			     unsigned long **seen, char *why, size_t size);
int pkernfs_metadata_ranges(struct pkernfs_sb_info *sbi, pkernfs_range_fn fn,
			    void *arg);
int pkernfs_metadata_digest(struct pkernfs_sb_info *sbi, u8 *digest,
			    unsigned int *nr, u64 *bytes);
int pkernfs_metadata_compare(struct pkernfs_sb_info *sbi,
			     const struct pkh_extent *ranges,
			     unsigned int nr_ranges, const u8 *digest,
			     struct pkernfs_meta_result *res);

#endif /* _FS_PKERNFS_META_H */
