# SPDX-License-Identifier: GPL-2.0
# weight: 50
# The module as DKMS builds it (make dkms: dkms build against the cached
# kernel tree, copied to dkms-vswap.ko) loads on the guest kernel, and
# works: vswapctl sets it up, 16 MiB go through zswap and back intact, and
# vswapctl takes it down. It is the module users install: without the
# test-only parameters that the suite's own build has.

# make test-kasan builds its own, for the kasan kernel (VSWAP_DKMS_MODULE).
KO=${VSWAP_DKMS_MODULE:-$TOP/dkms-vswap.ko}
[ -f "$KO" ] || fail "no $KO (make dkms builds it; make test runs it first)"
log "vermagic: $(modinfo -F vermagic "$KO")"
# The module users install has no test-only parameters; the suite's own
# build (VSWAP_TEST=1) has them (the control).
for p in selftest_warn test_ready_delay_ms; do
	modinfo -p "$KO" | grep -q "^$p:" && fail "the DKMS module has the test-only parameter $p"
	modinfo -p "$MODULE" | grep -q "^$p:" || fail "control: the test build of the module has no $p"
done
expect_ge "parameters of the DKMS module" "$(modinfo -p "$KO" | grep -c '^[a-z_]*:')" 2
$VSWAPCTL setup --size 256M --zswap --module "$KO" || fail "vswapctl setup with the DKMS module"
zswap_on lz4
cg=$(memcg_new vdkms 512M)
through_mark
verify_in_memcg "$cg" --label dkms --mib 16 --pattern compressible --seed 291 --pageout \
	--min-swapped-pct 90 || fail "verifier: $VERIFY_OUT"
expect_eq "mismatches" "$(field mismatched_pages)" 0
expect_through "dkms module" 3500
expect_ge "stores recorded by the DKMS module" "$(awk '{ print $1 }' /sys/block/vswap0/vswap/io_stat)" 3500
release_swap_cache "$cg"
$VSWAPCTL off || fail "vswapctl off"
if [ -d /sys/block/vswap0 ]; then fail "module still loaded after vswapctl off"; fi
