// SPDX-License-Identifier: GPL-2.0

//! The vtable: one [`Word`] per virtual slot, in per-cluster leaves allocated on demand.
//!
//! ```text
//!   clusters[]   one per 512 slots, allocated at attach: 16 bytes each
//!   +---------+-------+
//!   | leaf ---+ holds |--> Leaf: 512 x AtomicU64 (one page), allocated on the first store,
//!   +---------+-------+          freed (after an RCU grace period) when its last word is erased
//! ```
//!
//! Lookups are lock-free: a reader loads the leaf pointer and then the word, inside an RCU
//! read-side critical section that the caller provides and proves with a [`ReadSide`] guard.
//! Every word changes with one atomic exchange, so a reader sees the old or the new word, never
//! a torn one.
//!
//! A cluster's `holds` counts what keeps its leaf: one per non-NONE word, and one per store in
//! flight. A store first takes a reference on the leaf (`holds + 1`), so that a concurrent erase that empties the leaf cannot free it under the store;
//! an erase that brings `holds` to zero marks the leaf [`DEAD`] with a compare-exchange (which
//! fails if a store took a reference meanwhile), unpublishes it and hands it to
//! [`Leaves::retire`], which frees it once no reader can see it. A store that finds a DEAD leaf
//! waits for it to be unpublished and allocates a new one.
//!
//! Slot operations are serialised by the kernel per slot (the swap cache folio lock, or the slot
//! being freed), exactly as zswap's xarray relies on; the vtable only has to keep concurrent
//! operations on *different* slots of one leaf apart, which the protocol above does.
//!
//! This file is plain `core` Rust: it is compiled into the module and into the host test crate
//! under `rust/host/`, where `cargo test` exercises it, threads included. Its `unsafe` is the
//! lock-free leaf protocol above (leaf pointers read under [`ReadSide`], retired through
//! [`Leaves`]); everything that touches C is in `sys.rs` and `ktable.rs`.

use crate::word::Word;
use core::ops::Deref;
use core::ptr::{
    self,
    NonNull, //
};
use core::sync::atomic::{
    AtomicPtr,
    AtomicU32,
    AtomicU64,
    Ordering::{
        AcqRel,
        Acquire,
        Relaxed,
        Release, //
    }, //
};

/// Proof that the caller is inside an RCU read-side critical section: a leaf that is retired
/// meanwhile is not freed before the section ends (see [`Leaves::retire`]).
///
/// # Safety
///
/// A value of the implementing type exists only inside such a critical section, which lasts at
/// least as long as the value.
pub(crate) unsafe trait ReadSide {}

/// How many times a store looks again at a leaf that is being retired before it gives up with
/// [`StoreError::Busy`]. Retiring takes a few instructions, so this is never reached unless the
/// retiring thread is preempted in that window; then the store fails rather than spin on.
const DEAD_SPINS: u32 = 1 << 16;

/// Slots per leaf: one swap cluster.
pub(crate) const LEAF_SLOTS: usize = 512;
/// Set in [`Cluster::holds`] once the leaf is being retired.
pub(crate) const DEAD: u32 = 1 << 31;

/// The words of one cluster: exactly one page.
#[repr(C, align(4096))]
pub(crate) struct Leaf {
    words: [AtomicU64; LEAF_SLOTS],
}

/// The per-cluster entry of the directory.
pub(crate) struct Cluster {
    /// The leaf, or null while the cluster has no word other than NONE.
    leaf: AtomicPtr<Leaf>,
    /// What keeps the leaf: one per non-NONE word and one per store in progress; and [`DEAD`]
    /// once the leaf is being retired.
    holds: AtomicU32,
}

impl Cluster {
    /// An empty cluster: no leaf.
    pub(crate) const fn new() -> Cluster {
        Cluster {
            leaf: AtomicPtr::new(ptr::null_mut()),
            holds: AtomicU32::new(0),
        }
    }
}

/// How leaves are allocated and freed: the kernel and the host tests differ here only.
pub(crate) trait Leaves {
    /// Allocates a zeroed (all NONE) leaf. May sleep.
    fn alloc(&self) -> Option<NonNull<Leaf>>;

    /// Frees a leaf that no reader can reach.
    ///
    /// # Safety
    ///
    /// `leaf` came from [`Leaves::alloc`] and was never published, or every reader is gone.
    unsafe fn free_now(&self, leaf: NonNull<Leaf>);

    /// Frees an unpublished leaf once every reader that may still see it is gone. It runs where
    /// an erase runs, under the swap cluster lock of the slot, so it must neither sleep nor
    /// allocate, and it cannot fail: whatever it needs comes with the leaf.
    ///
    /// # Safety
    ///
    /// `leaf` came from [`Leaves::alloc`] and is no longer reachable from the directory.
    unsafe fn retire(&self, leaf: NonNull<Leaf>);
}

/// How many ways the counters that every load, store and erase updates are split: an update
/// goes to the shard of the CPU it runs on, so that CPUs do not bounce one cache line between
/// them; a read adds the shards up.
pub(crate) const SHARDS: usize = 16;

/// The counters every load, store and erase updates: one set per shard, each on a cache line
/// of its own. KindCounts go down by adding `u64::MAX`; the sum over the shards wraps back.
#[derive(Default)]
#[repr(align(64))]
pub(crate) struct ShardCounters {
    /// Slots whose word is ZSWAP (a gauge).
    zswap_slots: AtomicU64,
    /// Slots whose word is PHYS (a gauge).
    phys_slots: AtomicU64,
    /// Slots whose word is LOST (a gauge).
    lost_slots: AtomicU64,
    /// Slots whose word is PACKED (a gauge).
    packed_slots: AtomicU64,
    /// Words stored.
    stores: AtomicU64,
    /// Lookups.
    loads: AtomicU64,
    /// Lookups that found NONE.
    load_misses: AtomicU64,
    /// Erases that removed a word.
    erases: AtomicU64,
}

/// Words of each kind, counted locally by [`Table::erase_range`] before one update of [`ShardCounters`].
#[derive(Default)]
struct KindCounts {
    zswap: u64,
    phys: u64,
    lost: u64,
    packed: u64,
}

impl KindCounts {
    fn add(&mut self, word: Word) {
        use crate::word::Slot;
        match word.decode() {
            Slot::None => {}
            Slot::Zswap(_) => self.zswap += 1,
            Slot::Phys(_) => self.phys += 1,
            Slot::Lost => self.lost += 1,
            Slot::Packed(_) => self.packed += 1,
        }
    }

    fn total(&self) -> u64 {
        self.zswap + self.phys + self.lost + self.packed
    }
}

/// Counters of the table; readable at any time, and kept across attach and detach.
pub(crate) struct Stats {
    /// The hot counters, by shard.
    hot: [ShardCounters; SHARDS],
    /// The CPU the caller runs on (any number: it is taken modulo [`SHARDS`]).
    cpu: fn() -> usize,
    /// Bytes of the directory of the attached table (a gauge).
    pub(crate) dir_bytes: AtomicU64,
    /// Leaves allocated now (a gauge).
    pub(crate) leaves: AtomicU64,
    /// Leaves that could not be allocated (the store failed).
    pub(crate) leaf_alloc_failures: AtomicU64,
    /// Leaves freed because they became empty.
    pub(crate) leaves_retired: AtomicU64,
}

impl Default for Stats {
    /// Counters that all go to one shard.
    fn default() -> Self {
        Self::new(|| 0)
    }
}

impl Stats {
    /// Counters sharded by `cpu`, which says which CPU the caller runs on.
    pub(crate) fn new(cpu: fn() -> usize) -> Self {
        Stats {
            hot: Default::default(),
            cpu,
            dir_bytes: AtomicU64::new(0),
            leaves: AtomicU64::new(0),
            leaf_alloc_failures: AtomicU64::new(0),
            leaves_retired: AtomicU64::new(0),
        }
    }

    /// The shard of the running CPU.
    fn hot(&self) -> &ShardCounters {
        &self.hot[(self.cpu)() % SHARDS]
    }

    fn sum(&self, field: impl Fn(&ShardCounters) -> &AtomicU64) -> u64 {
        self.hot
            .iter()
            .fold(0, |acc, h| acc.wrapping_add(field(h).load(Relaxed)))
    }

    /// Slots whose word is ZSWAP.
    pub(crate) fn zswap_slots(&self) -> u64 {
        self.sum(|h| &h.zswap_slots)
    }

    /// Slots whose word is PHYS.
    pub(crate) fn phys_slots(&self) -> u64 {
        self.sum(|h| &h.phys_slots)
    }

    /// Slots whose word is LOST.
    pub(crate) fn lost_slots(&self) -> u64 {
        self.sum(|h| &h.lost_slots)
    }

    /// Slots whose word is PACKED.
    pub(crate) fn packed_slots(&self) -> u64 {
        self.sum(|h| &h.packed_slots)
    }

    /// Words stored.
    pub(crate) fn stores(&self) -> u64 {
        self.sum(|h| &h.stores)
    }

    /// Lookups.
    pub(crate) fn loads(&self) -> u64 {
        self.sum(|h| &h.loads)
    }

    /// Lookups that found NONE.
    pub(crate) fn load_misses(&self) -> u64 {
        self.sum(|h| &h.load_misses)
    }

    /// Erases that removed a word.
    pub(crate) fn erases(&self) -> u64 {
        self.sum(|h| &h.erases)
    }

    /// Bytes of metadata the table uses now: the directory and the leaves.
    pub(crate) fn metadata_bytes(&self) -> u64 {
        self.dir_bytes.load(Relaxed)
            + self.leaves.load(Relaxed) * core::mem::size_of::<Leaf>() as u64
    }
}

/// Why a store failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StoreError {
    /// The slot is beyond the table.
    OutOfRange,
    /// No memory for a new leaf.
    NoMemory,
    /// The slot's leaf was being retired for longer than [`DEAD_SPINS`] looks.
    Busy,
}

/// What [`Table::teardown`] found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Teardown {
    /// Leaves freed.
    pub(crate) leaves: u64,
    /// Words that were not NONE: a leak of whatever they pointed to.
    pub(crate) words_left: u64,
}

/// The vtable of one vswap device.
///
/// `D` owns the directory (a `KVVec<Cluster>` in the kernel, a `Vec<Cluster>` on the host);
/// `S` shares the counters with whoever reports them (an `Arc<Stats>`).
pub(crate) struct Table<D: Deref<Target = [Cluster]>, L: Leaves, S: Deref<Target = Stats>> {
    clusters: D,
    leaves: L,
    /// The table's counters.
    pub(crate) stats: S,
}

impl<D: Deref<Target = [Cluster]>, L: Leaves, S: Deref<Target = Stats>> Table<D, L, S> {
    /// A table over `clusters` (all empty), taking leaves from `leaves`.
    pub(crate) fn new(clusters: D, leaves: L, stats: S) -> Self {
        stats.dir_bytes.store(
            (clusters.len() * core::mem::size_of::<Cluster>()) as u64,
            Relaxed,
        );
        Table {
            clusters,
            leaves,
            stats,
        }
    }

    /// Number of slots the table covers.
    pub(crate) fn slots(&self) -> u64 {
        (self.clusters.len() * LEAF_SLOTS) as u64
    }

    fn locate(&self, slot: u64) -> Option<(&Cluster, usize)> {
        let idx = usize::try_from(slot / LEAF_SLOTS as u64).ok()?;
        Some((self.clusters.get(idx)?, (slot % LEAF_SLOTS as u64) as usize))
    }

    /// The word of `slot`. Lock-free, inside the RCU read-side critical section `_rcu` proves.
    pub(crate) fn load(&self, slot: u64, _rcu: &impl ReadSide) -> Word {
        let hot = self.stats.hot();
        hot.loads.fetch_add(1, Relaxed);
        let raw = self.locate(slot).map_or(0, |(c, i)| {
            let leaf = c.leaf.load(Acquire);
            if leaf.is_null() {
                0
            } else {
                // SAFETY: A published leaf stays valid for readers inside an RCU read-side
                // critical section (`_rcu`): it is retired only after it is unpublished.
                unsafe { (*leaf).words[i].load(Acquire) }
            }
        });
        if raw == 0 {
            hot.load_misses.fetch_add(1, Relaxed);
        }
        Self::word_from_raw(raw)
    }

    /// Stores `word` (not NONE) in `slot` and returns the word it replaces.
    ///
    /// May allocate a leaf (and sleep), so call it outside any RCU read-side critical section:
    /// the table enters its own through `rcu`, which is called around the lock-free part.
    pub(crate) fn store<G: ReadSide>(
        &self,
        slot: u64,
        word: Word,
        rcu: impl Fn() -> G,
    ) -> Result<Word, StoreError> {
        debug_assert!(!word.is_none());
        let (cluster, i) = self.locate(slot).ok_or(StoreError::OutOfRange)?;
        let leaf = self.get_leaf(cluster, &rcu)?;
        // We hold a reference (`holds + 1`): the leaf cannot be retired under us.
        // SAFETY: The reference keeps the leaf published, hence allocated.
        let old = unsafe { (*leaf.as_ptr()).words[i].swap(word.raw(), AcqRel) };
        if old != 0 {
            // The slot already counted in `holds`: drop our reference. It cannot reach zero.
            cluster.holds.fetch_sub(1, Release);
        }
        let hot = self.stats.hot();
        Self::count_change(hot, old, word.raw());
        hot.stores.fetch_add(1, Relaxed);
        Ok(Self::word_from_raw(old))
    }

    /// Takes a reference on the leaf of `cluster`, allocating it if there is none.
    ///
    /// The reference is counted in `holds` before the leaf is checked (or installed), so that no
    /// erase can retire the leaf in between; a reference taken on a leaf that was replaced
    /// meanwhile is given back.
    fn get_leaf<G: ReadSide>(
        &self,
        cluster: &Cluster,
        rcu: &impl Fn() -> G,
    ) -> Result<NonNull<Leaf>, StoreError> {
        let mut dead_spins = 0u32;
        loop {
            let guard = rcu();
            let cur = cluster.leaf.load(Acquire);
            if cluster.holds.fetch_add(1, AcqRel) & DEAD != 0 {
                // A leaf is being retired: back off until it is unpublished, for a while.
                cluster.holds.fetch_sub(1, Relaxed);
                drop(guard);
                dead_spins += 1;
                if dead_spins >= DEAD_SPINS {
                    return Err(StoreError::Busy);
                }
                core::hint::spin_loop();
                continue;
            }
            if let Some(cur) = NonNull::new(cur) {
                if cluster.leaf.load(Acquire) == cur.as_ptr() {
                    return Ok(cur);
                }
                drop(guard);
                self.put_ref(cluster, &rcu);
                continue;
            }
            drop(guard);
            // No leaf: allocate one (this may sleep), holding our reference on the cluster.
            let Some(new) = self.leaves.alloc() else {
                self.stats.leaf_alloc_failures.fetch_add(1, Relaxed);
                self.put_ref(cluster, &rcu);
                return Err(StoreError::NoMemory);
            };
            match cluster
                .leaf
                .compare_exchange(ptr::null_mut(), new.as_ptr(), AcqRel, Acquire)
            {
                Ok(_) => {
                    self.stats.leaves.fetch_add(1, Relaxed);
                    return Ok(new);
                }
                Err(_) => {
                    // SAFETY: `new` was never published.
                    unsafe { self.leaves.free_now(new) };
                    self.put_ref(cluster, &rcu);
                }
            }
        }
    }

    /// Drops a reference taken by [`Table::get_leaf`] that did not become a word.
    fn put_ref<G: ReadSide>(&self, cluster: &Cluster, rcu: &impl Fn() -> G) {
        if cluster.holds.fetch_sub(1, AcqRel) == 1 {
            let _guard = rcu();
            if let Some(cur) = NonNull::new(cluster.leaf.load(Acquire)) {
                self.try_retire(cluster, cur);
            }
        }
    }

    /// Removes the word of `slot` and returns it: [`Table::erase_range`] of one slot. Never
    /// sleeps or allocates. Runs inside the RCU read-side critical section `rcu` proves.
    pub(crate) fn erase(&self, slot: u64, rcu: &impl ReadSide) -> Word {
        let mut old = Word::NONE;
        self.erase_range(slot, 1, rcu, |_, word| old = word);
        old
    }

    /// Removes the words of the `nr` slots from `first` on, and calls `f(i, word)` for each word
    /// removed from slot `first + i` (NONE words are skipped). Never sleeps or allocates.
    ///
    /// What [`Table::erase`] does slot by slot, a leaf at a time: one look at the leaf, one
    /// update of its count and of the counters for all its words. Runs inside the RCU read-side
    /// critical section `_rcu` proves.
    pub(crate) fn erase_range(
        &self,
        first: u64,
        nr: usize,
        _rcu: &impl ReadSide,
        mut f: impl FnMut(usize, Word),
    ) {
        let mut gone = KindCounts::default();
        let mut done = 0usize;
        while done < nr {
            let slot = first.saturating_add(done as u64);
            let in_leaf = LEAF_SLOTS - (slot % LEAF_SLOTS as u64) as usize;
            let n = in_leaf.min(nr - done);
            let base = done;
            done += n;
            let Some((cluster, i)) = self.locate(slot) else {
                break; // Beyond the table: so is the rest.
            };
            let Some(leaf) = NonNull::new(cluster.leaf.load(Acquire)) else {
                continue;
            };
            // SAFETY: The leaf is published and we are a reader (see `erase`).
            let words = unsafe { &(*leaf.as_ptr()).words };
            let mut erased = 0u32;
            for (k, w) in words.iter().skip(i).take(n).enumerate() {
                // The slot is being freed: nothing stores to it meanwhile, so a NONE word
                // stays NONE and needs no exchange.
                if w.load(Relaxed) == 0 {
                    continue;
                }
                let old = w.swap(0, AcqRel);
                if old == 0 {
                    continue;
                }
                erased += 1;
                let word = Self::word_from_raw(old);
                gone.add(word);
                f(base + k, word);
            }
            if erased != 0 && cluster.holds.fetch_sub(erased, AcqRel) == erased {
                self.try_retire(cluster, leaf);
            }
        }
        if gone.total() != 0 {
            let hot = self.stats.hot();
            for (gauge, n) in [
                (&hot.zswap_slots, gone.zswap),
                (&hot.phys_slots, gone.phys),
                (&hot.lost_slots, gone.lost),
                (&hot.packed_slots, gone.packed),
            ] {
                if n != 0 {
                    gauge.fetch_add(n.wrapping_neg(), Relaxed);
                }
            }
            hot.erases.fetch_add(gone.total(), Relaxed);
        }
    }

    /// Replaces the word of `slot` with `new` if it is `old`, and returns whether it did.
    ///
    /// Neither word is NONE, so the slot keeps its leaf and its count: never sleeps or allocates.
    /// Runs inside the RCU read-side critical section `_rcu` proves.
    pub(crate) fn replace(&self, slot: u64, old: Word, new: Word, _rcu: &impl ReadSide) -> bool {
        if old.is_none() || new.is_none() {
            return false;
        }
        let Some((cluster, i)) = self.locate(slot) else {
            return false;
        };
        let Some(leaf) = NonNull::new(cluster.leaf.load(Acquire)) else {
            return false;
        };
        // SAFETY: The leaf is published and we are a reader (see above). A leaf retired since
        // it was loaded holds only NONE words, so the exchange below fails on it.
        let words = unsafe { &(*leaf.as_ptr()).words };
        if words[i]
            .compare_exchange(old.raw(), new.raw(), AcqRel, Acquire)
            .is_err()
        {
            return false;
        }
        let hot = self.stats.hot();
        Self::count_change(hot, old.raw(), new.raw());
        hot.stores.fetch_add(1, Relaxed);
        true
    }

    /// Retires `leaf` if it is still the (empty) leaf of `cluster`.
    fn try_retire(&self, cluster: &Cluster, leaf: NonNull<Leaf>) {
        if cluster
            .holds
            .compare_exchange(0, DEAD, AcqRel, Relaxed)
            .is_err()
        {
            return; // A store took a reference: the leaf lives on.
        }
        let unpublished = cluster
            .leaf
            .compare_exchange(leaf.as_ptr(), ptr::null_mut(), AcqRel, Relaxed)
            .is_ok();
        cluster.holds.fetch_and(!DEAD, Release);
        if !unpublished {
            return; // Another thread retired it first.
        }
        self.stats.leaves.fetch_sub(1, Relaxed);
        self.stats.leaves_retired.fetch_add(1, Relaxed);
        // SAFETY: The leaf came from `alloc` and is no longer reachable from the directory.
        unsafe { self.leaves.retire(leaf) };
    }

    /// Frees every leaf and stops counting the directory. Call it when no other operation can run
    /// (the device is detached); the table is not used afterwards.
    pub(crate) fn teardown(&mut self) -> Teardown {
        let mut t = Teardown::default();
        for cluster in self.clusters.iter() {
            let Some(leaf) = NonNull::new(cluster.leaf.swap(ptr::null_mut(), AcqRel)) else {
                continue;
            };
            // SAFETY: The leaf was published, so it is valid; nothing else runs.
            let words = unsafe { &(*leaf.as_ptr()).words };
            t.words_left += words.iter().filter(|w| w.load(Relaxed) != 0).count() as u64;
            cluster.holds.store(0, Relaxed);
            // SAFETY: Unpublished, and no reader can run during teardown.
            unsafe { self.leaves.free_now(leaf) };
            t.leaves += 1;
        }
        self.stats.leaves.store(0, Relaxed);
        self.stats.dir_bytes.store(0, Relaxed);
        t
    }

    /// Bytes of metadata the table uses now: the directory and the leaves.
    pub(crate) fn metadata_bytes(&self) -> u64 {
        self.stats.metadata_bytes()
    }

    fn count_change(hot: &ShardCounters, old: u64, new: u64) {
        use crate::word::Slot;
        for (raw, delta) in [(old, u64::MAX), (new, 1)] {
            let gauge = match Self::word_from_raw(raw).decode() {
                Slot::None => continue,
                Slot::Zswap(_) => &hot.zswap_slots,
                Slot::Phys(_) => &hot.phys_slots,
                Slot::Lost => &hot.lost_slots,
                Slot::Packed(_) => &hot.packed_slots,
            };
            gauge.fetch_add(delta, Relaxed);
        }
    }

    /// Every word in the table was stored through [`Word`], so it decodes; a word that does not
    /// is memory corruption, reported as NONE after a debug assertion.
    fn word_from_raw(raw: u64) -> Word {
        let word = Word::from_raw(raw);
        debug_assert!(word.is_ok(), "corrupt vtable word {raw:#x}");
        word.unwrap_or(Word::NONE)
    }
}
