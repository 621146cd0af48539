"""Scenario 6: queue statistics per queue and 15-minute interval from a per-call table
(SPEC 8.2), agentstats beside the same computation in pandas and DuckDB.

The input is a generated table of ``AGENTSTATS_BENCH_CALLS`` calls (default 1_000_000;
the report run uses 10_000_000): 20 queues over 30 days, every outcome, flows, missing
waits and entries, calls still waiting at the report time. Every implementation gets the
raw columns (queue code, enter, leave, wait, outcome, flowed_in, flowed_out_at, int64
seconds with INT64_MIN for missing) and does the whole computation in the timed call:
the point-in-time status at ``as_of``, the interval of entry, and per (queue, interval)
the 16 statistics compared below (counts, exact int64 sums, maxima). The answers are
asserted equal after the timing.

    AGENTSTATS_BENCH_CALLS=10_000_000 python -m pytest benchmarks/test_bench_queues.py \
        --benchmark-only --benchmark-columns=min,median,max,rounds
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from agentstats.queues import MISSING, CallColumns, queue_stats

N_CALLS = int(float(os.environ.get("AGENTSTATS_BENCH_CALLS", 1_000_000)))
ROUNDS = int(float(os.environ.get("AGENTSTATS_BENCH_QUEUE_ROUNDS", 3)))
N_QUEUES = 20
SPAN = 30 * 86400
STEP = 15 * 60
THRESHOLD = 20
START = 1_767_225_600            # 2026-01-01 00:00 UTC
AS_OF = START + SPAN - 3600      # the last hour's calls are partly still waiting
STATS = ("queued", "waiting", "answered", "abandoned", "timed_out", "exited_empty",
         "exited_with_key", "refused", "flowed_in", "flowed_out", "final", "wait_left_n",
         "wait_left_sum", "wait_answered_n", "wait_answered_sum", "longest", "current_longest",
         "within")


def generate(n: int, seed: int = 12) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    queue = rng.integers(0, N_QUEUES, n).astype(np.int32)
    enter = np.sort(rng.integers(START, START + SPAN, n)).astype(np.int64)
    wait = rng.exponential(40, n).astype(np.int64)
    # answered 80 %, abandoned 12 %, the rest timed out / empty / key / refused
    outcome = rng.choice(9, n, p=[0.0, 0.80, 0.12, 0.02, 0.02, 0.01, 0.01, 0.01, 0.01]).astype(np.int8)
    leave = enter + wait
    refused = outcome >= 6
    leave[refused] = enter[refused]
    wait[refused] = MISSING
    no_wait = rng.random(n) < 0.02
    wait[no_wait & ~refused] = MISSING
    no_enter = rng.random(n) < 0.01
    enter[no_enter & ~refused] = MISSING
    flowed_in = rng.random(n) < 0.03
    flows_out = (rng.random(n) < 0.05) & np.isin(outcome, (3, 4, 5))
    flowed_out_at = np.where(flows_out, leave + 1, MISSING).astype(np.int64)
    # a few calls never leave (still waiting at the end of the log)
    still = rng.random(n) < 0.001
    outcome[still & ~refused] = 0
    leave[still & ~refused] = MISSING
    wait[still & ~refused] = MISSING
    return dict(queue=queue, enter=enter, leave=leave, wait=wait, outcome=outcome,
                flowed_in=flowed_in, flowed_out_at=flowed_out_at)


_CACHE: dict[int, dict] = {}


def calls() -> dict[str, np.ndarray]:
    if N_CALLS not in _CACHE:
        _CACHE.clear()
        _CACHE[N_CALLS] = generate(N_CALLS)
    return _CACHE[N_CALLS]


# -- agentstats ---------------------------------------------------------------------------


def run_agentstats(c: dict):
    columns = CallColumns(queue=c["queue"], queue_names=[f"q{i:02d}" for i in range(N_QUEUES)],
                          enter=c["enter"], leave=c["leave"], wait=c["wait"], outcome=c["outcome"],
                          flowed_in=c["flowed_in"], flowed_out_at=c["flowed_out_at"])
    return queue_stats(columns, interval=STEP // 60, service_level=(THRESHOLD,), as_of=AS_OF)


def canon_agentstats(table) -> dict:
    c, s, m = table.counts, table.sums, table.maxima
    out = {
        "queue": table.queue_code, "bucket": table.interval_start,
        "queued": c["total_calls_queued"], "waiting": c["current_calls_queued"],
        "answered": c["answered"], "abandoned": c["total_calls_abandoned"],
        "timed_out": c["timed_out"], "exited_empty": c["exited_empty"],
        "exited_with_key": c["exited_with_key"], "refused": c["refused"],
        "flowed_in": c["total_calls_flowed_in"], "flowed_out": c["total_calls_flowed_out"],
        "final": c["final_disposition"], "wait_left_n": c["wait_left_known"],
        "wait_left_sum": s["wait_left"], "wait_answered_n": c["wait_answered_known"],
        "wait_answered_sum": s["wait_answered"], "longest": m["longest_ever_wait"],
        "current_longest": m["current_longest_wait"], "within": table.within[THRESHOLD],
    }
    return _sorted(out)


def _sorted(out: dict) -> dict:
    out = {k: np.asarray(v).astype(np.int64) for k, v in out.items()}
    order = np.lexsort((out["bucket"], out["queue"]))
    return {k: v[order] for k, v in out.items()}


# -- pandas ---------------------------------------------------------------------------


def prepare_pandas(c: dict):
    import pandas as pd

    return pd.DataFrame(c)


def run_pandas(df):
    import pandas as pd

    enter, leave, wait, outcome = df["enter"], df["leave"], df["wait"], df["outcome"]
    enter_known = enter != MISSING
    when = enter.where(enter_known, leave)
    seen = (when != MISSING) & (when <= AS_OF)
    left = (leave != MISSING) & (leave <= AS_OF)
    status = outcome.where(left, 0)
    refused = status >= 6
    queued = seen & ~refused
    waiting = queued & (status == 0)
    wait_now = wait.where(left, (AS_OF - enter).where(enter_known, MISSING))
    known = wait_now != MISSING
    answered = queued & (status == 1)
    left_q = queued & left
    flowed_out = queued & (df["flowed_out_at"] != MISSING) & (df["flowed_out_at"] <= AS_OF)
    frame = pd.DataFrame({
        "queue": df["queue"], "bucket": when // STEP * STEP,
        "queued": queued, "waiting": waiting, "answered": answered,
        "abandoned": queued & (status == 2), "timed_out": queued & (status == 3),
        "exited_empty": queued & (status == 4), "exited_with_key": queued & (status == 5),
        "refused": seen & refused, "flowed_in": queued & df["flowed_in"], "flowed_out": flowed_out,
        "final": left_q & status.between(2, 5) & ~flowed_out,
        "wait_left_n": left_q & known, "wait_left_sum": wait_now.where(left_q & known, 0),
        "wait_answered_n": answered & known, "wait_answered_sum": wait_now.where(answered & known, 0),
        "longest": wait_now.where(queued & known, -1), "current_longest": wait_now.where(waiting & known, -1),
        "within": answered & known & (wait_now <= THRESHOLD),
    })[seen]
    aggs = {k: ("max" if k in ("longest", "current_longest") else "sum") for k in STATS}
    return frame.groupby(["queue", "bucket"], sort=False).agg(aggs).reset_index()


def canon_frame(frame) -> dict:
    return _sorted({k: frame[k].to_numpy() for k in ("queue", "bucket", *STATS)})


# -- DuckDB ---------------------------------------------------------------------------


def prepare_duckdb(c: dict):
    import duckdb

    con = duckdb.connect()
    con.register("calls", prepare_pandas(c))
    return con


_SQL = f"""
WITH t AS (
  SELECT queue, enter, leave, wait, outcome, flowed_in, flowed_out_at,
         CASE WHEN enter <> {MISSING} THEN enter ELSE leave END AS seen_at,
         (leave <> {MISSING} AND leave <= {AS_OF}) AS has_left
  FROM calls
), s AS (
  SELECT queue, seen_at, flowed_in, flowed_out_at, has_left,
         CASE WHEN has_left THEN outcome ELSE 0 END AS status,
         CASE WHEN has_left THEN wait WHEN enter <> {MISSING} THEN {AS_OF} - enter ELSE {MISSING} END AS w
  FROM t WHERE seen_at <> {MISSING} AND seen_at <= {AS_OF}
), u AS (
  SELECT *, status < 6 AS q, w <> {MISSING} AS k,
         status < 6 AND flowed_out_at <> {MISSING} AND flowed_out_at <= {AS_OF} AS fo
  FROM s
)
SELECT queue, (seen_at // {STEP}) * {STEP} AS bucket,
  count(*) FILTER (WHERE q) AS queued,
  count(*) FILTER (WHERE q AND status = 0) AS waiting,
  count(*) FILTER (WHERE q AND status = 1) AS answered,
  count(*) FILTER (WHERE q AND status = 2) AS abandoned,
  count(*) FILTER (WHERE q AND status = 3) AS timed_out,
  count(*) FILTER (WHERE q AND status = 4) AS exited_empty,
  count(*) FILTER (WHERE q AND status = 5) AS exited_with_key,
  count(*) FILTER (WHERE NOT q) AS refused,
  count(*) FILTER (WHERE q AND flowed_in) AS flowed_in,
  count(*) FILTER (WHERE fo) AS flowed_out,
  count(*) FILTER (WHERE q AND has_left AND status BETWEEN 2 AND 5 AND NOT fo) AS final,
  count(*) FILTER (WHERE q AND has_left AND k) AS wait_left_n,
  coalesce(sum(w) FILTER (WHERE q AND has_left AND k), 0) AS wait_left_sum,
  count(*) FILTER (WHERE q AND status = 1 AND k) AS wait_answered_n,
  coalesce(sum(w) FILTER (WHERE q AND status = 1 AND k), 0) AS wait_answered_sum,
  coalesce(max(w) FILTER (WHERE q AND k), -1) AS longest,
  coalesce(max(w) FILTER (WHERE q AND status = 0 AND k), -1) AS current_longest,
  count(*) FILTER (WHERE q AND status = 1 AND k AND w <= {THRESHOLD}) AS within
FROM u GROUP BY ALL
"""


def run_duckdb(con):
    return con.execute(_SQL).fetchdf()


IMPLS = {
    "agentstats": (lambda c: c, run_agentstats, canon_agentstats, "numpy"),
    "pandas": (prepare_pandas, run_pandas, canon_frame, "pandas"),
    "duckdb": (prepare_duckdb, run_duckdb, canon_frame, "duckdb"),
}
_EXPECTED: dict[int, dict] = {}


@pytest.mark.parametrize("impl", list(IMPLS))
def test_queue_stats_per_interval(benchmark, impl):
    import importlib.util

    prepare, run, canon, module = IMPLS[impl]
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed")
    data = calls()
    if N_CALLS not in _EXPECTED:
        _EXPECTED.clear()
        _EXPECTED[N_CALLS] = canon_agentstats(run_agentstats(data))
    arg = prepare(data)
    benchmark.group = "6-queue-stats"
    benchmark.extra_info.update(impl=impl, n_calls=N_CALLS, interval_s=STEP, queues=N_QUEUES)
    out = benchmark.pedantic(run, args=(arg,), iterations=1, rounds=ROUNDS, warmup_rounds=0)
    got, want = canon(out), _EXPECTED[N_CALLS]
    assert got.keys() == want.keys()
    for key in want:
        assert np.array_equal(got[key], want[key]), f"{impl}: {key} differs"
    when = np.where(data["enter"] != MISSING, data["enter"], data["leave"])
    assert want["queued"].sum() + want["refused"].sum() == np.count_nonzero((when != MISSING) & (when <= AS_OF))
