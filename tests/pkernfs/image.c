// SPDX-License-Identifier: GPL-2.0-only
/*
 * A pkernfs carve-out in userspace; see image.h.
 */
#include <stdio.h>
#include <sys/mman.h>

#include "image.h"

uintptr_t pkernfs_user_va_offset;

int pkernfs_image_create(struct pkernfs_image *img, u64 base, u64 size)
{
	static const u8 uuid[16] = { 0x70, 0x6b, 0x68, 0x2d, 0x74, 0x65, 0x73, 0x74,
				     0x2d, 0x69, 0x6d, 0x61, 0x67, 0x65, 0x00, 0x01 };
	int ret;

	memset(img, 0, sizeof(*img));
	/* Reserved, not committed: only the pages written cost memory. */
	img->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (img->map == MAP_FAILED) {
		img->map = NULL;
		return -ENOMEM;
	}
	pkernfs_user_va_offset = (uintptr_t)img->map - (uintptr_t)base;
	img->sbi.base = base;
	img->sbi.size = size;
	ret = pkernfs_format_carveout(&img->sbi, uuid, 0x5eed5eed5eed5eedull, 1764547200);
	if (ret) {
		pkernfs_image_destroy(img);
		return ret;
	}
	img->next_block = img->sbi.meta_blocks;
	return 0;
}

void pkernfs_image_destroy(struct pkernfs_image *img)
{
	if (img->map)
		munmap(img->map, img->sbi.size);
	img->map = NULL;
}

/*
 * Deal the blocks from @start out to the files in turn, @run at a time,
 * each file up to @cap blocks (0: no cap), a run that follows the file's
 * last one joining its extent.  Counts each file's @extents and @blocks
 * (@ends is scratch); with @di set, also writes the extents and marks the
 * blocks in the bitmap.  Returns the first block not dealt out.
 */
static u32 deal(struct pkernfs_image *img, u32 start, unsigned int nr_files, u32 run, u32 cap, u32 *extents,
		u32 *blocks, u32 *ends, struct pkernfs_dinode **di)
{
	struct pkernfs_sb_info *sbi = &img->sbi;
	u32 b = start, f, len, i, active = nr_files;
	struct pkernfs_dextent *e;

	for (f = 0; f < nr_files; f++)
		extents[f] = blocks[f] = ends[f] = 0;
	for (f = 0; b < sbi->nr_blocks && active; f = (f + 1) % nr_files) {
		if (cap && blocks[f] == cap)
			continue;
		len = min_t(u32, run, sbi->nr_blocks - b);
		if (cap)
			len = min_t(u32, len, cap - blocks[f]);
		if (extents[f] && ends[f] == b) {
			if (di) {
				e = pkernfs_extent(sbi, di[f], extents[f] - 1);
				e->count = cpu_to_le32(le32_to_cpu(e->count) + len);
			}
		} else {
			if (di) {
				e = pkernfs_extent(sbi, di[f], extents[f]);
				e->start = cpu_to_le32(b);
				e->count = cpu_to_le32(len);
			}
			extents[f]++;
		}
		if (di)
			for (i = b; i < b + len; i++)
				__set_bit_le(i, sbi->bitmap);
		blocks[f] += len;
		b += len;
		ends[f] = b;
		if (cap && blocks[f] == cap)
			active--;
	}
	return b;
}

int pkernfs_image_fill(struct pkernfs_image *img, unsigned int nr_files, u32 run, u32 blocks_each,
		       const char *prefix)
{
	struct pkernfs_sb_info *sbi = &img->sbi;
	struct pkernfs_super *s = sbi->super;
	u32 *extents, *blocks, *ends, slot = 0, nx = 0, prev_nx, f, end;
	struct pkernfs_dinode **di;
	struct pkernfs_xblock *xb;
	int ret = -ENOSPC, round;

	extents = calloc(nr_files, sizeof(*extents));
	blocks = calloc(nr_files, sizeof(*blocks));
	ends = calloc(nr_files, sizeof(*ends));
	di = calloc(nr_files, sizeof(*di));
	if (!extents || !blocks || !ends || !di) {
		ret = -ENOMEM;
		goto out;
	}
	/* The extent blocks go first; how many depends on the extents left. */
	for (round = 0; round < 8; round++) {
		deal(img, img->next_block + nx, nr_files, run, blocks_each, extents, blocks, ends, NULL);
		prev_nx = nx;
		nx = 0;
		for (f = 0; f < nr_files; f++) {
			if (extents[f] > PKERNFS_MAX_FILE_EXTENTS)
				goto out;
			nx += extents[f] > PKERNFS_MAX_EXTENTS;
		}
		if (nx == prev_nx)
			break;
	}
	if (round == 8)
		goto out;

	for (f = 0; f < nr_files; f++) {
		while (slot < sbi->nr_inodes && sbi->dinodes[slot].ino)
			slot++;
		if (slot == sbi->nr_inodes)
			goto out;
		di[f] = &sbi->dinodes[slot++];
		memset(di[f], 0, sizeof(*di[f]));
		di[f]->ino = s->next_ino;
		s->next_ino = cpu_to_le64(le64_to_cpu(s->next_ino) + 1);
		di[f]->mode = cpu_to_le32(S_IFREG | 0600);
		di[f]->name_len = cpu_to_le32(snprintf(di[f]->name, sizeof(di[f]->name), "%s%u", prefix, f));
		if (extents[f] > PKERNFS_MAX_EXTENTS) {
			di[f]->xblock = cpu_to_le32(img->next_block);
			__set_bit_le(img->next_block, sbi->bitmap);
			xb = pkernfs_block_addr(sbi, img->next_block++);
			memset(xb, 0, sizeof(*xb));
			xb->magic = cpu_to_le32(PKERNFS_XBLOCK_MAGIC);
			xb->ino = di[f]->ino;
			sbi->nr_xblocks++;
		}
	}
	end = deal(img, img->next_block, nr_files, run, blocks_each, extents, blocks, ends, di);
	for (f = 0; f < nr_files; f++) {
		di[f]->nr_extents = cpu_to_le32(extents[f]);
		di[f]->size = cpu_to_le64((u64)blocks[f] << PKERNFS_BLOCK_SHIFT);
		if (di[f]->xblock) {
			xb = pkernfs_block_addr(sbi, le32_to_cpu(di[f]->xblock));
			xb->nr_extents = cpu_to_le32(extents[f] - PKERNFS_MAX_EXTENTS);
			xb->crc = cpu_to_le32(pkernfs_xblock_crc(xb));
		}
		pkernfs_update_dinode(di[f]);
		sbi->free_slots--;
	}
	sbi->free_blocks -= end - (img->next_block - nx);
	img->next_block = end;
	s->version = cpu_to_le32(sbi->nr_xblocks ? PKERNFS_VERSION_XBLOCK : PKERNFS_VERSION);
	pkernfs_update_bitmap(sbi);
	ret = 0;
out:
	free(extents);
	free(blocks);
	free(ends);
	free(di);
	return ret;
}

struct pkernfs_dinode *pkernfs_image_find(struct pkernfs_image *img, const char *name)
{
	u32 i;

	for (i = 0; i < img->sbi.nr_inodes; i++)
		if (img->sbi.dinodes[i].ino && !strcmp(img->sbi.dinodes[i].name, name))
			return &img->sbi.dinodes[i];
	return NULL;
}

struct range_list {
	struct pkh_extent *ranges;
	unsigned int nr;
};

static int collect_range(void *arg, u64 off, u64 len)
{
	struct range_list *l = arg;
	struct pkh_extent *grown = realloc(l->ranges, (l->nr + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	l->ranges = grown;
	l->ranges[l->nr].region_offset = cpu_to_le64(off);
	l->ranges[l->nr].length = cpu_to_le64(len);
	l->nr++;
	return 0;
}

int pkernfs_image_handover(struct pkernfs_image *img, struct pkh_extent **ranges, unsigned int *nr, u8 *digest)
{
	struct range_list l = { NULL, 0 };
	unsigned int digested;
	u64 bytes;
	int ret;

	ret = pkernfs_metadata_ranges(&img->sbi, collect_range, &l);
	if (!ret)
		ret = pkernfs_metadata_digest(&img->sbi, digest, &digested, &bytes);
	if (!ret && digested != l.nr)
		ret = -EINVAL;
	if (ret) {
		free(l.ranges);
		return ret;
	}
	*ranges = l.ranges;
	*nr = l.nr;
	return 0;
}
