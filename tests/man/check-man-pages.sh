#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Every man page the project installs renders without a single warning:
#   MANWIDTH=80 man --warnings -l PAGE     (man-db, all of groff's warnings)
#   groff -man -ww -z PAGE                 (the same through groff directly)
# and has the sections a reader looks for.  Pages: pkhandover(8), pkernfs(7),
# and the patched kexec(8) when kexec is built ($KEXEC_MAN from make check).
set -uo pipefail

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
pages=("$top_srcdir/tools/pkhandover.8" "$top_srcdir/docs/pkernfs.7")
[ -n "${KEXEC_MAN:-}" ] && pages+=("$KEXEC_MAN")

for tool in man groff; do
	command -v $tool >/dev/null || { echo "FAIL: $tool not found (Debian packages man-db and groff-base)"; exit 1; }
done

failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

for page in "${pages[@]}"; do
	name=$(basename "$page")
	[ -f "$page" ] || { fail "$name: $page does not exist"; continue; }
	out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null)
	[ -z "$out" ] || fail "$name: man --warnings: $out"
	out=$(LC_ALL=C.UTF-8 groff -man -ww -z -Tutf8 "$page" 2>&1)
	[ -z "$out" ] || fail "$name: groff -ww: $out"
	# Nothing runs past 80 columns (a sign of an unbreakable line).
	long=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -E ascii -l "$page" 2>/dev/null | col -bx | awk 'length > 80' | head -3)
	[ -z "$long" ] || fail "$name: lines over 80 columns: $long"
	text=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -E UTF-8 -l "$page" 2>/dev/null | col -bx)
	sections=(NAME SYNOPSIS DESCRIPTION)
	# kexec(8) is kexec-tools' own page, which has no SEE ALSO.
	[ "$page" = "${KEXEC_MAN:-}" ] || sections+=("SEE ALSO")
	for section in "${sections[@]}"; do
		grep -qx "$section" <<<"$text" || fail "$name: no $section section"
	done
	echo "ok: $name"
done

# pkhandover(8): every subcommand and option of pkhandover --help, the exit
# codes, examples.
text=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -E UTF-8 -l "$top_srcdir/tools/pkhandover.8" 2>/dev/null | col -bx)
for section in COMMANDS OPTIONS "EXIT STATUS" EXAMPLES; do
	grep -qx "$section" <<<"$text" || fail "pkhandover.8: no $section section"
done
for cmd in example build validate inspect diff; do
	grep -Eq "^       $cmd( |$)" <<<"$text" || fail "pkhandover.8: subcommand $cmd is not described under COMMANDS"
done
for opt in --help --version --output --live --setup-data-dir --fdt --received --ram --reserved --json; do
	grep -q -- "$opt" <<<"$text" || fail "pkhandover.8: option $opt is missing"
done
status=$(sed -n '/^EXIT STATUS$/,/^[A-Z]/p' <<<"$text")
for code in 0 1 2; do
	grep -Eq "^       $code +[A-Z]" <<<"$status" || fail "pkhandover.8: exit status $code is not described"
done

# pkernfs(7): the flow and the messages it promises.
text=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -E UTF-8 -l "$top_srcdir/docs/pkernfs.7" 2>/dev/null | col -bx)
for s in 'pkernfs=size@addr' 'mount -t pkernfs -o format none' 'kexec --live-update -l' 'systemctl kexec' \
	'/sys/kernel/pkhandover/status' '/sys/kernel/pkhandover/state' '/sys/kernel/pkhandover/received' \
	'pkhandover: handover rejected: where: why (CODE)' 'LINUX_REBOOT_CMD_KEXEC'; do
	grep -qF -- "$s" <<<"$text" || fail "pkernfs.7: does not say '$s'"
done

# The patched kexec(8) documents the live-update options.
if [ -n "${KEXEC_MAN:-}" ]; then
	text=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -E UTF-8 -l "$KEXEC_MAN" 2>/dev/null | col -bx)
	for opt in --live-update --handover-spec --handover-out; do
		grep -q -- "$opt" <<<"$text" || fail "kexec.8: option $opt is missing"
	done
fi

[ $failed -eq 0 ] || { echo "$failed failures"; exit 1; }
echo "all ${#pages[@]} man pages render without warnings"
