"""Roll-ups beyond one session (SPEC 5): ITAgent-style totals per agent or per ACD group.

Sessions' exact int64 tick totals (``SessionTable.ticks``) are summed first, and whole
seconds are taken once at the end, exactly like SPEC 2.12 does for one session:

    total_talk_time    = floor(sum(talk ticks) / ticks per second)
    average_talk_time  = floor(sum(talk ticks) / (sum(calls) x ticks per second))
    overall_call_rate  = sum(calls) per hour of sum(session duration), CURRENCY
                         (value x 10000, round half to even; 0 when the duration is 0)

so a roll-up is never the sum of already-truncated per-session seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["rollup", "ROLLUP_COLUMNS", "currency_rate"]

ROLLUP_COLUMNS = (
    "sessions", "first_start", "session_duration", "number_of_calls", "total_talk_time",
    "average_talk_time", "total_call_time", "average_call_time", "total_wrapup_time",
    "average_wrapup_time", "overall_call_rate", "longest_time_to_answer",
    "average_time_to_answer",
)
_SUMMED = ("duration", "talk", "wrap", "call", "calls", "wait_sum", "wait_n")
_INT64_MAX = np.iinfo(np.int64).max


def currency_rate(calls: int, duration_ticks: int, ticks_per_second: int) -> int:
    """Calls per hour of duration as CURRENCY (x 10000), round half to even (SPEC 2.7)."""
    if duration_ticks <= 0:
        return 0
    quotient, remainder = divmod(int(calls) * 3600 * int(ticks_per_second) * 10000, int(duration_ticks))
    twice = 2 * remainder
    if twice > duration_ticks or (twice == duration_ticks and quotient % 2):
        quotient += 1
    return quotient


def _group_sum(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Exact int64 sums per group (np.add.at keeps the integer dtype; bincount would
    go through float64). Raises OverflowError instead of wrapping (SPEC 2.13)."""
    out = np.zeros(n, dtype=np.int64)
    np.add.at(out, codes, values)
    # An int64 sum wrapped iff a group total of non-negative values went negative or the
    # float estimate is beyond int64 (values here are durations and counts, >= 0).
    estimate = np.zeros(n, dtype=np.float64)
    np.add.at(estimate, codes, values.astype(np.float64))
    if np.any(estimate > 9.2e18) or np.any(out < 0):
        raise OverflowError("a roll-up total does not fit in int64 ticks (SPEC 2.13)")
    return out


def rollup(table: Any, by: str | Sequence[str] = "agent", *, keys: Any = None) -> pd.DataFrame:
    """Totals per agent, per ACD group, or per (agent, acd_group), from a SessionTable.

    by: "agent", "acd_group" (alias "queue"), or a list of those.
    keys: optional mapping column -> per-session values aligned with the table's rows,
        for when the table was aggregated without agent/acd_group (e.g. the session
        side table of a queue_log import).

    Columns (times in whole seconds): the key(s), then ROLLUP_COLUMNS. Time-to-answer
    columns are <NA> when the log has no wait (SPEC 2.14)."""
    names = [by] if isinstance(by, str) else list(by)
    names = ["acd_group" if name == "queue" else name for name in names]
    columns = {}
    for name in names:
        if keys is not None and name in keys:
            values = np.asarray(keys[name], dtype=object)
        elif name in getattr(table, "meta", {}):
            values = np.asarray(table.meta[name], dtype=object)
        else:
            raise ValueError(f"no {name!r} for the sessions: aggregate with {name}= or pass keys=")
        if len(values) != len(table):
            raise ValueError(f"{name}: {len(values)} values for {len(table)} sessions")
        columns[name] = values
    t = table.ticks
    tps = int(table.ticks_per_second)
    if len(table) == 0:
        frame = pd.DataFrame({name: pd.Series([], dtype=object) for name in names})
        for column in ROLLUP_COLUMNS:
            frame[column] = pd.Series([], dtype="int64")
        return frame

    key_frame = pd.DataFrame({name: pd.Series(values).fillna("") for name, values in columns.items()})
    codes, uniques = pd.MultiIndex.from_frame(key_frame).factorize() if len(names) > 1 else \
        pd.factorize(key_frame[names[0]], sort=False)
    codes = np.asarray(codes, dtype=np.int64)
    n = len(uniques)
    sums = {name: _group_sum(codes, np.asarray(t[name], dtype=np.int64), n) for name in _SUMMED}
    longest = np.full(n, -1, dtype=np.int64)
    np.maximum.at(longest, codes, np.asarray(t["wait_max"], dtype=np.int64))
    first = np.full(n, _INT64_MAX, dtype=np.int64)
    np.minimum.at(first, codes, np.asarray(t["start"], dtype=np.int64))
    sessions = np.bincount(codes, minlength=n).astype(np.int64)

    calls = sums["calls"]
    per_call = np.maximum(calls, 1)

    def average(total: np.ndarray) -> np.ndarray:
        return np.where(calls > 0, total // per_call // tps, 0)

    out: dict[str, Any] = {}
    if len(names) > 1:
        for i, name in enumerate(names):
            out[name] = [u[i] for u in uniques]
    else:
        out[names[0]] = np.asarray(uniques, dtype=object)
    out["sessions"] = sessions
    out["first_start"] = first.view(f"datetime64[{getattr(table, 'time_unit', 's')}]")
    out["session_duration"] = sums["duration"] // tps
    out["number_of_calls"] = calls
    out["total_talk_time"] = sums["talk"] // tps
    out["average_talk_time"] = average(sums["talk"])
    out["total_call_time"] = sums["call"] // tps
    out["average_call_time"] = average(sums["call"])
    out["total_wrapup_time"] = sums["wrap"] // tps
    out["average_wrapup_time"] = average(sums["wrap"])
    out["overall_call_rate"] = np.array(
        [currency_rate(c, d, tps) for c, d in zip(calls.tolist(), sums["duration"].tolist())],
        dtype=np.int64) / 10000.0
    if table.has_wait:
        waited = sums["wait_n"] > 0
        out["longest_time_to_answer"] = pd.array(np.where(longest >= 0, longest // tps, 0), dtype="Int64")
        out["average_time_to_answer"] = pd.array(
            np.where(waited, sums["wait_sum"] // np.maximum(sums["wait_n"], 1) // tps, 0), dtype="Int64")
    else:
        out["longest_time_to_answer"] = pd.array([pd.NA] * n, dtype="Int64")
        out["average_time_to_answer"] = pd.array([pd.NA] * n, dtype="Int64")
    frame = pd.DataFrame(out)
    return frame.sort_values(names, kind="stable").reset_index(drop=True)
