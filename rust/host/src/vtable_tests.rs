// SPDX-License-Identifier: GPL-2.0

//! Tests of the vtable (`rust/vtable.rs`), including concurrent callers on threads.

use crate::rng::Rng;
use crate::vtable::*;
use crate::word::{PhysSlot, Slot, Word};
use core::num::NonZeroU64;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::boxed::Box;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::vec::Vec;

/// Host leaves: retired leaves go to a graveyard, freed when the allocator is dropped, so that a
/// reader racing with a retire can never touch freed memory (the kernel uses RCU for that).
#[derive(Default)]
struct HostLeaves {
    graveyard: Mutex<Vec<usize>>,
    allocated: AtomicU64,
    freed: AtomicU64,
    fail_alloc: AtomicBool,
}

impl Leaves for &HostLeaves {
    fn alloc(&self) -> Option<NonNull<Leaf>> {
        if self.fail_alloc.load(Relaxed) {
            return None;
        }
        self.allocated.fetch_add(1, Relaxed);
        // SAFETY: Leaf has a non-zero size; all-zero atomics are valid NONE words.
        NonNull::new(unsafe { alloc_zeroed(Layout::new::<Leaf>()) }.cast())
    }
    unsafe fn free_now(&self, leaf: NonNull<Leaf>) {
        self.freed.fetch_add(1, Relaxed);
        // SAFETY: Allocated with this layout in `alloc`.
        unsafe { dealloc(leaf.as_ptr().cast(), Layout::new::<Leaf>()) };
    }
    unsafe fn retire(&self, leaf: NonNull<Leaf>) {
        self.graveyard.lock().unwrap().push(leaf.as_ptr() as usize);
    }
}

impl Drop for HostLeaves {
    fn drop(&mut self) {
        for p in self.graveyard.get_mut().unwrap().drain(..) {
            let leaf = p as *mut u64;
            // SAFETY: Retired leaves are unreachable and all NONE by the retire protocol.
            let words = unsafe { std::slice::from_raw_parts(leaf, 512) };
            assert!(words.iter().all(|&w| w == 0), "a retired leaf holds words");
            // SAFETY: Allocated with this layout in `alloc`.
            unsafe { dealloc(leaf.cast(), Layout::new::<Leaf>()) };
        }
    }
}

type HostTable<'a> = Table<Vec<Cluster>, &'a HostLeaves, Box<Stats>>;

/// A "CPU" that changes on every call, so that the updates of one slot land on different
/// shards of the counters: a gauge goes up on one shard and down on another.
fn rotating_cpu() -> usize {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Relaxed) as usize
}

fn table(clusters: usize, leaves: &HostLeaves) -> HostTable<'_> {
    Table::new(
        (0..clusters).map(|_| Cluster::new()).collect(),
        leaves,
        Box::new(Stats::new(rotating_cpu)),
    )
}

#[test]
fn sharded_counters_add_up_across_shards() {
    let l = HostLeaves::default();
    let t = table(4, &l);
    // More operations than shards: every shard sees stores and erases of other shards' slots.
    let n = 3 * SHARDS as u64 + 1;
    for s in 0..n {
        t.store(s, zswap(s + 1), no_rcu).unwrap();
    }
    assert_eq!(t.stats.zswap_slots(), n);
    for s in 0..n {
        t.replace(s, zswap(s + 1), phys(s), RCU);
    }
    assert_eq!(
        t.stats.zswap_slots(),
        0,
        "up on one shard, down on another: wraps to 0"
    );
    assert_eq!(t.stats.phys_slots(), n);
    for s in 0..n {
        assert_eq!(t.load(s, RCU), phys(s));
        t.erase(s, RCU);
        assert!(t.load(s, RCU).is_none());
    }
    assert_eq!(t.stats.phys_slots(), 0);
    assert_eq!(t.stats.stores(), 2 * n);
    assert_eq!(t.stats.erases(), n);
    assert_eq!(t.stats.loads(), 2 * n);
    assert_eq!(t.stats.load_misses(), n);
}

fn zswap(p: u64) -> Word {
    Word::encode(Slot::Zswap(NonZeroU64::new(p << 3).unwrap())).unwrap()
}

fn phys(off: u64) -> Word {
    Word::encode(Slot::Phys(PhysSlot { ty: 1, offset: off })).unwrap()
}

/// The host stand-in for an RCU read-side critical section: the test leaves free retired
/// leaves only when the table is dropped, so every reader is safe.
struct HostRcu;

// SAFETY: `TestLeaves` never frees a retired leaf before the test ends.
unsafe impl ReadSide for HostRcu {}

const RCU: &HostRcu = &HostRcu;

fn no_rcu() -> HostRcu {
    HostRcu
}

#[test]
fn empty_table_loads_none_and_costs_no_leaf() {
    let l = HostLeaves::default();
    let t = table(4, &l);
    assert_eq!(t.slots(), 2048);
    for s in [0, 1, 511, 512, 2047, 2048, u64::MAX] {
        assert!(t.load(s, RCU).is_none());
        assert!(t.erase(s, RCU).is_none());
    }
    assert_eq!(l.allocated.load(Relaxed), 0);
    assert_eq!(t.metadata_bytes(), 4 * 16);
}

#[test]
fn store_load_erase_follow_xarray_semantics() {
    let l = HostLeaves::default();
    let t = table(4, &l);
    assert_eq!(
        t.store(700, zswap(1), no_rcu),
        Ok(Word::NONE),
        "first store: no old entry"
    );
    assert_eq!(t.load(700, RCU), zswap(1));
    assert_eq!(
        t.store(700, zswap(2), no_rcu),
        Ok(zswap(1)),
        "store returns the old entry"
    );
    assert_eq!(t.load(700, RCU), zswap(2));
    assert_eq!(t.stats.zswap_slots(), 1);
    assert_eq!(t.erase(700, RCU), zswap(2), "erase returns the entry");
    assert!(t.erase(700, RCU).is_none(), "a second erase finds nothing");
    assert!(t.load(700, RCU).is_none());
    assert_eq!(t.stats.zswap_slots(), 0);
    assert_eq!(t.stats.stores(), 2);
    assert_eq!(t.stats.erases(), 1);
}

#[test]
fn out_of_range_stores_fail() {
    let l = HostLeaves::default();
    let t = table(1, &l);
    assert_eq!(t.store(512, zswap(1), no_rcu), Err(StoreError::OutOfRange));
    assert_eq!(
        t.store(u64::MAX, zswap(1), no_rcu),
        Err(StoreError::OutOfRange)
    );
}

#[test]
fn leaves_come_and_go_with_their_words() {
    let l = HostLeaves::default();
    let t = table(4, &l);
    for s in 512..1024 {
        t.store(s, zswap(s), no_rcu).unwrap();
    }
    assert_eq!(t.stats.leaves.load(Relaxed), 1);
    assert_eq!(t.metadata_bytes(), 4 * 16 + 4096);
    for s in 512..1023 {
        t.erase(s, RCU);
    }
    assert_eq!(
        t.stats.leaves.load(Relaxed),
        1,
        "one word left keeps the leaf"
    );
    t.erase(1023, RCU);
    assert_eq!(
        t.stats.leaves.load(Relaxed),
        0,
        "the last erase retires the leaf"
    );
    assert_eq!(t.stats.leaves_retired.load(Relaxed), 1);
    assert_eq!(l.graveyard.lock().unwrap().len(), 1);
    // The cluster gets a fresh leaf on its next store.
    t.store(600, phys(9), no_rcu).unwrap();
    assert_eq!(t.load(600, RCU), phys(9));
    assert_eq!(t.stats.phys_slots(), 1);
    assert_eq!(l.allocated.load(Relaxed), 2);
}

#[test]
fn leaf_allocation_failure_fails_the_store_only() {
    let l = HostLeaves::default();
    let t = table(2, &l);
    t.store(1, zswap(1), no_rcu).unwrap();
    l.fail_alloc.store(true, Relaxed);
    assert_eq!(t.store(600, zswap(2), no_rcu), Err(StoreError::NoMemory));
    assert_eq!(
        t.store(2, zswap(3), no_rcu),
        Ok(Word::NONE),
        "an existing leaf needs no memory"
    );
    assert_eq!(t.stats.leaf_alloc_failures.load(Relaxed), 1);
    assert!(t.load(600, RCU).is_none());
}

#[test]
fn an_erase_that_empties_a_leaf_retires_it_even_when_allocations_fail() {
    // Retiring needs no memory: an erase under memory pressure (allocations failing) still
    // frees the emptied leaf, and the next store allocates a new one.
    let l = HostLeaves::default();
    let mut t = table(1, &l);
    t.store(5, zswap(5), no_rcu).unwrap();
    l.fail_alloc.store(true, Relaxed);
    t.erase(5, RCU);
    assert_eq!(t.stats.leaves.load(Relaxed), 0, "retired");
    assert_eq!(t.stats.leaves_retired.load(Relaxed), 1);
    assert_eq!(t.store(6, zswap(6), no_rcu), Err(StoreError::NoMemory));
    l.fail_alloc.store(false, Relaxed);
    t.store(6, zswap(6), no_rcu).unwrap();
    assert_eq!(l.allocated.load(Relaxed), 2, "a new leaf");
    t.erase(6, RCU);
    assert_eq!(
        t.teardown(),
        Teardown {
            leaves: 0,
            words_left: 0
        }
    );
}

#[test]
fn teardown_reports_words_left() {
    let l = HostLeaves::default();
    let mut t = table(3, &l);
    t.store(0, zswap(1), no_rcu).unwrap();
    t.store(1, zswap(2), no_rcu).unwrap();
    t.store(1500, phys(3), no_rcu).unwrap();
    assert_eq!(
        t.teardown(),
        Teardown {
            leaves: 2,
            words_left: 3
        }
    );
    assert!(t.load(0, RCU).is_none());
    assert_eq!(t.metadata_bytes(), 0, "nothing is counted once torn down");
    assert_eq!(t.stats.leaves.load(Relaxed), 0);
}

/// Threads own disjoint slots (as the kernel's per-slot serialisation guarantees) that share
/// leaves, and run random stores, loads and erases against a model of their own slots. Leaves
/// are retired and re-created under them all the time.
#[test]
fn concurrent_callers_on_shared_leaves() {
    const THREADS: u64 = 8;
    const CLUSTERS: usize = 4;
    let leaves = Box::leak(Box::new(HostLeaves::default()));
    let t = Arc::new(table(CLUSTERS, leaves));
    let handles: Vec<_> = (0..THREADS)
        .map(|id| {
            let t = Arc::clone(&t);
            std::thread::spawn(move || {
                let mut rng = Rng::new(id + 1);
                let mut model: HashMap<u64, Word> = HashMap::new();
                // One slot per thread per cluster: leaves are shared by all threads and empty
                // often, so they are retired and re-created under the others' feet.
                let slots: Vec<u64> = (0..CLUSTERS as u64).map(|c| c * 512 + id * 61).collect();
                for _ in 0..200_000 {
                    let r = rng.next();
                    let slot = slots[(r as usize >> 8) % slots.len()];
                    let want = model.get(&slot).copied().unwrap_or(Word::NONE);
                    match r % 8 {
                        0..=2 => {
                            let w = if r & 0x80 == 0 {
                                zswap(r >> 20 | 1)
                            } else {
                                phys(r >> 20)
                            };
                            // A store may give up on a leaf that another thread, preempted
                            // while retiring it, keeps DEAD: then nothing changed.
                            match t.store(slot, w, no_rcu) {
                                Err(StoreError::Busy) => continue,
                                got => assert_eq!(got, Ok(want)),
                            }
                            model.insert(slot, w);
                        }
                        3..=5 => {
                            assert_eq!(t.erase(slot, RCU), want);
                            model.remove(&slot);
                        }
                        _ => assert_eq!(t.load(slot, RCU), want),
                    }
                }
                for (&slot, &w) in &model {
                    assert_eq!(t.load(slot, RCU), w);
                }
                model.len() as u64
            })
        })
        .collect();
    let live: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    let s = &t.stats;
    assert_eq!(s.zswap_slots() + s.phys_slots(), live);
    assert!(
        s.leaves_retired.load(Relaxed) > 0,
        "leaves were retired under load"
    );
    for slot in 0..(CLUSTERS as u64 * 512) {
        t.erase(slot, RCU);
    }
    assert_eq!(s.zswap_slots() + s.phys_slots(), 0);
    assert_eq!(s.leaves.load(Relaxed), 0, "every leaf retired once empty");
    assert_eq!(
        leaves.allocated.load(Relaxed),
        leaves.freed.load(Relaxed) + leaves.graveyard.lock().unwrap().len() as u64,
        "every leaf freed or retired exactly once"
    );
}

#[test]
fn replace_swaps_only_the_expected_word_and_keeps_the_leaf() {
    let l = HostLeaves::default();
    let t = table(2, &l);
    assert!(
        !t.replace(5, phys(1), Word::LOST, RCU),
        "no leaf: nothing to replace"
    );
    t.store(5, phys(1), no_rcu).unwrap();
    assert!(
        !t.replace(5, phys(2), Word::LOST, RCU),
        "another physical slot: refused"
    );
    assert!(!t.replace(5, phys(1), Word::NONE, RCU), "NONE is for erase");
    assert!(
        !t.replace(6, phys(1), Word::LOST, RCU),
        "another slot: refused"
    );
    assert!(t.replace(5, phys(1), Word::LOST, RCU));
    assert_eq!(t.load(5, RCU), Word::LOST);
    assert_eq!(t.stats.phys_slots(), 0);
    assert_eq!(t.stats.lost_slots(), 1);
    assert_eq!(t.stats.leaves.load(Relaxed), 1);
    // The LOST word counts as a word of the leaf until the slot is freed.
    assert_eq!(t.erase(5, RCU), Word::LOST);
    assert_eq!(t.stats.lost_slots(), 0);
    assert_eq!(
        t.stats.leaves.load(Relaxed),
        0,
        "the erase retires the leaf"
    );
    assert_eq!(l.allocated.load(Relaxed), 1);
}

#[test]
fn erase_range_erases_across_leaves_and_counts_once_per_word() {
    let l = HostLeaves::default();
    let t = table(3, &l);
    // Slots 500..530 straddle leaves 0 and 1: ZSWAP, PHYS and NONE words mixed; leaf 2 stays
    // empty; slot 1535 is the table's last.
    for s in 500..530 {
        match s % 3 {
            0 => drop(t.store(s, zswap(s), no_rcu).unwrap()),
            1 => drop(t.store(s, phys(s), no_rcu).unwrap()),
            _ => {}
        }
    }
    t.store(505, Word::LOST, no_rcu).unwrap();
    t.store(1535, zswap(7), no_rcu).unwrap();
    let (z0, p0, e0) = (
        t.stats.zswap_slots(),
        t.stats.phys_slots(),
        t.stats.erases(),
    );
    let mut seen = Vec::new();
    t.erase_range(498, 36, RCU, |i, w| seen.push((498 + i as u64, w)));
    let want: Vec<(u64, Word)> = (500..530)
        .filter_map(|s| match (s, s % 3) {
            (505, _) => Some((s, Word::LOST)),
            (_, 0) => Some((s, zswap(s))),
            (_, 1) => Some((s, phys(s))),
            _ => None,
        })
        .collect();
    assert_eq!(seen, want, "each word once, with its index, in order");
    for s in 498..534 {
        assert!(t.load(s, RCU).is_none());
    }
    let zs = want
        .iter()
        .filter(|(_, w)| matches!(w.decode(), Slot::Zswap(_)))
        .count() as u64;
    let ps = want
        .iter()
        .filter(|(_, w)| matches!(w.decode(), Slot::Phys(_)))
        .count() as u64;
    assert_eq!(t.stats.zswap_slots(), z0 - zs);
    assert_eq!(t.stats.phys_slots(), p0 - ps);
    assert_eq!(t.stats.lost_slots(), 0);
    assert_eq!(t.stats.erases(), e0 + want.len() as u64);
    // Both leaves emptied and retired; the range's NONE words cost nothing.
    assert_eq!(
        t.stats.leaves.load(Relaxed),
        1,
        "only slot 1535's leaf is left"
    );
    assert_eq!(t.stats.leaves_retired.load(Relaxed), 2);
    // A second pass finds nothing; a range running off the table's end stops there.
    t.erase_range(498, 36, RCU, |_, _| panic!("erased twice"));
    let mut tail = Vec::new();
    t.erase_range(1530, 100, RCU, |i, w| tail.push((i, w)));
    assert_eq!(tail, [(5, zswap(7))]);
    t.erase_range(u64::MAX - 3, 8, RCU, |_, _| panic!("beyond the table"));
    assert_eq!(t.stats.leaves.load(Relaxed), 0);
    assert_eq!(t.stats.zswap_slots(), 0);
}

/// A PACKED word is a kind of its own in the gauges: counted while stored, through a replace
/// (ZSWAP -> PACKED, as packed writeback switches a slot) and an erase range (the slot freed).
#[test]
fn packed_words_are_counted_as_their_own_kind() {
    let l = HostLeaves::default();
    let t = table(2, &l);
    let packed = Word::encode(Slot::Packed(crate::packed::PackedLoc {
        ty: 1,
        block: 42,
        sector: 2,
        len: 900,
    }))
    .expect("a valid location");
    t.store(7, zswap(7), no_rcu).unwrap();
    assert!(t.replace(7, zswap(7), packed, RCU));
    assert_eq!(t.stats.zswap_slots(), 0);
    assert_eq!(t.stats.packed_slots(), 1);
    assert_eq!(t.load(7, RCU), packed);
    let mut seen = Vec::new();
    t.erase_range(0, 16, RCU, |i, w| seen.push((i, w)));
    assert_eq!(seen, [(7, packed)]);
    assert_eq!(t.stats.packed_slots(), 0);
}
