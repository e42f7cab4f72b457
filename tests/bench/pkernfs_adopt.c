// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the new kernel's first pkernfs mount costs before it adopts a v2
 * handover, at 1 GiB, 2 GiB, 32 GiB and 1 TiB of carve-out full of files:
 * the consistency check (pkernfs_check_consistent(): CRCs, every file's
 * blocks against the bitmap) and the metadata check
 * (pkernfs_metadata_compare(): where the metadata lies, and its SHA-256
 * against the handover's).  Both are the kernel's meta.c, built in
 * userspace on a carve-out that is mapped but only committed where its
 * metadata is.  Each figure is the median of several runs; the reference
 * is a memcpy() of the same metadata bytes, measured in the same run.
 *
 *   tests/bench/pkernfs-adopt [-n RUNS]
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "image.h"

#define GiB (1ull << 30)

struct shape {
	const char *name;
	u64 size;
	u32 run; /* blocks a file gets in turn: the fragmentation */
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct copy_arg {
	u8 *to;
	u64 base;
	u64 at;
};

/* The reference: each metadata range copied out, as the digest reads it. */
static int copy_range(void *arg, u64 off, u64 len)
{
	struct copy_arg *c = arg;

	memcpy(c->to + c->at, __va(c->base + off), len);
	c->at += len;
	return 0;
}

static int run_shape(const struct shape *sh, int runs)
{
	double check[16], compare[16], copy[16];
	struct pkernfs_meta_result res;
	struct pkernfs_image img;
	struct pkh_extent *ranges;
	unsigned long *seen;
	u64 extents = 0, base = 4 * GiB;
	unsigned int nr, i;
	struct copy_arg c;
	char why[160];
	u8 digest[32];
	double t;
	int r, ret;

	ret = pkernfs_image_create(&img, base, sh->size);
	if (ret) {
		fprintf(stderr, "pkernfs-adopt: cannot map and format a %s carve-out: %s\n", sh->name, strerror(-ret));
		return 2;
	}
	ret = pkernfs_image_fill(&img, 8, sh->run, 0, "vm");
	if (!ret)
		ret = pkernfs_image_handover(&img, &ranges, &nr, digest);
	if (ret) {
		fprintf(stderr, "pkernfs-adopt: cannot fill the %s carve-out: %s\n", sh->name, strerror(-ret));
		pkernfs_image_destroy(&img);
		return 2;
	}
	for (i = 0; i < img.sbi.nr_inodes; i++)
		if (img.sbi.dinodes[i].ino)
			extents += le32_to_cpu(img.sbi.dinodes[i].nr_extents);

	for (r = 0; r < runs; r++) {
		t = now_us();
		ret = pkernfs_check_consistent(&img.sbi, &seen, why, sizeof(why));
		check[r] = now_us() - t;
		bitmap_free(seen);
		if (ret) {
			fprintf(stderr, "pkernfs-adopt: the %s carve-out is not consistent: %s\n", sh->name, why);
			return 1;
		}
		t = now_us();
		ret = pkernfs_metadata_compare(&img.sbi, ranges, nr, digest, &res);
		compare[r] = now_us() - t;
		if (ret || res.why[0]) {
			fprintf(stderr, "pkernfs-adopt: the %s handover does not match: %s\n", sh->name, res.why);
			return 1;
		}
		/* Touched first, so that the copy is not timing page faults. */
		c.to = malloc(res.bytes);
		if (!c.to)
			return 2;
		memset(c.to, 1, res.bytes);
		c.base = base;
		c.at = 0;
		t = now_us();
		pkernfs_metadata_ranges(&img.sbi, copy_range, &c);
		copy[r] = now_us() - t;
		free(c.to);
	}
	double ck = median(check, runs), cm = median(compare, runs), cp = median(copy, runs);
	double gib = (double)sh->size / GiB;

	printf("  %-7s %5u %9llu %5u %8llu %10.0f %10.0f %10.0f %9.1f %8.1f\n", sh->name, sh->run,
	       (unsigned long long)extents, res.nr, (unsigned long long)res.bytes >> 10, ck, cm, ck + cm,
	       (ck + cm) / gib, cm / cp);
	free(ranges);
	pkernfs_image_destroy(&img);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct shape shapes[] = {
		{ "1 GiB", 1 * GiB, 16 },   { "2 GiB", 2 * GiB, 16 },   { "32 GiB", 32 * GiB, 16 },
		{ "1 TiB", 1024 * GiB, 16 }, { "1 GiB", 1 * GiB, 1 },    { "32 GiB", 32 * GiB, 1 },
		{ "1 TiB", 1024 * GiB, 1 },
	};
	int runs = 7, opt, ret;
	size_t i;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt == 'n' && atoi(optarg) >= 1 && atoi(optarg) <= 16) {
			runs = atoi(optarg);
		} else {
			fprintf(stderr, "usage: pkernfs-adopt [-n RUNS (1..16)]\n");
			return 2;
		}
	}
	printf("pkernfs adoption in the new kernel: consistency check plus v2 metadata check (meta.c in userspace)\n");
	printf("  8 files fill the carve-out, dealt out in runs of RUN 2 MiB blocks; medians of %d runs, in us\n", runs);
	printf("  %-7s %5s %9s %5s %8s %10s %10s %10s %9s %8s\n", "carve", "run", "extents", "rngs", "meta KiB",
	       "check", "digest", "total", "us/GiB", "dig/cpy");
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		ret = run_shape(&shapes[i], runs);
		if (ret)
			return ret;
	}
	printf("  (dig/cpy: the metadata check against a memcpy() of the same metadata bytes)\n");
	return 0;
}
