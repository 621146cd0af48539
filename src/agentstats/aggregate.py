"""From event columns to per-session statistics: everything before and after the kernel.

This module validates the chunk as a whole, has each column read by
columns.py (dtypes, exact ticks), maps session keys to dense slots, allocates, calls the
kernel, and wraps the result in a SessionTable. The typed loops are in _kernel.pyx.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time as _time
from collections.abc import Hashable, Iterator
from typing import Any, Literal

import numpy as np

# pandas and pyarrow are imported where used: integer session keys (a queue_log's) and
# NumPy columns aggregate without them, so a small report starts quickly.
from . import _kernel, scratch
from .hresult import (
    E_OUTOFMEMORY,
    AgentSessionState,
    LINEERR_INVALAGENTSESSIONSTATE,
    LINEERR_OPERATIONFAILED,
    TAPI_E_TIMEOUT,
    shown,
    tapi_error,
)
from .columns import (
    INVALID_STATE,
    MISSING,
    TICKS_PER_SECOND,
    _as_key_array,
    _as_object_array,
    _as_of_to_ticks,
    _fits_int64,
    _length,
    _native,
    _normalise_state,
    _raise_negative_wait,
    _time_to_ticks,
    _wait_to_ticks,
)
from . import frames
from .table import SessionTable

Unit = Literal["s", "ms", "us", "ns"]
OffTable = Literal["count", "raise"]

__all__ = ["Aggregator", "aggregate", "SESSION_STATE_DTYPE", "TICKS_PER_SECOND"]

_BUCKETS = ("used", "duplicate", "after_end", "after_as_of", "invalid_state", "invalid_time")

# One C struct per session (see _types.pxd): 64 bytes, allocated on a cache line.
SESSION_STATE_DTYPE = np.dtype(
    [
        ("last_time", "=i8"),
        ("talk", "=u8"),
        ("wrap", "=u8"),
        ("calls", "=i8"),
        ("first_time", "=i8"),
        ("wait_sum", "=u8"),
        ("wait_max", "=i8"),
        ("wait_n", "=u4"),
        ("state", "u1"),
        ("_pad", "u1", (3,)),
    ]
)
_HUGE_PAGE = 2 << 20
_CACHE_LINE = 64
if SESSION_STATE_DTYPE.itemsize != _kernel.session_state_itemsize():  # pragma: no cover
    raise ImportError("agentstats: SESSION_STATE_DTYPE does not match the compiled kernel")

# Below this many rows a second thread costs more than it saves.
_MIN_ROWS_PER_THREAD = 1 << 20
# Each extra thread of the ordered scan fills a private copy of the session states; when
# that copy is beyond the last-level cache and large against the rows it would share
# (few events per session), the copy and the merge cost more than the split saves
# (measured: 50M events of 5M sessions, 0.67 s on one thread, 0.86-1.9 s on two).
_PRIVATE_STATE_CACHE_BYTES = 32 << 20
_ROW_BYTES = 17                        # code, time, state of one row
# Dense integer keys index the state array directly while the key range stays below
# this many slots, or one slot per 8 rows seen (so at most ~10 bytes of state per row).
_DENSE_MIN_SLOTS = 1 << 20
_DENSE_ROWS_PER_SLOT = 8
# Object keys are factorised by identity first when the log is this long and at most
# one row in this many brings a new object (else plain pd.factorize is as fast).
_POINTER_FACTORISE_MIN_ROWS = 1 << 14
_POINTER_FACTORISE_MAX_SHARE = 4


def release_scratch() -> int:
    """Free the memory aggregation keeps for the next call, which a later call reuses
    instead of faulting in fresh pages: the private session states of the ordered
    scan's threads after the first (64 bytes a session each, kept only when at most
    64 MiB in all), and the records of the last one-shot `aggregate()` and
    `agent_stats()` calls (buffers of 2 to 64 MiB, at most 128 MiB in all). Returns the
    bytes freed (0 when nothing was kept)."""
    from . import scratch

    return int(_kernel.release_scratch()) + scratch.release()


def aggregate(
    *columns: Any,
    session: Any = None,
    time: Any = None,
    state: Any = None,
    data: Any = None,
    wait: Any = None,
    unit: Unit | None = None,
    as_of: Any = None,
    strict: bool = True,
    n_threads: int | None = None,
    timeout: float | None = None,
    agent: Any = None,
    acd_group: Any = None,
    address: Any = None,
    off_table: OffTable = "count",
    window_start: Any = None,
) -> SessionTable:
    """Aggregate an agent-state event log into one row of ITAgentSession statistics per
    session, with every row accounted for in `table.diagnostics`.

    Three ways to give the log:
        aggregate(session, time, state, wait=..., ...)        separate columns
        aggregate(table, session="sid", time="ts", state="code", wait=..., ...)
        aggregate("sid", "ts", "code", data=table)             column names of a table
    A table is a pandas, polars, pyarrow or DuckDB table (anything exporting an Arrow
    stream or the dataframe interchange protocol) or a mapping of name -> column; so
    `df.pipe(agentstats.aggregate, session="sid", time="ts", state="code")` works too.

    session: the session of each row: int64 or any hashable (strings are factorised).
    time: when the row's state was entered: datetime64 of any unit, or int/float ticks
        with `unit` ("s", "ms", "us", "ns"). NaT/NaN/None is a missing time (invalid_time).
    state: AGENT_SESSION_STATE 0..4, or state names ("READY", "busy_on_call", "BUSY",
        "WRAPUP", ... as the table importer reads them); anything else is invalid_state.
    wait: the caller's wait before this agent answered, on rows entering BUSY_ON_CALL:
        timedelta64 (NaT missing), or numbers in `unit` (NaN missing); never negative.
        Without `unit`, numbers are in the ticks of the datetime times (their own
        resolution: 12 beside microsecond times is 12 us), so give `unit="s"` for a
        column of seconds.
    as_of: report time; default the latest valid time in the log.
    strict: raise on invalid_state / invalid_time rows; False counts them.
    n_threads: threads for the kernel (default: all cores for large inputs), capped at
        the cores this process may run on (a thread beyond them only costs memory).
    timeout: seconds before giving up with TAPI_E_TIMEOUT (default: no limit).
    agent, acd_group, address: optional per-row keys kept with each session.
    off_table: "count" (default) or "raise" for transitions TAPI's state table forbids.
    window_start: a report of the window [window_start, as_of] only (datetime, ISO text
        or ticks): each session is cut exactly at both edges, its calls and times to
        answer are those answered inside the window, and a session that ended at or
        before its start is left out (:class:`agentstats.session_window.SessionWindow`).

    Columns may be NumPy arrays, lists, pandas Series (nullable and Arrow-backed
    included), pyarrow or polars arrays; the values are read exactly (docs/limits.md).
    Rows may come in any order. Returns a SessionTable.
    """
    given = frames.call_columns(
        columns, data,
        {"session": session, "time": time, "state": state, "wait": wait, "agent": agent,
         "acd_group": acd_group, "address": address},
        required=("session", "time", "state"), what="aggregate")
    if window_start is not None:
        from .session_window import SessionWindow

        window = SessionWindow(window_start, unit=unit, as_of=as_of, strict=strict, n_threads=n_threads,
                               timeout=timeout, off_table=off_table)
        window.update(given["session"], given["time"], given["state"], wait=given.get("wait"),
                      agent=given.get("agent"), acd_group=given.get("acd_group"), address=given.get("address"))
        return window.result()
    aggregator = Aggregator(
        unit=unit, as_of=as_of, strict=strict, n_threads=n_threads, timeout=timeout,
        off_table=off_table,
    )
    aggregator._update_columns(given)
    table = aggregator.result()
    scratch.give_back(aggregator._states)     # the table holds none of it
    return table


class Aggregator:
    """Aggregation in chunks: `update()` any number of times, then `result()`.

    The state carried between chunks is one fixed-size record per session, so memory
    depends on the number of sessions, not on the number of rows. Inside a chunk rows
    may come in any order; across chunks, a session's rows must not go back in time
    (a row earlier than an already-aggregated row of its session raises ValueError).
    `result()` may be called between updates for a report so far.

    One Aggregator may be shared between threads: `update()` and `result()` calls wait
    for each other (one at a time, no row lost; with a `timeout`, the wait counts
    against it). Rows of one session fed from several threads must still come in time
    order, so give each thread its own sessions.
    """

    def __init__(
        self,
        *,
        unit: Unit | None = None,
        as_of: Any = None,
        strict: bool = True,
        n_threads: int | None = None,
        timeout: float | None = None,
        off_table: OffTable = "count",
    ) -> None:
        if unit is not None and unit not in TICKS_PER_SECOND:
            raise ValueError(f"unit must be one of {sorted(TICKS_PER_SECOND)}, not {unit!r}")
        if off_table not in ("count", "raise"):
            raise ValueError(f"off_table must be 'count' or 'raise', not {off_table!r}")
        if isinstance(n_threads, np.integer):
            n_threads = int(n_threads)
        if n_threads is not None and (not isinstance(n_threads, int) or isinstance(n_threads, bool)
                                      or n_threads < 1):
            raise ValueError(f"n_threads must be a positive int or None, not {shown(n_threads)}")
        if timeout is not None and not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, not {shown(timeout)}")
        self._unit = unit
        self._as_of_input = as_of
        self._strict = bool(strict)
        self._n_threads = n_threads
        self._timeout = timeout
        self._raise_off_table = off_table == "raise"

        self._tick_unit: str | None = None          # fixed by the first chunk
        self._as_of: int | None = None              # in ticks, once the unit is known
        self._has_wait: bool | None = None
        self._rows = 0
        self._counts = dict.fromkeys((*_BUCKETS, "off_table"), 0)
        self._max_time = MISSING
        self._keys = _SessionSlots()
        self._states = _new_states(0)
        self._meta: dict[str, np.ndarray] = {}
        # One update() or result() at a time: calls from several threads wait for each
        # other (the kernel runs without the GIL, so they would otherwise interleave).
        self._lock = threading.Lock()

    # -- public -------------------------------------------------------------------

    def update(
        self,
        *columns: Any,
        session: Any = None,
        time: Any = None,
        state: Any = None,
        data: Any = None,
        wait: Any = None,
        agent: Any = None,
        acd_group: Any = None,
        address: Any = None,
    ) -> Aggregator:
        """Add one chunk of rows, given as in `aggregate()`: separate columns
        (`update(session, time, state, wait=...)`) or a table with column names
        (`update(table, session="sid", ...)`, `update("sid", "ts", "code", data=table)`).
        Structural errors raise before anything changes."""
        given = frames.call_columns(
            columns, data,
            {"session": session, "time": time, "state": state, "wait": wait, "agent": agent,
             "acd_group": acd_group, "address": address},
            required=("session", "time", "state"), what="update")
        return self._update_columns(given)

    def _update_columns(self, given: dict[str, Any]) -> Aggregator:
        deadline = _deadline(self._timeout)
        with self._holding(deadline), _memory_errors_as_tapi():
            chunk = self._normalise(
                given["session"], given["time"], given["state"], given.get("wait"),
                given.get("agent"), given.get("acd_group"), given.get("address"))
            _check_deadline(deadline)
            self._apply(chunk, deadline)
        return self

    def result(self, *, as_of: Any = None) -> SessionTable:
        """The per-session statistics of everything added so far.

        `as_of` closes open sessions at a later report time than the latest row (for
        example the end of a log file known only once it is read); it may not be
        earlier than a row already aggregated — give `as_of` to the Aggregator to
        leave later rows out."""
        with self._holding(_deadline(self._timeout)), _memory_errors_as_tapi():
            return self._result(as_of)

    @contextlib.contextmanager
    def _holding(self, deadline: float) -> Iterator[None]:
        """This aggregator's lock, waiting at most until the deadline (TAPI_E_TIMEOUT)."""
        wait = max(0.0, deadline - _time.monotonic()) if deadline else -1
        if not self._lock.acquire(timeout=wait):
            raise tapi_error(TAPI_E_TIMEOUT, "the aggregator was busy with another thread until the timeout")
        try:
            yield
        finally:
            self._lock.release()

    def _result(self, as_of_override: Any) -> SessionTable:
        as_of = self._as_of if self._as_of is not None else self._max_time
        if as_of_override is not None:
            override = _as_of_to_ticks(as_of_override, self._tick_unit or "s")
            if self._max_time != MISSING and override < self._max_time:
                raise ValueError(
                    "result(as_of=...) is earlier than rows already aggregated; pass as_of "
                    "to the Aggregator so that later rows are counted as after_as_of")
            as_of = override
        slots = np.flatnonzero(self._states["state"] != INVALID_STATE).astype(np.int64)
        out = np.empty((len(_kernel.FINAL_COLUMNS), len(slots)), dtype=np.int64)
        status = _kernel.finalize(self._states.view(np.uint8), slots, as_of, out,
                                  self._started(min(2, self._thread_limit())))
        if status == _kernel.STATUS_OVERFLOW:
            bad = self._keys.key_of(int(slots[out[0, 0]]))
            raise tapi_error(
                LINEERR_OPERATIONFAILED,
                f"session {shown(bad)}: a total does not fit in int64 ticks",
            )
        _raise_for_status(status)
        ticks = dict(zip(_kernel.FINAL_COLUMNS, out))
        keys, order = self._keys.keys_for(slots)
        if order is not None:
            ticks = {name: values[order] for name, values in ticks.items()}
            slots = slots[order]
        meta = {name: values[slots] for name, values in self._meta.items()}
        diagnostics = {**self._counts, "rows": self._rows}
        return SessionTable(
            keys=keys,
            ticks=ticks,
            ticks_per_second=TICKS_PER_SECOND[self._tick_unit or "s"],
            time_unit=self._tick_unit or "s",
            has_wait=bool(self._has_wait),
            diagnostics=diagnostics,
            as_of=None if as_of == MISSING else int(as_of),
            meta=meta,
        )

    # -- normalisation (SPEC 1, 3.2) ----------------------------------------------

    def _normalise(self, session, time, state, wait, agent, acd_group, address) -> _Chunk:
        columns = {"session": session, "time": time, "state": state}
        if wait is not None:
            columns["wait"] = wait
        for name, values in (("agent", agent), ("acd_group", acd_group), ("address", address)):
            if values is not None:
                columns[name] = values
        lengths = {name: _length(values, name) for name, values in columns.items()}
        if len(set(lengths.values())) > 1:
            listed = ", ".join(f"{name}={n}" for name, n in lengths.items())
            raise ValueError(f"columns have unequal lengths: {listed}")
        if self._has_wait is not None and self._has_wait != (wait is not None):
            raise ValueError("wait must be given for every chunk or for none")

        ticks, tick_unit = _time_to_ticks(time, self._unit, self._tick_unit)
        passes = self._started(min(2, self._thread_limit()))   # threads of the column passes
        # int64 states and waits in the time's ticks are checked by the ordered scan
        # as it reads them (no pass of their own); _apply checks them when it does not.
        states, raw_state = _normalise_state(state, passes, any_invalid=True, int64_in_place=True)
        waits = raw_wait = None
        wait_checked = True
        if wait is not None:
            waits, raw_wait, wait_checked = _wait_to_ticks(wait, self._unit, tick_unit, passes,
                                                           check_later=True)
        try:
            keys = _as_key_array(session)
            extra = {name: _as_object_array(columns[name], name)
                     for name in ("agent", "acd_group", "address") if name in columns}
        except Exception:
            if not wait_checked:        # a negative wait is reported first, as it always was
                _raise_negative_wait(waits, raw_wait, passes)
            raise

        as_of = self._as_of
        if tick_unit != self._tick_unit:
            as_of = _as_of_to_ticks(self._as_of_input, tick_unit)
        chunk = _Chunk(keys, ticks, states, waits, extra, tick_unit, as_of, raw_state)
        chunk.raw_wait, chunk.wait_checked = raw_wait, wait_checked
        return chunk

    # -- the kernel calls ---------------------------------------------------------

    def _apply(self, chunk: _Chunk, deadline: float) -> None:
        n = len(chunk.ticks)
        slots_before = len(self._states)
        had_rows = bool(np.any(self._states["state"][:slots_before] != INVALID_STATE)) if slots_before else False
        limit = self._thread_limit()
        codes, base, states = self._keys.assign(chunk.keys, self._states, self._rows + n,
                                                threads=self._started(min(2, limit)))
        snapshot = states.copy() if had_rows else None
        n_slots = len(states)
        as_of = chunk.as_of if chunk.as_of is not None else np.iinfo(np.int64).max
        has_wait = chunk.waits is not None
        waits = chunk.waits if has_wait else np.empty(0, dtype=np.int64)
        threads = self._started(self._threads_for(n, n_slots, limit))

        counters = np.zeros((threads, len(_kernel.COUNTER_NAMES)), dtype=np.int64)
        grouped = _looks_grouped(codes)
        in_place = chunk.kernel_states       # uint8, or int64 states the scan reads itself
        scanned = _head_in_time_order(codes, chunk.ticks, in_place, as_of)
        if scanned:
            status = _kernel.scan(
                codes, base, chunk.ticks, in_place.view(np.uint8), waits, states.view(np.uint8),
                counters, has_wait=has_wait, as_of=as_of, deadline=deadline, grouped=grouped,
                state_width=in_place.itemsize,
            )
        else:
            status = _kernel.STATUS_NEEDS_ORDER     # nothing applied yet: states untouched
        if status != _kernel.STATUS_OK and not chunk.wait_checked:
            # The scan checked every wait only if it read every row: check them here.
            try:
                _raise_negative_wait(chunk.waits, chunk.raw_wait, self._started(min(2, limit)))
            except ValueError:
                if scanned:
                    _restore(states, snapshot)
                raise
            chunk.wait_checked = True
            if status == _kernel.STATUS_NEGATIVE_WAIT:  # pragma: no cover - a kernel bug
                _restore(states, snapshot)
                raise RuntimeError("agentstats internal error: a negative wait the check did not find")
        if status == _kernel.STATUS_NEEDS_SERIAL:
            # A thread boundary the merge cannot express (rare): one thread, same answer.
            _restore(states, snapshot)
            counters = np.zeros((1, len(_kernel.COUNTER_NAMES)), dtype=np.int64)
            status = _kernel.scan(
                codes, base, chunk.ticks, in_place.view(np.uint8), waits, states.view(np.uint8),
                counters, has_wait=has_wait, as_of=as_of, deadline=deadline, grouped=grouped,
                state_width=in_place.itemsize,
            )
        if status == _kernel.STATUS_NEEDS_ORDER:
            # Not in time order within some session (SPEC 1.1): undo, take the
            # unordered path (counting sort by session, then sort each session by time).
            if scanned:
                _restore(states, snapshot)      # 15 ms at 200k sessions: only when needed
            status = _kernel.scan_unordered(
                codes, base, chunk.ticks, chunk.states, waits, states.view(np.uint8),
                counters, has_wait=has_wait, as_of=as_of, deadline=deadline,
                need_rows=self._raise_off_table,   # the error names the first off-table row
            )
            if status == _kernel.STATUS_NEEDS_ORDER:
                _restore(states, snapshot)
                raise ValueError(
                    "a row is earlier than an already aggregated row of its session: "
                    "chunks must not go back in time within a session"
                )
        if status != _kernel.STATUS_OK:
            _restore(states, snapshot)
            _raise_for_status(status)

        totals = dict(zip(_kernel.COUNTER_NAMES, counters.sum(axis=0).tolist()))
        totals["max_time"] = int(counters[:, _kernel.COUNTER_NAMES.index("max_time")].max())
        first_off = int(counters[:, _kernel.COUNTER_NAMES.index("first_off_table_row")].min())
        accounted = sum(totals[name] for name in _BUCKETS)
        if accounted != n:  # pragma: no cover - a kernel bug, never a user error
            _restore(states, snapshot)
            raise RuntimeError(f"agentstats internal error: {accounted} of {n} rows accounted for")
        if self._strict and (totals["invalid_time"] or totals["invalid_state"]):
            # SPEC 3.1: nothing of this chunk is applied; name the first bad row.
            _restore(states, snapshot)
            _raise_first_invalid(chunk.ticks, chunk.states, chunk.raw_state, chunk.keys)
        if self._raise_off_table and totals["off_table"]:
            _restore(states, snapshot)
            raise tapi_error(
                LINEERR_INVALAGENTSESSIONSTATE,
                f"row {first_off}: transition that the TAPI state table forbids "
                f"(session {shown(chunk.keys[first_off])}, state {int(chunk.states[first_off])})",
            )

        # Commit the chunk.
        self._states = states
        self._keys.commit()
        self._tick_unit = chunk.tick_unit
        self._as_of = chunk.as_of
        self._has_wait = has_wait
        self._rows += n
        for name in (*_BUCKETS, "off_table"):
            self._counts[name] += totals[name]
        if n:       # the kernel reports no latest time for no rows (its counters stay 0)
            self._max_time = max(self._max_time, totals["max_time"])
        self._remember_meta(chunk, codes, base, n_slots)

    def _thread_limit(self) -> int:
        """n_threads, or every core, but never more threads than available cores: a
        thread beyond them only waits, yet costs a private copy of the session states."""
        if not _kernel.openmp_enabled():
            return 1
        cores = _available_cores()
        return cores if self._n_threads is None else min(self._n_threads, cores)

    def _started(self, threads: int) -> int:
        """`threads` once the system is known to let that many run at once, so that the
        OpenMP runtime (which ends the process when it cannot start a thread) never
        meets the refusal. When it refuses: one thread if n_threads was not given (same
        results), else E_OUTOFMEMORY (a MemoryError)."""
        if threads <= 1 or _threads_can_start(threads):
            return threads
        if self._n_threads is None:
            return 1
        raise tapi_error(
            E_OUTOFMEMORY,
            f"could not start {threads} threads (the system refused a new thread: a memory "
            "or process limit); pass n_threads=1")

    def _threads_for(self, n_rows: int, n_slots: int, limit: int | None = None) -> int:
        if limit is None:
            limit = self._thread_limit()
        if limit <= 1:
            return 1
        if self._n_threads is not None:
            wanted = limit
        else:
            wanted = min(limit, max(1, n_rows // _MIN_ROWS_PER_THREAD))
            private = n_slots * SESSION_STATE_DTYPE.itemsize
            if private > _PRIVATE_STATE_CACHE_BYTES and private * 8 > n_rows * _ROW_BYTES:
                wanted = 1
        return max(1, min(wanted, n_rows))

    def _remember_meta(self, chunk: _Chunk, codes: np.ndarray, base: int, n_slots: int) -> None:
        """Keep the first agent / acd_group / address seen for each session (they are
        constant within a session), aligned with the slots of the state array."""
        for name, old in self._meta.items():
            if len(old) != n_slots:
                moved = self._keys.remap_old(len(old))
                kept = moved >= 0
                grown = np.full(n_slots, None, dtype=object)
                grown[moved[kept]] = old[kept]
                self._meta[name] = grown
        if not chunk.extra:
            return
        slots, first_rows = np.unique(codes - base, return_index=True)
        for name, values in chunk.extra.items():
            column = self._meta.setdefault(name, np.full(n_slots, None, dtype=object))
            unset = _is_missing(column[slots])
            column[slots[unset]] = values[first_rows[unset]]


class _Chunk:
    __slots__ = ("keys", "ticks", "kernel_states", "_states", "waits", "extra", "tick_unit",
                 "as_of", "raw_state", "raw_wait", "wait_checked")

    def __init__(self, keys, ticks, states, waits, extra, tick_unit, as_of, raw_state):
        self.raw_state = raw_state
        self.keys = keys
        self.ticks = ticks
        self.kernel_states = states      # uint8 codes, or the int64 column itself
        self._states = states if states.dtype == np.uint8 else None
        self.waits = waits
        self.extra = extra
        self.tick_unit = tick_unit
        self.as_of = as_of
        self.raw_wait = None             # the wait as given, for an error naming a row
        self.wait_checked = True         # False: no negative check yet (the scan does it)

    @property
    def states(self) -> np.ndarray:
        """uint8 codes (INVALID_STATE for anything outside 0..4), converted on first use
        when the scan read int64 states in place (the unordered path, error messages)."""
        if self._states is None:
            self._states = np.empty(len(self.kernel_states), dtype=np.uint8)
            _kernel.state_codes(self.kernel_states, self._states, 1)
        return self._states


class _SessionSlots:
    """Session key -> slot in the state array, kept across chunks.

    Integer keys in a compact range map to `key - base` with no hashing (the usual case:
    session ids issued in order); any other keys go through a hash table (pandas).
    `assign()` prepares a chunk without changing the committed mapping; `commit()` keeps it.
    """

    def __init__(self) -> None:
        self.mode: str | None = None       # None (no rows yet), "dense" or "hash"
        self.base = 0
        self._index: Any = None            # pd.Index of the keys (hash mode), made on first use
        self._pending: tuple | None = None
        self._old_to_new: np.ndarray | None = None

    @property
    def index(self) -> Any:
        if self._index is None:
            import pandas as pd

            self._index = pd.Index([], dtype=object)
        return self._index

    @index.setter
    def index(self, value: Any) -> None:
        self._index = value

    def assign(self, keys: np.ndarray, states: np.ndarray, rows_seen: int, *, threads: int = 1):
        """Codes for this chunk's rows, the base to subtract, and the (possibly grown or
        re-indexed, always new) state array that the kernel may update. `threads`:
        at most this many for the key range."""
        self._old_to_new = None
        if self.mode != "hash" and keys.dtype.kind in "iu" and len(keys) and _fits_int64(keys):
            keys = _native(keys, np.int64)
            lo, hi = _kernel.key_range(keys, threads)
            if self.mode == "dense":
                lo, hi = min(lo, self.base), max(hi, self.base + len(states) - 1)
            if hi - lo + 1 <= max(_DENSE_MIN_SLOTS, rows_seen // _DENSE_ROWS_PER_SLOT):
                grown = _new_states(hi - lo + 1)
                if self.mode == "dense":
                    shift = self.base - lo
                    grown[shift:shift + len(states)] = states
                    self._old_to_new = np.arange(len(states)) + shift
                self._pending = ("dense", lo, None)
                return keys, lo, grown
        if len(keys) == 0 and self.mode in (None, "dense"):
            self._pending = (self.mode, self.base, None)
            same = _new_states(len(states))
            same[:] = states
            return np.empty(0, dtype=np.int64), self.base, same
        # Hash mode: known keys keep their slots, new keys are appended.
        import pandas as pd

        index = self.index
        compacted = states
        if self.mode == "dense":
            seen = np.flatnonzero(states["state"] != INVALID_STATE)
            index = pd.Index(seen + self.base, dtype=np.int64).astype(object)
            compacted = states[seen]
            self._old_to_new = np.full(len(states), -1, dtype=np.int64)
            self._old_to_new[seen] = np.arange(len(seen))
        codes, uniques = _factorise(keys)
        mapped = index.get_indexer(pd.Index(uniques, dtype=object)) if len(index) else np.full(len(uniques), -1)
        new = mapped < 0
        mapped = mapped.astype(np.int64)
        mapped[new] = len(index) + np.arange(int(new.sum()))
        index = index.append(pd.Index(uniques[new], dtype=object)) if new.any() else index
        grown = _new_states(len(index))
        grown[: len(compacted)] = compacted
        self._pending = ("hash", 0, index)
        return mapped[codes], 0, grown

    def commit(self) -> None:
        mode, base, index = self._pending
        self.mode, self.base = mode, base
        if index is not None:
            self.index = index
        self._pending = None

    def remap_old(self, n_old: int) -> np.ndarray:
        """Where the slots of the previous state array went (for per-session metadata)."""
        if self._old_to_new is None:
            return np.arange(n_old)
        return self._old_to_new[:n_old]

    def key_of(self, slot: int) -> Hashable:
        return slot + self.base if self.mode == "dense" else self.index[slot]

    def key_of_slots(self, slots: np.ndarray) -> np.ndarray:
        """Keys of the given slots, in slot order."""
        if self.mode == "dense" or self.mode is None:
            return slots.astype(np.int64) + self.base
        return self.index.to_numpy()[slots]

    def keys_for(self, slots: np.ndarray):
        """Keys of the given slots, and an order that sorts them when keys are sortable."""
        if self.mode == "dense" or self.mode is None:
            return slots + self.base, None
        keys = self.index.to_numpy()[slots]
        order = _sorting_order(keys)
        return (keys, None) if order is None else (keys[order], order)


# -- helpers: arrays ---------------------------------------------------------------


def _sorting_order(keys: np.ndarray) -> np.ndarray | None:
    """The order that sorts the keys, or None when they are not mutually comparable
    (then the table keeps first-seen order). Strings sort in Arrow (C, not Python
    comparisons)."""
    if (len(keys) and all(type(k) is str for k in keys[: min(len(keys), 1000)])
            and (len(keys) >= _MISSING_BY_PANDAS_MIN or "pyarrow" in sys.modules)):
        # (a few thousand keys while pyarrow is not loaded: NumPy's sort below, the same
        # order, since Python's str order is that of their UTF-8 bytes)
        import pyarrow as pa
        import pyarrow.compute as pc

        try:
            return pc.sort_indices(pa.array(keys, type=pa.string())).to_numpy()
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass
    if _increasing(keys):
        return np.arange(len(keys))             # in order already (ids numbered in order)
    if keys.dtype == np.int64:
        dense = _dense_order(keys)
        if dense is not None:
            return dense
    try:
        return np.argsort(keys, kind="stable")
    except TypeError:
        return None


def _increasing(keys: np.ndarray) -> bool:
    """Integer keys strictly increasing: already in order, and distinct (one pass)."""
    return keys.dtype.kind in "iu" and bool(np.all(keys[1:] > keys[:-1]))


def _dense_order(keys: np.ndarray) -> np.ndarray | None:
    """The order that sorts distinct int64 keys (a result table's) that fill most of
    their range (agent ids 1..n, say) by placing each at its value: one pass, not a sort
    (200k keys: about 1 ms against 14). None when the range is sparse, or when a key
    repeats (placing would lose a row: the caller sorts)."""
    if not len(keys):
        return None
    lo, hi = int(keys.min()), int(keys.max())
    if hi - lo >= 2 * len(keys) + 1024:
        return None
    slot = np.full(hi - lo + 1, -1, dtype=np.int64)
    slot[keys - lo] = np.arange(len(keys))
    order = slot[slot >= 0]
    return order if len(order) == len(keys) else None


def _new_states(n: int) -> np.ndarray:
    """n fresh session states, the array starting on a cache line (one state per line);
    a large array starts on a 2 MiB boundary, so that all of it can sit in the huge
    pages NumPy asks Linux for (the rows hit the states at random, and each miss of the
    TLB costs a page walk: one-thread scans measured 0.73 s before, 0.47 s after, in
    separate processes on a VM whose one-thread timings are bimodal)."""
    nbytes = n * SESSION_STATE_DTYPE.itemsize
    align = _HUGE_PAGE if nbytes >= 2 * _HUGE_PAGE else _CACHE_LINE
    raw = scratch.take(nbytes + align)   # (None below 2 MiB: fresh pages cost little)
    if raw is None:                      # every byte is written below: no zeroing
        raw = np.empty(nbytes + align, dtype=np.uint8)
    skip = -raw.ctypes.data % align
    # (a kept buffer is the last aggregate()'s states: rewritten like fresh memory)
    _kernel.fresh_states(raw[skip: skip + nbytes])    # one pass: unseen, wait_max -1
    return raw[skip: skip + nbytes].view(SESSION_STATE_DTYPE)


def _restore(states: np.ndarray, snapshot: np.ndarray | None) -> None:
    """Undo a failed or aborted scan (states was fresh when snapshot is None)."""
    if snapshot is None:
        states[:] = _new_states(len(states))
    else:
        states[:] = snapshot


# -- helpers: session keys ----------------------------------------------------------


def _raise_unhashable(keys: np.ndarray) -> None:
    """Name the first session key that cannot be hashed (so cannot name a session)."""
    for row, key in enumerate(keys):
        try:
            hash(key)
        except TypeError:
            raise TypeError(f"session key at row {row} is not hashable: {type(key).__name__} "
                            f"{shown(key)}; keys must be numbers, strings, tuples or other "
                            "hashable values") from None


def _factorise(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes (int64, first-seen order) and uniques of any hashable keys.

    Object arrays usually hold each distinct key as one shared object (pandas' and
    pyarrow's readers do this), so they are factorised by object identity first in
    the kernel, and only the distinct objects are then hashed by value."""
    try:
        return _factorise_hashable(keys)
    except TypeError:
        if keys.dtype != object:
            raise
        _raise_unhashable(keys)
        raise


def _factorise_hashable(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    small = _factorise_text_without_pandas(keys)
    if small is not None:
        return small
    import pandas as pd

    codes = uniques = None
    if keys.dtype == object and len(keys) >= _POINTER_FACTORISE_MIN_ROWS:
        keys = np.ascontiguousarray(keys)
        by_object = np.empty(len(keys), dtype=np.int64)
        first_rows = np.empty(len(keys) // _POINTER_FACTORISE_MAX_SHARE + 1, dtype=np.int64)
        distinct = _kernel.factorise_objects(keys, by_object, first_rows)
        if distinct >= 0:
            first_rows = first_rows[:distinct]
            value_codes, uniques = pd.factorize(keys[first_rows], use_na_sentinel=True)
            if len(value_codes) and value_codes.min() < 0:
                row = int(first_rows[np.argmax(value_codes < 0)])
                raise ValueError(f"session key is missing ({shown(keys[row])}) at row {row}")
            codes = value_codes.astype(np.int64)[by_object]
    if codes is None:
        codes, uniques = pd.factorize(keys, use_na_sentinel=True)
        if len(codes) and codes.min() < 0:
            row = int(np.argmax(codes < 0))
            raise ValueError(f"session key is missing ({shown(keys[row])}) at row {row}")
    return codes.astype(np.int64, copy=False), np.asarray(uniques, dtype=object)


def _factorise_text_without_pandas(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """pd.factorize of a small object array of str (an agent's or a reason's name in a
    small log) while pandas is not loaded: the same first-seen codes and uniques from a
    dict, so that a small report need not import pandas. None for anything else."""
    if keys.dtype != object or len(keys) >= _MISSING_BY_PANDAS_MIN or "pandas" in sys.modules:
        return None
    values = keys.tolist()
    if not all(type(v) is str for v in values):
        return None         # None, NaN, numbers: pandas' rules for missing and equal keys
    position: dict[str, int] = {}
    codes = np.fromiter((position.setdefault(v, len(position)) for v in values), dtype=np.int64,
                        count=len(values))
    return codes, np.array(list(position), dtype=object)


#: at least this many values are tested for missing by pandas (imported for them: its
#: vectorised test beats a Python loop once the import is paid for)
_MISSING_BY_PANDAS_MIN = 1 << 14
_NAN_TYPES = (float, complex, np.floating, np.complexfloating, np.datetime64, np.timedelta64)


def _is_missing(values: np.ndarray) -> np.ndarray:
    """pd.isnull of an object array: None, NaN, NaT (and pandas' NA when pandas is
    loaded: a value can only be a pandas object then). Small arrays without pandas
    loaded are tested in Python, so that integer-keyed imports need no pandas."""
    pd = sys.modules.get("pandas")
    if pd is None and len(values) >= _MISSING_BY_PANDAS_MIN:
        import pandas as pd
    if pd is not None:
        return pd.isnull(values)
    from decimal import Decimal

    return np.fromiter((v is None or (isinstance(v, _NAN_TYPES) and v != v)
                        or (isinstance(v, Decimal) and v.is_nan()) for v in values.tolist()),
                       dtype=bool, count=len(values))


def _raise_first_invalid(ticks, states, raw_state, keys) -> None:
    """Strict mode: name the first row that is invalid_time or invalid_state."""
    bad_time = ticks == MISSING
    bad_state = states > AgentSessionState.SESSION_ENDED     # INVALID_STATE, or any value above 4
    bad = bad_time | bad_state
    if not bad.any():
        return
    row = int(np.argmax(bad))
    what = "invalid_time: missing time" if bad_time[row] else f"invalid_state: state {shown(raw_state[row])} is not 0..4"
    raise tapi_error(
        LINEERR_OPERATIONFAILED,
        f"row {row}: {what} (session {shown(keys[row])}); pass strict=False to skip and count such rows",
    )


# -- helpers: threads, deadlines, statuses -------------------------------------------


def _looks_grouped(codes: np.ndarray, sample: int = 1 << 16) -> bool:
    """Do a session's rows come in runs (a log grouped by session)? Then the kernel
    keeps the current session in registers; interleaved logs (time order) update each
    row's session in place. Only speed depends on the answer, never results."""
    head = codes[:sample]
    return len(head) > 1 and np.count_nonzero(head[1:] == head[:-1]) * 2 > len(head) - 1


def _head_in_time_order(codes: np.ndarray, ticks: np.ndarray, states: np.ndarray,
                        as_of: int, sample: int = 1 << 12) -> bool:
    """False when the first rows already have a session going back in time,
    counting only the rows the scan would apply (valid time and state, not after
    as_of): the ordered scan would stop there, after setting up its threads, so the
    unordered path is taken at once. Only speed depends on the answer, never results.
    4096 rows (in the kernel: ~20 us) hold some 40 pairs of rows of one session in a
    shuffled log of 200k sessions, half of them out of order. `states`: uint8 codes or
    the int64 column (as the scan reads them)."""
    return bool(_kernel.head_in_time_order(codes, ticks, states.view(np.uint8), states.itemsize,
                                           as_of, sample))


# Per calling thread, the most threads known to start at once: the OpenMP runtime keeps
# one pool of threads for each thread that opens parallel regions, and reuses it for the
# next region, so each count is probed once per calling thread.
_thread_probes = threading.local()


def _threads_can_start(n: int) -> bool:
    """Can n threads run at once? Starts n - 1 Python threads that all wait for each
    other (so that all of them exist together, as an OpenMP team does), then ends them.
    Python's threads get the same default stack as the OpenMP runtime's."""
    if n <= getattr(_thread_probes, "known", 1):
        return True
    barrier = threading.Barrier(n)

    def meet() -> None:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()

    helpers = []
    try:
        for _ in range(n - 1):
            helper = threading.Thread(target=meet, name="agentstats-thread-probe", daemon=True)
            helper.start()
            helpers.append(helper)
    except RuntimeError:                 # "can't start new thread"
        barrier.abort()
        for helper in helpers:
            helper.join()
        return False
    meet()
    for helper in helpers:
        helper.join()
    _thread_probes.known = n
    return True


def _available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def _memory_errors_as_tapi() -> Iterator[None]:
    """Memory exhaustion is E_OUTOFMEMORY (still a MemoryError), never a crash."""
    try:
        yield
    except MemoryError as exc:
        if getattr(exc, "hresult", None) is not None:
            raise
        raise tapi_error(E_OUTOFMEMORY, "not enough memory to aggregate this input") from exc


def _deadline(timeout: float | None) -> float:
    return 0.0 if timeout is None else _time.monotonic() + timeout


def _check_deadline(deadline: float) -> None:
    if deadline and _time.monotonic() > deadline:
        raise tapi_error(TAPI_E_TIMEOUT, "aggregation did not finish within the timeout")


def _raise_for_status(status: int) -> None:
    if status == _kernel.STATUS_OK:
        return
    if status == _kernel.STATUS_TIMEOUT:
        raise tapi_error(TAPI_E_TIMEOUT, "aggregation did not finish within the timeout")
    if status == _kernel.STATUS_NO_MEMORY:
        raise tapi_error(E_OUTOFMEMORY, "the kernel could not allocate its working memory")
    raise RuntimeError(f"agentstats internal error: kernel status {status}")  # pragma: no cover
