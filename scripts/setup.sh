#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything vswap needs, from the package registries only (Debian's
# archive, crates.io, PyPI). Idempotent: a second run costs a second or two.
#
# The apt suites we add (bookworm-backports for QEMU 10, unstable for
# linux-source-7.2) reuse the URI of the machine's existing Debian source and
# are pinned low so nothing else on the machine is upgraded.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

APT_PKGS="flex bison bc libelf-dev libssl-dev cpio clang-19 lld-19 llvm-19
libclang-19-dev dwarves python3 python3-venv kmod rsync zstd lz4 xz-utils
busybox-static udev util-linux e2fsprogs dmsetup quilt patch socat gcc libc6-dev systemd dkms"
BACKPORTS_PKGS="qemu-system-x86 qemu-system-data"
VIRTME_NG_VERSION=${VIRTME_NG_VERSION:-1.42}

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

setup_apt_sources() {
	local list=/etc/apt/sources.list.d/vswap-extra.sources
	local pin=/etc/apt/preferences.d/vswap-extra
	local uri
	[ -f "$list" ] && [ -f "$pin" ] && grep -q 'n=sid' "$pin" && return 0
	uri=$(debian_uri) || die "cannot find a Debian source in /etc/apt to derive suites from"
	step "apt: adding bookworm-backports and unstable from $uri (pinned low)"
	$SUDO tee "$list" >/dev/null <<EOS
# Added by vswap scripts/setup.sh: derived from this machine's Debian source.
Types: deb
URIs: $uri
Suites: bookworm-backports unstable
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
	$SUDO tee "$pin" >/dev/null <<EOS
# Added by vswap scripts/setup.sh: never upgrade the system from these suites.
Package: *
Pin: release n=sid
Pin-Priority: 50

Package: *
Pin: release a=unstable
Pin-Priority: 50

Package: *
Pin: release n=bookworm-backports
Pin-Priority: 100
EOS
	rm -f "$VSWAP_CACHE/.apt-updated"
}

apt_update_once() {
	[ -f "$VSWAP_CACHE/.apt-updated" ] && return 0
	step "apt-get update"
	run_logged "$VSWAP_CACHE/logs/apt-update.log" $SUDO apt-get update
	touch "$VSWAP_CACHE/.apt-updated"
}

install_apt() {
	local missing=() p
	for p in $APT_PKGS; do
		[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		apt_update_once
		step "apt: installing ${missing[*]}"
		run_logged "$VSWAP_CACHE/logs/apt-install.log" env DEBIAN_FRONTEND=noninteractive \
			$SUDO apt-get install -y -t bookworm --no-install-recommends "${missing[@]}"
	fi
	missing=()
	for p in $BACKPORTS_PKGS; do
		[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		apt_update_once
		step "apt: installing ${missing[*]}"
		run_logged "$VSWAP_CACHE/logs/apt-install-bpo.log" env DEBIAN_FRONTEND=noninteractive \
			$SUDO apt-get install -y -t bookworm-backports --no-install-recommends "${missing[@]}"
	fi
	# virtme-ng finds the guest's script ports through udev's symlinks.
	if command -v udevadm >/dev/null && ! pgrep -x systemd-udevd >/dev/null 2>&1; then
		$SUDO /lib/systemd/systemd-udevd --daemon >/dev/null 2>&1 || true
	fi
}

install_rust() {
	command -v rustup >/dev/null || die "rustup not found: the machine's Rust toolchain is required"
	if ! grep -q '^rust-src' <<<"$(rustup component list --installed 2>/dev/null)"; then
		step "rustup component add rust-src"
		run_logged "$VSWAP_CACHE/logs/rustup.log" rustup component add rust-src
	fi
	if ! command -v bindgen >/dev/null; then
		step "cargo install bindgen-cli (about 90 s)"
		run_logged "$VSWAP_CACHE/logs/bindgen.log" cargo install --locked bindgen-cli
	fi
}

install_virtme_ng() {
	local have
	# Not a pipe into grep -q: under pipefail, pip's SIGPIPE would read as "missing".
	have=$("$VSWAP_CACHE/venv/bin/pip" show virtme-ng 2>/dev/null || true)
	if [ -x "$VSWAP_CACHE/venv/bin/vng" ] && grep -qx "Version: $VIRTME_NG_VERSION" <<<"$have"; then
		return 0
	fi
	step "pip: virtme-ng $VIRTME_NG_VERSION into $VSWAP_CACHE/venv"
	python3 -m venv "$VSWAP_CACHE/venv"
	run_logged "$VSWAP_CACHE/logs/pip.log" "$VSWAP_CACHE/venv/bin/pip" install "virtme-ng==$VIRTME_NG_VERSION"
}

# Fetch linux-source-7.2 into the cache. Pin $KVER_WANT; if the archive has
# moved on to a later 7.2.x, take it and say so loudly.
fetch_kernel_source() {
	local debs=$VSWAP_CACHE/debs deb ver
	mkdir -p "$debs"
	deb=$(ls "$debs"/linux-source-7.2_"$KVER_WANT"-*_all.deb 2>/dev/null | tail -n1 || true)
	if [ -z "$deb" ]; then
		deb=$(ls "$debs"/linux-source-7.2_7.2.*_all.deb 2>/dev/null | sort -V | tail -n1 || true)
	fi
	if [ -z "$deb" ]; then
		apt_update_once
		ver=$(apt-cache madison linux-source-7.2 | awk '{print $3}' | grep "^$KVER_WANT-" | sort -V | tail -n1 || true)
		if [ -z "$ver" ]; then
			ver=$(apt-cache madison linux-source-7.2 | awk '{print $3}' | grep '^7\.2\.' | sort -V | tail -n1 || true)
			[ -n "$ver" ] || die "no linux-source-7.2 in the archive (apt-cache madison linux-source-7.2 is empty)"
			loud "linux-source-7.2 $KVER_WANT is gone from the archive;" \
			     "TAKING $ver INSTEAD. The series is tested against $KVER_WANT:" \
			     "check that patches/ still applies and update KVER_WANT."
		fi
		step "apt-get download linux-source-7.2=$ver"
		(cd "$debs" && run_logged "$VSWAP_CACHE/logs/download.log" apt-get download "linux-source-7.2=$ver")
		deb=$(ls "$debs"/linux-source-7.2_*_all.deb | sort -V | tail -n1)
	fi
	echo "$deb" >"$VSWAP_CACHE/kernel-deb"
}

mkdir -p "$VSWAP_CACHE"
setup_apt_sources
install_apt
install_rust
install_virtme_ng
fetch_kernel_source
step "setup done (cache: $VSWAP_CACHE, kernel source: $(basename "$(cat "$VSWAP_CACHE/kernel-deb")"))"
