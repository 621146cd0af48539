"""Queued calls from a queue_log (SPEC 8.1, 8.3): hand-derived cases, the plain-Python
twin on generated call sequences, and the line accounting (SPEC 6.5)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentstats.io.queue_log import import_queue_log
from queue_twins import twin_calls

H = 1700002800          # an hour edge (UTC): 2023-11-14 23:00:00

# A hand-made log (times relative to H); what each line does is written beside it.
HAND = [
    (0, "c1", "q1", "NONE", "ENTERQUEUE", "", "555", "1"),
    (5, "c2", "q1", "NONE", "ENTERQUEUE", "", "556", "2"),
    (10, "c3", "q1", "NONE", "ENTERQUEUE", "", "557", "3"),
    (12, "c1", "q1", "Agent/1", "CONNECT", "12", "c1b", "3"),         # answered, wait 12
    (20, "c4", "q1", "NONE", "FULL"),                                  # refused at the door
    (30, "c5", "q2", "NONE", "ENTERQUEUE", "", "558", "1"),
    (35, "c2", "q1", "NONE", "ABANDON", "2", "2", "30"),               # abandoned, wait 30
    (40, "c5", "q2", "NONE", "LEAVEEMPTY"),                            # exited empty, wait measured 10
    (41, "c5", "q3", "NONE", "ENTERQUEUE", "", "558", "1"),            # flowed q2 -> q3
    (50, "c5", "q3", "NONE", "EXITEMPTY", "1", "1", "9"),
    (51, "c5", "q2", "NONE", "ENTERQUEUE", "", "558", "1"),            # re-enters q2: flowed q3 -> q2
    (60, "c5", "q2", "NONE", "EXITWITHKEY", "5", "1", "1", "9"),       # pressed 5 after 9 s
    (70, "c3", "q1", "NONE", "EXITWITHTIMEOUT", "1", "3", "60"),       # timed out after 60 s
    (71, "c3", "q2", "NONE", "ENTERQUEUE", "", "557", "1"),            # flowed q1 -> q2
    (80, "c3", "q2", "Agent/2", "CONNECT", "9", "x", "2"),
    (100, "c1", "q1", "Agent/1", "COMPLETECALLER", "12", "88", "1"),   # talk 88
    (200, "c3", "q2", "Agent/2", "COMPLETEAGENT", "9", "120", "1"),    # talk 120
    (3580, "c6", "q1", "NONE", "ENTERQUEUE", "", "559", "1"),
    (3590, "c6", "q1", "Agent/1", "CONNECT", "10", "y", "1"),
    (3630, "c6", "q1", "Agent/1", "TRANSFER", "200", "ctx", "10", "40", "1"),   # talk 40
    (3631, "c6", "q2", "NONE", "ENTERQUEUE", "", "559", "1"),          # after the transfer: the next hour
    (3700, "c7", "q1", "NONE", "ENTERQUEUE", "", "560", "1"),
    (3725, "c7", "q1", "NONE", "ABANDON", "1", "1", ""),               # no wait field: measured 25
    (3800, "c8", "q1", "Agent/2", "CONNECT", "15", "z", "1"),          # no ENTERQUEUE: entered 3785
    (3810, "c9", "q1", "NONE", "EXITWITHTIMEOUT"),                     # no ENTERQUEUE, no wait
    (3820, "NONE", "q1", "NONE", "ENTERQUEUE", "", "1", "1"),          # no_callid
    (3821, "c1", "q1", "NONE", "ABANDON", "1", "1", "5"),              # queue_orphan: c1 left at 12
    (3822, "c3", "q2", "Agent/3", "CONNECT", "1", "w", "1"),           # second CONNECT (a note)
    (3830, "c10", "q3", "NONE", "ENTERQUEUE", "", "1", "1"),           # still waiting at the end
    (3832, "c10", "q3", "NONE", "ENTERQUEUE", "", "1", "1"),           # second_enterqueue
    (3900, "c11", "q3", "NONE", "CLOSED"),                             # refused; the log's end
]


def plain(value):
    """None for any missing value (NaN, NA, None), Python ints for NumPy ones."""
    if value is None or value is pd.NaT or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def log_text(rows) -> str:
    return "".join("|".join([str(H + r[0]), *r[1:]]) + "\n" for r in rows)


@pytest.fixture
def hand(tmp_path):
    path = tmp_path / "queue_log"
    path.write_text(log_text(HAND))
    return import_queue_log(path)


def test_hand_calls(hand):
    calls = hand.calls
    T = lambda s: pd.Timestamp(H + s, unit="s")     # noqa: E731
    got = [(r.callid, r.queue, r.outcome, r.enter, r.leave, plain(r.wait), plain(r.agent),
            plain(r.talk), plain(r.flowed_in_from), plain(r.flowed_out_to))
           for r in calls.itertuples()]
    NaT = pd.NaT
    assert got == [
        ("c1", "q1", "answered", T(0), T(12), 12, "Agent/1", 88, None, None),
        ("c2", "q1", "abandoned", T(5), T(35), 30, None, None, None, None),
        ("c3", "q1", "timed_out", T(10), T(70), 60, None, None, None, "q2"),
        ("c4", "q1", "full", T(20), T(20), None, None, None, None, None),
        ("c5", "q2", "exited_empty", T(30), T(40), 10, None, None, None, "q3"),
        ("c5", "q3", "exited_empty", T(41), T(50), 9, None, None, "q2", "q2"),
        ("c5", "q2", "exited_with_key", T(51), T(60), 9, None, None, "q3", None),
        ("c3", "q2", "answered", T(71), T(80), 9, "Agent/2", 120, "q1", None),
        ("c6", "q1", "answered", T(3580), T(3590), 10, "Agent/1", 40, None, None),
        ("c6", "q2", "waiting", T(3631), NaT, None, None, None, None, None),
        ("c7", "q1", "abandoned", T(3700), T(3725), 25, None, None, None, None),
        ("c8", "q1", "answered", T(3785), T(3800), 15, "Agent/2", None, None, None),
        ("c9", "q1", "timed_out", NaT, T(3810), None, None, None, None, None),
        ("c10", "q3", "waiting", T(3830), NaT, None, None, None, None, None),
        ("c11", "q3", "closed", T(3900), T(3900), None, None, None, None, None),
    ]
    assert list(calls["wait_source"][[1, 4, 10]]) == ["logged", "measured", "measured"]
    assert list(calls["ended_by"][[0, 7, 8]]) == ["COMPLETECALLER", "COMPLETEAGENT", "TRANSFER"]
    assert calls["first_line"][3] == "queue_log:5"


def test_hand_accounting(hand):
    d = hand.diagnostics
    # 31 lines: 23 caller lines (20 used; no_callid, queue_orphan, second_enterqueue) and
    # 8 CONNECT / call-end lines, all used by the agent side.
    assert (d["lines"], d["used"]) == (31, 28)
    assert d["counted"] == {"no_callid": 1, "queue_orphan": 1, "second_enterqueue": 1}
    assert d["examples"]["queue_orphan"] == ["queue_log:27"]
    assert d["calls"] == {"stays": 15, "notes": {"second_connect": 1}}


def test_hand_matches_twin(hand):
    lines = [log_line.split("|") for log_line in log_text(HAND).splitlines()]
    assert_same_as_twin(hand, lines)


def test_talk_mismatch_and_unpaired_end(tmp_path):
    path = tmp_path / "queue_log"
    path.write_text(log_text([
        (0, "a", "q", "NONE", "ENTERQUEUE", "", "1"),
        (5, "a", "q", "ann", "CONNECT", "5", "b", "1"),
        (65, "a", "q", "ann", "COMPLETEAGENT", "5", "30", "1"),      # logged 30, measured 60
        (70, "a", "q", "ann", "COMPLETEAGENT", "5", "30", "2"),      # the call has ended already
        (80, "z", "q", "ann", "COMPLETECALLER", "1", "2", "1"),      # no such call
        (90, "b", "q", "NONE", "ENTERQUEUE", "", "1"),
        (95, "b", "q", "bob", "CONNECT", "", "b", "1"),              # no hold time: measured 5
        (99, "b", "q", "bob", "ATTENDEDTRANSFER", "LINK", "c1", "c2", "5", "4", "1"),   # talk 4
    ]))
    result = import_queue_log(path)
    calls = result.calls
    assert list(calls["talk"]) == [30, 4]           # the logged calltime is kept
    assert list(calls["wait"]) == [5, 5]
    assert list(calls["wait_source"]) == ["logged", "measured"]
    assert result.diagnostics["calls"]["notes"] == {"call_end_unpaired": 2, "talk_mismatch": 1}


def test_no_queue_and_wait_field_garbage(tmp_path):
    path = tmp_path / "queue_log"
    path.write_text(log_text([
        (0, "a", "NONE", "NONE", "ENTERQUEUE", "", "1"),
        (1, "a", "q", "NONE", "ENTERQUEUE", "", "1"),
        (9, "a", "q", "NONE", "ABANDON", "1", "1", "-3"),           # not a wait: measured
    ]))
    result = import_queue_log(path)
    assert result.diagnostics["counted"] == {"no_queue": 1}
    assert list(result.calls["wait"]) == [8]


def test_stays_are_forgotten_after_the_memory(tmp_path):
    # An exit line for a stay that ended more than `memory` seconds ago cannot be told from a
    # stay that entered before the log: it becomes a call of unknown entry (SPEC 8.3).
    from agentstats.io.queue_calls import DEFAULT_MEMORY

    path = tmp_path / "queue_log"
    path.write_text(log_text([
        (0, "a", "q", "NONE", "ENTERQUEUE", "", "1"),
        (5, "a", "q", "NONE", "ABANDON", "1", "1", "5"),
        (10, "a", "q", "NONE", "ABANDON", "1", "1", "5"),           # remembered: queue_orphan
        (DEFAULT_MEMORY + 100, "a", "q", "NONE", "ABANDON", "1", "1", "5"),
        # two lines that confirm the jump in time (a lone last line far ahead is a time_jump)
        (DEFAULT_MEMORY + 101, "M", "q", "m1", "ADDMEMBER", ""),
        (DEFAULT_MEMORY + 102, "M", "q", "m2", "ADDMEMBER", ""),
    ]))
    result = import_queue_log(path)
    assert result.diagnostics["counted"] == {"queue_orphan": 1}
    assert len(result.calls) == 2


# -- the twin on generated call sequences ----------------------------------------------


def assert_same_as_twin(result, lines):
    calls, counted, used, notes = twin_calls(lines)
    frame = result.calls
    assert len(frame) == len(calls)
    for row, want in zip(frame.to_dict("records"), calls):
        for key in ("callid", "queue", "outcome", "agent", "flowed_in_from", "flowed_out_to",
                    "wait", "talk"):
            assert plain(row[key]) == want[key], (key, row, want)
        for key in ("enter", "leave"):
            value = None if row[key] is pd.NaT else int(row[key].timestamp())
            assert value == want[key], (key, row, want)
    d = result.diagnostics
    caller_reasons = ("no_callid", "no_queue", "queue_orphan", "second_enterqueue")
    assert {k: v for k, v in d["counted"].items() if k in caller_reasons} == dict(counted)
    assert d["calls"]["notes"] == dict(notes)
    assert d["lines"] == d["used"] + sum(d["counted"].values())      # SPEC 6.5
    # identities (SPEC 8.1): every stay has exactly one outcome, flows pair up
    outcomes = frame["outcome"].value_counts()
    assert outcomes.sum() == len(frame)
    assert frame["flowed_in_from"].notna().sum() == frame["flowed_out_to"].notna().sum()
    left = frame[frame["outcome"] != "waiting"]
    assert left["leave"].notna().all()
    assert frame.loc[frame["outcome"] == "waiting", "leave"].isna().all()
    known = frame[frame["enter"].notna() & frame["leave"].notna() & frame["wait"].notna()
                  & (frame["wait_source"] == "measured")]
    assert ((known["leave"] - known["enter"]).dt.total_seconds().astype(int) == known["wait"].astype(int)).all()


QUEUES = ("q1", "q2", "q3")
EXITS = ("CONNECT", "ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY", "EXITWITHKEY", "LEAVEEMPTY", None)


@st.composite
def call_logs(draw):
    """Callers with one or more stays (re-entry, flows between queues), some without their
    ENTERQUEUE (before the log), some without a wait field, refusals, call-end lines,
    second CONNECTs and lines without a callid; all times within one day."""
    lines = []
    for n in range(draw(st.integers(0, 12))):
        callid = f"{1700000000 + n}.{n}"
        t = draw(st.integers(0, 7200))
        for stay in range(draw(st.integers(1, 3))):
            queue = draw(st.sampled_from(QUEUES))
            if draw(st.integers(0, 9)) == 0:
                lines.append((t, callid, queue, "NONE", draw(st.sampled_from(("FULL", "JOINEMPTY", "CLOSED")))))
                t += draw(st.integers(0, 3))
                continue
            if draw(st.integers(0, 5)) > 0:          # the ENTERQUEUE may be missing
                lines.append((t, callid, queue, "NONE", "ENTERQUEUE", "", "555", "1"))
            wait = draw(st.integers(0, 400))
            t += wait
            how = draw(st.sampled_from(EXITS))
            logged = str(wait) if draw(st.booleans()) else ""
            agent = draw(st.sampled_from(("Agent/1", "Agent/2", "NONE")))
            if how is None:
                break                                 # still waiting at the end of the log
            if how == "CONNECT":
                lines.append((t, callid, queue, agent, "CONNECT", logged, "x", "2"))
                if draw(st.integers(0, 4)) == 0:
                    lines.append((t + 1, callid, queue, "Agent/3", "CONNECT", "1", "y", "1"))
                talk = draw(st.integers(0, 900))
                if draw(st.booleans()):
                    verb = draw(st.sampled_from(("COMPLETEAGENT", "COMPLETECALLER", "TRANSFER")))
                    fields = ((logged, str(talk), "1") if verb != "TRANSFER"
                              else ("200", "ctx", logged, str(talk + draw(st.integers(0, 3))), "1"))
                    lines.append((t + talk, callid, queue, agent, verb, *fields))
                t += talk
            elif how == "EXITWITHKEY":
                lines.append((t, callid, queue, "NONE", how, "5", "1", "1", logged))
            elif how == "LEAVEEMPTY":
                lines.append((t, callid, queue, "NONE", how))
            else:
                lines.append((t, callid, queue, "NONE", how, "1", "1", logged))
            if draw(st.integers(0, 6)) == 0:         # a stray exit line for the ended stay
                lines.append((t + 1, callid, queue, "NONE", "ABANDON", "1", "1", "3"))
            t += draw(st.integers(0, 5))
    for _ in range(draw(st.integers(0, 2))):
        lines.append((draw(st.integers(0, 7200)), "NONE", draw(st.sampled_from(QUEUES)), "NONE",
                      "ENTERQUEUE", "", "1"))
    # the importer puts lines in time order, keeping the file order within a second
    lines.sort(key=lambda line: line[0])
    # drop exact duplicates the way the importer does (same second, same text)
    seen, unique = set(), []
    for line in lines:
        if line not in seen:
            seen.add(line)
            unique.append(line)
    return unique


@settings(max_examples=150)
@given(call_logs())
def test_calls_match_twin(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("log") / "queue_log"
    path.write_text("".join("|".join([str(H + line[0]), *line[1:]]) + "\n" for line in lines))
    result = import_queue_log(path)
    split = [[str(H + line[0]), *line[1:]] for line in lines]
    assert_same_as_twin(result, split)


def test_issabel_august_abandoned_calls_reported(shared_dir):
    # SOURCES: 30 ENTERQUEUE, 27 ABANDON, 3 CONNECT in queue 500; holds and talks agree.
    result = import_queue_log(shared_dir / "data" / "queue_log" / "issabel-devbox-2022-08.log")
    calls = result.calls
    assert calls["outcome"].value_counts().to_dict() == {"abandoned": 27, "answered": 3}
    assert (calls["queue"] == "500").all()
    answered = calls[calls["outcome"] == "answered"]
    assert answered["agent"].tolist() == ["Sathish"] * 3          # the alias is applied
    assert answered["talk"].notna().all()
    assert (calls["wait_source"] == "logged").all()
    row = result.queue_stats().rows()[0]
    assert (row["total_calls_queued"], row["total_calls_abandoned"], row["answered"]) == (30, 27, 3)
    assert math.isclose(row["abandon_rate"], 0.9)
    assert result.diagnostics["counted"].get("not_agent_event") == 310     # CONFIGRELOAD + DID


def test_asterisk2slack_calls(shared_dir):
    # 8 ENTERQUEUE lines, 2 distinct (the others are exact duplicates); 3 CONNECTs by Paty
    # Marin, one of them with its ENTERQUEUE (1546015415, hold 10).
    result = import_queue_log(shared_dir / "data" / "queue_log" / "asterisk2slack-fixture.log")
    calls = result.calls
    assert len(calls) == int(np.sum(calls["outcome"].isin(["answered", "waiting"])))
    assert result.diagnostics["lines"] == result.diagnostics["used"] + sum(result.diagnostics["counted"].values())


def test_demo_log_has_every_outcome_and_a_flow():
    from agentstats.demo import demo_log_path

    result = import_queue_log(demo_log_path())
    calls = result.calls
    # every way a stay can end occurs (refusals at the door included); a caller still
    # waiting at the end of a day is the only one the demo never shows
    from agentstats.io.queue_calls import OUTCOMES

    assert set(calls["outcome"]) == set(OUTCOMES) - {"waiting"}
    refused = calls[calls["outcome"].isin(["full", "joinempty", "closed"])]
    assert refused["wait"].isna().all() and (refused["enter"] == refused["leave"]).all()
    flowed = calls[calls["flowed_in_from"].notna()]
    assert len(flowed) >= 1 and (flowed["flowed_in_from"] != flowed["queue"]).all()
    d = result.diagnostics
    assert d["lines"] == d["used"] + sum(d["counted"].values())


def test_working_state_is_bounded_by_the_memory(tmp_path):
    # Three generated days: what the tracker remembers at the end is the stays of the last
    # `memory` seconds (and those still waiting), not the whole log.
    from agentstats.demo import write_queue_log

    path = tmp_path / "queue_log"
    write_queue_log(path, agents=12, days=3, seed=3)
    result = import_queue_log(path, engine="python")      # (the Python tracker's internals)
    tracker = result.call_tracker
    end = result.diagnostics["last_time"]
    assert len(tracker) > 1000
    assert all(t >= end - tracker.memory for t, _, _ in tracker._forget)
    assert len(tracker._ended) < len(tracker) / 2
    assert len(tracker._open) == int((result.calls["outcome"] == "waiting").sum())
    # the compiled tracker holds as much
    compiled = import_queue_log(path, engine="cython").call_tracker
    open_stays, ended_stays, _, _ = compiled.working_set()
    assert len(compiled) == len(tracker)
    assert (open_stays, ended_stays) == (len(tracker._open), len(tracker._ended))


def test_calls_agree_with_the_agent_sessions_on_the_demo():
    # Cross-check of the two sides on a clean log: per agent, the answered calls and their
    # talk time (from the end lines) equal the agent sessions' calls and talk (CONNECT ..
    # end line, SPEC 6.3).
    from agentstats.demo import DEMO_WRAPUP, demo_log_path
    from agentstats.rollup import rollup

    result = import_queue_log(demo_log_path(), wrapup=DEMO_WRAPUP)
    answered = result.calls[result.calls["outcome"] == "answered"]
    per_agent = rollup(result.table, "agent").set_index("agent")
    talk = answered.groupby("agent")["talk"].sum()
    calls = answered.groupby("agent").size()
    assert answered["talk"].notna().all() and result.diagnostics["calls"]["notes"] == {}
    assert (talk == per_agent.loc[talk.index, "total_talk_time"]).all()
    assert (calls == per_agent.loc[calls.index, "number_of_calls"]).all()


def test_issabel_august_on_the_command_line(shared_dir, tmp_path, capsys):
    # The same sample as a supervisor runs it: the terminal table and the -o file show the
    # 30 callers of queue 500, 3 answered and 27 abandoned, with both service levels.
    from agentstats.cli import main

    log = shared_dir / "data" / "queue_log" / "issabel-devbox-2022-08.log"
    assert main(["report", str(log), "--by", "queue", "--service-level", "20,60"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("│500"))
    assert [cell.strip() for cell in row.strip("│").split("│")][:4] == ["500", "30", "3", "27"]
    out = tmp_path / "queues.csv"
    assert main(["report", str(log), "--by", "queue", "--service-level", "20,60", "-q", "-o", str(out)]) == 0
    frame = pd.read_csv(out).set_index("queue")
    got = frame.loc[500, ["total_calls_queued", "answered", "total_calls_abandoned", "final_disposition"]]
    assert got.tolist() == [30, 3, 27, 27]
    assert math.isclose(frame.loc[500, "abandon_rate"], 0.9)
    assert {"service_level_20s", "service_level_60s", "agent_time_logged_in"} <= set(frame.columns)
    assert "logged_in" not in frame.columns          # agent time is named as agent time
