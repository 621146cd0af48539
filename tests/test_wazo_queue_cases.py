"""Wazo's queue-statistics cases (xivo-dao: tests of queue_log_dao, stat_call_on_queue_dao
and stat_dao), replayed as queue_log files through the importer, `queue_stats` and the
command line. Each test says what Wazo expects; where agentstats counts differently the
difference is asserted exactly and docs/choices.md ("Where agentstats differs from Wazo's
queue statistics") says why. Wazo's times have microseconds; a queue_log has whole
seconds, so they are cut to the second (no case depends on the fraction)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import agentstats
from agentstats.cli import main
from agentstats.io.queue_log import import_queue_log

MINUTES = (-1, 0, 10, 30, 59, 60, 120)          # Wazo's leave times, minutes after 01:00
# Wazo draws each wait at random in 1..11 s; fixed here, one per call.
WAITS = {-1: 3, 0: 1, 10: 7, 30: 11, 59: 4, 60: 2, 120: 9}
ONE_AM = pd.Timestamp("2012-01-01 01:00:00")


def epoch(when) -> int:
    return int(pd.Timestamp(when).timestamp())


def write_log(path, rows) -> None:
    """rows: (time, callid, queue, agent, verb, data...) with an ISO time or a Timestamp."""
    path.write_text("".join("|".join([str(epoch(r[0])), *map(str, r[1:])]) + "\n" for r in rows))


def hourly(result, interval=60, **options) -> dict:
    """{(queue, interval start): row} of the per-queue-per-interval statistics."""
    return {(r["queue"], pd.Timestamp(r["interval_start"])): r
            for r in agentstats.queue_stats(result, interval=interval, **options).rows()}


def exits_by_leave_minute(verb: str) -> list[tuple]:
    """Wazo's _insert_abandon / _insert_timeout / _insert_leaveempty: a call per minute in
    MINUTES leaves at 01:00 + minute after waiting WAITS[minute] seconds."""
    rows = []
    for minute in MINUTES:
        leave = ONE_AM + pd.Timedelta(minutes=minute)
        enter = leave - pd.Timedelta(seconds=WAITS[minute])
        callid = f"143897234.{minute + 200}"
        rows.append((enter, callid, "q1", "NONE", "ENTERQUEUE", "", "0612345678", "1"))
        if verb == "LEAVEEMPTY":
            rows.append((leave, callid, "q1", "NONE", "LEAVEEMPTY"))
        else:
            rows.append((leave, callid, "q1", "NONE", verb, "1", "1", WAITS[minute]))
    return sorted(rows, key=lambda r: r[0])


@pytest.mark.parametrize("verb, outcome, column", [
    ("ABANDON", "abandoned", "total_calls_abandoned"),          # test_get_queue_abandoned_call
    ("EXITWITHTIMEOUT", "timed_out", "timed_out"),              # test_get_queue_timeout_call
    ("LEAVEEMPTY", "exited_empty", "exited_empty"),             # _insert_leaveempty
])
def test_calls_count_in_the_hour_they_entered(tmp_path, verb, outcome, column):
    # Wazo's expected list: the calls whose *enter* time is in [01:00, 02:00): those that
    # left at 10, 30, 59 and 60 minutes (the one leaving at 01:00:00 entered at 00:59:59,
    # the one leaving at 02:00 entered at 01:59:58), each with its wait and no talk.
    write_log(tmp_path / "queue_log", exits_by_leave_minute(verb))
    result = import_queue_log(tmp_path / "queue_log")
    calls = result.calls
    assert (calls["outcome"] == outcome).all() and len(calls) == len(MINUTES)
    in_hour = calls[(calls["enter"] >= ONE_AM) & (calls["enter"] < ONE_AM + pd.Timedelta(hours=1))]
    assert sorted(in_hour["wait"].astype(int)) == sorted(WAITS[m] for m in (10, 30, 59, 60))
    assert in_hour["talk"].isna().all()
    rows = hourly(result)
    one = rows[("q1", ONE_AM)]
    assert (one["total_calls_queued"], one[column]) == (4, 4)
    assert one["longest_ever_wait_time"] == max(WAITS[m] for m in (10, 30, 59, 60))
    assert rows[("q1", ONE_AM - pd.Timedelta(hours=1))][column] == 2     # minutes -1 and 0
    assert rows[("q1", ONE_AM + pd.Timedelta(hours=1))][column] == 1     # minute 120 (entered 02:59:51)
    expected_source = "measured" if verb == "LEAVEEMPTY" else "logged"
    assert (calls["wait_source"] == expected_source).all()


TRANSFER_AT_HOUR_BORDER = [
    # New call in queue2, answered by Agent/1002, who blind-transfers it to queue1
    ("2015-05-06 11:59:52", "1430927991.36", "queue2", "NONE", "ENTERQUEUE", "", "0612345678", "1"),
    ("2015-05-06 12:00:02", "1430927991.36", "queue2", "Agent/1002", "CONNECT", "10", "1430927992.37", "9"),
    ("2015-05-06 12:00:10", "1430927991.36", "queue2", "Agent/1002", "COMPLETECALLER", "10", "8", "1"),
    ("2015-05-06 12:00:10", "1430927991.36", "queue1", "NONE", "ENTERQUEUE", "", "0612345678", "1"),
    ("2015-05-06 12:00:25", "1430927991.36", "queue1", "Agent/1001", "RINGNOANSWER", "15000"),
]


@pytest.mark.parametrize("verb, outcome, column", [
    ("ABANDON", "abandoned", "total_calls_abandoned"),
    ("EXITWITHTIMEOUT", "timed_out", "timed_out"),
])
def test_call_after_a_transfer_at_the_hour_border(tmp_path, capsys, verb, outcome, column):
    # test_get_queue_{abandoned,timeout}_call_following_transfer_at_hour_border: the queue1
    # stay (entered 12:00:10) is in the 12:00 hour, none in the 11:00 hour; the queue2 stay
    # it came from was answered in the 11:00 hour.
    write_log(tmp_path / "queue_log",
              TRANSFER_AT_HOUR_BORDER + [("2015-05-06 12:00:29", "1430927991.36", "queue1", "NONE", verb,
                                          "1", "1", "19" if verb == "ABANDON" else "20")])
    result = import_queue_log(tmp_path / "queue_log")
    calls = result.calls.set_index("queue")
    assert calls.loc["queue2", "outcome"] == "answered"
    assert (calls.loc["queue2", "wait"], calls.loc["queue2", "talk"]) == (10, 8)
    assert calls.loc["queue1", "outcome"] == outcome
    # an answered call that is transferred on is a new stay, not a flow (docs/choices.md)
    assert pd.isna(calls.loc["queue1", "flowed_in_from"]) and pd.isna(calls.loc["queue2", "flowed_out_to"])
    rows = hourly(result)
    eleven, noon = pd.Timestamp("2015-05-06 11:00"), pd.Timestamp("2015-05-06 12:00")
    assert ("queue1", eleven) not in rows
    assert rows[("queue1", noon)][column] == 1 and rows[("queue1", noon)]["total_calls_queued"] == 1
    assert (rows[("queue2", eleven)]["answered"], rows[("queue2", eleven)]["average_speed_of_answer"]) == (1, 10)
    # the command line's per-queue-per-hour file says the same
    out = tmp_path / "queues.csv"
    assert main(["report", str(tmp_path / "queue_log"), "--by", "queue", "--interval", "60", "-q",
                 "-o", str(out)]) == 0
    frame = pd.read_csv(out)
    queue1 = frame[frame["queue"] == "queue1"]
    assert len(queue1) == 1 and queue1.iloc[0][column] == 1
    assert queue1.iloc[0]["interval_start"].startswith("2015-05-06")
    assert "12:00" in queue1.iloc[0]["interval_start"]


def test_abandon_without_its_enterqueue(tmp_path):
    # test_get_queue_abandoned_call_no_enterqueue: Wazo finds 1 abandoned call in the 12:00
    # hour (callid 1) and ignores callid 2, whose ENTERQUEUE is not in the log. agentstats
    # keeps callid 2 (its ENTERQUEUE may be in the previous, rotated file): it entered
    # 12:00:12 - 30 s = 11:59:42, so it is in the 11:00 hour. Callid 1's logged wait (19 s)
    # is kept although the log shows 1 s (docs/choices.md).
    write_log(tmp_path / "queue_log", [
        ("2015-05-06 12:00:10", "1", "queue1", "NONE", "ENTERQUEUE", "", "0612345678", "1"),
        ("2015-05-06 12:00:11", "1", "queue1", "NONE", "ABANDON", "1", "1", "19"),
        ("2015-05-06 12:00:12", "2", "queue1", "NONE", "ABANDON", "1", "1", "30"),
    ])
    result = import_queue_log(tmp_path / "queue_log")
    rows = hourly(result)
    assert rows[("queue1", pd.Timestamp("2015-05-06 12:00"))]["total_calls_abandoned"] == 1     # as Wazo
    assert rows[("queue1", pd.Timestamp("2015-05-06 11:00"))]["total_calls_abandoned"] == 1     # Wazo: none
    calls = result.calls.set_index("callid")
    assert calls.loc["2", "enter"] == pd.Timestamp("2015-05-06 11:59:42")
    assert (calls.loc["1", "wait"], calls.loc["1", "wait_source"]) == (19, "logged")
    assert result.diagnostics["counted"] == {}


FIFTEEN = (-5, 5, 15, 22, 35, 65, 120)          # minutes after 2012-01-01 00:00
MIDNIGHT = pd.Timestamp("2012-01-01 00:00:00")


@pytest.mark.parametrize("verb", ["FULL", "CLOSED", "JOINEMPTY"])
def test_refused_calls_per_quarter_hour_and_hour(tmp_path, verb):
    # test_get_periodic_stats_full / _closed: per quarter 00:00 -> 1, 00:15 -> 2, 00:30 -> 1;
    # 4 in the first hour. Wazo's counter is per verb; here they are `refused` (full,
    # joinempty and closed beside each other in the per-call table).
    write_log(tmp_path / "queue_log", [(MIDNIGHT + pd.Timedelta(minutes=m), f"callid{m}", "test_queue", "NONE", verb)
                                       for m in FIFTEEN])
    result = import_queue_log(tmp_path / "queue_log")
    assert (result.calls["outcome"] == verb.lower()).all()
    quarters = hourly(result, interval=15)
    assert [quarters[("test_queue", MIDNIGHT + pd.Timedelta(minutes=m))]["refused"] for m in (0, 15, 30)] == [1, 2, 1]
    hours = hourly(result, interval=60)
    assert hours[("test_queue", MIDNIGHT)]["refused"] == 4
    assert all(row["total_calls_queued"] == 0 for row in hours.values())


def test_period_total_of_full_closed_and_abandoned(tmp_path):
    # test_get_periodic_stats_total: full and closed calls at the seven minutes and one
    # abandoned call at 00:00. Wazo's "total" per quarter: 3, 4, 2; per hour: 9. Here the
    # refused calls are not queued (docs/choices.md): refused + queued gives Wazo's total.
    rows = []
    for m in FIFTEEN:
        at = MIDNIGHT + pd.Timedelta(minutes=m)
        rows += [(at, f"callid{m}-full", "q", "NONE", "FULL"), (at, f"callid{m}-closed", "q", "NONE", "CLOSED")]
    rows += [(MIDNIGHT, "other", "q", "NONE", "ENTERQUEUE", "", "1", "1"),
             (MIDNIGHT + pd.Timedelta(seconds=42), "other", "q", "NONE", "ABANDON", "1", "1", "42")]
    write_log(tmp_path / "queue_log", sorted(rows, key=lambda r: r[0]))
    result = import_queue_log(tmp_path / "queue_log")
    quarters = hourly(result, interval=15)
    totals = [quarters[("q", MIDNIGHT + pd.Timedelta(minutes=m))] for m in (0, 15, 30)]
    assert [r["refused"] + r["total_calls_queued"] for r in totals] == [3, 4, 2]
    assert [r["total_calls_queued"] for r in totals] == [1, 0, 0]
    hour = hourly(result, interval=60)[("q", MIDNIGHT)]
    assert (hour["refused"], hour["total_calls_queued"], hour["total_calls_abandoned"]) == (8, 1, 1)
    assert hour["refused"] + hour["total_calls_queued"] == 9
    assert hour["longest_ever_wait_time"] == 42


@pytest.mark.parametrize("tz", [None, "Asia/Shanghai"])
def test_leaveempty_and_refused_by_period(tmp_path, tz):
    # stat_dao TestFillLeaveEmptyCall / TestFillSimpleCall: a LEAVEEMPTY one second after
    # its ENTERQUEUE on 2020-01-01 (wait 1, measured), another on 2020-02-01 (wait 0); a
    # FULL on 2020-01-01 and a CLOSED on 2020-02-01. In January: the first of each only,
    # also with the period given in Asia/Shanghai (+08).
    write_log(tmp_path / "queue_log", [
        ("2020-01-01 00:00:00", "1404377805.6457", "found_queue", "NONE", "ENTERQUEUE", "", "1", "1"),
        ("2020-01-01 00:00:00", "1404377805.6458", "found_queue", "NONE", "FULL"),
        ("2020-01-01 00:00:01", "1404377805.6457", "found_queue", "NONE", "LEAVEEMPTY"),
        ("2020-02-01 00:00:00", "1000000000.0000", "ignored_queue", "NONE", "ENTERQUEUE", "", "1", "1"),
        ("2020-02-01 00:00:00", "1000000000.0000", "ignored_queue", "NONE", "LEAVEEMPTY"),
        ("2020-02-01 00:00:00", "1000000000.0001", "ignored_queue", "NONE", "CLOSED"),
    ])
    result = import_queue_log(tmp_path / "queue_log")
    calls = result.calls.set_index("callid")
    assert (calls.loc["1404377805.6457", "outcome"], calls.loc["1404377805.6457", "wait"]) == ("exited_empty", 1)
    assert calls.loc["1404377805.6457", "wait_source"] == "measured"
    assert calls.loc["1000000000.0000", "wait"] == 0
    days = {(r["queue"], pd.Timestamp(r["interval_start"]).strftime("%Y-%m")): r
            for r in agentstats.queue_stats(result, interval="day", tz=tz).rows()}
    january = [key for key in days if key[1] == "2020-01"]
    assert january == [("found_queue", "2020-01")]
    found = days[("found_queue", "2020-01")]
    assert (found["exited_empty"], found["refused"], found["longest_ever_wait_time"]) == (1, 1, 1)
    assert days[("ignored_queue", "2020-02")]["refused"] == 1


def test_answered_call_and_an_incomplete_one(tmp_path):
    # stat_dao TestFillAnsweredCall: ENTERQUEUE 10:57:11, CONNECT 10:57:19 (hold 8),
    # COMPLETEAGENT 11:06:10 (talk 531): one answered call, counted once, in the 10:00
    # hour where it entered. Wazo adds no call for an ENTERQUEUE + CONNECT without its end
    # line; agentstats reports it answered with its talk missing (docs/choices.md).
    enter = ("2014-07-03 10:57:11", "{c}", "swk_allemagne", "NONE", "ENTERQUEUE", "", "00049242184770", "1")
    connect = ("2014-07-03 10:57:19", "{c}", "swk_allemagne", "Agent/448", "CONNECT", "8", "1404377831.6460", "4")
    complete = ("2014-07-03 11:06:10", "{c}", "swk_allemagne", "Agent/448", "COMPLETEAGENT", "8", "531", "1")

    def call(callid, *rows):
        return [tuple(callid if part == "{c}" else part for part in row) for row in rows]

    write_log(tmp_path / "queue_log", sorted(call("1404377805.6457", enter, connect, complete)
                                             + call("1404377805.6459", enter, connect), key=lambda r: r[0]))
    result = import_queue_log(tmp_path / "queue_log")
    calls = result.calls.set_index("callid")
    done, open_ = calls.loc["1404377805.6457"], calls.loc["1404377805.6459"]
    assert (done["outcome"], done["agent"], done["wait"], done["talk"]) == ("answered", "Agent/448", 8, 531)
    assert done["ended_by"] == "COMPLETEAGENT"
    assert open_["outcome"] == "answered" and pd.isna(open_["talk"])
    rows = hourly(result)
    ten = rows[("swk_allemagne", pd.Timestamp("2014-07-03 10:00"))]
    assert (ten["total_calls_queued"], ten["answered"], ten["average_speed_of_answer"]) == (2, 2, 8)
    assert ("swk_allemagne", pd.Timestamp("2014-07-03 11:00")) not in rows


def test_missing_waits(tmp_path):
    # Wazo writes no data3 when a wait is 0 (`if d3:`): the wait is then measured from the
    # ENTERQUEUE; without an ENTERQUEUE it is missing, and the call counts where it left.
    write_log(tmp_path / "queue_log", [
        ("2012-01-01 01:00:00", "a", "q1", "NONE", "ENTERQUEUE", "", "1", "1"),
        ("2012-01-01 01:00:05", "a", "q1", "NONE", "ABANDON", "1", "1", ""),
        ("2012-01-01 01:59:59", "b", "q1", "NONE", "ENTERQUEUE", "", "1", "1"),
        ("2012-01-01 02:00:00", "b", "q1", "NONE", "EXITWITHTIMEOUT", "1", "1", ""),
        ("2012-01-01 02:10:00", "c", "q1", "NONE", "EXITWITHTIMEOUT", "1", "1", ""),
    ])
    result = import_queue_log(tmp_path / "queue_log")
    calls = result.calls.set_index("callid")
    assert [calls.loc[c, "wait"] for c in "ab"] == [5, 1]
    assert pd.isna(calls.loc["c", "wait"]) and pd.isna(calls.loc["c", "enter"])
    rows = hourly(result)
    one, two = rows[("q1", ONE_AM)], rows[("q1", ONE_AM + pd.Timedelta(hours=1))]
    assert (one["total_calls_abandoned"], one["timed_out"], one["longest_ever_wait_time"]) == (1, 1, 5)
    assert (two["timed_out"], two["total_calls_queued"]) == (1, 1)
    assert two["longest_ever_wait_time"] is None or pd.isna(two["longest_ever_wait_time"])
    assert dt.datetime(2012, 1, 1, 2) == two["interval_start"]
