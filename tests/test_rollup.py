"""SPEC 5 roll-ups: sums of exact ticks per agent / queue, floored once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import agentstats
from agentstats.io.tabular import import_table
from agentstats.rollup import currency_rate, rollup

DATA = Path(__file__).parent / "data"
MAPPING = {"session": "sid", "time": "ts", "state": "status", "wait": "hold_s", "agent": "who",
           "queue": "skill"}


@pytest.fixture(scope="module")
def table():
    return import_table(DATA / "events.csv", columns=MAPPING).table


def test_by_agent_hand_derived(table):
    # ann = s1 + s3: duration 3600 + 2700 = 6300; calls 2; talk 840; wrap 60; call 900
    #   overall rate 2 calls / 1.75 h = 1.142857.. -> CURRENCY 11429 -> 1.1429
    # ben = s2: 3300 s, 1 call, talk 450; rate 3600/3300 = 1.0909
    got = rollup(table, "agent").set_index("agent")
    ann = got.loc["ann"]
    assert (ann.sessions, ann.session_duration, ann.number_of_calls) == (2, 6300, 2)
    assert (ann.total_talk_time, ann.total_wrapup_time, ann.total_call_time) == (840, 60, 900)
    assert (ann.average_talk_time, ann.average_call_time, ann.average_wrapup_time) == (420, 450, 30)
    assert ann.overall_call_rate == 1.1429
    assert (ann.longest_time_to_answer, ann.average_time_to_answer) == (45, 30)
    assert got.loc["ben"].overall_call_rate == 1.0909


def test_by_queue_hand_derived(table):
    # support = s1 + s2: 6900 s, 3 calls, talk 1290 (avg 430), waits 15, 45, 20:
    #   max 45, avg floor(80/3) = 26; rate 3*3600/6900 = 1.565217 -> 1.5652
    got = rollup(table, "queue").set_index("acd_group")
    support = got.loc["support"]
    assert (support.session_duration, support.number_of_calls, support.total_talk_time) == (6900, 3, 1290)
    assert (support.average_talk_time, support.average_time_to_answer, support.longest_time_to_answer) == (430, 26, 45)
    assert support.overall_call_rate == 1.5652
    assert got.loc["sales"].number_of_calls == 0 and got.loc["sales"].overall_call_rate == 0


def test_sums_ticks_before_flooring():
    # Two sessions of one agent, each with 1.5 s of talk (ms ticks): per session floor
    # gives 1 + 1, the roll-up gives floor(3.0) = 3 (SPEC 5 like SPEC 2.12).
    table = agentstats.aggregate(
        ["a", "a", "a", "b", "b", "b"], [0, 1000, 2500, 0, 1000, 2500], [1, 2, 1, 1, 2, 1],
        unit="ms", agent=["x"] * 6, acd_group=["q"] * 6)
    assert table.to_pandas()["total_talk_time"].tolist() == [1, 1]
    got = rollup(table, "agent").iloc[0]
    assert (got.total_talk_time, got.average_talk_time, got.session_duration) == (3, 1, 5)


def test_matches_brute_force_on_demo():
    from agentstats.demo import DEMO_WRAPUP, demo_log_path
    from agentstats.io.queue_log import import_queue_log

    result = import_queue_log(demo_log_path(), wrapup=DEMO_WRAPUP)
    t = result.table
    got = rollup(t, ["agent", "acd_group"])
    assert got["sessions"].sum() == len(t)
    agents = rollup(t, "agent").set_index("agent")
    meta = pd.Series(t.meta["agent"])
    for agent, index in meta.groupby(meta).groups.items():
        rows = np.asarray(index)
        talk = int(t.ticks["talk"][rows].sum())
        calls = int(t.ticks["calls"][rows].sum())
        duration = int(t.ticks["duration"][rows].sum())
        assert agents.loc[agent, "total_talk_time"] == talk
        assert agents.loc[agent, "number_of_calls"] == calls
        assert agents.loc[agent, "overall_call_rate"] == currency_rate(calls, duration, 1) / 10000


def test_currency_rounding_half_even():
    assert currency_rate(1, 0, 1) == 0
    # 1 call in 2880000 s -> 0.00125 calls/h -> 12.5 x 10^-4 -> half to even: 12
    assert currency_rate(1, 2_880_000, 1) == 12
    assert currency_rate(3, 2_880_000, 1) == 38          # 37.5 -> 38


def test_needs_keys_and_accepts_side_keys(table):
    plain = agentstats.aggregate([1, 1], [0, 10], [1, 4], unit="s")
    with pytest.raises(ValueError, match="no 'agent'"):
        rollup(plain, "agent")
    got = rollup(plain, "agent", keys={"agent": ["zed"]})
    assert got.iloc[0].agent == "zed" and got.iloc[0].session_duration == 10
    assert got["average_time_to_answer"].isna().all()     # no wait in the log (SPEC 2.14)


def test_empty_table():
    empty = agentstats.aggregate(np.array([], dtype=np.int64), np.array([], dtype=np.int64),
                                 np.array([], dtype=np.uint8), unit="s")
    got = rollup(empty, "agent", keys={"agent": []})
    assert len(got) == 0 and "overall_call_rate" in got.columns
