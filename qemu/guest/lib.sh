# SPDX-License-Identifier: GPL-2.0
# Helpers for guest tests (sourced inside the QEMU guest).

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
VERIFY=$TOP/tools/vswap-verify/target/release/vswap-verify
VSWAPCTL=$TOP/tools/vswapctl/target/release/vswapctl
MODULE=${VSWAP_MODULE:-$TOP/vswap.ko}
CG=/sys/fs/cgroup
DBG=/sys/kernel/debug
# The two 1 GiB scratch disks of qemu/run.sh, in order (the root is 9p).
SWAPDEV=/dev/vda
SWAPDEV2=/dev/vdb

# What counts as a splat in dmesg: any of these fails the test that caused it.
# The swap core's own complaints about bad entries come without a stack trace.
# Lockdep reports are WARNINGs; its and kmemleak's start-up lines are not splats.
SPLAT_RE='BUG:|WARNING:|Oops|Call Trace|general protection fault|possible (recursive|circular)|inconsistent lock|suspicious RCU|KASAN:|kmemleak: .*(suspected memory leak|disabled|Cannot)|UBSAN:|soft lockup|hung_task|blocked for more than|Kernel panic|Bad swap file entry|Bad swap offset entry|swap_info_get: '

log() { echo "  # $*"; }

# put VALUE FILE: write VALUE to a sysfs, debugfs, procfs or cgroup file. A
# refused write fails the test (a plain echo fails silently under set -u).
put() {
	local err
	err=$({ printf '%s\n' "$1" >"$2"; } 2>&1) || fail "write '$1' to $2: ${err##*: }"
}

# reclaim CG SIZE: write SIZE to CG's memory.reclaim. EAGAIN (less than SIZE
# could be reclaimed) is an answer, not an error; any other error fails.
reclaim() {
	local err
	err=$({ printf '%s\n' "$2" >"$1/memory.reclaim"; } 2>&1) && return 0
	case $err in
	*"Resource temporarily unavailable"*) return 0 ;;
	esac
	fail "memory.reclaim $2 of $1: $err"
}
fail() { echo "  FAIL: $*"; exit 1; }
skip() { echo "  SKIP: $*"; exit 77; }

# check COND-DESCRIPTION CMD...: run CMD, fail the test with the description if it fails.
check() {
	local what=$1; shift
	"$@" || fail "$what"
}

expect_eq() { [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"; }
expect_ge() { [ "$2" -ge "$3" ] || fail "$1: got $2, want >= $3"; }
expect_lt() { [ "$2" -lt "$3" ] || fail "$1: got $2, want < $3"; }

setup_guest() {
	mountpoint -q $DBG || mount -t debugfs none $DBG
	mountpoint -q $CG || mount -t cgroup2 none $CG
	put +memory "$CG/cgroup.subtree_control"
	# Start from a quiet kmemleak: what boot left behind is not ours.
	if [ -w $DBG/kmemleak ]; then
		echo scan >$DBG/kmemleak
		echo clear >$DBG/kmemleak
	fi
	swapoff -a 2>/dev/null || true
	# Any write to "enabled" sets zswap up, after which zswap_never_enabled()
	# is false for good (no large folio swap-in): leave it alone if it is off.
	[ "$(cat /sys/module/zswap/parameters/enabled)" = N ] ||
		put 0 "/sys/module/zswap/parameters/enabled"
}

# The kernel log. main.sh starts a reader of /dev/kmsg at boot (kmsg_start)
# that copies every record, with its sequence number, to $KMSG: no ring
# buffer wraps under the tests' feet, and a record the reader lost shows as
# a gap in the sequence numbers (kmsg_check).
KMSG=${KMSG:-/run/vswap-kmsg.log}

kmsg_start() {
	: >"$KMSG"
	cat /dev/kmsg >>"$KMSG" &
	KMSG_PID=$!
}

# dmesg_mark: a mark in the kernel log, for dmesg_since. Writes a unique
# line to /dev/kmsg and prints its line number in $KMSG once the reader has
# copied it there (so that everything logged before the mark is in $KMSG).
dmesg_mark() {
	local tag="vswap-mark-$BASHPID-$SRANDOM" i n
	echo "$tag" >/dev/kmsg
	for ((i = 0; i < 300; i++)); do
		n=$(grep -n -m1 -F ";$tag" "$KMSG" | cut -d: -f1)
		[ -n "$n" ] && { echo "$n"; return 0; }
		sleep 0.1
	done
	echo "  FAIL: the kernel log reader did not copy a mark within 30 s" >&2
	echo 0
	return 1
}

# dmesg_since MARK [END]: the kernel log's messages after line MARK of $KMSG
# (up to line END), without the record headers.
dmesg_since() {
	sed -n "$(( $1 + 1 )),${2:-\$}p" "$KMSG" | sed -n 's/^[0-9]*,[0-9]*,[0-9]*,[^;]*;//p'
}
splats_since() { dmesg_since "$@" | grep -E "$SPLAT_RE" || true; }

# kmsg_check: the reader is alive and $KMSG holds every record since boot:
# sequence numbers start at 0 and have no gap.
kmsg_check() {
	kill -0 "$KMSG_PID" 2>/dev/null || { echo "the kernel log reader died (records lost)"; return 1; }
	awk -F, '/^[0-9]+,[0-9]+,/ {
			if (NR == 1 && $2 != 0) { printf "the log starts at record %d: boot records lost\n", $2; bad = 1 }
			if (seen && $2 != last + 1) { printf "records %d to %d missing\n", last + 1, $2 - 1; bad = 1 }
			last = $2; seen = 1
		}
		END { if (!seen) { print "no record read"; bad = 1 }; exit bad }' "$KMSG"
}

vmstat() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }

zswap_on() {
	put "${1:-lz4}" "/sys/module/zswap/parameters/compressor"
	put 1 "/sys/module/zswap/parameters/enabled"
}
zswap_off() { put 0 /sys/module/zswap/parameters/enabled; }

# stock_swap_on [DEV]: a fresh swap area on DEV (the first --disk by default).
stock_swap_on() {
	local dev=${1:-$SWAPDEV}
	[ -b "$dev" ] || fail "no swap disk $dev"
	mkswap -q "$dev" >/dev/null || fail "mkswap $dev"
	swapon "$dev" || fail "swapon $dev"
}

swap_all_off() { swapoff -a; }

# memcg_new NAME MAX [SWAPMAX]: a fresh memory cgroup; prints its path.
memcg_new() {
	local cg=$CG/$1
	[ -d "$cg" ] && rmdir "$cg"
	mkdir "$cg"
	put "$2" "$cg/memory.max"
	[ -z "${3:-}" ] || put "$3" "$cg/memory.swap.max"
	echo "$cg"
}

# in_memcg CG CMD...: run CMD inside cgroup CG.
in_memcg() {
	local cg=$1; shift
	bash -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' _ "$cg" "$@"
}

# verify_in_memcg CG ARGS...: run the verifier in CG; its result line is kept in $VERIFY_OUT.
verify_in_memcg() {
	local cg=$1; shift
	VERIFY_OUT=$(in_memcg "$cg" "$VERIFY" "$@")
	VERIFY_RC=$?
	echo "  $VERIFY_OUT"
	return $VERIFY_RC
}

# field NAME: a key=value field of the last verifier result line.
field() { tr ' ' '\n' <<<"$VERIFY_OUT" | sed -n "s/^$1=//p"; }

show_swap_state() {
	log "/proc/swaps:"; sed 's/^/  #   /' /proc/swaps
	log "free -m:"; free -m | sed 's/^/  #   /'
	log "vmstat: pswpin=$(vmstat pswpin) pswpout=$(vmstat pswpout) zswpin=$(vmstat zswpin) zswpout=$(vmstat zswpout) zswpwb=$(vmstat zswpwb)"
	if [ -r $DBG/zswap/stored_pages ]; then
		log "zswap: stored_pages=$(cat $DBG/zswap/stored_pages) pool_total_size=$(cat $DBG/zswap/pool_total_size) reject_compress_poor=$(cat $DBG/zswap/reject_compress_poor 2>/dev/null)"
	fi
}

VSWAP_DEV=/dev/vswap0
VSWAP_STATS=$DBG/vswap/vswap0/stats

# vswap_stat NAME [FILE]: counter NAME of the module (its debugfs name). What
# the stable sysfs files show (/sys/block/vswap0/vswap/) is read there, at the
# position the ABI document gives it (the host tests check that document
# against the module's counter table); the rest from debugfs, or from FILE, a
# copy of the debugfs file.
VSWAP_SYSFS=/sys/block/vswap0/vswap
VSWAP_ABI=$TOP/Documentation/ABI/testing/sysfs-block-vswap
# vswap_sysfs_place NAME: "FILE POSITION" of NAME in the sysfs files, or nothing.
# phys_stat names its fields without the "phys_" of their debugfs names.
vswap_sysfs_place() {
	awk -v want="$1" '
		/^What:/ { n = split($2, p, "/"); file = p[n]; rules = 0; i = 0; next }
		{ line = $0; sub(/^\t+/, "", line) }
		line ~ /^===/ { rules++; next }
		rules == 1 && line != "" && line !~ /^ / {
			split(line, w, " "); i++
			if ((file == "phys_stat" ? "phys_" : "") w[1] == want) { print file, i; exit }
		}' "$VSWAP_ABI"
}
vswap_stat() {
	local place
	if [ -z "${2:-}" ]; then
		place=$(vswap_sysfs_place "$1")
		if [ -n "$place" ]; then
			awk -v i="${place#* }" '{ print $i }' "$VSWAP_SYSFS/${place% *}"
			return
		fi
	fi
	awk -v k="$1" '$1 == k { print $2 }' "${2:-$VSWAP_STATS}"
}

# vswap_on [MODULE PARAMS...]: load the module and swap on /dev/vswap0 (no mkswap needed).
vswap_on() {
	insmod "$MODULE" "$@" || fail "insmod vswap $*"
	udevadm settle 2>/dev/null
	[ -b $VSWAP_DEV ] || fail "no $VSWAP_DEV"
	# Above any physical device, which backs it (physical ones get negative priorities).
	swapon -p 100 $VSWAP_DEV || fail "swapon $VSWAP_DEV"
	grep -q "^$VSWAP_DEV " /proc/swaps || fail "$VSWAP_DEV not in /proc/swaps"
	if [ -n "${VSWAP_WITH_PHYS:-}" ]; then
		phys_on "$VSWAP_WITH_PHYS"
		log "physical backing device: $VSWAP_WITH_PHYS"
	fi
}

# phys_on DEV [KIB]: a physical swap device (backing for vswap), KIB long if given.
phys_on() {
	[ -b "$1" ] || fail "no disk $1"
	mkswap -q "$1" ${2:-} >/dev/null || fail "mkswap $1 ${2:-}"
	swapon "$1" || fail "swapon $1"
}

# zram_new SIZE: /dev/zram0 of SIZE (a synchronous device that needs stable pages).
zram_new() {
	modprobe zram num_devices=1 || fail "modprobe zram"
	put "$1" "/sys/block/zram0/disksize"
}

# zram_gone: swap off /dev/zram0 if it is on, and remove it.
zram_gone() {
	if grep -q "^/dev/zram0 " /proc/swaps; then
		swapoff /dev/zram0 || fail "swapoff /dev/zram0"
	fi
	put 1 "/sys/block/zram0/reset"
	rmmod zram || fail "rmmod zram"
}

# phys_frees_settle: wait (up to 5 s) until no physical slot of a freed
# vswap page is queued for release: they count as used on their device until
# the work item frees them, a jiffy after the free (phys_free_defer).
phys_frees_settle() {
	local i
	[ -r "$VSWAP_STATS" ] || return 0
	for i in $(seq 50); do
		[ "$(vswap_stat phys_free_pending)" = 0 ] && return 0
		sleep 0.1
	done
	log "physical slots still queued for release after 5 s: $(vswap_stat phys_free_pending)"
}

# swaps_used DEV: the Used column of DEV in /proc/swaps (KiB), once the
# queued releases are done.
swaps_used() {
	phys_frees_settle
	awk -v d="$1" '$1 == d { print $4 }' /proc/swaps
}

# vswap_rmmod: rmmod vswap once udev is done with /dev/vswap0. Its probe
# (blkid) after the disk appears or changes holds the disk open, and an open
# disk pins the module: rmmod would fail with EBUSY meanwhile.
vswap_rmmod() {
	udevadm settle 2>/dev/null
	rmmod vswap
}

# vswap_off: swapoff and rmmod; the vtable must be empty and nothing leaked.
vswap_off() {
	if grep -q "^$VSWAP_DEV " /proc/swaps; then
		swapoff $VSWAP_DEV || fail "swapoff $VSWAP_DEV"
	fi
	expect_eq "vtable words leaked at detach" "$(vswap_stat leaked_at_detach)" 0
	expect_eq "zswap slots after swapoff" "$(vswap_stat slots_zswap)" 0
	expect_eq "leaves after swapoff" "$(vswap_stat leaves)" 0
	expect_eq "physical slots after swapoff" "$(vswap_stat phys_in_use)" 0
	expect_eq "physical frees refused (rmap mismatch)" "$(vswap_stat phys_free_mismatch)" 0
	if [ -n "${VSWAP_WITH_PHYS:-}" ]; then
		expect_eq "$VSWAP_WITH_PHYS used after vswap swapoff" "$(swaps_used "$VSWAP_WITH_PHYS")" 0
		swapoff "$VSWAP_WITH_PHYS" || fail "swapoff $VSWAP_WITH_PHYS"
	fi
	vswap_rmmod || fail "rmmod vswap"
}

# release_swap_cache CG: once the processes of CG have exited, drop the swap
# cache folios they left behind. As on any swap device, a slot whose last
# page-table reference goes while its folio is locked (written out or read
# in at that moment) is not freed at exit but when reclaim drops the folio
# (__try_to_reclaim_swap() only trylocks). memory.stat cannot tell: its
# swapcached count is flushed lazily and misses a few pages. So while
# /dev/vswap0 has slots in use, reclaim CG (the last retry of memory.reclaim
# also drains the per-CPU LRU caches) and look again; a slot still in use
# afterwards is a leak, which the caller's checks report. Keep tmpfs files
# (/tmp) out of the memcg: their pages are swapped out under its pressure and
# hold slots legitimately (write such output to $OUT).
release_swap_cache() {
	local cg=$1 used try
	for try in 0 1 2 3 4 5; do
		used=$(swaps_used $VSWAP_DEV)
		{ [ "$used" = 0 ] || [ "$try" = 5 ]; } && break
		# EAGAIN when less than asked could be reclaimed: expected here.
		reclaim "$cg" 64M
		sleep 1
	done
	[ "$try" = 0 ] || log "swap cache held vswap slots after exit: $used KiB in use after $try reclaim(s)"
}

# through_mark, then expect_through WHAT OUT [IN]: at least OUT pages went
# to zswap or to a swap device (zswpout + pswpout) since the mark, and at
# least IN (default OUT) came back from there (zswpin + pswpin). VmSwap and
# the verifier's swapped_pages count swap cache pages too: these count data
# that really made the trip.
through_mark() {
	T_OUT=$(( $(vmstat zswpout) + $(vmstat pswpout) ))
	T_IN=$(( $(vmstat zswpin) + $(vmstat pswpin) ))
}
expect_through() {
	local out in
	out=$(( $(vmstat zswpout) + $(vmstat pswpout) - T_OUT ))
	in=$(( $(vmstat zswpin) + $(vmstat pswpin) - T_IN ))
	log "$1: $out pages out to zswap or disk, $in back in"
	expect_ge "$1: pages out to zswap or disk" "$out" "$2"
	expect_ge "$1: pages back from zswap or disk" "$in" "${3:-$2}"
}

show_vswap_stats() {
	log "vswap stats: $(tr '\n' ' ' <"$VSWAP_STATS")"
}

# zswap_stored: pages zswap holds now.
zswap_stored() { cat $DBG/zswap/stored_pages; }

# sym_range_of NAME...: the start and end of the first kernel text symbol
# NAME in /proc/kallsyms. A static function may be inlined into its caller in
# one configuration and not in another (zswap_writeback_entry() is, into
# shrink_memcg_cb(), in the kasan kernel); the caller's range covers it then.
# The end is the lowest address above the start, found in one pass without
# sort(1): sorting /proc/kallsyms took over 450 s in the debug guest (reading
# it takes about one). Addresses are 16 hex digits: they compare as strings.
sym_range_of() {
	local n r
	for n in "$@"; do
		r=$(awk -v n="$n" '
			$3 == n && ($2 == "T" || $2 == "t") && s == "" { s = $1 }
			{ a[NR] = $1 }
			END {
				if (s == "") exit
				for (i in a) if (a[i] > s && (e == "" || a[i] < e)) e = a[i]
				if (e != "") printf "0x%s 0x%s\n", s, e
			}' /proc/kallsyms)
		[ -n "$r" ] && { echo "$r"; return 0; }
	done
	fail "none of $* in /proc/kallsyms"
}

# fault_filter DIR START END IGNORE-GFP-WAIT: point fault attribute DIR
# (failslab, fail_page_alloc) at allocations whose stack passes through
# [START, END), made by tasks with make-it-fail, 100000 times at most; its
# probability stays 0 until the caller sets it.
fault_filter() {
	put 0 "$1/probability"
	put 0 "$1/verbose"
	put Y "$1/task-filter"
	put "$2" "$1/require-start"
	put "$3" "$1/require-end"
	put 32 "$1/stacktrace-depth"
	put 1 "$1/interval"
	put 100000 "$1/times"
	put 0 "$1/space"
	put "$4" "$1/ignore-gfp-wait"
}

# The fixture. Tests need not undo what they set up: after every test,
# main.sh kills what the test left running and puts the guest back as it
# booted (fixture_record takes that state once, fixture_reset restores it).
# What a test may leave: processes (its process group), memory cgroups,
# swap areas, mounts, device-mapper and loop devices, zram, modules, and the
# knobs below. fixture_reset prints one line, the kinds it had to clean
# ("memcg swap ..."), and fails with the reason when the guest is not back
# to its boot state afterwards: the next test would not start clean.
#
# It runs after each of the suite's tests, where a fork costs about 0.1 s
# under TCG: it looks with the shell's builtins only (read, globs, kill -0)
# and runs a command only to undo something it found.
THP=/sys/kernel/mm/transparent_hugepage
FIXTURE_FAULTS="$DBG/failslab/probability $DBG/fail_page_alloc/probability $DBG/fail_make_request/probability"
# The boot state: knob file -> value; "kind:name" -> 1 for what existed.
declare -A FIXTURE_KNOB=() FIXTURE_BOOT=()
FIXTURE_KNOBS=()

# knob_read FILE: its value in REPLY; of a choice file ("always [madvise]
# never") the choice.
knob_read() {
	REPLY=
	IFS= read -r REPLY 2>/dev/null <"$1"
	[[ $REPLY =~ \[([^]]*)\] ]] && REPLY=${BASH_REMATCH[1]}
	return 0
}

# fixture_walk DIR: every cgroup below DIR into LIST, parents first.
fixture_walk() {
	local d
	for d in "$1"/*/; do
		[ -d "$d" ] || continue
		LIST+=("${d%/}")
		fixture_walk "${d%/}"
	done
}

# fixture_list KIND: what exists now of KIND (cgroup, mount, module, dm,
# loop, swap) into LIST.
fixture_list() {
	local a b d
	LIST=()
	case $1 in
	cgroup) fixture_walk $CG ;;
	mount) while read -r a b d; do LIST+=("$b"); done </proc/mounts ;;
	module) while read -r a b; do LIST+=("$a"); done 2>/dev/null </proc/modules ;;
	dm)
		for d in /sys/block/dm-*/dm/name; do
			[ -r "$d" ] && IFS= read -r a <"$d" && LIST+=("$a")
		done ;;
	loop)
		for d in /sys/block/loop*/loop/backing_file; do
			[ -e "$d" ] && { d=${d#/sys/block/}; LIST+=("/dev/${d%%/*}"); }
		done ;;
	swap) while read -r a b; do [ "$a" = Filename ] || LIST+=("$a"); done </proc/swaps ;;
	esac
}

# fixture_new KIND: what exists of KIND and did not at boot, into NEW.
fixture_new() {
	local x
	NEW=()
	fixture_list "$1"
	for x in "${LIST[@]}"; do
		[ -n "${FIXTURE_BOOT[$1:$x]:-}" ] || NEW+=("$x")
	done
}

# cgroup_populated DIR...: true if a process is left in one of them.
cgroup_populated() {
	local cg k v
	for cg; do
		while read -r k v; do
			[ "$k" = populated ] && [ "$v" = 1 ] && return 0
		done 2>/dev/null <"$cg/cgroup.events"
	done
	return 1
}

# fixture_umount_pass: unmount what the test mounted, newest first (the
# reverse of /proc/mounts); return 1 if nothing could be unmounted. Adds to
# the caller's "cleaned".
fixture_umount_pass() {
	local i m rc=1
	fixture_new mount
	for ((i = ${#NEW[@]} - 1; i >= 0; i--)); do
		# /proc/mounts escapes blanks as octal (\040): printf decodes them.
		printf -v m '%b' "${NEW[$i]}"
		umount "$m" 2>/dev/null && { cleaned+=(mount); rc=0; }
	done
	return $rc
}

fixture_record() {
	local f k x
	for f in /sys/module/zswap/parameters/* $THP/enabled $THP/defrag \
		$THP/shmem_enabled $THP/hugepages-*/enabled $THP/hugepages-*/shmem_enabled \
		/proc/sys/vm/swappiness /proc/sys/vm/page-cluster \
		/proc/sys/vm/min_free_kbytes /proc/sys/vm/overcommit_memory \
		/proc/sys/kernel/sched_rt_runtime_us /sys/devices/virtual/workqueue/cpumask \
		$FIXTURE_FAULTS; do
		[ -f "$f" ] && [ -w "$f" ] || continue
		knob_read "$f"
		FIXTURE_KNOBS+=("$f")
		FIXTURE_KNOB[$f]=$REPLY
	done
	for k in cgroup mount module dm loop swap; do
		fixture_list $k
		for x in "${LIST[@]}"; do FIXTURE_BOOT[$k:$x]=1; done
	done
}

# fixture_reset PGID: clean up after the test whose process group is PGID.
fixture_reset() {
	local pgid=$1 cleaned=() bad=() f v cg m i LIST NEW REPLY
	# Faults first, so that the clean-up itself meets none.
	for f in $FIXTURE_FAULTS; do
		[ -w "$f" ] || continue
		knob_read "$f"
		[ "$REPLY" = 0 ] || { echo 0 >"$f"; cleaned+=(faults); }
	done
	# What the test left running: its process group, then every process
	# in a cgroup it created (cgroup.kill takes the descendants too).
	if kill -0 -- -"$pgid" 2>/dev/null; then
		kill -KILL -- -"$pgid" 2>/dev/null
		cleaned+=(processes)
	fi
	fixture_new cgroup
	for cg in "${NEW[@]}"; do
		cgroup_populated "$cg" || continue
		echo 1 >"$cg/cgroup.kill"
		cleaned+=(processes)
	done
	# Wait for them to be gone: pages they hold in swap are freed, not
	# brought back in by the swapoff below.
	for ((i = 0; i < 100; i++)); do
		kill -0 -- -"$pgid" 2>/dev/null || cgroup_populated "${NEW[@]}" || break
		sleep 0.1
	done
	# What the swapoff must still bring in (tmpfs pages charged to a
	# test's memcg) may need room: lift the test's limits.
	for cg in "${NEW[@]}"; do
		[ -w "$cg/memory.max" ] && echo max >"$cg/memory.max" 2>/dev/null
	done
	# Mounts first where nothing holds them (tmpfs: its swapped pages are
	# freed, not swapped in); swap areas; loop devices (a loop file may
	# live on a mount; a mounted loop device detaches when unmounted);
	# then the mounts again, newest first, until no pass unmounts more
	# (stacks); device-mapper last (a mount or a loop device may sit on it).
	fixture_umount_pass
	fixture_list swap
	if [ ${#LIST[@]} -gt 0 ]; then
		swapoff -a 2>/dev/null
		cleaned+=(swap)
	fi
	fixture_new loop
	if [ ${#NEW[@]} -gt 0 ]; then
		losetup -D
		cleaned+=(loop)
	fi
	for ((i = 0; i < 4; i++)); do
		fixture_umount_pass || break
	done
	for ((i = 0; i < 50; i++)); do
		fixture_new loop
		[ ${#NEW[@]} = 0 ] && break
		sleep 0.1
	done
	fixture_new dm
	if [ ${#NEW[@]} -gt 0 ]; then
		udevadm settle 2>/dev/null
		dmsetup remove_all 2>/dev/null
		cleaned+=(dm)
	fi
	if [ -e /sys/block/zram0/reset ]; then
		echo 1 >/sys/block/zram0/reset 2>/dev/null
		cleaned+=(zram)
	fi
	fixture_new module
	for m in "${NEW[@]}"; do
		if [ "$m" = vswap ]; then vswap_rmmod 2>/dev/null; else rmmod "$m" 2>/dev/null; fi
		cleaned+=(module)
	done
	# The cgroups, deepest first, once their processes are gone.
	fixture_new cgroup
	for ((m = ${#NEW[@]} - 1; m >= 0; m--)); do
		for ((i = 0; i < 50; i++)); do
			rmdir "${NEW[$m]}" 2>/dev/null && break
			sleep 0.1
		done
		cleaned+=(memcg)
	done
	# The knobs. zswap's "enabled" is written only if it changed: any
	# write to it sets zswap up for good (setup_guest).
	for f in "${FIXTURE_KNOBS[@]}"; do
		knob_read "$f"
		[ "$REPLY" = "${FIXTURE_KNOB[$f]}" ] && continue
		echo "${FIXTURE_KNOB[$f]}" >"$f" 2>/dev/null
		cleaned+=(knob)
	done
	# The guest must now be as it booted.
	kill -0 -- -"$pgid" 2>/dev/null && bad+=("processes of the test still run")
	fixture_list swap
	[ ${#LIST[@]} -gt 0 ] && bad+=("swap still on: ${LIST[*]}")
	fixture_new mount
	[ ${#NEW[@]} -gt 0 ] && bad+=("still mounted: ${NEW[*]}")
	fixture_new dm
	[ ${#NEW[@]} -gt 0 ] && bad+=("device-mapper devices left: ${NEW[*]}")
	for f in /sys/block/zram*; do
		[ -e "$f" ] && bad+=("zram device left: ${f#/sys/block/}")
	done
	fixture_new loop
	[ ${#NEW[@]} -gt 0 ] && bad+=("loop devices left: ${NEW[*]}")
	fixture_new module
	[ ${#NEW[@]} -gt 0 ] && bad+=("modules left: ${NEW[*]}")
	fixture_new cgroup
	[ ${#NEW[@]} -gt 0 ] && bad+=("cgroups left: ${NEW[*]}")
	for f in "${FIXTURE_KNOBS[@]}"; do
		knob_read "$f"
		[ "$REPLY" = "${FIXTURE_KNOB[$f]}" ] || bad+=("$f is '$REPLY', at boot '${FIXTURE_KNOB[$f]}'")
	done
	# The kinds cleaned, each once.
	declare -A seen=()
	v=
	for f in "${cleaned[@]}"; do
		[ -n "${seen[$f]:-}" ] && continue
		seen[$f]=1
		v+="$f "
	done
	echo "$v"
	[ ${#bad[@]} = 0 ] && return 0
	printf '%s; ' "${bad[@]}" >&2
	return 1
}
