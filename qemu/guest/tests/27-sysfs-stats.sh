# SPDX-License-Identifier: GPL-2.0
# weight: 120
# The stable statistics interface, /sys/block/vswap0/vswap/ (rust/stat.rs,
# Documentation/ABI/testing/sysfs-block-vswap): three read-only one-line
# files with the documented number of fields, which agree with the debugfs
# counters while pages sit in zswap and on the physical device, move when
# pages go out (control: before and after), drop back once the process is
# gone, follow swapon/swapoff (attached) and go away with the module.

SYS=/sys/block/vswap0/vswap
# sysfs_field FILE N: field N (1-based) of $SYS/FILE, or of $SNAP/FILE if set.
sysfs_field() { awk -v n="$2" '{ print $n }' "${SNAP:-$SYS}/$1"; }

vswap_on
phys_on $SWAPDEV
zswap_on lz4
[ -d $SYS ] || fail "no $SYS"
for f in mm_stat:6 io_stat:7 phys_stat:12; do
	name=${f%:*} want=${f#*:}
	[ -f $SYS/$name ] || fail "no $SYS/$name"
	expect_eq "$name: lines" "$(wc -l <$SYS/$name)" 1
	expect_eq "$name: fields" "$(awk '{ print NF }' $SYS/$name)" "$want"
	grep -qvE '^[0-9]+( [0-9]+)*$' $SYS/$name && fail "$name: not decimal values: $(cat $SYS/$name)"
	expect_eq "$name: mode" "$(stat -c %a $SYS/$name)" 444
	{ echo 0 >$SYS/$name; } 2>/dev/null && fail "$name: a write was accepted"
	log "$name: $(cat $SYS/$name)"
done
expect_eq "mm_stat nr_slots" "$(sysfs_field mm_stat 1)" "$(vswap_stat nr_slots "$VSWAP_STATS")"
# vswap_stat reads what sysfs shows from sysfs (by the ABI document's
# positions), the rest from debugfs: a sysfs counter and a debugfs-only one.
expect_eq "vswap_stat nr_slots from sysfs" "$(vswap_sysfs_place nr_slots)" "mm_stat 1"
expect_eq "vswap_stat phys_swapoff_relocated from sysfs" "$(vswap_sysfs_place phys_swapoff_relocated)" "phys_stat 12"
expect_eq "vswap_stat leaves from debugfs" "$(vswap_sysfs_place leaves)" ""
expect_eq "mm_stat attached (swapped on)" "$(sysfs_field mm_stat 6)" 1
expect_eq "mm_stat slots_zswap, nothing out" "$(sysfs_field mm_stat 2)" 0
stores0=$(sysfs_field io_stat 1)

# 16 MiB that compresses into zswap, 16 MiB of random data that zswap
# refuses once its share of this memcg is full: physical slots.
cg=$(memcg_new vsysfs 512M)
put 2M "$cg/memory.zswap.max"
snap='mkdir -p '"$OUT"'/snap && cp '"$SYS"'/* '"$OUT"'/snap/ && cp '"$VSWAP_STATS"' '"$OUT"'/snap/debugfs || exit 1'
verify_in_memcg "$cg" --label sysfs-zswap --mib 16 --pattern compressible --seed 271 --pageout \
	--min-swapped-pct 90 --exec-after-swapout "$(printf '%q ' "$VERIFY") --label sysfs-phys --mib 16 --pattern random --seed 272 --pageout --min-swapped-pct 90 --exec-after-swapout '$snap' >$OUT/sysfs_phys" ||
	fail "verifier: $VERIFY_OUT"
cat $OUT/sysfs_phys
grep -q "result=PASS" $OUT/sysfs_phys || fail "second verifier failed"
expect_eq "mismatches" "$(field mismatched_pages)" 0
SNAP=$OUT/snap
D=$OUT/snap/debugfs
log "while out: mm_stat $(cat $SNAP/mm_stat); phys_stat $(cat $SNAP/phys_stat)"
expect_ge "mm_stat slots_zswap while out" "$(sysfs_field mm_stat 2)" 2000
expect_ge "mm_stat slots_phys while out" "$(sysfs_field mm_stat 3)" 2000
expect_eq "phys_stat in_use = mm_stat slots_phys" "$(sysfs_field phys_stat 1)" "$(sysfs_field mm_stat 3)"
expect_ge "io_stat stores moved" "$(sysfs_field io_stat 1)" $(( stores0 + 2000 ))
i=0
for name in nr_slots slots_zswap slots_phys slots_lost metadata_bytes attached; do
	i=$((i + 1)); expect_eq "mm_stat $name = debugfs" "$(sysfs_field mm_stat $i)" "$(vswap_stat $name $D)"
done
i=0
for name in stores loads load_misses erases zswap_rejected_resident leaf_alloc_failures io_rejected; do
	i=$((i + 1)); expect_eq "io_stat $name = debugfs" "$(sysfs_field io_stat $i)" "$(vswap_stat $name $D)"
done
i=0
for name in in_use alloc_ok alloc_failed alloc_stale decompress_saved writebacks fallbacks \
	    replaced_by_zswap freed swapoff_moved swapoff_lost swapoff_relocated; do
	i=$((i + 1)); expect_eq "phys_stat $name = debugfs" "$(sysfs_field phys_stat $i)" "$(vswap_stat phys_$name $D)"
done
unset SNAP

release_swap_cache "$cg"
rmdir "$cg"
expect_eq "mm_stat slots_zswap after exit" "$(sysfs_field mm_stat 2)" 0
expect_eq "mm_stat slots_phys after exit" "$(sysfs_field mm_stat 3)" 0
expect_eq "phys_stat in_use after exit" "$(sysfs_field phys_stat 1)" 0
swapoff $SWAPDEV || fail "swapoff $SWAPDEV"
swapoff $VSWAP_DEV || fail "swapoff $VSWAP_DEV"
expect_eq "mm_stat attached after swapoff" "$(sysfs_field mm_stat 6)" 0
vswap_rmmod || fail "rmmod vswap"
if [ -e $SYS ]; then fail "$SYS still there after rmmod"; fi
