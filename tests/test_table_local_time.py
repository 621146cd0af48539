"""Event tables (CSV/Parquet) reported per queue and local interval (--tz with --by
queue --interval; SPEC 7.3's exact split at the interval edges, on local edges): a 23 h
and a 25 h day in Europe/Rome, the hour that happens twice, times finer than a second
added up exactly; and epoch-second options on a table of nanosecond times."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from agentstats.cli import main

DST = """\
sid,ts,status,who,skill
s1,2026-03-28T22:59:59.500Z,READY,ann,support
s1,2026-03-29T05:59:59.400Z,NOT_READY,ann,support
s1,2026-03-29T06:00:00.600Z,READY,ann,support
s1,2026-03-29T22:00:00.250Z,SESSION_ENDED,ann,support
s2,2026-10-24T22:00:00Z,READY,ann,support
s2,2026-10-25T23:00:00Z,SESSION_ENDED,ann,support
"""
COLUMNS = ["--column", "session=sid", "--column", "time=ts", "--column", "state=status",
           "--column", "agent=who", "--column", "queue=skill"]


@pytest.fixture(params=["csv", "parquet"])
def table(request, tmp_path):
    path = tmp_path / "dst.csv"
    path.write_text(DST)
    if request.param == "parquet":
        frame = pd.read_csv(path)
        frame["ts"] = pd.to_datetime(frame["ts"], utc=True, format="ISO8601").dt.as_unit("ns")
        path = tmp_path / "dst.parquet"
        frame.to_parquet(path)
    return str(path)


def rows(table, tmp_path, *options):
    out = tmp_path / "r.json"
    assert main(["report", table, *COLUMNS, *options, "-o", str(out), "-q"]) == 0
    return {(r.get("acd_group") or r.get("agent"), r["interval_start"]): r
            for r in json.loads(out.read_text())["rows"]}


def test_spec_7_3_local_days_of_23_and_25_hours(table, tmp_path):
    days = rows(table, tmp_path, "--by", "queue", "--interval", "day", "--tz", "Europe/Rome")
    spring = days[("support", "2026-03-29T00:00:00+01:00")]
    # the local 29 March runs 23:00Z..22:00Z: 23 hours; the 0.5 s before it and the
    # 0.25 s after it are in the days beside it
    assert spring["logged_in"] == 23 * 3600
    # 0.6 s of not ready on each side of the 06:00Z hour: 1.2 s in the day, exactly
    # (whole seconds are taken once per day, not once per hour)
    assert (spring["not_ready"], spring["ready"]) == (1, 82798)
    assert days[("support", "2026-03-28T00:00:00+01:00")]["logged_in"] == 0
    assert days[("support", "2026-03-30T00:00:00+02:00")]["logged_in"] == 0
    autumn = days[("support", "2026-10-25T00:00:00+02:00")]
    assert autumn["logged_in"] == autumn["ready"] == 25 * 3600


def test_the_repeated_hour_is_two_rows(table, tmp_path):
    hours = rows(table, tmp_path, "--by", "queue", "--interval", "60", "--tz", "Europe/Rome")
    first, second = hours[("support", "2026-10-25T02:00:00+02:00")], hours[("support", "2026-10-25T02:00:00+01:00")]
    assert first["logged_in"] == second["logged_in"] == 3600
    assert sum(r["logged_in"] for (_, start), r in hours.items() if start.startswith("2026-10-25")) == 25 * 3600


def test_the_queue_and_the_agent_views_agree(table, tmp_path):
    # one agent in one queue: the per-queue and the per-agent local days are the same time
    queue = rows(table, tmp_path, "--by", "queue", "--interval", "day", "--tz", "Europe/Rome")
    agent = rows(table, tmp_path, "--by", "agent", "--interval", "day", "--tz", "Europe/Rome")
    fields = ("logged_in", "not_ready", "ready", "talk_time", "wrapup_time", "number_of_calls")
    assert {start: [r[f] for f in fields] for (_, start), r in queue.items()} == \
        {start: [r[f] for f in fields] for (_, start), r in agent.items()}


def test_a_window_of_local_days(table, tmp_path):
    days = rows(table, tmp_path, "--by", "queue", "--interval", "day", "--tz", "Europe/Rome",
                "--from", "2026-03-29", "--until", "2026-03-30")
    # the 28th is before the window; the window ends at the 30th's local midnight
    assert list(days) == [("support", "2026-03-29T00:00:00+01:00")]
    assert days[("support", "2026-03-29T00:00:00+01:00")]["logged_in"] == 23 * 3600


def test_epoch_seconds_are_a_point_in_time_on_nanosecond_tables(table, tmp_path):
    # 1774767600 = 2026-03-29T07:00:00Z; a table of ns times must not read it as ns
    totals = rows(table, tmp_path, "--by", "agent", "--interval", "day", "--until", "1774767600")
    assert totals[("ann", "2026-03-29T00:00:00Z")]["logged_in"] == 7 * 3600
