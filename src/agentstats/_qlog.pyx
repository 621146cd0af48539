"""The per-line tokenizer of the queue_log importer (SPEC 6.5 line accounting).

One block of complete lines (LF-separated bytes: the reading layer has already turned
CR and CRLF into LF) in; per line, caller-allocated arrays out: the epoch, a reason
code, the start/end offsets of the line's record (after NUL handling) and its NUL
byte count. The importer then builds its (epoch, where, text) items only for the
candidate lines, and keeps its time-order logic in Python.

The rules are those of the Python loop in QueueLogImporter (the slow twin, compared
in tests/test_qlog_tokenizer.py). A line with a byte >= 0x80 whose verdict depends on
how it decodes (Unicode spaces and digits, NULs with a decoding chosen by the whole
line) is reason SLOW: the importer decides it in Python, by the same rules.
"""

from libc.stdint cimport int64_t, uint8_t
from libc.string cimport memchr

from ._text cimport find_bars, plain_ascii

cdef enum:
    R_CANDIDATE = 0        # a line the time-order logic looks at (its epoch is set)
    R_BLANK = 1
    R_NUL_GARBAGE = 2
    R_MALFORMED = 3
    R_BAD_EPOCH = 4
    R_LINE_TOO_LONG = 5
    R_SLOW = 6             # a non-ASCII line the importer decides in Python
    R_NO_EPOCH = -1        # the epoch of a line that has none

CANDIDATE = R_CANDIDATE
BLANK = R_BLANK
NUL_GARBAGE = R_NUL_GARBAGE
MALFORMED = R_MALFORMED
BAD_EPOCH = R_BAD_EPOCH
LINE_TOO_LONG = R_LINE_TOO_LONG
SLOW = R_SLOW
NO_EPOCH = R_NO_EPOCH

cdef int64_t MAX_EPOCH_DIGITS = 12


cdef inline bint _is_space(uint8_t c) noexcept nogil:
    # str.isspace on an ASCII character: \t \n \v \f \r, \x1c-\x1f and the space
    return c == 32 or (9 <= c <= 13) or (28 <= c <= 31)


cdef inline bint _is_digit(uint8_t c) noexcept nogil:
    return 48 <= c <= 57


cdef enum:
    # what _one_line learnt of the line's bytes (tokenize_block's `ascii_out` answer)
    L_ASCII = 0            # no byte >= 0x80
    L_WIDE = 1             # a byte >= 0x80
    L_UNREAD = 2           # not looked at (a line too long)


cdef int _one_line(const uint8_t* data, int64_t lo, int64_t hi, int64_t max_line_bytes,
                   int64_t* epoch_out, uint8_t* reason_out, int64_t* start_out,
                   int64_t* end_out, int64_t* nul_out) noexcept nogil:
    cdef int64_t i, s, e, nuls = 0, bars, bar = -1, h0, h1, value
    cdef int64_t first_bars[4]
    cdef bint wide = False, digits
    epoch_out[0] = R_NO_EPOCH
    start_out[0] = lo
    end_out[0] = hi
    nul_out[0] = 0
    if hi - lo > max_line_bytes:
        reason_out[0] = R_LINE_TOO_LONG          # replaced before any NUL is looked at
        return L_UNREAD
    if not plain_ascii(data + lo, hi - lo):
        for i in range(lo, hi):
            if data[i] == 0:
                nuls += 1
            elif data[i] >= 128:
                wide = True
    s, e = lo, hi
    if nuls:
        nul_out[0] = nuls
        # choice (as in Python): the record after the last NUL run is the line's record
        while e > lo and data[e - 1] == 0:
            e -= 1
        s = e
        while s > lo and data[s - 1] != 0:
            s -= 1
        if wide:
            nul_out[0] = 0                     # the importer counts this line itself
            reason_out[0] = R_SLOW               # decoded by the whole line's bytes
            return L_WIDE if wide else L_ASCII
        start_out[0] = s
        end_out[0] = e
        i = s
        while i < e and _is_space(data[i]):
            i += 1
        if i == e:
            reason_out[0] = R_NUL_GARBAGE
            return L_WIDE if wide else L_ASCII
    # the first '|' and whether there are 4 of them (all that is read of the bars)
    bars = find_bars(data + s, e - s, first_bars, 4)
    if bars:
        bar = first_bars[0]
    # the epoch field: before the first '|' (the whole record when there is none or
    # it is the first character)
    h0 = s
    h1 = s + bar if bar > 0 else e
    if wide:
        # only the plain case is decided here: ASCII digits, then '|', 4 of them
        if bar <= 0 or bar > MAX_EPOCH_DIGITS or bars < 4:
            reason_out[0] = R_SLOW
            return L_WIDE if wide else L_ASCII
        for i in range(h0, h1):
            if not _is_digit(data[i]):
                reason_out[0] = R_SLOW
                return L_WIDE if wide else L_ASCII
    else:
        while h0 < h1 and _is_space(data[h0]):
            h0 += 1
        while h1 > h0 and _is_space(data[h1 - 1]):
            h1 -= 1
        digits = True
        for i in range(h0, h1):
            if not _is_digit(data[i]):
                digits = False
                break
        if not digits or h1 == h0 or bar < 0:
            # no epoch field: blank, or not a queue_log line
            reason_out[0] = _blank_or_malformed(data, s, e)
            return L_WIDE if wide else L_ASCII
        if h1 - h0 > MAX_EPOCH_DIGITS:
            reason_out[0] = R_BAD_EPOCH          # digits, too many of them
            return L_WIDE if wide else L_ASCII
        if bars < 4:
            reason_out[0] = R_MALFORMED
            return L_WIDE if wide else L_ASCII
    value = 0
    for i in range(h0, h1):
        value = value * 10 + (data[i] - 48)
    epoch_out[0] = value
    reason_out[0] = R_CANDIDATE
    return L_WIDE if wide else L_ASCII


cdef inline bint _all_space(const uint8_t* data, int64_t s, int64_t e) noexcept nogil:
    cdef int64_t i
    for i in range(s, e):
        if not _is_space(data[i]):
            return False
    return True


cdef inline uint8_t _blank_or_malformed(const uint8_t* data, int64_t s, int64_t e) noexcept nogil:
    return R_BLANK if _all_space(data, s, e) else R_MALFORMED


def tokenize_block(const uint8_t[::1] data, int64_t max_line_bytes,
                   int64_t[::1] epoch, uint8_t[::1] reason, int64_t[::1] start,
                   int64_t[::1] end, int64_t[::1] nul_bytes, uint8_t[::1] ascii_out=None) -> int:
    """Fill the per-line arrays for the LF-separated lines of `data` (as many lines as
    ``data.count(b"\\n") + 1``); returns that number, or -1 if the arrays are too short.
    `ascii_out[0]`, when given, is set to 1 if `data` has no byte >= 0x80 (``data.isascii()``),
    0 if it has one, 2 if a line too long to read left it unknown (the lines' own scans
    answer it: no second pass over the block)."""
    cdef int64_t n = data.shape[0]
    cdef int64_t lo = 0, hi, line = 0
    cdef int seen = L_ASCII, kind
    cdef int64_t room = min(epoch.shape[0], reason.shape[0], start.shape[0], end.shape[0],
                            nul_bytes.shape[0])
    cdef const uint8_t* base
    cdef const void* found
    if n == 0:
        if room < 1:
            return -1
        epoch[0] = R_NO_EPOCH
        reason[0] = R_BLANK
        start[0] = 0
        end[0] = 0
        nul_bytes[0] = 0
        if ascii_out is not None and ascii_out.shape[0]:
            ascii_out[0] = 1
        return 1
    base = &data[0]
    with nogil:
        while True:
            found = memchr(base + lo, 10, <size_t>(n - lo))
            hi = n if found == NULL else <int64_t>(<const uint8_t*>found - base)
            if line >= room:
                line = -1
                break
            kind = _one_line(base, lo, hi, max_line_bytes, &epoch[line], &reason[line],
                             &start[line], &end[line], &nul_bytes[line])
            if kind == L_WIDE or (kind == L_UNREAD and seen == L_ASCII):
                seen = kind
            line += 1
            if found == NULL:
                break
            lo = hi + 1
    if ascii_out is not None and ascii_out.shape[0] and line >= 0:
        ascii_out[0] = 1 if seen == L_ASCII else (0 if seen == L_WIDE else 2)
    return line



# -- the reading layer's block read (io/lines.py, LineReader.byte_blocks) ---------------

from cpython.buffer cimport PyBUF_WRITE
from cpython.memoryview cimport PyMemoryView_FromMemory
from cpython.object cimport PyObject
from cpython.ref cimport Py_DECREF
from libc.string cimport memcpy

cdef extern from "Python.h":
    # (declared without Cython's reference counting: the new block is resized in place
    # while this function holds its only reference, as CPython's own reads do)
    PyObject* _new_bytes "PyBytes_FromStringAndSize"(const char* v, Py_ssize_t n)
    char* _bytes_data "PyBytes_AS_STRING"(PyObject* b) nogil
    int _PyBytes_Resize(PyObject** b, Py_ssize_t n) except -1
    Py_ssize_t _references "Py_REFCNT"(PyObject* o)

cdef extern from "string.h":
    const void* memrchr(const void* s, int c, size_t n) nogil

READ_END = 0          # nothing more was read
READ_CUT = 1          # the block holds complete lines; the tail is the start of the next
READ_NO_LINE_END = 2  # no LF among the bytes read: the block is the head and those bytes
READ_CR = 3           # a CR among the bytes read: the block is the head and those bytes


def read_lines(readinto, bytes head, Py_ssize_t size, seen):
    """Read up to `size` bytes with `readinto` (a binary file's readinto) straight after
    `head`, in one new bytes object, and cut it after its last line end: the read, the
    join with the previous block's unfinished line and the cut cost one copy of each byte
    instead of three. Returns ``(status, bytes read, block, tail, seen)``:

    - READ_CUT: `block` is `head` and the bytes read up to (without) their last LF, `tail`
      the bytes after it, `seen` the answer of ``seen(joined, len(head))`` on the joined
      bytes before the cut;
    - READ_NO_LINE_END, READ_CR (no LF, or a CR among the bytes read): `block` is `head`
      and the bytes read, `tail` None, `seen` not asked (the caller's general path);
    - READ_END: nothing was read; `block` and `tail` are None.

    `seen` is called with the joined bytes: if it keeps them, the cut is a copy."""
    cdef Py_ssize_t at = len(head), n, last
    cdef PyObject* raw
    cdef char* p
    cdef const void* found
    if size < 1:
        raise ValueError("size must be >= 1")
    raw = _new_bytes(NULL, at + size)
    if raw == NULL:
        raise MemoryError()
    try:
        p = _bytes_data(raw)
        if at:
            memcpy(p, <const char*>head, at)
        view = PyMemoryView_FromMemory(p + at, size, PyBUF_WRITE)
        try:
            got = readinto(view)
        finally:
            view.release()      # (a view the reader kept cannot write into the block later)
            del view
        n = 0 if got is None else got
        if n <= 0:
            return READ_END, 0, None, None, False
        if n > size:  # pragma: no cover - not a readinto
            raise ValueError("readinto returned more bytes than asked for")
        if n < size:
            _PyBytes_Resize(&raw, at + n)      # (frees raw and sets it NULL on failure)
            p = _bytes_data(raw)
        with nogil:
            found = memchr(p + at, 13, <size_t>n)
        if found != NULL:
            return READ_CR, n, <object>raw, None, False
        with nogil:
            found = memchr(p + at, 10, <size_t>n)
        if found == NULL:
            return READ_NO_LINE_END, n, <object>raw, None, False
        with nogil:
            last = <Py_ssize_t>(<const char*>memrchr(p + at, 10, <size_t>n) - p)
        matched = bool(seen(<object>raw, at))
        tail = p[last + 1:at + n]
        if _references(raw) != 1:
            return READ_CUT, n, p[:last], tail, matched
        _PyBytes_Resize(&raw, last)
        return READ_CUT, n, <object>raw, tail, matched
    finally:
        if raw != NULL:
            Py_DECREF(<object>raw)
