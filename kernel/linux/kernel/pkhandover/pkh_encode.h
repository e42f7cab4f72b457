/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel-side encoder of the pkhandover blob: what a kernel hands over,
 * written as the blob the next kernel parses.
 *
 * The running kernel builds the handover itself when userspace may not
 * write it (kexec_file_load, as under lockdown): pkernfs and the IOMMU
 * driver describe their state in a struct pkh_state, and pkh_encode()
 * writes it.  Its output is byte for byte the blob libpkhandover's encode()
 * writes for the same state, ABI v2 or v3; the userspace build of this file
 * (Makefile.am) is checked against libpkhandover on every fixture and by
 * the fuzzer.  It checks only what it must to write a well-formed tree:
 * the caller runs pkh_parse() on the result before handing it over.
 */
#ifndef PKH_ENCODE_H
#define PKH_ENCODE_H

#include "pkh_compat.h"

#include <pkhandover/abi.h>
#include <pkhandover/state.h>

/**
 * pkh_encode_bound() - bytes enough for pkh_encode() of @state
 * @state: the state
 *
 * Return: an upper bound of the blob's size, header included; 0 if the
 * state cannot be a blob (an unknown major, a device whose domain does not
 * exist, or more than PKH_MAX_BLOB_SIZE).
 */
size_t pkh_encode_bound(const struct pkh_state *state);

/**
 * pkh_encode() - write the blob of @state
 * @state: the state
 * @buf:   where to write it, 8-byte aligned
 * @size:  bytes at @buf; pkh_encode_bound() is always enough
 * @len:   set to the blob's size on success
 *
 * Return: 0; -EINVAL if @state cannot be a blob (see pkh_encode_bound());
 * -ENOSPC if @size is too small.
 */
int pkh_encode(const struct pkh_state *state, void *buf, size_t size,
	       size_t *len);

#endif /* PKH_ENCODE_H */
