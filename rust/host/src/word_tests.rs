// SPDX-License-Identifier: GPL-2.0

//! Tests of the vtable word encoding (`rust/word.rs`).

use crate::rng::Rng;
use crate::word::*;
use core::num::NonZeroU64;

fn zswap(ptr: u64) -> Slot {
    Slot::Zswap(NonZeroU64::new(ptr).expect("test pointers are non-zero"))
}

fn phys(ty: u8, offset: u64) -> Slot {
    Slot::Phys(PhysSlot { ty, offset })
}

fn round_trip(slot: Slot) {
    let word = Word::encode(slot).expect("slot encodes");
    assert_eq!(word.decode(), slot, "decode(encode({slot:?}))");
    assert_eq!(Word::from_raw(word.raw()), Ok(word), "from_raw of {slot:?}");
}

#[test]
fn none_is_zero() {
    assert_eq!(Word::NONE.raw(), 0);
    assert!(Word::NONE.is_none());
    assert_eq!(Word::NONE.decode(), Slot::None);
    assert_eq!(Word::encode(Slot::None), Ok(Word::NONE));
    assert_eq!(Word::from_raw(0), Ok(Word::NONE));
}

#[test]
fn zswap_round_trips() {
    for ptr in [
        8,
        0x1000,
        0xffff_8880_0123_4568,
        0xffff_ffff_ffff_fff8,
        0x7fff_ffff_ffff_fff8,
    ] {
        round_trip(zswap(ptr));
        // The word is the pointer itself: loads need no masking.
        assert_eq!(Word::encode(zswap(ptr)).map(Word::raw), Ok(ptr));
    }
}

#[test]
fn zswap_rejects_unaligned_pointers() {
    for ptr in [1, 2, 4, 7, 0xffff_8880_0123_4561, 0xffff_ffff_ffff_ffff] {
        assert_eq!(
            Word::encode(zswap(ptr)),
            Err(EncodeError::UnalignedPointer),
            "{ptr:#x}"
        );
    }
}

#[test]
fn phys_round_trips_at_the_edges() {
    for ty in [0, 1, 2, 17, PHYS_TYPE_MAX] {
        for offset in [
            0,
            1,
            511,
            512,
            1 << 32,
            PHYS_OFFSET_MAX - 1,
            PHYS_OFFSET_MAX,
        ] {
            round_trip(phys(ty, offset));
        }
    }
}

#[test]
fn phys_is_never_none_or_zswap() {
    // Type 0, offset 0 is a real slot (offset 0 is the header, but the encoding must not care).
    let word = Word::encode(phys(0, 0)).expect("encodes");
    assert!(!word.is_none());
    assert_eq!(word.decode(), phys(0, 0));
}

#[test]
fn phys_rejects_out_of_range_fields() {
    assert_eq!(
        Word::encode(phys(PHYS_TYPE_MAX + 1, 0)),
        Err(EncodeError::TypeTooLarge)
    );
    assert_eq!(
        Word::encode(phys(u8::MAX, 0)),
        Err(EncodeError::TypeTooLarge)
    );
    assert_eq!(
        Word::encode(phys(0, PHYS_OFFSET_MAX + 1)),
        Err(EncodeError::OffsetTooLarge)
    );
    assert_eq!(
        Word::encode(phys(0, u64::MAX)),
        Err(EncodeError::OffsetTooLarge)
    );
}

#[test]
fn malformed_tags_are_rejected() {
    // Tag 3 is PACKED (rust/packed.rs): malformed ones are refused there.
    for high in [0, 0x1000, 0xffff_8880_0000_0000, !7] {
        assert!(Word::from_raw(high | 3).is_err(), "{:#x}", high | 3);
    }
    for tag in 4..8u64 {
        for high in [0, 0x1000, 0xffff_8880_0000_0000, !7] {
            assert_eq!(
                Word::from_raw(high | tag),
                Err(DecodeError::UnknownTag),
                "{:#x}",
                high | tag
            );
        }
    }
}

#[test]
fn lost_is_its_tag_alone() {
    round_trip(Slot::Lost);
    let word = Word::encode(Slot::Lost).expect("encodes");
    assert_eq!(word.raw(), 0b010);
    assert!(!word.is_none());
    // Any other bit with the LOST tag is corruption, not a lost slot.
    for high in [8, 0x1000, 0xffff_8880_0000_0000, !7] {
        assert_eq!(
            Word::from_raw(high | 0b010),
            Err(DecodeError::ReservedBits),
            "{:#x}",
            high | 0b010
        );
    }
}

#[test]
fn phys_reserved_bits_are_rejected() {
    let good = Word::encode(phys(3, 12345)).expect("encodes").raw();
    for bit in 53..59 {
        assert_eq!(
            Word::from_raw(good | (1 << bit)),
            Err(DecodeError::ReservedBits),
            "bit {bit}"
        );
    }
    // The bits next to the reserved ones belong to the fields.
    assert!(Word::from_raw(good | (1 << 52)).is_ok());
    assert!(Word::from_raw(good | (1 << 59)).is_ok());
}

#[test]
fn fields_do_not_overlap() {
    let a = Word::encode(phys(PHYS_TYPE_MAX, 0)).expect("encodes").raw();
    let b = Word::encode(phys(0, PHYS_OFFSET_MAX))
        .expect("encodes")
        .raw();
    assert_eq!(a & b, 1, "only the tag is shared");
    assert_eq!(a.count_ones(), 5 + 1);
    assert_eq!(b.count_ones(), 50 + 1);
}

/// Every raw value either decodes to a slot that encodes back to the same value, or is rejected
/// for a reason that matches its bits.
#[test]
fn random_raw_values_are_consistent() {
    let mut rng = Rng::new(0x7653_7761_7030);
    let mut accepted = [0u32; 5];
    for _ in 0..1_000_000 {
        let raw = rng.next();
        match Word::from_raw(raw) {
            Ok(word) => {
                let slot = word.decode();
                accepted[match slot {
                    Slot::None => 0,
                    Slot::Zswap(_) => 1,
                    Slot::Phys(_) => 2,
                    Slot::Lost => 3,
                    Slot::Packed(_) => 4,
                }] += 1;
                assert_eq!(Word::encode(slot), Ok(word), "{raw:#x}");
            }
            Err(DecodeError::UnknownTag) => assert!(raw & 7 > 3, "{raw:#x}"),
            Err(DecodeError::ReservedBits) if raw & 7 == 2 => assert_ne!(raw, 2, "{raw:#x}"),
            Err(DecodeError::ReservedBits) if raw & 7 == 3 => {
                assert!(crate::packed::PackedLoc::decode(raw).is_err(), "{raw:#x}")
            }
            Err(DecodeError::ReservedBits) => {
                assert_eq!(raw & 7, 1, "{raw:#x}");
                assert_ne!(raw & (0x3f << 53), 0, "{raw:#x}");
            }
        }
    }
    assert!(accepted[1] > 100_000, "zswap words seen: {accepted:?}");
    assert!(accepted[2] > 1_000, "phys words seen: {accepted:?}");
}

#[test]
fn random_slots_round_trip() {
    let mut rng = Rng::new(42);
    for _ in 0..200_000 {
        let r = rng.next();
        round_trip(phys((r >> 59) as u8, rng.next() & PHYS_OFFSET_MAX));
        let ptr = rng.next() & !7;
        if ptr != 0 {
            round_trip(zswap(ptr));
        }
    }
}

#[test]
fn only_a_phys_slot_names_a_physical_slot() {
    let p = PhysSlot { ty: 3, offset: 77 };
    assert_eq!(Slot::Phys(p).phys(), Some(p));
    assert_eq!(Slot::None.phys(), None);
    assert_eq!(Slot::Lost.phys(), None);
    assert_eq!(
        Slot::Zswap(core::num::NonZeroU64::new(0x1000).expect("non-zero")).phys(),
        None
    );
}

#[test]
fn zswap_entry_words_need_a_non_null_aligned_address() {
    assert_eq!(Word::zswap_entry(0x1000), Word::encode(zswap(0x1000)).ok());
    assert_eq!(Word::zswap_entry(0), None);
    assert_eq!(Word::zswap_entry(0x1004), None);
}
