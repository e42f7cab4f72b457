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
 * @ns:      how long the check took
 * @res:     what pkernfs_metadata_compare() found
 */
struct pkernfs_meta_check {
	bool checked;
	u64 ns;
	struct pkernfs_meta_result res;
};

static u64 pkernfs_new_nonce(void)
{
	u64 nonce;

	do {
		nonce = get_random_u64();
	} while (!nonce);
	return nonce;
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
	struct pkernfs_layout l;
	u8 uuid[16];
	int ret;

	generate_random_uuid(uuid);
	ret = pkernfs_format_carveout(sbi, uuid, pkernfs_new_nonce(),
				      ktime_get_real_seconds());
	if (ret) {
		pkernfs_layout(sbi->size >> PKERNFS_BLOCK_SHIFT, &l);
		pr_err("cannot format the carve-out %pa+%pa: its metadata needs %u of its %llu blocks\n",
		       &sbi->base, &sbi->size, l.meta_blocks,
		       (u64)(sbi->size >> PKERNFS_BLOCK_SHIFT));
		return ret;
	}
	pr_info("formatted the carve-out %pa+%pa: %u blocks of 2 MiB for data, %u inodes, uuid %pU\n",
		&sbi->base, &sbi->size, sbi->free_blocks, sbi->nr_inodes,
		sbi->super->uuid);
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
	ktime_t t0 = ktime_get();
	int ret;

	if (pkernfs_boot.state != PKERNFS_UNDECIDED ||
	    hi->status != PKHANDOVER_ACCEPTED || hi->abi_major < 2 ||
	    !hi->has_carveout_region)
		return;
	mc->checked = true;
	ret = pkernfs_metadata_compare(sbi, hi->metadata, hi->nr_metadata,
				       hi->metadata_digest, &mc->res);
	if (ret)
		snprintf(mc->res.why, sizeof(mc->res.why),
			 "cannot compare the metadata of the carve-out: %d",
			 ret);
	mc->ns = ktime_to_ns(ktime_sub(ktime_get(), t0));
}

static int pkernfs_check(struct pkernfs_sb_info *sbi,
			 struct pkernfs_meta_check *mc)
{
	unsigned int unlinked = 0, orphans = 0;
	struct pkernfs_dinode *di;
	unsigned long *seen;
	char why[160];
	u32 i, b;
	int ret;

	ret = pkernfs_check_consistent(sbi, &seen, why, sizeof(why));
	if (ret == -ENOMEM)
		return ret;
	if (ret)
		return pkernfs_refuse(ret, "%s", why);

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
	else if (hi->abi_major != 1 && mc->res.why[0])
		strscpy(why, mc->res.why, size);
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
					mc->res.bytes >> 10,
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
