# SPDX-License-Identifier: GPL-2.0
# weight: 100
# vswap as the only swap: a process in a memcg whose memory.max is a quarter
# of its working set pushes 128 MiB through vswap + zswap with 0 mismatches.
# While the data is out, the module's counters agree with zswap's and the
# process's: every vswap page zswap holds has one ZSWAP word.

vswap_on
zswap_on lz4
cg=$(memcg_new vonly 32M)
z0=$(vmstat zswpout) p0=$(vmstat pswpout)
check_counters='
	s=$(awk "\$1 == \"slots_zswap\" { print \$2 }" '"$VSWAP_STATS"')
	z=$(cat '"$DBG"'/zswap/stored_pages)
	m=$(awk "\$1 == \"metadata_bytes\" { print \$2 }" '"$VSWAP_STATS"')
	echo "  # while out: vswap slots_zswap=$s zswap stored_pages=$z metadata_bytes=$m" \
	     "($((m / (s + 1))) bytes per swapped page)"
	[ "$s" = "$z" ] && [ "$s" -ge 24576 ]'
verify_in_memcg "$cg" --label vswap-only --mib 128 --pattern compressible --seed 21 \
	--pageout --reclaim --min-swapped-pct 75 --exec-after-swapout "$check_counters" ||
	fail "verifier: $VERIFY_OUT"
expect_eq "mismatches" "$(field mismatched_pages)" 0
expect_ge "pages through vswap" "$(field swapped_pages)" $((96 * 256))
expect_ge "zswpout" $(( $(vmstat zswpout) - z0 )) $((96 * 256))
expect_eq "pswpout (nothing written to any disk)" $(( $(vmstat pswpout) - p0 )) 0
show_vswap_stats
show_swap_state
vswap_off
