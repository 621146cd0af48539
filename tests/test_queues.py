"""Per-queue and per-interval queue statistics (SPEC 8.2): hand-derived values, the
plain-Python twin, identities on generated logs, entry points."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import agentstats
from agentstats.io.queue_log import import_queue_log
from agentstats.queues import STAT_COLUMNS, queue_stats
from queue_twins import twin_calls, twin_queue_stats
from test_queue_calls import HAND, H, call_logs, log_text, plain

ADDITIVE = ("total_calls_queued", "current_calls_queued", "answered", "total_calls_abandoned",
            "timed_out", "exited_empty", "exited_with_key", "refused", "total_calls_flowed_in",
            "total_calls_flowed_out", "final_disposition")


@pytest.fixture
def hand(tmp_path):
    path = tmp_path / "queue_log"
    path.write_text(log_text(HAND))
    return import_queue_log(path)


def by_queue(table) -> dict:
    return {row["queue"]: row for row in table.rows()}


def test_hand_per_queue(hand):
    # as_of = the log's end, H + 3900. Derivations in test_queue_calls.HAND.
    rows = by_queue(hand.queue_stats(service_level=(10, 20, 60)))
    q1, q2, q3 = rows["q1"], rows["q2"], rows["q3"]
    # q1: c1 answered 12, c2 abandoned 30, c3 timed out 60 (flowed to q2), c4 FULL,
    #     c6 answered 10, c7 abandoned 25 (measured), c8 answered 15 (entered 3785),
    #     c9 timed out (entry and wait unknown)
    assert {k: q1[k] for k in ADDITIVE} == {
        "total_calls_queued": 7, "current_calls_queued": 0, "answered": 3,
        "total_calls_abandoned": 2, "timed_out": 2, "exited_empty": 0, "exited_with_key": 0,
        "refused": 1, "total_calls_flowed_in": 0, "total_calls_flowed_out": 1, "final_disposition": 3}
    assert (q1["longest_ever_wait_time"], q1["current_longest_wait_time"]) == (60, None)
    assert q1["average_wait_time"] == (12 + 30 + 60 + 10 + 25 + 15) // 6       # 25
    assert q1["average_speed_of_answer"] == (12 + 10 + 15) // 3               # 12
    assert math.isclose(q1["abandon_rate"], 2 / 7)
    assert (q1["answered_within_10s"], q1["answered_within_20s"], q1["answered_within_60s"]) == (1, 3, 3)
    assert math.isclose(q1["service_level_20s"], 3 / 7)
    # q2: c5 left empty (10), c5 again pressed a key (9, from q3), c3 answered (9, from q1),
    #     c6 still waiting since 3631 (269 s at as_of)
    assert {k: q2[k] for k in ADDITIVE} == {
        "total_calls_queued": 4, "current_calls_queued": 1, "answered": 1,
        "total_calls_abandoned": 0, "timed_out": 0, "exited_empty": 1, "exited_with_key": 1,
        "refused": 0, "total_calls_flowed_in": 2, "total_calls_flowed_out": 1, "final_disposition": 1}
    assert (q2["longest_ever_wait_time"], q2["current_longest_wait_time"]) == (269, 269)
    assert (q2["average_wait_time"], q2["average_speed_of_answer"]) == (9, 9)
    assert q2["abandon_rate"] == 0.0
    # q3: c5 exited empty (9), c10 waiting since 3830 (70 s), c11 CLOSED
    assert {k: q3[k] for k in ("total_calls_queued", "current_calls_queued", "refused",
                               "total_calls_flowed_in", "total_calls_flowed_out", "final_disposition")} == {
        "total_calls_queued": 2, "current_calls_queued": 1, "refused": 1,
        "total_calls_flowed_in": 1, "total_calls_flowed_out": 1, "final_disposition": 0}
    assert (q3["longest_ever_wait_time"], q3["current_longest_wait_time"]) == (70, 70)
    assert q3["average_speed_of_answer"] is None                     # no answered call: missing
    assert q3["service_level_20s"] == 0.0


def test_hand_per_hour(hand):
    # Each call counts in the hour it entered: c6 entered q1 at 3580 (first hour) and q2,
    # after the transfer, at 3631 (second hour); c9 (entry unknown) where it left, 3810.
    frame = hand.queue_stats(interval=60).to_pandas()
    got = {(r.queue, int((r.interval_start - pd.Timestamp(H, unit="s")).total_seconds())):
           (r.total_calls_queued, r.refused, r.current_calls_queued) for r in frame.itertuples()}
    assert got == {("q1", 0): (4, 1, 0), ("q1", 3600): (3, 0, 0), ("q2", 0): (3, 0, 0),
                   ("q2", 3600): (1, 0, 1), ("q3", 0): (1, 0, 0), ("q3", 3600): (1, 1, 1)}


def test_point_in_time(hand):
    # At H+65 c3 is still waiting in q1 (it times out at 70): 55 s so far.
    q1 = by_queue(hand.queue_stats(as_of=H + 65))["q1"]
    assert (q1["total_calls_queued"], q1["current_calls_queued"], q1["timed_out"]) == (3, 1, 0)
    assert (q1["current_longest_wait_time"], q1["longest_ever_wait_time"]) == (55, 55)
    assert q1["total_calls_flowed_out"] == 0 and q1["refused"] == 1


def test_matches_twin_on_hand_log(hand):
    lines = [line.split("|") for line in log_text(HAND).splitlines()]
    for interval in (None, 15, 60, "day"):
        for as_of in (H + 65, H + 3631, H + 3900):
            assert_same_as_twin(hand, lines, interval=interval, as_of=as_of)


def assert_same_as_twin(result, lines, *, interval, as_of, thresholds=(0, 20, 60)):
    calls = twin_calls(lines)[0]
    step = {None: None, "day": 86400}.get(interval, interval if interval is None else None)
    if isinstance(interval, int):
        step = interval * 60
    want = twin_queue_stats(calls, as_of=as_of, interval=step, thresholds=thresholds)
    table = result.queue_stats(interval=interval, as_of=as_of, service_level=thresholds)
    got = {}
    for row in table.rows():
        start = None if interval is None else int(pd.Timestamp(row["interval_start"]).timestamp())
        got[(row["queue"], start)] = {k: v for k, v in row.items() if k not in ("queue", "interval_start")}
    if interval is None:     # every queue has a row, even with no call by as_of
        got = {k: v for k, v in got.items() if k in want or v["total_calls_queued"] + v["refused"]}
    assert got.keys() == want.keys()
    for key in want:
        for name, value in want[key].items():
            mine = got[key][name]
            if isinstance(value, float):
                assert math.isclose(mine, value), (key, name)
            else:
                assert mine == value, (key, name, mine, value)
    check_identities(result, as_of=as_of)


def check_identities(result, *, as_of):
    """SPEC 8.2: per-queue totals are the sums over intervals; every queued call is in
    exactly one outcome or still waiting."""
    totals = result.queue_stats(as_of=as_of).to_pandas().set_index("queue")
    for interval in (15, 60, "day"):
        parts = result.queue_stats(interval=interval, as_of=as_of).to_pandas()
        summed = parts.groupby("queue")[list(ADDITIVE)].sum()
        for queue in summed.index:
            assert (summed.loc[queue] == totals.loc[queue, list(ADDITIVE)]).all(), (interval, queue)
        longest = parts.groupby("queue")["longest_ever_wait_time"].max()
        for queue in longest.index:
            assert plain(longest[queue]) == plain(totals.loc[queue, "longest_ever_wait_time"])
    outcomes = (totals["answered"] + totals["total_calls_abandoned"] + totals["timed_out"]
                + totals["exited_empty"] + totals["exited_with_key"] + totals["current_calls_queued"])
    assert (outcomes == totals["total_calls_queued"]).all()
    assert (totals["final_disposition"] <= totals["total_calls_queued"] - totals["answered"]).all()


@settings(max_examples=100)
@given(call_logs(), st.sampled_from([None, 15, 60, "day"]), st.integers(0, 9000))
def test_stats_match_twin(tmp_path_factory, lines, interval, offset):
    path = tmp_path_factory.mktemp("log") / "queue_log"
    path.write_text("".join("|".join([str(H + line[0]), *line[1:]]) + "\n" for line in lines))
    result = import_queue_log(path)
    split = [[str(H + line[0]), *line[1:]] for line in lines]
    assert_same_as_twin(result, split, interval=interval, as_of=H + offset)
    # the per-call table, read back as another system's export, gives the same statistics
    from agentstats.io.calls import call_columns

    end = result.table.as_of
    if end is not None and len(result.calls):
        again = queue_stats(call_columns(result.calls), interval=interval, as_of=pd.Timestamp(end, unit="s"))
        assert again.to_pandas().equals(result.queue_stats(interval=interval, as_of=end).to_pandas())


# -- entry points -----------------------------------------------------------------------


def test_top_level_entry_point_and_formats(hand):
    table = agentstats.queue_stats(hand, interval=15, service_level=[20, 60])
    frame = table.to_pandas()
    assert list(frame.columns[:2]) == ["queue", "interval_start"]
    assert set(STAT_COLUMNS) <= set(frame.columns)
    assert {"service_level_20s", "service_level_60s", "answered_within_60s"} <= set(frame.columns)
    arrow = table.to_arrow()
    assert arrow.num_rows == len(frame)
    assert table.intervals[0] == pd.Timestamp(H, unit="s").to_pydatetime()
    assert frame["average_speed_of_answer"].dtype == "Int64"


def test_per_call_frame_round_trip(hand):
    # The per-call table of a queue_log, re-read as a generic call table, gives the same stats.
    from agentstats.io.calls import call_columns

    again = queue_stats(call_columns(hand.calls), as_of=pd.Timestamp(H + 3900, unit="s"),
                        service_level=(20,))
    assert again.to_pandas().equals(hand.queue_stats(service_level=(20,)).to_pandas())


def test_negative_wait_is_refused():
    from agentstats.queues import MISSING, CallColumns

    cols = CallColumns(queue=np.zeros(2, np.int32), queue_names=["q"], enter=np.array([0, 5]),
                       leave=np.array([3, 9]), wait=np.array([3, -4]), outcome=np.array([1, 2], np.int8),
                       flowed_in=np.zeros(2, bool), flowed_out_at=np.full(2, MISSING))
    with pytest.raises(ValueError, match=r"row 1: negative wait \(-4 ticks\)"):
        queue_stats(cols)


@pytest.mark.parametrize("bad, message", [
    (dict(interval=0), "interval"), (dict(interval=1.5), "interval"),
    (dict(service_level=(-1,)), "threshold"), (dict(service_level=("20",)), "threshold"),
])
def test_bad_options(hand, bad, message):
    with pytest.raises(ValueError, match=message):
        hand.queue_stats(**bad)


def test_empty_log(tmp_path):
    path = tmp_path / "queue_log"
    path.write_text("1|NONE|NONE|NONE|QUEUESTART|\n")
    result = import_queue_log(path)
    assert len(result.calls) == 0
    assert len(result.queue_stats().to_pandas()) == 0
    assert len(result.queue_stats(interval=15).to_pandas()) == 0


def test_sparse_intervals_same_as_dense(monkeypatch):
    # Calls months apart with 1-minute intervals: the cells present are numbered instead
    # of indexed directly; both ways give the same table.
    from agentstats.queues import CallColumns
    import agentstats.queues as q

    n = 6
    enter = np.array([0, 10, 20, 10**7, 10**7 + 5, 2 * 10**7], dtype=np.int64)
    cols = CallColumns(queue=np.array([0, 1, 0, 0, 1, 1], np.int32), queue_names=["a", "b"],
                       enter=enter, leave=enter + 7, wait=np.full(n, 7, np.int64),
                       outcome=np.array([1, 2, 1, 3, 1, 1], np.int8), flowed_in=np.zeros(n, bool),
                       flowed_out_at=np.full(n, q.MISSING, np.int64))
    dense = queue_stats(cols, interval=1).to_pandas()
    monkeypatch.setattr(q, "_DIRECT_GROUPS", 4)
    sparse = queue_stats(cols, interval=1).to_pandas()
    assert sparse.equals(dense) and len(sparse) == 5


# -- the ITQueue facade (SPEC 8.2, 4.2, 7.2) ----------------------------------------------

import ctypes  # noqa: E402

from agentstats.hresult import (E_INVALIDARG, E_POINTER, LINEERR_INVALPARAM,  # noqa: E402
                                LINEERR_OPERATIONFAILED, S_OK, TapiError)

GETTERS = ("TotalCallsQueued", "CurrentCallsQueued", "TotalCallsAbandoned", "TotalCallsFlowedIn",
           "TotalCallsFlowedOut", "LongestEverWaitTime", "CurrentLongestWaitTime",
           "AverageWaitTime", "FinalDisposition")


def test_itqueue_getters(hand):
    q1 = hand.queue_stats().queue("q1")
    assert (q1.get_Name(), q1.Name) == ("q1", "q1")
    assert [getattr(q1, f"get_{g}")() for g in GETTERS] == [7, 0, 2, 0, 1, 60, 0, 25, 3]
    assert q1.TotalCallsQueued == 7 and q1.CurrentLongestWaitTime == 0     # none waiting: 0
    q2 = agentstats.ITQueue(hand, "q2", as_of=H + 3900)
    assert (q2.CurrentCallsQueued, q2.CurrentLongestWaitTime, q2.TotalCallsFlowedIn) == (1, 269, 2)
    # from an import result, the report time is the log's end (not its last call)
    assert agentstats.ITQueue(hand, "q2").CurrentLongestWaitTime == 269
    assert agentstats.queue_stats(hand).to_pandas().equals(hand.queue_stats().to_pandas())


@pytest.mark.parametrize("getter", GETTERS)
def test_itqueue_com_form(hand, getter):
    q1 = hand.queue_stats().queue("q1")
    out = ctypes.c_long(-1)
    assert getattr(q1, f"get_{getter}")(ctypes.pointer(out)) == S_OK
    assert out.value == getattr(q1, f"get_{getter}")()
    for bad in (None, ctypes.POINTER(ctypes.c_long)(), ctypes.pointer(ctypes.c_double()), 5, ctypes.c_long()):
        assert getattr(q1, f"get_{getter}")(bad) == E_POINTER
    name = ctypes.py_object()
    assert q1.get_Name(ctypes.pointer(name)) == S_OK and name.value == "q1"
    assert q1.get_Name(ctypes.pointer(ctypes.c_long())) == E_POINTER


def test_itqueue_measurement_period(hand):
    # Default: the whole log, from the first call (H) to the report time (H + 3900).
    q1 = hand.queue_stats().queue("q1")
    assert q1.get_MeasurementPeriod() == 3900
    # The last 150 s: [H+3750, H+3900] holds c8 (entered 3785) and c9 (seen at 3810).
    assert q1.put_MeasurementPeriod(150) == S_OK
    assert (q1.MeasurementPeriod, q1.TotalCallsQueued, q1.FinalDisposition, q1.AverageWaitTime) == (150, 2, 1, 15)
    q1.MeasurementPeriod = 3900
    assert q1.TotalCallsQueued == 7
    for bad in (0, -5, 1.5, True):
        with pytest.raises(TapiError) as caught:
            q1.put_MeasurementPeriod(bad)
        assert caught.value.hresult == E_INVALIDARG
    assert q1.MeasurementPeriod == 3900            # unchanged by the refused puts
    out = ctypes.c_long()
    assert q1.get_MeasurementPeriod(ctypes.byref(out)) == S_OK and out.value == 3900


def test_itqueue_errors():
    from agentstats.queues import MISSING, CallColumns

    huge = 3 * 10**9           # seconds: beyond a 32-bit long
    cols = CallColumns(queue=np.array([0], np.int32), queue_names=["q"], enter=np.array([0], np.int64),
                       leave=np.array([huge], np.int64), wait=np.array([huge], np.int64),
                       outcome=np.array([2], np.int8), flowed_in=np.zeros(1, bool),
                       flowed_out_at=np.array([MISSING], np.int64))
    q = agentstats.ITQueue(cols, "q")
    assert q.TotalCallsAbandoned == 1
    with pytest.raises(TapiError) as caught:
        q.get_LongestEverWaitTime()
    assert caught.value.hresult == LINEERR_OPERATIONFAILED
    assert q.get_AverageWaitTime(ctypes.pointer(ctypes.c_long())) == LINEERR_OPERATIONFAILED
    with pytest.raises(TapiError) as caught:
        agentstats.ITQueue(cols, "nope")
    assert caught.value.hresult == LINEERR_INVALPARAM


def test_report_time_is_the_logs_end(tmp_path):
    # The log ends 100 s after its last call line: c6 has waited in q2 since 3631 -> 369 s.
    path = tmp_path / "queue_log"
    path.write_text(log_text(HAND) + f"{H + 4000}|NONE|NONE|NONE|CONFIGRELOAD|\n")
    result = import_queue_log(path)
    assert by_queue(result.queue_stats())["q2"]["current_longest_wait_time"] == 369
    assert by_queue(agentstats.queue_stats(result))["q2"]["current_longest_wait_time"] == 369
    assert agentstats.ITQueue(result, "q2").CurrentLongestWaitTime == 369
