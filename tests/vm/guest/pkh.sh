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
# Files in the initramfs:
#   /sbin/kexec         the kexec under test (and its libraries)
#   /boot/bzImage       the kernel to kexec into (only in the outer archive,
#                       i.e. in stage 1)
#   /boot/inner.cpio    the initramfs for it: this tree without /boot

PKH_RESULT_FILE=/tmp/pkh-result
PKH_NEXT_KERNEL=/boot/bzImage
PKH_NEXT_INITRD=/boot/inner.cpio

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

# pkh_kexec_load CMDLINE [KERNEL [INITRD]]: kexec -l the next kernel.
pkh_kexec_load() {
	local cmdline="$1" kernel="${2:-$PKH_NEXT_KERNEL}" initrd="${3:-$PKH_NEXT_INITRD}"
	[ -f "$kernel" ] || pkh_die "no kernel to kexec at $kernel"
	[ -f "$initrd" ] || pkh_die "no initrd to kexec at $initrd"
	pkh_log "kexec -l $kernel --initrd=$initrd --append=\"$cmdline\""
	kexec -l "$kernel" --initrd="$initrd" --append="$cmdline" ||
		pkh_die "kexec -l failed (exit $?)"
}

# pkh_kexec_exec: sync and jump to the loaded kernel.  Does not return when
# it works.
pkh_kexec_exec() {
	sync
	pkh_log "kexec -e"
	kexec -e
	pkh_die "kexec -e returned (exit $?)"
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
