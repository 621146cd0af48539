"""Byte-level text rules shared by the compiled queue_log reader (the line stage and
the alias inference): both must judge a line's bytes exactly alike."""

from libc.stdint cimport int64_t, uint8_t, uint64_t
from libc.string cimport memcpy


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


# -- word-at-a-time scans (8 bytes per step) --------------------------------------------

cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define agentstats_ctz64(x) __builtin_ctzll(x)
    #else
    static int agentstats_ctz64(unsigned long long x) { int n = 0; while (!(x & 1)) { x >>= 1; n++; } return n; }
    #endif
    #if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    #define AGENTSTATS_LITTLE_ENDIAN 1
    #else
    #define AGENTSTATS_LITTLE_ENDIAN 0
    #endif
    #if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
    #include <emmintrin.h>
    #include <stdint.h>
    #define AGENTSTATS_SSE2 1
    /* The '|' of p[:n] 16 bytes a step, up to the last whole 16 bytes; returns how far
       it looked (the caller goes on from there) and adds the bars found to bars/found. */
    static inline int64_t agentstats_bars16(const uint8_t* p, int64_t n, int64_t* bars,
                                            int* found, int most) {
        const __m128i bar = _mm_set1_epi8('|');
        int64_t i = 0;
        while (i + 16 <= n) {
            unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i*)(p + i)), bar));
            while (m) {
                bars[(*found)++] = i + __builtin_ctz(m);
                if (*found == most) return n;
                m &= m - 1;
            }
            i += 16;
        }
        return i;
    }
    #else
    #define AGENTSTATS_SSE2 0
    #include <stdint.h>
    static inline int64_t agentstats_bars16(const uint8_t* p, int64_t n, int64_t* bars,
                                            int* found, int most) { return 0; }
    #endif
    """
    int agentstats_ctz64(uint64_t x) noexcept nogil
    bint AGENTSTATS_LITTLE_ENDIAN
    bint AGENTSTATS_SSE2
    int64_t agentstats_bars16(const uint8_t* p, int64_t n, int64_t* bars, int* found, int most) noexcept nogil


cdef inline uint64_t _zero_bytes(uint64_t w) noexcept nogil:
    """0x80 in each byte of w that is 0, else 0 (exact: no carry crosses a byte)."""
    cdef uint64_t low7 = 0x7F7F7F7F7F7F7F7FULL
    return ~(((w & low7) + low7) | w | low7)


cdef inline bint plain_ascii(const uint8_t* p, int64_t n) noexcept nogil:
    """No NUL and no byte >= 0x80 in p[:n]."""
    cdef int64_t i = 0
    cdef uint64_t w
    while i + 8 <= n:
        memcpy(&w, p + i, 8)
        if (w & 0x8080808080808080ULL) | _zero_bytes(w):
            return False
        i += 8
    while i < n:
        if p[i] == 0 or p[i] >= 0x80:
            return False
        i += 1
    return True


cdef inline int find_bars(const uint8_t* p, int64_t n, int64_t* bars, int most) noexcept nogil:
    """The offsets of the first `most` '|' of p[:n] (most >= 1); returns how many
    there are."""
    cdef int found = 0
    cdef int64_t i = 0
    cdef uint64_t w, z
    if AGENTSTATS_SSE2:
        i = agentstats_bars16(p, n, bars, &found, most)
        if found == most:
            return found
    if AGENTSTATS_LITTLE_ENDIAN:
        while i + 8 <= n:
            memcpy(&w, p + i, 8)
            z = _zero_bytes(w ^ 0x7C7C7C7C7C7C7C7CULL)      # '|' bytes
            while z:
                bars[found] = i + (agentstats_ctz64(z) >> 3)
                found += 1
                if found == most:
                    return found
                z &= z - 1
            i += 8
    while i < n:
        if p[i] == 124:
            bars[found] = i
            found += 1
            if found == most:
                return found
        i += 1
    return found


cdef inline uint64_t _name_hash_end(uint64_t h) noexcept nogil:
    """The last mixing steps of name_hash (name_hash_in's too: the same value)."""
    h ^= h >> 33
    h *= 0xC4CEB9FE1A85EC53ULL
    return h ^ (h >> 29)


cdef inline uint64_t name_hash(const uint8_t* p, int64_t n) noexcept nogil:
    """The hash of a name's bytes, eight bytes at a time (names are short), then a final
    mix so that the low bits (a table index) depend on every byte. The line stage's name
    tables and the call side's own callid table both use it."""
    cdef uint64_t h = 0x9E3779B97F4A7C15ULL ^ <uint64_t>n, word
    cdef int64_t i = 0
    while i + 8 <= n:
        memcpy(&word, p + i, 8)
        h = (h ^ word) * 0xFF51AFD7ED558CCDULL
        h ^= h >> 32
        i += 8
    if i < n and n >= 8 and AGENTSTATS_LITTLE_ENDIAN:
        # the tail as the last 8 bytes of the name shifted down: the same value as the
        # byte loop below, in one load
        memcpy(&word, p + n - 8, 8)
        word >>= 8 * (8 - (n - i))
        h = (h ^ word) * 0xFF51AFD7ED558CCDULL
    elif i < n:
        # the tail byte by byte (a memcpy of a variable length into `word` stalls the
        # load that follows it); the same value as that memcpy on a little-endian machine
        word = 0
        while n > i:
            n -= 1
            word = (word << 8) | p[n]
        h = (h ^ word) * 0xFF51AFD7ED558CCDULL
    return _name_hash_end(h)


cdef inline uint64_t name_hash_in(const uint8_t* p, int64_t n, const uint8_t* end) noexcept nogil:
    """name_hash(p, n) of a name that lies in a buffer ending at `end`: a name shorter
    than 8 bytes is read in one load (masked to its bytes) when the 8 bytes from p are
    inside the buffer, instead of byte by byte; the same value either way."""
    cdef uint64_t h, word
    if 0 < n < 8 and AGENTSTATS_LITTLE_ENDIAN and p + 8 <= end:
        memcpy(&word, p, 8)
        word &= 0xFFFFFFFFFFFFFFFFULL >> (8 * (8 - n))
        h = ((0x9E3779B97F4A7C15ULL ^ <uint64_t>n) ^ word) * 0xFF51AFD7ED558CCDULL
        return _name_hash_end(h)
    return name_hash(p, n)
