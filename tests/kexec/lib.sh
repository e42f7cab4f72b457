# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash disable=SC2034
# Shared by tests/kexec/*.sh: locating the binaries, and the check helpers.
# Each check prints "PASS name" or "FAIL name" with the evidence; the
# script ends with finish, which prints "N passed, N failed" and sets the
# exit status (77, automake's SKIP, when nothing could run).

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# make check runs the tests from the top build directory; by hand, the
# build directory of scripts/setup.sh.
if [ -z "${builddir:-}" ]; then
	if [ -f "$PWD/config.status" ]; then
		builddir=$PWD
	else
		builddir=$top/build
	fi
fi

KEXEC=${KEXEC:-$builddir/kexec-out/sbin/kexec}
KEXEC_PLAIN=${KEXEC_PLAIN:-$builddir/kexec-out/plain/sbin/kexec}
KEXEC_ARM64=${KEXEC_ARM64:-$builddir/kexec-out/arm64/sbin/kexec}
TESTTOOL=${TESTTOOL:-$builddir/tests/kexec/pkh-kexec-testtool}
PKHANDOVER=${PKHANDOVER:-$builddir/tools/pkhandover}
DATA=$top/tests/kexec/data

passed=0
failed=0
skipped=0

scratch=$(mktemp -d "${TMPDIR:-/tmp}/pkh-kexec-test.XXXXXX")
chmod 755 "$scratch"
trap 'rm -rf "$scratch"' EXIT

pass() {
	echo "PASS $1"
	passed=$((passed + 1))
}

fail() {
	echo "FAIL $1"
	shift
	for line in "$@"; do
		echo "     $line"
	done
	failed=$((failed + 1))
}

skip() {
	echo "SKIP $1: $2"
	skipped=$((skipped + 1))
}

# run NAME: runs the rest of the line, capturing exit status, stdout and
# stderr in $rc, $scratch/out and $scratch/err.
run() {
	set +e
	"$@" >"$scratch/out" 2>"$scratch/err"
	rc=$?
	set -e
}

# expect_refusal NAME PATTERN COMMAND...: the command must fail and say
# PATTERN (an extended regex) on stderr.
expect_refusal() {
	local name=$1 pattern=$2
	shift 2
	run "$@"
	if [ "$rc" -ne 0 ] && grep -Eq -- "$pattern" "$scratch/err"; then
		pass "$name"
	else
		fail "$name" "exit $rc, wanted non-zero and stderr matching: $pattern" \
			"stderr: $(head -c 600 "$scratch/err")"
	fi
}

# expect_success NAME COMMAND...
expect_success() {
	local name=$1
	shift
	run "$@"
	if [ "$rc" -eq 0 ]; then
		pass "$name"
	else
		fail "$name" "exit $rc" "stderr: $(head -c 600 "$scratch/err")"
	fi
}

need() {
	local what=$1 path=$2
	if [ ! -x "$path" ]; then
		echo "SKIP: $what not found at $path"
		return 1
	fi
}

finish() {
	echo "$passed passed, $failed failed, $skipped skipped"
	if [ "$failed" -gt 0 ]; then
		exit 1
	fi
	if [ "$passed" -eq 0 ]; then
		exit 77
	fi
	exit 0
}
