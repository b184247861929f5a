# SPDX-License-Identifier: GPL-2.0
# weight: 95
# I/O errors on the physical device: a device-mapper table over $SWAPDEV2
# whose middle turns into an "error" target after the data is written. A
# process whose pages sit there gets what stock swap gives on a read error:
# "Read-error on swap-device" in the log and SIGBUS at the fault. Another
# process's pages elsewhere on the device read back intact, and the kernel
# does not crash or warn. Then writes into the bad area: "Write-error on
# swap-device", the pages stay in memory, dirty, and read back intact. Last,
# swapoff of the device while some of its pages cannot be read.

command -v dmsetup >/dev/null || skip "no dmsetup"
SECTORS=$(blockdev --getsz $SWAPDEV2)
ERR_START=$((8 << 11)) ERR_LEN=$((4 << 11))     # 8 MiB .. 12 MiB
linear="0 $SECTORS linear $SWAPDEV2 0"
broken="0 $ERR_START linear $SWAPDEV2 0
$ERR_START $ERR_LEN error
$((ERR_START + ERR_LEN)) $((SECTORS - ERR_START - ERR_LEN)) linear $SWAPDEV2 $((ERR_START + ERR_LEN))"
dmsetup create vswap-err --table "$linear" || fail "dmsetup create"
DM=/dev/mapper/vswap-err
udevadm settle 2>/dev/null

vswap_on
phys_on $DM
zswap_on lz4
cg=$(memcg_new verr 512M)
mark=$(dmesg_mark)
# Process A: 16 MiB, the first 4096 physical slots (one CPU: one cluster at a
# time, in order). While A is out, process B puts 16 MiB after it, the table
# breaks under A, memory.reclaim drops the clean swap cache copies (so that
# reads go to the disk), B reads back, exits; then A reads back.
inner="taskset -c 0 $VERIFY --label io-error-B --mib 16 --pattern random --seed 142 --pageout \
	--min-swapped-pct 95 --exec-after-swapout 'printf \"%s\n\" \"$broken\" | dmsetup reload vswap-err && dmsetup resume vswap-err && { echo 512M >$cg/memory.reclaim 2>/dev/null; true; }'"
in_memcg "$cg" taskset -c 0 "$VERIFY" --label io-error-A --mib 16 --pattern random --seed 141 \
	--pageout --min-swapped-pct 95 --exec-after-swapout "$inner >$OUT/io_error_B; echo rc=\$? >>$OUT/io_error_B" \
	>$OUT/io_error_A 2>&1
rc=$?
sed 's/^/  A: /' $OUT/io_error_A; sed 's/^/  B: /' $OUT/io_error_B
grep -q "rc=0" $OUT/io_error_B || fail "process B (pages outside the bad area) did not read back intact"
grep -q "mismatched_pages=0 " $OUT/io_error_B || fail "process B mismatches"
expect_eq "process A exit status (SIGBUS = 128 + 7)" "$rc" 135
dmesg_since "$mark" | grep -q "Read-error on swap-device" || fail "no 'Read-error on swap-device' in dmesg"
log "dmesg: $(dmesg_since "$mark" | grep -m1 'Read-error on swap-device')"
release_swap_cache "$cg"
expect_eq "physical slots after both exited" "$(vswap_stat phys_in_use)" 0

# Process C: everything past 8 MiB is bad now, where its pages will go.
printf '%s\n' "0 $ERR_START linear $SWAPDEV2 0" "$ERR_START $((SECTORS - ERR_START)) error" |
	dmsetup reload vswap-err && dmsetup resume vswap-err || fail "dmsetup reload"
mark=$(dmesg_mark)
verify_in_memcg "$cg" --label io-error-C --mib 16 --pattern random --seed 143 --pageout ||
	fail "verifier: $VERIFY_OUT"
expect_eq "process C mismatches (write errors)" "$(field mismatched_pages)" 0
dmesg_since "$mark" | grep -q "Write-error on swap-device" || fail "no 'Write-error on swap-device' in dmesg"
log "dmesg: $(dmesg_since "$mark" | grep -c 'Write-error on swap-device') write errors, e.g. $(dmesg_since "$mark" | grep -m1 'Write-error on swap-device')"
release_swap_cache "$cg"
expect_eq "physical slots after C exited" "$(vswap_stat phys_in_use)" 0
show_vswap_stats
swapoff $DM || fail "swapoff $DM"

# Swapoff of the physical device over a read error. A fresh swap area, so
# that D's 16 MiB fill the first slots again and E's come after them; then
# 8-12 MiB break under D and $DM is swapped off while both are out. Stock
# swapoff poisons the PTE of a page it cannot read; here the vswap slot is
# marked lost. Swapoff must finish (it used to retry such a slot until it
# was interrupted), E reads back intact, D gets SIGBUS.
printf '%s\n' "$linear" | dmsetup reload vswap-err && dmsetup resume vswap-err || fail "dmsetup reload"
phys_on $DM
cat >$OUT/swapoff_D.sh <<EOS
printf '%s\n' "$broken" | dmsetup reload vswap-err && dmsetup resume vswap-err || exit 1
echo 512M >$cg/memory.reclaim 2>/dev/null
start=\$(date +%s%N)
timeout --foreground 300 swapoff $DM
echo "swapoff_rc=\$? swapoff_ms=\$(( (\$(date +%s%N) - start) / 1000000 ))"
cat $VSWAP_STATS
EOS
mark=$(dmesg_mark)
inner="taskset -c 0 $VERIFY --label swapoff-E --mib 16 --pattern random --seed 145 --pageout \
	--min-swapped-pct 95 --exec-after-swapout 'bash $OUT/swapoff_D.sh >$OUT/swapoff_D 2>&1'"
in_memcg "$cg" taskset -c 0 "$VERIFY" --label swapoff-D --mib 16 --pattern random --seed 144 \
	--pageout --min-swapped-pct 95 --exec-after-swapout "$inner >$OUT/swapoff_E; echo rc=\$? >>$OUT/swapoff_E" \
	>$OUT/swapoff_D_out 2>&1
rc=$?
sed 's/^/  D: /' $OUT/swapoff_D_out; sed 's/^/  E: /' $OUT/swapoff_E
S=$OUT/swapoff_D   # swapoff's exit status and the stats right after it
log "$(grep swapoff_rc $S): phys_swapoff_moved=$(vswap_stat phys_swapoff_moved $S)" \
	"phys_swapoff_lost=$(vswap_stat phys_swapoff_lost $S) slots_lost=$(vswap_stat slots_lost $S)"
expect_eq "swapoff of $DM over a read error" "$(sed -n 's/^swapoff_rc=\([0-9]*\).*/\1/p' $S)" 0
grep -q "^$DM " /proc/swaps && fail "$DM still in /proc/swaps"
expect_eq "physical slots after swapoff" "$(vswap_stat phys_in_use $S)" 0
expect_ge "slots lost (unreadable at swapoff)" "$(vswap_stat phys_swapoff_lost $S)" 1
expect_eq "lost slots in the vtable" "$(vswap_stat slots_lost $S)" "$(vswap_stat phys_swapoff_lost $S)"
expect_ge "slots moved by swapoff" "$(vswap_stat phys_swapoff_moved $S)" $((4096 + 1))
dmesg_since "$mark" | grep -q "Read-error on swap-device" || fail "no 'Read-error on swap-device' in dmesg"
grep -q "rc=0" $OUT/swapoff_E || fail "process E (pages outside the bad area) did not read back intact"
grep -q "mismatched_pages=0 " $OUT/swapoff_E || fail "process E mismatches"
expect_eq "process D exit status (SIGBUS = 128 + 7)" "$rc" 135
release_swap_cache "$cg"
expect_eq "lost slots once D exited" "$(vswap_stat slots_lost)" 0
show_vswap_stats
# The swapped-off backing device is released while vswap is still attached.
dmsetup remove vswap-err || fail "dmsetup remove"
vswap_off
