// SPDX-License-Identifier: GPL-2.0

//! vswap-soak: random swap traffic over one region for a while, every page checked.
//!
//! It maps N MiB, fills it, and for S seconds does one random operation at a time on a random
//! range: `MADV_PAGEOUT`; verify (before it, `/proc/self/pagemap` says which pages are in swap:
//! each of those verified is one page round trip); rewrite with the next generation;
//! `MADV_DONTNEED` and refill with the next generation; fork, verify the range in the child
//! (copy-on-write of swapped pages) and rewrite half of it there. Each page's generation is
//! tracked, so a stale page is a mismatch. At the end the whole region is verified. It prints
//! one `vswap-soak:` line and exits non-zero on any mismatch.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use vswap_verify::pattern::Pattern;
use vswap_verify::{num, sys, PAGE};

/// pagemap: the page is in swap.
const PM_SWAP: u64 = 1 << 62;
/// A child's status from `sys::wait()` when SIGKILL ended it.
const KILLED: i32 = 128 + 9;

const USAGE: &str = "usage: vswap-soak [--mib N] [--seconds S] [--seed S] [--thp] [--label NAME]
                  [--progress FILE]

  --mib N          region to map (default 24)
  --seconds S      how long to run (default 60)
  --seed S         pattern and operation seed (default 1)
  --thp            allow large folios (the mTHP/THP sizes enabled in sysfs)
  --label NAME     a name for the result line
  --progress FILE  after each operation, append `NS PAGES` to FILE: the wall-clock time
                   (ns since the epoch) and the pages operated on so far, for the load's
                   throughput over any window (written at exit)";

struct Args {
    mib: usize,
    seconds: u64,
    seed: u64,
    kind: sys::Kind,
    label: String,
    progress: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        mib: 24,
        seconds: 60,
        seed: 1,
        kind: sys::Kind::Anon,
        label: "soak".into(),
        progress: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--mib" => a.mib = num(&value("--mib")?)?,
            "--seconds" => a.seconds = num(&value("--seconds")?)?,
            "--seed" => a.seed = num(&value("--seed")?)?,
            "--thp" => a.kind = sys::Kind::Thp,
            "--label" => a.label = value("--label")?,
            "--progress" => a.progress = Some(value("--progress")?),
            "-h" | "--help" => return Err(String::new()),
            _ => return Err(format!("unknown argument '{arg}'")),
        }
    }
    if a.mib == 0 {
        return Err("--mib must be positive".into());
    }
    Ok(a)
}

/// xorshift64*: the operation stream, reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Wall-clock time in ns since the epoch, as `date +%s%N` prints it.
fn epoch_ns() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// The seed of generation `g` of page contents (as vswap-verify's).
fn generation_seed(seed: u64, g: u32) -> u64 {
    seed.wrapping_add(u64::from(g).wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

struct Soak {
    pattern: Pattern,
    seed: u64,
    map: sys::Mapping,
    generation: Vec<u32>,
    pagemap: File,
    round_trips: u64,
    verified: u64,
    mismatched: u64,
    /// Forked children killed by SIGKILL (the OOM killer), not counted as mismatches.
    children_killed: u64,
}

impl Soak {
    fn fill(&mut self, first: usize, end: usize) {
        let (seed, pattern) = (self.seed, self.pattern);
        let generation = &self.generation;
        let mem = self.map.as_mut_slice();
        for idx in first..end {
            pattern.fill(
                generation_seed(seed, generation[idx]),
                idx as u64,
                &mut mem[idx * PAGE..(idx + 1) * PAGE],
            );
        }
    }

    /// Pages of [first, end) now in swap, from /proc/self/pagemap.
    fn in_swap(&mut self, first: usize, end: usize) -> Result<u64, String> {
        let base = self.map.as_mut_slice().as_ptr() as usize / PAGE;
        let mut buf = vec![0u8; (end - first) * 8];
        self.pagemap
            .read_exact_at(&mut buf, ((base + first) * 8) as u64)
            .map_err(|e| format!("/proc/self/pagemap: {e}"))?;
        Ok(buf
            .chunks_exact(8)
            .filter(|e| {
                let mut w = [0u8; 8];
                w.copy_from_slice(e);
                u64::from_le_bytes(w) & PM_SWAP != 0
            })
            .count() as u64)
    }

    /// Checks [first, end); returns the mismatches (the first few are printed).
    fn verify(&mut self, first: usize, end: usize, what: &str) -> Result<u64, String> {
        self.round_trips += self.in_swap(first, end)?;
        let (seed, pattern) = (self.seed, self.pattern);
        let mut expect = vec![0u8; PAGE];
        let mut bad = 0u64;
        for idx in first..end {
            pattern.fill(
                generation_seed(seed, self.generation[idx]),
                idx as u64,
                &mut expect,
            );
            let page = &self.map.as_mut_slice()[idx * PAGE..(idx + 1) * PAGE];
            if page != expect.as_slice() {
                if self.mismatched + bad < 5 {
                    eprintln!(
                        "vswap-soak: {what}: page {idx} (generation {}) differs",
                        self.generation[idx]
                    );
                }
                bad += 1;
            }
        }
        self.verified += (end - first) as u64;
        self.mismatched += bad;
        Ok(bad)
    }

    fn advise(&mut self, first: usize, end: usize, advice: libc::c_int) -> Result<(), String> {
        let mem = self.map.as_mut_slice();
        let ptr = mem[first * PAGE..].as_mut_ptr();
        // SAFETY: [first, end) lies inside our own mapping; PAGEOUT keeps its contents and
        // DONTNEED zero-fills it, which the caller refills before anyone reads it.
        if unsafe { libc::madvise(ptr.cast(), (end - first) * PAGE, advice) } != 0 {
            return Err(format!("madvise: {}", std::io::Error::last_os_error()));
        }
        Ok(())
    }

    /// Forks: the child verifies [first, end), rewrites every other page of it with the next
    /// generation, verifies again and exits with 1 on any mismatch.
    fn fork_check(&mut self, first: usize, end: usize) -> Result<(), String> {
        let out = self.in_swap(first, end)?;
        match sys::fork()? {
            0 => {
                let mut bad = self.verify(first, end, "child").unwrap_or(1);
                for idx in (first..end).step_by(2) {
                    self.generation[idx] += 1;
                }
                for idx in (first..end).step_by(2) {
                    self.fill(idx, idx + 1);
                }
                bad += self.verify(first, end, "child, after COW").unwrap_or(1);
                std::process::exit(i32::from(bad != 0));
            }
            pid => {
                match sys::wait(pid)? {
                    0 => {}
                    // SIGKILL: the OOM killer at the memcg's limit (a result of the load, not a
                    // wrong page); counted, and the parent goes on.
                    KILLED => {
                        self.children_killed += 1;
                        eprintln!("vswap-soak: the child was killed (SIGKILL: the OOM killer?)");
                    }
                    rc => {
                        self.mismatched += 1;
                        eprintln!("vswap-soak: the child found mismatches (exit {rc})");
                    }
                }
                self.round_trips += out;
                Ok(())
            }
        }
    }
}

fn run(a: &Args) -> Result<bool, String> {
    let pages = (a.mib << 20) / PAGE;
    let mut s = Soak {
        pattern: Pattern::Mixed,
        seed: a.seed,
        map: sys::Mapping::new(a.mib << 20, a.kind)?,
        generation: vec![0; pages],
        pagemap: File::open("/proc/self/pagemap").map_err(|e| format!("pagemap: {e}"))?,
        round_trips: 0,
        verified: 0,
        mismatched: 0,
        children_killed: 0,
    };
    s.fill(0, pages);
    let mut rng = Rng(a.seed | 1);
    let start = Instant::now();
    let deadline = start + Duration::from_secs(a.seconds);
    // pageouts, verifies, rewrites, DONTNEED + refills, forks
    let mut ops = [0u64; 5];
    // (ns since the epoch, pages operated on so far) after each operation.
    let mut progress: Vec<(u128, u64)> = Vec::new();
    let mut pages_done = 0u64;
    while Instant::now() < deadline {
        // Ranges of up to 1/4 of the region.
        let len = 1 + rng.below(pages / 4);
        let first = rng.below(pages - len + 1);
        let end = first + len;
        let kind = match rng.below(10) {
            0..=2 => 0,
            3..=5 => 1,
            6 => 2,
            7 => 3,
            _ => 4,
        };
        ops[kind] += 1;
        match kind {
            0 => s.advise(first, end, libc::MADV_PAGEOUT)?,
            1 => {
                s.verify(first, end, "verify")?;
            }
            2 => {
                for g in &mut s.generation[first..end] {
                    *g += 1;
                }
                s.fill(first, end);
            }
            3 => {
                s.advise(first, end, libc::MADV_DONTNEED)?;
                for g in &mut s.generation[first..end] {
                    *g += 1;
                }
                s.fill(first, end);
            }
            _ => s.fork_check(first, end)?,
        }
        if a.progress.is_some() {
            pages_done += len as u64;
            progress.push((epoch_ns(), pages_done));
        }
    }
    if let Some(path) = &a.progress {
        let lines: String = progress.iter().map(|(t, n)| format!("{t} {n}\n")).collect();
        std::fs::write(path, lines).map_err(|e| format!("{path}: {e}"))?;
    }
    s.verify(0, pages, "final")?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "vswap-soak: {} mib={} seconds={:.0} pageouts={} verifies={} rewrites={} dontneeds={} \
         forks={} children_killed={} verified_pages={} round_trips={} round_trips_per_s={:.0} \
         mismatched_pages={} result={}",
        a.label,
        a.mib,
        secs,
        ops[0],
        ops[1],
        ops[2],
        ops[3],
        ops[4],
        s.children_killed,
        s.verified,
        s.round_trips,
        s.round_trips as f64 / secs.max(1e-9),
        s.mismatched,
        if s.mismatched == 0 { "PASS" } else { "FAIL" }
    );
    Ok(s.mismatched == 0)
}

fn main() -> ExitCode {
    vswap_verify::tool_main("vswap-soak", USAGE, parse_args, |a| &a.label, run)
}
