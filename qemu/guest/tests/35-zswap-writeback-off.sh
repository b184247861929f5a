# SPDX-License-Identifier: GPL-2.0
# weight: 90
# A memcg with memory.zswap.writeback=0 never reaches disk through vswap, as
# the admin guide promises: the pages zswap rejects stay in memory (no
# physical slot is allocated for them, nothing is written to the disk),
# while its compressible pages still go to zswap.
#
# Control, in this test: the same workload in a memcg with writeback on
# sends the rejected pages to the disk (pswpout and the module's physical
# allocations grow).

vswap_on
phys_on $SWAPDEV
zswap_on lz4

# run_case LABEL WRITEBACK: mixed data (1/4 random: rejected by zswap) in a
# memcg with memory.zswap.writeback=WRITEBACK; sets D_PSWPOUT, D_PHYS,
# D_ZSWPOUT (the memcg's) and SWAPPED (pages the verifier saw out).
run_case() {
	local label=$1 wb=$2 cg p a
	cg=$(memcg_new vwboff 512M)
	put "$wb" "$cg/memory.zswap.writeback"
	p=$(vmstat pswpout) a=$(vswap_stat phys_alloc_ok)
	verify_in_memcg "$cg" --label "$label" --mib 32 --pattern mixed --seed 351 --pageout ||
		fail "verifier ($label): $VERIFY_OUT"
	expect_eq "$label: mismatches" "$(field mismatched_pages)" 0
	D_PSWPOUT=$(( $(vmstat pswpout) - p ))
	D_PHYS=$(( $(vswap_stat phys_alloc_ok) - a ))
	D_ZSWPOUT=$(awk '$1 == "zswpout" { print $2 }' "$cg/memory.stat")
	D_CGPSWPOUT=$(awk '$1 == "pswpout" { print $2 }' "$cg/memory.stat")
	SWAPPED=$(field swapped_pages)
	log "$label: pswpout +$D_PSWPOUT (memcg $D_CGPSWPOUT), physical allocations +$D_PHYS, memcg zswpout $D_ZSWPOUT, swapped_pages $SWAPPED"
	release_swap_cache "$cg"
	rmdir "$cg"
}

# 32 MiB of mixed data: 2048 random pages, 4096 compressible, 2048 zero.
run_case writeback-off 0
expect_eq "writeback off: pswpout" "$D_PSWPOUT" 0
expect_eq "writeback off: memcg pswpout" "$D_CGPSWPOUT" 0
expect_eq "writeback off: physical slots allocated" "$D_PHYS" 0
expect_ge "writeback off: compressible pages still in zswap" "$D_ZSWPOUT" 3500

run_case writeback-on 1
expect_ge "writeback on: pswpout (the rejected pages went to disk)" "$D_PSWPOUT" 1800
expect_ge "writeback on: physical slots allocated" "$D_PHYS" 1800
expect_ge "writeback on: compressible pages in zswap" "$D_ZSWPOUT" 3500

swapoff $SWAPDEV || fail "swapoff $SWAPDEV"
vswap_off
