"""A report table as NumPy columns: the per-session screen report of a queue_log
without pandas (importing pandas costs more than reading a small log).

`ReportColumns` offers the few operations the screen report and the row filters use
(len, .columns, frame[name], frame[mask], head, sort_values, reset_index); the same rows
as a pandas DataFrame come from the import itself (QueueLogResult.to_pandas), for
files and every other view.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["ReportColumns", "session_rows"]


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
