#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Tests the Debian packages scripts/build-debs.sh built into build/deb/:
# lintian reports no error; each package holds what it should; installed
# with dpkg into a scratch root (dpkg --root, its own database), the
# installed files work: `pkhandover example | pkhandover build - -o x`, the
# installed libpkhandover.pc builds and links tests/pkgconfig/consumer.cpp,
# the man pages render without warnings, the bash completion completes, and
# kexec-pkh makes a --live-update dry run.  Run from the installed root with
# LD_LIBRARY_PATH set to its library directory (the machine is not touched).
# Prints one PASS/FAIL line per check and "N passed, N failed".
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${PKH_BUILD:-$top/build}
debs=${PKH_DEB_DIR:-$build/deb}
passed=0
failed=0
pass() { echo "PASS packaging: $1"; passed=$((passed + 1)); }
fail() {
	echo "FAIL packaging: $1"
	shift
	for line in "$@"; do echo "    $line"; done
	failed=$((failed + 1))
}
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

version=$(sed -n 's/^PACKAGE_VERSION = //p' "$build/Makefile" 2>/dev/null)
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
packages=(pkhandover libpkhandover0 libpkhandover-dev kexec-tools-pkhandover)
debfiles=()
missing=()
for p in "${packages[@]}"; do
	f=$debs/${p}_${version}_${arch}.deb
	if [ -f "$f" ]; then debfiles+=("$f"); else missing+=("$f"); fi
done
if [ ${#missing[@]} -eq 0 ]; then
	pass "dpkg-buildpackage built the four packages ${packages[*]} $version"
else
	fail "dpkg-buildpackage built the four packages" "missing: ${missing[*]}" \
		"build them with scripts/build-debs.sh (scripts/setup.sh does)"
	finish
fi

# ---------------------------------------------------------------- lintian
changes=$debs/pkhandover_${version}_${arch}.changes
if command -v lintian >/dev/null; then
	lintian --fail-on error --no-tag-display-limit "$changes" >"$debs/lintian.log" 2>&1
	rc=$?
	errors=$(grep -c '^E: ' "$debs/lintian.log")
	warnings=$(grep -c '^W: ' "$debs/lintian.log")
	if [ $rc -eq 0 ] && [ "$errors" -eq 0 ]; then
		pass "lintian: 0 errors, $warnings warnings (build/deb/lintian.log)"
	else
		fail "lintian: $errors errors (exit $rc)" "$(grep '^E: ' "$debs/lintian.log")"
	fi
else
	fail "lintian" "lintian not found (Debian package lintian)"
fi

# ------------------------------------------------------- package contents
contents() { dpkg-deb -c "$1" | awk '{ print $6 }' | sed 's|^\./|/|'; }
check_contents() { # PACKAGE FILE...
	local p=$1 list absent=()
	shift
	list=$(contents "$debs/${p}_${version}_${arch}.deb")
	for f in "$@"; do grep -qxF "$f" <<<"$list" || absent+=("$f"); done
	if [ ${#absent[@]} -eq 0 ]; then
		pass "$p holds $*"
	else
		fail "$p holds what it should" "missing: ${absent[*]}"
	fi
}
check_contents pkhandover /usr/bin/pkhandover /usr/share/man/man8/pkhandover.8.gz \
	/usr/share/man/man7/pkernfs.7.gz /usr/share/bash-completion/completions/pkhandover
check_contents libpkhandover0 /usr/lib/$multiarch/libpkhandover.so.0 /usr/lib/$multiarch/libpkhandover.so.0.0.0
check_contents libpkhandover-dev /usr/include/pkhandover/abi.h /usr/include/pkhandover/errors.h \
	/usr/include/pkhandover/handover.hpp /usr/lib/$multiarch/libpkhandover.so \
	/usr/lib/$multiarch/pkgconfig/libpkhandover.pc
check_contents kexec-tools-pkhandover /usr/sbin/kexec-pkh /usr/share/man/man8/kexec-pkh.8.gz
# Beside Debian's kexec-tools, never over it.
if contents "$debs/kexec-tools-pkhandover_${version}_${arch}.deb" | grep -qE '/sbin/kexec$|/man8/kexec\.8'; then
	fail "kexec-tools-pkhandover leaves /sbin/kexec and kexec(8) to kexec-tools"
else
	pass "kexec-tools-pkhandover leaves /sbin/kexec and kexec(8) to kexec-tools"
fi

# ------------------------------------------ install into a scratch root
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
: >"$root/var/lib/dpkg/status"
# Dependencies (libc6, libfmt9, ...) are the machine's; the scratch database
# does not have them, and the maintainer scripts do not run in a chroot.
if dpkg --root="$root" --force-depends --force-script-chrootless --log=/dev/null \
	-i "${debfiles[@]}" >"$debs/dpkg-install.log" 2>&1; then
	status=$(dpkg-query --root="$root" -W -f='${Package} ${Status}\n' "${packages[@]}" | sort)
	want=$(printf '%s install ok installed\n' "${packages[@]}" | sort)
	if [ "$status" = "$want" ]; then
		pass "dpkg --root installs the four packages together"
	else
		fail "dpkg --root installs the four packages together" "$status"
	fi
else
	fail "dpkg --root installs the four packages together" "$(tail -5 "$debs/dpkg-install.log")"
fi

export LD_LIBRARY_PATH=$root/usr/lib/$multiarch
pkh=$root/usr/bin/pkhandover
lib=$(ldd "$pkh" 2>/dev/null | awk '$1 ~ /^libpkhandover\.so/ { print $3 }')
if [ -n "$lib" ] && [ "$(realpath "$lib")" = "$(realpath "$root/usr/lib/$multiarch/libpkhandover.so.0")" ]; then
	pass "the installed pkhandover loads the installed libpkhandover.so.0"
else
	fail "the installed pkhandover loads the installed libpkhandover.so.0" "ldd: $lib"
fi

work=$root/tmp/work
mkdir -p "$work"
if "$pkh" example | "$pkh" build - -o "$work/x" &&
	out=$("$pkh" validate "$work/x") &&
	[ "$out" = "$work/x: valid: ABI 3.0, generation 1, 2 regions (4 metadata ranges), 2 files, 1 iommu units, 2 domains, 3 devices (3 iova ranges), 1886 bytes" ] &&
	cmp -s "$work/x" <("$build/tools/pkhandover" example | "$build/tools/pkhandover" build - -o -); then
	pass "installed: pkhandover example | pkhandover build - -o x; validate x; same bytes as ./build's"
else
	fail "installed: pkhandover example | pkhandover build - -o x" "validate: ${out:-}"
fi
v=$("$pkh" --version 2>&1)
if [ "$v" = "pkhandover $version (handover ABI 3.0)" ]; then
	pass "installed: pkhandover --version says $v"
else
	fail "installed: pkhandover --version" "got: $v"
fi

if out=$(PKH_WANT_VERSION=$version "$top/tests/pkgconfig/test-consumer.sh" "$root" 2>&1); then
	pass "installed libpkhandover.pc: consumer.cpp builds with pkg-config alone and runs"
else
	fail "installed libpkhandover.pc: consumer.cpp builds with pkg-config alone and runs" "$out"
fi

man_out=
for page in usr/share/man/man8/pkhandover.8.gz usr/share/man/man7/pkernfs.7.gz usr/share/man/man8/kexec-pkh.8.gz; do
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$root/$page" 2>&1 >/dev/null)
	[ -z "$w" ] || man_out+="$page: $w"$'\n'
	LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$root/$page" 2>/dev/null | grep -q . || man_out+="$page: renders empty"$'\n'
done
if [ -z "$man_out" ]; then
	pass "installed man pages pkhandover(8), pkernfs(7), kexec-pkh(8) render without warnings"
else
	fail "installed man pages render without warnings" "$man_out"
fi
name=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$root/usr/share/man/man8/kexec-pkh.8.gz" 2>/dev/null | col -bx | sed -n '/^NAME/{n;p}' | sed 's/^ *//')
if [ "$name" = "kexec-pkh - directly boot into a new kernel" ]; then
	pass "kexec-pkh(8) is named kexec-pkh"
else
	fail "kexec-pkh(8) is named kexec-pkh" "NAME: $name"
fi

if out=$(PKHANDOVER=$pkh COMPLETION=$root/usr/share/bash-completion/completions/pkhandover \
	"$top/tests/completion/test-completion.sh" 2>&1); then
	pass "installed bash completion completes pkhandover's subcommands and options"
else
	fail "installed bash completion" "$(grep FAIL <<<"$out" | head -5)"
fi

# kexec-pkh: a dry run of --live-update against a kernel image that declares
# support gives the same blob as pkhandover build; one that does not is refused.
kexec=$root/usr/sbin/kexec-pkh
testtool=$build/tests/kexec/pkh-kexec-testtool
spec=$top/tests/kexec/data/handover-spec.json
if [ -x "$testtool" ]; then
	"$testtool" make-bzimage "$work/declares.bzImage" 1 2 >/dev/null
	"$testtool" make-bzimage "$work/silent.bzImage" >/dev/null
	"$pkh" build "$spec" -o "$work/expected.blob"
	if "$kexec" --live-update --handover-spec "$spec" --handover-out "$work/dry.blob" \
		-l "$work/declares.bzImage" >"$work/kexec.out" 2>&1 && cmp -s "$work/dry.blob" "$work/expected.blob"; then
		pass "installed kexec-pkh --live-update --handover-out: the blob pkhandover build makes"
	else
		fail "installed kexec-pkh --live-update --handover-out" "$(cat "$work/kexec.out")"
	fi
	if ! "$kexec" --live-update --handover-spec "$spec" --handover-out "$work/no.blob" \
		-l "$work/silent.bzImage" >"$work/kexec.out" 2>&1 && [ ! -e "$work/no.blob" ] &&
		grep -q '^kexec: --live-update: ' "$work/kexec.out"; then
		pass "installed kexec-pkh refuses a kernel that does not declare support"
	else
		fail "installed kexec-pkh refuses a kernel that does not declare support" "$(cat "$work/kexec.out")"
	fi
else
	fail "installed kexec-pkh dry run" "no $testtool (make -C build check builds it)"
fi

finish
