// SPDX-License-Identifier: GPL-2.0-only
/*
 * pkernfs files: read, write and mmap straight from the carve-out.
 *
 * There is no page cache.  read() and write() copy to and from the
 * carve-out through the direct map, and a page fault maps the carve-out
 * memory itself.  Each 2 MiB block of the carve-out is one large folio
 * (pkernfs_prepare_folios()), so the mapping is an ordinary refcounted
 * one: get_user_pages() and pin_user_pages() work on it, and so do KVM,
 * VFIO and iommufd, which pin guest RAM for DMA.  A block that the vma
 * covers whole, at the same 2 MiB alignment (pkernfs picks such addresses
 * for mmap), is mapped with one PMD, as hugetlbfs maps a huge page: guest
 * RAM is faulted in and pinned a block, not a page, at a time.  Anything
 * else is mapped a page at a time.
 *
 * The fault maps under the mapping's invalidate_lock, which a truncate
 * holds exclusively while it unmaps and frees blocks: a fault either sees
 * the old size and maps what the truncate then unmaps, or sees the new
 * size and gets SIGBUS.
 */

#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/uio.h>

#include "pkernfs.h"

static ssize_t pkernfs_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	struct address_space *mapping = inode->i_mapping;
	loff_t pos = iocb->ki_pos, size;
	ssize_t done = 0;
	struct page *page;
	phys_addr_t phys;
	size_t n, copied;
	u64 len;

	while (iov_iter_count(to)) {
		filemap_invalidate_lock_shared(mapping);
		size = i_size_read(inode);
		if (pos >= size) {
			filemap_invalidate_unlock_shared(mapping);
			break;
		}
		phys = pkernfs_file_phys(inode, pos, &len);
		len = min_t(u64, len, size - pos);
		n = min_t(u64, len, PAGE_SIZE - offset_in_page(pos));
		n = min(n, iov_iter_count(to));
		/* Keeps the block from being reused while we copy. */
		page = pfn_to_page(PHYS_PFN(phys));
		get_page(page);
		filemap_invalidate_unlock_shared(mapping);

		copied = copy_to_iter(page_address(page) + offset_in_page(phys),
				      n, to);
		put_page(page);
		pos += copied;
		done += copied;
		if (copied < n) {
			if (!done)
				done = -EFAULT;
			break;
		}
		cond_resched();
	}
	iocb->ki_pos = pos;
	file_accessed(iocb->ki_filp);
	return done;
}

static ssize_t pkernfs_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct file *file = iocb->ki_filp;
	struct inode *inode = file_inode(file);
	loff_t pos, old, end;
	ssize_t ret, done = 0;
	phys_addr_t phys;
	size_t n, copied;
	u64 len;

	inode_lock(inode);
	ret = generic_write_checks(iocb, from);
	if (ret <= 0)
		goto out;
	ret = file_remove_privs(file);
	if (ret)
		goto out;
	pos = iocb->ki_pos;
	old = i_size_read(inode);
	end = pos + iov_iter_count(from);
	if (end > old) {
		ret = pkernfs_resize(inode, end);
		if (ret)
			goto out;
	}

	while (iov_iter_count(from)) {
		phys = pkernfs_file_phys(inode, pos, &len);
		n = min_t(u64, len, iov_iter_count(from));
		copied = copy_from_iter(__va(phys), n, from);
		pos += copied;
		done += copied;
		if (copied < n)
			break;
		cond_resched();
	}
	/* A fault in the source: keep only what was written. */
	if (pos < end && end > old)
		pkernfs_resize(inode, max(old, pos));

	inode_set_mtime_to_ts(inode, inode_set_ctime_current(inode));
	pkernfs_sync_attrs(inode);
	iocb->ki_pos = pos;
	ret = done ? done : -EFAULT;
out:
	inode_unlock(inode);
	if (ret > 0)
		ret = generic_write_sync(iocb, ret);
	return ret;
}

static vm_fault_t pkernfs_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct inode *inode = file_inode(vma->vm_file);
	struct address_space *mapping = inode->i_mapping;
	bool cow = (vmf->flags & FAULT_FLAG_WRITE) &&
		   !(vma->vm_flags & VM_SHARED);
	struct folio *folio;
	phys_addr_t phys;
	vm_fault_t ret;
	u64 len;

	filemap_invalidate_lock_shared(mapping);
	if (vmf->pgoff >= DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE)) {
		filemap_invalidate_unlock_shared(mapping);
		return VM_FAULT_SIGBUS;
	}
	phys = pkernfs_file_phys(inode, (loff_t)vmf->pgoff << PAGE_SHIFT, &len);
	vmf->page = pfn_to_page(PHYS_PFN(phys));
	folio = page_folio(vmf->page);
	/* The reference the new mapping keeps, or the private copy's source. */
	folio_get(folio);
	if (cow) {
		/* The core copies the page and maps the copy. */
		filemap_invalidate_unlock_shared(mapping);
		return 0;
	}
	/*
	 * finish_fault() maps a block with a PMD unless it reaches past the
	 * end of the file (folio->index says where the block starts in it).
	 */
	if (folio_test_large(folio))
		folio->index = ALIGN_DOWN(vmf->pgoff, folio_nr_pages(folio));
	ret = finish_fault(vmf);
	filemap_invalidate_unlock_shared(mapping);
	if (ret) {
		/* Mapped by a racing fault (NOPAGE), or out of memory. */
		folio_put(folio);
		return ret;
	}
	return VM_FAULT_NOPAGE;
}

static const struct vm_operations_struct pkernfs_vm_ops = {
	.fault		= pkernfs_fault,
};

static int pkernfs_mmap(struct file *file, struct vm_area_struct *vma)
{
	file_accessed(file);
	vma->vm_ops = &pkernfs_vm_ops;
	return 0;
}

static int pkernfs_open(struct inode *inode, struct file *file)
{
	/* A device is translated through what this file holds. */
	if ((file->f_mode & FMODE_WRITE) && pkernfs_inode_frozen(inode, true))
		return -EPERM;
	/* Every access goes straight to memory: O_DIRECT is the default. */
	file->f_mode |= FMODE_CAN_ODIRECT;
	return generic_file_open(inode, file);
}

const struct file_operations pkernfs_file_operations = {
	.open		= pkernfs_open,
	.read_iter	= pkernfs_read_iter,
	.write_iter	= pkernfs_write_iter,
	.mmap		= pkernfs_mmap,
	/* 2 MiB aligned, so that whole blocks can be mapped with a PMD. */
	.get_unmapped_area = thp_get_unmapped_area,
	.llseek		= generic_file_llseek,
	.fsync		= noop_fsync,
	.splice_read	= copy_splice_read,
	.splice_write	= iter_file_splice_write,
};

static int pkernfs_setattr(struct mnt_idmap *idmap, struct dentry *dentry,
			   struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);
	int ret;

	ret = setattr_prepare(idmap, dentry, attr);
	if (ret)
		return ret;
	if ((attr->ia_valid & ATTR_SIZE) &&
	    attr->ia_size != i_size_read(inode)) {
		/* Blocks a running device uses must not move or go. */
		if (pkernfs_inode_frozen(inode, false))
			return -EBUSY;
		ret = pkernfs_resize(inode, attr->ia_size);
		if (ret)
			return ret;
	}
	setattr_copy(idmap, inode, attr);
	pkernfs_sync_attrs(inode);
	return 0;
}

/* Extents FIEMAP copies out of the metadata per turn of sbi->lock. */
#define PKERNFS_FIEMAP_BATCH	32

/*
 * FIEMAP: the file's extents as they are in its slot (and extent block),
 * one fiemap extent per pkernfs extent, whole 2 MiB blocks, at their
 * physical address.  The handover no longer lists a file's blocks (ABI
 * v2): this is how userspace (pkhandover inspect --live, filefrag) sees
 * them.  The extents are read under sbi->lock, a batch at a time, and
 * copied to userspace without it: the buffer may be a mapping of a pkernfs
 * file, whose fault must not find the lock held.
 */
static int pkernfs_fiemap(struct inode *inode,
			  struct fiemap_extent_info *fieinfo, u64 start,
			  u64 len)
{
	struct pkernfs_sb_info *sbi = PKERNFS_SB(inode->i_sb);
	struct pkernfs_dextent batch[PKERNFS_FIEMAP_BATCH];
	struct pkernfs_dinode *di = NULL;
	struct pkernfs_dextent *e;
	u64 logical = 0, bytes, end, phys;
	u32 i = 0, k, got, n, flags;
	int ret;

	ret = fiemap_prep(inode, fieinfo, start, &len, 0);
	if (ret)
		return ret;
	/* fiemap_prep() keeps start + len below s_maxbytes. */
	end = start + len;
	do {
		mutex_lock(&sbi->lock);
		n = 0;
		if (PKERNFS_I(inode)->slot != U32_MAX) {
			di = pkernfs_dinode(inode);
			n = le32_to_cpu(di->nr_extents);
		}
		for (got = 0; i + got < n && got < PKERNFS_FIEMAP_BATCH; got++)
			batch[got] = *pkernfs_extent(sbi, di, i + got);
		mutex_unlock(&sbi->lock);

		for (k = 0; k < got && logical < end; k++, i++) {
			e = &batch[k];
			bytes = (u64)le32_to_cpu(e->count) << PKERNFS_BLOCK_SHIFT;
			phys = sbi->base + ((u64)le32_to_cpu(e->start) <<
					    PKERNFS_BLOCK_SHIFT);
			flags = i + 1 == n ? FIEMAP_EXTENT_LAST : 0;
			if (logical + bytes > start) {
				ret = fiemap_fill_next_extent(fieinfo, logical,
							      phys, bytes,
							      flags);
				if (ret)
					/* 1: the user's array is full. */
					return ret < 0 ? ret : 0;
			}
			logical += bytes;
		}
	} while (got == PKERNFS_FIEMAP_BATCH && logical < end);
	return 0;
}

const struct inode_operations pkernfs_file_inode_operations = {
	.setattr	= pkernfs_setattr,
	.getattr	= simple_getattr,
	.fiemap		= pkernfs_fiemap,
};
