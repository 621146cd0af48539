"""Byte-level text rules shared by the compiled queue_log reader (the line stage and
the alias inference): both must judge a line's bytes exactly alike."""

from libc.stdint cimport int64_t, uint8_t


cdef inline bint has_wide(const uint8_t* p, int64_t n) noexcept nogil:
    """Any byte >= 0x80 (the line is not plain ASCII)."""
    cdef int64_t i
    cdef uint8_t bits = 0
    for i in range(n):
        bits |= p[i]
    return bits >= 0x80


cdef inline bint valid_utf8(const uint8_t* p, int64_t n) noexcept nogil:
    """Python's strict UTF-8 decoder says yes (no overlong forms, no surrogates, at most
    U+10FFFF)."""
    cdef int64_t i = 0
    cdef uint8_t c, lo, hi
    cdef int more, k
    while i < n:
        c = p[i]
        if c < 0x80:
            i += 1
            continue
        lo, hi = 0x80, 0xBF
        if 0xC2 <= c <= 0xDF:
            more = 1
        elif c == 0xE0:
            more, lo = 2, 0xA0
        elif c == 0xED:
            more, hi = 2, 0x9F
        elif 0xE1 <= c <= 0xEF:
            more = 2
        elif c == 0xF0:
            more, lo = 3, 0x90
        elif c == 0xF4:
            more, hi = 3, 0x8F
        elif 0xF1 <= c <= 0xF3:
            more = 3
        else:
            return False
        if i + more >= n:
            return False                 # cut short
        if not (lo <= p[i + 1] <= hi):
            return False
        for k in range(2, more + 1):
            if not (0x80 <= p[i + k] <= 0xBF):
                return False
        i += more + 1
    return True
