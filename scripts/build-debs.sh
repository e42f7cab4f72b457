#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build the Debian packages (debian/) the way a distribution would: from the
# release tree (what `make dist` of ./build puts in the tarball, made with
# `make distdir` straight into build/deb/pkhandover-VERSION, so that a
# `make distcheck` running in build/ is left alone), with
#   dpkg-buildpackage -us -uc -b
# so that the clone stays clean and the tarball is shown to be complete.
# Writes build/deb/*.deb and build/deb/pkhandover_VERSION_ARCH.changes, the
# log in build/deb/dpkg-buildpackage.log.  Run by scripts/setup.sh after the
# main build (it needs ./build configured, and build/kexec-tools-src, which
# it passes as PKH_KEXEC_TOOLS_SRC so the package build fetches nothing).
#
# DEB_BUILD_OPTIONS defaults to "nocheck parallel=$(nproc)": scripts/test.sh
# runs make check from ./build, and tests/packaging/test-debian-packages.sh
# tests the packages.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
out=$build/deb
[ -f "$build/Makefile" ] || { echo "build-debs: $build is not configured; run ./scripts/setup.sh" >&2; exit 2; }
for tool in dpkg-buildpackage dh; do
	command -v $tool >/dev/null || { echo "build-debs: $tool not found: install the Debian packages dpkg-dev and debhelper" >&2; exit 2; }
done

version=$(sed -n 's/^PACKAGE_VERSION = //p' "$build/Makefile")
rm -rf "$out"
mkdir -p "$out"
echo "build-debs: make distdir"
make -s -C "$build" distdir distdir="$out/pkhandover-$version" top_distdir="$out/pkhandover-$version" >"$out/make-distdir.log" 2>&1 ||
	{ tail -20 "$out/make-distdir.log" >&2; exit 1; }

export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-nocheck parallel=$(nproc)}
if [ -z "${PKH_KEXEC_TOOLS_SRC:-}" ] && [ -f "$build/kexec-tools-src/kexec/kexec.c" ]; then
	export PKH_KEXEC_TOOLS_SRC=$build/kexec-tools-src
fi
echo "build-debs: dpkg-buildpackage -us -uc -b in build/deb/pkhandover-$version (DEB_BUILD_OPTIONS=$DEB_BUILD_OPTIONS)"
if ! (cd "$out/pkhandover-$version" && dpkg-buildpackage -us -uc -b) >"$out/dpkg-buildpackage.log" 2>&1; then
	tail -40 "$out/dpkg-buildpackage.log" >&2
	echo "build-debs: dpkg-buildpackage failed (build/deb/dpkg-buildpackage.log)" >&2
	exit 1
fi
ls "$out"/*.deb | sed 's|^|build-debs: built |'
