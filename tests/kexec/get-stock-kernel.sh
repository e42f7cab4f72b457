#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Print the path of a stock Debian kernel image (one without pkhandover
# support), for the pre-flight tests that must refuse it.
#
#   tests/kexec/get-stock-kernel.sh [amd64|arm64] [CACHE_DIR]
#
# In order: $PKH_STOCK_KERNEL (amd64) or $PKH_STOCK_KERNEL_ARM64, the
# newest /boot/vmlinuz-* (when it matches the machine's architecture), an
# earlier download in CACHE_DIR, or a download of the linux-image-cloud-<arch>
# package with apt-get download, unpacked with dpkg-deb (nothing is
# installed).  Exit 1, printing nothing, when none can be had.
set -euo pipefail

arch=${1:-amd64}
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${2:-$top/build/kexec-test-kernels}

case $arch in
amd64) [ -n "${PKH_STOCK_KERNEL:-}" ] && { echo "$PKH_STOCK_KERNEL"; exit 0; } ;;
arm64) [ -n "${PKH_STOCK_KERNEL_ARM64:-}" ] && { echo "$PKH_STOCK_KERNEL_ARM64"; exit 0; } ;;
*) echo "get-stock-kernel: unknown architecture $arch" >&2; exit 2 ;;
esac

if [ "$(dpkg --print-architecture 2>/dev/null)" = "$arch" ]; then
	newest=$(ls -1v /boot/vmlinuz-* 2>/dev/null | tail -n 1 || true)
	if [ -n "$newest" ] && [ -r "$newest" ]; then
		echo "$newest"
		exit 0
	fi
fi

dir=$cache/$arch
cached=$(ls -1v "$dir"/boot/vmlinuz-* 2>/dev/null | tail -n 1 || true)
if [ -n "$cached" ]; then
	echo "$cached"
	exit 0
fi

# The metapackage names the current image package.
meta=linux-image-cloud-$arch
[ "$arch" = "$(dpkg --print-architecture)" ] || meta=$meta:$arch
image_pkg=$(apt-cache depends "$meta" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n 1)
if [ -z "$image_pkg" ]; then
	echo "get-stock-kernel: apt knows no $meta (run apt-get update; for arm64 add the architecture)" >&2
	exit 1
fi
mkdir -p "$dir"
(
	cd "$dir"
	apt-get download -q "$image_pkg" >/dev/null 2>&1 || exit 1
	deb=$(ls -1 ./*.deb | head -n 1)
	dpkg-deb --fsys-tarfile "$deb" | tar -x --wildcards './boot/vmlinuz-*'
	rm -f "$deb"
) || {
	echo "get-stock-kernel: could not download $image_pkg" >&2
	exit 1
}
ls -1v "$dir"/boot/vmlinuz-* | tail -n 1
