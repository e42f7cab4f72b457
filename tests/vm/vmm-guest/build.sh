#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build pkh-guest.bin, the 64 KiB firmware image of the VMM scenarios'
# guest (QEMU -bios), with the host's gcc in 32-bit freestanding mode.
#   tests/vm/vmm-guest/build.sh OUT.bin
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cflags=(-m32 -O2 -ffreestanding -fno-pic -fno-pie -fno-stack-protector
	-mgeneral-regs-only -fno-asynchronous-unwind-tables -Wall -Wextra -Werror)
gcc "${cflags[@]}" -c "$here/pkh-guest.c" -o "$tmp/guest.o"
gcc -m32 -c "$here/pkh-guest-entry.S" -o "$tmp/entry.o"
ld -m elf_i386 -nostdlib -T "$here/pkh-guest.ld" "$tmp/entry.o" "$tmp/guest.o" -o "$tmp/guest.elf"
objcopy -O binary "$tmp/guest.elf" "$tmp/guest.bin"
size=$(stat -c %s "$tmp/guest.bin")
[ "$size" = 65536 ] || { echo "build.sh: pkh-guest.bin is $size bytes, not 65536" >&2; exit 1; }
mv "$tmp/guest.bin" "$out"
