#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make test-system, step 4: run inside the Debian image booted with vswap
# installed (the image's vswap-image-run service runs it from the host's
# share, with vswap-verify beside it). Every command must succeed.
set -ex
# none CMD...: CMD must fail (set -e ignores a command negated with !).
none() { if "$@"; then echo "unexpected: $*" >&2; exit 1; fi; }

# vswap.service came up before swap.target (and so before the fstab swap).
systemctl is-active vswap.service
systemd-analyze critical-chain vswap.service
test "$(systemctl show -P ActiveEnterTimestampMonotonic vswap.service)" -le \
	"$(systemctl show -P ActiveEnterTimestampMonotonic swap.target)"
systemctl show -P Before vswap.service | grep -qw swap.target
journalctl -b -o short-monotonic --no-pager -u vswap.service

# /dev/vswap0 at its priority, the fstab swap partition below it as its
# backing, zswap on.
cat /proc/swaps
awk '$1 == "/dev/vswap0" && $5 == 100 { ok = 1 } END { exit !ok }' /proc/swaps
awk '$1 == "/dev/vda3" && $5 < 100 { ok = 1 } END { exit !ok }' /proc/swaps
test "$(cat /sys/module/zswap/parameters/enabled)" = Y

# vswapctl agrees with sysfs and /proc/swaps.
vswapctl
vswapctl --json >ctl.json
grep -q '"swapped_on": true' ctl.json
grep -q "\"size_bytes\": $(( $(cat /sys/block/vswap0/size) * 512 ))," ctl.json
grep -q '"priority": 100' ctl.json
grep -q '"/dev/vda3"' ctl.json

# A workload of 192 MiB in a 64 MiB scope: its pages go out through vswap
# and come back verified, twice.
systemd-run --scope -q -p MemoryMax=64M ./vswap-verify --label system --mib 192 \
	--pattern mixed --pageout --min-swapped-pct 50 --passes 2 | tee verify.out
grep -q 'mismatched_pages=0 ' verify.out
grep -q 'result=PASS' verify.out
vswapctl --json

# Stop the unit while a workload's pages are out: swapoff brings them back
# and the workload reads them intact; the module is unloaded. Then start it
# again.
systemd-run --scope -q -p MemoryMax=64M ./vswap-verify --label stop --mib 96 \
	--pattern compressible --pageout --min-swapped-pct 50 \
	--exec-after-swapout "systemctl stop vswap.service" | tee stop.out
grep -q 'mismatched_pages=0 ' stop.out
grep -q 'result=PASS' stop.out
none grep -q '^/dev/vswap0 ' /proc/swaps
none grep -q '^vswap ' /proc/modules
systemctl start vswap.service
grep -q '^/dev/vswap0 ' /proc/swaps

# No kernel warning in this boot's journal: nothing from vswap but the
# taint notice every out-of-tree module gets, no splat.
journalctl -k -b -p warning --no-pager -o cat | tee kwarn.txt
grep -q 'vswap: loading out-of-tree module taints kernel' kwarn.txt
grep -v 'vswap: loading out-of-tree module taints kernel' kwarn.txt >kwarn-rest.txt || true
none grep -E 'WARNING:|BUG:|Oops|Call Trace|vswap' kwarn-rest.txt
