# SPDX-License-Identifier: GPL-2.0
# weight: 120
# The kernel's own zswap selftest (tools/testing/selftests/cgroup/test_zswap,
# built from the patched tree by `make kselftest`), on stock swap (zswap + a
# disk, module not loaded) and then on vswap over the same disk. Every test
# that passes on stock must pass on vswap, but one that vswap does on
# purpose, differently: test_zswap_incompressible expects zswap to keep an
# incompressible page uncompressed (stock 7.2 does, to write it back later in
# LRU order); vswap sends it straight to a physical slot instead, without
# holding a full page of zswap pool memory for it (see design.rst).
#
# Left out, on both sides: test_no_kmem_bypass. It lowers min_free_kbytes to
# push the whole guest to its low watermark, where kmemleak cannot allocate
# its metadata and disables itself for the rest of the boot, which would
# void the suite's final leak check (seen: "kmemleak: Memory pool empty").

KSELFTEST=$TOP/tools/test-zswap/test_zswap
EXPECTED_DIFF="test_zswap_incompressible"
[ -x "$KSELFTEST" ] || fail "no $KSELFTEST: run make kselftest"

# run_selftest LABEL: runs test_zswap; prints "ok NAME" / "not ok NAME" lines.
run_selftest() {
	local out=/tmp/test_zswap-$1.out
	(cd /tmp && timeout 900 "$KSELFTEST" -x test_no_kmem_bypass) >"$out" 2>&1
	sed 's/^/  # '"$1"': /' "$out" | head -n 40 >&2
	sed -n -E 's/^(ok|not ok) [0-9]+ (test_[a-z_]+).*/\1 \2/p' "$out"
}

zswap_on lz4
stock_swap_on $SWAPDEV
stock=$(run_selftest stock | grep -E '^(ok|not ok) test_')
swapoff $SWAPDEV || fail "swapoff $SWAPDEV"
log "stock: $(grep -c '^ok ' <<<"$stock") passed, $(grep -c '^not ok ' <<<"$stock") failed"
expect_ge "tests that pass on stock" "$(grep -c '^ok ' <<<"$stock")" 4

vswap_on
phys_on $SWAPDEV
vswap=$(run_selftest vswap | grep -E '^(ok|not ok) test_')
log "vswap: $(grep -c '^ok ' <<<"$vswap") passed, $(grep -c '^not ok ' <<<"$vswap") failed"
expect_eq "tests run on vswap" "$(wc -l <<<"$vswap")" "$(wc -l <<<"$stock")"

regressions=""
while read -r status name; do
	[ "$status" = ok ] || continue
	grep -qx "ok $name" <<<"$vswap" && continue
	if [ "$name" = "$EXPECTED_DIFF" ]; then
		log "$name: passes on stock, not on vswap (expected, see the header)"
		continue
	fi
	regressions="$regressions $name"
done < <(sed 's/^not ok/not_ok/' <<<"$stock")
[ -z "$regressions" ] || fail "pass on stock, fail on vswap:$regressions"
show_vswap_stats
swapoff $SWAPDEV || fail "swapoff $SWAPDEV"
vswap_off
zswap_off
