"""The per-call CSV written while the log is read (`report LOG --calls FILE.csv`, SPEC
8.1 one record per caller's stay): each stay is written once no later line can change
it, in the order the stays began, with the stays still open left as gaps filled at the
end. The twin is the kept path: every stay held to the end and the whole table written
at once (report.files.write_report). Both must give the same bytes, on the shared
samples, the demo generator's logs (clean and dirty), hypothesis-generated caller logs
cut into blocks, and seq orders fed in any batches; a failing report leaves no file."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentstats import cli
from agentstats.demo import write_queue_log
from agentstats.io import queue_calls
from agentstats.io.qlog_columns import LineNames, columns_from_lines
from agentstats.io.queue_calls import CompiledCallTracker
from agentstats.io.queue_log import QueueLogImporter
from agentstats.report import calls_file
from agentstats.report.calls_file import CallsCsvWriter
from agentstats.report.files import write_report

from test_queue_calls import H, call_logs

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "queue_log"
SHARED_LOGS = sorted(SHARED.glob("*.log")) if SHARED.is_dir() else []


@pytest.fixture
def fold_often(monkeypatch):
    """Fold the final calls after every block, compact the callid table after every
    block, and leave gaps as soon as two rows wait behind a stay still open."""
    monkeypatch.setattr(queue_calls, "_FOLD_MIN", 1)
    monkeypatch.setattr(queue_calls, "_CALLID_SLACK", -(1 << 40))
    monkeypatch.setattr(calls_file, "PENDING_ROWS", 2)


def kept_path(monkeypatch):
    """The command line as before: --calls FILE.csv from every stay kept to the end."""
    monkeypatch.setattr(cli, "_streamed_calls", lambda args, kind: None)


def both_ways(monkeypatch, tmp_path, log, extra):
    """(streamed, kept) bytes of the call table and of the report, and of the accounting."""
    out = {}
    for how in ("streamed", "kept"):
        if how == "kept":
            kept_path(monkeypatch)
        calls, report = tmp_path / f"calls_{how}.csv", tmp_path / f"report_{how}.csv"
        assert cli.main(["report", *map(str, log), *extra, "--calls", str(calls), "-o", str(report), "-q"]) == 0
        out[how] = (calls.read_bytes(), report.read_bytes(),
                    (tmp_path / f"calls_{how}.accounting.json").read_bytes())
    # no temporary file left behind
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    return out["streamed"], out["kept"]


EXTRAS = [[], ["--by", "queue"], ["--by", "queue", "--interval", "15", "--tz", "Europe/Rome"],
          ["--tz", "America/New_York"], ["--by", "queue", "--as-of", "2026-03-02T12:00:00"]]


@pytest.mark.parametrize("extra", EXTRAS, ids=lambda e: " ".join(e) or "plain")
@pytest.mark.parametrize("dirty", [False, True], ids=["clean", "dirty"])
def test_demo_logs_same_bytes(fold_often, monkeypatch, tmp_path, dirty, extra):
    log = tmp_path / "queue_log"
    write_queue_log(log, agents=20, days=2, seed=4, dirty=dirty)
    streamed, kept = both_ways(monkeypatch, tmp_path, [log], extra)
    assert streamed == kept
    assert streamed[0].count(b"\n") > 100


def test_rotated_demo_logs_with_default_thresholds(monkeypatch, tmp_path):
    """The real thresholds (folds of 65,536 records) on two rotated files."""
    first, second = tmp_path / "queue_log.1", tmp_path / "queue_log"
    write_queue_log(first, agents=30, days=3, seed=7, dirty=True)
    text = first.read_text().splitlines(keepends=True)
    first.write_text("".join(text[:len(text) // 2]))
    second.write_text("".join(text[len(text) // 2:]))
    streamed, kept = both_ways(monkeypatch, tmp_path, [second, first], ["--by", "queue"])
    assert streamed == kept


@pytest.mark.skipif(not SHARED_LOGS, reason="the shared queue_log samples are not beside the checkout")
@pytest.mark.parametrize("path", SHARED_LOGS, ids=lambda p: p.name)
def test_shared_samples_same_bytes(fold_often, monkeypatch, tmp_path, path):
    streamed, kept = both_ways(monkeypatch, tmp_path, [path], ["--by", "queue"])
    assert streamed == kept


def test_no_calls_same_bytes(monkeypatch, tmp_path):
    log = tmp_path / "queue_log"
    log.write_text(f"{H}|NONE|support|SIP/1|ADDMEMBER|\n{H + 60}|NONE|support|SIP/1|REMOVEMEMBER|\n")
    streamed, kept = both_ways(monkeypatch, tmp_path, [log], [])
    assert streamed == kept
    assert streamed[0].count(b"\n") == 1        # the header alone


# -- the tracker and the writer, block by block ----------------------------------------------

def render_kept(tracker, tmp_path, name):
    path = tmp_path / name
    write_report(tracker.frame(), path, sheet="calls")
    return path.read_bytes()


@settings(max_examples=120, deadline=None)
@given(lines=call_logs(), cuts=st.lists(st.integers(0, 400), max_size=6),
       memory=st.sampled_from([60, 600, 3600, 8 * 3600]), pending=st.integers(0, 5))
def test_blocks_match_the_kept_table(tmp_path_factory, lines, cuts, memory, pending):
    """Hypothesis: caller logs cut into blocks, folded after every block (stays forgotten
    after `memory` s), gaps left beyond `pending` waiting rows: the same bytes as the
    table of every stay written at once."""
    tmp = tmp_path_factory.mktemp("calls")
    rows = [(H + line[0], n, "|".join([str(H + line[0]), *line[1:]])) for n, line in enumerate(lines, 1)]
    was = queue_calls._FOLD_MIN, queue_calls._CALLID_SLACK
    queue_calls._FOLD_MIN, queue_calls._CALLID_SLACK = 1, -(1 << 40)
    try:
        names = LineNames()
        kept = CompiledCallTracker(names, memory=memory, where_of=str)
        writer = CallsCsvWriter(tmp / "calls.csv", pending_rows=pending)
        streamed = CompiledCallTracker(names, memory=memory, where_of=str, keep_calls=False, sink=writer.add)
        bounds = [0, *sorted(min(c, len(rows)) for c in cuts), len(rows)]
        for start, stop in zip(bounds, bounds[1:]):
            kept.read_columns(columns_from_lines(rows[start:stop], names))
            streamed.read_columns(columns_from_lines(rows[start:stop], names, block_callids=True))
        streamed.finish(None)
        done = writer.finish(kept.frame().iloc[:0])
        assert done.read_bytes() == render_kept(kept, tmp, "kept.csv")
        assert writer.rows == len(kept) == streamed.folded
    finally:
        queue_calls._FOLD_MIN, queue_calls._CALLID_SLACK = was
        writer.discard()


def frame_of(seqs):
    return pd.DataFrame({"seq": np.asarray(seqs, dtype=np.int64),
                         "callid": [f"c{s}" for s in seqs], "wait": pd.array(seqs, dtype="Int64")})


@settings(max_examples=200, deadline=None)
@given(n=st.integers(0, 300), seed=st.integers(0, 2**32 - 1), pending=st.integers(0, 40))
def test_writer_orders_any_batches(tmp_path_factory, n, seed, pending):
    """The writer alone: seqs handed out in any order and batches come out in seq order
    (the twin: sorting every row), whatever gaps it leaves."""
    rng = random.Random(seed)
    order = list(range(n))
    rng.shuffle(order)
    # a mostly increasing order: each seq late by a random amount
    order.sort(key=lambda s: s + rng.expovariate(0.05))
    batches, i = [], 0
    while i < n:
        k = rng.randint(1, 30)
        batches.append(sorted(order[i:i + k]))
        i += k
    path = tmp_path_factory.mktemp("w") / "out.csv"
    writer = CallsCsvWriter(path, pending_rows=pending)
    try:
        for batch in batches:
            writer.add(frame_of(batch))
        done = writer.finish(frame_of([]).drop(columns="seq"))
        want = frame_of(list(range(n))).drop(columns="seq").to_csv(index=False).encode()
        assert done.read_bytes() == want
        assert writer.peak_pending <= max(n, 1)
    finally:
        writer.discard()
    assert list(path.parent.iterdir()) == []


def test_values_with_line_ends_are_written_row_by_row(tmp_path):
    frame = frame_of([1, 0, 2])
    frame["callid"] = ["a\nb", "plain", 'q"uote']
    writer = CallsCsvWriter(tmp_path / "out.csv", pending_rows=0)
    writer.add(frame.iloc[[0]])
    writer.add(frame.iloc[[2]])
    writer.add(frame.iloc[[1]])
    done = writer.finish(frame.iloc[:0].drop(columns="seq"))
    want = frame.sort_values("seq").drop(columns="seq").to_csv(index=False).encode()
    assert done.read_bytes() == want
    writer.discard()


# -- failures: no file at the destination -----------------------------------------------

@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()],
                         ids=["disk full", "interrupted"])
def test_a_failing_report_leaves_no_file(fold_often, monkeypatch, tmp_path, error):
    log = tmp_path / "in" / "queue_log"
    log.parent.mkdir()
    write_queue_log(log, agents=20, days=2, seed=4, dirty=True)
    out = tmp_path / "out"
    out.mkdir()
    calls = out / "calls.csv"
    written = []
    real = CallsCsvWriter._write_main

    def fail_later(self, seq, lines):
        written.append(len(seq))
        if len(written) == 3:
            raise error
        real(self, seq, lines)

    monkeypatch.setattr(CallsCsvWriter, "_write_main", fail_later)
    code = cli.main(["report", str(log), "--by", "queue", "--calls", str(calls), "-o", str(out / "q.csv"), "-q"])
    assert code == (130 if isinstance(error, KeyboardInterrupt) else 1)
    assert list(out.iterdir()) == []


def test_bad_input_mid_way_leaves_no_file(tmp_path, capsys):
    """A compressed input cut short fails after its first blocks were read."""
    import gzip

    log = tmp_path / "queue_log.gz"
    plain = tmp_path / "plain"
    write_queue_log(plain, agents=20, days=2, seed=4)
    data = gzip.compress(plain.read_bytes())
    log.write_bytes(data[:len(data) * 3 // 4])
    plain.unlink()
    out = tmp_path / "out"
    out.mkdir()
    assert cli.main(["report", str(log), "--calls", str(out / "calls.csv"), "-q"]) == 1
    assert str(log) in capsys.readouterr().err
    assert list(out.iterdir()) == []


def test_an_existing_call_table_is_replaced_only_when_complete(fold_often, monkeypatch, tmp_path):
    log = tmp_path / "queue_log"
    write_queue_log(log, agents=10, days=1, seed=3)
    calls = tmp_path / "calls.csv"
    calls.write_text("old\n")

    def broken(self, frame):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(CallsCsvWriter, "add", broken)
    assert cli.main(["report", str(log), "--calls", str(calls), "-q"]) == 1
    assert calls.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calls.csv", "queue_log"]


# -- memory: the rows held stay bounded -------------------------------------------------------

def test_rows_held_stay_bounded(monkeypatch, tmp_path):
    """The stays held by the tracker and the rows held by the writer stay below bounds
    that do not grow with the log (this fails if every stay is kept to the end)."""
    monkeypatch.setattr(queue_calls, "_FOLD_MIN", 100)
    monkeypatch.setattr(calls_file, "PENDING_ROWS", 200)
    path = tmp_path / "queue_log"
    write_queue_log(path, agents=30, days=20, seed=2, dirty=True)
    writer = CallsCsvWriter(tmp_path / "calls.csv")
    block = 16 << 10
    importer = QueueLogImporter(path, keep_calls=False, chunk_events=200, block_bytes=block,
                                call_sink=writer.add)
    peak = peak_working = 0
    for _ in importer.chunks():
        peak = max(peak, len(importer.call_tracker))
        peak_working = max(peak_working, sum(importer.call_tracker.working_set()[:3]))
    tracker = importer.call_tracker
    tracker.finish(importer.last_time)
    total = tracker.folded
    done = writer.finish(pd.DataFrame())
    writer.discard()
    bound = 2 * max(100, peak_working) + block // 60
    assert peak <= bound
    # rows waiting behind a stay still open: at most PENDING_ROWS beyond one fold's rows
    assert writer.peak_pending <= 200 + bound
    assert writer.rows == total > 5 * (200 + bound)
    assert not done.exists()


# -- the per-session file, a slice of sessions at a time --------------------------------------

def session_files(monkeypatch, tmp_path, log, extra, rows):
    """(sliced, whole) bytes of `report LOG -o s.csv` and of its accounting."""
    from agentstats.report import rows as report_rows

    monkeypatch.setattr(report_rows, "SLICE_ROWS", rows)
    out = {}
    for how in ("sliced", "whole"):
        if how == "whole":
            monkeypatch.setattr(cli, "_csv_by_slices", lambda args, result: False)
        path = tmp_path / f"s_{how}.csv"
        assert cli.main(["report", *map(str, log), *extra, "-o", str(path), "-q"]) == 0
        out[how] = (path.read_bytes(), (tmp_path / f"s_{how}.accounting.json").read_bytes())
    return out["sliced"], out["whole"]


@pytest.mark.parametrize("extra", [[], ["--tz", "Europe/Rome"], ["--agent", "A*", "--queue", "s*"],
                                   ["--from", "2026-03-02T12:00:00"], ["--as-of", "2026-03-02T12:00:00"]],
                         ids=lambda e: " ".join(e) or "plain")
@pytest.mark.parametrize("rows", [1, 7, 1 << 16])
def test_session_file_by_slices_same_bytes(monkeypatch, tmp_path, extra, rows):
    log = tmp_path / "queue_log"
    write_queue_log(log, agents=20, days=2, seed=4, dirty=True)
    sliced, whole = session_files(monkeypatch, tmp_path, [log], extra, rows)
    assert sliced == whole
    assert sliced[0].count(b"\n") >= 3


@pytest.mark.skipif(not SHARED_LOGS, reason="the shared queue_log samples are not beside the checkout")
@pytest.mark.parametrize("path", SHARED_LOGS, ids=lambda p: p.name)
def test_session_file_by_slices_shared_samples(monkeypatch, tmp_path, path):
    sliced, whole = session_files(monkeypatch, tmp_path, [path], [], 3)
    assert sliced == whole


@settings(max_examples=40, deadline=None)
@given(lines=call_logs(), rows=st.integers(1, 5))
def test_session_file_by_slices_hypothesis(tmp_path_factory, lines, rows):
    """Hypothesis: caller logs with agents' CONNECTs (sessions of static members)."""
    from agentstats.report import rows as report_rows

    tmp = tmp_path_factory.mktemp("s")
    log = tmp / "queue_log"
    log.write_text("".join("|".join([str(H + line[0]), *line[1:]]) + "\n" for line in lines))
    was, real = report_rows.SLICE_ROWS, cli._csv_by_slices
    out = []
    try:
        report_rows.SLICE_ROWS = rows
        for sliced in (True, False):
            cli._csv_by_slices = real if sliced else (lambda args, result: False)
            path = tmp / f"s_{sliced}.csv"
            code = cli.main(["report", str(log), "-o", str(path), "-q"])
            out.append((code, path.read_bytes() if path.exists() else None))
    finally:
        report_rows.SLICE_ROWS, cli._csv_by_slices = was, real
    assert out[0] == out[1]


def test_session_file_failing_mid_way_leaves_no_file(monkeypatch, tmp_path):
    from agentstats.report import rows as report_rows
    from agentstats.report import files

    monkeypatch.setattr(report_rows, "SLICE_ROWS", 5)
    log = tmp_path / "in" / "queue_log"
    log.parent.mkdir()
    write_queue_log(log, agents=20, days=2, seed=4)
    out = tmp_path / "out"
    out.mkdir()
    real, parts = files.csv_ready, []

    def fail_later(frame):
        parts.append(len(frame))
        if len(parts) == 3:
            raise OSError(28, "No space left on device")
        return real(frame)

    monkeypatch.setattr(files, "csv_ready", fail_later)
    assert cli.main(["report", str(log), "-o", str(out / "s.csv"), "-q"]) == 1
    assert len(parts) == 3
    assert list(out.iterdir()) == []


def test_session_columns_taken_for_some_sessions(tmp_path):
    """The lazy session columns of a compiled import: every column read whole, and taken
    for some sessions (a slice of the per-session file), as the lists of every session."""
    from agentstats.io.queue_log import import_queue_log

    log = tmp_path / "queue_log"
    write_queue_log(log, agents=15, days=2, seed=6, dirty=True)
    columns = import_queue_log(log, keep_calls=False).session_columns
    whole = {name: list(values) for name, values in columns.items()}
    ids = np.asarray([5, 0, 3, 3, len(whole["session"]) - 1])
    for name, values in columns.take(ids).items():
        assert list(values) == [whole[name][i] for i in ids], name
    assert isinstance(columns["instance"], np.ndarray) and columns["session"].dtype == np.int64
    with pytest.raises(KeyError):
        columns["nothing"]


def test_a_row_given_twice_is_an_error_not_a_silent_loss(tmp_path):
    writer = CallsCsvWriter(tmp_path / "out.csv")
    writer.add(frame_of([0, 1]))
    writer.add(frame_of([0]))
    with pytest.raises(RuntimeError, match="once each"):
        writer.finish(frame_of([]).drop(columns="seq"))
    writer.discard()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("engine", ["python", "cython"])
def test_either_engine_gives_the_same_call_file(tmp_path, engine):
    """The Python reader hands every row to the sink at the end: the same file."""
    from agentstats.io.queue_log import import_queue_log

    log = tmp_path / "queue_log"
    write_queue_log(log, agents=10, days=1, seed=8, dirty=True)
    writer = CallsCsvWriter(tmp_path / "calls.csv", pending_rows=3)
    import_queue_log(log, keep_calls=False, call_sink=writer.add, engine=engine)
    kept = import_queue_log(log)
    try:
        assert writer.finish(pd.DataFrame()).read_bytes() == render_kept(kept.call_tracker, tmp_path, "kept.csv")
    finally:
        writer.discard()
