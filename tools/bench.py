#!/usr/bin/env python3
"""make bench: national-scale ingestion, the scan budget, reports and watchdog on the local engine.

Generates (once, cached by its parameters) 13 months of synthetic transaction_history whose last
week is national scale, then measures, each phase in its own process so each peak RSS is its own:

  - the scan-only floor: read every column the ingestion reads, once, and group by object key;
  - ingestion (both passes) cold (empty tables) and warm (the same window again), on a database
    file as the local home keeps it, with peak RSS;
  - the scan budget: Parquet bytes read by an ingestion run / bytes of the window's partitions,
    with 13 months and with 1 month of history (in-memory database, so every byte read is Parquet);
  - the completed-comms and completed-batch reports and every watchdog check, through the real
    state machines on the ingested home;
  - the steady-state day of incremental ingestion: a cold run (no watermark: the week window),
    then the 13 scheduled runs of the window's last day while its data lands hour by hour, then
    01:00 the next day. Twice: in memory with room to spare (every byte read is Parquet: the scan
    per day), and on a database file under the 3 GB limit, as the local home runs (each hourly
    run's wall time and peak RSS).

Prints one table, writes the results as JSON, and replaces the `make bench` section of
BENCHMARKS.md (machine, date, commit). Usage: bench.py BIN_DIR WORK_DIR [--items-per-day N]
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time

AS_OF = datetime.date(2026, 11, 20)
HISTORY_DAYS = 396  # 13 months
WINDOW_DAYS = 8  # asOf - 1 week .. asOf, as the ingestion binds it
MEMORY_LIMIT = "3GB"
BUDGET_MEMORY_LIMIT = "16GB"
TARGETS = {"cold_s": 60.0, "rss_gib": 4.0, "ratio": 2.5, "scan_budget": 1.1,
           "day_read_files": 1.5, "hourly_s": 15.0, "hourly_rss_gib": 2.0, "cold_week_s": 167.0}


def run_measured(cmd):
    """Runs cmd under wait4; returns (stdout, seconds, peak RSS bytes)."""
    started = time.monotonic()
    out_path = f"/tmp/bench-out-{os.getpid()}.txt"
    err_path = f"/tmp/bench-err-{os.getpid()}.txt"
    with open(out_path, "w") as out, open(err_path, "w") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    text = open(out_path).read()
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{open(err_path).read()[-3000:]}")
    return text, seconds, usage.ru_maxrss * 1024


def window_bytes(source, as_of):
    total, files = 0, 0
    for back in range(WINDOW_DAYS):
        d = as_of - datetime.timedelta(days=back)
        part = os.path.join(source, f"__year={d.year}", f"__month={d.month}", f"__day={d.day}")
        if os.path.isdir(part):
            for name in os.listdir(part):
                total += os.path.getsize(os.path.join(part, name))
                files += 1
    return total, files


def tree_bytes(root):
    return sum(
        os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(root) for f in fs if f.endswith(".parquet")
    )


def link_last_days(source, dest, days, as_of):
    """A 1-month history: hard links to the last `days` partitions (no copy)."""
    if os.path.isdir(dest):
        shutil.rmtree(dest)
    for back in range(days):
        d = as_of - datetime.timedelta(days=back)
        rel = os.path.join(f"__year={d.year}", f"__month={d.month}", f"__day={d.day}")
        src = os.path.join(source, rel)
        if not os.path.isdir(src):
            continue
        os.makedirs(os.path.join(dest, rel))
        for name in os.listdir(src):
            os.link(os.path.join(src, name), os.path.join(dest, rel, name))


def gib(n):
    return n / 1024**3


def main():
    p = argparse.ArgumentParser()
    p.add_argument("bin_dir")
    p.add_argument("work")
    p.add_argument("--items-per-day", type=int, default=460_000, help="request items a day in the last week")
    p.add_argument("--history-items-per-day", type=int, default=2_000)
    p.add_argument("--benchmarks-md", default="BENCHMARKS.md")
    p.add_argument("--lambda-dir", help="release Lambda builds (<name>/bootstrap) to time start-up")
    p.add_argument("--transitions", help="command that prints the state-transition counts")
    p.add_argument("--steady-only", action="store_true",
                   help="run only the steady-state day, on the data and results of an earlier full run")
    a = p.parse_args()
    cli = os.path.join(a.bin_dir, "notify-reporting")
    bench = os.path.join(a.bin_dir, "notify-reporting-bench")
    os.makedirs(a.work, exist_ok=True)
    home = os.path.join(a.work, "home13")
    source = os.path.join(home, "source", "transaction_history")
    params = {
        "end": str(AS_OF),
        "days": HISTORY_DAYS,
        "items_per_day": a.history_items_per_day,
        "recent_days": 7,
        "recent_items_per_day": a.items_per_day,
        "clients": 20,
        "seed": 1,
    }
    marker = os.path.join(home, "bench-data.json")
    if not (os.path.exists(marker) and json.load(open(marker)).get("params") == params and os.path.isdir(source)):
        if os.path.isdir(home):
            shutil.rmtree(home)
        print(f"generating 13 months of history, {a.items_per_day:,} items a day in the last week ...", flush=True)
        out, secs, _ = run_measured(
            [cli, "--home", home, "generate", "--end", params["end"], "--days", str(params["days"]),
             "--items-per-day", str(params["items_per_day"]), "--recent-days", str(params["recent_days"]),
             "--recent-items-per-day", str(params["recent_items_per_day"]), "--clients", str(params["clients"]),
             "--seed", str(params["seed"])]
        )
        m = re.search(r"wrote (\d+) rows \((\d+) request items, (\d+) plans\)", out)
        json.dump({"params": params, "rows": int(m[1]), "items": int(m[2]), "plans": int(m[3]),
                   "seconds": secs}, open(marker, "w"))
    data = json.load(open(marker))
    month1 = os.path.join(a.work, "month1", "transaction_history")
    link_last_days(source, month1, 31, AS_OF)
    wbytes, wfiles = window_bytes(source, AS_OF)
    as_of = str(AS_OF)
    results = {"data": data, "windowBytes": wbytes, "windowFiles": wfiles,
               "historyBytes": tree_bytes(source), "month1Bytes": tree_bytes(month1)}
    if a.steady_only:
        results = json.load(open(os.path.join(a.work, "bench-results.json")))
        steady_day(results, bench, home, source, as_of, a.work)
        json.dump(results, open(os.path.join(a.work, "bench-results.json"), "w"), indent=1)
        table = render(results)
        print(table)
        update_markdown(a.benchmarks_md, table)
        return

    # Every phase reads the window from the OS page cache, the floor (which runs first) too:
    # "cold" means empty tables, not a cold disk cache (a build before the bench can evict it).
    for back in range(WINDOW_DAYS):
        d = AS_OF - datetime.timedelta(days=back)
        part = os.path.join(source, f"__year={d.year}", f"__month={d.month}", f"__day={d.day}")
        for name in os.listdir(part) if os.path.isdir(part) else []:
            with open(os.path.join(part, name), "rb") as f:
                while f.read(1 << 24):
                    pass

    # Window rows: the floor counts them.
    print("scan-only floor ...", flush=True)
    out, _, rss = run_measured([bench, "scan-floor", "--source", source, "--as-of", as_of,
                                "--memory-limit", MEMORY_LIMIT])
    results["floor"] = dict(json.loads(out), rss=rss)

    # Reports and views that need "today" see the day after the window, as in production.
    config_path = os.path.join(home, "config.json")
    config = json.load(open(config_path))
    config["today"] = str(AS_OF + datetime.timedelta(days=1))
    json.dump(config, open(config_path, "w"), indent=2)

    # Cold and warm, on the home's database file (setup creates tables, views, ledger).
    db = os.path.join(home, "reporting.duckdb")
    for f in (db, db + ".wal"):
        if os.path.exists(f):
            os.remove(f)
    run_measured([cli, "--home", home, "run", "setup"])
    for phase in ("cold", "warm"):
        print(f"ingestion {phase} ...", flush=True)
        out, secs, rss = run_measured([bench, "ingest", "--home", home, "--source", source, "--as-of", as_of,
                                       "--db", db, "--memory-limit", MEMORY_LIMIT,
                                       "--profile", os.path.join(a.work, f"profile-{phase}")])
        results[phase] = dict(json.loads(out), wall=secs, rss=rss)

    # Scan budget, 13 months and 1 month of history. In memory and with room to spare, so nothing
    # spills: every byte read is Parquet (a spill would be counted as read too).
    for name, src in (("budget13", source), ("budget1", month1)):
        print(f"scan budget ({name}) ...", flush=True)
        out, _, rss = run_measured([bench, "ingest", "--home", home, "--source", src, "--as-of", as_of,
                                    "--memory-limit", BUDGET_MEMORY_LIMIT])
        results[name] = dict(json.loads(out), rss=rss)

    steady_day(results, bench, home, source, as_of, a.work)

    # Reports and watchdog through the real state machines. Reports already delivered are not
    # made again, so clear the ingress bucket first: this measures making them.
    shutil.rmtree(os.path.join(home, "objects", "ingress"), ignore_errors=True)
    report_date = str(AS_OF - datetime.timedelta(days=1))
    runs = {
        "completed-comms-report": ["--input", json.dumps({"completedDate": report_date})],
        "completed-batch-report": [],
        "watchdog": ["--as-of", as_of],
    }
    results["machines"] = {}
    for machine, extra in runs.items():
        print(f"{machine} ...", flush=True)
        out, secs, rss = run_measured([cli, "--home", home, "run", machine, *extra])
        per_query = [
            {"query": m[1], "rows": int(m[2]), "ms": int(m[3])}
            for m in re.finditer(r"^((?:reports|watchdog|views)/\S+)\s+(\d+)\s+(\d+)\s*$", out, re.M)
        ]
        results["machines"][machine] = {"wall": secs, "rss": rss, "queries": per_query}

    if a.lambda_dir:
        print("lambda start-up ...", flush=True)
        out = subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "bench_lambda_startup.py"),
                              a.lambda_dir, "7"], capture_output=True, text=True, check=True).stdout
        results["lambdas"] = [
            {"name": m[1], "ms": float(m[2]), "rssMiB": float(m[3]), "binaryMB": float(m[4])}
            for m in re.finditer(r"^(\S+)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)\s*$", out, re.M)
        ]
    if a.transitions:
        print("state transitions ...", flush=True)
        out = subprocess.run(a.transitions, shell=True, capture_output=True, text=True, check=True)
        results["transitions"] = [
            {"minutes": int(m[1]), "transitions": int(m[2])}
            for m in re.finditer(r"^\s*(\d+) min -> \s*(\d+) transitions", out.stdout + out.stderr, re.M)
        ]

    results["machine"] = machine_facts()
    json.dump(results, open(os.path.join(a.work, "bench-results.json"), "w"), indent=1)
    table = render(results)
    print(table)
    update_markdown(a.benchmarks_md, table)


def steady_day(results, bench, home, source, as_of, work):
    """The steady-state day of incremental ingestion, in memory (bytes) and on a database file
    under the home's memory limit (time and peak RSS of each run)."""
    steady_work = os.path.join(work, "steady")
    for name, extra in (("steadyMemory", ["--memory-limit", BUDGET_MEMORY_LIMIT]),
                        ("steadyFile", ["--memory-limit", MEMORY_LIMIT,
                                        "--db", os.path.join(steady_work, "steady.duckdb")])):
        print(f"steady-state day ({name}) ...", flush=True)
        os.makedirs(steady_work, exist_ok=True)
        for f in ("steady.duckdb", "steady.duckdb.wal"):
            if os.path.exists(os.path.join(steady_work, f)):
                os.remove(os.path.join(steady_work, f))
        out, secs, rss = run_measured([bench, "steady-day", "--home", home, "--history", source,
                                       "--source", source, "--day", as_of, "--work", steady_work, *extra])
        results[name] = dict(json.loads(out), wall=secs, rss=rss)


def machine_facts():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                           text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "memGiB": round(gib(mem)), "date": str(datetime.date.today()),
            "commit": commit + ("+changes" if dirty else ""), "platform": platform.machine()}


def pass1_bytes(run_result):
    return sum(q["readBytes"] for q in run_result["queries"] if q["pass"] == 1)


def render(r):
    m, d = r["machine"], r["data"]
    cold, warm, floor = r["cold"], r["warm"], r["floor"]
    lines = []
    add = lines.append
    add(f"## make bench: {m['date']} · {m['cores']} vCPU {m['cpu']}, {m['memGiB']} GiB · commit {m['commit']}")
    add("")
    add(f"Data: {HISTORY_DAYS} days of history ({gib(r['historyBytes']):.2f} GiB of Parquet, {d['rows']:,} change "
        f"records, {d['items']:,} request items, {d['plans']:,} plans; generated in {d['seconds']:.0f} s). "
        f"The ingestion window ({WINDOW_DAYS} capture days to {AS_OF}) holds {floor['versions']:,} change records "
        f"of {floor['objects']:,} objects in {r['windowFiles']} files, {r['windowBytes'] / 1e6:,.0f} MB. "
        f"DuckDB memory limit {MEMORY_LIMIT}, {m['cores']} threads.")
    add("")
    add("| measure | result | target |")
    add("|---|---|---|")
    ratio = cold["seconds"] / floor["seconds"]
    add(f"| ingestion, cold (empty tables), both passes | {cold['seconds']:.1f} s | ≤ {TARGETS['cold_s']:.0f} s |")
    add(f"| ingestion, warm (same window again) | {warm['seconds']:.1f} s | |")
    add(f"| peak RSS, cold / warm | {gib(cold['rss']):.2f} / {gib(warm['rss']):.2f} GiB | ≤ {TARGETS['rss_gib']:.0f} GiB |")
    add(f"| scan-only floor (read every ingested column once, group by object key, no MERGE) | "
        f"{floor['seconds']:.1f} s, {gib(floor['rss']):.2f} GiB | |")
    add(f"| cold ÷ floor | {ratio:.1f} | ≤ {TARGETS['ratio']} |")
    for name, label in (("budget13", "13 months"), ("budget1", "1 month")):
        b = r[name]
        total = pass1_bytes(b) / r["windowBytes"]
        worst = max(q["readBytes"] for q in b["queries"]) / r["windowBytes"]
        add(f"| scan budget, {label} of history: Parquet read ÷ window bytes (run / largest query) | "
            f"{total:.2f} / {worst:.2f} | ≤ {TARGETS['scan_budget']} |")
    add("")
    add("| ingestion query | pass | cold s | warm s | rows (cold) | Parquet read, MB |")
    add("|---|---|---|---|---|---|")
    for c, w, b in zip(cold["queries"], warm["queries"], r["budget13"]["queries"]):
        add(f"| {c['query']} | {c['pass']} | {c['seconds']:.1f} | {w['seconds']:.1f} | {c['rows']:,} | "
            f"{b['readBytes'] / 1e6:,.0f} |")
    add("")
    add("| machine / query (runs) | rows | ms (slowest run) |")
    add("|---|---|---|")
    for machine, res in r["machines"].items():
        add(f"| **{machine}** (whole run, peak RSS {gib(res['rss']):.2f} GiB) | | {res['wall'] * 1000:,.0f} |")
        by_query = {}
        for q in res["queries"]:
            by_query.setdefault(q["query"], []).append(q)
        for query, runs in by_query.items():
            rows = sum(q["rows"] for q in runs)
            total = sum(q["ms"] for q in runs)
            slowest = max(q["ms"] for q in runs)
            label = f"{query} (× {len(runs)})" if len(runs) > 1 else query
            add(f"| {label} | {rows:,} | {total:,} ({slowest:,}) |")
    if r.get("steadyMemory") and r.get("steadyFile"):
        add("")
        render_steady(r["steadyMemory"], r["steadyFile"], add)
    if r.get("lambdas"):
        add("")
        add("| Lambda (release, this machine's architecture; median of 7) | first response | peak RSS | binary |")
        add("|---|---|---|---|")
        for l in r["lambdas"]:
            add(f"| {l['name']} | {l['ms']:.1f} ms | {l['rssMiB']:.1f} MiB | {l['binaryMB']:.1f} MB |")
        add("")
        add("Targets: ≤ 20 ms and ≤ 30 MB.")
    if r.get("transitions"):
        add("")
        add("| every ingestion query runs | state transitions of one ingestion run | per query |")
        add("|---|---|---|")
        for t in r["transitions"]:
            add(f"| {t['minutes']} min | {t['transitions']:,} | {t['transitions'] / 9:.1f} |")
    return "\n".join(lines)


def render_steady(mem, disk, add):
    """The steady-state day: Parquet read per day against the day's own bytes, hourly runs."""
    day_bytes = mem["dayBytes"]
    on_day = mem["runs"]
    per_run = sum(x["readBytes"] for x in on_day)
    by_query = {}
    for x in on_day:
        for q in x["queries"]:
            by_query[q["query"]] = by_query.get(q["query"], 0) + q["readBytes"]
    largest = max(v for k, v in by_query.items() if k.startswith("ingestion/request_item"))
    # The day's own reads: what landed of it by each run of the day, then all of it at 01:00 the
    # next day (the run that finds it complete).
    own = sum(x["dayBytesLanded"] for x in on_day) + day_bytes
    hourly = [x for x in disk["runs"]]
    walls = sorted(x["seconds"] for x in hourly)
    add(f"### Steady-state day: incremental ingestion of {mem['day']} (the file ledger)")
    add("")
    add(f"The day's capture: {day_bytes / 1e6:,.0f} MB in {mem['dayFiles']} hour files, landing hour by hour. "
        f"Runs at 01:00, 04:00, 08:00–18:00 UTC on the day, then 01:00 the next day; before it, a cold "
        f"run at 00:30 with an empty file ledger (every file of the week window). Bytes: in memory, so every byte read is "
        f"Parquet. Times and RSS: on a database file under the {MEMORY_LIMIT} limit.")
    add("")
    add("| measure | result | target |")
    add("|---|---|---|")
    add(f"| Parquet read by the day's 13 runs ÷ the day's bytes: largest query / the whole run | "
        f"{largest / day_bytes:.1f} / {per_run / day_bytes:.1f} | ≤ {TARGETS['day_read_files']:.1f} "
        f"(day watermarks: 7.4; the week window: ~100 per query) |")
    add(f"| the day's own partition read across its runs and the next day's 01:00 ÷ its bytes (per query) | "
        f"{own / day_bytes:.1f} | |")
    add(f"| one hourly run: median / slowest wall time | {walls[len(walls) // 2]:.1f} / {walls[-1]:.1f} s | "
        f"≤ {TARGETS['hourly_s']:.0f} s |")
    add(f"| one hourly run: largest peak RSS | {gib(max(x['peakRss'] for x in hourly)):.2f} GiB | "
        f"≤ {TARGETS['hourly_rss_gib']:.0f} GiB |")
    add(f"| cold week (empty ledger: every file of the week window), both passes | {disk['cold']['seconds']:.1f} s, "
        f"{gib(disk['cold']['peakRss']):.2f} GiB | ≤ {TARGETS['cold_week_s']:.0f} s |")
    add("")
    add("| run (UTC) | new files read | day landed, MB | Parquet read, MB | s (file) |")
    add("|---|---|---|---|---|")
    for x, y in zip(on_day + [mem["nextDay"]], disk["runs"] + [disk["nextDay"]]):
        landed = x.get("dayBytesLanded", day_bytes)
        add(f"| {x['startedAt'][:16].replace('T', ' ')} | {x['filesRead']} | "
            f"{landed / 1e6:,.0f} | {x['readBytes'] / 1e6:,.0f} | {y['seconds']:.1f} |")


def update_markdown(path, table, markers=("<!-- make bench: begin -->", "<!-- make bench: end -->")):
    """Replaces the block between `markers` in `path` with `table` (appends it when absent)."""
    begin, end = markers
    text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
    block = f"{begin}\n{table}\n{end}"
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    open(path, "w").write(text)


if __name__ == "__main__":
    main()
