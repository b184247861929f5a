// SPDX-License-Identifier: GPL-2.0

//! Tests of the module parameter validation (`rust/config.rs`).

use crate::config::*;
use std::string::ToString;

#[test]
fn defaults_are_valid() {
    let cfg =
        Config::new(NR_PAGES_DEFAULT, 0, 0, PHYS_FREE_DEFER_DEFAULT).expect("defaults are valid");
    assert_eq!(cfg.nr_pages, NR_PAGES_DEFAULT);
    assert_eq!(cfg.selftest_warn, SelftestWarn::Off);
}

#[test]
fn nr_pages_bounds() {
    assert!(Config::new(NR_PAGES_MIN, 0, 0, PHYS_FREE_DEFER_DEFAULT).is_ok());
    assert!(Config::new(NR_PAGES_MAX, 0, 0, PHYS_FREE_DEFER_DEFAULT).is_ok());
    for bad in [0, 1, 511, 513, 1000, NR_PAGES_MAX + CLUSTER_PAGES, u64::MAX] {
        let err = Config::new(bad, 0, 0, PHYS_FREE_DEFER_DEFAULT).expect_err("out of range");
        assert_eq!(err.name, "nr_pages");
        assert_eq!(err.value, bad);
    }
}

#[test]
fn selftest_warn_values() {
    for (raw, when) in [
        (0, SelftestWarn::Off),
        (1, SelftestWarn::AtLoad),
        (2, SelftestWarn::AtUnload),
    ] {
        let cfg = Config::new(NR_PAGES_DEFAULT, raw, 0, PHYS_FREE_DEFER_DEFAULT).expect("valid");
        assert_eq!(cfg.selftest_warn, when);
    }
    let err =
        Config::new(NR_PAGES_DEFAULT, 3, 0, PHYS_FREE_DEFER_DEFAULT).expect_err("not 0, 1 or 2");
    assert_eq!(err.name, "selftest_warn");
    assert_eq!(err.expected, "0, 1 or 2");
}

#[test]
fn errors_name_the_parameter_and_the_range() {
    let msg = Config::new(100, 0, 0, PHYS_FREE_DEFER_DEFAULT)
        .expect_err("too small")
        .to_string();
    assert_eq!(
        msg,
        "invalid nr_pages=100: expected a multiple of 512 from 512 to 4294967296"
    );
}

#[test]
fn test_ready_delay_is_bounded() {
    assert_eq!(
        Config::new(
            NR_PAGES_DEFAULT,
            0,
            READY_DELAY_MS_MAX,
            PHYS_FREE_DEFER_DEFAULT
        )
        .expect("the maximum is valid")
        .test_ready_delay_ms,
        READY_DELAY_MS_MAX
    );
    let err = Config::new(
        NR_PAGES_DEFAULT,
        0,
        READY_DELAY_MS_MAX + 1,
        PHYS_FREE_DEFER_DEFAULT,
    )
    .expect_err("too long");
    assert_eq!(err.name, "test_ready_delay_ms");
    assert_eq!(err.value, u64::from(READY_DELAY_MS_MAX) + 1);
}

#[test]
fn phys_free_defer_is_bounded_by_the_queue() {
    for ok in [0, 1, PHYS_FREE_DEFER_DEFAULT, PHYS_FREE_DEFER_MAX] {
        let cfg = Config::new(NR_PAGES_DEFAULT, 0, 0, ok).expect("within the queue");
        assert_eq!(cfg.phys_free_defer, ok);
    }
    let err = Config::new(NR_PAGES_DEFAULT, 0, 0, PHYS_FREE_DEFER_MAX + 1).expect_err("too many");
    assert_eq!(err.name, "phys_free_defer");
    assert_eq!(err.value, u64::from(PHYS_FREE_DEFER_MAX + 1));
}

#[test]
fn pack_is_off_by_default_and_takes_0_or_1() {
    let cfg = Config::new(NR_PAGES_DEFAULT, 0, 0, PHYS_FREE_DEFER_DEFAULT).expect("valid");
    assert!(!cfg.pack);
    assert!(!cfg.with_pack(0).expect("0 is off").pack);
    assert!(cfg.with_pack(1).expect("1 is on").pack);
    let err = cfg.with_pack(2).expect_err("not 0 or 1");
    assert_eq!(err.name, "pack");
    assert_eq!(err.value, 2);
}
