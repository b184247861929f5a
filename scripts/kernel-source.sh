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

# What a patch changes, without its mail headers: a reworded commit message
# must not rebuild anything.
body() { sed -n '/^diff --git /,$p' "$1"; }

# Keep the longest common prefix of the two series applied; pop the rest of
# the old series (newest first) and push the rest of the new one, quilt-like.
mapfile -t olds < <(series_list "$old")
mapfile -t news < <(series_list "$new")
keep=0
while [ $keep -lt ${#olds[@]} ] && [ $keep -lt ${#news[@]} ] &&
      [ "$(body "$old/${olds[$keep]}")" = "$(body "$new/${news[$keep]}")" ]; do
	keep=$((keep + 1))
done
if [ $keep = ${#olds[@]} ] && [ $keep = ${#news[@]} ]; then
	# Same changes; refresh the recorded copies (headers may differ).
	for p in "${news[@]}"; do cmp -s "$new/$p" "$old/$p" || cp "$new/$p" "$old/$p"; done
	printf '%s\n' "${news[@]}" >"$old/series"
	exit 0
fi

# Files the popped patches touch, saved with their mtimes: a file that ends up
# with the same content after the new patches are pushed gets its old mtime
# back, so a patch popped and pushed again unchanged rebuilds nothing.
saved=$VSWAP_CACHE/src/saved-mtimes
rm -rf "$saved"
mkdir -p "$saved"
for ((i = keep; i < ${#olds[@]}; i++)); do
	sed -n 's|^+++ b/||p' "$old/${olds[$i]}"
done | sort -u | while read -r f; do
	[ -f "$KSRC/$f" ] || continue
	mkdir -p "$saved/$(dirname "$f")"
	cp -p "$KSRC/$f" "$saved/$f"
done

for ((i = ${#olds[@]} - 1; i >= keep; i--)); do
	p=${olds[$i]}
	step "unapplying $p"
	patch -d "$KSRC" -p1 -R -s --no-backup-if-mismatch -i "$old/$p" >"$VSWAP_CACHE/logs/patch.log" 2>&1 ||
		{ cat "$VSWAP_CACHE/logs/patch.log" >&2
		  die "cannot reverse-apply $p; remove $KSRC to start again from the pristine source"; }
	rm -f "$old/$p"
done
: >"$old/series.new"
for ((i = 0; i < keep; i++)); do
	p=${olds[$i]}
	cp "$new/${news[$i]}" "$old/${news[$i]}"
	[ "$p" = "${news[$i]}" ] || rm -f "$old/$p"
	echo "${news[$i]}" >>"$old/series.new"
done
mv "$old/series.new" "$old/series"

for ((i = keep; i < ${#news[@]}; i++)); do
	p=${news[$i]}
	step "applying $p"
	if ! patch -d "$KSRC" -p1 -s -N --dry-run -i "$new/$p" >"$VSWAP_CACHE/logs/patch.log" 2>&1 ||
	   ! patch -d "$KSRC" -p1 -s -N --no-backup-if-mismatch -i "$new/$p" >>"$VSWAP_CACHE/logs/patch.log" 2>&1; then
		cat "$VSWAP_CACHE/logs/patch.log" >&2
		die "patches/$p does not apply to linux-source $ver (see above); the tree holds the patches before it"
	fi
	cp "$new/$p" "$old/$p"
	echo "$p" >>"$old/series"
done

(cd "$saved" && find . -type f) | while read -r f; do
	if cmp -s "$saved/$f" "$KSRC/$f"; then
		touch -r "$saved/$f" "$KSRC/$f"
	fi
done
rm -rf "$saved"
