// SPDX-License-Identifier: GPL-2.0-only
/*
 * The state pkernfs hands over, as the JSON spec of handover ABI v2 that
 * libpkhandover's parse_spec() and "pkhandover build" read:
 *
 *   {
 *     "abi_major": 2,
 *     "abi_minor": 0,
 *     "generation": 2,
 *     "nonce": "0x1f0e...",
 *     "creator": "Linux 6.12.95 pkernfs",
 *     "regions": [
 *       {
 *         "base": "0x20000000",
 *         "size": "0x10000000",
 *         "block_size": "0x200000",
 *         "fs_uuid": "5f0c3a61-8e2b-4d17-9a40-6bd21173c805",
 *         "flags": ["guest-ram"],
 *         "metadata": [["0x0", "0x3000"], ["0x81000", "0x1000"]],
 *         "metadata_digest": "9f86d081884c7d65...",
 *         "files": [
 *           { "name": "vm0-ram", "inode": 2, "size": "0x4000000" }
 *         ]
 *       }
 *     ]
 *   }
 *
 * One region, the carve-out; its files in ascending inode order, with no
 * blocks: where a file's blocks are is in the carve-out's metadata, which
 * the next kernel checks instead.  "metadata" lists where that metadata
 * lies, as [region offset, length] in bytes (pkernfs_metadata_ranges()),
 * and "metadata_digest" is the SHA-256 of those bytes, in order, taken in
 * the same snapshot as the files.  Anything that changes the metadata after
 * this read (a new file, a write that grows one, a chmod) changes the
 * digest, and the next kernel then adopts nothing.  FIEMAP on a file gives
 * its blocks to userspace.
 *
 * The generation is the one adopted this boot plus one (1 if none was),
 * the nonce the one this boot stored in the superblock.  While the IOMMU
 * driver holds frozen tables (in one of these files), the region is also
 * flagged "iommu-tables" and the driver adds the "iommu" and "devices"
 * members.
 */

#include <crypto/sha2.h>
#include <linux/pkhandover.h>
#include <linux/pkhandover/abi.h>
#include <linux/seq_file.h>
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

/* A JSON string of printable ASCII: only '"' and '\' need escaping. */
static void pkernfs_json_string(struct seq_file *m, const char *s)
{
	seq_putc(m, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			seq_putc(m, '\\');
		if (*s >= 0x20 && *s <= 0x7e)
			seq_putc(m, *s);
	}
	seq_putc(m, '"');
}

static void pkernfs_state_files(struct seq_file *m,
				struct pkernfs_sb_info *sbi,
				const struct pkernfs_state_file *files,
				unsigned int nr)
{
	struct pkernfs_dinode *di;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		di = &sbi->dinodes[files[i].slot];
		seq_puts(m, i ? ",\n" : "\n");
		seq_puts(m, "        { \"name\": ");
		pkernfs_json_string(m, di->name);
		seq_printf(m, ", \"inode\": %llu, \"size\": \"0x%llx\" }",
			   le64_to_cpu(di->ino), le64_to_cpu(di->size));
	}
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
					struct_size_t(struct pkernfs_xblock,
						      extents,
						      (u32)xblocks[i]));
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

static int pkernfs_print_range(void *arg, u64 off, u64 len)
{
	struct seq_file *m = arg;

	/* The superblock's range always comes first, at 0. */
	seq_printf(m, "%s[\"0x%llx\", \"0x%llx\"]", off ? ", " : "", off,
		   len);
	return 0;
}

/**
 * pkernfs_state_show() - print the state to hand over
 * @m: where to print it
 *
 * Prints the JSON spec described at the top of this file, a consistent
 * snapshot taken under the metadata lock: the files, where the metadata
 * lies and its digest.
 *
 * Return: 0, -ENODEV if pkernfs is not mounted, or -ENOMEM.
 */
int pkernfs_state_show(struct seq_file *m)
{
	char creator[PKH_MAX_CREATOR_LEN + 1];
	u8 digest[SHA256_DIGEST_SIZE];
	struct pkernfs_state_file *files;
	struct pkernfs_sb_info *sbi;
	struct pkernfs_super *s;
	unsigned int nr = 0, nr_ranges;
	int ret = 0;
	u64 bytes;
	u32 i;

	mutex_lock(&pkernfs_mount_lock);
	sbi = pkernfs_mounted;
	if (!sbi) {
		ret = -ENODEV;
		goto out;
	}
	files = kvmalloc_array(sbi->nr_inodes, sizeof(*files), GFP_KERNEL);
	if (!files) {
		ret = -ENOMEM;
		goto out;
	}
	mutex_lock(&sbi->lock);
	s = sbi->super;
	for (i = 0; i < sbi->nr_inodes; i++) {
		if (!sbi->dinodes[i].ino ||
		    (le32_to_cpu(sbi->dinodes[i].flags) &
		     PKERNFS_DINODE_F_UNLINKED))
			continue;
		files[nr].ino = le64_to_cpu(sbi->dinodes[i].ino);
		files[nr++].slot = i;
	}
	sort(files, nr, sizeof(*files), pkernfs_cmp_ino, NULL);

	seq_puts(m, "{\n");
	seq_printf(m, "  \"abi_major\": %u,\n", PKH_ABI_MAJOR);
	seq_printf(m, "  \"abi_minor\": %u,\n", PKH_ABI_MINOR);
	seq_printf(m, "  \"generation\": %llu,\n",
		   le64_to_cpu(s->generation) + 1);
	seq_printf(m, "  \"nonce\": \"0x%016llx\",\n", le64_to_cpu(s->nonce));
	/* At most PKH_MAX_CREATOR_LEN bytes: the buffer cuts it there. */
	snprintf(creator, sizeof(creator), "Linux %s pkernfs",
		 init_utsname()->release);
	seq_puts(m, "  \"creator\": ");
	pkernfs_json_string(m, creator);
	seq_puts(m, ",\n");
	seq_puts(m, "  \"regions\": [\n    {\n");
	seq_printf(m, "      \"base\": \"0x%llx\",\n", (u64)sbi->base);
	seq_printf(m, "      \"size\": \"0x%llx\",\n", (u64)sbi->size);
	seq_printf(m, "      \"block_size\": \"0x%x\",\n", PKERNFS_BLOCK_SIZE);
	seq_printf(m, "      \"fs_uuid\": \"%pU\",\n", s->uuid);
	seq_printf(m, "      \"flags\": [\"guest-ram\"%s],\n",
		   pkhandover_iommu_has_tables() ? ", \"iommu-tables\"" : "");
	seq_puts(m, "      \"metadata\": [");
	ret = pkernfs_metadata_ranges(sbi, pkernfs_print_range, m);
	if (!ret)
		ret = pkernfs_metadata_digest(sbi, digest, &nr_ranges, &bytes);
	if (ret) {
		mutex_unlock(&sbi->lock);
		kvfree(files);
		goto out;
	}
	seq_puts(m, "],\n");
	seq_printf(m, "      \"metadata_digest\": \"%*phN\",\n",
		   (int)sizeof(digest), digest);
	seq_puts(m, "      \"files\": [");
	pkernfs_state_files(m, sbi, files, nr);
	seq_puts(m, nr ? "\n      ]\n" : "]\n");
	seq_puts(m, "    }\n  ]");
	mutex_unlock(&sbi->lock);
	kvfree(files);
	mutex_unlock(&pkernfs_mount_lock);
	/*
	 * The IOMMU driver takes its own lock, and takes pkernfs's when it
	 * freezes: print its part outside ours.  Its tables live in a file
	 * it keeps from changing, so the snapshot stays consistent.
	 */
	ret = pkhandover_iommu_state_show(m, 0);
	seq_puts(m, "\n}\n");
	return ret;
out:
	mutex_unlock(&pkernfs_mount_lock);
	return ret;
}

/**
 * pkernfs_table_file() - where a pkernfs file lies, to hold IOMMU tables
 * @name:  the file's name in the mounted pkernfs
 * @start: set to its first byte's physical address
 * @size:  set to its size, whole blocks
 *
 * The file must be one run of blocks and open for writing by nobody; the
 * caller then records it with pkhandover_frozen_add(), after which pkernfs
 * refuses to open it for writing, resize it or remove it.
 *
 * Return: 0, -ENODEV if pkernfs is not mounted, -ENOENT if there is no such
 * file, -EINVAL if it is empty or not one run of blocks, -ETXTBSY if it is
 * open for writing.
 */
int pkernfs_table_file(const char *name, phys_addr_t *start, u64 *size)
{
	struct pkernfs_sb_info *sbi;
	struct pkernfs_dinode *di;
	struct pkernfs_dextent *e;
	struct inode *inode;
	int ret = -ENOENT;
	u32 i;

	mutex_lock(&pkernfs_mount_lock);
	sbi = pkernfs_mounted;
	if (!sbi) {
		ret = -ENODEV;
		goto out;
	}
	mutex_lock(&sbi->lock);
	for (i = 0; i < sbi->nr_inodes; i++) {
		di = &sbi->dinodes[i];
		if (!di->ino || le32_to_cpu(di->flags) ||
		    strcmp(di->name, name))
			continue;
		if (le32_to_cpu(di->nr_extents) != 1) {
			ret = -EINVAL;
			break;
		}
		e = pkernfs_extent(sbi, di, 0);
		*start = sbi->base + ((phys_addr_t)le32_to_cpu(e->start) <<
				      PKERNFS_BLOCK_SHIFT);
		*size = (u64)le32_to_cpu(e->count) << PKERNFS_BLOCK_SHIFT;
		ret = 0;
		/* pkernfs inodes are not hashed: look through the list. */
		spin_lock(&sbi->sb->s_inode_list_lock);
		list_for_each_entry(inode, &sbi->sb->s_inodes, i_sb_list)
			if (inode->i_ino == le64_to_cpu(di->ino) &&
			    atomic_read(&inode->i_writecount) > 0)
				ret = -ETXTBSY;
		spin_unlock(&sbi->sb->s_inode_list_lock);
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
