#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# `make install DESTDIR=scratch` of this build tree installs the library,
# its headers and libpkhandover.pc, the tool, the man pages and the bash
# completion; then test-consumer.sh builds and runs an out-of-tree program
# against that tree with pkg-config alone.  Run by make check.
set -euo pipefail

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
MAKE=${MAKE:-make}
die() { echo "FAIL: $*"; exit 1; }

dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL $MAKE -s -C "$top_builddir" install DESTDIR="$dest" >"$dest.log" 2>&1 ||
	{ cat "$dest.log"; rm -f "$dest.log"; die "make install DESTDIR=$dest failed"; }
rm -f "$dest.log"

# Where configure put things, from the build tree's Makefile.
var() { sed -n "s|^$1 = ||p" "$top_builddir/Makefile" | head -1; }
prefix=$(var prefix)
expand() { # a Makefile value with ${prefix}, ${exec_prefix}, ${datarootdir}, ${datadir}
	local v=$1
	for _ in 1 2 3 4; do
		v=${v//'${prefix}'/$prefix}
		v=${v//'${exec_prefix}'/$(var exec_prefix)}
		v=${v//'${datarootdir}'/$(var datarootdir)}
		v=${v//'${datadir}'/$(var datadir)}
	done
	printf '%s' "$v"
}
bindir=$(expand "$(var bindir)")
libdir=$(expand "$(var libdir)")
includedir=$(expand "$(var includedir)")
mandir=$(expand "$(var mandir)")
bashcompletiondir=$(expand "$(var BASH_COMPLETION_DIR)")

for f in "$bindir/pkhandover" "$libdir/libpkhandover.so.0" "$libdir/libpkhandover.so" \
	"$libdir/pkgconfig/libpkhandover.pc" "$includedir/pkhandover/handover.hpp" \
	"$includedir/pkhandover/abi.h" "$includedir/pkhandover/errors.h" \
	"$mandir/man8/pkhandover.8" "$mandir/man7/pkernfs.7"; do
	[ -e "$dest$f" ] || die "make install did not install $f"
	echo "ok: installed $f"
done
if [ -n "$bashcompletiondir" ]; then
	[ -f "$dest$bashcompletiondir/pkhandover" ] || die "make install did not install $bashcompletiondir/pkhandover"
	echo "ok: installed $bashcompletiondir/pkhandover"
fi
# The soname follows configure.ac's -version-info.
soname=$(objdump -p "$dest$libdir/libpkhandover.so.0" | awk '$1 == "SONAME" { print $2 }')
[ "$soname" = libpkhandover.so.0 ] || die "soname $soname, want libpkhandover.so.0"
echo "ok: soname $soname"

PKH_WANT_VERSION=$(var PACKAGE_VERSION) "$top_srcdir/tests/pkgconfig/test-consumer.sh" "$dest"
