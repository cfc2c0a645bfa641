#!/usr/bin/env python3
"""report.py OUT_DIR — the vs-spark table (Markdown, on stdout) and chart (OUT_DIR/vs-spark.svg).

Reads OUT_DIR/<workload>-duet-<round>.json (`duet bench --json`, both APIs) and
OUT_DIR/<workload>-spark-<api>-<round>.json (spark_bench.py) written by ./run. Per run and API:
rows/s = input rows / processing time and per-batch latency percentiles over the batches after
the first WARMUP (both systems alike: Spark's JIT, duet's first allocations), peak RSS over the
whole run. Across rounds: the median, and the range as the spread. Ratios are duet / Spark.
"Same output" compares the rows each batch emitted, duet against Spark, for the same API.
A result that is not ok (a failed run, or Spark DStreams on kafka-to-kafka: not measurable) gets
its row with the reason in place of the missing side's numbers. kafka-to-kafka's
OUT_DIR/kafka-to-kafka-harness-<round>.json (spark_kafka_bench.py --harness-only: the Python
harness producing and consuming alone) is listed under the table, as the floor under Spark's
latency.
"""
import glob
import json
import math
import os
import statistics
import sys

WARMUP = 2
APIS = ["structured", "dstream"]
TITLES = {"structured": "Structured", "dstream": "DStream"}


def metrics(result):
    series = result["series"][WARMUP:] or result["series"]
    latencies = sorted(s["processing_ms"] for s in series)
    busy = sum(latencies) / 1000.0
    rows = sum(s["rows"] for s in series)

    def pct(fraction):  # nearest rank, as duet bench computes it
        rank = max(1, min(len(latencies), math.ceil(fraction * len(latencies))))
        return latencies[rank - 1]
    return {"rate": rows / busy if busy else 0.0, "p50": pct(0.5), "p99": pct(0.99),
            "max": latencies[-1], "rss": result["peak_rss_mib"],
            "outputs": [s["output_rows"] for s in result["series"]]}


def load(out_dir):
    runs = {}  # (workload, system, api) -> [metrics per round]
    notes = {}  # (workload, system, api) -> why a round has no numbers (the first reason)
    failed = {}  # (workload, system, api) -> how many rounds have no numbers
    for path in sorted(glob.glob(os.path.join(out_dir, "*-duet-*.json")) +
                       glob.glob(os.path.join(out_dir, "*-spark-*-*.json")) +
                       glob.glob(os.path.join(out_dir, "*-harness-*.json"))):
        with open(path) as f:
            doc = json.load(f)
        system = doc.get("system", "duet")
        for result in doc["results"]:
            key = (doc["workload"], system, result["api"])
            if not result.get("ok", True) or not result["series"]:
                notes.setdefault(key, result.get("error") or "no batch completed")
                failed[key] = failed.get(key, 0) + 1
                continue
            runs.setdefault(key, []).append(metrics(result))
    return runs, notes, failed


def human(value):
    if value >= 1e6:
        return "%.2fM" % (value / 1e6)
    if value >= 1e5:
        return "%.0fk" % (value / 1e3)
    if value >= 1e3:
        return "%.1fk" % (value / 1e3)
    return "%.0f" % value


def spread(values, fmt):
    med = statistics.median(values)
    if len(values) < 2:
        return fmt(med)
    return "%s (%s–%s)" % (fmt(med), fmt(min(values)), fmt(max(values)))


def ms(value):
    return "%.0f" % value if value >= 10 else "%.1f" % value


def compare_outputs(duet, spark):
    """yes: every batch emitted as many rows; shifted: the same non-empty outputs, in other
    batches; no otherwise."""
    if duet == spark:
        return "yes"
    if [n for n in duet if n] == [n for n in spark if n][:len([n for n in duet if n])]:
        return "shifted"
    return "no"


def ratio(numerator, denominator):
    if not denominator or not numerator:
        return "n/a"  # e.g. a p50 of 0 ms: most batches had no job (a window that did not slide)
    value = numerator / denominator
    return "%.3f×" % value if value < 0.01 else "%.2f×" % value


def axis_label(value):
    if value >= 1e6:
        return "%gM" % (value / 1e6)
    if value >= 1e3:
        return "%gk" % (value / 1e3)
    return "%g" % value


def chart(rows, path):
    """Horizontal bars, log scale: rows/s of duet and Spark per workload and API."""
    bar, gap, left, width = 14, 12, 210, 560
    height = 70 + len(rows) * (2 * bar + gap) + 40
    top_value = max(max(r["duet"], r["spark"]) for r in rows) * 1.5
    low_value = max(min(min(r["duet"], r["spark"]) for r in rows) / 2, 1)
    lo, hi = math.log10(low_value), math.log10(top_value)

    def x(value):
        return left + width * (math.log10(max(value, low_value)) - lo) / (hi - lo)
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="%d" height="%d" '
           'viewBox="0 0 %d %d" font-family="sans-serif">' % (left + width + 120, height,
                                                             left + width + 120, height),
           '<title>duet vs Apache Spark: rows/s per workload and API</title>',
           '<style type="text/css">text{font-size:11px;fill:#222}.heading{font-size:14px;'
           'font-weight:bold}.duet{fill:#1f77b4}.spark{fill:#e07b00}.grid{stroke:#e4e4e4}'
           '</style>',
           '<rect x="0" y="0" width="100%" height="100%" fill="white"/>',
           '<text class="heading" x="12" y="22">rows/s (median of the rounds, log scale): '
           'duet vs Apache Spark, local[2]</text>']
    decade = math.floor(lo)
    while decade <= hi:
        value = 10 ** decade
        if value >= low_value:
            out.append('<line class="grid" x1="%.1f" y1="40" x2="%.1f" y2="%d"/>'
                       % (x(value), x(value), height - 40))
            out.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>'
                       % (x(value), height - 25, axis_label(value)))
        decade += 1
    y = 50
    for row in rows:
        out.append('<text x="%d" y="%d" text-anchor="end">%s %s</text>'
                   % (left - 8, y + bar + 4, row["workload"], TITLES[row["api"]]))
        for system in ["duet", "spark"]:
            value = row[system]
            out.append('<rect class="%s" x="%d" y="%d" width="%.1f" height="%d">'
                       '<title>%s %s %s: %s rows/s</title></rect>'
                       % (system, left, y, x(value) - left, bar - 2, system, row["workload"],
                          TITLES[row["api"]], human(value)))
            out.append('<text x="%.1f" y="%d">%s</text>' % (x(value) + 4, y + bar - 4,
                                                             human(value)))
            y += bar
        y += gap
    out.append('<rect class="duet" x="%d" y="%d" width="12" height="10"/>'
               '<text x="%d" y="%d">duet</text>' % (left, height - 14, left + 16, height - 5))
    out.append('<rect class="spark" x="%d" y="%d" width="12" height="10"/>'
               '<text x="%d" y="%d">Apache Spark (pyspark)</text>'
               % (left + 70, height - 14, left + 86, height - 5))
    out.append('</svg>')
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    out_dir = sys.argv[1]
    runs, notes, failed = load(out_dir)
    workloads = []
    for workload, _, _ in list(runs) + list(notes):
        if workload not in workloads:
            workloads.append(workload)
    with open(os.path.join(out_dir, "machine.txt")) as f:
        print("".join("    " + line for line in f))
    print("| workload | API | duet rows/s | Spark rows/s | rows/s duet/Spark | duet p50 / p99 ms "
          "| Spark p50 / p99 ms | p50 duet/Spark | duet peak RSS | Spark peak RSS "
          "| RSS duet/Spark | same output |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    chart_rows = []
    for workload in workloads:
        for api in APIS:
            duet = runs.get((workload, "duet", api), [])
            spark = runs.get((workload, "spark", api), [])
            if not duet or not spark:
                half = duet or spark
                if not half or not (notes.get((workload, "duet", api)) or
                                    notes.get((workload, "spark", api))):
                    continue
                rate = spread([m["rate"] for m in half], human)
                lat = "%s / %s" % (ms(statistics.median(m["p50"] for m in half)),
                                   ms(statistics.median(m["p99"] for m in half)))
                rss = "%.0f MiB" % statistics.median(m["rss"] for m in half)
                why = notes.get((workload, "spark" if duet else "duet", api))
                cells = [rate, "—", "—", lat, "—", "—", rss, "—", "—"] if duet else \
                    ["—", rate, "—", "—", lat, "—", "—", rss, "—"]
                print("| %s | %s | %s | %s %s |" % (workload, TITLES[api], " | ".join(cells),
                                                      "Spark" if duet else "duet failed:", why))
                continue
            d_rate = [m["rate"] for m in duet]
            s_rate = [m["rate"] for m in spark]
            d_p50 = statistics.median(m["p50"] for m in duet)
            s_p50 = statistics.median(m["p50"] for m in spark)
            d_p99 = statistics.median(m["p99"] for m in duet)
            s_p99 = statistics.median(m["p99"] for m in spark)
            d_rss = statistics.median(m["rss"] for m in duet)
            s_rss = statistics.median(m["rss"] for m in spark)
            same = compare_outputs(duet[0]["outputs"], spark[0]["outputs"])
            for system, done in (("duet", duet), ("spark", spark)):
                if failed.get((workload, system, api)):  # medians over the rounds that ran
                    same += "; %s failed in %d of %d rounds: %s" % (
                        "duet" if system == "duet" else "Spark", failed[(workload, system, api)],
                        failed[(workload, system, api)] + len(done),
                        notes[(workload, system, api)])
            print("| %s | %s | %s | %s | %.1f× | %s / %s | %s / %s | %s | %.0f MiB | %.0f MiB "
                  "| %s | %s |" % (
                      workload, TITLES[api], spread(d_rate, human), spread(s_rate, human),
                      statistics.median(d_rate) / statistics.median(s_rate), ms(d_p50),
                      ms(d_p99), ms(s_p50), ms(s_p99), ratio(d_p50, s_p50),
                      d_rss, s_rss, ratio(d_rss, s_rss), same))
            chart_rows.append({"workload": workload, "api": api,
                               "duet": statistics.median(d_rate),
                               "spark": statistics.median(s_rate)})
    for workload in workloads:
        harness = runs.get((workload, "harness", "harness"), [])
        if harness:
            print("\n%s, the Python harness alone (producing to a topic and reading it back, no "
                  "Spark): %s rows/s, p50 / p99 %s / %s ms, over %d rounds." % (
                      workload, spread([m["rate"] for m in harness], human),
                      ms(statistics.median(m["p50"] for m in harness)),
                      ms(statistics.median(m["p99"] for m in harness)), len(harness)))
    if chart_rows:
        chart(chart_rows, os.path.join(out_dir, "vs-spark.svg"))


if __name__ == "__main__":
    main()
