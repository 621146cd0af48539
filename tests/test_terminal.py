"""The terminal table: durations h:mm:ss, missing values as -, units under the headers
(agent-h:mm:ss where a row sums several agents' time), aliases in one line."""

from __future__ import annotations

import pandas as pd
from rich.console import Console

from agentstats.cli import main
from agentstats.report.terminal import alias_summary, hms, print_table


def render(frame, by):
    console = Console(width=250, record=True)
    print_table(frame, title="t", console=console, limit=None, by=by)
    return console.export_text()


def test_a_session_without_calls_has_no_averages():
    frame = pd.DataFrame({"agent": ["a", "b"], "acd_group": ["q", "q"], "instance": [1, 1],
                          "start_time": pd.to_datetime(["2026-03-02 08:00", "2026-03-02 09:00"]),
                          "state": [4, 4], "session_duration": [3600, 7325], "number_of_calls": [0, 2],
                          "total_talk_time": [0, 120], "average_talk_time": [0, 60],
                          "total_wrapup_time": [0, 0], "average_call_time": [0, 60],
                          "acd_call_rate": [0.0, 1.0], "average_time_to_answer": [0, 7],
                          "longest_time_to_answer": [0, 9]})
    lines = render(frame, "session").splitlines()
    a = next(line for line in lines if line.startswith("│a "))
    b = next(line for line in lines if line.startswith("│b "))
    assert a.count(" - ") + a.rstrip("│").endswith(" -") >= 4 and "0:01:00" not in a
    assert "2:02:05" in b and "0:01:00" in b and "0:00:07" in b
    assert "1:00:00" in a                       # the logged-in time itself is shown


def test_units_under_the_headers():
    out = render(pd.DataFrame({"agent": ["a"], "logged_in": pd.array([3661], dtype="Int64"),
                               "occupancy": [0.5], "calls_per_hour": [2.0],
                               "average_handle_time": pd.array([pd.NA], dtype="Int64")}), "agent")
    assert "h:mm:ss" in out and "calls/h" in out and "%" in out
    assert "1:01:01" in out and "50%" in out
    assert "agent-h:mm:ss" not in out           # one agent's time
    queue = render(pd.DataFrame({"acd_group": ["q"], "sessions": [2], "session_duration": [7200]}), "queue")
    assert "Agent-hours" in queue and "agent-h:mm:ss" in queue and "2:00:00" in queue


def test_hms():
    assert [hms(0), hms(59), hms(3600), hms(90061), hms(None)] == ["0:00:00", "0:00:59", "1:00:00", "25:01:01", "-"]


def test_aliases_in_one_line_and_listed_on_demand(capsys):
    messages = [f"inferred alias SIP/10{i:02d} -> Agent {i} from 1 ADDMEMBER line sharing a second with "
                f"Agent {i}'s UNPAUSE" for i in range(6)]
    (line,) = alias_summary(messages)
    assert line.startswith("6 aliases inferred: SIP/1000 -> Agent 0, SIP/1001 -> Agent 1")
    assert "(2 more)" in line and "--list-aliases" in line
    assert alias_summary(["aliases are not inferred from a stream"]) == ["aliases are not inferred from a stream"]
    assert main(["demo", "--list-aliases"]) == 0
    out = capsys.readouterr().out
    assert "inferred alias SIP/1003 -> Carla Novak from 3 ADDMEMBER lines" in out
    assert "aliases inferred:" not in out


def test_the_accounting_says_where_the_reasons_are_defined(capsys):
    # the diagnostics point to the definitions installed with the package
    import re

    from agentstats.cli import main
    from agentstats.report.explain import explain

    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    (term,) = re.findall(r"What a reason means: agentstats explain (\S+)", out)
    assert explain(term) is not None
