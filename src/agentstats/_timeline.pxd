# The state the agent timeline kernel (_agents.pyx) carries between rows and chunks.
# Python allocates them as NumPy structured arrays (agents.TIMELINE_SESSION_DTYPE,
# TIMELINE_SESSION_COLD_DTYPE and TIMELINE_AGENT_DTYPE, same field order) and passes
# their bytes; the kernel checks the item sizes. An agent is three whole cache lines
# (192 bytes) and a session's hot part 8 bytes, the arrays starting on a cache line:
# what every row touches of an agent is its first line, and no record straddles two
# lines (a record size that is not a divisor or multiple of the line would split the
# hot fields of most records over two lines, of which only the first is prefetched).
from libc.stdint cimport int16_t, int32_t, int64_t, uint8_t, uint64_t

ctypedef struct TimelineSession:
    # what every row reads of its session: 8 bytes, so the 8 records of a line are the
    # hot part of 8 sessions (60k sessions: 480 KB, within a core's L2 cache)
    int32_t agent         # its agent's code, -1 before its first row (constant: checked)
    uint8_t state         # state in force; 255 before its first event
    uint8_t presence      # 1: the agent's presence (SPEC 6.6), 0: a queue session
    uint8_t[2] _pad

ctypedef struct TimelineSessionCold:
    # what only a session's first row and its pauses touch (a parallel array)
    int64_t paused_seq    # row sequence number at which it entered NOT_READY (SPEC 7.1 reason)
    int32_t reason        # pause reason code of that NOT_READY entry, -1 when none given
    int32_t next_member   # the next session of the same agent (a list per agent), -1 at the end

ctypedef struct TimelineAgent:
    # -- first cache line: all that a row of a session in progress touches
    int64_t last_time     # time up to which the agent's time is accounted; INT64_MIN before any
    uint64_t[4] times     # ticks in each agent state (SPEC 7.1), indexed by NOT_READY,
                          #   READY, BUSY_ON_CALL, BUSY_WRAPUP; logged in is their sum
    int64_t calls         # entries into BUSY_ON_CALL of its queue sessions
    int16_t[5] n_open     # open queue sessions in NOT_READY, READY, BUSY_ON_CALL,
                          #   BUSY_WRAPUP (one 8-byte word), and open presence sessions
    int16_t _pad16
    int32_t reason        # pause reason of its not-ready time now (most recent pause in force)
    # -- second cache line: rows that start, end or pause a session; intervals
    int64_t reason_seq    # paused_seq of the session that reason comes from, -1 when none
    uint64_t reason_base  # times[NOT_READY] when `reason` came in force: the not-ready
                          #   ticks since then are that reason's, not yet handed out
    int64_t first_login   # INT64_MIN until a session starts
    int64_t last_logoff   # the last time its last open session ended, INT64_MIN if never
    int64_t first_member  # its first session in the list of its sessions, -1 when none
    # the interval it is accounting now, and its sums there (SPEC 7.3; logged in: their sum)
    int64_t bucket
    uint64_t[4] b_times
    int64_t b_calls
    int64_t[5] _pad_line  # to three whole cache lines
