"""Stage 1 of the queue_log reader: blocks of lines -> time-ordered :class:`LineColumns`.

The line stage decides everything about a line that does not depend on the translation
state (io/qlog_columns.py): why a line cannot be read (blank, malformed, NULs, bad
epochs, too long), the time order (a reorder window: late lines; a jump ahead in time
held until the lines after it confirm it), exact duplicates among the lines of one
second, and impossible CONNECT hold times. It holds lines until no later line can sort
before them, and hands them out as columns, in reading order.

Two implementations with one interface:

- :class:`PythonLineStage` reads the decoded blocks of :class:`~agentstats.io.lines.LineReader`
  (a list of str per block), one line at a time: the plain twin;
- :class:`LineStage` reads the byte blocks of ``LineReader.byte_blocks()`` in compiled
  code (agentstats._qlog and agentstats._qlog_lines); a line that is not ASCII and whose
  verdict depends on how it decodes is judged by the twin's rules, one such line at a time.

Both give identical columns, name tables, counts and examples. Use::

    stage = LineStage(names, reorder_window=6 * 3600)
    for index, source in enumerate(sources):
        for block in LineReader(source).byte_blocks():
            columns = stage.feed(block, index)     # the rows this block releases
    columns = stage.finish()                       # the rest, at the end of the input

Accounting: ``lines`` (read so far), ``counted`` (reason -> lines), ``examples``
(reason -> location codes ``file index << 40 | line number`` of the first lines counted),
``nul_runs``, ``nul_bytes``, ``first_time`` (the oldest line handed out), ``newest`` (the
newest accepted time), ``last_time`` (after :meth:`finish`), ``block_lines`` (lines of the
last block fed).
"""

from __future__ import annotations

import heapq
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from queue import Queue
from typing import Any

import numpy as np

from .lines import LATEST_EPOCH, MAX_LINE_BYTES, TOO_LONG, decode_line, valid_epoch
from .qlog_columns import DATA_FIELDS, LineColumns, LineNames, columns_from_lines, field_number

__all__ = ["LineStage", "PythonLineStage", "judge_line", "DEFAULT_REORDER_WINDOW", "EXAMPLES_KEPT",
           "JUMP_CONFIRM", "STAGE_REASONS"]

#: seconds: a line more than this much older than the newest line already read is "late"
DEFAULT_REORDER_WINDOW = 6 * 3600
#: examples (locations) kept per reason
EXAMPLES_KEPT = 5
#: a jump ahead in time is a real gap once this many lines after it continue from it
JUMP_CONFIRM = 2
#: the reasons stage 1 counts, in the order of the compiled stage's reason codes
STAGE_REASONS = ("blank", "nul_garbage", "malformed", "bad_epoch", "line_too_long", "late",
                 "time_jump", "duplicate_line", "bad_hold_time")
_NOTHING_YET = -(1 << 62)       # no line accepted yet
_EPOCH_FIELD_MAX = 12           # longer first fields are looked at closely (valid_epoch)


def judge_line(text: str) -> tuple[str | None, int, str, int]:
    """One decoded line: ``(reason, epoch, record, nul_bytes)``. `reason` is None for a line
    the time order looks at (then `epoch` is its time and `record` its text after any NUL
    run), else the reason it is counted under (blank, nul_garbage, malformed, bad_epoch,
    line_too_long)."""
    nuls = 0
    if "\x00" in text:
        pieces = [p for p in text.split("\x00") if p]
        nuls = len(text) - sum(len(p) for p in pieces)
        # choice: the record after the last NUL run is the line's record
        text = pieces[-1] if pieces else ""
        if not text.strip():
            return "nul_garbage", -1, text, nuls
    bar = text.find("|")
    head = text[:bar] if bar > 0 else text
    if bar > _EPOCH_FIELD_MAX or not (head.isdigit() and head.isascii()):
        head = head.strip()
        if bar < 0 or not valid_epoch(head):
            return _unreadable(text, head, bar), -1, text, nuls
    if text.count("|") < 4:
        return "malformed", -1, text, nuls
    return None, int(head), text, nuls


def _unreadable(text: str, head: str, bar: int) -> str:
    """Why a line has no usable epoch field."""
    if text is TOO_LONG:
        return "line_too_long"
    if not text.strip():
        return "blank"
    if bar >= 0 and head.isdigit():
        # digits, but not a time: Unicode digits ("²"), or too many of them
        return "bad_epoch"
    return "malformed"


def bad_hold_time(epoch: int, parts: list[str]) -> bool:
    """A CONNECT whose hold time (data1) cannot be real: digits (Unicode ones too) that
    are not plain ASCII digits, or longer than the time since 1970 (SPEC 6.5)."""
    if parts[4] != "CONNECT" or len(parts) <= 5:
        return False
    hold = parts[5]
    return hold.isdigit() and not (len(hold) <= 18 and hold.isascii() and int(hold) <= epoch)


def _epoch_of(item: tuple) -> int:
    return item[0]


def _bisect_epoch(items: list, bound: int) -> int:
    """Index of the first item with epoch >= bound (items sorted by epoch)."""
    lo, hi = 0, len(items)
    while lo < hi:
        mid = (lo + hi) // 2
        if items[mid][0] < bound:
            lo = mid + 1
        else:
            hi = mid
    return lo


class _Accounting:
    """What both stages count, and the file and line numbering of the blocks fed."""

    def __init__(self, names: LineNames | None, reorder_window: int, keep_texts: bool) -> None:
        if reorder_window < 0:
            raise ValueError("reorder_window must be >= 0 seconds")
        self.names = names if names is not None else LineNames()
        self.reorder_window = int(reorder_window)
        self.keep_texts = keep_texts
        self.lines = 0
        self.counted: Counter[str] = Counter()
        self.examples: dict[str, list[int]] = {}
        self.nul_runs = 0
        self.nul_bytes = 0
        self.first_time: int | None = None
        self.last_time: int | None = None
        self.block_lines = 0
        self._file = -1
        self._number = 0            # lines of the current file fed so far
        self._finished = False

    def _start_block(self, file: int) -> int:
        """The location base of a block of file number `file` (counted from 0)."""
        if self._finished:
            raise RuntimeError("the line stage has finished")
        if file != self._file:
            if file < self._file:
                raise ValueError("files are fed in order")
            self._file, self._number = file, 0
        return file << 40


class PythonLineStage(_Accounting):
    """The plain-Python line stage (the twin of :class:`LineStage`): feed it the decoded
    blocks of :class:`~agentstats.io.lines.LineReader` (lists of str)."""

    def __init__(self, names: LineNames | None = None, *, reorder_window: int = DEFAULT_REORDER_WINDOW,
                 keep_texts: bool = True) -> None:
        super().__init__(names, reorder_window, keep_texts)
        self.newest = _NOTHING_YET
        self._pending: list[tuple[int, int, str]] = []    # a jump ahead and the lines after it
        self._held: list[tuple[int, int, str]] = []       # accepted, sorted, not yet safe

    def _count(self, reason: str, where: int | None) -> None:
        self.counted[reason] += 1
        if where is not None:
            kept = self.examples.setdefault(reason, [])
            if len(kept) < EXAMPLES_KEPT:
                kept.append(where)

    def feed(self, block: list[str], file: int = 0) -> LineColumns:
        """Read one block of lines of file number `file`; the rows it releases."""
        base = self._start_block(file)
        fresh: list[tuple[int, int, str]] = []
        number = self._number
        for text in block:
            number += 1
            reason, epoch, record, nuls = judge_line(text)
            if nuls:
                self.nul_runs += 1
                self.nul_bytes += nuls
            if reason is None:
                self._admit((epoch, base | number, record), fresh)
            else:
                self._count(reason, None if reason == "blank" else base | number)
        self._number = number
        self.block_lines = len(block)
        self.lines += len(block)
        self._hold(fresh)
        # Every later non-late line has epoch >= newest - window.
        cut = _bisect_epoch(self._held, self.newest - self.reorder_window)
        ready, self._held = self._held[:cut], self._held[cut:]
        return self._release(ready)

    def finish(self) -> LineColumns:
        """The end of the input: every line still held, in order."""
        if self._finished:
            raise RuntimeError("the line stage has finished")
        self._finished = True
        # choice: at the very end of the input a jump ahead is confirmed by one line
        # after it (the log may end soon after a real gap); a last line alone that jumps
        # ahead is counted as a time jump (nothing says its time is real).
        pending, self._pending = self._pending, []
        if len(pending) == 1:
            self._count("time_jump", pending[0][1])
        tail: list = []
        for item in pending if len(pending) > 1 else ():
            self._accept(item, tail)
        self._hold(tail)
        ready, self._held = self._held, []
        self.last_time = self.newest if self.first_time is not None else None
        return self._release(ready)

    def _hold(self, fresh: list) -> None:
        if not fresh:
            return
        fresh.sort(key=_epoch_of)
        held = self._held
        if held and fresh[0][0] < held[-1][0]:
            self._held = list(heapq.merge(held, fresh, key=_epoch_of))   # stable
        else:
            held.extend(fresh)
        if self.first_time is None or fresh[0][0] < self.first_time:
            self.first_time = fresh[0][0]

    def _release(self, batch: list) -> LineColumns:
        """Sorted lines (epoch, where, text) without exact duplicates of a line of the
        same second (duplicated lines, rotated-file overlaps) and impossible hold times."""
        cur = None
        seen: set[str] = set()
        kept = []
        for item in batch:
            epoch, where, text = item
            if epoch != cur:
                cur = epoch
                seen = set()
            if text in seen:
                self._count("duplicate_line", where)
                continue
            seen.add(text)
            if bad_hold_time(epoch, text.split("|", 6)):
                # SPEC 6.5: a hold time that cannot be real costs its line
                self._count("bad_hold_time", where)
                continue
            kept.append(item)
        return columns_from_lines(kept, self.names, keep_texts=self.keep_texts)

    # -- time order: the reorder window and time jumps (SPEC 6.5) ----------------------
    #
    # `newest` is the newest accepted epoch. A line more than the reorder window older
    # than it is `late`. A line more than the window *newer* than it is a jump ahead: it
    # is held (with the lines after it that continue from its time) until JUMP_CONFIRM
    # lines confirm the new time (a real gap: the server was down), or a line continues
    # from the old time: then the jump was one corrupt line, counted as `time_jump`, and
    # the lines held after it are looked at again.

    def _admit(self, item: tuple, out: list) -> None:
        epoch = item[0]
        if epoch > LATEST_EPOCH:
            self._count("bad_epoch", item[1])
            return
        window = self.reorder_window
        pending = self._pending
        if pending:
            if epoch >= pending[0][0] - window:
                pending.append(item)
                if len(pending) > JUMP_CONFIRM:        # confirmed: a real gap
                    self._pending = []
                    for held in pending:
                        self._accept(held, out)
                return
            # The line goes on from the old time: the first held line was corrupt.
            self._count("time_jump", pending[0][1])
            self._pending = []
            for held in pending[1:]:
                self._admit(held, out)
            self._admit(item, out)
            return
        if self.newest == _NOTHING_YET or epoch <= self.newest + window:
            self._accept(item, out)
        else:
            self._pending = [item]

    def _accept(self, item: tuple, out: list) -> None:
        epoch = item[0]
        if epoch > self.newest:
            self.newest = epoch
        elif epoch < self.newest - self.reorder_window:
            self._count("late", item[1])
            return
        out.append(item)


LineStage = PythonLineStage   # TEMPORARY while the compiled stage is written
