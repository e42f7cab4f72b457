#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Export the pkhandover kernel code as an upstream-style patch series
# against Linux 6.12.95, for review or submission:
#
#   scripts/export-kernel-series.sh [--work DIR] OUTDIR
#   scripts/export-kernel-series.sh [--work DIR] --update-series NNNN FILE...
#
# Each patch of kernel/series/ (the changes to upstream files) becomes one
# exported patch, with its message, together with the new files from
# kernel/linux/ that kernel/series/manifest assigns to it, whole (symlinks
# dereferenced).  The patches are made with git format-patch --zero-commit
# from commits on a clean tree of the pinned linux-source-6.12, so the same
# inputs give the same bytes.  OUTDIR gets NNNN-*.patch (old ones there are
# removed first).
#
# DIR (default build/kernel-export) keeps the clean tree between runs, as a
# git work tree src/ with its repository in git/ (not inside src/, so the
# kernel's setlocalversion sees no repository): branch "export" holds the
# exported commits on the tag v6.12.95.  tests/kernel/check-export.sh
# builds every prefix of it there.
#
# --update-series folds the upstream files FILE... (paths in the kernel
# tree) as they are now in build/linux/src, where you edited them, into
# kernel/series/NNNN-*.patch: on a branch "series" of DIR (6.12.95 plus
# kernel/series), the change becomes a fixup of patch NNNN, git rebase
# --autosquash moves it there, and kernel/series/*.patch are written again
# with git format-patch.  A later patch that changes the same lines makes
# the rebase stop; finish it by hand in DIR (git --git-dir=DIR/git
# --work-tree=DIR/src ...) or edit the patch files.
#
# Needs git, xz and the tarball scripts/setup-vm.sh installs.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
W=$top/build/kernel-export
update=
while [ $# -gt 0 ]; do
	case "$1" in
	--work) W=$2; shift 2 ;;
	--work=*) W=${1#--work=}; shift ;;
	--update-series) update=$2; shift 2 ;;
	-h | --help) sed -n '3,32p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "export-kernel-series.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
if [ -n "$update" ]; then
	[[ $update =~ ^[0-9]{4}$ ]] && [ $# -ge 1 ] ||
		{ echo "usage: export-kernel-series.sh [--work DIR] --update-series NNNN FILE..." >&2; exit 2; }
	OUT=$W/series-out
else
	[ $# -eq 1 ] || { echo "usage: export-kernel-series.sh [--work DIR] OUTDIR" >&2; exit 2; }
	OUT=$1
fi

TARBALL=/usr/src/linux-source-6.12.tar.xz
SERIES=$top/kernel/series
MANIFEST=$SERIES/manifest
OVERLAY=$top/kernel/linux
log() { echo "export-kernel-series.sh: $*" >&2; }
die() { echo "export-kernel-series.sh: ERROR: $*" >&2; exit 1; }

[ -f "$TARBALL" ] || die "$TARBALL is missing: run scripts/setup-vm.sh as root"
mkdir -p "$W" "$OUT"
W=$(cd "$W" && pwd)
OUT=$(cd "$OUT" && pwd)

# Fixed identities and dates: the output depends only on the inputs.
export GIT_AUTHOR_NAME="pkhandover developers" GIT_AUTHOR_EMAIL="pkhandover@localhost"
export GIT_COMMITTER_NAME="pkhandover developers" GIT_COMMITTER_EMAIL="pkhandover@localhost"
export GIT_COMMITTER_DATE="Wed, 2 Dec 2026 12:00:00 +0000"
g() { git --git-dir="$W/git" --work-tree="$W/src" -c core.quotepath=off \
	-c advice.addIgnoredFile=false -c diff.noprefix=false -c diff.mnemonicPrefix=false \
	-c diff.renames=false -c core.autocrlf=false "$@"; }

# ---------------------------------------------------------------------------
# 1. The manifest: entries, and every file of kernel/linux exactly once.
declare -a nums=() files=()
cur=-1
while IFS= read -r line; do
	line=${line%%#*}
	[[ $line =~ ^[[:space:]]*$ ]] && continue
	if [[ $line =~ ^([0-9]{4})[[:space:]]*$ ]]; then
		nums+=("${BASH_REMATCH[1]}")
		files+=("")
		cur=$((${#nums[@]} - 1))
	elif [[ $line =~ ^[[:space:]]+([^[:space:]]+)[[:space:]]*$ ]]; then
		[ "$cur" -ge 0 ] || die "manifest: file before the first entry: ${BASH_REMATCH[1]}"
		files[$cur]+="${BASH_REMATCH[1]} "
	else
		die "manifest: cannot read line: $line"
	fi
done <"$MANIFEST"

mapfile -t patches < <(find "$SERIES" -maxdepth 1 -name '*.patch' -printf '%f\n' | LC_ALL=C sort)
[ "${#patches[@]}" -eq "${#nums[@]}" ] ||
	die "kernel/series has ${#patches[@]} patches, the manifest ${#nums[@]} entries"
for i in "${!nums[@]}"; do
	[ "${patches[$i]%%-*}" = "${nums[$i]}" ] ||
		die "manifest entry $((i + 1)) is ${nums[$i]}, kernel/series has ${patches[$i]} there"
done
listed=$(printf '%s' "${files[@]}" | tr ' ' '\n' | sed '/^$/d' | LC_ALL=C sort)
present=$(cd "$OVERLAY" && find . -mindepth 1 \( -type f -o -type l \) ! -path './.*' -printf '%P\n' |
	LC_ALL=C sort)
dups=$(printf '%s\n' "$listed" | uniq -d)
[ -z "$dups" ] || die "manifest lists more than once: $dups"
if [ "$listed" != "$present" ]; then
	diff <(printf '%s\n' "$present") <(printf '%s\n' "$listed") |
		sed -n 's/^< /  in kernel\/linux, not in the manifest: /p; s/^> /  in the manifest, not in kernel\/linux: /p' >&2
	die "kernel/series/manifest does not list exactly the files of kernel/linux"
fi

# ---------------------------------------------------------------------------
# 2. The clean tree, unpacked and committed once per tarball.
source_id="$(stat -c '%s %Y' "$TARBALL") $(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)"
if [ ! -f "$W/pristine.stamp" ] || [ "$(cat "$W/pristine.stamp")" != "$source_id" ] ||
	! g rev-parse -q --verify v6.12.95 >/dev/null 2>&1; then
	log "unpacking $TARBALL into $W/src and committing it (once; about 2 minutes)"
	rm -rf "$W/src" "$W/git" "$W/pristine.stamp"
	mkdir -p "$W/src"
	tar -xJf "$TARBALL" -C "$W/src" --strip-components=1
	git init -q --bare "$W/git"
	g config core.bare false
	# -f: Debian's top-level .gitignore ignores everything.
	g add -f -A . >/dev/null
	GIT_AUTHOR_DATE=$GIT_COMMITTER_DATE g commit -q --no-verify -m "Linux 6.12.95 (linux-source-6.12)"
	g tag v6.12.95
	echo "$source_id" >"$W/pristine.stamp"
fi

# ---------------------------------------------------------------------------
# --update-series: fold the edited files into their patch, write the series.
fmt() { g format-patch -q --zero-commit --no-signature --abbrev=12 --no-renames \
	--diff-algorithm=myers "$@"; }
if [ -n "$update" ]; then
	SRC=$top/build/linux/src
	g checkout -q -f -B series v6.12.95
	g clean -q -fdx
	target=
	for p in "${patches[@]}"; do
		g am -q --whitespace=nowarn "$SERIES/$p" || { g am --abort; die "kernel/series/$p does not apply"; }
		[ "${p%%-*}" = "$update" ] && target=$(g rev-parse HEAD)
	done
	[ -n "$target" ] || die "no kernel/series/$update-*.patch"
	for f in "$@"; do
		[ -f "$SRC/$f" ] || die "$SRC/$f does not exist"
		[ -e "$OVERLAY/$f" ] && die "$f is a new file: edit kernel/linux/$f instead"
		g cat-file -e "v6.12.95:$f" 2>/dev/null || die "$f is not an upstream file"
		cp "$SRC/$f" "$W/src/$f"
		g add -f "$f"
	done
	if g diff --cached --quiet; then
		log "the series already has these files as they are in $SRC"
	else
		g commit -q --no-verify --fixup="$target"
		GIT_SEQUENCE_EDITOR=: g rebase -q -i --autosquash v6.12.95 ||
			die "the rebase stopped (a later patch changes the same lines): see $W"
	fi
	rm -rf "$OUT" && mkdir -p "$OUT"
	fmt -o "$OUT" v6.12.95..series
	rm -f "$SERIES"/[0-9][0-9][0-9][0-9]-*.patch
	cp "$OUT"/*.patch "$SERIES/"
	log "kernel/series written again; git diff kernel/series shows what changed"
	exit 0
fi

# ---------------------------------------------------------------------------
# 3. One commit per entry: the series patch (its message, author, date and
# its changes to upstream files), then the entry's new files.
#
# A new Makefile grows with its directory: a line that builds one object
# of a new source file ("obj-y += carveout.o") comes with the patch that
# adds that file, so every patch compiles the code it adds; the other lines
# come with the Makefile.
declare -A added=()
write_makefile() { # path in the tree
	local mf=$1 dir line src
	dir=$(dirname "$mf")
	local one_object='^[a-z0-9_]+-[^[:space:]]+[[:space:]]*\+=[[:space:]]*([A-Za-z0-9_-]+)\.o[[:space:]]*$'
	while IFS= read -r line; do
		if [[ $line =~ $one_object ]]; then
			src=$dir/${BASH_REMATCH[1]}.c
			[ -e "$OVERLAY/$src" ] && [ -z "${added[$src]:-}" ] && continue
		fi
		printf '%s\n' "$line"
	done <"$OVERLAY/$mf" >"$W/src/$mf"
	g add -f "$mf"
}
g checkout -q -f -B export v6.12.95
g clean -q -fdx
for i in "${!nums[@]}"; do
	p=${patches[$i]}
	g am -q --whitespace=nowarn "$SERIES/$p" ||
		{ g am --abort 2>/dev/null || true; die "kernel/series/$p does not apply with git am"; }
	n=0
	for f in ${files[$i]}; do
		mkdir -p "$W/src/$(dirname "$f")"
		cp -L "$OVERLAY/$f" "$W/src/$f"
		g add -f "$f"
		added[$f]=1
		n=$((n + 1))
	done
	for f in "${!added[@]}"; do
		[ "${f##*/}" = Makefile ] && write_makefile "$f"
	done
	g diff --cached --quiet || g commit -q --no-verify --amend --no-edit
	log "$p: $n new files"
done

# ---------------------------------------------------------------------------
# 4. The series.
rm -f "$OUT"/[0-9][0-9][0-9][0-9]-*.patch
fmt -o "$OUT" v6.12.95..export
log "exported $(find "$OUT" -maxdepth 1 -name '[0-9]*.patch' | wc -l) patches to $OUT"
