"""Event tables (CSV/Parquet) reported per queue and local interval (--tz with --by
queue --interval; SPEC 7.3's exact split at the interval edges, on local edges): a 23 h
and a 25 h day in Europe/Rome, the hour that happens twice, times finer than a second
added up exactly; and epoch-second options on a table of nanosecond times."""

from __future__ import annotations

import json

import numpy as np
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


# -- IntervalRollup's local intervals in exact ticks, against a plain-Python twin -------------

from datetime import datetime, timezone  # noqa: E402

from hypothesis import given, strategies as st  # noqa: E402

NS = 10**9
CHANGES = [int(datetime(2026, 3, 29, 1, tzinfo=timezone.utc).timestamp()),
           int(datetime(2026, 10, 25, 1, tzinfo=timezone.utc).timestamp())]


def twin_edges(first_ns: int, last_ns: int, interval: int, tz) -> list[int]:
    """Every instant (ns) at which a local interval starts near [first, last]: each local
    wall-clock multiple of the interval, read with both folds (a wall time that happens
    twice is two edges; one in the spring gap falls on a real edge either way)."""
    from datetime import timedelta

    edges = set()
    day = datetime.fromtimestamp(first_ns // NS, tz).replace(tzinfo=None).date() - timedelta(days=1)
    end = datetime.fromtimestamp(last_ns // NS, tz).replace(tzinfo=None).date() + timedelta(days=1)
    while day <= end:
        for k in range(86400 // interval):
            wall = datetime(day.year, day.month, day.day) + timedelta(seconds=k * interval)
            for fold in (0, 1):
                edges.add(int(wall.replace(tzinfo=tz, fold=fold).timestamp()) * NS)
        day += timedelta(days=1)
    return sorted(edges)


def twin(times, states, as_of, interval, tz):
    """(local start ns) -> floored seconds of each state and calls, by cutting every
    state's stretch at the local edges in exact ns ticks."""
    import bisect

    edges = twin_edges(times[0], as_of, interval, tz)
    sums: dict[int, list[int]] = {}
    live = [(t, s) for n, (t, s) in enumerate(zip(times, states)) if n == 0 or s != states[n - 1]]
    for n, (t, s) in enumerate(live):
        end = live[n + 1][0] if n + 1 < len(live) else as_of
        if s == 2 and (n == 0 or live[n - 1][1] != 2):
            label = edges[bisect.bisect_right(edges, t) - 1]
            sums.setdefault(label, [0] * 5)[4] += 1
        a = t
        while a < end:
            i = bisect.bisect_right(edges, a) - 1
            b = min(end, edges[i + 1])
            sums.setdefault(edges[i], [0] * 5)[s] += b - a
            a = b
    return {label: [v // NS for v in (sum(v[:4]), v[0], v[1], v[2], v[3])] + [v[4]]
            for label, v in sums.items()}


@given(change=st.sampled_from(CHANGES), offset=st.integers(-5 * 3600, 4 * 3600),
       steps=st.lists(st.tuples(st.integers(1, 5400 * NS), st.integers(0, 3)), min_size=1, max_size=10),
       interval=st.sampled_from([900, 3600, 86400]))
def test_spec_7_3_local_intervals_in_exact_ticks_match_the_twin(change, offset, steps, interval):
    from zoneinfo import ZoneInfo

    from agentstats.localtime import fine_step
    from agentstats.rollup import IntervalRollup

    tz = ZoneInfo("Europe/Rome")
    times, states = [], []
    t = (change + offset) * NS + 123_456_789          # times finer than a second
    for length, state in steps:
        times.append(t)
        states.append(state)
        t += length
    rollup = IntervalRollup(fine_step(interval, tz) * NS, ticks_per_second=NS, as_of=t)
    rollup.update(np.zeros(len(times), dtype=np.int64), np.array(times), np.array(states), ["q"] * len(times))
    frame = rollup.result("queue", tz=tz, interval_seconds=interval)
    got = {int(pd.Timestamp(start).value): [int(r[c]) for c in ("logged_in", "not_ready", "ready", "talk_time",
                                                                "wrapup_time", "number_of_calls")]
           for start, (_, r) in zip(frame["interval_start"], frame.iterrows())}
    assert got == twin(times, states, t, interval, tz)
    assert all(str(start.tz) == "Europe/Rome" for start in frame["interval_start"])
