# SPDX-License-Identifier: GPL-2.0-only
# Scenario pkernfs-remount-enospc (stage 1 only): pkernfs keeps its files
# across unmount and mount without format, and filling the carve-out fails
# with ENOSPC while the files already there stay intact.
[ "$PKH_STAGE" = 1 ] || pkh_die "unexpected stage $PKH_STAGE"
pkh_need_pkernfs
bytes=8388608
pkh_mount "$PKH_FS_FORMAT_OPT" || pkh_die "mount -o $PKH_FS_FORMAT_OPT failed"
sum=$(pkh_write_file a 3 "$bytes") || exit 1
umount "$PKH_MNT" || pkh_die "umount failed"
pkh_mount || pkh_die "mount without format failed"
pkh_check_file a "$sum" || pkh_die "file a changed across umount/mount"

# Fill the rest: the write must stop with ENOSPC.
rc=0
dd if=/dev/zero of="$PKH_MNT/fill" bs=2M 2>/tmp/dd.err || rc=$?
sed 's/^/PKH: dd said: /' /tmp/dd.err >&2
[ "$rc" -ne 0 ] || pkh_die "filling pkernfs did not fail"
grep -q 'No space left on device' /tmp/dd.err || pkh_die "filling pkernfs failed, but not with ENOSPC"
fill=$(stat -c %s "$PKH_MNT/fill")
pkh_log "fill stopped at $fill bytes; df: $(df -k "$PKH_MNT" | tail -n 1)"
[ "$fill" -gt 0 ] || pkh_die "nothing could be written before ENOSPC"
sync
pkh_check_file a "$sum" || pkh_die "file a changed when the carve-out filled up"
echo "PKH-CHECK enospc after $fill bytes" >&2

# After umount/mount both files are there, the same; freeing space works.
umount "$PKH_MNT" || pkh_die "umount after ENOSPC failed"
pkh_mount || pkh_die "mount after ENOSPC failed"
pkh_check_file a "$sum" || pkh_die "file a changed across umount/mount after ENOSPC"
[ "$(stat -c %s "$PKH_MNT/fill")" = "$fill" ] || pkh_die "fill changed size across umount/mount"
rm "$PKH_MNT/fill" || pkh_die "rm fill failed"
sum2=$(pkh_write_file b 4 "$bytes") || exit 1
umount "$PKH_MNT" && pkh_mount || pkh_die "the last umount/mount failed"
pkh_check_file a "$sum" && pkh_check_file b "$sum2" || pkh_die "files changed after rm and rewrite"
pkh_pass "remount keeps data; ENOSPC after $fill bytes; no corruption"
