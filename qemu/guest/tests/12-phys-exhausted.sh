# SPDX-License-Identifier: GPL-2.0
# weight: 55
# Physical space runs out: a 4 MiB physical device fills, zswap writeback
# attempts then fail at the allocation, before any decompression (counted in
# phys_decompress_saved), pages zswap cannot take stay resident, nothing is
# lost and nothing livelocks. A second physical device swapped on takes over.

vswap_on
phys_on $SWAPDEV 4096
zswap_on lz4
cg=$(memcg_new vfull 512M)
# lz4 packs the compressible pages of "mixed" into ~50 bytes: 32 KiB is ~600.
put 32K "$cg/memory.zswap.max"
s0=$(vswap_stat phys_decompress_saved) r0=$(vswap_stat zswap_rejected_resident)
# Once the device is full, the zswap shrinker must stand down: memory.reclaim
# with the shrinker on makes no writeback attempt (reject_reclaim_fail and
# written_back_pages do not move). memory.zswap.max is lifted meanwhile, so
# that zswap_store() does not try writeback itself.
shrinker_idle='
	z() { cat '"$DBG"'/zswap/$1; }
	f=$(z reject_reclaim_fail) w=$(z written_back_pages)
	echo max >'"$cg"'/memory.zswap.max || exit 1
	echo 1 >/sys/module/zswap/parameters/shrinker_enabled || exit 1
	echo 16M >'"$cg"'/memory.reclaim 2>/dev/null
	echo 0 >/sys/module/zswap/parameters/shrinker_enabled || exit 1
	echo 32K >'"$cg"'/memory.zswap.max || exit 1
	echo "  # shrinker with the physical device full: writeback attempts +$(( $(z reject_reclaim_fail) + $(z written_back_pages) - f - w ))"
	[ "$(z reject_reclaim_fail)" = "$f" ] && [ "$(z written_back_pages)" = "$w" ]'
verify_in_memcg "$cg" --label exhausted --mib 48 --pattern mixed --seed 121 \
	--pageout --passes 2 --exec-after-swapout "$shrinker_idle" || fail "verifier: $VERIFY_OUT"
expect_eq "mismatches" "$(field mismatched_pages)" 0
show_vswap_stats
log "zswap: $(cd $DBG/zswap && grep -H . written_back_pages reject_reclaim_fail pool_limit_hit reject_compress_poor stored_pages 2>/dev/null | tr '\n' ' ')"
saved=$(( $(vswap_stat phys_decompress_saved) - s0 ))
log "writebacks refused before decompressing: $saved; kept resident: $(( $(vswap_stat zswap_rejected_resident) - r0 ))"
expect_ge "decompressions saved" "$saved" 1
expect_ge "phys_alloc_failed" "$(vswap_stat phys_alloc_failed)" "$saved"
expect_eq "OOM kills" "$(awk '$1 == "oom_kill" { print $2 }' "$cg/memory.events")" 0

# A second device: new backing goes there, and (the control for the
# stand-down above) the same shrinker run now writes back.
phys_on $SWAPDEV2
f0=$(vswap_stat phys_alloc_ok)
check_second='
	u=$(awk "\$1 == \"'$SWAPDEV2'\" { print \$4 }" /proc/swaps)
	echo "  # while out: '$SWAPDEV2' used ${u} KiB"
	[ "$u" -ge 8192 ] || exit 1
	w=$(cat '"$DBG"'/zswap/written_back_pages)
	echo max >'"$cg"'/memory.zswap.max || exit 1
	echo 1 >/sys/module/zswap/parameters/shrinker_enabled || exit 1
	echo 16M >'"$cg"'/memory.reclaim 2>/dev/null
	echo 0 >/sys/module/zswap/parameters/shrinker_enabled || exit 1
	echo 32K >'"$cg"'/memory.zswap.max || exit 1
	w=$(( $(cat '"$DBG"'/zswap/written_back_pages) - w ))
	echo "  # control: the shrinker with room on '$SWAPDEV2': written back +$w"
	[ "$w" -ge 1 ]'
verify_in_memcg "$cg" --label second-device --mib 48 --pattern mixed --seed 122 \
	--pageout --exec-after-swapout "$check_second" || fail "verifier: $VERIFY_OUT"
expect_eq "mismatches" "$(field mismatched_pages)" 0
log "physical slots allocated once $SWAPDEV2 was on: $(( $(vswap_stat phys_alloc_ok) - f0 ))"
release_swap_cache "$cg"
expect_eq "physical slots after exit" "$(vswap_stat phys_in_use)" 0
show_vswap_stats
swapoff $SWAPDEV $SWAPDEV2 || fail "swapoff"
vswap_off
