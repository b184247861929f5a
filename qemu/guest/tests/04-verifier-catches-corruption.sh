# SPDX-License-Identifier: GPL-2.0
# weight: 45
# The data check can fail: the verifier's test-only --corrupt-after-swapin
# flips one byte of a page after it came back from swap, and the run must be
# reported as a failure with exactly one mismatched page.

stock_swap_on
zswap_on lz4
cg=$(memcg_new corrupt 32M)
verify_in_memcg "$cg" --label corrupted --mib 64 --pattern compressible \
	--pageout --min-swapped-pct 50 --corrupt-after-swapin
rc=$?
expect_eq "verifier exit status on a corrupted page" "$rc" 1
expect_eq "mismatched pages" "$(field mismatched_pages)" 1
expect_eq "result" "$(field result)" FAIL
rmdir "$cg"
swapoff "$SWAPDEV" || fail "swapoff"
zswap_off
