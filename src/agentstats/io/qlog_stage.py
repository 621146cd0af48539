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

With ``block_callids=True`` each block's columns carry their own callid table
(``LineColumns.callid_names``: codes 0 .. k - 1 in the order first met) and the name
tables' ``callids`` stay empty, so the memory of the callids is one block's, whatever
the length of the log (the call side then keeps the live ones: io/queue_calls.py).

Accounting: ``lines`` (read so far), ``counted`` (reason -> lines), ``examples``
(reason -> location codes ``file index << 40 | line number`` of the first lines counted),
``nul_runs``, ``nul_bytes``, ``first_time`` (the oldest line handed out), ``newest`` (the
newest accepted time), ``last_time`` (after :meth:`finish`), ``block_lines`` (lines of the
last block fed).
"""

from __future__ import annotations

import heapq
import threading
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from .lines import LATEST_EPOCH, MAX_LINE_BYTES, TOO_LONG, decode_line, valid_epoch
from .qlog_columns import DATA_FIELDS, LineColumns, LineNames, columns_from_lines, field_number

__all__ = ["LineStage", "PythonLineStage", "judge_line", "DEFAULT_REORDER_WINDOW", "EXAMPLES_KEPT",
           "JUMP_CONFIRM", "MAX_VERB_CODE", "STAGE_REASONS"]

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
#: the largest verb code (LineColumns.verb is int16); a line with a later new verb is malformed
MAX_VERB_CODE = np.iinfo(np.int16).max
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
    are not plain ASCII digits, or longer than the time since 1970."""  # SPEC 6.5
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

    def __init__(self, names: LineNames | None, reorder_window: int, keep_texts: bool,
                 block_callids: bool) -> None:
        if reorder_window < 0:
            raise ValueError("reorder_window must be >= 0 seconds")
        self.names = names if names is not None else LineNames()
        self.reorder_window = int(reorder_window)
        self.keep_texts = keep_texts
        #: True: each block's columns carry their own callid table (``callid_names``) and
        #: ``names.callids`` stays empty (memory bounded by a block, not by the file)
        self.block_callids = bool(block_callids)
        self.lines = 0
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
                 keep_texts: bool = True, block_callids: bool = False) -> None:
        super().__init__(names, reorder_window, keep_texts, block_callids)
        self.counted: Counter[str] = Counter()
        self.examples: dict[str, list[int]] = {}
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
            parts = text.split("|", 6)
            if bad_hold_time(epoch, parts):
                # SPEC 6.5: a hold time that cannot be real costs its line
                self._count("bad_hold_time", where)
                continue
            if self.names.verbs.code(parts[4]) > MAX_VERB_CODE:
                # the verb columns are int16: a verb past the limit costs its line
                self._count("malformed", where)
                continue
            kept.append(item)
        return columns_from_lines(kept, self.names, keep_texts=self.keep_texts, block_callids=self.block_callids)

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


# The tokenizer's verdicts (agentstats._qlog) of judge_line's reasons.
_VERDICT_CODES = {"blank": 1, "nul_garbage": 2, "malformed": 3, "bad_epoch": 4, "line_too_long": 5}


class LineStage(_Accounting):
    """The compiled line stage: feed it the byte blocks of
    :meth:`~agentstats.io.lines.LineReader.byte_blocks` (``(bytes or None, too_long_after)``).
    Same rules, columns, name tables and accounting as :class:`PythonLineStage`."""

    def __init__(self, names: LineNames | None = None, *, reorder_window: int = DEFAULT_REORDER_WINDOW,
                 keep_texts: bool = True, block_callids: bool = False) -> None:
        super().__init__(names, reorder_window, keep_texts, block_callids)
        # (looked up here, not at import: a debugging build can stand in for the module)
        from .. import _qlog, _qlog_lines

        self._tokenize = _qlog.tokenize_block
        self._slow = _qlog.SLOW
        self._order = _qlog_lines.LineOrder(self.reorder_window, LATEST_EPOCH, EXAMPLES_KEPT, self.names,
                                            block_callids=self.block_callids)
        # the tables the names met extend (None: the block's callids stay with its columns)
        self._tables = [None if table == "callids" and self.block_callids else getattr(self.names, table)
                        for table in _qlog_lines.TABLES]
        self._arena_code = _qlog_lines.ARENA

    # the accounting, read from the compiled state
    @property
    def counted(self) -> Counter[str]:
        """Lines counted per reason."""
        return Counter({reason: n for reason, n in zip(STAGE_REASONS, self._order.counted()) if n})

    @property
    def examples(self) -> dict[str, list[int]]:
        """Per reason, the location codes of the first lines counted."""
        return {reason: codes for reason, codes in zip(STAGE_REASONS, self._order.examples()) if codes}

    def callid_table_size(self) -> int:
        """Slots of the compiled callid table (its memory; with ``block_callids`` it
        holds one block's callids at a time)."""
        return self._order.callid_table_size()

    @property
    def newest(self) -> int:
        return self._order.newest

    def feed(self, block: tuple[bytes | None, bool], file: int = 0) -> LineColumns:
        """Read one byte block of file number `file`; the rows it releases."""
        columns, step = self._step(_Verdicts(block, self._tokenize, self._slow), file)
        self._publish(step)
        return columns

    def stream(self, blocks: Iterable[tuple[bytes | None, bool]], file: int = 0, *,
               threads: int = 1) -> Iterator[LineColumns]:
        """:meth:`feed` for every block of `blocks` (of file number `file`), in order. With
        ``threads=2`` a worker thread reads, tokenises, orders and releases the blocks
        (the compiled parts run without the GIL) while the caller's thread works on the
        columns already handed out; the results are the same, and the accounting and
        name tables are those of the columns handed out so far."""
        if threads not in (1, 2):
            raise ValueError(f"threads must be 1 or 2, not {threads!r}")
        if threads == 1:
            for block in blocks:
                yield self.feed(block, file)
            return
        tokenize, slow = self._tokenize, self._slow
        # Blocks tokenised and not yet ordered, and blocks ordered and released (their
        # columns and public changes) not yet handed out, both in block order. Ordering
        # and releasing a block (the step) is the serial part: one thread at a time does
        # it, the next block in order each time; the worker when the caller's thread is
        # busy with the columns handed out, else the caller's thread itself.
        cond = threading.Condition()
        tokenised: deque = deque()
        stepped: deque = deque()
        shared = {"stepping": False, "read_all": False, "error": None, "stop": False}

        def step_next() -> None:
            """Step the next tokenised block (called holding `cond`; released meanwhile)."""
            verdicts = tokenised.popleft()
            shared["stepping"] = True
            cond.release()
            try:
                result: Any = self._step(verdicts, file)
            except BaseException as exc:          # raised in the caller's thread, in order
                result = exc
            finally:
                cond.acquire()
                shared["stepping"] = False
            stepped.append(result)
            cond.notify_all()

        def work() -> None:
            try:
                for block in blocks:
                    verdicts = _Verdicts(block, tokenize, slow)
                    with cond:
                        # read ahead while there is room; when there is none, step the
                        # next block if the caller's thread has nothing to work on
                        while len(tokenised) + len(stepped) >= _AHEAD_BLOCKS and not shared["stop"]:
                            if tokenised and not shared["stepping"] and not stepped:
                                step_next()
                            else:
                                cond.wait()
                        if shared["stop"]:
                            return
                        tokenised.append(verdicts)
                        cond.notify_all()
            except BaseException as exc:      # handed to the caller's thread
                with cond:
                    shared["error"] = exc
            with cond:
                shared["read_all"] = True
                cond.notify_all()

        worker = threading.Thread(target=work, name="agentstats-line-stage", daemon=True)
        worker.start()
        try:
            while True:
                with cond:
                    while not stepped:
                        if tokenised and not shared["stepping"]:
                            step_next()
                        elif shared["read_all"] and not tokenised and not shared["stepping"]:
                            break
                        else:
                            cond.wait()
                    if not stepped:
                        if shared["error"] is not None:
                            raise shared["error"]
                        return
                    item = stepped.popleft()
                    cond.notify_all()
                if isinstance(item, BaseException):
                    raise item
                columns, step = item
                self._publish(step)
                yield columns
        finally:
            with cond:
                shared["stop"] = True
                cond.notify_all()
            worker.join()

    def _step(self, verdicts: _Verdicts, file: int) -> tuple[LineColumns, tuple]:
        """Order and release one tokenised block: its columns, and what it changes in the
        public accounting and name tables (see :meth:`_publish`: the caller's thread
        applies it, so that a worker thread can run this ahead)."""
        base = self._start_block(file)
        order = self._order
        for i, t, raw in verdicts.slow_records:
            at = order.put_arena(raw)
            verdicts.reason[i], verdicts.epoch[i], verdicts.start[i], verdicts.end[i] = \
                self._arena_code, t, at, at + len(raw)
        ready = order.order_block(verdicts.data, verdicts.epoch, verdicts.reason, verdicts.start, verdicts.end,
                                  verdicts.n_lines, base, self._number, verdicts.ascii_block,
                                  verdicts.too_long_after)
        block_lines = verdicts.n_lines + bool(verdicts.too_long_after)
        self._number += block_lines
        try:
            columns, names, first = self._release(ready)
        finally:
            order.end_block()
        return columns, (block_lines, verdicts.nul_runs, verdicts.nul_bytes, names, first)

    def _publish(self, step: tuple) -> None:
        block_lines, nul_runs, nul_bytes, names, first = step
        if block_lines is not None:         # (None: the end of the input, no block)
            self.block_lines = block_lines
            self.lines += block_lines
        self.nul_runs += nul_runs
        self.nul_bytes += nul_bytes
        for table, (count, joined) in zip(self._tables, names):
            if table is not None:
                table.extend_joined(count, joined)      # decoded when someone reads them
        if first is not None:
            self.first_time = first

    def finish(self) -> LineColumns:
        """The end of the input: every line still held, in order."""
        if self._finished:
            raise RuntimeError("the line stage has finished")
        self._finished = True
        columns, names, first = self._release(self._order.finish())
        self._order.end_block()
        self._publish((None, 0, 0, names, first))
        self.last_time = self.newest if self.first_time is not None else None
        return columns

    def _release(self, n: int) -> tuple[LineColumns, list, int | None]:
        """The columns of the `n` ready rows that are kept; the names met (per table,
        ``(count, joined bytes)``); the oldest time handed out so far (None: none yet)."""
        order = self._order
        for row, hold in order.hold_questions():
            if hold.decode("utf-8").isdigit():      # Unicode digits: not a hold time
                order.set_bad_hold(row)
        rows = LineColumns.allocate(n)
        epoch, where, verb, callid, queue, agent, data1 = (
            rows.epoch, rows.where, rows.verb, rows.callid, rows.queue, rows.agent, rows.data1)
        number, stripped = rows.number, rows.number_stripped
        wide = np.empty(n, dtype=np.uint8)
        text_end = np.empty(n, dtype=np.int64)
        kept, texts = order.release(epoch, where, verb, callid, queue, agent, data1, number, stripped,
                                    wide, text_end, self.keep_texts)
        names = order.take_new_names()
        first = order.first_time if order.has_first else None
        columns = rows.head(kept)
        if self.block_callids:
            columns.callid_names = names[_CALLID_TABLE]
        for i in np.flatnonzero(wide[:kept]).tolist():
            # str.strip removes Unicode spaces too: the twin's reading of such a row
            begin = int(text_end[i - 1]) + 1 if i else 0
            parts = texts[begin:int(text_end[i])].decode("utf-8").split("|")
            for k, field in enumerate(parts[5:5 + DATA_FIELDS]):
                stripped[i, k] = field_number(field.strip())
        if self.keep_texts:
            columns.texts = texts.decode("utf-8").split("\n") if kept else []
        return columns, names, first


_CALLID_TABLE = 0      # the callids' place in _qlog_lines.TABLES

#: blocks read ahead of the caller (tokenised or stepped, not yet handed out)
_AHEAD_BLOCKS = 3


class _Verdicts:
    """One byte block tokenised, its SLOW lines (not ASCII, the verdict depends on the
    decoding) judged by the twin's rules: what the compiled time order reads. Made
    without touching the stage (a worker thread may make it)."""

    __slots__ = ("data", "too_long_after", "n_lines", "epoch", "reason", "start", "end", "ascii_block",
                 "nul_runs", "nul_bytes", "slow_records")

    def __init__(self, block: tuple[bytes | None, bool], tokenize: Any, slow: int) -> None:
        data, self.too_long_after = block
        self.nul_runs = self.nul_bytes = 0
        self.slow_records: list[tuple[int, int, bytes]] = []    # (line, epoch, record's UTF-8)
        if data is None:
            self.data, self.n_lines, self.ascii_block = b"", 0, True
            self.epoch = self.start = self.end = _NO_LINES
            self.reason = _NO_CODES
            return
        self.data = data
        # Room for lines of _TYPICAL_LINE_BYTES on average (no pass to count them); a
        # block of shorter lines is counted and tokenised again.
        size = len(data) // _TYPICAL_LINE_BYTES + 1
        ascii_answer = np.empty(1, dtype=np.uint8)
        for attempt in range(2):
            self.epoch, self.start, self.end, nuls = (np.empty(size, dtype=np.int64) for _ in range(4))
            self.reason = reason = np.empty(size, dtype=np.uint8)
            self.n_lines = tokenize(data, MAX_LINE_BYTES, self.epoch, reason, self.start, self.end, nuls,
                                    ascii_answer)
            if self.n_lines >= 0:
                break
            size = data.count(b"\n") + 1
        if self.n_lines < 0:  # pragma: no cover - a bug, never a data problem
            raise RuntimeError(f"queue_log tokenizer: more than {size} lines")
        if self.n_lines < size:
            nuls = nuls[:self.n_lines]
            reason = self.reason = reason[:self.n_lines]
        self.nul_runs = int(np.count_nonzero(nuls))      # (0 on the lines left SLOW)
        if self.nul_runs:
            self.nul_bytes = int(nuls.sum())
        # (the tokenizer's scans of the lines answer it, unless a line was too long to read)
        self.ascii_block = bool(ascii_answer[0]) if ascii_answer[0] < 2 else data.isascii()
        if self.ascii_block:
            return
        for i in np.flatnonzero(reason == slow).tolist():
            verdict, t, record, nul_bytes = judge_line(decode_line(data[self.start[i]:self.end[i]]))
            if nul_bytes:
                self.nul_runs += 1
                self.nul_bytes += nul_bytes
            if verdict is None:
                self.slow_records.append((i, t, record.encode("utf-8")))
            else:
                reason[i] = _VERDICT_CODES[verdict]


_NO_LINES = np.zeros(0, dtype=np.int64)
_TYPICAL_LINE_BYTES = 32        # a queue_log line is 40 - 150 bytes; blank lines are rarer
_NO_CODES = np.zeros(0, dtype=np.uint8)
