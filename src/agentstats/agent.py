"""The ITAgent facade: one agent across its sessions.

Every getter exists in the two calling forms of the ITAgentSession facade (session.py):

    value = agent.get_TotalACDTalkTime()                  # the value, or raises TapiError
    hr = agent.get_TotalACDTalkTime(ctypes.pointer(out))  # COM style: returns the HRESULT
    agent.TotalACDTalkTime                                # the COM property name

The ACD totals are sums over the agent's queue sessions, as TAPI defines them; the
state and OverallCallRate come from the agent's wall-clock timeline.
The measurement period is the window [as_of - period, as_of] (seconds); by default
the whole log.
"""

from __future__ import annotations

import enum
from collections.abc import Hashable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np

from .hresult import (
    E_INVALIDARG,
    LINEERR_OPERATIONFAILED,
    LINEERR_OPERATIONUNAVAIL,
    S_OK,
    tapi_error,
)
from .session import _NO_OUT, _com_write, _long

if TYPE_CHECKING:  # pragma: no cover
    from .agent_table import AgentTable
    from .session import AgentSession

__all__ = ["Agent", "AgentState", "LiveAgent"]

_CY_MAX = 2**63 - 1


class AgentState(enum.IntEnum):
    """TAPI's AGENT_STATE."""

    AS_NOT_READY = 0
    AS_READY = 1
    AS_BUSY_ACD = 2
    AS_BUSY_INCOMING = 3
    AS_BUSY_OUTGOING = 4
    AS_UNKNOWN = 5


# SPEC 7.1: agent state (kernel code) -> ITAgent State; logged out -> AS_UNKNOWN (choice)
_STATE = {2: AgentState.AS_BUSY_ACD, 3: AgentState.AS_BUSY_ACD, 1: AgentState.AS_READY,
          0: AgentState.AS_NOT_READY, -1: AgentState.AS_UNKNOWN}


def currency_per_hour(count: int, ticks: int, ticks_per_second: int) -> int:
    """count per hour of `ticks` as CURRENCY (value x 10000), round half to even; 0 when
    the time is 0 (as ACDCallRate)."""
    if ticks <= 0:
        return 0
    quotient, remainder = divmod(count * 3600 * ticks_per_second * 10000, ticks)
    twice = 2 * remainder
    if twice > ticks or (twice == ticks and quotient % 2):
        quotient += 1
    if quotient > _CY_MAX:
        raise tapi_error(LINEERR_OPERATIONFAILED, f"OverallCallRate {quotient} / 10000 does not fit CURRENCY")
    return quotient


class Agent:
    """One agent with every ITAgent method, from `AgentTable.agent(key)`."""

    def __init__(self, table: AgentTable, position: int) -> None:
        self._fixed = (table, position)
        key = table.keys[position]
        # (integer ids are an int64 column of the table; the agent's key is a Python int)
        self._key = key.item() if isinstance(key, np.generic) else key
        self._period: int | None = None          # seconds; None = the whole log

    def _current(self) -> tuple[AgentTable, int]:
        """The table this agent is read from, and its row (a live agent: a new one on
        every read)."""
        return self._fixed

    @classmethod
    def from_table(cls, table: AgentTable, position: int) -> Agent:
        return cls(table, position)

    @property
    def key(self) -> Hashable:
        return self._key

    def __repr__(self) -> str:
        return f"<Agent {self._key!r} {self.get_State().name}>"

    # -- what the getters read -------------------------------------------------------

    def _totals(self) -> dict[str, int]:
        """Exact ticks for the measurement period: the timeline, and the ACD sums over
        the agent's queue sessions."""
        table, i = self._current()
        tps = {"tps": table.ticks_per_second}
        if self._period is not None:
            if table.window is None or table.as_of is None:
                raise tapi_error(LINEERR_OPERATIONUNAVAIL,
                                 "a measurement period needs the table computed with sessions=True")
            end = table.as_of
            start = end - self._period * table.ticks_per_second
            return {**table.window.totals(int(table._codes[i]), start, end), **tps}
        t = {name: int(values[i]) for name, values in table.ticks.items()}
        sessions = self._session_positions(table)
        if sessions is None:
            acd = {"acd_talk": None, "acd_wrap": None, "acd_calls": None}
        else:
            st = table.sessions.ticks
            acd = {"acd_talk": sum(int(st["talk"][p]) for p in sessions),
                   "acd_wrap": sum(int(st["wrap"][p]) for p in sessions),
                   "acd_calls": sum(int(st["calls"][p]) for p in sessions)}
        return {**t, **acd, **tps}

    def _session_positions(self, table: AgentTable) -> list[int] | None:
        sessions = table.sessions
        if sessions is None:
            return None
        agents = sessions.meta.get("agent")
        if agents is None:
            return []
        return [p for p, a in enumerate(agents.tolist()) if a == self._key]

    @staticmethod
    def _acd(t: dict[str, int], name: str, label: str) -> int:
        value = t[name]
        if value is None:
            raise tapi_error(LINEERR_OPERATIONUNAVAIL,
                             f"{label}: the table was computed without its sessions (sessions=False)")
        return value

    def _seconds(self, name: str, label: str) -> int:
        t = self._totals()
        return _long(label, self._acd(t, name, label) // t["tps"])

    def _get(self, kind: str, produce: Any, out: Any) -> Any:
        if out is _NO_OUT:
            return produce()
        return _com_write(out, kind, produce)

    # -- ITAgent -------------------------------------------------------------------

    def get_ID(self, out: Any = _NO_OUT) -> Any:
        """The agent's key in the log."""
        return self._get("object", lambda: self._key, out)

    def get_User(self, out: Any = _NO_OUT) -> Any:
        """The user the agent works as: the log names only the agent, so its key (choice)."""
        return self._get("object", lambda: str(self._key), out)

    def get_State(self, out: Any = _NO_OUT) -> Any:
        """The agent state in force at the report time (AGENT_STATE)."""
        def produce() -> AgentState:
            table, i = self._current()
            return _STATE[int(table.ticks["state"][i])]
        return self._get("state", produce, out)

    def get_MeasurementPeriod(self, out: Any = _NO_OUT) -> Any:
        """Seconds before the report time that the statistics cover; by default the whole
        log (from the earliest login in the table)."""
        def produce() -> int:
            if self._period is not None:
                return self._period
            table = self._current()[0]
            first = int(table.ticks["first_login"].min()) if len(table) else 0
            end = table.as_of if table.as_of is not None else first
            return _long("MeasurementPeriod", -(-(end - first) // table.ticks_per_second))
        return self._get("long", produce, out)

    def put_MeasurementPeriod(self, period: int) -> int:
        """Measure over [as_of - period, as_of] (seconds, > 0); E_INVALIDARG otherwise."""
        if isinstance(period, bool) or not isinstance(period, int) or period <= 0:
            raise tapi_error(E_INVALIDARG, f"MeasurementPeriod must be a positive number of seconds, not {period!r}")
        _long("MeasurementPeriod", period)
        self._period = period
        return S_OK

    def get_OverallCallRate(self, out: Any = _NO_OUT) -> Any:
        """Calls answered per hour of wall-clock logged-in time, CURRENCY (4 places)."""
        def produce() -> Decimal:
            t = self._totals()
            rate = currency_per_hour(t["calls"], t["logged_in"], t["tps"])
            return Decimal(rate).scaleb(-4).quantize(Decimal("0.0001"))
        return self._get("cy", produce, out)

    def get_NumberOfACDCalls(self, out: Any = _NO_OUT) -> Any:
        return self._get("long", lambda: _long("NumberOfACDCalls",
                                               self._acd(self._totals(), "acd_calls", "NumberOfACDCalls")), out)

    def get_TotalACDTalkTime(self, out: Any = _NO_OUT) -> Any:
        return self._get("long", lambda: self._seconds("acd_talk", "TotalACDTalkTime"), out)

    def get_TotalACDCallTime(self, out: Any = _NO_OUT) -> Any:
        def produce() -> int:
            t = self._totals()
            total = self._acd(t, "acd_talk", "TotalACDCallTime") + self._acd(t, "acd_wrap", "TotalACDCallTime")
            return _long("TotalACDCallTime", total // t["tps"])
        return self._get("long", produce, out)

    def get_TotalWrapUpTime(self, out: Any = _NO_OUT) -> Any:
        return self._get("long", lambda: self._seconds("acd_wrap", "TotalWrapUpTime"), out)

    def get_NumberOfIncomingCalls(self, out: Any = _NO_OUT) -> Any:
        return self._get("long", lambda: self._unavailable("NumberOfIncomingCalls"), out)

    def get_NumberOfOutgoingCalls(self, out: Any = _NO_OUT) -> Any:
        return self._get("long", lambda: self._unavailable("NumberOfOutgoingCalls"), out)

    def get_AgentSessions(self, out: Any = _NO_OUT) -> Any:
        """The agent's ITAgentSession objects (its queue sessions), in table order."""
        def produce() -> list[AgentSession]:
            table = self._current()[0]
            positions = self._session_positions(table)
            if positions is None:
                raise tapi_error(LINEERR_OPERATIONUNAVAIL,
                                 "AgentSessions: the table was computed without its sessions (sessions=False)")
            keys = table.sessions.keys
            return [table.sessions.session(keys[p]) for p in positions]
        return self._get("object", produce, out)

    def _unavailable(self, name: str) -> int:
        raise tapi_error(LINEERR_OPERATIONUNAVAIL,
                         f"{name}: calls outside the ACD queues are not in this log")

    # -- COM property names ----------------------------------------------------------

    ID = property(lambda self: self.get_ID())
    User = property(lambda self: self.get_User())
    State = property(lambda self: self.get_State())
    MeasurementPeriod = property(lambda self: self.get_MeasurementPeriod(),
                                 lambda self, value: self.put_MeasurementPeriod(value))
    OverallCallRate = property(lambda self: self.get_OverallCallRate())
    NumberOfACDCalls = property(lambda self: self.get_NumberOfACDCalls())
    TotalACDTalkTime = property(lambda self: self.get_TotalACDTalkTime())
    TotalACDCallTime = property(lambda self: self.get_TotalACDCallTime())
    TotalWrapUpTime = property(lambda self: self.get_TotalWrapUpTime())
    NumberOfIncomingCalls = property(lambda self: self.get_NumberOfIncomingCalls())
    NumberOfOutgoingCalls = property(lambda self: self.get_NumberOfOutgoingCalls())
    AgentSessions = property(lambda self: self.get_AgentSessions())


_UNIT_OF = {1: "s", 10**3: "ms", 10**6: "us", 10**9: "ns"}


class LiveAgent(Agent):
    """An agent of a live `SessionStore`, measured up to the store clock on every read
    (its timeline over the store's sessions of that agent).

        store = agentstats.SessionStore()
        store.create_session("Sathish", "sales", state=READY)
        agent = agentstats.LiveAgent(store, "Sathish")
        agent.get_OverallCallRate()          # up to now

    An agent with no session in the store is LINEERR_INVALPARAM; a closed store is
    LINEERR_UNINITIALIZED."""

    def __init__(self, store: Any, key: Hashable) -> None:
        self._store = store
        self._key = key
        self._period = None

    def _current(self) -> tuple[AgentTable, int]:
        """A fresh table of the agent's events up to the store clock."""
        from .agents import agent_stats
        from .hresult import LINEERR_INVALPARAM

        store = self._store
        with store._locked():
            store._check_open()
            now = store._now()
            events = store.events()
        unit = _UNIT_OF.get(store._tps)
        if unit is None:
            raise tapi_error(LINEERR_OPERATIONUNAVAIL,
                             f"a store with {store._tps} ticks a second has no time unit for the agent view")
        mine = [i for i, a in enumerate(events["agent"]) if a == self._key]
        if not mine:
            raise tapi_error(LINEERR_INVALPARAM, f"agent {self._key!r} has no session in this store")
        pick = {name: [values[i] for i in mine] for name, values in events.items()}
        table = agent_stats(pick["session"], pick["time"], pick["state"], agent=pick["agent"],
                            wait=pick["wait"], acd_group=pick["acd_group"], unit=unit, as_of=now)
        return table, 0
