"""Asterisk queue_log -> agent-session events.

A queue_log line is ``epoch|callid|queue|agent|verb|data1|data2|...``. This module
turns a log (one file, or several rotated files given together) into the event columns
of :class:`agentstats.Aggregator` (session, time, state, wait), one session per
membership instance of an agent in a queue, and accounts for every line:
it is either *used* or counted under one reason (``diagnostics["counted"]``), so that
``lines == used + sum(counted)``.

The work is streamed: files are read in blocks, lines are put back in time order
inside a bounded reorder window, and the translation state carried between blocks is
one small record per open session, so memory depends on the number of sessions (and
the window), never on the file size. Chunked and one-shot imports give identical
events (the chunk size only decides when events are handed to the aggregator).

Every reading choice is listed in docs/queue_log.md ("choice:").
"""

from __future__ import annotations

import gc
from array import array
import os
import weakref
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from .lines import (MAX_LINE_BYTES, LineReader, LogSource, decode_line, first_epoch, iter_line_blocks, open_sources, plain_int,
                    read_ahead, valid_epoch)
from .qlog_columns import LineColumns, LineNames
from .qlog_stage import DEFAULT_REORDER_WINDOW, EXAMPLES_KEPT, LineStage, PythonLineStage
from .queue_calls import CALL_VERBS, QueueCallTracker


__all__ = [
    "QueueLogImporter",
    "QueueLogResult",
    "EventChunk",
    "import_queue_log",
    "read_queue_log",
    "read_alias_file",
    "infer_aliases",
    "parse_wrapup",
    "DEFAULT_REORDER_WINDOW",
]

NOT_READY, READY, BUSY_ON_CALL, BUSY_WRAPUP, SESSION_ENDED = 0, 1, 2, 3, 4
MISSING = np.iinfo(np.int64).min

_BLOCK_BYTES = 8 << 20
_DEFAULT_CHUNK_EVENTS = 1 << 19
_LINE_MASK = (1 << 40) - 1
_ENGINES = ("cython", "python")
_MAX_WRAPUP = 86400             # seconds: a longer wrap-up is a typing mistake

# Verb classes (SPEC 6.1-6.3).
_CALL_END = frozenset({"COMPLETEAGENT", "COMPLETECALLER", "TRANSFER", "BLINDTRANSFER",
                       "ATTENDEDTRANSFER"})
_RING = frozenset({"RINGNOANSWER", "RINGCANCELED", "AGENTDUMP"})
_LOGIN = frozenset({"AGENTLOGIN", "AGENTCALLBACKLOGIN"})
_LOGOFF = frozenset({"AGENTLOGOFF", "AGENTCALLBACKLOGOFF"})
# Verbs that describe the caller or the system, never an agent state change. (The
# callers' own verbs, ENTERQUEUE, ABANDON, ..., are read by the call side: CALL_VERBS.)
_NOT_AGENT = frozenset({
    "DID", "CONFIGRELOAD", "INFO", "SYSCOMPAT", "WITHDRAW", "KEYPRESS", "CALLSTATUS",
    "ENTERQUEUEPOS", "PRESENCE",
})
_NOBODY = frozenset({"", "NONE"})
#: seconds: a logged wrap-up (WRAPUPSTART data1) longer than a day is not a wrap-up
_LONGEST_WRAPUP = 86_400


# -- results --------------------------------------------------------------------------


_FIELDS = ("session", "time", "state", "wait", "reason", "agent", "acd_group", "presence")


class EventChunk:
    """Event columns for :meth:`agentstats.Aggregator.update` (times in seconds).

    session: int64 session ids (see QueueLogImporter.sessions_frame()); time: int64
    epoch seconds; state: uint8 AGENT_SESSION_STATE; wait: int64 seconds, MISSING
    (INT64_MIN) where not a CONNECT; reason: object, the pause reason on NOT_READY
    events, else None; agent, acd_group: object; presence: bool, the event is of an
    agent's presence session (see the agent view), or None.

    The compiled reader hands out chunks that keep the per-session names once (a
    session's agent and queue) and the reasons as codes: the object columns
    ``reason``, ``agent`` and ``acd_group`` are built from them on first use.
    """

    __slots__ = ("session", "time", "state", "wait", "presence", "_reason", "_agent", "_acd_group",
                 "_reason_code", "_reason_names", "_session_agent", "_session_queue")

    def __init__(self, session: np.ndarray, time: np.ndarray, state: np.ndarray, wait: np.ndarray,
                 reason: np.ndarray | None, agent: np.ndarray | None, acd_group: np.ndarray | None,
                 presence: np.ndarray | None = None) -> None:
        self.session = session
        self.time = time
        self.state = state
        self.wait = wait
        self.presence = presence
        self._reason = reason
        self._agent = agent
        self._acd_group = acd_group
        self._reason_code: np.ndarray | None = None
        self._reason_names: np.ndarray | None = None
        self._session_agent: np.ndarray | None = None
        self._session_queue: np.ndarray | None = None

    @classmethod
    def coded(cls, session: np.ndarray, time: np.ndarray, state: np.ndarray, wait: np.ndarray,
              presence: np.ndarray, reason_code: np.ndarray, reason_names: np.ndarray,
              session_agent: np.ndarray, session_queue: np.ndarray) -> EventChunk:
        """A chunk whose object columns are built on first use: ``reason`` is
        ``reason_names[reason_code]`` (code -1: the last entry, None), ``agent`` is
        ``session_agent[session]`` and ``acd_group`` is ``session_queue[session]``."""
        chunk = cls(session, time, state, wait, None, None, None, presence)
        chunk._reason_code = reason_code
        chunk._reason_names = reason_names
        chunk._session_agent = session_agent
        chunk._session_queue = session_queue
        return chunk

    @property
    def reason(self) -> np.ndarray | None:
        if self._reason is None and self._reason_code is not None:
            reasons = np.empty(len(self.session), dtype=object)     # None: no reason
            given = self._reason_code >= 0
            reasons[given] = self._reason_names[self._reason_code[given]]
            self._reason = reasons
        return self._reason

    @reason.setter
    def reason(self, values: np.ndarray) -> None:
        self._reason = values

    @property
    def agent(self) -> np.ndarray | None:
        if self._agent is None and self._session_agent is not None:
            self._agent = self._session_agent[self.session]
        return self._agent

    @agent.setter
    def agent(self, values: np.ndarray) -> None:
        self._agent = values

    @property
    def acd_group(self) -> np.ndarray | None:
        if self._acd_group is None and self._session_queue is not None:
            self._acd_group = self._session_queue[self.session]
        return self._acd_group

    @acd_group.setter
    def acd_group(self, values: np.ndarray) -> None:
        self._acd_group = values

    def __len__(self) -> int:
        return len(self.session)

    def __repr__(self) -> str:
        return f"EventChunk({len(self)} events)"

    @classmethod
    def concat(cls, chunks: list[EventChunk]) -> EventChunk:
        if not chunks:
            return cls(*(np.empty(0, dtype=d) for d in
                         (np.int64, np.int64, np.uint8, np.int64, object, object, object, bool)))
        return cls(*(np.concatenate([getattr(c, f) if getattr(c, f) is not None
                                     else np.zeros(len(c), dtype=bool) for c in chunks])
                     for f in _FIELDS))

    def queue_sessions_only(self) -> EventChunk:
        """The events of queue sessions (the per-session table), without the
        agents' presence sessions."""
        if self.presence is None or not self.presence.any():
            return self
        keep = ~self.presence
        if self._reason_code is not None and self._reason is None and self._agent is None \
                and self._acd_group is None:
            return EventChunk.coded(
                self.session[keep], self.time[keep], self.state[keep], self.wait[keep],
                self.presence[keep], self._reason_code[keep], self._reason_names,
                self._session_agent, self._session_queue)
        return EventChunk(*(getattr(self, f)[keep] for f in _FIELDS))


@dataclass
class QueueLogResult:
    """What :func:`import_queue_log` returns."""

    table: Any                       # agentstats.SessionTable, keyed by int session id
    session_columns: dict[str, Any]  # the columns of `sessions` (QueueLogImporter.session_columns)
    diagnostics: dict[str, Any]      # line accounting (see QueueLogImporter.diagnostics)
    aliases_inferred: list[str] = field(default_factory=list)
    call_tracker: Any = None         # the queued calls (SPEC 8): agentstats.io.queue_calls
    #: the queue statistics folded during the import (keep_calls=False with queue_stats options)
    queue_table: Any = None
    #: the per-call records were kept (keep_calls=True): calls and call_columns work
    calls_kept: bool = True
    #: the calls of a queue_log are timed in whole seconds
    call_ticks_per_second = 1

    @cached_property
    def sessions(self):
        """pandas DataFrame: session, label, agent, acd_group, ... (built on first use:
        pandas is imported only when a frame is asked for)."""
        return _sessions_frame(self.session_columns)

    def _kept_calls(self) -> None:
        if not self.calls_kept:
            raise ValueError("the per-call records were not kept (the import was made with "
                             "keep_calls=False); import with keep_calls=True for the call table")

    @cached_property
    def calls(self):
        """The per-call table: one row per caller's stay in a queue (see docs/queues.md)."""
        self._kept_calls()
        return self.call_tracker.frame()

    def call_columns(self):
        """The per-call table as :class:`agentstats.queues.CallColumns` (for queue_stats),
        whose default report time is this import's (the log's end)."""
        self._kept_calls()
        columns = self.call_tracker.columns()
        columns.default_as_of = self.table.as_of
        return columns

    def queue_stats(self, **options: Any):
        """Per-queue (per-interval) statistics: :func:`agentstats.queue_stats` of the calls
        at this import's report time. Without the kept calls, only the statistics of the
        options given to the import (``queue_stats=``) are known."""
        from ..queues import queue_stats

        if not self.calls_kept:
            accumulator = getattr(self.call_tracker, "accumulator", None)
            if self.queue_table is None or accumulator is None or not accumulator.answers(**options):
                given = accumulator.options() if accumulator is not None else None
                raise ValueError(
                    "the per-call records were not kept (keep_calls=False): the queue statistics "
                    f"are known only for the options given to the import ({given}); import with "
                    "keep_calls=True, or with queue_stats= these options")
            return self.queue_table
        return queue_stats(self.call_columns(), **options)

    def to_pandas(self):
        """Per-session statistics joined with the session labels (agent, queue, ...)."""
        frame = self.table.to_pandas()
        if len(frame) == 0:
            frame["session"] = frame["session"].astype(np.int64)
        side = self.sessions.drop(columns=[c for c in ("agent", "acd_group") if c in frame.columns])
        return frame.merge(side, on="session", how="left")


def _sessions_frame(columns: dict[str, Any]):
    """The sessions frame (see QueueLogImporter.sessions_frame) from its columns."""
    import pandas as pd

    return pd.DataFrame({name: values if name in ("session", "label", "instance")
                         else pd.array(values, dtype=object) for name, values in columns.items()})


# -- options --------------------------------------------------------------------------


def parse_wrapup(items: Iterable[str] | Mapping[str, int] | None) -> dict[str, int]:
    """``["500=30", "sales=15"]`` (or a mapping) -> ``{"500": 30, "sales": 15}``.

    ``*=SECONDS`` sets the wrap-up of every queue without its own entry."""
    if items is None:
        return {}
    if isinstance(items, Mapping):
        pairs = [(str(k), v) for k, v in items.items()]
    else:
        pairs = []
        for item in items:
            queue, sep, seconds = str(item).rpartition("=")
            if not sep or not queue:
                raise ValueError(f"wrap-up must look like QUEUE=SECONDS, not {item!r}")
            pairs.append((queue, seconds))
    out = {}
    for queue, seconds in pairs:
        try:
            value = int(seconds)
        except (TypeError, ValueError):
            raise ValueError(f"wrap-up of queue {queue!r} must be whole seconds, not {seconds!r}") from None
        if value < 0:
            raise ValueError(f"wrap-up of queue {queue!r} is negative ({value})")
        if value > _MAX_WRAPUP:
            raise ValueError(f"wrap-up of queue {queue!r} is {value} s, more than a day ({_MAX_WRAPUP} s)")
        out[queue] = value
    return out


def read_alias_file(path: str | os.PathLike) -> dict[str, str]:
    """An alias file: one ``NAME=AGENT`` per line (``SIP/1001=Sathish``); ``#`` starts a
    comment; a CSV with two columns (``SIP/1001,Sathish``) is read the same way."""
    aliases: dict[str, str] = {}
    with open(path, "rb") as f:
        # lines are decoded like the log's (UTF-8, else Latin-1), so names match
        for number, line in enumerate(map(decode_line, f), 1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            sep = "=" if "=" in text else ("," if "," in text else None)
            if sep is None:
                raise ValueError(f"{path}:{number}: expected NAME=AGENT, got {line.strip()!r}")
            name, agent = (part.strip().strip('"') for part in text.split(sep, 1))
            if not name or not agent:
                raise ValueError(f"{path}:{number}: expected NAME=AGENT, got {line.strip()!r}")
            if number == 1 and sep == "," and name.lower() in ("name", "alias", "interface"):
                continue  # a CSV header
            aliases[name] = agent
    return aliases


# -- reading lines (the bytes themselves: see io/lines.py) -----------------------------


def _iter_blocks(source: LogSource | str | os.PathLike, block_bytes: int) -> Iterator[list[str]]:
    """Lists of decoded lines (without the line end), in file order."""
    if not isinstance(source, LogSource):
        source = LogSource(source)
    return iter_line_blocks(source, block_bytes)


def order_sources(paths: Iterable[str | os.PathLike | LogSource]) -> list[LogSource]:
    """Rotated files given together, oldest first (by their first timestamp; inputs
    without a valid line among their first lines go last, in the order given)."""
    keyed = []
    for position, source in enumerate(open_sources(paths)):
        first = first_epoch(source)
        keyed.append((first is None, first or 0, position, source))
    return [source for *_, source in sorted(keyed, key=lambda k: k[:3])]


def order_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """The paths of :func:`order_sources`, oldest first."""
    return [source.path for source in order_sources(paths)]


# -- alias inference (SPEC 6.4) ---------------------------------------------------------

def _alias_candidate_lines(source: LogSource | str | os.PathLike) -> Iterator[str]:
    """The decoded lines that hold ADDMEMBER or UNPAUSE, in file order. The others are
    passed over as bytes: an ASCII word is in a line's text exactly when it is in the
    line's bytes (UTF-8 or Latin-1), so only these lines are decoded."""
    if not isinstance(source, LogSource):
        source = LogSource(source)
    for data, _too_long_after in LineReader(source, _BLOCK_BYTES).byte_blocks():
        if data is None:
            continue
        find = data.find
        size = len(data)
        # the next ADDMEMBER and the next UNPAUSE (bytes.find is much faster than a regex)
        added, unpaused = find(b"ADDMEMBER"), find(b"UNPAUSE")
        while added >= 0 or unpaused >= 0:
            hit = unpaused if added < 0 or 0 <= unpaused < added else added
            start = data.rfind(b"\n", 0, hit) + 1
            end = find(b"\n", hit)
            if end < 0:
                end = size
            if end - start <= MAX_LINE_BYTES:     # a longer line is never read
                yield decode_line(data[start:end])
            if added >= 0 and added < end:
                added = find(b"ADDMEMBER", end)
            if unpaused >= 0 and unpaused < end:
                unpaused = find(b"UNPAUSE", end)


#: alias inference keeps the lines of at most this many open seconds before it settles
#: the old ones: those more than _ALIAS_WINDOW seconds older than the newest line
_ALIAS_PENDING_SECONDS = 64
_ALIAS_WINDOW = 60


def infer_aliases(paths: Iterable[str | os.PathLike | LogSource], *, known: Mapping[str, str] | None = None,
                  engine: str | None = None, read_threads: int = 1) -> tuple[dict[str, str], list[str]]:
    """Infer ``interface -> member name`` from ADDMEMBER lines that share a second (and
    the queue) with the member's own UNPAUSE line, or the second with its UNPAUSEALL line
    (the login macro of FreePBX/Issabel does exactly that).

    A name is mapped only when every such ADDMEMBER line of it points at the same single
    candidate. Returns the map and one human-readable message per inferred alias.
    `engine` is that of :class:`QueueLogImporter`: ``"cython"`` reads the lines in
    compiled code, ``"python"`` one at a time; both give the same map and messages. The
    compiled engine reads each file into one buffer again and again; a file with CR line
    ends is then read once more block by block, with ``read_threads=2`` the next block on
    a second thread while it looks at the current one."""
    known = dict(known or {})
    if isinstance(read_threads, bool) or read_threads not in (1, 2):
        raise ValueError(f"read_threads must be 1 or 2, not {read_threads!r}")
    if _choose_engine(engine) == "cython":
        found = _compiled_alias_votes(paths, read_threads)
    else:
        found = _python_alias_votes(paths, known)
    inferred: dict[str, str] = {}
    messages: list[str] = []
    for name, target, support in sorted(found):
        if name in known:
            continue
        inferred[name] = target
        messages.append(f"inferred alias {name} -> {target} from {support} ADDMEMBER "
                        f"line{'s' if support != 1 else ''} sharing a second with {target}'s UNPAUSE")
    return inferred, messages


def _compiled_alias_votes(paths: Iterable[str | os.PathLike | LogSource], read_threads: int = 1
                          ) -> list[tuple[str, str, int]]:
    """The votes of :func:`_python_alias_votes`, read in compiled code block by block."""
    from .._qlog_aliases import AliasVotes

    paths = list(paths)
    votes = AliasVotes(MAX_LINE_BYTES, _ALIAS_PENDING_SECONDS, _ALIAS_WINDOW)
    # Usually one buffer read into again block after block (no new memory per block:
    # page faults were most of this pass's time); an input with CR line ends is read
    # again block by block as bytes.
    if all(LineReader(path if isinstance(path, LogSource) else LogSource(path), _BLOCK_BYTES)
           .feed_lines(votes.feed) for path in paths):
        return _decoded_votes(votes)
    votes = AliasVotes(MAX_LINE_BYTES, _ALIAS_PENDING_SECONDS, _ALIAS_WINDOW)
    blocks = _alias_blocks(paths)
    # (the read of a block, mostly without the GIL, beside the look at the one before,
    # without it: the pass takes about the longer of the two instead of their sum)
    for data in read_ahead(blocks) if read_threads == 2 else blocks:
        votes.feed(data)
    return _decoded_votes(votes)


def _decoded_votes(votes: Any) -> list[tuple[str, str, int]]:
    # (names are kept as the UTF-8 bytes of their text: never anything else)
    return [(name.decode("utf-8"), target.decode("utf-8"), support) for name, target, support in votes.finish()]


def _alias_blocks(paths: Iterable[str | os.PathLike | LogSource]) -> Iterator[bytes]:
    for path in paths:
        source = path if isinstance(path, LogSource) else LogSource(path)
        for data, _too_long_after in LineReader(source, _BLOCK_BYTES).byte_blocks():
            if data is not None:
                yield data


def _python_alias_votes(paths: Iterable[str | os.PathLike | LogSource], known: Mapping[str, str]
                        ) -> list[tuple[str, str, int]]:
    """``(name, member, votes)`` for every name whose votes all point at one member and
    that never UNPAUSEs itself, one line at a time in Python (the compiled reader's twin)."""
    votes: dict[str, Counter] = defaultdict(Counter)
    themselves: set[str] = set()
    # Seconds still open: epoch -> (ADDMEMBER (queue, name) list, UNPAUSE (queue, member) list).
    # Lines are nearly in time order, so only the last few seconds are kept (bounded memory).
    pending: dict[int, tuple[list, list]] = {}

    def settle(second: int) -> None:
        added, present = pending.pop(second)
        if not present:
            return
        for queue, name in added:
            candidates = {member for q, member in present if (q == queue or q == "*") and member != name}
            candidates.discard(known.get(name, name))
            if len(candidates) == 1:
                votes[name][candidates.pop()] += 1

    newest = None
    for path in paths:
        for line in _alias_candidate_lines(path):
            parts = line.lstrip("\x00").rstrip("\r").split("|")
            if len(parts) < 5 or not valid_epoch(parts[0]) or parts[3] in _NOBODY:
                continue
            verb = parts[4]
            if verb == "ADDMEMBER":
                entry = 0
            elif verb in ("UNPAUSE", "UNPAUSEALL"):
                entry = 1
                themselves.add(parts[3])
            else:
                continue
            second = int(parts[0])
            bucket = pending.get(second)
            if bucket is None:
                bucket = pending[second] = ([], [])
            bucket[entry].append((parts[2] if verb != "UNPAUSEALL" else "*", parts[3]))
            if newest is None or second > newest:
                newest = second
                if len(pending) > _ALIAS_PENDING_SECONDS:
                    for old in [k for k in pending if k < newest - _ALIAS_WINDOW]:
                        settle(old)
    for second in list(pending):
        settle(second)
    # Names that are members on their own (they UNPAUSE themselves) are never aliases.
    found: list[tuple[str, str, int]] = []
    for name, counter in votes.items():
        if name not in themselves and len(counter) == 1:
            (target, support), = counter.items()
            found.append((name, target, support))
    return found


# -- the translator (SPEC 6.1-6.3) ------------------------------------------------------


class _Session:
    __slots__ = ("sid", "queue", "agent", "state", "paused", "on_call", "wrap_until", "reason",
                 "call_cap_at")

    def __init__(self, sid: int, queue: str, agent: str) -> None:
        self.sid = sid
        self.queue = queue
        self.agent = agent
        self.state = -1            # nothing emitted yet
        self.paused = False
        self.on_call = False
        self.wrap_until: int | None = None
        self.reason: str | None = None
        self.call_cap_at: int | None = None    # max_call: when an endless call is cut


class QueueLogImporter:
    """Streaming queue_log -> events translator. Use :meth:`chunks` (a generator of
    :class:`EventChunk`), then read :attr:`diagnostics` and :meth:`sessions_frame`.

    wrapup: ``{"queue": seconds}`` (``"*"`` for every other queue): after a call ends the
        member is BUSY_WRAPUP for that long, then READY.
    aliases: ``{"SIP/1001": "Sathish"}``: names joined into one agent.
    infer: also infer aliases from the files (needs one extra quick pass).
    reorder_window: seconds; lines are sorted by time inside this window, a line older
        than the newest line read minus the window is counted as ``late``.
    as_of: only used to close pending wrap-ups at the end (default: the log's end).
    progress: called with the number of bytes read so far (for a progress bar).
    max_call: seconds; a call still without its end line this long after its CONNECT
        ends there (counted as unterminated_call). Default: no cap.
    engine: ``"cython"`` reads the lines, orders them and translates them in compiled
        code (the default when the compiled modules are built), ``"python"`` one line at
        a time in Python; both give the same events, calls and diagnostics.
    read_threads: 2 (the default when two cores are free) reads and splits the next block
        of the file on a second thread while the current one is translated; 1 reads on
        the calling thread only. Same results either way; ``engine="cython"`` only.
    keep_calls: True (the default) keeps one record per caller's stay for the whole log
        (the per-call table); False forgets a call once no later line can change it, so
        that memory does not grow with the log: the calls are then only counted into the
        queue statistics of `queue_stats` (the options of :func:`agentstats.queue_stats`:
        interval, service_level, window_start, tz), or not at all without it. (The
        ``engine="python"`` reader keeps its records either way.)
    call_sink: with keep_calls=False, called with the rows of the per-call table (pandas
        DataFrames with a ``seq`` column first: the order the stays began in) as the
        calls become final, the last ones when the import ends.
    """

    def __init__(
        self,
        paths: str | os.PathLike | Iterable[str | os.PathLike],
        *,
        wrapup: Mapping[str, int] | Iterable[str] | None = None,
        aliases: Mapping[str, str] | None = None,
        infer: bool = True,
        reorder_window: int = DEFAULT_REORDER_WINDOW,
        chunk_events: int = _DEFAULT_CHUNK_EVENTS,
        block_bytes: int = _BLOCK_BYTES,
        as_of: int | None = None,
        progress: Callable[[int], None] | None = None,
        max_call: int | None = None,
        engine: str | None = None,
        read_threads: int | None = None,
        keep_calls: bool = True,
        queue_stats: Mapping[str, Any] | None = None,
        call_sink: Callable[[Any], None] | None = None,
    ) -> None:
        self.engine = _choose_engine(engine)
        if read_threads is None:
            from ..aggregate import _available_cores

            read_threads = 2 if _available_cores() >= 2 else 1
        if isinstance(read_threads, bool) or read_threads not in (1, 2):
            raise ValueError(f"read_threads must be 1 or 2, not {read_threads!r}")
        self.read_threads = int(read_threads)
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        self.sources = order_sources(paths)
        self.paths = [source.path for source in self.sources]
        if not self.paths:
            raise ValueError("no queue_log file given")
        self.wrapup = parse_wrapup(wrapup)
        self.aliases = dict(aliases or {})
        self.aliases_inferred: list[str] = []
        if infer:
            # choice: a stream can be read only once, so aliases are inferred from the
            # regular files only (and the user is told).
            files = [source for source in self.sources if not source.is_stream]
            found, self.aliases_inferred = infer_aliases(files, known=self.aliases, engine=self.engine,
                                                         read_threads=self.read_threads)
            streams = [source.name for source in self.sources if source.is_stream]
            if streams:
                self.aliases_inferred.append(
                    f"aliases not inferred from {', '.join(streams)}: a stream is read only once "
                    f"(give --alias FILE, or the file itself)")
            self.aliases.update(found)
        if reorder_window < 0:
            raise ValueError("reorder_window must be >= 0 seconds")
        self.reorder_window = int(reorder_window)
        self.chunk_events = max(1, int(chunk_events))
        self.block_bytes = max(1, int(block_bytes))
        self.as_of = as_of
        self.progress = progress
        if max_call is not None and (isinstance(max_call, bool) or int(max_call) <= 0):
            raise ValueError(f"max_call must be a positive number of seconds, not {max_call!r}")
        self.max_call = None if max_call is None else int(max_call)
        self.total_bytes = sum(source.size or 0 for source in self.sources)

        # Line accounting.
        self.lines = 0
        self.used = 0
        self.counted: Counter[str] = Counter()
        self.nul_runs = 0
        self.nul_bytes = 0
        #: reason -> location codes of the first lines counted (see diagnostics)
        self.examples: dict[str, list[int]] = defaultdict(list)
        #: the name tables of the line columns (stage 1 of the reader: io/qlog_stage.py)
        self.line_names = LineNames()
        self.first_time: int | None = None
        self.last_time: int | None = None

        # Translation state.
        self._open: dict[tuple[str, str], _Session] = {}
        self._by_agent: dict[str, dict[str, _Session]] = defaultdict(dict)
        self._login: dict[str, int] = {}
        self._instances: Counter[tuple[str, str]] = Counter()
        self._sess_queue: list[str] = []
        self._sess_agent: list[str] = []
        self._sess_instance: list[int] = []
        self._sess_where: list[int] = []
        self._names = [source.label for source in self.sources]
        self._sess_how: list[str] = []
        self._sess_presence: list[bool] = []
        self._ev = _new_buffers()
        self._done = False
        # Queued calls (SPEC 8): the call side reads its lines before the agent side.
        # SPEC 6.6 / 7: the agents' presence sessions, their last event time, and the
        # per-agent counts only the log knows.
        self._presence: dict[str, _Session] = {}
        self._agent_last: dict[str, int] = {}
        self.unterminated_calls = 0
        self.missed: Counter[str] = Counter()
        self.transfers: Counter[str] = Counter()
        # The compiled engine: the call side and the agent side read blocks of line
        # columns (io/queue_calls.py, io/queue_log_translate.py); the Python state above
        # then stays empty.
        self._translator: Any = None
        self.call_tracker: Any
        self.keep_calls = bool(keep_calls)
        accumulator = None
        if queue_stats is not None and not self.keep_calls:
            from ..queues import QueueAccumulator

            accumulator = QueueAccumulator(as_of=as_of, **queue_stats)
        calls = dict(aliases=self.aliases, where_of=self._where, keep_calls=self.keep_calls,
                     accumulator=accumulator, sink=call_sink)
        if self.engine == "cython":
            from .queue_calls import CompiledCallTracker
            from .queue_log_translate import CompiledAgentTranslator

            self.call_tracker = CompiledCallTracker(self.line_names, **calls)
            self._translator = CompiledAgentTranslator.for_importer(self, self.line_names)
        else:
            self.call_tracker = QueueCallTracker(**calls)

    # -- accounting ----------------------------------------------------------------

    def _where(self, code: int) -> str:
        """A line's location code (file index << 40 | line number) as "file:line"."""
        return f"{self._names[code >> 40]}:{code & _LINE_MASK}"

    def _count(self, reason: str, where: int | None = None) -> None:
        self.counted[reason] += 1
        if where is not None and len(self.examples[reason]) < EXAMPLES_KEPT:
            self.examples[reason].append(where)

    def _merge_stage_accounting(self, stage: Any) -> None:
        """Fold the line stage's counts into this importer's: a reason counted on both
        sides keeps the first examples by location."""
        self.counted.update(stage.counted)
        for reason, codes in stage.examples.items():
            self.examples[reason] = sorted(self.examples.get(reason, []) + codes)[:EXAMPLES_KEPT]

    @property
    def diagnostics(self) -> dict[str, Any]:
        """lines, used, counted (reason -> lines), nul_runs, nul_bytes, examples
        (reason -> first few "file:line"), files, first_time, last_time, aliases."""
        return {
            "lines": self.lines,
            "used": self.used,
            "counted": dict(sorted(self.counted.items())),
            "nul_runs": self.nul_runs,
            "nul_bytes": self.nul_bytes,
            "examples": {k: [self._where(c) for c in v] for k, v in sorted(self.examples.items()) if v},
            "files": [str(p) for p in self.paths],
            "first_time": self.first_time,
            "last_time": self.last_time,
            "sessions": len(self._sess_queue) if self._translator is None else self._translator.n_sessions,
            "aliases": dict(self.aliases),
            "aliases_inferred": list(self.aliases_inferred),
            "calls": {"stays": len(self.call_tracker) + self.call_tracker.folded,
                      "notes": dict(sorted(self.call_tracker.notes.items()))},
            "unterminated_call": self.unterminated_calls,
        }

    def sessions_frame(self):
        """One row per session id: session, label ("queue|agent|n"), agent, acd_group,
        instance, started_at ("file:line" of the line that opened it), opened_by."""
        return _sessions_frame(self.session_columns())

    def session_columns(self) -> dict[str, Any]:
        """The columns of :meth:`sessions_frame` without pandas: session and instance
        as int64 arrays, the others as lists."""
        if self._translator is not None:
            return self._translator.session_columns()
        n = len(self._sess_queue)
        return {
            "session": np.arange(n, dtype=np.int64),
            "label": [f"{q}|{a}|{i}" for q, a, i in zip(self._sess_queue, self._sess_agent, self._sess_instance)],
            "agent": list(self._sess_agent),
            "acd_group": list(self._sess_queue),
            "instance": np.asarray(self._sess_instance, dtype=np.int64),
            "started_at": [self._where(c) for c in self._sess_where],
            "opened_by": list(self._sess_how),
            "kind": ["presence" if p else "queue" for p in self._sess_presence],
        }

    def session_objects(self) -> tuple[np.ndarray, np.ndarray]:
        """Per session id: its agent and its queue (acd_group), as object arrays."""
        if self._translator is not None:
            return self._translator.session_objects()
        return np.asarray(self._sess_agent, dtype=object), np.asarray(self._sess_queue, dtype=object)

    # -- events --------------------------------------------------------------------

    def _emit(self, s: _Session, t: int, state: int, wait: int = MISSING, reason: str | None = None) -> bool:
        if state == s.state:
            return False
        s.state = state
        sid, tm, st, wt, rs = self._ev
        sid.append(s.sid)
        self._agent_last[s.agent] = t
        tm.append(t)
        st.append(state)
        wt.append(wait)
        rs.append(reason if state == NOT_READY else None)
        return True

    def _idle(self, s: _Session) -> int:
        return NOT_READY if s.paused else READY

    def _settle(self, s: _Session, t: int) -> None:
        """A wrap-up that has elapsed by time t ends first; so does a call
        that has reached the max_call cap."""
        if s.on_call and s.call_cap_at is not None and s.call_cap_at <= t:
            cut = s.call_cap_at
            self.unterminated_calls += 1
            s.on_call, s.call_cap_at = False, None
            self._emit(s, cut, self._idle(s), reason=s.reason)
        if s.wrap_until is not None and s.wrap_until <= t:
            self._emit(s, s.wrap_until, self._idle(s), reason=s.reason)
            s.wrap_until = None

    def _start(self, queue: str, agent: str, t: int, where: int, how: str) -> _Session:
        key = (queue, agent)
        self._instances[key] += 1
        s = _Session(len(self._sess_queue), queue, agent)
        self._sess_queue.append(queue)
        self._sess_agent.append(agent)
        self._sess_instance.append(self._instances[key])
        self._sess_where.append(where)
        self._sess_how.append(how)
        self._sess_presence.append(False)
        self._open[key] = s
        self._by_agent[agent][queue] = s
        return s

    def _start_presence(self, agent: str, t: int, where: int, how: str, *, paused: bool = False,
                        reason: str | None = None) -> _Session:
        """The agent is logged in (its presence), in no queue."""
        self._instances[("", agent)] += 1
        s = _Session(len(self._sess_queue), "", agent)
        self._sess_queue.append("")
        self._sess_agent.append(agent)
        self._sess_instance.append(self._instances[("", agent)])
        self._sess_where.append(where)
        self._sess_how.append(how)
        self._sess_presence.append(True)
        self._presence[agent] = s
        s.paused, s.reason = paused, reason
        self._emit(s, t, NOT_READY if paused else READY, reason=reason)
        return s

    def _end_presence(self, agent: str, t: int) -> bool:
        s = self._presence.pop(agent, None)
        if s is None:
            return False
        self._emit(s, t, SESSION_ENDED)
        return True

    def _settle_agent(self, agent: str, t: int) -> None:
        """Timed changes of the agent's sessions that are due by t happen first, so that
        the agent's events stay in time order across all its sessions."""
        for s in list(self._by_agent.get(agent, {}).values()):
            self._settle(s, t)

    def _end(self, s: _Session, t: int) -> None:
        self._settle(s, t)
        if s.on_call:
            # SPEC 6.6: the call's end line is missing; the session's end closes it.
            self.unterminated_calls += 1
            s.on_call = False
        self._emit(s, t, SESSION_ENDED)
        del self._open[(s.queue, s.agent)]
        mine = self._by_agent[s.agent]
        del mine[s.queue]
        if not mine:
            del self._by_agent[s.agent]

    def _static(self, queue: str, agent: str, t: int, where: int, verb: str) -> tuple[_Session, bool]:
        """The open session of (queue, agent), or a new one for a member with no start
        event. Returns (session, fresh): fresh sessions have emitted nothing."""
        s = self._open.get((queue, agent))
        if s is not None:
            return s, False
        login = self._login.get(agent)
        s = self._start(queue, agent, t, where, f"{verb} (static member)" if login is None else "AGENTLOGIN")
        if login is not None:
            # choice: an agent logged in with AGENTLOGIN (no queue) is READY in each of
            # its queues from the login on; the session starts at the login.
            self._emit(s, login, READY)
            return s, False
        return s, True

    def _pause(self, s: _Session, t: int, reason: str | None) -> bool:
        self._settle(s, t)
        if s.on_call:
            # choice: a pause during a call takes effect when the call ends.
            changed = not s.paused or s.reason != reason
            s.paused, s.reason = True, reason
            return changed
        s.wrap_until = None
        s.paused, s.reason = True, reason
        return self._emit(s, t, NOT_READY, reason=reason)

    def _unpause(self, s: _Session, t: int) -> bool:
        self._settle(s, t)
        if s.on_call:
            changed = s.paused
            s.paused, s.reason = False, None
            return changed
        s.wrap_until = None
        s.paused, s.reason = False, None
        return self._emit(s, t, READY)

    def _line(self, t: int, parts: list[str], where: int) -> None:
        """Translate one time-ordered, de-duplicated line; count it."""
        # SPEC 8: the call side reads its verbs first; the caller verbs are its alone.
        took = self.call_tracker.line(t, parts, where) if parts[4] in CALL_VERBS else None
        if took is not None:
            if took:
                self.used += 1
            else:
                self._count(self.call_tracker.reason, where)
            return
        verb = parts[4]
        if not verb:
            self._count("malformed", where)
            return
        queue = parts[2]
        agent = parts[3]
        if verb in _NOT_AGENT:
            self.counted["not_agent_event"] += 1
            return
        if verb == "QUEUESTART":
            # SPEC 6.1: the server restarted; every open session ends here, and so does
            # every presence (the agents are logged out).
            self._login.clear()
            if not self._open and not self._presence:
                self.counted["no_state_change"] += 1
                return
            for s in list(self._open.values()):
                self._end(s, t)
            for name in list(self._presence):
                self._end_presence(name, t)
            self.used += 1
            return
        known = (verb in _CALL_END or verb in _RING or verb in _LOGIN or verb in _LOGOFF
                 or verb in ("ADDMEMBER", "REMOVEMEMBER", "PAUSE", "UNPAUSE", "PAUSEALL",
                             "UNPAUSEALL", "CONNECT", "WRAPUPSTART"))
        if not known:
            self._count(f"unknown_verb:{verb}", where)
            return
        if agent in _NOBODY:
            self._count("no_agent", where)
            return
        agent = self.aliases.get(agent, agent)
        data1 = parts[5] if len(parts) > 5 else ""
        no_queue = queue in _NOBODY
        changed: bool
        self._settle_agent(agent, t)
        if verb == "RINGNOANSWER" and not no_queue:
            self.missed[agent] += 1          # SPEC 7.1: a missed offer

        if verb == "CONNECT":
            if no_queue:
                self._count("no_queue", where)
                return
            wait = plain_int(data1, t)
            wait = MISSING if wait is None else wait
            s, fresh = self._static(queue, agent, t, where, verb)
            if not fresh:
                self._settle(s, t)
                if s.on_call:
                    # choice: the previous call's end line is missing; it ends here so
                    # that this call is counted too (SPEC 6.6: unterminated_call).
                    self.unterminated_calls += 1
                    self._emit(s, t, self._idle(s))
            s.wrap_until = None
            s.on_call = True
            s.call_cap_at = None if self.max_call is None else t + self.max_call
            changed = self._emit(s, t, BUSY_ON_CALL, wait=wait)
        elif verb in _CALL_END:
            s = None if no_queue else self._open.get((queue, agent))
            if s is None or not s.on_call:
                self._count("orphan", where)
                return
            s.on_call, s.call_cap_at = False, None
            if verb.endswith("TRANSFER"):
                self.transfers[agent] += 1   # SPEC 7.1
            wrap = self.wrapup.get(queue, self.wrapup.get("*", 0))
            if wrap > 0:
                s.wrap_until = t + wrap
                changed = self._emit(s, t, BUSY_WRAPUP)
            else:
                changed = self._emit(s, t, self._idle(s), reason=s.reason)
        elif (verb == "PAUSE" or verb == "UNPAUSE") and not no_queue:
            s, fresh = self._static(queue, agent, t, where, verb)
            changed = self._pause(s, t, data1 or None) if verb == "PAUSE" else self._unpause(s, t)
        elif verb in ("PAUSE", "UNPAUSE", "PAUSEALL", "UNPAUSEALL"):
            # PAUSEALL/UNPAUSEALL, and PAUSE/UNPAUSE without a queue, act on every open
            # session of the agent (SPEC 6.2) and on its presence (SPEC 6.6); an agent
            # with neither is present from this line on.
            targets = list(self._by_agent.get(agent, {}).values())
            pausing = verb.startswith("PAUSE")
            reason = (data1 or None) if pausing else None
            presence = self._presence.get(agent)
            changed = False
            if presence is None and not targets:
                self._start_presence(agent, t, where, verb, paused=pausing, reason=reason)
                changed = True
            elif presence is not None:
                presence.paused, presence.reason = pausing, reason
                changed |= self._emit(presence, t, NOT_READY if pausing else READY, reason=reason)
            for s in targets:
                changed |= self._pause(s, t, data1 or None) if pausing else self._unpause(s, t)
        elif verb == "WRAPUPSTART":
            # SPEC 6.6: logged wrap-up of data1 seconds, in that queue's session (queue
            # NONE: every open session of the agent); it replaces a configured one.
            wrap_seconds = plain_int(data1, _LONGEST_WRAPUP)
            if wrap_seconds is None:
                self._count("malformed", where)
                return
            if no_queue:
                targets = list(self._by_agent.get(agent, {}).values())
                if not targets:
                    self._count("orphan", where)
                    return
            else:
                targets = [self._static(queue, agent, t, where, verb)[0]]
            changed = False
            for s in targets:
                self._settle(s, t)
                if s.on_call:
                    s.on_call, s.call_cap_at = False, None
                s.wrap_until = t + wrap_seconds
                changed |= self._emit(s, t, BUSY_WRAPUP)
                if wrap_seconds == 0:
                    self._settle(s, t)
                    changed = True
        elif verb == "ADDMEMBER" or (verb in _LOGIN and not no_queue):
            if no_queue:
                self._count("no_queue", where)
                return
            if (queue, agent) in self._open:
                self.counted["no_state_change"] += 1
                return
            s = self._start(queue, agent, t, where, verb)
            s.paused = verb == "ADDMEMBER" and data1.upper() == "PAUSED"
            changed = self._emit(s, t, self._idle(s))
        elif verb in _LOGIN:
            # AGENTLOGIN with no queue (chan_agent): the agent is logged in: its presence
            # starts (SPEC 6.6), and its queue sessions start at the login (see _static).
            changed = self._login.get(agent) != t
            self._login.setdefault(agent, t)
            if agent not in self._presence:
                self._start_presence(agent, t, where, verb)
                changed = True
        elif verb == "REMOVEMEMBER" or verb in _LOGOFF:
            if not no_queue:
                s = self._open.get((queue, agent))
                targets = [s] if s is not None else []
            elif verb in _LOGOFF:
                targets = list(self._by_agent.get(agent, {}).values())
            else:
                targets = []
            logged_in = verb in _LOGOFF and self._login.pop(agent, None) is not None
            if verb in _LOGOFF and no_queue:
                # SPEC 6.6: the presence ends; with no login in the log, data2 (seconds
                # logged in) says when it began.
                if self._end_presence(agent, t):
                    logged_in = True
                elif not logged_in:
                    data2 = parts[6] if len(parts) > 6 else ""
                    logged_seconds = plain_int(data2, t)     # never before 1970
                    if logged_seconds:
                        # choice: not before a line of the agent already translated:
                        # its time up to there is already accounted.
                        start = max(t - logged_seconds, self._agent_last.get(agent, t - logged_seconds))
                        if start < t:
                            self._start_presence(agent, start, where, f"{verb} (data2)")
                            self._end_presence(agent, t)
                            logged_in = True
            if not targets:
                if logged_in:
                    self.used += 1
                else:
                    self._count("orphan", where)
                return
            for s in targets:
                self._end(s, t)
            changed = True
        else:  # ringing verbs: evidence of a (static) member, no state change
            if no_queue:
                self._count("no_queue", where)
                return
            existed = (queue, agent) in self._open
            s, fresh = self._static(queue, agent, t, where, verb)
            if existed:
                self.counted["no_state_change"] += 1
                return
            changed = self._emit(s, t, READY) if fresh else True   # else: READY since the login
        if changed:
            self.used += 1
        else:
            self.counted["no_state_change"] += 1

    # -- the stream ----------------------------------------------------------------

    def _take_events(self) -> EventChunk:
        sid, tm, st, wt, rs = self._ev
        self._ev = _new_buffers()
        sessions = np.frombuffer(sid, dtype=np.int64)
        agent_of = np.asarray(self._sess_agent, dtype=object)
        queue_of = np.asarray(self._sess_queue, dtype=object)
        return EventChunk(
            session=sessions,
            time=np.frombuffer(tm, dtype=np.int64),
            state=np.frombuffer(st, dtype=np.uint8),
            wait=np.frombuffer(wt, dtype=np.int64),
            reason=np.asarray(rs, dtype=object),
            agent=agent_of[sessions] if len(sessions) else np.empty(0, dtype=object),
            acd_group=queue_of[sessions] if len(sessions) else np.empty(0, dtype=object),
            presence=np.asarray(self._sess_presence, dtype=bool)[sessions] if len(sessions)
            else np.empty(0, dtype=bool),
        )

    def chunks(self) -> Iterator[EventChunk]:
        """Event chunks in time order per session (the Aggregator's streaming contract)."""
        if self._done:
            raise RuntimeError("a QueueLogImporter can be streamed once")
        self._done = True
        compiled = self.engine == "cython"
        # Without the per-call records the callids are needed only while their calls are
        # live: each block carries its own callid table and the call tracker keeps the
        # live ones (memory bounded by the calls held, not by the log).
        stage = (LineStage if compiled else PythonLineStage)(
            self.line_names, reorder_window=self.reorder_window, keep_texts=not compiled,
            block_callids=compiled and not self.keep_calls and _BLOCK_CALLIDS)
        # (a weak reference, for the tests: the stage and its name tables are freed when
        # the reading ends, not when the importer is)
        self._line_stage = weakref.ref(stage)
        translator = self._translator
        translate = self._translate_compiled if compiled else self._translate
        # the events translated and not yet handed out, and the hand-out, of either engine
        pending = (lambda: translator.pending_events) if compiled else (lambda: len(self._ev[0]))
        take = translator.take_events if compiled else self._take_events
        bytes_done = 0
        gc_was_enabled = gc.isenabled()
        gc.disable()    # millions of small objects: the cyclic GC only costs time here
        try:
            for index, source in enumerate(self.sources):
                reader = LineReader(source, self.block_bytes)
                if compiled:
                    released = stage.stream(reader.byte_blocks(), index, threads=self.read_threads)
                else:
                    released = (stage.feed(block, index) for block in reader)
                for columns in released:
                    translate(columns)
                    self._sync_lines(stage)
                    if self.progress is not None:
                        self.progress(bytes_done + reader.progress)
                    if pending() >= self.chunk_events:
                        yield take()
                bytes_done += reader.progress
            translate(stage.finish())
        finally:
            if gc_was_enabled:
                gc.enable()
        self._sync_lines(stage)
        self.last_time = stage.last_time
        # Wrap-ups that elapsed before the report time end now (choice: not after it).
        horizon = self.as_of if self.as_of is not None else self.last_time
        if compiled:
            self._finish_compiled(horizon)
        else:
            self._finish_python(horizon)
        self._merge_stage_accounting(stage)
        if self.progress is not None:
            self.progress(bytes_done)
        if pending() or not self.lines:
            yield take()

    def _finish_python(self, horizon: int | None) -> None:
        """The end of the log for the Python translation."""
        if horizon is not None:
            for s in self._open.values():
                if s.call_cap_at is not None and s.call_cap_at <= horizon:
                    self._settle(s, s.call_cap_at)
                if s.wrap_until is not None and s.wrap_until <= horizon:
                    self._settle(s, s.wrap_until)
        # SPEC 6.6: a call still without its end line at the end of the log closes at
        # the report time, and is counted.
        self.unterminated_calls += sum(1 for s in self._open.values() if s.on_call)

    def _finish_compiled(self, horizon: int | None) -> None:
        """The end of the log for the compiled translation, and its accounting as this
        importer's (the same fields the Python translation fills line by line)."""
        translator = self._translator
        translator.finish(horizon)
        self.used = translator.used
        self.counted.update(translator.counted)
        for reason, codes in translator.example_codes.items():
            self.examples[reason] = list(codes)
        self.unterminated_calls = translator.unterminated_calls
        self.missed = translator.missed
        self.transfers = translator.transfers

    def _translate_compiled(self, columns: LineColumns) -> None:
        """The rows the line stage released, through the compiled call side, then the
        compiled agent side (no Python code per row)."""
        verdict, reason = self.call_tracker.read_columns(columns)
        self._translator.read(columns, verdict, reason)

    def _translate(self, columns: LineColumns) -> None:
        """Translate the rows the line stage released (time-ordered, de-duplicated)."""
        line = self._line
        for epoch, where, text in zip(columns.epoch.tolist(), columns.where.tolist(), columns.texts):
            line(epoch, text.split("|"), where)

    def _sync_lines(self, stage: Any) -> None:
        """The line stage's accounting, as this importer's."""
        self.lines = stage.lines
        self.nul_runs = stage.nul_runs
        self.nul_bytes = stage.nul_bytes
        self.first_time = stage.first_time

    def logins(self) -> dict[str, int]:
        """Agents logged in by AGENTLOGIN so far (agent -> login time): a queue session
        of theirs that starts later starts at the login, before events already handed out."""
        if self._translator is not None:
            return self._translator.logins()
        return dict(self._login)

    def check(self) -> None:
        """Every line is used or counted (raises if the accounting is off)."""
        total = self.used + sum(self.counted.values())
        if total != self.lines:  # pragma: no cover - a bug, never a data problem
            raise RuntimeError(f"queue_log accounting: {total} of {self.lines} lines")


#: the compiled import without keep_calls reads each block's callids through a table of
#: its own (False: through one table of the whole import, as with keep_calls)
_BLOCK_CALLIDS = True


def _choose_engine(engine: str | None) -> str:
    """The engine: the compiled reader when it is built, unless told."""
    if engine is None:
        try:
            _compiled_modules()
        except ImportError:      # pragma: no cover - a checkout without the build
            return "python"
        return "cython"
    if engine not in _ENGINES:
        raise ValueError(f"engine must be one of {', '.join(_ENGINES)}, not {engine!r}")
    if engine == "cython":
        _compiled_modules()      # an ImportError here says what is missing
    return engine


def _compiled_modules() -> None:
    """Import the compiled modules of the reader: line stage, call side, agent side,
    alias inference."""
    from .. import _qlog, _qlog_agents, _qlog_aliases, _qlog_calls, _qlog_lines  # noqa: F401


def _new_buffers() -> tuple:
    """Event columns being filled: compact typed arrays (8 bytes a value), not lists."""
    return array("q"), array("q"), array("B"), array("q"), []


# -- one-call helpers --------------------------------------------------------------------


def read_queue_log(paths, **options) -> tuple[EventChunk, Any, dict[str, Any]]:
    """The whole log as one EventChunk, plus the sessions frame and the diagnostics.
    (For inspection and tests; :func:`import_queue_log` streams.)"""
    importer = QueueLogImporter(paths, **options)
    events = EventChunk.concat(list(importer.chunks()))
    importer.check()
    return events, importer.sessions_frame(), importer.diagnostics


def import_queue_log(
    paths,
    *,
    as_of: Any = None,
    strict: bool = False,
    n_threads: int | None = None,
    on_chunk: Callable[[EventChunk], None] | None = None,
    **options: Any,
) -> QueueLogResult:
    """Import a queue_log (one file or rotated files) into per-session statistics.

    The report time `as_of` defaults to the log's end: the newest timestamp of the
    lines read (a line that jumps ahead in time and is not confirmed by the lines after
    it does not count), so sessions still open at the end of the log run to it; it is
    known once the input is read, so standard input and pipes need no second look.
    Options are those of :class:`QueueLogImporter` (wrapup, aliases, infer,
    reorder_window, chunk_events, progress, max_call, engine, keep_calls, queue_stats).
    With ``keep_calls=False`` the result has no per-call table (``calls``,
    ``call_columns()`` raise) and ``queue_stats()`` answers only for the options given as
    ``queue_stats={...}``; memory then does not grow with the log. `on_chunk` also sees every
    event chunk of the queue sessions (e.g. an :class:`agentstats.rollup.IntervalRollup`'s
    update); the agents' presence sessions are for the agent view
    (:func:`agentstats.queue_log_agent_stats`).
    """
    from ..aggregate import Aggregator, _as_of_to_ticks

    if isinstance(paths, (str, os.PathLike, LogSource)):
        paths = [paths]
    as_of_s = _as_of_to_ticks(as_of, "s")
    importer = QueueLogImporter(paths, as_of=as_of_s, **options)
    aggregator = Aggregator(unit="s", as_of=as_of_s, strict=strict, n_threads=n_threads)
    fed = False
    for chunk in importer.chunks():
        queue_events = chunk.queue_sessions_only()     # presence is for the agent view
        # a session's agent and queue are constant: they are joined to the table from
        # the session table below, not aggregated per event
        aggregator.update(queue_events.session, queue_events.time, queue_events.state,
                          wait=queue_events.wait)
        fed = True
        if on_chunk is not None:
            on_chunk(queue_events)
    importer.check()
    end = as_of_s if as_of_s is not None else importer.last_time
    table = aggregator.result(as_of=end) if as_of_s is None and end is not None else aggregator.result()
    if fed:
        agents, queues = importer.session_objects()
        keys = np.asarray(table.keys, dtype=np.int64)
        table.meta.update(agent=agents[keys], acd_group=queues[keys])
    return QueueLogResult(
        table=table,
        session_columns=importer.session_columns(),
        diagnostics=importer.diagnostics,
        aliases_inferred=list(importer.aliases_inferred),
        call_tracker=importer.call_tracker,
        queue_table=None if importer.keep_calls else importer.call_tracker.finish(table.as_of),
        calls_kept=importer.keep_calls,
    )
