// SPDX-License-Identifier: GPL-2.0

//! vswap-bench: one timed round trip of a memory region through swap, for `make bench`.
//!
//! It maps N MiB of anonymous memory and times, one after the other: filling it (under the
//! caller's memcg limit or global pressure this is the swap-out throughput), reading and checking
//! every page (swap-in throughput), `MADV_PAGEOUT` of the whole region, and freeing the region
//! with almost every page swapped out (`munmap`: the free path of swap slots). Optionally, before
//! the read, R random 4 KiB accesses (memhog-style). It prints one JSON object per run; the
//! harness (qemu/guest/bench.sh) runs it on stock swap and on vswap and compares.
//!
//! `--cost` counts work instead of timing it: each path (swap-out, swap-in, free, and with
//! `--swapoff DEV` the swapoff of DEV) runs alone, between two readings of the CPU time of every
//! task in the system (`all_tasks_cpu_ns`), each after a pause that lets deferred work
//! (work items, I/O completions) finish. Under QEMU's `-icount shift=0` one nanosecond of guest
//! time is one instruction, so the figures are instruction counts, the same from run to run.

use std::process::ExitCode;
use std::time::Instant;
use vswap_verify::pattern::Pattern;
use vswap_verify::{sys, PAGE};

const USAGE: &str = "usage: vswap-bench [--mib N] [--seed S] [--pattern P] [--thp] [--random R]
                   [--label NAME] [--around-free CMD] [--cost] [--procs N] [--swapoff DEV]

  --mib N       region to map (default 256)
  --pattern P   page contents, as vswap-verify's (default bench: 3/4 compressible,
                1/8 zero, 1/8 random)
  --thp         allow large folios (the mTHP/THP sizes enabled in sysfs)
  --random R    R random page accesses (read or write, half each) after the fill
  --label NAME  a name in the result
  --around-free CMD  run `sh -c 'CMD start'` before the free and `sh -c 'CMD stop'`
                after it, outside the timing (e.g. a profiler)
  --cost        count the CPU time of every task for each path instead (see above):
                read resident, swap-out, swap-in, swap-out again, free
  --swapoff DEV with --cost: swapoff DEV after the second swap-out, counted, then
                read back and free the (resident) region
  --procs N     N processes share the region (--mib / N each, at least a page): each
                fills its part, pages it out and waits; then, with --swapoff DEV, DEV
                is swapped off (timed and counted); then each reads its part back.
                The processes' own pages are locked in memory (mlockall: run as root),
                so that the reclaim that drops the swap cache before the swapoff takes
                only the region; the result counts the region's pages in the swap cache
                after MADV_PAGEOUT (resident_pages), before and after that drop";

struct Args {
    mib: usize,
    seed: u64,
    pattern: Pattern,
    kind: sys::Kind,
    random: usize,
    label: String,
    around_free: Option<String>,
    cost: bool,
    swapoff: Option<String>,
    procs: usize,
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
        cost: false,
        swapoff: None,
        procs: 0,
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
            "--cost" => a.cost = true,
            "--swapoff" => a.swapoff = Some(value("--swapoff")?),
            "--procs" => a.procs = num(value("--procs")?)?,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    if a.mib == 0 {
        return Err("--mib must be positive".into());
    }
    if a.swapoff.is_some() && !a.cost && a.procs == 0 {
        return Err("--swapoff needs --cost or --procs".into());
    }
    if a.cost && a.procs > 0 {
        return Err("--cost and --procs are two different runs".into());
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
    fill(a, &mut map, 0);
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
    bad += check(a, &mut map, 0);
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

/// CPU time, in ns, that every task of the system has run so far: the sum over the CPUs of
/// the time their run queues ran tasks (`rq_cpu_time`, the seventh figure of each `cpuN` line
/// of `/proc/schedstat`: each task's time on the CPU, added when it leaves it, exact to the
/// nanosecond; the reader's own slice, a few microseconds after a pause, is not in it yet).
/// Without `/proc/schedstat` (no CONFIG_SCHEDSTATS) the sum of the tasks' own times
/// (`/proc/PID/task/TID/schedstat`), slower to read, and without the tasks that exit.
/// Without IRQ time accounting (the project's kernels) an interrupt is charged to the task it
/// interrupts; idle time (waiting for a disk) is not counted, nor interrupts taken while idle
/// (most disk completions).
pub fn all_tasks_cpu_ns() -> Result<u64, String> {
    if let Ok(s) = std::fs::read_to_string("/proc/schedstat") {
        let per_cpu: Vec<u64> = s
            .lines()
            .filter(|l| l.starts_with("cpu"))
            .filter_map(|l| l.split_whitespace().nth(7)?.parse().ok())
            .collect();
        if !per_cpu.is_empty() {
            return Ok(per_cpu.iter().sum());
        }
    }
    let mut sum = 0u64;
    let procs = std::fs::read_dir("/proc").map_err(|e| format!("/proc: {e}"))?;
    for p in procs.flatten() {
        let name = p.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        // A task may exit while we read: skip what vanished.
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            continue;
        };
        for t in tasks.flatten() {
            let Ok(s) = std::fs::read_to_string(t.path().join("schedstat")) else {
                continue;
            };
            if let Some(ns) = s
                .split_whitespace()
                .next()
                .and_then(|v| v.parse::<u64>().ok())
            {
                sum += ns;
            }
        }
    }
    if sum == 0 {
        return Err("no /proc/*/task/*/schedstat (CONFIG_SCHED_INFO)".into());
    }
    Ok(sum)
}

/// swapoff(2) of `path`.
pub fn swapoff(path: &str) -> Result<(), String> {
    let c = std::ffi::CString::new(path).map_err(|e| format!("{path}: {e}"))?;
    // SAFETY: `c` is a NUL-terminated string that outlives the call.
    if unsafe { libc::swapoff(c.as_ptr()) } != 0 {
        return Err(format!(
            "swapoff {path}: {}",
            std::io::Error::last_os_error()
        ));
    }
    Ok(())
}

/// The pages in use on the swap device `path` (its `Used` in `/proc/swaps`).
fn device_pages(path: &str) -> Result<u64, String> {
    let want = std::fs::canonicalize(path).map_err(|e| format!("{path}: {e}"))?;
    let swaps = std::fs::read_to_string("/proc/swaps").map_err(|e| format!("/proc/swaps: {e}"))?;
    for line in swaps.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() >= 4 && std::fs::canonicalize(f[0]).is_ok_and(|p| p == want) {
            let kib: u64 = f[3]
                .parse()
                .map_err(|e| format!("/proc/swaps: {line}: {e}"))?;
            return Ok(kib * 1024 / PAGE as u64);
        }
    }
    Err(format!("{path} is not in /proc/swaps"))
}

/// Bytes in this process's memcg's swap cache (`swapcached` in its `memory.stat`).
fn memcg_swapcached() -> Result<u64, String> {
    let stat = sys::memcg_file("memory.stat")?;
    let s = std::fs::read_to_string(&stat).map_err(|e| format!("{stat}: {e}"))?;
    s.lines()
        .find_map(|l| l.strip_prefix("swapcached "))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .ok_or_else(|| format!("{stat}: no swapcached line"))
}

/// Reclaims the memcg's swap cache until it is empty, or for at most five seconds: the copies a
/// disk write leaves are dropped once the write completed. The reclaim takes other pages of the
/// memcg too (see `child()`). Returns the bytes still in the swap cache (0 unless it gave up),
/// which the caller reports: a swap-in or swapoff timed over a cache that is not empty reads
/// less from the device than it says.
fn drop_swap_cache(len: usize) -> Result<u64, String> {
    let mut left = 0;
    for _ in 0..50 {
        // memory.reclaim fails (EAGAIN) when it frees less than asked, as here: that is fine.
        let _ = sys::memcg_reclaim(len);
        left = memcg_swapcached()?;
        if left == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Ok(left)
}

/// Writes the pattern into `map`, whose first page is page `first` of the pattern.
fn fill(a: &Args, map: &mut sys::Mapping, first: usize) {
    for (i, page) in map.as_mut_slice().chunks_exact_mut(PAGE).enumerate() {
        a.pattern.fill(a.seed, (first + i) as u64, page);
    }
}

/// Pages of `map` (its first page is page `first` of the pattern) that do not hold their pattern.
fn check(a: &Args, map: &mut sys::Mapping, first: usize) -> usize {
    let mut expect = vec![0u8; PAGE];
    let mut bad = 0;
    for (i, page) in map.as_mut_slice().chunks_exact(PAGE).enumerate() {
        a.pattern.fill(a.seed, (first + i) as u64, &mut expect);
        if page != expect.as_slice() {
            bad += 1;
        }
    }
    bad
}

/// The CPU time of every task spent on `f`, in ns: read after a pause (deferred work of what
/// came before finishes), then `f`, a pause (deferred work of `f` finishes), read again.
fn counted<T>(f: impl FnOnce() -> Result<T, String>) -> Result<(u64, T), String> {
    const SETTLE: std::time::Duration = std::time::Duration::from_millis(300);
    std::thread::sleep(SETTLE);
    let c0 = all_tasks_cpu_ns()?;
    let r = f()?;
    std::thread::sleep(SETTLE);
    let c1 = all_tasks_cpu_ns()?;
    Ok((c1.saturating_sub(c0), r))
}

/// `--cost`: one run, its JSON line and the number of pages that read back wrong.
fn cost(a: &Args) -> Result<(String, usize), String> {
    let len = a.mib << 20;
    let mut map = sys::Mapping::new(len, a.kind)?;
    fill(a, &mut map, 0);
    // The floor: the pauses and readings alone, with nothing in between.
    let (floor, ()) = counted(|| Ok(()))?;
    // Reading the resident region: what a swap-in costs beyond its faults.
    let (resident, mut bad) = counted(|| Ok(check(a, &mut map, 0)))?;
    let (swapout, ()) = counted(|| map.pageout())?;
    let swapped = map.swapped_pages()?;
    // Drop the clean swap cache copies a disk write leaves, uncounted: the swap-in must read.
    let cached_after = drop_swap_cache(len)? / PAGE as u64;
    let (swapin, b) = counted(|| Ok(check(a, &mut map, 0)))?;
    bad += b;
    let (swapout2, ()) = counted(|| map.pageout())?;
    let swapped2 = map.swapped_pages()?;
    let swapoff = match &a.swapoff {
        Some(dev) => {
            let (ns, ()) = counted(|| swapoff(dev))?;
            bad += check(a, &mut map, 0);
            ns.to_string()
        }
        None => String::from("null"),
    };
    let (free, ()) = counted(|| {
        drop(map);
        Ok(())
    })?;
    let line = format!(
        "{{\"label\": \"{}\", \"pattern\": \"{}\", \"mib\": {}, \"thp\": {}, \"cost\": {{\
         \"floor_ns\": {floor}, \"resident_read_ns\": {resident}, \"swapout_ns\": {swapout}, \
         \"swapped_pages\": {swapped}, \"swapin_ns\": {swapin}, \"swapout2_ns\": {swapout2}, \
         \"swapped2_pages\": {swapped2}, \"swapoff_ns\": {swapoff}, \"free_ns\": {free}, \
         \"swapcached_after_drop\": {cached_after}}}, \"mismatches\": {bad}}}",
        a.label,
        a.pattern,
        a.mib,
        a.kind == sys::Kind::Thp,
    );
    Ok((line, bad))
}

/// `--procs N`: the region shared by N processes, each holding its part swapped out while DEV
/// is swapped off; the JSON line and the number of processes that read back wrong.
fn procs(a: &Args) -> Result<(String, usize), String> {
    use std::io::Read;
    use std::os::unix::net::UnixStream;
    let total = (a.mib << 20) / PAGE;
    let each = (total / a.procs).max(1);
    // The parent's own pages stay in memory, as each child's do (see child()).
    sys::mlock_current()?;
    // Children report "paged out" (their swapped and their still resident pages, 8 bytes each)
    // on `ready`, then block on `go` until the parent closes its end.
    let (mut ready_rx, ready_tx) = UnixStream::pair().map_err(|e| format!("socketpair: {e}"))?;
    let (go_tx, mut go_rx) = UnixStream::pair().map_err(|e| format!("socketpair: {e}"))?;
    let mut pids = Vec::with_capacity(a.procs);
    for i in 0..a.procs {
        let pid = sys::fork()?;
        if pid == 0 {
            drop(go_tx);
            drop(ready_rx);
            let code = match child(a, i * each, each, ready_tx, &mut go_rx) {
                Ok(0) => 0,
                Ok(_) => 1,
                Err(e) => {
                    eprintln!("vswap-bench: {}: process {i}: {e}", a.label);
                    2
                }
            };
            std::process::exit(code);
        }
        pids.push(pid);
    }
    drop(ready_tx);
    drop(go_rx);
    let (mut swapped, mut resident) = (0u64, 0u64);
    let mut buf = [0u8; 8];
    for _ in 0..a.procs {
        for sum in [&mut swapped, &mut resident] {
            ready_rx
                .read_exact(&mut buf)
                .map_err(|e| format!("a process did not page out: {e}"))?;
            *sum += u64::from_le_bytes(buf);
        }
    }
    let mut on_device = String::from("null");
    let (mut cached, mut cached_after) = (String::from("null"), String::from("null"));
    let (swapoff_ns, swapoff_ms) = match &a.swapoff {
        Some(dev) => {
            // Uncounted: the swapoff must read what the children's writes left in the swap
            // cache (MADV_PAGEOUT leaves a page there until its write completed).
            cached = (memcg_swapcached()? / PAGE as u64).to_string();
            cached_after = (drop_swap_cache(total * PAGE)? / PAGE as u64).to_string();
            // What the swapoff moves: the region (the processes' own pages are locked in
            // memory), and whatever global pressure sent to the device.
            on_device = device_pages(dev)?.to_string();
            let (ns, ms) = counted(|| {
                let t = Instant::now();
                swapoff(dev)?;
                Ok(t.elapsed().as_secs_f64() * 1000.0)
            })?;
            (ns.to_string(), format!("{ms:.3}"))
        }
        None => (String::from("null"), String::from("null")),
    };
    drop(go_tx);
    let mut bad = 0;
    for pid in pids {
        if sys::wait(pid)? != 0 {
            bad += 1;
        }
    }
    let line = format!(
        "{{\"label\": \"{}\", \"pattern\": \"{}\", \"mib\": {}, \"procs\": {}, \
         \"pages_each\": {each}, \"swapped_pages\": {swapped}, \"resident_pages\": {resident}, \
         \"swapcached_pages\": {cached}, \"swapcached_after_drop\": {cached_after}, \
         \"device_pages\": {on_device}, \
         \"swapoff_ms\": {swapoff_ms}, \"swapoff_ns\": {swapoff_ns}, \"failed_procs\": {bad}}}",
        a.label, a.pattern, a.mib, a.procs
    );
    Ok((line, bad))
}

/// One process of `--procs`: pages `first..first + n` of the pattern; the pages that read back
/// wrong.
fn child(
    a: &Args,
    first: usize,
    n: usize,
    mut ready: std::os::unix::net::UnixStream,
    go: &mut std::os::unix::net::UnixStream,
) -> Result<usize, String> {
    use std::io::{Read, Write};
    // This process's own pages (stack, heap) stay in memory: the parent's reclaim of the swap
    // cache would push them out too, more pages with more processes, and the swapoff would
    // then move more than the region.
    sys::mlock_current()?;
    let mut map = sys::Mapping::new(n * PAGE, a.kind)?;
    fill(a, &mut map, first);
    map.pageout()?;
    // Pages still in memory, in the swap cache while their write completes.
    let resident = map.resident_pages()? as u64;
    let swapped = map.swapped_pages()? as u64;
    for n in [swapped, resident] {
        ready
            .write_all(&n.to_le_bytes())
            .map_err(|e| format!("ready: {e}"))?;
    }
    // Closed at once: if a sibling dies before it reports, the parent sees EOF, not a hang.
    drop(ready);
    // EOF when the parent closes its end: the swapoff is over.
    let mut b = [0u8; 1];
    let _ = go.read(&mut b);
    Ok(check(a, &mut map, first))
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
    vswap_verify::tool_main(
        "vswap-bench",
        USAGE,
        parse_args,
        |a| &a.label,
        |a| {
            let (line, bad) = if a.cost {
                cost(a)?
            } else if a.procs > 0 {
                procs(a)?
            } else {
                run(a)?
            };
            println!("{line}");
            Ok(bad == 0)
        },
    )
}
