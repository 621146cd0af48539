"""The compiled call tracker (agentstats._qlog_calls via CompiledCallTracker) against the
plain-Python QueueCallTracker, its slow twin (SPEC 8.1 queued calls, 8.3 flows, 6.5 line
accounting of the caller verbs): fed the same time-ordered lines as line columns, both
give the same verdict and reason per row, the same record columns, callids, frame,
notes and name tables, on the shared samples, the demo generator's logs, hand-made edges
and hypothesis-generated caller logs cut into blocks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentstats import _qlog_calls
from agentstats.demo import demo_log_path, write_queue_log
from agentstats.io.lines import LATEST_EPOCH
from agentstats.io.qlog_columns import MISSING, LineNames, columns_from_lines
from agentstats.io.queue_calls import (DEFAULT_MEMORY, REASONS, CompiledCallTracker, QueueCallTracker,
                                       call_verdicts)
from agentstats.io.queue_log import import_queue_log

from checks import translated_lines

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "queue_log"
SHARED_LOGS = sorted(SHARED.glob("*.log")) if SHARED.is_dir() else []
FIELDS = ("enter", "leave", "wait", "talk", "call_end", "line_at", "prev", "next", "queue", "agent",
          "outcome", "wait_source", "ended_by")
T = 1_700_000_000


def importer_lines(path, **options):
    """The Python importer's stage-2 lines and the result of import_queue_log (checks.translated_lines)."""
    return translated_lines(import_queue_log, path, **options)


def assert_same(lines, *, blocks=(), aliases=None, memory=DEFAULT_MEMORY):
    """Feed `lines` (epoch, where, text) to both trackers, cut into blocks at the given
    row counts (the rest is one last block); assert every result is the same."""
    names = LineNames()
    python = QueueCallTracker(aliases=aliases, memory=memory, where_of=str)
    compiled = CompiledCallTracker(names, aliases=aliases, memory=memory, where_of=str)
    cuts = [0, *sorted(min(b, len(lines)) for b in blocks), len(lines)]
    verdicts, reasons = [], []
    for start, stop in zip(cuts, cuts[1:]):
        # the stage-1 columns of one block; the names grow block by block
        columns = columns_from_lines(lines[start:stop], names, keep_texts=True)
        want_v, want_r = call_verdicts(python, columns)
        got_v, got_r = call_verdicts(compiled, columns)
        assert got_v.dtype == np.int8 and got_r.dtype == np.int8
        np.testing.assert_array_equal(got_v, want_v)
        np.testing.assert_array_equal(got_r, want_r)
        assert compiled.reason == python.reason
        verdicts.append(got_v)
        reasons.append(got_r)
    assert len(compiled) == len(python)
    for field in FIELDS:
        np.testing.assert_array_equal(compiled.column(field), python.column(field), err_msg=field)
    assert compiled.callids() == python.callids()
    assert compiled.notes == python.notes
    assert compiled.queues.names == python.queues.names
    assert compiled.agents.names == python.agents.names
    want, got = python.columns(), compiled.columns()
    for name in ("queue", "enter", "leave", "wait", "outcome", "flowed_in", "flowed_out_at"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
        assert getattr(got, name).dtype == getattr(want, name).dtype
    assert got.queue_names == want.queue_names
    pd.testing.assert_frame_equal(compiled.frame(), python.frame())
    return compiled, (np.concatenate(verdicts) if verdicts else np.empty(0, np.int8),
                      np.concatenate(reasons) if reasons else np.empty(0, np.int8))


def log_lines(rows) -> list[tuple[int, int, str]]:
    """(seconds after T, callid, queue, agent, verb, data...) -> importer lines."""
    return [(T + r[0], n, "|".join([str(T + r[0]), *r[1:]])) for n, r in enumerate(rows, 1)]


# -- real and generated logs ------------------------------------------------------------

@pytest.mark.skipif(not SHARED_LOGS, reason="the shared queue_log samples are not beside the checkout")
@pytest.mark.parametrize("path", SHARED_LOGS, ids=lambda p: p.name)
def test_shared_samples(path):
    lines, result = importer_lines(path)
    compiled, _ = assert_same(lines, blocks=(7, 100))
    # the lines given to the trackers are those the import's own tracker read
    assert compiled.callids() == result.call_tracker.callids()
    assert compiled.notes == result.call_tracker.notes


@pytest.mark.parametrize("dirty", [False, True], ids=["clean", "dirty"])
def test_demo_generator(tmp_path, dirty):
    path = tmp_path / "queue_log"
    write_queue_log(path, agents=25, days=2, seed=11, dirty=dirty)
    lines, result = importer_lines(path, infer=True)
    aliases = result.diagnostics["aliases"]
    compiled, (verdict, reason) = assert_same(lines, blocks=(1, 5000, 5001, 40000), aliases=aliases)
    assert len(compiled) > 1000
    assert (verdict == 1).sum() > 1000 and (verdict == -1).sum() > 1000
    assert compiled.callids() == result.call_tracker.callids()
    pd.testing.assert_frame_equal(compiled.frame().drop(columns="first_line"),
                                  result.call_tracker.frame().drop(columns="first_line"))


def test_packaged_demo_log():
    lines, _ = importer_lines(demo_log_path())
    assert_same(lines, blocks=(1000,))


# -- hand-made edges (SPEC 8.1, 8.3) ----------------------------------------------------

EDGES = {
    "second_enterqueue": [
        (0, "c1", "q1", "NONE", "ENTERQUEUE", "", "555", "1"),
        (3, "c1", "q1", "NONE", "ENTERQUEUE", "", "555", "1"),
        (9, "c1", "q1", "NONE", "ABANDON", "1", "1", "9"),
    ],
    "connect_without_enterqueue": [
        (10, "c1", "q1", "Agent/1", "CONNECT", "15", "x", "1"),
        (20, "c2", "q1", "Agent/1", "CONNECT", "", "x", "1"),
        (30, "c3", "q1", "Agent/1", "CONNECT"),
        (40, "c1", "q1", "Agent/1", "COMPLETEAGENT", "15", "30", "1"),
    ],
    "second_connect": [
        (0, "c1", "q1", "NONE", "ENTERQUEUE", "", "555", "1"),
        (5, "c1", "q1", "Agent/1", "CONNECT", "5", "x", "1"),
        (6, "c1", "q1", "Agent/2", "CONNECT", "6", "x", "1"),
        (9, "c2", "q1", "NONE", "ABANDON", "1", "1", "4"),
        (10, "c2", "q1", "Agent/2", "CONNECT", "6", "x", "1"),
    ],
    "exits_without_enter": [
        (5, "c1", "q1", "NONE", "ABANDON", "1", "1", "5"),
        (6, "c2", "q1", "NONE", "EXITWITHTIMEOUT", "1", "1", "60"),
        (7, "c3", "q1", "NONE", "EXITEMPTY", "1", "1", ""),
        (8, "c4", "q1", "NONE", "EXITWITHKEY", "5", "1", "1", "3"),
        (9, "c5", "q1", "NONE", "LEAVEEMPTY"),
        (10, "c6", "q1", "NONE", "ABANDON"),
        (11, "c1", "q1", "NONE", "ABANDON", "1", "1", "5"),          # queue_orphan
        (12, "c5", "q1", "NONE", "EXITEMPTY", "1", "1", "2"),        # queue_orphan
    ],
    "attendedtransfer_link": [
        (0, "c1", "q1", "NONE", "ENTERQUEUE", "", "1", "1"),
        (5, "c1", "q1", "Agent/1", "CONNECT", "5", "x", "1"),
        (65, "c1", "q1", "Agent/1", "ATTENDEDTRANSFER", "LINK", "x", "y", "5", "60", "1"),
        (70, "c2", "q1", "NONE", "ENTERQUEUE", "", "1", "1"),
        (75, "c2", "q1", "Agent/1", "CONNECT", "5", "x", "1"),
        (95, "c2", "q1", "Agent/1", "ATTENDEDTRANSFER", "BRIDGE", "id", "5", "20", "1"),
        (100, "c3", "q1", "NONE", "ENTERQUEUE", "", "1", "1"),
        (105, "c3", "q1", "Agent/1", "CONNECT", "5", "x", "1"),
        (125, "c3", "q1", "Agent/1", "ATTENDEDTRANSFER", "LINK", "x", "y", "5"),
        (130, "c4", "q1", "NONE", "ENTERQUEUE", "", "1", "1"),
        (135, "c4", "q1", "Agent/1", "CONNECT", "5", "x", "1"),
        (155, "c4", "q1", "Agent/1", "BLINDTRANSFER", "200", "ctx", "5", "20", "1"),
    ],
    "talk_mismatch": [
        (0, "c1", "q1", "NONE", "ENTERQUEUE", "", "1", "1"),
        (5, "c1", "q1", "Agent/1", "CONNECT", "5", "x", "1"),
        (105, "c1", "q1", "Agent/1", "COMPLETECALLER", "5", "98", "1"),     # off by 2
        (110, "c2", "q1", "NONE", "ENTERQUEUE", "", "1", "1"),
        (115, "c2", "q1", "Agent/1", "CONNECT", "5", "x", "1"),
        (215, "c2", "q1", "Agent/1", "COMPLETEAGENT", "5", "101", "1"),     # off by 1: agrees
        (216, "c2", "q1", "Agent/1", "COMPLETEAGENT", "5", "101", "1"),     # unpaired
        (220, "c3", "q1", "NONE", "ENTERQUEUE", "", "1", "1"),
        (221, "c3", "q1", "NONE", "COMPLETEAGENT", "5", "101", "1"),        # unanswered: unpaired
        (222, "c9", "q1", "NONE", "TRANSFER", "200", "ctx", "5", "20", "1"),  # unknown call
    ],
    "flows_between_queues": [
        (0, "c1", "q1", "NONE", "ENTERQUEUE", "", "1", "1"),
        (10, "c1", "q1", "NONE", "EXITWITHTIMEOUT", "1", "1", "10"),
        (11, "c1", "q2", "NONE", "ENTERQUEUE", "", "1", "1"),
        (20, "c1", "q2", "NONE", "EXITWITHKEY", "2", "1", "1", "9"),
        (21, "c1", "q1", "NONE", "ENTERQUEUE", "", "1", "1"),               # back to q1: flowed
        (30, "c1", "q1", "Agent/1", "CONNECT", "9", "x", "1"),
        (31, "c1", "q3", "NONE", "ENTERQUEUE", "", "1", "1"),               # after an answer: no flow
        (40, "c2", "q1", "NONE", "ABANDON", "1", "1", "3"),                 # orphan exit
        (41, "c2", "q1", "NONE", "ENTERQUEUE", "", "1", "1"),               # the same queue: no flow
        (50, "c2", "q1", "NONE", "EXITEMPTY", "1", "1", "9"),
        (51, "c2", "q2", "Agent/2", "CONNECT", "1", "x", "1"),              # orphan CONNECT: flowed in
    ],
    "callid_or_queue_nobody": [
        (0, "NONE", "q1", "NONE", "ENTERQUEUE", "", "1", "1"),
        (1, "", "q1", "NONE", "ABANDON", "1", "1", "1"),
        (2, "c1", "NONE", "NONE", "ENTERQUEUE", "", "1", "1"),
        (3, "c1", "", "NONE", "FULL"),
        (4, "NONE", "NONE", "Agent/1", "CONNECT", "1", "x", "1"),
        (5, "c1", "NONE", "Agent/1", "CONNECT", "1", "x", "1"),
        (6, "", "q1", "Agent/1", "COMPLETEAGENT", "1", "1", "1"),
        (7, "c1", "", "Agent/1", "TRANSFER", "1", "1", "1", "1"),
        (8, "c2", "q1", "NONE", "ENTERQUEUE", "", "1", "1"),
        (9, "c2", "q1", "", "CONNECT", "1", "x", "1"),                      # no agent
        (10, "c3", "q1", "NONE", "ENTERQUEUE", "", "1", "1"),
        (11, "c3", "q1", "NONE", "CONNECT", "1", "x", "1"),                 # agent NONE
    ],
    "refusals": [
        (0, "c1", "q1", "NONE", "FULL"),
        (1, "c2", "q2", "NONE", "JOINEMPTY", "x"),
        (2, "c3", "q3", "NONE", "CLOSED"),
        (3, "c1", "q1", "NONE", "FULL"),                                    # refused again
        (4, "c1", "q1", "NONE", "ABANDON", "1", "1", "4"),                  # never entered
        (5, "c1", "q1", "Agent/1", "COMPLETEAGENT", "1", "1", "1"),
    ],
    "waits": [
        (0, "c1", "q1", "NONE", "ENTERQUEUE", "", "1", "1"),
        (9, "c1", "q1", "NONE", "ABANDON", "1", "1", ""),                   # empty: measured
        (10, "c2", "q1", "NONE", "ENTERQUEUE", "", "1", "1"),
        (19, "c2", "q1", "NONE", "ABANDON", "1", "1", "-3"),                # negative: measured
        (20, "c3", "q1", "NONE", "ENTERQUEUE", "", "1", "1"),
        (29, "c3", "q1", "NONE", "ABANDON", "1", "1", " 7 "),               # spaces: 7
        (30, "c4", "q1", "NONE", "ENTERQUEUE", "", "1", "1"),
        (39, "c4", "q1", "NONE", "ABANDON", "1", "1", "\u0663"),            # Arabic 3: not a number
        (40, "c5", "q1", "NONE", "ENTERQUEUE", "", "1", "1"),
        (49, "c5", "q1", "NONE", "ABANDON", "1", "1", str(LATEST_EPOCH + 1)),
        (50, "c6", "q1", "NONE", "ENTERQUEUE", "", "1", "1"),
        (59, "c6", "q1", "NONE", "ABANDON", "1", "1", str(LATEST_EPOCH)),
        (60, "c7", "q1", "NONE", "ENTERQUEUE", "", "1", "1"),
        (69, "c7", "q1", "NONE", "ABANDON", "1", "1", "9" * 19),
        (70, "c8", "q1", "Agent/1", "CONNECT", "\t4", "x", "1"),            # hold with a tab
        (80, "c8", "q1", "Agent/1", "COMPLETEAGENT", "4", " 10\u2003", "1"),  # em space
        (81, "c9", "q1", "NONE", "EXITWITHTIMEOUT", "1", "1"),              # wait field absent
        (82, "c10", "q1", "NONE", "ENTERQUEUE"),
        (81, "c10", "q1", "NONE", "ABANDON", "1", "1"),                     # before its enter
        (90, "c11", "q1", "NONE", "ENTERQUEUE", "", "1", "1"),
        (90, "c11", "q1", "NONE", "LEAVEEMPTY"),                            # the same second: measured 0
    ],
    "other_verbs": [
        (0, "c1", "q1", "NONE", "ENTERQUEUE", "", "1", "1"),
        (1, "c1", "q1", "NONE", "SURVEYSCORE", "4"),
        (2, "c1", "q1", "Agent/1", "RINGNOANSWER", "1000"),
        (3, "c1", "q1", "NONE", ""),
        (4, "c1", "q1", "NONE", "enterqueue", "", "1", "1"),
        (5, "c1", "q1", "Agent/1", "PAUSE"),
    ],
}


@pytest.mark.parametrize("edge", sorted(EDGES))
@pytest.mark.parametrize("blocks", [(), (1, 2, 3, 4, 5, 6, 7, 8, 9)], ids=["one_block", "row_blocks"])
def test_edges(edge, blocks):
    assert_same(log_lines(EDGES[edge]), blocks=blocks)


def test_edge_verdicts():
    """The verdicts and reasons of a few edges, written out (so the twin comparison is
    not the only check)."""
    _, (verdict, reason) = assert_same(log_lines(EDGES["second_enterqueue"]))
    assert verdict.tolist() == [1, 0, 1]
    assert [REASONS[r] for r in reason] == ["", "second_enterqueue", ""]
    compiled, (verdict, reason) = assert_same(log_lines(EDGES["exits_without_enter"]))
    assert verdict.tolist() == [1, 1, 1, 1, 1, 1, 0, 0]
    assert [REASONS[r] for r in reason][-2:] == ["queue_orphan", "queue_orphan"]
    assert compiled.column("enter")[:2].tolist() == [T, T - 54]
    compiled, (verdict, reason) = assert_same(log_lines(EDGES["callid_or_queue_nobody"]))
    assert verdict.tolist()[:8] == [0, 0, 0, 0, -1, -1, -1, -1]
    assert [REASONS[r] for r in reason[:4]] == ["no_callid", "no_callid", "no_queue", "no_queue"]
    assert compiled.notes == {"no_callid": 2, "no_queue": 2}
    assert compiled.column("agent").tolist() == [-1, -1]
    compiled, _ = assert_same(log_lines(EDGES["attendedtransfer_link"]))
    assert compiled.column("talk").tolist() == [60, 20, 20, 20]
    compiled, _ = assert_same(log_lines(EDGES["talk_mismatch"]))
    assert compiled.notes == {"talk_mismatch": 1, "call_end_unpaired": 3}
    compiled, _ = assert_same(log_lines(EDGES["waits"]))
    assert compiled.column("wait").tolist()[:7] == [9, 9, 7, 9, 9, LATEST_EPOCH, 9]
    assert compiled.column("talk").tolist()[7] == 10
    assert compiled.column("wait").tolist()[-2:] == [MISSING, 0]        # c10 left before it entered
    assert compiled.column("wait_source").tolist()[-2:] == [0, 2]
    compiled, _ = assert_same(log_lines(EDGES["refusals"]))
    assert compiled.column("outcome").tolist() == [6, 7, 8, 6, 2]


@pytest.mark.parametrize("gap, paired", [(100, True), (101, False)])
def test_memory_boundary(gap, paired):
    """An ended stay is remembered for exactly `memory` seconds after it ended."""
    rows = [
        (0, "c1", "q1", "NONE", "ENTERQUEUE", "", "1", "1"),
        (5, "c1", "q1", "Agent/1", "CONNECT", "5", "x", "1"),
        (5 + gap, "c1", "q1", "Agent/1", "COMPLETEAGENT", "5", str(gap), "1"),
        (10, "c2", "q1", "NONE", "ABANDON", "1", "1", "3"),
        (10 + gap, "c2", "q2", "NONE", "ENTERQUEUE", "", "1", "1"),        # flows only if remembered
        (10 + gap, "c2", "q1", "NONE", "EXITEMPTY", "1", "1", "3"),        # queue_orphan if remembered
    ]
    rows.sort(key=lambda r: r[0])
    compiled, (verdict, reason) = assert_same(log_lines(rows), memory=100)
    assert compiled.notes == ({} if paired else {"call_end_unpaired": 1})
    assert (compiled.column("next")[1] >= 0) == paired
    assert ("queue_orphan" in [REASONS[r] for r in reason]) == paired
    # the same memory on a line of another verb that is not the call side's forgets nothing
    assert_same(log_lines(rows), memory=100, blocks=(2, 3, 4))


def test_aliases_and_agent_order():
    rows = [
        (0, "c1", "q1", "SIP/1001", "CONNECT", "1", "x", "1"),
        (1, "c2", "q1", "Local/2002@agents", "CONNECT", "1", "x", "1"),
        (2, "c3", "q1", "Sathish", "CONNECT", "1", "x", "1"),
        (3, "c4", "q1", "Other", "CONNECT", "1", "x", "1"),
    ]
    aliases = {"SIP/1001": "Sathish", "Local/2002@agents": "Other"}
    compiled, _ = assert_same(log_lines(rows), aliases=aliases, blocks=(2,))
    assert compiled.agents.names == ["Sathish", "Other"]
    assert compiled.column("agent").tolist() == [0, 1, 0, 1]


def test_working_set_is_bounded():
    """Ended stays are forgotten after `memory` seconds: the working set depends on the
    traffic, not on the length of the log."""
    rows = []
    for k in range(3000):
        rows += [(10 * k, f"c{k}", "q1", "NONE", "ENTERQUEUE", "", "1", "1"),
                 (10 * k + 3, f"c{k}", "q1", "Agent/1", "CONNECT", "3", "x", "1"),
                 (10 * k + 5, f"c{k}", "q1", "NONE", "ENTERQUEUE", "", "1", "1"),
                 (10 * k + 8, f"c{k}", "q1", "NONE", "ABANDON", "1", "1", "3")]
    compiled, _ = assert_same(log_lines(rows), memory=50, blocks=(1000, 5000))
    assert len(compiled) == 6000
    assert max(compiled.working_set()) <= 20


def test_empty_block_and_no_rows():
    names = LineNames()
    tracker = CompiledCallTracker(names)
    verdict, reason = tracker.read_columns(columns_from_lines([], names))
    assert verdict.shape == reason.shape == (0,)
    assert len(tracker) == 0 and tracker.callids() == [] and tracker.notes == {}
    assert tracker.frame().shape[0] == 0
    assert_same([])


def test_line_method_matches():
    """CompiledCallTracker.line: the Python tracker's one-line method (slow)."""
    names = LineNames()
    compiled, python = CompiledCallTracker(names), QueueCallTracker()
    for t, where, text in log_lines(EDGES["second_connect"] + EDGES["exits_without_enter"]):
        parts = text.split("|")
        assert compiled.line(t, parts, where) == python.line(t, parts, where)
        assert compiled.reason == python.reason
    assert compiled.callids() == python.callids()


def test_bad_columns_are_refused():
    names = LineNames()
    columns = columns_from_lines(log_lines(EDGES["refusals"]), names)
    tracker = CompiledCallTracker(names)
    columns.queue = columns.queue.copy()
    columns.queue[2] = len(names.queues)
    with pytest.raises(ValueError, match="columns.queue"):
        tracker.read_columns(columns)
    columns.queue = columns.queue[:-1]
    with pytest.raises(ValueError, match="shape"):
        tracker.read_columns(columns)
    with pytest.raises(ValueError, match="keep_texts"):
        call_verdicts(QueueCallTracker(), columns_from_lines(log_lines(EDGES["refusals"]), LineNames()))


def test_constants_agree():
    assert REASONS == _qlog_calls.REASONS
    assert _qlog_calls.RECORD_WIDTH == len(FIELDS)


def test_stub_matches_module():
    done = subprocess.run([sys.executable, "-m", "mypy.stubtest", "agentstats._qlog_calls"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


# -- hypothesis: generated caller logs -------------------------------------------------

CALLIDS = ["c1", "c2", "c3", "NONE", ""]
QUEUES = ["q1", "q2", "q3", "NONE", ""]
AGENTS = ["Agent/1", "Agent/2", "SIP/1", "NONE", ""]
VERBS = ["ENTERQUEUE", "ENTERQUEUE", "CONNECT", "CONNECT", "ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY",
         "EXITWITHKEY", "LEAVEEMPTY", "FULL", "JOINEMPTY", "CLOSED", "COMPLETEAGENT", "COMPLETECALLER",
         "TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER", "RINGNOANSWER", "PAUSE", "SURVEYSCORE", ""]
DATA = ["", "0", "1", "5", "30", " 7", "12 ", "-1", "LINK", "BRIDGE", "x", "\u0663", "9" * 19,
        str(LATEST_EPOCH + 1)]

line_rows = st.lists(
    st.tuples(st.sampled_from([0, 0, 1, 2, 5, 30, 99, 100, 101]), st.sampled_from(CALLIDS),
              st.sampled_from(QUEUES), st.sampled_from(AGENTS), st.sampled_from(VERBS),
              st.lists(st.sampled_from(DATA), max_size=6)),
    max_size=60)


@given(rows=line_rows, memory=st.sampled_from([0, 50, 100, DEFAULT_MEMORY]),
       blocks=st.lists(st.integers(0, 60), max_size=4), alias=st.booleans())
def test_generated_caller_logs(rows, memory, blocks, alias):
    t, lines = T, []
    for n, (step, callid, queue, agent, verb, data) in enumerate(rows, 1):
        t += step
        lines.append((t, n, "|".join([str(t), callid, queue, agent, verb, *data])))
    assert_same(lines, blocks=blocks, memory=memory, aliases={"SIP/1": "Agent/1"} if alias else None)


def test_the_call_sides_own_callid_table():
    """SPEC 8.1: blocks that carry their own callid tables are read through the call
    side's table: "" and "NONE" keep tokens 0 and 1 (a line of no call), equal names
    share a token, and a compaction with nothing held keeps only those two."""
    from agentstats._qlog_calls import CallState

    state = CallState(60, 10 ** 12)
    assert state.callid_table_size() == 2
    assert state.intern_callids(3, b"a\nNONE\nb").tolist() == [2, 1, 3]
    assert state.intern_callids(2, b"b\n").tolist() == [3, 0]
    assert state.intern_callids(1, b"").tolist() == [0]
    assert state.intern_callids(0, b"").tolist() == []
    assert state.callid_names() == (4, b"\nNONE\na\nb")
    for count, joined in ((2, b"a"), (1, b"a\nb"), (0, b"a"), (3, b"a\nb")):
        with pytest.raises(ValueError, match="callids announced"):
            state.intern_callids(count, joined)
    assert state.compact_callids() == 2
    assert state.callid_names() == (2, b"\nNONE")
    assert state.intern_callids(2, b"b\nZo\xc3\xab").tolist() == [2, 3]
