# SPDX-License-Identifier: GPL-2.0
# weight: 120
# The benchmark harness of `make bench` (qemu/guest/bench.sh) still runs: one
# short repetition of three workloads, on stock swap and on vswap, must
# record eight runs with every page read back intact and figures that make
# sense.
# No timing is asserted: this is the debug kernel, and a test is not a
# benchmark.

VSWAP_BENCH_REPS=1 VSWAP_BENCH_MIB=32 VSWAP_BENCH_LIMIT=16M VSWAP_BENCH_ONLY="seq swapoff metadata"
. "$TOP/qemu/guest/bench.sh"
runs=$OUT/bench.jsonl
expect_eq "runs recorded" "$(wc -l <"$runs")" 8
for m in stock vswap; do
	for w in seq swapoff; do
		expect_eq "$w/$m recorded" "$(grep -c "\"workload\": \"$w\", \"mode\": \"$m\"" "$runs")" 1
	done
	line=$(grep "\"workload\": \"seq\", \"mode\": \"$m\"" "$runs")
	grep -q '"mismatches": 0}' <<<"$line" || fail "seq/$m: pages read back wrong: $line"
	swapped=$(sed -n 's/.*"swapped_pages": \([0-9]*\).*/\1/p' <<<"$line")
	# Control: the region (8192 pages, 16 MiB limit) really went out.
	expect_ge "seq/$m: pages swapped after MADV_PAGEOUT" "$swapped" 6000
	grep -q '"free_ms": [0-9.]*,' <<<"$line" || fail "seq/$m: no free time: $line"
	line=$(grep "\"workload\": \"swapoff\", \"mode\": \"$m\"" "$runs")
	grep -q '"swapoff_ms": [0-9.]*,' <<<"$line" || fail "swapoff/$m: no swapoff time: $line"
	grep -q 'mismatched_pages=0 ' <<<"$line" || fail "swapoff/$m: pages read back wrong: $line"
	# Control: swapoff read the pages from the disk (none left in the swap cache).
	pin=$(( $(sed -n 's/.*"after": {[^}]*"pswpin": \([0-9]*\).*/\1/p' <<<"$line") -
		$(sed -n 's/.*"before": {[^}]*"pswpin": \([0-9]*\).*/\1/p' <<<"$line") ))
	expect_ge "swapoff/$m: pages read from the disk by swapoff (pswpin)" "$pin" 14000
	# metadata: 128 MiB out, zswap-held and on the disk, with kernel-memory
	# snapshots before and while out.
	for where in zswap disk; do
		line=$(grep "\"workload\": \"metadata-$where\", \"mode\": \"$m\"" "$runs")
		swapped=$(sed -n 's/.*"swapped_pages": \([0-9]*\)}.*/\1/p' <<<"$line")
		expect_ge "metadata-$where/$m: pages out" "${swapped:-0}" 29000
		grep -q '"out": {"slab": [0-9]*, "vmalloc": [0-9]*, "percpu": [0-9]*, "other": -*[0-9]*}' <<<"$line" ||
			fail "metadata-$where/$m: no kernel-memory snapshot: $line"
		grep -q 'mismatched_pages=0 ' <<<"$line" || fail "metadata-$where/$m: pages read back wrong: $line"
	done
done
log "bench harness: $(wc -l <"$runs") runs, e.g. $(head -n1 "$runs" | cut -c1-200)"
