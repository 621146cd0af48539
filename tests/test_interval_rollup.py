"""IntervalRollup (time per state per reporting interval, SPEC 7.3 / 8.2 agent-hours)
against its slow twin, the pandas implementation it replaced
(tests/interval_rollup_twin.py): the same frame on hypothesis-generated event streams in
any chunking, with the folds of the partial sums and the slices of a chunk forced to be
tiny, in UTC and in a local zone. And the memory of one update stays a few integer
arrays of the chunk, not hundreds of bytes an event."""

from __future__ import annotations

import tracemalloc
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentstats.rollup import IntervalRollup
from interval_rollup_twin import TwinIntervalRollup


@st.composite
def event_streams(draw, *, int_keys=False, int_sessions=False):
    """Sessions' events (each session's times non-decreasing in stream order, states
    0-4 with invalid ones, duplicates and rows after the end), merged into one stream."""
    n_sessions = draw(st.integers(1, 6))
    keys = [1, 2, 3] if int_keys else ["a", "b", "c", None]
    per_session = []
    for s in range(n_sessions):
        key = draw(st.sampled_from(keys))
        t = draw(st.integers(-50, 3000))
        rows = []
        for _ in range(draw(st.integers(1, 12))):
            t += draw(st.sampled_from([0, 1, 7, 59, 60, 61, 250, 900, 1800]))
            state = draw(st.sampled_from([0, 1, 2, 2, 3, 4, 1, 7, -1]))
            rows.append((s * 7 + 3 if int_sessions else f"s{s}" if s % 2 else s + 100, t, state, key))
        per_session.append(rows)
    # a random merge that keeps each session's order
    order = draw(st.permutations([i for i, rows in enumerate(per_session) for _ in rows]))
    cursor = [0] * n_sessions
    stream = []
    for i in order:
        stream.append(per_session[i][cursor[i]])
        cursor[i] += 1
    return stream


def _feed(rollup, stream, cuts):
    bounds = [0, *sorted(set(c for c in cuts if 0 < c < len(stream))), len(stream)]
    int_sessions = all(isinstance(r[0], int) for r in stream)
    for lo, hi in zip(bounds, bounds[1:]):
        part = stream[lo:hi]
        rollup.update(np.array([r[0] for r in part], dtype=np.int64 if int_sessions else object),
                      np.array([r[1] for r in part]),
                      np.array([r[2] for r in part]), np.array([r[3] for r in part], dtype=object))


def _both(stream, cuts, *, interval, as_of=None, origin=0, tiny=True, **result):
    new = IntervalRollup(interval, as_of=as_of, origin=origin)
    if tiny:
        new.SLICE_ROWS, new.FOLD_ROWS = 3, 4
        new._ended.MERGE_IDS = 1
    twin = TwinIntervalRollup(interval, as_of=as_of, origin=origin)
    _feed(new, stream, cuts)
    _feed(twin, stream, cuts)
    return new.result("agent", **result), twin.result("agent", **result)


def _assert_same(got, want):
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want)
    if len(got):
        pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True),
                                      check_dtype=False)


@settings(max_examples=200)
@given(event_streams(), st.lists(st.integers(0, 80), max_size=6),
       st.sampled_from([60, 900, 1800]), st.sampled_from([None, 1500, 4000]),
       st.sampled_from([0, 30]), st.booleans())
def test_the_same_frame_as_the_twin(stream, cuts, interval, as_of, origin, tiny):
    got, want = _both(stream, cuts, interval=interval, as_of=as_of, origin=origin, tiny=tiny)
    _assert_same(got, want)
    # no session is logged in longer than an interval within it
    n_sessions = len({r[0] for r in stream})
    assert (got["logged_in"] <= interval * n_sessions).all()


@settings(max_examples=150)
@given(event_streams(int_sessions=True), st.lists(st.integers(0, 80), max_size=6),
       st.sampled_from([60, 900]), st.sampled_from([None, 1500]), st.booleans())
def test_integer_sessions_the_same_frame_as_the_twin(stream, cuts, interval, as_of, tiny):
    """int64 session ids (a queue_log's): the ended sessions are kept as sorted ids."""
    got, want = _both(stream, cuts, interval=interval, as_of=as_of, tiny=tiny)
    _assert_same(got, want)


def test_ended_sessions_leave_the_carried_events():
    """A month of sessions that end (int64 ids, in daily chunks): only the sessions still
    open keep a carried event; the ended ones are 8 bytes of id each, and their later
    events still count nowhere."""
    days, per_day = 30, 400
    rollup, twin = IntervalRollup(900), TwinIntervalRollup(900)
    for day in range(days):
        ids = np.arange(day * per_day, (day + 1) * per_day, dtype=np.int64)
        start = day * 86400 + (ids % 97) * 60
        session = np.repeat(ids, 4)
        time = np.stack([start, start + 600, start + 900, start + 3600], axis=1).ravel()
        state = np.tile([1, 2, 3, 4], per_day)
        state[::97 * 4] = 1                       # a few sessions that never end
        state[3::97 * 4] = 1
        key = np.array([f"q{i % 3}" for i in range(len(session))], dtype=object)
        if day:                                   # an event after yesterday's end: ignored
            session = np.r_[session, ids[:1] - per_day + 1]
            time = np.r_[time, day * 86400]
            state = np.r_[state, 1]
            key = np.r_[key, np.array(["q9"], dtype=object)]
        rollup.update(session, time, state, key)
        twin.update(session, time, state, key)
    n_open = sum(st != 4 for _, st, _ in rollup._carry.values())
    assert len(rollup._carry) == n_open < days * per_day // 40
    assert len(rollup._ended) == days * per_day - n_open
    _assert_same(rollup.result(), twin.result())


@settings(max_examples=60)
@given(event_streams(int_keys=True), st.lists(st.integers(0, 80), max_size=4))
def test_the_same_local_intervals_as_the_twin(stream, cuts):
    """Local hours of a zone with a DST change (buckets of 15 minutes, reported per hour)."""
    stream = [(s, t + 1_679_790_000, state, key) for s, t, state, key in stream]   # 2023-03-26 Paris
    got, want = _both(stream, cuts, interval=900, tz=ZoneInfo("Europe/Paris"),
                      interval_seconds=3600)
    _assert_same(got, want)


def test_the_twin_compare_can_fail():
    stream = [(1, 0, 1, "a"), (1, 100, 2, "a"), (1, 200, 4, "a")]
    got, want = _both(stream, [], interval=60)
    got.loc[0, "ready"] += 1
    with pytest.raises(AssertionError):
        _assert_same(got, want)


def test_a_missing_key_counts_nowhere():
    got, want = _both([(1, 0, 1, None), (1, 100, 4, None), (2, 0, 1, "b"), (2, 50, 4, "b")], [],
                      interval=60)
    _assert_same(got, want)
    assert got["agent"].tolist() == ["b"]


def test_tuple_keys_stay_whole():
    rollup = IntervalRollup(60)
    key = np.empty(2, dtype=object)
    key[0] = key[1] = ("support", "alice")
    rollup.update([1, 1], [0, 30], [1, 4], key)
    assert rollup.result("agent")["agent"].tolist() == [("support", "alice")]


def test_result_twice_is_the_same():
    rollup = IntervalRollup(60)
    rollup.update([1, 1, 1], [0, 30, 200], [1, 2, 4], ["a"] * 3)
    first = rollup.result()
    pd.testing.assert_frame_equal(first, rollup.result())


def _day_of_events(n_sessions=2_000, events=120, seed=0):
    rng = np.random.default_rng(seed)
    session = np.repeat(np.arange(n_sessions), events)
    time = np.cumsum(rng.integers(1, 400, (n_sessions, events)), axis=1).ravel()
    state = rng.choice([0, 1, 2, 3], n_sessions * events)
    key = np.array([f"q{i % 7}" for i in range(n_sessions)], dtype=object)[session]
    order = np.argsort(time, kind="stable")
    return session[order], time[order], state[order], key[order]


def _slope(cls):
    """Bytes of traced peak memory per event that one update holds beyond a fixed part:
    the peaks of updates of 240k and 480k events, differenced."""
    peaks = []
    for n_sessions in (2_000, 4_000):
        session, time, state, key = _day_of_events(n_sessions)
        rollup = cls(900)
        tracemalloc.start()
        try:
            rollup.update(session, time, state, key)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    return (peaks[1] - peaks[0]) / (len(time) / 2)


def test_one_large_update_holds_a_few_arrays_of_the_chunk():
    """The pandas implementation held ~270 bytes an event of the chunk at once (measured
    ~540 on a real import's chunks); this one codes the keys once, folds the partial sums
    by one int64 key and applies a chunk a slice of whole sessions at a time."""
    assert _slope(IntervalRollup) < 80
    session, time, state, key = _day_of_events()
    rollup, twin = IntervalRollup(900), TwinIntervalRollup(900)
    rollup.update(session, time, state, key)
    twin.update(session, time, state, key)
    _assert_same(rollup.result(), twin.result())


def test_the_memory_check_can_fail():
    """The twin's slope is far above the bound of the test above."""
    assert _slope(TwinIntervalRollup) > 150
