# SPDX-License-Identifier: GPL-2.0
# weight: 70
# The data check can fail, and says where:
# 1. the verifier's test-only --corrupt-after-swapin flips one byte of a page
#    after it came back from swap: exactly that page is reported;
# 2. a stale page: every pass after the first rewrites all pages with a new
#    generation; --selftest-stale leaves one page at the old one, as a kernel
#    handing back an older copy would: exactly that page is reported (control:
#    the same two passes without it report nothing);
# 3. corruption in the kernel, on the way back from disk: vswap's physical
#    backing sits on dm-flakey, switched to corrupt byte 32 of every read bio
#    once the pages are out. Every page read back from the disk is reported,
#    and only those (control: the same run with the table linear reports 0).

stock_swap_on
zswap_on lz4
cg=$(memcg_new corrupt 12M)
VICTIM=$((24 * 256 / 2))	# the verifier's victim: the middle page of 24 MiB
verify_in_memcg "$cg" --label corrupted --mib 24 --pattern compressible \
	--pageout --min-swapped-pct 50 --corrupt-after-swapin
rc=$?
expect_eq "verifier exit status on a corrupted page" "$rc" 1
expect_eq "mismatched pages" "$(field mismatched_pages)" 1
expect_eq "the page reported" "$(field bad_pages)" $VICTIM
expect_eq "result" "$(field result)" FAIL

verify_in_memcg "$cg" --label generations --mib 24 --pattern compressible \
	--pageout --min-swapped-pct 50 --passes 2 ||
	fail "two passes with new generations, nothing stale: $VERIFY_OUT"
expect_eq "control: mismatched pages over two generations" "$(field mismatched_pages)" 0
verify_in_memcg "$cg" --label stale --mib 24 --pattern compressible \
	--pageout --min-swapped-pct 50 --passes 2 --selftest-stale
rc=$?
expect_eq "verifier exit status on a stale page" "$rc" 1
expect_eq "stale: mismatched pages" "$(field mismatched_pages)" 1
expect_eq "stale: the page reported" "$(field bad_pages)" $VICTIM
rmdir "$cg"
swapoff "$SWAPDEV" || fail "swapoff"

# 3. Kernel-side corruption under vswap.
command -v dmsetup >/dev/null || fail "no dmsetup (device-mapper is part of the guest set-up)"
SECTORS=$(blockdev --getsz $SWAPDEV2)
linear="0 $SECTORS linear $SWAPDEV2 0"
# Up 0 s, down 1 s: always down; down means corrupt the reads, nothing else.
corrupt="0 $SECTORS flakey $SWAPDEV2 0 0 1 5 corrupt_bio_byte 32 r 1 0"
dmsetup create vswap-flakey --table "$linear" || fail "dmsetup create"
DM=/dev/mapper/vswap-flakey
udevadm settle 2>/dev/null
vswap_on
phys_on $DM
cg=$(memcg_new corrupt 512M)
# Random pages: zswap rejects them, vswap writes them to the disk. Once out,
# the table turns corrupting and memory.reclaim drops the clean swap cache
# copies, so that the read back goes to the disk.
for run in control corrupted; do
	table=$linear
	[ $run = corrupted ] && table=$corrupt
	in0=$(vmstat pswpin)
	verify_in_memcg "$cg" --label "flakey-$run" --mib 16 --pattern random --seed 41 \
		--pageout --min-swapped-pct 95 --exec-after-swapout \
		"printf '%s\n' '$table' | dmsetup reload vswap-flakey && dmsetup resume vswap-flakey && { echo 512M >$cg/memory.reclaim 2>/dev/null; true; }"
	rc=$?
	din=$(( $(vmstat pswpin) - in0 ))
	bad=$(field mismatched_pages)
	log "$run: pages read from the disk $din, mismatched $bad (first: $(field bad_pages))"
	expect_ge "$run: pages read back from the disk" "$din" $((4096 * 95 / 100))
	if [ $run = control ]; then
		expect_eq "control: verifier exit status" "$rc" 0
		expect_eq "control: mismatched pages" "$bad" 0
	else
		expect_eq "corrupted: verifier exit status" "$rc" 1
		# A page whose byte 32 already held the value 1 is not changed (1 in 256).
		expect_ge "corrupted: mismatched pages (of $din read)" "$bad" $((din * 97 / 100))
		[ "$bad" -le "$din" ] || fail "corrupted: $bad mismatched pages, but only $din read from the disk"
	fi
done
swapoff $VSWAP_DEV || fail "swapoff $VSWAP_DEV"
swapoff $DM || fail "swapoff $DM"
vswap_off
