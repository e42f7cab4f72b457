#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Install what the VM end-to-end tests need on a Debian bookworm machine:
# the kernel build dependencies, QEMU, busybox-static, a stand-in kexec and
# the pinned kernel source (linux-source-6.12 from bookworm-backports).
# For the arm64 VM tests (tests/vm/run-vm-tests.sh --arch arm64): QEMU's
# aarch64 system emulator, the aarch64 binutils, the arm64 runtime libraries
# the arm64 kexec and pkhandover CLI load in the guest, and busybox from
# busybox-static:arm64, downloaded and unpacked into build/busybox-arm64
# (never installed: see step 5).
#
# Run as root from anywhere:   ./scripts/setup-vm.sh
# Running it again is cheap: it only calls apt for what is missing.
#
# The pinned kernel source version is recorded in kernel/linux-version.txt;
# scripts/build-kernel.sh checks the unpacked source against it.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)

if [ "$(id -u)" -ne 0 ]; then
	echo "setup-vm.sh: run as root (it installs packages with apt-get)" >&2
	exit 2
fi

export DEBIAN_FRONTEND=noninteractive
# Other setup scripts may be running apt at the same time: wait for the lock.
apt_opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=600)

# Read "Debian-Version" from kernel/linux-version.txt.
pinned_deb=$(sed -n 's/^Debian-Version:[[:space:]]*//p' "$top/kernel/linux-version.txt" 2>/dev/null || true)

is_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

updated=0
apt_update() {
	if [ "$updated" -eq 0 ]; then
		apt-get update -q -o DPkg::Lock::Timeout=600
		updated=1
	fi
}

# 1. bookworm-backports, the suite linux-source-6.12 is pinned to.
if ! grep -rqsE '^[^#]*[[:space:]]bookworm-backports([[:space:]]|$)' \
	/etc/apt/sources.list /etc/apt/sources.list.d/; then
	echo "setup-vm.sh: adding bookworm-backports to /etc/apt/sources.list.d/"
	cat >/etc/apt/sources.list.d/pkhandover-bookworm-backports.sources <<'EOF'
# Added by pkhandover scripts/setup-vm.sh: linux-source-6.12 is pinned to it.
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
	apt_update
fi

# 2. Debian's kexec-tools is only a stand-in until the project's patched kexec
# exists.  Stop it from arming kexec-on-reboot on this machine.
echo 'kexec-tools kexec-tools/load_kexec boolean false' | debconf-set-selections

# 3. Packages for the kernel build and the VM.
packages=(
	# kernel build (rsync: `make headers_install` needs it; patch: the series)
	build-essential bc flex bison libssl-dev libelf-dev cpio xz-utils kmod ccache
	# the test key the kernel trusts, and signing the kexec target with it
	openssl sbsigntool
	rsync patch
	# VM and initramfs
	qemu-system-x86 busybox-static kexec-tools
	# filefrag: the VM tests list pkernfs files' blocks through FIEMAP
	e2fsprogs
	# the arm64 VM: QEMU virt, readelf for the guest's libraries, and the
	# loader and libraries of the arm64 kexec and pkhandover (Multi-Arch:
	# same, so they sit beside the amd64 ones)
	qemu-system-arm binutils-aarch64-linux-gnu
	libc6:arm64 libstdc++6:arm64 libgcc-s1:arm64 libfdt1:arm64 libelf1:arm64 zlib1g:arm64
)
# The :arm64 packages need arm64 as a foreign architecture.
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	echo "setup-vm.sh: adding arm64 as a foreign dpkg architecture"
	dpkg --add-architecture arm64
	updated=0
	apt_update
fi
need=()
for p in "${packages[@]}"; do
	is_installed "$p" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	apt_update
	apt-get install "${apt_opts[@]}" "${need[@]}"
fi
# Keep kexec-tools from loading a kernel at shutdown even if the preseed
# came too late (kexec-tools installed earlier by hand).
if [ -f /etc/default/kexec ] && grep -q '^LOAD_KEXEC=true' /etc/default/kexec; then
	sed -i 's/^LOAD_KEXEC=true/LOAD_KEXEC=false/' /etc/default/kexec
fi

# 4. The pinned kernel source, exactly that package and from that suite, so
# nothing else is upgraded (bookworm-security carries a newer
# linux-source-6.12 too; we do not follow it).
have=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
is_installed linux-source-6.12 || have=
if [ -z "$have" ] || { [ -n "$pinned_deb" ] && [ "$have" != "$pinned_deb" ]; }; then
	apt_update
	# The exact recorded version first (--allow-downgrades: it replaces a
	# newer one from bookworm-security).  The archive only keeps the newest
	# backport, so fall back to whatever bookworm-backports has now;
	# build-kernel.sh then warns that the source differs.
	if [ -n "$pinned_deb" ] &&
		apt-get install "${apt_opts[@]}" --allow-downgrades "linux-source-6.12=$pinned_deb"; then
		:
	elif [ -z "$have" ]; then
		apt-get install "${apt_opts[@]}" linux-source-6.12/bookworm-backports
	fi
	have=$(dpkg-query -W -f='${Version}' linux-source-6.12)
fi

if [ ! -f /usr/src/linux-source-6.12.tar.xz ]; then
	echo "setup-vm.sh: /usr/src/linux-source-6.12.tar.xz is missing after install" >&2
	exit 1
fi

if [ -n "$pinned_deb" ] && [ "$have" != "$pinned_deb" ]; then
	echo "setup-vm.sh: WARNING: linux-source-6.12 $have is installed, but" \
		"kernel/linux-version.txt pins $pinned_deb" >&2
fi
# 5. busybox for the arm64 initramfs.  busybox-static:arm64 has no
# Multi-Arch field, so installing it would *replace* busybox-static (amd64),
# which the x86 initramfs needs: download the .deb and unpack it into
# build/busybox-arm64 instead (tests/vm/build-initramfs.sh --arch arm64
# takes build/busybox-arm64/bin/busybox).
bb_dir=$top/build/busybox-arm64
if [ ! -x "$bb_dir/bin/busybox" ]; then
	mkdir -p "$bb_dir/deb"
	rm -f "$bb_dir"/deb/busybox-static_*_arm64.deb
	apt_update
	# apt-get download writes into the current directory; as root it warns
	# that the download is not sandboxed (the _apt user cannot write here).
	(cd "$bb_dir/deb" && apt-get download -q busybox-static:arm64)
	deb=$(ls "$bb_dir"/deb/busybox-static_*_arm64.deb)
	dpkg-deb -x "$deb" "$bb_dir"
	[ -x "$bb_dir/bin/busybox" ] || {
		echo "setup-vm.sh: $deb holds no bin/busybox" >&2
		exit 1
	}
	# build/ belongs to whoever owns the checkout, not to root.
	chown "$(stat -c %u:%g "$top")" "$top/build" 2>/dev/null || true
	chown -R "$(stat -c %u:%g "$top")" "$bb_dir" 2>/dev/null || true
	echo "setup-vm.sh: unpacked $(basename "$deb") into ${bb_dir#"$top"/}"
fi

echo "setup-vm.sh: ready (linux-source-6.12 $have, $(qemu-system-x86_64 --version | head -1)," \
	"$(qemu-system-aarch64 --version | head -1), arm64 busybox ${bb_dir#"$top"/}/bin/busybox)"
