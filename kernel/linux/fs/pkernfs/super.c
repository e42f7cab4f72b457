// SPDX-License-Identifier: GPL-2.0-only
/*
 * pkernfs: format, check and mount the filesystem in the carve-out.
 *
 *   mount -t pkernfs -o format none /mnt    create an empty pkernfs
 *   mount -t pkernfs none /mnt              mount the one in the carve-out
 *
 * There is one pkernfs, in the carve-out given with pkernfs=SIZE@ADDR, and
 * it can be mounted once at a time.  Formatting is only ever done when
 * asked for: a carve-out without a valid pkernfs (no superblock, a CRC
 * mismatch, inconsistent inodes or bitmap, another geometry) is refused
 * with one line in the log saying why, and left as it is.
 *
 * DOC: handover policy
 *
 * The superblock records a nonce and the handover generation the kernel
 * that mounted it last adopted.  The first mount of every boot decides,
 * once, what to make of this boot's handover (see kernel/pkhandover/):
 *
 * - adopted: a handover was accepted at boot, one of its regions is this
 *   carve-out with this filesystem's uuid and 2 MiB blocks, its nonce is
 *   the superblock's, its generation is the superblock's plus one, and
 *   - v2: its metadata ranges are exactly where the metadata of this
 *     filesystem lies (pkernfs_metadata_ranges()), the SHA-256 of their
 *     bytes is its metadata-digest, and it lists exactly the files of the
 *     filesystem, with the same names, inode numbers and sizes (their
 *     blocks are in the metadata the digest covers);
 *   - v1: it lists exactly the files of the filesystem, with the same
 *     names, inode numbers, sizes and blocks;
 * - not adopted: a handover was accepted but differs in any of that (a
 *   blob of another boot or an older state, or the metadata or the files
 *   changed after the state was taken): the reason is logged;
 * - stale: no handover came (a firmware reboot, a plain kexec) or it was
 *   rejected at boot: logged as such;
 * - formatted: the mount formatted the carve-out; a handover is discarded.
 *
 * In every case the files are mounted as the metadata in the carve-out
 * describes them: the handover decides what is adopted (today nothing but
 * this check; later the IOMMU state), never what data exists.  The first
 * mount then stores a fresh nonce, and the adopted generation (0 if none),
 * so a blob matches only the boot that built it.
 *
 * The digest is taken once the metadata proved consistent and before the
 * mount writes anything to the carve-out (freeing files removed while
 * open, a fresh nonce): it covers the metadata exactly as the previous
 * kernel left it.
 */

#define pr_fmt(fmt) "pkernfs: " fmt

#include <linux/crc32.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/init.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/pkhandover.h>
#include <linux/pkhandover/abi.h>
#include <linux/random.h>
#include <linux/reboot.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uuid.h>

#include <crypto/sha2.h>

#include "pkernfs.h"

static_assert(SHA256_DIGEST_SIZE == PKH_METADATA_DIGEST_SIZE);
static_assert(sizeof(struct pkernfs_super) <= PKERNFS_SLOT_SIZE);
static_assert(sizeof(struct pkernfs_dinode) <= PKERNFS_SLOT_SIZE);
static_assert(offsetof(struct pkernfs_dinode, extents) ==
	      PKERNFS_DINODE_HEAD);
static_assert(sizeof(struct pkernfs_xblock) == 24);
static_assert(PKERNFS_MAX_FILE_EXTENTS < U32_MAX);
static_assert(PKERNFS_BLOCK_SIZE == PKH_REGION_ALIGN);
static_assert(PKERNFS_MAX_INODES == PKH_MAX_FILES_PER_REGION);
static_assert(PKERNFS_NAME_LEN == PKH_MAX_NAME_LEN);

DEFINE_MUTEX(pkernfs_mount_lock);
struct pkernfs_sb_info *pkernfs_mounted;
struct pkernfs_boot pkernfs_boot;

/**
 * struct pkernfs_meta_check - a v2 handover's metadata against the
 * carve-out's, checked before the mount changes anything
 * @checked: whether it was: the first mount of a boot that accepted a v2
 *           handover with a region for this carve-out
 * @nr:      metadata ranges of the carve-out
 * @bytes:   their bytes
 * @ns:      how long the check took
 * @why:     why they differ; empty if they do not
 */
struct pkernfs_meta_check {
	bool checked;
	unsigned int nr;
	u64 bytes;
	u64 ns;
	char why[192];
};

/* Where the metadata lives for a carve-out of @nr_blocks blocks. */
struct pkernfs_layout {
	u32 nr_inodes;
	u32 bitmap_size;
	u32 meta_blocks;
	u64 inode_table;
	u64 bitmap;
};

static void pkernfs_layout(u32 nr_blocks, struct pkernfs_layout *l)
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

static u64 pkernfs_new_nonce(void)
{
	u64 nonce;

	do {
		nonce = get_random_u64();
	} while (!nonce);
	return nonce;
}

static void pkernfs_map(struct pkernfs_sb_info *sbi,
			const struct pkernfs_layout *l)
{
	void *va = __va(sbi->base);

	sbi->super = va;
	sbi->dinodes = va + l->inode_table;
	sbi->bitmap = va + l->bitmap;
	sbi->nr_blocks = sbi->size >> PKERNFS_BLOCK_SHIFT;
	sbi->meta_blocks = l->meta_blocks;
	sbi->nr_inodes = l->nr_inodes;
}

/*
 * Make each data block one large folio, once per boot (the first mount's
 * struct pages are the boot's reserved order-0 pages; later mounts find
 * them done), so that a fault can map a block with one PMD.  A block any
 * page of which is referenced already is left as pages: it still works,
 * a page at a time.
 */
static void pkernfs_prepare_folios(struct pkernfs_sb_info *sbi)
{
	unsigned int order = PKERNFS_BLOCK_SHIFT - PAGE_SHIFT;
	unsigned long pfn, i;
	struct page *page;
	u32 b, left = 0;

	for (b = sbi->meta_blocks; b < sbi->nr_blocks; b++) {
		pfn = PHYS_PFN(sbi->base +
			       ((phys_addr_t)b << PKERNFS_BLOCK_SHIFT));
		page = pfn_to_page(pfn);
		if (PageHead(page))
			continue;
		for (i = 0; i < (1UL << order); i++)
			if (!PageReserved(page + i) ||
			    page_ref_count(page + i) != 1)
				break;
		if (i < (1UL << order)) {
			left++;
			continue;
		}
		reserved_pages_to_folio(page, order);
	}
	if (left)
		pr_warn("%u blocks in use before the first mount stay 4 KiB pages\n",
			left);
}

/* ------------------------------------------------------------ format */

static int pkernfs_format(struct pkernfs_sb_info *sbi)
{
	u32 nr_blocks = sbi->size >> PKERNFS_BLOCK_SHIFT, b;
	struct pkernfs_layout l;
	struct pkernfs_super *s;

	pkernfs_layout(nr_blocks, &l);
	if (l.meta_blocks >= nr_blocks) {
		pr_err("cannot format the carve-out %pa+%pa: its metadata needs %u of its %u blocks\n",
		       &sbi->base, &sbi->size, l.meta_blocks, nr_blocks);
		return -ENOSPC;
	}
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
	generate_random_uuid(s->uuid);
	s->nonce = cpu_to_le64(pkernfs_new_nonce());
	s->next_ino = cpu_to_le64(PKERNFS_FIRST_INO);
	s->format_time = cpu_to_le64(ktime_get_real_seconds());
	for (b = 0; b < l.meta_blocks; b++)
		__set_bit_le(b, sbi->bitmap);
	sbi->free_blocks = nr_blocks - l.meta_blocks;
	sbi->free_slots = l.nr_inodes;
	pkernfs_update_bitmap(sbi);

	pr_info("formatted the carve-out %pa+%pa: %u blocks of 2 MiB for data, %u inodes, uuid %pU\n",
		&sbi->base, &sbi->size, sbi->free_blocks, l.nr_inodes,
		s->uuid);
	return 0;
}

/* ------------------------------------------------------------ check */

static __printf(2, 3)
int pkernfs_refuse(int err, const char *fmt, ...)
{
	struct va_format vaf;
	va_list ap;

	va_start(ap, fmt);
	vaf.fmt = fmt;
	vaf.va = &ap;
	pr_err("refusing to mount: %pV\n", &vaf);
	va_end(ap);
	return err;
}

static int pkernfs_check_super(struct pkernfs_sb_info *sbi)
{
	struct pkernfs_super *s = __va(sbi->base);
	u32 nr_blocks = sbi->size >> PKERNFS_BLOCK_SHIFT, crc;
	struct pkernfs_layout l;

	if (le32_to_cpu(s->magic) != PKERNFS_MAGIC)
		return pkernfs_refuse(-EINVAL,
				      "no pkernfs in the carve-out %pa+%pa (magic 0x%08x, expected 0x%08x); mount with -o format to create one",
				      &sbi->base, &sbi->size,
				      le32_to_cpu(s->magic), PKERNFS_MAGIC);
	/*
	 * Version 2 only adds extent blocks.  A kernel that knows version 1
	 * alone refuses it with this same check, before it reads or writes
	 * anything else, so it never misses or frees an extent block.
	 */
	if (le32_to_cpu(s->version) != PKERNFS_VERSION &&
	    le32_to_cpu(s->version) != PKERNFS_VERSION_XBLOCK)
		return pkernfs_refuse(-EINVAL,
				      "superblock version %u, this kernel knows %u and %u",
				      le32_to_cpu(s->version), PKERNFS_VERSION,
				      PKERNFS_VERSION_XBLOCK);
	if (le32_to_cpu(s->sb_size) != sizeof(*s))
		return pkernfs_refuse(-EUCLEAN,
				      "superblock size %u, expected %zu",
				      le32_to_cpu(s->sb_size), sizeof(*s));
	crc = pkernfs_crc(s, sizeof(*s), offsetof(struct pkernfs_super, crc));
	if (crc != le32_to_cpu(s->crc))
		return pkernfs_refuse(-EUCLEAN,
				      "superblock CRC mismatch (stored 0x%08x, computed 0x%08x): the metadata is corrupt",
				      le32_to_cpu(s->crc), crc);
	if (le64_to_cpu(s->base) != sbi->base ||
	    le64_to_cpu(s->size) != sbi->size)
		return pkernfs_refuse(-EINVAL,
				      "it was formatted for the carve-out 0x%llx+0x%llx, pkernfs= gives %pa+%pa",
				      le64_to_cpu(s->base), le64_to_cpu(s->size),
				      &sbi->base, &sbi->size);
	pkernfs_layout(nr_blocks, &l);
	if (le32_to_cpu(s->block_size) != PKERNFS_BLOCK_SIZE ||
	    le32_to_cpu(s->nr_blocks) != nr_blocks ||
	    le32_to_cpu(s->meta_blocks) != l.meta_blocks ||
	    le32_to_cpu(s->nr_inodes) != l.nr_inodes ||
	    le64_to_cpu(s->inode_table) != l.inode_table ||
	    le64_to_cpu(s->bitmap) != l.bitmap ||
	    le32_to_cpu(s->bitmap_size) != l.bitmap_size)
		return pkernfs_refuse(-EUCLEAN,
				      "superblock geometry is inconsistent (block size %u, %u blocks, %u inodes)",
				      le32_to_cpu(s->block_size),
				      le32_to_cpu(s->nr_blocks),
				      le32_to_cpu(s->nr_inodes));
	if (!s->nonce || le64_to_cpu(s->next_ino) < PKERNFS_FIRST_INO)
		return pkernfs_refuse(-EUCLEAN,
				      "superblock nonce or next inode number is invalid");
	pkernfs_map(sbi, &l);
	crc = pkernfs_bitmap_crc(sbi);
	if (crc != le32_to_cpu(s->bitmap_crc))
		return pkernfs_refuse(-EUCLEAN,
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

struct pkernfs_range_cmp {
	const struct pkhandover_info *hi;
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

	if (c->k == c->hi->nr_metadata) {
		snprintf(c->why, c->size,
			 "its %u metadata ranges miss metadata of the carve-out at [0x%llx, 0x%llx)",
			 c->hi->nr_metadata, off, off + len);
		return 1;
	}
	memcpy(&e, &c->hi->metadata[c->k], sizeof(e));
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
static void pkernfs_extra_range(struct pkernfs_meta_check *mc,
				const struct pkhandover_info *hi,
				unsigned int k)
{
	struct pkh_extent e;
	u64 off, len;

	memcpy(&e, &hi->metadata[k], sizeof(e));
	off = le64_to_cpu(e.region_offset);
	len = le64_to_cpu(e.length);
	snprintf(mc->why, sizeof(mc->why),
		 "its metadata range %u is [0x%llx, 0x%llx), the carve-out's metadata ends before it (%u ranges)",
		 k, off, off + len, k);
}

/*
 * For the first mount of a boot that accepted a v2 handover for this
 * carve-out: whether the handover's metadata ranges are where the metadata
 * lies, and their SHA-256 its metadata-digest.  Runs on the metadata as
 * the previous kernel left it: after it proved consistent, before the
 * mount changes anything.  pkernfs_mismatch() reports the outcome in its
 * turn.  Caller holds pkernfs_mount_lock and sbi->lock.
 */
static void pkernfs_check_metadata(struct pkernfs_sb_info *sbi,
				   struct pkernfs_meta_check *mc)
{
	const struct pkhandover_info *hi = pkhandover_get_info();
	struct pkernfs_range_cmp c = {
		.hi = hi,
		.why = mc->why,
		.size = sizeof(mc->why),
	};
	u8 digest[SHA256_DIGEST_SIZE];
	ktime_t t0 = ktime_get();
	int ret;

	if (pkernfs_boot.state != PKERNFS_UNDECIDED ||
	    hi->status != PKHANDOVER_ACCEPTED || hi->abi_major < 2 ||
	    !hi->has_carveout_region)
		return;
	mc->checked = true;
	mc->why[0] = '\0';
	ret = pkernfs_metadata_ranges(sbi, pkernfs_compare_range, &c);
	if (ret < 0)
		snprintf(mc->why, sizeof(mc->why),
			 "cannot list the metadata of the carve-out: %d", ret);
	else if (!ret && c.k != hi->nr_metadata)
		pkernfs_extra_range(mc, hi, c.k);
	if (!ret && !mc->why[0]) {
		ret = pkernfs_metadata_digest(sbi, digest, &mc->nr, &mc->bytes);
		if (ret)
			snprintf(mc->why, sizeof(mc->why),
				 "cannot digest the metadata of the carve-out: %d",
				 ret);
		else if (memcmp(digest, hi->metadata_digest, sizeof(digest)))
			snprintf(mc->why, sizeof(mc->why),
				 "the digest of its metadata (%u ranges, %llu bytes) differs: the metadata changed after the state was taken",
				 mc->nr, mc->bytes);
	}
	mc->ns = ktime_to_ns(ktime_sub(ktime_get(), t0));
}

static int pkernfs_check(struct pkernfs_sb_info *sbi,
			 struct pkernfs_meta_check *mc)
{
	struct pkernfs_dinode *di, *other;
	unsigned int unlinked = 0, orphans = 0;
	unsigned long *seen;
	const char *why;
	u32 i, j, b;
	int ret;

	ret = pkernfs_check_super(sbi);
	if (ret)
		return ret;
	for (b = 0; b < sbi->meta_blocks; b++)
		if (!test_bit_le(b, sbi->bitmap))
			return pkernfs_refuse(-EUCLEAN,
					      "metadata block %u is free in the bitmap", b);
	for (b = sbi->nr_blocks; b < le32_to_cpu(sbi->super->bitmap_size) * 8; b++)
		if (test_bit_le(b, sbi->bitmap))
			return pkernfs_refuse(-EUCLEAN,
					      "bitmap marks block %u, past the end", b);

	seen = bitmap_zalloc(sbi->nr_blocks, GFP_KERNEL);
	if (!seen)
		return -ENOMEM;
	for (b = 0; b < sbi->meta_blocks; b++)
		__set_bit(b, seen);
	sbi->nr_xblocks = 0;
	for (i = 0; i < sbi->nr_inodes; i++) {
		di = &sbi->dinodes[i];
		if (!di->ino)
			continue;
		why = pkernfs_check_dinode(sbi, di, seen);
		for (j = 0; !why && j < i; j++) {
			other = &sbi->dinodes[j];
			if (other->ino == di->ino)
				why = "inode number used twice";
			else if (other->ino && !(other->flags | di->flags) &&
				 !strcmp(other->name, di->name))
				why = "name used twice";
		}
		if (why) {
			bitmap_free(seen);
			return pkernfs_refuse(-EUCLEAN,
					      "inode slot %u (inode %llu): %s",
					      i, le64_to_cpu(di->ino), why);
		}
	}

	/* Consistent: the handover's view of it, before anything changes. */
	pkernfs_check_metadata(sbi, mc);

	/*
	 * Free the files that were removed while still open, and blocks
	 * taken for a file that never got them (a kexec between the two
	 * steps of growing a file, an extent block included).
	 */
	for (i = 0; i < sbi->nr_inodes; i++) {
		di = &sbi->dinodes[i];
		if (di->ino &&
		    le32_to_cpu(di->flags) & PKERNFS_DINODE_F_UNLINKED) {
			pkernfs_free_slot(sbi, i);
			unlinked++;
		}
	}
	sbi->free_slots = 0;
	for (i = 0; i < sbi->nr_inodes; i++)
		if (!sbi->dinodes[i].ino)
			sbi->free_slots++;
	sbi->free_blocks = 0;
	for (b = sbi->meta_blocks; b < sbi->nr_blocks; b++) {
		if (test_bit_le(b, sbi->bitmap) && !test_bit(b, seen)) {
			__clear_bit_le(b, sbi->bitmap);
			orphans++;
		}
		if (!test_bit_le(b, sbi->bitmap))
			sbi->free_blocks++;
	}
	bitmap_free(seen);
	if (unlinked || orphans) {
		pkernfs_update_bitmap(sbi);
		pr_info("freed %u files removed while open and %u blocks owned by no file\n",
			unlinked, orphans);
	}
	/*
	 * Version 2 with no extent block left (the last one went with a
	 * file freed just now): version 1 again, which any kernel mounts.
	 */
	if (!sbi->nr_xblocks &&
	    le32_to_cpu(sbi->super->version) != PKERNFS_VERSION) {
		sbi->super->version = cpu_to_le32(PKERNFS_VERSION);
		pkernfs_update_super(sbi);
	}
	return 0;
}

/* ------------------------------------------------------------ handover */

struct pkernfs_compare {
	struct pkhandover_file_walk walk;
	struct pkernfs_sb_info *sbi;
	unsigned int files;
	char *why;
	size_t why_size;
};

/* Whether the blocks of @di are exactly those of @f, in the same order. */
static bool pkernfs_same_blocks(struct pkernfs_sb_info *sbi,
				struct pkernfs_dinode *di,
				const struct pkhandover_file *f)
{
	u32 n = le32_to_cpu(di->nr_extents), i = 0, used = 0;
	struct pkernfs_dextent *de;
	struct pkh_extent e;
	u64 block, count, take, avail;
	unsigned int k;

	for (k = 0; k < f->nr_extents; k++) {
		memcpy(&e, &f->extents[k], sizeof(e));
		block = le64_to_cpu(e.region_offset) >> PKERNFS_BLOCK_SHIFT;
		count = le64_to_cpu(e.length) >> PKERNFS_BLOCK_SHIFT;
		while (count) {
			if (i == n)
				return false;
			de = pkernfs_extent(sbi, di, i);
			if (le32_to_cpu(de->start) + used != block)
				return false;
			avail = le32_to_cpu(de->count) - used;
			take = min(avail, count);
			block += take;
			count -= take;
			used += take;
			if (used == le32_to_cpu(de->count)) {
				i++;
				used = 0;
			}
		}
	}
	return i == n;
}

static int pkernfs_compare_file(struct pkhandover_file_walk *walk,
				const struct pkhandover_file *f)
{
	struct pkernfs_compare *c = container_of(walk, struct pkernfs_compare,
						 walk);
	struct pkernfs_sb_info *sbi = c->sbi;
	struct pkernfs_dinode *di = NULL;
	u32 i;

	for (i = 0; i < sbi->nr_inodes; i++) {
		if (le64_to_cpu(sbi->dinodes[i].ino) == f->inode &&
		    !sbi->dinodes[i].flags) {
			di = &sbi->dinodes[i];
			break;
		}
	}
	if (!di)
		snprintf(c->why, c->why_size,
			 "file \"%s\" (inode %llu) of the handover is not in the filesystem",
			 f->name, f->inode);
	else if (strcmp(di->name, f->name))
		snprintf(c->why, c->why_size,
			 "inode %llu is \"%s\" in the filesystem, \"%s\" in the handover",
			 f->inode, di->name, f->name);
	else if (le64_to_cpu(di->size) != f->size)
		snprintf(c->why, c->why_size,
			 "file \"%s\" has %llu bytes, %llu in the handover",
			 f->name, le64_to_cpu(di->size), f->size);
	else if (pkhandover_get_info()->abi_major == 1 &&
		 !pkernfs_same_blocks(sbi, di, f))
		snprintf(c->why, c->why_size,
			 "file \"%s\" has other blocks than in the handover",
			 f->name);
	else
		c->files++;
	return c->why[0] ? 1 : 0;
}

/*
 * Why this boot's accepted handover does not match @sbi, or NULL; @mc is
 * what pkernfs_check_metadata() found of a v2 handover's metadata.
 */
static const char *pkernfs_mismatch(struct pkernfs_sb_info *sbi,
				    const struct pkhandover_info *hi,
				    const struct pkernfs_meta_check *mc,
				    char *why, size_t size)
{
	struct pkernfs_super *s = sbi->super;
	struct pkernfs_compare c = {
		.walk.file = pkernfs_compare_file,
		.sbi = sbi,
		.why = why,
		.why_size = size,
	};
	unsigned int files = 0;
	int ret;
	u32 i;

	why[0] = '\0';
	if (!hi->has_carveout_region)
		return "it has no region for this carve-out";
	if (hi->block_size != PKERNFS_BLOCK_SIZE)
		snprintf(why, size, "its block size is %u, pkernfs uses 2 MiB",
			 hi->block_size);
	else if (memcmp(hi->fs_uuid, s->uuid, sizeof(s->uuid)))
		snprintf(why, size, "its fs-uuid is %pU, this pkernfs is %pU",
			 hi->fs_uuid, s->uuid);
	else if (hi->nonce != le64_to_cpu(s->nonce))
		snprintf(why, size,
			 "its nonce is 0x%016llx, the superblock's 0x%016llx: it describes another boot's state",
			 hi->nonce, le64_to_cpu(s->nonce));
	else if (hi->generation != le64_to_cpu(s->generation) + 1)
		snprintf(why, size,
			 "its generation is %llu, the superblock expects %llu",
			 hi->generation, le64_to_cpu(s->generation) + 1);
	else if (hi->abi_major != 1 && !mc->checked)
		strscpy(why, "its metadata was not checked", size);
	else if (hi->abi_major != 1 && mc->why[0])
		strscpy(why, mc->why, size);
	if (why[0])
		return why;

	ret = pkhandover_walk_files(&c.walk);
	if (ret < 0)
		snprintf(why, size, "cannot walk its files: %d", ret);
	if (why[0])
		return why;
	for (i = 0; i < sbi->nr_inodes; i++)
		if (sbi->dinodes[i].ino && !sbi->dinodes[i].flags)
			files++;
	if (files != c.files) {
		snprintf(why, size,
			 "the filesystem has %u files, the handover %u",
			 files, c.files);
		return why;
	}
	return NULL;
}

/*
 * The first mount of a boot decides about this boot's handover, logs it,
 * and stores a fresh nonce and the adopted generation.  Caller holds
 * sbi->lock.
 */
static void pkernfs_decide(struct pkernfs_sb_info *sbi, bool formatted,
			   const struct pkernfs_meta_check *mc)
{
	const struct pkhandover_info *hi = pkhandover_get_info();
	struct pkernfs_super *s = sbi->super;
	u64 last = le64_to_cpu(s->generation);
	const char *why;

	if (pkernfs_boot.state != PKERNFS_UNDECIDED)
		return;
	pkernfs_boot.generation = 0;
	if (formatted) {
		pkernfs_boot.state = PKERNFS_FORMATTED;
		if (hi->status == PKHANDOVER_ACCEPTED) {
			snprintf(pkernfs_boot.why, sizeof(pkernfs_boot.why),
				 "formatted: the handover of generation %llu is discarded",
				 hi->generation);
			pr_warn("%s\n", pkernfs_boot.why);
		} else {
			strscpy(pkernfs_boot.why, "formatted");
		}
	} else if (hi->status == PKHANDOVER_NONE) {
		pkernfs_boot.state = PKERNFS_STALE;
		strscpy(pkernfs_boot.why,
			"no handover this boot (firmware reboot or plain kexec)");
	} else if (hi->status == PKHANDOVER_REJECTED) {
		pkernfs_boot.state = PKERNFS_STALE;
		snprintf(pkernfs_boot.why, sizeof(pkernfs_boot.why),
			 "the handover was rejected at boot (%s)",
			 pkhandover_error_name(hi->error));
	} else {
		why = pkernfs_mismatch(sbi, hi, mc, pkernfs_boot.why,
				       sizeof(pkernfs_boot.why));
		if (why) {
			if (why != pkernfs_boot.why)
				strscpy(pkernfs_boot.why, why);
			pkernfs_boot.state = PKERNFS_NOT_ADOPTED;
			pr_warn("handover generation %llu not adopted: %s; the files are mounted as the carve-out describes them\n",
				hi->generation, pkernfs_boot.why);
		} else {
			pkernfs_boot.state = PKERNFS_ADOPTED;
			pkernfs_boot.generation = hi->generation;
			snprintf(pkernfs_boot.why, sizeof(pkernfs_boot.why),
				 "generation %llu", hi->generation);
			if (mc->checked)
				pr_info("adopted handover generation %llu: %u files, nonce 0x%016llx, metadata %llu KiB checked in %llu us\n",
					hi->generation, hi->nr_files, hi->nonce,
					mc->bytes >> 10,
					mc->ns / NSEC_PER_USEC);
			else
				pr_info("adopted handover generation %llu: %u files, nonce 0x%016llx\n",
					hi->generation, hi->nr_files,
					hi->nonce);
		}
	}
	if (pkernfs_boot.state == PKERNFS_STALE)
		pr_warn("the state in the carve-out is stale: %s; its files (last adopted generation %llu) are mounted as the carve-out describes them\n",
			pkernfs_boot.why, last);

	s->generation = cpu_to_le64(pkernfs_boot.generation);
	s->nonce = cpu_to_le64(pkernfs_new_nonce());
	pkernfs_update_super(sbi);
}

/* ------------------------------------------------------------ mount */

struct pkernfs_fs_context {
	bool format;
};

enum { Opt_format };

static const struct fs_parameter_spec pkernfs_fs_parameters[] = {
	fsparam_flag("format", Opt_format),
	{}
};

static int pkernfs_parse_param(struct fs_context *fc,
			       struct fs_parameter *param)
{
	struct pkernfs_fs_context *ctx = fc->fs_private;
	struct fs_parse_result result;
	int opt;

	opt = fs_parse(fc, pkernfs_fs_parameters, param, &result);
	if (opt < 0)
		return opt;
	if (opt == Opt_format)
		ctx->format = true;
	return 0;
}

/* Gives every file of the inode table a dentry in the root. */
static int pkernfs_populate(struct super_block *sb)
{
	struct pkernfs_sb_info *sbi = PKERNFS_SB(sb);
	struct dentry *dentry;
	struct inode *inode;
	u32 i;

	for (i = 0; i < sbi->nr_inodes; i++) {
		if (!sbi->dinodes[i].ino)
			continue;
		inode = pkernfs_iget(sb, i);
		if (!inode)
			return -ENOMEM;
		dentry = d_alloc_name(sb->s_root, sbi->dinodes[i].name);
		if (!dentry) {
			iput(inode);
			return -ENOMEM;
		}
		/* The reference d_alloc_name() returned keeps it in core. */
		d_add(dentry, inode);
	}
	return 0;
}

static int pkernfs_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct pkernfs_fs_context *ctx = fc->fs_private;
	struct pkernfs_meta_check *mc;
	struct pkernfs_sb_info *sbi;
	phys_addr_t base, size;
	struct inode *root;
	int ret;

	mutex_lock(&pkernfs_mount_lock);
	if (pkernfs_mounted) {
		ret = pkernfs_refuse(-EBUSY, "pkernfs is already mounted");
		goto out;
	}
	if (!pkernfs_carveout_usable(&base, &size)) {
		ret = pkernfs_refuse(-ENODEV,
				     "no usable carve-out: boot with pkernfs=SIZE@ADDR (see the boot log)");
		goto out;
	}
	sbi = kzalloc(sizeof(*sbi), GFP_KERNEL);
	if (!sbi) {
		ret = -ENOMEM;
		goto out;
	}
	sbi->base = base;
	sbi->size = size;
	sbi->sb = sb;
	mutex_init(&sbi->lock);
	sb->s_fs_info = sbi;

	mc = kzalloc(sizeof(*mc), GFP_KERNEL);
	if (!mc) {
		ret = -ENOMEM;
		goto out;
	}
	mutex_lock(&sbi->lock);
	ret = ctx->format ? pkernfs_format(sbi) : pkernfs_check(sbi, mc);
	if (!ret) {
		pkernfs_decide(sbi, ctx->format, mc);
		pkernfs_prepare_folios(sbi);
	}
	mutex_unlock(&sbi->lock);
	kfree(mc);
	if (ret)
		goto out;

	sb->s_magic = PKERNFS_MAGIC;
	sb->s_op = &pkernfs_super_operations;
	sb->s_blocksize = PAGE_SIZE;
	sb->s_blocksize_bits = PAGE_SHIFT;
	sb->s_maxbytes = (loff_t)(sbi->nr_blocks - sbi->meta_blocks) <<
			 PKERNFS_BLOCK_SHIFT;
	sb->s_time_gran = 1;

	root = new_inode(sb);
	if (!root) {
		ret = -ENOMEM;
		goto out;
	}
	root->i_ino = PKERNFS_ROOT_INO;
	root->i_mode = S_IFDIR | 0755;
	root->i_op = &pkernfs_dir_inode_operations;
	root->i_fop = &simple_dir_operations;
	set_nlink(root, 2);
	simple_inode_init_ts(root);
	sb->s_root = d_make_root(root);
	if (!sb->s_root) {
		ret = -ENOMEM;
		goto out;
	}
	ret = pkernfs_populate(sb);
	if (ret)
		goto out;
	pkernfs_mounted = sbi;
	pr_info("mounted %pa+%pa: %u files, %u of %u data blocks free, handover %s\n",
		&sbi->base, &sbi->size, sbi->nr_inodes - sbi->free_slots,
		sbi->free_blocks, sbi->nr_blocks - sbi->meta_blocks,
		pkernfs_boot.state == PKERNFS_ADOPTED ? "adopted" :
		pkernfs_boot.state == PKERNFS_FORMATTED ? "none (formatted)" :
		pkernfs_boot.state == PKERNFS_NOT_ADOPTED ? "not adopted" :
		"none (stale)");
out:
	mutex_unlock(&pkernfs_mount_lock);
	return ret;
}

static int pkernfs_get_tree(struct fs_context *fc)
{
	return get_tree_nodev(fc, pkernfs_fill_super);
}

static int pkernfs_reconfigure(struct fs_context *fc)
{
	struct pkernfs_fs_context *ctx = fc->fs_private;

	if (ctx->format)
		return invalfc(fc, "format needs a fresh mount, not a remount");
	return 0;
}

static void pkernfs_free_fc(struct fs_context *fc)
{
	kfree(fc->fs_private);
}

static const struct fs_context_operations pkernfs_context_ops = {
	.free		= pkernfs_free_fc,
	.parse_param	= pkernfs_parse_param,
	.get_tree	= pkernfs_get_tree,
	.reconfigure	= pkernfs_reconfigure,
};

static int pkernfs_init_fs_context(struct fs_context *fc)
{
	fc->fs_private = kzalloc(sizeof(struct pkernfs_fs_context),
				 GFP_KERNEL);
	if (!fc->fs_private)
		return -ENOMEM;
	fc->ops = &pkernfs_context_ops;
	return 0;
}

static void pkernfs_kill_sb(struct super_block *sb)
{
	struct pkernfs_sb_info *sbi = PKERNFS_SB(sb);

	mutex_lock(&pkernfs_mount_lock);
	if (pkernfs_mounted == sbi)
		pkernfs_mounted = NULL;
	mutex_unlock(&pkernfs_mount_lock);
	kill_litter_super(sb);
	kfree(sbi);
}

static struct file_system_type pkernfs_fs_type = {
	.owner			= THIS_MODULE,
	.name			= "pkernfs",
	.init_fs_context	= pkernfs_init_fs_context,
	.parameters		= pkernfs_fs_parameters,
	.kill_sb		= pkernfs_kill_sb,
};

/* ------------------------------------------------------------ reboot */

/*
 * On reboot and kexec: wait for the metadata change in progress and let
 * no other start, so that the next kernel never finds one half done.  The
 * locks are never released; the system is going down.
 */
static int pkernfs_reboot(struct notifier_block *nb, unsigned long action,
			  void *data)
{
	mutex_lock(&pkernfs_mount_lock);
	if (pkernfs_mounted)
		mutex_lock(&pkernfs_mounted->lock);
	return NOTIFY_DONE;
}

static struct notifier_block pkernfs_reboot_nb = {
	.notifier_call = pkernfs_reboot,
};

/* ------------------------------------------------------------ debugfs */

/*
 * /sys/kernel/debug/pkernfs/metadata: the raw metadata area of the
 * carve-out (superblock, inode table, bitmap), for tests and recovery
 * tools.  Root only; writable only while pkernfs is not mounted.
 */
static size_t pkernfs_metadata_size(phys_addr_t size)
{
	struct pkernfs_layout l;

	pkernfs_layout(size >> PKERNFS_BLOCK_SHIFT, &l);
	return min_t(u64, size, l.bitmap + l.bitmap_size);
}

static ssize_t pkernfs_metadata_read(struct file *file, char __user *buf,
				     size_t count, loff_t *ppos)
{
	phys_addr_t base, size;

	if (!pkernfs_carveout_usable(&base, &size))
		return -ENODEV;
	return simple_read_from_buffer(buf, count, ppos, __va(base),
				       pkernfs_metadata_size(size));
}

static ssize_t pkernfs_metadata_write(struct file *file,
				      const char __user *buf, size_t count,
				      loff_t *ppos)
{
	phys_addr_t base, size;
	ssize_t ret;

	if (!pkernfs_carveout_usable(&base, &size))
		return -ENODEV;
	mutex_lock(&pkernfs_mount_lock);
	if (pkernfs_mounted)
		ret = -EBUSY;
	else
		ret = simple_write_to_buffer(__va(base),
					     pkernfs_metadata_size(size),
					     ppos, buf, count);
	mutex_unlock(&pkernfs_mount_lock);
	return ret;
}

static const struct file_operations pkernfs_metadata_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= pkernfs_metadata_read,
	.write	= pkernfs_metadata_write,
	.llseek	= default_llseek,
};

static int __init pkernfs_init(void)
{
	phys_addr_t base, size;
	struct dentry *dir;
	int ret;

	ret = pkernfs_init_inodecache();
	if (ret)
		return ret;
	ret = register_filesystem(&pkernfs_fs_type);
	if (ret)
		return ret;
	register_reboot_notifier(&pkernfs_reboot_nb);
	if (pkernfs_carveout_usable(&base, &size)) {
		dir = debugfs_create_dir("pkernfs", NULL);
		debugfs_create_file("metadata", 0600, dir, NULL,
				    &pkernfs_metadata_fops);
	}
	return 0;
}
fs_initcall(pkernfs_init);
