# SPDX-License-Identifier: GPL-2.0
# weight: 150
# Races, on purpose, with the data verified throughout:
# A. swapoff interrupted by a signal, then a second swapoff: of a physical
#    device holding vswap pages (the rmap pass), and of /dev/vswap0 itself
#    (the page-table walk). The interrupted one (SIGINT, as Ctrl-C) leaves
#    the device on; the second one completes; every page reads back.
# B. under load (verifiers paging out, forking, rewriting new generations,
#    exiting and starting again), twelve rounds: rmmod attempts, refused with
#    EBUSY; swapoff and swapon of /dev/vswap0 every fifth round; swapoff and
#    swapon of the physical device every second.
#    Every verifier ends with 0 mismatches, and the module unloads after.

# A: the pages live on a device-mapper device over $SWAPDEV2, linear while
# they go out, then delaying every I/O by 500 ms, so that the first swapoff is
# still reading when its signal comes (whatever the machine's speed), and
# linear again for the second.
command -v dmsetup >/dev/null || fail "no dmsetup (device-mapper is part of the guest set-up)"
SECTORS=$(blockdev --getsz $SWAPDEV2)
dmsetup create vswap-slow --table "0 $SECTORS linear $SWAPDEV2 0" || fail "dmsetup create"
DM=/dev/mapper/vswap-slow
udevadm settle 2>/dev/null
vswap_on
phys_on $DM
zswap_on lz4

interrupt() { # DEVICE DELAY_MS: the script run once the pages are out
	echo '
	table() { printf "%s\n" "0 '"$SECTORS"' $1" | dmsetup reload vswap-slow && dmsetup resume vswap-slow; }
	echo max >'"$cg"'/memory.max || exit 1
	table "delay '"$SWAPDEV2"' 0 '"$2"'" || exit 1
	timeout --foreground -s INT 1 swapoff '"$1"' 2>'"$OUT"'/race-A.err; rc=$?
	echo "  # first swapoff of '"$1"': exit $rc, $(cat '"$OUT"'/race-A.err)"
	table "linear '"$SWAPDEV2"' 0" || exit 1
	# 124: the time ran out and SIGINT went in (it kills swapoff, as Ctrl-C).
	[ $rc = 124 ] || { echo "  FAIL: the first swapoff was not interrupted"; exit 1; }
	grep -q "^$(readlink -f '"$1"') " /proc/swaps || { echo "  FAIL: the interrupted swapoff took '"$1"' off"; exit 1; }
	swapoff '"$1"' || { echo "  FAIL: the second swapoff of '"$1"' failed"; exit 1; }
	echo "  # second swapoff of '"$1"': done"'
}
# Random pages: zswap rejects them, they go to the physical device. First
# the rmap pass (swapoff of the physical device), then the page-table walk
# (swapoff of /dev/vswap0, which reads them from the physical device).
cg=$(memcg_new vrace 24M)
m0=$(vswap_stat phys_swapoff_moved)
verify_in_memcg "$cg" --label interrupt-phys --mib 32 --pattern random --seed 231 \
	--pageout --min-swapped-pct 90 --exec-after-swapout "$(interrupt $DM 500)" ||
	fail "interrupted swapoff of $DM: $VERIFY_OUT"
expect_eq "interrupt-phys: mismatches" "$(field mismatched_pages)" 0
expect_ge "pages moved by the two swapoffs" $(( $(vswap_stat phys_swapoff_moved) - m0 )) $((32 * 256 * 90 / 100))
rmdir "$cg"
phys_on $DM
cg=$(memcg_new vrace 24M)
# swapoff of /dev/vswap0 walks page tables, and like stock swapoff it looks
# at signals between one mm and the next: a first process (B) holds 16 MiB
# out until told to go on, so that the signal comes while B's mm is walked
# (5 ms per read) and A's is left for the second swapoff.
rm -f "$OUT/race-go"
in_memcg "$cg" "$VERIFY" --label interrupt-vswap-B --mib 16 --pattern random --seed 233 \
	--pageout --min-swapped-pct 90 \
	--exec-after-swapout "touch $OUT/race-B-out; while [ ! -f $OUT/race-go ]; do sleep 1; done" \
	>"$OUT/race-B" 2>&1 &
bpid=$!
for i in $(seq 120); do [ -f "$OUT/race-B-out" ] && break; sleep 1; done
[ -f "$OUT/race-B-out" ] || fail "process B did not get its pages out: $(cat "$OUT/race-B")"
verify_in_memcg "$cg" --label interrupt-vswap --mib 32 --pattern random --seed 232 \
	--pageout --min-swapped-pct 90 --exec-after-swapout "$(interrupt $VSWAP_DEV 5)" ||
	fail "interrupted swapoff of $VSWAP_DEV: $VERIFY_OUT"
expect_eq "interrupt-vswap: mismatches" "$(field mismatched_pages)" 0
touch "$OUT/race-go"
wait $bpid || fail "process B: $(cat "$OUT/race-B")"
grep -q "mismatched_pages=0 " "$OUT/race-B" || fail "process B: $(cat "$OUT/race-B")"
expect_eq "physical slots after the second swapoff" "$(vswap_stat phys_in_use)" 0
rmdir "$cg"
swapoff $DM || fail "swapoff $DM"
dmsetup remove vswap-slow || fail "dmsetup remove"

# B. Under load.
swapon -p 100 $VSWAP_DEV || fail "swapon $VSWAP_DEV again"
phys_on $SWAPDEV
cg=$(memcg_new vrace 128M)
load() { # N: one verifier, in the background; its result goes to $OUT/race-N
	local extra=
	[ $(( $1 % 2 )) = 0 ] && extra=--fork
	in_memcg "$cg" "$VERIFY" --label "load-$1" --mib 16 --pattern mixed --seed $((2330 + $1)) \
		--pageout --passes 2 $extra >"$OUT/race-$1" 2>&1 &
	pids+=($!)
}
pids=() started=0 refused=0 voff=0 poff=0
for i in 1 2 3; do started=$((started + 1)); load $started; done
# Twelve rounds, 2 s apart at least, and until six verifiers have started
# (a slow kernel, KASAN under TCG, takes longer, not fewer rounds).
round=0
while [ $round -lt 12 ] || [ $started -lt 6 ]; do
	round=$((round + 1))
	if out=$(rmmod vswap 2>&1); then
		fail "rmmod under load succeeded"
	fi
	grep -qi 'in use' <<<"$out" || fail "rmmod under load: want EBUSY, got: $out"
	refused=$((refused + 1))
	if [ $((round % 2)) = 0 ] && grep -q "^$SWAPDEV " /proc/swaps; then
		swapoff $SWAPDEV && poff=$((poff + 1)) || fail "swapoff $SWAPDEV under load"
		swapon $SWAPDEV || fail "swapon $SWAPDEV under load"
	fi
	if [ $((round % 5)) = 0 ]; then
		swapoff $VSWAP_DEV || fail "swapoff $VSWAP_DEV under load"
		voff=$((voff + 1))
		swapon -p 100 $VSWAP_DEV || fail "swapon $VSWAP_DEV under load"
	fi
	# Replace the verifiers that finished (each must have passed), until the
	# last round.
	[ $round -ge 12 ] && [ $started -ge 6 ] && break
	for i in "${!pids[@]}"; do
		kill -0 "${pids[$i]}" 2>/dev/null && continue
		wait "${pids[$i]}" || fail "a verifier under load failed: $(cat "$OUT"/race-* | grep -v 'mismatched_pages=0 ' | tail -n 3)"
		unset "pids[$i]"
		started=$((started + 1)); load $started
	done
	sleep 2
done
for p in "${pids[@]}"; do wait "$p" || fail "a verifier under load failed"; done
cat "$OUT"/race-[0-9]* | grep '^vswap-verify:' | sed 's/^/  /' | tail -n 4
bad=$(cat "$OUT"/race-[0-9]* | grep -c 'result=FAIL' || true)
expect_eq "verifiers that failed under load" "$bad" 0
log "under load: $started verifiers, $refused rmmods refused, $poff swapoffs of $SWAPDEV, $voff of $VSWAP_DEV"
expect_ge "verifiers run under load" "$started" 6
expect_ge "swapoffs of $SWAPDEV under load" "$poff" 6
expect_ge "swapoffs of $VSWAP_DEV under load" "$voff" 2
release_swap_cache "$cg"
swapoff $VSWAP_DEV || fail "swapoff $VSWAP_DEV"
swapoff $SWAPDEV || fail "swapoff $SWAPDEV"
vswap_off
