// SPDX-License-Identifier: GPL-2.0

//! vswap-verify: proves that data survives a trip through swap.
//!
//! It maps N MiB of anonymous memory, fills every page with a pattern derived from (seed,
//! generation, page index), forces the pages out (memory pressure from the caller's memcg,
//! `MADV_PAGEOUT`, `memory.reclaim`), reads everything back and counts the pages that differ.
//! After each pass but the last it rewrites every page with the next generation, so a kernel
//! that hands back an older copy of a page fails the next pass. It prints what it
//! measured on one `vswap-verify:` line and exits non-zero on any mismatch, or when less than the
//! requested share of the data actually went to swap (so a test cannot pass without swapping).

use std::process::ExitCode;
use std::time::Instant;
use vswap_verify::pattern::Pattern;
use vswap_verify::{num, sys, PAGE};

struct Args {
    mib: usize,
    seed: u64,
    pattern: Pattern,
    passes: u32,
    pageout: bool,
    reclaim: bool,
    min_swapped_pct: u32,
    corrupt_after_swapin: bool,
    selftest_stale: bool,
    label: String,
    after_swapout: Option<String>,
    exit_after_swapout: bool,
    free_first: usize,
    free_first_starve: bool,
    fork: bool,
    kind: sys::Kind,
    sigbus_retries: Option<usize>,
}

const USAGE: &str =
    "usage: vswap-verify [--mib N] [--seed S] [--pattern compressible|random|zero|mixed|bench]
                    [--passes P] [--pageout] [--reclaim] [--min-swapped-pct PCT]
                    [--label NAME] [--exec-after-swapout CMD] [--exit-after-swapout]
                    [--free-first MIB [--free-first-starve]]
                    [--fork] [--thp | --shmem] [--sigbus-retries N]
                    [--corrupt-after-swapin] [--selftest-stale]

  --mib N                 anonymous memory to map and fill (default 64)
  --seed S                pattern seed (default 1)
  --pattern P             page contents (default compressible)
  --passes P              force out and verify P times (default 1); each pass after
                          the first expects a new generation of every page
  --pageout               force pages out with MADV_PAGEOUT
  --reclaim               force pages out through the memcg's memory.reclaim
  --min-swapped-pct PCT   fail unless PCT% of the pages were swapped out (default 0)
  --label NAME            a name for the result line
  --exec-after-swapout CMD  run `sh -c CMD` once the pages are out, before reading them
                          back (the first pass); its failure fails the run
  --exit-after-swapout    exit once the pages are out, without reading them back
  --free-first MIB        right before the first pass forces its pages out, map MIB of
                          compressible memory, force it out (--pageout) and unmap it: a
                          large free just before the pages are stored
  --free-first-starve     from that unmap until the pages are out, run as SCHED_FIFO with
                          a SCHED_FIFO spinner on every other CPU: the kernel's ordinary
                          work items (the deferred release of what was freed) wait
  --fork                  after swap-out, fork: the child verifies the shared pages,
                          rewrites every other page (COW) and checks both; then the
                          parent verifies its own copy
  --thp                   allow large folios (MADV_HUGEPAGE on a 2 MiB aligned mapping):
                          the THP and mTHP sizes enabled in sysfs apply
  --shmem                 use shared anonymous memory (shmem) instead of private
  --sigbus-retries N      survive swap-in read errors like an application that retries:
                          on SIGBUS in the mapping sleep 100 ms, reclaim the memcg (which
                          drops the failed read from the swap cache) and retry, N times
                          per page; then the page is lost: replaced by a zero page,
                          counted in lost_pages= and not in mismatched_pages= (private
                          memory only)
  --corrupt-after-swapin  TEST ONLY: flip one byte after swap-in, before verifying
  --selftest-stale        TEST ONLY: leave one page at the old generation when rewriting
                          for pass 2, as a kernel returning a stale copy would (needs
                          --passes 2 or more)

The result line names the first mismatched pages (bad_pages=, \"-\" for none).";

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        mib: 64,
        seed: 1,
        pattern: Pattern::Compressible,
        passes: 1,
        pageout: false,
        reclaim: false,
        min_swapped_pct: 0,
        corrupt_after_swapin: false,
        selftest_stale: false,
        label: String::from("verify"),
        after_swapout: None,
        exit_after_swapout: false,
        free_first: 0,
        free_first_starve: false,
        fork: false,
        kind: sys::Kind::Anon,
        sigbus_retries: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--mib" => a.mib = num(&value("--mib")?)?,
            "--seed" => a.seed = num(&value("--seed")?)?,
            "--pattern" => a.pattern = value("--pattern")?.parse()?,
            "--passes" => a.passes = num(&value("--passes")?)?,
            "--pageout" => a.pageout = true,
            "--reclaim" => a.reclaim = true,
            "--min-swapped-pct" => a.min_swapped_pct = num(&value("--min-swapped-pct")?)?,
            "--label" => a.label = value("--label")?,
            "--corrupt-after-swapin" => a.corrupt_after_swapin = true,
            "--selftest-stale" => a.selftest_stale = true,
            "--exec-after-swapout" => a.after_swapout = Some(value("--exec-after-swapout")?),
            "--exit-after-swapout" => a.exit_after_swapout = true,
            "--free-first" => a.free_first = num(&value("--free-first")?)?,
            "--free-first-starve" => a.free_first_starve = true,
            "--fork" => a.fork = true,
            "--thp" => a.kind = sys::Kind::Thp,
            "--shmem" => a.kind = sys::Kind::Shmem,
            "--sigbus-retries" => a.sigbus_retries = Some(num(&value("--sigbus-retries")?)?),
            "-h" | "--help" => return Err(String::new()),
            _ => return Err(format!("unknown argument '{arg}'")),
        }
    }
    if a.mib == 0 || a.passes == 0 || a.min_swapped_pct > 100 {
        return Err("--mib and --passes must be positive, --min-swapped-pct at most 100".into());
    }
    if a.selftest_stale && a.passes < 2 {
        return Err("--selftest-stale needs --passes 2 or more".into());
    }
    if a.fork && a.kind == sys::Kind::Shmem {
        return Err(
            "--fork checks copy-on-write, which shared memory (--shmem) does not do".into(),
        );
    }
    if a.sigbus_retries.is_some() && a.kind == sys::Kind::Shmem {
        return Err("--sigbus-retries replaces lost pages of private memory only".into());
    }
    Ok(a)
}

/// The seed of generation `generation` of the pages of a run with seed `seed`: generation 0
/// is `seed` itself.
fn generation_seed(seed: u64, generation: u32) -> u64 {
    seed.wrapping_add(u64::from(generation).wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

fn mib_per_s(bytes: usize, secs: f64) -> f64 {
    bytes as f64 / (1 << 20) as f64 / secs.max(1e-9)
}

fn main() -> ExitCode {
    vswap_verify::tool_main("vswap-verify", USAGE, parse_args, |a| &a.label, run)
}

fn run(a: &Args) -> Result<bool, String> {
    let len = a.mib << 20;
    let pages = len / PAGE;
    let mut map = sys::Mapping::new(len, a.kind)?;
    if let Some(tries) = a.sigbus_retries {
        let (base, len) = map.range();
        // Reclaim more than the mapping: the folio whose read failed was the last one added to
        // the LRU.
        sys::sigbus::retry_sigbus(base, len, tries, 2 * len)?;
    }
    let mem = map.as_mut_slice();

    let t = Instant::now();
    for (idx, page) in mem.chunks_exact_mut(PAGE).enumerate() {
        a.pattern.fill(a.seed, idx as u64, page);
    }
    let mut write_s = t.elapsed().as_secs_f64();

    let mut ok = true;
    let mut min_swapped = usize::MAX;
    let mut total_bad = 0usize;
    let mut bad_pages = Vec::new();
    let mut read_s = 0.0;
    let mut out_s = 0.0;
    let victim = pages / 2;
    for pass in 1..=a.passes {
        // The generation the pages hold now.
        let seed = generation_seed(a.seed, pass - 1);
        if pass > 1 {
            let t = Instant::now();
            let mem = map.as_mut_slice();
            for (idx, page) in mem.chunks_exact_mut(PAGE).enumerate() {
                if a.selftest_stale && pass == 2 && idx == victim {
                    // TEST ONLY: this page keeps the previous generation.
                    continue;
                }
                a.pattern.fill(seed, idx as u64, page);
            }
            write_s += t.elapsed().as_secs_f64();
        }
        let mut starve = None;
        if pass == 1 && a.free_first > 0 {
            let mut first = sys::Mapping::new(a.free_first << 20, sys::Kind::Anon)?;
            for (idx, page) in first.as_mut_slice().chunks_exact_mut(PAGE).enumerate() {
                Pattern::Compressible.fill(!a.seed, idx as u64, page);
            }
            first.pageout()?;
            if a.free_first_starve {
                starve = Some(sys::Starve::start()?);
            }
            // Dropping it unmaps it: its swap slots are freed here.
        }
        let t = Instant::now();
        if a.pageout {
            map.pageout()?;
        }
        drop(starve);
        if a.reclaim {
            // The kernel may reclaim less than asked (EAGAIN); what went out is measured below.
            let _ = sys::memcg_reclaim(len);
        }
        out_s += t.elapsed().as_secs_f64();
        let swapped = map.swapped_pages()?;
        min_swapped = min_swapped.min(swapped);

        if pass == 1 {
            if let Some(cmd) = &a.after_swapout {
                let st = std::process::Command::new("sh")
                    .args(["-c", cmd])
                    .status()
                    .map_err(|e| format!("sh -c {cmd}: {e}"))?;
                if !st.success() {
                    return Err(format!("--exec-after-swapout command failed: {st}"));
                }
            }
            if a.exit_after_swapout {
                println!(
                    "vswap-verify: {} pattern={} mib={} pages={} swapped_pages={swapped} exited_after_swapout=1 result=PASS",
                    a.label, a.pattern, a.mib, pages
                );
                // Exit with the pages still out: the kernel frees their swap slots.
                std::process::exit(0);
            }
            if a.fork {
                total_bad += fork_and_check(a, &mut map)?;
            }
        }

        let mem = map.as_mut_slice();
        if a.corrupt_after_swapin && pass == 1 {
            // TEST ONLY: prove the check can fail. Touch one page (swapping it in), then flip a
            // byte as if the swap path had returned bad data.
            let b = &mut mem[victim * PAGE + 123];
            *b = !std::hint::black_box(*b);
        }

        let t = Instant::now();
        let bad = check(a, mem, |_| seed, &format!("pass {pass}"), &mut bad_pages);
        read_s += t.elapsed().as_secs_f64();
        total_bad += bad;
        if bad != 0 {
            ok = false;
        }
    }

    if total_bad != 0 {
        ok = false;
    }
    let (sigbus, lost) = sys::sigbus::counts();
    let swapped_pct = min_swapped * 100 / pages.max(1);
    let enough = swapped_pct >= a.min_swapped_pct as usize;
    println!(
        "vswap-verify: {} pattern={} mib={} pages={} passes={} write_mibps={:.1} swapout_s={:.2} \
         swapped_pages={} swapped_pct={} readback_mibps={:.1} mismatched_pages={} bad_pages={} \
         sigbus={sigbus} lost_pages={lost} result={}",
        a.label,
        a.pattern,
        a.mib,
        pages,
        a.passes,
        mib_per_s(len, write_s),
        out_s,
        min_swapped,
        swapped_pct,
        mib_per_s(len * a.passes as usize, read_s),
        total_bad,
        page_list(&bad_pages),
        if ok && enough { "PASS" } else { "FAIL" }
    );
    if !enough {
        eprintln!(
            "vswap-verify: {}: only {swapped_pct}% of the pages were swapped out, {}% required",
            a.label, a.min_swapped_pct
        );
    }
    Ok(ok && enough)
}

/// At most this many mismatched page indices are kept for the result line.
const BAD_PAGES_SHOWN: usize = 8;

/// `bad_pages=` of the result line: the indices, comma-separated, or "-".
fn page_list(pages: &[usize]) -> String {
    if pages.is_empty() {
        return "-".into();
    }
    let list: Vec<String> = pages.iter().map(|p| p.to_string()).collect();
    list.join(",")
}

/// Counts the pages of `mem` that differ from the pattern for `seed_of(page index)`; the first
/// indices go to `bad_pages`.
fn check(
    a: &Args,
    mem: &[u8],
    seed_of: impl Fn(usize) -> u64,
    what: &str,
    bad_pages: &mut Vec<usize>,
) -> usize {
    let mut bad = 0usize;
    let mut expect = vec![0u8; PAGE];
    for (idx, page) in mem.chunks_exact(PAGE).enumerate() {
        if sys::sigbus::is_lost(idx) {
            // Replaced by a zero page after a read error (--sigbus-retries): counted apart.
            continue;
        }
        a.pattern.fill(seed_of(idx), idx as u64, &mut expect);
        // The comparison may be what faulted the page in, and lost it: its read failed and the
        // handler put a zero page there (--sigbus-retries).
        if page != expect.as_slice() && !sys::sigbus::is_lost(idx) {
            if bad < 5 {
                let off = page
                    .iter()
                    .zip(&expect)
                    .position(|(x, y)| x != y)
                    .unwrap_or(0);
                eprintln!(
                    "vswap-verify: {}: {what}: page {idx} differs at byte {off}: got {:#04x}, want {:#04x}",
                    a.label, page[off], expect[off]
                );
            }
            if bad_pages.len() < BAD_PAGES_SHOWN && !bad_pages.contains(&idx) {
                bad_pages.push(idx);
            }
            bad += 1;
        }
    }
    bad
}

/// Forks with the pages swapped out (their swap count is now 2). The child reads them all,
/// rewrites every other page with another seed (breaking COW) and checks its copy; the parent
/// waits and returns the child's mismatches, then verifies its own copy as usual.
fn fork_and_check(a: &Args, map: &mut sys::Mapping) -> Result<usize, String> {
    match sys::fork()? {
        0 => {
            let mem = map.as_mut_slice();
            let mut ignored = Vec::new();
            let mut bad = check(a, mem, |_| a.seed, "child, shared", &mut ignored);
            let other = a.seed ^ 0x5a5a;
            for (idx, page) in mem.chunks_exact_mut(PAGE).enumerate() {
                if idx % 2 == 0 {
                    a.pattern.fill(other, idx as u64, page);
                }
            }
            map.pageout()?;
            let mem = map.as_mut_slice();
            bad += check(
                a,
                mem,
                |idx| if idx % 2 == 0 { other } else { a.seed },
                "child, after COW",
                &mut ignored,
            );
            eprintln!("vswap-verify: {}: child mismatched_pages={bad}", a.label);
            std::process::exit(if bad == 0 { 0 } else { 1 });
        }
        pid => {
            let status = sys::wait(pid)?;
            Ok(usize::from(status != 0))
        }
    }
}
