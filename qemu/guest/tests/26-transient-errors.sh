# SPDX-License-Identifier: GPL-2.0
# weight: 100
# Transient I/O errors on the disk, stock swap and vswap side by side, on
# the same dm-flakey device over $SWAPDEV2:
#   writeback  zswap writes its entries back while every write fails
#              (flakey error_writes); then the disk heals and the process
#              reads back. A failed swap write keeps the page in memory
#              (dirty), so nothing may be lost, nor SIGBUS raised.
#   swap-in    pages go to the disk (memory.zswap.max 0); the disk then fails
#              every I/O for 3 seconds while the process reads back. Reads
#              in that window fail (SIGBUS); the verifier retries like an
#              application would (--sigbus-retries: sleep, reclaim its memcg,
#              which drops the failed read from the swap cache, retry), so
#              once the disk is back each page must read back intact.
# Both: 0 mismatches; vswap loses no more pages than stock on the same
# fault; the fault really happened (write/read errors in the log, SIGBUS
# taken); no physical slot left once the processes exited.

command -v dmsetup >/dev/null || fail "no dmsetup (the guest needs device-mapper's tools)"
SECTORS=$(blockdev --getsz $SWAPDEV2)
DM=/dev/mapper/vswap-flaky
linear="0 $SECTORS linear $SWAPDEV2 0"
bad_writes="0 $SECTORS flakey $SWAPDEV2 0 0 3600 1 error_writes"
bad_all="0 $SECTORS flakey $SWAPDEV2 0 0 3600"
dmsetup create vswap-flaky --table "$linear" || fail "dmsetup create"
udevadm settle 2>/dev/null
table() { printf '%s\n' "$1" | dmsetup reload vswap-flaky && dmsetup resume vswap-flaky; }

for mode in stock vswap; do
	log "--- $mode"
	table "$linear" || fail "dmsetup reload (linear)"
	if [ $mode = vswap ]; then
		vswap_on
		phys_on $DM
	else
		stock_swap_on $DM
	fi
	zswap_on lz4
	cg=$(memcg_new flaky 512M)

	# Writeback while writes fail. As in 11-phys-writeback: the entries
	# over memory.zswap.max and then the shrinker write back.
	put 512K "$cg/memory.zswap.max"
	wb0=$(vmstat zswpwb)
	mark=$(dmesg_mark)
	shrink="
		printf '%s\n' '$bad_writes' | dmsetup reload vswap-flaky && dmsetup resume vswap-flaky || exit 1
		echo 1 >/sys/module/zswap/parameters/shrinker_enabled || exit 1
		echo max >$cg/memory.zswap.max || exit 1
		echo 256M >$cg/memory.reclaim 2>/dev/null
		echo 0 >/sys/module/zswap/parameters/shrinker_enabled || exit 1
		printf '%s\n' '$linear' | dmsetup reload vswap-flaky && dmsetup resume vswap-flaky || exit 1
		echo 256M >$cg/memory.reclaim 2>/dev/null
		true"
	verify_in_memcg "$cg" --label $mode-writeback --mib 32 --pattern compressible --seed 261 \
		--pageout --min-swapped-pct 90 --sigbus-retries 0 --exec-after-swapout "$shrink" ||
		fail "verifier: $VERIFY_OUT"
	wb=$(( $(vmstat zswpwb) - wb0 ))
	werr=$(dmesg_since "$mark" | grep -c "Write-error on swap-device")
	log "$mode writeback: zswpwb +$wb, $werr write errors logged, sigbus=$(field sigbus) lost=$(field lost_pages)"
	expect_eq "$mode writeback: mismatches" "$(field mismatched_pages)" 0
	expect_eq "$mode writeback: pages lost" "$(field lost_pages)" 0
	expect_eq "$mode writeback: SIGBUS" "$(field sigbus)" 0
	expect_ge "$mode writeback: zswpwb (writeback was tried)" "$wb" 100
	expect_ge "$mode writeback: write errors logged (the fault happened)" "$werr" 1
	[ $mode = vswap ] && release_swap_cache "$cg"

	# Swap-in while every I/O fails for 3 seconds. zswap keeps even
	# incompressible pages (stored whole): none for this memcg, so that
	# the pages go to the disk.
	put 0 "$cg/memory.zswap.max"
	mark=$(dmesg_mark)
	outage="
		printf '%s\n' '$bad_all' | dmsetup reload vswap-flaky && dmsetup resume vswap-flaky || exit 1
		echo 512M >$cg/memory.reclaim 2>/dev/null
		( sleep 3; printf '%s\n' '$linear' | dmsetup reload vswap-flaky && dmsetup resume vswap-flaky ||
			echo 'dmsetup reload (heal) failed' >>$OUT/flaky_heal ) >/dev/null 2>&1 &
		true"
	verify_in_memcg "$cg" --label $mode-swapin --mib 16 --pattern random --seed 262 \
		--pageout --min-swapped-pct 95 --sigbus-retries 200 --exec-after-swapout "$outage" ||
		fail "verifier: $VERIFY_OUT"
	sleep 4   # the heal above has run
	[ -e $OUT/flaky_heal ] && fail "$(cat $OUT/flaky_heal)"
	rerr=$(dmesg_since "$mark" | grep -c "Read-error on swap-device")
	log "$mode swap-in: $rerr read errors logged, sigbus=$(field sigbus) lost=$(field lost_pages)"
	expect_eq "$mode swap-in: mismatches" "$(field mismatched_pages)" 0
	expect_ge "$mode swap-in: read errors logged (the fault happened)" "$rerr" 1
	expect_ge "$mode swap-in: SIGBUS taken (the fault reached the process)" "$(field sigbus)" 1
	eval "lost_$mode=$(field lost_pages)"
	if [ $mode = vswap ]; then
		release_swap_cache "$cg"
		expect_eq "physical slots after exit" "$(vswap_stat phys_in_use)" 0
		show_vswap_stats
	fi
	rmdir "$cg"
	swapoff $DM || fail "swapoff $DM"
	[ $mode = vswap ] && vswap_off
	zswap_off
done
log "pages lost to the 3-second outage: stock $lost_stock, vswap $lost_vswap"
[ "$lost_vswap" -le "$lost_stock" ] || fail "vswap lost $lost_vswap pages, stock $lost_stock"
