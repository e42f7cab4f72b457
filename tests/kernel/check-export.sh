#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Check the exported kernel series (scripts/export-kernel-series.sh):
#
#   tests/kernel/check-export.sh [--prefix-builds | --only-prefix-builds]
#                                [--no-build-kernel]
#
#   - the kernel's ABI headers are the library's, and kernel/series only
#     changes upstream files;
#   - it applies with git am to a clean 6.12.95 tree;
#   - the result is the tree scripts/build-kernel.sh builds (kernel/linux/
#     over 6.12.95 plus kernel/series/), file for file (diff -r);
#   - checkpatch.pl --strict, run from that tree on each exported patch,
#     finds no more errors, warnings and checks in all than
#     tests/kernel/checkpatch-baseline.txt allows;
#   - with --prefix-builds: every prefix of the series builds (tinyconfig +
#     kernel/config/pkhandover-vm.config, bzImage), incrementally in one
#     object tree with ccache.  The last prefix is the tree build-kernel.sh
#     builds, so it goes first (ccache hits from that build), then each
#     shorter prefix rebuilds only what changed.  --only-prefix-builds
#     does only that, on the export an earlier run left (scripts/test.sh
#     runs it next to the VM tests, with JOBS=1).
#
# One PASS/FAIL line per check; exit 1 if any failed.  Work directory:
# build/kernel-export (the export's clean tree, branch "check", obj/);
# logs in build/kernel-export/logs.  --no-build-kernel compares with
# build/linux/src as it is instead of bringing it up to date first.
#
# Environment: JOBS=N (make -j N, default nproc).
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
prefix_builds=0
build_kernel=1
for arg in "$@"; do
	case "$arg" in
	--prefix-builds) prefix_builds=1 ;;
	--only-prefix-builds) prefix_builds=only ;;
	--no-build-kernel) build_kernel=0 ;;
	*) echo "check-export.sh: unknown argument $arg" >&2; exit 2 ;;
	esac
done

W=$top/build/kernel-export
OUT=$W/out
LOGS=$W/logs
KB=$top/build/linux
BASELINE=$top/tests/kernel/checkpatch-baseline.txt
JOBS=${JOBS:-$(nproc)}
mkdir -p "$LOGS"

failed=0
pass() { echo "PASS kernel-export: $*"; }
fail() { echo "FAIL kernel-export: $*"; failed=1; }
g() { git --git-dir="$W/git" --work-tree="$W/src" -c advice.detachedHead=false "$@"; }
export GIT_COMMITTER_NAME="pkhandover developers" GIT_COMMITTER_EMAIL="pkhandover@localhost"
export GIT_COMMITTER_DATE="Wed, 2 Dec 2026 12:00:00 +0000"
start=$SECONDS

# ---------------------------------------------------------------------------
# Every prefix of "${patches[@]}" builds: longest first, in one object tree.
build_prefixes() {
	if command -v ccache >/dev/null; then
		CC="ccache gcc"
		# The same layout as build-kernel.sh's BUILD_DIR: src/ and obj/.
		export CCACHE_BASEDIR=$W
	else
		CC=gcc
	fi
	export KBUILD_BUILD_USER=pkhandover KBUILD_BUILD_HOST=pkh-vm
	kmake() { make -C "$W/src" O="$W/obj" ARCH=x86_64 CC="$CC" "$@"; }
	# The fragment names the test signing key relative to obj/ (../signing):
	# the same pair build-kernel.sh made for build/linux.
	if [ ! -s "$W/signing/pkh-kexec-test.crt" ] ||
		! cmp -s "$KB/signing/pkh-kexec-test.crt" "$W/signing/pkh-kexec-test.crt"; then
		mkdir -p "$W/signing"
		cp "$KB/signing/pkh-kexec-test.crt" "$KB/signing/pkh-kexec-test.key" "$W/signing/" ||
			{ fail "prefix builds: no test signing key in $KB/signing (run scripts/build-kernel.sh)"; return; }
	fi
	n=${#patches[@]}
	tip=$(g rev-parse HEAD)
	for ((k = n; k >= 1; k--)); do
		t0=$SECONDS
		log=$LOGS/prefix-$k.log
		g checkout -q -f "$tip~$((n - k))" && g clean -q -fd
		{
			mkdir -p "$W/obj"
			kmake -s tinyconfig &&
				(cd "$W/src" && ARCH=x86_64 CC="$CC" scripts/kconfig/merge_config.sh -m -O "$W/obj" \
					"$W/obj/.config" "$top/kernel/config/pkhandover-vm.config") &&
				kmake -s olddefconfig &&
				kmake -j"$JOBS" bzImage
		} >"$log" 2>&1
		status=$?
		what="prefix $k/$n ($(g log -1 --format=%s HEAD | cut -c1-50)) builds ($((SECONDS - t0)) s)"
		if [ $status -eq 0 ]; then
			pass "$what"
		else
			grep -E 'error|Error' "$log" | head -20
			fail "$what; log: $log"
		fi
	done
	g checkout -q -f check
}

if [ "$prefix_builds" = only ]; then
	mapfile -t patches < <(find "$OUT" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' | LC_ALL=C sort)
	if [ "${#patches[@]}" -eq 0 ] || ! g rev-parse -q --verify check >/dev/null; then
		fail "prefix builds: no export to build (run tests/kernel/check-export.sh first)"
		exit 1
	fi
	g checkout -q -f check
	build_prefixes
	echo "check-export.sh: $((SECONDS - start)) s" >&2
	exit $failed
fi

# ---------------------------------------------------------------------------
# One copy of everything: the kernel's ABI headers are the library's (a
# symlink in a checkout, the same bytes in a tarball), and no patch of
# kernel/series creates a file (new files live in kernel/linux/ only).
for h in abi.h errors.h; do
	k=$top/kernel/linux/include/linux/pkhandover/$h
	l=$top/handover/include/pkhandover/$h
	if { [ -L "$k" ] && [ "$(readlink -f "$k")" = "$(readlink -f "$l")" ]; } ||
		{ [ ! -L "$k" ] && cmp -s "$k" "$l"; }; then
		pass "kernel/linux/include/linux/pkhandover/$h is handover/include/pkhandover/$h"
	else
		fail "kernel/linux/include/linux/pkhandover/$h is handover/include/pkhandover/$h"
	fi
done
if created=$(grep -l '^new file mode' "$top"/kernel/series/*.patch); then
	fail "kernel/series creates no files (new files belong in kernel/linux): $created"
else
	pass "kernel/series changes only upstream files"
fi

# ---------------------------------------------------------------------------
# The export, and the tree build-kernel.sh builds.
if ! "$top/scripts/export-kernel-series.sh" --work "$W" "$OUT" >"$LOGS/export.log" 2>&1; then
	tail -20 "$LOGS/export.log"
	fail "the series exports (scripts/export-kernel-series.sh)"
	exit 1
fi
mapfile -t patches < <(find "$OUT" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' | LC_ALL=C sort)
pass "the series exports: ${#patches[@]} patches, $(cat "${patches[@]}" | wc -l) lines"

if [ "$build_kernel" = 1 ]; then
	if ! "$top/scripts/build-kernel.sh" "$KB" >"$LOGS/build-kernel.log" 2>&1; then
		tail -20 "$LOGS/build-kernel.log"
		fail "scripts/build-kernel.sh builds the kernel to compare with"
	fi
fi

# ---------------------------------------------------------------------------
# git am onto a clean 6.12.95: git apply takes no fuzz, so every hunk's
# context matches exactly.
g checkout -q -f -B check v6.12.95 && g clean -q -fdx
if g am -q --whitespace=nowarn "${patches[@]}" >"$LOGS/am.log" 2>&1; then
	pass "the export applies with git am to a clean 6.12.95 tree"
else
	cat "$LOGS/am.log"
	g am --abort >/dev/null 2>&1
	fail "the export applies with git am to a clean 6.12.95 tree"
	exit 1
fi

if diff -r -q "$W/src" "$KB/src" >"$LOGS/diff.log" 2>&1; then
	pass "the exported tree is the one scripts/build-kernel.sh builds (diff -r)"
else
	head -20 "$LOGS/diff.log"
	fail "the exported tree is the one scripts/build-kernel.sh builds (diff -r)"
fi

# ---------------------------------------------------------------------------
# checkpatch --strict, from inside the tree, against the baseline.
declare -A total=([ERROR]=0 [WARNING]=0 [CHECK]=0)
: >"$LOGS/checkpatch.log"
for p in "${patches[@]}"; do
	# spdxcheck.py needs python3-ply; without it checkpatch only skips
	# that check, and says so on stderr.
	(cd "$W/src" && ./scripts/checkpatch.pl --strict --terse --show-types "$p" 2>/dev/null) >"$LOGS/cp.one"
	grep -E '^[^ ]+:[0-9]+: (ERROR|WARNING|CHECK):' "$LOGS/cp.one" | sed "s|^|${p##*/}: |" >>"$LOGS/checkpatch.log"
	# --terse prints nothing at all for a clean patch.
	sum=$(grep '^total:' "$LOGS/cp.one" || echo "total: 0 errors, 0 warnings, 0 checks")
	echo "  ${p##*/}: $sum"
	for t in ERROR WARNING CHECK; do
		total[$t]=$((total[$t] + $(grep -cE "^[^ ]+:[0-9]+: $t:" "$LOGS/cp.one")))
	done
done
rm -f "$LOGS/cp.one"
allowed() { sed -n "s/^$1[[:space:]]\+\([0-9]\+\).*/\1/p" "$BASELINE"; }
verdict="${total[ERROR]} errors, ${total[WARNING]} warnings, ${total[CHECK]} checks"
limit="$(allowed errors) errors, $(allowed warnings) warnings, $(allowed checks) checks"
if [ "${total[ERROR]}" -le "$(allowed errors)" ] && [ "${total[WARNING]}" -le "$(allowed warnings)" ] &&
	[ "${total[CHECK]}" -le "$(allowed checks)" ]; then
	pass "checkpatch --strict: $verdict (baseline: $limit)"
else
	sed 's/^/  /' "$LOGS/checkpatch.log"
	fail "checkpatch --strict: $verdict, more than the baseline ($limit)"
fi

if [ "$prefix_builds" = 1 ]; then
	build_prefixes
fi

echo "check-export.sh: $((SECONDS - start)) s" >&2
exit $failed
