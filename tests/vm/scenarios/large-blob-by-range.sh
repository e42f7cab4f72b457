# SPDX-License-Identifier: GPL-2.0-only
# Scenario large-blob-by-range: a handover blob larger than the 512 KiB
# kexec-tools puts inline in /chosen/linux,pkhandover on arm64 (it has its
# own segment then, and /chosen/linux,pkhandover-range gives its address and
# size: two big-endian u64s).  On x86 the same blob is one setup_data
# entry, so the scenario runs there too.
#   stage 1: format, write vm0-ram; build a v1 spec (every file's extents in
#            the blob, as old kernels hand over) of one file of 40000 4 KiB
#            extents with a gap after each, in a region that is the
#            carve-out with 4 KiB blocks: a 640 KiB blob; kexec
#            --live-update with it, kexec -e
#   stage 2: "handover accepted: generation 5"; the blob the kernel
#            received ($PKH_RECEIVED) is byte for byte the one built
#            (pkh.blob= md5); on arm64 the dtb has linux,pkhandover-range
#            (16 bytes, its size the blob's) and no linux,pkhandover; the
#            blob describes a file system that is not the one in the
#            carve-out (another fs_uuid and generation), so pkernfs does
#            not adopt it and mounts vm0-ram as it is, intact
n_extents=40000
inline_max=524288 # PKH_CHOSEN_INLINE_MAX

stage_1() {
	local sum base size blob md5 bytes
	pkh_need_pkernfs
	pkh_mount "$PKH_FS_FORMAT_OPT" || pkh_die "mount -o $PKH_FS_FORMAT_OPT failed"
	sum=$(pkh_write_file vm0-ram 1 16777216) || exit 1
	base=$(pkh_carveout_base) || exit 1
	size=$(pkh_carveout_size) || exit 1
	# The extents start 4 MiB in (clear of where pkernfs keeps its
	# superblock; a v1 blob carries no metadata ranges) and end 4 MiB +
	# 2 * 40000 * 4 KiB = 317 MiB in: the carve-out must be larger.
	[ "$size" -ge $((4194304 + 2 * n_extents * 4096)) ] ||
		pkh_die "the carve-out ($size bytes) is too small for $n_extents extents with gaps"
	awk -v n=$n_extents -v base="$base" -v size="$size" 'BEGIN {
		printf "{\"abi_major\": 1, \"generation\": 5, \"nonce\": \"0x1a26e\",\n"
		printf " \"creator\": \"tests/vm large-blob-by-range\",\n"
		printf " \"regions\": [{\"base\": \"0x%x\", \"size\": \"0x%x\",\n", base, size
		printf "  \"block_size\": \"0x1000\", \"fs_uuid\": \"6c1d0e2f-8a3b-4c5d-9e6f-7a8b9c0d1e2f\",\n"
		printf "  \"flags\": [\"guest-ram\"], \"files\": [{\"name\": \"big\", \"inode\": 2,\n"
		printf "  \"size\": \"0x%x\", \"extents\": [", n * 4096
		for (i = 0; i < n; i++)
			printf "%s[\"0x%x\", \"0x1000\"]", (i ? ", " : ""), 4194304 + i * 2 * 4096
		printf "]}]}]}\n"
	}' >/tmp/large.json || pkh_die "cannot write the spec"
	blob=/tmp/large.blob
	pkhandover build /tmp/large.json -o "$blob" >&2 || pkh_die "pkhandover build of the large spec failed"
	pkhandover validate "$blob" >&2 || pkh_die "the large blob does not validate"
	bytes=$(stat -c %s "$blob")
	[ "$bytes" -gt "$inline_max" ] || pkh_die "the blob is $bytes bytes, not over the inline limit $inline_max"
	md5=$(md5sum <"$blob" | cut -d' ' -f1)
	echo "PKH-CHECK large blob over the inline limit: $bytes bytes > $inline_max, md5 $md5" >&2
	pkh_kexec_load_live /tmp/large.json \
		"$(pkh_next_cmdline "pkh.expect=$sum" "pkh.blob=$md5" "pkh.bytes=$bytes" pkh.gen=5)"
	pkh_kexec_exec
}

# pkh_dt_u64s FILE: the big-endian u64s of a device-tree property file
# (/proc/device-tree/...), in decimal, one a line.
pkh_dt_u64s() {
	od -An -v -tu1 "$1" | awk '{ for (i = 1; i <= NF; i++) b[n++] = $i }
	END { for (o = 0; o + 8 <= n; o += 8) { v = 0; for (k = 0; k < 8; k++) v = v * 256 + b[o + k]; printf "%.0f\n", v } }'
}

stage_2() {
	local gen got range bytes
	gen=$(pkh_check_received) || exit 1
	[ "$gen" = 5 ] || pkh_die "received generation $gen, not 5"
	got=$(md5sum <"$PKH_RECEIVED" | cut -d' ' -f1)
	bytes=$(stat -c %s "$PKH_RECEIVED")
	if [ "$got" = "$(pkh_arg blob)" ] && [ "$bytes" = "$(pkh_arg bytes)" ]; then
		echo "PKH-CHECK received-blob MATCH md5=$got $bytes bytes" >&2
	else
		echo "PKH-CHECK received-blob MISMATCH expected=$(pkh_arg blob) got=$got ($bytes bytes)" >&2
		pkh_die "$PKH_RECEIVED is not the blob stage 1 loaded"
	fi
	if [ "$PKH_ARCH" = arm64 ]; then
		# kexec-tools passed it by range, not inline.
		range=/proc/device-tree/chosen/linux,pkhandover-range
		[ -e "$range" ] || pkh_die "the dtb has no /chosen/linux,pkhandover-range"
		[ ! -e /proc/device-tree/chosen/linux,pkhandover ] ||
			pkh_die "the dtb has /chosen/linux,pkhandover as well as the range"
		[ "$(stat -c %s "$range")" = 16 ] || pkh_die "$range is $(stat -c %s "$range") bytes, not 16"
		set -- $(pkh_dt_u64s "$range")
		[ "$2" = "$bytes" ] || pkh_die "$range says $2 bytes at $(printf '0x%x' "$1"), the blob has $bytes"
		echo "PKH-CHECK chosen linux,pkhandover-range $(printf '0x%x' "$1") $2 bytes, no inline property" >&2
	fi
	pkh_mount || pkh_die "mount without format failed"
	pkh_dmesg_show 'pkernfs'
	pkh_dmesg_has "not adopted" || pkh_die "pkernfs did not say the handover is not adopted"
	! pkh_dmesg_has "$PKH_MSG_ADOPTED" || pkh_die "pkernfs adopted a handover of another file system"
	pkh_check_file vm0-ram "$(pkh_arg expect)" || pkh_die "vm0-ram changed"
	pkh_pass "a $bytes-byte blob received intact (md5 $got), generation $gen; not adopted; vm0-ram intact"
}
