"""Typed loops of the agent timeline (SPEC 7): one pass over a log ordered by time
within each agent, carrying a small state per session and per agent.

Everything that validates, converts dtypes, sorts or allocates the state arrays lives
in agents.py; these functions take contiguous, normalised arrays, update the caller's
state arrays and return a status with the per-interval and per-reason rows produced.

Conventions (SPEC 1): times are int64 ticks, INT64_MIN meaning missing; states are
uint8, anything above SESSION_ENDED is invalid; sessions and agents are dense codes.

At every row the agent's clock first moves to the row's time: the time since its last
row is added to the agent state in force (SPEC 7.1: on call > wrap-up > ready > not
ready, from the counts of its open sessions in each state), split at interval edges
(SPEC 7.3) and, for not-ready time, booked to the pause reason in force. Then the row
is classified exactly like the session kernel does (SPEC 3 buckets) and, when used,
applied to its session and to the agent's counts.

On several threads each thread owns a range of agent codes (and so their sessions):
for each block of rows it first lists the block's rows of its agents, then applies
them, so every agent sees its rows in input order exactly as on one thread, and no
thread skips the others' rows with a branch per row (measured slower than one thread).
"""

from libc.stdint cimport (INT32_MAX, INT64_MAX, INT64_MIN, int16_t, int32_t, int64_t, uint8_t,
                          uint64_t, uintptr_t)
from libc.stdlib cimport free, realloc
from libc.string cimport memcpy

from cython.parallel cimport parallel, prange

import numpy as np

from ._timeline cimport TimelineAgent, TimelineSession, TimelineSessionCold
from ._types cimport BUSY_ON_CALL, BUSY_WRAPUP, NOT_READY, READY, SESSION_ENDED, UNSEEN

cdef extern from *:
    """
    #include <stdint.h>
    #include <time.h>
    #include <string.h>
    #ifdef _OPENMP
    #define AGENTSTATS_TIMELINE_OPENMP 1
    #else
    #define AGENTSTATS_TIMELINE_OPENMP 0
    #endif
    static inline double agentstats_timeline_now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
    }
    /* A session's first row claims it for its agent: -1 when the claim is this one's,
       else the agent that already holds it (atomic: threads may race for a session
       whose rows name agents of two threads, a bad input that must be reported). */
    static inline int32_t agentstats_timeline_claim(int32_t *owner, int32_t agent) {
        return __sync_val_compare_and_swap(owner, (int32_t)-1, agent);
    }
    /* Bit k set when the count n[k] (0..32767) is not 0, k < 4. Little-endian: the four
       counts are one 8-byte word of 16-bit lanes; adding 0x7fff to a lane sets its top
       bit exactly when the lane is not 0 (no carry leaves a lane), and one multiplication
       moves the top bits (at 0, 16, 32, 48 after the shift) to bits 48-51 (x 2^48, 2^33,
       2^18, 2^3: every other product lands on a distinct bit below 48 or beyond 63, so
       nothing carries into them). */
    static inline unsigned agentstats_timeline_nonzero4(const int16_t *n) {
    #if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        uint64_t w;
        memcpy(&w, n, 8);
        w = ((w + 0x7fff7fff7fff7fffULL) & 0x8000800080008000ULL) >> 15;
        return (unsigned)((w * 0x0001000200040008ULL) >> 48) & 15u;
    #else
        return (n[0] > 0) | ((n[1] > 0) << 1) | ((n[2] > 0) << 2) | ((n[3] > 0) << 3);
    #endif
    }
    /* Prefetch record `index` of an array (any index: the address is integer
       arithmetic, and a prefetch of an address outside the array is harmless). */
    static inline void agentstats_timeline_prefetch_record(const void *base, int64_t index,
                                                           size_t size) {
        __builtin_prefetch((const void *)((uintptr_t)base + (uintptr_t)index * (uintptr_t)size));
    }
    /* min and max of two int64 columns a[lo:hi], b[lo:hi] in one pass (the session and
       agent keys of a chunk: one read of each instead of a pass per column). A scalar
       min/max is a chain of compares and moves slower than memory (measured ~2x a NumPy
       sum), and the baseline x86-64 build has no 64-bit vector compare: on a CPU with
       AVX2 (checked at run time) the pass uses 4-lane vectors, else four scalar chains. */
    typedef int64_t agentstats_v4i64 __attribute__((vector_size(32)));
    static inline void agentstats_ranges_scalar(const int64_t *a, const int64_t *b, int64_t lo,
                                                int64_t hi, int64_t *out) {
        int64_t alo = a[lo], ahi = a[lo], blo = b[lo], bhi = b[lo];
        int64_t alo1 = alo, ahi1 = ahi, blo1 = blo, bhi1 = bhi;
        int64_t i = lo;
        for (; i + 2 <= hi; i += 2) {
            alo = a[i] < alo ? a[i] : alo;  ahi = a[i] > ahi ? a[i] : ahi;
            blo = b[i] < blo ? b[i] : blo;  bhi = b[i] > bhi ? b[i] : bhi;
            alo1 = a[i + 1] < alo1 ? a[i + 1] : alo1;  ahi1 = a[i + 1] > ahi1 ? a[i + 1] : ahi1;
            blo1 = b[i + 1] < blo1 ? b[i + 1] : blo1;  bhi1 = b[i + 1] > bhi1 ? b[i + 1] : bhi1;
        }
        for (; i < hi; i++) {
            alo = a[i] < alo ? a[i] : alo;  ahi = a[i] > ahi ? a[i] : ahi;
            blo = b[i] < blo ? b[i] : blo;  bhi = b[i] > bhi ? b[i] : bhi;
        }
        out[0] = alo < alo1 ? alo : alo1;  out[1] = ahi > ahi1 ? ahi : ahi1;
        out[2] = blo < blo1 ? blo : blo1;  out[3] = bhi > bhi1 ? bhi : bhi1;
    }
    #if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
    #define AGENTSTATS_TIMELINE_AVX2 1
    __attribute__((target("avx2")))
    static void agentstats_ranges_avx2(const int64_t *a, const int64_t *b, int64_t lo,
                                       int64_t hi, int64_t *out) {
        int64_t i = lo, k;
        if (hi - lo < 8) { agentstats_ranges_scalar(a, b, lo, hi, out); return; }
        agentstats_v4i64 x, y, m, alo, ahi, blo, bhi;
        memcpy(&alo, a + lo, 32); ahi = alo;
        memcpy(&blo, b + lo, 32); bhi = blo;
        for (i = lo + 4; i + 4 <= hi; i += 4) {
            memcpy(&x, a + i, 32);
            memcpy(&y, b + i, 32);
            m = x < alo; alo = (x & m) | (alo & ~m);
            m = x > ahi; ahi = (x & m) | (ahi & ~m);
            m = y < blo; blo = (y & m) | (blo & ~m);
            m = y > bhi; bhi = (y & m) | (bhi & ~m);
        }
        out[0] = alo[0]; out[1] = ahi[0]; out[2] = blo[0]; out[3] = bhi[0];
        for (k = 1; k < 4; k++) {
            if (alo[k] < out[0]) out[0] = alo[k];
            if (ahi[k] > out[1]) out[1] = ahi[k];
            if (blo[k] < out[2]) out[2] = blo[k];
            if (bhi[k] > out[3]) out[3] = bhi[k];
        }
        for (; i < hi; i++) {   /* the last 0-3 rows */
            if (a[i] < out[0]) out[0] = a[i];
            if (a[i] > out[1]) out[1] = a[i];
            if (b[i] < out[2]) out[2] = b[i];
            if (b[i] > out[3]) out[3] = b[i];
        }
    }
    /* A thread's rows of a block (see _scan_rows): the offsets i - base of the rows
       base..end-1 whose code x = (uint64)(keys[i] - lo) has ((x - from) < count) != invert
       (unsigned), into picked, which has room for end - base entries; returns their
       number. Eight rows per step: two 4-lane compares give an 8-bit mask, whose table
       row moves the picked offsets to the front of one 8-lane store; the next store
       starts where the picked ones end (so a store may write up to 7 entries past them,
       within the end - base that the block has). The scalar loop costs ~15 instructions
       a row, and each of two threads lists every row of the block. */
    #include <immintrin.h>
    static int32_t agentstats_pick_table[256][8];
    static void agentstats_pick_init(void) {
        int mask, bit, k;
        for (mask = 0; mask < 256; mask++) {
            for (k = 0; k < 8; k++) agentstats_pick_table[mask][k] = 0;
            for (bit = 0, k = 0; bit < 8; bit++)
                if (mask >> bit & 1) agentstats_pick_table[mask][k++] = bit;
        }
    }
    __attribute__((target("avx2,popcnt")))
    static int64_t agentstats_pick_rows_avx2(const int64_t *keys, int64_t base, int64_t end,
                                             int64_t lo, uint64_t from, uint64_t count,
                                             int invert, int32_t *picked) {
        const __m256i sign = _mm256_set1_epi64x(INT64_MIN);
        const __m256i shift = _mm256_set1_epi64x((int64_t)((uint64_t)lo + from));
        /* u < count (unsigned) is (u ^ sign) < (count ^ sign) (signed) */
        const __m256i limit = _mm256_set1_epi64x((int64_t)(count ^ 0x8000000000000000ULL));
        const __m256i eight = _mm256_set1_epi32(8);
        __m256i offsets = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        const unsigned flip = invert ? 0xffu : 0u;
        int64_t m = 0, i = base;
        for (; i + 8 <= end; i += 8) {
            __m256i a = _mm256_loadu_si256((const __m256i *)(keys + i));
            __m256i b = _mm256_loadu_si256((const __m256i *)(keys + i + 4));
            a = _mm256_xor_si256(_mm256_sub_epi64(a, shift), sign);
            b = _mm256_xor_si256(_mm256_sub_epi64(b, shift), sign);
            unsigned mask = (unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(limit, a)))
                | ((unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(limit, b))) << 4);
            mask ^= flip;
            __m256i order = _mm256_loadu_si256((const __m256i *)agentstats_pick_table[mask]);
            _mm256_storeu_si256((__m256i *)(picked + m), _mm256_permutevar8x32_epi32(offsets, order));
            m += __builtin_popcount(mask);
            offsets = _mm256_add_epi32(offsets, eight);
        }
        for (; i < end; i++) {
            picked[m] = (int32_t)(i - base);
            m += (((uint64_t)keys[i] - (uint64_t)lo - from) < count) != (invert != 0);
        }
        return m;
    }
    static int agentstats_timeline_has_avx2(void) { return __builtin_cpu_supports("avx2") != 0; }
    #else
    #define AGENTSTATS_TIMELINE_AVX2 0
    static void agentstats_pick_init(void) {}
    static int64_t agentstats_pick_rows_avx2(const int64_t *keys, int64_t base, int64_t end,
                                             int64_t lo, uint64_t from, uint64_t count,
                                             int invert, int32_t *picked) { return -1; }
    static int agentstats_timeline_has_avx2(void) { return 0; }
    #endif
    static void agentstats_timeline_ranges(const int64_t *a, const int64_t *b, int64_t lo,
                                           int64_t hi, int64_t *out, int vectors) {
    #if AGENTSTATS_TIMELINE_AVX2
        if (vectors && __builtin_cpu_supports("avx2")) { agentstats_ranges_avx2(a, b, lo, hi, out); return; }
    #endif
        agentstats_ranges_scalar(a, b, lo, hi, out);
    }
    /* A relaxed atomic flag lets one thread tell the others to stop early. */
    static inline int agentstats_timeline_load_flag(int *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
    static inline void agentstats_timeline_store_flag(int *p, int v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }
    """
    double agentstats_timeline_now() noexcept nogil
    void agentstats_timeline_prefetch "__builtin_prefetch"(const void* p) noexcept nogil
    const int AGENTSTATS_TIMELINE_OPENMP
    int32_t agentstats_timeline_claim(int32_t* owner, int32_t agent) noexcept nogil
    unsigned agentstats_timeline_nonzero4(const int16_t* n) noexcept nogil
    void agentstats_timeline_prefetch_record(const void* base, int64_t index, size_t size) noexcept nogil
    void agentstats_timeline_ranges(const int64_t* a, const int64_t* b, int64_t lo, int64_t hi,
                                    int64_t* out, int vectors) noexcept nogil
    int agentstats_timeline_load_flag(int* p) noexcept nogil
    void agentstats_pick_init() noexcept nogil
    int64_t agentstats_pick_rows_avx2(const int64_t* keys, int64_t base, int64_t end, int64_t lo,
                                      uint64_t first, uint64_t count, int invert,
                                      int32_t* picked) noexcept nogil
    int agentstats_timeline_has_avx2() noexcept nogil
    void agentstats_timeline_store_flag(int* p, int v) noexcept nogil

agentstats_pick_init()     # the table of the vector listing (see agentstats_pick_rows_avx2)

STATUS_OK = 0
STATUS_NEEDS_ORDER = 1      # an agent's rows go back in time: sort by (agent, time) first
STATUS_TIMEOUT = 2          # the deadline passed (TAPI_E_TIMEOUT)
STATUS_NO_MEMORY = 3        # realloc failed (E_OUTOFMEMORY)
STATUS_BAD_CODE = 5         # a session or agent code outside the state arrays (a caller bug)
STATUS_AGENT_CHANGED = 6    # a row names another agent than its session's earlier rows
STATUS_PRESENCE_CHANGED = 7 # a row's presence flag differs from its session's earlier rows
STATUS_STOPPED = 8          # with threads: another thread stopped at a bad row (rerun on one
                            # thread to know which row comes first)

# One counter each, in this order; max_time is the latest valid time seen.
COUNTER_NAMES = ("used", "duplicate", "after_end", "after_as_of", "invalid_state",
                 "invalid_time", "max_time")
#: close()'s summary, a row per name, a column per agent: its totals and its state at
#: the report time (SPEC 7.1)
SUMMARY_COLUMNS = ("logged_in", "not_ready", "ready", "talk", "wrap", "calls", "first_login",
                   "last_logoff", "state")
INTERVAL_COLUMNS = ("agent", "bucket", "logged_in", "talk", "wrap", "ready", "not_ready", "calls")
REASON_COLUMNS = ("agent", "reason", "not_ready")

cdef enum:
    LOGGED_OUT = -1     # the agent state of an agent with nothing open (the session states: _types.pxd)
    NO_REASON = -1
    CHECK_EVERY = 1 << 16
    _OK = 0
    _NO_MEMORY = 3
    _NEEDS_ORDER = 1
    _TIMEOUT = 2
    _BAD_CODE = 5
    _AGENT_CHANGED = 6
    _PRESENCE_CHANGED = 7
    N_INTERVAL = 8
    N_REASON = 3
    N_SUMMARY = 9
    PRESENCE_SLOT = 4   # n_open[4]: open presence sessions
    AHEAD = 16          # rows between a prefetch and its use (8 to 64 tried: 16 is best,
                        # and without it a row costs 1.5-2x)
    BLOCK = 4096        # rows a thread lists at a time (the block stays in cache to be applied)
    _STOPPED = 8        # another thread stopped the scan

# Counter slots.
cdef enum:
    C_USED = 0
    C_DUPLICATE = 1
    C_AFTER_END = 2
    C_AFTER_AS_OF = 3
    C_INVALID_STATE = 4
    C_INVALID_TIME = 5
    C_MAX_TIME = 6
    N_COUNTERS = 7


ctypedef struct RowBuffer:
    int64_t* data
    int64_t n           # rows
    int64_t capacity    # rows
    int64_t width       # int64 values a row


def timeline_session_itemsize() -> int:
    return sizeof(TimelineSession)


def timeline_session_cold_itemsize() -> int:
    return sizeof(TimelineSessionCold)


def timeline_agent_itemsize() -> int:
    return sizeof(TimelineAgent)


cdef int _push(RowBuffer* buf, int64_t* values) noexcept nogil:
    """Append one row; -1 when memory runs out (the buffer is left as it was)."""
    cdef int64_t new_capacity
    cdef int64_t* grown
    if buf.n == buf.capacity:
        new_capacity = buf.capacity * 2 if buf.capacity else 1024
        grown = <int64_t*>realloc(buf.data, <size_t>(new_capacity * buf.width) * sizeof(int64_t))
        if grown == NULL:
            return -1
        buf.data = grown
        buf.capacity = new_capacity
    memcpy(buf.data + buf.n * buf.width, values, <size_t>buf.width * sizeof(int64_t))
    buf.n += 1
    return 0


cdef object _take(RowBuffer* buf):
    """The rows as an (n, width) int64 array; frees the buffer."""
    out = np.empty((buf.n, buf.width), dtype=np.int64)
    cdef int64_t[:, ::1] view = out
    if buf.n:
        memcpy(&view[0, 0], buf.data, <size_t>(buf.n * buf.width) * sizeof(int64_t))
    free(buf.data)
    buf.data = NULL
    buf.n = buf.capacity = 0
    return out


cdef inline int64_t _floordiv(int64_t a, int64_t b) noexcept nogil:
    cdef int64_t q = a / b
    if (a % b) != 0 and ((a < 0) != (b < 0)):
        q -= 1
    return q


cdef inline int64_t _bucket_of(int64_t t, int64_t origin, int64_t width) noexcept nogil:
    return _floordiv(t - origin, width)


cdef inline int64_t _bucket_end(int64_t bucket, int64_t origin, int64_t width) noexcept nogil:
    """origin + (bucket + 1) * width, or INT64_MAX when that is beyond int64."""
    if bucket + 1 > (INT64_MAX - origin) / width:
        return INT64_MAX
    return origin + (bucket + 1) * width


# SPEC 7.1 priority as a table: index bit 0 = some session not ready or present, bit 1 =
# ready, bit 2 = on call, bit 3 = in wrap-up (the order of the states' codes); the
# first of on call > wrap-up > ready > not ready that holds wins.
cdef int[16] _KIND_OF = [LOGGED_OUT, NOT_READY, READY, READY,
                         BUSY_ON_CALL, BUSY_ON_CALL, BUSY_ON_CALL, BUSY_ON_CALL,
                         BUSY_WRAPUP, BUSY_WRAPUP, BUSY_WRAPUP, BUSY_WRAPUP,
                         BUSY_ON_CALL, BUSY_ON_CALL, BUSY_ON_CALL, BUSY_ON_CALL]


cdef inline int _agent_kind(TimelineAgent* ag) noexcept nogil:
    """SPEC 7.1: the agent state in force, by priority; LOGGED_OUT with nothing open."""
    return _KIND_OF[agentstats_timeline_nonzero4(ag.n_open) | (ag.n_open[PRESENCE_SLOT] > 0)]


cdef inline int _flush_bucket(TimelineAgent* ag, int64_t agent, RowBuffer* intervals) noexcept nogil:
    cdef int64_t row[N_INTERVAL]
    cdef uint64_t logged_in = ag.b_times[0] + ag.b_times[1] + ag.b_times[2] + ag.b_times[3]
    if ag.bucket == INT64_MIN or (logged_in == 0 and ag.b_calls == 0):
        return 0
    row[0] = agent
    row[1] = ag.bucket
    row[2] = <int64_t>logged_in
    row[3] = <int64_t>ag.b_times[BUSY_ON_CALL]
    row[4] = <int64_t>ag.b_times[BUSY_WRAPUP]
    row[5] = <int64_t>ag.b_times[READY]
    row[6] = <int64_t>ag.b_times[NOT_READY]
    row[7] = ag.b_calls
    if _push(intervals, row) < 0:
        return -1
    ag.b_times[0] = ag.b_times[1] = ag.b_times[2] = ag.b_times[3] = 0
    ag.b_calls = 0
    return 0


cdef inline int _move_to_bucket(TimelineAgent* ag, int64_t agent, int64_t bucket,
                                RowBuffer* intervals) noexcept nogil:
    if bucket != ag.bucket:
        if _flush_bucket(ag, agent, intervals) < 0:
            return -1
        ag.bucket = bucket
    return 0


cdef inline int _flush_reason(TimelineAgent* ag, int64_t agent, RowBuffer* reasons) noexcept nogil:
    """Hand out the not-ready ticks of the reason in force since it came in force
    (called before the reason changes, and at the close)."""
    cdef int64_t row[N_REASON]
    cdef uint64_t pending = ag.times[NOT_READY] - ag.reason_base
    if pending == 0:
        return 0
    row[0] = agent
    row[1] = ag.reason
    row[2] = <int64_t>pending
    if _push(reasons, row) < 0:
        return -1
    ag.reason_base = ag.times[NOT_READY]
    return 0


cdef inline int _set_reason(TimelineAgent* ag, int64_t agent, int32_t reason, int64_t seq,
                            RowBuffer* reasons) noexcept nogil:
    """The pause reason in force changes (the time before it stays the old one's)."""
    if reason != ag.reason:
        if _flush_reason(ag, agent, reasons) < 0:
            return -1
        ag.reason = reason
    ag.reason_seq = seq
    return 0


cdef inline int _spend(TimelineAgent* ag, int64_t agent, int64_t a, int64_t b, int kind,
                       int64_t origin, int64_t width, RowBuffer* intervals) noexcept nogil:
    """Book [a, b) (a < b) to the agent state `kind`: the totals (not-ready time goes to
    the pause reason in force through reason_base) and each interval it overlaps,
    split at the edges."""
    ag.times[kind] += <uint64_t>b - <uint64_t>a      # exact even across the int64 range
    if width <= 0:
        return 0
    return _spend_intervals(ag, agent, a, b, kind, origin, width, intervals)


cdef int _spend_intervals(TimelineAgent* ag, int64_t agent, int64_t a, int64_t b, int kind,
                          int64_t origin, int64_t width, RowBuffer* intervals) noexcept nogil:
    """The interval sums of [a, b), split at the edges (SPEC 7.3)."""
    cdef int64_t bucket, edge, piece_end
    while a < b:
        bucket = _bucket_of(a, origin, width)
        if _move_to_bucket(ag, agent, bucket, intervals) < 0:
            return -1
        edge = _bucket_end(bucket, origin, width)
        piece_end = b if b < edge else edge
        ag.b_times[kind] += <uint64_t>piece_end - <uint64_t>a
        a = piece_end
    return 0


cdef void _recompute_reason(TimelineAgent* ag, TimelineSession* sessions,
                            TimelineSessionCold* cold, int32_t* reason, int64_t* seq) noexcept nogil:
    """The reason of the most recent pause still in force among the agent's sessions
    (SPEC 7.1), after the session that gave the current one left NOT_READY."""
    cdef int64_t member = ag.first_member, best_seq = -1
    cdef int32_t best = NO_REASON
    cdef TimelineSessionCold* c
    while member >= 0:
        c = &cold[member]
        if sessions[member].state == NOT_READY and c.paused_seq > best_seq:
            best_seq = c.paused_seq
            best = c.reason
        member = c.next_member
    reason[0] = best
    seq[0] = best_seq


cdef inline int64_t _code(const int64_t* keys, int64_t i, int64_t lo, const int64_t* lookup,
                          int64_t lookup_n) noexcept nogil:
    """The dense code of row i: keys[i] - lo, or lookup[keys[i] - lo] (-1 when out of range)."""
    cdef int64_t k = keys[i] - lo
    if lookup == NULL:
        return k
    return lookup[k] if 0 <= k < lookup_n else -1


ctypedef struct ScanInput:
    # the rows (SPEC 1 columns, normalised) and how their keys become dense codes
    const int64_t* codes
    int64_t codes_lo
    const int64_t* codes_lookup
    int64_t codes_lookup_n
    const int64_t* agent_codes
    int64_t agent_lo
    const int64_t* agent_lookup
    int64_t agent_lookup_n
    const int64_t* times
    const uint8_t* states
    const int32_t* reasons_in       # NULL: no reasons
    const uint8_t* presence_in      # NULL: no presence flags
    int64_t n
    # the state carried between rows and chunks
    int64_t n_sessions
    int64_t n_agents
    TimelineSession* sessions
    TimelineSessionCold* session_cold
    TimelineAgent* agents
    int64_t as_of
    int64_t origin
    int64_t width
    int64_t seq0
    double deadline
    bint vector_pick                # may list a block's rows with vectors (False: the tests)
    bint presence_before            # the records may hold open presence sessions
    bint codes_in_range             # every row's session and agent code lies in the records
                                    #   (checked from the keys' ranges before the scan)


ctypedef struct Tally:
    # the SPEC 3 buckets of the rows one scan applied, and the latest valid time
    int64_t used
    int64_t duplicate
    int64_t after_end
    int64_t after_as_of
    int64_t invalid_state
    int64_t invalid_time
    int64_t max_time


# The rows a scan handles, as a compile-time choice (Cython makes one copy of
# _scan_rows per member): PlainRows are the common bulk case -- integer keys of a
# contiguous range (no lookup tables) known to lie in the records, no presence flags,
# no pause reasons, no intervals -- for which the copy has those tests folded away and
# their values out of the registers the loop needs (measured faster: see
# benchmarks/README); AnyRows is everything else.
ctypedef struct PlainRows:
    char _unused
ctypedef struct AnyRows:
    char _unused
ctypedef fused rows_t:
    PlainRows
    AnyRows


cdef inline bint _plain_rows(const ScanInput* input) noexcept nogil:
    # (no presence in these rows nor in the records: no agent has a presence session open)
    return (input.codes_lookup == NULL and input.agent_lookup == NULL
            and input.reasons_in == NULL and input.presence_in == NULL and input.width <= 0
            and not input.presence_before and input.codes_in_range)


cdef inline int _kind_in_force(const rows_t* rows_kind, TimelineAgent* ag) noexcept nogil:
    """_agent_kind in the row loop: the plain copy's records never had a presence session
    open (see _plain_rows), so its presence count is 0 and not read."""
    if rows_t is PlainRows:
        return _KIND_OF[agentstats_timeline_nonzero4(ag.n_open)]
    else:
        return _agent_kind(ag)


cdef int _scan_rows(const rows_t* rows_kind, const ScanInput* input, int64_t thread,
                    int64_t n_threads, int32_t* picked, Tally* tally, RowBuffer* intervals,
                    RowBuffer* reasons, int64_t* stopped_at, int* stop_flag) noexcept nogil:
    """Apply this thread's rows in input order, a block of rows at a time.

    One thread (n_threads == 1): every row. Several: the agents are split into
    n_threads ranges of codes; for each block, this thread first lists the block's rows
    of its agents (no branch per row: `picked` holds BLOCK entries), then applies them,
    so that the apply loop never skips the other threads' rows. A row with no valid
    agent code goes to thread 0, which reports it exactly as one thread would.

    At each row: classify it (SPEC 3), move its agent's clock to it and apply it."""
    # the inputs in locals (stores through the record pointers could alias a struct)
    cdef const int64_t* codes = input.codes
    cdef int64_t codes_lo = input.codes_lo
    cdef const int64_t* codes_lookup = input.codes_lookup
    cdef int64_t codes_lookup_n = input.codes_lookup_n
    cdef const int64_t* agent_codes = input.agent_codes
    cdef int64_t agent_lo = input.agent_lo
    cdef const int64_t* agent_lookup = input.agent_lookup
    cdef int64_t agent_lookup_n = input.agent_lookup_n
    cdef const int64_t* times = input.times
    cdef const uint8_t* states = input.states
    cdef const int32_t* reasons_in = input.reasons_in
    cdef const uint8_t* presence_in = input.presence_in
    cdef int64_t n = input.n, n_sessions = input.n_sessions, n_agents = input.n_agents
    cdef TimelineSession* sessions = input.sessions
    cdef TimelineSessionCold* session_cold = input.session_cold
    cdef TimelineAgent* agents = input.agents
    cdef int64_t as_of = input.as_of, origin = input.origin, width = input.width
    cdef int64_t seq0 = input.seq0
    cdef double deadline = input.deadline
    # the tally in registers, written back only when the scan completes
    cdef int64_t n_used = 0, n_duplicate = 0, n_after_end = 0, n_after_as_of = 0
    cdef int64_t n_invalid_state = 0, n_invalid_time = 0, max_time = tally.max_time
    cdef bint all_rows = n_threads == 1
    cdef int64_t lo_agent = (thread * n_agents + n_threads - 1) // n_threads
    cdef int64_t hi_agent = ((thread + 1) * n_agents + n_threads - 1) // n_threads
    cdef uint64_t share = <uint64_t>(hi_agent - lo_agent)
    cdef bint first_thread = thread == 0
    cdef uint64_t late_bound = <uint64_t>as_of + (<uint64_t>1 << 63)
    # integer addresses (never dereferenced: only prefetched)
    cdef const void* sessions_at_key = <const void*>(<uintptr_t>sessions
                                                     - <uintptr_t>codes_lo * sizeof(TimelineSession))
    cdef const void* agents_at_key = <const void*>(<uintptr_t>agents
                                                   - <uintptr_t>agent_lo * sizeof(TimelineAgent))
    # without an agent lookup the listing test is a range of raw keys: vectors (AVX2,
    # when the CPU has it, and when the scalar test is not forced by the tests)
    cdef bint vector_pick = (n_threads > 1 and agent_lookup == NULL and input.vector_pick
                             and agentstats_timeline_has_avx2())
    cdef int64_t base, end, m, j, i, ahead, row_ahead, code, agent, t, last, claimed, new_seq
    cdef int32_t new_reason
    cdef uint8_t st, old, is_presence
    cdef bint is_call
    cdef int kind, status
    cdef TimelineSession* s
    cdef TimelineSessionCold* c
    cdef TimelineAgent* ag
    if rows_t is PlainRows:
        # constants for the compiler: every test on them below folds away
        codes_lookup = agent_lookup = NULL
        reasons_in = NULL
        presence_in = NULL
        width = 0
    base = 0
    while base < n:
        if n_threads > 1 and agentstats_timeline_load_flag(stop_flag):
            stopped_at[0] = base
            return _STOPPED
        if deadline > 0 and agentstats_timeline_now() > deadline:
            stopped_at[0] = base
            return _TIMEOUT
        end = base + BLOCK if base + BLOCK < n else n
        if all_rows:
            m = end - base
            for j in range(m):
                picked[j] = <int32_t>j
        else:
            # without a branch per row: a row is this thread's when its agent code is in
            # the thread's range, or (thread 0 only) when the code is not valid at all
            m = 0
            if vector_pick:
                # the same test on 8 rows at a time; thread 0's is the complement of
                # "code in [share, n_agents)" (lo_agent is 0)
                if first_thread:
                    m = agentstats_pick_rows_avx2(agent_codes, base, end, agent_lo, share,
                                                  <uint64_t>n_agents - share, 1, picked)
                else:
                    m = agentstats_pick_rows_avx2(agent_codes, base, end, agent_lo,
                                                  <uint64_t>lo_agent, share, 0, picked)
            else:
                for i in range(base, end):
                    agent = _code(agent_codes, i, agent_lo, agent_lookup, agent_lookup_n)
                    picked[m] = <int32_t>(i - base)
                    m += ((<uint64_t>(agent - lo_agent) < share)
                          | (first_thread & (<uint64_t>agent >= <uint64_t>n_agents)))
        status = _OK
        for j in range(m):
            # two stages: the lookup entries of the row 2 * AHEAD on, then the records
            # of the row AHEAD on, whose entries are in cache by then (the rows hit
            # sessions and agents at random)
            if j + 2 * AHEAD < m:
                row_ahead = base + picked[j + 2 * AHEAD]
                if codes_lookup != NULL:
                    ahead = codes[row_ahead] - codes_lo
                    if 0 <= ahead < codes_lookup_n:
                        agentstats_timeline_prefetch(&codes_lookup[ahead])
                if agent_lookup != NULL:
                    ahead = agent_codes[row_ahead] - agent_lo
                    if 0 <= ahead < agent_lookup_n:
                        agentstats_timeline_prefetch(&agent_lookup[ahead])
            if j + AHEAD < m:
                # a prefetch never faults: no test that the code is valid (the row's own
                # turn checks it)
                row_ahead = base + picked[j + AHEAD]
                if rows_t is PlainRows:
                    # the record of key k is at (record 0 - lo) + k: the subtractions fold
                    agentstats_timeline_prefetch_record(sessions_at_key, codes[row_ahead],
                                                        sizeof(TimelineSession))
                    agentstats_timeline_prefetch_record(agents_at_key, agent_codes[row_ahead],
                                                        sizeof(TimelineAgent))
                else:
                    agentstats_timeline_prefetch_record(
                        sessions, _code(codes, row_ahead, codes_lo, codes_lookup, codes_lookup_n),
                        sizeof(TimelineSession))
                    agentstats_timeline_prefetch_record(
                        agents, _code(agent_codes, row_ahead, agent_lo, agent_lookup, agent_lookup_n),
                        sizeof(TimelineAgent))
            i = base + picked[j]
            t = times[i]
            st = states[i]
            # t == INT64_MIN or t > as_of in one unsigned compare: t + INT64_MAX wraps
            # INT64_MIN to the top and keeps every other time in order
            if ((<uint64_t>t + <uint64_t>INT64_MAX) >= late_bound) | (st > SESSION_ENDED):
                # SPEC 3: the first bucket that fits, in this order (one rare branch)
                if t == INT64_MIN:
                    n_invalid_time += 1
                elif st > SESSION_ENDED:
                    n_invalid_state += 1
                else:
                    n_after_as_of += 1
                continue
            code = _code(codes, i, codes_lo, codes_lookup, codes_lookup_n)
            agent = _code(agent_codes, i, agent_lo, agent_lookup, agent_lookup_n)
            if rows_t is AnyRows:
                # (the plain copy's codes were checked from their ranges, in scan())
                if (<uint64_t>code >= <uint64_t>n_sessions) | (<uint64_t>agent >= <uint64_t>n_agents):
                    status = _BAD_CODE
                    break
            s = &sessions[code]
            ag = &agents[agent]
            is_presence = presence_in[i] if presence_in != NULL else 0
            if s.agent != agent:
                # first row of the session: it joins its agent's list (SPEC 1: constant).
                # The claim is atomic: with threads, of a session whose rows name agents
                # of two threads one claims it and the other sees the change.
                claimed = agentstats_timeline_claim(&s.agent, <int32_t>agent)
                if claimed != -1:
                    status = _AGENT_CHANGED
                    break
                s.presence = is_presence
                if reasons_in != NULL:
                    # the agent's list of its sessions is read only to find the pause
                    # reason in force (_recompute_reason): kept only when reasons are
                    # on (link_members builds it for a chunk with reasons after chunks
                    # without), so that a session's first row touches no cold line
                    session_cold[code].next_member = <int32_t>ag.first_member
                    ag.first_member = code
            elif rows_t is AnyRows and s.presence != is_presence:
                # (plain rows and records have no presence: nothing to compare)
                status = _PRESENCE_CHANGED
                break
            # the agent's clock moves to t (its first row: nothing is open, so LOGGED_OUT)
            last = ag.last_time
            if last == INT64_MIN:
                # the agent's first valid row, the first row of one of its sessions (a
                # used row): its first login (set once an agent, not at each session's
                # first row, whose agent's second cache line would be a miss each)
                ag.first_login = t
            else:
                if t < last:
                    status = _NEEDS_ORDER
                    break
                if t > last:
                    kind = _kind_in_force(rows_kind, ag)
                    if kind != LOGGED_OUT:
                        ag.times[kind] += <uint64_t>t - <uint64_t>last
                        if width > 0 and _spend_intervals(ag, agent, last, t, kind, origin, width,
                                                          intervals) < 0:
                            status = _NO_MEMORY
                            break
            ag.last_time = t
            if t > max_time:
                max_time = t
            old = s.state
            if old == SESSION_ENDED:
                n_after_end += 1
                continue
            if old == st:
                n_duplicate += 1
                continue
            n_used += 1
            if old != UNSEEN:
                ag.n_open[PRESENCE_SLOT if is_presence else old] -= 1
            s.state = st
            if st == SESSION_ENDED:
                if _kind_in_force(rows_kind, ag) == LOGGED_OUT:
                    ag.last_logoff = t
            else:
                ag.n_open[PRESENCE_SLOT if is_presence else st] += 1
            # SPEC 2.5 / 7.1: every entry into BUSY_ON_CALL is an answered call (counted
            # without a branch on the state entered, which a random sequence mispredicts)
            is_call = (st == BUSY_ON_CALL) & (is_presence == 0)
            ag.calls += is_call
            if width > 0 and is_call:
                if _move_to_bucket(ag, agent, _bucket_of(t, origin, width), intervals) < 0:
                    status = _NO_MEMORY
                    break
                ag.b_calls += 1
            if reasons_in == NULL:
                # no pause reasons in this aggregation (the caller passes a column of
                # NO_REASON once any chunk had one): the reason in force is always
                # NO_REASON, so nothing below would change (and these two branches on
                # the state entered are the ones a random state sequence mispredicts)
                continue
            c = &session_cold[code]
            if st == NOT_READY:
                c.reason = reasons_in[i]
                c.paused_seq = seq0 + i
                if _set_reason(ag, agent, c.reason, c.paused_seq, reasons) < 0:
                    status = _NO_MEMORY
                    break
            elif old == NOT_READY and c.paused_seq == ag.reason_seq:
                # the pause that gave the reason ended: the most recent one still in
                # force gives it now; with no session left in NOT_READY (the counts
                # say so), none, without walking the agent's sessions (random loads)
                if ag.n_open[NOT_READY] == 0 and ag.n_open[PRESENCE_SLOT] == 0:
                    new_reason = NO_REASON
                    new_seq = -1
                else:
                    _recompute_reason(ag, sessions, session_cold, &new_reason, &new_seq)
                if _set_reason(ag, agent, new_reason, new_seq, reasons) < 0:
                    status = _NO_MEMORY
                    break
        if status != _OK:
            stopped_at[0] = i
            if n_threads > 1:
                agentstats_timeline_store_flag(stop_flag, 1)
            return status
        base = end
    tally.used = n_used
    tally.duplicate = n_duplicate
    tally.after_end = n_after_end
    tally.after_as_of = n_after_as_of
    tally.invalid_state = n_invalid_state
    tally.invalid_time = n_invalid_time
    tally.max_time = max_time
    return _OK


def range_within(tuple key_range, int64_t lo, int64_t n) -> bool:
    """Every key in [key_range[0], key_range[1]] has its code key - lo in [0, n): the
    test that lets the plain copy of the loop skip each row's (scan())."""
    cdef int64_t first = key_range[0], last = key_range[1]
    # (unsigned: the differences of any two int64 keys, exactly)
    return (first <= last and first >= lo
            and <uint64_t>last - <uint64_t>lo < <uint64_t>n)


def openmp_enabled() -> bool:
    """True when the extension was compiled with OpenMP (else n_threads runs serially)."""
    return bool(AGENTSTATS_TIMELINE_OPENMP)


cdef void _empty_buffers(RowBuffer* intervals, RowBuffer* reasons) noexcept nogil:
    intervals.data = NULL
    intervals.n = intervals.capacity = 0
    intervals.width = N_INTERVAL
    reasons.data = NULL
    reasons.n = reasons.capacity = 0
    reasons.width = N_REASON


def scan(
    const int64_t[::1] codes,
    const int64_t[::1] agent_codes,
    const int64_t[::1] time,
    const uint8_t[::1] state,
    const int32_t[::1] reason,
    const uint8_t[::1] presence,
    uint8_t[::1] sessions,
    uint8_t[::1] session_cold,
    uint8_t[::1] agents,
    int64_t[::1] counters,
    *,
    int64_t as_of,
    int64_t origin,
    int64_t width,
    int64_t seq0,
    double deadline,
    int64_t codes_lo=0,
    const int64_t[::1] codes_lookup=None,
    int64_t agents_lo=0,
    const int64_t[::1] agents_lookup=None,
    int n_threads=1,
    bint vector_pick=True,
    bint presence_before=True,
    tuple codes_range=None,
    tuple agents_range=None,
) -> tuple:
    """Apply rows in input order. Returns (status, row, interval_rows, reason_rows):
    `row` is where a status other than STATUS_OK stopped (then the state arrays are
    partly updated: the caller restores them). `reason` and `presence` are per row, or
    empty when the log has none; `reason` may be empty only while no row applied to
    these states so far had one (after that, a chunk without reasons passes -1 per row:
    without a column the kernel skips the pause-reason bookkeeping). A row's session code is `codes[i] - codes_lo`, or with
    `codes_lookup` `codes_lookup[codes[i] - codes_lo]` (integer keys in a compact range:
    no code array materialised); likewise for agents.

    n_threads > 1 (with OpenMP): the agents are split into n_threads ranges of codes and
    each thread applies its agents' rows, in input order; the states, counters and
    sums are those of one thread (the interval and reason rows come in another order).
    Any status other than STATUS_OK, STATUS_TIMEOUT and STATUS_NO_MEMORY is then only
    "some row is bad": the caller restores the states and reruns on one thread, which
    names the first bad row. `vector_pick=False` forces the scalar listing of each
    thread's rows (the tests compare both). `presence_before=False` says that no row
    applied to these records so far had a presence flag (fresh records, or chunks
    without presence): rows without presence then take the plain copy of the loop.
    `codes_range` and `agents_range`: (min, max) of `codes` and `agent_codes` when the
    caller has them (`key_ranges` over these columns); when both ranges lie within the
    records, the plain copy of the loop does not test each row's codes."""
    cdef int64_t n = time.shape[0]
    cdef int64_t n_sessions = sessions.shape[0] // <Py_ssize_t>sizeof(TimelineSession)
    cdef int64_t n_agents = agents.shape[0] // <Py_ssize_t>sizeof(TimelineAgent)
    cdef bint has_reason = reason.shape[0] == n
    cdef bint has_presence = presence.shape[0] == n
    cdef int64_t stopped_at = -1
    cdef int status = _OK
    cdef int t, stop_flag = 0
    cdef ScanInput a
    if (codes.shape[0] != n or agent_codes.shape[0] != n or state.shape[0] != n
            or (reason.shape[0] != 0 and not has_reason)
            or (presence.shape[0] != 0 and not has_presence)):
        raise ValueError("columns have unequal lengths")
    if (sessions.shape[0] % <Py_ssize_t>sizeof(TimelineSession)
            or session_cold.shape[0] != n_sessions * <Py_ssize_t>sizeof(TimelineSessionCold)
            or agents.shape[0] % <Py_ssize_t>sizeof(TimelineAgent)):
        raise ValueError("state arrays do not match the records")
    if n_sessions > INT32_MAX or n_agents > INT32_MAX:
        raise ValueError("more than 2147483647 sessions or agents")
    if counters.shape[0] != N_COUNTERS:
        raise ValueError("counters has the wrong length")
    if n_threads < 1:
        raise ValueError("n_threads must be at least 1")
    if n_threads > n_agents:
        n_threads = <int>n_agents
    if not AGENTSTATS_TIMELINE_OPENMP or n_agents < 2:
        n_threads = 1
    a.codes = &codes[0] if n else NULL
    a.agent_codes = &agent_codes[0] if n else NULL
    a.times = &time[0] if n else NULL
    a.states = &state[0] if n else NULL
    a.reasons_in = &reason[0] if has_reason and n else NULL
    a.presence_in = &presence[0] if has_presence and n else NULL
    a.codes_lo = codes_lo
    a.agent_lo = agents_lo
    a.codes_lookup = NULL
    a.agent_lookup = NULL
    a.codes_lookup_n = a.agent_lookup_n = 0
    if codes_lookup is not None and codes_lookup.shape[0]:
        a.codes_lookup = &codes_lookup[0]
        a.codes_lookup_n = codes_lookup.shape[0]
    if agents_lookup is not None and agents_lookup.shape[0]:
        a.agent_lookup = &agents_lookup[0]
        a.agent_lookup_n = agents_lookup.shape[0]
    a.n = n
    a.n_sessions = n_sessions
    a.n_agents = n_agents
    a.sessions = <TimelineSession*>&sessions[0] if n_sessions else NULL
    a.session_cold = <TimelineSessionCold*>&session_cold[0] if n_sessions else NULL
    a.agents = <TimelineAgent*>&agents[0] if n_agents else NULL
    a.as_of = as_of
    a.origin = origin
    a.width = width
    a.seq0 = seq0
    a.deadline = deadline
    a.vector_pick = vector_pick
    a.presence_before = presence_before
    a.codes_in_range = (codes_range is not None and agents_range is not None
                        and range_within(codes_range, codes_lo, n_sessions)
                        and range_within(agents_range, agents_lo, n_agents))
    # one tally, pair of row buffers, status and stop row per thread
    tallies = np.zeros((n_threads, 7), dtype=np.int64)
    cdef int64_t[:, ::1] tally_view = tallies
    cdef Tally* tally_p = <Tally*>&tally_view[0, 0]
    buffers = np.zeros(2 * n_threads * sizeof(RowBuffer), dtype=np.uint8)
    cdef uint8_t[::1] buffer_view = buffers
    cdef RowBuffer* buffer_p = <RowBuffer*>&buffer_view[0]
    picked = np.empty(n_threads * BLOCK, dtype=np.int32)
    cdef int32_t[::1] picked_view = picked
    cdef int32_t* picked_p = &picked_view[0]
    statuses = np.zeros(n_threads, dtype=np.intc)
    cdef int[::1] status_view = statuses
    cdef int* status_p = &status_view[0]
    stops = np.full(n_threads, -1, dtype=np.int64)
    cdef int64_t[::1] stop_view = stops
    cdef int64_t* stop_p = &stop_view[0]
    cdef bint plain = _plain_rows(&a)
    for t in range(n_threads):
        _empty_buffers(&buffer_p[2 * t], &buffer_p[2 * t + 1])
        tally_p[t].max_time = counters[C_MAX_TIME]
    with nogil:
        if n_threads == 1:
            if plain:
                status_p[0] = _scan_rows(<PlainRows*>NULL, &a, 0, 1, picked_p, &tally_p[0],
                                         &buffer_p[0], &buffer_p[1], &stop_p[0], &stop_flag)
            else:
                status_p[0] = _scan_rows(<AnyRows*>NULL, &a, 0, 1, picked_p, &tally_p[0],
                                         &buffer_p[0], &buffer_p[1], &stop_p[0], &stop_flag)
        else:
            with parallel(num_threads=n_threads):
                for t in prange(n_threads, schedule="static", chunksize=1):
                    if plain:
                        status_p[t] = _scan_rows(<PlainRows*>NULL, &a, t, n_threads,
                                                 &picked_p[t * BLOCK], &tally_p[t], &buffer_p[2 * t],
                                                 &buffer_p[2 * t + 1], &stop_p[t], &stop_flag)
                    else:
                        status_p[t] = _scan_rows(<AnyRows*>NULL, &a, t, n_threads,
                                                 &picked_p[t * BLOCK], &tally_p[t], &buffer_p[2 * t],
                                                 &buffer_p[2 * t + 1], &stop_p[t], &stop_flag)
    interval_parts = []
    reason_parts = []
    for t in range(n_threads):
        interval_parts.append(_take(&buffer_p[2 * t]))
        reason_parts.append(_take(&buffer_p[2 * t + 1]))
    for t in range(n_threads):
        # a real status over the STOPPED of the threads that only obeyed it
        if status_p[t] != _OK and (status == _OK or status == _STOPPED):
            status = status_p[t]
            stopped_at = stop_p[t]
    if status == _OK:
        for t in range(n_threads):
            counters[C_USED] += tally_p[t].used
            counters[C_DUPLICATE] += tally_p[t].duplicate
            counters[C_AFTER_END] += tally_p[t].after_end
            counters[C_AFTER_AS_OF] += tally_p[t].after_as_of
            counters[C_INVALID_STATE] += tally_p[t].invalid_state
            counters[C_INVALID_TIME] += tally_p[t].invalid_time
            if tally_p[t].max_time > counters[C_MAX_TIME]:
                counters[C_MAX_TIME] = tally_p[t].max_time
    intervals = interval_parts[0] if n_threads == 1 else np.concatenate(interval_parts)
    reason_rows = reason_parts[0] if n_threads == 1 else np.concatenate(reason_parts)
    return status, stopped_at, intervals, reason_rows


def close(
    uint8_t[::1] agents,
    *,
    int64_t as_of,
    int64_t origin,
    int64_t width,
) -> tuple:
    """Close every logged-in agent at `as_of` and hand out every pending interval and
    reason sum. Reads the records only (each is closed in a copy on the stack), so that
    scanning may go on after, and no copy of the array is needed for a result.
    Returns (status, interval_rows, reason_rows, too_big, summary): too_big is the first
    agent whose logged-in time or a state's time does not fit in int64 ticks, -1 when
    none; summary one row per column of SUMMARY_COLUMNS, one column an agent (so
    that a table column is a row of it, contiguous), state being the agent state in
    force at `as_of` (SPEC 7.1: 2 on call, 3 wrap-up, 1 ready, 0 not ready, -1 logged
    out). Written here because this loop has each record in cache: NumPy reads a field
    by striding over every 192-byte record again (200k agents: 2 ms a field)."""
    if agents.shape[0] % <Py_ssize_t>sizeof(TimelineAgent):
        raise ValueError("agent array does not match")
    cdef int64_t n_agents = agents.shape[0] // <Py_ssize_t>sizeof(TimelineAgent)
    cdef TimelineAgent* agents_p = <TimelineAgent*>&agents[0] if n_agents else NULL
    cdef TimelineAgent* ag
    cdef TimelineAgent closing
    cdef RowBuffer intervals, reasons
    cdef int64_t a, too_big = -1
    cdef uint64_t total
    cdef int k, kind, status = _OK
    summary_array = np.empty((N_SUMMARY, n_agents), dtype=np.int64)
    cdef int64_t[:, ::1] summary = summary_array
    _empty_buffers(&intervals, &reasons)
    with nogil:
        for a in range(n_agents):
            closing = agents_p[a]
            ag = &closing
            kind = _agent_kind(ag)
            if ag.last_time != INT64_MIN and ag.last_time < as_of:
                if kind != LOGGED_OUT:
                    if _spend(ag, a, ag.last_time, as_of, kind, origin, width, &intervals) < 0:
                        status = _NO_MEMORY
                        break
                ag.last_time = as_of
            if _flush_bucket(ag, a, &intervals) < 0 or _flush_reason(ag, a, &reasons) < 0:
                status = _NO_MEMORY
                break
            # each part below 2**63, so no partial sum of the four wraps past 2**64
            total = 0
            for k in range(4):
                if ag.times[k] > <uint64_t>INT64_MAX and too_big < 0:
                    too_big = a
                total += ag.times[k]
            if total > <uint64_t>INT64_MAX and too_big < 0:
                too_big = a
            summary[0, a] = <int64_t>total
            for k in range(4):
                summary[1 + k, a] = <int64_t>ag.times[k]
            summary[5, a] = ag.calls
            summary[6, a] = ag.first_login
            summary[7, a] = ag.last_logoff
            summary[8, a] = kind
    return status, _take(&intervals), _take(&reasons), too_big, summary_array


def link_members(uint8_t[::1] sessions, uint8_t[::1] session_cold, uint8_t[::1] agents) -> None:
    """Build every agent's list of its sessions (first_member / next_member) from the
    sessions' agents: the scan keeps the lists only while pause reasons are on, so a
    chunk with reasons after chunks without needs them built first (any order: the
    reason in force is found by the latest pause, not by the list's order)."""
    if (sessions.shape[0] % <Py_ssize_t>sizeof(TimelineSession)
            or session_cold.shape[0] % <Py_ssize_t>sizeof(TimelineSessionCold)
            or agents.shape[0] % <Py_ssize_t>sizeof(TimelineAgent)):
        raise ValueError("record arrays do not match")
    cdef int64_t n_sessions = sessions.shape[0] // <Py_ssize_t>sizeof(TimelineSession)
    cdef int64_t n_agents = agents.shape[0] // <Py_ssize_t>sizeof(TimelineAgent)
    if session_cold.shape[0] // <Py_ssize_t>sizeof(TimelineSessionCold) != n_sessions:
        raise ValueError("record arrays do not match")
    cdef TimelineSession* s = <TimelineSession*>&sessions[0] if n_sessions else NULL
    cdef TimelineSessionCold* c = <TimelineSessionCold*>&session_cold[0] if n_sessions else NULL
    cdef TimelineAgent* a = <TimelineAgent*>&agents[0] if n_agents else NULL
    cdef int64_t k, agent
    with nogil:
        for k in range(n_agents):
            a[k].first_member = -1
        for k in range(n_sessions):
            agent = s[k].agent
            if 0 <= agent < n_agents:
                c[k].next_member = <int32_t>a[agent].first_member
                a[agent].first_member = k
            else:
                c[k].next_member = -1


def mark_keys(const int64_t[::1] keys, int64_t lo, uint8_t[::1] present) -> None:
    """present[key - lo] = 1 for every key (keys already checked to lie in the range)."""
    cdef Py_ssize_t i, n = keys.shape[0]
    with nogil:
        for i in range(n):
            present[keys[i] - lo] = 1


def lookup_codes(const int64_t[::1] keys, int64_t lo, const int64_t[::1] lookup,
                 int64_t[::1] out) -> None:
    """out[i] = lookup[keys[i] - lo] (keys already checked to lie in the range)."""
    cdef Py_ssize_t i, n = keys.shape[0]
    if out.shape[0] != n:
        raise ValueError("out has the wrong length")
    with nogil:
        for i in range(n):
            out[i] = lookup[keys[i] - lo]


def key_ranges(const int64_t[::1] a, const int64_t[::1] b, int max_threads=2,
               bint vectors=True) -> tuple:
    """(min a, max a, min b, max b) of two non-empty int64 columns of the same length
    (a chunk's session and agent keys) in one pass over both, split over two threads
    (at most `max_threads`) for large columns when OpenMP is there. `vectors=False`
    forces the scalar loop (the tests compare both)."""
    cdef Py_ssize_t n = a.shape[0]
    cdef int64_t bounds[3]
    cdef int64_t found[8]
    cdef int part, parts = 2 if n >= 1 << 20 and max_threads >= 2 and AGENTSTATS_TIMELINE_OPENMP else 1
    if n == 0 or b.shape[0] != n:
        raise ValueError("key_ranges needs two non-empty columns of the same length")
    bounds[0], bounds[1], bounds[2] = 0, n // parts, n
    if parts == 1:
        with nogil:
            agentstats_timeline_ranges(&a[0], &b[0], 0, n, &found[0], vectors)
        return found[0], found[1], found[2], found[3]
    with nogil, parallel(num_threads=parts):
        for part in prange(parts, schedule="static", chunksize=1):
            agentstats_timeline_ranges(&a[0], &b[0], bounds[part], bounds[part + 1],
                                       &found[4 * part], vectors)
    return (min(found[0], found[4]), max(found[1], found[5]),
            min(found[2], found[6]), max(found[3], found[7]))
