// SPDX-License-Identifier: GPL-2.0

//! `vswapctl setup` and `vswapctl off`: load the module and swap on `/dev/vswap0`, and undo it.
//! System calls directly (finit_module, swapon, swapoff, delete_module), so that each refusal
//! can be explained.

use crate::status::{self, VSWAP_DEV};
use std::ffi::CString;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Pages per swap cluster: the module takes sizes in whole clusters.
const CLUSTER_PAGES: u64 = 512;
/// The largest device the module accepts, in pages.
const MAX_PAGES: u64 = 1 << 32;

/// `swapon(2)` flags (include/linux/swap.h): a priority is given, in the low 15 bits.
const SWAP_FLAG_PREFER: i32 = 0x8000;
const SWAP_FLAG_PRIO_MASK: i32 = 0x7fff;

/// What `setup` was asked for.
pub struct Setup {
    pub size: Option<u64>,
    pub priority: i32,
    pub zswap: bool,
    pub module: Option<PathBuf>,
}

/// The module parameter for a device of `bytes`: its size in pages, checked as the module checks
/// it, so that the error is ours and clear rather than EINVAL from the kernel.
pub fn nr_pages(bytes: u64, page_size: u64) -> Result<u64, String> {
    let unit = CLUSTER_PAGES * page_size;
    if bytes == 0 || !bytes.is_multiple_of(unit) {
        return Err(format!(
            "size {bytes} bytes: must be a positive multiple of {} KiB (one swap cluster)",
            unit >> 10
        ));
    }
    let pages = bytes / page_size;
    if pages > MAX_PAGES {
        return Err(format!(
            "size {bytes} bytes: at most {} pages ({} TiB)",
            MAX_PAGES,
            (MAX_PAGES * page_size) >> 40
        ));
    }
    Ok(pages)
}

/// The priority `swapon(2)` flags for `prio` (as `swapon -p`).
pub fn swap_flags(prio: i32) -> Result<i32, String> {
    if !(0..=SWAP_FLAG_PRIO_MASK).contains(&prio) {
        return Err(format!(
            "priority {prio}: must be in 0..={} (higher than the physical devices that back vswap)",
            SWAP_FLAG_PRIO_MASK
        ));
    }
    Ok(SWAP_FLAG_PREFER | (prio & SWAP_FLAG_PRIO_MASK))
}

fn need_root(what: &str) -> Result<(), String> {
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Err(format!("{what} needs root"));
    }
    Ok(())
}

fn cstr(s: &str) -> Result<CString, String> {
    CString::new(s).map_err(|_| format!("'{s}' contains a NUL byte"))
}

/// Whether the running kernel carries the vswap series, when /proc/kallsyms can tell.
fn kernel_patched() -> Option<bool> {
    let syms = std::fs::read_to_string("/proc/kallsyms").ok()?;
    Some(syms.lines().any(|l| l.ends_with(" vswap_backend_register")))
}

/// Loads the module with `params`: from `path`, or by name through modprobe.
fn load_module(path: Option<&Path>, params: &str) -> Result<(), String> {
    let Some(path) = path else {
        let out = std::process::Command::new("modprobe")
            .arg("vswap")
            .args(params.split(' '))
            .output()
            .map_err(|e| format!("modprobe: {e}"))?;
        if out.status.success() {
            return Ok(());
        }
        let msg = String::from_utf8_lossy(&out.stderr);
        if msg.contains("not found") {
            return Err("module vswap not found for this kernel: install its package (vswap-modules-<release>) or the DKMS one (see \"Installing on Debian\" in the admin guide), or pass --module PATH".into());
        }
        return Err(format!("modprobe vswap {params}: {}", msg.trim()));
    };
    let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let p = cstr(params)?;
    // SAFETY: `f` is an open file and `p` a NUL-terminated string, both live for the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_finit_module,
            std::os::fd::AsRawFd::as_raw_fd(&f),
            p.as_ptr(),
            0,
        )
    };
    if r == 0 {
        return Ok(());
    }
    let e = io::Error::last_os_error();
    Err(match e.raw_os_error() {
        Some(libc::ENOEXEC) => format!(
            "{}: not a module for this kernel ({e})",
            path.display()
        ),
        Some(libc::ENOENT) => format!(
            "{}: the kernel lacks symbols it needs ({e}): is this the patched kernel? dmesg names them",
            path.display()
        ),
        Some(libc::EINVAL) => format!("the module refused '{params}' ({e}); dmesg says why"),
        Some(libc::EPERM) => format!("loading modules is not allowed here ({e})"),
        _ => format!("loading {}: {e}", path.display()),
    })
}

/// Waits up to 10 s for udev to create the device node; creates it if udev does not.
fn wait_for_node() -> Result<(), String> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if Path::new(VSWAP_DEV).exists() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let dev = std::fs::read_to_string("/sys/block/vswap0/dev")
        .map_err(|e| format!("/sys/block/vswap0/dev: {e}"))?;
    let (maj, min) = dev
        .trim()
        .split_once(':')
        .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)))
        .ok_or_else(|| format!("/sys/block/vswap0/dev: '{}'", dev.trim()))?;
    let p = cstr(VSWAP_DEV)?;
    // SAFETY: `p` is NUL-terminated; mknod reads it only.
    if unsafe { libc::mknod(p.as_ptr(), libc::S_IFBLK | 0o660, libc::makedev(maj, min)) } != 0 {
        return Err(format!(
            "no {VSWAP_DEV} after 10 s and mknod failed: {}",
            io::Error::last_os_error()
        ));
    }
    Ok(())
}

pub fn setup(req: &Setup, page_size: u64) -> Result<(), String> {
    let flags = swap_flags(req.priority)?;
    let pages = req.size.map(|b| nr_pages(b, page_size)).transpose()?;
    need_root("setup")?;
    let st = status::gather(Path::new("/"), page_size)?;
    if req.zswap && !st.zswap.present {
        return Err("--zswap: this kernel has no zswap".into());
    }
    if st.loaded {
        if let Some(p) = pages {
            if p != st.mm.nr_slots {
                return Err(format!(
                    "busy: vswap is loaded with {} pages, not {p}: 'vswapctl off' first",
                    st.mm.nr_slots
                ));
            }
        }
    } else {
        if kernel_patched() == Some(false) {
            return Err("this kernel has no vswap support (no vswap_backend_register in /proc/kallsyms): boot the patched kernel".into());
        }
        let params = pages.map_or(String::new(), |p| format!("nr_pages={p}"));
        load_module(req.module.as_deref(), &params)?;
    }
    wait_for_node()?;
    if req.zswap {
        std::fs::write("/sys/module/zswap/parameters/enabled", "Y")
            .map_err(|e| format!("enabling zswap: {e}"))?;
    } else if st.zswap.present && !st.zswap.enabled {
        eprintln!("vswapctl: warning: zswap is disabled: pages go to the physical backing or stay in memory (--zswap enables it)");
    }
    if st.vswap.is_some() {
        return Ok(());
    }
    let p = cstr(VSWAP_DEV)?;
    // SAFETY: `p` is NUL-terminated; swapon reads it only.
    if unsafe { libc::swapon(p.as_ptr(), flags) } != 0 {
        let e = io::Error::last_os_error();
        return Err(match e.raw_os_error() {
            Some(libc::EBUSY) => format!("swapon {VSWAP_DEV}: already in use ({e})"),
            Some(libc::EPERM) => {
                format!("swapon {VSWAP_DEV}: {e} (too many swap areas, or not allowed)")
            }
            _ => format!("swapon {VSWAP_DEV}: {e}"),
        });
    }
    Ok(())
}

pub fn off(keep_module: bool, page_size: u64) -> Result<(), String> {
    need_root("off")?;
    let st = status::gather(Path::new("/"), page_size)?;
    if st.vswap.is_some() {
        let p = cstr(VSWAP_DEV)?;
        // SAFETY: `p` is NUL-terminated; swapoff reads it only.
        if unsafe { libc::swapoff(p.as_ptr()) } != 0 {
            let e = io::Error::last_os_error();
            return Err(match e.raw_os_error() {
                Some(libc::ENOMEM) => {
                    format!("swapoff {VSWAP_DEV}: not enough memory to bring its pages back ({e})")
                }
                Some(libc::EINTR) => format!("swapoff {VSWAP_DEV}: interrupted ({e}); still on"),
                _ => format!("swapoff {VSWAP_DEV}: {e}"),
            });
        }
    }
    if keep_module || !st.loaded {
        return Ok(());
    }
    let name = cstr("vswap")?;
    // SAFETY: `name` is NUL-terminated; delete_module reads it only.
    let r = unsafe { libc::syscall(libc::SYS_delete_module, name.as_ptr(), libc::O_NONBLOCK) };
    if r != 0 {
        let e = io::Error::last_os_error();
        return Err(match e.raw_os_error() {
            Some(libc::EWOULDBLOCK) | Some(libc::EBUSY) => format!(
                "swapped off, but the module is in use ({e}): something holds {VSWAP_DEV} open"
            ),
            Some(libc::ENOENT) => return Ok(()),
            _ => format!("unloading vswap: {e}"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_to_pages() {
        assert_eq!(nr_pages(8 << 30, 4096), Ok(2 << 20));
        assert_eq!(nr_pages(2 << 20, 4096), Ok(512));
        assert_eq!(nr_pages(16 << 40, 4096), Ok(1 << 32));
        for bad in [0, 4096, (2 << 20) + 4096, 1 << 20, (16 << 40) + (2 << 20)] {
            assert!(nr_pages(bad, 4096).is_err(), "{bad}");
        }
    }

    #[test]
    fn priorities() {
        assert_eq!(swap_flags(100), Ok(SWAP_FLAG_PREFER | 100));
        assert_eq!(swap_flags(0), Ok(SWAP_FLAG_PREFER));
        assert!(swap_flags(32767).is_ok());
        assert!(swap_flags(32768).is_err());
        assert!(swap_flags(-1).is_err());
    }
}
