// SPDX-License-Identifier: GPL-2.0

//! Packed writeback: zswap writes vswap pages back compressed, several to a block.
//!
//! With the `pack` parameter on, zswap's writeback of a vswap slot's entry (`ops->pack`) does
//! not decompress it: the compressed bytes are copied into the open block, a page whose
//! 512-byte sectors are handed out in order (`packed.rs`), and the slot's swap cache folio,
//! which zswap added for the writeback, stays locked: it keeps the slot from being loaded,
//! written or freed meanwhile, so its ZSWAP word stays what it was. A block gets its page and
//! its physical slot before its first object: if either cannot be had, zswap writes the page
//! back itself, unpacked. When the next object does not fit, when the block is full, or 10 ms
//! after its last object (`ops->pack_flush`), the block is written, synchronously; then each
//! object's word switches from ZSWAP to PACKED (block, first sector, length) and zswap frees
//! its entry and lets its folio go (`zswap_pack_done`). A failed write lets every folio go and
//! leaves every entry in zswap, where it was.
//!
//! Committed blocks are kept in an xarray by physical slot, with their occupancy and the zswap
//! pool that decompresses them. A PACKED word that is replaced or erased (the page written
//! again, the slot freed, swapoff) drops its object; the drop that empties a block frees its
//! physical slot. Swapoff of the device learns a block's slots from here
//! (`ops->block_owners`): the Pointer entry of a block's physical slot names no slot, but the
//! block.
//!
//! Locking: `fill` (a mutex) is taken only by packing and flushing, in process context, and no
//! allocation that may reclaim is made under it (reclaim may pack). `blocks` (the xarray's
//! spinlock) may be taken with interrupts disabled (slot frees), never in interrupt context;
//! nothing sleeps under it but the xarray's own store, which drops it to allocate.

use crate::{
    ktable::KernelVtable,
    packed::{
        Block,
        PackedLoc,
        Phase,
        BLOCK_SECTORS,
        PACK_MAX_LEN,
        SECTOR_BYTES, //
    },
    sys::{
        block_free,
        block_write,
        zswap_copy,
        BlockBuf,
        BlockSlot,
        PackToken,
        PoolRef, //
    },
    word::{
        PhysSlot,
        Slot,
        Word, //
    },
};
use core::{
    ffi::c_void,
    sync::atomic::{
        AtomicU64,
        Ordering::Relaxed, //
    },
};
use kernel::{
    bindings, new_mutex,
    prelude::*,
    sync::{
        rcu,
        Mutex, //
    },
    xarray::{
        AllocKind,
        XArray, //
    },
};

/// An object copied into the open block, waiting for the block's write.
struct Pending {
    /// The zswap entry and the folio that keeps the slot.
    token: PackToken,
    /// The vswap slot.
    owner: u32,
    /// Its first sector in the block.
    sector: u8,
    /// Its length in bytes.
    len: u16,
}

/// The block being filled.
///
/// # Invariants
///
/// `objects[..nr]` are `Some`, in the order `occ` appended them; the rest are `None`. `pool` is
/// the pool of every one of them, `buf` holds their data at their sectors, `slot` is where the
/// block goes: both are there once the first object is.
struct Fill {
    buf: Option<BlockBuf>,
    slot: Option<BlockSlot>,
    occ: Block,
    pool: Option<PoolRef>,
    objects: [Option<Pending>; BLOCK_SECTORS as usize],
    nr: usize,
}

impl Default for Fill {
    fn default() -> Self {
        // INVARIANT: Empty.
        Fill {
            buf: None,
            slot: None,
            occ: Block::new(),
            pool: None,
            objects: [const { None }; BLOCK_SECTORS as usize],
            nr: 0,
        }
    }
}

/// A written block: its occupancy, and the pool that decompresses its objects.
struct Committed {
    occ: Block,
    pool: PoolRef,
}

/// The xarray index of the block in physical slot `ty`:`block`.
fn block_key(ty: u8, block: u32) -> usize {
    (usize::from(ty) << 32) | block as usize
}

/// Counters of packed writeback; kept across attach and detach.
#[derive(Default)]
pub(crate) struct PackStats {
    /// zswap entries packed and written.
    pub(crate) objects_written: AtomicU64,
    /// Compressed bytes of those.
    pub(crate) bytes_written: AtomicU64,
    /// Blocks written.
    pub(crate) blocks_written: AtomicU64,
    /// Blocks holding live objects now (a gauge).
    pub(crate) blocks_in_use: AtomicU64,
    /// Blocks freed when their last object went.
    pub(crate) blocks_freed: AtomicU64,
    /// Entries too long to pack (written back decompressed, as without packing).
    pub(crate) unpackable: AtomicU64,
    /// Entries written back unpacked because no block could be had: no physical slot free, or
    /// only on a device written through its filesystem.
    pub(crate) no_block: AtomicU64,
    /// Entries left in zswap because their block could not be allocated or written.
    pub(crate) write_failed: AtomicU64,
    /// Drops of objects their block did not hold (a bug; must stay zero).
    pub(crate) drop_mismatch: AtomicU64,
}

/// The packer of a vswap device.
#[pin_data]
pub(crate) struct Packer {
    #[pin]
    fill: Mutex<Fill>,
    #[pin]
    blocks: XArray<KBox<Committed>>,
    /// Its counters.
    pub(crate) stats: PackStats,
}

impl Packer {
    /// A packer with nothing open and no block.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Packer {
            fill <- new_mutex!(Fill::default()),
            blocks <- XArray::new(AllocKind::Alloc),
            stats: PackStats::default(),
        })
    }

    /// `ops->pack`: packs the zswap entry `entry` of slot `offset`, whose swap cache folio is
    /// `folio`. `Ok` hands both over (see the module documentation); `ENOENT` if the slot does
    /// not map `entry`; any other error leaves the writeback to zswap.
    ///
    /// # Safety
    ///
    /// `folio` and `entry` are the arguments of the running `ops->pack` call.
    pub(crate) unsafe fn pack(
        &self,
        t: &KernelVtable,
        offset: u64,
        folio: *mut bindings::folio,
        entry: *mut c_void,
    ) -> Result {
        // The folio lock keeps the slot's word.
        let want = Word::zswap_entry(entry.expose_provenance()).ok_or(EINVAL)?;
        if t.load(offset, &rcu::read_lock()) != want {
            return Err(ENOENT);
        }
        let owner = u32::try_from(offset).map_err(|_| EFBIG)?;
        // SAFETY: By the safety requirements `entry` is the entry of this `ops->pack` call.
        let pool = unsafe { PoolRef::of_entry(entry) }.ok_or(EINVAL)?;
        let mut spare: Option<BlockBuf> = None;
        let mut spare_slot: Option<BlockSlot> = None;
        loop {
            let mut guard = self.fill.lock();
            let f = &mut *guard;
            if f.pool.as_ref().is_some_and(|p| !p.same(&pool)) {
                // One pool per block: write the other pool's objects first.
                let full = core::mem::take(f);
                drop(guard);
                self.write(t, full);
                continue;
            }
            // A block has its page and its physical slot before its first object: a failure
            // to get either leaves the writeback to zswap, before anything was taken.
            if f.buf.is_none() {
                if let Some(buf) = spare.take() {
                    f.buf = Some(buf);
                }
            }
            if f.slot.is_none() {
                if let Some(slot) = spare_slot.take() {
                    f.slot = Some(slot);
                }
            }
            let (Some(buf), Some(_)) = (f.buf.as_mut(), f.slot.as_ref()) else {
                // Allocated without the lock: they may reclaim, and reclaim may pack.
                let (need_buf, need_slot) = (f.buf.is_none(), f.slot.is_none());
                drop(guard);
                if need_buf {
                    spare = Some(BlockBuf::new()?);
                }
                if need_slot {
                    let slot = BlockSlot::new().inspect_err(|_| {
                        self.stats.no_block.fetch_add(1, Relaxed);
                    })?;
                    // A PACKED word holds a 32-bit slot; slot 0 is a header, never allocated.
                    if u32::try_from(slot.slot().offset).is_err() {
                        self.stats.no_block.fetch_add(1, Relaxed);
                        return Err(EFBIG);
                    }
                    spare_slot = Some(slot);
                }
                continue;
            };
            let room = usize::from(f.occ.room()) * SECTOR_BYTES as usize;
            let at = bindings::PAGE_SIZE - room;
            let cap = room.min(usize::from(PACK_MAX_LEN));
            let Some(dst) = buf.bytes_mut().get_mut(at..at + cap) else {
                return Err(EINVAL);
            };
            // SAFETY: By the safety requirements `entry` is the entry of this `ops->pack` call.
            let len = unsafe { zswap_copy(entry, dst) };
            if len > usize::from(PACK_MAX_LEN) {
                // Longer than a block takes: zswap writes it back itself.
                self.stats.unpackable.fetch_add(1, Relaxed);
                return Err(E2BIG);
            }
            let Ok(len) = u16::try_from(len) else {
                return Err(EINVAL);
            };
            if len == 0 || usize::from(len) > cap {
                if f.nr == 0 {
                    return Err(EINVAL);
                }
                // It does not fit what is left: write the block, and start another.
                let full = core::mem::take(f);
                drop(guard);
                self.write(t, full);
                continue;
            }
            let sector = f.occ.append(len, owner).map_err(|_| EINVAL)?;
            let Some(slot) = f.objects.get_mut(f.nr) else {
                return Err(EINVAL);
            };
            // SAFETY: By the safety requirements these are the arguments of this `ops->pack`
            // call, which returns `Ok` below: they are ours now.
            let token = unsafe { PackToken::new(entry, folio) }.ok_or(EINVAL)?;
            // INVARIANT: The next object, appended above, with its data copied at its sector
            // and the block's pool (set below if it is the first).
            *slot = Some(Pending {
                token,
                owner,
                sector,
                len,
            });
            f.nr += 1;
            if f.pool.is_none() {
                f.pool = Some(pool);
            }
            if f.occ.room() == 0 {
                let full = core::mem::take(f);
                drop(guard);
                self.write(t, full);
            }
            return Ok(());
        }
    }

    /// `ops->pack_flush`: writes the open block, if it holds anything.
    pub(crate) fn flush(&self, t: &KernelVtable) {
        let full = core::mem::take(&mut *self.fill.lock());
        self.write(t, full);
    }

    /// Whether nothing is open and no block is left: at detach, every slot was freed, so
    /// nothing may be.
    pub(crate) fn idle(&self) -> bool {
        self.fill.lock().nr == 0 && self.stats.blocks_in_use.load(Relaxed) == 0
    }

    /// Writes a block that was being filled, then switches its objects' words. Process
    /// context, no lock held.
    fn write(&self, t: &KernelVtable, mut full: Fill) {
        if full.nr == 0 {
            return;
        }
        let (Some(mut buf), Some(pool), Some(slot)) =
            (full.buf.take(), full.pool.take(), full.slot.take())
        else {
            return;
        };
        kernel::warn_on!(full.occ.seal().is_err());
        // On an error `slot` is dropped, which frees it.
        let phys = block_write(slot.slot(), &mut buf).map(|()| slot.keep());
        drop(buf);
        let registered = phys.and_then(|p| {
            kernel::warn_on!(full.occ.written().is_err());
            let block = KBox::new(
                Committed {
                    occ: full.occ,
                    pool,
                },
                GFP_KERNEL,
            );
            let stored = match block {
                Ok(block) => self
                    .blocks
                    .lock()
                    .store(block_key(p.ty, p.offset as u32), block, GFP_KERNEL)
                    .map_err(|e| e.error),
                Err(e) => Err(e.into()),
            };
            match stored {
                Ok(old) => {
                    // A slot is never two blocks at once.
                    kernel::warn_on!(old.is_some());
                    Ok(p)
                }
                Err(e) => {
                    kernel::warn_on!(!block_free(p));
                    Err(e)
                }
            }
        });
        let objects = full
            .objects
            .iter_mut()
            .take(full.nr)
            .filter_map(Option::take);
        let Ok(p) = registered else {
            if full.occ.phase() == Phase::Writing {
                kernel::warn_on!(full.occ.failed().is_err());
            }
            // Every entry stays in zswap; dropping the tokens lets the folios go.
            self.stats.write_failed.fetch_add(full.nr as u64, Relaxed);
            objects.for_each(drop);
            return;
        };
        self.stats.blocks_written.fetch_add(1, Relaxed);
        self.stats.blocks_in_use.fetch_add(1, Relaxed);
        for o in objects {
            let loc = PackedLoc {
                ty: p.ty,
                block: p.offset as u32,
                sector: o.sector,
                len: o.len,
            };
            let switched = match (
                Word::zswap_entry(o.token.entry()),
                Word::encode(Slot::Packed(loc)),
            ) {
                (Some(old), Ok(new)) => t.replace(u64::from(o.owner), old, new, &rcu::read_lock()),
                _ => false,
            };
            if switched {
                self.stats.objects_written.fetch_add(1, Relaxed);
                self.stats
                    .bytes_written
                    .fetch_add(u64::from(o.len), Relaxed);
            } else {
                // The folio lock kept the word: this cannot happen.
                kernel::warn_on!(true);
                self.stats.write_failed.fetch_add(1, Relaxed);
                self.drop_object(loc, o.owner);
            }
            o.token.done(switched);
        }
    }

    /// The object at `loc`, of slot `owner`, is gone: its word was replaced or erased. Frees
    /// the block with its last object. Never sleeps.
    pub(crate) fn drop_object(&self, loc: PackedLoc, owner: u32) {
        let key = block_key(loc.ty, loc.block);
        let mut blocks = self.blocks.lock();
        let dropped = blocks
            .get_mut(key)
            .map(|b| b.occ.drop_object(loc.sector, loc.sectors(), owner));
        match dropped {
            Some(Ok(false)) => {}
            Some(Ok(true)) => {
                let block = blocks.remove(key);
                drop(blocks);
                kernel::warn_on!(!block_free(PhysSlot {
                    ty: loc.ty,
                    offset: u64::from(loc.block),
                }));
                self.stats.blocks_in_use.fetch_sub(1, Relaxed);
                self.stats.blocks_freed.fetch_add(1, Relaxed);
                // Unpins its pool.
                drop(block);
            }
            Some(Err(_)) | None => {
                drop(blocks);
                kernel::warn_on!(true);
                self.stats.drop_mismatch.fetch_add(1, Relaxed);
            }
        }
    }

    /// Where the packed data of slot `owner` at `loc` is: `struct vswap_packed`. Never sleeps.
    pub(crate) fn lookup(&self, loc: PackedLoc, owner: u32) -> Option<bindings::vswap_packed> {
        let blocks = self.blocks.lock();
        let pool = match blocks.get(block_key(loc.ty, loc.block)) {
            Some(block) if block.occ.owned_by(loc.sector, owner) => block.pool.as_ptr(),
            // A PACKED word whose block does not hold it: a bug. The read fails (no pool)
            // rather than returning another slot's bytes.
            _ => {
                kernel::warn_on!(true);
                core::ptr::null_mut()
            }
        };
        Some(bindings::vswap_packed {
            block: crate::sys::swp_entry(PhysSlot {
                ty: loc.ty,
                offset: u64::from(loc.block),
            }),
            offset: u32::from(loc.sector) * SECTOR_BYTES,
            length: u32::from(loc.len),
            pool,
        })
    }

    /// The slots whose data is in the written block at `p`, into `out`; returns how many. None
    /// for a block being written (its objects have no PACKED word yet). Never sleeps.
    pub(crate) fn owners(&self, p: PhysSlot, out: &mut [usize]) -> usize {
        let Ok(block) = u32::try_from(p.offset) else {
            return 0;
        };
        let blocks = self.blocks.lock();
        let Some(b) = blocks.get(block_key(p.ty, block)) else {
            return 0;
        };
        if b.occ.phase() != Phase::Committed {
            return 0;
        }
        let mut n = 0;
        for ((_, owner), o) in b.occ.owners().zip(out.iter_mut()) {
            *o = owner as usize;
            n += 1;
        }
        n
    }
}
