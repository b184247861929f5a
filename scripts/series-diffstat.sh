#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# series-diffstat.sh SERIES [--check]: the net diffstat of one series of
# patches/series ("block": the block-* patches, the prerequisite Rust block
# series; "mm": the others), as its cover letter shows it: what the whole
# series changes, applied to the pristine source (the mm series on top of
# the block one), not the sum of its patches. With --check, compare it with
# the cover letter's (make check) and fail if they differ.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

series=${1:-}
case $series in
block) mine='^block-' cover=$VSWAP_TOP/patches/block-0000-cover-letter.patch ;;
mm) mine='^[0-9]' cover=$VSWAP_TOP/patches/0000-cover-letter.patch ;;
*) die "usage: series-diffstat.sh block|mm [--check]" ;;
esac
[ -d "$KSRC_PRISTINE" ] || die "no pristine source in $KSRC_PRISTINE: run 'make kernel' first"

# The patches in the order they apply, cover letters (0000) left out.
all=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$VSWAP_TOP/patches/series")
ours=$(grep -E "$mine" <<<"$all")
before=$(sed -n "/$(head -n1 <<<"$ours" | sed 's/[.[\*^$/]/\\&/g')/q;p" <<<"$all")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/a" "$tmp/b"
# Copies of every file the series touch, pristine.
for p in $all; do sed -n 's|^+++ b/||p' "$VSWAP_TOP/patches/$p"; done | sort -u | while read -r f; do
	[ -f "$KSRC_PRISTINE/$f" ] || continue
	mkdir -p "$tmp/a/$(dirname "$f")"
	cp "$KSRC_PRISTINE/$f" "$tmp/a/$f"
done
for p in $before; do
	patch -d "$tmp/a" -p1 -s --no-backup-if-mismatch -i "$VSWAP_TOP/patches/$p" || die "$p does not apply"
done
cp -a "$tmp/a/." "$tmp/b/"
for p in $ours; do
	patch -d "$tmp/b" -p1 -s --no-backup-if-mismatch -i "$VSWAP_TOP/patches/$p" || die "$p does not apply"
done
stat=$(cd "$tmp" && { diff -ruN a b || true; } | diffstat -p1)

if [ "${2:-}" != --check ]; then
	echo "$stat"
	exit 0
fi
# The cover letter's diffstat: the lines from the first " path | N" to the summary.
have=$(awk '/^ [^ ].* \| +[0-9]+/ { on = 1 } on { print } on && /files? changed/ { exit }' "$cover")
if [ "$have" != "$stat" ]; then
	diff <(echo "$have") <(echo "$stat") >&2 || true
	die "$(basename "$cover"): its diffstat is not the series' (< the cover letter, > the series); paste the output of 'scripts/series-diffstat.sh $series'"
fi
