"""The ITAgentSession facade and a live SessionStore for code ported from TAPI.

Every ITAgentSession getter exists in two forms, as Python COM clients expose them:

    value = session.get_TotalTalkTime()          # returns the value or raises TapiError
    hr = session.get_TotalTalkTime(ctypes.pointer(out))   # COM style: returns the HRESULT
    session.TotalTalkTime                        # the COM property name

In the COM style, a NULL (None), read-only or wrongly typed out-parameter gives E_POINTER
and nothing is written; any other failure returns its HRESULT instead of raising.
"""

from __future__ import annotations

import ctypes
import datetime as _dt
import itertools
import operator
import threading
import time as _time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from .hresult import (
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
    AgentSessionState,
    TapiError,
    shown,
    tapi_error,
)

__all__ = [
    "AgentSession", "SessionStore", "SessionTicks", "DEFAULT_TIMEOUT", "OLE_EPOCH",
    "is_valid_transition", "ole_date",
]

DEFAULT_TIMEOUT = 120.0          # seconds: TAPI's two-minute timeout (SPEC 4.2)
OLE_EPOCH = _dt.datetime(1899, 12, 30, tzinfo=_dt.timezone.utc)
_UNIX_EPOCH_OLE_DAYS = 25569     # 1970-01-01 as an OLE Automation DATE
_LONG_MIN, _LONG_MAX = -(2**31), 2**31 - 1
_CY_MIN, _CY_MAX = -(2**63), 2**63 - 1
_INT64_MAX = 2**63 - 1
_FOUR_PLACES = Decimal("0.0001")             # CURRENCY has four decimal places

# SPEC 4.3: the transitions put_State accepts (a state to itself is not a transition).
_ALLOWED = {
    AgentSessionState.NOT_READY: {AgentSessionState.READY, AgentSessionState.SESSION_ENDED},
    AgentSessionState.READY: {AgentSessionState.NOT_READY, AgentSessionState.BUSY_ON_CALL,
                              AgentSessionState.SESSION_ENDED},
    AgentSessionState.BUSY_ON_CALL: {AgentSessionState.NOT_READY, AgentSessionState.READY,
                                     AgentSessionState.BUSY_WRAPUP, AgentSessionState.SESSION_ENDED},
    AgentSessionState.BUSY_WRAPUP: {AgentSessionState.NOT_READY, AgentSessionState.READY,
                                    AgentSessionState.SESSION_ENDED},
    AgentSessionState.SESSION_ENDED: set(),
}


def is_valid_transition(old: int, new: int) -> bool:
    """May put_State move a session from `old` to `new`?"""
    return AgentSessionState(new) in _ALLOWED[AgentSessionState(old)]


def ole_date(ticks: int, ticks_per_second: int) -> float:
    """Ticks since 1970-01-01 UTC as an OLE Automation DATE, computed
    exactly and rounded once to the nearest double."""
    return float(Fraction(ticks, ticks_per_second * 86400) + _UNIX_EPOCH_OLE_DAYS)


@dataclass(frozen=True)
class SessionTicks:
    """One session's exact totals in ticks, closed at its end."""

    start: int
    end: int
    state: int
    duration: int
    talk: int
    wrap: int
    calls: int
    wait_sum: int
    wait_n: int
    wait_max: int          # -1 when no call had a wait
    has_wait: bool
    ticks_per_second: int


# -- the statistics (SPEC 2), each from a SessionTicks -------------------------------


def _long(name: str, value: int) -> int:
    """TAPI returns a 32-bit signed long; a value that does not fit fails."""
    if not _LONG_MIN <= value <= _LONG_MAX:
        raise tapi_error(LINEERR_OPERATIONFAILED, f"{name} = {value} does not fit a 32-bit long")
    return value


def _average(total: int, s: SessionTicks) -> int:
    return total // (s.calls * s.ticks_per_second) if s.calls else 0       # SPEC 2.6, 2.12


def _wait_needed(s: SessionTicks, name: str) -> None:
    if not s.has_wait:
        raise tapi_error(LINEERR_OPERATIONUNAVAIL,
                         f"{name}: the log has no wait column, so it is not derivable")


def _acd_call_rate_cy(s: SessionTicks) -> int:
    """Calls per hour of duration as CURRENCY (value x 10000), round half to even."""
    if s.duration == 0:
        return 0
    numerator = s.calls * 3600 * s.ticks_per_second * 10000
    quotient, remainder = divmod(numerator, s.duration)
    twice = 2 * remainder
    if twice > s.duration or (twice == s.duration and quotient % 2):
        quotient += 1
    if not _CY_MIN <= quotient <= _CY_MAX:
        raise tapi_error(LINEERR_OPERATIONFAILED, f"ACDCallRate {quotient} / 10000 does not fit CURRENCY")
    return quotient


def _longest_wait(s: SessionTicks) -> int:
    _wait_needed(s, "LongestTimeToAnswer")
    return _long("LongestTimeToAnswer", s.wait_max // s.ticks_per_second if s.wait_max >= 0 else 0)


def _average_wait(s: SessionTicks) -> int:
    _wait_needed(s, "AverageTimeToAnswer")
    value = s.wait_sum // (s.wait_n * s.ticks_per_second) if s.wait_n else 0
    return _long("AverageTimeToAnswer", value)


# name -> (kind of out-parameter, value from SessionTicks). Kinds: "long" (c_long /
# c_int), "date" (c_double), "cy" (c_longlong, CURRENCY x 10000), "state" (c_int).
_STATISTICS: dict[str, tuple[str, Callable[[SessionTicks], Any]]] = {
    "SessionDuration": ("long", lambda s: _long("SessionDuration", s.duration // s.ticks_per_second)),
    "NumberOfCalls": ("long", lambda s: _long("NumberOfCalls", s.calls)),
    "TotalTalkTime": ("long", lambda s: _long("TotalTalkTime", s.talk // s.ticks_per_second)),
    "AverageTalkTime": ("long", lambda s: _long("AverageTalkTime", _average(s.talk, s))),
    "TotalCallTime": ("long", lambda s: _long("TotalCallTime", (s.talk + s.wrap) // s.ticks_per_second)),
    "AverageCallTime": ("long", lambda s: _long("AverageCallTime", _average(s.talk + s.wrap, s))),
    "TotalWrapUpTime": ("long", lambda s: _long("TotalWrapUpTime", s.wrap // s.ticks_per_second)),
    "AverageWrapUpTime": ("long", lambda s: _long("AverageWrapUpTime", _average(s.wrap, s))),
    "ACDCallRate": ("cy", lambda s: Decimal(_acd_call_rate_cy(s)).scaleb(-4).quantize(_FOUR_PLACES)),
    "LongestTimeToAnswer": ("long", _longest_wait),
    "AverageTimeToAnswer": ("long", _average_wait),
    "SessionStartTime": ("date", lambda s: ole_date(s.start, s.ticks_per_second)),
    "State": ("state", lambda s: AgentSessionState(s.state)),
}

_OUT_TYPES: dict[str, tuple[type, ...]] = {
    "long": (ctypes.c_long, ctypes.c_int),
    "state": (ctypes.c_int, ctypes.c_long),
    "date": (ctypes.c_double,),
    "cy": (ctypes.c_longlong, ctypes.c_int64),
    "object": (ctypes.py_object,),
}
_NO_OUT = object()


def _out_target(out: Any, kind: str) -> Any | None:
    """The ctypes object an out-parameter points at, or None when it is NULL, not a
    pointer (a read-only value) or points at the wrong type (E_POINTER)."""
    if isinstance(out, ctypes._Pointer):
        if not out:                      # a NULL pointer
            return None
        target = out.contents
    elif type(out).__name__ == "CArgObject" and hasattr(out, "_obj"):   # ctypes.byref(x)
        target = out._obj
    else:
        return None
    return target if type(target) in _OUT_TYPES[kind] else None


class AgentSession:
    """One agent session with every ITAgentSession method.

    Sessions come from `SessionTable.session(key)` (a fixed report at `as_of`) or from
    `SessionStore.create_session(...)` (live: measured up to the store clock on every
    read until the session ends).
    """

    def __init__(self, key: Hashable, snapshot: Callable[[], SessionTicks],
                 meta: dict[str, Any], store: SessionStore | None = None) -> None:
        self._key = key
        self._snapshot = snapshot
        self._meta = meta
        self._store = store

    @classmethod
    def from_snapshot(cls, key: Hashable, ticks: SessionTicks, meta: dict[str, Any]) -> AgentSession:
        return cls(key, lambda: ticks, meta)

    @property
    def key(self) -> Hashable:
        """The session's key in its table or store."""
        return self._key

    def __repr__(self) -> str:
        try:
            state = self.get_State().name
        except TapiError as exc:
            state = exc.name
        return f"<AgentSession {self._key!r} {state}>"

    # -- the generic getter --------------------------------------------------------

    def _get(self, name: str, out: Any) -> Any:
        kind, compute = _STATISTICS[name]
        if out is _NO_OUT:
            return compute(self._snapshot())
        return _com_write(out, kind, lambda: compute(self._snapshot()))

    def _meta_value(self, name: str, label: str) -> Any:
        if self._meta.get(name) is None:
            raise tapi_error(LINEERR_OPERATIONUNAVAIL, f"{label}: no {name} was given for session {shown(self._key)}")
        return self._meta[name]

    # -- ITAgentSession ------------------------------------------------------------

    def get_Agent(self, out: Any = _NO_OUT) -> Any:
        """The agent of this session (the `agent` column, or the store's agent)."""
        return self._get_object("agent", "Agent", out)

    def get_Address(self, out: Any = _NO_OUT) -> Any:
        return self._get_object("address", "Address", out)

    def get_ACDGroup(self, out: Any = _NO_OUT) -> Any:
        return self._get_object("acd_group", "ACDGroup", out)

    def get_State(self, out: Any = _NO_OUT) -> Any:
        """The state in force (AGENT_SESSION_STATE)."""
        return self._get("State", out)

    def put_State(self, state: int, *, wait: float | None = None) -> int:
        """Move a live session to `state` at the store clock's time; returns
        S_OK or raises (E_INVALIDARG, LINEERR_INVALAGENTSESSIONSTATE, ...). `wait`
        (seconds, an extension) records the caller's wait when entering BUSY_ON_CALL."""
        if self._store is None:
            raise tapi_error(LINEERR_OPERATIONUNAVAIL,
                             "put_State needs a live session from a SessionStore; this one is a report")
        self._store._put_state(self._key, state, wait)
        return S_OK

    def get_SessionStartTime(self, out: Any = _NO_OUT) -> Any:
        """The start as an OLE Automation DATE (days since 1899-12-30 UTC)."""
        return self._get("SessionStartTime", out)

    def get_SessionDuration(self, out: Any = _NO_OUT) -> Any:
        return self._get("SessionDuration", out)

    def get_NumberOfCalls(self, out: Any = _NO_OUT) -> Any:
        return self._get("NumberOfCalls", out)

    def get_TotalTalkTime(self, out: Any = _NO_OUT) -> Any:
        return self._get("TotalTalkTime", out)

    def get_AverageTalkTime(self, out: Any = _NO_OUT) -> Any:
        return self._get("AverageTalkTime", out)

    def get_TotalCallTime(self, out: Any = _NO_OUT) -> Any:
        return self._get("TotalCallTime", out)

    def get_AverageCallTime(self, out: Any = _NO_OUT) -> Any:
        return self._get("AverageCallTime", out)

    def get_TotalWrapUpTime(self, out: Any = _NO_OUT) -> Any:
        return self._get("TotalWrapUpTime", out)

    def get_AverageWrapUpTime(self, out: Any = _NO_OUT) -> Any:
        return self._get("AverageWrapUpTime", out)

    def get_ACDCallRate(self, out: Any = _NO_OUT) -> Any:
        """Calls per hour as a Decimal with 4 places (CURRENCY); the COM form
        writes the CURRENCY int64 (value x 10000) through a c_longlong pointer."""
        return self._get("ACDCallRate", out)

    def get_LongestTimeToAnswer(self, out: Any = _NO_OUT) -> Any:
        return self._get("LongestTimeToAnswer", out)

    def get_AverageTimeToAnswer(self, out: Any = _NO_OUT) -> Any:
        return self._get("AverageTimeToAnswer", out)

    # -- COM property names (as Python COM clients expose them) --------------------

    # Typed, so that a type checker sees what each one returns (a 32-bit `long` is an
    # int, SPEC 2.13; ACDCallRate a Decimal, SessionStartTime an OLE DATE float).

    @property
    def Agent(self) -> Any:
        return self.get_Agent()

    @property
    def Address(self) -> Any:
        return self.get_Address()

    @property
    def ACDGroup(self) -> Any:
        return self.get_ACDGroup()

    @property
    def State(self) -> AgentSessionState:
        return self.get_State()

    @State.setter
    def State(self, value: int) -> None:
        self.put_State(value)

    @property
    def SessionStartTime(self) -> float:
        return self.get_SessionStartTime()

    @property
    def ACDCallRate(self) -> Decimal:
        return self.get_ACDCallRate()

    @property
    def SessionDuration(self) -> int:
        return self.get_SessionDuration()

    @property
    def NumberOfCalls(self) -> int:
        return self.get_NumberOfCalls()

    @property
    def TotalTalkTime(self) -> int:
        return self.get_TotalTalkTime()

    @property
    def AverageTalkTime(self) -> int:
        return self.get_AverageTalkTime()

    @property
    def TotalCallTime(self) -> int:
        return self.get_TotalCallTime()

    @property
    def AverageCallTime(self) -> int:
        return self.get_AverageCallTime()

    @property
    def TotalWrapUpTime(self) -> int:
        return self.get_TotalWrapUpTime()

    @property
    def AverageWrapUpTime(self) -> int:
        return self.get_AverageWrapUpTime()

    @property
    def LongestTimeToAnswer(self) -> int:
        return self.get_LongestTimeToAnswer()

    @property
    def AverageTimeToAnswer(self) -> int:
        return self.get_AverageTimeToAnswer()

    # -- conveniences beyond TAPI --------------------------------------------------

    @property
    def session_start_datetime(self) -> _dt.datetime:
        """The start as an aware UTC datetime (microsecond resolution)."""
        s = self._snapshot()
        micros = s.start * 10**6 // s.ticks_per_second
        return _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc) + _dt.timedelta(microseconds=micros)

    def ticks(self) -> SessionTicks:
        """The exact totals behind every getter."""
        return self._snapshot()

    def lineagentsessioninfo(self) -> bytes:
        """The 76-byte packed LINEAGENTSESSIONINFO of this session."""
        from .lineinfo import agent_session_info

        return agent_session_info(self)

    def _get_object(self, name: str, label: str, out: Any) -> Any:
        produce = lambda: self._meta_value(name, label)  # noqa: E731
        if out is _NO_OUT:
            return produce()
        return _com_write(out, "object", produce)


def _com_write(out: Any, kind: str, produce: Callable[[], Any]) -> int:
    """The COM calling form: write the value through `out`, return the HRESULT."""
    target = _out_target(out, kind)
    if target is None:
        return E_POINTER
    try:
        value = produce()
    except TapiError as exc:
        return exc.hresult
    except MemoryError:
        return E_OUTOFMEMORY
    if kind == "cy":
        target.value = int(value.scaleb(4)) if isinstance(value, Decimal) else int(value)
    elif kind == "state":
        target.value = int(value)
    else:
        target.value = value
    return S_OK


# -- the live store ------------------------------------------------------------------


class _LiveSession:
    """Running totals of one live session, updated at each put_State."""

    __slots__ = ("start", "state", "entry", "talk", "wrap", "calls", "wait_sum", "wait_n",
                 "wait_max", "has_wait", "events")

    def __init__(self, start: int, state: int) -> None:
        self.start = start
        self.state = state
        self.entry = start
        self.talk = self.wrap = self.calls = self.wait_sum = self.wait_n = 0
        self.wait_max = -1
        self.has_wait = False
        self.events: list[tuple[int, int, int | None]] = [(start, state, None)]
        if state == AgentSessionState.BUSY_ON_CALL:
            self.calls = 1

    def move(self, time: int, state: int, wait_ticks: int | None) -> None:
        elapsed = time - self.entry
        if self.state == AgentSessionState.BUSY_ON_CALL:
            self.talk += elapsed
        elif self.state == AgentSessionState.BUSY_WRAPUP:
            self.wrap += elapsed
        self.state, self.entry = state, time
        if state == AgentSessionState.BUSY_ON_CALL:
            self.calls += 1
            if wait_ticks is not None:
                self.wait_sum += wait_ticks
                self.wait_n += 1
                self.wait_max = max(self.wait_max, wait_ticks)
        self.events.append((time, state, wait_ticks))

    def snapshot(self, now: int, tps: int) -> SessionTicks:
        ended = self.state == AgentSessionState.SESSION_ENDED
        end = self.entry if ended else max(now, self.entry)
        tail = end - self.entry
        talk = self.talk + (tail if self.state == AgentSessionState.BUSY_ON_CALL else 0)
        wrap = self.wrap + (tail if self.state == AgentSessionState.BUSY_WRAPUP else 0)
        return SessionTicks(
            start=self.start, end=end, state=self.state, duration=end - self.start,
            talk=talk, wrap=wrap, calls=self.calls, wait_sum=self.wait_sum,
            wait_n=self.wait_n, wait_max=self.wait_max, has_wait=True,
            ticks_per_second=tps,
        )


class SessionStore:
    """Live agent sessions for code ported from TAPI.

    store = SessionStore()                       # clock: time.time_ns, ticks of 1 ns
    s = store.create_session("Sathish", "sales") # agent, ACD group[, address]
    s.put_State(AgentSessionState.READY)         # at the store clock's time
    s.get_SessionDuration()                      # measured up to now

    `clock` is any callable returning integer ticks since 1970-01-01 UTC (inject one in
    tests); `ticks_per_second` says what a tick is. Every operation waits at most
    `timeout` seconds (default 120, TAPI's) for the store, then fails with
    TAPI_E_TIMEOUT. After `close()` every operation fails with LINEERR_UNINITIALIZED.
    """

    def __init__(self, *, clock: Callable[[], int] | None = None,
                 ticks_per_second: int = 10**9, timeout: float = DEFAULT_TIMEOUT) -> None:
        if timeout is not None and not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, not {shown(timeout)}")
        try:
            tps = None if isinstance(ticks_per_second, bool) else operator.index(ticks_per_second)
        except TypeError:
            tps = None
        if tps is None or tps <= 0:
            raise tapi_error(E_INVALIDARG, "ticks_per_second must be a positive int (ticks in one "
                             f"second), not {shown(ticks_per_second)}")
        self._clock = clock or _time.time_ns
        self._tps = tps
        self.timeout = timeout
        self._lock = threading.RLock()
        self._sessions: dict[int, _LiveSession] = {}
        self._meta: dict[int, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._last_time: int | None = None
        self._closed = False

    # -- store operations ----------------------------------------------------------

    def create_session(self, agent: Hashable, acd_group: Hashable, address: Hashable = None, *,
                       state: int = AgentSessionState.NOT_READY) -> AgentSession:
        """ITAgent::CreateSession: a new session entering `state` now (choice: TAPI
        does not fix the initial state; NOT_READY by default)."""
        state = _checked_state(state)
        if state == AgentSessionState.SESSION_ENDED:
            raise tapi_error(E_INVALIDARG, "a session cannot start in SESSION_ENDED")
        with self._locked():
            self._check_open()
            key = next(self._ids)
            self._sessions[key] = _LiveSession(self._now(), int(state))
            self._meta[key] = {"agent": agent, "acd_group": acd_group, "address": address}
        return self._facade(key)

    def session(self, key: int) -> AgentSession:
        """The session with this id; unknown ids raise LINEERR_INVALPARAM."""
        with self._locked():
            self._known(key)
        return self._facade(key)

    def remove_session(self, key: int) -> None:
        """Forget a session; its facade then fails with LINEERR_INVALPARAM."""
        with self._locked():
            self._known(key)
            del self._sessions[key], self._meta[key]

    def __len__(self) -> int:
        with self._locked():
            self._check_open()
            return len(self._sessions)

    def keys(self) -> list[int]:
        with self._locked():
            self._check_open()
            return list(self._sessions)

    def close(self) -> None:
        with self._locked():
            self._closed = True

    def __enter__(self) -> SessionStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def events(self) -> dict[str, list[Any]]:
        """Every recorded transition as columns (session, time, state, wait in ticks,
        agent, acd_group, address), ready for `agentstats.aggregate(..., unit=...)`."""
        with self._locked():
            self._check_open()
            columns: dict[str, list[Any]] = {name: [] for name in
                                              ("session", "time", "state", "wait", "agent", "acd_group", "address")}
            for key, live in self._sessions.items():
                for time, state, wait in live.events:
                    columns["session"].append(key)
                    columns["time"].append(time)
                    columns["state"].append(state)
                    columns["wait"].append(float("nan") if wait is None else wait)
                    for name in ("agent", "acd_group", "address"):
                        columns[name].append(self._meta[key][name])
            return columns

    # -- internals -----------------------------------------------------------------

    def _facade(self, key: int) -> AgentSession:
        return AgentSession(key, lambda: self._snapshot(key), _MetaView(self, key), store=self)

    def _locked(self) -> _Locked:
        return _Locked(self)

    def _check_open(self) -> None:
        if self._closed:
            raise tapi_error(LINEERR_UNINITIALIZED, "the session store is closed")

    def _known(self, key: int) -> _LiveSession:
        self._check_open()
        live = self._sessions.get(key)
        if live is None:
            raise tapi_error(LINEERR_INVALPARAM, f"session {shown(key)} is unknown to this store")
        return live

    def _now(self) -> int:
        # Events of the store never go back in time, even if the clock does.
        now = int(self._clock())
        if self._last_time is not None and now < self._last_time:
            now = self._last_time
        self._last_time = now
        return now

    def _snapshot(self, key: int) -> SessionTicks:
        with self._locked():
            return self._known(key).snapshot(self._now(), self._tps)

    def _put_state(self, key: int, state: Any, wait: float | None) -> None:
        state = _checked_state(state)
        with self._locked():
            live = self._known(key)
            if state == live.state:
                return                       # not a transition (SPEC 4.3)
            if not is_valid_transition(live.state, state):
                raise tapi_error(
                    LINEERR_INVALAGENTSESSIONSTATE,
                    f"{AgentSessionState(live.state).name} -> {AgentSessionState(state).name} "
                    "is not a valid transition")
            wait_ticks = None if wait is None else self._wait_ticks(wait)
            live.move(self._now(), int(state), wait_ticks)

    def _wait_ticks(self, wait: Any) -> int:
        """A caller's wait in seconds as ticks (rounded to the nearest, halves to even):
        a finite number >= 0 whose ticks fit int64, else E_INVALIDARG."""
        exact = None
        if not isinstance(wait, (bool, str, bytes)):
            for read in (Fraction, lambda value: Fraction(float(value))):
                try:
                    exact = read(wait)
                    break
                except (TypeError, ValueError, OverflowError):   # not a number; inf; nan
                    continue
        if exact is None or exact < 0:
            raise tapi_error(E_INVALIDARG, f"wait must be a finite number of seconds >= 0, not {shown(wait)}")
        ticks = round(exact * self._tps)
        if ticks > _INT64_MAX:
            raise tapi_error(E_INVALIDARG, f"wait of {shown(wait)} s does not fit int64 ticks")
        return ticks


class _Locked:
    """Context manager: the store's lock within its timeout, else TAPI_E_TIMEOUT."""

    __slots__ = ("store",)

    def __init__(self, store: SessionStore) -> None:
        self.store = store

    def __enter__(self) -> None:
        timeout = -1 if self.store.timeout is None else self.store.timeout
        if not self.store._lock.acquire(timeout=timeout):
            raise tapi_error(TAPI_E_TIMEOUT, f"the session store was busy for {self.store.timeout} s")

    def __exit__(self, *exc: object) -> None:
        self.store._lock.release()


class _MetaView(dict):
    """The agent / ACD group / address of a store session, checked on each read."""

    def __init__(self, store: SessionStore, key: int) -> None:
        super().__init__()
        self._store, self._key = store, key

    def get(self, name: str, default: Any = None) -> Any:
        with self._store._locked():
            self._store._known(self._key)
            return self._store._meta[self._key].get(name, default)

    def __getitem__(self, name: str) -> Any:
        return self.get(name)


def _checked_state(state: Any) -> AgentSessionState:
    """E_INVALIDARG for anything that is not an AGENT_SESSION_STATE 0..4."""
    try:
        if isinstance(state, bool) or int(state) != state:
            raise ValueError
        return AgentSessionState(int(state))
    except (TypeError, ValueError):
        raise tapi_error(E_INVALIDARG, f"state {shown(state)} is not an AGENT_SESSION_STATE (0..4)") from None
