"""Typed loops of agentstats: one pass over the events, a counting sort, a finalize.

Everything that validates, converts dtypes or allocates lives in aggregate.py; these
functions take contiguous, already-normalised arrays, fill caller-allocated outputs and
return a status code. Compiler directives are set in setup.py, nowhere else.

Conventions (SPEC 1): times and waits are int64 ticks, INT64_MIN meaning missing;
states are uint8, anything above SESSION_ENDED is invalid; a session is an int64 code,
its slot in the session-state array is `code - base`.
"""

from cython.parallel cimport parallel, prange
from libc.stdint cimport INT64_MAX, INT64_MIN, UINT64_MAX, int64_t, uint8_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy

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
    """
    const int AGENTSTATS_OPENMP
    int agentstats_load_flag(int *p) noexcept nogil
    void agentstats_store_flag(int *p, int v) noexcept nogil
    double agentstats_now() noexcept nogil

# Status codes returned to aggregate.py.
STATUS_OK = 0
STATUS_NEEDS_ORDER = 1      # a session's rows are not in time order: sort, then scan again
STATUS_TIMEOUT = 2          # the deadline passed (TAPI_E_TIMEOUT)
STATUS_NO_MEMORY = 3        # malloc failed (E_OUTOFMEMORY)
STATUS_OVERFLOW = 4         # a total does not fit int64 (SPEC 2.13)
STATUS_BAD_CODE = 5         # a session code outside the state array (a caller bug)
cdef enum:
    _OK = 0
    _NEEDS_ORDER = 1
    _TIMEOUT = 2
    _NO_MEMORY = 3
    _OVERFLOW = 4
    _BAD_CODE = 5
    _STOPPED = 6            # another thread failed first

# Columns of the per-thread counter array (SPEC 3 buckets, then extras).
COUNTER_NAMES = (
    "used", "duplicate", "after_end", "after_as_of", "invalid_state", "invalid_time",
    "off_table", "max_time", "first_off_table_row",
)
cdef enum:
    C_USED = 0
    C_DUPLICATE = 1
    C_AFTER_END = 2
    C_AFTER_AS_OF = 3
    C_INVALID_STATE = 4
    C_INVALID_TIME = 5
    C_OFF_TABLE = 6
    C_MAX_TIME = 7
    C_FIRST_OFF_TABLE = 8
    N_COUNTERS = 9

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

cdef enum:
    CHECK_EVERY = 1 << 16   # rows between deadline / stop-flag checks


def openmp_enabled() -> bool:
    """True when the extension was compiled with OpenMP (else n_threads runs serially)."""
    return bool(AGENTSTATS_OPENMP)


def session_state_itemsize() -> int:
    """sizeof(SessionState): aggregate.py checks its NumPy dtype against it."""
    return sizeof(SessionState)


cdef inline void _enter_call(SessionState* st, const int64_t* wait, int64_t row) noexcept nogil:
    """A row entered BUSY_ON_CALL: count the call and its wait (SPEC 2.5, 2.8, 2.9)."""
    cdef int64_t w
    cdef uint64_t total
    st.calls += 1
    if wait == NULL:
        return
    w = wait[row]
    if w == INT64_MIN:          # this call has no wait
        return
    total = st.wait_sum + <uint64_t>w
    st.wait_sum = total if total >= st.wait_sum else UINT64_MAX   # saturate: caught at finalize
    st.wait_n += 1
    if w > st.wait_max:
        st.wait_max = w


cdef int _scan_rows(
    const int64_t* codes, int64_t base, const int64_t* time, const uint8_t* state,
    const int64_t* wait, const int64_t* order, int64_t begin, int64_t end,
    int64_t lo, int64_t hi, SessionState* sessions, int64_t* counters,
    int64_t as_of, double deadline, int* stop,
) noexcept nogil:
    """Classify and apply rows begin..end (positions in `order`, or rows when it is NULL)
    for the sessions in slots [lo, hi); rows of other sessions belong to other threads."""
    cdef int64_t k, row, slot, t
    cdef uint8_t s, current
    cdef uint64_t span = <uint64_t>(hi - lo), elapsed
    cdef SessionState* st
    cdef int64_t used = 0, duplicate = 0, after_end = 0, after_as_of = 0
    cdef int64_t invalid_state = 0, invalid_time = 0, off_table = 0
    cdef int64_t max_time = INT64_MIN, first_off_table = INT64_MAX
    cdef int status = _OK

    for k in range(begin, end):
        if (k & (CHECK_EVERY - 1)) == 0:
            if agentstats_load_flag(stop):
                status = _STOPPED
                break
            if deadline > 0 and agentstats_now() > deadline:
                status = _TIMEOUT
                break
        row = order[k] if order != NULL else k
        slot = codes[row] - base
        if <uint64_t>(slot - lo) >= span:
            continue
        t = time[row]
        s = state[row]
        # SPEC 3: the first bucket that fits, in this order.
        if t == INT64_MIN:
            invalid_time += 1
            continue
        if s > SESSION_ENDED:
            invalid_state += 1
            continue
        if t > as_of:
            after_as_of += 1
            continue
        if t > max_time:
            max_time = t
        st = &sessions[slot]
        current = st.state
        if current == UNSEEN:
            # The session's first event: its start and initial state (SPEC 2, 2.5).
            st.first_time = t
            st.last_time = t
            st.entry_time = t
            st.state = s
            used += 1
            if s == BUSY_ON_CALL:
                _enter_call(st, wait, row)
            continue
        if t < st.last_time:
            status = _NEEDS_ORDER       # SPEC 1.1: this reader's order is not time order
            break
        st.last_time = t
        if current == SESSION_ENDED:
            after_end += 1
            continue
        if s == current:
            duplicate += 1
            continue
        used += 1
        elapsed = <uint64_t>t - <uint64_t>st.entry_time
        if current == BUSY_ON_CALL:
            st.talk += elapsed
        elif current == BUSY_WRAPUP:
            st.wrap += elapsed
        if (FORBIDDEN_TRANSITIONS >> (current * 5 + s)) & 1:
            off_table += 1                 # SPEC 3.3
            if row < first_off_table:
                first_off_table = row
        st.state = s
        st.entry_time = t
        if s == BUSY_ON_CALL:
            _enter_call(st, wait, row)

    if status != _OK and status != _STOPPED:
        agentstats_store_flag(stop, 1)
    counters[C_USED] = used
    counters[C_DUPLICATE] = duplicate
    counters[C_AFTER_END] = after_end
    counters[C_AFTER_AS_OF] = after_as_of
    counters[C_INVALID_STATE] = invalid_state
    counters[C_INVALID_TIME] = invalid_time
    counters[C_OFF_TABLE] = off_table
    counters[C_MAX_TIME] = max_time
    counters[C_FIRST_OFF_TABLE] = first_off_table
    return status


def scan(
    const int64_t[::1] codes,
    int64_t base,
    const int64_t[::1] time,
    const uint8_t[::1] state,
    const int64_t[::1] wait,
    const int64_t[::1] order,
    const int64_t[::1] offsets,
    unsigned char[::1] sessions,
    const int64_t[::1] bounds,
    int64_t[:, ::1] counters,
    *,
    bint has_wait,
    int64_t as_of,
    double deadline,
) -> int:
    """One pass over the rows, updating `sessions` (the bytes of a SessionState array).

    Without `order` (empty) rows are read in input order and every thread reads them
    all, keeping the rows of its own session slots bounds[t]..bounds[t+1]. With `order`
    (from stable_order) each thread reads only its sessions' segments of it.
    Returns a STATUS_*; on anything but STATUS_OK the session states are partly updated
    and the caller must restore its snapshot.
    """
    cdef Py_ssize_t n_rows = codes.shape[0]
    cdef int n_threads = <int>(bounds.shape[0] - 1)
    cdef bint use_order = order.shape[0] > 0
    cdef int t, status = _OK
    cdef int stop = 0
    cdef int64_t begin, end
    if time.shape[0] != n_rows or state.shape[0] != n_rows:
        raise ValueError("codes, time and state must have the same length")
    if has_wait and wait.shape[0] != n_rows:
        raise ValueError("wait must have the same length as codes")
    if use_order and order.shape[0] != n_rows:
        raise ValueError("order must be empty or have one entry per row")
    if sessions.shape[0] % sizeof(SessionState) != 0:
        raise ValueError("session state buffer is not a whole number of SessionState")
    if n_threads < 1 or counters.shape[0] != n_threads or counters.shape[1] != N_COUNTERS:
        raise ValueError("bounds and counters disagree on the number of threads")
    if bounds[0] < 0 or bounds[n_threads] > <int64_t>(sessions.shape[0] // sizeof(SessionState)):
        raise ValueError("bounds outside the session state array")
    if use_order and offsets.shape[0] <= bounds[n_threads]:
        raise ValueError("offsets too short for bounds")
    if n_rows == 0:
        counters[:, :] = 0
        return STATUS_OK

    cdef const int64_t* codes_p = &codes[0]
    cdef const int64_t* time_p = &time[0]
    cdef const uint8_t* state_p = &state[0]
    cdef const int64_t* wait_p = &wait[0] if has_wait else NULL
    cdef const int64_t* order_p = &order[0] if use_order else NULL
    cdef SessionState* sessions_p = <SessionState*>&sessions[0]
    cdef int64_t* counters_p = &counters[0, 0]
    cdef int* status_p = <int*>malloc(sizeof(int) * n_threads)
    if status_p == NULL:
        return STATUS_NO_MEMORY

    with nogil, parallel(num_threads=n_threads):
        for t in prange(n_threads, schedule="static", chunksize=1):
            if use_order:
                begin = offsets[bounds[t]]
                end = offsets[bounds[t + 1]]
            else:
                begin = 0
                end = n_rows
            status_p[t] = _scan_rows(
                codes_p, base, time_p, state_p, wait_p, order_p, begin, end,
                bounds[t], bounds[t + 1], sessions_p, counters_p + t * N_COUNTERS,
                as_of, deadline, &stop,
            )

    # The first real failure wins; _STOPPED only means "another thread failed".
    for t in range(n_threads):
        if status_p[t] != _OK and status_p[t] != _STOPPED:
            status = status_p[t]
            break
    free(status_p)
    return status


cdef void _merge_sort(int64_t* rows, int64_t* tmp, int64_t n, const int64_t* key) noexcept nogil:
    """Stable sort of row numbers by key[row] (ties keep their order: SPEC 1.1)."""
    cdef int64_t i, j, k, mid, row
    if n < 24:
        for i in range(1, n):
            row = rows[i]
            j = i
            while j > 0 and key[rows[j - 1]] > key[row]:
                rows[j] = rows[j - 1]
                j -= 1
            rows[j] = row
        return
    mid = n // 2
    _merge_sort(rows, tmp, mid, key)
    _merge_sort(rows + mid, tmp, n - mid, key)
    if key[rows[mid - 1]] <= key[rows[mid]]:
        return
    memcpy(tmp, rows, mid * sizeof(int64_t))
    i = 0
    j = mid
    k = 0
    while i < mid and j < n:
        if key[rows[j]] < key[tmp[i]]:
            rows[k] = rows[j]
            j += 1
        else:
            rows[k] = tmp[i]
            i += 1
        k += 1
    while i < mid:
        rows[k] = tmp[i]
        i += 1
        k += 1


cdef int _stable_order(
    const int64_t* codes, int64_t base, const int64_t* time, int64_t n_rows,
    int64_t* order, int64_t* offsets, int64_t n_slots, double deadline,
) noexcept nogil:
    cdef int64_t i, slot, seg_begin, seg_len, longest = 0
    cdef int64_t* cursor
    cdef int64_t* tmp
    cdef int status = _OK
    for i in range(n_rows):
        slot = codes[i] - base
        if <uint64_t>slot >= <uint64_t>n_slots:
            return _BAD_CODE
        offsets[slot + 1] += 1
    for slot in range(n_slots):
        if offsets[slot + 1] > longest:
            longest = offsets[slot + 1]
        offsets[slot + 1] += offsets[slot]
    cursor = <int64_t*>malloc(sizeof(int64_t) * (n_slots + 1))
    if cursor == NULL:
        return _NO_MEMORY
    memcpy(cursor, offsets, sizeof(int64_t) * (n_slots + 1))
    for i in range(n_rows):
        slot = codes[i] - base
        order[cursor[slot]] = i
        cursor[slot] += 1
    free(cursor)

    tmp = <int64_t*>malloc(sizeof(int64_t) * (longest // 2 + 1))
    if tmp == NULL:
        return _NO_MEMORY
    for slot in range(n_slots):
        if (slot & (CHECK_EVERY - 1)) == 0 and deadline > 0 and agentstats_now() > deadline:
            status = _TIMEOUT
            break
        seg_begin = offsets[slot]
        seg_len = offsets[slot + 1] - seg_begin
        for i in range(seg_begin + 1, seg_begin + seg_len):
            if time[order[i]] < time[order[i - 1]]:
                _merge_sort(order + seg_begin, tmp, seg_len, time)
                break
    free(tmp)
    return status


def stable_order(
    const int64_t[::1] codes,
    int64_t base,
    const int64_t[::1] time,
    int64_t[::1] order,
    int64_t[::1] offsets,
    *,
    double deadline,
) -> int:
    """Fill `order` with the row numbers grouped by session slot (a counting sort, so
    O(rows + sessions)) and, inside each session, stably sorted by time; `offsets`
    (zeroed, one longer than the number of slots) receives each slot's segment start."""
    cdef Py_ssize_t n_rows = codes.shape[0]
    cdef int64_t n_slots = offsets.shape[0] - 1
    cdef int status
    if time.shape[0] != n_rows or order.shape[0] != n_rows:
        raise ValueError("codes, time and order must have the same length")
    if n_slots < 0:
        raise ValueError("offsets must have one entry more than there are sessions")
    if n_rows == 0:
        return STATUS_OK
    with nogil:
        status = _stable_order(&codes[0], base, &time[0], n_rows, &order[0], &offsets[0],
                               n_slots, deadline)
    return status


cdef int _finalize(
    const SessionState* sessions, int64_t n_slots, const int64_t* slots, int64_t m,
    int64_t as_of, int64_t* out,
) noexcept nogil:
    cdef const SessionState* st
    cdef int64_t j, end
    cdef int64_t* row
    cdef uint64_t tail, talk, wrap, duration
    for j in range(m):
        if <uint64_t>slots[j] >= <uint64_t>n_slots:
            return _BAD_CODE
        st = &sessions[slots[j]]
        row = out + j * N_FINAL
        end = st.entry_time if st.state == SESSION_ENDED else as_of
        tail = <uint64_t>end - <uint64_t>st.entry_time
        talk = st.talk + (tail if st.state == BUSY_ON_CALL else 0)
        wrap = st.wrap + (tail if st.state == BUSY_WRAPUP else 0)
        duration = <uint64_t>end - <uint64_t>st.first_time
        # Every state's time is a part of the duration, so checking the duration
        # (and that `end` is not before the last event) covers all tick totals.
        if end < st.entry_time or duration > <uint64_t>INT64_MAX or st.wait_sum > <uint64_t>INT64_MAX:
            out[0] = j      # tells the caller which session
            return _OVERFLOW
        row[F_START] = st.first_time
        row[F_END] = end
        row[F_STATE] = st.state
        row[F_DURATION] = <int64_t>duration
        row[F_TALK] = <int64_t>talk
        row[F_WRAP] = <int64_t>wrap
        row[F_CALL] = <int64_t>(talk + wrap)
        row[F_CALLS] = st.calls
        row[F_WAIT_SUM] = <int64_t>st.wait_sum
        row[F_WAIT_N] = st.wait_n
        row[F_WAIT_MAX] = st.wait_max
    return _OK


def finalize(
    const unsigned char[::1] sessions,
    const int64_t[::1] slots,
    int64_t as_of,
    int64_t[:, ::1] out,
) -> int:
    """Close each listed session at its SESSION_ENDED or at `as_of` (SPEC 2) without
    changing the state, writing one row of `out` per slot, columns FINAL_COLUMNS.
    Returns STATUS_OVERFLOW at the first session whose totals do not fit int64 (its
    position in `slots` is then in out[0, 0])."""
    cdef int64_t m = slots.shape[0]
    cdef int status
    if out.shape[0] != m or out.shape[1] != N_FINAL:
        raise ValueError("out must have shape (len(slots), len(FINAL_COLUMNS))")
    if sessions.shape[0] % sizeof(SessionState) != 0:
        raise ValueError("session state buffer is not a whole number of SessionState")
    if m == 0:
        return STATUS_OK
    cdef int64_t n_slots = sessions.shape[0] // sizeof(SessionState)
    with nogil:
        status = _finalize(<const SessionState*>&sessions[0], n_slots, &slots[0], m, as_of,
                           &out[0, 0])
    return status
