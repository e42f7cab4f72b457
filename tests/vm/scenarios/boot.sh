# SPDX-License-Identifier: GPL-2.0-only
# Scenario boot: the kernel boots and /init runs.  Sourced by /init (stage 1).
pkh_log "kernel: $(uname -a)"
pkh_log "cmdline: $(cat /proc/cmdline)"
pkh_log "cpus: $(grep -c ^processor /proc/cpuinfo), $(grep MemTotal /proc/meminfo)"
[ "$PKH_STAGE" = 1 ] || pkh_die "booted as stage $PKH_STAGE, expected 1"
[ -x /sbin/kexec ] || pkh_die "no /sbin/kexec in the initramfs"
kexec --version >&2 || pkh_die "/sbin/kexec does not run"
[ -f "$PKH_KERNEL_IMAGE" ] && [ -f /boot/inner.cpio ] ||
	pkh_die "the outer initramfs lacks $PKH_KERNEL_IMAGE or /boot/inner.cpio"
pkh_pass "$(uname -r)"
