"""A live SessionStore agent (SPEC 7.2): measured up to the store clock on every read."""

from __future__ import annotations

from decimal import Decimal

import pytest

import agentstats
from agentstats import hresult
from agentstats.agent import AgentState

READY, ON_CALL, ENDED = agentstats.READY, agentstats.BUSY_ON_CALL, agentstats.SESSION_ENDED


class Clock:
    def __init__(self) -> None:
        self.now = 0

    def __call__(self) -> int:
        return self.now


def test_live_agent_measures_up_to_now_across_two_queues():
    clock = Clock()
    store = agentstats.SessionStore(clock=clock, ticks_per_second=1)
    sales = store.create_session("Ann", "sales", state=READY)
    support = store.create_session("Ann", "support", state=READY)
    agent = agentstats.LiveAgent(store, "Ann")
    clock.now = 1800
    sales.put_State(ON_CALL)
    clock.now = 3600
    assert agent.get_State() == AgentState.AS_BUSY_ACD
    assert agent.get_TotalACDTalkTime() == 1800
    assert agent.get_OverallCallRate() == Decimal("1.0000")      # 1 call in 1 h on the clock
    sales.put_State(READY)
    clock.now = 7200                                              # nothing happens, time runs
    assert agent.get_OverallCallRate() == Decimal("0.5000")
    assert agent.get_State() == AgentState.AS_READY
    assert len(agent.get_AgentSessions()) == 2
    sales.put_State(ENDED)
    support.put_State(ENDED)
    clock.now = 9000
    assert agent.get_State() == AgentState.AS_UNKNOWN
    assert agent.get_OverallCallRate() == Decimal("0.5000")      # stopped at the logoff


def test_live_agent_errors():
    store = agentstats.SessionStore(clock=Clock(), ticks_per_second=1)
    store.create_session("Ann", "sales", state=READY)
    with pytest.raises(agentstats.TapiError) as caught:
        agentstats.LiveAgent(store, "Bob").get_State()
    assert caught.value.hresult == hresult.LINEERR_INVALPARAM
    store.close()
    with pytest.raises(agentstats.TapiError) as caught:
        agentstats.LiveAgent(store, "Ann").get_OverallCallRate()
    assert caught.value.hresult == hresult.LINEERR_UNINITIALIZED
