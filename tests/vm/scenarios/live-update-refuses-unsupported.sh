# SPDX-License-Identifier: GPL-2.0-only
# Scenario live-update-refuses-unsupported (stage 1 only, nothing is exec'd):
# kexec --live-update against a kernel without the pkhandover support
# declaration (/boot/unsupported.bzImage: our bzImage with the declaration
# defaced; on arm64 /boot/unsupported.Image, the Image with its ELF note's
# record defaced) is refused before anything is loaded, the message names
# the kernel and the missing declaration, and this kernel keeps running with
# its data.  Then a --handover-out dry run against a kernel that declares
# support writes a blob that pkhandover validate accepts, byte-identical to
# pkhandover build.  On arm64, last: kexec -s --live-update is refused with
# EOPNOTSUPP by design (only the x86 bzImage loader of kexec_file_load
# attaches the kernel's own handover), nothing loaded.
[ "$PKH_STAGE" = 1 ] || pkh_die "unexpected stage $PKH_STAGE (nothing should have been exec'd)"
command -v pkhandover >/dev/null || pkh_die "no pkhandover in the initramfs"

# A spec that fits this VM: a 64 MiB region in RAM (at 512 MiB; arm64
# virt's RAM starts at 1 GiB, so there at the carve-out the harness gave
# it), one 16 MiB file.
base=0x20000000
if [ "$PKH_ARCH" = arm64 ]; then
	base=$(pkh_carveout_base) || exit 1
	base=$(printf '0x%x' "$base")
fi
spec=/tmp/spec.json
cat >"$spec" <<JSON
{
  "abi_major": 3,
  "generation": 1,
  "nonce": "0x5eed5eed5eed5eed",
  "creator": "tests/vm live-update-refuses-unsupported",
  "regions": [
    {
      "base": "$base",
      "size": "0x4000000",
      "block_size": "0x200000",
      "fs_uuid": "0b3c7a52-6f1e-4d2a-9e8b-1c5d4f6a7b80",
      "flags": ["guest-ram"],
      "metadata": [["0x0", "0x2000"], ["0x21000", "0x1000"]],
      "metadata_digest": "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed",
      "files": [
        {"name": "vm0-ram", "inode": 2, "size": "0x1000000"}
      ]
    }
  ]
}
JSON

# Data of the running kernel, checked again after the refusal.
pkh_pattern 7 4194304 /tmp/data
before=$(md5sum /tmp/data | cut -d' ' -f1)
boot_id=$(cat /proc/sys/kernel/random/boot_id)

target=$PKH_UNSUPPORTED_IMAGE
[ -f "$target" ] || pkh_die "no $target in the initramfs"
initrd=$(pkh_next_initrd) || exit 1
rc=0
kexec --live-update --handover-spec "$spec" -l "$target" --initrd="$initrd" \
	--append="$(pkh_next_cmdline)" >/tmp/out 2>/tmp/err || rc=$?
sed 's/^/PKH: kexec said: /' /tmp/out /tmp/err >&2
[ "$rc" -ne 0 ] || pkh_die "kexec --live-update -l $target succeeded"
grep -qF "$target" /tmp/err || pkh_die "the refusal does not name $target"
grep -q "does not declare support for pkhandover ABI v3" /tmp/err ||
	pkh_die "the refusal does not name the missing support declaration"
loaded=$(cat /sys/kernel/kexec_loaded)
[ "$loaded" = 0 ] || pkh_die "a kernel is loaded after the refusal (kexec_loaded=$loaded)"
echo "PKH-CHECK refused exit=$rc kexec_loaded=$loaded" >&2

# The dry run is refused the same way, and writes nothing.
rc=0
kexec --live-update --handover-spec "$spec" --handover-out /tmp/none.blob \
	-l "$target" 2>/tmp/err || rc=$?
[ "$rc" -ne 0 ] || pkh_die "the dry run against $target succeeded"
[ ! -e /tmp/none.blob ] || pkh_die "the refused dry run wrote a blob"

# A dry run against a kernel that declares support: bzImage (Image) itself
# once the kernel series is in, else the test stand-in (never booted).
declared=$PKH_KERNEL_IMAGE
if ! kexec --live-update --handover-spec "$spec" --handover-out /tmp/dry.blob \
	-l "$declared" 2>/tmp/err; then
	pkh_log "$declared does not declare support: $(cat /tmp/err)"
	declared=$PKH_DECLARED_IMAGE
	[ -f "$declared" ] || pkh_die "no kernel that declares support to dry-run against"
	kexec --live-update --handover-spec "$spec" --handover-out /tmp/dry.blob \
		-l "$declared" 2>/tmp/err || pkh_die "the dry run against $declared failed: $(cat /tmp/err)"
fi
pkhandover validate /tmp/dry.blob >&2 || pkh_die "pkhandover validate rejects the dry-run blob"
pkhandover build "$spec" -o /tmp/expected.blob >/dev/null || pkh_die "pkhandover build failed"
cmp -s /tmp/dry.blob /tmp/expected.blob || pkh_die "the dry-run blob differs from pkhandover build"
[ "$(cat /sys/kernel/kexec_loaded)" = 0 ] || pkh_die "the dry run loaded a kernel"
echo "PKH-CHECK dry-run valid against $declared" >&2

# arm64: kexec_file_load's Image loader never attaches a handover, so the
# kernel answers KEXEC_FILE_LIVE_UPDATE with EOPNOTSUPP and kexec says why.
# pkernfs must be mounted first: with nothing to hand over the kernel
# refuses earlier (ENODEV).
if [ "$PKH_ARCH" = arm64 ]; then
	pkh_need_pkernfs
	pkh_mount "$PKH_FS_FORMAT_OPT" || pkh_die "mount -o $PKH_FS_FORMAT_OPT failed"
	rc=0
	kexec --live-update -s -l "$PKH_KERNEL_IMAGE" --initrd="$initrd" \
		--append="$(pkh_next_cmdline)" >/tmp/out 2>/tmp/err || rc=$?
	sed 's/^/PKH: kexec -s said: /' /tmp/out /tmp/err >&2
	[ "$rc" -ne 0 ] || pkh_die "kexec --live-update -s -l $PKH_KERNEL_IMAGE succeeded on arm64"
	grep -q "loader for this image type cannot attach a handover" /tmp/err ||
		pkh_die "kexec -s --live-update was refused, but not for EOPNOTSUPP: $(cat /tmp/err)"
	loaded=$(cat /sys/kernel/kexec_loaded)
	[ "$loaded" = 0 ] || pkh_die "a kernel is loaded after the -s refusal (kexec_loaded=$loaded)"
	echo "PKH-CHECK kexec-file live-update EOPNOTSUPP exit=$rc kexec_loaded=$loaded" >&2
fi

after=$(md5sum /tmp/data | cut -d' ' -f1)
[ "$after" = "$before" ] || pkh_die "data changed: $before -> $after"
[ "$(cat /proc/sys/kernel/random/boot_id)" = "$boot_id" ] || pkh_die "boot_id changed"
pkh_pass "refused $target; dry run against $declared valid; this kernel still runs"
