"""Tables in and out for the agent view and the queue statistics: the same forms as
aggregate() (any data frame with column names, or names with data=) and the same
exports (Arrow, polars, the Arrow stream), each checked against the array form."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import agentstats

EVENTS = pd.DataFrame({
    # two queue sessions of one agent overlapping in time (SPEC 7.1), one of another
    "sid": [1, 2, 1, 2, 1, 2, 3, 3, 3],
    "ts": [0, 30, 60, 90, 300, 400, 0, 100, 200],
    "st": ["READY", "READY", "BUSY_ON_CALL", "NOT_READY", "SESSION_ENDED", "SESSION_ENDED",
           "READY", "BUSY_ON_CALL", "SESSION_ENDED"],
    "who": ["ann", "ann", "ann", "ann", "ann", "ann", "bob", "bob", "bob"],
    "why": [None, None, None, "lunch", None, None, None, None, None],
})

TABLE_KINDS = {
    "pandas": lambda df: df,
    "polars": lambda df: pl.from_pandas(df),
    "pyarrow": lambda df: pa.Table.from_pandas(df, preserve_index=False),
    "duckdb": lambda df: duckdb.from_arrow(pa.Table.from_pandas(df, preserve_index=False)),
}


def _array_form() -> pd.DataFrame:
    codes = agentstats.io.tabular.state_codes(EVENTS["st"].to_numpy())
    return agentstats.agent_stats(EVENTS["sid"].to_numpy(), EVENTS["ts"].to_numpy(), codes,
                                  agent=EVENTS["who"].to_numpy(), reason=EVENTS["why"].to_numpy(),
                                  unit="s").to_pandas()


@pytest.mark.parametrize("kind", list(TABLE_KINDS))
def test_agent_stats_takes_any_table_with_column_names(kind):
    table = TABLE_KINDS[kind](EVENTS)
    got = agentstats.agent_stats(table, session="sid", time="ts", state="st", agent="who",
                                 reason="why", unit="s").to_pandas()
    pd.testing.assert_frame_equal(got, _array_form())
    ann = got.set_index("agent").loc["ann"]
    # SPEC 7.1: wall-clock 0..400 s once, however many queues overlap
    assert ann["logged_in"] == np.timedelta64(400, "s")
    assert ann["logged_in"] == ann["talk"] + ann["wrapup"] + ann["ready"] + ann["not_ready"]


def test_agent_stats_names_with_data_and_pipe():
    by_data = agentstats.agent_stats("sid", "ts", "st", agent="who", reason="why", data=EVENTS,
                                     unit="s").to_pandas()
    by_pipe = EVENTS.pipe(agentstats.agent_stats, session="sid", time="ts", state="st",
                          agent="who", reason="why", unit="s").to_pandas()
    pd.testing.assert_frame_equal(by_data, _array_form())
    pd.testing.assert_frame_equal(by_pipe, _array_form())


def test_agent_stats_without_agent_is_a_clear_error():
    with pytest.raises(TypeError, match="agent"):
        agentstats.agent_stats(EVENTS, session="sid", time="ts", state="st", unit="s")
    with pytest.raises(TypeError, match="column names"):
        agentstats.agent_stats(EVENTS, session="sid", time="ts", state="st",
                               agent=EVENTS["who"].to_numpy(), unit="s")


CALLS = pd.DataFrame({
    "q": ["support", "support", "sales", "support"],
    "outcome": ["answered", "abandoned", "answered", "timed out"],
    "t_in": [0, 10, 20, 30],
    "leave": [35, 40, 50, 90],
    "wait": [5, 30, 2, 60],
})


@pytest.mark.parametrize("kind", list(TABLE_KINDS))
def test_queue_stats_takes_any_table_with_column_names(kind):
    table = TABLE_KINDS[kind](CALLS)
    got = agentstats.queue_stats(table, columns={"queue": "q", "enter": "t_in"}).to_pandas()
    want = agentstats.queue_stats(CALLS.rename(columns={"q": "queue", "t_in": "enter"})).to_pandas()
    pd.testing.assert_frame_equal(got, want)
    support = got.set_index("queue").loc["support"]
    assert (support["total_calls_queued"], support["answered"], support["total_calls_abandoned"],
            support["timed_out"]) == (3, 1, 1, 1)          # SPEC 8.2


@pytest.mark.parametrize("make", ["agents", "queues"])
def test_results_export_to_arrow_polars_and_duckdb(make):
    if make == "agents":
        result = agentstats.agent_stats(EVENTS, session="sid", time="ts", state="st", agent="who",
                                        unit="s")
    else:
        result = agentstats.queue_stats(CALLS, columns={"queue": "q", "enter": "t_in"})
    frame = result.to_pandas()
    assert pa.table(result).equals(result.to_arrow())
    assert pl.DataFrame(result).equals(result.to_polars())
    assert result.to_polars().shape == frame.shape
    assert duckdb.sql("select count(*) from result").fetchall() == [(len(frame),)]
    with pytest.raises((TypeError, ValueError)):
        pd.DataFrame(result)                                # never one silent column of keys
    with pytest.raises(TypeError, match="to_pandas"):
        np.asarray(result)
