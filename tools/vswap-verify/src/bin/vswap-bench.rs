// SPDX-License-Identifier: GPL-2.0

//! vswap-bench: one timed round trip of a memory region through swap, for `make bench`.
//!
//! It maps N MiB of anonymous memory and times, one after the other: filling it (under the
//! caller's memcg limit or global pressure this is the swap-out throughput), reading and checking
//! every page (swap-in throughput), `MADV_PAGEOUT` of the whole region, and freeing the region
//! with almost every page swapped out (`munmap`: the free path of swap slots). Optionally, before
//! the read, R random 4 KiB accesses (memhog-style). It prints one JSON object per run; the
//! harness (qemu/guest/bench.sh) runs it on stock swap and on vswap and compares.

#[path = "../pattern.rs"]
mod pattern;
// Shared with vswap-verify, which uses more of it.
#[allow(dead_code)]
#[path = "../sys.rs"]
mod sys;

use pattern::Pattern;
use std::process::ExitCode;
use std::time::Instant;

const PAGE: usize = 4096;

const USAGE: &str = "usage: vswap-bench [--mib N] [--seed S] [--pattern P] [--thp] [--random R]
                   [--label NAME] [--around-free CMD]

  --mib N       region to map (default 256)
  --pattern P   page contents, as vswap-verify's (default bench: 3/4 compressible,
                1/8 zero, 1/8 random)
  --thp         allow large folios (the mTHP/THP sizes enabled in sysfs)
  --random R    R random page accesses (read or write, half each) after the fill
  --label NAME  a name in the result
  --around-free CMD  run `sh -c 'CMD start'` before the free and `sh -c 'CMD stop'`
                after it, outside the timing (e.g. a profiler)";

struct Args {
    mib: usize,
    seed: u64,
    pattern: Pattern,
    kind: sys::Kind,
    random: usize,
    label: String,
    around_free: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        mib: 256,
        seed: 1,
        pattern: Pattern::Bench,
        kind: sys::Kind::Anon,
        random: 0,
        label: String::from("bench"),
        around_free: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        let num = |v: String| v.parse().map_err(|e| format!("'{v}': {e}"));
        match arg.as_str() {
            "--mib" => a.mib = num(value("--mib")?)?,
            "--seed" => a.seed = num(value("--seed")?)? as u64,
            "--pattern" => a.pattern = value("--pattern")?.parse()?,
            "--thp" => a.kind = sys::Kind::Thp,
            "--random" => a.random = num(value("--random")?)?,
            "--label" => a.label = value("--label")?,
            "--around-free" => a.around_free = Some(value("--around-free")?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    if a.mib == 0 {
        return Err("--mib must be positive".into());
    }
    Ok(a)
}

/// xorshift64: the random access sequence, reproducible from the seed.
fn next(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

/// One run: its JSON result line and the number of pages that read back wrong.
fn run(a: &Args) -> Result<(String, usize), String> {
    let len = a.mib << 20;
    let pages = len / PAGE;
    let mut map = sys::Mapping::new(len, a.kind)?;

    let t = Instant::now();
    for (idx, page) in map.as_mut_slice().chunks_exact_mut(PAGE).enumerate() {
        a.pattern.fill(a.seed, idx as u64, page);
    }
    let fill_s = t.elapsed().as_secs_f64();

    // memhog-style: random pages, each read (checked) or rewritten with its own contents.
    let t = Instant::now();
    let mut bad = 0usize;
    let mut s = a.seed | 1;
    let mut expect = vec![0u8; PAGE];
    {
        let mem = map.as_mut_slice();
        for _ in 0..a.random {
            let r = next(&mut s);
            let idx = (r as usize >> 1) % pages;
            let page = &mut mem[idx * PAGE..(idx + 1) * PAGE];
            a.pattern.fill(a.seed, idx as u64, &mut expect);
            if r & 1 == 0 {
                if page != expect.as_slice() {
                    bad += 1;
                }
            } else {
                page.copy_from_slice(&expect);
            }
        }
    }
    let random_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    for (idx, page) in map.as_mut_slice().chunks_exact(PAGE).enumerate() {
        a.pattern.fill(a.seed, idx as u64, &mut expect);
        if page != expect.as_slice() {
            bad += 1;
        }
    }
    let read_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    map.pageout()?;
    let pageout_s = t.elapsed().as_secs_f64();
    let swapped = map.swapped_pages()?;

    around_free(a, "start")?;
    let t = Instant::now();
    drop(map);
    let free_ms = t.elapsed().as_secs_f64() * 1000.0;
    around_free(a, "stop")?;

    let line = format!(
        "{{\"label\": \"{}\", \"pattern\": \"{}\", \"mib\": {}, \"thp\": {}, \"random\": {}, \
         \"fill_s\": {fill_s:.4}, \"random_s\": {random_s:.4}, \"read_s\": {read_s:.4}, \
         \"pageout_s\": {pageout_s:.4}, \"swapped_pages\": {swapped}, \"free_ms\": {free_ms:.3}, \
         \"mismatches\": {bad}}}",
        a.label,
        a.pattern,
        a.mib,
        a.kind == sys::Kind::Thp,
        a.random
    );
    Ok((line, bad))
}

/// `--around-free CMD`: runs `sh -c "CMD WHAT"`, if given.
fn around_free(a: &Args, what: &str) -> Result<(), String> {
    let Some(cmd) = &a.around_free else {
        return Ok(());
    };
    let st = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{cmd} {what}"))
        .status()
        .map_err(|e| format!("--around-free: {e}"))?;
    if st.success() {
        Ok(())
    } else {
        Err(format!("--around-free command '{cmd} {what}' failed: {st}"))
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("vswap-bench: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(3);
        }
    };
    match run(&args) {
        Ok((line, bad)) => {
            println!("{line}");
            if bad == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("vswap-bench: {}: {e}", args.label);
            ExitCode::from(2)
        }
    }
}
