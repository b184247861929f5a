# SPDX-License-Identifier: GPL-2.0
# weight: 200
# The main job (make run): set vswap up with vswapctl, with zswap and a
# physical disk behind it, push a workload through it under memory
# pressure, and show where the pages went, with vswapctl's status before,
# while the pages are out, and after.

ctl() { $VSWAPCTL "$@" | sed 's/^/  |  /'; }
phys() { awk -v n="$1" '{ print $n }' /sys/block/vswap0/vswap/phys_stat; }

log "vswapctl setup --zswap: load vswap, swap on /dev/vswap0 (priority 100), enable zswap"
$VSWAPCTL setup --zswap --module $MODULE || fail "vswapctl setup"
zswap_on lz4
log "$SWAPDEV becomes its physical backing: an ordinary swap device at a lower priority"
phys_on $SWAPDEV
ctl
fb0=$(phys 7) wb0=$(phys 6)

cg=$(memcg_new demo 128M)
put 1M "$cg/memory.zswap.max"
log ""
log "A process in a 128 MiB memcg (memory.zswap.max 1 MiB) writes 256 MiB: 3/4 compressible,"
log "1/8 zero, 1/8 random pages. It is forced out, then reads everything back and checks it."
log "zswap takes what compresses; what it refuses, and what it writes back past memory.zswap.max,"
log "gets a physical slot on demand. While the pages are out:"
verify_in_memcg "$cg" --label demo --mib 256 --pattern mixed --pageout --reclaim \
	--exec-after-swapout "$VSWAPCTL | sed 's/^/  |  /' >&2" ||
	fail "verifier: $VERIFY_OUT"
expect_eq "mismatches" "$(field mismatched_pages)" 0
fb=$(( $(phys 7) - fb0 )) wb=$(( $(phys 6) - wb0 ))
log ""
log "Read back: $(field mismatched_pages) pages of $(field pages) differ. Where the pages went on the way out:"
log "  $fb refused by zswap (incompressible, or past memory.zswap.max) went straight to $SWAPDEV;"
log "  $wb were written back from zswap to $SWAPDEV, each given its slot before decompression;"
log "  the rest stayed compressed in zswap, or were zero pages (kept by the swap table, no data)."
log ""
log "After the process exited:"
rmdir "$cg"
ctl
log "vswapctl off: swapoff /dev/vswap0, unload the module"
swapoff $SWAPDEV || fail "swapoff $SWAPDEV"
$VSWAPCTL off || fail "vswapctl off"
[ -d /sys/block/vswap0 ] && fail "module still loaded after vswapctl off"
zswap_off
