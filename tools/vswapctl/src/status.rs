// SPDX-License-Identifier: GPL-2.0

//! What `vswapctl status` reads and prints: `/sys/block/vswap0/vswap/` (the module's stable
//! statistics, Documentation/ABI/testing/sysfs-block-vswap), `/proc/swaps`, `/proc/meminfo` and
//! zswap's parameters. Every path is taken under a root directory, so that the host tests can
//! feed it a made-up system.

use crate::stat;
use crate::units::human;
use std::fmt::Write as _;
use std::path::Path;

/// The vswap device.
pub const VSWAP_DEV: &str = "/dev/vswap0";
/// Its statistics directory.
pub const SYSFS_DIR: &str = "sys/block/vswap0/vswap";

/// One line of `/proc/swaps`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Swap {
    pub device: String,
    pub size: u64,
    pub used: u64,
    pub priority: i64,
}

/// `/proc/swaps`: the swap areas in use, sizes in bytes.
pub fn parse_proc_swaps(text: &str) -> Result<Vec<Swap>, String> {
    let mut out = Vec::new();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let [name, _kind, size, used, prio, ..] = f[..] else {
            return Err(format!("/proc/swaps: cannot read '{line}'"));
        };
        let num = |s: &str| -> Result<i64, String> {
            s.parse()
                .map_err(|_| format!("/proc/swaps: '{s}' is not a number in '{line}'"))
        };
        out.push(Swap {
            // The kernel escapes blanks in names (\040).
            device: name.replace("\\040", " ").replace("\\011", "\t"),
            size: num(size)?.unsigned_abs() * 1024,
            used: num(used)?.unsigned_abs() * 1024,
            priority: num(prio)?,
        });
    }
    Ok(out)
}

/// `mm_stat`: what the virtual slots hold, in pages (metadata in bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MmStat {
    pub nr_slots: u64,
    pub slots_zswap: u64,
    pub slots_phys: u64,
    pub slots_lost: u64,
    pub metadata_bytes: u64,
    pub attached: bool,
}

/// `phys_stat`: physical backing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PhysStat {
    pub in_use: u64,
    pub alloc_failed: u64,
    pub writebacks: u64,
    pub fallbacks: u64,
    pub swapoff_lost: u64,
    /// Pages a swapoff moved to another device rather than into memory (0 from modules that
    /// predate the field).
    pub swapoff_relocated: u64,
}

/// The values of a statistics line.
fn values(name: &str, text: &str) -> Result<Vec<u64>, String> {
    text.split_whitespace()
        .map(|s| {
            s.parse::<u64>()
                .map_err(|_| format!("{name}: '{s}' is not a number"))
        })
        .collect()
}

/// Reads the fields of one sysfs file by name, at the positions the module's counter table
/// (`rust/stat.rs`) gives them; fields of newer modules are ignored.
struct Line {
    file: stat::File,
    values: Vec<u64>,
}

impl Line {
    fn parse(file: stat::File, text: &str) -> Result<Self, String> {
        Ok(Line {
            file,
            values: values(file.name(), text)?,
        })
    }

    /// The field `name`, if the line has it (older modules have fewer fields).
    fn get(&self, name: &str) -> Option<u64> {
        let i = self.file.fields().position(|f| f == name)?;
        self.values.get(i).copied()
    }

    /// The field `name`, which every module writes.
    fn need(&self, name: &str) -> Result<u64, String> {
        self.get(name).ok_or_else(|| {
            format!(
                "{}: {} fields, no '{name}'",
                self.file.name(),
                self.values.len()
            )
        })
    }
}

pub fn parse_mm_stat(text: &str) -> Result<MmStat, String> {
    let l = Line::parse(stat::File::Mm, text)?;
    Ok(MmStat {
        nr_slots: l.need("nr_slots")?,
        slots_zswap: l.need("slots_zswap")?,
        slots_phys: l.need("slots_phys")?,
        slots_lost: l.need("slots_lost")?,
        metadata_bytes: l.need("metadata_bytes")?,
        attached: l.need("attached")? != 0,
    })
}

pub fn parse_phys_stat(text: &str) -> Result<PhysStat, String> {
    let l = Line::parse(stat::File::Phys, text)?;
    Ok(PhysStat {
        in_use: l.need("in_use")?,
        alloc_failed: l.need("alloc_failed")?,
        writebacks: l.need("writebacks")?,
        fallbacks: l.need("fallbacks")?,
        swapoff_lost: l.need("swapoff_lost")?,
        swapoff_relocated: l.get("swapoff_relocated").unwrap_or(0),
    })
}

/// zswap, as far as it matters to vswap.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Zswap {
    /// zswap is in the kernel at all.
    pub present: bool,
    pub enabled: bool,
    pub compressor: String,
    /// `Zswapped:` of /proc/meminfo: the pages zswap holds, uncompressed (all swap devices).
    pub stored: Option<u64>,
    /// `Zswap:`: their compressed size.
    pub compressed: Option<u64>,
}

/// A `/proc/meminfo` value in bytes.
fn meminfo(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
}

/// Everything `status` shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// The module is loaded (its sysfs directory exists).
    pub loaded: bool,
    pub page_size: u64,
    pub mm: MmStat,
    pub phys: PhysStat,
    /// `/dev/vswap0` in /proc/swaps, when swapped on.
    pub vswap: Option<Swap>,
    /// The other swap areas: physical backing for vswap (and ordinary swap).
    pub backing: Vec<Swap>,
    pub zswap: Zswap,
}

fn read(root: &Path, path: &str) -> Result<String, String> {
    let p = root.join(path);
    std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", Path::new("/").join(path).display()))
}

/// Reads the status of the system under `root` ("/" on a real system).
pub fn gather(root: &Path, page_size: u64) -> Result<Status, String> {
    let mut s = Status {
        page_size,
        ..Status::default()
    };
    let swaps = parse_proc_swaps(&read(root, "proc/swaps")?)?;
    for sw in swaps {
        if sw.device == VSWAP_DEV {
            s.vswap = Some(sw);
        } else {
            s.backing.push(sw);
        }
    }
    if root.join(SYSFS_DIR).is_dir() {
        s.loaded = true;
        s.mm = parse_mm_stat(&read(root, &format!("{SYSFS_DIR}/mm_stat"))?)?;
        s.phys = parse_phys_stat(&read(root, &format!("{SYSFS_DIR}/phys_stat"))?)?;
    }
    let params = "sys/module/zswap/parameters";
    if root.join(params).is_dir() {
        s.zswap.present = true;
        s.zswap.enabled = read(root, &format!("{params}/enabled"))?.trim() == "Y";
        s.zswap.compressor = read(root, &format!("{params}/compressor"))?
            .trim()
            .to_string();
        let mi = read(root, "proc/meminfo")?;
        s.zswap.stored = meminfo(&mi, "Zswapped");
        s.zswap.compressed = meminfo(&mi, "Zswap");
    }
    Ok(s)
}

fn zswap_line(z: &Zswap) -> String {
    if !z.present {
        return "zswap: not in this kernel (vswap needs it: every page would stay in memory or go to disk)".into();
    }
    let mut l = format!(
        "zswap: {}, {}",
        if z.enabled { "enabled" } else { "disabled" },
        z.compressor
    );
    if let (Some(st), Some(c)) = (z.stored, z.compressed) {
        let _ = write!(l, "; holds {} in {}", human(st), human(c));
        if c != 0 {
            let _ = write!(l, " (ratio {:.1})", st as f64 / c as f64);
        }
        l.push_str(", all swap devices");
    }
    if !z.enabled {
        l.push_str(" (enable: echo Y > /sys/module/zswap/parameters/enabled)");
    }
    l
}

/// The human-readable report, like `zramctl`.
pub fn render(s: &Status) -> String {
    let mut o = String::new();
    if !s.loaded {
        o.push_str("vswap: not loaded (vswapctl setup loads it and swaps on /dev/vswap0)\n");
        o.push_str(&zswap_line(&s.zswap));
        o.push('\n');
        return o;
    }
    let pg = s.page_size;
    let m = &s.mm;
    let _ = writeln!(
        o,
        "{:<12} {:>6} {:>6} {:>6} {:>6} {:>6} {:>5}  STATE",
        "DEVICE", "SIZE", "USED", "ZSWAP", "DISK", "LOST", "PRIO"
    );
    let (used, prio, state) = match &s.vswap {
        Some(v) => (human(v.used), v.priority.to_string(), "swapped on"),
        None => ("-".into(), "-".into(), "loaded, not swapped on"),
    };
    let _ = writeln!(
        o,
        "{:<12} {:>6} {:>6} {:>6} {:>6} {:>6} {:>5}  {state}",
        VSWAP_DEV,
        human(m.nr_slots * pg),
        used,
        human(m.slots_zswap * pg),
        human(m.slots_phys * pg),
        human(m.slots_lost * pg),
        prio
    );
    o.push_str(&zswap_line(&s.zswap));
    o.push('\n');
    if s.backing.is_empty() {
        o.push_str(
            "physical backing: none (pages zswap refuses stay in memory; no zswap writeback)\n",
        );
    } else {
        o.push_str("physical backing:\n");
        let _ = writeln!(
            o,
            "  {:<20} {:>6} {:>6} {:>5}",
            "DEVICE", "SIZE", "USED", "PRIO"
        );
        for b in &s.backing {
            let _ = writeln!(
                o,
                "  {:<20} {:>6} {:>6} {:>5}",
                b.device,
                human(b.size),
                human(b.used),
                b.priority
            );
        }
    }
    let p = &s.phys;
    let _ = writeln!(
        o,
        "since load: {} zswap writebacks to disk, {} pages zswap refused sent to disk, {} disk allocations failed, {} pages moved to another disk and {} lost at swapoff; metadata {}",
        p.writebacks,
        p.fallbacks,
        p.alloc_failed,
        p.swapoff_relocated,
        p.swapoff_lost,
        human(m.metadata_bytes)
    );
    o
}

/// A JSON string literal.
fn js(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn opt(v: Option<u64>) -> String {
    v.map_or("null".into(), |v| v.to_string())
}

/// The same as JSON, sizes in bytes, for scripts.
pub fn json(s: &Status) -> String {
    let pg = s.page_size;
    let m = &s.mm;
    let p = &s.phys;
    let z = &s.zswap;
    let swap = |w: &Swap| {
        format!(
            "{{\"device\": {}, \"size_bytes\": {}, \"used_bytes\": {}, \"priority\": {}}}",
            js(&w.device),
            w.size,
            w.used,
            w.priority
        )
    };
    let backing: Vec<String> = s.backing.iter().map(swap).collect();
    format!(
        "{{\"device\": {}, \"loaded\": {}, \"swapped_on\": {}, \"size_bytes\": {}, \"used_bytes\": {}, \
         \"priority\": {}, \"zswap_bytes\": {}, \"disk_bytes\": {}, \"lost_bytes\": {}, \
         \"metadata_bytes\": {}, \"phys\": {{\"in_use\": {}, \"writebacks\": {}, \"fallbacks\": {}, \
         \"alloc_failed\": {}, \"swapoff_lost\": {}, \"swapoff_relocated\": {}}}, \"zswap\": {{\"present\": {}, \"enabled\": {}, \
         \"compressor\": {}, \"stored_bytes\": {}, \"compressed_bytes\": {}}}, \"backing\": [{}]}}\n",
        js(VSWAP_DEV),
        s.loaded,
        s.vswap.is_some(),
        m.nr_slots * pg,
        s.vswap.as_ref().map_or(0, |v| v.used),
        s.vswap
            .as_ref()
            .map_or("null".into(), |v| v.priority.to_string()),
        m.slots_zswap * pg,
        m.slots_phys * pg,
        m.slots_lost * pg,
        m.metadata_bytes,
        p.in_use,
        p.writebacks,
        p.fallbacks,
        p.alloc_failed,
        p.swapoff_lost,
        p.swapoff_relocated,
        z.present,
        z.enabled,
        js(&z.compressor),
        opt(z.stored),
        opt(z.compressed),
        backing.join(", ")
    )
}
