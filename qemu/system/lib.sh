# SPDX-License-Identifier: GPL-2.0
# Helpers of the make test-system scripts (sourced from the host's share,
# where vswap-verify sits beside them). POSIX sh: the image runs them with
# Debian's /bin/sh.

# none CMD...: CMD must fail (set -e ignores a command negated with !).
none() { if "$@"; then echo "unexpected: $*" >&2; exit 1; fi; }

# verified LABEL ARGS...: vswap-verify with ARGS in a 64 MiB scope; its
# result must be a pass with 0 mismatched pages (its output in LABEL.out).
verified() {
	label=$1
	shift
	systemd-run --scope -q -p MemoryMax=64M ./vswap-verify --label "$label" "$@" | tee "$label.out"
	grep -q 'mismatched_pages=0 ' "$label.out"
	grep -q 'result=PASS' "$label.out"
}

# while_pages_out LABEL CMD: 96 MiB of a workload swapped out, CMD run while
# they are out, then read back: intact.
while_pages_out() {
	verified "$1" --mib 96 --pattern compressible --pageout --min-swapped-pct 50 \
		--exec-after-swapout "$2"
}

# vswap_gone: /dev/vswap0 swapped off and the module unloaded.
vswap_gone() {
	none grep -q '^/dev/vswap0 ' /proc/swaps
	none grep -q '^vswap ' /proc/modules
}
