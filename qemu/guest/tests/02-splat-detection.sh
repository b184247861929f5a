# SPDX-License-Identifier: GPL-2.0
# weight: 10
# The harness catches a splat: load the module with the test-only
# selftest_warn=1, which raises a WARNING, and check that the same scanner that
# judges every test finds it. The expected splat is then acknowledged so that
# it does not fail this run (make test-splat shows it failing a run).

mark=$(dmesg_mark)
check "insmod selftest_warn=1" insmod "$MODULE" selftest_warn=1
check "rmmod" rmmod vswap
found=$(splats_since "$mark")
grep -q 'WARNING:' <<<"$found" || fail "the scanner missed the WARNING: $(dmesg_since "$mark" | head -n 5)"
dmesg_since "$mark" | grep -q 'vswap' || fail "the WARNING does not come from vswap"
log "scanner found: $(grep -m1 'WARNING:' <<<"$found")"
if [ -z "${VSWAP_SPLAT_SELFTEST:-}" ]; then
	dmesg_mark >"$VSWAP_ACK_FILE"
fi
