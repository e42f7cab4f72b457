/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libfdt's fdt_check_full() as the oracle for the kernel's checker
 * (pkh_fdt_check_full(), kernel/linux/kernel/pkhandover/pkh_fdt_check.c),
 * and the trees it cannot be asked about.
 *
 * Debian bookworm's libfdt 1.6.1 is the userspace libfdt.  Two kinds of
 * tree make its fdt_check_full() crash or hang instead of answering:
 *
 * - version 2..15: fdt_get_name() returns NULL for the root of such a tree
 *   and fdt_check_full() dereferences it.  The kernel's checker, by design,
 *   walks only version 16 and later (the parser refuses older trees before
 *   it runs the check): for these it must say -FDT_ERR_BADVERSION.
 * - a property length near 2^32: fdt_next_tag() adds it to an int offset
 *   unchecked (fixed in libfdt 1.7), the offset wraps and the walk may
 *   loop forever.  A length of 1 GiB or more cannot fit in the tree of a
 *   buffer under 1 GiB, so the kernel's checker must refuse the tree, with
 *   -FDT_ERR_TRUNCATED if the walk reaches that property.
 *
 * fdt_oracle() tells these apart by walking the structure block the way
 * fdt_check_full() does, stopping where it would stop.
 */
#ifndef FDT_ORACLE_H
#define FDT_ORACLE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <libfdt.h>

enum fdt_oracle_kind {
	FDT_ORACLE_LIBFDT,		/* ask fdt_check_full() */
	FDT_ORACLE_OLD_VERSION,		/* kernel: -FDT_ERR_BADVERSION */
	FDT_ORACLE_HUGE_PROPERTY,	/* kernel: refused */
};

#define FDT_ORACLE_HUGE	0x40000000u

static inline uint32_t fdt_oracle_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/*
 * fdt_oracle() - may fdt_check_full() be asked about this tree?
 * @fdt:  the tree, 8-byte aligned
 * @size: bytes readable at @fdt
 */
static inline enum fdt_oracle_kind fdt_oracle(const void *fdt, size_t size)
{
	const uint8_t *p = (const uint8_t *)fdt;
	size_t base, limit, off, end;
	const uint8_t *nul;
	uint32_t tag, len;

	/* fdt_check_full() returns before the walk unless these hold. */
	if (size < FDT_V1_SIZE || size < fdt_header_size(fdt) ||
	    fdt_check_header(fdt) || size < fdt_totalsize(fdt))
		return FDT_ORACLE_LIBFDT;
	if (fdt_version(fdt) < 16)
		return FDT_ORACLE_OLD_VERSION;

	base = fdt_off_dt_struct(fdt);
	limit = fdt_totalsize(fdt) - base;
	if (fdt_version(fdt) >= 17 && fdt_size_dt_struct(fdt) < limit)
		limit = fdt_size_dt_struct(fdt);
	for (off = 0; off <= limit && limit - off >= 4; off = (end + 3) & ~(size_t)3) {
		tag = fdt_oracle_be32(p + base + off);
		end = off + 4;
		switch (tag) {
		case FDT_BEGIN_NODE:
			nul = (const uint8_t *)memchr(p + base + end, 0,
						     limit - end);
			if (!nul)
				return FDT_ORACLE_LIBFDT;
			end = nul - (p + base) + 1;
			break;
		case FDT_PROP:
			if (limit - end < 8)
				return FDT_ORACLE_LIBFDT;
			len = fdt_oracle_be32(p + base + end);
			if (len >= FDT_ORACLE_HUGE)
				return FDT_ORACLE_HUGE_PROPERTY;
			end += 8 + len;
			break;
		case FDT_END_NODE:
		case FDT_NOP:
			break;
		default:
			return FDT_ORACLE_LIBFDT;
		}
	}
	return FDT_ORACLE_LIBFDT;
}

#endif /* FDT_ORACLE_H */
