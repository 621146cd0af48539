"""A slow, plain-Python twin of the agent timeline (SPEC 7.1, 7.3): the oracle the kernel
is tested against. It shares no code with agentstats.

It works differently from the kernel on purpose: it first works out each session's
used transitions (SPEC 2/3 rules, per session), then cuts each agent's time at every
transition (and interval edge) and looks at the whole agent in each elementary piece.

Inputs are Python lists: `time` int ticks or None, `state` any value (valid only as an
int 0..4), `agent` any key, `reason` str/None, `presence` bool.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field

NOT_READY, READY, BUSY_ON_CALL, BUSY_WRAPUP, SESSION_ENDED = range(5)


def _valid_state(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 4


@dataclass
class AgentTotals:
    logged_in: int = 0
    talk: int = 0
    wrap: int = 0
    ready: int = 0
    not_ready: int = 0
    calls: int = 0
    first_login: int | None = None
    last_logoff: int | None = None
    state: int = -1                    # 2 on call, 3 wrap-up, 1 ready, 0 not ready, -1 out
    reasons: dict = field(default_factory=lambda: defaultdict(int))
    # bucket -> [logged_in, talk, wrap, ready, not_ready, calls]
    intervals: dict = field(default_factory=lambda: defaultdict(lambda: [0] * 6))


def agent_reference(session, time, state, agent, reason=None, presence=None, as_of=None,
                    width=0):
    """Returns (agents: {key: AgentTotals}, buckets: dict, as_of used)."""
    n = len(session)
    reason = reason if reason is not None else [None] * n
    presence = presence if presence is not None else [False] * n
    buckets = dict.fromkeys(("used", "duplicate", "after_end", "after_as_of", "invalid_state",
                             "invalid_time"), 0)
    candidates = []
    for i in range(n):
        if time[i] is None:
            buckets["invalid_time"] += 1
        elif not _valid_state(state[i]):
            buckets["invalid_state"] += 1
        else:
            candidates.append(i)
    if as_of is None:
        as_of = max((time[i] for i in candidates), default=None)
    kept = []
    for i in candidates:
        if time[i] > as_of:
            buckets["after_as_of"] += 1
        else:
            kept.append(i)

    # Each agent's rows in time order, equal times in input order; the position in
    # this order breaks ties between pauses that start at the same instant.
    by_agent = defaultdict(list)
    for i in kept:
        by_agent[agent[i]].append(i)
    out = {}
    for key, rows in by_agent.items():
        rows.sort(key=lambda i: time[i])
        # Per session: its used transitions (time, state, position, reason).
        transitions = defaultdict(list)
        current = {}
        for position, i in enumerate(rows):
            s = session[i]
            old = current.get(s)
            if old == SESSION_ENDED:
                buckets["after_end"] += 1
            elif old == state[i]:
                buckets["duplicate"] += 1
            else:
                buckets["used"] += 1
                current[s] = state[i]
                transitions[s].append((time[i], state[i], position, reason[i]))
        is_presence = {session[i]: bool(presence[i]) for i in rows}
        totals = AgentTotals()
        if transitions:
            totals.first_login = min(tr[0][0] for tr in transitions.values())
        for s, tr in transitions.items():
            if not is_presence[s]:
                totals.calls += sum(1 for t, st, _, _ in tr if st == BUSY_ON_CALL)
                if width:
                    for t, st, _, _ in tr:
                        if st == BUSY_ON_CALL:
                            totals.intervals[t // width][5] += 1
        ends = [t for tr in transitions.values() for t, st, _, _ in tr if st == SESSION_ENDED]

        def in_force(s, at):
            """(state, transition) of session s after every transition at or before `at`."""
            tr = transitions[s]
            k = bisect_right([t for t, _, _, _ in tr], at)
            return (None, None) if k == 0 else (tr[k - 1][1], tr[k - 1])

        def agent_state(at):
            states = []
            pauses = []
            for s in transitions:
                st, tr = in_force(s, at)
                if st is None or st == SESSION_ENDED:
                    continue
                if st == NOT_READY:
                    pauses.append(tr)
                states.append("present" if is_presence[s] else st)
            if not states:
                return -1, None
            for wanted in (BUSY_ON_CALL, BUSY_WRAPUP, READY):
                if wanted in states:
                    return wanted, None
            latest = max(pauses, key=lambda tr: tr[2]) if pauses else None
            return NOT_READY, (latest[3] if latest else None)

        cuts = sorted({t for tr in transitions.values() for t, _, _, _ in tr} | {as_of})
        if width and cuts:
            lo, hi = cuts[0], cuts[-1]
            edge = (lo // width + 1) * width
            extra = set()
            while edge < hi:
                extra.add(edge)
                edge += width
            cuts = sorted(set(cuts) | extra)
        names = {BUSY_ON_CALL: "talk", BUSY_WRAPUP: "wrap", READY: "ready", NOT_READY: "not_ready"}
        slot = {BUSY_ON_CALL: 1, BUSY_WRAPUP: 2, READY: 3, NOT_READY: 4}
        for a, b in zip(cuts, cuts[1:]):
            kind, why = agent_state(a)
            if kind < 0:
                continue
            d = b - a
            totals.logged_in += d
            setattr(totals, names[kind], getattr(totals, names[kind]) + d)
            if kind == NOT_READY:
                totals.reasons[why if why else ""] += d
            if width:
                piece = totals.intervals[a // width]
                piece[0] += d
                piece[slot[kind]] += d
        totals.state = agent_state(as_of)[0]
        if totals.state < 0 and ends:
            totals.last_logoff = max(ends)
        if transitions:
            out[key] = totals
    return out, buckets, as_of
