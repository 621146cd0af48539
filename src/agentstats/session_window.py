"""Per-session statistics of a window [start, as_of] of a log: every session clipped
exactly at both edges (a report of one day of a long log).

The time a session spends in each state up to a report time only depends on the rows
up to that time, so the time inside the window is the time up to `as_of` minus the
time up to the window's start; calls and their waits are those answered inside the
window. Two Aggregators see the same rows, so the kernel's rules (duplicates, rows
after a session's end, rows in any order) are the same as for the whole log:

- *whole*: every row, up to `as_of`, with the waits of the calls answered before the
  window's start taken out (so time to answer is over the window's calls only);
- *before*: the rows before the window's start, measured up to it.

Window totals are whole minus before, in exact ticks; whole seconds are taken once, by
the SessionTable, as for any session.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from .aggregate import Aggregator, Unit
from .columns import MISSING, _as_of_to_ticks, _time_to_ticks, _wait_to_ticks
from .table import SessionTable

__all__ = ["SessionWindow", "window_table"]

#: the tick totals that are times or counts accumulated row by row (window = whole - before)
_DIFFERENCED = ("duration", "talk", "wrap", "call", "calls")


class SessionWindow:
    """Feed it the rows (in chunks, as an Aggregator), then `result()`: the SessionTable
    of the window [start, as_of], one row per session that was in the window (a session
    that ended before the start is not). `start`: datetime, ISO text, datetime64 or ticks
    of the time's unit; `as_of`: the window's end (default: the latest row); `strict`
    and the other options (n_threads, timeout, off_table) as for an Aggregator."""

    def __init__(self, start: Any, *, unit: Unit | None = None, as_of: Any = None,
                 strict: bool = True, **options: Any) -> None:
        if start is None:
            raise ValueError("a window needs its start")
        self._options = options         # n_threads, timeout, off_table: as for an Aggregator
        self._start_input = start
        self._unit = unit
        self._as_of_input = as_of
        self._strict = strict
        self._tick_unit: str | None = None
        self._start: int | None = None
        self._whole: Aggregator | None = None
        self._before: Aggregator | None = None

    def _opened(self, tick_unit: str) -> tuple[Aggregator, Aggregator, int]:
        """The two Aggregators and the start in ticks, made on the first chunk (its time
        fixes the tick unit)."""
        if self._whole is not None and self._before is not None and self._start is not None:
            return self._whole, self._before, self._start
        start = _as_of_to_ticks(self._start_input, tick_unit)
        end = _as_of_to_ticks(self._as_of_input, tick_unit)
        if start is None:       # pragma: no cover - refused in __init__
            raise ValueError("a window needs its start")
        if end is not None and start > end:
            raise ValueError("the window's start is after its end (as_of)")
        self._tick_unit, self._start = tick_unit, start
        unit = cast(Unit, tick_unit)
        self._whole = Aggregator(unit=unit, as_of=end, strict=self._strict, **self._options)
        self._before = Aggregator(unit=unit, as_of=start, strict=False,
                                  **{k: v for k, v in self._options.items() if k != "off_table"})
        return self._whole, self._before, start

    def update(self, session: Any, time: Any, state: Any, *, wait: Any = None, agent: Any = None,
               acd_group: Any = None, address: Any = None) -> SessionWindow:
        """Add one chunk of rows (the columns of :meth:`agentstats.Aggregator.update`)."""
        ticks, tick_unit = _time_to_ticks(time, self._unit, self._tick_unit)
        whole, before_window, start = self._opened(tick_unit)
        meta = {name: values for name, values in (("agent", agent), ("acd_group", acd_group),
                                                  ("address", address)) if values is not None}
        waits = None
        if wait is not None:
            waits = _wait_to_ticks(wait, self._unit, tick_unit)
            # SPEC 2.8/2.9 over the window's calls: a call answered before it has no wait here
            waits = np.where(ticks < start, MISSING, waits)
        whole.update(session, ticks, state, wait=waits, **meta)
        before = (ticks != MISSING) & (ticks < start)
        if before.any():
            picked = {name: _take(values, before) for name, values in meta.items()}
            before_window.update(_take(session, before), ticks[before], _take(state, before), **picked)
        return self

    def result(self, *, as_of: Any = None) -> SessionTable:
        """The window's SessionTable; `as_of` as for :meth:`agentstats.Aggregator.result`."""
        if self._whole is None or self._before is None or self._start is None:
            return Aggregator(unit=self._unit).result()
        whole = self._whole.result(as_of=as_of)
        return window_table(whole, self._before.result(as_of=self._start), self._start)


def _take(values: Any, mask: np.ndarray) -> Any:
    """values[mask] for any column type the Aggregator takes (NumPy, pandas, Arrow, lists)."""
    if hasattr(values, "filter") and hasattr(values, "type"):      # pyarrow
        import pyarrow as pa

        return values.filter(pa.array(mask))
    if hasattr(values, "iloc"):
        return values[mask]
    return np.asarray(values, dtype=object if isinstance(values, (list, tuple)) else None)[mask]


def window_table(whole: SessionTable, before: SessionTable, start: int) -> SessionTable:
    """The window [start, whole.as_of] of each session: `whole` measured up to the
    window's end (waits only of calls answered from `start` on), `before` the rows
    before `start` measured up to it (ticks of the same unit)."""
    n = len(whole)
    ticks = {name: values.copy() for name, values in whole.ticks.items()}
    if len(before):
        import pandas as pd

        where = pd.Index(whole.keys).get_indexer(before.keys)
        if (where < 0).any():     # pragma: no cover - the same rows went to both
            raise RuntimeError("agentstats internal error: a session of the window's start is missing")
        for name in _DIFFERENCED:
            ticks[name][where] -= before.ticks[name]
    ticks["start"] = np.maximum(ticks["start"], start)
    # A session is in the window when some of its time is, or it starts at the start, or
    # it answered a call at the start itself (then ended in the same tick).
    keep = (whole.ticks["end"] > start) | (whole.ticks["start"] >= start) | (ticks["calls"] > 0)
    if n and not keep.all():
        ticks = {name: values[keep] for name, values in ticks.items()}
    return SessionTable(
        keys=whole.keys[keep] if n else whole.keys, ticks=ticks,
        ticks_per_second=whole.ticks_per_second, time_unit=whole.time_unit,
        has_wait=whole.has_wait, diagnostics=whole.diagnostics, as_of=whole.as_of,
        meta={name: values[keep] for name, values in whole.meta.items()} if n else whole.meta)
