// SPDX-License-Identifier: GPL-2.0-only
/*
 * pkernfs's metadata code (kernel/linux/fs/pkernfs/meta.c), built in
 * userspace: the consistency check a mount makes before it trusts the
 * carve-out, and the v2 handover's metadata ranges and digest, on good
 * carve-outs and on hostile ones.  Each case asserts the exact outcome:
 * the errno and the reason the kernel would log.  Built plain and under
 * ASan+UBSan.  Prints one "ok"/"not ok" line per case; exits 1 if any
 * failed.
 */
#include <stdio.h>

#include "image.h"

#define BASE 0x20000000ull
#define MiB (1ull << 20)

static unsigned int failures, cases;

static void expect(bool ok, const char *what, const char *detail)
{
	cases++;
	if (ok) {
		printf("ok %u - %s\n", cases, what);
		return;
	}
	failures++;
	printf("not ok %u - %s: %s\n", cases, what, detail);
}

/* The consistency check gives @err and, if @err, a reason containing @why. */
static void expect_check(struct pkernfs_image *img, int err, const char *why, const char *what)
{
	unsigned long *seen = NULL;
	char reason[160] = "", detail[256];
	int ret;

	ret = pkernfs_check_consistent(&img->sbi, &seen, reason, sizeof(reason));
	bitmap_free(seen);
	snprintf(detail, sizeof(detail), "returned %d (\"%s\"), expected %d (\"%s\")", ret, reason, err,
		 why ? why : "");
	expect(ret == err && (!why || strstr(reason, why)), what, detail);
}

/* The handover's metadata against the image: @why empty means "same". */
static void expect_compare(struct pkernfs_image *img, const struct pkh_extent *ranges, unsigned int nr,
			   const u8 *digest, const char *why, const char *what)
{
	struct pkernfs_meta_result res;
	char detail[320];
	int ret;

	ret = pkernfs_metadata_compare(&img->sbi, ranges, nr, digest, &res);
	snprintf(detail, sizeof(detail), "returned %d, \"%s\"; expected \"%s\"", ret, res.why, why);
	expect(!ret && (*why ? strstr(res.why, why) != NULL : !res.why[0]), what, detail);
}

/* A fresh 64 MiB carve-out with three files of 4 blocks in runs of one. */
static void small_image(struct pkernfs_image *img)
{
	if (pkernfs_image_create(img, BASE, 64 * MiB) || pkernfs_image_fill(img, 3, 1, 4, "vm")) {
		fprintf(stderr, "cannot build the 64 MiB image\n");
		exit(2);
	}
}

static void test_good(void)
{
	struct pkernfs_image img;
	struct pkh_extent *ranges;
	unsigned int nr;
	u8 digest[32];

	small_image(&img);
	expect_check(&img, 0, NULL, "a freshly filled carve-out is consistent");
	expect(le32_to_cpu(img.sbi.dinodes[0].nr_extents) == 4, "round robin in runs of one: 4 extents a file",
	       "nr_extents differs");
	if (pkernfs_image_handover(&img, &ranges, &nr, digest)) {
		expect(false, "its metadata ranges and digest", "cannot list them");
		pkernfs_image_destroy(&img);
		return;
	}
	/* Superblock and 3 slots are one range, the bitmap another. */
	expect(nr == 2 && le64_to_cpu(ranges[0].region_offset) == 0 && le64_to_cpu(ranges[0].length) == 0x4000 &&
		       le64_to_cpu(ranges[1].region_offset) == img.sbi.super->bitmap,
	       "ranges: superblock with the slots in use, then the bitmap", "other ranges");
	expect_compare(&img, ranges, nr, digest, "", "the same handover matches");

	/* A chmod after the state was taken: consistent, but not adopted. */
	img.sbi.dinodes[1].mode = cpu_to_le32(S_IFREG | 0644);
	pkernfs_update_dinode(&img.sbi.dinodes[1]);
	expect_check(&img, 0, NULL, "after a chmod the carve-out is still consistent");
	expect_compare(&img, ranges, nr, digest,
		       "the digest of its metadata (2 ranges, 20480 bytes) differs: the metadata changed after the state was taken",
		       "after a chmod the digest differs");
	free(ranges);
	pkernfs_image_destroy(&img);
}

static void test_ranges_differ(void)
{
	struct pkernfs_image img;
	struct pkh_extent *ranges, moved[3];
	unsigned int nr;
	u8 digest[32];

	small_image(&img);
	if (pkernfs_image_handover(&img, &ranges, &nr, digest)) {
		expect(false, "the 64 MiB image's metadata ranges", "cannot list them");
		pkernfs_image_destroy(&img);
		return;
	}
	expect_compare(&img, ranges, 1, digest, "its 1 metadata ranges miss metadata of the carve-out at",
		       "a handover without the bitmap's range");
	memcpy(moved, ranges, 2 * sizeof(*ranges));
	moved[2].region_offset = cpu_to_le64(0x300000);
	moved[2].length = cpu_to_le64(0x1000);
	expect_compare(&img, moved, 3, digest, "its metadata range 2 is [0x300000, 0x301000), the carve-out's metadata ends before it",
		       "a handover with a range past the metadata");
	moved[1].region_offset = cpu_to_le64(le64_to_cpu(moved[1].region_offset) + 0x1000);
	expect_compare(&img, moved, 2, digest, "its metadata range 1 is", "a handover with the bitmap moved");

	/* A new file after the state was taken: one more slot in use. */
	expect(!pkernfs_image_fill(&img, 1, 1, 1, "late"), "a file added later", "cannot add it");
	expect_check(&img, 0, NULL, "a file added later leaves it consistent");
	expect_compare(&img, ranges, nr, digest, "its metadata range 0 is [0x0, 0x4000), the carve-out's is [0x0, 0x5000)",
		       "a file added after the state was taken moves the ranges");
	free(ranges);
	pkernfs_image_destroy(&img);
}

static void test_extent_block(void)
{
	struct pkernfs_image img;
	struct pkernfs_dinode *big;
	struct pkernfs_xblock *xb;
	struct pkh_extent *ranges;
	unsigned int nr;
	u8 digest[32];
	u32 xblock;

	/* 4 GiB of 2 MiB blocks, two files in runs of one: ~1000 extents each. */
	if (pkernfs_image_create(&img, BASE, 4096 * MiB) || pkernfs_image_fill(&img, 2, 1, 0, "big")) {
		expect(false, "a 4 GiB carve-out of two fragmented files", "cannot build it");
		return;
	}
	big = pkernfs_image_find(&img, "big0");
	expect(big && le32_to_cpu(big->nr_extents) > PKERNFS_MAX_EXTENTS && big->xblock,
	       "a fragmented file has an extent block", "it has none");
	expect_check(&img, 0, NULL, "a carve-out with extent blocks is consistent");
	expect(img.sbi.nr_xblocks == 2 && le32_to_cpu(img.sbi.super->version) == PKERNFS_VERSION_XBLOCK,
	       "two extent blocks, superblock version 2", "other counts");
	if (pkernfs_image_handover(&img, &ranges, &nr, digest)) {
		expect(false, "the 4 GiB image's metadata ranges", "cannot list them");
		pkernfs_image_destroy(&img);
		return;
	}
	/* Superblock with slots, bitmap, and the used part of each extent block. */
	expect(nr == 4 && le64_to_cpu(ranges[2].region_offset) == (u64)le32_to_cpu(big->xblock) << PKERNFS_BLOCK_SHIFT &&
		       le64_to_cpu(ranges[2].length) ==
			       round_up(pkernfs_xblock_bytes(le32_to_cpu(big->nr_extents) - PKERNFS_MAX_EXTENTS),
					(size_t)PKH_PAGE_SIZE),
	       "the used part of each extent block is a metadata range", "other ranges");
	expect_compare(&img, ranges, nr, digest, "", "its handover matches");

	xblock = le32_to_cpu(big->xblock);
	xb = pkernfs_block_addr(&img.sbi, xblock);
	/* An extent in the extent block moved by one block, CRC redone. */
	xb->extents[0].start = cpu_to_le32(le32_to_cpu(xb->extents[0].start) + 1);
	xb->crc = cpu_to_le32(pkernfs_xblock_crc(xb));
	expect_check(&img, -EUCLEAN, "block used twice", "an extent in the extent block on another file's block");
	expect_compare(&img, ranges, nr, digest, "differs: the metadata changed",
		       "an extent block changed after the state was taken");
	xb->extents[0].start = cpu_to_le32(le32_to_cpu(xb->extents[0].start) - 1);
	xb->crc = cpu_to_le32(pkernfs_xblock_crc(xb));
	expect_check(&img, 0, NULL, "put back, consistent again");

	xb->extents[0].count = cpu_to_le32(2);
	expect_check(&img, -EUCLEAN, "extent block CRC mismatch", "an extent block whose CRC does not match");
	xb->extents[0].count = cpu_to_le32(1);
	xb->magic = 0;
	expect_check(&img, -EUCLEAN, "extent block has no extent block magic", "an extent block without its magic");
	xb->magic = cpu_to_le32(PKERNFS_XBLOCK_MAGIC);
	big->xblock = cpu_to_le32(img.sbi.nr_blocks + 5);
	pkernfs_update_dinode(big);
	expect_check(&img, -EUCLEAN, "extent block outside the carve-out", "an extent block past the end");
	big->xblock = cpu_to_le32(xblock);
	big->nr_extents = cpu_to_le32(PKERNFS_MAX_FILE_EXTENTS + 1);
	pkernfs_update_dinode(big);
	expect_check(&img, -EUCLEAN, "too many extents", "more extents than a file can have");
	free(ranges);
	pkernfs_image_destroy(&img);
}

static void test_hostile(void)
{
	struct pkernfs_image img;
	struct pkernfs_super *s;
	struct pkernfs_dinode *di;
	struct pkernfs_dextent *e;
	u32 block;

	small_image(&img);
	s = img.sbi.super;

	s->magic = 0;
	expect_check(&img, -EINVAL, "no pkernfs in the carve-out 0x20000000+0x4000000 (magic 0x00000000",
		     "no superblock magic");
	s->magic = cpu_to_le32(PKERNFS_MAGIC);
	s->generation = cpu_to_le64(7);
	expect_check(&img, -EUCLEAN, "superblock CRC mismatch", "a superblock whose CRC does not match");
	pkernfs_update_super(&img.sbi);
	expect_check(&img, 0, NULL, "CRC redone: consistent");
	img.sbi.size = 128 * MiB;
	expect_check(&img, -EINVAL, "it was formatted for the carve-out 0x20000000+0x4000000, pkernfs= gives 0x20000000+0x8000000",
		     "another pkernfs= size");
	img.sbi.size = 64 * MiB;
	s->nr_inodes = cpu_to_le32(le32_to_cpu(s->nr_inodes) + 1);
	pkernfs_update_super(&img.sbi);
	expect_check(&img, -EUCLEAN, "superblock geometry is inconsistent", "a superblock with another geometry");
	s->nr_inodes = cpu_to_le32(le32_to_cpu(s->nr_inodes) - 1);
	pkernfs_update_super(&img.sbi);

	/* A file's block free in the bitmap, CRCs redone: caught by the walk. */
	di = pkernfs_image_find(&img, "vm1");
	e = pkernfs_extent(&img.sbi, di, 2);
	block = le32_to_cpu(e->start);
	((u8 *)img.sbi.bitmap)[block / 8] &= ~(1u << (block % 8));
	pkernfs_update_bitmap(&img.sbi);
	expect_check(&img, -EUCLEAN, "inode slot 1 (inode 3): block in use but free in the bitmap",
		     "a file's block free in the bitmap");
	__set_bit_le(block, img.sbi.bitmap);
	pkernfs_update_bitmap(&img.sbi);

	__set_bit_le(le32_to_cpu(s->nr_blocks), img.sbi.bitmap);
	pkernfs_update_bitmap(&img.sbi);
	expect_check(&img, -EUCLEAN, "bitmap marks block 32, past the end", "a bitmap bit past the end");
	((u8 *)img.sbi.bitmap)[4] = 0;
	pkernfs_update_bitmap(&img.sbi);
	((u8 *)img.sbi.bitmap)[0] &= ~1u;
	pkernfs_update_bitmap(&img.sbi);
	expect_check(&img, -EUCLEAN, "metadata block 0 is free in the bitmap", "the metadata block free in the bitmap");
	__set_bit_le(0, img.sbi.bitmap);
	pkernfs_update_bitmap(&img.sbi);
	expect_check(&img, 0, NULL, "bitmap put back: consistent");

	/* vm2's first extent onto vm0's: one block, two files. */
	e->start = pkernfs_extent(&img.sbi, pkernfs_image_find(&img, "vm0"), 0)->start;
	pkernfs_update_dinode(di);
	expect_check(&img, -EUCLEAN, "block used twice", "two files on one block");
	e->start = cpu_to_le32(block);
	e->count = cpu_to_le32(40);
	pkernfs_update_dinode(di);
	expect_check(&img, -EUCLEAN, "extent outside the data blocks", "an extent past the end of the carve-out");
	e->count = cpu_to_le32(1);
	di->size = cpu_to_le64(le64_to_cpu(di->size) + 1);
	pkernfs_update_dinode(di);
	expect_check(&img, -EUCLEAN, "extents do not match the size", "a size one byte past its blocks");
	di->size = cpu_to_le64(le64_to_cpu(di->size) - 1);
	memcpy(di->name, "vm0", 4);
	pkernfs_update_dinode(di);
	expect_check(&img, -EUCLEAN, "name used twice", "two files of one name");
	memcpy(di->name, "a/b", 4);
	pkernfs_update_dinode(di);
	expect_check(&img, -EUCLEAN, "invalid name", "a name with a slash");
	memcpy(di->name, "vm1", 4);
	di->crc = cpu_to_le32(le32_to_cpu(di->crc) ^ 1);
	expect_check(&img, -EUCLEAN, "inode slot 1 (inode 3): CRC mismatch", "an inode slot whose CRC does not match");
	pkernfs_update_dinode(di);
	expect_check(&img, 0, NULL, "all put back: consistent");
	pkernfs_image_destroy(&img);
}

int main(void)
{
	test_good();
	test_ranges_differ();
	test_extent_block();
	test_hostile();
	printf("%u of %u pkernfs metadata cases passed\n", cases - failures, cases);
	return failures ? 1 : 0;
}
