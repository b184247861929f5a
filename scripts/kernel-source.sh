#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepare the patched kernel source tree in the cache:
#   $VSWAP_CACHE/src/linux-pristine  the extracted Debian source (read only)
#   $VSWAP_CACHE/src/linux           a hard-link copy with patches/series applied
#
# The applied series is recorded in $KSRC/.vswap-series/. When patches/ changes,
# the recorded series is reverse-applied and the new one applied, in place, so
# that every touched file gets a new mtime and Kbuild rebuilds only those.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

deb=$(cat "$VSWAP_CACHE/kernel-deb" 2>/dev/null) || die "run scripts/setup.sh first"
ver=$(dpkg-deb -f "$deb" Version)

if [ ! -f "$KSRC_PRISTINE/.vswap-extracted" ] || [ "$(cat "$KSRC_PRISTINE/.vswap-extracted")" != "$ver" ]; then
	step "extracting linux-source-7.2 $ver"
	rm -rf "$KSRC_PRISTINE" "$KSRC" "$VSWAP_CACHE/src/deb"
	mkdir -p "$VSWAP_CACHE/src/deb" "$KSRC_PRISTINE"
	dpkg-deb -x "$deb" "$VSWAP_CACHE/src/deb"
	tarball=$(ls "$VSWAP_CACHE"/src/deb/usr/src/linux-source-7.2*.tar.* | head -n1)
	tar -xf "$tarball" -C "$KSRC_PRISTINE" --strip-components=1
	rm -rf "$VSWAP_CACHE/src/deb"
	echo "$ver" >"$KSRC_PRISTINE/.vswap-extracted"
fi

if [ ! -d "$KSRC" ]; then
	step "hard-link copy of the pristine tree"
	cp -al "$KSRC_PRISTINE" "$KSRC"
	rm -f "$KSRC/.vswap-extracted"
	mkdir -p "$KSRC/.vswap-series"
	: >"$KSRC/.vswap-series/series"
fi

series_list() { # DIR: the patch names of DIR/series, comments and blanks skipped
	[ -f "$1/series" ] || return 0
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$1/series"
}

new=$VSWAP_TOP/patches
old=$KSRC/.vswap-series

same=1
if [ "$(series_list "$old")" != "$(series_list "$new")" ]; then
	same=0
else
	for p in $(series_list "$new"); do
		cmp -s "$new/$p" "$old/$p" || { same=0; break; }
	done
fi
[ "$same" = 1 ] && exit 0

# Reverse-apply what is applied now, newest first.
for p in $(series_list "$old" | tac); do
	step "unapplying $p"
	patch -d "$KSRC" -p1 -R -s --no-backup-if-mismatch -i "$old/$p" >"$VSWAP_CACHE/logs/patch.log" 2>&1 ||
		{ cat "$VSWAP_CACHE/logs/patch.log" >&2
		  die "cannot reverse-apply $p; remove $KSRC to start again from the pristine source"; }
done
rm -rf "$old"
mkdir -p "$old"
: >"$old/series"

for p in $(series_list "$new"); do
	step "applying $p"
	if ! patch -d "$KSRC" -p1 -s -N --dry-run -i "$new/$p" >"$VSWAP_CACHE/logs/patch.log" 2>&1 ||
	   ! patch -d "$KSRC" -p1 -s -N --no-backup-if-mismatch -i "$new/$p" >>"$VSWAP_CACHE/logs/patch.log" 2>&1; then
		cat "$VSWAP_CACHE/logs/patch.log" >&2
		die "patches/$p does not apply to linux-source $ver (see above); the tree holds the patches before it"
	fi
	cp "$new/$p" "$old/$p"
	echo "$p" >>"$old/series"
done
