# SPDX-License-Identifier: GPL-2.0
# weight: 25
# The module loads with defaults, shows its debugfs state, refuses bad
# parameters with -EINVAL and a clear log line, and unloads cleanly.

# insmod_expect_einval PARAM MESSAGE: insmod must fail with EINVAL, log MESSAGE, leave nothing.
insmod_expect_einval() {
	local mark out
	mark=$(dmesg_mark)
	out=$(insmod "$MODULE" "$1" 2>&1) && fail "insmod $1 succeeded"
	# kmod prints EINVAL from a module's init as "Invalid parameters".
	grep -Eq 'Invalid (argument|parameters)' <<<"$out" || fail "insmod $1: want EINVAL, got: $out"
	dmesg_since "$mark" | grep -qF "vswap: $2" || fail "insmod $1: no 'vswap: $2' in dmesg"
	lsmod | grep -q '^vswap ' && fail "vswap loaded after a refused insmod $1"
	[ -e $DBG/vswap ] && fail "debugfs directory left behind by insmod $1"
	log "insmod $1: EINVAL, dmesg: vswap: $2"
}

check "insmod with defaults" insmod "$MODULE"
check "debugfs directory" test -d $DBG/vswap/vswap0
expect_eq "default nr_pages" "$(cat $DBG/vswap/vswap0/nr_pages)" 1048576
check "rmmod" vswap_rmmod
[ -e $DBG/vswap ] && fail "debugfs directory left after rmmod"

check "insmod nr_pages=4096" insmod "$MODULE" nr_pages=4096
expect_eq "nr_pages" "$(cat $DBG/vswap/vswap0/nr_pages)" 4096
check "rmmod" vswap_rmmod

insmod_expect_einval nr_pages=0 "invalid nr_pages=0: expected a multiple of 512"
insmod_expect_einval nr_pages=513 "invalid nr_pages=513: expected a multiple of 512"
insmod_expect_einval nr_pages=8589934592 "invalid nr_pages=8589934592"
insmod_expect_einval selftest_warn=3 "invalid selftest_warn=3: expected 0, 1 or 2"

# A value the parameter type cannot hold is refused by the kernel's parser.
out=$(insmod "$MODULE" nr_pages=lots 2>&1) && fail "insmod nr_pages=lots succeeded"
grep -Eq 'Invalid (argument|parameters)' <<<"$out" || fail "nr_pages=lots: want EINVAL, got: $out"
log "insmod nr_pages=lots: EINVAL"

# Load and unload a few times: nothing may accumulate (kmemleak checks at the end).
for i in 1 2 3; do
	check "insmod #$i" insmod "$MODULE" nr_pages=$((i * 512))
	check "rmmod #$i" vswap_rmmod
done
