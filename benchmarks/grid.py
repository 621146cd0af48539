"""Seeded time-ordered logs of many shapes, for the grid benchmark (test_bench_grid.py).

Independent of generate.py (its own rules, its own random streams), so that the
kernel is not tuned to one generator:

- sessions start uniformly over a month (30 days from 2026-08-01 UTC);
- a session has ``2 + Poisson(events_per_session - 2)`` events: its first enters
  NOT_READY (35%, logged in paused) or READY, its last and only its last enters
  SESSION_ENDED; in between the states follow a Markov chain over the transitions
  TAPI allows (SPEC 4.3: READY -> BUSY_ON_CALL 88% / NOT_READY, BUSY_ON_CALL ->
  BUSY_WRAPUP 60% / READY 32% / NOT_READY, BUSY_WRAPUP -> READY 85% / NOT_READY,
  NOT_READY -> READY), never the same state twice in a row (no duplicates);
- each state lasts an exponential dwell time (means: NOT_READY 7 min, READY 35 s,
  BUSY_ON_CALL 200 s, BUSY_WRAPUP 40 s), at least one tick;
- session ids are a dense int64 range issued in a random order (no locality between
  an id and its start time);
- the optional wait column (same ticks as the time) holds an exponential hold time
  (mean 25 s) on rows entering BUSY_ON_CALL and 0 on every other row;
- the rows are then sorted by time (stable: ties keep session order).

Shape factors: ``SESSIONS`` x ``EVENTS_PER_SESSION`` x ``STATE_DTYPES`` x ``TICKS`` x
``WAITS`` (48 shapes); ``DESIGN`` is the subset the benchmark runs (see its comment).
``cached_grid_log`` stores the arrays under ``benchmarks/.cache/`` (gitignored).

    python -m benchmarks.grid                 # pre-generate the design's inputs
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.generate import load_cached

SESSIONS = (10_000, 100_000, 1_000_000)
EVENTS_PER_SESSION = (20, 250)
STATE_DTYPES = ("int8", "int64")
TICKS = ("ms", "ns")
WAITS = (False, True)

NOT_READY, READY, BUSY_ON_CALL, BUSY_WRAPUP, SESSION_ENDED = 0, 1, 2, 3, 4
EPOCH_S = 1_785_542_400                      # 2026-08-01T00:00:00Z
MONTH_S = 30 * 86_400
TICKS_PER_S = {"ms": 10**3, "ns": 10**9}
DWELL_S = np.array([420.0, 35.0, 200.0, 40.0])      # mean time in states 0..3
WAIT_S = 25.0
P_START_PAUSED = 0.35
#: next-state probabilities (rows: from NOT_READY..BUSY_WRAPUP; columns: to 0..3)
TRANSITIONS = np.array([
    [0.00, 1.00, 0.00, 0.00],
    [0.12, 0.00, 0.88, 0.00],
    [0.08, 0.32, 0.00, 0.60],
    [0.15, 0.85, 0.00, 0.00],
])
BASE_ID = 50_000_000

CACHE_DIR = Path(os.environ.get("AGENTSTATS_BENCH_CACHE", Path(__file__).parent / ".cache"))


@dataclass(frozen=True)
class Shape:
    sessions: int
    events_per_session: int
    state_dtype: str
    ticks: str
    wait: bool

    @property
    def n_events(self) -> int:
        """Expected events (the generated log has about this many)."""
        return self.sessions * self.events_per_session

    @property
    def name(self) -> str:
        return (f"{_short(self.sessions)}x{self.events_per_session}-{self.state_dtype}-"
                f"{self.ticks}-{'wait' if self.wait else 'nowait'}")


def _short(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k"


def _design() -> tuple[Shape, ...]:
    """The shapes the benchmark runs, in this order:

    1. every (sessions x events per session) cell once, each with one combination of
       the three binary factors (states, ticks, wait), chosen so that both levels of
       every factor meet every session count and every events-per-session count (the
       two cells of a session count take complementary combinations);
    2. the two cells measured slowest before (1M sessions x 20 events: the per-session
       fixed costs; 100k x 250: the most rows per session count) with every
       combination of the binary factors (8 each).

    20 shapes of 0.2M-25M events; the 1M x 250 cell (250M events, ~8 GB with the
    peers' copies) only when AGENTSTATS_GRID_MAX_EVENTS allows it."""
    cells = {(10_000, 20): ("int8", "ms", False), (10_000, 250): ("int64", "ns", True),
             (100_000, 20): ("int64", "ms", True), (100_000, 250): ("int8", "ns", False),
             (1_000_000, 20): ("int8", "ns", True), (1_000_000, 250): ("int64", "ms", False)}
    shapes = [Shape(s, e, *c) for (s, e), c in cells.items()]
    for s, e in ((1_000_000, 20), (100_000, 250)):
        shapes += [Shape(s, e, d, t, w) for d in STATE_DTYPES for t in TICKS for w in WAITS]
    return tuple(dict.fromkeys(shapes))


#: the shapes the benchmark runs (every factor level; 1M x 250 = 250M events only
#: when AGENTSTATS_GRID_MAX_EVENTS allows it)
DESIGN = _design()


def all_shapes() -> tuple[Shape, ...]:
    return tuple(Shape(s, e, d, t, w) for s in SESSIONS for e in EVENTS_PER_SESSION
                 for d in STATE_DTYPES for t in TICKS for w in WAITS)


def _states(rng: np.random.Generator, lens: np.ndarray) -> np.ndarray:
    """The state sequence of every session, concatenated (session order)."""
    n = int(lens.sum())
    first = np.cumsum(lens) - lens
    out = np.empty(n, dtype=np.uint8)
    out[first] = np.where(rng.random(len(lens)) < P_START_PAUSED, NOT_READY, READY)
    cum = np.cumsum(TRANSITIONS, axis=1)
    cum[:, -1] = 1.0
    alive = np.arange(len(lens))
    for p in range(1, int(lens.max()) - 1):
        alive = alive[lens[alive] > p + 1]      # sessions whose row p is not their last
        if not len(alive):
            break
        at = first[alive] + p
        prev = out[at - 1]
        u = rng.random(len(alive))
        out[at] = (u[:, None] >= cum[prev][:, :3]).sum(axis=1)
    out[first + lens - 1] = SESSION_ENDED
    return out


def make_grid_log(shape: Shape, seed: int = 0) -> dict[str, np.ndarray]:
    """Generate one shape (no cache): ``{"session", "time", "state"[, "wait"]}``,
    globally time-ordered."""
    rng = np.random.default_rng([seed, shape.sessions, shape.events_per_session, 13])
    per_s = TICKS_PER_S[shape.ticks]
    lens = 2 + rng.poisson(shape.events_per_session - 2, shape.sessions).astype(np.int64)
    first = np.cumsum(lens) - lens
    state = _states(rng, lens)
    dwell = np.maximum(1, (rng.exponential(1.0, len(state))
                           * DWELL_S[np.minimum(state, 3)] * per_s).astype(np.int64))
    starts = EPOCH_S * per_s + rng.integers(0, MONTH_S * per_s, shape.sessions, dtype=np.int64)
    # time of row k = start + the dwell times of the session's rows before k
    gap = np.empty_like(dwell)
    gap[0] = 0
    gap[1:] = dwell[:-1]
    gap[first] = 0
    c = np.cumsum(gap)
    time = c - np.repeat(c[first] - starts, lens)
    del gap, c, dwell
    ids = BASE_ID + rng.permutation(shape.sessions).astype(np.int64)
    order = np.argsort(time, kind="stable")
    log = {"session": np.repeat(ids, lens)[order], "time": time[order],
           "state": state[order].astype(shape.state_dtype)}
    if shape.wait:
        calls = log["state"] == BUSY_ON_CALL
        wait = np.zeros(len(order), dtype=np.int64)
        wait[calls] = (rng.exponential(WAIT_S * per_s, int(calls.sum()))).astype(np.int64)
        log["wait"] = wait
    return log


def cache_path(shape: Shape, seed: int = 0) -> Path:
    return CACHE_DIR / f"grid-{shape.name}-seed{seed}"


def cached_grid_log(shape: Shape, seed: int = 0) -> dict[str, np.ndarray]:
    """``make_grid_log`` through the on-disk cache."""
    d = cache_path(shape, seed)
    names = ("session", "time", "state") + (("wait",) if shape.wait else ())
    return load_cached(d, names, lambda: make_grid_log(shape, seed))


if __name__ == "__main__":
    import time as _time

    limit = int(float(os.environ.get("AGENTSTATS_GRID_MAX_EVENTS", 30e6)))
    for sh in DESIGN:
        if sh.n_events > limit:
            continue
        t0 = _time.perf_counter()
        lg = cached_grid_log(sh)
        print(f"{sh.name}: {len(lg['time']):,} events in {_time.perf_counter() - t0:.1f}s")
