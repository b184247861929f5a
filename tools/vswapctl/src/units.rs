// SPDX-License-Identifier: GPL-2.0

//! Sizes as people write them (`8G`, `512M`) and as `zramctl` prints them.

/// Parses `N[KMGT]` (powers of 1024; a trailing `B` or `iB` allowed) or plain bytes.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let (num, shift) = match t.chars().last() {
        Some(c @ ('K' | 'k' | 'M' | 'm' | 'G' | 'g' | 'T' | 't')) => (
            &t[..t.len() - 1],
            match c.to_ascii_uppercase() {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                _ => 40,
            },
        ),
        _ => (t, 0),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a size (examples: 8G, 512M, 1048576)"))?;
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("'{s}' is too large"))
}

/// `bytes` in the largest unit that keeps a value of at least 1, with at most one decimal,
/// like `zramctl`: `0B`, `512K`, `1.5G`, `4G`.
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "K", "M", "G", "T"];
    let mut unit = 0;
    let mut scaled = bytes as f64;
    while scaled >= 1024.0 && unit + 1 < UNITS.len() {
        scaled /= 1024.0;
        unit += 1;
    }
    let tenths = (scaled * 10.0).round() / 10.0;
    if unit == 0 || tenths.fract() == 0.0 {
        format!("{}{}", tenths as u64, UNITS[unit])
    } else {
        format!("{tenths:.1}{}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("8G"), Ok(8 << 30));
        assert_eq!(parse_size("8g"), Ok(8 << 30));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("2MB"), Ok(2 << 20));
        assert_eq!(parse_size("1T"), Ok(1 << 40));
        assert_eq!(parse_size(" 64K "), Ok(64 << 10));
        for bad in ["", "G", "-1G", "1.5G", "8X", "abc", "99999999999999999999T"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
        assert!(parse_size("20000000T").is_err());
    }

    #[test]
    fn human_units() {
        assert_eq!(human(0), "0B");
        assert_eq!(human(1023), "1023B");
        assert_eq!(human(1024), "1K");
        assert_eq!(human(512 << 10), "512K");
        assert_eq!(human(3 << 29), "1.5G");
        assert_eq!(human(4 << 30), "4G");
        assert_eq!(human(96 << 20), "96M");
        assert_eq!(human((100 << 20) + (1 << 19)), "100.5M");
        assert_eq!(human(u64::MAX), "16777216T");
    }
}
