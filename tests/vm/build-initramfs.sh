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
#   --kexec KEXEC     the kexec binary to pack ($PKH_KEXEC; default the
#                     project's patched build/kexec-out/sbin/kexec, or
#                     Debian's /sbin/kexec when that is not built).  A dynamic
#                     one gets its shared libraries (found with ldd) copied in.
#   --pkhandover BIN  the pkhandover CLI to pack ($PKH_PKHANDOVER; default
#                     build/tools/pkhandover, a libtool wrapper whose real
#                     binary is build/tools/.libs/pkhandover; libpkhandover
#                     comes from build/handover/.libs).  Left out, with a
#                     warning, when not built.
#   --headers DIR     kernel uapi headers for the guest programs
#                     ($PKH_UAPI_HEADERS; default build/linux/usr-headers/include,
#                     written by scripts/build-kernel.sh)
#   --extra DIR       a tree copied over the root, e.g. static test programs
#                     ($PKH_VM_EXTRA; may be given more than once)
#   --out DIR         where to write (default build/vm)
#
# Writes (uncompressed newc cpio, owner root):
#   DIR/inner.cpio      busybox-static, kexec and pkhandover (+ libraries),
#                       /init, /lib/pkh.sh, /scenarios/*.sh, /usr/bin/pkh-vmm,
#                       /usr/share/pkh/pkh-guest.bin (vmm-guest/), and every
#                       tests/vm/guest-src/NAME.c built static as
#                       /usr/bin/NAME against the pinned kernel's uapi
#                       headers (Debian 12's lack iommufd and the VFIO
#                       cdev ioctls): the part of the
#                       initramfs that does not change from kernel to kernel
#   DIR/initramfs.cpio  inner.cpio followed by a second archive holding /boot:
#                         /boot/bzImage              the kernel to kexec into
#                         /boot/inner.cpio           a copy of inner.cpio
#                         /boot/unsupported.bzImage  bzImage with its pkhandover
#                                                    support declaration (if any)
#                                                    defaced: "a kernel without
#                                                    support" for the pre-flight
#                         /boot/declared.bzImage     a stand-in that declares
#                                                    support (made by
#                                                    pkh-kexec-testtool, only when
#                                                    bzImage itself does not
#                                                    declare): dry runs only,
#                                                    never booted
#                         /boot/signed.bzImage       bzImage signed (sbsign) with the
#                                                    test key its build trusts
#                                                    (BUILD_DIR/signing), and
#                         /boot/untrusted.bzImage    signed with a key it does not
#                                                    trust: both only when the
#                                                    kernel's build made that key
#                       This is the initramfs QEMU boots.  An initramfs cannot
#                       contain itself, hence two levels; the kernel unpacks
#                       concatenated archives.  The guest rebuilds the same
#                       two-part archive with busybox cpio (pkh_next_initrd),
#                       so every stage has /boot and can kexec again.
# and prints the path of DIR/initramfs.cpio.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

kernel=${PKH_NEXT_KERNEL:-$top/build/linux/bzImage}
kexec=${PKH_KEXEC:-}
if [ -z "$kexec" ]; then
	kexec=/sbin/kexec
	[ -x "$top/build/kexec-out/sbin/kexec" ] && kexec=$top/build/kexec-out/sbin/kexec
fi
pkhandover=${PKH_PKHANDOVER:-$top/build/tools/pkhandover}
testtool=${PKH_TESTTOOL:-$top/build/tests/kexec/pkh-kexec-testtool}
headers=${PKH_UAPI_HEADERS:-$top/build/linux/usr-headers/include}
out=$top/build/vm
extras=()
[ -n "${PKH_VM_EXTRA:-}" ] && extras+=("$PKH_VM_EXTRA")

die() { echo "build-initramfs.sh: ERROR: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift 2 ;;
	--kexec) kexec=$2; shift 2 ;;
	--pkhandover) pkhandover=$2; shift 2 ;;
	--headers) headers=$2; shift 2 ;;
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

# A libtool wrapper script stands for .libs/NAME beside it.
real_binary() { # FILE
	if [ -f "$1" ] && head -c 4096 "$1" | grep -aq 'wrapper script for \.libs/' &&
		[ -x "$(dirname "$1")/.libs/$(basename "$1")" ]; then
		echo "$(dirname "$1")/.libs/$(basename "$1")"
	else
		echo "$1"
	fi
}

# Copy FILE to ROOT/DEST; our own builds stripped (the kexec build carries
# ~10 MiB of debug information, and every byte is copied again at each kexec
# under TCG).  System libraries are copied as they are.
put() { # FILE DEST MODE
	mkdir -p "$root$(dirname "$2")"
	rm -f "$root$2"
	case "$(readlink -f "$1")" in
	"$top"/*) strip --strip-unneeded -o "$root$2" "$1" 2>/dev/null || cp -L "$1" "$root$2" ;;
	*) cp -L "$1" "$root$2" ;;
	esac
	chmod "$3" "$root$2"
}

# The shared libraries and the loader of a dynamic binary, at the paths ldd
# names (the loader's default search path).  libpkhandover is found in
# build/handover/.libs when it is not installed.
put_libs() { # BINARY
	local lib
	LD_LIBRARY_PATH=$top/build/handover/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
		ldd "$1" >"$stage/ldd" 2>&1 || return 0 # static
	if grep -q 'not found' "$stage/ldd"; then
		die "$1 needs libraries that cannot be found: $(grep 'not found' "$stage/ldd" | tr -s ' \t\n' ' ')"
	fi
	awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' "$stage/ldd" |
		while read -r lib; do
			# Into the multiarch directory, whatever directory the host
			# found it in (build/handover/.libs for libpkhandover).
			case "$lib" in
			/lib*/ld-linux* | /lib/* | /usr/lib/*) put "$lib" "$lib" 755 ;;
			*) put "$lib" "/lib/x86_64-linux-gnu/$(basename "$lib")" 755 ;;
			esac
		done
}

# kexec (/sbin/kexec) and pkhandover (/bin/pkhandover).
kexec=$(real_binary "$kexec")
put "$kexec" /sbin/kexec 755
put_libs "$kexec"
pkhandover=$(real_binary "$pkhandover")
if [ -x "$pkhandover" ]; then
	put "$pkhandover" /bin/pkhandover 755
	put_libs "$pkhandover"
else
	echo "build-initramfs.sh: warning: no pkhandover at $pkhandover (make): left out" >&2
	pkhandover=none
fi

# filefrag (e2fsprogs) lists a pkernfs file's blocks through FIEMAP: the
# handover state no longer carries them (ABI v2).
put /usr/sbin/filefrag /sbin/filefrag 755
put_libs /usr/sbin/filefrag

install -m 755 "$here/guest/init" "$root/init"
for src in "$here"/guest-src/*.c; do
	[ -f "$src" ] || continue
	[ -d "$headers/linux" ] || die "no kernel uapi headers in $headers (run scripts/build-kernel.sh)"
	name=$(basename "$src" .c)
	mkdir -p "$root/usr/bin"
	gcc -static -O2 -Wall -Wextra -Werror -isystem "$headers" \
		-o "$root/usr/bin/$name" "$src" || die "cannot build $src"
	strip "$root/usr/bin/$name"
done
install -m 644 "$here/guest/pkh.sh" "$root/lib/pkh.sh"
# The VMM scenarios: pkh-vmm runs the host's QEMU (over virtio-9p) on
# pkh-guest, a 64 KiB firmware image built here.
install -m 755 "$here/guest/pkh-vmm" "$root/usr/bin/pkh-vmm"
mkdir -p "$root/usr/share/pkh"
"$here/vmm-guest/build.sh" "$root/usr/share/pkh/pkh-guest.bin" || die "cannot build tests/vm/vmm-guest"
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
# The same kernel with the bytes of its support declaration (magic "PKHS",
# size 16: struct pkh_kernel_support in kernel_info, or an ELF note's
# descriptor) defaced.  Never booted: the pre-flight must refuse it.
perl -0777 -pe 's/PKHS\x10\x00\x00\x00/XKHS\x10\x00\x00\x00/g' \
	"$kernel" >"$boot/boot/unsupported.bzImage"
if cmp -s "$kernel" "$boot/boot/unsupported.bzImage" && [ -x "$testtool" ]; then
	# bzImage declares nothing: a declared stand-in for the dry runs.
	"$testtool" add-support "$kernel" "$boot/boot/declared.bzImage" 1 1 >/dev/null ||
		rm -f "$boot/boot/declared.bzImage"
fi
# The kernel signed for kexec_file_load under lockdown: Authenticode
# (sbsign) with the test key its build made and trusts (scripts/
# build-kernel.sh: BUILD_DIR/signing), checked with sbverify; and the same
# kernel signed with a key it does not trust, made here once.  Only the
# lockdown scenario uses them; a kernel built elsewhere has no signing/.
signing=$(dirname "$kernel")/signing
if [ -s "$signing/pkh-kexec-test.key" ] && [ -s "$signing/pkh-kexec-test.crt" ]; then
	command -v sbsign >/dev/null || die "sbsign is not installed (sbsigntool: scripts/setup-vm.sh)"
	untrusted=$out/untrusted-signing
	if [ ! -s "$untrusted/key" ] || [ ! -s "$untrusted/crt" ]; then
		"$top/scripts/make-test-signing-key.sh" "$untrusted/key" "$untrusted/crt" \
			"pkhandover VM test key the kernel does not trust" ||
			die "cannot make the untrusted test key"
	fi
	sign() { # KEY CERT OUT
		sbsign --key "$1" --cert "$2" --output "$3" "$kernel" >"$stage/sbsign.log" 2>&1 &&
			sbverify --cert "$2" "$3" >>"$stage/sbsign.log" 2>&1 ||
			die "signing $kernel with $1 failed: $(cat "$stage/sbsign.log")"
	}
	sign "$signing/pkh-kexec-test.key" "$signing/pkh-kexec-test.crt" "$boot/boot/signed.bzImage"
	sign "$untrusted/key" "$untrusted/crt" "$boot/boot/untrusted.bzImage"
fi
{ cat "$out/inner.cpio"; mkcpio "$boot"; } >"$out/initramfs.cpio.new"
mv "$out/initramfs.cpio.new" "$out/initramfs.cpio"

echo "build-initramfs.sh: $out/initramfs.cpio ($(du -k "$out/initramfs.cpio" | cut -f1) KiB;" \
	"inner $(du -k "$out/inner.cpio" | cut -f1) KiB; kexec: $kexec; pkhandover: $pkhandover)" >&2
echo "$out/initramfs.cpio"
