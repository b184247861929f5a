# SPDX-License-Identifier: GPL-2.0
# weight: 300
# The owner of a backing slot survives a CPU migration inside the allocator.
# vswap_backing_alloc() names the vswap slot it backs in the physical slot's
# Pointer entry. The allocator drops its per-CPU lock to allocate a swap
# table with GFP_KERNEL when the atomic allocation fails (memory pressure),
# and the task may resume on another CPU: an owner kept in per-CPU state
# was then read on the wrong CPU, the Pointer entry named another slot (or
# none), a free of the slot warned and leaked it, and swapoff of the device
# took it for an orphan and freed it while the vswap slot still mapped it.
#
# Forced here: fail_page_alloc fails every atomic swap table allocation
# (stacktrace filter on swap_cluster_alloc_table(), ignore-gfp-wait, only
# for the workload's task), so every new backing cluster takes the sleeping
# path; a second process moves the workload between the two CPUs without
# pause, so that a move is pending whenever the allocator drops its lock.
# zswap is off: every page is backed by a physical slot at swap-out. While
# the data is out, the physical device is swapped off (its pages move back
# under their vswap slots by the rmap); then every page is read back.
#
# Positive controls: atomic table allocations were failed on purpose (the
# sleeping path ran), the workload migrated, and the pages were on the
# device. Checks: 0 mismatches, no "owner no longer mapped them" orphans at
# swapoff, no rmap mismatch on free (a splat), nothing leaked.

FP=$DBG/fail_page_alloc
[ -d $FP ] || fail "no fail_page_alloc in this kernel (qemu/debug.config enables it)"
[ "$(nproc)" -ge 2 ] || fail "needs 2 CPUs to migrate between, has $(nproc)"

read -r start end <<<"$(sym_range_of swap_cluster_alloc_table swap_cluster_populate isolate_lock_cluster)"
[[ $start == 0x* && $end == 0x* ]] || fail "no code range for the swap table allocation"

vswap_on
phys_on $SWAPDEV
zswap_off

# Fail atomic page allocations made under swap_cluster_alloc_table() by
# tasks with make-it-fail; sleeping ones (the fallback) go through.
fault_filter $FP "$start" "$end" Y
put N $FP/ignore-gfp-highmem
put 0 $FP/min-order
put 100 $FP/probability

cg=$(memcg_new vmigrate 512M)
o0=$(dmesg | grep -c "whose owner no longer mapped them" || true)
f0=$(vswap_stat phys_fallbacks)
flipper=$OUT/flipper.out
rm -f "$OUT/flipper.stop" "$flipper"
# The flipper: moves every task of the memcg to the other CPU, as fast as it
# can, until told to stop; prints how many moves it made.
python3 - "$cg" "$OUT/flipper.stop" >"$flipper" <<'EOF2' &
import os, sys
cg, stop = sys.argv[1], sys.argv[2]
moves = 0
cpu = 0
while not os.path.exists(stop):
    try:
        pids = [int(p) for p in open(cg + "/cgroup.procs").read().split()]
    except OSError:
        pids = []
    for _ in range(200):
        cpu ^= 1
        for p in pids:
            try:
                os.sched_setaffinity(p, {cpu})
                moves += 1
            except OSError:
                pass
        if not pids:
            break
print(moves, flush=True)
EOF2
fpid=$!
# However the test ends, the flipper stops and the injection is off.
trap 'touch "$OUT/flipper.stop"; echo 0 >$FP/probability' EXIT

# run_mig LABEL MIB PASSES [VERIFIER ARGS...]: the verifier in the memcg,
# with make-it-fail, while the flipper moves it; sets VERIFY_OUT.
run_mig() {
	local label=$1 mib=$2 passes=$3 out rc
	shift 3
	out=$(in_memcg "$cg" bash -c 'echo 1 >/proc/self/make-it-fail && exec "$@"' _ \
		"$VERIFY" --label "$label" --mib "$mib" --pattern random --seed 311 --pageout \
		--passes "$passes" --min-swapped-pct 80 "$@" 2>&1)
	rc=$?
	VERIFY_OUT=$(echo "$out" | grep "^vswap-verify: $label" | tail -n1)
	echo "$out" | grep -E '^(vswap-verify|  #)' | sed 's/^/  /'
	[ $rc = 0 ] || fail "$label: verifier exit $rc: $(echo "$out" | tail -n 3)"
	expect_eq "$label: mismatches" "$(field mismatched_pages)" 0
}

# Churn: pages backed, read back, freed, backed again (a free checks the
# owner named in the Pointer entry; a wrong one warns and leaks the slot).
run_mig churn 32 2
# Then out once more, and the device is swapped off while the pages live on
# it: the rmap finds each page's owner, and every page comes back. The
# swapoff itself runs outside the memcg, without make-it-fail: it needs no
# migration, and moved between the CPUs without pause it took ten minutes.
off_dev='
	echo 0 >/proc/self/make-it-fail
	echo $$ >/sys/fs/cgroup/cgroup.procs
	u=$(awk "\$1 == \"'$SWAPDEV'\" { print \$4 }" /proc/swaps)
	echo "  # while out: '$SWAPDEV' used ${u} KiB"
	swapoff '"$SWAPDEV"' || exit 1
	echo "  # '"$SWAPDEV"' swapped off with the pages on it"
	[ "${u:-0}" -ge 16384 ]'
run_mig swapoff 32 1 --exec-after-swapout "$off_dev"
put 0 $FP/probability
touch "$OUT/flipper.stop"
wait $fpid
injected=$(( 100000 - $(cat $FP/times) ))
fallbacks=$(( $(vswap_stat phys_fallbacks) - f0 ))
log "atomic swap table allocations failed on purpose: $injected; affinity changes: $(cat "$flipper"); physical fallbacks +$fallbacks"
expect_ge "atomic table allocations failed (the sleeping path ran)" "$injected" 16
expect_ge "affinity changes" "$(cat "$flipper")" 100
expect_ge "physical fallbacks" "$fallbacks" $(( (32 * 2 + 32) * 256 * 8 / 10 ))
expect_eq "backing slots freed as orphans at swapoff" \
	"$(( $(dmesg | grep -c "whose owner no longer mapped them" || true) - o0 ))" 0
release_swap_cache "$cg"
vswap_off
