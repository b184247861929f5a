#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make dkms: the module as a DKMS source tree (dkms.conf, Kbuild, rust/,
# c/), added to a DKMS tree in the cache and built there against the cached
# patched kernel, as `dkms build` would against an installed kernel's
# headers. Checks the result: a vswap.ko for that kernel release whose
# vermagic matches the tree's own build, copied to dkms-vswap.ko for the
# guest test that loads it (29-dkms-module). For another kernel of the cache
# (VSWAP_KERNEL=kasan: make test-kasan), VSWAP_DKMS_KO names the copy and
# VSWAP_DKMS_WANT the module whose vermagic it must match.
# make dkms-install (root) puts the source in /usr/src/vswap-<version> and
# runs dkms add, build and install for the given kernel (KERNELRELEASE, by
# default the running one), with --kernelsourcedir if KSRCDIR is set.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$VSWAP_TOP"

command -v dkms >/dev/null || die "dkms not found (package dkms; scripts/setup.sh installs it)"
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
[ -n "$ver" ] || die "no PACKAGE_VERSION in dkms.conf"

# stage DIR: the DKMS source tree of the module in DIR.
stage() {
	rm -rf "$1"
	mkdir -p "$1/rust" "$1/c"
	cp dkms.conf Kbuild contrib/dkms/vswap-dkms-check "$1/"
	cp rust/*.rs "$1/rust/"
	cp c/*.c c/*.h "$1/c/"
}

if [ "${1:-}" = install ]; then
	[ "$(id -u)" = 0 ] || die "make dkms-install needs root"
	krel=${KERNELRELEASE:-$(uname -r)}
	src=/usr/src/vswap-$ver
	stage "$src"
	dkms remove -m vswap -v "$ver" --all >/dev/null 2>&1 || true
	dkms add -m vswap -v "$ver"
	dkms build -m vswap -v "$ver" -k "$krel" ${KSRCDIR:+--kernelsourcedir "$KSRCDIR"}
	dkms install -m vswap -v "$ver" -k "$krel" ${KSRCDIR:+--kernelsourcedir "$KSRCDIR"}
	step "vswap $ver installed with DKMS for $krel: modprobe vswap (or vswapctl setup)"
	exit 0
fi

krel=$(cat "$KBUILD/include/config/kernel.release")
tree=$VSWAP_CACHE/dkms
srcs=$VSWAP_CACHE/dkms-src
rm -rf "$tree"
mkdir -p "$tree"
stage "$srcs/vswap-$ver"
log=$VSWAP_CACHE/logs/dkms.log
opts=(--dkmstree "$tree" --sourcetree "$srcs")
step "dkms add + build vswap $ver for $krel (kernel tree: $KBUILD; log: $log)"
{
	dkms "${opts[@]}" add -m vswap -v "$ver"
	dkms "${opts[@]}" build -m vswap -v "$ver" -k "$krel" --kernelsourcedir "$KBUILD"
} >"$log" 2>&1 || { tail -n 30 "$log"; cat "$tree/vswap/$ver/build/make.log" 2>/dev/null | tail -n 30; die "dkms build failed"; }
ko=$(find "$tree/vswap/$ver/$krel" -name 'vswap.ko*' | head -n1)
[ -n "$ko" ] || die "dkms build left no vswap.ko under $tree/vswap/$ver/$krel"
magic=$(modinfo -F vermagic "$ko")
want=$(modinfo -F vermagic "${VSWAP_DKMS_WANT:-$VSWAP_TOP/vswap.ko}" 2>/dev/null || true)
case "$magic" in
"$krel "*) ;;
*) die "$ko: vermagic '$magic' is not for $krel" ;;
esac
[ -z "$want" ] || [ "$magic" = "$want" ] || die "$ko: vermagic '$magic', the tree's vswap.ko has '$want'"
dkms "${opts[@]}" status -m vswap -v "$ver" | grep -q "$krel.*built" ||
	die "dkms status does not show vswap $ver built for $krel"
out=${VSWAP_DKMS_KO:-$VSWAP_TOP/dkms-vswap.ko}
cp "$ko" "$out"
step "dkms: $ko built (vermagic: $magic); copy for the guest tests: $out"
