// SPDX-License-Identifier: GPL-2.0

//! vswap: a virtual swap layer for zswap and on-demand physical swap.
//!
//! Page tables hold virtual swap entries on a swap device flagged `SWP_VSWAP`, which this module
//! registers as `/dev/vswap0`. The module's vtable keeps one tagged word per virtual slot saying
//! where its data lives now: a zswap entry, or a physical slot allocated on demand from an
//! ordinary swap device (see `word.rs` for the encoding).
//!
//! Usage: `insmod vswap.ko [nr_pages=N]`; the module's state is under
//! `/sys/kernel/debug/vswap/`. See `Documentation/` in the project for the admin guide.

use kernel::{
    debugfs::{
        Dir,
        Scope, //
    },
    prelude::*, //
};

mod config;
#[expect(dead_code, reason = "the vtable that uses the encoding is the next step")]
mod word;

use config::Config;

module! {
    type: VswapModule,
    name: "vswap",
    authors: ["The vswap developers"],
    description: "Virtual swap layer: zswap without a swapfile, physical swap on demand",
    license: "GPL",
    params: {
        nr_pages: u64 {
            default: 1048576,
            description: "Virtual slots of /dev/vswap0: a multiple of 512 in [512, 2^32]",
        },
        selftest_warn: u32 {
            default: 0,
            description: "Test only: 1 raises a WARNING at load (proves splat detection)",
        },
    },
}

/// What the module's debugfs files show.
struct State {
    config: Config,
}

/// The loaded module.
struct VswapModule {
    /// The debugfs directory and the state its files show; dropping it removes the files first.
    _state: Pin<KBox<Scope<State>>>,
}

impl VswapModule {
    /// Reads and validates the module parameters, explaining any refusal in the kernel log.
    fn config() -> Result<Config> {
        Config::new(
            *module_parameters::nr_pages.value(),
            *module_parameters::selftest_warn.value(),
        )
        .map_err(|err| {
            pr_err!("{err}\n");
            EINVAL
        })
    }
}

impl kernel::Module for VswapModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let config = Self::config()?;
        kernel::warn_on!(config.selftest_warn);

        let root = Dir::new(c"vswap");
        let state = KBox::pin_init(
            root.scope(State { config }, c"config", |state, dir| {
                dir.read_only_file(c"nr_pages", &state.config.nr_pages);
            }),
            GFP_KERNEL,
        )?;
        pr_info!("loaded: {} virtual slots\n", config.nr_pages);
        Ok(VswapModule { _state: state })
    }
}

impl Drop for VswapModule {
    fn drop(&mut self) {
        pr_info!("unloaded\n");
    }
}
