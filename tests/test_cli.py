"""The `agentstats` command, called as main([...])."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from agentstats.cli import main

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data" / "queue_log"
DATA = Path(__file__).parent / "data"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared samples not found at {SHARED}")


def test_demo_is_quick_and_readable(capsys):
    started = time.perf_counter()
    assert main(["demo"]) == 0
    assert time.perf_counter() - started < 3
    out = capsys.readouterr().out
    assert "agentstats demo" in out and "agents" in out
    assert "Ana Silva" in out                      # one row per agent by default
    assert "3 aliases inferred: SIP/1003 -> Carla Novak, SIP/1014 -> Nadia Khan" in out
    assert "Lines: 3,487 read" in out and "unknown_verb:SURVEYSCORE 1" in out
    assert "NUL runs stripped: 1" in out


@pytest.mark.parametrize("by, header", [("session", "Start"), ("agent", "Utilisation"), ("queue", "Queue")])
def test_demo_by(capsys, by, header):
    assert main(["demo", "--by", by, "--limit", "0"]) == 0
    out = capsys.readouterr().out
    assert header in out
    assert "more rows" not in out


@needs_shared
def test_report_real_sample(capsys):
    assert main(["report", str(SHARED / "issabel-devbox-2022-08.log"), "--limit", "3"]) == 0
    out = capsys.readouterr().out
    assert "35 sessions" in out
    assert "Sathish" in out and "0:00:06" in out          # the first session: 6 s
    assert "1 alias inferred: SIP/1001 -> Sathish" in out
    assert "Lines: 543 read, 133 used" in out
    assert "... 32 more rows" in out


@needs_shared
def test_report_rotated_by_agent(capsys):
    files = sorted(str(p) for p in SHARED.glob("*.log"))
    assert main(["report", *files, "--by", "agent"]) == 0
    out = capsys.readouterr().out
    assert "Agent 1" in out and "Paty Marin" in out and "Sathish" in out


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json"])
def test_output_files(tmp_path, capsys, suffix):
    out = tmp_path / f"report{suffix}"
    assert main(["report", str(DATA / "synthetic_day.log"), "--wrapup", "support=30", "-o", str(out)]) == 0
    assert f"wrote 3 rows to {out}" in capsys.readouterr().out
    if suffix == ".csv":
        frame = pd.read_csv(out)
    elif suffix == ".parquet":
        frame = pd.read_parquet(out)
    else:
        payload = json.loads(out.read_text())
        frame = pd.DataFrame(payload["rows"])
        assert payload["diagnostics"]["lines"]["lines"] == 20
    row = frame.set_index("label").loc["support|Alice|1"]
    assert (row.total_talk_time, row.total_wrapup_time, row.number_of_calls) == (130, 50, 2)


def test_by_queue_file(tmp_path):
    out = tmp_path / "q.csv"
    assert main(["report", str(DATA / "synthetic_day.log"), "--by", "queue", "-o", str(out), "-q"]) == 0
    frame = pd.read_csv(out).set_index("queue")
    # the members' session totals are kept beside the callers' statistics, named agent_*
    assert frame.loc["support", "agent_calls"] == 2 and frame.loc["sales", "agent_sessions"] == 2
    assert frame.loc["support", "total_calls_queued"] == 2 and frame.loc["sales", "answered"] == 1   # c1, c3; c2


def test_as_of(tmp_path):
    # As of +2150: Alice (support) 10..2150 = 2140 s, 1 call so far; ended sessions unaffected.
    out = tmp_path / "a.csv"
    assert main(["report", str(DATA / "synthetic_day.log"), "--as-of", "1700002150", "-o", str(out), "-q"]) == 0
    frame = pd.read_csv(out).set_index("label")
    assert frame.loc["support|Alice|1", "session_duration"] == 2140
    assert frame.loc["support|Alice|1", "number_of_calls"] == 1
    assert main(["report", str(DATA / "synthetic_day.log"), "--as-of", "2023-11-14T22:49:10", "-o", str(out), "-q"]) == 0
    assert pd.read_csv(out).set_index("label").loc["support|Alice|1", "session_duration"] == 2140


def test_alias_option(tmp_path, capsys):
    log = tmp_path / "ql"
    log.write_text("10|M|q|SIP/9|ADDMEMBER|\n20|c|q|Zoe|CONNECT|4|x|1\n50|c|q|Zoe|COMPLETEAGENT|4|30|1\n90|M|q|SIP/9|REMOVEMEMBER|\n")
    alias = tmp_path / "alias.txt"
    alias.write_text("SIP/9=Zoe\n")
    out = tmp_path / "o.csv"
    assert main(["report", str(log), "--alias", str(alias), "-o", str(out), "-q"]) == 0
    frame = pd.read_csv(out)
    assert list(frame["agent"]) == ["Zoe"] and frame.loc[0, "number_of_calls"] == 1


def test_table_input(tmp_path, capsys):
    code = main(["report", str(DATA / "events.csv"), "--column", "session=sid", "--column", "time=ts",
                 "--column", "state=status", "--column", "wait=hold_s", "--column", "agent=who",
                 "--column", "queue=skill", "--by", "agent"])
    assert code == 0
    out = capsys.readouterr().out
    # ann: two queues 09:00-10:00 and 09:00-09:45: 1 h on the clock, 2 calls -> 2.00/h
    assert "ann" in out and "2.00" in out and "1:00:00" in out


# -- errors: one line, exit 1 (bad input) or 2 (usage) ---------------------------------


def test_missing_file(capsys):
    assert main(["report", "/no/such/queue_log"]) == 1
    err = capsys.readouterr().err
    assert err == "agentstats: error: /no/such/queue_log: no such file\n"


def test_bad_table_row_names_file_and_line(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("session,time,state\n1,100,READY\n1,150,LUNCH\n")
    assert main(["report", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"{bad}: line 3: state 'LUNCH'" in err
    assert main(["report", str(bad), "--lenient", "-q"]) == 0


@pytest.mark.parametrize("name", ["notes.log", "notes.txt"])
def test_not_a_queue_log(tmp_path, capsys, name):
    junk = tmp_path / name
    junk.write_text("\nhello\nworld\n")
    assert main(["report", str(junk)]) == 1
    err = capsys.readouterr().err
    assert f"{name}:2: no queue_log line could be read" in err


@pytest.mark.parametrize("text", ["", "\n\n", "1|NONE|NONE|NONE|CONFIGRELOAD|\n"])
@pytest.mark.parametrize("by", ["session", "agent", "queue"])
def test_empty_logs_give_empty_reports(tmp_path, capsys, text, by):
    log = tmp_path / "ql"
    log.write_text(text)
    assert main(["report", str(log), "--by", by]) == 0
    assert "agentstats report" in capsys.readouterr().out


def test_directory_input(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 1
    assert "is a directory" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["report"],                                             # no input
    ["report", "x", "--by", "team"],                        # bad choice
    ["report", "x", "--wrapup", "support"],                 # not QUEUE=SECONDS
    ["report", "x", "--wrapup", "support=ten"],
    ["report", "x", "--as-of", "yesterday-ish"],
    ["report", "x", "--column", "session"],
    ["frobnicate"],
    [],
])
def test_usage_errors_exit_2(argv, capsys):
    assert main(argv) == 2
    assert "usage:" in capsys.readouterr().err


def test_help_speaks_contact_center(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "queue_log" in out and "wrap-up" in out and "answered" in out
    assert main(["report", "--help"]) == 0
    out = capsys.readouterr().out
    for word in ("PAUSE", "CONNECT", "--wrapup QUEUE=SECONDS", "Exit status", "--alias FILE"):
        assert word in out


def test_python_dash_m():
    done = subprocess.run([sys.executable, "-m", "agentstats", "--version"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("agentstats ")


def test_forced_progress_bar_goes_to_stderr(capsys):
    assert main(["report", str(DATA / "synthetic_day.log"), "--progress", "-q"]) == 0
    captured = capsys.readouterr()
    assert "Alice" in captured.out


def test_interval_report(tmp_path, capsys):
    out = tmp_path / "i.csv"
    assert main(["report", str(DATA / "synthetic_day.log"), "--by", "queue", "--interval", "15",
                 "--wrapup", "support=30", "-o", str(out), "-q"]) == 0
    frame = pd.read_csv(out)
    row = frame[(frame.queue == "support") & (frame.interval_start == "2023-11-14T22:15:00Z")].iloc[0]
    assert (row.agent_talk_time, row.agent_wrapup_time, row.agent_time_not_ready, row.agent_calls) == (100, 30, 758, 1)
    assert main(["demo", "--interval", "60", "--limit", "3"]) == 0
    shown = capsys.readouterr().out
    assert "Interval" in shown and "UTC" in shown
    assert main(["report", str(DATA / "synthetic_day.log"), "--interval", "15"]) == 2   # needs --by


def test_interval_report_for_event_tables(tmp_path, capsys):
    """SPEC 5 per interval from a CSV/Parquet event table: time split exactly at the
    15-minute edges (sub-second times kept), calls counted where answered; the
    interval rows add up to the per-agent totals."""
    events = pd.DataFrame({
        "sid": ["a", "a", "a", "a", "b", "b", "b"],
        "agent": ["ann", "ann", "ann", "ann", "bob", "bob", "bob"],
        "ts": pd.to_datetime(["2026-01-01 00:00:00", "2026-01-01 00:10:00.5",
                              "2026-01-01 00:20:00.5", "2026-01-01 00:40:00",
                              "2026-01-01 00:14:00", "2026-01-01 00:16:00",
                              "2026-01-01 00:31:00"], format="ISO8601"),
        "status": ["READY", "BUSY_ON_CALL", "READY", "SESSION_ENDED",
                   "READY", "BUSY_ON_CALL", "BUSY_WRAPUP"],
    })
    columns = ["--column", "session=sid", "--column", "time=ts", "--column", "state=status"]
    # ann: ready 600.5 s, then talk 00:10:00.5-00:20:00.5 (299.5 s in the first quarter,
    #      300.5 s in the second), ready until 00:40: 599.5 + 600 + 300 s over three
    # bob: ready 00:14-00:16 (60 + 60 s), talk 00:16-00:31 (840 + 60 s), wrap-up open
    #      until as_of = the latest event, 00:40 (540 s)
    # logged_in is the exact sum, floored once (SPEC 2.12): 600.5 + 299.5 = 900
    expected = {("ann", "2026-01-01T00:00:00Z"): (900, 299, 600, 1),
                ("ann", "2026-01-01T00:15:00Z"): (900, 300, 599, 0),
                ("ann", "2026-01-01T00:30:00Z"): (600, 0, 600, 0),
                ("bob", "2026-01-01T00:00:00Z"): (60, 0, 60, 0),
                ("bob", "2026-01-01T00:15:00Z"): (900, 840, 60, 1),
                ("bob", "2026-01-01T00:30:00Z"): (600, 60, 0, 0)}
    for suffix in ("csv", "parquet"):
        source = tmp_path / f"events.{suffix}"
        events.to_csv(source, index=False) if suffix == "csv" else events.to_parquet(source)
        out = tmp_path / f"intervals-{suffix}.csv"
        assert main(["report", str(source), *columns, "--by", "agent", "--interval", "15",
                     "-o", str(out), "-q"]) == 0
        frame = pd.read_csv(out)
        got = {(r.agent, r.interval_start): (r.logged_in, r.talk_time, r.ready, r.number_of_calls)
               for r in frame.itertuples()}
        assert got == expected, suffix
        assert frame.loc[frame.agent == "bob", "wrapup_time"].tolist() == [0, 0, 540]
    totals = tmp_path / "totals.csv"
    assert main(["report", str(tmp_path / "events.csv"), *columns, "--by", "agent",
                 "-o", str(totals), "-q"]) == 0
    by_agent = pd.read_csv(totals).set_index("agent")
    assert by_agent.loc["bob", "calls"] == 1
    assert by_agent.loc["bob", "talk"] == 900
    capsys.readouterr()
    no_agent = tmp_path / "no_agent.csv"
    events.drop(columns="agent").to_csv(no_agent, index=False)
    assert main(["report", str(no_agent), *columns, "--by", "agent", "--interval", "15"]) == 1
    assert "no agent column" in capsys.readouterr().err


def test_unsorted_table_needs_whole_file(tmp_path, capsys):
    path = tmp_path / "unsorted.parquet"
    pd.DataFrame({"session": [1, 1, 1], "time": [100, 300, 200], "state": [1, 4, 2]}).to_parquet(path)
    from agentstats.io import tabular

    original = tabular._DEFAULT_CHUNK_ROWS
    try:
        tabular.import_table.__kwdefaults__["chunk_rows"] = 1
        assert main(["report", str(path)]) == 1
        assert "--whole-file" in capsys.readouterr().err
        assert main(["report", str(path), "--whole-file", "-q"]) == 0
    finally:
        tabular.import_table.__kwdefaults__["chunk_rows"] = original


# -- queues and their calls (SPEC 8) ---------------------------------------------------


def test_by_queue_shows_the_callers(capsys):
    assert main(["report", str(DATA / "synthetic_day.log"), "--by", "queue", "--service-level", "5,60"]) == 0
    out = capsys.readouterr().out
    for header in ("Queued", "Answered", "Abandoned", "ASA", "SL 5s", "SL 60s", "Agent-hours", "agent-h:mm:ss"):
        assert header in out
    assert "Logged in" not in out          # agent time is labelled as agent-hours


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json"])
def test_calls_file(tmp_path, capsys, suffix):
    out = tmp_path / f"calls{suffix}"
    assert main(["report", str(DATA / "synthetic_day.log"), "--calls", str(out), "-q"]) == 0
    if suffix == ".csv":
        frame = pd.read_csv(out)
    elif suffix == ".parquet":
        frame = pd.read_parquet(out)
    else:
        frame = pd.DataFrame(json.loads(out.read_text())["rows"])
    # c1 support answered by Alice after 12 s, talk 100; c2 sales (Agent/2001, 5 s, talk 60);
    # c3 support answered with no ENTERQUEUE (entered 40 s before its CONNECT).
    assert list(frame["callid"]) == ["c1", "c2", "c3"]
    assert list(frame["outcome"]) == ["answered"] * 3
    assert list(frame["wait"]) == [12, 5, 40] and list(frame["talk"]) == [100, 60, 30]
    # no temporary file left; a CSV has its line accounting beside it
    expected = [out.name] + (["calls.accounting.json"] if out.suffix == ".csv" else [])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(expected)


def test_calls_file_errors(tmp_path, capsys):
    assert main(["report", str(DATA / "synthetic_day.log"), "--calls", str(tmp_path / "calls.txt")]) == 1
    assert "must end in .csv, .parquet or .json" in capsys.readouterr().err
    assert main(["report", str(DATA / "synthetic_day.log"), "--calls", str(tmp_path / "no" / "c.csv")]) == 1
    assert list(tmp_path.iterdir()) == []
    assert main(["report", str(DATA / "synthetic_day.log"), "--service-level", "20,abc"]) == 2


def test_per_call_table_input(tmp_path, capsys):
    calls = tmp_path / "export.csv"
    pd.DataFrame({"skill": ["sales", "sales", "support"], "outcome": ["answered", "abandoned", "full"],
                  "enter": ["2026-03-02T09:00:00", "2026-03-02T09:01:00", "2026-03-02T09:02:00"],
                  "leave": ["2026-03-02T09:00:30", "2026-03-02T09:01:10", "2026-03-02T09:02:00"]}).to_csv(calls, index=False)
    assert main(["report", str(calls), "--format", "calls", "--by", "queue", "--column", "queue=skill"]) == 0
    out = capsys.readouterr().out
    assert "2 queues" in out and "Queued" in out and "Calls: 3 rows read" in out
    out_file = tmp_path / "q.csv"
    assert main(["report", str(calls), "--format", "calls", "--by", "queue", "--column", "queue=skill",
                 "--interval", "15", "-o", str(out_file), "-q"]) == 0
    frame = pd.read_csv(out_file).set_index("queue")
    assert (frame.loc["sales", "total_calls_queued"], frame.loc["support", "refused"]) == (2, 1)
    # a bad row is named, with the file
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"queue": ["q"], "outcome": ["lost"], "enter": [1]}).to_csv(bad, index=False)
    assert main(["report", str(bad), "--format", "calls", "--by", "queue"]) == 1
    assert f"{bad}: row 0: outcome 'lost'" in capsys.readouterr().err
    assert main(["report", str(calls), "--format", "calls"]) == 1        # needs --by queue
    assert main(["report", str(calls), "--format", "calls", "--by", "queue", "--calls", str(tmp_path / "c.csv"),
                 "--column", "queue=skill"]) == 1
    assert "already a call table" in capsys.readouterr().err
    assert main(["report", str(DATA / "events.csv"), "--column", "session=sid", "--column", "time=ts",
                 "--column", "state=status", "--calls", str(tmp_path / "c.csv")]) == 1
    assert "--calls needs a queue_log input" in capsys.readouterr().err
    assert not (tmp_path / "c.csv").exists()


def test_calls_file_reads_back_as_a_call_table(tmp_path):
    # --calls writes what --format calls reads: the same queue statistics either way.
    calls, direct, again = tmp_path / "calls.csv", tmp_path / "direct.csv", tmp_path / "again.csv"
    assert main(["demo", "--by", "queue", "--calls", str(calls), "-o", str(direct), "-q"]) == 0
    assert main(["report", str(calls), "--format", "calls", "--by", "queue", "-o", str(again), "-q",
                 "--as-of", "2026-03-02T22:09:12"]) == 0     # the demo log's end (its last CLOSED)
    a, b = pd.read_csv(direct), pd.read_csv(again)
    assert a[list(b.columns)].equals(b)


def test_a_closed_pipe_ends_quietly(monkeypatch, capsys):
    # `agentstats report ... | head`: the reader goes away; no traceback, exit 141 as a shell's
    import agentstats.cli as cli

    def closed(argv):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(cli, "_main", closed)
    assert cli.main(["demo"]) == 141
    assert "Traceback" not in capsys.readouterr().err
