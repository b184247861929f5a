#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the runs of `make bench` (bench.jsonl, one JSON object per run) into a
results file and a reStructuredText report with ratios vswap/stock.

  bench-report.py RUNS.jsonl META.json OUT.json OUT.rst [PLOT.svg]

With PLOT.svg, scale.svg beside it plots the scaling workloads (swapoff
against processes and against data), and growth.svg the growth workloads
(free latency against the region, kernel memory per page against the
pages), if the runs have them.

For each workload and metric: the median over the repetitions of each mode,
the spread (min-max), and the ratio of the medians vswap/stock. Throughputs
are "higher is better", times "lower is better"; the report says which. The
plot is drawn only if matplotlib can be imported.
"""
import json
import os
import statistics
import sys

# workload -> [(metric, unit, better, function of the run's result)]
def _mibps(key):
    return lambda r: r["mib"] / r[key] if r[key] > 0 else float("nan")


def _pct(part, whole):
    """100 * part / whole of two load rates; nan where either is unknown (-1)."""
    return 100.0 * part / whole if whole > 0 and part >= 0 else float("nan")


def _load_share(r):
    """The load's throughput during the swapoff as a percentage of its throughput before it
    (vswap-soak --progress); nan for runs without it or whose load was killed."""
    return _pct(r.get("load_rate_during", -1), r.get("load_rate_before", -1))


# A swapoff-load run's rate, and the name under which load() gives it the
# same rate of its control run (swapoff-load-control: a sleep as long as the
# swapoff instead of it, same mode and repetition).
CONTROL_RATES = {"load_rate_during": "load_rate_control", "load_rate_during_2s": "load_rate_control_2s"}


def _vs_control(key):
    """The load's rate `key` as a percentage of the same rate in its control run: its rate
    "without a swapoff" at the same point of its run. nan without a control or with a
    killed load."""
    return lambda r: _pct(r.get(key, -1), r.get(CONTROL_RATES[key], -1))


# During the swapoff; and over the window stretched to at least 2 s from its start (the
# load reports progress once per operation, up to 12 MiB: a shorter window holds one or two).
_load_vs_control = _vs_control("load_rate_during")
_load_vs_control_2s = _vs_control("load_rate_during_2s")


def _num(x):
    return float("nan") if x is None else x


def _per_kpage(r):
    """swapoff time per 1000 pages on the device when it began (vswap-bench --procs)."""
    n = r.get("device_pages")
    return 1000.0 * r["swapoff_ms"] / n if n else float("nan")


METRICS = {
    "seq": [
        ("swap-out (fill)", "MiB/s", "higher", _mibps("fill_s")),
        ("swap-in (read)", "MiB/s", "higher", _mibps("read_s")),
        ("MADV_PAGEOUT", "s", "lower", lambda r: r["pageout_s"]),
        ("free (munmap)", "ms", "lower", lambda r: r["free_ms"]),
    ],
    "random": [
        ("fill", "MiB/s", "higher", _mibps("fill_s")),
        ("random access", "s", "lower", lambda r: r["random_s"]),
        ("swap-in (read)", "MiB/s", "higher", _mibps("read_s")),
        ("free (munmap)", "ms", "lower", lambda r: r["free_ms"]),
    ],
    "mthp64": [
        ("swap-out (fill)", "MiB/s", "higher", _mibps("fill_s")),
        ("swap-in (read)", "MiB/s", "higher", _mibps("read_s")),
        ("free (munmap)", "ms", "lower", lambda r: r["free_ms"]),
    ],
    "free-zswap": [
        ("free (munmap), pages in zswap", "ms", "lower", lambda r: r["free_ms"]),
    ],
    "free-disk": [
        ("free (munmap), pages on disk", "ms", "lower", lambda r: r["free_ms"]),
    ],
    "swapoff": [
        ("swapoff of the disk", "ms", "lower", lambda r: r["swapoff_ms"]),
    ],
    "swapoff-load": [
        ("swapoff of the disk", "ms", "lower", lambda r: r["swapoff_ms"]),
        ("OOM kills of the load", "n", "lower", lambda r: r.get("load_oom_kills", 0)),
        ("load's pages/s during swapoff, % of before", "%", "higher", _load_share),
        ("load's pages/s during swapoff, % of control", "%", "higher", _load_vs_control),
        ("load's pages/s, 2 s from swapoff's start, % of control", "%", "higher", _load_vs_control_2s),
    ],
    # The same runs with a sleep instead of the swapoff (see _load_vs_control).
    "swapoff-load-control": [
        ("OOM kills of the load", "n", "lower", lambda r: r.get("load_oom_kills", 0)),
        ("load's pages/s in the window, % of before", "%", "higher", _load_share),
    ],
    # The swapoff-load's load by itself, no swapoff: how often it dies at its limit on its own.
    "load-alone": [
        ("OOM kills of the load", "n", "lower", lambda r: r.get("events_oom_kill", 0)),
        ("pages the load swapped in, 40 s", "pages", "higher", lambda r: r["pswpin"]),
    ],
    "redis": [
        ("SET, 2.3x the limit", "req/s", "higher", lambda r: r["set_rps"]),
        ("GET, random keys", "req/s", "higher", lambda r: r["get_rps"]),
    ],
    "metadata-zswap": [
        ("slab+vmalloc+percpu+vtable per page", "B", "lower", lambda r: _per_page(r, KMEM_EXACT)),
    ],
    "metadata-disk": [
        ("slab+vmalloc+percpu+vtable per page", "B", "lower", lambda r: _per_page(r, KMEM_EXACT)),
    ],
    # Counted work (vswap-bench --cost): instructions under the icount pass.
    "cost-zswap": [
        ("swap-out to zswap", "insn/page", "lower", lambda r: _cost(r, "swapout_ns", "floor_ns", "swapped_pages")),
        ("swap-in from zswap", "insn/page", "lower",
         lambda r: _cost(r, "swapin_ns", "resident_read_ns", "swapped_pages")),
        ("free, pages in zswap", "insn/page", "lower", lambda r: _cost(r, "free_ns", "floor_ns", "swapped2_pages")),
    ],
    "cost-disk": [
        ("swap-out to disk", "insn/page", "lower", lambda r: _cost(r, "swapout_ns", "floor_ns", "swapped_pages")),
        ("swap-in from disk", "insn/page", "lower",
         lambda r: _cost(r, "swapin_ns", "resident_read_ns", "swapped_pages")),
        ("free, pages on disk", "insn/page", "lower", lambda r: _cost(r, "free_ns", "floor_ns", "swapped2_pages")),
    ],
    "cost-swapoff": [
        ("swapoff of the disk", "insn/page", "lower", lambda r: _cost(r, "swapoff_ns", "floor_ns", "swapped2_pages")),
    ],
    # Scaling (run_scale): swapoff of the disk per number of processes holding
    # the pages (swapoff-procs-N) and per MiB of data (swapoff-data-MIB).
    "swapoff-procs-": [
        ("swapoff of the disk", "ms", "lower", lambda r: r["swapoff_ms"]),
        # The reclaim before the swapoff also sends the processes' own pages
        # (stacks, heap) to the disk: the data grows with the processes.
        ("pages on the disk at swapoff", "pages", "lower", lambda r: _num(r.get("device_pages"))),
        ("swapoff per 1000 pages on the disk", "ms", "lower", _per_kpage),
    ],
    "swapoff-data-": [
        ("swapoff of the disk", "ms", "lower", lambda r: r["swapoff_ms"]),
    ],
    # Growth (run_growth): the free's latency per MiB freed (free-*-mib-MIB),
    # and kernel memory per swapped page per MiB swapped out (metadata-*-mib-MIB).
    "free-zswap-mib-": [
        ("free (munmap), pages in zswap", "ms", "lower", lambda r: r["free_ms"]),
    ],
    "free-disk-mib-": [
        ("free (munmap), pages on disk", "ms", "lower", lambda r: r["free_ms"]),
    ],
    "metadata-zswap-mib-": [
        ("slab+vmalloc+percpu+vtable per page", "B", "lower", lambda r: _per_page(r, KMEM_EXACT)),
    ],
    "metadata-disk-mib-": [
        ("slab+vmalloc+percpu+vtable per page", "B", "lower", lambda r: _per_page(r, KMEM_EXACT)),
    ],
    "provision-seq": [
        ("smallest disk that finishes", "MiB", "lower", lambda r: r["disk_mib"]),
    ],
    "provision-random": [
        ("smallest disk that finishes", "MiB", "lower", lambda r: r["disk_mib"]),
    ],
}
# The kinds of kernel memory bench.sh's kmem_kib() reads from /proc/meminfo.
# "other" (pages no line of /proc/meminfo names: swap tables, large kmalloc)
# is what is left of MemTotal; while workloads run it moves by megabytes for
# reasons of its own, so per-page metadata uses the exact kinds only.
KMEM = ["slab", "vmalloc", "percpu", "other"]
KMEM_EXACT = ["slab", "vmalloc", "percpu"]


def _cost(r, key, base, pages):
    """Counted CPU time of one path per page, less what the same run counts
    without it (the floor: pauses and readings; or reading resident pages)."""
    c = r["cost"]
    return (c[key] - c[base]) / c[pages] if c.get(key) is not None and c[pages] else float("nan")


def _per_page(r, kinds):
    """Bytes of kernel memory per swapped page, from two kmem_kib() snapshots, and the vtable
    leaves vswap took meanwhile (whole pages from the page allocator, which no kind of
    kmem_kib() counts; runs before 2026-12-07 did not record them)."""
    kib = sum(r["out"][k] - r["before"][k] for k in kinds)
    return (kib * 1024 + r.get("leaf_bytes", 0)) / r["swapped_pages"] if r["swapped_pages"] else float("nan")
COUNTERS = ["zswpout", "zswpin", "zswpwb", "pswpout", "pswpin", "swap_ra"]


def load(path):
    runs = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                runs.append(json.loads(line))
    # A swapoff-load run carries the load's rate in the same window of its
    # control run (same mode, repetition and kernel).
    ctl = {(r["mode"], r["rep"], r.get("kernel")): r for r in runs
           if r["workload"] == "swapoff-load-control"}
    for r in runs:
        c = ctl.get((r["mode"], r["rep"], r.get("kernel")))
        if r["workload"] == "swapoff-load" and c is not None:
            for key, ctl_key in CONTROL_RATES.items():
                r[ctl_key] = c.get(key, -1)
    return runs


def pressure(r):
    """Where the pressure came from: the memcg limit, or the guest's size."""
    if r["workload"].startswith("cost-"):
        return "counted, %s" % r.get("clock", "CPU ns")
    if r["workload"].startswith(("swapoff-procs-", "swapoff-data-")):
        return "no memcg limit"
    if "-mib-" in r["workload"]:
        return "growth"
    if r.get("limit", "max") == "max":
        return "global, %s guest" % r.get("guest_mem", "?")
    return "memcg %s" % r["limit"]


def summarize(runs):
    # The runs of the no-module pass (a "kernel" field) have their own table.
    runs = [r for r in runs if "kernel" not in r]
    out = []
    for p in sorted({pressure(r) for r in runs}, key=lambda x: (not x.startswith("memcg"), x)):
        out += summarize_one([r for r in runs if pressure(r) == p], p)
    return out


def _scaled(name):
    """The number at the end of a scaling workload's name (swapoff-procs-16: 16)."""
    tail = name.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else -1


def workloads(runs):
    """(workload, metrics) for every workload of the runs, in METRICS order; a
    METRICS key ending in "-" stands for a series (KEY + number), in order."""
    names = {r["workload"] for r in runs}
    out = []
    for key, metrics in METRICS.items():
        if key.endswith("-"):
            series = sorted((n for n in names if n.startswith(key) and _scaled(n) >= 0), key=_scaled)
            out += [(n, metrics) for n in series]
        elif key in names:
            out.append((key, metrics))
    return out


def _measured(fn, runs):
    """The metric `fn` of each run, with the run's own fields beside its result (the load's,
    for swapoff-load); runs that do not measure it (nan: an older run, a killed load) left out."""
    return [x for x in (fn({**r, **r["result"]}) for r in runs) if x == x]


def _spread(vals):
    """Count, median and min-max of a metric's values."""
    return {
        "n": len(vals),
        "median": statistics.median(vals) if vals else None,
        "min": min(vals) if vals else None,
        "max": max(vals) if vals else None,
        "values": vals,
    }


def _cells(d, unit):
    """The median and spread cells of a table row."""
    return [fmt(d["median"], unit), f"{fmt(d['min'], unit)}-{fmt(d['max'], unit)}"]


def summarize_one(runs, label):
    out = []
    for w0, metrics in workloads(runs):
        wr = [r for r in runs if r["workload"] == w0]
        w = "%s (%s)" % (w0, label)
        for name, unit, better, fn in metrics:
            row = {"workload": w, "metric": name, "unit": unit, "better": better}
            for mode in ("stock", "vswap"):
                row[mode] = _spread(_measured(fn, [r for r in wr if r["mode"] == mode]))
            s, v = row["stock"]["median"], row["vswap"]["median"]
            row["ratio"] = v / s if s and v is not None else None
            out.append(row)
        # Counter deltas per run, medians: where the pages went.
        for mode in ("stock", "vswap"):
            deltas = {}
            for c in COUNTERS:
                # Runs that recorded no counters before (the load-alone runs of 2026-12-08 00:11Z,
                # before the harness read them) have no deltas.
                vals = [r["after"][c] - r["before"][c] for r in wr
                        if r["mode"] == mode and c in r["before"]]
                deltas[c] = statistics.median(vals) if vals else None
            out.append({"workload": w, "counters": mode, "medians": deltas})
    return out


def fmt(x, unit):
    if x is None:
        return "-"
    if unit in ("MiB/s", "ms", "B"):
        return f"{x:.1f}"
    if unit in ("req/s", "MiB", "insn/page", "pages"):
        return f"{x:.0f}"
    return f"{x:.2f}"


def idle_rows(runs):
    """The idle cost of an attached, empty /dev/vswap0, per size (vswap only)."""
    out = []
    for r in runs:
        if r["workload"] != "idle":
            continue
        res = r["result"]
        kib = sum(res["after"][k] - res["before"][k] for k in KMEM)
        described = res["pages"] * 4
        out.append({"pages": res["pages"], "attached": res["attached"],
                    "swaps_kib": res.get("swaps_kib", 0), "kib": kib,
                    "pct": 100.0 * kib / described if res["attached"] else None,
                    "error": r.get("error", "")})
    return out


def kernel_rows(runs):
    """The patched kernel with no module loaded against the pristine one (the runs of
    make bench's pass 5, mode stock on each kernel): per path, the medians of each kernel and
    the ratio patched/pristine."""
    out = []
    kr = [r for r in runs if r.get("kernel") in ("pristine", "patched")]
    for w0, metrics in workloads(kr):
        wr = [r for r in kr if r["workload"] == w0]
        for name, unit, better, fn in metrics:
            row = {"workload": w0, "metric": name, "unit": unit}
            for k in ("pristine", "patched"):
                row[k] = _spread(_measured(fn, [r for r in wr if r["kernel"] == k]))
            a, b = row["pristine"]["median"], row["patched"]["median"]
            row["ratio"] = b / a if a and b is not None and a > 0 else None
            out.append(row)
    return out


def rst(meta, rows):
    lines = []
    title = "vswap benchmarks"
    lines += [".. SPDX-License-Identifier: GPL-2.0", "", "=" * len(title), title, "=" * len(title), ""]
    lines += [
        "Generated by ``make bench`` (``scripts/bench.sh``); do not edit by hand.",
        "",
        f"- date: {meta.get('date')}",
        f"- kernel: {meta.get('kernel')} (bench configuration: the series and",
        "  ``qemu/base.config`` without lockdep, DEBUG_VM, kmemleak or KASAN)",
        f"- guest: {meta.get('guest')}",
        f"- accelerator: {meta.get('accel')}",
        f"- repetitions: {meta.get('reps')} per mode, alternating (ABBA) in one boot;",
        f"  region {meta.get('mib')} MiB, memory.max {meta.get('limit')}; the global pass",
        f"  has no memcg limit and a region of {meta.get('global_mib')} MiB",
        f"- boots: {meta.get('boots', 'one boot per pass')}",
    ]
    for date, names in sorted((meta.get("kept_runs") or {}).items()):
        lines += [f"- measured {date}, kept from an earlier report (VSWAP_BENCH_MERGE):",
                  "  " + ", ".join(names)]
    lines += [
        "- stock: zswap (lz4, shrinker on) + a 1 GiB virtio disk as swap, module not loaded;",
        "  vswap: zswap + ``/dev/vswap0`` + the same disk as physical backing",
        "",
        "Ratios are vswap/stock of the medians. For throughputs (MiB/s) higher is",
        "better for vswap above 1; for times (s, ms) lower is better, below 1.",
        "Spreads are min-max over the repetitions. Under TCG absolute figures are",
        "noise and CPU-bound paths are distorted; the ratios are what to read.",
        "What limits each figure, and what TCG cannot speak for: :doc:`bench-notes`.",
        "",
        "Rows \"counted, icount\" count work instead of timing it: a guest of one vCPU",
        "under QEMU's ``-icount shift=0,sleep=off`` (single-threaded TCG), where one",
        "nanosecond of guest time is one instruction. ``vswap-bench --cost`` runs",
        "each path alone and reads the CPU time of every task in the system before",
        "and after it (``/proc/*/task/*/schedstat``, with pauses that let work items",
        "and I/O completions finish), less what the same run counts without the",
        "path (the pauses alone; for swap-in, reading the same pages resident):",
        "instructions per page, user and kernel, of every task. Idle time (waiting",
        "for a disk) is not counted, nor interrupts taken while idle.",
        "",
    ]
    hdr = ["workload", "metric", "stock median", "stock spread", "vswap median",
           "vswap spread", "ratio", "better"]
    table = []
    for r in rows:
        if "metric" not in r:
            continue
        u = r["unit"]
        s, v = r["stock"], r["vswap"]
        if u == "n":
            # Events counted per run (OOM kills): the total says more than a median.
            table.append([
                r["workload"], f"{r['metric']} (total of the runs)",
                f"{sum(s['values']):.0f} in {s['n']}", "-",
                f"{sum(v['values']):.0f} in {v['n']}", "-", "-", r["better"],
            ])
            continue
        table.append([r["workload"], f"{r['metric']} ({u})", *_cells(s, u), *_cells(v, u),
                      "-" if r["ratio"] is None else f"{r['ratio']:.2f}", r["better"]])
    lines += grid(hdr, table)
    lines += ["", "Where the pages went (medians of the per-run deltas of /proc/vmstat):", ""]
    hdr2 = ["workload", "mode"] + COUNTERS
    table2 = []
    for r in rows:
        if "counters" in r:
            table2.append([r["workload"], r["counters"]] +
                          ["-" if r["medians"][c] is None else str(int(r["medians"][c]))
                           for c in COUNTERS])
    lines += grid(hdr2, table2)
    krows = meta.get("kernel_rows") or []
    if krows:
        lines += ["", "The patched kernel with no module loaded against pristine 7.2 (the same",
                  "bench configuration without the series), stock swap on both, counted as",
                  "above (instructions per page under ``-icount``, one vCPU). Ratio",
                  "patched/pristine; a path whose pristine count is at or below 0 (the",
                  "path costs less than the count's noise) has no ratio:", ""]
        table_k = []
        for r in krows:
            a, b = r["pristine"], r["patched"]
            u = r["unit"]
            table_k.append([r["workload"], f"{r['metric']} ({u})", *_cells(a, u), *_cells(b, u),
                            "-" if r["ratio"] is None else f"{r['ratio']:.3f}"])
        lines += grid(["workload", "metric", "pristine median", "pristine spread", "patched median",
                       "patched spread", "ratio"], table_k)
    idle = meta.get("idle") or []
    if idle:
        lines += ["", "Idle cost of an attached, empty ``/dev/vswap0``: kernel memory (slab,",
                  "vmalloc, per-cpu and pages no other line of /proc/meminfo counts) after",
                  "``insmod`` + ``swapon`` against before. It includes loading the module",
                  "(its code, the disk, debugfs), a fixed cost; what the size itself costs",
                  "(the swap core's cluster array, the vtable directory) is the step from",
                  "one size to the next:", ""]
        rows3 = []
        att = sorted((i for i in idle if i["attached"]), key=lambda i: i["pages"])
        prev = None
        for i in idle:
            size = "%d GiB" % (i["pages"] * 4 // 1048576)
            if not i["attached"]:
                rows3.append([size, str(i["pages"]), "refused", "-", "-", "-", i["error"][:60] or "-"])
                continue
            marginal, mpct = "-", "-"
            if prev is not None and i["pages"] > prev["pages"]:
                # What the size costs, without what loading the module
                # costs (its code, the disk): the step from the size before.
                d = (i["kib"] - prev["kib"]) / (i["pages"] - prev["pages"])
                marginal = "%.1f KiB/GiB" % (d * 262144)
                mpct = "%.4f%%" % (100.0 * d / 4)
            rows3.append([size, str(i["pages"]), "%d MiB" % (i["swaps_kib"] // 1024),
                          "%d KiB" % i["kib"], "%.4f%%" % i["pct"], marginal, mpct])
            prev = i
        if len(att) >= 2:
            # The largest size the module accepts: the largest measured, plus
            # the highest marginal cost per slot measured for the rest.
            steps = [(b["kib"] - a["kib"]) / (b["pages"] - a["pages"]) for a, b in zip(att, att[1:])]
            big = 1 << 32
            kib = att[-1]["kib"] + max(steps) * (big - att[-1]["pages"])
            rows3.append(["16384 GiB (largest)", str(big), "extrapolated", "%d KiB" % kib,
                          "%.4f%%" % (100.0 * kib / (big * 4)), "-", "-"])
        lines += grid(["nr_pages size", "nr_pages", "in /proc/swaps", "kernel memory",
                       "of what it describes", "cost of the size", "of what it adds"], rows3)
    if meta.get("plot"):
        lines += ["", f".. image:: {meta['plot']}", "   :alt: ratios vswap/stock per workload and metric", ""]
    if meta.get("scale_plot"):
        lines += ["", "How swapoff of the disk grows, with the processes that hold the pages and",
                  "with the data on the disk (stock walks every process's page tables; vswap",
                  "finds each page's owner through the reverse map):", "",
                  f".. image:: {meta['scale_plot']}", "   :alt: swapoff time against processes and data, stock and vswap", ""]
    if meta.get("growth_plot"):
        lines += ["", "How the free grows with the region freed, and kernel memory per swapped",
                  "page with the pages out (slab, vmalloc and per-cpu; small regions carry",
                  "the noise of a few KiB of slab over few pages):", "",
                  f".. image:: {meta['growth_plot']}",
                  "   :alt: free latency against region size, kernel memory per page against pages, stock and vswap", ""]
    return "\n".join(lines) + "\n"


def grid(hdr, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(hdr, *rows)]
    sep = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    def line(cells):
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"
    out = [sep, line(hdr), sep.replace("-", "=")]
    for r in rows:
        out += [line(r), sep]
    return out


def plot(rows, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    # A ratio at or below 0 (a per-page figure within its noise) has no place on a log scale.
    data = [r for r in rows if "metric" in r and r["ratio"] is not None and r["ratio"] > 0]
    labels = [f"{r['workload']}: {r['metric']}" for r in data]
    # Normalise so that > 1 always means vswap is better.
    vals = [r["ratio"] if r["better"] == "higher" else 1 / r["ratio"] for r in data]
    fig, ax = plt.subplots(figsize=(8, 0.4 * len(data) + 1.2))
    ax.barh(labels, vals, color=["tab:green" if v >= 1 else "tab:red" for v in vals])
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("vswap advantage over stock (x, > 1 is better; log scale)")
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path)
    return True


# The plots of the series: (file, [(workload prefix, x label, y label, metric,
# x of a run, log y axis)]). Each panel: stock and vswap, medians with min-max bars.
SERIES_PLOTS = [
    ("scale.svg", [
        ("swapoff-procs-", "processes holding the pages (same data)", "swapoff of the disk (ms)",
         lambda r: r["swapoff_ms"], lambda r, n: n, True),
        ("swapoff-data-", "MiB on the disk (one process)", "swapoff of the disk (ms)",
         lambda r: r["swapoff_ms"], lambda r, n: n, True),
        ("swapoff-procs-", "processes holding the pages (same data)",
         "swapoff per 1000 pages on the disk (ms)", _per_kpage, lambda r, n: n, True),
    ]),
    ("growth.svg", [
        ("free-zswap-mib-", "MiB freed (pages in zswap)", "free, munmap (ms)",
         lambda r: r["free_ms"], lambda r, n: n, True),
        ("free-disk-mib-", "MiB freed (pages on the disk)", "free, munmap (ms)",
         lambda r: r["free_ms"], lambda r, n: n, True),
        ("metadata-zswap-mib-", "pages swapped out (in zswap)", "kernel memory per page (B)",
         lambda r: _per_page(r, KMEM_EXACT), lambda r, n: r["swapped_pages"], False),
        ("metadata-disk-mib-", "pages swapped out (on the disk)", "kernel memory per page (B)",
         lambda r: _per_page(r, KMEM_EXACT), lambda r, n: r["swapped_pages"], False),
    ]),
]


def plot_series(runs, path, panels):
    """One panel per series of workloads present in the runs: stock and vswap
    on one plot, the median of each point with min-max bars (x: the median of
    the runs' x). False if nothing to plot."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    def has(p):
        ys = (p[3]({**r, **r["result"]}) for r in runs if r["workload"].startswith(p[0]))
        return any(y == y for y in ys)
    panels = [p for p in panels if has(p)]
    if not panels:
        return False
    cols = min(len(panels), 2)
    rows = (len(panels) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 4 * rows), squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    for ax, (key, xlabel, ylabel, fy, fx, ylog) in zip(axes.flat, panels):
        nonpos = False
        for mode, colour in (("stock", "tab:blue"), ("vswap", "tab:orange")):
            pts = {}
            for r in runs:
                n = _scaled(r["workload"])
                if r["workload"].startswith(key) and r["mode"] == mode and n >= 0:
                    rr = {**r, **r["result"]}
                    y = fy(rr)
                    if y == y:
                        pts.setdefault(n, []).append((fx(rr, n), y))
            ns = sorted(pts)
            if not ns:
                continue
            xs = [statistics.median(x for x, _ in pts[n]) for n in ns]
            ys = [[y for _, y in pts[n]] for n in ns]
            med = [statistics.median(v) for v in ys]
            lo = [m - min(v) for m, v in zip(med, ys)]
            hi = [max(v) - m for m, v in zip(med, ys)]
            nonpos = nonpos or min(med) <= 0
            ax.errorbar(xs, med, yerr=[lo, hi], marker="o", capsize=3, color=colour, label=mode)
        ax.set_xscale("log", base=2)
        # Per-page figures can be near 0 or below (noise): a linear axis then.
        if ylog and not nonpos:
            ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel + ", median, min-max")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    return True


def main():
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__)
    runs_path, meta_path, out_json, out_rst = sys.argv[1:5]
    runs = load(runs_path)
    if not runs:
        sys.exit("bench-report: no runs in " + runs_path)
    with open(meta_path) as f:
        meta = json.load(f)
    rows = summarize(runs)
    meta["idle"] = idle_rows(runs)
    meta["kernel_rows"] = kernel_rows(runs)
    # Runs kept from earlier reports (VSWAP_BENCH_MERGE) say when they were measured.
    kept = {}
    for r in runs:
        if "measured" in r:
            kept.setdefault(r["measured"], set()).add(r["workload"])
    meta["kept_runs"] = {d: sorted(v) for d, v in kept.items()}
    # Images are named relative to the report that shows them.
    rel = lambda p: os.path.relpath(p, os.path.dirname(os.path.abspath(out_rst)))
    if len(sys.argv) == 6 and plot(rows, sys.argv[5]):
        meta["plot"] = rel(sys.argv[5])
    if len(sys.argv) == 6:
        for name, panels in SERIES_PLOTS:
            path = os.path.join(os.path.dirname(sys.argv[5]), name)
            if plot_series(runs, path, panels):
                meta[name.split(".")[0] + "_plot"] = rel(path)
    with open(out_json, "w") as f:
        json.dump({"meta": meta, "summary": rows, "runs": runs}, f, indent=1)
    with open(out_rst, "w") as f:
        f.write(rst(meta, rows))
    for r in rows:
        if "metric" in r and r["ratio"] is not None:
            print(f"  {r['workload']:8} {r['metric']:22} stock {fmt(r['stock']['median'], r['unit']):>9} "
                  f"vswap {fmt(r['vswap']['median'], r['unit']):>9} {r['unit']:5} ratio {r['ratio']:.2f}")


if __name__ == "__main__":
    main()
