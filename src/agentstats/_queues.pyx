"""Typed loop of the queue statistics (SPEC 8.2): one pass over the per-call columns.

queues.py validates, chooses the cells (queue x interval) and allocates; this fills the
caller-allocated per-cell arrays and returns a status code. Compiler directives are set
in setup.py only.

Conventions: times and waits are int64 ticks, INT64_MIN meaning missing; outcome codes
are those of agentstats.io.queue_calls (0 waiting, 1 answered, 2 abandoned, 3 timed out,
4 exited empty, 5 exited with key, 6..8 refused at the door).
"""

from libc.stdint cimport INT64_MAX, INT64_MIN, int8_t, int32_t, int64_t, uint8_t

# Columns of `counts` (per cell): the status at as_of (0..8), then these.
cdef enum:
    N_STATUS = 9
    C_FLOWED_IN = 9
    C_FLOWED_OUT = 10
    C_FINAL = 11
    C_WAIT_LEFT_N = 12
    C_WAIT_ANSWERED_N = 13
    N_COUNTS = 14
    S_WAIT_LEFT = 0
    S_WAIT_ANSWERED = 1
    M_LONGEST = 0
    M_CURRENT = 1
    ST_OK = 0
    ST_OVERFLOW = 1          # a per-cell sum of waits does not fit int64
    ST_BAD_CELL = 2          # a cell index out of range (a bug in the caller)

STATUS_OK = ST_OK
STATUS_OVERFLOW = ST_OVERFLOW
STATUS_BAD_CELL = ST_BAD_CELL
#: the columns of `counts`, for the caller
COUNT_COLUMNS = N_COUNTS
FLOWED_IN_COLUMN = C_FLOWED_IN
FLOWED_OUT_COLUMN = C_FLOWED_OUT
FINAL_COLUMN = C_FINAL
WAIT_LEFT_N_COLUMN = C_WAIT_LEFT_N
WAIT_ANSWERED_N_COLUMN = C_WAIT_ANSWERED_N


cdef inline int64_t _floor_div(int64_t a, int64_t b) noexcept nogil:
    """floor(a / b) for b > 0 (C division truncates towards zero)."""
    cdef int64_t q = a // b
    if (a % b != 0) and (a < 0):
        q -= 1
    return q


def queue_cells(
    const int32_t[::1] queue,
    const int64_t[::1] enter,
    const int64_t[::1] leave,
    const int64_t[::1] wait,
    const int8_t[::1] outcome,
    const uint8_t[::1] flowed_in,
    const int64_t[::1] flowed_out_at,
    const int64_t[::1] cells,
    const int64_t[::1] thresholds,
    int64_t[:, ::1] counts,
    int64_t[:, ::1] sums,
    int64_t[:, ::1] maxima,
    int64_t[:, ::1] within,
    *,
    int64_t as_of,
    int64_t window_start,
    int64_t step,
    int64_t first_bucket,
    int64_t n_queues,
) -> int:
    """Accumulate every call into its cell.

    The cell of a call is ``cells[i]`` when ``cells`` is not empty (-1: skip), else
    ``(floor(t / step) - first_bucket) * n_queues + queue[i]`` (``step`` 0: ``queue[i]``),
    where t is the entry time, or the leaving time when the entry is unknown (SPEC 8.3).
    Only calls with window_start <= t <= as_of are counted. counts/sums/within start at
    0, maxima at -1."""
    cdef Py_ssize_t n = queue.shape[0]
    cdef Py_ssize_t n_cells = counts.shape[0]
    cdef Py_ssize_t n_thresholds = thresholds.shape[0]
    cdef bint given_cells = cells.shape[0] > 0
    cdef Py_ssize_t i, k, cell
    cdef int64_t t, w, status
    cdef bint has_left, queued, known, flowed_out
    cdef int result = ST_OK
    with nogil:
        for i in range(n):
            t = enter[i] if enter[i] != INT64_MIN else leave[i]
            if t == INT64_MIN or t > as_of or t < window_start:
                continue
            if given_cells:
                cell = cells[i]
                if cell < 0:
                    continue
            elif step > 0:
                cell = (_floor_div(t, step) - first_bucket) * n_queues + queue[i]
            else:
                cell = queue[i]
            if cell < 0 or cell >= n_cells:
                result = ST_BAD_CELL
                break
            has_left = leave[i] != INT64_MIN and leave[i] <= as_of
            status = outcome[i] if has_left else 0
            counts[cell, status] += 1
            if status >= 6:                    # refused at the door: never queued
                continue
            # the wait so far: logged or measured when it left, up to as_of while waiting
            if has_left:
                w = wait[i]
            elif enter[i] != INT64_MIN:
                w = as_of - enter[i]
            else:
                w = INT64_MIN
            known = w != INT64_MIN
            if flowed_in[i]:
                counts[cell, C_FLOWED_IN] += 1
            flowed_out = flowed_out_at[i] != INT64_MIN and flowed_out_at[i] <= as_of
            if flowed_out:
                counts[cell, C_FLOWED_OUT] += 1
            if has_left and 2 <= status <= 5 and not flowed_out:
                counts[cell, C_FINAL] += 1
            if not known:
                continue
            if w > maxima[cell, M_LONGEST]:
                maxima[cell, M_LONGEST] = w
            if not has_left or status == 0:
                if w > maxima[cell, M_CURRENT]:
                    maxima[cell, M_CURRENT] = w
                continue
            counts[cell, C_WAIT_LEFT_N] += 1
            if sums[cell, S_WAIT_LEFT] > INT64_MAX - w:
                result = ST_OVERFLOW
                break
            sums[cell, S_WAIT_LEFT] += w
            if status == 1:
                counts[cell, C_WAIT_ANSWERED_N] += 1
                if sums[cell, S_WAIT_ANSWERED] > INT64_MAX - w:
                    result = ST_OVERFLOW
                    break
                sums[cell, S_WAIT_ANSWERED] += w
                for k in range(n_thresholds):
                    if w <= thresholds[k]:
                        within[cell, k] += 1
    return result

