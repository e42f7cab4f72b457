#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build the two-level initramfs of the VM tests.
#
#   tests/vm/build-initramfs.sh [--arch x86_64|arm64] [--kernel BZIMAGE]
#                               [--kexec KEXEC] [--extra DIR] [--out DIR]
#
#   --arch ARCH       the guest's architecture ($PKH_ARCH; default x86_64).
#                     arm64: the arm64 Image (build/linux-arm64/Image), the
#                     arm64 kexec and pkhandover CLI (build/kexec-out/arm64/
#                     sbin/kexec and bin/pkhandover, dynamic: their aarch64
#                     libraries and loader are found by walking
#                     aarch64-linux-gnu-readelf's NEEDED entries, since the
#                     host's ldd cannot read them), and busybox from the
#                     busybox-static:arm64 package that scripts/setup-vm.sh
#                     downloads and unpacks into build/busybox-arm64 (never
#                     installed: it has no Multi-Arch and would replace the
#                     amd64 busybox-static the x86 initramfs needs).  The
#                     x86-only parts are left out: the guest-src programs
#                     (pkh-edu drives the q35 edu device and VT-d), the
#                     VMM guest (an x86 firmware image), filefrag (an amd64
#                     binary) and the signed kernels (bzImage Authenticode).
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
#   DIR/initramfs.cpio  inner.cpio followed by a second archive holding /boot
#                       (arm64: Image, unsupported.Image, declared.Image for
#                       bzImage, unsupported.bzImage, declared.bzImage; no
#                       signed kernels):
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

kernel=${PKH_NEXT_KERNEL:-}
kexec=${PKH_KEXEC:-}
pkhandover=${PKH_PKHANDOVER:-}
testtool=${PKH_TESTTOOL:-$top/build/tests/kexec/pkh-kexec-testtool}
headers=${PKH_UAPI_HEADERS:-$top/build/linux/usr-headers/include}
out=
arch=${PKH_ARCH:-x86_64}
extras=()
[ -n "${PKH_VM_EXTRA:-}" ] && extras+=("$PKH_VM_EXTRA")

die() { echo "build-initramfs.sh: ERROR: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case "$1" in
	--arch) arch=$2; shift 2 ;;
	--arch=*) arch=${1#--arch=}; shift ;;
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

# What differs between the architectures.  image: the name of the kernel
# in /boot (guest/pkh.sh finds it by uname -m); libdir: the multiarch
# directory the guest's loader searches.
case "$arch" in
x86_64)
	kernel=${kernel:-$top/build/linux/bzImage}
	if [ -z "$kexec" ]; then
		kexec=/sbin/kexec
		[ -x "$top/build/kexec-out/sbin/kexec" ] && kexec=$top/build/kexec-out/sbin/kexec
	fi
	pkhandover=${pkhandover:-$top/build/tools/pkhandover}
	out=${out:-$top/build/vm}
	busybox=/bin/busybox
	image=bzImage
	libdir=/lib/x86_64-linux-gnu
	strip=strip
	;;
arm64)
	kernel=${kernel:-$top/build/linux-arm64/Image}
	# No Debian fallback: the host's /sbin/kexec is an amd64 binary.
	kexec=${kexec:-$top/build/kexec-out/arm64/sbin/kexec}
	pkhandover=${pkhandover:-$top/build/kexec-out/arm64/bin/pkhandover}
	out=${out:-$top/build/vm-arm64}
	busybox=${PKH_BUSYBOX_ARM64:-$top/build/busybox-arm64/bin/busybox}
	image=Image
	libdir=/lib/aarch64-linux-gnu
	strip=aarch64-linux-gnu-strip
	command -v aarch64-linux-gnu-readelf >/dev/null ||
		die "aarch64-linux-gnu-readelf is not installed (binutils-aarch64-linux-gnu)"
	[ -x "$busybox" ] ||
		die "no arm64 busybox at $busybox: run scripts/setup-vm.sh as root (it downloads busybox-static:arm64 into build/busybox-arm64; never apt-get install it, that would replace the amd64 busybox-static)"
	;;
*) die "--arch '$arch': x86_64 or arm64" ;;
esac
[ -f "$kernel" ] || die "no kernel at $kernel (run scripts/build-kernel.sh --arch $arch)"
[ -x "$kexec" ] || die "no kexec at $kexec (run scripts/setup-vm.sh, or give --kexec)"
[ -x "$busybox" ] || die "no $busybox (install busybox-static: scripts/setup-vm.sh)"
if [ "$arch" = x86_64 ]; then
	# ldd fails on a static binary.
	! ldd "$busybox" >/dev/null 2>&1 || die "$busybox is not static (install busybox-static)"
else
	# A static binary has no program interpreter.
	! aarch64-linux-gnu-readelf -l "$busybox" 2>/dev/null | grep -q 'interpreter' ||
		die "$busybox is not static"
	aarch64-linux-gnu-readelf -h "$busybox" 2>/dev/null | grep -q 'AArch64' ||
		die "$busybox is not an AArch64 binary"
fi
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
# One link per applet, where busybox itself would install it.  The arm64
# busybox lists its own applets under qemu-user; without it, the host's
# busybox-static (the same Debian version, the same applets) does.
applets() {
	if [ "$arch" = x86_64 ]; then
		"$busybox" --list-full
	elif command -v qemu-aarch64 >/dev/null && qemu-aarch64 "$busybox" --list-full 2>/dev/null; then
		:
	else
		[ -x /bin/busybox ] || die "cannot list the applets of $busybox (no qemu-aarch64, no /bin/busybox)"
		/bin/busybox --list-full
	fi
}
applets >"$stage/applets"
[ -s "$stage/applets" ] || die "$busybox lists no applets"
while read -r applet; do
	[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done <"$stage/applets"

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
	"$top"/*) "$strip" --strip-unneeded -o "$root$2" "$1" 2>/dev/null || cp -L "$1" "$root$2" ;;
	*) cp -L "$1" "$root$2" ;;
	esac
	chmod "$3" "$root$2"
}

# The shared libraries and the loader of a dynamic binary, at the paths ldd
# names (the loader's default search path).  libpkhandover is found in
# build/handover/.libs when it is not installed.
put_libs() { # BINARY
	local lib
	if [ "$arch" = arm64 ]; then
		put_libs_arm64 "$1"
		return
	fi
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
			*) put "$lib" "$libdir/$(basename "$lib")" 755 ;;
			esac
		done
}

# The same for an aarch64 binary, which the host's ldd cannot read: its
# program interpreter (the loader, /lib/ld-linux-aarch64.so.1), then each
# NEEDED library, and theirs, found in the arm64 multiarch directories (or
# beside the binary, for a library of our own build), copied into
# /lib/aarch64-linux-gnu, which the loader searches without ld.so.cache.
put_libs_arm64() { # BINARY
	local interp queue=("$1") seen=" " bin lib dir found
	interp=$(aarch64-linux-gnu-readelf -l "$1" 2>/dev/null |
		sed -n 's/.*\[Requesting program interpreter: \(.*\)\]/\1/p')
	[ -n "$interp" ] || return 0 # static
	[ -e "$interp" ] || die "$1 needs the loader $interp, which is not on this host (libc6:arm64)"
	put "$interp" "$interp" 755
	while [ ${#queue[@]} -gt 0 ]; do
		bin=${queue[0]}
		queue=("${queue[@]:1}")
		for lib in $(aarch64-linux-gnu-readelf -d "$bin" 2>/dev/null |
			sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
			case "$seen" in *" $lib "*) continue ;; esac
			seen="$seen$lib "
			found=
			for dir in /usr/lib/aarch64-linux-gnu /lib/aarch64-linux-gnu \
				"$(dirname "$1")" "$(dirname "$1")/../lib"; do
				if [ -e "$dir/$lib" ]; then
					found=$dir/$lib
					break
				fi
			done
			[ -n "$found" ] || die "$1 needs $lib, which is not in /usr/lib/aarch64-linux-gnu (install its :arm64 package)"
			# The loader is in place already.
			[ "$lib" = "$(basename "$interp")" ] && continue
			put "$found" "$libdir/$lib" 755
			queue+=("$found")
		done
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
# handover state no longer carries them (ABI v2).  The host's is amd64, and
# e2fsprogs:arm64 cannot be installed beside it (Multi-Arch: foreign).
if [ "$arch" = x86_64 ]; then
	put /usr/sbin/filefrag /sbin/filefrag 755
	put_libs /usr/sbin/filefrag
fi

install -m 755 "$here/guest/init" "$root/init"
for src in "$here"/guest-src/*.c; do
	[ -f "$src" ] || continue
	# x86 only: built with the host's gcc against the x86 kernel's uapi
	# headers, and they drive q35's edu device and VT-d.
	[ "$arch" = x86_64 ] || continue
	[ -d "$headers/linux" ] || die "no kernel uapi headers in $headers (run scripts/build-kernel.sh)"
	name=$(basename "$src" .c)
	mkdir -p "$root/usr/bin"
	gcc -static -O2 -Wall -Wextra -Werror -pthread -isystem "$headers" \
		-o "$root/usr/bin/$name" "$src" || die "cannot build $src"
	strip "$root/usr/bin/$name"
done
install -m 644 "$here/guest/pkh.sh" "$root/lib/pkh.sh"
# The VMM scenarios: pkh-vmm runs the host's QEMU (over virtio-9p) on
# pkh-guest, a 64 KiB firmware image built here.
# x86 only: the guest is x86 firmware, run by the host's qemu-system-x86_64.
if [ "$arch" = x86_64 ]; then
	install -m 755 "$here/guest/pkh-vmm" "$root/usr/bin/pkh-vmm"
	mkdir -p "$root/usr/share/pkh"
	"$here/vmm-guest/build.sh" "$root/usr/share/pkh/pkh-guest.bin" || die "cannot build tests/vm/vmm-guest"
fi
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

cp "$kernel" "$boot/boot/$image"
cp "$out/inner.cpio" "$boot/boot/inner.cpio"
# The same kernel with the bytes of its support declaration (magic "PKHS",
# size 16: struct pkh_kernel_support in kernel_info, or the descriptor of
# the arm64 Image's ELF note in .note.pkhandover) defaced.  Never booted:
# the pre-flight must refuse it.
perl -0777 -pe 's/PKHS\x10\x00\x00\x00/XKHS\x10\x00\x00\x00/g' \
	"$kernel" >"$boot/boot/unsupported.$image"
if [ "$arch" = arm64 ]; then
	# On arm64 the record is the descriptor of an ELF note (Nhdr namesz 11,
	# descsz 16, type 0x504b4831, "pkhandover\0").  kexec's pre-flight finds
	# the note by its header and name, and a defaced record in it reads as a
	# corrupt declaration (BAD_VALUE); deface the name too, so that the
	# Image is what a kernel without the series is: one with no such note.
	perl -0777 -pi -e 's/\x0b\x00\x00\x00\x10\x00\x00\x00\x31\x48\x4b\x50pkhandover\x00/\x0b\x00\x00\x00\x10\x00\x00\x00\x31\x48\x4b\x50Xkhandover\x00/g' \
		"$boot/boot/unsupported.$image"
fi
if cmp -s "$kernel" "$boot/boot/unsupported.$image" && [ -x "$testtool" ] && [ "$arch" = x86_64 ]; then
	# bzImage declares nothing: a declared stand-in for the dry runs.
	"$testtool" add-support "$kernel" "$boot/boot/declared.bzImage" 1 1 >/dev/null ||
		rm -f "$boot/boot/declared.bzImage"
elif cmp -s "$kernel" "$boot/boot/unsupported.$image" && [ -x "$testtool" ]; then
	# An arm64 Image without the note: a stand-in Image that carries one.
	"$testtool" make-arm64-image "$boot/boot/declared.$image" 1 3 >/dev/null ||
		rm -f "$boot/boot/declared.$image"
fi
# The kernel signed for kexec_file_load under lockdown: Authenticode
# (sbsign) with the test key its build made and trusts (scripts/
# build-kernel.sh: BUILD_DIR/signing), checked with sbverify; and the same
# kernel signed with a key it does not trust, made here once.  Only the
# lockdown scenario uses them; a kernel built elsewhere has no signing/.
signing=$(dirname "$kernel")/signing
if [ "$arch" = x86_64 ] && [ -s "$signing/pkh-kexec-test.key" ] && [ -s "$signing/pkh-kexec-test.crt" ]; then
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
