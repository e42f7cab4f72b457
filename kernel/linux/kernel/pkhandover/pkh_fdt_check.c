// SPDX-License-Identifier: GPL-2.0-only
/*
 * The whole-tree check of a handover payload, for the kernel.
 *
 * pkh_parse() checks the FDT of a blob completely before it reads any
 * property from it.  Userspace does that with libfdt's fdt_check_full(),
 * which the kernel's libfdt does not carry (there is no fdt_check.c in
 * scripts/dtc/libfdt as of 6.12).  This file is the kernel's version: one
 * bounded pass over the header, the memory reservation map and the
 * structure block that accepts the trees fdt_check_full() accepts:
 *
 * - the header passes fdt_check_header() and the tree fits in the buffer;
 * - the memory reservation map ends, with an all-zero-size entry, inside
 *   the tree;
 * - every tag lies inside the structure block; a node name ends there;
 *   a property's value ends there;
 * - a property's name offset lies inside the strings block and the name
 *   ends there;
 * - nodes nest properly, the root node has an empty name, nothing but
 *   FDT_END follows the end of the root node, and FDT_END comes at depth 0.
 *
 * Every step moves forward by at least one tag (4 bytes), so the walk ends
 * after at most size_dt_struct / 4 steps whatever the input.  Only version
 * 16 and later trees are walked; the parser refuses older ones before it
 * gets here.
 */

#include "pkh_compat.h"

/* Bytes of a tag, and of the length and name offset after FDT_PROP. */
#define PKH_TAG_SIZE		4u
#define PKH_PROP_HEAD_SIZE	8u
/* Bytes of one memory reservation map entry: address and size. */
#define PKH_RSV_ENTRY_SIZE	16u

static u32 pkh_fdt_be32_at(const void *fdt, size_t off)
{
	fdt32_t v;

	memcpy(&v, (const u8 *)fdt + off, sizeof(v));
	return fdt32_to_cpu(v);
}

static u64 pkh_fdt_be64_at(const void *fdt, size_t off)
{
	fdt64_t v;

	memcpy(&v, (const u8 *)fdt + off, sizeof(v));
	return fdt64_to_cpu(v);
}

/* The reservation map ends inside the tree. */
static int pkh_fdt_check_rsvmap(const void *fdt, size_t total)
{
	size_t off = fdt_off_mem_rsvmap(fdt);

	for (;;) {
		if (off > total || total - off < PKH_RSV_ENTRY_SIZE)
			return -FDT_ERR_TRUNCATED;
		if (!pkh_fdt_be64_at(fdt, off + 8))
			return 0;
		off += PKH_RSV_ENTRY_SIZE;
	}
}

/* The property name at @nameoff lies in the strings block and ends there. */
static int pkh_fdt_check_name(const void *fdt, size_t total, u32 nameoff)
{
	size_t strings = fdt_off_dt_strings(fdt);
	size_t len;

	if (nameoff > INT_MAX)
		return -FDT_ERR_BADOFFSET;
	if (strings + nameoff >= total)
		return -FDT_ERR_BADOFFSET;
	len = total - (strings + nameoff);
	if (fdt_version(fdt) >= 17) {
		if (nameoff >= fdt_size_dt_strings(fdt))
			return -FDT_ERR_BADOFFSET;
		if (fdt_size_dt_strings(fdt) - nameoff < len)
			len = fdt_size_dt_strings(fdt) - nameoff;
	}
	if (!memchr((const u8 *)fdt + strings + nameoff, 0, len))
		return -FDT_ERR_TRUNCATED;
	return 0;
}

/**
 * pkh_fdt_check_full() - check a whole flattened device tree
 * @fdt:     the tree, 8-byte aligned
 * @bufsize: bytes readable at @fdt
 *
 * The kernel's stand-in for libfdt's fdt_check_full(); see the top of this
 * file for what it checks.  It reads nothing outside [@fdt, @fdt +
 * @bufsize) and takes time linear in the size of the tree.
 *
 * Return: 0 if the tree is well formed, else a negative FDT_ERR_* code.
 */
int pkh_fdt_check_full(const void *fdt, size_t bufsize)
{
	const u8 *nul;
	size_t total, base, limit, off, end;
	unsigned int depth = 0;
	bool root_done = false;
	u32 tag, len;
	int ret;

	if (bufsize < FDT_V1_SIZE || bufsize < fdt_header_size(fdt))
		return -FDT_ERR_TRUNCATED;
	ret = fdt_check_header(fdt);
	if (ret)
		return ret;
	if (fdt_version(fdt) < 16)
		return -FDT_ERR_BADVERSION;
	total = fdt_totalsize(fdt);
	if (bufsize < total)
		return -FDT_ERR_TRUNCATED;
	ret = pkh_fdt_check_rsvmap(fdt, total);
	if (ret)
		return ret;

	/* fdt_check_header() put the structure block inside the tree. */
	base = fdt_off_dt_struct(fdt);
	limit = fdt_version(fdt) >= 17 ? fdt_size_dt_struct(fdt) :
		total - base;

	for (off = 0;; off = ALIGN(end, PKH_TAG_SIZE)) {
		if (off > limit || limit - off < PKH_TAG_SIZE)
			return -FDT_ERR_TRUNCATED;
		tag = pkh_fdt_be32_at(fdt, base + off);
		end = off + PKH_TAG_SIZE;

		if (root_done && tag != FDT_END)
			return -FDT_ERR_BADSTRUCTURE;

		switch (tag) {
		case FDT_BEGIN_NODE:
			nul = memchr((const u8 *)fdt + base + end, 0,
				     limit - end);
			if (!nul)
				return -FDT_ERR_TRUNCATED;
			/* A node at depth 0 is the root: its name is "". */
			if (!depth && nul != (const u8 *)fdt + base + end)
				return -FDT_ERR_BADSTRUCTURE;
			end = nul - ((const u8 *)fdt + base) + 1;
			if (depth == INT_MAX)
				return -FDT_ERR_BADSTRUCTURE;
			depth++;
			break;
		case FDT_END_NODE:
			if (!depth)
				return -FDT_ERR_BADSTRUCTURE;
			if (!--depth)
				root_done = true;
			break;
		case FDT_PROP:
			if (limit - end < PKH_PROP_HEAD_SIZE)
				return -FDT_ERR_TRUNCATED;
			len = pkh_fdt_be32_at(fdt, base + end);
			if (len > limit - end - PKH_PROP_HEAD_SIZE)
				return -FDT_ERR_TRUNCATED;
			ret = pkh_fdt_check_name(fdt, total,
						 pkh_fdt_be32_at(fdt,
								 base + end + 4));
			if (ret)
				return ret;
			end += PKH_PROP_HEAD_SIZE + len;
			break;
		case FDT_NOP:
			break;
		case FDT_END:
			return depth ? -FDT_ERR_BADSTRUCTURE : 0;
		default:
			return -FDT_ERR_BADSTRUCTURE;
		}
	}
}
