"""The compiled agent side of the queue_log translation: blocks of typed line columns
(:class:`agentstats.io.qlog_columns.LineColumns`) and the call side's verdicts in,
agent-session events, the session table and the line accounting out.

:class:`CompiledAgentTranslator` gives what :class:`agentstats.io.queue_log.QueueLogImporter`
gives for the same time-ordered lines (its per-line translation is the plain-Python
twin): the same event chunks, session columns, counts by reason with their examples,
unterminated calls, missed offers and transfers. It keeps the per-name tables the
compiled loop reads (what each verb is, which queue and agent names name nobody, the
agent after aliases, each queue's wrap-up, which data1 texts say PAUSED), grown as the
import's names grow, and turns codes back into names.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .qlog_columns import LineNames, Names
from .queue_calls import REASONS as CALL_REASONS
from .queue_log import _CALL_END, _LOGIN, _LOGOFF, _NOBODY, _NOT_AGENT, _RING, EventChunk, parse_wrapup

__all__ = ["CompiledAgentTranslator"]


def _opened_by_suffix() -> dict[int, str]:
    """How-opened variant code -> the text after the verb (QueueLogImporter's wording)."""
    from .. import _qlog_agents as k

    return {k.HOW_PLAIN: "", k.HOW_STATIC_MEMBER: " (static member)", k.HOW_LOGGED_SECONDS: " (data2)"}


class SessionColumns(Mapping):
    """The session columns of a compiled import (a read-only mapping: session, label,
    agent, acd_group, instance, started_at, opened_by, kind). The text columns are one
    Python string a session, so each is built from the compact per-session codes when it
    is read, and :meth:`take` builds every column for some sessions only (a slice of a
    per-session file) instead of holding them all for the whole log."""

    _NAMES = ("session", "label", "agent", "acd_group", "instance", "started_at", "opened_by", "kind")

    def __init__(self, queue_of: np.ndarray, agent_of: np.ndarray, instance: np.ndarray, where: np.ndarray,
                 how: np.ndarray, *, queue_names: list[str], agent_names: list[str], verbs: list[str],
                 shift: int, where_of: Callable[[int], str]) -> None:
        self._codes = (queue_of, agent_of, np.asarray(instance, dtype=np.int64), where, how)
        self._queue_names, self._agent_names, self._verbs = queue_names, agent_names, verbs
        self._shift, self._where_of = shift, where_of

    def __len__(self) -> int:
        return len(self._NAMES)

    def __iter__(self) -> Any:
        return iter(self._NAMES)

    def __getitem__(self, name: str) -> Any:
        if name not in self._NAMES:
            raise KeyError(name)
        return self._column(name, None)

    def take(self, sessions: np.ndarray) -> dict[str, Any]:
        """Every column for the sessions (ids) given, in their order."""
        at = np.asarray(sessions, dtype=np.int64)
        return {name: self._column(name, at) for name in self._NAMES}

    def _column(self, name: str, at: np.ndarray | None) -> Any:
        queue_of, agent_of, instance, where, how = (c if at is None else c[at] for c in self._codes)
        if name == "session":
            return np.arange(len(queue_of), dtype=np.int64) if at is None else at.copy()
        if name == "instance":
            return instance
        if name == "acd_group" or name == "label":
            queue_names = self._queue_names
            queues = [queue_names[q] if q >= 0 else "" for q in queue_of.tolist()]
            if name == "acd_group":
                return queues
            agents = self._agent_names
            return [f"{q}|{agents[a]}|{i}" for q, a, i in zip(queues, agent_of.tolist(), instance.tolist())]
        if name == "agent":
            return [self._agent_names[a] for a in agent_of.tolist()]
        if name == "started_at":
            return [self._where_of(c) for c in where.tolist()]
        if name == "opened_by":
            verbs, shift, suffix = self._verbs, self._shift, _opened_by_suffix()
            return [verbs[h >> shift] + suffix[h & ((1 << shift) - 1)] for h in how.tolist()]
        return ["presence" if q < 0 else "queue" for q in queue_of.tolist()]      # kind


def _verb_kinds(verbs: list[str]) -> np.ndarray:
    """Per verb code: what the verb is to the agent side (the kernel's VERB_* codes)."""
    from .. import _qlog_agents as k

    plain = {"QUEUESTART": k.VERB_QUEUESTART, "CONNECT": k.VERB_CONNECT, "PAUSE": k.VERB_PAUSE,
             "UNPAUSE": k.VERB_UNPAUSE, "PAUSEALL": k.VERB_PAUSEALL, "UNPAUSEALL": k.VERB_UNPAUSEALL,
             "WRAPUPSTART": k.VERB_WRAPUPSTART, "ADDMEMBER": k.VERB_ADDMEMBER,
             "REMOVEMEMBER": k.VERB_REMOVEMEMBER, "RINGNOANSWER": k.VERB_RINGNOANSWER}
    kinds = np.full(len(verbs), k.VERB_UNKNOWN, dtype=np.int8)
    for code, verb in enumerate(verbs):
        if not verb:
            kinds[code] = k.VERB_EMPTY
        elif verb in _NOT_AGENT:
            kinds[code] = k.VERB_NOT_AGENT
        elif verb in plain:
            kinds[code] = plain[verb]
        elif verb in _CALL_END:
            kinds[code] = k.VERB_TRANSFER if verb.endswith("TRANSFER") else k.VERB_CALL_END
        elif verb in _LOGIN:
            kinds[code] = k.VERB_LOGIN
        elif verb in _LOGOFF:
            kinds[code] = k.VERB_LOGOFF
        elif verb in _RING:
            kinds[code] = k.VERB_RING
    return kinds


def _extended(values: np.ndarray, new: list) -> np.ndarray:
    if not new:
        return values
    return np.concatenate((values, np.asarray(new, dtype=values.dtype)))


def _objects(names: list[str], last: Any) -> np.ndarray:
    """names as an object array with `last` after them (the value of code -1)."""
    out = np.empty(len(names) + 1, dtype=object)
    out[:len(names)] = names
    out[len(names)] = last
    return out


class CompiledAgentTranslator:
    """Agent-session events from blocks of line columns, by a compiled loop.

    names: the import's :class:`~agentstats.io.qlog_columns.LineNames` (the columns'
    codes are codes into it). aliases: ``{"SIP/1001": "Sathish"}``; wrapup: ``{"queue":
    seconds}`` (``"*"``: every other queue), or the ``QUEUE=SECONDS`` items of
    :func:`~agentstats.io.queue_log.parse_wrapup`; max_call: seconds (None: no cap);
    where_of: a location code as "file:line" (examples, ``started_at``).

    Per block: ``read(columns, verdict, reason)`` with the call side's verdict and
    reason code of every row (:func:`agentstats.io.queue_calls.call_verdicts`);
    ``take_events()`` whenever ``pending_events`` is large enough; at the end of the log
    ``finish(as_of)`` (the report time: wrap-ups and max_call caps due by it elapse),
    then ``take_events()`` once more.
    """

    def __init__(self, names: LineNames, *, aliases: Mapping[str, str] | None = None,
                 wrapup: Mapping[str, int] | Any = None, max_call: int | None = None,
                 where_of: Callable[[int], str] | None = None) -> None:
        from .. import _qlog_agents

        self._k = _qlog_agents
        self.names = names
        self.aliases = dict(aliases or {})
        self.wrapup = parse_wrapup(wrapup)
        if max_call is not None and (isinstance(max_call, bool) or int(max_call) <= 0):
            raise ValueError(f"max_call must be a positive number of seconds, not {max_call!r}")
        self.max_call = None if max_call is None else int(max_call)
        self.where_of = where_of if where_of is not None else str
        self.rows = 0                                   # rows read (used + counted)
        self._examples_taken: dict[str, int] = {}
        # (a cap beyond 2**62 s never comes within int64 time; t + cap must not overflow)
        self._state = _qlog_agents.AgentState(min(self.max_call or 0, 1 << 62))
        self._verb_kind = np.zeros(0, dtype=np.int8)
        self._queue_nobody = np.zeros(0, dtype=np.uint8)
        self._queue_wrapup = np.zeros(0, dtype=np.int64)
        self._agents = Names()                          # agent names after aliases
        self._agent_canon = np.zeros(0, dtype=np.int32)
        self._text_paused = np.zeros(0, dtype=np.uint8)
        self._text_objects = _objects([], None)
        reason_code = {name: code for code, name in enumerate(_qlog_agents.REASONS)}
        # the call side's reason codes -> the kernel's (code 0, "": no reason, never read)
        self._call_reason = np.asarray([reason_code.get(name, 0) for name in CALL_REASONS], dtype=np.int8)

    @classmethod
    def for_importer(cls, importer: Any, names: LineNames) -> CompiledAgentTranslator:
        """The translator of a :class:`~agentstats.io.queue_log.QueueLogImporter`'s import:
        its aliases (given and inferred), wrap-ups, max_call and "file:line" locations."""
        return cls(names, aliases=importer.aliases, wrapup=importer.wrapup, max_call=importer.max_call,
                   where_of=importer._where)

    # -- tables --------------------------------------------------------------------

    def _tables(self) -> None:
        """Grow the per-name tables to the names the block may use."""
        names = self.names
        if len(self._verb_kind) < len(names.verbs):
            self._verb_kind = _verb_kinds(names.verbs.names)
        queues = names.queues.names[len(self._queue_nobody):]
        default_wrap = self.wrapup.get("*", 0)
        self._queue_nobody = _extended(self._queue_nobody, [q in _NOBODY for q in queues])
        self._queue_wrapup = _extended(self._queue_wrapup, [self.wrapup.get(q, default_wrap) for q in queues])
        agents = names.agents.names[len(self._agent_canon):]
        self._agent_canon = _extended(self._agent_canon, [
            -1 if a in _NOBODY else self._agents.code(self.aliases.get(a, a)) for a in agents])
        texts = names.texts.names[len(self._text_paused):]
        self._text_paused = _extended(self._text_paused, [text.upper() == "PAUSED" for text in texts])

    # -- reading -------------------------------------------------------------------

    def read(self, columns: Any, verdict: np.ndarray, reason: np.ndarray) -> None:
        """Translate one block of rows, in order, after the call side has read it."""
        names = self.names
        columns = columns.checked(names)
        n = len(columns.epoch)
        verdict = np.ascontiguousarray(verdict, dtype=np.int8)
        reason = np.ascontiguousarray(reason, dtype=np.int8)
        if verdict.shape != (n,) or reason.shape != (n,):
            raise ValueError(f"verdict and reason must have one value per row ({n})")
        counted = verdict == 0
        if n and (verdict.min() < -1 or verdict.max() > 1):
            raise ValueError("a verdict is -1 (not the call side's line), 0 (counted) or 1 (used)")
        if counted.any():
            codes = reason[counted]
            if codes.min() < 1 or codes.max() >= len(self._call_reason):
                raise ValueError(f"a counted row's reason must be a call-side reason code (1..{len(self._call_reason) - 1})")
        self._tables()
        self._state.read(
            columns.epoch, columns.where, columns.verb, columns.queue, columns.agent,
            columns.data1, columns.number, verdict, reason, self._verb_kind, self._queue_nobody,
            self._queue_wrapup, self._agent_canon, self._text_paused, self._call_reason,
            n_agents=len(self._agents), empty_text=names.texts.codes.get("", -1),
            login_verb=names.verbs.codes["AGENTLOGIN"])
        self.rows += n

    def finish(self, as_of: int | None) -> None:
        """The end of the log, at the report time `as_of` (None: no line, no report
        time): wrap-ups and capped calls due by then end, and the calls still without
        their end line are counted (``unterminated_calls``)."""
        self._state.finish(0 if as_of is None else int(as_of), as_of is not None)

    # -- events --------------------------------------------------------------------

    @property
    def pending_events(self) -> int:
        """Events translated and not yet taken."""
        return self._state.pending_events

    def take_events(self) -> EventChunk:
        """The events translated since the last call, as one chunk."""
        session, time, state, wait, reason = self._state.take_events()
        texts = self.names.texts.names
        if len(self._text_objects) != len(texts) + 1:
            self._text_objects = _objects(texts, None)      # code -1: no reason
        if not len(session):
            empty = np.empty(0, dtype=object)
            return EventChunk(session, time, state, wait, np.empty(0, dtype=object), empty,
                              empty.copy(), np.empty(0, dtype=bool))
        queue_of, agent_of, *_ = self._state.session_table()
        agents, queues = self._session_objects(queue_of, agent_of)
        # the object columns are built only if someone reads them (the aggregation
        # takes the sessions' names from the session table instead)
        return EventChunk.coded(session, time, state, wait, (queue_of < 0)[session],
                                reason, self._text_objects, agents, queues)

    def session_objects(self) -> tuple[np.ndarray, np.ndarray]:
        """Per session code: its agent and its queue ("" for a presence session), as
        object arrays."""
        queue_of, agent_of, *_ = self._state.session_table()
        return self._session_objects(queue_of, agent_of)

    def _session_objects(self, queue_of: np.ndarray, agent_of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        queues = _objects(self.names.queues.names, "")[queue_of]      # code -1: the presence
        agents = np.asarray(self._agents.names, dtype=object)[agent_of]
        return agents, queues

    # -- the session table and the accounting -----------------------------------------

    def session_columns(self) -> SessionColumns:
        """The columns of QueueLogImporter.session_columns: session and instance as
        int64 arrays, the others as lists (each built when it is read)."""
        queue_of, agent_of, instance, where, how = self._state.session_table()
        return SessionColumns(queue_of, agent_of, instance, where, how, queue_names=self.names.queues.names,
                              agent_names=self._agents.names, verbs=self.names.verbs.names,
                              shift=self._k.HOW_SHIFT, where_of=self.where_of)

    @property
    def n_sessions(self) -> int:
        """Sessions opened so far (queue sessions and presence)."""
        return self._state.n_sessions

    def _reason_names(self) -> list[str]:
        fixed = list(self._k.REASONS)
        return fixed + [f"unknown_verb:{verb}" for verb in self.names.verbs.names]

    @property
    def used(self) -> int:
        """Rows used."""
        return self._state.used

    @property
    def counted(self) -> Counter[str]:
        """Rows counted, by reason (the importer's reason names)."""
        names = self._reason_names()
        return Counter({names[code]: int(n) for code, n in enumerate(self._state.counts().tolist()) if n})

    @property
    def example_codes(self) -> dict[str, list[int]]:
        """The location codes of the first few rows counted under each reason that keeps
        examples (in the order they were counted)."""
        names = self._reason_names()
        fixed = self._k.FIXED_REASONS
        kept = set(self._k.REASONS_WITH_EXAMPLES)      # and every unknown verb
        return {names[code]: self._state.examples(code)
                for code, n in enumerate(self._state.counts().tolist())
                if n and (code >= fixed or names[code] in kept)}

    def take_new_examples(self) -> dict[str, list[int]]:
        """The example location codes kept since the last call, per reason (for an
        importer that keeps the examples of several stages in the order it counted them:
        call it after each :meth:`read`)."""
        out = {}
        for reason, codes in self.example_codes.items():
            taken = self._examples_taken.get(reason, 0)
            if len(codes) > taken:
                out[reason] = codes[taken:]
                self._examples_taken[reason] = len(codes)
        return out

    @property
    def examples(self) -> dict[str, list[str]]:
        """:attr:`example_codes` as "file:line" locations."""
        return {reason: [self.where_of(c) for c in codes] for reason, codes in self.example_codes.items()}

    @property
    def unterminated_calls(self) -> int:
        """Calls closed without their end line (by the next line, the session's end, a
        max_call cap, or the end of the log)."""
        return self._state.unterminated_calls

    def _per_agent(self, which: int) -> Counter[str]:
        values = self._state.agent_counts()[which]
        agents = self._agents.names
        return Counter({agents[code]: int(n) for code, n in enumerate(values.tolist()) if n})

    @property
    def missed(self) -> Counter[str]:
        """Missed offers (RINGNOANSWER in a queue) per agent."""
        return self._per_agent(0)

    @property
    def transfers(self) -> Counter[str]:
        """Calls ended by a transfer, per agent."""
        return self._per_agent(1)

    def logins(self) -> dict[str, int]:
        """Agents logged in by AGENTLOGIN (name after aliases -> login time): a queue
        session of theirs that starts later starts at the login."""
        times = self._state.logins()
        agents = self._agents.names
        return {agents[code]: int(times[code]) for code in np.flatnonzero(times != np.iinfo(np.int64).min).tolist()}
