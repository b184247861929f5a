#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest side of qemu/run.sh: run tests, one result line each, then
# "N passed, N failed, N skipped". A test fails on a non-zero exit or on any
# splat it leaves in dmesg; the run ends with a kmemleak scan.
#
#   main.sh tests|main|bench|soak OUTDIR [TEST...]
set -u
MODE=$1 OUT=$2
shift 2
TOP=$(cd "$(dirname "$0")/../.." && pwd)
# The whole kernel log of the run, from boot, on the host side too.
KMSG=$OUT/kmsg.log
. "$TOP/qemu/guest/lib.sh"

kmsg_start
setup_guest
fixture_record
# Under the benchmarks' global pressure the page allocator warns of failed
# allocations that may fail (zswap's, from kswapd), with a stack trace, on
# stock and vswap alike: there a splat is a BUG, an oops or a WARNING.
[ "$MODE" = bench ] &&
	SPLAT_RE='BUG:|WARNING:|Oops|general protection fault|Kernel panic|KASAN|UBSAN|soft lockup|hung_task|blocked for more than|Bad swap file entry|Bad swap offset entry|swap_info_get: '
echo "guest: $(uname -r), $(nproc) cpus, $(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo) MiB"

tests=()
if [ "$MODE" = main ]; then
	tests=("$TOP/qemu/guest/demo.sh")
elif [ "$MODE" = bench ]; then
	tests=("$TOP/qemu/guest/bench.sh")
elif [ "$MODE" = soak ]; then
	tests=("$TOP/qemu/guest/soak.sh")
elif [ $# -eq 0 ]; then
	tests=("$TOP"/qemu/guest/tests/*.sh)
else
	for t in "$@"; do
		m=("$TOP"/qemu/guest/tests/${t%.sh}*.sh)
		[ -f "${m[0]}" ] && [ ${#m[@]} = 1 ] || { echo "unknown or ambiguous test '$t'"; exit 2; }
		tests+=("${m[0]}")
	done
fi

# hang_report PID: the test shell PID hangs: show where its processes wait
# (their kernel stacks here, every blocked task's in the kernel log), then
# kill them all.
descendants() { local c; for c in $(pgrep -P "$1"); do echo "$c"; descendants "$c"; done; }
hang_report() {
	local p procs
	procs=$(descendants "$1")
	echo "  # hung: $(ps -o pid=,stat=,wchan:32=,args= -p "$(tr '\n' ',' <<<"$procs")0" 2>/dev/null | head -n 20 | tr -s ' ')"
	for p in $procs; do
		[ -r "/proc/$p/stack" ] || continue
		echo "  # kernel stack of $p ($(cat /proc/$p/comm 2>/dev/null)):"
		sed 's/^/  #   /' "/proc/$p/stack" 2>/dev/null | head -n 20
	done
	echo 1 >/proc/sys/kernel/sysrq
	echo w >/proc/sysrq-trigger
	kill -KILL $procs "$1" 2>/dev/null
}

pass=0 failed=0 skipped=0 n=0
result() { # STATUS NAME SECONDS [REASON]
	n=$((n + 1))
	case $1 in
	ok) pass=$((pass + 1)); echo "ok $n - $2 (${3}s)" ;;
	skip) skipped=$((skipped + 1)); echo "ok $n - $2 # SKIP ${4:-}" ;;
	*) failed=$((failed + 1)); echo "not ok $n - $2 (${3}s) ${4:-}" ;;
	esac
}

# Every line of the kernel log is scanned once, by the test in whose window
# it falls: a window runs from the end of the previous one (the first from
# boot) to a mark taken after the test's cleanup.
scanned=0
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	echo "# --- $name"
	start=$(date +%s)
	# Each test runs in its own shell; a test that provokes a splat on purpose
	# writes a mark to $VSWAP_ACK_FILE where its expected splat ends.
	# Its own process group (job control on for this one job), which
	# the fixture kills after it.
	rm -f "$OUT/ack"
	set -m
	(cd "$TOP" && VSWAP_ACK_FILE=$OUT/ack . "$t") &
	tpid=$!
	set +m
	# A test that hangs fails on its own, with the blocked tasks' stacks in
	# the kernel log, rather than running into the whole run's timeout:
	# five times its weight plus five minutes, times VSWAP_TEST_SLOWDOWN
	# on a slow kernel (KASAN); VSWAP_TEST_LIMIT overrides.
	w=$(sed -n 's/^# weight: *\([0-9]*\).*/\1/p' "$t" | head -n1)
	limit=${VSWAP_TEST_LIMIT:-$(( (${w:-30} * 5 + 300) * ${VSWAP_TEST_SLOWDOWN:-1} ))}
	hung=0
	while kill -0 "$tpid" 2>/dev/null; do
		if [ $(( $(date +%s) - start )) -ge "$limit" ]; then
			hung=1
			hang_report "$tpid"
			break
		fi
		sleep 1
	done
	wait "$tpid"
	rc=$?
	secs=$(( $(date +%s) - start ))
	# Clean up before the scan, so that what the cleanup prints counts
	# too. A test that leaves things on purpose names their kinds in a
	# "# leaves:" line; the fixture must have cleaned each (the positive
	# control of its check that the guest is back to its boot state).
	fixture_err=
	cleaned=$(fixture_reset "$tpid" 2>"$OUT/fixture.err") || fixture_err=$(cat "$OUT/fixture.err")
	[ -n "${cleaned// /}" ] && log "fixture cleaned: $cleaned"
	for k in $(sed -n 's/^# leaves: *//p' "$t"); do
		[[ " $cleaned " == *" $k "* ]] || fixture_err+="it declares that it leaves '$k', and the fixture cleaned none; "
	done
	end=$(dmesg_mark) || { result fail "$name" "$secs" "(kernel log reader stalled)"; continue; }
	from=$scanned
	[ -f "$OUT/ack" ] && from=$(cat "$OUT/ack")
	splats=$(splats_since "$from" "$end")
	dmesg_since "$scanned" "$end" >>"$OUT/dmesg.log"
	scanned=$end
	if [ $hung = 1 ]; then
		result fail "$name" "$secs" "(no result after ${limit}s: killed; blocked tasks in $OUT/dmesg.log)"
	elif [ -n "$splats" ]; then
		echo "$splats" | head -n 20 | sed 's/^/  dmesg: /'
		result fail "$name" "$secs" "(splat in dmesg, see $OUT/dmesg.log)"
	elif [ -n "$fixture_err" ]; then
		result fail "$name" "$secs" "(the fixture could not clean up after it: $fixture_err)"
	elif [ $rc = 77 ] && grep -q '^# may-skip:' "$t"; then
		result skip "$name" "$secs"
	elif [ $rc = 77 ]; then
		result fail "$name" "$secs" "(skipped, but it does not declare '# may-skip: why')"
	elif [ $rc != 0 ]; then
		result fail "$name" "$secs" "(exit $rc)"
	else
		result ok "$name" "$secs"
	fi
done

# kmemleak: anything unreferenced that the tests allocated. Objects younger than 5 s are
# not reported, so wait, then scan twice as the kmemleak documentation advises.
if [ -w $DBG/kmemleak ]; then
	echo "# --- kmemleak"
	start=$(date +%s)
	sleep 6
	# A scan that cannot run (kmemleak disabled itself, e.g. out of memory
	# for its metadata) proves nothing: that fails too.
	scan_ok=1
	echo scan >$DBG/kmemleak || scan_ok=0
	echo scan >$DBG/kmemleak || scan_ok=0
	leaks=$(cat $DBG/kmemleak)
	if [ $scan_ok = 0 ]; then
		result fail kmemleak $(( $(date +%s) - start )) "(kmemleak could not scan: disabled)"
	elif [ -n "$leaks" ]; then
		echo "$leaks" | head -n 40 | sed 's/^/  kmemleak: /'
		echo "$leaks" >"$OUT/kmemleak.log"
		result fail kmemleak $(( $(date +%s) - start )) "(see $OUT/kmemleak.log)"
	else
		result ok kmemleak $(( $(date +%s) - start ))
	fi
fi
# The rest of the log (the kmemleak scan, and anything late), and proof that
# the scans saw every record since boot.
echo "# --- kernel-log"
start=$(date +%s)
end=$(dmesg_mark)
splats=$(splats_since "$scanned" "$end")
dmesg_since "$scanned" "$end" >>"$OUT/dmesg.log"
if ! lost=$(kmsg_check); then
	result fail kernel-log $(( $(date +%s) - start )) "($lost)"
elif [ -n "$splats" ]; then
	echo "$splats" | head -n 20 | sed 's/^/  dmesg: /'
	result fail kernel-log $(( $(date +%s) - start )) "(splat in dmesg, see $OUT/dmesg.log)"
else
	result ok kernel-log $(( $(date +%s) - start ))
	log "kernel log: $(grep -c '^[0-9]*,[0-9]*,' "$KMSG") records since boot, all scanned"
fi
echo "$pass passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
