// SPDX-License-Identifier: GPL-2.0-only
/*
 * /sys/kernel/pkhandover/: the handover, for root only.
 *
 * status    (0400) one line of key=value pairs:
 *             handover=none|accepted|rejected
 *             accepted: generation=N nonce=0xX regions=N files=N
 *                       extents=N units=N domains=N devices=N parse_us=N
 *             rejected: error=CODE where=PATH
 *             pkernfs=not-mounted|formatted|adopted|not-adopted|stale|
 *                     disabled  [adopted=N]
 *             carveout=0xBASE+0xSIZE|unusable:0xBASE+0xSIZE|none
 * received  (0400) the blob this kernel received, byte for byte; only
 *           present if it was accepted
 * state     (0400) what to hand over to the next kernel, as the JSON spec
 *           "pkhandover build" and "kexec --live-update" read; reading it
 *           fails with ENODEV while pkernfs is not mounted.  Each open
 *           reads one consistent snapshot.
 * handover  (0400) the same snapshot as the blob this kernel writes itself
 *           (state.c): byte for byte what "pkhandover build" makes of
 *           state, and what a kexec_file_load live update attaches
 * iommu     (0400) what the IOMMU driver has frozen for the next kernel or
 *           adopted from the previous one, one record per line:
 *             unit NAME reg=0xR root=0xR|none ...
 *             domain N unit=NAME did=N pgtable=0xP levels=N pages=N STATE
 *             device SSSS:BB:DD.F domain=N STATE
 *             frozen-table-pages N
 *           A VMM freezes a device's translation with the iommufd ioctl
 *           IOMMU_HWPT_FREEZE (include/uapi/linux/iommufd.h); this file
 *           is only the view of it.
 *
 * The blob as the boot loader passed it is also in
 * /sys/kernel/boot_params/setup_data/N/data, with type 0x504b4831.
 */

#define pr_fmt(fmt) "pkhandover: " fmt

#include <linux/init.h>
#include <linux/kernfs.h>
#include <linux/kobject.h>
#include <linux/pkhandover.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/sysfs.h>

static struct kobject *pkh_kobj;

static ssize_t status_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	const struct pkhandover_info *hi = pkhandover_get_info();
	char where[sizeof(hi->where)];
	phys_addr_t base, size;
	const char *fs;
	int n = 0;
	u64 gen;

	switch (hi->status) {
	case PKHANDOVER_NONE:
		n += sysfs_emit_at(buf, n, "handover=none");
		break;
	case PKHANDOVER_ACCEPTED:
		n += sysfs_emit_at(buf, n,
				   "handover=accepted generation=%llu nonce=0x%016llx regions=%u files=%u extents=%lu units=%u domains=%u devices=%u parse_us=%llu",
				   hi->generation, hi->nonce, hi->nr_regions,
				   hi->nr_files, hi->nr_extents, hi->nr_units,
				   hi->nr_domains, hi->nr_devices,
				   hi->parse_ns / NSEC_PER_USEC);
		break;
	case PKHANDOVER_REJECTED:
		strscpy(where, hi->where);
		strreplace(where, ' ', '_');
		n += sysfs_emit_at(buf, n, "handover=rejected error=%s where=%s",
				   pkhandover_error_name(hi->error), where);
		break;
	}
	fs = pkernfs_status(&gen);
	n += sysfs_emit_at(buf, n, " pkernfs=%s", fs);
	if (gen)
		n += sysfs_emit_at(buf, n, " adopted=%llu", gen);
	if (pkernfs_carveout_usable(&base, &size))
		n += sysfs_emit_at(buf, n, " carveout=%pa+%pa", &base, &size);
	else if (pkernfs_carveout_reserved(&base, &size))
		n += sysfs_emit_at(buf, n, " carveout=unusable:%pa+%pa",
				   &base, &size);
	else
		n += sysfs_emit_at(buf, n, " carveout=none");
	n += sysfs_emit_at(buf, n, "\n");
	return n;
}

static struct kobj_attribute pkh_status_attr = __ATTR(status, 0400,
						      status_show, NULL);

static ssize_t received_read(struct file *file, struct kobject *kobj,
			     struct bin_attribute *attr, char *buf,
			     loff_t off, size_t count)
{
	const struct pkhandover_info *hi = pkhandover_get_info();

	return memory_read_from_buffer(buf, count, &off, hi->blob, hi->size);
}

static struct bin_attribute pkh_received_attr = {
	.attr = { .name = "received", .mode = 0400 },
	.read = received_read,
};

static int pkh_state_seq_show(struct seq_file *m, void *v)
{
	return pkhandover_state_json_show(m);
}

static const struct kernfs_ops pkh_state_ops = {
	.seq_show = pkh_state_seq_show,
};

static int pkh_handover_seq_show(struct seq_file *m, void *v)
{
	return pkhandover_state_blob_show(m);
}

static const struct kernfs_ops pkh_handover_ops = {
	.seq_show = pkh_handover_seq_show,
};

static int pkh_iommu_seq_show(struct seq_file *m, void *v)
{
	return pkhandover_iommu_status_show(m);
}

static const struct kernfs_ops pkh_iommu_ops = {
	.seq_show = pkh_iommu_seq_show,
};

/*
 * A root-only kernfs seq_file, not a sysfs attribute: what it shows can be
 * far larger than a page, and a reader must get one snapshot.
 */
static int __init pkh_create_seq_file(const char *name,
				      const struct kernfs_ops *ops)
{
	struct kernfs_node *kn;

	kn = __kernfs_create_file(pkh_kobj->sd, name, 0400, GLOBAL_ROOT_UID,
				  GLOBAL_ROOT_GID, 0, ops, NULL, NULL, NULL);
	return PTR_ERR_OR_ZERO(kn);
}

static int __init pkhandover_sysfs_init(void)
{
	const struct pkhandover_info *hi = pkhandover_get_info();
	int ret;

	pkh_kobj = kobject_create_and_add("pkhandover", kernel_kobj);
	if (!pkh_kobj)
		return -ENOMEM;
	ret = sysfs_create_file(pkh_kobj, &pkh_status_attr.attr);
	if (ret)
		goto fail;
	if (hi->status == PKHANDOVER_ACCEPTED) {
		pkh_received_attr.size = hi->size;
		ret = sysfs_create_bin_file(pkh_kobj, &pkh_received_attr);
		if (ret)
			goto fail;
	}
	if (IS_ENABLED(CONFIG_PKERNFS)) {
		ret = pkh_create_seq_file("state", &pkh_state_ops);
		if (!ret)
			ret = pkh_create_seq_file("handover", &pkh_handover_ops);
		if (ret)
			goto fail;
	}
	ret = pkh_create_seq_file("iommu", &pkh_iommu_ops);
	if (ret)
		goto fail;
	return 0;
fail:
	pr_err("cannot create /sys/kernel/pkhandover: %d\n", ret);
	return ret;
}
late_initcall(pkhandover_sysfs_init);
