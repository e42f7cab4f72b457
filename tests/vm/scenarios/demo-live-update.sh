# SPDX-License-Identifier: GPL-2.0-only
# Scenario demo-live-update: the live update `make demo` shows (tests/vm/
# demo.sh renders its log).  Also a test: it passes only when everything the
# handover carries is the same on both sides.
#   stage 1: mount -o format; vm0-ram (16 MiB, pattern 1) and vm1-ram (4 MiB,
#            pattern 2); the records of the blob built from $PKH_STATE (blob,
#            regions, files with the md5 of their bytes, IOMMU units,
#            devices) go to /boot/pkh-demo/old.rows, which the next
#            initramfs carries; kexec --live-update -l (kexec collects the
#            state itself), kexec -e
#   stage 2: handover accepted (pkh_check_received); mount (adopts);
#            the same records from /sys/kernel/pkhandover/received and the
#            mounted files; one PKH-DEMO-ROW per record, all MATCH
# Time marks (pkh_demo_mark) go to the kernel log around each phase.
case "$PKH_STAGE" in
1)
	pkh_demo_mark init
	pkh_need_pkernfs
	pkh_demo_mark create-start
	pkh_mount "$PKH_FS_FORMAT_OPT" || pkh_die "mount -o $PKH_FS_FORMAT_OPT failed"
	sum=$(pkh_write_file vm0-ram 1 16777216) || exit 1
	pkh_log "wrote vm0-ram: 16 MiB, md5 $sum"
	sum=$(pkh_write_file vm1-ram 2 4194304) || exit 1
	pkh_log "wrote vm1-ram: 4 MiB, md5 $sum"
	pkh_demo_mark create-end

	# What the old kernel hands over, recorded before the load.  kexec
	# reads the same $PKH_STATE and encodes it as pkhandover build does.
	pkh_state_spec /tmp/pkh-spec.json
	gen=$(pkh_json_u64 generation /tmp/pkh-spec.json)
	pkhandover build /tmp/pkh-spec.json -o /tmp/pkh-old.blob >&2 ||
		pkh_die "pkhandover build of $PKH_STATE failed"
	pkhandover inspect /tmp/pkh-old.blob >/tmp/pkh-old.txt ||
		pkh_die "pkhandover inspect of the old kernel's blob failed"
	mkdir -p /boot/pkh-demo
	pkh_demo_records /tmp/pkh-old.txt /tmp/pkh-old.blob >/boot/pkh-demo/old.rows
	sed 's/^/PKH-DEMO-OLD /' /boot/pkh-demo/old.rows >&2
	pkh_next_initrd >/dev/null || exit 1

	pkh_demo_mark load-start
	pkh_kexec_load_live "" "$(pkh_next_cmdline "pkh.gen=$gen")"
	pkh_demo_mark load-end
	sync
	pkh_demo_mark exec
	pkh_kexec_exec
	;;
2)
	pkh_demo_mark init
	[ -f /boot/pkh-demo/old.rows ] || pkh_die "no /boot/pkh-demo/old.rows from the old kernel"
	gen=$(pkh_check_received) || exit 1
	pkh_demo_mark mount-start
	pkh_mount || pkh_die "mount without format failed after the live update"
	pkh_demo_mark mount-end
	pkh_dmesg_has "$PKH_MSG_ADOPTED $gen:" || pkh_die "pkernfs did not adopt generation $gen"
	pkh_demo_mark verify-start
	pkhandover inspect --live >/tmp/pkh-new.txt || pkh_die "pkhandover inspect --live failed"
	pkh_demo_records /tmp/pkh-new.txt "$PKH_RECEIVED" >/tmp/pkh-new.rows
	pkh_demo_mark verify-end
	pkh_demo_compare /boot/pkh-demo/old.rows /tmp/pkh-new.rows ||
		pkh_die "the new kernel's view differs from the old kernel's (PKH-DEMO-ROW ... DIFFER)"
	pkh_pass "$(grep -c . /tmp/pkh-new.rows) records match, generation $gen"
	;;
*)
	pkh_die "unexpected stage $PKH_STAGE"
	;;
esac
