"""Alias inference (SPEC 6.4): the compiled reader (agentstats._qlog_aliases) against its
plain-Python twin (infer_aliases(engine="python")), on real, demo, hand-made and
generated logs. Both must give the same map and the same messages."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentstats._qlog_aliases import AliasVotes, is_utf8
from agentstats.demo import demo_log_path
from agentstats.io import queue_log
from agentstats.io.lines import MAX_LINE_BYTES
from agentstats.io.queue_log import QueueLogImporter, infer_aliases

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "queue_log"
SHARED_LOGS = sorted(SHARED.glob("*.log")) if SHARED.is_dir() else []
T0 = 1_700_000_000


def both_engines(paths, known=None):
    """The result of the compiled engine, once checked equal to the twin's."""
    compiled = infer_aliases(paths, known=known, engine="cython")
    assert compiled == infer_aliases(paths, known=known, engine="python")
    # the next block read on a second thread changes nothing
    assert compiled == infer_aliases(paths, known=known, engine="cython", read_threads=2)
    return compiled


def _line(epoch, verb: str, agent: str, queue: str = "q1", callid: str = "NONE", rest: str = "") -> str:
    return f"{epoch}|{callid}|{queue}|{agent}|{verb}|{rest}"


def _padded(epoch, verb: str, agent: str, size: int) -> str:
    """A line of `size` bytes."""
    line = _line(epoch, verb, agent)
    return line + "x" * (size - len(line))


def _write(path: Path, lines: list[str | bytes], end: bytes = b"\n") -> Path:
    path.write_bytes(b"".join((x.encode() if isinstance(x, str) else x) + end for x in lines))
    return path


# -- real and demo logs ---------------------------------------------------------------


@pytest.mark.skipif(not SHARED_LOGS, reason="the real queue_log samples (shared data folder) are not beside the checkout")
@pytest.mark.parametrize("which", ["each", "together"])
def test_shared_samples(which):
    groups = [[path] for path in SHARED_LOGS] if which == "each" else [SHARED_LOGS]
    results = [both_engines(paths) for paths in groups]
    assert any(found for found, _ in results)        # the samples do hold aliases


@pytest.fixture(scope="module", params=[(12, 2, 7, False), (12, 2, 3, True), (40, 3, 11, True), (60, 2, 5, False)],
                ids=lambda p: f"agents{p[0]}-days{p[1]}-seed{p[2]}{'-dirty' if p[3] else ''}")
def demo_log(request, tmp_path_factory) -> Path:
    agents, days, seed, dirty = request.param
    path = tmp_path_factory.mktemp("demo") / "queue_log"
    subprocess.run([sys.executable, "-m", "agentstats.demo", "--agents", str(agents), "--days", str(days),
                    "--seed", str(seed), *(["--dirty"] if dirty else []), "-o", str(path)],
                   check=True, timeout=300, capture_output=True)
    return path


def test_demo_logs(demo_log):
    found, messages = both_engines([demo_log])
    assert found and len(messages) == len(found)


def test_shipped_demo_log_and_small_blocks(monkeypatch):
    whole = both_engines([demo_log_path()])
    monkeypatch.setattr(queue_log, "_BLOCK_BYTES", 509)     # many blocks, each of whole lines
    assert both_engines([demo_log_path()]) == whole


def test_importer_passes_its_engine(demo_log):
    said = [QueueLogImporter([demo_log], engine=engine).aliases_inferred for engine in ("cython", "python")]
    assert said[0] == said[1] == infer_aliases([demo_log])[1]


# -- hand-made cases --------------------------------------------------------------------

HAND_MADE = {
    "one vote": ([_line(T0, "ADDMEMBER", "SIP/1"), _line(T0, "UNPAUSE", "ann")], {"SIP/1": "ann"}),
    "other queue": ([_line(T0, "ADDMEMBER", "SIP/1", "q2"), _line(T0, "UNPAUSE", "ann")], {}),
    "UNPAUSEALL is every queue": ([_line(T0, "ADDMEMBER", "SIP/1", "q2"), _line(T0, "UNPAUSEALL", "ann", "NONE")],
                                  {"SIP/1": "ann"}),
    "UNPAUSE with queue *": ([_line(T0, "ADDMEMBER", "SIP/1", "q2"), _line(T0, "UNPAUSE", "ann", "*")],
                             {"SIP/1": "ann"}),
    "two candidates in a second": ([_line(T0, "ADDMEMBER", "SIP/1"), _line(T0, "UNPAUSE", "ann"),
                                    _line(T0, "UNPAUSE", "bob")], {}),
    "tie between seconds": ([_line(T0, "ADDMEMBER", "SIP/1"), _line(T0, "UNPAUSE", "ann"),
                             _line(T0 + 5, "ADDMEMBER", "SIP/1"), _line(T0 + 5, "UNPAUSE", "bob")], {}),
    "the candidate is itself": ([_line(T0, "ADDMEMBER", "ann"), _line(T0, "UNPAUSE", "ann")], {}),
    "it UNPAUSEs itself later": ([_line(T0, "ADDMEMBER", "SIP/1"), _line(T0, "UNPAUSE", "ann"),
                                  _line(T0 + 900, "UNPAUSE", "SIP/1", "q9")], {}),
    "other seconds": ([_line(T0, "ADDMEMBER", "SIP/1"), _line(T0 + 1, "UNPAUSE", "ann")], {}),
    "out of order in the window": ([_line(T0 + 30, "ADDMEMBER", "SIP/1"), _line(T0 + 50, "ADDMEMBER", "SIP/2"),
                                    _line(T0 + 30, "UNPAUSE", "ann")], {"SIP/1": "ann"}),
    "no member": ([_line(T0, "ADDMEMBER", "NONE"), _line(T0, "ADDMEMBER", ""), _line(T0, "UNPAUSE", "ann")], {}),
    "bad epochs": ([_line(" " + str(T0), "ADDMEMBER", "SIP/1"), _line(str(T0) + "x", "ADDMEMBER", "SIP/2"),
                    _line("1" * 13, "ADDMEMBER", "SIP/3"), _line("", "ADDMEMBER", "SIP/4"),
                    _line(T0, "UNPAUSE", "ann"), _line("1" * 13, "UNPAUSE", "ann")], {}),
    "12-digit epoch": ([_line("9" * 12, "ADDMEMBER", "SIP/1"), _line("9" * 12, "UNPAUSE", "ann")], {"SIP/1": "ann"}),
    "verbs must match exactly": ([_line(T0, "ADDMEMBERS", "SIP/1"), _line(T0, "ADDMEMBER ", "SIP/2"),
                                  _line(T0, "ADDMEMBER", "SIP/3", callid="UNPAUSE"),
                                  _line(T0, "UNPAUSED", "ann"), _line(T0, "PAUSE", "bob"),
                                  _line(T0, "UNPAUSE", "cat", rest="ADDMEMBER|x")], {"SIP/3": "cat"}),
    "four fields": ([f"{T0}|ADDMEMBER|q1|SIP/1", _line(T0, "ADDMEMBER", "SIP/2"), f"{T0}|NONE|q1|ann|UNPAUSE"],
                    {"SIP/2": "ann"}),
    "leading NULs and NUL runs": ([b"\x00\x00\x00" + _line(T0, "ADDMEMBER", "SIP/1").encode(), b"\x00" * 300,
                                   _line(T0, "UNPAUSE", "ann")], {"SIP/1": "ann"}),
    "a NUL inside a name": ([_line(T0, "ADDMEMBER", "SIP/1"), _line(T0, "UNPAUSE", "ann\x00"),
                             _line(T0 + 1, "ADDMEMBER", "SIP/1"), _line(T0 + 1, "UNPAUSE", "ann")], {}),
    "UTF-8 names": ([_line(T0, "ADDMEMBER", "SIP/ü"), _line(T0, "UNPAUSE", "José 李")], {"SIP/ü": "José 李"}),
    # the same text from a UTF-8 line and from a Latin-1 line (not UTF-8: its \xe9) is one name
    "one name in two encodings": ([_line(T0, "ADDMEMBER", "SIP/1"), _line(T0, "UNPAUSE", "José"),
                                   _line(T0 + 7, "ADDMEMBER", "SIP/1"),
                                   _line(T0 + 7, "UNPAUSE", "José", rest="caf").encode("latin-1") + b"\xe9"],
                                  {"SIP/1": "José"}),
    # UTF-8 bytes on a Latin-1 line read as Latin-1: "ZoÃ«" is not "Zoë"
    "bytes read by their line": ([_line(T0, "ADDMEMBER", "SIP/1"), _line(T0, "UNPAUSE", "Zoë"),
                                  _line(T0 + 7, "ADDMEMBER", "SIP/1"),
                                  _line(T0 + 7, "UNPAUSE", "Zoë", rest="x").encode() + b"\xff"], {}),
    "Latin-1 names": ([_line(T0, "ADDMEMBER", "SIP/\xe9").encode("latin-1"),
                       _line(T0, "UNPAUSE", "Ren\xe9e").encode("latin-1")], {"SIP/é": "Renée"}),
    "a line one byte too long": ([_line(T0, "ADDMEMBER", "SIP/1"), _padded(T0, "UNPAUSE", "ann", MAX_LINE_BYTES + 1),
                                  _line(T0 + 1, "ADDMEMBER", "SIP/2"), _padded(T0 + 1, "UNPAUSE", "bob", MAX_LINE_BYTES)],
                                 {"SIP/2": "bob"}),
}


@pytest.mark.parametrize("lines, expected", list(HAND_MADE.values()), ids=list(HAND_MADE))
def test_hand_made(tmp_path, lines, expected):
    found, messages = both_engines([_write(tmp_path / "queue_log", lines)])
    assert found == expected
    assert len(messages) == len(expected)


@pytest.mark.parametrize("end", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
def test_line_ends(tmp_path, end):
    lines = [_line(T0, "ADDMEMBER", "SIP/1"), _line(T0, "UNPAUSE", "ann"), _line(T0 + 3, "ADDMEMBER", "SIP/2"),
             _line(T0 + 3, "UNPAUSEALL", "bob", "NONE")]
    found, _ = both_engines([_write(tmp_path / "queue_log", lines, end)])
    assert found == {"SIP/1": "ann", "SIP/2": "bob"}


def test_message_wording(tmp_path):
    lines = [_line(T0, "ADDMEMBER", "SIP/1"), _line(T0, "UNPAUSE", "ann"), _line(T0 + 2, "ADDMEMBER", "SIP/1"),
             _line(T0 + 2, "ADDMEMBER", "SIP/1", "q2"), _line(T0 + 2, "UNPAUSEALL", "ann", ""),
             _line(T0 + 4, "ADDMEMBER", "SIP/0"), _line(T0 + 4, "UNPAUSE", "bob")]
    assert both_engines([_write(tmp_path / "queue_log", lines)]) == (
        {"SIP/0": "bob", "SIP/1": "ann"},
        ["inferred alias SIP/0 -> bob from 1 ADDMEMBER line sharing a second with bob's UNPAUSE",
         "inferred alias SIP/1 -> ann from 3 ADDMEMBER lines sharing a second with ann's UNPAUSE"])


def test_known_aliases(tmp_path):
    lines = [_line(T0, "ADDMEMBER", "SIP/1"), _line(T0, "UNPAUSE", "ann"),
             _line(T0 + 1, "ADDMEMBER", "SIP/2"), _line(T0 + 1, "UNPAUSE", "bob"), _line(T0 + 1, "UNPAUSE", "cat")]
    path = _write(tmp_path / "queue_log", lines)
    assert both_engines([path])[0] == {"SIP/1": "ann"}
    assert both_engines([path], known={"SIP/1": "ann"}) == ({}, [])
    # known: SIP/2 is bob, so cat would be its one other candidate; it is known, not inferred
    assert both_engines([path], known={"SIP/2": "bob"})[0] == {"SIP/1": "ann"}
    assert both_engines([path], known={"\udcff": "ann"})[0] == {"SIP/1": "ann"}   # any str as a key


@pytest.mark.parametrize("seconds_before, seconds_after, expected", [
    (0, 50, {"SIP/9": "ann"}),
    (0, 63, {"SIP/9": "ann"}),      # 64 open seconds: none settled yet
    (0, 64, {}),                    # 65: those older than the newest minus 60 s are
    (0, 200, {}),
    (4, 60, {"SIP/9": "ann"}),      # 65 open seconds, but its second is the newest minus 60
    (4, 63, {"SIP/9": "ann"}),      # that settling left 61 open: none settled until 65 again
    (3, 61, {}),
])
def test_pending_seconds_are_bounded(tmp_path, seconds_before, seconds_after, expected):
    """An UNPAUSE that comes after its second was settled (more than 64 open seconds and
    more than 60 s older than the newest line) no longer meets the ADDMEMBER."""
    lines = [_line(T0 - k, "ADDMEMBER", "SIP/filler") for k in range(seconds_before, 0, -1)]
    lines.append(_line(T0, "ADDMEMBER", "SIP/9"))
    lines += [_line(T0 + k, "ADDMEMBER", "SIP/filler") for k in range(1, seconds_after + 1)]
    lines.append(_line(T0, "UNPAUSE", "ann"))
    assert both_engines([_write(tmp_path / "queue_log", lines)])[0] == expected


def test_several_files_and_compression(tmp_path):
    first = _write(tmp_path / "queue_log.1", [_line(T0, "ADDMEMBER", "SIP/1"), _line(T0, "UNPAUSE", "ann")])
    second = _write(tmp_path / "queue_log", [_line(T0 + 10, "ADDMEMBER", "SIP/1"), _line(T0 + 10, "UNPAUSE", "bob"),
                                             _line(T0 + 11, "UNPAUSE", "SIP/2")])
    packed = tmp_path / "queue_log.1.gz"
    packed.write_bytes(gzip.compress(first.read_bytes()))
    assert both_engines([first])[0] == {"SIP/1": "ann"}
    assert both_engines([first, second])[0] == {}           # votes add up across the files
    assert both_engines([packed, second]) == both_engines([first, second])
    assert both_engines([packed]) == both_engines([first])
    assert both_engines([]) == ({}, [])


def test_an_unknown_engine_is_refused(tmp_path):
    with pytest.raises(ValueError, match="engine must be one of"):
        infer_aliases([_write(tmp_path / "queue_log", [])], engine="rust")


def test_read_threads_option(tmp_path):
    path = _write(tmp_path / "queue_log", [_line(T0, "ADDMEMBER", "SIP/1"), _line(T0, "UNPAUSE", "ann")])
    for wrong in (0, 3, True):
        with pytest.raises(ValueError, match="read_threads must be 1 or 2"):
            infer_aliases([path], read_threads=wrong)


def test_read_ahead_hands_on_errors_and_stops_early():
    """The blocks made on the worker thread: in order, its error raised in the caller's
    thread after the blocks made before it, and a loop left early stops the worker."""
    from agentstats.io.lines import read_ahead

    made = []

    def blocks(fail_at):
        for k in range(10):
            if k == fail_at:
                raise OSError("the disk went away")
            made.append(k)
            yield k

    assert list(read_ahead(blocks(None))) == list(range(10))
    got = []
    with pytest.raises(OSError, match="the disk went away"):
        for k in read_ahead(blocks(4), depth=2):
            got.append(k)
    assert got == [0, 1, 2, 3]
    made.clear()
    for k in read_ahead(blocks(None)):
        break
    assert made[:1] == [0] and len(made) <= 3          # at most `depth` ahead of the caller


def test_votes_fed_by_hand():
    votes = AliasVotes(MAX_LINE_BYTES, 64, 60)
    votes.feed(f"{T0}|x|q|SIP/1|ADDMEMBER|\n{T0}|x|q|ann|UNPAUSE|\n{T0}|x|q|zed|PAUSE|".encode())
    votes.feed(b"")
    votes.feed(f"{T0 + 1}|x|q|SIP/1|ADDMEMBER|".encode())       # a block need not end in LF
    assert votes.lines_used == 3
    assert votes.finish() == [(b"SIP/1", b"ann", 1)]
    with pytest.raises(TypeError):
        votes.feed(None)


# -- generated logs -----------------------------------------------------------------

INTERFACES = ["SIP/1", "SIP/2", "PJSIP/ü"]
MEMBERS = ["ann", "bob", "José", "Zoë"]
NAMES = INTERFACES * 2 + MEMBERS * 2 + ["NONE", "", "*", "ann\x00"]
QUEUES = ["q1"] * 4 + ["q2", "q2", "*", "NONE", "", "José"]
VERBS = ["ADDMEMBER"] * 3 + ["UNPAUSE"] * 2 + ["UNPAUSEALL", "PAUSE", "ADDMEMBERS", "CONNECT"]
STEPS = [0] * 6 + [1, 1, 1, 2, 5, -2, -30, -61, 61, 90]
HEADS = ["{}"] * 12 + ["", " {}", "{}a", "1" * 13, "x"]
CALLIDS = ["NONE", "MANAGER", "UNPAUSE"]
FIELD_COUNTS = [5] * 6 + [4, 6]
ENCODINGS = ["utf-8", "utf-8", "latin-1"]
PREFIXES = [b"", b"", b"\x00\x00"]
SUFFIXES = [b"", b"", b"|", b"|\xe9", b"|\xc3\xa9", b"|\xff\xfe", b"\r"]
#: with an ADDMEMBER line, also a member's UNPAUSE line of its second and queue (or not)
PARTNERS = [None, None] + MEMBERS + INTERFACES[:1]
CHOICES = (STEPS, HEADS, CALLIDS, QUEUES, NAMES, VERBS, FIELD_COUNTS, ENCODINGS, PREFIXES, SUFFIXES, PARTNERS)
LINE_KINDS = 1
for _choice in CHOICES:
    LINE_KINDS *= len(_choice)


def _lines_of(kinds: list[int]) -> list[bytes]:
    """One line (or two) per number: the number picks each part (mixed radix, so that
    hypothesis draws one number a line and shrinks towards the first choice of every part)."""
    lines = []
    epoch = T0
    for kind in kinds:
        picked = []
        for choice in CHOICES:
            kind, index = divmod(kind, len(choice))
            picked.append(choice[index])
        step, head, callid, queue, name, verb, count, encoding, prefix, suffix, partner = picked
        epoch += step
        text = "|".join([head.format(epoch), callid, queue, name, verb][:count])
        lines.append(prefix + text.encode(encoding) + suffix)
        if partner is not None and verb == "ADDMEMBER":
            lines.append(_line(epoch, "UNPAUSE", partner, queue).encode(encoding))
    return lines


#: logs of up to 300 lines (a list strategy alone would draw mostly short ones)
log_lines = st.integers(0, 300).flatmap(
    lambda size: st.lists(st.integers(0, LINE_KINDS - 1), min_size=size, max_size=size)).map(_lines_of)


@given(files=st.lists(log_lines, min_size=1, max_size=2),
       end=st.sampled_from([b"\n", b"\r\n", b"\r"]),
       known=st.dictionaries(st.sampled_from(NAMES), st.sampled_from(NAMES), max_size=2))
def test_generated_logs(tmp_path_factory, files, end, known):
    folder = tmp_path_factory.getbasetemp() / "generated_alias_logs"
    folder.mkdir(exist_ok=True)
    paths = [_write(folder / f"queue_log.{i}", lines, end) for i, lines in enumerate(files)]
    both_engines(paths, known=known)


def _decodes(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@pytest.mark.parametrize("data, valid", [
    (b"", True), (b"\x00\x7f", True), (b"\xc2\x80", True), (b"\xdf\xbf", True), (b"\xe0\xa0\x80", True),
    (b"\xed\x9f\xbf", True), (b"\xee\x80\x80", True), (b"\xf0\x90\x80\x80", True),
    (b"\xf4\x8f\xbf\xbf", True), (b"\xf3\xbf\xbf\xbf", True),
    (b"\x80", False), (b"\xc0\x80", False), (b"\xc1\xbf", False), (b"\xc0\x80\x80", False),
    (b"\xe0\x80\x80", False), (b"\xe0\x9f\xbf", False), (b"\xed\xa0\x80", False), (b"\xed\xbf\xbf", False),
    (b"\xf0\x80\x80\x80", False), (b"\xf0\x8f\xbf\xbf", False), (b"\xf4\x90\x80\x80", False),
    (b"\xf5\x80\x80\x80", False), (b"\xff", False), (b"\xc2", False), (b"\xe1\x80", False),
    (b"\xf1\x80\x80", False), (b"a\xe1\x80a", False), (b"\xe1\x80\xc0", False),
], ids=repr)
def test_utf8_rule_edges(data, valid):
    assert _decodes(data) == valid           # the cases are Python's rule
    assert is_utf8(data) == valid


#: lead and continuation bytes at every border of the UTF-8 rule
BORDER_BYTES = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC,
                0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF]


@given(st.binary(max_size=40) | st.text(max_size=12).map(lambda t: t.encode("utf-8", "surrogatepass"))
       | st.lists(st.sampled_from(BORDER_BYTES), max_size=12).map(bytes))
def test_utf8_rule_is_pythons(data):
    assert is_utf8(data) == _decodes(data)


# -- the alias pass's reading: one buffer read into again ------------------------------


def _lines_by_blocks(path: Path, block_bytes: int) -> list[bytes]:
    from agentstats.io.lines import LineReader, LogSource

    lines: list[bytes] = []
    for data, _too_long_after in LineReader(LogSource(path), block_bytes).byte_blocks():
        if data is not None:
            lines.extend(data.split(b"\n"))
    return lines


def _lines_fed(path: Path, block_bytes: int) -> list[bytes] | None:
    from agentstats.io.lines import LineReader, LogSource

    fed: list[bytes] = []
    if not LineReader(LogSource(path), block_bytes).feed_lines(lambda view: fed.extend(bytes(view).split(b"\n"))):
        return None
    return fed


def _readable(lines: list[bytes]) -> list[bytes]:
    """The lines the alias pass can read (blank ones and longer ones are never read)."""
    return [line for line in lines if line and len(line) <= MAX_LINE_BYTES]


_PIECES = [b"", b"a", b"1700000000|c|q|SIP/1|ADDMEMBER|", b"x" * 300, b"y" * (MAX_LINE_BYTES - 1),
           b"z" * MAX_LINE_BYTES, b"w" * (MAX_LINE_BYTES + 1), b"v" * (2 * MAX_LINE_BYTES + 7)]


@given(pieces=st.lists(st.sampled_from(range(len(_PIECES))), max_size=12), last_end=st.booleans(),
       block_bytes=st.sampled_from([1, 7, 509, 4096, 70_000, 1 << 20]))
def test_feed_lines_reads_the_lines_of_byte_blocks(tmp_path_factory, pieces, last_end, block_bytes):
    """The lines handed to the alias votes from one reused buffer are those of
    byte_blocks: in order, across block ends, without the lines too long to read."""
    folder = tmp_path_factory.getbasetemp() / "feed_lines"
    folder.mkdir(exist_ok=True)
    data = b"\n".join(_PIECES[k] for k in pieces) + (b"\n" if last_end and pieces else b"")
    # (a queue_log line first: the reader refuses a long stretch without one)
    path = folder / "queue_log"
    path.write_bytes(_PIECES[2] + b"\n" + data)
    assert _readable(_lines_fed(path, block_bytes)) == _readable(_lines_by_blocks(path, block_bytes))


@pytest.mark.parametrize("end", [b"\r\n", b"\r"])
def test_feed_lines_leaves_cr_line_ends_to_byte_blocks(tmp_path, end):
    path = _write(tmp_path / "queue_log", [_line(T0, "ADDMEMBER", "SIP/1")] * 3, end)
    assert _lines_fed(path, 1 << 20) is None
    # the pass then reads the file block by block: the same votes as the twin
    both_engines([path])
