"""The per-call CSV file (`agentstats report LOG --calls FILE.csv`) written while the log
is read: each caller's stay is written once no later line can change it, so the stays
of the whole log are never held at once.

The rows come in the order the stays began (the order of the file written from every
stay at the end), although the stays become final in another order: a stay is written
as soon as every stay that began before it has been written. The rows of stays that
wait behind one still open are kept (a bounded number); beyond that, the stays still
open are left as gaps: the rows after them are written on, and each gap's row, once
final, goes to a second file. At the end the two are joined in the order the stays
began (a copy of the file, only when there was a gap). Until then both are temporary
files beside the destination: the destination appears, complete, only when the report
succeeds."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CallsCsvWriter"]

#: rows that wait behind a stay still open before the stays still open become gaps
PENDING_ROWS = 1 << 16

_DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def _temp_beside(target: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                                dir=target.parent if str(target.parent) else ".")
    os.close(fd)
    return Path(name)


class CallsCsvWriter:
    """Rows of the per-call table (frames with a ``seq`` column first: the order the
    stays began in, each seq given once) in, the CSV file out in seq order; the same
    bytes as the whole table written at once (report.files.write_report).

    zone: the report's time zone (times local, with their offset), or None (UTC).
    :meth:`add` takes the rows; :meth:`finish` completes a temporary file beside `path`
    and returns it (the caller renames it); :meth:`discard` removes every temporary file.
    """

    def __init__(self, path: str | os.PathLike, *, zone: Any = None, pending_rows: int | None = None) -> None:
        self.path = Path(path)
        self.zone = zone
        self.pending_rows = PENDING_ROWS if pending_rows is None else int(pending_rows)
        self._temps: list[Path] = []
        self._main_path = self._temp()
        self._main = open(self._main_path, "wb")
        self._side_path: Path | None = None
        self._side: Any = None
        self._next = 0                  # the seq of the next row to place
        # rows waiting behind a stay still held: their seqs and CSV lines, batch by batch
        # (a line is some 150 bytes, a pandas row several times that)
        self._pending_seq: list[np.ndarray] = []
        self._pending_lines: list[list[bytes]] = []
        self._pending_n = 0
        self._header: bytes | None = None
        self._gap_seq: list[int] = []   # gaps, ascending seq: where each goes in the main file
        self._gap_at: list[int] = []
        self._filled: dict[int, tuple[int, int]] = {}   # gap seq -> (offset, length) in the side file
        #: the most rows held at once (waiting behind a stay still open), for the tests
        self.peak_pending = 0
        self.rows = 0

    def _temp(self) -> Path:
        return self.new_temporary(self.path)

    def new_temporary(self, target: Path) -> Path:
        """A new temporary file beside `target`, removed by :meth:`discard` unless moved."""
        temp = _temp_beside(target)
        self._temps.append(temp)
        return temp

    # -- rows in ------------------------------------------------------------------------

    def add(self, frame: pd.DataFrame) -> None:
        """Rows of stays no later line can change (any seq order)."""
        if not len(frame):
            return
        seq = frame["seq"].to_numpy(dtype=np.int64)
        lines = self._lines(frame)
        late = seq < self._next
        if late.any():              # rows of gaps left earlier
            self._fill_gaps(seq[late], [line for line, gap in zip(lines, late.tolist()) if gap])
            lines = [line for line, gap in zip(lines, late.tolist()) if not gap]
            seq = seq[~late]
        if len(seq):
            self._pending_seq.append(seq)
            self._pending_lines.append(lines)
            self._pending_n += len(seq)
            self.peak_pending = max(self.peak_pending, self._pending_n)
        self._drain(final=False)

    def _drain(self, *, final: bool) -> None:
        """Write the pending rows that can be placed: those that follow the rows written
        without a gap, and, beyond `pending_rows` of them (or at the end), the oldest
        half of the rest around the stays still held (gaps)."""
        if not self._pending_n:
            return
        seq = np.concatenate(self._pending_seq)
        lines = [line for batch in self._pending_lines for line in batch]
        if len(self._pending_seq) > 1:
            order = np.argsort(seq, kind="stable")
            seq = seq[order]
            lines = [lines[i] for i in order.tolist()]
        n = len(seq)
        placed = seq == self._next + np.arange(n)     # no gap before them
        in_order = n if placed.all() else int(np.argmin(placed))
        if final:
            cut = n
        elif n - in_order > self.pending_rows:
            cut = n - self.pending_rows // 2
        else:
            cut = in_order
        if cut:
            self._write_main(seq[:cut], lines[:cut])
        self._pending_seq = [seq[cut:]] if cut < n else []
        self._pending_lines = [lines[cut:]] if cut < n else []
        self._pending_n = n - cut

    # -- writing -----------------------------------------------------------------------

    def _lines(self, frame: pd.DataFrame) -> list[bytes]:
        """The CSV line of each row (bytes, with its line end); the header is kept the
        first time."""
        from ..localtime import localise_frame
        from .files import csv_ready

        rows = csv_ready(localise_frame(frame.drop(columns="seq"), self.zone))
        text = rows.to_csv(None, index=False, date_format=_DATE_FORMAT, lineterminator="\n").encode("utf-8")
        lines = [line + b"\n" for line in text.split(b"\n")[:-1]]
        if len(lines) != len(frame) + 1:
            # a value holds a line end (quoted): one row at a time
            lines = [rows.iloc[:0].to_csv(None, index=False, lineterminator="\n").encode("utf-8")]
            for i in range(len(rows)):
                lines.append(rows.iloc[i:i + 1].to_csv(None, index=False, header=False, date_format=_DATE_FORMAT,
                                                       lineterminator="\n").encode("utf-8"))
        header = lines.pop(0)
        if self._header is None:
            self._header = header
        return lines

    def _write_main(self, seq: np.ndarray, lines: list[bytes]) -> None:
        if self._main.tell() == 0:
            self._main.write(self._header or b"")
        # the stays not among these rows, up to the last of them, are gaps: still held
        start = 0
        for i in np.flatnonzero(seq != np.concatenate(([self._next], seq[:-1] + 1))).tolist():
            self._main.write(b"".join(lines[start:i]))
            start = i
            at = self._main.tell()
            first = self._next if i == 0 else int(seq[i - 1]) + 1
            for gap in range(first, int(seq[i])):
                self._gap_seq.append(gap)
                self._gap_at.append(at)
        self._main.write(b"".join(lines[start:]))
        self._next = int(seq[-1]) + 1
        self.rows += len(seq)

    def _fill_gaps(self, seq: np.ndarray, lines: list[bytes]) -> None:
        if self._side is None:
            self._side_path = self._temp()
            self._side = open(self._side_path, "wb")
        for one, line in zip(seq.tolist(), lines):
            self._filled[one] = (self._side.tell(), len(line))
            self._side.write(line)
        self.rows += len(seq)

    # -- the end -----------------------------------------------------------------------

    def finish(self, empty: pd.DataFrame) -> Path:
        """Every row has been added: write the rest, join the gaps' rows in, and return
        the complete temporary file (`empty`: the table's columns, for a log without
        calls)."""
        self._drain(final=True)
        if self._main.tell() == 0:
            if self._header is None:
                self._lines(empty.assign(seq=np.zeros(0, np.int64))[["seq", *empty.columns]])
            self._main.write(self._header or b"")
        if set(self._filled) != set(self._gap_seq):     # every gap filled, nothing else late
            raise RuntimeError("the call table's rows did not come once each: not written")
        self._main.close()
        if not self._gap_seq:
            return self._main_path
        self._side.close()
        joined = self._temp()
        with open(self._main_path, "rb") as main, open(self._side_path, "rb") as side, \
                open(joined, "wb") as out:
            done = 0
            for seq, at in zip(self._gap_seq, self._gap_at):
                _copy(main, out, at - done)
                done = at
                offset, length = self._filled[seq]
                side.seek(offset)
                _copy(side, out, length)
            _copy(main, out, os.fstat(main.fileno()).st_size - done)
        return joined

    def discard(self) -> None:
        """Remove every temporary file (a failed report leaves none behind)."""
        for handle in (self._main, self._side):
            if handle is not None:
                handle.close()
        for temp in self._temps:
            temp.unlink(missing_ok=True)

    def temporary_files(self) -> list[Path]:
        """The temporary files made so far (for the tests)."""
        return list(self._temps)


def _copy(source: Any, target: Any, n: int) -> None:
    """Copy n bytes from the current position of one file to another, a megabyte at a time."""
    while n > 0:
        chunk = source.read(min(n, 1 << 20))
        if not chunk:
            raise OSError("the temporary call table ended early")
        target.write(chunk)
        n -= len(chunk)
