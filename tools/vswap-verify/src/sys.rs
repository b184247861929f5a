// SPDX-License-Identifier: GPL-2.0

//! The system calls the verifier needs: an anonymous mapping, MADV_PAGEOUT, swap usage.

use std::io;

/// What backs a [`Mapping`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Private anonymous memory in base pages (`MADV_NOHUGEPAGE`).
    Anon,
    /// Private anonymous memory where large folios are allowed (`MADV_HUGEPAGE`, 2 MiB
    /// aligned): the sizes enabled under `/sys/kernel/mm/transparent_hugepage/` apply.
    Thp,
    /// Shared anonymous memory (shmem): swap entries live in the shmem mapping.
    Shmem,
}

/// An anonymous mapping, unmapped on drop.
pub struct Mapping {
    /// The whole mapping, with the alignment slack of a THP mapping.
    base: *mut u8,
    base_len: usize,
    ptr: *mut u8,
    len: usize,
    kind: Kind,
}

const HPAGE: usize = 2 << 20;

impl Mapping {
    pub fn new(len: usize, kind: Kind) -> Result<Mapping, String> {
        let (flags, base_len) = match kind {
            Kind::Anon => (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, len),
            Kind::Thp => (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, len + HPAGE),
            Kind::Shmem => (libc::MAP_SHARED | libc::MAP_ANONYMOUS, len),
        };
        // SAFETY: An anonymous mapping at an address of the kernel's choosing aliases nothing.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                base_len,
                libc::PROT_READ | libc::PROT_WRITE,
                flags,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(format!(
                "mmap of {base_len} bytes: {}",
                io::Error::last_os_error()
            ));
        }
        let base = base.cast::<u8>();
        let ptr = match kind {
            Kind::Thp => base.wrapping_add(base.align_offset(HPAGE)),
            Kind::Anon | Kind::Shmem => base,
        };
        let advice = match kind {
            Kind::Thp => libc::MADV_HUGEPAGE,
            // Base pages, so that the counts below are exact. Failure only means THP is not
            // configured.
            Kind::Anon | Kind::Shmem => libc::MADV_NOHUGEPAGE,
        };
        // SAFETY: The range lies inside the mapping just created.
        if unsafe { libc::madvise(ptr.cast(), len, advice) } != 0 && kind == Kind::Thp {
            let e = io::Error::last_os_error();
            // SAFETY: `base`/`base_len` are the mapping just created.
            unsafe { libc::munmap(base.cast(), base_len) };
            return Err(format!("MADV_HUGEPAGE: {e}"));
        }
        Ok(Mapping {
            base,
            base_len,
            ptr,
            len,
            kind,
        })
    }

    /// The first byte of the mapping and its length.
    pub fn range(&self) -> (*mut u8, usize) {
        (self.ptr, self.len)
    }

    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: The mapping is readable, writable and `len` bytes long for the life of `self`.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }

    /// Asks the kernel to reclaim the whole range now.
    pub fn pageout(&self) -> Result<(), String> {
        // SAFETY: The range is our own mapping; MADV_PAGEOUT does not change its contents.
        let r = unsafe { libc::madvise(self.ptr.cast(), self.len, libc::MADV_PAGEOUT) };
        if r != 0 {
            return Err(format!("MADV_PAGEOUT: {}", io::Error::last_os_error()));
        }
        Ok(())
    }

    /// Pages of the mapping in memory, by mincore(2): mapped, or in the swap cache (a swap
    /// entry whose page is still cached counts as resident).
    pub fn resident_pages(&self) -> Result<usize, String> {
        let mut vec = vec![0u8; self.len.div_ceil(super::PAGE)];
        // SAFETY: The range is our own mapping, and `vec` has one byte per page of it.
        let r = unsafe { libc::mincore(self.ptr.cast(), self.len, vec.as_mut_ptr()) };
        if r != 0 {
            return Err(format!("mincore: {}", io::Error::last_os_error()));
        }
        Ok(vec.iter().filter(|&&b| b & 1 != 0).count())
    }

    /// Pages of the mapping now held in swap: `VmSwap` for private memory (swap entries in the
    /// page tables: the mapping is nearly all of this process's anonymous memory), the
    /// mapping's `Swap:` line in `/proc/self/smaps` for shmem.
    pub fn swapped_pages(&self) -> Result<usize, String> {
        if self.kind == Kind::Shmem {
            return self.smaps_swapped_pages();
        }
        let status = std::fs::read_to_string("/proc/self/status")
            .map_err(|e| format!("/proc/self/status: {e}"))?;
        let kb = status
            .lines()
            .find_map(|l| l.strip_prefix("VmSwap:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
            .ok_or("no VmSwap in /proc/self/status")?;
        Ok((kb * 1024 / super::PAGE).min(self.len / super::PAGE))
    }
}

impl Mapping {
    /// The `Swap:` of this mapping in `/proc/self/smaps`, in pages.
    fn smaps_swapped_pages(&self) -> Result<usize, String> {
        let smaps = std::fs::read_to_string("/proc/self/smaps")
            .map_err(|e| format!("/proc/self/smaps: {e}"))?;
        let start = format!("{:x}-", self.base as usize);
        let mut lines = smaps.lines().skip_while(|l| !l.starts_with(&start));
        lines.next().ok_or("mapping not in /proc/self/smaps")?;
        let kb = lines
            .find_map(|l| l.strip_prefix("Swap:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
            .ok_or("no Swap: line for the mapping in /proc/self/smaps")?;
        Ok((kb * 1024 / super::PAGE).min(self.len / super::PAGE))
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `base`/`base_len` describe the mapping created in `new`, unmapped only here.
        unsafe { libc::munmap(self.base.cast(), self.base_len) };
    }
}

/// The path of file `name` (e.g. `memory.stat`) of this process's memcg (cgroup v2).
pub fn memcg_file(name: &str) -> Result<String, String> {
    let cg = std::fs::read_to_string("/proc/self/cgroup").map_err(|e| e.to_string())?;
    let path = cg
        .lines()
        .find_map(|l| l.strip_prefix("0::"))
        .ok_or("not on cgroup v2")?;
    Ok(format!("/sys/fs/cgroup{}/{name}", path.trim()))
}

/// The path of this process's memcg `memory.reclaim` (cgroup v2).
pub fn memcg_reclaim_file() -> Result<String, String> {
    memcg_file("memory.reclaim")
}

/// Writes `bytes` to this process's memcg `memory.reclaim`.
pub fn memcg_reclaim(bytes: usize) -> Result<(), String> {
    let file = memcg_reclaim_file()?;
    std::fs::write(&file, bytes.to_string()).map_err(|e| format!("{file}: {e}"))
}

/// mlockall(MCL_CURRENT | MCL_ONFAULT): the pages this process's mappings hold now, and those
/// they fault in later, stay in memory; mappings made later are not locked, and nothing is
/// faulted in (no copy of a page a fork's child shares with its parent). Not inherited by a
/// fork's child. Needs CAP_IPC_LOCK or a large enough RLIMIT_MEMLOCK.
pub fn mlock_current() -> Result<(), String> {
    // SAFETY: mlockall() takes no pointer and changes no memory contents.
    if unsafe { libc::mlockall(libc::MCL_CURRENT | libc::MCL_ONFAULT) } != 0 {
        return Err(format!("mlockall: {}", io::Error::last_os_error()));
    }
    Ok(())
}

/// fork(2): 0 in the child, the child's pid in the parent.
pub fn fork() -> Result<i32, String> {
    // SAFETY: The verifier is single-threaded, so the child may run arbitrary code.
    match unsafe { libc::fork() } {
        -1 => Err(format!("fork: {}", io::Error::last_os_error())),
        pid => Ok(pid),
    }
}

/// Waits for child `pid`; its exit status (128 + signal if killed).
pub fn wait(pid: i32) -> Result<i32, String> {
    let mut status = 0;
    // SAFETY: `status` is a valid out-pointer.
    if unsafe { libc::waitpid(pid, &mut status, 0) } != pid {
        return Err(format!("waitpid: {}", io::Error::last_os_error()));
    }
    Ok(if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    })
}

/// Surviving SIGBUS on a swap-in that failed (a read error on the swap device), the way an
/// application that retries would: see [`retry_sigbus`].
pub mod sigbus {
    use std::io;
    use std::sync::atomic::{AtomicI32, AtomicU8, AtomicUsize, Ordering::Relaxed};

    const PAGE: usize = super::super::PAGE;

    static BASE: AtomicUsize = AtomicUsize::new(0);
    static LEN: AtomicUsize = AtomicUsize::new(0);
    static MAX_TRIES: AtomicUsize = AtomicUsize::new(0);
    static RECLAIM_FD: AtomicI32 = AtomicI32::new(-1);
    static RECLAIM_LEN: AtomicUsize = AtomicUsize::new(0);
    static LAST_PAGE: AtomicUsize = AtomicUsize::new(usize::MAX);
    static TRIES: AtomicUsize = AtomicUsize::new(0);
    static FAULTS: AtomicUsize = AtomicUsize::new(0);
    static LOST: AtomicUsize = AtomicUsize::new(0);
    /// `memory.reclaim` amount, as ASCII digits, written from the handler.
    static RECLAIM_TEXT: [AtomicU8; 24] = [const { AtomicU8::new(0) }; 24];
    /// One byte per page of the mapping: 1 once the page was given up as lost.
    static LOST_MAP: AtomicUsize = AtomicUsize::new(0);

    /// What the handler saw: SIGBUS faults taken, pages given up as lost.
    pub fn counts() -> (usize, usize) {
        (FAULTS.load(Relaxed), LOST.load(Relaxed))
    }

    /// Whether page `idx` of the mapping was given up as lost.
    pub fn is_lost(idx: usize) -> bool {
        let map = LOST_MAP.load(Relaxed) as *const AtomicU8;
        if map.is_null() || idx >= LEN.load(Relaxed) / PAGE {
            return false;
        }
        // SAFETY: `map` is the leaked array of `LEN / PAGE` bytes set up by `retry_sigbus`.
        unsafe { &*map.add(idx) }.load(Relaxed) != 0
    }

    /// From now on a SIGBUS at an address in `[base, base + len)` sleeps `sleep_ms`, asks this
    /// process's memcg to reclaim `reclaim` bytes (which drops a swap cache folio whose read
    /// failed: until then every fault on it fails again) and returns, so the access is retried.
    /// After `tries` failed tries on the same page the page is replaced by a zero-filled one and
    /// counted lost. Other SIGBUS are fatal as usual.
    pub fn retry_sigbus(
        base: *mut u8,
        len: usize,
        tries: usize,
        reclaim: usize,
    ) -> Result<(), String> {
        let file = super::memcg_reclaim_file()?;
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&file)
            .map_err(|e| format!("{file}: {e}"))?;
        let text = reclaim.to_string();
        for (slot, b) in RECLAIM_TEXT.iter().zip(text.bytes()) {
            slot.store(b, Relaxed);
        }
        RECLAIM_LEN.store(text.len().min(RECLAIM_TEXT.len()), Relaxed);
        RECLAIM_FD.store(std::os::fd::IntoRawFd::into_raw_fd(f), Relaxed);
        let map: &'static [AtomicU8] =
            Vec::from_iter((0..len / PAGE).map(|_| AtomicU8::new(0))).leak();
        LOST_MAP.store(map.as_ptr() as usize, Relaxed);
        BASE.store(base as usize, Relaxed);
        LEN.store(len, Relaxed);
        MAX_TRIES.store(tries, Relaxed);

        // SAFETY: An all-zero sigaction is a valid starting point; the fields set below make it
        // an SA_SIGINFO handler with an empty mask.
        let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
        sa.sa_sigaction = on_sigbus as *const () as usize;
        sa.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER;
        // SAFETY: `sa` is initialised; the handler only uses async-signal-safe calls and atomics.
        if unsafe { libc::sigaction(libc::SIGBUS, &sa, std::ptr::null_mut()) } != 0 {
            return Err(format!("sigaction: {}", io::Error::last_os_error()));
        }
        Ok(())
    }

    extern "C" fn on_sigbus(_sig: i32, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
        // SAFETY: The kernel passes a valid siginfo to an SA_SIGINFO handler.
        let addr = unsafe { (*info).si_addr() } as usize;
        let (base, len) = (BASE.load(Relaxed), LEN.load(Relaxed));
        if addr < base || addr >= base + len {
            // Not ours: die of it as without the handler.
            // SAFETY: Restoring the default action and re-raising are async-signal-safe.
            unsafe {
                libc::signal(libc::SIGBUS, libc::SIG_DFL);
                libc::raise(libc::SIGBUS);
            }
            return;
        }
        FAULTS.fetch_add(1, Relaxed);
        let page = (addr - base) / PAGE;
        let tries = if LAST_PAGE.swap(page, Relaxed) == page {
            TRIES.fetch_add(1, Relaxed) + 1
        } else {
            TRIES.store(1, Relaxed);
            1
        };
        if tries <= MAX_TRIES.load(Relaxed) {
            let ts = libc::timespec {
                tv_sec: 0,
                tv_nsec: 100_000_000,
            };
            let mut text = [0u8; 24];
            for (b, slot) in text.iter_mut().zip(RECLAIM_TEXT.iter()) {
                *b = slot.load(Relaxed);
            }
            // SAFETY: nanosleep and write are async-signal-safe; `text` outlives the call. A
            // failed reclaim (EAGAIN) only means the next try may fail too.
            unsafe {
                libc::nanosleep(&ts, std::ptr::null_mut());
                libc::write(
                    RECLAIM_FD.load(Relaxed),
                    text.as_ptr().cast(),
                    RECLAIM_LEN.load(Relaxed),
                );
            }
            return;
        }
        // Give the page up: a fresh zero page in its place, so that the access succeeds.
        let at = (base + page * PAGE) as *mut libc::c_void;
        // SAFETY: The page lies in the verifier's own private anonymous mapping, which nothing
        // else references; mmap is async-signal-safe.
        let r = unsafe {
            libc::mmap(
                at,
                PAGE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                -1,
                0,
            )
        };
        if r == libc::MAP_FAILED {
            // SAFETY: As above.
            unsafe { libc::abort() };
        }
        let map = LOST_MAP.load(Relaxed) as *const AtomicU8;
        // SAFETY: `page < len / PAGE`, the length of the leaked array.
        unsafe { &*map.add(page) }.store(1, Relaxed);
        LOST.fetch_add(1, Relaxed);
        TRIES.store(0, Relaxed);
        LAST_PAGE.store(usize::MAX, Relaxed);
    }
}

/// While it lives, the calling thread runs as SCHED_FIFO on the CPU it is on, and every other
/// CPU runs a SCHED_FIFO spinner: no ordinary (SCHED_OTHER) task or work item runs meanwhile,
/// unless the calling thread sleeps. For tests that must act before the kernel's deferred
/// work does (`--free-first-starve`).
pub struct Starve {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    spinners: Vec<std::thread::JoinHandle<()>>,
}

fn pin_fifo(cpu: Option<usize>, prio: i32) -> Result<(), String> {
    // SAFETY: A zeroed cpu_set_t is a valid empty set; CPU_SET and the syscalls only read and
    // write the sets and parameters passed, for the calling thread (pid 0).
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        match cpu {
            Some(c) => libc::CPU_SET(c, &mut set),
            None => {
                for c in 0..libc::CPU_SETSIZE as usize {
                    libc::CPU_SET(c, &mut set);
                }
            }
        }
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            return Err(format!(
                "sched_setaffinity: {}",
                std::io::Error::last_os_error()
            ));
        }
        let param = libc::sched_param {
            sched_priority: prio,
        };
        let policy = if prio > 0 {
            libc::SCHED_FIFO
        } else {
            libc::SCHED_OTHER
        };
        if libc::sched_setscheduler(0, policy, &param) != 0 {
            return Err(format!(
                "sched_setscheduler: {}",
                std::io::Error::last_os_error()
            ));
        }
    }
    Ok(())
}

impl Starve {
    pub fn start() -> Result<Starve, String> {
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
        use std::sync::Arc;
        // SAFETY: sched_getcpu and sysconf have no preconditions.
        let (me, ncpu) = unsafe {
            (
                libc::sched_getcpu(),
                libc::sysconf(libc::_SC_NPROCESSORS_ONLN),
            )
        };
        let me = usize::try_from(me).map_err(|_| "sched_getcpu failed".to_string())?;
        let ncpu = usize::try_from(ncpu).map_err(|_| "sysconf failed".to_string())?;
        let stop = Arc::new(AtomicBool::new(false));
        let started = Arc::new(AtomicUsize::new(0));
        let mut spinners = Vec::new();
        for cpu in (0..ncpu).filter(|&c| c != me) {
            let (stop, started) = (stop.clone(), started.clone());
            spinners.push(std::thread::spawn(move || {
                let ok = pin_fifo(Some(cpu), 10).is_ok();
                started.fetch_add(1, SeqCst);
                while ok && !stop.load(SeqCst) {
                    std::hint::spin_loop();
                }
            }));
        }
        while started.load(SeqCst) < spinners.len() {
            std::thread::yield_now();
        }
        pin_fifo(Some(me), 10)?;
        Ok(Starve { stop, spinners })
    }
}

impl Drop for Starve {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        for t in self.spinners.drain(..) {
            let _ = t.join();
        }
        let _ = pin_fifo(None, 0);
    }
}
