# SPDX-License-Identifier: GPL-2.0
# weight: 100
# make soak, short: one minute of qemu/guest/soak.sh (2 workers of 16 MiB),
# so that the soak harness cannot rot. It asserts what the long soak asserts:
# runs recorded, verified page round trips, 0 mismatches, 0 failed runs, no
# OOM kill, nothing left at swapoff.

VSWAP_SOAK_MINUTES=1 VSWAP_SOAK_PROCS=2 VSWAP_SOAK_MIB=16
. "$TOP/qemu/guest/soak.sh"
