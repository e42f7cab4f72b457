#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make demo-vmm: an unmodified QEMU's guest across a host live update, told
# for a person.
#
#   tests/vm/demo-vmm.sh              build what is missing, run, report
#   tests/vm/demo-vmm.sh --log LOG    only the report of an earlier run's log
#
# Runs the VM scenario vmm-guest-survives-live-update through
# run-vm-tests.sh: the patched kernel boots in QEMU with a pkernfs carve-out,
# and inside it the host's own QEMU (over virtio-9p) runs pkh-guest, a guest
# that keeps a counter, a pattern and its checksum in its 64 MiB of RAM, a
# pkernfs file.  QEMU pauses and saves its device state into pkernfs
# without the RAM (x-ignore-shared), the host live-updates, the new
# kernel adopts pkernfs, a new QEMU restores from the state file and the
# guest goes on.  Then prints the steps, what the guest said before and
# after, the sizes, a timeline on the TSC (which kexec does not reset) and
# the guest's own clock, and the verdict.  Exit 0 only when the scenario
# passed.  The serial log is build/vm-logs/vmm-guest-survives-live-update.log.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
name=vmm-guest-survives-live-update
log=$top/build/vm-logs/$name.log
runner_line=

if [ "${1:-}" = --log ]; then
	log=$2
else
	echo "demo-vmm: booting the patched kernel in QEMU (TCG), with QEMU inside; log: ${log#"$top"/}"
	runner_line=$("$here/run-vm-tests.sh" "$name" 2>/dev/null | grep -E "^(PASS|FAIL) ")
fi
[ -f "$log" ] || { echo "demo-vmm: no log at $log" >&2; exit 2; }

# The first line of the log matching ERE PATTERN (after stage N's boot when
# given).
first() { grep -aE -m1 -- "$1" "$log"; }
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }

booted=$(first '^pkh-vmm: vm1: QEMU [0-9]+ runs pkh-guest')
running=$(first '^PKH-VMM-LAST-REPORT vm1 ' | sed 's/^PKH-VMM-LAST-REPORT vm1 //')
saved=$(first '^pkh-vmm: vm1: saved: ')
before=$(first '^PKH-VMM-BEFORE vm1 ')
md5_before=$(first '^PKH: vm1 paused and saved;' | sed -n 's/.*RAM md5 \([0-9a-f]*\).*/\1/p')
accepted=$(first 'pkhandover: handover accepted' | sed 's/^\[[^]]*\] //')
adopted=$(first 'pkernfs: adopted handover generation' | sed 's/^\[[^]]*\] //')
check=$(first '^PKH-CHECK vm1-ram ')
after1=$(grep -a '^PKH-VMM-AFTER vm1 ' "$log" | sed -n '1s/^PKH-VMM-AFTER vm1 //p')
after2=$(grep -a '^PKH-VMM-AFTER vm1 ' "$log" | sed -n '2s/^PKH-VMM-AFTER vm1 //p')
result=$(first '^PKH-RESULT ')
state_bytes=$(field state_bytes "$(first '^PKH-VMM-SAVED vm1 ')")
ram_bytes=$(field ram_bytes "$(first '^PKH-VMM-SAVED vm1 ')")

echo "== old kernel: Linux 6.12.95 with the pkhandover series, pkernfs mounted on /mnt/pkernfs"
echo "  ${booted#pkh-vmm: vm1: }"
echo "  guest running: ${running:-?}"
echo "  (qemu) stop; migrate_set_capability x-ignore-shared on; migrate \"exec:cat > /mnt/pkernfs/vm1-state\"; quit"
echo "  ${saved#pkh-vmm: vm1: }"
echo "  guest state in its RAM at the pause: ${before#PKH-VMM-BEFORE vm1 }"
echo "  kexec --live-update -l /boot/bzImage ...; kexec -e"
echo "== new kernel (after kexec -e)"
echo "  $accepted"
echo "  mount -t pkernfs none /mnt/pkernfs"
echo "  $adopted"
echo "  $check"
echo "  qemu-system-x86_64 <same options> -incoming defer -S; (qemu) migrate_incoming \"exec:cat /mnt/pkernfs/vm1-state\"; cont"
echo "  guest, first report: ${after1:-none}"
echo "  guest, next report:  ${after2:-none}"
echo
echo "== before the pause and after the restore"
printf '  %-26s %-22s %-22s\n' "" "before" "after"
printf '  %-26s %-22s %-22s\n' "guest report number" "$(field reports "$before")" "$(field report "$after1"), $(field report "$after2")"
printf '  %-26s %-22s %-22s\n' "guest counter" "$(field counter "$before")" "$(field counter "$after2")"
printf '  %-26s %-22s %-22s\n' "guest boots" "$(field boots "$before")" "$(field boots "$after2")"
printf '  %-26s %-22s %-22s\n' "guest seed, checksum" "$(field seed "$before") $(field sum "$before")" "$(field seed "$after2") $(field sum "$after2")"
printf '  %-26s %-22s %-22s\n' "guest's own memory check" "$(field memory "$running")" "$(field memory "$after2")"
printf '  %-26s %-22s %-22s\n' "vm1-ram md5 (host side)" "${md5_before:0:16}" "$(field md5 "$check" | cut -c1-16)"
if [ -n "$state_bytes" ] && [ -n "$ram_bytes" ]; then
	printf '  %-26s %s bytes for %s bytes of guest RAM (%s)\n' "state file" "$state_bytes" "$ram_bytes" \
		"$(awk -v s="$state_bytes" -v r="$ram_bytes" 'BEGIN { printf "%.2f%%", 100 * s / r }')"
fi

echo
echo "== timeline (TSC, which runs on across kexec; the guest's RTC)"
if timeline=$(awk -f "$here/vmm-timeline.awk" "$log"); then
	# shellcheck disable=SC2086
	set -- $timeline
	printf '  %-46s %8.0f ms\n' "save: stop, migrate to pkernfs, quit" "$3" \
		"kexec --live-update -l, then kexec -e" "$4" \
		"host blackout: kexec -e to the new /init" "$5" \
		"new /init: check handover, mount, md5 vm1-ram" "$6" \
		"restore: QEMU start, load state, cont" "$7" \
		"the VM stopped: pause to cont (host TSC)" "$2"
	printf '  %-46s %8d s   (its RTC; reports are 1 s apart)\n' "the guest's own clock, report to report" "$1"
fi

echo
echo "${runner_line:-(report of $log)}"
case "$result" in
"PKH-RESULT PASS "*)
	echo "verdict: PASS: the guest continued where it was paused: same RAM, counter going on, boots=1;"
	echo "QEMU saved $state_bytes bytes of its own state, none of the guest's RAM"
	exit 0
	;;
*)
	echo "verdict: FAIL: ${result:-no result in the log}"
	exit 1
	;;
esac
