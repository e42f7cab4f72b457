#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kexec --live-update end to end, with the x86_64 kexec built by
# kexec-ext/build-kexec.sh.  Nothing is ever loaded into the running kernel:
# the dry run (--handover-out) loads nothing by design, and the runs that
# go as far as the kexec_load() call set PKH_KEXEC_TEST_DUMP_SEGMENTS (the
# hook dumps the segments and skips the call) and, as a second guard, run
# without CAP_SYS_BOOT.
#
# Environment: KEXEC, KEXEC_PLAIN (an unpatched build, for the comparison
# of plain behaviour), TESTTOOL, PKHANDOVER, builddir; see lib.sh.
set -euo pipefail
# shellcheck source=tests/kexec/lib.sh
. "$(dirname "$0")/lib.sh"

need "kexec with --live-update" "$KEXEC" || exit 77
need pkh-kexec-testtool "$TESTTOOL" || exit 77
need pkhandover "$PKHANDOVER" || exit 77

spec=$DATA/handover-spec.json
"$PKHANDOVER" build "$spec" -o "$scratch/expected.blob" >/dev/null

"$TESTTOOL" make-bzimage "$scratch/declares.bzImage" 1 2
"$TESTTOOL" make-bzimage "$scratch/silent.bzImage"
"$TESTTOOL" make-bzimage "$scratch/v1-only.bzImage" 1 1
"$TESTTOOL" make-bzimage "$scratch/v3.bzImage" 1 3
"$TESTTOOL" make-elf "$scratch/declares.vmlinux" 1 2
"$TESTTOOL" make-elf "$scratch/silent.vmlinux"

# ------------------------------------------------------------ the dry run
run "$KEXEC" --live-update --handover-spec "$spec" --handover-out "$scratch/dry.blob" \
	-l "$scratch/declares.bzImage"
if [ "$rc" -eq 0 ] && "$PKHANDOVER" validate "$scratch/dry.blob" >/dev/null &&
	cmp -s "$scratch/dry.blob" "$scratch/expected.blob"; then
	pass "dry run writes the blob of the spec, and pkhandover validate accepts it"
else
	fail "dry run writes the blob of the spec, and pkhandover validate accepts it" \
		"exit $rc" "stderr: $(cat "$scratch/err")"
fi
if [ "$(stat -c %a "$scratch/dry.blob" 2>/dev/null)" = 600 ]; then
	pass "the blob file is private (0600)"
else
	fail "the blob file is private (0600)" "mode $(stat -c %a "$scratch/dry.blob" 2>/dev/null)"
fi
if grep -q "nothing was loaded" "$scratch/out"; then
	pass "dry run says that nothing was loaded"
else
	fail "dry run says that nothing was loaded" "stdout: $(cat "$scratch/out")"
fi

# The spec is ABI v2; a target that also reads v3 gets the v3 blob of the
# same state (the maps moved to the domains), one that reads 1..2 the v2
# blob above.
run "$KEXEC" --live-update --handover-spec "$spec" --handover-out "$scratch/v3.blob" \
	-l "$scratch/v3.bzImage"
if [ "$rc" -eq 0 ] && "$PKHANDOVER" inspect "$scratch/v3.blob" | grep -q "^handover ABI 3\.0 " &&
	[ "$("$PKHANDOVER" diff "$scratch/expected.blob" "$scratch/v3.blob")" = "~ abi major: 2 -> 3" ]; then
	pass "a target that reads v3 gets the v3 blob of the same state"
else
	fail "a target that reads v3 gets the v3 blob of the same state" \
		"exit $rc" "stderr: $(cat "$scratch/err")" \
		"diff: $("$PKHANDOVER" diff "$scratch/expected.blob" "$scratch/v3.blob" 2>&1)"
fi

expect_success "dry run accepts an ELF vmlinux with the note" \
	"$KEXEC" --live-update --handover-spec "$spec" --handover-out "$scratch/elf.blob" \
	-l "$scratch/declares.vmlinux"

if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	nobody_dir=$scratch/nobody
	mkdir -p "$nobody_dir"
	chown nobody "$nobody_dir"
	cp "$spec" "$scratch/declares.bzImage" "$nobody_dir/"
	chmod 644 "$nobody_dir"/*
	expect_success "dry run needs no privileges" \
		setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
		"$KEXEC" --live-update --handover-spec "$nobody_dir/handover-spec.json" \
		--handover-out "$nobody_dir/out.blob" -l "$nobody_dir/declares.bzImage"
else
	skip "dry run needs no privileges" "not root, or no nobody/setpriv"
fi

# ------------------------------------------------------------ refusals
expect_refusal "a kernel without the declaration is refused, naming it" \
	"silent\\.bzImage.*does not declare support for pkhandover ABI v3" \
	"$KEXEC" --live-update --handover-spec "$spec" --handover-out "$scratch/none.blob" \
	-l "$scratch/silent.bzImage"
if [ ! -e "$scratch/none.blob" ]; then
	pass "a refused dry run writes no blob"
else
	fail "a refused dry run writes no blob"
fi
expect_refusal "an ELF without the note is refused" \
	"silent\\.vmlinux.*no ELF note \"pkhandover\"" \
	"$KEXEC" --live-update --handover-spec "$spec" --handover-out "$scratch/none.blob" \
	-l "$scratch/silent.vmlinux"
expect_refusal "a kernel that declares only v1 is refused a v2+ state (the newest major, v3, is named)" \
	"accepts pkhandover ABI majors 1\\.\\.1, but the handover blob is pkhandover ABI v3" \
	"$KEXEC" --live-update --handover-spec "$spec" --handover-out "$scratch/none.blob" \
	-l "$scratch/v1-only.bzImage"

if stock=$("$top/tests/kexec/get-stock-kernel.sh" amd64 "$builddir/kexec-test-kernels"); then
	expect_refusal "a stock Debian kernel is refused ($(basename "$stock"))" \
		"$(basename "$stock").*refusing to attach a handover.*does not declare support" \
		"$KEXEC" --live-update --handover-spec "$spec" --handover-out "$scratch/none.blob" \
		-l "$stock"
	"$TESTTOOL" add-support "$stock" "$scratch/stock-declares.bzImage" 1 2
	expect_success "the same kernel with the declaration added is accepted" \
		"$KEXEC" --live-update --handover-spec "$spec" \
		--handover-out "$scratch/stock.blob" -l "$scratch/stock-declares.bzImage"
else
	skip "a stock Debian kernel is refused" "no stock kernel (see get-stock-kernel.sh)"
fi

expect_refusal "-p never gets a handover" "cannot be combined with -p" \
	"$KEXEC" --live-update --handover-spec "$spec" -p "$scratch/declares.bzImage"
expect_refusal "-s with --handover-spec is refused" "cannot be combined with -s" \
	"$KEXEC" --live-update --handover-spec "$spec" -s -l "$scratch/declares.bzImage"
expect_refusal "-a is refused" "cannot be combined with -a" \
	"$KEXEC" --live-update --handover-spec "$spec" -a -l "$scratch/declares.bzImage"
# -s: the running kernel writes ABI v3, so the image must declare it; and
# this host's kernel has no pkhandover series to build a handover.
"$TESTTOOL" make-bzimage "$scratch/declares-v3.bzImage" 1 3
expect_refusal "-s refuses an image that does not declare the kernel's ABI v3" \
	"declares\.bzImage: refusing to load this kernel for a live update.*ABI majors 1\.\.2" \
	"$KEXEC" --live-update -s -l "$scratch/declares.bzImage"
expect_refusal "-s on a kernel that cannot build a handover is refused before any system call" \
	"/sys/kernel/pkhandover/handover: the running kernel cannot build a handover" \
	"$KEXEC" --live-update -s -l "$scratch/declares-v3.bzImage"
expect_refusal "-e is refused" "applies to loading a kernel" "$KEXEC" --live-update -e
expect_refusal "-u is refused" "applies to loading a kernel" "$KEXEC" --live-update -u
expect_refusal "--handover-spec alone is refused" "only apply together with --live-update" \
	"$KEXEC" --handover-spec "$spec" -l "$scratch/declares.bzImage"
expect_refusal "--handover-out alone is refused" "only apply together with --live-update" \
	"$KEXEC" --handover-out "$scratch/x.blob" -l "$scratch/declares.bzImage"
expect_refusal "without --handover-spec, a kernel that reports no state is refused" \
	"/sys/kernel/pkhandover/state: the running kernel reports no handover state" \
	"$KEXEC" --live-update --handover-out "$scratch/x.blob" -l "$scratch/declares.bzImage"
echo '{ "generation": ' >"$scratch/broken.json"
expect_refusal "a malformed spec is refused, naming it" "broken\\.json" \
	"$KEXEC" --live-update --handover-spec "$scratch/broken.json" \
	--handover-out "$scratch/x.blob" -l "$scratch/declares.bzImage"
expect_refusal "a missing spec is refused, naming it" "nonexistent\\.json.*No such file" \
	"$KEXEC" --live-update --handover-spec "$scratch/nonexistent.json" \
	--handover-out "$scratch/x.blob" -l "$scratch/declares.bzImage"
expect_refusal "an unwritable --handover-out is an error" "cannot create the handover output" \
	"$KEXEC" --live-update --handover-spec "$spec" \
	--handover-out "$scratch/no/such/dir/x.blob" -l "$scratch/declares.bzImage"

# --------------------------------------- the setup_data chain of a real load
# Goes through the whole bzImage64 loader up to kexec_load(); needs root to
# read the memory map and the boot parameters, but never CAP_SYS_BOOT.
load_without_loading() {
	PKH_KEXEC_TEST_DUMP_SEGMENTS=$1 setpriv --inh-caps=-sys_boot --bounding-set=-sys_boot \
		"${@:2}"
}
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null && [ -r /proc/iomem ]; then
	for kernel in "$scratch/declares.bzImage" ${stock:+"$scratch/stock-declares.bzImage"}; do
		name=$(basename "$kernel")
		rm -f "$scratch/segments"
		run load_without_loading "$scratch/segments" "$KEXEC" --live-update \
			--handover-spec "$spec" --mem-max=0xffffffff \
			--command-line="console=ttyS0" -l "$kernel"
		if [ "$rc" -ne 0 ] || [ ! -s "$scratch/segments" ]; then
			fail "$name: load up to kexec_load() and dump the segments" "exit $rc" \
				"stderr: $(cat "$scratch/err")"
			continue
		fi
		pass "$name: load up to kexec_load() and dump the segments"
		if "$TESTTOOL" setup-data "$scratch/segments" "$scratch/from-boot-params.blob" \
			2>"$scratch/err" && cmp -s "$scratch/from-boot-params.blob" "$scratch/expected.blob"; then
			pass "$name: the blob is recovered byte-identical from boot_params' setup_data chain"
		else
			fail "$name: the blob is recovered byte-identical from boot_params' setup_data chain" \
				"$(cat "$scratch/err")"
		fi
		types=$("$TESTTOOL" setup-data-types "$scratch/segments" | awk '{print $1}' | tr '\n' ' ')
		if [ "$(echo "$types" | tr ' ' '\n' | grep -c '^0x504b4831$')" = 1 ]; then
			pass "$name: exactly one setup_data entry of type PKH1 in the chain ($types)"
		else
			fail "$name: exactly one setup_data entry of type PKH1 in the chain" "types: $types"
		fi
	done

	expect_refusal "a preserved region under the placed segments is refused" \
		"conflicts with preserved memory" \
		load_without_loading "$scratch/segments" "$KEXEC" --live-update \
		--handover-spec "$DATA/conflict-spec.json" --mem-max=0xffffffff \
		--command-line="console=ttyS0" -l "$scratch/declares.bzImage"
else
	skip "the setup_data chain of a real load" "needs root, setpriv and /proc/iomem"
fi

# ------------------------------------- plain kexec behaves as before
if [ -x "$KEXEC_PLAIN" ]; then
	# Both run as ./kexec, so that messages naming argv[0] compare equal.
	mkdir -p "$scratch/plain" "$scratch/patched"
	ln -s "$KEXEC_PLAIN" "$scratch/plain/kexec"
	ln -s "$KEXEC" "$scratch/patched/kexec"
	(cd "$scratch/plain" && ./kexec --help) >"$scratch/help.plain" 2>&1 || true
	(cd "$scratch/patched" && ./kexec --help) >"$scratch/help.patched" 2>&1 || true
	diff "$scratch/help.plain" "$scratch/help.patched" >"$scratch/help.diff" || true
	grep '^>' "$scratch/help.diff" | sed 's/^> //' >"$scratch/help.added" || true
	if ! grep -q '^<' "$scratch/help.diff" && [ "$(wc -l <"$scratch/help.added")" = 7 ] &&
		grep -q -- '--live-update' "$scratch/help.added" &&
		grep -q -- '--handover-spec=FILE' "$scratch/help.added" &&
		grep -q -- '--handover-out=FILE' "$scratch/help.added"; then
		pass "--help: the unpatched text plus the 7 lines of the new options"
	else
		fail "--help: the unpatched text plus the 7 lines of the new options" \
			"$(head -20 "$scratch/help.diff")"
	fi
	# Plain invocations: same exit status, same output but for the usage
	# lines of the new options.
	for args in "--version" "-l $scratch/nonexistent" "-e --no-such-option" \
		"-t nosuchtype -l $scratch/declares.bzImage" "--load-live-update -l $scratch/declares.bzImage" \
		"--exec-live-update"; do
		# shellcheck disable=SC2086
		(cd "$scratch/plain" && ./kexec $args) >"$scratch/plain.out" 2>&1 && prc=0 || prc=$?
		# shellcheck disable=SC2086
		(cd "$scratch/patched" && ./kexec $args) 2>&1 |
			grep -vxF -f "$scratch/help.added" >"$scratch/patched.out" || true
		# shellcheck disable=SC2086
		(cd "$scratch/patched" && ./kexec $args) >/dev/null 2>&1 && krc=0 || krc=$?
		if [ "$prc" = "$krc" ] && cmp -s "$scratch/plain.out" "$scratch/patched.out"; then
			pass "plain 'kexec $args' behaves as unpatched (exit $krc)"
		else
			fail "plain 'kexec $args' behaves as unpatched" "exit $prc vs $krc" \
				"$(diff "$scratch/plain.out" "$scratch/patched.out" | head -10)"
		fi
	done
else
	skip "plain kexec behaves as before" "no unpatched build at $KEXEC_PLAIN"
fi

finish
