// SPDX-License-Identifier: GPL-2.0-only
/*
 * pkernfs inodes: block allocation, resizing, and the one directory.
 *
 * Locking, outermost first:
 *   inode->i_rwsem                 write(), truncate, create, unlink, rename
 *   mapping->invalidate_lock       shared: read(), page faults;
 *                                  exclusive: changing size or extents
 *   sbi->lock                      any change to the metadata
 *
 * A block that leaves a file (truncate, unlink) is unmapped from every
 * process first and marked free at once, but the allocator never hands
 * out a block while any of its pages is still referenced: pinned by
 * VFIO/iommufd (pin_user_pages()), mapped by another process that raced
 * with the unmap, or being copied by read().  So a resized or removed file
 * that is still in use cannot lead to a use-after-free of its memory.
 *
 * A file's extents are in its inode slot and, past PKERNFS_MAX_EXTENTS, in
 * its extent block (see pkernfs.h), which it gets from the allocator when
 * it grows past the slot and gives back when it shrinks into it again;
 * pkernfs_extent() is the one way to them.
 */

#define pr_fmt(fmt) "pkernfs: " fmt

#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pkhandover.h>
#include <linux/pagemap.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/statfs.h>

#include "pkernfs.h"

/* A run of blocks taken for a file, not yet in its extents. */
struct pkernfs_run {
	u32 start;
	u32 count;
};

static struct kmem_cache *pkernfs_inode_cachep;

/*
 * Brings the header of @di's extent block, if it has one, in line with
 * its nr_extents.  Caller holds sbi->lock.
 */
static void pkernfs_update_xblock(struct pkernfs_sb_info *sbi,
				  struct pkernfs_dinode *di)
{
	struct pkernfs_xblock *xb;

	if (!di->xblock)
		return;
	xb = pkernfs_block_addr(sbi, le32_to_cpu(di->xblock));
	xb->nr_extents = cpu_to_le32(le32_to_cpu(di->nr_extents) -
				     PKERNFS_MAX_EXTENTS);
	xb->crc = cpu_to_le32(pkernfs_xblock_crc(xb));
}

/*
 * The superblock's version follows the extent blocks: only a filesystem
 * that has one needs a kernel that knows them.  Caller holds sbi->lock and
 * refreshes the superblock's CRC.
 */
static void pkernfs_set_version(struct pkernfs_sb_info *sbi)
{
	sbi->super->version = cpu_to_le32(sbi->nr_xblocks ?
					  PKERNFS_VERSION_XBLOCK :
					  PKERNFS_VERSION);
}

/* No one holds a reference to any page of @block. */
static bool pkernfs_block_idle(struct pkernfs_sb_info *sbi, u32 block)
{
	unsigned long pfn = PHYS_PFN(sbi->base +
				     ((phys_addr_t)block << PKERNFS_BLOCK_SHIFT));
	struct page *page = pfn_to_page(pfn);
	unsigned long i;

	/* A block is a large folio: one count for all of its pages. */
	if (PageHead(page))
		return folio_ref_count(page_folio(page)) == 1;
	/* Carve-out pages are reserved: one reference, always. */
	for (i = 0; i < PKERNFS_BLOCK_SIZE / PAGE_SIZE; i++)
		if (page_ref_count(pfn_to_page(pfn + i)) != 1)
			return false;
	return true;
}

/* Clears the bits of @runs that pkernfs_take_blocks() set. */
static void pkernfs_unmark_runs(struct pkernfs_sb_info *sbi,
				const struct pkernfs_run *runs, int nr)
{
	u32 b;
	int i;

	for (i = 0; i < nr; i++)
		for (b = runs[i].start; b < runs[i].start + runs[i].count; b++)
			__clear_bit_le(b, sbi->bitmap);
}

/* The first free, idle block at or after @b, or sbi->nr_blocks. */
static u32 pkernfs_next_free(struct pkernfs_sb_info *sbi, u32 b)
{
	for (;; b++) {
		b = find_next_zero_bit_le(sbi->bitmap, sbi->nr_blocks, b);
		if (b >= sbi->nr_blocks || pkernfs_block_idle(sbi, b))
			return b;
	}
}

/* The last free, idle block, or 0 (metadata) if there is none. */
static u32 pkernfs_last_free(struct pkernfs_sb_info *sbi)
{
	u32 b;

	for (b = sbi->nr_blocks - 1; b >= sbi->meta_blocks; b--)
		if (!test_bit_le(b, sbi->bitmap) && pkernfs_block_idle(sbi, b))
			return b;
	return 0;
}

/*
 * Takes @want free, idle blocks for a file whose last block is @last (or
 * U32_MAX if it has none): first those right after @last, then the first
 * free ones from the start.  Fills @runs, which has room for @max_runs
 * entries, and returns how many it used, or -ENOSPC (nothing taken) if
 * there are not enough blocks or the file would have more than
 * PKERNFS_MAX_FILE_EXTENTS extents.
 *
 * If the file's extents will no longer fit in its inode slot and it has
 * no extent block yet, it takes one more block for that and sets @xblock
 * to it (else to 0): the last free block of the carve-out, so that it
 * splits neither the runs just taken nor the space right after them,
 * where the file grows next.  Caller holds sbi->lock.
 */
static int pkernfs_take_blocks(struct pkernfs_sb_info *sbi,
			       struct pkernfs_dinode *di, u32 want, u32 last,
			       struct pkernfs_run *runs, u32 max_runs,
			       u32 *xblock)
{
	u32 have = le32_to_cpu(di->nr_extents), b, got = 0, total;
	int nr = 0;

	*xblock = 0;
	if (want > sbi->free_blocks)
		return -ENOSPC;
	if (last != U32_MAX) {
		for (b = last + 1; got < want && b < sbi->nr_blocks; b++) {
			if (test_bit_le(b, sbi->bitmap) ||
			    !pkernfs_block_idle(sbi, b))
				break;
			__set_bit_le(b, sbi->bitmap);
			got++;
		}
		if (got)
			runs[nr++] = (struct pkernfs_run){ last + 1, got };
	}
	b = sbi->meta_blocks;
	while (got < want) {
		b = pkernfs_next_free(sbi, b);
		if (b >= sbi->nr_blocks)
			goto nospc;
		if (nr && runs[nr - 1].start + runs[nr - 1].count == b) {
			runs[nr - 1].count++;
		} else {
			if (nr == max_runs)
				goto fragmented;
			runs[nr++] = (struct pkernfs_run){ b, 1 };
		}
		__set_bit_le(b, sbi->bitmap);
		got++;
		b++;
		if (!(got % 64))
			cond_resched();
	}
	/* Only the first run can continue the file's last extent. */
	total = have + nr;
	if (nr && last != U32_MAX && runs[0].start == last + 1)
		total--;
	if (total > PKERNFS_MAX_FILE_EXTENTS)
		goto fragmented;
	if (total > PKERNFS_MAX_EXTENTS && !di->xblock) {
		*xblock = pkernfs_last_free(sbi);
		if (!*xblock)
			goto nospc;
		__set_bit_le(*xblock, sbi->bitmap);
	}
	sbi->free_blocks -= want + !!*xblock;
	pkernfs_update_bitmap(sbi);
	return nr;

fragmented:
	pr_warn_ratelimited("inode %llu would need more than %zu extents: free space is too fragmented\n",
			    le64_to_cpu(di->ino), PKERNFS_MAX_FILE_EXTENTS);
nospc:
	pkernfs_unmark_runs(sbi, runs, nr);
	return -ENOSPC;
}

/*
 * Appends @runs to the extents of @di, after making @xblock (zeroed, or 0
 * for none) its extent block.  Caller holds sbi->lock and refreshes the
 * slot's CRC.
 */
static void pkernfs_add_runs(struct pkernfs_sb_info *sbi,
			     struct pkernfs_dinode *di,
			     const struct pkernfs_run *runs, int nr, u32 xblock)
{
	u32 n = le32_to_cpu(di->nr_extents);
	struct pkernfs_dextent *e;
	struct pkernfs_xblock *xb;
	int i;

	if (xblock) {
		xb = pkernfs_block_addr(sbi, xblock);
		xb->magic = cpu_to_le32(PKERNFS_XBLOCK_MAGIC);
		xb->ino = di->ino;
		di->xblock = cpu_to_le32(xblock);
		sbi->nr_xblocks++;
		pkernfs_set_version(sbi);
		pkernfs_update_super(sbi);
	}
	for (i = 0; i < nr; i++) {
		e = n ? pkernfs_extent(sbi, di, n - 1) : NULL;
		if (e && le32_to_cpu(e->start) + le32_to_cpu(e->count) ==
			 runs[i].start) {
			le32_add_cpu(&e->count, runs[i].count);
			continue;
		}
		/* pkernfs_take_blocks() counted them: never past the slot. */
		if (WARN_ON_ONCE(n >= PKERNFS_MAX_EXTENTS && !di->xblock))
			break;
		e = pkernfs_extent(sbi, di, n);
		e->start = cpu_to_le32(runs[i].start);
		e->count = cpu_to_le32(runs[i].count);
		n++;
	}
	di->nr_extents = cpu_to_le32(n);
	pkernfs_update_xblock(sbi, di);
}

/*
 * Keeps the first @keep blocks of @di and frees the rest.  Caller holds
 * sbi->lock and has unmapped them.
 */
static void pkernfs_cut_blocks(struct pkernfs_sb_info *sbi,
			       struct pkernfs_dinode *di, u32 keep)
{
	u32 n = le32_to_cpu(di->nr_extents), i, start, count, stay, b;
	u32 pos = 0, kept = 0;
	struct pkernfs_dextent *e;

	for (i = 0; i < n; i++) {
		e = pkernfs_extent(sbi, di, i);
		start = le32_to_cpu(e->start);
		count = le32_to_cpu(e->count);
		/* Blocks of this extent that stay in the file. */
		stay = pos >= keep ? 0 : min(count, keep - pos);
		pos += count;
		if (stay) {
			e->count = cpu_to_le32(stay);
			kept = i + 1;
		} else {
			memset(e, 0, sizeof(*e));
		}
		for (b = stay; b < count; b++)
			__clear_bit_le(start + b, sbi->bitmap);
		sbi->free_blocks += count - stay;
	}
	di->nr_extents = cpu_to_le32(kept);
	/* Back in the slot: the extent block goes, as if never taken. */
	if (di->xblock && kept <= PKERNFS_MAX_EXTENTS) {
		__clear_bit_le(le32_to_cpu(di->xblock), sbi->bitmap);
		sbi->free_blocks++;
		di->xblock = 0;
		sbi->nr_xblocks--;
		pkernfs_set_version(sbi);
	}
	pkernfs_update_xblock(sbi, di);
	pkernfs_update_bitmap(sbi);
}

/**
 * pkernfs_file_phys() - where a byte of a file lives
 * @inode: the file
 * @pos:   a byte offset inside its blocks
 * @len:   set to the bytes from @pos to the end of the run of contiguous
 *         blocks that holds it
 *
 * Caller holds the inode's i_rwsem or its mapping's invalidate_lock.
 *
 * Return: the physical address of byte @pos of the file.
 */
phys_addr_t pkernfs_file_phys(struct inode *inode, loff_t pos, u64 *len)
{
	struct pkernfs_sb_info *sbi = PKERNFS_SB(inode->i_sb);
	struct pkernfs_dinode *di = pkernfs_dinode(inode);
	u64 block = pos >> PKERNFS_BLOCK_SHIFT, first = 0;
	u32 n = le32_to_cpu(di->nr_extents), i, start, count;
	struct pkernfs_dextent *e;

	for (i = 0; i < n; i++) {
		e = pkernfs_extent(sbi, di, i);
		start = le32_to_cpu(e->start);
		count = le32_to_cpu(e->count);
		if (block < first + count) {
			*len = ((first + count) << PKERNFS_BLOCK_SHIFT) - pos;
			return sbi->base +
			       ((phys_addr_t)(start + block - first) <<
				PKERNFS_BLOCK_SHIFT) +
			       (pos & (PKERNFS_BLOCK_SIZE - 1));
		}
		first += count;
	}
	/* The callers stay below the size, which the extents cover. */
	WARN_ON_ONCE(1);
	*len = 0;
	return sbi->base;
}

/* Zeroes bytes [@from, @to) of the file, which lie inside its blocks. */
/**
 * pkernfs_inode_frozen() - does a running device depend on this file?
 * @inode:       the file
 * @tables_only: only count frozen IOMMU tables
 *
 * True if any block of the file holds IOMMU tables a device is translated
 * through across a live update (or, unless @tables_only, memory such tables
 * translate to).  See kernel/pkhandover/preserve.c.
 */
bool pkernfs_inode_frozen(struct inode *inode, bool tables_only)
{
	struct pkernfs_sb_info *sbi = PKERNFS_SB(inode->i_sb);
	struct pkernfs_dinode *di = pkernfs_dinode(inode);
	struct pkernfs_dextent *e;
	u32 n, i;

	if (PKERNFS_I(inode)->slot == U32_MAX)
		return false;
	n = le32_to_cpu(di->nr_extents);
	for (i = 0; i < n; i++) {
		e = pkernfs_extent(sbi, di, i);
		if (pkhandover_frozen_overlaps(sbi->base +
				((phys_addr_t)le32_to_cpu(e->start) <<
				 PKERNFS_BLOCK_SHIFT),
				(u64)le32_to_cpu(e->count) <<
				PKERNFS_BLOCK_SHIFT, tables_only))
			return true;
	}
	return false;
}

static void pkernfs_zero_range(struct inode *inode, loff_t from, loff_t to)
{
	phys_addr_t phys;
	u64 len;

	while (from < to) {
		phys = pkernfs_file_phys(inode, from, &len);
		if (!len)
			return;
		len = min_t(u64, len, to - from);
		memset(__va(phys), 0, len);
		from += len;
	}
}

static void pkernfs_zero_runs(struct pkernfs_sb_info *sbi,
			      const struct pkernfs_run *runs, int nr)
{
	u32 b;
	int i;

	for (i = 0; i < nr; i++) {
		for (b = runs[i].start; b < runs[i].start + runs[i].count;
		     b++) {
			memset(pkernfs_block_addr(sbi, b), 0,
			       PKERNFS_BLOCK_SIZE);
			cond_resched();
		}
	}
}

static u32 pkernfs_last_block(struct pkernfs_sb_info *sbi,
			      struct pkernfs_dinode *di)
{
	u32 n = le32_to_cpu(di->nr_extents);
	struct pkernfs_dextent *e;

	if (!n)
		return U32_MAX;
	e = pkernfs_extent(sbi, di, n - 1);
	return le32_to_cpu(e->start) + le32_to_cpu(e->count) - 1;
}

/**
 * pkernfs_resize() - change the size of a file
 * @inode: the file; caller holds its i_rwsem
 * @size:  the new size in bytes
 *
 * Growing takes zeroed blocks; shrinking unmaps what goes away from every
 * process before its blocks are freed, and zeroes the bytes past the new
 * end that stay in the last block, so that growing again shows zeros.
 * The size and the extents change together, under the metadata lock.
 *
 * Return: 0, or -ENOSPC (nothing changed) if the blocks are not there.
 */
int pkernfs_resize(struct inode *inode, loff_t size)
{
	struct pkernfs_sb_info *sbi = PKERNFS_SB(inode->i_sb);
	struct pkernfs_dinode *di = pkernfs_dinode(inode);
	struct address_space *mapping = inode->i_mapping;
	loff_t old = i_size_read(inode);
	u32 have = pkernfs_blocks_for(old), need = pkernfs_blocks_for(size);
	struct pkernfs_run *runs = NULL;
	u32 max_runs, xblock = 0;
	int nr = 0;

	if (size == old)
		return 0;
	if (need > have) {
		/*
		 * No more runs than blocks, nor than the extents the file
		 * has room for (plus one, which may continue its last
		 * extent).  Its extents change only under i_rwsem, held.
		 */
		max_runs = min_t(u32, need - have,
				 PKERNFS_MAX_FILE_EXTENTS + 1 -
				 le32_to_cpu(di->nr_extents));
		runs = kvmalloc_array(max_runs, sizeof(*runs), GFP_KERNEL);
		if (!runs)
			return -ENOMEM;
		mutex_lock(&sbi->lock);
		nr = pkernfs_take_blocks(sbi, di, need - have,
					 pkernfs_last_block(sbi, di), runs,
					 max_runs, &xblock);
		mutex_unlock(&sbi->lock);
		if (nr < 0) {
			kvfree(runs);
			return nr;
		}
		/* Nobody can see them yet: zero them without the locks. */
		pkernfs_zero_runs(sbi, runs, nr);
		/* No stale bytes of a removed file in metadata either. */
		if (xblock)
			memset(pkernfs_block_addr(sbi, xblock), 0,
			       PKERNFS_BLOCK_SIZE);
	}

	filemap_invalidate_lock(mapping);
	if (size < old) {
		i_size_write(inode, size);
		unmap_mapping_range(mapping, round_up(size, PAGE_SIZE), 0, 1);
		pkernfs_zero_range(inode, size,
				   min_t(loff_t, old,
					 (loff_t)need << PKERNFS_BLOCK_SHIFT));
		mutex_lock(&sbi->lock);
		pkernfs_cut_blocks(sbi, di, need);
		di->size = cpu_to_le64(size);
		pkernfs_update_dinode(di);
		mutex_unlock(&sbi->lock);
	} else {
		/* A mapping may have written past the old end of its page. */
		pkernfs_zero_range(inode, old,
				   min_t(loff_t, round_up(old, PAGE_SIZE),
					 (loff_t)have << PKERNFS_BLOCK_SHIFT));
		mutex_lock(&sbi->lock);
		pkernfs_add_runs(sbi, di, runs, nr, xblock);
		di->size = cpu_to_le64(size);
		pkernfs_update_dinode(di);
		mutex_unlock(&sbi->lock);
		i_size_write(inode, size);
	}
	inode->i_blocks = (blkcnt_t)need << (PKERNFS_BLOCK_SHIFT - 9);
	filemap_invalidate_unlock(mapping);
	kvfree(runs);
	return 0;
}

/**
 * pkernfs_free_slot() - free a file's blocks and its inode slot
 * @sbi:  the filesystem; caller holds sbi->lock
 * @slot: the slot
 */
void pkernfs_free_slot(struct pkernfs_sb_info *sbi, u32 slot)
{
	struct pkernfs_dinode *di = &sbi->dinodes[slot];

	pkernfs_cut_blocks(sbi, di, 0);
	memset(di, 0, sizeof(*di));
	sbi->free_slots++;
}

/* Copies what the VFS inode knows into its slot.  Caller holds sbi->lock. */
static void pkernfs_store_attrs(struct inode *inode, struct pkernfs_dinode *di)
{
	struct timespec64 mtime = inode_get_mtime(inode);
	struct timespec64 ctime = inode_get_ctime(inode);

	di->mode = cpu_to_le32(inode->i_mode);
	di->uid = cpu_to_le32(i_uid_read(inode));
	di->gid = cpu_to_le32(i_gid_read(inode));
	di->mtime_sec = cpu_to_le64(mtime.tv_sec);
	di->mtime_nsec = cpu_to_le32(mtime.tv_nsec);
	di->ctime_sec = cpu_to_le64(ctime.tv_sec);
	di->ctime_nsec = cpu_to_le32(ctime.tv_nsec);
}

/**
 * pkernfs_sync_attrs() - write a file's mode, owner and times to its slot
 * @inode: the file
 */
void pkernfs_sync_attrs(struct inode *inode)
{
	struct pkernfs_sb_info *sbi = PKERNFS_SB(inode->i_sb);
	struct pkernfs_dinode *di = pkernfs_dinode(inode);

	mutex_lock(&sbi->lock);
	pkernfs_store_attrs(inode, di);
	pkernfs_update_dinode(di);
	mutex_unlock(&sbi->lock);
}

/**
 * pkernfs_iget() - a VFS inode for a file of the inode table
 * @sb:   the filesystem
 * @slot: the file's slot, already checked
 *
 * Return: a new inode, or NULL.
 */
struct inode *pkernfs_iget(struct super_block *sb, u32 slot)
{
	struct pkernfs_dinode *di = &PKERNFS_SB(sb)->dinodes[slot];
	struct inode *inode = new_inode(sb);

	if (!inode)
		return NULL;
	PKERNFS_I(inode)->slot = slot;
	inode->i_ino = le64_to_cpu(di->ino);
	inode->i_mode = le32_to_cpu(di->mode);
	i_uid_write(inode, le32_to_cpu(di->uid));
	i_gid_write(inode, le32_to_cpu(di->gid));
	inode->i_size = le64_to_cpu(di->size);
	inode->i_blocks = (blkcnt_t)pkernfs_blocks_for(inode->i_size) <<
			  (PKERNFS_BLOCK_SHIFT - 9);
	inode_set_mtime(inode, le64_to_cpu(di->mtime_sec),
			le32_to_cpu(di->mtime_nsec));
	inode_set_ctime(inode, le64_to_cpu(di->ctime_sec),
			le32_to_cpu(di->ctime_nsec));
	inode_set_atime_to_ts(inode, inode_get_mtime(inode));
	inode->i_op = &pkernfs_file_inode_operations;
	inode->i_fop = &pkernfs_file_operations;
	return inode;
}

/* ------------------------------------------------------------ directory */

static int pkernfs_create(struct mnt_idmap *idmap, struct inode *dir,
			  struct dentry *dentry, umode_t mode, bool excl)
{
	struct pkernfs_sb_info *sbi = PKERNFS_SB(dir->i_sb);
	const struct qstr *name = &dentry->d_name;
	struct pkernfs_super *s = sbi->super;
	struct pkernfs_dinode *di;
	struct inode *inode;
	u32 slot;

	if (!pkernfs_name_ok(name->name, name->len))
		return -EINVAL;
	inode = new_inode(dir->i_sb);
	if (!inode)
		return -ENOMEM;
	PKERNFS_I(inode)->slot = U32_MAX;
	inode_init_owner(idmap, inode, dir, S_IFREG | (mode & 07777));
	simple_inode_init_ts(inode);
	inode->i_op = &pkernfs_file_inode_operations;
	inode->i_fop = &pkernfs_file_operations;

	mutex_lock(&sbi->lock);
	for (slot = 0; slot < sbi->nr_inodes; slot++)
		if (!sbi->dinodes[slot].ino)
			break;
	if (slot == sbi->nr_inodes) {
		mutex_unlock(&sbi->lock);
		iput(inode);
		return -ENOSPC;
	}
	di = &sbi->dinodes[slot];
	memset(di, 0, sizeof(*di));
	inode->i_ino = le64_to_cpu(s->next_ino);
	le64_add_cpu(&s->next_ino, 1);
	di->ino = cpu_to_le64(inode->i_ino);
	di->name_len = cpu_to_le32(name->len);
	memcpy(di->name, name->name, name->len);
	pkernfs_store_attrs(inode, di);
	pkernfs_update_dinode(di);
	sbi->free_slots--;
	pkernfs_update_super(sbi);
	PKERNFS_I(inode)->slot = slot;
	mutex_unlock(&sbi->lock);

	inode_set_mtime_to_ts(dir, inode_set_ctime_current(dir));
	d_instantiate(dentry, inode);
	dget(dentry);	/* files stay in the dcache, as on ramfs */
	return 0;
}

/* Marks a file gone from the directory; its blocks go when it closes. */
static void pkernfs_mark_unlinked(struct inode *inode)
{
	struct pkernfs_sb_info *sbi = PKERNFS_SB(inode->i_sb);
	struct pkernfs_dinode *di = pkernfs_dinode(inode);

	mutex_lock(&sbi->lock);
	di->flags |= cpu_to_le32(PKERNFS_DINODE_F_UNLINKED);
	pkernfs_update_dinode(di);
	mutex_unlock(&sbi->lock);
}

static int pkernfs_unlink(struct inode *dir, struct dentry *dentry)
{
	/* Its blocks would be freed while a device still uses them. */
	if (pkernfs_inode_frozen(d_inode(dentry), false))
		return -EBUSY;
	pkernfs_mark_unlinked(d_inode(dentry));
	return simple_unlink(dir, dentry);
}

static int pkernfs_rename(struct mnt_idmap *idmap, struct inode *old_dir,
			  struct dentry *old_dentry, struct inode *new_dir,
			  struct dentry *new_dentry, unsigned int flags)
{
	struct inode *inode = d_inode(old_dentry);
	struct pkernfs_sb_info *sbi = PKERNFS_SB(inode->i_sb);
	const struct qstr *name = &new_dentry->d_name;
	struct pkernfs_dinode *di = pkernfs_dinode(inode);

	if (flags & ~RENAME_NOREPLACE)
		return -EINVAL;
	if (!pkernfs_name_ok(name->name, name->len))
		return -EINVAL;
	if (d_really_is_positive(new_dentry)) {
		if (pkernfs_inode_frozen(d_inode(new_dentry), false))
			return -EBUSY;
		pkernfs_mark_unlinked(d_inode(new_dentry));
	}

	mutex_lock(&sbi->lock);
	memset(di->name, 0, sizeof(di->name));
	memcpy(di->name, name->name, name->len);
	di->name_len = cpu_to_le32(name->len);
	inode_set_ctime_current(inode);
	pkernfs_store_attrs(inode, di);
	pkernfs_update_dinode(di);
	mutex_unlock(&sbi->lock);

	return simple_rename(idmap, old_dir, old_dentry, new_dir, new_dentry,
			     flags);
}

const struct inode_operations pkernfs_dir_inode_operations = {
	.lookup		= simple_lookup,
	.create		= pkernfs_create,
	.unlink		= pkernfs_unlink,
	.rename		= pkernfs_rename,
};

/* ------------------------------------------------------------ super ops */

static struct inode *pkernfs_alloc_inode(struct super_block *sb)
{
	struct pkernfs_inode_info *pi;

	pi = alloc_inode_sb(sb, pkernfs_inode_cachep, GFP_KERNEL);
	if (!pi)
		return NULL;
	pi->slot = U32_MAX;
	return &pi->vfs_inode;
}

static void pkernfs_free_inode(struct inode *inode)
{
	kmem_cache_free(pkernfs_inode_cachep, PKERNFS_I(inode));
}

static void pkernfs_evict_inode(struct inode *inode)
{
	struct pkernfs_sb_info *sbi = PKERNFS_SB(inode->i_sb);
	u32 slot = PKERNFS_I(inode)->slot;

	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
	/* Unmounting drops every file; only removed ones lose their data. */
	if (inode->i_nlink || slot == U32_MAX)
		return;
	mutex_lock(&sbi->lock);
	pkernfs_free_slot(sbi, slot);
	mutex_unlock(&sbi->lock);
}

static int pkernfs_statfs(struct dentry *dentry, struct kstatfs *buf)
{
	struct pkernfs_sb_info *sbi = PKERNFS_SB(dentry->d_sb);

	buf->f_type = PKERNFS_MAGIC;
	buf->f_bsize = PKERNFS_BLOCK_SIZE;
	buf->f_frsize = PKERNFS_BLOCK_SIZE;
	mutex_lock(&sbi->lock);
	buf->f_blocks = sbi->nr_blocks - sbi->meta_blocks;
	buf->f_bfree = sbi->free_blocks;
	buf->f_bavail = sbi->free_blocks;
	buf->f_files = sbi->nr_inodes;
	buf->f_ffree = sbi->free_slots;
	buf->f_fsid = uuid_to_fsid(sbi->super->uuid);
	mutex_unlock(&sbi->lock);
	buf->f_namelen = PKERNFS_NAME_LEN;
	return 0;
}

const struct super_operations pkernfs_super_operations = {
	.alloc_inode	= pkernfs_alloc_inode,
	.free_inode	= pkernfs_free_inode,
	.evict_inode	= pkernfs_evict_inode,
	.statfs		= pkernfs_statfs,
	.drop_inode	= generic_delete_inode,
};

static void pkernfs_inode_init_once(void *p)
{
	struct pkernfs_inode_info *pi = p;

	inode_init_once(&pi->vfs_inode);
}

/**
 * pkernfs_init_inodecache() - create the inode cache
 *
 * Return: 0 or -ENOMEM.
 */
int __init pkernfs_init_inodecache(void)
{
	pkernfs_inode_cachep = kmem_cache_create("pkernfs_inode_cache",
						 sizeof(struct pkernfs_inode_info),
						 0, SLAB_ACCOUNT,
						 pkernfs_inode_init_once);
	return pkernfs_inode_cachep ? 0 : -ENOMEM;
}
