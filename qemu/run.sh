#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the patched kernel with virtme-ng and run guest tests in it.
#
#   qemu/run.sh [--main] [TEST...]
#
# TEST names a file in qemu/guest/tests/ (with or without .sh, or a unique
# prefix); none means all. --main runs the demonstration job of `make run`.
# The guest prints one result line per test and "N passed, N failed"; the run
# fails on a failed test, a missing summary, or any splat in the guest's
# dmesg (BUG, WARNING, Oops, lockdep, KASAN, kmemleak...).
#
# Environment: VSWAP_MEMORY (guest RAM, default 1G), VSWAP_CPUS (2),
# VSWAP_TIMEOUT (seconds, default 2400), VSWAP_KVM (auto|0|1).
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

MEMORY=${VSWAP_MEMORY:-1G}
CPUS=${VSWAP_CPUS:-2}
TIMEOUT=${VSWAP_TIMEOUT:-2400}
MODE=tests
if [ "${1:-}" = --main ]; then MODE=main; shift; fi

[ -f "$KBUILD/arch/x86/boot/bzImage" ] || die "no kernel in $KBUILD: run 'make kernel' first"
[ -f "$VSWAP_TOP/vswap.ko" ] || die "no vswap.ko: run 'make module' first"
command -v vng >/dev/null || die "virtme-ng (vng) not found: run scripts/setup.sh"

# KVM where a guest really boots with it; TCG otherwise. The probe result is
# kept per host boot.
kvm_flag() {
	local probe=$VSWAP_CACHE/kvm-probe.$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo unknown)
	case "${VSWAP_KVM:-auto}" in
	0) echo --disable-kvm; return ;;
	1) return ;;
	esac
	if [ ! -f "$probe" ]; then
		if [ -w /dev/kvm ] &&
		   grep -q vswap-kvm-ok <<<"$(timeout 60 vng --run "$KBUILD" --user root \
			--memory 256M --exec 'echo vswap-kvm-ok' </dev/null 2>/dev/null)"; then
			echo kvm >"$probe"
		else
			echo tcg >"$probe"
		fi
		step "virtualisation: $(cat "$probe") (probed once per boot)" >&2
	fi
	[ "$(cat "$probe")" = kvm ] || echo --disable-kvm
}

out=$VSWAP_CACHE/run/$(date +%Y%m%d-%H%M%S)-$$
mkdir -p "$out"
# A 1 GiB swap disk for the stock-swap tests and as vswap's physical backend.
truncate -s 1G "$out/swap.img"
truncate -s 1G "$out/swap2.img"

accel=$(kvm_flag)
step "booting the guest (${accel:-kvm}, $MEMORY, $CPUS cpus; logs: $out)"
set +e
# vng names a --disk after its path: run from $out so that the names are short.
# The guest sees them as /dev/vda and /dev/vdb (the root is 9p).
cd "$out"
timeout --foreground -k 10 "$TIMEOUT" vng --run "$KBUILD" $accel --user root \
	--memory "$MEMORY" --cpus "$CPUS" --disk swap.img --disk swap2.img \
	--rwdir "$out" \
	--exec "VSWAP_SPLAT_SELFTEST=${VSWAP_SPLAT_SELFTEST:-} bash $VSWAP_TOP/qemu/guest/main.sh $MODE $out $*" </dev/null 2>&1 | tee "$out/console.log"
rc=${PIPESTATUS[0]}
set -e
rm -f "$out/swap.img" "$out/swap2.img"

[ "$rc" = 124 ] && die "the guest timed out after ${TIMEOUT}s (logs: $out)"
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out/console.log" | tail -n1 || true)
[ -n "$summary" ] || die "the guest printed no summary (exit $rc; logs: $out)"
if [ "$rc" != 0 ] || ! grep -q ' 0 failed' <<<"$summary"; then
	die "guest tests failed: $summary (exit $rc; dmesg: $out/dmesg.log)"
fi
step "guest: $summary"
