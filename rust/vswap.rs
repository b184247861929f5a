// SPDX-License-Identifier: GPL-2.0

//! vswap: a virtual swap layer for zswap and on-demand physical swap.
//!
//! Page tables hold virtual swap entries on a swap device flagged `SWP_VSWAP`, which this module
//! registers as `/dev/vswap0`. The module's vtable keeps one tagged word per virtual slot saying
//! where its data lives now: a zswap entry, or a physical slot allocated on demand from an
//! ordinary swap device (see `word.rs` for the encoding).
//!
//! Usage: `insmod vswap.ko [nr_pages=N]`; its statistics are under `/sys/block/vswap0/vswap/`
//! (stable, `stat.rs`) and `/sys/kernel/debug/vswap/` (for debugging). See `Documentation/` in the project for the admin guide.

use core::{
    fmt,
    sync::atomic::Ordering::{
        Relaxed,
        Release, //
    }, //
};
use kernel::{
    block::mq::gen_disk::GenDisk,
    debugfs::{
        Dir,
        Scope, //
    },
    new_mutex,
    prelude::*,
    sync::{
        Arc,
        Mutex, //
    },
    time::{
        delay::fsleep,
        Delta, //
    }, //
};

mod backend;
mod config;
mod disk;
mod ffi;
mod header;
mod phys;
mod stat;
mod vtable;
mod word;

use backend::Backend;
use config::{Config, SelftestWarn};
use disk::{
    IoStats,
    VswapDisk, //
};
use stat::Snapshot;

module! {
    type: VswapModule,
    name: "vswap",
    authors: ["The vswap developers"],
    description: "Virtual swap layer: zswap without a swapfile, physical swap on demand",
    license: "GPL",
    params: {
        nr_pages: u64 {
            default: crate::config::NR_PAGES_DEFAULT,
            description: "Virtual slots of /dev/vswap0: a multiple of 512 in [512, 2^32]",
        },
        selftest_warn: u32 {
            default: 0,
            description: "Test only: a WARNING at load (1) or unload (2), to prove splat detection",
        },
        test_ready_delay_ms: u32 {
            default: 0,
            description: "Test only: ms to wait at load before /dev/vswap0 can be swapped on",
        },
        phys_free_defer: u32 {
            default: crate::config::PHYS_FREE_DEFER_DEFAULT,
            description: "Physical slots of freed pages a CPU queues for a work item (0-64; default 0: none)",
        },
    },
}

/// Where the module's statistics come from: what the sysfs and debugfs files show.
pub(crate) struct Stats {
    backend: Arc<Backend>,
    io: Arc<IoStats>,
}

impl Stats {
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
}

/// What the module's debugfs files show.
struct State {
    config: Config,
    stats: Stats,
}

impl State {
    /// The `stats` file: one `name value` line per counter, like `/proc/vmstat` (for debugging;
    /// the stable interface is sysfs, `stat.rs`).
    fn show(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = &self.stats.backend;
        let s = &b.stats;
        let io = &self.stats.io;
        let n = self.stats.snapshot();
        let p = &b.phys;
        let q = ffi::backing_free_stat();
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
            ("config_nr_pages", self.config.nr_pages),
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

/// The loaded module. `drop` first makes the disk look empty again; then the fields drop in
/// order: the sysfs directory goes (no reader is left in it), the registration goes (the swap
/// core can no longer attach), then the disk, then the debugfs files.
struct VswapModule {
    _sysfs: ffi::SysfsDir,
    _registration: ffi::Registration,
    disk: Pin<KBox<Mutex<GenDisk<VswapDisk>>>>,
    io: Arc<IoStats>,
    _state: Pin<KBox<Scope<State>>>,
    warn_at_unload: bool,
}

impl VswapModule {
    /// Reads and validates the module parameters, explaining any refusal in the kernel log.
    fn config() -> Result<Config> {
        Config::new(
            *module_parameters::nr_pages.value(),
            *module_parameters::selftest_warn.value(),
            *module_parameters::test_ready_delay_ms.value(),
            *module_parameters::phys_free_defer.value(),
        )
        .map_err(|err| {
            pr_err!(
                "invalid {}={}: expected {}\n",
                err.name,
                err.value,
                err.expected
            );
            EINVAL
        })
    }
}

impl kernel::Module for VswapModule {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let config = Self::config()?;
        kernel::warn_on!(config.selftest_warn == SelftestWarn::AtLoad);

        let backend = Backend::new()?;
        let io = Arc::new(IoStats::default(), GFP_KERNEL)?;
        let root = Dir::new(c"vswap");
        let state = KBox::pin_init(
            root.scope(
                State {
                    config,
                    stats: Stats {
                        backend: backend.clone(),
                        io: io.clone(),
                    },
                },
                c"vswap0",
                |state, dir| {
                    dir.read_only_file(c"nr_pages", &state.config.nr_pages);
                    dir.read_callback_file(c"stats", state, &State::show);
                },
            ),
            GFP_KERNEL,
        )?;
        // The disk serves zeroes until it is ready (see `disk.rs`): nothing can swap on it yet.
        let disk = KBox::pin_init(
            new_mutex!(VswapDisk::new(config.nr_pages, io.clone())?),
            GFP_KERNEL,
        )?;
        let sysfs = ffi::SysfsDir::new(
            &*disk.lock(),
            Stats {
                backend: backend.clone(),
                io: io.clone(),
            },
        )?;
        // The last step that can fail: a failure before it leaves nothing attached, and nothing
        // can attach before the disk is ready, below.
        let registration =
            ffi::Registration::new(&*disk.lock(), backend, module, config.phys_free_defer)?;
        if config.test_ready_delay_ms != 0 {
            fsleep(Delta::from_millis(config.test_ready_delay_ms.into()));
        }
        io.ready.store(true, Release);
        ffi::disk_changed(&*disk.lock());
        pr_info!(
            "loaded: /dev/vswap0 with {} virtual slots\n",
            config.nr_pages
        );
        Ok(VswapModule {
            _sysfs: sysfs,
            _registration: registration,
            disk,
            io,
            _state: state,
            warn_at_unload: config.selftest_warn == SelftestWarn::AtUnload,
        })
    }
}

impl Drop for VswapModule {
    fn drop(&mut self) {
        // Unloading: the module is not pinned, so no device is attached. Look empty again before
        // the registration goes, so that nothing swaps on the disk as an ordinary device.
        self.io.ready.store(false, Release);
        ffi::disk_changed(&*self.disk.lock());
        // Leaves retired while swapped on are freed by RCU callbacks in this module's text.
        ffi::rcu_barrier();
        kernel::warn_on!(self.warn_at_unload);
        pr_info!("unloaded\n");
    }
}
