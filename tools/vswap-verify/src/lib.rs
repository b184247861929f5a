// SPDX-License-Identifier: GPL-2.0

//! What vswap-verify, vswap-bench and vswap-soak share: the page patterns, the system calls and
//! memcg files around a mapping, and the way each tool parses numbers, reports and exits.
//!
//! Every tool exits 0 when every page read back as written, 1 on a mismatch, 2 on an error (a
//! failed system call, a test that could not swap) and 3 on bad arguments.

pub mod pattern;
pub mod sys;

use std::process::ExitCode;

/// The page size the tools assume (x86-64, the guest's architecture).
pub const PAGE: usize = 4096;

/// Parses a command-line number, naming the text that is not one.
pub fn num<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    s.parse()
        .map_err(|_| format!("'{s}' is not a valid number"))
}

/// The `main()` of a tool: parses its arguments (an empty error asks only for the usage), runs
/// it, and maps the outcome to the shared exit codes. `run` returns whether every page read
/// back as written; `label` names the run in an error.
pub fn tool_main<A>(
    tool: &str,
    usage: &str,
    parse: impl FnOnce() -> Result<A, String>,
    label: impl Fn(&A) -> &str,
    run: impl FnOnce(&A) -> Result<bool, String>,
) -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("{tool}: {e}");
            }
            eprintln!("{usage}");
            return ExitCode::from(3);
        }
    };
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("{tool}: {}: {e}", label(&args));
            ExitCode::from(2)
        }
    }
}
