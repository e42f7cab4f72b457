# SPDX-License-Identifier: GPL-2.0-only
# Scenario corrupt-blob-version: the new kernel is handed a damaged blob
# (pkh_damage_blob version in guest/pkh.sh).  It boots, logs the rejection, keeps
# the carve-out reserved and the file data intact.
pkh_corrupt_blob_scenario version
