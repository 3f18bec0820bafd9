#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# summarize.py -- turn the benchmark's hyperfine JSON into bench.csv, bench.md and gnuplot data.
"""Usage: summarize.py RESULTS_DIR "RUNTIMES" SCENARIO...

Reads RESULTS_DIR/raw/<scenario>-<round>.json (hyperfine --export-json, one command per runtime)
and RESULTS_DIR/<scenario>-<runtime>.status (ok / failed: why) and writes, in RESULTS_DIR:
bench.csv (one row per scenario and runtime), bench.md (medians and ratios), medians.dat and
medians.series,
<scenario>-<runtime>.times (sorted per-run ms with their quantile) and <scenario>.series.
"""
import glob
import json
import os
import statistics
import sys

REFERENCE = "slxrun"  # the ratios compare this runtime against each other one


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


def stats_ms(seconds):
    ms = sorted(t * 1000 for t in seconds)
    return {
        "runs": len(ms),
        "median_ms": statistics.median(ms),
        "mean_ms": statistics.fmean(ms),
        "stddev_ms": statistics.stdev(ms) if len(ms) > 1 else 0.0,
        "min_ms": ms[0],
        "p90_ms": ms[min(len(ms) - 1, int(0.9 * len(ms)))],
        "max_ms": ms[-1],
        "sorted": ms,
    }


def collect(results, runtimes, scenarios):
    rows = []
    for scenario in scenarios:
        times, failures = load_times(results, scenario)
        for runtime in runtimes:
            status = status_of(results, scenario, runtime, times, failures)
            row = {"scenario": scenario, "runtime": runtime, "status": status}
            if status == "ok":
                row.update(stats_ms(times[runtime]))
            rows.append(row)
    return rows


CSV_FIELDS = ["scenario", "runtime", "status", "runs", "median_ms", "mean_ms", "stddev_ms",
              "min_ms", "p90_ms", "max_ms"]


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
    with open(os.path.join(results, "medians.dat"), "w") as f:
        f.write("scenario " + " ".join(runtimes) + "\n")
        for scenario in scenarios:
            cells = ["%.3f" % by_key[scenario, rt]["median_ms"] if "median_ms" in by_key[scenario, rt]
                     else "NaN" for rt in runtimes]
            f.write(scenario + " " + " ".join(cells) + "\n")
    # gnuplot's histogram rejects a column without one number: name the runtimes that have one.
    with open(os.path.join(results, "medians.series"), "w") as f:
        f.write(" ".join(rt for rt in runtimes
                         if any("median_ms" in by_key[s, rt] for s in scenarios)) + "\n")
    for scenario in scenarios:
        present = [rt for rt in runtimes if "sorted" in by_key[scenario, rt]]
        with open(os.path.join(results, scenario + ".series"), "w") as f:
            f.write(" ".join(present) + "\n")
        for rt in present:
            ms = by_key[scenario, rt]["sorted"]
            with open(os.path.join(results, "%s-%s.times" % (scenario, rt)), "w") as f:
                for i, t in enumerate(ms):
                    f.write("%.4f %.4f\n" % (t, (i + 0.5) / len(ms)))


def ratio(by_key, scenario, a, b):
    ra, rb = by_key.get((scenario, a), {}), by_key.get((scenario, b), {})
    if "median_ms" not in ra or "median_ms" not in rb:
        return "–"
    return "%.2f×" % (ra["median_ms"] / rb["median_ms"])


def write_markdown(results, rows, runtimes, scenarios):
    by_key = {(r["scenario"], r["runtime"]): r for r in rows}
    others = [rt for rt in runtimes if rt != REFERENCE]
    ratio_cols = ["%s/%s" % (REFERENCE, rt) for rt in others]
    out = ["# Cold-start benchmark", "",
           "Median wall time per command (hyperfine); ratios of medians. "
           "Compare ratios within one run, not absolute times across machines.", "",
           "| scenario | " + " | ".join(runtimes) + " | " + " | ".join(ratio_cols) + " |",
           "|---" * (1 + len(runtimes) + len(ratio_cols)) + "|"]
    for scenario in scenarios:
        cells = []
        for rt in runtimes:
            row = by_key[scenario, rt]
            cells.append("%.2f ms" % row["median_ms"] if row["status"] == "ok" else "failed")
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
    failed = [r for r in rows if r["status"] != "ok"]
    if failed:
        out += ["", "Failures:"]
        out += ["- %s/%s: %s" % (r["scenario"], r["runtime"], r["status"]) for r in failed]
    with open(os.path.join(results, "bench.md"), "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    results, runtimes, scenarios = sys.argv[1], sys.argv[2].split(), sys.argv[3:]
    rows = collect(results, runtimes, scenarios)
    write_csv(results, rows)
    write_plot_data(results, rows, runtimes, scenarios)
    write_markdown(results, rows, runtimes, scenarios)


if __name__ == "__main__":
    main()
