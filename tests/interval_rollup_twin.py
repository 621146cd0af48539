"""The slow twin of :class:`agentstats.rollup.IntervalRollup`: the pandas implementation
it replaced (object keys, partial sums as DataFrames, pandas groupby and pivot), kept
here as the oracle the compact one is compared with (tests/test_interval_rollup.py)."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pandas as pd

from agentstats.columns import _to_numpy
from agentstats.rollup import _CALLS, _STATE_COLUMN, INTERVAL_COLUMNS, _time_in_ticks


class TwinIntervalRollup:
    """Time in each state per reporting interval (e.g. 15/30/60-minute buckets), per key,
    from the event stream: a state's time is split exactly across bucket
    boundaries (integer ticks), a call counts in the bucket where it is answered.

    Feed the same events as the Aggregator, in chunks (each session's events in time
    order across chunks), then call :meth:`result`. Memory: one carried event per
    session plus the (key, bucket, state) sums. The rules are the sessions': events after
    `as_of` are not seen, nothing after a session's first SESSION_ENDED counts, an event
    repeating the state in force changes nothing, invalid states are skipped.

    interval: bucket length in ticks; origin: buckets start at origin + k * interval
    (default 0, i.e. the epoch: whole UTC hours/quarters); as_of: report time in ticks
    (default the latest event time seen).
    """

    def __init__(self, interval: int, *, ticks_per_second: int = 1, as_of: int | None = None,
                 origin: int = 0) -> None:
        if interval <= 0:
            raise ValueError("interval must be a positive number of ticks")
        self.interval = int(interval)
        self.tps = int(ticks_per_second)
        self.as_of = as_of
        self.origin = int(origin)
        self._carry: dict[Any, tuple[int, int, Any]] = {}     # session -> (time, state, key)
        self._max_time: int | None = None
        self._parts: list[pd.DataFrame] = []
        self._pending_rows = 0
        self._lock = threading.Lock()         # update() and result() one at a time

    def update(self, session: Any, time: Any, state: Any, key: Any) -> None:
        """Add events. `time` is in this roll-up's ticks (integers; floats are rounded to
        the nearest tick, NaN is missing) or datetime64, read in its own unit and
        converted to ticks exactly (a time between two ticks raises, naming its row).
        Calls from several threads wait for each other."""
        with self._lock:
            self._update(session, time, state, key)

    def _update(self, session: Any, time: Any, state: Any, key: Any) -> None:
        session = _to_numpy(session, "session")
        time = _time_in_ticks(time, self.tps)
        state = np.asarray(state).astype(np.int64)
        key = np.asarray(key, dtype=object)
        keep = (state >= 0) & (state <= 4) & (time != np.iinfo(np.int64).min)
        if self.as_of is not None:
            keep &= time <= self.as_of
        session, time, state, key = session[keep], time[keep], state[keep], key[keep]
        if len(time):
            top = int(time.max())
            self._max_time = top if self._max_time is None else max(self._max_time, top)
        # Carried last events first, then this chunk; stable sort by (session, time).
        carried = [s for s in pd.unique(session) if s in self._carry] if len(session) else []
        if carried:
            c_time = np.array([self._carry[s][0] for s in carried], dtype=np.int64)
            c_state = np.array([self._carry[s][1] for s in carried], dtype=np.int64)
            c_key = np.array([self._carry[s][2] for s in carried], dtype=object)
            c_sess = np.array(carried, dtype=session.dtype if session.dtype != object else object)
            session = np.concatenate([c_sess, session])
            time = np.concatenate([c_time, time])
            state = np.concatenate([c_state, state])
            key = np.concatenate([c_key, key])
            is_carry = np.r_[np.ones(len(carried), bool), np.zeros(len(time) - len(carried), bool)]
        else:
            is_carry = np.zeros(len(time), bool)
        if not len(time):
            return
        codes, _ = pd.factorize(session)
        order = np.lexsort((time, codes))            # stable: ties keep input order
        codes, time, state, key, session, is_carry = (
            codes[order], time[order], state[order], key[order], session[order], is_carry[order])
        first = np.r_[True, codes[1:] != codes[:-1]]
        # Drop everything after a session's first SESSION_ENDED.
        ended = (state == 4).astype(np.int64)
        cum = np.cumsum(ended)
        start_cum = np.maximum.accumulate(np.where(first, cum - ended, 0))
        ended_before = cum - ended - start_cum
        valid = ended_before == 0
        # Duplicates: same state as the previous valid event of the session.
        prev_state = np.r_[-1, state[:-1]]
        prev_state[first] = -1
        dup = valid & (state == prev_state) & ~first
        live = valid & ~dup
        idx = np.flatnonzero(live)
        codes_l, time_l, state_l = codes[idx], time[idx], state[idx]
        key_l, sess_l, carry_l = key[idx], session[idx], is_carry[idx]
        last_of_session = np.r_[codes_l[1:] != codes_l[:-1], True]
        # Segments: each live event lasts until the next live event of its session.
        seg = ~last_of_session & (state_l != 4)
        self._add_segments(key_l[seg], state_l[seg], time_l[seg], time_l[1:][seg[:-1]] if len(seg) > 1 else time_l[:0])
        # Calls: entries into BUSY_ON_CALL (not carried rows, counted when they came in).
        prev_live = np.r_[-1, state_l[:-1]]
        prev_live[np.r_[True, codes_l[1:] != codes_l[:-1]]] = -1
        entering = (state_l == 2) & ~carry_l & (prev_live != 2)
        if entering.any():
            self._parts.append(pd.DataFrame({
                "key": key_l[entering], "bucket": self._bucket(time_l[entering]),
                "column": np.full(int(entering.sum()), _CALLS, dtype=np.int8),
                "ticks": np.ones(int(entering.sum()), dtype=np.int64)}))
        # New carry: the last live event of each session (ended sessions stay, to ignore
        # their later events).
        for s, t, st, k in zip(sess_l[last_of_session].tolist(), time_l[last_of_session].tolist(),
                               state_l[last_of_session].tolist(), key_l[last_of_session].tolist()):
            self._carry[s] = (t, st, k)

    def _bucket(self, t: np.ndarray) -> np.ndarray:
        return (t - self.origin) // self.interval

    def _add_segments(self, key, state, start, end) -> None:
        keep = end > start
        key, state, start, end = key[keep], state[keep], start[keep], end[keep]
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
        self._parts.append(pd.DataFrame({
            "key": key[rep], "bucket": bucket,
            "column": state[rep].astype(np.int8), "ticks": hi - lo}))
        self._pending_rows += len(rep)
        if self._pending_rows > 1_000_000:     # keep memory bounded: fold into the sums
            self._parts = [self._compact()]
            self._pending_rows = len(self._parts[0])

    def _compact(self) -> pd.DataFrame:
        frame = pd.concat(self._parts, ignore_index=True)
        return frame.groupby(["key", "bucket", "column"], sort=False, as_index=False)["ticks"].sum()

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
                self._add_segments(np.asarray(k, dtype=object), np.asarray(st, dtype=np.int64),
                                   np.asarray(t, dtype=np.int64), np.full(len(t), as_of, dtype=np.int64))
                self._carry = {s: (as_of if v[1] != 4 else v[0], v[1], v[2]) for s, v in self._carry.items()}
        columns = [name, "interval_start", *INTERVAL_COLUMNS]
        if not self._parts:
            return pd.DataFrame({c: pd.Series([], dtype=object if c == name else "int64") for c in columns})
        sums = self._compact().pivot_table(index=["key", "bucket"], columns="column", values="ticks",
                                           aggfunc="sum", fill_value=0)
        sums = sums.rename(columns={**_STATE_COLUMN, _CALLS: "number_of_calls"})
        for column in (*_STATE_COLUMN.values(), "number_of_calls"):
            if column not in sums.columns:
                sums[column] = 0
        sums = sums.astype(np.int64)
        out = sums.reset_index()
        starts = (self.origin + out["bucket"].to_numpy(dtype=np.int64) * self.interval) // self.tps
        if tz is not None:
            from agentstats.localtime import local_interval_starts

            if self.interval % self.tps or self.origin % self.tps or not interval_seconds:
                raise ValueError("local intervals need buckets of whole seconds and interval_seconds")
            out["bucket"] = local_interval_starts(starts, self.interval // self.tps, int(interval_seconds), tz)
            out = out.groupby(["key", "bucket"], sort=False, as_index=False).sum()
            starts = out["bucket"].to_numpy(dtype=np.int64)
        talk, wrap = out["talk_time"].to_numpy(), out["wrapup_time"].to_numpy()
        logged = out["not_ready"].to_numpy() + out["ready"].to_numpy() + talk + wrap
        frame = pd.DataFrame({
            name: out["key"].to_numpy(dtype=object),
            "interval_start": starts,
            "logged_in": logged // self.tps,
            "not_ready": out["not_ready"].to_numpy() // self.tps,
            "ready": out["ready"].to_numpy() // self.tps,
            "talk_time": talk // self.tps,
            "wrapup_time": wrap // self.tps,
            "call_time": (talk + wrap) // self.tps,
            "number_of_calls": out["number_of_calls"].to_numpy(),
        })
        frame["interval_start"] = frame["interval_start"].to_numpy().astype("datetime64[s]")
        frame = frame.sort_values([name, "interval_start"], kind="stable").reset_index(drop=True)
        if tz is not None:
            from agentstats.localtime import to_local

            frame["interval_start"] = to_local(frame["interval_start"], tz).array
        return frame
