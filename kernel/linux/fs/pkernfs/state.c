// SPDX-License-Identifier: GPL-2.0-only
/*
 * pkernfs's part of the state a live update hands over
 * (kernel/pkhandover/state.c prints it as the JSON spec and encodes it):
 * one region, the carve-out; its files in ascending inode order, with no
 * blocks: where a file's blocks are is in the carve-out's metadata, which
 * the next kernel checks instead.  The region lists where that metadata
 * lies, as region offset and length in bytes (pkernfs_metadata_ranges()),
 * and the SHA-256 of those bytes, in order, taken in the same snapshot as
 * the files.  Anything that changes the metadata after this snapshot (a
 * new file, a write that grows one, a chmod) changes the digest, and the
 * next kernel then adopts nothing.  FIEMAP on a file gives its blocks to
 * userspace.
 *
 * The generation is the one adopted this boot plus one (1 if none was),
 * the nonce the one this boot stored in the superblock.  While the IOMMU
 * driver holds frozen tables (in one of these files), the region is also
 * flagged iommu-tables, and the driver adds its units, domains and
 * devices.
 */

#include <linux/pkhandover.h>
#include <linux/pkhandover/abi.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/utsname.h>

#include "pkernfs.h"

struct pkernfs_state_file {
	u64 ino;
	u32 slot;
};

static int pkernfs_cmp_ino(const void *a, const void *b)
{
	const struct pkernfs_state_file *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* The ranges pkernfs_metadata_ranges() reports, into an array. */
struct pkernfs_range_collector {
	struct pkh_state_range *ranges;
	unsigned int nr, max;
};

static int pkernfs_collect_range(void *arg, u64 off, u64 len)
{
	struct pkernfs_range_collector *c = arg;

	/* The digest counted them under the same lock: no more can come. */
	if (WARN_ON_ONCE(c->nr >= c->max))
		return -EINVAL;
	c->ranges[c->nr].offset = off;
	c->ranges[c->nr++].length = len;
	return 0;
}

/* The files in use, ascending inode, their names copied to @hs->names. */
static int pkernfs_collect_files(struct pkernfs_sb_info *sbi,
				 struct pkhandover_state *hs)
{
	struct pkernfs_state_file *order;
	struct pkernfs_dinode *di;
	unsigned int nr = 0;
	u32 i;

	order = kvmalloc_array(sbi->nr_inodes, sizeof(*order), GFP_KERNEL);
	if (!order)
		return -ENOMEM;
	for (i = 0; i < sbi->nr_inodes; i++) {
		if (!sbi->dinodes[i].ino ||
		    (le32_to_cpu(sbi->dinodes[i].flags) &
		     PKERNFS_DINODE_F_UNLINKED))
			continue;
		order[nr].ino = le64_to_cpu(sbi->dinodes[i].ino);
		order[nr++].slot = i;
	}
	sort(order, nr, sizeof(*order), pkernfs_cmp_ino, NULL);

	hs->files = kvcalloc(max(nr, 1u), sizeof(*hs->files), GFP_KERNEL);
	hs->names = kvcalloc(max(nr, 1u), PKH_STATE_NAME_SIZE, GFP_KERNEL);
	if (!hs->files || !hs->names) {
		kvfree(order);
		return -ENOMEM;
	}
	static_assert(sizeof(di->name) <= PKH_STATE_NAME_SIZE);
	for (i = 0; i < nr; i++) {
		di = &sbi->dinodes[order[i].slot];
		strscpy(hs->names + i * PKH_STATE_NAME_SIZE, di->name,
			PKH_STATE_NAME_SIZE);
		hs->files[i].name = hs->names + i * PKH_STATE_NAME_SIZE;
		hs->files[i].inode = le64_to_cpu(di->ino);
		hs->files[i].size = le64_to_cpu(di->size);
	}
	hs->region.files = hs->files;
	hs->region.nr_files = nr;
	kvfree(order);
	return 0;
}

/**
 * pkernfs_state_collect() - pkernfs's part of the state to hand over
 * @hs: the state; its header, its one region, the files and the metadata
 *      ranges are filled in, from one snapshot taken under the metadata
 *      lock
 *
 * Return: 0, -ENODEV if pkernfs is not mounted, or -ENOMEM.
 */
int pkernfs_state_collect(struct pkhandover_state *hs)
{
	struct pkernfs_range_collector ranges = { };
	struct pkh_state_region *r = &hs->region;
	struct pkernfs_sb_info *sbi;
	struct pkernfs_super *s;
	unsigned int nr_ranges;
	int ret;
	u64 bytes;

	mutex_lock(&pkernfs_mount_lock);
	sbi = pkernfs_mounted;
	if (!sbi) {
		mutex_unlock(&pkernfs_mount_lock);
		return -ENODEV;
	}
	mutex_lock(&sbi->lock);
	s = sbi->super;
	hs->state.abi_major = PKH_ABI_MAJOR;
	hs->state.abi_minor = PKH_ABI_MINOR;
	hs->state.generation = le64_to_cpu(s->generation) + 1;
	hs->state.nonce = le64_to_cpu(s->nonce);
	/* At most PKH_MAX_CREATOR_LEN bytes: the buffer cuts it there. */
	snprintf(hs->creator, sizeof(hs->creator), "Linux %s pkernfs",
		 init_utsname()->release);
	hs->state.creator = hs->creator;

	r->base = sbi->base;
	r->size = sbi->size;
	r->block_size = PKERNFS_BLOCK_SIZE;
	static_assert(sizeof(r->fs_uuid) == sizeof(s->uuid));
	memcpy(r->fs_uuid, s->uuid, sizeof(r->fs_uuid));
	r->flags = PKH_REGION_F_GUEST_RAM;
	if (pkhandover_iommu_has_tables())
		r->flags |= PKH_REGION_F_IOMMU_TABLES;

	ret = pkernfs_metadata_digest(sbi, r->metadata_digest, &nr_ranges,
				      &bytes);
	if (ret)
		goto out;
	hs->ranges = kvcalloc(max(nr_ranges, 1u), sizeof(*hs->ranges),
			      GFP_KERNEL);
	if (!hs->ranges) {
		ret = -ENOMEM;
		goto out;
	}
	ranges.ranges = hs->ranges;
	ranges.max = nr_ranges;
	ret = pkernfs_metadata_ranges(sbi, pkernfs_collect_range, &ranges);
	if (ret)
		goto out;
	r->metadata = hs->ranges;
	r->nr_metadata = ranges.nr;
	ret = pkernfs_collect_files(sbi, hs);
	if (ret)
		goto out;
	hs->state.regions = r;
	hs->state.nr_regions = 1;
out:
	mutex_unlock(&sbi->lock);
	mutex_unlock(&pkernfs_mount_lock);
	return ret;
}

/**
 * pkernfs_table_file() - where a pkernfs file lies, to hold IOMMU tables
 * @file:  an open file of the mounted pkernfs
 * @start: set to its first byte's physical address
 * @size:  set to its size, whole blocks
 *
 * The file must be one run of blocks and open for writing by nobody (the
 * caller's @file included); the caller then records it with
 * pkhandover_frozen_add(), after which pkernfs refuses to open it for
 * writing, resize it or remove it.
 *
 * Return: 0, -ENODEV if pkernfs is not mounted, -EINVAL if @file is not a
 * regular file of it or not one run of blocks, -ETXTBSY if it is open for
 * writing.
 */
int pkernfs_table_file(struct file *file, phys_addr_t *start, u64 *size)
{
	struct inode *inode = file_inode(file);
	struct pkernfs_sb_info *sbi;
	struct pkernfs_dinode *di;
	struct pkernfs_dextent *e;
	int ret = -EINVAL;
	u32 i;

	mutex_lock(&pkernfs_mount_lock);
	sbi = pkernfs_mounted;
	if (!sbi) {
		ret = -ENODEV;
		goto out;
	}
	if (inode->i_sb != sbi->sb || !S_ISREG(inode->i_mode))
		goto out;
	mutex_lock(&sbi->lock);
	for (i = 0; i < sbi->nr_inodes; i++) {
		di = &sbi->dinodes[i];
		if (!di->ino || le32_to_cpu(di->flags) ||
		    le64_to_cpu(di->ino) != inode->i_ino)
			continue;
		if (le32_to_cpu(di->nr_extents) != 1)
			break;
		e = pkernfs_extent(sbi, di, 0);
		*start = sbi->base + ((phys_addr_t)le32_to_cpu(e->start) <<
				      PKERNFS_BLOCK_SHIFT);
		*size = (u64)le32_to_cpu(e->count) << PKERNFS_BLOCK_SHIFT;
		ret = atomic_read(&inode->i_writecount) > 0 ? -ETXTBSY : 0;
		break;
	}
	mutex_unlock(&sbi->lock);
out:
	mutex_unlock(&pkernfs_mount_lock);
	return ret;
}

/**
 * pkernfs_status() - what pkernfs made of this boot's handover
 * @generation: set to the generation adopted, 0 if none
 *
 * Return: "not-mounted" (not mounted yet this boot), "formatted",
 * "adopted", "not-adopted" or "stale"; see DOC: handover policy.
 */
const char *pkernfs_status(u64 *generation)
{
	static const char *const names[] = {
		[PKERNFS_UNDECIDED] = "not-mounted",
		[PKERNFS_FORMATTED] = "formatted",
		[PKERNFS_ADOPTED] = "adopted",
		[PKERNFS_NOT_ADOPTED] = "not-adopted",
		[PKERNFS_STALE] = "stale",
	};
	const char *name;

	mutex_lock(&pkernfs_mount_lock);
	*generation = pkernfs_boot.generation;
	name = names[pkernfs_boot.state];
	mutex_unlock(&pkernfs_mount_lock);
	return name;
}
