# SPDX-License-Identifier: GPL-2.0-only
# Scenario plain-kexec-chain: three plain kexecs in a row (stages 1 -> 4).
# Proves that every stage has what it needs to kexec again (/boot is passed
# on by pkh_next_initrd) and that /dev/pmem0 stays intact at each step.
#   stage 1:   write 16 MiB of pkh_pattern 1 to /dev/pmem0, kexec with its
#              sha256 as pkh.expect=
#   stage 2-3: check /dev/pmem0, kexec again
#   stage 4:   check /dev/pmem0, pass
bytes=16777216
last=4
if [ "$PKH_STAGE" = 1 ]; then
	sum=$(pkh_pmem_write /dev/pmem0 1 "$bytes") || exit 1
	pkh_log "wrote $bytes bytes of pattern 1 to /dev/pmem0, sha256=$sum"
else
	sum=$(pkh_arg expect)
	pkh_pmem_check /dev/pmem0 "$bytes" "$sum" ||
		pkh_die "pmem0 changed across kexec $((PKH_STAGE - 1))"
fi
if [ "$PKH_STAGE" -lt "$last" ]; then
	[ -f /boot/bzImage ] && [ -f /boot/inner.cpio ] ||
		pkh_die "stage $PKH_STAGE has no /boot to kexec from"
	pkh_kexec_load "$(pkh_next_cmdline "pkh.expect=$sum")"
	pkh_kexec_exec
fi
pkh_pass "pmem0 intact across $((last - 1)) kexecs"
