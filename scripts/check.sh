#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The checks a reviewer runs: rustfmt (the kernel's .rustfmt.toml), clippy with
# warnings as errors (CLIPPY=1 W=e), checkpatch on patches/ and on the Rust
# sources, kernel-doc -Wall on what the series touches, and the host crates'
# own fmt and clippy, and that the module's files import one way (no cycle).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$VSWAP_TOP"
fail=0

step "rustfmt --check (kernel .rustfmt.toml)"
rustfmt --check --edition 2021 --config-path .rustfmt.toml rust/*.rs || fail=1
cargo fmt --check --manifest-path rust/host/Cargo.toml || fail=1
cargo fmt --check --manifest-path tools/vswap-verify/Cargo.toml || fail=1
cargo fmt --check --manifest-path tools/vswapctl/Cargo.toml || fail=1

step "clippy on the module (CLIPPY=1 W=e), as users build it and as the tests do"
for t in 0 1; do
	touch rust/vswap.rs
	if ! make -C "$KBUILD" M="$VSWAP_TOP" LLVM="$LLVM_SUFFIX" CLIPPY=1 W=e VSWAP_TEST=$t modules \
		>"$VSWAP_CACHE/logs/clippy.log" 2>&1; then
		grep -E -A8 '^(warning|error)' "$VSWAP_CACHE/logs/clippy.log" | head -n 60
		warn "clippy failed (VSWAP_TEST=$t); full log: $VSWAP_CACHE/logs/clippy.log"
		fail=1
	fi
done
# The next plain build must not reuse objects built with W=e flags.
touch rust/vswap.rs

step "the module's import graph has no cycle (scripts/rust-imports.py)"
python3 scripts/rust-imports.py rust || fail=1

step "clippy on the host crates"
cargo clippy --quiet --locked --manifest-path rust/host/Cargo.toml --all-targets -- -D warnings || fail=1
cargo clippy --quiet --locked --manifest-path tools/vswap-verify/Cargo.toml -- -D warnings || fail=1
cargo clippy --quiet --locked --manifest-path tools/vswapctl/Cargo.toml --all-targets -- -D warnings || fail=1

step "checkpatch"
# From outside the repository: inside a git work tree checkpatch reads the
# patch files as files of that tree.
cp="$KSRC/scripts/checkpatch.pl --quiet --no-tree --show-types"
for p in $(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' patches/series); do
	(cd / && $cp --strict "$VSWAP_TOP/patches/$p") || fail=1
done
(cd / && $cp --ignore FILE_PATH_CHANGES -f "$VSWAP_TOP"/rust/*.rs "$VSWAP_TOP"/c/*.[ch]) || fail=1

step "the cover letters' diffstats are the series' (scripts/series-diffstat.sh)"
for s in block mm; do
	scripts/series-diffstat.sh $s --check || fail=1
done

step "kernel-doc -Wall on files the series touches"
# 7.2 has a few kernel-doc warnings of its own; only those about what the
# series adds (vswap_*, zswap_tree_*) count.
for f in $(sed -n 's/^+++ b\///p' patches/*.patch | sort -u | grep -E '\.[ch]$'); do
	[ -f "$KSRC/$f" ] || continue
	if "$KSRC/scripts/kernel-doc" -none -Wall "$KSRC/$f" 2>&1 | grep -E "'(vswap|zswap_tree)[a-z_]*'|mm/vswap_backend.c|vswap_backend.h"; then
		fail=1
	fi
done

step "bench: the load's throughput around a swapoff (load_rates of qemu/guest/bench.sh)"
# vswap-soak --progress lines "NS PAGES" and a swapoff window "START END":
# 225 pages by 3.5 s (interpolated) over the 2.5 s since the first line, 50
# in the window, 125 in the 2 s from its start (62.5/s); a window whose 2 s
# pass the last line has no third figure; a window past the last line, or
# no progress, gives -1 -1 -1.
tmp=$(mktemp -d)
printf '1000000000 0\n2000000000 100\n3000000000 200\n4000000000 250\n5000000000 300\n6000000000 400\n' >"$tmp/progress"
echo "3500000000 4500000000" >"$tmp/window"
echo "4500000000 5000000000" >"$tmp/short"
echo "3500000000 6500000000" >"$tmp/late"
got=$(bash -c 'eval "$(sed -n "/^load_rates() {/,/^}/p" "$1")"
	load_rates "$2/progress" "$2/window"; load_rates "$2/progress" "$2/short"
	load_rates "$2/progress" "$2/late"; load_rates "$2/none" "$2/window"' _ "$VSWAP_TOP/qemu/guest/bench.sh" "$tmp" | tr '\n' ' ')
rm -rf "$tmp"
want="90.0 50.0 62.5 78.6 50.0 -1 -1 -1 -1 -1 -1 -1 "
[ "$got" = "$want" ] || { warn "load_rates: got '$got', want '$want'"; fail=1; }
# bench-report pairs each swapoff-load run with its control (same mode and
# repetition): 45 pages/s during the swapoff against 50 in the control's
# window is 90% (30 against 40 in 2 s, 75%); a run without a control has
# no such figure.
got=$(cd "$VSWAP_TOP/scripts" && python3 -c '
import importlib.util, json, sys, tempfile
spec = importlib.util.spec_from_file_location("br", "bench-report.py")
br = importlib.util.module_from_spec(spec); spec.loader.exec_module(br)
runs = [{"workload": "swapoff-load", "mode": "vswap", "rep": 1, "load_rate_before": 100, "load_rate_during": 45,
         "load_rate_during_2s": 30},
        {"workload": "swapoff-load-control", "mode": "vswap", "rep": 1, "load_rate_before": 100, "load_rate_during": 50,
         "load_rate_during_2s": 40},
        {"workload": "swapoff-load", "mode": "stock", "rep": 1, "load_rate_before": 100, "load_rate_during": 40}]
with tempfile.NamedTemporaryFile("w", suffix=".jsonl") as f:
    f.write("".join(json.dumps({**r, "result": {"swapoff_ms": 1}}) + "\n" for r in runs)); f.flush()
    rs = br.load(f.name)
print(" ".join("%.1f %.1f" % (br._load_vs_control({**r, **r["result"]}), br._load_vs_control_2s({**r, **r["result"]}))
               for r in rs if r["workload"] == "swapoff-load"))
' 2>&1)
[ "$got" = "90.0 75.0 nan nan" ] || { warn "bench-report, load against its control: got '$got', want '90.0 75.0 nan nan'"; fail=1; }

step "DKMS: contrib/dkms/vswap-dkms-check takes the kernel's rustc and refuses others, saying why"
# A fake kernel tree: accepted with the rustc it names (the positive
# control), refused with another rustc, without the Rust crates in its
# headers, without the series.
tmp=$(mktemp -d)
mkdir -p "$tmp/k/rust" "$tmp/k/include/config" "$tmp/bin"
echo 7.2.13-fake >"$tmp/k/include/config/kernel.release"
: >"$tmp/k/rust/libkernel.rmeta"
printf 'CONFIG_RUST=y\nCONFIG_VSWAP_BACKEND=y\nCONFIG_RUSTC_VERSION_TEXT="rustc 9.9.9 (fake)"\n' >"$tmp/k/.config"
printf '#!/bin/sh\necho "rustc 9.9.9 (fake)"\n' >"$tmp/bin/rustc"
chmod +x "$tmp/bin/rustc"
dkms_check() { PATH="$tmp/bin:$PATH" sh contrib/dkms/vswap-dkms-check "$tmp/k" 2>&1; }
dkms_refused() { # WHAT EXPECTED-TEXT
	local out
	if out=$(dkms_check); then warn "vswap-dkms-check accepted $1"; fail=1; return; fi
	grep -qF "$2" <<<"$out" || { warn "vswap-dkms-check on $1 said '$out', want '$2'"; fail=1; }
}
dkms_check >/dev/null || { warn "vswap-dkms-check refused the kernel's own rustc: $(dkms_check)"; fail=1; }
printf '#!/bin/sh\necho "rustc 1.0.0 (other)"\n' >"$tmp/bin/rustc"
dkms_refused "another rustc" "rustc is 'rustc 1.0.0 (other)', the kernel was built with 'rustc 9.9.9 (fake)'"
printf '#!/bin/sh\necho "rustc 9.9.9 (fake)"\n' >"$tmp/bin/rustc"
rm "$tmp/k/rust/libkernel.rmeta"
dkms_refused "headers without the Rust crates" "its headers lack the kernel's Rust crates"
: >"$tmp/k/rust/libkernel.rmeta"
sed -i '/VSWAP_BACKEND/d' "$tmp/k/.config"
dkms_refused "a kernel without the series" "not a kernel with the vswap series"
rm "$tmp/k/.config"
dkms_refused "headers without .config" "no $tmp/k/.config"
rm -rf "$tmp"

[ $fail = 0 ] || die "check failed"
step "all checks passed"
