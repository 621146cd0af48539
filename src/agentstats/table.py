"""SessionTable: the bulk result of an aggregation, one row per session.

Exact int64 tick totals are kept (`ticks`); whole seconds are taken only when a table
is exported, so roll-ups can sum exact ticks first.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from . import frames

if TYPE_CHECKING:      # pandas and pyarrow are imported by the exports that use them
    import pandas as pd
    import pyarrow as pa

    from .session import AgentSession

Durations = Literal["seconds", "timedelta"]

__all__ = ["SessionTable", "COLUMNS"]

COLUMNS = (
    "session", "start_time", "state", "session_duration", "number_of_calls",
    "total_talk_time", "average_talk_time", "total_call_time", "average_call_time",
    "total_wrapup_time", "average_wrapup_time", "acd_call_rate",
    "longest_time_to_answer", "average_time_to_answer",
)
DIAGNOSTIC_KEYS = (
    "used", "duplicate", "after_end", "after_as_of", "invalid_state", "invalid_time",
    "off_table",
)

_DURATION_COLUMNS = (
    "session_duration", "total_talk_time", "average_talk_time", "total_call_time",
    "average_call_time", "total_wrapup_time", "average_wrapup_time",
    "longest_time_to_answer", "average_time_to_answer",
)
_NULLABLE = ("longest_time_to_answer", "average_time_to_answer")
_REPR_ROWS = 5
_REPR_COLUMNS = ("session", "start_time", "state", "session_duration", "number_of_calls",
                 "total_talk_time", "total_wrapup_time")


def _head(table: SessionTable, n: int) -> pd.DataFrame:
    part = SessionTable(
        keys=table.keys[:n], ticks={k: v[:n] for k, v in table.ticks.items()},
        ticks_per_second=table.ticks_per_second, time_unit=table.time_unit,
        has_wait=table.has_wait, diagnostics=table.diagnostics, as_of=table.as_of,
        meta={k: v[:n] for k, v in table.meta.items()})
    return part.to_pandas()[list(_REPR_COLUMNS)]


class SessionTable:
    """Per-session ITAgentSession statistics and the row accounting.

    len(table)          number of sessions (those with at least one event seen)
    table.to_pandas()   one row per session, durations in whole seconds (or
                        durations="timedelta"), start_time tz-aware (tz="UTC")
    table.to_arrow()    the same as a pyarrow.Table (built directly), to_polars()
                        as polars; pa.table(t) / pl.DataFrame(t) / DuckDB read it
    table.diagnostics   {used, duplicate, after_end, after_as_of, invalid_state,
                         invalid_time, off_table, rows}; used + the six anomaly
                         buckets == rows (off_table is a separate count)
    table.session(key)  the ITAgentSession facade of one session
    table.ticks         exact int64 arrays: start, end, state, duration, talk, wrap,
                        call, calls, wait_sum, wait_n, wait_max (-1: none)
    """

    def __init__(
        self,
        *,
        keys: np.ndarray,
        ticks: Mapping[str, np.ndarray],
        ticks_per_second: int,
        time_unit: str,
        has_wait: bool,
        diagnostics: Mapping[str, int],
        as_of: int | None,
        meta: Mapping[str, np.ndarray] | None = None,
    ) -> None:
        self.keys = keys
        self.ticks = dict(ticks)
        self.ticks_per_second = int(ticks_per_second)
        self.time_unit = time_unit
        self.has_wait = has_wait
        self.as_of = as_of
        self.meta = dict(meta or {})
        self._diagnostics = dict(diagnostics)
        self._position: dict[Hashable, int] | None = None

    def __len__(self) -> int:
        return len(self.keys)

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self.keys.tolist())

    def __repr__(self) -> str:
        d = self._diagnostics
        anomalies = {name: d.get(name, 0) for name in DIAGNOSTIC_KEYS[1:] if d.get(name, 0)}
        shown = ", ".join(f"{name} {count}" for name, count in anomalies.items()) or "none"
        as_of = "none" if self.as_of is None else str(self.as_of_datetime) + " UTC"
        lines = [
            f"SessionTable: {len(self)} sessions from {d.get('rows', 0)} rows "
            f"({d.get('used', 0)} used; other rows: {shown})",
            f"as_of {as_of}; times in ticks of 1/{self.ticks_per_second} s"
            + ("" if self.has_wait else "; no wait column (time to answer missing)"),
        ]
        if len(self):
            head = _head(self, _REPR_ROWS)
            lines.append(head.to_string(index=False, max_colwidth=40))
            if len(self) > _REPR_ROWS:
                lines.append(f"... {len(self) - _REPR_ROWS} more sessions")
        return "\n".join(lines)

    @property
    def diagnostics(self) -> dict[str, int]:
        """The row buckets (plus `off_table` and `rows`); a fresh dict on each access."""
        return dict(self._diagnostics)

    @property
    def as_of_datetime(self) -> np.datetime64 | None:
        return None if self.as_of is None else np.datetime64(self.as_of, self.time_unit)

    # -- exports -------------------------------------------------------------------

    def seconds(self) -> dict[str, np.ndarray]:
        """Every statistic as NumPy arrays in whole seconds / counts."""
        t = self.ticks
        tps = self.ticks_per_second
        calls = t["calls"]
        some_calls = calls > 0
        per_call = np.maximum(calls, 1)

        def average(total: np.ndarray) -> np.ndarray:
            # floor(total / (calls * tps)) == floor(floor(total / calls) / tps) for
            # non-negative integers, and the nested form cannot overflow.
            return np.where(some_calls, total // per_call // tps, 0)

        duration = t["duration"]
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(duration > 0, calls * (3600.0 * tps) / np.maximum(duration, 1), 0.0)
        out = {
            "session_duration": duration // tps,
            "number_of_calls": calls.copy(),
            "total_talk_time": t["talk"] // tps,
            "average_talk_time": average(t["talk"]),
            "total_call_time": t["call"] // tps,
            "average_call_time": average(t["call"]),
            "total_wrapup_time": t["wrap"] // tps,
            "average_wrapup_time": average(t["wrap"]),
            "acd_call_rate": rate,
        }
        if self.has_wait:
            waited = t["wait_n"] > 0
            out["longest_time_to_answer"] = np.where(t["wait_max"] >= 0, t["wait_max"] // tps, 0)
            out["average_time_to_answer"] = np.where(
                waited, t["wait_sum"] // np.maximum(t["wait_n"], 1) // tps, 0)
        return out

    def _result_columns(self) -> dict[str, Any]:
        """The exported columns as arrays (keys, start ticks, seconds, counts)."""
        import pyarrow as pa

        values = self.seconds()
        n = len(self)
        columns: dict[str, Any] = {
            "session": self.keys,
            "start_time": self.ticks["start"],
            "state": self.ticks["state"].astype(np.uint8),
        }
        for name in COLUMNS[3:12]:
            columns[name] = values[name]
        for name in ("longest_time_to_answer", "average_time_to_answer"):
            # Missing (null), not 0, when the log had no wait.
            columns[name] = (pa.array(values[name], type=pa.int64()) if self.has_wait
                             else pa.nulls(n, type=pa.int64()))
        for name in ("agent", "acd_group", "address"):
            if name in self.meta:
                columns[name] = self.meta[name]
        return columns

    def to_arrow(self, *, durations: Durations = "seconds", tz: str = "UTC") -> pa.Table:
        """One row per session as a pyarrow.Table, built from the result arrays.

        Columns: COLUMNS (+ agent, acd_group, address when they were given).
        durations: "seconds" (int64 whole seconds, floored from exact ticks) or "timedelta" (Arrow
            durations of whole seconds). Time-to-answer columns are null when the log
            had no wait.
        tz: the zone of start_time (timestamps are tz-aware; default UTC), any zoneinfo
            name, e.g. the report's zone "Europe/Paris" (the instants stay the same)."""
        return frames.arrow_table(
            self._result_columns(), timestamps=("start_time",), durations=_DURATION_COLUMNS,
            time_unit=self.time_unit, tz=tz, duration_unit=durations)

    def to_pandas(self, *, durations: Durations = "seconds", tz: str = "UTC") -> pd.DataFrame:
        """The table of `to_arrow()` as a pandas DataFrame: start_time tz-aware,
        time-to-answer columns nullable Int64 (<NA> when the log had no wait), durations
        int64 seconds or timedelta64 (`durations="timedelta"`)."""
        return frames.to_pandas(self.to_arrow(durations=durations, tz=tz), nullable=_NULLABLE)

    def to_polars(self, *, durations: Durations = "seconds", tz: str = "UTC") -> Any:
        """The table of `to_arrow()` as a polars DataFrame (needs polars)."""
        return frames.to_polars(self.to_arrow(durations=durations, tz=tz))

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        """Arrow PyCapsule stream export: `pa.table(t)`, `pl.DataFrame(t)` and DuckDB
        read the table of `to_arrow()` directly."""
        return self.to_arrow().__arrow_c_stream__(requested_schema)

    def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray:
        # pd.DataFrame(table) and np.asarray(table) would otherwise iterate the keys and
        # give one column of them; say what to do instead.
        raise TypeError("a SessionTable is not an array: use table.to_pandas(), "
                        "table.to_polars(), table.to_arrow() or pa.table(table)")

    # -- the facade ----------------------------------------------------------------

    def session(self, key: Hashable) -> AgentSession:
        """The ITAgentSession facade of one session. An unknown key raises
        the LINEERR_INVALPARAM error."""
        from .hresult import LINEERR_INVALPARAM, shown, tapi_error
        from .session import AgentSession, SessionTicks

        position = self._position_of(key)
        if position is None:
            raise tapi_error(LINEERR_INVALPARAM, f"no session {shown(key)} in this table")
        t = {name: int(values[position]) for name, values in self.ticks.items()}
        snapshot = SessionTicks(
            start=t["start"], end=t["end"], state=t["state"], duration=t["duration"],
            talk=t["talk"], wrap=t["wrap"], calls=t["calls"], wait_sum=t["wait_sum"],
            wait_n=t["wait_n"], wait_max=t["wait_max"], has_wait=self.has_wait,
            ticks_per_second=self.ticks_per_second,
        )
        meta = {name: values[position] for name, values in self.meta.items()}
        return AgentSession.from_snapshot(key, snapshot, meta)

    def sessions(self) -> Iterator[AgentSession]:
        for key in self:
            yield self.session(key)

    def _position_of(self, key: Hashable) -> int | None:
        if self._position is None:
            self._position = key_positions(self.keys)
        return position_in(self._position, key)


def key_positions(keys: np.ndarray) -> dict[Hashable, int]:
    """key -> row of a result table (built once, on the first look-up by key)."""
    return {k: i for i, k in enumerate(keys.tolist())}


def position_in(positions: dict[Hashable, int], key: Hashable) -> int | None:
    """The row of `key`, or None when it is not there (or cannot be a key: unhashable)."""
    try:
        return positions.get(key)
    except TypeError:
        return None
