"""Every supported input form gives the same answer, and inputs are never modified
(issue 2, item 3; SPEC 1)."""

from __future__ import annotations

import datetime as dt
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import agentstats
from checks import actual_ticks

NR, RD, CALL, WRAP, END = range(5)

SESSION = np.array([3, 1, 3, 1, 3, 1, 3], dtype=np.int64)
SECONDS = np.array([0, 5, 10, 20, 70, 30, 100], dtype=np.int64)
STATE = np.array([RD, RD, CALL, CALL, WRAP, END, END], dtype=np.uint8)
WAIT = np.array([np.nan, np.nan, 4.0, 9.0, np.nan, np.nan, np.nan])


@pytest.fixture(scope="module")
def expected():
    return actual_ticks(agentstats.aggregate(SESSION, SECONDS, STATE, wait=WAIT, unit="s"))


def ticks_in_seconds(table):
    """Normalise tick totals of any resolution to seconds for comparison."""
    tps = table.ticks_per_second
    return {
        key: {name: (value // tps if name in ("start", "end", "duration", "talk", "wrap", "call",
                                             "wait_sum") or (name == "wait_max" and value >= 0)
                     else value)
              for name, value in fields.items()}
        for key, fields in actual_ticks(table).items()
    }


@pytest.mark.parametrize("unit, factor", [("s", 1), ("ms", 1000), ("us", 10**6), ("ns", 10**9)])
def test_int_time_with_each_unit(expected, unit, factor):
    table = agentstats.aggregate(SESSION, SECONDS * factor, STATE, wait=WAIT * factor, unit=unit)
    assert table.ticks_per_second == factor
    assert ticks_in_seconds(table) == expected


@pytest.mark.parametrize("resolution, tps", [("s", 1), ("ms", 10**3), ("us", 10**6), ("ns", 10**9)])
def test_datetime64_of_any_unit(expected, resolution, tps):
    times = SECONDS.astype("datetime64[s]").astype(f"datetime64[{resolution}]")
    table = agentstats.aggregate(SESSION, times, STATE, wait=WAIT * tps)  # numbers: the time's tick
    assert table.ticks_per_second == tps
    assert ticks_in_seconds(table) == expected


def test_coarse_datetime64_is_read_in_seconds():
    minutes = SECONDS.astype("datetime64[m]")
    table = agentstats.aggregate(SESSION, minutes, STATE)
    assert table.ticks_per_second == 1
    assert table.ticks["duration"].tolist() == [25 * 60, 100 * 60]      # keys 1, 3


def test_float_time_and_timedelta_wait(expected):
    table = agentstats.aggregate(SESSION, SECONDS.astype(float), STATE,
                                 wait=pd.to_timedelta(WAIT, unit="s").to_numpy(), unit="s")
    assert ticks_in_seconds(table) == expected


def test_numeric_wait_in_unit_with_datetime_time(expected):
    times = (SECONDS * 1000).astype("datetime64[ms]")
    table = agentstats.aggregate(SESSION, times, STATE, wait=WAIT, unit="s")   # wait in s
    assert ticks_in_seconds(table) == expected


def test_python_lists(expected):
    table = agentstats.aggregate(SESSION.tolist(), SECONDS.tolist(), STATE.tolist(),
                                 wait=[None if np.isnan(w) else w for w in WAIT], unit="s")
    assert ticks_in_seconds(table) == expected


def test_pandas_series_and_nullable_dtypes(expected):
    frame = pd.DataFrame({
        "session": SESSION,
        "time": pd.to_datetime(SECONDS, unit="s"),
        "state": pd.array(STATE, dtype="Int8"),
        "wait": pd.array([None if np.isnan(w) else int(w) for w in WAIT], dtype="Int64"),
    })
    table = agentstats.aggregate(frame["session"], frame["time"], frame["state"],
                                 wait=pd.to_timedelta(frame["wait"], unit="s"))
    assert ticks_in_seconds(table) == expected


def test_timezone_aware_pandas_time_is_utc(expected):
    times = pd.Series(pd.to_datetime(SECONDS, unit="s")).dt.tz_localize("UTC").dt.tz_convert("Europe/Paris")
    table = agentstats.aggregate(SESSION, times, STATE, wait=pd.to_timedelta(WAIT, unit="s"))
    assert ticks_in_seconds(table) == expected


def test_arrow_arrays(expected):
    table = agentstats.aggregate(
        pa.array(SESSION), pa.array(SECONDS * 1000, type=pa.timestamp("ms")), pa.array(STATE),
        wait=pa.array([None if np.isnan(w) else int(w * 1000) for w in WAIT], type=pa.int64()),
    )
    assert ticks_in_seconds(table) == expected


def test_arrow_chunked_and_dictionary_keys(expected):
    keys = pa.chunked_array([pa.array(["k3", "k1", "k3"]), pa.array(["k1", "k3", "k1", "k3"])])
    table = agentstats.aggregate(keys.dictionary_encode(), SECONDS, STATE, wait=WAIT, unit="s")
    renamed = {{"k1": 1, "k3": 3}[k]: v for k, v in ticks_in_seconds(table).items()}
    assert renamed == expected


def test_string_and_mixed_hashable_keys(expected):
    names = np.array(["SIP/1003" if k == 3 else "Sathish" for k in SESSION], dtype=object)
    table = agentstats.aggregate(names, SECONDS, STATE, wait=WAIT, unit="s")
    assert table.keys.tolist() == ["SIP/1003", "Sathish"]             # sorted
    renamed = {{"Sathish": 1, "SIP/1003": 3}[k]: v for k, v in ticks_in_seconds(table).items()}
    assert renamed == expected
    tuples = [("q1", int(k)) for k in SESSION]
    mixed = [k if k == 1 else "three" for k in SESSION.tolist()]
    assert len(agentstats.aggregate(tuples, SECONDS, STATE, unit="s")) == 2
    assert len(agentstats.aggregate(mixed, SECONDS, STATE, unit="s")) == 2   # unsortable: first-seen


def test_pandas_categorical_keys(expected):
    keys = pd.Series(SESSION).astype("category")
    table = agentstats.aggregate(keys, SECONDS, STATE, wait=WAIT, unit="s")
    assert ticks_in_seconds(table) == expected


@pytest.mark.parametrize("key_dtype", ["int8", "int32", "uint16", "uint64", "float64"])
def test_key_dtypes(expected, key_dtype):
    table = agentstats.aggregate(SESSION.astype(key_dtype), SECONDS, STATE, wait=WAIT, unit="s")
    assert ticks_in_seconds(table) == expected


def test_read_only_non_contiguous_and_big_endian_inputs(expected):
    def awkward(array):
        doubled = np.repeat(array, 2)[::2]                   # a strided view
        assert not doubled.flags.c_contiguous or len(array) <= 1
        if array.dtype.kind in "iuf" and array.dtype.itemsize > 1:
            doubled = doubled.astype(doubled.dtype.newbyteorder(">"))[::1]
            doubled = np.repeat(doubled, 2)[::2]
        doubled.flags.writeable = False
        return doubled

    table = agentstats.aggregate(awkward(SESSION), awkward(SECONDS), awkward(STATE),
                                 wait=awkward(WAIT), unit="s")
    assert ticks_in_seconds(table) == expected


def test_memory_mapped_input(tmp_path, expected):
    path = tmp_path / "time.npy"
    np.save(path, SECONDS)
    mapped = np.load(path, mmap_mode="r")
    table = agentstats.aggregate(SESSION, mapped, STATE, wait=WAIT, unit="s")
    assert ticks_in_seconds(table) == expected


def test_inputs_are_never_modified():
    rng = np.random.default_rng(7)
    n = 5000
    columns = {
        "session": rng.integers(0, 50, n),
        "time": rng.integers(0, 10**6, n),             # shuffled: forces the sorted path
        "state": rng.integers(0, 6, n).astype(np.int16),  # includes invalid 5
        "wait": rng.integers(0, 100, n).astype(float),
    }
    copies = {name: array.copy() for name, array in columns.items()}
    agentstats.aggregate(columns["session"], columns["time"], columns["state"],
                         wait=columns["wait"], unit="ms", strict=False, n_threads=2)
    for name, array in columns.items():
        np.testing.assert_array_equal(array, copies[name], err_msg=name)


def test_as_of_forms_agree():
    times = np.array(["2024-01-01T08:00", "2024-01-01T09:00"], dtype="datetime64[s]")
    forms = [
        "2024-01-01T08:30",
        np.datetime64("2024-01-01T08:30"),
        dt.datetime(2024, 1, 1, 8, 30),
        pd.Timestamp("2024-01-01 09:30", tz="Europe/Paris"),
        int(np.datetime64("2024-01-01T08:30", "s").astype(np.int64)),
    ]
    durations = {agentstats.aggregate([0, 0], times, [RD, END], as_of=f).ticks["duration"][0] for f in forms}
    assert durations == {1800}


def test_missing_session_key_is_an_error_naming_the_row():
    with pytest.raises(ValueError, match="row 1"):
        agentstats.aggregate(["a", None], [0, 1], [RD, RD], unit="s")
    with pytest.raises(ValueError, match="row 0"):
        agentstats.aggregate([np.nan, 1.0], [0, 1], [RD, RD], unit="s")


@pytest.mark.parametrize("bad", [float("inf"), 1e30])
def test_unrepresentable_float_times_raise(bad):
    with pytest.raises(ValueError, match="row 1"):
        agentstats.aggregate([0, 0], [0.0, bad], [RD, RD], unit="s")


def test_unknown_unit_and_bad_options():
    with pytest.raises(ValueError, match="unit"):
        agentstats.aggregate([0], [0], [1], unit="minutes")
    with pytest.raises(ValueError, match="n_threads"):
        agentstats.aggregate([0], [0], [1], unit="s", n_threads=0)
    with pytest.raises(ValueError, match="off_table"):
        agentstats.aggregate([0], [0], [1], unit="s", off_table="ignore")


def test_agent_group_address_kept_per_session():
    table = agentstats.aggregate(SESSION, SECONDS, STATE, unit="s",
                                 agent=["a3" if k == 3 else "a1" for k in SESSION],
                                 acd_group=["sales"] * 7, address=["100"] * 7)
    frame = table.to_pandas().set_index("session")
    assert frame.loc[3, "agent"] == "a3" and frame.loc[1, "acd_group"] == "sales"
    assert table.session(3).get_Agent() == "a3"
    assert table.session(1).ACDGroup == "sales"


def test_to_arrow_matches_pandas():
    table = agentstats.aggregate(SESSION, SECONDS, STATE, wait=WAIT, unit="s")
    arrow = table.to_arrow()
    assert arrow.column_names == list(agentstats.COLUMNS)
    pd.testing.assert_frame_equal(arrow.to_pandas(), table.to_pandas(), check_dtype=False)
    no_wait = agentstats.aggregate(SESSION, SECONDS, STATE, unit="s").to_arrow()
    assert no_wait.column("longest_time_to_answer").null_count == 2


def test_long_object_keys_take_the_identity_path_and_agree():
    """Long object arrays are factorised by object identity, then by value: equal
    strings held by different objects are one session; a missing key is named."""
    rng = np.random.default_rng(2)
    n = 60_000
    names = np.array([f"agent-{i:04d}" for i in range(900)], dtype=object)
    keys = names[rng.integers(0, 900, n)]
    keys[::7] = [str(k)[:6] + str(k)[6:] for k in keys[::7]]       # same value, new objects
    time = np.sort(rng.integers(0, 10**9, n))
    state = rng.integers(0, 5, n).astype(np.uint8)
    by_object = agentstats.aggregate(keys, time, state, unit="ns")
    by_value = agentstats.aggregate(keys.astype(str), time, state, unit="ns")
    assert by_object.keys.tolist() == by_value.keys.tolist() == sorted(set(keys.tolist()))
    assert actual_ticks(by_object) == actual_ticks(by_value)
    keys[40_000] = None
    with pytest.raises(ValueError, match="row 40000"):
        agentstats.aggregate(keys, time, state, unit="ns")


def test_mostly_distinct_objects_fall_back_to_hashing_by_value():
    n = 40_000
    keys = np.array([f"s{i % 30_000}" for i in range(n)], dtype=object)   # a new object per row
    table = agentstats.aggregate(keys, np.arange(n), np.ones(n, dtype=np.uint8), unit="s")
    assert len(table) == 30_000


def test_default_threads_follow_the_data(monkeypatch):
    """n_threads=None: every core for large logs, one for small ones, and one when a
    private copy of millions of sessions' states would outweigh the rows (docs/choices.md,
    Threads); an explicit n_threads is kept. Results never depend on it."""
    aggregate_module = sys.modules["agentstats.aggregate"]
    if not aggregate_module._kernel.openmp_enabled():
        pytest.skip("built without OpenMP: always one thread")
    monkeypatch.setattr(aggregate_module, "_available_cores", lambda: 2)
    default = agentstats.Aggregator()
    assert default._threads_for(50_000_000, 200_000) == 2
    assert default._threads_for(50_000_000, 1_000_000) == 2
    assert default._threads_for(50_000_000, 5_000_000) == 1
    assert default._threads_for(1_000, 10) == 1
    assert agentstats.Aggregator(n_threads=2)._threads_for(50_000_000, 5_000_000) == 2
