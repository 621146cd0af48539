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
"""

from libc.stdint cimport INT64_MAX, INT64_MIN, int16_t, int32_t, int64_t, uint8_t, uint64_t
from libc.stdlib cimport free, realloc
from libc.string cimport memcpy

import numpy as np

from ._timeline cimport TimelineAgent, TimelineSession

cdef extern from *:
    """
    #include <time.h>
    static inline double agentstats_timeline_now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
    }
    """
    double agentstats_timeline_now() noexcept nogil
    void agentstats_timeline_prefetch "__builtin_prefetch"(const void* p) noexcept nogil

STATUS_OK = 0
STATUS_NEEDS_ORDER = 1      # an agent's rows go back in time: sort by (agent, time) first
STATUS_TIMEOUT = 2          # the deadline passed (TAPI_E_TIMEOUT)
STATUS_NO_MEMORY = 3        # realloc failed (E_OUTOFMEMORY)
STATUS_BAD_CODE = 5         # a session or agent code outside the state arrays (a caller bug)
STATUS_AGENT_CHANGED = 6    # a row names another agent than its session's earlier rows
STATUS_PRESENCE_CHANGED = 7 # a row's presence flag differs from its session's earlier rows

# One counter each, in this order; max_time is the latest valid time seen.
COUNTER_NAMES = ("used", "duplicate", "after_end", "after_as_of", "invalid_state",
                 "invalid_time", "max_time")
INTERVAL_COLUMNS = ("agent", "bucket", "logged_in", "talk", "wrap", "ready", "not_ready", "calls")
REASON_COLUMNS = ("agent", "reason", "not_ready")

cdef enum:
    NOT_READY = 0
    READY = 1
    BUSY_ON_CALL = 2
    BUSY_WRAPUP = 3
    SESSION_ENDED = 4
    UNSEEN = 255
    LOGGED_OUT = -1
    NO_REASON = -1
    NO_ACCUMULATION = -2
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
    PRESENCE_SLOT = 4   # n_open[4]: open presence sessions
    AHEAD = 16          # rows between a prefetch and its use

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


# SPEC 7.1 priority as a table: index bit 3 = some session on call, bit 2 = in wrap-up,
# bit 1 = ready, bit 0 = not ready or present; the first that holds wins.
cdef int[16] _KIND_OF = [LOGGED_OUT, NOT_READY, READY, READY,
                         BUSY_WRAPUP, BUSY_WRAPUP, BUSY_WRAPUP, BUSY_WRAPUP,
                         BUSY_ON_CALL, BUSY_ON_CALL, BUSY_ON_CALL, BUSY_ON_CALL,
                         BUSY_ON_CALL, BUSY_ON_CALL, BUSY_ON_CALL, BUSY_ON_CALL]


cdef inline int _agent_kind(TimelineAgent* ag) noexcept nogil:
    """SPEC 7.1: the agent state in force, by priority; LOGGED_OUT with nothing open."""
    cdef int16_t* n = ag.n_open
    return _KIND_OF[((n[BUSY_ON_CALL] > 0) << 3) | ((n[BUSY_WRAPUP] > 0) << 2)
                    | ((n[READY] > 0) << 1) | ((n[NOT_READY] | n[PRESENCE_SLOT]) > 0)]


cdef inline int _flush_bucket(TimelineAgent* ag, int64_t agent, RowBuffer* intervals) noexcept nogil:
    cdef int64_t row[N_INTERVAL]
    if ag.bucket == INT64_MIN or (ag.b_logged_in == 0 and ag.b_calls == 0):
        return 0
    row[0] = agent
    row[1] = ag.bucket
    row[2] = <int64_t>ag.b_logged_in
    row[3] = <int64_t>ag.b_times[BUSY_ON_CALL]
    row[4] = <int64_t>ag.b_times[BUSY_WRAPUP]
    row[5] = <int64_t>ag.b_times[READY]
    row[6] = <int64_t>ag.b_times[NOT_READY]
    row[7] = ag.b_calls
    if _push(intervals, row) < 0:
        return -1
    ag.b_logged_in = 0
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
    cdef int64_t row[N_REASON]
    if ag.acc_reason == NO_ACCUMULATION or ag.acc_ticks == 0:
        return 0
    row[0] = agent
    row[1] = ag.acc_reason
    row[2] = <int64_t>ag.acc_ticks
    if _push(reasons, row) < 0:
        return -1
    ag.acc_ticks = 0
    return 0


cdef inline int _spend(TimelineAgent* ag, int64_t agent, int64_t a, int64_t b, int kind,
                       int64_t origin, int64_t width, RowBuffer* intervals,
                       RowBuffer* reasons) noexcept nogil:
    """Book [a, b) (a < b) to the agent state `kind`: the totals, the pause reason in
    force for not-ready time, and each interval it overlaps, split at the edges."""
    cdef uint64_t d = <uint64_t>b - <uint64_t>a      # exact even across the int64 range
    ag.logged_in += d
    ag.times[kind] += d
    if kind == NOT_READY:
        if ag.reason != ag.acc_reason:
            if _flush_reason(ag, agent, reasons) < 0:
                return -1
            ag.acc_reason = ag.reason
        ag.acc_ticks += d
    if width <= 0:
        return 0
    return _spend_intervals(ag, agent, a, b, kind, origin, width, intervals)


cdef int _spend_intervals(TimelineAgent* ag, int64_t agent, int64_t a, int64_t b, int kind,
                          int64_t origin, int64_t width, RowBuffer* intervals) noexcept nogil:
    """The interval sums of [a, b), split at the edges (SPEC 7.3)."""
    cdef int64_t bucket, edge, piece_end
    cdef uint64_t d
    while a < b:
        bucket = _bucket_of(a, origin, width)
        if _move_to_bucket(ag, agent, bucket, intervals) < 0:
            return -1
        edge = _bucket_end(bucket, origin, width)
        piece_end = b if b < edge else edge
        d = <uint64_t>piece_end - <uint64_t>a
        ag.b_logged_in += d
        ag.b_times[kind] += d
        a = piece_end
    return 0


cdef void _recompute_reason(TimelineAgent* ag, TimelineSession* sessions) noexcept nogil:
    """The reason of the most recent pause still in force among the agent's sessions
    (SPEC 7.1), after the session that gave the current one left NOT_READY."""
    cdef int64_t member = ag.first_member, best_seq = -1
    cdef int32_t best = NO_REASON
    cdef TimelineSession* s
    while member >= 0:
        s = &sessions[member]
        if s.state == NOT_READY and s.paused_seq > best_seq:
            best_seq = s.paused_seq
            best = s.reason
        member = s.next_member
    ag.reason = best
    ag.reason_seq = best_seq


cdef inline int64_t _code(const int64_t* keys, int64_t i, int64_t lo, const int64_t* lookup,
                          int64_t lookup_n) noexcept nogil:
    """The dense code of row i: keys[i] - lo, or lookup[keys[i] - lo] (-1 when out of range)."""
    cdef int64_t k = keys[i] - lo
    if lookup == NULL:
        return k
    return lookup[k] if 0 <= k < lookup_n else -1


cdef int _scan(
    const int64_t* codes, int64_t codes_lo, const int64_t* codes_lookup, int64_t codes_lookup_n,
    const int64_t* agent_codes, int64_t agent_lo, const int64_t* agent_lookup, int64_t agent_lookup_n,
    const int64_t* times, const uint8_t* states,
    const int32_t* reasons_in, bint has_reason, const uint8_t* presence_in, bint has_presence,
    int64_t n, int64_t n_sessions, int64_t n_agents,
    TimelineSession* sessions, TimelineAgent* agents, int64_t* counters,
    int64_t as_of, int64_t origin, int64_t width, int64_t seq0, double deadline,
    RowBuffer* intervals, RowBuffer* reasons, int64_t* stopped_at,
) noexcept nogil:
    cdef int64_t i, code, agent, t, max_time = counters[C_MAX_TIME]
    # the buckets in registers (stores through `counters` could alias the records);
    # written back only when the scan completes (on any other status the caller
    # discards them)
    cdef int64_t n_used = 0, n_duplicate = 0, n_after_end = 0, n_after_as_of = 0
    cdef int64_t n_invalid_state = 0, n_invalid_time = 0
    cdef uint8_t st, old
    cdef int kind, slot
    cdef int64_t ahead
    cdef uint8_t is_presence
    cdef TimelineSession* s
    cdef TimelineAgent* ag
    for i in range(n):
        if (i & (CHECK_EVERY - 1)) == 0 and i and deadline > 0 and agentstats_timeline_now() > deadline:
            stopped_at[0] = i
            return _TIMEOUT
        if i + 2 * AHEAD < n:
            # two stages: the lookup entries of the row 2 * AHEAD on, then (below) the
            # records of the row AHEAD on, whose entries are in cache by then
            if codes_lookup != NULL:
                ahead = codes[i + 2 * AHEAD] - codes_lo
                if 0 <= ahead < codes_lookup_n:
                    agentstats_timeline_prefetch(&codes_lookup[ahead])
            if agent_lookup != NULL:
                ahead = agent_codes[i + 2 * AHEAD] - agent_lo
                if 0 <= ahead < agent_lookup_n:
                    agentstats_timeline_prefetch(&agent_lookup[ahead])
        if i + AHEAD < n:
            # the rows hit sessions and agents at random: start loading them early
            ahead = _code(codes, i + AHEAD, codes_lo, codes_lookup, codes_lookup_n)
            if 0 <= ahead < n_sessions:
                agentstats_timeline_prefetch(&sessions[ahead])
            ahead = _code(agent_codes, i + AHEAD, agent_lo, agent_lookup, agent_lookup_n)
            if 0 <= ahead < n_agents:
                agentstats_timeline_prefetch(&agents[ahead])
        t = times[i]
        st = states[i]
        # SPEC 3: the first bucket that fits, in this order.
        if t == INT64_MIN:
            n_invalid_time += 1
            continue
        if st > SESSION_ENDED:
            n_invalid_state += 1
            continue
        if t > as_of:
            n_after_as_of += 1
            continue
        code = _code(codes, i, codes_lo, codes_lookup, codes_lookup_n)
        agent = _code(agent_codes, i, agent_lo, agent_lookup, agent_lookup_n)
        if code < 0 or code >= n_sessions or agent < 0 or agent >= n_agents:
            stopped_at[0] = i
            return _BAD_CODE
        s = &sessions[code]
        ag = &agents[agent]
        is_presence = presence_in[i] if has_presence else 0
        if s.agent != agent:
            if s.agent >= 0:
                stopped_at[0] = i
                return _AGENT_CHANGED
            # first row of the session: it joins its agent's list (SPEC 1: constant)
            s.agent = agent
            s.presence = is_presence
            s.next_member = ag.first_member
            ag.first_member = code
        elif s.presence != is_presence:
            stopped_at[0] = i
            return _PRESENCE_CHANGED
        if ag.last_time != INT64_MIN:
            if t < ag.last_time:
                stopped_at[0] = i
                return _NEEDS_ORDER
            if t > ag.last_time:
                kind = _agent_kind(ag)
                if kind != LOGGED_OUT:
                    if _spend(ag, agent, ag.last_time, t, kind, origin, width, intervals, reasons) < 0:
                        stopped_at[0] = i
                        return _NO_MEMORY
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
        if old == UNSEEN:
            if ag.first_login == INT64_MIN:
                ag.first_login = t
        else:
            ag.n_open[PRESENCE_SLOT if is_presence else old] -= 1
        s.state = st
        if st == SESSION_ENDED:
            if _agent_kind(ag) == LOGGED_OUT:
                ag.last_logoff = t
        else:
            ag.n_open[PRESENCE_SLOT if is_presence else st] += 1
            if st == BUSY_ON_CALL and not is_presence:
                # SPEC 2.5 / 7.1: every entry into BUSY_ON_CALL is an answered call.
                ag.calls += 1
                if width > 0:
                    if _move_to_bucket(ag, agent, _bucket_of(t, origin, width), intervals) < 0:
                        stopped_at[0] = i
                        return _NO_MEMORY
                    ag.b_calls += 1
        if st == NOT_READY:
            s.reason = reasons_in[i] if has_reason else NO_REASON
            s.paused_seq = seq0 + i
            ag.reason = s.reason
            ag.reason_seq = s.paused_seq
        elif old == NOT_READY and s.paused_seq == ag.reason_seq:
            _recompute_reason(ag, sessions)
    counters[C_USED] += n_used
    counters[C_DUPLICATE] += n_duplicate
    counters[C_AFTER_END] += n_after_end
    counters[C_AFTER_AS_OF] += n_after_as_of
    counters[C_INVALID_STATE] += n_invalid_state
    counters[C_INVALID_TIME] += n_invalid_time
    counters[C_MAX_TIME] = max_time
    return _OK


def scan(
    const int64_t[::1] codes,
    const int64_t[::1] agent_codes,
    const int64_t[::1] time,
    const uint8_t[::1] state,
    const int32_t[::1] reason,
    const uint8_t[::1] presence,
    uint8_t[::1] sessions,
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
) -> tuple:
    """Apply rows in input order. Returns (status, row, interval_rows, reason_rows):
    `row` is where a status other than STATUS_OK stopped (then the state arrays are
    partly updated: the caller restores them). `reason` and `presence` are per row, or
    empty when the log has none. A row's session code is `codes[i] - codes_lo`, or with
    `codes_lookup` `codes_lookup[codes[i] - codes_lo]` (integer keys in a compact range:
    no code array materialised); likewise for agents."""
    cdef int64_t n = time.shape[0]
    cdef int64_t n_sessions = sessions.shape[0] // <Py_ssize_t>sizeof(TimelineSession)
    cdef int64_t n_agents = agents.shape[0] // <Py_ssize_t>sizeof(TimelineAgent)
    cdef bint has_reason = reason.shape[0] == n
    cdef bint has_presence = presence.shape[0] == n
    cdef RowBuffer intervals, reasons
    cdef int64_t stopped_at = -1
    cdef int status
    if (codes.shape[0] != n or agent_codes.shape[0] != n or state.shape[0] != n
            or (reason.shape[0] != 0 and not has_reason)
            or (presence.shape[0] != 0 and not has_presence)):
        raise ValueError("columns have unequal lengths")
    if (sessions.shape[0] % <Py_ssize_t>sizeof(TimelineSession)
            or agents.shape[0] % <Py_ssize_t>sizeof(TimelineAgent)):
        raise ValueError("state arrays do not match the records")
    if counters.shape[0] != N_COUNTERS:
        raise ValueError("counters has the wrong length")
    intervals.data = NULL
    intervals.n = intervals.capacity = 0
    intervals.width = N_INTERVAL
    reasons.data = NULL
    reasons.n = reasons.capacity = 0
    reasons.width = N_REASON
    cdef const int64_t* codes_p = &codes[0] if n else NULL
    cdef const int64_t* agent_p = &agent_codes[0] if n else NULL
    cdef const int64_t* time_p = &time[0] if n else NULL
    cdef const uint8_t* state_p = &state[0] if n else NULL
    cdef const int32_t* reason_p = &reason[0] if has_reason and n else NULL
    cdef const uint8_t* presence_p = &presence[0] if has_presence and n else NULL
    cdef const int64_t* codes_lookup_p = NULL
    cdef const int64_t* agents_lookup_p = NULL
    cdef int64_t codes_lookup_n = 0, agents_lookup_n = 0
    if codes_lookup is not None and codes_lookup.shape[0]:
        codes_lookup_p = &codes_lookup[0]
        codes_lookup_n = codes_lookup.shape[0]
    if agents_lookup is not None and agents_lookup.shape[0]:
        agents_lookup_p = &agents_lookup[0]
        agents_lookup_n = agents_lookup.shape[0]
    cdef TimelineSession* sessions_p = <TimelineSession*>&sessions[0] if n_sessions else NULL
    cdef TimelineAgent* agents_p = <TimelineAgent*>&agents[0] if n_agents else NULL
    with nogil:
        status = _scan(codes_p, codes_lo, codes_lookup_p, codes_lookup_n,
                       agent_p, agents_lo, agents_lookup_p, agents_lookup_n, time_p, state_p, reason_p, has_reason, presence_p,
                       has_presence, n, n_sessions, n_agents, sessions_p, agents_p,
                       &counters[0], as_of, origin, width, seq0, deadline,
                       &intervals, &reasons, &stopped_at)
    return status, stopped_at, _take(&intervals), _take(&reasons)


def close(
    uint8_t[::1] agents,
    *,
    int64_t as_of,
    int64_t origin,
    int64_t width,
) -> tuple:
    """Close every logged-in agent at `as_of` and hand out every pending interval and
    reason sum. Works on the caller's array (pass a copy to keep scanning after).
    Returns (status, interval_rows, reason_rows)."""
    if agents.shape[0] % <Py_ssize_t>sizeof(TimelineAgent):
        raise ValueError("agent array does not match")
    cdef int64_t n_agents = agents.shape[0] // <Py_ssize_t>sizeof(TimelineAgent)
    cdef TimelineAgent* agents_p = <TimelineAgent*>&agents[0] if n_agents else NULL
    cdef TimelineAgent* ag
    cdef RowBuffer intervals, reasons
    cdef int64_t a
    cdef int kind, status = _OK
    intervals.data = NULL
    intervals.n = intervals.capacity = 0
    intervals.width = N_INTERVAL
    reasons.data = NULL
    reasons.n = reasons.capacity = 0
    reasons.width = N_REASON
    with nogil:
        for a in range(n_agents):
            ag = &agents_p[a]
            if ag.last_time != INT64_MIN and ag.last_time < as_of:
                kind = _agent_kind(ag)
                if kind != LOGGED_OUT:
                    if _spend(ag, a, ag.last_time, as_of, kind, origin, width, &intervals, &reasons) < 0:
                        status = _NO_MEMORY
                        break
                ag.last_time = as_of
            if _flush_bucket(ag, a, &intervals) < 0 or _flush_reason(ag, a, &reasons) < 0:
                status = _NO_MEMORY
                break
    return status, _take(&intervals), _take(&reasons)


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
