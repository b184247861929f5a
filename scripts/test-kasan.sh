#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make test-kasan: the whole guest suite (or the tests named) on the kasan
# kernel: qemu/debug.config plus KASAN (generic), UBSAN and fault injection
# (qemu/kasan.config), built and cached in $VSWAP_CACHE/build-kasan like the
# debug one, with vswap.ko built for it outside the tree. Any KASAN or UBSAN
# report fails the test that caused it, as any other splat does. Slower than
# make test (KASAN under TCG): not part of it, nor of .ci/run.
set -euo pipefail
export VSWAP_KERNEL=kasan
. "$(dirname "$0")/lib.sh"

"$VSWAP_TOP/scripts/setup.sh"
"$VSWAP_TOP/scripts/build-kernel.sh"

mod=$VSWAP_CACHE/kasan-module
rm -rf "$mod"
mkdir -p "$mod/rust" "$mod/c"
cp "$VSWAP_TOP/Kbuild" "$mod/"
cp "$VSWAP_TOP"/rust/*.rs "$mod/rust/"
cp "$VSWAP_TOP"/c/*.[ch] "$mod/c/"
step "building vswap.ko for the kasan kernel"
run_logged "$VSWAP_CACHE/logs/kasan-module.log" make -C "$KBUILD" M="$mod" LLVM="$LLVM_SUFFIX" modules

# KASAN under TCG runs the tests about three times slower.
VSWAP_MODULE=$mod/vswap.ko VSWAP_TIMEOUT=${VSWAP_TIMEOUT:-9000} VSWAP_TEST_SLOWDOWN=${VSWAP_TEST_SLOWDOWN:-4} \
	"$VSWAP_TOP/qemu/run.sh" "$@"
