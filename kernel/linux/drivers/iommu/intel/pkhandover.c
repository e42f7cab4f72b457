// SPDX-License-Identifier: GPL-2.0-only
/*
 * Intel VT-d across a live update: DMA of a passthrough device keeps going
 * through kexec, translated by page tables that live in pkernfs memory.
 *
 * Old kernel.  The VMM calls IOMMU_HWPT_FREEZE on its iommufd with the
 * device, the HW pagetable it is attached to and a pkernfs file FILE (one
 * run of blocks).  iommufd holds off map and unmap, and the domain is
 * copied, page table by page table, into FILE, next to a root table and
 * context tables that name only frozen devices.  From then on the IOAS
 * refuses map and unmap, FILE cannot be written, and the guest memory the
 * tables point at cannot be freed.  The copy has a domain id of its own,
 * and each frozen device a kept domain on it, which its IOMMU group falls
 * back to if the VMM lets go of the device (closes it, or dies) before the
 * live update: its DMA goes on.  At kexec, the device
 * keeps bus-master, and the unit is switched to the frozen root table
 * instead of having its translation turned off.  The state the kernel hands
 * over (/sys/kernel/pkhandover/state) names the unit, the domain and the
 * device.
 *
 * New kernel.  Like kdump, init_dmars() finds translation still enabled.
 * If the handover names the unit, the root table the hardware uses is the
 * one handed over, and it lies in the carve-out, each present context entry
 * is checked against the handover: the device is listed with the same PCI
 * ids (read from config space), its domain's id, page-table root and width
 * match, and every page-table page and every page it translates to lies in
 * the carve-out, the translations being exactly the device's iova map.
 * Entries that pass are copied into the new kernel's context tables and
 * still point at the frozen page tables: an IOMMU_DOMAIN_PKERNFS.  Entries
 * that do not are left out, so the device's DMA faults.  Translation is
 * never turned off: a unit whose tables cannot be trusted at all runs with
 * an empty root table, blocking everything, until devices are attached.
 *
 * The device's attach is deferred, as for kdump, so its first real attach
 * is the new VMM's paging domain: the context entry is then swapped in one
 * 128-bit write, the device never sees an unmapped moment, and the frozen
 * pages go back to pkernfs.
 *
 * Scalable mode.  The same, one level further down: a root entry names two
 * context tables (devfn 0-127 and 128-255) of 256-bit entries, and a frozen
 * device's context entry names a PASID directory of its own in the file,
 * whose one PASID table holds one entry, PASID 0 (RID2PASID), a second-level
 * translation through the frozen copy.  Freezing refuses devices and domains
 * that use other PASIDs.  The new kernel checks the directory, the table and
 * the entry as well (in the carve-out, nothing but PASID 0, the domain's
 * id, root and width); at the VMM's attach the context entry moves to the
 * device's new PASID table once its RID2PASID entry is set up, in one
 * store.  In the old kernel the kept domain swaps the RID2PASID entry of the
 * device's own PASID table instead.
 */

#define pr_fmt(fmt) "pkhandover: iommu: " fmt

#include <asm/pci-direct.h>
#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/kexec.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/pkhandover.h>
#include <linux/pkhandover/abi.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "iommu.h"
#include "pasid.h"

#define PKH_VTD_MAX_UNITS	8
/* Page-table pages one adopted domain may have; bounds a hostile walk. */
#define PKH_VTD_MAX_TABLE_PAGES	65536
#define PKH_VTD_PTES		(VTD_PAGE_SIZE / sizeof(struct dma_pte))

/* One run of IOVA space that translates to contiguous memory. */
struct pkh_vtd_run {
	u64 iova;
	phys_addr_t phys;
	u64 len;
	u32 perm;
};

struct pkh_vtd_unit;

/**
 * struct pkh_vtd_domain - frozen page tables in the carve-out
 * @domain:     the IOMMU_DOMAIN_PKERNFS it is
 * @link:       in pkh_vtd_domains
 * @unit:       its unit
 * @source:     old kernel: the paging domain it was frozen from
 * @did:        hardware domain id
 * @levels:     page-table levels
 * @pgd:        physical address of the top page-table page
 * @nr_pages:   page-table pages
 * @runs:       what it translates, ascending iova
 * @nr_runs:    entries in @runs
 * @nr_devices: devices still translated through it
 * @adopted:    new kernel: handed over; its pages are not counted in its
 *              unit's, as the pages of a copy made here are
 */
struct pkh_vtd_domain {
	struct iommu_domain domain;
	struct list_head link;
	struct pkh_vtd_unit *unit;
	struct dmar_domain *source;
	u16 did;
	u8 levels;
	phys_addr_t pgd;
	unsigned int nr_pages;
	struct pkh_vtd_run *runs;
	unsigned int nr_runs;
	unsigned int nr_devices;
	bool adopted;
};

enum pkh_vtd_device_state {
	PKH_VTD_FROZEN,		/* old kernel: goes over at the next kexec */
	PKH_VTD_ADOPTED,	/* new kernel: runs on the frozen tables */
	PKH_VTD_REPLACED,	/* new kernel: on a paging domain of its VMM */
};

static const char *const pkh_vtd_state_names[] = {
	[PKH_VTD_FROZEN] = "frozen",
	[PKH_VTD_ADOPTED] = "adopted",
	[PKH_VTD_REPLACED] = "replaced",
};

/**
 * struct pkh_vtd_device - a device frozen or adopted this boot
 * @link:        in pkh_vtd_devices
 * @pci_address: segment << 16 | bus << 8 | devfn
 * @ids:         vendor, device, subsystem vendor, subsystem device
 * @group:       its IOMMU group (in the old kernel)
 * @did:         the domain id of its frozen domain
 * @dom:         its frozen domain; NULL once replaced
 * @state:       where it is
 * @kept:        old kernel: the domain its IOMMU group falls back to when
 *               its owner lets go of it before the live update (its VMM
 *               closes it or dies): the frozen translation, so the device's
 *               DMA goes on (iommu_group_set_kept_domain())
 * @pasid_dir:   scalable mode: its PASID directory in the carve-out, whose
 *               entry 0 is a PASID table holding only its RID2PASID entry
 *               (PASID 0) on the frozen domain
 */
struct pkh_vtd_device {
	struct list_head link;
	u32 pci_address;
	u16 ids[4];
	u32 group;
	u16 did;
	struct pkh_vtd_domain *dom;
	enum pkh_vtd_device_state state;
	struct iommu_domain kept;
	phys_addr_t pasid_dir;
};

/**
 * struct pkh_vtd_unit - a VT-d unit with frozen or adopted tables
 * @iommu:       the unit
 * @tables:      old kernel: the pkernfs file that holds the tables
 * @tables_size: its size
 * @next_page:   old kernel: pages of @tables used so far
 * @root:        the root table in the carve-out the unit is to use at
 *               kexec; 0 if none
 * @ctx:         the context table of each bus in the carve-out, 0 if none;
 *               in scalable mode the one of devfn 0-127
 * @ctx_hi:      scalable mode: the context table of devfn 128-255
 * @nr_pages:    root, context, PASID and page-table pages in use
 * @adopted:     new kernel: context entries still on frozen tables
 * @scalable:    the tables are in VT-d scalable mode: a root entry names two
 *               context tables of 256-bit entries, and a context entry a
 *               PASID directory instead of a domain
 */
struct pkh_vtd_unit {
	struct intel_iommu *iommu;
	phys_addr_t tables;
	u64 tables_size;
	unsigned int next_page;
	phys_addr_t root;
	phys_addr_t ctx[256];
	phys_addr_t ctx_hi[256];
	unsigned int nr_pages;
	unsigned long *adopted;
	bool scalable;
};

static DEFINE_MUTEX(pkh_vtd_lock);
static struct pkh_vtd_unit pkh_vtd_units[PKH_VTD_MAX_UNITS];
static LIST_HEAD(pkh_vtd_domains);
static LIST_HEAD(pkh_vtd_devices);
/* Frozen or adopted table pages; read without the lock by has_tables(). */
static atomic_t pkh_vtd_table_pages = ATOMIC_INIT(0);

static void pkh_vtd_replaced_fn(struct work_struct *work);
static DECLARE_WORK(pkh_vtd_replaced_work, pkh_vtd_replaced_fn);

static const struct iommu_domain_ops pkh_vtd_kept_ops;

/* @dev's kept domain: IOMMU_DOMAIN_PKERNFS, on its frozen domain. */
static void pkh_vtd_init_kept(struct pkh_vtd_device *dev)
{
	dev->kept.type = IOMMU_DOMAIN_PKERNFS;
	dev->kept.ops = &pkh_vtd_kept_ops;
	dev->kept.owner = &intel_iommu_ops;
}

static bool pkh_vtd_in_carveout(phys_addr_t start, u64 size)
{
	phys_addr_t base, csize;

	if (!pkernfs_carveout_reserved(&base, &csize))
		return false;
	return start >= base && size <= csize && start - base <= csize - size;
}

static struct pkh_vtd_unit *pkh_vtd_unit_of(struct intel_iommu *iommu,
					    bool create)
{
	unsigned int i;

	for (i = 0; i < PKH_VTD_MAX_UNITS; i++)
		if (pkh_vtd_units[i].iommu == iommu)
			return &pkh_vtd_units[i];
	if (!create)
		return NULL;
	for (i = 0; i < PKH_VTD_MAX_UNITS; i++)
		if (!pkh_vtd_units[i].iommu) {
			pkh_vtd_units[i].iommu = iommu;
			return &pkh_vtd_units[i];
		}
	return NULL;
}

static u32 pkh_vtd_pci_address(u16 segment, u8 bus, u8 devfn)
{
	return (u32)segment << 16 | (u32)bus << 8 | devfn;
}

static const char *pkh_vtd_mode_name(const struct pkh_vtd_unit *unit)
{
	return unit->scalable ? "scalable" : "legacy";
}

/*
 * Where @unit's frozen tables keep the context table of @devfn on @bus: in
 * scalable mode a bus has one for devfn 0-127 and one for 128-255.
 */
static phys_addr_t *pkh_vtd_ctx_slot(struct pkh_vtd_unit *unit, u8 bus,
				     u8 devfn)
{
	return unit->scalable && devfn >= 128 ? &unit->ctx_hi[bus] :
						&unit->ctx[bus];
}

/*
 * @devfn's context entry in @unit's frozen tables, NULL if its bus has no
 * context table there.  A scalable-mode entry is two struct context_entry.
 */
static struct context_entry *pkh_vtd_frozen_context(struct pkh_vtd_unit *unit,
						    u8 bus, u8 devfn)
{
	phys_addr_t table = *pkh_vtd_ctx_slot(unit, bus, devfn);
	struct context_entry *entries;

	if (!table)
		return NULL;
	entries = phys_to_virt(table);
	return unit->scalable ? entries + (devfn & 0x7f) * 2 : entries + devfn;
}

static u64 pkh_vtd_level_size(int level)
{
	return 1ULL << (VTD_PAGE_SHIFT + LEVEL_STRIDE * (level - 1));
}

/* Append a translation, merging it into the last run when contiguous. */
static int pkh_vtd_add_run(struct pkh_vtd_run **runs, unsigned int *nr,
			   u64 iova, phys_addr_t phys, u64 len, u32 perm)
{
	struct pkh_vtd_run *last = *nr ? &(*runs)[*nr - 1] : NULL;
	struct pkh_vtd_run *grown;

	if (last && last->iova + last->len == iova &&
	    last->phys + last->len == phys && last->perm == perm) {
		last->len += len;
		return 0;
	}
	if (*nr >= PKH_MAX_IOVA_MAPPINGS)
		return -E2BIG;
	if (!(*nr & (*nr - 1)) || !*nr) {
		grown = krealloc_array(*runs, *nr ? *nr * 2 : 8, sizeof(**runs),
				       GFP_KERNEL);
		if (!grown)
			return -ENOMEM;
		*runs = grown;
	}
	(*runs)[(*nr)++] = (struct pkh_vtd_run){ iova, phys, len, perm };
	return 0;
}

static u32 pkh_vtd_pte_perm(u64 val)
{
	return (val & DMA_PTE_READ ? PKH_IOVA_PERM_READ : 0) |
	       (val & DMA_PTE_WRITE ? PKH_IOVA_PERM_WRITE : 0);
}

/*
 * A leaf entry of @level translating @iova: it must name whole pages of the
 * carve-out, which is all a frozen domain may reach (anything else is memory
 * the next kernel owns); record it in @dom's runs.
 */
static int pkh_vtd_leaf(struct pkh_vtd_domain *dom, u64 iova, u64 val,
			int level, char *why, size_t why_size)
{
	u64 size = pkh_vtd_level_size(level);
	phys_addr_t phys = val & VTD_PAGE_MASK;

	if (level > 3 || (phys & (size - 1))) {
		snprintf(why, why_size, "bad leaf at iova 0x%llx, level %d",
			 iova, level);
		return -EINVAL;
	}
	if (!pkh_vtd_in_carveout(phys, size)) {
		snprintf(why, why_size,
			 "iova 0x%llx translates to %pa, outside the carve-out",
			 iova, &phys);
		return -ERANGE;
	}
	return pkh_vtd_add_run(&dom->runs, &dom->nr_runs, iova, phys, size,
			       pkh_vtd_pte_perm(val));
}

static void pkh_vtd_count_pages(void)
{
	struct pkh_vtd_domain *dom;
	unsigned int i, n = 0;

	for (i = 0; i < PKH_VTD_MAX_UNITS; i++)
		n += pkh_vtd_units[i].root ? pkh_vtd_units[i].nr_pages : 0;
	list_for_each_entry(dom, &pkh_vtd_domains, link)
		if (dom->nr_devices && dom->adopted)
			n += dom->nr_pages;
	atomic_set(&pkh_vtd_table_pages, n);
}

/* ------------------------------------------------------------ old kernel */

static phys_addr_t pkh_vtd_alloc_page(struct pkh_vtd_unit *unit)
{
	phys_addr_t page;

	if ((u64)(unit->next_page + 1) * VTD_PAGE_SIZE > unit->tables_size)
		return 0;
	page = unit->tables + (phys_addr_t)unit->next_page++ * VTD_PAGE_SIZE;
	memset(phys_to_virt(page), 0, VTD_PAGE_SIZE);
	/* A unit that does not snoop must read the zeroes too. */
	__iommu_flush_cache(unit->iommu, phys_to_virt(page), VTD_PAGE_SIZE);
	return page;
}

/*
 * Copy the page-table page @src of @level, which translates from @iova on,
 * into the table file; returns the copy's address, 0 on failure (*err).
 * Every page it translates to must be in the carve-out: anything else is
 * memory the next kernel owns.
 */
static phys_addr_t pkh_vtd_copy_table(struct pkh_vtd_domain *dom,
				      struct dma_pte *src, int level, u64 iova,
				      int *err)
{
	phys_addr_t copy = pkh_vtd_alloc_page(dom->unit), child, phys;
	u64 size = pkh_vtd_level_size(level), val;
	struct dma_pte *dst;
	unsigned int i;
	char why[96];

	if (!copy) {
		*err = -ENOSPC;
		return 0;
	}
	dom->nr_pages++;
	dst = phys_to_virt(copy);
	for (i = 0; i < PKH_VTD_PTES; i++, iova += size) {
		val = READ_ONCE(src[i].val);
		if (!(val & (DMA_PTE_READ | DMA_PTE_WRITE)))
			continue;
		phys = val & VTD_PAGE_MASK;
		if (level == 1 || (val & DMA_PTE_LARGE_PAGE)) {
			*err = pkh_vtd_leaf(dom, iova, val, level, why,
					    sizeof(why));
			if (*err) {
				pr_warn("not frozen: %s\n", why);
				return 0;
			}
			dst[i].val = val;
			continue;
		}
		child = pkh_vtd_copy_table(dom, phys_to_virt(phys), level - 1,
					   iova, err);
		if (!child)
			return 0;
		dst[i].val = child | (val & ~VTD_PAGE_MASK);
	}
	__iommu_flush_cache(dom->unit->iommu, dst, VTD_PAGE_SIZE);
	return copy;
}

/*
 * A domain id of its own for a frozen copy: the id of the domain it was
 * copied from goes back to the unit when that domain goes, and another
 * domain could then get it, tagging other tables with it in the IOTLB.
 */
static int pkh_vtd_alloc_did(struct intel_iommu *iommu)
{
	unsigned long ndomains = cap_ndoms(iommu->cap);
	int did;

	spin_lock(&iommu->lock);
	did = find_first_zero_bit(iommu->domain_ids, ndomains);
	if (did < ndomains)
		set_bit(did, iommu->domain_ids);
	else
		did = -ENOSPC;
	spin_unlock(&iommu->lock);
	return did;
}

static void pkh_vtd_free_did(struct intel_iommu *iommu, u16 did)
{
	spin_lock(&iommu->lock);
	clear_bit(did, iommu->domain_ids);
	spin_unlock(&iommu->lock);
}

/* The legacy-mode context entry of a device on frozen domain @dom. */
static void pkh_vtd_context_entry(struct context_entry *entry,
				  const struct pkh_vtd_domain *dom,
				  struct intel_iommu *iommu)
{
	memset(entry, 0, sizeof(*entry));
	context_set_domain_id(entry, dom->did);
	context_set_address_root(entry, dom->pgd);
	context_set_address_width(entry, iommu->agaw);
	context_set_translation_type(entry, CONTEXT_TT_MULTI_LEVEL);
	context_set_fault_enable(entry);
	context_set_present(entry);
}

/*
 * The scalable-mode RID2PASID entry of a device on frozen domain @dom: what
 * intel_pasid_setup_second_level() writes, on the frozen copy, without
 * dirty tracking (nothing collects the dirty bits across a kexec).
 */
static void pkh_vtd_pasid_entry(struct pasid_entry *pe,
				const struct pkh_vtd_domain *dom,
				struct intel_iommu *iommu)
{
	memset(pe, 0, sizeof(*pe));
	pasid_set_domain_id(pe, dom->did);
	pasid_set_slptr(pe, dom->pgd);
	pasid_set_address_width(pe, iommu->agaw);
	pasid_set_translation_type(pe, PASID_ENTRY_PGTT_SL_ONLY);
	pasid_set_page_snoop(pe, !!ecap_smpwc(iommu->ecap));
	pasid_set_present(pe);
}

/*
 * The scalable-mode context entry (its first 128 bits; the rest is zero) of
 * a frozen device: PASID directory @dir of 128 entries (PDTS 0), RID2PASID
 * PASID 0, no device TLB and no other PASIDs, as freezing refuses ATS and
 * PASID use.
 */
static void pkh_vtd_sm_context_entry(struct context_entry *entry,
				     phys_addr_t dir)
{
	memset(entry, 0, sizeof(*entry));
	entry->lo = dir | context_pdts(0);
	context_set_sm_rid2pasid(entry, IOMMU_NO_PASID);
	context_set_fault_enable(entry);
	context_set_present(entry);
}

static struct pkh_vtd_domain *pkh_vtd_freeze_domain(struct pkh_vtd_unit *unit,
						    struct dmar_domain *dmar,
						    int *err)
{
	struct intel_iommu *iommu = unit->iommu;
	struct pkh_vtd_domain *dom;
	struct dma_pte *pgd = dmar->pgd;
	int agaw;

	list_for_each_entry(dom, &pkh_vtd_domains, link)
		if (dom->source == dmar && dom->unit == unit)
			return dom;

	/* The hardware walks from the level the unit supports, as in
	 * domain_context_mapping_one().
	 */
	for (agaw = dmar->agaw; agaw > iommu->agaw; agaw--) {
		if (!dma_pte_present(pgd)) {
			*err = -EINVAL;
			return NULL;
		}
		pgd = phys_to_virt(dma_pte_addr(pgd));
	}
	dom = kzalloc(sizeof(*dom), GFP_KERNEL);
	if (!dom) {
		*err = -ENOMEM;
		return NULL;
	}
	dom->domain.type = IOMMU_DOMAIN_PKERNFS;
	dom->unit = unit;
	dom->source = dmar;
	*err = pkh_vtd_alloc_did(iommu);
	if (*err < 0) {
		kfree(dom);
		return NULL;
	}
	dom->did = *err;
	dom->levels = agaw_to_level(iommu->agaw);
	dom->pgd = pkh_vtd_copy_table(dom, pgd, dom->levels, 0, err);
	if (!dom->pgd) {
		pkh_vtd_free_did(iommu, dom->did);
		kfree(dom->runs);
		kfree(dom);
		return NULL;
	}
	list_add_tail(&dom->link, &pkh_vtd_domains);
	return dom;
}

static bool pkh_vtd_run_covers(const struct pkh_vtd_run *run,
			       phys_addr_t page)
{
	return page && run->phys <= page && page - run->phys < run->len;
}

/*
 * Does @dom translate to IOMMU tables: frozen ones, or the PASID pages @dir
 * and @table (0 if none)?  A device that can write the tables it is
 * translated through can point them anywhere.  *@iova: where.
 */
static bool pkh_vtd_runs_hit_tables(const struct pkh_vtd_domain *dom,
				    phys_addr_t dir, phys_addr_t table,
				    u64 *iova)
{
	const struct pkh_vtd_run *run;

	for (run = dom->runs; run < dom->runs + dom->nr_runs; run++) {
		if (pkhandover_frozen_overlaps(run->phys, run->len, true) ||
		    pkh_vtd_run_covers(run, dir) ||
		    pkh_vtd_run_covers(run, table)) {
			*iova = run->iova;
			return true;
		}
	}
	return false;
}

static int pkh_vtd_register(struct pkh_vtd_domain *dom)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < dom->nr_runs && !ret; i++)
		ret = pkhandover_frozen_add(dom->runs[i].phys, dom->runs[i].len,
					    PKHANDOVER_FROZEN_DMA, dom);
	return ret;
}

/*
 * Scalable mode: does anything translate through a PASID of the device
 * other than PASID 0?  Its PASID table says (present entries).
 */
static bool pkh_vtd_other_pasids(struct device_domain_info *info)
{
	struct pasid_table *table = info->pasid_table;
	struct pasid_dir_entry *pde;
	struct pasid_entry *entries;
	unsigned int dir, i;
	bool used = false;

	if (!table)
		return false;
	pde = table->table;
	spin_lock(&info->iommu->lock);
	for (dir = 0; dir < table->max_pasid >> PASID_PDE_SHIFT && !used;
	     dir++) {
		entries = get_pasid_table_from_pde(&pde[dir]);
		for (i = dir ? 0 : 1; entries && i < PASID_TBL_ENTRIES; i++)
			used |= pasid_pte_is_present(&entries[i]);
	}
	spin_unlock(&info->iommu->lock);
	return used;
}

struct pkh_vtd_aliases {
	u16 self;
	unsigned int others;
};

static int pkh_vtd_count_alias(struct pci_dev *pdev, u16 alias, void *data)
{
	struct pkh_vtd_aliases *a = data;

	if (alias != a->self)
		a->others++;
	return 0;
}

/* Does @pdev's DMA reach the IOMMU with another requester id too? */
static bool pkh_vtd_has_aliases(struct pci_dev *pdev)
{
	struct pkh_vtd_aliases a = { .self = pci_dev_id(pdev) };

	pci_for_each_dma_alias(pdev, pkh_vtd_count_alias, &a);
	return a.others || pci_real_dma_dev(pdev) != pdev;
}

static int pkh_vtd_freeze(struct device *device, struct iommu_domain *domain,
			  struct file *table_file, struct iommu_domain **kept)
{
	struct device_domain_info *info;
	struct context_entry *ce, entry = {};
	struct pkh_vtd_device *dev;
	struct pkh_vtd_domain *dom;
	struct root_entry *root;
	struct pkh_vtd_unit *unit;
	struct intel_iommu *iommu;
	struct dmar_domain *dmar;
	unsigned int saved_next;
	phys_addr_t tables, page;
	phys_addr_t *ctx_slot, *new_ctx = NULL;
	phys_addr_t dir = 0, pasid_table = 0;
	bool was_frozen = false;
	struct pci_dev *pdev;
	u64 tables_size, iova;
	u32 pci_address;
	u8 bus, devfn;
	int ret;

	if (!dev_is_pci(device))
		return -EOPNOTSUPP;
	pdev = to_pci_dev(device);
	bus = pdev->bus->number;
	devfn = pdev->devfn;
	pci_address = pci_domain_nr(pdev->bus) << 16 | bus << 8 | devfn;
	ret = pkernfs_table_file(table_file, &tables, &tables_size);
	if (ret) {
		pci_warn(pdev, "pkhandover: freeze: table file %pD: %d\n",
			 table_file, ret);
		return ret;
	}

	mutex_lock(&pkh_vtd_lock);
	ret = -EBUSY;
	list_for_each_entry(dev, &pkh_vtd_devices, link)
		if (dev->pci_address == pci_address &&
		    dev->state != PKH_VTD_REPLACED)
			goto out;
	ret = -EINVAL;
	info = dev_iommu_priv_get(&pdev->dev);
	if (!info || !info->domain || !info->domain_attached ||
	    &info->domain->domain != domain) {
		pci_warn(pdev, "pkhandover: freeze: not attached to that paging domain\n");
		goto out;
	}
	dmar = info->domain;
	iommu = info->iommu;
	was_frozen = READ_ONCE(dmar->pkh_frozen);
	ret = -EOPNOTSUPP;
	if (dmar->domain.type != IOMMU_DOMAIN_UNMANAGED ||
	    dmar->use_first_level || dmar->nested_parent) {
		pci_warn(pdev, "pkhandover: freeze: only a second-level VT-d domain of a VMM can be frozen\n");
		goto out;
	}
	/*
	 * Scalable mode: only the RID2PASID entry is handed over, so nothing
	 * may translate through another PASID of the device or the domain.
	 */
	if (sm_supported(iommu) &&
	    (pkh_vtd_other_pasids(info) || !list_empty(&dmar->dev_pasids))) {
		pci_warn(pdev, "pkhandover: freeze: a device or domain that uses PASIDs cannot be frozen\n");
		goto out;
	}
	/*
	 * The frozen tables and the kept domain name the device's own
	 * requester id only, and switch no device TLB.
	 */
	if (pkh_vtd_has_aliases(pdev) || info->ats_enabled) {
		pci_warn(pdev, "pkhandover: freeze: a device with DMA aliases or ATS cannot be frozen\n");
		goto out;
	}
	ret = -ENOSPC;
	unit = pkh_vtd_unit_of(iommu, true);
	if (!unit)
		goto out;
	ret = -EINVAL;
	if (unit->root && (unit->tables != tables ||
			   unit->tables_size != tables_size)) {
		pci_warn(pdev, "pkhandover: freeze: %s keeps its tables in another file\n",
			 iommu->name);
		goto out;
	}
	saved_next = unit->next_page;
	if (!unit->root) {
		unit->tables = tables;
		unit->tables_size = tables_size;
		ret = pkhandover_frozen_add(tables, tables_size,
					    PKHANDOVER_FROZEN_TABLES, unit);
		if (ret)
			goto out;
		unit->scalable = sm_supported(iommu);
		unit->root = pkh_vtd_alloc_page(unit);
	}
	ctx_slot = pkh_vtd_ctx_slot(unit, bus, devfn);
	if (!*ctx_slot) {
		page = pkh_vtd_alloc_page(unit);
		ret = -ENOSPC;
		if (!page)
			goto undo;
		*ctx_slot = page;
		new_ctx = ctx_slot;
	}
	if (unit->scalable) {
		dir = pkh_vtd_alloc_page(unit);
		pasid_table = pkh_vtd_alloc_page(unit);
		ret = -ENOSPC;
		if (!dir || !pasid_table)
			goto undo;
	}

	/*
	 * The caller (iommufd) allows no map or unmap from now on, so the
	 * copy stays what the domain translates.  A domain already frozen
	 * for another device is shared, not copied.
	 */
	WRITE_ONCE(dmar->pkh_frozen, true);
	dom = pkh_vtd_freeze_domain(unit, dmar, &ret);
	if (!dom)
		goto undo;
	if (pkh_vtd_runs_hit_tables(dom, 0, 0, &iova)) {
		pci_warn(pdev, "pkhandover: freeze: iova 0x%llx translates to IOMMU tables\n",
			 iova);
		ret = -EINVAL;
		goto undo_dom;
	}
	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	ret = -ENOMEM;
	if (!dev)
		goto undo_dom;
	ret = was_frozen ? 0 : pkh_vtd_register(dom);
	if (!ret)
		ret = pkhandover_keep_device(pci_address, unit);
	if (ret) {
		kfree(dev);
		goto undo_dom;
	}
	dev->pci_address = pci_address;
	dev->ids[0] = pdev->vendor;
	dev->ids[1] = pdev->device;
	dev->ids[2] = pdev->subsystem_vendor;
	dev->ids[3] = pdev->subsystem_device;
	dev->group = pdev->dev.iommu_group ?
		     iommu_group_id(pdev->dev.iommu_group) : 0;
	dev->dom = dom;
	dev->did = dom->did;
	dev->state = PKH_VTD_FROZEN;
	dev->pasid_dir = dir;
	pkh_vtd_init_kept(dev);
	*kept = &dev->kept;
	dom->nr_devices++;
	list_add_tail(&dev->link, &pkh_vtd_devices);

	/* Only frozen devices have entries: everything else stays blocked. */
	if (unit->scalable) {
		pkh_vtd_pasid_entry(phys_to_virt(pasid_table), dom, iommu);
		((struct pasid_dir_entry *)phys_to_virt(dir))->val =
			pasid_table | PASID_PTE_PRESENT;
		__iommu_flush_cache(iommu, phys_to_virt(pasid_table),
				    sizeof(struct pasid_entry));
		__iommu_flush_cache(iommu, phys_to_virt(dir),
				    sizeof(struct pasid_dir_entry));
		pkh_vtd_sm_context_entry(&entry, dir);
	} else {
		pkh_vtd_context_entry(&entry, dom, iommu);
	}
	ce = pkh_vtd_frozen_context(unit, bus, devfn);
	*ce = entry;
	__iommu_flush_cache(iommu, ce, sizeof(*ce));
	root = phys_to_virt(unit->root);
	if (unit->scalable && devfn >= 128)
		root[bus].hi = *ctx_slot | 1;
	else
		root[bus].lo = *ctx_slot | 1;
	__iommu_flush_cache(iommu, root, VTD_PAGE_SIZE);
	unit->nr_pages = unit->next_page;
	pkh_vtd_count_pages();
	pci_info(pdev, "pkhandover: froze %s domain %u (%s mode): %u levels, %u page-table pages, %u runs; root table %pa\n",
		 iommu->name, dom->did, pkh_vtd_mode_name(unit), dom->levels,
		 dom->nr_pages, dom->nr_runs, &unit->root);
	ret = 0;
	goto out;
undo_dom:
	if (!was_frozen) {
		pkhandover_frozen_remove(dom);
		pkh_vtd_free_did(iommu, dom->did);
		list_del(&dom->link);
		kfree(dom->runs);
		kfree(dom);
	}
undo:
	if (!was_frozen)
		WRITE_ONCE(dmar->pkh_frozen, false);
	unit->next_page = saved_next;
	if (new_ctx)
		*new_ctx = 0;
	if (!saved_next) {
		pkhandover_frozen_remove(unit);
		unit->root = 0;
		unit->ctx[bus] = 0;
		unit->ctx_hi[bus] = 0;
		unit->iommu = NULL;
	}
out:
	mutex_unlock(&pkh_vtd_lock);
	return ret;
}

/**
 * pkh_vtd_domain_freed() - a domain with a frozen copy goes away
 * @dmar: the paging domain, about to be freed
 *
 * The copy lives on; only the link to its source is cut, so that a new
 * domain at the same address is never taken for it.
 */
void pkh_vtd_domain_freed(struct dmar_domain *dmar)
{
	struct pkh_vtd_domain *dom;

	mutex_lock(&pkh_vtd_lock);
	list_for_each_entry(dom, &pkh_vtd_domains, link)
		if (dom->source == dmar)
			dom->source = NULL;
	mutex_unlock(&pkh_vtd_lock);
	/* A copy no device uses any more gives its pages back. */
	schedule_work(&pkh_vtd_replaced_work);
}

/**
 * pkh_vtd_shutdown() - hand a unit over at kexec
 * @iommu: the unit
 *
 * Return: true if the unit now translates through the root table in the
 * carve-out and must stay enabled; false to turn it off as usual.
 */
bool pkh_vtd_shutdown(struct intel_iommu *iommu)
{
	struct pkh_vtd_unit *unit = pkh_vtd_unit_of(iommu, false);
	struct pkh_vtd_device *dev;
	bool live = false;

	if (!kexec_in_progress || !unit || !unit->root)
		return false;
	list_for_each_entry(dev, &pkh_vtd_devices, link)
		if ((dev->state == PKH_VTD_FROZEN ||
		     dev->state == PKH_VTD_ADOPTED) && dev->dom->unit == unit)
			live = true;
	if (!live)
		return false;
	iommu_set_root_table(iommu, unit->root);
	return true;
}

/* ------------------------------------------------------------ new kernel */

/* Read what the hardware is told, from the handed-over blob's view. */
struct pkh_vtd_adopt {
	struct pkhandover_iommu_state st;
	const struct pkh_state_unit *unit;
	unsigned int unit_index;
	phys_addr_t region_base;
	unsigned int region;
	unsigned int pages;
	char why[128];
};

static int pkh_vtd_walk(struct pkh_vtd_adopt *a, struct pkh_vtd_domain *dom,
			phys_addr_t table, int level, u64 iova)
{
	u64 size = pkh_vtd_level_size(level), val;
	struct dma_pte *pte;
	phys_addr_t phys;
	unsigned int i;
	int ret;

	if (!pkh_vtd_in_carveout(table, VTD_PAGE_SIZE)) {
		snprintf(a->why, sizeof(a->why),
			 "page-table page %pa is outside the carve-out", &table);
		return -ERANGE;
	}
	if (++a->pages > PKH_VTD_MAX_TABLE_PAGES) {
		snprintf(a->why, sizeof(a->why), "more than %u page-table pages",
			 PKH_VTD_MAX_TABLE_PAGES);
		return -E2BIG;
	}
	dom->nr_pages++;
	ret = pkhandover_frozen_add(table, VTD_PAGE_SIZE,
				    PKHANDOVER_FROZEN_TABLES, dom);
	if (ret)
		return ret;
	pte = phys_to_virt(table);
	for (i = 0; i < PKH_VTD_PTES; i++, iova += size) {
		val = READ_ONCE(pte[i].val);
		if (!(val & (DMA_PTE_READ | DMA_PTE_WRITE)))
			continue;
		phys = val & VTD_PAGE_MASK;
		if (level == 1 || (val & DMA_PTE_LARGE_PAGE)) {
			ret = pkh_vtd_leaf(dom, iova, val, level, a->why,
					   sizeof(a->why));
			if (ret)
				return ret;
			continue;
		}
		ret = pkh_vtd_walk(a, dom, phys, level - 1, iova);
		if (ret)
			return ret;
	}
	return 0;
}

/* Are the domain's translations exactly the device's iova map? */
static int pkh_vtd_match_map(struct pkh_vtd_adopt *a,
			     const struct pkhandover_device *hd,
			     const struct pkh_vtd_domain *dom)
{
	struct pkh_iova_mapping m;
	unsigned int i;

	if (hd->nr_iova != dom->nr_runs) {
		snprintf(a->why, sizeof(a->why),
			 "the tables translate %u ranges, the iova map lists %u",
			 dom->nr_runs, hd->nr_iova);
		return -EINVAL;
	}
	for (i = 0; i < hd->nr_iova; i++) {
		memcpy(&m, &hd->iova_map[i], sizeof(m));
		if (le32_to_cpu(m.region) != a->region ||
		    le64_to_cpu(m.iova) != dom->runs[i].iova ||
		    a->region_base + le64_to_cpu(m.region_offset) !=
		    dom->runs[i].phys ||
		    le64_to_cpu(m.length) != dom->runs[i].len ||
		    le32_to_cpu(m.perm) != dom->runs[i].perm) {
			snprintf(a->why, sizeof(a->why),
				 "iova map entry %u is not what the tables translate",
				 i);
			return -EINVAL;
		}
	}
	return 0;
}

static struct pkh_vtd_domain *pkh_vtd_find_adopted(struct pkh_vtd_unit *unit,
						   u16 did)
{
	struct pkh_vtd_domain *dom;

	list_for_each_entry(dom, &pkh_vtd_domains, link)
		if (dom->unit == unit && dom->did == did)
			return dom;
	return NULL;
}

/* Does legacy-mode context entry @ce translate through domain @hdom? */
static int pkh_vtd_check_legacy_entry(struct pkh_vtd_adopt *a,
				      struct intel_iommu *iommu,
				      const struct context_entry *ce,
				      const struct pkhandover_iommu_domain *hdom)
{
	int aw = ce->hi & 7;

	if (context_domain_id((struct context_entry *)ce) != hdom->domain_id ||
	    (ce->lo & VTD_PAGE_MASK) != hdom->pgtable_root ||
	    agaw_to_level(aw) != hdom->levels ||
	    !(cap_sagaw(iommu->cap) & BIT(aw)) ||
	    ((ce->lo >> 2) & 3) != CONTEXT_TT_MULTI_LEVEL || (ce->lo & 2) ||
	    hdom->domain_id < NUM_RESERVED_DID ||
	    hdom->domain_id >= cap_ndoms(iommu->cap)) {
		snprintf(a->why, sizeof(a->why),
			 "context entry 0x%llx:%llx does not match domain %u of the handover",
			 ce->hi, ce->lo, hdom->domain_id);
		return -EINVAL;
	}
	return 0;
}

/*
 * What a frozen scalable-mode context entry may have set: P and PDTS.  No
 * DTE (a device TLB the replace would not flush) and no PASIDE.
 */
#define PKH_VTD_SM_CONTEXT_BITS	(BIT_ULL(0) | GENMASK_ULL(11, 9))
/* And a second-level PASID entry: P, FPD, AW, PGTT; DID, PWSNP, PGSNP. */
#define PKH_VTD_SL_PASID_BITS0	(BIT_ULL(0) | BIT_ULL(1) | GENMASK_ULL(4, 2) | \
				 GENMASK_ULL(8, 6))
#define PKH_VTD_SL_PASID_BITS1	(GENMASK_ULL(15, 0) | BIT_ULL(23) | BIT_ULL(24))

/*
 * Does scalable-mode context entry @ce (256 bits: ce[0], ce[1]) translate
 * through domain @hdom?  It must name a PASID directory in the carve-out
 * whose only entry is a PASID table in the carve-out whose only entry,
 * PASID 0 (the RID2PASID one), is a second-level translation with the
 * domain's id, page-table root and width.  On success *@dir is the
 * directory and *@table the PASID table.
 */
static int pkh_vtd_check_sm_entry(struct pkh_vtd_adopt *a,
				  struct intel_iommu *iommu,
				  const struct context_entry *ce,
				  const struct pkhandover_iommu_domain *hdom,
				  phys_addr_t *dir, phys_addr_t *table)
{
	unsigned int pdts = (ce[0].lo >> 9) & 7, i;
	const struct pasid_dir_entry *pde;
	const struct pasid_entry *pe;
	u64 val0, val1;
	int aw;

	*dir = ce[0].lo & VTD_PAGE_MASK;
	/* PDTS > 2 would be a directory of more than one page. */
	if ((ce[0].lo & ~VTD_PAGE_MASK & ~PKH_VTD_SM_CONTEXT_BITS) ||
	    ce[0].hi || ce[1].lo || ce[1].hi || pdts > 2 ||
	    !pkh_vtd_in_carveout(*dir, VTD_PAGE_SIZE)) {
		snprintf(a->why, sizeof(a->why),
			 "scalable-mode context entry 0x%llx:%llx is not a PASID directory in the carve-out with RID_PASID 0",
			 ce[0].hi, ce[0].lo);
		return -EINVAL;
	}
	pde = phys_to_virt(*dir);
	*table = pde[0].val & VTD_PAGE_MASK;
	if ((pde[0].val & ~VTD_PAGE_MASK) != PASID_PTE_PRESENT ||
	    !pkh_vtd_in_carveout(*table, VTD_PAGE_SIZE) || *table == *dir) {
		snprintf(a->why, sizeof(a->why),
			 "PASID directory entry 0 (0x%llx) is not a PASID table in the carve-out",
			 pde[0].val);
		return -EINVAL;
	}
	for (i = 1; i < BIT(pdts + 7); i++) {
		if (pde[i].val) {
			snprintf(a->why, sizeof(a->why),
				 "PASID directory entry %u is used: only PASID 0 is handed over",
				 i);
			return -EINVAL;
		}
	}
	pe = phys_to_virt(*table);
	for (i = 1; i < PASID_TBL_ENTRIES; i++) {
		if (memchr_inv(&pe[i], 0, sizeof(pe[i]))) {
			snprintf(a->why, sizeof(a->why),
				 "PASID entry %u is used: only PASID 0 is handed over",
				 i);
			return -EINVAL;
		}
	}
	val0 = pe[0].val[0];
	val1 = pe[0].val[1];
	aw = (val0 >> 2) & 7;
	if (!(val0 & PASID_PTE_PRESENT) ||
	    (val0 & ~VTD_PAGE_MASK & ~PKH_VTD_SL_PASID_BITS0) ||
	    ((val0 >> 6) & 7) != PASID_ENTRY_PGTT_SL_ONLY ||
	    (val1 & ~PKH_VTD_SL_PASID_BITS1) ||
	    memchr_inv(&pe[0].val[2], 0, 6 * sizeof(u64)) ||
	    (val1 & GENMASK_ULL(15, 0)) != hdom->domain_id ||
	    (val0 & VTD_PAGE_MASK) != hdom->pgtable_root ||
	    agaw_to_level(aw) != hdom->levels ||
	    !(cap_sagaw(iommu->cap) & BIT(aw)) ||
	    hdom->domain_id < NUM_RESERVED_DID ||
	    hdom->domain_id >= cap_ndoms(iommu->cap)) {
		snprintf(a->why, sizeof(a->why),
			 "context entry's PASID entry 0x%llx:%llx does not match domain %u of the handover",
			 val1, val0, hdom->domain_id);
		return -EINVAL;
	}
	return 0;
}

/*
 * Check one present context entry of the handed-over tables (in scalable
 * mode, of 256 bits).
 */
static int pkh_vtd_check_context(struct pkh_vtd_adopt *a,
				 struct pkh_vtd_unit *unit, u8 bus, u8 devfn,
				 const struct context_entry *ce,
				 struct pkh_vtd_device **out)
{
	u32 addr = pkh_vtd_pci_address(a->unit->segment, bus, devfn);
	const struct pkhandover_iommu_domain *hdom;
	const struct pkhandover_device *hd = NULL;
	struct intel_iommu *iommu = unit->iommu;
	struct pkh_vtd_domain *dom;
	phys_addr_t dir = 0, pasid_table = 0;
	struct pkh_vtd_device *dev;
	bool created = false;
	u16 ids[4];
	u64 iova;
	unsigned int i;
	int ret;

	for (i = 0; i < a->st.nr_devices; i++)
		if (a->st.devices[i].pci_address == addr)
			hd = &a->st.devices[i];
	if (!hd) {
		snprintf(a->why, sizeof(a->why), "not a device of the handover");
		return -ENOENT;
	}
	hdom = &a->st.domains[hd->domain];
	if (hdom->unit != a->unit_index ||
	    hdom->format != PKH_PGTABLE_VTD_SECOND_LEVEL) {
		snprintf(a->why, sizeof(a->why),
			 "its domain is not a second-level domain of this unit");
		return -EINVAL;
	}
	if (unit->scalable)
		ret = pkh_vtd_check_sm_entry(a, iommu, ce, hdom, &dir,
					     &pasid_table);
	else
		ret = pkh_vtd_check_legacy_entry(a, iommu, ce, hdom);
	if (ret)
		return ret;
	/* What sits at that address now must be the device handed over. */
	if (a->unit->segment != 0) {
		snprintf(a->why, sizeof(a->why), "PCI segment %u cannot be checked early",
			 a->unit->segment);
		return -EOPNOTSUPP;
	}
	ids[0] = read_pci_config_16(bus, PCI_SLOT(devfn), PCI_FUNC(devfn),
				    PCI_VENDOR_ID);
	ids[1] = read_pci_config_16(bus, PCI_SLOT(devfn), PCI_FUNC(devfn),
				    PCI_DEVICE_ID);
	ids[2] = read_pci_config_16(bus, PCI_SLOT(devfn), PCI_FUNC(devfn),
				    PCI_SUBSYSTEM_VENDOR_ID);
	ids[3] = read_pci_config_16(bus, PCI_SLOT(devfn), PCI_FUNC(devfn),
				    PCI_SUBSYSTEM_ID);
	if (ids[0] != hd->vendor || ids[1] != hd->device ||
	    ids[2] != hd->subsystem_vendor || ids[3] != hd->subsystem_device) {
		snprintf(a->why, sizeof(a->why),
			 "it is %04x:%04x (%04x:%04x), the handover says %04x:%04x (%04x:%04x)",
			 ids[0], ids[1], ids[2], ids[3], hd->vendor, hd->device,
			 hd->subsystem_vendor, hd->subsystem_device);
		return -ENODEV;
	}

	dom = pkh_vtd_find_adopted(unit, hdom->domain_id);
	if (dom && dom->pgd != hdom->pgtable_root) {
		snprintf(a->why, sizeof(a->why), "domain %u has two roots",
			 hdom->domain_id);
		return -EINVAL;
	}
	if (!dom) {
		dom = kzalloc(sizeof(*dom), GFP_KERNEL);
		if (!dom)
			return -ENOMEM;
		dom->domain.type = IOMMU_DOMAIN_PKERNFS;
		dom->unit = unit;
		dom->adopted = true;
		dom->did = hdom->domain_id;
		dom->levels = hdom->levels;
		dom->pgd = hdom->pgtable_root;
		ret = pkh_vtd_walk(a, dom, dom->pgd, dom->levels, 0);
		if (!ret)
			ret = pkh_vtd_register(dom);
		if (ret) {
			pkhandover_frozen_remove(dom);
			kfree(dom->runs);
			kfree(dom);
			return ret;
		}
		list_add_tail(&dom->link, &pkh_vtd_domains);
		/*
		 * Its id is taken from now on: the replaced work gives it
		 * back with the domain, whether a device came to use it or
		 * not.
		 */
		spin_lock(&iommu->lock);
		set_bit(dom->did, iommu->domain_ids);
		spin_unlock(&iommu->lock);
		created = true;
	}
	ret = pkh_vtd_match_map(a, hd, dom);
	if (!ret && pkh_vtd_runs_hit_tables(dom, dir, pasid_table, &iova)) {
		snprintf(a->why, sizeof(a->why),
			 "iova 0x%llx translates to IOMMU tables", iova);
		ret = -EINVAL;
	}
	if (ret) {
		if (created) {
			pkhandover_frozen_remove(dom);
			pkh_vtd_free_did(iommu, dom->did);
			list_del(&dom->link);
			kfree(dom->runs);
			kfree(dom);
		}
		return ret;
	}
	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	dev->pci_address = addr;
	memcpy(dev->ids, ids, sizeof(ids));
	dev->group = hd->iommu_group;
	dev->dom = dom;
	dev->did = dom->did;
	dev->state = PKH_VTD_ADOPTED;
	dev->pasid_dir = dir;
	pkh_vtd_init_kept(dev);
	*out = dev;
	return 0;
}

static void pkh_vtd_block(struct pkh_vtd_adopt *a, struct pkh_vtd_unit *unit,
			  u8 bus, u8 devfn)
{
	pr_err("%s: %04x:%02x:%02x.%x blocked: %s\n", unit->iommu->name,
	       a->unit->segment, bus, PCI_SLOT(devfn), PCI_FUNC(devfn), a->why);
}

/*
 * Check the handed-over root table's entry for @bus: each context table it
 * names (legacy mode: lo; scalable mode: lo for devfn 0-127, hi for
 * 128-255) must be a page of the carve-out.
 */
static int pkh_vtd_check_root_entry(struct pkh_vtd_adopt *a,
				    const struct pkh_vtd_unit *unit,
				    const struct root_entry *re, unsigned int bus)
{
	u64 half[2] = { re->lo, re->hi };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		if (!unit->scalable && i == 1) {
			if (!(half[0] & 1) || !half[1])
				break;
		} else if (!(half[i] & 1)) {
			continue;
		} else if (!(half[i] & ~VTD_PAGE_MASK & ~1ULL) &&
			   pkh_vtd_in_carveout(half[i] & VTD_PAGE_MASK,
					       VTD_PAGE_SIZE)) {
			continue;
		}
		snprintf(a->why, sizeof(a->why),
			 "root entry of bus %u (0x%llx:%llx) is not a context table in the carve-out",
			 bus, re->hi, re->lo);
		return -ERANGE;
	}
	return 0;
}

/*
 * Adopt the device at @bus/@devfn, whose entry @old in a handed-over context
 * table is present: check it, or block the device by clearing the entry;
 * copy what passes into the unit's own context table.  Returns 1 if
 * adopted, 0 if blocked, or a negative errno if nothing more can be adopted.
 */
static int pkh_vtd_adopt_entry(struct pkh_vtd_adopt *a,
			       struct pkh_vtd_unit *unit, u8 bus, u8 devfn,
			       struct context_entry *old)
{
	unsigned int halves = unit->scalable ? 2 : 1;
	struct intel_iommu *iommu = unit->iommu;
	struct pkh_vtd_device *dev = NULL;
	struct context_entry *ce;
	phys_addr_t table;
	int ret;

	ret = pkh_vtd_check_context(a, unit, bus, devfn, old, &dev);
	if (ret == -ENOMEM)
		return ret;
	if (ret) {
		/* Its entry stays behind: its DMA faults. */
		pkh_vtd_block(a, unit, bus, devfn);
		memset(old, 0, halves * sizeof(*old));
		return 0;
	}
	if (dev->pasid_dir) {
		table = ((struct pasid_dir_entry *)phys_to_virt(dev->pasid_dir))->val &
			VTD_PAGE_MASK;
		ret = pkhandover_frozen_add(dev->pasid_dir, VTD_PAGE_SIZE,
					    PKHANDOVER_FROZEN_TABLES, unit);
		if (!ret)
			ret = pkhandover_frozen_add(table, VTD_PAGE_SIZE,
						    PKHANDOVER_FROZEN_TABLES,
						    unit);
		if (ret) {
			kfree(dev);
			return ret;
		}
		unit->nr_pages += 2;
	}
	spin_lock(&iommu->lock);
	ce = iommu_context_addr(iommu, bus, devfn, 1);
	if (ce) {
		memcpy(ce, old, halves * sizeof(*ce));
		__iommu_flush_cache(iommu, ce, halves * sizeof(*ce));
		set_context_copied(iommu, bus, devfn);
		set_bit(bus << 8 | devfn, unit->adopted);
	}
	spin_unlock(&iommu->lock);
	if (!ce) {
		kfree(dev);
		return -ENOMEM;
	}
	dev->dom->nr_devices++;
	list_add_tail(&dev->link, &pkh_vtd_devices);
	ret = pkhandover_keep_device(dev->pci_address, unit);
	if (ret)
		return ret;
	pr_info("%s: %04x:%02x:%02x.%x adopted on domain %u: %u levels, %u page-table pages, %u ranges, %s mode\n",
		iommu->name, a->unit->segment, bus, PCI_SLOT(devfn),
		PCI_FUNC(devfn), dev->dom->did, dev->dom->levels,
		dev->dom->nr_pages, dev->dom->nr_runs, pkh_vtd_mode_name(unit));
	return 1;
}

static int pkh_vtd_adopt_unit(struct pkh_vtd_adopt *a, struct pkh_vtd_unit *unit)
{
	struct intel_iommu *iommu = unit->iommu;
	unsigned int bus, half, i, adopted = 0;
	bool scalable = sm_supported(iommu);
	struct context_entry *old;
	struct root_entry *root;
	phys_addr_t *slot;
	u64 rtaddr, entry;
	int ret;

	rtaddr = dmar_readq(iommu->reg + DMAR_RTADDR_REG);
	if (a->unit->type != PKH_IOMMU_TYPE_INTEL_VTD ||
	    a->unit->translation_mode != (scalable ? PKH_TRANSLATION_SCALABLE :
				      PKH_TRANSLATION_LEGACY) ||
	    !!(rtaddr & DMA_RTADDR_SMT) != scalable) {
		snprintf(a->why, sizeof(a->why),
			 "the handover's translation mode %u and the root table's (%s) are not this kernel's: VT-d %s mode",
			 a->unit->translation_mode,
			 rtaddr & DMA_RTADDR_SMT ? "scalable" : "legacy",
			 scalable ? "scalable" : "legacy");
		return -EOPNOTSUPP;
	}
	unit->scalable = scalable;
	if ((rtaddr & VTD_PAGE_MASK) != a->unit->root_table) {
		snprintf(a->why, sizeof(a->why),
			 "the hardware uses root table 0x%llx, the handover names 0x%llx",
			 rtaddr & VTD_PAGE_MASK, a->unit->root_table);
		return -EINVAL;
	}
	if (!pkh_vtd_in_carveout(a->unit->root_table, VTD_PAGE_SIZE)) {
		snprintf(a->why, sizeof(a->why),
			 "root table 0x%llx is outside the carve-out",
			 a->unit->root_table);
		return -ERANGE;
	}
	root = phys_to_virt(a->unit->root_table);
	for (bus = 0; bus < 256; bus++) {
		ret = pkh_vtd_check_root_entry(a, unit, &root[bus], bus);
		if (ret)
			return ret;
	}

	iommu->copied_tables = bitmap_zalloc(BIT_ULL(16), GFP_KERNEL);
	unit->adopted = bitmap_zalloc(BIT_ULL(16), GFP_KERNEL);
	if (!iommu->copied_tables || !unit->adopted)
		return -ENOMEM;
	unit->root = a->unit->root_table;
	ret = pkhandover_frozen_add(unit->root, VTD_PAGE_SIZE,
				    PKHANDOVER_FROZEN_TABLES, unit);
	if (ret)
		return ret;
	unit->nr_pages = 1;
	for (bus = 0; bus < 256; bus++) {
		for (half = 0; half < (scalable ? 2 : 1); half++) {
			entry = half ? root[bus].hi : root[bus].lo;
			if (!(entry & 1))
				continue;
			slot = half ? &unit->ctx_hi[bus] : &unit->ctx[bus];
			*slot = entry & VTD_PAGE_MASK;
			ret = pkhandover_frozen_add(*slot, VTD_PAGE_SIZE,
						    PKHANDOVER_FROZEN_TABLES,
						    unit);
			if (ret)
				return ret;
			unit->nr_pages++;
			old = phys_to_virt(*slot);
			for (i = 0; i < (scalable ? 128 : 256); i++) {
				if (!context_present(&old[scalable ? i * 2 : i]))
					continue;
				ret = pkh_vtd_adopt_entry(a, unit, bus,
							  half * 128 + i,
							  &old[scalable ? i * 2 : i]);
				if (ret < 0)
					return ret;
				adopted += ret;
			}
		}
	}
	return adopted;
}

/**
 * pkh_vtd_adopt() - take over a unit a live update left translating
 * @iommu: a unit whose translation is enabled at boot, not in kdump
 *
 * Return: 0 if the kernel was not booted with a pkernfs carve-out (turn
 * translation off as before); 1 if the unit keeps translating, with the
 * context entries that validated copied into @iommu->root_entry and the
 * others left out; a negative errno if nothing could be adopted: the unit
 * keeps translating with an empty root table, so every device is blocked.
 */
int pkh_vtd_adopt(struct intel_iommu *iommu)
{
	const struct pkhandover_info *hi = pkhandover_get_info();
	phys_addr_t base, size;
	struct pkh_vtd_adopt *a;
	struct pkh_vtd_unit *unit;
	unsigned int i;
	int ret;

	if (!pkernfs_carveout_reserved(&base, &size))
		return 0;
	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	mutex_lock(&pkh_vtd_lock);
	ret = pkhandover_get_iommu_state(&a->st);
	if (ret)
		goto out;
	ret = -ENOENT;
	snprintf(a->why, sizeof(a->why), "no accepted handover names it");
	for (i = 0; i < a->st.nr_units; i++)
		if (a->st.units[i].reg_base == iommu->reg_phys) {
			a->unit = &a->st.units[i];
			a->unit_index = i;
		}
	if (!a->unit || !hi->has_carveout_region ||
	    a->unit->table_region != hi->carveout_region)
		goto out;
	a->region = hi->carveout_region;
	a->region_base = base;
	ret = -ENOSPC;
	unit = pkh_vtd_unit_of(iommu, true);
	if (!unit)
		goto out;
	ret = pkh_vtd_adopt_unit(a, unit);
	pkh_vtd_count_pages();
out:
	if (ret < 0)
		pr_err("%s: translation left on by the previous kernel; all its DMA is blocked: %s (%d)\n",
		       iommu->name, a->why, ret);
	else
		pr_info("%s: kept translating for %d device(s) across the live update\n",
			iommu->name, ret);
	pkhandover_put_iommu_state(&a->st);
	kfree(a);
	mutex_unlock(&pkh_vtd_lock);
	return ret < 0 ? ret : 1;
}

/**
 * pkh_vtd_context_adopted() - is this context entry still on frozen tables?
 * @iommu: the unit
 * @bus:   bus
 * @devfn: device and function
 *
 * Called under @iommu->lock; does not sleep.
 */
bool pkh_vtd_context_adopted(struct intel_iommu *iommu, u8 bus, u8 devfn)
{
	unsigned int i;

	for (i = 0; i < PKH_VTD_MAX_UNITS; i++)
		if (pkh_vtd_units[i].iommu == iommu)
			return pkh_vtd_units[i].adopted &&
			       test_bit(bus << 8 | devfn,
					pkh_vtd_units[i].adopted);
	return false;
}

static void pkh_vtd_store_context(struct intel_iommu *iommu,
				  struct context_entry *context,
				  const struct context_entry *new, u8 bus,
				  u8 devfn);

/**
 * pkh_vtd_replace_context() - swap a frozen context entry for a new one
 * @iommu:   the unit
 * @context: the live entry, on the frozen tables
 * @new:     the entry of the domain being attached
 * @bus:     bus
 * @devfn:   device and function
 *
 * One 128-bit store, so the device is never without a translation: before
 * it, the frozen tables; after it, the new domain's, which the VMM built to
 * translate the same.  Called under @iommu->lock.
 */
void pkh_vtd_replace_context(struct intel_iommu *iommu,
			     struct context_entry *context,
			     const struct context_entry *new, u8 bus, u8 devfn)
{
	struct pkh_vtd_unit *unit = pkh_vtd_unit_of(iommu, false);

	pkh_vtd_store_context(iommu, context, new, bus, devfn);
	clear_context_copied(iommu, bus, devfn);
	if (unit && unit->adopted)
		clear_bit(bus << 8 | devfn, unit->adopted);
	schedule_work(&pkh_vtd_replaced_work);
}

/*
 * Store @lo and @hi over the 128 bits at @at, which the unit may be reading,
 * in one write where the CPU can.  Without cmpxchg128 the high half goes
 * first: in a legacy context entry or a second-level PASID entry it holds
 * the domain id, so in between the unit sees the new id on the old tables,
 * which translate the same.
 */
static void pkh_vtd_store128(u64 *at, u64 lo, u64 hi)
{
	u128 old_val, new_val = (u128)hi << 64 | lo;

	if (system_has_cmpxchg128()) {
		old_val = (u128)READ_ONCE(at[1]) << 64 | READ_ONCE(at[0]);
		while (!try_cmpxchg128((u128 *)at, &old_val, new_val))
			;
	} else {
		WRITE_ONCE(at[1], hi);
		WRITE_ONCE(at[0], lo);
	}
}

/*
 * The domain id a validated scalable-mode context entry translates with:
 * that of its RID2PASID entry, PASID 0.
 */
static u16 pkh_vtd_sm_context_did(const struct context_entry *context)
{
	const struct pasid_dir_entry *dir =
		phys_to_virt(context->lo & VTD_PAGE_MASK);
	const struct pasid_entry *pe = phys_to_virt(dir->val & VTD_PAGE_MASK);

	return READ_ONCE(pe->val[1]) & GENMASK_ULL(15, 0);
}

/*
 * Store @new over the live context entry @context in one 128-bit write and
 * flush what the unit cached of the old one.  Called under @iommu->lock.
 */
static void pkh_vtd_store_context(struct intel_iommu *iommu,
				  struct context_entry *context,
				  const struct context_entry *new, u8 bus,
				  u8 devfn)
{
	u16 old_did = sm_supported(iommu) ? pkh_vtd_sm_context_did(context) :
					    context_domain_id(context);

	pkh_vtd_store128(&context->lo, new->lo, new->hi);
	__iommu_flush_cache(iommu, context, sizeof(*context));
	/* Scalable mode: the context cache is not tagged with domain ids. */
	iommu->flush.flush_context(iommu, sm_supported(iommu) ? 0 : old_did,
				   (u16)bus << 8 | devfn, DMA_CCMD_MASK_NOBIT,
				   DMA_CCMD_DEVICE_INVL);
	if (sm_supported(iommu))
		qi_flush_pasid_cache(iommu, old_did, QI_PC_ALL_PASIDS, 0);
	iommu->flush.flush_iotlb(iommu, old_did, 0, 0, DMA_TLB_DSI_FLUSH);
}

/*
 * @dev no longer runs on its frozen domain (its VMM's domain replaced it):
 * its entry leaves the frozen tables, and the domain loses it.  Under
 * pkh_vtd_lock.
 */
static void pkh_vtd_drop_device(struct pkh_vtd_device *dev)
{
	struct pkh_vtd_unit *unit = dev->dom->unit;
	u8 bus = dev->pci_address >> 8 & 0xff, devfn = dev->pci_address & 0xff;
	struct context_entry *ce;

	ce = pkh_vtd_frozen_context(unit, bus, devfn);
	if (!WARN_ON_ONCE(!ce)) {
		memset(ce, 0, (unit->scalable ? 2 : 1) * sizeof(*ce));
		__iommu_flush_cache(unit->iommu, ce,
				    (unit->scalable ? 2 : 1) * sizeof(*ce));
	}
	dev->state = PKH_VTD_REPLACED;
	dev->dom->nr_devices--;
	dev->dom = NULL;
	pkhandover_release_device(dev->pci_address);
}

/*
 * Does a device of @unit still run on the handed-over tables?  A device is
 * adopted until this work drops it: a replace that came after the work
 * looked at its bit keeps it so, and the tables with it.  Under
 * pkh_vtd_lock.
 */
static bool pkh_vtd_unit_has_adopted(const struct pkh_vtd_unit *unit)
{
	const struct pkh_vtd_device *dev;

	list_for_each_entry(dev, &pkh_vtd_devices, link)
		if (dev->state == PKH_VTD_ADOPTED && dev->dom->unit == unit)
			return true;
	return false;
}

/*
 * After a replace: the device no longer needs its frozen entry, and a
 * domain no device uses gives its pages back to pkernfs.
 */
static void pkh_vtd_replaced_fn(struct work_struct *work)
{
	struct pkh_vtd_domain *dom, *next_dom;
	struct pkh_vtd_device *dev;
	struct pkh_vtd_unit *unit;
	unsigned long flags;
	u8 bus, devfn;
	bool adopted;

	mutex_lock(&pkh_vtd_lock);
	list_for_each_entry(dev, &pkh_vtd_devices, link) {
		if (dev->state != PKH_VTD_ADOPTED)
			continue;
		unit = dev->dom->unit;
		bus = dev->pci_address >> 8 & 0xff;
		devfn = dev->pci_address & 0xff;
		spin_lock_irqsave(&unit->iommu->lock, flags);
		adopted = unit->adopted &&
			  test_bit(bus << 8 | devfn, unit->adopted);
		spin_unlock_irqrestore(&unit->iommu->lock, flags);
		if (adopted)
			continue;
		pkh_vtd_drop_device(dev);
		pr_info("%04x:%02x:%02x.%x: frozen domain %u replaced\n",
			dev->pci_address >> 16, bus, PCI_SLOT(devfn),
			PCI_FUNC(devfn), dev->did);
	}
	list_for_each_entry_safe(dom, next_dom, &pkh_vtd_domains, link) {
		if (dom->nr_devices || dom->source)
			continue;
		pr_info("domain %u: %u frozen page-table pages back to pkernfs\n",
			dom->did, dom->nr_pages);
		pkhandover_frozen_remove(dom);
		pkh_vtd_free_did(dom->unit->iommu, dom->did);
		list_del(&dom->link);
		kfree(dom->runs);
		kfree(dom);
	}
	for (unit = pkh_vtd_units; unit < pkh_vtd_units + PKH_VTD_MAX_UNITS;
	     unit++) {
		unsigned long *done;

		if (!unit->root || !unit->adopted ||
		    pkh_vtd_unit_has_adopted(unit))
			continue;
		pkhandover_frozen_remove(unit);
		unit->root = 0;
		memset(unit->ctx, 0, sizeof(unit->ctx));
		memset(unit->ctx_hi, 0, sizeof(unit->ctx_hi));
		/*
		 * The handed-over tables are gone: tables a later freeze
		 * makes on this unit are not adopted ones, and must not be
		 * given back here when the next replace or freed domain
		 * runs this again.
		 */
		spin_lock_irqsave(&unit->iommu->lock, flags);
		done = unit->adopted;
		unit->adopted = NULL;
		spin_unlock_irqrestore(&unit->iommu->lock, flags);
		bitmap_free(done);
	}
	pkh_vtd_count_pages();
	mutex_unlock(&pkh_vtd_lock);
}

/* ------------------------------------------------------------ interfaces */

static bool pkh_vtd_has_tables(void)
{
	return atomic_read(&pkh_vtd_table_pages) > 0;
}

static bool pkh_vtd_live(const struct pkh_vtd_device *dev)
{
	return dev->state == PKH_VTD_FROZEN || dev->state == PKH_VTD_ADOPTED;
}

/* Domains in the blob's order, (unit, domain id); -1 if none left. */
static int pkh_vtd_domain_index(const struct pkh_vtd_domain *want)
{
	const struct pkh_vtd_domain *dom;
	int index = 0;

	list_for_each_entry(dom, &pkh_vtd_domains, link)
		if (dom->nr_devices &&
		    (dom->unit->iommu->reg_phys < want->unit->iommu->reg_phys ||
		     (dom->unit == want->unit && dom->did < want->did)))
			index++;
	return want->nr_devices ? index : -1;
}

/* The device kept running with the lowest PCI address from @from on. */
static struct pkh_vtd_device *pkh_vtd_next_device(u32 from)
{
	struct pkh_vtd_device *dev, *lowest = NULL;

	list_for_each_entry(dev, &pkh_vtd_devices, link)
		if (pkh_vtd_live(dev) && dev->pci_address >= from &&
		    (!lowest || dev->pci_address < lowest->pci_address))
			lowest = dev;
	return lowest;
}

/* The units with a root table, ascending register base: the blob's order. */
static unsigned int pkh_vtd_collect_units(struct pkhandover_state *hs,
					  unsigned int region,
					  int unit_index[PKH_VTD_MAX_UNITS])
{
	struct pkh_state_unit *out;
	unsigned int i, n, nr = 0;
	int next;

	for (i = 0; i < PKH_VTD_MAX_UNITS; i++)
		unit_index[i] = -1;
	for (n = 0; n < PKH_VTD_MAX_UNITS; n++) {
		next = -1;
		for (i = 0; i < PKH_VTD_MAX_UNITS; i++)
			if (pkh_vtd_units[i].root && unit_index[i] < 0 &&
			    (next < 0 || pkh_vtd_units[i].iommu->reg_phys <
			     pkh_vtd_units[next].iommu->reg_phys))
				next = i;
		if (next < 0)
			break;
		unit_index[next] = nr;
		out = &hs->units[nr++];
		out->type = PKH_IOMMU_TYPE_INTEL_VTD;
		out->reg_base = pkh_vtd_units[next].iommu->reg_phys;
		out->segment = pkh_vtd_units[next].iommu->segment;
		out->root_table = pkh_vtd_units[next].root;
		out->translation_mode = pkh_vtd_units[next].scalable ?
					PKH_TRANSLATION_SCALABLE :
					PKH_TRANSLATION_LEGACY;
		out->table_region = region;
	}
	return nr;
}

static int pkh_vtd_collect(struct pkhandover_state *hs, unsigned int region,
			   phys_addr_t base)
{
	unsigned int i, n, nr_devices = 0, nr_domains = 0, nr_runs = 0;
	int unit_index[PKH_VTD_MAX_UNITS];
	const struct pkh_vtd_domain *dom, *best;
	struct pkh_state_mapping *map;
	struct pkh_state_domain *d;
	struct pkh_vtd_device *dev;
	u32 from = 0;
	int ret = 0;

	mutex_lock(&pkh_vtd_lock);
	list_for_each_entry(dev, &pkh_vtd_devices, link)
		nr_devices += pkh_vtd_live(dev);
	if (!nr_devices)
		goto out;
	list_for_each_entry(dom, &pkh_vtd_domains, link) {
		if (dom->nr_devices) {
			nr_domains++;
			nr_runs += dom->nr_runs;
		}
	}
	hs->units = kvcalloc(PKH_VTD_MAX_UNITS, sizeof(*hs->units),
			     GFP_KERNEL);
	hs->domains = kvcalloc(max(nr_domains, 1u), sizeof(*hs->domains),
			       GFP_KERNEL);
	hs->maps = kvcalloc(max(nr_runs, 1u), sizeof(*hs->maps), GFP_KERNEL);
	hs->devices = kvcalloc(nr_devices, sizeof(*hs->devices), GFP_KERNEL);
	if (!hs->units || !hs->domains || !hs->maps || !hs->devices) {
		ret = -ENOMEM;
		goto out;
	}
	hs->state.units = hs->units;
	hs->state.nr_units = pkh_vtd_collect_units(hs, region, unit_index);

	/* Domains in the blob's order, each with what it translates. */
	map = hs->maps;
	for (n = 0; n < nr_domains; n++) {
		best = NULL;
		list_for_each_entry(dom, &pkh_vtd_domains, link)
			if (pkh_vtd_domain_index(dom) == n)
				best = dom;
		if (WARN_ON_ONCE(!best))
			break;
		d = &hs->domains[n];
		d->unit = unit_index[best->unit - pkh_vtd_units];
		d->domain_id = best->did;
		d->pgtable_root = best->pgd;
		d->format = PKH_PGTABLE_VTD_SECOND_LEVEL;
		d->levels = best->levels;
		d->address_width = 12 + LEVEL_STRIDE * best->levels;
		d->iova_map = map;
		d->nr_iova = best->nr_runs;
		for (i = 0; i < best->nr_runs; i++, map++) {
			map->iova = best->runs[i].iova;
			map->region_offset = best->runs[i].phys - base;
			map->length = best->runs[i].len;
			map->region = region;
			map->perm = best->runs[i].perm;
		}
	}
	hs->state.domains = hs->domains;
	hs->state.nr_domains = n;

	/* Devices in ascending PCI address. */
	for (n = 0; n < nr_devices; n++) {
		dev = pkh_vtd_next_device(from);
		if (WARN_ON_ONCE(!dev))
			break;
		from = dev->pci_address + 1;
		hs->devices[n].pci_address = dev->pci_address;
		for (i = 0; i < ARRAY_SIZE(dev->ids); i++)
			hs->devices[n].pci_ids[i] = dev->ids[i];
		hs->devices[n].iommu_group = dev->group;
		hs->devices[n].domain = pkh_vtd_domain_index(dev->dom);
		hs->devices[n].flags = PKH_DEVICE_F_NO_RESET |
				       PKH_DEVICE_F_KEEP_BUS_MASTER;
	}
	hs->state.devices = hs->devices;
	hs->state.nr_devices = n;
out:
	mutex_unlock(&pkh_vtd_lock);
	return ret;
}

/*
 * Scalable mode: the kept attach moves the device's RID2PASID entry, in its
 * own PASID table, to the frozen copy: the second-level fields are all in
 * its first 128 bits, stored at once.  Its context entry stays on that
 * table, so that a later owner's attach tears the entry down and sets it up
 * as usual.  Under pkh_vtd_lock.
 */
static int pkh_vtd_kept_attach_sm(struct pkh_vtd_device *dev,
				  struct device *device,
				  struct intel_iommu *iommu)
{
	struct pasid_entry frozen, *pte;
	bool was_present;
	u16 old_did = 0;

	pkh_vtd_pasid_entry(&frozen, dev->dom, iommu);
	spin_lock(&iommu->lock);
	pte = intel_pasid_get_entry(device, IOMMU_NO_PASID);
	if (!pte) {
		spin_unlock(&iommu->lock);
		return -ENOMEM;
	}
	was_present = pasid_pte_is_present(pte);
	if (was_present && pasid_pte_get_pgtt(pte) != PASID_ENTRY_PGTT_SL_ONLY) {
		spin_unlock(&iommu->lock);
		return -EINVAL;
	}
	if (was_present) {
		old_did = pasid_get_domain_id(pte);
		pkh_vtd_store128(&pte->val[0], frozen.val[0], frozen.val[1]);
	} else {
		/* Not present: the rest first, then the present bit. */
		WRITE_ONCE(pte->val[1], frozen.val[1]);
		dma_wmb();
		WRITE_ONCE(pte->val[0], frozen.val[0]);
	}
	spin_unlock(&iommu->lock);
	__iommu_flush_cache(iommu, pte, sizeof(*pte));
	if (was_present) {
		qi_flush_pasid_cache(iommu, old_did, QI_PC_PASID_SEL,
				     IOMMU_NO_PASID);
		iommu->flush.flush_iotlb(iommu, old_did, 0, 0,
					 DMA_TLB_DSI_FLUSH);
	} else if (cap_caching_mode(iommu->cap)) {
		/* As pasid_flush_caches() does for a new entry. */
		qi_flush_pasid_cache(iommu, dev->did, QI_PC_PASID_SEL,
				     IOMMU_NO_PASID);
		qi_flush_piotlb(iommu, dev->did, IOMMU_NO_PASID, 0, -1, 0);
	} else {
		iommu_flush_write_buffer(iommu);
	}
	return 0;
}

/*
 * The kept domain.  Its owner let go of the device before the live update
 * (the VMM closed it, or died): the IOMMU core attaches this instead of
 * blocking the device.  The device's entry moves to the frozen copy in one
 * store; both translate the same, so its DMA goes on.  The domain the
 * entry named loses the device as device_block_translation() would make
 * it, except that the entry is kept.
 */
static int pkh_vtd_kept_attach(struct iommu_domain *domain,
			       struct device *device)
{
	struct pkh_vtd_device *dev = container_of(domain, struct pkh_vtd_device,
						  kept);
	struct device_domain_info *info = dev_iommu_priv_get(device);
	struct intel_iommu *iommu = info->iommu;
	struct context_entry *live, entry;
	unsigned long flags;
	int ret = -EINVAL;

	mutex_lock(&pkh_vtd_lock);
	if (!dev->dom || dev->dom->unit->iommu != iommu ||
	    dev->pci_address != pkh_vtd_pci_address(info->segment, info->bus,
						     info->devfn))
		goto out;
	/*
	 * New kernel: the adopted entry is in place already.  The device
	 * stays "not attached" for the driver, so that its VMM's first
	 * attach swaps the entry in one store (domain_context_mapping_one())
	 * instead of clearing it first.
	 */
	if (dev->state == PKH_VTD_ADOPTED) {
		spin_lock(&iommu->lock);
		if (pkh_vtd_context_adopted(iommu, info->bus, info->devfn))
			ret = 0;
		spin_unlock(&iommu->lock);
		goto out;
	}
	if (dev->state != PKH_VTD_FROZEN)
		goto out;
	if (sm_supported(iommu)) {
		ret = pkh_vtd_kept_attach_sm(dev, device, iommu);
		if (ret)
			goto out;
	} else {
		pkh_vtd_context_entry(&entry, dev->dom, iommu);
		spin_lock(&iommu->lock);
		live = iommu_context_addr(iommu, info->bus, info->devfn, 0);
		if (live)
			pkh_vtd_store_context(iommu, live, &entry, info->bus,
					      info->devfn);
		spin_unlock(&iommu->lock);
		ret = -ENOMEM;
		if (!live)
			goto out;
	}
	if (info->domain) {
		cache_tag_unassign_domain(info->domain, device, IOMMU_NO_PASID);
		spin_lock_irqsave(&info->domain->lock, flags);
		list_del(&info->link);
		spin_unlock_irqrestore(&info->domain->lock, flags);
		domain_detach_iommu(info->domain, iommu);
		info->domain = NULL;
	}
	info->domain_attached = true;
	dev_info(device, "pkhandover: on its frozen domain %u: its DMA goes on without its owner until the live update\n",
		 dev->did);
	ret = 0;
out:
	mutex_unlock(&pkh_vtd_lock);
	return ret;
}

/* Where frozen domain @dom translates @iova to; 0 if nowhere. */
static phys_addr_t pkh_vtd_run_phys(const struct pkh_vtd_domain *dom, u64 iova)
{
	unsigned int i;

	for (i = 0; i < dom->nr_runs; i++)
		if (iova >= dom->runs[i].iova &&
		    iova - dom->runs[i].iova < dom->runs[i].len)
			return dom->runs[i].phys + (iova - dom->runs[i].iova);
	return 0;
}

/* Where the frozen copy translates @iova to: for debugging (iommu_iova_to_phys). */
static phys_addr_t pkh_vtd_kept_iova_to_phys(struct iommu_domain *domain,
					     dma_addr_t iova)
{
	struct pkh_vtd_device *dev = container_of(domain, struct pkh_vtd_device,
						  kept);
	phys_addr_t phys = 0;

	mutex_lock(&pkh_vtd_lock);
	if (dev->dom)
		phys = pkh_vtd_run_phys(dev->dom, iova);
	mutex_unlock(&pkh_vtd_lock);
	return phys;
}

/*
 * A new owner's domain replaced the kept one (the core frees it then), or
 * the group went away: the device is no longer kept for the live update.
 * Its entry leaves the frozen tables, and a frozen domain no device uses
 * gives its pages back to pkernfs.
 */
static void pkh_vtd_kept_free(struct iommu_domain *domain)
{
	struct pkh_vtd_device *dev = container_of(domain, struct pkh_vtd_device,
						  kept);
	u8 bus = dev->pci_address >> 8 & 0xff, devfn = dev->pci_address & 0xff;

	mutex_lock(&pkh_vtd_lock);
	if (dev->state == PKH_VTD_FROZEN && dev->dom) {
		pkh_vtd_drop_device(dev);
		pr_info("%04x:%02x:%02x.%x: taken over by a new owner: no longer kept for a live update\n",
			dev->pci_address >> 16, bus, PCI_SLOT(devfn),
			PCI_FUNC(devfn));
	}
	mutex_unlock(&pkh_vtd_lock);
	schedule_work(&pkh_vtd_replaced_work);
}

static const struct iommu_domain_ops pkh_vtd_kept_ops = {
	.attach_dev = pkh_vtd_kept_attach,
	.iova_to_phys = pkh_vtd_kept_iova_to_phys,
	.free = pkh_vtd_kept_free,
};

/**
 * pkh_vtd_probe_finalize() - put an adopted device on its kept domain
 * @device: a device the IOMMU core has just set up
 *
 * New kernel: a device adopted from the handover is DMAing through the
 * frozen tables.  The IOMMU core gets to see that: the group's domain is
 * the device's kept domain, IOMMU_DOMAIN_PKERNFS, instead of a default
 * domain never attached.  No kernel driver can then claim the device, and
 * its VMM's first attach replaces the kept domain through the core.
 */
void pkh_vtd_probe_finalize(struct device *device)
{
	struct device_domain_info *info = dev_iommu_priv_get(device);
	struct pkh_vtd_device *dev, *adopted = NULL;
	u32 pci_address;
	int ret;

	if (!info || !dev_is_pci(device) || !device->iommu_group)
		return;
	pci_address = pkh_vtd_pci_address(info->segment, info->bus,
					  info->devfn);
	mutex_lock(&pkh_vtd_lock);
	list_for_each_entry(dev, &pkh_vtd_devices, link)
		if (dev->pci_address == pci_address &&
		    dev->state == PKH_VTD_ADOPTED &&
		    dev->dom->unit->iommu == info->iommu)
			adopted = dev;
	mutex_unlock(&pkh_vtd_lock);
	if (!adopted)
		return;
	ret = iommu_group_attach_kept_domain(device->iommu_group,
					     &adopted->kept);
	if (ret)
		dev_warn(device, "pkhandover: its adopted domain %u is not the IOMMU core's: %d\n",
			 adopted->did, ret);
	else
		dev_info(device, "pkhandover: the IOMMU core attached it to its adopted domain %u (IOMMU_DOMAIN_PKERNFS)\n",
			 adopted->did);
}

/*
 * "core SSSS:BB:DD.F domain=pkernfs iova 0xI -> 0xP" when the IOMMU core
 * has the device on its kept domain, with where the kept domain
 * translates the first mapped iova (iommu_iova_to_phys()).  Under
 * pkh_vtd_lock.
 */
static void pkh_vtd_show_core_domain(struct seq_file *m,
				     const struct pkh_vtd_device *dev)
{
	struct iommu_domain *domain;
	struct pci_dev *pdev;
	u64 iova;

	if (!dev->dom || !dev->dom->nr_runs)
		return;
	pdev = pci_get_domain_bus_and_slot(dev->pci_address >> 16,
					   dev->pci_address >> 8 & 0xff,
					   dev->pci_address & 0xff);
	if (!pdev)
		return;
	domain = iommu_get_domain_for_dev(&pdev->dev);
	if (domain == &dev->kept) {
		iova = dev->dom->runs[0].iova;
		/*
		 * What iommu_iova_to_phys() answers, computed here: its op
		 * takes pkh_vtd_lock, which this holds.
		 */
		seq_printf(m, "core %s domain=pkernfs iova 0x%llx -> 0x%llx\n",
			   pci_name(pdev), iova,
			   (u64)pkh_vtd_run_phys(dev->dom, iova));
	}
	pci_dev_put(pdev);
}

static int pkh_vtd_status_show(struct seq_file *m)
{
	const struct pkh_vtd_domain *dom;
	const struct pkh_vtd_device *dev;
	const struct pkh_vtd_unit *unit;

	mutex_lock(&pkh_vtd_lock);
	for (unit = pkh_vtd_units; unit < pkh_vtd_units + PKH_VTD_MAX_UNITS;
	     unit++) {
		if (!unit->iommu)
			continue;
		seq_printf(m, "unit %s reg=0x%llx root=", unit->iommu->name,
			   unit->iommu->reg_phys);
		if (unit->root)
			seq_printf(m, "0x%llx pages=%u mode=%s\n",
				   (u64)unit->root, unit->nr_pages,
				   pkh_vtd_mode_name(unit));
		else
			seq_puts(m, "none\n");
	}
	list_for_each_entry(dom, &pkh_vtd_domains, link)
		seq_printf(m, "domain did=%u unit=%s pgtable=0x%llx levels=%u pages=%u ranges=%u devices=%u type=pkernfs\n",
			   dom->did, dom->unit->iommu->name, (u64)dom->pgd,
			   dom->levels, dom->nr_pages, dom->nr_runs,
			   dom->nr_devices);
	list_for_each_entry(dev, &pkh_vtd_devices, link)
		seq_printf(m, "device %04x:%02x:%02x.%x did=%u ids=%04x:%04x %s\n",
			   dev->pci_address >> 16, dev->pci_address >> 8 & 0xff,
			   PCI_SLOT(dev->pci_address & 0xff),
			   PCI_FUNC(dev->pci_address & 0xff), dev->did,
			   dev->ids[0], dev->ids[1],
			   pkh_vtd_state_names[dev->state]);
	list_for_each_entry(dev, &pkh_vtd_devices, link)
		pkh_vtd_show_core_domain(m, dev);
	seq_printf(m, "frozen-table-pages %d\n",
		   atomic_read(&pkh_vtd_table_pages));
	mutex_unlock(&pkh_vtd_lock);
	return 0;
}

static const struct pkhandover_iommu_ops pkh_vtd_ops = {
	.freeze = pkh_vtd_freeze,
	.has_tables = pkh_vtd_has_tables,
	.collect = pkh_vtd_collect,
	.status_show = pkh_vtd_status_show,
};

/**
 * pkh_vtd_init() - offer freezing to pkhandover
 */
void pkh_vtd_init(void)
{
	pkhandover_register_iommu(&pkh_vtd_ops);
}
