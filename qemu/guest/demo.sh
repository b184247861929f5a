# SPDX-License-Identifier: GPL-2.0
# The main job (make run): load vswap, swap on /dev/vswap0 with zswap and a
# physical disk behind it, push a workload through it under memory pressure,
# and show what happened.

vswap_on
phys_on $SWAPDEV
zswap_on lz4
log "vswap loaded and swapped on: $(vswap_stat nr_slots) virtual slots; $SWAPDEV is its physical backing"
cg=$(memcg_new demo 128M)
put 1M "$cg/memory.zswap.max"
show_swap_state
log "a process in a 128 MiB memcg (memory.zswap.max 1 MiB) writes 256 MiB (mixed: compressible,"
log "zero and random pages), is forced out and reads it back. zswap takes what compresses;"
log "what it rejects, and what it writes back past memory.zswap.max, gets a physical slot on demand:"
verify_in_memcg "$cg" --label demo --mib 256 --pattern mixed --pageout --reclaim \
	--exec-after-swapout "echo '  # while out:'; tr '\n' ' ' <$VSWAP_STATS | sed 's/^/  #   /'; echo; sed 's/^/  #   /' /proc/swaps" ||
	fail "verifier: $VERIFY_OUT"
expect_eq "mismatches" "$(field mismatched_pages)" 0
show_swap_state
show_vswap_stats
log "pages that went to disk: $(vswap_stat phys_fallbacks) rejected by zswap, $(vswap_stat phys_writebacks) written back"
log "by zswap (each given its physical slot before decompression); $(vswap_stat phys_decompress_saved) writebacks"
log "refused for lack of space; $(vswap_stat phys_freed) physical slots freed, $(vswap_stat phys_in_use) in use"
log "swapoff $SWAPDEV with nothing of ours left on it, then vswap:"
rmdir "$cg"
swapoff $SWAPDEV || fail "swapoff $SWAPDEV"
vswap_off
zswap_off
