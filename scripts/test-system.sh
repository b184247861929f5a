#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make test-system: vswap on a real Debian system (issue 23), in the image of
# scripts/image.sh, booted under TCG with systemd as PID 1. Each step is a
# boot of the same disk; the host hands each its script and packages over
# a 9p share (the image's vswap-image-run service runs it once the system is
# up, then powers off).
#
#   1. install: the patched kernel's package (make deb) with
#      `apt install ./linux-image-*.deb` (its postinst builds the initramfs
#      and updates GRUB), and GRUB on the disk. Booted directly on the
#      cached kernel, as an installer's rescue system would.
#   2. boot: from the disk alone (SeaBIOS, GRUB, the installed kernel and
#      initramfs); the running kernel is the package's and the fstab swap
#      partition is on.
#
# The disk is $VSWAP_CACHE/system/disk.img, a fresh copy of the cached image
# on every run. Logs: $VSWAP_CACHE/system/<step>/ (boot.log, run.log).
set -euo pipefail
export VSWAP_KERNEL=system
. "$(dirname "$0")/lib.sh"

t0=$(date +%s)
# The project's configuration, whatever this machine runs: the kernel the
# install step boots directly is its build.
DEB_CONFIG=project DEB_SMOKE=0 "$VSWAP_TOP/scripts/deb.sh"
deb_dir=$VSWAP_CACHE/deb
[ "$(cat "$deb_dir/build-dir")" = "$KBUILD" ] || die "make deb packaged $(cat "$deb_dir/build-dir"), not $KBUILD"
krel=$(cat "$KBUILD/include/config/kernel.release")
kimg=$(ls "$deb_dir"/linux-image-"$krel"_*.deb | grep -v dbg | head -n1)
[ -f "$kimg" ] || die "no linux-image package for $krel in $deb_dir"
# An upgrade: another build of the same kernel, release $krel-up1.
DEB_CONFIG=project DEB_SMOKE=0 DEB_LOCALVERSION=-up1 "$VSWAP_TOP/scripts/deb.sh"
up_dir=$VSWAP_CACHE/deb-up1
up_krel=$krel-up1
up_kimg=$(ls "$up_dir"/linux-image-"$up_krel"_*.deb)
up_hdrs=$(ls "$up_dir"/linux-headers-"$up_krel"_*.deb)
up_mods=$(ls "$up_dir"/vswap-modules-"$up_krel"_*.deb)
dkms_deb=$(ls "$up_dir"/vswap-dkms_*.deb)
image=$("$VSWAP_TOP/scripts/image.sh" | tail -n1)

work=$VSWAP_CACHE/system
rm -rf "$work"
mkdir -p "$work"
step "a fresh system disk from $image"
cp --sparse=always "$image" "$work/disk.img"

# share STEP: a fresh share directory for STEP.
share() { rm -rf "${work:?}/$1"; mkdir -p "$work/$1"; echo "$work/$1"; }

# 1. install
s=$(share install)
cp "$kimg" "$s/"
cat >"$s/run.sh" <<EOF
#!/bin/sh
set -ex
export DEBIAN_FRONTEND=noninteractive
# No network: everything the package depends on is in the image already.
apt-get install -y ./$(basename "$kimg")
ls -l /boot
test -f /boot/vmlinuz-$krel
test -f /boot/initrd.img-$krel
grub-install --target=i386-pc /dev/vda
update-grub
grep -q "vmlinuz-$krel" /boot/grub/grub.cfg
EOF
chmod +x "$s/run.sh"
step "1. install: apt install ./$(basename "$kimg"), GRUB on the disk"
"$VSWAP_TOP/scripts/image.sh" boot --kernel "$KBUILD/arch/x86/boot/bzImage" \
	--disk "$work/disk.img" --share "$s" --timeout 900
grep -E '^(Setting up|update-initramfs|Generating grub|Found linux image|Installation finished)' "$s/run.log" | sed 's/^/  /' || true

# 2. boot from the disk
s=$(share boot)
cat >"$s/run.sh" <<EOF
#!/bin/sh
set -ex
uname -r
cat /proc/cmdline
# The kernel GRUB booted is the installed package's, with its initramfs.
grep -q "BOOT_IMAGE=/boot/vmlinuz-$krel" /proc/cmdline
dpkg -s linux-image-$krel | grep -q '^Status: install ok installed'
grep -qx 'CONFIG_VSWAP_BACKEND=y' /boot/config-$krel
swapon --show=NAME,TYPE,PRIO --noheadings
swapon --show=NAME --noheadings | grep -qx /dev/vda3
systemd-analyze critical-chain swap.target
EOF
chmod +x "$s/run.sh"
step "2. boot: from the disk (GRUB, the installed $krel and its initramfs)"
"$VSWAP_TOP/scripts/image.sh" boot --disk "$work/disk.img" --share "$s" --timeout 900
sed 's/^/  /' "$s/run.log"

# 3. install vswap: the module for this kernel and vswapctl, which enables
# and starts vswap.service.
s=$(share vswap-install)
mods=$(ls "$deb_dir"/vswap-modules-"$krel"_*.deb)
ctl=$(ls "$deb_dir"/vswapctl_*.deb)
cp "$mods" "$ctl" "$s/"
cat >"$s/run.sh" <<EOF
#!/bin/sh
set -ex
export DEBIAN_FRONTEND=noninteractive
apt-get install -y ./$(basename "$mods")
apt-get install -y ./$(basename "$ctl")
modinfo -F filename vswap
systemctl is-enabled vswap.service
systemctl is-active vswap.service
grep '^/dev/vswap0 ' /proc/swaps
test -f /usr/share/man/man8/vswapctl.8.gz
test -f /usr/share/bash-completion/completions/vswapctl
EOF
chmod +x "$s/run.sh"
step "3. install: apt install ./$(basename "$mods") ./$(basename "$ctl")"
"$VSWAP_TOP/scripts/image.sh" boot --disk "$work/disk.img" --share "$s" --timeout 900
grep -E '^(Setting up|active|enabled|/dev/vswap0)' "$s/run.log" | sed 's/^/  /' || true

# 4. boot with vswap, twice: vswap.service swaps /dev/vswap0 on before
# swap.target, above the fstab swap partition that backs it; a workload in
# a memory-limited scope swaps through it and verifies its data; vswapctl
# agrees with sysfs; stopping the unit while pages are out swaps off
# cleanly; the kernel logged no warning.
VERIFY=$VSWAP_TOP/tools/vswap-verify/target/release/vswap-verify
[ -x "$VERIFY" ] || die "no $VERIFY: run 'make tools'"
for b in 1 2; do
	s=$(share "vswap-boot$b")
	cp "$VERIFY" "$VSWAP_TOP"/qemu/system/{lib,boot-check}.sh "$s/"
	ln -s boot-check.sh "$s/run.sh"
	step "4.$b boot with vswap: unit, workload, vswapctl, stop while pages are out"
	"$VSWAP_TOP/scripts/image.sh" boot --disk "$work/disk.img" --share "$s" --timeout 900
	sed 's/^/  /' "$s/run.log" | grep -vE '^  \+ (grep|awk|test|cat|!) ' || true
done

# 5. upgrade: the second kernel, its headers and vswap-dkms installed with
# apt while vswap is on: DKMS builds vswap.ko for the new kernel (with
# Debian's rustc-web, the compiler make deb built the kernel with, against
# the Rust crates in its headers) and GRUB boots it, which passes the boot
# check of step 4. The first kernel has no headers: DKMS says so and leaves
# it to its prebuilt module package, which stays installed. DKMS's check
# refuses a rustc other than the kernel's, saying why.
s=$(share upgrade)
cp "$up_kimg" "$up_hdrs" "$dkms_deb" "$s/"
cat >"$s/run.sh" <<EOF
#!/bin/sh
set -ex
export DEBIAN_FRONTEND=noninteractive
grep -q '^/dev/vswap0 ' /proc/swaps
rustc --version
start=\$(date +%s)
apt-get install -y ./$(basename "$up_kimg") ./$(basename "$up_hdrs") ./$(basename "$dkms_deb") >apt.log 2>&1 ||
	{ cat apt.log; exit 1; }
# dpkg's output reaches the log with carriage returns: drop them.
tr -d '\r' <apt.log >apt.txt
cat apt.txt
echo "apt-get install with the DKMS build: \$((\$(date +%s) - start))s"
# The new kernel's initramfs, built with vswap on: initramfs-tools chose
# /dev/vswap0 to resume from (the largest swap), and vswapctl's hook chose
# again: the physical swap partition.
grep -q "I: The initramfs will attempt to resume from /dev/vswap0" apt.txt
grep "I: vswap: /dev/vswap0 cannot hold a hibernation image: the initramfs will resume from UUID=\$(blkid -s UUID -o value /dev/vda3)\$" apt.txt
mkdir -p /tmp/initrd && unmkinitramfs /boot/initrd.img-$up_krel /tmp/initrd
resume_conf=\$(find /tmp/initrd -path '*/conf/conf.d/zz-resume-auto')
cat "\$resume_conf"
grep -qx "RESUME=UUID=\$(blkid -s UUID -o value /dev/vda3)" "\$resume_conf"
dkms status
dkms status -m vswap -k $up_krel | grep -q installed
test -f /lib/modules/$up_krel/updates/dkms/vswap.ko
modinfo -F vermagic /lib/modules/$up_krel/updates/dkms/vswap.ko | grep -q '^$up_krel '
test -f /lib/modules/$krel/updates/vswap.ko
test -f /boot/vmlinuz-$up_krel
grep -m1 "menuentry .*$up_krel" /boot/grub/grub.cfg
# Another rustc than the kernel's: the build is refused, and says why.
mkdir -p /tmp/other-rustc
printf '#!/bin/sh\\necho "rustc 1.0.0 (other)"\\n' >/tmp/other-rustc/rustc
chmod +x /tmp/other-rustc/rustc
if PATH=/tmp/other-rustc:\$PATH sh /usr/src/vswap-*/vswap-dkms-check /lib/modules/$up_krel/build 2>check.err; then
	echo "vswap-dkms-check accepted another rustc" >&2
	exit 1
fi
cat check.err
grep -q "rustc is 'rustc 1.0.0 (other)', the kernel was built with 'rustc " check.err
EOF
chmod +x "$s/run.sh"
step "5. upgrade: apt install ./$(basename "$up_kimg") ./$(basename "$up_hdrs") ./$(basename "$dkms_deb") (DKMS builds vswap.ko under TCG)"
"$VSWAP_TOP/scripts/image.sh" boot --disk "$work/disk.img" --share "$s" --timeout 3600
grep -E '^(Setting up|Found linux image|apt-get install with|vswap[,/]|vswap-dkms|rustc |vswap: cannot|I: (The initramfs|vswap)|RESUME=)' "$s/run.log" | sed 's/^/  /' || true
s=$(share upgrade-boot)
cp "$VERIFY" "$VSWAP_TOP"/qemu/system/{lib,boot-check}.sh "$s/"
cat >"$s/run.sh" <<EOF
#!/bin/sh
set -ex
test "\$(uname -r)" = $up_krel
modinfo -F filename vswap | grep -qx /lib/modules/$up_krel/updates/dkms/vswap.ko
exec ./boot-check.sh
EOF
chmod +x "$s/run.sh"
step "5. boot the upgraded kernel $up_krel with vswap (its module from DKMS)"
"$VSWAP_TOP/scripts/image.sh" boot --disk "$work/disk.img" --share "$s" --timeout 900
# Its initramfs resumes from the physical swap, which it finds at once: no
# wait for a device that only appears once the module is loaded.
blog=$(ls -t "$VSWAP_CACHE"/image/boot-*.log | head -n 1)
! grep -q "Gave up waiting for suspend/resume device" "$blog" ||
	die "the upgraded kernel's initramfs waited for a resume device ($blog)"
grep -E '^(\+ test|vswap-verify|/dev/vswap0|/dev/vda3)' "$s/run.log" | sed 's/^/  /' || true

# 6. removal: the module package while vswap holds pages (swapped off
# first), vswapctl purged while vswap holds pages (the unit stopped first),
# and nothing left behind.
s=$(share remove)
cp "$VERIFY" "$up_mods" "$VSWAP_TOP"/qemu/system/{lib,remove-check}.sh "$s/"
ln -s remove-check.sh "$s/run.sh"
step "6. removal: apt remove of vswap-dkms and purge of vswapctl while pages are out"
"$VSWAP_TOP/scripts/image.sh" boot --disk "$work/disk.img" --share "$s" --timeout 900
grep -E '^(vswap-verify|Removing|Purging|vswap-modules|vswap-dkms|vswapctl:)' "$s/run.log" | sed 's/^/  /' || true
step "test-system passed in $(( $(date +%s) - t0 ))s"
