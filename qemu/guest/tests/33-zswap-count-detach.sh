# SPDX-License-Identifier: GPL-2.0
# weight: 90
# zswap's count of the pages it holds for vswap stays right across a detach.
#
# zswap counts the entries it holds for a vswap device
# (/sys/kernel/debug/zswap/stored_vswap_pages): when every page it holds is
# a vswap page and no physical slot is free, its shrinker stands down
# (zswap_writeback_blocked()). The entries of freed vswap slots are released
# by a work item, which may run after /dev/vswap0 is swapped off: counted by
# the device they belonged to, they were not counted out once it was gone,
# the count stayed high, and later, with vswap attached again, the shrinker
# stood down for pages of an ordinary swap device that it could write back.
#
# Here: 64 MiB held in zswap for vswap, the process exits, and /dev/vswap0 is
# swapped off at once. The count must come back to 0. Then a small ordinary
# swap device fills with pages held in zswap, /dev/vswap0 is swapped on
# again (no physical slot is free now), and memory.reclaim with the zswap
# shrinker on must write those pages back to their own slots (zswpwb grows):
# the shrinker runs when it should (the positive control of its standing
# down, which test 12 shows).

zswap_on lz4
SH=/sys/module/zswap/parameters/shrinker_enabled
trap 'echo N >$SH' EXIT

vswap_on
cg=$(memcg_new vdetach 512M)
verify_in_memcg "$cg" --label held --mib 64 --pattern compressible --seed 331 \
	--pageout --min-swapped-pct 90 --exit-after-swapout ||
	fail "verifier (held): $VERIFY_OUT"
# The process is gone: its slots are freed, their zswap entries queued for
# release. Swap the device off right away.
swapoff $VSWAP_DEV || fail "swapoff $VSWAP_DEV"
rmdir "$cg"
for i in $(seq 30); do
	[ "$(zswap_stored)" = 0 ] && break
	sleep 1
done
expect_eq "zswap pages after the release" "$(zswap_stored)" 0
# Checked at the end, after the functional check below.
vcount=$(cat $DBG/zswap/stored_vswap_pages 2>/dev/null || echo "no $DBG/zswap/stored_vswap_pages")
log "zswap's count of vswap pages after detach: $vcount"

# An ordinary swap device of 8 MiB, filled with pages held in zswap.
phys_on $SWAPDEV 8192
cg=$(memcg_new vdetach 512M)
wb0=$(vmstat zswpwb)
again='
	u=$(awk "\$1 == \"'$SWAPDEV'\" { print \$4 }" /proc/swaps)
	s=$(awk "\$1 == \"'$SWAPDEV'\" { print \$3 }" /proc/swaps)
	echo "  # '$SWAPDEV': ${u} of ${s} KiB used"
	[ $((s - u)) -le 64 ] || exit 1
	swapon -p 100 '"$VSWAP_DEV"' || exit 1
	echo Y >'"$SH"' || exit 1
	w=$(awk "\$1 == \"zswpwb\" { print \$2 }" /proc/vmstat)
	for i in 1 2 3 4; do echo 64M >'"$cg"'/memory.reclaim 2>/dev/null; done
	echo N >'"$SH"'
	echo "  # vswap attached again, no physical slot free: memory.reclaim wrote back $(( $(awk "\$1 == \"zswpwb\" { print \$2 }" /proc/vmstat) - w )) pages"'
verify_in_memcg "$cg" --label plain --mib 16 --pattern compressible --seed 332 \
	--pageout --min-swapped-pct 30 --exec-after-swapout "$again" ||
	fail "verifier (plain): $VERIFY_OUT"
expect_eq "mismatches" "$(field mismatched_pages)" 0
wb=$(( $(vmstat zswpwb) - wb0 ))
log "zswap writeback of the ordinary device's pages: zswpwb +$wb"
expect_ge "zswpwb (the shrinker wrote back with vswap attached)" "$wb" 64
expect_eq "zswap's count of vswap pages after detach" "$vcount" 0
release_swap_cache "$cg"
swapoff $SWAPDEV || fail "swapoff $SWAPDEV"
vswap_off
