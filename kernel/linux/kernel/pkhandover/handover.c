// SPDX-License-Identifier: GPL-2.0-only
/*
 * Receiving a handover blob in early boot.
 *
 * The architecture finds the blob the previous kernel attached to this
 * one (x86: a setup_data entry of type PKH_SETUP_DATA_TYPE), copies it
 * into memblock memory and hands the copy to pkhandover_receive() as soon
 * as memblock can allocate.  The copy is validated completely by
 * pkh_parse(); only then is any of it used.
 *
 * Fail-safe: a blob that fails any check is refused as a whole, with one
 * line in the log,
 *
 *   pkhandover: handover rejected: <where>: <why> (<CODE>)
 *
 * and nothing in it is adopted.  The pkernfs carve-out does not depend on
 * the blob: it is reserved from the command line before the blob is even
 * looked at, and stays reserved whatever happens here.
 *
 * Beyond what pkh_parse() checks, every region must lie inside the
 * reserved, usable carve-out.  That is also why no further memory needs
 * reserving for a blob: everything it preserves is inside the carve-out,
 * and the blob itself is a memblock allocation that is never freed.
 */

#define pr_fmt(fmt) "pkhandover: " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/pkhandover.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "pkh_parse.h"

static struct pkhandover_info pkh_info;
static_assert(sizeof(pkh_info.metadata_digest) == PKH_METADATA_DIGEST_SIZE);

/* Name and text of each PKH_ERR_* code, in enum order. */
static const char *const pkh_errors[][2] = {
#define PKH_ERROR_NAME(name, text) { #name, text },
	PKH_ERROR_LIST(PKH_ERROR_NAME)
#undef PKH_ERROR_NAME
};

/**
 * pkhandover_error_name() - the name of a PKH_ERR_* code, e.g. "BAD_CRC"
 * @code: the code, positive or negated
 *
 * Return: a static string; "UNKNOWN" for codes out of range.
 */
const char *pkhandover_error_name(int code)
{
	if (code < 0)
		code = -code;
	if (code >= ARRAY_SIZE(pkh_errors))
		return "UNKNOWN";
	return pkh_errors[code][0];
}

/**
 * pkhandover_get_info() - what this boot received
 *
 * Return: the outcome of this boot's handover; constant after early boot.
 */
const struct pkhandover_info *pkhandover_get_info(void)
{
	return &pkh_info;
}

static void __init pkh_log_rejected(void)
{
	pr_err("handover rejected: %s: %s (%s)\n", pkh_info.where,
	       pkh_info.why, pkhandover_error_name(pkh_info.error));
	pr_err("nothing from the handover is adopted; the pkernfs carve-out stays reserved\n");
}

/**
 * pkhandover_reject() - refuse this boot's handover before parsing it
 * @code:  the PKH_ERR_* code
 * @where: what was wrong, e.g. "setup_data"
 * @fmt:   printf format of the reason
 *
 * For the architecture code that looks for the blob: reports a blob that
 * cannot even be handed to pkhandover_receive(), for example one that is
 * over the size cap or comes twice.
 */
void __init pkhandover_reject(int code, const char *where,
			      const char *fmt, ...)
{
	va_list ap;

	pkh_info.status = PKHANDOVER_REJECTED;
	pkh_info.error = code;
	strscpy(pkh_info.where, where, sizeof(pkh_info.where));
	va_start(ap, fmt);
	vsnprintf(pkh_info.why, sizeof(pkh_info.why), fmt, ap);
	va_end(ap);
	pkh_log_rejected();
}

/* ------------------------------------------------------------ early parse */

/* What the callbacks of the early parse gather. */
struct pkh_receive {
	phys_addr_t base;	/* the usable carve-out, if any */
	phys_addr_t size;
	bool have_carveout;
	unsigned int region;	/* index of the region being published */
	char where[96];		/* a callback's reason to refuse */
	char why[160];
};

static void * __init pkh_early_alloc(void *ctx, size_t size)
{
	return memblock_alloc(size, SMP_CACHE_BYTES);
}

static void __init pkh_early_free(void *ctx, void *ptr, size_t size)
{
	memblock_free(ptr, size);
}

static int __init pkh_early_header(void *ctx,
				   const struct pkh_header_info *hi)
{
	pkh_info.abi_major = hi->abi_major;
	pkh_info.abi_minor = hi->abi_minor;
	pkh_info.generation = hi->generation;
	pkh_info.nonce = hi->nonce;
	pkh_info.creator = hi->creator;
	return 0;
}

static int __init pkh_early_region(void *ctx,
				   const struct pkh_region_info *ri)
{
	struct pkh_receive *r = ctx;

	r->region = ri->index;
	if (!r->have_carveout) {
		snprintf(r->where, sizeof(r->where), "/regions/region@%x",
			 ri->index);
		snprintf(r->why, sizeof(r->why),
			 "0x%llx+0x%llx: this kernel has no usable pkernfs= carve-out",
			 ri->base, ri->size);
		return 1;
	}
	if (ri->base < r->base || ri->size > r->size ||
	    ri->base - r->base > r->size - ri->size) {
		snprintf(r->where, sizeof(r->where), "/regions/region@%x",
			 ri->index);
		snprintf(r->why, sizeof(r->why),
			 "0x%llx+0x%llx is not inside the pkernfs carve-out 0x%llx+0x%llx",
			 ri->base, ri->size, (u64)r->base, (u64)r->size);
		return 1;
	}
	pkh_info.nr_regions++;
	pkh_info.nr_ranges += ri->nr_metadata;
	if (ri->base == r->base && ri->size == r->size) {
		pkh_info.has_carveout_region = true;
		pkh_info.carveout_region = ri->index;
		pkh_info.block_size = ri->block_size;
		pkh_info.region_flags = ri->flags;
		memcpy(pkh_info.fs_uuid, ri->fs_uuid, sizeof(pkh_info.fs_uuid));
		/* Into the blob, which is kept if it validates. */
		pkh_info.metadata = ri->metadata;
		pkh_info.nr_metadata = ri->nr_metadata;
		if (ri->metadata_digest)
			memcpy(pkh_info.metadata_digest, ri->metadata_digest,
			       sizeof(pkh_info.metadata_digest));
	}
	return 0;
}

static int __init pkh_early_file(void *ctx, const struct pkh_file_info *fi)
{
	pkh_info.nr_files++;
	pkh_info.nr_extents += fi->nr_extents;
	return 0;
}

static int __init pkh_early_unit(void *ctx,
				 const struct pkh_iommu_unit_info *ui)
{
	pkh_info.nr_units++;
	return 0;
}

static int __init pkh_early_domain(void *ctx,
				   const struct pkh_iommu_domain_info *di)
{
	pkh_info.nr_domains++;
	return 0;
}

static int __init pkh_early_device(void *ctx,
				   const struct pkh_device_info *di)
{
	pkh_info.nr_devices++;
	return 0;
}

/* The RAM memblock knows, adjacent ranges merged; NULL if no memory. */
static struct pkh_phys_range * __init pkh_ram_ranges(unsigned int *nr,
						     size_t *alloc_size)
{
	struct pkh_phys_range *ram;
	phys_addr_t start, end;
	unsigned int n = 0;
	u64 i;

	*alloc_size = max_t(size_t, memblock.memory.cnt, 1) * sizeof(*ram);
	ram = memblock_alloc(*alloc_size, SMP_CACHE_BYTES);
	if (!ram)
		return NULL;
	for_each_mem_range(i, &start, &end) {
		if (n && ram[n - 1].start + ram[n - 1].size == start) {
			ram[n - 1].size += end - start;
			continue;
		}
		if (n == memblock.memory.cnt)
			break;
		ram[n].start = start;
		ram[n].size = end - start;
		n++;
	}
	*nr = n;
	return ram;
}

/**
 * pkhandover_receive() - validate this boot's handover blob
 * @blob:        a copy of the blob, from memblock_alloc(); 8-byte aligned
 * @size:        its size in bytes
 * @reserved:    what the boot needs and no region may overlap: the kernel
 *               image, the initrd, setup_data...
 * @nr_reserved: entries in @reserved
 *
 * Called once by the architecture, in early boot, after the carve-out is
 * reserved and when memblock can allocate.  Validates the whole blob and
 * checks that every region lies inside the usable pkernfs carve-out.  On
 * success the copy is kept (pkhandover_get_info()) and a summary logged;
 * on failure the copy is freed, the reason logged, and nothing adopted.
 */
void __init pkhandover_receive(void *blob, size_t size,
			       const struct pkhandover_range *reserved,
			       unsigned int nr_reserved)
{
	struct pkh_phys_range *ram, *boot;
	struct pkh_memory_map map = { };
	struct pkh_parse_ops ops = {
		.alloc = pkh_early_alloc,
		.free = pkh_early_free,
		.header = pkh_early_header,
		.region = pkh_early_region,
		.file = pkh_early_file,
		.iommu_unit = pkh_early_unit,
		.iommu_domain = pkh_early_domain,
		.device = pkh_early_device,
	};
	struct pkh_receive r = { };
	size_t ram_size, boot_size = 0;
	struct pkh_error err;
	unsigned int i;
	u64 t0;
	int ret;

	r.have_carveout = pkernfs_carveout_usable(&r.base, &r.size);
	ops.ctx = &r;

	ram = pkh_ram_ranges(&map.nr_ram, &ram_size);
	boot = NULL;
	if (nr_reserved) {
		boot_size = nr_reserved * sizeof(*boot);
		boot = memblock_alloc(boot_size, SMP_CACHE_BYTES);
	}
	if (!ram || (nr_reserved && !boot)) {
		pkhandover_reject(PKH_ERR_NO_MEMORY, "boot",
				  "no memory for the memory map");
		goto out_free;
	}
	for (i = 0; i < nr_reserved; i++) {
		boot[i].start = reserved[i].start;
		boot[i].size = reserved[i].size;
	}
	map.ram = ram;
	map.reserved = boot;
	map.nr_reserved = nr_reserved;

	t0 = local_clock();
	ret = pkh_parse(blob, size, &map, &ops, &err);
	pkh_info.parse_ns = local_clock() - t0;

	if (ret > 0) {
		/* A callback refused: a region outside the carve-out. */
		memset(&pkh_info, 0, sizeof(pkh_info));
		pkhandover_reject(PKH_ERR_OUT_OF_BOUNDS, r.where, "%s", r.why);
	} else if (ret < 0) {
		pkh_info.status = PKHANDOVER_REJECTED;
		pkh_info.error = err.code;
		strscpy(pkh_info.where, err.where, sizeof(pkh_info.where));
		strscpy(pkh_info.why, err.why, sizeof(pkh_info.why));
		pkh_log_rejected();
	} else {
		pkh_info.status = PKHANDOVER_ACCEPTED;
		pkh_info.blob = blob;
		pkh_info.size = size;
		/* v1 lists every file's extents, v2 where the metadata is. */
		pr_info("handover accepted: generation %llu, %u regions, %u files, %lu %s, %u IOMMU units, %u domains, %u devices (nonce 0x%016llx, ABI %u.%u, creator \"%s\"; parsed in %llu us)\n",
			pkh_info.generation, pkh_info.nr_regions,
			pkh_info.nr_files,
			pkh_info.abi_major == 1 ? pkh_info.nr_extents :
						  pkh_info.nr_ranges,
			pkh_info.abi_major == 1 ? "extents" : "metadata ranges",
			pkh_info.nr_units, pkh_info.nr_domains,
			pkh_info.nr_devices, pkh_info.nonce,
			pkh_info.abi_major, pkh_info.abi_minor,
			pkh_info.creator, pkh_info.parse_ns / NSEC_PER_USEC);
		if (pkh_info.nr_units || pkh_info.nr_domains ||
		    pkh_info.nr_devices)
			pr_info("%u IOMMU units and %u devices handed over: the IOMMU driver adopts what validates when it starts\n",
				pkh_info.nr_units, pkh_info.nr_devices);
		blob = NULL;
	}

out_free:
	if (ram)
		memblock_free(ram, ram_size);
	if (boot)
		memblock_free(boot, boot_size);
	if (blob)
		memblock_free(blob, max_t(size_t, size, 8));
}

/* ------------------------------------------------------------ later walks */

struct pkh_walk {
	struct pkhandover_file_walk *walk;
	bool in_carveout_region;
	int ret;
};

static void *pkh_walk_alloc(void *ctx, size_t size)
{
	return kvmalloc(size, GFP_KERNEL);
}

static void pkh_walk_free(void *ctx, void *ptr, size_t size)
{
	kvfree(ptr);
}

static int pkh_walk_region(void *ctx, const struct pkh_region_info *ri)
{
	struct pkh_walk *w = ctx;

	w->in_carveout_region = ri->index == pkh_info.carveout_region;
	return 0;
}

static int pkh_walk_file(void *ctx, const struct pkh_file_info *fi)
{
	struct pkh_walk *w = ctx;
	struct pkhandover_file f;

	if (!w->in_carveout_region)
		return 0;
	f.name = fi->name;
	f.inode = fi->inode;
	f.size = fi->size;
	f.extents = fi->extents;
	f.nr_extents = fi->nr_extents;
	w->ret = w->walk->file(w->walk, &f);
	/* pkh_parse() returns what a callback returns: keep errnos apart. */
	return w->ret ? 1 : 0;
}

/**
 * pkhandover_walk_files() - walk the received files of the carve-out
 * @walk: its ->file() is called for each file of the region that is the
 *        pkernfs carve-out, in the blob's order (ascending inode); a
 *        non-zero return stops the walk and is returned
 *
 * Walks the validated copy of this boot's blob again.  May sleep.
 *
 * Return: 0 after the last file, -ENOENT if no blob was accepted or it has
 * no region for the carve-out, -ENOMEM, or what ->file() returned.
 */
int pkhandover_walk_files(struct pkhandover_file_walk *walk)
{
	struct pkh_walk w = { .walk = walk };
	struct pkh_parse_ops ops = {
		.ctx = &w,
		.alloc = pkh_walk_alloc,
		.free = pkh_walk_free,
		.region = pkh_walk_region,
		.file = pkh_walk_file,
	};
	int ret;

	if (pkh_info.status != PKHANDOVER_ACCEPTED ||
	    !pkh_info.has_carveout_region)
		return -ENOENT;
	ret = pkh_parse(pkh_info.blob, pkh_info.size, NULL, &ops, NULL);
	if (ret > 0)
		return w.ret;
	if (ret == -PKH_ERR_NO_MEMORY)
		return -ENOMEM;
	/* The blob validated at boot; it cannot fail another way now. */
	if (WARN_ON_ONCE(ret < 0))
		return -EINVAL;
	return 0;
}

/* ------------------------------------------------------ the IOMMU part */

struct pkh_iommu_walk {
	struct pkhandover_iommu_state *st;
	unsigned int unit, domain, device;
};

static int pkh_walk_unit(void *ctx, const struct pkh_iommu_unit_info *ui)
{
	struct pkh_iommu_walk *w = ctx;
	struct pkh_state_unit *u = &w->st->units[w->unit++];

	u->type = ui->type;
	u->reg_base = ui->reg_base;
	u->segment = ui->segment;
	u->root_table = ui->root_table;
	u->translation_mode = ui->translation_mode;
	u->table_region = ui->table_region;
	return 0;
}

static int pkh_walk_domain(void *ctx, const struct pkh_iommu_domain_info *di)
{
	struct pkh_iommu_walk *w = ctx;
	struct pkhandover_iommu_domain *d = &w->st->domains[w->domain++];

	d->unit = di->unit;
	d->domain_id = di->domain_id;
	d->pgtable_root = di->pgtable_root;
	d->format = di->format;
	d->levels = di->levels;
	d->address_width = di->address_width;
	return 0;
}

static int pkh_walk_device(void *ctx, const struct pkh_device_info *di)
{
	struct pkh_iommu_walk *w = ctx;
	struct pkhandover_device *d = &w->st->devices[w->device++];

	d->pci_address = di->pci_address;
	d->vendor = di->vendor;
	d->device = di->device;
	d->subsystem_vendor = di->subsystem_vendor;
	d->subsystem_device = di->subsystem_device;
	d->iommu_group = di->iommu_group;
	d->domain = di->domain;
	d->flags = di->flags;
	d->iova_map = di->iova_map;
	d->nr_iova = di->nr_iova;
	return 0;
}

/**
 * pkhandover_get_iommu_state() - the IOMMU units, domains and devices of
 * this boot's accepted blob
 * @st: filled in; release with pkhandover_put_iommu_state()
 *
 * The iova maps point into the kept copy of the blob.  May sleep.
 *
 * Return: 0 (with all counts zero if no blob was accepted), or -ENOMEM.
 */
int pkhandover_get_iommu_state(struct pkhandover_iommu_state *st)
{
	struct pkh_iommu_walk w = { .st = st };
	struct pkh_parse_ops ops = {
		.ctx = &w,
		.alloc = pkh_walk_alloc,
		.free = pkh_walk_free,
		.iommu_unit = pkh_walk_unit,
		.iommu_domain = pkh_walk_domain,
		.device = pkh_walk_device,
	};
	int ret;

	memset(st, 0, sizeof(*st));
	if (pkh_info.status != PKHANDOVER_ACCEPTED || !pkh_info.nr_units)
		return 0;
	st->units = kcalloc(pkh_info.nr_units, sizeof(*st->units), GFP_KERNEL);
	st->domains = kcalloc(pkh_info.nr_domains, sizeof(*st->domains),
			      GFP_KERNEL);
	st->devices = kcalloc(pkh_info.nr_devices, sizeof(*st->devices),
			      GFP_KERNEL);
	if (!st->units || (pkh_info.nr_domains && !st->domains) ||
	    (pkh_info.nr_devices && !st->devices)) {
		pkhandover_put_iommu_state(st);
		return -ENOMEM;
	}
	ret = pkh_parse(pkh_info.blob, pkh_info.size, NULL, &ops, NULL);
	if (ret == -PKH_ERR_NO_MEMORY) {
		pkhandover_put_iommu_state(st);
		return -ENOMEM;
	}
	/* The blob validated at boot; it cannot fail another way now. */
	if (WARN_ON_ONCE(ret < 0) || WARN_ON_ONCE(w.unit != pkh_info.nr_units)) {
		pkhandover_put_iommu_state(st);
		return -EINVAL;
	}
	st->nr_units = w.unit;
	st->nr_domains = w.domain;
	st->nr_devices = w.device;
	return 0;
}

/**
 * pkhandover_put_iommu_state() - release what pkhandover_get_iommu_state()
 * allocated
 * @st: the state
 */
void pkhandover_put_iommu_state(struct pkhandover_iommu_state *st)
{
	kfree(st->units);
	kfree(st->domains);
	kfree(st->devices);
	memset(st, 0, sizeof(*st));
}
