# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# Prototype hot loops behind the proposals in benchmarks/README.md ("Where the time goes").
# Not part of the package: built and run only by benchmarks/proposals/run.py.
from libc.stdint cimport int64_t, uint64_t, uint8_t, INT64_MIN
cimport cython
from cython.parallel cimport prange

cdef extern from *:
    """
    #define PF(p) __builtin_prefetch((const void*)(p), 1, 3)
    typedef struct { int64_t entry_time; int64_t last_time; uint64_t acc[4]; int64_t calls; int64_t first_time; } Hot;
    """
    void PF(void* p) noexcept nogil
    ctypedef struct Hot:
        int64_t entry_time
        int64_t last_time
        uint64_t acc[4]
        int64_t calls
        int64_t first_time

cdef enum:
    UNSEEN = 255
    FORBID = ((1 << (0 * 5 + 2)) | (1 << (0 * 5 + 3)) | (1 << (1 * 5 + 3)) | (1 << (3 * 5 + 2)))

cdef int64_t _scan(const int64_t* codes, int64_t base, const int64_t* time, const uint8_t* state,
                   int64_t begin, int64_t end, Hot* hot, uint8_t* cur, int64_t* counters,
                   int dist, int64_t n, int branchy) noexcept nogil:
    cdef int64_t k, slot, t, used = 0, dup = 0, aend = 0, off = 0, maxt = INT64_MIN, pk
    cdef uint8_t s, c
    cdef Hot* h
    for k in range(begin, end):
        if dist:
            pk = k + dist
            if pk < end:
                PF(&hot[codes[pk] - base])
        slot = codes[k] - base
        t = time[k]
        s = state[k]
        if t == INT64_MIN or s > 4:      # rare: invalid rows
            counters[5] += 1
            continue
        h = &hot[slot]
        c = cur[slot]
        maxt = t if t > maxt else maxt
        if c == UNSEEN or c == 4 or s == c or t < h.last_time:   # rare in real logs
            if c == UNSEEN:
                h.first_time = t; h.entry_time = t; h.last_time = t; cur[slot] = s
                h.calls += (s == 2); used += 1
                continue
            if t < h.last_time:
                return -1
            h.last_time = t
            if c == 4:
                aend += 1
            else:
                dup += 1
            continue
        # common path: no data-dependent branch
        if branchy:
            if c == 2:
                h.acc[2] += <uint64_t>(t - h.entry_time)
            elif c == 3:
                h.acc[3] += <uint64_t>(t - h.entry_time)
            if s == 2:
                h.calls += 1
        else:
            h.acc[c] += <uint64_t>(t - h.entry_time)
            h.calls += (s == 2)
        off += (FORBID >> (c * 5 + s)) & 1
        h.entry_time = t
        h.last_time = t
        cur[slot] = s
        used += 1
    counters[0] += used; counters[1] += dup; counters[2] += aend; counters[6] += off
    counters[7] = maxt
    return 0


def scan(const int64_t[::1] codes, int64_t base, const int64_t[::1] time, const uint8_t[::1] state,
         Hot[::1] hot_dummy=None, *, int64_t n_slots, int dist=16, int branchy=0):
    import numpy as np
    hot_arr = np.zeros(n_slots * sizeof(Hot) + 64, dtype=np.uint8)
    off = (-hot_arr.ctypes.data) % 64
    hot_view = hot_arr[off:off + n_slots * sizeof(Hot)]
    cur_arr = np.full(n_slots, 255, dtype=np.uint8)
    counters = np.zeros(8, dtype=np.int64)
    cdef unsigned char[::1] hv = hot_view
    cdef uint8_t[::1] cv = cur_arr
    cdef int64_t[::1] cnt = counters
    cdef int64_t n = codes.shape[0], r
    with nogil:
        r = _scan(&codes[0], base, &time[0], &state[0], 0, n, <Hot*>&hv[0], &cv[0], &cnt[0], dist, n, branchy)
    return r, hot_view.view(np.int64).reshape(n_slots, 8), counters


def scan2(const int64_t[::1] codes, int64_t base, const int64_t[::1] time, const uint8_t[::1] state,
          *, int64_t n_slots, int dist=32, int n_threads=2):
    """Row-range split: thread i scans rows [i*n/T, (i+1)*n/T) into its own state arrays
    (merge of the partial states, O(sessions), not included: ~1 ms for 200k sessions)."""
    import numpy as np
    cdef int64_t n = codes.shape[0], r
    cdef int th
    hots, curs = [], []
    for _ in range(n_threads):
        a = np.zeros(n_slots * sizeof(Hot) + 64, dtype=np.uint8)
        o = (-a.ctypes.data) % 64
        hots.append(a[o:o + n_slots * sizeof(Hot)])
        curs.append(np.full(n_slots, 255, dtype=np.uint8))
    cdef unsigned char[::1] h0 = hots[0], h1 = hots[1]
    cdef uint8_t[::1] c0 = curs[0], c1 = curs[1]
    counters = np.zeros((2, 8), dtype=np.int64)
    cdef int64_t[:, ::1] cnt = counters
    cdef int64_t half = n // 2
    with nogil:
        for th in prange(2, num_threads=2, schedule="static", chunksize=1):
            if th == 0:
                _scan(&codes[0], base, &time[0], &state[0], 0, half, <Hot*>&h0[0], &c0[0], &cnt[0, 0], dist, n, 0)
            else:
                _scan(&codes[0], base, &time[0], &state[0], half, n, <Hot*>&h1[0], &c1[0], &cnt[1, 0], dist, n, 0)
    return counters


cdef int64_t _runs(const int64_t* codes, int64_t base, const int64_t* time, const uint8_t* state,
                   int64_t n, Hot* hot, uint8_t* cur) noexcept nogil:
    """Run-aware loop for session-grouped input: a run of rows of one session is checked
    (valid, time-ordered, no duplicate, nothing after SESSION_ENDED) and summed with a
    branch-free, vectorisable loop; the session's state is touched once per run."""
    cdef int64_t k = 0, j, i, code, slot, talk, wrap, calls, d, bad
    cdef uint8_t s, c
    cdef Hot* h
    while k < n:
        code = codes[k]
        j = k + 1
        while j < n and codes[j] == code:
            j += 1
        slot = code - base
        h = &hot[slot]
        c = cur[slot]
        if c != UNSEEN:
            return -2          # (prototype) session split over several runs: general path
        talk = 0; wrap = 0; calls = 0; bad = 0
        for i in range(k, j - 1):
            d = time[i + 1] - time[i]
            s = state[i]
            talk += d if s == 2 else 0
            wrap += d if s == 3 else 0
            calls += s == 2
            bad |= (d < 0) | (s > 3) | (state[i + 1] == s)
        if bad:
            return -3          # (prototype) fall back to the general loop for this run
        s = state[j - 1]
        h.first_time = time[k]
        h.entry_time = time[j - 1]
        h.last_time = time[j - 1]
        h.acc[2] = talk
        h.acc[3] = wrap
        h.calls = calls + (s == 2)
        cur[slot] = s
        k = j
    return 0


def runs(const int64_t[::1] codes, int64_t base, const int64_t[::1] time, const uint8_t[::1] state,
         *, int64_t n_slots):
    import numpy as np
    a = np.zeros(n_slots * sizeof(Hot) + 64, dtype=np.uint8)
    o = (-a.ctypes.data) % 64
    hv_a = a[o:o + n_slots * sizeof(Hot)]
    cur_arr = np.full(n_slots, 255, dtype=np.uint8)
    cdef unsigned char[::1] hv = hv_a
    cdef uint8_t[::1] cv = cur_arr
    cdef int64_t r
    with nogil:
        r = _runs(&codes[0], base, &time[0], &state[0], codes.shape[0], <Hot*>&hv[0], &cv[0])
    return r, hv_a.view(np.int64).reshape(n_slots, 8)
