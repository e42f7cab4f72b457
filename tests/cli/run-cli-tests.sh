#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Runs the command-line tests written as data in tests/cli/cases (the format
# is described at the top of that file).
#
# Environment (set by `make check` through TESTS_ENVIRONMENT):
#   top_srcdir       source tree (default: two levels above this script)
#   top_builddir     build tree holding tools/pkhandover (default: .)
#   SANITIZED_TESTS  yes: run every case a second time with
#                    $top_builddir/tools/pkhandover-asan (ASan + UBSan) and
#                    fail a case whose stderr shows a sanitizer report
#   CLI_CASES        cases file (default: $top_srcdir/tests/cli/cases)
#   CLI_FILTER       run only cases whose name matches this ERE
#   CLI_KEEP_TMP     yes: keep the scratch directories and print their path
#   CLI_TIMEOUT      seconds per SETUP or RUN step (default 120)
#
# Standalone, from a build directory:
#   top_srcdir=.. top_builddir=. SANITIZED_TESTS=no ../tests/cli/run-cli-tests.sh
#
# A case marked KNOWN_BUG is expected to fail: it prints XFAIL and does not
# count as a failure; if it passes it prints XPASS and does (remove the mark).
#
# Exit status: 0 when every case passed (or was skipped, or is a known bug),
# 1 when one failed, 99 when the runner itself could not work (bad cases
# file, no binary).
set -u

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top_srcdir=${top_srcdir:-$script_dir/../..}
top_builddir=${top_builddir:-.}
SANITIZED_TESTS=${SANITIZED_TESTS:-no}
CLI_CASES=${CLI_CASES:-$top_srcdir/tests/cli/cases}
CLI_FILTER=${CLI_FILTER:-}
CLI_KEEP_TMP=${CLI_KEEP_TMP:-no}
CLI_TIMEOUT=${CLI_TIMEOUT:-120}

top_srcdir=$(cd "$top_srcdir" && pwd) || exit 99
top_builddir=$(cd "$top_builddir" && pwd) || exit 99

die() {
	echo "run-cli-tests: $*" >&2
	exit 99
}

[ -r "$CLI_CASES" ] || die "cannot read cases file $CLI_CASES"

# ------------------------------------------------------------ binaries
binaries=()
labels=()
plain=$top_builddir/tools/pkhandover
[ -x "$plain" ] || die "$plain not built (run: make tools/pkhandover)"
binaries+=("$plain")
labels+=("")
case $SANITIZED_TESTS in
yes)
	asan=$top_builddir/tools/pkhandover-asan
	[ -x "$asan" ] || die "SANITIZED_TESTS=yes but $asan is not built (run: make tools/pkhandover-asan)"
	binaries+=("$asan")
	labels+=(" [asan]")
	;;
no | "") ;;
*) die "SANITIZED_TESTS must be yes or no, not '$SANITIZED_TESTS'" ;;
esac

# Sanitizer reports must reach stderr, and must fail the run.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:halt_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
sanitizer_pattern='runtime error|AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer'

have_timeout=no
command -v timeout > /dev/null 2>&1 && have_timeout=yes

scratch=$(mktemp -d "${TMPDIR:-/tmp}/pkh-cli-tests.XXXXXX") || die "mktemp failed"
# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
	if [ "$CLI_KEEP_TMP" = yes ]; then
		echo "run-cli-tests: scratch directories kept in $scratch"
	else
		rm -rf "$scratch"
	fi
}
trap cleanup EXIT

# Helpers that SETUP and RUN lines may call; the cases file documents them.
helpers=$scratch/helpers.sh
cat > "$helpers" << 'HELPERS'
# spec_edit IN OUT 'python statements': load the JSON spec IN as `s`, run the
# statements, write the result to OUT.
spec_edit() {
	python3 - "$1" "$2" "$3" << 'PYTHON'
import json, sys
src, dst, code = sys.argv[1], sys.argv[2], sys.argv[3]
with open(src) as f:
    s = json.load(f)
exec(code)
with open(dst, "w") as f:
    json.dump(s, f, indent=2)
    f.write("\n")
PYTHON
}

# flip_byte FILE OFFSET [MASK]: xor one byte of FILE in place (default mask 0x01).
flip_byte() {
	python3 - "$1" "$2" "${3:-1}" << 'PYTHON'
import sys
path, offset, mask = sys.argv[1], int(sys.argv[2], 0), int(sys.argv[3], 0)
with open(path, "r+b") as f:
    f.seek(offset)
    b = f.read(1)
    f.seek(offset)
    f.write(bytes([b[0] ^ mask]))
PYTHON
}

# example_blob OUT: the example spec (example.json) and its blob OUT.
example_blob() {
	"$PKH" example > example.json && "$PKH" build example.json -o "$1"
}

# V1_SPEC: spec_edit statements that turn the example spec into the same
# state in ABI v1 (each file one extent where its blocks are, no metadata).
V1_SPEC='s["abi_major"] = 1; [r.pop("metadata") for r in s["regions"]]; [r.pop("metadata_digest") for r in s["regions"]]; s["regions"][0]["files"][0]["extents"] = [["0x200000", "0x100000000"]]; s["regions"][0]["files"][1]["extents"] = [["0x100200000", "0x40000000"]]'
HELPERS

# ------------------------------------------------------------ parsing
# A case is the block of lines from one NAME to the next.  Each case is
# stored as parallel arrays indexed by case number; the multi-valued keys
# (SETUP, EXPECT_*) are newline-separated.
declare -a c_name c_line c_requires c_setup c_run c_exit c_expect c_bug
ncases=0
parse_error=""

finish_case() {
	[ "$ncases" -gt 0 ] || return 0
	local i=$((ncases - 1))
	[ -n "${c_run[i]}" ] || parse_error+="$CLI_CASES:${c_line[i]}: case ${c_name[i]} has no RUN"$'\n'
	[ -n "${c_exit[i]}" ] || parse_error+="$CLI_CASES:${c_line[i]}: case ${c_name[i]} has no EXPECT_EXIT"$'\n'
}

declare -A seen_names
lineno=0
while IFS= read -r line || [ -n "$line" ]; do
	lineno=$((lineno + 1))
	# Comments and blank lines; leading whitespace is not significant.
	trimmed=${line#"${line%%[![:space:]]*}"}
	case $trimmed in
	"" | "#"*) continue ;;
	esac
	key=${trimmed%%[[:space:]]*}
	value=""
	if [ "$key" != "$trimmed" ]; then
		value=${trimmed#"$key"}
		value=${value#[[:space:]]}
	fi
	if [ "$key" = NAME ]; then
		finish_case
		[ -n "$value" ] || parse_error+="$CLI_CASES:$lineno: NAME without a name"$'\n'
		if [ -n "${seen_names[$value]:-}" ]; then
			parse_error+="$CLI_CASES:$lineno: duplicate case name $value (first at line ${seen_names[$value]})"$'\n'
		fi
		seen_names[$value]=$lineno
		c_name[ncases]=$value
		c_line[ncases]=$lineno
		c_requires[ncases]=""
		c_setup[ncases]=""
		c_run[ncases]=""
		c_exit[ncases]=""
		c_expect[ncases]=""
		c_bug[ncases]=""
		ncases=$((ncases + 1))
		continue
	fi
	if [ "$ncases" -eq 0 ]; then
		parse_error+="$CLI_CASES:$lineno: $key before the first NAME"$'\n'
		continue
	fi
	i=$((ncases - 1))
	case $key in
	REQUIRES)
		c_requires[i]+="$value "
		;;
	KNOWN_BUG)
		[ -n "$value" ] || parse_error+="$CLI_CASES:$lineno: KNOWN_BUG needs a description"$'\n'
		c_bug[i]=$value
		;;
	SETUP)
		c_setup[i]+="$value"$'\n'
		;;
	RUN)
		[ -z "${c_run[i]}" ] || parse_error+="$CLI_CASES:$lineno: second RUN in case ${c_name[i]}"$'\n'
		c_run[i]=$value
		;;
	EXPECT_EXIT)
		[[ $value =~ ^[0-9]+$ ]] || parse_error+="$CLI_CASES:$lineno: EXPECT_EXIT needs a number"$'\n'
		c_exit[i]=$value
		;;
	EXPECT_STDOUT | EXPECT_STDERR | EXPECT_STDOUT_REGEX | EXPECT_STDERR_REGEX | \
		EXPECT_NOT_STDOUT | EXPECT_NOT_STDERR | EXPECT_FILE_SAME | EXPECT_FILE)
		[ -n "$value" ] || parse_error+="$CLI_CASES:$lineno: $key needs a value"$'\n'
		c_expect[i]+="$key $value"$'\n'
		;;
	EXPECT_STDOUT_EMPTY | EXPECT_STDERR_EMPTY)
		c_expect[i]+="$key"$'\n'
		;;
	EXPECT_STDOUT_IS | EXPECT_STDERR_IS)
		[ -n "$value" ] || parse_error+="$CLI_CASES:$lineno: $key needs a value"$'\n'
		c_expect[i]+="$key $value"$'\n'
		;;
	*)
		parse_error+="$CLI_CASES:$lineno: unknown key $key"$'\n'
		;;
	esac
done < "$CLI_CASES"
finish_case

if [ -n "$parse_error" ]; then
	printf '%s' "$parse_error" >&2
	die "the cases file is malformed"
fi
[ "$ncases" -gt 0 ] || die "no cases in $CLI_CASES"

# ------------------------------------------------------------ running
passed=0
failed=0
skipped=0
xfailed=0
failures=()

# run_step DIR SCRIPT STDOUT STDERR: runs SCRIPT with bash in DIR; prints the
# exit status.
run_step() {
	local dir=$1 script=$2 out=$3 err=$4 status
	local -a runner=(bash)
	[ "$have_timeout" = yes ] && runner=(timeout -k 5 "$CLI_TIMEOUT" bash)
	(
		cd "$dir" || exit 98
		# shellcheck disable=SC1090
		"${runner[@]}" -c ". \"\$PKH_CLI_HELPERS\"
$script" > "$out" 2> "$err"
	)
	status=$?
	echo "$status"
}

# Prints up to 20 lines of FILE indented, for failure reports.
show() {
	local label=$1 file=$2
	if [ -s "$file" ]; then
		echo "    --- $label:"
		head -n 20 "$file" | sed 's/^/    | /'
		[ "$(wc -l < "$file")" -le 20 ] || echo "    | ..."
	else
		echo "    --- $label: (empty)"
	fi
}

for ((i = 0; i < ncases; i++)); do
	name=${c_name[i]}
	if [ -n "$CLI_FILTER" ] && ! [[ $name =~ $CLI_FILTER ]]; then
		continue
	fi
	missing=""
	for tool in ${c_requires[i]}; do
		command -v "$tool" > /dev/null 2>&1 || missing+="$tool "
	done
	for ((b = 0; b < ${#binaries[@]}; b++)); do
		label="$name${labels[$b]}"
		if [ -n "$missing" ]; then
			echo "SKIP $label (needs ${missing% })"
			skipped=$((skipped + 1))
			continue
		fi
		dir=$scratch/case-$i-$b
		mkdir -p "$dir/tmp"
		export PKH=${binaries[$b]}
		export DATA=$top_srcdir/tests/data
		export TMP=$dir/tmp
		export PKH_CLI_HELPERS=$helpers
		reasons=()
		setup_failed=no

		if [ -n "${c_setup[i]}" ]; then
			status=$(run_step "$TMP" "set -e
${c_setup[i]}" "$dir/setup.out" "$dir/setup.err")
			if [ "$status" != 0 ]; then
				reasons+=("SETUP exited $status")
				setup_failed=yes
			fi
			if grep -Eq "$sanitizer_pattern" "$dir/setup.err"; then
				reasons+=("sanitizer report in SETUP stderr")
				setup_failed=yes
			fi
		fi

		if [ "$setup_failed" = no ]; then
			status=$(run_step "$TMP" "${c_run[i]}" "$dir/stdout" "$dir/stderr")
			[ "$status" = "${c_exit[i]}" ] ||
				reasons+=("exit status: expected ${c_exit[i]}, got $status")
			if grep -Eq "$sanitizer_pattern" "$dir/stderr"; then
				reasons+=("sanitizer report in stderr")
			fi
			while IFS= read -r expect; do
				[ -n "$expect" ] || continue
				key=${expect%% *}
				value=""
				[ "$key" = "$expect" ] || value=${expect#* }
				case $key in
				EXPECT_STDOUT)
					grep -Fq -- "$value" "$dir/stdout" || reasons+=("stdout lacks: $value") ;;
				EXPECT_STDERR)
					grep -Fq -- "$value" "$dir/stderr" || reasons+=("stderr lacks: $value") ;;
				EXPECT_STDOUT_REGEX)
					grep -Eq -- "$value" "$dir/stdout" || reasons+=("stdout does not match /$value/") ;;
				EXPECT_STDERR_REGEX)
					grep -Eq -- "$value" "$dir/stderr" || reasons+=("stderr does not match /$value/") ;;
				EXPECT_NOT_STDOUT)
					! grep -Fq -- "$value" "$dir/stdout" || reasons+=("stdout unexpectedly has: $value") ;;
				EXPECT_NOT_STDERR)
					! grep -Fq -- "$value" "$dir/stderr" || reasons+=("stderr unexpectedly has: $value") ;;
				EXPECT_STDOUT_IS)
					[ "$(cat "$dir/stdout"; echo x)" = "$value"$'\n'x ] ||
						reasons+=("stdout is not exactly the line: $value") ;;
				EXPECT_STDERR_IS)
					[ "$(cat "$dir/stderr"; echo x)" = "$value"$'\n'x ] ||
						reasons+=("stderr is not exactly the line: $value") ;;
				EXPECT_STDOUT_EMPTY)
					[ ! -s "$dir/stdout" ] || reasons+=("stdout is not empty") ;;
				EXPECT_STDERR_EMPTY)
					[ ! -s "$dir/stderr" ] || reasons+=("stderr is not empty") ;;
				EXPECT_FILE)
					[ -f "$TMP/$value" ] || reasons+=("file $value was not created") ;;
				EXPECT_FILE_SAME)
					read -r file_a file_b <<< "$value"
					if [ ! -f "$TMP/$file_a" ] || [ ! -f "$TMP/$file_b" ]; then
						reasons+=("EXPECT_FILE_SAME: $file_a or $file_b is missing")
					elif ! cmp -s "$TMP/$file_a" "$TMP/$file_b"; then
						reasons+=("files differ: $file_a $file_b ($(cmp "$TMP/$file_a" "$TMP/$file_b" 2>&1 | head -n 1))")
					fi
					;;
				esac
			done <<< "${c_expect[i]}"
		fi

		if [ -n "${c_bug[i]}" ]; then
			if [ ${#reasons[@]} -eq 0 ]; then
				echo "XPASS $label: known bug fixed? remove KNOWN_BUG (${CLI_CASES##*/}:${c_line[i]})"
				failed=$((failed + 1))
				failures+=("$label (XPASS)")
			else
				echo "XFAIL $label (known bug: ${c_bug[i]}; ${reasons[0]})"
				xfailed=$((xfailed + 1))
			fi
		elif [ ${#reasons[@]} -eq 0 ]; then
			echo "PASS $label"
			passed=$((passed + 1))
		else
			echo "FAIL $label (${CLI_CASES##*/}:${c_line[i]})"
			for reason in "${reasons[@]}"; do
				echo "    $reason"
			done
			if [ "$setup_failed" = yes ]; then
				show "setup stdout" "$dir/setup.out"
				show "setup stderr" "$dir/setup.err"
			else
				echo "    --- command: ${c_run[i]}"
				show stdout "$dir/stdout"
				show stderr "$dir/stderr"
			fi
			failed=$((failed + 1))
			failures+=("$label")
		fi
		[ "$CLI_KEEP_TMP" = yes ] || rm -rf "$dir"
	done
done

echo
summary="$passed passed, $failed failed"
[ "$skipped" -eq 0 ] || summary+=", $skipped skipped"
[ "$xfailed" -eq 0 ] || summary+=", $xfailed known bugs (XFAIL)"
echo "$summary"
if [ "$failed" -gt 0 ]; then
	echo "failed:"
	printf '  %s\n' "${failures[@]}"
	exit 1
fi
exit 0
