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
    sync::atomic::Ordering::Release, //
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
mod header;
mod hooks;
mod ktable;
mod pack;
mod packed;
mod phys;
mod stat;
mod stats;
mod sys;
mod vtable;
mod word;

use backend::Backend;
use config::{Config, SelftestWarn};
use disk::{
    IoStats,
    VswapDisk, //
};
use stats::Stats;

/// `module!` with the parameters every build has, and `$test`: the test-only ones, which only
/// the test suite's build (`VSWAP_TEST=1`, `--cfg vswap_test`; see `Kbuild`) has.
macro_rules! vswap_module {
    ($($test:tt)*) => {
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
                phys_free_defer: u32 {
                    default: crate::config::PHYS_FREE_DEFER_DEFAULT,
                    description: "Physical slots of freed pages a CPU queues for a work item (0-64; default 0: none)",
                },
                pack: u32 {
                    default: 0,
                    description: "Packed writeback: zswap writes pages back compressed, several to a block (0: off, default; 1: on; experimental)",
                },
                $($test)*
            },
        }
    };
}

#[cfg(vswap_test)]
vswap_module! {
    selftest_warn: u32 {
        default: 0,
        description: "Test only: a WARNING at load (1) or unload (2), to prove splat detection",
    },
    test_ready_delay_ms: u32 {
        default: 0,
        description: "Test only: ms to wait at load before /dev/vswap0 can be swapped on",
    },
}

#[cfg(not(vswap_test))]
vswap_module! {}

/// The test-only parameters `selftest_warn` and `test_ready_delay_ms` (test builds).
#[cfg(vswap_test)]
fn test_params() -> (u32, u32) {
    (
        *module_parameters::selftest_warn.value(),
        *module_parameters::test_ready_delay_ms.value(),
    )
}

/// The test-only parameters: 0 in the module users install, which has none.
#[cfg(not(vswap_test))]
fn test_params() -> (u32, u32) {
    (0, 0)
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
        self.stats.write_debug(self.config.nr_pages, f)
    }
}

/// The loaded module. `drop` first makes the disk look empty again; then the fields drop in
/// order: the sysfs directory goes (no reader is left in it), the registration goes (the swap
/// core can no longer attach), then the disk, then the debugfs files.
struct VswapModule {
    _sysfs: hooks::SysfsDir,
    _registration: hooks::Registration,
    disk: Pin<KBox<Mutex<GenDisk<VswapDisk>>>>,
    io: Arc<IoStats>,
    _state: Pin<KBox<Scope<State>>>,
    warn_at_unload: bool,
}

impl VswapModule {
    /// Reads and validates the module parameters, explaining any refusal in the kernel log.
    fn config() -> Result<Config> {
        let (selftest_warn, test_ready_delay_ms) = test_params();
        Config::new(
            *module_parameters::nr_pages.value(),
            selftest_warn,
            test_ready_delay_ms,
            *module_parameters::phys_free_defer.value(),
        )
        .and_then(|c| c.with_pack(*module_parameters::pack.value()))
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

        let backend = Backend::new(config.pack)?;
        let io = Arc::new(IoStats::default(), GFP_KERNEL)?;
        let root = Dir::new(c"vswap");
        let state = KBox::pin_init(
            root.scope(
                State {
                    config,
                    stats: Stats::new(backend.clone(), io.clone()),
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
        let sysfs = hooks::SysfsDir::new(&*disk.lock(), Stats::new(backend.clone(), io.clone()))?;
        // The last step that can fail: a failure before it leaves nothing attached, and nothing
        // can attach before the disk is ready, below.
        let registration =
            hooks::Registration::new(&*disk.lock(), backend, module, config.phys_free_defer)?;
        if config.test_ready_delay_ms != 0 {
            fsleep(Delta::from_millis(config.test_ready_delay_ms.into()));
        }
        io.ready.store(true, Release);
        sys::disk_changed(&*disk.lock());
        pr_info!(
            "loaded: /dev/vswap0 with {} virtual slots{}\n",
            config.nr_pages,
            if config.pack {
                ", packed writeback"
            } else {
                ""
            }
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
        sys::disk_changed(&*self.disk.lock());
        // Leaves retired while swapped on are freed by RCU callbacks in this module's text.
        sys::rcu_barrier();
        kernel::warn_on!(self.warn_at_unload);
        pr_info!("unloaded\n");
    }
}
