"""The queue_log reader of two builds alternated, every step a fresh process.

    python benchmarks/qlog_ab.py LOG [--before OTHER_SRC] [--rounds 3]

Per round: reading the file once (8 MiB blocks, newlines counted) and DuckDB's
parse-and-split (``test_bench_queue_log.duckdb_split``), then, for `--before` (another
tree's ``src/``, e.g. a ``git worktree`` of main built in place) and this checkout in
turn: ``import_queue_log(LOG)``, with ``keep_calls=False`` (what the report does), with
``read_threads=1, keep_calls=False``, the alias-inference pass alone, and
``agentstats report LOG --by queue -o out.csv`` and the same report of the log's first
100 lines (start-up). Each line printed: the step, wall and CPU seconds of the process
(the report: wall of the command) and the 1-minute load average; then the medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = str(HERE.parent / "src")

_CHILD = r"""
import inspect, sys, time
sys.path[:0] = [sys.argv[1], sys.argv[2]]
step, log = sys.argv[3], sys.argv[4]
t0, c0 = time.perf_counter(), time.process_time()
if step == "read":
    n = 0
    with open(log, "rb") as f:
        while block := f.read(8 << 20):
            n += block.count(b"\n")
elif step == "duckdb":
    from test_bench_queue_log import duckdb_split
    n = duckdb_split(log)
elif step == "aliases":
    from agentstats.io.queue_log import infer_aliases
    two = {"read_threads": 2} if "read_threads" in inspect.signature(infer_aliases).parameters else {}
    n = len(infer_aliases([log], **two)[0])
else:
    from agentstats.io.queue_log import import_queue_log
    options = {"import": {}, "keep_calls=False": {"keep_calls": False},
               "read_threads=1": {"read_threads": 1, "keep_calls": False}}[step]
    n = import_queue_log(log, **options).diagnostics["lines"]
print(time.perf_counter() - t0, time.process_time() - c0, n)
"""

IMPORT_STEPS = ("import", "keep_calls=False", "read_threads=1", "aliases")


def _load() -> float:
    return float(open("/proc/loadavg").read().split()[0])


def _child(src: str, step: str, log: str) -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", _CHILD, src, str(HERE), step, log], check=True,
                         capture_output=True, text=True).stdout
    # (the last three words: DuckDB may draw a progress bar before them)
    wall, cpu, _ = out.split()[-3:]
    return float(wall), float(cpu)


def _report(src: str, log: str, out: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "agentstats", "report", log, "--by", "queue", "-o", out, "-q"],
                   env={**os.environ, "PYTHONPATH": src}, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log")
    parser.add_argument("--before", help="another tree's src/ to alternate with this checkout's")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    trees = ([("before", args.before)] if args.before else []) + [("this", SRC)]
    walls: dict[tuple[str, str], list[float]] = defaultdict(list)
    cpus: dict[tuple[str, str], list[float]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as tmp:
        head = Path(tmp, "head.log")
        with open(args.log, "rb") as f:
            head.write_bytes(b"".join(f.readline() for _ in range(100)))
        for _ in range(args.rounds):
            for step in ("read", "duckdb"):
                wall, cpu = _child(SRC, step, args.log)
                walls["-", step].append(wall)
                print(f"{step:18} wall {wall:6.3f} s  cpu {cpu:6.3f} s  load {_load():.2f}", flush=True)
            for step in IMPORT_STEPS:
                for label, src in trees:
                    wall, cpu = _child(src, step, args.log)
                    walls[label, step].append(wall)
                    cpus[label, step].append(cpu)
                    print(f"{label:6} {step:18} wall {wall:6.3f} s  cpu {cpu:6.3f} s  load {_load():.2f}", flush=True)
            for step, log in (("report", args.log), ("report 100 lines", str(head))):
                for label, src in trees:
                    wall = _report(src, log, str(Path(tmp, f"{label}.csv")))
                    walls[label, step].append(wall)
                    print(f"{label:6} {step:18} wall {wall:6.3f} s  load {_load():.2f}", flush=True)
    print("medians:")
    for (label, step), values in walls.items():
        cpu = f"  cpu {statistics.median(cpus[label, step]):6.3f} s" if cpus.get((label, step)) else ""
        print(f"{label:6} {step:18} wall {statistics.median(values):6.3f} s{cpu}")


if __name__ == "__main__":
    main()
