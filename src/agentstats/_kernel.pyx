"""Typed loops of agentstats: one pass over the events, the unordered path, finalize.

Everything that validates, converts dtypes or allocates arrays lives in aggregate.py;
these functions take contiguous, already-normalised arrays, fill caller-allocated
outputs and return a status code. Compiler directives are set in setup.py only.

Conventions (SPEC 1): times and waits are int64 ticks, INT64_MIN meaning missing;
states are uint8, anything above SESSION_ENDED is invalid; a session is an int64 code,
its slot in the session-state array is `code - base`.

Two paths (issue "Speed"):
- `scan`: rows in input order. Valid when every session's rows arrive in time order (a
  globally time-ordered log, or one grouped by session); it stops with
  STATUS_NEEDS_ORDER at the first row that goes back in time within its session.
- `scan_unordered`: any order. A counting sort by session (stable, O(rows + sessions))
  gives each session's rows -- as values (time, state) scattered by buckets of sessions,
  or as row numbers when a row number is needed; each session's rows are then sorted by
  time in a small cache-resident buffer and applied right there.
Both apply rows with the same `_apply_row`, so they cannot disagree; the interleaved
loop of `scan` takes the usual row (valid, in order, an allowed change of state in a
started session) on a short branch-free path of its own and every other row through
`_apply_row` (the tests compare both with a plain-Python reference).
"""

from cython.parallel cimport parallel, prange
from libc.stdint cimport (
    INT64_MAX, INT64_MIN, UINT32_MAX, UINT64_MAX, int8_t, int16_t, int32_t, int64_t, uint8_t,
    uint16_t, uint32_t, uint64_t,
)
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memcpy, memset

from ._types cimport (
    BUSY_ON_CALL,
    BUSY_WRAPUP,
    NOT_READY,
    READY,
    SESSION_ENDED,
    UNSEEN,
    SessionState,
)

cdef extern from *:
    """
    #include <time.h>
    #ifdef _OPENMP
    #define AGENTSTATS_OPENMP 1
    #else
    #define AGENTSTATS_OPENMP 0
    #endif
    /* A relaxed atomic flag lets one thread tell the others to stop early. */
    static inline int agentstats_load_flag(int *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
    static inline void agentstats_store_flag(int *p, int v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }
    static inline double agentstats_now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
    }
    #define agentstats_prefetch(p) __builtin_prefetch((const void *)(p), 1, 3)
    #define agentstats_prefetch_read(p) __builtin_prefetch((const void *)(p), 0, 0)
    /* A large work buffer in 2 MiB pages where Linux allows it: the scatter into it
       writes hundreds of streams at once, which 4 KiB pages pay for in TLB misses
       (benchmarks/README.md). Freed with free(). */
    #include <stdlib.h>
    #ifdef __linux__
    #include <sys/mman.h>
    #endif
    static inline void *agentstats_alloc_huge(size_t bytes) {
    #if defined(__linux__) && defined(MADV_HUGEPAGE)
        const size_t huge = (size_t)1 << 21;
        if (bytes >= 4 * huge) {
            size_t rounded = (bytes + huge - 1) & ~(huge - 1);
            void *p = aligned_alloc(huge, rounded);
            if (p != NULL)
                madvise(p, rounded, MADV_HUGEPAGE);   /* advice only: failure is harmless */
            return p;
        }
    #endif
        return malloc(bytes);
    }
    /* One scratch buffer kept between calls (the private partial states of `scan`'s
       threads after the first): fresh memory costs a page fault per page on first touch. */
    #define AGENTSTATS_KEEP_MAX ((size_t)64 << 20)
    static void *agentstats_kept = NULL;
    static size_t agentstats_kept_bytes = 0;
    static char agentstats_kept_lock = 0;
    static inline void agentstats_lock(void) { while (__atomic_test_and_set(&agentstats_kept_lock, __ATOMIC_ACQUIRE)) ; }
    static inline void agentstats_unlock(void) { __atomic_clear(&agentstats_kept_lock, __ATOMIC_RELEASE); }
    static void *agentstats_take_scratch(size_t bytes, size_t *got) {
        void *p = NULL;
        agentstats_lock();
        if (agentstats_kept != NULL && agentstats_kept_bytes >= bytes) {
            p = agentstats_kept; *got = agentstats_kept_bytes;
            agentstats_kept = NULL; agentstats_kept_bytes = 0;
        }
        agentstats_unlock();
        if (p == NULL) { p = agentstats_alloc_huge(bytes); *got = bytes; }
        return p;
    }
    static void agentstats_keep_scratch(void *p, size_t bytes) {
        void *spare = p;
        if (p != NULL && bytes <= AGENTSTATS_KEEP_MAX) {
            agentstats_lock();
            if (agentstats_kept == NULL || agentstats_kept_bytes < bytes) {
                spare = agentstats_kept;
                agentstats_kept = p; agentstats_kept_bytes = bytes;
            }
            agentstats_unlock();
        }
        free(spare);
    }
    static size_t agentstats_release_scratch(void) {
        void *p; size_t bytes;
        agentstats_lock();
        p = agentstats_kept; bytes = agentstats_kept_bytes;
        agentstats_kept = NULL; agentstats_kept_bytes = 0;
        agentstats_unlock();
        free(p);
        return bytes;
    }
    /* cond (0 or 1) ? a : b in arithmetic: Cython writes a conditional expression as an
       if/else, which gcc may leave a branch (a mispredicted one, on unpredictable data). */
    static inline int64_t agentstats_select(uint64_t cond, int64_t a, int64_t b) {
        return (int64_t)((uint64_t)b ^ (((uint64_t)a ^ (uint64_t)b) & (0 - cond)));
    }
    static inline int64_t agentstats_max(int64_t a, int64_t b) { return a > b ? a : b; }
    /* Bits (255 * 5 + s) & 63 = 59..63: a row of a session still UNSEEN (_interleaved_rows). */
    #define AGENTSTATS_UNSEEN_BITS ((uint64_t)0x1F << 59)
    static inline uint64_t agentstats_pointer_hash(uint64_t p) {
        return ((p >> 4) * 0x9E3779B97F4A7C15ULL) >> 17;   /* objects are 16-byte aligned */
    }
    /* min and max of keys[a:b] (b > a) for key_range: four chains of scalar compares
       and selects cost ~6 instructions a key (12M of a 2M-row call's 250M), so on CPUs
       with AVX2 two 4-lane accumulator pairs take 8 keys a step (SSE2, the baseline,
       has no 64-bit compare). */
    static void agentstats_key_min_max_scalar(const int64_t *keys, int64_t a, int64_t b,
                                              int64_t *lo_out, int64_t *hi_out) {
        int64_t i = a, lo0 = keys[a], lo1 = keys[a], hi0 = keys[a], hi1 = keys[a];
        for (; i + 2 <= b; i += 2) {
            lo0 = keys[i] < lo0 ? keys[i] : lo0;  hi0 = keys[i] > hi0 ? keys[i] : hi0;
            lo1 = keys[i + 1] < lo1 ? keys[i + 1] : lo1;  hi1 = keys[i + 1] > hi1 ? keys[i + 1] : hi1;
        }
        for (; i < b; i++) {
            lo0 = keys[i] < lo0 ? keys[i] : lo0;  hi0 = keys[i] > hi0 ? keys[i] : hi0;
        }
        *lo_out = lo0 < lo1 ? lo0 : lo1;
        *hi_out = hi0 > hi1 ? hi0 : hi1;
    }
    #if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
    typedef int64_t agentstats_key_v4 __attribute__((vector_size(32)));
    __attribute__((target("avx2")))
    static void agentstats_key_min_max_avx2(const int64_t *keys, int64_t a, int64_t b,
                                            int64_t *lo_out, int64_t *hi_out) {
        int64_t i, k, lo, hi;
        agentstats_key_v4 x, y, m, lo0, lo1, hi0, hi1;
        if (b - a < 8) { agentstats_key_min_max_scalar(keys, a, b, lo_out, hi_out); return; }
        memcpy(&lo0, keys + a, 32); hi0 = lo0;
        memcpy(&lo1, keys + a + 4, 32); hi1 = lo1;
        for (i = a + 8; i + 8 <= b; i += 8) {
            memcpy(&x, keys + i, 32);
            memcpy(&y, keys + i + 4, 32);
            m = x < lo0; lo0 = (x & m) | (lo0 & ~m);
            m = x > hi0; hi0 = (x & m) | (hi0 & ~m);
            m = y < lo1; lo1 = (y & m) | (lo1 & ~m);
            m = y > hi1; hi1 = (y & m) | (hi1 & ~m);
        }
        m = lo1 < lo0; lo0 = (lo1 & m) | (lo0 & ~m);
        m = hi1 > hi0; hi0 = (hi1 & m) | (hi0 & ~m);
        lo = lo0[0]; hi = hi0[0];
        for (k = 1; k < 4; k++) {
            if (lo0[k] < lo) lo = lo0[k];
            if (hi0[k] > hi) hi = hi0[k];
        }
        for (; i < b; i++) {    /* the last 0-7 keys */
            if (keys[i] < lo) lo = keys[i];
            if (keys[i] > hi) hi = keys[i];
        }
        *lo_out = lo; *hi_out = hi;
    }
    #define AGENTSTATS_KEY_AVX2 1
    #else
    #define AGENTSTATS_KEY_AVX2 0
    #endif
    /* 1 when a wait of values[a:b] is negative and not missing (INT64_MIN < w < 0),
       else 0: the interleaved loop's check of each batch of rows it read, in L1 by
       then. Scalar: (uint64)w + INT64_MAX is below INT64_MAX exactly for such a w. */
    static inline int agentstats_negative_wait_scalar(const int64_t *values, int64_t a, int64_t b) {
        uint64_t lowest = UINT64_MAX, x;
        int64_t i;
        for (i = a; i < b; i++) {
            x = (uint64_t)values[i] + (uint64_t)INT64_MAX;
            lowest = x < lowest ? x : lowest;
        }
        return lowest < (uint64_t)INT64_MAX;
    }
    #if AGENTSTATS_KEY_AVX2
    __attribute__((target("avx2")))
    static int agentstats_negative_wait_avx2(const int64_t *values, int64_t a, int64_t b) {
        const agentstats_key_v4 zero = {0, 0, 0, 0};
        const agentstats_key_v4 missing = {INT64_MIN, INT64_MIN, INT64_MIN, INT64_MIN};
        agentstats_key_v4 x, y, bad = zero;
        int64_t i;
        for (i = a; i + 8 <= b; i += 8) {
            memcpy(&x, values + i, 32);
            memcpy(&y, values + i + 4, 32);
            bad |= ((x < zero) & (x > missing)) | ((y < zero) & (y > missing));
        }
        return ((bad[0] | bad[1] | bad[2] | bad[3]) != 0)
               | agentstats_negative_wait_scalar(values, i, b);
    }
    #endif
    static inline int agentstats_negative_wait(const int64_t *values, int64_t a, int64_t b, int vectors) {
    #if AGENTSTATS_KEY_AVX2
        if (vectors)
            return agentstats_negative_wait_avx2(values, a, b);
    #endif
        return agentstats_negative_wait_scalar(values, a, b);
    }
    static inline int agentstats_has_avx2(void) {
    #if AGENTSTATS_KEY_AVX2
        return __builtin_cpu_supports("avx2");
    #else
        return 0;
    #endif
    }
    static void agentstats_key_min_max(const int64_t *keys, int64_t a, int64_t b,
                                       int64_t *lo_out, int64_t *hi_out, int vectors) {
    #if AGENTSTATS_KEY_AVX2
        if (vectors && __builtin_cpu_supports("avx2")) {
            agentstats_key_min_max_avx2(keys, a, b, lo_out, hi_out);
            return;
        }
    #endif
        agentstats_key_min_max_scalar(keys, a, b, lo_out, hi_out);
    }
    """
    const int AGENTSTATS_OPENMP
    int agentstats_load_flag(int *p) noexcept nogil
    void agentstats_store_flag(int *p, int v) noexcept nogil
    double agentstats_now() noexcept nogil
    void agentstats_prefetch(const void *p) noexcept nogil
    void agentstats_prefetch_read(const void *p) noexcept nogil
    uint64_t agentstats_pointer_hash(uint64_t p) noexcept nogil
    int64_t agentstats_select(uint64_t cond, int64_t a, int64_t b) noexcept nogil
    const uint64_t AGENTSTATS_UNSEEN_BITS
    int64_t agentstats_max(int64_t a, int64_t b) noexcept nogil
    void* agentstats_alloc_huge(size_t bytes) noexcept nogil
    void* agentstats_take_scratch(size_t bytes, size_t* got) noexcept nogil
    void agentstats_keep_scratch(void* p, size_t bytes) noexcept nogil
    size_t agentstats_release_scratch() noexcept nogil
    void agentstats_key_min_max(const int64_t* keys, int64_t a, int64_t b, int64_t* lo_out,
                                int64_t* hi_out, int vectors) noexcept nogil
    int agentstats_negative_wait(const int64_t* values, int64_t a, int64_t b, int vectors) noexcept nogil
    int agentstats_has_avx2() noexcept nogil

# Entries of the unordered path's row buffer: row * 8 + state, in 4 bytes when the
# rows allow (half the memory and traffic), else in 8.
ctypedef fused order_t:
    uint32_t
    int64_t

# What scan_unordered's buffer holds (its `entries`): row numbers (4 or 8 bytes), or
# values (time - t_lo) * 8 + state, which phase 3 reads contiguously instead of
# gathering each row's time from all over the log.
ENTRIES = ("auto", "rows32", "rows64", "values")
cdef enum:
    _ENTRIES_AUTO = 0
    _ROWS32 = 1
    _ROWS64 = 2
    _VALUES = 3

# Status codes returned to aggregate.py.
STATUS_OK = 0
STATUS_NEEDS_ORDER = 1      # a session's rows are not in time order (scan: use scan_unordered)
STATUS_TIMEOUT = 2          # the deadline passed (TAPI_E_TIMEOUT)
STATUS_NO_MEMORY = 3        # malloc failed (E_OUTOFMEMORY)
STATUS_OVERFLOW = 4         # a total does not fit int64 (SPEC 2.13)
STATUS_BAD_CODE = 5         # a session code outside the state array (a caller bug)
STATUS_NEEDS_SERIAL = 7     # a thread boundary the merge cannot express: scan with one thread
STATUS_VALUES_UNFIT = 8     # entries="values" was asked for a log it cannot hold (tests)
STATUS_NEGATIVE_WAIT = 9    # scan: a wait is negative (the caller names the first such row)
cdef enum:
    _OK = 0
    _NEEDS_ORDER = 1
    _TIMEOUT = 2
    _NO_MEMORY = 3
    _OVERFLOW = 4
    _BAD_CODE = 5
    _STOPPED = 6            # another thread failed first
    _NEEDS_SERIAL = 7
    _VALUES_UNFIT = 8
    _NEGATIVE_WAIT = 9

# Columns of the per-thread counter array: SPEC 3 buckets, then extras.
COUNTER_NAMES = (
    "used", "duplicate", "after_end", "after_as_of", "invalid_state", "invalid_time",
    "off_table", "max_time", "first_off_table_row", "negative_wait",
)

ctypedef struct Counters:
    int64_t used
    int64_t duplicate
    int64_t after_end
    int64_t after_as_of
    int64_t invalid_state
    int64_t invalid_time
    int64_t off_table
    int64_t max_time
    int64_t first_off_table_row
    int64_t negative_wait        # scan: 1 when a wait of its rows is negative (not missing)

cdef enum:
    N_COUNTERS = 10

# Columns of finalize's output, one row per session, all int64 ticks or counts.
FINAL_COLUMNS = (
    "start", "end", "state", "duration", "talk", "wrap", "call", "calls",
    "wait_sum", "wait_n", "wait_max",
)
cdef enum:
    F_START = 0
    F_END = 1
    F_STATE = 2
    F_DURATION = 3
    F_TALK = 4
    F_WRAP = 5
    F_CALL = 6
    F_CALLS = 7
    F_WAIT_SUM = 8
    F_WAIT_N = 9
    F_WAIT_MAX = 10
    N_FINAL = 11

# Transitions SPEC 4.3 forbids, as bit (from * 5 + to): NOT_READY -> BUSY_ON_CALL,
# NOT_READY -> BUSY_WRAPUP, READY -> BUSY_WRAPUP, BUSY_WRAPUP -> BUSY_ON_CALL.
cdef enum:
    FORBIDDEN_TRANSITIONS = ((1 << (NOT_READY * 5 + BUSY_ON_CALL))
                             | (1 << (NOT_READY * 5 + BUSY_WRAPUP))
                             | (1 << (READY * 5 + BUSY_WRAPUP))
                             | (1 << (BUSY_WRAPUP * 5 + BUSY_ON_CALL)))

# Transitions that end a clean run (_apply_run): the forbidden ones, a state repeated
# (a duplicate row, SPEC 3) and anything after SESSION_ENDED.
cdef enum:
    NOT_CLEAN_TRANSITIONS = (FORBIDDEN_TRANSITIONS
                             | (1 << (NOT_READY * 6)) | (1 << (READY * 6))
                             | (1 << (BUSY_ON_CALL * 6)) | (1 << (BUSY_WRAPUP * 6))
                             | (0x1F << (SESSION_ENDED * 5)))

cdef enum:
    CHECK_EVERY = 1 << 16   # rows between deadline / stop-flag checks
    PREFETCH_AHEAD = 32     # rows ahead whose session state is prefetched
    PREFETCH_MIN_BYTES = 1 << 20    # session states smaller than this are not prefetched
    WAIT_BATCH = 256        # short-path rows whose calls' waits are applied together
    LOCAL_ROWS = 1 << 15    # a session with more rows than this is sorted in place
    MAX_SLOT_BITS = 16      # value entries: at most 2**16 sessions share a bucket
    BUCKET_ROWS = 1 << 17   # value entries: rows a bucket holds at most (unless one slot)
    TIME_BINS = 1 << 13     # value entries: coarse time bins of a bucket (32 KB of counts)
    SPREAD_MIN_ROWS = 1 << 14   # value entries: a bucket this large is spread by time first


def release_scratch() -> int:
    """Free the private states a multi-thread `scan` keeps for the next call (at most
    64 MiB: 64 bytes a session per thread after the first); returns the bytes freed."""
    return agentstats_release_scratch()


def openmp_enabled() -> bool:
    """True when the extension was compiled with OpenMP (else n_threads runs serially)."""
    return bool(AGENTSTATS_OPENMP)


def key_range(const int64_t[::1] keys, int max_threads=2, bint vectors=True) -> tuple:
    """(min, max) of a non-empty int64 array in one pass (dense-key detection), split
    over two threads (at most `max_threads`) for large arrays when OpenMP is there: a
    scalar min/max chain is slower than memory. AVX2 compares where the CPU has them;
    `vectors=False` forces the scalar loop (the tests compare both)."""
    cdef Py_ssize_t n = keys.shape[0]
    cdef Py_ssize_t bounds[3]
    cdef int64_t lo[2]
    cdef int64_t hi[2]
    cdef int part, parts = 2 if n >= 1 << 20 and max_threads >= 2 else 1
    if n == 0:
        raise ValueError("key_range of an empty array")
    bounds[0], bounds[1], bounds[2] = 0, n // parts, n
    with nogil, parallel(num_threads=parts):
        for part in prange(parts, schedule="static", chunksize=1):
            agentstats_key_min_max(&keys[0], bounds[part], bounds[part + 1], &lo[part], &hi[part],
                                   vectors)
    if parts == 1:
        return lo[0], hi[0]
    return min(lo[0], lo[1]), max(hi[0], hi[1])


# Integer state columns the kernel reads directly (uint8 needs no pass at all).
ctypedef fused raw_state_t:
    int8_t
    int16_t
    int32_t
    int64_t
    uint16_t
    uint32_t
    uint64_t

# The state columns the interleaved loop reads in place: one compiled loop for each.
ctypedef fused scan_state_t:
    uint8_t
    int64_t

# Switches of the interleaved loop given as types, so that Cython writes one C function
# for each combination (state type x wait column x prefetch): with bint arguments the
# loop was specialised only where gcc chose to inline it, and past 8 copies it did not
# (106 instead of 87 instructions a row).
ctypedef int8_t _off_t
ctypedef int16_t _on_t
ctypedef fused wait_mode_t:
    _off_t
    _on_t
ctypedef fused fetch_mode_t:
    _off_t
    _on_t
ctypedef fused rows_mode_t:
    _off_t
    _on_t

cdef enum:
    PARALLEL_MIN_ROWS = 1 << 20     # below this a pass over the rows takes one thread
    PARALLEL_MIN_SESSIONS = 1 << 17  # below this finalize takes one thread


def state_codes(const raw_state_t[::1] raw, uint8_t[::1] out, int max_threads=2) -> None:
    """out[i] = raw[i] when it is a state 0..4, else 255 (invalid_state): one pass over
    an integer state column of any width, on two threads (at most `max_threads`) for
    large columns. Negative values wrap to large unsigned ones, so one comparison
    decides (the loop has no branch and gcc vectorises it)."""
    cdef Py_ssize_t n = raw.shape[0], i
    cdef int parts = 2 if n >= PARALLEL_MIN_ROWS and max_threads >= 2 else 1
    if out.shape[0] != n:
        raise ValueError("out must be as long as raw")
    if n == 0:
        return
    with nogil:
        for i in prange(n, schedule="static", num_threads=parts):
            out[i] = <uint8_t>raw[i] if <uint64_t>raw[i] <= SESSION_ENDED else 255


def first_negative(const int64_t[::1] values, int max_threads=2) -> int:
    """The first row whose value is negative but not INT64_MIN (missing), or -1: the
    check of a wait column in one pass (two threads for large columns)."""
    cdef Py_ssize_t n = values.shape[0]
    cdef Py_ssize_t bounds[3]
    cdef int64_t found[2]
    cdef int part, parts = 2 if n >= PARALLEL_MIN_ROWS and max_threads >= 2 else 1
    if n == 0:
        return -1
    bounds[0], bounds[1], bounds[2] = 0, n // parts, n
    with nogil, parallel(num_threads=parts):
        for part in prange(parts, schedule="static", chunksize=1):
            found[part] = _first_negative(&values[0], bounds[part], bounds[part + 1])
    if found[0] >= 0 or parts == 1:
        return found[0]
    return found[1]


cdef int64_t _first_negative(const int64_t* values, Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    """First i in a..b-1 with INT64_MIN < values[i] < 0, else -1; blocks of 256 rows
    are tested without a branch, and only a block that holds one is searched."""
    cdef Py_ssize_t i, j, k
    cdef int any_bad
    i = a
    while i < b:
        j = min(i + 256, b)
        any_bad = 0
        for k in range(i, j):
            any_bad |= (values[k] < 0) & (values[k] != INT64_MIN)
        if any_bad:
            for k in range(i, j):
                if values[k] < 0 and values[k] != INT64_MIN:
                    return k
        i = j
    return -1


cdef int _factorise_pointers(
    const uint64_t* objects, int64_t n, int64_t* codes, int64_t* first_rows,
    int64_t max_distinct, int64_t* n_distinct,
) noexcept nogil:
    """Codes by object identity (first-seen order) with an open-addressing table that
    doubles as it fills; gives up (_NEEDS_ORDER reused as "too many") past
    max_distinct distinct objects."""
    cdef uint64_t capacity = 1 << 12, mask, h, ptr
    cdef uint64_t* table = <uint64_t*>calloc(2 * capacity, sizeof(uint64_t))
    cdef uint64_t* grown
    cdef int64_t i, j, distinct = 0
    if table == NULL:
        return _NO_MEMORY
    mask = capacity - 1
    for i in range(n):
        if i + PREFETCH_AHEAD < n:
            agentstats_prefetch_read(&table[2 * (agentstats_pointer_hash(objects[i + PREFETCH_AHEAD]) & mask)])
        ptr = objects[i]
        h = agentstats_pointer_hash(ptr) & mask
        while table[2 * h] != ptr and table[2 * h] != 0:
            h = (h + 1) & mask
        if table[2 * h] == ptr:
            codes[i] = <int64_t>table[2 * h + 1]
            continue
        if distinct == max_distinct:
            free(table)
            return _NEEDS_ORDER
        table[2 * h] = ptr
        table[2 * h + 1] = distinct
        codes[i] = distinct
        first_rows[distinct] = i
        distinct += 1
        if <uint64_t>distinct * 2 > capacity:          # keep the load under one half
            grown = <uint64_t*>calloc(4 * capacity, sizeof(uint64_t))
            if grown == NULL:
                free(table)
                return _NO_MEMORY
            for j in range(capacity):
                if table[2 * j] != 0:
                    h = agentstats_pointer_hash(table[2 * j]) & (2 * capacity - 1)
                    while grown[2 * h] != 0:
                        h = (h + 1) & (2 * capacity - 1)
                    grown[2 * h] = table[2 * j]
                    grown[2 * h + 1] = table[2 * j + 1]
            free(table)
            table = grown
            capacity *= 2
            mask = capacity - 1
    free(table)
    n_distinct[0] = distinct
    return _OK


def factorise_objects(object keys, int64_t[::1] codes, int64_t[::1] first_rows) -> int:
    """Factorise a contiguous object array by object identity: codes[i] numbers the
    distinct *objects* in first-seen order and first_rows[c] is where object c first
    appears. Equal keys held by different objects get different codes here; the caller
    merges them by value over the (few) distinct objects. Returns the number of
    distinct objects, or -1 when there are more than len(first_rows) of them."""
    cdef int64_t n = codes.shape[0], distinct = 0
    cdef int status
    if keys.dtype != object or not keys.flags.c_contiguous or keys.shape[0] != n:
        raise ValueError("keys must be a contiguous object array as long as codes")
    if n == 0:
        return 0
    cdef const uint64_t* objects = <const uint64_t*><size_t>keys.ctypes.data
    cdef int64_t limit = first_rows.shape[0]
    with nogil:
        status = _factorise_pointers(objects, n, &codes[0], &first_rows[0] if limit else NULL,
                                     limit, &distinct)
    if status == _NO_MEMORY:
        raise MemoryError("factorise_objects: no memory for the hash table")
    return -1 if status != _OK else distinct


def head_in_time_order(
    const int64_t[::1] codes, const int64_t[::1] time, const uint8_t[::1] state,
    int state_width, int64_t as_of, Py_ssize_t sample=4096,
) -> bool:
    """False when, among the first `sample` rows, a session has a row earlier than one
    before it, counting only the rows the scan would apply (valid time and state, not
    after as_of); `state` as for scan (the bytes of uint8 or int64 states). One pass
    with a small open-addressing table of each session's latest time (~20 us for 4096
    rows; the NumPy argsort it replaces took ~0.2 ms of a 2 ms call)."""
    cdef Py_ssize_t n = min(codes.shape[0], sample), k
    cdef uint64_t capacity = 16, mask, h
    cdef int64_t t, code
    cdef uint64_t raw
    cdef bint ordered = True
    if time.shape[0] < n or state.shape[0] < n * state_width or (state_width != 1 and state_width != 8):
        raise ValueError("time and state must cover the sample (state_width 1 or 8)")
    while capacity < 2 * <uint64_t>n:
        capacity *= 2
    mask = capacity - 1
    cdef int64_t* keys = <int64_t*>malloc(capacity * sizeof(int64_t))
    cdef int64_t* latest = <int64_t*>malloc(capacity * sizeof(int64_t))
    cdef uint8_t* used = <uint8_t*>calloc(capacity, 1)
    if keys == NULL or latest == NULL or used == NULL:
        free(keys); free(latest); free(used)
        raise MemoryError("head_in_time_order: no memory for its table")
    with nogil:
        for k in range(n):
            t = time[k]
            raw = (<const int64_t*>&state[0])[k] if state_width == 8 else state[k]
            if t == INT64_MIN or raw > SESSION_ENDED or t > as_of:
                continue                  # a SPEC 3 bucket: the scan does not stop there
            code = codes[k]
            h = ((<uint64_t>code) * 0x9E3779B97F4A7C15ULL) >> 40 & mask
            while used[h] and keys[h] != code:
                h = (h + 1) & mask
            if used[h] and t < latest[h]:
                ordered = False
                break
            used[h] = 1
            keys[h] = code
            latest[h] = t
    free(keys); free(latest); free(used)
    return ordered


def session_state_itemsize() -> int:
    """sizeof(SessionState): aggregate.py checks its NumPy dtype against it."""
    return sizeof(SessionState)


# -- applying one row (SPEC 2, 3) -----------------------------------------------------


cdef inline void _add_wait(SessionState* st, int64_t w) noexcept nogil:
    """A call with a known wait (SPEC 2.8, 2.9); sums saturate and are caught at finalize."""
    cdef uint64_t total = st.wait_sum + <uint64_t>w
    st.wait_sum = total if total >= st.wait_sum else UINT64_MAX
    if st.wait_n != UINT32_MAX:
        st.wait_n += 1
    if w > st.wait_max:
        st.wait_max = w


cdef inline int _apply_row(
    SessionState* st, int64_t t, uint8_t s, int64_t row, const int64_t* wait, Counters* c,
) noexcept nogil:
    """Apply one valid row (time not missing, state 0..4, not after as_of) to its
    session, given that the session's earlier rows were applied before it."""
    cdef uint8_t current = st.state
    cdef uint64_t elapsed, changed, entered_call, forbidden
    if current == UNSEEN:
        # The session's first event: its start and initial state (SPEC 2, 2.5).
        st.first_time = t
        st.last_time = t
        st.state = s
        c.used += 1
        if s == BUSY_ON_CALL:
            st.calls = 1
            if wait != NULL and wait[row] != INT64_MIN:
                _add_wait(st, wait[row])
        return _OK
    if t < st.last_time:
        return _NEEDS_ORDER           # SPEC 1.1: not in time order within the session
    if current == SESSION_ENDED:
        c.after_end += 1
        return _OK
    # Time since the last row belongs to the state in force (a duplicate row only
    # splits that interval); written without branches on the state, which is
    # unpredictable in interleaved logs.
    elapsed = <uint64_t>t - <uint64_t>st.last_time
    st.talk += elapsed & (0 - <uint64_t>(current == BUSY_ON_CALL))
    st.wrap += elapsed & (0 - <uint64_t>(current == BUSY_WRAPUP))
    st.last_time = t
    changed = s != current
    c.used += changed
    c.duplicate += 1 - changed
    forbidden = changed & ((FORBIDDEN_TRANSITIONS >> (current * 5 + s)) & 1)
    if forbidden:                      # SPEC 3.3; rare in real logs
        c.off_table += 1
        if row < c.first_off_table_row:
            c.first_off_table_row = row
    st.state = s
    entered_call = changed & (s == BUSY_ON_CALL)
    st.calls += entered_call
    if wait != NULL and entered_call and wait[row] != INT64_MIN:   # loop-invariant test first
        _add_wait(st, wait[row])
    return _OK


cdef inline void _reset(Counters* c) noexcept nogil:
    c.used = c.duplicate = c.after_end = c.after_as_of = 0
    c.invalid_state = c.invalid_time = c.off_table = 0
    c.max_time = INT64_MIN
    c.first_off_table_row = INT64_MAX
    c.negative_wait = 0


cdef inline void _store(Counters* c, int64_t* out) noexcept nogil:
    memcpy(out, c, sizeof(Counters))


cdef inline int _classify(int64_t t, uint8_t s, int64_t as_of, Counters* c) noexcept nogil:
    """SPEC 3: 1 when the row goes to invalid_time, invalid_state or after_as_of (the
    first buckets that fit, in this order), else 0. Tracks the latest valid time."""
    if t == INT64_MIN:
        c.invalid_time += 1
        return 1
    if s > SESSION_ENDED:
        c.invalid_state += 1
        return 1
    if t > as_of:
        c.after_as_of += 1
        return 1
    if t > c.max_time:
        c.max_time = t
    return 0


# -- the ordered path ---------------------------------------------------------------


cdef inline int _interrupted(int* stop, double deadline) noexcept nogil:
    """_STOPPED when another thread failed, _TIMEOUT past the deadline, else _OK."""
    if agentstats_load_flag(stop):
        return _STOPPED
    if deadline > 0 and agentstats_now() > deadline:
        return _TIMEOUT
    return _OK


cdef inline bint _apply_run(
    SessionState* st, const int64_t* time, const uint8_t* state, const int64_t* wait,
    int64_t a, int64_t b, int64_t as_of, Counters* c,
) noexcept nogil:
    """Rows a..b-1 of one session, which follow a row already applied to `st`. When the
    run is clean -- every row valid, not after as_of, in time order, a change of state
    that SPEC 4.3 allows, nothing after SESSION_ENDED: the usual case -- apply it with
    one branch-free loop (exactly what _apply_row would do row by row) and return True;
    otherwise change nothing and return False, for the caller to go row by row."""
    cdef int64_t i, t, prev_t = st.last_time, calls = 0
    cdef uint64_t elapsed, talk = 0, wrap = 0, bad = 0
    cdef uint8_t s, prev_s = st.state       # 0..4: the row before was applied
    for i in range(a, b):
        t = time[i]
        s = state[i]
        # t < prev_t also catches a missing time (INT64_MIN; prev_t is a valid time)
        bad |= ((t < prev_t) | (s > SESSION_ENDED)
                | ((NOT_CLEAN_TRANSITIONS >> ((prev_s * 5 + s) & 63)) & 1))
        elapsed = <uint64_t>t - <uint64_t>prev_t
        talk += elapsed & (0 - <uint64_t>(prev_s == BUSY_ON_CALL))
        wrap += elapsed & (0 - <uint64_t>(prev_s == BUSY_WRAPUP))
        calls += s == BUSY_ON_CALL
        prev_t = t
        prev_s = s
    if bad or prev_t > as_of:       # times rise through the run: its last is the latest
        return False
    st.talk += talk
    st.wrap += wrap
    st.calls += calls
    st.last_time = prev_t
    st.state = prev_s
    c.used += b - a
    if prev_t > c.max_time:
        c.max_time = prev_t
    if wait != NULL:
        for i in range(a, b):
            if state[i] == BUSY_ON_CALL and wait[i] != INT64_MIN:
                _add_wait(st, wait[i])
    return True


cdef inline int _apply_rows(
    SessionState* st, int64_t slot, const int64_t* time, const uint8_t* state,
    const int64_t* wait, int64_t a, int64_t b, int64_t as_of, int64_t* first_rows,
    Counters* c,
) noexcept nogil:
    """Rows a..b-1 of one session, one at a time (SPEC 3 buckets, then _apply_row)."""
    cdef int64_t i
    cdef int status
    for i in range(a, b):
        if _classify(time[i], state[i], as_of, c):
            continue
        if first_rows != NULL and st.state == UNSEEN:
            first_rows[slot] = i
        status = _apply_row(st, time[i], state[i], i, wait, c)
        if status != _OK:
            return status
    return _OK


cdef int _interleaved_rows(
    const int64_t* codes, int64_t base, const int64_t* time, const scan_state_t* state,
    const int64_t* wait, int64_t begin, int64_t end, int64_t n_slots,
    SessionState* sessions, int64_t* first_rows, Counters* c, int64_t as_of,
    fetch_mode_t fetch_mode, wait_mode_t wait_mode, rows_mode_t rows_mode, int64_t* stopped_at,
) noexcept nogil:
    """Rows begin..end of the interleaved loop, with no interrupt check; one function
    for each state type, wait column (wait_mode_t) and prefetch (fetch_mode_t): the
    mode arguments only pick it. First-row records (`first_rows` not NULL) are kept
    on the slow path only. `state` holds uint8 states or int64 ones, read in place
    (any value outside 0..4 is invalid_state, as state_codes would have made it).
    With a wait column every row's wait is also checked for a negative value (not
    missing): c.negative_wait is set, the rows are still applied (the caller raises).

    The usual row -- valid, in time order, a change of state SPEC 4.3 allows in a
    session already started and not ended -- takes a short path with no
    data-dependent branch (the state in force and whether a call has a wait are
    unpredictable in an interleaved log): masks instead, the wait saturating as in
    _add_wait. Any other row (and a session's first) goes through _classify and
    _apply_row exactly as before, so the two cannot disagree. Stops at a failing row
    (stopped_at).

    With a wait column and states that stay in L2 (no prefetch), the short path only
    notes a row that enters a call (a store
    and an add, no branch); after every WAIT_BATCH rows, and before returning, the
    noted rows' waits go through _add_wait, where the branches are predictable (a
    wait is rarely missing, a new maximum rare). The sum, count and maximum do not
    depend on the order the waits are added in (the sum saturates at one value), so
    the states are those of row-by-row order at every return."""
    cdef int64_t k, slot, t, w, last, batch_begin, batch_end, stopped = end
    cdef uint8_t s, current
    cdef uint64_t elapsed, raw, entered_call, has, total
    cdef int64_t pending[WAIT_BATCH]    # short-path rows entering a call, this batch
    cdef int64_t n_pending, j, row
    # every batch's waits are checked for a negative one after it, in AVX2 where the
    # CPU has it (4 a compare; 3 scalar instructions a row inside the loop before)
    cdef int vectors = agentstats_has_avx2()
    cdef bint negative_wait = False
    cdef uint64_t first_valid = <uint64_t>INT64_MIN + 1
    # t is a valid time not after as_of <=> t - (INT64_MIN + 1) <= as_of - (INT64_MIN + 1)
    # as unsigned numbers: one comparison for invalid_time and after_as_of.
    cdef uint64_t valid_span = <uint64_t>as_of - first_valid
    cdef SessionState* st
    cdef int64_t max_time = c.max_time, short_rows = 0
    cdef int status = _OK
    cdef bint prefetch = fetch_mode_t is _on_t
    cdef bint with_wait = wait_mode_t is _on_t
    cdef bint with_first_rows = rows_mode_t is _on_t
    batch_begin = begin
    while batch_begin < end:
        # one batch without a wait column: the loop is the plain row loop
        batch_end = min(batch_begin + WAIT_BATCH, end) if with_wait else end
        n_pending = 0
        for k in range(batch_begin, batch_end):
            if prefetch:
                # With many interleaved sessions a row's session state is rarely in
                # L1/L2, and the loads of different rows do not depend on each other.
                agentstats_prefetch(&sessions[codes[k + PREFETCH_AHEAD] - base])
            slot = codes[k] - base
            t = time[k]
            raw = <uint64_t>state[k]             # a negative int64 state: huge, invalid
            s = <uint8_t>raw                     # the state when raw <= SESSION_ENDED
            if (<uint64_t>slot >= <uint64_t>n_slots) | (<uint64_t>t - first_valid > valid_span) | (raw > SESSION_ENDED):
                if <uint64_t>slot >= <uint64_t>n_slots:
                    status = _BAD_CODE
                    stopped = k
                    break
                # SPEC 3: counts the row's bucket
                _classify(t, s if raw <= SESSION_ENDED else UNSEEN, as_of, c)
                continue
            st = &sessions[slot]
            current = st.state
            last = st.last_time
            # Left to _apply_row: NOT_CLEAN_TRANSITIONS (forbidden, repeated, after
            # SESSION_ENDED) and a session's first row (UNSEEN's bits: 59..63).
            if (t < last) | (((<uint64_t>NOT_CLEAN_TRANSITIONS | AGENTSTATS_UNSEEN_BITS)
                              >> ((current * 5 + s) & 63)) & 1):
                max_time = agentstats_max(max_time, t)     # as _classify would track it
                if with_first_rows and current == UNSEEN:
                    first_rows[slot] = k
                status = _apply_row(st, t, s, k, wait, c)
                if status != _OK:
                    stopped = k
                    break
                continue
            max_time = agentstats_max(max_time, t)
            short_rows += 1
            elapsed = <uint64_t>t - <uint64_t>last
            # wrap follows talk (_types.pxd): one add, to talk in BUSY_ON_CALL, to wrap in
            # BUSY_WRAPUP, of 0 (to talk or wrap) in the other states
            (<uint64_t*>(<char*>&st.talk + (((current - BUSY_ON_CALL) & 1) << 3)))[0] += (
                elapsed & (0 - <uint64_t>(<uint8_t>(current - BUSY_ON_CALL) <= 1)))
            st.last_time = t
            st.state = s
            entered_call = s == BUSY_ON_CALL    # a change of state: entering a call
            st.calls += entered_call
            if with_wait and prefetch:
                # states beyond L2: a second visit after the batch would miss the cache
                # again, so the call's wait is applied here, with masks (as _add_wait)
                w = wait[k]
                has = entered_call & (w != INT64_MIN)
                total = st.wait_sum + (<uint64_t>w & (0 - has))
                st.wait_sum = total | (0 - <uint64_t>(total < st.wait_sum))    # saturates
                st.wait_n += has & (st.wait_n != UINT32_MAX)
                # w when the call has one, else -1 (no larger than any maximum)
                st.wait_max = agentstats_max(st.wait_max, <int64_t>((<uint64_t>w & (0 - has)) | (has - 1)))
            elif with_wait:
                pending[n_pending] = k          # kept only when it entered a call
                n_pending += entered_call
        if with_wait:
            negative_wait |= agentstats_negative_wait(wait, batch_begin, batch_end, vectors)
            for j in range(n_pending):
                row = pending[j]
                if wait[row] != INT64_MIN:
                    _add_wait(&sessions[codes[row] - base], wait[row])
        if status != _OK:
            break
        batch_begin = batch_end
    stopped_at[0] = stopped
    c.used += short_rows
    c.max_time = max_time
    if with_wait and negative_wait:
        c.negative_wait = 1
    return status


cdef inline int _interleaved_block(
    const int64_t* codes, int64_t base, const int64_t* time, const scan_state_t* state,
    const int64_t* wait, int64_t begin, int64_t end, int64_t prefetch_end, int64_t n_slots,
    SessionState* sessions, int64_t* first_rows, Counters* c, int64_t as_of,
    wait_mode_t wait_mode,
) noexcept nogil:
    """Rows begin..end: prefetching the state of the row PREFETCH_AHEAD on while that
    row is in the range, when the states are larger than PREFETCH_MIN_BYTES (smaller
    ones stay in L2, where the prefetch only costs instructions)."""
    cdef int64_t fetch_end = max(begin, min(end, prefetch_end)), stopped_at
    cdef int status
    cdef _on_t on = 1
    cdef _off_t off = 0
    if n_slots * <int64_t>sizeof(SessionState) <= PREFETCH_MIN_BYTES:
        fetch_end = begin
    elif first_rows != NULL:
        status = _interleaved_rows(codes, base, time, state, wait, begin, fetch_end, n_slots,
                                   sessions, first_rows, c, as_of, on, wait_mode, on, &stopped_at)
    else:
        status = _interleaved_rows(codes, base, time, state, wait, begin, fetch_end, n_slots,
                                   sessions, first_rows, c, as_of, on, wait_mode, off, &stopped_at)
    if fetch_end > begin and status != _OK:
        return status
    if fetch_end < end:
        if first_rows != NULL:
            return _interleaved_rows(codes, base, time, state, wait, fetch_end, end, n_slots,
                                     sessions, first_rows, c, as_of, off, wait_mode, on,
                                     &stopped_at)
        return _interleaved_rows(codes, base, time, state, wait, fetch_end, end, n_slots,
                                 sessions, first_rows, c, as_of, off, wait_mode, off, &stopped_at)
    return _OK


cdef inline uint8_t _state_at(const void* state, bint wide, int64_t k) noexcept nogil:
    """Row k's state as the uint8 code the row functions take: 0..4, else UNSEEN
    (invalid_state); `wide`: the column holds int64 states."""
    cdef uint64_t raw
    if wide:
        raw = <uint64_t>(<const int64_t*>state)[k]
    else:
        raw = (<const uint8_t*>state)[k]
    return <uint8_t>raw if raw <= SESSION_ENDED else UNSEEN


cdef int _scan_interleaved(
    const int64_t* codes, int64_t base, const int64_t* time, const scan_state_t* state,
    const int64_t* wait, int64_t begin, int64_t end, int64_t n_slots,
    SessionState* sessions, int64_t* first_rows, Counters* counters, int64_t as_of,
    double deadline, int* stop,
) noexcept nogil:
    """The interleaved loop of _scan_rows: each row updates its session's state in
    place, prefetched a few rows ahead, the deadline and stop flag checked between
    blocks of CHECK_EVERY rows. Its own function with its own copy of the counters, so
    that the compiler keeps them in registers (with the grouped loop's calls in the
    same function they lived on the stack: a load and a store a row); one loop for
    each state column type, wait column and prefetch (_interleaved_rows)."""
    cdef int64_t k, block_end
    cdef int64_t prefetch_end = end - PREFETCH_AHEAD
    cdef Counters c = counters[0]
    cdef int status = _OK
    cdef _on_t on = 1
    cdef _off_t off = 0
    if as_of == INT64_MIN:              # no row can be applied: every one is a bucket
        for k in range(begin, end):
            if <uint64_t>(codes[k] - base) >= <uint64_t>n_slots:
                status = _BAD_CODE
                break
            _classify(time[k], <uint8_t>state[k] if <uint64_t>state[k] <= SESSION_ENDED else UNSEEN,
                      as_of, &c)
        if wait != NULL and status == _OK and _first_negative(wait, begin, end) >= 0:
            c.negative_wait = 1
        counters[0] = c
        return status
    k = begin
    while k < end:
        status = _interrupted(stop, deadline)
        if status != _OK:
            break
        block_end = min(k + CHECK_EVERY, end)
        if wait != NULL:
            status = _interleaved_block(codes, base, time, state, wait, k, block_end,
                                        prefetch_end, n_slots, sessions, first_rows, &c,
                                        as_of, on)
        else:
            status = _interleaved_block(codes, base, time, state, wait, k, block_end,
                                        prefetch_end, n_slots, sessions, first_rows, &c,
                                        as_of, off)
        if status != _OK:
            break
        k = block_end
    counters[0] = c
    return status


cdef int _scan_rows(
    const int64_t* codes, int64_t base, const int64_t* time, const void* state,
    const int64_t* wait, int64_t begin, int64_t end, int64_t n_slots,
    SessionState* sessions, int64_t* first_rows, int64_t* counters, int64_t as_of,
    double deadline, int* stop, bint grouped, bint wide,
) noexcept nogil:
    """Apply rows begin..end in input order to `sessions`. When `first_rows` is not
    NULL, `sessions` is a thread's private partial state and first_rows[slot] records
    the row that started each slot there, for the merge. `state`: uint8 states, or
    int64 ones when `wide` (the interleaved loop only: scan converts them for the
    grouped one). Counters.negative_wait tells whether a wait of these rows is negative.

    Two loops, chosen per layout (PERF-NOTES): when rows of a session come in runs
    (`grouped`), each run's first row goes through _apply_row and the rest of the run,
    when clean, through one branch-free loop (_apply_run); otherwise each row updates
    its session's state in place, prefetched a few rows ahead."""
    cdef int64_t k, j, slot, code, used_before, next_check = begin
    cdef int64_t prefetch_end = end - PREFETCH_AHEAD
    cdef SessionState* st
    cdef Counters c
    cdef int status = _OK
    _reset(&c)
    if grouped:
        # the run loop reads a wait only on calls: one pass checks all of them
        if wait != NULL and _first_negative(wait, begin, end) >= 0:
            c.negative_wait = 1
        k = begin
        while k < end:
            if k >= next_check:
                next_check = k + CHECK_EVERY
                status = _interrupted(stop, deadline)
                if status != _OK:
                    break
            code = codes[k]
            j = k + 1
            while j < end and codes[j] == code:
                j += 1
            slot = code - base
            if <uint64_t>slot >= <uint64_t>n_slots:
                status = _BAD_CODE
                break
            st = &sessions[slot]
            used_before = c.used + c.duplicate
            status = _apply_rows(st, slot, time, <const uint8_t*>state, wait, k, k + 1, as_of,
                                 first_rows, &c)
            if status != _OK:
                break
            if j - k > 1 and (c.used + c.duplicate == used_before
                              or not _apply_run(st, time, <const uint8_t*>state, wait, k + 1, j,
                                                as_of, &c)):
                status = _apply_rows(st, slot, time, <const uint8_t*>state, wait, k + 1, j, as_of,
                                     first_rows, &c)
                if status != _OK:
                    break
            k = j
    elif wide:
        status = _scan_interleaved(codes, base, time, <const int64_t*>state, wait, begin, end,
                                   n_slots, sessions, first_rows, &c, as_of, deadline, stop)
    else:
        status = _scan_interleaved(codes, base, time, <const uint8_t*>state, wait, begin, end,
                                   n_slots, sessions, first_rows, &c, as_of, deadline, stop)
    if status != _OK and status != _STOPPED:
        agentstats_store_flag(stop, 1)
    _store(&c, counters)
    return status


cdef int _merge_partial(
    SessionState* into, const SessionState* part, const int64_t* first_rows,
    int64_t n_slots, const void* state, bint wide, const int64_t* wait, int64_t* counters,
) noexcept nogil:
    """Fold a later row range's partial states into `into` (the states after all
    earlier rows), exactly as if its rows had been applied after them. Each partial
    session began with its first row treated as a first event; only that row's bucket,
    the interval up to it and its transition depend on the earlier state."""
    cdef int64_t slot, row, gap
    cdef SessionState* p
    cdef const SessionState* q
    cdef uint8_t first_state
    cdef uint64_t total
    cdef Counters* c = <Counters*>counters
    for slot in range(n_slots):
        q = &part[slot]
        if q.state == UNSEEN:
            continue
        p = &into[slot]
        if p.state == UNSEEN:
            p[0] = q[0]
            continue
        if q.first_time < p.last_time:
            return _NEEDS_ORDER
        if p.state == SESSION_ENDED:
            return _NEEDS_SERIAL          # every partial row would be after_end
        row = first_rows[slot]
        first_state = _state_at(state, wide, row)      # a state applied: 0..4
        gap = q.first_time - p.last_time
        if p.state == BUSY_ON_CALL:
            p.talk += <uint64_t>gap
        elif p.state == BUSY_WRAPUP:
            p.wrap += <uint64_t>gap
        if first_state == p.state:        # the first row was a duplicate after all
            c.used -= 1
            c.duplicate += 1
            if first_state == BUSY_ON_CALL:
                if wait != NULL and wait[row] != INT64_MIN:
                    return _NEEDS_SERIAL  # its wait cannot be taken out of the maximum
                p.calls -= 1
        elif (FORBIDDEN_TRANSITIONS >> (p.state * 5 + first_state)) & 1:
            c.off_table += 1
            if row < c.first_off_table_row:
                c.first_off_table_row = row
        p.talk += q.talk
        p.wrap += q.wrap
        p.calls += q.calls
        total = p.wait_sum + q.wait_sum
        p.wait_sum = total if total >= p.wait_sum else UINT64_MAX
        p.wait_n = p.wait_n + q.wait_n if <uint64_t>p.wait_n + q.wait_n < UINT32_MAX else UINT32_MAX
        if q.wait_max > p.wait_max:
            p.wait_max = q.wait_max
        p.last_time = q.last_time
        p.state = q.state
    return _OK


cdef void _fresh_states(SessionState* states, int64_t n) noexcept nogil:
    """n unseen session states, every byte written in one pass (a zeroing pass and
    then the two fields cost three passes over 64 bytes a session)."""
    cdef int64_t i
    cdef SessionState fresh
    memset(&fresh, 0, sizeof(SessionState))
    fresh.state = UNSEEN
    fresh.wait_max = -1
    for i in range(n):
        states[i] = fresh


def fresh_states(unsigned char[::1] sessions) -> None:
    """Make every SessionState in these bytes unseen (aggregate's _new_states): one
    pass, so that a fresh buffer needs no zeroing of its own."""
    if sessions.shape[0] % sizeof(SessionState) != 0:
        raise ValueError("session state buffer is not a whole number of SessionState")
    if sessions.shape[0] == 0:
        return
    with nogil:
        _fresh_states(<SessionState*>&sessions[0], sessions.shape[0] // sizeof(SessionState))


def scan(
    const int64_t[::1] codes,
    int64_t base,
    const int64_t[::1] time,
    const uint8_t[::1] state,
    const int64_t[::1] wait,
    unsigned char[::1] sessions,
    int64_t[:, ::1] counters,
    *,
    bint has_wait,
    int64_t as_of,
    double deadline,
    bint grouped=False,
    int state_width=1,
) -> int:
    """One pass over the rows in input order, updating `sessions` (the bytes of a
    SessionState array). With n_threads = len(counters) > 1 each thread takes a
    contiguous range of rows into private partial states, merged in order afterwards
    (identical results); the private states stay allocated for the next call when
    they take at most 64 MiB (a fresh buffer costs a page fault a page: up to 30 ms at
    200k sessions here), until release_scratch(). `grouped` picks the loop for logs
    whose sessions come in runs of rows (any value gives the same results).

    `state` is the bytes of uint8 states (`state_width` 1: anything above 4 invalid)
    or of int64 states (`state_width` 8: anything outside 0..4 invalid), read in place
    by the interleaved loop, so an int64 column needs no conversion pass. Every wait
    is checked on the way: a negative one (not missing) gives STATUS_NEGATIVE_WAIT
    once all rows are applied (first_negative finds the row). Returns a STATUS_*; on
    anything but STATUS_OK the session states are partly updated and the caller must
    restore its snapshot."""
    cdef Py_ssize_t n_rows = codes.shape[0]
    cdef int n_threads = <int>counters.shape[0]
    cdef int64_t n_slots = sessions.shape[0] // sizeof(SessionState)
    cdef int t, status = _OK
    cdef int stop = 0
    cdef bint wide = state_width == 8
    cdef uint8_t* narrow = NULL
    cdef Py_ssize_t k
    if state_width != 1 and state_width != 8:
        raise ValueError("state_width must be 1 (uint8 states) or 8 (int64 states)")
    _check_arrays(codes, time, state, wait, has_wait, sessions, counters, state_width)
    counters[:, :] = 0
    if n_rows == 0:
        return STATUS_OK
    cdef const int64_t* codes_p = &codes[0]
    cdef const int64_t* time_p = &time[0]
    cdef const void* state_p = &state[0]
    if wide and grouped:
        # The run loop takes uint8 states: convert once (grouped logs are not the
        # time-ordered ones this width is for).
        narrow = <uint8_t*>malloc(n_rows)
        if narrow == NULL:
            return STATUS_NO_MEMORY
        with nogil:
            for k in range(n_rows):
                narrow[k] = _state_at(state_p, True, k)
        state_p = narrow
        wide = False
    cdef const int64_t* wait_p = &wait[0] if has_wait else NULL
    cdef SessionState* sessions_p = <SessionState*>&sessions[0]
    cdef int64_t* counters_p = &counters[0, 0]
    cdef int64_t rows_per_thread = (n_rows + n_threads - 1) // n_threads
    # Threads after the first get private states and first-row records.
    cdef SessionState** partial = <SessionState**>calloc(n_threads, sizeof(SessionState*))
    cdef int64_t** first_rows = <int64_t**>calloc(n_threads, sizeof(int64_t*))
    cdef int* statuses = <int*>calloc(n_threads, sizeof(int))
    # One block for all the private states, kept for the next call (agentstats_keep_scratch).
    cdef size_t kept_bytes = 0
    cdef SessionState* private = NULL
    if n_threads > 1:
        private = <SessionState*>agentstats_take_scratch(
            (n_threads - 1) * n_slots * sizeof(SessionState) + 1, &kept_bytes)
    if partial == NULL or first_rows == NULL or statuses == NULL or (n_threads > 1 and private == NULL):
        free(partial); free(first_rows); free(statuses); free(private); free(narrow)
        return STATUS_NO_MEMORY
    partial[0] = sessions_p
    for t in range(1, n_threads):
        partial[t] = private + (t - 1) * n_slots
        first_rows[t] = <int64_t*>malloc(n_slots * sizeof(int64_t) + 1)
        if first_rows[t] == NULL:
            status = _NO_MEMORY
    if status == _OK:
        with nogil, parallel(num_threads=n_threads):
            for t in prange(n_threads, schedule="static", chunksize=1):
                if t > 0:
                    _fresh_states(partial[t], n_slots)
                statuses[t] = _scan_rows(
                    codes_p, base, time_p, state_p, wait_p,
                    min(t * rows_per_thread, <int64_t>n_rows),
                    min((t + 1) * rows_per_thread, <int64_t>n_rows), n_slots,
                    partial[t], first_rows[t], counters_p + t * N_COUNTERS, as_of, deadline, &stop,
                    grouped, wide,
                )
        status = _first_failure(statuses, n_threads)
    with nogil:
        for t in range(1, n_threads):
            if status != _OK:
                break
            status = _merge_partial(sessions_p, partial[t], first_rows[t], n_slots, state_p,
                                    wide, wait_p, counters_p)
    if status == _OK:
        for t in range(n_threads):
            if (<Counters*>(counters_p + t * N_COUNTERS)).negative_wait:
                status = _NEGATIVE_WAIT
    agentstats_keep_scratch(private, kept_bytes)
    for t in range(1, n_threads):
        free(first_rows[t])
    free(partial); free(first_rows); free(statuses); free(narrow)
    return status


# -- the unordered path -------------------------------------------------------------


cdef inline bint _before(int64_t time_a, int64_t key_a, int64_t time_b, int64_t key_b) noexcept nogil:
    return time_a < time_b or (time_a == time_b and key_a < key_b)


cdef void _merge_sort_pairs(int64_t* times, int64_t* keys, int64_t* tmp_t, int64_t* tmp_k,
                            int64_t n) noexcept nogil:
    """Stable sort of (time, key) pairs by time, in buffers that fit in cache."""
    cdef int64_t i, j, k, mid, t, key
    if n < 16:
        _insertion_sort_pairs(times, keys, n, n * n)
        return
    mid = n // 2
    _merge_sort_pairs(times, keys, tmp_t, tmp_k, mid)
    _merge_sort_pairs(times + mid, keys + mid, tmp_t, tmp_k, n - mid)
    if times[mid - 1] <= times[mid]:
        return
    memcpy(tmp_t, times, mid * sizeof(int64_t))
    memcpy(tmp_k, keys, mid * sizeof(int64_t))
    i = 0
    j = mid
    k = 0
    while i < mid and j < n:
        if times[j] < tmp_t[i]:           # strictly: ties keep the left (earlier) row
            times[k] = times[j]
            keys[k] = keys[j]
            j += 1
        else:
            times[k] = tmp_t[i]
            keys[k] = tmp_k[i]
            i += 1
        k += 1
    while i < mid:
        times[k] = tmp_t[i]
        keys[k] = tmp_k[i]
        i += 1
        k += 1


cdef bint _insertion_sort_pairs(int64_t* times, int64_t* keys, int64_t n, int64_t budget) noexcept nogil:
    """Stable insertion sort by time; gives up (returns False, data still a permutation
    in stable partial order) once it has moved more than `budget` elements."""
    cdef int64_t i, j, t, key, moves = 0
    for i in range(1, n):
        t = times[i]
        if times[i - 1] <= t:
            continue
        key = keys[i]
        j = i
        while j > 0 and times[j - 1] > t:
            times[j] = times[j - 1]
            keys[j] = keys[j - 1]
            j -= 1
        times[j] = t
        keys[j] = key
        moves += i - j
        if moves > budget:
            return False
    return True


cdef void _sort_session(int64_t* times, int64_t* keys, int64_t n, int64_t t_min, int64_t t_max,
                        int64_t* tmp_t, int64_t* tmp_k, int64_t* bucket_start) noexcept nogil:
    """Stable sort of one session's (time, key) pairs by time. Times inside a session
    are spread over its span, so a distribution into n buckets by value followed by an
    insertion pass is O(n) expected; a skewed spread falls back to merge sort."""
    cdef int64_t i, b, pos
    cdef double scale
    if n < 32 or t_max == t_min:
        if not _insertion_sort_pairs(times, keys, n, 4 * n):
            _merge_sort_pairs(times, keys, tmp_t, tmp_k, n)
        return
    scale = <double>(n - 1) / <double>(<uint64_t>t_max - <uint64_t>t_min)
    memset(bucket_start, 0, (n + 1) * sizeof(int64_t))
    for i in range(n):
        b = min(<int64_t>(<double>(<uint64_t>times[i] - <uint64_t>t_min) * scale), n - 1)
        bucket_start[b + 1] += 1
    for b in range(n):
        bucket_start[b + 1] += bucket_start[b]
    for i in range(n):
        # monotonic in time, so equal times share a bucket and keep their order
        b = min(<int64_t>(<double>(<uint64_t>times[i] - <uint64_t>t_min) * scale), n - 1)
        pos = bucket_start[b]
        bucket_start[b] = pos + 1
        tmp_t[pos] = times[i]
        tmp_k[pos] = keys[i]
    memcpy(times, tmp_t, n * sizeof(int64_t))
    memcpy(keys, tmp_k, n * sizeof(int64_t))
    if not _insertion_sort_pairs(times, keys, n, 8 * n):
        _merge_sort_pairs(times, keys, tmp_t, tmp_k, n)


cdef inline bint _key_before(const int64_t* time, int64_t a, int64_t b) noexcept nogil:
    return _before(time[a >> 3], a, time[b >> 3], b)


cdef void _sift_down(order_t* keys, const int64_t* time, int64_t root, int64_t n) noexcept nogil:
    cdef int64_t child, largest
    cdef order_t tmp
    while 2 * root + 1 < n:
        child = 2 * root + 1
        largest = root
        if _key_before(time, keys[largest], keys[child]):
            largest = child
        if child + 1 < n and _key_before(time, keys[largest], keys[child + 1]):
            largest = child + 1
        if largest == root:
            return
        tmp = keys[root]
        keys[root] = keys[largest]
        keys[largest] = tmp
        root = largest


cdef void _heap_sort_keys(order_t* keys, const int64_t* time, int64_t n) noexcept nogil:
    """In-place sort of packed row keys by (time, row), for sessions too large for the
    local buffer: no extra memory, O(n log n)."""
    cdef int64_t start, end
    cdef order_t tmp
    start = n // 2 - 1
    while start >= 0:
        _sift_down(keys, time, start, n)
        start -= 1
    end = n - 1
    while end > 0:
        tmp = keys[0]
        keys[0] = keys[end]
        keys[end] = tmp
        _sift_down(keys, time, 0, end)
        end -= 1


cdef int _count_rows(
    const int64_t* codes, int64_t base, const int64_t* time, const uint8_t* state,
    int64_t begin, int64_t end, int64_t n_slots, int64_t* counts, int64_t as_of,
    int64_t* counters, int64_t* low,
) noexcept nogil:
    """Phase 1: classify rows begin..end (SPEC 3 first buckets), count the valid rows of
    each session slot and find the earliest valid time (`low`)."""
    cdef int64_t k, slot, t, earliest = INT64_MAX
    cdef Counters c
    _reset(&c)
    for k in range(begin, end):
        slot = codes[k] - base
        if <uint64_t>slot >= <uint64_t>n_slots:
            return _BAD_CODE
        t = time[k]
        if _classify(t, state[k], as_of, &c):
            continue
        earliest = min(earliest, t)
        counts[slot] += 1
    _store(&c, counters)
    low[0] = earliest
    return _OK


cdef inline bint _left_out(int64_t t, uint8_t s, int64_t as_of) noexcept nogil:
    """The rows phase 1 put in a SPEC 3 bucket (_classify), which phase 2 leaves out."""
    return t == INT64_MIN or s > SESSION_ENDED or t > as_of


cdef void _place_rows(const int64_t* codes, int64_t base, const int64_t* time,
                      const uint8_t* state, int64_t begin, int64_t end, int64_t as_of,
                      int64_t* cursor, order_t* order) noexcept nogil:
    """Phase 2: a stable counting sort of the valid rows by session slot. Each entry
    packs the row and its state as row * 8 + state, so phase 3 reads no state column."""
    cdef int64_t k, slot, t
    cdef uint8_t s
    for k in range(begin, end):
        t = time[k]
        s = state[k]
        if _left_out(t, s, as_of):
            continue                  # counted in phase 1
        slot = codes[k] - base
        order[cursor[slot]] = <order_t>((k << 3) | s)
        cursor[slot] += 1


cdef void _place_values(const int64_t* codes, int64_t base, const int64_t* time,
                        const uint8_t* state, int64_t begin, int64_t end, int64_t as_of,
                        int64_t t_lo, int shift, int64_t* cursor, uint64_t* order) noexcept nogil:
    """Phase 2 with value entries: a stable counting sort of the valid rows by bucket
    (slot >> shift: a few hundred write streams, not one per session), each entry
    ((time - t_lo) << shift | slot within the bucket) * 8 + state."""
    cdef int64_t k, slot, t
    cdef uint64_t slot_mask = (<uint64_t>1 << shift) - 1
    cdef uint8_t s
    for k in range(begin, end):
        t = time[k]
        s = state[k]
        if _left_out(t, s, as_of):
            continue                  # counted in phase 1
        slot = codes[k] - base
        order[cursor[slot >> shift]] = (((<uint64_t>t - <uint64_t>t_lo) << shift
                                         | (<uint64_t>slot & slot_mask)) << 3) | s
        cursor[slot >> shift] += 1


cdef bint _insertion_sort_values(uint64_t* v, int64_t n, int64_t budget) noexcept nogil:
    """Stable insertion sort of value entries by time (v >> 3); gives up (returns False,
    still a permutation) once it has moved more than `budget` entries."""
    cdef int64_t i, j, moves = 0
    cdef uint64_t x
    for i in range(1, n):
        x = v[i]
        if (v[i - 1] >> 3) <= (x >> 3):
            continue
        j = i
        while j > 0 and (v[j - 1] >> 3) > (x >> 3):
            v[j] = v[j - 1]
            j -= 1
        v[j] = x
        moves += i - j
        if moves > budget:
            return False
    return True


cdef void _merge_sort_values(uint64_t* v, uint64_t* tmp, int64_t n) noexcept nogil:
    """Stable merge sort of value entries by time, for a skewed spread of times."""
    cdef int64_t i, j, k, mid
    if n < 16:
        _insertion_sort_values(v, n, n * n)
        return
    mid = n // 2
    _merge_sort_values(v, tmp, mid)
    _merge_sort_values(v + mid, tmp, n - mid)
    if (v[mid - 1] >> 3) <= (v[mid] >> 3):
        return
    memcpy(tmp, v, mid * sizeof(uint64_t))
    i = 0
    j = mid
    k = 0
    while i < mid and j < n:
        if (v[j] >> 3) < (tmp[i] >> 3):        # strictly: ties keep the earlier row
            v[k] = v[j]
            j += 1
        else:
            v[k] = tmp[i]
            i += 1
        k += 1
    memcpy(v + k, tmp + i, (mid - i) * sizeof(uint64_t))


cdef uint64_t* _sort_values(uint64_t* v, int64_t n, uint64_t* tmp,
                            int64_t* bucket_start) noexcept nogil:
    """Stable sort of one session's value entries by time; returns where the sorted
    entries are (`v` itself, or `tmp`). Same method as _sort_session: a distribution
    into n buckets by time, then an insertion pass, merge sort if the spread is skewed."""
    cdef int64_t i, b, pos
    cdef uint64_t low = v[0] >> 3, high = low, r
    cdef bint ordered = True
    cdef double scale
    for i in range(1, n):
        r = v[i] >> 3
        ordered &= r >= (v[i - 1] >> 3)
        low = min(low, r)
        high = max(high, r)
    if ordered:
        return v
    if n < 32 or high == low:
        if not _insertion_sort_values(v, n, 4 * n):
            _merge_sort_values(v, tmp, n)
        return v
    scale = <double>(n - 1) / <double>(high - low)
    memset(bucket_start, 0, (n + 1) * sizeof(int64_t))
    for i in range(n):
        b = min(<int64_t>(<double>((v[i] >> 3) - low) * scale), n - 1)
        bucket_start[b + 1] += 1
    for b in range(n):
        bucket_start[b + 1] += bucket_start[b]
    for i in range(n):
        # monotonic in time, so equal times share a bucket and keep their order
        b = min(<int64_t>(<double>((v[i] >> 3) - low) * scale), n - 1)
        pos = bucket_start[b]
        bucket_start[b] = pos + 1
        tmp[pos] = v[i]
    if not _insertion_sort_values(tmp, n, 8 * n):
        _merge_sort_values(tmp, v, n)
    return tmp


cdef int _apply_values(SessionState* st, const uint64_t* v, int64_t n, int64_t t_lo,
                       Counters* c) noexcept nogil:
    """One session's value entries, sorted by time: the first through _apply_row (it may
    start the session or follow an earlier chunk), the rest with one branch-free pass
    when clean (as _apply_run), else row by row. No row numbers: no waits, and an
    off-table row is counted without its row (scan_unordered's need_rows)."""
    cdef int64_t i, calls = 0
    cdef uint64_t x, r, prev_r, elapsed, talk = 0, wrap = 0, bad = 0
    cdef uint8_t s, prev_s
    cdef int status = _apply_row(st, <int64_t>((v[0] >> 3) + <uint64_t>t_lo), v[0] & 7,
                                 INT64_MAX, NULL, c)
    if status != _OK or n == 1:
        return status
    prev_r = v[0] >> 3
    prev_s = st.state
    for i in range(1, n):
        x = v[i]
        r = x >> 3
        s = x & 7
        bad |= (NOT_CLEAN_TRANSITIONS >> (prev_s * 5 + s)) & 1
        elapsed = r - prev_r
        talk += elapsed & (0 - <uint64_t>(prev_s == BUSY_ON_CALL))
        wrap += elapsed & (0 - <uint64_t>(prev_s == BUSY_WRAPUP))
        calls += s == BUSY_ON_CALL
        prev_r = r
        prev_s = s
    if not bad:
        st.talk += talk
        st.wrap += wrap
        st.calls += calls
        st.last_time = <int64_t>(prev_r + <uint64_t>t_lo)
        st.state = prev_s
        c.used += n - 1
        return _OK
    for i in range(1, n):
        status = _apply_row(st, <int64_t>((v[i] >> 3) + <uint64_t>t_lo), v[i] & 7,
                            INT64_MAX, NULL, c)
        if status != _OK:
            return status
    return _OK


cdef void _spread_by_time(const uint64_t* order, int64_t n, int shift, uint64_t* out,
                          uint32_t* bins) noexcept nogil:
    """A stable counting sort of a bucket's value entries by coarse time into `out`:
    TIME_BINS equal bins over the bucket's own time range (bins: TIME_BINS + 1 counts).
    The slot pass that follows keeps this order, so each session comes out nearly
    sorted by time and its own sort is mostly one insertion pass."""
    cdef int64_t k
    cdef int bin_shift = 0, time_shift = 3 + shift
    cdef uint64_t e, low = UINT64_MAX, high = 0, t_low, b
    cdef uint32_t pos, running = 0, count
    for k in range(n):
        e = order[k]
        low = min(low, e)
        high = max(high, e)
    t_low = low >> time_shift
    while ((high >> time_shift) - t_low) >> bin_shift >= TIME_BINS:
        bin_shift += 1
    memset(bins, 0, (TIME_BINS + 1) * sizeof(uint32_t))
    for k in range(n):
        bins[((order[k] >> time_shift) - t_low) >> bin_shift] += 1
    for k in range(TIME_BINS):
        count = bins[k]
        bins[k] = running
        running += count
    for k in range(n):
        e = order[k]
        b = ((e >> time_shift) - t_low) >> bin_shift
        pos = bins[b]
        bins[b] = pos + 1
        out[pos] = e


cdef int _apply_value_buckets(
    const uint64_t* order, const int64_t* starts, int64_t n_slots, int shift,
    int64_t group_rows, int64_t b_lo, int64_t b_hi, SessionState* sessions,
    int64_t* counters, int64_t t_lo, double deadline, int* stop,
) noexcept nogil:
    """Phase 3 with value entries: for each bucket, a stable counting sort of its entries
    by coarse time (a large bucket only: _spread_by_time), then one by session into a
    cache-resident buffer of group_rows entries; each session is then sorted by time
    (an insertion pass, or _sort_values when that would be long) and applied while
    still in cache."""
    cdef int64_t b, i, k, slot, n, first, last, row0, m
    cdef uint64_t e, slot_mask = (<uint64_t>1 << shift) - 1
    cdef uint64_t* group = <uint64_t*>malloc((2 * group_rows + 2 * LOCAL_ROWS + 1) * sizeof(uint64_t))
    cdef int64_t* cursor = <int64_t*>malloc((<int64_t>1 << shift) * sizeof(int64_t))
    cdef uint32_t* bins = <uint32_t*>malloc((TIME_BINS + 1) * sizeof(uint32_t))
    cdef uint64_t* tmp = group + group_rows
    cdef int64_t* bucket_start = <int64_t*>(group + group_rows + LOCAL_ROWS)
    cdef uint64_t* spread = group + group_rows + 2 * LOCAL_ROWS + 1
    cdef const uint64_t* source
    cdef uint64_t* v
    cdef bint spread_first
    cdef Counters c
    cdef int status = _OK
    if group == NULL or cursor == NULL or bins == NULL:
        free(group); free(cursor); free(bins)
        return _NO_MEMORY
    memcpy(&c, counters, sizeof(Counters))     # phase 1 counts of this thread index
    for b in range(b_lo, b_hi):
        status = _interrupted(stop, deadline)
        if status != _OK:
            break
        first = b << shift
        last = min(first + (<int64_t>1 << shift), n_slots)
        row0 = starts[first]
        m = starts[last] - row0
        spread_first = m >= SPREAD_MIN_ROWS
        source = order + row0
        if spread_first:
            _spread_by_time(source, m, shift, spread, bins)
            source = spread
        for i in range(last - first):
            cursor[i] = starts[first + i] - row0
        for k in range(m):
            e = source[k]
            i = (e >> 3) & slot_mask
            group[cursor[i]] = ((e >> (3 + shift)) << 3) | (e & 7)
            cursor[i] += 1
        for slot in range(first, last):
            n = starts[slot + 1] - starts[slot]
            if n == 0:
                continue
            v = group + starts[slot] - row0
            if not spread_first or not _insertion_sort_values(v, n, n):
                v = _sort_values(v, n, tmp, bucket_start)
            status = _apply_values(&sessions[slot], v, n, t_lo, &c)
            if status != _OK:
                break
        if status != _OK:
            break
    free(group)
    free(cursor)
    free(bins)
    if status != _OK and status != _STOPPED:
        agentstats_store_flag(stop, 1)
    _store(&c, counters)
    return status


cdef int _apply_sessions(
    const int64_t* time, const int64_t* wait, order_t* order, const int64_t* starts,
    int64_t slot_lo, int64_t slot_hi, SessionState* sessions, int64_t* counters,
    double deadline, int* stop,
) noexcept nogil:
    """Phase 3: for each session slot, sort its rows by time and apply them."""
    cdef int64_t slot, i, n, key, t, t_min, t_max
    cdef order_t* keys
    cdef int64_t* times
    cdef int64_t* local_keys
    cdef int64_t* buffer = <int64_t*>malloc((5 * LOCAL_ROWS + 1) * sizeof(int64_t))
    cdef bint ordered
    cdef Counters c
    cdef int status = _OK
    if buffer == NULL:
        return _NO_MEMORY
    memcpy(&c, counters, sizeof(Counters))     # phase 1 counts of this thread index
    times = buffer
    local_keys = buffer + 4 * LOCAL_ROWS
    for slot in range(slot_lo, slot_hi):
        if (slot & 1023) == 0:
            status = _interrupted(stop, deadline)
            if status != _OK:
                break
        keys = order + starts[slot]
        n = starts[slot + 1] - starts[slot]
        if slot + 1 < slot_hi:
            agentstats_prefetch_read(order + starts[slot + 1])
        if n <= LOCAL_ROWS:
            # Gather the session's times once into a cache-resident buffer; the rows
            # are scattered over the whole log, so ask for them well ahead.
            for i in range(min(n, PREFETCH_AHEAD)):
                agentstats_prefetch_read(&time[keys[i] >> 3])
            ordered = True
            t_min = INT64_MAX
            t_max = INT64_MIN
            for i in range(n):
                if i + PREFETCH_AHEAD < n:
                    agentstats_prefetch_read(&time[keys[i + PREFETCH_AHEAD] >> 3])
                key = keys[i]
                local_keys[i] = key
                t = time[key >> 3]
                times[i] = t
                t_min = min(t_min, t)
                t_max = max(t_max, t)
                if i and t < times[i - 1]:
                    ordered = False
            if not ordered:
                _sort_session(times, local_keys, n, t_min, t_max, buffer + LOCAL_ROWS,
                              buffer + 2 * LOCAL_ROWS, buffer + 3 * LOCAL_ROWS)
            for i in range(n):
                key = local_keys[i]
                status = _apply_row(&sessions[slot], times[i], key & 7, key >> 3, wait, &c)
                if status != _OK:
                    break
        else:
            for i in range(1, n):
                if time[keys[i] >> 3] < time[keys[i - 1] >> 3]:
                    _heap_sort_keys(keys, time, n)
                    break
            for i in range(n):
                key = keys[i]
                status = _apply_row(&sessions[slot], time[key >> 3], key & 7, key >> 3, wait, &c)
                if status != _OK:
                    break
        if status != _OK:
            break
    free(buffer)
    if status != _OK and status != _STOPPED:
        agentstats_store_flag(stop, 1)
    _store(&c, counters)
    return status


cdef int _place_and_apply(
    void* order, bint wide, const int64_t* codes, int64_t base, const int64_t* time,
    const uint8_t* state, const int64_t* wait, int n_threads, int64_t n_slots,
    int64_t n_valid, const int64_t* row_bounds, int64_t* slot_bounds, int64_t* counts,
    const int64_t* starts, int* statuses, SessionState* sessions, int64_t* counters,
    int64_t as_of, double deadline, int* stop,
) noexcept nogil:
    """Phases 2 and 3 of scan_unordered with row-number entries, 8 bytes each when
    `wide`, else 4. counts[t * (n_slots + 1) + slot] is thread t's count of the slot."""
    cdef int t
    cdef int64_t slot, n
    # Turn the counts into each thread's cursor: inside a slot, thread 0's rows first.
    for slot in range(n_slots):
        n = starts[slot]
        for t in range(n_threads):
            n += counts[t * (n_slots + 1) + slot]
            counts[t * (n_slots + 1) + slot] = n - counts[t * (n_slots + 1) + slot]
    with parallel(num_threads=n_threads):
        for t in prange(n_threads, schedule="static", chunksize=1):
            if wide:
                _place_rows(codes, base, time, state, row_bounds[t], row_bounds[t + 1],
                            as_of, counts + t * (n_slots + 1), <int64_t*>order)
            else:
                _place_rows(codes, base, time, state, row_bounds[t], row_bounds[t + 1],
                            as_of, counts + t * (n_slots + 1), <uint32_t*>order)
    # Phase 3: slot ranges holding about the same number of rows per thread.
    _split(starts, n_slots, n_valid, n_threads, slot_bounds)
    with parallel(num_threads=n_threads):
        for t in prange(n_threads, schedule="static", chunksize=1):
            if wide:
                statuses[t] = _apply_sessions(time, wait, <int64_t*>order, starts, slot_bounds[t],
                                              slot_bounds[t + 1], sessions,
                                              counters + t * N_COUNTERS, deadline, stop)
            else:
                statuses[t] = _apply_sessions(time, wait, <uint32_t*>order, starts, slot_bounds[t],
                                              slot_bounds[t + 1], sessions,
                                              counters + t * N_COUNTERS, deadline, stop)
    return _first_failure(statuses, n_threads)


cdef void _split(const int64_t* starts, int64_t n, int64_t total, int n_threads,
                 int64_t* bounds) noexcept nogil:
    """bounds[0..n_threads]: ranges of the n segments with about total / n_threads rows each."""
    cdef int t
    cdef int64_t i = 0
    bounds[0] = 0
    for t in range(1, n_threads):
        while i < n and starts[i] < (total * t) // n_threads:
            i += 1
        bounds[t] = i
    bounds[n_threads] = n


cdef int64_t _largest_bucket(const int64_t* starts, int64_t n_slots, int shift) noexcept nogil:
    """Rows in the largest bucket of 2**shift consecutive slots."""
    cdef int64_t b, largest = 0
    for b in range(((n_slots - 1) >> shift) + 1):
        largest = max(largest, starts[min((b + 1) << shift, n_slots)] - starts[b << shift])
    return largest


cdef int _values_place_and_apply(
    const int64_t* codes, int64_t base, const int64_t* time, const uint8_t* state,
    int n_threads, int64_t n_slots, int64_t n_valid, const int64_t* row_bounds,
    const int64_t* counts, const int64_t* starts, int* statuses, SessionState* sessions,
    int64_t* counters, int64_t as_of, int64_t t_lo, int64_t t_hi, double deadline, int* stop,
) noexcept nogil:
    """Phases 2 and 3 of scan_unordered with value entries (8 bytes a valid row, no
    session longer than LOCAL_ROWS, t_hi - t_lo < 2**61). Slots go to buckets of 2**shift
    consecutive slots, shift the largest that keeps every bucket within BUCKET_ROWS
    rows (phase 3's cache-resident buffer) and leaves the time span its bits."""
    cdef int t, shift, time_bits = 0
    cdef int64_t slot, b, pos, n_buckets, group_rows
    cdef int64_t* bucket_rows = NULL
    cdef int64_t* cursors = NULL
    cdef int64_t* bucket_bounds = NULL
    cdef uint64_t* order = NULL
    cdef int status = _NO_MEMORY
    while time_bits < 64 and (<uint64_t>t_hi - <uint64_t>t_lo) >> time_bits:
        time_bits += 1
    shift = min(MAX_SLOT_BITS, 61 - time_bits)
    group_rows = _largest_bucket(starts, n_slots, shift)
    while shift > 0 and group_rows > BUCKET_ROWS:
        shift -= 1          # shift 0: one slot a bucket, at most LOCAL_ROWS rows
        group_rows = _largest_bucket(starts, n_slots, shift)
    n_buckets = ((n_slots - 1) >> shift) + 1
    bucket_rows = <int64_t*>malloc((n_buckets + 1) * sizeof(int64_t))
    cursors = <int64_t*>malloc(n_threads * n_buckets * sizeof(int64_t))
    bucket_bounds = <int64_t*>malloc((n_threads + 1) * sizeof(int64_t))
    order = <uint64_t*>agentstats_alloc_huge((n_valid + 1) * sizeof(uint64_t))
    if bucket_rows != NULL and cursors != NULL and bucket_bounds != NULL and order != NULL:
        # Each thread's cursor in each bucket: inside a bucket, thread 0's rows first.
        for b in range(n_buckets):
            pos = starts[b << shift]
            bucket_rows[b] = pos
            for t in range(n_threads):
                cursors[t * n_buckets + b] = pos
                for slot in range(b << shift, min((b + 1) << shift, n_slots)):
                    pos += counts[t * (n_slots + 1) + slot]
        bucket_rows[n_buckets] = n_valid
        with parallel(num_threads=n_threads):
            for t in prange(n_threads, schedule="static", chunksize=1):
                _place_values(codes, base, time, state, row_bounds[t], row_bounds[t + 1], as_of,
                              t_lo, shift, cursors + t * n_buckets, order)
        _split(bucket_rows, n_buckets, n_valid, n_threads, bucket_bounds)
        with parallel(num_threads=n_threads):
            for t in prange(n_threads, schedule="static", chunksize=1):
                statuses[t] = _apply_value_buckets(order, starts, n_slots, shift, group_rows,
                                                   bucket_bounds[t], bucket_bounds[t + 1],
                                                   sessions, counters + t * N_COUNTERS, t_lo,
                                                   deadline, stop)
        status = _first_failure(statuses, n_threads)
    free(order); free(cursors); free(bucket_rows); free(bucket_bounds)
    return status


cdef int _choose_entries(int asked, bint fits_values, int64_t n_rows) noexcept nogil:
    """The entries of the row buffer: values when they fit (the fastest), else row
    numbers in 4 bytes when rows * 8 + state fits 32 bits, else in 8."""
    if asked == _ENTRIES_AUTO:
        if fits_values:
            return _VALUES
        return _ROWS64 if n_rows >= (1 << 29) else _ROWS32
    if asked == _VALUES and not fits_values:
        return -1
    if asked == _ROWS32 and n_rows >= (1 << 29):
        return _ROWS64
    return asked


def scan_unordered(
    const int64_t[::1] codes,
    int64_t base,
    const int64_t[::1] time,
    const uint8_t[::1] state,
    const int64_t[::1] wait,
    unsigned char[::1] sessions,
    int64_t[:, ::1] counters,
    *,
    bint has_wait,
    int64_t as_of,
    double deadline,
    bint need_rows=True,
    str entries="auto",
) -> int:
    """Apply rows in any order (SPEC 1.1): counting sort by session, then per session a
    stable sort by time and the same row update as `scan`.

    The sorted buffer holds values, (time - earliest) * 8 + state in 8 bytes a valid
    row, unless a row number is needed: for waits, for the first off-table row when
    `need_rows` (then `first_off_table_row` is exact, else left at INT64_MAX), for a
    session longer than LOCAL_ROWS (sorted in place) or a time span of 2**61 ticks or
    more; then it holds row numbers, 4 bytes a valid row below 2**29 rows, else 8.
    `entries` forces one kind for the tests (ENTRIES; "values" when they cannot hold
    this log gives STATUS_VALUES_UNFIT). Beyond that: O(sessions x threads)."""
    cdef Py_ssize_t n_rows = codes.shape[0]
    cdef int n_threads = <int>counters.shape[0]
    cdef int64_t n_slots = sessions.shape[0] // sizeof(SessionState)
    cdef int64_t t, slot, n, running, rows_per_thread, longest = 0
    cdef int64_t t_lo = INT64_MAX, t_hi = INT64_MIN
    cdef int status = _OK
    cdef int stop = 0
    cdef int kind = ENTRIES.index(entries)
    _check_arrays(codes, time, state, wait, has_wait, sessions, counters)
    counters[:, :] = 0
    if n_rows == 0:
        return STATUS_OK
    cdef const int64_t* codes_p = &codes[0]
    cdef const int64_t* time_p = &time[0]
    cdef const uint8_t* state_p = &state[0]
    cdef const int64_t* wait_p = &wait[0] if has_wait else NULL
    cdef SessionState* sessions_p = <SessionState*>&sessions[0]
    cdef int64_t* counters_p = &counters[0, 0]
    # counts[t * (n_slots + 1) + slot]: thread t's rows of each slot, then its cursor.
    cdef int64_t* counts = <int64_t*>calloc(n_threads * (n_slots + 1), sizeof(int64_t))
    cdef int64_t* starts = <int64_t*>malloc((n_slots + 1) * sizeof(int64_t))
    cdef int64_t* row_bounds = <int64_t*>malloc((n_threads + 1) * sizeof(int64_t))
    cdef int64_t* slot_bounds = <int64_t*>malloc((n_threads + 1) * sizeof(int64_t))
    cdef int64_t* lows = <int64_t*>malloc(n_threads * sizeof(int64_t))
    cdef int* statuses = <int*>calloc(n_threads, sizeof(int))
    cdef void* order = NULL
    if not (counts and starts and row_bounds and slot_bounds and lows and statuses):
        free(counts); free(starts); free(row_bounds); free(slot_bounds); free(lows)
        free(statuses)
        return STATUS_NO_MEMORY

    with nogil:
        rows_per_thread = (n_rows + n_threads - 1) // n_threads
        for t in range(n_threads + 1):
            row_bounds[t] = min(t * rows_per_thread, <int64_t>n_rows)
        with parallel(num_threads=n_threads):
            for t in prange(n_threads, schedule="static", chunksize=1):
                statuses[t] = _count_rows(codes_p, base, time_p, state_p, row_bounds[t],
                                          row_bounds[t + 1], n_slots, counts + t * (n_slots + 1),
                                          as_of, counters_p + t * N_COUNTERS, lows + t)
        status = _first_failure(statuses, n_threads)
        if status == _OK:
            running = 0
            for slot in range(n_slots):
                starts[slot] = running
                for t in range(n_threads):
                    running += counts[t * (n_slots + 1) + slot]
                longest = max(longest, running - starts[slot])
            starts[n_slots] = running
            for t in range(n_threads):
                t_lo = min(t_lo, lows[t])
                t_hi = max(t_hi, (<Counters*>(counters_p + t * N_COUNTERS)).max_time)
            kind = _choose_entries(
                kind, not has_wait and not need_rows and longest <= LOCAL_ROWS
                and (running == 0 or <uint64_t>t_hi - <uint64_t>t_lo < (<uint64_t>1 << 61)),
                n_rows)
            if kind < 0:
                status = _VALUES_UNFIT
            elif running == 0:
                pass                      # every row went to a SPEC 3 bucket in phase 1
            elif kind == _VALUES:
                status = _values_place_and_apply(
                    codes_p, base, time_p, state_p, n_threads, n_slots, running, row_bounds,
                    counts, starts, statuses, sessions_p, counters_p, as_of, t_lo, t_hi,
                    deadline, &stop)
            else:
                order = malloc((running + 1) * (sizeof(int64_t) if kind == _ROWS64 else sizeof(uint32_t)))
                if order == NULL:
                    status = _NO_MEMORY
                else:
                    status = _place_and_apply(order, kind == _ROWS64, codes_p, base, time_p,
                                              state_p, wait_p, n_threads, n_slots, running,
                                              row_bounds, slot_bounds, counts, starts, statuses,
                                              sessions_p, counters_p, as_of, deadline, &stop)
    free(order); free(counts); free(starts); free(row_bounds); free(slot_bounds); free(lows)
    free(statuses)
    return status


# -- finalize -----------------------------------------------------------------------


cdef int _finalize(
    const SessionState* sessions, int64_t n_slots, const int64_t* slots, int64_t m,
    int64_t as_of, int64_t* out, int64_t first, int64_t last, int64_t* bad,
) noexcept nogil:
    """Sessions first..last-1 of slots (of m in all: the stride of out's columns); on
    an overflow, bad[0] = the position of the session in slots."""
    cdef const SessionState* st
    cdef int64_t j, end
    cdef int64_t* row
    cdef uint64_t tail, talk, wrap, duration
    for j in range(first, last):
        if <uint64_t>slots[j] >= <uint64_t>n_slots:
            return _BAD_CODE
        st = &sessions[slots[j]]
        row = out + j            # column-major: field f of session j is row[f * m]
        end = st.last_time if st.state == SESSION_ENDED else as_of
        tail = <uint64_t>end - <uint64_t>st.last_time
        talk = st.talk + (tail if st.state == BUSY_ON_CALL else 0)
        wrap = st.wrap + (tail if st.state == BUSY_WRAPUP else 0)
        duration = <uint64_t>end - <uint64_t>st.first_time
        # Every state's time is a part of the duration, so checking the duration
        # (and that `end` is not before the last event) covers all tick totals.
        if (end < st.last_time or duration > <uint64_t>INT64_MAX
                or st.wait_sum > <uint64_t>INT64_MAX or st.wait_n == UINT32_MAX):
            bad[0] = j      # tells the caller which session
            return _OVERFLOW
        row[F_START * m] = st.first_time
        row[F_END * m] = end
        row[F_STATE * m] = st.state
        row[F_DURATION * m] = <int64_t>duration
        row[F_TALK * m] = <int64_t>talk
        row[F_WRAP * m] = <int64_t>wrap
        row[F_CALL * m] = <int64_t>(talk + wrap)
        row[F_CALLS * m] = st.calls
        row[F_WAIT_SUM * m] = <int64_t>st.wait_sum
        row[F_WAIT_N * m] = st.wait_n
        row[F_WAIT_MAX * m] = st.wait_max
    return _OK


def finalize(
    const unsigned char[::1] sessions,
    const int64_t[::1] slots,
    int64_t as_of,
    int64_t[:, ::1] out,
    int max_threads=2,
) -> int:
    """Close each listed session at its SESSION_ENDED or at `as_of` (SPEC 2) without
    changing the state: out[f, j] is field FINAL_COLUMNS[f] of session slots[j] (one
    contiguous array per field). Returns STATUS_OVERFLOW at the first session whose
    totals do not fit int64 (its position in `slots` is then in out[0, 0]). Two threads
    (at most `max_threads`) share the sessions of a large table, each its half."""
    cdef int64_t m = slots.shape[0]
    cdef int status
    if out.shape[0] != N_FINAL or out.shape[1] != m:
        raise ValueError("out must have shape (len(FINAL_COLUMNS), len(slots))")
    if sessions.shape[0] % sizeof(SessionState) != 0:
        raise ValueError("session state buffer is not a whole number of SessionState")
    if m == 0:
        return STATUS_OK
    cdef int64_t n_slots = sessions.shape[0] // sizeof(SessionState)
    cdef int64_t bounds[3]
    cdef int64_t bad[2]
    cdef int statuses[2]
    cdef int part, parts = 2 if m >= PARALLEL_MIN_SESSIONS and max_threads >= 2 else 1
    bounds[0], bounds[1], bounds[2] = 0, m // parts, m
    with nogil, parallel(num_threads=parts):
        for part in prange(parts, schedule="static", chunksize=1):
            statuses[part] = _finalize(<const SessionState*>&sessions[0], n_slots, &slots[0], m,
                                       as_of, &out[0, 0], bounds[part], bounds[part + 1],
                                       &bad[part])
    for part in range(parts):
        if statuses[part] != _OK:
            if statuses[part] == _OVERFLOW:
                out[0, 0] = bad[part]
            return statuses[part]
    return STATUS_OK


# -- helpers ------------------------------------------------------------------------


cdef int _first_failure(const int* statuses, int n_threads) noexcept nogil:
    """The first real failure; _STOPPED only means "another thread failed"."""
    cdef int t
    for t in range(n_threads):
        if statuses[t] != _OK and statuses[t] != _STOPPED:
            return statuses[t]
    return _OK


cdef int _check_arrays(
    const int64_t[::1] codes, const int64_t[::1] time, const uint8_t[::1] state,
    const int64_t[::1] wait, bint has_wait, unsigned char[::1] sessions,
    int64_t[:, ::1] counters, Py_ssize_t state_width=1,
) except -1:
    """The shape checks shared by scan and scan_unordered (callers are internal, but a
    mistake must raise, never read out of bounds)."""
    cdef Py_ssize_t n_rows = codes.shape[0]
    if (time.shape[0] != n_rows or state.shape[0] != n_rows * state_width
            or (has_wait and wait.shape[0] != n_rows)):
        raise ValueError("codes, time, state (and wait) must have the same length")
    if sessions.shape[0] % sizeof(SessionState) != 0:
        raise ValueError("session state buffer is not a whole number of SessionState")
    if counters.shape[0] < 1 or counters.shape[1] != N_COUNTERS:
        raise ValueError("counters must have shape (n_threads, len(COUNTER_NAMES))")
    return 0
