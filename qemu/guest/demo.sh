# SPDX-License-Identifier: GPL-2.0
# The main job (make run): load vswap, swap on /dev/vswap0 with zswap, push a
# workload through it under memory pressure, and show what happened.

vswap_on
zswap_on lz4
log "vswap loaded and swapped on: $(vswap_stat nr_slots) virtual slots, no swap file"
cg=$(memcg_new demo 192M)
show_swap_state
log "a process in a 192 MiB memcg writes 384 MiB (mixed: compressible, zero and random pages),"
log "is forced out (random pages, which zswap rejects, stay resident) and reads it back twice:"
verify_in_memcg "$cg" --label demo --mib 384 --pattern mixed --passes 2 --pageout --reclaim \
	--exec-after-swapout "echo '  # while out:'; tr '\n' ' ' <$VSWAP_STATS | sed 's/^/  #   /'; echo" ||
	fail "verifier: $VERIFY_OUT"
expect_eq "mismatches" "$(field mismatched_pages)" 0
show_swap_state
show_vswap_stats
rmdir "$cg"
vswap_off
zswap_off
