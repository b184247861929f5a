# SPDX-License-Identifier: GPL-2.0
# weight: 70
# zswap writeback to physical backing: with memory.zswap.max far below what
# the process pushes out, zswap writes its oldest vswap entries back: each one
# gets a physical slot before it is decompressed (ZSWAP -> PHYS), zswpwb
# grows, and the data reads back intact from disk. Then the zswap shrinker
# is tried on what is left in zswap.

vswap_on
phys_on $SWAPDEV
zswap_on lz4
cg=$(memcg_new vwb 512M)
# The pattern compresses about 20:1: 512 KiB of zswap is ~2000 of its pages.
put 512K "$cg/memory.zswap.max"
wb0=$(vmstat zswpwb) w0=$(vswap_stat phys_writebacks) i0=$(vmstat pswpin)
shrink='
	st() { awk -v k="$1" "\$1 == k { print \$2 }" '"$VSWAP_STATS"'; }
	wb() { awk "\$1 == \"zswpwb\" { print \$2 }" /proc/vmstat; }
	echo "  # over memory.zswap.max: phys_in_use=$(st phys_in_use) slots_zswap=$(st slots_zswap) zswpwb=$(wb)"
	echo 1 >/sys/module/zswap/parameters/shrinker_enabled || exit 1
	echo max >'"$cg"'/memory.zswap.max || exit 1
	w=$(wb)
	echo 256M >'"$cg"'/memory.reclaim 2>/dev/null
	echo "  # memory.reclaim with the zswap shrinker: zswpwb +$(( $(wb) - w )), phys_in_use=$(st phys_in_use) slots_zswap=$(st slots_zswap)"
	echo 0 >/sys/module/zswap/parameters/shrinker_enabled || exit 1
	# Drop the clean swap cache copies of what was written back: read it from disk.
	echo 256M >'"$cg"'/memory.reclaim 2>/dev/null
	true'
verify_in_memcg "$cg" --label writeback --mib 64 --pattern compressible --seed 111 \
	--pageout --min-swapped-pct 90 --exec-after-swapout "$shrink" ||
	fail "verifier: $VERIFY_OUT"
expect_eq "mismatches" "$(field mismatched_pages)" 0
wb=$(( $(vmstat zswpwb) - wb0 )) w=$(( $(vswap_stat phys_writebacks) - w0 ))
log "zswpwb +$wb, vswap ZSWAP->PHYS writebacks +$w, pswpin +$(( $(vmstat pswpin) - i0 ))"
expect_ge "zswpwb" "$wb" 4000
expect_ge "pswpin (written-back pages read from disk)" $(( $(vmstat pswpin) - i0 )) 1000
expect_ge "ZSWAP->PHYS writebacks" "$w" "$wb"
expect_eq "decompressions saved (none needed: space was there)" "$(vswap_stat phys_decompress_saved)" 0
release_swap_cache "$cg"
expect_eq "physical slots after exit" "$(vswap_stat phys_in_use)" 0
show_vswap_stats
swapoff $SWAPDEV || fail "swapoff $SWAPDEV"
vswap_off
