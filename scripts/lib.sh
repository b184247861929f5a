# SPDX-License-Identifier: GPL-2.0
# Common helpers for the vswap scripts. Source it, do not run it.

VSWAP_TOP=${VSWAP_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
VSWAP_CACHE=${VSWAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vswap}
KVER_WANT=${KVER_WANT:-7.2.13}
LLVM_SUFFIX=${LLVM_SUFFIX:--19}
LLVM_DIR=/usr/lib/llvm${LLVM_SUFFIX}
export LIBCLANG_PATH=${LIBCLANG_PATH:-$LLVM_DIR/lib}
export PATH="$HOME/.cargo/bin:$VSWAP_CACHE/venv/bin:$PATH"
mkdir -p "$VSWAP_CACHE/logs"

_t0=$(date +%s)
step() { printf '[vswap %4ds] %s\n' $(( $(date +%s) - _t0 )) "$*"; }
warn() { printf '[vswap] WARNING: %s\n' "$*" >&2; }
die()  { printf '[vswap] ERROR: %s\n' "$*" >&2; exit 1; }

# loud NAME: a banner that cannot be missed in a CI log.
loud() {
	printf '\n%s\n' '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!' >&2
	printf '!!! %s\n' "$@" >&2
	printf '%s\n\n' '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!' >&2
}

# run_logged LOG CMD...: run CMD with all output to LOG; on failure show the
# tail of the log and its path.
# module_for_kernel [test]: build vswap.ko for the $VSWAP_KERNEL kernel outside
# the tree (the tree's objects belong to the debug kernel), in
# $VSWAP_CACHE/$VSWAP_KERNEL-module; sets MODULE_DIR. "test" builds the test
# suite's module (VSWAP_TEST=1, with the test-only parameters); without it,
# the module users install.
module_for_kernel() {
	local rust=()
	# The compiler that built $KBUILD (build-kernel.sh records it).
	[ -f "$KBUILD/.vswap-rustc" ] && rust=(RUSTC="$(cat "$KBUILD/.vswap-rustc")")
	MODULE_DIR=$VSWAP_CACHE/$VSWAP_KERNEL-module
	rm -rf "$MODULE_DIR"
	mkdir -p "$MODULE_DIR/rust" "$MODULE_DIR/c"
	cp "$VSWAP_TOP/Kbuild" "$MODULE_DIR/"
	cp "$VSWAP_TOP"/rust/*.rs "$MODULE_DIR/rust/"
	cp "$VSWAP_TOP"/c/*.[ch] "$MODULE_DIR/c/"
	step "building vswap.ko for the $VSWAP_KERNEL kernel"
	run_logged "$VSWAP_CACHE/logs/$VSWAP_KERNEL-module.log" \
		make -C "$KBUILD" M="$MODULE_DIR" LLVM="$LLVM_SUFFIX" "${rust[@]}" VSWAP_TEST="$([ "${1:-}" = test ] && echo 1 || echo 0)" modules
}

run_logged() {
	local log=$1; shift
	if ! "$@" >"$log" 2>&1; then
		tail -n 40 "$log" >&2
		die "'$*' failed; full log: $log"
	fi
}

# Where the kernel source, build and the state of the applied series live.
KSRC_PRISTINE=$VSWAP_CACHE/src/linux-pristine
KSRC=$VSWAP_CACHE/src/linux
# Three kernel configurations share the source: "debug" (lockdep, DEBUG_VM,
# kmemleak: every test runs under it), "kasan" (KASAN, UBSAN and
# fault injection: make test-kasan) and "bench" (none of them: make bench).
# KERNEL_FRAGMENTS: the qemu/ fragments of each, on top of qemu/base.config.
VSWAP_KERNEL=${VSWAP_KERNEL:-debug}
case $VSWAP_KERNEL in
debug) KBUILD=$VSWAP_CACHE/build KERNEL_FRAGMENTS="debug.config" ;;
kasan) KBUILD=$VSWAP_CACHE/build-kasan KERNEL_FRAGMENTS="kasan.config" ;;
bench) KBUILD=$VSWAP_CACHE/build-bench KERNEL_FRAGMENTS="bench.config" ;;
# make deb from a given or the running kernel's config (scripts/deb.sh).
deb) KBUILD=$VSWAP_CACHE/build-deb KERNEL_FRAGMENTS="" ;;
# The bench configuration built with Debian's packaged rustc (rustc-web,
# /usr/bin/rustc) instead of the machine's rustup one: the kernel of make deb
# (DEB_CONFIG=project) and make test-system. A Rust module must be built by
# the rustc that built its kernel; with this one, DKMS on a Debian system
# builds vswap.ko with the same compiler from the same archive.
system) KBUILD=$VSWAP_CACHE/build-system KERNEL_FRAGMENTS="bench.config" KRUSTC=/usr/bin/rustc ;;
# The bench configuration without the series, from the pristine source: what
# the patched kernel without the module is measured against (make bench,
# VSWAP_BENCH_PRISTINE). Options the series adds are left out of its config.
pristine) KBUILD=$VSWAP_CACHE/build-pristine KERNEL_FRAGMENTS="bench.config" KSRC=$KSRC_PRISTINE ;;
*) die "VSWAP_KERNEL=$VSWAP_KERNEL: want debug, kasan, bench, pristine, deb or system" ;;
esac
# The rustc of the kernel (and of every module built for it): the first in
# PATH (rustup's) unless the configuration names another.
KRUSTC=${KRUSTC:-rustc}

# use_debian_rustc: KRUSTC becomes Debian's packaged rustc (rustc-web of the
# security suite, /usr/bin/rustc), installed from this machine's archive if
# it is not there: the compiler of the kernels make deb packages, which a
# Debian system gets from the same archive for DKMS.
use_debian_rustc() {
	if ! dpkg -s rustc-web >/dev/null 2>&1; then
		local sudo=
		[ "$(id -u)" = 0 ] || sudo=sudo
		step "installing Debian's rustc-web and rust-web-src (the packaged kernels' compiler)"
		$sudo apt-get install -y --no-install-recommends rustc-web rust-web-src \
			>"$VSWAP_CACHE/logs/rustc-web-apt.log" 2>&1 ||
			{ tail -n 20 "$VSWAP_CACHE/logs/rustc-web-apt.log"
			  die "apt-get install rustc-web rust-web-src failed: packaged kernels are built with Debian's rustc (is the security suite in this machine's apt sources?)"; }
	fi
	KRUSTC=/usr/bin/rustc
	"$KRUSTC" --version >/dev/null || die "$KRUSTC does not run"
}

# The URI of the Debian security archive this machine already uses (deb822
# or one-line), if any.
debian_security_uri() {
	local f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		uri=$(awk '
			/^URIs:/ { u = $2 }
			/^Suites:/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+-security$/) s = 1 }
			/^$/ { if (u != "" && s) { print u; exit } u = ""; s = 0 }
			END { if (u != "" && s) print u }' "$f")
		[ -n "$uri" ] && { echo "$uri" | head -n1; return; }
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		uri=$(awk '$1 == "deb" && $0 ~ / [a-z]+-security / {
			sub(/\[[^]]*\]/, ""); $0 = $0; print $2; exit }' "$f")
		[ -n "$uri" ] && { echo "$uri"; return; }
	done
	return 1
}

# The URI of the Debian archive this machine already uses (deb822 or one-line).
debian_uri() {
	local f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		uri=$(awk '
			/^URIs:/ { u = $2 }
			/^Suites:/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+$/) s = 1 }
			/^$/ { if (u != "" && s && u !~ /security/) { print u; exit } u = ""; s = 0 }
			END { if (u != "" && s && u !~ /security/) print u }' "$f")
		[ -n "$uri" ] && { echo "$uri" | head -n1; return; }
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		uri=$(awk '$1 == "deb" && $0 !~ /security/ && $0 ~ / (bookworm|stable|trixie|sid) / {
			sub(/\[[^]]*\]/, ""); $0 = $0; print $2; exit }' "$f")
		[ -n "$uri" ] && { echo "$uri"; return; }
	done
	return 1
}
