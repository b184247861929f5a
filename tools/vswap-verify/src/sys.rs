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

/// Writes `bytes` to this process's memcg `memory.reclaim`.
pub fn memcg_reclaim(bytes: usize) -> Result<(), String> {
    let cg = std::fs::read_to_string("/proc/self/cgroup").map_err(|e| e.to_string())?;
    let path = cg
        .lines()
        .find_map(|l| l.strip_prefix("0::"))
        .ok_or("not on cgroup v2")?;
    let file = format!("/sys/fs/cgroup{}/memory.reclaim", path.trim());
    std::fs::write(&file, bytes.to_string()).map_err(|e| format!("{file}: {e}"))
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
