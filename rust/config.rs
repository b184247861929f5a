// SPDX-License-Identifier: GPL-2.0

//! Validation of the module parameters.
//!
//! This file is plain `core` Rust: it is compiled into the module and into the host test crate
//! under `rust/host/`, where `cargo test` exercises it.

use core::fmt;

/// Pages in one swap cluster (`SWAPFILE_CLUSTER` on x86-64 with 4 KiB pages).
pub(crate) const CLUSTER_PAGES: u64 = 512;
/// Smallest vswap device: one cluster.
pub(crate) const NR_PAGES_MIN: u64 = CLUSTER_PAGES;
/// Largest vswap device: 2^32 pages (16 TiB of 4 KiB pages), the most `swapon` accepts in a
/// swap header and far beyond any memory the vtable could be asked to describe.
pub(crate) const NR_PAGES_MAX: u64 = 1 << 32;
/// Default size of the vswap device: 4 GiB of 4 KiB pages. Idle slots cost nothing.
pub(crate) const NR_PAGES_DEFAULT: u64 = 1 << 20;
/// Default `phys_free_defer`: physical slots of freed vswap slots a CPU queues before a work item
/// frees them (the swap core's `VSWAP_FREE_QUEUE` bounds it). Off: under TCG the free of
/// disk-backed pages was slower with the queue (16: 1.23x, 64: 1.15x of the free without it;
/// Documentation/bench-notes.rst), and TCG cannot say what a real machine gains.
pub(crate) const PHYS_FREE_DEFER_DEFAULT: u32 = 0;
/// Default `pack`: off until the benchmarks say otherwise (packed writeback is new; see
/// Documentation/design.rst, "Packed compressed writeback").
pub(crate) const PACK_DEFAULT: bool = false;
/// Largest `phys_free_defer`: the swap core queues at most this many per CPU.
pub(crate) const PHYS_FREE_DEFER_MAX: u32 = 64;
/// Longest test-only wait between adding the disk and letting it be swapped on, in ms.
pub(crate) const READY_DELAY_MS_MAX: u32 = 10_000;

/// A module parameter with a value the module refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ParamError {
    /// The parameter's name.
    pub(crate) name: &'static str,
    /// The value given.
    pub(crate) value: u64,
    /// What the parameter accepts.
    pub(crate) expected: &'static str,
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {}={}: expected {}",
            self.name, self.value, self.expected
        )
    }
}

/// When the test-only `selftest_warn` parameter raises its warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SelftestWarn {
    /// Never (0, the default).
    Off,
    /// While the module loads (1).
    AtLoad,
    /// While the module unloads (2): the harness must catch what its cleanup provokes.
    AtUnload,
}

/// The validated module configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Config {
    /// Virtual slots of the vswap device, a whole number of clusters.
    pub(crate) nr_pages: u64,
    /// Test only: raise a warning so the guest harness can prove it catches splats.
    pub(crate) selftest_warn: SelftestWarn,
    /// Test only: milliseconds to wait, during load, between adding `/dev/vswap0` and letting it
    /// be swapped on, so that a test can try to swap on it in that window.
    pub(crate) test_ready_delay_ms: u32,
    /// Physical slots of freed vswap slots a CPU queues before a work item frees them; 0 frees
    /// them on the unmap path.
    pub(crate) phys_free_defer: u32,
    /// Packed writeback: zswap writes pages back compressed, several to a block (`pack.rs`).
    pub(crate) pack: bool,
}

impl Config {
    /// Validates the raw parameter values.
    pub(crate) fn new(
        nr_pages: u64,
        selftest_warn: u32,
        test_ready_delay_ms: u32,
        phys_free_defer: u32,
    ) -> Result<Config, ParamError> {
        if !(NR_PAGES_MIN..=NR_PAGES_MAX).contains(&nr_pages)
            || !nr_pages.is_multiple_of(CLUSTER_PAGES)
        {
            return Err(ParamError {
                name: "nr_pages",
                value: nr_pages,
                expected: "a multiple of 512 from 512 to 4294967296",
            });
        }
        let selftest_warn = match selftest_warn {
            0 => SelftestWarn::Off,
            1 => SelftestWarn::AtLoad,
            2 => SelftestWarn::AtUnload,
            _ => {
                return Err(ParamError {
                    name: "selftest_warn",
                    value: selftest_warn.into(),
                    expected: "0, 1 or 2",
                })
            }
        };
        if test_ready_delay_ms > READY_DELAY_MS_MAX {
            return Err(ParamError {
                name: "test_ready_delay_ms",
                value: test_ready_delay_ms.into(),
                expected: "at most 10000",
            });
        }
        if phys_free_defer > PHYS_FREE_DEFER_MAX {
            return Err(ParamError {
                name: "phys_free_defer",
                value: phys_free_defer.into(),
                expected: "at most 64",
            });
        }
        Ok(Config {
            nr_pages,
            selftest_warn,
            test_ready_delay_ms,
            phys_free_defer,
            pack: PACK_DEFAULT,
        })
    }

    /// The configuration with the `pack` parameter's value `raw`: 0 (off) or 1 (on).
    pub(crate) fn with_pack(self, raw: u32) -> Result<Config, ParamError> {
        match raw {
            0 | 1 => Ok(Config {
                pack: raw == 1,
                ..self
            }),
            _ => Err(ParamError {
                name: "pack",
                value: raw.into(),
                expected: "0 or 1",
            }),
        }
    }
}
