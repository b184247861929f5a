# SPDX-License-Identifier: GPL-2.0
# weight: 90
# vswap over the kinds of physical swap operators use: a zram device (it needs
# stable pages under writeback), a swapfile on ext4 (extents, no block device
# of its own), and shmem pages instead of private anonymous ones, including a
# swapoff of the physical device while shmem pages live on it. Every case
# writes known patterns, forces them out through vswap to that device, reads
# them back and counts mismatches, which must be zero; the pages are shown to
# have reached the device (its Used column, pswpout, the module's counters).
# Private pages read back from a disk come with swap readahead, as on stock
# swap (swap_ra grows); from zram (synchronous) without, as on stock swap.
# Pages in zswap are read as stock zswap reads those of the first physical
# device: with readahead over a disk, without over zram or with no device.

zswap_on lz4

# case_phys LABEL DEV [VERIFIER ARGS...]: random data (zswap rejects it) goes
# through vswap to the physical device DEV, and comes back.
case_phys() {
	local label=$1 dev=$2 cg p0 f0
	shift 2
	cg=$(memcg_new vkinds 512M)
	p0=$(vmstat pswpout) f0=$(vswap_stat phys_fallbacks) ra0=$(vmstat swap_ra)
	# Once out, memory.reclaim drops the clean swap cache copies the page
	# out may have left (their writeback still running then), so that the
	# read goes to the device.
	check_dev='
		u=$(awk "\$1 == \"'$dev'\" { print \$4 }" /proc/swaps)
		echo "  # while out: '$dev' used ${u} KiB"
		echo 512M >'"$cg"'/memory.reclaim 2>/dev/null
		[ "${u:-0}" -ge 8192 ]'
	verify_in_memcg "$cg" --label "$label" --mib 16 --pattern random --seed 161 \
		--pageout --passes 2 --min-swapped-pct 80 --exec-after-swapout "$check_dev" "$@" ||
		fail "verifier ($label): $VERIFY_OUT"
	expect_eq "$label: mismatches" "$(field mismatched_pages)" 0
	expect_ge "$label: pswpout" $(( $(vmstat pswpout) - p0 )) 4096
	expect_ge "$label: physical fallbacks" $(( $(vswap_stat phys_fallbacks) - f0 )) 4096
	RA=$(( $(vmstat swap_ra) - ra0 ))
	log "$label: swap readahead pages +$RA"
	release_swap_cache "$cg"
	expect_eq "$label: physical slots after exit" "$(vswap_stat phys_in_use)" 0
	expect_eq "$label: $dev used after exit" "$(swaps_used "$dev")" 0
	rmdir "$cg"
}

# case_zswap LABEL: compressible pages that stay in zswap (no physical slot,
# no writeback: the shrinker is off) are read back the way stock zswap reads
# the pages of the first physical device: RA is the swap_ra delta.
case_zswap() {
	local label=$1 cg z0 a0 w0 ra0
	cg=$(memcg_new vkinds 512M)
	z0=$(vmstat zswpin) a0=$(vswap_stat phys_alloc_ok) w0=$(vmstat zswpwb) ra0=$(vmstat swap_ra)
	verify_in_memcg "$cg" --label "$label" --mib 16 --pattern compressible --seed 164 \
		--pageout --min-swapped-pct 80 ||
		fail "verifier ($label): $VERIFY_OUT"
	expect_eq "$label: mismatches" "$(field mismatched_pages)" 0
	expect_ge "$label: pages read from zswap" $(( $(vmstat zswpin) - z0 )) 3000
	expect_eq "$label: physical slots allocated" $(( $(vswap_stat phys_alloc_ok) - a0 )) 0
	expect_eq "$label: zswap writebacks" $(( $(vmstat zswpwb) - w0 )) 0
	RA=$(( $(vmstat swap_ra) - ra0 ))
	log "$label: swap readahead pages +$RA"
	release_swap_cache "$cg"
	rmdir "$cg"
}

put N /sys/module/zswap/parameters/shrinker_enabled
vswap_on

# Pages in zswap, no physical device: nothing to read ahead from but zswap,
# which is synchronous.
case_zswap zswap-only
expect_eq "zswap, no physical device: no readahead" "$RA" 0

# zram: stable writes, synchronous I/O.
zram_new 128M
expect_eq "zram needs stable pages" "$(cat /sys/block/zram0/queue/stable_writes)" 1
phys_on /dev/zram0
case_phys zram /dev/zram0
expect_eq "zram (synchronous): no readahead" "$RA" 0
case_zswap zswap-over-zram
expect_eq "zswap over zram (synchronous), as stock: no readahead" "$RA" 0
zram_gone

# A swapfile on ext4.
mnt=/tmp/vswap-ext4
mkfs.ext4 -q -F $SWAPDEV2 || fail "mkfs.ext4 $SWAPDEV2"
mkdir -p $mnt
mount $SWAPDEV2 $mnt || fail "mount $SWAPDEV2"
fallocate -l 128M $mnt/swapfile || fail "fallocate"
chmod 600 $mnt/swapfile
mkswap -q $mnt/swapfile >/dev/null || fail "mkswap swapfile"
swapon $mnt/swapfile || fail "swapon swapfile"
case_phys ext4-swapfile $mnt/swapfile
expect_ge "ext4 swapfile (a disk): readahead of vswap pages" "$RA" 64

# The swapfile is swapped off while the data lives on it: the pages move back
# under their vswap slots, then are read back intact.
cg=$(memcg_new vkinds 512M)
off_swapfile='
	m0=$(awk "\$1 == \"phys_swapoff_moved\" { print \$2 }" '"$VSWAP_STATS"')
	swapoff '"$mnt"'/swapfile || exit 1
	m1=$(awk "\$1 == \"phys_swapoff_moved\" { print \$2 }" '"$VSWAP_STATS"')
	echo "  # swapoff of the swapfile moved $((m1 - m0)) pages"
	[ $((m1 - m0)) -ge 3000 ]'
verify_in_memcg "$cg" --label ext4-swapoff --mib 16 --pattern random --seed 162 \
	--pageout --min-swapped-pct 80 --exec-after-swapout "$off_swapfile" ||
	fail "verifier (ext4-swapoff): $VERIFY_OUT"
expect_eq "ext4-swapoff: mismatches" "$(field mismatched_pages)" 0
release_swap_cache "$cg"
rmdir "$cg"
umount $mnt || fail "umount $mnt"

# shmem through vswap, to a disk; then that disk is swapped off while the
# shmem pages live on it.
phys_on $SWAPDEV
# Pages in zswap over a disk: read with readahead, as stock zswap over a disk.
case_zswap zswap-over-disk
expect_ge "zswap over a disk, as stock: readahead" "$RA" 64
# (shmem swap-in uses cluster readahead, which starts small and grows with
# hits: logged, not asserted.)
case_phys shmem $SWAPDEV --shmem
cg=$(memcg_new vkinds 512M)
off_disk='
	swapoff '"$SWAPDEV"' || exit 1
	echo "  # swapoff of '"$SWAPDEV"' with shmem pages on it: done"'
verify_in_memcg "$cg" --label shmem-swapoff --shmem --mib 16 --pattern mixed --seed 163 \
	--pageout --min-swapped-pct 80 --exec-after-swapout "$off_disk" ||
	fail "verifier (shmem-swapoff): $VERIFY_OUT"
expect_eq "shmem-swapoff: mismatches" "$(field mismatched_pages)" 0
expect_eq "$SWAPDEV is off" "$(swaps_used $SWAPDEV)" ""
release_swap_cache "$cg"
show_vswap_stats
vswap_off
