// SPDX-License-Identifier: GPL-2.0

//! Tests of the packed-writeback logic (`rust/packed.rs`): the PACKED word, block occupancy,
//! best fit, and a randomised model of packing, writing, freeing and swapoff.

use crate::packed::*;
use crate::rng::Rng;
use crate::word::Word;
use std::collections::{BTreeMap, BTreeSet};
use std::vec::Vec;

fn loc(ty: u8, block: u32, sector: u8, len: u16) -> PackedLoc {
    PackedLoc {
        ty,
        block,
        sector,
        len,
    }
}

#[test]
fn sectors_round_up() {
    assert_eq!(sectors(1), 1);
    assert_eq!(sectors(512), 1);
    assert_eq!(sectors(513), 2);
    assert_eq!(sectors(PACK_MAX_LEN), BLOCK_SECTORS - 1);
    assert_eq!(sectors(4096), 8);
}

#[test]
fn packed_word_round_trips_at_the_edges() {
    for ty in [0, 1, 17, BLOCK_MARKER_TYPE - 1] {
        for block in [1, 2, 0x1234_5678, u32::MAX] {
            for (sector, len) in [
                (0, 1),
                (0, PACK_MAX_LEN),
                (1, PACK_MAX_LEN),
                (7, 512),
                (5, 1500),
            ] {
                let l = loc(ty, block, sector, len);
                let raw = l.encode().expect("a valid location encodes");
                assert_eq!(raw & 0b111, TAG_PACKED);
                assert_eq!(PackedLoc::decode(raw), Ok(l), "{l:?}");
                assert_eq!(l.sectors(), sectors(len));
            }
        }
    }
}

#[test]
fn packed_word_refuses_what_it_cannot_hold() {
    assert_eq!(
        loc(BLOCK_MARKER_TYPE, 1, 0, 1).encode(),
        Err(PackedError::BadType)
    );
    assert_eq!(loc(0, 0, 0, 1).encode(), Err(PackedError::HeaderBlock));
    assert_eq!(loc(0, 1, 0, 0).encode(), Err(PackedError::BadLength));
    assert_eq!(
        loc(0, 1, 0, PACK_MAX_LEN + 1).encode(),
        Err(PackedError::BadLength)
    );
    // Three sectors from sector 6 end past the block.
    assert_eq!(loc(0, 1, 6, 1025).encode(), Err(PackedError::PastBlock));
    assert_eq!(loc(0, 1, 8, 1).encode(), Err(PackedError::PastBlock));
}

#[test]
fn packed_word_decode_refuses_other_and_malformed_words() {
    // Every other kind of vtable word has another tag.
    for raw in [0, 0x1000, Word::LOST.raw(), 0b001 | (5 << 3)] {
        assert_eq!(
            PackedLoc::decode(raw),
            Err(PackedError::NotPacked),
            "{raw:#x}"
        );
    }
    let good = loc(3, 77, 2, 1000).encode().expect("encodes");
    // Each reserved bit on its own is refused.
    for bit in (20..24).chain(56..59) {
        assert_eq!(
            PackedLoc::decode(good | (1 << bit)),
            Err(PackedError::ReservedBits),
            "bit {bit}"
        );
    }
    // Fields that fit their bits but break the invariants are refused too.
    let zero_len = good & !(0xfff << 3);
    assert_eq!(PackedLoc::decode(zero_len), Err(PackedError::BadLength));
    let marker = good | (31 << 59);
    assert_eq!(PackedLoc::decode(marker), Err(PackedError::BadType));
    let past = (good & !(0x1f << 15)) | (7 << 15);
    assert_eq!(PackedLoc::decode(past), Err(PackedError::PastBlock));
    // Every sector the 5-bit field can hold past the block is refused, not truncated.
    for sector in 8..32u64 {
        let raw = (good & !(0x1f << 15)) | (sector << 15);
        assert_eq!(
            PackedLoc::decode(raw),
            Err(PackedError::PastBlock),
            "sector {sector}"
        );
    }
    // The vtable's own decoder takes a good PACKED word and refuses a malformed one.
    assert_eq!(
        Word::from_raw(good).map(|w| w.decode()),
        Ok(crate::word::Slot::Packed(loc(3, 77, 2, 1000)))
    );
    assert!(Word::from_raw(marker).is_err());
    assert!(Word::from_raw(past).is_err());
}

#[test]
fn a_block_appends_in_order_and_frees_once() {
    let mut b = Block::new();
    assert_eq!(b.phase(), Phase::Open);
    assert_eq!(b.room(), BLOCK_SECTORS);
    assert_eq!(b.append(1500, 0), Ok(0)); // sectors 0-2, owner slot 0
    assert_eq!(b.append(512, 11), Ok(3)); // sector 3
    assert_eq!(b.append(2000, 12), Ok(4)); // sectors 4-7
    assert_eq!(b.room(), 0);
    assert_eq!(b.append(1, 13), Err(BlockError::NoRoom));
    assert_eq!(b.nr_live(), 3);
    assert_eq!(b.live_sectors(), 8);
    // No object leaves an open or writing block: its slot is locked until the write ends.
    assert_eq!(b.drop_object(3, 1, 11), Err(BlockError::WrongPhase));
    assert_eq!(b.written(), Err(BlockError::WrongPhase));
    assert_eq!(b.seal(), Ok(()));
    assert_eq!(b.append(1, 13), Err(BlockError::WrongPhase));
    assert_eq!(b.room(), 0);
    assert_eq!(b.drop_object(3, 1, 11), Err(BlockError::WrongPhase));
    assert_eq!(b.written(), Ok(()));
    assert_eq!(b.failed(), Err(BlockError::WrongPhase));
    assert_eq!(b.owners().collect::<Vec<_>>(), [(0, 0), (3, 11), (4, 12)]);
    assert!(b.owned_by(3, 11));
    assert!(!b.owned_by(3, 10));
    assert!(
        !b.owned_by(1, 0),
        "sector 1 is inside slot 0's object, not its start"
    );

    // A wrong owner, a sector inside an object (even with owner 0, the owner array's
    // default), a size shorter or longer than the object, or a second free is refused.
    assert_eq!(b.drop_object(3, 1, 99), Err(BlockError::NotLive));
    assert_eq!(b.drop_object(1, 1, 0), Err(BlockError::NotLive));
    assert_eq!(b.drop_object(1, 2, 0), Err(BlockError::NotLive));
    assert_eq!(b.drop_object(0, 1, 0), Err(BlockError::NotLive));
    assert_eq!(b.drop_object(0, 4, 0), Err(BlockError::NotLive));
    assert_eq!(b.drop_object(4, 3, 12), Err(BlockError::NotLive));
    assert_eq!(b.drop_object(7, 1, 12), Err(BlockError::NotLive));
    assert_eq!(b.drop_object(8, 1, 12), Err(BlockError::NotLive));
    assert_eq!(b.live_sectors(), 8, "nothing refused changed the block");
    assert_eq!(b.drop_object(3, 1, 11), Ok(false));
    assert_eq!(b.drop_object(3, 1, 11), Err(BlockError::NotLive));
    assert_eq!(b.live_sectors(), 7);
    // With sector 3 free, slot 0's object still ends at sector 2: its size is still 3.
    assert_eq!(b.drop_object(0, 4, 0), Err(BlockError::NotLive));
    assert_eq!(b.drop_object(0, 3, 0), Ok(false));
    assert_eq!(b.live_sectors(), 4);
    // Only the last object's drop says "empty": the block is freed exactly once.
    assert_eq!(b.drop_object(4, 4, 12), Ok(true));
    assert!(b.is_empty());
    assert_eq!(b.live_sectors(), 0);
    assert_eq!(b.drop_object(4, 4, 12), Err(BlockError::NotLive));
}

#[test]
fn a_failed_write_drops_every_object() {
    let mut b = Block::new();
    assert_eq!(b.append(700, 5), Ok(0));
    assert_eq!(b.append(700, 6), Ok(2));
    assert_eq!(
        b.failed(),
        Err(BlockError::WrongPhase),
        "only a block being written fails"
    );
    assert_eq!(b.seal(), Ok(()));
    assert_eq!(b.failed(), Ok(()));
    assert_eq!(b.written(), Err(BlockError::WrongPhase));
    assert_eq!(b.drop_object(0, 2, 5), Ok(false));
    assert_eq!(b.drop_object(2, 2, 6), Ok(true));
}

#[test]
fn a_block_refuses_bad_lengths() {
    let mut b = Block::new();
    assert_eq!(b.append(0, 1), Err(BlockError::BadLength));
    assert_eq!(b.append(PACK_MAX_LEN + 1, 1), Err(BlockError::BadLength));
    assert_eq!(b.append(PACK_MAX_LEN, 1), Ok(0));
    // One sector is left: a second object of up to 512 bytes fits, a larger one does not.
    assert_eq!(b.append(513, 2), Err(BlockError::NoRoom));
    assert_eq!(b.append(512, 2), Ok(7));
}

#[test]
fn best_fit_prefers_the_tightest_block_then_an_empty_slot_then_the_fullest() {
    let mut s = OpenSet::<4>::default();
    assert_eq!(s.place(3), Place::Open(0));
    s.set(0, Some(5));
    s.set(1, Some(2));
    // Two sectors fit both; the tighter is slot 1.
    assert_eq!(s.place(2), Place::Into(1));
    // Three fit only slot 0.
    assert_eq!(s.place(3), Place::Into(0));
    // Six fit neither: an empty slot takes a new block.
    assert_eq!(s.place(6), Place::Open(2));
    s.set(2, Some(1));
    s.set(3, Some(4));
    // Nothing fits seven, no slot is empty: closing the fullest block (slot 2) wastes its one
    // free sector, as the object's own block would: it is replaced.
    assert_eq!(s.place(7), Place::Replace(2));
    // Six free sectors each: closing any wastes six, a block of its own one: alone.
    let mut roomy = OpenSet::<4>::default();
    for i in 0..4 {
        roomy.set(i, Some(6));
    }
    assert_eq!(roomy.place(7), Place::Alone);
    assert_eq!(roomy.place(6), Place::Into(0));
    assert_eq!(OpenSet::<0>::default().place(1), Place::Alone);
    // A block with no room left is not open any more.
    s.set(1, Some(0));
    assert_eq!(s.room(1), None);
    assert_eq!(s.place(7), Place::Open(1));
    // Out of range is ignored, not a panic.
    s.set(9, Some(3));
    assert_eq!(s.room(9), None);
}

#[test]
fn compaction_threshold() {
    assert!(
        !worth_compacting(0, 50),
        "an empty block is freed, not compacted"
    );
    assert!(worth_compacting(1, 50));
    assert!(worth_compacting(3, 50));
    assert!(!worth_compacting(4, 50));
    assert!(!worth_compacting(8, 100));
    assert!(worth_compacting(7, 100));
    assert!(worth_compacting(7, u32::MAX), "no overflow");
}

/// Packs `lens` through an [`OpenSet`] of `K` blocks, as the writer will, and returns the
/// blocks used.
fn pack_all<const K: usize>(lens: &[u16]) -> usize {
    let mut set = OpenSet::<K>::default();
    let mut open: [Block; K] = [Block::new(); K];
    let mut blocks = 0;
    for (i, &len) in lens.iter().enumerate() {
        let n = sectors(len);
        let slot = match set.place(n) {
            Place::Into(j) => j,
            Place::Open(j) | Place::Replace(j) => {
                open[j] = Block::new();
                blocks += 1;
                j
            }
            Place::Alone => {
                blocks += 1;
                continue;
            }
        };
        open[slot]
            .append(len, i as u32)
            .expect("placed where it fits");
        set.set(slot, Some(open[slot].room()));
    }
    blocks
}

/// Compressed lengths around `4096 / ratio`, spread by +-`spread` bytes.
fn lengths(seed: u64, count: usize, ratio: f64, spread: u16) -> Vec<u16> {
    let mut rng = Rng::new(seed);
    let centre = (4096.0 / ratio) as u16;
    (0..count)
        .map(|_| {
            let off = (rng.next() % (2 * spread as u64 + 1)) as u16;
            (centre + off).saturating_sub(spread).clamp(1, PACK_MAX_LEN)
        })
        .collect()
}

#[test]
fn packing_density_at_typical_ratios() {
    // Pages per block (4 KiB of disk), best fit over 4 open blocks, for lengths around
    // 4096/ratio: the target is at most half of today's disk (two pages a block). Where lengths
    // spread, best fit beats next fit (one open block) clearly; where they do not, sector
    // rounding decides and both give two a block.
    for (ratio, spread, min, min_gain) in [
        (3.0, 300, 2.0, 1.0),
        (2.5, 300, 2.0, 1.0),
        (3.0, 1000, 2.4, 1.1),
        (4.0, 700, 3.1, 1.1),
    ] {
        let lens = lengths(7, 20_000, ratio, spread);
        let next_fit = lens.len() as f64 / pack_all::<1>(&lens) as f64;
        let best_fit = lens.len() as f64 / pack_all::<4>(&lens) as f64;
        assert!(
            best_fit >= min && best_fit >= next_fit * min_gain,
            "ratio {ratio} +-{spread}: best fit {best_fit:.2} pages a block (want >= {min}), \
             next fit {next_fit:.2} (want best >= {min_gain} x next)"
        );
    }
}

/// A reference model of blocks and vtable words, driven at random: pack (best fit into open
/// blocks, or a block of its own), seal and write (or fail the write), free objects, and the
/// owners swapoff reads. After every step:
///
/// - each word names a committed block that records its slot as the owner of that sector;
/// - each block's live objects are exactly the words and pending writes that name it, sector
///   for sector;
/// - no block outside the open set is empty (an empty one was freed at once);
///
/// and at the end every block ever opened is live or was freed, and none was freed twice.
#[test]
fn randomised_model_keeps_words_and_blocks_in_step() {
    for seed in 1..=10 {
        let mut rng = Rng::new(seed);
        // Vswap slot -> its PACKED location (committed objects only).
        let mut words: BTreeMap<u32, PackedLoc> = BTreeMap::new();
        // Block number -> occupancy.
        let mut blocks: BTreeMap<u32, Block> = BTreeMap::new();
        // Objects appended to a block whose write has not ended: (slot, block, sector, len).
        let mut pending: Vec<(u32, u32, u8, u16)> = Vec::new();
        let mut freed: BTreeSet<u32> = BTreeSet::new();
        let mut set = OpenSet::<4>::default();
        let mut open: [Option<u32>; 4] = [None; 4];
        let mut next_block = 1u32;
        let mut next_slot = 0u32;
        let ty = (seed % 3) as u8;

        let free_block = |b: u32, freed: &mut BTreeSet<u32>| {
            assert!(freed.insert(b), "seed {seed}: block {b} freed twice");
        };

        for _ in 0..2000 {
            match rng.next() % 10 {
                0..=4 => {
                    // Pack a new object.
                    let len = (1 + rng.next() % PACK_MAX_LEN as u64) as u16;
                    let slot = next_slot;
                    next_slot += 1;
                    let place = set.place(sectors(len));
                    let i = match place {
                        Place::Into(i) => Some(i),
                        Place::Open(i) | Place::Replace(i) => {
                            if let (Place::Replace(_), Some(b)) = (place, open[i]) {
                                blocks
                                    .get_mut(&b)
                                    .expect("open block")
                                    .seal()
                                    .expect("open");
                            }
                            blocks.insert(next_block, Block::new());
                            open[i] = Some(next_block);
                            next_block += 1;
                            Some(i)
                        }
                        Place::Alone => None,
                    };
                    let b = match i {
                        Some(i) => open[i].expect("a block is open in the slot placed"),
                        None => {
                            blocks.insert(next_block, Block::new());
                            next_block += 1;
                            next_block - 1
                        }
                    };
                    let blk = blocks.get_mut(&b).expect("open block");
                    let sector = blk.append(len, slot).expect("placed where it fits");
                    pending.push((slot, b, sector, len));
                    match i {
                        Some(i) => {
                            if blk.room() == 0 {
                                blk.seal().expect("open");
                                open[i] = None;
                            }
                            set.set(i, open[i].map(|b| blocks[&b].room()));
                        }
                        None => blk.seal().expect("open"),
                    }
                }
                5..=6 => {
                    // A sealed block's write completes, or fails.
                    let sealed: Vec<u32> = blocks
                        .iter()
                        .filter(|(_, b)| b.phase() == Phase::Writing)
                        .map(|(&n, _)| n)
                        .collect();
                    if sealed.is_empty() {
                        continue;
                    }
                    let b = sealed[(rng.next() % sealed.len() as u64) as usize];
                    let ok = !rng.next().is_multiple_of(8);
                    let blk = blocks.get_mut(&b).expect("sealed");
                    if ok {
                        blk.written().expect("writing");
                    } else {
                        blk.failed().expect("writing");
                    }
                    let mine: Vec<_> = pending.iter().copied().filter(|p| p.1 == b).collect();
                    pending.retain(|p| p.1 != b);
                    for (slot, _, sector, len) in mine {
                        if ok {
                            words.insert(slot, loc(ty, b, sector, len));
                        } else if blk.drop_object(sector, sectors(len), slot).expect("live") {
                            // The word never switched: the object leaves the block.
                            free_block(b, &mut freed);
                        }
                    }
                    if !ok {
                        assert!(blk.is_empty(), "seed {seed}: a failed block keeps nothing");
                        blocks.remove(&b);
                    }
                }
                7..=8 => {
                    // Free a committed object (munmap, or written again), and now and then try
                    // to free it a second time, or with a wrong size: both refused.
                    if words.is_empty() {
                        continue;
                    }
                    let k = rng.next() as usize % words.len();
                    let slot = *words.keys().nth(k).expect("in range");
                    let l = words.remove(&slot).expect("present");
                    let blk = blocks.get_mut(&l.block).expect("a word names a live block");
                    if l.sectors() > 1 {
                        assert_eq!(
                            blk.drop_object(l.sector, l.sectors() - 1, slot),
                            Err(BlockError::NotLive)
                        );
                    }
                    let empty = blk.drop_object(l.sector, l.sectors(), slot).expect("live");
                    assert_eq!(
                        blk.drop_object(l.sector, l.sectors(), slot),
                        Err(BlockError::NotLive)
                    );
                    if empty {
                        free_block(l.block, &mut freed);
                        blocks.remove(&l.block);
                    }
                }
                _ => {
                    // Swapoff of the device: every committed block's owners come from the
                    // block alone, and each must be the slot whose word names it.
                    for (&b, blk) in blocks.iter().filter(|(_, b)| b.phase() == Phase::Committed) {
                        for (sector, owner) in blk.owners() {
                            let w = words.get(&owner).expect("an owner has a word");
                            assert_eq!((w.ty, w.block, w.sector), (ty, b, sector));
                        }
                    }
                }
            }
            // Every word names a committed block that says the slot owns that sector.
            for (&slot, l) in &words {
                let blk = &blocks[&l.block];
                assert_eq!(blk.phase(), Phase::Committed);
                assert!(blk.owned_by(l.sector, slot));
                assert_eq!(PackedLoc::decode(l.encode().expect("valid")), Ok(*l));
            }
            // Each block holds exactly what the words and pending writes say, sector for sector.
            let mut expect: BTreeMap<u32, (u32, u32)> = BTreeMap::new();
            for l in words.values() {
                let e = expect.entry(l.block).or_default();
                *e = (e.0 + 1, e.1 + u32::from(l.sectors()));
            }
            for &(_, b, _, len) in &pending {
                let e = expect.entry(b).or_default();
                *e = (e.0 + 1, e.1 + u32::from(sectors(len)));
            }
            for (&b, blk) in &blocks {
                let (objects, sectors) = expect.get(&b).copied().unwrap_or_default();
                assert_eq!(
                    (blk.nr_live(), blk.live_sectors()),
                    (objects, sectors),
                    "seed {seed}: block {b}"
                );
                assert!(
                    !blk.is_empty() || open.contains(&Some(b)),
                    "seed {seed}: block {b} leaked"
                );
                assert!(
                    !freed.contains(&b),
                    "seed {seed}: block {b} used after its free"
                );
            }
        }
        assert_eq!(
            next_block - 1,
            blocks.len() as u32 + freed.len() as u32,
            "seed {seed}: every block is live or freed once"
        );
    }
}
