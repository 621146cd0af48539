"""Reading a queue_log's bytes: opening, decompression, line splitting, decoding.

This is the reading layer under :mod:`agentstats.io.queue_log` (real files
are dirty). It turns one input (a file, a rotated file compressed by logrotate, a FIFO,
a pipe, standard input) into blocks of text lines, in bounded memory, whatever the
bytes are:

- gzip, bzip2 and xz inputs are recognised by their first bytes (not by the name) and
  decompressed while they are read; a truncated or corrupt one is an error naming it;
- CR, LF and CRLF all end a line (old Mac files, files edited on Windows);
- a line that is not valid UTF-8 is read as Latin-1, so that distinct bytes never
  become the same text (two agent names never merge);
- a line longer than :data:`MAX_LINE_BYTES` is replaced by :data:`TOO_LONG` without
  being held in memory;
- an input with no queue_log line in its first :data:`SNIFF_BYTES` (or later, for
  :data:`STRETCH_BYTES` on end) is refused: it is not a queue_log (/dev/zero,
  /dev/urandom, a binary file).

A regular file can be read several times (ordering, alias inference, the import); a
stream is read once, and only its first block is kept so that its first timestamp can
be known before the import reads it.

Every choice here is written for users in docs/queue_log.md ("Reading the bytes").
"""

from __future__ import annotations

import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

__all__ = [
    "LogSource",
    "open_sources",
    "iter_line_blocks",
    "first_epoch",
    "valid_epoch",
    "plain_int",
    "decode_line",
    "TOO_LONG",
    "MAX_LINE_BYTES",
    "SNIFF_BYTES",
    "STRETCH_BYTES",
    "LATEST_EPOCH",
    "STDIN",
]

#: a line longer than this (bytes, without its line end) is counted, never held
MAX_LINE_BYTES = 64 << 10
#: an input whose first 16 MiB hold no queue_log line is refused
SNIFF_BYTES = 16 << 20
#: so is an input that goes on for 256 MiB without one after its first
STRETCH_BYTES = 256 << 20
#: the latest plausible epoch second: 2200-01-01T00:00:00Z (a later one is corrupt;
#: it would also not fit a nanosecond timestamp past 2262)
LATEST_EPOCH = 7_258_118_400
#: an epoch field longer than this many digits is never a time (Asterisk writes %ld)
MAX_EPOCH_DIGITS = 12
#: the name that means standard input
STDIN = "-"
_READ_BYTES = 8 << 20
_FIRST_BYTES = 1 << 20

#: stands for a line longer than MAX_LINE_BYTES (compare with ``is``: no line read from
#: a file is this object)
TOO_LONG = "".join(["<line too long>"])

# A queue_log line somewhere in a block: EPOCH|CALLID|QUEUE|AGENT|VERB (after any NULs
# or blanks), fields without control characters, a verb of capitals. Random bytes match
# this less than once in 10**13 bytes, so /dev/urandom is refused.
_FIELD = rb"[^|\n\x00-\x1f\x7f]*\|"
_QUEUE_LOG_LINE = re.compile(
    rb"(?:^|[\n\x00])[ \t]*[0-9]{1,%d}[ \t]*\|" % MAX_EPOCH_DIGITS + _FIELD * 3 + rb"[A-Z][A-Z_]{2}")

# The same line with no line end before it: a match at the start of a block.
_QUEUE_LOG_LINE_AT = re.compile(rb"[ \t]*[0-9]{1,%d}[ \t]*\|" % MAX_EPOCH_DIGITS + _FIELD * 3 + rb"[A-Z][A-Z_]{2}")


def _seen_after(joined: bytes, at: int) -> bool:
    """The queue_log-line check of LineReader.byte_blocks on the bytes read,
    `joined[at:]` (they hold an LF), after the unfinished line `joined[:at]`: a line
    among them, or one that ends among them."""
    if _QUEUE_LOG_LINE.search(joined, at) or _QUEUE_LOG_LINE_AT.match(joined, at):
        return True
    return at > 0 and _QUEUE_LOG_LINE.search(joined, 0, at + 4096) is not None


#: the unfinished line carried over is read into the next block's bytes while it is at
#: most this long, or at most a block (else it is kept in pieces: linear time for tiny
#: blocks of long lines)
_FAST_HEAD_BYTES = 4096
_READ_END, _READ_CUT = 0, 1     # agentstats._qlog.READ_END, READ_CUT


def _compiled_read_lines() -> Callable[..., Any] | None:
    """agentstats._qlog.read_lines (None without the compiled modules: the general path)."""
    try:
        from .._qlog import read_lines
    except ImportError:     # pragma: no cover - a checkout without the build
        return None
    return read_lines


_MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)


def _error(name: str, message: str):
    from ..hresult import LINEERR_RESOURCEUNAVAIL, tapi_error

    return tapi_error(LINEERR_RESOURCEUNAVAIL, f"{name}: {message}")


def os_error_text(exc: OSError) -> str:
    """An OSError in plain words, with a hint for the usual permission problem."""
    text = exc.strerror or str(exc)
    if isinstance(exc, PermissionError):
        text = (f"{text.lower()}: the file cannot be opened, or a directory on its path cannot "
                f"be searched (check the permissions, e.g. membership of the asterisk group "
                f"for /var/log/asterisk)")
    return text


def valid_epoch(head: str | bytes) -> bool:
    """An epoch field as Asterisk writes it: ASCII digits, at most 12 of them."""
    return 0 < len(head) <= MAX_EPOCH_DIGITS and head.isdigit() and head.isascii()


def plain_int(text: str, most: int) -> int | None:
    """A data field as a whole number: ASCII digits only (``"²"`` and ``"١٢"`` are not
    numbers here, though ``str.isdigit`` says so), at most `most`; else None. For any
    numeric queue_log field (hold times, wrap-up seconds, logged-in seconds), so that
    no field can raise or overflow the int64 event columns."""
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        return None
    value = int(text)
    return value if value <= most else None


class LogSource:
    """One input of a queue_log import: a path, or ``-`` for standard input.

    ``name`` is used in error messages, ``label`` in ``file:line`` locations,
    ``size`` is the byte size of a regular file (None for a stream), ``is_stream``
    says whether it can be read only once (FIFO, pipe, character device, stdin)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.is_stdin = str(path) == STDIN
        self.name = "standard input" if self.is_stdin else str(path)
        self.label = "<stdin>" if self.is_stdin else self.path.name
        if self.is_stdin:
            self.is_stream, self.size = True, None
        else:
            try:
                info = os.stat(self.path)
            except OSError as exc:
                raise _error(self.name, f"cannot read the queue_log ({os_error_text(exc)})") from exc
            if stat.S_ISDIR(info.st_mode):
                raise _error(self.name, "is a directory, not a log file")
            self.is_stream = not stat.S_ISREG(info.st_mode)
            self.size = None if self.is_stream else info.st_size
        self.compression: str | None = None
        self._stream: BinaryIO | None = None     # a stream, once opened
        self._prefix = b""                      # a stream's bytes read ahead (first_epoch)
        self._read_once = False
        self.raw_position = 0                  # bytes of a compressed file read so far

    def __repr__(self) -> str:
        return f"LogSource({self.name!r})"

    # -- opening --------------------------------------------------------------------

    def _open_raw(self) -> BinaryIO:
        if self.is_stdin:
            return sys.stdin.buffer
        try:
            return open(self.path, "rb")
        except OSError as exc:
            raise _error(self.name, f"cannot read the queue_log ({os_error_text(exc)})") from exc

    def _decompressing(self, raw: BinaryIO) -> BinaryIO:
        """`raw`, or a decompressing reader over it (chosen by the first bytes)."""
        try:
            magic = raw.peek(8)[:8] if hasattr(raw, "peek") else b""
        except OSError as exc:
            raise _error(self.name, f"cannot read the queue_log ({os_error_text(exc)})") from exc
        for prefix, kind in _MAGIC:
            if magic.startswith(prefix):
                self.compression = kind
                break
        else:
            return raw
        # (imported here: most logs are plain text)
        if self.compression == "gzip":
            import gzip

            return gzip.GzipFile(fileobj=raw, mode="rb")
        if self.compression == "bzip2":
            import bz2

            return bz2.BZ2File(raw)
        if self.compression == "xz":
            import lzma

            return lzma.LZMAFile(raw)
        raise _error(self.name, f"is compressed with {self.compression}, which agentstats does "
                                f"not read; decompress it first (e.g. zstd -dc FILE | agentstats report -)")

    def _read(self, f: BinaryIO, size: int) -> bytes:
        return self._reading(f.read, size)

    def _reading(self, read: Callable[..., Any], *args: Any) -> Any:
        """``read(*args)``, a read of this input, its errors in plain words."""
        try:
            return read(*args)
        except OSError as exc:
            if self.compression is not None:     # bz2 and gzip raise OSError for bad data too
                raise self._damaged(exc) from exc
            raise _error(self.name, f"cannot read the queue_log ({os_error_text(exc)})") from exc
        except MemoryError:
            raise
        except Exception as exc:                 # EOFError (truncated), zlib.error, lzma.LZMAError
            if self.compression is None:         # pragma: no cover - plain reads raise OSError
                raise
            raise self._damaged(exc) from exc

    def _damaged(self, exc: Exception):
        return _error(self.name, f"the {self.compression} data is truncated or corrupt ({exc}); "
                                 f"nothing was reported")

    def raw_blocks(self, size: int = _READ_BYTES) -> Iterator[bytes]:
        """The (decompressed) bytes of the input, in blocks of about `size` bytes."""
        f, raw, box = self._open_pass()
        try:
            if box:
                yield box.pop()
            # The block is held in `box` only until it is handed out: the generator keeps
            # no reference to it while the reader works on it (one block less in memory).
            box.append(self._read(f, size))
            while box[0]:
                self._note_position(raw)
                yield box.pop()
                box.append(self._read(f, size))
        finally:
            if raw is not None:
                raw.close()

    def _open_pass(self) -> tuple[BinaryIO, BinaryIO | None, list[bytes]]:
        """Start the one pass of a stream, or a new pass of a regular file: the reader
        (decompressing), the file to close at the end (None for a stream) and, in a list,
        a stream's bytes already read ahead by :meth:`head` (to hand out first)."""
        if self.is_stream:
            if self._read_once:
                raise _error(self.name, "a stream (standard input, a pipe) can be read only once")
            self._read_once = True
            f = self._stream if self._stream is not None else self._decompressing(self._open_raw())
            self._stream = None
            box = [self._prefix] if self._prefix else []
            self._prefix = b""
            return f, None, box
        raw = self._open_raw()
        try:
            return self._decompressing(raw), raw, []
        except BaseException:
            raw.close()
            raise

    def _note_position(self, raw: BinaryIO | None) -> None:
        if raw is not None and self.compression is not None:
            self.raw_position = raw.tell()      # progress in the file's own bytes

    def head(self, size: int = _FIRST_BYTES) -> bytes:
        """The first `size` (decompressed) bytes; a stream keeps them for its one read."""
        if not self.is_stream:
            raw = self._open_raw()
            with raw:
                return self._read(self._decompressing(raw), size)
        if self._stream is None and not self._prefix:
            self._stream = self._decompressing(self._open_raw())
            self._prefix = self._read(self._stream, size)
        return self._prefix[:size]


def open_sources(paths: Iterable[str | os.PathLike | LogSource]) -> list[LogSource]:
    """LogSource objects for paths (those already open are kept)."""
    sources = [p if isinstance(p, LogSource) else LogSource(p) for p in paths]
    if sum(source.is_stdin for source in sources) > 1:
        raise ValueError("standard input (-) is given more than once")
    return sources


def first_epoch(source: LogSource) -> int | None:
    """The timestamp of the first valid line among the first 1000 lines (orders rotated
    files)."""
    data = source.head()
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    for raw in data.split(b"\n", 1000)[:1000]:
        text = raw.replace(b"\x00", b"").strip()
        head = text.split(b"|", 1)[0].strip()
        if valid_epoch(head) and text.count(b"|") >= 4:
            value = int(head)
            if value <= LATEST_EPOCH:
                return value
    return None


def _decode(data: bytes) -> list[str]:
    """Lines of a block: UTF-8, or Latin-1 for a line that is not valid UTF-8 (every
    byte then is one character, so distinct bytes stay distinct text). A line longer
    than MAX_LINE_BYTES (as read) is TOO_LONG."""
    try:
        lines = data.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        return [TOO_LONG if len(raw) > MAX_LINE_BYTES else decode_line(raw) for raw in data.split(b"\n")]
    if len(data) > MAX_LINE_BYTES and max(map(len, lines)) * 4 > MAX_LINE_BYTES:
        # a character is at most 4 bytes: only these lines can be too long
        for i, text in enumerate(lines):
            if len(text) * 4 > MAX_LINE_BYTES and len(text.encode("utf-8")) > MAX_LINE_BYTES:
                lines[i] = TOO_LONG
    return lines


def decode_line(raw: bytes) -> str:
    """One line's bytes as text: UTF-8, else Latin-1 (the reading rule of every line)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


class LineReader:
    """Blocks of text lines of one input; ``bytes_read`` counts the bytes (after
    decompression) handed out so far, ``progress`` the bytes of the input itself (for a
    progress bar against the file size). One pass per reader."""

    def __init__(self, source: LogSource, block_bytes: int = _READ_BYTES) -> None:
        self.source = source
        self.block_bytes = max(1, int(block_bytes))
        self.bytes_read = 0

    def __iter__(self) -> Iterator[list[str]]:
        for complete, too_long_after in self.byte_blocks():
            lines = [] if complete is None else _decode(complete)
            complete = None
            if too_long_after:
                lines.append(TOO_LONG)
            yield lines

    def byte_blocks(self) -> Iterator[tuple[bytes | None, bool]]:
        """The blocks of :meth:`__iter__` before decoding: ``(lines, too_long_after)``,
        where `lines` is the block's LF-separated lines as bytes (CR and CRLF already
        LF; None for no line) and `too_long_after` says that one line longer than
        MAX_LINE_BYTES follows them (it is not held)."""
        source = self.source
        size = self.block_bytes
        read_lines = _compiled_read_lines()
        rest_parts: list[bytes] = []    # the start of a line not ended yet, in pieces
        rest_bytes = 0
        cr_pending = False       # the last block ended in CR: a CRLF may be cut in two
        skipping = False         # inside a line too long to hold: drop up to its end
        last_line_at = None      # bytes read when a queue_log line was last seen
        f, raw, box = source._open_pass()
        try:
            readinto = getattr(f, "readinto", None)
            while True:
                # The usual block (the previous one ended in LF, or in a line shorter than a
                # block): read after the unfinished line and cut in compiled code, one copy
                # of each byte. Anything else takes the general path below, on the bytes read.
                if (read_lines is not None and readinto is not None and not box and not cr_pending
                        and not skipping and rest_bytes <= max(size, _FAST_HEAD_BYTES)):
                    head = rest_parts[0] if len(rest_parts) == 1 else b"".join(rest_parts)
                    status, n, block, tail, seen = source._reading(read_lines, readinto, head, size,
                                                                   _seen_after)
                    if status == _READ_END:
                        break
                    source._note_position(raw)
                    if status == _READ_CUT:
                        self.bytes_read += n
                        if seen:
                            last_line_at = self.bytes_read
                        self._check_stretch(last_line_at)
                        too_long_after = len(tail) > MAX_LINE_BYTES
                        if too_long_after:
                            tail, skipping = b"", True
                        rest_parts, rest_bytes = ([tail], len(tail)) if tail else ([], 0)
                        tail = b""
                        box.append(block)       # not held here while the lines are worked on
                        block = b""
                        yield box.pop(), too_long_after
                        continue
                    data = block[len(head):]
                    block = head = b""
                elif box:
                    data = box.pop()            # a stream's bytes read ahead
                else:
                    data = source._read(f, size)
                    if not data:
                        break
                    source._note_position(raw)
                self.bytes_read += len(data)
                if cr_pending:
                    data = b"\r" + data
                    cr_pending = False
                if b"\r" in data:
                    if data.endswith(b"\r"):
                        data = data[:-1]
                        cr_pending = True
                    data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
                # A queue_log line in this block (or ending in it: the rest carried over)?
                # (The rest is looked at once its line ends here, so that tiny blocks of one
                # long line cost linear time.)
                if _QUEUE_LOG_LINE.search(data) or (
                        rest_parts and b"\n" in data and _QUEUE_LOG_LINE.search(b"".join(rest_parts) + data[:4096])):
                    last_line_at = self.bytes_read
                self._check_stretch(last_line_at)
                if skipping:
                    end = data.find(b"\n")
                    if end < 0:
                        continue
                    data = data[end + 1:]
                    skipping = False
                cut = data.rfind(b"\n")
                if cut < 0:
                    rest_parts.append(data)
                    rest_bytes += len(data)
                    if rest_bytes > MAX_LINE_BYTES:
                        yield None, True
                        rest_parts, rest_bytes, skipping = [], 0, True
                    continue
                if rest_parts:
                    cut += rest_bytes
                    rest_parts.append(data)
                    data = b"".join(rest_parts)
                    rest_parts, rest_bytes = [], 0
                rest = data[cut + 1:]
                complete = data[:cut]
                data = b""              # not held while the lines are worked on
                too_long_after = len(rest) > MAX_LINE_BYTES
                if too_long_after:
                    rest, skipping = b"", True
                if rest:
                    rest_parts, rest_bytes = [rest], len(rest)
                rest = b""
                box.append(complete)    # not held here while the lines are worked on
                complete = b""
                yield box.pop(), too_long_after
        finally:
            if raw is not None:
                raw.close()
        rest = b"".join(rest_parts)
        if cr_pending:       # the input ended with CR: a line end
            if not skipping:
                yield rest, False
            return
        if rest and not skipping:
            yield rest, False

    def feed_lines(self, feed: Callable[[memoryview], Any]) -> bool:
        """The lines of :meth:`byte_blocks`, handed to `feed` block by block as views of
        one buffer that is read into again for the next block (`feed` keeps nothing of
        a view): no new memory per block. For a reader that only looks at the lines (the
        alias pass). Returns False, at the first CR, before its block is fed: CR line ends
        need :meth:`byte_blocks` (the caller reads the input again that way; so does an
        input without ``readinto``)."""
        source = self.source
        size = self.block_bytes
        f, raw, box = source._open_pass()
        try:
            readinto = getattr(f, "readinto", None)
            if box or readinto is None:      # pragma: no cover - a stream's bytes read ahead
                return False
            buffer = bytearray(MAX_LINE_BYTES + size)
            view = memoryview(buffer)
            held = 0             # buffer[:held]: the start of a line not ended yet
            skipping = False     # inside a line too long to hold: drop up to its end
            last_line_at = None  # bytes read when a queue_log line was last seen
            while True:
                n = source._reading(readinto, view[held:held + size]) or 0
                if n <= 0:
                    break
                source._note_position(raw)
                end = held + n
                self.bytes_read += n
                if buffer.find(b"\r", held, end) >= 0:
                    return False
                # (the queue_log-line check of byte_blocks, on the same bytes)
                if buffer.find(b"\n", held, end) >= 0:
                    seen = _seen_after(view[:end], held)
                else:
                    seen = _QUEUE_LOG_LINE.search(view[held:end]) is not None
                if seen:
                    last_line_at = self.bytes_read
                self._check_stretch(last_line_at)
                start = 0
                if skipping:
                    start = buffer.find(b"\n", 0, end) + 1
                    if not start:
                        continue
                    skipping = False
                cut = buffer.rfind(b"\n", start, end)
                if cut < 0:
                    cut = start - 1          # no line ends here: all of it carried over
                elif cut > start:
                    feed(view[start:cut])
                held = end - cut - 1
                if held > MAX_LINE_BYTES:
                    held, skipping = 0, True
                elif held:
                    buffer[:held] = bytes(view[cut + 1:end])
            if held and not skipping:
                feed(view[:held])
            return True
        finally:
            if raw is not None:
                raw.close()

    @property
    def progress(self) -> int:
        if self.source.compression is not None and not self.source.is_stream:
            return self.source.raw_position
        return self.bytes_read

    def _check_stretch(self, last_line_at: int | None) -> None:
        if last_line_at is None:
            if self.bytes_read > SNIFF_BYTES:
                raise _error(self.source.name, f"no queue_log line in the first {SNIFF_BYTES >> 20} MiB: "
                                               f"this does not look like a queue_log (lines are "
                                               f"EPOCH|CALLID|QUEUE|AGENT|EVENT|...)")
        elif self.bytes_read - last_line_at > STRETCH_BYTES:
            raise _error(self.source.name, f"no queue_log line in {STRETCH_BYTES >> 20} MiB after "
                                           f"byte {last_line_at:,}: the rest does not look like a "
                                           f"queue_log")


def iter_line_blocks(source: LogSource, block_bytes: int = _READ_BYTES) -> Iterator[list[str]]:
    """Lists of lines (text without the line end), in input order."""
    return iter(LineReader(source, block_bytes))


def read_ahead(items: Iterable[Any], depth: int = 1) -> Iterator[Any]:
    """The items of `items`, made on a worker thread up to `depth` ahead of the caller
    (for blocks: the next block is read while the caller works on this one, which pays
    when the caller's work runs without the GIL). Errors are raised in the caller's
    thread, in order; leaving the loop early stops the worker."""
    import threading
    from collections import deque

    cond = threading.Condition()
    ready: deque = deque()
    state = {"done": False, "stop": False, "error": None}

    def work() -> None:
        try:
            for item in items:
                with cond:
                    while len(ready) >= depth and not state["stop"]:
                        cond.wait()
                    if state["stop"]:
                        return
                    ready.append(item)
                    cond.notify_all()
                item = None             # not held here while the caller works on it
        except BaseException as exc:     # handed to the caller's thread
            with cond:
                state["error"] = exc
        finally:
            with cond:
                state["done"] = True
                cond.notify_all()

    worker = threading.Thread(target=work, name="agentstats-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            with cond:
                while not ready and not state["done"]:
                    cond.wait()
                if not ready:
                    if state["error"] is not None:
                        raise state["error"]
                    return
                item = ready.popleft()
                cond.notify_all()
            yield item
            item = None
    finally:
        with cond:
            state["stop"] = True
            cond.notify_all()
        worker.join()
