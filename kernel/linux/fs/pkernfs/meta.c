// SPDX-License-Identifier: GPL-2.0-only
/*
 * pkernfs: the metadata in the carve-out, without the VFS.
 *
 * Everything here works on a struct pkernfs_sb_info and the carve-out's
 * bytes alone: the layout, the CRCs, formatting, the consistency check a
 * mount makes before it trusts anything, and where the metadata lies and
 * its SHA-256, which a v2 handover carries and the next kernel compares.
 * The kernel builds it into pkernfs; userspace builds the same file with
 * pkernfs_compat.h (tests/pkernfs/), to check it against hostile
 * carve-outs under ASan and to time it on carve-outs of up to 1 TiB.
 * Nothing here takes a lock: the callers hold sbi->lock or own the
 * carve-out.
 */

#include "pkernfs_meta.h"

/* ------------------------------------------------------------ layout */

/**
 * pkernfs_layout() - where the metadata lives in a carve-out
 * @nr_blocks: blocks of the carve-out
 * @l:         set to the layout
 */
void pkernfs_layout(u32 nr_blocks, struct pkernfs_layout *l)
{
	l->nr_inodes = clamp_t(u32, nr_blocks, PKERNFS_MIN_INODES,
			       PKERNFS_MAX_INODES);
	l->inode_table = PKERNFS_SLOT_SIZE;
	l->bitmap = l->inode_table + (u64)l->nr_inodes * PKERNFS_SLOT_SIZE;
	l->bitmap_size = round_up(DIV_ROUND_UP(nr_blocks, 8), 8);
	l->meta_blocks = DIV_ROUND_UP(l->bitmap + l->bitmap_size,
				      PKERNFS_BLOCK_SIZE);
}

/**
 * pkernfs_map() - point @sbi at the metadata of its carve-out
 * @sbi: base and size set
 * @l:   the carve-out's layout
 */
void pkernfs_map(struct pkernfs_sb_info *sbi, const struct pkernfs_layout *l)
{
	void *va = __va(sbi->base);

	sbi->super = va;
	sbi->dinodes = va + l->inode_table;
	sbi->bitmap = va + l->bitmap;
	sbi->nr_blocks = sbi->size >> PKERNFS_BLOCK_SHIFT;
	sbi->meta_blocks = l->meta_blocks;
	sbi->nr_inodes = l->nr_inodes;
}

/* ------------------------------------------------------------ CRCs */

/**
 * pkernfs_crc() - CRC-32 of a structure that holds its own CRC
 * @p:          the structure
 * @size:       its size
 * @crc_offset: offset of its 4-byte CRC field, taken as zero
 *
 * Return: zlib's crc32() of the bytes, as the handover ABI uses it.
 */
u32 pkernfs_crc(const void *p, size_t size, size_t crc_offset)
{
	static const u8 zero[4];
	u32 crc;

	crc = crc32_le(~0u, p, crc_offset);
	crc = crc32_le(crc, zero, sizeof(zero));
	crc = crc32_le(crc, p + crc_offset + 4, size - crc_offset - 4);
	return ~crc;
}

/**
 * pkernfs_update_super() - refresh the superblock's CRC
 * @sbi: the filesystem; caller holds sbi->lock
 */
void pkernfs_update_super(struct pkernfs_sb_info *sbi)
{
	struct pkernfs_super *s = sbi->super;

	s->crc = cpu_to_le32(pkernfs_crc(s, sizeof(*s),
					 offsetof(struct pkernfs_super, crc)));
}

static u32 pkernfs_bitmap_crc(struct pkernfs_sb_info *sbi)
{
	return ~crc32_le(~0u, (const u8 *)sbi->bitmap,
			 le32_to_cpu(sbi->super->bitmap_size));
}

/**
 * pkernfs_update_bitmap() - refresh the CRCs after a bitmap change
 * @sbi: the filesystem; caller holds sbi->lock
 */
void pkernfs_update_bitmap(struct pkernfs_sb_info *sbi)
{
	sbi->super->bitmap_crc = cpu_to_le32(pkernfs_bitmap_crc(sbi));
	pkernfs_update_super(sbi);
}

/**
 * pkernfs_update_dinode() - refresh the CRC of an inode slot
 * @di: the slot, just changed
 *
 * Caller holds sbi->lock.
 */
void pkernfs_update_dinode(struct pkernfs_dinode *di)
{
	di->crc = cpu_to_le32(pkernfs_crc(di, sizeof(*di),
					  offsetof(struct pkernfs_dinode, crc)));
}

/**
 * pkernfs_xblock_crc() - CRC-32 of an extent block
 * @xb: the block; its header's nr_extents says how much of it counts
 *
 * Only the header and the entries in use count, so that adding or
 * removing an extent costs a CRC of the extents in use, not of 2 MiB.
 * The caller has checked nr_extents against PKERNFS_XBLOCK_EXTENTS.
 *
 * Return: the CRC the header's crc field must hold.
 */
u32 pkernfs_xblock_crc(const struct pkernfs_xblock *xb)
{
	u32 n = le32_to_cpu(xb->nr_extents);

	return pkernfs_crc(xb, pkernfs_xblock_bytes(n),
			   offsetof(struct pkernfs_xblock, crc));
}

/**
 * pkernfs_name_ok() - whether a file name can be handed over
 * @name: the name, not necessarily NUL-terminated
 * @len:  its length
 *
 * The handover ABI takes 1..255 printable ASCII bytes without '/', and
 * not "." or "..".
 *
 * Return: true if @name is such a name.
 */
bool pkernfs_name_ok(const char *name, size_t len)
{
	size_t i;

	if (!len || len > PKERNFS_NAME_LEN)
		return false;
	if ((len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return false;
	for (i = 0; i < len; i++)
		if (name[i] < 0x20 || name[i] > 0x7e || name[i] == '/')
			return false;
	return true;
}

/**
 * pkernfs_format_carveout() - write an empty pkernfs into the carve-out
 * @sbi:   base and size set; mapped by this call
 * @uuid:  16 bytes, the new filesystem's identity
 * @nonce: the superblock's first nonce, not 0
 * @now:   the format time, seconds since the epoch
 *
 * Return: 0, or -ENOSPC if the metadata would take the whole carve-out.
 */
int pkernfs_format_carveout(struct pkernfs_sb_info *sbi, const u8 *uuid,
			    u64 nonce, u64 now)
{
	u32 nr_blocks = sbi->size >> PKERNFS_BLOCK_SHIFT, b;
	struct pkernfs_layout l;
	struct pkernfs_super *s;

	pkernfs_layout(nr_blocks, &l);
	if (l.meta_blocks >= nr_blocks)
		return -ENOSPC;
	pkernfs_map(sbi, &l);
	memset(sbi->super, 0, l.bitmap + l.bitmap_size);

	s = sbi->super;
	s->magic = cpu_to_le32(PKERNFS_MAGIC);
	s->version = cpu_to_le32(PKERNFS_VERSION);
	s->sb_size = cpu_to_le32(sizeof(*s));
	s->base = cpu_to_le64(sbi->base);
	s->size = cpu_to_le64(sbi->size);
	s->block_size = cpu_to_le32(PKERNFS_BLOCK_SIZE);
	s->nr_blocks = cpu_to_le32(nr_blocks);
	s->meta_blocks = cpu_to_le32(l.meta_blocks);
	s->nr_inodes = cpu_to_le32(l.nr_inodes);
	s->inode_table = cpu_to_le64(l.inode_table);
	s->bitmap = cpu_to_le64(l.bitmap);
	s->bitmap_size = cpu_to_le32(l.bitmap_size);
	memcpy(s->uuid, uuid, sizeof(s->uuid));
	s->nonce = cpu_to_le64(nonce);
	s->next_ino = cpu_to_le64(PKERNFS_FIRST_INO);
	s->format_time = cpu_to_le64(now);
	for (b = 0; b < l.meta_blocks; b++)
		__set_bit_le(b, sbi->bitmap);
	sbi->free_blocks = nr_blocks - l.meta_blocks;
	sbi->free_slots = l.nr_inodes;
	pkernfs_update_bitmap(sbi);
	return 0;
}

/* ------------------------------------------------------------ check */

static __printf(4, 5)
int pkernfs_why(char *why, size_t size, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return err;
}

static int pkernfs_check_super(struct pkernfs_sb_info *sbi, char *why,
			       size_t size)
{
	struct pkernfs_super *s = __va(sbi->base);
	u32 nr_blocks = sbi->size >> PKERNFS_BLOCK_SHIFT, crc;
	struct pkernfs_layout l;

	if (le32_to_cpu(s->magic) != PKERNFS_MAGIC)
		return pkernfs_why(why, size, -EINVAL,
				      "no pkernfs in the carve-out 0x%llx+0x%llx (magic 0x%08x, expected 0x%08x); mount with -o format to create one",
				      (u64)sbi->base, (u64)sbi->size,
				      le32_to_cpu(s->magic), PKERNFS_MAGIC);
	/*
	 * Version 2 only adds extent blocks.  A kernel that knows version 1
	 * alone refuses it with this same check, before it reads or writes
	 * anything else, so it never misses or frees an extent block.
	 */
	if (le32_to_cpu(s->version) != PKERNFS_VERSION &&
	    le32_to_cpu(s->version) != PKERNFS_VERSION_XBLOCK)
		return pkernfs_why(why, size, -EINVAL,
				      "superblock version %u, this kernel knows %u and %u",
				      le32_to_cpu(s->version), PKERNFS_VERSION,
				      PKERNFS_VERSION_XBLOCK);
	if (le32_to_cpu(s->sb_size) != sizeof(*s))
		return pkernfs_why(why, size, -EUCLEAN,
				      "superblock size %u, expected %zu",
				      le32_to_cpu(s->sb_size), sizeof(*s));
	crc = pkernfs_crc(s, sizeof(*s), offsetof(struct pkernfs_super, crc));
	if (crc != le32_to_cpu(s->crc))
		return pkernfs_why(why, size, -EUCLEAN,
				      "superblock CRC mismatch (stored 0x%08x, computed 0x%08x): the metadata is corrupt",
				      le32_to_cpu(s->crc), crc);
	if (le64_to_cpu(s->base) != sbi->base ||
	    le64_to_cpu(s->size) != sbi->size)
		return pkernfs_why(why, size, -EINVAL,
				      "it was formatted for the carve-out 0x%llx+0x%llx, pkernfs= gives 0x%llx+0x%llx",
				      le64_to_cpu(s->base), le64_to_cpu(s->size),
				      (u64)sbi->base, (u64)sbi->size);
	pkernfs_layout(nr_blocks, &l);
	if (le32_to_cpu(s->block_size) != PKERNFS_BLOCK_SIZE ||
	    le32_to_cpu(s->nr_blocks) != nr_blocks ||
	    le32_to_cpu(s->meta_blocks) != l.meta_blocks ||
	    le32_to_cpu(s->nr_inodes) != l.nr_inodes ||
	    le64_to_cpu(s->inode_table) != l.inode_table ||
	    le64_to_cpu(s->bitmap) != l.bitmap ||
	    le32_to_cpu(s->bitmap_size) != l.bitmap_size)
		return pkernfs_why(why, size, -EUCLEAN,
				      "superblock geometry is inconsistent (block size %u, %u blocks, %u inodes)",
				      le32_to_cpu(s->block_size),
				      le32_to_cpu(s->nr_blocks),
				      le32_to_cpu(s->nr_inodes));
	if (!s->nonce || le64_to_cpu(s->next_ino) < PKERNFS_FIRST_INO)
		return pkernfs_why(why, size, -EUCLEAN,
				      "superblock nonce or next inode number is invalid");
	pkernfs_map(sbi, &l);
	crc = pkernfs_bitmap_crc(sbi);
	if (crc != le32_to_cpu(s->bitmap_crc))
		return pkernfs_why(why, size, -EUCLEAN,
				      "allocation bitmap CRC mismatch (stored 0x%08x, computed 0x%08x): the metadata is corrupt",
				      le32_to_cpu(s->bitmap_crc), crc);
	return 0;
}

/*
 * Why the extent block of @di cannot be right, or NULL; marks it in @seen.
 * Runs before the file's extents are looked at, so that they can be read
 * through pkernfs_extent().
 */
static const char *pkernfs_check_xblock(struct pkernfs_sb_info *sbi,
					struct pkernfs_dinode *di,
					unsigned long *seen)
{
	u32 n = le32_to_cpu(di->nr_extents), xblock = le32_to_cpu(di->xblock);
	struct pkernfs_xblock *xb;

	if (!xblock)
		return n > PKERNFS_MAX_EXTENTS ?
		       "more extents than its slot holds, but no extent block" :
		       NULL;
	if (n <= PKERNFS_MAX_EXTENTS)
		return "an extent block, but all of its extents in its slot";
	if (le32_to_cpu(sbi->super->version) != PKERNFS_VERSION_XBLOCK)
		return "an extent block in a version 1 filesystem";
	if (xblock < sbi->meta_blocks)
		return "extent block in the metadata";
	if (xblock >= sbi->nr_blocks)
		return "extent block outside the carve-out";
	if (test_bit(xblock, seen))
		return "extent block already in use by another file";
	if (!test_bit_le(xblock, sbi->bitmap))
		return "extent block in use but free in the bitmap";
	xb = pkernfs_block_addr(sbi, xblock);
	if (le32_to_cpu(xb->magic) != PKERNFS_XBLOCK_MAGIC)
		return "extent block has no extent block magic";
	if (xb->ino != di->ino)
		return "extent block belongs to another inode";
	if (le32_to_cpu(xb->nr_extents) != n - PKERNFS_MAX_EXTENTS)
		return "extent block count does not match the inode's";
	if (xb->reserved)
		return "extent block reserved field is not zero";
	if (pkernfs_xblock_crc(xb) != le32_to_cpu(xb->crc))
		return "extent block CRC mismatch";
	__set_bit(xblock, seen);
	sbi->nr_xblocks++;
	return NULL;
}

/* Why inode slot @di cannot be right, or NULL; marks its blocks in @seen. */
static const char *pkernfs_check_dinode(struct pkernfs_sb_info *sbi,
					struct pkernfs_dinode *di,
					unsigned long *seen)
{
	u32 n = le32_to_cpu(di->nr_extents), len = le32_to_cpu(di->name_len);
	u64 ino = le64_to_cpu(di->ino), size = le64_to_cpu(di->size);
	u64 blocks = 0, start, count, b;
	struct pkernfs_dextent *e;
	const char *why;
	u32 i;

	if (pkernfs_crc(di, sizeof(*di), offsetof(struct pkernfs_dinode, crc)) !=
	    le32_to_cpu(di->crc))
		return "CRC mismatch";
	if (ino < PKERNFS_FIRST_INO ||
	    ino >= le64_to_cpu(sbi->super->next_ino))
		return "inode number out of range";
	if (!S_ISREG(le32_to_cpu(di->mode)))
		return "not a regular file";
	if (le32_to_cpu(di->flags) & ~PKERNFS_DINODE_F_UNLINKED)
		return "unknown flags";
	if (len > PKERNFS_NAME_LEN || di->name[len] ||
	    !pkernfs_name_ok(di->name, len))
		return "invalid name";
	if (n > PKERNFS_MAX_FILE_EXTENTS)
		return "too many extents";
	if (size > (u64)sbi->nr_blocks << PKERNFS_BLOCK_SHIFT)
		return "size larger than the filesystem";
	why = pkernfs_check_xblock(sbi, di, seen);
	if (why)
		return why;
	for (i = 0; i < n; i++) {
		e = pkernfs_extent(sbi, di, i);
		start = le32_to_cpu(e->start);
		count = le32_to_cpu(e->count);
		if (!count || start < sbi->meta_blocks ||
		    start + count > sbi->nr_blocks)
			return "extent outside the data blocks";
		for (b = start; b < start + count; b++) {
			if (test_bit(b, seen))
				return "block used twice";
			if (!test_bit_le(b, sbi->bitmap))
				return "block in use but free in the bitmap";
			__set_bit(b, seen);
		}
		blocks += count;
	}
	if (blocks != pkernfs_blocks_for(size))
		return "extents do not match the size";
	return NULL;
}

/**
 * pkernfs_check_consistent() - whether the metadata in the carve-out can
 * be trusted, before anything reads a file or changes a byte
 * @sbi:  base and size set; mapped by this call
 * @seen: set, on success, to a bitmap (bitmap_free() it) of the blocks
 *        that the metadata and the files own: a block marked in the
 *        carve-out's bitmap but not here belongs to no file
 * @why:  set to why not, in words, on failure
 * @size: bytes at @why
 *
 * Checks the superblock and its geometry, the CRCs of the superblock, the
 * bitmap, every inode slot in use and every extent block, and that every
 * block of every file lies in the data blocks, is marked in the bitmap and
 * belongs to one file only.  Sets sbi->nr_xblocks.  Work and memory are
 * linear in the blocks of the carve-out and the extents of its files.
 *
 * Return: 0; -EINVAL if there is no pkernfs for this carve-out, -EUCLEAN if
 * it is inconsistent, -ENOMEM.
 */
int pkernfs_check_consistent(struct pkernfs_sb_info *sbi,
			     unsigned long **seen, char *why, size_t size)
{
	struct pkernfs_dinode *di, *other;
	unsigned long *owned;
	const char *bad;
	u32 i, j, b;
	int ret;

	ret = pkernfs_check_super(sbi, why, size);
	if (ret)
		return ret;
	for (b = 0; b < sbi->meta_blocks; b++)
		if (!test_bit_le(b, sbi->bitmap))
			return pkernfs_why(why, size, -EUCLEAN,
					   "metadata block %u is free in the bitmap",
					   b);
	for (b = sbi->nr_blocks; b < le32_to_cpu(sbi->super->bitmap_size) * 8;
	     b++)
		if (test_bit_le(b, sbi->bitmap))
			return pkernfs_why(why, size, -EUCLEAN,
					   "bitmap marks block %u, past the end",
					   b);

	owned = bitmap_zalloc(sbi->nr_blocks, GFP_KERNEL);
	if (!owned)
		return -ENOMEM;
	for (b = 0; b < sbi->meta_blocks; b++)
		__set_bit(b, owned);
	sbi->nr_xblocks = 0;
	for (i = 0; i < sbi->nr_inodes; i++) {
		di = &sbi->dinodes[i];
		if (!di->ino)
			continue;
		bad = pkernfs_check_dinode(sbi, di, owned);
		for (j = 0; !bad && j < i; j++) {
			other = &sbi->dinodes[j];
			if (other->ino == di->ino)
				bad = "inode number used twice";
			else if (other->ino && !(other->flags | di->flags) &&
				 !strcmp(other->name, di->name))
				bad = "name used twice";
		}
		if (bad) {
			bitmap_free(owned);
			return pkernfs_why(why, size, -EUCLEAN,
					   "inode slot %u (inode %llu): %s", i,
					   le64_to_cpu(di->ino), bad);
		}
	}
	*seen = owned;
	return 0;
}

/* ------------------------------------------------------------ metadata */

/* Builds the ranges: adjacent ones become one before they are passed on. */
struct pkernfs_range_merge {
	pkernfs_range_fn fn;
	void *arg;
	u64 off;
	u64 len;
};

static int pkernfs_range_add(struct pkernfs_range_merge *rm, u64 off, u64 len)
{
	int ret;

	len = round_up(len, PKH_PAGE_SIZE);
	if (rm->len && rm->off + rm->len == off) {
		rm->len += len;
		return 0;
	}
	if (rm->len) {
		ret = rm->fn(rm->arg, rm->off, rm->len);
		if (ret)
			return ret;
	}
	rm->off = off;
	rm->len = len;
	return 0;
}

static int pkernfs_cmp_u64(const void *a, const void *b)
{
	const u64 *x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

/**
 * pkernfs_metadata_ranges() - where the metadata of a pkernfs lies now
 * @sbi: the filesystem, consistent (formatted or checked); the caller
 *       holds sbi->lock or has the filesystem to itself
 * @fn:  called for each range with its region offset and length in bytes,
 *       page aligned, in ascending order, adjacent ranges merged; a
 *       non-zero return stops the walk and is returned
 * @arg: passed to @fn
 *
 * The ranges are the superblock's page, the inode slots in use (files
 * removed while open included: they are metadata until a mount frees
 * them), the allocation bitmap, and the used part of each extent block
 * (its header and its extents in use), each rounded up to whole pages.
 * The old kernel hands them over as the region's "metadata" with their
 * SHA-256, and the new one compares both with what it finds, through this
 * same function, so the two agree on what counts.
 *
 * Return: 0, -ENOMEM, or what @fn returned.
 */
int pkernfs_metadata_ranges(struct pkernfs_sb_info *sbi, pkernfs_range_fn fn,
			    void *arg)
{
	struct pkernfs_range_merge rm = { .fn = fn, .arg = arg };
	struct pkernfs_super *s = sbi->super;
	struct pkernfs_dinode *di;
	unsigned int nr = 0, i;
	u64 *xblocks = NULL;
	u32 n;
	int ret;

	/* The extent blocks, by block: (block << 32) | its extents in use. */
	for (i = 0; i < sbi->nr_inodes; i++)
		if (sbi->dinodes[i].ino && sbi->dinodes[i].xblock)
			nr++;
	if (nr) {
		xblocks = kmalloc_array(nr, sizeof(*xblocks), GFP_KERNEL);
		if (!xblocks)
			return -ENOMEM;
		nr = 0;
		for (i = 0; i < sbi->nr_inodes; i++) {
			di = &sbi->dinodes[i];
			if (!di->ino || !di->xblock)
				continue;
			n = le32_to_cpu(di->nr_extents) - PKERNFS_MAX_EXTENTS;
			xblocks[nr++] = (u64)le32_to_cpu(di->xblock) << 32 | n;
		}
		sort(xblocks, nr, sizeof(*xblocks), pkernfs_cmp_u64, NULL);
	}

	ret = pkernfs_range_add(&rm, 0, sizeof(*s));
	for (i = 0; !ret && i < sbi->nr_inodes; i++)
		if (sbi->dinodes[i].ino)
			ret = pkernfs_range_add(&rm, le64_to_cpu(s->inode_table) +
						(u64)i * PKERNFS_SLOT_SIZE,
						PKERNFS_SLOT_SIZE);
	if (!ret)
		ret = pkernfs_range_add(&rm, le64_to_cpu(s->bitmap),
					le32_to_cpu(s->bitmap_size));
	for (i = 0; !ret && i < nr; i++)
		ret = pkernfs_range_add(&rm, (xblocks[i] >> 32) <<
					PKERNFS_BLOCK_SHIFT,
					pkernfs_xblock_bytes((u32)xblocks[i]));
	if (!ret)
		ret = fn(arg, rm.off, rm.len);
	kfree(xblocks);
	return ret;
}

struct pkernfs_digest_ctx {
	struct pkernfs_sb_info *sbi;
	struct sha256_state sha;
	unsigned int nr;
	u64 bytes;
};

static int pkernfs_digest_range(void *arg, u64 off, u64 len)
{
	struct pkernfs_digest_ctx *d = arg;
	const u8 *p = __va(d->sbi->base + off);
	u64 left = len;
	unsigned int n;

	d->nr++;
	d->bytes += len;
	while (left) {
		n = min_t(u64, left, SZ_1M);
		sha256_update(&d->sha, p, n);
		p += n;
		left -= n;
	}
	return 0;
}

/**
 * pkernfs_metadata_digest() - the SHA-256 of the metadata of a pkernfs
 * @sbi:    the filesystem, as for pkernfs_metadata_ranges()
 * @digest: set to the SHA-256 (SHA256_DIGEST_SIZE bytes) of the bytes of
 *          its metadata ranges, in order
 * @nr:     set to the number of ranges
 * @bytes:  set to their total length
 *
 * Return: 0 or -ENOMEM.
 */
int pkernfs_metadata_digest(struct pkernfs_sb_info *sbi, u8 *digest,
			    unsigned int *nr, u64 *bytes)
{
	struct pkernfs_digest_ctx d = { .sbi = sbi };
	int ret;

	sha256_init(&d.sha);
	ret = pkernfs_metadata_ranges(sbi, pkernfs_digest_range, &d);
	sha256_final(&d.sha, digest);
	*nr = d.nr;
	*bytes = d.bytes;
	return ret;
}

struct pkernfs_range_cmp {
	const struct pkh_extent *ranges;
	unsigned int nr_ranges;
	unsigned int k;
	char *why;
	size_t size;
};

/* Range @k of the carve-out's metadata against range @k of the handover. */
static int pkernfs_compare_range(void *arg, u64 off, u64 len)
{
	struct pkernfs_range_cmp *c = arg;
	struct pkh_extent e;
	u64 hoff, hlen;

	if (c->k == c->nr_ranges) {
		snprintf(c->why, c->size,
			 "its %u metadata ranges miss metadata of the carve-out at [0x%llx, 0x%llx)",
			 c->nr_ranges, off, off + len);
		return 1;
	}
	memcpy(&e, &c->ranges[c->k], sizeof(e));
	hoff = le64_to_cpu(e.region_offset);
	hlen = le64_to_cpu(e.length);
	if (hoff != off || hlen != len) {
		snprintf(c->why, c->size,
			 "its metadata range %u is [0x%llx, 0x%llx), the carve-out's is [0x%llx, 0x%llx)",
			 c->k, hoff, hoff + hlen, off, off + len);
		return 1;
	}
	c->k++;
	return 0;
}

/* The handover's range @k is past the last of the carve-out's. */
static void pkernfs_extra_range(struct pkernfs_meta_result *res,
				const struct pkh_extent *ranges,
				unsigned int k)
{
	struct pkh_extent e;
	u64 off, len;

	memcpy(&e, &ranges[k], sizeof(e));
	off = le64_to_cpu(e.region_offset);
	len = le64_to_cpu(e.length);
	snprintf(res->why, sizeof(res->why),
		 "its metadata range %u is [0x%llx, 0x%llx), the carve-out's metadata ends before it (%u ranges)",
		 k, off, off + len, k);
}

/**
 * pkernfs_metadata_compare() - a handover's metadata against the carve-out
 * @sbi:       the filesystem, consistent (pkernfs_check_consistent())
 * @ranges:    the handover region's metadata ranges, as in the blob
 *             (little-endian, perhaps unaligned)
 * @nr_ranges: how many
 * @digest:    its metadata-digest, PKH_METADATA_DIGEST_SIZE bytes
 * @res:       set to what was found; res->why empty if they are the same
 *
 * The ranges must be exactly where the metadata lies now, and the SHA-256
 * of their bytes must be @digest: then the files, their sizes and their
 * blocks are those the old kernel froze for the handover.  Work is linear
 * in the bytes of metadata.
 *
 * Return: 0 once compared (same or not), -ENOMEM.
 */
int pkernfs_metadata_compare(struct pkernfs_sb_info *sbi,
			     const struct pkh_extent *ranges,
			     unsigned int nr_ranges, const u8 *digest,
			     struct pkernfs_meta_result *res)
{
	struct pkernfs_range_cmp c = {
		.ranges = ranges,
		.nr_ranges = nr_ranges,
		.why = res->why,
		.size = sizeof(res->why),
	};
	u8 now[SHA256_DIGEST_SIZE];
	int ret;

	res->why[0] = '\0';
	res->nr = 0;
	res->bytes = 0;
	ret = pkernfs_metadata_ranges(sbi, pkernfs_compare_range, &c);
	if (ret < 0)
		return ret;
	if (!ret && c.k != nr_ranges)
		pkernfs_extra_range(res, ranges, c.k);
	if (res->why[0])
		return 0;
	ret = pkernfs_metadata_digest(sbi, now, &res->nr, &res->bytes);
	if (ret)
		return ret;
	if (memcmp(now, digest, sizeof(now)))
		snprintf(res->why, sizeof(res->why),
			 "the digest of its metadata (%u ranges, %llu bytes) differs: the metadata changed after the state was taken",
			 res->nr, res->bytes);
	return 0;
}
