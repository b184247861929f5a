#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the patched kernel into $VSWAP_CACHE/build (outside the repo).
#
# The build is keyed by a hash of the source version, patches/, the config
# fragments in qemu/, this script and the tool versions: with an unchanged key
# this script costs a second. When the key changes, the series is updated in
# place (scripts/kernel-source.sh) and an incremental make rebuilds what the
# change touched.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

FRAGMENTS="kernel/configs/kvm_guest.config"
# VSWAP_KERNEL (scripts/lib.sh) picks the configuration and the build
# directory: debug (the tests), kasan (make test-kasan), bench (make bench),
# pristine (make bench's baseline: the bench configuration without the series)
# or system (make deb, make test-system: bench's, with Debian's rustc).
LOCAL_FRAGMENTS="$VSWAP_TOP/qemu/base.config"
for f in $KERNEL_FRAGMENTS; do LOCAL_FRAGMENTS="$LOCAL_FRAGMENTS $VSWAP_TOP/qemu/$f"; done
# The pristine kernel has no option of the series (CONFIG_VSWAP_*).
pristine_filter() {
	if [ "$VSWAP_KERNEL" = pristine ]; then grep -v '^CONFIG_VSWAP_'; else cat; fi
}
JOBS=${JOBS:-$(nproc)}
KMAKE=(make -C "$KSRC" O="$KBUILD" LLVM="$LLVM_SUFFIX" -j"$JOBS")
if [ "$KRUSTC" != rustc ]; then
	# Debian's packaged rustc (VSWAP_KERNEL=system).
	use_debian_rustc
	KMAKE+=(RUSTC="$KRUSTC" HOSTRUSTC="$KRUSTC")
fi

tool_versions() {
	clang$LLVM_SUFFIX --version | head -n1
	$KRUSTC --version
	bindgen --version
	cat "$VSWAP_CACHE/kernel-deb"
}

key=$({ tool_versions
	echo "$VSWAP_KERNEL"
	# Relative paths: a clone elsewhere has the same key.
	# The pristine kernel does not depend on the series.
	cd "$VSWAP_TOP" && sha256sum $([ "$VSWAP_KERNEL" = pristine ] || echo patches/*) \
		qemu/base.config $(printf 'qemu/%s ' $KERNEL_FRAGMENTS) \
		scripts/build-kernel.sh scripts/kernel-source.sh
      } | sha256sum | cut -c1-16)

if [ -f "$KBUILD/.vswap-key" ] && [ "$(cat "$KBUILD/.vswap-key")" = "$key" ] &&
   [ -f "$KBUILD/arch/x86/boot/bzImage" ] && [ -f "$KBUILD/Module.symvers" ]; then
	step "kernel up to date ($KBUILD, key $key)"
	exit 0
fi

# The pristine kernel is built from the extracted source, which
# kernel-source.sh prepares along with the patched tree (told which tree is
# the patched one: never the pristine).
VSWAP_KERNEL=$([ "$VSWAP_KERNEL" = pristine ] && echo bench || echo "$VSWAP_KERNEL") \
	"$VSWAP_TOP/scripts/kernel-source.sh"
mkdir -p "$KBUILD"
rm -f "$KBUILD/.vswap-key"

log=$VSWAP_CACHE/logs/kernel-config.log
step "rustavailable check"
run_logged "$log" "${KMAKE[@]}" rustavailable

step "configuring $VSWAP_KERNEL kernel (x86_64_defconfig + $FRAGMENTS + qemu/base.config + qemu/{${KERNEL_FRAGMENTS// /,}})"
run_logged "$log" "${KMAKE[@]}" x86_64_defconfig
{
	for f in $FRAGMENTS; do cat "$KSRC/$f"; done
	# Strip trailing comments: Kconfig would read them as part of the value.
	sed -e 's/[[:space:]]*#.*$//' -e '/^$/d' $LOCAL_FRAGMENTS | pristine_filter
} >>"$KBUILD/.config"
run_logged "$log" "${KMAKE[@]}" olddefconfig

# Every fragment line must survive; "# required" ones are fatal.
missing=0
while read -r line; do
	opt=${line%%=*}
	val=$(sed -e 's/[[:space:]]*#.*$//' <<<"${line#*=}")
	if [ "$val" = n ]; then
		grep -q "^$opt=" "$KBUILD/.config" || continue
	else
		grep -qx "$opt=$val" "$KBUILD/.config" && continue
	fi
	if [[ $line == *"# required"* ]]; then
		warn "$opt=$val did not stick (got: $(grep "^$opt=" "$KBUILD/.config" || echo unset))"
		missing=1
	else
		warn "$opt=$val did not stick; continuing"
	fi
done < <(grep -h '^CONFIG_' $LOCAL_FRAGMENTS | pristine_filter)
if [ "$missing" = 1 ]; then
	grep -q '^CONFIG_RUST=y' "$KBUILD/.config" ||
		warn "CONFIG_RUST dropped: check 'make LLVM=$LLVM_SUFFIX rustavailable', MODVERSIONS, RANDSTRUCT, BTF"
	die "required kernel options missing from $KBUILD/.config"
fi

# The build, with a progress line every 30 seconds instead of compiler noise.
log=$VSWAP_CACHE/logs/kernel-build.log
last=$(cat "$VSWAP_CACHE/.kernel-build-steps-$VSWAP_KERNEL" 2>/dev/null || echo 0)
step "building the kernel with $JOBS jobs (log: $log)"
start=$(date +%s)
"${KMAKE[@]}" all >"$log" 2>&1 &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
	sleep 30 &
	wait $! || true
	kill -0 "$pid" 2>/dev/null || break
	n=$(grep -cE '^  (CC|RUSTC|AS|LD|AR|BINDGEN|HOSTCC)' "$log" || true)
	cur=$(grep -E '^  [A-Z]' "$log" | tail -n1 | awk '{print $NF}')
	if [ "$last" -gt 0 ]; then
		step "kernel build: $n of ~$last steps ($((n * 100 / last))%), $(( $(date +%s) - start ))s, at $cur"
	else
		step "kernel build: $n steps, $(( $(date +%s) - start ))s, at $cur"
	fi
done
if ! wait "$pid"; then
	grep -E 'error|Error' "$log" | head -n 20 >&2 || true
	tail -n 30 "$log" >&2
	die "kernel build failed; full log: $log"
fi
n=$(grep -cE '^  (CC|RUSTC|AS|LD|AR|BINDGEN|HOSTCC)' "$log" || true)
[ "$n" -gt "$last" ] && echo "$n" >"$VSWAP_CACHE/.kernel-build-steps-$VSWAP_KERNEL"

grep -q '^CONFIG_RUST=y' "$KBUILD/.config" || die "CONFIG_RUST is not set in $KBUILD/.config"
[ -f "$KBUILD/Module.symvers" ] || die "no Module.symvers in $KBUILD"

# Modules for this kernel are built with its rustc (module_for_kernel).
command -v "$KRUSTC" >"$KBUILD/.vswap-rustc"
echo "$key" >"$KBUILD/.vswap-key"
step "kernel ready: $KBUILD/arch/x86/boot/bzImage ($(( $(date +%s) - start ))s)"
