"""A slow, plain-Python twin of SPEC sections 2-3: the oracle the kernel is tested against.

It shares no code with agentstats. Inputs are Python lists: `time` holds int ticks or
None (missing), `state` any value (valid only as an int 0..4), `wait` int ticks or None.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

NOT_READY, READY, BUSY_ON_CALL, BUSY_WRAPUP, SESSION_ENDED = range(5)

# SPEC 4.3, written out as the table reads.
VALID = {
    NOT_READY: {READY, SESSION_ENDED},
    READY: {NOT_READY, BUSY_ON_CALL, SESSION_ENDED},
    BUSY_ON_CALL: {NOT_READY, READY, BUSY_WRAPUP, SESSION_ENDED},
    BUSY_WRAPUP: {NOT_READY, READY, SESSION_ENDED},
    SESSION_ENDED: set(),
}


@dataclass
class Session:
    start: int
    end: int = 0
    state: int = 0
    duration: int = 0
    talk: int = 0
    wrap: int = 0
    calls: int = 0
    waits: list[int] = field(default_factory=list)

    @property
    def call(self) -> int:
        return self.talk + self.wrap

    @property
    def wait_sum(self) -> int:
        return sum(self.waits)

    @property
    def wait_n(self) -> int:
        return len(self.waits)

    @property
    def wait_max(self) -> int:
        return max(self.waits) if self.waits else -1


def is_valid_state(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 4


def reference(session, time, state, wait=None, as_of=None):
    """Returns (sessions: {key: Session}, buckets: dict, as_of used)."""
    n = len(session)
    buckets = dict.fromkeys(
        ("used", "duplicate", "after_end", "after_as_of", "invalid_state", "invalid_time",
         "off_table"), 0)
    candidates = []
    for i in range(n):
        if time[i] is None:
            buckets["invalid_time"] += 1
        elif not is_valid_state(state[i]):
            buckets["invalid_state"] += 1
        else:
            candidates.append(i)
    if as_of is None:
        as_of = max((time[i] for i in candidates), default=None)
    per_session = defaultdict(list)
    for i in candidates:
        if time[i] > as_of:
            buckets["after_as_of"] += 1
        else:
            per_session[session[i]].append(i)

    sessions = {}
    for key, rows in per_session.items():
        rows.sort(key=lambda i: (time[i], i))          # SPEC 1.1
        first = rows[0]
        s = Session(start=time[first], state=state[first])
        entry = time[first]
        buckets["used"] += 1
        if state[first] == BUSY_ON_CALL:
            s.calls += 1
            if wait is not None and wait[first] is not None:
                s.waits.append(wait[first])
        ended = state[first] == SESSION_ENDED
        for i in rows[1:]:
            if ended:
                buckets["after_end"] += 1
                continue
            if state[i] == s.state:
                buckets["duplicate"] += 1
                continue
            buckets["used"] += 1
            if state[i] not in VALID[s.state]:
                buckets["off_table"] += 1
            if s.state == BUSY_ON_CALL:
                s.talk += time[i] - entry
            elif s.state == BUSY_WRAPUP:
                s.wrap += time[i] - entry
            s.state, entry = state[i], time[i]
            if state[i] == BUSY_ON_CALL:
                s.calls += 1
                if wait is not None and wait[i] is not None:
                    s.waits.append(wait[i])
            if state[i] == SESSION_ENDED:
                ended = True
        s.end = entry if ended else as_of
        if s.state == BUSY_ON_CALL:
            s.talk += s.end - entry
        elif s.state == BUSY_WRAPUP:
            s.wrap += s.end - entry
        s.duration = s.end - s.start
        sessions[key] = s
    return sessions, buckets, as_of


def seconds(total: int, tps: int) -> int:
    """SPEC 2.12."""
    return total // tps


def average(total: int, count: int, tps: int) -> int:
    """SPEC 2.6 / 2.12."""
    return total // (count * tps) if count else 0
