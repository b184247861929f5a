# SPDX-License-Identifier: GPL-2.0
# weight: 40
# Incompressible data with no physical backend: zswap rejects every page, so
# the pages stay resident (dirty, in the swap cache); nothing is lost, the
# rejects are counted, and nobody is OOM-killed.

vswap_on
zswap_on lz4
cg=$(memcg_new vrand 512M)
r0=$(vswap_stat zswap_rejected_resident)
verify_in_memcg "$cg" --label incompressible --mib 64 --pattern random --seed 61 \
	--pageout --passes 2 || fail "verifier: $VERIFY_OUT"
expect_eq "mismatches" "$(field mismatched_pages)" 0
expect_ge "rejected pages kept resident" $(( $(vswap_stat zswap_rejected_resident) - r0 )) $((60 * 256))
expect_eq "pages in zswap" "$(vswap_stat slots_zswap)" 0
expect_eq "OOM kills" "$(awk '$1 == "oom_kill" { print $2 }' "$cg/memory.events")" 0
show_vswap_stats
vswap_off
