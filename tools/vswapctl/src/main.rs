// SPDX-License-Identifier: GPL-2.0

//! vswapctl: set up, inspect and tear down vswap (`/dev/vswap0`), like `zramctl` for zram.
//!
//! `vswapctl` / `vswapctl status [--json]` shows the device, what its slots hold (in zswap, on
//! disk, lost), zswap's state and the physical devices that back it; `setup` loads the module
//! and swaps on; `off` undoes it. Statistics come from `/sys/block/vswap0/vswap/`.

mod setup;
/// The module's counter table (`rust/stat.rs`): which field of which sysfs file is which.
#[allow(dead_code)]
#[path = "../../../rust/stat.rs"]
mod stat;
mod status;
mod units;

use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "vswapctl",
    version,
    about = "Set up, inspect and tear down vswap (/dev/vswap0)"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Show /dev/vswap0, what its slots hold, zswap and the physical backing (the default).
    Status {
        /// Machine-readable output, sizes in bytes.
        #[arg(long)]
        json: bool,
    },
    /// Load the module if needed and swap on /dev/vswap0.
    Setup {
        /// Size of /dev/vswap0 (virtual: idle slots cost nothing), e.g. 8G; the module's default
        /// (4G) if not given. A multiple of 2M.
        #[arg(long, value_parser = units::parse_size)]
        size: Option<u64>,
        /// Swap priority, above the physical devices that back vswap (as swapon -p).
        #[arg(long, default_value_t = 100)]
        priority: i32,
        /// Enable zswap too.
        #[arg(long)]
        zswap: bool,
        /// Load this vswap.ko instead of the installed module (modprobe vswap).
        #[arg(long, value_name = "PATH")]
        module: Option<PathBuf>,
    },
    /// Swap off /dev/vswap0 and unload the module.
    Off {
        /// Swap off only; leave the module loaded.
        #[arg(long)]
        keep_module: bool,
    },
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(p).unwrap_or(4096)
}

fn run(cli: Cli) -> Result<(), String> {
    let pg = page_size();
    match cli.command.unwrap_or(Command::Status { json: false }) {
        Command::Status { json } => {
            let st = status::gather(Path::new("/"), pg)?;
            if json {
                print!("{}", status::json(&st));
            } else {
                print!("{}", status::render(&st));
            }
            Ok(())
        }
        Command::Setup {
            size,
            priority,
            zswap,
            module,
        } => setup::setup(
            &setup::Setup {
                size,
                priority,
                zswap,
                module,
            },
            pg,
        ),
        Command::Off { keep_module } => setup::off(keep_module, pg),
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vswapctl: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests;
