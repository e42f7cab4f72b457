// SPDX-License-Identifier: GPL-2.0-only
/*
 * Receive a handover from the device tree's /chosen (arm64, and any
 * architecture that boots with a flattened device tree).
 *
 * kexec --live-update puts the blob in /chosen as PKH_CHOSEN_PROP, whole,
 * or, when it is larger than PKH_CHOSEN_INLINE_MAX, in a kexec segment of
 * its own whose place PKH_CHOSEN_RANGE_PROP gives: <u64 address, u64 size>,
 * big endian, whatever #address-cells says.  Nothing else reserves that
 * segment in the new kernel, so it is reserved here before anything can
 * allocate it, and released once the blob is copied out.
 *
 * Two calls from the architecture's setup code:
 *   pkhandover_fdt_reserve()  right after pkernfs_carveout_reserve(), while
 *                             memblock allocates nothing yet: finds the
 *                             properties and reserves a sane range;
 *   pkhandover_fdt_receive()  once the linear map is up and memblock can
 *                             allocate: copies the blob out and has it
 *                             validated by pkhandover_receive().
 *
 * The device tree itself is left as it is: editing it in place would
 * change the CRC that gates /sys/firmware/fdt, which kexec-tools reads.
 * kexec-tools and kexec_file_load drop the properties from the dtb they
 * pass on, so a later plain kexec does not carry a stale handover.
 */

#define pr_fmt(fmt) "pkhandover: " fmt

#include <linux/init.h>
#include <linux/initrd.h>
#include <linux/kernel.h>
#include <linux/libfdt.h>
#include <linux/memblock.h>
#include <linux/of_fdt.h>
#include <linux/pkhandover.h>
#include <linux/pkhandover/abi.h>
#include <linux/pkhandover/errors.h>
#include <linux/unaligned.h>
#include <asm/sections.h>

/* Where a rejection says the handover was. */
#define PKH_WHERE_CHOSEN	"/chosen"

/* What pkhandover_fdt_reserve() found, for pkhandover_fdt_receive(). */
static struct {
	bool found;		/* a handover property is in /chosen */
	bool refused;		/* and it was rejected already */
	const void *inline_blob; /* PKH_CHOSEN_PROP's value, in the dtb */
	u32 inline_size;
	phys_addr_t range_base;	/* PKH_CHOSEN_RANGE_PROP, reserved */
	phys_addr_t range_size;
} pkh_fdt __initdata;

/*
 * Why [@base, @base + @size) cannot hold a range-passed blob, or NULL.
 * The range is reserved now and freed after the copy, so it must be RAM the
 * kernel maps and must not touch anything else the boot keeps (the
 * carve-out, the dtb's firmware reservations, what memblock has reserved:
 * the kernel image, the initrd, the dtb): freeing it would hand that out.
 */
static const char * __init pkh_fdt_range_invalid(u64 base, u64 size)
{
	const char *what;
	u64 start, len;

	if (!size)
		return "it is empty";
	if (size > PKH_MAX_BLOB_SIZE)
		return "it is larger than the blob size cap";
	if (base + size < base)
		return "it wraps around the address space";
	if (!pkernfs_range_is_mapped_ram(base, size))
		return "it is not RAM that the kernel maps";
	if (pkernfs_carveout_overlaps(base, size))
		return "it overlaps the pkernfs carve-out";
	/* memblock does not know these yet; freeing them would be fatal. */
	if (pkhandover_fdt_reservation_in(base, size, &what, &start, &len))
		return "it overlaps memory the dtb reserves for firmware";
	if (memblock_is_region_reserved(base, size))
		return "it overlaps memory reserved during boot";
	return NULL;
}

/**
 * pkhandover_fdt_reserve() - find the handover in /chosen, reserve its range
 *
 * Called by the architecture's setup code once memblock knows the RAM and
 * what the boot reserved (the kernel image, the initrd, the dtb), after
 * pkernfs_carveout_reserve() and before anything allocates from memblock.
 * Both properties at once, a size over the cap, or a range that is not
 * plain RAM of its own is rejected here, and then nothing is reserved: a
 * bogus range covering all RAM must not take the boot's memory.
 */
void __init pkhandover_fdt_reserve(void)
{
	const void *fdt = initial_boot_params;
	const void *inline_blob, *range;
	int node, inline_len, range_len;
	const char *why;
	u64 base, size;

	if (!fdt)
		return;
	node = fdt_path_offset(fdt, PKH_WHERE_CHOSEN);
	if (node < 0)
		return;
	inline_blob = fdt_getprop(fdt, node, PKH_CHOSEN_PROP, &inline_len);
	range = fdt_getprop(fdt, node, PKH_CHOSEN_RANGE_PROP, &range_len);
	if (!inline_blob && !range)
		return;
	pkh_fdt.found = true;
	pkh_fdt.refused = true;

	if (inline_blob && range) {
		pkhandover_reject(PKH_ERR_DUPLICATE, PKH_WHERE_CHOSEN,
				  "both %s and %s, one expected",
				  PKH_CHOSEN_PROP, PKH_CHOSEN_RANGE_PROP);
		return;
	}
	if (inline_blob) {
		if (inline_len > PKH_MAX_BLOB_SIZE) {
			pkhandover_reject(PKH_ERR_TOO_LARGE, PKH_WHERE_CHOSEN,
					  "%s of %d bytes, the cap is %u",
					  PKH_CHOSEN_PROP, inline_len,
					  PKH_MAX_BLOB_SIZE);
			return;
		}
		pkh_fdt.inline_blob = inline_blob;
		pkh_fdt.inline_size = inline_len;
		pkh_fdt.refused = false;
		return;
	}

	if (range_len != 2 * sizeof(u64)) {
		pkhandover_reject(PKH_ERR_BAD_LENGTH, PKH_WHERE_CHOSEN,
				  "%s is %d bytes, 16 expected (two big-endian u64)",
				  PKH_CHOSEN_RANGE_PROP, range_len);
		return;
	}
	base = get_unaligned_be64(range);
	size = get_unaligned_be64(range + sizeof(u64));
	why = pkh_fdt_range_invalid(base, size);
	if (why) {
		pkhandover_reject(PKH_ERR_OUT_OF_BOUNDS, PKH_WHERE_CHOSEN,
				  "%s 0x%llx+0x%llx: %s; nothing reserved",
				  PKH_CHOSEN_RANGE_PROP, base, size, why);
		return;
	}
	if (memblock_reserve(base, size)) {
		pkhandover_reject(PKH_ERR_NO_MEMORY, PKH_WHERE_CHOSEN,
				  "cannot reserve %s 0x%llx+0x%llx",
				  PKH_CHOSEN_RANGE_PROP, base, size);
		return;
	}
	pkh_fdt.range_base = base;
	pkh_fdt.range_size = size;
	pkh_fdt.refused = false;
}

/**
 * pkhandover_fdt_receive() - validate the handover found in /chosen
 *
 * Called by the architecture's setup code once the linear map covers RAM
 * and memblock can allocate, before the device tree is unflattened.
 * Copies the blob into memblock memory and hands it to pkhandover_receive()
 * with what the boot needs (the kernel image, the initrd, the dtb and the
 * range the blob came in), which no region of the blob may overlap.  The
 * range is given back to memblock afterwards: /sys/kernel/pkhandover/received
 * keeps the copy.
 */
void __init pkhandover_fdt_receive(void)
{
	struct pkhandover_range reserved[4];
	phys_addr_t base, size;
	unsigned int n = 0;
	size_t blob_size;
	void *blob;

	if (!pkh_fdt.found) {
		if (pkernfs_carveout_reserved(&base, &size))
			pr_info("no handover: nothing adopted this boot\n");
		return;
	}
	if (pkh_fdt.refused)
		return;

	blob_size = pkh_fdt.inline_blob ? pkh_fdt.inline_size :
					  pkh_fdt.range_size;
	blob = memblock_alloc(max_t(size_t, blob_size, 8), 8);
	if (!blob) {
		pkhandover_reject(PKH_ERR_NO_MEMORY, PKH_WHERE_CHOSEN,
				  "no memory for a copy of %zu bytes",
				  blob_size);
		goto out;
	}
	/*
	 * The range was checked to be RAM without NOMAP, which the linear
	 * map covers once paging_init() has run.
	 */
	memcpy(blob, pkh_fdt.inline_blob ? pkh_fdt.inline_blob :
		     phys_to_virt(pkh_fdt.range_base), blob_size);

	reserved[n].start = __pa_symbol(_text);
	reserved[n++].size = __pa_symbol(_end) - __pa_symbol(_text);
	if (IS_ENABLED(CONFIG_BLK_DEV_INITRD) && phys_initrd_size) {
		reserved[n].start = phys_initrd_start;
		reserved[n++].size = phys_initrd_size;
	}
	reserved[n].start = initial_boot_params_pa;
	reserved[n++].size = fdt_totalsize(initial_boot_params);
	if (pkh_fdt.range_size) {
		reserved[n].start = pkh_fdt.range_base;
		reserved[n++].size = pkh_fdt.range_size;
	}
	pkhandover_receive(blob, blob_size, reserved, n);
out:
	if (pkh_fdt.range_size)
		memblock_phys_free(pkh_fdt.range_base, pkh_fdt.range_size);
}
