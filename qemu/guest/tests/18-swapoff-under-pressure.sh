# SPDX-License-Identifier: GPL-2.0
# weight: 150
# swapoff of a physical device while processes in a tight memcg keep working:
# 3 processes x 24 MiB in a 32 MiB memcg, zswap with its shrinker on,
# /dev/vswap0 over one physical device that stays and one (preferred, -p 5)
# that is swapped off and on again every few seconds. Two runs. Every process must verify all of
# its pages (0 mismatches) and the memcg's OOM killer must never fire:
# swapoff brings pages back charged to that memcg, and it must fail with
# ENOMEM (and be retried) rather than kill the workload to make room.
#
# Positive control: the churned device did hold vswap pages when it was
# swapped off (phys_swapoff_moved grows).

vswap_on
phys_on $SWAPDEV
mkswap -q $SWAPDEV2 >/dev/null || fail "mkswap $SWAPDEV2"
zswap_on lz4
put Y "/sys/module/zswap/parameters/shrinker_enabled"
moved0=$(vswap_stat phys_swapoff_moved)
offs=0 enomem=0

for run in 1 2; do
	cg=$(memcg_new vpress 32M)
	swapon -p 5 $SWAPDEV2 || fail "swapon $SWAPDEV2"
	pids=()
	for p in 1 2 3; do
		in_memcg "$cg" "$VERIFY" --label "press-$run-$p" --mib 24 --pattern mixed \
			--seed $((1800 + run * 10 + p)) --passes 2 >$OUT/vswap-press-$p.out 2>&1 &
		pids+=($!)
	done
	while kill -0 "${pids[@]}" 2>/dev/null; do
		sleep 4
		if grep -q "^$SWAPDEV2 " /proc/swaps; then
			if swapoff $SWAPDEV2 2>/tmp/vswap-press.err; then
				offs=$((offs + 1))
			elif grep -q "Cannot allocate memory" /tmp/vswap-press.err; then
				enomem=$((enomem + 1))
			else
				fail "swapoff $SWAPDEV2: $(cat /tmp/vswap-press.err)"
			fi
		else
			swapon -p 5 $SWAPDEV2 || fail "swapon $SWAPDEV2 again"
		fi
	done
	for p in 1 2 3; do
		wait "${pids[$((p - 1))]}" ||
			fail "run $run process $p: $(tail -n 3 $OUT/vswap-press-$p.out)"
		grep -q "mismatched_pages=0 " $OUT/vswap-press-$p.out ||
			fail "run $run process $p: $(tail -n 3 $OUT/vswap-press-$p.out)"
	done
	kills=$(awk '$1 == "oom_kill" { print $2 }' "$cg/memory.events")
	log "run $run: oom_kill $kills; swapoffs so far $offs, refused with ENOMEM $enomem"
	expect_eq "run $run: OOM kills" "$kills" 0
	release_swap_cache "$cg"
	if grep -q "^$SWAPDEV2 " /proc/swaps; then
		swapoff $SWAPDEV2 || fail "swapoff $SWAPDEV2 after run $run"
	fi
	rmdir "$cg"
done

moved=$(( $(vswap_stat phys_swapoff_moved) - moved0 ))
log "swapoffs of $SWAPDEV2: $offs done, $enomem refused with ENOMEM; vswap pages moved: $moved"
expect_ge "swapoffs done under load" "$offs" 3
expect_ge "vswap pages moved by those swapoffs" "$moved" 1
put N "/sys/module/zswap/parameters/shrinker_enabled"
show_vswap_stats
swapoff $SWAPDEV || fail "swapoff $SWAPDEV"
vswap_off
