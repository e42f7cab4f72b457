// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the kernel's FDT checker (pkh_fdt_check_full(),
 * kernel/linux/kernel/pkhandover/pkh_fdt_check.c), differential against
 * libfdt's fdt_check_full().
 *
 * Each input is checked as a tree three ways:
 *  1. as it is, in a buffer of exactly its size (ASan sees any read past it);
 *  2. with the FDT header's totalsize set to the input's size, so that
 *     mutations reach the walk instead of stopping at the size check;
 *  3. as a blob's payload: the bytes after a 32-byte handover header.
 * The kernel's checker and libfdt must both accept or both refuse; where
 * libfdt 1.6.1 cannot be asked (tests/tools/fdt_oracle.h) the kernel's
 * answer must be the one the oracle names.  A disagreement aborts.
 */
#include <stdint.h>
#include <stdlib.h>

#include "pkh_compat.h"
#include "../tools/fdt_oracle.h"

static void check(const u8 *data, size_t size)
{
	u8 *copy = malloc(size ? size : 1);
	int kernel, libfdt;

	if (!copy)
		return;
	memcpy(copy, data, size);	/* malloc's memory is 8-byte aligned */
	kernel = pkh_fdt_check_full(copy, size);
	switch (fdt_oracle(copy, size)) {
	case FDT_ORACLE_OLD_VERSION:
		if (kernel != -FDT_ERR_BADVERSION)
			abort();
		break;
	case FDT_ORACLE_HUGE_PROPERTY:
		if (!kernel)
			abort();
		break;
	case FDT_ORACLE_LIBFDT:
		libfdt = fdt_check_full(copy, size);
		if (!kernel != !libfdt) {
			fprintf(stderr, "kernel: %s, libfdt: %s\n",
				fdt_strerror(kernel), fdt_strerror(libfdt));
			abort();
		}
		break;
	}
	if (kernel > 0 || kernel < -FDT_ERR_MAX)
		abort();
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	u8 *copy;

	/* 1: as given */
	check(data, size);

	/* 2: the header's totalsize is the input's size */
	if (size >= 8 && size <= UINT32_MAX) {
		copy = malloc(size);
		if (!copy)
			return 0;
		memcpy(copy, data, size);
		copy[4] = size >> 24;
		copy[5] = size >> 16;
		copy[6] = size >> 8;
		copy[7] = size;
		check(copy, size);
		free(copy);
	}

	/* 3: the payload of a blob */
	if (size > 32)
		check(data + 32, size - 32);
	return 0;
}
