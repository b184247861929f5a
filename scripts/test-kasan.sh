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

module_for_kernel test
mod=$MODULE_DIR
# Test 29 loads the module as DKMS builds it: for this kernel.
VSWAP_DKMS_KO=$VSWAP_CACHE/kasan-dkms-vswap.ko VSWAP_DKMS_WANT=$mod/vswap.ko "$VSWAP_TOP/scripts/dkms.sh"
export VSWAP_DKMS_MODULE=$VSWAP_CACHE/kasan-dkms-vswap.ko

# no5lvl: 4-level paging. With 5-level paging, an interrupt that lands
# while identify_cpu() has cleared the boot CPU's capability bits (LA57
# among them) sees the 4-level layout, and KASAN reports the irq_desc it
# locks as a wild-memory-access (handle_edge_irq() from identify_cpu(), at
# boot, before any module; seen under TCG, where QEMU offers LA57). Not
# vswap's; it would fail the first test's scan.
export VSWAP_APPEND=${VSWAP_APPEND:-no5lvl}

# KASAN under TCG runs the tests about three times slower.
VSWAP_MODULE=$mod/vswap.ko VSWAP_TIMEOUT=${VSWAP_TIMEOUT:-9000} VSWAP_TEST_SLOWDOWN=${VSWAP_TEST_SLOWDOWN:-4} \
	"$VSWAP_TOP/qemu/run.sh" "$@"
