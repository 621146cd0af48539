"""A hostile corpus for the library (SPEC 1, 3, 4.2): every column container and dtype a
user may pass, with their extremes, each asserting the exact outcome — the same
statistics as the plain int64 log, the row counted in its bucket with the rest
unchanged, or the documented error class naming the row in plain values.

Plus a bounded hypothesis fuzz of `aggregate` on hostile object columns, checked
against the plain-Python twin (tests/reference.py). Budget: the conftest profiles.
"""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys
import textwrap
import threading
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

import agentstats
from agentstats import SessionStore, TapiError
from agentstats.aggregate import TICKS_PER_SECOND
from agentstats.hresult import (
    E_INVALIDARG,
    E_OUTOFMEMORY,
    LINEERR_OPERATIONFAILED,
    LINEERR_UNINITIALIZED,
    TapiUninitializedError,
    TapiValueError,
)
from agentstats.rollup import IntervalRollup
from checks import BUCKETS, actual_ticks, expected_ticks
from reference import reference

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
A, B = 10**17, 10**17 + 1          # two session ids that float64 cannot tell apart

# The base log, in seconds. A: READY 0, BUSY_ON_CALL 60, READY 180 (open at as_of 180).
# B: READY 0, NOT_READY 60, SESSION_ENDED 120.
SESSION = [A, B, A, B, A, B]
SECONDS = [0, 0, 60, 60, 180, 120]
STATE = [1, 1, 2, 0, 1, 4]
EXPECTED = {
    A: {"start": 0, "end": 180, "duration": 180, "talk": 120, "calls": 1, "state": 1},
    B: {"start": 0, "end": 120, "duration": 120, "talk": 0, "calls": 0, "state": 4},
}


def ticks_by_key(table, per_second=1):
    """{key: selected fields in seconds} of a table (plain Python keys)."""
    out = {}
    for i, key in enumerate(table.keys.tolist()):
        out[key] = {name: int(table.ticks[name][i]) // (1 if name in ("calls", "state") else per_second)
                    for name in ("start", "end", "duration", "talk", "calls", "state")}
    return out


def assert_base_result(table, *, keys=(A, B), extra_rows=0, **buckets):
    """The base log's statistics (keys renamed as given), all rows accounted for."""
    expected = {keys[0]: EXPECTED[A], keys[1]: EXPECTED[B]}
    assert ticks_by_key(table, table.ticks_per_second) == expected
    d = table.diagnostics
    assert d["rows"] == len(SESSION) + extra_rows
    assert d["used"] + sum(d[name] for name in BUCKETS if name not in ("used", "off_table")) == d["rows"]
    for name, count in buckets.items():
        assert d[name] == count, name


# -- one log, many containers: every one must give the int64 answer (SPEC 1, 1.2) -------

def _read_only(values):
    values = np.array(values)
    values.setflags(write=False)
    return values


def _strided(values, dtype):
    doubled = np.repeat(np.asarray(values, dtype=dtype), 2)
    return doubled[::2]                                     # a non-contiguous view


TIME_CASES = {
    "int64": (lambda: np.array(SECONDS, dtype=np.int64), "s"),
    "big-endian int64": (lambda: np.array(SECONDS, dtype=">i8"), "s"),
    "read-only int64": (lambda: _read_only(np.array(SECONDS, dtype=np.int64)), "s"),
    "strided int64": (lambda: _strided(SECONDS, np.int64), "s"),
    "uint32": (lambda: np.array(SECONDS, dtype=np.uint32), "s"),
    "int64 ms": (lambda: np.array(SECONDS, dtype=np.int64) * 1000, "ms"),
    "list of ints": (lambda: list(SECONDS), "s"),
    "list of ints and floats": (lambda: [0, 0.0, 60, 60.0, 180, 120.0], "s"),
    "object ints": (lambda: np.array(SECONDS, dtype=object), "s"),
    "object numpy ints": (lambda: np.array([np.int64(v) for v in SECONDS] + [None], dtype=object)[:6], "s"),
    "object ints and floats": (lambda: np.array([0, 0.0, 60, 60.4, 180, 119.6], dtype=object), "s"),
    "float64": (lambda: np.array(SECONDS, dtype=np.float64), "s"),
    "float32 small": (lambda: np.array(SECONDS, dtype=np.float32), "s"),
    "pandas Int64": (lambda: pd.array(SECONDS, dtype="Int64"), "s"),
    "pandas UInt64": (lambda: pd.Series(SECONDS, dtype="UInt64"), "s"),
    "pandas int64[pyarrow]": (lambda: pd.Series(SECONDS, dtype="int64[pyarrow]"), "s"),
    "pandas Float64": (lambda: pd.Series(SECONDS, dtype="Float64"), "s"),
    "pyarrow int64": (lambda: pa.array(SECONDS, type=pa.int64()), "s"),
    "pyarrow chunked": (lambda: pa.chunked_array([SECONDS[:3], SECONDS[3:]], type=pa.int64()), "s"),
    "polars Int64": (lambda: pl.Series(SECONDS, dtype=pl.Int64), "s"),
    "datetime64[s]": (lambda: np.array(SECONDS, dtype="M8[s]"), None),
    "datetime64[m]": (lambda: np.array([v // 60 for v in SECONDS], dtype="M8[m]"), None),
    "datetime64[ns]": (lambda: np.array(SECONDS, dtype=np.int64).astype("M8[s]").astype("M8[ns]"), None),
    "big-endian datetime64[us]": (lambda: np.array(SECONDS, dtype="M8[s]").astype(">M8[us]"), None),
    "object datetimes": (lambda: np.array([dt.datetime(1970, 1, 1) + dt.timedelta(seconds=v) for v in SECONDS], dtype=object), None),
    "ISO strings": (lambda: [f"1970-01-01T00:{v // 60:02d}:00Z" for v in SECONDS], None),
    "pandas string[pyarrow] ISO": (lambda: pd.Series([f"1970-01-01 00:{v // 60:02d}" for v in SECONDS],
                                                     dtype="string[pyarrow]"), None),
    "pandas tz-aware": (lambda: pd.Series(pd.to_datetime(SECONDS, unit="s", utc=True).tz_convert("Europe/Paris")), None),
    "pyarrow timestamp": (lambda: pa.array(np.array(SECONDS, dtype="M8[s]")), None),
    "polars datetime": (lambda: pl.Series(np.array(SECONDS, dtype="M8[s]").astype("M8[us]")), None),
}


@pytest.mark.parametrize("case", list(TIME_CASES), ids=list(TIME_CASES))
def test_every_time_container_gives_the_int64_result(case):
    """SPEC 1.2: integer columns never pass through float64; object ints are read in
    `unit` (issue: `[0, None, 60]` read as ns), coarse datetime64 exactly in seconds."""
    make, unit = TIME_CASES[case]
    table = agentstats.aggregate(np.array(SESSION), make(), np.array(STATE), unit=unit)
    assert_base_result(table)


KEY_CASES = {
    "int64": (lambda: np.array(SESSION, dtype=np.int64), (A, B)),
    "big-endian int64": (lambda: np.array(SESSION, dtype=">i8"), (A, B)),
    "strided int64": (lambda: _strided(SESSION, np.int64), (A, B)),
    "uint64": (lambda: np.array(SESSION, dtype=np.uint64), (A, B)),
    "list": (lambda: list(SESSION), (A, B)),
    "object ints": (lambda: np.array(SESSION, dtype=object), (A, B)),
    "pandas Int64": (lambda: pd.Series(SESSION, dtype="Int64"), (A, B)),
    "pandas int64[pyarrow]": (lambda: pd.Series(SESSION, dtype="int64[pyarrow]"), (A, B)),
    "pyarrow int64": (lambda: pa.array(SESSION), (A, B)),
    "polars Int64": (lambda: pl.Series(SESSION), (A, B)),
    "int64 extremes": (lambda: np.array([INT64_MIN, INT64_MAX] * 3, dtype=np.int64), (INT64_MIN, INT64_MAX)),
    "uint64 beyond int64": (lambda: np.array([2**64 - 1, 2**63] * 3, dtype=np.uint64), (2**64 - 1, 2**63)),
    "int and str of the same digits": (lambda: [1, "1"] * 3, (1, "1")),
    "str and bytes": (lambda: ["a", b"a"] * 3, ("a", b"a")),
    "list of str": (lambda: ["a", "b"] * 3, ("a", "b")),
    "numpy str": (lambda: np.array(["a", "b"] * 3), ("a", "b")),
    "pandas string[pyarrow]": (lambda: pd.Series(["a", "b"] * 3, dtype="string[pyarrow]"), ("a", "b")),
    "pandas string": (lambda: pd.Series(["a", "b"] * 3, dtype="string"), ("a", "b")),
    "pandas categorical": (lambda: pd.Categorical(["a", "b"] * 3), ("a", "b")),
    "pyarrow dictionary": (lambda: pa.array(["a", "b"] * 3).dictionary_encode(), ("a", "b")),
    "polars str": (lambda: pl.Series(["a", "b"] * 3), ("a", "b")),
    "tuples": (lambda: [("q", 1), ("q", 2)] * 3, (("q", 1), ("q", 2))),
}


@pytest.mark.parametrize("case", list(KEY_CASES), ids=list(KEY_CASES))
def test_every_key_container_keeps_sessions_apart(case):
    """Keys 10**17 and 10**17 + 1 stay two sessions in every container (not one float),
    and `[1, "1"]` are two sessions (NumPy would make both the string '1')."""
    make, keys = KEY_CASES[case]
    table = agentstats.aggregate(make(), np.array(SECONDS), np.array(STATE), unit="s")
    assert_base_result(table, keys=keys)


def test_keys_one_and_one_string_are_two_sessions_in_a_list():
    """Issue item 7 in its own words: a list [1, "1"] is two sessions."""
    table = agentstats.aggregate([1, "1"], [0, 0], [1, 1], unit="s")
    assert len(table) == 2
    assert sorted(map(repr, table.keys.tolist())) == ["'1'", "1"]


@pytest.mark.parametrize("dtype", ["Int64", "int64[pyarrow]"])
@pytest.mark.parametrize("with_na", [False, True], ids=["no NA", "NA"])
def test_nullable_int64_ids_and_ns_times_stay_exact(dtype, with_na):
    """Issue item 2: Int64 / int64[pyarrow] ids 10**17 and 10**17 + 1 are two sessions,
    and ns times are not rounded through float64, with or without a missing value."""
    base = 1_767_225_600_123_456_789
    session = [A, A, B, B, B][: 5 if with_na else 4]
    time = [base, base + 1, base + 3, base + 7, None][: 5 if with_na else 4]
    table = agentstats.aggregate(pd.Series(session, dtype=dtype), pd.Series(time, dtype=dtype),
                                 [1, 4, 1, 4, 1][: len(time)], unit="ns", strict=False)
    assert table.keys.tolist() == [A, B]
    assert table.ticks["start"].tolist() == [base, base + 3]
    assert table.ticks["duration"].tolist() == [1, 4]
    assert table.diagnostics["invalid_time"] == int(with_na)


# -- a missing value in any container: counted, the rest unchanged (SPEC 3) -------------

MISSING_TIME_CASES = {
    "object None": lambda: np.array([*SECONDS, None], dtype=object),
    "object NaN": lambda: np.array([*SECONDS, float("nan")], dtype=object),
    "list with None": lambda: [*SECONDS, None],
    "float64 NaN": lambda: np.array([*SECONDS, np.nan]),
    "float32 NaN": lambda: np.array([*SECONDS, np.nan], dtype=np.float32),
    "pandas Int64 NA": lambda: pd.Series([*SECONDS, None], dtype="Int64"),
    "pandas UInt64 NA": lambda: pd.Series([*SECONDS, None], dtype="UInt64"),
    "pandas Float64 NA": lambda: pd.Series([*SECONDS, None], dtype="Float64"),
    "pandas int64[pyarrow] NA": lambda: pd.Series([*SECONDS, None], dtype="int64[pyarrow]"),
    "pyarrow null": lambda: pa.array([*SECONDS, None], type=pa.int64()),
    "pyarrow uint64 null": lambda: pa.array([*SECONDS, None], type=pa.uint64()),
    "polars null": lambda: pl.Series([*SECONDS, None]),
    "datetime64 NaT": lambda: np.array([*SECONDS, INT64_MIN], dtype=np.int64).view("M8[s]"),
    "object datetimes and None": lambda: np.array(
        [*(dt.datetime(1970, 1, 1) + dt.timedelta(seconds=v) for v in SECONDS), None], dtype=object),
}


@pytest.mark.parametrize("case", list(MISSING_TIME_CASES))
def test_a_missing_time_is_counted_and_the_rest_unchanged(case):
    """Issue item 1: `time=[0, None, 60]` with unit="s" is read in seconds; the None is
    invalid_time and every other row keeps its meaning."""
    time = MISSING_TIME_CASES[case]()
    unit = None if case.startswith(("datetime64", "object datetimes")) else "s"
    table = agentstats.aggregate(np.array([*SESSION, A]), time, np.array([*STATE, 2]),
                                 unit=unit, strict=False)
    assert_base_result(table, extra_rows=1, invalid_time=1)


def test_object_ints_with_none_are_read_in_the_unit():
    """Issue item 1 verbatim: the 60 s session lasts 60 s."""
    table = agentstats.aggregate([7, 7, 7], np.array([0, None, 60], dtype=object), [1, 1, 4],
                                 unit="s", strict=False)
    assert table.ticks["duration"].tolist() == [60]
    assert table.ticks_per_second == 1
    assert table.diagnostics["invalid_time"] == 1


def test_only_missing_times_are_all_counted():
    table = agentstats.aggregate([1, 2], np.array([None, None], dtype=object), [1, 1], unit="s",
                                 strict=False)
    assert len(table) == 0
    assert table.diagnostics["invalid_time"] == 2


@pytest.mark.parametrize("make", [
    lambda: pd.Series([A, None], dtype="Int64"),
    lambda: pd.Series([A, None], dtype="int64[pyarrow]"),
    lambda: pa.array([A, None]),
    lambda: pl.Series([A, None]),
    lambda: np.array([A, None], dtype=object),
    lambda: [A, None],
    lambda: np.array([1.0, np.nan]),
], ids=["Int64", "int64[pyarrow]", "pyarrow", "polars", "object", "list", "float64"])
def test_a_missing_session_key_names_its_row(make):
    with pytest.raises(ValueError, match=r"session key is missing .*at row 1"):
        agentstats.aggregate(make(), [0, 1], [1, 1], unit="s")


WAIT_CASES = {
    "object ints and None": lambda: np.array([None, None, 7, None, None, None], dtype=object),
    "list with None": lambda: [None, None, 7, None, None, None],
    "float NaN": lambda: np.array([np.nan, np.nan, 7.0, np.nan, np.nan, np.nan]),
    "pandas Int64 NA": lambda: pd.Series([None, None, 7, None, None, None], dtype="Int64"),
    "pandas int64[pyarrow] NA": lambda: pd.Series([None, None, 7, None, None, None], dtype="int64[pyarrow]"),
    "pyarrow null": lambda: pa.array([None, None, 7, None, None, None], type=pa.int64()),
    "polars null": lambda: pl.Series([None, None, 7, None, None, None], dtype=pl.Int64),
    "timedelta64 NaT": lambda: np.array([INT64_MIN, INT64_MIN, 7, INT64_MIN, INT64_MIN, INT64_MIN]).view("m8[s]"),
    "timedelta64[ms]": lambda: np.array([INT64_MIN, INT64_MIN, 7000, INT64_MIN, INT64_MIN, INT64_MIN]).view("m8[ms]"),
}


@pytest.mark.parametrize("case", list(WAIT_CASES), ids=list(WAIT_CASES))
def test_every_wait_container_gives_the_same_wait(case):
    table = agentstats.aggregate(np.array(SESSION), np.array(SECONDS), np.array(STATE), unit="s",
                                 wait=WAIT_CASES[case]())
    assert_base_result(table)
    a = table.keys.tolist().index(A)
    assert (int(table.ticks["wait_max"][a]), int(table.ticks["wait_n"][a])) == (7, 1)


# -- errors: the documented class, the row, plain values --------------------------------

ERROR_CASES = {
    # name: (kwargs for aggregate, exception class, regex the message must match)
    "object int beyond int64": (
        dict(time=np.array([0, 2**63, 5], dtype=object), unit="s"),
        ValueError, r"time at row 1 is 9223372036854775808, beyond int64"),
    "object ints and strings": (
        dict(time=np.array([0, "x", 5], dtype=object), unit="s"),
        TypeError, r"time at row 1 is 'x' \(str\)"),
    "object bools": (
        dict(time=np.array([True, False, True], dtype=object), unit="s"), TypeError, "not bool"),
    "bool times": (dict(time=np.array([True, False, True]), unit="s"), TypeError, "not bool"),
    "pandas boolean": (dict(time=pd.array([True, False, None], dtype="boolean"), unit="s"),
                       TypeError, "not bool"),
    "object infinite float": (
        dict(time=np.array([0, 5, math.inf], dtype=object), unit="s"),
        ValueError, r"time at row 2 is inf, not a representable"),
    "float infinite": (dict(time=np.array([0.0, -np.inf, 1.0]), unit="s"), ValueError, r"row 1 is -inf"),
    "float beyond int64": (dict(time=np.array([0.0, 1e30, 1.0]), unit="s"), ValueError, r"row 1 is 1e\+30"),
    "float32 epoch seconds": (
        dict(time=np.array([1.7e9, 1.7e9 + 60, 1.7e9 + 120], dtype=np.float32), unit="s"),
        ValueError, r"time at row 0 is 1700000000 in float32: at that size float32 steps by 128 ticks"),
    "float32 beyond 2**24": (
        dict(time=np.array([0, 2**24, 5], dtype=np.float32), unit="ms"),
        ValueError, r"time at row 1 .* in float32"),
    "float16 times": (dict(time=np.array([0, 4096, 5], dtype=np.float16), unit="s"),
                      ValueError, r"row 1 .* in float16"),
    "pandas Float32 epoch": (
        dict(time=pd.Series([1.0, 1.7e9, 2.0], dtype="Float32"), unit="s"), ValueError, r"row 1 .* float32"),
    "datetime64[D] beyond int64 seconds": (
        dict(time=np.array([0, 2**62, 1], dtype="M8[D]")),
        ValueError, r"time at row 1 is .* beyond the range of int64 seconds"),
    "datetime64[m] beyond int64 seconds": (
        dict(time=np.array([0, 1, -(2**62)], dtype="M8[m]")), ValueError, r"time at row 2 .* int64 seconds"),
    "datetime64[Y] beyond int64 seconds": (
        dict(time=np.array([0, 10**12, 1], dtype="M8[Y]")), ValueError, r"time at row 1 .* int64 seconds"),
    "datetime64[ps] unsupported": (
        dict(time=np.array([0, 1, 2], dtype="M8[ps]")), ValueError, r"resolution 'ps' is not supported"),
    "timedelta times": (dict(time=np.array([0, 1, 2], dtype="m8[s]")), TypeError, "not timedelta64"),
    "numeric times without unit": (dict(time=[0, 1, 2]), ValueError, "unit= is needed"),
    "timedelta64[D] wait beyond int64 seconds": (
        dict(time=np.array([0, 1, 2]), unit="s", wait=np.array([0, 2**62, 1], dtype="m8[D]")),
        ValueError, r"wait at row 1 is .* beyond the range of int64 seconds"),
    "timedelta64[s] wait beyond int64 ns": (
        dict(time=np.array([0, 1, 2], dtype="M8[ns]"), wait=np.array([0, 1, 2**62], dtype="m8[s]")),
        ValueError, r"wait at row 2 overflows int64"),
    "negative wait, plain value": (
        dict(time=np.array([0, 1, 2]), unit="s", wait=np.array([0, -5, 1], dtype="m8[s]")),
        ValueError, r"wait at row 1 is negative \(-5 seconds\)"),
    "negative numeric wait, plain value": (
        dict(time=np.array([0, 1, 2]), unit="s", wait=np.array([0.0, 1.0, -2.5])),
        ValueError, r"wait at row 2 is negative \(-2\.5\)"),
    "object wait beyond int64": (
        dict(time=np.array([0, 1, 2]), unit="s", wait=np.array([None, 2**64, 1], dtype=object)),
        ValueError, r"wait at row 1 is 18446744073709551616, beyond int64"),
    "unhashable list keys": (
        dict(session=[[1], [2], [1]], time=[0, 1, 2], unit="s"),
        TypeError, r"session key at row 0 is not hashable: list \[1\]"),
    "one unhashable key among ints": (
        dict(session=np.array([1, {"a": 1}, 1], dtype=object), time=[0, 1, 2], unit="s"),
        TypeError, r"session key at row 1 is not hashable: dict"),
    "unhashable key in a long log": (
        dict(session=np.array([1] * 20_000 + [{1, 2}, 1], dtype=object),
             time=np.arange(20_002), state=np.ones(20_002, dtype=np.int64), unit="s"),
        TypeError, r"session key at row 20000 is not hashable: set"),
}


@pytest.mark.parametrize("case", list(ERROR_CASES), ids=list(ERROR_CASES))
def test_hostile_columns_raise_the_documented_error(case):
    """Issue items 1, 8, 9, 23: the error class and the row, in plain values; never a
    wrap, a silent truncation or 'negative' for an overflow."""
    kwargs, error, pattern = ERROR_CASES[case]
    kwargs = dict(kwargs)
    session = kwargs.pop("session", [1, 1, 1])
    state = kwargs.pop("state", [1, 2, 1])
    time = kwargs.pop("time")
    with pytest.raises(error, match=pattern) as info:
        agentstats.aggregate(session, time, state, **kwargs)
    message = str(info.value)
    assert "np." not in message and "negative" not in message or "is negative" in pattern


@pytest.mark.parametrize("state", [np.array([True, False, True]), np.array([True, None, True], dtype=object),
                                   pd.array([True, None, True], dtype="boolean")],
                         ids=["bool", "object bool", "pandas boolean"])
def test_a_state_column_of_non_numbers_is_refused(state):
    with pytest.raises(TypeError, match="state must be numeric 0..4"):
        agentstats.aggregate([1, 1, 1], [0, 1, 2], state, unit="s")


@pytest.mark.parametrize("session, state, shown", [
    (np.array([9, 9], dtype=np.int64), np.array([1, 9], dtype=np.int64), "state 9 is not 0..4 (session 9)"),
    (np.array(["a", "a"]), np.array([1.0, 7.0]), "state 7.0 is not 0..4 (session 'a')"),
    (np.array([np.uint8(3)] * 2, dtype=object), np.array([1, 12], dtype=np.uint16), "state 12 is not 0..4 (session 3)"),
], ids=["int64", "str_ and float", "object numpy"])
def test_strict_errors_show_plain_values(session, state, shown):
    """Issue item 23: `state 9 ... (session 9)`, never `np.int64(9)` / `np.str_('a')`."""
    with pytest.raises(TapiValueError) as info:
        agentstats.aggregate(session, np.array([0, 1]), state, unit="s")
    assert info.value.hresult == LINEERR_OPERATIONFAILED
    assert f"row 1: invalid_state: {shown}" in str(info.value)
    assert "np." not in str(info.value)


@pytest.mark.parametrize("n_threads, shown", [(0, "0"), (-1, "-1"), (2.5, "2.5"), (True, "True"),
                                             (np.int64(0), "0")])
def test_bad_n_threads_is_a_value_error_in_plain_values(n_threads, shown):
    with pytest.raises(ValueError, match=rf"n_threads must be a positive int or None, not {shown}$"):
        agentstats.Aggregator(n_threads=n_threads)


def test_numpy_n_threads_is_accepted():
    table = agentstats.aggregate(SESSION, SECONDS, STATE, unit="s", n_threads=np.int64(2))
    assert_base_result(table)


def test_unknown_session_and_bad_state_show_plain_values():
    table = agentstats.aggregate(SESSION, SECONDS, STATE, unit="s")
    with pytest.raises(TapiValueError, match=r"no session 99 in this table"):
        table.session(np.int64(99))
    store = SessionStore(clock=lambda: 0)
    with pytest.raises(TapiValueError, match=r"state 7 is not an AGENT_SESSION_STATE") as info:
        store.create_session("a", "q").put_State(np.int64(7))
    assert info.value.hresult == E_INVALIDARG


def test_off_table_error_shows_a_plain_session():
    with pytest.raises(TapiValueError) as info:
        agentstats.aggregate(np.array([5, 5], dtype=np.int64), [0, 1], [0, 2], unit="s", off_table="raise")
    assert "(session 5, state 2)" in str(info.value)


def test_int64_extreme_times_in_one_session_name_the_session():
    """A duration beyond int64 ticks is LINEERR_OPERATIONFAILED naming the session."""
    with pytest.raises(TapiValueError, match=r"session 42: a total does not fit") as info:
        agentstats.aggregate(np.array([42, 42]), np.array([INT64_MIN + 1, INT64_MAX]), [2, 1], unit="ns")
    assert info.value.hresult == LINEERR_OPERATIONFAILED


def test_huge_and_tiny_datetimes_are_exact():
    """Year -200000 to +200000 in datetime64[s]: exact int64 seconds, no ns detour."""
    time = np.array(["-200000-01-01", "200000-01-01"], dtype="M8[s]")
    table = agentstats.aggregate([1, 1], time, [1, 4])
    assert table.ticks["duration"].tolist() == [int(time[1].astype(np.int64) - time[0].astype(np.int64))]


def test_datetime64_days_are_read_in_seconds():
    table = agentstats.aggregate([1, 1], np.array([0, 3], dtype="M8[D]"), [1, 4])
    assert table.time_unit == "s"
    assert table.ticks["duration"].tolist() == [3 * 86400]


@pytest.mark.parametrize("make", [
    lambda: ([], [], []),
    lambda: (np.array([], dtype=np.int64), np.array([], dtype="M8[ns]"), np.array([], dtype=np.uint8)),
    lambda: (np.array([], dtype=object), np.array([], dtype=object), np.array([], dtype=object)),
    lambda: (pd.Series([], dtype="Int64"), pd.Series([], dtype="Int64"), pd.Series([], dtype="Int64")),
    lambda: (pa.array([], pa.string()), pa.array([], pa.int64()), pa.array([], pa.int8())),
], ids=["lists", "numpy", "object", "Int64", "arrow"])
def test_empty_input_gives_an_empty_table(make):
    session, time, state = make()
    table = agentstats.aggregate(session, time, state, unit="s")
    assert len(table) == 0
    assert table.diagnostics["rows"] == 0


def test_inputs_are_never_modified():
    session = np.array(SESSION, dtype=">i8")
    time = np.array([*SECONDS, None], dtype=object)[:6]
    state = np.array(STATE, dtype=np.int64)
    copies = [session.copy(), time.copy(), state.copy()]
    agentstats.aggregate(session, time, state, unit="s")
    for before, after in zip(copies, (session, time, state)):
        assert before.dtype == after.dtype and before.tolist() == after.tolist()


# -- as_of: missing or beyond the range of ticks (issue items 10, 17) --------------------

@pytest.mark.parametrize("as_of", [pd.NaT, np.datetime64("NaT"), np.datetime64("NaT", "s"),
                                   float("nan"), np.float64("nan"), "NaT"],
                         ids=["pd.NaT", "np NaT", "np NaT[s]", "nan", "np nan", "str NaT"])
def test_as_of_nat_is_an_error_not_the_earliest_time(as_of):
    with pytest.raises(ValueError, match="as_of is .*(NaT|nan)"):
        agentstats.aggregate(SESSION, SECONDS, STATE, unit="s", as_of=as_of)


@pytest.mark.parametrize("as_of, unit", [
    (99999999999999999999, "s"), (-(2**63), "s"), (float("inf"), "s"), (1e300, "ms"),
    (dt.datetime(2300, 1, 1), "ns"), ("2300-01-01", "ns"), (np.datetime64("2300-01-01"), "ns"),
    (pd.Timestamp("1500-01-01"), "ns"), (np.datetime64(10**18, "D"), "s"),
], ids=["int", "int64 min", "inf", "float", "datetime", "str", "datetime64", "Timestamp", "days"])
def test_as_of_beyond_int64_ticks_is_a_value_error(as_of, unit):
    time = np.array(SECONDS, dtype=np.int64) * TICKS_PER_SECOND[unit]
    with pytest.raises(ValueError, match="as_of .*(beyond the range|infinite)"):
        agentstats.aggregate(SESSION, time, STATE, unit=unit, as_of=as_of)


@pytest.mark.parametrize("as_of", [
    dt.datetime(2300, 1, 1), "2300-01-01", np.datetime64("2300-01-01", "D"),
    pd.Timestamp(dt.datetime(2300, 1, 1)), dt.datetime(2300, 1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))),
    dt.date(2300, 1, 1),
], ids=["datetime", "str", "datetime64[D]", "Timestamp[us]", "aware", "date"])
def test_as_of_after_2262_works_with_seconds(as_of):
    """No detour through nanoseconds: year 2300 is a fine report time in seconds."""
    table = agentstats.aggregate(SESSION, SECONDS, STATE, unit="s", as_of=as_of)
    end = int((dt.datetime(2300, 1, 1) - dt.datetime(1970, 1, 1)).total_seconds())
    assert table.as_of == end
    assert ticks_by_key(table)[A]["duration"] == end
    assert ticks_by_key(table)[B] == EXPECTED[B]


def test_result_as_of_nat_is_an_error():
    aggregator = agentstats.Aggregator(unit="s").update(SESSION, SECONDS, STATE)
    with pytest.raises(ValueError, match="NaT"):
        aggregator.result(as_of=pd.NaT)


# -- IntervalRollup: datetime columns in their own unit (issue item 11) ------------------

@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns", "m"])
def test_interval_rollup_reads_datetimes_in_their_unit(unit):
    times = np.array(["2026-01-01T00:00", "2026-01-01T00:30", "2026-01-01T02:00"], dtype=f"M8[{unit}]")
    rollup = IntervalRollup(3600)
    rollup.update([1, 1, 1], times, [1, 0, 4], ["a", "a", "a"])
    frame = rollup.result()
    assert frame["interval_start"].astype(str).tolist() == ["2026-01-01 00:00:00", "2026-01-01 01:00:00"]
    assert frame["ready"].tolist() == [1800, 0]
    assert frame["not_ready"].tolist() == [1800, 3600]


def test_interval_rollup_refuses_a_time_between_its_ticks():
    rollup = IntervalRollup(60)
    with pytest.raises(ValueError, match=r"time at row 1 is .*between two ticks.*ticks_per_second=1000"):
        rollup.update([1, 1], np.array([0, 1500], dtype="M8[ms]"), [1, 4], ["a", "a"])


def test_interval_rollup_ns_ticks_from_seconds_and_object_ints():
    rollup = IntervalRollup(60 * 10**9, ticks_per_second=10**9)
    rollup.update([1, 1], np.array([0, 120], dtype="M8[s]"), [1, 4], ["a", "a"])
    assert rollup.result()["ready"].tolist() == [60, 60]
    rollup = IntervalRollup(60)
    rollup.update([1, 1, 1], np.array([0, None, 120], dtype=object), [1, 1, 4], ["a", "a", "a"])
    assert rollup.result()["ready"].tolist() == [60, 60]


# -- SessionStore (issue item 21, SPEC 4.2) ----------------------------------------------

@pytest.mark.parametrize("wait", [float("inf"), -float("inf"), float("nan"), -1, 1e300, "5",
                                  True, None.__class__, Decimal("NaN")],
                         ids=["inf", "-inf", "nan", "negative", "huge", "str", "bool", "type", "Decimal nan"])
def test_store_put_state_bad_wait_is_invalidarg(wait):
    store = SessionStore(clock=lambda: 0, ticks_per_second=1)
    session = store.create_session("a", "q", state=1)
    with pytest.raises(TapiValueError) as info:
        session.put_State(2, wait=wait)
    assert info.value.hresult == E_INVALIDARG
    assert session.get_State() == 1                         # nothing changed


@pytest.mark.parametrize("wait, ticks", [(2.5, 2), (3.5, 4), (np.float32(1.5), 2), (np.int64(7), 7),
                                         (Decimal("1.25"), 1)])
def test_store_put_state_numeric_wait_rounds_to_the_nearest_tick(wait, ticks):
    store = SessionStore(clock=lambda: 0, ticks_per_second=1)
    session = store.create_session("a", "q", state=1)
    session.put_State(2, wait=wait)
    assert session.ticks().wait_max == ticks


@pytest.mark.parametrize("tps", [0, -1, 1.5, True, "1", None])
def test_store_refuses_a_bad_tick_rate(tps):
    with pytest.raises(TapiValueError) as info:
        SessionStore(ticks_per_second=tps)
    assert info.value.hresult == E_INVALIDARG


def test_store_accepts_a_numpy_tick_rate():
    assert SessionStore(ticks_per_second=np.int64(1000), clock=lambda: 0).create_session("a", "q")


@pytest.mark.parametrize("call", [len, lambda s: s.events(), lambda s: s.keys(),
                                  lambda s: s.create_session("a", "q"), lambda s: s.session(1)],
                         ids=["len", "events", "keys", "create_session", "session"])
def test_closed_store_is_uninitialized(call):
    store = SessionStore(clock=lambda: 0)
    store.create_session("a", "q")
    store.close()
    with pytest.raises(TapiUninitializedError) as info:
        call(store)
    assert info.value.hresult == LINEERR_UNINITIALIZED


# -- threads (issue items 20, 22) --------------------------------------------------------

def test_n_threads_is_capped_at_the_cores(monkeypatch):
    aggregate_module = sys.modules["agentstats.aggregate"]
    if not aggregate_module._kernel.openmp_enabled():
        pytest.skip("built without OpenMP: always one thread")
    monkeypatch.setattr(aggregate_module, "_available_cores", lambda: 2)
    assert agentstats.Aggregator(n_threads=24)._threads_for(50_000_000, 200_000) == 2
    assert agentstats.Aggregator(n_threads=1)._threads_for(50_000_000, 200_000) == 1


def test_many_threads_give_the_one_thread_result():
    rng = np.random.default_rng(5)
    n = 1 << 21
    session = rng.integers(0, 1000, n)
    time = np.sort(rng.integers(0, 10**6, n))
    state = rng.integers(0, 5, n)
    one = agentstats.aggregate(session, time, state, unit="s", n_threads=1)
    many = agentstats.aggregate(session, time, state, unit="s", n_threads=64)
    assert actual_ticks(many) == actual_ticks(one)
    assert many.diagnostics == one.diagnostics


_THREAD_START_FAILS = textwrap.dedent("""
    import resource, sys
    import numpy as np
    import agentstats
    agentstats.aggregate             # names load on first use: before the memory cap
    n = 1 << 21
    session = np.arange(n, dtype=np.int64) % 10
    time = np.arange(n, dtype=np.int64)
    state = (np.arange(n) % 2 + 1).astype(np.uint8)
    vm = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("VmSize"))
    stack = resource.getrlimit(resource.RLIMIT_STACK)[0]     # a new thread's default stack
    stack = 2 << 20 if stack == resource.RLIM_INFINITY else stack
    resource.setrlimit(resource.RLIMIT_AS, (vm + stack // 2, resource.RLIM_INFINITY))
    try:
        agentstats.aggregate(session, time, state, unit="s", n_threads=2)
        print("no error")
    except MemoryError as exc:
        print(type(exc).__name__, hex(exc.hresult), exc)
    table = agentstats.aggregate(session, time, state, unit="s")   # default: falls back to one
    print("default", table.diagnostics["rows"])
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc are Linux's")
def test_thread_start_failure_is_a_python_error():
    """Under a memory limit the OpenMP runtime would end the process ("Thread creation
    failed"); the library refuses first with E_OUTOFMEMORY, or runs one thread."""
    if not sys.modules["agentstats.aggregate"]._kernel.openmp_enabled():
        pytest.skip("built without OpenMP: no threads to start")
    src = Path(agentstats.__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", _THREAD_START_FAILS], capture_output=True, text=True,
                          env={"PYTHONPATH": str(src), "OMP_NUM_THREADS": "2"}, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"TapiMemoryError {hex(E_OUTOFMEMORY)} E_OUTOFMEMORY"), done.stdout
    assert "could not start 2 threads" in lines[0]
    assert lines[1] == f"default {1 << 21}"


def test_threads_can_start_is_remembered_per_calling_thread():
    """The OpenMP runtime keeps one pool per calling thread: probed once in each."""
    aggregate_module = sys.modules["agentstats.aggregate"]
    seen = []

    def probe():
        seen.append(getattr(aggregate_module._thread_probes, "known", 1))
        assert aggregate_module._threads_can_start(3)
        seen.append(aggregate_module._thread_probes.known)

    worker = threading.Thread(target=probe)
    worker.start()
    worker.join()
    assert seen == [1, 3]


def _chunks(n_threads=8, rows=200):
    """Each thread's own sessions, in time order: any interleaving gives one answer."""
    rng = np.random.default_rng(22)
    chunks = []
    for t in range(n_threads):
        session = t * 100 + rng.integers(0, 10, rows)
        time = np.sort(rng.integers(0, 10_000, rows))
        state = rng.integers(0, 5, rows)
        chunks.append((session, time, state))
    return chunks


@pytest.mark.parametrize("repeat", range(3))
def test_one_aggregator_shared_by_8_threads_keeps_every_row(repeat):
    """Issue item 22: 8 threads x 200 rows into one Aggregator: 1,600 rows accounted
    for and the result of one thread, whatever the interleaving."""
    chunks = _chunks()
    shared = agentstats.Aggregator(unit="s", as_of=10_000)
    errors = []
    start = threading.Barrier(len(chunks))

    def feed(chunk):
        start.wait()
        try:
            for part in range(4):                     # several updates per thread
                shared.update(*(column[part * 50:(part + 1) * 50] for column in chunk))
                shared.result()
        except Exception as exc:  # pragma: no cover - the failure this test looks for
            errors.append(exc)

    workers = [threading.Thread(target=feed, args=(chunk,)) for chunk in chunks]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    together = shared.result()
    alone = agentstats.aggregate(*(np.concatenate(columns) for columns in zip(*chunks)), unit="s",
                                 as_of=10_000)
    assert together.diagnostics["rows"] == 1600
    assert together.diagnostics == alone.diagnostics
    assert actual_ticks(together) == actual_ticks(alone)


# -- the fuzz: hostile object columns against the plain-Python twin ----------------------

PLAIN_TIMES = st.one_of(st.integers(-10, 400), st.integers(-10, 400).map(np.int64),
                        st.floats(-10, 400, allow_nan=False), st.none(), st.just(float("nan")))
HOSTILE_TIMES = st.one_of(
    st.sampled_from([INT64_MAX, INT64_MIN, INT64_MIN + 1, 2**63, -(2**63) - 1, 2**70]),
    st.sampled_from([float("inf"), -float("inf"), 1e19, -1e19, 9.2e18]),
    st.sampled_from(["x", True, b"1", "2026-01-01"]),
)
PLAIN_KEYS = st.one_of(st.integers(0, 3), st.sampled_from(["0", "a", (1, 2), INT64_MAX, -(2**63)]))
HOSTILE_KEYS = st.sampled_from([[1], None, {1: 2}, float("nan"), 2**64])
ANY_STATES = st.one_of(st.integers(0, 4), st.integers(0, 4), st.sampled_from([-1, 5, 255, 2**40]))


PLAIN_WAITS = st.one_of(st.integers(0, 30), st.none(), st.just(float("nan")), st.floats(0, 30))
HOSTILE_WAITS = st.sampled_from([-1, -0.6, float("inf"), 2**63, INT64_MAX, "x", True])


@st.composite
def hostile_logs(draw):
    """A log of plain values with a few hostile ones dropped in (0-2 times, keys and
    waits), so that both outcomes (a documented error, or a result) are common."""
    n = draw(st.integers(0, 40))
    session = draw(st.lists(PLAIN_KEYS, min_size=n, max_size=n))
    time = draw(st.lists(PLAIN_TIMES, min_size=n, max_size=n))
    state = draw(st.lists(ANY_STATES, min_size=n, max_size=n))
    wait = draw(st.one_of(st.none(), st.lists(PLAIN_WAITS, min_size=n, max_size=n)))
    if n:
        hostile = [(time, HOSTILE_TIMES), (session, HOSTILE_KEYS)]
        if wait is not None:
            hostile.append((wait, HOSTILE_WAITS))
        for column, values in hostile:
            for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
                column[draw(st.integers(0, n - 1))] = draw(values)
    return session, time, state, wait


def _tick(value, per_second=1):
    """The reference's reading of one hostile value in ticks of 1/per_second s (numbers
    are seconds, rounded once), or None when missing. A column of ISO strings is read
    as datetimes, whatever `unit` says."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        return int(np.datetime64(value, "s").astype(np.int64)) * per_second
    if isinstance(value, float):
        return round(value) * per_second
    return None if int(value) == INT64_MIN else int(value) * per_second     # INT64_MIN is NaT


@pytest.mark.filterwarnings("ignore:Could not infer format")
@given(hostile_logs(), st.booleans(), st.booleans())
def test_fuzz_aggregate_hostile_object_columns(log, as_object, strict):
    """Either a documented error naming a row or a session, or every row accounted
    for (used + anomalies == rows) and the plain-Python twin's result on them."""
    session, time, state, wait = log
    columns = [None if c is None else np.fromiter(c, dtype=object, count=len(c)) if as_object else c
               for c in (session, time, state, wait)]
    try:
        table = agentstats.aggregate(*columns[:3], wait=columns[3], unit="s", strict=strict)
    except (TapiError, ValueError, TypeError) as exc:
        # A row's value names the row; a session's overflowing total names the
        # session; a column of the wrong kind altogether says what it must be.
        message = str(exc)
        assert "np." not in message
        assert " row " in message or "session " in message or " must be " in message, message
        event(f"error: {type(exc).__name__}")
        return
    event("result")
    per_second = table.ticks_per_second         # 1 (unit="s"), or finer for parsed strings
    ticks = [_tick(t, per_second) for t in time]
    waits = None if wait is None else [_tick(w, per_second) for w in wait]
    sessions, buckets, _ = reference(session, ticks, [int(s) for s in state], waits)
    assert not strict or buckets["invalid_time"] == buckets["invalid_state"] == 0
    assert actual_ticks(table) == expected_ticks(sessions)
    d = table.diagnostics
    assert {name: d[name] for name in BUCKETS} == buckets
    assert d["used"] + sum(d[name] for name in BUCKETS if name not in ("used", "off_table")) == d["rows"] == len(time)

