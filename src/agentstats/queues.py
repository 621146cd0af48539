"""Per-queue and per-interval statistics of queued calls.

The input is a per-call table (:class:`CallColumns`: one row per caller's stay in one
queue, from :mod:`agentstats.io.queue_calls` or :mod:`agentstats.io.calls`). The
aggregation is vectorised NumPy on int64 ticks: counts with ``bincount``, exact sums
with ``np.add.at`` on int64 and maxima with ``np.maximum.at`` — no Python loop per call
and no float on the way. Averages are floored once at the end; rates
and service levels are float64 ratios of two exact counts, missing (NaN) when 0/0.

    stats = agentstats.queue_stats(calls, interval=15, service_level=(20, 60))
    stats.to_pandas()

Each call is counted in the interval in which it entered the queue (a call whose entry
time is unknown, in the interval of the line that took it out). The report
time ``as_of`` is a point in time: calls that entered after it are not seen, calls that
left after it are still waiting at it.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np

from .frames import TableExports
from .io.queue_calls import (ABANDONED, ANSWERED, EXITED_EMPTY, EXITED_WITH_KEY, OUTCOMES,
                             REFUSED, TIMED_OUT, WAITING)

__all__ = ["CallColumns", "QueueTable", "QueueAccumulator", "queue_stats", "STAT_COLUMNS"]

MISSING = np.iinfo(np.int64).min
_UNANSWERED = (ABANDONED, TIMED_OUT, EXITED_EMPTY, EXITED_WITH_KEY)
_DIRECT_GROUPS = 1 << 25      # up to this many (queue, interval) cells: index directly


@dataclass
class CallColumns:
    """One row per stay (call x queue), times in integer ticks since the epoch (UTC).

    queue: int32 codes into ``queue_names``; enter/leave/wait/flowed_out_at: int64 ticks,
    MISSING (INT64_MIN) when unknown; outcome: int8 codes of
    :data:`agentstats.io.queue_calls.OUTCOMES`; flowed_in: bool; default_as_of: ticks."""

    queue: np.ndarray
    queue_names: list
    enter: np.ndarray
    leave: np.ndarray
    wait: np.ndarray
    outcome: np.ndarray
    flowed_in: np.ndarray
    flowed_out_at: np.ndarray
    ticks_per_second: int = 1
    #: the report time when none is given (a queue_log's end); else the latest time
    default_as_of: int | None = None

    def __len__(self) -> int:
        return len(self.queue)

    def check(self) -> None:
        """Structural checks: equal lengths, codes in range."""
        n = len(self.queue)
        for name in ("enter", "leave", "wait", "outcome", "flowed_in", "flowed_out_at"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"per-call columns of unequal length: queue has {n} rows, "
                                 f"{name} has {len(getattr(self, name))}")
        if n and (int(self.queue.min()) < 0 or int(self.queue.max()) >= len(self.queue_names)):
            raise ValueError("per-call queue codes out of range")
        if n and (int(self.outcome.min()) < 0 or int(self.outcome.max()) >= len(OUTCOMES)):
            raise ValueError("per-call outcome codes out of range")
        negative = (self.wait != MISSING) & (self.wait < 0)
        if negative.any():
            row = int(np.argmax(negative))
            raise ValueError(f"row {row}: negative wait ({int(self.wait[row])} ticks)")

    def latest_time(self) -> int | None:
        """The latest known time of the table (the default report time)."""
        best = None
        for column in (self.enter, self.leave):
            known = column[column != MISSING]
            if len(known):
                value = int(known.max())
                best = value if best is None or value > best else best
        return best


#: the statistics columns of a queue table, in order (see docs/queues.md)
STAT_COLUMNS = (
    "total_calls_queued", "current_calls_queued", "answered", "total_calls_abandoned",
    "timed_out", "exited_empty", "exited_with_key", "refused", "total_calls_flowed_in",
    "total_calls_flowed_out", "final_disposition", "longest_ever_wait_time",
    "current_longest_wait_time", "average_wait_time", "average_speed_of_answer",
    "abandon_rate",
)


class QueueTable(TableExports):
    """Queue statistics, one row per queue (and interval). Counts and the exact tick sums
    are int64 arrays; ``to_pandas()`` / ``to_arrow()`` give the table in seconds."""

    def __init__(self, *, queue_names: list, queue: np.ndarray, interval_start: np.ndarray | None,
                 counts: dict[str, np.ndarray], sums: dict[str, np.ndarray],
                 maxima: dict[str, np.ndarray], within: dict[int, np.ndarray],
                 ticks_per_second: int, interval: int | None, as_of: int | None,
                 calls: CallColumns | None = None, tz: Any = None) -> None:
        self.queue_names = queue_names
        self.queue_code = queue      # per row: the code of its queue in queue_names
        self.interval_start = interval_start
        self.counts = counts
        self.sums = sums
        self.maxima = maxima
        self.within = within
        self.ticks_per_second = ticks_per_second
        self.interval = interval
        self.as_of = as_of
        self.calls = calls
        self.tz = tz                 # interval starts and times shown in this zone (None: UTC)

    def queue(self, name: str):
        """The ITQueue facade of one queue at this table's report time."""
        from .itqueue import ITQueue

        if self.calls is None:
            raise ValueError("this queue table was built without keeping the calls (a queue_log "
                             "import with keep_calls=False): import with keep_calls=True for the "
                             "per-queue facade")
        return ITQueue(self.calls, name, as_of=self.as_of)

    def __len__(self) -> int:
        return len(self.queue_code)

    @property
    def intervals(self) -> list:
        """The interval starts (UTC datetimes) present in the table; [] without intervals."""
        if self.interval_start is None:
            return []
        return [np.datetime64(int(t), "s").item() for t in np.unique(self.interval_start // self.ticks_per_second)]

    def rows(self) -> list[dict[str, Any]]:
        """The table as dicts of plain Python values (None where missing)."""
        return [{k: _plain(v) for k, v in row.items()} for row in self.to_pandas().to_dict("records")]

    def to_pandas(self):
        import pandas as pd

        tps = self.ticks_per_second
        c, s, m = self.counts, self.sums, self.maxima
        data: dict[str, Any] = {"queue": np.asarray(self.queue_names, dtype=object)[self.queue_code]
                                if len(self.queue_names) else np.empty(0, dtype=object)}
        if self.interval_start is not None:
            data["interval_start"] = (self.interval_start // tps).astype("datetime64[s]")
            if self.tz is not None:
                from .localtime import to_local

                data["interval_start"] = to_local(pd.Series(data["interval_start"]), self.tz).array

        def seconds_or_na(ticks: np.ndarray, known: np.ndarray):
            return pd.arrays.IntegerArray(np.where(known, ticks // tps, 0).astype(np.int64), ~known)

        def average(total: np.ndarray, n: np.ndarray):
            known = n > 0
            return seconds_or_na(np.where(known, total // np.maximum(n, 1), 0), known)

        def ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(b > 0, a / np.maximum(b, 1), np.nan)

        for name in ("total_calls_queued", "current_calls_queued", "answered", "total_calls_abandoned",
                     "timed_out", "exited_empty", "exited_with_key", "refused", "total_calls_flowed_in",
                     "total_calls_flowed_out", "final_disposition"):
            data[name] = c[name]
        data["longest_ever_wait_time"] = seconds_or_na(m["longest_ever_wait"], m["longest_ever_wait"] >= 0)
        data["current_longest_wait_time"] = seconds_or_na(m["current_longest_wait"], m["current_longest_wait"] >= 0)
        # floor(total ticks / (n * ticks per second)) == floor(floor(total / n) / tps)
        data["average_wait_time"] = average(s["wait_left"], c["wait_left_known"])
        data["average_speed_of_answer"] = average(s["wait_answered"], c["wait_answered_known"])
        data["abandon_rate"] = ratio(c["total_calls_abandoned"], c["total_calls_queued"])
        for threshold, hits in self.within.items():
            data[f"answered_within_{threshold}s"] = hits
            data[f"service_level_{threshold}s"] = ratio(hits, c["total_calls_queued"])
        return pd.DataFrame(data)

    def to_arrow(self):
        import pyarrow as pa

        return pa.Table.from_pandas(self.to_pandas(), preserve_index=False)


def _plain(value: Any) -> Any:
    import pandas as pd

    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value.item() if hasattr(value, "item") else value


def _interval_ticks(interval: Any, tps: int) -> int | None:
    if interval is None:
        return None
    if interval == "day":
        return 86400 * tps
    if isinstance(interval, bool) or not isinstance(interval, (int, np.integer)) or interval <= 0:
        raise ValueError(f"interval must be whole minutes > 0 or 'day', not {interval!r}")
    return int(interval) * 60 * tps


def _thresholds(service_level: Sequence[int] | int) -> tuple[int, ...]:
    values = (service_level,) if isinstance(service_level, (int, np.integer)) else tuple(service_level)
    out = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"a service-level threshold must be whole seconds >= 0, not {value!r}")
        if int(value) not in out:
            out.append(int(value))
    return tuple(out)


def queue_stats(calls: Any, *, interval: int | str | None = None,
                service_level: Sequence[int] | int = (20,), as_of: Any = None,
                window_start: int | None = None, columns: Mapping[str, str] | None = None,
                time_unit: str = "s", wait_unit: str = "s", tz: Any = None) -> QueueTable:
    """Per-queue (and per-interval) statistics of a per-call table.

    calls: :class:`CallColumns`, a queue_log import result (``.calls``), or a per-call
        table: pandas, polars, pyarrow, a DuckDB relation, anything with the Arrow stream
        interface, or a CSV/Parquet path (read by :func:`agentstats.io.calls.call_columns`).
    columns: for a per-call table, ``{role: column name}`` where its names differ from
        the roles (queue, outcome, enter, answer, leave, wait, agent, ...); time_unit,
        wait_unit: the unit of its numeric times and waits.
    interval: None (one row per queue), whole minutes (buckets aligned on the epoch,
        UTC), or ``"day"``.
    service_level: thresholds T in seconds: answered within T s / calls that entered.
    as_of: report time (datetime, ISO string or ticks of the table; default the
        table's latest time).
    window_start: only calls that entered at or after this tick (the measurement
        period of the ITQueue facade).
    tz: a time zone name ("Europe/Rome") or tzinfo: intervals on its local boundaries
        (a local day of 23 or 25 hours, a quarter hour that happens twice), interval
        starts as local datetimes. Default None: UTC.
    """
    from .localtime import time_zone

    tz = time_zone(tz)
    columns = _as_call_columns(calls, columns, time_unit, wait_unit)
    columns.check()
    tps = int(columns.ticks_per_second)
    step = _interval_ticks(interval, tps)
    thresholds = _thresholds(service_level)
    end = _as_of_ticks(as_of, tps)
    if end is None:
        end = columns.default_as_of if columns.default_as_of is not None else columns.latest_time()
    nq = len(columns.queue_names)
    if end is None or len(columns) == 0:
        return _empty(columns, step, thresholds, tps, end)

    when, seen = _counted(columns, end, window_start)
    cells = np.empty(0, dtype=np.int64)        # empty: the kernel computes each call's cell
    first = 0
    if step is None:
        n_cells = nq
        cell_queue, cell_start = np.arange(nq, dtype=np.int64), None
    else:
        times = when[seen]
        first = int(np.floor_divide(times.min(), step)) if len(times) else 0
        span = int(np.floor_divide(times.max(), step)) - first + 1 if len(times) else 1
        if tz is not None:   # local intervals: each call's interval start, numbered
            starts, slot = np.unique(_local_starts(times, step, tps, tz), return_inverse=True)
            key = slot.astype(np.int64) * nq + columns.queue[seen]
            present, inverse = np.unique(key, return_inverse=True)
            cells = np.full(len(when), -1, dtype=np.int64)
            cells[seen] = inverse
            n_cells = len(present)
            cell_queue = present % nq
            cell_start = starts[present // nq]
        elif span * nq <= _DIRECT_GROUPS:
            n_cells = span * nq
            present = np.arange(n_cells, dtype=np.int64)
        else:   # sparse: number the (interval, queue) pairs present
            key = (np.floor_divide(times, step) - first) * nq + columns.queue[seen]
            present, inverse = np.unique(key, return_inverse=True)
            cells = np.full(len(when), -1, dtype=np.int64)
            cells[seen] = inverse
            n_cells = len(present)
        if tz is None:
            cell_queue = present % nq
            cell_start = (present // nq + first) * step
    del when, seen

    counts_, sums_, maxima_, within_ = _new_cells(n_cells, len(thresholds))
    _fold(columns, cells, thresholds, tps, (counts_, sums_, maxima_, within_), as_of=end,
          window_start=window_start, step=0 if step is None else step, first_bucket=first,
          n_queues=nq)
    return _table(list(columns.queue_names), counts_, sums_, maxima_, within_, thresholds,
                  cell_queue, cell_start, step=step, tps=tps, end=end, calls=columns, tz=tz)


def _table(queue_names: list, counts_: np.ndarray, sums_: np.ndarray, maxima_: np.ndarray,
           within_: np.ndarray, thresholds: tuple[int, ...], cell_queue: np.ndarray,
           cell_start: np.ndarray | None, *, step: int | None, tps: int, end: int | None,
           calls: CallColumns | None, tz: Any) -> QueueTable:
    """The QueueTable of the per-cell sums the kernel filled (cell_queue, cell_start:
    the queue code and interval start of each cell)."""
    from . import _queues

    queued = counts_[:, :6].sum(axis=1)
    counts = {
        "total_calls_queued": queued,
        "current_calls_queued": counts_[:, WAITING],
        "answered": counts_[:, ANSWERED],
        "total_calls_abandoned": counts_[:, ABANDONED],
        "timed_out": counts_[:, TIMED_OUT],
        "exited_empty": counts_[:, EXITED_EMPTY],
        "exited_with_key": counts_[:, EXITED_WITH_KEY],
        "refused": counts_[:, list(REFUSED)].sum(axis=1),
        "total_calls_flowed_in": counts_[:, _queues.FLOWED_IN_COLUMN],
        "total_calls_flowed_out": counts_[:, _queues.FLOWED_OUT_COLUMN],
        "final_disposition": counts_[:, _queues.FINAL_COLUMN],
        "wait_left_known": counts_[:, _queues.WAIT_LEFT_N_COLUMN],
        "wait_answered_known": counts_[:, _queues.WAIT_ANSWERED_N_COLUMN],
    }
    sums = {"wait_left": sums_[:, 0], "wait_answered": sums_[:, 1]}
    maxima = {"longest_ever_wait": maxima_[:, 0], "current_longest_wait": maxima_[:, 1]}
    within = {t: within_[:, k] for k, t in enumerate(thresholds)}

    # One row per queue without intervals (idle queues too); with intervals, the cells
    # that saw a call, by queue name and then time.
    names = np.asarray(queue_names, dtype=object)
    if step is None:
        order = np.argsort(names, kind="stable")
    else:
        starts = cast(np.ndarray, cell_start)     # set whenever there are intervals
        order = np.flatnonzero(counts["total_calls_queued"] + counts["refused"] > 0)
        order = order[np.lexsort((starts[order], names[cell_queue[order]]))]
    return QueueTable(
        queue_names=list(queue_names), queue=cell_queue[order],
        interval_start=None if cell_start is None else cell_start[order],
        counts={k: v[order] for k, v in counts.items()}, sums={k: v[order] for k, v in sums.items()},
        maxima={k: v[order] for k, v in maxima.items()}, within={k: v[order] for k, v in within.items()},
        ticks_per_second=tps, interval=step, as_of=end, calls=calls, tz=tz)


def _counted(columns: CallColumns, end: int, window_start: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Per call the time it counts at and whether it is counted by the report time
    `end` (and from `window_start`). SPEC 8.3: a call whose entry is unknown is counted
    where the log first shows it."""
    when = np.where(columns.enter != MISSING, columns.enter, columns.leave)
    seen = (when != MISSING) & (when <= end)
    if window_start is not None:
        seen &= when >= window_start
    return when, seen


def _local_starts(times: np.ndarray, step: int, tps: int, tz: Any) -> np.ndarray:
    """The start (in ticks) of the local-time interval of `step` ticks of each time."""
    from .localtime import fine_step, local_interval_starts

    step_s = step // tps
    fine = fine_step(step_s, tz)
    return local_interval_starts(np.floor_divide(times, fine * tps) * fine, fine, step_s,
                                 tz).astype(np.int64) * tps


def _new_cells(n: int, n_thresholds: int) -> tuple[np.ndarray, ...]:
    """Zeroed counts, sums, maxima (-1: none) and service-level counts of n cells."""
    from . import _queues

    return (np.zeros((n, _queues.COUNT_COLUMNS), dtype=np.int64), np.zeros((n, 2), dtype=np.int64),
            np.full((n, 2), -1, dtype=np.int64), np.zeros((n, n_thresholds), dtype=np.int64))


def _fold(columns: CallColumns, cells: np.ndarray, thresholds: tuple[int, ...], tps: int,
          sums: tuple[np.ndarray, ...], *, as_of: int, window_start: int | None, step: int,
          first_bucket: int, n_queues: int) -> None:
    """Add the calls to the cells' counts, sums, maxima and service-level counts (the
    compiled kernel; `cells` empty: it computes each call's cell from `step`)."""
    from . import _queues

    counts, totals, maxima, within = sums
    status = _queues.queue_cells(
        _c(columns.queue, np.int32), _c(columns.enter, np.int64), _c(columns.leave, np.int64),
        _c(columns.wait, np.int64), _c(columns.outcome, np.int8),
        _c(columns.flowed_in, np.bool_).view(np.uint8), _c(columns.flowed_out_at, np.int64), cells,
        np.asarray([t * tps for t in thresholds], dtype=np.int64), counts, totals, maxima, within,
        as_of=as_of, window_start=MISSING if window_start is None else int(window_start),
        step=step, first_bucket=first_bucket, n_queues=n_queues)
    if status == _queues.STATUS_OVERFLOW:
        raise OverflowError("a queue's total of waits does not fit 64-bit ticks; use coarser times or intervals")
    if status != _queues.STATUS_OK:     # pragma: no cover - a bug, never a data problem
        raise RuntimeError(f"queue statistics kernel status {status}")


class QueueAccumulator:
    """Queue statistics built from batches of calls: each batch is folded into the
    per-queue (per-interval) sums and forgotten, so memory holds the cells, not the calls.

    The options are those of :func:`queue_stats` (in ticks of ``ticks_per_second``;
    as_of None: the report time is given to :meth:`result`). :meth:`add` takes calls
    that no later line can change (whose times are all at or before the report time
    when none is given), or, with ``as_of`` given, any calls at that report time;
    :meth:`result` gives the table :func:`queue_stats` gives for all the calls added.
    """

    def __init__(self, *, interval: int | str | None = None, service_level: Sequence[int] | int = (20,),
                 as_of: int | None = None, window_start: int | None = None, tz: Any = None,
                 ticks_per_second: int = 1) -> None:
        from .localtime import time_zone

        self.tps = int(ticks_per_second)
        self.interval = interval
        self.step = _interval_ticks(interval, self.tps)
        self.thresholds = _thresholds(service_level)
        self.as_of = None if as_of is None else int(as_of)
        self.window_start = None if window_start is None else int(window_start)
        self.tz = time_zone(tz)
        self.calls = 0                    # calls added
        self.latest = MISSING             # the latest time of a call added without as_of
        self._cell_of: dict[tuple[int, int], int] = {}
        self._cell_queue: list[int] = []
        self._cell_start: list[int] = []
        self._n_cells = 0
        self._alloc(0)

    def options(self) -> dict[str, Any]:
        """The queue_stats options this accumulator answers for."""
        return {"interval": self.interval, "service_level": self.thresholds, "as_of": self.as_of,
                "window_start": self.window_start, "tz": self.tz}

    def answers(self, **options: Any) -> bool:
        """Would :func:`queue_stats` with these options give this accumulator's table?"""
        from .localtime import time_zone

        mine = self.options()
        for name, value in options.items():
            if name == "service_level":
                value = _thresholds(value)
            elif name == "tz":
                value = time_zone(value)
            elif name in ("as_of", "window_start"):
                value = None if value is None else _as_of_ticks(value, self.tps)
                if name == "as_of" and value is None:
                    continue                # the import's report time
            if name not in mine or value != mine[name]:
                return False
        return True

    def _alloc(self, n: int) -> None:
        old = getattr(self, "_counts", None)
        counts, sums, maxima, within = _new_cells(max(64, n), len(self.thresholds))
        if old is not None:
            k = len(old)
            counts[:k], sums[:k], maxima[:k], within[:k] = (
                self._counts[:k], self._sums[:k], self._maxima[:k], self._within[:k])
        self._counts, self._sums, self._maxima, self._within = counts, sums, maxima, within

    def _cells(self, columns: CallColumns, as_of: int) -> np.ndarray:
        """Per call its cell (-1: not counted), new cells numbered."""
        when, seen = _counted(columns, as_of, self.window_start)
        cells = np.full(len(when), -1, dtype=np.int64)
        queue = columns.queue[seen].astype(np.int64)
        times = when[seen]
        if self.step is None:
            nq = len(columns.queue_names)
            while self._n_cells < nq:
                self._cell_queue.append(self._n_cells)
                self._n_cells += 1
            cells[seen] = queue
            return cells
        if not len(times):
            return cells
        if self.tz is not None:
            start = _local_starts(times, self.step, self.tps, self.tz)
        else:
            start = np.floor_divide(times, self.step) * self.step
        starts, slot = np.unique(start, return_inverse=True)
        width = int(queue.max()) + 1
        pairs, inverse = np.unique(slot.astype(np.int64) * width + queue, return_inverse=True)
        ids = np.empty(len(pairs), dtype=np.int64)
        cell_of = self._cell_of
        for k, (s, q) in enumerate(zip(starts[pairs // width].tolist(), (pairs % width).tolist())):
            cell = cell_of.get((s, q))
            if cell is None:
                cell = cell_of[(s, q)] = self._n_cells
                self._cell_queue.append(q)
                self._cell_start.append(s)
                self._n_cells += 1
            ids[k] = cell
        cells[seen] = ids[inverse.reshape(-1)]
        return cells

    def add(self, columns: CallColumns, *, end: int | None = None) -> None:
        """Fold one batch of calls (queue codes into ``columns.queue_names``, which only
        grows from batch to batch). end: the report time of calls that may still change
        (the last batch), when no as_of was given."""
        n = len(columns)
        self._names = list(columns.queue_names)
        if not n:
            return
        as_of = self.as_of if self.as_of is not None else end
        if as_of is None:       # calls no later line changes: as seen at any later time
            as_of = np.iinfo(np.int64).max
            for column in (columns.enter, columns.leave, columns.flowed_out_at):
                known = column[column != MISSING]
                if len(known):
                    self.latest = max(self.latest, int(known.max()))
        cells = self._cells(columns, as_of)
        if self._n_cells > len(self._counts):
            self._alloc(2 * self._n_cells)
        k = self._n_cells
        _fold(columns, cells, self.thresholds, self.tps,
              (self._counts[:k], self._sums[:k], self._maxima[:k], self._within[:k]), as_of=as_of,
              window_start=self.window_start, step=0, first_bucket=0,
              n_queues=max(1, len(columns.queue_names)))
        self.calls += n

    def result(self, queue_names: list | None = None, *, end: int | None = None) -> QueueTable:
        """The table of every call added, at the report time (``as_of``, else `end`)."""
        names = list(queue_names if queue_names is not None else getattr(self, "_names", []))
        end = self.as_of if self.as_of is not None else end
        if self.as_of is None and self.latest != MISSING and (end is None or end < self.latest):
            raise RuntimeError("queue statistics: calls were folded after the report time")  # pragma: no cover
        if end is None or not self.calls:
            empty = CallColumns(queue=np.zeros(0, np.int32), queue_names=names,
                                enter=np.zeros(0, np.int64), leave=np.zeros(0, np.int64),
                                wait=np.zeros(0, np.int64), outcome=np.zeros(0, np.int8),
                                flowed_in=np.zeros(0, bool), flowed_out_at=np.zeros(0, np.int64),
                                ticks_per_second=self.tps)
            table = _empty(empty, self.step, self.thresholds, self.tps, end)
            table.calls = None
            return table
        if self.step is None:
            while self._n_cells < len(names):       # queues seen only by calls not counted
                self._cell_queue.append(self._n_cells)
                self._n_cells += 1
            if self._n_cells > len(self._counts):
                self._alloc(self._n_cells)
        k = self._n_cells
        cell_queue = np.asarray(self._cell_queue, dtype=np.int64)
        cell_start = None if self.step is None else np.asarray(self._cell_start, dtype=np.int64)
        return _table(names, self._counts[:k].copy(), self._sums[:k].copy(), self._maxima[:k].copy(),
                      self._within[:k].copy(), self.thresholds, cell_queue, cell_start,
                      step=self.step, tps=self.tps, end=end, calls=None, tz=self.tz)


def _c(values: np.ndarray, dtype: Any) -> np.ndarray:
    """A C-contiguous array of that dtype (no copy when it already is one)."""
    return np.ascontiguousarray(values, dtype=dtype)


def _empty(columns: CallColumns, step, thresholds, tps, end) -> QueueTable:
    nq = len(columns.queue_names) if step is None else 0
    z = np.zeros(nq, dtype=np.int64)
    names = ("total_calls_queued", "current_calls_queued", "answered", "total_calls_abandoned",
             "timed_out", "exited_empty", "exited_with_key", "refused", "total_calls_flowed_in",
             "total_calls_flowed_out", "final_disposition", "wait_left_known", "wait_answered_known")
    order = np.argsort(np.asarray(columns.queue_names, dtype=object), kind="stable") if nq else z
    return QueueTable(queue_names=list(columns.queue_names), queue=order.astype(np.int64),
                      interval_start=None if step is None else np.zeros(0, np.int64),
                      counts={k: z.copy() for k in names},
                      sums={"wait_left": z.copy(), "wait_answered": z.copy()},
                      maxima={"longest_ever_wait": z - 1, "current_longest_wait": z - 1},
                      within={t: z.copy() for t in thresholds}, ticks_per_second=tps,
                      interval=step, as_of=end, calls=columns)


def _as_of_ticks(as_of: Any, tps: int) -> int | None:
    if as_of is None:
        return None
    if isinstance(as_of, (int, np.integer)) and not isinstance(as_of, bool):
        return int(as_of)
    from .aggregate import _as_of_to_ticks

    unit = {1: "s", 1000: "ms", 10**6: "us", 10**9: "ns"}.get(tps)
    if unit is None:
        raise ValueError(f"as_of must be given in ticks for a table of {tps} ticks per second")
    return _as_of_to_ticks(as_of, unit)


def _as_call_columns(calls: Any, names: Mapping[str, str] | None = None, time_unit: str = "s",
                     wait_unit: str = "s") -> CallColumns:
    if isinstance(calls, CallColumns):
        return calls
    columns = getattr(calls, "call_columns", None)
    if callable(columns):
        return columns()
    from .io.calls import call_columns

    return call_columns(calls, columns=names, time_unit=time_unit, wait_unit=wait_unit)
