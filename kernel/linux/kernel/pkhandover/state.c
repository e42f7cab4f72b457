// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the next kernel is to get, taken once and shown two ways:
 *
 *   /sys/kernel/pkhandover/state     the JSON spec that "pkhandover build"
 *                                    and kexec --live-update read
 *   /sys/kernel/pkhandover/handover  the blob this kernel writes of it
 *                                    itself (pkh_encode()), as it hands it
 *                                    over when userspace may not
 *                                    (kexec_file_load)
 *
 * Both come from one struct pkhandover_state, filled by pkernfs (the
 * carve-out, its files, where its metadata lies and the digest of it) and
 * by the IOMMU driver (what it froze), so the blob libpkhandover builds
 * from the JSON and the blob the kernel builds are the same bytes: the VM
 * tests compare them.  The kernel's blob goes through pkh_parse() before
 * anyone sees it.
 *
 * The JSON spec of ABI v3, as printed (the fields of the blob's nodes,
 * see <linux/pkhandover/abi.h>):
 *
 *   {
 *     "abi_major": 3, "abi_minor": 0, "generation": 2,
 *     "nonce": "0x1f0e...", "creator": "Linux 6.12.95 pkernfs",
 *     "regions": [ { "base": "0x20000000", "size": "0x4000000",
 *       "block_size": "0x200000", "fs_uuid": "5f0c3a61-...",
 *       "flags": ["guest-ram"], "metadata": [["0x0", "0x3000"], ...],
 *       "metadata_digest": "9f86d0...",
 *       "files": [ { "name": "vm0-ram", "inode": 2, "size": "0x1000000" } ]
 *     } ],
 *     "iommu": { "units": [...], "domains": [...] },
 *     "devices": [ { ..., "iova_map": [...] } ]
 *   }
 *
 * "iommu" and "devices" only while the IOMMU driver keeps devices running;
 * a device's "iova_map" is its domain's.
 */

#define pr_fmt(fmt) "pkhandover: " fmt

#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/pkhandover.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "pkh_encode.h"
#include "pkh_parse.h"

/**
 * pkhandover_state_free() - free what pkhandover_state_collect() allocated
 * @hs: the state; may be partly filled
 */
void pkhandover_state_free(struct pkhandover_state *hs)
{
	kvfree(hs->files);
	kvfree(hs->names);
	kvfree(hs->ranges);
	kvfree(hs->units);
	kvfree(hs->domains);
	kvfree(hs->maps);
	kvfree(hs->devices);
	memset(hs, 0, sizeof(*hs));
}

/**
 * pkhandover_state_collect() - take a snapshot of what to hand over
 * @hs: filled in; pkhandover_state_free() it, whatever this returns
 *
 * pkernfs's part is one snapshot under its metadata lock; the IOMMU
 * driver's is taken after it, under the driver's lock: the frozen tables
 * live in a pkernfs file the driver keeps from changing.
 *
 * Return: 0, -ENODEV if pkernfs is not mounted, or -ENOMEM.
 */
int pkhandover_state_collect(struct pkhandover_state *hs)
{
	int ret;

	memset(hs, 0, sizeof(*hs));
	ret = pkernfs_state_collect(hs);
	if (ret)
		return ret;
	return pkhandover_iommu_collect(hs, 0, hs->region.base);
}

/* A JSON string of printable ASCII: only '"' and '\' need escaping. */
static void pkh_json_string(struct seq_file *m, const char *s)
{
	seq_putc(m, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			seq_putc(m, '\\');
		if (*s >= 0x20 && *s <= 0x7e)
			seq_putc(m, *s);
	}
	seq_putc(m, '"');
}

/* A name the JSON spec knows for a value, or the value as a number. */
struct pkh_json_name {
	u32 value;
	const char *name;
};

static const struct pkh_json_name pkh_region_flags[] = {
	{ PKH_REGION_F_GUEST_RAM, "guest-ram" },
	{ PKH_REGION_F_IOMMU_TABLES, "iommu-tables" },
};

static const struct pkh_json_name pkh_device_flags[] = {
	{ PKH_DEVICE_F_NO_RESET, "no-reset" },
	{ PKH_DEVICE_F_KEEP_BUS_MASTER, "keep-bus-master" },
};

static const struct pkh_json_name pkh_unit_types[] = {
	{ PKH_IOMMU_TYPE_INTEL_VTD, "intel-vtd" },
	{ PKH_IOMMU_TYPE_AMD_VI, "amd-vi" },
	{ PKH_IOMMU_TYPE_ARM_SMMU_V3, "arm-smmu-v3" },
};

static const struct pkh_json_name pkh_translation_modes[] = {
	{ PKH_TRANSLATION_LEGACY, "legacy" },
	{ PKH_TRANSLATION_SCALABLE, "scalable" },
};

static const struct pkh_json_name pkh_pgtable_formats[] = {
	{ PKH_PGTABLE_VTD_SECOND_LEVEL, "vtd-second-level" },
	{ PKH_PGTABLE_VTD_FIRST_LEVEL, "vtd-first-level" },
};

static void pkh_json_enum(struct seq_file *m, const struct pkh_json_name *n,
			  unsigned int nr, u32 value)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		if (n[i].value == value) {
			seq_printf(m, "\"%s\"", n[i].name);
			return;
		}
	}
	seq_printf(m, "%u", value);
}

/* ["name", ...], with any bits that have no name as one number. */
static void pkh_json_flags(struct seq_file *m, const struct pkh_json_name *n,
			   unsigned int nr, u32 flags)
{
	const char *sep = "";
	unsigned int i;

	seq_putc(m, '[');
	for (i = 0; i < nr; i++) {
		if (flags & n[i].value) {
			seq_printf(m, "%s\"%s\"", sep, n[i].name);
			flags &= ~n[i].value;
			sep = ", ";
		}
	}
	if (flags)
		seq_printf(m, "%s%u", sep, flags);
	seq_putc(m, ']');
}

static void pkh_json_region(struct seq_file *m,
			    const struct pkh_state_region *r)
{
	unsigned int i;

	seq_printf(m, "    {\n      \"base\": \"0x%llx\",\n", r->base);
	seq_printf(m, "      \"size\": \"0x%llx\",\n", r->size);
	seq_printf(m, "      \"block_size\": \"0x%x\",\n", r->block_size);
	seq_printf(m, "      \"fs_uuid\": \"%pU\",\n", r->fs_uuid);
	seq_puts(m, "      \"flags\": ");
	pkh_json_flags(m, pkh_region_flags, ARRAY_SIZE(pkh_region_flags),
		       r->flags);
	seq_puts(m, ",\n      \"metadata\": [");
	for (i = 0; i < r->nr_metadata; i++)
		seq_printf(m, "%s[\"0x%llx\", \"0x%llx\"]", i ? ", " : "",
			   r->metadata[i].offset, r->metadata[i].length);
	seq_printf(m, "],\n      \"metadata_digest\": \"%*phN\",\n",
		   PKH_METADATA_DIGEST_SIZE, r->metadata_digest);
	seq_puts(m, "      \"files\": [");
	for (i = 0; i < r->nr_files; i++) {
		seq_puts(m, i ? ",\n" : "\n");
		seq_puts(m, "        { \"name\": ");
		pkh_json_string(m, r->files[i].name);
		seq_printf(m, ", \"inode\": %llu, \"size\": \"0x%llx\" }",
			   r->files[i].inode, r->files[i].size);
	}
	seq_puts(m, r->nr_files ? "\n      ]\n    }" : "]\n    }");
}

static void pkh_json_iommu(struct seq_file *m, const struct pkh_state *s)
{
	const struct pkh_state_domain *d;
	const struct pkh_state_unit *u;
	unsigned int i;

	seq_puts(m, ",\n  \"iommu\": {\n    \"units\": [");
	for (i = 0; i < s->nr_units; i++) {
		u = &s->units[i];
		seq_printf(m, "%s\n      { \"type\": ", i ? "," : "");
		pkh_json_enum(m, pkh_unit_types, ARRAY_SIZE(pkh_unit_types),
			      u->type);
		seq_printf(m, ", \"reg_base\": \"0x%llx\", \"segment\": %u, \"root_table\": \"0x%llx\", \"translation_mode\": ",
			   u->reg_base, u->segment, u->root_table);
		pkh_json_enum(m, pkh_translation_modes,
			      ARRAY_SIZE(pkh_translation_modes),
			      u->translation_mode);
		seq_printf(m, ", \"table_region\": %u }", u->table_region);
	}
	seq_puts(m, "\n    ],\n    \"domains\": [");
	for (i = 0; i < s->nr_domains; i++) {
		d = &s->domains[i];
		seq_printf(m, "%s\n      { \"unit\": %u, \"domain_id\": %u, \"pgtable_root\": \"0x%llx\", \"format\": ",
			   i ? "," : "", d->unit, d->domain_id,
			   d->pgtable_root);
		pkh_json_enum(m, pkh_pgtable_formats,
			      ARRAY_SIZE(pkh_pgtable_formats), d->format);
		seq_printf(m, ", \"levels\": %u, \"address_width\": %u }",
			   d->levels, d->address_width);
	}
	seq_puts(m, "\n    ]\n  }");
}

static void pkh_json_devices(struct seq_file *m, const struct pkh_state *s)
{
	const struct pkh_state_mapping *map;
	const struct pkh_state_device *dev;
	const struct pkh_state_domain *d;
	unsigned int i, k;

	seq_puts(m, ",\n  \"devices\": [");
	for (i = 0; i < s->nr_devices; i++) {
		dev = &s->devices[i];
		seq_printf(m, "%s\n    { \"pci_address\": \"%04x:%02x:%02x.%x\", \"vendor\": \"0x%04x\", \"device\": \"0x%04x\", \"subsystem_vendor\": \"0x%04x\", \"subsystem_device\": \"0x%04x\", \"iommu_group\": %u, \"domain\": %u,\n      \"flags\": ",
			   i ? "," : "", dev->pci_address >> 16,
			   dev->pci_address >> 8 & 0xff,
			   PCI_SLOT(dev->pci_address & 0xff),
			   PCI_FUNC(dev->pci_address & 0xff), dev->pci_ids[0],
			   dev->pci_ids[1], dev->pci_ids[2], dev->pci_ids[3],
			   dev->iommu_group, dev->domain);
		pkh_json_flags(m, pkh_device_flags,
			       ARRAY_SIZE(pkh_device_flags), dev->flags);
		seq_puts(m, ",\n      \"iova_map\": [");
		/* pkh_encode_bound() refuses a domain out of range. */
		d = dev->domain < s->nr_domains ? &s->domains[dev->domain] :
						  NULL;
		for (k = 0; d && k < d->nr_iova; k++) {
			map = &d->iova_map[k];
			seq_printf(m, "%s\n        { \"iova\": \"0x%llx\", \"region\": %u, \"offset\": \"0x%llx\", \"length\": \"0x%llx\", \"perm\": \"%s%s\" }",
				   k ? "," : "", map->iova, map->region,
				   map->region_offset, map->length,
				   map->perm & PKH_IOVA_PERM_READ ? "r" : "",
				   map->perm & PKH_IOVA_PERM_WRITE ? "w" : "");
		}
		seq_puts(m, "\n      ] }");
	}
	seq_puts(m, "\n  ]");
}

/**
 * pkhandover_state_json_show() - print the state as the JSON spec
 * @m: where
 *
 * Return: 0, -ENODEV if pkernfs is not mounted, or -ENOMEM.
 */
int pkhandover_state_json_show(struct seq_file *m)
{
	struct pkhandover_state hs;
	const struct pkh_state *s = &hs.state;
	unsigned int i;
	int ret;

	ret = pkhandover_state_collect(&hs);
	if (ret)
		goto out;
	seq_printf(m, "{\n  \"abi_major\": %u,\n  \"abi_minor\": %u,\n",
		   s->abi_major, s->abi_minor);
	seq_printf(m, "  \"generation\": %llu,\n", s->generation);
	seq_printf(m, "  \"nonce\": \"0x%016llx\",\n", s->nonce);
	seq_puts(m, "  \"creator\": ");
	pkh_json_string(m, s->creator);
	seq_puts(m, ",\n  \"regions\": [\n");
	for (i = 0; i < s->nr_regions; i++) {
		pkh_json_region(m, &s->regions[i]);
		seq_puts(m, i + 1 < s->nr_regions ? ",\n" : "\n");
	}
	seq_puts(m, "  ]");
	if (s->nr_units || s->nr_domains)
		pkh_json_iommu(m, s);
	if (s->nr_devices)
		pkh_json_devices(m, s);
	seq_puts(m, "\n}\n");
out:
	pkhandover_state_free(&hs);
	return ret;
}

static void *pkh_check_alloc(void *ctx, size_t size)
{
	return kvzalloc(size, GFP_KERNEL);
}

static void pkh_check_free(void *ctx, void *ptr, size_t size)
{
	kvfree(ptr);
}

/**
 * pkhandover_state_blob() - the blob this kernel hands over
 * @blob: set to it, kvmalloc()ed; the caller kvfree()s it
 * @len:  set to its size
 *
 * Collects the state, encodes it and validates the result with
 * pkh_parse(), the check the next kernel makes first.
 *
 * Return: 0, -ENODEV if pkernfs is not mounted, -ENOMEM, or -EINVAL if the
 * state cannot be a blob or the blob fails the parser (logged: a bug).
 */
int pkhandover_state_blob(void **blob, size_t *len)
{
	struct pkh_parse_ops ops = {
		.alloc = pkh_check_alloc,
		.free = pkh_check_free,
	};
	struct pkhandover_state hs;
	struct pkh_error err;
	size_t bound;
	void *buf = NULL;
	int ret;

	ret = pkhandover_state_collect(&hs);
	if (ret)
		goto out;
	bound = pkh_encode_bound(&hs.state);
	if (!bound) {
		pr_err("the state cannot be written as a handover\n");
		ret = -EINVAL;
		goto out;
	}
	buf = kvmalloc(bound, GFP_KERNEL);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	ret = pkh_encode(&hs.state, buf, bound, len);
	if (ret) {
		pr_err("encoding the handover failed: %d\n", ret);
		goto out;
	}
	ret = pkh_parse(buf, *len, NULL, &ops, &err);
	if (ret) {
		pr_err("the handover this kernel wrote is invalid: %s: %s (%s)\n",
		       err.where, err.why, pkhandover_error_name(err.code));
		ret = -EINVAL;
		goto out;
	}
	*blob = buf;
	buf = NULL;
out:
	kvfree(buf);
	pkhandover_state_free(&hs);
	return ret;
}

/**
 * pkhandover_state_blob_show() - write the blob of the state
 * @m: where, as bytes
 *
 * Return: as pkhandover_state_blob().
 */
int pkhandover_state_blob_show(struct seq_file *m)
{
	void *blob;
	size_t len;
	int ret;

	ret = pkhandover_state_blob(&blob, &len);
	if (ret)
		return ret;
	seq_write(m, blob, len);
	kvfree(blob);
	return 0;
}
