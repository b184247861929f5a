# SPDX-License-Identifier: GPL-2.0
# weight: 10
# The harness catches a splat: load the module with the test-only
# selftest_warn=1, which raises a WARNING, and check that the same scanner that
# judges every test finds it. The expected splat is then acknowledged so that
# it does not fail this run.
#
# make splat-check (part of make test) runs this test with
# VSWAP_SPLAT_SELFTEST set, once per way a broken run must fail:
#   load     the WARNING at load is not acknowledged;
#   cleanup  the module warns as it unloads (selftest_warn=2), in the
#            harness's cleanup after the test: that is scanned too;
#   skip     the test skips without declaring why it may;
#   vanish   the guest's test runner dies: the results are incomplete.

case ${VSWAP_SPLAT_SELFTEST:-} in
cleanup)
	check "insmod selftest_warn=2" insmod "$MODULE" selftest_warn=2
	log "left loaded: the harness's rmmod raises the WARNING"
	exit 0 ;;
skip)
	skip "splat self-test: a skip without '# may-skip:'" ;;
vanish)
	log "splat self-test: killing the test runner"
	kill -9 $$ ;;
esac

mark=$(dmesg_mark)
check "insmod selftest_warn=1" insmod "$MODULE" selftest_warn=1
check "rmmod" vswap_rmmod
found=$(splats_since "$mark")
grep -q 'WARNING:' <<<"$found" || fail "the scanner missed the WARNING: $(dmesg_since "$mark" | head -n 5)"
dmesg_since "$mark" | grep -q 'vswap' || fail "the WARNING does not come from vswap"
log "scanner found: $(grep -m1 'WARNING:' <<<"$found")"
if [ -z "${VSWAP_SPLAT_SELFTEST:-}" ]; then
	dmesg_mark >"$VSWAP_ACK_FILE"
fi
