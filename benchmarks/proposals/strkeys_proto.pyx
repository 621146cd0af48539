# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# Prototype behind proposal 5 in benchmarks/README.md: factorise an object array of keys
# by object pointer (open addressing, prefetched), then deduplicate the distinct objects
# by value. Not part of the package: built and run only by benchmarks/proposals/run.py.
from cpython.object cimport PyObject
from libc.stdint cimport int64_t, uint64_t
import numpy as np

cdef extern from *:
    """
    #define PF_R(p) __builtin_prefetch((const void*)(p), 0, 3)
    static inline unsigned long long ptr_hash(unsigned long long p) {
        return ((p >> 4) * 0x9E3779B97F4A7C15ULL) >> 17;
    }
    """
    void PF_R(void* p) noexcept nogil
    uint64_t ptr_hash(uint64_t p) noexcept nogil


def factorize_by_pointer(keys, int64_t expected_distinct=200_000):
    """-> (codes int64 in first-seen order of *values*, uniques object array)."""
    keys = np.ascontiguousarray(keys, dtype=object)
    cdef Py_ssize_t n = keys.shape[0], i
    cdef PyObject** p = <PyObject**><size_t>keys.ctypes.data
    cdef uint64_t cap = 1024, mask, h, ptr
    while cap < 2 * <uint64_t>expected_distinct:
        cap <<= 1
    table = np.zeros(2 * cap, dtype=np.uint64)     # (pointer, code) pairs; pointer 0 = empty
    codes = np.empty(n, dtype=np.int64)
    cdef uint64_t[::1] tb = table
    cdef int64_t[::1] cd = codes
    cdef int64_t n_ptr = 0
    first_rows = []
    mask = cap - 1
    for i in range(n):
        if i + 16 < n:
            PF_R(&tb[2 * (ptr_hash(<uint64_t>p[i + 16]) & mask)])
        ptr = <uint64_t>p[i]
        h = ptr_hash(ptr)
        while True:
            h &= mask
            if tb[2 * h] == ptr:
                cd[i] = <int64_t>tb[2 * h + 1]
                break
            if tb[2 * h] == 0:
                tb[2 * h] = ptr
                tb[2 * h + 1] = n_ptr
                cd[i] = n_ptr
                first_rows.append(i)
                n_ptr += 1
                if <uint64_t>n_ptr * 2 > cap:      # (prototype: no growth)
                    return None
                break
            h += 1
    # distinct objects -> distinct values (equal strings held by different objects)
    objs = keys[np.asarray(first_rows, dtype=np.int64)]
    by_value = {}
    remap = np.empty(n_ptr, dtype=np.int64)
    for j, o in enumerate(objs):
        remap[j] = by_value.setdefault(o, len(by_value))
    uniques = np.empty(len(by_value), dtype=object)
    for o, c in by_value.items():
        uniques[c] = o
    return remap[codes], uniques
