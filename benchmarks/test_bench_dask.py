"""agentstats.dask on a two-worker LocalCluster against one process, on the same daily
Parquet files, and where the cluster's time goes.

    AGENTSTATS_DASK_EVENTS=20_000_000 python -m pytest benchmarks/test_bench_dask.py -s

Knobs: ``AGENTSTATS_DASK_EVENTS`` (default 2_000_000; the issue's size is 200M),
``AGENTSTATS_DASK_DAYS`` (daily files, default 8), ``AGENTSTATS_DASK_SESSIONS``
(default events / 250). The time-ordered log of benchmarks/generate.py is cut into
days by time (sessions cross the day edges), written once as Parquet files (session
int64, time timestamp[ns], state uint8; cached beside the other inputs) and read by
both runs. The figures go to benchmarks/results/dask.json at the documented size (200M
events) and to results/dask-<events>.json otherwise (not kept in git), so that a quick
run at a small size never replaces the recorded figures.

Phases of the cluster run (each timed on its own, end to end from the client):
- read: the workers read their Parquet files (nothing returned);
- pieces: read + partial aggregation on the workers, partials left on the workers;
- gather: the partials sent to the client (their pickled size is reported);
- merge: merge_partials on the client;
- total: agentstats.dask.aggregate, one call.
The one-process runs: pandas.read_parquet + aggregate(frame), and pyarrow's
read_table + aggregate(table) (the Arrow columns used in place).
"""

from __future__ import annotations

import json
import os
import pickle
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

import dask  # noqa: E402

import agentstats  # noqa: E402
import agentstats.dask  # noqa: E402
from agentstats.dask import _piece  # noqa: E402
from agentstats.partial import merge_partials  # noqa: E402
from benchmarks.generate import CACHE_DIR, cached_log  # noqa: E402

N_EVENTS = int(float(os.environ.get("AGENTSTATS_DASK_EVENTS", 2_000_000)))
N_DAYS = int(os.environ.get("AGENTSTATS_DASK_DAYS", 8))
N_SESSIONS = int(float(os.environ.get("AGENTSTATS_DASK_SESSIONS", max(1000, N_EVENTS // 250))))
DOCUMENTED_EVENTS = 200_000_000
RESULTS = Path(__file__).parent / "results" / (
    "dask.json" if N_EVENTS == DOCUMENTED_EVENTS else f"dask-{N_EVENTS}.json")
NAMES = {"session": "session", "time": "time", "state": "state"}


def daily_files() -> list[Path]:
    folder = CACHE_DIR / f"dask-e{N_EVENTS}-s{N_SESSIONS}-d{N_DAYS}"
    files = [folder / f"day-{day:02d}.parquet" for day in range(N_DAYS)]
    if all(f.exists() for f in files):
        return files
    log = cached_log(N_EVENTS, N_SESSIONS, "time")
    t = log["time"]
    lo, span = int(t.min()), int(t.max()) - int(t.min()) + 1
    day = ((t - lo) // -(-span // N_DAYS)).astype(np.int64)
    cuts = np.searchsorted(day, np.arange(N_DAYS + 1))          # time-ordered: days contiguous
    folder.mkdir(parents=True, exist_ok=True)
    for d, path in enumerate(files):
        a, b = cuts[d], cuts[d + 1]
        table = pa.table({"session": log["session"][a:b], "time": pa.array(t[a:b].view("datetime64[ns]")),
                          "state": log["state"][a:b].astype(np.uint8)})
        tmp = path.with_suffix(".tmp")
        pq.write_table(table, tmp)
        tmp.replace(path)
    return files


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None, memory_limit=0) as cluster, \
            distributed.Client(cluster) as client:
        yield client


def test_cluster_against_one_process(client):
    files = daily_files()
    figures: dict[str, float | int | str] = {"events": N_EVENTS, "sessions": N_SESSIONS, "days": N_DAYS}

    # One process: read every file, aggregate once (its default threads: both cores).
    frame, read_one = timed(lambda: pd.read_parquet(files))
    one, aggregate_one = timed(lambda: agentstats.aggregate(frame, **NAMES))
    del frame
    figures.update(one_process_read=read_one, one_process_aggregate=aggregate_one,
                   one_process=read_one + aggregate_one)
    # The same through Arrow: the columns are used in place, no pandas frame is built.
    arrow, read_arrow = timed(lambda: pq.read_table(files))
    from_arrow, aggregate_arrow = timed(lambda: agentstats.aggregate(arrow, **NAMES))
    del arrow
    figures.update(one_process_arrow_read=read_arrow, one_process_arrow_aggregate=aggregate_arrow,
                   one_process_arrow=read_arrow + aggregate_arrow)

    ddf = dd.read_parquet([str(f) for f in files])
    assert ddf.npartitions >= N_DAYS          # large files are split by row groups
    parts = ddf.to_delayed()
    figures["partitions"] = len(parts)
    dask.compute(*[dask.delayed(_piece)(p, NAMES, {"unit": None, "as_of": None, "strict": True,
                                                   "off_table": "count"}, i)
                   for i, p in enumerate(parts[:2])])        # warm up: imports on the workers
    _, read = timed(lambda: dask.compute(*[dask.delayed(len)(p) for p in parts]))
    options = {"unit": None, "as_of": None, "strict": True, "off_table": "count"}
    tasks = [dask.delayed(_piece)(p, NAMES, options, i) for i, p in enumerate(parts)]
    futures = client.compute(tasks)
    _, pieces_time = timed(lambda: distributed.wait(futures))
    pieces, gather = timed(lambda: client.gather(futures))
    del futures
    merged, merge = timed(lambda: merge_partials(pieces))
    table, total = timed(lambda: agentstats.dask.aggregate(ddf, **NAMES))

    figures.update(
        cluster_read=read, cluster_read_and_pieces=pieces_time, cluster_gather=gather,
        cluster_merge=merge, cluster_total=total,
        partial_bytes=sum(len(pickle.dumps(p, protocol=5)) for p in pieces),
        ratio_one_process_over_cluster=(read_one + aggregate_one) / total,
        ratio_one_process_arrow_over_cluster=(read_arrow + aggregate_arrow) / total,
    )
    print()
    for name, value in figures.items():
        print(f"{name:32} {value:.3f}" if isinstance(value, float) else f"{name:32} {value}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=1) + "\n")

    # After timing: the same table, and the merge is not the bottleneck.
    for got in (table, merged, from_arrow):
        assert got.diagnostics == one.diagnostics
        assert np.array_equal(got.keys, one.keys)
        for name in one.ticks:
            assert np.array_equal(got.ticks[name], one.ticks[name]), name
    assert merge < pieces_time
