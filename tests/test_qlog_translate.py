"""The compiled agent translation (agentstats._qlog_agents via CompiledAgentTranslator)
against QueueLogImporter's per-line translation, its plain-Python twin (SPEC 6.1 - 6.4
and 6.6 sessions, presence, PAUSEALL, WRAPUPSTART, unterminated calls and max_call; 7.1
missed offers and transfers; 6.5 line accounting): fed the same time-ordered lines,
both give the same events (every column), session columns, counts by reason, examples,
unterminated calls, missed offers and transfers, on the shared samples, the demo
generator's logs, hand-made cases for every verb branch and hypothesis-generated
multi-queue logs, whatever the blocks the rows are cut into."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentstats import _qlog_agents
from agentstats.demo import demo_log_path, write_queue_log
from agentstats.io.qlog_columns import LineNames, columns_from_lines
from agentstats.io.queue_calls import CompiledCallTracker, call_verdicts
from agentstats.io.queue_log import EventChunk, QueueLogImporter, read_queue_log
from agentstats.io.queue_log_translate import CompiledAgentTranslator

from checks import translated_lines

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "queue_log"
SHARED_LOGS = sorted(SHARED.glob("*.log")) if SHARED.is_dir() else []
EVENT_FIELDS = ("session", "time", "state", "wait", "reason", "agent", "acd_group", "presence")
T = 1_700_000_000


@pytest.fixture(scope="module")
def empty_log(tmp_path_factory) -> Path:
    """An empty input: the Python twin is fed its lines directly (see python_twin)."""
    path = tmp_path_factory.mktemp("translate") / "queue_log"
    path.write_bytes(b"")
    return path


def importer_lines(path, **options):
    """The Python importer's stage-2 lines and the result of read_queue_log (checks.translated_lines)."""
    return translated_lines(read_queue_log, path, **options)


def python_twin(empty_log, lines, *, aliases=None, wrapup=None, max_call=None, as_of=None):
    """QueueLogImporter's translation of `lines` alone: each line through _line, then
    the end of the log (chunks() of an empty input closes at `as_of`). Its counts are
    then those of the translation only, not of the line stage."""
    importer = QueueLogImporter(empty_log, engine="python", infer=False, aliases=aliases, wrapup=wrapup,
                                max_call=max_call, as_of=as_of)
    for t, where, text in lines:
        importer._line(t, text.split("|"), where)
    events = EventChunk.concat(list(importer.chunks()))
    return importer, events


def compiled_run(lines, *, aliases=None, wrapup=None, max_call=None, as_of=None, where_of=str,
                 blocks=(), take_after=()):
    """The compiled call tracker and translator on `lines` cut into blocks at the given
    row counts; events are taken after the blocks whose index is in take_after."""
    names = LineNames()
    tracker = CompiledCallTracker(names, aliases=aliases, where_of=where_of)
    translator = CompiledAgentTranslator(names, aliases=aliases, wrapup=wrapup, max_call=max_call,
                                         where_of=where_of)
    cuts = [0, *sorted(min(b, len(lines)) for b in blocks), len(lines)]
    chunks = []
    for index, (start, stop) in enumerate(zip(cuts, cuts[1:])):
        columns = columns_from_lines(lines[start:stop], names)
        verdict, reason = call_verdicts(tracker, columns)
        translator.read(columns, verdict, reason)
        if index in take_after:
            before = translator.pending_events
            chunk = translator.take_events()
            assert len(chunk) == before and translator.pending_events == 0
            chunks.append(chunk)
    translator.finish(as_of)
    chunks.append(translator.take_events())
    return translator, EventChunk.concat(chunks)


def assert_same_events(got: EventChunk, want: EventChunk) -> None:
    for field in EVENT_FIELDS:
        a, b = getattr(got, field), getattr(want, field)
        assert a.dtype == b.dtype, field
        if a.dtype == object:
            assert a.tolist() == b.tolist(), field
        else:
            np.testing.assert_array_equal(a, b, err_msg=field)


def assert_same(empty_log, lines, *, aliases=None, wrapup=None, max_call=None, as_of="end",
                blocks=(), take_after=()):
    """Both translations of `lines`; every result must be the same. as_of "end": the
    newest line's time (the importer's default report time)."""
    if as_of == "end":
        as_of = max((t for t, _, _ in lines), default=None)
    python, want = python_twin(empty_log, lines, aliases=aliases, wrapup=wrapup, max_call=max_call,
                               as_of=as_of)
    compiled, got = compiled_run(lines, aliases=aliases, wrapup=wrapup, max_call=max_call, as_of=as_of,
                                 where_of=python._where, blocks=blocks, take_after=take_after)
    assert_same_events(got, want)
    want_sessions, got_sessions = python.session_columns(), compiled.session_columns()
    assert list(got_sessions) == list(want_sessions)
    for name, values in want_sessions.items():
        if isinstance(values, np.ndarray):
            assert got_sessions[name].dtype == values.dtype, name
            np.testing.assert_array_equal(got_sessions[name], values, err_msg=name)
        else:
            assert got_sessions[name] == values, name
    assert compiled.used == python.used
    assert compiled.counted == python.counted
    assert compiled.example_codes == {k: v for k, v in python.examples.items() if v}   # (location codes, as the importer keeps them)
    assert compiled.unterminated_calls == python.unterminated_calls
    assert compiled.missed == python.missed
    assert compiled.transfers == python.transfers
    # every row is used or counted
    assert compiled.used + sum(compiled.counted.values()) == len(lines) == compiled.rows
    return compiled, got


def log_lines(rows) -> list[tuple[int, int, str]]:
    """(seconds after T, callid, queue, agent, verb, data...) -> importer lines."""
    return [(T + r[0], n, "|".join([str(T + r[0]), *r[1:]])) for n, r in enumerate(rows, 1)]


# -- real and generated logs ------------------------------------------------------------

@pytest.mark.skipif(not SHARED_LOGS, reason="the shared queue_log samples are not beside the checkout")
@pytest.mark.parametrize("path", SHARED_LOGS, ids=lambda p: p.name)
@pytest.mark.parametrize("options", [{}, {"wrapup": ["*=15"], "max_call": 600}], ids=["plain", "wrapup_cap"])
def test_shared_samples(empty_log, path, options):
    lines, (events, _, diagnostics) = importer_lines(path, **options)
    _, got = assert_same(empty_log, lines, aliases=diagnostics["aliases"], as_of=diagnostics["last_time"],
                         blocks=(7, 100), take_after=(1,), **options)
    assert_same_events(got, events)      # the replayed twin is the import itself


@pytest.mark.parametrize("dirty", [False, True], ids=["clean", "dirty"])
@pytest.mark.parametrize("options", [{}, {"wrapup": ["q1=20", "*=5"], "max_call": 900}], ids=["plain", "wrapup_cap"])
def test_demo_generator(empty_log, tmp_path, dirty, options):
    path = tmp_path / "queue_log"
    write_queue_log(path, agents=25, days=2, seed=11, dirty=dirty)
    lines, (events, sessions, diagnostics) = importer_lines(path, infer=True, **options)
    compiled, got = assert_same(empty_log, lines, aliases=diagnostics["aliases"],
                                as_of=diagnostics["last_time"], blocks=(1, 5000, 5001, 40000),
                                take_after=(0, 2), **options)
    assert len(got) > 1000 and got.presence.any()
    assert_same_events(got, events)
    assert diagnostics["unterminated_call"] == compiled.unterminated_calls
    assert compiled.session_columns()["label"] == sessions["label"].tolist()


STAGE_TWO_ONLY = ("orphan", "no_queue", "no_agent", "not_agent_event", "no_state_change", "queue_orphan",
                  "second_enterqueue", "no_callid")


@pytest.mark.parametrize("dirty", [False, True], ids=["clean", "dirty"])
def test_translator_of_an_importer(tmp_path, dirty):
    """for_importer: the import's own settings and "file:line" locations; the results are
    the import's (the lines used are all the translation's; its own reasons match)."""
    path = tmp_path / "queue_log"
    write_queue_log(path, agents=12, days=2, seed=5, dirty=dirty)
    options = {"wrapup": ["*=12"], "max_call": 1200}
    lines, (events, sessions, diagnostics) = importer_lines(path, **options)
    importer = QueueLogImporter(path, **options)
    names = LineNames()
    tracker = CompiledCallTracker(names, aliases=importer.aliases, where_of=importer._where)
    translator = CompiledAgentTranslator.for_importer(importer, names)
    chunks = []
    for start in range(0, len(lines), 3000):
        columns = columns_from_lines(lines[start:start + 3000], names)
        translator.read(columns, *call_verdicts(tracker, columns))
        chunks.append(translator.take_events())
    translator.finish(diagnostics["last_time"])
    chunks.append(translator.take_events())
    assert_same_events(EventChunk.concat(chunks), events)
    columns = translator.session_columns()
    for name in sessions.columns:
        assert list(columns[name]) == sessions[name].tolist(), name
    assert translator.n_sessions == diagnostics["sessions"] == len(sessions)
    assert translator.used == diagnostics["used"]
    assert translator.unterminated_calls == diagnostics["unterminated_call"]
    for reason, count in translator.counted.items():
        if reason in STAGE_TWO_ONLY or reason.startswith("unknown_verb:"):
            assert diagnostics["counted"][reason] == count, reason
            assert diagnostics["examples"].get(reason, []) == translator.examples.get(reason, []), reason
    if dirty:
        assert any(reason.startswith("unknown_verb:") for reason in translator.counted)


def test_packaged_demo_log(empty_log):
    lines, (events, _, diagnostics) = importer_lines(demo_log_path())
    _, got = assert_same(empty_log, lines, aliases=diagnostics["aliases"], as_of=diagnostics["last_time"],
                         blocks=(1000,))
    assert_same_events(got, events)


# -- hand-made cases: every verb branch of the translation ------------------------------

EDGES: dict[str, tuple[list, dict]] = {
    "queuestart_ends_everything": ([
        (0, "NONE", "q1", "SIP/1", "ADDMEMBER", ""),
        (1, "NONE", "NONE", "Agent/2", "AGENTLOGIN", "SIP/2"),
        (2, "c1", "q1", "SIP/1", "CONNECT", "3", "x", "1"),
        (5, "NONE", "NONE", "NONE", "QUEUESTART"),
        (6, "NONE", "NONE", "NONE", "QUEUESTART"),                  # nothing open: no change
        (7, "c1", "q1", "SIP/1", "COMPLETEAGENT", "3", "5", "1"),  # orphan
        (8, "NONE", "q2", "Agent/2", "RINGNOANSWER", "1000"),       # static again (login cleared)
    ], {}),
    "static_members": ([
        (0, "c1", "q1", "SIP/1", "RINGNOANSWER", "1000"),
        (1, "c1", "q1", "SIP/1", "RINGNOANSWER", "1000"),
        (2, "c1", "q1", "SIP/1", "RINGCANCELED", "1000"),
        (3, "c1", "q2", "SIP/1", "AGENTDUMP"),
        (4, "c2", "q3", "SIP/1", "CONNECT", "4", "x", "1"),
        (9, "c2", "q3", "SIP/1", "COMPLETECALLER", "4", "5", "1"),
        (10, "NONE", "q4", "SIP/1", "PAUSE", "Lunch"),
        (11, "NONE", "q5", "SIP/1", "UNPAUSE"),
        (12, "NONE", "q6", "SIP/1", "WRAPUPSTART", "7"),
        (13, "c3", "NONE", "SIP/1", "RINGNOANSWER", "1000"),        # no_queue
        (14, "c3", "", "SIP/1", "CONNECT", "1"),                    # no_queue
        (15, "c3", "q1", "", "CONNECT", "1"),                       # no_agent
        (16, "c3", "q1", "NONE", "PAUSE", "x"),                     # no_agent
    ], {}),
    "agentlogin_without_queue": ([
        (0, "NONE", "NONE", "Agent/1", "AGENTLOGIN", "SIP/1"),
        (0, "NONE", "NONE", "Agent/1", "AGENTLOGIN", "SIP/1"),       # same second: no change
        (5, "NONE", "", "Agent/1", "AGENTCALLBACKLOGIN", "SIP/1"),  # a later login: changed
        (9, "c1", "q1", "Agent/1", "RINGNOANSWER", "1000"),          # starts at the login
        (10, "c1", "q1", "Agent/1", "CONNECT", "9", "x", "1"),
        (20, "c1", "q1", "Agent/1", "TRANSFER", "200", "ctx", "9", "10", "1"),
        (21, "c2", "q2", "Agent/1", "CONNECT", "1", "x", "1"),
        (30, "c2", "q2", "Agent/1", "BLINDTRANSFER", "200", "ctx", "1", "9", "1"),
        (40, "NONE", "NONE", "Agent/1", "AGENTLOGOFF", "SIP/1", "40"),
        (41, "NONE", "NONE", "Agent/1", "AGENTLOGOFF", "SIP/1", "40"),   # orphan (nothing)
        (42, "NONE", "q1", "Agent/3", "AGENTLOGIN", "SIP/3"),            # a queue login
        (43, "NONE", "q1", "Agent/3", "AGENTLOGIN", "SIP/3"),            # already open
        (44, "NONE", "q1", "Agent/3", "AGENTCALLBACKLOGOFF", "SIP/3", "2"),
    ], {"wrapup": {"q1": 5}}),
    "logoff_data2": ([
        (100, "c1", "q1", "Agent/1", "CONNECT", "5", "x", "1"),
        (150, "NONE", "NONE", "Agent/1", "AGENTLOGOFF", "SIP/1", "3600"),   # after its line
        (200, "NONE", "NONE", "Agent/2", "AGENTLOGOFF", "SIP/2", "50"),     # data2: presence
        (210, "NONE", "NONE", "Agent/3", "AGENTLOGOFF", "SIP/3", "0"),      # 0 s: orphan
        (220, "NONE", "NONE", "Agent/4", "AGENTLOGOFF", "SIP/4", ""),       # orphan
        (230, "NONE", "NONE", "Agent/5", "AGENTLOGOFF", "SIP/5", "x1"),     # orphan
        (240, "NONE", "NONE", "Agent/6", "AGENTCALLBACKLOGOFF", "SIP/6", "99999999999999"),
        (250, "NONE", "NONE", "Agent/2", "PAUSE", "x"),
        (260, "NONE", "NONE", "Agent/2", "AGENTLOGOFF", "SIP/2", "10"),     # after its pause
        (270, "NONE", "q1", "Agent/1", "REMOVEMEMBER"),
        (280, "NONE", "q1", "Agent/1", "REMOVEMEMBER"),                     # orphan
        (290, "NONE", "NONE", "Agent/1", "REMOVEMEMBER"),                   # orphan
    ], {}),
    "pauseall_on_presence": ([
        (0, "NONE", "NONE", "SIP/1", "PAUSEALL", "Break"),          # presence from here, paused
        (5, "NONE", "NONE", "SIP/1", "PAUSEALL", "Other"),          # same state: no change
        (9, "NONE", "NONE", "SIP/1", "UNPAUSEALL"),
        (10, "NONE", "q1", "SIP/1", "ADDMEMBER", "paused"),         # added paused
        (11, "NONE", "q2", "SIP/1", "ADDMEMBER", ""),
        (11, "NONE", "q2", "SIP/1", "ADDMEMBER", ""),               # no change
        (12, "NONE", "NONE", "SIP/1", "PAUSE", "Lunch"),            # every session + presence
        (13, "NONE", "", "SIP/1", "UNPAUSE"),
        (14, "NONE", "q1", "SIP/1", "PAUSEALL", ""),                # PAUSEALL with a queue: all
        (15, "NONE", "NONE", "SIP/2", "UNPAUSEALL"),                # presence, ready
        (16, "NONE", "q3", "SIP/3", "ADDMEMBER", "PAUSED"),
        (17, "NONE", "NONE", "SIP/3", "UNPAUSEALL"),                # sessions only
        (18, "NONE", "NONE", "SIP/3", "UNPAUSEALL"),                # no change
        (20, "NONE", "NONE", "NONE", "PAUSEALL"),                   # no_agent
        (21, "NONE", "NONE", "SIP/2", "AGENTLOGOFF", "x", "6"),
    ], {}),
    "wrapupstart": ([
        (0, "NONE", "q1", "SIP/1", "ADDMEMBER", ""),
        (1, "NONE", "q2", "SIP/1", "ADDMEMBER", ""),
        (2, "c1", "q1", "SIP/1", "CONNECT", "1", "x", "1"),
        (10, "NONE", "q1", "SIP/1", "WRAPUPSTART", "30"),           # ends the call
        (12, "c1", "q1", "SIP/1", "COMPLETEAGENT", "1", "8", "1"),  # orphan now
        (50, "NONE", "NONE", "SIP/1", "WRAPUPSTART", "20"),         # every open session
        (55, "NONE", "q2", "SIP/1", "WRAPUPSTART", "0"),            # 0 s: READY at once
        (60, "NONE", "NONE", "SIP/9", "WRAPUPSTART", "20"),         # orphan: nothing open
        (61, "NONE", "q1", "SIP/1", "WRAPUPSTART", ""),             # malformed
        (62, "NONE", "q1", "SIP/1", "WRAPUPSTART", "86401"),        # malformed
        (63, "NONE", "q1", "SIP/1", "WRAPUPSTART", "86400"),
        (64, "NONE", "q7", "SIP/4", "WRAPUPSTART", "5"),            # a static member
        (65, "c2", "q1", "SIP/1", "CONNECT", "0", "x", "1"),        # during a wrap-up
        (70, "c2", "q1", "SIP/1", "COMPLETECALLER", "0", "5", "1"),
        (300, "NONE", "q2", "SIP/1", "WRAPUPSTART", "0"),
    ], {"wrapup": {"q1": 30, "*": 0}}),
    "zero_wrapup_and_configured": ([
        (0, "NONE", "q1", "SIP/1", "ADDMEMBER", ""),
        (1, "c1", "q1", "SIP/1", "CONNECT", "1", "x", "1"),
        (5, "c1", "q1", "SIP/1", "COMPLETEAGENT", "1", "4", "1"),
        (6, "c2", "q2", "SIP/1", "CONNECT", "1", "x", "1"),
        (9, "c2", "q2", "SIP/1", "COMPLETEAGENT", "1", "3", "1"),   # 0 s wrap-up: READY
        (10, "c3", "q1", "SIP/1", "CONNECT", "1", "x", "1"),
        (12, "NONE", "q1", "SIP/1", "PAUSE", "Lunch"),              # during the call
        (20, "c3", "q1", "SIP/1", "COMPLETEAGENT", "1", "8", "1"),  # wrap-up, then NOT_READY
        (100, "NONE", "q1", "SIP/1", "UNPAUSE"),
        (101, "c4", "q1", "SIP/1", "CONNECT", "1", "x", "1"),
        (105, "c4", "q1", "SIP/1", "COMPLETEAGENT", "1", "4", "1"),  # wrap-up open at the end
    ], {"wrapup": {"q1": 60, "q2": 0}}),
    "connect_while_on_call": ([
        (0, "NONE", "q1", "SIP/1", "ADDMEMBER", ""),
        (1, "c1", "q1", "SIP/1", "CONNECT", "1", "x", "1"),
        (5, "NONE", "q1", "SIP/1", "PAUSE", "Coffee"),
        (9, "c2", "q1", "SIP/1", "CONNECT", "", "x", "1"),          # c1's end is missing
        (9, "c2", "q1", "SIP/1", "CONNECT", "2", "y", "1"),         # a second one, same second
        (12, "c3", "q1", "SIP/1", "CONNECT", "1700000100", "y", "1"),   # hold later than t: missing
        (15, "NONE", "q1", "SIP/1", "UNPAUSE"),
        (16, "NONE", "q1", "SIP/1", "UNPAUSE"),                     # during a call: no change
        (17, "NONE", "q1", "SIP/1", "PAUSE", "Coffee"),
        (18, "NONE", "q1", "SIP/1", "PAUSE", "Coffee"),             # no change
        (19, "NONE", "q1", "SIP/1", "PAUSE", "Mail"),               # another reason: changed
        (30, "NONE", "q1", "SIP/1", "REMOVEMEMBER"),                # ends the call too
        (31, "c4", "q2", "SIP/1", "CONNECT", "1", "x", "1"),        # open at the end
    ], {}),
    "max_call_caps": ([
        (0, "NONE", "q1", "SIP/1", "ADDMEMBER", ""),
        (0, "NONE", "q2", "SIP/1", "ADDMEMBER", ""),
        (1, "c1", "q1", "SIP/1", "CONNECT", "1", "x", "1"),
        (50, "NONE", "q1", "SIP/1", "PAUSE", "Lunch"),              # during the call
        (100, "c2", "q2", "SIP/1", "CONNECT", "1", "x", "1"),       # c1 capped at 61 first
        (200, "c3", "q1", "SIP/1", "CONNECT", "1", "x", "1"),
        (230, "c3", "q1", "SIP/1", "COMPLETEAGENT", "1", "30", "1"),   # before its cap
        (240, "c4", "q1", "SIP/1", "CONNECT", "1", "x", "1"),
        (300, "NONE", "q1", "SIP/1", "REMOVEMEMBER"),               # c4 capped at 300: ends
        (400, "c5", "q3", "SIP/2", "CONNECT", "1", "x", "1"),
        (461, "NONE", "NONE", "SIP/2", "PAUSEALL", "x"),            # c5 capped at 460
        (500, "c6", "q3", "SIP/2", "CONNECT", "1", "x", "1"),       # capped at the end
        (600, "NONE", "q9", "SIP/9", "RINGNOANSWER", "1"),
    ], {"max_call": 60, "wrapup": {"q1": 10}}),
    "aliases": ([
        (0, "NONE", "q1", "SIP/1001", "ADDMEMBER", ""),
        (0, "NONE", "q1", "Sathish", "UNPAUSE"),
        (1, "c1", "q1", "Sathish", "CONNECT", "1", "x", "1"),
        (5, "c1", "q1", "SIP/1001", "COMPLETEAGENT", "1", "4", "1"),
        (6, "c2", "q1", "SIP/1001", "RINGNOANSWER", "1000"),
        (7, "c3", "q2", "Local/1001@from-queue", "CONNECT", "1", "x", "1"),
        (8, "c3", "q2", "Sathish", "ATTENDEDTRANSFER", "LINK", "x", "y", "1", "1", "1"),
        (9, "NONE", "NONE", "Local/1001@from-queue", "PAUSEALL", "Lunch"),
        (10, "NONE", "NONE", "SIP/1002", "UNPAUSEALL"),             # aliased to "NONE": an agent
    ], {"aliases": {"SIP/1001": "Sathish", "Local/1001@from-queue": "Sathish", "SIP/1002": "NONE"}}),
    "settle_in_the_order_sessions_opened": ([
        (0, "NONE", "q2", "SIP/1", "ADDMEMBER", ""),                # session 0
        (0, "NONE", "q1", "SIP/1", "ADDMEMBER", ""),                # session 1
        (1, "NONE", "q2", "SIP/1", "REMOVEMEMBER"),
        (1, "NONE", "q2", "SIP/1", "ADDMEMBER", ""),                # session 2: after session 1
        (2, "NONE", "q3", "SIP/1", "ADDMEMBER", ""),
        (3, "c1", "q2", "SIP/1", "CONNECT", "1", "x", "1"),
        (4, "c2", "q1", "SIP/1", "CONNECT", "1", "x", "1"),
        (5, "c3", "q3", "SIP/1", "CONNECT", "1", "x", "1"),
        (6, "c1", "q2", "SIP/1", "COMPLETEAGENT", "1", "3", "1"),  # wrap-up until 36
        (7, "c2", "q1", "SIP/1", "COMPLETEAGENT", "1", "3", "1"),  # wrap-up until 37
        (50, "NONE", "q3", "SIP/1", "PAUSE", "x"),                  # both elapse first; c3 capped at 45
        (60, "c4", "q1", "SIP/1", "CONNECT", "1", "x", "1"),
        (61, "c5", "q2", "SIP/1", "CONNECT", "1", "x", "1"),
        (62, "c5", "q2", "SIP/1", "COMPLETEAGENT", "1", "1", "1"),
        (63, "c4", "q1", "SIP/1", "COMPLETEAGENT", "1", "1", "1"),
        (64, "NONE", "NONE", "NONE", "QUEUESTART"),                 # ends them in opening order
        (70, "NONE", "q2", "SIP/2", "ADDMEMBER", ""),
        (70, "NONE", "q1", "SIP/2", "ADDMEMBER", ""),
        (71, "c6", "q1", "SIP/2", "CONNECT", "1", "x", "1"),
        (72, "c7", "q2", "SIP/2", "CONNECT", "1", "x", "1"),
        (73, "c7", "q2", "SIP/2", "COMPLETEAGENT", "1", "1", "1"),
        (74, "c6", "q1", "SIP/2", "COMPLETEAGENT", "1", "1", "1"),  # both wrap-ups due at the end
    ], {"wrapup": {"q1": 30, "q2": 30}, "max_call": 40}),
    "counted_verbs": ([
        (0, "c1", "q1", "SIP/1", "", "x"),                          # malformed
        (1, "c1", "q1", "NONE", "DID", "555"),                      # not an agent event
        (2, "NONE", "NONE", "NONE", "CONFIGRELOAD"),
        (3, "c1", "q1", "SIP/1", "MYVERB", "x"),                    # unknown verbs, per verb
        (4, "c1", "q1", "SIP/1", "MYVERB"),
        (5, "c1", "q1", "SIP/1", "OTHERVERB"),
        (6, "c1", "q1", "NONE", "ENTERQUEUE", "", "555", "1"),      # the call side's
        (7, "c1", "NONE", "NONE", "ENTERQUEUE", "", "555", "1"),    # the call side counts it
        (8, "c1", "q1", "NONE", "ABANDON", "1", "1", "2"),
        (9, "c1", "q1", "NONE", "ABANDON", "1", "1", "2"),          # queue_orphan
        (10, "", "q1", "NONE", "EXITEMPTY", "1", "1", "2"),         # no_callid
        (11, "c2", "q1", "NONE", "ENTERQUEUE", "", "555", "1"),
        (12, "c2", "q1", "NONE", "ENTERQUEUE", "", "555", "1"),     # second_enterqueue
        (13, "c2", "q1", "SIP/1", "COMPLETEAGENT", "1", "1", "1"),  # orphan (no call)
        (14, "c2", "NONE", "SIP/1", "COMPLETEAGENT", "1", "1", "1"),    # orphan (no queue)
        (15, "NONE", "NONE", "SIP/1", "ADDMEMBER", ""),             # no_queue
        (16, "NONE", "q1", "SIP/1", "REMOVEMEMBER"),                # orphan
    ] + [(20 + k, "c1", "q1", "SIP/1", "MYVERB") for k in range(7)], {}),
}


@pytest.mark.parametrize("edge", sorted(EDGES))
@pytest.mark.parametrize("as_of", ["end", None, "later"])
def test_edges(empty_log, edge, as_of):
    rows, options = EDGES[edge]
    lines = log_lines(rows)
    if as_of == "later":
        as_of = lines[-1][0] + 10_000
    assert_same(empty_log, lines, as_of=as_of, **options)


@pytest.mark.parametrize("edge", sorted(EDGES))
def test_edges_in_blocks_at_every_boundary(empty_log, edge):
    rows, options = EDGES[edge]
    lines = log_lines(rows)
    _, whole = assert_same(empty_log, lines, **options)
    for cut in range(len(lines) + 1):
        _, parts = assert_same(empty_log, lines, blocks=(cut,), take_after=(0,), **options)
        assert_same_events(parts, whole)
    _, single = assert_same(empty_log, lines, blocks=range(len(lines)), take_after=range(0, len(lines), 2),
                            **options)
    assert_same_events(single, whole)


def test_branch_outcomes_are_those_expected():
    """A few outcomes spelled out (the twins could agree and both be wrong)."""
    rows, options = EDGES["counted_verbs"]
    translator, _ = compiled_run(log_lines(rows), as_of=T + 100, **options)
    counted = translator.counted
    assert counted["unknown_verb:MYVERB"] == 9 and counted["unknown_verb:OTHERVERB"] == 1
    assert counted["malformed"] == 1 and counted["not_agent_event"] == 2
    assert counted["orphan"] == 3 and counted["no_queue"] == 2
    assert counted["queue_orphan"] == 1 and counted["second_enterqueue"] == 1 and counted["no_callid"] == 1
    assert translator.example_codes["unknown_verb:MYVERB"] == [4, 5, 18, 19, 20]    # the first five
    rows, options = EDGES["max_call_caps"]
    translator, events = compiled_run(log_lines(rows), as_of=T + 600, **options)
    assert translator.unterminated_calls == 5          # c1, c2, c4, c5, c6: each capped
    first = events.session == 0
    assert (events.time[first] - T).tolist() == [0, 1, 61, 200, 230, 240, 240, 300, 300]
    assert events.reason[first].tolist()[2] == "Lunch"


def test_new_examples_block_by_block():
    rows, options = EDGES["counted_verbs"]
    lines = log_lines(rows)
    names = LineNames()
    tracker = CompiledCallTracker(names)
    translator = CompiledAgentTranslator(names, **options)
    gathered: dict[str, list[int]] = {}
    for start in range(0, len(lines), 4):
        columns = columns_from_lines(lines[start:start + 4], names)
        translator.read(columns, *call_verdicts(tracker, columns))
        for reason, codes in translator.take_new_examples().items():
            assert all(start < code <= start + 4 for code in codes)      # this block's rows
            gathered.setdefault(reason, []).extend(codes)
    assert translator.take_new_examples() == {}
    assert gathered == translator.example_codes


def test_missed_and_transfers_per_agent():
    rows, options = EDGES["aliases"]
    translator, events = compiled_run(log_lines(rows), as_of=T + 10, **options)
    assert translator.missed == {"Sathish": 1}
    assert translator.transfers == {"Sathish": 1}
    assert set(events.agent.tolist()) == {"Sathish", "NONE"}


def test_read_only_inputs_are_read_and_left_unchanged(empty_log):
    rows, options = EDGES["wrapupstart"]
    lines = log_lines(rows)
    names = LineNames()
    columns = columns_from_lines(lines, names)
    verdict, reason = call_verdicts(CompiledCallTracker(names), columns)
    arrays = [getattr(columns, f) for f in ("epoch", "where", "verb", "queue", "agent", "data1", "number")]
    arrays += [verdict, reason]
    before = [a.copy() for a in arrays]
    for a in arrays:
        a.flags.writeable = False
    translator = CompiledAgentTranslator(names, **options)
    translator.read(columns, verdict, reason)
    translator.finish(lines[-1][0])
    for a, b in zip(arrays, before):
        np.testing.assert_array_equal(a, b)
    _, want = assert_same(empty_log, lines, **options)
    assert_same_events(translator.take_events(), want)


def test_no_rows(empty_log):
    assert_same(empty_log, [], as_of=None)
    translator, events = compiled_run([], as_of=None)
    assert len(events) == 0 and events.presence.dtype == bool
    assert translator.session_columns()["session"].dtype == np.int64


def test_bad_input_is_refused():
    names = LineNames()
    translator = CompiledAgentTranslator(names)
    columns = columns_from_lines(log_lines([(0, "c1", "q1", "SIP/1", "ADDMEMBER", "")]), names)
    with pytest.raises(ValueError, match="one value per row"):
        translator.read(columns, np.zeros(0, np.int8), np.zeros(0, np.int8))
    with pytest.raises(ValueError, match="call-side reason"):
        translator.read(columns, np.zeros(1, np.int8), np.zeros(1, np.int8))
    with pytest.raises(ValueError, match="verdict"):
        translator.read(columns, np.full(1, 3, np.int8), np.zeros(1, np.int8))
    columns.queue[0] = 5
    with pytest.raises(ValueError, match="columns.queue"):
        translator.read(columns, np.full(1, -1, np.int8), np.zeros(1, np.int8))
    with pytest.raises(ValueError, match="max_call"):
        CompiledAgentTranslator(names, max_call=0)
    translator.finish(None)
    with pytest.raises(RuntimeError, match="finished"):
        translator.finish(None)
    columns.queue[0] = 0
    with pytest.raises(RuntimeError, match="finished"):
        translator.read(columns, np.full(1, -1, np.int8), np.zeros(1, np.int8))


def test_constants_agree():
    from agentstats.io.queue_calls import REASONS as CALL_REASONS

    # every reason the call side counts under has a code of its own on the agent side
    assert set(CALL_REASONS[1:]) <= set(_qlog_agents.REASONS)
    assert _qlog_agents.FIXED_REASONS == len(_qlog_agents.REASONS)


# -- generated logs -----------------------------------------------------------------------

QUEUES = ["q1", "q2", "q3", "NONE", ""]
AGENTS = ["SIP/1", "SIP/2", "Agent/3", "Sathish", "NONE", ""]
VERBS = ["ADDMEMBER", "REMOVEMEMBER", "AGENTLOGIN", "AGENTCALLBACKLOGIN", "AGENTLOGOFF",
         "AGENTCALLBACKLOGOFF", "PAUSE", "UNPAUSE", "PAUSEALL", "UNPAUSEALL", "WRAPUPSTART",
         "QUEUESTART", "CONNECT", "CONNECT", "CONNECT", "COMPLETEAGENT", "COMPLETECALLER", "TRANSFER",
         "BLINDTRANSFER", "ATTENDEDTRANSFER", "RINGNOANSWER", "RINGCANCELED", "AGENTDUMP",
         "ENTERQUEUE", "ABANDON", "DID", "MYVERB", ""]
DATA = ["", "PAUSED", "paused", " PAUSED", "Lunch", "0", "1", "5", "30", " 30", "600", "86401", "x", "²", "LINK"]

# Anything goes: every verb, agent and queue field, nobody included.
any_rows = st.lists(
    st.tuples(st.sampled_from([0, 0, 0, 1, 2, 5, 30, 59, 60, 61, 300]), st.sampled_from(["c1", "c2", "NONE"]),
              st.sampled_from(QUEUES), st.sampled_from(AGENTS), st.sampled_from(VERBS),
              st.lists(st.sampled_from(DATA), max_size=4)),
    max_size=60,
)
# Busy members: two agents in three queues, mostly calls, so that several sessions of an
# agent have wrap-ups and capped calls due at the same line.
MEMBER_VERBS = ["ADDMEMBER", "ADDMEMBER", "REMOVEMEMBER", "CONNECT", "CONNECT", "CONNECT", "COMPLETEAGENT",
                "COMPLETECALLER", "TRANSFER", "PAUSE", "UNPAUSE", "PAUSEALL", "UNPAUSEALL", "WRAPUPSTART",
                "RINGNOANSWER", "QUEUESTART", "AGENTLOGIN", "AGENTLOGOFF"]
member_rows = st.lists(
    st.tuples(st.sampled_from([0, 0, 1, 5, 20, 40, 61]), st.sampled_from(["c1", "c2"]),
              st.sampled_from(["q1", "q2", "q3", "q3", "NONE"]), st.sampled_from(["SIP/1", "SIP/2", "Sathish"]),
              st.sampled_from(MEMBER_VERBS), st.lists(st.sampled_from(["", "0", "1", "30", "PAUSED", "Lunch"]),
                                                      max_size=2)),
    max_size=80,
)
generated_rows = st.one_of(any_rows, member_rows)


@given(rows=generated_rows,
       wrapup=st.sampled_from([None, {"*": 10}, {"q1": 30, "q2": 0}, {"q1": 30, "q2": 30, "q3": 60}]),
       max_call=st.sampled_from([None, 1, 60, 10 ** 30]),
       alias=st.booleans(),
       as_of=st.sampled_from(["end", None, 100, 100_000]),
       blocks=st.lists(st.integers(0, 60), max_size=4),
       take_after=st.sets(st.integers(0, 4), max_size=3))
def test_generated_multi_queue_logs(empty_log, rows, wrapup, max_call, alias, as_of, blocks, take_after):
    clock, timed = 0, []
    for step, callid, queue, agent, verb, data in rows:
        clock += step
        timed.append((clock, callid, queue, agent, verb, *data))
    lines = log_lines(timed)
    if isinstance(as_of, int):
        as_of = T + as_of
    aliases = {"SIP/2": "Sathish", "Agent/3": "Sathish"} if alias else None
    assert_same(empty_log, lines, aliases=aliases, wrapup=wrapup, max_call=max_call, as_of=as_of,
                blocks=blocks, take_after=take_after)
