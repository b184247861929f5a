# SPDX-License-Identifier: GPL-2.0
# weight: 60
# Two ways an operator meets vswap's edges with stock tools.
#
# 1. swapon races insmod: /dev/vswap0 appears before the module is ready for
#    it (test_ready_delay_ms widens that window to 6 s). A swapon by path or
#    by UUID in the window must fail cleanly, not make /dev/vswap0 an
#    ordinary swap device (whose writes fail and reads return zeroes). The
#    first swapon that works (racing, or once insmod returns) finds the
#    device attached as vswap.
#
# 2. swapoff of a physical device holding vswap pages, when their memcg has
#    no room for them and nowhere else to put them: swapoff fails with
#    ENOMEM, as stock swapoff does when it cannot allocate, kills nothing and
#    leaves the device in use. With room again, the same swapoff succeeds and
#    every page reads back intact.

# The UUID of the header /dev/vswap0 serves before any mkswap (rust/disk.rs).
VSWAP_UUID=76737761-702d-7669-7274-75616c2d3030

insmod "$MODULE" test_ready_delay_ms=6000 &
ins=$!
refused=0
# Keep trying, by path and by UUID, from the moment the node exists: every
# attempt before the module is ready must fail; the first that works must
# find the device attached as vswap.
while :; do
	if [ -b $VSWAP_DEV ]; then
		if swapon -p 100 $VSWAP_DEV 2>/dev/null || swapon -p 100 -U $VSWAP_UUID 2>/dev/null; then
			expect_eq "attached when a racing swapon worked" "$(vswap_stat attached)" 1
			log "a racing swapon worked once the module was ready"
			break
		fi
		refused=$((refused + 1))
	fi
	kill -0 $ins 2>/dev/null || break
	sleep 0.2
done
wait $ins || fail "insmod with test_ready_delay_ms=6000"
log "swapon attempts refused while /dev/vswap0 was not ready: $refused"
expect_ge "swapon attempts refused in the window" "$refused" 2
if ! grep -q "^$VSWAP_DEV " /proc/swaps; then
	udevadm settle 2>/dev/null
	# Positive control: the same swapon, by UUID, once insmod has returned.
	swapon -p 100 -U $VSWAP_UUID || fail "swapon -U $VSWAP_UUID once the module is ready"
fi
grep -q "^$VSWAP_DEV " /proc/swaps || fail "$VSWAP_DEV not in /proc/swaps"
expect_eq "attached after swapon" "$(vswap_stat attached)" 1
swapoff $VSWAP_DEV || fail "swapoff $VSWAP_DEV"
vswap_rmmod || fail "rmmod vswap"

# 2. swapoff without room.
vswap_on
phys_on $SWAPDEV
zswap_off
cg=$(memcg_new venomem 512M)
out=/tmp/vswap-swapoff.err
# The command runs as the verifier's child: it leaves the memcg first, so that
# swapoff's own memory is not charged there.
no_room='
	cg='"$cg"'
	echo $$ >'"$CG"'/cgroup.procs || exit 1
	echo 8M >$cg/memory.max || exit 1
	if swapoff '"$SWAPDEV"' 2>'"$out"'; then echo "  # swapoff succeeded without room"; exit 1; fi
	echo "  # swapoff without room: $(cat '"$out"')"
	grep -q "Cannot allocate memory" '"$out"' || exit 1
	grep -q "^'"$SWAPDEV"' " /proc/swaps || { echo "  # '"$SWAPDEV"' left /proc/swaps"; exit 1; }
	echo 512M >$cg/memory.max || exit 1
	swapoff '"$SWAPDEV"' || { echo "  # swapoff with room failed"; exit 1; }
	echo "  # swapoff with room: done"'
verify_in_memcg "$cg" --label swapoff-enomem --mib 32 --pattern random --seed 171 \
	--pageout --min-swapped-pct 80 --exec-after-swapout "$no_room" ||
	fail "verifier: $VERIFY_OUT"
expect_eq "mismatches" "$(field mismatched_pages)" 0
expect_eq "OOM kills" "$(awk '$1 == "oom_kill" { print $2 }' "$cg/memory.events")" 0
expect_ge "pages moved by the second swapoff" "$(vswap_stat phys_swapoff_moved)" 4096
release_swap_cache "$cg"
show_vswap_stats
vswap_off
