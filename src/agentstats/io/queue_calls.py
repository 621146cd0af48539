"""Queued calls from a queue_log: one record per caller's stay in one queue (SPEC 8.1, 8.3).

:class:`QueueCallTracker` is fed every time-ordered, de-duplicated queue_log line by
:class:`agentstats.io.queue_log.QueueLogImporter` (before the agent side sees it). A
stay is keyed by (callid, queue): it opens at ENTERQUEUE and is closed by the line that
takes the caller out of the queue (CONNECT, ABANDON, EXITWITHTIMEOUT, EXITEMPTY,
EXITWITHKEY, Wazo's LEAVEEMPTY); FULL, JOINEMPTY and CLOSED are calls refused at the
door (a record, never queued). The call's end line (COMPLETEAGENT, COMPLETECALLER,
TRANSFER, ...) adds the talk time to the answered stay.

Line accounting. The caller verbs (ENTERQUEUE, the exits, the refusals) are the call
side's alone: :meth:`QueueCallTracker.line` returns True (used) or False (then
``tracker.reason`` says why the line was counted). CONNECT and the call-end lines belong
to both sides: the agent side keeps their line accounting (a well-formed one always
changes an agent's state), and what the call side could not pair on them is counted in
``tracker.notes`` (not line buckets: the line was used, by the agent side).

Memory: records are compact typed arrays (8 bytes a value; queue, agent and the callid
text are interned or packed), not a Python object per call. Open stays live in a dict
until they end; ended stays are remembered for ``memory`` seconds (to pair a later
call-end line, a second CONNECT, or the next queue of a call that flows on), then
forgotten, so the working set depends on the traffic, not on the file size.
"""

from __future__ import annotations

from array import array
from collections import Counter, deque
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = [
    "QueueCallTracker", "OUTCOMES", "WAITING", "ANSWERED", "ABANDONED", "TIMED_OUT",
    "EXITED_EMPTY", "EXITED_WITH_KEY", "FULL", "JOINEMPTY", "CLOSED", "REFUSED",
    "CALLER_VERBS", "CALL_VERBS", "DEFAULT_MEMORY",
]

MISSING = np.iinfo(np.int64).min

# Outcome codes of a stay (the order is the column order of the queue statistics).
WAITING, ANSWERED, ABANDONED, TIMED_OUT, EXITED_EMPTY, EXITED_WITH_KEY, FULL, JOINEMPTY, CLOSED = range(9)
OUTCOMES = ("waiting", "answered", "abandoned", "timed_out", "exited_empty", "exited_with_key",
            "full", "joinempty", "closed")
#: outcomes of a call refused at the door (never queued, SPEC 8.1)
REFUSED = (FULL, JOINEMPTY, CLOSED)

# How the wait of a stay is known.
WAIT_MISSING, WAIT_LOGGED, WAIT_MEASURED = 0, 1, 2
WAIT_SOURCES = ("", "logged", "measured")

#: seconds an ended stay is remembered to pair later lines of the same call
DEFAULT_MEMORY = 8 * 3600

# verb -> (outcome, index of the wait field in the split line, or -1: no wait field).
# The line is epoch|callid|queue|agent|verb|data1|data2|...: data1 is index 5.
_EXITS = {
    "ABANDON": (ABANDONED, 7),            # position|origposition|waittime
    "EXITWITHTIMEOUT": (TIMED_OUT, 7),    # position|origposition|waittime
    "EXITEMPTY": (EXITED_EMPTY, 7),       # position|origposition|waittime
    "EXITWITHKEY": (EXITED_WITH_KEY, 8),  # key|position|origposition|waittime
    "LEAVEEMPTY": (EXITED_EMPTY, -1),     # Wazo: no fields; the wait is measured
}
_REFUSALS = {"FULL": FULL, "JOINEMPTY": JOINEMPTY, "CLOSED": CLOSED}
# Call-end verbs -> (code kept as `ended_by`, index of the talk-time field).
_ENDS = {
    "COMPLETEAGENT": (1, 6),      # holdtime|calltime|origposition
    "COMPLETECALLER": (2, 6),     # holdtime|calltime|origposition
    "TRANSFER": (3, 8),           # extension|context|holdtime|calltime|origposition
    "BLINDTRANSFER": (4, 8),      # extension|context|holdtime|calltime|origposition
    "ATTENDEDTRANSFER": (5, 8),   # BRIDGE|id|holdtime|calltime|origposition (LINK: one more field)
}
ENDED_BY = ("", "COMPLETEAGENT", "COMPLETECALLER", "TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER")

#: verbs whose line accounting is the call side's alone
CALLER_VERBS = frozenset({"ENTERQUEUE", *_EXITS, *_REFUSALS})
#: every verb the call side reads
CALL_VERBS = frozenset({*CALLER_VERBS, "CONNECT", *_ENDS})

_NOBODY = frozenset({"", "NONE"})


def _seconds(parts: list[str], index: int) -> int:
    """A whole-seconds data field, or MISSING (absent, empty, negative or not a number)."""
    if 0 <= index < len(parts):
        text = parts[index].strip()
        if text.isdigit():
            return int(text)
    return MISSING


class _Names:
    """Interned strings: name -> dense int code."""

    __slots__ = ("codes", "names")

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}
        self.names: list[str] = []

    def code(self, name: str) -> int:
        code = self.codes.get(name)
        if code is None:
            code = self.codes[name] = len(self.names)
            self.names.append(name)
        return code


class QueueCallTracker:
    """Builds the per-call records (see the module docstring).

    aliases: the importer's alias map (interface -> agent), applied to the answering agent.
    memory: seconds an ended stay is remembered (default 8 h).
    where_of: turns a line's location code into "file:line" (for the ``first_line`` column).
    """

    def __init__(self, *, aliases: Mapping[str, str] | None = None, memory: int = DEFAULT_MEMORY,
                 where_of: Callable[[int], str] | None = None) -> None:
        self.aliases = aliases if aliases is not None else {}
        self.where_of = where_of
        self.memory = int(memory)
        self.queues = _Names()
        self.agents = _Names()
        # One value per record (stay), in the order the stays were opened.
        self.enter = array("q")       # entered the queue (epoch s), MISSING when unknown
        self.leave = array("q")       # left the queue (answered, exited, refused), MISSING while waiting
        self.wait = array("q")        # seconds in the queue, MISSING when unknown
        self.talk = array("q")        # seconds of talk (answered calls with an end line), else MISSING
        self.call_end = array("q")    # time of the call-end line, MISSING without one
        self.line_at = array("q")     # location code ("file:line") of the record's first line
        self.queue = array("i")
        self.agent = array("i")       # answering agent code, -1 when none
        self.prev = array("q")        # record this stay flowed in from, -1
        self.next = array("q")        # record this stay flowed out to, -1
        self.outcome = array("b")
        self.wait_source = array("b")
        self.ended_by = array("b")
        self._callid_text = bytearray()
        self._callid_end = array("q")
        # Working state.
        self._open: dict[tuple[str, str], int] = {}        # (callid, queue) -> open stay
        self._ended: dict[tuple[str, str], int] = {}       # (callid, queue) -> latest ended stay
        self._left_unanswered: dict[str, int] = {}         # callid -> latest unanswered stay (flow source)
        self._forget: deque = deque()                      # (time, callid, queue, record)
        self.notes: Counter[str] = Counter()
        self.reason = ""

    def __len__(self) -> int:
        return len(self.outcome)

    # -- records --------------------------------------------------------------------

    def _new(self, callid: str, queue: str, enter: int, where: int) -> int:
        record = len(self.outcome)
        self.enter.append(enter)
        self.leave.append(MISSING)
        self.wait.append(MISSING)
        self.talk.append(MISSING)
        self.call_end.append(MISSING)
        self.line_at.append(where)
        self.prev.append(-1)
        self.next.append(-1)
        code = self.queues.codes.get(queue)
        self.queue.append(code if code is not None else self.queues.code(queue))
        self.agent.append(-1)
        self.outcome.append(WAITING)
        self.wait_source.append(WAIT_MISSING)
        self.ended_by.append(0)
        self._callid_text += callid.encode("utf-8", "surrogateescape")
        self._callid_end.append(len(self._callid_text))
        return record

    def _enter_from_flow(self, callid: str, record: int) -> None:
        """SPEC 8.1: a call that left another queue unanswered and enters this one has
        flowed out of that queue and into this one."""
        source = self._left_unanswered.pop(callid, None)
        if source is not None and self.queue[source] != self.queue[record] and self.next[source] < 0:
            self.next[source] = record
            self.prev[record] = source

    def _close(self, record: int, t: int, outcome: int, wait: int, key: tuple[str, str]) -> None:
        self.leave[record] = t
        self.outcome[record] = outcome
        if wait != MISSING:
            self.wait[record] = wait
            self.wait_source[record] = WAIT_LOGGED
        elif self.enter[record] != MISSING and t >= self.enter[record]:
            # SPEC 8.1: a wait missing from the line is measured from the ENTERQUEUE
            self.wait[record] = t - self.enter[record]
            self.wait_source[record] = WAIT_MEASURED
        self._ended[key] = record
        if outcome != ANSWERED:
            self._left_unanswered[key[0]] = record
        self._forget.append((t, key, record))

    def _orphan(self, callid: str, queue: str, t: int, wait: int, where: int) -> int:
        """SPEC 8.3: a stay whose ENTERQUEUE is not in the log entered at the line's time
        minus its wait, or at an unknown time when the line has no wait."""
        record = self._new(callid, queue, t - wait if wait != MISSING else MISSING, where)
        self._enter_from_flow(callid, record)
        return record

    def _drop_old(self, t: int) -> None:
        horizon = t - self.memory
        forget = self._forget
        while forget and forget[0][0] < horizon:
            _, key, record = forget.popleft()
            if self._ended.get(key) == record:
                del self._ended[key]
            if self._left_unanswered.get(key[0]) == record:
                del self._left_unanswered[key[0]]

    # -- the line -------------------------------------------------------------------

    def line(self, t: int, parts: list[str], where: int) -> bool | None:
        """Read one line. None: not a caller verb (the agent side accounts for the line);
        True: used; False: counted, under ``self.reason``."""
        verb = parts[4]
        if verb not in CALL_VERBS:
            return None
        if self._forget and self._forget[0][0] < t - self.memory:
            self._drop_old(t)
        callid, queue = parts[1], parts[2]
        shared = verb not in CALLER_VERBS
        if callid in _NOBODY or queue in _NOBODY:
            if shared:
                self.notes["no_callid" if callid in _NOBODY else "no_queue"] += 1
                return None
            self.reason = "no_callid" if callid in _NOBODY else "no_queue"
            return False
        key = (callid, queue)
        if verb == "ENTERQUEUE":
            if key in self._open:
                self.reason = "second_enterqueue"   # the first stay's exit line is missing
                return False
            record = self._new(callid, queue, t, where)
            self._open[key] = record
            self._enter_from_flow(callid, record)
            return True
        refusal = _REFUSALS.get(verb)
        if refusal is not None:
            record = self._new(callid, queue, t, where)
            self.leave[record] = t
            self.outcome[record] = refusal
            return True
        exit_ = _EXITS.get(verb)
        if exit_ is not None:
            outcome, field = exit_
            wait = _seconds(parts, field)
            found = self._open.pop(key, None)
            if found is not None:
                record = found
            else:
                if key in self._ended:
                    self.reason = "queue_orphan"    # that stay has already left the queue
                    return False
                record = self._orphan(callid, queue, t, wait, where)
            self._close(record, t, outcome, wait, key)
            return True
        if verb == "CONNECT":
            wait = _seconds(parts, 5)              # holdtime|bridged channel|ringtime
            found = self._open.pop(key, None)
            if found is not None:
                record = found
            else:
                earlier = self._ended.get(key)
                if earlier is not None:
                    self.notes["second_connect" if self.outcome[earlier] == ANSWERED else "queue_orphan"] += 1
                    return None
                record = self._orphan(callid, queue, t, wait, where)
            self._close(record, t, ANSWERED, wait, key)
            agent = parts[3]
            if agent not in _NOBODY:
                self.agent[record] = self.agents.code(self.aliases.get(agent, agent))
            return None
        # a call-end line: the talk time of the answered stay
        code, field = _ENDS[verb]
        answered = self._ended.get(key)
        if answered is None or self.outcome[answered] != ANSWERED or self.call_end[answered] != MISSING:
            self.notes["call_end_unpaired"] += 1
            return None
        record = answered
        if verb == "ATTENDEDTRANSFER" and len(parts) > 5 and parts[5] == "LINK":
            field += 1
        talk = _seconds(parts, field)
        measured = t - self.leave[record]
        if talk == MISSING:
            talk = measured
        elif abs(talk - measured) > 1:
            # The agent session measures CONNECT .. end line; the logged calltime disagrees.
            self.notes["talk_mismatch"] += 1
        self.talk[record] = talk
        self.call_end[record] = t
        self.ended_by[record] = code
        return None

    # -- results --------------------------------------------------------------------

    def callids(self) -> list[str]:
        text = bytes(self._callid_text)
        ends = self._callid_end
        out, start = [], 0
        for end in ends:
            out.append(text[start:end].decode("utf-8", "surrogateescape"))
            start = end
        return out

    def columns(self):
        """The records as :class:`agentstats.queues.CallColumns` (seconds)."""
        from ..queues import CallColumns

        nxt = np.frombuffer(self.next, dtype=np.int64) if len(self) else np.empty(0, np.int64)
        enter = np.frombuffer(self.enter, dtype=np.int64) if len(self) else np.empty(0, np.int64)
        flowed_out_at = np.full(len(nxt), MISSING, dtype=np.int64)
        has = nxt >= 0
        # The flow out happens when the next queue's stay begins (its first line).
        nxt_enter = enter[nxt[has]]
        nxt_leave = np.frombuffer(self.leave, dtype=np.int64)[nxt[has]] if len(self) else nxt_enter
        flowed_out_at[has] = np.where(nxt_enter != MISSING, nxt_enter, nxt_leave)
        as_array = (lambda a, dt: np.frombuffer(a, dtype=dt).copy() if len(a) else np.empty(0, dt))
        return CallColumns(
            queue=as_array(self.queue, np.int32),
            queue_names=list(self.queues.names),
            enter=as_array(self.enter, np.int64),
            leave=as_array(self.leave, np.int64),
            wait=as_array(self.wait, np.int64),
            outcome=as_array(self.outcome, np.int8),
            flowed_in=as_array(self.prev, np.int64) >= 0,
            flowed_out_at=flowed_out_at,
            ticks_per_second=1,
        )

    def frame(self):
        """The per-call table as a pandas DataFrame, one row per stay (see docs/queues.md)."""
        import pandas as pd

        n = len(self)
        queue_names = np.asarray(self.queues.names + [None], dtype=object)
        agent_names = np.asarray(self.agents.names + [None], dtype=object)
        queue = np.frombuffer(self.queue, dtype=np.int32) if n else np.empty(0, np.int32)
        agent = np.frombuffer(self.agent, dtype=np.int32) if n else np.empty(0, np.int32)
        prev = np.frombuffer(self.prev, dtype=np.int64) if n else np.empty(0, np.int64)
        nxt = np.frombuffer(self.next, dtype=np.int64) if n else np.empty(0, np.int64)

        def times(a: array) -> Any:
            values = np.frombuffer(a, dtype=np.int64) if n else np.empty(0, np.int64)
            return pd.Series(np.where(values == MISSING, np.iinfo(np.int64).min, values)
                             .astype("datetime64[s]"))

        def seconds(a: array) -> Any:
            values = np.frombuffer(a, dtype=np.int64) if n else np.empty(0, np.int64)
            missing = values == MISSING
            return pd.arrays.IntegerArray(np.where(missing, 0, values), missing)

        outcome = np.frombuffer(self.outcome, dtype=np.int8) if n else np.empty(0, np.int8)
        source = np.frombuffer(self.wait_source, dtype=np.int8) if n else np.empty(0, np.int8)
        ended = np.frombuffer(self.ended_by, dtype=np.int8) if n else np.empty(0, np.int8)
        frame = pd.DataFrame({
            "callid": pd.array(self.callids(), dtype=object),
            "queue": queue_names[queue],
            "outcome": np.asarray(OUTCOMES, dtype=object)[outcome],
            "enter": times(self.enter),
            "leave": times(self.leave),
            "wait": seconds(self.wait),
            "wait_source": np.asarray(WAIT_SOURCES, dtype=object)[source],
            "agent": agent_names[agent],
            "talk": seconds(self.talk),
            "call_end": times(self.call_end),
            "ended_by": np.asarray(ENDED_BY, dtype=object)[ended],
            "flowed_in_from": queue_names[np.where(prev >= 0, queue[np.maximum(prev, 0)] if n else prev, -1)],
            "flowed_out_to": queue_names[np.where(nxt >= 0, queue[np.maximum(nxt, 0)] if n else nxt, -1)],
        })
        if self.where_of is not None:
            frame["first_line"] = pd.array([self.where_of(c) for c in self.line_at], dtype=object)
        return frame
