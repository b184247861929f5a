# SPDX-License-Identifier: GPL-2.0
# weight: 60
# Store-failure fallback: incompressible pages that zswap rejects go to a
# physical slot allocated on demand on an ordinary swap device, and read back
# intact from there. Afterwards every physical slot is freed.

vswap_on
phys_on $SWAPDEV
zswap_on lz4
cg=$(memcg_new vfallback 512M)
free0=$(awk '$1 == "SwapFree:" { print $2 }' /proc/meminfo)
f0=$(vswap_stat phys_fallbacks) p0=$(vmstat pswpout) i0=$(vmstat pswpin)
# Once out, memory.reclaim drops the clean swap cache copies, so that the
# read-back comes from the disk.
check_out='
	echo 256M >'"$cg"'/memory.reclaim 2>/dev/null
	u=$(awk "\$1 == \"'$SWAPDEV'\" { print \$4 }" /proc/swaps)
	v=$(awk "\$1 == \"'$VSWAP_DEV'\" { print \$4 }" /proc/swaps)
	n=$(awk "\$1 == \"phys_in_use\" { print \$2 }" '"$VSWAP_STATS"')
	f=$(awk "\$1 == \"SwapFree:\" { print \$2 }" /proc/meminfo)
	echo "  # while out: '$SWAPDEV' used ${u} KiB, '$VSWAP_DEV' used ${v} KiB, vswap phys_in_use ${n}, SwapFree down $(('"$free0"' - f)) KiB"
	[ "$n" -ge 10000 ] && [ "$u" -ge 40000 ]'
verify_in_memcg "$cg" --label fallback --mib 48 --pattern random --seed 101 \
	--pageout --min-swapped-pct 90 --exec-after-swapout "$check_out" ||
	fail "verifier: $VERIFY_OUT"
expect_eq "mismatches" "$(field mismatched_pages)" 0
pages=$(( $(vswap_stat phys_fallbacks) - f0 ))
log "pages written to $SWAPDEV by the fallback: $pages, pswpout +$(( $(vmstat pswpout) - p0 )), pswpin +$(( $(vmstat pswpin) - i0 ))"
expect_ge "fallback allocations" "$pages" $((48 * 256 * 9 / 10))
expect_ge "pswpout" $(( $(vmstat pswpout) - p0 )) $((48 * 256 * 9 / 10))
expect_ge "pswpin (read back from disk)" $(( $(vmstat pswpin) - i0 )) $((48 * 256 * 9 / 10))
expect_eq "pages in zswap" "$(vswap_stat slots_zswap)" 0
release_swap_cache "$cg"
expect_eq "physical slots after exit" "$(vswap_stat phys_in_use)" 0
expect_eq "$SWAPDEV used after exit" "$(swaps_used $SWAPDEV)" 0
show_vswap_stats
swapoff $SWAPDEV || fail "swapoff $SWAPDEV"
vswap_off
