# SPDX-License-Identifier: GPL-2.0
# weight: 200
# Large folios over a fragmented swapfile: each page lands in its own slot's
# sectors, and nothing outside the swapfile is written.
#
# A swapfile's contiguous slots are contiguous sectors only within one of
# its extents (stock swap gives large folios slots on block devices only,
# and splits them over a swapfile). vswap backs each page of a 64 KiB folio
# with a slot of its own; written as one bio at the first page's sector, a
# folio whose slots cross an extent boundary overwrote other files' blocks
# and left its own pages unwritten.
#
# The swapfile here is built on ext4 in 16 KiB extents, interleaved with the
# blocks of another file (every extent shorter than a 64 KiB folio), and is
# vswap's only physical backing; 64 KiB mTHP on, zswap off (every page goes
# to the swapfile). Checked: 0 mismatches, the other file's checksum after
# dropping caches, and e2fsck -fn clean afterwards.
#
# Control, in this test: stock swap on the same swapfile (it splits the
# folios: hugepages-64kB swpout_fallback grows), same checks. Positive
# control for vswap: its 64 KiB folios go out whole (swpout grows).

THP=/sys/kernel/mm/transparent_hugepage
[ -d $THP/hugepages-64kB ] || fail "no 64 KiB mTHP in $THP"
mthp() { cat $THP/hugepages-64kB/stats/$1; }

mnt=/tmp/vswap-frag
swapfile=$mnt/swapfile
other=$mnt/other

mkfs.ext4 -q -F -b 4096 $SWAPDEV2 || fail "mkfs.ext4 $SWAPDEV2"
mkdir -p $mnt
mount $SWAPDEV2 $mnt || fail "mount $SWAPDEV2"
# 24 MiB of swapfile in 16 KiB pieces, each followed by 16 KiB of the other
# file: fallocate() allocates at once, and without normalizing the request,
# so the two files' blocks alternate.
python3 - "$swapfile" "$other" <<'EOF' || fail "building the fragmented files"
import os, sys
piece = 16 << 10
a = os.open(sys.argv[1], os.O_CREAT | os.O_RDWR, 0o600)
b = os.open(sys.argv[2], os.O_CREAT | os.O_RDWR, 0o644)
for i in range((24 << 20) // piece):
    os.posix_fallocate(a, i * piece, piece)
    os.posix_fallocate(b, i * piece, piece)
os.close(a)
os.close(b)
EOF
# The other file gets real data; its checksum is read back from disk below.
dd if=/dev/urandom of=$other bs=1M count=24 conv=notrunc,fsync status=none || fail "writing $other"
extents=$(filefrag $swapfile | sed -n 's/.*: \([0-9]*\) extents\? found/\1/p')
log "swapfile: $extents extents (24 MiB in 16 KiB pieces, interleaved with $other)"
expect_ge "swapfile extents" "${extents:-0}" 1000
mkswap -q $swapfile >/dev/null || fail "mkswap $swapfile"
sync
echo 3 >/proc/sys/vm/drop_caches
sum0=$(sha256sum <$other)

# Only 64 KiB folios (always), no PMD ones.
for d in $THP/hugepages-*kB; do { echo never >"$d/enabled"; } 2>/dev/null; done
put always $THP/enabled
put always $THP/hugepages-64kB/enabled
zswap_off

# run_case LABEL: the workload (16 MiB of random data in 64 KiB folios,
# paged out, read back twice); checks the data and the other file.
run_case() {
	local label=$1 cg o f
	cg=$(memcg_new vfrag 512M)
	o=$(mthp swpout) f=$(mthp swpout_fallback)
	check_out='
		u=$(awk "\$1 == \"'$swapfile'\" { print \$4 }" /proc/swaps)
		echo "  # while out: swapfile used ${u} KiB"
		echo 512M >'"$cg"'/memory.reclaim 2>/dev/null
		[ "${u:-0}" -ge 8192 ]'
	verify_in_memcg "$cg" --label "$label" --thp --mib 16 --pattern random --seed 321 \
		--pageout --passes 2 --min-swapped-pct 50 --exec-after-swapout "$check_out" ||
		fail "verifier ($label): $VERIFY_OUT"
	D_SWPOUT=$(( $(mthp swpout) - o ))
	D_FALLBACK=$(( $(mthp swpout_fallback) - f ))
	log "$label: 64kB swpout +$D_SWPOUT swpout_fallback +$D_FALLBACK"
	expect_eq "$label: mismatches" "$(field mismatched_pages)" 0
	grep -q "^$VSWAP_DEV " /proc/swaps && release_swap_cache "$cg"
	rmdir "$cg"
	sync
	echo 3 >/proc/sys/vm/drop_caches
	expect_eq "$label: $other checksum (read from disk)" "$(sha256sum <$other)" "$sum0"
}

# Control: stock swap on the swapfile splits the folios.
swapon $swapfile || fail "swapon $swapfile"
run_case stock
expect_ge "stock: 64 KiB folios split (swpout_fallback)" "$D_FALLBACK" 1
swapoff $swapfile || fail "swapoff $swapfile"

# vswap, the swapfile as its only physical backing.
vswap_on
swapon $swapfile || fail "swapon $swapfile (backing)"
p0=$(vswap_stat phys_fallbacks)
run_case vswap
expect_ge "vswap: 64 KiB folios out whole (swpout)" "$D_SWPOUT" 16
expect_ge "vswap: pages backed on the swapfile" $(( $(vswap_stat phys_fallbacks) - p0 )) 4096
expect_eq "swapfile used after exit" "$(swaps_used $swapfile)" 0
swapoff $swapfile || fail "swapoff $swapfile"
vswap_off

umount $mnt || fail "umount $mnt"
fsck=$(e2fsck -fn $SWAPDEV2 2>&1)
rc=$?
[ $rc = 0 ] || fail "e2fsck -fn $SWAPDEV2: exit $rc: $(echo "$fsck" | tail -n 5)"
log "e2fsck -fn $SWAPDEV2: clean"
