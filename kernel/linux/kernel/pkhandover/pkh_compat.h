/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What pkh_parse.c needs from its environment, in the kernel or in
 * userspace (tests, kparse, the fuzzer).
 *
 * pkh_fdt_check_full() is the whole-tree check the parser runs before it
 * reads any property.  In userspace it is libfdt's fdt_check_full().  The
 * kernel's libfdt (lib/, from scripts/dtc/libfdt) has no fdt_check.c as of
 * 6.12, so the kernel patch series defines pkh_fdt_check_full() itself
 * (kernel/pkhandover/pkh_fdt_check.c): a bounded walk of the same rules.
 */
#ifndef PKH_COMPAT_H
#define PKH_COMPAT_H

#ifdef __KERNEL__

#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/libfdt.h>
#include <linux/crc32.h>
#include <asm/byteorder.h>

/* zlib's crc32(0, p, n): the standard CRC-32 the ABI specifies. */
static inline u32 pkh_crc32(const void *p, size_t n)
{
	return ~crc32_le(~0u, p, n);
}

/*
 * fdt_check_full() of libfdt: 0 if the tree at @fdt (@bufsize bytes) is
 * well formed, else a negative FDT_ERR_* code.
 */
int pkh_fdt_check_full(const void *fdt, size_t bufsize);

#else /* userspace */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <endian.h>
#include <linux/types.h>
#include <libfdt.h>
#include <zlib.h>

/* The kernel's names; __u64 is unsigned long long, so %llu works. */
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;

#define le16_to_cpu(x) le16toh(x)
#define le32_to_cpu(x) le32toh(x)
#define le64_to_cpu(x) le64toh(x)

#ifndef __printf
#define __printf(a, b) __attribute__((format(printf, a, b)))
#endif

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

static inline u32 pkh_crc32(const void *p, size_t n)
{
	return (u32)crc32_z(0, (const Bytef *)p, n);
}

static inline int pkh_fdt_check_full(const void *fdt, size_t bufsize)
{
	return fdt_check_full(fdt, bufsize);
}

#endif /* __KERNEL__ */

#endif /* PKH_COMPAT_H */
