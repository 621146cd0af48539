"""A report table as NumPy columns: the screen reports of a queue_log (per session, per
agent, per queue) without pandas (importing pandas costs more than reading a small log).

`ReportColumns` offers the few operations the screen report and the row filters use
(len, .columns, frame[name], frame[mask], head, sort_values, reset_index); the same rows
as a pandas DataFrame come from the import itself (QueueLogResult.to_pandas), for
files and every other view.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["ReportColumns", "session_rows", "session_slices", "queue_rows", "agent_rows"]


class ReportColumns:
    """Columns of equal length, name -> NumPy array, in the rows' order."""

    def __init__(self, columns: Mapping[str, np.ndarray]) -> None:
        self._columns = {name: np.asarray(values) for name, values in columns.items()}
        lengths = {len(values) for values in self._columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"columns of unequal lengths: {sorted(lengths)}")
        self._length = lengths.pop() if lengths else 0

    @property
    def columns(self) -> list[str]:
        return list(self._columns)

    def __len__(self) -> int:
        return self._length

    def __contains__(self, name: object) -> bool:
        return name in self._columns

    def __getitem__(self, key: Any) -> Any:
        """A column by name, the columns of a list of names, or the rows of a boolean mask."""
        if isinstance(key, str):
            return self._columns[key]
        if isinstance(key, list):
            return ReportColumns({name: self._columns[name] for name in key})
        mask = np.asarray(key)
        if mask.dtype != bool or len(mask) != len(self):
            raise TypeError("rows are selected by a boolean mask of the table's length")
        return self.take(np.flatnonzero(mask))

    def take(self, rows: np.ndarray) -> ReportColumns:
        return ReportColumns({name: values[rows] for name, values in self._columns.items()})

    def head(self, n: int) -> ReportColumns:
        return ReportColumns({name: values[:n] for name, values in self._columns.items()})

    def reset_index(self, drop: bool = True) -> ReportColumns:
        """The rows have no index (pandas' reset_index(drop=True) is a no-op here)."""
        return self

    def sort_values(self, by: Sequence[str], kind: str = "stable") -> ReportColumns:
        """Rows in the order of the `by` columns, ties in their order (pandas' stable
        sort, missing values last)."""
        keys = [self._columns[name].tolist() for name in by]

        def key(row: int) -> tuple:
            return tuple((value is None or value != value, 0 if value is None or value != value else value)
                         for value in (column[row] for column in keys))

        return self.take(np.array(sorted(range(len(self)), key=key), dtype=np.int64))

    def itertuples(self, index: bool = False, name: None = None) -> Any:
        """The rows as tuples of the column values (NumPy scalars, datetime64 for times)."""
        return zip(*(list(values) for values in self._columns.values()))

    def to_dict(self) -> dict[str, np.ndarray]:
        return dict(self._columns)


def session_rows(result: Any) -> ReportColumns:
    """One row per queue session of a queue_log import (QueueLogResult): the columns of
    ``result.to_pandas()`` in its row order (by session id), times as naive UTC
    datetime64, time-to-answer None where the log has no wait."""
    table = result.table
    n = len(table)
    keys = np.asarray(table.keys)
    rows = keys.astype(np.int64) if n else np.empty(0, dtype=np.int64)
    values = table.seconds()
    columns: dict[str, np.ndarray] = {
        "session": keys if n else rows,
        "start_time": np.asarray(table.ticks["start"], dtype=np.int64).view(f"datetime64[{table.time_unit}]"),
        "state": np.asarray(table.ticks["state"]).astype(np.uint8),
    }
    for name in ("session_duration", "number_of_calls", "total_talk_time", "average_talk_time",
                 "total_call_time", "average_call_time", "total_wrapup_time", "average_wrapup_time",
                 "acd_call_rate"):
        columns[name] = values[name]
    for name in ("longest_time_to_answer", "average_time_to_answer"):
        columns[name] = values[name] if table.has_wait else np.full(n, None, dtype=object)
    for name in ("agent", "acd_group", "address"):
        if name in table.meta:
            columns[name] = np.asarray(table.meta[name], dtype=object)
    for name, side in result.session_columns.items():
        if name == "session" or name in columns:
            continue
        side = np.asarray(side, dtype=np.int64 if name == "instance" else object)
        columns[name] = side[rows]
    return ReportColumns(columns)


#: sessions in one slice of a per-session file (session_slices)
SLICE_ROWS = 1 << 16


def session_slices(result: Any, *, rows: int | None = None) -> Any:
    """The per-session file of a queue_log import (a
    :class:`~agentstats.report.files.FrameSlices`): the rows of
    ``result.to_pandas()`` sorted by agent, queue and instance, built `rows` sessions
    (default SLICE_ROWS) at a time, so that the whole frame and its copies never exist
    at once."""
    import pandas as pd

    from ..io.queue_log import _sessions_frame
    from ..table import SessionTable
    from .files import FrameSlices

    table, columns = result.table, result.session_columns
    step = SLICE_ROWS if rows is None else max(1, int(rows))
    keys = np.asarray(table.keys, dtype=np.int64)
    # the order of the whole frame sorted (the same stable sort on the same values)
    order = pd.DataFrame({"agent": pd.array(table.meta["agent"], dtype=object),
                          "acd_group": pd.array(table.meta["acd_group"], dtype=object),
                          "instance": np.asarray(columns["instance"])[keys]}).sort_values(
        ["agent", "acd_group", "instance"], kind="stable").index.to_numpy()

    def slices() -> Any:
        for start in range(0, len(order), step):
            at = order[start:start + step]
            part = SessionTable(
                keys=table.keys[at], ticks={name: values[at] for name, values in table.ticks.items()},
                ticks_per_second=table.ticks_per_second, time_unit=table.time_unit, has_wait=table.has_wait,
                diagnostics=table.diagnostics, as_of=table.as_of,
                meta={name: values[at] for name, values in table.meta.items()})
            take = getattr(columns, "take", None)     # built for these sessions alone
            if take is not None:
                side = _sessions_frame(take(keys[at]))
            else:
                ids = keys[at].tolist()
                side = _sessions_frame({name: values[keys[at]] if isinstance(values, np.ndarray)
                                        else [values[i] for i in ids] for name, values in columns.items()})
            frame = part.to_pandas()
            yield frame.merge(side.drop(columns=[c for c in ("agent", "acd_group") if c in frame.columns]),
                              on="session", how="left")

    return FrameSlices(slices)


def _seconds_or_none(ticks: np.ndarray, known: np.ndarray, tps: int) -> np.ndarray:
    """Whole seconds (floor) where known, None elsewhere (pandas' Int64 with <NA>)."""
    out = np.full(len(ticks), None, dtype=object)
    out[known] = (ticks[known] // tps).tolist()
    return out


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(b > 0, a / np.maximum(b, 1), np.nan)


#: the count columns of a queue table (int64, never missing: 0 for a queue with no caller)
_QUEUE_COUNTS = ("total_calls_queued", "current_calls_queued", "answered", "total_calls_abandoned",
                 "timed_out", "exited_empty", "exited_with_key", "refused", "total_calls_flowed_in",
                 "total_calls_flowed_out", "final_disposition")


def queue_stat_rows(stats: Any) -> ReportColumns:
    """The columns of ``QueueTable.to_pandas()`` of a table without intervals: counts as
    int64, waits in whole seconds (None where missing), rates as floats (NaN for 0/0)."""
    if stats.interval_start is not None:
        raise ValueError("queue_stat_rows: a table without intervals")
    tps = stats.ticks_per_second
    c, s, m = stats.counts, stats.sums, stats.maxima
    names = np.asarray(stats.queue_names, dtype=object)
    columns: dict[str, np.ndarray] = {
        "queue": names[stats.queue_code] if len(names) else np.empty(0, dtype=object)}
    for name in _QUEUE_COUNTS:
        columns[name] = np.asarray(c[name], dtype=np.int64)

    def average(total: np.ndarray, n: np.ndarray) -> np.ndarray:
        known = n > 0
        return _seconds_or_none(np.where(known, total // np.maximum(n, 1), 0), known, tps)

    for name, key in (("longest_ever_wait_time", "longest_ever_wait"),
                      ("current_longest_wait_time", "current_longest_wait")):
        columns[name] = _seconds_or_none(m[key], m[key] >= 0, tps)
    # floor(total ticks / (n * ticks per second)) == floor(floor(total / n) / tps)
    columns["average_wait_time"] = average(s["wait_left"], c["wait_left_known"])
    columns["average_speed_of_answer"] = average(s["wait_answered"], c["wait_answered_known"])
    columns["abandon_rate"] = _ratio(c["total_calls_abandoned"], c["total_calls_queued"])
    for threshold, hits in stats.within.items():
        columns[f"answered_within_{threshold}s"] = np.asarray(hits, dtype=np.int64)
        columns[f"service_level_{threshold}s"] = _ratio(hits, c["total_calls_queued"])
    return ReportColumns(columns)


def _missing_as_empty(values: Any) -> list:
    """Key values with None and NaN as "" (how the roll-ups key a session without one)."""
    return ["" if v is None or v != v else v for v in np.asarray(values, dtype=object).tolist()]


def queue_rows(result: Any, *, service_levels: Sequence[int], window_start: int | None = None) -> ReportColumns:
    """The per-queue screen report of a queue_log import (QueueLogResult), without
    intervals and in UTC: the rows and columns of ``report.queues.queue_report`` that the
    screen shows, i.e. the callers' statistics and the members' logged-in time per queue
    (``agent_time_logged_in``, whole seconds), one row per queue that has either, by name.

    window_start: epoch seconds; only calls that entered from then on (the sessions of
    ``result.table`` are already those of the window)."""
    start = None if window_start is None else window_start * ticks_per_second_of_calls(result)
    stats = queue_stat_rows(result.queue_stats(interval=None, service_level=tuple(service_levels),
                                               window_start=start))
    table = result.table
    if len(table) == 0:
        return stats
    # the members' time per queue: exact tick sums, whole seconds once (as rollup does)
    keys = _missing_as_empty(table.meta["acd_group"])
    agent_queues = list(dict.fromkeys(keys))
    position = {name: code for code, name in enumerate(agent_queues)}
    codes = np.fromiter((position[k] for k in keys), dtype=np.int64, count=len(keys))
    duration = np.zeros(len(agent_queues), dtype=np.int64)
    np.add.at(duration, codes, np.asarray(table.ticks["duration"], dtype=np.int64))
    if (duration < 0).any():
        raise OverflowError("a roll-up total does not fit in int64 ticks")
    logged_in = dict(zip(agent_queues, (duration // int(table.ticks_per_second)).tolist()))

    # an outer join on the queue name, then by name (stable): a queue with members but no
    # caller has zero calls and missing waits; one with callers but no member, no agent time
    stat_names = stats["queue"].tolist()
    row_of = {name: row for row, name in enumerate(stat_names)}
    names = sorted(set(stat_names) | set(agent_queues))
    rows = [row_of.get(name, -1) for name in names]
    out: dict[str, np.ndarray] = {"queue": np.asarray(names, dtype=object)}
    for column in stats.columns[1:]:
        values = stats[column]
        counted = values.dtype == np.int64
        filler: Any = 0 if counted else (np.nan if values.dtype.kind == "f" else None)
        picked = [values[r] if r >= 0 else filler for r in rows]
        out[column] = np.asarray(picked, dtype=values.dtype if len(picked) else values.dtype)
    out["agent_time_logged_in"] = np.asarray([logged_in.get(name, 0) for name in names], dtype=np.int64)
    return ReportColumns(out)


def agent_rows(table: Any, *, window: bool = False) -> ReportColumns:
    """The per-agent screen report of an AgentTable without intervals: the columns of
    ``report.agents.agent_frame`` (times in whole seconds, floored once; None where a
    value is missing, NaN for an undefined ratio). window: a window report, whose missed
    offers and transfers are counted per log, not per window, so are missing."""
    from ..agent_table import AGENT_COLUMNS, MISSING, STATE_NAMES

    t = table.ticks
    tps = int(table.ticks_per_second)
    n = len(table)
    busy = t["talk"] + t["wrap"]
    columns: dict[str, np.ndarray] = {
        "agent": np.asarray(table.keys, dtype=object),
        "state": np.array([STATE_NAMES[s] for s in t["state"].tolist()], dtype=object),
        "first_login": np.asarray(t["first_login"], dtype=np.int64).view(f"datetime64[{table.time_unit}]"),
        "last_logoff": np.asarray(t["last_logoff"], dtype=np.int64).view(f"datetime64[{table.time_unit}]"),
    }
    for column, name in (("logged_in", "logged_in"), ("talk", "talk"), ("wrapup", "wrap"),
                         ("ready", "ready"), ("not_ready", "not_ready")):
        columns[column] = np.asarray(t[name], dtype=np.int64) // tps
    columns["calls"] = np.asarray(t["calls"], dtype=np.int64)
    for name in ("missed", "transfers"):
        counts = None if window else table.count_column(name)
        columns[name] = np.full(n, None, dtype=object) if counts is None else np.asarray(counts, dtype=np.int64)
    columns["occupancy"] = _ratio(busy, busy + t["ready"])
    columns["utilisation"] = _ratio(busy, t["logged_in"])
    calls = t["calls"]
    handle = np.where(calls > 0, busy // np.maximum(calls, 1), MISSING)
    columns["average_handle_time"] = _seconds_or_none(handle, calls > 0, tps)
    columns["calls_per_hour"] = _ratio(calls * (3600 * tps), t["logged_in"])
    return ReportColumns({name: columns[name] for name in AGENT_COLUMNS})


def ticks_per_second_of_calls(result: Any) -> int:
    """The time unit of an import's calls (a queue_log's: seconds), without building them."""
    tps = getattr(result, "call_ticks_per_second", None)
    return int(tps) if tps is not None else int(result.call_columns().ticks_per_second)
