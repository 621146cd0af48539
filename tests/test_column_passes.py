"""The compiled column passes before the kernel (state codes of any integer width, the
wait check, finalize on two threads) against their plain NumPy definitions (SPEC 1, 3)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import agentstats
from agentstats import _kernel
from tests import reference

INT_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint16, np.uint32, np.uint64]


def _codes_twin(raw):
    """SPEC 3: a state outside 0..4 is invalid (255 for the kernel)."""
    values = raw.astype(object)
    return np.array([int(v) if 0 <= v <= 4 else 255 for v in values], dtype=np.uint8)


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_state_codes_edges(dtype):
    info = np.iinfo(dtype)
    raw = np.array([0, 1, 2, 3, 4, 5, info.max, info.min, 4, 0], dtype=dtype)
    for threads in (1, 2):
        out = np.empty(len(raw), np.uint8)
        _kernel.state_codes(raw, out, threads)
        assert np.array_equal(out, _codes_twin(raw))


@given(st.sampled_from(INT_DTYPES).flatmap(lambda d: hnp.arrays(d, st.integers(0, 3000))))
def test_state_codes_property(raw):
    out = np.empty(len(raw), np.uint8)
    _kernel.state_codes(raw, out, 2)
    assert np.array_equal(out, _codes_twin(raw))


def test_state_codes_large_two_threads():
    raw = np.random.default_rng(1).integers(-3, 8, (1 << 20) + 7).astype(np.int64)
    out = np.empty(len(raw), np.uint8)
    _kernel.state_codes(raw, out, 2)
    assert np.array_equal(out, np.where((raw >= 0) & (raw <= 4), raw, 255).astype(np.uint8))


MISSING = np.iinfo(np.int64).min


def _first_negative_twin(values):
    bad = np.flatnonzero((values < 0) & (values != MISSING))
    return int(bad[0]) if len(bad) else -1


@given(hnp.arrays(np.int64, st.integers(0, 2000),
                  elements=st.sampled_from([0, 1, 7, -1, MISSING, 2**62, -(2**62)])))
def test_first_negative_property(values):
    for threads in (1, 2):
        assert _kernel.first_negative(values, threads) == _first_negative_twin(values)


@pytest.mark.parametrize("at", [0, 255, 256, 257, (1 << 20) - 1, (1 << 20), (1 << 21) + 3])
def test_first_negative_large(at):
    values = np.zeros((1 << 21) + 10, dtype=np.int64)
    values[::3] = MISSING
    values[at] = -5
    values[-1] = -6
    assert _kernel.first_negative(values, 2) == at
    assert _kernel.first_negative(np.zeros(5, np.int64)) == -1


@pytest.mark.parametrize("dtype", [np.int8, np.int64, np.int16, np.uint32])
def test_aggregate_integer_states_match_reference(dtype):
    """Every integer state width (int8 read in place, others through the compiled
    pass) gives the reference's result, invalid states counted (lenient) or named."""
    rng = np.random.default_rng(7)
    n = 3000
    session = rng.integers(0, 40, n)
    time = np.sort(rng.integers(0, 10**6, n))
    state = rng.integers(0, 5, n)
    state[::97] = 9 if dtype in (np.uint32,) else -1
    raw = state.astype(dtype)
    got = agentstats.aggregate(session, time, raw, unit="s", strict=False)
    want = agentstats.aggregate(session, time, np.where((state >= 0) & (state <= 4), state, 255)
                                .astype(np.uint8), unit="s", strict=False)
    assert got.diagnostics == want.diagnostics and got.diagnostics["invalid_state"] > 0
    for k in want.ticks:
        assert np.array_equal(got.ticks[k], want.ticks[k]), k
    sessions, buckets, _ = reference.reference(session.tolist(), time.tolist(), raw.tolist())
    assert {k: got.diagnostics[k] for k in buckets} == buckets
    keys = sorted(sessions)
    assert got.keys.tolist() == keys
    assert got.ticks["talk"].tolist() == [sessions[k].talk for k in keys]
    assert got.ticks["wrap"].tolist() == [sessions[k].wrap for k in keys]
    assert got.ticks["calls"].tolist() == [sessions[k].calls for k in keys]
    assert got.ticks["duration"].tolist() == [sessions[k].duration for k in keys]
    with pytest.raises(agentstats.TapiError, match="row 0: invalid_state"):
        agentstats.aggregate(session, time, raw, unit="s")


def test_finalize_two_threads_overflow_names_first_session():
    n = (1 << 17) + 5
    session = np.repeat(np.arange(n), 2)
    time = np.tile(np.array([0, 1]), n)
    time[2 * (n - 3)] = -(2**62)
    time[2 * (n - 3) + 1] = 2**62
    state = np.tile(np.array([2, 4]), n)
    with pytest.raises(agentstats.TapiError, match=f"session {n - 3}"):
        agentstats.aggregate(session, time, state, unit="ns")
    ok = agentstats.aggregate(session[:-6], time[:-6], state[:-6], unit="ns")
    assert np.array_equal(ok.ticks["talk"], np.ones(n - 3, np.int64))
