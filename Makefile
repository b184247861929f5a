# SPDX-License-Identifier: GPL-2.0
#
# vswap: a virtual swap layer for Linux, as a Rust-for-Linux module plus a
# small kernel series. Two commands do everything, including set-up:
#
#   make run    boot the patched kernel in QEMU, load vswap, swap under pressure, show it
#   make test   every test: host (cargo test) and guest (QEMU) suites, but the
#               long measurements marked "# suite: long" (make test-long)
#
# Other targets: setup kernel module tools check host-test guest-test
# test-one TEST=<name> test-long test-splat test-kasan soak check-series bench image test-system clean. The kernel build lives in $(VSWAP_CACHE).

VSWAP_CACHE ?= $(HOME)/.cache/vswap
export VSWAP_CACHE
KDIR ?= $(VSWAP_CACHE)/build
KSRC ?= $(VSWAP_CACHE)/src/linux
LLVM ?= -19
export LIBCLANG_PATH ?= /usr/lib/llvm$(LLVM)/lib
export PATH := $(HOME)/.cargo/bin:$(VSWAP_CACHE)/venv/bin:$(PATH)

KMAKE = $(MAKE) -C $(KDIR) M=$(CURDIR) LLVM=$(LLVM)
RUST_SRCS = $(wildcard rust/*.rs)
VERIFY = tools/vswap-verify/target/release/vswap-verify
# The kernel's own zswap selftest, built from the patched tree for the guest
# (tools/test-zswap/test_zswap_select.c: the same tests, some can be left out).
KSELFTEST_DIR = $(KSRC)/tools/testing/selftests/cgroup
TEST_ZSWAP = tools/test-zswap/test_zswap

.PHONY: all setup kernel module tools kselftest host-test guest-test splat-check test test-long test-one test-splat test-kasan soak \
	run bench check check-series fmt clean dkms dkms-install deb image test-system

all: module tools

setup:
	@scripts/setup.sh

kernel: setup
	@scripts/build-kernel.sh

# The test suite's module: with the test-only parameters (Kbuild, VSWAP_TEST).
module: kernel
	@echo "[vswap] building vswap.ko (test build)"
	@$(KMAKE) VSWAP_TEST=1 modules

tools:
	@cargo build --quiet --release --locked --manifest-path tools/vswap-verify/Cargo.toml
	@cargo build --quiet --release --locked --manifest-path tools/vswapctl/Cargo.toml

# Static, so that it runs in the guest whatever its libc.
kselftest: kernel
	@mkdir -p $(dir $(TEST_ZSWAP))
	@gcc -static -O2 -Wall -I $(KSELFTEST_DIR) -I $(KSELFTEST_DIR)/lib/include \
		-I $(KSELFTEST_DIR)/.. $(CURDIR)/$(TEST_ZSWAP)_select.c \
		$(KSELFTEST_DIR)/lib/cgroup_util.c -o $(CURDIR)/$(TEST_ZSWAP)

host-test: setup tools
	@echo "[vswap] host tests (cargo test)"
	@cargo test --quiet --locked --manifest-path rust/host/Cargo.toml
	@cargo test --quiet --locked --manifest-path tools/vswapctl/Cargo.toml
	@scripts/check-systemd.sh

guest-test: module tools kselftest dkms
	@qemu/run.sh

test: host-test guest-test splat-check

# Part of make test: a broken run must fail, and for the right reason. Each
# case is one guest boot of 02-splat-detection (see its header): a splat in a
# test, a splat in the harness's cleanup, an undeclared skip, a runner that
# dies before reporting.
SPLAT_CASES = load:splat.in.dmesg cleanup:splat.in.dmesg skip:does.not.declare vanish:printed.no.summary
splat-check: module tools
	@set -e; for c in $(SPLAT_CASES); do \
		case=$${c%%:*} want=$${c#*:}; \
		log=$(VSWAP_CACHE)/logs/splat-check-$$case.log; \
		if VSWAP_SPLAT_SELFTEST=$$case qemu/run.sh 02-splat-detection >$$log 2>&1; then \
			echo "[vswap] ERROR: splat check '$$case': the broken run passed (log: $$log)"; exit 1; \
		elif ! grep -q "$$want" $$log; then \
			echo "[vswap] ERROR: splat check '$$case': the run failed, but not with '$$want' (log: $$log)"; exit 1; \
		fi; \
		echo "[vswap] splat check '$$case': the run failed as it must ($$(grep -m1 -o "$$want" $$log))"; \
	done

# The benchmarks, stock swap against vswap on a non-debug kernel of the same
# series (built and cached on first use); writes Documentation/benchmarks.rst.
# Not part of make test.
bench:
	@scripts/bench.sh

# A long randomized soak through vswap (qemu/guest/soak.sh): SOAK_MINUTES
# (120), SOAK_PROCS (4) workers of SOAK_MIB (24) MiB. Not part of make test.
SOAK_MINUTES ?= 120
SOAK_PROCS ?= 4
SOAK_MIB ?= 24
soak: module tools
	@VSWAP_SOAK_MINUTES=$(SOAK_MINUTES) VSWAP_SOAK_PROCS=$(SOAK_PROCS) VSWAP_SOAK_MIB=$(SOAK_MIB) \
		VSWAP_TEST_LIMIT=$$(( $(SOAK_MINUTES) * 60 + 900 )) VSWAP_TIMEOUT=$$(( $(SOAK_MINUTES) * 60 + 1800 )) \
		qemu/run.sh --soak

# The guest suite on the kasan kernel (KASAN, UBSAN, fault injection; built
# and cached on first use, about 30 minutes cold). Not part of make test.
# make test-kasan TESTS="04 23" runs some tests only.
test-kasan: tools kselftest
	@scripts/test-kasan.sh $(TESTS)

# The module as a DKMS package, built by dkms against the cached kernel
# (make dkms); installed for a kernel of this machine (make dkms-install,
# root; KERNELRELEASE, KSRCDIR).
dkms: kernel
	@scripts/dkms.sh

dkms-install:
	@scripts/dkms.sh install

# Debian packages of the patched kernel (scripts/deb.sh; DEB_CONFIG=FILE).
deb:
	@scripts/deb.sh

# A Debian system on a disk image (debootstrap from the machine's archive,
# ext4 root and a swap partition in its fstab; cached by its inputs in
# $(VSWAP_CACHE)/image), booted once with systemd as PID 1 on the cached
# kernel to check that it comes up: the base of the real-system tests.
image: kernel
	@scripts/image.sh check $(VSWAP_CACHE)/build/arch/x86/boot/bzImage

# vswap on a real Debian system (scripts/test-system.sh): the image above,
# the patched kernel installed with apt, booted from the disk by GRUB.
test-system: tools
	@scripts/test-system.sh

# The guest tests marked "# suite: long": measurements too long for make test
# (36-reclaim-cost: global pressure of 1.1x the guest's memory, profiled).
test-long: module tools kselftest
	@qemu/run.sh $$(grep -l '^# suite: long' qemu/guest/tests/*.sh | xargs -n1 basename | sed 's/\.sh$$//')

# One guest test alone: make test-one TEST=39-stock-swap
test-one: module tools kselftest
	@qemu/run.sh $(TEST)

# Show that a splat fails the run: this target is expected to FAIL.
test-splat: module tools
	@VSWAP_SPLAT_SELFTEST=load qemu/run.sh 02-splat-detection

run: module tools
	@qemu/run.sh --main

fmt:
	@rustfmt --edition 2021 --config-path .rustfmt.toml $(RUST_SRCS)
	@cargo fmt --manifest-path rust/host/Cargo.toml
	@cargo fmt --manifest-path tools/vswap-verify/Cargo.toml
	@cargo fmt --manifest-path tools/vswapctl/Cargo.toml

check: kernel
	@scripts/check.sh

# Each patch of the series builds on its own (about 5 minutes).
check-series: kernel
	@scripts/check-series.sh

clean:
	@[ ! -d $(KDIR) ] || $(KMAKE) clean
	@cargo clean --quiet --manifest-path rust/host/Cargo.toml
	@cargo clean --quiet --manifest-path tools/vswap-verify/Cargo.toml
	@cargo clean --quiet --manifest-path tools/vswapctl/Cargo.toml
	@rm -f $(TEST_ZSWAP)
