# SPDX-License-Identifier: GPL-2.0
# weight: 200
# swapoff of a physical device that backs vswap slots, when the memcg that
# owns the pages has no room for them: the data moves to another physical
# device through uncharged folios, and nothing is swapped into the memcg
# or reclaimed from it.
#
# Every case: 24 MiB of random data in a memcg, forced out through vswap:
# zswap rejects it, and it lands on $SWAPDEV and, when it is on, $SWAPDEV2
# (both at the default priority). Then memory.max is set to 1 MiB above memory.current, so the
# memcg has room for about 256 pages and no more.
#  A. relocation: $SWAPDEV2 is on. swapoff $SWAPDEV moves at least 90% of
#     the pages it holds (about half) to $SWAPDEV2 (phys_swapoff_relocated),
#     the rest into the memcg's room (phys_swapoff_moved); the memcg's reclaim
#     counter (memory.stat pgscan) does not move and memory.current grows
#     by at most the 1 MiB of room. 0 mismatches when read back.
#  B. the fallback, and the positive control of A's pgscan check: no other
#     device. Nothing can be relocated (phys_swapoff_relocated +0): every
#     page is swapped in, charged, with reclaim in the memcg (pgscan grows;
#     the memcg also holds tmpfs pages that reclaim can put out). 0 OOM
#     kills, 0 mismatches.
#  C. a fault on a slot being relocated: the process reads its pages while
#     the swapoff runs (with 8 MiB of room, which the faults need; the
#     swapoff brings in what leaves a quarter of it free, about half of the
#     pages on the device, and relocates the rest). 0 mismatches, the
#     swapoff succeeds and relocated during this case.
#  D. an interrupted relocation: swapoff is sent SIGINT half a second in
#     (the device's reads delayed by dm-delay, so that it is still running).
#     It fails (EINTR) with $SWAPDEV still on and some pages relocated; every
#     page reads back intact, from either device; the next swapoff succeeds.
#  E. read errors while relocating: the pages in a broken stretch of the
#     device are lost, exactly those, and the rest are relocated intact.

MIB=24
PAGES=$((MIB * 256))
# The device swapped off, and extra verifier options.
SOFF=$SWAPDEV VERIFY_EXTRA=
ROOM=$((1 << 20))
R=/tmp/vswap-reloc

vswap_on

# second_on: $SWAPDEV2 as the other physical device, after $SWAPDEV.
second_on() {
	mkswap -q $SWAPDEV2 >/dev/null || fail "mkswap $SWAPDEV2"
	swapon $SWAPDEV2 || fail "swapon $SWAPDEV2"
}

# run_case NAME SWAPOFF-CMD [FILL-CMD]: the verifier forces its pages out,
# then runs a hook: FILL-CMD in the memcg, then, outside it, it shrinks the memcg's room to $ROOM, records the
# counters, runs SWAPOFF-CMD (which writes its exit status to $R.rc) and
# records them again. The verifier then reads every page back.
run_case() {
	local name=$1 cmd=$2 fill=${3:-:} cg
	cg=$(memcg_new "reloc-$name" 256M)
	rm -f $R.*
	local hook='
	echo 256M >'"$cg"'/memory.reclaim 2>/dev/null
	'"$fill"'
	echo $$ >'"$CG"'/cgroup.procs
	cat /proc/swaps >'"$R"'.swaps
	awk "\$1 == \"slots_phys\" { print \$2 }" '"$VSWAP_STATS"' >'"$R"'.vphys
	grep -E "^(anon|file|swapcached|zswap|zswapped|pgscan|pgsteal) " '"$cg"'/memory.stat | tr "\n" " " >>'"$R"'.swaps
	grep -E "^(slots_|phys_in_use|phys_fallbacks|zswap_rejected)" '"$VSWAP_STATS"' | tr "\n" " " >>'"$R"'.swaps
	cur=$(cat '"$cg"'/memory.current)
	echo $((cur + '"$ROOM"')) >'"$cg"'/memory.max
	snap() {
		echo "$(cat '"$cg"'/memory.current) $(awk "\$1 == \"pgscan\" { print \$2 }" '"$cg"'/memory.stat)" \
			"$(awk "\$1 == \"phys_swapoff_relocated\" { print \$2 }" '"$VSWAP_STATS"')" \
			"$(awk "\$1 == \"phys_swapoff_moved\" { print \$2 }" '"$VSWAP_STATS"')" \
			"$(awk "\$1 == \"phys_swapoff_lost\" { print \$2 }" '"$VSWAP_STATS"')" \
			"$(cat '"$cg"'/memory.max)" >$1
	}
	snap '"$R"'.before
	awk "\$1 == \"oom_kill\" { print \$2 }" '"$cg"'/memory.events >'"$R"'.oom0
	'"$cmd"'
	snap '"$R"'.after'
	verify_in_memcg "$cg" --label "reloc-$name" --mib $MIB --pattern random --seed 37 \
		--pageout --min-swapped-pct 90 $VERIFY_EXTRA --exec-after-swapout "$hook" ||
		fail "$name: verifier: $VERIFY_OUT"
	expect_eq "$name: mismatches" "$(field mismatched_pages)" 0
	# The pages went through vswap, not straight to $SWAPDEV: two devices of
	# equal priority once let the second and later pages bypass it.
	expect_ge "$name: pages vswap backed on disk before the swapoff" "$(cat $R.vphys)" $((PAGES * 90 / 100))
	log "$name: before the swapoff: $(tail -n +2 $R.swaps | awk 'NF == 5 { printf "%s %s KiB; ", $1, $4; next } { print }')"
	read -r cur0 scan0 rel0 mov0 lost0 max <$R.before
	read -r cur1 scan1 rel1 mov1 lost1 _ <$R.after
	LOST=$((lost1 - lost0))
	ONDEV=$(( $(awk -v d=$SOFF '$1 == d { print $4 }' $R.swaps) / 4 ))
	RELOCATED=$((rel1 - rel0)) SWAPPED_IN=$((mov1 - mov0)) SCANNED=$((scan1 - scan0))
	GROWTH=$((cur1 - cur0)) RC=$(cat $R.rc 2>/dev/null || echo none)
	log "$name: swapoff rc $RC; $ONDEV pages on $SOFF: relocated $RELOCATED, swapped in $SWAPPED_IN;" \
		"memcg pgscan +$SCANNED, memory.current $cur0 -> $cur1 (max $max)"
	OOM=$(( $(awk '$1 == "oom_kill" { print $2 }' "$cg/memory.events") - $(cat $R.oom0) ))
	expect_eq "$name: OOM kills" "$OOM" 0
	put max "$cg/memory.max"
	release_swap_cache "$cg"
	rmdir "$cg"
}

# A: relocation to the other device.
phys_on $SWAPDEV
second_on
zswap_on lz4
run_case relocate "swapoff $SWAPDEV; echo \$? >$R.rc"
expect_eq "A: swapoff status" "$RC" 0
expect_ge "A: pages on $SWAPDEV" "$ONDEV" $((PAGES * 40 / 100))
expect_ge "A: pages relocated to $SWAPDEV2" "$RELOCATED" $((ONDEV * 90 / 100))
expect_eq "A: pages relocated or brought in" $((RELOCATED + SWAPPED_IN)) "$ONDEV"
expect_eq "A: memcg reclaim during swapoff (pgscan)" "$SCANNED" 0
expect_lt "A: memory.current growth" "$GROWTH" $((ROOM + 1))
expect_ge "A: pages brought in while there was room" "$SWAPPED_IN" 1
swapoff $SWAPDEV2 || fail "swapoff $SWAPDEV2"

# B: nowhere to relocate to. The memcg's room is 56 MiB of zero-filled tmpfs
# pages (charged to it while the hook still runs there) that reclaim can
# put in vswap: the swapoff, charging with reclaim, takes that room.
mkdir -p /tmp/reloc-mnt && mount -t tmpfs -o size=64M reloc /tmp/reloc-mnt || fail "mount tmpfs"
phys_on $SWAPDEV
run_case fallback "swapoff $SWAPDEV; echo \$? >$R.rc" "dd if=/dev/zero of=/tmp/reloc-mnt/fill bs=1M count=56 status=none"
rm -f /tmp/reloc-mnt/fill
umount /tmp/reloc-mnt
expect_eq "B: swapoff status" "$RC" 0
expect_eq "B: pages relocated" "$RELOCATED" 0
expect_eq "B: pages brought in" "$SWAPPED_IN" "$ONDEV"
expect_ge "B: memcg reclaim during swapoff (pgscan)" "$SCANNED" 1

# C: the process faults its pages in while they are being relocated.
phys_on $SWAPDEV
second_on
# Reading 24 MiB back while the swapoff runs needs more room than 1 MiB to
# reclaim in without the OOM killer: dirty pages wait for their writes. Not
# so much that the swapoff could bring every page in (16 MiB did, for the
# 12 MiB on the device): then nothing would be relocated under the faults.
ROOM=$((8 << 20))
c_rel0=$(vswap_stat phys_swapoff_relocated)
run_case fault "(swapoff $SWAPDEV; echo \$? >$R.rc) & sleep 0.2"
ROOM=$((1 << 20))
# The swapoff ran on in the background while the verifier read its pages.
for _ in $(seq 1 120); do [ -f $R.rc ] && break; sleep 1; done
expect_eq "C: swapoff status" "$(cat $R.rc)" 0
expect_eq "C: $SWAPDEV is off" "$(grep -c "^$SWAPDEV " /proc/swaps)" 0
rel=$(( $(vswap_stat phys_swapoff_relocated) - c_rel0 ))
log "C: relocated by the swapoff the faults ran against: $rel"
expect_ge "C: pages relocated by that swapoff" "$rel" 1
swapoff $SWAPDEV2 || fail "swapoff $SWAPDEV2"

# D: an interrupted relocation. $SWAPDEV through device-mapper, whose reads
# are delayed by 50 ms once the pages are out, so that the swapoff is still
# relocating when SIGINT comes, however fast the machine (at full speed it
# moved all 3072 pages within the half second); linear again afterwards.
command -v dmsetup >/dev/null || fail "no dmsetup"
SECTORS=$(blockdev --getsz $SWAPDEV)
dmsetup create vswap-slow37 --table "0 $SECTORS linear $SWAPDEV 0" || fail "dmsetup create"
udevadm settle 2>/dev/null
echo "0 $SECTORS delay $SWAPDEV 0 50" >$R-slow
echo "0 $SECTORS linear $SWAPDEV 0" >$R-fast
SOFF=$(readlink -f /dev/mapper/vswap-slow37)
phys_on $SOFF
second_on
run_case interrupt "dmsetup reload vswap-slow37 $R-slow && dmsetup resume vswap-slow37 && { timeout --foreground -s INT 0.5 swapoff $SOFF; echo \$? >$R.rc; }"
dmsetup reload vswap-slow37 $R-fast && dmsetup resume vswap-slow37 || fail "D: dm table back to linear"
[ "$RC" != 0 ] || fail "D: swapoff finished within 0.5 s: too fast to interrupt"
expect_eq "D: $SOFF still on" "$(grep -c "^$SOFF " /proc/swaps)" 1
expect_ge "D: pages relocated before the signal" "$RELOCATED" 1
swapoff $SOFF || fail "D: swapoff $SOFF after the interrupted one"
swapoff $SWAPDEV2 || fail "swapoff $SWAPDEV2"
dmsetup remove vswap-slow37 || fail "dmsetup remove"

# E: read errors while relocating. $SWAPDEV through device-mapper, whose
# 256 KiB from 4 MiB on turn into an "error" target once the pages are out.
# The pages there are lost (phys_swapoff_lost), as stock swapoff loses
# them, and the verifier, which survives SIGBUS like an application that
# retries, finds exactly those; every other page reads back intact, from
# the device it was relocated to.
command -v dmsetup >/dev/null || fail "no dmsetup"
SECTORS=$(blockdev --getsz $SWAPDEV)
ERR_START=$((4 << 11)) ERR_LEN=$((256 << 1))
dmsetup create vswap-reloc --table "0 $SECTORS linear $SWAPDEV 0" || fail "dmsetup create"
udevadm settle 2>/dev/null
broken="0 $ERR_START linear $SWAPDEV 0
$ERR_START $ERR_LEN error
$((ERR_START + ERR_LEN)) $((SECTORS - ERR_START - ERR_LEN)) linear $SWAPDEV $((ERR_START + ERR_LEN))"
printf '%s\n' "$broken" >$R-table
SOFF=$(readlink -f /dev/mapper/vswap-reloc) VERIFY_EXTRA="--sigbus-retries 1"
phys_on $SOFF
second_on
mark=$(dmesg_mark)
run_case readerr "dmsetup reload vswap-reloc $R-table && dmsetup resume vswap-reloc && swapoff $SOFF; echo \$? >$R.rc"
expect_eq "E: swapoff status" "$RC" 0
dmesg_since "$mark" | grep -q "Read-error on swap-device" || fail "E: no 'Read-error on swap-device' in dmesg"
expect_eq "E: pages lost to read errors (the broken 256 KiB)" "$LOST" 64
expect_eq "E: pages the verifier found lost" "$(field lost_pages)" "$LOST"
expect_ge "E: pages relocated" "$RELOCATED" 1
expect_eq "E: every page relocated, brought in or lost" $((RELOCATED + SWAPPED_IN + LOST)) "$ONDEV"
swapoff $SWAPDEV2 || fail "swapoff $SWAPDEV2"
# The swapped-off backing device is released while vswap is still attached.
dmsetup remove vswap-reloc || fail "dmsetup remove"
show_vswap_stats
vswap_off
