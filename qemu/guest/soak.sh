# SPDX-License-Identifier: GPL-2.0
# make soak: random swap traffic through vswap for a while, every page
# checked (tools/vswap-verify/src/bin/vswap-soak.rs), with zswap and its
# shrinker on, a physical device backing vswap, and a second physical device
# swapped on and off every 10 s. VSWAP_SOAK_PROCS workers (4) each run
# vswap-soak over VSWAP_SOAK_MIB MiB (24) for one to three minutes at a time,
# exit and start again, in a memcg that holds 3/4 of their data, for
# VSWAP_SOAK_MINUTES (120). Reports verified page round trips per second.

MINUTES=${VSWAP_SOAK_MINUTES:-120} PROCS=${VSWAP_SOAK_PROCS:-4} MIB=${VSWAP_SOAK_MIB:-24}
SOAK=$TOP/tools/vswap-verify/target/release/vswap-soak
[ -x "$SOAK" ] || fail "no $SOAK: run make tools"

vswap_on
phys_on $SWAPDEV
zswap_on lz4
put Y /sys/module/zswap/parameters/shrinker_enabled
mkswap -q $SWAPDEV2 >/dev/null || fail "mkswap $SWAPDEV2"
cg=$(memcg_new soak $(( PROCS * MIB * 3 / 4 ))M)
end=$(( $(date +%s) + MINUTES * 60 ))
log "soak: $PROCS workers x $MIB MiB in a $(( PROCS * MIB * 3 / 4 )) MiB memcg for $MINUTES min"

worker() { # N
	local n=0 secs
	while [ "$(date +%s)" -lt "$end" ]; do
		n=$((n + 1))
		secs=$(( 60 + (RANDOM % 121) ))
		[ $(( $(date +%s) + secs )) -le "$end" ] || secs=$(( end - $(date +%s) ))
		[ "$secs" -ge 5 ] || break
		in_memcg "$cg" "$SOAK" --label "w$1-$n" --mib "$MIB" --seed $(( $1 * 1000 + n )) \
			--seconds "$secs" >>"$OUT/soak-$1" 2>&1 || echo "vswap-soak: w$1-$n exit $? result=FAIL" >>"$OUT/soak-$1"
	done
}
pids=()
for w in $(seq "$PROCS"); do worker "$w" & pids+=($!); done
churns=0 refused=0
while [ "$(date +%s)" -lt "$end" ]; do
	sleep 10
	if grep -q "^$SWAPDEV2 " /proc/swaps; then
		if swapoff $SWAPDEV2 2>"$OUT/soak-swapoff.err"; then
			churns=$((churns + 1))
		elif grep -q "Cannot allocate memory" "$OUT/soak-swapoff.err"; then
			refused=$((refused + 1))
		else
			fail "swapoff $SWAPDEV2: $(cat "$OUT/soak-swapoff.err")"
		fi
	else
		swapon $SWAPDEV2 || fail "swapon $SWAPDEV2"
	fi
done
wait "${pids[@]}"
results=$(cat "$OUT"/soak-[0-9]* | grep '^vswap-soak: .*result=')
runs=$(grep -c . <<<"$results")
failed=$(grep -c 'result=FAIL' <<<"$results" || true)
sum() { tr ' ' '\n' <<<"$results" | awk -F= -v k="$1" '$1 == k { s += $2 } END { print s + 0 }'; }
trips=$(sum round_trips) bad=$(sum mismatched_pages)
log "soak: $runs runs, $trips verified page round trips ($(( trips / (MINUTES * 60) ))/s), $bad mismatched pages, $failed failed runs; $churns swapoffs of $SWAPDEV2 ($refused refused for memory)"
log "vswap: $(grep -E '^(phys_writebacks|phys_fallbacks|phys_swapoff_moved|phys_decompress_saved|stores|loads) ' "$VSWAP_STATS" | tr '\n' ' ')"
echo "soak minutes=$MINUTES procs=$PROCS mib=$MIB runs=$runs round_trips=$trips mismatched=$bad failed=$failed churns=$churns" >"$OUT/soak-summary"
expect_eq "mismatched pages" "$bad" 0
expect_eq "failed runs" "$failed" 0
expect_ge "runs" "$runs" "$PROCS"
expect_ge "verified page round trips" "$trips" 1
expect_eq "OOM kills" "$(awk '$1 == "oom_kill" { print $2 }' "$cg/memory.events")" 0
put N /sys/module/zswap/parameters/shrinker_enabled
release_swap_cache "$cg"
rmdir "$cg"
swapoff $VSWAP_DEV || fail "swapoff $VSWAP_DEV"
grep -q "^$SWAPDEV2 " /proc/swaps && { swapoff $SWAPDEV2 || fail "swapoff $SWAPDEV2"; }
swapoff $SWAPDEV || fail "swapoff $SWAPDEV"
zswap_off
vswap_off
