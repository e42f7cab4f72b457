#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Run the VM end-to-end scenarios in QEMU (TCG is fine; KVM is not needed).
#
#   tests/vm/run-vm-tests.sh [--no-build] [--debug-kernel] [SCENARIO...]
#
# With no SCENARIO, runs every tests/vm/scenarios/*.sh in name order.  Each
# scenario boots once (more boots happen inside the guest through kexec);
# its serial console goes to build/vm-logs/SCENARIO.log.  Prints one
# "PASS name" or "FAIL name (why)" line per scenario, then "N passed, N failed",
# and exits non-zero if any failed.  If the kernel, the initramfs or QEMU is
# missing or fails to build, it prints "FAIL vm-setup: why" and "0 passed,
# 1 failed" instead.  The kernel build log is build/vm-logs/build-kernel.log.
#
# --debug-kernel boots the debug kernel instead (build/linux-debug: the same
# series plus kernel/config/pkhandover-debug.config: KASAN, UBSAN, lockdep,
# DEBUG_LIST, DEBUG_VM, hung-task detection) with panic_on_warn=1, its logs
# in build/vm-logs/debug/ and its lines named "debug/SCENARIO".
#
# A scenario passes when its log has "PKH-RESULT PASS name", no
# "PKH-RESULT FAIL", no kernel panic (unless allowed), no kernel warning,
# BUG, oops, sanitizer, lockdep or hung-task report, and every line that
# its scenarios/NAME.conf lists in PKH_EXPECT.  NAME.conf (optional, bash,
# sourced) may set:
#   PKH_APPEND='...'        extra kernel command line for stage 1
#   PKH_EXPECT=(...)        fixed strings the log must contain
#   PKH_QEMU_ARGS=(...)     extra QEMU arguments (e.g. -device edu)
#   PKH_TIMEOUT=SECONDS     per-scenario limit (default $PKH_VM_TIMEOUT or 300)
#   PKH_ALLOW_PANIC=1       a kernel panic does not fail the scenario
#
# Environment:
#   PKH_KERNEL      the kernel QEMU boots (default: build it with
#                   scripts/build-kernel.sh, which is quick when up to date)
#   PKH_NEXT_KERNEL the kernel stage 1 kexecs into (default: PKH_KERNEL)
#   PKH_KEXEC       the kexec packed into the initramfs (default /sbin/kexec)
#   PKH_VM_EXTRA    a tree copied into the initramfs root
#   PKH_VM_TIMEOUT  default per-scenario timeout in seconds (300)
#   PKH_QEMU        the QEMU binary (qemu-system-x86_64)
#   PKH_VM_DIR      where the initramfs is built (build/vm)
#   PKH_VM_LOGS     where the serial logs go (build/vm-logs)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
logdir=${PKH_VM_LOGS:-$top/build/vm-logs}
vmdir=${PKH_VM_DIR:-$top/build/vm}
qemu=${PKH_QEMU:-qemu-system-x86_64}

build=1
debug=0
scenarios=()
while [ $# -gt 0 ]; do
	case "$1" in
	--no-build) build=0; shift ;;
	--debug-kernel) debug=1; shift ;;
	-h | --help) sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) echo "run-vm-tests.sh: unknown option $1" >&2; exit 2 ;;
	*) scenarios+=("$1"); shift ;;
	esac
done
if [ ${#scenarios[@]} -eq 0 ]; then
	for f in "$here"/scenarios/*.sh; do
		case "$(basename "$f")" in
		# Made to fail: tests/vm/check-harness.sh runs them.
		harness-catches-*) continue ;;
		esac
		scenarios+=("$(basename "$f" .sh)")
	done
fi

kernel_dir=$top/build/linux
build_args=()
label=
if [ "$debug" = 1 ]; then
	kernel_dir=$top/build/linux-debug
	build_args=("$kernel_dir" "$top/kernel/config/pkhandover-debug.config")
	logdir=$logdir/debug
	vmdir=${PKH_VM_DIR:-$top/build/vm}-debug
	label=debug/
fi
mkdir -p "$logdir"

# A failure before any scenario runs still ends in a FAIL line and the
# closing count, so that callers that count lines see it.
setup_fail() { # REASON [LOG]
	[ -n "${2:-}" ] && tail -n 40 "$2" >&2
	echo "FAIL vm-setup: $1"
	echo "0 passed, 1 failed"
	exit 1
}

command -v "$qemu" >/dev/null || setup_fail "$qemu not found: run scripts/setup-vm.sh as root"

# --- the kernel and the initramfs -------------------------------------------
if [ -n "${PKH_KERNEL:-}" ]; then
	kernel=$PKH_KERNEL
elif [ "$build" = 1 ]; then
	echo "run-vm-tests.sh: scripts/build-kernel.sh (log: ${logdir#"$top"/}/build-kernel.log)" >&2
	kernel=$("$top/scripts/build-kernel.sh" "${build_args[@]}" 2>"$logdir/build-kernel.log" | tail -n 1) ||
		setup_fail "scripts/build-kernel.sh failed (${logdir#"$top"/}/build-kernel.log)" \
			"$logdir/build-kernel.log"
else
	kernel=$kernel_dir/bzImage
fi
[ -f "$kernel" ] || setup_fail "no kernel at $kernel"
initramfs=$(PKH_NEXT_KERNEL=${PKH_NEXT_KERNEL:-$kernel} "$here/build-initramfs.sh" --out "$vmdir" |
	tail -n 1) || setup_fail "tests/vm/build-initramfs.sh failed"

passed=0
failed=0

now_ms() { date +%s%3N; }

# What a kernel prints when something went wrong that it survived: a
# WARN_ON, a BUG, an oops, a sanitizer or lockdep report, a hung task.  Any
# of them in any stage's log fails the scenario.
kernel_trouble='(------------\[ cut here \]|WARNING: |BUG: |kernel BUG at|Oops: |general protection fault|UBSAN: |KASAN: |KFENCE: |INFO: task .* blocked for more than|Call Trace:)'

run_one() { # NAME -> sets $why ("" on pass)
	local name=$1 log=$logdir/$1.log conf=$here/scenarios/$1.conf
	local PKH_APPEND='' PKH_TIMEOUT=${PKH_VM_TIMEOUT:-300} PKH_ALLOW_PANIC=0
	local -a PKH_EXPECT=() PKH_QEMU_ARGS=()
	why=
	if [ ! -f "$here/scenarios/$name.sh" ]; then
		why="no such scenario"
		: >"$log"
		return
	fi
	# shellcheck disable=SC1090
	[ -f "$conf" ] && . "$conf"

	# no_timer_check: under TCG on a loaded host the IO-APIC timer check
	# can miss its ticks and panic a healthy kernel ("timer doesn't work
	# through Interrupt-remapped IO-APIC"); virtual machines skip it.
	local append="console=ttyS0 intel_iommu=on no_timer_check panic=-1 pkh.scenario=$name pkh.stage=1"
	[ -n "$PKH_APPEND" ] && append="$append $PKH_APPEND"
	# A warning stops the kernel where it happened, not some stages later.
	[ "$debug" = 1 ] && append="$append panic_on_warn=1"

	local rc=0
	timeout -k 10 "$PKH_TIMEOUT" "$qemu" \
		-machine q35,kernel-irqchip=split \
		-device intel-iommu,intremap=on \
		-m 1G -smp 2 \
		-nographic -no-reboot -nic none \
		-kernel "$kernel" -initrd "$initramfs" \
		-append "$append" \
		"${PKH_QEMU_ARGS[@]}" \
		</dev/null >"$log.raw" 2>&1 || rc=$?
	# Serial output has CRLF line ends.
	tr -d '\r' <"$log.raw" >"$log"
	rm -f "$log.raw"

	# The kernel's own report comes first: a warning that made the guest
	# fail, or panic_on_warn stop it, is the cause to show.
	local trouble=$kernel_trouble
	[ "$PKH_ALLOW_PANIC" = 1 ] || trouble="(Kernel panic|${trouble#(}"
	if grep -aqE "$trouble" "$log"; then
		why="kernel log: $(grep -aE "$trouble" "$log" | grep -avF -- '[ cut here ]' |
			head -n 1 | cut -c1-160)"
	elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		why="timed out after ${PKH_TIMEOUT}s"
	elif grep -aqE "PKH-RESULT FAIL $name( |\$)" "$log"; then
		why=$(grep -aoE "PKH-RESULT FAIL $name( .*|\$)" "$log" | head -n 1 |
			sed "s/^PKH-RESULT FAIL $name *//")
		why="guest: ${why:-failed}"
	elif ! grep -aqE "PKH-RESULT PASS $name( |\$)" "$log"; then
		why="no PKH-RESULT PASS in the log (qemu exit $rc)"
	elif [ "$PKH_ALLOW_PANIC" != 1 ] && grep -aq 'Kernel panic' "$log"; then
		why="kernel panic"
	elif [ "$rc" != 0 ]; then
		why="qemu exited with $rc"
	else
		local e
		for e in "${PKH_EXPECT[@]}"; do
			if ! grep -aqF -- "$e" "$log"; then
				why="log lacks '$e'"
				break
			fi
		done
	fi
}

for name in "${scenarios[@]}"; do
	t0=$(now_ms)
	run_one "$name"
	t1=$(now_ms)
	secs=$(awk -v ms=$((t1 - t0)) 'BEGIN { printf "%.1f", ms / 1000 }')
	if [ -z "$why" ]; then
		passed=$((passed + 1))
		echo "PASS $label$name (${secs} s)"
	else
		failed=$((failed + 1))
		echo "FAIL $label$name (${secs} s): $why; log: ${logdir#"$top"/}/$name.log"
	fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
