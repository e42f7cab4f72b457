#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Make a test-only key pair for signing kernel images (RSA-2048, SHA-256,
# PEM), for the VM tests' Secure Boot scenario:
#
#   scripts/make-test-signing-key.sh KEY CERT 'COMMON NAME'
#
# The self-signed certificate has the key usage of the kernel's own
# module-signing key (certs/default_x509.genkey: not a CA, digital
# signature) plus code signing.  Both files are mode 0600 and are written
# under temporary names first, so a failure never leaves half a pair.  The
# private key is not protected: never use it for a real host.
set -euo pipefail

if [ $# -ne 3 ]; then
	echo "usage: scripts/make-test-signing-key.sh KEY CERT 'COMMON NAME'" >&2
	exit 2
fi
key=$1 cert=$2 name=$3
command -v openssl >/dev/null || {
	echo "make-test-signing-key.sh: ERROR: openssl is not installed (scripts/setup-vm.sh)" >&2
	exit 1
}
mkdir -p "$(dirname "$key")" "$(dirname "$cert")"
umask 077
if ! out=$(openssl req -new -x509 -nodes -newkey rsa:2048 -sha256 -days 36500 \
	-subj "/CN=$name/" \
	-addext basicConstraints=critical,CA:FALSE -addext keyUsage=digitalSignature \
	-addext extendedKeyUsage=codeSigning \
	-keyout "$key.tmp" -out "$cert.tmp" 2>&1); then
	echo "$out" >&2
	rm -f "$key.tmp" "$cert.tmp"
	echo "make-test-signing-key.sh: ERROR: openssl could not make the key pair $key, $cert" >&2
	exit 1
fi
mv "$key.tmp" "$key"
mv "$cert.tmp" "$cert"
