// SPDX-License-Identifier: GPL-2.0-only
/*
 * This kernel's declaration that it can receive handover blobs, in an ELF
 * note of vmlinux (and so in /sys/kernel/notes).  kexec --live-update's
 * pre-flight check reads it (or, in a bzImage, the same record in
 * kernel_info) and refuses to attach a handover to a kernel that does not
 * declare support for the blob's ABI major.
 */

#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/elf.h>
#include <linux/pkhandover.h>
#include <linux/pkhandover/abi.h>
#include <asm/byteorder.h>

static_assert(PKHANDOVER_SUPPORT_MAGIC == PKH_SUPPORT_MAGIC);
static_assert(sizeof(struct pkh_kernel_support) == PKHANDOVER_SUPPORT_SIZE);
static_assert(PKH_ABI_MAJOR_OLDEST == PKHANDOVER_ABI_MAJOR_MIN);
static_assert(PKH_ABI_MAJOR == PKHANDOVER_ABI_MAJOR_MAX);

/* An ELF note: header, name padded to 4 bytes, descriptor. */
static const struct {
	struct elf32_note nhdr;
	char name[ALIGN(sizeof(PKH_ELF_NOTE_NAME), 4)];
	struct pkh_kernel_support desc;
} pkhandover_support_note __used __aligned(4)
	__section(".note." PKH_ELF_NOTE_NAME) = {
	.nhdr = {
		.n_namesz = sizeof(PKH_ELF_NOTE_NAME),
		.n_descsz = sizeof(struct pkh_kernel_support),
		.n_type = PKH_ELF_NOTE_TYPE,
	},
	.name = PKH_ELF_NOTE_NAME,
	.desc = {
		.magic = cpu_to_le32(PKHANDOVER_SUPPORT_MAGIC),
		.size = cpu_to_le32(PKHANDOVER_SUPPORT_SIZE),
		.abi_major_min = cpu_to_le32(PKHANDOVER_ABI_MAJOR_MIN),
		.abi_major_max = cpu_to_le32(PKHANDOVER_ABI_MAJOR_MAX),
	},
};
