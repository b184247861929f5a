# SPDX-License-Identifier: GPL-2.0
# weight: 120
# vswapctl against the real module: every subcommand, and each refusal
# with its message and exit status (not root, bad size, a module file that
# is not one, busy with another size, the device held open at off).
# status and status --json agree with sysfs and /proc/swaps while pages
# sit in zswap and on the physical device.

C=$VSWAPCTL
[ -x $C ] || fail "no $C (make tools)"
# expect_refusal WHAT PATTERN CMD...: CMD fails (status 1) saying PATTERN.
expect_refusal() {
	local what=$1 pat=$2 rc=0
	shift 2
	"$@" >$OUT/ctl.out 2>&1 || rc=$?
	log "$what: $(head -c 300 $OUT/ctl.out) (exit $rc)"
	expect_eq "$what: exit status" "$rc" 1
	grep -q -- "$pat" $OUT/ctl.out || fail "$what: no '$pat' in: $(cat $OUT/ctl.out)"
}

# Nothing loaded.
$C >$OUT/ctl.out || fail "vswapctl with the module not loaded"
grep -q "not loaded" $OUT/ctl.out || fail "status: $(cat $OUT/ctl.out)"
$C status --json | grep -q '"loaded": false' || fail "status --json, not loaded"

# Refusals that leave nothing loaded.
expect_refusal "setup as nobody" "needs root" setpriv --reuid=65534 --regid=65534 --clear-groups $C setup --module $MODULE
expect_refusal "setup --size 3M" "multiple of 2048 KiB" $C setup --size 3M --module $MODULE
expect_refusal "setup --priority 40000" "priority 40000" $C setup --priority 40000 --module $MODULE
echo "not a module" >$OUT/bogus.ko
expect_refusal "setup --module (not a module)" "not a module for this kernel" $C setup --module $OUT/bogus.ko
rc=0; $C setup --size lots >$OUT/ctl.out 2>&1 || rc=$?
expect_eq "setup --size lots: usage error" "$rc" 2
[ -d /sys/block/vswap0 ] && fail "a refused setup left the module loaded"

# Setup; again (nothing to do); again with another size (busy).
zswap_off
$C setup --size 64M --priority 50 --zswap --module $MODULE || fail "vswapctl setup"
udevadm settle 2>/dev/null
grep -q "^$VSWAP_DEV " /proc/swaps || fail "$VSWAP_DEV not swapped on"
expect_eq "priority" "$(awk -v d=$VSWAP_DEV '$1 == d { print $5 }' /proc/swaps)" 50
expect_eq "size (KiB, less the header page)" "$(awk -v d=$VSWAP_DEV '$1 == d { print $3 }' /proc/swaps)" 65532
expect_eq "zswap enabled by --zswap" "$(cat /sys/module/zswap/parameters/enabled)" Y
$C setup --size 64M --module $MODULE || fail "vswapctl setup, again"
expect_refusal "setup with another size" "busy: vswap is loaded with 16384 pages" $C setup --size 128M

# Status while pages are out: 8 MiB compressible to zswap, 8 MiB random
# to the physical device (zswap's share of the memcg is full).
phys_on $SWAPDEV
cg=$(memcg_new vctl 512M)
put 1M "$cg/memory.zswap.max"
show="$C >$OUT/ctl_status && $C status --json >$OUT/ctl_json && cp /sys/block/vswap0/vswap/mm_stat $OUT/ctl_mm && cp /proc/swaps $OUT/ctl_swaps || exit 1"
verify_in_memcg "$cg" --label ctl-zswap --mib 8 --pattern compressible --seed 281 --pageout \
	--min-swapped-pct 90 --exec-after-swapout "$(printf '%q ' "$VERIFY") --label ctl-phys --mib 8 --pattern random --seed 282 --pageout --min-swapped-pct 90 --exec-after-swapout '$show' >$OUT/ctl_phys" ||
	fail "verifier: $VERIFY_OUT"
grep -q "result=PASS" $OUT/ctl_phys || fail "second verifier: $(cat $OUT/ctl_phys)"
sed 's/^/  # /' $OUT/ctl_status
sed 's/^/  # /' $OUT/ctl_json
read -r _ zs ph _ <$OUT/ctl_mm
expect_ge "slots in zswap while out" "$zs" 1000
expect_ge "slots on disk while out" "$ph" 1000
python3 - "$OUT/ctl_json" "$zs" "$ph" "$SWAPDEV" <<'EOF' || fail "status --json does not match sysfs"
import json, sys
j = json.load(open(sys.argv[1]))
zs, ph = int(sys.argv[2]) * 4096, int(sys.argv[3]) * 4096
assert j["loaded"] and j["swapped_on"], j
assert j["size_bytes"] == 64 << 20, j["size_bytes"]
assert j["priority"] == 50, j
assert j["zswap_bytes"] == zs, (j["zswap_bytes"], zs)
assert j["disk_bytes"] == ph, (j["disk_bytes"], ph)
assert j["zswap"]["enabled"] and j["zswap"]["compressor"], j["zswap"]
devs = [b["device"] for b in j["backing"]]
assert sys.argv[4] in devs, devs
assert j["phys"]["in_use"] * 4096 == ph, j["phys"]
EOF
line=$(grep "^$VSWAP_DEV " $OUT/ctl_status) || fail "no $VSWAP_DEV line in status"
set -- $line
expect_eq "status SIZE" "$2" 64M
expect_eq "status PRIO" "$7" 50
expect_eq "status ZSWAP" "$4" "$(awk -v b=$((zs * 4096)) 'BEGIN { u = "BKMGT"; i = 1; while (b >= 1024 && i < 5) { b /= 1024; i++ } r = sprintf("%.1f", b); sub(/\.0$/, "", r); print r substr(u, i, 1) }')"
grep -q "zswap: enabled" $OUT/ctl_status || fail "status: zswap state"
grep -q "^  $SWAPDEV " $OUT/ctl_status || fail "status: $SWAPDEV not listed as backing"
release_swap_cache "$cg"
rmdir "$cg"

# off while /dev/vswap0 is held open: swapped off, module stays, says why.
swapoff $SWAPDEV || fail "swapoff $SWAPDEV"
exec 3</dev/vswap0
expect_refusal "off with $VSWAP_DEV open" "module is in use" $C off
grep -q "^$VSWAP_DEV " /proc/swaps && fail "off did not swap off"
[ -d /sys/block/vswap0 ] || fail "module gone while $VSWAP_DEV was open"
exec 3<&-
udevadm settle 2>/dev/null
$C off || fail "vswapctl off"
[ -d /sys/block/vswap0 ] && fail "module still loaded after off"
$C off || fail "vswapctl off, nothing to do"
$C | grep -q "not loaded" || fail "status after off"
