"""Shared, cached inputs and the one benchmarking helper every scenario uses.

Sizes and rounds come from the environment so that a plain ``pytest benchmarks`` is
quick and the report run is one documented command (see README.md):

- ``AGENTSTATS_BENCH_EVENTS``       events per log (default 2_000_000; report: 50_000_000)
- ``AGENTSTATS_BENCH_SESSIONS``     sessions per log (default 200_000)
- ``AGENTSTATS_BENCH_ROUNDS``       rounds for agentstats, numba and the read floor (default 7)
- ``AGENTSTATS_BENCH_PEER_ROUNDS``  rounds for pandas, polars, DuckDB and string keys (default 3)
- ``AGENTSTATS_BENCH_SLOW_ROUNDS``  rounds for the NumPy and numba-after-lexsort peers, which
                                    take a 50M-row lexsort each (default: PEER_ROUNDS)
- ``AGENTSTATS_BENCH_SCALING=1``    also run test_bench_scaling.py (1M..200M events, 1k..5M sessions)
- ``AGENTSTATS_BENCH_MEMORY=1``     also run test_bench_memory.py (peak RSS in a subprocess)
- ``AGENTSTATS_BENCH_PAIRS``        alternated one/two-thread pairs of test_bench_threads.py (default 9)
"""

from __future__ import annotations

import gc
import os

import pytest

from benchmarks.generate import cached_log
from benchmarks.peers import IMPLS, assert_same


def env_int(name: str, default: int) -> int:
    return int(float(os.environ.get(name, default)))


N_EVENTS = env_int("AGENTSTATS_BENCH_EVENTS", 2_000_000)
N_SESSIONS = env_int("AGENTSTATS_BENCH_SESSIONS", 200_000)
ROUNDS = env_int("AGENTSTATS_BENCH_ROUNDS", 7)
PEER_ROUNDS = env_int("AGENTSTATS_BENCH_PEER_ROUNDS", 3)
SLOW_ROUNDS = env_int("AGENTSTATS_BENCH_SLOW_ROUNDS", PEER_ROUNDS)
#: implementations fast enough to repeat many times (on integer keys)
FAST = {"agentstats", "agentstats-2t", "numba", "read"}
SLOW = {"numpy", "numba-sorted"}


def rounds_for(name: str, keys: str) -> tuple[int, int]:
    """(rounds, warm-up rounds) of one case."""
    if name in FAST and keys == "int":
        return ROUNDS, 1
    return (SLOW_ROUNDS if name in SLOW else PEER_ROUNDS), 0


class Entry:
    """One input (a log) with each implementation's prepared form and the expected answer."""

    def __init__(self, key):
        n_events, n_sessions, layout, keys = key
        self.key = key
        self.log = cached_log(n_events, n_sessions, layout, keys=keys)
        self._prepared: dict[str, object] = {}
        self._expected = None

    def prepared(self, name: str):
        impl = IMPLS[name]
        # pandas and DuckDB share one frame; the rest prepare their own
        cache_name = {"duckdb": "duckdb", "polars-trusted": "polars",
                      "numba-sorted": "numba", "agentstats-2t": "agentstats"}.get(name, name)
        if cache_name not in self._prepared:
            self._prepared[cache_name] = impl.prepare(self.log)
        return self._prepared[cache_name]

    def drop_prepared(self, keep: str) -> None:
        """Free other libraries' copies of the input (memory for the big runs)."""
        for k in [k for k in self._prepared if k not in (keep, "agentstats", "numba", "read")]:
            del self._prepared[k]
        gc.collect()

    @property
    def expected(self) -> dict:
        """agentstats' answer (untimed); every benchmarked result must equal it."""
        if self._expected is None:
            impl = IMPLS["agentstats"]
            if impl.available():
                self._expected = impl.canon(impl.run(self.log))
            else:  # the kernel is not built: fall back to the NumPy peer
                self._expected = IMPLS["numpy"].canon(IMPLS["numpy"].run(self.log))
        return self._expected


class InputStore:
    """Holds one input at a time: tests are ordered so that each input loads once."""

    def __init__(self):
        self.entry: Entry | None = None

    def get(self, n_events: int, n_sessions: int, layout: str, keys: str = "int") -> Entry:
        key = (n_events, n_sessions, layout, keys)
        if self.entry is None or self.entry.key != key:
            self.entry = None
            gc.collect()
            self.entry = Entry(key)
        return self.entry


@pytest.fixture(scope="session")
def inputs() -> InputStore:
    return InputStore()


@pytest.fixture
def bench(benchmark, inputs):
    """``bench(impl, scenario, layout, keys=..., n_events=..., n_sessions=...)``: time one
    call of ``impl`` on the cached input, then assert its answer equals agentstats'."""

    def run(name: str, scenario: str, layout: str, keys: str = "int",
            n_events: int = N_EVENTS, n_sessions: int = N_SESSIONS):
        impl = IMPLS[name]
        if not impl.available():
            pytest.skip(f"{impl.module} is not installed (pip install .[bench])")
        entry = inputs.get(n_events, n_sessions, layout, keys)
        entry.drop_prepared(keep=name)
        arg = entry.prepared(name)
        benchmark.group = scenario
        benchmark.extra_info.update(
            impl=name, kind=impl.kind, scenario=scenario, layout=layout, keys=keys,
            n_events=n_events, n_sessions=n_sessions)
        # other processes on this 2-core VM skew timings, two-thread ones most: record
        # the 1-minute load average before each case (report.py shows it)
        benchmark.extra_info["loadavg"] = round(os.getloadavg()[0], 2)
        rounds, warmup = rounds_for(name, keys)
        out = benchmark.pedantic(impl.run, args=(arg,), iterations=1, rounds=rounds,
                                 warmup_rounds=warmup)
        if impl.kind != "floor":
            assert_same(impl.canon(out), entry.expected, f"{name} on {scenario}")
        if impl.kind == "ours":
            d = out.diagnostics
            assert d["used"] == d["rows"] == n_events, d
        return out

    return run
