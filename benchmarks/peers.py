"""The same per-session computation in agentstats and in each peer library.

For every session (keyed by its session id), in exact int64 ticks (ns):

- ``session_duration``  = end - start, end = time of SESSION_ENDED (SPEC 2.1)
- ``total_talk_time``   = time in BUSY_ON_CALL (2)                 (SPEC 2.2)
- ``total_wrapup_time`` = time in BUSY_WRAPUP (3)                  (SPEC 2.3)
- ``number_of_calls``   = entries into BUSY_ON_CALL                (SPEC 2.5)

and, when the log has a ``wait`` column (the grid's logs: the hold time on rows
entering BUSY_ON_CALL, 0 elsewhere):

- ``wait_sum``          = sum of wait over the calls                (SPEC 2.9)
- ``wait_max``          = largest wait over the calls, -1 when none (SPEC 2.8)

A log may carry ``_unit`` (the tick unit agentstats is told; default ns); keys
starting with ``_`` are not columns.

The peers use the textbook algorithm (order each session's events by time, take the
difference to the session's next event, sum by state). That is exactly SPEC 2 on the
generated logs, which have no duplicates, nothing after SESSION_ENDED and
SESSION_ENDED as every session's last event (see ``generate.check_log``).

Each implementation is an ``Impl``: ``prepare`` turns the NumPy input dict into the
library's native input *outside* the timed call (a pandas/polars frame, a DuckDB
connection; this favours the peers), ``run`` is the timed call, and ``canon`` turns
its output into the canonical form compared with agentstats: a dict of NumPy arrays
sorted by session key (``session`` + the four columns above, int64).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

COLUMNS = ("session_duration", "total_talk_time", "total_wrapup_time", "number_of_calls")
WAIT_COLUMNS = ("wait_sum", "wait_max")
ORDERED_LAYOUTS = frozenset({"time", "grouped"})
ALL_LAYOUTS = frozenset({"time", "grouped", "shuffled"})


@dataclass(frozen=True)
class Impl:
    name: str
    module: str  # the library that must be importable
    prepare: Callable[[dict], Any]
    run: Callable[[Any], Any]
    canon: Callable[[Any], dict]
    layouts: frozenset = ALL_LAYOUTS  # layouts on which it is correct
    keys: frozenset = field(default=frozenset({"int", "str"}))
    kind: str = "peer"  # "ours", "peer" or "floor"

    def available(self) -> bool:
        return importlib.util.find_spec(self.module) is not None


def canonical(session, columns: dict) -> dict:
    """Sort by key; every column to int64 NumPy."""
    session = np.asarray(session)
    order = np.argsort(session, kind="stable")
    out = {"session": session[order]}
    for c in COLUMNS + tuple(c for c in WAIT_COLUMNS if c in columns):
        out[c] = np.asarray(columns[c]).astype(np.int64, copy=False)[order]
    return out


def assert_same(got: dict, expected: dict, who: str = "") -> None:
    """Exact equality of two canonical results, with a readable first difference."""
    assert len(got["session"]) == len(expected["session"]), (
        f"{who}: {len(got['session'])} sessions, expected {len(expected['session'])}")
    for c in ("session", *COLUMNS, *(c for c in WAIT_COLUMNS if c in expected)):
        assert c in got, f"{who}: no column {c}"
        a, b = np.asarray(got[c]), np.asarray(expected[c])
        bad = np.flatnonzero(a != b)
        assert bad.size == 0, (
            f"{who}: column {c} differs in {bad.size} sessions; first at "
            f"session {expected['session'][bad[0]]!r}: {a[bad[0]]!r} != {b[bad[0]]!r}")


# --------------------------------------------------------------------------- agentstats
def _agentstats(n_threads: int):
    def run(log):
        import agentstats

        return agentstats.aggregate(log["session"], log["time"], log["state"],
                                    wait=log.get("wait"), unit=log.get("_unit", "ns"),
                                    n_threads=n_threads)
    return run


#: SessionTable.ticks name -> canonical column (exact int64 ticks, table.py)
AGENTSTATS_TICKS = {"duration": "session_duration", "talk": "total_talk_time",
                    "wrap": "total_wrapup_time", "calls": "number_of_calls"}


def _agentstats_canon(table) -> dict:
    names = {**AGENTSTATS_TICKS, **({"wait_sum": "wait_sum", "wait_max": "wait_max"}
                                    if table.has_wait else {})}
    return canonical(table.keys, {c: table.ticks[k] for k, c in names.items()})


# --------------------------------------------------------------------------- read floor
def _read(log):
    return tuple(int(v.sum()) for k, v in log.items() if not k.startswith("_")
                 and k in ("session", "time", "state", "wait"))


# --------------------------------------------------------------------------- pandas
def _pandas_prepare(log):
    import pandas as pd

    cols = {"session": log["session"], "time": log["time"], "state": log["state"]}
    if "wait" in log:
        cols["wait"] = log["wait"]
    return pd.DataFrame(cols)


def _pandas(df):
    df = df.sort_values(["session", "time"], kind="stable")
    st = df["state"]
    nxt = df.groupby("session", sort=False)["time"].shift(-1, fill_value=0)
    dur = nxt - df["time"]  # (the last event of a session is SESSION_ENDED: not summed)
    work = df[["session", "time"]].assign(
        talk=dur.where(st == 2, 0), wrap=dur.where(st == 3, 0), call=(st == 2).astype("int64"))
    aggs = dict(start=("time", "min"), end=("time", "max"),
                talk=("talk", "sum"), wrap=("wrap", "sum"), calls=("call", "sum"))
    if "wait" in df:
        work = work.assign(wsum=df["wait"].where(st == 2, 0), wmax=df["wait"].where(st == 2, -1))
        aggs.update(wait_sum=("wsum", "sum"), wait_max=("wmax", "max"))
    return work.groupby("session", sort=False).agg(**aggs)


def _pandas_canon(out) -> dict:
    return canonical(out.index.to_numpy(), {
        "session_duration": (out["end"] - out["start"]).to_numpy(),
        "total_talk_time": out["talk"].to_numpy(),
        "total_wrapup_time": out["wrap"].to_numpy(),
        "number_of_calls": out["calls"].to_numpy(),
        **{c: out[c].to_numpy() for c in WAIT_COLUMNS if c in out}})


# --------------------------------------------------------------------------- polars
def _polars_prepare(log):
    import polars as pl

    s = log["session"]
    if s.dtype != object:
        session = pl.Series("session", s)
    elif "_codes" in log:  # the same strings, built without hashing every row
        session = pl.Series("session", log["_names"].tolist(), dtype=pl.String).gather(log["_codes"])
    else:
        session = pl.Series("session", s.tolist(), dtype=pl.String)
    cols = [session, pl.Series("time", log["time"]), pl.Series("state", log["state"])]
    if "wait" in log:
        cols.append(pl.Series("wait", log["wait"]))
    return pl.DataFrame(cols)


def _polars_query(lf):
    import polars as pl

    t, st = pl.col("time"), pl.col("state")
    waits = {}
    if "wait" in lf.collect_schema().names():
        w = pl.col("wait").filter(st == 2)
        waits = dict(wait_sum=w.sum(), wait_max=w.max().fill_null(-1))
    return (lf.with_columns(dur=t.shift(-1).over("session") - t)
              .group_by("session")
              .agg(session_duration=t.max() - t.min(),
                   total_talk_time=pl.col("dur").filter(st == 2).sum(),
                   total_wrapup_time=pl.col("dur").filter(st == 3).sum(),
                   number_of_calls=(st == 2).sum().cast(pl.Int64), **waits))


def _polars(df):
    """sort (stable) + shift over session + group_by."""
    return _polars_query(df.lazy().sort("session", "time", maintain_order=True)).collect()


def _polars_trusted(df):
    """No sort: each session's rows are already in time order in the input (SPEC 1.1)."""
    return _polars_query(df.lazy()).collect()


def _polars_canon(out) -> dict:
    return canonical(out["session"].to_numpy(), {c: out[c].to_numpy() for c in COLUMNS + WAIT_COLUMNS
                                                 if c in out.columns})


# --------------------------------------------------------------------------- DuckDB
DUCKDB_SQL = """
WITH w AS (
  SELECT session, time, state,
         LEAD(time) OVER (PARTITION BY session ORDER BY time) - time AS dur
  FROM log)
SELECT session,
       (max(time) - min(time))::BIGINT                           AS session_duration,
       coalesce(sum(dur) FILTER (WHERE state = 2), 0)::BIGINT    AS total_talk_time,
       coalesce(sum(dur) FILTER (WHERE state = 3), 0)::BIGINT    AS total_wrapup_time,
       count(*) FILTER (WHERE state = 2)::BIGINT                 AS number_of_calls
FROM w GROUP BY session
"""
DUCKDB_WAIT_SQL = DUCKDB_SQL.replace("SELECT session, time, state,", "SELECT session, time, state, wait,").replace(
    "AS number_of_calls", """AS number_of_calls,
       coalesce(sum(wait) FILTER (WHERE state = 2), 0)::BIGINT   AS wait_sum,
       coalesce(max(wait) FILTER (WHERE state = 2), -1)::BIGINT  AS wait_max""")


def _duckdb_prepare(log):
    import duckdb

    con = duckdb.connect()
    con.register("log", _pandas_prepare(log))  # scanned in place (replacement scan)
    return con, "wait" in log


def _duckdb(prepared):
    con, has_wait = prepared
    return con.execute(DUCKDB_WAIT_SQL if has_wait else DUCKDB_SQL).fetchnumpy()


def _duckdb_canon(out) -> dict:
    return canonical(np.asarray(out["session"]), out)


# --------------------------------------------------------------------------- NumPy
def _numpy(log):
    """lexsort (time, session) + diff + np.add.reduceat."""
    order = np.lexsort((log["time"], log["session"]))
    s, t, st = log["session"][order], log["time"][order], log["state"][order]
    n = len(s)
    brk = np.flatnonzero(s[1:] != s[:-1]) + 1
    first = np.concatenate(([0], brk))
    last = np.concatenate((brk, [n])) - 1
    dur = np.empty(n, dtype=np.int64)
    np.subtract(t[1:], t[:-1], out=dur[:-1])
    dur[-1:] = 0
    talk = np.add.reduceat(np.where(st == 2, dur, 0), first)
    wrap = np.add.reduceat(np.where(st == 3, dur, 0), first)
    calls = np.add.reduceat((st == 2).astype(np.int64), first)
    return {"session": s[first], "session_duration": t[last] - t[first],
            "total_talk_time": talk, "total_wrapup_time": wrap, "number_of_calls": calls}


def _numpy_canon(out) -> dict:
    return canonical(out["session"], out)


# --------------------------------------------------------------------------- numba
_NUMBA_SCAN = None


def _numba_scan():
    """Compile (once) the streaming loop: the algorithm of agentstats' kernel, in numba."""
    global _NUMBA_SCAN
    if _NUMBA_SCAN is None:
        import numba

        @numba.njit(nogil=True, cache=False)
        def scan(session, time, state):
            n = session.shape[0]
            lo = session[0] if n else 0
            hi = lo
            for i in range(n):  # dense integer ids: direct lookup table
                k = session[i]
                lo = min(lo, k)
                hi = max(hi, k)
            m = hi - lo + 1 if n else 0
            cur = np.full(m, -1, np.int8)
            last_t = np.zeros(m, np.int64)
            start = np.zeros(m, np.int64)
            end = np.zeros(m, np.int64)
            talk = np.zeros(m, np.int64)
            wrap = np.zeros(m, np.int64)
            calls = np.zeros(m, np.int64)
            for i in range(n):
                k = session[i] - lo
                t = time[i]
                s = state[i]
                c = cur[k]
                if c < 0:
                    start[k] = t
                elif c == 2:
                    talk[k] += t - last_t[k]
                elif c == 3:
                    wrap[k] += t - last_t[k]
                if s == 2:
                    calls[k] += 1
                elif s == 4:
                    end[k] = t
                cur[k] = s
                last_t[k] = t
            seen = np.flatnonzero(cur >= 0)
            return (seen + lo, end[seen] - start[seen], talk[seen], wrap[seen], calls[seen])

        _NUMBA_SCAN = scan
    return _NUMBA_SCAN


def _numba_prepare(log):
    scan = _numba_scan()
    scan(log["session"][:16], log["time"][:16], log["state"][:16])  # JIT outside the timing
    return log


def _numba(log):
    """One pass in input order (each session's rows must be in time order)."""
    return _numba_scan()(log["session"], log["time"], log["state"])


def _numba_sorted(log):
    """Shuffled input: np.lexsort first, then the same loop."""
    order = np.lexsort((log["time"], log["session"]))
    return _numba_scan()(log["session"][order], log["time"][order], log["state"][order])


def _numba_canon(out) -> dict:
    keys, *cols = out
    return canonical(keys, dict(zip(COLUMNS, cols)))


def _identity(x):
    return x


IMPLS: dict[str, Impl] = {i.name: i for i in [
    Impl("agentstats", "agentstats", _identity, _agentstats(1), _agentstats_canon, kind="ours"),
    Impl("agentstats-2t", "agentstats", _identity, _agentstats(2), _agentstats_canon, kind="ours"),
    Impl("agentstats-auto", "agentstats", _identity, _agentstats(None), _agentstats_canon,
         kind="ours"),
    Impl("pandas", "pandas", _pandas_prepare, _pandas, _pandas_canon),
    Impl("polars", "polars", _polars_prepare, _polars, _polars_canon),
    Impl("polars-trusted", "polars", _polars_prepare, _polars_trusted, _polars_canon,
         layouts=ORDERED_LAYOUTS),
    Impl("duckdb", "duckdb", _duckdb_prepare, _duckdb, _duckdb_canon),
    Impl("numpy", "numpy", _identity, _numpy, _numpy_canon, keys=frozenset({"int"})),
    Impl("numba", "numba", _numba_prepare, _numba, _numba_canon, layouts=ORDERED_LAYOUTS,
         keys=frozenset({"int"})),
    Impl("numba-sorted", "numba", _numba_prepare, _numba_sorted, _numba_canon,
         layouts=frozenset({"shuffled"}), keys=frozenset({"int"})),
    Impl("read", "numpy", _identity, _read, lambda out: None, keys=frozenset({"int"}),
         kind="floor"),
]}


def compute(name: str, log: dict) -> dict:
    """Prepare + run + canonicalise (untimed convenience for tests)."""
    impl = IMPLS[name]
    return impl.canon(impl.run(impl.prepare(log)))
