"""The hand-off between the two stages of the queue_log reader, as typed columns.

Stage 1 (the *line stage*) reads bytes and decides everything about a line that does
not depend on the translation state: the line accounting (blank,
malformed, bad epochs, NULs, late lines, time jumps, exact duplicates, impossible
CONNECT hold times) and the time order. Its output is a :class:`LineColumns`: one
row per line that the translation must read, in the order it must read them.

Stage 2 (the *translation*) turns those rows into agent-session events and queued
calls (docs/queue_log.md), with its own accounting of the lines it is given.

Both stages exist twice: a compiled one and its plain-Python twin; both twins of a
stage produce identical columns (for stage 1) or identical events, calls and
diagnostics (for stage 2). :func:`columns_from_lines` builds the columns of decoded
lines: it is the definition every stage-1 implementation is compared with.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["LineColumns", "Names", "LineNames", "KNOWN_VERBS", "DATA_FIELDS", "MISSING",
           "columns_from_lines", "field_number"]

MISSING = np.iinfo(np.int64).min

#: data fields read by the translation: data1 .. data5 (split indices 5 .. 9)
DATA_FIELDS = 5

#: Verb codes: a known verb's code is its index here; the empty verb is code 0. A verb
#: not in this list gets the next free code the first time it is seen (LineNames.verbs).
KNOWN_VERBS: tuple[str, ...] = (
    "",
    # agent side (SPEC 6.1 - 6.3, 6.6)
    "ADDMEMBER", "REMOVEMEMBER", "AGENTLOGIN", "AGENTCALLBACKLOGIN", "AGENTLOGOFF",
    "AGENTCALLBACKLOGOFF", "PAUSE", "UNPAUSE", "PAUSEALL", "UNPAUSEALL", "WRAPUPSTART",
    "QUEUESTART",
    # both sides
    "CONNECT", "COMPLETEAGENT", "COMPLETECALLER", "TRANSFER", "BLINDTRANSFER",
    "ATTENDEDTRANSFER",
    # ringing (agent side)
    "RINGNOANSWER", "RINGCANCELED", "AGENTDUMP",
    # callers (call side, SPEC 8)
    "ENTERQUEUE", "ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY", "EXITWITHKEY", "LEAVEEMPTY",
    "FULL", "JOINEMPTY", "CLOSED",
    # caller or system lines that change no agent state
    "DID", "CONFIGRELOAD", "INFO", "SYSCOMPAT", "WITHDRAW", "KEYPRESS", "CALLSTATUS",
    "ENTERQUEUEPOS", "PRESENCE",
)


class Names:
    """Interned strings: text -> dense int code, in the order they were first seen.

    A compiled reader hands over the names it met as UTF-8 bytes joined by LF
    (:meth:`extend_joined`); they are decoded only when ``names`` or ``codes`` is read
    (a log of a million calls has a million callids, and most imports never read them).
    ``len()`` and :meth:`lookup` do not decode them."""

    __slots__ = ("_codes", "_names", "_backlog", "_backlog_count", "_found", "_scanned")

    def __init__(self, seed: Iterable[str] = ()) -> None:
        self._codes: dict[str, int] = {}
        self._names: list[str] = []
        self._backlog: list[tuple[int, int, bytes]] = []    # (first code, count, joined UTF-8)
        self._backlog_count = 0
        self._found: dict[str, int] = {}        # lookup() answers found in the backlog
        self._scanned: dict[str, int] = {}      # lookup() misses: backlog chunks searched
        for name in seed:
            self.code(name)

    @property
    def names(self) -> list[str]:
        if self._backlog:
            self._settle()
        return self._names

    @property
    def codes(self) -> dict[str, int]:
        if self._backlog:
            self._settle()
        if len(self._codes) < len(self._names):
            first = len(self._codes)
            self._codes.update(zip(self._names[first:], range(first, len(self._names))))
        return self._codes

    def code(self, name: str) -> int:
        code = self.codes.get(name)
        if code is None:
            code = self._codes[name] = len(self._names)
            self._names.append(name)
        return code

    def lookup(self, name: str, default: int = -1) -> int:
        """The code of `name`, or `default` when it was not seen (decodes nothing)."""
        code = self._codes.get(name)
        if code is not None:
            return code
        if len(self._codes) < len(self._names):
            try:
                return self._names.index(name, len(self._codes))
            except ValueError:
                pass
        code = self._found.get(name)
        if code is not None:
            return code
        chunks = self._backlog
        start = self._scanned.get(name, 0)
        if start < len(chunks):
            key = name.encode("utf-8")
            for first, count, joined in chunks[start:]:
                at = _find_line(joined, key)
                if at >= 0:
                    code = self._found[name] = first + joined.count(b"\n", 0, at)
                    self._scanned.pop(name, None)
                    return code
            self._scanned[name] = len(chunks)
        return default

    def extend_joined(self, count: int, joined: bytes) -> None:
        """Append `count` new names, given as their UTF-8 bytes joined by LF, in code order."""
        if count:
            self._backlog.append((len(self), count, joined))
            self._backlog_count += count

    def _settle(self) -> None:
        for _, count, joined in self._backlog:
            new = joined.decode("utf-8").split("\n")
            if len(new) != count:  # pragma: no cover - a bug in the caller
                raise RuntimeError(f"{count} names announced, {len(new)} given")
            self._names.extend(new)
        self._backlog.clear()
        self._backlog_count = 0
        self._found.clear()
        self._scanned.clear()

    def __len__(self) -> int:
        return len(self._names) + self._backlog_count


def _find_line(joined: bytes, key: bytes) -> int:
    """Where `key` is one whole LF-separated piece of `joined` (its offset), or -1."""
    if joined == key or joined.startswith(key + b"\n"):
        return 0
    at = joined.find(b"\n" + key + b"\n")
    if at >= 0:
        return at + 1
    if joined.endswith(b"\n" + key):
        return len(joined) - len(key)
    return -1


class LineNames:
    """The string tables of one import (they grow block by block; codes never change).

    ``verbs`` starts as KNOWN_VERBS; ``callids``, ``queues``, ``agents`` (the agent field
    as written, before aliases) and ``texts`` (data1 as written: pause reasons, PAUSED,
    LINK, hold times ...) start empty. A field's text is the field of the line decoded by
    the reading rule of the whole line (UTF-8, else Latin-1), so two lines whose bytes
    differ never share a code."""

    def __init__(self) -> None:
        self.verbs = Names(KNOWN_VERBS)
        self.callids = Names()
        self.queues = Names()
        self.agents = Names()
        self.texts = Names()


@dataclass
class LineColumns:
    """One row per line the translation reads, in reading order (time order, stable).

    epoch: int64 seconds; where: int64 location code (file index << 40 | line number);
    verb: int16, callid / queue / agent / data1: int32 codes into a LineNames;
    number: int64 [rows, DATA_FIELDS], data1 .. data5 read by :func:`field_number` from
    the field as written; number_stripped: the same of the field with surrounding
    whitespace removed (str.strip). A field that is absent is MISSING in both.
    texts: the decoded line texts, only when the stage was asked for them (the Python
    translation reads them; the compiled one does not).
    callid_names: None when the callid codes are codes into the import's LineNames;
    else ``(count, joined UTF-8)``, this block's own callid table (a stage with
    ``block_callids``: code k is the k-th name, the names joined by LF)."""

    epoch: np.ndarray
    where: np.ndarray
    verb: np.ndarray
    callid: np.ndarray
    queue: np.ndarray
    agent: np.ndarray
    data1: np.ndarray
    number: np.ndarray
    number_stripped: np.ndarray
    texts: list[str] | None = None
    callid_names: tuple[int, bytes] | None = None

    def __len__(self) -> int:
        return len(self.epoch)

    def checked(self, names: LineNames) -> LineColumns:
        """These columns with every array contiguous in its dtype and every code inside
        its table of `names` (else ValueError): what the compiled readers of a block (the
        call side, the agent side) check before they read it."""
        n = len(self.epoch)
        n_callids = len(names.callids) if self.callid_names is None else int(self.callid_names[0])
        for name, dtype, size in (("epoch", np.int64, None), ("where", np.int64, None),
                                  ("verb", np.int16, len(names.verbs)), ("callid", np.int32, n_callids),
                                  ("queue", np.int32, len(names.queues)), ("agent", np.int32, len(names.agents)),
                                  ("data1", np.int32, len(names.texts))):
            values = np.ascontiguousarray(getattr(self, name), dtype=dtype)
            if values.shape != (n,):
                raise ValueError(f"columns.{name} has shape {values.shape}, not ({n},)")
            if size is not None and n and (values.min() < 0 or values.max() >= size):
                raise ValueError(f"columns.{name} holds codes outside its name table (0..{size - 1})")
            setattr(self, name, values)
        for name in ("number", "number_stripped"):
            values = np.ascontiguousarray(getattr(self, name), dtype=np.int64)
            if values.shape != (n, DATA_FIELDS):
                raise ValueError(f"columns.{name} has shape {values.shape}, not ({n}, {DATA_FIELDS})")
            setattr(self, name, values)
        return self

    @classmethod
    def empty(cls) -> LineColumns:
        return columns_from_lines([], LineNames())

    @classmethod
    def allocate(cls, n: int, numbers: int | None = None) -> LineColumns:
        """Columns for `n` rows, to be filled in place (numbers: the fill of the two
        number arrays; None leaves every column uninitialised)."""
        def make(shape: Any, dtype: Any) -> np.ndarray:
            return np.empty(shape, dtype=dtype) if numbers is None else np.full(shape, numbers, dtype=dtype)

        return cls(np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int16),
                   np.empty(n, np.int32), np.empty(n, np.int32), np.empty(n, np.int32),
                   np.empty(n, np.int32), make((n, DATA_FIELDS), np.int64), make((n, DATA_FIELDS), np.int64))

    def head(self, n: int) -> LineColumns:
        """The first `n` rows (views), without texts."""
        return LineColumns(self.epoch[:n], self.where[:n], self.verb[:n], self.callid[:n], self.queue[:n],
                           self.agent[:n], self.data1[:n], self.number[:n], self.number_stripped[:n],
                           callid_names=self.callid_names)


def field_number(text: str) -> int:
    """A data field as a whole number: 1 to 18 ASCII digits, else MISSING. (Bounds such
    as "not longer than the time since 1970" are the translation's to apply.)"""
    if 0 < len(text) <= 18 and text.isascii() and text.isdigit():
        return int(text)
    return MISSING


def columns_from_lines(lines: Sequence[tuple[int, int, str]], names: LineNames, *,
                       keep_texts: bool = False, block_callids: bool = False) -> LineColumns:
    """The columns of decoded lines ``(epoch, where, text)`` already in reading order.
    The definition of a stage-1 row: the split is ``text.split("|")``, with callid,
    queue, agent, verb at indices 1 - 4 and data1 .. data5 at 5 - 9. With
    `block_callids` the callids get codes of their own (``callid_names``), in the order
    first met, and `names.callids` is not touched."""
    n = len(lines)
    callids = Names() if block_callids else names.callids
    out = LineColumns.allocate(n, numbers=MISSING)
    epoch, where, verb, callid, queue, agent, data1 = (
        out.epoch, out.where, out.verb, out.callid, out.queue, out.agent, out.data1)
    number, stripped = out.number, out.number_stripped
    for i, (t, w, text) in enumerate(lines):
        parts = text.split("|")
        epoch[i] = t
        where[i] = w
        callid[i] = callids.code(parts[1])
        queue[i] = names.queues.code(parts[2])
        agent[i] = names.agents.code(parts[3])
        verb[i] = names.verbs.code(parts[4])
        data1[i] = names.texts.code(parts[5] if len(parts) > 5 else "")
        for k, field in enumerate(parts[5:5 + DATA_FIELDS]):
            number[i, k] = field_number(field)
            stripped[i, k] = field_number(field.strip())
    out.texts = [text for _, _, text in lines] if keep_texts else None
    if block_callids:
        out.callid_names = (len(callids), "\n".join(callids.names).encode("utf-8"))
    return out
