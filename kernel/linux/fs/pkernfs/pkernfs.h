/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pkernfs: a filesystem in the pkernfs carve-out whose files survive kexec.
 * The format in the carve-out and the code that checks it without the VFS
 * are in pkernfs_meta.h and meta.c; this is the rest of the filesystem.
 */
#ifndef _FS_PKERNFS_H
#define _FS_PKERNFS_H

#include <linux/fs.h>
#include <linux/mm.h>

#include "pkernfs_meta.h"

/**
 * struct pkernfs_inode_info - a file in memory
 * @slot:       its slot in the inode table
 * @vfs_inode:  the VFS inode
 */
struct pkernfs_inode_info {
	u32 slot;
	struct inode vfs_inode;
};

/**
 * enum pkernfs_adoption - what the first mount of this boot made of the
 * handover; see DOC: handover policy in super.c
 * @PKERNFS_UNDECIDED:   not mounted yet this boot
 * @PKERNFS_FORMATTED:   formatted this boot: nothing to adopt
 * @PKERNFS_ADOPTED:     the handover matched the filesystem exactly
 * @PKERNFS_NOT_ADOPTED: a handover was accepted but does not match
 * @PKERNFS_STALE:       no valid handover this boot
 */
enum pkernfs_adoption {
	PKERNFS_UNDECIDED,
	PKERNFS_FORMATTED,
	PKERNFS_ADOPTED,
	PKERNFS_NOT_ADOPTED,
	PKERNFS_STALE,
};

static inline struct pkernfs_sb_info *PKERNFS_SB(struct super_block *sb)
{
	return sb->s_fs_info;
}

static inline struct pkernfs_inode_info *PKERNFS_I(struct inode *inode)
{
	return container_of(inode, struct pkernfs_inode_info, vfs_inode);
}

static inline struct pkernfs_dinode *pkernfs_dinode(struct inode *inode)
{
	return &PKERNFS_SB(inode->i_sb)->dinodes[PKERNFS_I(inode)->slot];
}

/**
 * struct pkernfs_boot - what the first mount of this boot decided
 * @state:      see DOC: handover policy in super.c
 * @generation: the handover generation adopted, 0 if none
 * @why:        the decision in words
 */
struct pkernfs_boot {
	enum pkernfs_adoption state;
	u64 generation;
	char why[192];
};

/* super.c; the mounted pkernfs changes under pkernfs_mount_lock */
extern struct mutex pkernfs_mount_lock;
extern struct pkernfs_sb_info *pkernfs_mounted;
extern struct pkernfs_boot pkernfs_boot;

/* inode.c */
extern const struct inode_operations pkernfs_dir_inode_operations;
extern const struct super_operations pkernfs_super_operations;
struct inode *pkernfs_iget(struct super_block *sb, u32 slot);
int pkernfs_resize(struct inode *inode, loff_t size);
phys_addr_t pkernfs_file_phys(struct inode *inode, loff_t pos, u64 *len);
bool pkernfs_inode_frozen(struct inode *inode, bool tables_only);
void pkernfs_free_slot(struct pkernfs_sb_info *sbi, u32 slot);
void pkernfs_sync_attrs(struct inode *inode);
int pkernfs_init_inodecache(void);

/* file.c */
extern const struct file_operations pkernfs_file_operations;
extern const struct inode_operations pkernfs_file_inode_operations;

#endif /* _FS_PKERNFS_H */
