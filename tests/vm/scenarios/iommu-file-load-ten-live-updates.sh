# SPDX-License-Identifier: GPL-2.0-only
# Scenario iommu-file-load-ten-live-updates: iommu-ten-live-updates through
# kexec_file_load.  pkh.kexec=file (the .conf) makes every live update
# kexec --live-update -s: the running kernel builds the handover itself
# and attaches it (KEXEC_FILE_LIVE_UPDATE).  Stage 1 also checks that -a
# and -s with --handover-spec are refused and that the -s dry run writes
# the kernel's blob; every new kernel checks that it received, byte for
# byte, the blob the old kernel built (pkh.kblob=), adopts the edu domain
# and has a DMA land before any re-setup.
. /scenarios/iommu-ten-live-updates.sh
