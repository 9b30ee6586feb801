"""make bench: time nrr against its peers on generated datasets and write
BENCHMARKS.md. Runs alternate between tools (one run of each, then the next
round), so a noisy neighbour hurts all tools alike; medians are reported.
Peak RSS comes from the kernel's rusage of each child (what /usr/bin/time -v
prints as "Maximum resident set size").

usage: run.py [--datasets S,M,D] [--runs 3] [--tools nrr,floor,...] [--threads 2]
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
NRR = os.environ.get("NRR_BIN", str(ROOT / "target/release/nrr"))
PY = sys.executable

DATASETS = {
    "S": dict(customers=100_000, months=36, daily=False, seed=101, about="100k customers x 36 month-end snapshots"),
    "M": dict(customers=1_000_000, months=36, daily=False, seed=102, about="1M customers x 36 month-end snapshots"),
    "D": dict(customers=100_000, months=36, daily=True, seed=103, about="100k customers x 36 months of daily snapshots, a Hive folder per day"),
    "L": dict(customers=5_000_000, months=36, daily=False, seed=104, about="5M customers x 36 month-end snapshots, one file per month"),
}
# Tools run on a dataset when --tools is not given: L is nrr and the fastest SQL peer side by side.
DATASET_TOOLS = {"L": ["nrr", "gridfree"]}
TOOLS = {
    "nrr": "nrr release binary, all five tables written as Parquet",
    "floor": "bare Polars scan of the needed columns (the floor)",
    "gridfree": "DuckDB, grid-free SQL written for speed (totals bridge only)",
    "polars": "Python Polars pipeline (totals bridge only)",
    "reference": "DuckDB running sql/reference/nrr.sql (all tables, in memory)",
    "spine": "DuckDB, straightforward SQL with a customer x month spine (totals bridge only)",
}


def ensure_data(name):
    d = DATA / name
    if (d / ".done").exists():
        return d
    spec = DATASETS[name]
    shutil.rmtree(d, ignore_errors=True)
    args = [NRR, "--quiet", "generate", "--customers", spec["customers"], "--months", spec["months"],
            "--seed", spec["seed"], "--output", d] + (["--daily"] if spec["daily"] else [])
    print(f"generating {name}: {spec['about']}", flush=True)
    subprocess.run([str(a) for a in args], check=True)
    (d / ".done").write_text("ok\n")
    return d


def command(tool, data, out, threads):
    if tool == "nrr":
        return [NRR, "--quiet", "run", "--input", f"{data}/snapshots", "--fx-rates", f"{data}/fx_rates.parquet",
                "--segment-by", "plan,region", "--output", str(out)]
    if tool == "floor":
        return [PY, str(HERE / "scan.py"), str(data)]
    if tool == "polars":
        return [PY, str(HERE / "polars_pipeline.py"), str(data)]
    return [PY, str(HERE / "duck.py"), tool, str(data), str(threads)]


def measure(cmd, env, timeout):
    started = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = started + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            os.wait4(proc.pid, 0)
            return None, None
        time.sleep(0.02)
    wall = time.monotonic() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        # A peer that fails or runs out of memory is a result: recorded, not raised.
        tail = proc.stderr.read().decode()[-300:].strip().replace("\n", " ")
        reason = "killed (out of memory?)" if code < 0 else f"exit {code}: {tail}"
        print(f"  {cmd[0]} failed after {wall:.1f}s, peak {human(usage.ru_maxrss * 1024)}: {reason}", flush=True)
        return None, usage.ru_maxrss * 1024
    return wall, usage.ru_maxrss * 1024


def stage_timings(data, env):
    with tempfile.TemporaryDirectory() as tmp:
        cmd = command("nrr", data, Path(tmp) / "out", 0)
        cmd.insert(1, "--log-format")
        cmd.insert(2, "json")
        cmd.remove("--quiet")
        res = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    stages = {}
    for line in res.stderr.splitlines():
        event = json.loads(line)
        if event["fields"].get("message") == "close" and "span" in event:
            stages[event["span"]["name"]] = event["fields"]["time.busy"]
    return stages


def human(n):
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default="S,M,D,L")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tools", default=None, help="default: all tools, and nrr,gridfree on L")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=900)
    ap.add_argument("--write", default=str(ROOT / "BENCHMARKS.md"))
    ap.add_argument("--from-log", help="rebuild the tables from the progress lines of an earlier run's output")
    args = ap.parse_args()
    env = dict(os.environ, POLARS_MAX_THREADS=str(args.threads), RAYON_NUM_THREADS=str(args.threads))
    def tools_of(name):
        return args.tools.split(",") if args.tools else DATASET_TOOLS.get(name, list(TOOLS))
    results, stages, rows = {}, {}, {}
    if args.from_log:
        for line in Path(args.from_log).read_text().splitlines():
            parts = line.split()
            if len(parts) >= 5 and parts[1] == "run" and parts[3] in TOOLS and parts[0] in args.datasets.split(","):
                wall = None if parts[4] in ("timeout", "failed") else float(parts[4].rstrip("s"))
                at = 5 if wall is not None or parts[4] == "failed" else None
                rss = None if at is None else float(parts[at]) * (2**30 if parts[at + 1] == "GiB" else 2**20)
                results.setdefault((parts[0], parts[3]), []).append((wall, rss))
            elif line.startswith("stages "):
                _, name, payload = line.split(" ", 2)
                stages[name] = json.loads(payload)
        for name in args.datasets.split(","):
            rows[name] = sum(1 for _ in (DATA / name / "snapshots").iterdir())
            if name not in stages:
                stages[name] = stage_timings(DATA / name, env)
    for name in [] if args.from_log else args.datasets.split(","):
        data = ensure_data(name)
        rows[name] = sum(1 for _ in (data / "snapshots").iterdir())
        stages[name] = stage_timings(data, env)
        print(f"stages {name} {json.dumps(stages[name])}", flush=True)
        for run in range(args.runs):
            for tool in tools_of(name):
                with tempfile.TemporaryDirectory() as tmp:
                    wall, rss = measure(command(tool, data, Path(tmp) / "out", args.threads), env, args.timeout)
                results.setdefault((name, tool), []).append((wall, rss))
                shown = ("timeout" if rss is None else f"failed {human(rss)}") if wall is None else f"{wall:7.2f}s {human(rss)}"
                print(f"{name} run {run + 1} {tool} {shown}", flush=True)

    lines = [
        "# Benchmarks", "",
        f"Measured {datetime.date.today().isoformat()} with `make bench` "
        f"(`{' '.join(['bench/run.py'] + [a for i, a in enumerate(sys.argv[1:]) if a != '--from-log' and sys.argv[i] != '--from-log'])}`): "
        f"{max(len(v) for v in results.values())} alternating runs per tool, medians, "
        f"{args.threads} threads for every tool (POLARS_MAX_THREADS, DuckDB `SET threads`).", "",
        f"Machine: {os.cpu_count()} CPUs ({cpu_model()}), {mem_total()} RAM, {platform.platform()}.",
        f"Versions: {versions()}.", "",
    ]
    for name in args.datasets.split(","):
        base = median_wall(results.get((name, "nrr"), []))
        lines += [f"## {name}: {DATASETS[name]['about']} ({rows[name]} snapshot files)", "",
                  "| tool | median wall | ratio to nrr | peak RSS | what |", "|---|---:|---:|---:|---|"]
        for tool in tools_of(name):
            runs = results[(name, tool)]
            wall = median_wall(runs)
            rss = max((r for _, r in runs if r), default=0)
            ratio = f"{wall / base:.2f}x" if wall and base else "n/a"
            shown = f"{wall:.2f} s" if wall else (f"failed" if rss else f"timeout (> {args.timeout} s)")
            lines.append(f"| {tool} | {shown} | {ratio} | {human(rss) if rss else 'n/a'} | {TOOLS[tool]} |")
        lines += ["", "nrr stage timings (busy time per tracing span, one run): " +
                  ", ".join(f"{k} {v}" for k, v in stages[name].items()), ""]
    if "S" in args.datasets and "M" in args.datasets:
        s, m = median_wall(results[("S", "nrr")]), median_wall(results[("M", "nrr")])
        lines += [f"Scaling S -> M (10x the customers): nrr time x{m / s:.1f}.", ""]
    Path(args.write).write_text("\n".join(lines))
    print("\n".join(lines))


def median_wall(runs):
    walls = [w for w, _ in runs if w is not None]
    return statistics.median(walls) if walls else None


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def mem_total():
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        return f"{kb / 2**20:.0f} GiB"
    except (OSError, ValueError):
        return "unknown"


def versions():
    import duckdb
    import polars
    nrr = subprocess.run([NRR, "--version"], capture_output=True, text=True).stdout.strip()
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    return f"{nrr} (Rust polars 0.55.2, {rustc}), DuckDB {duckdb.__version__}, Python Polars {polars.__version__}"


if __name__ == "__main__":
    main()
