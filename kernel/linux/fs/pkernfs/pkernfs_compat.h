/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What pkernfs_meta.h and meta.c need from their environment: the kernel,
 * or userspace, where tests/pkernfs/ builds the same meta.c to check it
 * against hostile carve-outs and to time it on carve-outs of 1 TiB.
 *
 * Userspace gets the kernel's names from here: the little-endian
 * accessors, bit operations and crc32_le() (the last from pkh_compat.h),
 * sort() as qsort(), SHA-256 from OpenSSL's libcrypto, and __va() as an
 * offset the program sets to where it mapped its carve-out.
 */
#ifndef _FS_PKERNFS_COMPAT_H
#define _FS_PKERNFS_COMPAT_H

#ifdef __KERNEL__

#include <crypto/sha2.h>
#include <linux/bitops.h>
#include <linux/crc32.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/pkhandover/abi.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/types.h>

#else /* userspace */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <openssl/evp.h>
#include <linux/pkhandover/abi.h>

#include "pkh_compat.h"

typedef u64 phys_addr_t;

/* Only the kernel locks and has a VFS superblock; sb_info names both. */
struct super_block;
struct mutex {
	int unused;
};

#define cpu_to_le32(x) htole32(x)
#define cpu_to_le64(x) htole64(x)

#define SZ_4K 0x1000
#define SZ_1M 0x100000
#define SZ_2M 0x200000

#define BITS_PER_LONG (8 * sizeof(long))
#define DIV_ROUND_UP(n, d) ({ __typeof__(d) _d = (d); ((n) + _d - 1) / _d; })
#define DIV_ROUND_UP_ULL(n, d) \
	DIV_ROUND_UP((unsigned long long)(n), (unsigned long long)(d))
/* @x rounded up to a multiple of @y, a power of two; as the kernel's. */
#define round_up(x, y) ((((x) - 1) | ((__typeof__(x))((y) - 1))) + 1)
#define min_t(type, a, b) ({ type _a = (a), _b = (b); _a < _b ? _a : _b; })
#define max_t(type, a, b) ({ type _x = (a), _y = (b); _x > _y ? _x : _y; })
#define clamp_t(type, v, lo, hi) min_t(type, max_t(type, v, lo), hi)

#define GFP_KERNEL 0
#define kfree(p) free(p)
#define bitmap_free(p) free(p)

static inline void *kmalloc_array(size_t n, size_t size, int gfp)
{
	(void)gfp;
	return calloc(n ? n : 1, size);
}

static inline unsigned long *bitmap_zalloc(unsigned int nbits, int gfp)
{
	(void)gfp;
	return calloc(DIV_ROUND_UP(nbits, BITS_PER_LONG) + 1,
		      sizeof(unsigned long));
}

static inline bool test_bit(unsigned long nr, const unsigned long *addr)
{
	return (addr[nr / BITS_PER_LONG] >> (nr % BITS_PER_LONG)) & 1;
}

static inline void __set_bit(unsigned long nr, unsigned long *addr)
{
	addr[nr / BITS_PER_LONG] |= 1UL << (nr % BITS_PER_LONG);
}

/* Bit @nr of a little-endian bitmap, as the carve-out's is. */
static inline bool test_bit_le(unsigned long nr, const void *addr)
{
	return (((const u8 *)addr)[nr / 8] >> (nr % 8)) & 1;
}

static inline void __set_bit_le(unsigned long nr, void *addr)
{
	((u8 *)addr)[nr / 8] |= 1u << (nr % 8);
}

static inline void sort(void *base, size_t num, size_t size,
			int (*cmp)(const void *, const void *), void *swap)
{
	(void)swap;
	qsort(base, num, size, cmp);
}

/* Where the program mapped the carve-out, less its physical base. */
extern uintptr_t pkernfs_user_va_offset;
#define __va(pa) ((void *)((uintptr_t)(pa) + pkernfs_user_va_offset))

#define SHA256_DIGEST_SIZE 32

struct sha256_state {
	EVP_MD_CTX *ctx;
};

static inline void sha256_init(struct sha256_state *s)
{
	s->ctx = EVP_MD_CTX_new();
	if (!s->ctx || !EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL))
		abort();
}

static inline void sha256_update(struct sha256_state *s, const u8 *p,
				 size_t len)
{
	if (!EVP_DigestUpdate(s->ctx, p, len))
		abort();
}

static inline void sha256_final(struct sha256_state *s, u8 *digest)
{
	if (!EVP_DigestFinal_ex(s->ctx, digest, NULL))
		abort();
	EVP_MD_CTX_free(s->ctx);
	s->ctx = NULL;
}

#endif /* __KERNEL__ */

#endif /* _FS_PKERNFS_COMPAT_H */
