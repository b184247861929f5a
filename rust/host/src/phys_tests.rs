// SPDX-License-Identifier: GPL-2.0

//! Tests of the physical backing transitions and accounting (`rust/phys.rs`).

use crate::phys::*;
use crate::rng::Rng;
use crate::word::*;
use core::num::NonZeroU64;
use core::sync::atomic::Ordering::Relaxed;
use std::vec::Vec;

fn zswap(ptr: u64) -> Slot {
    Slot::Zswap(NonZeroU64::new(ptr).expect("test pointers are non-zero"))
}

fn p(ty: u8, offset: u64) -> PhysSlot {
    PhysSlot { ty, offset }
}

#[test]
fn owed_by_names_what_the_old_word_held() {
    assert_eq!(owed_by(Slot::None), Owed::default());
    assert_eq!(
        owed_by(Slot::Lost),
        Owed::default(),
        "a lost slot's physical slot was freed when it was lost"
    );
    assert_eq!(
        owed_by(zswap(0xffff_8880_1234_5678)),
        Owed {
            zswap: 0xffff_8880_1234_5678,
            ..Owed::default()
        }
    );
    assert_eq!(
        owed_by(Slot::Phys(p(3, 77))),
        Owed {
            phys: Some(p(3, 77)),
            ..Owed::default()
        }
    );
    let loc = crate::packed::PackedLoc {
        ty: 2,
        block: 9,
        sector: 3,
        len: 700,
    };
    assert_eq!(
        owed_by(Slot::Packed(loc)),
        Owed {
            packed: Some(loc),
            ..Owed::default()
        },
        "a packed object is dropped from its block, which is freed by its last drop"
    );
}

#[test]
fn allocation_counts_writebacks_and_fallbacks() {
    let s = PhysStats::new();
    s.allocated(p(1, 10), zswap(0x1000));
    s.allocated(p(1, 11), Slot::None);
    s.allocated(p(2, 5), Slot::None);
    assert_eq!(s.alloc_ok.load(Relaxed), 3);
    assert_eq!(s.writebacks.load(Relaxed), 1);
    assert_eq!(s.fallbacks.load(Relaxed), 2);
    assert_eq!(s.in_use[1].load(Relaxed), 2);
    assert_eq!(s.in_use[2].load(Relaxed), 1);
    assert_eq!(s.total_in_use(), 3);
}

#[test]
fn failed_writeback_allocation_saves_a_decompression() {
    let s = PhysStats::new();
    s.alloc_failed(zswap(0x2000));
    s.alloc_failed(Slot::None);
    assert_eq!(s.alloc_failed.load(Relaxed), 2);
    assert_eq!(
        s.decompress_saved.load(Relaxed),
        1,
        "only the writeback one"
    );
    assert_eq!(s.total_in_use(), 0);
}

#[test]
fn stale_writeback_is_refused_before_allocating() {
    let st = PhysStats::new();
    st.stale();
    assert_eq!(st.alloc_stale.load(Relaxed), 1);
    // Nothing was allocated and no space was missing: the other counters stay.
    assert_eq!(st.alloc_ok.load(Relaxed), 0);
    assert_eq!(st.alloc_failed.load(Relaxed), 0);
    assert_eq!(st.decompress_saved.load(Relaxed), 0);
    assert_eq!(st.total_in_use(), 0);
}

#[test]
fn refused_free_is_a_mismatch_not_a_free() {
    let s = PhysStats::new();
    s.allocated(p(4, 9), Slot::None);
    s.released(p(4, 9), false);
    assert_eq!(s.free_mismatch.load(Relaxed), 1);
    assert_eq!(s.freed.load(Relaxed), 0);
    assert_eq!(s.in_use[4].load(Relaxed), 1, "a refused slot stays counted");
    s.released(p(4, 9), true);
    assert_eq!(s.freed.load(Relaxed), 1);
    assert_eq!(s.total_in_use(), 0);
}

/// A model of one device's slots: every PHYS word owed_by is freed exactly once, whatever the
/// order of stores, erases and allocations.
#[test]
fn every_physical_slot_is_freed_exactly_once() {
    let s = PhysStats::new();
    let mut rng = Rng::new(7);
    let mut words: Vec<Slot> = std::vec![Slot::None; 64];
    let mut next_phys = 1u64;
    let mut live: Vec<PhysSlot> = Vec::new();
    let mut freed: Vec<PhysSlot> = Vec::new();
    for _ in 0..10_000 {
        let i = (rng.next() % 64) as usize;
        let new = match rng.next() % 4 {
            // Swapoff could not read a PHYS slot: it frees the physical slot itself and leaves
            // LOST, which hands nothing back later.
            3 => {
                if let Slot::Phys(ph) = words[i] {
                    assert!(!freed.contains(&ph), "{ph:?} freed twice");
                    live.retain(|x| *x != ph);
                    freed.push(ph);
                    s.released(ph, true);
                    words[i] = Slot::Lost;
                }
                continue;
            }
            0 => Slot::None,
            1 => zswap(0x1000 * (1 + rng.next() % 1000)),
            _ => {
                let ph = p((next_phys % 3) as u8, next_phys);
                next_phys += 1;
                s.allocated(ph, words[i]);
                live.push(ph);
                Slot::Phys(ph)
            }
        };
        let old = core::mem::replace(&mut words[i], new);
        if let Some(ph) = owed_by(old).phys {
            assert!(!freed.contains(&ph), "{ph:?} freed twice");
            live.retain(|x| *x != ph);
            freed.push(ph);
            s.released(ph, true);
        }
    }
    for w in words.iter_mut() {
        if let Some(ph) = owed_by(core::mem::replace(w, Slot::None)).phys {
            assert!(!freed.contains(&ph), "{ph:?} freed twice");
            live.retain(|x| *x != ph);
            s.released(ph, true);
        }
    }
    assert!(live.is_empty(), "leaked: {live:?}");
    assert_eq!(s.total_in_use(), 0);
    assert_eq!(s.alloc_ok.load(Relaxed), s.freed.load(Relaxed));
}

#[test]
fn new_stats_are_zero() {
    let s = PhysStats::new();
    for c in [
        &s.alloc_ok,
        &s.alloc_failed,
        &s.decompress_saved,
        &s.writebacks,
        &s.swapoff_lost,
        &s.fallbacks,
        &s.replaced_by_zswap,
        &s.freed,
        &s.free_mismatch,
        &s.swapoff_moved,
        &s.swapoff_relocated,
    ] {
        assert_eq!(c.load(Relaxed), 0);
    }
    assert_eq!(s.in_use.len(), NR_TYPES);
    assert_eq!(s.total_in_use(), 0);
}

#[test]
fn released_many_counts_as_released_each() {
    let one = PhysStats::new();
    let many = PhysStats::new();
    for s in [&one, &many] {
        for off in 0..5 {
            s.allocated(p(2, off), Slot::None);
        }
        s.allocated(p(3, 0), Slot::None);
    }
    for off in 0..4 {
        one.released(p(2, off), true);
    }
    many.released_many(2, 4);
    many.released_many(3, 0);
    for s in [&one, &many] {
        assert_eq!(s.freed.load(Relaxed), 4);
        assert_eq!(s.in_use[2].load(Relaxed), 1);
        assert_eq!(s.in_use[3].load(Relaxed), 1, "a run of 0 changes nothing");
        assert_eq!(s.total_in_use(), 2);
    }
    // A type beyond the table is counted as freed, like `released`.
    many.released_many(u8::MAX, 1);
    assert_eq!(many.freed.load(Relaxed), 5);
    assert_eq!(many.total_in_use(), 2);
}

#[test]
fn relocated_moves_a_slot_between_types() {
    let s = PhysStats::new();
    let from = PhysSlot { ty: 1, offset: 7 };
    let to = PhysSlot { ty: 2, offset: 9 };
    s.allocated(from, Slot::None);
    s.relocated(to);
    s.released(from, true);
    assert_eq!(s.in_use[1].load(Relaxed), 0);
    assert_eq!(s.in_use[2].load(Relaxed), 1);
    assert_eq!(s.total_in_use(), 1);
    assert_eq!(s.swapoff_relocated.load(Relaxed), 1);
    assert_eq!(s.alloc_ok.load(Relaxed), 2);
    assert_eq!(s.freed.load(Relaxed), 1);
}
