#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The ABI header, the error list and the parser exist once: the kernel
# patch series must carry byte-identical copies of the project's files.
# Applies patch 0001 of the series to an empty tree and compares.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
(cd "$scratch" && git init -q && git apply \
	--include='include/linux/pkhandover/*' --include='kernel/pkhandover/pkh_*' \
	"$top"/kernel/patches/linux-6.12/0001-*.patch) || { echo "FAIL kernel-shared-sources: patch 0001 does not apply"; exit 1; }
for pair in include/linux/pkhandover/abi.h:handover/include/pkhandover/abi.h \
	    include/linux/pkhandover/errors.h:handover/include/pkhandover/errors.h \
	    kernel/pkhandover/pkh_parse.c:kernel/pkh_parse.c \
	    kernel/pkhandover/pkh_parse.h:kernel/pkh_parse.h \
	    kernel/pkhandover/pkh_compat.h:kernel/pkh_compat.h; do
	copy=${pair%%:*} source=${pair#*:}
	if cmp -s "$scratch/$copy" "$top/$source"; then
		echo "PASS kernel-shared-sources: $copy = $source"
	else
		echo "FAIL kernel-shared-sources: $copy differs from $source (regenerate patch 0001)"
		status=1
	fi
done
exit $status
