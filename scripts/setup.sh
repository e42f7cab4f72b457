#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Set up a fresh Debian bookworm machine for pkhandover and build it.
# Run as root from the top of a clone:   ./scripts/setup.sh
#
# It installs every package the project needs with apt, generates the
# autotools files, configures into ./build and builds there, then builds
# the patched kernel the VM tests boot, its debug variant and its arm64
# build, and the arm64 kexec and CLI.  Running it
# again is cheap: apt skips what is installed and make only rebuilds what
# changed.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

if [ "$(id -u)" -ne 0 ]; then
	echo "setup.sh: run as root (it installs packages with apt-get)" >&2
	exit 2
fi

export DEBIAN_FRONTEND=noninteractive

# Build and test dependencies, grouped by what needs them.
packages=(
	# toolchain and autotools
	build-essential autoconf automake libtool pkg-config
	# libpkhandover
	libfdt-dev zlib1g-dev nlohmann-json3-dev libelf-dev libfmt-dev
	# pkhandover tool
	libcli11-dev
	# tests: Catch2 v2, libFuzzer and sanitizers from clang-14, dtc for dtb fixtures
	catch2 clang-14 libclang-rt-14-dev device-tree-compiler
	# tests of pkernfs's metadata code in userspace: SHA-256
	libssl-dev
	# man pages (rendered with warnings on by make check), bash completion
	man-db groff-base bash-completion
	# Debian packages (scripts/build-debs.sh) and their check
	debhelper lintian
)

# kexec-ext/ (kexec-tools build, arm64 cross build and its tests) lists its
# own; the arm64 ones need the architecture enabled first.
while read -r p; do
	packages+=("$p")
done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' kexec-ext/setup-packages.txt)
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	dpkg --add-architecture arm64
	force_update=yes
fi

need_install=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		need_install+=("$p")
	fi
done
if [ ${#need_install[@]} -gt 0 ] || [ "${force_update:-no}" = yes ]; then
	apt-get update -q
	[ ${#need_install[@]} -eq 0 ] || apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "${need_install[@]}"
fi

# The pinned kexec-tools source (adds a deb-src entry, runs apt-get source).
kexec-ext/fetch-kexec-tools.sh "$top/build/kexec-tools-src"

# QEMU, busybox, the kernel build tools and the pinned kernel source.
"$top/scripts/setup-vm.sh"

autoreconf -fi
mkdir -p build
cd build
if [ ! -f Makefile ]; then
	../configure
fi
make -j"$(nproc)"
cd "$top"

# The Debian packages, built by dpkg-buildpackage from `make dist`'s tarball
# in build/deb/ (about 3 minutes; log in build/deb/dpkg-buildpackage.log).
echo "setup.sh: building the Debian packages into build/deb"
"$top/scripts/build-debs.sh"

# The kernel the VM tests boot: pinned source + kernel/linux + kernel/series.
echo "setup.sh: building the VM kernel (about 5 minutes the first time; log in build/vm-logs)"
mkdir -p build/vm-logs
if ! "$top/scripts/build-kernel.sh" >build/vm-logs/build-kernel.log 2>&1; then
	tail -40 build/vm-logs/build-kernel.log >&2
	echo "setup.sh: the kernel build failed (build/vm-logs/build-kernel.log)" >&2
	exit 1
fi
# The debug kernel (KASAN, UBSAN, lockdep, DEBUG_LIST, DEBUG_VM): the same
# sources plus kernel/config/pkhandover-debug.config, for the VM scenarios
# scripts/test.sh runs on it.
echo "setup.sh: building the debug kernel (about 8 minutes the first time; log in build/vm-logs/debug)"
mkdir -p build/vm-logs/debug
if ! "$top/scripts/build-kernel.sh" build/linux-debug kernel/config/pkhandover-debug.config \
	>build/vm-logs/debug/build-kernel.log 2>&1; then
	tail -40 build/vm-logs/debug/build-kernel.log >&2
	echo "setup.sh: the debug kernel build failed (build/vm-logs/debug/build-kernel.log)" >&2
	exit 1
fi
# arm64: the same kernel sources cross-built for QEMU virt
# (kernel/config/pkhandover-vm-arm64.config), and the arm64 kexec and
# pkhandover CLI the arm64 initramfs packs, for the arm64 VM scenarios.
echo "setup.sh: building the arm64 kexec and pkhandover CLI (make arm64-tools)"
make -C build -j"$(nproc)" arm64-tools
echo "setup.sh: building the arm64 VM kernel (about 12 minutes the first time; log in build/vm-logs/arm64)"
mkdir -p build/vm-logs/arm64
if ! "$top/scripts/build-kernel.sh" --arch arm64 >build/vm-logs/arm64/build-kernel.log 2>&1; then
	tail -40 build/vm-logs/arm64/build-kernel.log >&2
	echo "setup.sh: the arm64 kernel build failed (build/vm-logs/arm64/build-kernel.log)" >&2
	exit 1
fi
echo "setup.sh: done"
