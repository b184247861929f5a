# SPDX-License-Identifier: GPL-2.0
# weight: 90
# The memcg limits an operator sets hold with vswap, and zswap writeback of
# an ordinary swap device goes on next to a vswap device that cannot write
# back.
#
# 1. memory.swap.max: MADV_PAGEOUT of 32 MiB with memory.swap.max 8M leaves
#    at most 8 MiB swapped (the rest stays in memory) and counts the refusals
#    in memory.swap.events; control: without the limit, nearly all goes.
# 2. memory.zswap.max (vswap, no physical device): at most that much goes to
#    zswap; what zswap refuses stays resident; control: without the limit,
#    nearly all goes to zswap.
# 3. An ordinary 16 MiB swap device fills with zswap pages of its own, then a
#    small vswap (8 MiB) is swapped on and fills too: no physical slot is
#    left for vswap. The zswap shrinker must still write back the ordinary
#    device's pages (they have their slot already); only vswap's wait.

zswap_on lz4

# 1. memory.swap.max
vswap_on
cg=$(memcg_new vlimit 512M)
check_swapmax='
	s=$(cat '"$cg"'/memory.swap.current)
	echo "  # while out: memory.swap.current $((s / 1024)) KiB"
	[ "$s" -le $((8 << 20)) ]'
put 8M "$cg/memory.swap.max"
verify_in_memcg "$cg" --label swap-max --mib 32 --seed 201 --pageout \
	--exec-after-swapout "$check_swapmax" || fail "verifier: $VERIFY_OUT"
expect_eq "swap-max: mismatches" "$(field mismatched_pages)" 0
limited=$(field swapped_pages)
expect_ge "swap-max: pages swapped up to the limit" "$limited" 1024
[ "$limited" -le 2048 ] || fail "swap-max: $limited pages swapped, more than memory.swap.max allows"
expect_ge "memory.swap.events max" "$(awk '$1 == "max" { print $2 }' "$cg/memory.swap.events")" 1
put max "$cg/memory.swap.max"
verify_in_memcg "$cg" --label swap-unlimited --mib 32 --seed 202 --pageout \
	--min-swapped-pct 80 || fail "verifier: $VERIFY_OUT"
expect_eq "swap-unlimited: mismatches" "$(field mismatched_pages)" 0
log "memory.swap.max 8M: $limited pages swapped; no limit: $(field swapped_pages)"

# 2. memory.zswap.max, no physical device: what zswap refuses stays resident.
# The limit is on compressed bytes (memory.stat "zswap"), which may overshoot
# by the one entry being stored.
put 64K "$cg/memory.zswap.max"
r0=$(vswap_stat zswap_rejected_resident)
check_zswapmax='
	z=$(awk "\$1 == \"zswap\" { print \$2 }" '"$cg"'/memory.stat)
	echo "  # while out: zswap pool $z bytes for the memcg"
	[ "$z" -le $((64 * 1024 + 8192)) ]'
verify_in_memcg "$cg" --label zswap-max --mib 32 --seed 203 --pageout \
	--exec-after-swapout "$check_zswapmax" || fail "verifier: $VERIFY_OUT"
expect_eq "zswap-max: mismatches" "$(field mismatched_pages)" 0
kept=$(( $(vswap_stat zswap_rejected_resident) - r0 ))
expect_ge "zswap-max: pages zswap refused, kept resident" "$kept" 1024
put max "$cg/memory.zswap.max"
verify_in_memcg "$cg" --label zswap-unlimited --mib 32 --seed 204 --pageout \
	--min-swapped-pct 80 || fail "verifier: $VERIFY_OUT"
expect_eq "zswap-unlimited: mismatches" "$(field mismatched_pages)" 0
log "memory.zswap.max 64K: $kept pages kept resident; no limit: $(field swapped_pages) swapped"
release_swap_cache "$cg"
rmdir "$cg"
vswap_off

# 3. Writeback of an ordinary device next to a full vswap without physical
# space. The ordinary device's zswap pages go out first (oldest on zswap's
# LRU), then vswap is swapped on and filled.
phys_on $SWAPDEV 16384
cg=$(memcg_new vordinary 512M)
cat >/tmp/vswap-20-shrink.sh <<EOS
z() { cat $DBG/zswap/\$1; }
echo "  # while out: \$(awk 'NR > 1 { print \$1, \$3, \$4 }' /proc/swaps | tr '\n' ' ')"
f=\$(z reject_reclaim_fail) w=\$(z written_back_pages)
echo Y >/sys/module/zswap/parameters/shrinker_enabled || exit 1
echo 24M >$cg/memory.reclaim 2>/dev/null
echo N >/sys/module/zswap/parameters/shrinker_enabled || exit 1
echo "  # shrinker: written back +\$(( \$(z written_back_pages) - w )), failed +\$(( \$(z reject_reclaim_fail) - f ))"
[ \$(( \$(z written_back_pages) - w )) -ge 1 ]
EOS
cat >/tmp/vswap-20-vswap.sh <<EOS
insmod $MODULE nr_pages=2048 || exit 1
udevadm settle 2>/dev/null
swapon -p 100 $VSWAP_DEV || exit 1
$VERIFY --label vswap-side --mib 12 --seed 206 --pageout --exec-after-swapout "sh /tmp/vswap-20-shrink.sh" >&2
EOS
verify_in_memcg "$cg" --label ordinary-side --mib 20 --seed 205 --pageout \
	--exec-after-swapout "sh /tmp/vswap-20-vswap.sh" || fail "verifier: $VERIFY_OUT"
expect_eq "ordinary-side: mismatches" "$(field mismatched_pages)" 0
release_swap_cache "$cg"
vswap_off
swapoff $SWAPDEV || fail "swapoff $SWAPDEV"
