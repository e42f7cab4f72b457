// SPDX-License-Identifier: GPL-2.0-only
/*
 * The pkernfs carve-out: pkernfs=SIZE@ADDR on the kernel command line.
 *
 * The carve-out is RAM that both the old and the new kernel of a live
 * update keep away from the page allocator: pkernfs keeps its metadata and
 * its files (guest RAM) there, so they survive a kexec.  Every kernel in
 * the chain is booted with the same pkernfs= option, and each reserves the
 * range before anything can allocate memory, whether or not a handover
 * blob came with it.
 *
 * The option is parsed early, but the range is reserved from setup_arch()
 * right after memblock learns which memory is RAM (memblock allocations
 * cannot happen before that), so that the range can be checked against
 * RAM and against what the boot has already reserved.  After boot the
 * range is claimed in /proc/iomem as "pkernfs", busy and exclusive, so
 * that no driver can claim it and /dev/mem cannot map it.
 *
 * Policy for bad values, each logged with the reason:
 * - malformed, zero-sized, not 2 MiB aligned, below 1 MiB, wrapping
 *   around, too many blocks, or not entirely RAM: the option is ignored,
 *   nothing is reserved;
 * - overlapping memory the boot already reserved (the kernel image, the
 *   initrd, setup_data, the dtb, firmware areas, including the dtb's
 *   /memreserve/ entries and /reserved-memory nodes, which memblock learns
 *   of only later on arm64): its contents cannot be trusted, so pkernfs
 *   will not use it, but the range is still reserved so that whatever
 *   survived there is not handed out.
 */

#define pr_fmt(fmt) "pkernfs: " fmt

#include <linux/init.h>
#include <linux/ioport.h>
#include <linux/kernel.h>
#include <linux/libfdt.h>
#include <linux/memblock.h>
#include <linux/of.h>
#include <linux/of_fdt.h>
#include <linux/pkhandover.h>
#include <linux/pkhandover/abi.h>
#include <linux/sizes.h>
#include <asm/sections.h>

enum pkernfs_carveout_state {
	PKERNFS_CARVEOUT_NONE,		/* no (valid) pkernfs= option */
	PKERNFS_CARVEOUT_USABLE,	/* reserved, pkernfs may use it */
	PKERNFS_CARVEOUT_UNUSABLE,	/* reserved, but pkernfs must not */
};

static struct {
	phys_addr_t base;
	phys_addr_t size;
	enum pkernfs_carveout_state state;
} pkernfs_carveout;

/* What pkernfs= said, until pkernfs_carveout_reserve() checks it. */
static u64 pkernfs_param_base __initdata;
static u64 pkernfs_param_size __initdata;
static bool pkernfs_param_given __initdata;

static struct resource pkernfs_resource = {
	.name	= "pkernfs",
	.flags	= IORESOURCE_MEM | IORESOURCE_BUSY | IORESOURCE_EXCLUSIVE,
	.desc	= IORES_DESC_NONE,
};

static int __init pkernfs_param(char *arg)
{
	char *end;

	if (!arg) {
		pr_err("ignoring pkernfs=: it needs SIZE@ADDR\n");
		return 0;
	}
	if (pkernfs_param_given) {
		pr_err("ignoring pkernfs=%s: only one carve-out is supported\n",
		       arg);
		return 0;
	}
	pkernfs_param_size = memparse(arg, &end);
	if (end == arg || *end != '@') {
		pr_err("ignoring pkernfs=%s: it needs SIZE@ADDR\n", arg);
		return 0;
	}
	arg = end + 1;
	pkernfs_param_base = memparse(arg, &end);
	if (end == arg || *end) {
		pr_err("ignoring pkernfs=%s: ADDR is not a number\n", arg);
		return 0;
	}
	pkernfs_param_given = true;
	return 0;
}
early_param("pkernfs", pkernfs_param);

/**
 * pkernfs_range_is_mapped_ram() - whether a range is RAM the kernel maps
 * @base: physical address of the first byte
 * @size: bytes
 *
 * RAM that firmware marks no-map (MEMBLOCK_NOMAP, e.g. EFI runtime areas on
 * arm64) stays in memblock's memory but out of the linear map, where
 * pkernfs and the handover code reach it; it does not count.
 *
 * Return: true if [@base, @base + @size) is entirely such RAM.
 */
bool __init pkernfs_range_is_mapped_ram(phys_addr_t base, phys_addr_t size)
{
	struct memblock_region *r;

	if (!memblock_is_region_memory(base, size))
		return false;
	for_each_mem_region(r) {
		if (r->base < base + size && r->base + r->size > base &&
		    memblock_is_nomap(r))
			return false;
	}
	return true;
}

/* Why [base, base + size) cannot be a carve-out at all, or NULL. */
static const char * __init pkernfs_carveout_invalid(u64 base, u64 size)
{
	if (!size)
		return "the size is zero";
	if (!IS_ALIGNED(base, PKH_REGION_ALIGN) ||
	    !IS_ALIGNED(size, PKH_REGION_ALIGN))
		return "base and size must be multiples of 2 MiB";
	if (base + size < base || base + size - 1 > (u64)PHYS_ADDR_MAX)
		return "the range wraps around the address space";
	if (base < PKH_LOW_MEMORY_END)
		return "it starts in the low 1 MiB";
	if (size / PKH_REGION_ALIGN > PKH_MAX_REGION_BLOCKS)
		return "it is larger than the handover format can describe";
	if (!memblock_is_region_memory(base, size))
		return "it is not entirely RAM";
	if (!pkernfs_range_is_mapped_ram(base, size))
		return "part of it is RAM that the kernel does not map (no-map)";
	return NULL;
}

#ifdef CONFIG_OF_EARLY_FLATTREE
/* Whether [@start, @start + @len) meets [@base, @base + @size). */
static bool __init pkh_ranges_meet(u64 start, u64 len, u64 base, u64 size)
{
	/* An entry that wraps reaches the top of the address space. */
	u64 end = start + len < start ? U64_MAX : start + len;

	return len && start < base + size && end > base;
}

/**
 * pkhandover_fdt_reservation_in() - firmware memory in a range
 * @base: physical address of the range
 * @size: its size (base + size does not wrap)
 * @what: set to what the dtb reserves there
 * @start: set to the reservation's start
 * @len: set to its size
 *
 * Looks for a firmware reservation of the dtb, a /memreserve/ entry or a
 * /reserved-memory node's reg, that overlaps the range.  memblock learns of
 * them only in early_init_fdt_scan_reserved_mem(), after the carve-out and
 * a handover's range are reserved, and firmware may write such memory
 * behind the kernel's back.  A /reserved-memory whose cell sizes cannot be
 * read counts as overlapping everything: its ranges are unknown.
 *
 * Return: true, and the first overlap, if there is one.
 */
bool __init pkhandover_fdt_reservation_in(u64 base, u64 size,
					  const char **what, u64 *start,
					  u64 *len)
{
	int parent, node, reg_len, addr_cells, size_cells, cells, i;
	const void *fdt = initial_boot_params;
	const __be32 *reg;

	if (!fdt)
		return false;
	*what = "/memreserve/";
	for (i = 0; !fdt_get_mem_rsv(fdt, i, start, len) && *len; i++)
		if (pkh_ranges_meet(*start, *len, base, size))
			return true;

	parent = fdt_path_offset(fdt, "/reserved-memory");
	if (parent < 0)
		return false;
	*what = "/reserved-memory";
	addr_cells = fdt_address_cells(fdt, parent);
	size_cells = fdt_size_cells(fdt, parent);
	if (addr_cells < 1 || addr_cells > 2 || size_cells < 1 ||
	    size_cells > 2) {
		*what = "/reserved-memory (unreadable #address-cells or #size-cells)";
		*start = 0;
		*len = U64_MAX;
		return true;
	}
	cells = addr_cells + size_cells;
	fdt_for_each_subnode(node, fdt, parent) {
		reg = fdt_getprop(fdt, node, "reg", &reg_len);
		for (i = 0; reg && (i + 1) * cells * 4 <= reg_len; i++) {
			*start = of_read_number(reg + i * cells, addr_cells);
			*len = of_read_number(reg + i * cells + addr_cells,
					      size_cells);
			if (pkh_ranges_meet(*start, *len, base, size))
				return true;
		}
	}
	return false;
}
#endif

/* Reports the first firmware reservation of the dtb in the carve-out. */
static bool __init pkernfs_fdt_reservations_overlap(phys_addr_t base,
						    phys_addr_t size)
{
	const char *what;
	u64 start, len;

	if (!pkhandover_fdt_reservation_in(base, size, &what, &start, &len))
		return false;
	pr_err("carve-out %pa+%pa overlaps %s 0x%llx+0x%llx: reserved, not used\n",
	       &base, &size, what, start, len);
	return true;
}

/*
 * Reports the first range the boot reserved that overlaps the carve-out.
 * Returns true if there is one.
 */
static bool __init pkernfs_carveout_conflicts(phys_addr_t base,
					      phys_addr_t size)
{
	phys_addr_t start, end, kstart, kend;
	const char *what;
	u64 i;

	if (pkernfs_fdt_reservations_overlap(base, size))
		return true;
	if (!memblock_is_region_reserved(base, size))
		return false;
	kstart = __pa_symbol(_text);
	kend = __pa_symbol(_end);
	for_each_reserved_mem_range(i, &start, &end) {
		if (end <= base || start >= base + size)
			continue;
		what = start < kend && end > kstart ? "the kernel image" :
		       "memory reserved during boot (initrd, setup_data, dtb or firmware)";
		pr_err("carve-out %pa+%pa overlaps %s at %pa-%pa: pkernfs will not use it, it stays reserved\n",
		       &base, &size, what, &start, &end);
		return true;
	}
	return true;
}

/**
 * pkernfs_carveout_reserve() - reserve the pkernfs= carve-out
 *
 * Called by the architecture's setup code as soon as memblock knows the
 * RAM of the machine and before anything allocates from it.  Checks the
 * range given with pkernfs= and, unless it is malformed or not RAM,
 * reserves it in memblock so the page allocator never sees it.
 */
void __init pkernfs_carveout_reserve(void)
{
	u64 base = pkernfs_param_base, size = pkernfs_param_size;
	const char *why;
	bool conflict;

	if (!pkernfs_param_given)
		return;
	why = pkernfs_carveout_invalid(base, size);
	if (why) {
		pr_err("ignoring pkernfs=0x%llx@0x%llx: %s; nothing is reserved\n",
		       size, base, why);
		return;
	}
	conflict = pkernfs_carveout_conflicts(base, size);
	if (memblock_reserve(base, size)) {
		pr_err("cannot reserve pkernfs=0x%llx@0x%llx\n", size, base);
		return;
	}
	pkernfs_carveout.base = base;
	pkernfs_carveout.size = size;
	pkernfs_carveout.state = conflict ? PKERNFS_CARVEOUT_UNUSABLE :
			       PKERNFS_CARVEOUT_USABLE;
	pr_info("carve-out 0x%llx-0x%llx (%llu MiB) reserved%s\n",
		base, base + size - 1, size >> 20,
		conflict ? ", not usable" : "");
}

/* Claims the carve-out in /proc/iomem, inside its "System RAM". */
static int __init pkernfs_carveout_claim(void)
{
	int ret;

	if (pkernfs_carveout.state == PKERNFS_CARVEOUT_NONE)
		return 0;
	pkernfs_resource.start = pkernfs_carveout.base;
	pkernfs_resource.end = pkernfs_carveout.base +
			       pkernfs_carveout.size - 1;
	ret = insert_resource(&iomem_resource, &pkernfs_resource);
	if (ret)
		pr_warn("cannot claim %pR in /proc/iomem: %d\n",
			&pkernfs_resource, ret);
	return 0;
}
core_initcall(pkernfs_carveout_claim);

/**
 * pkernfs_carveout_usable() - the carve-out pkernfs may use
 * @base: set to its physical base
 * @size: set to its size in bytes
 *
 * Return: true and the range if pkernfs= gave a carve-out that is reserved
 * and usable, false (and nothing set) otherwise.
 */
bool pkernfs_carveout_usable(phys_addr_t *base, phys_addr_t *size)
{
	if (pkernfs_carveout.state != PKERNFS_CARVEOUT_USABLE)
		return false;
	*base = pkernfs_carveout.base;
	*size = pkernfs_carveout.size;
	return true;
}

/**
 * pkernfs_carveout_reserved() - the reserved carve-out, usable or not
 * @base: set to its physical base
 * @size: set to its size in bytes
 *
 * Return: true and the range if a carve-out is reserved, even one pkernfs
 * must not use; false (and nothing set) otherwise.
 */
bool pkernfs_carveout_reserved(phys_addr_t *base, phys_addr_t *size)
{
	if (pkernfs_carveout.state == PKERNFS_CARVEOUT_NONE)
		return false;
	*base = pkernfs_carveout.base;
	*size = pkernfs_carveout.size;
	return true;
}

/**
 * pkernfs_carveout_overlaps() - whether a range touches the carve-out
 * @start: physical address of the first byte
 * @size:  bytes; 0 never overlaps
 *
 * Both usable and unusable carve-outs count: either holds memory that
 * must not be overwritten (for example by a kexec segment).
 *
 * Return: true if [@start, @start + @size) shares a byte with it.
 */
bool pkernfs_carveout_overlaps(phys_addr_t start, phys_addr_t size)
{
	phys_addr_t base = pkernfs_carveout.base;

	if (pkernfs_carveout.state == PKERNFS_CARVEOUT_NONE || !size)
		return false;
	if (start >= base)
		return start - base < pkernfs_carveout.size;
	return base - start < size;
}
