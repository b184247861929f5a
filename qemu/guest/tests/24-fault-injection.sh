# SPDX-License-Identifier: GPL-2.0
# weight: 120
# may-skip: it runs on the kasan kernel of make test-kasan; on the debug kernel of make test (kmemleak, lockdep) it did not finish in 900 s
# Allocations fail at random while data is verified. failslab and
# fail_page_alloc fail 1 in 5 of the allocations made on behalf of the
# verifier (make-it-fail) whose call chain passes through one target:
#   module   vswap.ko (vtable leaves, retire tickets, its own state);
#   zswap    zswap_store() (entries, compressed memory);
#   backing  vswap_backing_alloc() and zswap writeback to the physical
#            device (swap tables, the writeback folio).
# Each pass must see failures injected (the filter reached its target),
# 0 mismatches, no OOM kill; the module's counters and zswap's reject
# counters say where the failures went. Afterwards swapoff and rmmod leave
# nothing behind (vswap_off, kmemleak at the end of the run).

FS=$DBG/failslab FP=$DBG/fail_page_alloc
[ -d $FS ] && [ -d $FP ] || skip "no failslab/fail_page_alloc in this kernel (make test-kasan has them)"
# The debug kernel (the one with kmemleak) has fault injection too, for test
# 31; there this test did not finish in 900 s (its symbol lookups crawled).
[ -e $DBG/kmemleak ] && skip "the debug kernel: make test-kasan runs this test"

vswap_on
phys_on $SWAPDEV
zswap_on lz4

# inject START END: fail 20% of the filtered allocations in [START, END).
inject() {
	local f
	# The filters first, the probability last: nothing else may fail.
	for f in $FS $FP; do fault_filter $f "$1" "$2" N; done
	put N $FP/ignore-gfp-highmem
	put 20 $FS/probability
	put 20 $FP/probability
}
injected() { echo $(( 200000 - $(cat $FS/times) - $(cat $FP/times) )); }
inject_off() { put 0 $FS/probability; put 0 $FP/probability; }

cg=$(memcg_new vfault 512M)
run_pass() { # NAME START END VERIFIER-ARGS...
	local name=$1 start=$2 end=$3 n z0 k0 out
	shift 3
	# A range from a $(sym_range_of) that failed is empty: say so.
	[[ $start == 0x* && $end == 0x* ]] || fail "$name: no code range ('$start' '$end')"
	inject "$start" "$end"
	z0=$(( $(cat $DBG/zswap/reject_alloc_fail) + $(cat $DBG/zswap/reject_kmemcache_fail) ))
	k0=$(vswap_stat leaf_alloc_failures)
	out=$(in_memcg "$cg" bash -c 'echo 1 >/proc/self/make-it-fail && exec "$@"' _ \
		"$VERIFY" --label "fault-$name" "$@" 2>&1)
	local rc=$?
	n=$(injected)
	inject_off
	echo "$out" | grep '^vswap-verify: fault' | sed 's/^/  /'
	log "$name: $n allocations failed on purpose; zswap alloc rejects +$(( $(cat $DBG/zswap/reject_alloc_fail) + $(cat $DBG/zswap/reject_kmemcache_fail) - z0 )), vtable leaf failures +$(( $(vswap_stat leaf_alloc_failures) - k0 ))"
	[ $rc = 0 ] || fail "$name: verifier exit $rc: $(echo "$out" | tail -n 3)"
	grep -q "mismatched_pages=0 " <<<"$out" || fail "$name: mismatches: $out"
	expect_ge "$name: allocations failed on purpose" "$n" 1
}

read -r mod_size mod_addr < <(awk '$1 == "vswap" { print $2, $6 }' /proc/modules)
[ -n "$mod_addr" ] && [ "$mod_addr" != 0x0000000000000000 ] || fail "no address for vswap in /proc/modules"
run_pass module "$mod_addr" "$(printf '0x%x' $(( mod_addr + mod_size )))" \
	--mib 32 --pattern mixed --seed 241 --pageout --passes 3
run_pass zswap $(sym_range_of zswap_store) --mib 32 --pattern mixed --seed 242 --pageout --passes 3
# Writeback to the disk: zswap's shrinker moves what zswap holds there.
put Y /sys/module/zswap/parameters/shrinker_enabled
run_pass backing $(sym_range_of zswap_writeback_entry shrink_memcg_cb) --mib 32 --pattern compressible --seed 243 \
	--pageout --reclaim --passes 3
put N /sys/module/zswap/parameters/shrinker_enabled
expect_eq "OOM kills" "$(awk '$1 == "oom_kill" { print $2 }' "$cg/memory.events")" 0
show_vswap_stats
release_swap_cache "$cg"
swapoff $VSWAP_DEV || fail "swapoff $VSWAP_DEV"
swapoff $SWAPDEV || fail "swapoff $SWAPDEV"
vswap_off
