"""Scenario 8: reading a queue_log, agentstats beside reading the file once and DuckDB.

The log is the demo's dirty log of ``AGENTSTATS_BENCH_QLOG_AGENTS`` agents over
``AGENTSTATS_BENCH_QLOG_DAYS`` days (default 50 and 3, about 2 MB; the measured run uses
1000 and 30: 4.06M lines, 273 MB), written once per session into pytest's temporary
directory. Side by side:

- ``read``: the file read once in 8 MiB blocks, its newlines counted (the floor);
- ``duckdb``: DuckDB reads the file as lines, splits them on ``|`` and counts lines per
  verb (parse-and-split, none of the reading rules of agentstats);
- ``import_queue_log``: the whole import (reading rules, reordering, the agent state
  machine, the aggregation), in this process;
- ``report``: ``agentstats report LOG --by queue -o out.csv`` end to end (a subprocess,
  start-up included).

Every line is accounted for: the line count of agentstats equals the newline count and
DuckDB's row count.

    AGENTSTATS_BENCH_QLOG_AGENTS=1000 AGENTSTATS_BENCH_QLOG_DAYS=30 \
        python -m pytest benchmarks/test_bench_queue_log.py --benchmark-only \
        --benchmark-columns=min,median,max,rounds
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

N_AGENTS = int(float(os.environ.get("AGENTSTATS_BENCH_QLOG_AGENTS", 50)))
N_DAYS = int(float(os.environ.get("AGENTSTATS_BENCH_QLOG_DAYS", 3)))
ROUNDS = int(float(os.environ.get("AGENTSTATS_BENCH_QLOG_ROUNDS", 3)))
SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture(scope="session")
def demo_log(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("queue_log") / f"demo-{N_AGENTS}-{N_DAYS}.log"
    subprocess.run([sys.executable, "-m", "agentstats.demo", "--agents", str(N_AGENTS),
                    "--days", str(N_DAYS), "--dirty", "-o", str(path)],
                   env={**os.environ, "PYTHONPATH": str(SRC)}, check=True, capture_output=True)
    return path


def read_once(path: Path) -> int:
    newlines = 0
    with open(path, "rb") as f:
        while block := f.read(8 << 20):
            newlines += block.count(b"\n")
    return newlines


def duckdb_split(path: Path) -> int:
    import duckdb

    con = duckdb.connect()
    rows = con.execute(f"""
        select split_part(line, '|', 5) as verb, count(*) from
        read_csv('{path}', columns={{'line': 'VARCHAR'}}, delim=chr(1), header=false,
                 quote='', escape='', auto_detect=false, null_padding=true)
        group by verb""").fetchall()
    return sum(count for _, count in rows)


def import_log(path: Path) -> int:
    from agentstats.io.queue_log import import_queue_log

    return import_queue_log(path).diagnostics["lines"]


def report(path: Path) -> int:
    out = path.with_suffix(".csv")
    subprocess.run([sys.executable, "-m", "agentstats", "report", str(path), "--by", "queue",
                    "-o", str(out), "-q"], env={**os.environ, "PYTHONPATH": str(SRC)},
                   check=True, capture_output=True)
    return read_once(path)          # the report itself is checked by the test suite


IMPLS = {"read": read_once, "duckdb": duckdb_split, "import_queue_log": import_log, "report": report}


@pytest.mark.parametrize("impl", list(IMPLS))
def test_queue_log_read(benchmark, demo_log, impl):
    benchmark.group = "8-queue-log"
    benchmark.extra_info.update(impl=impl, agents=N_AGENTS, days=N_DAYS,
                                bytes=demo_log.stat().st_size)
    lines = benchmark.pedantic(IMPLS[impl], args=(demo_log,), iterations=1, rounds=ROUNDS,
                               warmup_rounds=0)
    assert lines == read_once(demo_log)
