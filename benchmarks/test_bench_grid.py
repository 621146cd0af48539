"""The grid (target 8): agentstats on time-ordered logs of many shapes (grid.py: its
own generator) against the fastest peers and the time to read the input.

Per shape: the read floor, agentstats with its default threads and with one, and
polars-trusted, polars, DuckDB and pandas, every answer asserted equal to agentstats'
(the four session totals, and the wait sum and maximum when the log has waits).

Knobs (environment):

- ``AGENTSTATS_BENCH_GRID=1``       the full design (grid.DESIGN up to 30M events a shape);
                                    without it only the shapes of at most 3M events run
- ``AGENTSTATS_GRID_MAX_EVENTS``    skip shapes above this many events (1M x 250 = 250M
                                    needs ``3e8`` and ~10 GB)
- ``AGENTSTATS_GRID_SHAPES``        comma-separated shape names (e.g. ``1Mx20-int8-ns-wait``)
- ``AGENTSTATS_GRID_ROUNDS``        rounds of agentstats and the read (default 7, one warm-up)
- ``AGENTSTATS_GRID_PEER_ROUNDS``   rounds of polars-trusted and DuckDB (default 3)
- ``AGENTSTATS_GRID_SLOW_ROUNDS``   rounds of polars (sorting) and pandas (default 1)
"""

from __future__ import annotations

import gc
import os

import pytest

from benchmarks.conftest import env_int
from benchmarks.grid import DESIGN, cached_grid_log
from benchmarks.peers import IMPLS, assert_same

FULL = os.environ.get("AGENTSTATS_BENCH_GRID") == "1"
MAX_EVENTS = env_int("AGENTSTATS_GRID_MAX_EVENTS", 30_000_000 if FULL else 3_000_000)
ONLY = {s for s in os.environ.get("AGENTSTATS_GRID_SHAPES", "").split(",") if s}
ROUNDS = env_int("AGENTSTATS_GRID_ROUNDS", 7)
PEER_ROUNDS = env_int("AGENTSTATS_GRID_PEER_ROUNDS", 3)
SLOW_ROUNDS = env_int("AGENTSTATS_GRID_SLOW_ROUNDS", 1)

#: in this order for each shape (the input is loaded once per shape)
IMPLS_GRID = ("read", "agentstats-auto", "agentstats", "polars-trusted", "duckdb", "polars",
              "pandas")
SHAPES = [s for s in DESIGN if s.n_events <= MAX_EVENTS and (not ONLY or s.name in ONLY)]


class _Current:
    """The one grid input in memory, with the peers' prepared copies and the answer."""

    shape = None
    log: dict = {}
    prepared: dict = {}
    expected: dict | None = None

    @classmethod
    def get(cls, shape):
        if cls.shape != shape:
            cls.shape, cls.log, cls.prepared, cls.expected = None, {}, {}, None
            gc.collect()
            log = cached_grid_log(shape)
            log["_unit"] = shape.ticks
            cls.shape, cls.log = shape, log
            ours = IMPLS["agentstats"]
            cls.expected = ours.canon(ours.run(log))
        return cls


def _rounds(name: str) -> tuple[int, int]:
    if name in ("read", "agentstats", "agentstats-auto"):
        return ROUNDS, 1
    return (PEER_ROUNDS if name in ("polars-trusted", "duckdb") else SLOW_ROUNDS), 0


@pytest.mark.parametrize("name", IMPLS_GRID)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: s.name)
def test_grid(benchmark, shape, name):
    impl = IMPLS[name]
    if not impl.available():
        pytest.skip(f"{impl.module} is not installed (pip install .[bench])")
    cur = _Current.get(shape)
    cache = {"polars-trusted": "polars"}.get(name, name)
    for other in [k for k in cur.prepared if k != cache]:
        del cur.prepared[other]            # one peer's copy of the input at a time
    if cache not in cur.prepared:
        cur.prepared[cache] = impl.prepare(cur.log)
    arg = cur.prepared[cache]
    n_events = len(cur.log["time"])
    benchmark.group = "grid"
    benchmark.extra_info.update(
        impl=name, kind=impl.kind, scenario=f"grid {shape.name}", layout="time", keys="int",
        n_events=n_events, n_sessions=shape.sessions, shape=shape.name,
        events_per_session=shape.events_per_session, state_dtype=shape.state_dtype,
        ticks=shape.ticks, wait=shape.wait, loadavg=round(os.getloadavg()[0], 2))
    rounds, warmup = _rounds(name)
    out = benchmark.pedantic(impl.run, args=(arg,), iterations=1, rounds=rounds,
                             warmup_rounds=warmup)
    if impl.kind != "floor":
        assert_same(impl.canon(out), cur.expected, f"{name} on grid {shape.name}")
    if impl.kind == "ours":
        d = out.diagnostics
        assert d["used"] == d["rows"] == n_events, d
