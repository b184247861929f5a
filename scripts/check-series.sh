#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Check that each patch of the series builds on its own: apply the series one
# patch at a time to a scratch copy of the pristine source (never the cached
# tree, whose objects must match the whole series) and build the objects that
# each patch touches. About 5 minutes on 2 cores.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ -f "$KBUILD/.config" ] || die "no kernel config: run 'make kernel' first"
D=$VSWAP_CACHE/check-series
rm -rf "$D"
mkdir -p "$D/build"
trap 'rm -rf "$D"' EXIT
cp -al "$KSRC_PRISTINE" "$D/src"
cp "$KBUILD/.config" "$D/build/.config"
K=(make -C "$D/src" O="$D/build" LLVM="$LLVM_SUFFIX" -j"$(nproc)")

# targets PATCH: the objects to build for the files PATCH touches.
targets() {
	sed -n 's|^+++ b/||p' "$1" | while read -r f; do
		case $f in
		*.c) echo "${f%.c}.o" ;;
		include/linux/*.h | mm/*.h) echo "mm/swapfile.o mm/swap_state.o mm/memory.o" ;;
		rust/bindings/*) echo rust/bindings.o ;;
		rust/kernel/*) echo rust/kernel.o ;;
		esac
	done | tr ' ' '\n' | sort -u | tr '\n' ' '
}

k=0
for p in $(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$VSWAP_TOP/patches/series"); do
	k=$((k + 1))
	patch -d "$D/src" -p1 -s -i "$VSWAP_TOP/patches/$p" || die "$p does not apply"
	# The configuration is the cached kernel's; olddefconfig drops what the
	# patches so far do not define, so it is read again once a patch adds
	# Kconfig options (CONFIG_VSWAP_BACKEND comes after the Rust block series).
	if [ $k = 1 ] || grep -q '^+++ b/.*Kconfig' "$VSWAP_TOP/patches/$p"; then
		step "preparing the scratch tree"
		cp "$KBUILD/.config" "$D/build/.config"
		run_logged "$VSWAP_CACHE/logs/check-series-prepare.log" "${K[@]}" olddefconfig prepare
	fi
	t=$(targets "$VSWAP_TOP/patches/$p")
	log=$VSWAP_CACHE/logs/check-series-$k.log
	"${K[@]}" $t >"$log" 2>&1 || { tail -n 20 "$log"; die "$p does not build on its own (log: $log)"; }
	grep -q 'warning:' "$log" && { grep 'warning:' "$log"; die "$p builds with warnings (log: $log)"; }
	step "$p builds on its own ($t)"
done

# Each patch states its final design once: a later patch only adds lines.
step "lines of a patch that a later one rewrites (scripts/series-rewrites.py)"
python3 "$VSWAP_TOP/scripts/series-rewrites.py" "$VSWAP_TOP/patches" --max 0 ||
	die "a patch rewrites lines of an earlier one: squash the change into it"
