#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# test-consumer.sh ROOT: libpkhandover as installed under ROOT (by
# `make install DESTDIR=ROOT`, or by unpacking the Debian packages) serves
# an out-of-tree program: tests/pkgconfig/consumer.cpp is compiled and linked
# with nothing but `pkg-config --cflags --libs libpkhandover`
# (PKG_CONFIG_SYSROOT_DIR=ROOT, PKG_CONFIG_PATH=the .pc's directory), then
# run against ROOT's library and ROOT's `pkhandover example`.
# Prints "ok: ..." lines; exits 1 on the first mismatch.
set -euo pipefail

root=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
CXX=${CXX:-g++}
want_version=${PKH_WANT_VERSION:-}

die() { echo "FAIL: $*"; exit 1; }

mapfile -t pcs < <(find "$root" -name libpkhandover.pc)
[ ${#pcs[@]} -eq 1 ] || die "want one libpkhandover.pc under $root, found ${#pcs[@]}: ${pcs[*]}"
pcdir=$(dirname "${pcs[0]}")
export PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_PATH=$pcdir
libdir=$(dirname "$pcdir")
echo "ok: ${pcs[0]#"$root"}"

version=$($PKG_CONFIG --modversion libpkhandover) || die "pkg-config cannot read libpkhandover.pc"
[ -z "$want_version" ] || [ "$version" = "$want_version" ] || die "version $version, want $want_version"
cflags=$($PKG_CONFIG --cflags libpkhandover)
libs=$($PKG_CONFIG --libs libpkhandover)
echo "ok: libpkhandover $version: cflags: $cflags; libs: $libs"
# The flags point into ROOT, at the installed headers and library.
inc=$(grep -o -- "-I$root[^ ]*" <<<"$cflags" | head -1)
[ -n "$inc" ] && [ -f "${inc#-I}/pkhandover/handover.hpp" ] && [ -f "${inc#-I}/pkhandover/abi.h" ] &&
	[ -f "${inc#-I}/pkhandover/errors.h" ] || die "--cflags names no include directory under $root with the headers: $cflags"
grep -q -- "-L$libdir\( \|$\)" <<<"$libs" || die "--libs does not name $libdir: $libs"
grep -q -- '-lpkhandover\( \|$\)' <<<"$libs" || die "--libs lacks -lpkhandover: $libs"
[ -e "$libdir/libpkhandover.so" ] || die "no $libdir/libpkhandover.so (the -dev link)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Only the pkg-config flags: no -I or -L of the source or build tree.
# shellcheck disable=SC2086
$CXX -o "$work/consumer" "$here/consumer.cpp" $cflags $libs || die "the consumer does not build with pkg-config's flags"
echo "ok: consumer built with \$(pkg-config --cflags --libs libpkhandover)"

export LD_LIBRARY_PATH=$libdir
lib=$(ldd "$work/consumer" | awk '$1 ~ /^libpkhandover\.so/ { print $3 }')
[ "$(realpath "$lib")" = "$(realpath "$libdir"/libpkhandover.so.0)" ] ||
	die "the consumer loads libpkhandover from '$lib', not from $libdir"

mapfile -t tools < <(find "$root" -path '*/bin/pkhandover' -type f)
[ ${#tools[@]} -eq 1 ] || die "want one bin/pkhandover under $root, found ${#tools[@]}"
"${tools[0]}" example >"$work/spec.json" || die "${tools[0]#"$root"} example failed"
out=$("$work/consumer" "$work/spec.json") || die "the consumer failed: $out"
want="ABI 3.0, 1886-byte blob, 2 regions, 3 devices, round trip same, spec same as the example, BAD_CRC"
[ "$out" = "$want" ] || die "the consumer printed '$out', want '$want'"
echo "ok: consumer: $out"
