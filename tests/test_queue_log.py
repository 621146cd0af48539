"""queue_log import (SPEC 6): real samples with hand-derived values, and synthetic
fixtures for what the samples lack."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from agentstats.hresult import LINEERR_RESOURCEUNAVAIL, TapiError
from agentstats.io.queue_log import (
    EventChunk,
    QueueLogImporter,
    import_queue_log,
    infer_aliases,
    parse_wrapup,
    read_alias_file,
    read_queue_log,
)

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data" / "queue_log"
DATA = Path(__file__).parent / "data"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared samples not found at {SHARED}")

NR, RD, BUSY, WRAP, END = 0, 1, 2, 3, 4


def frame_of(result):
    return result.to_pandas().set_index("label")


def run(tmp_path, text, name="queue_log", **options):
    path = tmp_path / name
    path.write_text(text)
    return import_queue_log(path, **options)


def check_accounting(diag):
    assert diag["lines"] == diag["used"] + sum(diag["counted"].values())


# -- real sample: issabel-devbox-2022-08.log -------------------------------------------


@needs_shared
class TestIssabel2022_08:
    path = SHARED / "issabel-devbox-2022-08.log"

    @pytest.fixture(scope="class")
    @classmethod
    def result(cls):
        return import_queue_log(cls.path)

    def test_alias_inferred_and_said(self, result):
        # ADDMEMBER/REMOVEMEMBER name SIP/1001 (callid MANAGER); in the same second
        # Sathish does UNPAUSEALL and UNPAUSE in queue 500: 35 ADDMEMBER lines agree.
        assert result.aliases_inferred == [
            "inferred alias SIP/1001 -> Sathish from 35 ADDMEMBER lines sharing a second with Sathish's UNPAUSE"]
        frame = frame_of(result)
        assert set(frame["agent"]) == {"Sathish"}
        assert set(frame["acd_group"]) == {"500"}
        assert len(frame) == 35                      # one session per ADDMEMBER

    def test_first_session(self, result):
        # line 4  1657196115|MANAGER|500|SIP/1001|ADDMEMBER|    -> READY
        # line 5,6 UNPAUSEALL / UNPAUSE in the same second       -> already READY
        # line 7  1657196121|MANAGER|500|SIP/1001|REMOVEMEMBER|  -> SESSION_ENDED
        # duration 1657196121 - 1657196115 = 6 s, 0 calls
        row = frame_of(result).loc["500|Sathish|1"]
        assert row.session_duration == 6
        assert row.number_of_calls == 0
        assert row.state == END
        assert row.started_at == "issabel-devbox-2022-08.log:4"

    def test_session_with_one_call(self, result):
        # 1658814232 ADDMEMBER (6th session)
        # 1658814335 CONNECT data1=6 (hold)  -> BUSY_ON_CALL, wait 6
        # 1658814342 COMPLETEAGENT 6|7|1     -> READY (no wrap-up configured); talk 7
        # 1658820813 REMOVEMEMBER            -> duration 1658820813 - 1658814232 = 6581
        # ACDCallRate = 1 call / (6581/3600 h) = 0.5470...
        row = frame_of(result).loc["500|Sathish|6"]
        assert (row.session_duration, row.number_of_calls, row.total_talk_time) == (6581, 1, 7)
        assert (row.longest_time_to_answer, row.average_time_to_answer) == (6, 6)
        assert row.acd_call_rate == pytest.approx(3600 / 6581)

    def test_session_with_two_calls(self, result):
        # 1658835825 ADDMEMBER (9th session)
        # 1658835893 CONNECT hold 5, 1658835897 COMPLETEAGENT   -> talk 4
        # 1658835932 CONNECT hold 6, 1658835943 COMPLETECALLER  -> talk 11
        # 1658836133 REMOVEMEMBER -> duration 308
        # talk 15, average floor(15/2) = 7; time to answer: max 6, average floor(11/2) = 5
        row = frame_of(result).loc["500|Sathish|9"]
        assert (row.session_duration, row.number_of_calls) == (308, 2)
        assert (row.total_talk_time, row.average_talk_time) == (15, 7)
        assert (row.longest_time_to_answer, row.average_time_to_answer) == (6, 5)

    def test_queuestart_closes_open_session(self, result):
        # 1659184906 ADDMEMBER (23rd session, line 490), no REMOVEMEMBER before
        # 1659329408 QUEUESTART -> SESSION_ENDED: 1659329408 - 1659184906 = 144502 s
        # 1659329409 REMOVEMEMBER (line 495) -> nothing open any more: orphan
        row = frame_of(result).loc["500|Sathish|23"]
        assert row.session_duration == 144502
        assert row.state == END
        assert result.diagnostics["examples"]["orphan"] == ["issabel-devbox-2022-08.log:495"]

    def test_every_line_accounted(self, result):
        # 543 lines.  not_agent_event: CONFIGRELOAD 280 + DID 30 = 310
        # used: ADDMEMBER 35 + REMOVEMEMBER 34 + CONNECT 3 + COMPLETE* 3 + 1 QUEUESTART that
        #       closed a session = 76, + ENTERQUEUE 30 + ABANDON 27 (the calls, SPEC 8) = 133
        # no_state_change: UNPAUSEALL 35 + UNPAUSE 35 + 28 QUEUESTART with nothing open
        #       + RINGNOANSWER 1 (Sathish, session open) = 99
        # orphan: the REMOVEMEMBER after the QUEUESTART = 1         -> 133 + 310 + 99 + 1 = 543
        d = result.diagnostics
        assert d["lines"] == 543
        assert d["used"] == 133
        assert d["counted"] == {"not_agent_event": 310, "no_state_change": 99, "orphan": 1}
        # line 189: 78 NUL bytes glued to a QUEUESTART, which is still read
        assert (d["nul_runs"], d["nul_bytes"]) == (1, 78)
        check_accounting(d)
        assert result.table.diagnostics["rows"] == result.table.diagnostics["used"] == 76

    def test_without_inference_two_identities(self):
        result = import_queue_log(self.path, infer=False)
        frame = result.to_pandas()
        # ADDMEMBER sessions for SIP/1001; Sathish's UNPAUSE starts static sessions.
        assert set(frame["agent"]) == {"SIP/1001", "Sathish"}
        assert result.aliases_inferred == []

    def test_alias_file_same_as_inference(self):
        inferred = import_queue_log(self.path).to_pandas()
        given = import_queue_log(self.path, aliases=read_alias_file(DATA / "aliases.txt"), infer=False).to_pandas()
        assert inferred.drop(columns=["started_at"]).equals(given.drop(columns=["started_at"]))


# -- real sample: issabel-devbox-2022-10.log ------------------------------------------


@needs_shared
def test_issabel_2022_10_sessions_without_calls():
    # Member name "Agent 1", interface SIP/1000; 7 ADDMEMBER/REMOVEMEMBER pairs:
    # 1665722063 -> 1665722312 = 249     1665722317 -> 1665723050 = 733
    # 1666256870 -> 1666256880 = 10      1666256948 -> 1666264255 = 7307
    # 1666335937 -> 1666337482 = 1545    1666337503 -> 1666337506 = 3
    # 1666337524 -> 1666337533 = 9
    # 204 lines: not_agent_event CONFIGRELOAD 142 + DID 2 = 144;
    # no_state_change QUEUESTART 28 (never a session open) + UNPAUSEALL 7 + UNPAUSE 7 = 42;
    # used 14 + ENTERQUEUE 2 + ABANDON 2 (the calls, SPEC 8) = 18.
    result = import_queue_log(SHARED / "issabel-devbox-2022-10.log")
    frame = result.to_pandas()
    assert list(frame["session_duration"]) == [249, 733, 10, 7307, 1545, 3, 9]
    assert set(frame["agent"]) == {"Agent 1"}
    assert frame["number_of_calls"].sum() == 0
    d = result.diagnostics
    assert (d["lines"], d["used"]) == (204, 18)
    assert d["counted"] == {"not_agent_event": 144, "no_state_change": 42}
    assert d["nul_runs"] == 1


@needs_shared
def test_asterisk2slack_fixture():
    # Static members (no ADDMEMBER): each starts a session at its first line in queue 201.
    # John Rembold, Tania ..., Sara Sangri: RINGNOANSWER at 1546015415 -> READY until the
    #   log's end 1546027677: 12262 s.
    # Paty Marin (lines put back in time order):
    #   1546015425 CONNECT hold 10 .. 1546015547 COMPLETECALLER  talk 122
    #   1546023976 CONNECT hold 6  .. 1546024204 COMPLETEAGENT   talk 228
    #   1546024204 COMPLETEAGENT x3 more (other origposition)    -> orphan (no call)
    #   1546027677 CONNECT hold 14 (still on call at the end)    talk 0
    #   duration 1546027677 - 1546015425 = 12252; calls 3; talk 350; wait avg 30/3 = 10
    # Vanessa Flores COMPLETECALLER without CONNECT -> orphan.
    # 23 lines: blank 2, duplicate_line 6 (ENTERQUEUE repeated), not_agent_event 1 (DID),
    # orphan 4, used 8 + 2 distinct ENTERQUEUE (the calls, SPEC 8) = 10.
    result = import_queue_log(SHARED / "asterisk2slack-fixture.log")
    frame = frame_of(result)
    paty = frame.loc["201|Paty Marin|1"]
    assert (paty.session_duration, paty.number_of_calls, paty.total_talk_time) == (12252, 3, 350)
    assert (paty.average_time_to_answer, paty.longest_time_to_answer, paty.state) == (10, 14, BUSY)
    for name in ("John Rembold", "Tania Lissete Flores Zavala", "Sara Sangri"):
        row = frame.loc[f"201|{name}|1"]
        assert (row.session_duration, row.state, row.number_of_calls) == (12262, RD, 0)
    d = result.diagnostics
    assert d["counted"] == {"blank": 2, "duplicate_line": 6, "not_agent_event": 1, "orphan": 4}
    assert d["used"] == 10
    check_accounting(d)


@needs_shared
def test_rotated_real_files_any_order():
    files = [SHARED / "issabel-devbox-2022-10.log", SHARED / "issabel-devbox-2022-08.log"]
    both = import_queue_log(files)
    assert both.diagnostics["files"][0].endswith("2022-08.log")     # ordered by first time
    assert len(both.table) == 35 + 7
    assert both.diagnostics["lines"] == 543 + 204
    check_accounting(both.diagnostics)


# -- synthetic: what the samples lack ---------------------------------------------------


class TestSyntheticDay:
    """tests/data/synthetic_day.log with wrap-up support=30 (sales has none)."""

    @pytest.fixture(scope="class")
    @staticmethod
    def result():
        return import_queue_log(DATA / "synthetic_day.log", wrapup={"support": 30})

    def test_support_session(self, result):
        # +10 ADDMEMBER -> READY; +112 CONNECT hold 12 -> ON CALL
        # +200 PAUSEALL Lunch while on call: applies when the call ends
        # +212 COMPLETECALLER -> WRAPUP (30 s) -> +242 NOT_READY (paused, reason Lunch)
        # +2000 UNPAUSEALL -> READY; +2200 CONNECT hold 40 -> ON CALL
        # +2230 BLINDTRANSFER -> WRAPUP; +2250 PAUSE Coaching comes first -> NOT_READY
        # +2400 UNPAUSE -> READY; +3600 REMOVEMEMBER -> ended
        # talk (212-112)+(2230-2200) = 130; wrap 30+20 = 50; call 180; calls 2
        # wait 12, 40: max 40, avg 26
        row = frame_of(result).loc["support|Alice|1"]
        assert row.session_duration == 3590
        assert (row.number_of_calls, row.total_talk_time, row.total_wrapup_time) == (2, 130, 50)
        assert (row.total_call_time, row.average_talk_time, row.average_wrapup_time) == (180, 65, 25)
        assert (row.longest_time_to_answer, row.average_time_to_answer) == (40, 26)

    def test_paused_add_and_pauseall(self, result):
        # ADDMEMBER ...|PAUSED -> NOT_READY; UNPAUSE +160; PAUSEALL +200; UNPAUSEALL +2000
        row = frame_of(result).loc["sales|Alice|1"]
        assert (row.session_duration, row.number_of_calls, row.state) == (3590, 0, END)

    def test_agentlogin_static_member(self, result):
        # AGENTLOGIN +20 (queue NONE); first queue line: CONNECT sales +2105 hold 5 ->
        # the session starts at the login, READY; TRANSFER +2165 -> READY (no wrap-up
        # for sales); AGENTLOGOFF +3000 ends it: duration 2980, talk 60
        row = frame_of(result).loc["sales|Agent/2001|1"]
        assert (row.session_duration, row.number_of_calls, row.total_talk_time) == (2980, 1, 60)
        assert row.total_wrapup_time == 0
        assert row.opened_by == "AGENTLOGIN"

    def test_pause_reasons_kept(self):
        events, sessions, _ = read_queue_log(DATA / "synthetic_day.log", wrapup={"support": 30})
        labels = dict(zip(sessions["session"], sessions["label"]))
        got = [(labels[s], int(t) - 1700000000, r) for s, t, st, r in
               zip(events.session, events.time, events.state, events.reason) if st == NR]
        assert got == [("sales|Alice|1", 10, None), ("sales|Alice|1", 200, "Lunch"),
                       ("support|Alice|1", 242, "Lunch"), ("support|Alice|1", 2250, "Coaching")]

    def test_accounting(self, result):
        d = result.diagnostics
        # 20 lines: QUEUESTART with nothing open; 2 ENTERQUEUE (used by the calls, SPEC 8);
        # the 17 others change state.
        assert (d["lines"], d["used"]) == (20, 19)
        assert d["counted"] == {"no_state_change": 1}


@pytest.mark.parametrize("verb", ["COMPLETEAGENT", "COMPLETECALLER", "TRANSFER", "BLINDTRANSFER",
                                  "ATTENDEDTRANSFER"])
@pytest.mark.parametrize("wrapup", [None, 20])
def test_every_call_end_verb(tmp_path, verb, wrapup):
    # SPEC 6.3: any of the five ends the call; then wrap-up (if configured) then READY.
    text = ("1000|M|q|ann|ADDMEMBER|\n"
            "1100|c|q|ann|CONNECT|8|c2|1\n"
            f"1160|c|q|ann|{verb}|x|y|8|60|1\n"
            "1300|M|q|ann|REMOVEMEMBER|\n")
    result = run(tmp_path, text, wrapup={"q": wrapup} if wrapup else None)
    row = result.to_pandas().iloc[0]
    assert (row.number_of_calls, row.total_talk_time) == (1, 60)
    assert row.total_wrapup_time == (wrapup or 0)
    assert row.session_duration == 300


def test_wrapup_star_and_parse():
    assert parse_wrapup(["500=30", "*=10"]) == {"500": 30, "*": 10}
    assert parse_wrapup({"sales": 5}) == {"sales": 5}
    with pytest.raises(ValueError):
        parse_wrapup(["500"])
    with pytest.raises(ValueError):
        parse_wrapup(["500=-1"])


def test_wrapup_not_past_the_end(tmp_path):
    # Call ends at 1100, wrap-up 60 s, log ends at 1130: still in wrap-up at the end.
    text = "1000|M|q|ann|ADDMEMBER|\n1050|c|q|ann|CONNECT|1|c|1\n1100|c|q|ann|COMPLETEAGENT|1|50|1\n1130|c|q|NONE|ENTERQUEUE||1|1\n"
    row = run(tmp_path, text, wrapup={"*": 60}).to_pandas().iloc[0]
    assert (row.state, row.total_wrapup_time, row.session_duration) == (WRAP, 30, 130)


def test_readd_is_a_new_session_and_queuestart(tmp_path):
    text = ("1000|M|q|ann|ADDMEMBER|\n1100|M|q|ann|REMOVEMEMBER|\n1200|M|q|ann|ADDMEMBER|\n"
            "1300|NONE|NONE|NONE|QUEUESTART|\n1400|NONE|q|ann|UNPAUSE|\n1500|c|q|NONE|ABANDON|1|1|5\n")
    frame = frame_of(run(tmp_path, text))
    assert list(frame.index) == ["q|ann|1", "q|ann|2", "q|ann|3"]
    assert list(frame["session_duration"]) == [100, 100, 100]   # the 3rd: static, 1400..end 1500
    assert list(frame["opened_by"]) == ["ADDMEMBER", "ADDMEMBER", "UNPAUSE (static member)"]


def test_connect_while_on_call_counts_both_calls(tmp_path):
    text = "1000|M|q|ann|ADDMEMBER|\n1010|a|q|ann|CONNECT|3|x|1\n1050|b|q|ann|CONNECT|4|y|1\n1080|b|q|ann|COMPLETEAGENT|4|30|1\n"
    row = run(tmp_path, text).to_pandas().iloc[0]
    assert (row.number_of_calls, row.total_talk_time) == (2, 70)


def test_agentcallbacklogin_with_queue(tmp_path):
    text = "1000|NONE|q|Agent/7|AGENTCALLBACKLOGIN|7@default\n1600|NONE|q|Agent/7|AGENTCALLBACKLOGOFF|7@default|600|x\n"
    row = run(tmp_path, text).to_pandas().iloc[0]
    assert (row.session_duration, row.state) == (600, END)


# -- dirty files (SPEC 6.5) -------------------------------------------------------------


def test_dirty_lines_counted_never_raise(tmp_path):
    text = ("\x00\x00\x00\x00\n"                                  # only NULs
            "1000|M|q|ann|ADDMEMBER|\n"
            "\n"                                                  # blank
            "   \n"                                               # blank
            "abc|M|q|ann|PAUSE|x\n"                               # bad epoch
            "1001|M|q\n"                                          # too few fields
            "\x00\x00\x001010|NONE|q|ann|PAUSE|Break\n"          # NULs then a record: used
            "1010|NONE|q|ann|PAUSE|Break\n"                       # exact duplicate
            "1020|x|q|ann|MYVERB|1\n"                             # unknown verb
            "1021|x|q|ann|MYVERB|2\n"
            "1022|x|q|ann|OTHER|2\n"
            "1030|NONE|q|NONE|PAUSE|x\n"                          # no agent
            "1040|c|q|bob|COMPLETECALLER|1|2|3\n"                 # no call: orphan
            "1050|NONE|q|ann|UNPAUSE|\r\n"                        # CRLF
            "1060|M|q|ann|REMOVEMEMBER|")                          # no final newline
    result = run(tmp_path, text)
    d = result.diagnostics
    assert d["counted"] == {"nul_garbage": 1, "blank": 2, "malformed": 2, "duplicate_line": 1,
                            "unknown_verb:MYVERB": 2, "unknown_verb:OTHER": 1, "no_agent": 1,
                            "orphan": 1}
    assert d["used"] == 4
    assert d["lines"] == 15
    assert d["examples"]["malformed"] == ["queue_log:5", "queue_log:6"]
    assert d["nul_runs"] == 2
    check_accounting(d)
    row = result.to_pandas().iloc[0]
    assert row.session_duration == 60         # 1000 .. 1060, paused 1010..1050


def test_out_of_order_within_window_is_sorted(tmp_path):
    ordered = "1000|M|q|ann|ADDMEMBER|\n1100|c|q|ann|CONNECT|5|x|1\n1200|c|q|ann|COMPLETEAGENT|5|100|1\n1300|M|q|ann|REMOVEMEMBER|\n"
    shuffled = "1100|c|q|ann|CONNECT|5|x|1\n1000|M|q|ann|ADDMEMBER|\n1300|M|q|ann|REMOVEMEMBER|\n1200|c|q|ann|COMPLETEAGENT|5|100|1\n"
    a = run(tmp_path, ordered, "a").to_pandas()
    b = run(tmp_path, shuffled, "b").to_pandas()
    assert a.drop(columns="started_at").equals(b.drop(columns="started_at"))
    assert a.iloc[0].total_talk_time == 100


def test_late_lines_beyond_window(tmp_path):
    # window 60 s: after 2000 was read (and confirmed by the two lines after it, so it
    # is not a time jump), a line at 1000 is 1000 s late -> counted, not used
    text = ("1000|M|q|ann|ADDMEMBER|\n2000|c|q|ann|CONNECT|5|x|1\n2001|c2|q|NONE|ENTERQUEUE|\n"
            "2002|c3|q|NONE|ENTERQUEUE|\n1000|M|q|bob|ADDMEMBER|\n1990|M|q|cat|ADDMEMBER|\n")
    result = run(tmp_path, text, reorder_window=60)
    d = result.diagnostics
    assert d["counted"] == {"late": 1}       # the two callers' lines are used (queued calls)
    assert d["examples"]["late"] == ["queue_log:5"]
    assert set(result.to_pandas()["agent"]) == {"ann", "cat"}


def test_rotated_files_overlap_dropped():
    # queue_log.1: QUEUESTART, ADDMEMBER +10, CONNECT +100 (hold 7), COMPLETEAGENT +200
    # queue_log (given first): repeats +100 and +200, then CONNECT +300 (hold 9),
    # COMPLETECALLER +350, REMOVEMEMBER +400.  One session 10..400 = 390 s, 2 calls,
    # talk 100 + 50 = 150, wait avg (7+9)/2 = 8; the 2 repeated lines are duplicate_line.
    result = import_queue_log([DATA / "rotated" / "queue_log", DATA / "rotated" / "queue_log.1"])
    row = result.to_pandas().iloc[0]
    assert (row.session_duration, row.number_of_calls, row.total_talk_time) == (390, 2, 150)
    assert row.average_time_to_answer == 8
    assert result.diagnostics["counted"] == {"duplicate_line": 2, "no_state_change": 1}


def test_unreadable_file_is_resource_unavailable(tmp_path):
    with pytest.raises(TapiError) as info:
        import_queue_log(tmp_path / "missing.log")
    assert info.value.hresult == LINEERR_RESOURCEUNAVAIL
    with pytest.raises(OSError):        # the class also derives from OSError
        import_queue_log(tmp_path / "missing.log")


def test_infer_aliases_needs_agreement(tmp_path):
    # SIP/1 is joined with ann twice and with bob once: ambiguous, not inferred.
    text = ("10|M|q|SIP/1|ADDMEMBER|\n10|NONE|q|ann|UNPAUSE|\n"
            "20|M|q|SIP/1|ADDMEMBER|\n20|NONE|q|ann|UNPAUSE|\n"
            "30|M|q|SIP/1|ADDMEMBER|\n30|NONE|q|bob|UNPAUSE|\n"
            "40|M|q|SIP/2|ADDMEMBER|\n40|NONE|NONE|cat|UNPAUSEALL|\n")
    path = tmp_path / "ql"
    path.write_text(text)
    aliases, messages = infer_aliases([path])
    assert aliases == {"SIP/2": "cat"}
    assert messages == ["inferred alias SIP/2 -> cat from 1 ADDMEMBER line sharing a second with cat's UNPAUSE"]


def test_alias_file_formats(tmp_path):
    assert read_alias_file(DATA / "aliases.txt") == {"SIP/1001": "Sathish", "SIP/1000": "Agent 1"}
    csv = tmp_path / "a.csv"
    csv.write_text("interface,member\nSIP/7,Zoe\n")
    assert read_alias_file(csv) == {"SIP/7": "Zoe"}
    bad = tmp_path / "bad"
    bad.write_text("SIP/7 Zoe\n")
    with pytest.raises(ValueError, match="bad:1"):
        read_alias_file(bad)


# -- streaming: chunked == one-shot -------------------------------------------------------


def _events(path, **options):
    events, sessions, diag = read_queue_log(path, **options)
    return events, sessions, diag


def _same(a: EventChunk, b: EventChunk):
    for name in ("session", "time", "state", "wait", "reason", "agent", "acd_group"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


@pytest.mark.parametrize("block_bytes, chunk_events", [(1, 1), (64, 7), (4096, 100), (1 << 20, 1 << 20)])
def test_chunked_equals_one_shot(block_bytes, chunk_events):
    from agentstats.demo import DEMO_WRAPUP, demo_log_path

    path = demo_log_path()
    whole, s1, d1 = _events(path, wrapup=DEMO_WRAPUP, block_bytes=1 << 30)
    parts, s2, d2 = _events(path, wrapup=DEMO_WRAPUP, block_bytes=block_bytes, chunk_events=chunk_events)
    _same(whole, parts)
    assert s1.equals(s2) and d1 == d2
    one = import_queue_log(path, wrapup=DEMO_WRAPUP, block_bytes=1 << 30).to_pandas()
    many = import_queue_log(path, wrapup=DEMO_WRAPUP, block_bytes=block_bytes,
                            chunk_events=chunk_events).to_pandas()
    assert one.equals(many)


def test_events_leave_in_many_chunks_with_a_small_window():
    """Memory is bounded by the window and the chunk size: with a 60 s window and
    4 KB blocks the demo day leaves in many chunks, and the events are the same."""
    from agentstats.demo import demo_log_path

    importer = QueueLogImporter(demo_log_path(), block_bytes=4096, chunk_events=100, reorder_window=60)
    chunks = list(importer.chunks())
    assert len(chunks) >= 10
    whole, _, _ = _events(demo_log_path(), reorder_window=60)
    _same(EventChunk.concat(chunks), whole)


@pytest.mark.parametrize("seed", range(5))
def test_swapping_lines_of_different_seconds_changes_nothing(tmp_path, seed):
    """Out-of-order lines (within the window) give exactly the in-order result."""
    from agentstats.demo import demo_log_path

    lines = demo_log_path().read_text().split("\n")
    rng = random.Random(seed)
    shuffled = list(lines)
    for _ in range(300):
        i = rng.randrange(len(shuffled) - 1)
        a, b = shuffled[i].lstrip("\x00")[:10], shuffled[i + 1].lstrip("\x00")[:10]
        if a.isdigit() and b.isdigit() and a != b:
            shuffled[i], shuffled[i + 1] = shuffled[i + 1], shuffled[i]
    (tmp_path / "a").write_text("\n".join(lines))
    (tmp_path / "b").write_text("\n".join(shuffled))
    a, _, da = _events(tmp_path / "a")
    b, _, db = _events(tmp_path / "b")
    _same(a, b)
    assert da["counted"] == db["counted"]


def test_shipped_demo_log_is_reproducible():
    from agentstats.demo import DEMO_OPTIONS, demo_log_path, generate

    expected = "\n".join(generate(**DEMO_OPTIONS)) + "\n"
    assert demo_log_path().read_text() == expected


def test_ringing_line_of_logged_in_agent_opens_session_at_login(tmp_path):
    # AGENTLOGIN +100 (no queue); RINGNOANSWER in q at +200 -> session q|Agent/1 from the
    # login (READY); AGENTLOGOFF +300 ends it: 200 s. All three lines are used.
    text = ("100|NONE|NONE|Agent/1|AGENTLOGIN|SIP/1\n200|c|q|Agent/1|RINGNOANSWER|15000\n"
            "300|NONE|NONE|Agent/1|AGENTLOGOFF|SIP/1|200\n")
    result = run(tmp_path, text)
    assert (result.diagnostics["used"], result.diagnostics["counted"]) == (3, {})
    row = result.to_pandas().iloc[0]
    assert (row.label, row.session_duration, row.state) == ("q|Agent/1|1", 200, END)


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), block=st.integers(1, 5000), chunk=st.integers(1, 500),
       window=st.sampled_from([0, 5, 60, 3600]))
def test_property_chunking_never_changes_events(tmp_path_factory, seed, block, chunk, window):
    from agentstats.demo import generate

    path = tmp_path_factory.mktemp("prop") / "ql"
    path.write_text("\n".join(generate(agents=3, days=1, seed=seed, dirty=True)) + "\n")
    a, sa, da = _events(path, wrapup={"support": 30}, reorder_window=window, block_bytes=1 << 30)
    b, sb, db = _events(path, wrapup={"support": 30}, reorder_window=window, block_bytes=block,
                        chunk_events=chunk)
    _same(a, b)
    assert sa.equals(sb) and da == db
    check_accounting(db)
