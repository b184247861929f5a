# SPDX-License-Identifier: GPL-2.0
# weight: 100
# Stock swap (a swap disk plus zswap), no vswap: the loop that proves vswap
# in the other tests, proven on stock swap. (It runs late: 03-large-folios
# needs zswap never enabled since boot, and this test enables it.) A process in a memcg capped at 32 MiB writes
# 128 MiB of compressible patterns; >= 100 MiB must go through swap (zswap)
# and read back intact. Then 64 MiB of random data goes to the disk itself.

stock_swap_on
zswap_on lz4
cg=$(memcg_new stock 32M)
show_swap_state
out0=$(vmstat pswpout) z0=$(vmstat zswpout)

# Compressible pages: zswap keeps them.
verify_in_memcg "$cg" --label stock-zswap --mib 128 --pattern compressible --seed 11 \
	--pageout --reclaim --min-swapped-pct 80 || fail "verifier: $VERIFY_OUT"
expect_eq "mismatches (zswap)" "$(field mismatched_pages)" 0
expect_ge "pages swapped out (zswap)" "$(field swapped_pages)" $((100 * 256))
z1=$(vmstat zswpout)
expect_ge "zswpout" $((z1 - z0)) $((100 * 256))

# Random pages, zswap off: everything goes to the disk. (With zswap on, 7.2's zswap keeps
# incompressible pages uncompressed in its pool and relies on writeback to move them
# to disk; in a small memcg that writeback loses the race and the memcg OOMs.)
zswap_off
verify_in_memcg "$cg" --label stock-disk --mib 64 --pattern random --seed 12 \
	--pageout --reclaim --min-swapped-pct 50 || fail "verifier: $VERIFY_OUT"
expect_eq "mismatches (disk)" "$(field mismatched_pages)" 0
expect_ge "pages swapped out (disk)" "$(field swapped_pages)" $((32 * 256))
out1=$(vmstat pswpout)
expect_ge "pswpout" $((out1 - out0)) $((32 * 256))

show_swap_state
swapoff "$SWAPDEV" || fail "swapoff"
