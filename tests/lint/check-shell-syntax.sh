#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Every shell script of the project parses: `bash -n` on each *.sh and on
# each file whose first line is a bash or sh shebang, under the project's
# own directories (not build trees, not the kernel sources).  Many scripts
# run only inside a VM or under `make demo`, where a quoting slip (an
# apostrophe inside a single-quoted awk program) would otherwise go
# unnoticed until someone runs them.
#
# One FAIL line per script that does not parse; exit 1 if any.
set -uo pipefail

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top_srcdir" || exit 2

dirs=()
for dir in .ci scripts tests tools kexec-ext kernel debian handover; do
	[ -d "$dir" ] && dirs+=("$dir")
done

checked=0
failed=0
while IFS= read -r -d '' file; do
	case "$file" in
	*.sh) ;;
	*)
		IFS= read -r first <"$file" 2>/dev/null || continue
		case "$first" in
		'#!/bin/bash'* | '#!/usr/bin/env bash'* | '#!/bin/sh'*) ;;
		*) continue ;;
		esac
		;;
	esac
	checked=$((checked + 1))
	if ! out=$(bash -n "$file" 2>&1); then
		echo "FAIL: $file does not parse: $out"
		failed=$((failed + 1))
	fi
done < <(find "${dirs[@]}" -path kernel/linux -prune -o -path tests/fuzz/corpus -prune -o \
	-path tests/data -prune -o -type f -print0 | sort -z)

if [ "$checked" -eq 0 ]; then
	echo "FAIL: no shell scripts found under $top_srcdir"
	exit 1
fi
echo "$checked shell scripts checked, $failed do not parse"
[ "$failed" -eq 0 ]
