// SPDX-License-Identifier: GPL-2.0

//! The vswap backend: what the swap core asks of the module once `/dev/vswap0` is swapped on.
//!
//! `attach` builds the vtable for the device's slots and `detach` checks that it is empty and
//! frees it. In between, zswap keeps its entries for vswap slots in the vtable instead of its
//! xarrays (`zswap_load`, `zswap_store`, `zswap_erase`), with the same contract: store returns
//! the entry it replaces, erase the entry it removes, and nothing blocks.
//!
//! Physical backing: `alloc_phys` gives a slot a physical slot from an ordinary swap device
//! (zswap rejected the page, or zswap writes it back), `lookup_phys` tells the swap core where
//! to read and write, and `release_phys` hands the physical slot back when swapoff of that device
//! moves the data to memory (or marks the slot LOST when that read failed). A PHYS word that is
//! replaced or erased frees its physical slot; when slots are freed (`free_range`), the swap core
//! frees their physical slots itself, in batches (see `phys.rs` for who hands back what).
//!
//! Locking: none of our own. Attach and detach are serialised by the swap core; the hooks run
//! between them, serialised per slot by the swap core (the folio lock or the slot being freed),
//! and the vtable is lock-free. Lookups run inside an RCU read-side critical section, which is
//! what lets the vtable free an emptied leaf while other slots are being looked up.

use crate::{
    ktable::{
        AttachedTable,
        KernelVtable, //
    },
    pack::Packer,
    packed::PackedLoc,
    phys::{
        owed_by,
        PhysStats, //
    },
    sys::{
        free_backing,
        KernelLeaves,
        SwapCacheFolio, //
    },
    vtable::{
        Cluster,
        Stats,
        StoreError,
        Table,
        LEAF_SLOTS, //
    },
    word::{
        PhysSlot,
        Slot,
        Word, //
    },
};
use core::sync::atomic::{
    AtomicI32,
    AtomicU64,
    Ordering::Relaxed, //
};
use kernel::{
    prelude::*,
    sync::{
        rcu,
        Arc, //
    },
};

/// The backend of one vswap device.
pub(crate) struct Backend {
    /// The vtable while the device is swapped on.
    pub(crate) table: AttachedTable,
    /// The vtable's counters, kept across attach and detach.
    pub(crate) stats: Arc<Stats>,
    /// The swap type while attached, else -1.
    pub(crate) swap_type: AtomicI32,
    /// Slots of the attached device.
    pub(crate) nr_slots: AtomicU64,
    /// Folios that zswap rejected and that stayed resident, as there is no physical backend.
    pub(crate) rejected_resident: AtomicU64,
    /// Times the device was swapped on.
    pub(crate) attaches: AtomicU64,
    /// Words found in the vtable at detach (a leak; must stay zero).
    pub(crate) leaked_at_detach: AtomicU64,
    /// Physical backing counters, kept across attach and detach.
    pub(crate) phys: PhysStats,
    /// Packed writeback, when the `pack` parameter turned it on.
    pub(crate) packer: Option<Pin<KBox<Packer>>>,
}

impl Backend {
    /// A backend with no device attached, packing zswap writeback if `pack`.
    pub(crate) fn new(pack: bool) -> Result<Arc<Self>> {
        let packer = if pack {
            Some(KBox::pin_init(Packer::new(), GFP_KERNEL)?)
        } else {
            None
        };
        Ok(Arc::new(
            Backend {
                table: AttachedTable::new(),
                stats: Arc::new(Stats::new(crate::sys::this_cpu), GFP_KERNEL)?,
                swap_type: AtomicI32::new(-1),
                nr_slots: AtomicU64::new(0),
                rejected_resident: AtomicU64::new(0),
                attaches: AtomicU64::new(0),
                leaked_at_detach: AtomicU64::new(0),
                phys: PhysStats::new(),
                packer,
            },
            GFP_KERNEL,
        )?)
    }

    /// `swapon`: builds the vtable for `nr_pages` slots of swap type `ty`.
    pub(crate) fn attach(&self, ty: u32, nr_pages: u64) -> Result {
        let clusters = usize::try_from(nr_pages.div_ceil(LEAF_SLOTS as u64))?;
        let mut dir = KVVec::with_capacity(clusters, GFP_KERNEL)?;
        for _ in 0..clusters {
            dir.push(Cluster::new(), GFP_KERNEL)?;
        }
        let table = KBox::new(
            Table::new(dir, KernelLeaves, self.stats.clone()),
            GFP_KERNEL,
        )?;
        let dir_bytes = table.metadata_bytes();
        let slots = table.slots();
        self.table.install(table).map_err(|_| EBUSY)?;
        self.swap_type.store(ty.try_into()?, Relaxed);
        self.nr_slots.store(nr_pages, Relaxed);
        self.attaches.fetch_add(1, Relaxed);
        pr_info!(
            "swapon: swap type {ty}, {nr_pages} virtual slots ({slots} in the vtable), \
             {dir_bytes} bytes of vtable directory\n"
        );
        Ok(())
    }

    /// `swapoff`: every slot is free; frees the vtable.
    pub(crate) fn detach(&self) {
        let Some(mut table) = self.table.take() else {
            kernel::warn_on!(true);
            return;
        };
        let t = table.teardown();
        if t.words_left != 0 {
            pr_err!(
                "swapoff: {} vtable words left behind: their data is lost\n",
                t.words_left
            );
            self.leaked_at_detach.fetch_add(t.words_left, Relaxed);
            kernel::warn_on!(true);
        }
        drop(table);
        // Every slot was freed: nothing can be packed, and every block was freed with its
        // last object.
        if let Some(packer) = &self.packer {
            kernel::warn_on!(!packer.idle());
        }
        self.swap_type.store(-1, Relaxed);
        self.nr_slots.store(0, Relaxed);
        pr_info!("swapoff: vtable freed ({} leaves)\n", t.leaves);
    }

    /// The vswap swap type, while attached.
    fn vtype(&self) -> u8 {
        u8::try_from(self.swap_type.load(Relaxed)).unwrap_or(u8::MAX)
    }

    /// Frees physical slot `p`, which backed slot `offset`, and counts it.
    fn free_phys(&self, p: PhysSlot, offset: u64) {
        self.phys.released(p, free_backing(p, self.vtype(), offset));
    }

    /// Drops packed object `loc` of slot `offset` from its block (the block goes with its last
    /// object). Never sleeps.
    fn drop_packed(&self, offset: u64, loc: PackedLoc) {
        match (&self.packer, u32::try_from(offset)) {
            (Some(packer), Ok(owner)) => packer.drop_object(loc, owner),
            // Only a packer writes PACKED words, for slots it can name.
            _ => {
                kernel::warn_on!(true);
            }
        }
    }

    /// Hands back what the old word `old` of slot `offset` named: frees its physical slot, if
    /// any, drops its packed object, if any, and returns its zswap entry (or 0) for the caller
    /// to give back to zswap.
    fn release_old(&self, offset: u64, old: Word) -> usize {
        let d = owed_by(old.decode());
        if let Some(p) = d.phys {
            self.free_phys(p, offset);
        }
        if let Some(loc) = d.packed {
            self.drop_packed(offset, loc);
        }
        d.zswap as usize
    }

    /// The zswap entry of slot `offset`, or 0 (also for a PHYS slot: a zswap miss).
    pub(crate) fn zswap_load(t: &KernelVtable, offset: u64) -> usize {
        match t.load(offset, &rcu::read_lock()).decode() {
            Slot::Zswap(p) => p.get() as usize,
            Slot::None | Slot::Phys(_) | Slot::Lost | Slot::Packed(_) => 0,
        }
    }

    /// Stores zswap entry `entry` for slot `offset`; returns the entry it replaces (or 0). A
    /// physical slot that backed it is freed: the page is being written out again.
    pub(crate) fn zswap_store(&self, t: &KernelVtable, offset: u64, entry: usize) -> Result<usize> {
        let word = Word::zswap_entry(entry).ok_or(EINVAL)?;
        match t.store(offset, word, rcu::read_lock) {
            Ok(old) => {
                if let Slot::Phys(_) = old.decode() {
                    self.phys.replaced_by_zswap.fetch_add(1, Relaxed);
                }
                Ok(self.release_old(offset, old))
            }
            Err(e) => Err(store_errno(e)),
        }
    }

    /// Forgets what slot `offset` maps to; returns its zswap entry (or 0) and frees a physical
    /// slot that backed it. Never sleeps.
    pub(crate) fn zswap_erase(&self, t: &KernelVtable, offset: u64) -> usize {
        let old = t.erase(offset, &rcu::read_lock());
        self.release_old(offset, old)
    }

    /// Slots `first..first + nr` are being freed: forgets them, and calls `f(i, zswap, phys)`
    /// for each slot `first + i` that mapped something: its zswap entry (or 0) and the physical
    /// slot that backed it, which the caller frees with the others (checking its rmap entry
    /// first, as [`free_backing`] does). Counted as released here. Never sleeps.
    pub(crate) fn free_range(
        &self,
        t: &KernelVtable,
        first: u64,
        nr: usize,
        mut f: impl FnMut(usize, usize, Option<PhysSlot>),
    ) {
        // Physical slots released, counted a run of one swap type at a time.
        let mut run: Option<(u8, u64)> = None;
        t.erase_range(first, nr, &rcu::read_lock(), |i, word| {
            let d = owed_by(word.decode());
            if let Some(p) = d.phys {
                run = match run {
                    Some((ty, n)) if ty == p.ty => Some((ty, n + 1)),
                    other => {
                        if let Some((ty, n)) = other {
                            self.phys.released_many(ty, n);
                        }
                        Some((p.ty, 1))
                    }
                };
            }
            if let Some(loc) = d.packed {
                self.drop_packed(first + i as u64, loc);
            }
            f(i, d.zswap as usize, d.phys);
        });
        if let Some((ty, n)) = run {
            self.phys.released_many(ty, n);
        }
    }

    /// Backs slot `offset`, whose swap cache folio is `folio`, with a physical slot, if the slot
    /// maps zswap entry `expected` now (or nothing, or LOST, when `expected` is 0).
    ///
    /// The slot is checked before anything is allocated: a stale zswap LRU entry costs nothing.
    /// On success the caller owns `expected`; on error the slot is as it was.
    pub(crate) fn alloc_phys(
        &self,
        t: &KernelVtable,
        offset: u64,
        folio: &SwapCacheFolio<'_>,
        expected: usize,
    ) -> Result {
        let want = match expected {
            0 => None,
            e => Some(Word::zswap_entry(e).ok_or(EINVAL)?),
        };
        let old = t.load(offset, &rcu::read_lock());
        let valid = match want {
            Some(w) => old == w,
            // The swap-out fallback: zswap_store() failing left nothing (a LOST word stays
            // until the slot is written again, which this is).
            None => old.is_none() || old == Word::LOST,
        };
        if !valid {
            self.phys.stale();
            return Err(ENOENT);
        }
        let old_slot = old.decode();
        let p = folio.alloc_backing(self.vtype(), offset).inspect_err(|_| {
            self.phys.alloc_failed(old_slot);
        })?;
        let switched = Word::encode(Slot::Phys(p))
            .map_err(|_| EINVAL)
            .and_then(|word| {
                if old.is_none() {
                    // The folio lock keeps the slot's word: the store replaces NONE.
                    let prev = t.store(offset, word, rcu::read_lock).map_err(store_errno)?;
                    kernel::warn_on!(!prev.is_none());
                    Ok(())
                } else if t.replace(offset, old, word, &rcu::read_lock()) {
                    Ok(())
                } else {
                    // Cannot happen under the folio lock; leave the slot alone.
                    kernel::warn_on!(true);
                    Err(EBUSY)
                }
            });
        match switched {
            Ok(()) => {
                self.phys.allocated(p, old_slot);
                Ok(())
            }
            Err(e) => {
                // The slot keeps its word: give the physical slot back. It was never counted
                // as in use, so it is not counted as released either.
                if !free_backing(p, self.vtype(), offset) {
                    self.phys.free_mismatch.fetch_add(1, Relaxed);
                }
                self.phys.alloc_failed(old_slot);
                Err(e)
            }
        }
    }

    /// The physical slot backing slot `offset` now, if any: a lockless hint for choosing how to
    /// do I/O, asked of any slot.
    pub(crate) fn peek_phys(t: &KernelVtable, offset: u64) -> Option<PhysSlot> {
        io_slot(t.load(offset, &rcu::read_lock()).decode())
    }

    /// The physical slot backing slot `offset`, to read it from.
    ///
    /// Unlike [`Backend::peek_phys`], the swap core asks only for a slot that zswap does not
    /// hold and that is not zero-filled: it is PHYS, or LOST (the read then fails). NONE or
    /// ZSWAP is a bug, reported here; the read fails either way.
    pub(crate) fn lookup_phys(t: &KernelVtable, offset: u64) -> Option<PhysSlot> {
        let slot = t.load(offset, &rcu::read_lock()).decode();
        kernel::warn_on!(matches!(slot, Slot::None | Slot::Zswap(_)));
        io_slot(slot)
    }

    /// `ops->lookup_packed`: where the packed data of slot `offset` is, if it is packed.
    pub(crate) fn lookup_packed(
        &self,
        t: &KernelVtable,
        offset: u64,
    ) -> Option<kernel::bindings::vswap_packed> {
        let Slot::Packed(loc) = t.load(offset, &rcu::read_lock()).decode() else {
            return None;
        };
        self.packer
            .as_ref()?
            .lookup(loc, u32::try_from(offset).ok()?)
    }

    /// Swapoff of a physical device: if slot `offset` is backed by `p`, unmap and free `p`.
    ///
    /// The data is now in the slot's swap cache folio, unless reading it failed (`lost`): then
    /// the slot becomes LOST, and reads of it fail from now on, as a stock swapoff poisons the
    /// page table entry of a page it cannot read.
    pub(crate) fn release_phys(
        &self,
        t: &KernelVtable,
        offset: u64,
        p: PhysSlot,
        lost: bool,
    ) -> bool {
        let rcu = rcu::read_lock();
        let word = t.load(offset, &rcu);
        // A slot backed by `p`, or whose packed data is in the block at `p`.
        let held = match word.decode() {
            Slot::Phys(q) => q == p,
            Slot::Packed(loc) => loc.ty == p.ty && u64::from(loc.block) == p.offset,
            Slot::None | Slot::Zswap(_) | Slot::Lost => false,
        };
        // The folio lock keeps the word: the replace or erase takes exactly the word above.
        let released = held
            && if lost {
                t.replace(offset, word, Word::LOST, &rcu)
            } else {
                let old = t.erase(offset, &rcu);
                kernel::warn_on!(old != word);
                old == word
            };
        drop(rcu);
        if !released {
            return false;
        }
        match word.decode() {
            Slot::Packed(loc) => self.drop_packed(offset, loc),
            _ => self.free_phys(p, offset),
        }
        let counter = if lost {
            &self.phys.swapoff_lost
        } else {
            &self.phys.swapoff_moved
        };
        counter.fetch_add(1, Relaxed);
        true
    }

    /// Swapoff of `from`'s device copied slot `offset`'s data to `to` (allocated for this slot,
    /// written): maps the slot to `to` and frees `from`. False, and nothing changes, if the
    /// slot does not map `from`; the caller then frees `to`. Called with the slot's swap cache
    /// folio locked, which keeps the word. Never sleeps.
    pub(crate) fn move_phys(
        &self,
        t: &KernelVtable,
        offset: u64,
        from: PhysSlot,
        to: PhysSlot,
    ) -> bool {
        let (Ok(old), Ok(new)) = (Word::encode(Slot::Phys(from)), Word::encode(Slot::Phys(to)))
        else {
            return false;
        };
        if !t.replace(offset, old, new, &rcu::read_lock()) {
            return false;
        }
        self.phys.relocated(to);
        self.free_phys(from, offset);
        true
    }

    /// zswap rejected a folio and no physical slot took it: it stays resident.
    pub(crate) fn kept_resident(&self) {
        self.rejected_resident.fetch_add(1, Relaxed);
    }
}

/// The physical slot I/O for a slot goes to: its own, or its packed data's block.
fn io_slot(slot: Slot) -> Option<PhysSlot> {
    match slot {
        Slot::Packed(loc) => Some(PhysSlot {
            ty: loc.ty,
            offset: u64::from(loc.block),
        }),
        other => other.phys(),
    }
}

/// The errno of a failed vtable store. A leaf that stays busy being retired counts as no memory
/// for the word: zswap expects `ENOMEM` from a store (anything else warns) and rejects the page.
fn store_errno(e: StoreError) -> Error {
    match e {
        StoreError::NoMemory | StoreError::Busy => ENOMEM,
        StoreError::OutOfRange => EINVAL,
    }
}
