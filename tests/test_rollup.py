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


# -- per reporting interval -----------------------------------------------------------------

from agentstats.rollup import IntervalRollup  # noqa: E402


def test_interval_hand_derived_synthetic_day():
    # tests/data/synthetic_day.log, wrap-up support=30, 15-minute buckets. +0 = 22:13:20 UTC.
    # support|Alice: READY +10 (22:13:30) .. bucket 22:00 ends at +100: 90 s ready.
    # bucket 22:15 (+100..+1000): ready +100..+112 = 12 s, talk +112..+212 = 100 s,
    #   wrap-up +212..+242 = 30 s, not ready (Lunch) +242..+1000 = 758 s; 1 call.
    from agentstats.io.queue_log import import_queue_log

    path = Path(__file__).parent / "data" / "synthetic_day.log"
    intervals = IntervalRollup(900, as_of=1700003600)
    import_queue_log(path, wrapup={"support": 30},
                     on_chunk=lambda c: intervals.update(c.session, c.time, c.state, c.acd_group))
    got = intervals.result("acd_group").set_index(["acd_group", "interval_start"])
    first = got.loc[("support", pd.Timestamp("2023-11-14 22:00:00"))]
    assert (first.ready, first.logged_in, first.number_of_calls) == (90, 90, 0)
    second = got.loc[("support", pd.Timestamp("2023-11-14 22:15:00"))]
    assert (second.ready, second.talk_time, second.wrapup_time, second.not_ready) == (12, 100, 30, 758)
    assert (second.logged_in, second.call_time, second.number_of_calls) == (900, 130, 1)


@pytest.mark.parametrize("chunk", [1, 17, 1000, 10**6])
def test_interval_sums_equal_session_totals(chunk):
    from agentstats.demo import DEMO_WRAPUP, demo_log_path
    from agentstats.io.queue_log import import_queue_log, read_queue_log

    events, _, _ = read_queue_log(demo_log_path(), wrapup=DEMO_WRAPUP)
    events = events.queue_sessions_only()        # the session table has no presence sessions
    table = import_queue_log(demo_log_path(), wrapup=DEMO_WRAPUP).table
    intervals = IntervalRollup(1800, as_of=table.as_of)
    for i in range(0, len(events), chunk):
        part = slice(i, i + chunk)
        intervals.update(events.session[part], events.time[part], events.state[part], events.agent[part])
    per_agent = intervals.result("agent").groupby("agent").sum(numeric_only=True)
    totals = rollup(table, "agent").set_index("agent")
    assert (per_agent["logged_in"] == totals["session_duration"]).all()
    assert (per_agent["talk_time"] == totals["total_talk_time"]).all()
    assert (per_agent["wrapup_time"] == totals["total_wrapup_time"]).all()
    assert (per_agent["number_of_calls"] == totals["number_of_calls"]).all()


def test_interval_split_is_exact_in_ticks():
    # ms ticks, 1 s buckets: talk 0.5 s .. 2.5 s -> 0.5 + 1.0 + 0.5 s; floors per cell.
    intervals = IntervalRollup(1000, ticks_per_second=1000)
    intervals.update(["s"] * 4, [0, 500, 2500, 3000], [1, 2, 1, 4], ["a"] * 4)
    got = intervals.result()
    assert got["talk_time"].tolist() == [0, 1, 0]
    assert got["number_of_calls"].tolist() == [1, 0, 0]
    assert got["logged_in"].tolist() == [1, 1, 1]


def test_interval_rules_after_end_duplicates_as_of():
    # after SESSION_ENDED nothing counts; a repeated state changes nothing; as_of cuts.
    intervals = IntervalRollup(60, as_of=100)
    intervals.update([1, 1, 1, 1, 1, 2, 2], [0, 10, 20, 30, 40, 0, 200],
                     [1, 2, 2, 4, 2, 1, 2], ["a", "a", "a", "a", "a", "b", "b"])
    got = intervals.result().set_index("key")
    assert got.loc["a", "talk_time"] == 20 and got.loc["a", "number_of_calls"] == 1
    b = got.loc["b"]
    assert b["logged_in"].tolist() == [60, 40] and b["number_of_calls"].sum() == 0
