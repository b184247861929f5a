# SPDX-License-Identifier: GPL-2.0
# weight: 80
# Swap counts and life cycles: fork then COW after swap-out (swap count 2),
# several processes at once, and processes that exit with their pages still
# swapped out. Afterwards the vtable is empty and its leaves are freed.

vswap_on
zswap_on lz4
cg=$(memcg_new vproc 32M)
# Counts of pages that really went out and came back (expect_through): the
# compressible pages of each run, with a margin (mixed: half of them; the
# random quarter stays resident or goes to the physical device).
through_mark
verify_in_memcg "$cg" --label fork-cow --mib 32 --pattern mixed --seed 31 --pageout \
	--fork --min-swapped-pct 50 || fail "fork/COW: $VERIFY_OUT"
expect_eq "fork/COW mismatches" "$(field mismatched_pages)" 0
expect_through "fork/COW" $((32 * 256 / 2 * 9 / 10))
through_mark

# The verifiers' output goes to $OUT (the host's directory), not to /tmp: a
# tmpfs file written from inside the memcg is charged there, and under its
# pressure swapped out like any shmem page, so it would hold vswap slots
# after every process exited (seen: 3 slots, one per file).
pids=()
for i in 1 2 3; do
	in_memcg "$cg" "$VERIFY" --label "parallel-$i" --mib 16 --pattern compressible \
		--seed $((40 + i)) --pageout --passes 2 --min-swapped-pct 50 >"$OUT/par.$i" &
	pids+=($!)
done
for i in 1 2 3; do
	wait "${pids[$((i - 1))]}" || fail "parallel verifier $i: $(cat "$OUT/par.$i")"
	echo "  $(cat "$OUT/par.$i")"
done
expect_through "parallel" $((3 * 16 * 256 * 9 / 10))
through_mark

verify_in_memcg "$cg" --label exit-while-out --mib 32 --pattern compressible --seed 50 \
	--pageout --exit-after-swapout || fail "exit while out: $VERIFY_OUT"
expect_ge "pages out at exit" "$(field swapped_pages)" $((16 * 256))
expect_through "exit while out" $((32 * 256 * 9 / 10)) 0
release_swap_cache "$cg"
show_vswap_stats
expect_eq "zswap slots once every process is gone" "$(vswap_stat slots_zswap)" 0
expect_eq "leaves once every process is gone" "$(vswap_stat leaves)" 0
expect_ge "leaves were retired" "$(vswap_stat leaves_retired)" 1
expect_eq "swap in use" "$(awk -v d=$VSWAP_DEV '$1 == d { print $4 }' /proc/swaps)" 0
vswap_off
