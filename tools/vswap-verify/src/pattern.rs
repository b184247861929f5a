// SPDX-License-Identifier: GPL-2.0

//! Page contents derived from (seed, page index): any page can be regenerated for checking.

use std::fmt;
use std::str::FromStr;

/// What a page holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pattern {
    /// A short cycle of words unique to the page: compresses well, so zswap keeps it.
    Compressible,
    /// A pseudo-random stream: zswap rejects it, so it goes to a swap device (or stays resident).
    Random,
    /// All zero: the swap table's zero flag handles it, nothing is written.
    Zero,
    /// Page index modulo 4: random, compressible, zero, compressible.
    Mixed,
    /// Page index modulo 8: random, zero, then six compressible (the benchmarks' mix: 3/4
    /// compressible, 1/8 zero, 1/8 random).
    Bench,
}

impl FromStr for Pattern {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "compressible" => Ok(Pattern::Compressible),
            "random" => Ok(Pattern::Random),
            "zero" => Ok(Pattern::Zero),
            "mixed" => Ok(Pattern::Mixed),
            "bench" => Ok(Pattern::Bench),
            _ => Err(format!("unknown pattern '{s}'")),
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Pattern::Compressible => "compressible",
            Pattern::Random => "random",
            Pattern::Zero => "zero",
            Pattern::Mixed => "mixed",
            Pattern::Bench => "bench",
        })
    }
}

/// splitmix64: a well-mixed key for every (seed, index).
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Pattern {
    /// Fills `page` with the contents of page `idx` for `seed`.
    pub fn fill(self, seed: u64, idx: u64, page: &mut [u8]) {
        let key = mix(seed ^ mix(idx));
        let kind = match (self, idx % 4) {
            (Pattern::Mixed, 0) => Pattern::Random,
            (Pattern::Mixed, 2) => Pattern::Zero,
            (Pattern::Mixed, _) => Pattern::Compressible,
            (Pattern::Bench, 0) => Pattern::Random,
            (Pattern::Bench, 1) => Pattern::Zero,
            (Pattern::Bench, _) => Pattern::Compressible,
            (p, _) => p,
        };
        match kind {
            Pattern::Zero => page.fill(0),
            Pattern::Compressible => {
                for (i, w) in page.chunks_exact_mut(8).enumerate() {
                    w.copy_from_slice(&(key.wrapping_add((i % 8) as u64)).to_le_bytes());
                }
                // The index in clear, so a page found at the wrong place is easy to diagnose.
                page[..8].copy_from_slice(&idx.to_le_bytes());
            }
            Pattern::Random | Pattern::Mixed | Pattern::Bench => {
                // Mixed and Bench never get here: they were resolved to one of the others above.
                let mut s = key | 1;
                for w in page.chunks_exact_mut(8) {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    w.copy_from_slice(&s.to_le_bytes());
                }
            }
        }
    }
}
