# SPDX-License-Identifier: GPL-2.0-only
# Scenario plain-kexec-memory: bytes in a memmap=SIZE!START carve-out
# (/dev/pmem0, x86 legacy pmem) survive a plain kexec of the same kernel.
#   stage 1: write 16 MiB of pkh_pattern 1 to /dev/pmem0, kexec with its
#            sha256 as pkh.expect=
#   stage 2: read /dev/pmem0 back and compare
bytes=16777216
stage_1() {
	sum=$(pkh_pmem_write /dev/pmem0 1 "$bytes") || exit 1
	pkh_log "wrote $bytes bytes of pattern 1 to /dev/pmem0, sha256=$sum"
	pkh_kexec_load "$(pkh_next_cmdline "pkh.expect=$sum")"
	pkh_kexec_exec
}

stage_2() {
	if pkh_pmem_check /dev/pmem0 "$bytes" "$(pkh_arg expect)"; then
		pkh_pass "pmem0 intact after kexec"
	else
		pkh_fail "pmem0 changed across kexec"
	fi
}
