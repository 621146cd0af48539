"""AgentTable: the per-agent result of the agent timeline, in exact ticks.

Times are exact: the DataFrame columns are timedelta64 in the input's tick unit, so
``logged_in == talk + wrapup + ready + not_ready`` holds exactly in the exported
tables too (per agent, per interval, and summed over the report).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ._agents import SUMMARY_COLUMNS
from .frames import TableExports

# pandas and pyarrow are imported by the exports that build their tables: the screen
# report of a small log reads `ticks` and needs neither
if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import pyarrow as pa

    from .agent import Agent
    from .table import SessionTable

__all__ = ["AgentTable", "AGENT_COLUMNS", "INTERVAL_FRAME_COLUMNS", "STATE_NAMES"]

MISSING = np.iinfo(np.int64).min
AGENT_COLUMNS = (
    "agent", "state", "first_login", "last_logoff", "logged_in", "talk", "wrapup", "ready",
    "not_ready", "calls", "missed", "transfers", "occupancy", "utilisation",
    "average_handle_time", "calls_per_hour",
)
INTERVAL_FRAME_COLUMNS = ("agent", "interval_start", "logged_in", "talk", "wrapup", "ready",
                          "not_ready", "calls")
#: the agent state in force at the report time (SPEC 7.1); "logged out" when none
STATE_NAMES = {2: "on call", 3: "wrap-up", 1: "ready", 0: "not ready", -1: "logged out"}
_TIMES = (("logged_in", "logged_in"), ("talk", "talk"), ("wrapup", "wrap"), ("ready", "ready"),
          ("not_ready", "not_ready"))


def _window_rows(rows: np.ndarray, summary: np.ndarray, present: np.ndarray, origin: int,
                 width: int, window_start: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep the interval rows that start at or after the window's start and make their
    sums the agents' totals (in a copy of the summary); agents with no time and no call
    in the window are left out."""
    starts = origin + rows[:, 1] * width
    rows = rows[starts >= window_start]
    code = rows[:, 0]
    summary = summary.copy()
    for name, column in (("logged_in", 2), ("talk", 3), ("wrap", 4), ("ready", 5),
                         ("not_ready", 6), ("calls", 7)):
        total = np.zeros(summary.shape[1], dtype=np.int64)
        np.add.at(total, code, rows[:, column])
        summary[SUMMARY_COLUMNS.index(name)] = total
    logged_in = summary[SUMMARY_COLUMNS.index("logged_in"), present]
    calls = summary[SUMMARY_COLUMNS.index("calls"), present]
    return rows, summary, present[(logged_in > 0) | (calls > 0)]


class AgentTable(TableExports):
    """Per-agent statistics across sessions, one row per agent.

    len(table)            number of agents (with at least one event used)
    table.to_pandas()     one row per agent (AGENT_COLUMNS)
    table.to_arrow()      the same as a pyarrow.Table
    table.intervals()     one row per agent and interval (when aggregated with interval=)
    table.reasons()       not-ready time per agent and pause reason
    table.diagnostics     the row accounting: used + the anomaly buckets == rows
    table.agent(key)      the ITAgent facade of one agent
    table.ticks           exact int64 arrays per agent (times in ticks)
    table.sessions        the per-session table of the queue sessions, or None
    """

    def __init__(
        self,
        *,
        agent_keys: np.ndarray,
        summary: np.ndarray,
        present: np.ndarray,
        interval_rows: np.ndarray,
        reason_rows: np.ndarray,
        reason_names: np.ndarray,
        ticks_per_second: int,
        time_unit: str,
        interval_ticks: int,
        diagnostics: Mapping[str, int],
        as_of: int | None,
        sessions: SessionTable | None = None,
        window: Any = None,
        tz: Any = None,
        interval_seconds: int | None = None,
        interval_origin: int = 0,
        window_start: int | None = None,
        has_intervals: bool | None = None,
    ) -> None:
        from .aggregate import _increasing, _sorting_order

        self.window_start = window_start
        if window_start is not None:
            # a window report: the totals are the interval rows from the window's start
            interval_rows, summary, present = _window_rows(interval_rows, summary, present,
                                                           interval_origin, interval_ticks, window_start)
            if not has_intervals:
                interval_ticks = 0
        agent_keys = np.asarray(agent_keys)
        if len(present) == len(agent_keys) and _increasing(agent_keys):
            # every agent, already in key order (integer ids numbered in order): the
            # summary's rows are the columns as they are (200k agents: the gather of
            # every column spared; result() 11-14 -> 7-8 ms of CPU)
            keys = agent_keys.copy()
            self._code_position = np.arange(len(agent_keys) + 1, dtype=np.int64)
            self._code_position[-1] = -1
            rows = summary
        else:
            keys = agent_keys[present]
            order = _sorting_order(keys)
            if order is not None:
                present, keys = present[order], keys[order]
            self._code_position = np.full(len(agent_keys) + 1, -1, dtype=np.int64)
            self._code_position[present] = np.arange(len(present))
            rows = summary[:, present]
        # integer ids stay int64 (the table's agent column, as the session table's);
        # others are objects
        self.keys = keys
        # the kernel's per-agent summary, a row per column (NumPy would read a field of
        # the records by striding over all of them)
        column = dict(zip(SUMMARY_COLUMNS, rows))
        state = column["state"]
        last_logoff = column["last_logoff"]
        last_logoff[state >= 0] = MISSING          # still logged in at the report time
        self.ticks: dict[str, np.ndarray] = {
            name: column[field] for name, field in (
                ("logged_in", "logged_in"), ("talk", "talk"), ("wrap", "wrap"), ("ready", "ready"),
                ("not_ready", "not_ready"), ("calls", "calls"), ("first_login", "first_login"))}
        self.ticks["last_logoff"] = last_logoff
        self.ticks["state"] = state
        self.ticks_per_second = int(ticks_per_second)
        self.time_unit = time_unit
        self.interval_ticks = int(interval_ticks)
        # with a time zone, interval_ticks is the kernel's finer step; the local
        # intervals are interval_seconds long on the zone's wall clock
        self.tz = tz
        self.interval_seconds = int(interval_seconds) if interval_seconds else self.interval_ticks // max(
            int(ticks_per_second), 1)
        self.as_of = as_of
        self.sessions = sessions
        self.window = window                 # measures any period of one agent (agents._Window)
        self._codes = present.copy()         # kernel code of each row's agent
        self._interval_rows = interval_rows
        self._reason_rows = reason_rows
        self._reason_names = np.asarray(reason_names, dtype=object)
        self._diagnostics = dict(diagnostics)
        self._counts: dict[str, np.ndarray] = {}
        self.queue_log: dict[str, Any] | None = None        # line accounting of a queue_log
        self.session_columns: dict[str, Any] | None = None  # its sessions, as columns
        self._session_labels: pd.DataFrame | None = None
        self._position: dict[Hashable, int] | None = None

    @property
    def session_labels(self) -> pd.DataFrame | None:
        """The sessions frame of a queue_log (see QueueLogImporter.sessions_frame), made
        from `session_columns` on first use; None for other inputs."""
        if self._session_labels is None and self.session_columns is not None:
            from .io.queue_log import _sessions_frame

            self._session_labels = _sessions_frame(self.session_columns)
        return self._session_labels

    @session_labels.setter
    def session_labels(self, frame: pd.DataFrame | None) -> None:
        self._session_labels = frame

    def __len__(self) -> int:
        return len(self.keys)

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self.keys.tolist())

    def __repr__(self) -> str:
        d = self._diagnostics
        return (f"<AgentTable {len(self)} agents from {d.get('rows', 0)} rows "
                f"({d.get('used', 0)} used), ticks of 1/{self.ticks_per_second} s>")

    @property
    def diagnostics(self) -> dict[str, int]:
        """used, duplicate, after_end, after_as_of, invalid_state, invalid_time, rows."""
        return dict(self._diagnostics)

    def set_counts(self, name: str, per_agent: Mapping[Hashable, int]) -> None:
        """Counts known only to the importer (missed offers, transfers), per agent key;
        agents not in the mapping get 0. Without them the columns are missing."""
        self._counts[name] = np.array([int(per_agent.get(k, 0)) for k in self.keys.tolist()],
                                      dtype=np.int64)

    def count_column(self, name: str) -> np.ndarray | None:
        """The importer's per-agent counts `name` (missed, transfers) in row order, None
        when they were not set."""
        return self._counts.get(name)

    # -- exports -------------------------------------------------------------------

    def _datetime(self, ticks: np.ndarray) -> Any:
        """Ticks since the epoch as datetime64 (UTC), or local aware datetimes with a zone."""
        naive = np.asarray(ticks, dtype=np.int64).view(f"datetime64[{self.time_unit}]")
        if self.tz is None:
            return naive
        import pandas as pd

        from .localtime import to_local

        return to_local(pd.Series(naive), self.tz).array

    def _timedelta(self, ticks: np.ndarray) -> np.ndarray:
        return ticks.astype(np.int64).view(f"timedelta64[{self.time_unit}]")

    def to_pandas(self) -> pd.DataFrame:
        """One row per agent. Times are exact timedelta64; occupancy, utilisation,
        average handle time and calls per hour are missing (not 0) when undefined."""
        import pandas as pd

        t = self.ticks
        busy = t["talk"] + t["wrap"]
        frame: dict[str, Any] = {
            "agent": self.keys,
            "state": np.array([STATE_NAMES[s] for s in t["state"].tolist()], dtype=object),
            "first_login": self._datetime(t["first_login"]),
            "last_logoff": self._datetime(t["last_logoff"]),
        }
        for column, name in _TIMES:
            frame[column] = self._timedelta(t[name])
        frame["calls"] = t["calls"].copy()
        for name in ("missed", "transfers"):
            if name in self._counts:
                frame[name] = pd.array(self._counts[name], dtype="Int64")
            else:
                frame[name] = pd.array([pd.NA] * len(self), dtype="Int64")
        frame["occupancy"] = _ratio(busy, busy + t["ready"])
        frame["utilisation"] = _ratio(busy, t["logged_in"])
        frame["average_handle_time"] = _average(busy, t["calls"], self.time_unit)
        frame["calls_per_hour"] = _ratio(t["calls"] * (3600 * self.ticks_per_second), t["logged_in"])
        return pd.DataFrame(frame, columns=list(AGENT_COLUMNS))

    def to_arrow(self) -> pa.Table:
        import pyarrow as pa

        return pa.Table.from_pandas(self.to_pandas(), preserve_index=False)

    def intervals(self) -> pd.DataFrame:
        """One row per agent and interval it was logged in (or answered a call) in, in
        agent then time order; every time is split exactly at the edges."""
        import pandas as pd

        if not self.interval_ticks:
            raise ValueError("this table was computed without interval=: no per-interval split")
        rows = self._interval_rows
        frame = pd.DataFrame(rows, columns=["code", "bucket", "logged_in", "talk", "wrap",
                                            "ready", "not_ready", "calls"])
        if self.tz is not None:
            from .localtime import local_interval_starts

            # the kernel's fine steps -> the local interval each lies in, in ticks
            step = self.interval_ticks // self.ticks_per_second
            starts = local_interval_starts(frame["bucket"].to_numpy() * step, step,
                                           self.interval_seconds, self.tz)
            frame["bucket"] = starts * self.ticks_per_second
        else:
            frame["bucket"] = frame["bucket"] * self.interval_ticks
        frame = frame.groupby(["code", "bucket"], sort=False, as_index=False).sum()
        frame["position"] = self._code_position[frame["code"].to_numpy()]
        frame = frame[frame["position"] >= 0].sort_values(["position", "bucket"], kind="stable")
        out: dict[str, Any] = {
            "agent": self.keys[frame["position"].to_numpy()],
            "interval_start": self._datetime(frame["bucket"].to_numpy()),
        }
        for column, name in _TIMES:
            out[column] = self._timedelta(frame[name].to_numpy())
        out["calls"] = frame["calls"].to_numpy()
        return pd.DataFrame(out, columns=list(INTERVAL_FRAME_COLUMNS))

    def reasons(self) -> pd.DataFrame:
        """Not-ready time per agent and pause reason ("" when the pause gave none)."""
        import pandas as pd

        frame = pd.DataFrame(self._reason_rows, columns=["code", "reason", "not_ready"])
        frame = frame.groupby(["code", "reason"], sort=False, as_index=False).sum()
        frame["position"] = self._code_position[frame["code"].to_numpy()]
        frame = frame[(frame["position"] >= 0) & (frame["not_ready"] > 0)]
        names = np.append(self._reason_names, "")      # code -1 -> ""
        frame = frame.assign(name=names[frame["reason"].to_numpy()])
        frame = frame.sort_values(["position", "name"], kind="stable")
        return pd.DataFrame({
            "agent": self.keys[frame["position"].to_numpy()],
            "reason": frame["name"].to_numpy(dtype=object),
            "not_ready": self._timedelta(frame["not_ready"].to_numpy()),
        })

    # -- the facade ----------------------------------------------------------------

    def agent(self, key: Hashable) -> Agent:
        """The ITAgent facade of one agent; an unknown key raises the
        LINEERR_INVALPARAM error."""
        from .agent import Agent
        from .hresult import LINEERR_INVALPARAM, tapi_error

        position = self._position_of(key)
        if position is None:
            raise tapi_error(LINEERR_INVALPARAM, f"no agent {key!r} in this table")
        return Agent.from_table(self, position)

    def agents(self) -> Iterator[Agent]:
        for key in self:
            yield self.agent(key)

    def _position_of(self, key: Hashable) -> int | None:
        from .table import key_positions, position_in

        if self._position is None:
            self._position = key_positions(self.keys)
        return position_in(self._position, key)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator as floats, NaN (missing) where the denominator is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / np.maximum(denominator, 1), np.nan)


def _average(total: np.ndarray, count: np.ndarray, unit: str) -> np.ndarray:
    """Exact floor(total / count) ticks as timedelta64, NaT when count is 0."""
    out = np.where(count > 0, total // np.maximum(count, 1), MISSING)
    return out.astype(np.int64).view(f"timedelta64[{unit}]")
