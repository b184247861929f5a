// SPDX-License-Identifier: GPL-2.0

//! The system calls the verifier needs: an anonymous mapping, MADV_PAGEOUT, swap usage.

use std::io;

/// An anonymous private mapping, unmapped on drop.
pub struct Mapping {
    ptr: *mut u8,
    len: usize,
}

impl Mapping {
    pub fn new(len: usize) -> Result<Mapping, String> {
        // SAFETY: An anonymous mapping at an address of the kernel's choosing aliases nothing.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(format!(
                "mmap of {len} bytes: {}",
                io::Error::last_os_error()
            ));
        }
        // Base pages: large folios are split on their way to vswap anyway, and the counts below
        // are in base pages. Failure only means THP is not configured.
        // SAFETY: The range is the mapping just created.
        unsafe { libc::madvise(ptr, len, libc::MADV_NOHUGEPAGE) };
        Ok(Mapping {
            ptr: ptr.cast(),
            len,
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

    /// Pages of this process now held in swap (`VmSwap`, which counts swap entries in its page
    /// tables: the mapping is nearly all of this process's anonymous memory).
    pub fn swapped_pages(&self) -> Result<usize, String> {
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

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` describe the mapping created in `new`, unmapped only here.
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
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
