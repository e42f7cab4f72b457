#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build the two-level initramfs of the VM tests.
#
#   tests/vm/build-initramfs.sh [--kernel BZIMAGE] [--kexec KEXEC]
#                               [--extra DIR] [--out DIR]
#
#   --kernel BZIMAGE  the kernel stage 1 kexecs into ($PKH_NEXT_KERNEL;
#                     default build/linux/bzImage)
#   --kexec KEXEC     the kexec binary to pack ($PKH_KEXEC; default Debian's
#                     /sbin/kexec).  A dynamic one gets its shared libraries
#                     (found with ldd) copied in beside it.
#   --extra DIR       a tree copied over the root, e.g. static test programs
#                     ($PKH_VM_EXTRA; may be given more than once)
#   --out DIR         where to write (default build/vm)
#
# Writes (uncompressed newc cpio, owner root):
#   DIR/inner.cpio      busybox-static, kexec (+ libraries), /init, /lib/pkh.sh,
#                       /scenarios/*.sh: the initramfs of the second kernel
#   DIR/initramfs.cpio  inner.cpio followed by a second archive holding
#                       /boot/bzImage and /boot/inner.cpio: the initramfs QEMU
#                       boots (an initramfs cannot contain itself, hence two
#                       levels; the kernel unpacks concatenated archives)
# and prints the path of DIR/initramfs.cpio.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

kernel=${PKH_NEXT_KERNEL:-$top/build/linux/bzImage}
kexec=${PKH_KEXEC:-/sbin/kexec}
out=$top/build/vm
extras=()
[ -n "${PKH_VM_EXTRA:-}" ] && extras+=("$PKH_VM_EXTRA")

die() { echo "build-initramfs.sh: ERROR: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift 2 ;;
	--kexec) kexec=$2; shift 2 ;;
	--extra) extras+=("$2"); shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h | --help) sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
done

busybox=/bin/busybox
[ -f "$kernel" ] || die "no kernel at $kernel (run scripts/build-kernel.sh)"
[ -x "$kexec" ] || die "no kexec at $kexec (run scripts/setup-vm.sh, or give --kexec)"
[ -x "$busybox" ] || die "no $busybox (install busybox-static: scripts/setup-vm.sh)"
# ldd fails on a static binary.
! ldd "$busybox" >/dev/null 2>&1 || die "$busybox is not static (install busybox-static)"
command -v cpio >/dev/null || die "cpio is not installed"

mkdir -p "$out"
out=$(cd "$out" && pwd)
stage=$(mktemp -d "$out/.root.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root=$stage/root
boot=$stage/boot
mkdir -p "$root" "$boot/boot"

# --- the root of the second kernel --------------------------------------------
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib,proc,sys,dev,tmp,run,scenarios}
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
# One link per applet, where busybox itself would install it.
"$busybox" --list-full | while read -r applet; do
	[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done

# kexec, and the shared libraries and loader of a dynamic one.
rm -f "$root/sbin/kexec"
cp -L "$kexec" "$root/sbin/kexec"
chmod 755 "$root/sbin/kexec"
if ldd "$kexec" >/dev/null 2>&1; then
	ldd "$kexec" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
		while read -r lib; do
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done
fi

install -m 755 "$here/guest/init" "$root/init"
install -m 644 "$here/guest/pkh.sh" "$root/lib/pkh.sh"
install -m 644 "$here"/scenarios/*.sh "$root/scenarios/"
for x in "${extras[@]}"; do
	[ -d "$x" ] || die "--extra $x is not a directory"
	cp -a "$x/." "$root/"
done

# --- pack -----------------------------------------------------------------
mkcpio() { # DIR > ARCHIVE
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0 --reproducible)
}
mkcpio "$root" >"$out/inner.cpio.new"
mv "$out/inner.cpio.new" "$out/inner.cpio"

cp "$kernel" "$boot/boot/bzImage"
cp "$out/inner.cpio" "$boot/boot/inner.cpio"
{ cat "$out/inner.cpio"; mkcpio "$boot"; } >"$out/initramfs.cpio.new"
mv "$out/initramfs.cpio.new" "$out/initramfs.cpio"

echo "build-initramfs.sh: $out/initramfs.cpio ($(du -k "$out/initramfs.cpio" | cut -f1) KiB;" \
	"inner $(du -k "$out/inner.cpio" | cut -f1) KiB; kexec: $kexec)" >&2
echo "$out/initramfs.cpio"
