#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the patched kernel with virtme-ng and run guest tests in it.
#
#   qemu/run.sh [--main | --bench | --soak] [TEST...]
#
# TEST names a file in qemu/guest/tests/ (with or without .sh, or a unique
# prefix); none means all but those marked "# suite: long" (make test-long
# runs them: long measurements, not needed to catch a regression of make
# test's). --main runs the demonstration job of `make run`,
# --bench the benchmarks of `make bench` (qemu/guest/bench.sh), --soak the
# soak of `make soak` (qemu/guest/soak.sh).
# The guest prints one result line per test and "N passed, N failed"; the run
# fails on a failed test, a missing result or summary, or any splat in the
# guest's kernel log (BUG, WARNING, Oops, lockdep, KASAN, kmemleak, bad swap
# entries...), which the guest reads from /dev/kmsg from boot to its last
# result, every record once (kmsg.log in the run's directory).
#
# VSWAP_GUESTS=N splits the tests over N guests that run side by side, each
# with its own disks; tests are placed by the "# weight:" line in each test
# file (seconds under TCG), heaviest first, on the lightest guest; within a
# guest they run in the order of their names. Default 1:
# on a 2-core host under TCG two guests were slower (960 s for the suite
# against 872 s in one guest); use more where there are more cores.
#
# Environment: VSWAP_MEMORY (guest RAM, default 1G), VSWAP_CPUS (2),
# VSWAP_GUESTS (1), VSWAP_TIMEOUT (seconds, default 3600), VSWAP_KVM (auto|0|1),
# VSWAP_APPEND (more kernel command line), VSWAP_QEMU_OPTS (more QEMU options,
# e.g. "-icount shift=0,sleep=off" for make bench's count of instructions), VSWAP_DKMS_MODULE (the DKMS-built
# module test 29 loads; dkms-vswap.ko by default),
# VSWAP_KIMAGE (boot this kernel image, e.g. the vmlinuz of a package built
# from $KBUILD, instead of $KBUILD's own; no loadable modules but vswap.ko).
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

MEMORY=${VSWAP_MEMORY:-1G}
CPUS=${VSWAP_CPUS:-2}
TIMEOUT=${VSWAP_TIMEOUT:-3600}
MODE=tests
# QEMU's complaint about raw images without an explicit format: not ours to fix.
QEMU_NOISE="Image format was not specified|Automatically detecting the format|Specify the 'raw' format"
case ${1:-} in
--main) MODE=main; shift ;;
--bench) MODE=bench; shift ;;
--soak) MODE=soak; shift ;;
esac
MODULE=${VSWAP_MODULE:-$VSWAP_TOP/vswap.ko}

if [ -n "${VSWAP_KIMAGE:-}" ]; then
	[ -f "$VSWAP_KIMAGE" ] || die "VSWAP_KIMAGE=$VSWAP_KIMAGE: no such file"
else
	[ -f "$KBUILD/arch/x86/boot/bzImage" ] || die "no kernel in $KBUILD: run 'make kernel' first"
fi
KRUN=${VSWAP_KIMAGE:-$KBUILD}
[ -f "$MODULE" ] || die "no $MODULE: run 'make module' first"
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

out=${VSWAP_OUT:-$VSWAP_CACHE/run/$(date +%Y%m%d-%H%M%S)-$$}
mkdir -p "$out"
accel=$(kvm_flag)

# Prepare the guest's module tree once, before guests can race to do it.
if [ ! -f "$KBUILD/.virtme_mods/lib/modules/0.0.0/modules.dep" ] ||
   [ "$KBUILD/modules.order" -nt "$KBUILD/.virtme_mods/lib/modules/0.0.0/modules.dep" ]; then
	(cd "$KBUILD" && virtme-prep-kdir-mods) >"$out/prep-mods.log" 2>&1 ||
		die "virtme-prep-kdir-mods failed (log: $out/prep-mods.log)"
fi

# The benchmark's settings, passed on to the guest.
bench_env() {
	local v
	for v in VSWAP_BENCH_REPS VSWAP_BENCH_FIRST_REP VSWAP_BENCH_MIB VSWAP_BENCH_LIMIT VSWAP_BENCH_ONLY VSWAP_BENCH_PERF \
		 VSWAP_BENCH_SWAPOFF_MIB VSWAP_BENCH_LOAD_LIMIT VSWAP_BENCH_META_MIB VSWAP_BENCH_COST_MIB VSWAP_BENCH_COST_WHERE VSWAP_BENCH_CLOCK \
		 VSWAP_BENCH_SCALE_PROCS VSWAP_BENCH_SCALE_MIB VSWAP_BENCH_SCALE_MIBS VSWAP_BENCH_GROWTH_MIBS \
		 VSWAP_BENCH_MODES VSWAP_BENCH_KERNEL_LABEL \
		 VSWAP_SOAK_MINUTES VSWAP_SOAK_PROCS VSWAP_SOAK_MIB; do
		[ -n "${!v:-}" ] && printf "%s='%s' " "$v" "${!v}"
	done
	return 0
}

# guest DIR MODE TEST...: boot one guest with two fresh 1 GiB scratch disks
# (/dev/vda, /dev/vdb in the guest: the root is 9p) and run main.sh in it.
guest() {
	local dir=$1 mode=$2
	shift 2
	mkdir -p "$dir"
	truncate -s 1G "$dir/swap.img"
	truncate -s 1G "$dir/swap2.img"
	# The guest's command goes in a file: vng passes --exec base64-encoded on
	# the kernel command line, which x86 truncates at 2048 bytes, and the
	# whole test list with a long clone path went over it (a guest that
	# runs nothing and exits 255).
	printf '%s\n' '#!/bin/bash' "# qemu/run.sh: this guest's command" \
		"VSWAP_SPLAT_SELFTEST=${VSWAP_SPLAT_SELFTEST:-} VSWAP_TEST_LIMIT=${VSWAP_TEST_LIMIT:-} VSWAP_TEST_SLOWDOWN=${VSWAP_TEST_SLOWDOWN:-} VSWAP_MODULE=$MODULE VSWAP_DKMS_MODULE=${VSWAP_DKMS_MODULE:-} $(bench_env) exec bash $VSWAP_TOP/qemu/guest/main.sh $mode $dir $*" \
		>"$dir/guest.sh"
	# vng names a --disk after its path: run from $dir so that the names are short.
	# QEMU reopens its stdout, so a plain redirection to a file gets clobbered:
	# go through a pipe.
	local rc=0
	(cd "$dir" && timeout -k 10 "$TIMEOUT" vng --run "$KRUN" $accel --user root \
		--memory "$MEMORY" --cpus "$CPUS" --disk swap.img --disk swap2.img --rwdir "$dir" \
		${VSWAP_APPEND:+--append "$VSWAP_APPEND"} ${VSWAP_QEMU_OPTS:+--qemu-opts="$VSWAP_QEMU_OPTS"} \
		--exec "bash $dir/guest.sh" \
		</dev/null 2>&1 | cat >"$dir/console.log"; exit "${PIPESTATUS[0]}") || rc=$?
	rm -f "$dir/swap.img" "$dir/swap2.img"
	echo "$rc" >"$dir/rc"
}

# diagnose_boot DIR: a guest ended without its summary. Its console (the
# tests' output only) is in DIR/console.log; boot the same kernel once more
# with the kernel's own console on (vng --verbose) and show how far it got,
# so that a CI log says why a guest died on a machine we cannot log into.
diagnose_boot() {
	local dir=$1
	# make test's splat checks make a guest vanish on purpose.
	[ -z "${VSWAP_SPLAT_SELFTEST:-}" ] || return 0
	echo "=== guest console (last 30 lines of $dir/console.log)"
	tail -n 30 "$dir/console.log" | grep -vE "$QEMU_NOISE" || true
	echo "=== a diagnostic boot: vng --verbose --exec 'echo vswap-boot-ok' (log: $dir/diagnose.log)"
	(cd "$dir" && timeout -k 10 300 vng --verbose --run "$KRUN" $accel --user root \
		--memory "$MEMORY" --cpus "$CPUS" --rwdir "$dir" --exec 'echo vswap-boot-ok' \
		</dev/null 2>&1 | cat >"$dir/diagnose.log"; exit "${PIPESTATUS[0]}") &&
		echo "(it booted: exit 0)" || echo "(exit $?)"
	tail -n 40 "$dir/diagnose.log"
	echo "=== host: $(vng --version 2>&1 | head -n1); $(qemu-system-x86_64 --version 2>&1 | head -n1); $(free -m | awk '/Mem:/ { print $7 }') MiB available"
}

# The tests to run, and how many guests.
declare -a load names
if [ "$MODE" != tests ]; then
	shards=1
	names[0]=""
else
	files=()
	if [ $# -eq 0 ]; then
		# All tests but the long ones ("# suite: long", make test-long).
		for f in "$VSWAP_TOP"/qemu/guest/tests/*.sh; do
			grep -q '^# suite: long' "$f" || files+=("$f")
		done
		shards=${VSWAP_GUESTS:-1}
	else
		for t in "$@"; do
			m=("$VSWAP_TOP"/qemu/guest/tests/${t%.sh}*.sh)
			[ -f "${m[0]}" ] && [ ${#m[@]} = 1 ] || die "unknown or ambiguous test '$t'"
			files+=("${m[0]}")
		done
		shards=${VSWAP_GUESTS:-1}
	fi
	[ "$shards" -le ${#files[@]} ] || shards=${#files[@]}
	for ((i = 0; i < shards; i++)); do load[$i]=0; names[$i]=""; done
	while read -r w t; do
		best=0
		for ((i = 1; i < shards; i++)); do
			[ "${load[$i]}" -lt "${load[$best]}" ] && best=$i
		done
		load[$best]=$((load[best] + w))
		names[$best]="${names[$best]} $t"
	done < <(for f in "${files[@]}"; do
			w=$(sed -n 's/^# weight: *\([0-9]*\).*/\1/p' "$f" | head -n1)
			echo "${w:-30} $(basename "$f" .sh)"
		 done | sort -rn)
	# Within a guest, tests run in the order of their names, whatever their
	# weights: a test may need to come first (03-large-folios needs zswap
	# never to have been enabled since boot).
	for ((i = 0; i < shards; i++)); do
		names[$i]=$(tr ' ' '\n' <<<"${names[$i]}" | sed '/^$/d' | sort | tr '\n' ' ')
	done
fi

step "booting $shards guest(s) (${accel:-kvm}, $MEMORY, $CPUS cpus each; logs: $out)"
start=$(date +%s)
pids=()
for ((i = 0; i < shards; i++)); do
	[ $shards -gt 1 ] && step "guest $i:${names[$i]}"
	# shellcheck disable=SC2086
	guest "$out/g$i" "$MODE" ${names[$i]} &
	pids+=($!)
done
if [ $shards = 1 ]; then
	# One guest: show its console as it goes.
	while [ ! -f "$out/g0/console.log" ]; do sleep 1; done
	tail -n +1 -f --pid="${pids[0]}" "$out/g0/console.log" | grep -vE "$QEMU_NOISE" || true
else
	while kill -0 "${pids[@]}" 2>/dev/null; do
		sleep 60
		done_n=$(cat "$out"/g*/console.log 2>/dev/null | grep -cE '^(ok|not ok) ' || true)
		step "guests: $done_n results so far, $(( $(date +%s) - start ))s"
	done
fi
wait "${pids[@]}" || true

passed=0 failed=0 skipped=0 bad=""
for ((i = 0; i < shards; i++)); do
	d=$out/g$i
	if [ $shards -gt 1 ]; then
		echo "=== guest $i:${names[$i]}"
		grep -vE "$QEMU_NOISE" "$d/console.log" || true
	fi
	rc=$(cat "$d/rc" 2>/dev/null || echo 1)
	[ "$rc" = 124 ] && bad="$bad guest $i timed out after ${TIMEOUT}s;"
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$d/console.log" | tail -n1 || true)
	if [ -z "$summary" ]; then
		bad="$bad guest $i printed no summary (exit $rc);"
		diagnose_boot "$d"
		continue
	fi
	read -r p _ f _ s _ <<<"$summary"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	# Every test must have reported, and the kmemleak and kernel-log checks too.
	# A kernel without kmemleak (the bench kernel, a packaged one) has no
	# kmemleak result.
	kml=0
	grep -q '^CONFIG_DEBUG_KMEMLEAK=y' "$KBUILD/.config" && kml=1
	want=$(( $(wc -w <<<"${names[$i]}") + 1 + kml ))
	[ "$MODE" != tests ] && want=$(( 2 + kml ))
	got=$(grep -cE '^(ok|not ok) [0-9]+ - ' "$d/console.log" || true)
	[ "$got" = "$want" ] || bad="$bad guest $i reported $got results, $want expected;"
	[ "$rc" = 0 ] || [ "$f" != 0 ] || bad="$bad guest $i exited $rc;"
done
summary="$passed passed, $failed failed, $skipped skipped"
echo "$summary"
if [ -n "$bad" ] || [ "$failed" != 0 ]; then
	die "guest tests failed: $summary;$bad logs: $out/g*/ ($(( $(date +%s) - start ))s)"
fi
step "guest: $summary ($(( $(date +%s) - start ))s)"
