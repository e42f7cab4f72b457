#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build kexec-tools with pkhandover's --live-update.
#
#   kexec-ext/build-kexec.sh SRC_DIR OUT_DIR [options]
#
# SRC_DIR   the pristine kexec-tools 2.0.25 source (kexec-ext/fetch-kexec-tools.sh)
# OUT_DIR   where to build; the result is OUT_DIR/sbin/kexec and
#           OUT_DIR/man/man8/kexec.8
#
# Options:
#   --host=TRIPLET       cross-build, e.g. --host=aarch64-linux-gnu
#   --libpkhandover=LIB  link this libpkhandover (a libtool .la or a static
#                        .a built for the same host); by default its sources
#                        in handover/src are compiled into OUT_DIR
#   --patches=N          apply only the first N patches of the series (to
#                        check that every patch builds on its own); 0 builds
#                        kexec-tools unpatched, linked with nothing of ours
#   --jobs=N             parallel make jobs (default: nproc)
#   --cli                also build OUT_DIR/bin/pkhandover, the pkhandover
#                        CLI, with the same compiler and libpkhandover (a
#                        cross build's; the native one is tools/pkhandover);
#                        an arm64 kernel's initramfs needs it beside kexec
#
# The source is copied to OUT_DIR/src and patched there (kexec-tools
# 2.0.25 with Debian's patches cannot build out of tree).  A second run
# with the same source, series and options only re-runs make; anything
# else starts from a fresh copy.
#
# One libfdt: kexec-tools bundles an old libfdt for arm64 that lacks
# fdt_check_full(), which libpkhandover needs, so kexec-tools is built with
# the system libfdt (HAVE_LIBFDT=1, made to work by patch 0001) and that
# one library serves both.  For arm64 the system libfdt is Debian's
# libfdt1:arm64 (libfdt-dev:arm64 cannot be installed next to the amd64
# libfdt-dev, so the link goes through a private libfdt.so symlink).
set -euo pipefail

usage() {
	sed -n '4,23p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
}

top=$(cd "$(dirname "$0")/.." && pwd)
ext=$top/kexec-ext

host=
libpkhandover=
npatches=
cli=no
jobs=$(nproc 2>/dev/null || echo 2)
positional=()
for arg in "$@"; do
	case $arg in
	--host=*) host=${arg#--host=} ;;
	--libpkhandover=*) libpkhandover=${arg#--libpkhandover=} ;;
	--patches=*) npatches=${arg#--patches=} ;;
	--jobs=*) jobs=${arg#--jobs=} ;;
	--cli) cli=yes ;;
	-h | --help) usage ;;
	-*) echo "build-kexec: unknown option $arg" >&2; usage ;;
	*) positional+=("$arg") ;;
	esac
done
[ ${#positional[@]} -eq 2 ] || usage
src=$(cd "${positional[0]}" && pwd)
mkdir -p "${positional[1]}"
out=$(cd "${positional[1]}" && pwd)

if [ ! -f "$src/kexec/kexec.c" ] || [ ! -x "$src/configure" ]; then
	echo "build-kexec: $src is not a kexec-tools source tree (run kexec-ext/fetch-kexec-tools.sh)" >&2
	exit 1
fi
if ! grep -qs 'PACKAGE_VERSION=.2\.0\.25.' "$src/configure"; then
	echo "build-kexec: $src is not kexec-tools 2.0.25, the release the series is made against" >&2
	exit 1
fi

mapfile -t all_patches < <(ls "$ext"/patches/[0-9][0-9][0-9][0-9]-*.patch)
if [ -z "$npatches" ]; then
	npatches=${#all_patches[@]}
elif [ "$npatches" -gt ${#all_patches[@]} ]; then
	echo "build-kexec: --patches=$npatches but the series has ${#all_patches[@]}" >&2
	exit 1
fi
patches=("${all_patches[@]:0:$npatches}")
if [ $cli = yes ] && [ "$npatches" -eq 0 ]; then
	echo "build-kexec: --cli needs libpkhandover, which --patches=0 does not build" >&2
	exit 1
fi

if [ -n "$host" ]; then
	CC=${CC:-$host-gcc}
	CXX=${CXX:-$host-g++}
	AR=${AR:-$host-ar}
	multiarch_dir=/usr/lib/$host
else
	CC=${CC:-gcc}
	CXX=${CXX:-g++}
	AR=${AR:-ar}
	multiarch_dir=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
fi
for tool in "$CC" "$CXX" "$AR"; do
	if ! command -v "$tool" >/dev/null; then
		echo "build-kexec: $tool not found (for --host=$host install the Debian packages" \
			"gcc-$host g++-$host)" >&2
		exit 1
	fi
done
CXXFLAGS_PKH="-std=c++20 -O2 -g -Wall -Wextra -Wshadow -fno-plt"

# The key of this configuration: a change of any input restarts from a
# fresh copy of the source.
series_hash=$(cat "${patches[@]}" /dev/null | sha256sum | cut -c1-16)
key="src=$src out=$out host=$host patches=$npatches series=$series_hash lib=$libpkhandover"

log() { echo "build-kexec: $*"; }

# ---------------------------------------------------------------- our code
# Compiles $2... into objects in the directory $1 when any input of one is
# newer than it; sets objs to the objects and rebuilt to 1 when one was
# compiled.  extra_includes (-I...) come first.
extra_includes=()
compile_objects() {
	local objdir=$1 src_file obj
	shift
	mkdir -p "$objdir"
	objs=()
	rebuilt=0
	for src_file in "$@"; do
		obj=$objdir/$(basename "${src_file%.cpp}").o
		objs+=("$obj")
		if [ -f "$obj" ] && [ -f "$obj.d" ] && ! find_newer "$obj" "$obj.d"; then
			continue
		fi
		log "CXX $(basename "$src_file")"
		# shellcheck disable=SC2086
		"$CXX" $CXXFLAGS_PKH "${cxx_defines[@]}" "${extra_includes[@]}" -I"$ext" \
			-I"$top/handover/include" -I"$top/handover/src" -MMD -MF "$obj.d" -c "$src_file" -o "$obj"
		rebuilt=1
	done
}

# Compiles $2... into the static archive $1 when any input is newer.
build_archive() {
	local archive=$1
	shift
	compile_objects "$(dirname "$archive")/obj" "$@"
	if [ $rebuilt = 1 ] || [ ! -f "$archive" ]; then
		rm -f "$archive"
		"$AR" rcs "$archive" "${objs[@]}"
	fi
}

# True when a prerequisite listed in the dependency file $2 is newer than $1.
find_newer() {
	local obj=$1 deps=$2 dep
	for dep in $(sed -e 's/^[^:]*://' -e 's/\\$//' "$deps"); do
		[ "$dep" -nt "$obj" ] && return 0
		[ -e "$dep" ] || return 0
	done
	return 1
}

link_libs=()
# What links libpkhandover: the hook into kexec, and the CLI (--cli).
pkh_libs=()
cxx_defines=(-DPKH_KEXEC_CREATOR="\"kexec-tools 2.0.25 pkhandover\"")
if [ "$npatches" -gt 0 ]; then
	build_archive "$out/hook/libpkh-kexec-hook.a" "$ext/hook.cpp" "$ext/preflight.cpp"
	link_libs+=("$out/hook/libpkh-kexec-hook.a")

	case $libpkhandover in
	"")
		# fmt header-only: the binary needs no libfmt of the target arch.
		cxx_defines+=(-DFMT_HEADER_ONLY)
		build_archive "$out/libpkhandover/libpkhandover.a" "$top"/handover/src/*.cpp
		pkh_libs=("$out/libpkhandover/libpkhandover.a" -lfdt -lz)
		;;
	*.la)
		la_dir=$(cd "$(dirname "$libpkhandover")" && pwd)
		old_library=$(sed -n "s/^old_library='\(.*\)'$/\1/p" "$libpkhandover")
		dependency_libs=$(sed -n "s/^dependency_libs='\(.*\)'$/\1/p" "$libpkhandover")
		if [ -z "$old_library" ] || [ ! -f "$la_dir/.libs/$old_library" ]; then
			echo "build-kexec: $libpkhandover has no static archive (configure libpkhandover" \
				"without --disable-static)" >&2
			exit 1
		fi
		# shellcheck disable=SC2206
		pkh_libs=("$la_dir/.libs/$old_library" $dependency_libs)
		;;
	*.a)
		pkh_libs=("$(cd "$(dirname "$libpkhandover")" && pwd)/$(basename "$libpkhandover")"
			-lfdt -lz -lfmt)
		;;
	*)
		echo "build-kexec: --libpkhandover wants a .la or .a, not $libpkhandover" >&2
		exit 1
		;;
	esac
	link_libs+=("${pkh_libs[@]}" -lelf -lz -lstdc++ -lm)
fi

# A cross build finds libfdt1:<arch>'s runtime library through a private
# libfdt.so link when the -dev package of that arch is not installed.
ldflags=()
if [ -n "$host" ] && [ ! -e "$multiarch_dir/libfdt.so" ]; then
	if [ ! -e "$multiarch_dir/libfdt.so.1" ]; then
		echo "build-kexec: no libfdt for $host: install the Debian package libfdt1:${host%%-*}" \
			"(dpkg --add-architecture first)" >&2
		exit 1
	fi
	mkdir -p "$out/host-libs"
	ln -sf "$multiarch_dir/libfdt.so.1" "$out/host-libs/libfdt.so"
	ldflags+=("-L$out/host-libs")
fi

# ------------------------------------------------------- the pkhandover CLI
# tools/pkhandover.cpp needs config.h only for PACKAGE_STRING (--version):
# it comes from configure.ac's AC_INIT, so a build without configure says
# the same version.  Rewritten only when it changes, so it does not force a
# recompile.
build_cli() {
	local dir=$out/cli name version
	mkdir -p "$dir" "$out/bin"
	name=$(sed -n 's/^AC_INIT(\[\([^]]*\)\], *\[\([^]]*\)\].*/\1/p' "$top/configure.ac")
	version=$(sed -n 's/^AC_INIT(\[\([^]]*\)\], *\[\([^]]*\)\].*/\2/p' "$top/configure.ac")
	if [ -z "$name" ] || [ -z "$version" ]; then
		echo "build-kexec: no AC_INIT([name], [version]) in $top/configure.ac" >&2
		exit 1
	fi
	printf '/* Written by kexec-ext/build-kexec.sh --cli from configure.ac. */\n#define PACKAGE_STRING "%s %s"\n' \
		"$name" "$version" >"$dir/config.h.new"
	if cmp -s "$dir/config.h.new" "$dir/config.h"; then
		rm -f "$dir/config.h.new"
	else
		mv "$dir/config.h.new" "$dir/config.h"
	fi
	extra_includes=(-I"$dir")
	compile_objects "$dir/obj" "$top/tools/pkhandover.cpp" "$top/tools/live_extents.cpp"
	extra_includes=()
	local binary=$out/bin/pkhandover relink=$rebuilt input
	[ -f "$binary" ] || relink=1
	for input in "${objs[@]}" "${pkh_libs[@]}"; do
		if [ -f "$input" ] && [ "$input" -nt "$binary" ]; then
			relink=1
		fi
	done
	if [ $relink = 1 ]; then
		log "LINK bin/pkhandover"
		"$CXX" -o "$binary.tmp" "${objs[@]}" "${ldflags[@]}" "${pkh_libs[@]}"
		mv "$binary.tmp" "$binary"
	fi
	log "built $binary (${host:-native})"
}
if [ $cli = yes ]; then
	build_cli
fi

# ------------------------------------------------------- kexec-tools itself
build=$out/src
if [ ! -f "$out/.key" ] || [ "$(cat "$out/.key")" != "$key" ] || [ ! -f "$build/Makefile" ]; then
	log "copying $src"
	rm -rf "$build" "$out/.key"
	mkdir -p "$build"
	(cd "$src" && tar --exclude=./.git --exclude=./.pc --exclude=./.pkh-fetched -cf - .) |
		(cd "$build" && tar -xf -)
	for p in "${patches[@]}"; do
		log "applying $(basename "$p")"
		patch -d "$build" -p1 -N -s --no-backup-if-mismatch <"$p"
	done
	configure_args=()
	[ -n "$host" ] && configure_args+=(--host="$host")
	cppflags=
	[ "$npatches" -gt 0 ] && cppflags="-I$ext -I$top/handover/include"
	log "configure ${configure_args[*]}"
	(cd "$build" && ./configure "${configure_args[@]}" CC="$CC" \
		CPPFLAGS="$cppflags" LDFLAGS="${ldflags[*]}" LIBS="${link_libs[*]}") \
		>"$out/configure.log" 2>&1 || {
		tail -n 30 "$out/configure.log" >&2
		echo "build-kexec: configure failed; see $out/configure.log" >&2
		exit 1
	}
	echo "$key" >"$out/.key"
fi
# The archives are inputs of the link that kexec-tools' Makefile does not
# know about: drop the binary when one is newer.
for lib in "${link_libs[@]}"; do
	if [ -f "$lib" ] && [ "$lib" -nt "$build/build/sbin/kexec" ]; then
		rm -f "$build/build/sbin/kexec"
	fi
done

make_args=()
# Patch 0001 makes kexec-tools build with the system libfdt.
[ "$npatches" -gt 0 ] && make_args+=(HAVE_LIBFDT=1)
log "make -j$jobs ${make_args[*]}"
make -C "$build" -j"$jobs" "${make_args[@]}" >"$out/make.log" 2>&1 || {
	grep -E 'error|Error|undefined' "$out/make.log" | tail -n 30 >&2
	echo "build-kexec: make failed; see $out/make.log" >&2
	exit 1
}

mkdir -p "$out/sbin" "$out/man/man8"
cp "$build/build/sbin/kexec" "$out/sbin/kexec.tmp" && mv "$out/sbin/kexec.tmp" "$out/sbin/kexec"
cp "$build/kexec/kexec.8" "$out/man/man8/kexec.8"
log "built $out/sbin/kexec (${host:-native}, ${npatches} of ${#all_patches[@]} patches)"
