# SPDX-License-Identifier: GPL-2.0
# weight: 130
# Large folios (64 KiB mTHP and PMD THP) through vswap, first with zswap never
# enabled since boot, then with zswap on. This test must run before any other
# enables zswap (hence its name, the first after the harness checks): while zswap has never
# been enabled, do_swap_page() builds large folios on swap-in from a
# synchronous device, which is the path that read the wrong physical slot for
# every page of a large vswap folio but the first.
#
# Positive controls, in this same test: stock swap on zram (a synchronous
# device) does swap large folios in (hugepages-64kB swpin grows), and stock
# swap on a disk stores them whole (swpout grows). vswap must store them
# whole too (swpout, zswpout, thp_swpout grow: no split), read its slots one
# page at a time (its swpin must not grow), and every page comes back.

THP=/sys/kernel/mm/transparent_hugepage
[ -d $THP/hugepages-64kB ] || fail "no 64 KiB mTHP in $THP"
[ -d $THP/hugepages-2048kB ] || fail "no PMD THP in $THP"
# zswap must never have been set up (any write to its "enabled" parameter
# does that; qemu/guest/lib.sh avoids it), or no large folio is swapped in.
expect_eq "zswap stores before this test (it must run first)" "$(vmstat zswpout)" 0
expect_eq "zswap enabled at boot" "$(cat /sys/module/zswap/parameters/enabled)" N
expect_eq "zswap pool set up before this test" "$(cat $DBG/zswap/pool_total_size 2>/dev/null || echo none)" none
# The fixture restores the "enabled" files after the test.

# thp_sizes SIZE...: allow exactly these large folio sizes (always), no others.
thp_sizes() {
	local d s
	# Some sizes (8 KiB) exist for file folios only and refuse any write.
	for d in $THP/hugepages-*kB; do { echo never >"$d/enabled"; } 2>/dev/null; done
	put always "$THP/enabled"
	for s in "$@"; do echo always >$THP/hugepages-$s/enabled || fail "enable $s folios"; done
}
mthp() { cat $THP/hugepages-$1/stats/$2; }

# run_case LABEL SIZE SEED [VERIFIER ARGS...]: the workload in a memcg; sets
# D_SWPOUT, D_FALLBACK, D_SWPIN (deltas of SIZE's counters) and checks the data.
run_case() {
	local label=$1 size=$2 seed=$3 o f i z cg
	shift 3
	cg=$(memcg_new large 512M)
	[ -z "${ZSWAP_MAX:-}" ] || put "$ZSWAP_MAX" "$cg/memory.zswap.max"
	o=$(mthp $size swpout) f=$(mthp $size swpout_fallback) i=$(mthp $size swpin)
	z=$(mthp $size zswpout)
	verify_in_memcg "$cg" --label "$label" --thp --mib 16 --seed "$seed" --pageout \
		--passes 2 --fork --min-swapped-pct 80 "$@" || fail "verifier ($label): $VERIFY_OUT"
	expect_eq "$label: mismatches" "$(field mismatched_pages)" 0
	D_SWPOUT=$(( $(mthp $size swpout) - o ))
	D_FALLBACK=$(( $(mthp $size swpout_fallback) - f ))
	D_SWPIN=$(( $(mthp $size swpin) - i ))
	D_ZSWPOUT=$(( $(mthp $size zswpout) - z ))
	log "$label: $size swpout +$D_SWPOUT zswpout +$D_ZSWPOUT swpout_fallback +$D_FALLBACK swpin +$D_SWPIN"
	grep -q "^$VSWAP_DEV " /proc/swaps && release_swap_cache "$cg"
	rmdir "$cg"
}


thp_sizes 64kB

# Control 1: stock swap on a disk keeps 64 KiB folios whole.
stock_swap_on $SWAPDEV
run_case stock-disk-64k 64kB 301
expect_ge "stock disk: 64 KiB folios swapped out whole" "$D_SWPOUT" 16
swapoff $SWAPDEV || fail "swapoff $SWAPDEV"

# Control 2: stock swap on zram (synchronous) swaps 64 KiB folios in whole.
zram_new 256M
phys_on /dev/zram0
run_case stock-zram-64k 64kB 302
expect_ge "stock zram: 64 KiB folios swapped in whole" "$D_SWPIN" 1
swapoff /dev/zram0 || fail "swapoff /dev/zram0"

# vswap over the same zram, zswap never enabled: the configuration that read
# the wrong physical slot for all but the first page of a large folio. The
# pages are on a synchronous device, as in control 2, but vswap reads them
# one by one.
vswap_on
swapon -p 10 /dev/zram0 || fail "swapon /dev/zram0 behind vswap"
run_case vswap-zram-64k 64kB 307 --pattern mixed
expect_ge "vswap over zram: 64 KiB folios swapped out whole" "$D_SWPOUT" 16
expect_eq "vswap over zram: 64 KiB folios swapped in whole" "$D_SWPIN" 0
expect_eq "physical slots after exit" "$(vswap_stat phys_in_use)" 0
zram_gone

# vswap + a disk, zswap never enabled: every page goes to disk.
phys_on $SWAPDEV
p0=$(vmstat pswpout)
run_case vswap-64k 64kB 303 --pattern mixed
expect_ge "vswap: 64 KiB folios swapped out whole" "$D_SWPOUT" 16
expect_eq "vswap: 64 KiB folios swapped in whole" "$D_SWPIN" 0
expect_ge "vswap: pages written to $SWAPDEV" $(( $(vmstat pswpout) - p0 )) 4096
expect_eq "physical slots after exit" "$(vswap_stat phys_in_use)" 0

# PMD THP through vswap.
thp_sizes 2048kB
t0=$(vmstat thp_swpout) tf0=$(vmstat thp_swpout_fallback)
run_case vswap-pmd 2048kB 304 --pattern mixed
log "thp_swpout +$(( $(vmstat thp_swpout) - t0 )) thp_swpout_fallback +$(( $(vmstat thp_swpout_fallback) - tf0 ))"
expect_ge "vswap: PMD folios swapped out whole (thp_swpout)" $(( $(vmstat thp_swpout) - t0 )) 1
expect_eq "vswap: PMD folios swapped in whole" "$D_SWPIN" 0
show_vswap_stats

# Now with zswap. zswap stores a large folio page by page, but all or
# nothing. It keeps an incompressible page of a large vswap folio as is, as
# stock zswap keeps any (an incompressible page of a small folio goes to a
# physical slot at once): rejecting it would send every page of the folio to
# disk with it. When zswap cannot take the folio at all (memory.zswap.max=0),
# the folio goes to the physical fallback whole, a physical slot per page.
zswap_on lz4
thp_sizes 64kB
z0=$(vmstat zswpout)
run_case vswap-zswap-phys 64kB 305
expect_ge "zswap stores" $(( $(vmstat zswpout) - z0 )) 4096
expect_ge "vswap + zswap: 64 KiB folios stored whole in zswap" "$D_ZSWPOUT" 16
expect_eq "vswap + zswap: 64 KiB folios swapped in whole" "$D_SWPIN" 0
thp_sizes 2048kB
f0=$(vswap_stat phys_fallbacks)
run_case vswap-zswap-pmd-mixed 2048kB 308 --pattern mixed
log "physical fallbacks +$(( $(vswap_stat phys_fallbacks) - f0 ))"
expect_ge "vswap + zswap, mixed: PMD folios stored whole in zswap, random pages as is" "$D_ZSWPOUT" 1
# Its second pass swaps small folios (vswap reads one page at a time), whose
# random pages do go to disk; rejecting the PMD folios of the first pass
# would add all 4096 pages of the region (16 MiB).
expect_lt "vswap + zswap, mixed: pages sent to disk by the physical fallback" \
	$(( $(vswap_stat phys_fallbacks) - f0 )) 4096
expect_eq "vswap + zswap: PMD folios swapped in whole" "$D_SWPIN" 0
t0=$(vmstat thp_swpout) f0=$(vswap_stat phys_fallbacks)
ZSWAP_MAX=0 run_case vswap-zswap-max0-pmd-mixed 2048kB 309 --pattern mixed
log "thp_swpout +$(( $(vmstat thp_swpout) - t0 )), physical fallbacks +$(( $(vswap_stat phys_fallbacks) - f0 ))"
expect_ge "vswap, memory.zswap.max=0: PMD folios written whole to disk (thp_swpout)" $(( $(vmstat thp_swpout) - t0 )) 1
expect_ge "vswap, memory.zswap.max=0: physical fallbacks" $(( $(vswap_stat phys_fallbacks) - f0 )) 512
expect_eq "vswap, memory.zswap.max=0: PMD folios swapped in whole" "$D_SWPIN" 0
swapoff $SWAPDEV || fail "swapoff $SWAPDEV"
thp_sizes 64kB
run_case vswap-zswap-only 64kB 306
expect_ge "vswap + zswap only: 64 KiB folios stored whole in zswap" "$D_ZSWPOUT" 16
expect_eq "vswap + zswap: 64 KiB folios swapped in whole" "$D_SWPIN" 0
show_vswap_stats
vswap_off
