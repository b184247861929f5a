#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: build the bench kernel (qemu/base.config + qemu/bench.config,
# cached in $VSWAP_CACHE/build-bench like the debug one) and vswap.ko for
# it, boot it once, run qemu/guest/bench.sh (every workload on stock swap and
# on vswap, alternating), and write the report:
#
#   Documentation/benchmarks.rst       the tables (medians, spreads, ratios)
#   Documentation/bench/results.json   every run and the summary
#   Documentation/bench/ratios.svg     the ratios, if matplotlib installs
#   Documentation/bench/scale.svg      swapoff against processes and data
#   Documentation/bench/growth.svg     free against region, kernel memory against pages
#
# The run's own copy stays in $VSWAP_CACHE/bench/<date>/. Settings:
# VSWAP_BENCH_REPS (5), VSWAP_BENCH_MIB (256), VSWAP_BENCH_LIMIT (64M), VSWAP_BENCH_LOAD_LIMIT (40M: the memcg of swapoff-load's and load-alone's load),
# VSWAP_BENCH_ONLY (workloads), VSWAP_MEMORY (guest RAM, 1G); for the
# global-pressure pass VSWAP_BENCH_GLOBAL (1; 0 skips it),
# VSWAP_BENCH_GLOBAL_MEMORY (512M), VSWAP_BENCH_GLOBAL_MIB (640) and
# VSWAP_BENCH_GLOBAL_ONLY (seq random mthp64), VSWAP_BENCH_GLOBAL_REPS (5); for
# the counted pass (instructions per page under QEMU -icount)
# VSWAP_BENCH_ICOUNT (1; 0 skips it), VSWAP_BENCH_ICOUNT_REPS (5) and
# VSWAP_BENCH_COST_MIB (32); for the scaling pass VSWAP_BENCH_SCALE (1; 0
# skips it), VSWAP_BENCH_SCALE_REPS (3), VSWAP_BENCH_SCALE_PROCS (1 16 128
# 512), VSWAP_BENCH_SCALE_MIB (64), VSWAP_BENCH_SCALE_MIBS (16 64 256 512),
# VSWAP_BENCH_GROWTH_MIBS (16 64 256), VSWAP_BENCH_SCALE_ONLY (scale growth);
# for the no-module pass VSWAP_BENCH_PRISTINE (1; 0 skips it);
# VSWAP_BENCH_MERGE=1 keeps the workloads not
# measured now from the report it replaces (see below). To
# continue a run whose guest failed: VSWAP_BENCH_PREVIOUS (its memcg
# bench.jsonl, complete repetitions only) and VSWAP_BENCH_FIRST_REP.
# VSWAP_BENCH_PERF=HZ profiles each free and each swapoff under load with
# perf in the guest (Debian's linux-perf): perf-*.txt beside the run's
# bench.jsonl. Profiled runs are slower: use them to look, not to report.
set -euo pipefail
export VSWAP_KERNEL=bench
. "$(dirname "$0")/lib.sh"

"$VSWAP_TOP/scripts/setup.sh"
"$VSWAP_TOP/scripts/build-kernel.sh"

module_for_kernel
mod=$MODULE_DIR
cargo build --quiet --release --locked --manifest-path "$VSWAP_TOP/tools/vswap-verify/Cargo.toml" --bins

# The application workload's key-value store, from Debian's archive (the
# guest runs the host's binaries); without it the redis workload fails.
need=()
for p in redis-server redis-tools; do
	dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
	step "installing ${need[*]} (the redis workload)"
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" \
		>"$VSWAP_CACHE/logs/bench-apt.log" 2>&1 ||
		{ tail -n 20 "$VSWAP_CACHE/logs/bench-apt.log"; die "apt-get install ${need[*]} failed"; }
fi

# matplotlib for the plot, in a venv of its own (PyPI); the report is
# written without the plot if it cannot be installed.
venv=$VSWAP_CACHE/venv-bench
if [ ! -x "$venv/bin/python3" ] || ! "$venv/bin/python3" -c 'import matplotlib' 2>/dev/null; then
	step "pip: matplotlib into $venv"
	{ python3 -m venv "$venv" && "$venv/bin/pip" install matplotlib; } >"$VSWAP_CACHE/logs/pip-bench.log" 2>&1 ||
		warn "matplotlib did not install (log: $VSWAP_CACHE/logs/pip-bench.log): no plot"
fi
py=python3
[ -x "$venv/bin/python3" ] && py=$venv/bin/python3

# One guest boot runs every workload of a pass: far longer than a test's
# hang limit (its weight) or a test run's timeout.
export VSWAP_TEST_LIMIT=${VSWAP_TEST_LIMIT:-10800} VSWAP_TIMEOUT=${VSWAP_TIMEOUT:-12600}

out=$VSWAP_CACHE/bench/$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
# The tree the module and the tools were built from, when the runs began
# (-dirty: with changes not committed).
tree=$(git -C "$VSWAP_TOP" describe --always --dirty 2>/dev/null || echo unknown)
# Pass 1: pressure from a memcg limit in a 1 GiB guest. Pass 2: global
# pressure, no memcg limit, in a small guest (VSWAP_BENCH_GLOBAL=0 skips it).
runs=$out/bench.jsonl
: >"$runs"
# VSWAP_BENCH_MEMCG=0 skips pass 1 (to re-measure another pass alone, with
# VSWAP_BENCH_MERGE=1).
if [ "${VSWAP_BENCH_MEMCG:-1}" = 1 ]; then
	step "pass 1: memcg pressure"
	VSWAP_OUT=$out/memcg VSWAP_MODULE=$mod/vswap.ko "$VSWAP_TOP/qemu/run.sh" --bench
	# VSWAP_BENCH_PREVIOUS: the memcg runs of an earlier boot of the same kernel
	# that this one continues (with VSWAP_BENCH_FIRST_REP after its last).
	[ -z "${VSWAP_BENCH_PREVIOUS:-}" ] || cat "$VSWAP_BENCH_PREVIOUS" >>"$runs"
	cat "$out/memcg/g0/bench.jsonl" >>"$runs"
fi
if [ "${VSWAP_BENCH_GLOBAL:-1}" = 1 ]; then
	step "pass 2: global pressure (${VSWAP_BENCH_GLOBAL_MEMORY:-512M} guest, no memcg limit)"
	VSWAP_OUT=$out/global VSWAP_MODULE=$mod/vswap.ko VSWAP_MEMORY=${VSWAP_BENCH_GLOBAL_MEMORY:-512M} \
		VSWAP_BENCH_REPS=${VSWAP_BENCH_GLOBAL_REPS:-5} VSWAP_BENCH_FIRST_REP=1 \
		VSWAP_BENCH_LIMIT=max VSWAP_BENCH_MIB=${VSWAP_BENCH_GLOBAL_MIB:-640} \
		VSWAP_BENCH_ONLY=${VSWAP_BENCH_GLOBAL_ONLY:-seq random mthp64} \
		"$VSWAP_TOP/qemu/run.sh" --bench
	cat "$out/global/g0/bench.jsonl" >>"$runs"
fi
# Pass 3: counted work. One vCPU under -icount shift=0 (single-threaded TCG):
# guest time is a count of instructions, the same from run to run
# (VSWAP_BENCH_ICOUNT=0 skips it).
if [ "${VSWAP_BENCH_ICOUNT:-1}" = 1 ]; then
	step "pass 3: instructions per page (QEMU -icount, 1 vCPU)"
	VSWAP_OUT=$out/icount VSWAP_MODULE=$mod/vswap.ko VSWAP_CPUS=1 VSWAP_KVM=0 \
		VSWAP_QEMU_OPTS="-icount shift=0,sleep=off" VSWAP_BENCH_CLOCK=icount \
		VSWAP_BENCH_REPS=${VSWAP_BENCH_ICOUNT_REPS:-5} VSWAP_BENCH_FIRST_REP=1 VSWAP_BENCH_LIMIT=max \
		VSWAP_BENCH_ONLY=cost "$VSWAP_TOP/qemu/run.sh" --bench
	cat "$out/icount/g0/bench.jsonl" >>"$runs"
fi
# Pass 4: scaling of swapoff with the processes holding the pages and with the
# data (qemu/guest/bench.sh run_scale), and growth of the free with the region
# and of kernel memory with the pages out (run_growth); VSWAP_BENCH_SCALE=0
# skips it, VSWAP_BENCH_SCALE_ONLY (scale growth) picks.
if [ "${VSWAP_BENCH_SCALE:-1}" = 1 ]; then
	step "pass 4: swapoff against processes and data; free and kernel memory against size"
	VSWAP_OUT=$out/scale VSWAP_MODULE=$mod/vswap.ko \
		VSWAP_BENCH_REPS=${VSWAP_BENCH_SCALE_REPS:-3} VSWAP_BENCH_FIRST_REP=1 VSWAP_BENCH_LIMIT=max \
		VSWAP_BENCH_ONLY=${VSWAP_BENCH_SCALE_ONLY:-scale growth} "$VSWAP_TOP/qemu/run.sh" --bench
	cat "$out/scale/g0/bench.jsonl" >>"$runs"
fi
# Pass 5: the patched kernel with no module loaded against pristine 7.2 (the
# bench configuration without the series, VSWAP_KERNEL=pristine, built and
# cached like the others: ~21 minutes the first time), stock swap on both,
# counted as in pass 3 (VSWAP_BENCH_PRISTINE=0 skips it).
if [ "${VSWAP_BENCH_PRISTINE:-1}" = 1 ]; then
	step "pass 5: the patched kernel without the module against pristine 7.2 (instructions per page)"
	VSWAP_KERNEL=pristine "$VSWAP_TOP/scripts/build-kernel.sh"
	for k in pristine patched; do
		VSWAP_KERNEL=$([ $k = pristine ] && echo pristine || echo bench) \
			VSWAP_OUT=$out/nomod-$k VSWAP_MODULE=$mod/vswap.ko VSWAP_CPUS=1 VSWAP_KVM=0 \
			VSWAP_QEMU_OPTS="-icount shift=0,sleep=off" VSWAP_BENCH_CLOCK=icount \
			VSWAP_BENCH_REPS=${VSWAP_BENCH_ICOUNT_REPS:-5} VSWAP_BENCH_FIRST_REP=1 VSWAP_BENCH_LIMIT=max \
			VSWAP_BENCH_ONLY=cost VSWAP_BENCH_MODES=stock VSWAP_BENCH_KERNEL_LABEL=$k \
			"$VSWAP_TOP/qemu/run.sh" --bench
		cat "$out/nomod-$k/g0/bench.jsonl" >>"$runs"
	done
fi
[ -s "$runs" ] || die "no benchmark results in $runs"

doc=$VSWAP_TOP/Documentation
# VSWAP_BENCH_MERGE=1: some workloads re-measured (VSWAP_BENCH_ONLY...); the
# report keeps the runs of every other workload from the report it replaces,
# each marked with the date it was measured, and says so.
kept=
if [ "${VSWAP_BENCH_MERGE:-0}" = 1 ] && [ -f "$doc/bench/results.json" ]; then
	kept=$(python3 - "$doc/bench/results.json" "$runs" <<'EOP'
import json, sys
old = json.load(open(sys.argv[1]))
new = [json.loads(line) for line in open(sys.argv[2]) if line.strip()]
have = {(r["workload"], r.get("kernel")) for r in new}
keep = [r for r in old["runs"] if (r["workload"], r.get("kernel")) not in have]
with open(sys.argv[2], "a") as f:
    for r in keep:
        r.setdefault("measured", old["meta"]["date"])
        f.write(json.dumps(r) + "\n")
print(old["meta"]["date"] + ": " + " ".join(sorted({r["workload"] for r in keep})))
EOP
) || die "VSWAP_BENCH_MERGE: cannot read $doc/bench/results.json"
fi
accel=$(cat "$VSWAP_CACHE/kvm-probe.$(cat /proc/sys/kernel/random/boot_id)" 2>/dev/null || true)
cat >"$out/meta.json" <<EOM
{"date": "$(date -u +%Y-%m-%dT%H:%MZ)", "kernel": "$(cat "$KBUILD/include/config/kernel.release")",
 "guest": "${VSWAP_MEMORY:-1G} RAM (global pass: ${VSWAP_BENCH_GLOBAL_MEMORY:-512M}), ${VSWAP_CPUS:-2} vCPUs (the icount pass: 1), virtme-ng",
 "accel": "${accel:-unknown}", "reps": $(( ${VSWAP_BENCH_FIRST_REP:-1} - 1 + ${VSWAP_BENCH_REPS:-5} )), "mib": ${VSWAP_BENCH_MIB:-256},
 "limit": "${VSWAP_BENCH_LIMIT:-64M}", "global_mib": ${VSWAP_BENCH_GLOBAL_MIB:-640},
 "kept": "$kept", "tree": "$tree",
 "boots": "$([ -n "${VSWAP_BENCH_PREVIOUS:-}" ] && echo "memcg pass in two boots of the same kernel, repetitions 1-$((${VSWAP_BENCH_FIRST_REP:-1} - 1)) and ${VSWAP_BENCH_FIRST_REP:-1}-$((${VSWAP_BENCH_FIRST_REP:-1} + ${VSWAP_BENCH_REPS:-5} - 1))" || echo "one boot per pass")"}
EOM
mkdir -p "$doc/bench"
"$py" "$VSWAP_TOP/scripts/bench-report.py" "$runs" "$out/meta.json" \
	"$doc/bench/results.json" "$doc/benchmarks.rst" "$doc/bench/ratios.svg"
cp "$doc/bench/results.json" "$doc/benchmarks.rst" "$out/"
step "report: Documentation/benchmarks.rst (run kept in $out)"
