// SPDX-License-Identifier: GPL-2.0

//! Tests of the counter table and the sysfs statistics lines (`rust/stat.rs`): their shape is
//! an ABI, documented in `Documentation/ABI/testing/sysfs-block-vswap`.

use crate::stat::*;
use std::string::String;
use std::vec::Vec;

/// A snapshot whose every counter holds a different value: 1, 2, 3... in table order.
fn numbered() -> Snapshot {
    let mut v = [0u64; COUNTERS.len()];
    for (i, x) in v.iter_mut().enumerate() {
        *x = i as u64 + 1;
    }
    Snapshot::from_values(v)
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

/// The value of `numbered()` for the counter named `name`.
fn number_of(name: &str) -> u64 {
    COUNTERS
        .iter()
        .position(|c| c.name == name)
        .expect("a counter of the table") as u64
        + 1
}

#[test]
fn one_value_per_field_in_order() {
    let s = numbered();
    // Each file shows its counters in table order, and nothing else.
    for f in File::ALL {
        let want: Vec<u64> = COUNTERS
            .iter()
            .filter(|c| c.file == Some(f))
            .map(|c| number_of(c.name))
            .collect();
        assert_eq!(values(f, &s), want, "{}", f.name());
        assert_eq!(values(f, &s).len(), f.fields().count(), "{}", f.name());
    }
    // The ABI as first published: these positions never move.
    assert_eq!(
        values(File::Mm, &s),
        [
            number_of("nr_slots"),
            number_of("slots_zswap"),
            number_of("slots_phys"),
            number_of("slots_lost"),
            number_of("metadata_bytes"),
            number_of("attached"),
        ]
    );
    assert_eq!(values(File::Phys, &s)[0], number_of("phys_in_use"));
    assert_eq!(
        values(File::Phys, &s)[11],
        number_of("phys_swapoff_relocated")
    );
}

#[test]
fn every_counter_appears_once_in_sysfs_or_is_debug_only() {
    let s = numbered();
    let mut shown: Vec<u64> = File::ALL.iter().flat_map(|f| values(*f, &s)).collect();
    shown.sort_unstable();
    let want: Vec<u64> = COUNTERS
        .iter()
        .filter(|c| c.file.is_some())
        .map(|c| number_of(c.name))
        .collect();
    assert_eq!(shown, want);
    // The debug-only counters are there too, and the table names each counter once.
    assert!(COUNTERS.iter().any(|c| c.file.is_none()));
    let mut names: Vec<&str> = COUNTERS.iter().map(|c| c.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), COUNTERS.len());
}

#[test]
fn field_names_are_unique_and_plain() {
    for f in File::ALL {
        let mut names: Vec<&str> = f.fields().collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "{}", f.name());
    }
    assert!(COUNTERS.iter().all(|c| [c.name, c.sysfs]
        .iter()
        .all(|n| n.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))));
}

#[test]
fn largest_values_fit_a_sysfs_page() {
    let s = Snapshot::from_values([u64::MAX; COUNTERS.len()]);
    for f in File::ALL {
        let mut out = String::new();
        f.write(&s, &mut out).expect("formatting");
        assert!(out.len() < 4096);
        assert_eq!(values(f, &s), std::vec![u64::MAX; f.fields().count()]);
    }
}

/// The field names of each file as the ABI document lists them: the first column of the table
/// under each `What:` line.
fn abi_fields() -> Vec<(String, Vec<String>)> {
    let doc = include_str!("../../../Documentation/ABI/testing/sysfs-block-vswap");
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    let mut rules = 0;
    for line in doc.lines() {
        if let Some(what) = line.strip_prefix("What:") {
            let file = what.trim().rsplit('/').next().expect("a path").into();
            out.push((file, Vec::new()));
            rules = 0;
            continue;
        }
        let body = line.trim_start_matches('\t');
        if body.starts_with("===") {
            rules += 1;
            continue;
        }
        // Between the header rule and the closing one, a name starts in the first column.
        if rules == 1 && !body.is_empty() && !body.starts_with(' ') {
            let name = body.split_whitespace().next().expect("a name");
            out.last_mut().expect("a What: first").1.push(name.into());
        }
    }
    out
}

#[test]
fn the_abi_document_lists_the_table() {
    let abi = abi_fields();
    assert_eq!(abi.len(), File::ALL.len());
    for f in File::ALL {
        let (_, doc) = abi
            .iter()
            .find(|(name, _)| name == f.name())
            .unwrap_or_else(|| panic!("{} is not in the ABI document", f.name()));
        let table: Vec<String> = f.fields().map(String::from).collect();
        assert_eq!(
            doc,
            &table,
            "{}: the ABI document and rust/stat.rs",
            f.name()
        );
    }
}
