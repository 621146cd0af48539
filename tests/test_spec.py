"""Hand-made cases, one or more per SPEC section (sections 1-3; the facade is in
test_facade.py). Each case is checked against the reference and, where the SPEC gives a
number, against that number written out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import agentstats
from agentstats.hresult import LINEERR_INVALAGENTSESSIONSTATE, LINEERR_OPERATIONFAILED, TapiError
from checks import assert_same_as_reference

NR, RD, CALL, WRAP, END = range(5)


def one(table, key=0):
    return table.to_pandas().set_index("session").loc[key]


# -- SPEC 1: event model ------------------------------------------------------------


def test_spec_1_1_rows_in_any_order():
    """Shuffling rows changes nothing."""
    session = [0, 0, 0, 0, 1, 1]
    time = [0, 10, 30, 35, 3, 9]
    state = [RD, CALL, WRAP, RD, RD, END]
    forward = assert_same_as_reference(session, time, state)
    backward = assert_same_as_reference(session[::-1], time[::-1], state[::-1])
    assert forward.to_pandas().equals(backward.to_pandas())


def test_spec_1_1_ties_keep_input_order():
    """Two events of one session at the same time: the later row is applied last."""
    # READY then CALL at t=5: the state in force after t=5 is CALL.
    table = assert_same_as_reference([0, 0, 0], [0, 5, 5], [NR, RD, CALL], as_of=20)
    assert one(table)["total_talk_time"] == 15
    # CALL then READY at t=5: a zero-length call, then READY.
    table = assert_same_as_reference([0, 0, 0], [0, 5, 5], [NR, CALL, RD], as_of=20)
    assert one(table)["total_talk_time"] == 0
    assert one(table)["number_of_calls"] == 1


def test_spec_1_2_float_time_is_rounded_once_to_the_tick():
    table = agentstats.aggregate([0, 0], [0.4, 10.6], [RD, END], unit="s")
    assert table.ticks["duration"][0] == 11          # rint(10.6) - rint(0.4) = 11 - 0


def test_spec_1_2_exact_at_nanosecond_resolution_far_from_epoch():
    """Absolute ns times near 2200 are beyond float64's 2**53: sums stay exact."""
    start = np.datetime64("2200-01-01T00:00:00.000000001", "ns")
    times = start + np.array([0, 1, 3, 6], dtype="timedelta64[ns]")
    table = agentstats.aggregate([0] * 4, times, [RD, CALL, WRAP, END])
    assert table.ticks["talk"][0] == 2 and table.ticks["wrap"][0] == 3
    assert table.ticks["duration"][0] == 6


# -- SPEC 2: per-session statistics -------------------------------------------------


def test_spec_2_1_duration_includes_not_ready_and_stops_at_end():
    table = assert_same_as_reference([0, 0, 0, 0], [0, 100, 160, 500], [NR, RD, END, RD])
    assert one(table)["session_duration"] == 160


def test_spec_2_1_open_session_runs_to_as_of_default_latest_time():
    table = assert_same_as_reference([0, 0, 1], [0, 10, 90], [RD, CALL, RD])
    assert one(table)["session_duration"] == 90      # as_of = 90, the latest time
    assert one(table)["total_talk_time"] == 80


def test_spec_2_2_to_2_4_talk_wrapup_call():
    # READY 0, CALL 10..70 (60 s), WRAP 70..100 (30 s), READY, END 200.
    table = assert_same_as_reference([0] * 5, [0, 10, 70, 100, 200], [RD, CALL, WRAP, RD, END])
    row = one(table)
    assert (row["total_talk_time"], row["total_wrapup_time"], row["total_call_time"]) == (60, 30, 90)


def test_spec_2_4_call_time_summed_exactly_before_truncation():
    """Talk 1.6 s + wrap-up 1.6 s: 1 + 1 truncated, but 3 s of call time (SPEC 2.12)."""
    ms = [0, 1000, 2600, 4200, 5000]
    table = agentstats.aggregate([0] * 5, ms, [RD, CALL, WRAP, RD, END], unit="ms")
    row = one(table)
    assert (row["total_talk_time"], row["total_wrapup_time"], row["total_call_time"]) == (1, 1, 3)


def test_spec_2_5_calls_count_entries_and_a_session_may_start_on_a_call():
    table = assert_same_as_reference(
        [0] * 7, [0, 5, 6, 9, 12, 13, 20], [CALL, CALL, WRAP, RD, CALL, RD, END])
    assert one(table)["number_of_calls"] == 2 + 0     # first event is a call; t=5 is a duplicate
    table = assert_same_as_reference([0] * 3, [0, 5, 9], [CALL, RD, CALL])
    assert one(table)["number_of_calls"] == 2


def test_spec_2_6_averages_and_zero_without_calls():
    # Two calls: 10 s and 5 s of talk -> average floor(15 / 2) = 7.
    table = assert_same_as_reference([0] * 5, [0, 10, 20, 30, 35], [RD, CALL, RD, CALL, RD])
    assert one(table)["average_talk_time"] == 7
    table = assert_same_as_reference([0, 0], [0, 10], [RD, END])
    row = one(table)
    assert (row["average_talk_time"], row["average_call_time"], row["average_wrapup_time"]) == (0, 0, 0)


def test_spec_2_7_acd_call_rate_currency_round_half_even():
    """3 calls in 7 hours = 0.428571... -> 0.4286 (CURRENCY). 1 call in 8000 s = 0.45 /h
    exactly; 1 call in 28800 s = 0.125 -> 0.1250; the half-even case: 1 call in 7200 s *
    x such that rate*10000 ends in .5: 1 call in 57600000/0.5... use ticks of 1 ms."""
    hours = 3600
    session = agentstats.aggregate([0] * 4, [0, 10, 20, 7 * hours], [RD, CALL, RD, END], unit="s")
    s = session.session(0)
    # 1 call in 7 h: 1/7 = 0.142857... -> 0.1429
    assert str(s.get_ACDCallRate()) == "0.1429"
    assert session.to_pandas()["acd_call_rate"][0] == pytest.approx(1 / 7)
    # Half to even: duration 7200000000 ms / ... 1 call in d seconds gives 3600/d calls/h;
    # d = 288 000 000 ms = 80 h -> 0.0125 exactly (no tie). d = 576 000 000 s*... choose
    # d so that 3600*10000/d = k + 0.5: d = 3600*10000*2/(2k+1); k=0 -> d = 72 000 000 s.
    tie = agentstats.aggregate([0, 0, 0], [0, 1, 72_000_000], [CALL, RD, END], unit="s").session(0)
    assert str(tie.get_ACDCallRate()) == "0.0000"            # 0.5 rounds to even 0
    # k=1 -> d = 24 000 000 s: 1.5 -> 2 (even)
    tie = agentstats.aggregate([0, 0, 0], [0, 1, 24_000_000], [CALL, RD, END], unit="s").session(0)
    assert str(tie.get_ACDCallRate()) == "0.0002"
    zero = agentstats.aggregate([0], [5], [CALL], unit="s").session(0)
    assert zero.get_SessionDuration() == 0 and str(zero.get_ACDCallRate()) == "0.0000"


def test_spec_2_8_2_9_time_to_answer():
    # Calls with waits 7 and 4 and one without a wait.
    session = [0] * 6
    time = [0, 10, 20, 30, 40, 50]
    state = [RD, CALL, RD, CALL, RD, CALL]
    wait = [None, 7, None, 4, None, None]
    table = assert_same_as_reference(session, time, state, wait)
    row = one(table)
    assert row["longest_time_to_answer"] == 7
    assert row["average_time_to_answer"] == 5        # floor(11 / 2): only calls with a wait


def test_spec_2_8_2_9_zero_when_no_call_has_a_wait():
    table = assert_same_as_reference([0, 0], [0, 10], [RD, CALL], [None, None])
    row = one(table)
    assert (row["longest_time_to_answer"], row["average_time_to_answer"]) == (0, 0)


def test_spec_2_14_no_wait_column_means_missing_not_zero():
    table = agentstats.aggregate([0, 0], [0, 10], [RD, CALL], unit="s")
    frame = table.to_pandas()
    assert frame["longest_time_to_answer"].isna().all()
    assert frame["average_time_to_answer"].isna().all()


def test_spec_2_10_start_time():
    table = agentstats.aggregate([0, 0], np.array(["2024-03-01T06:00", "2024-03-01T07:00"],
                                                  dtype="datetime64[s]"), [RD, END])
    assert one(table)["start_time"] == pd.Timestamp("2024-03-01T06:00", tz="UTC")   # tz-aware UTC
    assert table.session(0).get_SessionStartTime() == pytest.approx(45352.25)


def test_spec_2_11_state_at_as_of():
    session, time, state = [0, 0, 0], [0, 10, 20], [RD, CALL, WRAP]
    assert one(assert_same_as_reference(session, time, state, as_of=15))["state"] == CALL
    assert one(assert_same_as_reference(session, time, state, as_of=25))["state"] == WRAP
    assert one(assert_same_as_reference(session + [0], time + [30], state + [END]))["state"] == END


def test_spec_2_as_of_hides_later_events():
    table = assert_same_as_reference([0, 0, 0, 1], [0, 10, 50, 60], [RD, CALL, RD, RD], as_of=30)
    row = one(table)
    assert (row["session_duration"], row["total_talk_time"]) == (30, 20)
    assert len(table) == 1                     # session 1 has not started at as_of
    assert table.diagnostics["after_as_of"] == 2


def test_spec_2_12_seconds_are_floored_and_averages_use_exact_totals():
    ms = [0, 1000, 2999, 3000, 4999]           # calls of 1.999 s and 1.999 s
    table = agentstats.aggregate([0] * 5, ms, [RD, CALL, RD, CALL, RD], unit="ms")
    row = one(table)
    assert row["total_talk_time"] == 3        # floor(3.998)
    assert row["average_talk_time"] == 1      # floor(3.998 / 2)


def test_spec_2_13_totals_beyond_int64_raise_not_wrap():
    lo, hi = np.iinfo(np.int64).min + 1, np.iinfo(np.int64).max
    with pytest.raises(TapiError) as info:
        agentstats.aggregate([0, 0], [lo, hi], [RD, CALL], unit="ns")
    assert info.value.hresult == LINEERR_OPERATIONFAILED


# -- SPEC 3: every row accounted for ------------------------------------------------


def test_spec_3_bucket_order_and_sum():
    """One row in each bucket, in the SPEC's checking order."""
    session = [0, 0, 0, 0, 0, 0, 0]
    time = [0, None, 1, 100, 2, 3, 4]
    state = [RD, 9, 9, RD, RD, END, NR]
    # row 1: missing time AND bad state -> invalid_time (checked first)
    # row 2: invalid_state; row 3: t=100 > as_of=50 -> after_as_of
    # row 4: READY again -> duplicate; row 5: END -> used; row 6: after_end
    table = assert_same_as_reference(session, time, state, as_of=50)
    d = table.diagnostics
    assert (d["used"], d["invalid_time"], d["invalid_state"], d["after_as_of"], d["duplicate"],
            d["after_end"]) == (2, 1, 1, 1, 1, 1)
    assert d["rows"] == 7


def test_spec_3_1_strict_mode_names_the_first_bad_row():
    with pytest.raises(TapiError) as info:
        agentstats.aggregate([0, 0, 7], [0, 1, 2], [RD, 3, 12], unit="s")
    assert info.value.hresult == LINEERR_OPERATIONFAILED
    assert isinstance(info.value, ValueError)
    assert "row 2" in str(info.value) and "12" in str(info.value) and "7" in str(info.value)
    with pytest.raises(TapiError, match="row 1: invalid_time"):
        agentstats.aggregate([0, 0], [0.0, float("nan")], [RD, RD], unit="s")


def test_spec_3_1_lenient_mode_counts_instead():
    table = agentstats.aggregate([0, 0, 7], [0, 1, 2], [RD, 3, 12], unit="s", strict=False)
    assert table.diagnostics["invalid_state"] == 1


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(session=[0, 1], time=[0], state=[1, 1], unit="s"), "unequal lengths"),
        (dict(session=[0], time=[0], state=[object()], unit="s"), "numeric"),
        (dict(session=[0], time=[0], state=[1]), "unit="),
        (dict(session=[0], time=[0], state=[2], wait=[-1.0], unit="s"), "negative"),
        (dict(session=[0], time=[0], state=[2], wait=[1, 2], unit="s"), "unequal lengths"),
    ],
    ids=["unequal-lengths", "non-numeric-state", "no-unit", "negative-wait", "wait-length"],
)
def test_spec_3_2_structural_errors_raise_before_any_work(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        agentstats.aggregate(**kwargs)


def test_spec_3_3_off_table_transitions_counted_or_raised():
    session, time, state = [0] * 4, [0, 1, 2, 3], [NR, CALL, WRAP, CALL]
    table = assert_same_as_reference(session, time, state)
    assert table.diagnostics["off_table"] == 2     # NR->CALL and WRAP->CALL
    with pytest.raises(TapiError) as info:
        agentstats.aggregate(session, time, state, unit="s", off_table="raise")
    assert info.value.hresult == LINEERR_INVALAGENTSESSIONSTATE
    assert "row 1" in str(info.value)


def test_empty_log():
    table = agentstats.aggregate([], np.array([], dtype="datetime64[s]"), [])
    assert len(table) == 0
    assert table.diagnostics["rows"] == 0
    assert list(table.to_pandas().columns)[:14] == list(agentstats.COLUMNS)


def test_one_event():
    table = assert_same_as_reference([5], [42], [RD])
    assert one(table, 5)["session_duration"] == 0
