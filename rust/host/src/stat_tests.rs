// SPDX-License-Identifier: GPL-2.0

//! Tests of the sysfs statistics lines (`rust/stat.rs`): their shape is an ABI.

use crate::stat::*;
use std::string::String;
use std::vec::Vec;

/// A snapshot whose every field holds a different value: 1, 2, 3... in declaration order.
fn numbered() -> Snapshot {
    Snapshot {
        attached: 1,
        nr_slots: 2,
        slots_zswap: 3,
        slots_phys: 4,
        slots_lost: 5,
        metadata_bytes: 6,
        stores: 7,
        loads: 8,
        load_misses: 9,
        erases: 10,
        zswap_rejected_resident: 11,
        leaf_alloc_failures: 12,
        io_rejected: 13,
        phys_in_use: 14,
        phys_alloc_ok: 15,
        phys_alloc_failed: 16,
        phys_alloc_stale: 17,
        phys_decompress_saved: 18,
        phys_writebacks: 19,
        phys_fallbacks: 20,
        phys_replaced_by_zswap: 21,
        phys_freed: 22,
        phys_swapoff_moved: 23,
        phys_swapoff_lost: 24,
        phys_swapoff_relocated: 25,
    }
}

fn values(file: File, s: &Snapshot) -> Vec<u64> {
    let mut out = String::new();
    file.write(s, &mut out).expect("formatting into a String");
    assert!(out.ends_with('\n'), "{out:?}");
    assert!(!out.contains("  "), "{out:?}");
    assert_eq!(out.lines().count(), 1, "{out:?}");
    out.trim_end()
        .split(' ')
        .map(|v| v.parse().expect("decimal"))
        .collect()
}

#[test]
fn one_value_per_field_in_order() {
    let s = numbered();
    assert_eq!(values(File::Mm, &s), [2, 3, 4, 5, 6, 1]);
    assert_eq!(values(File::Io, &s), [7, 8, 9, 10, 11, 12, 13]);
    assert_eq!(
        values(File::Phys, &s),
        [14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25]
    );
    for f in File::ALL {
        assert_eq!(values(f, &s).len(), f.fields().len(), "{}", f.name());
    }
}

#[test]
fn every_counter_appears_once() {
    let s = numbered();
    let mut all: Vec<u64> = File::ALL.iter().flat_map(|f| values(*f, &s)).collect();
    all.sort_unstable();
    assert_eq!(all, (1..=25).collect::<Vec<u64>>());
}

#[test]
fn field_names_are_unique_and_plain() {
    let mut names: Vec<&str> = File::ALL
        .iter()
        .flat_map(|f| f.fields().iter().copied())
        .collect();
    let n = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), n);
    assert!(names
        .iter()
        .all(|n| n.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
}

#[test]
fn largest_values_fit_a_sysfs_page() {
    let s = Snapshot {
        attached: u64::MAX,
        nr_slots: u64::MAX,
        slots_zswap: u64::MAX,
        slots_phys: u64::MAX,
        slots_lost: u64::MAX,
        metadata_bytes: u64::MAX,
        stores: u64::MAX,
        loads: u64::MAX,
        load_misses: u64::MAX,
        erases: u64::MAX,
        zswap_rejected_resident: u64::MAX,
        leaf_alloc_failures: u64::MAX,
        io_rejected: u64::MAX,
        phys_in_use: u64::MAX,
        phys_alloc_ok: u64::MAX,
        phys_alloc_failed: u64::MAX,
        phys_alloc_stale: u64::MAX,
        phys_decompress_saved: u64::MAX,
        phys_writebacks: u64::MAX,
        phys_fallbacks: u64::MAX,
        phys_replaced_by_zswap: u64::MAX,
        phys_freed: u64::MAX,
        phys_swapoff_moved: u64::MAX,
        phys_swapoff_lost: u64::MAX,
        phys_swapoff_relocated: u64::MAX,
    };
    for f in File::ALL {
        let mut out = String::new();
        f.write(&s, &mut out).expect("formatting");
        assert!(out.len() < 4096);
        assert_eq!(values(f, &s), std::vec![u64::MAX; f.fields().len()]);
    }
}
