# SPDX-License-Identifier: GPL-2.0-only
# Scenario smmuv3-unit-refused: a handover with an ARM SMMUv3 IOMMU unit
# (type 3, "arm-smmu-v3") is refused everywhere: ABI v1 to v3 carry Intel
# VT-d only, and no SMMUv3 freeze/adopt exists (issue 15 keeps it so).
#   stage 1: format, write vm0-ram; the running kernel's state plus one
#            IOMMU unit (the carve-out flagged iommu-tables, the root table
#            4 MiB into it); with type arm-smmu-v3:
#              (a) pkhandover build refuses it (UNSUPPORTED), and
#                  kexec --live-update --handover-spec refuses it, nothing
#                  loaded;
#              (b) the same spec with type intel-vtd builds and validates;
#                  its unit's type is edited to 3 in the blob and the CRC
#                  fixed, so the only fault left is the type (pkhandover
#                  validate says UNSUPPORTED, not BAD_CRC), and that blob
#                  goes to the next kernel unchanged through kexec-ext's
#                  test hook (PKH_KEXEC_TEST_RAW_BLOB), kexec -e
#   stage 2: the kernel rejected it for the type ("handover rejected:
#            /iommu/unit@0/type: IOMMU type 3 is reserved in v1
#            (UNSUPPORTED)"), booted on, the carve-out stays reserved,
#            nothing adopted, vm0-ram intact (pkh_check_rejected)

# pkh_smmu_spec TYPE STATE OUT: STATE (the kernel's JSON spec, one region)
# with the region flagged iommu-tables too and one unit of TYPE, its root
# table 4 MiB into the region (clear of the pkernfs metadata at its start).
# The reg-base is where QEMU virt puts an SMMUv3 (0x09050000).
pkh_smmu_spec() {
	local base root
	base=$(pkh_json_u64 base "$2")
	root=$(printf '0x%x' $((base + 0x400000)))
	# The state is pretty-printed JSON; one line without blanks is easy
	# to edit (only the creator string had blanks).
	tr -d ' \n\t' <"$2" | sed \
		-e 's/"flags":\["guest-ram"\]/"flags":["guest-ram","iommu-tables"]/' \
		-e "s/}\$/,\"iommu\":{\"units\":[{\"type\":\"$1\",\"reg_base\":\"0x9050000\",\"segment\":0,\"root_table\":\"$root\",\"translation_mode\":\"legacy\",\"table_region\":0}],\"domains\":[]}}/" \
		>"$3"
	grep -q "\"type\":\"$1\"" "$3" && grep -q '"iommu-tables"' "$3" ||
		pkh_die "could not add an IOMMU unit to the spec: $(head -c 600 "$3")"
}

stage_1() {
	local sum off len rc
	pkh_need_pkernfs
	pkh_mount "$PKH_FS_FORMAT_OPT" || pkh_die "mount -o $PKH_FS_FORMAT_OPT failed"
	sum=$(pkh_write_file vm0-ram 1 16777216) || exit 1
	pkh_state_spec /tmp/state.json
	pkh_smmu_spec arm-smmu-v3 /tmp/state.json /tmp/smmu.json
	pkh_smmu_spec intel-vtd /tmp/state.json /tmp/vtd.json
	pkh_log "spec with an SMMUv3 unit: $(head -c 900 /tmp/smmu.json)"

	# (a) The library's encoder and kexec's hook refuse the unit's type.
	rc=0
	pkhandover build /tmp/smmu.json -o /tmp/smmu-built.blob 2>/tmp/err || rc=$?
	sed 's/^/PKH: pkhandover build said: /' /tmp/err >&2
	[ "$rc" = 1 ] || pkh_die "pkhandover build of the SMMUv3 spec exited $rc, not 1"
	grep -q '/iommu/unit@0/type: .*SMMUv3.*(UNSUPPORTED)' /tmp/err ||
		pkh_die "pkhandover build refused the SMMUv3 spec, but not for the unit's type"
	echo "PKH-CHECK smmuv3 build refused UNSUPPORTED" >&2
	rc=0
	kexec --live-update --handover-spec /tmp/smmu.json -l "$PKH_NEXT_KERNEL" \
		--initrd="$(pkh_next_initrd)" --append="$(pkh_next_cmdline)" >/tmp/out 2>/tmp/err || rc=$?
	sed 's/^/PKH: kexec said: /' /tmp/out /tmp/err >&2
	[ "$rc" -ne 0 ] || pkh_die "kexec --live-update took a spec with an SMMUv3 unit"
	grep -q 'SMMUv3' /tmp/err || pkh_die "kexec's refusal does not name the SMMUv3 unit"
	[ "$(cat /sys/kernel/kexec_loaded)" = 0 ] || pkh_die "a kernel is loaded after the refusal"
	echo "PKH-CHECK smmuv3 kexec refused exit=$rc kexec_loaded=0" >&2

	# (b) The same blob with a VT-d unit, its type then made 3 in place.
	pkhandover build /tmp/vtd.json -o /tmp/vtd.blob >&2 || pkh_die "pkhandover build of the VT-d spec failed"
	pkhandover validate /tmp/vtd.blob >&2 || pkh_die "the VT-d blob does not validate"
	off=$(pkh_fdt_prop_offset /tmp/vtd.blob /iommu/unit@0 type) ||
		pkh_die "no /iommu/unit@0/type in the VT-d blob"
	len=${off#* } off=${off% *}
	[ "$len" = 4 ] || pkh_die "/iommu/unit@0/type is $len bytes, not 4"
	cp /tmp/vtd.blob /tmp/smmu.blob
	[ "$(pkh_byte /tmp/smmu.blob $((off + 3)))" = 1 ] && [ "$(pkh_byte /tmp/smmu.blob "$off")" = 0 ] ||
		pkh_die "/iommu/unit@0/type at byte $off is not 1 (intel-vtd)"
	pkh_poke /tmp/smmu.blob $((off + 3)) 3
	pkh_blob_fix_crc /tmp/smmu.blob
	pkh_log "/iommu/unit@0/type at byte $off: 1 -> 3 (arm-smmu-v3)"
	rc=0
	pkhandover validate /tmp/smmu.blob 2>/tmp/err || rc=$?
	sed 's/^/PKH: pkhandover validate said: /' /tmp/err >&2
	[ "$rc" = 1 ] && grep -q '/iommu/unit@0/type: .*SMMUv3.*(UNSUPPORTED)' /tmp/err ||
		pkh_die "pkhandover validate does not refuse the edited blob for the type alone (exit $rc)"
	echo "PKH-CHECK smmuv3 raw blob UNSUPPORTED $(stat -c %s /tmp/smmu.blob) bytes" >&2
	pkh_kexec_load_blob /tmp/smmu.blob "$(pkh_next_cmdline "pkh.expect=$sum")"
	pkh_kexec_exec
}

stage_2() {
	local rc
	pkh_check_rejected "smmuv3"
	dmesg | grep -qE 'handover rejected: /iommu/unit@0[^ ]*: IOMMU type 3 is reserved in v1 \(UNSUPPORTED\)' ||
		pkh_die "the kernel rejected the handover, but not for the SMMUv3 unit's type"
	# The blob is still where it came in (setup_data, or /chosen inline):
	# the CLI refuses it for the same reason.
	rc=0
	pkhandover validate --live 2>/tmp/err || rc=$?
	sed 's/^/PKH: pkhandover validate --live said: /' /tmp/err >&2
	[ "$rc" = 1 ] && grep -q '/iommu/unit@0/type: .*(UNSUPPORTED)' /tmp/err ||
		pkh_die "pkhandover validate --live does not refuse the received SMMUv3 blob for its type (exit $rc)"
	echo "PKH-CHECK validate --live UNSUPPORTED" >&2
	pkh_pass "an SMMUv3 unit is refused by pkhandover build, kexec and the kernel (UNSUPPORTED); nothing adopted; vm0-ram intact"
}
