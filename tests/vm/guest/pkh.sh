# SPDX-License-Identifier: GPL-2.0-only
#
# /lib/pkh.sh: helpers for the VM test scenarios (busybox sh).  Sourced by
# /init before it sources /scenarios/NAME.sh.
#
# Set by pkh_parse_cmdline:
#   PKH_SCENARIO   pkh.scenario=
#   PKH_STAGE      pkh.stage= (1 when absent): the number of the kernel in the
#                  chain; stage 1 is the one QEMU booted
#
# Files in the initramfs (every stage: pkh_kexec_load passes /boot on):
#   /sbin/kexec         the kexec under test, with --live-update (and its
#                       libraries)
#   /bin/pkhandover     the pkhandover CLI (validate, inspect --live, ...)
#   /boot/bzImage       the kernel to kexec into ($PKH_KERNEL_IMAGE; on
#                       arm64 /boot/Image, the uncompressed Image)
#   /boot/inner.cpio    this tree without /boot
#   /boot/unsupported.bzImage  bzImage with its support declaration defaced
#                       ($PKH_UNSUPPORTED_IMAGE; arm64: unsupported.Image)
#   /boot/declared.bzImage     a stand-in that declares support, only when
#                       bzImage does not (for dry runs; never booted)
#                       ($PKH_DECLARED_IMAGE; arm64: declared.Image)
#   /boot/signed.bzImage       bzImage signed with the test key it trusts,
#   /boot/untrusted.bzImage    and with a key it does not (kexec_file_load
#                       under lockdown; only when the kernel's build made
#                       the key: tests/vm/build-initramfs.sh)

PKH_RESULT_FILE=/tmp/pkh-result
# The architecture, named as the host's harness names it (run-vm-tests.sh
# --arch), and the name of the kernel image in /boot: x86 kexecs a
# bzImage, arm64 the uncompressed Image (tests/vm/build-initramfs.sh).
case "$(uname -m)" in
aarch64)
	PKH_ARCH=arm64
	PKH_KERNEL_IMAGE=/boot/Image
	;;
*)
	PKH_ARCH=x86_64
	PKH_KERNEL_IMAGE=/boot/bzImage
	;;
esac
PKH_UNSUPPORTED_IMAGE=/boot/unsupported.${PKH_KERNEL_IMAGE#/boot/}
PKH_DECLARED_IMAGE=/boot/declared.${PKH_KERNEL_IMAGE#/boot/}
PKH_NEXT_KERNEL=$PKH_KERNEL_IMAGE
# Empty: pkh_next_initrd builds /boot/inner.cpio + /boot for the next kernel.
PKH_NEXT_INITRD=

# The kernel side's interfaces (kernel/linux/, kernel/series/): change here.
PKH_FS_TYPE=pkernfs                       # mount -t
PKH_FS_FORMAT_OPT=format                  # mount -o: format the carve-out
PKH_MNT=/mnt/pkernfs
PKH_STATE=/sys/kernel/pkhandover/state    # old kernel: JSON spec to hand over
PKH_RECEIVED=/sys/kernel/pkhandover/received # new kernel: the blob received
PKH_HANDOVER=/sys/kernel/pkhandover/handover # the blob the kernel writes of $PKH_STATE
PKH_MSG_ACCEPTED='pkhandover: handover accepted'
PKH_MSG_REJECTED='pkhandover: handover rejected'
PKH_MSG_ADOPTED='pkernfs: adopted handover generation'

# Messages and markers go to stderr (the console), so that they are not
# captured when a helper runs inside $(...).  A helper that fails inside
# $(...) only ends that subshell: write  v=$(pkh_helper ...) || exit 1
pkh_log() {
	echo "PKH: $*" >&2
}

# pkh_arg KEY: print the value of pkh.KEY=VALUE from the kernel command line.
pkh_arg() {
	local w
	for w in $(cat /proc/cmdline); do
		case "$w" in
		"pkh.$1="*) echo "${w#"pkh.$1="}"; return 0 ;;
		esac
	done
	return 1
}

pkh_parse_cmdline() {
	PKH_SCENARIO=$(pkh_arg scenario || true)
	PKH_STAGE=$(pkh_arg stage || echo 1)
	export PKH_SCENARIO PKH_STAGE
}

# The single result of a scenario.  Only the first call counts.
pkh_pass() {
	[ -e "$PKH_RESULT_FILE" ] && return 0
	echo PASS >"$PKH_RESULT_FILE"
	echo "PKH-RESULT PASS $PKH_SCENARIO${1:+ $*}" >&2
}

pkh_fail() {
	[ -e "$PKH_RESULT_FILE" ] && return 0
	echo FAIL >"$PKH_RESULT_FILE"
	echo "PKH-RESULT FAIL $PKH_SCENARIO ${*:-no reason given}" >&2
}

# pkh_die REASON: fail and end the scenario.
pkh_die() {
	pkh_fail "$@"
	exit 1
}

# pkh_next_cmdline KEY=VALUE...: this kernel's command line for the next
# kernel: pkh.stage goes up by one, each pkh.KEY=VALUE given replaces (or adds)
# that key, everything else (console, memmap=, ...) is kept.
pkh_next_cmdline() {
	local out='' w kv drop
	for w in $(cat /proc/cmdline); do
		drop=
		case "$w" in pkh.stage=*) drop=1 ;; esac
		for kv in "$@"; do
			case "$w" in "${kv%%=*}="*) drop=1 ;; esac
		done
		[ -n "$drop" ] || out="$out $w"
	done
	echo "${out# } pkh.stage=$((PKH_STAGE + 1)) $*"
}

# pkh_next_initrd: build the next kernel's initramfs, /tmp/pkh-next.cpio:
# /boot/inner.cpio followed by a newc archive of /boot (busybox cpio), the
# same two parts as the initramfs QEMU booted, so the next kernel can kexec
# again.  Prints its path.
pkh_next_initrd() {
	local out=/tmp/pkh-next.cpio
	[ -f /boot/inner.cpio ] || pkh_die "no /boot/inner.cpio to build the next initramfs from"
	if [ ! -s "$out" ]; then
		{
			cat /boot/inner.cpio &&
				(cd / && find boot | LC_ALL=C sort | cpio -o -H newc 2>/dev/null)
		} >"$out.tmp" || pkh_die "cannot build the next initramfs"
		mv "$out.tmp" "$out"
	fi
	echo "$out"
}

# pkh_memparse TEXT: a size or address as the kernel's memparse() reads it
# (decimal or 0x hex, with an optional K, M or G suffix), in decimal.
pkh_memparse() {
	local v="$1" mult=1
	case "$v" in
	*[kK]) mult=1024; v=${v%?} ;;
	*[mM]) mult=1048576; v=${v%?} ;;
	*[gG]) mult=1073741824; v=${v%?} ;;
	esac
	echo $((v * mult))
}

# pkh_carveout_base, pkh_carveout_size: the carve-out this kernel was given,
# from pkernfs=SIZE@BASE on its command line (the harness picks it per
# architecture: virt's RAM starts at 1 GiB, q35's at 0), in decimal.
pkh_carveout_arg() {
	local w
	for w in $(cat /proc/cmdline); do
		case "$w" in
		pkernfs=*@*) echo "${w#pkernfs=}"; return 0 ;;
		esac
	done
	return 1
}
pkh_carveout_base() {
	local a
	a=$(pkh_carveout_arg) || pkh_die "no pkernfs=SIZE@BASE on the command line"
	pkh_memparse "${a#*@}"
}
pkh_carveout_size() {
	local a
	a=$(pkh_carveout_arg) || pkh_die "no pkernfs=SIZE@BASE on the command line"
	pkh_memparse "${a%@*}"
}

# pkh_kexec_load CMDLINE [KERNEL [INITRD]]: kexec -l the next kernel
# ($PKH_NEXT_KERNEL by default).
pkh_kexec_load() {
	local cmdline="$1" kernel="${2:-$PKH_NEXT_KERNEL}" initrd="${3:-$PKH_NEXT_INITRD}"
	[ -n "$initrd" ] || initrd=$(pkh_next_initrd) || exit 1
	[ -f "$kernel" ] || pkh_die "no kernel to kexec at $kernel"
	[ -f "$initrd" ] || pkh_die "no initrd to kexec at $initrd"
	pkh_log "kexec -l $kernel --initrd=$initrd --append=\"$cmdline\""
	kexec -l "$kernel" --initrd="$initrd" --append="$cmdline" ||
		pkh_die "kexec -l failed (exit $?)"
}

# pkh_kexec_load_live SPEC CMDLINE [KERNEL [INITRD]]: kexec --live-update -l,
# with --handover-spec SPEC (none when SPEC is empty: live collection).
pkh_kexec_load_live() {
	local spec="$1" cmdline="$2" kernel="${3:-$PKH_NEXT_KERNEL}" initrd="${4:-$PKH_NEXT_INITRD}"
	[ -n "$initrd" ] || initrd=$(pkh_next_initrd) || exit 1
	pkh_check_kernel_handover
	[ -f "$kernel" ] || pkh_die "no kernel to kexec at $kernel"
	[ -f "$initrd" ] || pkh_die "no initrd to kexec at $initrd"
	if [ "$(pkh_arg kexec || true)" = file ]; then
		pkh_kexec_file_load_live "$cmdline" "$kernel" "$initrd"
		return
	fi
	pkh_log "kexec --live-update${spec:+ --handover-spec $spec} -l $kernel --initrd=$initrd --append=\"$cmdline\""
	kexec --live-update ${spec:+--handover-spec "$spec"} -l "$kernel" \
		--initrd="$initrd" --append="$cmdline" >&2 ||
		pkh_die "kexec --live-update -l failed (exit $?)"
}

# pkh_expect_kexec_refusal TEXT COMMAND...: COMMAND fails and says TEXT.
pkh_expect_kexec_refusal() {
	local text="$1"
	shift
	"$@" >/tmp/pkh-refusal.out 2>&1 && pkh_die "not refused: $*"
	grep -q -- "$text" /tmp/pkh-refusal.out ||
		pkh_die "refused without saying '$text': $(cat /tmp/pkh-refusal.out)"
	echo "PKH-CHECK refused: ${2:-} ${3:-} ($text)" >&2
}

# pkh_kexec_file_load_live CMDLINE KERNEL INITRD: with pkh.kexec=file on the
# command line, a live update goes through kexec_file_load (kexec -s): the
# running kernel attaches the handover it builds itself.  The next kernel
# gets pkh.kblob=MD5 of that blob ($PKH_HANDOVER, checked against
# pkhandover build by pkh_check_kernel_handover) and pkh_check_received
# compares it with what arrived.  In stage 1 also: -a and -s with a spec are
# refused, and the -s dry run writes the kernel's blob.
pkh_kexec_file_load_live() {
	local cmdline="$1" kernel="$2" initrd="$3" kblob
	[ ! -e /tmp/pkh-spec.orig ] ||
		pkh_die "a tampered spec cannot go through kexec -s: the kernel builds the handover"
	[ -s /tmp/pkh-kernel.blob ] || pkh_die "no $PKH_HANDOVER was read (pkernfs not mounted?)"
	if [ "$PKH_STAGE" = 1 ]; then
		pkh_expect_kexec_refusal "cannot be combined with -a" \
			kexec --live-update -a -l "$kernel" --initrd="$initrd" --append="$cmdline"
		pkh_expect_kexec_refusal "cannot be combined with -s" \
			kexec --live-update -s --handover-spec /tmp/pkh-kstate.json -l "$kernel" \
			--initrd="$initrd" --append="$cmdline"
		kexec --live-update -s --handover-out /tmp/pkh-file-dry.blob -l "$kernel" >&2 ||
			pkh_die "kexec --live-update -s --handover-out failed"
		cmp -s /tmp/pkh-file-dry.blob /tmp/pkh-kernel.blob ||
			pkh_die "the -s dry run wrote a blob other than $PKH_HANDOVER"
		echo "PKH-CHECK kexec-file dry-run SAME $(stat -c %s /tmp/pkh-file-dry.blob) bytes" >&2
	fi
	kblob=$(md5sum </tmp/pkh-kernel.blob | cut -d' ' -f1)
	# The previous kernel's pkh.kblob= came along in the command line.
	cmdline="$(printf '%s' "$cmdline" | sed 's/ *pkh\.kblob=[0-9a-f]*//g') pkh.kblob=$kblob"
	pkh_log "kexec --live-update -s -l $kernel --initrd=$initrd --append=\"$cmdline\""
	kexec --live-update -s -l "$kernel" --initrd="$initrd" --append="$cmdline" >&2 ||
		pkh_die "kexec --live-update -s -l failed (exit $?)"
	pkh_dmesg_has "live update: the kernel's $(stat -c %s /tmp/pkh-kernel.blob)-byte handover attached" ||
		pkh_die "kexec_file_load did not log the handover it attached"
	echo "PKH-KEXEC-FILE stage=$PKH_STAGE loaded, handover md5 $kblob" >&2
}

# pkh_check_kernel_handover: the blob the running kernel writes of its state
# ($PKH_HANDOVER, kernel/pkhandover/state.c) is byte for byte the one
# pkhandover build makes of $PKH_STATE.  Prints PKH-CHECK kernel-handover
# SAME and pkhandover diff's verdict; ends the scenario if they differ.  Does
# nothing while pkernfs is not mounted (both files then give ENODEV).
pkh_check_kernel_handover() {
	local kernel=/tmp/pkh-kernel.blob library=/tmp/pkh-library.blob diff rc
	cat "$PKH_STATE" >/tmp/pkh-kstate.json 2>/dev/null || return 0
	cat "$PKH_HANDOVER" >"$kernel" || pkh_die "reading $PKH_HANDOVER failed"
	[ "$(stat -c %a "$PKH_HANDOVER")" = 400 ] ||
		pkh_die "$PKH_HANDOVER has mode $(stat -c %a "$PKH_HANDOVER"), not 0400"
	pkhandover build /tmp/pkh-kstate.json -o "$library" >&2 ||
		pkh_die "pkhandover build of $PKH_STATE failed"
	# diff --json prints [] when the two are the same.
	diff=$(pkhandover diff --json "$library" "$kernel" 2>&1) && rc=0 || rc=$?
	pkh_log "pkhandover diff --json LIBRARY-BUILT KERNEL-BUILT: $(printf '%s' "$diff" | head -c 400) (exit $rc)"
	[ "$rc" = 0 ] || pkh_die "pkhandover diff finds the kernel-built handover different (exit $rc)"
	cmp -s "$kernel" "$library" ||
		pkh_die "$PKH_HANDOVER ($(stat -c %s "$kernel") bytes) differs from pkhandover build of $PKH_STATE ($(stat -c %s "$library") bytes)"
	echo "PKH-CHECK kernel-handover SAME stage=$PKH_STAGE $(stat -c %s "$kernel") bytes md5 $(md5sum <"$kernel" | cut -c1-8)" >&2
}

# pkh_kexec_exec: sync and jump to the loaded kernel.  Does not return when
# it works.  PKH-KEXEC-E is the mark the blackout benchmark times from.
pkh_kexec_exec() {
	sync
	pkh_log "kexec -e"
	# The TSC runs on across kexec: the IOMMU benchmark times from here.
	! command -v pkh-edu >/dev/null || echo "PKH-KEXEC-E-TSC $(pkh-edu tsc)" >&2
	echo "PKH-KEXEC-E stage=$PKH_STAGE" >&2
	kexec -e
	pkh_die "kexec -e returned (exit $?)"
}

# --- pkernfs and the handover (the kernel series) ---------------------------

# pkh_need_pkernfs: end the scenario with a clear failure when this kernel has
# no pkernfs (the kernel series is not applied).
pkh_need_pkernfs() {
	grep -qw "$PKH_FS_TYPE" /proc/filesystems ||
		pkh_die "this kernel has no $PKH_FS_TYPE (not built from kernel/linux and kernel/series?)"
	grep -q 'pkernfs=' /proc/cmdline ||
		pkh_die "no pkernfs= on the command line (scenario .conf PKH_APPEND)"
}

# pkh_mount [OPTS]: mount pkernfs on $PKH_MNT (OPTS e.g. $PKH_FS_FORMAT_OPT).
pkh_mount() {
	mkdir -p "$PKH_MNT"
	pkh_log "mount -t $PKH_FS_TYPE ${1:+-o $1 }none $PKH_MNT"
	mount -t "$PKH_FS_TYPE" ${1:+-o "$1"} none "$PKH_MNT"
}

# pkh_write_file NAME SEED BYTES: write pkh_pattern SEED BYTES to
# $PKH_MNT/NAME, sync, and print its md5sum (read back from the file).
pkh_write_file() {
	local f="$PKH_MNT/$1" tmp=/tmp/pkh-pattern.$$ want got
	pkh_pattern "$2" "$3" "$tmp"
	want=$(md5sum "$tmp" | cut -d' ' -f1)
	cat "$tmp" >"$f" || pkh_die "writing $f failed"
	rm -f "$tmp"
	sync
	got=$(md5sum "$f" | cut -d' ' -f1)
	[ "$got" = "$want" ] || pkh_die "$f reads back $got right after writing $want"
	echo "$want"
}

# pkh_check_file NAME MD5: print PKH-CHECK NAME MATCH|MISMATCH; 0 on a match.
pkh_check_file() {
	local f="$PKH_MNT/$1" got
	got=$(md5sum "$f" 2>/dev/null | cut -d' ' -f1)
	if [ -n "$2" ] && [ "$got" = "$2" ]; then
		echo "PKH-CHECK $1 MATCH md5=$got" >&2
		return 0
	fi
	echo "PKH-CHECK $1 MISMATCH expected=$2 got=${got:-unreadable}" >&2
	return 1
}

# pkh_state_spec FILE: copy the running kernel's handover state (JSON) to FILE.
pkh_state_spec() {
	[ -r "$PKH_STATE" ] || pkh_die "no $PKH_STATE"
	cat "$PKH_STATE" >"$1" || pkh_die "reading $PKH_STATE failed"
	[ -s "$1" ] || pkh_die "$PKH_STATE is empty"
}

# pkh_json_u64 KEY FILE: the first "KEY": value (number or "0x..." string) in
# a JSON file, as printed.
pkh_json_u64() {
	sed -n "s/.*\"$1\": *\"\{0,1\}\([0-9a-fA-Fx]*\)\"\{0,1\}.*/\1/p" "$2" | head -n 1
}

# pkh_received_generation: the generation of the blob this kernel received
# (pkhandover inspect --live --json); empty if none.
pkh_received_generation() {
	pkhandover inspect --live --json >/tmp/pkh-live.json 2>/tmp/pkh-live.err || return 1
	pkh_json_u64 generation /tmp/pkh-live.json
}

# pkh_dmesg_has TEXT: the kernel log has TEXT (fixed string).
pkh_dmesg_has() {
	dmesg | grep -qF -- "$1"
}

# pkh_dmesg_show PATTERN: copy the kernel log lines matching PATTERN (basic
# regex) to the console, prefixed, so that they are in the scenario log.
pkh_dmesg_show() {
	dmesg | grep -e "$1" | sed 's/^/PKH-DMESG: /' >&2 || true
}

# pkh_iomem_has TEXT: /proc/iomem names TEXT (e.g. pkernfs).
pkh_iomem_has() {
	grep -qiF -- "$1" /proc/iomem
}

# pkh_pattern SEED BYTES FILE: write BYTES deterministic bytes to FILE (a
# whole number of 4 KiB pages).  Each page is one line: its number (1, 2, ...,
# right-aligned in 6 columns) and a text naming SEED, so no two pages are
# alike and a lost, zeroed or swapped page changes the checksum.  Built by
# doubling a file and numbering it with nl: a busybox loop over lines or a
# seq | head pipe is ~5-10x slower under TCG.
pkh_pattern() {
	local seed="$1" bytes="$2" file="$3" text="pkhandover test pattern, seed $1. " n=1
	[ $((bytes % 4096)) -eq 0 ] && [ "$bytes" -gt 0 ] ||
		pkh_die "pkh_pattern: $bytes is not a positive multiple of 4096"
	while [ ${#text} -lt 4096 ]; do text="$text$text"; done
	# 6 digits + ' ' + 4088 + '\n' = 4096
	printf '%.4088s\n' "$text" >"$file.lines"
	while [ $((n * 4096)) -lt "$bytes" ]; do
		cat "$file.lines" "$file.lines" >"$file.tmp"
		mv "$file.tmp" "$file.lines"
		n=$((n * 2))
	done
	nl -b a -s ' ' "$file.lines" >"$file"
	rm -f "$file.lines"
	truncate -s "$bytes" "$file"
}

# pkh_pattern_sha256 SEED BYTES: the sha256 of pkh_pattern SEED BYTES.
pkh_pattern_sha256() {
	pkh_pattern "$1" "$2" /tmp/pkh-pattern.$$
	sha256sum /tmp/pkh-pattern.$$ | cut -d' ' -f1
	rm -f /tmp/pkh-pattern.$$
}

# pkh_sha256 FILE BYTES: sha256 of the first BYTES bytes of FILE, read with
# O_DIRECT (not from the page cache).
pkh_sha256() {
	dd if="$1" bs=1M count=$(($2 / 1048576)) iflag=direct 2>/dev/null |
		sha256sum | cut -d' ' -f1
}

# pkh_pmem_write DEV SEED BYTES: write pkh_pattern SEED BYTES to DEV with
# O_DIRECT, check it reads back, print its sha256.  BYTES: whole MiB.
pkh_pmem_write() {
	local dev="$1" seed="$2" bytes="$3" tmp=/tmp/pkh-pattern.$$ want got
	[ -b "$dev" ] || pkh_die "$dev does not exist (memmap=SIZE!START on the cmdline?)"
	[ $((bytes % 1048576)) -eq 0 ] || pkh_die "pkh_pmem_write: $bytes is not whole MiB"
	pkh_pattern "$seed" "$bytes" "$tmp"
	want=$(sha256sum "$tmp" | cut -d' ' -f1)
	dd if="$tmp" of="$dev" bs=1M oflag=direct conv=fsync 2>/dev/null ||
		pkh_die "writing $dev failed"
	rm -f "$tmp"
	sync
	got=$(pkh_sha256 "$dev" "$bytes")
	[ "$got" = "$want" ] || pkh_die "$dev reads back $got right after writing $want"
	echo "$want"
}

# pkh_pmem_check DEV BYTES EXPECTED: compare the first BYTES bytes of DEV with
# the sha256 EXPECTED; print PKH-CHECK DEV MATCH|MISMATCH and return 0 on a
# match, 1 on a mismatch.
pkh_pmem_check() {
	local dev="$1" bytes="$2" want="$3" got
	[ -b "$dev" ] || pkh_die "$dev does not exist (memmap=SIZE!START on the cmdline?)"
	got=$(pkh_sha256 "$dev" "$bytes")
	if [ -n "$want" ] && [ "$got" = "$want" ]; then
		echo "PKH-CHECK ${dev#/dev/} MATCH sha256=$got" >&2
		return 0
	fi
	echo "PKH-CHECK ${dev#/dev/} MISMATCH expected=$want got=$got" >&2
	return 1
}

# pkh_live_update KEY=VALUE...: kexec --live-update into $PKH_NEXT_KERNEL with
# the state of this kernel and exec it.  The spec is $PKH_STATE copied to
# /tmp/pkh-spec.json; without $PKH_STATE, kexec is asked to collect the state
# itself (no --handover-spec).  The next command line gets the KEY=VALUEs and
# pkh.gen=<the spec's generation>.  Does not return when it works.
pkh_live_update() {
	local spec=/tmp/pkh-spec.json gen=
	if [ -e "$PKH_STATE" ]; then
		pkh_state_spec "$spec"
		gen=$(pkh_json_u64 generation "$spec")
		pkh_log "state to hand over (generation ${gen:-?}): $(tr -d ' \n' <"$spec" | head -c 600)"
		if [ -n "${PKH_COLLECT:-}" ]; then
			pkh_log "kexec collects the state itself from $PKH_STATE"
			spec=
		fi
	else
		pkh_log "no $PKH_STATE: asking kexec to collect the state itself"
		spec=
	fi
	pkh_kexec_load_live "$spec" "$(pkh_next_cmdline "$@" ${gen:+pkh.gen=$gen})"
	pkh_kexec_exec
}

# pkh_check_received: in a kernel that was given a handover, check that it
# was accepted: the dmesg line, pkhandover validate/inspect --live (shown on
# the console), $PKH_RECEIVED, and the generation against pkh.gen.  Prints
# the received generation.
pkh_check_received() {
	local want gen
	pkh_dmesg_show 'pkhandover\|pkernfs'
	pkh_dmesg_has "$PKH_MSG_ACCEPTED" || pkh_die "dmesg lacks '$PKH_MSG_ACCEPTED'"
	! pkh_dmesg_has "$PKH_MSG_REJECTED" || pkh_die "dmesg has '$PKH_MSG_REJECTED'"
	pkhandover validate --live >&2 || pkh_die "pkhandover validate --live rejects what this kernel received"
	pkhandover inspect --live >/tmp/pkh-inspect.txt 2>&1 ||
		pkh_die "pkhandover inspect --live failed: $(cat /tmp/pkh-inspect.txt)"
	sed 's/^/PKH-INSPECT: /' /tmp/pkh-inspect.txt >&2
	if [ -e "$PKH_RECEIVED" ]; then
		[ "$(stat -c %a "$PKH_RECEIVED")" = 400 ] ||
			pkh_die "$PKH_RECEIVED has mode $(stat -c %a "$PKH_RECEIVED"), not 0400"
		pkhandover validate "$PKH_RECEIVED" >&2 || pkh_die "pkhandover validate rejects $PKH_RECEIVED"
	else
		pkh_die "no $PKH_RECEIVED"
	fi
	gen=$(pkh_received_generation) || pkh_die "pkhandover inspect --live --json failed: $(cat /tmp/pkh-live.err)"
	want=$(pkh_arg gen || true)
	[ -z "$want" ] || [ "$gen" = "$want" ] ||
		pkh_die "received generation $gen, but the old kernel's state said $want"
	# pkh.kexec=file: what arrived is the blob the old kernel built.
	want=$(pkh_arg kblob || true)
	if [ -n "$want" ]; then
		[ "$(md5sum <"$PKH_RECEIVED" | cut -d' ' -f1)" = "$want" ] ||
			pkh_die "$PKH_RECEIVED is not the blob the old kernel built (md5 $want)"
		echo "PKH-CHECK received the old kernel's own handover, md5 $want" >&2
	fi
	echo "$gen"
}

# --- corrupted blobs ------------------------------------------------------

# pkh_byte FILE OFFSET: the byte at OFFSET, as a decimal number.
pkh_byte() {
	dd if="$1" bs=1 skip="$2" count=1 2>/dev/null | od -An -tu1 | tr -d ' '
}

# pkh_poke FILE OFFSET VALUE: overwrite one byte (0..255) in place.
pkh_poke() {
	# shellcheck disable=SC2059
	printf "\\$(printf %03o "$3")" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# pkh_damage_blob KIND IN OUT: a damaged copy of a valid blob.
#   bitflip    one bit flipped in the middle of the FDT payload (CRC mismatch)
#   truncated  the last quarter cut off (shorter than header.total_size)
#   version    header abi_major (offset 4, le16) raised by one: a major
#              newer than any this series reads
pkh_damage_blob() {
	local size off b
	size=$(stat -c %s "$2")
	case "$1" in
	bitflip)
		off=$((32 + (size - 32) / 2))
		b=$(pkh_byte "$2" "$off")
		cp "$2" "$3"
		pkh_poke "$3" "$off" $((b ^ 0x10))
		pkh_log "bitflip: byte $off of $size: $b -> $((b ^ 0x10))"
		;;
	truncated)
		dd if="$2" of="$3" bs=$((size * 3 / 4)) count=1 2>/dev/null
		pkh_log "truncated: $size -> $(stat -c %s "$3") bytes"
		;;
	version)
		b=$(pkh_byte "$2" 4)
		cp "$2" "$3"
		pkh_poke "$3" 4 $((b + 1))
		pkh_poke "$3" 5 0
		pkh_log "version: abi_major $b -> $((b + 1))"
		;;
	*) pkh_die "pkh_damage_blob: unknown kind $1" ;;
	esac
	cmp -s "$2" "$3" && pkh_die "pkh_damage_blob $1 changed nothing"
	return 0
}

# pkh_kexec_load_blob BLOB CMDLINE: kexec -l $PKH_NEXT_KERNEL with BLOB attached
# as it is, through kexec-ext's test hook (PKH_KEXEC_TEST_RAW_BLOB): the
# only way to hand the next kernel a damaged blob.
pkh_kexec_load_blob() {
	local initrd
	initrd=$(pkh_next_initrd) || exit 1
	pkh_log "PKH_KEXEC_TEST_RAW_BLOB=$1 kexec --live-update -l $PKH_NEXT_KERNEL --initrd=$initrd --append=\"$2\""
	PKH_KEXEC_TEST_RAW_BLOB="$1" kexec --live-update -l "$PKH_NEXT_KERNEL" --initrd="$initrd" \
		--append="$2" >&2 || pkh_die "kexec --live-update with a raw blob failed (exit $?)"
}

# pkh_check_rejected WHAT: in a kernel that was given a bad handover (WHAT
# names it): it booted, logged the rejection and adopted nothing; the
# carve-out is still reserved (/proc/iomem); pkhandover validate --live
# rejects it too; vm0-ram (md5 pkh.expect=) is intact after a mount without
# format.
pkh_check_rejected() {
	pkh_dmesg_show 'pkhandover\|pkernfs'
	pkh_dmesg_has "$PKH_MSG_REJECTED" || pkh_die "dmesg lacks '$PKH_MSG_REJECTED'"
	! pkh_dmesg_has "$PKH_MSG_ACCEPTED" || pkh_die "dmesg has '$PKH_MSG_ACCEPTED'"
	pkh_iomem_has pkernfs || pkh_die "/proc/iomem does not show the carve-out after the rejection"
	grep -i pkernfs /proc/iomem | sed 's/^/PKH-IOMEM: /' >&2
	[ ! -e "$PKH_RECEIVED" ] || pkh_die "$PKH_RECEIVED exists although the handover was rejected"
	if pkhandover validate --live >&2; then
		pkh_log "note: pkhandover validate --live accepts the $1 blob (the kernel's extra rules rejected it)"
	fi
	pkh_mount || pkh_die "mount without format failed after the rejection"
	! pkh_dmesg_has "$PKH_MSG_ADOPTED" || pkh_die "pkernfs adopted a rejected handover"
	pkh_check_file vm0-ram "$(pkh_arg expect)" || pkh_die "vm0-ram changed"
}

# pkh_fdt_prop_offset BLOB NODE PROP: the byte offset in BLOB (a handover
# blob: the 32-byte header, then the FDT) of the value of property PROP of
# node NODE (a full path, e.g. /iommu/unit@0), found by walking the FDT's
# structure block; prints "OFFSET LENGTH".  Fails if there is no such
# property.  For editing a valid blob into one the encoder would refuse.
pkh_fdt_prop_offset() {
	od -An -v -tu1 "$1" | awk -v node="$2" -v prop="$3" '
	{ for (i = 1; i <= NF; i++) b[n++] = $i }
	function be32(o) { return ((b[o] * 256 + b[o + 1]) * 256 + b[o + 2]) * 256 + b[o + 3] }
	function str(o,  s) { s = ""; while (o < n && b[o] != 0) s = s sprintf("%c", b[o++]); return s }
	END {
		p = 32
		if (be32(p) != 3490578157) exit 2 # 0xd00dfeed
		o = p + be32(p + 8)
		strings = p + be32(p + 12)
		depth = 0
		while (o < n) {
			tok = be32(o)
			o += 4
			if (tok == 1) { # FDT_BEGIN_NODE
				name = str(o)
				o += int((length(name) + 1 + 3) / 4) * 4
				depth++
				path[depth] = (depth == 1) ? "" : path[depth - 1] "/" name
			} else if (tok == 2) { # FDT_END_NODE
				depth--
			} else if (tok == 3) { # FDT_PROP
				len = be32(o)
				nameoff = be32(o + 4)
				o += 8
				here = (path[depth] == "") ? "/" : path[depth]
				if (here == node && str(strings + nameoff) == prop) {
					print o, len
					found = 1
					exit 0
				}
				o += int((len + 3) / 4) * 4
			} else if (tok == 4) { # FDT_NOP
			} else {
				break # FDT_END, or garbage
			}
		}
		exit found ? 0 : 1
	}'
}

# pkh_blob_fix_crc BLOB: recompute the header's payload_crc32 (offset 16,
# le32: the CRC-32 of zlib over the bytes after the 32-byte header) after an
# edit of the payload, so that readers see the edit and not a bad CRC.
pkh_blob_fix_crc() {
	local crc
	crc=$(od -An -v -tu1 -j 32 "$1" | awk '
	BEGIN {
		for (i = 0; i < 256; i++) {
			c = i
			for (k = 0; k < 8; k++)
				c = and(c, 1) ? xor(rshift(c, 1), 3988292384) : rshift(c, 1) # 0xedb88320
			t[i] = c
		}
		crc = 4294967295
	}
	{ for (i = 1; i <= NF; i++) crc = xor(t[and(xor(crc, $i), 255)], rshift(crc, 8)) }
	END { printf "%.0f\n", xor(crc, 4294967295) }') || pkh_die "cannot compute the CRC of $1"
	pkh_poke "$1" 16 $((crc & 255))
	pkh_poke "$1" 17 $(((crc >> 8) & 255))
	pkh_poke "$1" 18 $(((crc >> 16) & 255))
	pkh_poke "$1" 19 $(((crc >> 24) & 255))
	pkh_log "$1: payload_crc32 now $(printf '0x%08x' "$crc")"
}

# pkh_corrupt_blob_scenario KIND: the whole corrupt-blob-KIND scenario.
#   stage 1: format, write vm0-ram, build the blob of $PKH_STATE with a dry
#            run, damage it (pkh_damage_blob KIND), check that pkhandover
#            validate rejects it, load it, kexec -e
#   stage 2: the kernel booted and logged the rejection; the carve-out is
#            still reserved (/proc/iomem); nothing was adopted; vm0-ram is
#            intact (mount without format)
pkh_corrupt_blob_scenario() {
	local kind="$1" bytes=16777216 sum spec=/tmp/pkh-spec.json
	case "$PKH_STAGE" in
	1)
		pkh_need_pkernfs
		pkh_mount "$PKH_FS_FORMAT_OPT" || pkh_die "mount -o $PKH_FS_FORMAT_OPT failed"
		sum=$(pkh_write_file vm0-ram 1 "$bytes") || exit 1
		pkh_state_spec "$spec"
		kexec --live-update --handover-spec "$spec" --handover-out /tmp/good.blob \
			-l "$PKH_NEXT_KERNEL" >&2 || pkh_die "the dry run failed"
		pkhandover validate /tmp/good.blob >&2 || pkh_die "the good blob does not validate"
		pkh_damage_blob "$kind" /tmp/good.blob /tmp/bad.blob
		if pkhandover validate /tmp/bad.blob >&2; then
			pkh_die "pkhandover validate accepts the $kind blob"
		fi
		pkh_kexec_load_blob /tmp/bad.blob "$(pkh_next_cmdline "pkh.expect=$sum")"
		pkh_kexec_exec
		;;
	2)
		pkh_check_rejected "$kind"
		if pkhandover validate --live >&2; then
			pkh_die "pkhandover validate --live accepts the $kind blob"
		fi
		pkh_pass "$kind blob rejected; carve-out reserved; vm0-ram intact"
		;;
	*)
		pkh_die "unexpected stage $PKH_STAGE"
		;;
	esac
}

# --- the demo (scenario demo-live-update, tests/vm/demo.sh) ---------------

# pkh_demo_mark NAME: a time mark in the kernel log, "pkh-demo: mark NAME",
# stamped by the printk clock.  With /usr/bin/pkh-tsc (make demo packs it)
# the line also carries the TSC, the clock that runs across kexec.
pkh_demo_mark() {
	if command -v pkh-tsc >/dev/null; then
		pkh-tsc mark "$1" >/dev/null && return 0
	fi
	echo "pkh-demo: mark $1" >/dev/kmsg
}

# pkh_demo_records INSPECT_TEXT BLOB: one line per thing the handover
# carries, "KEY|MD5|WHAT", from INSPECT_TEXT (`pkhandover inspect` of the
# state a kernel holds), except the first:
#   blob            md5 of the whole BLOB
#   region N        md5 of its line (base, size, kind, block, fs uuid)
#   file NAME       md5 of its bytes, read from $PKH_MNT/NAME (mounted)
#   iommu-unit N    md5 of its lines (unit, domains, their devices)
#   device BDF      md5 of its lines (ids, group, domain, flags, iova map)
#   iommu-units, devices   how many (the MD5 field holds the count)
# Data-driven: whatever the blob describes is listed, nothing is assumed.
pkh_demo_records() {
	local tab key what sum
	tab=$(printf '\t')
	awk '
	function begin(k, w) { key = k; print "K\t" k "\t" w }
	/^regions \(/ { s = "r"; next }
	/^iommu units \(/ { s = "u"; n = $3; gsub(/[()]/, "", n); print "N\tiommu-units\t" n; next }
	/^devices \(/ { s = "d"; n = $2; gsub(/[()]/, "", n); print "N\tdevices\t" n; next }
	s == "r" && /^  region / { begin("region " $2, $3 "  " $4 " " $5 "  " $6); print "B\t" key "\t" $0; next }
	s == "r" && /^    file "/ {
		name = $0; sub(/^    file "/, "", name); sub(/".*/, "", name)
		rest = $0; sub(/^.*"  inode [0-9]+  /, "", rest); sub(/ in .*/, "", rest)
		sub(/  /, ", ", rest)
		begin("file " name, rest); next
	}
	s == "r" && /^      / { next }
	s == "r" && / in files$/ { next }
	s == "u" && /^  unit / { begin("iommu-unit " $2, $3 "  " $5); print "B\t" key "\t" $0; next }
	s == "u" && /^    / { print "B\t" key "\t" $0; next }
	s == "d" && /^  [^ ]/ { begin("device " $1, $2 "  group " $6); print "B\t" key "\t" $0; next }
	s == "d" && /^    / { print "B\t" key "\t" $0; next }
	' "$1" >/tmp/pkh-demo.lines || pkh_die "cannot read $1"
	echo "blob|$(md5sum <"$2" | cut -d' ' -f1)|$(stat -c %s "$2") bytes, generation $(pkhandover inspect "$2" |
		sed -n 's/.*  generation \([0-9]*\) .*/\1/p')"
	grep "^K$tab" /tmp/pkh-demo.lines | while IFS="$tab" read -r _ key what; do
		case "$key" in
		file\ *)
			sum=$(md5sum "$PKH_MNT/${key#file }" 2>/dev/null | cut -d' ' -f1)
			what="$what, data"
			;;
		*)
			sum=$(awk -F"$tab" -v k="$key" '$1 == "B" && $2 == k { print $3 }' \
				/tmp/pkh-demo.lines | md5sum | cut -d' ' -f1)
			;;
		esac
		echo "$key|${sum:-unreadable}|$what"
	done
	grep "^N$tab" /tmp/pkh-demo.lines | while IFS="$tab" read -r _ key sum; do
		echo "$key|$sum|carried"
	done
}

# pkh_demo_compare OLD NEW: join two pkh_demo_records outputs by KEY and
# print one "PKH-DEMO-ROW KEY|WHAT|OLD|NEW|MATCH or DIFFER" line per key (a
# key missing on one side is "-" there, a DIFFER).  0 when all match.
pkh_demo_compare() {
	awk -F'|' '
	NR == FNR { if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } old[$1] = $2; what[$1] = $3; next }
	{ if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } new[$1] = $2; what[$1] = $3 }
	END {
		bad = 0
		for (i = 1; i <= n; i++) {
			k = order[i]
			o = (k in old) ? old[k] : "-"
			w = (k in new) ? new[k] : "-"
			v = (o == w && o != "-" && o != "unreadable") ? "MATCH" : "DIFFER"
			if (v != "MATCH")
				bad++
			print "PKH-DEMO-ROW " k "|" what[k] "|" o "|" w "|" v
		}
		exit bad != 0
	}' "$1" "$2" >&2
}

# pkh_demo_page_md5 FILE OFFSET: the md5 of the 4 KiB page at OFFSET of FILE.
pkh_demo_page_md5() {
	local sum
	sum=$(dd if="$1" bs=4096 skip=$(($2 / 4096)) count=1 2>/dev/null | md5sum | cut -d' ' -f1)
	# (d41d8cd9...: the md5 of nothing)
	[ "$sum" != d41d8cd98f00b204e9800998ecf8427e ] || pkh_die "cannot read $1 +$2"
	echo "$sum"
}

# pkh_demo_row KEY WHAT OLD NEW VERDICT: a row of the demo's table that is
# not a record of the blob (a DMA, a replace); VERDICT is a word (landed,
# replaced) when it went as it should, in capitals when not.
pkh_demo_row() {
	echo "PKH-DEMO-ROW $1|$2|$3|$4|$5" >&2
}

# --- the edu device and pkh-edu (the IOMMU scenarios) -----------------------

# pkh_edu_bdf: the BDF of the (only) edu device, 1234:11e8.
pkh_edu_bdf() {
	local d
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] &&
			{ basename "$d"; return 0; }
	done
	return 1
}

# pkh_edu_check FILE OFFSET PATTERN WHAT [DMALEN]: pkh-edu pattern-check of
# one page of FILE (with DMALEN: the pattern in its first DMALEN bytes,
# zeroes after, which is what an edu DMA of DMALEN bytes into a zeroed page
# leaves).  Dies naming WHAT when it does not hold.
pkh_edu_check() {
	local rc=0
	pkh-edu pattern-check --file "$1" --offset "$2" --pattern "$3" ${5:+--dma-len "$5"} || rc=$?
	case $rc in
	0) ;;
	1) pkh_die "$4: $(basename "$1") +$2 does not hold pattern $3" ;;
	*) pkh_die "pkh-edu pattern-check failed (exit $rc)" ;;
	esac
}

# pkh_edu_vmm OUT ARGS...: run "pkh-edu ARGS... --hold" in the background,
# as a VMM that keeps its fds through the kexec, and wait for its READY.
# Its output goes to OUT (and to the console); dies if it exits first.
pkh_edu_vmm() {
	local out="$1" vmm n=0 rc
	shift
	pkh-edu "$@" --hold >"$out" 2>&1 &
	vmm=$!
	until grep -q '^pkh-edu: READY' "$out"; do
		if ! kill -0 $vmm 2>/dev/null; then
			rc=0
			wait $vmm || rc=$?
			cat "$out" >&2
			pkh_die "pkh-edu $1 exited ($rc) before READY: $(grep -E 'ERROR|FAIL' "$out" | head -n 1)"
		fi
		n=$((n + 1))
		[ $n -le 240 ] || { cat "$out" >&2; pkh_die "pkh-edu $1: no READY after 120 s"; }
		sleep 0.5
	done
	cat "$out" >&2
}

# pkh_iommu_restore_freezable BDF: after a live update, a new VMM takes the
# adopted device over: pkh-edu vmm-restore --replace (DMA to vm0-ram page 2
# must hold pattern 1) holding in the background (output in
# /tmp/pkh-restore.out), ready to freeze its own HWPT into iommu-tables on
# SIGUSR1 (pkh_edu_freeze_now); waits until the replaced frozen tables went
# back to pkernfs (frozen-table-pages 0), which the next freeze reuses.
pkh_iommu_restore_freezable() {
	pkh_edu_vmm /tmp/pkh-restore.out vmm-restore --bdf "$1" --file "$PKH_MNT/vm0-ram" \
		--iova $PKH_IOVA --len $PKH_IOVA_LEN --expect-pattern 1 --replace \
		--freeze-on-usr1 "$PKH_MNT/iommu-tables"
	grep -qx 'frozen-table-pages 0' $PKH_IOMMU_STATUS ||
		{ pkh_dmesg_wait "frozen page-table pages back to pkernfs" &&
			grep -qx 'frozen-table-pages 0' $PKH_IOMMU_STATUS; } ||
		pkh_die "frozen table pages are left after the replace"
}

# pkh_edu_freeze_now OUT: the pkh-edu holding in the background (started
# with --freeze-on-usr1, output in OUT) freezes its HWPT on SIGUSR1, as a
# VMM told of a live update would; waits up to 60 s for its "freeze ...: ok".
pkh_edu_freeze_now() {
	local out="$1" n=0
	killall -USR1 pkh-edu || pkh_die "cannot signal pkh-edu"
	until grep -q '^pkh-edu: freeze .*: ok$' "$out"; do
		! grep -q '^pkh-edu: FAIL freeze' "$out" || pkh_die "$(grep '^pkh-edu: FAIL freeze' "$out")"
		n=$((n + 1))
		[ $n -le 120 ] || pkh_die "pkh-edu did not freeze within 60 s"
		sleep 0.5
	done
	grep '^pkh-edu: freeze ' "$out" >&2
}

# pkh_edu_kill9: SIGKILL to the pkh-edu holding in the background (a VMM
# crashing), and wait up to 10 s until it is gone and its files released.
pkh_edu_kill9() {
	local n=0
	killall -9 pkh-edu || pkh_die "no pkh-edu to kill"
	while pidof pkh-edu >/dev/null; do
		n=$((n + 1))
		[ $n -le 50 ] || pkh_die "pkh-edu still runs 10 s after kill -9"
		sleep 0.2
	done
	pkh_log "pkh-edu (the VMM) killed with SIGKILL"
}

# pkh_dmesg_wait TEXT: wait up to 10 s for TEXT in dmesg (DMAR faults are
# logged from an interrupt, after the DMA).  Returns 1 if it never came.
pkh_dmesg_wait() {
	local n=0
	until pkh_dmesg_has "$1"; do
		n=$((n + 1))
		[ $n -le 20 ] || return 1
		sleep 0.5
	done
}

# The IOMMU live-update scenarios: vm0-ram mapped at PKH_IOVA for the edu
# device, its page tables frozen into the pkernfs file iommu-tables.
PKH_IOVA=0x100000
PKH_IOVA_LEN=0x200000
PKH_IOMMU_STATUS=/sys/kernel/pkhandover/iommu

# pkh_iommu_freeze BDF: stage 1 of the IOMMU live-update scenarios.  Formats
# pkernfs, then pkh_iommu_freeze_file BDF vm0-ram.
pkh_iommu_freeze() {
	pkh_need_pkernfs
	pkh_mount "$PKH_FS_FORMAT_OPT" || pkh_die "mount -o $PKH_FS_FORMAT_OPT failed"
	pkh_iommu_freeze_file "$1" vm0-ram
}

# pkh_iommu_make_files NAME: in the mounted pkernfs, creates NAME (2 MiB,
# zero: guest RAM) and iommu-tables (one 2 MiB block, for frozen tables).
pkh_iommu_make_files() {
	local ram="$PKH_MNT/$1" tables="$PKH_MNT/iommu-tables"
	dd if=/dev/zero of="$ram" bs=1M count=2 2>/dev/null || pkh_die "cannot create $ram"
	dd if=/dev/zero of="$tables" bs=1M count=2 2>/dev/null || pkh_die "cannot create $tables"
}

# pkh_iommu_fresh: pkernfs formatted and mounted, with vm0-ram and
# iommu-tables made (pkh_iommu_make_files), nothing frozen yet.
pkh_iommu_fresh() {
	pkh_need_pkernfs
	pkh_mount "$PKH_FS_FORMAT_OPT" || pkh_die "mount -o $PKH_FS_FORMAT_OPT failed"
	pkh_iommu_make_files vm0-ram
}

# pkh_iommu_freeze_file BDF NAME: in the mounted pkernfs, creates NAME (2 MiB,
# zero) and iommu-tables (one 2 MiB block), runs pkh-edu vmm-setup --freeze
# iommu-tables in the background with NAME mapped at PKH_IOVA (it proves a
# DMA lands: page 0 -> edu buffer -> page 1, leaves the edu buffer holding
# pattern 1 and page 2 zero, then freezes the device's HWPT with the
# iommufd ioctl IOMMU_HWPT_FREEZE and holds its fds; its output is
# /tmp/pkh-edu.out), and checks what the freeze
# promises: the status shows the device frozen, the frozen tables cannot be
# written, NAME cannot be removed.
pkh_iommu_freeze_file() {
	local bdf="$1" name="$2" ram="$PKH_MNT/$2" tables="$PKH_MNT/iommu-tables"
	pkh_iommu_make_files "$name"
	pkh_log "edu at $bdf; pkh-edu vmm-setup --freeze iommu-tables in the background"
	pkh_edu_vmm /tmp/pkh-edu.out vmm-setup --bdf "$bdf" --file "$ram" \
		--iova $PKH_IOVA --len $PKH_IOVA_LEN --fill-pattern 1 --freeze "$tables"
	sed 's/^/PKH-IOMMU: /' $PKH_IOMMU_STATUS >&2
	grep -q "^device $bdf .* frozen$" $PKH_IOMMU_STATUS ||
		pkh_die "$PKH_IOMMU_STATUS does not show $bdf frozen"
	pkh_edu_check "$ram" 0x1000 1 "the DMA through the HWPT" 4095
	pkh_edu_check "$ram" 0x2000 0 "before the kexec"
	! (echo x >>"$tables") 2>/dev/null || pkh_die "the frozen tables could be written"
	! rm "$ram" 2>/dev/null || pkh_die "$name, which the device DMAs into, could be removed"
	! truncate -s 0 "$ram" 2>/dev/null || pkh_die "$name, which the device DMAs into, could be truncated"
	pkh_log "frozen: iommu-tables read-only, $name cannot be removed or truncated"
}

# pkh_iommu_live_update [--tamper SED-SCRIPT] KEY=VALUE...: hand the frozen
# state over with kexec --live-update and exec it (with PKH_COLLECT set and
# no --tamper, kexec reads the state itself).  With --tamper, the spec
# read from $PKH_STATE is edited with the sed script first: a blob that is
# valid but lies about the IOMMU state.
pkh_iommu_live_update() {
	local spec=/tmp/pkh-spec.json gen
	pkh_state_spec "$spec"
	if [ "${1:-}" = --tamper ]; then
		cp "$spec" /tmp/pkh-spec.orig
		sed -i -e "$2" "$spec"
		cmp -s "$spec" /tmp/pkh-spec.orig && pkh_die "the tampering changed nothing"
		pkh_log "the spec, tampered with: $2"
		shift 2
	fi
	grep -q '"iommu"' "$spec" || pkh_die "the state to hand over has no iommu"
	gen=$(pkh_json_u64 generation "$spec")
	pkh_log "state to hand over (generation $gen): $(tr -d ' \n' <"$spec" | head -c 1500)"
	if [ -n "${PKH_COLLECT:-}" ] && ! [ -e /tmp/pkh-spec.orig ]; then
		pkh_log "kexec collects the state itself from $PKH_STATE"
		spec=
	fi
	pkh_kexec_load_live "$spec" "$(pkh_next_cmdline "$@" pkh.gen=$gen)"
	pkh_kexec_exec
}

# pkh_iommu_raw_dma BDF IOVA: in a new kernel, before any re-setup, have the
# edu device copy its buffer to IOVA, without VFIO and without touching
# bus-master.  Dies unless bus-master is still on.
pkh_iommu_raw_dma() {
	pkh-edu raw-dma --bdf "$1" --to-ram "$2" >/tmp/pkh-raw.out 2>&1 ||
		{ cat /tmp/pkh-raw.out >&2; pkh_die "pkh-edu raw-dma failed"; }
	cat /tmp/pkh-raw.out >&2
	grep -q 'bus-master on' /tmp/pkh-raw.out ||
		pkh_die "bus-master did not survive the live update"
}

# pkh_iommu_expect_blocked BDF: in a new kernel that must not have trusted
# the handed-over IOMMU state of BDF: the edu DMA to IOVA 0x102000 (the
# device still has bus-master: the old kernel kept it) faults in the IOMMU
# and changes nothing in vm0-ram.
pkh_iommu_expect_blocked() {
	local bdf="$1" ram="$PKH_MNT/vm0-ram" fault
	fault="Request device [${1#0000:}] fault addr 0x102000"
	sed 's/^/PKH-IOMMU: /' $PKH_IOMMU_STATUS >&2
	! grep -q "^device $bdf .* adopted$" $PKH_IOMMU_STATUS ||
		pkh_die "$PKH_IOMMU_STATUS shows $bdf adopted"
	pkh_edu_check "$ram" 0x2000 0 "before the DMA"
	pkh_iommu_raw_dma "$bdf" 0x102000
	pkh_dmesg_wait "$fault" || pkh_die "no DMAR fault for the DMA to IOVA 0x102000"
	pkh_dmesg_show 'DMAR: \[DMA'
	pkh_edu_check "$ram" 0x2000 0 "the blocked DMA to IOVA 0x102000 landed"
	pkh_edu_check "$ram" 0x0 1 "after the blocked DMA"
	pkh_edu_check "$ram" 0x1000 1 "after the blocked DMA" 4095
}

# pkh_iommu_tampered_scenario SED-SCRIPT WHY PASS-TEXT: the whole of a
# scenario whose valid handover lies about the edu device's IOMMU state.
# Stage 1 freezes and hands over the state edited with SED-SCRIPT; stage 2
# needs the blob accepted, "BDF blocked: WHY..." in dmesg, and the device
# blocked (pkh_iommu_expect_blocked).
pkh_iommu_tampered_scenario() {
	local bdf
	bdf=$(pkh_edu_bdf) || pkh_die "no edu device (1234:11e8): PKH_QEMU_ARGS lacks -device edu?"
	case "$PKH_STAGE" in
	1)
		pkh_iommu_freeze "$bdf"
		pkh_iommu_live_update --tamper "$1"
		;;
	2)
		pkh_check_received >/dev/null || exit 1
		pkh_dmesg_show 'pkhandover: iommu'
		pkh_dmesg_has "$bdf blocked: $2" || pkh_die "dmesg does not say why $bdf is blocked"
		pkh_mount || pkh_die "mount without format failed"
		pkh_iommu_expect_blocked "$bdf"
		pkh_pass "$3"
		;;
	*)
		pkh_die "unexpected stage $PKH_STAGE"
		;;
	esac
}

# --- a real VMM: QEMU running pkh-guest with its RAM in pkernfs (pkh-vmm) ---

PKH_VMM_RUN=/vmm/run

# pkh_vmm_ram_state FILE: the guest's own state block read from its RAM file
# (struct guest_state at 0x10000 in tests/vm/vmm-guest/pkh-guest.c):
# "magic=0x.. boots=N seed=0x.. sum=0x.. reports=N counter=0x.."
pkh_vmm_ram_state() {
	# shellcheck disable=SC2046
	set -- $(od -An -tx4 -j 65536 -N 40 "$1")
	[ $# -eq 10 ] || { echo "unreadable"; return 1; }
	echo "magic=0x$1 boots=$((0x$2)) seed=0x$3 sum=0x$4 reports=$((0x$6)) counter=0x${10}$9"
}

# pkh_field KEY TEXT: the value of KEY=VALUE in TEXT.
pkh_field() {
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1
}

# pkh_vmm_start_fresh NAME [pkh-vmm start options]: the first stage of
# every VMM scenario: format pkernfs, build the chroot, start the guest and
# let it report twice.  Prints its last report.
pkh_vmm_start_fresh() {
	local name=$1
	shift
	pkh_need_pkernfs
	pkh_mount "$PKH_FS_FORMAT_OPT" || pkh_die "mount -o $PKH_FS_FORMAT_OPT failed"
	pkh-vmm setup || pkh_die "pkh-vmm setup failed"
	pkh-vmm start "$name" "$@" || pkh_die "pkh-vmm start $name failed"
	pkh-vmm wait-reports "$name" 2 || pkh_die "the guest does not report"
}

# pkh_vmm_save_and_update NAME [KEY=VALUE...]: save the VM (pkh-vmm save),
# record its guest's state and its RAM file's md5 for the next kernel, and
# live-update into it (kexec collects the state).  Does not return.
pkh_vmm_save_and_update() {
	local name=$1 st md5 ram
	shift
	pkh-vmm save "$name" || pkh_die "pkh-vmm save $name failed"
	ram=$(sed -n 's/.*ram=\([^ ]*\).*/\1/p' "$PKH_MNT/$name.vmm")
	st=$(pkh_vmm_ram_state "/vmm$ram") || pkh_die "cannot read the guest's state from /vmm$ram"
	md5=$(md5sum "/vmm$ram" | cut -d' ' -f1)
	pkh_log "$name paused and saved; guest state in its RAM: $st; RAM md5 $md5"
	echo "PKH-VMM-BEFORE $name $st" >&2
	PKH_COLLECT=1 pkh_live_update "pkh.ram=$md5" "pkh.counter=$(pkh_field counter "$st")" \
		"pkh.reports=$(pkh_field reports "$st")" "pkh.seed=$(pkh_field seed "$st")" \
		"pkh.sum=$(pkh_field sum "$st")" "$@"
}

# pkh_vmm_first_report NAME: the guest's first report since its console log
# was started (by pkh-vmm start, or by the restore in a new kernel).
pkh_vmm_first_report() {
	grep -aE '^PKH-GUEST report=.* end$' "$PKH_VMM_RUN/$1.console" | head -n 1
}

# pkh_vmm_check_continued NAME: after a restore, the guest's reports show
# that it continued: the first one's number is the saved one plus one, its
# counter is at least the value saved in its RAM (the guest may have been
# paused inside that very report) and the next report's is higher; boots=1,
# the seed and checksum it chose are the same and its memory matches the
# checksum.  Waits for the second report.  Prints PKH-VMM-AFTER; returns 1
# with the reason on stderr otherwise.
pkh_vmm_check_continued() {
	local name=$1 first second r c
	pkh-vmm wait-reports "$name" 1 >/dev/null || return 1
	first=$(pkh_vmm_first_report "$name")
	echo "PKH-VMM-AFTER $name $first" >&2
	! grep -aq '^PKH-GUEST restarted' "$PKH_VMM_RUN/$name.console" ||
		{ pkh_log "$name: the guest started again instead of continuing"; return 1; }
	case "$first" in
	*state=LOST*) pkh_log "$name: the guest's state block is gone: its RAM did not survive"; return 1 ;;
	esac
	r=$(pkh_field report "$first")
	[ "$r" = $(($(pkh_arg reports) + 1)) ] ||
		{ pkh_log "$name: report $r, expected $(($(pkh_arg reports) + 1))"; return 1; }
	c=$(pkh_field counter "$first")
	[ $((c)) -ge $(($(pkh_arg counter))) ] ||
		{ pkh_log "$name: counter $c went back from $(pkh_arg counter)"; return 1; }
	[ "$(pkh_field boots "$first")" = 1 ] || { pkh_log "$name: boots is not 1"; return 1; }
	[ "$(pkh_field seed "$first")" = "$(pkh_arg seed)" ] &&
		[ "$(pkh_field sum "$first")" = "$(pkh_arg sum)" ] ||
		{ pkh_log "$name: seed or checksum differs from the saved guest's"; return 1; }
	[ "$(pkh_field memory "$first")" = intact ] ||
		{ pkh_log "$name: the guest finds its memory changed"; return 1; }
	second=$(pkh-vmm wait-reports "$name" 1) || return 1
	echo "PKH-VMM-AFTER $name $second" >&2
	[ $(($(pkh_field counter "$second"))) -gt $((c)) ] &&
		[ "$(pkh_field memory "$second")" = intact ] ||
		{ pkh_log "$name: the next report does not go on: $second"; return 1; }
	pkh_log "$name continued: counter $(pkh_arg counter) at the pause -> $c -> $(pkh_field counter "$second"), reports $r, $(pkh_field report "$second"), boots 1, memory intact"
}

# pkh_vmm_resume NAME: in the kernel after a live update: the handover was
# accepted, pkernfs adopts it, the RAM file has the md5 it had at the
# pause, QEMU restores the VM from the state file and the guest continues.
pkh_vmm_resume() {
	local name=$1 gen
	gen=$(pkh_check_received) || exit 1
	pkh_mount || pkh_die "mount without format failed after the live update"
	grep -q 'pkernfs=adopted' /sys/kernel/pkhandover/status ||
		pkh_die "pkernfs did not adopt the handover: $(cat /sys/kernel/pkhandover/status)"
	pkh_check_file "$name-ram" "$(pkh_arg ram)" || pkh_die "$name-ram changed across the live update"
	pkh-vmm setup || pkh_die "pkh-vmm setup failed"
	pkh-vmm restore "$name" || pkh_die "pkh-vmm restore $name failed"
	pkh_vmm_check_continued "$name" || pkh_die "the restored guest did not continue (generation $gen)"
}
