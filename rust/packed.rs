// SPDX-License-Identifier: GPL-2.0

//! Packed compressed writeback: where an object goes, and what a block holds.
//!
//! When zswap writes a vswap page back today, the page is decompressed and written to a 4 KiB
//! physical slot of its own. Packed writeback (`Documentation/design.rst`, "Packed compressed
//! writeback") copies the compressed object instead into an open *block*, one physical slot
//! shared by several objects, each starting on a 512-byte sector. The vtable word of a packed
//! slot then says "the `len` bytes from sector `sector` of block `block` on device `ty`".
//!
//! This file is the plain logic of that design, built and tested on the host (`rust/host`)
//! before the module uses it:
//!
//! - [`PackedLoc`]: the PACKED vtable word, tag `0b011` (`rust/word.rs` uses `0b000` to
//!   `0b010`). It carries the exact compressed length, which the decompressors need, and the
//!   sector count follows from it.
//! - [`Block`]: the occupancy of one block: the sectors appended so far, the first sector and
//!   owner (vswap slot) of each object still live, and the block's phase. Swapoff of the
//!   physical device learns a block's owners from here, without reading it and without a
//!   page-table walk; a block is freed exactly once, when its last object goes.
//! - [`OpenSet`]: best fit over a few open blocks, so that objects of different sizes fill
//!   blocks well.
//! - [`worth_compacting`]: when a committed block's live data is too sparse to keep.
//!
//! Nothing here sleeps, allocates or touches the kernel: the module wraps these in its locks.

/// Bytes per sector: the unit objects are placed in.
pub(crate) const SECTOR_BYTES: u32 = 512;

/// Sectors per block: a block is one 4 KiB physical slot.
pub(crate) const BLOCK_SECTORS: u8 = 8;

/// Longest object worth packing: it must leave at least one sector of its block to others.
pub(crate) const PACK_MAX_LEN: u16 = (BLOCK_SECTORS as u16 - 1) * SECTOR_BYTES as u16;

/// The swap type a PACKED word never names: 31 is never a swap device (the kernel keeps the
/// top of the 5-bit type space for PTE markers), so the Pointer entry that marks a packed block
/// names it as its owner's type instead of a vswap slot's.
pub(crate) const BLOCK_MARKER_TYPE: u8 = (1 << TYPE_BITS) - 1;

/// Sectors an object of `len` bytes occupies.
pub(crate) const fn sectors(len: u16) -> u8 {
    ((len as u32).div_ceil(SECTOR_BYTES)) as u8
}

// The PACKED word, drawn as in `rust/word.rs`:
//
//  63    59 58 56 55                           24 23  20 19   15 14            3 2   0
// +--------+-----+-------------------------------+------+-------+---------------+-----+
// |  type  | res |   block (physical offset)     | res  | sector|  len (bytes)  | 011 |
// +--------+-----+-------------------------------+------+-------+---------------+-----+

/// Tag of PACKED words.
pub(crate) const TAG_PACKED: u64 = 0b011;
const TAG_MASK: u64 = 0b111;
const LEN_SHIFT: u32 = 3;
const LEN_BITS: u32 = 12;
const SECTOR_SHIFT: u32 = 15;
const SECTOR_BITS: u32 = 5;
const BLOCK_SHIFT: u32 = 24;
const BLOCK_BITS: u32 = 32;
const TYPE_SHIFT: u32 = 59;
const TYPE_BITS: u32 = 5;

const fn field(bits: u32) -> u64 {
    (1 << bits) - 1
}

/// Every bit a PACKED word may have set; the others are reserved and must be zero.
const USED_MASK: u64 = TAG_MASK
    | (field(LEN_BITS) << LEN_SHIFT)
    | (field(SECTOR_BITS) << SECTOR_SHIFT)
    | (field(BLOCK_BITS) << BLOCK_SHIFT)
    | (field(TYPE_BITS) << TYPE_SHIFT);

/// Where a packed object is: its block, its first sector there, and its exact length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PackedLoc {
    /// The swap type of the physical device.
    pub(crate) ty: u8,
    /// The block: the offset of its physical slot on that device (never 0, the header).
    pub(crate) block: u32,
    /// The object's first sector in the block (0-7; the word's field has 5 bits, room for
    /// blocks of up to 16 KiB).
    pub(crate) sector: u8,
    /// The object's compressed length in bytes.
    pub(crate) len: u16,
}

/// Why a [`PackedLoc`] cannot be encoded, or a raw word is not a PACKED word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PackedError {
    /// The raw word carries another tag.
    NotPacked,
    /// Reserved bits are set.
    ReservedBits,
    /// A swap type above the largest, or the block marker's.
    BadType,
    /// Block 0: the swap header, never a block.
    HeaderBlock,
    /// A length of 0, or above [`PACK_MAX_LEN`].
    BadLength,
    /// The object does not end within its block.
    PastBlock,
}

impl PackedLoc {
    /// Checks the fields against the invariants of a PACKED word.
    const fn check(self) -> Result<PackedLoc, PackedError> {
        if self.ty >= BLOCK_MARKER_TYPE {
            return Err(PackedError::BadType);
        }
        if self.block == 0 {
            return Err(PackedError::HeaderBlock);
        }
        if self.len == 0 || self.len > PACK_MAX_LEN {
            return Err(PackedError::BadLength);
        }
        if self.sector as u32 + sectors(self.len) as u32 > BLOCK_SECTORS as u32 {
            return Err(PackedError::PastBlock);
        }
        Ok(self)
    }

    /// Sectors the object occupies.
    pub(crate) const fn sectors(self) -> u8 {
        sectors(self.len)
    }

    /// The raw PACKED word of this location.
    pub(crate) const fn encode(self) -> Result<u64, PackedError> {
        match self.check() {
            Ok(l) => Ok(((l.ty as u64) << TYPE_SHIFT)
                | ((l.block as u64) << BLOCK_SHIFT)
                | ((l.sector as u64) << SECTOR_SHIFT)
                | ((l.len as u64) << LEN_SHIFT)
                | TAG_PACKED),
            Err(e) => Err(e),
        }
    }

    /// The location a raw PACKED word names; refuses any other word, and a malformed one.
    pub(crate) const fn decode(raw: u64) -> Result<PackedLoc, PackedError> {
        if raw & TAG_MASK != TAG_PACKED {
            return Err(PackedError::NotPacked);
        }
        if raw & !USED_MASK != 0 {
            return Err(PackedError::ReservedBits);
        }
        PackedLoc {
            ty: (raw >> TYPE_SHIFT) as u8,
            block: ((raw >> BLOCK_SHIFT) & field(BLOCK_BITS)) as u32,
            sector: ((raw >> SECTOR_SHIFT) & field(SECTOR_BITS)) as u8,
            len: ((raw >> LEN_SHIFT) & field(LEN_BITS)) as u16,
        }
        .check()
    }
}

/// Where a block is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Objects are being appended; nothing is on the disk yet.
    Open,
    /// Sealed and being written: no more appends, no vtable word names it yet.
    Writing,
    /// On the disk: the vtable words of its live objects name it.
    Committed,
    /// Its write failed: no word names it; its objects are dropped (they stay in zswap).
    Failed,
}

/// Why an operation on a [`Block`] was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BlockError {
    /// The object does not fit in what is left of the block.
    NoRoom,
    /// The block is not in the phase the operation needs.
    WrongPhase,
    /// No live object of that owner starts at that sector with that size.
    NotLive,
    /// A length of 0, or above [`PACK_MAX_LEN`].
    BadLength,
}

/// The occupancy of one block.
///
/// # Invariants
///
/// - `appended <= BLOCK_SECTORS`; objects were appended at sectors `0..appended`, in order.
/// - `starts` has one bit per live object, at its first sector; `live` has the bits of all the
///   sectors of the live objects; both lie within `0..appended`, and each object's sectors run
///   from its start to the next start or to the first sector not live.
/// - `owner[s]` is meaningful only where `starts` has bit `s`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Block {
    phase: Phase,
    appended: u8,
    starts: u8,
    live: u8,
    owner: [u32; BLOCK_SECTORS as usize],
}

/// The mask of sectors `first..first + n`.
const fn sector_mask(first: u8, n: u8) -> u8 {
    ((((1u16 << n) - 1) << first) & 0xff) as u8
}

impl Default for Block {
    fn default() -> Block {
        Block::new()
    }
}

impl Block {
    /// An empty, open block.
    // INVARIANT: Nothing appended, nothing live.
    pub(crate) const fn new() -> Block {
        Block {
            phase: Phase::Open,
            appended: 0,
            starts: 0,
            live: 0,
            owner: [0; BLOCK_SECTORS as usize],
        }
    }

    /// Its phase.
    pub(crate) const fn phase(&self) -> Phase {
        self.phase
    }

    /// Sectors still free for appends (0 once the block is sealed).
    pub(crate) const fn room(&self) -> u8 {
        match self.phase {
            Phase::Open => BLOCK_SECTORS - self.appended,
            Phase::Writing | Phase::Committed | Phase::Failed => 0,
        }
    }

    /// Number of live objects.
    #[allow(dead_code, reason = "for the fill ratio counters and compaction, next")]
    pub(crate) const fn nr_live(&self) -> u32 {
        self.starts.count_ones()
    }

    /// Number of sectors live objects occupy.
    #[allow(dead_code, reason = "for the fill ratio counters and compaction, next")]
    pub(crate) const fn live_sectors(&self) -> u32 {
        self.live.count_ones()
    }

    /// Whether nothing in the block is live any more.
    pub(crate) const fn is_empty(&self) -> bool {
        self.starts == 0
    }

    /// Appends an object of `len` bytes owned by vswap slot `owner`; returns its first sector.
    pub(crate) fn append(&mut self, len: u16, owner: u32) -> Result<u8, BlockError> {
        if self.phase != Phase::Open {
            return Err(BlockError::WrongPhase);
        }
        if len == 0 || len > PACK_MAX_LEN {
            return Err(BlockError::BadLength);
        }
        let n = sectors(len);
        if n > self.room() {
            return Err(BlockError::NoRoom);
        }
        let first = self.appended;
        // INVARIANT: The object takes the next `n` sectors, within the block; its start bit and
        // sectors are set, and its owner recorded.
        self.appended += n;
        self.starts |= 1 << first;
        self.live |= sector_mask(first, n);
        self.owner[first as usize] = owner;
        Ok(first)
    }

    /// Seals an open block for writing: nothing more is appended.
    pub(crate) fn seal(&mut self) -> Result<(), BlockError> {
        if self.phase != Phase::Open {
            return Err(BlockError::WrongPhase);
        }
        self.phase = Phase::Writing;
        Ok(())
    }

    /// The write of a sealed block completed: its objects are on the disk.
    pub(crate) fn written(&mut self) -> Result<(), BlockError> {
        if self.phase != Phase::Writing {
            return Err(BlockError::WrongPhase);
        }
        self.phase = Phase::Committed;
        Ok(())
    }

    /// The write of a sealed block failed: its objects are to be dropped, each by the caller
    /// that puts its zswap entry back.
    pub(crate) fn failed(&mut self) -> Result<(), BlockError> {
        if self.phase != Phase::Writing {
            return Err(BlockError::WrongPhase);
        }
        self.phase = Phase::Failed;
        Ok(())
    }

    /// The number of sectors of the live object starting at `sector`: up to the next object's
    /// start, the first sector no live object holds, or the end of what was appended (objects
    /// are appended back to back).
    fn object_sectors(&self, sector: u8) -> u8 {
        let mut end = sector + 1;
        while end < self.appended && self.starts & (1 << end) == 0 && self.live & (1 << end) != 0 {
            end += 1;
        }
        end - sector
    }

    /// The object of `owner` at `sector`, `n` sectors long, is gone: freed, written again or
    /// moved once committed, or dropped after its block's write failed. Returns whether the block
    /// is now empty: its caller then frees the physical slot, exactly once, as this is the only
    /// call that can take the last object away. Refused in an open or writing block, whose
    /// objects have no word yet (their slots are locked until the write ends), and for anything
    /// but exactly a live object: its start, its owner, its size.
    pub(crate) fn drop_object(
        &mut self,
        sector: u8,
        n: u8,
        owner: u32,
    ) -> Result<bool, BlockError> {
        if !matches!(self.phase, Phase::Committed | Phase::Failed) {
            return Err(BlockError::WrongPhase);
        }
        if sector >= self.appended
            || self.starts & (1 << sector) == 0
            || self.owner[sector as usize] != owner
            || self.object_sectors(sector) != n
        {
            return Err(BlockError::NotLive);
        }
        let mask = sector_mask(sector, n);
        // INVARIANT: A live object's sectors are all live; its start bit and its sectors are
        // cleared together.
        debug_assert_eq!(self.live & mask, mask);
        self.starts &= !(1 << sector);
        self.live &= !mask;
        Ok(self.is_empty())
    }

    /// The live objects: `(first sector, owner)` of each.
    pub(crate) fn owners(&self) -> impl Iterator<Item = (u8, u32)> + '_ {
        (0..BLOCK_SECTORS)
            .filter(move |s| self.starts & (1 << s) != 0)
            .map(move |s| (s, self.owner[s as usize]))
    }

    /// Whether an object of `owner` starts at `sector`: the check a PACKED word's reader makes
    /// before it trusts the block.
    pub(crate) const fn owned_by(&self, sector: u8, owner: u32) -> bool {
        sector < BLOCK_SECTORS
            && self.starts & (1 << sector) != 0
            && self.owner[sector as usize] == owner
    }
}

/// Where [`OpenSet::place`] puts an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(
    dead_code,
    reason = "the module fills one block at a time for now; best fit and compaction come next"
)]
pub(crate) enum Place {
    /// Into the open block in this slot of the set.
    Into(usize),
    /// Into a new block, opened in this empty slot of the set.
    Open(usize),
    /// Close (seal and write) the block in this slot, then open a new one there.
    Replace(usize),
    /// Into a block of its own, sealed and written at once: it would waste fewer sectors than
    /// closing any open block.
    Alone,
}

/// Best fit over the open blocks of one writer: `K` slots, each empty or holding an open block
/// with some sectors of room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(
    dead_code,
    reason = "the module fills one block at a time for now; best fit and compaction come next"
)]
pub(crate) struct OpenSet<const K: usize> {
    room: [Option<u8>; K],
}

impl<const K: usize> Default for OpenSet<K> {
    fn default() -> Self {
        OpenSet { room: [None; K] }
    }
}

#[allow(
    dead_code,
    reason = "the module fills one block at a time for now; best fit and compaction come next"
)]
impl<const K: usize> OpenSet<K> {
    /// Where an object of `n` sectors (1 to `BLOCK_SECTORS - 1`) goes: the open block with the
    /// least room that still fits it; else an empty slot; else whichever wastes fewer sectors:
    /// closing the open block with the least room (the fullest) to open a new one in its slot,
    /// or writing the object in a block of its own at once (`BLOCK_SECTORS - n` wasted). Changes
    /// nothing: the caller reports with [`OpenSet::set`] what it did.
    pub(crate) fn place(&self, n: u8) -> Place {
        let mut best: Option<(usize, u8)> = None;
        let mut empty = None;
        let mut fullest: Option<(usize, u8)> = None;
        for (i, r) in self.room.iter().enumerate() {
            match *r {
                None => {
                    empty.get_or_insert(i);
                }
                Some(r) => {
                    if r >= n && best.is_none_or(|(_, b)| r < b) {
                        best = Some((i, r));
                    }
                    if fullest.is_none_or(|(_, f)| r < f) {
                        fullest = Some((i, r));
                    }
                }
            }
        }
        match (best, empty, fullest) {
            (Some((i, _)), _, _) => Place::Into(i),
            (None, Some(i), _) => Place::Open(i),
            (None, None, Some((i, room))) if room <= BLOCK_SECTORS.saturating_sub(n) => {
                Place::Replace(i)
            }
            // Nothing fits and the object's own block wastes less, or `K == 0`.
            (None, None, _) => Place::Alone,
        }
    }

    /// Records that slot `i` holds an open block with `room` sectors free, or none (`None`:
    /// sealed, or never opened). A block with no room left is sealed by its caller.
    pub(crate) fn set(&mut self, i: usize, room: Option<u8>) {
        if let Some(r) = self.room.get_mut(i) {
            *r = room.filter(|&r| r > 0);
        }
    }

    /// The room of slot `i`.
    pub(crate) fn room(&self, i: usize) -> Option<u8> {
        self.room.get(i).copied().flatten()
    }
}

/// Whether a committed block whose live objects occupy `live_sectors` is worth compacting at
/// threshold `fill_pct` (percent of the block): its objects then move to a fresh block, and
/// its slot comes back. An empty block is freed, not compacted.
#[allow(
    dead_code,
    reason = "the module fills one block at a time for now; best fit and compaction come next"
)]
pub(crate) const fn worth_compacting(live_sectors: u32, fill_pct: u32) -> bool {
    live_sectors > 0 && (live_sectors as u64) * 100 < (fill_pct as u64) * BLOCK_SECTORS as u64
}
