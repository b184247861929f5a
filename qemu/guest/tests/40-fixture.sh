# SPDX-License-Identifier: GPL-2.0
# weight: 40
# The harness's fixture, its positive control: this test sets up one of
# every kind of thing a test may leave behind and exits without undoing any
# of it, with pages of a running process swapped out through vswap onto a
# stack of backing devices. main.sh fails it unless the fixture cleaned
# every kind named below and the guest is back to its boot state (no swap,
# mount, dm or loop device, module, cgroup or changed knob left), and the
# kernel log of the clean-up holds no splat.
# leaves: processes memcg swap mount dm loop zram module knob

vswap_on
zswap_on lz4
put 10 /sys/module/zswap/parameters/max_pool_percent
[ -w $THP/hugepages-64kB/enabled ] && put always $THP/hugepages-64kB/enabled
# Backing: a loop device over a file of an ext4 file system on a
# device-mapper device over the second disk, and zram.
sz=$(blockdev --getsz $SWAPDEV2) || fail "blockdev $SWAPDEV2"
dmsetup create vswap-fixture --table "0 $sz linear $SWAPDEV2 0" || fail "dmsetup create"
udevadm settle 2>/dev/null
mkfs.ext4 -q -F /dev/mapper/vswap-fixture || fail "mkfs.ext4"
mnt=/tmp/fixture-mnt
mkdir -p $mnt
mount /dev/mapper/vswap-fixture $mnt || fail "mount"
dd if=/dev/zero of=$mnt/backing bs=1M count=64 status=none || fail "dd"
loop=$(losetup -f --show $mnt/backing) || fail "losetup"
phys_on "$loop"
zram_new 64M
phys_on /dev/zram0
# A process in a memcg, its pages out, that keeps running: random data, so
# that zswap rejects it and it lands on the backing devices.
cg=$(memcg_new fixture 16M)
in_memcg "$cg" "$VERIFY" --label fixture --mib 32 --pattern random --seed 40 --pageout \
	--exec-after-swapout "touch $OUT/fixture.out; sleep 600" >/dev/null &
for ((i = 0; i < 600; i++)); do
	[ -e "$OUT/fixture.out" ] && break
	sleep 0.1
done
[ -e "$OUT/fixture.out" ] || fail "the verifier did not swap its pages out in 60 s"
rm -f "$OUT/fixture.out"
sleep 600 &
used=$(awk -v d=$VSWAP_DEV '$1 == d { print $4 }' /proc/swaps)
log "left behind: $VSWAP_DEV $used KiB used; /proc/swaps:"
sed 's/^/  #   /' /proc/swaps
expect_ge "KiB of $VSWAP_DEV in use when the test leaves" "$used" 4096
