"""--days / --hours: only the opening hours of the call center, in the report's zone;
time outside them is left out exactly (SPEC 7.3's split at the interval edges, then
whole intervals kept or left out, like a window). Hand-checked on a Friday and a
Saturday in Europe/Rome."""

from __future__ import annotations

import json

import pytest

from agentstats.cli import main
from agentstats.report.opening_hours import check_fits, parse_days, parse_hours

FRIDAY, SATURDAY = 1772760600, 1772870400      # 2026-03-06 01:30Z (Fri), 2026-03-07 08:00Z (Sat)


def line(t, callid, queue, agent, verb, *data):
    return "|".join([str(t), callid, queue, agent, verb, *map(str, data)])


LOG = "\n".join([
    line(FRIDAY + 6 * 3600, "MANAGER", "q1", "Ana", "ADDMEMBER", ""),            # 07:30Z = 08:30 Rome
    line(FRIDAY + 5 * 3600 + 900, "c1", "q1", "NONE", "ENTERQUEUE", "", "+1", 1),  # 07:45 Rome: closed
    line(FRIDAY + 5 * 3600 + 960, "c1", "q1", "NONE", "ABANDON", 1, 1, 60),
    line(FRIDAY + 8 * 3600 + 1800, "c2", "q1", "NONE", "ENTERQUEUE", "", "+2", 1),  # 10:00Z = 11:00 Rome
    line(FRIDAY + 8 * 3600 + 1810, "c2", "q1", "Ana", "CONNECT", 10, "c2b", 1),
    line(FRIDAY + 8 * 3600 + 2110, "c2", "q1", "Ana", "COMPLETECALLER", 10, 300, 1),
    line(FRIDAY + 16 * 3600, "MANAGER", "q1", "Ana", "REMOVEMEMBER", ""),        # 17:30Z = 18:30 Rome
    line(SATURDAY, "MANAGER", "q1", "Ana", "ADDMEMBER", ""),
    line(SATURDAY + 3600, "MANAGER", "q1", "Ana", "REMOVEMEMBER", ""),
]) + "\n"
OPEN = ["--tz", "Europe/Rome", "--interval", "60", "--days", "mon-fri", "--hours", "08:00-18:00"]


@pytest.fixture
def log(tmp_path):
    path = tmp_path / "queue_log"
    path.write_text(LOG)
    return str(path)


def rows(log, tmp_path, *options):
    out = tmp_path / "o.json"
    assert main(["report", log, *options, "-o", str(out), "-q"]) == 0
    return json.loads(out.read_text())["rows"]


def test_agent_time_outside_the_opening_hours_is_left_out(log, tmp_path):
    kept = rows(log, tmp_path, "--by", "agent", *OPEN)
    # Friday 08:30-18:30 local, open 08:00-18:00: 9.5 hours; Saturday is closed
    assert sum(r["logged_in"] for r in kept) == 9 * 3600 + 1800
    assert [r["interval_start"][:16] for r in kept] == [f"2026-03-06T{h:02d}:00" for h in range(8, 18)]
    assert sum(r["number_of_calls"] for r in kept) == 1
    everything = rows(log, tmp_path, "--by", "agent", "--tz", "Europe/Rome", "--interval", "60")
    assert sum(r["logged_in"] for r in everything) == 11 * 3600       # 10 h Friday + 1 h Saturday


def test_calls_outside_the_opening_hours_are_left_out(log, tmp_path):
    kept = rows(log, tmp_path, "--by", "queue", *OPEN)
    assert sum(r["total_calls_queued"] for r in kept) == 1            # the 07:45 caller is not
    assert sum(r["total_calls_abandoned"] for r in kept) == 0
    assert {r["interval_start"][:16] for r in kept if r["total_calls_queued"]} == {"2026-03-06T11:00"}


def test_overnight_hours_and_weekends(log, tmp_path):
    weekend = rows(log, tmp_path, "--by", "agent", "--tz", "Europe/Rome", "--interval", "60", "--days", "sat,sun")
    assert sum(r["logged_in"] for r in weekend) == 3600
    night = rows(log, tmp_path, "--by", "agent", "--tz", "Europe/Rome", "--interval", "30", "--hours", "18:00-09:00")
    # Friday 08:30-09:00 and 18:00-18:30, Saturday 09:00-10:00 is outside 18:00-09:00
    assert sum(r["logged_in"] for r in night) == 3600


@pytest.mark.parametrize("options, message", [
    (["--by", "agent", "--days", "mon-fri"], "need --interval"),
    (["--by", "session", "--interval", "60", "--hours", "08:00-18:00"], "need"),
    (["--by", "agent", "--interval", "60", "--hours", "08:30-18:00"], "does not fall on the edges"),
    (["--by", "agent", "--interval", "day", "--hours", "08:00-18:00"], "does not fall on the edges"),
    (["--by", "agent", "--interval", "60", "--days", "mo-fr"], "day names"),
    (["--by", "agent", "--interval", "60", "--hours", "8-18h"], "HH:MM"),
])
def test_bad_opening_hours_are_usage_errors(log, capsys, options, message):
    assert main(["report", log, *options]) == 2
    assert message in capsys.readouterr().err


def test_parsing():
    assert parse_days("mon-fri") == frozenset(range(5))
    assert parse_days("fri-mon") == frozenset({4, 5, 6, 0})
    assert parse_days("Saturday,sun") == frozenset({5, 6})
    assert parse_hours("08:00-18:00") == (480, 1080)
    assert parse_hours("22:00-24:00") == (1320, 1440)
    with pytest.raises(ValueError):
        parse_hours("09:00-09:00")
    check_fits((480, 1080), 15)
    with pytest.raises(ValueError):
        check_fits((490, 1080), 15)
