"""The compiled queue_log line stage (agentstats._qlog_lines behind io.qlog_stage.LineStage)
against its plain-Python twin (PythonLineStage) (SPEC 6.5: line accounting, NULs,
duplicates, the reorder window, time jumps): for every block fed, identical columns
(LineColumns arrays and texts), identical name tables, counts, examples, NUL counts and
times; on the shared samples, the demo logs (clean and dirty), hand-made edge cases and
hypothesis-made dirty logs cut into blocks of several sizes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentstats.demo import demo_log_path
from agentstats.io.lines import LATEST_EPOCH, MAX_LINE_BYTES, LineReader, LogSource
from agentstats.io.qlog_columns import LineNames, columns_from_lines
from agentstats.io.qlog_stage import JUMP_CONFIRM, LineStage, PythonLineStage

from test_hostile_io import BASE_LINES, ONE_BAD_LINE, T0, with_line

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "queue_log"
SHARED_LOGS = sorted(SHARED.glob("*.log")) if SHARED.is_dir() else []
COLUMNS = ("epoch", "where", "verb", "callid", "queue", "agent", "data1", "number", "number_stripped")
TABLES = ("verbs", "callids", "queues", "agents", "texts")
BLOCK_SIZES = (1, 7, 64, 4096, 1 << 20)


def _columns_equal(a, b, label: str) -> None:
    for name in COLUMNS:
        left, right = getattr(a, name), getattr(b, name)
        assert left.dtype == right.dtype, (label, name)
        assert np.array_equal(left, right), (label, name)
    assert a.texts == b.texts, label
    assert a.callid_names == b.callid_names, label


def _callid_texts(columns, names) -> list[str]:
    """Each row's callid as text, from the block's own table or the import's."""
    if columns.callid_names is None:
        table = names.callids.names
    else:
        count, joined = columns.callid_names
        table = joined.decode("utf-8").split("\n") if count else []
        assert len(table) == count
    return [table[code] for code in columns.callid.tolist()]


def _read(stage, paths, block_bytes: int, compiled: bool) -> list:
    released = []
    for index, path in enumerate(paths):
        reader = LineReader(LogSource(path), block_bytes)
        for block in reader.byte_blocks() if compiled else reader:
            released.append((stage.feed(block, index), stage.block_lines, stage.lines))
    released.append((stage.finish(), 0, stage.lines))
    return released


def same_stages(paths, *, block_bytes: int = 4096, reorder_window: int = 6 * 3600, keep_texts: bool = True,
                block_callids: bool = False):
    """Run both stages over the files; assert every output is the same; the twin. With
    `block_callids` both stages give each block its own callid table, and the rows'
    callids, the other columns and the accounting are also those of the stages without."""
    if not isinstance(paths, (list, tuple)):
        paths = [paths]
    if block_callids:
        plain = same_stages(paths, block_bytes=block_bytes, reorder_window=reorder_window, keep_texts=keep_texts)
    twin = PythonLineStage(LineNames(), reorder_window=reorder_window, keep_texts=keep_texts,
                           block_callids=block_callids)
    compiled = LineStage(LineNames(), reorder_window=reorder_window, keep_texts=keep_texts,
                         block_callids=block_callids)
    want = _read(twin, paths, block_bytes, compiled=False)
    got = _read(compiled, paths, block_bytes, compiled=True)
    assert len(got) == len(want)
    for k, ((a, lines_a, total_a), (b, lines_b, total_b)) in enumerate(zip(got, want)):
        _columns_equal(a, b, f"block {k}")
        assert (lines_a, total_a) == (lines_b, total_b), f"block {k}"
        assert (a.callid_names is not None) == block_callids
    if block_callids:
        again = _read(PythonLineStage(LineNames(), reorder_window=reorder_window, keep_texts=keep_texts),
                      paths, block_bytes, compiled=False)
        assert len(again) == len(want)
        for k, ((a, _, _), (b, _, _)) in enumerate(zip(want, again)):
            for name in COLUMNS:
                if name != "callid":
                    assert np.array_equal(getattr(a, name), getattr(b, name)), (k, name)
            assert a.texts == b.texts
            assert _callid_texts(a, twin.names) == _callid_texts(b, plain.names), k
        assert len(twin.names.callids) == len(compiled.names.callids) == 0
        for name in ("counted", "examples", "lines", "nul_runs", "nul_bytes", "first_time", "last_time", "newest"):
            assert getattr(twin, name) == getattr(plain, name), name
    for table in TABLES:
        assert getattr(compiled.names, table).names == getattr(twin.names, table).names, table
        assert getattr(compiled.names, table).codes == getattr(twin.names, table).codes, table
    assert compiled.counted == twin.counted
    assert compiled.examples == twin.examples
    for name in ("lines", "nul_runs", "nul_bytes", "first_time", "last_time", "newest"):
        assert getattr(compiled, name) == getattr(twin, name), name
    rows = sum(len(c) for c, _, _ in want)
    assert rows + sum(twin.counted.values()) == twin.lines     # every line used or counted
    return twin


def _log(tmp_path, lines: list[bytes | str], name: str = "queue_log") -> Path:
    path = tmp_path / name
    path.write_bytes(b"\n".join(x.encode() if isinstance(x, str) else x for x in lines) + b"\n")
    return path


# -- real and demo logs ---------------------------------------------------------------


@pytest.mark.skipif(not SHARED_LOGS, reason="the real queue_log samples (shared data folder) are not beside the checkout")
@pytest.mark.parametrize("block_bytes", [97, 1 << 20])
@pytest.mark.parametrize("block_callids", [False, True], ids=["import_callids", "block_callids"])
def test_shared_samples(block_bytes, block_callids):
    """SPEC 6.5: the two stages agree on the real samples; with per-block callid tables
    too, and the rows, callids and line accounting are then those of the import's table."""
    for path in SHARED_LOGS:
        same_stages(path, block_bytes=block_bytes, block_callids=block_callids)
    same_stages(SHARED_LOGS, block_bytes=block_bytes, block_callids=block_callids)  # rotated files given together


@pytest.fixture(scope="module")
def dirty_demo(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "dirty_queue_log"
    subprocess.run([sys.executable, "-m", "agentstats.demo", "--agents", "12", "--days", "2", "--dirty",
                    "-o", str(path)], check=True, timeout=300)
    return path


@pytest.mark.parametrize("block_bytes", [1, 509, 1 << 16])
@pytest.mark.parametrize("reorder_window", [0, 6 * 3600])
def test_block_callids_demo_logs(dirty_demo, tmp_path, block_bytes, reorder_window):
    """SPEC 6.5: with a callid table per block, duplicates (also across a block edge and
    across files), late lines and time jumps are counted as with one table for the
    import, the same rows are released, and each row names the same callid."""
    latin = _log(tmp_path, [_line(T0, agent="José").encode("latin-1"), b"\x00\xe9|x", _line(T0 + 1, agent="Zoë"),
                            _line(T0 + 1, agent="Zoë"), _line(T0 - 99999), _line(T0 + 500000), _line(T0 + 2)])
    twin = same_stages([dirty_demo, latin], block_bytes=block_bytes, reorder_window=reorder_window,
                       block_callids=True)
    assert twin.counted["duplicate_line"] and twin.nul_runs


@pytest.mark.parametrize("block_bytes", [509, 1 << 16, 8 << 20])
def test_demo_logs(dirty_demo, block_bytes):
    same_stages(demo_log_path(), block_bytes=block_bytes)
    twin = same_stages(dirty_demo, block_bytes=block_bytes)
    assert twin.counted["duplicate_line"] and twin.nul_runs    # the dirty parts are there


def test_demo_log_rows_are_the_definition(dirty_demo):
    """The twin's rows are columns_from_lines of the lines it keeps (the definition)."""
    stage = PythonLineStage(LineNames())
    kept = []
    for block in LineReader(LogSource(dirty_demo), 1 << 16):
        columns = stage.feed(block)
        kept += list(zip(columns.epoch.tolist(), columns.where.tolist(), columns.texts))
    columns = stage.finish()
    kept += list(zip(columns.epoch.tolist(), columns.where.tolist(), columns.texts))
    names = LineNames()
    whole = columns_from_lines(kept, names, keep_texts=True)
    again = LineStage(LineNames())
    parts = [again.feed(block) for block in LineReader(LogSource(dirty_demo), 1 << 16).byte_blocks()]
    parts.append(again.finish())
    for name in COLUMNS:
        assert np.array_equal(np.concatenate([getattr(p, name) for p in parts]), getattr(whole, name)), name
    assert again.names.agents.names == names.agents.names


# -- hand-made edge cases -------------------------------------------------------------


def _line(t: int, verb: str = "PAUSE", agent: str = "ann", *data: str, callid: str = "c", queue: str = "q1") -> str:
    return "|".join([str(t), callid, queue, agent, verb, *data])


EDGE_CASES = {
    "reorder within the window": [_line(T0 + 10), _line(T0), _line(T0 + 5, "UNPAUSE")],
    "late": [_line(T0 + 30000), _line(T0), _line(T0 + 30001)],
    "jump confirmed": [_line(T0), _line(T0 + 90000), _line(T0 + 90001), _line(T0 + 90002), _line(T0 + 1)],
    "jump of one corrupt line": [_line(T0), _line(T0 + 90000), _line(T0 + 1), _line(T0 + 2)],
    "corrupt jump, then one after it": [_line(T0), _line(T0 + 90000), _line(T0 + 90001), _line(T0 + 2)],
    "two jumps in a row": [_line(T0), _line(T0 + 90000), _line(T0 + 190000), _line(T0 + 1)],
    "jump at the end": [_line(T0), _line(T0 + 1), _line(T0 + 90000)],
    "jump and one line at the end": [_line(T0), _line(T0 + 90000), _line(T0 + 90001)],
    "after the latest epoch": [_line(T0), _line(LATEST_EPOCH + 1), _line(999_999_999_999), _line(T0 + 1)],
    "too many digits": [_line(T0), "1234567890123|c|q|a|PAUSE", _line(T0 + 1)],
    "duplicates": [_line(T0), _line(T0), _line(T0 + 1), _line(T0), _line(T0 + 1, "UNPAUSE"), _line(T0 + 1)],
    "many lines of one second": [_line(T0, "PAUSE", f"a{i % 7}", callid=f"c{i % 5}") for i in range(60)],
    "NULs": ["\x00\x00" + _line(T0), _line(T0 + 1) + "\x00\x00\x00", "\x00\x00 \t", "\x00" * 10,
             "garbage\x00" + _line(T0 + 2), _line(T0 + 2)],
    "blank and malformed": ["", "  ", "|a|b|c|d", "12|a|b|c", "hello", " 17 |a|b|c|PAUSE", _line(T0)],
    "CONNECT hold times": [_line(T0 + 9, "CONNECT", "ann", "12", "x", "3"),
                           _line(T0 + 9, "CONNECT", "bob", str(T0 + 10)),
                           _line(T0 + 9, "CONNECT", "cy", "1" * 19), _line(T0 + 9, "CONNECT", "dee", "²"),
                           _line(T0 + 9, "CONNECT", "eve", "١٢"), _line(T0 + 9, "CONNECT", "fay", " 12 "),
                           _line(T0 + 9, "CONNECT"), _line(T0 + 9, "CONNECTED", "gus", "1" * 19)],
    "numbers": [_line(T0, "RINGNOANSWER", "ann", "1000", " 12", "3 ", "\t4\x0b", "x", "6", "7"),
                _line(T0, "X", "bob", "", "0", "1" * 18, "1" * 19, "-1"),
                _line(T0, "Y", "cy", "\u00a012\u3000", "\u200312", "١")],
    "non-ASCII names": [_line(T0, agent="José"), _line(T0 + 1, agent="Jos\u00e9 ".strip()),
                        _line(T0 + 2, agent="Zoë", queue="ventes-é"), _line(T0 + 3, agent="\u00a0ann\u00a0")],
}


@pytest.mark.parametrize("case", sorted(EDGE_CASES))
@pytest.mark.parametrize("block_bytes", [1, 13, 4096])
def test_edge_cases(tmp_path, case, block_bytes):
    same_stages(_log(tmp_path, EDGE_CASES[case]), block_bytes=block_bytes)


def test_counts_and_examples_of_the_edge_cases(tmp_path):
    twin = same_stages(_log(tmp_path, EDGE_CASES["jump of one corrupt line"]))
    assert twin.counted == {"time_jump": 1} and twin.examples == {"time_jump": [2]}
    twin = same_stages(_log(tmp_path, EDGE_CASES["jump confirmed"]))
    assert twin.counted == {"late": 1} and twin.last_time == T0 + 90002
    twin = same_stages(_log(tmp_path, EDGE_CASES["jump at the end"]))
    assert twin.counted == {"time_jump": 1} and twin.last_time == T0 + 1
    twin = same_stages(_log(tmp_path, EDGE_CASES["duplicates"]))
    assert twin.counted == {"duplicate_line": 3} and twin.examples == {"duplicate_line": [2, 4, 6]}
    twin = same_stages(_log(tmp_path, EDGE_CASES["CONNECT hold times"]))
    assert twin.counted == {"bad_hold_time": 4}
    twin = same_stages(_log(tmp_path, EDGE_CASES["after the latest epoch"]))
    assert twin.counted == {"bad_epoch": 2} and twin.examples == {"bad_epoch": [2, 3]}


def test_duplicates_across_a_block_edge_and_files(tmp_path):
    lines = [_line(T0 + i // 3, callid=f"c{i}") for i in range(30)]
    first = _log(tmp_path, lines, "a.log")
    second = _log(tmp_path, lines[20:] + [_line(T0 + 20)], "b.log")     # a rotation overlap
    for block_bytes in (5, 40, 333):
        twin = same_stages([first, second], block_bytes=block_bytes)
        assert twin.counted == {"duplicate_line": 10}
        assert twin.examples["duplicate_line"][0] == (1 << 40) | 1


def test_equal_texts_share_a_code_whatever_the_bytes(tmp_path):
    """A Latin-1 line and a UTF-8 line with the same text: one agent code."""
    path = _log(tmp_path, [_line(T0, agent="José").encode("utf-8"), _line(T0 + 1, agent="José").encode("latin-1"),
                           _line(T0 + 2, agent="Jos\xc3").encode("latin-1")])
    twin = same_stages(path)
    assert twin.names.agents.names == ["José", "Jos\u00c3"]


def test_crlf_and_cr(tmp_path):
    path = tmp_path / "queue_log"
    path.write_bytes(b"\r\n".join(x.encode() for x in BASE_LINES[:5]) + b"\r" + BASE_LINES[5].encode() + b"\r")
    for block_bytes in (1, 3, 4096):
        same_stages(path, block_bytes=block_bytes)


@pytest.mark.parametrize("block_bytes", [1, 1000, 1 << 20])
def test_over_long_lines(tmp_path, block_bytes):
    path = _log(tmp_path, [_line(T0), "9" * (MAX_LINE_BYTES + 1), _line(T0 + 1, "PAUSE", "x" * (MAX_LINE_BYTES - 40)),
                           "1|" + "é" * MAX_LINE_BYTES, _line(T0 + 2)])
    twin = same_stages(path, block_bytes=block_bytes)
    assert twin.counted["line_too_long"] == 2


@pytest.mark.parametrize("name, hostile, at", [case[:3] for case in ONE_BAD_LINE])
def test_one_bad_line(tmp_path, name, hostile, at):
    path = tmp_path / "queue_log"
    path.write_bytes(with_line(hostile, at) + b"\x00\x00")
    for block_bytes in (97, 4096):
        same_stages(path, block_bytes=block_bytes)


@pytest.mark.parametrize("window", [0, 1, 3600, 10 ** 15])
def test_reorder_windows(dirty_demo, window):
    same_stages(dirty_demo, block_bytes=1 << 15, reorder_window=window)


def test_columns_without_texts(dirty_demo):
    twin = same_stages(dirty_demo, block_bytes=1 << 16, keep_texts=False)
    assert twin.keep_texts is False


def test_the_stage_is_read_once(tmp_path):
    stage = LineStage(LineNames())
    stage.feed((b"1|a|b|c|d", False))
    stage.finish()
    with pytest.raises(RuntimeError):
        stage.finish()
    with pytest.raises(RuntimeError):
        stage.feed((b"1|a|b|c|d", False))
    with pytest.raises(ValueError):
        LineStage(LineNames(), reorder_window=-1)


def test_jump_confirmation_needs_that_many_lines(tmp_path):
    # JUMP_CONFIRM lines after a jump are not enough: the old time goes on, each is a time jump
    jump = [_line(T0)] + [_line(T0 + 90000 + i) for i in range(JUMP_CONFIRM)] + [_line(T0 + 1)]
    twin = same_stages(_log(tmp_path, jump))
    assert twin.counted == {"time_jump": JUMP_CONFIRM}
    confirmed = [_line(T0)] + [_line(T0 + 90000 + i) for i in range(JUMP_CONFIRM + 1)] + [_line(T0 + 1)]
    twin = same_stages(_log(tmp_path, confirmed))
    assert twin.counted == {"late": 1}


# -- hypothesis: dirty logs -----------------------------------------------------------

_FIELDS = st.sampled_from(["", "q1", "q2", "NONE", "ann", "bob", "SIP/1001", "José", "Zoë", " 12", "12", "١٢",
                           "²", "PAUSED", "\u00a07", "1" * 19, "x y"])
_VERBS = st.sampled_from(["PAUSE", "UNPAUSE", "CONNECT", "ADDMEMBER", "COMPLETEAGENT", "ENTERQUEUE", "CUSTOM", ""])
_OFFSETS = st.sampled_from([0, 0, 0, 1, 2, 5, -3, -30000, 90000, 90001, 200000])


@st.composite
def _dirty_line(draw) -> bytes:
    kind = draw(st.integers(0, 11))
    t = T0 + draw(_OFFSETS) + draw(st.integers(0, 3))
    fields = [str(t), draw(st.sampled_from(["c1", "c2", "c3"])), draw(_FIELDS), draw(_FIELDS), draw(_VERBS)]
    fields += draw(st.lists(_FIELDS, max_size=7))
    text = "|".join(fields)
    raw = text.encode("latin-1", "replace") if kind == 0 else text.encode("utf-8")
    if kind == 1:
        raw = b"\x00" * draw(st.integers(1, 5)) + raw
    elif kind == 2:
        raw = draw(st.binary(max_size=20))
    elif kind == 3:
        raw = raw + b"\x00\x00" + draw(st.sampled_from([b"", b" ", raw]))
    elif kind == 4:
        raw = draw(st.sampled_from([b"", b"  ", b"\t", b"|a|b|c|d", b"12|a|b", b"\xff\xfe|a|b|c|d",
                                    b"99999999999999|a|b|c|d", b"\xc3\xa9|a|b|c|d", b"12\xc2\xa0|a|b|c|d"]))
    return raw


@given(lines=st.lists(_dirty_line(), max_size=40), block_bytes=st.sampled_from(BLOCK_SIZES[:4]),
       window=st.sampled_from([0, 7, 6 * 3600]), block_callids=st.booleans())
def test_hypothesis_dirty_logs(tmp_path_factory, lines, block_bytes, window, block_callids):
    """SPEC 6.5 on dirty logs, with one callid table for the import or one per block."""
    path = tmp_path_factory.mktemp("dirty") / "queue_log"
    duplicated = lines + lines[: len(lines) // 3]                         # duplicated lines
    path.write_bytes(b"\n".join(duplicated) + (b"\n" if len(duplicated) % 2 else b""))
    try:
        LogSource(path)
        list(LineReader(LogSource(path), block_bytes).byte_blocks())
    except Exception:     # not a queue_log at all (the reading layer refuses it): nothing to compare
        return
    same_stages(path, block_bytes=block_bytes, reorder_window=window, block_callids=block_callids)


# -- two threads ----------------------------------------------------------------------


@pytest.mark.parametrize("block_bytes", [97, 1 << 16])
@pytest.mark.parametrize("block_callids", [False, True], ids=["import_callids", "block_callids"])
def test_two_threads_give_the_same_columns(dirty_demo, tmp_path, block_bytes, block_callids):
    latin = _log(tmp_path, [_line(T0, agent="José").encode("latin-1"), b"\x00\xe9|x", _line(T0 + 1, agent="Zoë")])
    runs = []
    for threads in (1, 2):
        stage = LineStage(LineNames(), block_callids=block_callids)
        out = []
        for index, path in enumerate([dirty_demo, latin]):
            out += stage.stream(LineReader(LogSource(path), block_bytes).byte_blocks(), index, threads=threads)
        out.append(stage.finish())
        runs.append((out, stage))
    (one, a), (two, b) = runs
    assert len(one) == len(two)
    for k, (x, y) in enumerate(zip(one, two)):
        _columns_equal(x, y, f"block {k}")
    assert a.counted == b.counted and a.examples == b.examples and a.names.agents.names == b.names.agents.names
    assert (a.lines, a.nul_runs, a.nul_bytes, a.last_time) == (b.lines, b.nul_runs, b.nul_bytes, b.last_time)


def test_two_threads_publish_what_the_handed_out_columns_need(dirty_demo):
    """With a worker thread ahead, the stage's accounting and name tables seen beside each
    block handed out are those of the blocks handed out so far (as with one thread)."""
    seen = []
    for threads in (1, 2):
        stage = LineStage(LineNames(), keep_texts=False)
        states = []
        for columns in stage.stream(LineReader(LogSource(dirty_demo), 1 << 14).byte_blocks(), threads=threads):
            tables = tuple(len(getattr(stage.names, t)) for t in TABLES)
            if len(columns):
                # every code of the block is in its table already
                assert columns.callid.max() < tables[TABLES.index("callids")]
                assert columns.agent.max() < tables[TABLES.index("agents")]
            states.append((len(columns), stage.lines, stage.block_lines, stage.nul_runs, stage.first_time, tables))
        seen.append(states)
    assert len(seen[0]) > 10 and seen[0] == seen[1]


def test_a_reading_error_reaches_the_caller_of_two_threads():
    def blocks():
        yield (b"1|a|b|c|d", False)
        raise OSError("the disk went away")

    stage = LineStage(LineNames())
    with pytest.raises(OSError, match="disk went away"):
        list(stage.stream(blocks(), threads=2))
    with pytest.raises(ValueError):
        list(LineStage(LineNames()).stream([], threads=3))


@pytest.mark.parametrize("slow", ["consumer", "tokenizer"])
def test_two_threads_share_the_steps_in_order(dirty_demo, monkeypatch, slow):
    """With two threads, whichever thread is free orders and releases the next block
    (a slow consumer leaves it to the worker, a slow tokenizer to the caller's thread):
    the columns and the accounting are those of one thread either way."""
    import threading
    import time

    from agentstats.io import qlog_stage

    def run(threads):
        stage = LineStage(LineNames(), keep_texts=False)
        out = []
        for columns in stage.stream(LineReader(LogSource(dirty_demo), 1 << 13).byte_blocks(), threads=threads):
            if slow == "consumer" and threads == 2:
                time.sleep(0.002)
            out.append(columns)
        out.append(stage.finish())
        return out, stage

    one, a = run(1)
    stepped_by = set()
    step, verdicts = qlog_stage.LineStage._step, qlog_stage._Verdicts

    def recording_step(self, *args):
        stepped_by.add(threading.current_thread().name)
        return step(self, *args)

    class SlowVerdicts(verdicts):
        __slots__ = ()

        def __init__(self, *args):
            time.sleep(0.002)
            super().__init__(*args)

    monkeypatch.setattr(qlog_stage.LineStage, "_step", recording_step)
    if slow == "tokenizer":
        monkeypatch.setattr(qlog_stage, "_Verdicts", SlowVerdicts)
    two, b = run(2)
    assert len(one) == len(two) > 10 and stepped_by
    for k, (x, y) in enumerate(zip(one, two)):
        _columns_equal(x, y, f"block {k}")
    assert a.counted == b.counted and a.examples == b.examples
    assert (a.lines, a.nul_runs, a.nul_bytes, a.last_time) == (b.lines, b.nul_runs, b.nul_bytes, b.last_time)


def test_two_threads_an_error_in_a_step_comes_after_the_blocks_before_it(dirty_demo, monkeypatch):
    from agentstats.io import qlog_stage

    step, calls = qlog_stage.LineStage._step, []

    def failing_step(self, *args):
        calls.append(1)
        if len(calls) == 4:
            raise RuntimeError("step 4 failed")
        return step(self, *args)

    monkeypatch.setattr(qlog_stage.LineStage, "_step", failing_step)
    handed = []
    with pytest.raises(RuntimeError, match="step 4 failed"):
        for columns in LineStage(LineNames()).stream(LineReader(LogSource(dirty_demo), 1 << 13).byte_blocks(),
                                                     threads=2):
            handed.append(columns)
    assert len(handed) == 3


def test_two_threads_a_consumer_that_stops_early_stops_the_worker(dirty_demo):
    import threading

    stream = LineStage(LineNames()).stream(LineReader(LogSource(dirty_demo), 1 << 13).byte_blocks(), threads=2)
    next(stream)
    stream.close()
    assert not any(t.name == "agentstats-line-stage" for t in threading.enumerate())


# -- alias inference reads only the lines that can matter ------------------------------


def _alias_lines_decoding_every_line(source):
    """The twin of the prefilter: every line decoded, then looked at."""
    from agentstats.io.queue_log import _BLOCK_BYTES, _iter_blocks

    for lines in _iter_blocks(source, _BLOCK_BYTES):
        yield from (line for line in lines if "ADDMEMBER" in line or "UNPAUSE" in line)


def test_alias_inference_prefilter_gives_the_same_aliases(dirty_demo, tmp_path, monkeypatch):
    from agentstats.io import queue_log

    mixed = _log(tmp_path, [_line(T0, "ADDMEMBER", "SIP/1001"), _line(T0, "UNPAUSE", "José"),
                            _line(T0 + 5, "ADDMEMBER", "SIP/1002").encode("latin-1") + b"\xe9",
                            _line(T0 + 5, "UNPAUSEALL", "Zoë", queue="").encode("latin-1"),
                            b"\x00\x00" + _line(T0 + 9, "ADDMEMBER", "SIP/1003").encode(),
                            _line(T0 + 9, "UNPAUSE", "Ann") + "|" + "x" * MAX_LINE_BYTES,
                            _line(T0 + 9, "UNPAUSE", "Bea")])
    inputs = [[demo_log_path()], [dirty_demo], [mixed], SHARED_LOGS]
    fast = [queue_log.infer_aliases(paths) for paths in inputs]
    monkeypatch.setattr(queue_log, "_alias_candidate_lines", _alias_lines_decoding_every_line)
    assert fast == [queue_log.infer_aliases(paths) for paths in inputs]
    assert fast[2][0] == {"SIP/1001": "José", "SIP/1003": "Bea"}


def test_a_verb_past_the_int16_codes_costs_its_line(tmp_path):
    """Verb codes are int16: each line whose new verb would get a code past 32767 is
    malformed (on both stages); the lines around it, and old verbs, are still read."""
    from agentstats.io.qlog_columns import KNOWN_VERBS
    from agentstats.io.qlog_stage import MAX_VERB_CODE

    room = MAX_VERB_CODE + 1 - len(KNOWN_VERBS)       # new verbs that still get a code
    lines = [_line(T0 + i // 100, f"V{i}", callid=f"c{i}") for i in range(room + 3)]
    lines += [_line(T0 + 400, "V0"), _line(T0 + 400, "PAUSE"), _line(T0 + 401, f"V{room + 1}")]
    twin = same_stages(_log(tmp_path, lines), block_bytes=1 << 16)
    assert twin.counted == {"malformed": 4}
    assert twin.examples["malformed"] == [room + 1, room + 2, room + 3, len(lines)]
    assert len(twin.names.verbs) == MAX_VERB_CODE + 1 + 3     # the dropped lines' verbs kept their codes


def test_a_verb_past_the_int16_codes_in_an_import(tmp_path):
    from test_qlog_tokenizer import same_reports

    from agentstats.io.qlog_columns import KNOWN_VERBS
    from agentstats.io.qlog_stage import MAX_VERB_CODE

    room = MAX_VERB_CODE + 1 - len(KNOWN_VERBS)
    lines = [_line(T0 + 1 + i // 100, f"V{i}", callid=f"c{i}") for i in range(room + 2)]
    lines = [_line(T0, "ADDMEMBER", "ann")] + lines + [_line(T0 + 500, "PAUSE", "ann")]
    path = _log(tmp_path, lines)
    same_reports(path, infer=False)
    from agentstats.io.queue_log import import_queue_log

    diagnostics = import_queue_log(path, infer=False).diagnostics
    assert diagnostics["counted"]["malformed"] == 2 and diagnostics["lines"] == len(lines)


@pytest.mark.parametrize("chunks", [
    [["a", "", "NONE"]], [[""], ["NONE", "b"]], [["x"], ["NONE"], ["y", ""]], [["NONEX", "xNONE"], ["NONE"]],
    [["José", "é"], ["", "NONE NONE"]], [[]], [["only"]],
])
def test_names_handed_over_as_joined_bytes(chunks):
    """Names.extend_joined keeps the bytes until names or codes are read; len() and
    lookup() answer without decoding, as a table filled by code() would."""
    from agentstats.io.qlog_columns import Names

    lazy, plain = Names(["seed"]), Names(["seed"])
    for chunk in chunks:
        lazy.extend_joined(len(chunk), "\n".join(chunk).encode("utf-8"))
        for name in chunk:
            plain.code(name)
        assert len(lazy) == len(plain)
        for probe in ("", "NONE", "seed", "é", "missing", *chunk):
            assert lazy.lookup(probe) == plain.codes.get(probe, -1), probe
        assert lazy._backlog or not any(chunks)            # nothing decoded so far
    assert lazy.names == plain.names and lazy.codes == plain.codes
    assert lazy.code("new") == plain.code("new") and lazy.lookup("new") == len(plain) - 1
