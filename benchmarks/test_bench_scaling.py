"""Target 7: events/s against the number of events and of sessions (time-ordered log).

Opt-in (AGENTSTATS_BENCH_SCALING=1): the 200M-event input alone is 3.4 GB. Peers run
up to 10M events (their 50M figures come from the layout groups); at 200M only
agentstats and the read floor run. Lists can be overridden with
AGENTSTATS_BENCH_SCALE_EVENTS / _SESSIONS (comma-separated) and _AT (events for the
session sweep).
"""

import os

import pytest

from benchmarks.conftest import N_SESSIONS, env_int

pytestmark = pytest.mark.skipif(os.environ.get("AGENTSTATS_BENCH_SCALING", "") in ("", "0"),
                                reason="scaling runs are opt-in: AGENTSTATS_BENCH_SCALING=1")


def _list(name, default):
    return [int(float(x)) for x in os.environ.get(name, default).split(",") if x]


EVENTS = _list("AGENTSTATS_BENCH_SCALE_EVENTS", "1e6,1e7,5e7,2e8")
SESSIONS = _list("AGENTSTATS_BENCH_SCALE_SESSIONS", "1e3,2e5,5e6")
AT = env_int("AGENTSTATS_BENCH_SCALE_AT", 50_000_000)


def _impls(n):
    impls = ["agentstats", "agentstats-2t", "read"]
    if n <= 50_000_000:
        impls.append("numba")
    if n <= 10_000_000:
        impls += ["polars-trusted", "duckdb"]
    return impls


CASES = ([("events", n, N_SESSIONS, i) for n in EVENTS for i in _impls(n)]
         + [("sessions", AT, s, i) for s in SESSIONS if s != N_SESSIONS
            for i in ["agentstats", "agentstats-2t", "read", "numba"]])


@pytest.mark.parametrize(("sweep", "n_events", "n_sessions", "impl"), CASES,
                         ids=[f"{w}-{n}-{s}-{i}" for w, n, s, i in CASES])
def test_scaling(bench, sweep, n_events, n_sessions, impl):
    bench(impl, f"7-{sweep}-e{n_events}-s{n_sessions}", "time",
          n_events=n_events, n_sessions=n_sessions)
