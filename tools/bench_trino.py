#!/usr/bin/env python3
"""What each ingestion query reads where Athena's bill is made, on Trino (Athena engine v3 is Trino).

For each length of staging history (default: 45 days and a year), on a Trino home of its own:
  1. generates a history ending today (the scheduled runs take today from the clock, as in AWS),
  2. builds the staging tables from everything before today (catch-up: weekly windows),
  3. a window run as of yesterday ("window run"),
  4. one scheduled run that files the window in the ledger (not counted: the steady state before
     the day starts),
  5. the steady-state day: today's capture lands hour by hour (one file per hour of change time)
     and the 13 scheduled runs (01:00, 04:00, 08:00 to 18:00 UTC) each read what has landed, then
     one more run reads the rest of the day (what the next day's 01:00 run would),
  6. one more scheduled run with nothing new ("nothing new").
Every query's physical input bytes come from Trino's own statistics (the CLI prints them; the
local Trino reads Parquet column by column, as Athena reads large files: see tools/trino), and are
set against the day's capture (the bytes of today's partition).

Usage: bench_trino.py BIN_DIR WORK [--items-per-day N] [--clients N] [--histories 45,365]
                      [--trino-url URL] [--benchmarks-md BENCHMARKS.md] [--cli OTHER_BINARY]
"""
import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import update_markdown  # noqa: E402

SCHEDULE_HOURS = [1, 4, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]
FINISHED = re.compile(r"^\s+finished\s+(\S+)\s+(\S+) rows\s+(\S+) ms\s+(\d+) bytes scanned", re.M)
TARGETS = {"nothing_new": 0.1, "steady_day": 3.0, "history_drift": 0.10}
MARKERS = ("<!-- make bench trino bytes: begin -->", "<!-- make bench trino bytes: end -->")


def cli(a, home, *args):
    cmd = [a.cli or os.path.join(a.bin_dir, "notify-reporting"), "--home", home, "--engine", "trino",
           "--trino-url", a.trino_url, *args]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    return p.stdout + p.stderr


def ingestion_bytes(out):
    """(query, bytes) of every ingestion query a run finished, in order."""
    return [(m[1], int(m[4])) for m in FINISHED.finditer(out) if m[1].startswith("ingestion/")]


def tree_bytes(root):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(root) for f in fs)


def link_tree(src, dst, skip):
    for d, _, files in os.walk(src):
        if os.path.abspath(d).startswith(os.path.abspath(skip)):
            continue
        rel = os.path.relpath(d, src)
        os.makedirs(os.path.join(dst, rel), exist_ok=True)
        for f in files:
            os.link(os.path.join(d, f), os.path.join(dst, rel, f))


def partition(root, day):
    return os.path.join(root, f"__year={day.year}/__month={day.month}/__day={day.day}")


def history_case(a, days, today):
    """One history length: the window run, the steady-state day and the run with nothing new."""
    # The history is generated into a home of its own, once, and kept: its configuration names
    # the batch, nudge and email-filter clients the runs' homes use.
    history = os.path.join(a.work, f"history-{days}-{a.items_per_day}-{a.clients}-{today}")
    source_history = os.path.join(history, "source", "transaction_history")
    if not os.path.exists(os.path.join(history, "generated")):
        shutil.rmtree(history, ignore_errors=True)
        print(f"generating {days} days of history, {a.items_per_day:,} items a day ...", flush=True)
        subprocess.run([os.path.join(a.bin_dir, "notify-reporting"), "--home", history, "generate",
                        "--end", str(today), "--days", str(days), "--items-per-day", str(a.items_per_day),
                        "--clients", str(a.clients), "--seed", "1"], check=True, capture_output=True)
        open(os.path.join(history, "generated"), "w").close()
    clients = json.load(open(os.path.join(history, "config.json")))
    # A home of its own each time (the Trino metastore keys a home's schema by its path).
    home = os.path.join(a.work, f"home-{days}-{int(time.time())}")
    source = os.path.join(home, "source", "transaction_history")
    link_tree(source_history, source, partition(source_history, today))
    json.dump({k: clients[k] for k in ("batchClientIds", "smsNudgeClientId", "emailFilterClientIds")},
              open(os.path.join(home, "config.json"), "w"))
    os.makedirs(partition(source, today), exist_ok=True)
    yesterday = today - datetime.timedelta(days=1)
    t0 = time.time()
    cli(a, home, "run", "setup")
    # Weekly windows, as missed schedules would have run. (Not the backfill machine: on Trino, as
    # on Athena, one MERGE writes at most 100 partitions, and a year is more.)
    cli(a, home, "catch-up", "--from", str(today - datetime.timedelta(days=days)), "--to", str(yesterday))
    print(f"  {days} days: staging tables built in {time.time() - t0:.0f} s", flush=True)
    window = ingestion_bytes(cli(a, home, "run", "ingestion", "--as-of", str(yesterday)))
    cli(a, home, "run", "ingestion", "--input", "{}")  # the ledger holds the window's files
    hours_dir = os.path.join(home, "hours")
    split = subprocess.run([os.path.join(a.bin_dir, "notify-reporting-bench"), "split-day",
                            "--history", source_history, "--day", str(today), "--out", hours_dir],
                           check=True, capture_output=True, text=True)
    hours = sorted((h["hour"], h["path"]) for h in json.loads(split.stdout))
    day_bytes = sum(os.path.getsize(p) for _, p in hours)
    landed = set()
    runs = []

    def land(until_hour):
        for hour, path in hours:
            if hour < until_hour and path not in landed:
                os.link(path, os.path.join(partition(source, today), os.path.basename(path)))
                landed.add(path)

    for hour in SCHEDULE_HOURS + [24]:
        land(hour)
        runs.append({"hour": hour, "queries": ingestion_bytes(cli(a, home, "run", "ingestion", "--input", "{}"))})
    nothing_new = ingestion_bytes(cli(a, home, "run", "ingestion", "--input", "{}"))
    staging = tree_bytes(os.path.join(home, "warehouse"))
    print(f"  {days} days: done in {time.time() - t0:.0f} s", flush=True)
    shutil.rmtree(home)
    return {"days": days, "dayBytes": day_bytes, "dayFiles": len(hours), "stagingBytes": staging,
            "window": window, "runs": runs, "nothingNew": nothing_new}


def per_query(pairs):
    out = {}
    for q, b in pairs:
        out[q] = out.get(q, 0) + b
    return out


def render(results, a, today):
    add = []
    add.append(f"## Physical input of every ingestion query, on Trino · {today} · `make bench`{a.label}")
    add.append("")
    add.append(f"tools/bench_trino.py: {a.items_per_day:,} request items a day for {a.clients} clients; "
               "Trino 476's own statistics (physicalInputBytes, what Athena bills as DataScannedInBytes). "
               "A capture-day is the bytes of the day's partition.")
    add.append("")
    for r in results:
        day = r["dayBytes"]
        steady = per_query(p for run in r["runs"] for p in run["queries"])
        window = per_query(r["window"])
        nothing = per_query(r["nothingNew"])
        queries = sorted(set(steady) | set(window) | set(nothing))
        add.append(f"### {r['days']} days of staging history ({r['stagingBytes'] / 1e6:,.1f} MB of staging "
                   f"tables); the day's capture {day / 1e6:,.2f} MB in {r['dayFiles']} hour files")
        add.append("")
        add.append("| query | window run (MB) | steady-state day: 13 runs + the rest (MB) | ÷ capture-day | nothing new (bytes) |")
        add.append("|---|---|---|---|---|")
        for q in queries:
            add.append(f"| {q} | {window.get(q, 0) / 1e6:,.2f} | {steady.get(q, 0) / 1e6:,.2f} | "
                       f"{steady.get(q, 0) / day:.2f} | {nothing.get(q, 0):,} |")
        tw, ts, tn = sum(window.values()), sum(steady.values()), sum(nothing.values())
        add.append(f"| **every query** | **{tw / 1e6:,.2f}** ({tw / day:.1f} capture-days) | **{ts / 1e6:,.2f}** | "
                   f"**{ts / day:.2f}** (target ≤ {TARGETS['steady_day']}) | **{tn:,}** ({tn / day:.4f} capture-days; "
                   f"target ≤ {TARGETS['nothing_new']}) |")
        add.append("")
    if len(results) > 1:
        base, last = results[0], results[-1]
        rel = lambda r: sum(b for run in r["runs"] for _, b in run["queries"]) / r["dayBytes"]
        drift = rel(last) / rel(base) - 1
        add.append(f"Steady-state day with {last['days']} days of history against {base['days']}: "
                   f"{drift:+.1%} (target within ±{TARGETS['history_drift']:.0%}).")
        add.append("")
    return "\n".join(add)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("bin_dir")
    p.add_argument("work")
    p.add_argument("--items-per-day", type=int, default=1_500)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--histories", default="45,365")
    p.add_argument("--trino-url", default=os.environ.get("TRINO_URL", "http://127.0.0.1:18080"))
    p.add_argument("--benchmarks-md", default="BENCHMARKS.md")
    p.add_argument("--cli", help="another notify-reporting binary to run the machines (before/after "
                                 "comparisons); the bench's own binaries still generate and split")
    p.add_argument("--label", default="", help="a title for this run's section (with --cli)")
    a = p.parse_args()
    os.makedirs(a.work, exist_ok=True)
    today = datetime.datetime.now(datetime.timezone.utc).date()
    results = [history_case(a, int(d), today) for d in a.histories.split(",")]
    if datetime.datetime.now(datetime.timezone.utc).date() != today:
        sys.exit("the UTC day changed during the bench (its scheduled runs read today's partition): run it again")
    json.dump(results, open(os.path.join(a.work, "trino-bytes.json"), "w"), indent=1)
    table = render(results, a, today)
    print(table)
    if a.cli:
        print("(--cli: BENCHMARKS.md left as it is)")
    else:
        update_markdown(a.benchmarks_md, table, MARKERS)


if __name__ == "__main__":
    main()
