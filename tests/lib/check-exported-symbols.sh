#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# libpkhandover.so exports what <pkhandover/handover.hpp> marks PKH_API and
# nothing else: its dynamic symbols, demangled and sorted, are exactly
# tests/lib/exported-symbols.txt.  A symbol added to the API goes into that
# list (and into debian/libpkhandover0.symbols) on purpose; a helper, a
# pkh::detail function or template code that leaks fails here.  Run by
# make check.
#
# Regenerate the list after an intended API change:
#   PKH_UPDATE_SYMBOLS=yes tests/lib/check-exported-symbols.sh
set -euo pipefail

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
expected=$top_srcdir/tests/lib/exported-symbols.txt
library=$top_builddir/handover/.libs/libpkhandover.so

if [ ! -e "$library" ]; then
	echo "SKIP: $library not built (configure --disable-shared?)"
	exit 77
fi
for tool in nm c++filt; do
	command -v "$tool" >/dev/null || { echo "FAIL: $tool not found (Debian package binutils)"; exit 1; }
done

# "T name@@VERSION" for each defined dynamic symbol; the version node itself
# is an absolute symbol of its own name.
actual=$(nm --dynamic --defined-only "$library" | awk '{ $1 = ""; $2 = ""; sub(/^ +/, ""); print }' |
	c++filt | LC_ALL=C sort)

if [ "${PKH_UPDATE_SYMBOLS:-no}" = yes ]; then
	{
		echo "# The dynamic symbols of libpkhandover.so, demangled and sorted"
		echo "# (tests/lib/check-exported-symbols.sh; PKH_UPDATE_SYMBOLS=yes rewrites it)."
		printf '%s\n' "$actual"
	} >"$expected"
	echo "wrote $expected: $(printf '%s\n' "$actual" | wc -l) symbols"
	exit 0
fi

want=$(grep -v '^#' "$expected" | LC_ALL=C sort)
if [ "$actual" != "$want" ]; then
	echo "FAIL: libpkhandover.so exports a different symbol list than $expected"
	diff -u <(printf '%s\n' "$want") <(printf '%s\n' "$actual") | sed -n '3,$p' || true
	echo "(+ exported but not listed, - listed but not exported; an intended API change updates the"
	echo " list and debian/libpkhandover0.symbols)"
	exit 1
fi
count=$(printf '%s\n' "$actual" | wc -l)
echo "ok: libpkhandover.so exports the $count listed symbols"
for forbidden in 'pkh::detail::' 'pkh::util::' 'pkh::schema::' 'encode_unchecked' 'human_size' 'nlohmann' 'fmt::'; do
	if grep -qF -- "$forbidden" <<<"$actual"; then
		echo "FAIL: an internal symbol ($forbidden) is exported"
		exit 1
	fi
done
echo "ok: no internal symbol (pkh::detail, pkh::util, pkh::schema, nlohmann, fmt) is exported"
