// SPDX-License-Identifier: GPL-2.0

//! Tests of the swap header the vswap device serves (`rust/header.rs`).

use crate::header::*;

fn page() -> [u8; HEADER_SIZE] {
    [0xa5; HEADER_SIZE]
}

#[test]
fn header_round_trips() {
    let mut p = page();
    assert!(write(&mut p, 1 << 20, [7; 16], b"vswap0"));
    assert_eq!(
        parse(&p),
        Some(Info {
            last_page: (1 << 20) - 1,
            nr_badpages: 0
        })
    );
    assert_eq!(&p[4086..], b"SWAPSPACE2");
    assert_eq!(&p[1052..1058], b"vswap0");
    assert_eq!(p[1058], 0, "the label is NUL-terminated");
    assert!(p[..1024].iter().all(|&b| b == 0), "boot bits are zero");
}

#[test]
fn layout_matches_union_swap_header() {
    let mut p = page();
    assert!(write(&mut p, 513, [0x11; 16], b""));
    // version = 1, last_page = 512, nr_badpages = 0, uuid at 1036..1052 (mkswap/blkid offsets).
    assert_eq!(&p[1024..1036], &[1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0]);
    assert_eq!(&p[1036..1052], &[0x11; 16]);
}

#[test]
fn sizes_a_header_cannot_describe_are_refused() {
    let mut p = page();
    assert!(!write(&mut p, 0, [0; 16], b""));
    assert!(!write(&mut p, 1, [0; 16], b""));
    assert!(!write(&mut p, (1 << 32) + 1, [0; 16], b""));
    assert!(p.iter().all(|&b| b == 0xa5), "untouched on refusal");
    assert!(write(&mut p, 1 << 32, [0; 16], b""));
    assert_eq!(parse(&p).map(|i| i.last_page), Some(u32::MAX));
}

#[test]
fn long_labels_are_cut_to_fit() {
    let mut p = page();
    assert!(write(
        &mut p,
        1024,
        [0; 16],
        b"a-label-that-is-far-too-long"
    ));
    assert_eq!(&p[1052..1067], b"a-label-that-is");
    assert_eq!(p[1067], 0);
}

#[test]
fn parse_refuses_what_swapon_refuses() {
    let mut p = [0u8; HEADER_SIZE];
    assert_eq!(parse(&p), None, "no magic");
    assert!(write(&mut p, 1024, [0; 16], b""));
    let mut old = p;
    old[4086..].copy_from_slice(b"SWAP-SPACE");
    assert_eq!(parse(&old), None, "version 0 magic");
    let mut v2 = p;
    v2[1024] = 2;
    assert_eq!(parse(&v2), None, "unknown version");
}
