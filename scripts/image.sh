#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make image: a Debian system on a disk image, for the tests of a real
# system (issue 23: make test-system). debootstrap builds the root file
# system from the Debian archive this machine already uses (its suite too:
# /etc/os-release), with systemd as init; the disk gets a GPT with an ext4
# root (label vswap-root) and a swap partition (label vswap-swap), both in
# the image's /etc/fstab, as an installer would leave them. No loop device
# and no mount: mkfs.ext4 -d fills the root from the debootstrap tree.
#
# The image is cached in $VSWAP_CACHE/image/<key>/disk.img, the key a hash
# of this script, the suite, the archive and the debootstrap version; an
# unchanged key costs nothing. Boots use it read-only (qemu -snapshot).
#
#   image.sh            build the image if it is not cached; print its path
#   image.sh --boot KERNEL [SECONDS]
#                       boot KERNEL (a bzImage) from the image under TCG with
#                       systemd as PID 1, and fail unless the system reaches
#                       multi-user.target, runs the image's check unit and
#                       powers off within SECONDS (600). The console log is
#                       kept in $VSWAP_CACHE/image/boot-<time>.log.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

IMAGE_ROOT_MIB=${VSWAP_IMAGE_ROOT_MIB:-1536}
IMAGE_SWAP_MIB=${VSWAP_IMAGE_SWAP_MIB:-512}
# What an operator's minimal server has, and what the boot test reads.
IMAGE_PKGS=systemd-sysv,udev,kmod,e2fsprogs,util-linux,procps,iproute2,apt,ca-certificates,less
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

for p in debootstrap fdisk e2fsprogs; do
	dpkg -s "$p" >/dev/null 2>&1 && continue
	step "installing $p (for make image)"
	run_logged "$VSWAP_CACHE/logs/image-apt.log" $SUDO apt-get install -y --no-install-recommends "$p"
done

suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$suite" ] || die "no VERSION_CODENAME in /etc/os-release: cannot tell the suite to bootstrap"
uri=$(debian_uri) || die "cannot find a Debian source in /etc/apt to bootstrap from"
key=$({ cat "$0"; echo "$suite $uri $IMAGE_PKGS $IMAGE_ROOT_MIB $IMAGE_SWAP_MIB"; \
	dpkg-query -W -f='${Version}' debootstrap; } | sha256sum | cut -c1-16)
dir=$VSWAP_CACHE/image/$key
img=$dir/disk.img

build_image() {
	local tmp=$dir.tmp root start_root sectors_root start_swap sectors_swap
	rm -rf "$tmp"
	mkdir -p "$tmp"
	root=$tmp/root
	step "debootstrap $suite from the machine's Debian archive (a few minutes)"
	run_logged "$VSWAP_CACHE/logs/image-debootstrap.log" \
		$SUDO debootstrap --variant=minbase --include="$IMAGE_PKGS" "$suite" "$root" "$uri"

	# The system an installer leaves: a host name, the file systems in
	# fstab by label, a root without a password on the serial console only
	# (the image never leaves this machine), apt pointing at the archive
	# it came from.
	echo vswap-test | $SUDO tee "$root/etc/hostname" >/dev/null
	printf '127.0.0.1\tlocalhost\n127.0.1.1\tvswap-test\n' | $SUDO tee "$root/etc/hosts" >/dev/null
	$SUDO tee "$root/etc/fstab" >/dev/null <<-EOF
	# <file system>    <mount point> <type> <options>          <dump> <pass>
	LABEL=vswap-root   /             ext4   errors=remount-ro  0      1
	LABEL=vswap-swap   none          swap   sw                 0      0
	EOF
	echo "deb $uri $suite main" | $SUDO tee "$root/etc/apt/sources.list" >/dev/null
	$SUDO chroot "$root" passwd -d root >/dev/null
	# The check the boot test reads on the console: the system came up
	# (multi-user.target reached, no failed unit), then powers off.
	$SUDO tee "$root/usr/local/sbin/vswap-image-check" >/dev/null <<-'EOF'
	#!/bin/sh
	# The image's boot check (scripts/image.sh): print what the boot test
	# reads, then power off.
	echo "vswap-image: booted $(uname -r), PID 1 is $(cat /proc/1/comm)"
	# A simple service: the boot finishes without waiting for it.
	echo "vswap-image: system state $(systemctl is-system-running --wait)"
	systemctl --failed --no-legend --plain | sed 's/^/vswap-image: failed unit: /'
	swapon --show=NAME,TYPE,PRIO --noheadings | sed 's/^/vswap-image: swap: /'
	systemd-analyze critical-chain multi-user.target 2>&1 | sed 's/^/vswap-image: chain: /'
	echo "vswap-image: done"
	systemctl poweroff
	EOF
	$SUDO chmod 755 "$root/usr/local/sbin/vswap-image-check"
	$SUDO tee "$root/etc/systemd/system/vswap-image-check.service" >/dev/null <<-'EOF'
	[Unit]
	Description=vswap image boot check (make image --boot)
	After=multi-user.target
	ConditionKernelCommandLine=vswap.image_check=1

	[Service]
	Type=simple
	ExecStart=/usr/local/sbin/vswap-image-check
	StandardOutput=journal+console

	[Install]
	WantedBy=multi-user.target
	EOF
	$SUDO chroot "$root" systemctl enable vswap-image-check.service >/dev/null 2>&1
	$SUDO rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*

	# The disk: GPT, root from 1 MiB, swap after it.
	step "disk image: ${IMAGE_ROOT_MIB} MiB ext4 root, ${IMAGE_SWAP_MIB} MiB swap"
	start_root=2048
	sectors_root=$((IMAGE_ROOT_MIB * 2048))
	start_swap=$((start_root + sectors_root))
	sectors_swap=$((IMAGE_SWAP_MIB * 2048))
	truncate -s $(( (start_swap + sectors_swap + 2048) * 512 )) "$tmp/disk.img"
	run_logged "$VSWAP_CACHE/logs/image-sfdisk.log" sfdisk -q "$tmp/disk.img" <<-EOF
	label: gpt
	start=$start_root, size=$sectors_root, type=linux, name=root
	start=$start_swap, size=$sectors_swap, type=swap, name=swap
	EOF
	truncate -s $((sectors_root * 512)) "$tmp/root.ext4"
	run_logged "$VSWAP_CACHE/logs/image-mkfs.log" $SUDO mkfs.ext4 -q -L vswap-root -d "$root" "$tmp/root.ext4"
	truncate -s $((sectors_swap * 512)) "$tmp/swap.img"
	mkswap -q -L vswap-swap "$tmp/swap.img" >/dev/null
	dd if="$tmp/root.ext4" of="$tmp/disk.img" bs=1M seek=$((start_root / 2048)) conv=notrunc,sparse status=none
	dd if="$tmp/swap.img" of="$tmp/disk.img" bs=1M seek=$((start_swap / 2048)) conv=notrunc,sparse status=none
	mv "$tmp/disk.img" "$dir.img.new"
	$SUDO rm -rf "$tmp"
	mkdir -p "$dir"
	mv "$dir.img.new" "$img"
	step "image ready: $img ($(du -h --apparent-size "$img" | cut -f1), $(du -h "$img" | cut -f1) on disk)"
}

if [ ! -f "$img" ]; then
	# Images of other keys are stale: at most one is kept.
	find "$VSWAP_CACHE/image" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -exec rm -rf {} + 2>/dev/null || true
	build_image
fi

if [ "${1:-}" != --boot ]; then
	echo "$img"
	exit 0
fi

kernel=${2:?usage: image.sh --boot KERNEL [SECONDS]}
limit=${3:-600}
[ -f "$kernel" ] || die "no kernel $kernel"
log=$VSWAP_CACHE/image/boot-$(date +%Y%m%d-%H%M%S).log
step "booting $kernel from the image (systemd as PID 1, TCG; console: $log)"
start=$(date +%s)
# -snapshot: the cached image stays as built.
timeout "$limit" qemu-system-x86_64 -accel tcg -m 1G -smp 2 -nographic -no-reboot \
	-snapshot -drive "file=$img,if=virtio,format=raw" \
	-kernel "$kernel" \
	-append "root=/dev/vda1 rw console=ttyS0 panic=-1 vswap.image_check=1" \
	>"$log" 2>&1 || true
secs=$(( $(date +%s) - start ))
# The check's lines, without the journal's prefix.
check=$(tr -d '\r' <"$log" | grep -ao 'vswap-image: .*' | sed 's/^vswap-image: //' || true)
sed 's/^/  /' <<<"$check"
grep -q '^done' <<<"$check" || die "the image did not finish its boot check in ${limit}s (console: $log)"
grep -q '^booted .*PID 1 is systemd' <<<"$check" || die "PID 1 is not systemd (console: $log)"
grep -q '^system state running' <<<"$check" || die "the system is not running: $(grep '^system state' <<<"$check") (console: $log)"
grep -q '^failed unit' <<<"$check" && die "units failed at boot (console: $log)"
splats=$(tr -d '\r' <"$log" | grep -aE 'BUG:|WARNING:|Oops|Call Trace|general protection fault|possible (recursive|circular)|inconsistent lock|suspicious RCU|KASAN:|UBSAN:|Kernel panic' || true)
[ -z "$splats" ] || { echo "$splats" | head -n 20 >&2; die "the kernel complained during the boot (console: $log)"; }
step "booted, checked and powered off in ${secs}s"
