"""The agent side of the queue_log translation (SPEC 6.1 - 6.4, 6.6): agent-session events
from typed line columns.

One block of LineColumns rows (agentstats.io.qlog_columns) and the call side's verdict
per row in; events, sessions and the line accounting out. The state carried between
blocks (one record per session, the open sessions per (queue, agent) and per agent, the
presence, logins, wrap-up timers and max_call caps) lives in C++ containers owned by
:class:`AgentState`, so no Python code runs per row. It is the translation of
QueueLogImporter._line (agentstats.io.queue_log), its plain-Python twin, rule for rule;
agentstats.io.queue_log_translate (CompiledAgentTranslator) builds the per-code tables
(verb kind, nobody flags, alias-resolved agents, wrap-up seconds, PAUSED texts) and turns
the codes back into names. Compiler directives are set in setup.py only.

Codes: queue, agent (as written) and data1 codes are those of the import's LineNames;
agents after aliases are *canonical* codes (a table of the caller's); a pause reason is a
texts code, -1 meaning none. Times and waits are int64 seconds, INT64_MIN meaning
missing.
"""

cimport cython
from cython.operator cimport dereference
from libc.stdint cimport INT64_MIN, int8_t, int16_t, int32_t, int64_t, uint8_t, uint32_t
from libcpp.algorithm cimport sort
from libcpp.unordered_map cimport unordered_map
from libcpp.utility cimport pair
from libcpp.vector cimport vector

import numpy as np

# Agent session states (AGENT_SESSION_STATE).
cdef enum:
    S_NOT_READY = 0
    S_READY = 1
    S_BUSY_ON_CALL = 2
    S_BUSY_WRAPUP = 3
    S_SESSION_ENDED = 4
    S_NOTHING_YET = -1     # a session that has emitted nothing

# What a verb is to the agent side (the caller's per-verb table).
cdef enum:
    V_UNKNOWN = 0          # counted as unknown_verb:<verb>
    V_EMPTY = 1            # no verb: malformed
    V_NOT_AGENT = 2        # a caller or system line: not_agent_event
    V_QUEUESTART = 3
    V_CONNECT = 4
    V_CALL_END = 5         # COMPLETEAGENT, COMPLETECALLER
    V_TRANSFER = 6         # a call end that is a transfer
    V_PAUSE = 7
    V_UNPAUSE = 8
    V_PAUSEALL = 9
    V_UNPAUSEALL = 10
    V_WRAPUPSTART = 11
    V_ADDMEMBER = 12
    V_LOGIN = 13
    V_LOGOFF = 14
    V_REMOVEMEMBER = 15
    V_RINGNOANSWER = 16
    V_RING = 17            # RINGCANCELED, AGENTDUMP
    N_VERB_KINDS = 18

# Reasons a line is counted (index = code); an unknown verb's reason is N_FIXED + its code.
cdef enum:
    R_MALFORMED = 0
    R_NOT_AGENT_EVENT = 1
    R_NO_STATE_CHANGE = 2
    R_NO_AGENT = 3
    R_NO_QUEUE = 4
    R_ORPHAN = 5
    R_NO_CALLID = 6
    R_QUEUE_ORPHAN = 7
    R_SECOND_ENTERQUEUE = 8
    N_FIXED = 9

# How a session was opened: (verb code << 2) | one of these.
cdef enum:
    HOW_VERB = 0           # "<VERB>"
    HOW_STATIC = 1         # "<VERB> (static member)"
    HOW_DATA2 = 2          # "<VERB> (data2)"

cdef enum:
    EXAMPLES_KEPT = 5
    DATA_FIELDS = 5

cdef int64_t LONGEST_WRAPUP = 86400    # seconds: a longer logged wrap-up is malformed

VERB_UNKNOWN = V_UNKNOWN
VERB_EMPTY = V_EMPTY
VERB_NOT_AGENT = V_NOT_AGENT
VERB_QUEUESTART = V_QUEUESTART
VERB_CONNECT = V_CONNECT
VERB_CALL_END = V_CALL_END
VERB_TRANSFER = V_TRANSFER
VERB_PAUSE = V_PAUSE
VERB_UNPAUSE = V_UNPAUSE
VERB_PAUSEALL = V_PAUSEALL
VERB_UNPAUSEALL = V_UNPAUSEALL
VERB_WRAPUPSTART = V_WRAPUPSTART
VERB_ADDMEMBER = V_ADDMEMBER
VERB_LOGIN = V_LOGIN
VERB_LOGOFF = V_LOGOFF
VERB_REMOVEMEMBER = V_REMOVEMEMBER
VERB_RINGNOANSWER = V_RINGNOANSWER
VERB_RING = V_RING
#: names of the fixed reasons (index = reason code); unknown verbs follow at FIXED_REASONS
REASONS = ("malformed", "not_agent_event", "no_state_change", "no_agent", "no_queue", "orphan",
           "no_callid", "queue_orphan", "second_enterqueue")
FIXED_REASONS = N_FIXED
#: the reasons counted with their example locations (the others are counted only)
REASONS_WITH_EXAMPLES = tuple(name for name in REASONS if name not in ("not_agent_event", "no_state_change"))
HOW_SHIFT = 2
HOW_PLAIN = HOW_VERB
HOW_STATIC_MEMBER = HOW_STATIC
HOW_LOGGED_SECONDS = HOW_DATA2
EXAMPLES = EXAMPLES_KEPT


cdef struct Session:
    # the session table
    int32_t queue          # LineNames queue code; -1: the agent's presence
    int32_t agent          # canonical agent code
    int64_t instance
    int64_t where
    int32_t how
    # the translation state
    int8_t state           # S_NOTHING_YET until the first event
    bint paused
    bint on_call
    int32_t reason         # texts code of the pause reason, -1: none
    int64_t wrap_until     # INT64_MIN: no wrap-up running
    int64_t call_cap_at    # INT64_MIN: no max_call cap


cdef struct Event:
    int64_t session
    int64_t time
    int64_t wait
    int32_t reason         # texts code, -1: none
    uint8_t state


cdef inline int64_t _key(int32_t queue, int32_t agent) noexcept nogil:
    """(queue, agent) as one map key; queue -1 (the presence) is a key of its own."""
    return (<int64_t>(queue + 1) << 32) | <int64_t><uint32_t>agent



@cython.auto_pickle(False)
@cython.final       # (its cdef methods are then called directly, and the inline ones inlined)
cdef class AgentState:
    """The sessions, events and working state of one compiled agent translation.

    max_call: seconds a call without its end line may last (0: no cap)."""
    # Counters are bumped as `self.x = self.x + 1`, not `self.x += 1`: in the debug build
    # (nonecheck on) Cython's in-place operator on an attribute needs the GIL.

    cdef vector[Session] sess
    cdef unordered_map[int64_t, int64_t] open_by_key      # (queue, agent) -> open session
    cdef unordered_map[int64_t, int64_t] instances        # (queue, agent) -> sessions so far
    cdef vector[vector[int64_t]] by_agent                  # agent -> open queue sessions, oldest first
    cdef vector[int64_t] presence_of                       # agent -> open presence session, -1
    cdef vector[int64_t] login_of                          # agent -> AGENTLOGIN time, INT64_MIN
    cdef vector[int64_t] last_of                           # agent -> time of its latest event
    cdef vector[int64_t] missed_of
    cdef vector[int64_t] transfers_of
    cdef int64_t n_presence                                # open presence sessions
    # the events not yet taken
    cdef vector[Event] events
    # the line accounting
    cdef vector[int64_t] reason_count
    cdef vector[int64_t] example_at                        # EXAMPLES_KEPT per reason
    cdef int64_t n_used
    cdef int64_t n_unterminated
    cdef int64_t max_call
    cdef bint finished

    def __init__(self, int64_t max_call):
        if max_call < 0:
            raise ValueError(f"max_call must be >= 0 seconds (0: no cap), not {max_call}")
        self.max_call = max_call
        self.n_used = 0
        self.n_unterminated = 0
        self.n_presence = 0
        self.finished = False
        self._grow(0, 0)

    # -- sizes -------------------------------------------------------------------

    cdef int _grow(self, Py_ssize_t n_agents, Py_ssize_t n_verbs) except -1:
        """Per-agent and per-reason storage for that many canonical agents and verbs."""
        cdef Py_ssize_t old = self.presence_of.size()
        if n_agents > old:
            self.by_agent.resize(n_agents)
            self.presence_of.resize(n_agents, -1)
            self.login_of.resize(n_agents, INT64_MIN)
            self.last_of.resize(n_agents, INT64_MIN)
            self.missed_of.resize(n_agents, 0)
            self.transfers_of.resize(n_agents, 0)
        if N_FIXED + n_verbs > <Py_ssize_t>self.reason_count.size():
            self.reason_count.resize(N_FIXED + n_verbs, 0)
            self.example_at.resize(EXAMPLES_KEPT * (N_FIXED + n_verbs), -1)
        return 0

    # -- the translation's steps (QueueLogImporter's helpers of the same names) -----

    cdef inline int _count(self, int64_t reason, int64_t where, bint example) except -1 nogil:
        cdef int64_t before = self.reason_count[reason]
        self.reason_count[reason] = before + 1
        if example and before < EXAMPLES_KEPT:
            self.example_at[reason * EXAMPLES_KEPT + before] = where
        return 0

    cdef int _emit(self, int64_t sid, int64_t t, int8_t state, int64_t wait,
                    int32_t reason) except -1 nogil:
        """An event, unless the session is in that state already (then False)."""
        cdef Event event
        if self.sess[sid].state == state:
            return False
        self.sess[sid].state = state
        event.session = sid
        event.time = t
        event.wait = wait
        event.reason = reason if state == S_NOT_READY else -1
        event.state = <uint8_t>state
        self.events.push_back(event)
        self.last_of[self.sess[sid].agent] = t
        return True

    cdef inline int8_t _idle(self, int64_t sid) noexcept nogil:
        return S_NOT_READY if self.sess[sid].paused else S_READY

    cdef int _settle(self, int64_t sid, int64_t t) except -1 nogil:
        """A wrap-up that has elapsed by time t ends first; so does a call that has
        reached the max_call cap."""
        cdef int64_t cut
        if self.sess[sid].on_call and self.sess[sid].call_cap_at != INT64_MIN \
                and self.sess[sid].call_cap_at <= t:
            cut = self.sess[sid].call_cap_at
            self.n_unterminated = self.n_unterminated + 1
            self.sess[sid].on_call = False
            self.sess[sid].call_cap_at = INT64_MIN
            self._emit(sid, cut, self._idle(sid), INT64_MIN, self.sess[sid].reason)
        if self.sess[sid].wrap_until != INT64_MIN and self.sess[sid].wrap_until <= t:
            self._emit(sid, self.sess[sid].wrap_until, self._idle(sid), INT64_MIN, self.sess[sid].reason)
            self.sess[sid].wrap_until = INT64_MIN
        return 0

    cdef int64_t _new_session(self, int32_t queue, int32_t agent, int64_t where,
                              int32_t how) except -1 nogil:
        cdef Session s
        cdef int64_t key = _key(queue, agent)
        cdef int64_t sid = <int64_t>self.sess.size()
        self.instances[key] = self.instances[key] + 1
        s.queue = queue
        s.agent = agent
        s.instance = self.instances[key]
        s.where = where
        s.how = how
        s.state = S_NOTHING_YET
        s.paused = False
        s.on_call = False
        s.reason = -1
        s.wrap_until = INT64_MIN
        s.call_cap_at = INT64_MIN
        self.sess.push_back(s)
        return sid

    cdef int64_t _start(self, int32_t queue, int32_t agent, int64_t where,
                        int32_t how) except -1 nogil:
        cdef int64_t sid = self._new_session(queue, agent, where, how)
        self.open_by_key[_key(queue, agent)] = sid
        self.by_agent[agent].push_back(sid)
        return sid

    cdef int64_t _start_presence(self, int32_t agent, int64_t t, int64_t where, int32_t how,
                                 bint paused, int32_t reason) except -1 nogil:
        """The agent is logged in (its presence), in no queue."""
        cdef int64_t sid = self._new_session(-1, agent, where, how)
        self.presence_of[agent] = sid
        self.n_presence = self.n_presence + 1
        self.sess[sid].paused = paused
        self.sess[sid].reason = reason
        self._emit(sid, t, S_NOT_READY if paused else S_READY, INT64_MIN, reason)
        return sid

    cdef int _end_presence(self, int32_t agent, int64_t t) except -1 nogil:
        cdef int64_t sid = self.presence_of[agent]
        if sid < 0:
            return False
        self.presence_of[agent] = -1
        self.n_presence = self.n_presence - 1
        self._emit(sid, t, S_SESSION_ENDED, INT64_MIN, -1)
        return True

    cdef int _settle_agent(self, int32_t agent, int64_t t) except -1 nogil:
        """Timed changes of the agent's sessions due by t happen first (in the order
        the sessions opened), so the agent's events stay in time order."""
        cdef size_t k
        cdef int64_t sid
        for k in range(self.by_agent[agent].size()):
            sid = self.by_agent[agent][k]
            # most sessions have nothing timed running: no call to make
            if self.sess[sid].wrap_until != INT64_MIN or self.sess[sid].call_cap_at != INT64_MIN:
                self._settle(sid, t)
        return 0

    cdef int _end(self, int64_t sid, int64_t t) except -1 nogil:
        cdef int32_t agent = self.sess[sid].agent
        cdef size_t k, j, n
        self._settle(sid, t)
        if self.sess[sid].on_call:
            # SPEC 6.6: the call's end line is missing; the session's end closes it.
            self.n_unterminated = self.n_unterminated + 1
            self.sess[sid].on_call = False
        self._emit(sid, t, S_SESSION_ENDED, INT64_MIN, -1)
        self.open_by_key.erase(_key(self.sess[sid].queue, agent))
        n = self.by_agent[agent].size()
        for k in range(n):
            if self.by_agent[agent][k] == sid:
                for j in range(k + 1, n):      # keep the order the sessions opened in
                    self.by_agent[agent][j - 1] = self.by_agent[agent][j]
                self.by_agent[agent].pop_back()
                break
        return 0

    cdef inline int64_t _open_session(self, int32_t queue, int32_t agent) noexcept nogil:
        cdef unordered_map[int64_t, int64_t].iterator found = self.open_by_key.find(_key(queue, agent))
        if found == self.open_by_key.end():
            return -1
        return dereference(found).second

    cdef int64_t _static(self, int32_t queue, int32_t agent, int64_t where, int16_t verb,
                         int16_t login_verb, bint *fresh) except -1 nogil:
        """The open session of (queue, agent), or a new one for a member with no start
        event; fresh: it has emitted nothing."""
        cdef int64_t sid = self._open_session(queue, agent)
        cdef int64_t login
        fresh[0] = False
        if sid >= 0:
            return sid
        login = self.login_of[agent]
        if login == INT64_MIN:
            fresh[0] = True
            return self._start(queue, agent, where, (<int32_t>verb << 2) | HOW_STATIC)
        # an agent logged in with AGENTLOGIN (no queue) is READY in each of its queues
        # from the login on; the session starts at the login
        sid = self._start(queue, agent, where, (<int32_t>login_verb << 2) | HOW_VERB)
        self._emit(sid, login, S_READY, INT64_MIN, -1)
        return sid

    cdef int _pause(self, int64_t sid, int64_t t, int32_t reason) except -1 nogil:
        cdef bint changed
        self._settle(sid, t)
        if self.sess[sid].on_call:
            # a pause during a call takes effect when the call ends
            changed = not self.sess[sid].paused or self.sess[sid].reason != reason
            self.sess[sid].paused = True
            self.sess[sid].reason = reason
            return changed
        self.sess[sid].wrap_until = INT64_MIN
        self.sess[sid].paused = True
        self.sess[sid].reason = reason
        return self._emit(sid, t, S_NOT_READY, INT64_MIN, reason)

    cdef int _unpause(self, int64_t sid, int64_t t) except -1 nogil:
        cdef bint changed
        self._settle(sid, t)
        if self.sess[sid].on_call:
            changed = self.sess[sid].paused
            self.sess[sid].paused = False
            self.sess[sid].reason = -1
            return changed
        self.sess[sid].wrap_until = INT64_MIN
        self.sess[sid].paused = False
        self.sess[sid].reason = -1
        return self._emit(sid, t, S_READY, INT64_MIN, -1)

    cdef int _open_in_order(self, vector[int64_t] *out) except -1 nogil:
        """The open queue sessions, in the order they opened (the importer's dict order:
        session ids only grow)."""
        cdef pair[int64_t, int64_t] entry
        out.clear()
        for entry in self.open_by_key:
            out.push_back(entry.second)
        sort(out.begin(), out.end())
        return 0

    cdef int _queuestart(self, int64_t t) except -1 nogil:
        """SPEC 6.1: the server restarted; every open session ends here, and so does
        every presence (the agents are logged out). Returns 1 when something ended."""
        cdef vector[int64_t] ending
        cdef size_t k
        cdef int32_t agent
        for k in range(self.login_of.size()):
            self.login_of[k] = INT64_MIN
        if self.open_by_key.size() == 0 and self.n_presence == 0:
            return 0
        self._open_in_order(&ending)
        for k in range(ending.size()):
            self._end(ending[k], t)
        ending.clear()
        for k in range(self.presence_of.size()):
            if self.presence_of[k] >= 0:
                ending.push_back(self.presence_of[k])
        sort(ending.begin(), ending.end())
        for k in range(ending.size()):
            self._end_presence(self.sess[ending[k]].agent, t)
        return 1

    # -- the block ----------------------------------------------------------------

    def read(
        self,
        const int64_t[::1] epoch,
        const int64_t[::1] where,
        const int16_t[::1] verb,
        const int32_t[::1] queue,
        const int32_t[::1] agent,
        const int32_t[::1] data1,
        const int64_t[:, ::1] number,
        const int8_t[::1] verdict,
        const int8_t[::1] call_reason,
        const int8_t[::1] verb_kind,
        const uint8_t[::1] queue_nobody,
        const int64_t[::1] queue_wrapup,
        const int32_t[::1] agent_canon,
        const uint8_t[::1] text_paused,
        const int8_t[::1] call_reason_code,
        *,
        Py_ssize_t n_agents,
        int32_t empty_text,
        int16_t login_verb,
    ):
        """Translate one block of rows (validated by the caller: equal lengths, every
        code inside its table). verdict: the call side's (-1 not its line, 1 used, 0
        counted under call_reason_code[call_reason]); agent_canon: -1 for an agent field
        that names nobody; empty_text: the texts code of "" (-1: not seen)."""
        cdef Py_ssize_t i, n = epoch.shape[0]
        cdef Py_ssize_t n_verbs = verb_kind.shape[0]
        cdef int64_t t, w, sid, wait, wrap, logged, start
        cdef int32_t q, a, reason, data
        cdef int16_t v
        cdef int8_t kind
        cdef bint changed, no_queue, fresh, pausing, logged_in
        cdef vector[int64_t] targets
        cdef size_t k
        if self.finished:
            raise RuntimeError("the translation is finished: no more rows")
        self._grow(n_agents, n_verbs)
        with nogil:
            for i in range(n):
                t = epoch[i]
                w = where[i]
                if verdict[i] >= 0:
                    # the call side's own line (SPEC 8): it keeps the line's accounting
                    if verdict[i] > 0:
                        self.n_used = self.n_used + 1
                    else:
                        self._count(call_reason_code[call_reason[i]], w, True)
                    continue
                v = verb[i]
                kind = verb_kind[v]
                if kind == V_EMPTY:
                    self._count(R_MALFORMED, w, True)
                    continue
                if kind == V_NOT_AGENT:
                    self._count(R_NOT_AGENT_EVENT, w, False)
                    continue
                if kind == V_QUEUESTART:
                    if self._queuestart(t):
                        self.n_used = self.n_used + 1
                    else:
                        self._count(R_NO_STATE_CHANGE, w, False)
                    continue
                if kind == V_UNKNOWN:
                    self._count(N_FIXED + v, w, True)
                    continue
                a = agent_canon[agent[i]]
                if a < 0:
                    self._count(R_NO_AGENT, w, True)
                    continue
                q = queue[i]
                no_queue = queue_nobody[q]
                data = data1[i]
                # the pause reason a line gives (data1; none when empty)
                reason = -1 if data == empty_text else data
                self._settle_agent(a, t)
                if kind == V_RINGNOANSWER and not no_queue:
                    self.missed_of[a] = self.missed_of[a] + 1            # SPEC 7.1: a missed offer

                if kind == V_CONNECT:
                    if no_queue:
                        self._count(R_NO_QUEUE, w, True)
                        continue
                    wait = number[i, 0]
                    if wait > t:
                        wait = INT64_MIN              # (MISSING stays MISSING)
                    sid = self._static(q, a, w, v, login_verb, &fresh)
                    if not fresh:
                        self._settle(sid, t)
                        if self.sess[sid].on_call:
                            # the previous call's end line is missing; it ends here so
                            # that this call is counted too (SPEC 6.6)
                            self.n_unterminated = self.n_unterminated + 1
                            self._emit(sid, t, self._idle(sid), INT64_MIN, -1)
                    self.sess[sid].wrap_until = INT64_MIN
                    self.sess[sid].on_call = True
                    self.sess[sid].call_cap_at = t + self.max_call if self.max_call > 0 else INT64_MIN
                    changed = self._emit(sid, t, S_BUSY_ON_CALL, wait, -1)
                elif kind == V_CALL_END or kind == V_TRANSFER:
                    sid = -1 if no_queue else self._open_session(q, a)
                    if sid < 0 or not self.sess[sid].on_call:
                        self._count(R_ORPHAN, w, True)
                        continue
                    self.sess[sid].on_call = False
                    self.sess[sid].call_cap_at = INT64_MIN
                    if kind == V_TRANSFER:
                        self.transfers_of[a] = self.transfers_of[a] + 1     # SPEC 7.1
                    wrap = queue_wrapup[q]
                    if wrap > 0:
                        self.sess[sid].wrap_until = t + wrap
                        changed = self._emit(sid, t, S_BUSY_WRAPUP, INT64_MIN, -1)
                    else:
                        changed = self._emit(sid, t, self._idle(sid), INT64_MIN, self.sess[sid].reason)
                elif (kind == V_PAUSE or kind == V_UNPAUSE) and not no_queue:
                    sid = self._static(q, a, w, v, login_verb, &fresh)
                    if kind == V_PAUSE:
                        changed = self._pause(sid, t, reason)
                    else:
                        changed = self._unpause(sid, t)
                elif kind == V_PAUSE or kind == V_UNPAUSE or kind == V_PAUSEALL or kind == V_UNPAUSEALL:
                    # SPEC 6.2 / 6.6: every open session of the agent and its presence; an
                    # agent with neither is present from this line on
                    pausing = kind == V_PAUSE or kind == V_PAUSEALL
                    sid = self.presence_of[a]
                    changed = False
                    if sid < 0 and self.by_agent[a].size() == 0:
                        self._start_presence(a, t, w, <int32_t>v << 2, pausing, reason if pausing else -1)
                        changed = True
                    elif sid >= 0:
                        self.sess[sid].paused = pausing
                        self.sess[sid].reason = reason if pausing else -1
                        if self._emit(sid, t, S_NOT_READY if pausing else S_READY, INT64_MIN,
                                      reason if pausing else -1):
                            changed = True
                    for k in range(self.by_agent[a].size()):
                        sid = self.by_agent[a][k]
                        if self._pause(sid, t, reason) if pausing else self._unpause(sid, t):
                            changed = True
                elif kind == V_WRAPUPSTART:
                    # SPEC 6.6: a logged wrap-up of data1 seconds, in that queue's session
                    # (queue NONE: every open session of the agent); it replaces a
                    # configured one
                    wrap = number[i, 0]
                    if wrap == INT64_MIN or wrap > LONGEST_WRAPUP:
                        self._count(R_MALFORMED, w, True)
                        continue
                    targets.clear()
                    if no_queue:
                        if self.by_agent[a].size() == 0:
                            self._count(R_ORPHAN, w, True)
                            continue
                        targets = self.by_agent[a]
                    else:
                        targets.push_back(self._static(q, a, w, v, login_verb, &fresh))
                    changed = False
                    for k in range(targets.size()):
                        sid = targets[k]
                        self._settle(sid, t)
                        if self.sess[sid].on_call:
                            self.sess[sid].on_call = False
                            self.sess[sid].call_cap_at = INT64_MIN
                        self.sess[sid].wrap_until = t + wrap
                        if self._emit(sid, t, S_BUSY_WRAPUP, INT64_MIN, -1):
                            changed = True
                        if wrap == 0:
                            self._settle(sid, t)
                            changed = True
                elif kind == V_ADDMEMBER or (kind == V_LOGIN and not no_queue):
                    if no_queue:
                        self._count(R_NO_QUEUE, w, True)
                        continue
                    if self._open_session(q, a) >= 0:
                        self._count(R_NO_STATE_CHANGE, w, False)
                        continue
                    sid = self._start(q, a, w, <int32_t>v << 2)
                    self.sess[sid].paused = kind == V_ADDMEMBER and text_paused[data]
                    changed = self._emit(sid, t, self._idle(sid), INT64_MIN, -1)
                elif kind == V_LOGIN:
                    # AGENTLOGIN with no queue: the agent's presence starts (SPEC 6.6), and
                    # its queue sessions start at the login (see _static)
                    changed = self.login_of[a] != t
                    if self.login_of[a] == INT64_MIN:
                        self.login_of[a] = t
                    if self.presence_of[a] < 0:
                        self._start_presence(a, t, w, <int32_t>v << 2, False, -1)
                        changed = True
                elif kind == V_REMOVEMEMBER or kind == V_LOGOFF:
                    targets.clear()
                    if not no_queue:
                        sid = self._open_session(q, a)
                        if sid >= 0:
                            targets.push_back(sid)
                    elif kind == V_LOGOFF:
                        targets = self.by_agent[a]
                    logged_in = False
                    if kind == V_LOGOFF and self.login_of[a] != INT64_MIN:
                        self.login_of[a] = INT64_MIN
                        logged_in = True
                    if kind == V_LOGOFF and no_queue:
                        # SPEC 6.6: the presence ends; with no login in the log, data2
                        # (seconds logged in) says when it began
                        if self._end_presence(a, t):
                            logged_in = True
                        elif not logged_in:
                            logged = number[i, 1]
                            if logged != INT64_MIN and logged <= t and logged != 0:
                                # not before a line of the agent already translated: its
                                # time up to there is already accounted
                                start = t - logged
                                if self.last_of[a] != INT64_MIN and self.last_of[a] > start:
                                    start = self.last_of[a]
                                if start < t:
                                    self._start_presence(a, start, w, (<int32_t>v << 2) | HOW_DATA2,
                                                         False, -1)
                                    self._end_presence(a, t)
                                    logged_in = True
                    if targets.size() == 0:
                        if logged_in:
                            self.n_used = self.n_used + 1
                        else:
                            self._count(R_ORPHAN, w, True)
                        continue
                    for k in range(targets.size()):
                        self._end(targets[k], t)
                    changed = True
                else:
                    # ringing verbs: evidence of a (static) member, no state change
                    if no_queue:
                        self._count(R_NO_QUEUE, w, True)
                        continue
                    if self._open_session(q, a) >= 0:
                        self._count(R_NO_STATE_CHANGE, w, False)
                        continue
                    sid = self._static(q, a, w, v, login_verb, &fresh)
                    # (not fresh: READY since the login)
                    changed = self._emit(sid, t, S_READY, INT64_MIN, -1) if fresh else True
                if changed:
                    self.n_used = self.n_used + 1
                else:
                    self._count(R_NO_STATE_CHANGE, w, False)
        return 0

    def finish(self, int64_t horizon, bint has_horizon):
        """The end of the log: wrap-ups and max_call caps due by the horizon (the report
        time) elapse, then every call still without its end line is counted."""
        cdef vector[int64_t] still_open
        cdef size_t k
        cdef int64_t sid
        if self.finished:
            raise RuntimeError("the translation is finished already")
        self.finished = True
        self._open_in_order(&still_open)
        if has_horizon:
            for k in range(still_open.size()):
                sid = still_open[k]
                if self.sess[sid].call_cap_at != INT64_MIN and self.sess[sid].call_cap_at <= horizon:
                    self._settle(sid, self.sess[sid].call_cap_at)
                if self.sess[sid].wrap_until != INT64_MIN and self.sess[sid].wrap_until <= horizon:
                    self._settle(sid, self.sess[sid].wrap_until)
        for k in range(still_open.size()):
            if self.sess[still_open[k]].on_call:
                self.n_unterminated = self.n_unterminated + 1
        return 0

    # -- results ------------------------------------------------------------------

    @property
    def pending_events(self):
        """Events not yet taken."""
        return self.events.size()

    @property
    def used(self):
        """Lines used."""
        return self.n_used

    @property
    def unterminated_calls(self):
        """Calls closed without their end line (SPEC 6.6)."""
        return self.n_unterminated

    @property
    def n_sessions(self):
        """Sessions opened (queue sessions and presence)."""
        return self.sess.size()

    @property
    def is_finished(self):
        """Whether finish() has run."""
        return self.finished

    def take_events(self):
        """The events not yet taken, as new arrays (session int64, time int64, state
        uint8, wait int64, reason int32 texts code or -1); the buffer is emptied."""
        cdef Py_ssize_t i, n = self.events.size()
        session = np.empty(n, dtype=np.int64)
        time = np.empty(n, dtype=np.int64)
        state = np.empty(n, dtype=np.uint8)
        wait = np.empty(n, dtype=np.int64)
        reason = np.empty(n, dtype=np.int32)
        cdef int64_t[::1] session_v = session, time_v = time, wait_v = wait
        cdef uint8_t[::1] state_v = state
        cdef int32_t[::1] reason_v = reason
        for i in range(n):
            session_v[i] = self.events[i].session
            time_v[i] = self.events[i].time
            state_v[i] = self.events[i].state
            wait_v[i] = self.events[i].wait
            reason_v[i] = self.events[i].reason
        self.events.clear()
        return session, time, state, wait, reason

    def session_table(self):
        """Per session: queue code (-1: presence), canonical agent code, instance,
        where, how-opened code ((verb code << 2) | HOW_*), as new arrays."""
        cdef Py_ssize_t i, n = self.sess.size()
        queue = np.empty(n, dtype=np.int32)
        agent = np.empty(n, dtype=np.int32)
        instance = np.empty(n, dtype=np.int64)
        where = np.empty(n, dtype=np.int64)
        how = np.empty(n, dtype=np.int32)
        cdef int32_t[::1] queue_v = queue, agent_v = agent, how_v = how
        cdef int64_t[::1] instance_v = instance, where_v = where
        for i in range(n):
            queue_v[i] = self.sess[i].queue
            agent_v[i] = self.sess[i].agent
            instance_v[i] = self.sess[i].instance
            where_v[i] = self.sess[i].where
            how_v[i] = self.sess[i].how
        return queue, agent, instance, where, how

    def counts(self):
        """Lines counted per reason code (FIXED_REASONS + verb code: unknown verbs)."""
        return np.asarray([self.reason_count[k] for k in range(self.reason_count.size())], dtype=np.int64)

    def examples(self, Py_ssize_t reason):
        """The first few location codes counted under a reason."""
        cdef Py_ssize_t k, kept
        if not 0 <= reason < <Py_ssize_t>self.reason_count.size():
            raise IndexError(f"reason {reason} is not in 0..{self.reason_count.size() - 1}")
        kept = min(self.reason_count[reason], EXAMPLES_KEPT)
        return [self.example_at[reason * EXAMPLES_KEPT + k] for k in range(kept)
                if self.example_at[reason * EXAMPLES_KEPT + k] != -1]

    def agent_counts(self):
        """Per canonical agent code: (missed offers, transfers) as new int64 arrays."""
        cdef Py_ssize_t k, n = self.missed_of.size()
        missed = np.empty(n, dtype=np.int64)
        transfers = np.empty(n, dtype=np.int64)
        for k in range(n):
            missed[k] = self.missed_of[k]
            transfers[k] = self.transfers_of[k]
        return missed, transfers

    def working_set(self):
        """Entries held: (open queue sessions, open presence sessions, sessions)."""
        return (self.open_by_key.size(), self.n_presence, self.sess.size())

    def logins(self):
        """The AGENTLOGIN time of every canonical agent still logged in that way
        (INT64_MIN: none), a new int64 array: a queue session of such an agent that
        starts later starts at this time (see _static)."""
        cdef Py_ssize_t k, n = self.login_of.size()
        out = np.empty(n, dtype=np.int64)
        cdef int64_t[::1] view = out
        for k in range(n):
            view[k] = self.login_of[k]
        return out
