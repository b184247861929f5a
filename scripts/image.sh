#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make image: a Debian system on a disk image, for the tests of a real
# system (make test-system). debootstrap builds the root file system from
# the Debian archive this machine already uses (its suite too:
# /etc/os-release), with systemd as init, GRUB and initramfs-tools; the disk
# gets a GPT with a BIOS boot partition, an ext4 root (label vswap-root) and
# a swap partition (label vswap-swap), both in the image's /etc/fstab, as an
# installer would leave them. No loop device and no mount: mkfs.ext4 -d
# fills the root from the debootstrap tree. The image has no kernel: the
# tests install one with apt, which also installs GRUB on the disk.
#
# The image is cached in $VSWAP_CACHE/image/<key>/disk.img, the key a hash
# of this script, the suite, the archive and the debootstrap version; an
# unchanged key costs nothing.
#
#   image.sh                 build the image if it is not cached; print its path
#   image.sh check BZIMAGE   make image: boot BZIMAGE from the image once, show it up
#   image.sh boot [--kernel BZIMAGE] [--disk IMG] [--share DIR] [--timeout S]
#       boot the system under TCG, systemd as PID 1: with --kernel, that
#       kernel directly (root on the image's root partition), else from the
#       disk (SeaBIOS, GRUB, the installed kernel and its initramfs). The
#       disk is IMG (written to), else the cached image (read-only: qemu
#       -snapshot). DIR, if given, is shared with the guest (9p, tag
#       vswap-host): once the system is up, the image's vswap-image-run
#       service runs DIR/run.sh (output in DIR/run.log), then powers off.
#       The boot fails unless the system came up (systemd running, no
#       failed unit), run.sh exited 0 and the kernel logged no warning,
#       within S seconds (600). The console log is $VSWAP_CACHE/image/boot-*.log.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

IMAGE_ROOT_MIB=${VSWAP_IMAGE_ROOT_MIB:-4096}
IMAGE_SWAP_MIB=${VSWAP_IMAGE_SWAP_MIB:-512}
# What an operator's minimal server has, what booting an installed kernel
# needs, and what the boot test reads.
IMAGE_PKGS=systemd-sysv,udev,kmod,e2fsprogs,util-linux,procps,iproute2,apt,ca-certificates,less,grub-pc,initramfs-tools,linux-base
# What vswap-dkms depends on, as an operator's apt would fetch it (the test
# system has no network): DKMS, and the compilers of the kernels of make deb:
# Debian's rustc-web (the security suite's, as make deb's kernel build) with
# its library source, and the LLVM of the kernel's clang.
# rustc-web is pinned to this machine's, if it has one: make deb built the
# kernel with it, and a Rust module must be built by its kernel's rustc.
rustc_web=$(dpkg-query -W -f='${Version}' rustc-web 2>/dev/null || true)
IMAGE_DKMS_PKGS="dkms make gcc libc6-dev rustc-web${rustc_web:+=$rustc_web} clang${LLVM_SUFFIX} lld${LLVM_SUFFIX} llvm${LLVM_SUFFIX}"
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
security_uri=$(debian_security_uri) ||
	die "no ${suite}-security source in /etc/apt: the image's rustc-web (the kernel's compiler for DKMS) comes from there"
key=$({ cat "$0"; echo "$suite $uri $security_uri $IMAGE_PKGS $IMAGE_DKMS_PKGS $IMAGE_ROOT_MIB $IMAGE_SWAP_MIB"; \
	dpkg-query -W -f='${Version}' debootstrap; } | sha256sum | cut -c1-16)
dir=$VSWAP_CACHE/image/$key
img=$dir/disk.img

build_image() {
	local tmp=$dir.tmp root start_root sectors_root start_swap sectors_swap
	rm -rf "$tmp"
	mkdir -p "$tmp"
	root=$tmp/root
	step "debootstrap $suite from the machine's Debian archive (a few minutes)"
	DEBIAN_FRONTEND=noninteractive run_logged "$VSWAP_CACHE/logs/image-debootstrap.log" \
		$SUDO debootstrap --variant=minbase --include="$IMAGE_PKGS" "$suite" "$root" "$uri"

	# The system an installer leaves: a host name, the file systems in
	# fstab by label, a root without a password (the image never leaves
	# this machine), GRUB on the serial console, apt pointing at the
	# archive it came from.
	echo vswap-test | $SUDO tee "$root/etc/hostname" >/dev/null
	printf '127.0.0.1\tlocalhost\n127.0.1.1\tvswap-test\n' | $SUDO tee "$root/etc/hosts" >/dev/null
	$SUDO tee "$root/etc/fstab" >/dev/null <<-EOF
	# <file system>    <mount point> <type> <options>          <dump> <pass>
	LABEL=vswap-root   /             ext4   errors=remount-ro  0      1
	LABEL=vswap-swap   none          swap   sw                 0      0
	EOF
	$SUDO tee "$root/etc/apt/sources.list" >/dev/null <<-EOF
	deb $uri $suite main
	deb $uri $suite-updates main
	deb $security_uri $suite-security main
	EOF
	# The DKMS toolchain, with the image's apt, from those suites.
	step "apt-get install in the image: $IMAGE_DKMS_PKGS"
	$SUDO mount -t proc proc "$root/proc"
	if ! DEBIAN_FRONTEND=noninteractive $SUDO chroot "$root" sh -c \
		"apt-get update && apt-get install -y --no-install-recommends $IMAGE_DKMS_PKGS" \
		>"$VSWAP_CACHE/logs/image-dkms-apt.log" 2>&1; then
		$SUDO umount "$root/proc"
		tail -n 20 "$VSWAP_CACHE/logs/image-dkms-apt.log"
		hint=
		[ -z "$rustc_web" ] ||
			hint="; if the archive has a newer rustc-web than $rustc_web (this machine), upgrade it here and run make deb again"
		die "apt-get install $IMAGE_DKMS_PKGS in the image failed (log: $VSWAP_CACHE/logs/image-dkms-apt.log)$hint"
	fi
	$SUDO umount "$root/proc"
	$SUDO chroot "$root" passwd -d root >/dev/null
	$SUDO tee -a "$root/etc/default/grub" >/dev/null <<-'EOF'
	# make image: the serial console, no menu.
	GRUB_TIMEOUT=0
	GRUB_CMDLINE_LINUX="console=ttyS0"
	GRUB_TERMINAL=serial
	GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"
	EOF

	# The test hook: a host directory shared over 9p (tag vswap-host) with
	# a run.sh in it is run once the system is up, then the system powers
	# off. Without the share the service does nothing.
	$SUDO tee "$root/usr/local/sbin/vswap-image-run" >/dev/null <<-'EOF'
	#!/bin/sh
	# The image's test hook (scripts/image.sh boot).
	grep -qsx vswap-host /sys/bus/virtio/drivers/9pnet_virtio/*/mount_tag || exit 0
	mkdir -p /run/vswap-host
	mount -t 9p -o trans=virtio,version=9p2000.L vswap-host /run/vswap-host || exit 1
	# A simple service: the boot finishes without waiting for it.
	state=$(systemctl is-system-running --wait)
	{
		echo "vswap-image: booted $(uname -r), PID 1 is $(cat /proc/1/comm)"
		echo "vswap-image: system state $state"
		systemctl --failed --no-legend --plain | sed 's/^/vswap-image: failed unit: /'
	} | tee /run/vswap-host/boot.log
	rc=0
	if [ -x /run/vswap-host/run.sh ]; then
		(cd /run/vswap-host && ./run.sh) >/run/vswap-host/run.log 2>&1 || rc=$?
	fi
	echo "vswap-image: run.sh exit $rc" | tee -a /run/vswap-host/boot.log
	sync
	umount /run/vswap-host
	systemctl poweroff
	EOF
	$SUDO chmod 755 "$root/usr/local/sbin/vswap-image-run"
	$SUDO tee "$root/etc/systemd/system/vswap-image-run.service" >/dev/null <<-'EOF'
	[Unit]
	Description=vswap test hook: run the host's script once the system is up
	After=multi-user.target

	[Service]
	Type=simple
	ExecStart=/usr/local/sbin/vswap-image-run
	StandardOutput=journal+console

	[Install]
	WantedBy=multi-user.target
	EOF
	$SUDO chroot "$root" systemctl enable vswap-image-run.service >/dev/null 2>&1
	$SUDO rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*

	# The disk: GPT, a BIOS boot partition for GRUB, root, swap.
	step "disk image: ${IMAGE_ROOT_MIB} MiB ext4 root, ${IMAGE_SWAP_MIB} MiB swap"
	start_root=4096
	sectors_root=$((IMAGE_ROOT_MIB * 2048))
	start_swap=$((start_root + sectors_root))
	sectors_swap=$((IMAGE_SWAP_MIB * 2048))
	truncate -s $(( (start_swap + sectors_swap + 2048) * 512 )) "$tmp/disk.img"
	run_logged "$VSWAP_CACHE/logs/image-sfdisk.log" sfdisk -q "$tmp/disk.img" <<-EOF
	label: gpt
	start=2048, size=2048, type=21686148-6449-6E6F-744E-656564454649, name=bios
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

case ${1:-} in
boot) shift ;;
check)
	# make image: boot KERNEL once from the image and show that the
	# system came up, its fstab swap on before swap.target.
	[ -n "${2:-}" ] || die "usage: image.sh check BZIMAGE"
	share=$(mktemp -d)
	trap 'rm -rf "$share"' EXIT
	cat >"$share/run.sh" <<-'EOF'
	#!/bin/sh
	set -e
	swapon --show=NAME,TYPE,PRIO --noheadings
	swapon --show=NAME --noheadings | grep -qx /dev/vda3
	systemd-analyze critical-chain swap.target
	EOF
	chmod +x "$share/run.sh"
	"$0" boot --kernel "$2" --share "$share"
	sed 's/^/  /' "$share/run.log"
	exit 0
	;;
*)
	echo "$img"
	exit 0
	;;
esac
kernel= disk= share= limit=600
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--disk) disk=$2; shift 2 ;;
	--share) share=$2; shift 2 ;;
	--timeout) limit=$2; shift 2 ;;
	*) die "image.sh boot: unknown argument '$1'" ;;
	esac
done
qemu=(qemu-system-x86_64 -accel tcg -m 1G -smp 2 -nographic -no-reboot)
if [ -n "$disk" ]; then
	qemu+=(-drive "file=$disk,if=virtio,format=raw")
else
	qemu+=(-snapshot -drive "file=$img,if=virtio,format=raw")
fi
if [ -n "$kernel" ]; then
	[ -f "$kernel" ] || die "no kernel $kernel"
	qemu+=(-kernel "$kernel" -append "root=/dev/vda2 rw console=ttyS0 panic=-1")
	what=$kernel
else
	what="the disk (GRUB)"
fi
if [ -n "$share" ]; then
	[ -d "$share" ] || die "no directory $share to share"
	rm -f "$share/boot.log" "$share/run.log"
	qemu+=(-virtfs "local,path=$share,mount_tag=vswap-host,security_model=none")
fi
log=$VSWAP_CACHE/image/boot-$(date +%Y%m%d-%H%M%S).log
step "booting $what (systemd as PID 1, TCG; console: $log)"
start=$(date +%s)
timeout "$limit" "${qemu[@]}" >"$log" 2>&1 || true
secs=$(( $(date +%s) - start ))
splats=$(tr -d '\r' <"$log" | grep -aE 'BUG:|WARNING:|Oops|Call Trace|general protection fault|possible (recursive|circular)|inconsistent lock|suspicious RCU|KASAN:|UBSAN:|Kernel panic' || true)
[ -z "$splats" ] || { echo "$splats" | head -n 20 >&2; die "the kernel complained during the boot (console: $log)"; }
[ -n "$share" ] || { step "booted $what in ${secs}s (no share: nothing checked but the kernel log)"; exit 0; }
[ -f "$share/boot.log" ] || die "the system did not come up in ${limit}s (console: $log)"
sed 's/^vswap-image: /  /' "$share/boot.log"
grep -q 'run.sh exit' "$share/boot.log" || die "run.sh did not finish in ${limit}s (console: $log; output: $share/run.log)"
grep -q 'PID 1 is systemd' "$share/boot.log" || die "PID 1 is not systemd (console: $log)"
grep -q 'system state running' "$share/boot.log" || die "the system is not running (console: $log)"
grep -q 'failed unit' "$share/boot.log" && die "units failed at boot (console: $log)"
grep -q 'run.sh exit 0' "$share/boot.log" || { tail -n 30 "$share/run.log" >&2; die "run.sh failed (output: $share/run.log)"; }
step "booted, ran $share/run.sh and powered off in ${secs}s"
