"""Pieces of a log aggregated apart and merged in order (partial.py) equal the whole log
aggregated at once, and the plain-Python reference (SPEC 1-3), for cuts anywhere:
sessions crossing piece edges, sessions ended in an earlier piece, repeated calls at a
piece's start, empty pieces."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import agentstats
from agentstats.partial import MergeUnsupported, check_time_order, merge_partials, partial_aggregate
from checks import BUCKETS, actual_ticks, expected_ticks, to_columns
from reference import reference

VALID = st.integers(0, 4)
STATES = st.one_of(VALID, VALID, VALID, st.sampled_from([-1, 7]))


@st.composite
def time_ordered_logs(draw):
    """Time-ordered logs (the layout of daily files) with ties across cuts, and cuts."""
    n = draw(st.integers(0, 60))
    session = draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
    time = sorted(draw(st.lists(st.integers(0, 30), min_size=n, max_size=n)))
    state = draw(st.lists(STATES, min_size=n, max_size=n))
    wait = None
    if draw(st.booleans()):
        wait = draw(st.lists(st.one_of(st.none(), st.integers(0, 20)), min_size=n, max_size=n))
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=5)))
    as_of = draw(st.one_of(st.none(), st.integers(0, 35)))
    return session, time, state, wait, [0, *cuts, n], as_of


def pieces_of(session, time, state, wait, bounds):
    s, t, stt, w = to_columns(session, time, state, wait)

    def columns(lo, hi, keys=None):
        chosen = np.zeros(len(s), dtype=bool)
        chosen[lo:hi] = True
        if keys is not None:
            chosen &= np.isin(s, np.asarray(keys, dtype=s.dtype))
        out = {"session": s[chosen], "time": t[chosen], "state": stt[chosen]}
        if w is not None:
            out["wait"] = w[chosen]
        return out

    ranges = list(zip(bounds, bounds[1:]))
    return [columns(lo, hi) for lo, hi in ranges], lambda keys: [columns(lo, hi, keys) for lo, hi in ranges]


def merged(session, time, state, wait, bounds, as_of, **options):
    pieces, rows_of = pieces_of(session, time, state, wait, bounds)
    as_of = None if as_of is None else np.datetime64(as_of, "s")
    parts = [partial_aggregate(p, as_of=as_of, strict=False, **options) for p in pieces]
    # The form sent between processes: the pieces pickle by value.
    parts = [pickle.loads(pickle.dumps(p, protocol=5)) for p in parts]
    assert check_time_order(parts)
    return merge_partials(parts, as_of=as_of, rows_of=rows_of, **options)


@settings(max_examples=min(300, settings().max_examples))   # (the suite's time: half the CI profile)
@given(time_ordered_logs())
def test_merged_pieces_equal_the_reference_and_one_aggregation(log):
    session, time, state, wait, bounds, as_of = log
    table = merged(session, time, state, wait, bounds, as_of)
    sessions, buckets, _ = reference(session, time, state, wait, as_of)
    assert actual_ticks(table) == expected_ticks(sessions)                         # SPEC 2
    assert {name: table.diagnostics[name] for name in BUCKETS} == buckets          # SPEC 3
    assert table.diagnostics["rows"] == len(session)
    s, t, stt, w = to_columns(session, time, state, wait)
    one = agentstats.aggregate(s, t, stt, wait=w, strict=False,
                               as_of=None if as_of is None else np.datetime64(as_of, "s"))
    assert table.keys.tolist() == one.keys.tolist()
    assert table.as_of == one.as_of
    assert table.to_pandas().equals(one.to_pandas())


# Hand-made edges: (session, time, state, wait, bounds)
EDGES = {
    "talk-crosses-the-edge": ([1, 1, 1], [0, 10, 20], [1, 2, 1], None, [0, 2, 3]),
    "duplicate-at-the-edge": ([1, 1, 1], [0, 10, 20], [1, 2, 2], None, [0, 2, 3]),
    "repeated-call-with-wait": ([1, 1, 1, 1], [0, 5, 10, 20], [1, 2, 2, 3], [None, 3, 9, None], [0, 2, 4]),
    "ended-then-more-rows": ([1, 1, 1, 1], [0, 5, 10, 20], [1, 4, 1, 2], None, [0, 2, 4]),
    "off-table-at-the-edge": ([1, 1], [0, 10], [0, 2], None, [0, 1, 2]),
    "tie-across-the-edge": ([1, 1, 1], [0, 10, 10], [1, 2, 3], None, [0, 2, 3]),
    "empty-pieces": ([1, 2, 1], [0, 1, 2], [1, 1, 2], None, [0, 0, 1, 1, 3, 3]),
}


@pytest.mark.parametrize("log", EDGES.values(), ids=EDGES.keys())
def test_edges_of_pieces(log):
    session, time, state, wait, bounds = log
    table = merged(session, time, state, wait, bounds, None)
    sessions, buckets, _ = reference(session, time, state, wait, None)
    assert actual_ticks(table) == expected_ticks(sessions)
    assert {name: table.diagnostics[name] for name in BUCKETS} == buckets


def test_set_aside_sessions_need_their_rows():
    session, time, state, wait, bounds = EDGES["ended-then-more-rows"]
    pieces, _ = pieces_of(session, time, state, wait, bounds)
    with pytest.raises(MergeUnsupported):
        merge_partials([partial_aggregate(p) for p in pieces])


def test_pieces_out_of_time_order_are_detected():
    pieces, _ = pieces_of([1, 1], [10, 0], [1, 2], None, [0, 1, 2])
    parts = [partial_aggregate(p) for p in pieces]
    assert not check_time_order(parts)
    with pytest.raises(MergeUnsupported, match="earlier"):
        merge_partials(parts)


def test_off_table_raise_names_the_session_at_the_edge():
    pieces, _ = pieces_of([7, 7], [0, 10], [0, 2], None, [0, 1, 2])
    parts = [partial_aggregate(p, off_table="raise") for p in pieces]
    with pytest.raises(agentstats.TapiError, match="session 7"):
        merge_partials(parts, off_table="raise")


def test_string_keys_and_metadata_merge():
    pieces = [
        {"session": np.array(["a", "b"], dtype=object), "time": np.array([0, 1]), "state": np.array([1, 1]),
         "agent": np.array([None, "bob"], dtype=object)},
        {"session": np.array(["a", "c"], dtype=object), "time": np.array([5, 6]), "state": np.array([2, 1]),
         "agent": np.array(["ann", "cat"], dtype=object)},
    ]
    table = merge_partials([partial_aggregate(p, unit="s") for p in pieces], unit="s")
    whole = {name: np.concatenate([p[name] for p in pieces]) for name in pieces[0]}
    one = agentstats.aggregate(data=whole, **{name: name for name in whole}, unit="s")
    assert table.to_pandas().equals(one.to_pandas())
    # SPEC 1: a session keeps its first row's agent (here none), as one aggregation does.
    assert table.meta["agent"].tolist() == [None, "bob", "cat"]


def test_empty_pieces_keep_the_as_of_they_were_given():
    # SPEC 1.1: an empty log aggregated in pieces reports the as_of of one aggregation.
    table = merged([], [], [], None, [0, 0], 0)
    s, t, stt, w = to_columns([], [], [], None)
    one = agentstats.aggregate(s, t, stt, strict=False, as_of=np.datetime64(0, "s"))
    assert table.as_of == one.as_of == 0
