"""Reporting intervals on local boundaries (--tz / tz=): hand-checked days around the
2026 changes in Europe/Rome (29 March: 02:00 -> 03:00, a 23-hour day; 25 October:
03:00 -> 02:00, a 25-hour day in which the quarter hours from 02:00 happen twice)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import agentstats
from agentstats.localtime import fine_step, local_interval_starts, time_zone

ROME = "Europe/Rome"
H = 3600


def utc(text: str) -> int:
    return int(pd.Timestamp(text, tz="UTC").timestamp())


def agent_intervals(times, states, interval, tz=ROME):
    table = agentstats.agent_stats(["s"] * len(times), np.array(times), states, agent=["A"] * len(times),
                                   unit="s", interval=interval, tz=tz, sessions=False)
    return table.intervals()


def test_spring_forward_day_lasts_23_hours():
    # logged in from local midnight (23:00 UTC the day before) to the next local midnight
    frame = agent_intervals([utc("2026-03-28 23:00"), utc("2026-03-29 22:00")], [1, 4], "day")
    assert len(frame) == 1
    assert str(frame["interval_start"][0]) == "2026-03-29 00:00:00+01:00"
    assert frame["logged_in"][0] == pd.Timedelta(hours=23)
    utc_days = agent_intervals([utc("2026-03-28 23:00"), utc("2026-03-29 22:00")], [1, 4], "day", tz=None)
    assert utc_days["logged_in"].tolist() == [pd.Timedelta(hours=1), pd.Timedelta(hours=22)]


def test_fall_back_day_lasts_25_hours():
    frame = agent_intervals([utc("2026-10-24 22:00"), utc("2026-10-25 23:00")], [1, 4], "day")
    assert len(frame) == 1
    assert str(frame["interval_start"][0]) == "2026-10-25 00:00:00+02:00"
    assert frame["logged_in"][0] == pd.Timedelta(hours=25)
    assert frame["ready"][0] == pd.Timedelta(hours=25)


def test_the_repeated_quarter_hours_are_two_rows_each():
    # ready at 02:00 (+02:00, 00:00 UTC); on call 02:30 (+02:00) .. 02:30 (+01:00), an hour
    # of talk; ready again until 03:00 (+01:00) = 02:00 UTC.
    times = [utc("2026-10-25 00:00"), utc("2026-10-25 00:30"), utc("2026-10-25 01:30"), utc("2026-10-25 02:00")]
    frame = agent_intervals(times, [1, 2, 1, 4], 15)
    assert [str(t) for t in frame["interval_start"]] == [
        "2026-10-25 02:00:00+02:00", "2026-10-25 02:15:00+02:00", "2026-10-25 02:30:00+02:00",
        "2026-10-25 02:45:00+02:00", "2026-10-25 02:00:00+01:00", "2026-10-25 02:15:00+01:00",
        "2026-10-25 02:30:00+01:00", "2026-10-25 02:45:00+01:00"]
    quarter = pd.Timedelta(minutes=15)
    assert frame["talk"].tolist() == [pd.Timedelta(0)] * 2 + [quarter] * 4 + [pd.Timedelta(0)] * 2
    assert frame["ready"].tolist() == [quarter] * 2 + [pd.Timedelta(0)] * 4 + [quarter] * 2
    assert (frame["logged_in"] == quarter).all()
    assert frame["calls"].tolist() == [0, 0, 1, 0, 0, 0, 0, 0]


def test_spring_gap_hour_does_not_exist():
    # 01:00 .. 04:00 local on 29 March is two hours (00:00 .. 02:00 UTC); 60-minute intervals
    frame = agent_intervals([utc("2026-03-29 00:00"), utc("2026-03-29 02:00")], [1, 4], 60)
    assert [str(t) for t in frame["interval_start"]] == ["2026-03-29 01:00:00+01:00", "2026-03-29 03:00:00+02:00"]
    assert frame["logged_in"].tolist() == [pd.Timedelta(hours=1)] * 2


def test_agent_first_login_is_local():
    table = agentstats.agent_stats(["s", "s"], np.array([utc("2026-07-01 06:00"), utc("2026-07-01 14:00")]),
                                   [1, 4], agent=["A", "A"], unit="s", tz=ROME, sessions=False)
    frame = table.to_pandas()
    assert str(frame["first_login"][0]) == "2026-07-01 08:00:00+02:00"
    assert str(frame["last_logoff"][0]) == "2026-07-01 16:00:00+02:00"


def calls_table(enters):
    return pd.DataFrame({"queue": ["q"] * len(enters), "outcome": ["answered"] * len(enters),
                         "enter": pd.to_datetime(enters, utc=True).tz_localize(None),
                         "leave": pd.to_datetime(enters, utc=True).tz_localize(None) + pd.Timedelta(seconds=10)})


def test_queue_intervals_on_local_boundaries():
    from agentstats.io.calls import call_columns

    # 22:30 UTC on 24 Oct is 00:30 local on the 25th; 00:10 and 01:10 UTC are both 02:10 local
    calls = call_columns(calls_table(["2026-10-24 22:30", "2026-10-25 00:10", "2026-10-25 01:10"]))
    days = agentstats.queue_stats(calls, interval="day", tz=ROME).to_pandas()
    assert [str(t) for t in days["interval_start"]] == ["2026-10-25 00:00:00+02:00"]
    assert days["total_calls_queued"].tolist() == [3]
    utc_days = agentstats.queue_stats(calls, interval="day").to_pandas()
    assert utc_days["total_calls_queued"].tolist() == [1, 2]
    quarters = agentstats.queue_stats(calls, interval=15, tz=ROME).to_pandas()
    assert [str(t) for t in quarters["interval_start"]] == [
        "2026-10-25 00:30:00+02:00", "2026-10-25 02:00:00+02:00", "2026-10-25 02:00:00+01:00"]
    assert quarters["answered"].tolist() == [1, 1, 1]


def test_fine_step_and_starts():
    rome = time_zone(ROME)
    assert fine_step(86400, rome) == H and fine_step(900, rome) == 900
    hours = np.arange(utc("2026-03-28 23:00"), utc("2026-03-29 22:00"), H)
    assert len(set(local_interval_starts(hours, H, 86400, rome).tolist())) == 1
    assert time_zone("Asia/Kolkata") is not None and fine_step(3600, time_zone("Asia/Kolkata")) == 1800
    with pytest.raises(ValueError, match="unknown time zone"):
        time_zone("Mars/Olympus")


# -- the command ---------------------------------------------------------------------


def fall_back_log(tmp_path):
    """Ana in support from local midnight of 25 October 2026 to the next local midnight
    (25 hours); two callers at 02:10 local, once before and once after the change."""
    lines = [
        f"{utc('2026-10-24 22:00')}|MANAGER|support|Ana|ADDMEMBER|",
        f"{utc('2026-10-25 00:10')}|c1|support|NONE|ENTERQUEUE||+1|1",
        f"{utc('2026-10-25 00:10') + 10}|c1|support|Ana|CONNECT|10|c1b|1",
        f"{utc('2026-10-25 00:20')}|c1|support|Ana|COMPLETECALLER|10|590|1",
        f"{utc('2026-10-25 01:10')}|c2|support|NONE|ENTERQUEUE||+2|1",
        f"{utc('2026-10-25 01:10') + 30}|c2|support|Ana|CONNECT|30|c2b|1",
        f"{utc('2026-10-25 01:20')}|c2|support|Ana|COMPLETECALLER|30|570|1",
        # lines through the day, so that the last one is not taken for a clock jump
        f"{utc('2026-10-25 05:00')}|NONE|support|Ana|UNPAUSE|",
        f"{utc('2026-10-25 10:00')}|NONE|support|Ana|PAUSE|Lunch",
        f"{utc('2026-10-25 10:30')}|NONE|support|Ana|UNPAUSE|",
        f"{utc('2026-10-25 16:00')}|NONE|support|Ana|UNPAUSE|",
        f"{utc('2026-10-25 21:00')}|NONE|support|Ana|UNPAUSE|",
        f"{utc('2026-10-25 23:00')}|MANAGER|support|Ana|REMOVEMEMBER|",
    ]
    path = tmp_path / "queue_log"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_cli_agent_day_in_rome(tmp_path):
    from agentstats.cli import main

    out = tmp_path / "agents.csv"
    assert main(["report", str(fall_back_log(tmp_path)), "--by", "agent", "--interval", "day",
                 "--tz", ROME, "-o", str(out), "-q"]) == 0
    frame = pd.read_csv(out)
    assert frame["interval_start"].tolist() == ["2026-10-25T00:00:00+02:00"]
    assert frame["logged_in"].tolist() == [25 * H]
    assert frame["talk_time"].tolist() == [(600 - 10) + (600 - 30)]
    assert frame["not_ready"].tolist() == [30 * 60]


def test_cli_queue_quarter_hours_in_rome(tmp_path):
    from agentstats.cli import main

    out = tmp_path / "queues.csv"
    assert main(["report", str(fall_back_log(tmp_path)), "--by", "queue", "--interval", "15",
                 "--tz", ROME, "-o", str(out), "-q"]) == 0
    frame = pd.read_csv(out)
    called = frame[frame["total_calls_queued"] > 0]
    assert called["interval_start"].tolist() == ["2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00"]
    assert called["average_speed_of_answer"].tolist() == [10, 30]
    # the members' agent time is split on the same local quarter hours
    assert (frame["agent_time_logged_in"] == 900).all()
    assert len(frame) == 100


def test_cli_local_as_of_and_unknown_zone(tmp_path, capsys):
    from agentstats.cli import main

    log = str(fall_back_log(tmp_path))
    assert main(["report", log, "--tz", "Nowhere/Land"]) == 2
    assert "unknown time zone" in capsys.readouterr().err
    assert main(["report", log, "--tz", ROME, "--as-of", "2026-10-25 02:30"]) == 2
    assert "happens twice or never" in capsys.readouterr().err
    out = tmp_path / "a.json"
    # 01:00 local on the 25th is 23:00 UTC on the 24th: an hour logged in
    assert main(["report", log, "--tz", ROME, "--by", "agent", "--as-of", "2026-10-25 01:00", "-o", str(out), "-q"]) == 0
    import json

    row = json.loads(out.read_text())["rows"][0]
    assert row["logged_in"] == H and row["first_login"] == "2026-10-25T00:00:00+02:00"


# -- against a plain-Python twin ------------------------------------------------------

from datetime import datetime  # noqa: E402

from hypothesis import given, strategies as st  # noqa: E402

CHANGES = [utc("2026-03-29 01:00"), utc("2026-10-25 01:00")]


def twin_key(second: int, interval: int, tz):
    """Which local interval a second lies in, told by its wall clock alone: the wall time
    floored to the interval (the date for a day) and, below a day, the UTC offset (the
    repeated hour of an autumn change is two intervals)."""
    here = datetime.fromtimestamp(second, tz)
    wall = here.replace(tzinfo=None)
    if interval == 86400:
        return (wall.date(),)
    midnight = wall.replace(hour=0, minute=0, second=0, microsecond=0)
    floored = (wall - midnight).total_seconds() // interval
    return (wall.date(), floored, here.utcoffset())


def twin_local_start(second: int, interval: int, tz) -> str:
    """The first minute of the local interval of `second`: walk back minute by minute
    while the key stays the same."""
    key = twin_key(second, interval, tz)
    t = second - second % 60
    while twin_key(t - 60, interval, tz) == key:
        t -= 60
    return str(pd.Timestamp(t, unit="s", tz="UTC").tz_convert(ROME))


@given(change=st.sampled_from(CHANGES), offset_minutes=st.integers(-300, 240),
       steps=st.lists(st.tuples(st.integers(1, 90), st.sampled_from([0, 1, 2, 3])), min_size=1, max_size=8),
       interval=st.sampled_from([15, 60, "day"]))
def test_local_intervals_match_a_minute_by_minute_twin(change, offset_minutes, steps, interval):
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(ROME)
    times, states = [], []
    t = change + offset_minutes * 60
    for minutes, state in steps:
        times.append(t)
        states.append(state)
        t += minutes * 60
    times.append(t)
    states.append(4)
    frame = agent_intervals(times, states, interval)
    seconds = 86400 if interval == "day" else interval * 60
    expected: dict[str, int] = {}
    previous, start = None, None
    for minute in range(times[0], times[-1], 60):
        key = twin_key(minute, seconds, tz)
        if key != previous:            # a new local interval: find where it starts
            previous, start = key, twin_local_start(minute, seconds, tz)
        expected[start] = expected.get(start, 0) + 60
    got = {str(s): int(v.total_seconds()) for s, v in zip(frame["interval_start"], frame["logged_in"])}
    assert got == expected
    # identities on every row: the parts add up, nothing exceeds the interval's real length
    parts = frame["talk"] + frame["wrapup"] + frame["ready"] + frame["not_ready"]
    assert (parts == frame["logged_in"]).all()
    assert all(v <= pd.Timedelta(hours=25) for v in frame["logged_in"])
    if interval != "day":
        assert (frame["logged_in"] <= pd.Timedelta(seconds=seconds)).all()
