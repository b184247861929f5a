#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make test-kasan: the whole guest suite (or the tests named) on the kasan
# kernel: KASAN (generic, inline), UBSAN and fault injection on the base
# configuration (qemu/kasan.config), built and cached in $VSWAP_CACHE/build-kasan like the
# debug one, with vswap.ko built for it outside the tree. Any KASAN or UBSAN
# report fails the test that caused it, as any other splat does. Slower than
# make test (KASAN under TCG): not part of it, nor of .ci/run.
set -euo pipefail
export VSWAP_KERNEL=kasan
. "$(dirname "$0")/lib.sh"

"$VSWAP_TOP/scripts/setup.sh"
"$VSWAP_TOP/scripts/build-kernel.sh"

module_for_kernel
mod=$MODULE_DIR

# KASAN under TCG runs the tests about three times slower.
VSWAP_MODULE=$mod/vswap.ko VSWAP_TIMEOUT=${VSWAP_TIMEOUT:-9000} VSWAP_TEST_SLOWDOWN=${VSWAP_TEST_SLOWDOWN:-4} \
	"$VSWAP_TOP/qemu/run.sh" "$@"
