// SPDX-License-Identifier: GPL-2.0

//! Physical backing: what each change of a vtable word owes the kernel, and its accounting.
//!
//! A virtual slot's word goes NONE -> ZSWAP -> PHYS and back (see `word.rs`). Whenever a word is
//! replaced, what the old word named must be handed back exactly once: a zswap entry to zswap
//! (which frees it), a physical slot to the swap allocator. [`owed_by`] says which, for every
//! old word; the callers then do it. Because every change is one atomic exchange on the word,
//! exactly one caller sees a given old word, so each physical slot is released exactly once.
//!
//! | operation                  | old NONE or LOST | old ZSWAP(e)         | old PHYS(p)              |
//! |----------------------------|------------------|----------------------|--------------------------|
//! | `zswap_store(e')`          | -                | return e to zswap    | free p (stale backing)   |
//! | `zswap_erase`              | -                | return e to zswap    | free p                   |
//! | `free_range` (slots freed) | -                | return e to zswap    | p to the caller, who     |
//! |                            |                  |                      | frees it in a batch      |
//! | `alloc_phys(e)` -> PHYS(p')| - (fallback)     | e to the caller, if  | refused, nothing changes |
//! |                            |                  | e is what it expects |                          |
//! | `release_phys(p)` (swapoff)| refused          | refused              | free p if it is p; the   |
//! |                            |                  |                      | word becomes NONE, or    |
//! |                            |                  |                      | LOST if the read failed  |
//! | `move_phys(p, p')`(swapoff)| refused          | refused              | if it is p: PHYS(p'),    |
//! |                            |                  |                      | free p (p' holds a copy) |
//!
//! A PACKED word (packed writeback, `pack.rs`) owes its object in a shared block: whoever
//! replaces or erases it drops the object from the block, and the drop that empties the block
//! frees its physical slot.
//!
//! [`PhysStats`] counts physical slots per swap type and what happened to them. This file is
//! plain `core` Rust, compiled into the module and into the host test crate under `rust/host/`.

use crate::{
    packed::PackedLoc,
    word::{
        PhysSlot,
        Slot,
        PHYS_TYPE_MAX, //
    },
};
use core::sync::atomic::{
    AtomicU64,
    Ordering::Relaxed, //
};

/// What the old word of a slot leaves to be handed back.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Owed {
    /// The zswap entry (its address) to give back to zswap, or 0.
    pub(crate) zswap: u64,
    /// The physical slot to free, if any.
    pub(crate) phys: Option<PhysSlot>,
    /// The packed object to drop from its block, if any.
    pub(crate) packed: Option<PackedLoc>,
}

/// What replacing or erasing a word that decoded to `old` leaves to hand back.
pub(crate) fn owed_by(old: Slot) -> Owed {
    match old {
        Slot::None | Slot::Lost => Owed::default(),
        Slot::Zswap(e) => Owed {
            zswap: e.get(),
            ..Owed::default()
        },
        Slot::Phys(p) => Owed {
            phys: Some(p),
            ..Owed::default()
        },
        Slot::Packed(loc) => Owed {
            packed: Some(loc),
            ..Owed::default()
        },
    }
}

/// Number of swap types a PHYS word can name.
pub(crate) const NR_TYPES: usize = PHYS_TYPE_MAX as usize + 1;

/// Counters of physical backing; kept across attach and detach.
pub(crate) struct PhysStats {
    /// Physical slots in use, per swap type (gauges).
    pub(crate) in_use: [AtomicU64; NR_TYPES],
    /// Physical slots allocated.
    pub(crate) alloc_ok: AtomicU64,
    /// Allocations that failed (no physical space, or no memory for the word).
    pub(crate) alloc_failed: AtomicU64,
    /// Allocations refused before allocating: the slot no longer held what the caller expected
    /// (a stale zswap LRU entry).
    pub(crate) alloc_stale: AtomicU64,
    /// Of those, allocations for zswap writeback: each one a decompression not spent.
    pub(crate) decompress_saved: AtomicU64,
    /// Slots that went from ZSWAP to PHYS (zswap writeback).
    pub(crate) writebacks: AtomicU64,
    /// Slots that went from NONE to PHYS (zswap rejected the page).
    pub(crate) fallbacks: AtomicU64,
    /// PHYS words replaced by a zswap store: the page was written out again, or a writeback
    /// was undone (decompression failed).
    pub(crate) replaced_by_zswap: AtomicU64,
    /// Physical slots freed.
    pub(crate) freed: AtomicU64,
    /// Frees the kernel refused because the slot's rmap named another owner (a leak, not a
    /// double free; must stay zero).
    pub(crate) free_mismatch: AtomicU64,
    /// Slots moved off a physical device by its swapoff (rmap walk).
    pub(crate) swapoff_moved: AtomicU64,
    /// Slots whose data that swapoff could not read (an I/O error): now LOST.
    pub(crate) swapoff_lost: AtomicU64,
    /// Slots whose data swapoff moved to a physical slot on another device, without bringing
    /// it into memory (its owner's memcg had no room for it).
    pub(crate) swapoff_relocated: AtomicU64,
}

impl PhysStats {
    /// All zero.
    pub(crate) const fn new() -> Self {
        PhysStats {
            in_use: [const { AtomicU64::new(0) }; NR_TYPES],
            alloc_ok: AtomicU64::new(0),
            alloc_failed: AtomicU64::new(0),
            alloc_stale: AtomicU64::new(0),
            decompress_saved: AtomicU64::new(0),
            writebacks: AtomicU64::new(0),
            fallbacks: AtomicU64::new(0),
            replaced_by_zswap: AtomicU64::new(0),
            freed: AtomicU64::new(0),
            free_mismatch: AtomicU64::new(0),
            swapoff_moved: AtomicU64::new(0),
            swapoff_lost: AtomicU64::new(0),
            swapoff_relocated: AtomicU64::new(0),
        }
    }

    /// `p` was allocated for a slot whose word was `old`.
    pub(crate) fn allocated(&self, p: PhysSlot, old: Slot) {
        self.alloc_ok.fetch_add(1, Relaxed);
        if let Some(c) = self.in_use.get(usize::from(p.ty)) {
            c.fetch_add(1, Relaxed);
        }
        match old {
            Slot::Zswap(_) => self.writebacks.fetch_add(1, Relaxed),
            _ => self.fallbacks.fetch_add(1, Relaxed),
        };
    }

    /// Swapoff moved a slot's data to `to`, which the kernel allocated for it on another device
    /// (the slot it left is counted by [`PhysStats::released`]).
    pub(crate) fn relocated(&self, to: PhysSlot) {
        self.alloc_ok.fetch_add(1, Relaxed);
        self.swapoff_relocated.fetch_add(1, Relaxed);
        if let Some(c) = self.in_use.get(usize::from(to.ty)) {
            c.fetch_add(1, Relaxed);
        }
    }

    /// No physical slot could be allocated for a slot whose word was `old`.
    pub(crate) fn alloc_failed(&self, old: Slot) {
        self.alloc_failed.fetch_add(1, Relaxed);
        if let Slot::Zswap(_) = old {
            self.decompress_saved.fetch_add(1, Relaxed);
        }
    }

    /// An allocation was refused before allocating: the slot no longer held what the caller
    /// expected. Neither an allocation nor a failure to find space.
    pub(crate) fn stale(&self) {
        self.alloc_stale.fetch_add(1, Relaxed);
    }

    /// `p` was handed back to the kernel; `freed` says whether the kernel freed it.
    pub(crate) fn released(&self, p: PhysSlot, freed: bool) {
        if !freed {
            self.free_mismatch.fetch_add(1, Relaxed);
            return;
        }
        self.released_many(p.ty, 1);
    }

    /// `n` slots of swap type `ty` were handed back to the kernel, which frees them: what
    /// [`PhysStats::released`] counts for each, in one update.
    pub(crate) fn released_many(&self, ty: u8, n: u64) {
        if n == 0 {
            return;
        }
        self.freed.fetch_add(n, Relaxed);
        if let Some(c) = self.in_use.get(usize::from(ty)) {
            c.fetch_sub(n, Relaxed);
        }
    }

    /// Physical slots in use on all devices.
    pub(crate) fn total_in_use(&self) -> u64 {
        self.in_use.iter().map(|c| c.load(Relaxed)).sum()
    }
}
