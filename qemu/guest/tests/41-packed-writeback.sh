# SPDX-License-Identifier: GPL-2.0
# weight: 120
# Packed writeback (pack=1): zswap writes vswap entries back compressed,
# several to a 4 KiB block on the physical device, without decompressing
# them; faults read the object's sectors and decompress them.
#
#  A. writeback: 64 MiB of the mixed pattern (a quarter random, which
#     zswap rejects and which goes to its own physical slot, a quarter
#     zero, half compressible) in a memcg whose memory.zswap.max is far
#     below what it pushes out, then the zswap shrinker: entries are packed
#     (pack_objects_written grows) into fewer blocks than objects (at least
#     4 objects a block for this data, which compresses about 20:1), no
#     block write fails, and the disk writes for them are the blocks, not
#     the pages (pswpout grows by the blocks plus the random pages, not by
#     every page written back). Then everything is read back: 0
#     mismatches, with pswpin showing the packed reads. Once the process
#     exits every block is freed: pack_blocks_in_use 0, nothing used on
#     the device.
#  B. the positive control of A's density check: the same run with pack=0
#     writes back as many pages as it packed objects, one 4 KiB write each
#     (no pack counter moves).
#  C. swapoff of the device that holds the blocks while the process waits
#     with its data out: every block's slots are listed by the module and
#     brought in (phys_swapoff_moved), the blocks are freed, swapoff
#     succeeds, and the data reads back intact from memory.
#  D. blocks shared by two memcgs: two processes in two memcgs under one
#     parent push compressible data out and wait; reclaim of the parent
#     with the zswap shrinker on writes back entries of both, in turn, into
#     the one open block (memory.stat zswpwb grows in both). Both read back
#     intact, and every block is freed at the end.

MIB=64

# pack_run LABEL CG HOOK: the verifier in CG, its writeback forced by HOOK.
pack_run() {
	verify_in_memcg "$2" --label "$1" --mib $MIB --pattern mixed --seed 141 \
		--pageout --min-swapped-pct 60 --exec-after-swapout "$3" ||
		fail "verifier: $VERIFY_OUT"
	expect_eq "$1 mismatches" "$(field mismatched_pages)" 0
}

# The writeback hook of A and B: over memory.zswap.max, then the shrinker.
shrink() {
	echo '
	echo 1 >/sys/module/zswap/parameters/shrinker_enabled || exit 1
	echo max >'"$1"'/memory.zswap.max || exit 1
	echo 256M >'"$1"'/memory.reclaim 2>/dev/null
	echo 0 >/sys/module/zswap/parameters/shrinker_enabled || exit 1
	# Drop the clean swap cache copies: the read-back reads the disk.
	echo 256M >'"$1"'/memory.reclaim 2>/dev/null
	true'
}

# ---- A: packed writeback ----
vswap_on pack=1
dmesg | grep -q "packed writeback" || fail "the module did not say pack=1 took"
phys_on $SWAPDEV
zswap_on lz4
cg=$(memcg_new vpk 512M)
put 512K "$cg/memory.zswap.max"
wb0=$(vmstat zswpwb) out0=$(vmstat pswpout) in0=$(vmstat pswpin) fb0=$(vswap_stat phys_fallbacks)
pack_run packed "$cg" "$(shrink "$cg")"
wb=$(( $(vmstat zswpwb) - wb0 ))
out=$(( $(vmstat pswpout) - out0 ))
fb=$(( $(vswap_stat phys_fallbacks) - fb0 ))
objs=$(vswap_stat pack_objects_written)
blocks=$(vswap_stat pack_blocks_written)
log "zswpwb +$wb, packed objects $objs in $blocks blocks ($(vswap_stat pack_bytes_written) bytes)," \
	"pswpout +$out (random pages to their own slots: $fb), pswpin +$(( $(vmstat pswpin) - in0 ))"
show_vswap_stats
expect_ge "objects packed" "$objs" 1000
expect_ge "zswpwb (each packed object is a writeback)" "$wb" "$objs"
expect_ge "objects per block (x4)" "$objs" $(( blocks * 4 ))
expect_lt "disk writes: blocks and rejected pages, not every page" "$out" $(( fb + objs / 2 ))
expect_eq "block writes failed" "$(vswap_stat pack_write_failed)" 0
expect_eq "ZSWAP->PHYS writebacks (all were packed)" "$(vswap_stat phys_writebacks)" 0
expect_ge "pswpin (packed pages read back)" $(( $(vmstat pswpin) - in0 )) 1000
release_swap_cache "$cg"
expect_eq "slots packed after exit" "$(vswap_stat slots_packed)" 0
expect_eq "blocks in use after exit" "$(vswap_stat pack_blocks_in_use)" 0
expect_eq "blocks freed" "$(vswap_stat pack_blocks_freed)" "$blocks"
expect_eq "drops of objects a block did not hold" "$(vswap_stat pack_drop_mismatch)" 0
expect_eq "$SWAPDEV used after exit" "$(swaps_used $SWAPDEV)" 0

# ---- C: swapoff of the device with packed blocks on it ----
put 512K "$cg/memory.zswap.max"
m0=$(vswap_stat phys_swapoff_moved) b0=$(vswap_stat pack_blocks_written)
hook="$(shrink "$cg")"'
	echo "  # before swapoff: blocks in use $(awk "\$1 == \"pack_blocks_in_use\" { print \$2 }" '"$VSWAP_STATS"')"
	swapoff '"$SWAPDEV"' || exit 1'
pack_run swapoff "$cg" "$hook"
moved=$(( $(vswap_stat phys_swapoff_moved) - m0 ))
log "swapoff moved $moved slots, $(( $(vswap_stat pack_blocks_written) - b0 )) blocks had been written"
expect_ge "blocks written before the swapoff" $(( $(vswap_stat pack_blocks_written) - b0 )) 100
expect_ge "slots brought in by swapoff" "$moved" 1000
expect_eq "blocks in use after swapoff" "$(vswap_stat pack_blocks_in_use)" 0
grep -q "^$SWAPDEV " /proc/swaps && fail "$SWAPDEV still on after its swapoff"
release_swap_cache "$cg"
expect_eq "drops of objects a block did not hold" "$(vswap_stat pack_drop_mismatch)" 0

# ---- D: blocks shared by two memcgs ----
# A and B, in two memcgs under one parent, push compressible data out to
# zswap and wait; then the parent is reclaimed with the zswap shrinker on:
# reclaim walks A's and B's entries in turn, and each walk's entries go to
# the one open block, written when full or 10 ms after its last entry.
phys_on $SWAPDEV
par=$CG/vpkp
[ -d "$par" ] || mkdir "$par"
put +memory "$par/cgroup.subtree_control"
mkdir -p "$par/a" "$par/b"
b0=$(vswap_stat pack_blocks_written) o0=$(vswap_stat pack_objects_written)
rm -f $OUT/pk-*
for who in a b; do
	seed=142; [ $who = b ] && seed=143
	in_memcg "$par/$who" "$VERIFY" --label shared-$who --mib 32 --pattern compressible \
		--seed $seed --pageout --min-swapped-pct 60 --exec-after-swapout "
		touch $OUT/pk-$who-out
		while [ ! -e $OUT/pk-go ]; do sleep 0.2; done" >$OUT/pk-$who.log 2>&1 &
	eval pid_$who=\$!
	for i in $(seq 600); do
		{ [ -e $OUT/pk-$who-out ] || ! eval kill -0 \$pid_$who 2>/dev/null; } && break
		sleep 0.5
	done
	[ -e $OUT/pk-$who-out ] || fail "shared-$who did not swap out: $(cat $OUT/pk-$who.log)"
done
wa0=$(awk '$1 == "zswpwb" { print $2 }' "$par/a/memory.stat")
wb0=$(awk '$1 == "zswpwb" { print $2 }' "$par/b/memory.stat")
put 1 /sys/module/zswap/parameters/shrinker_enabled
echo 256M >"$par/memory.reclaim" 2>/dev/null
put 0 /sys/module/zswap/parameters/shrinker_enabled
sleep 1
wa=$(( $(awk '$1 == "zswpwb" { print $2 }' "$par/a/memory.stat") - wa0 ))
wb=$(( $(awk '$1 == "zswpwb" { print $2 }' "$par/b/memory.stat") - wb0 ))
touch $OUT/pk-go
for who in a b; do
	eval wait \$pid_$who || fail "shared-$who: $(cat $OUT/pk-$who.log)"
	VERIFY_OUT=$(tail -n1 $OUT/pk-$who.log)
	echo "  $VERIFY_OUT"
	expect_eq "shared-$who mismatches" "$(field mismatched_pages)" 0
done
objs=$(( $(vswap_stat pack_objects_written) - o0 ))
log "reclaim of the parent: zswpwb A +$wa, B +$wb; $objs objects in $(( $(vswap_stat pack_blocks_written) - b0 )) blocks"
expect_ge "A's entries written back" "$wa" 100
expect_ge "B's entries written back" "$wb" 100
expect_ge "objects packed (A's and B's)" "$objs" $(( wa + wb ))
release_swap_cache "$par/a"
release_swap_cache "$par/b"
expect_eq "blocks in use at the end" "$(vswap_stat pack_blocks_in_use)" 0
expect_eq "drops of objects a block did not hold" "$(vswap_stat pack_drop_mismatch)" 0
swapoff $SWAPDEV || fail "swapoff $SWAPDEV"
vswap_off
rmdir "$par/a" "$par/b" "$par" "$cg"

# ---- F: a device of 4 KiB logical blocks ----
# A loop device with 4096-byte sectors over $SWAPDEV2: a read of a packed
# object's 512-byte sectors would be refused there; the read covers the
# device's logical blocks instead.
lo=$(losetup --sector-size 4096 --show -f $SWAPDEV2) || fail "losetup --sector-size 4096"
expect_eq "logical block size of $lo" "$(blockdev --getss $lo)" 4096
vswap_on pack=1
phys_on $lo
cg=$(memcg_new vpk4k 512M)
put 512K "$cg/memory.zswap.max"
in0=$(vmstat pswpin)
verify_in_memcg "$cg" --label packed-4k --mib 16 --pattern compressible --seed 147 \
	--pageout --min-swapped-pct 60 --exec-after-swapout "$(shrink "$cg")" ||
	fail "verifier: $VERIFY_OUT"
expect_eq "packed-4k mismatches" "$(field mismatched_pages)" 0
log "4 KiB sectors: $(vswap_stat pack_objects_written) objects in $(vswap_stat pack_blocks_written) blocks, pswpin +$(( $(vmstat pswpin) - in0 ))"
expect_ge "objects packed on $lo" "$(vswap_stat pack_objects_written)" 500
expect_ge "packed pages read back from $lo" $(( $(vmstat pswpin) - in0 )) 500
release_swap_cache "$cg"
expect_eq "blocks in use at the end" "$(vswap_stat pack_blocks_in_use)" 0
swapoff $lo || fail "swapoff $lo"
losetup -d $lo || fail "losetup -d $lo"
vswap_off
rmdir "$cg"

# ---- B: the same writeback without packing ----
vswap_on
phys_on $SWAPDEV
cg=$(memcg_new vnopk 512M)
put 512K "$cg/memory.zswap.max"
wb0=$(vmstat zswpwb)
pack_run unpacked "$cg" "$(shrink "$cg")"
wb=$(( $(vmstat zswpwb) - wb0 ))
log "pack=0: zswpwb +$wb, ZSWAP->PHYS writebacks $(vswap_stat phys_writebacks)"
expect_ge "zswpwb without packing" "$wb" 1000
expect_ge "ZSWAP->PHYS writebacks, one slot each" "$(vswap_stat phys_writebacks)" "$wb"
expect_eq "objects packed with pack=0" "$(vswap_stat pack_objects_written)" 0
release_swap_cache "$cg"
swapoff $SWAPDEV || fail "swapoff $SWAPDEV"
vswap_off
rmdir "$cg"
