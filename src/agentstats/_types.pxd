# The per-session state the kernel carries between rows (and between chunks).
# Python allocates these as a NumPy structured array (aggregate.SESSION_STATE_DTYPE,
# same field order, 64 bytes: one cache line) and passes its bytes; the kernel checks
# the item size.
from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t

cdef enum:
    NOT_READY = 0
    READY = 1
    BUSY_ON_CALL = 2
    BUSY_WRAPUP = 3
    SESSION_ENDED = 4
    UNSEEN = 255        # no event of this session seen yet (also: invalid state value)

ctypedef struct SessionState:
    int64_t last_time    # time of the last row applied; once ended, the end time
    uint64_t talk        # ticks in BUSY_ON_CALL up to last_time; unsigned so that an
    uint64_t wrap        #   overflow is well defined and caught at finalize (SPEC 2.13);
                         #   right after talk: the scan adds to one of the two by offset
    int64_t calls        # entries into BUSY_ON_CALL (SPEC 2.5)
    int64_t first_time   # the session's start (SPEC 2)
    uint64_t wait_sum    # saturating sum of wait over calls that have one (SPEC 2.9)
    int64_t wait_max     # -1 when no call had a wait (SPEC 2.8)
    uint32_t wait_n      # calls with a wait; saturates, caught at finalize
    uint8_t state        # state in force, UNSEEN before the first event
    uint8_t[3] _pad
