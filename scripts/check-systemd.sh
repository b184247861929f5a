#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# contrib/systemd/vswap.service passes systemd-analyze verify (with vswapctl
# at its path in this tree instead of /usr/sbin), and the check can fail: the
# same unit with a vswapctl that does not exist, or a misspelt directive,
# must be refused.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$VSWAP_TOP"

command -v systemd-analyze >/dev/null || die "systemd-analyze not found (package systemd)"
ctl=$VSWAP_TOP/tools/vswapctl/target/release/vswapctl
[ -x "$ctl" ] || die "no $ctl (make tools)"
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
verify() { systemd-analyze verify "$1" >"$d/out" 2>&1 && ! grep -q . "$d/out"; }

sed "s#/usr/sbin/vswapctl#$ctl#" contrib/systemd/vswap.service >"$d/vswap.service"
verify "$d/vswap.service" || { cat "$d/out"; die "systemd-analyze verify vswap.service failed"; }
sed "s#/usr/sbin/vswapctl#$d/missing/vswapctl#" contrib/systemd/vswap.service >"$d/vswap.service"
verify "$d/vswap.service" && die "control: a unit whose vswapctl is missing passed verify"
sed -e "s#/usr/sbin/vswapctl#$ctl#" -e 's/^RemainAfterExit=/RemainAfterExti=/' \
	contrib/systemd/vswap.service >"$d/vswap.service"
verify "$d/vswap.service" && die "control: a unit with a misspelt directive passed verify"
step "systemd unit: vswap.service verified; a missing vswapctl and a misspelt directive are refused"
