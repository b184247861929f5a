// SPDX-License-Identifier: GPL-2.0

//! Encoding of vtable words: where the data of one virtual swap slot lives.
//!
//! Every virtual slot of the vswap device owns one 64-bit word in the module's vtable. The word
//! says where the slot's data is right now; zero-filled and swap-cached pages are tracked by the
//! kernel's swap table and never reach the vtable. The layout, drawn like `mm/swap_table.h`:
//!
//! ```text
//!  63    59 58      53 52                                            3 2   0
//! +--------+----------+-----------------------------------------------+-----+
//! |                              0                                    | 000 |  NONE
//! +--------+----------+-----------------------------------------------+-----+
//! |            struct zswap_entry pointer, bits 63..3                 | 000 |  ZSWAP
//! +--------+----------+-----------------------------------------------+-----+
//! |  type  | reserved |               physical offset                 | 001 |  PHYS
//! +--------+----------+-----------------------------------------------+-----+
//! |                              0                                    | 010 |  LOST
//! +--------+----------+-----------------------------------------------+-----+
//! ```
//!
//! and PACKED, whose fields are [`PackedLoc`]'s:
//!
//! ```text
//!  63    59 58  56 55                    24 23  20 19    15 14          3 2   0
//! +--------+------+------------------------+------+--------+-------------+-----+
//! |  type  | rsvd |         block          | rsvd | sector |   length    | 011 |  PACKED
//! +--------+------+------------------------+------+--------+-------------+-----+
//! ```
//!
//! - NONE is the all-zero word, so a freshly zeroed leaf is all NONE.
//! - ZSWAP is the pointer itself (8-byte aligned, never null): a lookup costs no masking.
//! - PHYS names a slot on an ordinary swap device: its swap type (5 bits, as `MAX_SWAPFILES_SHIFT`)
//!   and offset (50 bits). The reserved bits are zero.
//! - LOST marks a slot whose data could not be read back when its physical device was swapped
//!   off (an I/O error): the physical slot is freed, and reading the slot fails, as a stock swapoff
//!   poisons the page table entry of such a page. It holds no other bits.
//! - PACKED names compressed data packed with other slots' in a block, one physical slot shared
//!   by several objects (packed writeback): its swap type and slot, the first 512-byte sector of
//!   the data there and its exact length. The layout is [`PackedLoc`]'s (`rust/packed.rs`).
//! - Any other tag, or a PHYS or PACKED word with reserved bits set, is malformed: decoding
//!   refuses it, so a corrupted or stale word is reported instead of being followed.
//!
//! This file is plain `core` Rust: it is compiled into the module and into the host test crate
//! under `rust/host/`, where `cargo test` exercises it.

use crate::packed::{
    PackedLoc,
    TAG_PACKED, //
};
use core::num::NonZeroU64;

/// Number of low bits that carry the tag.
const TAG_BITS: u32 = 3;
/// Mask of the tag bits.
const TAG_MASK: u64 = (1 << TAG_BITS) - 1;
/// Tag of NONE and ZSWAP words (a pointer, or zero).
const TAG_POINTER: u64 = 0b000;
/// Tag of PHYS words.
const TAG_PHYS: u64 = 0b001;
/// Tag of the LOST word (the whole word).
const TAG_LOST: u64 = 0b010;

/// Number of bits of a physical offset.
pub(crate) const PHYS_OFFSET_BITS: u32 = 50;
/// Number of bits of a physical swap type (the kernel's `MAX_SWAPFILES_SHIFT`).
pub(crate) const PHYS_TYPE_BITS: u32 = 5;
/// First bit of the physical offset.
const PHYS_OFFSET_SHIFT: u32 = TAG_BITS;
/// First bit of the physical swap type.
const PHYS_TYPE_SHIFT: u32 = u64::BITS - PHYS_TYPE_BITS;
/// Mask of the physical offset, once shifted down.
const PHYS_OFFSET_MASK: u64 = (1 << PHYS_OFFSET_BITS) - 1;
/// The reserved bits of a PHYS word, in place.
const PHYS_RESERVED_MASK: u64 =
    !(TAG_MASK | (PHYS_OFFSET_MASK << PHYS_OFFSET_SHIFT) | (u64::MAX << PHYS_TYPE_SHIFT));

/// Largest physical offset a PHYS word can hold.
pub(crate) const PHYS_OFFSET_MAX: u64 = PHYS_OFFSET_MASK;
/// Largest physical swap type a PHYS word can hold.
pub(crate) const PHYS_TYPE_MAX: u8 = (1 << PHYS_TYPE_BITS) - 1;

/// A slot on a physical (ordinary) swap device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PhysSlot {
    /// The swap type of the device (its index in `swap_info[]`).
    pub(crate) ty: u8,
    /// The offset of the slot on that device.
    pub(crate) offset: u64,
}

/// Where the data of a virtual slot lives: the decoded form of a [`Word`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    /// Nothing in the vtable: the slot is free, zero-filled or only in the swap cache.
    None,
    /// Compressed in zswap; the value is the address of its `struct zswap_entry`.
    Zswap(NonZeroU64),
    /// Written to a physical swap slot.
    Phys(PhysSlot),
    /// Lost: reading it from its physical slot failed when that device was swapped off.
    Lost,
    /// Compressed, packed with other slots' data in a block on a physical swap device.
    Packed(PackedLoc),
}

impl Slot {
    /// The physical slot, if the data is on one.
    pub(crate) fn phys(self) -> Option<PhysSlot> {
        match self {
            Slot::Phys(p) => Some(p),
            Slot::None | Slot::Zswap(_) | Slot::Lost | Slot::Packed(_) => None,
        }
    }
}

/// Why a [`Slot`] cannot be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EncodeError {
    /// A zswap entry pointer that is not 8-byte aligned.
    UnalignedPointer,
    /// A physical swap type above [`PHYS_TYPE_MAX`].
    TypeTooLarge,
    /// A physical offset above [`PHYS_OFFSET_MAX`].
    OffsetTooLarge,
    /// A packed location out of range (see [`PackedLoc`]).
    BadPacked,
}

/// Why a raw 64-bit value is not a valid [`Word`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DecodeError {
    /// The low bits hold a tag no word uses.
    UnknownTag,
    /// A PHYS, LOST or PACKED word with reserved bits set, or a PACKED word out of range.
    ReservedBits,
}

/// One vtable word.
///
/// # Invariants
///
/// The raw value is a valid encoding: NONE (zero), an 8-byte aligned non-zero pointer, a PHYS
/// tag with zero reserved bits, exactly the LOST tag, or a PACKED word [`PackedLoc`] decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(transparent)]
pub(crate) struct Word(u64);

impl Word {
    /// The word of a slot whose data is not in the vtable.
    // INVARIANT: Zero is NONE.
    pub(crate) const NONE: Word = Word(0);

    /// The word of a slot whose data was lost.
    // INVARIANT: Exactly the LOST tag.
    pub(crate) const LOST: Word = Word(TAG_LOST);

    /// Encodes `slot`.
    pub(crate) const fn encode(slot: Slot) -> Result<Word, EncodeError> {
        match slot {
            Slot::None => Ok(Word::NONE),
            Slot::Zswap(ptr) => {
                if ptr.get() & TAG_MASK != 0 {
                    return Err(EncodeError::UnalignedPointer);
                }
                // INVARIANT: A non-zero pointer with clear tag bits.
                Ok(Word(ptr.get()))
            }
            Slot::Phys(PhysSlot { ty, offset }) => {
                if ty > PHYS_TYPE_MAX {
                    return Err(EncodeError::TypeTooLarge);
                }
                if offset > PHYS_OFFSET_MAX {
                    return Err(EncodeError::OffsetTooLarge);
                }
                // INVARIANT: The PHYS tag, with both fields in range and no reserved bit set.
                Ok(Word(
                    ((ty as u64) << PHYS_TYPE_SHIFT) | (offset << PHYS_OFFSET_SHIFT) | TAG_PHYS,
                ))
            }
            // INVARIANT: Exactly the LOST tag.
            Slot::Lost => Ok(Word(TAG_LOST)),
            Slot::Packed(loc) => match loc.encode() {
                // INVARIANT: `PackedLoc::encode` checked the location; it decodes.
                Ok(raw) => Ok(Word(raw)),
                Err(_) => Err(EncodeError::BadPacked),
            },
        }
    }

    /// The ZSWAP word of the `struct zswap_entry` at address `entry`, if it can be one
    /// (non-null and 8-byte aligned).
    pub(crate) fn zswap_entry(entry: usize) -> Option<Word> {
        NonZeroU64::new(entry as u64).and_then(|p| Word::encode(Slot::Zswap(p)).ok())
    }

    /// Checks that `raw` is a valid encoding and wraps it.
    pub(crate) const fn from_raw(raw: u64) -> Result<Word, DecodeError> {
        match raw & TAG_MASK {
            // INVARIANT: Zero or an aligned pointer.
            TAG_POINTER => Ok(Word(raw)),
            TAG_PHYS if raw & PHYS_RESERVED_MASK != 0 => Err(DecodeError::ReservedBits),
            // INVARIANT: A PHYS word with clear reserved bits.
            TAG_PHYS => Ok(Word(raw)),
            // INVARIANT: The LOST word.
            TAG_LOST if raw == TAG_LOST => Ok(Word(raw)),
            TAG_LOST => Err(DecodeError::ReservedBits),
            // INVARIANT: A PACKED word that decodes.
            TAG_PACKED if PackedLoc::decode(raw).is_ok() => Ok(Word(raw)),
            TAG_PACKED => Err(DecodeError::ReservedBits),
            _ => Err(DecodeError::UnknownTag),
        }
    }

    /// The raw value, as stored in the vtable.
    pub(crate) const fn raw(self) -> u64 {
        self.0
    }

    /// Whether this is the NONE word.
    pub(crate) const fn is_none(self) -> bool {
        self.0 == 0
    }

    /// Decodes the word.
    pub(crate) const fn decode(self) -> Slot {
        match (self.0 & TAG_MASK, NonZeroU64::new(self.0)) {
            (_, None) => Slot::None,
            (TAG_POINTER, Some(ptr)) => Slot::Zswap(ptr),
            (TAG_LOST, _) => Slot::Lost,
            (TAG_PACKED, _) => match PackedLoc::decode(self.0) {
                Ok(loc) => Slot::Packed(loc),
                // By the type invariant a PACKED word decodes.
                Err(_) => Slot::Lost,
            },
            // By the type invariant the only other tag is PHYS.
            _ => Slot::Phys(PhysSlot {
                ty: (self.0 >> PHYS_TYPE_SHIFT) as u8,
                offset: (self.0 >> PHYS_OFFSET_SHIFT) & PHYS_OFFSET_MASK,
            }),
        }
    }
}
