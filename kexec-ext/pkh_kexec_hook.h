/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The extern "C" hook that kexec-tools calls for --live-update.
 *
 * kexec-tools is C; the handover logic (spec parsing, encoding, validation,
 * the pre-flight check of the target kernel) is C++ in libpkhandover and in
 * kexec-ext/.  This header is the whole interface between them, so the
 * patch series against kexec-tools stays a handful of calls:
 *
 *   main():    option cases fill struct pkh_kexec_request, then
 *              pkh_kexec_check_options() refuses combinations we cannot
 *              honour (-p, -a, -u, -e);
 *   my_load(): pkh_kexec_prepare() once the kernel image is in memory; it
 *              returns the blob, or writes it to --handover-out for a dry
 *              run, and the arch code attaches info->handover_blob;
 *              pkh_kexec_segments_ready() right before kexec_load();
 *   do_kexec_file_load() (-s): pkh_kexec_prepare_file() once the kernel
 *              image is in memory; the running kernel builds and attaches
 *              the handover itself (KEXEC_FILE_LIVE_UPDATE).
 *
 * Every function prints its own message on stderr, prefixed "kexec:", and
 * returns -1 on failure; the C side only has to stop.
 */
#ifndef PKH_KEXEC_HOOK_H
#define PKH_KEXEC_HOOK_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What the command line asked for; zero-initialised means "not asked". */
struct pkh_kexec_request {
	int live_update;	   /* --live-update */
	const char *handover_spec; /* --handover-spec FILE, or NULL */
	const char *handover_out;  /* --handover-out FILE, or NULL */
};

/* A blob owned by the hook; release it with pkh_kexec_blob_free(). */
struct pkh_kexec_blob {
	unsigned char *bytes;
	size_t size;
};

/* @file_syscall of pkh_kexec_check_options(): which system call loads. */
#define PKH_KEXEC_SYSCALL_LOAD		0 /* kexec_load (-c, the default) */
#define PKH_KEXEC_SYSCALL_FILE		1 /* kexec_file_load (-s) */
#define PKH_KEXEC_SYSCALL_FILE_OR_LOAD	2 /* -a: file, else falls back */

/*
 * Checks that the options go together.  @loading: an image is being loaded
 * (-l, or the default load-and-reboot); @crash: -p; @file_syscall: one of
 * PKH_KEXEC_SYSCALL_*.  A live-update load through kexec_load on a kernel
 * that is locked down (PKH_KEXEC_LOCKDOWN) is refused too, saying that
 * only -s works there.  Returns 0, or -1 after printing why.  A request
 * without --live-update and without the other two options is always fine.
 */
int pkh_kexec_check_options(const struct pkh_kexec_request *request,
			    int loading, int crash, int file_syscall);

/* Nonzero when --handover-out makes this run a dry run (nothing loaded). */
int pkh_kexec_dry_run(const struct pkh_kexec_request *request);

/*
 * Builds the handover blob for loading @kernel_path (@kernel_image is its
 * decompressed bytes as kexec read them): loads the state (the JSON spec of
 * --handover-spec, else PKH_KEXEC_LIVE_STATE of the running kernel), encodes it,
 * decodes the result again as the next kernel would, and runs the
 * pre-flight check that the kernel declares support for the blob's ABI
 * major.  For a dry run it then writes the blob to --handover-out.
 * On success returns 0 and fills @blob; on failure prints the reason and
 * returns -1 with @blob empty.
 */
int pkh_kexec_prepare(const struct pkh_kexec_request *request,
		      const char *kernel_path, const void *kernel_image,
		      size_t kernel_size, struct pkh_kexec_blob *blob);

/*
 * The -s (kexec_file_load) side of pkh_kexec_prepare(): the running kernel
 * builds the handover and attaches it, so this only runs the pre-flight
 * check that @kernel_path declares support for the ABI major the kernel
 * writes, and reads PKH_KEXEC_LIVE_HANDOVER once, which fails early and
 * clearly when the running kernel cannot build one (no pkhandover series,
 * pkernfs not mounted).  For a dry run it writes that blob to
 * --handover-out.  Returns 0, or -1 after printing why.
 */
int pkh_kexec_prepare_file(const struct pkh_kexec_request *request,
			   const char *kernel_path, const void *kernel_image,
			   size_t kernel_size);

/*
 * After kexec_file_load() with KEXEC_FILE_LIVE_UPDATE failed with @err
 * (an errno): prints what it means for a live update.
 */
void pkh_kexec_file_load_failed(int err);

/* Frees what pkh_kexec_prepare() returned; @blob is left empty. */
void pkh_kexec_blob_free(struct pkh_kexec_blob *blob);

/* Same layout as kexec-tools' struct kexec_segment (checked at the caller). */
struct pkh_kexec_segment {
	const void *buf;
	size_t bufsz;
	const void *mem;
	size_t memsz;
};

/*
 * Test hook for the fail-safe VM scenarios: when this environment variable
 * names a file, --live-update attaches that file's bytes unchanged instead
 * of a blob built from the state (no encode, no validation, no ABI-major
 * match; the target kernel must still declare support).  It is how the
 * tests hand a new kernel a corrupted blob; kexec says so on stderr.
 */
#define PKH_KEXEC_RAW_BLOB_ENV "PKH_KEXEC_TEST_RAW_BLOB"

/*
 * Test hook of the arm64 loader (kexec-arm64.c): "ADDR SIZE" writes
 * /chosen/linux,pkhandover-range = <ADDR SIZE> with no segment behind it,
 * in place of the blob; "ADDR SIZE inline" writes the blob inline as well.
 * It is how the tests hand a new kernel a range it must refuse (not RAM,
 * the carve-out, larger than the cap, both properties at once).
 */
#define PKH_KEXEC_CHOSEN_RANGE_ENV "PKH_KEXEC_TEST_CHOSEN_RANGE"

/* Where the running kernel reports the state to hand over (JSON spec). */
#define PKH_KEXEC_LIVE_STATE "/sys/kernel/pkhandover/state"

/*
 * The kernel's lockdown state ("none [integrity] confidentiality", the
 * bracketed one in force): locked down, it refuses kexec_load, so a live
 * update must use -s.  Tests name another file in PKH_KEXEC_LOCKDOWN_ENV.
 */
#define PKH_KEXEC_LOCKDOWN "/sys/kernel/security/lockdown"
#define PKH_KEXEC_LOCKDOWN_ENV "PKH_KEXEC_TEST_LOCKDOWN"

/* The blob the running kernel builds of that state, and attaches under -s. */
#define PKH_KEXEC_LIVE_HANDOVER "/sys/kernel/pkhandover/handover"

/*
 * The kexec_file_load() flag of a live update (the pkhandover kernel
 * series, include/uapi/linux/kexec.h): the kernel attaches its handover.
 */
#define PKH_KEXEC_FILE_LIVE_UPDATE 0x40000000UL

/* Environment variable naming the file pkh_kexec_segments_ready() dumps to. */
#define PKH_KEXEC_DUMP_ENV "PKH_KEXEC_TEST_DUMP_SEGMENTS"

/*
 * Called for a --live-update load once every segment is placed, right
 * before the kexec_load() syscall.  Fails closed (prints why, returns -1)
 * when @handover_attached is zero, i.e. the loader of this image type did
 * not attach the blob, and when a preserved region overlaps a segment: the
 * kernel, initrd, boot parameters or purgatory that kexec is about to copy
 * must not land on preserved memory.
 *
 * Test hook: when the environment variable PKH_KEXEC_DUMP_ENV names a
 * file, it then writes every segment there (format in kexec-ext/README.md)
 * so a test can walk the boot parameters or the dtb exactly as the next
 * kernel would, and returns 1: the caller skips the syscall and loads
 * nothing.  Otherwise returns 0.
 */
int pkh_kexec_segments_ready(const struct pkh_kexec_segment *segments,
			     int nr_segments, int handover_attached);

#ifdef __cplusplus
}
#endif

#endif /* PKH_KEXEC_HOOK_H */
