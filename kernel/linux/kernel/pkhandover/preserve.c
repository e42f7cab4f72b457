// SPDX-License-Identifier: GPL-2.0-only
/*
 * What a live update keeps running: devices whose DMA continues through
 * kexec, the pkernfs memory their frozen IOMMU tables live in, and the
 * memory those tables translate to.
 *
 * The IOMMU driver decides what is frozen (before kexec) or adopted (after
 * it) and records it here; the rest of the kernel asks here:
 *   - the PCI core does not clear bus-master of a kept device at kexec,
 *     and vfio-pci does not reset it when it is first opened;
 *   - pkernfs refuses to let anyone write to frozen tables, or resize or
 *     remove a file a kept device still DMAs into, because either would
 *     hand a running device memory that is no longer what the tables say.
 */

#define pr_fmt(fmt) "pkhandover: " fmt

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/pkhandover.h>
#include <linux/pkhandover/abi.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

struct pkh_frozen_range {
	struct list_head link;
	phys_addr_t start;
	u64 size;
	enum pkhandover_frozen_kind kind;
	const void *owner;
};

struct pkh_kept_device {
	struct list_head link;
	u32 pci_address;
	const void *owner;
};

static DEFINE_MUTEX(pkh_preserve_lock);
static LIST_HEAD(pkh_frozen_ranges);
static LIST_HEAD(pkh_kept_devices);
static const struct pkhandover_iommu_ops *pkh_iommu_ops;

/**
 * pkhandover_frozen_add() - record memory a running device depends on
 * @start: first byte
 * @size:  bytes
 * @kind:  frozen IOMMU tables (nobody may write them) or DMA target
 *         memory (nobody may free it)
 * @owner: who to remove it for, in pkhandover_frozen_remove()
 *
 * Return: 0 or -ENOMEM.
 */
int pkhandover_frozen_add(phys_addr_t start, u64 size,
			  enum pkhandover_frozen_kind kind, const void *owner)
{
	struct pkh_frozen_range *r = kzalloc(sizeof(*r), GFP_KERNEL);

	if (!r)
		return -ENOMEM;
	r->start = start;
	r->size = size;
	r->kind = kind;
	r->owner = owner;
	mutex_lock(&pkh_preserve_lock);
	list_add_tail(&r->link, &pkh_frozen_ranges);
	mutex_unlock(&pkh_preserve_lock);
	return 0;
}

/**
 * pkhandover_frozen_remove() - forget every range recorded for @owner
 * @owner: as given to pkhandover_frozen_add()
 */
void pkhandover_frozen_remove(const void *owner)
{
	struct pkh_frozen_range *r, *next;

	mutex_lock(&pkh_preserve_lock);
	list_for_each_entry_safe(r, next, &pkh_frozen_ranges, link) {
		if (r->owner == owner) {
			list_del(&r->link);
			kfree(r);
		}
	}
	mutex_unlock(&pkh_preserve_lock);
}

/**
 * pkhandover_frozen_overlaps() - does a range touch frozen memory?
 * @start:       first byte
 * @size:        bytes
 * @tables_only: only count frozen IOMMU tables
 */
bool pkhandover_frozen_overlaps(phys_addr_t start, u64 size,
				bool tables_only)
{
	struct pkh_frozen_range *r;
	bool hit = false;

	mutex_lock(&pkh_preserve_lock);
	list_for_each_entry(r, &pkh_frozen_ranges, link) {
		if (tables_only && r->kind != PKHANDOVER_FROZEN_TABLES)
			continue;
		if (start < r->start + r->size && r->start < start + size) {
			hit = true;
			break;
		}
	}
	mutex_unlock(&pkh_preserve_lock);
	return hit;
}

/**
 * pkhandover_keep_device() - keep a device running across kexec
 * @pci_address: segment << 16 | bus << 8 | devfn
 * @owner:       who keeps it
 *
 * Return: 0, or -ENOMEM.
 */
int pkhandover_keep_device(u32 pci_address, const void *owner)
{
	struct pkh_kept_device *d = kzalloc(sizeof(*d), GFP_KERNEL);

	if (!d)
		return -ENOMEM;
	d->pci_address = pci_address;
	d->owner = owner;
	mutex_lock(&pkh_preserve_lock);
	list_add_tail(&d->link, &pkh_kept_devices);
	mutex_unlock(&pkh_preserve_lock);
	return 0;
}

/**
 * pkhandover_release_device() - stop keeping a device running
 * @pci_address: as given to pkhandover_keep_device()
 */
void pkhandover_release_device(u32 pci_address)
{
	struct pkh_kept_device *d, *next;

	mutex_lock(&pkh_preserve_lock);
	list_for_each_entry_safe(d, next, &pkh_kept_devices, link) {
		if (d->pci_address == pci_address) {
			list_del(&d->link);
			kfree(d);
		}
	}
	mutex_unlock(&pkh_preserve_lock);
}

/**
 * pkhandover_device_kept() - is @pdev a device a live update keeps running?
 * @pdev: the device
 *
 * True for a device whose IOMMU domain is frozen for the next kernel, and,
 * after the live update, for a device still translated through the tables
 * it inherited.  Such a device must keep bus-master and must not be reset.
 */
bool pkhandover_device_kept(struct pci_dev *pdev)
{
	u32 addr = (u32)pci_domain_nr(pdev->bus) << 16 |
		   (u32)pdev->bus->number << 8 | pdev->devfn;
	struct pkh_kept_device *d;
	bool kept = false;

	mutex_lock(&pkh_preserve_lock);
	list_for_each_entry(d, &pkh_kept_devices, link) {
		if (d->pci_address == addr) {
			kept = true;
			break;
		}
	}
	mutex_unlock(&pkh_preserve_lock);
	return kept;
}

/**
 * pkhandover_register_iommu() - the IOMMU driver that freezes and adopts
 * @ops: its callbacks; only one driver may register
 */
void pkhandover_register_iommu(const struct pkhandover_iommu_ops *ops)
{
	if (WARN_ON(pkh_iommu_ops))
		return;
	pkh_iommu_ops = ops;
}

/**
 * pkhandover_iommu_freeze() - keep a device's translation across kexec
 * @dev:    the device
 * @domain: the paging domain it is attached to
 * @tables: the pkernfs file that is to hold a copy of the page tables
 * @kept:   set to the domain the device's IOMMU group is to fall back to
 *          if its owner lets go of it before the live update
 *          (iommu_group_set_kept_domain())
 *
 * The caller (iommufd) keeps @domain's entries from changing meanwhile
 * and afterwards.
 *
 * Return: 0, -EOPNOTSUPP without an IOMMU driver that can, or its error.
 */
int pkhandover_iommu_freeze(struct device *dev, struct iommu_domain *domain,
			    struct file *tables, struct iommu_domain **kept)
{
	if (!pkh_iommu_ops)
		return -EOPNOTSUPP;
	return pkh_iommu_ops->freeze(dev, domain, tables, kept);
}
EXPORT_SYMBOL_GPL(pkhandover_iommu_freeze);

/**
 * pkhandover_iommu_has_tables() - are there frozen IOMMU tables to hand
 * over?  Does not sleep.
 */
bool pkhandover_iommu_has_tables(void)
{
	return pkh_iommu_ops && pkh_iommu_ops->has_tables();
}

/**
 * pkhandover_iommu_collect() - add the IOMMU part of the state
 * @hs:          the state, its region already collected by pkernfs
 * @region:      index of the region that holds the tables and guest RAM
 * @region_base: that region's base
 *
 * Adds nothing when nothing is frozen.
 *
 * Return: 0 or -ENOMEM.
 */
int pkhandover_iommu_collect(struct pkhandover_state *hs, unsigned int region,
			     phys_addr_t region_base)
{
	if (!pkh_iommu_ops)
		return 0;
	return pkh_iommu_ops->collect(hs, region, region_base);
}

/**
 * pkhandover_iommu_status_show() - what is frozen or adopted, for people
 * @m: where
 */
int pkhandover_iommu_status_show(struct seq_file *m)
{
	if (!pkh_iommu_ops) {
		seq_puts(m, "iommu none\n");
		return 0;
	}
	return pkh_iommu_ops->status_show(m);
}
