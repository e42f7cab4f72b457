/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Error codes shared by every reader of the handover blob: libpkhandover's
 * decoder, the kernel-C parser (kernel/pkhandover/pkh_parse.c) and the
 * pkhandover tool.
 *
 * One list, expanded twice: into the enum and into the message table, so the
 * two readers report the same code for the same fault and the differential
 * test can compare codes, not just accept/reject.  Codes are stable: append
 * new ones at the end.
 */
#ifndef PKHANDOVER_ERRORS_H
#define PKHANDOVER_ERRORS_H

/* X(name, short explanation) */
#define PKH_ERROR_LIST(X)                                                      \
	X(OK, "no error")                                                      \
	X(TRUNCATED, "blob is shorter than its header or its parts require")  \
	X(SIZE_MISMATCH, "buffer size differs from the header's total_size")  \
	X(BAD_MAGIC, "not a pkhandover blob (bad magic)")                     \
	X(BAD_VERSION, "invalid ABI version or header size")                  \
	X(VERSION_TOO_NEW, "ABI major version newer than this reader")        \
	X(BAD_HEADER, "reserved header field is not zero")                    \
	X(TOO_LARGE, "blob exceeds the size cap")                             \
	X(BAD_CRC, "payload CRC32 mismatch")                                  \
	X(BAD_FDT, "payload is not a well-formed flattened device tree")      \
	X(BAD_COMPATIBLE, "root compatible is not this ABI")                  \
	X(MISSING_NODE, "required node is missing")                           \
	X(MISSING_PROPERTY, "required property is missing")                   \
	X(BAD_LENGTH, "property has the wrong length")                        \
	X(BAD_VALUE, "property value is out of range or malformed")           \
	X(UNKNOWN_NODE, "unknown node")                                       \
	X(UNKNOWN_PROPERTY, "unknown property")                               \
	X(BAD_NODE_NAME, "node name or index is not the expected one")        \
	X(TOO_MANY, "more entries than the ABI allows")                       \
	X(ZERO_SIZE, "size or length is zero")                                \
	X(UNALIGNED, "address or size is not aligned")                        \
	X(OVERFLOW, "address range wraps around 2^64")                        \
	X(OVERLAP, "ranges overlap")                                          \
	X(OUT_OF_BOUNDS, "range lies outside the memory that contains it")    \
	X(BAD_REFERENCE, "index refers to an entry that does not exist")      \
	X(DUPLICATE, "duplicate entry")                                       \
	X(NOT_SORTED, "entries are not in canonical order")                   \
	X(LOW_MEMORY, "region lies in the low 1 MiB")                         \
	X(OUTSIDE_RAM, "region is not inside system RAM")                     \
	X(CONFLICT, "region overlaps memory the boot needs")                  \
	X(UNSUPPORTED, "valid but not supported by this reader")              \
	X(NO_MEMORY, "out of memory while validating")

#define PKH_ERROR_ENUM_ENTRY(name, text) PKH_ERR_##name,
enum pkh_error_code { PKH_ERROR_LIST(PKH_ERROR_ENUM_ENTRY) PKH_ERR_COUNT };
#undef PKH_ERROR_ENUM_ENTRY

#endif /* PKHANDOVER_ERRORS_H */
