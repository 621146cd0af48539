"""Seeded, realistic agent-session event logs for the benchmarks.

Every generated log is valid in the sense of SPEC 1-3, so that the peers' simple
algorithms (sort, next-event difference, group sums) are exactly right:

- each session starts READY, then cycles READY -> BUSY_ON_CALL -> BUSY_WRAPUP ->
  READY, with an occasional NOT_READY break after wrap-up (every transition is allowed
  by the TAPI table, SPEC 4.3; no duplicates, so ``off_table == duplicate == 0``);
- its last event, and only that one, is SESSION_ENDED (4); nothing comes after it;
- within a session times strictly increase (gaps >= 1 ns), so "time order" is
  unambiguous; across sessions ties are possible and are broken stably.

Layouts (the same events, only the row order differs):

- ``"grouped"``: sessions contiguous, each in time order (the generation order;
  sessions appear in a random order);
- ``"time"``: globally sorted by time, ties in grouped order (a stable sort);
- ``"shuffled"``: a random permutation of the rows.

``keys="int"`` gives dense int64 session ids ``BASE_ID + k`` (issued in a random
order); ``keys="str"`` maps each id to a distinct Python ``str`` (object array).

``cached_log`` stores the integer arrays under ``benchmarks/.cache/`` with
``np.save`` and rebuilds string keys on load (cheap), so that every benchmark and
every run reads the same input.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

NOT_READY, READY, BUSY_ON_CALL, BUSY_WRAPUP, SESSION_ENDED = 0, 1, 2, 3, 4

LAYOUTS = ("time", "grouped", "shuffled")
KEYS = ("int", "str")

#: first integer session id (ids are dense: BASE_ID .. BASE_ID + n_sessions - 1)
BASE_ID = 1_000_000
#: 2026-01-01T00:00:00Z in ns; sessions start uniformly over the following day
EPOCH_NS = 1_767_225_600 * 10**9
DAY_NS = 86_400 * 10**9
#: mean time spent in each state (seconds), before scaling to an ~8 h session
STATE_MEAN_S = np.array([600.0, 60.0, 240.0, 45.0, 0.0])
#: probability of a NOT_READY break after a wrap-up
P_BREAK = 0.15
SHIFT_S = 8 * 3600

CACHE_DIR = Path(os.environ.get("AGENTSTATS_BENCH_CACHE", Path(__file__).parent / ".cache"))


def _state_stream(rng: np.random.Generator, min_len: int) -> tuple[np.ndarray, np.ndarray]:
    """A stream of whole cycles [1, 2, 3] or [1, 2, 3, 0]; returns (tokens, cycle starts)."""
    n_cycles = min_len // 3 + 16
    lens = 3 + (rng.random(n_cycles) < P_BREAK).astype(np.int64)
    starts = np.cumsum(lens) - lens
    pos = np.arange(int(lens.sum())) - np.repeat(starts, lens)
    tokens = np.array([READY, BUSY_ON_CALL, BUSY_WRAPUP, NOT_READY], dtype=np.uint8)[pos]
    return tokens, starts


def _session_lengths(rng: np.random.Generator, n_events: int, n_sessions: int) -> np.ndarray:
    """Events per session: at least 2 (a start and SESSION_ENDED), summing to n_events."""
    if n_sessions < 1 or n_events < 2 * n_sessions:
        raise ValueError(f"need n_events >= 2 * n_sessions, got {n_events=} {n_sessions=}")
    weights = rng.gamma(2.0, 1.0, n_sessions)
    extra = rng.multinomial(n_events - 2 * n_sessions, weights / weights.sum())
    return (extra + 2).astype(np.int64)


def _grouped(n_events: int, n_sessions: int, seed: int):
    """Generate the grouped layout directly, block by block (bounded temporaries)."""
    rng = np.random.default_rng(seed)
    lens = _session_lengths(rng, n_events, n_sessions)
    ids = BASE_ID + rng.permutation(n_sessions).astype(np.int64)
    starts_ns = EPOCH_NS + rng.integers(0, DAY_NS, n_sessions, dtype=np.int64)
    # one cycle costs ~ (60 + 240 + 45 + P_BREAK * 600) s; scale so a session lasts ~8 h
    mean_len = n_events / n_sessions
    cycle_s = STATE_MEAN_S[1:4].sum() + P_BREAK * STATE_MEAN_S[0]
    scale = SHIFT_S / (mean_len / (3 + P_BREAK) * cycle_s)
    mean_ns = STATE_MEAN_S * scale * 1e9
    stream, cycle_starts = _state_stream(rng, max(4_000_000, 2 * int(lens.max())))
    usable = cycle_starts[cycle_starts + lens.max() <= len(stream)]

    session = np.empty(n_events, dtype=np.int64)
    time = np.empty(n_events, dtype=np.int64)
    state = np.empty(n_events, dtype=np.uint8)
    ends = np.cumsum(lens)
    block = 4_000_000
    s0 = 0
    while s0 < n_sessions:
        e_lo = ends[s0] - lens[s0]
        s1 = int(np.searchsorted(ends, e_lo + block, side="right"))
        s1 = max(s1, s0 + 1)
        e_hi = ends[s1 - 1]
        blens = lens[s0:s1]
        m = int(e_hi - e_lo)
        first = np.cumsum(blens) - blens
        pos = np.arange(m) - np.repeat(first, blens)
        offset = rng.choice(usable, size=s1 - s0)
        st = stream[np.repeat(offset, blens) + pos]
        last = first + blens - 1
        st[last] = SESSION_ENDED
        # gap before event k = time spent in the state entered at event k - 1
        dur = (rng.exponential(1.0, m) * mean_ns[st]).astype(np.int64) + 1
        gap = np.empty(m, dtype=np.int64)
        gap[0] = 0
        gap[1:] = dur[:-1]
        gap[first] = 0
        c = np.cumsum(gap)
        time[e_lo:e_hi] = c - np.repeat(c[first] - starts_ns[s0:s1], blens)
        session[e_lo:e_hi] = np.repeat(ids[s0:s1], blens)
        state[e_lo:e_hi] = st
        s0 = s1
    return session, time, state


def _layout(arrays, layout: str, seed: int):
    session, time, state = arrays
    if layout == "grouped":
        return session, time, state
    if layout == "time":
        order = np.argsort(time, kind="stable")
    elif layout == "shuffled":
        order = np.random.default_rng([seed, 1]).permutation(len(time))
    else:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    return session[order], time[order], state[order]


def string_names(n_ids: int, seed: int = 0) -> np.ndarray:
    """``n_ids`` distinct strings like ``'agent-3f9a1c2e-000123'`` (object array)."""
    tags = np.random.default_rng([seed, 2]).integers(0, 2**32, n_ids)
    return np.array([f"agent-{t:08x}-{k:06d}" for k, t in enumerate(tags)], dtype=object)


def string_keys(session: np.ndarray, seed: int = 0) -> np.ndarray:
    """Map dense int ids to distinct strings (an object array; rows of one session share
    one str object, as pandas' CSV reader and pyarrow's to_pandas produce them)."""
    lo, hi = int(session.min()), int(session.max())
    return string_names(hi - lo + 1, seed)[session - lo]


def make_log(n_events: int, n_sessions: int, layout: str = "time", seed: int = 0,
             keys: str = "int") -> dict[str, np.ndarray]:
    """Generate a log (no cache). Returns ``{"session", "time", "state"}`` arrays."""
    if keys not in KEYS:
        raise ValueError(f"keys must be one of {KEYS}, got {keys!r}")
    session, time, state = _layout(_grouped(n_events, n_sessions, seed), layout, seed)
    if keys == "str":
        session = string_keys(session, seed)
    return {"session": session, "time": time, "state": state}


def cache_path(n_events: int, n_sessions: int, layout: str, seed: int = 0) -> Path:
    return CACHE_DIR / f"{layout}-e{n_events}-s{n_sessions}-seed{seed}"


def cached_log(n_events: int, n_sessions: int, layout: str = "time", seed: int = 0,
               keys: str = "int") -> dict[str, np.ndarray]:
    """``make_log`` through the on-disk cache (integer arrays; string keys rebuilt)."""
    d = cache_path(n_events, n_sessions, layout, seed)
    names = ("session", "time", "state")
    out = load_cached(d, names, lambda: make_log(n_events, n_sessions, layout, seed))
    if keys == "str":
        # also keep the integer codes and the names ("_codes", "_names"): peers may use
        # them to build their own string column quickly, *outside* the timed call
        lo = int(out["session"].min())
        out["_codes"] = out["session"] - lo
        out["_names"] = string_names(int(out["session"].max()) - lo + 1, seed)
        out["session"] = out["_names"][out["_codes"]]
    return out


def check_log(log: dict[str, np.ndarray]) -> None:
    """Assert the invariants the peers rely on (used by the fast test)."""
    s, t, st = log["session"], log["time"], log["state"]
    codes = np.unique(s, return_inverse=True)[1] if s.dtype == object else s
    order = np.lexsort((t, codes))
    cs, ts, sts = codes[order], t[order], st[order]
    same = cs[1:] == cs[:-1]
    assert np.all(np.diff(ts)[same] > 0), "times not strictly increasing within a session"
    assert np.all(sts[1:][same] != sts[:-1][same]), "duplicate state"
    last = np.r_[~same, True]
    assert np.all((sts == SESSION_ENDED) == last), "SESSION_ENDED is not exactly the last event"
    allowed = np.zeros((5, 5), dtype=bool)
    for a, b in [(0, 1), (1, 0), (1, 2), (2, 0), (2, 1), (2, 3), (3, 0), (3, 1)]:
        allowed[a, b] = True
    allowed[:4, 4] = True
    assert np.all(allowed[sts[:-1][same], sts[1:][same]]), "transition outside SPEC 4.3"


if __name__ == "__main__":  # pre-generate inputs: python -m benchmarks.generate N S layout...
    import sys
    import time as _time

    n, s = int(float(sys.argv[1])), int(float(sys.argv[2]))
    for lay in sys.argv[3:] or LAYOUTS:
        t0 = _time.perf_counter()
        log = cached_log(n, s, lay)
        print(f"{lay} {n} events {s} sessions: {_time.perf_counter() - t0:.1f}s "
              f"-> {cache_path(n, s, lay)}")
        del log


def load_cached(d: Path, names: tuple[str, ...], make) -> dict[str, np.ndarray]:
    """The arrays `names` from the cache folder d, made with make() and saved first when
    one is missing (each file written to a temporary name and renamed, so an
    interrupted run never leaves a half-written array)."""
    if not all((d / f"{n}.npy").exists() for n in names):
        log = make()
        d.mkdir(parents=True, exist_ok=True)
        for n in names:
            tmp = d / f"{n}.tmp.npy"
            np.save(tmp, log[n])
            tmp.replace(d / f"{n}.npy")
        del log
    return {n: np.load(d / f"{n}.npy") for n in names}
