#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Replays the fuzz corpus (tests/fuzz/corpus) and every fixture through both
# readers via their command-line faces: each input must get a verdict
# (exit 0 or 1), never a crash or hang.  `make fuzz` grows the corpus.
set -u
srcdir=${top_srcdir:-..}
builddir=${top_builddir:-.}
suffix=
[ "${SANITIZED_TESTS:-no}" = yes ] && suffix=-asan
status=0 count=0
for input in "$srcdir"/tests/fuzz/corpus/*; do
	[ -f "$input" ] || continue
	count=$((count + 1))
	for tool in "tools/pkhandover$suffix validate" "tests/tools/kparse$suffix"; do
		# shellcheck disable=SC2086
		timeout 20 "$builddir"/$tool "$input" >/dev/null 2>&1
		rc=$?
		if [ $rc -gt 1 ]; then
			echo "FAIL: $tool $input exited $rc"
			status=1
		fi
	done
done
echo "replayed $count inputs through pkhandover validate and kparse"
[ $count -gt 0 ] || status=1
exit $status
