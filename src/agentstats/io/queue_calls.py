"""Queued calls from a queue_log: one record per caller's stay in one queue.

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

Memory: records are one compact typed array (13 int64 values a stay; queue and agent
names interned, the callid text packed in one buffer), not a Python object per call. Open stays live in a dict
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

from .lines import LATEST_EPOCH, plain_int
from .qlog_columns import Names

__all__ = [
    "QueueCallTracker", "OUTCOMES", "WAITING", "ANSWERED", "ABANDONED", "TIMED_OUT",
    "EXITED_EMPTY", "EXITED_WITH_KEY", "FULL", "JOINEMPTY", "CLOSED", "REFUSED",
    "CALLER_VERBS", "CALL_VERBS", "DEFAULT_MEMORY", "CompiledCallTracker", "call_verdicts", "REASONS",
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
        seconds = plain_int(parts[index].strip(), LATEST_EPOCH)
        if seconds is not None:
            return seconds
    return MISSING


# Interned names: one table kind for the whole reader (io/qlog_columns.py).
_Names = Names


# A record is _WIDTH int64 values in one array, at these offsets (one extend per record
# instead of one append per column: the import reads every call line).
(_ENTER, _LEAVE, _WAIT, _TALK, _CALL_END, _LINE_AT, _PREV, _NEXT, _QUEUE, _AGENT, _OUTCOME,
 _WAIT_SOURCE, _ENDED_BY) = range(13)
_WIDTH = 13


class QueueCallTracker:
    """Builds the per-call records (see the module docstring).

    aliases: the importer's alias map (interface -> agent), applied to the answering agent.
    memory: seconds an ended stay is remembered (default 8 h).
    where_of: turns a line's location code into "file:line" (for the ``first_line`` column).

    Per record (stay), in the order the stays began: enter (epoch s, MISSING when
    unknown), leave (answered, exited or refused; MISSING while waiting), wait (s, MISSING
    when unknown), talk (s, answered calls with an end line), call_end (time of the end
    line), line_at (location code of the first line), prev / next (the record this stay
    flowed in from / out to, -1), queue and agent codes (agent -1: none), outcome,
    wait_source, ended_by. :meth:`column` gives one of them as a NumPy array.
    """

    def __init__(self, *, aliases: Mapping[str, str] | None = None, memory: int = DEFAULT_MEMORY,
                 where_of: Callable[[int], str] | None = None, keep_calls: bool = True,
                 accumulator: Any = None, sink: Callable[[Any], None] | None = None) -> None:
        self.aliases = aliases if aliases is not None else {}
        self.where_of = where_of
        # the per-call rows are handed to `sink` (one frame, a ``seq`` column first) at
        # the end; the compiled tracker hands them out as they become final
        self.sink = sink
        self.memory = int(memory)
        # The plain tracker keeps its records either way; without keep_calls they are only
        # folded into the accumulator at the end (the compiled tracker folds as it goes).
        self.keep_calls = bool(keep_calls)
        self.accumulator = accumulator
        self.queues = _Names()
        self.agents = _Names()
        self._rec = array("q")
        self._callid_text = bytearray()
        self._callid_end = array("q")
        # Working state.
        self._open: dict[tuple[str, str], int] = {}        # (callid, queue) -> open stay
        self._ended: dict[tuple[str, str], int] = {}       # (callid, queue) -> latest ended stay
        self._left_unanswered: dict[str, int] = {}         # callid -> latest unanswered stay (flow source)
        self._forget: deque = deque()                      # (time, (callid, queue), record)
        self.notes: Counter[str] = Counter()
        self.reason = ""

    def __len__(self) -> int:
        return len(self._callid_end)

    @property
    def folded(self) -> int:
        """Records folded into the accumulator and no longer held (none: see __init__)."""
        return 0

    def finish(self, end: int | None) -> Any:
        """The end of the log: the queue table of the accumulator (None without one),
        every record folded at the report time `end` (and handed to the sink)."""
        if self.sink is not None:
            frame = self.frame()
            frame.insert(0, "seq", np.arange(len(frame), dtype=np.int64))
            self.sink(frame)
        if self.accumulator is None:
            return None
        self.accumulator.add(self.columns(), end=end)
        return self.accumulator.result(list(self.queues.names), end=end)

    def column(self, field: str) -> np.ndarray:
        """One field of every record (int64), e.g. ``column("enter")``."""
        offset = _FIELDS[field]
        if not len(self):
            return np.empty(0, dtype=np.int64)
        return np.frombuffer(self._rec, dtype=np.int64).reshape(-1, _WIDTH)[:, offset].copy()

    # -- records --------------------------------------------------------------------

    def _new(self, callid: str, queue: str, enter: int, where: int) -> int:
        record = len(self._callid_end)
        code = self.queues.codes.get(queue)
        if code is None:
            code = self.queues.code(queue)
        self._rec.extend((enter, MISSING, MISSING, MISSING, MISSING, where, -1, -1, code, -1,
                          WAITING, WAIT_MISSING, 0))
        self._callid_text += callid.encode("utf-8", "surrogateescape")
        self._callid_end.append(len(self._callid_text))
        return record

    def _enter_from_flow(self, callid: str, record: int) -> None:
        """A call that left another queue unanswered and enters this one has
        flowed out of that queue and into this one."""
        source = self._left_unanswered.pop(callid, None)
        if source is None:
            return
        rec = self._rec
        s, r = source * _WIDTH, record * _WIDTH
        if rec[s + _QUEUE] != rec[r + _QUEUE] and rec[s + _NEXT] < 0:
            rec[s + _NEXT] = record
            rec[r + _PREV] = source

    def _close(self, record: int, t: int, outcome: int, wait: int, key: tuple[str, str]) -> None:
        rec = self._rec
        r = record * _WIDTH
        rec[r + _LEAVE] = t
        rec[r + _OUTCOME] = outcome
        enter = rec[r + _ENTER]
        if wait != MISSING:
            rec[r + _WAIT] = wait
            rec[r + _WAIT_SOURCE] = WAIT_LOGGED
        elif enter != MISSING and t >= enter:
            # SPEC 8.1: a wait missing from the line is measured from the ENTERQUEUE
            rec[r + _WAIT] = t - enter
            rec[r + _WAIT_SOURCE] = WAIT_MEASURED
        self._ended[key] = record
        if outcome != ANSWERED:
            self._left_unanswered[key[0]] = record
        self._forget.append((t, key, record))

    def _orphan(self, callid: str, queue: str, t: int, wait: int, where: int) -> int:
        """A stay whose ENTERQUEUE is not in the log entered at the line's time
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
        if callid in _NOBODY or queue in _NOBODY:
            reason = "no_callid" if callid in _NOBODY else "no_queue"
            if verb not in CALLER_VERBS:
                self.notes[reason] += 1
                return None
            self.reason = reason
            return False
        key = (callid, queue)
        rec = self._rec
        if verb == "ENTERQUEUE":
            if key in self._open:
                self.reason = "second_enterqueue"   # the first stay's exit line is missing
                return False
            record = self._new(callid, queue, t, where)
            self._open[key] = record
            self._enter_from_flow(callid, record)
            return True
        if verb == "CONNECT":
            wait = _seconds(parts, 5)              # holdtime|bridged channel|ringtime
            found = self._open.pop(key, None)
            if found is not None:
                record = found
            else:
                earlier = self._ended.get(key)
                if earlier is not None:
                    answered_before = rec[earlier * _WIDTH + _OUTCOME] == ANSWERED
                    self.notes["second_connect" if answered_before else "queue_orphan"] += 1
                    return None
                record = self._orphan(callid, queue, t, wait, where)
            self._close(record, t, ANSWERED, wait, key)
            agent = parts[3]
            if agent not in _NOBODY:
                rec[record * _WIDTH + _AGENT] = self.agents.code(self.aliases.get(agent, agent))
            return None
        ending = _ENDS.get(verb)
        if ending is not None:                     # a call-end line: the talk time of the answered stay
            code, field = ending
            answered = self._ended.get(key)
            r = -1 if answered is None else answered * _WIDTH
            if r < 0 or rec[r + _OUTCOME] != ANSWERED or rec[r + _CALL_END] != MISSING:
                self.notes["call_end_unpaired"] += 1
                return None
            if verb == "ATTENDEDTRANSFER" and len(parts) > 5 and parts[5] == "LINK":
                field += 1
            talk = _seconds(parts, field)
            measured = t - rec[r + _LEAVE]
            if talk == MISSING:
                talk = measured
            elif abs(talk - measured) > 1:
                # The agent session measures CONNECT .. end line; the logged calltime disagrees.
                self.notes["talk_mismatch"] += 1
            rec[r + _TALK] = talk
            rec[r + _CALL_END] = t
            rec[r + _ENDED_BY] = code
            return None
        refusal = _REFUSALS.get(verb)
        if refusal is not None:
            record = self._new(callid, queue, t, where)
            rec[record * _WIDTH + _LEAVE] = t
            rec[record * _WIDTH + _OUTCOME] = refusal
            return True
        outcome, field = _EXITS[verb]
        wait = _seconds(parts, field)
        found = self._open.pop(key, None)
        if found is not None:
            record = found
        else:
            if key in self._ended:
                self.reason = "queue_orphan"        # that stay has already left the queue
                return False
            record = self._orphan(callid, queue, t, wait, where)
        self._close(record, t, outcome, wait, key)
        return True

    # -- results --------------------------------------------------------------------

    def callids(self) -> list[str]:
        text = bytes(self._callid_text)
        out, start = [], 0
        for end in self._callid_end:
            out.append(text[start:end].decode("utf-8", "surrogateescape"))
            start = end
        return out

    def columns(self):
        """The records as :class:`agentstats.queues.CallColumns` (seconds)."""
        from ..queues import CallColumns

        enter, leave, nxt = self.column("enter"), self.column("leave"), self.column("next")
        flowed_out_at = np.full(len(nxt), MISSING, dtype=np.int64)
        has = nxt >= 0
        # The flow out happens when the next queue's stay begins (its first line).
        flowed_out_at[has] = np.where(enter[nxt[has]] != MISSING, enter[nxt[has]], leave[nxt[has]])
        return CallColumns(
            queue=self.column("queue").astype(np.int32),
            queue_names=list(self.queues.names),
            enter=enter,
            leave=leave,
            wait=self.column("wait"),
            outcome=self.column("outcome").astype(np.int8),
            flowed_in=self.column("prev") != -1,      # <= -2: flowed in from a folded record
            flowed_out_at=flowed_out_at,
            ticks_per_second=1,
        )

    def frame(self):
        """The per-call table as a pandas DataFrame, one row per stay (see docs/queues.md)."""
        queue, prev, nxt = self.column("queue"), self.column("prev"), self.column("next")

        def flow(other: np.ndarray) -> np.ndarray:
            # -2 - code: flowed from a record already handed out (compiled tracker)
            codes = np.where(other >= 0, queue[np.maximum(other, 0)], np.where(other <= -2, -2 - other, -1))
            return codes if len(other) else np.zeros(0, dtype=np.int64)

        fields = {name: self.column(name) for name in (
            "outcome", "enter", "leave", "wait", "wait_source", "agent", "talk", "call_end",
            "ended_by", "line_at")}
        return call_frame(self.callids(), queue, flow(prev), flow(nxt), fields,
                          queue_names=self.queues.names, agent_names=self.agents.names,
                          where_of=self.where_of)


def call_frame(callids: list[str], queue: np.ndarray, prev_queue: np.ndarray, next_queue: np.ndarray,
               fields: Mapping[str, np.ndarray], *, queue_names: list[str], agent_names: list[str],
               where_of: Callable[[int], str] | None):
    """Rows of the per-call table (a pandas DataFrame) from record columns: the queue
    codes of each stay and of the stays it flowed in from / out to (-1: none), and the
    record fields by name (see QueueCallTracker). The whole table, or a slice of it, is
    built here, so that both are written alike."""
    import pandas as pd

    queue_names = np.asarray(list(queue_names) + [None], dtype=object)
    agent_names = np.asarray(list(agent_names) + [None], dtype=object)

    def times(field: str) -> Any:
        return pd.Series(np.asarray(fields[field], dtype=np.int64).astype("datetime64[s]"))  # MISSING is NaT's bits

    def seconds(field: str) -> Any:
        values = np.asarray(fields[field], dtype=np.int64)
        missing = values == MISSING
        return pd.arrays.IntegerArray(np.where(missing, 0, values), missing)

    frame = pd.DataFrame({
        "callid": pd.array(callids, dtype=object),
        "queue": queue_names[queue],
        "outcome": np.asarray(OUTCOMES, dtype=object)[fields["outcome"]],
        "enter": times("enter"),
        "leave": times("leave"),
        "wait": seconds("wait"),
        "wait_source": np.asarray(WAIT_SOURCES, dtype=object)[fields["wait_source"]],
        "agent": agent_names[fields["agent"]],
        "talk": seconds("talk"),
        "call_end": times("call_end"),
        "ended_by": np.asarray(ENDED_BY, dtype=object)[fields["ended_by"]],
        "flowed_in_from": queue_names[prev_queue] if len(prev_queue) else np.empty(0, dtype=object),
        "flowed_out_to": queue_names[next_queue] if len(next_queue) else np.empty(0, dtype=object),
    })
    if where_of is not None:
        frame["first_line"] = pd.array([where_of(int(c)) for c in fields["line_at"]], dtype=object)
    return frame


_FIELDS = {"enter": _ENTER, "leave": _LEAVE, "wait": _WAIT, "talk": _TALK, "call_end": _CALL_END,
           "line_at": _LINE_AT, "prev": _PREV, "next": _NEXT, "queue": _QUEUE, "agent": _AGENT,
           "outcome": _OUTCOME, "wait_source": _WAIT_SOURCE, "ended_by": _ENDED_BY}


# -- the compiled tracker ------------------------------------------------------------

#: reason codes of a counted call-side line, as :func:`call_verdicts` gives them (0: none)
REASONS = ("", "no_callid", "no_queue", "queue_orphan", "second_enterqueue")
_REASON_CODE = {name: code for code, name in enumerate(REASONS)}
_NOTES = ("no_callid", "no_queue", "second_connect", "queue_orphan", "call_end_unpaired",
          "talk_mismatch")


def _verb_tables(verbs: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per verb code: what it is to the call side (the kernel's KIND_* codes), its
    outcome / ended_by code, and the data field (0 = data1) holding its wait or talk."""
    from .. import _qlog_calls as k

    n = len(verbs)
    kind = np.zeros(n, dtype=np.int8)
    arg = np.zeros(n, dtype=np.int8)
    field = np.full(n, -1, dtype=np.int8)
    for code, verb in enumerate(verbs):
        if verb == "ENTERQUEUE":
            kind[code] = k.KIND_ENTER
        elif verb == "CONNECT":
            kind[code], field[code] = k.KIND_CONNECT, 0
        elif verb in _ENDS:
            kind[code], arg[code], field[code] = k.KIND_END, _ENDS[verb][0], _ENDS[verb][1] - 5
        elif verb in _REFUSALS:
            kind[code], arg[code] = k.KIND_REFUSAL, _REFUSALS[verb]
        elif verb in _EXITS:
            outcome, index = _EXITS[verb]
            kind[code], arg[code], field[code] = k.KIND_EXIT, outcome, index - 5 if index >= 0 else -1
    return kind, arg, field


#: records held before the compiled tracker first folds the final ones (keep_calls=False)
_FOLD_MIN = 1 << 16
#: new records after which the compiled tracker with a sink folds again (keep_calls=False)
_SINK_FOLD = 1 << 14
#: callids the compiled tracker's own table may hold beyond twice the live ones before
#: it is compacted (blocks with their own callid tables; negative: after every block)
_CALLID_SLACK = 1 << 16


def _grown(values: np.ndarray, n: int, fill: int = -1) -> np.ndarray:
    if len(values) >= n:
        return values
    return np.concatenate((values, np.full(n - len(values), fill, dtype=values.dtype)))


def _nobody(names: Any) -> tuple[int, int]:
    """The codes of "" and "NONE" in one name table (-1: not seen yet)."""
    return names.lookup(""), names.lookup("NONE")


class CompiledCallTracker:
    """The queued calls of :class:`QueueCallTracker`, read from blocks of typed line
    columns (:class:`agentstats.io.qlog_columns.LineColumns`) by a compiled loop.

    names: the import's :class:`~agentstats.io.qlog_columns.LineNames` (the columns'
    codes are codes into it; the callid of a record is its callid code there).
    aliases, memory, where_of: as for :class:`QueueCallTracker`. The results
    (:meth:`column`, :meth:`columns`, :meth:`frame`, :meth:`callids`, ``notes``,
    ``queues.names``, ``agents.names``, ``len()``) are those of the Python tracker fed
    the same lines; :meth:`read_columns` gives each row's verdict and reason.

    Blocks whose columns carry their own callid table (``columns.callid_names``: a line
    stage with ``block_callids``) are read through the tracker's own table of the
    callids still referred to, compacted between blocks, so its memory follows the
    calls held, not the log; either every block carries one or none does.
    """

    def __init__(self, names: Any, *, aliases: Mapping[str, str] | None = None,
                 memory: int = DEFAULT_MEMORY, where_of: Callable[[int], str] | None = None,
                 keep_calls: bool = True, accumulator: Any = None,
                 sink: Callable[[Any], None] | None = None) -> None:
        from .. import _qlog_calls

        self.names = names
        #: keep_calls=False: each fold's final records also go to `sink` as rows of the
        #: per-call table (a pandas DataFrame with a ``seq`` column first: the order the
        #: stays began in), and the records still held at the end
        self.sink = sink
        #: False: a record no later line can change is folded into `accumulator` (a
        #: :class:`agentstats.queues.QueueAccumulator`, or None: dropped) and forgotten
        self.keep_calls = bool(keep_calls)
        self.accumulator = accumulator
        self._fold_at = _FOLD_MIN if sink is None else min(_FOLD_MIN, _SINK_FOLD)
        self._block_callids: bool | None = None     # decided by the first block
        self._compact_at = _CALLID_SLACK            # callid table size that compacts it
        self.aliases = aliases if aliases is not None else {}
        self.where_of = where_of
        self.memory = int(memory)
        self.reason = ""
        self._state = _qlog_calls.CallState(self.memory, LATEST_EPOCH)
        self._verbs = (np.zeros(0, np.int8),) * 3
        self._queue_out = np.zeros(0, np.int32)     # LineNames queue code -> tracker code
        self._queue_raw = np.zeros(0, np.int32)     # tracker queue code -> LineNames code
        self._canon = _Names()                      # agent names after aliases
        self._agent_canon = np.zeros(0, np.int32)   # LineNames agent code -> canonical code
        self._canon_out = np.zeros(0, np.int32)     # canonical code -> tracker agent code
        self._canon_of = np.zeros(0, np.int32)      # tracker agent code -> canonical code

    def __len__(self) -> int:
        """Records held (all of them with keep_calls; else the ones still open or
        remembered)."""
        return len(self._state)

    @property
    def folded(self) -> int:
        """Records folded into the accumulator (or dropped) and no longer held."""
        return self._state.folded

    def _queue_names(self) -> list[str]:
        raw = self.names.queues.names
        return [raw[code] for code in self._queue_raw[:self._state.n_queues].tolist()]

    def _fold(self, *, everything: bool = False, end: int | None = None) -> None:
        """Hand the final records (`everything`: every record, at the report time `end`)
        to the accumulator and the sink, and forget them."""
        full = self.sink is not None
        final = self._state.take_final(full, everything)
        if final is not None and self.accumulator is not None:
            from ..queues import CallColumns

            queue, enter, leave, wait, outcome, flowed_in, flowed_out_at = final[:7]
            self.accumulator.add(CallColumns(
                queue=queue, queue_names=self._queue_names(), enter=enter, leave=leave, wait=wait,
                outcome=outcome, flowed_in=flowed_in, flowed_out_at=flowed_out_at), end=end)
        if final is not None and full:
            self.sink(self._rows(final))
        # amortised: the next fold once the records held have doubled; rows for a sink
        # every _SINK_FOLD new records (the rows of a fold are built at once)
        self._fold_at = max(_FOLD_MIN, 2 * len(self._state)) if not full else \
            len(self._state) + min(_FOLD_MIN, _SINK_FOLD)

    def _rows(self, final: tuple) -> Any:
        """The rows of the per-call table of records handed out by take_final(full=True)."""
        queue, enter, leave, wait, outcome = final[:5]
        more = final[7]
        fields = dict(more, enter=enter, leave=leave, wait=wait, outcome=outcome)
        frame = call_frame(self._callid_texts(more["callid"]), queue, more["prev_queue"], more["next_queue"],
                           fields, queue_names=self._queue_names(), agent_names=self.agents.names,
                           where_of=self.where_of)
        frame.insert(0, "seq", more["seq"])
        return frame

    def _callid_texts(self, codes: np.ndarray) -> list[str]:
        if not self._block_callids:
            names = self.names.callids.names
            return [names[code] for code in codes.tolist()]
        count, joined = self._state.callid_names(codes)     # only those (a fold's)
        return joined.decode("utf-8").split("\n") if count else []

    def finish(self, end: int | None) -> Any:
        """The end of the log: the queue table of the accumulator (None without one),
        the records still held folded at the report time `end` (and handed to the sink)."""
        if self.sink is not None and not self.keep_calls:
            self._fold()
            self._fold(everything=True, end=end)
        if self.accumulator is None:
            return None
        if not self.keep_calls and self.sink is None:
            self._fold()
        self.accumulator.add(self.columns(), end=end)
        return self.accumulator.result(self._queue_names(), end=end)

    def _tables(self, columns: Any) -> None:
        """Grow the per-name tables to the names the block may use."""
        names = self.names
        if len(self._verbs[0]) < len(names.verbs):
            self._verbs = _verb_tables(names.verbs.names)
        n_queues = len(names.queues)
        self._queue_out = _grown(self._queue_out, n_queues)
        self._queue_raw = _grown(self._queue_raw, n_queues)
        agents = names.agents.names
        if len(self._agent_canon) < len(agents):
            new = [self._canon.code(self.aliases.get(a, a)) for a in agents[len(self._agent_canon):]]
            self._agent_canon = np.concatenate((self._agent_canon, np.asarray(new, dtype=np.int32)))
            self._canon_out = _grown(self._canon_out, len(self._canon.names))
            self._canon_of = _grown(self._canon_of, len(self._canon.names))

    def read_columns(self, columns: Any) -> tuple[np.ndarray, np.ndarray]:
        """Read one block of rows; returns (verdict int8, reason int8) per row: verdict
        -1 not the call side's line (the agent side accounts for it), 1 used, 0 counted
        under ``REASONS[reason]``."""
        names = self.names
        columns = columns.checked(names)
        n = len(columns.epoch)
        self._tables(columns)
        verdict = np.empty(n, dtype=np.int8)
        reason = np.empty(n, dtype=np.int8)
        if not n:
            return verdict, reason
        kind, arg, field = self._verbs
        callid = self._callids_of(columns)
        cn = (0, 1) if self._block_callids else _nobody(names.callids)  # "" and "NONE"
        qn, an = _nobody(names.queues), _nobody(names.agents)
        self._state.read(
            columns.epoch, columns.where, columns.verb, callid, columns.queue,
            columns.agent, columns.data1, columns.number_stripped, verdict, reason, kind, arg, field,
            self._queue_out, self._queue_raw, self._agent_canon, self._canon_out, self._canon_of,
            callid_none_a=cn[0], callid_none_b=cn[1], queue_none_a=qn[0], queue_none_b=qn[1],
            agent_none_a=an[0], agent_none_b=an[1],
            attended=names.verbs.codes["ATTENDEDTRANSFER"], link=names.texts.lookup("LINK"))
        self.reason = REASONS[self._state.last_reason]
        if not self.keep_calls and len(self._state) >= self._fold_at:
            self._fold()
        if self._block_callids and self._state.callid_table_size() > self._compact_at:
            self._compact_at = 2 * self._state.compact_callids() + _CALLID_SLACK
        return verdict, reason

    def _callids_of(self, columns: Any) -> np.ndarray:
        """The block's callid codes as the tracker's state reads them."""
        block = columns.callid_names is not None
        if self._block_callids is None:
            self._block_callids = block
        elif block != self._block_callids:
            raise ValueError("every block carries its own callid table, or none does")
        if not block:
            return columns.callid
        count, joined = columns.callid_names
        return self._state.intern_callids(count, joined)[columns.callid]

    def callid_table_size(self) -> int:
        """Callids held in the tracker's own table (0: the blocks' codes are those of
        ``names.callids``)."""
        return self._state.callid_table_size() if self._block_callids else 0

    def line(self, t: int, parts: list[str], where: int) -> bool | None:
        """Read one split line (as :meth:`QueueCallTracker.line`; slow: for tests)."""
        from .qlog_columns import columns_from_lines

        verdict, _ = self.read_columns(columns_from_lines([(t, where, "|".join(parts))], self.names,
                                                          block_callids=bool(self._block_callids)))
        return None if verdict[0] < 0 else bool(verdict[0])

    # -- results --------------------------------------------------------------------

    @property
    def notes(self) -> Counter[str]:
        return Counter({name: count for name, count in zip(_NOTES, self._state.notes()) if count})

    @property
    def queues(self) -> _Names:
        out = _Names()
        raw = self.names.queues.names
        for code in self._queue_raw[:self._state.n_queues]:
            out.code(raw[code])
        return out

    @property
    def agents(self) -> _Names:
        out = _Names()
        canon = self._canon.names
        for code in self._canon_of[:self._state.n_agents]:
            out.code(canon[code])
        return out

    def column(self, field: str) -> np.ndarray:
        """One field of every record (int64), e.g. ``column("enter")``."""
        return self._state.column(_FIELDS[field])

    def callids(self) -> list[str]:
        return self._callid_texts(self._state.callid_codes())

    def working_set(self) -> tuple[int, int, int, int]:
        """Entries held: open stays, ended stays, flow sources, remembered ends."""
        return self._state.working_set()

    columns = QueueCallTracker.columns
    frame = QueueCallTracker.frame


def call_verdicts(tracker: Any, columns: Any) -> tuple[np.ndarray, np.ndarray]:
    """The call side's verdict and reason code (:data:`REASONS`) of every row of a block
    of line columns, from either tracker: a :class:`CompiledCallTracker` reads the
    columns; a :class:`QueueCallTracker` reads the rows' texts (``columns.texts``)."""
    read = getattr(tracker, "read_columns", None)
    if read is not None:
        return read(columns)
    if columns.texts is None:
        raise ValueError("the Python call tracker reads the line texts: build the columns with keep_texts=True")
    n = len(columns.texts)
    verdict = np.full(n, -1, dtype=np.int8)
    reason = np.zeros(n, dtype=np.int8)
    epochs, wheres = columns.epoch.tolist(), columns.where.tolist()
    for i, text in enumerate(columns.texts):
        parts = text.split("|")
        if parts[4] not in CALL_VERBS:
            continue
        took = tracker.line(epochs[i], parts, wheres[i])
        if took is not None:
            verdict[i] = took
            if not took:
                reason[i] = _REASON_CODE[tracker.reason]
    return verdict, reason
