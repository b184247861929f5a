# SPDX-License-Identifier: GPL-2.0
# weight: 60
# swapoff of /dev/vswap0 while a workload holds swapped-out pages brings them
# all back intact; then the module unloads with nothing leaked.

vswap_on
zswap_on lz4
cg=$(memcg_new voff 24M)
through_mark
# swapoff needs the memory to take the pages back: lift the limit first.
verify_in_memcg "$cg" --label swapoff --mib 64 --pattern mixed --seed 71 --pageout \
	--min-swapped-pct 50 \
	--exec-after-swapout "echo max >$cg/memory.max && swapoff $VSWAP_DEV" ||
	fail "verifier: $VERIFY_OUT"
expect_eq "mismatches after swapoff" "$(field mismatched_pages)" 0
# Mixed: the compressible half went out; swapoff brought it back.
expect_through "swapoff" $((64 * 256 / 2 * 9 / 10))
grep -q "^$VSWAP_DEV " /proc/swaps && fail "still swapped on"
expect_eq "zswap slots after swapoff" "$(vswap_stat slots_zswap)" 0
show_vswap_stats
vswap_off
