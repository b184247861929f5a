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

use clap::{CommandFactory, Parser, Subcommand};
use clap_complete::Shell;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "vswapctl",
    version,
    about = "Set up, inspect and tear down vswap (/dev/vswap0)",
    disable_help_subcommand = true
)]
struct Cli {
    /// With no command: the status, machine-readable (as `status --json`).
    #[arg(long)]
    json: bool,
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
    /// Print the completion script of a shell (the Debian package installs them).
    Completions {
        /// The shell.
        shell: Shell,
    },
    /// Write the manual pages (roff, section 8: vswapctl.8 and one per command) to DIR (the
    /// Debian package installs them).
    Man {
        /// The directory.
        dir: PathBuf,
    },
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(p).unwrap_or(4096)
}

fn run(cli: Cli) -> Result<(), String> {
    let pg = page_size();
    let command = match cli.command {
        None => Command::Status { json: cli.json },
        Some(Command::Status { json }) => Command::Status {
            json: json || cli.json,
        },
        Some(_) if cli.json => return Err("--json goes with status only".into()),
        Some(c) => c,
    };
    match command {
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
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "vswapctl",
                &mut std::io::stdout(),
            );
            Ok(())
        }
        Command::Man { dir } => {
            man(&dir).map_err(|e| format!("man pages in {}: {e}", dir.display()))
        }
    }
}

/// The manual pages: what clap knows of the commands, and the files and units around them.
pub(crate) fn man(dir: &Path) -> std::io::Result<()> {
    let cmd = Cli::command().long_about(
        "vswapctl sets up, shows and tears down vswap, a virtual swap device (/dev/vswap0) \
         whose pages live in zswap and, only when zswap cannot keep them, on the physical \
         swap devices that are swapped on (their priority below vswap's). With no command it \
         shows the status.",
    );
    for sub in cmd.get_subcommands().filter(|c| !c.is_hide_set()) {
        let name = format!("vswapctl-{}", sub.get_name());
        let mut f = std::fs::File::create(dir.join(format!("{name}.8")))?;
        clap_mangen::Man::new(sub.clone().name(name).version(env!("CARGO_PKG_VERSION")))
            .section("8")
            .render(&mut f)?;
    }
    let out = &mut std::fs::File::create(dir.join("vswapctl.8"))?;
    let page = clap_mangen::Man::new(cmd).section("8");
    page.render_title(out)?;
    page.render_name_section(out)?;
    page.render_synopsis_section(out)?;
    page.render_description_section(out)?;
    page.render_options_section(out)?;
    page.render_subcommands_section(out)?;
    writeln!(
        out,
        ".SH FILES\n\
         .TP\n/etc/default/vswap\nThe arguments of \\fBvswapctl setup\\fR for vswap.service.\n\
         .TP\n/sys/block/vswap0/vswap/\nThe statistics vswapctl shows.\n\
         .SH SEE ALSO\n\\fBswapon\\fR(8), \\fBzramctl\\fR(8), \\fBsystemd.swap\\fR(5); \
         vswap.service, which runs \\fBvswapctl setup\\fR before swap.target."
    )?;
    page.render_version_section(out)?;
    Ok(())
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
