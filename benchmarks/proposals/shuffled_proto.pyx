# distutils: language = c++
# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# Prototype of a value-scattering counting sort + per-session packed-key sort + grouped scan.
# Not part of the package: built and run only by benchmarks/proposals/run.py.
# Clean-data fast path only (no duplicates / after-end handling in the segment scan).
from libc.stdint cimport int64_t, uint64_t, uint8_t, INT64_MIN
from libcpp.algorithm cimport sort as cpp_sort
from libc.stdlib cimport malloc, free
import numpy as np
import time as _time
T_SCATTER = 0.0
from cython.parallel cimport prange

cdef void _grouped_scan(const int64_t* t, const uint8_t* s, int64_t* off, int64_t lo, int64_t hi,
                        int64_t* out) noexcept nogil:
    # out per slot: duration, talk, wrap, calls (clean-data fast path; no dups/after_end handling)
    cdef int64_t slot, k, b, e, talk, wrap, calls, d
    cdef uint8_t st
    for slot in range(lo, hi):
        b = off[slot]; e = off[slot + 1]
        if b == e:
            continue
        talk = 0; wrap = 0; calls = 0
        for k in range(b, e - 1):
            d = t[k + 1] - t[k]
            st = s[k]
            talk += d if st == 2 else 0
            wrap += d if st == 3 else 0
            calls += st == 2
        out[slot * 4 + 0] = t[e - 1] - t[b]
        out[slot * 4 + 1] = talk
        out[slot * 4 + 2] = wrap
        out[slot * 4 + 3] = calls

cdef void _sort_segments(int64_t* t, uint8_t* s, const int64_t* off, int64_t lo, int64_t hi,
                         int64_t* key, uint8_t* stmp) noexcept nogil:
    cdef int64_t slot, k, b, e, m, tmin, idx, mask
    cdef int sh
    for slot in range(lo, hi):
        b = off[slot]; e = off[slot + 1]; m = e - b
        if m < 2:
            continue
        tmin = t[b]
        for k in range(b, e):
            if t[k] < tmin:
                tmin = t[k]
        sh = 1
        while (1 << sh) < m:
            sh += 1
        mask = (1 << sh) - 1
        for k in range(m):   # (relative time << sh) | input position: stable by construction
            key[k] = ((t[b + k] - tmin) << sh) | k
            stmp[k] = s[b + k]
        cpp_sort(key, key + m)
        for k in range(m):
            idx = key[k] & mask
            t[b + k] = (key[k] >> sh) + tmin
            s[b + k] = stmp[idx]

def run(const int64_t[::1] codes, int64_t base, const int64_t[::1] time, const uint8_t[::1] state,
        int64_t n_slots, int n_threads=1):
    cdef int64_t n = codes.shape[0], i, slot, p
    t0 = _time.perf_counter()
    off_a = np.zeros(n_slots + 1, dtype=np.int64)
    gt_a = np.empty(n, dtype=np.int64)
    gs_a = np.empty(n, dtype=np.uint8)
    out_a = np.zeros((n_slots, 4), dtype=np.int64)
    cdef int64_t[::1] off = off_a
    cdef int64_t[::1] gt = gt_a
    cdef uint8_t[::1] gs = gs_a
    cdef int64_t[:, ::1] out = out_a
    cdef int64_t* cur = <int64_t*>malloc(8 * (n_slots + 1))
    cdef int64_t longest = 0
    cdef int th
    with nogil:
        for i in range(n):
            off[codes[i] - base + 1] += 1
        for slot in range(n_slots):
            if off[slot + 1] > longest:
                longest = off[slot + 1]
            off[slot + 1] += off[slot]
        for slot in range(n_slots + 1):
            cur[slot] = off[slot]
        for i in range(n):
            slot = codes[i] - base
            p = cur[slot]
            cur[slot] = p + 1
            gt[p] = time[i]
            gs[p] = state[i]
    free(cur)
    global T_SCATTER
    T_SCATTER = _time.perf_counter() - t0
    cdef int64_t[::1] bounds = np.linspace(0, n_slots, n_threads + 1).astype(np.int64)
    cdef int64_t* keys
    cdef uint8_t* stmp
    with nogil:
        for th in prange(n_threads, num_threads=n_threads, schedule="static", chunksize=1):
            keys = <int64_t*>malloc(8 * longest)
            stmp = <uint8_t*>malloc(longest)
            _sort_segments(&gt[0], &gs[0], &off[0], bounds[th], bounds[th + 1], keys, stmp)
            _grouped_scan(&gt[0], &gs[0], &off[0], bounds[th], bounds[th + 1], &out[0, 0])
            free(keys); free(stmp)
    return out_a
