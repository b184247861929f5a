// SPDX-License-Identifier: GPL-2.0

//! The module's counters, each declared once in [`counters!`]: the [`Snapshot`] that holds
//! them, the stable sysfs files under `/sys/block/vswap0/vswap/` that show some of them, and
//! the debugfs `stats` file that shows all of them are derived from that one table, as are
//! vswapctl's reading of the sysfs files (`tools/vswapctl`). A host test checks the table
//! against the ABI document.
//!
//! Each sysfs file is one line of decimal values separated by single spaces, in table order,
//! like zram's `mm_stat`. New fields are only ever appended: this is an ABI (documented in
//! `Documentation/ABI/testing/sysfs-block-vswap`).
//!
//! This file is plain `core` Rust: it is compiled into the module and into the host test crate
//! under `rust/host/`, where `cargo test` exercises it.

use core::fmt;

/// Declares every counter once, in order: its doc, its name (the [`Snapshot`] field and the
/// debugfs line), and the sysfs file that shows it (`Mm`, `Io`, `Phys`) with its name there, or
/// `Debug` for a counter only debugfs shows. Within a sysfs file the table's order is the
/// file's: new fields go after the file's last one.
macro_rules! counters {
    ($( $(#[doc = $doc:literal])+ $field:ident: $file:ident $($sysfs:literal)?, )*) => {
        /// The counters of one moment, read by the module from its live statistics.
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub(crate) struct Snapshot {
            $( $(#[doc = $doc])+ pub(crate) $field: u64, )*
        }

        /// Every counter, in table order.
        pub(crate) const COUNTERS: [Counter; counters!(@count $($field)*)] = [
            $( Counter {
                name: stringify!($field),
                file: counters!(@file $file),
                sysfs: counters!(@name $field $($sysfs)?),
            }, )*
        ];

        impl Snapshot {
            /// The values, in table order.
            pub(crate) fn values(&self) -> [u64; COUNTERS.len()] {
                [ $( self.$field, )* ]
            }

            /// The snapshot whose values, in table order, are `values`.
            #[cfg(test)]
            pub(crate) fn from_values(values: [u64; COUNTERS.len()]) -> Self {
                let [ $( $field, )* ] = values;
                Snapshot { $( $field, )* }
            }
        }
    };
    (@count) => { 0 };
    (@count $head:ident $($tail:ident)*) => { 1 + counters!(@count $($tail)*) };
    (@file Debug) => { None };
    (@file $file:ident) => { Some(File::$file) };
    (@name $field:ident $sysfs:literal) => { $sysfs };
    (@name $field:ident) => { stringify!($field) };
}

/// One counter of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Counter {
    /// Its name: the [`Snapshot`] field, and its line in debugfs.
    pub(crate) name: &'static str,
    /// The sysfs file that shows it, if any.
    pub(crate) file: Option<File>,
    /// Its name in that file (the ABI document's).
    pub(crate) sysfs: &'static str,
}

counters! {
    /// Virtual slots of the device (its size in pages).
    nr_slots: Mm "nr_slots",
    /// Slots whose data is in zswap.
    slots_zswap: Mm "slots_zswap",
    /// Slots whose data is on a physical swap device.
    slots_phys: Mm "slots_phys",
    /// Slots whose data was lost (unreadable when its physical device was swapped off).
    slots_lost: Mm "slots_lost",
    /// Bytes of vtable the module holds.
    metadata_bytes: Mm "metadata_bytes",
    /// 1 while `/dev/vswap0` is swapped on.
    attached: Mm "attached",
    /// zswap stores recorded in the vtable.
    stores: Io "stores",
    /// zswap loads looked up.
    loads: Io "loads",
    /// Loads of slots that were not in zswap.
    load_misses: Io "load_misses",
    /// zswap entries erased (slot freed or overwritten).
    erases: Io "erases",
    /// Folios zswap refused that stayed resident, as no physical slot was to be had.
    zswap_rejected_resident: Io "zswap_rejected_resident",
    /// Vtable leaf allocations that failed (the store then failed).
    leaf_alloc_failures: Io "leaf_alloc_failures",
    /// Requests to the block device refused.
    io_rejected: Io "io_rejected",
    /// Physical slots backing vswap slots now.
    phys_in_use: Phys "in_use",
    /// Physical slots allocated.
    phys_alloc_ok: Phys "alloc_ok",
    /// Physical slot allocations that failed (no backing device, or full).
    phys_alloc_failed: Phys "alloc_failed",
    /// Allocations refused before allocating: the slot no longer held the zswap entry the
    /// caller expected (a stale zswap LRU entry).
    phys_alloc_stale: Phys "alloc_stale",
    /// Of those, allocations for zswap writeback: each one a decompression not spent.
    phys_decompress_saved: Phys "decompress_saved",
    /// zswap entries written back to a physical slot.
    phys_writebacks: Phys "writebacks",
    /// Pages zswap refused that went to a physical slot.
    phys_fallbacks: Phys "fallbacks",
    /// Physical slots given up for a zswap store: the page was written out again, or a
    /// writeback was undone.
    phys_replaced_by_zswap: Phys "replaced_by_zswap",
    /// Physical slots freed.
    phys_freed: Phys "freed",
    /// Slots moved off a physical device by its swapoff.
    phys_swapoff_moved: Phys "swapoff_moved",
    /// Slots lost by a physical device's swapoff (read errors).
    phys_swapoff_lost: Phys "swapoff_lost",
    /// Slots moved by a physical device's swapoff to another device, not into memory.
    phys_swapoff_relocated: Phys "swapoff_relocated",
    /// Vtable leaves held now.
    leaves: Debug,
    /// Vtable leaves emptied and retired (freed after an RCU grace period).
    leaves_retired: Debug,
    /// Times the device was attached (swapon).
    attaches: Debug,
    /// Slots still in use at a detach (a leak; 0 unless something is wrong).
    leaked_at_detach: Debug,
    /// Reads served by the block device (the swap header, zeroes).
    io_reads: Debug,
    /// Writes to the header page taken (mkswap).
    io_header_writes: Debug,
    /// Physical slots the swap core refused to free: their rmap entry named another owner.
    phys_free_mismatch: Debug,
    /// Physical slots of freed pages queued now for a work item to free (`phys_free_defer`).
    phys_free_pending: Debug,
    /// Physical slots queued since boot.
    phys_free_deferred: Debug,
    /// Physical slots of freed pages freed on the unmap path since boot.
    phys_free_inline: Debug,
    /// Times the queues were emptied with something in them.
    phys_free_drains: Debug,
    /// Of those, by an allocation that found no free slot.
    phys_free_flushes: Debug,
    /// Slots whose data is packed in a block on a physical device (packed writeback).
    slots_packed: Debug,
    /// zswap entries written back packed.
    pack_objects_written: Debug,
    /// Compressed bytes of those.
    pack_bytes_written: Debug,
    /// Blocks written.
    pack_blocks_written: Debug,
    /// Blocks holding packed data now.
    pack_blocks_in_use: Debug,
    /// Blocks freed with their last object.
    pack_blocks_freed: Debug,
    /// zswap entries too long to pack, written back decompressed.
    pack_unpackable: Debug,
    /// zswap entries written back decompressed because no block slot could be had.
    pack_no_block: Debug,
    /// zswap entries left in zswap because their block could not be allocated or written.
    pack_write_failed: Debug,
    /// Packed objects dropped that their block did not hold (a bug; must stay zero).
    pack_drop_mismatch: Debug,
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

impl File {
    /// Every file, in the order the sysfs directory lists them.
    pub(crate) const ALL: [File; 3] = [File::Mm, File::Io, File::Phys];

    /// The file's name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            File::Mm => "mm_stat",
            File::Io => "io_stat",
            File::Phys => "phys_stat",
        }
    }

    /// The names of the file's fields, in order.
    #[cfg_attr(
        not(test),
        allow(dead_code, reason = "used by the host tests and vswapctl")
    )]
    pub(crate) fn fields(self) -> impl Iterator<Item = &'static str> {
        COUNTERS
            .iter()
            .filter(move |c| c.file == Some(self))
            .map(|c| c.sysfs)
    }

    /// Writes the file's line for `s`: its values in field order, separated by single spaces,
    /// then a newline.
    pub(crate) fn write(self, s: &Snapshot, w: &mut impl fmt::Write) -> fmt::Result {
        let mut first = true;
        for (c, v) in COUNTERS.iter().zip(s.values()) {
            if c.file == Some(self) {
                if !first {
                    w.write_char(' ')?;
                }
                first = false;
                write!(w, "{v}")?;
            }
        }
        w.write_char('\n')
    }
}
