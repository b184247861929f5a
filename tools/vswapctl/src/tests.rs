// SPDX-License-Identifier: GPL-2.0

//! Host tests of vswapctl: argument parsing, and status read from a made-up system.

use crate::status::{self, gather, json, render};
use crate::{Cli, Command};
use clap::Parser;
use std::path::{Path, PathBuf};

use crate::stat;

#[test]
fn reads_the_fields_the_module_writes() {
    // vswapctl finds each field by name in the module's table (`rust/stat.rs`): a line the
    // module writes parses back to the same numbers.
    let s = stat::Snapshot {
        nr_slots: 1 << 20,
        slots_zswap: 3,
        slots_phys: 4,
        slots_lost: 5,
        metadata_bytes: 6,
        attached: 1,
        phys_in_use: 4,
        phys_alloc_failed: 7,
        phys_writebacks: 8,
        phys_fallbacks: 9,
        phys_swapoff_lost: 10,
        phys_swapoff_relocated: 11,
        ..Default::default()
    };
    let mut mm = String::new();
    stat::File::Mm.write(&s, &mut mm).expect("format");
    let mut ph = String::new();
    stat::File::Phys.write(&s, &mut ph).expect("format");
    let m = status::parse_mm_stat(&mm).expect("mm_stat");
    assert_eq!(
        (
            m.nr_slots,
            m.slots_zswap,
            m.slots_phys,
            m.slots_lost,
            m.metadata_bytes,
            m.attached
        ),
        (1 << 20, 3, 4, 5, 6, true)
    );
    let p = status::parse_phys_stat(&ph).expect("phys_stat");
    assert_eq!(
        (
            p.in_use,
            p.alloc_failed,
            p.writebacks,
            p.fallbacks,
            p.swapoff_lost,
            p.swapoff_relocated
        ),
        (4, 7, 8, 9, 10, 11)
    );
}

#[test]
fn stat_lines_newer_fields_and_garbage() {
    assert!(status::parse_mm_stat("1 2 3 4 5 1 99 100\n").is_ok());
    assert!(status::parse_mm_stat("1 2 3\n").is_err());
    assert!(status::parse_mm_stat("1 2 x 4 5 1\n").is_err());
    assert!(status::parse_phys_stat("0 0 0 0 0 0 0 0 0 0\n").is_err());
}

/// A made-up root directory, removed on drop.
struct Root(PathBuf);

impl Root {
    fn new(name: &str) -> Root {
        let p = std::env::temp_dir().join(format!("vswapctl-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("temp dir");
        Root(p)
    }
    fn put(&self, path: &str, text: &str) -> &Self {
        let p = self.0.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
        self
    }
}

impl Drop for Root {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const SWAPS: &str = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority
/dev/vswap0                             partition\t4194300\t\t131072\t\t100
/dev/vda                                partition\t1048572\t\t32768\t\t-2
/swap\\040file                           file\t\t524284\t\t0\t\t-3
";

fn loaded(name: &str) -> Root {
    let r = Root::new(name);
    r.put("proc/swaps", SWAPS)
        .put(
            "sys/block/vswap0/vswap/mm_stat",
            "1048576 24576 8192 3 102400 1\n",
        )
        .put("sys/block/vswap0/vswap/io_stat", "1 2 3 4 5 6 7\n")
        .put(
            "sys/block/vswap0/vswap/phys_stat",
            "8192 9000 2 0 0 5000 4000 0 808 0 3\n",
        )
        .put("sys/module/zswap/parameters/enabled", "Y\n")
        .put("sys/module/zswap/parameters/compressor", "lz4\n")
        .put(
            "proc/meminfo",
            "MemTotal:        1000000 kB\nZswap:              4915 kB\nZswapped:          98304 kB\n",
        );
    r
}

#[test]
fn status_of_a_running_device() {
    let r = loaded("running");
    let st = gather(&r.0, 4096).expect("gather");
    assert!(st.loaded);
    let v = st.vswap.as_ref().expect("vswap0 swapped on");
    assert_eq!((v.used, v.priority), (131072 * 1024, 100));
    assert_eq!(st.backing.len(), 2);
    assert_eq!(st.backing[1].device, "/swap file");
    let out = render(&st);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("DEVICE"), "{out}");
    // 4G device, 128M used, 96M in zswap, 32M on disk, 12K lost, priority 100.
    let cols: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(
        &cols[..7],
        ["/dev/vswap0", "4G", "128M", "96M", "32M", "12K", "100"],
        "{out}"
    );
    assert!(
        out.contains("zswap: enabled, lz4; holds 96M in 4.8M (ratio 20.0"),
        "{out}"
    );
    assert!(out.contains("/dev/vda"), "{out}");
    assert!(out.contains("5000 zswap writebacks"), "{out}");

    let j = json(&st);
    for want in [
        "\"size_bytes\": 4294967296",
        "\"zswap_bytes\": 100663296",
        "\"disk_bytes\": 33554432",
        "\"lost_bytes\": 12288",
        "\"swapped_on\": true",
        "\"priority\": 100",
        "\"device\": \"/swap file\"",
        "\"compressed_bytes\": 5032960",
    ] {
        assert!(j.contains(want), "{want} not in {j}");
    }
    assert_eq!(j.matches('{').count(), j.matches('}').count());
    assert_eq!(j.matches('[').count(), j.matches(']').count());
    assert_eq!(j.matches('"').count() % 2, 0);
}

#[test]
fn status_when_not_loaded_or_not_swapped_on() {
    let r = Root::new("absent");
    r.put("proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n");
    let st = gather(&r.0, 4096).expect("gather");
    assert!(!st.loaded && !st.zswap.present);
    let out = render(&st);
    assert!(out.contains("not loaded"), "{out}");
    assert!(out.contains("zswap: not in this kernel"), "{out}");
    assert!(json(&st).contains("\"loaded\": false"));

    let r = loaded("off");
    r.put("proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n")
        .put("sys/block/vswap0/vswap/mm_stat", "1048576 0 0 0 32768 0\n")
        .put("sys/module/zswap/parameters/enabled", "N\n");
    let st = gather(&r.0, 4096).expect("gather");
    let out = render(&st);
    assert!(out.contains("loaded, not swapped on"), "{out}");
    assert!(out.contains("physical backing: none"), "{out}");
    assert!(out.contains("zswap: disabled"), "{out}");
}

#[test]
fn unreadable_statistics_are_an_error() {
    let r = loaded("bad");
    r.put("sys/block/vswap0/vswap/mm_stat", "garbage\n");
    let e = gather(&r.0, 4096).expect_err("garbage");
    assert!(e.contains("mm_stat"), "{e}");
    let r = Root::new("noswaps");
    let e = gather(&r.0, 4096).expect_err("no /proc/swaps");
    assert!(e.starts_with("/proc/swaps"), "{e}");
    assert!(status::parse_proc_swaps("h\n/dev/x partition 1\n").is_err());
    assert!(gather(Path::new("/nonexistent-root"), 4096).is_err());
}

#[test]
fn command_line() {
    let c = Cli::try_parse_from(["vswapctl"]).expect("no arguments");
    assert!(c.command.is_none());
    let c = Cli::try_parse_from(["vswapctl", "status", "--json"]).expect("status --json");
    assert!(matches!(c.command, Some(Command::Status { json: true })));
    let c = Cli::try_parse_from([
        "vswapctl",
        "setup",
        "--size",
        "8G",
        "--priority",
        "50",
        "--zswap",
    ])
    .expect("setup");
    match c.command {
        Some(Command::Setup {
            size,
            priority,
            zswap,
            module,
        }) => {
            assert_eq!(
                (size, priority, zswap, module),
                (Some(8 << 30), 50, true, None)
            );
        }
        _ => panic!("not setup"),
    }
    let c = Cli::try_parse_from(["vswapctl", "setup"]).expect("setup defaults");
    assert!(matches!(
        c.command,
        Some(Command::Setup {
            size: None,
            priority: 100,
            zswap: false,
            ..
        })
    ));
    assert!(matches!(
        Cli::try_parse_from(["vswapctl", "off", "--keep-module"])
            .expect("off")
            .command,
        Some(Command::Off { keep_module: true })
    ));
    for bad in [
        &["vswapctl", "setup", "--size", "lots"][..],
        &["vswapctl", "setup", "--priority", "x"],
        &["vswapctl", "frobnicate"],
        &["vswapctl", "status", "--size", "1G"],
    ] {
        assert!(Cli::try_parse_from(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn man_pages_and_completions() {
    // One page per command the main page lists, and completions that know the commands.
    let dir = std::env::temp_dir().join(format!("vswapctl-man-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    crate::man(&dir).expect("man pages");
    let main = std::fs::read_to_string(dir.join("vswapctl.8")).expect("vswapctl.8");
    assert!(
        main.starts_with(".ie") && main.contains(".TH vswapctl 8"),
        "{main}"
    );
    assert!(
        main.contains("/etc/default/vswap"),
        "FILES names the unit's settings"
    );
    for sub in ["status", "setup", "off", "completions", "man"] {
        let page = dir.join(format!("vswapctl-{sub}.8"));
        assert!(page.exists(), "no {}", page.display());
        assert!(
            main.contains(&format!("vswapctl\\-{sub}(8)")),
            "the main page lists {sub}"
        );
    }
    // No help command (--help is the option), so no page that does not exist is listed.
    assert!(!dir.join("vswapctl-help.8").exists());
    assert!(!main.contains("vswapctl\\-help(8)"));
    std::fs::remove_dir_all(&dir).expect("cleanup");

    let mut out = Vec::new();
    clap_complete::generate(
        clap_complete::Shell::Bash,
        &mut <Cli as clap::CommandFactory>::command(),
        "vswapctl",
        &mut out,
    );
    let bash = String::from_utf8(out).expect("utf-8");
    for word in ["setup", "status", "off", "--priority", "--json"] {
        assert!(bash.contains(word), "bash completion lacks {word}");
    }
    assert!(Cli::try_parse_from(["vswapctl", "completions", "zsh"]).is_ok());
    assert!(Cli::try_parse_from(["vswapctl", "completions", "tcsh"]).is_err());
    assert!(matches!(
        Cli::try_parse_from(["vswapctl", "man", "/tmp"]).map(|c| c.command),
        Ok(Some(Command::Man { .. }))
    ));
}

#[test]
fn json_without_a_command_is_the_status() {
    let parsed = |args: &[&str]| Cli::try_parse_from(args).map(|c| (c.json, c.command));
    assert!(matches!(parsed(&["vswapctl", "--json"]), Ok((true, None))));
    assert!(matches!(
        parsed(&["vswapctl", "--json", "status"]),
        Ok((true, Some(Command::Status { json: false })))
    ));
    // --json with another command is refused when it runs, not ignored.
    let off = Cli::try_parse_from(["vswapctl", "--json", "off"]).expect("parses");
    assert_eq!(
        crate::run(off).err().as_deref(),
        Some("--json goes with status only")
    );
}
