#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Sources the bash completion of pkhandover (tools/completion/pkhandover),
# checks that it completes exactly the subcommands and options that
# `pkhandover --help` and `pkhandover CMD --help` list, and files and
# directories where they belong.  Also with bash-completion's own
# _init_completion when /usr/share/bash-completion/bash_completion exists.
set -uo pipefail

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
pkhandover=${PKHANDOVER:-$top_builddir/tools/pkhandover}
completion=${COMPLETION:-$top_srcdir/tools/completion/pkhandover}

failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

# The words after "Subcommands:" and the options of a --help text, sorted.
help_commands() { "$pkhandover" --help | sed -n '/^Subcommands:/,$p' | awk 'NR > 1 && NF { print $1 }' | sort; }
help_options() { # [CMD]
	"$pkhandover" "$@" --help | sed -n '/^Options:/,/^[A-Z]/p' |
		grep -Eo -- '(^|[ ,])--?[a-z][a-z-]*' | tr -d ' ,' | sort -u
}

# complete LINE: the completions bash offers for LINE (cursor at its end).
complete_line() {
	local line=$1 mode=$2
	bash --norc --noprofile -c '
		[ "$3" = full ] && . /usr/share/bash-completion/bash_completion
		. "$1"
		COMP_LINE=$2
		COMP_POINT=${#COMP_LINE}
		read -ra COMP_WORDS <<<"$COMP_LINE"
		[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_pkhandover pkhandover "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort
	' _ "$completion" "$line" "$mode"
}

expect() { # MODE LINE EXPECTED...
	local mode=$1 line=$2 got want
	shift 2
	got=$(complete_line "$line" "$mode")
	want=$(printf '%s\n' "$@" | sed '/^$/d' | sort)
	if [ "$got" != "$want" ]; then
		fail "[$mode] '$line': got [$(echo $got)], want [$(echo $want)]"
	else
		echo "ok [$mode] '$line' -> $(echo $got)"
	fi
}

[ -x "$pkhandover" ] || { echo "FAIL: no $pkhandover"; exit 1; }
pkhandover=$(realpath "$pkhandover")
completion=$(realpath "$completion")
bash -n "$completion" || { echo "FAIL: $completion is not valid bash"; exit 1; }

modes=(plain)
[ -f /usr/share/bash-completion/bash_completion ] && modes+=(full)

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/sdir"
: >"$scratch/spec.json"
: >"$scratch/a.blob"
cd "$scratch" || exit 1

for mode in "${modes[@]}"; do
	# The top level: the subcommands and options --help lists, nothing else.
	expect "$mode" "pkhandover " $(help_commands) $(help_options)
	expect "$mode" "pkhandover -" $(help_options | grep '^-')
	expect "$mode" "pkhandover in" inspect
	expect "$mode" "pkhandover --help " $(help_commands) $(help_options)
	for cmd in $(help_commands); do
		expect "$mode" "pkhandover $cmd -" $(help_options "$cmd")
	done
	expect "$mode" "pkhandover inspect --j" --json
	expect "$mode" "pkhandover validate --live --r" --ram --received --reserved
	# Operands and option arguments: files, or directories.
	expect "$mode" "pkhandover build s" spec.json sdir
	expect "$mode" "pkhandover build spec.json -o a" a.blob
	expect "$mode" "pkhandover validate --setup-data-dir " sdir
	expect "$mode" "pkhandover validate --live --fdt " a.blob sdir spec.json
	expect "$mode" "pkhandover inspect --live --received " a.blob sdir spec.json
	expect "$mode" "pkhandover inspect --live --pkernfs-dir " sdir
	expect "$mode" "pkhandover diff a.blob " a.blob sdir spec.json
	expect "$mode" "pkhandover validate a.blob --ram " ''
	expect "$mode" "pkhandover example " $(help_options example)
done

# The completion is registered for pkhandover.
reg=$(bash --norc --noprofile -c '. "$1"; complete -p pkhandover' _ "$completion")
[ "$reg" = "complete -o filenames -F _pkhandover pkhandover" ] || fail "registration: $reg"

[ $failed -eq 0 ] || { echo "$failed failures"; exit 1; }
echo "bash completion: all checks passed (${modes[*]})"
