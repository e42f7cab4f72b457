# SPDX-License-Identifier: GPL-2.0-only
# Scenario pkernfs-fragmented-large-file: in a carve-out whose free space is
# nothing but holes of one block, a file gets far more extents than its
# inode slot holds (471): the rest go to its extent block, and the file
# survives a real kexec --live-update.
#   stage 1: mount -o format; grow files a and b in turns, one 2 MiB block
#            at a time, until the carve-out is full (each gets an extent
#            block on the way); remove b: the free space is now one-block
#            holes between the blocks of a.  Grow "big" into all of them
#            but one, which becomes its extent block: one extent per block,
#            over a thousand.  Check the extent counts (FIEMAP), that
#            no block is left, the superblock's version 2; umount/mount
#            (the mount checks each extent block); write the pattern into
#            big; kexec --live-update.
#   stage 2: accepted and adopted; the same extents; big holds the pattern;
#            shrinking big and a into their slots frees their extent blocks
#            and makes the superblock version 1 again; umount/mount.
# Without extent blocks, growing a failed with ENOSPC ("free space is too
# fragmented") at its 472nd extent, before the carve-out was full.
#
# The pattern: each 4 KiB page holds a number, left-aligned and padded with
# spaces (printf '%-4096d'): the first page of each 2 MiB block its page
# number in the file (0, 512, 1024, ...), the others their page number in
# the block (1..511).  A block in the wrong place, or a page in the wrong
# place in its block, changes the md5sum of the file, which covers every
# byte.  The expected md5sum comes from the generator, never from the
# file.  Each phase logs its time.

# pattern_pieces BLOCKS: write the pattern's pieces into /tmp/pat (a page
# per block and the 511 pages every block ends with) and list them, in
# order, in $PAT_FILES: "cat $PAT_FILES" is the pattern.  One printf (an
# ash builtin) per 4 KiB page of the whole pattern is ten times slower
# under TCG than this.
pattern_pieces() {
	local k=0
	mkdir -p /tmp/pat
	# shellcheck disable=SC2046
	printf '%-4096d' $(seq 1 511) >/tmp/pat/rest
	PAT_FILES=
	while [ "$k" -lt "$1" ]; do
		printf '%-4096d' $((k * 512)) >/tmp/pat/$((100000 + k))
		PAT_FILES="$PAT_FILES /tmp/pat/$((100000 + k)) /tmp/pat/rest"
		k=$((k + 1))
	done
}

# extents_of NAME: the number of extents of file NAME, as FIEMAP reports
# them (filefrag): the handover state no longer lists them (ABI v2).
extents_of() {
	filefrag "$PKH_MNT/$1" | sed -n 's/.*: \([0-9]*\) extents\{0,1\} found$/\1/p'
}

# blocks_of NAME: the 2 MiB blocks of NAME's size.
blocks_of() {
	echo $((($(stat -c %s "$PKH_MNT/$1") + 2097151) / 2097152))
}

# sb_version: the superblock's version (the second le32 of the metadata).
sb_version() {
	dd if=/sys/kernel/debug/pkernfs/metadata bs=4 skip=1 count=1 2>/dev/null |
		od -An -tu4 | tr -d ' '
}

free_blocks() {
	stat -f -c %f "$PKH_MNT"
}

# page_is NAME P: page P of NAME starts with the number the pattern gives it.
page_is() {
	local want=$(($2 % 512))
	[ "$want" != 0 ] || want=$2
	[ "$(dd if="$PKH_MNT/$1" bs=4096 skip="$2" count=1 2>/dev/null | head -c 8 | tr -d ' ')" = "$want" ]
}

stage_1() {
	local t0 i total holes big_blocks pages n na v
	pkh_need_pkernfs
	[ -e /sys/kernel/debug/pkernfs/metadata ] || pkh_die "no /sys/kernel/debug/pkernfs/metadata"
	pkh_mount "$PKH_FS_FORMAT_OPT" || pkh_die "mount -o $PKH_FS_FORMAT_OPT failed"
	[ "$(sb_version)" = 1 ] || pkh_die "a new pkernfs has superblock version $(sb_version), not 1"
	total=$(free_blocks)

	t0=$(date +%s)
	i=1
	while truncate -s "$((i * 2))M" "$PKH_MNT/a" "$PKH_MNT/b" 2>/tmp/trunc.err; do
		i=$((i + 1))
	done
	grep -q 'No space left on device' /tmp/trunc.err ||
		pkh_die "growing a and b stopped, but not with ENOSPC: $(cat /tmp/trunc.err)"
	[ "$(free_blocks)" = 0 ] ||
		pkh_die "growing a and b stopped with $(free_blocks) of $total blocks free: $(cat /tmp/trunc.err)"
	rm "$PKH_MNT/b" || pkh_die "rm b failed"
	holes=$(free_blocks)
	pkh_log "filled $total blocks in turns in $(($(date +%s) - t0)) s; a has $(blocks_of a) blocks; removing b left $holes free"
	[ "$holes" -gt 900 ] || pkh_die "only $holes holes: the carve-out is too small for this scenario"

	t0=$(date +%s)
	big_blocks=$((holes - 1))
	pages=$((big_blocks * 512))
	truncate -s "$((big_blocks * 2))M" "$PKH_MNT/big" 2>/tmp/trunc.err ||
		pkh_die "growing big to $big_blocks blocks in $holes one-block holes failed: $(cat /tmp/trunc.err)"
	[ "$(free_blocks)" = 0 ] ||
		pkh_die "big and its extent block should take every free block, $(free_blocks) are left"
	n=$(extents_of big)
	na=$(extents_of a)
	[ "$n" = "$big_blocks" ] ||
		pkh_die "big has $n extents (FIEMAP), expected one per block: $big_blocks"
	[ "$na" = "$(blocks_of a)" ] ||
		pkh_die "a has $na extents (FIEMAP), expected one per block: $(blocks_of a)"
	v=$(sb_version)
	[ "$v" = 2 ] || pkh_die "superblock version $v with extent blocks in use, expected 2"
	pkh_log "big: $big_blocks blocks taken in $(($(date +%s) - t0)) s"
	echo "PKH-CHECK extents big=$n a=$na (an inode slot holds 471); superblock version $v" >&2

	umount "$PKH_MNT" || pkh_die "umount failed"
	pkh_mount || pkh_die "mount without format failed with extent blocks"
	{ [ "$(extents_of big)" = "$n" ] && [ "$(extents_of a)" = "$na" ]; } ||
		pkh_die "the extents changed across umount/mount"

	t0=$(date +%s)
	pattern_pieces "$big_blocks"
	# shellcheck disable=SC2086
	cat $PAT_FILES |
		dd of="$PKH_MNT/big" bs=2M conv=notrunc iflag=fullblock 2>/tmp/dd.err ||
		pkh_die "writing the pattern into big failed: $(cat /tmp/dd.err)"
	[ "$(stat -c %s "$PKH_MNT/big")" = $((pages * 4096)) ] ||
		pkh_die "big is $(stat -c %s "$PKH_MNT/big") bytes after the write, not $((pages * 4096))"
	# The last block's extent is in the extent block.
	{ page_is big 0 && page_is big $((pages - 512)) && page_is big $((pages - 1)); } ||
		pkh_die "big's first page, last block or last page does not hold its number"
	pkh_log "wrote $pages pages of pattern into big in $(($(date +%s) - t0)) s"
	pkh_live_update "pkh.extents=$n" "pkh.blocks=$big_blocks"
}

stage_2() {
	local t0 n pages want got keep
	pkh_iomem_has pkernfs || pkh_die "/proc/iomem does not show the pkernfs carve-out"
	pkh_check_received >/dev/null || exit 1
	grep -q big /tmp/pkh-inspect.txt || pkh_die "pkhandover inspect --live does not show big"
	pkh_mount || pkh_die "mount without format failed after the live update"
	pkh_dmesg_has "$PKH_MSG_ADOPTED" || pkh_die "pkernfs did not adopt the handover"
	n=$(extents_of big)
	[ "$n" = "$(pkh_arg extents)" ] ||
		pkh_die "big has $n extents after the live update, $(pkh_arg extents) before"
	[ "$(sb_version)" = 2 ] || pkh_die "superblock version $(sb_version) after the live update, expected 2"
	# The v2 blob names big but not its blocks: inspect --live reads them
	# from the mounted pkernfs, every one inside the region.
	pkhandover inspect --live >/tmp/pkh-inspect-mounted.txt 2>&1 ||
		pkh_die "pkhandover inspect --live with pkernfs mounted failed: $(tail -n 3 /tmp/pkh-inspect-mounted.txt)"
	grep -q "file \"big\"  inode [0-9]*  $n extents, $(printf '0x%x' $(($(pkh_arg blocks) * 2097152))) bytes" \
		/tmp/pkh-inspect-mounted.txt ||
		pkh_die "inspect --live does not list big's $n extents: $(grep -A1 '"big"' /tmp/pkh-inspect-mounted.txt | head -n 3)"
	echo "PKH-CHECK inspect --live lists big's $n extents (FIEMAP)" >&2

	t0=$(date +%s)
	pages=$(($(pkh_arg blocks) * 512))
	pattern_pieces "$(pkh_arg blocks)"
	# Two CPUs: the generator's sum and the file's at once.
	# shellcheck disable=SC2086
	(cat $PAT_FILES | md5sum | cut -d' ' -f1 >/tmp/want) &
	got=$(md5sum "$PKH_MNT/big" | cut -d' ' -f1)
	pkh_log "md5sum of big in $(($(date +%s) - t0)) s"
	wait
	want=$(cat /tmp/want)
	if [ -z "$want" ] || [ "$got" != "$want" ]; then
		echo "PKH-CHECK big MISMATCH expected=$want got=$got" >&2
		pkh_die "big changed across the live update"
	fi
	echo "PKH-CHECK big MATCH md5=$got ($pages pages, $n extents)" >&2
	pkh_log "checked big in $(($(date +%s) - t0)) s"

	# Back into their slots: the extent blocks go, and so does version 2.
	keep=400
	truncate -s "$((keep * 2))M" "$PKH_MNT/big" || pkh_die "shrinking big failed"
	[ "$(extents_of big)" = "$keep" ] || pkh_die "big has $(extents_of big) extents after shrinking to $keep blocks"
	[ "$(free_blocks)" = $((n - keep + 1)) ] ||
		pkh_die "shrinking big freed $(free_blocks) blocks, expected $((n - keep)) and its extent block"
	[ "$(sb_version)" = 2 ] || pkh_die "superblock version $(sb_version) while a still has an extent block"
	page_is big $((keep * 512 - 1)) || pkh_die "big's last page changed when it shrank"
	truncate -s "$((keep * 2))M" "$PKH_MNT/a" || pkh_die "shrinking a failed"
	[ "$(sb_version)" = 1 ] || pkh_die "superblock version $(sb_version) with no extent block left, expected 1"
	{ umount "$PKH_MNT" && pkh_mount; } || pkh_die "umount/mount after shrinking failed"
	{ [ "$(extents_of big)" = "$keep" ] && [ "$(extents_of a)" = "$keep" ]; } ||
		pkh_die "the extents changed across umount/mount after shrinking"
	echo "PKH-CHECK shrunk: big and a back to $keep extents, superblock version 1, $(free_blocks) blocks free" >&2
	pkh_pass "big: $n extents, $pages pages intact across the live update; extent blocks freed on shrinking"
}
