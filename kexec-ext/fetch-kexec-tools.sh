#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Fetch the pinned kexec-tools source (Debian bookworm's source package) and
# unpack it, Debian patches applied, into DEST (default build/kexec-tools-src).
#
#   kexec-ext/fetch-kexec-tools.sh [DEST]
#
# Idempotent: when DEST already holds the pinned version it does nothing.
# Adding the deb-src entry and running apt-get update need root; when the
# source package is already in the apt cache directory (DEST/../) or the
# entry exists, a non-root run works too.
#
# Decision on Debian's patches: they are applied (dpkg-source -x does that
# by default).  They are what bookworm ships as /sbin/kexec; none of them
# touches the option table, the x86 setup_data chain or arm64's dtb code in
# a way our series depends on, and pinning "the Debian package" rather than
# "upstream tarball + nothing" keeps one definition of the pinned source.
# The version is checked exactly so that a bookworm point release with a
# new Debian revision is reported instead of silently used.
set -euo pipefail

pinned_upstream=2.0.25
# Debian version of bookworm's kexec-tools the series was made against; a
# different Debian revision is accepted with a warning as long as the
# upstream version matches.
pinned_debian=1:2.0.25-3+deb12u3

top=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-$top/build/kexec-tools-src}
stamp=$dest/.pkh-fetched

if [ -f "$stamp" ] && grep -qx "upstream=$pinned_upstream" "$stamp"; then
	echo "fetch-kexec-tools: $dest already holds kexec-tools $pinned_upstream"
	exit 0
fi

have_deb_src() {
	grep -rqsE '^[[:space:]]*(Types:.*deb-src|deb-src[[:space:]])' \
		/etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null
}

if ! have_deb_src; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "fetch-kexec-tools: no deb-src entry in apt's sources and not root;" \
			"run this once as root (it adds /etc/apt/sources.list.d/pkhandover-src.sources)" >&2
		exit 2
	fi
	cat >/etc/apt/sources.list.d/pkhandover-src.sources <<'EOF'
# Added by pkhandover's kexec-ext/fetch-kexec-tools.sh: the pinned
# kexec-tools is Debian bookworm's source package.
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
	apt-get update -q
fi

work=$(dirname "$dest")
mkdir -p "$work"
dl=$work/kexec-tools-dl
mkdir -p "$dl"
# apt downloads as its sandbox user when that user may write there.
if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then
	chown _apt "$dl"
fi
cd "$dl"

if ! ls kexec-tools_"$pinned_upstream"*.dsc >/dev/null 2>&1; then
	# --download-only: unpack below with dpkg-source so that the
	# destination directory name is ours.
	if ! apt-get source --download-only -q "kexec-tools=$pinned_upstream*" 2>/dev/null; then
		if [ "$(id -u)" -eq 0 ]; then
			apt-get update -q
		fi
		apt-get source --download-only -q kexec-tools
	fi
fi

dsc=$(ls kexec-tools_"$pinned_upstream"*.dsc 2>/dev/null | head -n1 || true)
if [ -z "$dsc" ]; then
	echo "fetch-kexec-tools: apt did not provide kexec-tools $pinned_upstream;" \
		"got: $(ls kexec-tools_*.dsc 2>/dev/null | tr '\n' ' ')" >&2
	exit 1
fi
version=$(sed -n 's/^Version: //p' "$dsc")
if [ "$version" != "$pinned_debian" ]; then
	echo "fetch-kexec-tools: warning: got Debian version $version, the" \
		"series was made against $pinned_debian" >&2
fi

rm -rf "$dest"
# dpkg-source -x applies debian/patches (quilt 3.0 format).  apt already
# checked the files against the signed Sources index; the .dsc's own
# signature would need debian-keyring, so dpkg-source's warning about it
# is kept in the log only.
if ! dpkg-source --no-copy -x "$dsc" "$dest" >"$work/dpkg-source.log" 2>&1; then
	cat "$work/dpkg-source.log" >&2
	echo "fetch-kexec-tools: dpkg-source -x $dsc failed" >&2
	exit 1
fi
{
	echo "upstream=$pinned_upstream"
	echo "debian=$version"
	echo "debian-patches=applied"
} >"$stamp"
echo "fetch-kexec-tools: unpacked kexec-tools $version into $dest"
