/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A pkernfs carve-out in userspace: an anonymous mapping, reserved but not
 * committed, so that a carve-out of 1 TiB costs only the pages its
 * metadata touches.  It is formatted and filled through the kernel's own
 * meta.c (pkernfs_format_carveout(), the CRC helpers), so what the tests
 * and the benchmark check is the format the kernel writes.
 */
#ifndef PKH_TESTS_PKERNFS_IMAGE_H
#define PKH_TESTS_PKERNFS_IMAGE_H

#include "pkernfs_meta.h"

/**
 * struct pkernfs_image - a carve-out and the pkernfs in it
 * @map:        the carve-out's bytes
 * @sbi:        the filesystem, as the kernel's mount sees it
 * @next_block: first block not yet given to a file or an extent block
 */
struct pkernfs_image {
	void *map;
	struct pkernfs_sb_info sbi;
	u32 next_block;
};

/*
 * Map @size bytes as the carve-out at physical @base and format it.
 * Return: 0, or a negative errno (-ENOMEM if the mapping failed).
 */
int pkernfs_image_create(struct pkernfs_image *img, u64 base, u64 size);
void pkernfs_image_destroy(struct pkernfs_image *img);

/*
 * Fill the free blocks with @nr_files files named "<prefix><n>", dealt out
 * round robin in runs of @run blocks, so that each file has about
 * free / (@nr_files * @run) extents; files with more extents than an inode
 * slot holds get an extent block first.  @blocks_each caps each file's
 * blocks (0: fill the carve-out).
 * Return: 0, or -ENOSPC if a file would need more extents than pkernfs
 * allows or there are not enough inode slots.
 */
int pkernfs_image_fill(struct pkernfs_image *img, unsigned int nr_files,
		       u32 run, u32 blocks_each, const char *prefix);

/* The inode slot of the file called @name, or NULL. */
struct pkernfs_dinode *pkernfs_image_find(struct pkernfs_image *img,
					  const char *name);

/*
 * The metadata ranges of the image as a v2 handover carries them
 * (little-endian struct pkh_extent), in a malloc()ed array, and their
 * SHA-256: what the old kernel's state gives kexec.
 * Return: 0 or a negative errno.
 */
int pkernfs_image_handover(struct pkernfs_image *img,
			   struct pkh_extent **ranges, unsigned int *nr,
			   u8 *digest);

#endif /* PKH_TESTS_PKERNFS_IMAGE_H */
