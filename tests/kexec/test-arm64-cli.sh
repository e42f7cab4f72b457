#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The arm64 pkhandover CLI (kexec-out/arm64/bin/pkhandover, built by
# `make arm64-tools` for an arm64 initramfs) runs under qemu-user with the
# :arm64 runtime libraries where an arm64 root has them (qemu-aarch64 -L /),
# and says exactly what the native build says: the same stdout, stderr and
# exit status for --help, a valid and a corrupt blob, and --live on a device
# tree (inline, by range with the kernel's received copy, by range without
# it).
set -euo pipefail
# shellcheck source=tests/kexec/lib.sh
. "$(dirname "$0")/lib.sh"

PKHANDOVER_ARM64=${PKHANDOVER_ARM64:-$builddir/kexec-out/arm64/bin/pkhandover}
need "arm64 pkhandover" "$PKHANDOVER_ARM64" || exit 77
need pkhandover "$PKHANDOVER" || exit 77
for tool in qemu-aarch64 dtc; do
	if ! command -v $tool >/dev/null; then
		echo "SKIP: $tool not found (Debian packages qemu-user, device-tree-compiler)"
		exit 77
	fi
done

arm64() { qemu-aarch64 -L / "$PKHANDOVER_ARM64" "$@"; }

cd "$scratch"
"$PKHANDOVER" example >example.json
"$PKHANDOVER" build example.json -o a.blob
cp a.blob corrupt.blob
# A byte of the payload: the CRC no longer matches.
printf '\x5a' | dd of=corrupt.blob bs=1 seek=1000 conv=notrunc status=none
printf '/dts-v1/;\n/ {\n\tchosen {\n\t\tlinux,pkhandover = /incbin/("a.blob");\n\t};\n};\n' >inline.dts
printf '/dts-v1/;\n/ {\n\tchosen {\n\t\tlinux,pkhandover-range = /bits/ 64 <0x80000000 0x%x>;\n\t};\n};\n' \
	"$(stat -c %s a.blob)" >range.dts
dtc -q -I dts -O dtb -o inline.dtb inline.dts
dtc -q -I dts -O dtb -o range.dtb range.dts

# same_as_native NAME EXIT ARGS...: the arm64 build exits EXIT and prints
# what the native one prints (its program name aside, which --help shows).
same_as_native() {
	local name=$1 want=$2 native_rc
	shift 2
	set +e
	"$PKHANDOVER" "$@" >native.out 2>native.err
	native_rc=$?
	arm64 "$@" >arm64.out 2>arm64.err
	rc=$?
	set -e
	sed -i -E 's|^Usage: [^ ]*pkhandover |Usage: pkhandover |' native.out arm64.out
	if [ "$rc" -eq "$want" ] && [ "$native_rc" -eq "$want" ] && cmp -s native.out arm64.out &&
		cmp -s native.err arm64.err; then
		pass "arm64 CLI: $name (exit $want, output as native)"
	else
		fail "arm64 CLI: $name" "exit: arm64 $rc, native $native_rc, want $want" \
			"stdout: $(diff native.out arm64.out | head -n 5)" "stderr: $(diff native.err arm64.err | head -n 5)"
	fi
}

same_as_native "--help" 0 --help
same_as_native "--version" 0 --version
same_as_native "validate a blob" 0 validate a.blob
same_as_native "inspect --json of a blob" 0 inspect --json a.blob
same_as_native "validate a corrupt blob" 1 validate corrupt.blob
same_as_native "validate --live, inline in the dtb" 0 validate --live --fdt inline.dtb
same_as_native "validate --live, by range, received" 0 validate --live --fdt range.dtb --received a.blob
same_as_native "validate --live, by range, not accepted" 1 validate --live --fdt range.dtb --received none
same_as_native "validate --live, neither source" 2 validate --live --setup-data-dir none --fdt none

# The exact words, from the arm64 build itself.
# expect_exact NAME RC STREAM WANT: the last run exited RC, printed exactly
# WANT on STREAM (out or err) and nothing on the other one.
expect_exact() {
	local other=err
	[ "$3" = out ] || other=out
	if [ "$rc" -eq "$2" ] && [ "$(cat "$scratch/$3")" = "$4" ] && [ ! -s "$scratch/$other" ]; then
		pass "$1"
	else
		fail "$1" "exit $rc" "$(cat "$scratch/out" "$scratch/err")"
	fi
}
run arm64 validate --live --fdt range.dtb --received a.blob
expect_exact "arm64 CLI: --live reads a blob passed by range from the received file" 0 out \
	"a.blob: valid: ABI 3.0, generation 1, 2 regions (4 metadata ranges), 2 files, 1 iommu units, 2 domains, 3 devices (3 iova ranges), 1886 bytes"
run arm64 validate --live --fdt range.dtb --received none
expect_exact "arm64 CLI: --live says the kernel did not accept a blob passed by range" 1 err \
	"pkhandover: none: does not exist: this kernel did not accept the handover that range.dtb passes by range (/chosen/linux,pkhandover-range: 1886 bytes at 0x80000000); the kernel log (dmesg) says why (MISSING_NODE)"

finish
