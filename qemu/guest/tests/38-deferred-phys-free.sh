# SPDX-License-Identifier: GPL-2.0
# weight: 120
# The physical slots of freed vswap pages are released off the unmap path.
#
# A vswap page on disk holds a vswap slot and a physical one. Freeing the
# page (munmap, exit) queues the physical slot on its CPU, at most 64 per
# CPU, and a work item releases the queue once phys_free_defer (16 here; the
# module's default, 0, queues nothing) are queued, or a jiffy after the
# first was. Until then the slot keeps its
# Pointer entry and counts as used on its device. zswap is off here: every
# page goes to disk.
#
#  A. Pages go to disk and come back intact; at exit their physical slots
#     are queued (phys_free_deferred grows by most of them) and then
#     released: nothing queued, nothing used on the device or in the module.
#  B. An allocation that finds no free slot releases the queues and tries
#     again. 1 MiB is forced out and unmapped while no work item can run
#     (the verifier runs SCHED_FIFO on CPU 0, unbound work items may run
#     only on CPU 1, where a SCHED_FIFO spinner runs, the fair class's
#     deadline server and RT throttling off), which
#     leaves 64 slots queued; then 4 MiB are forced out onto a device of
#     exactly 4 MiB: every page must go out. Control: on a device
#     one queue (256 KiB) smaller, pages stay in memory, so the check can
#     fail.
#  C. Swapoff of a device while its slots are being freed: swapoff empties
#     the queues before it walks the device and queues nothing meanwhile,
#     so no queued slot is taken for an orphan or freed twice. Processes
#     swap out and exit while the device is swapped off and on in a loop.
#  D. The default (phys_free_defer=0) queues nothing; 65 is refused.
#  E. A's round trip over the other kinds of backing and of pages: zram
#     (its slot-free notify now comes from the work item), an ext4 swapfile
#     (slots through extents), shmem, and 64 KiB folios (a freed folio
#     queues up to 16 slots at once).

zswap_off

# roundtrip LABEL MIB SEED [VERIFIER ARGS...]: MIB go to disk and come back
# intact in $cg, and are freed; sets deferred and inline, the physical slots
# of the freed pages that were queued and that were freed at once.
roundtrip() {
	local d0 i0
	d0=$(vswap_stat phys_free_deferred) i0=$(vswap_stat phys_free_inline)
	verify_in_memcg "$cg" --label "$1" --mib "$2" --pattern random --seed "$3" \
		--pageout --min-swapped-pct 100 "${@:4}" ||
		fail "verifier ($1): $VERIFY_OUT"
	expect_eq "$1: mismatches" "$(field mismatched_pages)" 0
	release_swap_cache "$cg"
	phys_frees_settle
	deferred=$(( $(vswap_stat phys_free_deferred) - d0 ))
	inline=$(( $(vswap_stat phys_free_inline) - i0 ))
}

# A. The round trip, and what the queue did.
vswap_on phys_free_defer=16
phys_on $SWAPDEV
cg=$(memcg_new vdeferphys 1G)
roundtrip roundtrip 16 381
log "A: 4096 pages on disk freed: $deferred physical slots queued, $inline freed at once;" \
	"drains $(vswap_stat phys_free_drains), flushes $(vswap_stat phys_free_flushes)"
expect_ge "A: physical slots queued at the free" "$deferred" 2048
expect_eq "A: physical slots of freed pages" $(( deferred + inline )) 4096
expect_eq "A: still queued" "$(vswap_stat phys_free_pending)" 0
expect_eq "A: physical slots in the module" "$(vswap_stat phys_in_use)" 0
expect_eq "A: $SWAPDEV used" "$(swaps_used $SWAPDEV)" 0
swapoff $SWAPDEV || fail "swapoff $SWAPDEV"

# B. The device is full but for queued slots: the allocation releases them.
# mkswap's size counts the header page: 1025 pages hold 1024 slots. A page
# that finds no slot stays in memory (zswap_rejected_resident). The work
# item must not run meanwhile: the verifier runs on CPU 0, unbound work
# items only on CPU 1, where the verifier's SCHED_FIFO spinner runs (so a
# sleep of the verifier does not let the work item in), and the fair
# class's deadline server and RT throttling are off during the runs (they
# would give it a share of CPU 1).
fair_servers=$(ls -d $DBG/sched/fair_server/cpu*)
for d in $fair_servers; do cat "$d/runtime" >"$OUT/38-runtime.$(basename "$d")"; done
rt0=$(cat /proc/sys/kernel/sched_rt_runtime_us)
wqmask=/sys/devices/virtual/workqueue/cpumask
wq0=$(cat $wqmask)
flush_run() { # LABEL KIB: 1 MiB freed, not released, then 4 MiB out to a KIB device
	phys_on $SWAPDEV "$2"
	f0=$(vswap_stat phys_free_flushes) r0=$(vswap_stat zswap_rejected_resident)
	for d in $fair_servers; do put 0 "$d/runtime"; done
	put -1 /proc/sys/kernel/sched_rt_runtime_us
	put 2 $wqmask
	VERIFY_OUT=$(taskset -c 0 bash -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' _ "$cg" \
		"$VERIFY" --label "$1" --mib 4 --pattern random --seed 383 \
		--pageout --free-first 1 --free-first-starve) ||
		fail "verifier ($1): $VERIFY_OUT"
	echo "  $VERIFY_OUT"
	put "$wq0" $wqmask
	put "$rt0" /proc/sys/kernel/sched_rt_runtime_us
	for d in $fair_servers; do put "$(cat "$OUT/38-runtime.$(basename "$d")")" "$d/runtime"; done
	expect_eq "$1: mismatches" "$(field mismatched_pages)" 0
	flushes=$(( $(vswap_stat phys_free_flushes) - f0 ))
	resident=$(( $(vswap_stat zswap_rejected_resident) - r0 ))
	release_swap_cache "$cg"
	expect_eq "$1: $SWAPDEV used after exit" "$(swaps_used $SWAPDEV)" 0
	swapoff $SWAPDEV || fail "swapoff $SWAPDEV"
}
flush_run full 4100
log "B: 4 MiB out to a 4 MiB device holding 64 queued slots: $resident pages found no slot, releases by a failed allocation: $flushes"
expect_eq "B: pages that found no slot" "$resident" 0
expect_ge "B: releases by a failed allocation" "$flushes" 1
flush_run control 3844
log "B control: a device 256 KiB smaller: $resident pages found no slot"
expect_ge "B control: pages that found no slot" "$resident" 1

# C. Swapoff and swapon of the device while processes free their pages.
phys_on $SWAPDEV 65540
phys_on $SWAPDEV2 65540
dr0=$(vswap_stat phys_free_drains)
(
	for i in $(seq 12); do
		swapoff $SWAPDEV 2>>"$OUT/38-swapoff.err" || echo "swapoff $i failed" >>"$OUT/38-swapoff.err"
		swapon $SWAPDEV || echo "swapon $i failed" >>"$OUT/38-swapoff.err"
	done
) &
loop=$!
ok=0
for i in $(seq 6); do
	verify_in_memcg "$cg" --label "churn$i" --mib 8 --pattern random --seed $((390 + i)) \
		--pageout || { log "verifier (churn$i): $VERIFY_OUT"; ok=1; }
	[ "$(field mismatched_pages)" = 0 ] || { log "churn$i: mismatches $(field mismatched_pages)"; ok=1; }
done
wait $loop
[ ! -s "$OUT/38-swapoff.err" ] || { sed 's/^/  #   /' "$OUT/38-swapoff.err"; ok=1; }
expect_eq "C: verifiers and swapoff loop" "$ok" 0
release_swap_cache "$cg"
log "C: drains during the churn: $(( $(vswap_stat phys_free_drains) - dr0 ))"
expect_eq "C: $SWAPDEV used" "$(swaps_used $SWAPDEV)" 0
expect_eq "C: $SWAPDEV2 used" "$(swaps_used $SWAPDEV2)" 0
expect_eq "C: physical slots in the module" "$(vswap_stat phys_in_use)" 0
swapoff $SWAPDEV2 || fail "swapoff $SWAPDEV2"
swapoff $SWAPDEV || fail "swapoff $SWAPDEV"
vswap_off

# D. No queue, and a refused value.
insmod "$MODULE" phys_free_defer=65 2>/dev/null && fail "phys_free_defer=65 accepted"
dmesg | tail -n 5 | grep -q "invalid phys_free_defer=65: expected at most 64" ||
	fail "no message for phys_free_defer=65"
vswap_on
phys_on $SWAPDEV
roundtrip nodefer 8 389
log "D: the default, phys_free_defer=0: $deferred queued, $inline freed at once"
expect_eq "D: queued" "$deferred" 0
expect_eq "D: freed at once" "$inline" 2048
expect_eq "D: $SWAPDEV used" "$(swaps_used $SWAPDEV)" 0
swapoff $SWAPDEV || fail "swapoff $SWAPDEV"
vswap_off

# E. The other kinds of backing and of pages, with the queue.
# kind LABEL DEV SEED [VERIFIER ARGS...]: 8 MiB through vswap to DEV and back.
kind() {
	roundtrip "$1" 8 "$3" --min-swapped-pct 80 "${@:4}"
	log "E: $1: $deferred physical slots queued, $inline freed at once"
	# A freed 64 KiB folio queues 16 slots at once: the queue fills faster.
	expect_ge "E: $1: physical slots queued" "$deferred" 256
	expect_eq "E: $1: $2 used" "$(swaps_used "$2")" 0
}
vswap_on phys_free_defer=16
zram_new 64M
phys_on /dev/zram0
kind zram /dev/zram0 401
zram_gone
mnt=/tmp/vswap-ext4-38
mkfs.ext4 -q -F $SWAPDEV2 || fail "mkfs.ext4 $SWAPDEV2"
mkdir -p $mnt
mount $SWAPDEV2 $mnt || fail "mount $SWAPDEV2"
fallocate -l 64M $mnt/swapfile || fail "fallocate"
chmod 600 $mnt/swapfile
mkswap -q $mnt/swapfile >/dev/null || fail "mkswap swapfile"
swapon $mnt/swapfile || fail "swapon swapfile"
kind ext4-swapfile $mnt/swapfile 402
swapoff $mnt/swapfile || fail "swapoff swapfile"
umount $mnt || fail "umount $mnt"
phys_on $SWAPDEV
kind shmem $SWAPDEV 403 --shmem
THP=/sys/kernel/mm/transparent_hugepage
s0=$(cat $THP/hugepages-64kB/stats/swpout)
put always $THP/enabled
put never $THP/hugepages-2048kB/enabled
put always $THP/hugepages-64kB/enabled
kind mthp64 $SWAPDEV 404 --thp
expect_ge "E: mthp64: 64 KiB folios swapped out whole" $(( $(cat $THP/hugepages-64kB/stats/swpout) - s0 )) 1
swapoff $SWAPDEV || fail "swapoff $SWAPDEV"
vswap_off
