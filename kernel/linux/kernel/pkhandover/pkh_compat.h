/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What pkh_parse.c and pkh_fdt_check.c need from their environment, in the
 * kernel or in userspace (tests, kparse, the fuzzers).
 *
 * Both environments run the same code for everything the handover ABI
 * defines: the blob's CRC is pkh_crc32() below, built on crc32_le(), and
 * the whole-tree FDT check is pkh_fdt_check_full() from pkh_fdt_check.c.
 * The kernel's libfdt (lib/, from scripts/dtc/libfdt) has no fdt_check.c as
 * of 6.12, so that file is a bounded walk of the rules of libfdt's
 * fdt_check_full(); userspace tests compare the two.  Userspace gets the
 * kernel's names from here: crc32_le() with the kernel's semantics, ALIGN()
 * and the fixed-width types.
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

#else /* userspace */

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <endian.h>
#include <linux/types.h>
#include <libfdt.h>

/* The kernel's names; __u64 is unsigned long long, so %llu works. */
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;

#define le16_to_cpu(x) ((u16)le16toh(x))
#define le32_to_cpu(x) ((u32)le32toh(x))
#define le64_to_cpu(x) ((u64)le64toh(x))

#ifndef __printf
#define __printf(a, b) __attribute__((format(printf, a, b)))
#endif

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* @x rounded up to a multiple of @a, a power of two; as the kernel's. */
#ifndef ALIGN
#define ALIGN(x, a) (((x) + ((__typeof__(x))(a) - 1)) & \
		     ~((__typeof__(x))(a) - 1))
#endif

/*
 * crc32_le() - the kernel's little-endian CRC-32 (lib/crc32.c)
 * @crc: the CRC so far, the seed on the first call
 * @p:   bytes
 * @len: how many
 *
 * The reflected CRC-32, polynomial 0xedb88320, continued from @crc over
 * @len bytes, with no inversion on the way in or out: the kernel's
 * semantics, which zlib's crc32() is not (crc32(c, p, n) is
 * ~crc32_le(~c, p, n)).  Four bits a step, from the CRC of each nibble.
 *
 * Return: the CRC after @p.
 */
static inline u32 crc32_le(u32 crc, unsigned char const *p, size_t len)
{
	static const u32 nibble[16] = {
		0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac,
		0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
		0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
		0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
	};

	while (len--) {
		crc ^= *p++;
		crc = (crc >> 4) ^ nibble[crc & 15];
		crc = (crc >> 4) ^ nibble[crc & 15];
	}
	return crc;
}

#endif /* __KERNEL__ */

/*
 * pkh_crc32() - the CRC-32 of the ABI (payload_crc32)
 * @p: bytes
 * @n: how many
 *
 * zlib's crc32(0, p, n), the standard CRC-32: crc32_le() seeded with all
 * ones and inverted at the end.  The same code in both environments.
 *
 * Return: the CRC-32 of the @n bytes at @p.
 */
static inline u32 pkh_crc32(const void *p, size_t n)
{
	return ~crc32_le(~0u, (unsigned char const *)p, n);
}

/*
 * pkh_fdt_check_full() - libfdt's fdt_check_full(), from pkh_fdt_check.c
 * @fdt:     the tree
 * @bufsize: bytes readable at @fdt
 *
 * Return: 0 if the tree at @fdt is well formed, else a negative FDT_ERR_*
 * code.
 */
int pkh_fdt_check_full(const void *fdt, size_t bufsize);

#endif /* PKH_COMPAT_H */
