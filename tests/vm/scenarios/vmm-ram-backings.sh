# SPDX-License-Identifier: GPL-2.0-only
# Scenario vmm-ram-backings: guest RAM on pkernfs next to the two usual
# backings, hugetlbfs (2 MiB pages) and tmpfs, in the same VM, through the
# calls a VMM makes: mmap MAP_SHARED and touch every page (first and
# again), and iommufd pinning it all for a passthrough device (edu).  Each
# must work on pkernfs as on the others, and pkernfs must map all of it
# with PMDs; the times are figures for tests/bench/vmm.sh, never checked.  Then the state file of a 256 MiB
# guest, to show it does not grow with RAM.
mib=64
bytes=$((mib * 1048576))
pkh_need_pkernfs
pkh_mount "$PKH_FS_FORMAT_OPT" || pkh_die "mount -o $PKH_FS_FORMAT_OPT failed"
bdf=$(pkh_edu_bdf) || pkh_die "no edu device (the .conf gives QEMU -device edu)"
echo $((mib / 2 + 2)) >/proc/sys/vm/nr_hugepages
[ "$(cat /proc/sys/vm/nr_hugepages)" -ge $((mib / 2)) ] ||
	pkh_die "only $(cat /proc/sys/vm/nr_hugepages) huge pages"
mkdir -p /mnt/huge /mnt/tmpfs-bench
mount -t hugetlbfs -o pagesize=2M none /mnt/huge || pkh_die "cannot mount hugetlbfs"
mount -t tmpfs -o size=$((mib + 8))m none /mnt/tmpfs-bench || pkh_die "cannot mount tmpfs"
for f in "$PKH_MNT/bench-ram" /mnt/huge/bench-ram /mnt/tmpfs-bench/bench-ram; do
	truncate -s "$bytes" "$f" || pkh_die "cannot size $f"
done
# Twice each, alternating, so no backing is always measured first.
for round in 1 2; do
	for f in "$PKH_MNT/bench-ram" /mnt/huge/bench-ram /mnt/tmpfs-bench/bench-ram; do
		pkh-edu memory-bench --bdf "$bdf" --file "$f" --len "$bytes" >/tmp/bench.out 2>&1 ||
			{ cat /tmp/bench.out >&2; pkh_die "memory-bench on $f failed"; }
		cat /tmp/bench.out >>/tmp/pkh-bench.all
		echo "PKH-BENCH round=$round $(grep 'memory-bench' /tmp/bench.out)" >&2
	done
done
# pkernfs maps every 2 MiB block of an aligned mapping with a PMD (the
# series' "mm: add reserved_pages_to_folio()" and pkernfs patches), as hugetlbfs its huge pages (they count as HugeTLB, not
# here); tmpfs without huge=... maps pages.
pmd=$(grep 'memory-bench /mnt/pkernfs/' /tmp/pkh-bench.all | tail -n 1 | sed -n 's/.* pmd-mapped-kib \([0-9-]*\).*/\1/p')
[ "$pmd" = $((bytes / 1024)) ] || pkh_die "pkernfs mapped $pmd KiB of $((bytes / 1024)) with PMDs"
pkh_log "pkernfs: all $pmd KiB of the mapping PMD-mapped"

pkh-vmm setup || pkh_die "pkh-vmm setup failed"
pkh-vmm start vm2 --size 256 || pkh_die "pkh-vmm start vm2 --size 256 failed"
pkh-vmm wait-reports vm2 1 >/dev/null || pkh_die "the 256 MiB guest does not report"
pkh-vmm save vm2 || pkh_die "pkh-vmm save vm2 failed"
state=$(stat -c %s "$PKH_MNT/vm2-state")
[ $((state * 100)) -le $((256 * 1048576)) ] || pkh_die "state file of the 256 MiB guest is $state bytes"
pkh_pass "pkernfs, hugetlbfs and tmpfs each mapped, touched and pinned $bytes bytes; a 256 MiB guest saved in $state bytes"
