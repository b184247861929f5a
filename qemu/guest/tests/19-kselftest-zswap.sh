# SPDX-License-Identifier: GPL-2.0
# weight: 120
# The kernel's own zswap selftest (tools/testing/selftests/cgroup/test_zswap,
# built from the patched tree by `make kselftest`), on stock swap (zswap + a
# disk, module not loaded) and then on vswap over the same disk. Every test
# that passes on stock must pass on vswap, but one that vswap does on
# purpose, differently: test_zswap_incompressible expects zswap to keep an
# incompressible page uncompressed (stock 7.2 does, to write it back later in
# LRU order); vswap sends it straight to a physical slot instead, without
# holding a full page of zswap pool memory for it (see design.rst). Measured
# here on both: 16 MiB of random data paged out; stock must keep it in the
# zswap pool at full size, vswap must keep none of it there and write it to
# the disk. (test_zswap_incompressible itself may pass on vswap: under THP
# "always" its buffer is in PMD folios, and zswap keeps the incompressible
# pages of a large folio as is on vswap too. The verifier's base pages
# above are what this test measures.)
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
	(cd /tmp && timeout --foreground 900 "$KSELFTEST" -x test_no_kmem_bypass) >"$out" 2>&1
	sed 's/^/  # '"$1"': /' "$out" | head -n 40 >&2
	sed -n -E 's/^(ok|not ok) [0-9]+ (test_[a-z_]+).*/\1 \2/p' "$out"
}

# incompressible LABEL: 16 MiB of random data paged out; sets INCOMP (pages
# zswap keeps as is) and POOL (zswap pool bytes) while it is out, and PSWP
# (pages written to disk).
incompressible() {
	local cg p0
	cg=$(memcg_new vincomp 512M)
	p0=$(vmstat pswpout)
	verify_in_memcg "$cg" --label "$1-incompressible" --mib 16 --pattern random --seed 191 \
		--pageout --min-swapped-pct 80 --exec-after-swapout "
			cat $DBG/zswap/stored_incompressible_pages >/tmp/incomp
			cat $DBG/zswap/pool_total_size >/tmp/pool" || fail "verifier: $VERIFY_OUT"
	expect_eq "$1-incompressible: mismatches" "$(field mismatched_pages)" 0
	INCOMP=$(cat /tmp/incomp) POOL=$(cat /tmp/pool) PSWP=$(( $(vmstat pswpout) - p0 ))
	log "$1: 16 MiB of random data: $INCOMP pages kept as is in zswap, pool $((POOL >> 10)) KiB, $PSWP pages written to disk"
	release_swap_cache "$cg"
	rmdir "$cg"
}

zswap_on lz4
stock_swap_on $SWAPDEV
incompressible stock
# The control: stock keeps incompressible pages in zswap, at full size.
expect_ge "stock: incompressible pages kept in zswap" "$INCOMP" 2048
stock_pool=$POOL
stock=$(run_selftest stock | grep -E '^(ok|not ok) test_')
swapoff $SWAPDEV || fail "swapoff $SWAPDEV"
log "stock: $(grep -c '^ok ' <<<"$stock") passed, $(grep -c '^not ok ' <<<"$stock") failed"
expect_ge "tests that pass on stock" "$(grep -c '^ok ' <<<"$stock")" 4

vswap_on
phys_on $SWAPDEV
incompressible vswap
# vswap writes them to the physical slot instead: no pool memory for them.
expect_eq "vswap: incompressible pages kept in zswap" "$INCOMP" 0
expect_ge "vswap: incompressible pages written to disk" "$PSWP" 2048
log "zswap pool for 16 MiB of random data: stock $((stock_pool >> 10)) KiB, vswap $((POOL >> 10)) KiB"
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
