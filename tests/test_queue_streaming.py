"""Bounded memory of the queue_log reports (SPEC 8.2 queue statistics, 1.1 / 7 chunked
agent timeline): with keep_calls=False a call is folded into the per-queue (and
per-interval) sums once no later line can change it, and forgotten. The twin is the kept
path: the same lines through a tracker that keeps every call, then queue_stats of the call
columns. Both must give the same table, on the shared samples, the demo generator's logs
(clean and dirty), hand-made edges and hypothesis-generated caller logs cut into blocks.
The agent view feeds its timeline chunk by chunk: the same table as one shot."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentstats.demo import write_queue_log
from agentstats.io import queue_calls
from agentstats.io.qlog_columns import LineNames, columns_from_lines
from agentstats.io.queue_calls import DEFAULT_MEMORY, CompiledCallTracker
from agentstats.io.queue_log import QueueLogImporter, import_queue_log
from agentstats.io.queue_log_agents import queue_log_agent_stats
from agentstats.queues import QueueAccumulator, queue_stats

from test_qlog_calls import T, line_rows
from test_queue_calls import H, call_logs

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "queue_log"
SHARED_LOGS = sorted(SHARED.glob("*.log")) if SHARED.is_dir() else []

#: queue_stats options the streamed statistics are checked with
OPTIONS = [
    {},
    {"interval": 15},
    {"interval": 15, "service_level": (0, 20, 60)},
    {"interval": "day"},
    {"interval": 60, "tz": "Europe/Rome"},
    {"tz": "America/New_York"},
]


@pytest.fixture
def fold_often(monkeypatch):
    """Fold the final calls after every block (the default waits for 65,536 records), and
    compact the callid table of blocks that carry their own after every block."""
    monkeypatch.setattr(queue_calls, "_FOLD_MIN", 1)
    monkeypatch.setattr(queue_calls, "_CALLID_SLACK", -(1 << 40))


@contextlib.contextmanager
def folding_often():
    """fold_often for a hypothesis test (no function-scoped fixture there)."""
    was = queue_calls._FOLD_MIN, queue_calls._CALLID_SLACK
    queue_calls._FOLD_MIN, queue_calls._CALLID_SLACK = 1, -(1 << 40)
    try:
        yield
    finally:
        queue_calls._FOLD_MIN, queue_calls._CALLID_SLACK = was


def streamed_and_kept(lines, *, blocks=(), memory=DEFAULT_MEMORY, as_of=None, window_start=None,
                      **options):
    """Feed `lines` (epoch, where, text) in blocks to a tracker that keeps its calls, to
    one that folds them, and to one that folds them and reads blocks carrying their own
    callid tables (SPEC 8: the same calls whatever the callid codes); returns (queue_stats
    of the kept calls, the folded table)."""
    names = LineNames()
    kept = CompiledCallTracker(names, memory=memory)
    accumulator = QueueAccumulator(as_of=as_of, window_start=window_start, **options)
    folded = CompiledCallTracker(names, memory=memory, keep_calls=False, accumulator=accumulator)
    per_block = CompiledCallTracker(names, memory=memory, keep_calls=False,
                                    accumulator=QueueAccumulator(as_of=as_of, window_start=window_start, **options))
    kept_per_block = CompiledCallTracker(names, memory=memory)      # its callid table compacted too
    cuts = [0, *sorted(min(b, len(lines)) for b in blocks), len(lines)]
    for start, stop in zip(cuts, cuts[1:]):
        columns = columns_from_lines(lines[start:stop], names)
        want = kept.read_columns(columns)
        got = folded.read_columns(columns)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
        own = columns_from_lines(lines[start:stop], names, block_callids=True)
        got = per_block.read_columns(own)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
        got = kept_per_block.read_columns(own)
        np.testing.assert_array_equal(got[0], want[0])
        if len(own):
            assert per_block.callid_table_size() > 0
    assert folded.notes == kept.notes
    assert per_block.notes == kept.notes
    assert kept_per_block.callids() == kept.callids()
    for field in ("enter", "leave", "wait", "talk", "prev", "next", "queue", "agent", "outcome"):
        np.testing.assert_array_equal(kept_per_block.column(field), kept.column(field))
    end = as_of if as_of is not None else (max(t for t, _, _ in lines) if lines else None)
    columns = kept.columns()
    columns.default_as_of = end
    want = queue_stats(columns, as_of=as_of, window_start=window_start, **options)
    got = folded.finish(end)
    assert folded.folded + len(folded) == len(kept)
    assert_same_table(got, per_block.finish(end))
    return want, got


def assert_same_table(want, got):
    pd.testing.assert_frame_equal(got.to_pandas(), want.to_pandas())
    assert got.as_of == want.as_of and got.interval == want.interval


# -- hand-made edges ---------------------------------------------------------------------

def log_lines(rows):
    return [(T + r[0], n, "|".join([str(T + r[0]), *r[1:]])) for n, r in enumerate(rows, 1)]


EDGES = {
    # a call flows from q1 to q2 (the stay in q1 is folded long before the one in q2 ends)
    "flow": [(0, "c1", "q1", "NONE", "ENTERQUEUE", "", "1"),
             (30, "c1", "q1", "NONE", "EXITWITHTIMEOUT", "1", "1", "30"),
             (31, "c1", "q2", "NONE", "ENTERQUEUE", "", "1"),
             (500, "c1", "q2", "Agent/1", "CONNECT", "469", "x", "1"),
             (900, "c1", "q2", "Agent/1", "COMPLETECALLER", "469", "400", "1")],
    # a caller still waiting at the end of the log, one whose exit line is missing
    "waiting": [(0, "c1", "q1", "NONE", "ENTERQUEUE", "", "1"),
                (5, "c2", "q1", "NONE", "ENTERQUEUE", "", "1"),
                (10, "c2", "q1", "NONE", "ABANDON", "1", "1", "5"),
                (5000, "c3", "q1", "NONE", "ENTERQUEUE", "", "1"),
                (5010, "c3", "q1", "Agent/2", "CONNECT", "10", "y", "1")],
    # refusals, an orphan exit without its ENTERQUEUE, a second CONNECT, a stray exit
    "orphans": [(0, "c1", "q1", "NONE", "FULL"), (1, "c2", "q1", "NONE", "JOINEMPTY"),
                (2, "c3", "q2", "Agent/1", "CONNECT", "7", "x", "1"),
                (3, "c3", "q2", "Agent/2", "CONNECT", "1", "y", "1"),
                (4, "c4", "q2", "NONE", "ABANDON", "1", "1", ""),
                (5, "c4", "q2", "NONE", "ABANDON", "1", "1", "3"),
                (6, "c5", "q3", "NONE", "EXITWITHKEY", "5", "1", "1", "40"),
                (7, "c6", "q3", "NONE", "LEAVEEMPTY")],
    # one callid comes back: transferred from q1 to q2, flows unanswered from q2 to q3,
    # then (within the memory or after it) enters q2 again, with orphan and unpaired lines
    "comes_back": [(0, "c1", "q1", "NONE", "ENTERQUEUE", "", "1"),
                   (10, "c1", "q1", "Agent/1", "CONNECT", "10", "x", "1"),
                   (70, "c1", "q1", "Agent/1", "TRANSFER", "q2", "ctx", "10", "60", "1"),
                   (71, "c1", "q2", "NONE", "ENTERQUEUE", "", "1"),
                   (90, "c1", "q2", "NONE", "ABANDON", "1", "1", "19"),
                   (95, "c1", "q3", "NONE", "ENTERQUEUE", "", "1"),
                   (100, "c2", "q1", "NONE", "ENTERQUEUE", "", "1"),
                   (120, "c1", "q3", "Agent/2", "CONNECT", "25", "y", "1"),
                   (130, "c2", "q1", "NONE", "ABANDON", "1", "1", "30"),
                   (200, "c1", "q3", "Agent/2", "COMPLETECALLER", "25", "80", "1"),
                   (260, "c1", "q2", "NONE", "ENTERQUEUE", "", "1"),
                   (270, "c1", "q2", "NONE", "EXITWITHTIMEOUT", "1", "1", "10"),
                   (280, "c2", "q3", "NONE", "ENTERQUEUE", "", "1"),
                   (290, "c2", "q3", "NONE", "EXITEMPTY", "1", "1", "10"),
                   (5000, "c1", "q2", "NONE", "ENTERQUEUE", "", "1"),
                   (5005, "c2", "q1", "NONE", "ENTERQUEUE", "", "1"),
                   (5010, "c1", "q2", "Agent/1", "CONNECT", "10", "z", "1"),
                   (5020, "c1", "q2", "NONE", "ABANDON", "1", "1", "20"),
                   (5030, "c1", "q1", "Agent/1", "COMPLETEAGENT", "10", "20", "1"),
                   (5040, "c1", "q3", "NONE", "ENTERQUEUE", "", "1"),
                   (5050, "c2", "q1", "Agent/2", "CONNECT", "45", "w", "1")],
}


@pytest.mark.parametrize("memory", [0, 100, 300, DEFAULT_MEMORY])
def test_a_callid_that_comes_back(fold_often, memory):
    """SPEC 8: a callid met again in other queues (transfers, flows) and after it is
    forgotten gives the same calls whether its blocks carry their own callid tables
    (compacted after every block) or not, whatever the blocks."""
    lines = log_lines(EDGES["comes_back"])
    for blocks in ((), range(1, len(lines)), (3, 9, 14), (5, 6, 15, 16)):
        for options in ({}, {"interval": 15}):
            assert_same_table(*streamed_and_kept(lines, blocks=blocks, memory=memory, **options))


@pytest.mark.parametrize("memory", [0, 100, DEFAULT_MEMORY])
@pytest.mark.parametrize("edge", sorted(EDGES))
@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_edges(fold_often, edge, options, memory):
    lines = log_lines(EDGES[edge])
    for blocks in ((), (1, 2, 3, 4)):
        assert_same_table(*streamed_and_kept(lines, blocks=blocks, memory=memory, **options))


@pytest.mark.parametrize("as_of", [T - 1, T, T + 3, T + 40, T + 600, T + 6000])
@pytest.mark.parametrize("window_start", [None, T + 4, T + 5000])
def test_report_time_and_window(fold_often, as_of, window_start):
    """A report time given up front (calls still waiting at it, calls not yet entered) and
    a window start: the calls are folded at that time."""
    lines = log_lines(EDGES["flow"] + [(r[0] + 1, *r[1:]) for r in EDGES["waiting"]])
    lines.sort(key=lambda line: line[0])
    for options in ({}, {"interval": 15}):
        assert_same_table(*streamed_and_kept(lines, blocks=(2, 5), memory=50, as_of=as_of,
                                             window_start=window_start, **options))


def test_no_calls():
    lines = log_lines([(0, "NONE", "NONE", "Agent/1", "PAUSE", "lunch")])
    for options in ({}, {"interval": 15}):
        want, got = streamed_and_kept(lines, **options)
        assert_same_table(want, got)
        assert len(got) == 0


# -- generated logs ----------------------------------------------------------------------

@settings(max_examples=60)
@given(rows=line_rows, memory=st.sampled_from([0, 50, 100, DEFAULT_MEMORY]),
       blocks=st.lists(st.integers(0, 60), max_size=4), options=st.sampled_from(OPTIONS))
def test_generated_caller_logs(rows, memory, blocks, options):
    with folding_often():
        t, lines = T, []
        for n, (step, callid, queue, agent, verb, data) in enumerate(rows, 1):
            t += step
            lines.append((t, n, "|".join([str(t), callid, queue, agent, verb, *data])))
        assert_same_table(*streamed_and_kept(lines, blocks=blocks, memory=memory, **options))


@settings(max_examples=60)
@given(lines=call_logs(), options=st.sampled_from(OPTIONS), memory=st.sampled_from([0, 60, DEFAULT_MEMORY]),
       blocks=st.lists(st.integers(0, 40), max_size=3))
def test_generated_callers_with_flows(lines, options, memory, blocks):
    with folding_often():
        rows = [(H + line[0], n, "|".join([str(H + line[0]), *line[1:]])) for n, line in enumerate(lines, 1)]
        assert_same_table(*streamed_and_kept(rows, blocks=blocks, memory=memory, **options))


# -- whole imports -----------------------------------------------------------------------

def assert_import_same(path, options, **import_options):
    kept = import_queue_log(path, **import_options)
    streamed = import_queue_log(path, keep_calls=False, queue_stats=options, **import_options)
    assert_same_table(kept.queue_stats(**options), streamed.queue_stats(**options))
    pd.testing.assert_frame_equal(streamed.to_pandas(), kept.to_pandas())
    assert streamed.diagnostics == kept.diagnostics
    return kept, streamed


@pytest.mark.skipif(not SHARED_LOGS, reason="the shared queue_log samples are not beside the checkout")
@pytest.mark.parametrize("path", SHARED_LOGS, ids=lambda p: p.name)
@pytest.mark.parametrize("engine", ["cython", "python"])
def test_shared_samples(fold_often, path, engine):
    for options in OPTIONS:
        assert_import_same(path, options, engine=engine, chunk_events=7)


@pytest.mark.parametrize("dirty", [False, True], ids=["clean", "dirty"])
def test_demo_logs(fold_often, tmp_path, dirty):
    path = tmp_path / "queue_log"
    write_queue_log(path, agents=40, days=3, seed=5, dirty=dirty)
    for options in OPTIONS:
        kept, streamed = assert_import_same(path, options, chunk_events=2000)
        assert streamed.call_tracker.folded > 0.8 * len(kept.call_tracker)
    assert_import_same(path, {"interval": 30}, engine="python")
    assert_import_same(path, {"interval": 30}, as_of="2026-03-03T13:00:00")


def test_calls_held_stay_bounded(monkeypatch, tmp_path):
    """The calls held during an import without keep_calls stay below a bound that does
    not grow with the log (this fails if the calls are kept)."""
    monkeypatch.setattr(queue_calls, "_FOLD_MIN", 100)
    path = tmp_path / "queue_log"
    write_queue_log(path, agents=30, days=20, seed=2)
    block = 16 << 10          # bytes: about 250 lines a block, at most one new record a line
    importer = QueueLogImporter(path, keep_calls=False, chunk_events=200, block_bytes=block,
                                queue_stats={"interval": 15})
    peak = peak_working = 0
    for _ in importer.chunks():
        peak = max(peak, len(importer.call_tracker))
        peak_working = max(peak_working, sum(importer.call_tracker.working_set()[:3]))
    held = importer.call_tracker
    total = held.folded + len(held)
    # between two folds: twice what the last fold kept (the open or remembered stays) and
    # one block's new records
    bound = 2 * max(100, peak_working) + block // 60
    assert peak <= bound
    assert total > 5 * bound
    kept = import_queue_log(path)
    assert len(kept.call_tracker) == total


def assert_block_callids_same(path, options, **import_options):
    """An import without keep_calls gives the same queue statistics, sessions and
    diagnostics with a callid table per block as with one for the import."""
    from agentstats.io import queue_log

    results = []
    for per_block in (False, True):
        was = queue_log._BLOCK_CALLIDS
        queue_log._BLOCK_CALLIDS = per_block
        try:
            importer = QueueLogImporter(path, keep_calls=False, queue_stats=options, **import_options)
            chunks = list(importer.chunks())
        finally:
            queue_log._BLOCK_CALLIDS = was
        results.append((importer, chunks, importer.call_tracker.finish(importer.last_time)))
    (plain, plain_chunks, plain_table), (blocked, blocked_chunks, blocked_table) = results
    assert plain.call_tracker.callid_table_size() == len(blocked.line_names.callids) == 0
    assert (blocked.call_tracker.callid_table_size() > 0) == (len(plain.line_names.callids) > 0)
    assert_same_table(plain_table, blocked_table)
    assert blocked.diagnostics == plain.diagnostics
    assert len(blocked_chunks) == len(plain_chunks)
    streamed = import_queue_log(path, keep_calls=False, queue_stats=options, **import_options)
    kept = import_queue_log(path, **import_options)
    assert_same_table(kept.queue_stats(**options), streamed.queue_stats(**options))
    pd.testing.assert_frame_equal(streamed.to_pandas(), kept.to_pandas())
    assert streamed.diagnostics == kept.diagnostics == plain.diagnostics


@pytest.mark.skipif(not SHARED_LOGS, reason="the shared queue_log samples are not beside the checkout")
@pytest.mark.parametrize("path", SHARED_LOGS, ids=lambda p: p.name)
@pytest.mark.parametrize("block_bytes", [512, 1 << 16])
def test_block_callids_shared_samples(fold_often, path, block_bytes):
    """SPEC 8, SPEC 6.5: the real samples read with a callid table per block (compacted
    after every block) give the statistics, sessions and line accounting of one table."""
    for options in ({}, {"interval": 15, "service_level": (0, 20, 60)}):
        assert_block_callids_same(path, options, block_bytes=block_bytes, chunk_events=50)


@pytest.mark.parametrize("dirty", [False, True], ids=["clean", "dirty"])
@pytest.mark.parametrize("read_threads", [1, 2])
def test_block_callids_demo_logs(fold_often, tmp_path, dirty, read_threads):
    """SPEC 8, SPEC 6.5: as on the samples, on demo logs, in small blocks, with one or
    two reading threads."""
    path = tmp_path / "queue_log"
    write_queue_log(path, agents=25, days=3, seed=9, dirty=dirty)
    assert_block_callids_same(path, {"interval": 30}, block_bytes=4096, chunk_events=500,
                              read_threads=read_threads)


@settings(max_examples=40, deadline=None)
@given(lines=call_logs(), options=st.sampled_from(OPTIONS[:3]), block_bytes=st.sampled_from([1, 64, 300, 1 << 16]),
       shuffled=st.integers(0, 3))
def test_block_callids_generated_logs(tmp_path_factory, lines, options, block_bytes, shuffled):
    """SPEC 8, SPEC 6.5: generated caller logs, made dirty (lines duplicated, a few out
    of order), read whole with a callid table per block and with one."""
    rows = ["|".join([str(H + line[0]), *line[1:]]) for line in lines]
    rows += rows[: len(rows) // 4]                      # duplicated lines
    if shuffled and len(rows) > 3:
        rows[1], rows[shuffled] = rows[shuffled], rows[1]
    path = tmp_path_factory.mktemp("calls") / "queue_log"
    path.write_text("\n".join(rows) + "\n")
    with folding_often():
        assert_block_callids_same(path, options, block_bytes=block_bytes, chunk_events=20)


@pytest.mark.parametrize("compact", [True, False], ids=["compacted", "never_compacted"])
def test_callid_tables_stay_bounded(monkeypatch, tmp_path, compact):
    """Without keep_calls the compiled import's callid tables (the line stage's, the call
    tracker's) stay below a bound that does not grow with the log; with keep_calls the
    line stage's grows with the calls. Never compacted, the tracker's grows too (so the
    bound is one the test can fail)."""
    monkeypatch.setattr(queue_calls, "_FOLD_MIN", 100)
    monkeypatch.setattr(queue_calls, "_CALLID_SLACK", 1000 if compact else 1 << 40)
    path = tmp_path / "queue_log"
    write_queue_log(path, agents=30, days=40, seed=2)
    block = 16 << 10          # bytes: about 250 lines a block
    importer = QueueLogImporter(path, keep_calls=False, chunk_events=200, block_bytes=block,
                                queue_stats={"interval": 15})
    peak_table = peak_slots = peak_live = 0
    for _ in importer.chunks():
        held = importer.call_tracker
        peak_table = max(peak_table, held.callid_table_size())
        peak_slots = max(peak_slots, importer._line_stage().callid_table_size())
        # the callids a compaction keeps: the records held (every stay or flow source
        # keyed is one), the ended stays remembered, "" and "NONE"
        peak_live = max(peak_live, len(held) + held.working_set()[3] + 2)
    held = importer.call_tracker
    calls = held.folded + len(held)
    # after a compaction, twice what it kept plus the slack; then one block's callids
    bound = 2 * peak_live + 1000 + block // 60
    assert peak_slots <= block // 4          # a block of lines of 16 bytes or more, at most half full
    assert calls > 5 * bound
    if compact:
        assert 0 < peak_table <= bound
    else:
        assert peak_table > 5 * bound
    assert len(importer.line_names.callids) == 0
    kept = QueueLogImporter(path, chunk_events=200, block_bytes=block)
    kept_slots = 0
    for _ in kept.chunks():
        kept_slots = max(kept_slots, kept._line_stage().callid_table_size())
    assert len(kept.line_names.callids) > 5 * bound
    assert kept_slots > 5 * peak_slots
    assert kept._line_stage() is None           # freed when the reading ended
    assert kept.call_tracker.callid_table_size() == 0         # the import's table


def test_calls_not_kept_are_refused(tmp_path):
    path = tmp_path / "queue_log"
    write_queue_log(path, agents=5, days=1, seed=1)
    result = import_queue_log(path, keep_calls=False, queue_stats={"interval": 15})
    with pytest.raises(ValueError, match="keep_calls=True"):
        result.calls
    with pytest.raises(ValueError, match="keep_calls=True"):
        result.call_columns()
    with pytest.raises(ValueError, match="keep_calls=True"):
        result.queue_stats(interval=30)
    table = result.queue_stats(interval=15, service_level=20)
    assert len(table) > 0
    with pytest.raises(ValueError, match="keep_calls=True"):
        table.queue(table.queue_names[0])
    no_stats = import_queue_log(path, keep_calls=False)
    with pytest.raises(ValueError, match="keep_calls=True"):
        no_stats.queue_stats()


# -- the agent view, fed chunk by chunk --------------------------------------------------

DAY = 1_772_409_600
LOGIN_DAY = [
    (8 * 3600, "NONE|NONE|Agent/1001|AGENTLOGIN|SIP/1001"),
    (8 * 3600 + 100, "NONE|NONE|Agent/1001|PAUSEALL|coffee"),
    (8 * 3600 + 200, "NONE|NONE|Agent/1001|UNPAUSEALL|"),
    (9 * 3600, "c1|sales|Agent/1001|CONNECT|5|c1|3"),       # a static member: from the login on
    (9 * 3600 + 600, "c1|sales|Agent/1001|COMPLETEAGENT|5|600|1"),
    (10 * 3600, "c2|support|Agent/1001|CONNECT|7|c2|2"),
    (10 * 3600 + 300, "c2|support|Agent/1001|COMPLETECALLER|7|300|1"),
    (12 * 3600, "NONE|NONE|Agent/1001|PAUSEALL|lunch"),
    (12 * 3600 + 1800, "NONE|NONE|Agent/1001|UNPAUSEALL|"),
    (16 * 3600, "NONE|NONE|Agent/1001|AGENTLOGOFF|SIP/1001|28800"),
    (17 * 3600, "NONE|NONE|Agent/1002|AGENTLOGIN|SIP/1002"),
    (17 * 3600 + 60, "c3|sales|Agent/1002|CONNECT|5|c3|3"),
    (17 * 3600 + 160, "c3|sales|Agent/1002|COMPLETEAGENT|5|100|1"),
]


def assert_agent_view_chunked(path, **options):
    one = queue_log_agent_stats(path, chunk_events=10**9, **options)
    for chunk_events in (1, 3, 1000):
        chunked = queue_log_agent_stats(path, chunk_events=chunk_events, **options)
        pd.testing.assert_frame_equal(chunked.to_pandas(), one.to_pandas())
        if options.get("interval"):
            pd.testing.assert_frame_equal(chunked.intervals(), one.intervals())
        pd.testing.assert_frame_equal(chunked.reasons(), one.reasons())
        assert chunked.queue_log == one.queue_log


@pytest.mark.parametrize("engine", ["cython", "python"])
def test_agent_view_login_sessions_start_at_the_login(tmp_path, engine):
    """A queue session of an agent logged in by AGENTLOGIN starts at the login, before
    rows of the agent already read: they are held back until the agent logs off."""
    path = tmp_path / "queue_log"
    path.write_text("".join(f"{DAY + t}|{rest}\n" for t, rest in LOGIN_DAY))
    assert_agent_view_chunked(path, engine=engine, interval=60)
    row = queue_log_agent_stats(path, chunk_events=1, engine=engine).to_pandas().iloc[0]
    assert row["calls"] == 2 and row["logged_in"] == pd.Timedelta(hours=8)


@pytest.mark.parametrize("dirty", [False, True], ids=["clean", "dirty"])
def test_agent_view_demo_logs(tmp_path, dirty):
    path = tmp_path / "queue_log"
    write_queue_log(path, agents=15, days=2, seed=9, dirty=dirty)
    assert_agent_view_chunked(path, interval=15)
    assert_agent_view_chunked(path, interval=60, tz="Europe/Rome", sessions=False)


@pytest.mark.skipif(not SHARED_LOGS, reason="the shared queue_log samples are not beside the checkout")
@pytest.mark.parametrize("path", SHARED_LOGS, ids=lambda p: p.name)
def test_agent_view_shared_samples(path):
    assert_agent_view_chunked(path, interval=15)


# -- the command line ----------------------------------------------------------------------

@pytest.mark.parametrize("extra", [
    [], ["--interval", "15", "--service-level", "20,60"], ["--interval", "60", "--tz", "Europe/Rome"],
    ["--tz", "Europe/Rome"], ["--from", "2026-03-03T06:00:00"], ["--as-of", "2026-03-02T12:00:00"],
], ids=lambda e: " ".join(e) or "plain")
def test_report_by_queue_equals_the_kept_calls(fold_often, tmp_path, extra):
    """`report --by queue -o` folds the calls; with --calls FILE it keeps them: same rows."""
    from agentstats.cli import main

    path = tmp_path / "queue_log"
    write_queue_log(path, agents=20, days=2, seed=4, dirty=True)
    folded, kept = tmp_path / "folded.csv", tmp_path / "kept.csv"
    assert main(["report", str(path), "--by", "queue", *extra, "-o", str(folded)]) == 0
    assert main(["report", str(path), "--by", "queue", *extra, "--calls", str(tmp_path / "calls.csv"),
                 "-o", str(kept)]) == 0
    assert folded.read_text() == kept.read_text()
    assert len(folded.read_text().splitlines()) > 3
