#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make demo: one live update in QEMU, told for a person.  Boots the patched
# kernel with a pkernfs carve-out, writes a guest RAM file, runs
# `kexec --live-update`, and shows what the new kernel received and kept.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
"$top/tests/vm/run-vm-tests.sh" live-update-preserves-file >/tmp/pkh-demo.out 2>&1
status=$?
log="$top/build/vm-logs/live-update-preserves-file.log"
old=$(sed -n '/^PKH-BOOT stage=1/,/^PKH-KEXEC-E/p' "$log")
new=$(sed -n '/^PKH-BOOT stage=2/,$p' "$log")
echo "== old kernel: create guest RAM in pkernfs, hand it over"
grep -E '^PKH: (mount|wrote|kexec)' <<<"$old" | sed 's/^PKH: /  /'
echo "== new kernel: early boot"
grep -E '^PKH-DMESG: .*(pkernfs: carve-out|pkhandover: handover)' <<<"$new" | sed 's/^PKH-DMESG: /  /'
echo "== new kernel: what it received (pkhandover inspect --live)"
grep '^PKH-INSPECT:' <<<"$new" | sed 's/^PKH-INSPECT: /  /'
echo "== new kernel: the same file, the same bytes"
grep -E '^PKH: mount|^PKH-CHECK' <<<"$new" | sed -E 's/^PKH(-CHECK)?:? */  /'
if [ $status -eq 0 ] && grep -q '^PKH-CHECK vm0-ram MATCH' "$log"; then
	echo "verdict: guest RAM preserved across the live update"
	exit 0
fi
echo "verdict: FAILED (see $log)"
tail -5 /tmp/pkh-demo.out
exit 1
