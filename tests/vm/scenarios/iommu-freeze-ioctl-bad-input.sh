# SPDX-License-Identifier: GPL-2.0-only
# Scenario iommu-freeze-ioctl-bad-input: the iommufd ioctl IOMMU_HWPT_FREEZE
# answers bad input with its errno and changes nothing.
#   stage 1: pkernfs formatted, vm0-ram and iommu-tables made; pkh-edu
#            freeze-checks binds edu through VFIO and iommufd and tries:
#            a short size (EINVAL), a longer one with a non-zero tail
#            (E2BIG), unknown flags and a non-zero __reserved (EOPNOTSUPP),
#            bad dev_id and hwpt_id (ENOENT), a HWPT the device is not
#            attached to (EINVAL), table_fd -1 (EBADF), a table file
#            outside pkernfs (EINVAL) or open for writing (ETXTBSY), a
#            caller without CAP_SYS_ADMIN (EPERM), the
#            ioctl on a pkernfs file and on the VFIO device (ENOTTY), a HWPT
#            translating to anonymous memory (ERANGE).  After each, the
#            status lists no device and the IOAS still maps and unmaps.
#            Then a good freeze, the same again (EBUSY), and map and unmap
#            refused (EPERM).  pkh-edu exits: iommufd tears the frozen HWPT
#            down with no warning (the harness fails the scenario on one),
#            and iommu-tables stays read-only.
bdf=$(pkh_edu_bdf) || pkh_die "no edu device (1234:11e8): PKH_QEMU_ARGS lacks -device edu?"
stage_1() {
	local ram=$PKH_MNT/vm0-ram tables=$PKH_MNT/iommu-tables
	pkh_iommu_fresh
	pkh-edu freeze-checks --bdf "$bdf" --file "$ram" --iova $PKH_IOVA \
		--len $PKH_IOVA_LEN --freeze "$tables" >/tmp/pkh-edu.out 2>&1
	rc=$?
	cat /tmp/pkh-edu.out >&2
	[ $rc = 0 ] || pkh_die "pkh-edu freeze-checks exited $rc: $(grep -E 'FAIL|ERROR' /tmp/pkh-edu.out | head -n 1)"
	[ "$(grep -c '^pkh-edu: freeze with .*, as expected$' /tmp/pkh-edu.out)" = 17 ] ||
		pkh_die "pkh-edu freeze-checks did not report 17 cases"
	sed 's/^/PKH-IOMMU: /' $PKH_IOMMU_STATUS >&2
	! (echo x >>"$tables") 2>/dev/null || pkh_die "the frozen tables could be written"
	pkh_pass "IOMMU_HWPT_FREEZE: 15 bad inputs refused with their errno and nothing changed; frozen, EBUSY again, map and unmap EPERM"
}
