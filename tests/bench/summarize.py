#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# summarize.py -- turn the benchmark's measurements into bench.csv, bench.md and gnuplot data.
"""Usage: summarize.py RESULTS_DIR "RUNTIMES" SCENARIO...

Reads RESULTS_DIR/raw/<scenario>-<round>.json (hyperfine --export-json, one command per runtime)
and RESULTS_DIR/<scenario>-<runtime>.status (ok / failed: why); burst.count (starts per burst run);
floor.json (hyperfine: host process spawn); warm-<label>.json and .ms (shim_bench.py latency:
status, per-request ms); memory.json (shim_bench.py memory). Writes, in RESULTS_DIR: bench.csv
(one row per scenario and runtime, or per warm mode / memory state and metric), bench.md (the
tables and the targets), and for plot.gp: medians.dat and medians.series (the per-command
scenarios), burst.dat, <scenario>-<runtime>.times (sorted per-run ms with their quantile),
<scenario>.series, warm-<label>.times, warm.series and memory.dat.
"""
import glob
import json
import math
import os
import statistics
import sys

REFERENCE = "slxrun"  # the ratios compare this runtime against each other one
BURST = "burst"  # its runs start many containers: reported as sandboxes per second too
# Warm-invocation runs (run.sh WARM_RUNS labels): the mode and what the function is.
WARM = [
    ("exec-echo", "exec", "bench-echo-exec: static musl echo (the platform's cost)"),
    ("exec-hello", "exec", "hello-exec: busybox sh + cat (glibc start-up x2 included)"),
    ("runtime-api", "runtime-api", "lambda-bootstrap: long-lived static bootstrap"),
]
MEM_STATES = ["idle", "frozen"]


def load_times(results, scenario):
    """Per-run seconds and non-zero exit counts per runtime, merged over the rounds."""
    times, failures = {}, {}
    for path in sorted(glob.glob(os.path.join(results, "raw", scenario + "-*.json"))):
        with open(path) as f:
            for r in json.load(f)["results"]:
                name = r["command"]
                codes = r.get("exit_codes") or [0] * len(r["times"])
                ok = [t for t, code in zip(r["times"], codes) if code == 0]
                times.setdefault(name, []).extend(ok)
                failures[name] = failures.get(name, 0) + len(codes) - len(ok)
    return times, failures


def status_of(results, scenario, runtime, times, failures):
    path = os.path.join(results, "%s-%s.status" % (scenario, runtime))
    status = open(path).read().strip() if os.path.exists(path) else "failed: not measured"
    if status == "ok" and failures.get(runtime):
        total = failures[runtime] + len(times.get(runtime, []))
        status = "failed: %d of %d runs exited non-zero" % (failures[runtime], total)
    if status == "ok" and not times.get(runtime):
        status = "failed: no runs recorded"
    return status


def quantile(ms, q):
    """Nearest-rank quantile of sorted ms (as invoke_client.c computes it)."""
    k = math.ceil(q * len(ms)) - 1
    return ms[min(max(k, 0), len(ms) - 1)]


def stats_ms(seconds, scale=1000):
    ms = sorted(t * scale for t in seconds)
    return {
        "runs": len(ms),
        "median_ms": statistics.median(ms),
        "mean_ms": statistics.fmean(ms),
        "stddev_ms": statistics.stdev(ms) if len(ms) > 1 else 0.0,
        "min_ms": ms[0],
        "p50_ms": quantile(ms, 0.5),
        "p90_ms": quantile(ms, 0.9),
        "p99_ms": quantile(ms, 0.99),
        "max_ms": ms[-1],
        "sorted": ms,
    }


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def read_text(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def collect(results, runtimes, scenarios):
    rows = []
    burst = read_json(os.path.join(results, "burst.count")) or 0
    for scenario in scenarios:
        times, failures = load_times(results, scenario)
        for runtime in runtimes:
            status = status_of(results, scenario, runtime, times, failures)
            row = {"scenario": scenario, "runtime": runtime, "status": status}
            if status == "ok":
                row.update(stats_ms(times[runtime]))
                if scenario == BURST and burst:
                    row.update(metric="sandboxes_per_s", value=burst * 1000 / row["median_ms"])
            rows.append(row)
    return rows


def collect_warm(results):
    rows = []
    for label, mode, _ in WARM:
        data = read_json(os.path.join(results, "warm-%s.json" % label)) or {
            "status": "failed: not measured"}
        row = {"scenario": "warm-" + label, "runtime": "slxrun", "status": data["status"],
               "mode": mode}
        if row["status"] == "ok":
            with open(os.path.join(results, "warm-%s.ms" % label)) as f:
                row.update(stats_ms([float(line) for line in f if line.strip()], scale=1))
        rows.append(row)
    return rows


def collect_memory(results):
    """One row per state and estimate (pss, memavailable, slab, ...), MiB per sandbox."""
    data = read_json(os.path.join(results, "memory.json")) or {"status": "failed: not measured"}
    rows = []
    for state in MEM_STATES:
        base = {"scenario": "memory-" + state, "runtime": "slxrun", "status": data["status"]}
        if data["status"] != "ok":
            rows.append(base)
            continue
        snap = data[state]
        for key, value in sorted(snap.items()):
            if key.endswith("_mib_per_sandbox"):
                rows.append(dict(base, runs=snap["sandboxes"], metric=key, value=value))
    return rows


def collect_floors(results):
    """Host process spawn medians (ms) by name, from hyperfine."""
    data = read_json(os.path.join(results, "floor.json")) or {"results": []}
    return {r["command"]: statistics.median(r["times"]) * 1000 for r in data["results"]}


CSV_FIELDS = ["scenario", "runtime", "status", "runs", "median_ms", "mean_ms", "stddev_ms",
              "min_ms", "p50_ms", "p90_ms", "p99_ms", "max_ms", "metric", "value"]


def write_csv(results, rows):
    with open(os.path.join(results, "bench.csv"), "w") as f:
        f.write(",".join(CSV_FIELDS) + "\n")
        for row in rows:
            cells = []
            for field in CSV_FIELDS:
                value = row.get(field, "")
                if isinstance(value, float):
                    value = "%.3f" % value
                cells.append('"%s"' % str(value).replace('"', "'") if field == "status" else str(value))
            f.write(",".join(cells) + "\n")


def write_plot_data(results, rows, runtimes, scenarios):
    by_key = {(r["scenario"], r["runtime"]): r for r in rows}
    per_command = [s for s in scenarios if s != BURST]  # a burst's ms would flatten the bars
    with open(os.path.join(results, "medians.dat"), "w") as f:
        f.write("scenario " + " ".join(runtimes) + "\n")
        for scenario in per_command:
            cells = ["%.3f" % by_key[scenario, rt]["median_ms"] if "median_ms" in by_key[scenario, rt]
                     else "NaN" for rt in runtimes]
            f.write(scenario + " " + " ".join(cells) + "\n")
    # gnuplot's histogram rejects a column without one number: name the runtimes that have one.
    with open(os.path.join(results, "medians.series"), "w") as f:
        f.write(" ".join(rt for rt in runtimes
                         if any("median_ms" in by_key[s, rt] for s in per_command)) + "\n")
    with open(os.path.join(results, "burst.dat"), "w") as f:
        for rt in runtimes:
            row = by_key.get((BURST, rt), {})
            if "value" in row:
                f.write("%s %.1f\n" % (rt, row["value"]))
    for scenario in scenarios:
        present = [rt for rt in runtimes if "sorted" in by_key[scenario, rt]]
        with open(os.path.join(results, scenario + ".series"), "w") as f:
            f.write(" ".join(present) + "\n")
        for rt in present:
            write_cdf(os.path.join(results, "%s-%s.times" % (scenario, rt)),
                      by_key[scenario, rt]["sorted"])


def write_cdf(path, ms):
    with open(path, "w") as f:
        for i, t in enumerate(ms):
            f.write("%.4f %.4f\n" % (t, (i + 0.5) / len(ms)))


def write_extra_plot_data(results, warm_rows, mem_rows):
    present = []
    for row in warm_rows:
        if "sorted" in row:
            label = row["scenario"][len("warm-"):]
            present.append(label)
            write_cdf(os.path.join(results, "warm-%s.times" % label), row["sorted"])
    with open(os.path.join(results, "warm.series"), "w") as f:
        f.write(" ".join(present) + "\n")
    by_key = {(r["scenario"], r.get("metric")): r for r in mem_rows}
    metrics = [m for m, _ in MEM_LABELS[:3]]
    with open(os.path.join(results, "memory.dat"), "w") as f:
        f.write("state PSS PSS+kernel MemAvailable-drop\n")
        for state in MEM_STATES:
            cells = [by_key.get(("memory-" + state, m)) for m in metrics]
            if all(cells):
                f.write(state + "".join(" %.4f" % c["value"] for c in cells) + "\n")


def ratio(by_key, scenario, a, b):
    ra, rb = by_key.get((scenario, a), {}), by_key.get((scenario, b), {})
    if "median_ms" not in ra or "median_ms" not in rb:
        return "–"
    return "%.2f×" % (ra["median_ms"] / rb["median_ms"])


def cold_cell(row):
    if row["status"] != "ok":
        return "failed"
    if "value" in row:
        return "%.1f ms (%.0f/s)" % (row["median_ms"], row["value"])
    return "%.2f ms" % row["median_ms"]


def cold_tables(rows, runtimes, scenarios, results):
    by_key = {(r["scenario"], r["runtime"]): r for r in rows}
    others = [rt for rt in runtimes if rt != REFERENCE]
    ratio_cols = ["%s/%s" % (REFERENCE, rt) for rt in others]
    out = ["## Cold starts (slxrun, crun, runc)", "",
           "Median wall time per command (hyperfine); ratios of medians; `burst` also as sandboxes "
           "started per second. Compare ratios within one run, not absolute times across machines.",
           "", "| scenario | " + " | ".join(runtimes) + " | " + " | ".join(ratio_cols) + " |",
           "|---" * (1 + len(runtimes) + len(ratio_cols)) + "|"]
    for scenario in scenarios:
        cells = [cold_cell(by_key[scenario, rt]) for rt in runtimes]
        cells += [ratio(by_key, scenario, REFERENCE, rt) for rt in others]
        out.append("| %s | %s |" % (scenario, " | ".join(cells)))
    out += ["", "| scenario | runtime | runs | mean ± sd (ms) | min | p90 | max |",
            "|---|---|---|---|---|---|---|"]
    for row in rows:
        if row["status"] == "ok":
            out.append("| %s | %s | %d | %.2f ± %.2f | %.2f | %.2f | %.2f |" % (
                row["scenario"], row["runtime"], row["runs"], row["mean_ms"], row["stddev_ms"],
                row["min_ms"], row["p90_ms"], row["max_ms"]))
    out += ["", "Scenarios:"]
    for scenario in scenarios:
        path = os.path.join(results, scenario + ".description")
        text = open(path).read().strip() if os.path.exists(path) else ""
        out.append("- `%s`: %s" % (scenario, text))
    return out


def warm_table(warm_rows, floors):
    out = ["", "## Warm invocations through `slxrun shim serve` (slxrun only)", "",
           "Latency per request from one client on one kept-alive HTTP connection "
           "(tests/bench/invoke_client.c), after a warm-up; nearest-rank quantiles.", "",
           "| mode | function | requests | p50 ms | p90 ms | p99 ms | max ms |",
           "|---|---|---|---|---|---|---|"]
    for row, (_, mode, what) in zip(warm_rows, WARM):
        if row["status"] == "ok":
            out.append("| %s | %s | %d | %.3f | %.3f | %.3f | %.3f |" % (
                mode, what, row["runs"], row["p50_ms"], row["p90_ms"], row["p99_ms"],
                row["max_ms"]))
        else:
            out.append("| %s | %s | %s | | | | |" % (mode, what, row["status"]))
    if floors:
        out += ["", "Host floor, no sandbox (hyperfine, median spawn+exit): " + ", ".join(
            "%s %.3f ms" % (name, ms) for name, ms in sorted(floors.items())) + "."]
    return out


MEM_LABELS = [
    ("pss_mib_per_sandbox", "PSS of the sandbox's processes"),
    ("pss_plus_kernel_mib_per_sandbox", "PSS + kernel (Slab, PageTables, KernelStack growth)"),
    ("memavailable_mib_per_sandbox", "MemAvailable drop (everything on the host; noisy)"),
    ("slab_mib_per_sandbox", "Slab growth"),
    ("pagetables_mib_per_sandbox", "PageTables growth"),
    ("kernelstack_mib_per_sandbox", "KernelStack growth"),
]


def memory_table(mem_rows):
    by_key = {(r["scenario"], r.get("metric")): r for r in mem_rows}
    first = mem_rows[0]
    out = ["", "## Memory per idle warm sandbox (bench-echo-exec, slxrun only)", ""]
    if first["status"] != "ok":
        return out + ["failed: " + first["status"]]
    out += ["%d warm sandboxes from one shim; MiB per sandbox. PSS: /proc/PID/smaps_rollup over "
            "every pid in each sandbox's cgroup.procs. The /proc/meminfo deltas run from before "
            "the shim started (medians of 5 readings), so they include the shim's own growth and "
            "whatever else this shared host did meanwhile: MemAvailable most of all." % first["runs"], "",
            "| estimate | " + " | ".join(MEM_STATES) + " |", "|---" * (1 + len(MEM_STATES)) + "|"]
    for metric, label in MEM_LABELS:
        cells = ["%.3f" % by_key[("memory-" + st, metric)]["value"]
                 if ("memory-" + st, metric) in by_key else "–" for st in MEM_STATES]
        out.append("| %s | %s |" % (label, " | ".join(cells)))
    return out


def value_of(rows, scenario, runtime="slxrun", field="median_ms", metric=None):
    for r in rows:
        if r["scenario"] == scenario and r["runtime"] == runtime and r["status"] == "ok" and \
                r.get("metric") == metric:
            return r.get(field)
    return None


def targets(rows, warm_rows, mem_rows, floors):
    """(what, measured text, met?, why it is missed) per target of issue 7."""
    everything = rows + warm_rows + mem_rows
    echo = floors.get("static musl echo")
    spawn = "the host's own spawn of the static echo, no sandbox, is %.3f ms" % echo if echo else ""
    crun = value_of(rows, "invoke_cold", "crun")
    checks = [
        ("burst: slxrun >= 200 sandboxes/s", value_of(rows, BURST, field="value",
                                                      metric="sandboxes_per_s"), 200, ">=", "/s",
         "starts share 2 cores: each `run` is a process start plus the sandbox set-up"),
        ("cold one-shot invoke <= crun run of the same bundle",
         value_of(rows, "invoke_cold"), crun, "<=", " ms", "see the cold breakdown: "
         "`slxrun invoke --timings`"),
        ("warm exec p50 <= 0.5 ms (static echo)", value_of(warm_rows, "warm-exec-echo",
                                                           field="p50_ms"), 0.5, "<=", " ms",
         "every invocation is a fork+exec+wait of the function in the sandbox; " + spawn),
        ("warm exec p99 <= 2 ms (static echo)", value_of(warm_rows, "warm-exec-echo",
                                                         field="p99_ms"), 2.0, "<=", " ms",
         "tail set by the host's scheduler on 2 shared cores; " + spawn),
        ("warm runtime-api p50 <= 0.2 ms", value_of(warm_rows, "warm-runtime-api",
                                                     field="p50_ms"), 0.2, "<=", " ms",
         "two HTTP round trips inside the sandbox (next + response) per invocation"),
    ]
    for state in MEM_STATES:
        for metric, label in MEM_LABELS[:2]:  # MemAvailable: too noisy to judge by
            checks.append(("memory %s: %s <= 1 MiB" % (state, label.split(" (")[0]),
                           value_of(mem_rows, "memory-" + state, field="value", metric=metric),
                           1.0, "<=", " MiB", "an agent process, its namespaces and mounts"))
    out = []
    for what, got, want, op, unit, why in checks:
        if got is None or want is None:
            out.append((what, "not measured", False, "the scenario failed (see above)"))
            continue
        met = got >= want if op == ">=" else got <= want
        out.append((what, "%.3f%s (target %s %.3f%s)" % (got, unit, op, want, unit), met, why))
    return out


def write_markdown(results, rows, runtimes, scenarios, warm_rows, mem_rows):
    floors = collect_floors(results)
    out = ["# Cold-start benchmark", ""]
    load = [read_text(os.path.join(results, "loadavg." + w)) for w in ("start", "end")]
    if all(load):
        out += ["Host load average (1, 5, 15 min) at the start: %s; at the end: %s (2 cores; "
                "other work on the host shows up as noise, mostly in the tails)." % tuple(load), ""]
    out += cold_tables(rows, runtimes, scenarios, results)
    out += warm_table(warm_rows, floors)
    out += memory_table(mem_rows)
    out += ["", "## Targets (issue 7)", ""]
    for what, got, met, why in targets(rows, warm_rows, mem_rows, floors):
        out.append("- %s %s: %s%s" % ("met:" if met else "MISSED:", what, got,
                                       "" if met else " -- floor/why: " + why))
    failed = [r for r in rows + warm_rows + mem_rows if r["status"] != "ok"]
    if failed:
        out += ["", "Failures:"]
        seen = set()
        for r in failed:
            if (r["scenario"], r["runtime"]) not in seen:
                seen.add((r["scenario"], r["runtime"]))
                out.append("- %s/%s: %s" % (r["scenario"], r["runtime"], r["status"]))
    with open(os.path.join(results, "bench.md"), "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    results, runtimes, scenarios = sys.argv[1], sys.argv[2].split(), sys.argv[3:]
    rows = collect(results, runtimes, scenarios)
    warm_rows, mem_rows = collect_warm(results), collect_memory(results)
    write_csv(results, rows + warm_rows + mem_rows)
    write_plot_data(results, rows, runtimes, scenarios)
    write_extra_plot_data(results, warm_rows, mem_rows)
    write_markdown(results, rows, runtimes, scenarios, warm_rows, mem_rows)


if __name__ == "__main__":
    main()
