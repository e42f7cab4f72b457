#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make demo: one host-kernel live update in QEMU, told for a person.
#
#   tests/vm/demo.sh              build what is missing, run, report
#   tests/vm/demo.sh --log LOG    only the report of an earlier run's log
#
# Runs the VM scenario demo-live-update (tests/vm/scenarios/) through
# run-vm-tests.sh, which builds the kernel if needed (scripts/build-kernel.sh)
# and the initramfs: the patched 6.12 kernel boots with a pkernfs=64M@512M
# carve-out, writes two guest RAM files, maps a third for QEMU's edu device
# through iommufd and freezes its IOMMU domain, runs `kexec --live-update`
# and `kexec -e`; the new kernel has the device DMA before anything is set
# up again, checks what it received, and a new VMM replaces the frozen
# domain with its own (iommufd).  Then prints:
#   - what ran in each kernel;
#   - before/after: every record the handover carries (the blob, regions,
#     files by the md5 of their bytes, IOMMU units, devices), old kernel vs
#     new kernel, MATCH or DIFFER; the guest compares, this script shows;
#     then the device: the page its DMA wrote before the kexec and the one
#     it wrote after (landed), the frozen table pages before and after the
#     replace (replaced);
#   - the timeline, from guest clocks only: each kernel's printk clock
#     (marks written to /dev/kmsg around each phase) and, across the kexec
#     where no kernel clock runs, the TSC (pkh-tsc puts it in the marks;
#     QEMU does not reset it at kexec);
#     the restore from pkh-edu's step times, and kexec -e to the first DMA
#     on the TSC;
#   - the verdict.
# Exit 0 only when the scenario passed, every record matched, the DMA after
# the kexec landed and the replace left no frozen table page.
#
# pkh-tsc (tests/vm/demo/pkh-tsc.c) is built static and packed through
# PKH_VM_EXTRA (a PKH_VM_EXTRA given is packed too).  The serial log is
# build/vm-logs/demo-live-update.log.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
name=demo-live-update
log=$top/build/vm-logs/$name.log
runner_status=0
runner_line=

if [ "${1:-}" = --log ]; then
	log=$2
	runner_line="(report of $log)"
else
	out=$top/build/vm-demo
	mkdir -p "$out"
	rm -rf "$out/extra"
	mkdir -p "$out/extra/usr/bin"
	if [ -n "${PKH_VM_EXTRA:-}" ]; then
		cp -a "$PKH_VM_EXTRA/." "$out/extra/" || exit 2
	fi
	if ! gcc -static -O2 -Wall -Wextra -Werror -o "$out/extra/usr/bin/pkh-tsc" \
		"$here/demo/pkh-tsc.c" 2>"$out/pkh-tsc.err"; then
		echo "demo: cannot build pkh-tsc (the timeline across kexec is left out):" >&2
		cat "$out/pkh-tsc.err" >&2
		rm -f "$out/extra/usr/bin/pkh-tsc"
	fi
	echo "demo: booting the patched kernel in QEMU (TCG) for one live update; log: ${log#"$top"/}"
	PKH_VM_EXTRA=$out/extra "$here/run-vm-tests.sh" "$name" >"$out/runner.out" 2>"$out/runner.err"
	runner_status=$?
	runner_line=$(grep -E "^(PASS|FAIL) " "$out/runner.out" | head -n 1)
	if [ ! -s "$log" ] || grep -q '^FAIL vm-setup' "$out/runner.out"; then
		cat "$out/runner.out"
		tail -n 20 "$out/runner.err"
		echo "demo: FAILED before the live update (see above)"
		exit 1
	fi
fi
[ -f "$log" ] || { echo "demo: no log $log" >&2; exit 2; }

# One pass over the serial log.  kernel 1 is the one QEMU booted; each
# "Linux version" line starts the next.  Lines of the guest (PKH...) are
# between kernel lines; the printk time is the [ seconds ] prefix.
tr -d '\r' <"$log" | awk -v runner_status="$runner_status" -v runner_line="$runner_line" '
function t(line) { sub(/^[^[]*\[ */, "", line); sub(/\].*/, "", line); return line + 0 }
function ms(s) { return sprintf("%.0f", s * 1000) }
function short(x) { return (length(x) == 32 && x ~ /^[0-9a-f]+$/) ? substr(x, 1, 8) : x }
# Widths on screen: mawk counts bytes, and an arrow is 3 of them in UTF-8.
function width(x,  c) { c = gsub(/→/, "", x); return length(x) + c }
function pad(x, n) { n -= width(x); while (n-- > 0) x = x " "; return x }
function row(label, value, clock) { printf "  %s %6s  %s\n", pad(label, 46), value, clock }
function kline(line) { sub(/^[^]]*\] /, "", line); return line }
function step(s) { steps[k] = steps[k] "  " s "\n" }
/^PKH-DMESG/ { next }
# What the new kernel received, as its inspect shows it: a description of
# each device (ids, domain id, iova map and the file it lands in).
/^PKH-INSPECT: / {
	s = $0; sub(/^PKH-INSPECT: /, "", s); n = split(s, w, " ")
	if (s ~ /^    file "/) { file = s; sub(/^    file "/, "", file); sub(/".*/, "", file) }
	else if (s ~ /^      \+0x/ && file != "") fileat[w[5]] = file
	else if (s ~ /^    domain [0-9]+  id /) did[w[2]] = w[4]
	else if (s ~ /^  [0-9a-f]+:[0-9a-f]+:[0-9a-f]+\.[0-9a-f] /) {
		dev = w[1]; desc[dev] = w[2]
		for (i = 3; i < n; i++) if (w[i] == "domain") desc[dev] = desc[dev] " domain " did[w[i + 1]]
	}
	else if (s ~ /^    iova / && dev != "") {
		p = s; sub(/.*\(phys /, "", p); sub(/\).*/, "", p); r = w[2]; sub(/-.*/, "", r)
		desc[dev] = desc[dev] ", iova " r " → " ((p in fileat) ? fileat[p] : "phys " p)
	}
	next
}
/\] Linux version / { k++; prevt[k] = 0; next }
# A printk clock that goes back restarted: when the fast TSC calibration
# fails, the kernel runs on jiffies (times 0) until its late TSC init.
# (Other lines can be out of order by themselves: calibrate_delay_direct.)
/^[^[]*\[ *[0-9]+\.[0-9]+\] / {
	now = t($0)
	if ($0 ~ /\] clocksource: tsc-early: / && now + 0.0005 < prevt[k]) restart[k]++
	prevt[k] = now
}
/\] Run \/init as init process/ { init[k] = t($0); next }
/\] kexec_core: Starting new kernel/ { last[k] = t($0); next }
/\] pkernfs: carve-out / && k == 1 { step(kline($0)); next }
/^PKH-BOOT stage=1 / { s = $0; sub(/.* kernel=/, "", s); sub(/ .*/, "", s); kernel = s }
/\] pkh-demo: mark / {
	n = $0; sub(/.*pkh-demo: mark /, "", n); split(n, w, " ")
	mark[k, w[1]] = t($0); if (w[2] == "tsc") tsc[k, w[1]] = w[3]
	next
}
/\] pkhandover: handover accepted/ {
	accepted_at = t($0); accepted_restarts = restart[k]; accepted = kline($0)
	parse_us = accepted; sub(/.*parsed in /, "", parse_us); sub(/ us.*/, "", parse_us)
	sub(/ \(nonce.*/, "", accepted); next
}
/\] pkhandover: handover rejected/ { rejected = kline($0); next }
# The IOMMU, in the order it happened: the freeze (shown after the VMM
# line that set it up), the adoption, the replace and the pages freed.
/\] .*pkhandover: froze / { froze = $0; sub(/.*pkhandover: /, "", froze); next }
/\] pkhandover: iommu: .* adopted on domain / { step(kline($0)); next }
/\] pkhandover: iommu: .*: frozen domain [0-9]+ replaced/ { step(kline($0)); next }
/\] pkhandover: iommu: domain [0-9]+: [0-9]+ frozen page-table pages back/ {
	s = kline($0); sub(/^pkhandover: iommu: domain [0-9]+: /, "", s)
	steps[k] = substr(steps[k], 1, length(steps[k]) - 1) ", " s "\n"; next
}
/\] pkernfs: adopted handover/ { s = kline($0); sub(/, nonce.*/, "", s); step(s); next }
/^PKH: (mount|wrote|kexec|edu [0-9a-f]+:[0-9a-f]+:|pkh-edu )/ {
	s = $0; sub(/^PKH: /, "", s)
	# the command line as it ran, without the test harness\047s first words
	if (s ~ /^kexec --live-update/) sub(/--append="[^"]* pkernfs=/, "--append=\"... pkernfs=", s)
	step(s)
	if (s ~ /^edu / && froze != "") { step(froze); froze = "" }
	next
}
/^pkh-edu: dma edu->ram .* device done in / && k == 2 && dma_us == "" {
	dma_us = $0; sub(/.* device done in /, "", dma_us); sub(/ us.*/, "", dma_us); next
}
/^pkh-edu: step / && k == 2 {
	split($0, w, " "); step_us[w[3]] = w[4]
	if (!restore_done) restore_us += w[4]
	if (w[3] == "replace-hwpt") restore_done = 1
	next
}
/^PKH-DEMO-ROW / {
	# The records of the blob first, then what the device did.
	s = $0; sub(/^PKH-DEMO-ROW /, "", s); split(s, f, "|")
	if (f[1] == "DMA after kexec") { dma_row = f[5]; later[1] = s }
	else if (f[1] == "iommufd replace") { replace_row = f[5]; later[2] = s }
	else rows[++nrows] = s
	if (f[5] != "MATCH" && f[5] != "landed" && f[5] != "replaced") bad++
	if (f[1] ~ /^device /) ndev++
	next
}
/^PKH-RESULT PASS / { passed = 1; next }
/^PKH-RESULT FAIL / { failed = $0; sub(/^PKH-RESULT FAIL [^ ]* */, "", failed); next }
/Kernel panic/ { panic = 1 }
END {
	printf "== old kernel: Linux %s with the pkhandover series, booted by QEMU\n%s", kernel, steps[1]
	printf "== new kernel (after kexec -e)\n"
	if (accepted != "") printf "  %s (parsed in %s us)\n", accepted, parse_us
	if (rejected != "") printf "  %s\n", rejected
	printf "%s", steps[2]

	printf "\n== before and after: md5 (8 digits) of each record the handover carries\n"
	rw = 13; ww = 10; shown = 0
	if (1 in later) rows[++nrows] = later[1]
	if (2 in later) rows[++nrows] = later[2]
	for (i = 1; i <= nrows; i++) {
		split(rows[i], f, "|")
		key = f[1]; what = f[2]; o = short(f[3]); nw = short(f[4])
		gsub(/  +/, " ", what); gsub(/->/, "→", what)
		if (key == "blob") key = "handover blob"
		sub(/^iommu-unit /, "iommu unit ", key)
		if (key ~ /^region /) sub(/-0x[0-9a-f]+ /, " ", what)
		if (key ~ /^device / && (substr(key, 8) in desc)) what = desc[substr(key, 8)]
		if ((key == "devices" || key == "iommu-units") && o != "0" && o == nw && f[5] == "MATCH")
			continue	# a count: each one is a row of its own
		if (key == "devices" || key == "iommu-units") {
			key = (key == "devices") ? "devices" : "iommu units"
			what = (o == "0" && nw == "0") ? "none carried" : "count"
			if (o == "0") o = "none"
			if (nw == "0") nw = "none"
		}
		shown++; K[shown] = key; W[shown] = what; O[shown] = o; N[shown] = nw; V[shown] = f[5]
		if (width(key) > rw) rw = width(key)
		if (width(what) > ww) ww = width(what)
	}
	printf "  %s %s %-10s %-10s\n", pad("record", rw), pad("what", ww), "old kernel", "new kernel"
	nrec = shown - (1 in later) - (2 in later)
	for (i = 1; i <= shown; i++)
		printf "  %s %s %-10s %-10s %s\n", pad(K[i], rw), pad(W[i], ww), O[i], N[i], V[i]
	if (nrows == 0) printf "  (no records: the new kernel did not get to compare)\n"
	printf "  blob: the bytes the state of the old kernel encodes to, and the bytes the new kernel got;\n"
	printf "  region, unit, device: the state each kernel holds (/sys/kernel/pkhandover/state: the\n"
	printf "  old one before kexec, the new one from its carve-out and the units it adopted);\n"
	printf "  file: its bytes (vm2-ram with page 2 zeroed again); DMA: the page the edu DMA\n"
	printf "  wrote, before kexec and after\n"

	printf "\n== timeline, from guest clocks\n"
	row("phase", "ms", "clock")
	if (init[1] != "")
		row(restart[1] ? "old kernel: TSC init to /init (clock restart)" : "old kernel: boot to /init", ms(init[1]), "old kernel printk")
	if (mark[1, "create-end"] != "")
		row("format pkernfs, write the guest RAM files", ms(mark[1, "create-end"] - mark[1, "create-start"]), "old kernel printk (marks)")
	if (mark[1, "freeze-end"] != "")
		row("VMM: edu on iommufd, 2 DMAs, freeze", ms(mark[1, "freeze-end"] - mark[1, "freeze-start"]), "old kernel printk (marks)")
	if (mark[1, "load-end"] != "")
		row("kexec --live-update -l (load)", ms(mark[1, "load-end"] - mark[1, "load-start"]), "old kernel printk (marks)")
	if (last[1] != "" && mark[1, "exec"] != "")
		row("kexec -e to the old kernel\047s last line", ms(last[1] - mark[1, "exec"]), "old kernel printk")
	have_tsc = (tsc[1, "init"] != "" && tsc[1, "exec"] != "" && tsc[2, "init"] != "" && tsc[2, "verify-end"] != "" && last[1] != "")
	if (have_tsc) {
		# cycles per printk second in each kernel, from its own marks
		f1 = (tsc[1, "exec"] - tsc[1, "init"]) / (mark[1, "exec"] - mark[1, "init"])
		f2 = (tsc[2, "verify-end"] - tsc[2, "init"]) / (mark[2, "verify-end"] - mark[2, "init"])
		tsc_last = tsc[1, "exec"] + (last[1] - mark[1, "exec"]) * f1
		tsc_zero = tsc[2, "init"] - mark[2, "init"] * f2
		row(restart[2] ? "old\047s last line to the new\047s TSC init" : "old\047s last line to the new\047s first (clock 0)", ms((tsc_zero - tsc_last) / f2), sprintf("TSC, %.0f MHz (marks)", f2 / 1e6))
	} else if (mark[2, "init"] != "") {
		row("old\047s last line to the new\047s first (clock 0)", "?", "needs the TSC marks of pkh-tsc")
	}
	if (accepted_at != "" && accepted_at > 0 && accepted_restarts == restart[2])
		row("new kernel: handover parsed, accepted at", ms(accepted_at), sprintf("new kernel printk (parse %.1f ms)", parse_us / 1000))
	else if (accepted_at != "")
		row("new kernel: handover parsed, accepted", "?", "before the clock restart (kernel: \"parsed in " parse_us " us\")")
	if (init[2] != "")
		row(restart[2] ? "new kernel: TSC init to /init (clock restart)" : "new kernel: boot to /init", ms(init[2]), "new kernel printk")
	if (mark[2, "mount-end"] != "")
		row("mount pkernfs (adopts the handover)", ms(mark[2, "mount-end"] - mark[2, "mount-start"]), "new kernel printk (marks)")
	if (mark[2, "verify-end"] != "")
		row("checksum verify (inspect --live, md5 of files)", ms(mark[2, "verify-end"] - mark[2, "verify-start"]), "new kernel printk (marks)")
	if (restore_done)
		row("restore (bind → replace)", sprintf("%.0f", restore_us / 1000), sprintf("pkh-edu steps (attach-ioas %.1f, replace-hwpt %.1f)", step_us["attach-ioas"] / 1000, step_us["replace-hwpt"] / 1000))
	if (have_tsc && init[2] != "")
		row("blackout: kexec -e to the new kernel\047s /init", ms((tsc_zero - tsc[1, "exec"]) / f2 + init[2]), "TSC + new kernel printk")
	if (have_tsc && tsc[2, "dma-end"] != "")
		row("kexec -e → first DMA landed", ms((tsc[2, "dma-end"] - tsc[1, "exec"]) / f2), sprintf("TSC (the DMA itself %.0f ms)", dma_us / 1000))
	else if (mark[2, "dma-end"] != "")
		row("kexec -e → first DMA landed", "?", "needs the TSC marks of pkh-tsc")

	if (restart[1] || restart[2])
		printf "  (clock restart: the fast TSC calibration failed, the kernel read 0 until its TSC init)\n"
	ok = (runner_status == 0 && passed && failed == "" && !panic && nrows > 0 && bad == 0 && ndev > 0 && dma_row == "landed" && replace_row == "replaced")
	printf "\n%s\n", runner_line
	if (ok) {
		printf "verdict: PASS: all %d records the same in the new kernel, the guest RAM survived the live\n", nrec
		printf "update; the passthrough device DMAed through its kept domain, then the new VMM replaced it\n"
		exit 0
	}
	if (failed == "" && !bad && nrows && (dma_row != "landed" || replace_row != "replaced"))
		failed = "the device: DMA after kexec " (dma_row == "" ? "not tried" : dma_row) ", replace " (replace_row == "" ? "not done" : replace_row)
	printf "verdict: FAIL: %s\n", failed != "" ? failed : (bad ? bad " records differ" : (panic ? "kernel panic" : "the run did not finish (see the log)"))
	exit 1
}'
status=$?
[ $status -eq 0 ] || echo "demo: serial log: ${log#"$top"/}"
exit $status
