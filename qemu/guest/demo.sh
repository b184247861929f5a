# SPDX-License-Identifier: GPL-2.0
# The main job (make run): load vswap, swap under memory pressure, show what happened.

check "insmod" insmod "$MODULE"
log "vswap loaded: $(cat $DBG/vswap/vswap0/nr_pages) virtual slots"
# Until the vswap device exists (issue: vswap core), pressure goes to stock swap + zswap.
stock_swap_on
zswap_on lz4
cg=$(memcg_new demo 96M)
show_swap_state
verify_in_memcg "$cg" --label demo --mib 384 --pattern mixed --passes 2 --pageout --reclaim \
	--min-swapped-pct 60 || fail "verifier: $VERIFY_OUT"
show_swap_state
rmdir "$cg"
swapoff -a
check "rmmod" rmmod vswap
