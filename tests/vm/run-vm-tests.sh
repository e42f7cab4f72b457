#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Run the VM end-to-end scenarios in QEMU (TCG is fine; KVM is not needed).
#
#   tests/vm/run-vm-tests.sh [--arch x86_64|arm64] [--no-build] [--debug-kernel]
#                            [SCENARIO...]
#
# With no SCENARIO, runs every tests/vm/scenarios/*.sh in name order that is
# marked for the architecture (PKH_ARCHES in its .conf; x86_64 only when it
# says nothing).  Each scenario boots once (more boots happen inside the
# guest through kexec); its serial console goes to build/vm-logs/SCENARIO.log.
# Prints one
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
# --arch arm64 (or PKH_ARCH=arm64) boots the arm64 kernel (build/linux-arm64/
# Image, built by scripts/build-kernel.sh --arch arm64) on qemu-system-aarch64
# -M virt (TCG, -cpu max with the cheap pointer authentication), with the
# arm64 initramfs (build/vm-arm64; tests/vm/build-initramfs.sh --arch arm64),
# its logs in build/vm-logs/arm64/ and its lines named "arm64/SCENARIO".
# The scenario scripts are the same; the carve-out moves into virt's RAM,
# which starts at 1 GiB ($PKH_CARVEOUT, below).
#
# A scenario passes when its log has "PKH-RESULT PASS name", no
# "PKH-RESULT FAIL", no kernel panic (unless allowed), no kernel warning,
# BUG, oops, sanitizer, lockdep or hung-task report, and every line that
# its scenarios/NAME.conf lists in PKH_EXPECT.  NAME.conf (optional, bash,
# sourced) may set:
#   PKH_APPEND='...'        extra kernel command line for stage 1; write the
#                           carve-out as "pkernfs=$PKH_CARVEOUT" (64M@512M on
#                           x86_64, 64M@0x60000000 on arm64) and test $PKH_ARCH
#                           for anything else that differs
#   PKH_ARCHES=(...)        the architectures the scenario is for (x86_64,
#                           arm64; default x86_64 only)
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
#   PKH_QEMU        the QEMU binary (qemu-system-x86_64; arm64:
#                   qemu-system-aarch64)
#   PKH_ARCH        x86_64 (default) or arm64, as --arch
#   PKH_QEMU_CPU    arm64: the -cpu of QEMU virt (max,pauth-impdef=on)
#   PKH_VM_DIR      where the initramfs is built (build/vm; arm64: build/vm-arm64)
#   PKH_VM_LOGS     where the serial logs go (build/vm-logs; arm64 adds /arm64)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
logdir=${PKH_VM_LOGS:-$top/build/vm-logs}
arch=${PKH_ARCH:-x86_64}

build=1
debug=0
scenarios=()
while [ $# -gt 0 ]; do
	case "$1" in
	--no-build) build=0; shift ;;
	--debug-kernel) debug=1; shift ;;
	--arch) arch=${2:-}; shift 2 || shift ;;
	--arch=*) arch=${1#--arch=}; shift ;;
	-h | --help) sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) echo "run-vm-tests.sh: unknown option $1" >&2; exit 2 ;;
	*) scenarios+=("$1"); shift ;;
	esac
done

# What differs between the architectures; the scenarios are the same.
#   PKH_CARVEOUT  the pkernfs= carve-out (SIZE@BASE) the .conf files put on
#                 the command line: 64 MiB at 512 MiB is RAM on q35, but
#                 virt's RAM starts at 1 GiB (0x40000000), and QEMU puts the
#                 dtb, the Image (~0x40200000) and the initrd (~0x48000000)
#                 low, so 0x60000000 is free RAM above them.
case "$arch" in
x86_64)
	qemu=${PKH_QEMU:-qemu-system-x86_64}
	vmdir=${PKH_VM_DIR:-$top/build/vm}
	kernel_dir=$top/build/linux
	image=bzImage
	build_args=()
	label=
	PKH_CARVEOUT=64M@512M
	# no_timer_check: under TCG on a loaded host the IO-APIC timer check
	# can miss its ticks and panic a healthy kernel ("timer doesn't work
	# through Interrupt-remapped IO-APIC"); virtual machines skip it.
	arch_append="console=ttyS0 intel_iommu=on no_timer_check"
	# q35 with a VT-d IOMMU (the IOMMU scenarios freeze its domains).
	arch_qemu=(-machine q35,kernel-irqchip=split -device intel-iommu,intremap=on)
	;;
arm64)
	qemu=${PKH_QEMU:-qemu-system-aarch64}
	vmdir=${PKH_VM_DIR:-$top/build/vm-arm64}
	kernel_dir=$top/build/linux-arm64
	image=Image
	build_args=(--arch arm64)
	logdir=$logdir/arm64
	label=arm64/
	PKH_CARVEOUT=64M@0x60000000
	arch_append="console=ttyAMA0"
	# -cpu max emulates pointer authentication with QARMA5 by default,
	# which makes TCG several times slower; the implementation-defined
	# algorithm is cheap.  No firmware: QEMU enters the Image at EL1 with
	# the dtb in x0 and emulates PSCI (CPU_OFF for kexec's secondary CPUs,
	# SYSTEM_OFF for poweroff).
	arch_qemu=(-machine virt -cpu "${PKH_QEMU_CPU:-max,pauth-impdef=on}")
	;;
*)
	echo "run-vm-tests.sh: --arch '$arch': x86_64 or arm64" >&2
	exit 2
	;;
esac
export PKH_CARVEOUT PKH_ARCH=$arch
if [ "$debug" = 1 ] && [ "$arch" != x86_64 ]; then
	echo "run-vm-tests.sh: there is no $arch debug kernel (--debug-kernel is x86_64 only)" >&2
	exit 2
fi

# The architectures scenario NAME is for: PKH_ARCHES in its .conf, sourced
# in a subshell (with the variables a .conf may use) so nothing else of it
# leaks; x86_64 only when it says nothing.  A .conf that does not source
# counts for every architecture, so that its scenario runs, and fails where
# run_one sources it, instead of dropping out of the list unseen.
scenario_arches() { # NAME
	(
		set +eu
		PKH_ARCHES=(x86_64)
		# shellcheck disable=SC1090
		if [ -f "$here/scenarios/$1.conf" ] && ! . "$here/scenarios/$1.conf" >/dev/null 2>&1; then
			echo "x86_64 arm64"
			exit 0
		fi
		echo "${PKH_ARCHES[*]}"
	)
}

if [ ${#scenarios[@]} -eq 0 ]; then
	for f in "$here"/scenarios/*.sh; do
		name=$(basename "$f" .sh)
		case "$name" in
		# Made to fail: tests/vm/check-harness.sh runs them.
		harness-catches-*) continue ;;
		esac
		case " $(scenario_arches "$name") " in
		*" $arch "*) scenarios+=("$name") ;;
		esac
	done
else
	for name in "${scenarios[@]}"; do
		[ -f "$here/scenarios/$name.sh" ] || continue
		case " $(scenario_arches "$name") " in
		*" $arch "*) ;;
		*) echo "run-vm-tests.sh: note: $name is not marked for $arch (PKH_ARCHES in its .conf); running it as asked" >&2 ;;
		esac
	done
fi

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
	# "arm64/vm-setup" on arm64, so that the suite's summary says which.
	echo "FAIL ${label#debug/}vm-setup: $1"
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
	kernel=$kernel_dir/$image
fi
[ -f "$kernel" ] || setup_fail "no kernel at $kernel${label:+ (scripts/build-kernel.sh ${build_args[*]})}"
initramfs=$(PKH_NEXT_KERNEL=${PKH_NEXT_KERNEL:-$kernel} "$here/build-initramfs.sh" --arch "$arch" \
	--out "$vmdir" | tail -n 1) || setup_fail "tests/vm/build-initramfs.sh --arch $arch failed"

passed=0
failed=0

now_ms() { date +%s%3N; }

# What a kernel prints when something went wrong that it survived: a
# WARN_ON, a BUG, an oops, a sanitizer or lockdep report, a hung task.  Any
# of them in any stage's log fails the scenario.  arm64 words some of it
# its own way: "Call trace:" (lower-case t), "Internal error: Oops: ..."
# for a die(), "SError Interrupt" for an asynchronous abort, "Unable to
# handle kernel paging request / NULL pointer dereference" before an oops.
kernel_trouble='(------------\[ cut here \]|WARNING: |BUG: |kernel BUG at|Oops: |general protection fault|UBSAN: |KASAN: |KFENCE: |INFO: task .* blocked for more than|Call Trace:|Call trace:|Internal error: |SError|Unable to handle kernel)'

run_one() { # NAME -> sets $why ("" on pass)
	local name=$1 log=$logdir/$1.log conf=$here/scenarios/$1.conf
	local PKH_APPEND='' PKH_TIMEOUT=${PKH_VM_TIMEOUT:-300} PKH_ALLOW_PANIC=0
	local PKH_VTD_MODE=legacy
	local -a PKH_EXPECT=() PKH_QEMU_ARGS=() PKH_ARCHES=() machine=("${arch_qemu[@]}")
	local i
	why=
	if [ ! -f "$here/scenarios/$name.sh" ]; then
		why="no such scenario"
		: >"$log"
		return
	fi
	# shellcheck disable=SC1090
	[ -f "$conf" ] && . "$conf"

	local append="$arch_append panic=-1 pkh.scenario=$name pkh.stage=1"
	# VT-d scalable mode: QEMU's unit offers it, and the kernel (each one
	# kexec starts, as they inherit the command line) uses it.
	case "$arch:$PKH_VTD_MODE" in
	*:legacy) ;;
	x86_64:scalable)
		for i in "${!machine[@]}"; do
			case "${machine[$i]}" in
			intel-iommu,*) machine[i]="${machine[$i]},x-scalable-mode=on" ;;
			esac
		done
		append="$append intel_iommu=sm_on"
		;;
	*)
		why="PKH_VTD_MODE=$PKH_VTD_MODE: legacy, or scalable on x86_64"
		: >"$log"
		return
		;;
	esac
	[ -n "$PKH_APPEND" ] && append="$append $PKH_APPEND"
	# A warning stops the kernel where it happened, not some stages later.
	[ "$debug" = 1 ] && append="$append panic_on_warn=1"

	local rc=0
	timeout -k 10 "$PKH_TIMEOUT" "$qemu" \
		"${machine[@]}" \
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
