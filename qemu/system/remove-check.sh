#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make test-system, step 5: removal, inside the Debian image booted with
# vswap on (run from the host's share, with vswap-verify and the module
# package and lib.sh beside it). Every command must succeed.
set -ex
. ./lib.sh
export DEBIAN_FRONTEND=noninteractive
krel=$(uname -r)
grep -q '^/dev/vswap0 ' /proc/swaps

# a. vswap-dkms removed while vswap holds a workload's pages (the running
# kernel's module is the one DKMS built): its prerm swaps vswap off first
# (the pages come back intact), unloads it and removes every DKMS build.
modinfo -F filename vswap | grep -q '/updates/dkms/'
while_pages_out remove-dkms "apt-get remove -y vswap-dkms"
vswap_gone
test ! -e "/lib/modules/$krel/updates/dkms/vswap.ko"
test ! -e /var/lib/dkms/vswap
none modinfo vswap
# Without the module the unit fails, and says why.
none systemctl start vswap.service
journalctl -b -u vswap.service -o cat --no-pager | tail -n 5
systemctl reset-failed vswap.service

# b. The prebuilt module package of this kernel instead, vswap on again;
# vswapctl purged while vswap holds a workload's pages: its prerm stops the
# unit (swapoff, rmmod), the pages come back intact, and nothing of
# vswapctl is left.
apt-get install -y ./vswap-modules-"$krel"_*.deb
systemctl start vswap.service
grep -q '^/dev/vswap0 ' /proc/swaps
while_pages_out purge-ctl "apt-get purge -y vswapctl"
vswap_gone
test ! -e /usr/sbin/vswapctl
test ! -e /etc/default/vswap
none systemctl cat vswap.service

# c. The module packages (of every kernel, and DKMS's) purged with nothing
# loaded.
apt-get purge -y 'vswap-modules-*'
none dpkg -s vswap-dkms

# Nothing of vswap is left on the system but the image's own test hook and
# the kernels' headers (the series' include/linux/vswap_backend.h).
find / -xdev -path '/usr/src/linux-headers-*' -prune -o -name '*vswap*' ! -name 'vswap-image-run*' -print \
	>left.txt || true
cat left.txt
test ! -s left.txt
none dpkg -l 'vswap*'
