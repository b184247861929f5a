# SPDX-License-Identifier: GPL-2.0
# weight: 240
# The vswap core tests again, with a physical backing device swapped on
# below /dev/vswap0: the device, fork/COW/parallel/exit, and swapoff of
# /dev/vswap0 itself while pages live on zswap and on disk.

for t in 05-vswap-device 07-vswap-processes 09-vswap-swapoff; do
	log "=== $t with $SWAPDEV2 as physical backing"
	(VSWAP_WITH_PHYS=$SWAPDEV2; . "$TOP/qemu/guest/tests/$t.sh") || fail "$t with a physical device"
	swapoff -a 2>/dev/null
	lsmod | grep -q '^vswap ' && vswap_rmmod
done
true
