# SPDX-License-Identifier: GPL-2.0
# weight: 60
# What SwapTotal/SwapFree (free(1)), memory.swap.current and reclaim see
# (patch 0007, Documentation/admin-guide.rst "Accounting").
#
# 1. Each swapped page counts once. 32 MiB of incompressible pages go to
#    the physical device through vswap, two slots each (the vswap slot and
#    its backing slot; control: both devices' Used columns in /proc/swaps
#    show them). SwapTotal drops by the backing slots, SwapTotal - SwapFree
#    equals /dev/vswap0's Used, memory.swap.current counts the pages once.
# 2. No free swap while vswap cannot take a page. vswap without a physical
#    device, zswap's pool limit at 0%: every store would be rejected, so
#    SwapFree is 0 and memory.reclaim of a cgroup full of anon pages must
#    not try them (zswap's pool_limit_hit and the module's
#    zswap_rejected_resident stay put). Control, in the same process: with
#    the limit back, SwapFree counts vswap's slots again and the same
#    memory.reclaim sends the pages to zswap.

meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
swaps_size() { awk -v d="$1" '$1 == d { print $3 }' /proc/swaps; }

zswap_on lz4
vswap_on
phys_on $SWAPDEV
total0=$(meminfo SwapTotal) free0=$(meminfo SwapFree)
expect_eq "SwapTotal, nothing swapped: the two devices' sizes" "$total0" \
	$(( $(swaps_size $VSWAP_DEV) + $(swaps_size $SWAPDEV) ))
expect_eq "SwapFree, nothing swapped" "$free0" "$total0"

# 1. Each page once.
cg=$(memcg_new vaccount 512M)
cat >/tmp/vswap-21-once.sh <<EOS
meminfo() { awk -v k="\$1:" '\$1 == k { print \$2 }' /proc/meminfo; }
used() { awk -v d="\$1" '\$1 == d { print \$4 }' /proc/swaps; }
t=\$(meminfo SwapTotal) f=\$(meminfo SwapFree)
p=\$(used $SWAPDEV) v=\$(used $VSWAP_DEV)
m=\$(( \$(cat $cg/memory.swap.current) / 1024 ))
echo "  # while out: $SWAPDEV used \$p KiB, $VSWAP_DEV used \$v KiB; SwapTotal \$t KiB (was $total0), SwapFree \$f KiB; memory.swap.current \$m KiB"
free -k | sed 's/^/  #   /'
ok=0
near() { [ \$(( \$1 - \$2 )) -le 1024 ] && [ \$(( \$2 - \$1 )) -le 1024 ]; }
[ "\$p" -ge 28672 ] || { echo "  FAIL: $SWAPDEV holds \$p KiB, the pages did not go to disk"; ok=1; }
[ "\$v" -ge 28672 ] || { echo "  FAIL: $VSWAP_DEV holds \$v KiB"; ok=1; }
near \$(( $total0 - t )) "\$p" || { echo "  FAIL: SwapTotal went down \$(( $total0 - t )) KiB, not by the \$p KiB of backing slots"; ok=1; }
near \$(( t - f )) "\$v" || { echo "  FAIL: used swap \$(( t - f )) KiB, not the \$v KiB of swapped pages"; ok=1; }
near "\$m" "\$v" || { echo "  FAIL: memory.swap.current \$m KiB, not \$v KiB"; ok=1; }
exit \$ok
EOS
verify_in_memcg "$cg" --label once --mib 32 --pattern random --seed 211 \
	--pageout --min-swapped-pct 90 --exec-after-swapout "sh /tmp/vswap-21-once.sh" ||
	fail "verifier: $VERIFY_OUT"
expect_eq "once: mismatches" "$(field mismatched_pages)" 0
release_swap_cache "$cg"
phys_frees_settle
expect_eq "SwapTotal after exit" "$(meminfo SwapTotal)" "$total0"
expect_eq "SwapFree after exit" "$(meminfo SwapFree)" "$total0"
swapoff $SWAPDEV || fail "swapoff $SWAPDEV"

# 2. vswap alone, zswap refusing everything: no free swap for reclaim.
pct=$(cat /sys/module/zswap/parameters/max_pool_percent)
cat >/tmp/vswap-21-stall.sh <<EOS
meminfo() { awk -v k="\$1:" '\$1 == k { print \$2 }' /proc/meminfo; }
z() { cat $DBG/zswap/\$1; }
v() { awk -v k="\$1" '\$1 == k { print \$2 }' $VSWAP_STATS; }
ok=0
echo 0 >/sys/module/zswap/parameters/max_pool_percent || exit 1
l=\$(z pool_limit_hit) r=\$(v zswap_rejected_resident) o=\$(awk '\$1 == "zswpout" { print \$2 }' /proc/vmstat)
f=\$(meminfo SwapFree)
echo "  # zswap limit 0%: SwapTotal \$(meminfo SwapTotal) KiB, SwapFree \$f KiB"
[ "\$f" = 0 ] || { echo "  FAIL: SwapFree \$f KiB while no page can be stored"; ok=1; }
echo 24M >$cg/memory.reclaim 2>/dev/null
dl=\$(( \$(z pool_limit_hit) - l )) dr=\$(( \$(v zswap_rejected_resident) - r ))
s=\$(cat $cg/memory.swap.current)
echo "  # memory.reclaim 24M: pool_limit_hit +\$dl, zswap_rejected_resident +\$dr, memory.swap.current \$s"
[ "\$dl" = 0 ] && [ "\$dr" = 0 ] && [ "\$s" = 0 ] || { echo "  FAIL: reclaim sent pages to a vswap that could only hand them back"; ok=1; }
echo $pct >/sys/module/zswap/parameters/max_pool_percent || exit 1
f=\$(meminfo SwapFree)
echo 24M >$cg/memory.reclaim 2>/dev/null
do=\$(( \$(awk '\$1 == "zswpout" { print \$2 }' /proc/vmstat) - o ))
s=\$(cat $cg/memory.swap.current)
echo "  # zswap limit $pct%: SwapFree \$f KiB; memory.reclaim 24M: zswpout +\$do, memory.swap.current \$s"
[ "\$f" -ge $(( $(swaps_size $VSWAP_DEV) - 1024 )) ] || { echo "  FAIL: SwapFree \$f KiB with zswap accepting"; ok=1; }
[ "\$do" -ge 1024 ] || { echo "  FAIL (control): reclaim did not swap to zswap"; ok=1; }
exit \$ok
EOS
verify_in_memcg "$cg" --label stall --mib 32 --seed 212 \
	--exec-after-swapout "sh /tmp/vswap-21-stall.sh" || {
	put "$pct" /sys/module/zswap/parameters/max_pool_percent
	fail "verifier: $VERIFY_OUT"
}
expect_eq "stall: mismatches" "$(field mismatched_pages)" 0
release_swap_cache "$cg"
vswap_off
