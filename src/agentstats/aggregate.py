"""From event columns to per-session statistics: everything before and after the kernel.

This module validates and normalises the inputs (SPEC 1, 3.2), maps session keys to
dense slots, allocates, calls the kernel, and wraps the result in a SessionTable.
The typed loops are in _kernel.pyx.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import math
import os
import threading
import time as _time
from collections.abc import Hashable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import _kernel
from .hresult import (
    E_OUTOFMEMORY,
    AgentSessionState,
    LINEERR_INVALAGENTSESSIONSTATE,
    LINEERR_OPERATIONFAILED,
    TAPI_E_TIMEOUT,
    shown,
    tapi_error,
)
from .table import SessionTable

__all__ = ["Aggregator", "aggregate", "SESSION_STATE_DTYPE", "TICKS_PER_SECOND"]

MISSING = np.iinfo(np.int64).min          # NaT: a missing time or wait (SPEC 3)
_INT64_MIN, _INT64_MAX = int(np.iinfo(np.int64).min), int(np.iinfo(np.int64).max)
INVALID_STATE = 255                       # any state outside 0..4, as the kernel sees it
TICKS_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}
_COARSE_DATETIME_UNITS = {"Y", "M", "W", "D", "h", "m"}   # converted to seconds
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
    """Free the memory a multi-threaded aggregation keeps for the next call: the private
    session states of the ordered scan's threads after the first (64 bytes a session
    each, kept only when at most 64 MiB in all), which a later call reuses instead of faulting in fresh pages.
    Returns the bytes freed (0 when nothing was kept)."""
    return int(_kernel.release_scratch())


def aggregate(
    session: Any,
    time: Any,
    state: Any,
    *,
    wait: Any = None,
    unit: str | None = None,
    as_of: Any = None,
    strict: bool = True,
    n_threads: int | None = None,
    timeout: float | None = None,
    agent: Any = None,
    acd_group: Any = None,
    address: Any = None,
    off_table: str = "count",
) -> SessionTable:
    """Aggregate an agent-state event log into one row of ITAgentSession statistics per
    session, with every row accounted for in `table.diagnostics`.

    session: the session of each row: int64 or any hashable (strings are factorised).
    time: when the row's state was entered: datetime64 of any unit, or int/float ticks
        with `unit` ("s", "ms", "us", "ns"). NaT/NaN/None is a missing time (invalid_time).
    state: AGENT_SESSION_STATE 0..4; anything else is invalid_state.
    wait: the caller's wait before this agent answered, on rows entering BUSY_ON_CALL:
        timedelta64 (NaT missing), or numbers in `unit` (NaN missing); never negative.
    as_of: report time; default the latest valid time in the log.
    strict: raise on invalid_state / invalid_time rows; False counts them.
    n_threads: threads for the kernel (default: all cores for large inputs), capped at
        the cores this process may run on (a thread beyond them only costs memory).
    timeout: seconds before giving up with TAPI_E_TIMEOUT (default: no limit).
    agent, acd_group, address: optional per-row keys kept with each session.
    off_table: "count" (default) or "raise" for transitions TAPI's state table forbids.

    Columns may be NumPy arrays, lists, pandas Series (nullable and Arrow-backed
    included), pyarrow or polars arrays; the values are read exactly (docs/limits.md).
    Rows may come in any order. Returns a SessionTable.
    """
    aggregator = Aggregator(
        unit=unit, as_of=as_of, strict=strict, n_threads=n_threads, timeout=timeout,
        off_table=off_table,
    )
    aggregator.update(session, time, state, wait=wait, agent=agent, acd_group=acd_group,
                      address=address)
    return aggregator.result()


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
        unit: str | None = None,
        as_of: Any = None,
        strict: bool = True,
        n_threads: int | None = None,
        timeout: float | None = None,
        off_table: str = "count",
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
        session: Any,
        time: Any,
        state: Any,
        *,
        wait: Any = None,
        agent: Any = None,
        acd_group: Any = None,
        address: Any = None,
    ) -> Aggregator:
        """Add one chunk of rows. Structural errors raise before anything changes."""
        deadline = _deadline(self._timeout)
        with self._holding(deadline), _memory_errors_as_tapi():
            chunk = self._normalise(session, time, state, wait, agent, acd_group, address)
            _check_deadline(deadline)
            self._apply(chunk, deadline)
        return self

    def result(self, *, as_of: Any = None) -> SessionTable:
        """The per-session statistics of everything added so far.

        `as_of` closes open sessions at a later report time than the latest row (for
        example the end of a log file known only once it is read); it may not be
        earlier than a row already aggregated — give `as_of` to the Aggregator to
        leave later rows out (SPEC 2)."""
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
        status = _kernel.finalize(self._states.view(np.uint8), slots, as_of, out)
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
            shown = ", ".join(f"{name}={n}" for name, n in lengths.items())
            raise ValueError(f"columns have unequal lengths: {shown}")
        if self._has_wait is not None and self._has_wait != (wait is not None):
            raise ValueError("wait must be given for every chunk or for none")

        ticks, tick_unit = _time_to_ticks(time, self._unit, self._tick_unit)
        states, raw_state = _normalise_state(state)
        waits = None
        if wait is not None:
            waits = _wait_to_ticks(wait, self._unit, tick_unit)
        keys = _as_key_array(session)
        extra = {name: _as_object_array(columns[name], name)
                 for name in ("agent", "acd_group", "address") if name in columns}

        as_of = self._as_of
        if tick_unit != self._tick_unit:
            as_of = _as_of_to_ticks(self._as_of_input, tick_unit)
        return _Chunk(keys, ticks, states, waits, extra, tick_unit, as_of, raw_state)

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
        scanned = _head_in_time_order(codes, chunk.ticks, chunk.states, as_of)
        if scanned:
            status = _kernel.scan(
                codes, base, chunk.ticks, chunk.states, waits, states.view(np.uint8), counters,
                has_wait=has_wait, as_of=as_of, deadline=deadline, grouped=grouped,
            )
        else:
            status = _kernel.STATUS_NEEDS_ORDER     # nothing applied yet: states untouched
        if status == _kernel.STATUS_NEEDS_SERIAL:
            # A thread boundary the merge cannot express (rare): one thread, same answer.
            _restore(states, snapshot)
            counters = np.zeros((1, len(_kernel.COUNTER_NAMES)), dtype=np.int64)
            status = _kernel.scan(
                codes, base, chunk.ticks, chunk.states, waits, states.view(np.uint8), counters,
                has_wait=has_wait, as_of=as_of, deadline=deadline, grouped=grouped,
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
        """Keep the first agent / acd_group / address seen for each session (SPEC 1:
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
            unset = pd.isnull(column[slots])
            column[slots[unset]] = values[first_rows[unset]]


class _Chunk:
    __slots__ = ("keys", "ticks", "states", "waits", "extra", "tick_unit", "as_of", "raw_state")

    def __init__(self, keys, ticks, states, waits, extra, tick_unit, as_of, raw_state):
        self.raw_state = raw_state
        self.keys = keys
        self.ticks = ticks
        self.states = states
        self.waits = waits
        self.extra = extra
        self.tick_unit = tick_unit
        self.as_of = as_of


class _SessionSlots:
    """Session key -> slot in the state array, kept across chunks.

    Integer keys in a compact range map to `key - base` with no hashing (the usual case:
    session ids issued in order); any other keys go through a hash table (pandas).
    `assign()` prepares a chunk without changing the committed mapping; `commit()` keeps it.
    """

    def __init__(self) -> None:
        self.mode: str | None = None       # None (no rows yet), "dense" or "hash"
        self.base = 0
        self.index = pd.Index([], dtype=object)
        self._pending: tuple | None = None
        self._old_to_new: np.ndarray | None = None

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
    if len(keys) and all(type(k) is str for k in keys[: min(len(keys), 1000)]):
        try:
            return pc.sort_indices(pa.array(keys, type=pa.string())).to_numpy()
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass
    try:
        return np.argsort(keys, kind="stable")
    except TypeError:
        return None


def _new_states(n: int) -> np.ndarray:
    """n fresh session states, the array starting on a cache line (one state per line);
    a large array starts on a 2 MiB boundary, so that all of it can sit in the huge
    pages NumPy asks Linux for (the rows hit the states at random, and each miss of the
    TLB costs a page walk: one-thread scans measured 0.73 s before, 0.47 s after, in
    separate processes on a VM whose one-thread timings are bimodal)."""
    nbytes = n * SESSION_STATE_DTYPE.itemsize
    align = _HUGE_PAGE if nbytes >= 2 * _HUGE_PAGE else _CACHE_LINE
    raw = np.zeros(nbytes + align, dtype=np.uint8)
    skip = -raw.ctypes.data % align
    states = raw[skip: skip + n * SESSION_STATE_DTYPE.itemsize].view(SESSION_STATE_DTYPE)
    states["state"] = INVALID_STATE
    states["wait_max"] = -1
    return states


def _restore(states: np.ndarray, snapshot: np.ndarray | None) -> None:
    """Undo a failed or aborted scan (states was fresh when snapshot is None)."""
    if snapshot is None:
        states[:] = _new_states(len(states))
    else:
        states[:] = snapshot


def _length(values: Any, name: str) -> int:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise TypeError(f"{name} must be a one-dimensional array-like, not {type(values).__name__}")
    return len(values)


def _to_numpy(values: Any, name: str, *, fill: Any = None) -> np.ndarray:
    """Any supported column (NumPy, list, pandas, Arrow, polars) as a 1-D NumPy array.

    Integer columns never go through float64 (it cannot hold every int64): `fill`
    replaces the nulls of integer pandas/Arrow columns (which NumPy cannot hold), and
    without a `fill` such a column comes back as Python ints and None (object)."""
    if type(values).__module__.startswith("polars"):
        values = values.to_arrow()
    if isinstance(values, (pa.ChunkedArray, pa.Array)):
        array = _arrow_to_numpy(values, name, fill)
    elif isinstance(values, (pd.Series, pd.Index)) or isinstance(values, pd.api.extensions.ExtensionArray):
        array = _pandas_to_numpy(pd.Series(values, copy=False), name, fill)
    elif isinstance(values, (list, tuple)):
        array = _list_to_numpy(values)
    else:
        array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    return array


def _arrow_to_numpy(values: pa.Array | pa.ChunkedArray, name: str, fill: Any) -> np.ndarray:
    if pa.types.is_dictionary(values.type):
        values = values.cast(values.type.value_type)
    if pa.types.is_integer(values.type) and values.null_count:
        if fill is None or pa.types.is_unsigned_integer(values.type):
            # Exact Python ints and None; the object path reads them (or names the row).
            return np.fromiter(values.to_pylist(), dtype=object, count=len(values))
        return pc.fill_null(values.cast(pa.int64()), fill).to_numpy(zero_copy_only=False)
    if pa.types.is_boolean(values.type) and values.null_count:
        return np.fromiter(values.to_pylist(), dtype=object, count=len(values))
    if pa.types.is_timestamp(values.type) and values.type.tz is not None:
        values = values.cast(pa.timestamp(values.type.unit))
    return values.to_numpy(zero_copy_only=False)


def _pandas_to_numpy(series: pd.Series, name: str, fill: Any) -> np.ndarray:
    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        return series.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
    if isinstance(dtype, pd.CategoricalDtype):
        return series.to_numpy(dtype=object)
    if isinstance(dtype, pd.ArrowDtype):
        return _arrow_to_numpy(pa.array(series.array), name, fill)
    if not isinstance(dtype, pd.api.extensions.ExtensionDtype):
        return series.to_numpy()
    if pd.api.types.is_integer_dtype(dtype):         # Int64, UInt64, ...: values and mask
        if not series.hasnans:
            return series.to_numpy(dtype=dtype.numpy_dtype)
        if fill is None or dtype.numpy_dtype.kind == "u":
            return series.to_numpy(dtype=object, na_value=None)
        return series.to_numpy(dtype=np.int64, na_value=fill)
    if pd.api.types.is_float_dtype(dtype):          # Float64, Float32: NaN is missing
        return series.to_numpy(dtype=dtype.numpy_dtype, na_value=np.nan)
    if pd.api.types.is_bool_dtype(dtype) and not series.hasnans:
        return series.to_numpy(dtype=bool)
    return series.to_numpy(dtype=object, na_value=None)


def _list_to_numpy(values: list | tuple) -> np.ndarray:
    """A list as NumPy would read it, unless that changes a value: NumPy turns
    `[1, "1"]` into two equal strings and `[2**60 + 1, 0.5]` into floats, so mixed
    lists become object arrays (their values kept as given)."""
    try:
        array = np.asarray(values)
    except (ValueError, OverflowError):  # ragged (tuple keys of different lengths), huge ints
        array = None
    if array is None or array.ndim > 1:  # e.g. tuple keys
        return np.fromiter(values, dtype=object, count=len(values))
    if array.dtype.kind in "USf" and len(values):
        wanted = {"U": str, "S": bytes, "f": float}[array.dtype.kind]
        if not all(type(v) is wanted for v in values):
            return np.fromiter(values, dtype=object, count=len(values))
    return array


def _native(array: np.ndarray, dtype: Any) -> np.ndarray:
    """Contiguous, native-endian, of `dtype` (copies only when needed; never in place)."""
    return np.ascontiguousarray(array, dtype=np.dtype(dtype).newbyteorder("="))


def _fits_int64(keys: np.ndarray) -> bool:
    return keys.dtype != np.uint64 or not len(keys) or int(keys.max()) <= np.iinfo(np.int64).max


def _as_key_array(session: Any) -> np.ndarray:
    keys = _to_numpy(session, "session")
    if keys.dtype.kind in "iu":
        return keys if keys.dtype.isnative else keys.astype(keys.dtype.newbyteorder("="))
    if keys.dtype.kind == "f":
        bad = np.isnan(keys)
        if bad.any():
            raise ValueError(f"session key is missing (NaN) at row {int(np.argmax(bad))}")
    return keys


def _raise_unhashable(keys: np.ndarray) -> None:
    """Name the first session key that cannot be hashed (so cannot name a session)."""
    for row, key in enumerate(keys):
        try:
            hash(key)
        except TypeError:
            raise TypeError(f"session key at row {row} is not hashable: {type(key).__name__} "
                            f"{shown(key)}; keys must be numbers, strings, tuples or other "
                            "hashable values") from None


def _as_object_array(values: Any, name: str) -> np.ndarray:
    return _to_numpy(values, name).astype(object, copy=False)


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


# -- helpers: time, state, wait (SPEC 1, 1.2) --------------------------------------


def _time_to_ticks(time: Any, unit: str | None, fixed_unit: str | None) -> tuple[np.ndarray, str]:
    """int64 ticks (MISSING for NaT/NaN) and their unit. A later chunk is converted to
    the first chunk's unit when that is exact (coarser input), else it is an error."""
    values = _to_numpy(time, "time", fill=MISSING)
    numbers = None
    if values.dtype.kind in "OU":                  # Python objects, or ISO strings
        numbers = _object_numbers_to_ticks(values, "time")
        if numbers is None:
            values = _object_datetimes(values, "time")
    if numbers is not None or values.dtype.kind in "iuf":
        if unit is None:
            raise ValueError("time is numeric, so unit= is needed: one of 's', 'ms', 'us', 'ns'")
        source = unit
        ticks = numbers if numbers is not None else _numbers_to_ticks(values, "time", allow_missing=True)
    elif values.dtype.kind == "M":
        ticks, source = _datetime_ticks(values, "time")
    elif values.dtype.kind == "m":
        raise TypeError("time must be a point in time (datetime64) or numbers, not timedelta64")
    else:
        raise TypeError(f"time must be datetime64 or numbers with unit=, not {values.dtype}")
    if fixed_unit is None or fixed_unit == source:
        return ticks, source
    factor = TICKS_PER_SECOND[fixed_unit] // TICKS_PER_SECOND[source]
    if TICKS_PER_SECOND[fixed_unit] % TICKS_PER_SECOND[source]:
        raise ValueError(f"this chunk's time is in {source!r}, finer than the first chunk's {fixed_unit!r}")
    return _scale_exact(ticks, factor, "time"), fixed_unit


def _object_numbers_to_ticks(values: np.ndarray, name: str) -> np.ndarray | None:
    """An object column of numbers (Python or NumPy ints and floats, None/NaN missing)
    as int64 ticks, ints exactly and floats rounded once (SPEC 1.2); None when it does
    not hold numbers (datetimes, strings). Mixed numbers and other values raise, naming
    the first row that differs from the first value's kind."""
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind == "empty":                              # only None / NaN / NaT
        return np.full(len(values), MISSING, dtype=np.int64)
    if kind == "boolean":
        row = next(row for row, value in enumerate(values) if isinstance(value, (bool, np.bool_)))
        raise TypeError(f"{name} at row {row} is {shown(values[row])}: {name} must be numeric, not bool")
    if kind == "floating":
        return _numbers_to_ticks(values.astype(np.float64), name, allow_missing=True)
    if kind == "integer":
        try:
            return pd.array(values, dtype="Int64").to_numpy(dtype=np.int64, na_value=MISSING)
        except (OverflowError, TypeError, ValueError):
            pass                                     # some int beyond int64: find it below
    elif kind != "mixed-integer-float":
        if kind in ("mixed", "mixed-integer"):
            _raise_mixed(values, name)
        return None
    ticks = np.empty(len(values), dtype=np.int64)
    for row, value in enumerate(values):
        if value is None or (isinstance(value, (float, np.floating)) and math.isnan(value)):
            ticks[row] = MISSING
            continue
        if isinstance(value, (float, np.floating)):
            if not math.isfinite(value):
                raise ValueError(f"{name} at row {row} is {shown(value)}, not a representable tick count")
            value = round(float(value))                  # nearest tick, halves to even (np.rint)
        value = int(value)
        if not _INT64_MIN <= value <= _INT64_MAX:          # INT64_MIN is NaT: missing
            raise ValueError(f"{name} at row {row} is {value}, beyond int64 ticks")
        ticks[row] = value
    return ticks


def _raise_mixed(values: np.ndarray, name: str) -> None:
    """An object column mixing numbers or bools with other values (e.g. strings): name
    the first row whose kind differs from the first value's. Returns when it holds no
    numbers and no bools at all (datetimes and strings: the datetime reader decides)."""
    def kind(value: Any) -> str:
        if isinstance(value, (bool, np.bool_)):
            return "bool"
        return "number" if isinstance(value, (int, float, np.integer, np.floating)) else "other"

    present = [(row, value) for row, value in enumerate(values) if value is not None and not pd.isna(value)]
    kinds = [kind(value) for _, value in present]
    if "number" not in kinds and "bool" not in kinds:
        return
    first_row, first = present[0]
    for (row, value), value_kind in zip(present, kinds):
        if value_kind != kinds[0]:
            raise TypeError(
                f"{name} at row {row} is {shown(value)} ({type(value).__name__}) but row "
                f"{first_row} is {shown(first)} ({type(first).__name__}): a {name} column "
                "holds numbers or datetimes, not both (and never bools)")
    raise TypeError(f"{name} at row {first_row} is {shown(first)}: {name} must be numbers or datetimes")  # pragma: no cover


def _object_datetimes(values: np.ndarray, name: str) -> np.ndarray:
    """An object column of datetimes or ISO strings as datetime64 (UTC, naive)."""
    try:
        return pd.to_datetime(pd.Series(values), utc=True).dt.tz_localize(None).to_numpy()
    except (TypeError, ValueError, OverflowError) as exc:
        for row, value in enumerate(values):
            if value is None:
                continue
            try:
                pd.Timestamp(value)
            except (TypeError, ValueError, OverflowError):
                raise TypeError(f"{name} at row {row} is {shown(value)}, not a datetime; "
                                "give datetime64 or numbers with unit=") from None
        raise TypeError(f"{name} must be datetime64 or numbers with unit=; "
                        f"could not read it as datetimes: {exc}") from exc


def _datetime_ticks(values: np.ndarray, name: str) -> tuple[np.ndarray, str]:
    """datetime64 / timedelta64 values as native int64 ticks (NaT stays INT64_MIN) and
    their unit; units coarser than seconds are read in seconds, and a value beyond
    int64 seconds raises, naming its row (NumPy's cast would wrap it silently)."""
    source = np.datetime_data(values.dtype)[0]
    if source in _COARSE_DATETIME_UNITS:
        in_seconds = values.astype(f"{values.dtype.str[1:3]}[s]")
        present = ~np.isnat(values)
        wrapped = present & (np.isnat(in_seconds) | (in_seconds.astype(values.dtype) != values))
        if wrapped.any():
            row = int(np.argmax(wrapped))
            raise ValueError(f"{name} at row {row} is {shown(values[row])}, beyond the range of "
                             "int64 seconds (about 292 billion years either side of 1970)")
        values, source = in_seconds, "s"
    if source not in TICKS_PER_SECOND:
        raise ValueError(f"{name} resolution {source!r} is not supported (s, ms, us or ns)")
    return _native(values, values.dtype).view(np.int64), source


def _numbers_to_ticks(values: np.ndarray, name: str, *, allow_missing: bool) -> np.ndarray:
    """Integer or float numbers as int64 ticks; floats rounded once to the nearest tick
    (SPEC 1.2), NaN -> MISSING. Infinite or out-of-range values raise, naming the row."""
    if values.dtype.kind in "iu":
        if values.dtype == np.uint64 and len(values) and values.max() > np.iinfo(np.int64).max:
            row = int(np.argmax(values > np.iinfo(np.int64).max))
            raise ValueError(f"{name} at row {row} is {shown(values[row])}, beyond int64 ticks")
        return _native(values, np.int64)
    if values.dtype.kind == "b":
        raise TypeError(f"{name} must be numeric, not bool")
    if values.dtype.itemsize < 8:
        _refuse_coarse_floats(values, name)
    floats = _native(values, np.float64)
    missing = np.isnan(floats)
    rounded = np.rint(floats)
    limit = 2.0**63
    bad = ~missing & ~((rounded >= -limit) & (rounded < limit))
    if bad.any():
        row = int(np.argmax(bad))
        raise ValueError(f"{name} at row {row} is {shown(floats[row])}, not a representable tick count")
    ticks = np.where(missing, 0.0, rounded).astype(np.int64)
    if missing.any():
        if not allow_missing:
            raise ValueError(f"{name} has a missing value at row {int(np.argmax(missing))}")
        ticks[missing] = MISSING
    return ticks


def _refuse_coarse_floats(values: np.ndarray, name: str) -> None:
    """float32 (or float16) ticks are exact only while every whole tick is a float of
    that type: below 2**24 for float32. Beyond, a 60 s session at epoch seconds would
    be stored in steps of 128 s, so such values raise, naming the row (SPEC 1.2)."""
    limit = 2.0 ** (np.finfo(values.dtype).nmant + 1)
    coarse = np.abs(values) >= limit                    # NaN compares False
    if coarse.any():
        row = int(np.argmax(coarse))
        value = float(values[row])
        step = float(np.spacing(np.abs(values[row])))
        raise ValueError(
            f"{name} at row {row} is {value:.17g} in {values.dtype}, which holds only every "
            f"{step:g}th tick at that size (whole ticks stop at {limit:.0f}); "
            "give float64 or integer ticks, or datetime64")


def _scale_exact(ticks: np.ndarray, factor: int, name: str) -> np.ndarray:
    """ticks * factor, keeping MISSING, raising instead of wrapping (SPEC 2.13)."""
    if factor == 1:
        return ticks
    present = ticks != MISSING
    limit = np.iinfo(np.int64).max // factor
    too_big = present & (np.abs(ticks) > limit)
    if too_big.any():
        row = int(np.argmax(too_big))
        raise ValueError(f"{name} at row {row} overflows int64 when converted to finer ticks")
    return np.where(present, ticks * factor, MISSING)


def _normalise_state(state: Any) -> tuple[np.ndarray, np.ndarray]:
    """uint8 states with INVALID_STATE for anything outside 0..4, and the raw values
    (for error messages). Non-numeric states are a structural error (SPEC 3.2)."""
    raw = _to_numpy(state, "state", fill=-1)
    if raw.dtype.kind == "O":
        if pd.api.types.infer_dtype(raw, skipna=True) == "boolean":
            raise TypeError("state must be numeric 0..4, not bool")
        try:
            raw = raw.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"state must be numeric 0..4; got {raw.dtype} values") from exc
    if raw.dtype.kind == "u" and raw.dtype.itemsize == 1:
        return _native(raw, np.uint8), raw
    if raw.dtype.kind in "iu":
        valid = (raw >= 0) & (raw <= 4)
    elif raw.dtype.kind == "f":
        valid = (raw >= 0) & (raw <= 4) & (raw == np.floor(raw))
    else:
        raise TypeError(f"state must be numeric 0..4, not {raw.dtype}")
    states = np.where(valid, raw, INVALID_STATE).astype(np.uint8)
    return states, raw


def _wait_to_ticks(wait: Any, unit: str | None, tick_unit: str) -> np.ndarray:
    """Wait in the time's ticks, MISSING when absent. timedelta64 converts exactly (or to
    the nearest tick, halves up, when finer than the time's tick); numbers are in `unit`
    when it is given, else in the time's tick. Negative waits raise (SPEC 3.2)."""
    values = _to_numpy(wait, "wait", fill=MISSING)
    numbers = None
    if values.dtype.kind == "O":
        numbers = _object_numbers_to_ticks(values, "wait")
        if numbers is None:
            try:
                values = pd.to_timedelta(pd.Series(values)).to_numpy()
            except (TypeError, ValueError, OverflowError) as exc:
                raise TypeError(f"wait must be timedelta64 or numbers: {exc}") from exc
    if numbers is not None or values.dtype.kind in "iuf":
        source = unit or tick_unit
        ticks = numbers if numbers is not None else _numbers_to_ticks(values, "wait", allow_missing=True)
    elif values.dtype.kind == "m":
        ticks, source = _datetime_ticks(values, "wait")
    else:
        raise TypeError(f"wait must be timedelta64 or numbers, not {values.dtype}")
    present = ticks != MISSING
    negative = present & (ticks < 0)
    if negative.any():
        row = int(np.argmax(negative))
        raise ValueError(f"wait at row {row} is negative ({shown(values[row])})")
    target, have = TICKS_PER_SECOND[tick_unit], TICKS_PER_SECOND[source]
    if target >= have:
        return _scale_exact(ticks, target // have, "wait")
    divisor = have // target
    return np.where(present, (ticks + divisor // 2) // divisor, MISSING)


_SECONDS_PER_UNIT = {"W": 7 * 86400, "D": 86400, "h": 3600, "m": 60, "s": 1}
_UNIT_PER_SECOND = {"ms": 10**3, "us": 10**6, "ns": 10**9, "ps": 10**12, "fs": 10**15, "as": 10**18}


def _as_of_to_ticks(as_of: Any, tick_unit: str) -> int | None:
    """The report time in ticks (floored to the tick), or None for the default.

    Exact integer arithmetic in Python (no detour through nanoseconds, so a report
    time after 2262 works with ticks coarser than ns). A missing time (NaT, NaN) or one
    beyond int64 ticks raises ValueError: it has no place on the time line."""
    if as_of is None:
        return None
    per_second = TICKS_PER_SECOND[tick_unit]
    if isinstance(as_of, (bool, np.bool_)):
        raise TypeError("as_of must be a datetime, datetime64, ISO string or ticks, not bool")
    if isinstance(as_of, (int, np.integer)):
        ticks = int(as_of)
    elif isinstance(as_of, (float, np.floating)):
        if not math.isfinite(as_of):
            raise ValueError(f"as_of is {shown(as_of)}: a missing or infinite report time; "
                             "pass None for the latest time in the log")
        ticks = math.floor(as_of)
    elif isinstance(as_of, (str, _dt.datetime, _dt.date, np.datetime64)) or as_of is pd.NaT:
        ticks = _datetime_to_ticks(as_of, per_second)
    else:
        raise TypeError(f"as_of must be a datetime, datetime64, ISO string or ticks, not {type(as_of).__name__}")
    if not _INT64_MIN < ticks <= _INT64_MAX:
        raise ValueError(f"as_of {shown(as_of)} is beyond the range of int64 ticks of 1/{per_second} s "
                         f"({_tick_range(tick_unit)})")
    return ticks


def _datetime_to_ticks(as_of: Any, per_second: int) -> int:
    """A datetime-like report time as exact (Python int) ticks since 1970, floored."""
    if isinstance(as_of, str):
        try:
            as_of = pd.Timestamp(as_of)
        except (ValueError, OverflowError):
            try:
                as_of = np.datetime64(as_of)
            except ValueError:
                raise ValueError(f"as_of {as_of!r} is not an ISO date and time") from None
    if as_of is pd.NaT or (isinstance(as_of, np.datetime64) and np.isnat(as_of)):
        raise ValueError("as_of is NaT (a missing time); pass None for the latest time in the log")
    if isinstance(as_of, pd.Timestamp):
        if as_of.tzinfo is not None:
            as_of = as_of.tz_convert("UTC").tz_localize(None)
        as_of = as_of.to_datetime64()                       # its own unit: no ns overflow
    if isinstance(as_of, np.datetime64):
        unit, count = np.datetime_data(as_of.dtype)
        value = int(as_of.astype(np.int64)) * count
        if unit in ("Y", "M"):                              # calendar units: via days
            days = as_of.astype("M8[D]")
            if days.astype(as_of.dtype) != as_of:
                raise ValueError(f"as_of {shown(as_of)} is beyond the range of int64 days")
            unit, value = "D", int(days.astype(np.int64))
        if unit in _SECONDS_PER_UNIT:
            return value * _SECONDS_PER_UNIT[unit] * per_second
        return (value * per_second) // _UNIT_PER_SECOND[unit]
    if not isinstance(as_of, _dt.datetime):                # a date: its midnight, UTC
        as_of = _dt.datetime(as_of.year, as_of.month, as_of.day)
    if as_of.tzinfo is not None:
        as_of = as_of.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    micros = (as_of - _dt.datetime(1970, 1, 1)) // _dt.timedelta(microseconds=1)
    return (micros * per_second) // 10**6


def _tick_range(tick_unit: str) -> str:
    low = np.datetime64(_INT64_MIN + 1, tick_unit)
    high = np.datetime64(_INT64_MAX, tick_unit)
    return f"{np.datetime_as_string(low, unit='s')} to {np.datetime_as_string(high, unit='s')}"


def _raise_first_invalid(ticks, states, raw_state, keys) -> None:
    """Strict mode (SPEC 3.1): name the first row that is invalid_time or invalid_state."""
    bad_time = ticks == MISSING
    bad_state = states == INVALID_STATE
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
    """False when the first rows already have a session going back in time (SPEC 1.1),
    counting only the rows the scan would apply (valid time and state, not after
    as_of): the ordered scan would stop there, after setting up its threads, so the
    unordered path is taken at once. Only speed depends on the answer, never results.
    4096 rows cost 0.4 ms (64k cost 10 ms, paid by every time-ordered call too); in a
    shuffled log of 200k sessions they hold some 40 pairs of rows of one session, half
    of them out of order."""
    t, c = ticks[:sample], codes[:sample]
    applied = (t != MISSING) & (states[:sample] <= AgentSessionState.SESSION_ENDED) & (t <= as_of)
    t, c = t[applied], c[applied]
    order = np.argsort(c, kind="stable")
    t, c = t[order], c[order]
    return not np.any((t[1:] < t[:-1]) & (c[1:] == c[:-1]))


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
    """SPEC 4.2: memory exhaustion is E_OUTOFMEMORY (still a MemoryError), never a crash."""
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
