#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The user-space and module packages of vswap, beside the kernel's (make deb
# calls this after bindeb-pkg; DEB_DIR is where the packages go):
#
#   vswapctl_<version>_<arch>.deb   vswapctl, vswap.service, /etc/default/vswap
#                                   (a conffile), the manual pages (from
#                                   clap) and the bash, zsh and fish
#                                   completions (from clap)
#   vswap-modules-<krel>_<version>_<arch>.deb
#                                   vswap.ko built for kernel <krel> with the
#                                   compilers that built that kernel, in
#                                   /lib/modules/<krel>/updates
#   vswap-dkms_<version>_all.deb    the module's source for DKMS, which
#                                   builds it for every installed patched
#                                   kernel with headers, and for each one
#                                   installed later
#
# A Rust module must be built by the very rustc that built its kernel (the
# kernel's core crate is part of the module's ABI). Two ways, as Debian
# offers for its own out-of-tree modules: a prebuilt module package per
# kernel, built here where that compiler is (no compiler on the system), or
# DKMS on the system, with the kernel's rustc from Debian's archive
# (rustc-web: make deb builds the kernel with it) and the kernel's Rust
# crates from its headers package. The admin guide says when to use which.
#
# Usage: pkg-vswap.sh KBUILD KRELEASE DEB_DIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$VSWAP_TOP"

kbuild=${1:?usage: pkg-vswap.sh KBUILD KRELEASE DEB_DIR}
krel=${2:?usage: pkg-vswap.sh KBUILD KRELEASE DEB_DIR}
out=${3:?usage: pkg-vswap.sh KBUILD KRELEASE DEB_DIR}
arch=$(dpkg --print-architecture)
ver=$(sed -n 's/^version = "\(.*\)"/\1/p' tools/vswapctl/Cargo.toml | head -n1)
[ -n "$ver" ] || die "no version in tools/vswapctl/Cargo.toml"
maint="vswap developers <vswap@example.invalid>"

# build_deb DIR: the package staged in DIR, into $out.
build_deb() {
	find "$1" -type d -exec chmod 755 {} +
	run_logged "$VSWAP_CACHE/logs/pkg-vswap.log" dpkg-deb --root-owner-group -Zxz --build "$1" "$out"
}

# vswap_stop_sh PACKAGE: the lines of a prerm that swap vswap off (through
# the unit when there is one) and unload it, and refuse the removal (exit 1),
# saying why, if that fails: the two module packages' prerm share them.
vswap_stop_sh() {
	cat <<-EOF
	echo "$1: vswap is loaded: swapping /dev/vswap0 off and unloading it" >&2
	if [ -d /run/systemd/system ] && systemctl -q is-active vswap.service; then
		systemctl stop vswap.service || true
	fi
	if grep -q '^/dev/vswap0 ' /proc/swaps && ! swapoff /dev/vswap0; then
		echo "$1: swapoff /dev/vswap0 failed (its pages do not fit in memory): not removed" >&2
		exit 1
	fi
	if grep -q '^vswap ' /proc/modules && ! rmmod vswap; then
		echo "$1: rmmod vswap failed: not removed" >&2
		exit 1
	fi
	EOF
}

# --- vswapctl
step "vswapctl $ver package"
cargo build --quiet --release --locked --manifest-path tools/vswapctl/Cargo.toml
bin=tools/vswapctl/target/release/vswapctl
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
p=$stage/vswapctl
install -D -m 755 "$bin" "$p/usr/sbin/vswapctl"
install -D -m 644 contrib/systemd/vswap.service "$p/usr/lib/systemd/system/vswap.service"
install -D -m 644 contrib/systemd/vswap.default "$p/etc/default/vswap"
# initramfs-tools would pick /dev/vswap0 as the resume device (the largest
# swap): the hook chooses again without it (contrib/initramfs-tools/).
install -D -m 755 contrib/initramfs-tools/vswap-resume "$p/usr/share/initramfs-tools/hooks/vswap-resume"
mkdir -p "$p/usr/share/man/man8"
"$bin" man "$p/usr/share/man/man8"
chmod 644 "$p"/usr/share/man/man8/*.8
gzip -9n "$p"/usr/share/man/man8/*.8
install -d "$p/usr/share/bash-completion/completions" "$p/usr/share/zsh/vendor-completions" \
	"$p/usr/share/fish/vendor_completions.d"
"$bin" completions bash >"$p/usr/share/bash-completion/completions/vswapctl"
"$bin" completions zsh >"$p/usr/share/zsh/vendor-completions/_vswapctl"
"$bin" completions fish >"$p/usr/share/fish/vendor_completions.d/vswapctl.fish"
chmod 644 "$p/usr/share/bash-completion/completions/vswapctl" "$p/usr/share/zsh/vendor-completions/_vswapctl" \
	"$p/usr/share/fish/vendor_completions.d/vswapctl.fish"
install -D -m 644 /dev/stdin "$p/usr/share/doc/vswapctl/copyright" <<-EOF
	Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
	Upstream-Name: vswap

	Files: *
	License: GPL-2.0
	 On Debian systems, the full text of the GNU General Public License
	 version 2 is in /usr/share/common-licenses/GPL-2.
EOF
mkdir -p "$p/DEBIAN"
echo /etc/default/vswap >"$p/DEBIAN/conffiles"
# The initramfs images are built again with the hook (as packages that ship
# hooks do), once, at the end of the run.
echo "activate-noawait update-initramfs" >"$p/DEBIAN/triggers"
cat >"$p/DEBIAN/control" <<-EOF
	Package: vswapctl
	Version: $ver
	Architecture: $arch
	Maintainer: $maint
	Section: admin
	Priority: optional
	Depends: libc6 (>= 2.34), kmod, util-linux, init-system-helpers (>= 1.54~)
	Recommends: vswap-modules
	Installed-Size: $(du -sk "$p" | cut -f1)
	Description: set up, inspect and tear down vswap (/dev/vswap0)
	 vswap is a virtual swap device whose pages live in zswap and, only
	 when zswap cannot keep them, on the physical swap devices. vswapctl
	 loads the module and swaps it on (vswap.service does so at boot,
	 before swap.target, with the arguments of /etc/default/vswap), shows
	 what its slots hold, and swaps it off.
EOF
# The unit, as dh_installsystemd would keep it but never restarted on an
# upgrade (a restart is a swapoff of every page): enabled on the first
# install (deb-systemd-helper, which also works in a chroot and keeps an
# administrator's disable across upgrades) and started then if the module is
# there; stopped before removal, which fails (vswap still on) if the
# swapoff fails; forgotten on purge.
cat >"$p/DEBIAN/postinst" <<-'EOF'
	#!/bin/sh
	set -e
	case $1 in configure|abort-upgrade|abort-deconfigure|abort-remove) ;; *) exit 0 ;; esac
	# was-enabled is true for a new installation.
	if deb-systemd-helper --quiet was-enabled vswap.service; then
		deb-systemd-helper enable vswap.service >/dev/null || true
	else
		deb-systemd-helper update-state vswap.service >/dev/null || true
	fi
	if [ -d /run/systemd/system ]; then
		systemctl --system daemon-reload >/dev/null || true
		if [ "$1" = configure ] && [ -z "$2" ]; then
			if modinfo vswap >/dev/null 2>&1; then
				deb-systemd-invoke start vswap.service ||
					echo "vswapctl: vswap.service did not start: see journalctl -u vswap" >&2
			else
				echo "vswapctl: no vswap module for $(uname -r) yet: vswap.service starts at the next boot with one" >&2
			fi
		fi
	fi
	exit 0
EOF
cat >"$p/DEBIAN/prerm" <<-'EOF'
	#!/bin/sh
	set -e
	if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
		# Stopping the unit swaps vswap off; if that fails (its pages do
		# not fit in memory) the removal stops here, with vswap still on.
		if ! deb-systemd-invoke stop vswap.service; then
			echo "vswapctl: cannot stop vswap.service (swapoff of /dev/vswap0 failed): not removed" >&2
			exit 1
		fi
	fi
	exit 0
EOF
cat >"$p/DEBIAN/postrm" <<-'EOF'
	#!/bin/sh
	set -e
	if [ -d /run/systemd/system ]; then
		systemctl --system daemon-reload >/dev/null || true
	fi
	if [ "$1" = remove ] && [ -x /usr/bin/deb-systemd-helper ]; then
		deb-systemd-helper mask vswap.service >/dev/null || true
	fi
	if [ "$1" = purge ] && [ -x /usr/bin/deb-systemd-helper ]; then
		deb-systemd-helper purge vswap.service >/dev/null || true
		deb-systemd-helper unmask vswap.service >/dev/null || true
	fi
	exit 0
EOF
chmod 755 "$p/DEBIAN/postinst" "$p/DEBIAN/prerm" "$p/DEBIAN/postrm"
build_deb "$p"

# --- the module for $krel
step "vswap-modules-$krel $ver package (vswap.ko built against $kbuild)"
# The module users install (no test-only parameters), built as make bench
# builds its own, against $kbuild.
KBUILD=$kbuild VSWAP_KERNEL=pkg module_for_kernel
mdir=$MODULE_DIR
vermagic=$(modinfo -F vermagic "$mdir/vswap.ko")
[ "${vermagic%% *}" = "$krel" ] || die "vswap.ko's vermagic '$vermagic' is not for $krel"
p=$stage/vswap-modules
# The module is built against this very kernel build: the kernel package's
# exact version, when make deb made it beside.
kimg=$(ls "$out"/linux-image-"$krel"_*.deb 2>/dev/null | grep -v dbg | head -n1 || true)
[ -n "$kimg" ] || die "no linux-image-$krel package in $out"
kimg_ver=$(dpkg-deb -f "$kimg" Version)
install -D -m 644 "$mdir/vswap.ko" "$p/lib/modules/$krel/updates/vswap.ko"
install -D -m 644 "$stage/vswapctl/usr/share/doc/vswapctl/copyright" \
	"$p/usr/share/doc/vswap-modules-$krel/copyright"
mkdir -p "$p/DEBIAN"
cat >"$p/DEBIAN/control" <<-EOF
	Package: vswap-modules-$krel
	Version: $ver
	Architecture: $arch
	Maintainer: $maint
	Section: kernel
	Priority: optional
	Depends: linux-image-$krel (= $kimg_ver), kmod
	Provides: vswap-modules
	Installed-Size: $(du -sk "$p" | cut -f1)
	Description: vswap kernel module for Linux $krel
	 The vswap module (a virtual swap device, /dev/vswap0) built for the
	 patched kernel $krel with the compilers that built that kernel.
EOF
cat >"$p/DEBIAN/postinst" <<-EOF
	#!/bin/sh
	set -e
	[ "\$1" = configure ] && depmod -a $krel
	exit 0
EOF
# Removal while the module is in use for the running kernel swaps vswap off
# first (through the unit when there is one); if that fails, it refuses.
cat >"$p/DEBIAN/prerm" <<-EOF
	#!/bin/sh
	set -e
	[ "\$1" = remove ] || exit 0
	[ "\$(uname -r)" = $krel ] || exit 0
	grep -q '^vswap ' /proc/modules || exit 0
	$(vswap_stop_sh "vswap-modules-$krel")
	exit 0
EOF
cat >"$p/DEBIAN/postrm" <<-EOF
	#!/bin/sh
	set -e
	[ -d /lib/modules/$krel ] && depmod -a $krel
	exit 0
EOF
chmod 755 "$p/DEBIAN/postinst" "$p/DEBIAN/prerm" "$p/DEBIAN/postrm"
build_deb "$p"
# --- the module's source, for DKMS
dver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
[ -n "$dver" ] || die "no PACKAGE_VERSION in dkms.conf"
step "vswap-dkms $dver package"
p=$stage/vswap-dkms
src=$p/usr/src/vswap-$dver
install -D -m 644 dkms.conf "$src/dkms.conf"
install -D -m 644 Kbuild "$src/Kbuild"
install -m 755 contrib/dkms/vswap-dkms-check "$src/vswap-dkms-check"
install -d "$src/rust" "$src/c"
install -m 644 rust/*.rs "$src/rust/"
install -m 644 c/*.c c/*.h "$src/c/"
install -D -m 644 "$stage/vswapctl/usr/share/doc/vswapctl/copyright" "$p/usr/share/doc/vswap-dkms/copyright"
clang=${LLVM_SUFFIX#-}
mkdir -p "$p/DEBIAN"
cat >"$p/DEBIAN/control" <<-EOF
	Package: vswap-dkms
	Version: $dver
	Architecture: all
	Maintainer: $maint
	Section: kernel
	Priority: optional
	Depends: dkms (>= 3), make, kmod, rustc-web | rustc, clang-$clang, lld-$clang, llvm-$clang
	Provides: vswap-modules
	Installed-Size: $(du -sk "$p" | cut -f1)
	Description: vswap kernel module source for DKMS
	 The vswap module (a virtual swap device, /dev/vswap0) as source that
	 DKMS builds for every installed kernel with the vswap series and its
	 headers, and for each such kernel installed later. The kernel's
	 headers must carry its Rust crates, and rustc must be the one that
	 built the kernel (vswap-dkms-check says so otherwise).
EOF
# As dh_dkms would: add the source, then build and install it for each
# installed kernel of the series whose headers are there. A kernel without
# headers, or one vswap-dkms-check refuses (another rustc than the kernel's,
# e.g. after a rustc-web update), is skipped, saying why: the installation
# goes on, that kernel keeps what it has. A build that fails after the check
# passed fails the installation, with the reason. Later kernels: dkms's own
# kernel hooks (autoinstall).
cat >"$p/DEBIAN/postinst" <<-EOF
	#!/bin/sh
	set -e
	[ "\$1" = configure ] || exit 0
	dkms status -m vswap -v $dver | grep -q . || dkms add -m vswap -v $dver
	rc=0
	for d in /lib/modules/*; do
		k=\$(basename "\$d")
		[ -f "\$d/build/.config" ] || { [ -d "\$d/kernel" ] && echo "vswap-dkms: no headers for \$k: not built for it" >&2; continue; }
		grep -q '^CONFIG_VSWAP_BACKEND=y' "\$d/build/.config" || continue
		# Built already (dkms's kernel hook ran first): dkms install would refuse.
		dkms status -m vswap -v $dver -k "\$k" | grep -q ': installed' && continue
		if ! sh /usr/src/vswap-$dver/vswap-dkms-check "\$d/build" >/dev/null; then
			echo "vswap-dkms: not built for \$k" >&2
			continue
		fi
		if ! dkms install -m vswap -v $dver -k "\$k"; then
			tail -n 5 /var/lib/dkms/vswap/$dver/build/make.log >&2 || true
			echo "vswap-dkms: the build for \$k failed" >&2
			rc=1
		fi
	done
	exit \$rc
EOF
# Removal while the module DKMS built for the running kernel is loaded
# swaps vswap off first (through the unit when there is one); if that
# fails, it refuses. Then every build is removed.
cat >"$p/DEBIAN/prerm" <<-EOF
	#!/bin/sh
	set -e
	case "\$1" in remove|upgrade|deconfigure) ;; *) exit 0 ;; esac
	if [ "\$1" = remove ] && grep -q '^vswap ' /proc/modules &&
	   modinfo -F filename vswap 2>/dev/null | grep -q '/updates/dkms/'; then
		$(vswap_stop_sh vswap-dkms)
	fi
	if dkms status -m vswap -v $dver | grep -q .; then
		dkms remove -m vswap -v $dver --all
	fi
	exit 0
EOF
chmod 755 "$p/DEBIAN/postinst" "$p/DEBIAN/prerm"
build_deb "$p"
ls -l "$out"/vswapctl_*.deb "$out"/vswap-modules-*.deb "$out"/vswap-dkms_*.deb
