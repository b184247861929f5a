// SPDX-License-Identifier: GPL-2.0

//! Where the statistics files of `/sys/block/vswap0/vswap/` and debugfs read from: the backend's
//! and the disk's counters, read into one [`Snapshot`] (whose layout is `stat.rs`).

use crate::{
    backend::Backend,
    disk::IoStats,
    pack::PackStats,
    stat::{
        Snapshot,
        COUNTERS, //
    },
    sys, //
};
use core::{
    fmt,
    sync::atomic::{
        AtomicU64,
        Ordering::Relaxed, //
    },
};
use kernel::sync::Arc;

/// Where the module's statistics come from: what the sysfs and debugfs files show.
pub(crate) struct Stats {
    backend: Arc<Backend>,
    io: Arc<IoStats>,
}

impl Stats {
    /// The statistics of `backend` and of the disk's `io`.
    pub(crate) fn new(backend: Arc<Backend>, io: Arc<IoStats>) -> Self {
        Stats { backend, io }
    }

    /// The counters now, each read once (relaxed: they need not be consistent with each other).
    /// Process context: the swap core's deferred release counters are read under its lock.
    pub(crate) fn snapshot(&self) -> Snapshot {
        let b = &self.backend;
        let s = &b.stats;
        let p = &b.phys;
        let io = &self.io;
        let q = sys::backing_free_stat();
        let zswap = s.zswap_slots();
        let phys = s.phys_slots();
        let pack = |f: fn(&PackStats) -> &AtomicU64| {
            b.packer
                .as_ref()
                .map_or(0, |packer| f(&packer.stats).load(Relaxed))
        };
        Snapshot {
            attached: u64::from(b.swap_type.load(Relaxed) >= 0),
            nr_slots: b.nr_slots.load(Relaxed),
            slots_zswap: zswap,
            slots_phys: phys,
            slots_lost: s.lost_slots(),
            metadata_bytes: s.metadata_bytes(),
            stores: s.stores(),
            loads: s.loads(),
            load_misses: s.load_misses(),
            erases: s.erases(),
            zswap_rejected_resident: b.rejected_resident.load(Relaxed),
            leaf_alloc_failures: s.leaf_alloc_failures.load(Relaxed),
            io_rejected: self.io.rejected.load(Relaxed),
            phys_in_use: p.total_in_use(),
            phys_alloc_ok: p.alloc_ok.load(Relaxed),
            phys_alloc_failed: p.alloc_failed.load(Relaxed),
            phys_alloc_stale: p.alloc_stale.load(Relaxed),
            phys_decompress_saved: p.decompress_saved.load(Relaxed),
            phys_writebacks: p.writebacks.load(Relaxed),
            phys_fallbacks: p.fallbacks.load(Relaxed),
            phys_replaced_by_zswap: p.replaced_by_zswap.load(Relaxed),
            phys_freed: p.freed.load(Relaxed),
            phys_swapoff_moved: p.swapoff_moved.load(Relaxed),
            phys_swapoff_lost: p.swapoff_lost.load(Relaxed),
            phys_swapoff_relocated: p.swapoff_relocated.load(Relaxed),
            leaves: s.leaves.load(Relaxed),
            leaves_retired: s.leaves_retired.load(Relaxed),
            attaches: b.attaches.load(Relaxed),
            leaked_at_detach: b.leaked_at_detach.load(Relaxed),
            io_reads: io.reads.load(Relaxed),
            io_header_writes: io.header_writes.load(Relaxed),
            phys_free_mismatch: p.free_mismatch.load(Relaxed),
            phys_free_pending: q.pending,
            phys_free_deferred: q.deferred,
            phys_free_inline: q.inline_freed,
            phys_free_drains: q.drains,
            phys_free_flushes: q.flushes,
            slots_packed: s.packed_slots(),
            pack_objects_written: pack(|p| &p.objects_written),
            pack_bytes_written: pack(|p| &p.bytes_written),
            pack_blocks_written: pack(|p| &p.blocks_written),
            pack_blocks_in_use: pack(|p| &p.blocks_in_use),
            pack_blocks_freed: pack(|p| &p.blocks_freed),
            pack_unpackable: pack(|p| &p.unpackable),
            pack_no_block: pack(|p| &p.no_block),
            pack_write_failed: pack(|p| &p.write_failed),
            pack_drop_mismatch: pack(|p| &p.drop_mismatch),
        }
    }

    /// The debugfs `stats` file: one `name value` line per counter of the table (`stat.rs`), like
    /// `/proc/vmstat` (for debugging; the stable interface is sysfs), then the slots that hold
    /// nothing, the `nr_pages` parameter and the physical slots in use per swap type.
    pub(crate) fn write_debug(&self, nr_pages: u64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.snapshot();
        for (c, v) in COUNTERS.iter().zip(n.values()) {
            writeln!(f, "{} {v}", c.name)?;
        }
        let none = n
            .nr_slots
            .saturating_sub(n.slots_zswap + n.slots_phys + n.slots_lost + n.slots_packed);
        writeln!(f, "slots_none {none}")?;
        writeln!(f, "config_nr_pages {nr_pages}")?;
        // Physical slots in use per swap type, for the types that have some.
        for (ty, c) in self.backend.phys.in_use.iter().enumerate() {
            let n = c.load(Relaxed);
            if n != 0 {
                writeln!(f, "phys_in_use_type{ty} {n}")?;
            }
        }
        Ok(())
    }
}
