"""The one-pass range of a chunk's session and agent keys (`_agents.key_ranges`, used by
the agent timeline) against Python's min and max, on hand-made edge cases and on
generated columns; and agent_stats with integer keys of every width against the same
keys as int64."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentstats import _agents
from agentstats.agents import agent_stats
from agentstats.keycodes import int_key_ranges

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)


def _twin(first: list[int], second: list[int]) -> tuple[int, int, int, int]:
    return min(first), max(first), min(second), max(second)


def _all_ways(first: np.ndarray, second: np.ndarray) -> set[tuple[int, int, int, int]]:
    """The answer of the vector and the scalar loop, on one and on two threads."""
    return {tuple(int(v) for v in _agents.key_ranges(first, second, threads, vectors))
            for threads in (1, 2) for vectors in (True, False)}


@pytest.mark.parametrize("n", list(range(1, 20)) + [31, 32, 33, 1 << 20, (1 << 20) + 3])
def test_every_length_around_the_vector_width(n):
    # the extreme of each column at the first row, the last row, and inside the tail
    rng = np.random.default_rng(n)
    first = rng.integers(-1000, 1000, n, dtype=np.int64)
    second = rng.integers(-1000, 1000, n, dtype=np.int64)
    for where in {0, n - 1, n // 2, max(0, n - 3)}:
        a, b = first.copy(), second.copy()
        a[where], b[where] = 2**63 - 1, -(2**63)
        assert _all_ways(a, b) == {_twin(a.tolist(), b.tolist())}
        a[where], b[where] = -(2**63), 2**63 - 1
        assert _all_ways(a, b) == {_twin(a.tolist(), b.tolist())}


def test_constant_and_negative_columns():
    a = np.full(100, -7, dtype=np.int64)
    b = np.arange(-100, 0, dtype=np.int64)[::-1].copy()
    assert _all_ways(a, b) == {(-7, -7, -100, -1)}


def test_bad_columns_are_refused():
    empty = np.empty(0, dtype=np.int64)
    with pytest.raises(ValueError):
        _agents.key_ranges(empty, empty)
    with pytest.raises(ValueError):
        _agents.key_ranges(np.zeros(3, np.int64), np.zeros(4, np.int64))


@given(st.lists(st.tuples(INT64, INT64), min_size=1, max_size=200))
def test_against_min_and_max(pairs):
    first = [p[0] for p in pairs]
    second = [p[1] for p in pairs]
    got = _all_ways(np.array(first, dtype=np.int64), np.array(second, dtype=np.int64))
    assert got == {_twin(first, second)}


def test_int_key_ranges_converts_once_and_declines_what_it_cannot_range():
    small = np.array([5, 3, 9], dtype=np.uint16)
    wide = np.array([2**64 - 1, 0, 1], dtype=np.uint64)   # beyond int64: hashed instead
    names = np.array(["a", "b", "c"], dtype=object)
    a, b, r1, r2 = int_key_ranges(small, small.astype(np.int32))
    assert a.dtype == b.dtype == np.int64 and r1 == r2 == (3, 9)
    for first, second in ((small, wide), (names, small), (small, names)):
        a, b, r1, r2 = int_key_ranges(first, second)
        assert a is first and b is second and r1 is None and r2 is None


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3), st.integers(0, 4)),
                min_size=1, max_size=60),
       st.sampled_from([np.int8, np.uint8, np.int32, np.uint32, np.uint64]))
def test_agent_stats_same_for_every_integer_key_width(rows, dtype):
    # session s belongs to agent s % 3; times rise; states as given (bad ones counted)
    session = np.array([r[0] for r in rows], dtype=np.int64)
    agent = session % 3
    time = np.cumsum([r[1] for r in rows]).astype(np.int64)
    state = np.array([r[2] for r in rows], dtype=np.int64)
    wanted = agent_stats(session=session, time=time, state=state, agent=agent, unit="ns",
                         sessions=False)
    got = agent_stats(session=session.astype(dtype), time=time, state=state,
                      agent=agent.astype(dtype), unit="ns", sessions=False)
    assert got.diagnostics == wanted.diagnostics
    assert got.to_pandas().reset_index(drop=True).equals(wanted.to_pandas().reset_index(drop=True))
