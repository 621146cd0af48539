"""The ITAgent facade (SPEC 7.2) with the SPEC 4.2 error machinery in both calling forms."""

from __future__ import annotations

import ctypes
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import agentstats
from agentstats import hresult
from agentstats.agent import AgentState, currency_per_hour
from agentstats.agents import agent_stats
from agent_reference import agent_reference
from test_agents import _columns, _two_queue_day, multi_queue_logs

H = 3600


def _table(rows=None, **kwargs):
    session, time, state, agent, reason, presence = _columns(rows or _two_queue_day())
    return agent_stats(session, time, state, agent=agent, reason=reason, presence=presence,
                       unit="s", strict=False, **kwargs)


def test_getters_of_the_two_queue_day():
    agent = _table().agent("A")
    assert agent.get_ID() == "A" and agent.User == "A"
    assert agent.get_State() == AgentState.AS_UNKNOWN          # logged out at the end
    assert agent.get_NumberOfACDCalls() == 2
    assert agent.get_TotalACDTalkTime() == 900
    assert agent.get_TotalWrapUpTime() == 100
    assert agent.get_TotalACDCallTime() == 1000
    assert agent.get_OverallCallRate() == Decimal("0.2500")
    assert agent.get_MeasurementPeriod() == 8 * H
    sessions = agent.get_AgentSessions()
    assert [s.get_Agent() for s in sessions] == ["A", "A"]
    assert sorted(s.get_SessionDuration() for s in sessions) == [8 * H, 8 * H]


def test_state_while_on_call_is_busy_acd():
    rows = [(1, 0, 1, "A", None, False), (2, 0, 1, "A", None, False), (2, 50, 2, "A", None, False)]
    assert _table(rows).agent("A").State == AgentState.AS_BUSY_ACD


def test_measurement_period_is_a_window_split_exactly_at_its_start():
    agent = _table().agent("A")
    assert agent.put_MeasurementPeriod(6 * H + 1800) == hresult.S_OK    # 09:30-16:00
    assert agent.MeasurementPeriod == 6 * H + 1800
    assert agent.get_NumberOfACDCalls() == 1                 # the 10:00 call only
    assert agent.get_TotalACDTalkTime() == 300
    assert agent.get_OverallCallRate() == Decimal("0.1538")  # 1 call / 6.5 h
    agent.MeasurementPeriod = 7 * H - 300                    # 09:05-16:00: inside the 09:00 call
    assert agent.get_TotalACDTalkTime() == 300 + 300


@pytest.mark.parametrize("period", [0, -5])
def test_put_measurement_period_rejects_non_positive(period):
    agent = _table().agent("A")
    with pytest.raises(agentstats.TapiError) as caught:
        agent.put_MeasurementPeriod(period)
    assert caught.value.hresult == hresult.E_INVALIDARG


def test_com_form_writes_through_the_pointer_and_returns_the_hresult():
    agent = _table().agent("A")
    out = ctypes.c_long()
    assert agent.get_TotalACDTalkTime(ctypes.pointer(out)) == hresult.S_OK and out.value == 900
    rate = ctypes.c_longlong()
    assert agent.get_OverallCallRate(ctypes.byref(rate)) == hresult.S_OK and rate.value == 2500
    state = ctypes.c_int()
    assert agent.get_State(ctypes.pointer(state)) == hresult.S_OK and state.value == 5
    assert agent.get_NumberOfIncomingCalls(ctypes.pointer(out)) == hresult.LINEERR_OPERATIONUNAVAIL


@pytest.mark.parametrize("bad", [None, 5, ctypes.c_long(), ctypes.pointer(ctypes.c_double()),
                                 ctypes.POINTER(ctypes.c_long)()])
def test_bad_out_parameters_are_e_pointer(bad):
    agent = _table().agent("A")
    assert agent.get_TotalACDTalkTime(bad) == hresult.E_POINTER


@pytest.mark.parametrize("name", ["get_NumberOfIncomingCalls", "get_NumberOfOutgoingCalls"])
def test_non_acd_calls_are_not_in_the_log(name):
    with pytest.raises(agentstats.TapiError) as caught:
        getattr(_table().agent("A"), name)()
    assert caught.value.hresult == hresult.LINEERR_OPERATIONUNAVAIL


def test_without_sessions_the_acd_totals_are_unavailable():
    agent = _table(sessions=False).agent("A")
    assert agent.get_OverallCallRate() == Decimal("0.2500")   # from the timeline
    for name in ("get_TotalACDTalkTime", "get_AgentSessions", "get_NumberOfACDCalls"):
        with pytest.raises(agentstats.TapiError) as caught:
            getattr(agent, name)()
        assert caught.value.hresult == hresult.LINEERR_OPERATIONUNAVAIL


def test_unknown_agent_is_invalparam():
    with pytest.raises(agentstats.TapiError) as caught:
        _table().agent("nobody")
    assert caught.value.hresult == hresult.LINEERR_INVALPARAM


def test_overflowing_long_is_operationfailed():
    rows = [(1, 0, 2, "A", None, False), (1, 2**32, 4, "A", None, False)]
    with pytest.raises(agentstats.TapiError) as caught:
        _table(rows).agent("A").get_TotalACDTalkTime()
    assert caught.value.hresult == hresult.LINEERR_OPERATIONFAILED


@pytest.mark.parametrize("calls, ticks, expected", [
    (1, 8 * 3600, 1250), (2, 8 * 3600, 2500), (0, 100, 0), (5, 0, 0),
    (1, 2400, 15000),                                         # 1.5 calls/h exactly
    (1, 7, 5142857),                                          # 514.28571428... -> 514.2857
])
def test_overall_call_rate_rounds_half_to_even(calls, ticks, expected):
    assert currency_per_hour(calls, ticks, 1) == expected


def test_currency_half_to_even_on_a_tie():
    # rate x 10000 exactly half-way: to the even neighbour
    assert currency_per_hour(1, 3600 * 10000 * 2, 1) == 0     # 0.5 -> 0 (even)
    assert currency_per_hour(3, 3600 * 10000 * 2, 1) == 2     # 1.5 -> 2 (even)


@given(multi_queue_logs(invalid=False))
def test_window_equals_the_twin_interval(rows):
    """put_MeasurementPeriod(100) at as_of 200 is the twin's interval [100, 200)."""
    session, time, state, agent, reason, presence = _columns(rows)
    if not len(rows):
        return
    table = agent_stats(session, time, state, agent=agent, reason=reason, presence=presence,
                        unit="s", as_of=200)
    expected, _, _ = agent_reference([r[0] for r in rows], [r[1] for r in rows],
                                     [r[2] for r in rows], [r[3] for r in rows],
                                     reason=[r[4] for r in rows], presence=[r[5] for r in rows],
                                     as_of=200, width=100)
    for key in table.keys.tolist():
        a = table.agent(key)
        a.put_MeasurementPeriod(100)
        totals = table.window.totals(int(table._codes[table._position_of(key)]), 100, 200)
        piece = expected[key].intervals.get(1, [0] * 6)
        assert [totals[n] for n in ("logged_in", "talk", "wrap", "ready", "not_ready", "calls")] == piece
        assert a.get_OverallCallRate() == Decimal(currency_per_hour(piece[5], piece[0], 1)).scaleb(-4)
