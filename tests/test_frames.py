"""Tables in (SPEC 1: columns by name from any data frame) and tables out (SPEC 2.12
seconds, SPEC 2.14 missing waits) for pandas, polars, pyarrow and DuckDB."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import agentstats
from agentstats import frames

EVENTS = pd.DataFrame({
    "sid": [10, 10, 10, 11, 11, 10],
    "ts": pd.to_datetime(["2024-03-01 08:00", "2024-03-01 08:01", "2024-03-01 08:05",
                          "2024-03-01 08:00", "2024-03-01 09:00", "2024-03-01 08:09"]),
    "code": [1, 2, 3, 1, 4, 4],
    "waited": [np.nan, 12.0, np.nan, np.nan, np.nan, np.nan],
    "who": ["ann", "ann", "ann", "bob", "bob", "ann"],
})
NAMES = dict(session="sid", time="ts", state="code", wait="waited", agent="who")


def expected() -> pd.DataFrame:
    e = EVENTS
    return agentstats.aggregate(e["sid"].to_numpy(), e["ts"].to_numpy(), e["code"].to_numpy(),
                                wait=e["waited"].to_numpy(), agent=e["who"].to_numpy(),
                                unit="s").to_pandas()


class InterchangeOnly:
    """A table that speaks only the dataframe interchange protocol."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame

    def __dataframe__(self, *args, **kwargs):
        return self._frame.__dataframe__(*args, **kwargs)


TABLES = {
    "pandas": lambda: EVENTS,
    "pandas-arrow-dtypes": lambda: EVENTS.convert_dtypes(dtype_backend="pyarrow"),
    "pandas-nullable": lambda: EVENTS.convert_dtypes(),
    "pyarrow-table": lambda: pa.table(EVENTS),
    "pyarrow-two-chunks": lambda: pa.concat_tables([pa.table(EVENTS.iloc[:3]), pa.table(EVENTS.iloc[3:])]),
    "pyarrow-batch": lambda: pa.RecordBatch.from_pandas(EVENTS),
    "pyarrow-reader": lambda: pa.RecordBatchReader.from_batches(
        pa.table(EVENTS).schema, pa.table(EVENTS).to_batches(max_chunksize=2)),
    "polars": lambda: pl.from_pandas(EVENTS),
    "duckdb-relation": lambda: duckdb.sql("select * from EVENTS"),
    "duckdb-arrow": lambda: duckdb.sql("select * from EVENTS").arrow(),
    "interchange": lambda: InterchangeOnly(EVENTS),
    "mapping": lambda: {name: EVENTS[name].to_numpy() for name in EVENTS},
}


@pytest.mark.filterwarnings("ignore:The Dataframe Interchange Protocol is deprecated")
@pytest.mark.parametrize("make", TABLES.values(), ids=TABLES.keys())
def test_every_table_kind_gives_the_same_result(make):
    table = agentstats.aggregate(make(), unit="s", **NAMES)
    pd.testing.assert_frame_equal(table.to_pandas(), expected())


def test_names_with_data_and_pipe():
    by_names = agentstats.aggregate("sid", "ts", "code", data=EVENTS, wait="waited", agent="who", unit="s")
    piped = EVENTS.pipe(agentstats.aggregate, unit="s", **NAMES)
    pd.testing.assert_frame_equal(by_names.to_pandas(), expected())
    pd.testing.assert_frame_equal(piped.to_pandas(), expected())


def test_aggregator_update_takes_tables():
    aggregator = agentstats.Aggregator(unit="s")
    aggregator.update(pa.table(EVENTS.iloc[:3]), **NAMES)
    aggregator.update("sid", "ts", "code", data=pl.from_pandas(EVENTS.iloc[3:]), wait="waited", agent="who")
    pd.testing.assert_frame_equal(aggregator.result().to_pandas(), expected())


def test_the_array_form_is_unchanged():
    e = EVENTS
    table = agentstats.aggregate(session=e["sid"], time=e["ts"], state=e["code"], wait=e["waited"],
                                 agent=e["who"], unit="s")
    pd.testing.assert_frame_equal(table.to_pandas(), expected())


@pytest.mark.parametrize("names", [
    ["NOT_READY", "READY", "BUSY_ON_CALL", "BUSY_WRAPUP", "SESSION_ENDED"],
    ["not_ready", "ready", "busy_on_call", "busy_wrapup", "session_ended"],
    ["0", "1", "2", "3", "4"],
])
def test_state_names_map_as_the_table_importer_does(names):
    codes = EVENTS["code"].to_numpy()
    named = EVENTS.assign(code=[names[c] for c in codes])
    for table in (named, pa.table(named), pl.from_pandas(named),
                  pa.table(named).set_column(2, "code", pa.table(named)["code"].dictionary_encode())):
        pd.testing.assert_frame_equal(agentstats.aggregate(table, unit="s", **NAMES).to_pandas(), expected())


def test_an_unknown_state_name_is_invalid_state_named_in_the_error():
    bad = EVENTS.assign(code=["READY", "LUNCH", "READY", "READY", "READY", "READY"])
    with pytest.raises(agentstats.TapiError, match="row 1: invalid_state: state 'LUNCH'"):
        agentstats.aggregate(bad, **NAMES)
    lenient = agentstats.aggregate(bad, strict=False, **NAMES)
    assert lenient.diagnostics["invalid_state"] == 1


@pytest.mark.parametrize("call, error, message", [
    (lambda: agentstats.aggregate(EVENTS, session="nope", time="ts", state="code"), KeyError, "no column 'nope'"),
    (lambda: agentstats.aggregate(pl.from_pandas(EVENTS), session="sid", time="t", state="code"), KeyError, "no column 't'"),
    (lambda: agentstats.aggregate(EVENTS, session="sid", time="ts"), TypeError, "missing column names for: state"),
    (lambda: agentstats.aggregate(EVENTS, session=EVENTS["sid"], time="ts", state="code"), TypeError, "must be column names"),
    (lambda: agentstats.aggregate("sid", "ts", "code", "x", data=EVENTS), TypeError, "at most 3"),
    (lambda: agentstats.aggregate(EVENTS["sid"], EVENTS["ts"]), TypeError, "missing columns for: state"),
    (lambda: agentstats.aggregate(EVENTS["sid"], EVENTS["ts"], EVENTS["code"], session=EVENTS["sid"]), TypeError, "both"),
    (lambda: agentstats.aggregate(object(), session="a", time="b", state="c"), TypeError, "not a table agentstats can read"),
], ids=["pandas-name", "polars-name", "missing-role", "array-with-table", "too-many", "array-missing",
        "twice", "not-a-table"])
def test_bad_calls_say_what_is_wrong(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_numeric_waits_are_in_unit_or_else_in_the_times_tick():
    """A wait of 12.0 with unit="s" is 12 s whatever the times' resolution; without unit=
    plain numbers are in the datetime column's own tick (SPEC 1: the same unit as time),
    so 12.0 beside microsecond times is 12 us."""
    for resolution in ("s", "us", "ns"):
        events = EVENTS.assign(ts=EVENTS["ts"].astype(f"datetime64[{resolution}]"))
        table = agentstats.aggregate(events, unit="s", **NAMES)
        assert table.to_pandas().set_index("session").loc[10, "longest_time_to_answer"] == 12, resolution
    micro = EVENTS.assign(ts=EVENTS["ts"].astype("datetime64[us]"))
    in_ticks = agentstats.aggregate(micro, **NAMES)
    assert int(in_ticks.ticks["wait_max"][in_ticks.keys.tolist().index(10)]) == 12
    assert in_ticks.ticks_per_second == 10**6
    as_timedelta = EVENTS.assign(waited=pd.to_timedelta(EVENTS["waited"], unit="s"))
    assert agentstats.aggregate(as_timedelta, **NAMES).to_pandas().set_index("session").loc[
        10, "longest_time_to_answer"] == 12


def test_arrow_columns_without_nulls_are_numpy_views():
    """int64 and timestamp columns in one chunk without nulls: no copy."""
    arrow = pa.table({"sid": pa.array(np.arange(5)), "ts": pa.array(np.arange(5).astype("datetime64[ns]"))})
    columns = frames.columns_from_table(arrow, {"session": "sid", "time": "ts"})
    for role, name in (("session", "sid"), ("time", "ts")):
        assert isinstance(columns[role], np.ndarray)
        assert np.shares_memory(columns[role].view(np.int64),
                                np.frombuffer(arrow[name].chunk(0).buffers()[1], dtype=np.int64))
    assert columns["time"].dtype == np.dtype("datetime64[ns]")
    sliced = frames.columns_from_table(arrow.slice(2), {"session": "sid"})["session"]
    assert sliced.tolist() == [2, 3, 4]                                  # offsets honoured
    with_null = pa.table({"sid": pa.array([1, None, 3])})
    assert isinstance(frames.columns_from_table(with_null, {"s": "sid"})["s"], pa.ChunkedArray)


# -- tables out -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def result():
    return agentstats.aggregate(EVENTS, unit="s", **NAMES)


def test_to_arrow_types_and_values(result):
    arrow = result.to_arrow()
    assert arrow.column_names == [*agentstats.COLUMNS, "agent"]
    assert arrow.schema.field("start_time").type == pa.timestamp("us", tz="UTC")
    assert arrow.schema.field("session_duration").type == pa.int64()
    assert arrow["total_talk_time"].to_pylist() == [240, 0]               # 08:01 -> 08:05
    assert arrow["longest_time_to_answer"].to_pylist() == [12, 0]
    assert arrow["agent"].to_pylist() == ["ann", "bob"]
    assert arrow["start_time"][0].as_py() == dt.datetime(2024, 3, 1, 8, tzinfo=dt.timezone.utc)


def test_missing_waits_are_null_not_zero():
    table = agentstats.aggregate(EVENTS, session="sid", time="ts", state="code")
    assert table.to_arrow()["average_time_to_answer"].null_count == 2     # SPEC 2.14
    assert table.to_pandas()["average_time_to_answer"].isna().all()
    assert table.to_polars()["average_time_to_answer"].null_count() == 2


def test_durations_as_timedelta(result):
    arrow = result.to_arrow(durations="timedelta")
    assert arrow.schema.field("total_talk_time").type == pa.duration("s")
    frame = result.to_pandas(durations="timedelta")
    assert frame["total_talk_time"][0] == pd.Timedelta(minutes=4)
    assert frame["number_of_calls"].dtype == np.int64                     # counts stay counts
    polars = result.to_polars(durations="timedelta")
    assert polars["session_duration"][0] == dt.timedelta(minutes=9)
    with pytest.raises(ValueError, match="'seconds' or 'timedelta'"):
        result.to_arrow(durations="minutes")


def test_times_in_the_reports_zone(result):
    paris = result.to_pandas(tz="Europe/Paris")["start_time"][0]
    assert str(paris.tz) == "Europe/Paris" and paris.hour == 9            # same instant
    assert paris == result.to_pandas()["start_time"][0]
    with pytest.raises(ValueError, match="time zone name"):
        result.to_arrow(tz="Mars/Olympus")


def test_other_libraries_read_the_table(result):
    expected_frame = result.to_pandas()
    assert pa.table(result).equals(result.to_arrow())
    assert pl.DataFrame(result).equals(result.to_polars())
    got = duckdb.sql("select session, total_talk_time from result order by session").fetchall()
    assert got == list(zip(expected_frame["session"], expected_frame["total_talk_time"]))


def test_pd_dataframe_of_a_table_is_a_clear_error(result):
    with pytest.raises(TypeError, match="to_pandas"):
        pd.DataFrame(result)


def test_repr_is_honest(result):
    text = repr(result)
    assert "2 sessions from 6 rows (6 used; other rows: none)" in text
    assert "as_of 2024-03-01T09:00:00.000000 UTC" in text
    assert "ann" not in text.splitlines()[0] and "10" in text.splitlines()[2 + 1]
    lenient = agentstats.aggregate(EVENTS.assign(code=[1, 9, 2, 1, 4, 4]), strict=False, **NAMES)
    assert "invalid_state 1" in repr(lenient)
    many = agentstats.aggregate(np.arange(20), np.arange(20), np.ones(20, dtype=int), unit="s")
    assert "... 15 more sessions" in repr(many)
