# SPDX-License-Identifier: GPL-2.0
# weight: 40
# Freed vswap slots hand their physical slots back in batches (patch 9): the
# swap core frees them a physical cluster at a time, with the Pointer rmap
# checked for each. Two physical devices share the backing: the first holds
# 16 MiB, and once it is full backing goes on to the second, so batches span
# clusters and devices; two processes page out at once, so runs interleave.
# When the processes exit (munmap of swapped ranges, by the thousand), every
# physical slot must be free again as the kernel counts it: both devices'
# Used in /proc/swaps back to 0, and the module's count of slots handed back
# equal to the slots it allocated. A rmap mismatch would warn (a splat).

vswap_on
zswap_off
phys_on $SWAPDEV 16384
phys_on $SWAPDEV2
cg=$(memcg_new vbatch 512M)
a0=$(vswap_stat phys_alloc_ok) r0=$(vswap_stat phys_freed)
# While out (the positive control): both devices hold pages.
check_both='
	echo 512M >'"$cg"'/memory.reclaim 2>/dev/null
	u1=$(awk "\$1 == \"'$SWAPDEV'\" { print \$4 }" /proc/swaps)
	u2=$(awk "\$1 == \"'$SWAPDEV2'\" { print \$4 }" /proc/swaps)
	echo "  # while out: '$SWAPDEV' used ${u1} KiB, '$SWAPDEV2' used ${u2} KiB"
	[ "${u1:-0}" -ge 4096 ] && [ "${u2:-0}" -ge 4096 ]'
# batch-b's output goes to $OUT (the host's directory), not to /tmp: a tmpfs
# page written from inside the memcg is charged there, and the reclaim of
# check_both swapped it out, so that it held a physical slot after exit
# (seen: handed back one slot fewer than allocated).
out=$OUT/vswap-batch-free.out
in_memcg "$cg" "$VERIFY" --label batch-b --mib 32 --pattern random --seed 302 \
	--pageout --passes 2 >$out 2>&1 &
pid=$!
verify_in_memcg "$cg" --label batch-a --mib 32 --pattern random --seed 301 \
	--pageout --passes 2 --min-swapped-pct 80 --exec-after-swapout "$check_both" ||
	fail "verifier (batch-a): $VERIFY_OUT"
expect_eq "batch-a: mismatches" "$(field mismatched_pages)" 0
wait $pid || fail "verifier (batch-b): $(cat $out)"
VERIFY_OUT=$(cat $out)
echo "  $VERIFY_OUT"
expect_eq "batch-b: mismatches" "$(field mismatched_pages)" 0
release_swap_cache "$cg"
alloc=$(( $(vswap_stat phys_alloc_ok) - a0 ))
freed=$(( $(vswap_stat phys_freed) - r0 ))
log "physical slots allocated $alloc, handed back $freed"
expect_ge "physical slots allocated" "$alloc" $((2 * 32 * 256 * 8 / 10))
expect_eq "every physical slot handed back" "$freed" "$alloc"
expect_eq "physical slots in use (module)" "$(vswap_stat phys_in_use)" 0
expect_eq "$SWAPDEV used after exit (kernel)" "$(swaps_used $SWAPDEV)" 0
expect_eq "$SWAPDEV2 used after exit (kernel)" "$(swaps_used $SWAPDEV2)" 0
swapoff $SWAPDEV $SWAPDEV2 || fail "swapoff $SWAPDEV $SWAPDEV2"
vswap_off
