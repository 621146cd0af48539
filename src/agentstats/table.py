"""SessionTable: the bulk result of an aggregation, one row per session.

Exact int64 tick totals are kept (`ticks`); whole seconds are taken only when a table
is exported, so roll-ups can sum exact ticks first.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

if TYPE_CHECKING:
    from .session import AgentSession

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


class SessionTable:
    """Per-session ITAgentSession statistics and the row accounting.

    len(table)          number of sessions (those with at least one event seen)
    table.to_pandas()   one row per session, times in whole seconds
    table.to_arrow()    the same as a pyarrow.Table
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
        return (f"<SessionTable {len(self)} sessions from {d.get('rows', 0)} rows "
                f"({d.get('used', 0)} used), ticks of 1/{self.ticks_per_second} s>")

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

    def to_pandas(self) -> pd.DataFrame:
        """One row per session with the columns of COLUMNS (+ agent, acd_group, address
        when they were given). Time-to-answer columns are missing (<NA>), not 0, when
        the log had no wait."""
        values = self.seconds()
        frame: dict[str, Any] = {
            "session": self.keys,
            "start_time": self.ticks["start"].view(f"datetime64[{self.time_unit}]"),
            "state": self.ticks["state"].astype(np.uint8),
        }
        for name in COLUMNS[3:12]:
            frame[name] = values[name]
        for name in ("longest_time_to_answer", "average_time_to_answer"):
            if self.has_wait:
                frame[name] = pd.array(values[name], dtype="Int64")
            else:
                frame[name] = pd.array([pd.NA] * len(self), dtype="Int64")
        for name in ("agent", "acd_group", "address"):
            if name in self.meta:
                frame[name] = self.meta[name]
        return pd.DataFrame(frame)

    def to_arrow(self) -> pa.Table:
        """The same table as `to_pandas()`, as a pyarrow.Table (nulls for missing)."""
        return pa.Table.from_pandas(self.to_pandas(), preserve_index=False)

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
            self._position = {k: i for i, k in enumerate(self.keys.tolist())}
        try:
            return self._position.get(key)
        except TypeError:  # unhashable
            return None
