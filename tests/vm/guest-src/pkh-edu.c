// SPDX-License-Identifier: GPL-2.0-only
/*
 * pkh-edu: drive QEMU's edu PCI device (1234:11e8) from the VM test guest,
 * to prove where its DMA lands across kexec and live update.
 *
 *   pkh-edu vmm-setup   --bdf BDF --file F --iova A --len L
 *                       [--fill-pattern N] [--freeze TABLEFILE] [--hold]
 *                       [--freeze-on-usr1 TABLEFILE]
 *   pkh-edu vmm-restore --bdf BDF --file F --iova A --len L
 *                       [--expect-pattern N] [--replace] [--hold]
 *                       [--freeze-on-usr1 TABLEFILE]
 *                       (--freeze: IOMMU_HWPT_FREEZE into the pkernfs file
 *                        TABLEFILE, a path; --freeze-on-usr1: the same
 *                        while holding, when sent SIGUSR1)
 *   pkh-edu freeze-checks --bdf BDF --file F --iova A --len L --freeze T
 *                       (IOMMU_HWPT_FREEZE given bad input: each errno,
 *                        nothing changed; then EBUSY, and EPERM on map and
 *                        unmap after a good freeze)
 *   pkh-edu freeze-race --bdf BDF --file F --iova A --len L --freeze T [--hold]
 *                       (a thread maps and unmaps in a loop during the
 *                        freeze: each call before it or refused after it)
 *   pkh-edu raw-dma     --bdf BDF [--from-ram IOVA] [--to-ram IOVA]
 *                       [--len 4095] [--set-master]
 *   pkh-edu pattern-fill  --file F --offset OFF --pattern N [--len 4096]
 *   pkh-edu pattern-check --file F --offset OFF --pattern N [--len 4096]
 *                         [--dma-len M]   (pattern in the first M bytes,
 *                                          zeroes after: what a DMA left)
 *   pkh-edu tsc           (prints the TSC: a mark that survives kexec)
 *   pkh-edu memory-bench --bdf BDF --file F --len L
 *                       (guest RAM backing costs: mmap MAP_SHARED of F
 *                        touched page by page the first time, touched again
 *                        through a new mapping, and pinned by an iommufd
 *                        IOAS map with the device attached; and how much
 *                        of the mapping the kernel mapped with PMDs)
 *
 * Every result is one line starting "pkh-edu: ".  Exit status: 0 success,
 * 1 a check failed (the line says which and what was seen), 2 usage or a
 * system error (the line names the call and the errno).
 *
 * The edu device, as QEMU 7.2 implements it (hw/misc/edu.c):
 *   BAR0 0x00  ident, 0x010000ed
 *   BAR0 0x80  DMA source address (64 bit)
 *   BAR0 0x88  DMA destination address
 *   BAR0 0x90  DMA byte count
 *   BAR0 0x98  DMA command: bit 0 start (reads back 1 while busy), bit 1
 *              direction (0: RAM -> edu buffer, 1: edu buffer -> RAM)
 * The 4 KiB DMA buffer is at device address 0x40000 and is only reachable by
 * DMA.  QEMU 7.2's range check is off by one (a range must end strictly
 * before 0x41000), so a DMA moves at most 4095 bytes: the last byte of the
 * buffer is out of reach, and every DMA here moves the first 4095 bytes of a
 * page (EDU_DMA_MAX); checks expect the page's last byte untouched (zero).  A DMA takes ~100 ms of virtual time.  The device reports no errors:
 * without bus-master it silently drops the DMA, and a translation fault shows
 * only as a DMAR line in the kernel log, so callers check memory contents.
 * A RAM -> buffer DMA whose read faults fills the buffer with zeroes (seen
 * in QEMU 7.2): after one, the buffer no longer holds the pattern.
 * An edu DMA whose buffer side is outside 0x40000..0x40fff makes QEMU abort
 * (hw_error), hence the strict length checks below.
 *
 * The "RAM" side of a DMA is an IOVA: with VFIO it is translated by the
 * iommufd HWPT the device is attached to; with raw-dma it goes through
 * whatever domain the running kernel gave the device.
 *
 * Patterns: pattern N is a byte stream addressable by offset (splitmix64 of
 * N and the 8-byte word index), so pattern-check can compare any range and
 * no two pages are alike.  Pattern 0 is all zeroes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#define PAGE			4096UL
#define EDU_IDENT		0x00
#define EDU_DMA_SRC		0x80
#define EDU_DMA_DST		0x88
#define EDU_DMA_CNT		0x90
#define EDU_DMA_CMD		0x98
#define EDU_CMD_RUN		0x1
#define EDU_CMD_TO_RAM		0x2
#define EDU_BUF			0x40000UL
#define EDU_BUF_SIZE		4096UL
#define EDU_DMA_MAX		(EDU_BUF_SIZE - 1)
#define EDU_ADDR_MASK		((1UL << 28) - 1)
/* ~100 ms of virtual time each; under TCG on a busy host allow far more. */
#define EDU_DMA_TIMEOUT_MS	20000

#define IOMMU_STATUS_PATH	"/sys/kernel/pkhandover/iommu"

#define EXIT_CHECK		1
#define EXIT_SYS		2

/* ------------------------------------------------------------------------ */
/* Reporting */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("pkh-edu: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/*
 * Print "pkh-edu: PREFIX message[: strerror (errno N)]" and exit with @code.
 * Through the macros below: sys_fail (a call failed: its errno, exit 2),
 * err_fail (the same with an errno given), usage_fail (exit 2, no errno),
 * check_fail (a check failed, exit 1).
 */
static void __attribute__((noreturn, format(printf, 4, 5)))
fail(int code, int err, const char *prefix, const char *fmt, ...)
{
	va_list ap;

	printf("pkh-edu: %s", prefix);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (err)
		printf(": %s (errno %d)", strerror(err), err);
	putchar('\n');
	exit(code);
}

#define err_fail(err, ...)	fail(EXIT_SYS, (err), "ERROR: ", __VA_ARGS__)
#define sys_fail(...)		do { int e_ = errno; err_fail(e_, __VA_ARGS__); } while (0)
#define usage_fail(...)		fail(EXIT_SYS, 0, "ERROR: ", __VA_ARGS__)
#define check_fail(...)		fail(EXIT_CHECK, 0, "FAIL: ", __VA_ARGS__)

/*
 * The TSC: the one guest clock kexec does not reset (under QEMU TCG it
 * follows the host's), so the benchmark can time from the old kernel's
 * kexec -e to a DMA in the new one.
 */
static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ------------------------------------------------------------------------ */
/* Patterns */

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Byte @off of pattern @n; zero from @plen on (past what a DMA moved). */
static uint8_t pattern_byte(unsigned int n, uint64_t off, uint64_t plen)
{
	if (!n || off >= plen)
		return 0;
	return splitmix64(((uint64_t)n << 40) ^ (off / 8)) >> (8 * (off % 8));
}

static void pattern_make(uint8_t *buf, size_t len, unsigned int n)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern_byte(n, i, len);
}

/*
 * Compare @buf with pattern @n.  Returns the number of differing bytes and
 * the first one in *first; tells whether the buffer is all zero, since
 * "still zero" and "something else" are different failures.
 */
static size_t pattern_diff(const uint8_t *buf, size_t len, unsigned int n,
			   size_t plen, size_t *first, bool *all_zero)
{
	size_t bad = 0;

	*first = len;
	*all_zero = true;
	for (size_t i = 0; i < len; i++) {
		if (buf[i])
			*all_zero = false;
		if (buf[i] != pattern_byte(n, i, plen)) {
			if (!bad)
				*first = i;
			bad++;
		}
	}
	return bad;
}

/*
 * One line naming what was seen in @buf, compared with pattern @n over the
 * first @plen bytes and zeroes after them.
 */
static bool pattern_report(const char *what, const uint8_t *buf, size_t len,
			   unsigned int n, size_t plen)
{
	char tail[64] = "";
	size_t first, bad;
	bool zero;

	if (n && plen < len)
		snprintf(tail, sizeof(tail), " (+0x%zx.. zero)", plen);
	bad = pattern_diff(buf, len, n, plen, &first, &zero);
	if (!bad) {
		say("%s: %zu bytes match pattern %u%s", what, len, n, tail);
		return true;
	}
	say("%s: %zu of %zu bytes differ from pattern %u%s (first at +0x%zx: 0x%02x, want 0x%02x)%s",
	    what, bad, len, n, tail, first, buf[first], pattern_byte(n, first, plen),
	    zero ? "; all zero" : "");
	return false;
}

/* ------------------------------------------------------------------------ */
/* The edu device, through a mapping of BAR0 */

struct edu {
	volatile uint8_t *bar;
	size_t bar_len;
};

static uint32_t edu_rd32(struct edu *e, unsigned int reg)
{
	return *(volatile uint32_t *)(e->bar + reg);
}

static uint64_t edu_rd64(struct edu *e, unsigned int reg)
{
	return *(volatile uint64_t *)(e->bar + reg);
}

static void edu_wr64(struct edu *e, unsigned int reg, uint64_t v)
{
	*(volatile uint64_t *)(e->bar + reg) = v;
}

static void edu_check_ident(struct edu *e)
{
	uint32_t id = edu_rd32(e, EDU_IDENT);

	/* 0xffffffff: BAR0 not decoded (memory space off) or no device. */
	if ((id & 0xff) != 0xed)
		check_fail("BAR0 ident reads 0x%08x, not an edu device (0x......ed)", id);
	say("edu ident 0x%08x", id);
}

static void edu_wait_idle(struct edu *e, const char *what)
{
	uint64_t t0 = now_us();
	struct timespec ms = { 0, 1000000 };

	while (edu_rd64(e, EDU_DMA_CMD) & EDU_CMD_RUN) {
		if (now_us() - t0 > EDU_DMA_TIMEOUT_MS * 1000ULL)
			check_fail("%s: edu DMA still busy after %d ms", what,
				   EDU_DMA_TIMEOUT_MS);
		nanosleep(&ms, NULL);
	}
}

/*
 * One DMA between RAM (an IOVA) and the edu buffer; waits until the device
 * says it is done.  The device does not say whether it reached memory.
 */
static void edu_dma(struct edu *e, bool to_ram, uint64_t iova, size_t len)
{
	const char *what = to_ram ? "dma edu->ram" : "dma ram->edu";
	uint64_t t0;

	if (!len || len > EDU_DMA_MAX)
		usage_fail("%s: length %zu is not 1..%lu (QEMU aborts outside the edu buffer)",
			   what, len, EDU_DMA_MAX);
	if (iova & ~EDU_ADDR_MASK)
		usage_fail("%s: iova 0x%" PRIx64 " is above edu's 28-bit DMA mask",
			   what, iova);
	/* Registers written while a DMA runs are ignored by the device. */
	edu_wait_idle(e, what);
	edu_wr64(e, EDU_DMA_SRC, to_ram ? EDU_BUF : iova);
	edu_wr64(e, EDU_DMA_DST, to_ram ? iova : EDU_BUF);
	edu_wr64(e, EDU_DMA_CNT, len);
	t0 = now_us();
	edu_wr64(e, EDU_DMA_CMD, EDU_CMD_RUN | (to_ram ? EDU_CMD_TO_RAM : 0));
	edu_wait_idle(e, what);
	say("%s iova 0x%" PRIx64 " len %zu: device done in %" PRIu64 " us (tsc %" PRIu64 ")",
	    what, iova, len, now_us() - t0, rdtsc());
}

/* ------------------------------------------------------------------------ */
/* Small file helpers */

static int open_or_fail(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0)
		sys_fail("open %s", path);
	return fd;
}

/* Write @s to a sysfs file; returns 0 or the errno of the write. */
static int sysfs_write(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return errno;
	n = write(fd, s, strlen(s));
	err = n < 0 ? errno : (size_t)n == strlen(s) ? 0 : EIO;
	close(fd);
	return err;
}

/* The name of the driver bound to @bdf ("" when none). */
static void pci_driver(const char *bdf, char *buf, size_t size)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;
	char *slash;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		buf[0] = 0;
		return;
	}
	link[n] = 0;
	slash = strrchr(link, '/');
	slash = slash ? slash + 1 : link;
	n = strlen(slash);
	if ((size_t)n >= size)
		n = size - 1;
	memcpy(buf, slash, n);
	buf[n] = 0;
}

static void read_exact(int fd, void *buf, size_t len, off_t off, const char *what)
{
	ssize_t n = pread(fd, buf, len, off);

	if (n < 0)
		sys_fail("read %s at 0x%llx", what, (unsigned long long)off);
	if ((size_t)n != len)
		err_fail(EIO, "short read of %s at 0x%llx (%zd of %zu bytes)", what,
			 (unsigned long long)off, n, len);
}

static void write_exact(int fd, const void *buf, size_t len, off_t off, const char *what)
{
	ssize_t n = pwrite(fd, buf, len, off);

	if (n < 0)
		sys_fail("write %s at 0x%llx", what, (unsigned long long)off);
	if ((size_t)n != len)
		err_fail(EIO, "short write of %s at 0x%llx (%zd of %zu bytes)", what,
			 (unsigned long long)off, n, len);
}

/*
 * Set MEMORY|MASTER in the command register, through a file whose offset 0
 * is config space offset @cfg_off (the VFIO config region or sysfs config).
 * QEMU drops the DMA of a device without bus-master, silently.
 */
static uint16_t pci_set_master(int fd, off_t cfg_off, const char *what)
{
	uint16_t cmd;

	read_exact(fd, &cmd, sizeof(cmd), cfg_off + PCI_COMMAND, what);
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	write_exact(fd, &cmd, sizeof(cmd), cfg_off + PCI_COMMAND, what);
	read_exact(fd, &cmd, sizeof(cmd), cfg_off + PCI_COMMAND, what);
	if ((cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)) !=
	    (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER))
		check_fail("%s: command register reads 0x%04x after setting MEM|MASTER",
			   what, cmd);
	return cmd;
}

/* ------------------------------------------------------------------------ */
/* The VMM side: vfio-pci, the VFIO cdev and iommufd */

struct vmm {
	const char *bdf;
	const char *file;
	uint64_t iova;
	uint64_t len;
	int file_fd;
	uint8_t *ram;		/* the file, mapped MAP_SHARED: "guest RAM" */
	int iommufd;
	int devfd;
	uint32_t dev_id;
	uint32_t ioas_id;
	uint32_t hwpt_id;
	struct vfio_region_info cfg;
	struct edu edu;
	uint64_t t_step;
};

/* Print how long the step since the last call took. */
static void step_done(struct vmm *v, const char *what)
{
	uint64_t t = now_us();

	say("step %-14s %8" PRIu64 " us", what, t - v->t_step);
	v->t_step = now_us();
}

/*
 * Bind @bdf to vfio-pci: driver_override makes drivers_probe pick vfio-pci
 * and nothing else, whatever else would match (edu has no driver, but a
 * real device would).
 */
static void vfio_bind_driver(struct vmm *v)
{
	char path[PATH_MAX], drv[64];
	int err;

	pci_driver(v->bdf, drv, sizeof(drv));
	if (!strcmp(drv, "vfio-pci"))
		return;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", v->bdf);
	err = sysfs_write(path, "vfio-pci");
	if (err)
		err_fail(err, "write vfio-pci to %s", path);
	if (drv[0]) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", v->bdf);
		err = sysfs_write(path, v->bdf);
		if (err)
			err_fail(err, "unbind %s from %s", v->bdf, drv);
	}
	err = sysfs_write("/sys/bus/pci/drivers_probe", v->bdf);
	if (err)
		err_fail(err, "write %s to /sys/bus/pci/drivers_probe", v->bdf);
	pci_driver(v->bdf, drv, sizeof(drv));
	if (strcmp(drv, "vfio-pci"))
		usage_fail("%s is bound to '%s' after drivers_probe, not vfio-pci",
			   v->bdf, drv[0] ? drv : "(none)");
}

/* Open the device's VFIO cdev, /dev/vfio/devices/vfioN (from sysfs). */
static void vfio_open_cdev(struct vmm *v)
{
	char path[PATH_MAX], dev[PATH_MAX];
	struct stat st;
	FILE *f;
	unsigned int maj, min;
	int i;

	for (i = 0; i < 256; i++) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev/vfio%d/dev",
			 v->bdf, i);
		f = fopen(path, "re");
		if (f)
			break;
	}
	if (!f)
		err_fail(ENOENT, "no /sys/bus/pci/devices/%s/vfio-dev/vfioN (CONFIG_VFIO_DEVICE_CDEV?)",
			 v->bdf);
	if (fscanf(f, "%u:%u", &maj, &min) != 2) {
		fclose(f);
		err_fail(EINVAL, "parse %s", path);
	}
	fclose(f);
	snprintf(dev, sizeof(dev), "/dev/vfio/devices/vfio%d", i);
	/* devtmpfs creates it; make sure it is the device sysfs names. */
	if (stat(dev, &st))
		sys_fail("stat %s", dev);
	if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != maj || minor(st.st_rdev) != min)
		err_fail(ENODEV, "%s is not char device %u:%u", dev, maj, min);
	v->devfd = open_or_fail(dev, O_RDWR);
	say("cdev %s", dev);
}

static void vfio_bind_iommufd(struct vmm *v)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind),
		.iommufd = v->iommufd,
	};

	if (ioctl(v->devfd, VFIO_DEVICE_BIND_IOMMUFD, &bind))
		sys_fail("VFIO_DEVICE_BIND_IOMMUFD");
	v->dev_id = bind.out_devid;
}

static void iommufd_ioas_alloc(struct vmm *v)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };

	if (ioctl(v->iommufd, IOMMU_IOAS_ALLOC, &alloc))
		sys_fail("IOMMU_IOAS_ALLOC");
	v->ioas_id = alloc.out_ioas_id;
}

/* Map the pkernfs file, len bytes from offset 0: the "guest RAM". */
static void map_file(struct vmm *v)
{
	struct stat st;
	void *p;

	v->file_fd = open_or_fail(v->file, O_RDWR);
	if (fstat(v->file_fd, &st))
		sys_fail("stat %s", v->file);
	if ((uint64_t)st.st_size < v->len)
		err_fail(EINVAL, "%s is %lld bytes, shorter than --len 0x%" PRIx64, v->file,
			 (long long)st.st_size, v->len);
	p = mmap(NULL, v->len, PROT_READ | PROT_WRITE, MAP_SHARED, v->file_fd, 0);
	if (p == MAP_FAILED)
		sys_fail("mmap %s (0x%" PRIx64 " bytes, MAP_SHARED)", v->file, v->len);
	v->ram = p;
}

/* iommufd pins the pages (pin_user_pages): the pkernfs mmap must allow it. */
static void iommufd_ioas_map(struct vmm *v)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = v->ioas_id,
		.user_va = (uintptr_t)v->ram,
		.length = v->len,
		.iova = v->iova,
	};

	if (ioctl(v->iommufd, IOMMU_IOAS_MAP, &map))
		sys_fail("IOMMU_IOAS_MAP %s at iova 0x%" PRIx64 " len 0x%" PRIx64,
			 v->file, v->iova, v->len);
}

static void iommufd_hwpt_alloc(struct vmm *v)
{
	struct iommu_hwpt_alloc alloc = {
		.size = sizeof(alloc),
		.dev_id = v->dev_id,
		.pt_id = v->ioas_id,
		.data_type = IOMMU_HWPT_DATA_NONE,
	};

	if (ioctl(v->iommufd, IOMMU_HWPT_ALLOC, &alloc))
		sys_fail("IOMMU_HWPT_ALLOC (paging, on ioas %u)", v->ioas_id);
	v->hwpt_id = alloc.out_hwpt_id;
}

/*
 * Attach to @pt_id (an IOAS or a HWPT).  When the device is attached already,
 * iommufd turns this into a replace (iommufd_device_replace): the device
 * moves to the new domain without passing through a blocked state.
 */
static uint32_t vfio_attach(struct vmm *v, uint32_t pt_id)
{
	struct vfio_device_attach_iommufd_pt at = {
		.argsz = sizeof(at),
		.pt_id = pt_id,
	};

	if (ioctl(v->devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at))
		sys_fail("VFIO_DEVICE_ATTACH_IOMMUFD_PT to %u", pt_id);
	return at.pt_id;
}

static void vfio_region(struct vmm *v, unsigned int index, struct vfio_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->argsz = sizeof(*ri);
	ri->index = index;
	if (ioctl(v->devfd, VFIO_DEVICE_GET_REGION_INFO, ri))
		sys_fail("VFIO_DEVICE_GET_REGION_INFO %u", index);
}

/* MEM|MASTER through the VFIO config region, and BAR0 mapped through VFIO. */
static void vfio_enable_device(struct vmm *v)
{
	struct vfio_region_info bar;
	uint16_t cmd;
	void *p;

	vfio_region(v, VFIO_PCI_CONFIG_REGION_INDEX, &v->cfg);
	cmd = pci_set_master(v->devfd, v->cfg.offset, "VFIO config region");
	say("command 0x%04x bus-master on", cmd);

	vfio_region(v, VFIO_PCI_BAR0_REGION_INDEX, &bar);
	if (!(bar.flags & VFIO_REGION_INFO_FLAG_MMAP) || !bar.size)
		err_fail(ENOTSUP, "BAR0 of %s cannot be mmapped (flags 0x%x size 0x%llx)", v->bdf,
			 bar.flags, (unsigned long long)bar.size);
	p = mmap(NULL, bar.size, PROT_READ | PROT_WRITE, MAP_SHARED, v->devfd, bar.offset);
	if (p == MAP_FAILED)
		sys_fail("mmap BAR0 of %s through VFIO", v->bdf);
	v->edu.bar = p;
	v->edu.bar_len = bar.size;
	edu_check_ident(&v->edu);
}

static void vmm_open(struct vmm *v)
{
	v->iommufd = open_or_fail("/dev/iommu", O_RDWR);
	vfio_bind_driver(v);
	step_done(v, "bind-vfio-pci");
	vfio_open_cdev(v);
	step_done(v, "open-cdev");
	vfio_bind_iommufd(v);
	step_done(v, "bind-iommufd");
	iommufd_ioas_alloc(v);
	step_done(v, "ioas-alloc");
	map_file(v);
	iommufd_ioas_map(v);
	step_done(v, "ioas-map");
	iommufd_hwpt_alloc(v);
	step_done(v, "hwpt-alloc");
}

/* IOMMU_HWPT_FREEZE with @f; 0 or the errno. */
static int hwpt_freeze_ioctl(int fd, void *f)
{
	return ioctl(fd, IOMMU_HWPT_FREEZE, f) ? errno : 0;
}

/* A freeze request for v's device and HWPT, with @table_fd. */
static struct iommu_hwpt_freeze freeze_request(const struct vmm *v, int table_fd)
{
	struct iommu_hwpt_freeze f = {
		.size = sizeof(f),
		.dev_id = v->dev_id,
		.hwpt_id = v->hwpt_id,
		.table_fd = table_fd,
	};

	return f;
}

/*
 * IOMMU_HWPT_FREEZE: the kernel copies the translation of the device's
 * HWPT into page tables in the pkernfs file TABLEFILE (a path), opened
 * read-only, and from then on refuses map and unmap on the IOAS.
 */
static int freeze(struct vmm *v, const char *table)
{
	int fd = open(table, O_RDONLY | O_CLOEXEC), err;
	struct iommu_hwpt_freeze f;

	if (fd < 0)
		sys_fail("open %s", table);
	f = freeze_request(v, fd);
	err = hwpt_freeze_ioctl(v->iommufd, &f);
	close(fd);
	if (err)
		return err;
	say("freeze %s (dev_id %u hwpt %u) into %s: ok", v->bdf, v->dev_id, v->hwpt_id, table);
	return 0;
}

static volatile sig_atomic_t freeze_requested;

static void on_sigusr1(int sig)
{
	(void)sig;
	freeze_requested = 1;
}

/*
 * Hold every fd and mapping, as a VMM that stays alive through kexec.  With
 * @freeze_table, a SIGUSR1 freezes the device's HWPT into it (once): a VMM
 * that froze later, for a live update it was told of.
 */
static void __attribute__((noreturn)) hold(struct vmm *v, const char *freeze_table)
{
	sigset_t usr1, old;
	int err;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	if (freeze_table)
		signal(SIGUSR1, on_sigusr1);
	say("READY");
	fflush(stdout);
	for (;;) {
		/* Atomically unblocked, so a signal before this is not lost. */
		sigsuspend(&old);
		if (!freeze_requested || !freeze_table)
			continue;
		freeze_requested = 0;
		err = freeze(v, freeze_table);
		if (err)
			say("FAIL freeze %s into %s: %s (errno %d)", v->bdf, freeze_table,
			    strerror(err), err);
		freeze_table = NULL;
		fflush(stdout);
	}
}

/* ------------------------------------------------------------------------ */
/* Options */

struct opts {
	const char *bdf, *file, *freeze, *freeze_on_usr1;
	uint64_t iova, len, offset, to_ram, from_ram, dma_len;
	unsigned int pattern, fill_pattern, expect_pattern;
	bool have_iova, have_len, have_offset, have_pattern, have_to, have_from;
	bool have_dma_len;
	bool hold, set_master, replace;
};

enum { O_BDF = 256, O_FILE, O_IOVA, O_LEN, O_FILL, O_EXPECT, O_FREEZE, O_HOLD,
       O_TO, O_FROM, O_MASTER, O_OFFSET, O_PATTERN, O_REPLACE, O_DMALEN,
       O_FREEZE_USR1 };

static const struct option long_opts[] = {
	{ "bdf", required_argument, NULL, O_BDF },
	{ "file", required_argument, NULL, O_FILE },
	{ "iova", required_argument, NULL, O_IOVA },
	{ "len", required_argument, NULL, O_LEN },
	{ "fill-pattern", required_argument, NULL, O_FILL },
	{ "expect-pattern", required_argument, NULL, O_EXPECT },
	{ "freeze", required_argument, NULL, O_FREEZE },
	{ "hold", no_argument, NULL, O_HOLD },
	{ "to-ram", required_argument, NULL, O_TO },
	{ "from-ram", required_argument, NULL, O_FROM },
	{ "set-master", no_argument, NULL, O_MASTER },
	{ "offset", required_argument, NULL, O_OFFSET },
	{ "pattern", required_argument, NULL, O_PATTERN },
	{ "replace", no_argument, NULL, O_REPLACE },
	{ "dma-len", required_argument, NULL, O_DMALEN },
	{ "freeze-on-usr1", required_argument, NULL, O_FREEZE_USR1 },
	{ NULL, 0, NULL, 0 },
};

static uint64_t parse_u64(const char *opt, const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-')
		usage_fail("--%s: '%s' is not a number", opt, s);
	return v;
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->fill_pattern = o->expect_pattern = 1;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		const char *name = c >= O_BDF ? long_opts[c - O_BDF].name : "?";

		switch (c) {
		case O_BDF: o->bdf = optarg; break;
		case O_FILE: o->file = optarg; break;
		case O_FREEZE: o->freeze = optarg; break;
		case O_FREEZE_USR1: o->freeze_on_usr1 = optarg; break;
		case O_IOVA: o->iova = parse_u64(name, optarg); o->have_iova = true; break;
		case O_LEN: o->len = parse_u64(name, optarg); o->have_len = true; break;
		case O_OFFSET: o->offset = parse_u64(name, optarg); o->have_offset = true; break;
		case O_TO: o->to_ram = parse_u64(name, optarg); o->have_to = true; break;
		case O_FROM: o->from_ram = parse_u64(name, optarg); o->have_from = true; break;
		case O_FILL: o->fill_pattern = parse_u64(name, optarg); break;
		case O_EXPECT: o->expect_pattern = parse_u64(name, optarg); break;
		case O_PATTERN: o->pattern = parse_u64(name, optarg); o->have_pattern = true; break;
		case O_HOLD: o->hold = true; break;
		case O_MASTER: o->set_master = true; break;
		case O_REPLACE: o->replace = true; break;
		case O_DMALEN: o->dma_len = parse_u64(name, optarg); o->have_dma_len = true; break;
		default: usage_fail("unknown option (see the comment at the top of pkh-edu.c)");
		}
	}
	if (optind != argc)
		usage_fail("unexpected argument '%s'", argv[optind]);
}

static void need(bool have, const char *cmd, const char *opt)
{
	if (!have)
		usage_fail("%s needs --%s", cmd, opt);
}

/* The options shared by vmm-setup and vmm-restore. */
static void vmm_init(struct vmm *v, const struct opts *o, const char *cmd)
{
	need(o->bdf, cmd, "bdf");
	need(o->file, cmd, "file");
	need(o->have_iova, cmd, "iova");
	need(o->have_len, cmd, "len");
	if ((o->iova | o->len) & (PAGE - 1) || o->len < 3 * PAGE)
		usage_fail("%s: --iova and --len must be page aligned and --len at least 3 pages",
			   cmd);
	if ((o->iova + o->len - 1) & ~EDU_ADDR_MASK)
		usage_fail("%s: iova range ends above edu's 28-bit DMA mask", cmd);
	memset(v, 0, sizeof(*v));
	v->bdf = o->bdf;
	v->file = o->file;
	v->iova = o->iova;
	v->len = o->len;
	v->iommufd = v->devfd = v->file_fd = -1;
	v->t_step = now_us();
}

/* ------------------------------------------------------------------------ */
/* Subcommands */

/*
 * vmm-setup: the VMM before the update.  Proves DMA through the HWPT works
 * (page 0 -> edu buffer -> page 1), then leaves the edu buffer holding
 * pattern N and page 2 zeroed, for the checks after the kexec.
 */
static int cmd_vmm_setup(const struct opts *o)
{
	struct vmm v;
	uint8_t *page0, *page1, *page2;

	vmm_init(&v, o, "vmm-setup");
	vmm_open(&v);
	vfio_attach(&v, v.hwpt_id);
	step_done(&v, "attach-hwpt");
	say("%s bound: dev_id %u ioas %u hwpt %u; %s mapped at iova 0x%" PRIx64
	    " len 0x%" PRIx64, v.bdf, v.dev_id, v.ioas_id, v.hwpt_id, v.file,
	    v.iova, v.len);
	vfio_enable_device(&v);

	page0 = v.ram;
	page1 = v.ram + PAGE;
	page2 = v.ram + 2 * PAGE;
	pattern_make(page0, PAGE, o->fill_pattern);
	memset(page1, 0, PAGE);
	memset(page2, 0, PAGE);
	edu_dma(&v.edu, false, v.iova, EDU_DMA_MAX);
	edu_dma(&v.edu, true, v.iova + PAGE, EDU_DMA_MAX);
	if (!pattern_report("page 1 (iova+0x1000) after ram->edu->ram", page1, PAGE,
			    o->fill_pattern, EDU_DMA_MAX))
		check_fail("DMA through hwpt %u did not land at iova 0x%" PRIx64,
			   v.hwpt_id, v.iova + PAGE);
	if (!pattern_report("page 2 (iova+0x2000), zeroed for later", page2, PAGE, 0, 0))
		check_fail("page 2 changed although no DMA targeted it");
	say("DMA works: edu buffer holds pattern %u", o->fill_pattern);

	if (o->freeze) {
		int err = freeze(&v, o->freeze);

		if (err)
			check_fail("freeze %s into %s: %s (errno %d)", v.bdf, o->freeze,
				   strerror(err), err);
	}
	if (o->hold)
		hold(&v, o->freeze_on_usr1);
	return 0;
}

/*
 * vmm-restore: the VMM after a live update.  Sets the device up again from
 * scratch, timing each step, then checks that the edu buffer (which survives
 * kexec: no reset) still reaches the same file page, and that an IOVA
 * outside the mapping does not reach memory.
 */
static int cmd_vmm_restore(const struct opts *o)
{
	struct vmm v;
	uint8_t *page2, *before;
	uint64_t bad_iova, t0 = now_us();
	uint32_t got;

	vmm_init(&v, o, "vmm-restore");
	vmm_open(&v);
	if (o->replace) {
		/*
		 * Attach to the IOAS first (iommufd makes a HWPT for it), then
		 * to the new HWPT: the second attach is a replace.
		 */
		got = vfio_attach(&v, v.ioas_id);
		step_done(&v, "attach-ioas");
		say("attached to ioas %u (hwpt %u); replacing with hwpt %u", v.ioas_id,
		    got, v.hwpt_id);
	}
	vfio_attach(&v, v.hwpt_id);
	step_done(&v, o->replace ? "replace-hwpt" : "attach-hwpt");
	vfio_enable_device(&v);
	step_done(&v, "enable-device");
	say("restore total %" PRIu64 " us: %s dev_id %u ioas %u hwpt %u", now_us() - t0,
	    v.bdf, v.dev_id, v.ioas_id, v.hwpt_id);

	/* Zero the target first, so a match can only come from this DMA. */
	page2 = v.ram + 2 * PAGE;
	memset(page2, 0, PAGE);
	edu_dma(&v.edu, true, v.iova + 2 * PAGE, EDU_DMA_MAX);
	if (!pattern_report("page 2 (iova+0x2000) after edu->ram", page2, PAGE,
			    o->expect_pattern, EDU_DMA_MAX))
		check_fail("edu buffer did not reach iova 0x%" PRIx64 " with pattern %u",
			   v.iova + 2 * PAGE, o->expect_pattern);

	/* Nothing must change anywhere in the mapping when the IOVA is unmapped. */
	bad_iova = v.iova + v.len + 0x100000;
	before = malloc(v.len);
	if (!before)
		sys_fail("malloc %" PRIu64, v.len);
	memcpy(before, v.ram, v.len);
	edu_dma(&v.edu, true, bad_iova, EDU_DMA_MAX);
	if (memcmp(before, v.ram, v.len))
		check_fail("a DMA to unmapped iova 0x%" PRIx64 " changed the mapped file",
			   bad_iova);
	free(before);
	say("dma to unmapped iova 0x%" PRIx64 ": mapped memory unchanged", bad_iova);
	if (o->hold)
		hold(&v, o->freeze_on_usr1);
	return 0;
}

/*
 * raw-dma: no VFIO and no re-setup, BAR0 through sysfs resource0: what the
 * device does in whatever state the running kernel left it.
 */
static int cmd_raw_dma(const struct opts *o)
{
	char path[PATH_MAX];
	struct edu e;
	struct stat st;
	uint16_t cmd;
	size_t len = o->have_len ? o->len : EDU_DMA_MAX;
	int cfg, bar;
	void *p;

	need(o->bdf, "raw-dma", "bdf");
	if (!o->have_to && !o->have_from)
		usage_fail("raw-dma needs --to-ram and/or --from-ram");

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", o->bdf);
	cfg = open_or_fail(path, O_RDWR);
	read_exact(cfg, &cmd, sizeof(cmd), PCI_COMMAND, path);
	say("command 0x%04x bus-master %s", cmd, cmd & PCI_COMMAND_MASTER ? "on" : "off");
	if (o->set_master) {
		cmd = pci_set_master(cfg, 0, path);
		say("command 0x%04x bus-master on (set)", cmd);
	} else if (!(cmd & PCI_COMMAND_MEMORY)) {
		/* BAR0 reads all-ones then, and the writes go nowhere. */
		usage_fail("memory space is off on %s and --set-master was not given",
			   o->bdf);
	}

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", o->bdf);
	bar = open_or_fail(path, O_RDWR | O_SYNC);
	if (fstat(bar, &st))
		sys_fail("stat %s", path);
	p = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, bar, 0);
	if (p == MAP_FAILED)
		sys_fail("mmap %s", path);
	e.bar = p;
	e.bar_len = st.st_size;
	edu_check_ident(&e);

	/* RAM -> buffer first, so a --to-ram in the same run carries it back. */
	if (o->have_from)
		edu_dma(&e, false, o->from_ram, len);
	if (o->have_to)
		edu_dma(&e, true, o->to_ram, len);
	return 0;
}

/* Open the file of pattern-fill/-check; checks the shared options. */
static int pattern_file(const struct opts *o, const char *cmd, int flags)
{
	size_t len = o->have_len ? o->len : PAGE;

	need(o->file, cmd, "file");
	need(o->have_offset, cmd, "offset");
	need(o->have_pattern, cmd, "pattern");
	if (!len || len > (64UL << 20))
		usage_fail("%s: --len %zu is not 1..64 MiB", cmd, len);
	return open_or_fail(o->file, flags);
}

static int cmd_pattern_fill(const struct opts *o)
{
	size_t len = o->have_len ? o->len : PAGE;
	int fd = pattern_file(o, "pattern-fill", O_RDWR);
	uint8_t *buf = malloc(len);

	if (!buf)
		sys_fail("malloc %zu", len);
	pattern_make(buf, len, o->pattern);
	write_exact(fd, buf, len, o->offset, o->file);
	if (fsync(fd))
		sys_fail("fsync %s", o->file);
	say("%s +0x%" PRIx64 ": wrote %zu bytes of pattern %u", o->file, o->offset,
	    len, o->pattern);
	return 0;
}

static int cmd_pattern_check(const struct opts *o)
{
	size_t len = o->have_len ? o->len : PAGE;
	size_t dma_len = o->have_dma_len ? o->dma_len : len;
	int fd = pattern_file(o, "pattern-check", O_RDONLY);
	uint8_t *buf = malloc(len);
	char what[PATH_MAX + 32];

	if (!buf)
		sys_fail("malloc %zu", len);
	read_exact(fd, buf, len, o->offset, o->file);
	snprintf(what, sizeof(what), "%s +0x%" PRIx64, o->file, o->offset);
	return pattern_report(what, buf, len, o->pattern, dma_len) ? 0 : EXIT_CHECK;
}

/* IOMMU_IOAS_MAP of @len bytes at @va to @iova on v's IOAS; 0 or the errno. */
static int ioas_map_at(const struct vmm *v, void *va, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = v->ioas_id,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
	};

	return ioctl(v->iommufd, IOMMU_IOAS_MAP, &map) ? errno : 0;
}

static int ioas_unmap_at(const struct vmm *v, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap),
		.ioas_id = v->ioas_id,
		.iova = iova,
		.length = len,
	};

	return ioctl(v->iommufd, IOMMU_IOAS_UNMAP, &unmap) ? errno : 0;
}

/* An IOVA far from the guest RAM mapping, for extra maps. */
#define SCRATCH_IOVA	0x8000000UL
#define SCRATCH_LEN	(16 * PAGE)

/* How many lines of /sys/kernel/pkhandover/iommu start with @prefix. */
static unsigned int status_lines(const char *prefix)
{
	char line[512];
	unsigned int n = 0;
	FILE *f = fopen(IOMMU_STATUS_PATH, "re");

	if (!f)
		sys_fail("open %s", IOMMU_STATUS_PATH);
	while (fgets(line, sizeof(line), f))
		n += !strncmp(line, prefix, strlen(prefix));
	fclose(f);
	return n;
}

/*
 * After a refused freeze, nothing may have changed: no device frozen, and
 * the IOAS still maps and unmaps.
 */
static void check_unchanged(const struct vmm *v, const char *after)
{
	int err;

	if (status_lines("device "))
		check_fail("after %s, %s lists a device", after, IOMMU_STATUS_PATH);
	err = ioas_map_at(v, v->ram, SCRATCH_IOVA, SCRATCH_LEN);
	if (!err)
		err = ioas_unmap_at(v, SCRATCH_IOVA, SCRATCH_LEN);
	if (err)
		check_fail("after %s, the IOAS no longer maps and unmaps: %s (errno %d)", after,
			   strerror(err), err);
}

static void expect_errno(const char *what, int got, int want)
{
	if (got != want)
		check_fail("freeze with %s: %s (errno %d), expected %s (errno %d)", what,
			   got ? strerror(got) : "success", got, strerror(want), want);
	say("freeze with %s: %s, as expected", what, strerror(got));
}

/*
 * IOMMU_HWPT_FREEZE from a child that became uid 65534, which drops every
 * capability: the same iommufd, an unprivileged caller.  Its errno, 0 if
 * it succeeded.
 */
static int freeze_unprivileged(int iommufd, struct iommu_hwpt_freeze *f)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		sys_fail("fork");
	if (!pid) {
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(255);
		_exit(hwpt_freeze_ioctl(iommufd, f));
	}
	if (waitpid(pid, &status, 0) != pid)
		sys_fail("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 255)
		err_fail(EINVAL, "the unprivileged child could not drop to uid 65534 (status 0x%x)", status);
	return WEXITSTATUS(status);
}

/*
 * freeze-checks: IOMMU_HWPT_FREEZE given bad input gets its errno and
 * changes nothing; then a good freeze, a second one (EBUSY), and map and
 * unmap refused (EPERM).  Exits without holding: iommufd tears the frozen
 * HWPT down.
 */
static int cmd_freeze_checks(const struct opts *o)
{
	struct {
		struct iommu_hwpt_freeze f;
		uint64_t tail;
	} big;
	struct iommu_hwpt_alloc other = { .size = sizeof(other) };
	struct iommu_hwpt_freeze f;
	int table_ro, table_rw, proc_fd, err;
	struct vmm v;
	void *anon;

	need(o->freeze, "freeze-checks", "freeze");
	vmm_init(&v, o, "freeze-checks");
	vmm_open(&v);
	vfio_attach(&v, v.hwpt_id);
	say("%s bound: dev_id %u ioas %u hwpt %u", v.bdf, v.dev_id, v.ioas_id, v.hwpt_id);
	table_ro = open_or_fail(o->freeze, O_RDONLY);
	proc_fd = open_or_fail("/proc/self/status", O_RDONLY);
	check_unchanged(&v, "setup");

	f = freeze_request(&v, table_ro);
	f.size = offsetof(struct iommu_hwpt_freeze, __reserved);
	expect_errno("a size short of __reserved", hwpt_freeze_ioctl(v.iommufd, &f), EINVAL);
	check_unchanged(&v, "a short size");

	big.f = freeze_request(&v, table_ro);
	big.f.size = sizeof(big);
	big.tail = 1;
	expect_errno("a longer size and a non-zero tail", hwpt_freeze_ioctl(v.iommufd, &big),
		     E2BIG);
	check_unchanged(&v, "a non-zero tail");

	f = freeze_request(&v, table_ro);
	f.flags = 1;
	expect_errno("flags 0x1", hwpt_freeze_ioctl(v.iommufd, &f), EOPNOTSUPP);
	f.flags = 0x80000000;
	expect_errno("flags 0x80000000", hwpt_freeze_ioctl(v.iommufd, &f), EOPNOTSUPP);
	check_unchanged(&v, "unknown flags");

	f = freeze_request(&v, table_ro);
	f.__reserved = 1;
	expect_errno("__reserved 1", hwpt_freeze_ioctl(v.iommufd, &f), EOPNOTSUPP);
	check_unchanged(&v, "a non-zero __reserved");

	f = freeze_request(&v, table_ro);
	f.dev_id = 0xdead;
	expect_errno("dev_id 0xdead", hwpt_freeze_ioctl(v.iommufd, &f), ENOENT);
	f = freeze_request(&v, table_ro);
	f.hwpt_id = v.ioas_id;
	expect_errno("the IOAS id as hwpt_id", hwpt_freeze_ioctl(v.iommufd, &f), ENOENT);
	check_unchanged(&v, "bad ids");

	other.dev_id = v.dev_id;
	other.pt_id = v.ioas_id;
	if (ioctl(v.iommufd, IOMMU_HWPT_ALLOC, &other))
		sys_fail("IOMMU_HWPT_ALLOC (a second one)");
	f = freeze_request(&v, table_ro);
	f.hwpt_id = other.out_hwpt_id;
	expect_errno("a HWPT the device is not attached to", hwpt_freeze_ioctl(v.iommufd, &f),
		     EINVAL);
	check_unchanged(&v, "another HWPT");

	f = freeze_request(&v, -1);
	expect_errno("table_fd -1", hwpt_freeze_ioctl(v.iommufd, &f), EBADF);
	f = freeze_request(&v, proc_fd);
	expect_errno("a table file outside pkernfs", hwpt_freeze_ioctl(v.iommufd, &f), EINVAL);
	table_rw = open_or_fail(o->freeze, O_RDWR);
	f = freeze_request(&v, table_rw);
	expect_errno("a table file open for writing", hwpt_freeze_ioctl(v.iommufd, &f), ETXTBSY);
	close(table_rw);
	check_unchanged(&v, "bad table files");

	f = freeze_request(&v, table_ro);
	expect_errno("a caller without CAP_SYS_ADMIN", freeze_unprivileged(v.iommufd, &f), EPERM);
	check_unchanged(&v, "an unprivileged caller");

	f = freeze_request(&v, table_ro);
	expect_errno("a pkernfs file instead of iommufd", hwpt_freeze_ioctl(table_ro, &f), ENOTTY);
	expect_errno("the VFIO device instead of iommufd", hwpt_freeze_ioctl(v.devfd, &f), ENOTTY);
	check_unchanged(&v, "fds that are not iommufd");

	/* Anonymous memory: the next kernel owns it. */
	anon = mmap(NULL, SCRATCH_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (anon == MAP_FAILED)
		sys_fail("mmap anonymous");
	memset(anon, 0x5a, SCRATCH_LEN);
	err = ioas_map_at(&v, anon, SCRATCH_IOVA, SCRATCH_LEN);
	if (err)
		err_fail(err, "IOMMU_IOAS_MAP of anonymous memory");
	f = freeze_request(&v, table_ro);
	expect_errno("a HWPT translating to memory outside pkernfs",
		     hwpt_freeze_ioctl(v.iommufd, &f), ERANGE);
	err = ioas_unmap_at(&v, SCRATCH_IOVA, SCRATCH_LEN);
	if (err)
		check_fail("unmap after the refused freeze: %s (errno %d)", strerror(err), err);
	check_unchanged(&v, "a translation outside pkernfs");

	expect_errno("good input", hwpt_freeze_ioctl(v.iommufd, &f), 0);
	if (status_lines("device ") != 1)
		check_fail("%s does not list the frozen device", IOMMU_STATUS_PATH);
	expect_errno("the same device again", hwpt_freeze_ioctl(v.iommufd, &f), EBUSY);
	err = ioas_map_at(&v, v.ram, SCRATCH_IOVA, SCRATCH_LEN);
	if (err != EPERM)
		check_fail("IOMMU_IOAS_MAP after the freeze: %s (errno %d), expected EPERM",
			   err ? strerror(err) : "success", err);
	err = ioas_unmap_at(&v, v.iova, v.len);
	if (err != EPERM)
		check_fail("IOMMU_IOAS_UNMAP after the freeze: %s (errno %d), expected EPERM",
			   err ? strerror(err) : "success", err);
	say("after the freeze: map and unmap refused with EPERM");
	say("freeze-checks passed");
	return 0;
}

struct race {
	const struct vmm *v;
	/* Volatile: the main thread polls them while the loop runs. */
	volatile bool stop;
	volatile unsigned int ok_ops, refused;
	volatile int bad_err;	/* an errno other than EPERM, or -1: a success after one */
	volatile bool mapped;	/* SCRATCH_IOVA mapped after the last success */
};

/* Map and unmap SCRATCH_IOVA in a loop, as a VMM's vCPU thread might. */
static void *race_loop(void *arg)
{
	struct race *r = arg;
	int err;

	while (!r->stop && !r->bad_err) {
		err = r->mapped ? ioas_unmap_at(r->v, SCRATCH_IOVA, SCRATCH_LEN) :
				  ioas_map_at(r->v, r->v->ram, SCRATCH_IOVA, SCRATCH_LEN);
		if (!err && r->refused)
			r->bad_err = -1;
		else if (!err) {
			r->mapped = !r->mapped;
			r->ok_ops++;
		} else if (err == EPERM)
			r->refused++;
		else
			r->bad_err = err;
	}
	return NULL;
}

/* The number after " ranges=" on the only domain line of the status. */
static unsigned int frozen_ranges(void)
{
	char line[512], *p;
	unsigned int n = 0, domains = 0;
	FILE *f = fopen(IOMMU_STATUS_PATH, "re");

	if (!f)
		sys_fail("open %s", IOMMU_STATUS_PATH);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "domain ", 7))
			continue;
		p = strstr(line, " ranges=");
		if (!p)
			check_fail("no ranges= in '%s'", line);
		n = strtoul(p + 8, NULL, 10);
		domains++;
	}
	fclose(f);
	if (domains != 1)
		check_fail("%s lists %u domains, expected 1", IOMMU_STATUS_PATH, domains);
	return n;
}

/*
 * freeze-race: a thread maps and unmaps SCRATCH_IOVA in a loop while the
 * main thread freezes.  Each call must succeed before the freeze or fail
 * with EPERM after it, and the frozen copy must be the state after the last
 * call that succeeded: the guest RAM mapping is one range, plus one if
 * SCRATCH_IOVA was mapped.
 */
static int cmd_freeze_race(const struct opts *o)
{
	struct race r = { 0 };
	pthread_t thread;
	unsigned int before, ranges, n = 0;
	int err;
	struct vmm v;

	need(o->freeze, "freeze-race", "freeze");
	vmm_init(&v, o, "freeze-race");
	vmm_open(&v);
	vfio_attach(&v, v.hwpt_id);
	r.v = &v;
	err = pthread_create(&thread, NULL, race_loop, &r);
	if (err)
		err_fail(err, "pthread_create");
	while (r.ok_ops < 200 && !r.bad_err)
		usleep(1000);
	before = r.ok_ops;
	err = freeze(&v, o->freeze);
	if (err) {
		r.stop = true;
		pthread_join(thread, NULL);
		check_fail("freeze during the race: %s (errno %d)", strerror(err), err);
	}
	while (r.refused < 100 && !r.bad_err && n++ < 100000)
		usleep(100);
	r.stop = true;
	pthread_join(thread, NULL);
	if (r.bad_err == -1)
		check_fail("a map or unmap succeeded after one was refused");
	if (r.bad_err)
		check_fail("a racing map or unmap failed with %s (errno %d), not EPERM",
			   strerror(r.bad_err), r.bad_err);
	if (!r.refused)
		check_fail("no map or unmap was refused after the freeze");
	ranges = frozen_ranges();
	say("race: %u maps and unmaps succeeded (%u when the freeze started), %u refused with EPERM after it; iova 0x%lx %s; frozen ranges %u",
	    r.ok_ops, before, r.refused, SCRATCH_IOVA, r.mapped ? "mapped" : "not mapped", ranges);
	if (ranges != 1u + r.mapped)
		check_fail("the frozen copy has %u ranges; the last call that succeeded left %u",
			   ranges, 1u + r.mapped);
	say("freeze-race passed");
	if (o->hold)
		hold(&v, NULL);
	return 0;
}

/* tsc: print the TSC, for a mark on the clock that survives kexec. */
/* A "Key:   N kB" line of /proc/meminfo, in KiB; -1 if it has none. */
static long long meminfo_kib(const char *key)
{
	char line[256];
	long long kib = -1;
	size_t n = strlen(key);
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		sys_fail("open /proc/meminfo");
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			kib = strtoll(line + n + 1, NULL, 10);
	fclose(f);
	return kib;
}

/*
 * Write one byte in every 4 KiB page of a new MAP_SHARED mapping of
 * v->file; *pmd_kib: how much more file memory the system maps with PMDs
 * while this mapping is there (FilePmdMapped, or ShmemPmdMapped for tmpfs).
 */
static uint64_t touch_pages_us(struct vmm *v, long long *pmd_kib)
{
	long long before = meminfo_kib("FilePmdMapped") + meminfo_kib("ShmemPmdMapped");
	uint64_t t0, t1;

	map_file(v);
	t0 = now_us();
	for (uint64_t off = 0; off < v->len; off += PAGE)
		((volatile uint8_t *)v->ram)[off] = (uint8_t)(off >> 12);
	t1 = now_us();
	*pmd_kib = meminfo_kib("FilePmdMapped") + meminfo_kib("ShmemPmdMapped") - before;
	if (munmap(v->ram, v->len))
		sys_fail("munmap %s", v->file);
	close(v->file_fd);
	return t1 - t0;
}

/*
 * memory-bench: what a VMM pays for its guest RAM on one backing (a
 * pkernfs, hugetlbfs or tmpfs file of --len bytes): the first touch of
 * every page (allocation where the file system allocates on fault), a
 * second touch through a fresh mapping (faulting in RAM that exists, as a
 * restored VMM does), and iommufd pinning all of it for a passthrough
 * device (IOMMU_IOAS_MAP with the device attached, so the pages are
 * pinned and mapped at once).  One line: "pkh-edu: memory-bench FILE
 * bytes N first-touch-us A touch-us B pin-us C unmap-us D".
 */
static int cmd_memory_bench(const struct opts *o)
{
	struct iommu_ioas_unmap unmap = { .size = sizeof(unmap) };
	uint64_t first, again, pin, t0;
	long long pmd_kib, unused;
	struct opts vo = *o;
	struct vmm v;

	vo.iova = 0;
	vo.have_iova = true;
	vmm_init(&v, &vo, "memory-bench");
	first = touch_pages_us(&v, &unused);
	again = touch_pages_us(&v, &pmd_kib);

	v.iommufd = open_or_fail("/dev/iommu", O_RDWR);
	vfio_bind_driver(&v);
	vfio_open_cdev(&v);
	vfio_bind_iommufd(&v);
	iommufd_ioas_alloc(&v);
	/* Attached first: an IOAS with no domain pins nothing. */
	vfio_attach(&v, v.ioas_id);
	map_file(&v);
	t0 = now_us();
	iommufd_ioas_map(&v);
	pin = now_us() - t0;
	unmap.ioas_id = v.ioas_id;
	unmap.iova = v.iova;
	unmap.length = v.len;
	t0 = now_us();
	if (ioctl(v.iommufd, IOMMU_IOAS_UNMAP, &unmap))
		sys_fail("IOMMU_IOAS_UNMAP");
	say("memory-bench %s bytes %" PRIu64 " first-touch-us %" PRIu64
	    " touch-us %" PRIu64 " pin-us %" PRIu64 " unmap-us %" PRIu64
	    " pmd-mapped-kib %lld",
	    v.file, v.len, first, again, pin, now_us() - t0, pmd_kib);
	return 0;
}

static int cmd_tsc(const struct opts *o)
{
	(void)o;
	printf("%" PRIu64 "\n", rdtsc());
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(const struct opts *o);
	} cmds[] = {
		{ "vmm-setup", cmd_vmm_setup },
		{ "vmm-restore", cmd_vmm_restore },
		{ "raw-dma", cmd_raw_dma },
		{ "pattern-fill", cmd_pattern_fill },
		{ "pattern-check", cmd_pattern_check },
		{ "tsc", cmd_tsc },
		{ "memory-bench", cmd_memory_bench },
		{ "freeze-checks", cmd_freeze_checks },
		{ "freeze-race", cmd_freeze_race },
	};
	struct opts o;

	/* Line by line even into a file: the scenario waits for READY. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage_fail("usage: pkh-edu vmm-setup|vmm-restore|raw-dma|pattern-fill|pattern-check|tsc|memory-bench|freeze-checks|freeze-race [options]");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		parse_opts(argc - 1, argv + 1, &o);
		return cmds[i].fn(&o);
	}
	usage_fail("unknown subcommand '%s'", argv[1]);
}
