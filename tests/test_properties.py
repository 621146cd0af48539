"""Kernel vs the plain-Python reference on hypothesis-generated logs (SPEC 1-3).

Profiles `dev` and `ci` are registered in conftest.py (seeded, deadline=None).
"""

from __future__ import annotations

import importlib
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import agentstats
from checks import BUCKETS, actual_ticks, assert_same_as_reference, to_columns

VALID_STATES = st.integers(0, 4)
ANY_STATE = st.one_of(VALID_STATES, VALID_STATES, VALID_STATES, st.sampled_from([-1, 5, 7, 200]))


@st.composite
def logs(draw, *, dirty: bool = True, keys=st.integers(0, 6)):
    """Random logs with ties, duplicates, events after the end, missing times and
    waits, invalid states, laid out time-ordered, grouped by session, or shuffled."""
    n = draw(st.integers(0, 60))
    session = draw(st.lists(keys, min_size=n, max_size=n))
    time = draw(st.lists(st.integers(0, 40), min_size=n, max_size=n))      # small range: ties
    state = draw(st.lists(ANY_STATE if dirty else VALID_STATES, min_size=n, max_size=n))
    if dirty:
        time = [None if draw(st.integers(0, 15)) == 0 else t for t in time]
    wait = None
    if draw(st.booleans()):
        wait = draw(st.lists(st.one_of(st.none(), st.integers(0, 30)), min_size=n, max_size=n))
    layout = draw(st.sampled_from(["shuffled", "time", "grouped"]))
    rows = list(range(n))
    if layout == "time":
        rows.sort(key=lambda i: (-1 if time[i] is None else time[i]))
    elif layout == "grouped":
        rows.sort(key=lambda i: (str(session[i]), -1 if time[i] is None else time[i]))
    pick = lambda column: [column[i] for i in rows]  # noqa: E731
    as_of = draw(st.one_of(st.none(), st.integers(0, 45)))
    return (pick(session), pick(time), pick(state), None if wait is None else pick(wait), as_of)


@given(logs())
def test_kernel_equals_reference(log):
    """SPEC 2.1-2.11 values and SPEC 3 buckets, exactly, for any row order (SPEC 1.1)."""
    session, time, state, wait, as_of = log
    assert_same_as_reference(session, time, state, wait, as_of, n_threads=1)


@given(logs(keys=st.sampled_from(["a", "b", "SIP/1001", "Agent 1", "ü"])))
def test_string_keys_equal_reference(log):
    session, time, state, wait, as_of = log
    assert_same_as_reference(session, time, state, wait, as_of)


@given(logs(keys=st.sampled_from([-(2**62), -5, 0, 2**40, 2**62])))
def test_sparse_int_keys_equal_reference(log):
    """Keys too far apart for direct indexing take the hash path."""
    session, time, state, wait, as_of = log
    assert_same_as_reference(session, time, state, wait, as_of)


@given(logs())
def test_two_threads_give_identical_results(log):
    session, time, state, wait, as_of = log
    one = assert_same_as_reference(session, time, state, wait, as_of, n_threads=1)
    two = assert_same_as_reference(session, time, state, wait, as_of, n_threads=2)
    assert actual_ticks(one) == actual_ticks(two)
    assert one.diagnostics == two.diagnostics


@given(logs(dirty=False), st.lists(st.integers(0, 60), max_size=4))
def test_chunks_equal_one_shot(log, cuts):
    """An Aggregator fed a time-ordered log in chunks equals one aggregate() call."""
    session, time, state, wait, as_of = log
    order = sorted(range(len(session)), key=lambda i: time[i])
    session, time, state = ([c[i] for i in order] for c in (session, time, state))
    wait = None if wait is None else [wait[i] for i in order]
    s, t, stt, w = to_columns(session, time, state, wait)
    as_of_value = None if as_of is None else np.datetime64(as_of, "s")
    whole = agentstats.aggregate(s, t, stt, wait=w, as_of=as_of_value)
    aggregator = agentstats.Aggregator(as_of=as_of_value)
    bounds = sorted({0, len(session), *(c for c in cuts if c < len(session))})
    for lo, hi in zip(bounds, bounds[1:]):
        aggregator.update(s[lo:hi], t[lo:hi], stt[lo:hi], wait=None if w is None else w[lo:hi])
    if len(bounds) == 1:
        aggregator.update(s, t, stt, wait=w)
    chunked = aggregator.result()
    assert actual_ticks(chunked) == actual_ticks(whole)
    assert {k: chunked.diagnostics[k] for k in BUCKETS} == {k: whole.diagnostics[k] for k in BUCKETS}


@pytest.mark.parametrize("threads", [1, 2])
def test_session_larger_than_the_local_sort_buffer(threads):
    """A shuffled session with more rows than the kernel's in-cache buffer is sorted in
    place (heap sort); ties and duplicates must still follow SPEC 1.1."""
    rng = np.random.default_rng(11)
    n = 70_000                                  # > LOCAL_ROWS (32768)
    session = [0] * n + [1] * 100
    time = rng.integers(0, 5_000, n + 100).tolist()      # many ties
    state = rng.integers(0, 5, n + 100).tolist()
    state[0] = 1
    wait = rng.integers(0, 50, n + 100).tolist()
    order = rng.permutation(n + 100)
    pick = lambda column: [column[i] for i in order]  # noqa: E731
    assert_same_as_reference(pick(session), pick(time), pick(state), pick(wait), n_threads=threads)


# Two threads split the rows in halves; each case puts something at the boundary
# (row 4 of 8 starts the second half). NR, RD, CALL, WRAP, END = 0..4.
BOUNDARY_CASES = {
    "ended-before-boundary": ([0, 0, 0, 0, 0, 0, 1, 1], [0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 4, 1, 1, 2, 1, 4], None),
    "duplicate-call-with-wait": ([0, 1, 0, 1, 0, 0, 1, 1], [0, 1, 2, 3, 4, 5, 6, 7], [1, 1, 2, 2, 2, 1, 1, 4], [None, None, 5, 1, 9, None, None, None]),
    "duplicate-call-without-wait": ([0, 1, 0, 1, 0, 0, 1, 1], [0, 1, 2, 3, 4, 5, 6, 7], [1, 1, 2, 2, 2, 1, 1, 4], None),
    "duplicate-ready": ([0, 0, 0, 0, 0, 0, 0, 0], [0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 1, 1, 0, 1, 4], None),
    "off-table-across": ([0, 0, 0, 0, 0, 0, 0, 0], [0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 0, 2, 3, 2, 4], None),
    "back-in-time-across": ([0, 0, 0, 0, 0, 0, 0, 0], [0, 1, 2, 10, 5, 11, 12, 13], [1, 2, 3, 1, 2, 3, 1, 4], None),
    "new-session-in-second-half": ([0, 0, 0, 0, 1, 1, 0, 1], [0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 1, 1, 2, 4, 4], [None, 3, None, None, None, 8, None, None]),
}


@pytest.mark.parametrize("case", BOUNDARY_CASES, ids=list(BOUNDARY_CASES))
def test_thread_boundary_cases(case):
    session, time, state, wait = BOUNDARY_CASES[case]
    one = assert_same_as_reference(session, time, state, wait, n_threads=1)
    two = assert_same_as_reference(session, time, state, wait, n_threads=2)
    assert actual_ticks(one) == actual_ticks(two)


@pytest.mark.parametrize("spread", ["uniform", "few-distinct", "skewed", "all-equal", "sorted-runs"])
def test_shuffled_sessions_of_every_shape(spread):
    """Sessions of 33-3000 rows (the in-cache distribution sort and its merge-sort
    fallback) with ties, skew and partial order, against the reference."""
    rng = np.random.default_rng(5)
    sizes = [33, 64, 257, 1000, 3000]
    session, time = [], []
    for key, size in enumerate(sizes):
        if spread == "uniform":
            times = rng.integers(0, 10**9, size)
        elif spread == "few-distinct":
            times = rng.integers(0, 4, size) * 1000
        elif spread == "skewed":
            times = (rng.exponential(1.0, size) ** 6 * 1000).astype(np.int64)
        elif spread == "all-equal":
            times = np.full(size, 77)
        else:
            times = np.concatenate([np.sort(rng.integers(0, 100, size // 2)),
                                    np.sort(rng.integers(0, 100, size - size // 2))])
        session += [key] * size
        time += times.tolist()
    n = len(session)
    state = rng.integers(0, 5, n).tolist()
    wait = [None if w > 40 else int(w) for w in rng.integers(0, 60, n)]
    order = rng.permutation(n)
    pick = lambda column: [column[i] for i in order]  # noqa: E731
    for threads in (1, 2):
        assert_same_as_reference(pick(session), pick(time), pick(state), pick(wait), n_threads=threads)


# SPEC 4.3 allowed moves from each state (NOT_READY, READY, ON_CALL, WRAPUP)
ALLOWED_NEXT = {0: [1, 4], 1: [0, 2, 4], 2: [0, 1, 3, 4], 3: [0, 1, 4]}


@st.composite
def walk_logs(draw):
    """Logs grouped by session whose runs are mostly clean walks through SPEC 4.3 (what
    the grouped loop's fast path takes), with a few rows made dirty: a repeated state,
    a forbidden move, a missing or earlier time, an invalid state, a row after the end,
    a row after as_of."""
    session, time, state, wait = [], [], [], []
    for key in range(draw(st.integers(1, 5))):
        s, t = draw(st.integers(0, 3)), draw(st.integers(0, 20))
        for _ in range(draw(st.integers(1, 40))):
            dirt = draw(st.integers(0, 40))
            row_time = t if dirt != 1 else (None if draw(st.booleans()) else t - 3)
            row_state = {2: s, 3: 7}.get(dirt, s)
            if dirt == 4 and s != 2:
                row_state = 2 if s in (0, 3) else 3                # forbidden (SPEC 4.3)
            session.append(key)
            time.append(row_time)
            state.append(row_state)
            wait.append(draw(st.one_of(st.none(), st.integers(0, 30))))
            if row_state in ALLOWED_NEXT and dirt not in (2, 3):
                s = draw(st.sampled_from(ALLOWED_NEXT[row_state]))
            t += draw(st.integers(0, 9))
        if draw(st.booleans()):                                    # ended, then more rows
            for row_state in (4, s):
                session.append(key)
                time.append(t + 1)
                state.append(row_state)
                wait.append(None)
    wait = wait if draw(st.booleans()) else None
    as_of = draw(st.one_of(st.none(), st.integers(0, 400)))
    return session, time, state, wait, as_of


@settings(max_examples=min(300, settings().max_examples))   # (the suite's time: half the CI profile)
@given(walk_logs(), st.booleans())
def test_grouped_runs_equal_reference(log, two_threads):
    """SPEC 2-3 on grouped logs of long, mostly clean runs: the run loop's fast path
    and its row-by-row fallback give the reference's values and buckets."""
    session, time, state, wait, as_of = log
    assert_same_as_reference(session, time, state, wait, as_of, n_threads=2 if two_threads else 1)


@given(st.one_of(logs(), walk_logs()), st.booleans())
def test_grouped_and_interleaved_loops_agree(log, two_threads):
    """The kernel's two input-order loops (runs for grouped logs, in place with
    prefetch for interleaved ones) give identical states and counters on the same
    rows, dirty or clean, with or without as_of."""
    kernel = sys.modules["agentstats.aggregate"]._kernel
    new_states = sys.modules["agentstats.aggregate"]._new_states
    session, time, state, wait, as_of = log
    if not session:
        return
    codes = np.array(session, dtype=np.int64)
    times = np.array([np.iinfo(np.int64).min if t is None else t for t in time], dtype=np.int64)
    states = np.array([s if 0 <= s <= 4 else 255 for s in state], dtype=np.uint8)
    waits = np.array([np.iinfo(np.int64).min if w is None else w for w in wait or []], dtype=np.int64)
    results = []
    for grouped in (False, True):
        sessions = new_states(int(codes.max()) + 1)
        counters = np.zeros((2 if two_threads else 1, len(kernel.COUNTER_NAMES)), dtype=np.int64)
        status = kernel.scan(codes, 0, times, states, waits, sessions.view(np.uint8), counters,
                             has_wait=wait is not None, as_of=2**62 if as_of is None else as_of,
                             deadline=0.0, grouped=grouped)
        ok = status == kernel.STATUS_OK               # an aborted scan's counts mean nothing
        results.append((status, sessions.tobytes() if ok else None,
                        counters.sum(axis=0).tolist() if ok else None))
    assert results[0] == results[1]


@pytest.mark.parametrize("as_of", [np.iinfo(np.int64).min, np.iinfo(np.int64).min + 1, 5, 2**62])
def test_interleaved_short_path_edges_agree_with_grouped_loop(as_of):
    """Hand-made edges of the interleaved loop's short path against the grouped loop
    (which applies rows through _apply_row): waits that saturate the sum, a wait
    count at its limit, times at the int64 extremes, as_of at INT64_MIN (no time is
    valid), a missing wait on a call, and a bad state between good rows."""
    aggregate_module = importlib.import_module("agentstats.aggregate")
    kernel, new_states = aggregate_module._kernel, aggregate_module._new_states
    lo, hi, missing = np.iinfo(np.int64).min + 1, np.iinfo(np.int64).max, np.iinfo(np.int64).min
    codes = np.array([0, 1, 0, 1, 0, 1, 0, 1, 0, 2, 2, 2], dtype=np.int64)
    times = np.array([lo, lo, 1, 2, 3, 4, 5, 6, 7, 8, missing, hi], dtype=np.int64)
    states = np.array([1, 1, 2, 2, 1, 1, 2, 2, 255, 1, 2, 2], dtype=np.uint8)
    waits = np.array([0, 0, hi, missing, 0, 0, hi, 3, 0, 0, 9, hi], dtype=np.int64)
    results = []
    for grouped in (False, True):
        sessions = new_states(3)
        sessions["wait_n"][1] = 2**32 - 2       # one call from its limit
        sessions["wait_sum"][0] = 5             # two waits of INT64_MAX then saturate
        counters = np.zeros((1, len(kernel.COUNTER_NAMES)), dtype=np.int64)
        status = kernel.scan(codes, 0, times, states, waits, sessions.view(np.uint8), counters,
                             has_wait=True, as_of=as_of, deadline=0.0, grouped=grouped)
        results.append((status, sessions.tobytes(), counters.tolist()))
    assert results[0] == results[1]
    assert results[0][0] == kernel.STATUS_OK
    if as_of == 2**62:                           # session 0's waits saturate the sum
        final = np.frombuffer(results[0][1], dtype=sessions.dtype)
        assert final["wait_sum"][0] == 2**64 - 1 and final["wait_n"][1] == 2**32 - 1


_WAIT_BATCH = 256      # _kernel.pyx's WAIT_BATCH


@pytest.mark.parametrize("n_sessions", [3, 40])
@pytest.mark.parametrize("state_dtype", [np.uint8, np.int64])
def test_interleaved_waits_across_batches_agree_with_grouped_loop(n_sessions, state_dtype):
    """The interleaved loop applies the waits of its short-path calls a batch of rows
    at a time (WAIT_BATCH rows): thousands of interleaved rows, walks through
    SPEC 4.3 with missing waits, waits that saturate a session's sum, slow-path rows
    (duplicates, forbidden moves, bad states) mixed in, give the grouped loop's states
    and counters; a row out of time order after many batches stops both at that row
    with the states of the rows before it; the reference agrees on the whole log."""
    aggregate_module = importlib.import_module("agentstats.aggregate")
    kernel, new_states = aggregate_module._kernel, aggregate_module._new_states
    rng = np.random.default_rng(n_sessions)
    n = 5000
    missing, hi = np.iinfo(np.int64).min, np.iinfo(np.int64).max
    codes = rng.integers(0, n_sessions, n).astype(np.int64)
    times = np.sort(rng.integers(0, 10**6, n)).astype(np.int64)
    current = rng.integers(0, 4, n_sessions)
    states = np.empty(n, dtype=np.int64)
    for k, key in enumerate(codes):
        if rng.random() < 0.03:                   # a duplicate, forbidden or bad row
            states[k] = rng.choice([current[key], 9, 3 if current[key] == 0 else 2])
            continue
        current[key] = rng.choice([s for s in ALLOWED_NEXT[int(current[key])] if s != 4])
        states[k] = current[key]
    waits = rng.integers(0, 1000, n).astype(np.int64)
    waits[rng.random(n) < 0.2] = missing
    waits[(codes == 1) & (states == 2)] = hi      # session 1's sum saturates
    kernel_states = states.astype(state_dtype) if state_dtype == np.int64 else \
        np.where((states >= 0) & (states <= 4), states, 255).astype(np.uint8)

    def scan(rows, grouped):
        order = np.argsort(codes[:rows], kind="stable") if grouped else np.arange(rows)
        sessions = new_states(n_sessions)
        counters = np.zeros((1, len(kernel.COUNTER_NAMES)), dtype=np.int64)
        status = kernel.scan(codes[order], 0, times[order], kernel_states[order].view(np.uint8),
                             waits[order], sessions.view(np.uint8), counters, has_wait=True,
                             as_of=2**62, deadline=0.0, grouped=grouped,
                             state_width=kernel_states.itemsize)
        counters[0, kernel.COUNTER_NAMES.index("first_off_table_row")] = 0   # row numbers differ
        return status, sessions, counters.tolist()

    interleaved, grouped = scan(n, False), scan(n, True)
    assert interleaved[0] == grouped[0] == kernel.STATUS_OK
    assert interleaved[1].tobytes() == grouped[1].tobytes() and interleaved[2] == grouped[2]
    assert interleaved[1]["wait_sum"][1] == 2**64 - 1
    assert (interleaved[1]["wait_n"] > 0).all()

    late = 4 * _WAIT_BATCH + 17            # a row earlier than its session's last
    earlier = times.copy()
    key = codes[late]
    earlier[late] = times[:late][codes[:late] == key].max() - 1
    sessions = new_states(n_sessions)
    counters = np.zeros((1, len(kernel.COUNTER_NAMES)), dtype=np.int64)
    status = kernel.scan(codes, 0, earlier, kernel_states.view(np.uint8), waits,
                         sessions.view(np.uint8), counters, has_wait=True, as_of=2**62,
                         deadline=0.0, grouped=False, state_width=kernel_states.itemsize)
    assert status == kernel.STATUS_NEEDS_ORDER
    assert sessions.tobytes() == scan(late, False)[1].tobytes()

    for at in (3, _WAIT_BATCH + 5, n - 1):      # a negative wait on any row is found
        negative = waits.copy()
        negative[at] = -3
        sessions = new_states(n_sessions)
        counters = np.zeros((1, len(kernel.COUNTER_NAMES)), dtype=np.int64)
        status = kernel.scan(codes, 0, times, kernel_states.view(np.uint8), negative,
                             sessions.view(np.uint8), counters, has_wait=True, as_of=2**62,
                             deadline=0.0, grouped=False, state_width=kernel_states.itemsize)
        assert status == kernel.STATUS_NEGATIVE_WAIT, at

    wait_list = [None if w == missing else 7 if w == hi else int(w) for w in waits]
    assert_same_as_reference(codes.tolist(), times.tolist(), states.tolist(), wait_list,
                             n_threads=1)


def _ordered_scan(codes, times, states, threads):
    kernel = sys.modules["agentstats.aggregate"]._kernel
    new_states = sys.modules["agentstats.aggregate"]._new_states
    sessions = new_states(int(codes.max()) + 1)
    counters = np.zeros((threads, len(kernel.COUNTER_NAMES)), dtype=np.int64)
    status = kernel.scan(codes, 0, times, states, np.empty(0, dtype=np.int64),
                         sessions.view(np.uint8), counters, has_wait=False, as_of=2**62,
                         deadline=0.0)
    totals = counters.sum(axis=0)
    for name, pick in (("max_time", np.max), ("first_off_table_row", np.min)):
        column = kernel.COUNTER_NAMES.index(name)
        totals[column] = pick(counters[:, column])
    return status, sessions.tobytes(), totals.tolist()


def test_second_thread_scratch_is_kept_reused_and_released():
    """Issue 3 (speed): a multi-thread scan keeps the private states of its threads
    after the first for the next call (fresh pages cost a fault each). A kept buffer still holding another
    log's states gives the same states and SPEC 3 counts as fresh memory and as one
    thread; release_scratch() frees it; a buffer over 64 MiB is never kept."""
    kernel = sys.modules["agentstats.aggregate"]._kernel
    rng = np.random.default_rng(5)

    def log(n, n_sessions):      # time order, no SESSION_ENDED: two threads merge exactly
        return (rng.integers(0, n_sessions, n), np.sort(rng.integers(0, 10**9, n)),
                rng.integers(0, 4, n).astype(np.uint8))

    small, large = log(20_000, 500), log(30_000, 2_000)
    agentstats.release_scratch()
    fresh = _ordered_scan(*small, threads=2)
    assert fresh[0] == kernel.STATUS_OK
    assert fresh == _ordered_scan(*small, threads=1)
    assert agentstats.release_scratch() >= 500 * kernel.session_state_itemsize()
    assert agentstats.release_scratch() == 0
    assert _ordered_scan(*large, threads=2)[0] == kernel.STATUS_OK    # kept, dirty
    assert _ordered_scan(*small, threads=2) == fresh                   # reuses it
    assert _ordered_scan(*small, threads=3) == fresh        # one block for threads 1..2
    assert agentstats.release_scratch() >= 2_000 * kernel.session_state_itemsize()
    over = (64 << 20) // kernel.session_state_itemsize() + 1
    wide = (np.array([0, over - 1, 0, over - 1]), np.array([1, 2, 3, 4]),
            np.array([1, 1, 2, 2], dtype=np.uint8))
    assert _ordered_scan(*wide, threads=2) == _ordered_scan(*wide, threads=1)
    assert agentstats.release_scratch() == 0


def test_kept_session_states_are_cleared_and_released():
    """aggregate() keeps its session states for the next call (fresh pages cost a fault
    each): a call on the kept, dirty buffer -- whatever the log before it held -- gives
    the reference's answer, as does one on fresh memory; release_scratch() frees it."""
    rng = np.random.default_rng(11)
    n_sessions = 40_000                 # 2.4 MiB of states: large enough to be kept

    def log(n, calls_with_waits):
        session = rng.integers(0, n_sessions, n)
        time = np.sort(rng.integers(0, 10**6, n))
        state = rng.integers(0, 5, n)
        wait = np.where(state == 2, rng.integers(0, 50, n), -1) if calls_with_waits else None
        wait = None if wait is None else [None if w < 0 else int(w) for w in wait]
        return session.tolist(), time.tolist(), state.tolist(), wait

    agentstats.release_scratch()
    first, second = log(60_000, True), log(50_000, True)
    fresh = assert_same_as_reference(*second, n_threads=1)     # fresh memory
    assert agentstats.release_scratch() >= n_sessions * 64
    assert agentstats.release_scratch() == 0
    assert_same_as_reference(*first, n_threads=1)              # leaves its states kept
    again = assert_same_as_reference(*second, n_threads=1)     # on the dirty buffer
    assert actual_ticks(again) == actual_ticks(fresh)
    assert agentstats.release_scratch() >= n_sessions * 64


def _kernel_arrays(log):
    session, time, state, wait, as_of = log
    missing = np.iinfo(np.int64).min
    return (np.array(session, dtype=np.int64),
            np.array([missing if t is None else t for t in time], dtype=np.int64),
            np.array([s if 0 <= s <= 4 else 255 for s in state], dtype=np.uint8),
            np.array([missing if w is None else w for w in wait or []], dtype=np.int64),
            wait is not None, 2**62 if as_of is None else as_of)


def _unordered(arrays, *, entries, threads, need_rows=True):
    kernel = sys.modules["agentstats.aggregate"]._kernel
    new_states = sys.modules["agentstats.aggregate"]._new_states
    codes, times, states, waits, has_wait, as_of = arrays
    sessions = new_states(int(codes.max()) + 1)
    counters = np.zeros((threads, len(kernel.COUNTER_NAMES)), dtype=np.int64)
    status = kernel.scan_unordered(codes, 0, times, states, waits, sessions.view(np.uint8),
                                   counters, has_wait=has_wait, as_of=as_of, deadline=0.0,
                                   need_rows=need_rows, entries=entries)
    totals = counters.sum(axis=0)
    totals[kernel.COUNTER_NAMES.index("first_off_table_row")] = counters[
        :, kernel.COUNTER_NAMES.index("first_off_table_row")].min()
    return status, sessions.tobytes(), totals.tolist()


def _without_row_numbers(result):
    """A result with value entries has no first off-table row (need_rows=False)."""
    kernel = sys.modules["agentstats.aggregate"]._kernel
    status, sessions, totals = result
    totals = list(totals)
    totals[kernel.COUNTER_NAMES.index("first_off_table_row")] = np.iinfo(np.int64).max
    return status, sessions, totals


@given(st.one_of(logs(), walk_logs()), st.booleans())
def test_unordered_buffer_entries_agree(log, two_threads):
    """The unordered path's buffer holds row numbers (4 bytes below 2**29 rows, 8 above)
    or, without waits, values (time * 8 + state): every kind gives identical states and
    counters (each kind forced here), values without the first off-table row."""
    if not log[0]:
        return
    arrays = _kernel_arrays(log)
    threads = 2 if two_threads else 1
    rows32 = _unordered(arrays, entries="rows32", threads=threads)
    assert rows32 == _unordered(arrays, entries="rows64", threads=threads)
    if arrays[4]:        # values cannot carry waits: compare on the log without them
        arrays = (*arrays[:3], np.empty(0, dtype=np.int64), False, arrays[5])
        rows32 = _unordered(arrays, entries="rows32", threads=threads)
    values = _unordered(arrays, entries="values", threads=threads, need_rows=False)
    assert values == _without_row_numbers(rows32)
    assert _unordered(arrays, entries="auto", threads=threads, need_rows=False) == values


def test_unordered_values_refused_when_they_cannot_hold_the_log():
    """SPEC 2.8: waits need row numbers; so does the first off-table row of strict mode
    (SPEC 3.3): entries="values" is refused there, and "auto" takes row numbers."""
    kernel = sys.modules["agentstats.aggregate"]._kernel
    log = ([1, 1, 2], [5, 3, 1], [2, 1, 1], [7, None, None], None)
    arrays = _kernel_arrays(log)
    assert _unordered(arrays, entries="values", threads=1, need_rows=False)[0] == \
        kernel.STATUS_VALUES_UNFIT
    no_wait = (*arrays[:3], np.empty(0, dtype=np.int64), False, arrays[5])
    assert _unordered(no_wait, entries="values", threads=1, need_rows=True)[0] == \
        kernel.STATUS_VALUES_UNFIT
    assert _unordered(no_wait, entries="values", threads=1, need_rows=False)[0] == kernel.STATUS_OK
    # a time span of 2**61 ticks or more does not fit beside the state bits
    wide = (np.array([1, 1]), np.array([0, 2**61]), np.array([1, 4], dtype=np.uint8),
            np.empty(0, dtype=np.int64), False, 2**62)
    assert _unordered(wide, entries="values", threads=1, need_rows=False)[0] == \
        kernel.STATUS_VALUES_UNFIT
    assert _unordered(wide, entries="auto", threads=1, need_rows=False) == \
        _unordered(wide, entries="rows32", threads=1, need_rows=False)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("span", [10_000, 2**50, 2**61 - 1])
def test_unordered_values_across_buckets(threads, span):
    """Value entries go through buckets of 2**shift consecutive sessions (at most
    BUCKET_ROWS = 2**17 rows each), shift shrinking as the time span takes bits: with
    400k rows several buckets, and at a span of 2**61 - 1 one session a bucket. The
    result equals the row-number path's, SPEC 3 buckets included (dirty rows)."""
    rng = np.random.default_rng(span % 1000)
    n, n_sessions = 400_000, 3_000
    codes = rng.integers(0, n_sessions, n)
    times = rng.integers(-2**62, -2**62 + span, n, endpoint=True)
    times[rng.random(n) < 0.001] = np.iinfo(np.int64).min        # missing time
    states = rng.integers(0, 5, n).astype(np.uint8)
    states[rng.random(n) < 0.001] = 9                           # invalid state
    times[:2] = [-2**62, -2**62 + span]                         # the whole span
    arrays = (codes, times, states, np.empty(0, dtype=np.int64), False, -2**62 + span - 5)
    values = _unordered(arrays, entries="values", threads=threads, need_rows=False)
    assert values[0] == 0
    assert values == _without_row_numbers(_unordered(arrays, entries="rows32", threads=threads))


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("profile", ["ties", "one_wide_session", "in_order", "spread"])
def test_unordered_values_spread_by_time_in_large_buckets(threads, profile):
    """SPEC 1.1 (any row order) and 2.1 (stable order of equal times): a bucket of at
    least SPREAD_MIN_ROWS = 2**14 value entries is first spread by coarse time over its
    own time range, then grouped by session, and each session finishes with an
    insertion pass (or the full sort when that pass would be long). Here 200k rows of
    1000 sessions make two buckets of ~100k rows; the profiles hit equal times within a
    session (stability across both passes), one session so wide that every other one
    falls in a few bins (the full-sort fallback), sessions already in time order, and a
    plain spread. Each equals the row-number path, itself checked on the reference."""
    rng = np.random.default_rng(7)
    n, n_sessions = 200_000, 1_000
    codes = rng.integers(0, n_sessions, n)
    if profile == "ties":
        times = rng.integers(0, 40, n)                        # ~5 rows a time value
    elif profile == "one_wide_session":
        times = rng.integers(0, 1_000, n)
        times[codes == 0] = rng.integers(0, 2**40, int((codes == 0).sum()))
    else:
        times = rng.integers(0, 10**12, n)
    if profile == "in_order":
        times = np.sort(times)               # each session's rows already in time order
    states = rng.integers(0, 5, n).astype(np.uint8)
    states[rng.random(n) < 0.001] = 9                           # invalid state
    arrays = (codes, times, states, np.empty(0, dtype=np.int64), False, 2**62)
    values = _unordered(arrays, entries="values", threads=threads, need_rows=False)
    assert values[0] == 0
    assert values == _without_row_numbers(_unordered(arrays, entries="rows32", threads=threads))


@pytest.mark.parametrize("threads", [1, 2])
def test_unordered_big_session_every_entry_kind(threads):
    """A session larger than the local sort buffer is heap-sorted in place in the row
    buffer: the same states with 4- and 8-byte entries (the 4-byte path is checked
    against the reference by test_session_larger_than_the_local_sort_buffer); value
    entries are refused for it, and "auto" takes row numbers."""
    kernel = sys.modules["agentstats.aggregate"]._kernel
    rng = np.random.default_rng(12)
    n = 70_000                                  # > LOCAL_ROWS (32768)
    order = rng.permutation(n + 100)
    columns = ([0] * n + [1] * 100, rng.integers(0, 5_000, n + 100).tolist(),
               rng.integers(0, 5, n + 100).tolist(), rng.integers(0, 50, n + 100).tolist())
    session, time, state, wait = ([c[i] for i in order] for c in columns)
    arrays = _kernel_arrays((session, time, state, wait, None))
    rows32 = _unordered(arrays, entries="rows32", threads=threads)
    assert rows32[0] == 0
    assert rows32 == _unordered(arrays, entries="rows64", threads=threads)
    no_wait = (*arrays[:3], np.empty(0, dtype=np.int64), False, arrays[5])
    assert _unordered(no_wait, entries="values", threads=threads, need_rows=False)[0] == \
        kernel.STATUS_VALUES_UNFIT
    assert _unordered(no_wait, entries="auto", threads=threads, need_rows=False) == \
        _unordered(no_wait, entries="rows32", threads=threads, need_rows=False)


def test_result_as_of_closes_open_sessions_later():
    aggregator = agentstats.Aggregator()
    aggregator.update([1, 1], np.array([0, 10], dtype="datetime64[s]"), [1, 2])
    assert aggregator.result().ticks["talk"].tolist() == [0]
    assert aggregator.result(as_of=np.datetime64(25, "s")).ticks["talk"].tolist() == [15]
    with pytest.raises(ValueError, match="earlier than rows already aggregated"):
        aggregator.result(as_of=np.datetime64(5, "s"))


def test_head_in_time_order_counts_only_rows_the_scan_applies():
    """SPEC 1.1 / 3: a missing time, an invalid state or a row after as_of never makes
    the ordered scan stop, so they do not send a log to the unordered path either."""
    head = sys.modules["agentstats.aggregate"]._head_in_time_order
    missing = np.iinfo(np.int64).min
    codes = np.array([1, 2, 1, 1, 2, 1], dtype=np.int64)
    ticks = np.array([5, 1, missing, 7, 3, 9], dtype=np.int64)
    states = np.array([1, 1, 1, 2, 0, 1], dtype=np.uint8)
    assert head(codes, ticks, states, 2**62)
    assert not head(codes, np.array([5, 1, 4, 7, 3, 9]), states, 2**62)     # 4 < 5, session 1
    assert head(codes, np.array([5, 1, 4, 7, 3, 9]), np.array([1, 1, 9, 2, 0, 1], dtype=np.uint8),
                2**62)                                                      # that row is invalid
    assert head(codes, np.array([5, 1, 99, 7, 3, 9]), states, 50)           # after as_of
    assert not head(codes, np.array([5, 1, 99, 7, 3, 9]), states, 2**62)


def test_unordered_head_skips_the_ordered_scan(monkeypatch):
    """A log whose first rows already go back in time goes straight to the unordered
    path (no ordered scan to set up and undo), with the reference's result; a log in
    time order still takes the ordered scan alone."""
    module = sys.modules["agentstats.aggregate"]
    calls = []
    monkeypatch.setattr(module, "_kernel", _RecordingKernel(module._kernel, calls))
    assert_same_as_reference([1, 1, 2, 2, 1], [10, 5, 1, 2, 20], [1, 0, 1, 2, 4])
    assert calls == ["scan_unordered"]
    calls.clear()
    assert_same_as_reference([1, 2, 1, 2, 1], [1, 2, 5, 6, 20], [1, 1, 2, 4, 4])
    assert calls == ["scan"]


class _RecordingKernel:
    """The kernel module, recording which of its functions aggregate calls."""

    def __init__(self, kernel, calls):
        self._kernel, self._calls = kernel, calls

    def __getattr__(self, name):
        value = getattr(self._kernel, name)
        if callable(value) and name.startswith("scan"):
            def recorded(*args, **kwargs):
                self._calls.append(name)
                return value(*args, **kwargs)
            return recorded
        return value


# -- int64 states and waits checked inside the ordered scan ---------------------------

# int64 states whose low byte is a valid state (2**40 + 2, -254, 258) must still be
# invalid_state (SPEC 3): the scan reads all 8 bytes, not a truncated copy.
WIDE_STATES = st.one_of(VALID_STATES, VALID_STATES, VALID_STATES,
                        st.sampled_from([-1, 5, 258, -254, 2**40 + 2, -(2**63), 2**63 - 1]))


@given(logs(), st.lists(WIDE_STATES, min_size=60, max_size=60), st.booleans())
def test_int64_states_read_in_place_equal_uint8_codes(log, wide_states, two_threads):
    """The ordered scan reads an int64 state column in place (no conversion pass):
    every kernel path gives the same states and counters as for the uint8 codes a
    conversion would have made (anything outside 0..4 invalid_state, SPEC 3), in both
    input-order loops and on one or two threads."""
    module = importlib.import_module("agentstats.aggregate")
    kernel, new_states = module._kernel, module._new_states
    codes, times, _, waits, has_wait, as_of = _kernel_arrays(log)
    if not len(codes):
        return
    wide = np.array(wide_states[:len(codes)], dtype=np.int64)
    narrow = np.where((wide >= 0) & (wide <= 4), wide, 255).astype(np.uint8)
    results = []
    for states, width in ((narrow, 1), (wide, 8)):
        for grouped in (False, True):
            sessions = new_states(int(codes.max()) + 1)
            counters = np.zeros((2 if two_threads else 1, len(kernel.COUNTER_NAMES)), dtype=np.int64)
            status = kernel.scan(codes, 0, times, states.view(np.uint8), waits,
                                 sessions.view(np.uint8), counters, has_wait=has_wait,
                                 as_of=as_of, deadline=0.0, grouped=grouped, state_width=width)
            ok = status == kernel.STATUS_OK
            results.append((status, sessions.tobytes() if ok else None,
                            counters.sum(axis=0).tolist() if ok else None))
    assert results[1:] == results[:1] * 3


@given(logs(), st.lists(WIDE_STATES, min_size=60, max_size=60))
def test_int64_states_equal_reference(log, wide_states):
    """aggregate() on int64 states with the edge values above (read in place by the
    ordered scan, converted for the unordered path) equals the plain-Python reference."""
    session, time, _, wait, as_of = log
    state = wide_states[:len(session)]
    for threads in (1, 2):
        assert_same_as_reference(session, time, state, wait, as_of, n_threads=threads)


def test_int64_invalid_state_in_strict_mode_names_its_row():
    """SPEC 3.1: strict mode names the first invalid row of an int64 state column the
    scan read in place, with the value as given (2**40 + 2 is not state 2)."""
    with pytest.raises(agentstats.TapiError, match=r"row 2: invalid_state: state 1099511627778 is not 0\.\.4"):
        agentstats.aggregate([1, 1, 1, 1], np.arange(4), np.array([1, 2, 2**40 + 2, 4]), unit="s")


NEGATIVE_WAIT_CASES = {
    # name: (session, time, state, wait, as_of, the row named)
    "on a call in order": ([1, 2, 1, 2, 1], [0, 1, 2, 3, 4], [1, 1, 2, 2, 4], [0, 0, 3, -4, 0], None, 3),
    "on a session's first row": ([1, 2, 1], [0, 1, 2], [1, 2, 4], [0, -1, 0], None, 1),
    "on a row that enters no call": ([1, 1, 1], [0, 1, 2], [1, 0, 1], [0, -9, 0], None, 1),
    "on an invalid_state row": ([1, 1, 1], [0, 1, 2], [1, 7, 2], [0, -2, 5], None, 1),
    "on a missing-time row": ([1, 1, 1], [0, None, 2], [1, 2, 2], [0, -2, 5], None, 1),
    "on a row after as_of": ([1, 1, 1], [0, 1, 9], [1, 2, 3], [0, 1, -3], 5, 2),
    "no row can be applied": ([1, 1], [None, None], [1, 2], [-5, -6], None, 0),
    "two negatives, the first named": ([1, 2, 1, 2], [0, 1, 2, 3], [1, 1, 2, 2], [0, -1, -2, 0], None, 1),
    "out of time order": ([1, 1, 1], [5, 2, 9], [1, 2, 3], [0, 0, -1], None, 2),
    "grouped by session": ([1, 1, 1, 2, 2, 2], [0, 1, 2, 0, 1, 2], [1, 2, 3, 1, 2, 3], [0, 0, 0, 0, -8, 0], None, 4),
}


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("case", NEGATIVE_WAIT_CASES, ids=list(NEGATIVE_WAIT_CASES))
def test_negative_wait_found_by_the_scan_names_the_same_row(case, threads):
    """The ordered scan checks the waits as it reads them (no pass of its own): a
    negative wait raises the error it always did -- ValueError naming the first such
    row and its value as given -- wherever the row is (any bucket, any loop, the
    unordered path), nothing of the chunk is kept, and a later chunk still works."""
    session, time, state, wait, as_of, row = NEGATIVE_WAIT_CASES[case]
    s, t, stt, _ = to_columns(session, time, state, None)
    as_of = None if as_of is None else np.datetime64(as_of, "s")
    for w in (np.array(wait, dtype=np.int64), np.array(wait, dtype=np.float64) - 0.25):
        shown_value = f"{w[row]:g}" if w.dtype.kind == "f" else str(w[row])
        with pytest.raises(ValueError, match=rf"^wait at row {row} is negative \({shown_value}\)$"):
            agentstats.aggregate(s, t, stt, wait=w, unit="s", as_of=as_of, strict=False,
                                 n_threads=threads)
    aggregator = agentstats.Aggregator(unit="s", strict=False, n_threads=threads)
    with pytest.raises(ValueError, match=rf"wait at row {row} is negative"):
        aggregator.update(s, t, stt, wait=np.array(wait, dtype=np.int64))
    assert aggregator.result().diagnostics["rows"] == 0        # nothing of it kept
    fixed = np.maximum(np.array(wait, dtype=np.int64), 0)
    assert aggregator.update(s, t, stt, wait=fixed).result().diagnostics["rows"] == len(session)


def test_negative_wait_in_a_long_log_on_two_threads():
    """A negative wait in each half of a two-thread scan, or only in the second: the
    first one is named."""
    n = 3 << 20
    codes = np.arange(n, dtype=np.int64) % 1000
    times = np.arange(n, dtype=np.int64)
    states = np.tile(np.array([1, 2, 3], dtype=np.int64), n // 3)
    for bad_rows in ([n - 5], [n // 4, n - 5]):
        wait = np.zeros(n, dtype=np.int64)
        wait[bad_rows] = -1
        with pytest.raises(ValueError, match=rf"^wait at row {bad_rows[0]} is negative \(-1\)$"):
            agentstats.aggregate(codes, times, states, wait=wait, unit="s", n_threads=2)


def test_negative_wait_named_before_a_missing_session_key():
    """The negative wait is still the error reported when the keys are also bad (the
    check the scan would have done runs before the key error is raised)."""
    with pytest.raises(ValueError, match=r"wait at row 1 is negative"):
        agentstats.aggregate(np.array([1.0, np.nan]), [0, 1], [1, 2], wait=[0, -1], unit="s")


# -- the per-call passes before the scan: key range, head-of-log order check ---------

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)


@pytest.mark.parametrize("n", list(range(1, 20)) + [31, 32, 33, 1 << 20, (1 << 20) + 5])
def test_key_range_every_length_around_the_vector_width(n):
    """key_range (AVX2 where the CPU has it, else scalar; one or two threads) against
    NumPy's min and max, with the extremes at the first row, the last, the middle and
    inside the scalar tail."""
    kernel = importlib.import_module("agentstats.aggregate")._kernel
    keys = np.random.default_rng(n).integers(-1000, 1000, n, dtype=np.int64)
    for where in {0, n - 1, n // 2, max(0, n - 3)}:
        for low, high in ((2**63 - 1, -(2**63)), (-(2**63), 2**63 - 1)):
            k = keys.copy()
            k[where] = low
            k[(where + 1) % n] = high if n > 1 else low
            ways = {kernel.key_range(k, threads, vectors) for threads in (1, 2)
                    for vectors in (True, False)}
            assert ways == {(int(k.min()), int(k.max()))}


@given(st.lists(INT64, min_size=1, max_size=300))
def test_key_range_equals_min_and_max(values):
    kernel = importlib.import_module("agentstats.aggregate")._kernel
    keys = np.array(values, dtype=np.int64)
    assert {kernel.key_range(keys, 1, vectors) for vectors in (True, False)} == {(min(values), max(values))}


def _head_in_time_order_twin(codes, ticks, states, as_of, sample=4096):
    """Plain-Python twin of the kernel's head check: does any session of the applied
    rows among the first `sample` go back in time?"""
    latest = {}
    for code, t, s in zip(codes[:sample].tolist(), ticks[:sample].tolist(), states[:sample].tolist()):
        if t == np.iinfo(np.int64).min or not 0 <= s <= 4 or t > as_of:
            continue
        if code in latest and t < latest[code]:
            return False
        latest[code] = t
    return True


@given(logs(), st.lists(WIDE_STATES, min_size=60, max_size=60), st.integers(1, 70),
       st.sampled_from([np.iinfo(np.int64).min, 10, 2**62]))
def test_head_in_time_order_equals_its_twin(log, wide_states, sample, as_of):
    """The compiled head-of-log check against its twin, on uint8 and int64 states, with
    any sample length (shorter or longer than the log)."""
    head = importlib.import_module("agentstats.aggregate")._head_in_time_order
    codes, times, narrow, _, _, _ = _kernel_arrays(log)
    wide = np.array(wide_states[:len(codes)], dtype=np.int64)
    for states in (narrow, wide):
        assert head(codes, times, states, as_of, sample) == _head_in_time_order_twin(
            codes, times, states, as_of, sample)


def test_head_in_time_order_many_sessions_and_a_late_violation():
    """4096 distinct sessions fill the table to half; the one violation is the last row."""
    head = importlib.import_module("agentstats.aggregate")._head_in_time_order
    codes = np.concatenate([np.arange(4095, dtype=np.int64) * 7919 - 2**40, [5 * 7919 - 2**40]])
    ticks = np.arange(4096, dtype=np.int64)
    ticks[-1] = 1
    states = np.ones(4096, dtype=np.uint8)
    assert not head(codes, ticks, states, 2**62)
    assert head(codes, ticks, states, 2**62, 4095)
