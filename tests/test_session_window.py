"""The per-session report of a window [--from, --until] (SPEC 7.2's measurement period
applied to each ITAgentSession of SPEC 2): every session clipped exactly at both edges.
Hand-checked numbers on a small queue_log and an event table, and SessionWindow against
a plain-Python twin that walks each session's clipped timeline."""

from __future__ import annotations

import json
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, strategies as st

import agentstats
from agentstats.cli import main
from agentstats.session_window import SessionWindow

LOG = """\
1000|MANAGER|q1|Ana|ADDMEMBER|
1000|MANAGER|q2|Bob|ADDMEMBER|
1000|MANAGER|q3|Cy|ADDMEMBER|
1100|c1|q1|NONE|ENTERQUEUE||+1|1
1110|c1|q1|Ana|CONNECT|10|c1b|1
1200|MANAGER|q3|Cy|REMOVEMEMBER|
1300|c1|q1|Ana|COMPLETECALLER|10|190|1
1400|NONE|q1|Ana|PAUSE|Lunch
1600|NONE|q1|Ana|UNPAUSE|
1650|c3|q2|NONE|ENTERQUEUE||+3|1
1655|c3|q2|Bob|CONNECT|5|c3b|1
1690|c3|q2|Bob|COMPLETEAGENT|5|35|1
1700|MANAGER|q3|Dee|ADDMEMBER|
2000|MANAGER|q1|Ana|REMOVEMEMBER|
2000|MANAGER|q2|Bob|REMOVEMEMBER|
2000|MANAGER|q3|Dee|REMOVEMEMBER|
"""


@pytest.fixture
def log(tmp_path):
    path = tmp_path / "queue_log"
    path.write_text(LOG)
    return str(path)


def sessions(log, tmp_path, *options):
    out = tmp_path / "s.json"
    assert main(["report", log, "--by", "session", *options, "-o", str(out), "-q"]) == 0
    return {row["agent"]: row for row in json.loads(out.read_text())["rows"]}


def test_spec_7_2_sessions_are_clipped_at_both_edges(log, tmp_path):
    rows = sessions(log, tmp_path, "--from", "1200", "--until", "1700")
    ana, bob = rows["Ana"], rows["Bob"]
    # Ana 1200..1700: on call until 1300 (the call was answered at 1110, before the
    # window: no call, no answer time), ready, not ready 1400..1600, ready
    assert ana["start_time"] == "1970-01-01T00:20:00+00:00"          # 1200, not 1000
    assert (ana["session_duration"], ana["total_talk_time"], ana["number_of_calls"]) == (500, 100, 0)
    assert (ana["longest_time_to_answer"], ana["average_time_to_answer"]) == (0, 0)
    assert (bob["session_duration"], bob["number_of_calls"], bob["total_talk_time"]) == (500, 1, 35)
    assert (bob["longest_time_to_answer"], bob["acd_call_rate"]) == (5, 7.2)     # 1 call in 500 s
    # Cy left at 1200, the window's first second: no time in it, not in the report;
    # Dee joined at 1700, its last second: in it, with no time yet
    assert "Cy" not in rows
    assert (rows["Dee"]["start_time"], rows["Dee"]["session_duration"]) == ("1970-01-01T00:28:20+00:00", 0)


def test_the_whole_log_for_comparison(log, tmp_path):
    rows = sessions(log, tmp_path)
    assert (rows["Ana"]["session_duration"], rows["Ana"]["number_of_calls"], rows["Ana"]["total_talk_time"]) \
        == (1000, 1, 190)
    assert (rows["Cy"]["session_duration"], rows["Dee"]["session_duration"]) == (200, 300)


def test_a_call_answered_at_the_windows_start_is_in_it(log, tmp_path):
    rows = sessions(log, tmp_path, "--from", "1110", "--until", "1300")
    assert (rows["Ana"]["number_of_calls"], rows["Ana"]["total_talk_time"], rows["Ana"]["longest_time_to_answer"]) \
        == (1, 190, 10)


def test_the_screen_report_of_a_window(log, capsys):
    assert main(["report", log, "--from", "1200", "--until", "1700", "--tz", "Europe/Rome"]) == 0
    out = capsys.readouterr().out
    # Ana's clipped start (1200 = 01:20 in Rome, the session start shown local), 500 s
    ana = next(line for line in out.splitlines() if "Ana" in line)
    assert "1970-01-01 01:20:00" in ana and "0:08:20" in ana
    assert "Cy" not in out


def test_an_event_table_window_by_session_and_by_queue(tmp_path):
    events = tmp_path / "e.csv"
    events.write_text("sid,ts,status,hold_s,who,skill\n"
                      "s1,2026-03-02T09:00:00.250Z,READY,,ann,support\n"
                      "s1,2026-03-02T09:10:00Z,BUSY_ON_CALL,15,ann,support\n"
                      "s1,2026-03-02T09:20:00.500Z,READY,,ann,support\n"
                      "s1,2026-03-02T09:40:00Z,BUSY_ON_CALL,45,ann,support\n"
                      "s1,2026-03-02T10:00:00Z,SESSION_ENDED,,ann,support\n")
    columns = ["--column", "session=sid", "--column", "time=ts", "--column", "state=status",
               "--column", "wait=hold_s", "--column", "agent=who", "--column", "queue=skill"]
    window = ["--from", "2026-03-02T09:15", "--until", "2026-03-02T09:50"]
    out = tmp_path / "w.json"
    assert main(["report", str(events), *columns, *window, "-o", str(out), "-q"]) == 0
    (row,) = json.loads(out.read_text())["rows"]
    # 09:15..09:20:00.5 on call (answered before the window), ready, on call from 09:40
    assert (row["session_duration"], row["total_talk_time"], row["number_of_calls"]) == (35 * 60, 900, 1)
    assert (row["longest_time_to_answer"], row["start_time"]) == (45, "2026-03-02T09:15:00+00:00")
    assert main(["report", str(events), *columns, *window, "--by", "queue", "-o", str(out), "-q"]) == 0
    (queue,) = json.loads(out.read_text())["rows"]
    assert (queue["acd_group"], queue["session_duration"], queue["number_of_calls"]) == ("support", 2100, 1)


# -- the twin ---------------------------------------------------------------------------

def twin(session, time, state, wait, start, as_of):
    """Each session's time, calls and waits inside [start, as_of] by walking its rows in
    time order (SPEC 1.1, 2, 3) and cutting every state's stretch to the window."""
    rows = defaultdict(list)
    for i, (t, s) in enumerate(zip(time, state)):
        if t is not None and 0 <= s <= 4 and t <= as_of:
            rows[session[i]].append(i)
    out = {}
    for key, mine in rows.items():
        mine.sort(key=lambda i: (time[i], i))
        live, current = [], None
        for i in mine:
            if current == 4:
                break
            if state[i] != current:
                live.append(i)
                current = state[i]
        end = time[live[-1]] if current == 4 else as_of
        first = time[live[0]]
        totals = dict.fromkeys(("duration", "talk", "wrap", "calls"), 0)
        waits = []

        def inside(a, b):
            return max(0, min(b, as_of) - max(a, start))

        totals["duration"] = inside(first, end)
        for n, i in enumerate(live):
            until = time[live[n + 1]] if n + 1 < len(live) else end
            if state[i] == 2:
                totals["talk"] += inside(time[i], until)
                if time[i] >= start:
                    totals["calls"] += 1
                    if wait[i] is not None:
                        waits.append(wait[i])
            elif state[i] == 3:
                totals["wrap"] += inside(time[i], until)
        if end > start or first >= start or totals["calls"]:
            out[key] = (max(first, start), totals["duration"], totals["talk"], totals["wrap"],
                        totals["calls"], sum(waits), len(waits), max(waits, default=-1))
    return out


def window_of(table):
    t = table.ticks
    return {key: tuple(int(t[name][i]) for name in ("start", "duration", "talk", "wrap", "calls",
                                                      "wait_sum", "wait_n", "wait_max"))
            for i, key in enumerate(table.keys.tolist())}


rows_strategy = st.lists(
    st.tuples(st.integers(0, 3), st.one_of(st.none(), st.integers(0, 60)), st.integers(0, 5),
              st.one_of(st.none(), st.integers(0, 20))),
    min_size=1, max_size=40)


@given(rows=rows_strategy, start=st.integers(0, 60), length=st.integers(0, 60), split=st.integers(0, 40))
def test_spec_7_2_session_window_matches_the_twin(rows, start, length, split):
    session = [f"s{r[0]}" for r in rows]
    time = [r[1] for r in rows]
    state = [r[2] for r in rows]
    wait = [r[3] for r in rows]
    as_of = start + length
    window = SessionWindow(start, unit="s", as_of=as_of, strict=False)
    # two chunks in time order (each session's rows must not go back across chunks)
    order = sorted(range(len(rows)), key=lambda i: (-1 if time[i] is None else time[i], i))
    for part in (order[:split], order[split:]):
        if part:
            window.update(np.array([session[i] for i in part], dtype=object),
                          np.array([np.nan if time[i] is None else time[i] for i in part]),
                          np.array([state[i] for i in part]),
                          wait=np.array([np.nan if wait[i] is None else wait[i] for i in part]))
    table = window.result()
    assert window_of(table) == twin(session, time, state, wait, start, as_of)
    # every row is accounted for once, as in the whole log's report
    assert table.diagnostics["rows"] == len(rows)


@given(rows=rows_strategy)
def test_a_window_from_before_the_log_is_the_whole_log(rows):
    session = [r[0] for r in rows]
    time = np.array([np.nan if r[1] is None else r[1] for r in rows])
    state = [r[2] for r in rows]
    wait = np.array([np.nan if r[3] is None else r[3] for r in rows])
    whole = agentstats.aggregate(session, time, state, wait=wait, unit="s", strict=False, as_of=70)
    window = SessionWindow(-1, unit="s", as_of=70, strict=False).update(session, time, state, wait=wait).result()
    assert window.keys.tolist() == whole.keys.tolist()
    assert {k: v.tolist() for k, v in window.ticks.items()} == {k: v.tolist() for k, v in whole.ticks.items()}
    assert window.diagnostics == whole.diagnostics


def test_a_window_that_starts_after_it_ends_is_refused():
    with pytest.raises(ValueError, match="after its end"):
        SessionWindow(10, unit="s", as_of=5).update([1], [0], [1])


def test_a_queue_window_has_the_members_agent_hours_of_the_window(log, tmp_path):
    out = tmp_path / "q.json"
    assert main(["report", log, "--by", "queue", "--from", "1200", "--until", "1700", "-o", str(out), "-q"]) == 0
    rows = {r["queue"]: r for r in json.loads(out.read_text())["rows"]}
    assert (rows["q1"]["agent_time_logged_in"], rows["q1"]["agent_talk_time"], rows["q1"]["agent_calls"]) \
        == (500, 100, 0)
    assert (rows["q2"]["agent_time_logged_in"], rows["q2"]["agent_calls"], rows["q2"]["total_calls_queued"]) \
        == (500, 1, 1)
    assert rows["q3"]["agent_time_logged_in"] == 0        # Dee joined at the window's last second


def test_aggregate_takes_a_window_from_python():
    import pandas as pd

    # Ana's and Bob's day of the queue_log above, as an event table (times in seconds)
    events = pd.DataFrame({
        "sid": ["a"] * 6 + ["b"] * 4,
        "ts": [1000, 1110, 1300, 1400, 1600, 2000, 1000, 1655, 1690, 2000],
        "code": [1, 2, 1, 0, 1, 4, 1, 2, 1, 4],
        "hold": [None, 10, None, None, None, None, None, 5, None, None]})
    table = agentstats.aggregate(events, session="sid", time="ts", state="code", wait="hold", unit="s",
                                 as_of=1700, window_start=1200)
    rows = table.to_pandas().set_index("session")
    assert rows.loc["a", ["session_duration", "total_talk_time", "number_of_calls"]].tolist() == [500, 100, 0]
    assert rows.loc["b", ["session_duration", "number_of_calls", "longest_time_to_answer"]].tolist() == [500, 1, 5]
    assert str(rows.loc["a", "start_time"]) == "1970-01-01 00:20:00+00:00"
    # strict by default, as without a window: a bad state names its row
    with pytest.raises(ValueError, match="row"):
        agentstats.aggregate(["a", "a"], [0, 10], [1, 9], unit="s", window_start=5)
