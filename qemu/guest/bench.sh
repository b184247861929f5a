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
# by default), VSWAP_MODULE (the vswap.ko built for this kernel).

REPS=${VSWAP_BENCH_REPS:-5}
MIB=${VSWAP_BENCH_MIB:-256}
LIMIT=${VSWAP_BENCH_LIMIT:-64M}
ONLY=${VSWAP_BENCH_ONLY:-seq random mthp64 swapoff}
BENCH=$TOP/tools/vswap-verify/target/release/vswap-bench
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
	swapoff -a || fail "swapoff -a"
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
	line=$(printf '{"workload": "%s", "mode": "%s", "rep": %s, "limit": "%s", "guest_mem": "%s MiB", "result": %s, "before": %s, "after": %s%s}' \
		"$1" "$2" "$3" "$LIMIT" "$GUEST_MIB" "$4" "$5" "$(counters)" "${6:-}")
	echo "$line" >>"$OUT/bench.jsonl"
	echo "  BENCH $line"
}

# run_bench WORKLOAD MODE REP ARGS...: vswap-bench in a fresh memcg.
run_bench() {
	local w=$1 m=$2 r=$3 cg before res
	shift 3
	cg=$(memcg_new bench "$LIMIT")
	sync; echo 3 >/proc/sys/vm/drop_caches
	before=$(counters)
	res=$(in_memcg "$cg" "$BENCH" --label "$w" --mib "$MIB" --seed "$r" "$@") ||
		fail "$w/$m/$r: vswap-bench failed: $res"
	record "$w" "$m" "$r" "$res" "$before"
	rmdir "$cg" 2>/dev/null || true
}

# swapoff of the physical device holding 64 MiB of swapped pages (zswap off:
# the data is on the disk in both modes). memory.reclaim first drops the swap
# cache copies that MADV_PAGEOUT leaves while the writes complete, so that
# swapoff reads everything from the disk.
run_swapoff() {
	local m=$1 r=$2 cg before res
	cg=$(memcg_new bench 512M)
	before=$(counters)
	rm -f /tmp/vswap-bench-swapoff
	res=$(in_memcg "$cg" "$VERIFY" --label swapoff --mib 64 --pattern random --seed "$r" \
		--pageout --min-swapped-pct 90 --exec-after-swapout \
		"echo 1G >$cg/memory.reclaim 2>/dev/null; s=\$(date +%s%N); swapoff $SWAPDEV || exit 1; e=\$(date +%s%N); echo \$(( (e - s) / 1000 )) >/tmp/vswap-bench-swapoff") ||
		fail "swapoff/$m/$r: $res"
	record swapoff "$m" "$r" "{\"swapoff_ms\": $(awk '{ printf "%.3f", $1 / 1000 }' /tmp/vswap-bench-swapoff), \"mib\": 64}" \
		"$before" ", \"verify\": \"$res\""
	rmdir "$cg" 2>/dev/null || true
}

GUEST_MIB=$(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo)
log "bench: $REPS repetitions, region $MIB MiB, memory.max $LIMIT, workloads: $ONLY"
log "kernel: $(uname -r), $(nproc) cpus, $(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo) MiB"
: >"$OUT/bench.jsonl"
for r in $(seq 1 "$REPS"); do
	# ABBA: odd repetitions start with stock, even ones with vswap.
	modes="stock vswap"
	[ $((r % 2)) = 0 ] && modes="vswap stock"
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
			swapoff)
				mode_on "$m" nozswap; run_swapoff "$m" "$r"; mode_off ;;
			*)
				fail "unknown workload $w" ;;
			esac
		done
	done
done
log "bench: $(wc -l <"$OUT/bench.jsonl") runs recorded"
