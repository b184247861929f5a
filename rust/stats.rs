// SPDX-License-Identifier: GPL-2.0

//! Where the statistics files of `/sys/block/vswap0/vswap/` and debugfs read from: the backend's
//! and the disk's counters, read into one [`Snapshot`] (whose layout is `stat.rs`).

use crate::{
    backend::Backend,
    disk::IoStats,
    stat::Snapshot,
    sys, //
};
use core::{
    fmt,
    sync::atomic::Ordering::Relaxed, //
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
    pub(crate) fn snapshot(&self) -> Snapshot {
        let b = &self.backend;
        let s = &b.stats;
        let p = &b.phys;
        let zswap = s.zswap_slots();
        let phys = s.phys_slots();
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
        }
    }

    /// The debugfs `stats` file: one `name value` line per counter, like `/proc/vmstat` (for
    /// debugging; the stable interface is sysfs, `stat.rs`); `nr_pages` is the module parameter.
    pub(crate) fn write_debug(&self, nr_pages: u64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = &self.backend;
        let s = &b.stats;
        let io = &self.io;
        let n = self.snapshot();
        let p = &b.phys;
        let q = sys::backing_free_stat();
        let lines: [(&str, u64); 39] = [
            ("attached", n.attached),
            ("nr_slots", n.nr_slots),
            (
                "slots_none",
                n.nr_slots
                    .saturating_sub(n.slots_zswap + n.slots_phys + n.slots_lost),
            ),
            ("slots_zswap", n.slots_zswap),
            ("slots_phys", n.slots_phys),
            ("slots_lost", n.slots_lost),
            ("stores", n.stores),
            ("loads", n.loads),
            ("load_misses", n.load_misses),
            ("erases", n.erases),
            ("zswap_rejected_resident", n.zswap_rejected_resident),
            ("leaves", s.leaves.load(Relaxed)),
            ("leaves_retired", s.leaves_retired.load(Relaxed)),
            ("leaf_alloc_failures", n.leaf_alloc_failures),
            ("metadata_bytes", n.metadata_bytes),
            ("attaches", b.attaches.load(Relaxed)),
            ("leaked_at_detach", b.leaked_at_detach.load(Relaxed)),
            ("io_reads", io.reads.load(Relaxed)),
            ("io_header_writes", io.header_writes.load(Relaxed)),
            ("io_rejected", n.io_rejected),
            ("config_nr_pages", nr_pages),
            ("phys_in_use", n.phys_in_use),
            ("phys_alloc_ok", n.phys_alloc_ok),
            ("phys_alloc_failed", n.phys_alloc_failed),
            ("phys_alloc_stale", n.phys_alloc_stale),
            ("phys_decompress_saved", n.phys_decompress_saved),
            ("phys_writebacks", n.phys_writebacks),
            ("phys_fallbacks", n.phys_fallbacks),
            ("phys_replaced_by_zswap", n.phys_replaced_by_zswap),
            ("phys_freed", n.phys_freed),
            ("phys_free_mismatch", p.free_mismatch.load(Relaxed)),
            ("phys_swapoff_moved", n.phys_swapoff_moved),
            ("phys_swapoff_lost", n.phys_swapoff_lost),
            ("phys_swapoff_relocated", n.phys_swapoff_relocated),
            ("phys_free_pending", q.pending),
            ("phys_free_deferred", q.deferred),
            ("phys_free_inline", q.inline_freed),
            ("phys_free_drains", q.drains),
            ("phys_free_flushes", q.flushes),
        ];
        for (name, value) in lines {
            writeln!(f, "{name} {value}")?;
        }
        // Physical slots in use per swap type, for the types that have some.
        for (ty, c) in p.in_use.iter().enumerate() {
            let n = c.load(Relaxed);
            if n != 0 {
                writeln!(f, "phys_in_use_type{ty} {n}")?;
            }
        }
        Ok(())
    }
}
