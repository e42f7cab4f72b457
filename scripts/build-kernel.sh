#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build the VM test kernel: the pinned linux-source-6.12, the project's new
# files (kernel/linux/, copied over the tree with symlinks dereferenced), the
# series of changes to upstream files (kernel/series/*.patch, in name order)
# and tinyconfig plus kernel/config/pkhandover-vm.config.  kernel/README.md
# has the edit-build-test loop.
#
#   scripts/build-kernel.sh [--arch x86_64|arm64] [BUILD_DIR [FRAGMENT...]]
#
# BUILD_DIR defaults to <top>/build/linux.  Each further FRAGMENT is merged
# after kernel/config/pkhandover-vm.config: kernel/config/pkhandover-debug.config
# makes the debug kernel (KASAN, lockdep, ...) in its own BUILD_DIR.
#
# --arch arm64 cross-builds (aarch64-linux-gnu-gcc) the same sources for
# QEMU virt: tinyconfig plus kernel/config/pkhandover-vm-arm64.config, in
# BUILD_DIR <top>/build/linux-arm64 by default, giving BUILD_DIR/Image (the
# uncompressed arm64 Image, which kexec and QEMU's -kernel take).
#
# Layout of BUILD_DIR:
#   src/            the unpacked tree with kernel/linux/ over it and the series
#                   applied.  Files from kernel/linux/ are overwritten on each
#                   run: edit them in kernel/linux/.  An upstream file may be
#                   edited here to try a change; regenerate its series patch
#                   (kernel/README.md) to keep it.
#   obj/            the object tree (make O=obj), obj/.config
#   usr-headers/    `make headers_install` output (usr-headers/include/...)
#   bzImage         a copy of obj/arch/x86/boot/bzImage (arm64: Image, a copy
#                   of obj/arch/arm64/boot/Image)
#   applied/        copies of the patches now applied to src/, and their order
#   overlay.list    the files of kernel/linux/ now in src/
#   signing/        the test key pair the kernel trusts for kexec_file_load
#                   (pkh-kexec-test.key, .crt), made on the first run (x86)
#
# Progress goes to stderr; the last line on stdout is the image's path, so
#   bz=$(scripts/build-kernel.sh)
# works.  A re-run with nothing changed does not unpack, patch, reconfigure
# or recompile; a changed file in kernel/linux/ is copied (only that one, so
# make rebuilds only what depends on it), and one removed from kernel/linux/
# is removed from src/.  The compiler is "ccache gcc" when ccache is installed
# (CCACHE_DIR as usual).  Needs scripts/setup-vm.sh to have run.
#
# Environment:
#   PKH_KERNEL_STRICT_VERSION=1   fail (instead of warning) when the installed
#                                 source is not the one kernel/linux-version.txt pins
#   JOBS=N                        make -j N (default: nproc)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
ARGS=("$@")
KARCH=x86_64
case "${1:-}" in
--arch) KARCH=${2:-}; shift 2 || true ;;
--arch=*) KARCH=${1#--arch=}; shift ;;
esac
case "$KARCH" in
x86_64)
	default_dir=$top/build/linux
	FRAGMENT=$top/kernel/config/pkhandover-vm.config
	CROSS=
	image_target=bzImage
	image_path=arch/x86/boot/bzImage
	;;
arm64)
	default_dir=$top/build/linux-arm64
	FRAGMENT=$top/kernel/config/pkhandover-vm-arm64.config
	CROSS=aarch64-linux-gnu-
	image_target=Image
	image_path=arch/arm64/boot/Image
	;;
*)
	echo "build-kernel.sh: ERROR: --arch '$KARCH': x86_64 or arm64" >&2
	exit 2
	;;
esac
B=${1:-$default_dir}
mkdir -p "$B"
B=$(cd "$B" && pwd)
# One build per BUILD_DIR at a time: two makes in one object tree break
# each other (missing .o files, garbled dependency files).
exec 9>"$B/.lock"
if ! flock -n 9; then
	echo "build-kernel.sh: waiting for another build of $B to finish" >&2
	flock 9
fi
SRC=$B/src
OBJ=$B/obj
APPLIED=$B/applied
TARBALL=/usr/src/linux-source-6.12.tar.xz
shift $(( $# > 0 ? 1 : 0 ))
FRAGMENTS=("$FRAGMENT")
for f in "$@"; do
	[ -f "$f" ] || { echo "build-kernel.sh: ERROR: config fragment $f is missing" >&2; exit 1; }
	FRAGMENTS+=("$(cd "$(dirname "$f")" && pwd)/$(basename "$f")")
done
PATCHDIR=$top/kernel/series
OVERLAY=$top/kernel/linux
VERFILE=$top/kernel/linux-version.txt
JOBS=${JOBS:-$(nproc)}

log() { echo "build-kernel.sh: $*" >&2; }
die() { echo "build-kernel.sh: ERROR: $*" >&2; exit 1; }
pinned() { sed -n "s/^$1:[[:space:]]*//p" "$VERFILE"; }

[ -f "$TARBALL" ] || die "$TARBALL is missing: run scripts/setup-vm.sh as root"
[ -f "$FRAGMENT" ] || die "$FRAGMENT is missing"
for t in make gcc flex bison bc patch rsync xz; do
	command -v "$t" >/dev/null || die "'$t' is not installed: run scripts/setup-vm.sh as root"
done
[ -z "$CROSS" ] || command -v "${CROSS}gcc" >/dev/null ||
	die "'${CROSS}gcc' is not installed: run scripts/setup.sh as root (kexec-ext/setup-packages.txt)"


# ---------------------------------------------------------------------------
# 1. Which source is installed, and is it the pinned one?
deb_have=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || echo unknown)
deb_want=$(pinned Debian-Version)
source_id="$deb_have $(stat -c '%s %Y' "$TARBALL")"

# ---------------------------------------------------------------------------
# 2. Unpack, unless src/ already holds this very tarball.
if [ ! -f "$B/source.stamp" ] || [ "$(cat "$B/source.stamp")" != "$source_id" ] ||
	[ ! -f "$SRC/Makefile" ]; then
	if [ -e "$SRC" ] || [ -e "$OBJ" ]; then
		# Unpacked files carry the archive's mtimes, which may be older
		# than the objects: start the object tree afresh (ccache keeps
		# this cheap).
		log "source changed: removing the old src/ and obj/"
	fi
	rm -rf "$SRC" "$SRC.tmp" "$OBJ" "$APPLIED" "$B/source.stamp" "$B/config.stamp" "$B/overlay.list"
	log "unpacking $TARBALL (linux-source-6.12 $deb_have) into $SRC"
	mkdir -p "$SRC.tmp"
	tar -xJf "$TARBALL" -C "$SRC.tmp" --strip-components=1
	mv "$SRC.tmp" "$SRC"
	echo "$source_id" >"$B/source.stamp"
fi

upstream_have=$(awk -F' = ' '$1=="VERSION"{v=$2} $1=="PATCHLEVEL"{p=$2} $1=="SUBLEVEL"{s=$2} END{print v"."p"."s}' "$SRC/Makefile")
upstream_want=$(pinned Upstream-Version)
if [ "$deb_have" != "$deb_want" ] || [ "$upstream_have" != "$upstream_want" ]; then
	{
		echo "build-kernel.sh: ***************************************************************"
		echo "build-kernel.sh: WARNING: KERNEL SOURCE DIFFERS FROM THE PINNED ONE"
		echo "build-kernel.sh:   pinned (kernel/linux-version.txt): linux-source-6.12 $deb_want = Linux $upstream_want"
		echo "build-kernel.sh:   installed / unpacked:              linux-source-6.12 $deb_have = Linux $upstream_have"
		echo "build-kernel.sh:   The patch series and test results are only vouched for on the pinned one."
		echo "build-kernel.sh: ***************************************************************"
	} >&2
	[ "${PKH_KERNEL_STRICT_VERSION:-0}" = 1 ] && die "PKH_KERNEL_STRICT_VERSION=1: refusing to build"
else
	log "kernel source: linux-source-6.12 $deb_have = Linux $upstream_have (the pinned one)"
fi

# ---------------------------------------------------------------------------
# 3. The series of changes to upstream files.  applied/series lists what
# src/ carries now; keep the common prefix, reverse the rest (newest first),
# apply the new tail.  This comes before the new files: a series from before
# kernel/linux/ existed carried them, and reversing it takes them away.
mkdir -p "$APPLIED"
touch "$APPLIED/series"
mapfile -t want < <(find "$PATCHDIR" -maxdepth 1 -name '*.patch' -printf '%f\n' 2>/dev/null | LC_ALL=C sort)
mapfile -t have < "$APPLIED/series"

keep=0
while [ "$keep" -lt "${#want[@]}" ] && [ "$keep" -lt "${#have[@]}" ] &&
	[ "${want[$keep]}" = "${have[$keep]}" ] &&
	cmp -s "$PATCHDIR/${want[$keep]}" "$APPLIED/${have[$keep]}"; do
	keep=$((keep + 1))
done

# --fuzz=0: a hunk whose context does not match exactly is an error, not a
# guess (GNU patch's default fuzz 2 happily applies a wrong patch).
patch_opts=(-p1 --batch --forward --fuzz=0 --no-backup-if-mismatch --reject-file=- -d "$SRC")

write_series() { # the first $1 entries of want[] are applied
	local i
	: >"$APPLIED/series.new"
	for ((i = 0; i < $1; i++)); do echo "${want[$i]}" >>"$APPLIED/series.new"; done
	mv "$APPLIED/series.new" "$APPLIED/series"
}

if [ "$keep" -lt "${#have[@]}" ]; then
	for ((i = ${#have[@]} - 1; i >= keep; i--)); do
		p=${have[$i]}
		log "reverting $p"
		if ! patch -R -s "${patch_opts[@]}" <"$APPLIED/$p" >&2; then
			# The tree was changed by hand: start again from the tarball.
			[ -z "${PKH_BUILD_KERNEL_AFRESH:-}" ] ||
				die "could not revert $p even from a fresh tree"
			log "could not revert $p from $SRC (edited by hand?): unpacking afresh"
			rm -rf "$SRC" "$OBJ" "$APPLIED" "$B/source.stamp" "$B/config.stamp" "$B/overlay.list"
			PKH_BUILD_KERNEL_AFRESH=1 exec "$0" "${ARGS[@]}"
		fi
		rm -f "$APPLIED/$p"
		printf '%s\n' "${have[@]:0:$i}" | sed '/^$/d' >"$APPLIED/series"
	done
	rm -f "$B/config.stamp"
fi

if [ "$keep" -lt "${#want[@]}" ]; then
	for ((i = keep; i < ${#want[@]}; i++)); do
		p=${want[$i]}
		log "applying $p"
		if ! out=$(patch --dry-run "${patch_opts[@]}" <"$PATCHDIR/$p" 2>&1); then
			echo "$out" >&2
			# Leave src/ clean: take back what this run applied.
			for ((j = i - 1; j >= keep; j--)); do
				patch -R -s "${patch_opts[@]}" <"$APPLIED/${want[$j]}" >&2
				rm -f "$APPLIED/${want[$j]}"
			done
			write_series "$keep"
			die "PATCH DOES NOT APPLY: kernel/series/$p (against linux-source-6.12 $deb_have)"
		fi
		patch -s "${patch_opts[@]}" <"$PATCHDIR/$p" >&2
		cp "$PATCHDIR/$p" "$APPLIED/$p"
		write_series $((i + 1))
	done
	rm -f "$B/config.stamp"
fi
log "patches applied: ${#want[@]}"

# ---------------------------------------------------------------------------
# 4. The new files: kernel/linux/ over src/, symlinks dereferenced (the ABI
# headers are the library's).  rsync --checksum copies only what differs,
# so an unchanged file keeps its mtime and make leaves its objects alone.
# Dot files at the top of kernel/linux/ (.clang-format) are for this
# repository's tools, not the kernel tree.
mapfile -t overlay < <(cd "$OVERLAY" && find . -mindepth 1 \( -type f -o -type l \) \
	! -path './.*' -printf '%P\n' | LC_ALL=C sort)
touch "$B/overlay.list"
while IFS= read -r f; do
	[ -n "$f" ] || continue
	if ! printf '%s\n' "${overlay[@]}" | grep -qxF -- "$f"; then
		log "removing $f (no longer in kernel/linux)"
		rm -f "$SRC/$f"
		rmdir -p --ignore-fail-on-non-empty "$(dirname "$SRC/$f")" 2>/dev/null || true
	fi
done <"$B/overlay.list"
for f in "${overlay[@]}"; do
	# A new file must not replace an upstream one: change those through
	# kernel/series.
	if [ -e "$SRC/$f" ] && ! grep -qxF -- "$f" "$B/overlay.list"; then
		die "kernel/linux/$f would overwrite the upstream file $f: change upstream files through kernel/series (kernel/README.md)"
	fi
done
printf '%s\n' "${overlay[@]}" >"$B/overlay.list.new"
rsync -rL --checksum --exclude='/.*' --out-format='build-kernel.sh: overlay: %n' \
	"$OVERLAY/" "$SRC/" >&2 || die "copying kernel/linux into $SRC failed"
mv "$B/overlay.list.new" "$B/overlay.list"
log "new files from kernel/linux: ${#overlay[@]}"

# ---------------------------------------------------------------------------
# 4b. The test signing key.  The fragment names signing/pkh-kexec-test.crt
# as a trusted X.509 certificate of the kernel (CONFIG_SYSTEM_TRUSTED_KEYS),
# so that under lockdown kexec_file_load takes a bzImage signed with
# signing/pkh-kexec-test.key (sbsign, tests/vm/build-initramfs.sh) and
# refuses any other.  Made once per BUILD_DIR; a test key, never a real
# host's.
SIGNING=$B/signing
if [ "$KARCH" = x86_64 ] && { [ ! -s "$SIGNING/pkh-kexec-test.crt" ] || [ ! -s "$SIGNING/pkh-kexec-test.key" ]; }; then
	log "making the test kexec signing key in $SIGNING"
	"$top/scripts/make-test-signing-key.sh" "$SIGNING/pkh-kexec-test.key" \
		"$SIGNING/pkh-kexec-test.crt" "pkhandover VM test kexec signing key" ||
		die "cannot make the test signing key"
fi

# ---------------------------------------------------------------------------
# 5. Configure: tinyconfig + fragment, then check every fragment line stuck.
if command -v ccache >/dev/null; then
	CC="ccache ${CROSS}gcc"
	# Hash paths relative to BUILD_DIR, so that another clone (CI builds
	# in a fresh one) hits the same cache entries.
	export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$B}
else
	CC=${CROSS}gcc
	log "ccache not found: building without it"
fi
export KBUILD_BUILD_USER=pkhandover KBUILD_BUILD_HOST=pkh-vm
kmake() { make -C "$SRC" O="$OBJ" ARCH="$KARCH" CROSS_COMPILE="$CROSS" CC="$CC" "$@"; }

# The new Kconfig files count too: fs/pkernfs/Kconfig defines a symbol.
config_id=$( { echo "$source_id"; echo "$CC"; cat "$APPLIED/series"; cat "${FRAGMENTS[@]}";
	cat "$APPLIED"/*.patch 2>/dev/null || true
	printf '%s\n' "${overlay[@]}" | grep -E '(^|/)Kconfig[^/]*$' | while IFS= read -r f; do
		echo "$f"; cat "$SRC/$f"; done; } | sha256sum | cut -d' ' -f1)

verify_config() {
	local bad=0 line sym val got
	while IFS= read -r line; do
		if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
			sym=${BASH_REMATCH[1]} val=${BASH_REMATCH[2]}
		elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
			sym=${BASH_REMATCH[1]} val=n
		else
			continue
		fi
		got=$(sed -n "s/^$sym=//p" "$OBJ/.config")
		[ -n "$got" ] || got=n
		if [ "$got" != "$val" ]; then
			echo "  $sym: wanted $val, got $got" >&2
			bad=$((bad + 1))
		fi
	done < <(cat "${FRAGMENTS[@]}")
	return "$bad"
}

if [ ! -f "$B/config.stamp" ] || [ "$(cat "$B/config.stamp")" != "$config_id" ] ||
	[ ! -f "$OBJ/.config" ]; then
	rm -f "$B/config.stamp"
	mkdir -p "$OBJ"
	log "configuring: tinyconfig + ${FRAGMENTS[*]##*/}"
	kmake -s tinyconfig >&2
	(cd "$SRC" && ARCH=$KARCH CROSS_COMPILE=$CROSS CC="$CC" scripts/kconfig/merge_config.sh -m -O "$OBJ" \
		"$OBJ/.config" "${FRAGMENTS[@]}") >"$B/merge_config.log" 2>&1 ||
		{ cat "$B/merge_config.log" >&2; die "merge_config.sh failed"; }
	kmake -s olddefconfig >&2
	if ! verify_config; then
		die "the options above from ${FRAGMENTS[*]##*/} did not survive" \
			"olddefconfig (a missing prerequisite, or a symbol that does not exist)"
	fi
	echo "$config_id" >"$B/config.stamp"
else
	log "configuration unchanged"
fi

# ---------------------------------------------------------------------------
# 6. Build.
log "building $image_target with make -j$JOBS (CC=\"$CC\")"
start=$SECONDS
# ccache also caches the compiler's dependency file; a garbled one (seen
# once on this machine, after two builds shared an object tree) makes fixdep
# fail on a header that does not exist, every time it is read back.  Such a
# failure is retried once without reading the cache (CCACHE_RECACHE), which
# also replaces the bad entry.
if ! kmake -j"$JOBS" "$image_target" 2>&1 | tee "$B/make.log" >&2; then
	grep -q '^fixdep: error opening file' "$B/make.log" || die "the kernel build failed (see above)"
	log "fixdep read a bad dependency file (a ccache entry?): building again with CCACHE_RECACHE=1"
	CCACHE_RECACHE=1 kmake -j"$JOBS" "$image_target" >&2 || die "the kernel build failed (see above)"
fi
kmake -s headers_install INSTALL_HDR_PATH="$B/usr-headers" >&2 || die "make headers_install failed"
img=$OBJ/$image_path
[ -f "$img" ] || die "no $image_target at $img"
cmp -s "$img" "$B/$image_target" || cp "$img" "$B/$image_target"
log "done in $((SECONDS - start)) s: $(cat "$OBJ/include/config/kernel.release" 2>/dev/null)"
echo "$B/$image_target"
