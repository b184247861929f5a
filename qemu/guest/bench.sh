# SPDX-License-Identifier: GPL-2.0
# The benchmarks of `make bench` (scripts/bench.sh), run by main.sh in one
# guest boot: every workload on stock swap (zswap + $SWAPDEV, module not
# loaded) and on vswap (/dev/vswap0 + the same $SWAPDEV as its physical
# backing), alternating (ABBA) for VSWAP_BENCH_REPS repetitions. Each run
# appends one JSON object to $OUT/bench.jsonl; scripts/bench-report.py turns
# them into medians, spreads and ratios.
#
# Environment (from the host): VSWAP_BENCH_REPS (5), VSWAP_BENCH_MIB (256,
# the region), VSWAP_BENCH_LIMIT (64M, the memcg's memory.max; "max" for
# global pressure in a small guest: the run is then labelled by guest size), VSWAP_BENCH_ONLY (workload names, all
# by default but "cost", which the icount pass runs, and "scale" and "growth", the scaling pass), VSWAP_BENCH_SWAPOFF_MIB (64),
# VSWAP_BENCH_LOAD_LIMIT (40M, the memcg of the swapoff-load and load-alone load),
# VSWAP_BENCH_SCALE_PROCS, VSWAP_BENCH_SCALE_MIB, VSWAP_BENCH_SCALE_MIBS (see run_scale),
# VSWAP_BENCH_GROWTH_MIBS (see run_growth), VSWAP_BENCH_META_MIB
# (128) and VSWAP_BENCH_COST_MIB (32), the swapoff, metadata and cost workloads' own regions,
# VSWAP_BENCH_COST_WHERE (zswap disk swapoff: the cost runs), VSWAP_BENCH_MODES
# ("stock": no vswap runs), VSWAP_BENCH_KERNEL_LABEL (a "kernel" field in
# every run: pristine or patched, make bench's pass 5), VSWAP_MODULE
# (the vswap.ko built for this kernel).

REPS=${VSWAP_BENCH_REPS:-5}
# A run that continues an earlier one numbers its repetitions from here (the
# ABBA order follows the number).
FIRST=${VSWAP_BENCH_FIRST_REP:-1}
MIB=${VSWAP_BENCH_MIB:-256}
# The swapoff and metadata workloads' own sizes (test 22 shrinks them).
SWAPOFF_MIB=${VSWAP_BENCH_SWAPOFF_MIB:-64}
# swapoff-load and load-alone: the load's memory.max (it swaps 48 MiB in it).
LOAD_LIMIT=${VSWAP_BENCH_LOAD_LIMIT:-40M}
META_MIB=${VSWAP_BENCH_META_MIB:-128}
LIMIT=${VSWAP_BENCH_LIMIT:-64M}
ONLY=${VSWAP_BENCH_ONLY:-seq random mthp64 free swapoff swapoff-load load-alone metadata redis idle provision}
BENCH=$TOP/tools/vswap-verify/target/release/vswap-bench
SOAK=$TOP/tools/vswap-verify/target/release/vswap-soak
MODULE=${VSWAP_MODULE:-$MODULE}
MTHP=/sys/kernel/mm/transparent_hugepage/hugepages-64kB/enabled
[ -x "$BENCH" ] || fail "no $BENCH: run 'make tools'"
[ -f "$MODULE" ] || fail "no module $MODULE"

vm() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }
counters() {
	printf '{"zswpout": %s, "zswpin": %s, "zswpwb": %s, "pswpout": %s, "pswpin": %s, "swap_ra": %s}' \
		"$(vm zswpout)" "$(vm zswpin)" "$(vm zswpwb)" "$(vm pswpout)" "$(vm pswpin)" "$(vm swap_ra)"
}

# mode_on stock|vswap [zswap]: zswap (lz4, shrinker on) unless told "nozswap",
# and the swap devices of the mode.
mode_on() {
	if [ "${2:-zswap}" = zswap ]; then
		zswap_on lz4
		put Y "/sys/module/zswap/parameters/shrinker_enabled"
	fi
	if [ "$1" = vswap ]; then
		vswap_on
		phys_on $SWAPDEV
	else
		stock_swap_on $SWAPDEV
	fi
}
mode_off() {
	local try
	# Stock swapoff can fail with ENOMEM right after an OOM kill in a memcg
	# whose pages it must bring in (swapoff-load): try again, then give up.
	for try in 1 2 3 4; do
		swapoff -a && break
		[ "$try" = 4 ] && fail "swapoff -a"
		log "swapoff -a failed (try $try); dropping caches and trying again"
		sync; echo 3 >/proc/sys/vm/drop_caches; sleep 5
	done
	# Let udev finish probing the device swapoff changed first: rmmod while
	# a probe holds /dev/vswap0 open oopses at its close (the Rust GenDisk
	# has no fops owner to pin the module; see the closing notes).
	udevadm settle 2>/dev/null
	if lsmod | grep -q '^vswap '; then rmmod vswap || fail "rmmod vswap"; fi
	[ "$(cat /sys/module/zswap/parameters/enabled)" = N ] || zswap_off
}

# record WORKLOAD MODE REP RESULT BEFORE [EXTRA]: one line of bench.jsonl.
record() {
	local line
	line=$(printf '{"workload": "%s", "mode": "%s", "rep": %s, "limit": "%s", "guest_mem": "%s MiB", "result": %s, "before": %s, "after": %s%s%s}' \
		"$1" "$2" "$3" "$LIMIT" "$GUEST_MIB" "$4" "$5" "$(counters)" "${6:-}" \
		"${VSWAP_BENCH_KERNEL_LABEL:+, \"kernel\": \"$VSWAP_BENCH_KERNEL_LABEL\"}")
	echo "$line" >>"$OUT/bench.jsonl"
	echo "  BENCH $line"
}

# VSWAP_BENCH_PERF=HZ: a system-wide profile (perf record -a -g, cpu-clock at
# HZ) of the free of each vswap-bench run and of each swapoff under load,
# reported here in the guest, where the kernel's and the module's symbols
# are: $OUT/perf-WORKLOAD-MODE-REP.txt, the inclusive share of each symbol,
# and the self symbols of the samples under the path of interest (unmap_vmas,
# the free path; try_to_unuse, swapoff). Profiling slows the run: not for
# the figures.
PERF_HZ=${VSWAP_BENCH_PERF:-}
PERF_CTL=/tmp/vswap-perf-ctl
PERF_NAME=
PERF_PARENT=
if [ -n "$PERF_HZ" ]; then
	command -v perf >/dev/null || fail "VSWAP_BENCH_PERF: no perf in the guest (Debian's linux-perf)"
	# $PERF_CTL NAME start [HZ] | NAME stop; perf runs in the root memcg, not the
	# workload's. perf takes seconds to start under TCG: it starts with its
	# events disabled and is told through a control FIFO to enable them
	# (and to disable them at the end), each acknowledged. The data goes to
	# the guest's /tmp: perf cannot write it to the 9p share (EFAULT).
	cat >$PERF_CTL <<EOS
#!/bin/sh
C=/tmp/vswap-perf.ctl A=/tmp/vswap-perf.ack
case \$2 in
start)
	rm -f \$C \$A; mkfifo \$C \$A
	perf record -a -g -F \${3:-$PERF_HZ} -D -1 --control fifo:\$C,\$A -o /tmp/vswap-perf-\$1.data \
		>$OUT/perf-\$1.err 2>&1 &
	echo \$! >/tmp/vswap-perf.pid
	echo \$! >/sys/fs/cgroup/cgroup.procs
	timeout 120 sh -c "echo enable >\$C && read -r ack <\$A" ;;
stop)
	timeout 60 sh -c "echo disable >\$C && read -r ack <\$A"
	pid=\$(cat /tmp/vswap-perf.pid)
	kill -TERM \$pid
	while kill -0 \$pid 2>/dev/null; do sleep 0.1; done ;;
esac
EOS
	chmod +x $PERF_CTL
fi
# perf_start NAME PARENT-REGEX [HZ], the profiled work, perf_stop; or
# perf_args NAME PARENT-REGEX, then "${PERF_ARGS[@]}" for vswap-bench, which
# profiles its free, and
# perf_report after it.
perf_start() {
	[ -n "$PERF_HZ" ] || return 0
	PERF_NAME=$1 PERF_PARENT=$2
	$PERF_CTL "$1" start "${3:-}"
}
perf_stop() {
	[ -n "$PERF_HZ" ] || return 0
	$PERF_CTL "$PERF_NAME" stop
	perf_report
}
PERF_ARGS=()
perf_args() {
	PERF_ARGS=()
	[ -n "$PERF_HZ" ] || return 0
	PERF_NAME=$1 PERF_PARENT=$2
	PERF_ARGS=(--around-free "$PERF_CTL $1")
}
perf_report() {
	[ -n "$PERF_HZ" ] || return 0
	{
		echo "# inclusive share of each symbol, all samples"
		perf report -i "/tmp/vswap-perf-$PERF_NAME.data" --stdio --children --sort sym -g none \
			--percent-limit 0.5 2>&1
		echo "# samples under $PERF_PARENT, by self symbol"
		perf report -i "/tmp/vswap-perf-$PERF_NAME.data" --stdio --no-children -g none -x \
			--parent "$PERF_PARENT" --sort parent,sym --percent-limit 0.1 2>&1
	} >"$OUT/perf-$PERF_NAME.txt"
	rm -f "/tmp/vswap-perf-$PERF_NAME.data"
	log "profile: $OUT/perf-$PERF_NAME.txt"
}

# run_bench WORKLOAD MODE REP ARGS...: vswap-bench in a fresh memcg.
run_bench() {
	local w=$1 m=$2 r=$3 cg before res
	shift 3
	cg=$(memcg_new bench "$LIMIT")
	sync; echo 3 >/proc/sys/vm/drop_caches
	before=$(counters)
	perf_args "$w-$m-$r" unmap_vmas
	res=$(in_memcg "$cg" "$BENCH" --label "$w" --mib "$MIB" --seed "$r" "$@" "${PERF_ARGS[@]}") ||
		fail "$w/$m/$r: vswap-bench failed: $res"
	perf_report
	record "$w" "$m" "$r" "$res" "$before"
	rmdir "$cg" 2>/dev/null || true
}

# swapoff of the physical device holding 64 MiB (SWAPOFF_MIB) of swapped pages (zswap off:
# the data is on the disk in both modes). memory.reclaim first drops the swap
# cache copies that MADV_PAGEOUT leaves while the writes complete, so that
# swapoff reads everything from the disk.
# run_swapoff MODE REP [WORKLOAD [SLEEP_S]]: SLEEP_S, a control run: the
# same, but the disk stays on and the window is a sleep of SLEEP_S instead
# of the swapoff. Under load (WORKLOAD swapoff-load-pending) the verifier
# then waits until 2 s from the window's start before it reads its pages
# back, so that the load's 2 s from the swapoff's start hold nothing else
# (load_rates), with or without a swapoff.
run_swapoff() {
	local m=$1 r=$2 w=${3:-swapoff} cg before res off="swapoff $SWAPDEV || exit 1" linger=:
	[ -n "${4:-}" ] && off="sleep $4"
	[ "$w" = swapoff-load-pending ] &&
		linger="while [ \$(date +%s%N) -lt \$((s + 2000000000)) ]; do sleep 0.05; done"
	cg=$(memcg_new bench 512M)
	before=$(counters)
	rm -f /tmp/vswap-bench-swapoff
	res=$(in_memcg "$cg" "$VERIFY" --label swapoff --mib "$SWAPOFF_MIB" --pattern random --seed "$r" \
		--pageout --min-swapped-pct 90 --exec-after-swapout \
		"echo 1G >$cg/memory.reclaim 2>/dev/null; s=\$(date +%s%N); $off; e=\$(date +%s%N); echo \$(( (e - s) / 1000 )) >/tmp/vswap-bench-swapoff; echo \$s \$e >/tmp/vswap-bench-swapoff-window; $linger") ||
		fail "$w/$m/$r: $res"
	record "$w" "$m" "$r" "{\"swapoff_ms\": $(awk '{ printf "%.3f", $1 / 1000 }' /tmp/vswap-bench-swapoff), \"mib\": $SWAPOFF_MIB}" \
		"$before" ", \"verify\": \"$res\""
	rmdir "$cg" 2>/dev/null || true
}

# swapoff-load: run_swapoff with traffic: a vswap-soak process (verify,
# rewrite, MADV_PAGEOUT, fork...) over 48 MiB in a 40 MiB memcg (LOAD_LIMIT) swaps for 40
# seconds, onto the same disk and, once the disk goes, onto $SWAPDEV2 (lower
# priority, on in both modes). It must still be running when swapoff ends,
# and must find no mismatch; an OOM kill of it is a result (recorded as
# load_oom_kills), not a failure of the harness.
# load_rates PROGRESS WINDOW: "BEFORE DURING DURING2S", the pages per second
# of a vswap-soak --progress file (lines "NS PAGES") from its first line to
# the window's start, within the window ("START_NS END_NS"), and within the
# window stretched to at least 2 s, each count interpolated linearly at the
# window's ends; -1 for each figure the progress does not cover. The load
# reports progress once per operation (up to 12 MiB, a second or more under
# TCG): a window of half a second holds one or two of them, and its rate
# says more about where their ends fell than about the swapoff.
load_rates() {
	[ -s "$1" ] && [ -s "$2" ] || { echo "-1 -1 -1"; return; }
	awk -v s="$(cut -d' ' -f1 "$2")" -v e="$(cut -d' ' -f2 "$2")" '
		function at(t,   i) {
			if (t <= T[1]) return N[1]
			for (i = 2; i <= n; i++)
				if (T[i] >= t)
					return N[i-1] + (N[i] - N[i-1]) * (t - T[i-1]) / (T[i] - T[i-1])
			return N[n]
		}
		{ n++; T[n] = $1; N[n] = $2 }
		END {
			if (n < 2 || s <= T[1] || e > T[n]) { print "-1 -1 -1"; exit }
			e2 = e > s + 2e9 ? e : s + 2e9
			printf "%.1f %.1f ", (at(s) - N[1]) * 1e9 / (s - T[1]), (at(e) - at(s)) * 1e9 / (e - s)
			if (e2 > T[n]) print "-1"
			else printf "%.1f\n", (at(e2) - at(s)) * 1e9 / (e2 - s)
		}' "$1"
}

# run_swapoff_load MODE REP [SLEEP_S]: SLEEP_S, the control run
# (swapoff-load-control): everything the same but the swapoff, a sleep of
# SLEEP_S instead (the swapoff run's own time), so that the load's rate in
# that window is its rate "without a swapoff" at the same point of its run.
run_swapoff_load() {
	local m=$1 r=$2 ctl=${3:-} lcg pid lrc kills w=swapoff-load
	[ -n "$ctl" ] && w=swapoff-load-control
	lcg=$(memcg_new bench-load "$LOAD_LIMIT")
	# A profiled swapoff takes longer: the load runs on for as long.
	rm -f /tmp/vswap-bench-progress
	in_memcg "$lcg" "$SOAK" --label swapoff-load --mib 48 --seconds "$([ -n "$PERF_HZ" ] && echo 90 || echo 40)" --seed "$r" \
		--progress /tmp/vswap-bench-progress >/tmp/vswap-bench-load 2>&1 &
	pid=$!
	sleep 5
	# Seconds of two busy CPUs: a tenth of the rate keeps the data small.
	perf_start "swapoff-load-$m-$r" try_to_unuse "$((PERF_HZ / 10 + 1))"
	# The load's memory.current, sampled every 50 ms: its peak is recorded
	# next to memory.max (swapoff must not push the load over its limit).
	echo 0 >/tmp/vswap-bench-peak
	( peak=0; while :; do c=$(cat "$lcg/memory.current"); [ "$c" -gt "$peak" ] && peak=$c && echo "$peak" >/tmp/vswap-bench-peak; sleep 0.05; done ) &
	sampler=$!
	rel0=$( [ "$m" = vswap ] && vswap_stat phys_swapoff_relocated || echo 0)
	# Labelled by the load's memcg (the report's "memcg" is the load's).
	LIMIT=$LOAD_LIMIT run_swapoff "$m" "$r" swapoff-load-pending $ctl
	rel1=$( [ "$m" = vswap ] && vswap_stat phys_swapoff_relocated || echo 0)
	kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
	perf_stop
	# Ended before the swapoff did: only an OOM kill (a result) may end it.
	kill -0 "$pid" 2>/dev/null ||
		[ "$(awk '$1 == "oom_kill" { print $2 }' "$lcg/memory.events")" -gt 0 ] ||
		fail "$w/$m/$r: the load ended before swapoff did"
	lrc=0
	wait "$pid" || lrc=$?
	kills=$(awk '$1 == "oom_kill" { print $2 }' "$lcg/memory.events")
	[ "$lrc" = 1 ] && fail "$w/$m/$r: the load found mismatches: $(tail -3 /tmp/vswap-bench-load)"
	[ "$lrc" = 0 ] || [ "${kills:-0}" -gt 0 ] ||
		fail "$w/$m/$r: the load failed ($lrc): $(tail -3 /tmp/vswap-bench-load)"
	log "load: rc $lrc, oom kills ${kills:-0}: $(tail -1 /tmp/vswap-bench-load)"
	# The load's pages per second during the swapoff, and before it (from
	# its first operation to the swapoff's start): its progress interpolated
	# at the window's ends. Unknown (-1) if the load was killed.
	local rb rd rd2
	read -r rb rd rd2 < <(load_rates /tmp/vswap-bench-progress /tmp/vswap-bench-swapoff-window)
	log "load pages/s before, during the swapoff, in 2 s from its start: $rb $rd $rd2"
	# The load's progress, for a later look at other windows.
	[ -s /tmp/vswap-bench-progress ] && cp /tmp/vswap-bench-progress "$OUT/progress-$w-$m-$r.txt"
	[ -s /tmp/vswap-bench-swapoff-window ] && cp /tmp/vswap-bench-swapoff-window "$OUT/window-$w-$m-$r.txt"
	# The run recorded above, with what happened to the load.
	sed -i '$ s/"workload": "swapoff-load-pending"/"workload": "'"$w"'"/; $ s/}$/, "load_rc": '"$lrc"', "load_oom_kills": '"${kills:-0}"', "load_peak_bytes": '"$(cat /tmp/vswap-bench-peak)"', "load_max_bytes": '"$(cat "$lcg/memory.max")"', "relocated": '"$((rel1 - rel0))"', "load_rate_before": '"$rb"', "load_rate_during": '"$rd"', "load_rate_during_2s": '"$rd2"'}/' \
		"$OUT/bench.jsonl"
	# Pages of a killed load may still be on the second disk, charged to its
	# memcg: lift the limit, or the next swapoff cannot bring them in (stock
	# swapoff then fails with ENOMEM, after trying the OOM killer).
	put max "$lcg/memory.max"
	rmdir "$lcg" 2>/dev/null || true
}

# load-alone: the swapoff-load's load by itself (no swapoff, no other run),
# to count how often it is OOM-killed at its memcg's limit in each mode, and
# what its reclaim did: memory.stat and memory.events of the load's memcg,
# and vswap's own refusals (pages kept resident for want of a physical slot,
# failed and stale allocations), each the difference over the run.
# memcg_keys CG: ', "KEY": VALUE' for each memory.stat line of interest and
# each memory.events line (events_KEY) of CG.
memcg_keys() {
	awk '$1 ~ /^(pgscan|pgsteal|pgactivate|pgdeactivate|workingset_refault_anon|workingset_activate_anon|pswpin|pswpout|swpin_zero|swpout_zero)$/ { printf ", \"%s\": %s", $1, $2 }' "$1/memory.stat"
	awk '{ printf ", \"events_%s\": %s", $1, $2 }' "$1/memory.events"
}
run_load_alone() {
	local m=$1 r=$2 lcg lrc=0 st before v0=0 v1=0 a0=0 a1=0 s0=0 s1=0
	lcg=$(memcg_new bench-load "$LOAD_LIMIT")
	before=$(counters)
	if [ "$m" = vswap ]; then
		v0=$(vswap_stat zswap_rejected_resident); a0=$(vswap_stat phys_alloc_failed); s0=$(vswap_stat phys_alloc_stale)
	fi
	in_memcg "$lcg" "$SOAK" --label load-alone --mib 48 --seconds 40 --seed "$r" >/tmp/vswap-bench-load 2>&1 || lrc=$?
	if [ "$m" = vswap ]; then
		v1=$(vswap_stat zswap_rejected_resident); a1=$(vswap_stat phys_alloc_failed); s1=$(vswap_stat phys_alloc_stale)
	fi
	st=$(memcg_keys "$lcg")
	# It passes, or the OOM killer ended it (a result); anything else fails the bench.
	[ "$lrc" = 0 ] || { [ "$lrc" = 137 ] && grep -q '^oom_kill [1-9]' "$lcg/memory.events"; } ||
		fail "load-alone/$m/$r: the load failed ($lrc): $(tail -3 /tmp/vswap-bench-load)"
	log "load-alone $m $r: rc $lrc$st"
	LIMIT=$LOAD_LIMIT record load-alone "$m" "$r" "{\"load_rc\": $lrc$st, \"kept_resident\": $((v1 - v0)), \"alloc_failed\": $((a1 - a0)), \"alloc_stale\": $((s1 - s0))}" "$before"
	put max "$lcg/memory.max"
	rmdir "$lcg" 2>/dev/null || true
}

# Kernel memory from /proc/meminfo, KiB: slab, vmalloc, per-cpu, and the pages
# no other line counts (swap tables are whole pages). LRU pages (anonymous,
# file, swap cache), page tables, stacks and the zswap pool (compressed data)
# are not metadata.
kmem_kib() {
	awk '{ v[$1] = $2 }
	END {
		other = v["MemTotal:"] - v["MemFree:"] - v["Active:"] - v["Inactive:"] - v["Unevictable:"] \
			- v["Slab:"] - v["KernelStack:"] - v["PageTables:"] - v["SecPageTables:"] \
			- v["Percpu:"] - v["VmallocUsed:"] - v["Zswap:"]
		printf "{\"slab\": %d, \"vmalloc\": %d, \"percpu\": %d, \"other\": %d}", \
			v["Slab:"], v["VmallocUsed:"], v["Percpu:"], other
	}' "${1:-/proc/meminfo}"
}

# drain: compaction drains the per-CPU free page lists, which MemFree does
# not count, so that two snapshots compare.
drain() { sync; echo 3 >/proc/sys/vm/drop_caches; echo 1 >/proc/sys/vm/compact_memory; sleep 1; }

# metadata WHERE [WORKLOAD]: kernel memory per swapped page while 128 MiB (META_MIB) are out
# (process alive), against the same snapshot taken before. WHERE zswap:
# compressible pages, zswap on (vswap: no physical device); disk: random
# pages, zswap off, the same disk in both modes.
run_metadata() {
	local m=$1 r=$2 where=$3 w=${4:-metadata-$3} cg k0 res before pat=compressible
	[ "$where" = disk ] && pat=random
	cg=$(memcg_new bench 512M)
	drain
	before=$(counters)
	k0=$(kmem_kib)
	# vswap's vtable leaves are whole pages from the page allocator, which
	# kmem_kib's kinds do not see: counted from the module's own count.
	local leaves0=0 leaves_cmd=
	if [ "$m" = vswap ]; then
		leaves0=$(vswap_stat leaves)
		leaves_cmd="; awk '\$1 == \"leaves\" { print \$2 }' $VSWAP_STATS >/tmp/vswap-bench-leaves"
	fi
	rm -f /tmp/vswap-bench-meminfo /tmp/vswap-bench-leaves
	res=$(in_memcg "$cg" "$VERIFY" --label "$w" --mib "$META_MIB" --pattern $pat --seed "$r" \
		--pageout --min-swapped-pct 90 --exec-after-swapout \
		"echo 1G >$cg/memory.reclaim 2>/dev/null; echo 1 >/proc/sys/vm/compact_memory; sleep 1; cat /proc/meminfo >/tmp/vswap-bench-meminfo$leaves_cmd") ||
		fail "$w/$m/$r: $res"
	local leaf_bytes=0
	[ "$m" = vswap ] && leaf_bytes=$(( ($(cat /tmp/vswap-bench-leaves) - leaves0) * 4096 ))
	local swapped
	swapped=$(echo "$res" | sed -n 's/.*swapped_pages=\([0-9]*\).*/\1/p')
	[ -n "$swapped" ] || fail "$w/$m/$r: no swapped_pages in: $res"
	record "$w" "$m" "$r" \
		"{\"before\": $k0, \"out\": $(kmem_kib /tmp/vswap-bench-meminfo), \"swapped_pages\": $swapped, \"leaf_bytes\": $leaf_bytes}" \
		"$before" ", \"verify\": \"$res\""
	rmdir "$cg" 2>/dev/null || true
}

# cost WHERE: the work of each swap path, counted rather than timed
# (vswap-bench --cost: the CPU time of every task around each path alone;
# under make bench's icount pass, QEMU -icount shift=0, in instructions).
# No memcg limit: MADV_PAGEOUT alone sends the region out. WHERE zswap:
# compressible pages that zswap keeps; disk: random pages, zswap off (vswap:
# its physical fallback, on the same disk as stock's); swapoff: the same,
# then the swapoff of that disk with the pages on it, counted.
COST_MIB=${VSWAP_BENCH_COST_MIB:-32}
COST_WHERE=${VSWAP_BENCH_COST_WHERE:-zswap disk swapoff}
run_cost() {
	local m=$1 r=$2 where=$3 cg before res pat=random extra=()
	case $where in
	zswap) pat=compressible ;;
	swapoff) extra=(--swapoff "$SWAPDEV") ;;
	esac
	cg=$(memcg_new bench max)
	before=$(counters)
	res=$(in_memcg "$cg" "$BENCH" --cost --label "cost-$where" --mib "$COST_MIB" --pattern $pat \
		--seed "$r" "${extra[@]}") || fail "cost-$where/$m/$r: $res"
	# What the counts are: instructions under the icount pass (VSWAP_BENCH_CLOCK=icount).
	record "cost-$where" "$m" "$r" "$res" "$before" ", \"clock\": \"${VSWAP_BENCH_CLOCK:-CPU ns}\""
	rmdir "$cg" 2>/dev/null || true
}

# scale: how swapoff of the disk grows. Against the number of processes that
# hold the pages (VSWAP_BENCH_SCALE_PROCS, the same SCALE_MIB in all): stock
# walks the page tables of every process; vswap finds each page's owner by
# the reverse map. Against the data on the disk (VSWAP_BENCH_SCALE_MIBS, one
# process). Random pages, zswap off: every page on the disk in both modes;
# no memcg limit (swapoff brings the pages in, in both). vswap-bench --procs:
# every process pages its part out and waits; the swapoff is timed (and
# counted); then each reads its part back.
SCALE_PROCS=${VSWAP_BENCH_SCALE_PROCS:-1 16 128 512}
SCALE_MIB=${VSWAP_BENCH_SCALE_MIB:-64}
SCALE_MIBS=${VSWAP_BENCH_SCALE_MIBS-16 64 256 512}
run_scale_one() { # MODE REP WORKLOAD PROCS MIB
	local cg before res
	mode_on "$1" nozswap
	cg=$(memcg_new bench max)
	before=$(counters)
	res=$(in_memcg "$cg" "$BENCH" --procs "$4" --mib "$5" --pattern random --seed "$2" \
		--swapoff "$SWAPDEV" --label "$3") || fail "$3/$1/$2: $res"
	record "$3" "$1" "$2" "$res" "$before"
	rmdir "$cg" 2>/dev/null || true
	mode_off
}
run_scale() {
	local m=$1 r=$2 n mib order=$SCALE_PROCS
	# Even repetitions in the reverse order, so that a drift within the
	# boot does not always land on the same number of processes.
	[ $((r % 2)) = 0 ] && order=$(printf '%s\n' $SCALE_PROCS | tac | tr '\n' ' ')
	for n in $order; do run_scale_one "$m" "$r" "swapoff-procs-$n" "$n" "$SCALE_MIB"; done
	for mib in $SCALE_MIBS; do run_scale_one "$m" "$r" "swapoff-data-$mib" 1 "$mib"; done
}

# growth: how two costs grow with the work, at VSWAP_BENCH_GROWTH_MIBS (16 64
# 256) MiB: the free (munmap) latency against the region freed, its pages in
# zswap or on the disk (run "free" at each size), and the kernel memory per
# swapped page against the pages out (run_metadata at each size), zswap and
# disk. Each is a workload of its own, named by the size
# (free-disk-mib-64, metadata-zswap-mib-256): the report plots them.
GROWTH_MIBS=${VSWAP_BENCH_GROWTH_MIBS:-16 64 256}
run_growth() {
	local m=$1 r=$2 mib
	for mib in $GROWTH_MIBS; do
		mode_on "$m"; MIB=$mib LIMIT=512M run_bench "free-zswap-mib-$mib" "$m" "$r"; mode_off
		mode_on "$m" nozswap; MIB=$mib LIMIT=512M run_bench "free-disk-mib-$mib" "$m" "$r"; mode_off
		META_MIB=$mib metadata_both "$m" "$r" "-mib-$mib"
	done
}

# metadata_both MODE REP [SUFFIX]: run_metadata where zswap keeps the pages
# (its shrinker off; vswap without a physical device), then on the disk.
metadata_both() {
	mode_on "$1"
	put N "/sys/module/zswap/parameters/shrinker_enabled"
	[ "$1" = vswap ] && { swapoff $SWAPDEV || fail "swapoff $SWAPDEV"; }
	run_metadata "$1" "$2" zswap "metadata-zswap${3:-}"; mode_off
	mode_on "$1" nozswap; run_metadata "$1" "$2" disk "metadata-disk${3:-}"; mode_off
}

# idle: kernel memory that an attached, empty /dev/vswap0 of N pages costs
# (insmod + swapon, against nothing loaded): 4 GiB, 64 GiB and 256 GiB. The
# cost is per cluster of 512 slots (the swap core's cluster array, the
# vtable directory), so the report extrapolates the largest size the module
# accepts (2^32 pages, 16 TiB), which would not fit in the guest.
run_idle() {
	local r=$1 pages k0 k1 ok
	for pages in 1048576 16777216 67108864; do
		drain
		k0=$(kmem_kib)
		ok=true
		insmod "$MODULE" nr_pages=$pages || fail "insmod vswap nr_pages=$pages"
		udevadm settle 2>/dev/null
		swapon -p 100 $VSWAP_DEV 2>/tmp/vswap-bench-idle || ok=false
		echo 1 >/proc/sys/vm/compact_memory; sleep 1
		k1=$(kmem_kib)
		record idle vswap "$r" "{\"pages\": $pages, \"attached\": $ok, \"swaps_kib\": $(awk -v d=$VSWAP_DEV '$1 == d { s = $3 } END { print s + 0 }' /proc/swaps), \"before\": $k0, \"after\": $k1}" "$(counters)" \
			", \"error\": \"$(tr -d '"\n' </tmp/vswap-bench-idle)\""
		$ok && { swapoff $VSWAP_DEV || fail "swapoff $VSWAP_DEV"; }
		udevadm settle 2>/dev/null
		rmmod vswap || fail "rmmod vswap"
	done
}

# provision WORKLOAD: the smallest physical swap device (a dm-linear slice of
# $SWAPDEV, in VSWAP_BENCH_PROV_STEP (32) MiB steps up to 384 MiB) with which
# the workload (seq or random, VSWAP_BENCH_MIB in the memcg) still finishes
# without an OOM kill; 0 is no physical device. Once per mode: a search, not a
# timing.
provision_try() {
	local m=$1 w=$2 mib=$3 cg rc kills
	if [ "$mib" != 0 ]; then
		dmsetup create vbench-prov --table "0 $((mib * 2048)) linear $SWAPDEV 0" ||
			fail "dmsetup create vbench-prov ($mib MiB)"
		udevadm settle 2>/dev/null
	fi
	zswap_on lz4
	put Y "/sys/module/zswap/parameters/shrinker_enabled"
	if [ "$m" = vswap ]; then
		vswap_on
		[ "$mib" = 0 ] || phys_on /dev/mapper/vbench-prov
	else
		[ "$mib" = 0 ] || stock_swap_on /dev/mapper/vbench-prov
	fi
	cg=$(memcg_new bench "$LIMIT")
	local extra=""
	[ "$w" = random ] && extra="--random $((MIB * 256))"
	rc=0
	# shellcheck disable=SC2086
	timeout 300 bash -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' _ "$cg" \
		"$BENCH" --label "provision-$w" --mib "$MIB" --seed 1 $extra >/tmp/vswap-bench-prov 2>&1 || rc=$?
	kills=$(awk '$1 == "oom_kill" { print $2 }' "$cg/memory.events")
	mode_off
	rmdir "$cg" 2>/dev/null || true
	[ "$mib" = 0 ] || dmsetup remove vbench-prov || fail "dmsetup remove vbench-prov"
	log "provision $w/$m: $mib MiB: rc $rc, oom kills $kills"
	# A mismatch (rc 1) is a failure of the run, never "too small".
	[ "$rc" = 1 ] && fail "provision-$w/$m/$mib: mismatches: $(cat /tmp/vswap-bench-prov)"
	[ "$rc" = 0 ] && [ "${kills:-0}" = 0 ]
}
run_provision() {
	local m=$1 w=$2 step=${VSWAP_BENCH_PROV_STEP:-32} lo hi=384 mid
	# Invariant: hi finishes, lo - step does not.
	provision_try "$m" "$w" $hi || fail "provision-$w/$m: does not finish even with $hi MiB"
	if provision_try "$m" "$w" 0; then
		hi=0
	else
		lo=$step
		while [ "$lo" -lt "$hi" ]; do
			mid=$(( (lo + hi) / (2 * step) * step ))
			[ "$mid" -lt "$lo" ] && mid=$lo
			if provision_try "$m" "$w" $mid; then hi=$mid; else lo=$((mid + step)); fi
		done
	fi
	record "provision-$w" "$m" 1 "{\"disk_mib\": $hi, \"mib\": $MIB}" "$(counters)"
}

# redis: a key-value store from Debian under memory.max. redis-server (no
# persistence) in a 24 MiB memcg holds about VSWAP_BENCH_REDIS_KEYS (24000)
# values of 2 KiB, 2.3x the limit; redis-benchmark, outside the memcg, sets
# random keys (swap-out) and then reads random keys (swap-in); its own
# requests per second are the figures.
run_redis() {
	local m=$1 r=$2 cg pid keys=${VSWAP_BENCH_REDIS_KEYS:-24000} set get before
	cg=$(memcg_new bench 24M)
	before=$(counters)
	in_memcg "$cg" redis-server --port 6399 --save '' --appendonly no --protected-mode no \
		--dir /tmp >/tmp/vswap-bench-redis.log 2>&1 &
	pid=$!
	for _ in $(seq 50); do redis-cli -p 6399 ping >/dev/null 2>&1 && break; sleep 0.2; done
	redis-cli -p 6399 ping >/dev/null 2>&1 || fail "redis/$m/$r: redis-server did not start: $(tail -3 /tmp/vswap-bench-redis.log)"
	set=$(redis-benchmark -p 6399 -t set -n $((keys * 3 / 2)) -r "$keys" -d 2048 -P 32 -c 4 --csv | awk -F'"' '/^"SET"/ { print $4 }')
	get=$(redis-benchmark -p 6399 -t get -n "$keys" -r "$keys" -d 2048 -P 16 -c 4 --csv | awk -F'"' '/^"GET"/ { print $4 }')
	local used
	used=$(redis-cli -p 6399 info memory | awk -F: '/^used_memory:/ { print int($2 / 1048576) }')
	redis-cli -p 6399 shutdown nosave >/dev/null 2>&1 || kill "$pid"
	wait "$pid" 2>/dev/null
	[ -n "$set" ] && [ -n "$get" ] || fail "redis/$m/$r: no figures from redis-benchmark"
	record redis "$m" "$r" "{\"set_rps\": $set, \"get_rps\": $get, \"used_mib\": ${used:-0}, \"keys\": $keys}" "$before"
	rmdir "$cg" 2>/dev/null || true
}

GUEST_MIB=$(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo)
log "bench: $REPS repetitions, region $MIB MiB, memory.max $LIMIT, workloads: $ONLY"
log "kernel: $(uname -r), $(nproc) cpus, $(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo) MiB"
: >"$OUT/bench.jsonl"
for r in $(seq "$FIRST" $((FIRST + REPS - 1))); do
	# ABBA: odd repetitions start with stock, even ones with vswap.
	modes="stock vswap"
	[ $((r % 2)) = 0 ] && modes="vswap stock"
	# VSWAP_BENCH_MODES=stock: stock swap alone (a kernel without the
	# series, or the patched one measured against it).
	[ "${VSWAP_BENCH_MODES:-}" = stock ] && modes=stock
	for w in $ONLY; do
		for m in $modes; do
			case $w in
			seq)
				mode_on "$m"; run_bench seq "$m" "$r"; mode_off ;;
			random)
				mode_on "$m"; run_bench random "$m" "$r" --random $((MIB * 256)); mode_off ;;
			mthp64)
				put always "$MTHP"
				mode_on "$m"; run_bench mthp64 "$m" "$r" --thp; mode_off
				put never "$MTHP" ;;
			free)
				# The free path with the data in the same place in
				# both modes: no memcg pressure, MADV_PAGEOUT puts
				# every page in zswap (the random eighth, which zswap
				# rejects, on the disk), then, zswap off, every page
				# on the disk. In seq and random, stock's shrinker has
				# written most pages to the disk before the free and
				# vswap's has not: there the two free different things.
				mode_on "$m"; LIMIT=512M run_bench free-zswap "$m" "$r"; mode_off
				mode_on "$m" nozswap; LIMIT=512M run_bench free-disk "$m" "$r"; mode_off ;;
			swapoff)
				mode_on "$m" nozswap; run_swapoff "$m" "$r"; mode_off ;;
			swapoff-load)
				mode_on "$m" nozswap; phys_on $SWAPDEV2
				run_swapoff_load "$m" "$r"; mode_off
				# The control: the same run with a sleep as long
				# as this swapoff instead of it.
				ctl=$(awk '{ printf "%.3f", $1 / 1e6 }' /tmp/vswap-bench-swapoff)
				mode_on "$m" nozswap; phys_on $SWAPDEV2
				run_swapoff_load "$m" "$r" "$ctl"; mode_off ;;
			load-alone)
				mode_on "$m" nozswap; phys_on $SWAPDEV2
				run_load_alone "$m" "$r"; mode_off ;;
			metadata)
				metadata_both "$m" "$r" ;;
			growth)
				run_growth "$m" "$r" ;;
			redis)
				mode_on "$m"; run_redis "$m" "$r"; mode_off ;;
			scale)
				run_scale "$m" "$r" ;;
			cost)
				for where in $COST_WHERE; do
					if [ "$where" = zswap ]; then
						mode_on "$m"; put N "/sys/module/zswap/parameters/shrinker_enabled"
					else
						mode_on "$m" nozswap
					fi
					run_cost "$m" "$r" "$where"; mode_off
				done ;;
			idle|provision) ;;
			*)
				fail "unknown workload $w" ;;
			esac
		done
	done
done
# Searches and one-off measurements, once each.
for w in $ONLY; do
	case $w in
	idle)
		run_idle 1 ;;
	provision)
		for pw in seq random; do
			run_provision stock $pw
			run_provision vswap $pw
		done ;;
	esac
done
log "bench: $(wc -l <"$OUT/bench.jsonl") runs recorded"
