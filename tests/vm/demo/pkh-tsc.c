// SPDX-License-Identifier: GPL-2.0-only
/*
 * pkh-tsc: a time mark on the one guest clock that runs across kexec.
 *
 *   pkh-tsc mark NAME
 *
 * Reads the TSC and writes "pkh-demo: mark NAME tsc T" to /dev/kmsg, so
 * that the kernel log holds the same instant on two clocks: the kernel's
 * printk clock (which starts again at zero in every kernel) and the TSC
 * (which kexec does not reset; under QEMU TCG it follows the host's).  The
 * demo (tests/vm/demo.sh) lines up the old and the new kernel through these
 * marks.  Prints the cycles the write took, the error bound of the mark.
 *
 * Built static by tests/vm/demo.sh and put in the initramfs as
 * /usr/bin/pkh-tsc through PKH_VM_EXTRA; x86 only.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static uint64_t tsc(void)
{
	uint32_t lo, hi;

	/* lfence: the read is not moved before the instructions above it. */
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

int main(int argc, char **argv)
{
	char line[200];
	uint64_t before, after;
	int fd, len;

	if (argc != 3 || strcmp(argv[1], "mark") != 0) {
		fprintf(stderr, "usage: pkh-tsc mark NAME\n");
		return 2;
	}
	fd = open("/dev/kmsg", O_WRONLY);
	if (fd < 0) {
		perror("pkh-tsc: /dev/kmsg");
		return 1;
	}
	before = tsc();
	len = snprintf(line, sizeof(line), "pkh-demo: mark %s tsc %llu\n", argv[2],
		       (unsigned long long)before);
	if (len < 0 || (size_t)len >= sizeof(line) || write(fd, line, len) != len) {
		perror("pkh-tsc: write /dev/kmsg");
		return 1;
	}
	after = tsc();
	close(fd);
	printf("%llu\n", (unsigned long long)(after - before));
	return 0;
}
