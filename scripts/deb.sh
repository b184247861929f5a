#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make deb [DEB_CONFIG=FILE]: installable Debian packages (linux-image,
# linux-headers) of the patched 7.2 kernel, built by the kernel's own
# bindeb-pkg, and vswapctl and the module for that kernel
# (scripts/pkg-vswap.sh), in $VSWAP_CACHE/deb/. DEB_LOCALVERSION=-SUFFIX
# (with the project's configuration) packages another build of the same
# kernel, its release suffixed, into $VSWAP_CACHE/deb-SUFFIX/: an upgrade.
#
# The configuration: DEB_CONFIG if given ("project": the project's own),
# else the running Debian kernel's /boot/config-$(uname -r) if there is
# one, else the project's non-debug one (qemu/base.config +
# qemu/bench.config, built with Debian's packaged rustc: VSWAP_KERNEL=system,
# so that DKMS on a Debian system can build modules for it). A given or running config gets the options of
# qemu/base.config marked "# required" (Rust, zswap, the vswap backend...)
# and Debian's signing keys cleared, and is built in $VSWAP_CACHE/build-deb
# (a full build: about 20 minutes on 2 cores for defconfig-sized configs,
# much longer for a distribution config); the build stops if a required
# option does not survive olddefconfig.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$VSWAP_TOP"

# What bindeb-pkg's debian/control asks for, from Debian's archive.
need=()
for p in dpkg-dev debhelper libdw-dev; do
	dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
	step "installing ${need[*]} (for bindeb-pkg)"
	$sudo apt-get install -y --no-install-recommends "${need[@]}" >"$VSWAP_CACHE/logs/deb-apt.log" 2>&1 ||
		{ tail -n 20 "$VSWAP_CACHE/logs/deb-apt.log"; die "apt-get install ${need[*]} failed"; }
fi
cfg=${DEB_CONFIG:-}
[ -n "$cfg" ] || [ ! -f "/boot/config-$(uname -r)" ] || cfg=/boot/config-$(uname -r)
[ "$cfg" = project ] && cfg=
[ -z "${DEB_LOCALVERSION:-}" ] || [ -z "$cfg" ] ||
	die "DEB_LOCALVERSION goes with the project's configuration only (DEB_CONFIG=project)"
"$VSWAP_TOP/scripts/setup.sh"
JOBS=${JOBS:-$(nproc)}
# krust: the rustc that built $KBUILD, for every make run on it.
krust() {
	KRUST=()
	[ -f "$KBUILD/.vswap-rustc" ] && KRUST=(RUSTC="$(cat "$KBUILD/.vswap-rustc")" HOSTRUSTC="$(cat "$KBUILD/.vswap-rustc")")
	return 0
}

if [ -z "$cfg" ]; then
	export VSWAP_KERNEL=system
	. "$VSWAP_TOP/scripts/lib.sh"
	"$VSWAP_TOP/scripts/build-kernel.sh"
	what="the project's non-debug configuration (qemu/base.config + qemu/bench.config, Debian's rustc)"
	krust
	if [ -n "${DEB_LOCALVERSION:-}" ]; then
		# Another build of the same kernel, its release suffixed (an
		# upgrade, for make test-system): a copy of that build,
		# rebuilt incrementally with LOCALVERSION, packaged on its own.
		[[ $DEB_LOCALVERSION =~ ^-[a-z0-9.+]+$ ]] || die "DEB_LOCALVERSION=$DEB_LOCALVERSION: want -[a-z0-9.+]+"
		copy=$VSWAP_CACHE/build-deb$DEB_LOCALVERSION
		step "a copy of the $VSWAP_KERNEL build for LOCALVERSION=$DEB_LOCALVERSION in $copy"
		mkdir -p "$copy"
		rsync -a --delete "$KBUILD/" "$copy/"
		KBUILD=$copy
		run_logged "$VSWAP_CACHE/logs/deb-localversion.log" \
			make -C "$KSRC" O="$KBUILD" LLVM="$LLVM_SUFFIX" -j"$JOBS" "${KRUST[@]}" \
			LOCALVERSION="$DEB_LOCALVERSION"
		what+=", LOCALVERSION=$DEB_LOCALVERSION"
	fi
else
	[ -f "$cfg" ] || die "DEB_CONFIG=$cfg: no such file"
	export VSWAP_KERNEL=deb
	. "$VSWAP_TOP/scripts/lib.sh"
	"$VSWAP_TOP/scripts/kernel-source.sh"
	# Debian's rustc, as for the project's configuration: DKMS on the
	# system that installs these packages can then build modules for it.
	use_debian_rustc
	key=$({ cat "$cfg"; "$KRUSTC" --version; sha256sum patches/* qemu/base.config scripts/deb.sh; } |
		sha256sum | cut -c1-16)
	mkdir -p "$KBUILD"
	KMAKE=(make -C "$KSRC" O="$KBUILD" LLVM="$LLVM_SUFFIX" -j"$JOBS" RUSTC="$KRUSTC" HOSTRUSTC="$KRUSTC")
	if [ "$(cat "$KBUILD/.vswap-key" 2>/dev/null)" != "$key" ]; then
		rm -f "$KBUILD/.vswap-key"
		cp "$cfg" "$KBUILD/.config"
		# Debian's configs name certificates that only its build has.
		"$KSRC/scripts/config" --file "$KBUILD/.config" --set-str SYSTEM_TRUSTED_KEYS "" \
			--set-str SYSTEM_REVOCATION_KEYS "" --disable MODULE_SIG_ALL
		sed -e 's/[[:space:]]*#.*$//' -e '/^$/d' qemu/base.config >>"$KBUILD/.config"
		log=$VSWAP_CACHE/logs/deb-config.log
		run_logged "$log" "${KMAKE[@]}" olddefconfig
		while read -r line; do
			opt=${line%%=*} val=$(sed -e 's/[[:space:]]*#.*$//' <<<"${line#*=}")
			grep -qx "$opt=$val" "$KBUILD/.config" ||
				die "$opt=$val does not survive olddefconfig with $cfg (got: $(grep "^$opt=" "$KBUILD/.config" || echo unset)); for CONFIG_RUST see 'make LLVM=$LLVM_SUFFIX rustavailable', MODVERSIONS (needs GENDWARFKSYMS), RANDSTRUCT"
		done < <(grep -h '^CONFIG_.*# required' qemu/base.config)
		step "building the kernel from $cfg in $KBUILD (log: $VSWAP_CACHE/logs/deb-build.log)"
		run_logged "$VSWAP_CACHE/logs/deb-build.log" "${KMAKE[@]}"
		echo "$KRUSTC" >"$KBUILD/.vswap-rustc"
		echo "$key" >"$KBUILD/.vswap-key"
	fi
	what="$cfg with the options vswap requires"
fi

# headers_add_rust DEB: the headers package of a Rust-enabled kernel, with
# what an out-of-tree Rust module builds against. bindeb-pkg's headers
# (scripts/package/install-extmod-build) carry the C side only; a Rust
# module also needs the kernel's crates (rust/*.rmeta: core, kernel,
# pin_init, ...), its proc macros (rust/*.so), which only the rustc that
# built them can read, and the generated files its macros include
# (rust/kernel/generated_*.rs); DKMS needs the kernel's .config. Without them DKMS
# cannot build vswap.ko.
headers_add_rust() {
	local deb=$1 t dir
	grep -q '^CONFIG_RUST=y' "$KBUILD/.config" || return 0
	t=$(mktemp -d)
	dpkg-deb -R "$deb" "$t/pkg"
	dir=$t/pkg/usr/src/linux-headers-$krel
	[ -d "$dir" ] || die "$deb has no /usr/src/linux-headers-$krel"
	mkdir -p "$dir/rust/kernel"
	cp "$KBUILD"/rust/*.rmeta "$KBUILD"/rust/*.so "$dir/rust/"
	# The kernel crate's macros include!() these from $OBJTREE in the
	# module that expands them (warn_on!, static branches).
	cp "$KBUILD"/rust/kernel/generated_*.rs "$dir/rust/kernel/"
	# And the kernel's .config, as Debian's own headers packages carry it:
	# DKMS reads it (BUILD_EXCLUSIVE_CONFIG, the clang of
	# CONFIG_CLANG_VERSION), and so does vswap-dkms-check
	# (CONFIG_RUSTC_VERSION_TEXT).
	cp "$KBUILD/.config" "$dir/.config"
	[ -f "$dir/scripts/target.json" ] || die "$deb has no scripts/target.json"
	# md5sums: the added files too.
	(cd "$t/pkg" && find usr -type f -print0 | LC_ALL=C sort -z | xargs -0 md5sum) >"$t/pkg/DEBIAN/md5sums"
	sed -i "s/^Installed-Size: .*/Installed-Size: $(du -sk --exclude=DEBIAN "$t/pkg" | cut -f1)/" "$t/pkg/DEBIAN/control"
	run_logged "$VSWAP_CACHE/logs/deb-headers-rust.log" dpkg-deb --root-owner-group -Zxz --build "$t/pkg" "$deb"
	rm -rf "$t"
	step "$(basename "$deb"): the kernel's Rust crates, proc macros and .config added (rust/*.rmeta, rust/*.so, rust/kernel/generated_*.rs)"
}

krust
krel=$(cat "$KBUILD/include/config/kernel.release")
out=$VSWAP_CACHE/deb${DEB_LOCALVERSION:-}
# bindeb-pkg leaves its packages next to the build directory.
parent=$(dirname "$KBUILD")
rm -f "$parent"/linux-*.deb "$parent"/linux-upstream_*.buildinfo "$parent"/linux-upstream_*.changes
log=$VSWAP_CACHE/logs/deb-pkg.log
step "bindeb-pkg for $krel from $what (log: $log)"
run_logged "$log" make -C "$KSRC" O="$KBUILD" LLVM="$LLVM_SUFFIX" -j"$JOBS" "${KRUST[@]}" \
	${DEB_LOCALVERSION:+LOCALVERSION="$DEB_LOCALVERSION"} KDEB_PKGVERSION="$krel-vswap1" bindeb-pkg
rm -rf "$out"
mkdir -p "$out"
mv "$parent"/linux-*.deb "$out/"
rm -f "$parent"/linux-upstream_*.buildinfo "$parent"/linux-upstream_*.changes
ls "$out"/linux-image-"$krel"_*.deb >/dev/null 2>&1 || die "no linux-image package in $out"
ls "$out"/linux-headers-"$krel"_*.deb >/dev/null 2>&1 || die "no linux-headers package in $out"
# The image must be this kernel with the series: its config says so.
img=$(ls "$out"/linux-image-"$krel"_*.deb | grep -v dbg | head -n1)
img_config=$(dpkg-deb --fsys-tarfile "$img" | tar -xO "./boot/config-$krel")
grep -qx 'CONFIG_VSWAP_BACKEND=y' <<<"$img_config" || die "$img: its config lacks CONFIG_VSWAP_BACKEND=y"
hdr=$(ls "$out"/linux-headers-"$krel"_*.deb)
headers_add_rust "$hdr"
echo "$KBUILD" >"$out/build-dir"
# vswapctl and the module for this kernel, as packages of their own.
"$VSWAP_TOP/scripts/pkg-vswap.sh" "$KBUILD" "$krel" "$out"
step "packages in $out:"
ls -l "$out"/*.deb

# Smoke run: the packaged vmlinuz boots in the guest, with vswap.ko built
# against the same tree, and passes the module and vswapctl tests.
[ "${DEB_SMOKE:-1}" = 1 ] || exit 0
img_dir=$VSWAP_CACHE/deb/image
rm -rf "$img_dir"
dpkg-deb -x "$img" "$img_dir"
vmlinuz=$img_dir/boot/vmlinuz-$krel
[ -f "$vmlinuz" ] || die "$img has no /boot/vmlinuz-$krel"
module_for_kernel test
step "booting the packaged $(basename "$vmlinuz") (smoke run: 01-module-load 28-vswapctl)"
VSWAP_KIMAGE=$vmlinuz VSWAP_MODULE=$MODULE_DIR/vswap.ko "$VSWAP_TOP/qemu/run.sh" 01-module-load 28-vswapctl
step "the packaged kernel boots and passes the smoke run"
