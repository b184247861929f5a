# SPDX-License-Identifier: GPL-2.0
# weight: 95
# swapoff of a physical device that backs vswap slots: its Pointer entries
# lead straight to the vswap slots, so the data moves into the swap cache
# without a page-table walk; all of it reads back intact. The same amount of
# data on stock swap (no module) is swapped off in this guest too, and both
# times are logged; they are not judged here (timing belongs to make bench,
# whose swapoff workload gives the ratio). The mm list is made long on
# purpose (idle processes with mapped memory): stock swapoff walks every mm,
# the rmap pass walks none.

MIB=64
PAGES=$((MIB * 256))

# timed_swapoff_run NAME CG DEV: MIB MiB of random data in CG forced out to
# DEV; once out, clean swap cache copies are dropped and DEV is swapped off,
# timed. Writes "KiB-used milliseconds" to /tmp/NAME_swapoff.
timed_swapoff_run() {
	local hook='
	u=$(awk "\$1 == \"'$3'\" { print \$4 }" /proc/swaps)
	echo 256M >'"$2"'/memory.reclaim 2>/dev/null
	t0=$(date +%s%N); swapoff '$3' || exit 1; t1=$(date +%s%N)
	echo "$u $(( (t1 - t0) / 1000000 ))" >/tmp/'$1'_swapoff'
	verify_in_memcg "$2" --label "$1-swapoff" --mib $MIB --pattern random --seed 131 \
		--pageout --min-swapped-pct 95 --exec-after-swapout "$hook" ||
		fail "verifier: $VERIFY_OUT"
}

# Idle processes with page tables, as on any real machine (private anonymous
# memory, 8 MiB each, outside the test's memcg).
idle_pids=()
for i in $(seq 1 16); do
	python3 -c 'import mmap, time
m = mmap.mmap(-1, 8 << 20, flags=mmap.MAP_PRIVATE)
for o in range(0, len(m), 4096): m[o] = 1
time.sleep(3600)' &
	idle_pids+=($!)
done
sleep 3

# Stock: no module, zswap off, the data on $SWAPDEV2.
zswap_off
phys_on $SWAPDEV2
cg=$(memcg_new soff 512M)
timed_swapoff_run stock "$cg" $SWAPDEV2
expect_eq "stock mismatches" "$(field mismatched_pages)" 0
read -r stock_kib stock_ms </tmp/stock_swapoff
rmdir "$cg"

# vswap: the same data, zswap rejects it (random), it lands on $SWAPDEV.
vswap_on
phys_on $SWAPDEV
zswap_on lz4
cg=$(memcg_new voff 512M)
m0=$(vswap_stat phys_swapoff_moved)
timed_swapoff_run vswap "$cg" $SWAPDEV
expect_eq "vswap mismatches" "$(field mismatched_pages)" 0
read -r vswap_kib vswap_ms </tmp/vswap_swapoff
moved=$(( $(vswap_stat phys_swapoff_moved) - m0 ))
kill "${idle_pids[@]}" 2>/dev/null
wait "${idle_pids[@]}" 2>/dev/null

log "stock swapoff: ${stock_kib} KiB in ${stock_ms} ms; vswap backing swapoff: ${vswap_kib} KiB in ${vswap_ms} ms, $moved pages moved by the rmap"
ratio=$(awk -v s="$stock_ms" -v v="$vswap_ms" 'BEGIN { printf "%.2f", s / (v > 0 ? v : 1) }')
log "swapoff time ratio stock/vswap: ${ratio}x (same guest, same data, $((${#idle_pids[@]})) idle processes)"
echo "swapoff_ratio stock_ms=$stock_ms vswap_ms=$vswap_ms ratio=$ratio moved=$moved" >>"${VSWAP_RESULTS:-/dev/null}"
expect_ge "pages moved by the rmap pass" "$moved" $((PAGES * 95 / 100))
expect_ge "stock swapoff moved as much" "$stock_kib" $((vswap_kib * 9 / 10))
expect_eq "physical slots after swapoff" "$(vswap_stat phys_in_use)" 0
show_vswap_stats
vswap_off
