"""--from / --until (a window of a long log, cut exactly at both edges) and the --agent /
--queue filters, on a hand-made queue_log with hand-checked numbers."""

from __future__ import annotations

import json

import pytest

from agentstats.cli import main

LOG = """\
1000|MANAGER|q1|Ana|ADDMEMBER|
1000|MANAGER|q2|Bob|ADDMEMBER|
1100|c1|q1|NONE|ENTERQUEUE||+1|1
1110|c1|q1|Ana|CONNECT|10|c1b|1
1300|c1|q1|Ana|COMPLETECALLER|10|190|1
1400|NONE|q1|Ana|PAUSE|Lunch
1500|c2|q1|NONE|ENTERQUEUE||+2|1
1520|c2|q1|NONE|ABANDON|1|1|20
1600|NONE|q1|Ana|UNPAUSE|
1650|c3|q2|NONE|ENTERQUEUE||+3|1
1655|c3|q2|Bob|CONNECT|5|c3b|1
1690|c3|q2|Bob|COMPLETEAGENT|5|35|1
2000|MANAGER|q1|Ana|REMOVEMEMBER|
2000|MANAGER|q2|Bob|REMOVEMEMBER|
"""


@pytest.fixture
def log(tmp_path):
    path = tmp_path / "queue_log"
    path.write_text(LOG)
    return str(path)


def report(log, tmp_path, *options):
    out = tmp_path / "out.json"
    assert main(["report", log, *options, "-o", str(out), "-q"]) == 0
    return {row.get("agent", row.get("queue")): row for row in json.loads(out.read_text())["rows"]}


def test_agent_window_is_cut_at_both_edges(log, tmp_path):
    rows = report(log, tmp_path, "--by", "agent", "--from", "1200", "--until", "1700")
    ana = rows["Ana"]
    # 1200..1300 on call (the call began before the window: not counted as a call),
    # 1300..1400 ready, 1400..1600 not ready, 1600..1700 ready
    assert (ana["logged_in"], ana["talk"], ana["ready"], ana["not_ready"], ana["calls"]) == (500, 100, 200, 200, 0)
    bob = rows["Bob"]
    assert (bob["logged_in"], bob["talk"], bob["ready"], bob["calls"]) == (500, 35, 465, 1)
    assert ana["missed"] is None          # counted per log, not per window


def test_queue_window_counts_calls_that_entered_in_it(log, tmp_path):
    rows = report(log, tmp_path, "--by", "queue", "--from", "1200", "--until", "1700")
    assert (rows["q1"]["total_calls_queued"], rows["q1"]["total_calls_abandoned"], rows["q1"]["answered"]) == (1, 1, 0)
    assert (rows["q2"]["total_calls_queued"], rows["q2"]["answered"]) == (1, 1)


def test_the_whole_log_for_comparison(log, tmp_path):
    rows = report(log, tmp_path, "--by", "agent")
    assert (rows["Ana"]["logged_in"], rows["Ana"]["talk"], rows["Ana"]["calls"]) == (1000, 190, 1)


def test_window_with_intervals_must_start_an_interval(log, tmp_path, capsys):
    assert main(["report", log, "--by", "agent", "--interval", "15", "--from", "1210"]) == 2
    assert "must start where an interval starts" in capsys.readouterr().err
    out = tmp_path / "i.json"
    assert main(["report", log, "--by", "agent", "--interval", "15", "--from", "1800", "--until", "1900",
                 "-o", str(out), "-q"]) == 0
    rows = json.loads(out.read_text())["rows"]
    assert {(r["agent"], r["interval_start"], r["logged_in"]) for r in rows} == {
        ("Ana", "1970-01-01T00:30:00Z", 100), ("Bob", "1970-01-01T00:30:00Z", 100)}


def test_bad_windows_are_usage_errors(log, capsys):
    assert main(["report", log, "--by", "agent", "--from", "1800", "--until", "1700"]) == 2
    assert "after --until" in capsys.readouterr().err
    assert main(["report", log, "--by", "agent", "--until", "1700", "--as-of", "1700"]) == 2


def test_agent_and_queue_filters_take_globs(log, tmp_path):
    assert set(report(log, tmp_path, "--by", "agent", "--agent", "A*")) == {"Ana"}
    assert set(report(log, tmp_path, "--by", "agent", "--agent", "A*", "--agent", "?ob")) == {"Ana", "Bob"}
    assert set(report(log, tmp_path, "--by", "queue", "--queue", "q2")) == {"q2"}
    assert set(report(log, tmp_path, "--by", "agent", "--queue", "q[2]")) == {"Bob"}
    assert set(report(log, tmp_path, "--by", "session", "--queue", "q1")) == {"Ana"}


def test_agent_filter_on_a_queue_report_is_refused(log, capsys):
    assert main(["report", log, "--by", "queue", "--agent", "Ana"]) == 1
    assert "--agent: this report has no agent column" in capsys.readouterr().err


# -- the window against the difference of two reports -----------------------------------

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from hypothesis import given, strategies as st  # noqa: E402

import agentstats  # noqa: E402


@given(rows=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 3), st.integers(0, 4), st.integers(0, 400)),
                     min_size=1, max_size=40),
       start=st.integers(0, 400), length=st.integers(0, 400))
def test_a_window_is_the_difference_of_two_report_times(rows, start, length):
    # SPEC 7.2: the timeline is causal, so the time in [start, end] is the time up to end
    # minus the time up to start, for every agent and every agent state
    session = [f"s{a}{q}" for a, q, _, _ in rows]
    agent = [f"a{a}" for a, _, _, _ in rows]
    state = [s for _, _, s, _ in rows]
    time = np.array([t for _, _, _, t in rows])
    end = start + length

    def totals(**kw):
        frame = agentstats.agent_stats(session, time, state, agent=agent, unit="s", sessions=False, **kw).to_pandas()
        return frame.set_index("agent")[["logged_in", "talk", "wrapup", "ready", "not_ready"]]

    window = totals(as_of=end, window_start=start)
    upto_end, upto_start = totals(as_of=end), totals(as_of=start)
    difference = upto_end.sub(upto_start.reindex(upto_end.index, fill_value=pd.Timedelta(0)), fill_value=pd.Timedelta(0))
    difference = difference[difference["logged_in"] > pd.Timedelta(0)]
    assert window.loc[window["logged_in"] > pd.Timedelta(0)].sort_index().equals(difference.sort_index())


def test_a_call_table_window_counts_the_calls_that_entered_in_it(tmp_path):
    # SPEC 8.2 per window: a per-call export reported for [--from, --until]
    calls = tmp_path / "export.csv"
    pd.DataFrame({"queue": ["sales", "sales", "sales"], "outcome": ["answered", "abandoned", "answered"],
                  "enter": ["2026-03-02T08:59:00", "2026-03-02T09:01:00", "2026-03-02T09:30:00"],
                  "leave": ["2026-03-02T09:00:30", "2026-03-02T09:01:10", "2026-03-02T09:30:20"]}).to_csv(calls, index=False)
    out = tmp_path / "q.json"
    assert main(["report", str(calls), "--format", "calls", "--by", "queue", "--from", "2026-03-02T09:00",
                 "--until", "2026-03-02T10:00", "-o", str(out), "-q"]) == 0
    (row,) = json.loads(out.read_text())["rows"]
    assert (row["total_calls_queued"], row["answered"], row["total_calls_abandoned"]) == (2, 1, 1)
