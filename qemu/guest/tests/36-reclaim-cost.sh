# SPDX-License-Identifier: GPL-2.0
# weight: 210
# suite: long
# What reclaim pays for get_nr_swap_pages() with vswap attached (patch 8).
# Reclaim loops call it to decide whether anonymous memory can be swapped
# at all; with vswap attached it also asks zswap whether it takes stores
# (zswap_may_store(), which sums the pool sizes). Measured under global
# pressure (no memcg limit: kswapd and direct reclaim, 1.1x the guest's
# memory through vswap + zswap + a disk), with a system-wide profile
# (perf, cpu-clock): the inclusive share of get_nr_swap_pages() must stay
# under 1% of all samples. Positive control: reclaim itself (shrink_node)
# holds a large share of the same profile, so the bound is measured where
# the calls happen.

command -v perf >/dev/null || fail "no perf in the guest (Debian's linux-perf on the host)"
vswap_on
phys_on $SWAPDEV
zswap_on lz4

data=/tmp/vswap-reclaim-cost.data
mib=$(( $(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo) * 11 / 10 ))
perf record -a -g -F 499 -o $data >$OUT/perf-reclaim.err 2>&1 &
ppid=$!
trap 'kill -TERM $ppid 2>/dev/null; rm -f $data' EXIT
sleep 5
kill -0 $ppid || fail "perf record did not start: $(tail -n 3 $OUT/perf-reclaim.err)"
VERIFY_OUT=$("$VERIFY" --label pressure --mib "$mib" --pattern bench --seed 361 2>&1)
rc=$?
echo "  $VERIFY_OUT"
kill -INT $ppid
wait $ppid
[ $rc = 0 ] || fail "verifier: exit $rc: $VERIFY_OUT"
expect_eq "mismatches" "$(field mismatched_pages)" 0
report=$(perf report -i $data --stdio --children --sort sym -g none 2>/dev/null)
rm -f $data
# share SYMBOL: the inclusive share of SYMBOL, in hundredths of a percent.
share() {
	awk -v s="$1" '$NF == s && $1 ~ /%$/ { sub("%", "", $1); printf "%d\n", $1 * 100; f = 1; exit }
		END { if (!f) print 0 }' <<<"$report"
}
samples=$(sed -n 's/^# Samples: \([0-9.]*[KM]\?\).*/\1/p' <<<"$report" | head -n1)
g=$(share get_nr_swap_pages) z=$(share zswap_may_store) r=$(share shrink_node)
log "profile: $samples samples; inclusive share: shrink_node $((r / 100)).$(printf %02d $((r % 100)))%, get_nr_swap_pages $((g / 100)).$(printf %02d $((g % 100)))%, zswap_may_store $((z / 100)).$(printf %02d $((z % 100)))%"
echo "$report" | grep -E ' (get_nr_swap_pages|zswap_may_store|zswap_total_pages|shrink_node|shrink_folio_list|kswapd)$' | sed 's/^/  #   /'
expect_ge "reclaim's share of the profile (shrink_node, hundredths of %)" "$r" 500
expect_lt "get_nr_swap_pages()'s share (hundredths of %)" "$g" 100
swapoff $SWAPDEV || fail "swapoff $SWAPDEV"
vswap_off
