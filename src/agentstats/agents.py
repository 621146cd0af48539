"""From event columns to per-agent statistics across sessions: the agent timeline.

An agent's sessions (one per ACD group) and its presence are merged into
wall-clock time: at every instant a logged-in agent is in exactly one agent state
(on call > wrap-up > ready > not ready), so that

    logged_in == talk + wrapup + ready + not_ready

holds exactly, per agent, per interval and for the whole report.

This module validates and normalises the inputs (reusing aggregate.py's helpers),
maps keys to dense codes (keycodes.py), allocates the state arrays, calls the kernel
(_agents.pyx) and wraps the result in an AgentTable; io/queue_log_agents.py feeds it
from a queue_log. Rows may come in any order: a log
that is not in time order within each agent is stably sorted by (agent, time) first.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _agents, _kernel, scratch
from .aggregate import (
    INVALID_STATE,
    MISSING,
    TICKS_PER_SECOND,
    Aggregator,
    _MIN_ROWS_PER_THREAD,
    _available_cores,
    _check_deadline,
    _deadline,
    _is_missing,
    _memory_errors_as_tapi,
    _raise_first_invalid,
    _raise_for_status,
    _threads_can_start,
)
from .columns import (
    _as_key_array,
    _as_of_to_ticks,
    _length,
    _native,
    _normalise_state,
    _time_to_ticks,
    _to_numpy,
)
from .agent_table import AgentTable
from .hresult import E_OUTOFMEMORY, LINEERR_OPERATIONFAILED, tapi_error
from .keycodes import KeyCodes, int_key_ranges

__all__ = ["agent_stats", "AgentAggregator", "INTERVALS", "TIMELINE_SESSION_DTYPE",
           "TIMELINE_SESSION_COLD_DTYPE", "TIMELINE_AGENT_DTYPE"]

#: interval= values a report accepts besides a number of minutes (SPEC 7.3)
INTERVALS = {"day": 24 * 60}

# One record per session and per agent (see _timeline.pxd, same field order).
TIMELINE_SESSION_DTYPE = np.dtype([
    ("agent", "=i4"), ("state", "u1"), ("presence", "u1"), ("_pad", "u1", (2,)),
])
#: what only a session's first row and its pauses touch, in a parallel array
TIMELINE_SESSION_COLD_DTYPE = np.dtype([
    ("paused_seq", "=i8"), ("reason", "=i4"), ("next_member", "=i4"),
])
TIMELINE_AGENT_DTYPE = np.dtype([
    ("last_time", "=i8"), ("times", "=u8", (4,)), ("calls", "=i8"), ("n_open", "=i2", (5,)),
    ("_pad16", "=i2"), ("reason", "=i4"),
    ("reason_seq", "=i8"), ("reason_base", "=u8"), ("first_login", "=i8"), ("last_logoff", "=i8"),
    ("first_member", "=i8"), ("bucket", "=i8"), ("b_times", "=u8", (4,)), ("b_calls", "=i8"),
    ("_pad_line", "=i8", (5,)),
])
#: kernel times index (the state entered): NOT_READY, READY, BUSY_ON_CALL, BUSY_WRAPUP
TIME_FIELDS = {"not_ready": 0, "ready": 1, "talk": 2, "wrap": 3}
#: an agent may have at most this many sessions open in one state (int16 counts)
MAX_SESSIONS_PER_AGENT = 32767
if (TIMELINE_SESSION_DTYPE.itemsize != _agents.timeline_session_itemsize()
        or TIMELINE_SESSION_COLD_DTYPE.itemsize != _agents.timeline_session_cold_itemsize()
        or TIMELINE_AGENT_DTYPE.itemsize != _agents.timeline_agent_itemsize()):  # pragma: no cover
    raise ImportError("agentstats: the timeline dtypes do not match the compiled kernel")

_BUCKETS = ("used", "duplicate", "after_end", "after_as_of", "invalid_state", "invalid_time")
_INT64_MAX = np.iinfo(np.int64).max


def agent_stats(
    *columns: Any,
    session: Any = None,
    time: Any = None,
    state: Any = None,
    agent: Any = None,
    data: Any = None,
    wait: Any = None,
    reason: Any = None,
    presence: Any = None,
    acd_group: Any = None,
    address: Any = None,
    unit: str | None = None,
    as_of: Any = None,
    interval: int | str | None = None,
    strict: bool = True,
    sessions: bool = True,
    n_threads: int | None = None,
    timeout: float | None = None,
    tz: Any = None,
    window_start: Any = None,
) -> AgentTable:
    """Per-agent statistics across sessions: one wall-clock timeline per agent.

    Called like :func:`agentstats.aggregate`, in any of its forms::

        agent_stats(session, time, state, agent=agent, ...)          separate columns
        agent_stats(table, session="sid", time="ts", state="code", agent="who", ...)
        agent_stats("sid", "ts", "code", agent="who", data=table)    column names of a table

    where a table is pandas, polars, pyarrow, a DuckDB relation or anything with the
    Arrow stream interface; every column (reason, presence, ...) may then be a name.

    session, time, state, wait, unit, as_of, strict: as for :func:`agentstats.aggregate`.
    agent: the agent of each row (constant within a session; required).
    reason: the pause reason of each row (used on rows entering NOT_READY; None/NaN or
        "" is no reason).
    presence: per row, True when the row's session is the agent's presence (logged in
        without a queue): it counts as logged in, and as not ready unless a queue
        session says otherwise. Constant within a session.
    acd_group, address: kept with each session for the session table.
    interval: None, a number of minutes (e.g. 15, 30, 60) or "day": also split every
        agent time at the interval edges for `.intervals()`: UTC ones from the epoch, or
        with `tz` the local ones (a local day may last 23 or 25 hours).
    tz: a time zone name ("Europe/Rome") or tzinfo: intervals on its local boundaries,
        and the table's times as local datetimes. Default None: UTC.
    window_start: a report of the window [window_start, as_of] only (datetime, ISO text
        or ticks): every agent time is cut exactly at the window's start, and calls
        answered before it are left out. With `interval`, it must be an interval edge.
    sessions: also compute the per-session table of the queue sessions (for
        `.agent(key).get_AgentSessions()` and the ACD totals); False is faster.
    n_threads: threads for the timeline (default: all cores for large inputs), capped
        at the cores; each thread takes a share of the agents. Same results.

    Returns an AgentTable.
    """
    from .frames import call_columns

    given = call_columns(
        columns, data,
        {"session": session, "time": time, "state": state, "agent": agent, "wait": wait,
         "reason": reason, "presence": presence, "acd_group": acd_group, "address": address},
        required=("session", "time", "state"), what="agent_stats")
    if "agent" not in given:
        raise TypeError("agent_stats() needs the agent of each row: agent=...")
    aggregator = AgentAggregator(unit=unit, as_of=as_of, interval=interval, strict=strict,
                                 sessions=sessions, n_threads=n_threads, timeout=timeout, tz=tz,
                                 window_start=window_start)
    aggregator.update(given["session"], given["time"], given["state"], agent=given["agent"],
                      wait=given.get("wait"), reason=given.get("reason"),
                      presence=given.get("presence"), acd_group=given.get("acd_group"),
                      address=given.get("address"))
    table = aggregator.result()
    # the records are scratch now (the table holds copies): the next call reuses them
    for records in (aggregator._agent_states, aggregator._session_states, aggregator._session_cold):
        scratch.give_back(records)
    return table


class AgentAggregator:
    """The agent timeline in chunks: `update()` any number of times, then `result()`.

    Inside a chunk rows may come in any order; across chunks an agent's rows must not
    go back in time (a row earlier than an already-applied row of its agent raises
    ValueError). Chunked updates give exactly the one-shot answer. Memory: one small
    record per session and per agent, plus the per-interval and per-reason sums.
    """

    def __init__(
        self,
        *,
        unit: str | None = None,
        as_of: Any = None,
        interval: int | str | None = None,
        strict: bool = True,
        sessions: bool = True,
        n_threads: int | None = None,
        timeout: float | None = None,
        tz: Any = None,
        window_start: Any = None,
    ) -> None:
        if isinstance(n_threads, np.integer):
            n_threads = int(n_threads)
        if n_threads is not None and (not isinstance(n_threads, int) or isinstance(n_threads, bool)
                                      or n_threads < 1):
            raise ValueError(f"n_threads must be a positive int or None, not {_plain(n_threads)}")
        self._n_threads = n_threads
        if unit is not None and unit not in TICKS_PER_SECOND:
            raise ValueError(f"unit must be one of {sorted(TICKS_PER_SECOND)}, not {unit!r}")
        self._interval_minutes = _interval_minutes(interval)
        from .localtime import fine_step, time_zone

        self._tz = time_zone(tz)
        # With a zone the kernel splits at a finer step that every local edge lies on
        # (an hour for a local day in Europe/Rome); the table adds the steps up.
        self._step_seconds = (fine_step(self._interval_minutes * 60, self._tz)
                              if self._tz is not None and self._interval_minutes else self._interval_minutes * 60)
        if timeout is not None and not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        self._unit = unit
        self._as_of_input = as_of
        self._strict = bool(strict)
        self._timeout = timeout
        self._tick_unit: str | None = None
        self._as_of: int | None = None
        self._width = 0
        self._window_input = window_start
        self._window_start: int | None = None     # ticks, once the tick unit is known
        self._rows = 0
        self._counts = dict.fromkeys(_BUCKETS, 0)
        self._max_time = MISSING
        self._session_keys = KeyCodes("session")
        self._agent_keys = KeyCodes("agent")
        self._reason_keys = KeyCodes("reason")
        self._had_reasons = False      # some committed chunk had a reason column
        self._had_presence = False     # some committed chunk had a presence column
        self._session_states = _new_sessions(0)
        self._session_cold = _new_session_cold(0)
        self._agent_states = _new_agents(0)
        self._interval_rows: list[np.ndarray] = []
        self._reason_rows: list[np.ndarray] = []
        self._session_aggregator = (
            Aggregator(unit=unit, as_of=as_of, strict=strict, n_threads=n_threads, timeout=timeout)
            if sessions else None)
        # With the session table, the normalised rows are kept too (17 bytes a row), so
        # that the ITAgent facade can measure any period (SPEC 7.2) exactly.
        self._kept: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def update(
        self,
        session: Any,
        time: Any,
        state: Any,
        *,
        agent: Any,
        wait: Any = None,
        reason: Any = None,
        presence: Any = None,
        acd_group: Any = None,
        address: Any = None,
    ) -> AgentAggregator:
        """Add one chunk of rows. Errors raise before anything changes."""
        deadline = _deadline(self._timeout)
        with _memory_errors_as_tapi():
            self._update(session, time, state, agent, wait, reason, presence, acd_group,
                         address, deadline)
        return self

    def result(self, *, as_of: Any = None) -> AgentTable:
        """The per-agent statistics of everything added so far, with every logged-in
        agent closed at `as_of` (default: the Aggregator's as_of, else the latest time)."""
        with _memory_errors_as_tapi():
            return self._result(as_of)

    # -- one chunk -------------------------------------------------------------------

    def _update(self, session, time, state, agent, wait, reason, presence, acd_group,
                address, deadline) -> None:
        columns = {"session": session, "time": time, "state": state, "agent": agent}
        for name, values in (("wait", wait), ("reason", reason), ("presence", presence),
                             ("acd_group", acd_group), ("address", address)):
            if values is not None:
                columns[name] = values
        lengths = {name: _length(values, name) for name, values in columns.items()}
        if len(set(lengths.values())) > 1:
            shown = ", ".join(f"{name}={n}" for name, n in lengths.items())
            raise ValueError(f"columns have unequal lengths: {shown}")
        n = lengths["session"]

        ticks, tick_unit = _time_to_ticks(time, self._unit, self._tick_unit)
        # the kernel takes every state above 4 as invalid, so int8 states are read in
        # place (-128..-1 as 128..255); other integer widths take one pass, on the
        # kernel's threads
        states, raw_state = _normalise_state(state, self._threads_for(n, n_agents=2), any_invalid=True)
        session_keys = _as_key_array(session)
        agent_keys = _as_key_array(agent)
        if agent_keys.dtype.kind == "f":
            agent_keys = agent_keys.astype(object)
        as_of = self._as_of if tick_unit == self._tick_unit else _as_of_to_ticks(self._as_of_input, tick_unit)
        width = self._step_seconds * TICKS_PER_SECOND[tick_unit] if self._interval_minutes else 0
        origin = 0
        if self._window_input is not None:
            window = _as_of_to_ticks(self._window_input, tick_unit)
            if not width:
                # one interval from the window's start: the kernel cuts time there exactly
                width, origin = _WINDOW_WIDTH, window
            else:
                self._check_window_edge(window, width, tick_unit)
            self._window_start = window

        # Keys -> dense codes (kept only once the chunk is committed).
        # both integer key columns' ranges in one pass (a pass per column cost twice),
        # on the kernel's threads: on 50M rows 24 ms on two against 35 ms on one on a
        # quiet machine, 30 against 47 ms on a busy one
        # (the pass splits in two at most, so the agent count, not known yet, is no cap)
        session_keys, agent_keys, session_range, agent_range = int_key_ranges(
            session_keys, agent_keys, max_threads=self._threads_for(n, n_agents=2))
        sessions_coded = self._session_keys.coded(session_keys, session_range)
        agents_coded = self._agent_keys.coded(agent_keys, agent_range)
        n_sessions = self._session_keys.pending_size()
        n_agents = self._agent_keys.pending_size()
        # per row; the kernel checks that a session keeps its agent and presence flag
        rows_presence = (_presence_flags(presence, n) if presence is not None
                         else np.empty(0, dtype=np.uint8))
        # Without a reason column the kernel skips the pause-reason bookkeeping, which is
        # exact only while no chunk has had reasons: after one has, a chunk without
        # reasons says "no reason" on each row.
        if reason is not None:
            reasons = self._reason_codes(reason, states)
        elif self._had_reasons:
            reasons = np.full(n, -1, dtype=np.int32)
        else:
            reasons = np.empty(0, np.int32)
        _check_deadline(deadline)

        def grown():
            # the committed records grown to this chunk's codes, as copies: the scan
            # writes to these only, so the committed ones stay the state before the chunk
            return (_grow_records(self._session_states, n_sessions, _new_sessions),
                    _grow_records(self._session_cold, n_sessions, _new_session_cold),
                    _grow_records(self._agent_states, n_agents, _new_agents))

        session_states, session_cold, agent_states = grown()
        kernel_as_of = as_of if as_of is not None else _INT64_MAX
        counters = np.zeros(len(_agents.COUNTER_NAMES), dtype=np.int64)
        counters[-1] = MISSING

        threads = self._threads_for(n, n_agents)
        # the (min, max) of the key columns the kernel reads, so that its plain loop
        # need not test each row's codes (a range known already, else one pass)
        codes_range = _exact_range(sessions_coded, session_keys, session_range)
        agents_range = _exact_range(agents_coded, agent_keys, agent_range)

        def scan(rows, n_threads):
            def pick(values):
                return values if rows is None or not len(values) else values[rows]
            if reason is not None and not self._had_reasons and len(self._session_states):
                # the first chunk with pause reasons after chunks without: the scan kept
                # no lists of the agents' sessions (only the pause-reason bookkeeping
                # reads them; once reasons are on, every chunk passes some), built now
                _agents.link_members(session_states.view(np.uint8), session_cold.view(np.uint8),
                                     agent_states.view(np.uint8))
            return _agents.scan(
                pick(sessions_coded.keys), pick(agents_coded.keys), pick(ticks), pick(states),
                pick(reasons), pick(rows_presence), session_states.view(np.uint8),
                session_cold.view(np.uint8), agent_states.view(np.uint8), counters, as_of=kernel_as_of, origin=origin,
                width=width, seq0=self._rows, deadline=deadline,
                codes_lo=sessions_coded.lo, codes_lookup=sessions_coded.lookup,
                agents_lo=agents_coded.lo, agents_lookup=agents_coded.lookup,
                n_threads=n_threads, presence_before=self._had_presence,
                codes_range=codes_range, agents_range=agents_range)

        def restore():
            # (no snapshot taken on every chunk: the committed records are the one)
            for records, before in zip((session_states, session_cold, agent_states), grown()):
                records[:] = before
            counters[:] = 0
            counters[-1] = MISSING

        def scan_exactly(rows=None):
            # With threads, a bad row only says "some row is bad" (the threads stop at
            # their own first one): rerun on one thread, which names the first.
            result = scan(rows, threads)
            if threads > 1 and result[0] not in (_agents.STATUS_OK, _agents.STATUS_TIMEOUT,
                                                 _agents.STATUS_NO_MEMORY):
                restore()
                result = scan(rows, 1)
            return result

        status, stopped, intervals, reason_rows = scan_exactly()
        order = None
        if status == _agents.STATUS_NEEDS_ORDER:
            # SPEC 1.1: not in time order within an agent; a stable sort by (agent, time)
            # gives the order a time-ordered log would have (equal times keep input order).
            restore()
            order = np.lexsort((ticks, agents_coded.codes()))
            status, stopped, intervals, reason_rows = scan_exactly(order)
            if status == _agents.STATUS_NEEDS_ORDER:
                raise ValueError(
                    "a row is earlier than an already applied row of its agent: chunks "
                    "must not go back in time within an agent")
        if status in (_agents.STATUS_AGENT_CHANGED, _agents.STATUS_PRESENCE_CHANGED):
            row = int(stopped if order is None else order[stopped])
            name = "agent" if status == _agents.STATUS_AGENT_CHANGED else "presence"
            shown = agent_keys if name == "agent" else rows_presence.astype(bool)
            _raise_changed(name, row, sessions_coded.codes(), session_keys, shown)
        if status != _agents.STATUS_OK:
            _raise_for_status(status)
        sessions_per_agent = np.bincount(session_states["agent"][session_states["agent"] >= 0],
                                         minlength=1)
        if sessions_per_agent.max() > MAX_SESSIONS_PER_AGENT:
            bad = int(np.argmax(sessions_per_agent))
            raise ValueError(f"agent {_plain(self._agent_keys.pending_key(bad))} has more than "
                             f"{MAX_SESSIONS_PER_AGENT} sessions")
        totals = dict(zip(_agents.COUNTER_NAMES, counters.tolist()))
        if self._strict and (totals["invalid_time"] or totals["invalid_state"]):
            # SPEC 3.1: nothing of this chunk is kept; name the first bad row.
            _raise_first_invalid(ticks, states, raw_state, session_keys)

        if self._session_aggregator is not None:
            keep = None
            if len(rows_presence) and rows_presence.any():
                keep = rows_presence == 0

            def pick(values):
                if values is None or keep is None:
                    return values
                return _to_numpy(values, "column")[keep]
            self._session_aggregator.update(
                pick(session), pick(time), pick(state), wait=pick(wait), agent=pick(agent),
                acd_group=pick(acd_group), address=pick(address))

        # Commit.
        self._session_keys.commit()
        self._agent_keys.commit()
        self._reason_keys.commit()
        self._had_reasons = self._had_reasons or reason is not None
        self._had_presence = self._had_presence or presence is not None
        self._session_states = session_states
        self._session_cold = session_cold
        self._agent_states = agent_states
        self._tick_unit = tick_unit
        self._as_of = as_of
        self._width = width
        self._origin = origin
        self._rows += n
        for name in _BUCKETS:
            self._counts[name] += totals[name]
        self._max_time = max(self._max_time, totals["max_time"])
        if len(intervals):
            self._interval_rows.append(intervals)
        if len(reason_rows):
            self._reason_rows.append(reason_rows)
        if self._session_aggregator is not None:
            self._kept.append((sessions_coded.codes(), ticks, states))

    def _threads_for(self, n_rows: int, n_agents: int) -> int:
        """Threads for the kernel: n_threads, or every core for large inputs, never more
        than the cores (a thread beyond them only waits) nor than the agents; one when
        the extension has no OpenMP. As aggregate: when the system refuses to start
        them, one thread if n_threads was not given, else E_OUTOFMEMORY."""
        if not _agents.openmp_enabled():
            return 1
        cores = _available_cores()
        if self._n_threads is not None:
            wanted = min(self._n_threads, cores)
        else:
            wanted = min(cores, max(1, n_rows // _MIN_ROWS_PER_THREAD))
        wanted = max(1, min(wanted, n_agents))
        if wanted <= 1 or _threads_can_start(wanted):
            return wanted
        if self._n_threads is None:
            return 1
        raise tapi_error(
            E_OUTOFMEMORY,
            f"could not start {wanted} threads (the system refused a new thread: a memory "
            "or process limit); pass n_threads=1")

    def _reason_codes(self, reason: Any, states: np.ndarray) -> np.ndarray:
        values = _to_numpy(reason, "reason").astype(object, copy=False)
        # Only rows entering NOT_READY carry a reason; missing and "" are no reason.
        pausing = states == 0
        out = np.full(len(values), -1, dtype=np.int32)
        picked = values[pausing]
        given = ~_is_missing(picked)
        picked = picked[given]
        text = np.array([v if isinstance(v, str) else str(v) for v in picked], dtype=object)
        nonempty = text != ""
        codes = self._reason_keys.codes(text[nonempty])
        where = np.flatnonzero(pausing)[given][nonempty]
        out[where] = codes
        return out

    def _check_window_edge(self, window: int, width: int, tick_unit: str) -> None:
        """With intervals, a window must start on an interval edge (so no interval is
        cut in two)."""
        tps = TICKS_PER_SECOND[tick_unit]
        seconds, rest = divmod(window, tps)
        if self._tz is not None:
            from .localtime import local_interval_starts

            step = width // tps
            on_edge = not rest and seconds % step == 0 and int(local_interval_starts(
                np.array([seconds]), step, self._interval_minutes * 60, self._tz)[0]) == seconds
        else:
            on_edge = window % width == 0
        if not on_edge:
            raise ValueError(f"the window's start ({_plain_time(window, tick_unit)}) is not on an "
                             f"interval edge; start it where an interval starts")

    # -- the result ----------------------------------------------------------------

    def _result(self, as_of_override: Any) -> AgentTable:
        as_of = self._as_of if self._as_of is not None else self._max_time
        if as_of_override is not None:
            override = _as_of_to_ticks(as_of_override, self._tick_unit or "s")
            if self._max_time != MISSING and override < self._max_time:
                raise ValueError(
                    "result(as_of=...) is earlier than rows already applied; pass as_of "
                    "to the AgentAggregator so that later rows are counted as after_as_of")
            as_of = override
        # (close() only reads the records: more chunks and results may follow)
        interval_rows, reason_rows = list(self._interval_rows), list(self._reason_rows)
        status, intervals, reasons, too_big, summary = _agents.close(
            self._agent_states.view(np.uint8), as_of=as_of,
            origin=getattr(self, "_origin", 0), width=self._width)
        _raise_for_status(status)
        if as_of != MISSING:
            interval_rows.append(intervals)
            reason_rows.append(reasons)
        if too_big >= 0:
            raise tapi_error(LINEERR_OPERATIONFAILED,
                             f"agent {_plain(self._agent_keys.key_of(too_big))}: a total does not fit in int64 ticks")
        seen = np.flatnonzero(summary[_agents.SUMMARY_COLUMNS.index("first_login")] != MISSING)
        keys = self._agent_keys.sortable_keys()
        session_table = None
        if self._session_aggregator is not None:
            session_table = self._session_aggregator.result(
                as_of=None if as_of == MISSING or self._as_of is not None else as_of)
        return AgentTable(
            agent_keys=keys,
            summary=summary,
            present=seen,
            interval_rows=_stack(interval_rows, len(_agents.INTERVAL_COLUMNS)),
            reason_rows=_stack(reason_rows, len(_agents.REASON_COLUMNS)),
            reason_names=self._reason_keys.keys(),
            ticks_per_second=TICKS_PER_SECOND[self._tick_unit or "s"],
            time_unit=self._tick_unit or "s",
            interval_ticks=self._width,
            interval_origin=getattr(self, "_origin", 0),
            window_start=self._window_start,
            has_intervals=bool(self._interval_minutes),
            tz=self._tz,
            interval_seconds=self._interval_minutes * 60,
            diagnostics={**self._counts, "rows": self._rows},
            as_of=None if as_of == MISSING else int(as_of),
            sessions=session_table,
            window=None if self._session_aggregator is None else _Window(
                [k for k in self._kept], self._session_states["agent"].copy(),
                self._session_states["presence"].copy(),
                None if self._as_of is None else self._as_of),
        )


class _Window:
    """An agent's statistics over a measurement window [start, end), from
    the kept rows: the kernel runs again on that agent's rows only, with one interval
    that starts at the window's start, so the split there is exact."""

    def __init__(self, kept, session_agent, presence, as_of) -> None:
        self._kept = kept
        self._session_agent = session_agent
        self._presence = presence
        self._as_of = as_of

    def totals(self, agent_code: int, start: int, end: int) -> dict[str, int]:
        """logged_in, talk, wrap, ready, not_ready, calls of the timeline, and the sums
        over its queue sessions (acd_talk, acd_wrap, acd_calls), in [start, end)."""
        parts = []
        for codes, ticks, states in self._kept:
            mine = self._session_agent[codes] == agent_code
            parts.append((codes[mine], ticks[mine], states[mine]))
        codes = np.concatenate([p[0] for p in parts]) if parts else np.empty(0, np.int64)
        ticks = np.concatenate([p[1] for p in parts]) if parts else np.empty(0, np.int64)
        states = np.concatenate([p[2] for p in parts]) if parts else np.empty(0, np.uint8)
        # the order the timeline saw them in: by time, equal times in input order
        order = np.argsort(ticks, kind="stable")
        codes, ticks, states = codes[order], ticks[order], states[order]
        sessions, local = np.unique(codes, return_inverse=True)
        presence = self._presence[sessions]
        as_of = end if self._as_of is None else min(end, self._as_of)
        row_presence = presence[local]
        timeline = _one_window(local, np.zeros(len(local), np.int64), ticks, states, row_presence,
                               len(sessions), 1, start, end, as_of)
        queue = row_presence == 0
        _, queue_local = np.unique(local[queue], return_inverse=True)
        n_queue = int(queue_local.max()) + 1 if len(queue_local) else 0
        # each queue session as its own "agent": the TAPI sums over sessions
        per_session = _one_window(queue_local, queue_local, ticks[queue], states[queue],
                                  np.zeros(len(queue_local), np.uint8), n_queue, n_queue,
                                  start, end, as_of)
        out = {name: int(timeline[name].sum()) for name in
               ("logged_in", "talk", "wrap", "ready", "not_ready", "calls")}
        out.update(acd_talk=int(per_session["talk"].sum()), acd_wrap=int(per_session["wrap"].sum()),
                   acd_calls=int(per_session["calls"].sum()))
        return out


#: the kernel's interval width for a window report without intervals: one interval from
#: the window's start to beyond any time (the kernel caps its end at INT64_MAX)
_WINDOW_WIDTH = 1 << 62


def _plain_time(ticks: int, unit: str) -> str:
    return str(np.datetime64(int(ticks), unit)).replace("T", " ")


def _one_window(codes, agent_codes, ticks, states, presence, n_sessions, n_agents, start, end,
                as_of):
    """Per-agent sums over [start, end) (bucket 0 of one interval of that length)."""
    sessions = _new_sessions(n_sessions)
    cold = _new_session_cold(n_sessions)
    agents = _new_agents(n_agents)
    counters = np.zeros(len(_agents.COUNTER_NAMES), dtype=np.int64)
    counters[-1] = MISSING
    width = end - start
    status, _, intervals, _ = _agents.scan(
        _native(codes, np.int64), _native(agent_codes, np.int64), ticks, states,
        np.empty(0, np.int32), _native(presence, np.uint8), sessions.view(np.uint8),
        cold.view(np.uint8), agents.view(np.uint8), counters, as_of=as_of, origin=start, width=width, seq0=0,
        deadline=0.0)
    _raise_for_status(status)
    status, closing, _, _, _ = _agents.close(agents.view(np.uint8), as_of=as_of, origin=start, width=width)
    _raise_for_status(status)
    rows = np.concatenate([intervals, closing])
    rows = rows[rows[:, 1] == 0]
    names = _agents.INTERVAL_COLUMNS
    return {name: rows[:, names.index(column)] for name, column in
            (("logged_in", "logged_in"), ("talk", "talk"), ("wrap", "wrap"), ("ready", "ready"),
             ("not_ready", "not_ready"), ("calls", "calls"))}


# -- helpers ---------------------------------------------------------------------------


def _interval_minutes(interval: int | str | None) -> int:
    if interval is None:
        return 0
    if isinstance(interval, str):
        if interval in INTERVALS:
            return INTERVALS[interval]
        if interval.isdigit():
            interval = int(interval)
        else:
            raise ValueError(f"interval must be a number of minutes or 'day', not {interval!r}")
    if isinstance(interval, bool) or not isinstance(interval, (int, np.integer)) or interval <= 0:
        raise ValueError(f"interval must be a positive number of minutes or 'day', not {interval!r}")
    return int(interval)


def _presence_flags(presence: Any, n: int) -> np.ndarray:
    values = _to_numpy(presence, "presence")
    if values.dtype.kind == "O":
        missing = _is_missing(values)
        if missing.any():
            raise ValueError(f"presence is missing at row {int(np.argmax(missing))}")
        values = values.astype(bool)
    if values.dtype.kind not in "biuf":
        raise TypeError(f"presence must be booleans, not {values.dtype}")
    return (values != 0).astype(np.uint8)


def _raise_changed(name: str, row: int, codes: np.ndarray, session_keys: np.ndarray,
                   shown: np.ndarray) -> None:
    """Agent (and presence) are constant within a session; name the row."""
    mine = codes == codes[row]
    first_row = int(np.argmax(mine))
    if shown[first_row] != shown[row]:
        before = f"{_plain(shown[first_row])} at row {first_row}"
    else:
        before = "another value in an earlier chunk"
    raise ValueError(
        f"row {row}: session {_plain(session_keys[row])} has {name} {_plain(shown[row])}, "
        f"but {before}: the {name} must be the same for every row of a session")


def _plain(value: Any) -> str:
    """A value as a user would write it (no NumPy reprs in messages)."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


def _exact_range(coded: Any, keys: np.ndarray, key_range: tuple[int, int] | None
                 ) -> tuple[int, int] | None:
    """(min, max) of the key column the kernel reads for `coded` (a subset of its rows
    lies within it too); None with a lookup table (the kernel tests those codes)."""
    if coded.lookup is not None or not len(coded.keys):
        return None
    if coded.keys is keys and key_range is not None:
        return key_range
    return _kernel.key_range(coded.keys)


def _grow_records(records: np.ndarray, n: int, fresh) -> np.ndarray:
    out = fresh(n)
    out[: len(records)] = records
    return out


def _new_sessions(n: int) -> np.ndarray:
    """n fresh session records (the hot part): 8-byte records, so that one never
    straddles two cache lines (the array starts on one)."""
    return _fresh_records(n, TIMELINE_SESSION_DTYPE, _FRESH_SESSION_WORDS)


def _new_session_cold(n: int) -> np.ndarray:
    """n fresh cold parts of session records (first row and pauses only)."""
    return _fresh_records(n, TIMELINE_SESSION_COLD_DTYPE, _FRESH_COLD_WORDS)


def _new_agents(n: int) -> np.ndarray:
    """n fresh agent records (an agent's first cache line holds what every row touches)."""
    return _fresh_records(n, TIMELINE_AGENT_DTYPE, _FRESH_AGENT_WORDS)


def _fresh_records(n: int, dtype: np.dtype, words: np.ndarray) -> np.ndarray:
    """n copies of one fresh record, the array starting on a cache line, in a buffer a
    previous one-shot call left (scratch.take) or new memory, written as whole 8-byte
    words: a field at a time would stride over every record once per field (200k agent
    records: 14 ms against 9 on new memory, most of the 9 the first touch of its pages)."""
    nbytes = n * dtype.itemsize
    raw = scratch.take(nbytes + 64)
    if raw is None:
        raw = np.empty(nbytes + 64, dtype=np.uint8)
    skip = -raw.ctypes.data % 64
    out = raw[skip: skip + nbytes]
    _fill_words(out.view(np.uint64), words)
    return out.view(dtype)


def _fill_words(flat: np.ndarray, words: np.ndarray) -> None:
    """flat (uint64) as copies of `words`, one record after the other. NumPy's
    broadcast copy loops once per record over an inner loop of the record's words:
    fine for the 24 words of an agent, slow for 2 (1M cold session records: 16 ms);
    there the first record is copied onto the rest in doubling blocks (1.6 ms)."""
    k = len(words)
    if k >= 8:
        flat.reshape(-1, k)[:] = words
        return
    if not len(flat):
        return
    flat[:k] = words
    filled = k
    while filled < len(flat):
        step = min(filled, len(flat) - filled)
        flat[filled: filled + step] = flat[:step]
        filled += step


def _fresh_words(dtype: np.dtype, values: dict[str, int]) -> np.ndarray:
    """One record of `dtype`, zero but for `values`, as 8-byte words."""
    one = np.zeros(1, dtype=dtype)
    for name, value in values.items():
        one[name] = value
    return one.view(np.uint64).copy()


_FRESH_SESSION_WORDS = _fresh_words(TIMELINE_SESSION_DTYPE, {"state": INVALID_STATE, "agent": -1})
_FRESH_COLD_WORDS = _fresh_words(TIMELINE_SESSION_COLD_DTYPE,
                                 {"reason": -1, "paused_seq": -1, "next_member": -1})
_FRESH_AGENT_WORDS = _fresh_words(TIMELINE_AGENT_DTYPE, {
    "last_time": MISSING, "first_login": MISSING, "last_logoff": MISSING, "bucket": MISSING,
    "reason": -1, "reason_seq": -1, "first_member": -1})


def _stack(parts: list[np.ndarray], width: int) -> np.ndarray:
    """The row arrays as one (a single one as it is: nothing writes to them after)."""
    parts = [p for p in parts if len(p)]
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts) if parts else np.empty((0, width), dtype=np.int64)
