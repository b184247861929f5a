# SPDX-License-Identifier: GPL-2.0
# weight: 20
# /dev/vswap0 and its life cycle: swapon with and without mkswap, the stock
# tools' view, stray I/O answered safely, and clear errors for bad input
# (second swapon, swapoff of an inactive device, rmmod while active or open).

vswap_on nr_pages=262144
line=$(grep "^$VSWAP_DEV " /proc/swaps)
log "/proc/swaps: $line"
expect_eq "size in /proc/swaps (KiB)" "$(awk '{ print $3 }' <<<"$line")" $(( (262144 - 1) * 4 ))
expect_eq "attached" "$(vswap_stat attached)" 1
dmesg | grep -q 'vswap: swapon: swap type' || fail "no attach message in dmesg"
free -m | sed 's/^/  #   /'

# A second swapon of the same device: EBUSY, as for any swap device.
out=$(swapon $VSWAP_DEV 2>&1) && fail "second swapon succeeded"
grep -q 'busy' <<<"$out" || fail "second swapon: want EBUSY, got: $out"
log "second swapon: $out"

# The module is pinned while swapped on.
out=$(rmmod vswap 2>&1) && fail "rmmod while swapped on succeeded"
grep -qi 'in use' <<<"$out" || fail "rmmod while swapped on: want EBUSY, got: $out"
log "rmmod while active: $out"

check "swapoff" swapoff $VSWAP_DEV
expect_eq "attached after swapoff" "$(vswap_stat attached)" 0
out=$(swapoff $VSWAP_DEV 2>&1) && fail "swapoff of an inactive device succeeded"
grep -q 'Invalid argument' <<<"$out" || fail "swapoff inactive: want EINVAL, got: $out"
log "swapoff of an inactive device: $out"

# An open /dev/vswap0 pins the module too (its fops table lives in the module:
# an rmmod that succeeded here would oops at the close, in bdev_release()).
# Control: with the device closed, the reference count drops back.
ref0=$(cat /sys/module/vswap/refcnt)
exec 3<$VSWAP_DEV
expect_eq "module references with /dev/vswap0 open" "$(cat /sys/module/vswap/refcnt)" $((ref0 + 1))
out=$(rmmod vswap 2>&1) && fail "rmmod with /dev/vswap0 open succeeded"
grep -qi 'in use' <<<"$out" || fail "rmmod with /dev/vswap0 open: want EBUSY, got: $out"
log "rmmod while /dev/vswap0 is open: $out"
exec 3<&-
expect_eq "module references after close" "$(cat /sys/module/vswap/refcnt)" "$ref0"

# Stray I/O, now that the device is not swapped on (the kernel refuses writes to an active
# swap device itself): reads beyond the header are zeroes, writes beyond it fail.
rej0=$(vswap_stat io_rejected)
dd if=$VSWAP_DEV bs=4096 skip=1000 count=4 iflag=direct status=none | cmp -s - <(head -c 16384 /dev/zero) ||
	fail "reads beyond the header are not zero"
dd if=/dev/zero of=$VSWAP_DEV bs=4096 seek=1000 count=1 oflag=direct status=none 2>/dev/null &&
	fail "a write beyond the header succeeded"
expect_ge "rejected writes counted" "$(vswap_stat io_rejected)" $((rej0 + 1))

# blkid sees the served header; the habitual mkswap && swapon works too.
blkid $VSWAP_DEV | grep -q 'TYPE="swap"' || fail "blkid does not see a swap header: $(blkid $VSWAP_DEV)"
check "mkswap" mkswap -L vswaptest $VSWAP_DEV >/dev/null
expect_ge "header writes" "$(vswap_stat io_header_writes)" 1
blkid $VSWAP_DEV | grep -q 'LABEL="vswaptest"' || fail "mkswap's label is not served back"
check "swapon after mkswap" swapon $VSWAP_DEV
swapon --show | sed 's/^/  #   /'
vswap_off
