"""Partial per-session states: aggregate pieces of a log apart, merge them in order.

A piece of the log (for example one day's Parquet file) is aggregated on its own into
a `PartialSessions`: the kernel's per-session state records (SESSION_STATE_DTYPE) with
their keys, the row counts, and what the merge needs to know about each session's
first row in the piece (its state and wait). `merge_partials()` folds the pieces,
in log order, into the SessionTable that aggregating the whole log at once gives —
the same fold the kernel does for its thread partials (`_merge_partial` in
_kernel.pyx), here in NumPy over whole arrays of sessions.

The merge is exact when the pieces are in time order: every row of a piece is at or
after every row of the pieces before it (`check_time_order`), or when no session has
rows in two pieces. Two cases the fold of states cannot express, because the answer
depends on rows a state record no longer has: a session that ended in an earlier
piece and has rows in a later one (each of them is after_end, but the piece
counted them by its own buckets), and a piece whose first row of a session repeats
BUSY_ON_CALL with a wait (that wait must not count, but it is inside the
piece's maximum). Those sessions are set aside; the caller gives their rows
(`rows_of`), and they are aggregated again in one Aggregator, in piece order, with
the counts of their rows in the pieces taken out and their exact counts put in.

A PartialSessions holds NumPy arrays and plain ints only: it pickles by value (Dask
sends it between processes with pickle protocol 5, the arrays out of band).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from .aggregate import _BUCKETS, Aggregator, Unit, SESSION_STATE_DTYPE, _new_states, _SessionSlots
from .columns import INVALID_STATE, MISSING
from .hresult import LINEERR_INVALAGENTSESSIONSTATE, AgentSessionState, shown, tapi_error
from .table import SessionTable

__all__ = ["MergeUnsupported", "PartialSessions", "check_time_order", "merge_partials",
           "partial_aggregate"]

_COUNTS = (*_BUCKETS, "off_table")
_UINT64_MAX = np.iinfo(np.uint64).max
_UINT32_MAX = np.iinfo(np.uint32).max
_NOT_READY, _READY, _ON_CALL, _WRAPUP, _ENDED = range(5)

# SPEC 3.3 / 4.3: transitions TAPI's state table forbids; the same four pairs as
# FORBIDDEN_TRANSITIONS in _kernel.pyx.
_FORBIDDEN = np.zeros((256, 256), dtype=bool)
for _old, _new in ((_NOT_READY, _ON_CALL), (_NOT_READY, _WRAPUP), (_READY, _WRAPUP),
                   (_WRAPUP, _ON_CALL)):
    _FORBIDDEN[_old, _new] = True


class MergeUnsupported(Exception):
    """The pieces are not in time order for some session (a row of a piece earlier than
    a row of an earlier piece): shuffle by session, or aggregate them in one Aggregator."""


@dataclass
class PartialSessions:
    """One piece of a log, aggregated alone (see the module docstring).

    keys: session keys; states: their SESSION_STATE_DTYPE records; first_state and
    first_wait: state and wait (MISSING when none) of each session's first row applied
    in this piece; counts: the row buckets and off_table; min_time / max_time: range of
    the piece's rows with a valid time (MISSING when it has none)."""

    keys: np.ndarray
    states: np.ndarray
    first_state: np.ndarray
    first_wait: np.ndarray
    counts: dict[str, int]
    rows: int
    min_time: int
    max_time: int
    applied_max_time: int
    tick_unit: str | None
    has_wait: bool
    as_of: int | None
    meta: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def empty(self) -> bool:
        return self.rows == 0


def partial_aggregate(columns: Mapping[str, Any], **options: Any) -> PartialSessions:
    """Aggregate one piece of a log alone. `columns`: {role: column} for session, time,
    state and optionally wait, agent, acd_group, address (frames.call_columns gives
    them); `options`: those of Aggregator (unit, as_of, strict, off_table)."""
    aggregator = Aggregator(n_threads=1, **options)
    with aggregator._lock:
        chunk = aggregator._normalise(
            columns["session"], columns["time"], columns["state"], columns.get("wait"),
            columns.get("agent"), columns.get("acd_group"), columns.get("address"))
        aggregator._apply(chunk, 0.0)
    slots = np.flatnonzero(aggregator._states["state"] != INVALID_STATE)
    keys = aggregator._keys.key_of_slots(slots)
    states = aggregator._states[slots].copy()
    first_state, first_wait = _first_rows(chunk, aggregator._keys, aggregator._states, slots)
    valid_time = chunk.ticks[chunk.ticks != MISSING]
    return PartialSessions(
        keys=keys, states=states, first_state=first_state, first_wait=first_wait,
        counts={name: int(aggregator._counts[name]) for name in _COUNTS},
        rows=int(aggregator._rows),
        min_time=int(valid_time.min()) if len(valid_time) else MISSING,
        max_time=int(valid_time.max()) if len(valid_time) else MISSING,
        applied_max_time=int(aggregator._max_time),
        tick_unit=aggregator._tick_unit if aggregator._rows else None,
        has_wait=chunk.waits is not None,
        as_of=chunk.as_of,
        meta={name: values[slots] for name, values in aggregator._meta.items()},
    )


def _first_rows(chunk: Any, slot_map: Any, states: np.ndarray,
                slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """State and wait of each seen session's first applied row, aligned with `slots`.

    The kernel kept each session's first time; its first row (by time, ties
    in input order) is the first row in input order that is applied and has that time.
    Only those few candidate rows are looked at after one vectorised comparison."""
    as_of = chunk.as_of if chunk.as_of is not None else np.iinfo(np.int64).max
    if slot_map.mode == "hash":
        codes = slot_map.index.get_indexer(_key_index(np.asarray(chunk.keys)))
    else:
        codes = chunk.keys.astype(np.int64, copy=False) - slot_map.base
    first_time = np.ascontiguousarray(states["first_time"])
    valid = codes >= 0
    candidate = valid & (chunk.ticks == first_time[np.where(valid, codes, 0)])
    rows = np.flatnonzero(candidate)
    rows = rows[(chunk.states[rows] <= _ENDED) & (chunk.ticks[rows] <= as_of)]
    chosen_slots, first = np.unique(codes[rows], return_index=True)   # first in input order
    first = rows[first]
    by_slot_state = np.full(len(states), INVALID_STATE, dtype=np.uint8)
    by_slot_wait = np.full(len(states), MISSING, dtype=np.int64)
    by_slot_state[chosen_slots] = chunk.states[first]
    if chunk.waits is not None:
        by_slot_wait[chosen_slots] = chunk.waits[first]
    return by_slot_state[slots], by_slot_wait[slots]


def _key_index(keys: np.ndarray) -> pd.Index:
    """Keys as a pandas Index: int64 when they are integers (hashing native ints is
    several times faster than Python objects), else objects as given."""
    if keys.dtype.kind in "iu" and (keys.dtype != np.uint64 or not len(keys)
                                    or int(keys.max()) <= np.iinfo(np.int64).max):
        return pd.Index(keys.astype(np.int64, copy=False))
    return pd.Index(keys, dtype=object)


def check_time_order(parts: Sequence[PartialSessions]) -> bool:
    """Are the pieces in time order: each piece's rows at or after all earlier rows?"""
    latest = MISSING
    for part in parts:
        if part.min_time == MISSING:
            continue
        if part.min_time < latest:
            return False
        latest = part.max_time
    return True


def merge_partials(
    parts: Sequence[PartialSessions], *, unit: str | None = None, as_of: Any = None,
    off_table: str = "count", rows_of: Callable[[np.ndarray], Sequence[Mapping[str, Any] | None]] | None = None,
) -> SessionTable:
    """The SessionTable of the whole log from its pieces in log order (time order, or
    pieces that share no session). unit, as_of, off_table: as given to
    partial_aggregate for every piece.

    rows_of(keys): the rows of those sessions in each piece, as {role: column} (None for
    a piece without any), in the order of `parts`; called only when some sessions
    cannot be folded (module docstring). Without it such sessions raise
    MergeUnsupported."""
    merged = _Merged()
    merged.as_of_input = as_of
    merged.unit = unit
    for part in parts:
        if not part.empty:
            merged.add(part, raise_off_table=off_table == "raise")
        elif merged.as_of is None:
            # An empty piece still knows the as_of it was given in ticks, as one
            # aggregation of an empty log reports it.
            merged.as_of = part.as_of
    if merged.set_aside.any():
        if rows_of is None:
            raise MergeUnsupported("some sessions cannot be merged from their states alone")
        merged.redo_set_aside(parts, rows_of, off_table=off_table)
    return merged.result(as_of=as_of)


class _Merged:
    """The running fold of `merge_partials`."""

    def __init__(self) -> None:
        self.index = pd.Index([], dtype=object)
        self.states = np.empty(0, dtype=SESSION_STATE_DTYPE)
        self.counts = dict.fromkeys(_COUNTS, 0)
        self.rows = 0
        self.max_time = MISSING
        self.tick_unit: str | None = None
        self.has_wait: bool | None = None
        self.as_of: int | None = None
        self.meta: dict[str, np.ndarray] = {}
        self.as_of_input: Any = None
        self.unit: str | None = None
        self.object_keys = False        # some piece had keys that are not integers
        # Per session: set aside (folded again from its rows), and the count changes
        # the fold made for it (taken back if it is set aside later).
        self.set_aside = np.zeros(0, dtype=bool)
        self.moved_to_duplicate = np.zeros(0, dtype=np.int64)
        self.added_off_table = np.zeros(0, dtype=np.int64)

    def add(self, part: PartialSessions, *, raise_off_table: bool) -> None:
        if self.tick_unit is not None and part.tick_unit != self.tick_unit:
            raise ValueError(f"the pieces have times of different units ({self.tick_unit} "
                             f"and {part.tick_unit}); give every piece the same time type")
        if self.has_wait is not None and part.has_wait != self.has_wait:
            raise ValueError("wait must be given for every piece or for none")
        self.object_keys |= part.keys.dtype.kind not in "iu"
        incoming_keys = _key_index(part.keys)
        position = self.index.get_indexer(incoming_keys) if len(self.index) \
            else np.full(len(part), -1, dtype=np.intp)
        seen = position >= 0
        counts = dict(part.counts)
        if seen.any():
            self._fold(position, part, seen, counts, raise_off_table)
        new = ~seen
        start = len(self.index)
        self.index = incoming_keys[new] if not len(self.index) else self.index.append(incoming_keys[new])
        self.states = np.concatenate([self.states, part.states[new]])
        grow = int(new.sum())
        self.set_aside = np.concatenate([self.set_aside, np.zeros(grow, dtype=bool)])
        self.moved_to_duplicate = np.concatenate([self.moved_to_duplicate, np.zeros(grow, np.int64)])
        self.added_off_table = np.concatenate([self.added_off_table, np.zeros(grow, np.int64)])
        for name in set(self.meta) | set(part.meta):
            old = self.meta.get(name, np.full(start, None, dtype=object))
            incoming = part.meta.get(name, np.full(len(part), None, dtype=object))
            # SPEC 1: a session keeps the value of its first row (as one aggregation of
            # the whole log does), so a session seen before keeps the value it has.
            self.meta[name] = np.concatenate([old, incoming[new]])
        for name in _COUNTS:
            self.counts[name] += counts[name]
        self.rows += part.rows
        self.max_time = max(self.max_time, part.applied_max_time)
        self.tick_unit = part.tick_unit
        self.has_wait = part.has_wait
        self.as_of = part.as_of

    def _fold(self, position: np.ndarray, part: PartialSessions, seen: np.ndarray,
              counts: dict[str, int], raise_off_table: bool) -> None:
        """_merge_partial of _kernel.pyx over arrays: each seen session's first row in
        the piece was taken as a first event; only its bucket, the interval up to it and
        its transition depend on the earlier state."""
        at = position[seen]
        p = self.states[at]
        q = part.states[seen]
        first_state = part.first_state[seen]
        first_wait = part.first_wait[seen]
        if np.any(q["first_time"] < p["last_time"]):
            raise MergeUnsupported("a piece has a row earlier than a row of an earlier piece "
                                   "of the same session")
        duplicate = first_state == p["state"]
        repeated_call = duplicate & (first_state == _ON_CALL)
        aside = (self.set_aside[at] | (p["state"] == _ENDED)
                 | (repeated_call & (first_wait != MISSING)))
        self.set_aside[at] = aside
        keep = ~aside
        gap = (q["first_time"] - p["last_time"]).astype(np.uint64)
        p["talk"] += np.where(keep & (p["state"] == _ON_CALL), gap, np.uint64(0))
        p["wrap"] += np.where(keep & (p["state"] == _WRAPUP), gap, np.uint64(0))
        duplicate &= keep
        repeated_call &= keep
        counts["used"] -= int(duplicate.sum())
        counts["duplicate"] += int(duplicate.sum())
        self.moved_to_duplicate[at] += duplicate
        p["calls"] -= repeated_call
        off = keep & ~duplicate & _FORBIDDEN[p["state"], first_state]
        if off.any() and raise_off_table:
            key = part.keys[seen][np.argmax(off)]
            raise tapi_error(
                LINEERR_INVALAGENTSESSIONSTATE,
                f"transition that the TAPI state table forbids (session {shown(key)}, state "
                f"{AgentSessionState(int(p['state'][np.argmax(off)])).name} to "
                f"{AgentSessionState(int(first_state[np.argmax(off)])).name})")
        counts["off_table"] += int(off.sum())
        self.added_off_table[at] += off
        p["talk"] += q["talk"]
        p["wrap"] += q["wrap"]
        p["calls"] += q["calls"]
        total = p["wait_sum"] + q["wait_sum"]          # saturating, as the kernel
        p["wait_sum"] = np.where(total >= p["wait_sum"], total, _UINT64_MAX)
        both = p["wait_n"].astype(np.uint64) + q["wait_n"]
        p["wait_n"] = np.where(both < _UINT32_MAX, both, _UINT32_MAX).astype(np.uint32)
        p["wait_max"] = np.maximum(p["wait_max"], q["wait_max"])
        p["last_time"] = q["last_time"]
        p["state"] = q["state"]
        self.states[at[keep]] = p[keep]

    def redo_set_aside(self, parts: Sequence[PartialSessions],
                       rows_of: Callable[[np.ndarray], Sequence[Mapping[str, Any] | None]],
                       *, off_table: str) -> None:
        """Aggregate the set-aside sessions again from their rows, in piece order, and
        put their exact states and counts in place of the folded ones."""
        aside = np.flatnonzero(self.set_aside)
        keys = self.index.to_numpy()[aside]
        self.counts["used"] += int(self.moved_to_duplicate[aside].sum())
        self.counts["duplicate"] -= int(self.moved_to_duplicate[aside].sum())
        self.counts["off_table"] -= int(self.added_off_table[aside].sum())
        pieces = [rows for rows in rows_of(keys) if rows is not None]
        options = dict(unit=self.unit, as_of=self.as_of_input, strict=False, off_table=off_table)
        exact = Aggregator(**options)
        for rows in pieces:
            alone = partial_aggregate(rows, **options)
            for name in _COUNTS:
                self.counts[name] -= alone.counts[name]
            self.rows -= alone.rows
            exact.update(data=rows, **{role: role for role in rows})
        for name in _COUNTS:
            self.counts[name] += exact._counts[name]
        self.rows += exact._rows
        slots = np.flatnonzero(exact._states["state"] != INVALID_STATE)
        redone = exact._keys.key_of_slots(slots)
        at = self.index.get_indexer(_key_index(redone))
        self.states[at] = exact._states[slots]
        # Their agent / acd_group / address stay those of the fold (the first piece's).

    def result(self, *, as_of: Any = None) -> SessionTable:
        # The state is set below; the unit only has to be valid (the ticks' own unit).
        aggregator = Aggregator(unit=cast(Unit, self.tick_unit), as_of=as_of)
        slots = _SessionSlots()
        slots.mode = "hash"
        slots.index = self.index
        states = _new_states(len(self.states))
        states[:] = self.states
        aggregator._keys = slots
        aggregator._states = states
        aggregator._counts = dict(self.counts)
        aggregator._rows = self.rows
        aggregator._max_time = self.max_time
        aggregator._tick_unit = self.tick_unit
        aggregator._has_wait = bool(self.has_wait)
        aggregator._as_of = self.as_of
        aggregator._meta = dict(self.meta)
        table = aggregator.result()
        keys = table.keys
        if not len(keys) and not self.object_keys:
            table.keys = np.empty(0, dtype=np.int64)
        if keys.dtype == object and len(keys) and pd.api.types.infer_dtype(keys) == "integer":
            try:
                table.keys = keys.astype(np.int64)   # as one process keeps integer keys
            except OverflowError:
                pass
        return table
