"""The compiled queue_log tokenizer (agentstats._qlog) against the Python per-line loop,
its slow twin (SPEC 6.5: line accounting, NUL handling, reasons, epochs): both engines
give identical events, sessions, diagnostics (every count and example location) and
reports, on the demo log, the shared samples, the hostile corpus and hypothesis-made
dirty logs cut into blocks of several sizes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentstats import _qlog
from agentstats.demo import demo_log_path
from agentstats.hresult import TapiError
from agentstats.io.lines import LATEST_EPOCH, MAX_LINE_BYTES
from agentstats.io.queue_log import QueueLogImporter, import_queue_log, read_queue_log

from test_hostile_io import BASE_LINES, ONE_BAD_LINE, T0, WRAPUP, with_line

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "queue_log"
SHARED_LOGS = sorted(SHARED.glob("*.log")) if SHARED.is_dir() else []


def _events_equal(a, b) -> None:
    for name in ("session", "time", "state", "wait", "reason", "agent", "acd_group", "presence"):
        left, right = getattr(a, name), getattr(b, name)
        assert (left is None) == (right is None), name
        if left is not None:
            assert left.dtype == right.dtype, name
            assert np.array_equal(left, right), name


def same_on_both_engines(path, **options) -> dict:
    """Read `path` with both engines; assert every output is the same; the diagnostics."""
    ev_c, sess_c, diag_c = read_queue_log(path, engine="cython", **options)
    ev_p, sess_p, diag_p = read_queue_log(path, engine="python", **options)
    _events_equal(ev_c, ev_p)
    pd.testing.assert_frame_equal(sess_c, sess_p)
    assert diag_c == diag_p
    # SPEC 6.5: every line is used or counted
    assert diag_c["lines"] == diag_c["used"] + sum(diag_c["counted"].values())
    return diag_c


def same_reports(path, **options) -> None:
    res_c = import_queue_log(path, engine="cython", **options)
    res_p = import_queue_log(path, engine="python", **options)
    pd.testing.assert_frame_equal(res_c.to_pandas(), res_p.to_pandas())
    assert res_c.diagnostics == res_p.diagnostics
    # SPEC 8: the queued calls of both engines, every column
    pd.testing.assert_frame_equal(res_c.calls, res_p.calls)


# -- the kernel itself on hand-made lines --------------------------------------------


def tokenize(data: bytes):
    n = data.count(b"\n") + 1
    epoch, reason = np.empty(n, np.int64), np.empty(n, np.uint8)
    start, end, nuls = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64)
    assert _qlog.tokenize_block(data, MAX_LINE_BYTES, epoch, reason, start, end, nuls) == n
    return [(int(e), int(r), data[s:t], int(k)) for e, r, s, t, k in zip(epoch, reason, start, end, nuls)]


@pytest.mark.parametrize("line, expected", [
    (b"1700000000|c|q|a|CONNECT|1", (1700000000, _qlog.CANDIDATE, b"1700000000|c|q|a|CONNECT|1", 0)),
    (b"  12 |a|b|c|d", (12, _qlog.CANDIDATE, b"  12 |a|b|c|d", 0)),
    (b"\x00\x00  \x0012|a|b|c|d\x00", (12, _qlog.CANDIDATE, b"12|a|b|c|d", 4)),
    (b"\x00\x00 \t", (-1, _qlog.NUL_GARBAGE, b" \t", 2)),
    (b" \x0b\x1c\x1f", (-1, _qlog.BLANK, b" \x0b\x1c\x1f", 0)),
    (b"", (-1, _qlog.BLANK, b"", 0)),
    (b"|a|b|c|d", (-1, _qlog.MALFORMED, b"|a|b|c|d", 0)),
    (b"12|a|b|c", (-1, _qlog.MALFORMED, b"12|a|b|c", 0)),
    (b"123", (-1, _qlog.MALFORMED, b"123", 0)),
    (b"1234567890123|a|b|c|d", (-1, _qlog.BAD_EPOCH, b"1234567890123|a|b|c|d", 0)),
    (b"999999999999|a|b|c|d", (999999999999, _qlog.CANDIDATE, b"999999999999|a|b|c|d", 0)),
    (b"-5|a|b|c|d", (-1, _qlog.MALFORMED, b"-5|a|b|c|d", 0)),
    (b"1" * (MAX_LINE_BYTES + 1), (-1, _qlog.LINE_TOO_LONG, b"1" * (MAX_LINE_BYTES + 1), 0)),
    ("12|a|b|José|d".encode(), (12, _qlog.CANDIDATE, "12|a|b|José|d".encode(), 0)),
    ("1²|a|b|c|d".encode(), (-1, _qlog.SLOW, "1²|a|b|c|d".encode(), 0)),
    ("\x00\xff12|a|b|c|d".encode("latin-1"), (-1, _qlog.SLOW, b"\x00\xff12|a|b|c|d", 0)),
])
def test_one_line(line, expected):
    assert tokenize(line) == [expected]


def test_lines_and_offsets_of_a_block():
    got = tokenize(b"1|a|b|c|d\n\n2|a|b|c|d\n")
    assert [(e, r, raw) for e, r, raw, _ in got] == [
        (1, 0, b"1|a|b|c|d"), (-1, 1, b""), (2, 0, b"2|a|b|c|d"), (-1, 1, b"")]


_BLOCK_PIECES = [b"", b"12|a|b|c|d", b"\x00\x00 \t", b"\x00x", "José".encode(), b"\xff", b"\x80|a|b|c|d",
                 b"1" * (MAX_LINE_BYTES + 1), b"\xe9" * (MAX_LINE_BYTES + 1), b"\x7f\x01"]


@given(pieces=st.lists(st.sampled_from(_BLOCK_PIECES), max_size=6))
def test_the_block_ascii_answer_is_isascii(pieces):
    """The block's ASCII-ness from the tokenizer's scans of its lines is bytes.isascii(),
    or 2 (unknown) only with a line too long to read and no byte >= 0x80 seen."""
    data = b"\n".join(pieces)
    n = data.count(b"\n") + 1
    arrays = [np.empty(n, np.int64), np.empty(n, np.uint8)] + [np.empty(n, np.int64) for _ in range(3)]
    answer = np.full(1, 7, dtype=np.uint8)
    assert _qlog.tokenize_block(data, MAX_LINE_BYTES, *arrays, answer) == n
    readable = [line for line in data.split(b"\n") if len(line) <= MAX_LINE_BYTES]
    if answer[0] == 2:
        assert len(readable) < n and all(line.isascii() for line in readable)
    else:
        assert bool(answer[0]) == data.isascii()


def test_arrays_too_short_are_refused():
    arrays = [np.empty(1, np.int64), np.empty(1, np.uint8)] + [np.empty(1, np.int64)] * 3
    assert _qlog.tokenize_block(b"1\n2", MAX_LINE_BYTES, *arrays) == -1


@pytest.mark.parametrize("read_threads", [1, 2])
def test_read_threads_give_the_same_import(read_threads):
    # the second thread only reads and splits ahead: every output is the one-thread one
    options = dict(infer=True, wrapup=WRAPUP, block_bytes=4096)
    one = import_queue_log(demo_log_path(), engine="cython", read_threads=1, **options)
    other = import_queue_log(demo_log_path(), engine="cython", read_threads=read_threads, **options)
    pd.testing.assert_frame_equal(one.to_pandas(), other.to_pandas())
    pd.testing.assert_frame_equal(one.calls, other.calls)
    assert one.diagnostics == other.diagnostics
    same_reports(demo_log_path(), read_threads=read_threads, **options)


def test_read_threads_option():
    with pytest.raises(ValueError, match="read_threads must be 1 or 2"):
        QueueLogImporter(demo_log_path(), read_threads=3)


def test_engine_option():
    assert QueueLogImporter(demo_log_path(), infer=False).engine == "cython"
    with pytest.raises(ValueError, match="engine must be one of cython, python"):
        QueueLogImporter(demo_log_path(), engine="rust")


# -- both engines on real and hostile logs -------------------------------------------


@pytest.mark.parametrize("block_bytes", [8 << 20, 4096, 97])
def test_demo_log(block_bytes):
    diag = same_on_both_engines(demo_log_path(), block_bytes=block_bytes)
    assert diag["nul_runs"] == 1 and diag["counted"]["blank"] == 1


def test_demo_log_reports():
    same_reports(demo_log_path(), wrapup={"*": 15})


@pytest.mark.skipif(not SHARED_LOGS, reason=f"shared queue_log samples not found at {SHARED}")
@pytest.mark.parametrize("path", SHARED_LOGS, ids=lambda p: p.name)
def test_shared_samples(path):
    same_on_both_engines(path)
    same_on_both_engines(path, block_bytes=1000)
    same_reports(path)


@pytest.mark.parametrize("name, hostile, at, bucket", ONE_BAD_LINE, ids=[c[0] for c in ONE_BAD_LINE])
@pytest.mark.parametrize("end", [b"\n", b"\r\n", b"\r"])
def test_hostile_corpus(tmp_path, name, hostile, at, bucket, end):
    path = tmp_path / "queue_log"
    path.write_bytes(with_line(hostile, at).replace(b"\n", end))
    diag = same_on_both_engines(path, wrapup=WRAPUP)
    assert diag["counted"].get(bucket, 0) >= 1
    same_reports(path, wrapup=WRAPUP)


# -- hypothesis: dirty logs with hostile tokens, several block sizes -----------------

_TOKENS = st.sampled_from([
    "|", "||||", "\x00", "\x00" * 5, "\r", "\r\n", "\n", " ", "\t", "\x0b", "\x1c", "\xa0",
    "\u2003", "²", "١", "é", "\udcff", "9" * 13, "9" * 25, str(LATEST_EPOCH), str(LATEST_EPOCH + 1),
    "-1", "CONNECT", "ADDMEMBER", "PAUSE", "M", "q1", "ann", "x" * 50,
])


@st.composite
def dirty_logs(draw) -> bytes:
    rows = [line.encode() for line in BASE_LINES]
    for _ in range(draw(st.integers(0, 12))):
        at = draw(st.integers(0, len(rows)))
        kind = draw(st.integers(0, 3))
        if kind == 0:        # a good line broken by tokens
            good = bytearray(rows[draw(st.integers(0, len(rows) - 1))])
            for token in draw(st.lists(_TOKENS, max_size=4)):
                place = draw(st.integers(0, len(good)))
                good[place:place] = token.encode("utf-8", "surrogateescape")
            rows.insert(at, bytes(good))
        elif kind == 1:      # a line of tokens
            rows.insert(at, "".join(draw(st.lists(_TOKENS, max_size=8))).encode("utf-8", "surrogateescape"))
        elif kind == 2:      # a line at some other time
            t = T0 + draw(st.integers(-30000, 30000))
            rows.insert(at, f"{t}|c{at}|q1|ann|{draw(st.sampled_from(['CONNECT', 'COMPLETEAGENT', 'PAUSE']))}|5|x|1"
                        .encode())
        else:                # raw bytes (invalid UTF-8, NULs)
            rows.insert(at, draw(st.binary(max_size=40)))
    data = b"\n".join(rows) + draw(st.sampled_from([b"", b"\n", b"\r", b"\r\n"]))
    if draw(st.booleans()):
        data = data.replace(b"\n", draw(st.sampled_from([b"\r", b"\r\n"])))
    return data


@settings(max_examples=min(300, settings().max_examples))   # (the suite's time: half the CI profile)
@given(data=dirty_logs(), block_bytes=st.sampled_from([8 << 20, 1, 7, 64, 333]),
       long_line=st.booleans())
def test_dirty_logs_agree(tmp_path_factory, data, block_bytes, long_line):
    if long_line:
        data += b"\n" + f"{T0 + 5}|c|q1|ann|CONNECT|1|".encode() + b"y" * MAX_LINE_BYTES + b"\n" + data[:200]
    path = tmp_path_factory.mktemp("dirty") / "queue_log"
    path.write_bytes(data)
    errors = []
    for engine in ("cython", "python"):     # a file-level error (e.g. xz magic bytes) on both
        try:
            read_queue_log(path, engine=engine, wrapup=WRAPUP, block_bytes=block_bytes, infer=False)
        except TapiError as exc:
            errors.append(str(exc))
    assert len(errors) in (0, 2) and len(set(errors)) <= 1
    if not errors:
        same_on_both_engines(path, wrapup=WRAPUP, block_bytes=block_bytes, infer=False)


# -- the word-at-a-time scans (8 bytes a step): every byte position -------------------------


def test_bars_nuls_and_wide_bytes_at_every_offset(tmp_path):
    """The tokenizer and the line stage find the '|' and judge NUL and non-ASCII bytes
    8 bytes at a time: lines whose fields, NULs and wide bytes fall at every offset
    within a word and in the tail give what the Python loop gives."""
    rows = []
    for pad in range(17):
        callid, queue = "c" * (pad + 1), "q" * (1 + pad % 9)
        rows.append(f"{T0 + pad}|{callid}|{queue}|ann|CONNECT|{pad}|x{'y' * pad}|1")
        rows.append(f"{T0 + pad}|{callid}|q1|{'a' * (pad + 1)}|PAUSE|lunch{' ' * pad}|{pad}")
        rows.append(f"{T0 + pad}|{callid}|q1")                      # too few bars
        rows.append(f"{' ' * pad}{T0 + pad}|{callid}|q1|ann|UNPAUSE|")
        rows.append("|" * pad)
        line = f"{T0 + pad}|{callid}|q1|bob|ADDMEMBER|x|"
        rows.append(line[:pad] + "\x00" + line[pad:])
        rows.append(line[:pad] + "\x00\x00" + line[pad:] + "\x00")
        rows.append(line[:pad] + "é" + line[pad:])
        rows.append(line[:pad] + "\u2003" + line[pad:])
    path = tmp_path / "queue_log"
    path.write_bytes("\n".join(rows).encode("utf-8") + b"\n")
    for block_bytes in (8 << 20, 61):
        same_on_both_engines(path, wrapup=WRAPUP, block_bytes=block_bytes, infer=False)


# -- the reading layer's compiled block read (_qlog.read_lines) ------------------------


def _read_lines(data: bytes, head: bytes, size: int, seen=lambda joined, at: True):
    import io

    return _qlog.read_lines(io.BytesIO(data).readinto, head, size, seen)


def test_read_lines_cuts_after_the_last_line_end():
    """The block is the unfinished line carried over and the bytes read up to their last
    LF; the tail is what follows it (one copy of each byte, no join, no slice)."""
    asked = []
    status, n, block, tail, seen = _read_lines(b"a|b\nc|d\nef", b"xy", 64,
                                               lambda joined, at: asked.append((joined, at)) or "yes")
    assert (status, n, block, tail, seen) == (_qlog.READ_CUT, 10, b"xya|b\nc|d", b"ef", True)
    assert asked == [(b"xya|b\nc|d\nef", 2)]        # asked before the cut, on the joined bytes
    # a block that ends in LF: no tail; a read shorter than asked is sized to what was read
    assert _read_lines(b"a\n", b"", 1 << 20)[:4] == (_qlog.READ_CUT, 2, b"a", b"")
    assert _read_lines(b"\n", b"", 8)[:4] == (_qlog.READ_CUT, 1, b"", b"")
    # a read of `size` bytes only, even when the input goes on
    assert _read_lines(b"abc\ndef\n", b"", 5)[:4] == (_qlog.READ_CUT, 5, b"abc", b"d")


def test_read_lines_leaves_the_rare_blocks_to_the_general_path():
    """No LF among the bytes read, or a CR among them: the joined bytes, uncut; the
    end of the input: nothing."""
    never = lambda joined, at: pytest.fail("not asked")       # noqa: E731
    assert _read_lines(b"abc", b"x", 8, never) == (_qlog.READ_NO_LINE_END, 3, b"xabc", None, False)
    assert _read_lines(b"a\r\nb\n", b"", 8, never) == (_qlog.READ_CR, 5, b"a\r\nb\n", None, False)
    assert _read_lines(b"", b"x", 8, never) == (_qlog.READ_END, 0, None, None, False)
    with pytest.raises(ValueError):
        _read_lines(b"a", b"", 0)


def test_read_lines_copies_a_block_that_seen_kept():
    """`seen` keeping the joined bytes: the cut is then a copy (they are never changed
    after they were handed out)."""
    kept = []
    status, _, block, tail, _ = _read_lines(b"a\nb", b"", 8, lambda joined, at: kept.append(joined))
    assert (status, block, tail) == (_qlog.READ_CUT, b"a", b"b") and kept == [b"a\nb"]


def test_read_lines_errors_of_the_reader_pass_through():
    class Broken:
        def readinto(self, view):
            raise OSError(5, "Input/output error")

    with pytest.raises(OSError):
        _qlog.read_lines(Broken().readinto, b"", 8, lambda joined, at: True)

    class Keeps:
        def readinto(self, view):
            self.view = view
            view[:2] = b"a\n"
            return 2

    keeps = Keeps()
    assert _qlog.read_lines(keeps.readinto, b"", 8, lambda joined, at: True)[2] == b"a"
    with pytest.raises(ValueError):         # the view it kept is released: it cannot write later
        keeps.view[0] = 0
