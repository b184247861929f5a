// SPDX-License-Identifier: GPL-2.0

//! The swap header that `/dev/vswap0` serves as its first page.
//!
//! With a valid header on the device, `swapon /dev/vswap0` works without `mkswap`, and
//! `blkid`/`lsblk` report the device as swap. `mkswap /dev/vswap0` still works: the device
//! accepts writes to this page (and only this one), so the header becomes whatever mkswap wrote.
//!
//! The layout is `union swap_header` of `include/linux/swap.h`: boot bits, then `info`
//! (version, last_page, nr_badpages, uuid, volume_name) at byte 1024, and the `SWAPSPACE2` magic
//! in the last ten bytes of the page. Values are little-endian (x86-64).
//!
//! This file is plain `core` Rust: it is compiled into the module and into the host test crate
//! under `rust/host/`, where `cargo test` exercises it.

/// Size of the header: one page.
pub(crate) const HEADER_SIZE: usize = 4096;
/// Offset of `info.version`.
const VERSION: usize = 1024;
/// Offset of `info.last_page`.
const LAST_PAGE: usize = 1028;
/// Offset of `info.nr_badpages`.
const NR_BADPAGES: usize = 1032;
/// Offset of `info.sws_uuid`.
const UUID: usize = 1036;
/// Offset of `info.sws_volume`.
const VOLUME: usize = 1052;
/// The magic, at the end of the page.
const MAGIC: &[u8; 10] = b"SWAPSPACE2";

/// Writes a version-1 swap header for a device of `nr_pages` pages into `page`.
///
/// Returns `false` (and leaves `page` untouched) if `nr_pages` cannot be described: a swap
/// header needs at least two pages and holds the last page index in 32 bits.
pub(crate) fn write(
    page: &mut [u8; HEADER_SIZE],
    nr_pages: u64,
    uuid: [u8; 16],
    label: &[u8],
) -> bool {
    let Ok(last_page) = u32::try_from(nr_pages.wrapping_sub(1)) else {
        return false;
    };
    if nr_pages < 2 {
        return false;
    }
    page.fill(0);
    page[VERSION..VERSION + 4].copy_from_slice(&1u32.to_le_bytes());
    page[LAST_PAGE..LAST_PAGE + 4].copy_from_slice(&last_page.to_le_bytes());
    page[NR_BADPAGES..NR_BADPAGES + 4].copy_from_slice(&0u32.to_le_bytes());
    page[UUID..UUID + 16].copy_from_slice(&uuid);
    let n = label.len().min(15);
    page[VOLUME..VOLUME + n].copy_from_slice(&label[..n]);
    page[HEADER_SIZE - MAGIC.len()..].copy_from_slice(MAGIC);
    true
}

/// What a header says, for checks and debugfs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Info {
    /// `info.last_page`: the device has `last_page + 1` pages.
    pub(crate) last_page: u32,
    /// `info.nr_badpages`.
    pub(crate) nr_badpages: u32,
}

/// Parses a header the way `swapon` does: the magic and version 1, or `None`.
pub(crate) fn parse(page: &[u8; HEADER_SIZE]) -> Option<Info> {
    if &page[HEADER_SIZE - MAGIC.len()..] != MAGIC {
        return None;
    }
    let u32_at = |off: usize| {
        let mut b = [0u8; 4];
        b.copy_from_slice(&page[off..off + 4]);
        u32::from_le_bytes(b)
    };
    if u32_at(VERSION) != 1 {
        return None;
    }
    Some(Info {
        last_page: u32_at(LAST_PAGE),
        nr_badpages: u32_at(NR_BADPAGES),
    })
}
