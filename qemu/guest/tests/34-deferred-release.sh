# SPDX-License-Identifier: GPL-2.0
# weight: 150
# A store is not refused for zswap memory that is already freed.
#
# The zswap entries of freed vswap slots are released off the munmap path,
# by work items. Until they are, the memcg's zswap charge and zswap's pool
# size still count them: right after a large munmap a store into a memcg at
# its memory.zswap.max was refused (and the page stayed in memory, or went
# to disk) for memory nobody held any more. A store that finds zswap or its
# memcg at the limit now releases the queued entries first.
#
# Here, in one process in a memcg and vswap with no physical device (a page
# zswap refuses stays resident, counted in the module's
# zswap_rejected_resident): 200 MiB are forced out into zswap and unmapped,
# and right after, 4 MiB more are forced out, while the work items are
# still to release what the unmap queued: from the unmap until the 4 MiB
# are out, the verifier runs SCHED_FIFO with a SCHED_FIFO spinner on the
# other CPU (--free-first-starve), so that no ordinary work item runs
# meanwhile unless the store itself waits for one. memory.zswap.max is set
# two pages above what the 200 MiB take (measured first, same data): they
# fit, and the 4 MiB fit only once the freed entries are released. No page
# may be refused; before, 901 of the 1024 were.
#
# Control, in this test: with memory.zswap.max 64K, most pages of a third
# run are refused: releasing what is queued does not lift the limit itself.

zswap_on lz4
vswap_on
cg=$(memcg_new vdeferred 1G)
# What the 200 MiB take in zswap: --free-first fills with seed !341.
verify_in_memcg "$cg" --label measure --mib 200 --pattern compressible \
	--seed 18446744073709551274 --pageout \
	--exec-after-swapout "cat $cg/memory.zswap.current >$OUT/deferred.charge" ||
	fail "verifier (measure): $VERIFY_OUT"
charge=$(cat "$OUT/deferred.charge")
release_swap_cache "$cg"
# Two pages above it: the 4 MiB hit the limit after a hundred pages.
limit=$(( charge + 8192 ))
for i in $(seq 30); do
	[ "$(cat "$cg/memory.zswap.current")" = 0 ] && break
	sleep 1
done
expect_eq "zswap charge before the run" "$(cat "$cg/memory.zswap.current")" 0
put $limit "$cg/memory.zswap.max"
log "200 MiB take $charge bytes in zswap; memory.zswap.max $limit"
z0=$(awk '$1 == "zswpout" { print $2 }' "$cg/memory.stat")
r0=$(vswap_stat zswap_rejected_resident)
verify_in_memcg "$cg" --label after-free --mib 4 --pattern compressible --seed 341 \
	--pageout --free-first 200 --free-first-starve ||
	fail "verifier (after-free): $VERIFY_OUT"
expect_eq "after-free: mismatches" "$(field mismatched_pages)" 0
stored=$(( $(awk '$1 == "zswpout" { print $2 }' "$cg/memory.stat") - z0 ))
refused=$(( $(vswap_stat zswap_rejected_resident) - r0 ))
log "after-free: memcg zswpout +$stored (51200 freed, then 1024), refused by zswap: $refused"
expect_eq "after-free: pages zswap refused" "$refused" 0
expect_ge "after-free: pages stored" "$stored" $(( 51200 + 1024 ))

# Control: the limit itself still holds.
put 64K "$cg/memory.zswap.max"
r0=$(vswap_stat zswap_rejected_resident)
verify_in_memcg "$cg" --label limited --mib 16 --pattern compressible --seed 343 --pageout ||
	fail "verifier (limited): $VERIFY_OUT"
expect_eq "limited: mismatches" "$(field mismatched_pages)" 0
refused=$(( $(vswap_stat zswap_rejected_resident) - r0 ))
log "control: with memory.zswap.max 64K, $refused of 4096 pages refused"
expect_ge "limited: pages refused" "$refused" 2048
release_swap_cache "$cg"
vswap_off
