#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# 12,000 mutants of a golden blob through both readers in process (and under
# ASan+UBSan when built), then a sample through the pkhandover CLI, which
# must answer each with exit 0 or 1: never a crash, a hang or exit 2.
set -u
builddir=${top_builddir:-.}
status=0
run() {
	echo "== $*"
	timeout 600 "$@" || { echo "FAIL: $* (exit $?)"; status=1; }
}
run "$builddir/tests/tools/mutate" --count 12000
if [ "${SANITIZED_TESTS:-no}" = yes ]; then
	run "$builddir/tests/tools/mutate-asan" --count 12000 --seed 7
fi

sample=$(mktemp -d)
trap 'rm -rf "$sample"' EXIT
"$builddir/tests/tools/mutate" --count 400 --seed 99 --write-sample "$sample" 400 >/dev/null
cli="$builddir/tools/pkhandover"
[ "${SANITIZED_TESTS:-no}" = yes ] && cli="$builddir/tools/pkhandover-asan"
valid=0 invalid=0
for blob in "$sample"/*.blob; do
	timeout 20 "$cli" validate "$blob" >/dev/null 2>"$sample/stderr"
	rc=$?
	case $rc in
	0) valid=$((valid + 1)) ;;
	1) invalid=$((invalid + 1))
	   grep -q '(' "$sample/stderr" || { echo "FAIL: $blob: no error code in: $(cat "$sample/stderr")"; status=1; } ;;
	*) echo "FAIL: $cli validate $blob exited $rc: $(head -3 "$sample/stderr")"; status=1 ;;
	esac
done
echo "CLI sample: $valid valid, $invalid invalid (exit 1), of 400"
exit $status
