#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Every patch of kexec-ext/patches applies and builds on its own: builds
# kexec-tools with patches 1..k for every k, natively and (when the cross
# toolchain is there) for arm64, and runs each result once.
#
#   tests/kexec/check-series.sh [SRC_DIR] [OUT_DIR]
#
# Slow (a kexec-tools build per patch and architecture, about 15 minutes
# on two cores), so it is not part of make check: run it after changing
# the series (make check-kexec-series).
set -euo pipefail
# shellcheck source=tests/kexec/lib.sh
. "$(dirname "$0")/lib.sh"

src=${1:-$builddir/kexec-tools-src}
out=${2:-$builddir/kexec-ext-series}
if [ ! -f "$src/kexec/kexec.c" ]; then
	echo "SKIP: no kexec-tools source at $src (kexec-ext/fetch-kexec-tools.sh)"
	exit 77
fi
n=$(ls "$top"/kexec-ext/patches/[0-9][0-9][0-9][0-9]-*.patch | wc -l)

arches=(native)
if command -v aarch64-linux-gnu-g++ >/dev/null && [ -e /usr/lib/aarch64-linux-gnu/libfdt.so.1 ]; then
	arches+=(arm64)
else
	skip "arm64 builds" "no aarch64-linux-gnu-g++ or libfdt1:arm64"
fi

for arch in "${arches[@]}"; do
	host_args=()
	runner=()
	if [ "$arch" = arm64 ]; then
		host_args=(--host=aarch64-linux-gnu)
		command -v qemu-aarch64 >/dev/null && runner=(qemu-aarch64)
	fi
	for k in $(seq 0 "$n"); do
		name="$arch: patches 1..$k apply and build"
		if ! "$top/kexec-ext/build-kexec.sh" "$src" "$out/$arch" --patches="$k" "${host_args[@]}" \
			>"$scratch/build.log" 2>&1; then
			fail "$name" "$(tail -n 15 "$scratch/build.log")"
			continue
		fi
		if [ "$arch" = arm64 ] && [ ${#runner[@]} -eq 0 ]; then
			pass "$name (not run: no qemu-aarch64)"
			continue
		fi
		if "${runner[@]}" "$out/$arch/sbin/kexec" --version >/dev/null 2>&1; then
			pass "$name"
		else
			fail "$name" "the built kexec does not run"
		fi
	done
	# With the whole series, the options are there.
	# Read all of --help first: grep -q would stop reading at the first
	# match, and under pipefail kexec's SIGPIPE would fail the check.
	help=$("${runner[@]}" "$out/$arch/sbin/kexec" --help 2>&1 || true)
	if grep -q -- '--live-update' <<<"$help"; then
		pass "$arch: the full series has --live-update"
	else
		fail "$arch: the full series has --live-update"
	fi
done

finish
