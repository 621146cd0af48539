"""Per-call tables from other systems (CSV / Parquet / Arrow) aggregate like queue_log
calls (SPEC 8.2); bad values name the row. Also Wazo's periodic cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import agentstats
from agentstats.io.calls import call_columns

T0 = pd.Timestamp("2026-03-02 09:00:00")


def export() -> pd.DataFrame:
    """A contact-record style export: answer and leave times, no wait column."""
    s = lambda sec: T0 + pd.Timedelta(seconds=sec)  # noqa: E731
    return pd.DataFrame({
        "skill": ["sales", "sales", "sales", "support", "support", "support"],
        "result": ["Answered", "abandon", "TIMEOUT", "answered", "Exit-With-Key", "refused"],
        "enter": [s(0), s(10), s(20), s(890), s(905), s(950)],
        "answer": [s(15), pd.NaT, pd.NaT, s(925), pd.NaT, pd.NaT],
        "leave": [s(300), s(40), s(320), s(1000), s(935), s(950)],
        "flowed_out_to": [None, None, "support", None, None, None],
    })


def test_export_aggregates():
    cols = call_columns(export(), columns={"queue": "skill", "outcome": "result"})
    stats = agentstats.queue_stats(cols, interval=15, as_of=T0 + pd.Timedelta(hours=1))
    rows = {(r["queue"], r["interval_start"].minute): r for r in stats.rows()}
    sales = rows[("sales", 0)]
    # waits: answered 15 (answer - enter), abandoned 30, timed out 300 (leave - enter)
    assert (sales["total_calls_queued"], sales["answered"], sales["total_calls_abandoned"],
            sales["timed_out"], sales["total_calls_flowed_out"], sales["final_disposition"]) == (3, 1, 1, 1, 1, 1)
    assert (sales["average_wait_time"], sales["average_speed_of_answer"], sales["longest_ever_wait_time"]) == (115, 15, 300)
    assert sales["answered_within_20s"] == 1 and math.isclose(sales["service_level_20s"], 1 / 3)
    # support: 890 s after 09:00 is in the first quarter, 905 and 950 in the second
    assert rows[("support", 0)]["answered"] == 1
    second = rows[("support", 15)]
    assert (second["exited_with_key"], second["refused"], second["total_calls_queued"]) == (1, 1, 1)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".feather"])
def test_files_and_arrow(tmp_path, suffix):
    frame = export().rename(columns={"skill": "queue", "result": "outcome"})
    path = tmp_path / f"calls{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".parquet":
        frame.to_parquet(path)
    else:
        frame.to_feather(path)
    from_file = agentstats.queue_stats(call_columns(path)).to_pandas()
    from_arrow = agentstats.queue_stats(call_columns(pa.Table.from_pandas(frame))).to_pandas()
    assert from_file.equals(from_arrow)
    assert list(from_file["total_calls_queued"]) == [3, 2]


def test_numeric_epoch_times_and_waits():
    frame = pd.DataFrame({"queue": ["q", "q"], "outcome": ["answered", "waiting"],
                          "enter": [1000, 1010], "leave": [1012, None], "wait": [7, None]})
    stats = agentstats.queue_stats(call_columns(frame), as_of=pd.Timestamp(1100, unit="s")).rows()[0]
    # the logged wait (7) wins over leave - enter (12); the waiting call has waited 90 s
    assert (stats["average_speed_of_answer"], stats["current_longest_wait_time"]) == (7, 90)


@pytest.mark.parametrize("change, message", [
    (dict(result=["answered", "??", "timeout", "answered", "abandon", "full"]), "row 1: outcome '\\?\\?'"),
    (dict(skill=["sales", None, "sales", "support", "support", "support"]), "row 1: no queue"),
    (dict(leave=[T0] * 6, answer=[pd.NaT] * 6), "row 1: the call leaves the queue before it enters it"),
])
def test_bad_rows_are_named(change, message):
    frame = export().assign(**change)
    with pytest.raises(ValueError, match=message):
        call_columns(frame, columns={"queue": "skill", "outcome": "result"})


def test_missing_columns_named(tmp_path):
    path = tmp_path / "calls.csv"
    pd.DataFrame({"queue": ["q"], "when": [1]}).to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"calls.csv: the call table has no outcome / enter or leave column"):
        call_columns(path)
    with pytest.raises(ValueError, match="unknown call-table roles"):
        call_columns(export(), columns={"skill": "queue"})


# -- Wazo's periodic cases (xivo-dao test_stat_call_on_queue_dao) ------------------------


def test_wazo_full_calls_per_quarter_and_hour():
    # Full calls at -5, 5, 15, 22, 35, 65 and 120 minutes from 00:00; Wazo counts, for the
    # period 00:00..03:00, per quarter: 00:00 -> 1, 00:15 -> 2, 00:30 -> 1, and 4 in the
    # first hour. Each call in the interval it arrived.
    start = pd.Timestamp("2012-01-01 00:00:00")
    times = [start + pd.Timedelta(minutes=m) for m in (-5, 5, 15, 22, 35, 65, 120)]
    frame = pd.DataFrame({"queue": "test_queue", "outcome": "full", "enter": times, "leave": times})
    cols = call_columns(frame)
    quarters = {r["interval_start"]: r["refused"] for r in agentstats.queue_stats(cols, interval=15).rows()}
    assert (quarters[start], quarters[start + pd.Timedelta(minutes=15)],
            quarters[start + pd.Timedelta(minutes=30)]) == (1, 2, 1)
    hours = {r["interval_start"]: r["refused"] for r in agentstats.queue_stats(cols, interval=60).rows()}
    assert hours[start] == 4
    # Refused calls are not queued (Wazo's "total" counts them; docs/choices.md says why)
    assert all(r["total_calls_queued"] == 0 for r in agentstats.queue_stats(cols, interval=60).rows())


def test_wazo_total_with_closed_and_abandoned():
    # Wazo's total in the first quarter: full + closed + one abandoned call = 3. Here the
    # same calls are 2 refused and 1 queued (abandoned).
    start = pd.Timestamp("2012-01-01 00:00:00")
    minutes = (5,)
    rows = []
    for m in minutes:
        at = start + pd.Timedelta(minutes=m)
        rows += [("q", "full", at, at), ("q", "closed", at, at)]
    rows.append(("q", "abandoned", start, start + pd.Timedelta(seconds=42)))
    frame = pd.DataFrame(rows, columns=["queue", "outcome", "enter", "leave"])
    first = agentstats.queue_stats(call_columns(frame), interval=15).rows()[0]
    assert (first["refused"], first["total_calls_queued"], first["total_calls_abandoned"]) == (2, 1, 1)
    assert first["refused"] + first["total_calls_queued"] == 3
    assert first["longest_ever_wait_time"] == 42          # the abandoned call's wait, as Wazo's waittime
