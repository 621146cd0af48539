"""`agentstats report --by agent` and the demo: the agent view on the command line."""

from __future__ import annotations

import pandas as pd
import pytest

from agentstats.cli import main
from test_agents_queue_log import CHAN_AGENT_DAY, DAY, H, _write


def test_demo_shows_the_agent_view_without_apologising_for_sums(capsys):
    assert main(["demo", "--limit", "0"]) == 0
    out = capsys.readouterr().out
    assert "Utilisation" in out and "Occupancy" in out and "Not ready" in out
    assert "sums over" not in out and "16 h" not in out


def test_demo_hours_never_exceed_one_hour(tmp_path, capsys):
    out = tmp_path / "hours.csv"
    assert main(["demo", "--interval", "60", "-o", str(out), "-q"]) == 0
    frame = pd.read_csv(out)
    assert len(frame) and (frame["logged_in"] <= 3600).all()
    assert (frame["logged_in"] == frame["talk_time"] + frame["wrapup_time"] + frame["ready"]
            + frame["not_ready"]).all()


def test_report_by_agent_shows_wall_clock_logged_in_time(tmp_path, capsys):
    path = _write(tmp_path, CHAN_AGENT_DAY)
    assert main(["report", str(path), "--by", "agent"]) == 0
    out = capsys.readouterr().out
    assert "│   8:00:00 │" in out and "0.25" in out          # logged in 8 h, not 16 h
    assert "│  16:00:00 │" not in out


def test_report_by_agent_to_a_file(tmp_path, capsys):
    path = _write(tmp_path, CHAN_AGENT_DAY)
    out = tmp_path / "agents.csv"
    assert main(["report", str(path), "--by", "agent", "-o", str(out), "-q"]) == 0
    row = pd.read_csv(out).iloc[0]
    assert (row["logged_in"], row["talk"], row["not_ready"], row["calls"]) == (8 * H, 900, 1800, 2)


@pytest.mark.parametrize("interval, rows", [("60", 8), ("day", 1), ("15", 32)])
def test_report_by_agent_per_interval(tmp_path, capsys, interval, rows):
    path = _write(tmp_path, CHAN_AGENT_DAY)
    out = tmp_path / "iv.csv"
    assert main(["report", str(path), "--by", "agent", "--interval", interval, "-o", str(out), "-q"]) == 0
    frame = pd.read_csv(out)
    assert len(frame) == rows
    assert frame["logged_in"].sum() == 8 * H


def test_max_call_option(tmp_path, capsys):
    lines = [(0, "NONE|sales|SIP/1|ADDMEMBER|"), (100, "c|sales|SIP/1|CONNECT|3|c|1"),
             (5000, "NONE|sales|SIP/1|REMOVEMEMBER|")]
    out = tmp_path / "a.csv"
    assert main(["report", str(_write(tmp_path, lines)), "--by", "agent", "--max-call", "600",
                 "-o", str(out), "-q"]) == 0
    assert pd.read_csv(out)["talk"].tolist() == [600]


def test_bad_interval_is_a_usage_error(capsys):
    assert main(["demo", "--interval", "week"]) == 2
    assert "invalid interval" in capsys.readouterr().err
