"""How the agent timeline's result is built (SPEC 7.1, 7.2): close() reads the records
without changing them and hands over one row of totals per agent; the records of a
one-shot call are kept for the next one, which gives the same answer on them; integer
agent ids are ordered without a sort, and fresh ranges of ids are numbered without an
array of them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import agentstats
from agentstats import _agents
from agentstats.aggregate import _dense_order, _sorting_order
from agentstats.agents import TIME_FIELDS, AgentAggregator, _new_agents, agent_stats
from agentstats.hresult import TapiError
from agentstats.keycodes import KeyCodes

H = 3600
INT64_MAX = np.iinfo(np.int64).max
MISSING = np.iinfo(np.int64).min


def _log(rng, n_agents, n_rows, queues=2):
    """A time-ordered log of `n_agents` agents with `queues` sessions each."""
    session = rng.integers(0, n_agents * queues, n_rows)
    agent = session // queues
    time = np.sort(rng.integers(0, 10 * H, n_rows))
    state = rng.integers(0, 5, n_rows)
    return session, time, state, agent


def _tables_equal(a, b):
    assert list(a.keys) == list(b.keys)
    for name in a.ticks:
        assert np.array_equal(a.ticks[name], b.ticks[name]), name
    pd.testing.assert_frame_equal(a.to_pandas(), b.to_pandas())


def test_close_reads_the_records_and_gives_their_totals():
    """SPEC 7.1: close() at as_of spends each open agent's time up to as_of in the
    summary it returns, and leaves the records as they were (more chunks may follow)."""
    rng = np.random.default_rng(3)
    session, time, state, agent = _log(rng, 50, 2_000)
    aggregator = AgentAggregator(unit="s", sessions=False)
    aggregator.update(session, time, state, agent=agent)
    before = aggregator._agent_states.copy()
    as_of = int(time.max()) + 600
    status, _, _, too_big, summary = _agents.close(aggregator._agent_states.view(np.uint8),
                                                   as_of=as_of, origin=0, width=0)
    assert status == 0 and too_big == -1
    assert aggregator._agent_states.tobytes() == before.tobytes()
    column = dict(zip(_agents.SUMMARY_COLUMNS, summary))
    for name, k in TIME_FIELDS.items():
        assert np.all(column[name] >= before["times"][:, k].astype(np.int64))
    assert np.array_equal(column["logged_in"], column["not_ready"] + column["ready"]
                          + column["talk"] + column["wrap"])
    assert np.array_equal(column["calls"], before["calls"])
    assert np.array_equal(column["first_login"], before["first_login"])
    # two results in a row are the same (nothing was closed in place)
    _tables_equal(aggregator.result(as_of=as_of), aggregator.result(as_of=as_of))


def test_close_names_the_first_agent_whose_total_does_not_fit_int64():
    agents = _new_agents(3)
    agents["last_time"] = 0
    agents["times"][1, 0] = INT64_MAX          # fits
    agents["times"][1, 1] = 1                  # ... but the sum does not
    agents["times"][2, 3] = INT64_MAX + 1      # does not fit itself
    _, _, _, too_big, _ = _agents.close(agents.view(np.uint8), as_of=0, origin=0, width=0)
    assert too_big == 1


def test_an_agent_logged_in_for_more_than_int64_ticks_is_an_error():
    """A wall-clock total beyond int64 ticks raises (never a silent wrap)."""
    time = np.array([-(2 ** 62), 2 ** 62 + 2 ** 61], dtype=np.int64)
    with pytest.raises(TapiError, match="agent 'a': a total does not fit in int64 ticks"):
        agent_stats([1, 1], time, [1, 4], agent=["a", "a"], unit="ns", sessions=False)


def test_one_shot_calls_reuse_kept_records_and_give_the_fresh_answer():
    """The records of a one-shot agent_stats() are kept for the next call (fresh pages
    cost a fault each): a call on the kept, dirty buffers -- whatever the log before it
    held -- equals one on fresh memory; release_scratch() frees them."""
    rng = np.random.default_rng(8)
    big = _log(rng, 20_000, 60_000)           # 3.8 MB of agent records: kept
    small = _log(rng, 15_000, 40_000, queues=3)
    agentstats.release_scratch()
    fresh = agent_stats(*small[:3], agent=small[3], unit="s", sessions=False)
    assert agentstats.release_scratch() >= 15_000 * _agents.timeline_agent_itemsize()
    assert agentstats.release_scratch() == 0
    agent_stats(*big[:3], agent=big[3], unit="s", sessions=False)      # leaves its records
    again = agent_stats(*small[:3], agent=small[3], unit="s", sessions=False)
    _tables_equal(fresh, again)
    assert agentstats.release_scratch() > 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-(2 ** 40), 2 ** 40), min_size=1, max_size=300, unique=True),
       st.integers(0, 5000))
def test_dense_order_sorts_like_argsort(keys, spread):
    keys = np.array(keys, dtype=np.int64)
    extra = min(spread, len(keys) + 1000)     # ids with gaps, but filling half their range
    dense = keys.min() + np.random.default_rng(spread).permutation(len(keys) + extra)[:len(keys)]
    for k in (keys, dense.astype(np.int64)):
        order = _dense_order(k)
        if order is not None:
            assert np.array_equal(order, np.argsort(k, kind="stable"))
    assert _dense_order(dense.astype(np.int64)) is not None      # a range mostly full
    assert _dense_order(np.array([0, 10 ** 9], dtype=np.int64)) is None
    repeated = np.array([3, 1, 3, 2], dtype=np.int64)           # not a table's keys
    assert _dense_order(repeated) is None
    assert np.array_equal(_sorting_order(repeated), np.argsort(repeated, kind="stable"))
    # keys in order already (and sorted keys of any integer width): the same order
    for k in (np.sort(keys), np.sort(dense).astype(np.int32), np.sort(keys)[::-1]):
        assert np.array_equal(_sorting_order(k), np.argsort(k, kind="stable"))


@pytest.mark.parametrize("first", [0, 7, -20_000])
def test_fresh_key_ranges_number_like_an_index_of_the_keys(first):
    """Keys that continue a dense range are numbered key - base, their index a range;
    a chunk after it with a gap and older keys, then strings, still gets codes that
    name each row's key, and every key once."""
    rng = np.random.default_rng(abs(first) + 50)
    chunks = [first + rng.permutation(30_000), first + rng.integers(0, 45_000, 30_000),
              first + 10 ** 9 + rng.integers(0, 10, 1_000)]
    codes = KeyCodes("agent")
    got = []
    for keys in chunks:
        got.append(codes.coded(keys.astype(np.int64)).codes())
        codes.commit()
    known = codes.sortable_keys()
    assert known.dtype == np.int64 and len(np.unique(known)) == len(known)
    assert set(np.concatenate(chunks).tolist()) <= set(known.tolist())
    for keys, c in zip(chunks, got):
        assert np.array_equal(known[c], keys)
    assert codes.key_of(int(got[1][5])) == chunks[1][5]
    codes.coded(np.array(["x", "y"], dtype=object))
    codes.commit()
    assert list(codes.keys()[-2:]) == ["x", "y"] and codes.keys()[0] == known[0]
    assert codes.sortable_keys().dtype == object


def test_a_chunk_of_known_keys_only_adds_no_codes():
    """A chunk whose dense range is all known already (here keys 0..1 after 0..1)
    numbers them as before and adds nothing."""
    for n in (2, 50_000):                     # a dict index, and a pandas one
        codes = KeyCodes("agent")
        first = codes.coded(np.arange(n, dtype=np.int64)).codes()
        codes.commit()
        again = codes.coded(np.array([0, n - 1, 0], dtype=np.int64)).codes()
        codes.commit()
        assert np.array_equal(again, first[[0, n - 1, 0]])
        assert codes.pending_size() == n


def test_the_scratch_pool_hands_out_the_smallest_buffer_that_fits():
    from agentstats import scratch

    agentstats.release_scratch()
    sizes = [40 << 20, 3 << 20, 10 << 20]
    buffers = [np.empty(n, dtype=np.uint8) for n in sizes]
    for raw in buffers:
        scratch.give_back(raw[64:])            # a view: the buffer under it is kept
    scratch.give_back(buffers[1])              # already kept: once
    assert scratch.take(4 << 20) is buffers[2]
    assert scratch.take(1 << 20) is None       # small: fresh pages are cheap
    assert scratch.take(2 << 20) is buffers[1]
    assert scratch.take(41 << 20) is None
    assert scratch.take(39 << 20) is buffers[0]
    assert scratch.take(2 << 20) is None
    scratch.give_back(np.empty(65 << 20, dtype=np.uint8))     # too large to keep
    for _ in range(4):
        scratch.give_back(np.empty(40 << 20, dtype=np.uint8))
    assert agentstats.release_scratch() == 3 * (40 << 20)      # at most 128 MiB


def test_aggregate_and_agent_stats_calls_take_turns_on_the_kept_buffers():
    """One-shot calls of both kinds alternate on the pool (each takes what fits and
    gives it back) and each gives its fresh answer."""
    rng = np.random.default_rng(13)
    session, time, state, agent = _log(rng, 30_000, 90_000)
    agentstats.release_scratch()
    agents_fresh = agent_stats(session, time, state, agent=agent, unit="s", sessions=False)
    sessions_fresh = agentstats.aggregate(session, time, state, unit="s")
    for _ in range(2):
        _tables_equal(agent_stats(session, time, state, agent=agent, unit="s", sessions=False),
                      agents_fresh)
        again = agentstats.aggregate(session, time, state, unit="s")
        pd.testing.assert_frame_equal(again.to_pandas(), sessions_fresh.to_pandas())
    assert agentstats.release_scratch() > 0


@pytest.mark.parametrize("k", [1, 2, 3, 24])
@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 64, 1000, 4097])
def test_fresh_records_are_copies_of_one(k, n):
    from agentstats.agents import _fill_words

    words = np.arange(1, k + 1, dtype=np.uint64) * 0x0101010101010101
    flat = np.full(n * k, 99, dtype=np.uint64)
    _fill_words(flat, words)
    assert np.array_equal(flat.reshape(n, k), np.tile(words, (n, 1)))


@pytest.mark.parametrize("agent_offset", [0, 1000])
def test_every_agent_in_key_order_gives_the_table_of_the_gathered_path(agent_offset):
    """SPEC 7.1: when every agent has rows and the ids are numbered in order, the table
    takes the kernel's summary rows as they are; with one more agent that has no valid
    row (left out of the table) the summary is gathered: the same rows either way."""
    rng = np.random.default_rng(11)
    session, time, state, agent = _log(rng, 300, 20_000)
    agent = agent + agent_offset
    every = agent_stats(session, time, state, agent=agent, unit="s", sessions=False)
    assert list(every.keys) == sorted(set(agent.tolist()))
    # one more agent id, after the others, whose only row has no time: not in the
    # table, so the other agents' summary columns are gathered
    absent = agent_offset + 300
    gathered = agent_stats(np.r_[session, 10**6], np.r_[time.astype(float), np.nan],
                           np.r_[state, 1], agent=np.r_[agent, absent], unit="s",
                           sessions=False, strict=False)
    assert absent not in list(gathered.keys)
    _tables_equal(every, gathered)
    # and a summary row wrongly read would be seen
    every.ticks["talk"][7] += 1
    with pytest.raises(AssertionError):
        _tables_equal(every, gathered)
