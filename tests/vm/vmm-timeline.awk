# SPDX-License-Identifier: GPL-2.0-only
#
# The timeline of one VMM live update, from the serial log of
# vmm-guest-survives-live-update (read by tests/vm/demo-vmm.sh and
# tests/bench/vmm.sh).  Host times are the test VM's TSC, which kexec does
# not reset, in ms with the new kernel's "tsc: Detected N MHz"; the guest's
# is its RTC (seconds), from its last report before the pause to its first
# after the restore.  Prints one line of numbers:
#   guest_gap_s pause_to_cont_ms save_ms load_and_exec_ms blackout_ms
#   new_init_checks_ms restore_ms state_bytes ram_bytes
# or exits 1, saying which marks are missing.
function field(k,   i) {
	for (i = 1; i <= NF; i++)
		if (index($i, k "=") == 1)
			return substr($i, length(k) + 2)
	return ""
}
/^PKH-VMM-TSC / { t[$2] = $3 }
/^PKH-KEXEC-E-TSC / { ke = $2 }
/^PKH-BOOT-TSC / && ke { boot = $2 }
/tsc: Detected [0-9.]+ MHz/ && !/^PKH/ {
	match($0, /Detected [0-9.]+ MHz/)
	mhz = substr($0, RSTART + 9, RLENGTH - 13) + 0
}
/^PKH-VMM-SAVED vm1 / { state = field("state_bytes"); ram = field("ram_bytes") }
/^PKH-VMM-LAST-REPORT / { before = field("rtc") }
/^PKH-VMM-AFTER / && after == "" { after = field("rtc") }
END {
	if (!mhz || !t["pause"] || !t["quit"] || !t["restore-start"] || !t["cont"] ||
	    !ke || !boot || before == "" || after == "" || state == "") {
		printf "vmm-timeline: marks missing (MHz %s, pause %s, cont %s, kexec -e %s, /init %s, reports %s/%s, state %s)\n",
		       mhz, t["pause"], t["cont"], ke, boot, before, after, state > "/dev/stderr"
		exit 1
	}
	c = mhz * 1000
	gap = after - before
	if (gap < 0)
		gap += 86400
	printf "%d %.1f %.1f %.1f %.1f %.1f %.1f %d %d\n", gap, (t["cont"] - t["pause"]) / c,
	       (t["quit"] - t["pause"]) / c, (ke - t["quit"]) / c, (boot - ke) / c,
	       (t["restore-start"] - boot) / c, (t["cont"] - t["restore-start"]) / c, state, ram
}
