#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# arm64 delivery of kexec --live-update: the cross-built arm64 kexec runs
# under qemu-user against the dtb of QEMU's virt machine
# (qemu-system-aarch64 -M virt,dumpdtb=...) and the handover is read back
# from the dtb it would load: inline in /chosen/linux,pkhandover, or for a
# blob over 512 KiB through /chosen/linux,pkhandover-range from its own
# segment.  Stale properties of both names must be gone.  Nothing is
# loaded: PKH_KEXEC_TEST_DUMP_SEGMENTS makes the hook dump the segments
# and skip kexec_load(), and CAP_SYS_BOOT is dropped as a second guard.
set -euo pipefail
# shellcheck source=tests/kexec/lib.sh
. "$(dirname "$0")/lib.sh"

need "arm64 kexec" "$KEXEC_ARM64" || exit 77
need pkh-kexec-testtool "$TESTTOOL" || exit 77
need pkhandover "$PKHANDOVER" || exit 77
for tool in qemu-aarch64 qemu-system-aarch64 fdtput fdtget setpriv; do
	if ! command -v $tool >/dev/null; then
		echo "SKIP: $tool not found (Debian packages qemu-user, qemu-system-arm," \
			"device-tree-compiler, util-linux)"
		exit 77
	fi
done
if [ "$(id -u)" -ne 0 ] || [ ! -r /proc/iomem ]; then
	echo "SKIP: the load path reads the memory map: run as root"
	exit 77
fi

spec=$DATA/handover-spec.json
"$PKHANDOVER" build "$spec" -o "$scratch/expected.blob" >/dev/null
"$TESTTOOL" make-arm64-image "$scratch/declares.Image" 1 2
"$TESTTOOL" make-arm64-image "$scratch/silent.Image"

# A blob over PKH_CHOSEN_INLINE_MAX (512 KiB): a v1 blob (every file's
# extents in it, as old kernels hand over), one file of 40000 4 KiB extents
# with gaps between them (16 bytes each in the blob).
awk 'BEGIN {
	n = 40000
	printf "{\"abi_major\": 1, \"generation\": 1, \"nonce\": \"0x77\", \"creator\": \"tests/kexec large\",\n"
	printf " \"regions\": [{\"base\": \"0x1000000000\", \"size\": \"0x14000000\",\n"
	printf "  \"block_size\": \"0x1000\", \"fs_uuid\": \"9b3c2a10-5e4f-4d6a-8b7c-1f2e3d4c5b6a\",\n"
	printf "  \"flags\": [\"guest-ram\"], \"files\": [{\"name\": \"big\", \"inode\": 2,\n"
	printf "  \"size\": \"0x%x\", \"extents\": [", n * 4096
	for (i = 0; i < n; i++)
		printf "%s[\"0x%x\", \"0x1000\"]", (i ? ", " : ""), i * 2 * 4096
	printf "]}]}]}\n"
}' >"$scratch/large-spec.json"
"$PKHANDOVER" build "$scratch/large-spec.json" -o "$scratch/large.blob" >/dev/null
large_size=$(stat -c %s "$scratch/large.blob")

# The dtb of QEMU's virt machine, as a booted kernel exposes it: the kernel
# wipes kaslr-seed, and a previous live update left its properties.
qemu-system-aarch64 -M virt,dumpdtb="$scratch/virt.dtb" -cpu cortex-a57 -m 2G -nographic \
	>/dev/null 2>&1 || true
if [ ! -s "$scratch/virt.dtb" ]; then
	echo "SKIP: qemu-system-aarch64 -M virt,dumpdtb= wrote nothing"
	exit 77
fi
fdtput -t x "$scratch/virt.dtb" /chosen kaslr-seed 0 0
fdtput -t x "$scratch/virt.dtb" /chosen linux,pkhandover 11223344
fdtput -t x "$scratch/virt.dtb" /chosen linux,pkhandover-range 0 40000000 0 1000

kexec_arm64() {
	PKH_KEXEC_TEST_DUMP_SEGMENTS=$scratch/segments \
		setpriv --inh-caps=-sys_boot --bounding-set=-sys_boot \
		qemu-aarch64 "$KEXEC_ARM64" "$@"
}

# ----------------------------------------------------------- inline
rm -f "$scratch/segments"
run kexec_arm64 --live-update --handover-spec "$spec" --dtb "$scratch/virt.dtb" \
	--append="console=ttyAMA0" -l "$scratch/declares.Image"
if [ "$rc" -eq 0 ] && [ -s "$scratch/segments" ]; then
	pass "arm64: load up to kexec_load() and dump the segments"
else
	fail "arm64: load up to kexec_load() and dump the segments" "exit $rc" "$(cat "$scratch/err")"
fi
"$TESTTOOL" dtb "$scratch/segments" "$scratch/loaded.dtb" 2>"$scratch/err" || true
if "$TESTTOOL" dtb-handover "$scratch/segments" "$scratch/from-dtb.blob" 2>>"$scratch/err" &&
	cmp -s "$scratch/from-dtb.blob" "$scratch/expected.blob"; then
	pass "arm64: the blob is recovered byte-identical from /chosen/linux,pkhandover"
else
	fail "arm64: the blob is recovered byte-identical from /chosen/linux,pkhandover" \
		"$(cat "$scratch/err")"
fi
if ! fdtget "$scratch/loaded.dtb" /chosen linux,pkhandover-range >/dev/null 2>&1; then
	pass "arm64: the stale linux,pkhandover-range is deleted"
else
	fail "arm64: the stale linux,pkhandover-range is deleted"
fi
if [ "$(fdtget -t s "$scratch/loaded.dtb" /chosen bootargs 2>/dev/null)" = "console=ttyAMA0" ]; then
	pass "arm64: the rest of /chosen is kexec's as before (bootargs)"
else
	fail "arm64: the rest of /chosen is kexec's as before (bootargs)"
fi
"$PKHANDOVER" validate "$scratch/from-dtb.blob" >/dev/null 2>&1 &&
	pass "arm64: pkhandover validate accepts the blob read from the dtb" ||
	fail "arm64: pkhandover validate accepts the blob read from the dtb"

# ----------------------------------------------------------- out of line
rm -f "$scratch/segments"
run kexec_arm64 --live-update --handover-spec "$scratch/large-spec.json" \
	--dtb "$scratch/virt.dtb" --append="console=ttyAMA0" -l "$scratch/declares.Image"
if [ "$rc" -eq 0 ] && "$TESTTOOL" dtb "$scratch/segments" "$scratch/large.dtb" 2>"$scratch/err" &&
	fdtget "$scratch/large.dtb" /chosen linux,pkhandover-range >/dev/null 2>&1 &&
	! fdtget "$scratch/large.dtb" /chosen linux,pkhandover >/dev/null 2>&1 &&
	"$TESTTOOL" dtb-handover "$scratch/segments" "$scratch/large-from-dtb.blob" 2>>"$scratch/err" &&
	cmp -s "$scratch/large-from-dtb.blob" "$scratch/large.blob"; then
	pass "arm64: a ${large_size}-byte blob goes out of line, recovered byte-identical through linux,pkhandover-range"
else
	fail "arm64: a ${large_size}-byte blob goes out of line through linux,pkhandover-range" \
		"exit $rc" "$(cat "$scratch/err")"
fi

# ----------------------------------------------------------- refusals
expect_refusal "arm64: an Image without the note is refused" \
	"silent\\.Image.*no ELF note \"pkhandover\"" \
	kexec_arm64 --live-update --handover-spec "$spec" --dtb "$scratch/virt.dtb" \
	-l "$scratch/silent.Image"
if stock=$("$top/tests/kexec/get-stock-kernel.sh" arm64 "$builddir/kexec-test-kernels" 2>/dev/null); then
	expect_refusal "arm64: a stock Debian kernel is refused ($(basename "$stock"))" \
		"$(basename "$stock").*does not declare support" \
		kexec_arm64 --live-update --handover-spec "$spec" --handover-out "$scratch/none.blob" \
		-l "$stock"
else
	skip "arm64: a stock Debian kernel is refused" "no arm64 stock kernel (see get-stock-kernel.sh)"
fi

finish
