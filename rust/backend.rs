// SPDX-License-Identifier: GPL-2.0

//! The vswap backend: what the swap core asks of the module once `/dev/vswap0` is swapped on.
//!
//! `attach` builds the vtable for the device's slots and `detach` checks that it is empty and
//! frees it. In between, zswap keeps its entries for vswap slots in the vtable instead of its
//! xarrays (`zswap_load`, `zswap_store`, `zswap_erase`), with the same contract: store returns
//! the entry it replaces, erase the entry it removes, and nothing blocks.
//!
//! Locking: none of our own. Attach and detach are serialised by the swap core; the hooks run
//! between them, serialised per slot by the swap core (the folio lock or the slot being freed),
//! and the vtable is lock-free. Lookups run inside an RCU read-side critical section, which is
//! what lets the vtable free an emptied leaf while other slots are being looked up.

use crate::{
    ffi::{
        AttachedTable,
        KTable,
        KernelLeaves, //
    },
    vtable::{
        Cluster,
        Stats,
        StoreError,
        Table,
        LEAF_SLOTS, //
    },
    word::{
        Slot,
        Word, //
    },
};
use core::{
    num::NonZeroU64,
    sync::atomic::{
        AtomicI32,
        AtomicU64,
        Ordering::Relaxed, //
    },
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
}

impl Backend {
    /// A backend with no device attached.
    pub(crate) fn new() -> Result<Arc<Self>> {
        Ok(Arc::new(
            Backend {
                table: AttachedTable::new(),
                stats: Arc::new(Stats::default(), GFP_KERNEL)?,
                swap_type: AtomicI32::new(-1),
                nr_slots: AtomicU64::new(0),
                rejected_resident: AtomicU64::new(0),
                attaches: AtomicU64::new(0),
                leaked_at_detach: AtomicU64::new(0),
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
        self.swap_type.store(-1, Relaxed);
        self.nr_slots.store(0, Relaxed);
        pr_info!("swapoff: vtable freed ({} leaves)\n", t.leaves);
    }

    /// The zswap entry a word names, or 0.
    fn zswap_entry(word: Word) -> usize {
        match word.decode() {
            Slot::Zswap(p) => p.get() as usize,
            Slot::None => 0,
            Slot::Phys(_) => {
                // No physical backend exists yet, so no PHYS word either.
                kernel::warn_on!(true);
                0
            }
        }
    }

    /// The zswap entry of slot `offset`, or 0.
    pub(crate) fn zswap_load(t: &KTable, offset: u64) -> usize {
        let _rcu = rcu::read_lock();
        Self::zswap_entry(t.load(offset))
    }

    /// Stores zswap entry `entry` for slot `offset`; returns the entry it replaces (or 0).
    pub(crate) fn zswap_store(t: &KTable, offset: u64, entry: usize) -> Result<usize> {
        let word = NonZeroU64::new(entry as u64)
            .and_then(|p| Word::encode(Slot::Zswap(p)).ok())
            .ok_or(EINVAL)?;
        match t.store(offset, word, rcu::read_lock) {
            Ok(old) => Ok(Self::zswap_entry(old)),
            Err(StoreError::NoMemory) => Err(ENOMEM),
            Err(StoreError::OutOfRange) => Err(EINVAL),
        }
    }

    /// Removes the zswap entry of slot `offset` and returns it (or 0). Never sleeps.
    pub(crate) fn zswap_erase(t: &KTable, offset: u64) -> usize {
        let _rcu = rcu::read_lock();
        Self::zswap_entry(t.erase(offset))
    }

    /// zswap rejected a folio and it stays resident.
    pub(crate) fn writeout_rejected(&self) {
        self.rejected_resident.fetch_add(1, Relaxed);
    }
}
