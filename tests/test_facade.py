"""The ITAgentSession facade (SPEC 4): methods, COM property names, the COM calling
form, one test per HRESULT row of SPEC 4.2, the put_State table (4.3), the live store,
and LINEAGENTSESSIONINFO (4.4)."""

from __future__ import annotations

import ctypes
import importlib
import datetime as dt
import subprocess
import sys
import textwrap
import threading
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

import agentstats
from agentstats import AgentSessionState as S
from agentstats import SessionStore
from agentstats.hresult import (
    E_INVALIDARG,
    E_OUTOFMEMORY,
    E_POINTER,
    LINEERR_INVALAGENTSESSIONSTATE,
    LINEERR_INVALPARAM,
    LINEERR_OPERATIONFAILED,
    LINEERR_OPERATIONUNAVAIL,
    LINEERR_UNINITIALIZED,
    S_OK,
    TAPI_E_TIMEOUT,
    TapiError,
)
from agentstats.lineinfo import LINEAGENTSESSIONINFO_SIZE, parse_agent_session_info
from reference import VALID

NR, RD, CALL, WRAP, END = range(5)

METHODS = [
    "get_Agent", "get_Address", "get_ACDGroup", "get_State", "put_State",
    "get_SessionStartTime", "get_SessionDuration", "get_NumberOfCalls",
    "get_TotalTalkTime", "get_AverageTalkTime", "get_TotalCallTime",
    "get_AverageCallTime", "get_TotalWrapUpTime", "get_AverageWrapUpTime",
    "get_ACDCallRate", "get_LongestTimeToAnswer", "get_AverageTimeToAnswer",
]
LONG_GETTERS = [
    "SessionDuration", "NumberOfCalls", "TotalTalkTime", "AverageTalkTime", "TotalCallTime",
    "AverageCallTime", "TotalWrapUpTime", "AverageWrapUpTime", "LongestTimeToAnswer",
    "AverageTimeToAnswer",
]


@pytest.fixture
def session():
    """READY 0, call 10..70 (wait 8), wrap-up 70..100, READY, call 200..230 (wait 3), END 400."""
    table = agentstats.aggregate(
        ["s"] * 7, [0, 10, 70, 100, 200, 230, 400], [RD, CALL, WRAP, RD, CALL, RD, END],
        wait=[None, 8, None, None, 3, None, None], unit="s",
        agent=["Sathish"] * 7, acd_group=["500"] * 7, address=["SIP/1001"] * 7,
    )
    return table.session("s")


class FakeClock:
    def __init__(self, now=0):
        self.now = now

    def __call__(self):
        return self.now


# -- SPEC 4.1: every method and property ----------------------------------------------


@pytest.mark.parametrize("name", METHODS)
def test_spec_4_1_every_itagentsession_method_exists(session, name):
    assert callable(getattr(session, name))


def test_spec_4_1_values(session):
    assert session.get_SessionDuration() == 400
    assert session.get_NumberOfCalls() == 2
    assert session.get_TotalTalkTime() == 90
    assert session.get_AverageTalkTime() == 45
    assert session.get_TotalWrapUpTime() == 30
    assert session.get_AverageWrapUpTime() == 15
    assert session.get_TotalCallTime() == 120
    assert session.get_AverageCallTime() == 60
    assert session.get_ACDCallRate() == Decimal("18.0000")       # 2 calls / (400/3600) h
    assert session.get_LongestTimeToAnswer() == 8
    assert session.get_AverageTimeToAnswer() == 5                # floor(11 / 2)
    assert session.get_State() is S.SESSION_ENDED
    assert session.get_SessionStartTime() == 25569.0             # 1970-01-01 as OLE DATE
    assert session.session_start_datetime == dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    assert (session.get_Agent(), session.get_ACDGroup(), session.get_Address()) == ("Sathish", "500", "SIP/1001")


@pytest.mark.parametrize("name", [*LONG_GETTERS, "ACDCallRate", "SessionStartTime", "State",
                                  "Agent", "ACDGroup", "Address"])
def test_spec_4_1_com_property_names(session, name):
    assert getattr(session, name) == getattr(session, f"get_{name}")()


def test_spec_2_7_acd_call_rate_is_currency_with_four_places(session):
    rate = session.get_ACDCallRate()
    assert isinstance(rate, Decimal) and rate.as_tuple().exponent == -4
    out = ctypes.c_longlong()
    assert session.get_ACDCallRate(ctypes.pointer(out)) == S_OK
    assert out.value == 180000


def test_spec_2_10_start_time_as_ole_date():
    when = np.array(["2024-03-01T18:00:00"], dtype="datetime64[s]")
    s = agentstats.aggregate([1], when, [RD]).session(1)
    assert s.get_SessionStartTime() == 45352.75        # 45352 = 2024-03-01, 18:00 = .75
    out = ctypes.c_double()
    assert s.get_SessionStartTime(ctypes.pointer(out)) == S_OK and out.value == 45352.75


# -- SPEC 4.2: one test per HRESULT row ---------------------------------------------


@pytest.mark.parametrize("name", LONG_GETTERS)
def test_spec_4_2_s_ok_com_form_writes_through_the_pointer(session, name):
    out = ctypes.c_long(-1)
    assert getattr(session, f"get_{name}")(ctypes.pointer(out)) == S_OK
    assert out.value == getattr(session, f"get_{name}")()
    by_ref = ctypes.c_int(-1)
    assert getattr(session, f"get_{name}")(ctypes.byref(by_ref)) == S_OK
    assert by_ref.value == out.value


@pytest.mark.parametrize(
    "bad_out",
    [None, ctypes.POINTER(ctypes.c_long)(), ctypes.pointer(ctypes.c_double()), 5, ctypes.c_long(),
     (ctypes.c_long * 1)()],
    ids=["None", "NULL", "wrong-type", "int", "not-a-pointer", "array"],
)
def test_spec_4_2_e_pointer(session, bad_out):
    assert session.get_TotalTalkTime(bad_out) == E_POINTER
    assert session.get_State(bad_out) == E_POINTER


def test_spec_4_2_e_pointer_writes_nothing(session):
    target = ctypes.c_double(-7.0)
    assert session.get_NumberOfCalls(ctypes.pointer(target)) == E_POINTER
    assert target.value == -7.0


def test_spec_4_2_e_outofmemory_from_allocation(monkeypatch):
    module = importlib.import_module("agentstats.aggregate")   # the module, not the function

    def no_memory(n):
        if n:
            raise MemoryError("simulated")
        return original(n)

    original = module._new_states

    monkeypatch.setattr(module, "_new_states", no_memory)
    with pytest.raises(TapiError) as info:
        agentstats.aggregate([0], [0], [1], unit="s")
    assert info.value.hresult == E_OUTOFMEMORY
    assert isinstance(info.value, MemoryError)


def test_spec_4_2_e_outofmemory_under_a_real_memory_limit():
    """A real allocation failure in a process with capped address space: a clear
    E_OUTOFMEMORY error, not a crash."""
    script = textwrap.dedent("""
        import resource, numpy as np, agentstats
        from agentstats.hresult import E_OUTOFMEMORY
        agentstats.aggregate                           # names load on first use: before the cap
        n = 4_000_000
        rng = np.random.default_rng(0)
        session = rng.integers(0, 1 << 40, n)          # sparse keys: hash path
        time = rng.integers(0, 10**9, n)               # shuffled: needs the sort
        state = rng.integers(0, 5, n).astype(np.uint8)
        with open("/proc/self/status") as f:
            vm = [int(l.split()[1]) for l in f if l.startswith("VmSize")][0] * 1024
        resource.setrlimit(resource.RLIMIT_AS, (vm + 48 * 2**20, resource.RLIM_INFINITY))
        try:
            agentstats.aggregate(session, time, state, unit="ns", n_threads=1)
        except MemoryError as exc:
            print("hresult", hex(exc.hresult))
        else:
            print("finished")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"hresult {hex(E_OUTOFMEMORY)}" in result.stdout


def test_spec_4_2_tapi_e_timeout_in_the_kernel():
    n = 10_000_000
    rng = np.random.default_rng(1)
    session = rng.integers(0, 200_000, n)
    time = np.sort(rng.integers(0, 10**12, n))
    state = rng.integers(0, 5, n).astype(np.uint8)
    with pytest.raises(TapiError) as info:
        agentstats.aggregate(session, time, state, unit="ns", timeout=0.001)
    assert info.value.hresult == TAPI_E_TIMEOUT
    assert isinstance(info.value, TimeoutError)


def test_spec_4_2_tapi_e_timeout_in_the_store():
    store = SessionStore(clock=FakeClock(), timeout=0.05)
    s = store.create_session("a", "g")
    held, release = threading.Event(), threading.Event()

    def hold():
        with store._locked():
            held.set()
            release.wait(5)

    worker = threading.Thread(target=hold)
    worker.start()
    held.wait(5)
    try:
        with pytest.raises(TapiError) as info:
            s.get_SessionDuration()
        assert info.value.hresult == TAPI_E_TIMEOUT
        out = ctypes.c_long()
        assert s.get_SessionDuration(ctypes.pointer(out)) == TAPI_E_TIMEOUT
    finally:
        release.set()
        worker.join()
    assert s.get_SessionDuration() == 0


def test_spec_4_2_default_timeout_is_two_minutes():
    assert agentstats.DEFAULT_TIMEOUT == 120.0
    assert SessionStore().timeout == 120.0


@pytest.mark.parametrize("bad", [5, -1, 2.5, "READY", None, True])
def test_spec_4_2_e_invalidarg(bad):
    s = SessionStore(clock=FakeClock()).create_session("a", "g", state=RD)
    with pytest.raises(TapiError) as info:
        s.put_State(bad)
    assert info.value.hresult == E_INVALIDARG
    assert isinstance(info.value, ValueError)


def test_spec_4_2_lineerr_invalagentsessionstate():
    s = SessionStore(clock=FakeClock()).create_session("a", "g", state=NR)
    with pytest.raises(TapiError) as info:
        s.put_State(CALL)
    assert info.value.hresult == LINEERR_INVALAGENTSESSIONSTATE
    assert s.get_State() is S.NOT_READY


def test_spec_4_2_lineerr_invalparam():
    table = agentstats.aggregate([1], [0], [RD], unit="s")
    with pytest.raises(TapiError) as info:
        table.session(2)
    assert info.value.hresult == LINEERR_INVALPARAM
    store = SessionStore(clock=FakeClock())
    with pytest.raises(TapiError) as info:
        store.session(99)
    assert info.value.hresult == LINEERR_INVALPARAM
    s = store.create_session("a", "g")
    store.remove_session(s.key)
    out = ctypes.c_long()
    assert s.get_SessionDuration(ctypes.pointer(out)) == LINEERR_INVALPARAM


def test_spec_4_2_lineerr_uninitialized():
    store = SessionStore(clock=FakeClock())
    s = store.create_session("a", "g")
    store.close()
    with pytest.raises(TapiError) as info:
        s.get_TotalTalkTime()
    assert info.value.hresult == LINEERR_UNINITIALIZED
    with pytest.raises(TapiError):
        s.put_State(RD)
    with pytest.raises(TapiError):
        store.create_session("b", "g")


def test_spec_4_2_lineerr_operationunavail_without_wait():
    s = agentstats.aggregate([1, 1], [0, 5], [RD, CALL], unit="s").session(1)
    for getter in (s.get_LongestTimeToAnswer, s.get_AverageTimeToAnswer):
        with pytest.raises(TapiError) as info:
            getter()
        assert info.value.hresult == LINEERR_OPERATIONUNAVAIL
        assert getter(ctypes.pointer(ctypes.c_long())) == LINEERR_OPERATIONUNAVAIL
    with pytest.raises(TapiError) as info:
        s.get_Agent()
    assert info.value.hresult == LINEERR_OPERATIONUNAVAIL


def test_spec_4_2_lineerr_operationfailed_on_long_overflow():
    """SPEC 2.13: 70 years in seconds does not fit a 32-bit long."""
    seventy_years = 70 * 365 * 86400
    s = agentstats.aggregate([1, 1], [0, seventy_years], [RD, END], unit="s").session(1)
    with pytest.raises(TapiError) as info:
        s.get_SessionDuration()
    assert info.value.hresult == LINEERR_OPERATIONFAILED
    out = ctypes.c_long(-1)
    assert s.get_SessionDuration(ctypes.pointer(out)) == LINEERR_OPERATIONFAILED
    assert out.value == -1
    assert s.get_NumberOfCalls() == 0                  # other getters still work


def test_spec_4_2_lineerr_resourceunavail_for_an_unreadable_source(tmp_path):
    """The event source cannot be read: a missing queue_log or table file."""
    from agentstats.hresult import LINEERR_RESOURCEUNAVAIL
    from agentstats.io import import_queue_log, import_table

    for read in (lambda: import_queue_log(tmp_path / "missing_queue_log"),
                 lambda: import_table(tmp_path / "missing.csv")):
        with pytest.raises(TapiError) as info:
            read()
        assert info.value.hresult == LINEERR_RESOURCEUNAVAIL
        assert isinstance(info.value, OSError)


def test_spec_4_2_errors_carry_name_and_unsigned_hresult():
    with pytest.raises(TapiError) as info:
        agentstats.aggregate([1], [0], [1], unit="s").session(2)
    assert info.value.hresult == 0x80000032
    assert info.value.name == "LINEERR_INVALPARAM"
    assert "LINEERR_INVALPARAM" in str(info.value)


# -- SPEC 4.3: the put_State table --------------------------------------------------


@pytest.mark.parametrize("old", range(4))
@pytest.mark.parametrize("new", range(5))
def test_spec_4_3_put_state_table(old, new):
    clock = FakeClock(0)
    s = SessionStore(clock=clock).create_session("a", "g", state=old)
    clock.now = 10
    if new == old:
        assert s.put_State(new) == S_OK                 # not a transition: nothing happens
    elif new in VALID[old]:
        assert s.put_State(new) == S_OK
        assert s.get_State() == new
    else:
        with pytest.raises(TapiError) as info:
            s.put_State(new)
        assert info.value.hresult == LINEERR_INVALAGENTSESSIONSTATE


@pytest.mark.parametrize("new", range(4))
def test_spec_4_3_session_ended_is_terminal(new):
    s = SessionStore(clock=FakeClock()).create_session("a", "g", state=RD)
    s.put_State(END)
    with pytest.raises(TapiError) as info:
        s.put_State(new)
    assert info.value.hresult == LINEERR_INVALAGENTSESSIONSTATE


def test_put_state_on_a_report_is_unavailable(session):
    with pytest.raises(TapiError) as info:
        session.put_State(RD)
    assert info.value.hresult == LINEERR_OPERATIONUNAVAIL


# -- the live store -----------------------------------------------------------------


def test_live_session_measures_up_to_now_on_every_read():
    clock = FakeClock(0)
    store = SessionStore(clock=clock, ticks_per_second=1)
    s = store.create_session("Sathish", "sales", "SIP/1001", state=RD)
    clock.now = 30
    s.put_State(CALL, wait=4)
    clock.now = 90
    assert (s.SessionDuration, s.TotalTalkTime, s.NumberOfCalls) == (90, 60, 1)
    clock.now = 100
    assert (s.SessionDuration, s.TotalTalkTime) == (100, 70)        # still running
    s.State = WRAP                                                  # COM property put
    clock.now = 130
    s.put_State(END)
    clock.now = 500
    assert (s.SessionDuration, s.TotalTalkTime, s.TotalWrapUpTime) == (130, 70, 30)
    assert s.LongestTimeToAnswer == 4
    assert s.get_Agent() == "Sathish" and s.get_Address() == "SIP/1001"


def test_store_clock_going_back_does_not_go_back_in_the_log():
    clock = FakeClock(100)
    s = SessionStore(clock=clock, ticks_per_second=1).create_session("a", "g", state=RD)
    clock.now = 50
    s.put_State(CALL)
    assert s.get_SessionDuration() == 0


class StoreEqualsAggregate(RuleBasedStateMachine):
    """The incremental store always equals a one-shot aggregate of its own events."""

    def __init__(self):
        super().__init__()
        self.clock = FakeClock(0)
        self.store = SessionStore(clock=self.clock, ticks_per_second=1)

    @rule(agent=st.sampled_from(["a", "b", "c"]), state=st.integers(0, 3))
    def create(self, agent, state):
        self.store.create_session(agent, "g", state=state)

    @rule(step=st.integers(0, 50))
    def tick(self, step):
        self.clock.now += step

    @rule(data=st.data(), state=st.integers(0, 4), wait=st.one_of(st.none(), st.integers(0, 20)))
    def put(self, data, state, wait):
        keys = self.store.keys()
        if not keys:
            return
        s = self.store.session(data.draw(st.sampled_from(keys)))
        try:
            s.put_State(state, wait=wait)
        except TapiError as exc:
            assert exc.hresult == LINEERR_INVALAGENTSESSIONSTATE

    @invariant()
    def same_as_aggregate(self):
        events = self.store.events()
        if not events["session"]:
            return
        table = agentstats.aggregate(events["session"], events["time"], events["state"],
                                     wait=events["wait"], unit="s", as_of=self.clock.now)
        assert table.diagnostics["off_table"] == 0
        for key in self.store.keys():
            live, report = self.store.session(key), table.session(key)
            for name in [*LONG_GETTERS, "ACDCallRate", "State", "SessionStartTime"]:
                assert getattr(live, name) == getattr(report, name), name


TestStoreEqualsAggregate = StoreEqualsAggregate.TestCase
TestStoreEqualsAggregate.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)


# -- SPEC 4.4: LINEAGENTSESSIONINFO -------------------------------------------------


def test_spec_4_4_lineagentsessioninfo_bytes(session):
    from agentstats.hresult import LINEAGENTSESSIONSTATE_ENDED

    data = session.lineagentsessioninfo()
    assert len(data) == LINEAGENTSESSIONINFO_SIZE == 76
    fields = parse_agent_session_info(data)
    assert fields["dwTotalSize"] == fields["dwNeededSize"] == fields["dwUsedSize"] == 76
    assert fields["dwAgentSessionState"] == LINEAGENTSESSIONSTATE_ENDED
    assert fields["dateSessionStartTime"] == session.get_SessionStartTime()
    assert fields["cyACDCallRate"] == 180000
    for name in LONG_GETTERS:
        assert fields[f"dw{name}"] == getattr(session, f"get_{name}")()
    # byte-exact against a hand-packed layout: offsets 28 (duration) and 60 (rate)
    assert data[28:32] == (400).to_bytes(4, "little")
    assert data[60:68] == (180000).to_bytes(8, "little", signed=True)


def test_spec_4_4_matches_a_ctypes_struct(session):
    """The same bytes as a C struct declared with ctypes, packed to 1 byte."""

    class LINEAGENTSESSIONINFO(ctypes.LittleEndianStructure):
        _pack_ = 1
        _fields_ = [
            ("dwTotalSize", ctypes.c_uint32), ("dwNeededSize", ctypes.c_uint32),
            ("dwUsedSize", ctypes.c_uint32), ("dwAgentSessionState", ctypes.c_uint32),
            ("dwNextAgentSessionState", ctypes.c_uint32), ("dateSessionStartTime", ctypes.c_double),
            *((f"dw{n}", ctypes.c_uint32) for n in LONG_GETTERS[:8]),
            ("cyACDCallRate", ctypes.c_int64),
            ("dwLongestTimeToAnswer", ctypes.c_uint32), ("dwAverageTimeToAnswer", ctypes.c_uint32),
        ]

    assert ctypes.sizeof(LINEAGENTSESSIONINFO) == 76
    info = LINEAGENTSESSIONINFO.from_buffer_copy(session.lineagentsessioninfo())
    assert info.dwTotalTalkTime == 90 and info.dwAverageTimeToAnswer == 5
    assert info.dwLongestTimeToAnswer == 8


@given(st.integers(0, 4))
def test_every_state_maps_to_a_line_flag(state):
    s = agentstats.aggregate([1], [0], [state], unit="s").session(1)
    flag = parse_agent_session_info(s.lineagentsessioninfo())["dwAgentSessionState"]
    assert flag == 1 << state                             # NOTREADY=1 ... ENDED=0x10
