"""Roll-ups beyond one session: ITAgent-style totals per agent or per ACD group.

Sessions' exact int64 tick totals (``SessionTable.ticks``) are summed first, and whole
seconds are taken once at the end, exactly as for one session:

    total_talk_time    = floor(sum(talk ticks) / ticks per second)
    average_talk_time  = floor(sum(talk ticks) / (sum(calls) x ticks per second))
    overall_call_rate  = sum(calls) per hour of sum(session duration), CURRENCY
                         (value x 10000, round half to even; 0 when the duration is 0)

so a roll-up is never the sum of already-truncated per-session seconds.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .columns import (
    MISSING,
    TICKS_PER_SECOND,
    _datetime_ticks,
    _numbers_to_ticks,
    _object_datetimes,
    _object_numbers_to_ticks,
    _scale_exact,
    _to_numpy,
)
from .hresult import shown

__all__ = ["rollup", "ROLLUP_COLUMNS", "currency_rate", "IntervalRollup", "INTERVAL_COLUMNS"]

ROLLUP_COLUMNS = (
    "sessions", "first_start", "session_duration", "number_of_calls", "total_talk_time",
    "average_talk_time", "total_call_time", "average_call_time", "total_wrapup_time",
    "average_wrapup_time", "overall_call_rate", "longest_time_to_answer",
    "average_time_to_answer",
)
_SUMMED = ("duration", "talk", "wrap", "call", "calls", "wait_sum", "wait_n")
_INT64_MAX = np.iinfo(np.int64).max


def currency_rate(calls: int, duration_ticks: int, ticks_per_second: int) -> int:
    """Calls per hour of duration as CURRENCY (x 10000), round half to even."""
    if duration_ticks <= 0:
        return 0
    quotient, remainder = divmod(int(calls) * 3600 * int(ticks_per_second) * 10000, int(duration_ticks))
    twice = 2 * remainder
    if twice > duration_ticks or (twice == duration_ticks and quotient % 2):
        quotient += 1
    return quotient


def _group_sum(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Exact int64 sums per group (np.add.at keeps the integer dtype; bincount would
    go through float64). Raises OverflowError instead of wrapping."""
    out = np.zeros(n, dtype=np.int64)
    np.add.at(out, codes, values)
    # An int64 sum wrapped iff a group total of non-negative values went negative or the
    # float estimate is beyond int64 (values here are durations and counts, >= 0).
    estimate = np.zeros(n, dtype=np.float64)
    np.add.at(estimate, codes, values.astype(np.float64))
    if np.any(estimate > 9.2e18) or np.any(out < 0):
        raise OverflowError("a roll-up total does not fit in int64 ticks")
    return out


def rollup(table: Any, by: str | Sequence[str] = "agent", *, keys: Any = None) -> pd.DataFrame:
    """Totals per agent, per ACD group, or per (agent, acd_group), from a SessionTable.

    by: "agent", "acd_group" (alias "queue"), or a list of those.
    keys: optional mapping column -> per-session values aligned with the table's rows,
        for when the table was aggregated without agent/acd_group (e.g. the session
        side table of a queue_log import).

    Columns (times in whole seconds): the key(s), then ROLLUP_COLUMNS. Time-to-answer
    columns are <NA> when the log has no wait."""
    names = [by] if isinstance(by, str) else list(by)
    names = ["acd_group" if name == "queue" else name for name in names]
    columns = {}
    for name in names:
        if keys is not None and name in keys:
            values = np.asarray(keys[name], dtype=object)
        elif name in getattr(table, "meta", {}):
            values = np.asarray(table.meta[name], dtype=object)
        else:
            raise ValueError(f"no {name!r} for the sessions: aggregate with {name}= or pass keys=")
        if len(values) != len(table):
            raise ValueError(f"{name}: {len(values)} values for {len(table)} sessions")
        columns[name] = values
    t = table.ticks
    tps = int(table.ticks_per_second)
    if len(table) == 0:
        frame = pd.DataFrame({name: pd.Series([], dtype=object) for name in names})
        for column in ROLLUP_COLUMNS:
            frame[column] = pd.Series([], dtype="int64")
        return frame

    key_frame = pd.DataFrame({name: pd.Series(values).fillna("") for name, values in columns.items()})
    codes, uniques = pd.MultiIndex.from_frame(key_frame).factorize() if len(names) > 1 else \
        pd.factorize(key_frame[names[0]], sort=False)
    codes = np.asarray(codes, dtype=np.int64)
    n = len(uniques)
    sums = {name: _group_sum(codes, np.asarray(t[name], dtype=np.int64), n) for name in _SUMMED}
    longest = np.full(n, -1, dtype=np.int64)
    np.maximum.at(longest, codes, np.asarray(t["wait_max"], dtype=np.int64))
    first = np.full(n, _INT64_MAX, dtype=np.int64)
    np.minimum.at(first, codes, np.asarray(t["start"], dtype=np.int64))
    sessions = np.bincount(codes, minlength=n).astype(np.int64)

    calls = sums["calls"]
    per_call = np.maximum(calls, 1)

    def average(total: np.ndarray) -> np.ndarray:
        return np.where(calls > 0, total // per_call // tps, 0)

    out: dict[str, Any] = {}
    if len(names) > 1:
        for i, name in enumerate(names):
            out[name] = [u[i] for u in uniques]
    else:
        out[names[0]] = np.asarray(uniques, dtype=object)
    out["sessions"] = sessions
    out["first_start"] = first.view(f"datetime64[{getattr(table, 'time_unit', 's')}]")
    out["session_duration"] = sums["duration"] // tps
    out["number_of_calls"] = calls
    out["total_talk_time"] = sums["talk"] // tps
    out["average_talk_time"] = average(sums["talk"])
    out["total_call_time"] = sums["call"] // tps
    out["average_call_time"] = average(sums["call"])
    out["total_wrapup_time"] = sums["wrap"] // tps
    out["average_wrapup_time"] = average(sums["wrap"])
    out["overall_call_rate"] = np.array(
        [currency_rate(c, d, tps) for c, d in zip(calls.tolist(), sums["duration"].tolist())],
        dtype=np.int64) / 10000.0
    if table.has_wait:
        waited = sums["wait_n"] > 0
        out["longest_time_to_answer"] = pd.array(np.where(longest >= 0, longest // tps, 0), dtype="Int64")
        out["average_time_to_answer"] = pd.array(
            np.where(waited, sums["wait_sum"] // np.maximum(sums["wait_n"], 1) // tps, 0), dtype="Int64")
    else:
        out["longest_time_to_answer"] = pd.array([pd.NA] * n, dtype="Int64")
        out["average_time_to_answer"] = pd.array([pd.NA] * n, dtype="Int64")
    frame = pd.DataFrame(out)
    return frame.sort_values(names, kind="stable").reset_index(drop=True)


# -- per reporting interval (SPEC 5) -------------------------------------------------------


def _time_in_ticks(time: Any, ticks_per_second: int) -> np.ndarray:
    """Event times as int64 ticks of 1/ticks_per_second s (MISSING for NaT/NaN)."""
    values = _to_numpy(time, "time", fill=MISSING)
    if values.dtype.kind == "O":
        numbers = _object_numbers_to_ticks(values, "time")
        if numbers is not None:
            return numbers
        values = _object_datetimes(values, "time")
    if values.dtype.kind in "iufb":
        return _numbers_to_ticks(values, "time", allow_missing=True)
    if values.dtype.kind != "M":
        raise TypeError(f"time must be ticks or datetime64, not {values.dtype}")
    ticks, unit = _datetime_ticks(values, "time")
    have = TICKS_PER_SECOND[unit]
    if have == ticks_per_second:
        return ticks
    if ticks_per_second % have == 0:
        return _scale_exact(ticks, ticks_per_second // have, "time")
    present = ticks != MISSING
    if have % ticks_per_second == 0:
        divisor = have // ticks_per_second
        between = present & (ticks % divisor != 0)
        if not between.any():
            return np.where(present, ticks // divisor, MISSING)
        row = int(np.argmax(between))
        raise ValueError(f"time at row {row} is {shown(values[row])}, between two ticks of this roll-up "
                         f"(1/{ticks_per_second} s); give ticks_per_second={have}")
    raise ValueError(f"time in {unit!r} cannot be converted exactly to ticks of 1/{ticks_per_second} s")


INTERVAL_COLUMNS = ("logged_in", "not_ready", "ready", "talk_time", "wrapup_time", "call_time",
                    "number_of_calls")
_STATE_COLUMN = {0: "not_ready", 1: "ready", 2: "talk_time", 3: "wrapup_time"}
_CALLS = 9      # the "column" code of call counts in the partial sums


class _EndedSessions:
    """The ids of the sessions that have ended: integer ids in sorted int64 arrays (8
    bytes a session), any other id in a set."""

    #: ids added before they are merged into the sorted array (or, once it is larger, a
    #: quarter of its length: each merge then costs its ids' worth)
    MERGE_IDS = 1 << 14

    def __init__(self) -> None:
        self._sorted = np.empty(0, dtype=np.int64)
        self._recent: list[np.ndarray] = []
        self._n_recent = 0
        self._others: set[Any] = set()

    def __len__(self) -> int:
        return len(self._sorted) + self._n_recent + len(self._others)

    def add(self, sessions: np.ndarray) -> None:
        if sessions.dtype.kind in "iu":
            self._recent.append(sessions.astype(np.int64))
            self._n_recent += len(sessions)
            if self._n_recent > max(self.MERGE_IDS, len(self._sorted) // 4):
                self._sorted = np.unique(np.concatenate([self._sorted, *self._recent]))
                self._recent, self._n_recent = [], 0
        else:
            self._others.update(sessions.tolist())

    def contains(self, sessions: np.ndarray) -> np.ndarray:
        """Per id of `sessions`: has that session ended? (An id is the same session as
        the dict of carried events would take it: 5, np.int64(5) and 5.0 alike.)"""
        if sessions.dtype.kind in "iu":
            ids = sessions.astype(np.int64)
            found = self._in_sorted(ids)
            for recent in self._recent:
                found |= np.isin(ids, recent)
            if self._others:
                found |= np.fromiter((s in self._others for s in sessions.tolist()), bool, len(sessions))
            return found
        ints = set(self._sorted.tolist()).union(*(r.tolist() for r in self._recent)) if (
            len(self._sorted) or self._recent) else set()
        return np.fromiter((s in self._others or (s in ints) for s in sessions.tolist()),
                           bool, len(sessions))

    def _in_sorted(self, ids: np.ndarray) -> np.ndarray:
        if not len(self._sorted):
            return np.zeros(len(ids), dtype=bool)
        at = np.searchsorted(self._sorted, ids).clip(max=len(self._sorted) - 1)
        return self._sorted[at] == ids


class IntervalRollup:
    """Time in each state per reporting interval (e.g. 15/30/60-minute buckets), per key,
    from the event stream: a state's time is split exactly across bucket
    boundaries (integer ticks), a call counts in the bucket where it is answered.

    Feed the same events as the Aggregator, in chunks (each session's events in time
    order across chunks), then call :meth:`result`. Memory: one carried event per
    session not ended (8 bytes of id for an ended one, integer ids), the (key, bucket, state) sums, and per chunk a few integer arrays of its
    length (the keys are coded as integers once: a chunk of half a million events costs
    tens of MB, not hundreds). The rules are the sessions': events after `as_of` are not
    seen, nothing after a session's first SESSION_ENDED counts, an event repeating the
    state in force changes nothing, invalid states are skipped; a missing key (None,
    NaN) counts nowhere.

    interval: bucket length in ticks; origin: buckets start at origin + k * interval
    (default 0, i.e. the epoch: whole UTC hours/quarters); as_of: report time in ticks
    (default the latest event time seen).
    """

    #: partial-sum rows held before they are folded into the sums (or, once the sums
    #: are larger, as many rows as they have: each fold then costs its rows' worth)
    FOLD_ROWS = 1 << 18
    #: events of a time-ordered chunk applied at a time
    SLICE_ROWS = 1 << 16

    def __init__(self, interval: int, *, ticks_per_second: int = 1, as_of: int | None = None,
                 origin: int = 0) -> None:
        if interval <= 0:
            raise ValueError("interval must be a positive number of ticks")
        self.interval = int(interval)
        self.tps = int(ticks_per_second)
        self.as_of = as_of
        self.origin = int(origin)
        # session -> (time, state, key code) of its last event, for the sessions not ended
        self._carry: dict[Any, tuple[int, int, int]] = {}
        self._ended = _EndedSessions()                       # their later events count nowhere
        self._max_time: int | None = None
        self._key_code: dict[Any, int] = {}                  # key -> code
        self._keys: list[Any] = []                           # code -> key (first spelling seen)
        # partial sums: (key code int64, bucket int64, column int8, ticks int64) arrays
        self._parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self._pending_rows = 0                # rows added since the last fold
        self._folded_rows = 0                 # rows of the sums after the last fold
        self._lock = threading.Lock()         # update() and result() one at a time

    def update(self, session: Any, time: Any, state: Any, key: Any) -> None:
        """Add events. `time` is in this roll-up's ticks (integers; floats are rounded to
        the nearest tick, NaN is missing) or datetime64, read in its own unit and
        converted to ticks exactly (a time between two ticks raises, naming its row).
        Calls from several threads wait for each other."""
        with self._lock:
            self._update(session, time, state, key)

    def _codes(self, key: np.ndarray) -> np.ndarray:
        """The keys as int64 codes of this roll-up (-1: a missing key)."""
        local, uniques = pd.factorize(key)
        if not len(uniques):
            return np.full(len(key), -1, dtype=np.int64)
        table = np.empty(len(uniques) + 1, dtype=np.int64)
        table[-1] = -1                        # local code -1 (missing) stays -1
        for i, value in enumerate(uniques.tolist()):
            code = self._key_code.get(value)
            if code is None:
                code = self._key_code[value] = len(self._keys)
                self._keys.append(value)
            table[i] = code
        return table[local]

    def _update(self, session: Any, time: Any, state: Any, key: Any) -> None:
        session = _to_numpy(session, "session")
        time = _time_in_ticks(time, self.tps)
        state = np.asarray(state).astype(np.int64)
        key = np.asarray(key, dtype=object)
        keep = (state >= 0) & (state <= 4) & (time != np.iinfo(np.int64).min)
        if self.as_of is not None:
            keep &= time <= self.as_of
        if not keep.all():
            session, time, state, key = session[keep], time[keep], state[keep], key[keep]
        keep = None
        if not len(time):
            return
        code = self._codes(key)
        key = None
        step = self.SLICE_ROWS
        if len(time) <= step:
            self._apply(session, time, state, code)
            return
        # Sessions are independent: sorted by (session, time), the chunk is applied a few
        # whole sessions at a time, which gives the sums of the whole chunk with the
        # temporaries of a slice (~300 bytes an event of the chunk at once otherwise).
        sessions, _ = pd.factorize(session)
        order = np.lexsort((time, sessions))         # stable: ties keep input order
        sessions = sessions[order]
        session, time, state, code = session[order], time[order], state[order], code[order]
        order = None
        starts = np.flatnonzero(np.r_[True, sessions[1:] != sessions[:-1]])
        sessions = None
        cuts = np.unique(starts[np.searchsorted(starts, np.arange(step, len(time), step))
                                .clip(max=len(starts) - 1)])
        bounds = [0, *[int(c) for c in cuts if c > 0], len(time)]
        for lo, hi in zip(bounds, bounds[1:]):
            if hi > lo:
                self._apply(session[lo:hi], time[lo:hi], state[lo:hi], code[lo:hi])

    def _apply(self, session: np.ndarray, time: np.ndarray, state: np.ndarray,
               code: np.ndarray) -> None:
        """Add valid events (int64 ticks and states, key codes) of sessions in time order
        after the events already applied."""
        if len(time):
            top = int(time.max())
            self._max_time = top if self._max_time is None else max(self._max_time, top)
        if len(self._ended) and len(session):
            later = self._ended.contains(session)
            if later.any():
                keep = ~later
                session, time, state, code = session[keep], time[keep], state[keep], code[keep]
        # Carried last events first, then this chunk; stable sort by (session, time).
        carried = [s for s in pd.unique(session) if s in self._carry] if len(session) else []
        if carried:
            c_time = np.array([self._carry[s][0] for s in carried], dtype=np.int64)
            c_state = np.array([self._carry[s][1] for s in carried], dtype=np.int64)
            c_code = np.array([self._carry[s][2] for s in carried], dtype=np.int64)
            c_sess = np.array(carried, dtype=session.dtype if session.dtype != object else object)
            session = np.concatenate([c_sess, session])
            time = np.concatenate([c_time, time])
            state = np.concatenate([c_state, state])
            code = np.concatenate([c_code, code])
            is_carry = np.r_[np.ones(len(carried), bool), np.zeros(len(time) - len(carried), bool)]
        else:
            is_carry = np.zeros(len(time), bool)
        if not len(time):
            return
        sessions, _ = pd.factorize(session)
        order = np.lexsort((time, sessions))          # stable: ties keep input order
        sessions, time, state, code, session, is_carry = (
            sessions[order], time[order], state[order], code[order], session[order], is_carry[order])
        first = np.r_[True, sessions[1:] != sessions[:-1]]
        # Drop everything after a session's first SESSION_ENDED.
        ended = (state == 4).astype(np.int64)
        cum = np.cumsum(ended)
        start_cum = np.maximum.accumulate(np.where(first, cum - ended, 0))
        valid = cum - ended - start_cum == 0
        # Duplicates: same state as the previous valid event of the session.
        prev_state = np.r_[-1, state[:-1]]
        prev_state[first] = -1
        live = valid & ~(valid & (state == prev_state) & ~first)
        idx = np.flatnonzero(live)
        sessions_l, time_l, state_l = sessions[idx], time[idx], state[idx]
        code_l, sess_l, carry_l = code[idx], session[idx], is_carry[idx]
        last_of_session = np.r_[sessions_l[1:] != sessions_l[:-1], True]
        # Segments: each live event lasts until the next live event of its session.
        seg = ~last_of_session & (state_l != 4)
        self._add_segments(code_l[seg], state_l[seg], time_l[seg],
                           time_l[1:][seg[:-1]] if len(seg) > 1 else time_l[:0])
        # Calls: entries into BUSY_ON_CALL (not carried rows, counted when they came in).
        prev_live = np.r_[-1, state_l[:-1]]
        prev_live[np.r_[True, sessions_l[1:] != sessions_l[:-1]]] = -1
        entering = (state_l == 2) & ~carry_l & (prev_live != 2)
        if entering.any():
            n_calls = int(entering.sum())
            self._add_part(code_l[entering], self._bucket(time_l[entering]),
                           np.full(n_calls, _CALLS, dtype=np.int8), np.ones(n_calls, dtype=np.int64))
        # New carry: the last live event of each session not ended. An ended session's
        # id is kept, compactly, to ignore its later events: on a long log nearly every
        # session has ended, and a carried event each held ~250 bytes a session.
        last = np.flatnonzero(last_of_session)
        ended = state_l[last] == 4
        if ended.any():
            gone = sess_l[last[ended]]
            self._ended.add(gone)
            for s in gone.tolist():
                self._carry.pop(s, None)
            last = last[~ended]
        for s, t, st, k in zip(sess_l[last].tolist(), time_l[last].tolist(),
                               state_l[last].tolist(), code_l[last].tolist()):
            self._carry[s] = (t, st, k)

    def _bucket(self, t: np.ndarray) -> np.ndarray:
        return (t - self.origin) // self.interval

    def _add_segments(self, code, state, start, end) -> None:
        keep = (end > start) & (code >= 0)
        code, state, start, end = code[keep], state[keep], start[keep], end[keep]
        if not len(start):
            return
        b0 = self._bucket(start)
        b1 = self._bucket(end - 1)
        pieces = (b1 - b0 + 1).astype(np.int64)
        rep = np.repeat(np.arange(len(start)), pieces)
        offset = np.arange(len(rep)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
        bucket = b0[rep] + offset
        lo = np.maximum(start[rep], self.origin + bucket * self.interval)
        hi = np.minimum(end[rep], self.origin + (bucket + 1) * self.interval)
        self._add_part(code[rep], bucket, state[rep].astype(np.int8), hi - lo)

    def _add_part(self, code, bucket, column, ticks) -> None:
        keep = code >= 0
        if not keep.all():
            code, bucket, column, ticks = code[keep], bucket[keep], column[keep], ticks[keep]
        if not len(code):
            return
        self._parts.append((code, bucket, column, ticks))
        self._pending_rows += len(code)
        if self._pending_rows > max(self.FOLD_ROWS, self._folded_rows):
            # keep memory bounded: fold into the sums
            self._parts = [self._compact()]
            self._folded_rows = len(self._parts[0][0])
            self._pending_rows = 0

    def _compact(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The partial sums folded: one row per (key code, bucket, column), sorted so,
        the ticks summed exactly (int64). The three are one int64 sort key when their
        ranges allow it (always, short of 2^60 cells): a fold then holds ~40 bytes a
        row at most, where sorting by three columns held ~70."""
        parts, self._parts = self._parts, []
        lo_bucket = min(int(part[1].min()) for part in parts)
        span = max(int(part[1].max()) for part in parts) - lo_bucket + 1
        n_codes = max(int(part[0].max()) for part in parts) + 1
        if n_codes * span * 16 >= 1 << 62:            # pragma: no cover - 2^58 cells
            code, bucket, column, ticks = (np.concatenate([part[i] for part in parts])
                                           for i in range(4))
            parts = None
            order = np.lexsort((column, bucket, code))
            code, bucket, column, ticks = code[order], bucket[order], column[order], ticks[order]
            new = np.r_[True, (code[1:] != code[:-1]) | (bucket[1:] != bucket[:-1])
                        | (column[1:] != column[:-1])]
            starts = np.flatnonzero(new)
            return code[starts], bucket[starts], column[starts], np.add.reduceat(ticks, starts)
        # column codes are 0-3 (states) and _CALLS: 4 bits
        keys = []
        ticks_parts = []
        while parts:
            code, bucket, column, ticks = parts.pop()
            keys.append((code * span + (bucket - lo_bucket)) * 16 + column)
            ticks_parts.append(ticks)
        key = np.concatenate(keys)
        keys = None
        ticks = np.concatenate(ticks_parts)
        ticks_parts = None
        order = np.argsort(key, kind="stable")
        key = key[order]
        ticks = ticks[order]
        order = None
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        sums = np.add.reduceat(ticks, starts)
        ticks = None
        key = key[starts]
        column = (key % 16).astype(np.int8)
        key //= 16
        bucket = key % span + lo_bucket
        return key // span, bucket, column, sums

    def result(self, name: str = "key", *, tz: Any = None, interval_seconds: int | None = None) -> pd.DataFrame:
        """One row per (key, interval): interval_start (datetime64), and whole seconds
        of logged_in, not_ready, ready, talk_time, wrapup_time, call_time,
        plus number_of_calls. Sums are exact ticks, floored once per cell. Call it once,
        after the last update.

        tz, interval_seconds: report local intervals of `interval_seconds` in zone `tz`
        (a local day may last 23 or 25 hours): the buckets, whose width must put a bucket
        edge on every local edge (``agentstats.localtime.fine_step``), are added up per
        local interval in exact ticks, then floored; interval_start is then local."""
        with self._lock:
            return self._result(name, tz, interval_seconds)

    def _result(self, name: str, tz: Any = None, interval_seconds: int | None = None) -> pd.DataFrame:
        as_of = self.as_of if self.as_of is not None else self._max_time
        if as_of is not None:
            open_ = [(k, st, t) for t, st, k in self._carry.values() if st != 4 and t < as_of]
            if open_:
                k, st, t = zip(*open_)
                self._add_segments(np.asarray(k, dtype=np.int64), np.asarray(st, dtype=np.int64),
                                   np.asarray(t, dtype=np.int64), np.full(len(t), as_of, dtype=np.int64))
                self._carry = {s: (as_of if v[1] != 4 else v[0], v[1], v[2]) for s, v in self._carry.items()}
        columns = [name, "interval_start", *INTERVAL_COLUMNS]
        if self._parts:
            self._parts = [self._compact()]      # kept folded: result() may be asked again
            code, bucket, column, ticks = self._parts[0]
        else:
            code = bucket = column = ticks = np.zeros(0, np.int64)
        if not len(code):
            return pd.DataFrame({c: pd.Series([], dtype=object if c == name else "int64") for c in columns})
        # one row per (key code, bucket): the compacted rows are sorted by both
        pair_start = np.r_[True, (code[1:] != code[:-1]) | (bucket[1:] != bucket[:-1])]
        pair = np.cumsum(pair_start) - 1
        n_pairs = int(pair[-1]) + 1
        sums = {}
        for value, label in (*_STATE_COLUMN.items(), (_CALLS, "number_of_calls")):
            out = np.zeros(n_pairs, dtype=np.int64)
            hit = column == value
            out[pair[hit]] = ticks[hit]       # one row per (pair, column) after the fold
            sums[label] = out
        out_code, out_bucket = code[pair_start], bucket[pair_start]
        starts = (self.origin + out_bucket * self.interval) // self.tps
        if tz is not None:
            from .localtime import local_interval_starts

            if self.interval % self.tps or self.origin % self.tps or not interval_seconds:
                raise ValueError("local intervals need buckets of whole seconds and interval_seconds")
            local = local_interval_starts(starts, self.interval // self.tps, int(interval_seconds), tz)
            grouped = pd.DataFrame({"code": out_code, "bucket": local, **sums}).groupby(
                ["code", "bucket"], sort=False, as_index=False).sum()
            out_code = grouped["code"].to_numpy(dtype=np.int64)
            starts = grouped["bucket"].to_numpy(dtype=np.int64)
            sums = {label: grouped[label].to_numpy(dtype=np.int64) for label in sums}
        talk, wrap = sums["talk_time"], sums["wrapup_time"]
        logged = sums["not_ready"] + sums["ready"] + talk + wrap
        keys = np.empty(len(self._keys), dtype=object)
        for i, value in enumerate(self._keys):      # (not keys[:] = ...: a tuple key would spread)
            keys[i] = value
        frame = pd.DataFrame({
            name: keys[out_code],
            "interval_start": starts,
            "logged_in": logged // self.tps,
            "not_ready": sums["not_ready"] // self.tps,
            "ready": sums["ready"] // self.tps,
            "talk_time": talk // self.tps,
            "wrapup_time": wrap // self.tps,
            "call_time": (talk + wrap) // self.tps,
            "number_of_calls": sums["number_of_calls"],
        })
        frame["interval_start"] = frame["interval_start"].to_numpy().astype("datetime64[s]")
        frame = frame.sort_values([name, "interval_start"], kind="stable").reset_index(drop=True)
        if tz is not None:
            from .localtime import to_local

            frame["interval_start"] = to_local(frame["interval_start"], tz).array
        return frame
