// SPDX-License-Identifier: GPL-2.0

//! The stable statistics of `/dev/vswap0`: the sysfs files under `/sys/block/vswap0/vswap/`.
//!
//! Each file is one line of decimal values separated by single spaces, in the order its
//! `*_FIELDS` constant names them, like zram's `mm_stat`. New fields are only ever appended:
//! this is an ABI (documented in `Documentation/ABI/testing/sysfs-block-vswap`).
//!
//! This file is plain `core` Rust: it is compiled into the module and into the host test crate
//! under `rust/host/`, where `cargo test` exercises it.

use core::fmt;

/// The counters of one moment, read by the module from its live statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Snapshot {
    /// 1 while `/dev/vswap0` is swapped on.
    pub(crate) attached: u64,
    /// Virtual slots of the device (its size in pages).
    pub(crate) nr_slots: u64,
    /// Slots whose data is in zswap.
    pub(crate) slots_zswap: u64,
    /// Slots whose data is on a physical swap device.
    pub(crate) slots_phys: u64,
    /// Slots whose data was lost (unreadable when its physical device was swapped off).
    pub(crate) slots_lost: u64,
    /// Bytes of vtable the module holds.
    pub(crate) metadata_bytes: u64,
    /// zswap stores recorded in the vtable.
    pub(crate) stores: u64,
    /// zswap loads looked up.
    pub(crate) loads: u64,
    /// Loads of slots that were not in zswap.
    pub(crate) load_misses: u64,
    /// zswap entries erased (slot freed or overwritten).
    pub(crate) erases: u64,
    /// Folios zswap refused that stayed resident, as no physical slot was to be had.
    pub(crate) zswap_rejected_resident: u64,
    /// Vtable leaf allocations that failed (the store then failed).
    pub(crate) leaf_alloc_failures: u64,
    /// Requests to the block device refused.
    pub(crate) io_rejected: u64,
    /// Physical slots backing vswap slots now.
    pub(crate) phys_in_use: u64,
    /// Physical slots allocated.
    pub(crate) phys_alloc_ok: u64,
    /// Physical slot allocations that failed (no backing device, or full).
    pub(crate) phys_alloc_failed: u64,
    /// Allocations refused before allocating: the slot no longer held the zswap entry the
    /// caller expected (a stale zswap LRU entry).
    pub(crate) phys_alloc_stale: u64,
    /// Of those, allocations for zswap writeback: each one a decompression not spent.
    pub(crate) phys_decompress_saved: u64,
    /// zswap entries written back to a physical slot.
    pub(crate) phys_writebacks: u64,
    /// Pages zswap refused that went to a physical slot.
    pub(crate) phys_fallbacks: u64,
    /// Physical slots given up for a zswap store: the page was written out again, or a
    /// writeback was undone.
    pub(crate) phys_replaced_by_zswap: u64,
    /// Physical slots freed.
    pub(crate) phys_freed: u64,
    /// Slots moved off a physical device by its swapoff.
    pub(crate) phys_swapoff_moved: u64,
    /// Slots lost by a physical device's swapoff (read errors).
    pub(crate) phys_swapoff_lost: u64,
    /// Slots moved by a physical device's swapoff to another device, not into memory.
    pub(crate) phys_swapoff_relocated: u64,
}

/// One sysfs statistics file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum File {
    /// `mm_stat`: what the slots hold.
    Mm,
    /// `io_stat`: zswap traffic through the vtable, and refusals.
    Io,
    /// `phys_stat`: physical backing.
    Phys,
}

/// The fields of `mm_stat`, in order.
pub(crate) const MM_STAT_FIELDS: [&str; 6] = [
    "nr_slots",
    "slots_zswap",
    "slots_phys",
    "slots_lost",
    "metadata_bytes",
    "attached",
];

/// The fields of `io_stat`, in order.
pub(crate) const IO_STAT_FIELDS: [&str; 7] = [
    "stores",
    "loads",
    "load_misses",
    "erases",
    "zswap_rejected_resident",
    "leaf_alloc_failures",
    "io_rejected",
];

/// The fields of `phys_stat`, in order.
pub(crate) const PHYS_STAT_FIELDS: [&str; 12] = [
    "in_use",
    "alloc_ok",
    "alloc_failed",
    "alloc_stale",
    "decompress_saved",
    "writebacks",
    "fallbacks",
    "replaced_by_zswap",
    "freed",
    "swapoff_moved",
    "swapoff_lost",
    "swapoff_relocated",
];

impl File {
    /// Every file, in the order the sysfs directory lists them.
    pub(crate) const ALL: [File; 3] = [File::Mm, File::Io, File::Phys];

    /// The file's name.
    #[cfg_attr(not(test), expect(dead_code, reason = "host tests, vswapctl"))]
    pub(crate) fn name(self) -> &'static str {
        match self {
            File::Mm => "mm_stat",
            File::Io => "io_stat",
            File::Phys => "phys_stat",
        }
    }

    /// The names of the file's fields, in order.
    #[cfg_attr(not(test), expect(dead_code, reason = "host tests, vswapctl"))]
    pub(crate) fn fields(self) -> &'static [&'static str] {
        match self {
            File::Mm => &MM_STAT_FIELDS,
            File::Io => &IO_STAT_FIELDS,
            File::Phys => &PHYS_STAT_FIELDS,
        }
    }

    /// Writes the file's line for `s`: the values in field order, then a newline.
    pub(crate) fn write(self, s: &Snapshot, w: &mut impl fmt::Write) -> fmt::Result {
        match self {
            File::Mm => line(
                w,
                &[
                    s.nr_slots,
                    s.slots_zswap,
                    s.slots_phys,
                    s.slots_lost,
                    s.metadata_bytes,
                    s.attached,
                ],
            ),
            File::Io => line(
                w,
                &[
                    s.stores,
                    s.loads,
                    s.load_misses,
                    s.erases,
                    s.zswap_rejected_resident,
                    s.leaf_alloc_failures,
                    s.io_rejected,
                ],
            ),
            File::Phys => line(
                w,
                &[
                    s.phys_in_use,
                    s.phys_alloc_ok,
                    s.phys_alloc_failed,
                    s.phys_alloc_stale,
                    s.phys_decompress_saved,
                    s.phys_writebacks,
                    s.phys_fallbacks,
                    s.phys_replaced_by_zswap,
                    s.phys_freed,
                    s.phys_swapoff_moved,
                    s.phys_swapoff_lost,
                    s.phys_swapoff_relocated,
                ],
            ),
        }
    }
}

/// `values` separated by single spaces, then a newline.
fn line(w: &mut impl fmt::Write, values: &[u64]) -> fmt::Result {
    for (i, v) in values.iter().enumerate() {
        if i != 0 {
            w.write_char(' ')?;
        }
        write!(w, "{v}")?;
    }
    w.write_char('\n')
}
