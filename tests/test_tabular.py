"""Tabular import: CSV, Parquet, Arrow/Feather, column mapping, state names, chunks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
import pytest

from agentstats.hresult import TapiError
from agentstats.io.tabular import detect_format, import_table, state_codes

DATA = Path(__file__).parent / "data"
MAPPING = {"session": "sid", "time": "ts", "state": "status", "wait": "hold_s", "agent": "who",
           "queue": "skill"}


@pytest.fixture(scope="module")
def frame():
    return pd.read_csv(DATA / "events.csv")


@pytest.fixture(params=["csv", "parquet", "feather"])
def path(request, tmp_path, frame):
    if request.param == "csv":
        return DATA / "events.csv"
    typed = frame.assign(ts=pd.to_datetime(frame["ts"], utc=True))
    out = tmp_path / f"events.{request.param}"
    if request.param == "parquet":
        typed.to_parquet(out)
    else:
        feather.write_feather(pa.Table.from_pandas(typed, preserve_index=False), out)
    return out


def test_hand_derived_values(path):
    # s1 (ann, support): 09:00 READY, 09:10 ON CALL (hold 15), 09:14 wrap-up, 09:15 READY,
    #    09:30 state 2 (numeric) hold 45, 09:40 NOT_READY, 10:00 ended.
    #    duration 3600; talk 240 + 600 = 840; wrap 60; calls 2; wait max 45, avg 30
    # s2 (ben, support): 09:05 ASST_READY, 09:20 ON CALL hold 20, 09:27:30 READY; open until
    #    the latest time 10:00: duration 3300, talk 450
    # s3 (ann, sales): 09:00 .. 09:45 ended: 2700
    table = import_table(path, columns=MAPPING).table
    got = table.to_pandas().set_index("session")
    s1 = got.loc["s1"]
    assert (s1.session_duration, s1.number_of_calls, s1.total_talk_time) == (3600, 2, 840)
    assert (s1.total_wrapup_time, s1.total_call_time, s1.average_call_time) == (60, 900, 450)
    assert (s1.longest_time_to_answer, s1.average_time_to_answer) == (45, 30)
    assert (got.loc["s2"].session_duration, got.loc["s2"].total_talk_time) == (3300, 450)
    assert got.loc["s3"].session_duration == 2700
    assert list(got["agent"]) == ["ann", "ben", "ann"]
    assert list(got["acd_group"]) == ["support", "support", "sales"]


@pytest.mark.parametrize("chunk_rows", [1, 2, 5, None])
def test_chunked_equals_one_shot(path, chunk_rows):
    one = import_table(path, columns=MAPPING, chunk_rows=None).table.to_pandas()
    many = import_table(path, columns=MAPPING, chunk_rows=chunk_rows).table.to_pandas()
    pd.testing.assert_frame_equal(one, many)


def test_state_names_and_numbers():
    got = state_codes(np.array(["READY", "busy on call", "ASST_BUSY_WRAPUP", "not-ready",
                                "SESSION_ENDED", "3", "nonsense", None], dtype=object))
    assert got[:6].tolist() == [1, 2, 3, 0, 4, 3]
    assert np.isnan(got[6]) and np.isnan(got[7])
    assert state_codes(np.array([0, 4])).tolist() == [0, 4]


def test_default_column_names(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("session,time,state,queue\n1,100,READY,q\n1,160,SESSION_ENDED,q\n")
    table = import_table(path).table
    row = table.to_pandas().iloc[0]
    assert (row.session_duration, row.acd_group) == (60, "q")
    assert table.to_pandas()["average_time_to_answer"].isna().all()     # no wait column (SPEC 2.14)


def test_bad_state_names_file_and_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("session,time,state\n1,100,READY\n1,150,LUNCH\n")
    with pytest.raises(ValueError, match=r"bad.csv: line 3: state 'LUNCH'"):
        import_table(path)
    lenient = import_table(path, strict=False).table
    assert lenient.diagnostics["invalid_state"] == 1


def test_missing_column_is_clear(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="no column for session, time, state"):
        import_table(path)
    with pytest.raises(ValueError, match="no column 'zzz'"):
        import_table(DATA / "events.csv", columns={**MAPPING, "wait": "zzz"})


def test_unreadable_and_format_detection(tmp_path):
    with pytest.raises(TapiError):
        import_table(tmp_path / "none.parquet")
    bad = tmp_path / "bad.parquet"
    bad.write_text("not parquet")
    with pytest.raises(TapiError):
        import_table(bad)
    assert detect_format("a.CSV") == "csv"
    assert detect_format("a.feather") == "arrow"
    assert detect_format("x", "parquet") == "parquet"
    with pytest.raises(ValueError):
        detect_format("queue_log")


def test_several_files_together(tmp_path, frame):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    frame.iloc[:6].to_csv(first, index=False)
    frame.iloc[6:].to_csv(second, index=False)
    both = import_table([first, second], columns=MAPPING).table.to_pandas()
    whole = import_table(DATA / "events.csv", columns=MAPPING).table.to_pandas()
    pd.testing.assert_frame_equal(both, whole)


def test_numeric_times_with_unit(tmp_path):
    path = tmp_path / "ms.csv"
    path.write_text("session,time,state,wait\n1,1000,READY,\n1,2500,BUSY_ON_CALL,1500\n1,4000,SESSION_ENDED,\n")
    row = import_table(path, time_unit="ms", wait_unit="ms").table.to_pandas().iloc[0]
    # 1.0 s .. 4.0 s: duration 3; talk 1.5 s -> floor 1; wait 1.5 s -> floor 1
    assert (row.session_duration, row.total_talk_time, row.longest_time_to_answer) == (3, 1, 1)


def test_session_going_back_in_time_across_chunks_is_named(tmp_path):
    # Streaming needs each session's rows in time order across batches; one-shot does not.
    path = tmp_path / "unsorted.parquet"
    pd.DataFrame({"session": [1, 1, 1], "time": [100, 300, 200],
                  "state": [1, 4, 2]}).to_parquet(path)
    with pytest.raises(ValueError, match=r"unsorted.parquet: rows 3..3: a row is earlier"):
        import_table(path, chunk_rows=1)
    row = import_table(path, chunk_rows=None).table.to_pandas().iloc[0]
    assert (row.session_duration, row.total_talk_time) == (200, 100)
