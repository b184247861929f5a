#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make test-system, step 4: run inside the Debian image booted with vswap
# installed (the image's vswap-image-run service runs it from the host's
# share, with vswap-verify and lib.sh beside it). Every command must succeed.
set -ex
. ./lib.sh

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
verified system --mib 192 --pattern mixed --pageout --min-swapped-pct 50 --passes 2
vswapctl --json
# What vswapctl shows while a workload's pages are out.
while_pages_out shown "vswapctl"

# Stop the unit while a workload's pages are out: swapoff brings them back
# and the workload reads them intact; the module is unloaded. Then start it
# again.
while_pages_out stop "systemctl stop vswap.service"
vswap_gone
systemctl start vswap.service
grep -q '^/dev/vswap0 ' /proc/swaps

# No kernel warning in this boot's journal: nothing from vswap but the
# taint notice every out-of-tree module gets, no splat.
journalctl -k -b -p warning --no-pager -o cat | tee kwarn.txt
grep -q 'vswap: loading out-of-tree module taints kernel' kwarn.txt
grep -v 'vswap: loading out-of-tree module taints kernel' kwarn.txt >kwarn-rest.txt || true
none grep -E 'WARNING:|BUG:|Oops|Call Trace|vswap' kwarn-rest.txt
