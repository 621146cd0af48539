"""The agent timeline kernel's copy for plain rows (integer keys of a contiguous range
or hashed keys, no presence, no pause reasons, no intervals) against the plain-Python
twin and against the kernel's general copy on the same rows."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentstats.agents import AgentAggregator, agent_stats
from test_agents import (_assert_same_as_twin, _assert_same_tables,
                         _many_agents_log, multi_queue_logs)


def _plain(rows, *, int_agents):
    """The rows with every session a queue session and no reasons; agents as integers
    (contiguous codes: `key - base`, no lookup) or as strings (hashed codes)."""
    out = []
    for session, time, state, agent, _reason, _presence in rows:
        key = 100 + int(agent[len("agent"):]) if int_agents else agent
        out.append((session, time, state, key, None, False))
    return out


def _columns(rows):
    session = np.array([r[0] for r in rows], dtype=np.int64)
    time = np.array([np.nan if r[1] is None else r[1] for r in rows], dtype=np.float64)
    if all(r[1] is not None for r in rows):
        time = time.astype(np.int64)
    state = np.array([r[2] if isinstance(r[2], int) else 9 for r in rows], dtype=np.int64)
    agent = np.array([r[3] for r in rows], dtype=object if rows and isinstance(rows[0][3], str)
                     else np.int64)
    return session, time, state, agent


def _table(rows, *, general=False, as_of=None, n_threads=1, chunks=1):
    """agent_stats on the rows; `general`: with an all-False presence column and an
    all-missing reason column, which send the same rows through the general copy."""
    session, time, state, agent = _columns(rows)
    aggregator = AgentAggregator(unit="s", as_of=as_of, strict=False, sessions=False,
                                 n_threads=n_threads)
    bounds = np.linspace(0, len(rows), chunks + 1).astype(int)
    for lo, hi in zip(bounds, bounds[1:]):
        extra = {}
        if general:
            extra = dict(presence=np.zeros(hi - lo, dtype=bool),
                         reason=np.full(hi - lo, None, dtype=object))
        aggregator.update(session[lo:hi], time[lo:hi], state[lo:hi], agent=agent[lo:hi], **extra)
    return aggregator.result()


@settings(max_examples=min(300, settings().max_examples))   # (the suite's time: half the CI profile)
@given(multi_queue_logs(), st.sampled_from([None, 150]), st.sampled_from([1, 2]),
       st.booleans())
def test_plain_rows_equal_the_twin_and_the_general_copy(rows, as_of, n_threads, int_agents):
    rows = _plain(rows, int_agents=int_agents)
    plain = _table(rows, as_of=as_of, n_threads=n_threads)
    _assert_same_as_twin(rows, plain, as_of=as_of)
    general = _table(rows, general=True, as_of=as_of, n_threads=n_threads)
    _assert_same_tables(plain, general, intervals=False)


# a third of the profile's examples: the chunk carry-over is shared with the general
# copy (test_agents.py), what is specific here is only the key offset across chunks
@settings(max_examples=max(50, settings().max_examples // 3))
@given(multi_queue_logs(invalid=False), st.integers(2, 4), st.booleans())
def test_plain_rows_in_chunks_equal_one_shot(rows, chunks, int_agents):
    rows = sorted(_plain(rows, int_agents=int_agents), key=lambda r: r[1])
    one = _table(rows)
    many = _table(rows, chunks=chunks, n_threads=2)
    _assert_same_tables(one, many, intervals=False)
    assert one.diagnostics == many.diagnostics


@pytest.mark.parametrize("seed", [0, 1])
def test_plain_rows_of_many_agents_equal_the_general_copy_on_any_threads(seed):
    """30k rows of 300 agents over several of the kernel's row blocks, with bad rows."""
    session, time, state, agent, _reason, _presence = _many_agents_log(seed)
    tables = [agent_stats(session, time, state, agent=agent, unit="s", strict=False,
                          sessions=False, n_threads=n, **extra)
              for n in (1, 2)
              for extra in ({}, {"presence": np.zeros(len(time), dtype=bool)})]
    assert tables[0].diagnostics["used"] > 15_000
    for other in tables[1:]:
        _assert_same_tables(tables[0], other, intervals=False)


def test_plain_rows_compare_can_fail():
    """A wrong pause total in the plain copy's table would be seen."""
    session, time, state, agent, _reason, _presence = _many_agents_log(0)
    plain = agent_stats(session, time, state, agent=agent, unit="s", strict=False,
                        sessions=False, n_threads=1)
    general = agent_stats(session, time, state, agent=agent, unit="s", strict=False,
                          sessions=False, n_threads=1, presence=np.zeros(len(time), bool))
    plain.ticks["not_ready"][3] += 1
    with pytest.raises(AssertionError):
        _assert_same_tables(plain, general, intervals=False)


@pytest.mark.parametrize("as_of", [np.iinfo(np.int64).max, 0, -1, np.iinfo(np.int64).min + 1, 10**15])
@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("presence_before", [False, True], ids=["plain copy", "general copy"])
def test_invalid_and_late_times_at_the_int64_edges(as_of, n_threads, presence_before):
    """SPEC 3: a row at INT64_MIN (no time) is invalid_time, one after as_of is
    after_as_of, every other row is applied; the kernel tests both in one compare."""
    from agentstats import _agents, agents

    lo, hi = np.iinfo(np.int64).min, np.iinfo(np.int64).max
    times = np.array([lo, lo + 1, lo + 2, -1, 0, 1, 10**15, 10**15 + 1, hi - 1, hi], dtype=np.int64)
    n = len(times)
    counters = np.zeros(len(_agents.COUNTER_NAMES), dtype=np.int64)
    sessions, cold, records = agents._new_sessions(n), agents._new_session_cold(n), agents._new_agents(n)
    status, _, _, _ = _agents.scan(
        np.arange(n, dtype=np.int64), np.arange(n, dtype=np.int64), times, np.full(n, 1, np.uint8),
        np.empty(0, np.int32), np.empty(0, np.uint8), sessions.view(np.uint8), cold.view(np.uint8),
        records.view(np.uint8), counters, as_of=int(as_of), origin=0, width=0, seq0=0,
        deadline=0.0, n_threads=n_threads, presence_before=presence_before,
        codes_range=(0, n - 1), agents_range=(0, n - 1))
    assert status == _agents.STATUS_OK
    got = dict(zip(_agents.COUNTER_NAMES, counters.tolist()))
    assert got["invalid_time"] == 1
    assert got["after_as_of"] == int((times[1:] > as_of).sum())
    assert got["used"] == int((times[1:] <= as_of).sum())


@pytest.mark.parametrize("n_threads", [1, 2])
def test_a_chunk_without_presence_after_one_with_it(n_threads):
    """The plain copy of the loop leaves out the presence sessions' count from the agent
    state; after a chunk with presence sessions (still open) a chunk without a presence
    column must not take it (SPEC 7.1: an open presence counts as not ready)."""
    session, time, state, agent, _reason, presence = _many_agents_log(4)
    order = np.argsort(time, kind="stable")
    session, time, state, agent, presence = (c[order] for c in (session, time, state, agent, presence))
    half = len(time) // 2
    # the presence sessions have rows in the first chunk only: they stay open in the second
    keep = np.r_[np.ones(half, bool), ~presence[half:]]
    session, time, state, agent, presence = (c[keep] for c in (session, time, state, agent, presence))
    state = np.where(presence & (state == 4), 1, state)        # no presence session ends
    # half the agents end their queue sessions in the second chunk: their presence alone
    # keeps them logged in (not ready) to the end
    state = np.where((np.arange(len(state)) >= half) & (agent % 2 == 0), 4, state)
    one = agent_stats(session, time, state, agent=agent, presence=presence, unit="s",
                      strict=False, sessions=False, n_threads=n_threads)
    aggregator = AgentAggregator(unit="s", strict=False, sessions=False, n_threads=n_threads)
    aggregator.update(session[:half], time[:half], state[:half], agent=agent[:half],
                      presence=presence[:half])
    aggregator.update(session[half:], time[half:], state[half:], agent=agent[half:])
    many = aggregator.result()
    _assert_same_tables(one, many, intervals=False)
    assert (one.ticks["not_ready"] > 0).sum() > 100


def _scan_codes(agent_codes, n_agents, *, agents_range, n_threads=1):
    """The kernel on one row a session (one call each), the agents' codes as given, with
    the agents' claimed (min, max)."""
    from agentstats import _agents, agents

    n = len(agent_codes)
    counters = np.zeros(len(_agents.COUNTER_NAMES), dtype=np.int64)
    sessions, cold, records = agents._new_sessions(n), agents._new_session_cold(n), agents._new_agents(n_agents)
    status, row, _, _ = _agents.scan(
        np.arange(n, dtype=np.int64), np.asarray(agent_codes, dtype=np.int64),
        np.arange(n, dtype=np.int64), np.full(n, 2, np.uint8), np.empty(0, np.int32),
        np.empty(0, np.uint8), sessions.view(np.uint8), cold.view(np.uint8), records.view(np.uint8),
        counters, as_of=2**62, origin=0, width=0, seq0=0, deadline=0.0, n_threads=n_threads,
        presence_before=False, codes_range=(0, n - 1), agents_range=agents_range)
    return status, row, records["calls"].copy()


@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("bad, claimed", [(10, (0, 10)), (-1, (-1, 9)), (2**63 - 1, (0, 2**63 - 1)),
                                          (-2**63, (-2**63, 9))])
def test_codes_beyond_the_records_take_the_checked_copy(n_threads, bad, claimed):
    """The plain copy does not test each row's codes: it runs only when the keys' ranges
    lie within the records; a range reaching past them (at either end) takes the checked
    copy, which reports the row whose code has no record."""
    from agentstats import _agents

    codes = np.arange(9_001) % 10
    codes[4_321] = bad
    status, row, _ = _scan_codes(codes, 10, agents_range=claimed, n_threads=n_threads)
    assert status == _agents.STATUS_BAD_CODE
    if n_threads == 1:
        assert row == 4_321


@pytest.mark.parametrize("n_threads", [1, 2])
def test_ranges_within_the_records_give_the_checked_copys_answer(n_threads):
    from agentstats import _agents

    codes = np.random.default_rng(6).integers(0, 10, 9_001)
    plain = _scan_codes(codes, 10, agents_range=(int(codes.min()), int(codes.max())), n_threads=n_threads)
    checked = _scan_codes(codes, 10, agents_range=None, n_threads=n_threads)
    assert plain[0] == checked[0] == _agents.STATUS_OK
    np.testing.assert_array_equal(plain[2], checked[2])
    np.testing.assert_array_equal(plain[2], np.bincount(codes, minlength=10))


def test_the_kernel_is_given_the_exact_range_of_the_keys_it_reads():
    """agents._exact_range: the range already known for the same column, else one pass
    over the codes the kernel reads (hashed keys: 0 .. n - 1), none with a lookup table."""
    from agentstats import agents
    from agentstats.keycodes import Coded, KeyCodes

    keys = np.array([7, 5, 9, 5], dtype=np.int64)
    coded = KeyCodes("agent").coded(keys, (5, 9))
    assert agents._exact_range(coded, keys, (5, 9)) == (5, 9)
    assert agents._exact_range(coded, keys.copy(), None) == (5, 9)
    names = np.array(["b", "a", "c", "a"], dtype=object)
    hashed = KeyCodes("agent").coded(names)
    assert agents._exact_range(hashed, names, None) == (0, 2)
    looked_up = Coded(keys, 5, np.array([1, -1, 0, -1, 2], dtype=np.int64))
    assert agents._exact_range(looked_up, keys, (5, 9)) is None


def test_a_range_is_within_the_records_exactly_when_every_code_has_one():
    """The test that decides the plain copy (no per-row test of codes): every key of
    [min, max] minus lo in [0, n), at the int64 edges too."""
    from agentstats import _agents

    lo_64, hi_64 = -2**63, 2**63 - 1
    assert _agents.range_within((0, 9), 0, 10)
    assert _agents.range_within((3, 3), 3, 1)
    assert _agents.range_within((lo_64, lo_64 + 9), lo_64, 10)
    assert _agents.range_within((hi_64 - 9, hi_64), hi_64 - 9, 10)
    assert not _agents.range_within((0, 10), 0, 10)              # one past the end
    assert not _agents.range_within((-1, 9), 0, 10)              # one before the start
    assert not _agents.range_within((5, 3), 0, 10)               # no keys
    assert not _agents.range_within((0, 0), 0, 0)                # no records
    assert not _agents.range_within((lo_64, hi_64), lo_64, 10)   # a span beyond int64
    assert not _agents.range_within((lo_64, hi_64), 0, 2**62)
