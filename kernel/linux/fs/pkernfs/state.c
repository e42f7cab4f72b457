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
