"""With threads, each thread of the agent timeline kernel first lists the rows of its
agents in a block of rows; on a CPU with AVX2 that listing runs on vectors of raw agent
keys. The vector listing and the scalar one (forced with `vector_pick=False`) give the
same tables on logs whose block ends and agent shares fall anywhere, and send a row with
no valid agent code to the thread that reports it (SPEC 7, chunks and threads as SPEC
1.1)."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from agentstats import _agents, agents
from agentstats.agents import agent_stats
from test_agents import _assert_same_tables, _many_agents_log


def _tables_both_ways(monkeypatch, session, time, state, agent, **extra):
    original = _agents.scan
    tables = []
    for vector_pick in (True, False):
        monkeypatch.setattr(_agents, "scan", functools.partial(original, vector_pick=vector_pick))
        tables.append(agent_stats(session, time, state, agent=agent, unit="s", strict=False,
                                  sessions=False, n_threads=2, **extra))
    monkeypatch.setattr(_agents, "scan", original)
    tables.append(agent_stats(session, time, state, agent=agent, unit="s", strict=False,
                              sessions=False, n_threads=1, **extra))
    return tables


@pytest.mark.parametrize("n_agents, n_rows", [(2, 9_001), (3, 12_345), (301, 30_007),
                                              (1_000, 8_199)])
@pytest.mark.parametrize("key_base", [0, -5_000, 2**62])
def test_vector_listing_gives_the_scalar_tables(monkeypatch, n_agents, n_rows, key_base):
    session, time, state, agent, _reason, _presence = _many_agents_log(
        seed=n_agents, n_agents=n_agents, n_rows=n_rows)
    vector, scalar, one_thread = _tables_both_ways(monkeypatch, session, time, state,
                                                   agent + key_base)
    assert vector.diagnostics["used"] > 500
    _assert_same_tables(vector, scalar, intervals=False)
    _assert_same_tables(vector, one_thread, intervals=False)


def test_vector_listing_compare_can_fail(monkeypatch):
    session, time, state, agent, _reason, _presence = _many_agents_log(3, n_rows=9_001)
    vector, scalar, _ = _tables_both_ways(monkeypatch, session, time, state, agent)
    scalar.ticks["talk"][5] += 1
    with pytest.raises(AssertionError):
        _assert_same_tables(vector, scalar, intervals=False)


def _scan(agent_codes, n_agents, *, n_threads, vector_pick, presence_before=False):
    """The kernel on rows of one session per agent code (valid or not), one state each."""
    n = len(agent_codes)
    codes = np.arange(n, dtype=np.int64)
    times = np.arange(n, dtype=np.int64)
    states = np.full(n, 2, dtype=np.uint8)   # BUSY_ON_CALL: one call a row
    sessions = agents._new_sessions(n)
    cold = agents._new_session_cold(n)
    records = agents._new_agents(n_agents)
    counters = np.zeros(len(_agents.COUNTER_NAMES), dtype=np.int64)
    status, row, _, _ = _agents.scan(
        codes, np.asarray(agent_codes, dtype=np.int64), times, states,
        np.empty(0, np.int32), np.empty(0, np.uint8), sessions.view(np.uint8),
        cold.view(np.uint8), records.view(np.uint8), counters, as_of=2**62, origin=0,
        width=0, seq0=0, deadline=0.0, n_threads=n_threads, vector_pick=vector_pick,
        presence_before=presence_before)
    return status, row, counters[0], records["calls"].copy()


@pytest.mark.parametrize("bad", [-1, 10, 2**63 - 1, -2**63])
@pytest.mark.parametrize("where", [0, 7, 8, 4_095, 4_096, 9_000])
def test_a_row_without_a_valid_agent_code_is_reported_either_way(bad, where):
    n_agents = 10
    codes = np.arange(9_001) % n_agents
    codes[where] = bad
    results = {vector_pick: _scan(codes, n_agents, n_threads=2, vector_pick=vector_pick)
               for vector_pick in (True, False)}
    assert results[True][0] == results[False][0] == _agents.STATUS_BAD_CODE
    one = _scan(codes, n_agents, n_threads=1, vector_pick=True)
    assert one[:2] == (_agents.STATUS_BAD_CODE, where)


@pytest.mark.parametrize("presence_before", [False, True], ids=["plain copy", "general copy"])
def test_every_valid_row_is_applied_once_either_way(presence_before):
    """Every row is listed by exactly one thread: each agent's row count is its calls."""
    n_agents = 7
    codes = np.random.default_rng(5).integers(0, n_agents, 10_003)
    expected = np.bincount(codes, minlength=n_agents)
    for vector_pick in (True, False):
        status, _row, used, calls = _scan(codes, n_agents, n_threads=2, vector_pick=vector_pick,
                                          presence_before=presence_before)
        assert status == _agents.STATUS_OK
        assert used == len(codes)
        np.testing.assert_array_equal(calls, expected)
