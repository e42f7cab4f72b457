# SPDX-License-Identifier: GPL-2.0-only
# Scenario plain-kexec-negative: like plain-kexec-memory, but stage 2 is told
# the sha256 of a different pattern.  It passes only if the check reports the
# mismatch: it proves the memory check of plain-kexec-memory can fail.
bytes=16777216
stage_1() {
	sum=$(pkh_pmem_write /dev/pmem0 1 "$bytes") || exit 1
	wrong=$(pkh_pattern_sha256 2 "$bytes") || exit 1
	[ "$wrong" != "$sum" ] || pkh_die "patterns 1 and 2 have the same sha256"
	pkh_log "wrote pattern 1 (sha256=$sum); stage 2 expects pattern 2 (sha256=$wrong)"
	pkh_kexec_load "$(pkh_next_cmdline "pkh.expect=$wrong")"
	pkh_kexec_exec
}

stage_2() {
	if pkh_pmem_check /dev/pmem0 "$bytes" "$(pkh_arg expect)"; then
		pkh_fail "the check accepted a wrong checksum"
	else
		pkh_pass "the check detected the mismatch"
	fi
}
