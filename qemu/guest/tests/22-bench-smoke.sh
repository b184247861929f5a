# SPDX-License-Identifier: GPL-2.0
# weight: 120
# The benchmark harness of `make bench` (qemu/guest/bench.sh) still runs: one
# short repetition of five workloads, on stock swap and on vswap, must
# record sixteen runs with every page read back intact and figures that make
# sense (the counted work of the icount pass too, here in CPU ns, and the
# scaling of swapoff with processes and data).
# No timing is asserted: this is the debug kernel, and a test is not a
# benchmark.

VSWAP_BENCH_REPS=1 VSWAP_BENCH_MIB=16 VSWAP_BENCH_LIMIT=8M VSWAP_BENCH_ONLY="seq swapoff metadata cost scale"
VSWAP_BENCH_SWAPOFF_MIB=16 VSWAP_BENCH_META_MIB=16 VSWAP_BENCH_COST_MIB=8 VSWAP_BENCH_COST_WHERE="zswap swapoff"
VSWAP_BENCH_SCALE_PROCS="1 8" VSWAP_BENCH_SCALE_MIB=4 VSWAP_BENCH_SCALE_MIBS=""
. "$TOP/qemu/guest/bench.sh"
runs=$OUT/bench.jsonl
expect_eq "runs recorded" "$(wc -l <"$runs")" 16
for m in stock vswap; do
	for w in seq swapoff; do
		expect_eq "$w/$m recorded" "$(grep -c "\"workload\": \"$w\", \"mode\": \"$m\"" "$runs")" 1
	done
	line=$(grep "\"workload\": \"seq\", \"mode\": \"$m\"" "$runs")
	grep -q '"mismatches": 0}' <<<"$line" || fail "seq/$m: pages read back wrong: $line"
	swapped=$(sed -n 's/.*"swapped_pages": \([0-9]*\).*/\1/p' <<<"$line")
	# Control: the region (4096 pages, 8 MiB limit) really went out.
	expect_ge "seq/$m: pages swapped after MADV_PAGEOUT" "$swapped" 3000
	grep -q '"free_ms": [0-9.]*,' <<<"$line" || fail "seq/$m: no free time: $line"
	line=$(grep "\"workload\": \"swapoff\", \"mode\": \"$m\"" "$runs")
	grep -q '"swapoff_ms": [0-9.]*,' <<<"$line" || fail "swapoff/$m: no swapoff time: $line"
	grep -q 'mismatched_pages=0 ' <<<"$line" || fail "swapoff/$m: pages read back wrong: $line"
	# Control: swapoff read the pages from the disk (none left in the swap cache).
	pin=$(( $(sed -n 's/.*"after": {[^}]*"pswpin": \([0-9]*\).*/\1/p' <<<"$line") -
		$(sed -n 's/.*"before": {[^}]*"pswpin": \([0-9]*\).*/\1/p' <<<"$line") ))
	expect_ge "swapoff/$m: pages read from the disk by swapoff (pswpin)" "$pin" 3500
	# metadata: 16 MiB out, zswap-held and on the disk, with kernel-memory
	# snapshots before and while out.
	for where in zswap disk; do
		line=$(grep "\"workload\": \"metadata-$where\", \"mode\": \"$m\"" "$runs")
		swapped=$(sed -n 's/.*"swapped_pages": \([0-9]*\)[,}].*/\1/p' <<<"$line")
		expect_ge "metadata-$where/$m: pages out" "${swapped:-0}" 3600
		# vswap's vtable leaves (whole pages, which the snapshots do not
		# see) are counted: 4096 slots need at least 8 leaves; stock has none.
		leaf=$(sed -n 's/.*"leaf_bytes": \([0-9]*\)}.*/\1/p' <<<"$line")
		if [ "$m" = vswap ]; then
			expect_ge "metadata-$where/vswap: vtable leaf bytes" "${leaf:-0}" $((8 * 4096))
		else
			expect_eq "metadata-$where/stock: vtable leaf bytes" "${leaf:-none}" 0
		fi
		grep -q '"out": {"slab": [0-9]*, "vmalloc": [0-9]*, "percpu": [0-9]*, "other": -*[0-9]*}' <<<"$line" ||
			fail "metadata-$where/$m: no kernel-memory snapshot: $line"
		grep -q 'mismatched_pages=0 ' <<<"$line" || fail "metadata-$where/$m: pages read back wrong: $line"
	done
	# cost: 8 MiB (2048 pages) out by MADV_PAGEOUT alone; each path counted
	# more than the floor (the pauses alone), swapoff only where asked.
	# (cost-disk is cost-swapoff without the swapoff: not repeated here.)
	for where in zswap swapoff; do
		line=$(grep "\"workload\": \"cost-$where\", \"mode\": \"$m\"" "$runs")
		grep -q '"mismatches": 0}' <<<"$line" || fail "cost-$where/$m: pages read back wrong: $line"
		num() { sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p" <<<"$line"; }
		expect_ge "cost-$where/$m: pages out" "$(num swapped_pages)" 1800
		expect_ge "cost-$where/$m: swap-out counted above the floor" "$(num swapout_ns)" $(( $(num floor_ns) + 1 ))
		expect_ge "cost-$where/$m: swap-in counted above reading resident pages" "$(num swapin_ns)" $(( $(num resident_read_ns) + 1 ))
		if [ $where = swapoff ]; then
			expect_ge "cost-swapoff/$m: swapoff counted above the floor" "$(num swapoff_ns)" $(( $(num floor_ns) + 1 ))
		else
			grep -q '"swapoff_ns": null' <<<"$line" || fail "cost-$where/$m: a swapoff counted: $line"
		fi
	done
	# scale: 4 MiB held by 1 and by 8 processes (swapoff-data-N is the
	# same run with one process); the disk swapped off under them, every
	# process reads its part back.
	for w in swapoff-procs-1 swapoff-procs-8; do
		line=$(grep "\"workload\": \"$w\", \"mode\": \"$m\"" "$runs")
		grep -q '"failed_procs": 0}' <<<"$line" || fail "$w/$m: a process read back wrong: $line"
		grep -q '"swapoff_ms": [0-9.]*,' <<<"$line" || fail "$w/$m: no swapoff time: $line"
		num() { sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p" <<<"$line"; }
		expect_ge "$w/$m: pages out while the disk went" "$(num swapped_pages)" \
			$((4 * 256 * 9 / 10))
		# The processes' own pages are locked in memory: the disk holds
		# the region (1024 pages) and not about 11 more a process, which
		# the reclaim that drops the swap cache would push out otherwise.
		expect_ge "$w/$m: pages on the disk at the swapoff" "$(num device_pages)" \
			$((4 * 256 * 9 / 10))
		expect_lt "$w/$m: pages on the disk beyond the region's" "$(num device_pages)" \
			$((4 * 256 + 32))
	done
	expect_eq "swapoff-procs-8/$m: processes" "$(grep "\"workload\": \"swapoff-procs-8\", \"mode\": \"$m\"" "$runs" | sed -n 's/.*"procs": \([0-9]*\).*/\1/p')" 8
done
log "bench harness: $(wc -l <"$runs") runs, e.g. $(head -n1 "$runs" | cut -c1-200)"
