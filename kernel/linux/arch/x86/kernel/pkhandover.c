// SPDX-License-Identifier: GPL-2.0-only
/*
 * Find the pkhandover blob among the setup_data entries the previous
 * kernel (kexec --live-update) attached, copy it out and have it
 * validated.  See kernel/pkhandover/handover.c.
 */

#define pr_fmt(fmt) "pkhandover: " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/memblock.h>
#include <linux/pkhandover.h>
#include <linux/pkhandover/abi.h>
#include <linux/pkhandover/errors.h>
#include <linux/sizes.h>
#include <asm/bootparam.h>
#include <asm/early_ioremap.h>
#include <asm/sections.h>
#include <asm/setup.h>

/* More entries than this means a corrupt (for example cyclic) list. */
#define PKH_MAX_SETUP_DATA	1024
/* early_memremap() maps at most NR_FIX_BTMAPS pages at a time. */
#define PKH_COPY_CHUNK		SZ_64K

/* Copies @len bytes of physical memory at @pa to @dst. */
static bool __init pkh_copy_from_phys(void *dst, u64 pa, u64 len)
{
	u64 n;
	void *src;

	while (len) {
		n = min_t(u64, len, PKH_COPY_CHUNK);
		src = early_memremap(pa, n);
		if (!src)
			return false;
		memcpy(dst, src, n);
		early_memunmap(src, n);
		dst += n;
		pa += n;
		len -= n;
	}
	return true;
}

/**
 * x86_pkhandover_receive() - receive a handover from setup_data
 *
 * Called from setup_arch() once memblock can allocate.  Walks
 * boot_params.hdr.setup_data for entries of type PKH_SETUP_DATA_TYPE: none
 * means no handover; more than one, or one over the size cap, is refused
 * here; a single one is copied into memblock memory and handed to
 * pkhandover_receive() together with what the boot needs (the kernel
 * image, the initrd and every setup_data entry), which no region of the
 * blob may overlap.  SETUP_INDIRECT entries are not looked into.
 */
void __init x86_pkhandover_receive(void)
{
	struct pkhandover_range *reserved;
	u64 pa, next, blob_pa = 0, len, blob_len = 0;
	unsigned int nr = 0, found = 0, n;
	phys_addr_t base, size;
	struct setup_data *sd;
	size_t reserved_size;
	void *blob;
	u32 type;

	for (pa = boot_params.hdr.setup_data; pa && nr < PKH_MAX_SETUP_DATA;
	     pa = next) {
		sd = early_memremap(pa, sizeof(*sd));
		if (!sd)
			break;
		type = sd->type;
		len = sd->len;
		next = sd->next;
		early_memunmap(sd, sizeof(*sd));
		nr++;
		if (type == PKH_SETUP_DATA_TYPE && !found++) {
			blob_pa = pa + sizeof(*sd);
			blob_len = len;
		}
	}

	if (!found) {
		if (pkernfs_carveout_reserved(&base, &size))
			pr_info("no handover: nothing adopted this boot\n");
		return;
	}
	if (found > 1) {
		pkhandover_reject(PKH_ERR_DUPLICATE, "setup_data",
				  "%u entries of type 0x%08x, one expected",
				  found, PKH_SETUP_DATA_TYPE);
		return;
	}
	if (blob_len > PKH_MAX_BLOB_SIZE) {
		pkhandover_reject(PKH_ERR_TOO_LARGE, "setup_data",
				  "entry of %llu bytes, the cap is %u",
				  blob_len, PKH_MAX_BLOB_SIZE);
		return;
	}

	/* The kernel image, the initrd and all setup_data entries. */
	reserved_size = (nr + 2) * sizeof(*reserved);
	reserved = memblock_alloc(reserved_size, SMP_CACHE_BYTES);
	blob = memblock_alloc(max_t(u64, blob_len, 8), 8);
	if (!reserved || !blob) {
		pkhandover_reject(PKH_ERR_NO_MEMORY, "setup_data",
				  "no memory for a copy of %llu bytes",
				  blob_len);
		goto out;
	}
	n = 0;
	reserved[n].start = __pa_symbol(_text);
	reserved[n++].size = __pa_symbol(_end) - __pa_symbol(_text);
	reserved[n].start = boot_params.hdr.ramdisk_image |
			    (u64)boot_params.ext_ramdisk_image << 32;
	reserved[n].size = boot_params.hdr.ramdisk_size |
			   (u64)boot_params.ext_ramdisk_size << 32;
	if (reserved[n].size)
		n++;
	for (pa = boot_params.hdr.setup_data; pa && n < nr + 2; pa = next) {
		sd = early_memremap(pa, sizeof(*sd));
		if (!sd)
			break;
		reserved[n].start = pa;
		reserved[n++].size = sizeof(*sd) + sd->len;
		next = sd->next;
		early_memunmap(sd, sizeof(*sd));
	}

	if (!pkh_copy_from_phys(blob, blob_pa, blob_len)) {
		pkhandover_reject(PKH_ERR_NO_MEMORY, "setup_data",
				  "cannot map the entry at 0x%llx", blob_pa);
		goto out;
	}
	pkhandover_receive(blob, blob_len, reserved, n);
	blob = NULL;	/* pkhandover_receive() keeps or frees it */
out:
	if (blob)
		memblock_free(blob, max_t(u64, blob_len, 8));
	if (reserved)
		memblock_free(reserved, reserved_size);
}
