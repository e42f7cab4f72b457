// SPDX-License-Identifier: GPL-2.0-only
/*
 * kparse - run the kernel-C parser (kernel/linux/kernel/pkhandover/pkh_parse.c) on blob files.
 *
 *   kparse [--ram START:SIZE]... [--reserved START:SIZE]... FILE...
 *
 * Prints one line per file, in order:
 *   OK generation=<n> regions=<n> files=<n> extents=<n> units=<n>
 *      domains=<n> devices=<n> iova=<n> major=<n> metadata=<n>
 *                                                (on one line)
 * (extents: the v1 files' extents; metadata: the v2 regions' metadata
 * ranges)
 *   ERR <CODE_NAME> <where>: <why>
 * A file that cannot be read gets no line; the error goes to stderr.
 * Exit status: 0 all OK, 1 some blob invalid, 2 usage or I/O error.
 * START and SIZE are decimal, or hex with a 0x prefix.
 */
#include <errno.h>
#include <stdlib.h>

#include "pkh_parse.h"

#define MAX_RANGES 256
#define MAX_FILE_SIZE (1ul << 30)

static const char *const error_names[] = {
#define ERROR_NAME(name, text) #name,
	PKH_ERROR_LIST(ERROR_NAME)
#undef ERROR_NAME
};

struct counts {
	unsigned long long generation, major;
	unsigned long long regions, files, extents, metadata;
	unsigned long long units, domains, devices, iova;
};

static void *k_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return malloc(size);
}

static void k_free(void *ctx, void *ptr, size_t size)
{
	(void)ctx;
	(void)size;
	free(ptr);
}

static int on_header(void *ctx, const struct pkh_header_info *info)
{
	((struct counts *)ctx)->generation = info->generation;
	((struct counts *)ctx)->major = info->abi_major;
	return 0;
}

static int on_region(void *ctx, const struct pkh_region_info *info)
{
	((struct counts *)ctx)->regions++;
	((struct counts *)ctx)->metadata += info->nr_metadata;
	return 0;
}

static int on_file(void *ctx, const struct pkh_file_info *info)
{
	struct counts *c = ctx;

	c->files++;
	c->extents += info->nr_extents;
	return 0;
}

static int on_unit(void *ctx, const struct pkh_iommu_unit_info *info)
{
	(void)info;
	((struct counts *)ctx)->units++;
	return 0;
}

static int on_domain(void *ctx, const struct pkh_iommu_domain_info *info)
{
	(void)info;
	((struct counts *)ctx)->domains++;
	return 0;
}

static int on_device(void *ctx, const struct pkh_device_info *info)
{
	struct counts *c = ctx;

	c->devices++;
	c->iova += info->nr_iova;
	return 0;
}

static int parse_u64(const char *s, const char *end, unsigned long long *out)
{
	unsigned long long v = 0, d;
	int base = 10;

	if (end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (s == end)
		return -1;
	for (; s < end; s++) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -1;
		if (v > (~0ull - d) / base)
			return -1;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

static int parse_range(const char *arg, struct pkh_phys_range *r)
{
	const char *colon = strchr(arg, ':');
	unsigned long long start, size;

	if (!colon || parse_u64(arg, colon, &start) ||
	    parse_u64(colon + 1, colon + strlen(colon), &size))
		return -1;
	r->start = start;
	r->size = size;
	return 0;
}

static unsigned char *read_file(const char *path, size_t *size)
{
	unsigned char *buf = NULL, *p;
	size_t cap = 0, len = 0, n;
	FILE *f = fopen(path, "rb");

	if (!f)
		return NULL;
	for (;;) {
		if (len == cap) {
			if (cap >= MAX_FILE_SIZE) {
				errno = EFBIG;
				goto fail;
			}
			cap = cap ? cap * 2 : 1 << 16;
			p = realloc(buf, cap);
			if (!p)
				goto fail;
			buf = p;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0) {
			if (ferror(f))
				goto fail;
			break;
		}
	}
	fclose(f);
	*size = len;
	/* A zero-byte file still gets a valid pointer. */
	return buf ? buf : malloc(1);
fail:
	n = errno;
	free(buf);
	fclose(f);
	errno = n;
	return NULL;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: kparse [--ram START:SIZE]... [--reserved START:SIZE]... FILE...\n");
}

int main(int argc, char **argv)
{
	static struct pkh_phys_range ram[MAX_RANGES], reserved[MAX_RANGES];
	struct pkh_memory_map map = { ram, 0, reserved, 0 };
	struct pkh_parse_ops ops = {
		.alloc = k_alloc,
		.free = k_free,
		.header = on_header,
		.region = on_region,
		.file = on_file,
		.iommu_unit = on_unit,
		.iommu_domain = on_domain,
		.device = on_device,
	};
	int i, nfiles = 0, status = 0, ret, code;
	struct pkh_error err;
	struct counts counts;
	const char **files;
	unsigned char *blob;
	size_t size;

	files = calloc(argc, sizeof(*files));
	if (!files)
		return 2;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		struct pkh_phys_range *list;
		unsigned int *nr;

		if (!strcmp(a, "--")) {
			for (i++; i < argc; i++)
				files[nfiles++] = argv[i];
			break;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage();
			return 0;
		}
		if (!strncmp(a, "--ram", 5) && (a[5] == '=' || !a[5])) {
			list = ram;
			nr = &map.nr_ram;
			val = a[5] ? a + 6 : NULL;
		} else if (!strncmp(a, "--reserved", 10) &&
			   (a[10] == '=' || !a[10])) {
			list = reserved;
			nr = &map.nr_reserved;
			val = a[10] ? a + 11 : NULL;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "kparse: unknown option %s\n", a);
			usage();
			return 2;
		} else {
			files[nfiles++] = a;
			continue;
		}
		if (!val) {
			if (++i >= argc) {
				usage();
				return 2;
			}
			val = argv[i];
		}
		if (*nr >= MAX_RANGES || parse_range(val, &list[*nr])) {
			fprintf(stderr, "kparse: bad range %s\n", val);
			return 2;
		}
		(*nr)++;
	}
	if (!nfiles) {
		usage();
		return 2;
	}

	for (i = 0; i < nfiles; i++) {
		blob = read_file(files[i], &size);
		if (!blob) {
			fprintf(stderr, "kparse: %s: %s\n", files[i],
				strerror(errno));
			status = 2;
			continue;
		}
		memset(&counts, 0, sizeof(counts));
		ops.ctx = &counts;
		ret = pkh_parse(blob, size, &map, &ops, &err);
		free(blob);
		if (!ret) {
			printf("OK generation=%llu regions=%llu files=%llu extents=%llu units=%llu domains=%llu devices=%llu iova=%llu major=%llu metadata=%llu\n",
			       counts.generation, counts.regions, counts.files,
			       counts.extents, counts.units, counts.domains,
			       counts.devices, counts.iova, counts.major,
			       counts.metadata);
			continue;
		}
		code = ret < 0 ? -ret : ret;
		printf("ERR %s %s: %s\n",
		       code > 0 && code < PKH_ERR_COUNT ? error_names[code] :
							 "UNKNOWN",
		       err.where, err.why);
		if (status == 0)
			status = 1;
	}
	fflush(stdout);
	free(files);
	return status;
}
