"""The call side of the queue_log translation (SPEC 8.1): queued calls from typed line columns.

One block of LineColumns rows in (agentstats.io.qlog_columns), per row a verdict and a
reason code out; the records (13 int64 values a stay, the same layout as the plain-Python
QueueCallTracker, its twin), the open stays, the ended stays and the flow sources live in
C buffers and open-addressing hash tables owned by :class:`CallState`, so no Python code
runs per line. agentstats.io.queue_calls (CompiledCallTracker) validates the columns,
builds the per-verb and per-name tables and allocates the outputs; this fills them.
Compiler directives are set in setup.py only.

Keys: an open or ended stay is keyed by (callid code << 32 | queue code), a flow source
by the callid code; queue and agent codes are those of the import's LineNames, callid
codes those of the import's LineNames too, or, when the blocks carry their own callid
tables (:meth:`CallState.intern_callids`), tokens of this state's own callid table,
which :meth:`CallState.compact_callids` shrinks to the callids still referred to
(non-negative int32). Times and waits are int64 seconds, INT64_MIN meaning missing.
"""

cimport cython
from cython.operator cimport dereference as deref
from libc.stdint cimport INT32_MAX, INT64_MIN, int8_t, int16_t, int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memchr, memcmp, memcpy, memmove
from libcpp.vector cimport vector

from ._text cimport name_hash as _name_hash

import numpy as np

cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define agentstats_calls_prefetch(p) __builtin_prefetch((const void *)(p), 0, 1)
    #else
    #define agentstats_calls_prefetch(p) ((void)(p))
    #endif
    """
    void agentstats_calls_prefetch(const void* p) noexcept nogil

cdef enum:
    CID_AHEAD = 16          # callids: how far ahead their slot is asked for

# Offsets of a record (the layout of agentstats.io.queue_calls).
cdef enum:
    F_ENTER = 0
    F_LEAVE = 1
    F_WAIT = 2
    F_TALK = 3
    F_CALL_END = 4
    F_LINE_AT = 5
    F_PREV = 6
    F_NEXT = 7
    F_QUEUE = 8
    F_AGENT = 9
    F_OUTCOME = 10
    F_WAIT_SOURCE = 11
    F_ENDED_BY = 12
    WIDTH = 13

# The other fields of a final record handed out by take_final(full=True).
cdef enum:
    X_SEQ = 0
    X_CALLID = 1
    X_TALK = 2
    X_CALL_END = 3
    X_LINE_AT = 4
    X_AGENT = 5
    X_WAIT_SOURCE = 6
    X_ENDED_BY = 7
    X_PREV_QUEUE = 8
    X_NEXT_QUEUE = 9
    FULL_WIDTH = 10

# Outcomes and wait sources (agentstats.io.queue_calls).
cdef enum:
    O_WAITING = 0
    O_ANSWERED = 1
    W_MISSING = 0
    W_LOGGED = 1
    W_MEASURED = 2

# What a verb is to the call side (the caller's per-verb table).
cdef enum:
    K_NONE = 0           # not a call verb: verdict -1
    K_ENTER = 1
    K_CONNECT = 2
    K_END = 3            # a call-end line (arg: ended_by code, field: talk field)
    K_REFUSAL = 4        # arg: outcome
    K_EXIT = 5           # arg: outcome, field: wait field (-1: none)
    N_KINDS = 6

# Reasons of a counted line (verdict 0).
cdef enum:
    R_NONE = 0
    R_NO_CALLID = 1
    R_NO_QUEUE = 2
    R_QUEUE_ORPHAN = 3
    R_SECOND_ENTERQUEUE = 4

# Notes (call-side findings on lines the agent side accounts for).
cdef enum:
    N_NO_CALLID = 0
    N_NO_QUEUE = 1
    N_SECOND_CONNECT = 2
    N_QUEUE_ORPHAN = 3
    N_CALL_END_UNPAIRED = 4
    N_TALK_MISMATCH = 5
    N_NOTES = 6

cdef enum:
    DATA_FIELDS = 5
    ST_OK = 0
    ST_NO_MEMORY = -1

cdef int64_t NOTHING = -1         # an empty hash slot / "not found"

KIND_NONE = K_NONE
KIND_ENTER = K_ENTER
KIND_CONNECT = K_CONNECT
KIND_END = K_END
KIND_REFUSAL = K_REFUSAL
KIND_EXIT = K_EXIT
#: reason codes of a counted line (index = code; 0: the line was not counted)
REASONS = ("", "no_callid", "no_queue", "queue_orphan", "second_enterqueue")
#: note codes (index = code)
NOTES = ("no_callid", "no_queue", "second_connect", "queue_orphan", "call_end_unpaired",
         "talk_mismatch")
#: int64 values per record
RECORD_WIDTH = WIDTH
#: the keys of take_final(full=True)'s eighth item (in X_* order)
FULL_FIELDS = ("seq", "callid", "talk", "call_end", "line_at", "agent", "wait_source", "ended_by",
               "prev_queue", "next_queue")


# -- an int64 -> int64 hash table (linear probing, backward-shift deletion) ------------

cdef struct Map:
    int64_t *keys          # NOTHING: empty slot
    int64_t *vals
    int64_t mask           # capacity - 1 (capacity a power of two)
    int64_t size


cdef inline uint64_t _mix(int64_t key) noexcept nogil:
    cdef uint64_t z = <uint64_t>key + <uint64_t>0x9E3779B97F4A7C15
    z = (z ^ (z >> 30)) * <uint64_t>0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) * <uint64_t>0x94D049BB133111EB
    return z ^ (z >> 31)


cdef int _map_alloc(Map *m, int64_t capacity) noexcept nogil:
    cdef int64_t i
    m.keys = <int64_t *>malloc(capacity * sizeof(int64_t))
    m.vals = <int64_t *>malloc(capacity * sizeof(int64_t))
    if m.keys == NULL or m.vals == NULL:
        free(m.keys)
        free(m.vals)
        m.keys = NULL
        m.vals = NULL
        return ST_NO_MEMORY
    for i in range(capacity):
        m.keys[i] = NOTHING
    m.mask = capacity - 1
    m.size = 0
    return ST_OK


cdef void _map_free(Map *m) noexcept nogil:
    free(m.keys)
    free(m.vals)
    m.keys = NULL
    m.vals = NULL


cdef inline int64_t _map_slot(const Map *m, int64_t key) noexcept nogil:
    """The slot holding `key`, or the empty slot where it would go."""
    cdef int64_t i = <int64_t>(_mix(key) & <uint64_t>m.mask)
    while m.keys[i] != NOTHING and m.keys[i] != key:
        i = (i + 1) & m.mask
    return i


cdef inline int64_t _map_get(const Map *m, int64_t key) noexcept nogil:
    cdef int64_t i = _map_slot(m, key)
    return m.vals[i] if m.keys[i] == key else NOTHING


cdef int _map_grow(Map *m) noexcept nogil:
    cdef Map bigger
    cdef int64_t i, j
    if _map_alloc(&bigger, 2 * (m.mask + 1)) != ST_OK:
        return ST_NO_MEMORY
    for i in range(m.mask + 1):
        if m.keys[i] != NOTHING:
            j = _map_slot(&bigger, m.keys[i])
            bigger.keys[j] = m.keys[i]
            bigger.vals[j] = m.vals[i]
    bigger.size = m.size
    _map_free(m)
    m[0] = bigger
    return ST_OK


cdef inline int _map_put(Map *m, int64_t key, int64_t value) noexcept nogil:
    cdef int64_t i
    if 2 * (m.size + 1) > m.mask + 1:
        if _map_grow(m) != ST_OK:
            return ST_NO_MEMORY
    i = _map_slot(m, key)
    if m.keys[i] != key:
        m.keys[i] = key
        m.size += 1
    m.vals[i] = value
    return ST_OK


cdef void _map_erase(Map *m, int64_t i) noexcept nogil:
    """Empty slot i, shifting back the entries of its probe run."""
    cdef int64_t j = i, home
    while True:
        j = (j + 1) & m.mask
        if m.keys[j] == NOTHING:
            break
        home = <int64_t>(_mix(m.keys[j]) & <uint64_t>m.mask)
        # the entry at j stays when its home lies cyclically in (i, j]
        if (i <= j and i < home <= j) or (i > j and (home > i or home <= j)):
            continue
        m.keys[i] = m.keys[j]
        m.vals[i] = m.vals[j]
        i = j
    m.keys[i] = NOTHING
    m.size -= 1


cdef inline int64_t _map_pop(Map *m, int64_t key) noexcept nogil:
    cdef int64_t i = _map_slot(m, key), value
    if m.keys[i] != key:
        return NOTHING
    value = m.vals[i]
    _map_erase(m, i)
    return value


cdef inline void _map_erase_if(Map *m, int64_t key, int64_t value) noexcept nogil:
    """Remove `key` when it maps to `value`."""
    cdef int64_t i = _map_slot(m, key)
    if m.keys[i] == key and m.vals[i] == value:
        _map_erase(m, i)


# -- the callid table of blocks that carry their own (names -> tokens) -------------------

cdef struct NameSlot:
    uint32_t hash          # the name's hash, low 32 bits
    int32_t code           # -1: an empty slot


cdef inline int64_t _remap_key(int64_t key, const int32_t* token) noexcept nogil:
    """A stay key (callid << 32 | queue) with its callid renumbered."""
    return (<int64_t>token[key >> 32] << 32) | (key & <int64_t>0xFFFFFFFF)


cdef inline int64_t _seconds(int64_t value, int64_t latest) noexcept nogil:
    """A whole-seconds field as read by the call side: MISSING above `latest`."""
    return value if value != INT64_MIN and value <= latest else INT64_MIN


cdef struct State:
    int64_t *rec            # n_records x WIDTH
    int32_t *rec_callid     # the callid code of each record
    int64_t *rec_seq        # the order each record began in (0, 1, ...: kept when folding)
    int64_t n_records
    int64_t n_created       # records ever made (the next record's seq)
    int64_t cap_records
    Map open_stays          # (callid, queue) -> open record
    Map ended               # (callid, queue) -> latest ended record
    Map unanswered          # callid -> latest record that left unanswered
    int64_t *forget_t       # FIFO of ended stays: time, key, record
    int64_t *forget_key
    int64_t *forget_rec
    int64_t forget_head
    int64_t forget_tail
    int64_t cap_forget
    int64_t note[N_NOTES]
    int64_t memory
    int64_t latest
    int64_t n_folded   # records handed out by take_final (no longer held)
    int64_t n_queues   # tracker queue codes given out
    int64_t n_agents   # tracker agent codes given out
    int last_reason    # the reason of the latest counted line


# -- helpers (run without the GIL; `self` is the tracker's State) ----------------------

cdef int64_t _new(State *self, int32_t callid, int32_t queue, int64_t enter, int64_t where,
                  int32_t *queue_out, int32_t *queue_raw) noexcept nogil:
    """A new record; -1 when out of memory."""
    cdef int64_t r = self.n_records, cap
    cdef int64_t *row
    cdef int64_t *bigger
    cdef int32_t *bigger_callid
    cdef int64_t *bigger_seq
    cdef int32_t code
    if r == self.cap_records:
        cap = 2 * self.cap_records
        bigger = <int64_t *>realloc(self.rec, cap * WIDTH * sizeof(int64_t))
        if bigger == NULL:
            return -1
        self.rec = bigger
        bigger_callid = <int32_t *>realloc(self.rec_callid, cap * sizeof(int32_t))
        if bigger_callid == NULL:
            return -1
        self.rec_callid = bigger_callid
        bigger_seq = <int64_t *>realloc(self.rec_seq, cap * sizeof(int64_t))
        if bigger_seq == NULL:
            return -1
        self.rec_seq = bigger_seq
        self.cap_records = cap
    code = queue_out[queue]
    if code < 0:
        code = queue_out[queue] = <int32_t>self.n_queues
        queue_raw[code] = queue
        self.n_queues += 1
    row = self.rec + r * WIDTH
    row[F_ENTER] = enter
    row[F_LEAVE] = INT64_MIN
    row[F_WAIT] = INT64_MIN
    row[F_TALK] = INT64_MIN
    row[F_CALL_END] = INT64_MIN
    row[F_LINE_AT] = where
    row[F_PREV] = -1
    row[F_NEXT] = -1
    row[F_QUEUE] = code
    row[F_AGENT] = -1
    row[F_OUTCOME] = O_WAITING
    row[F_WAIT_SOURCE] = W_MISSING
    row[F_ENDED_BY] = 0
    self.rec_callid[r] = callid
    self.rec_seq[r] = self.n_created
    self.n_created += 1
    self.n_records = r + 1
    return r

cdef void _enter_from_flow(State *self, int32_t callid, int64_t record) noexcept nogil:
    """A call that left another queue unanswered and enters this one has flowed
    out of that queue and into this one."""
    cdef int64_t source = _map_pop(&self.unanswered, callid)
    cdef int64_t *s
    cdef int64_t *r
    if source < 0:
        return
    s = self.rec + source * WIDTH
    r = self.rec + record * WIDTH
    if s[F_QUEUE] != r[F_QUEUE] and s[F_NEXT] < 0:
        s[F_NEXT] = record
        r[F_PREV] = source

cdef int _close(State *self, int64_t record, int64_t t, int64_t outcome, int64_t wait,
                int64_t key) noexcept nogil:
    cdef int64_t *r = self.rec + record * WIDTH
    cdef int64_t enter = r[F_ENTER], cap, live, i
    cdef int64_t *bigger
    r[F_LEAVE] = t
    r[F_OUTCOME] = outcome
    if wait != INT64_MIN:
        r[F_WAIT] = wait
        r[F_WAIT_SOURCE] = W_LOGGED
    elif enter != INT64_MIN and t >= enter:
        r[F_WAIT] = t - enter             # a wait missing from the line is measured
        r[F_WAIT_SOURCE] = W_MEASURED
    if _map_put(&self.ended, key, record) != ST_OK:
        return ST_NO_MEMORY
    if outcome != O_ANSWERED:
        if _map_put(&self.unanswered, key >> 32, record) != ST_OK:
            return ST_NO_MEMORY
    if self.forget_tail == self.cap_forget:
        live = self.forget_tail - self.forget_head
        if 2 * live <= self.cap_forget:     # compact: the FIFO is at most half full
            memmove(self.forget_t, self.forget_t + self.forget_head, live * sizeof(int64_t))
            memmove(self.forget_key, self.forget_key + self.forget_head, live * sizeof(int64_t))
            memmove(self.forget_rec, self.forget_rec + self.forget_head, live * sizeof(int64_t))
        else:
            cap = 2 * self.cap_forget
            bigger = <int64_t *>realloc(self.forget_t, cap * sizeof(int64_t))
            if bigger == NULL:
                return ST_NO_MEMORY
            self.forget_t = bigger
            bigger = <int64_t *>realloc(self.forget_key, cap * sizeof(int64_t))
            if bigger == NULL:
                return ST_NO_MEMORY
            self.forget_key = bigger
            bigger = <int64_t *>realloc(self.forget_rec, cap * sizeof(int64_t))
            if bigger == NULL:
                return ST_NO_MEMORY
            self.forget_rec = bigger
            if self.forget_head:
                memmove(self.forget_t, self.forget_t + self.forget_head, live * sizeof(int64_t))
                memmove(self.forget_key, self.forget_key + self.forget_head, live * sizeof(int64_t))
                memmove(self.forget_rec, self.forget_rec + self.forget_head, live * sizeof(int64_t))
            self.cap_forget = cap
        self.forget_head = 0
        self.forget_tail = live
    i = self.forget_tail
    self.forget_t[i] = t
    self.forget_key[i] = key
    self.forget_rec[i] = record
    self.forget_tail = i + 1
    return ST_OK

cdef void _drop_old(State *self, int64_t t) noexcept nogil:
    cdef int64_t horizon = t - self.memory, key, record
    while self.forget_head < self.forget_tail and self.forget_t[self.forget_head] < horizon:
        key = self.forget_key[self.forget_head]
        record = self.forget_rec[self.forget_head]
        self.forget_head += 1
        _map_erase_if(&self.ended, key, record)
        _map_erase_if(&self.unanswered, key >> 32, record)

@cython.auto_pickle(False)
@cython.final       # (its cdef methods are then called directly, and the inline ones inlined)
cdef class CallState:
    """The records and working state of one compiled call tracker.

    memory: seconds an ended stay is remembered; latest: the largest whole-seconds
    field value read as a number."""

    cdef State s
    # The callid table (blocks with their own callid tables): an open-addressing hash
    # table of tokens (at most half full), the names' bytes end to end, where each
    # starts (token k is cid_spelled[cid_at[k]:cid_at[k + 1]]). "" and "NONE" are 0, 1.
    cdef vector[NameSlot] cid_slots
    cdef vector[char] cid_spelled
    cdef vector[int64_t] cid_at

    @property
    def memory(self):
        """Seconds an ended stay is remembered."""
        return self.s.memory

    @property
    def latest(self):
        """The largest field value read as a number."""
        return self.s.latest

    @property
    def n_queues(self):
        """Tracker queue codes given out."""
        return self.s.n_queues

    @property
    def n_agents(self):
        """Tracker agent codes given out."""
        return self.s.n_agents

    @property
    def folded(self):
        """Records handed out by :meth:`take_final` and no longer held."""
        return self.s.n_folded

    @property
    def last_reason(self):
        """The reason code of the latest counted line."""
        return self.s.last_reason

    def __cinit__(self):
        cdef int k
        self.s.memory = 0
        self.s.latest = 0
        self.s.n_folded = 0
        self.s.n_created = 0
        self.s.cap_records = 1024
        self.s.cap_forget = 1024
        self.s.rec = <int64_t *>malloc(self.s.cap_records * WIDTH * sizeof(int64_t))
        self.s.rec_callid = <int32_t *>malloc(self.s.cap_records * sizeof(int32_t))
        self.s.rec_seq = <int64_t *>malloc(self.s.cap_records * sizeof(int64_t))
        self.s.forget_t = <int64_t *>malloc(self.s.cap_forget * sizeof(int64_t))
        self.s.forget_key = <int64_t *>malloc(self.s.cap_forget * sizeof(int64_t))
        self.s.forget_rec = <int64_t *>malloc(self.s.cap_forget * sizeof(int64_t))
        if (self.s.rec == NULL or self.s.rec_callid == NULL or self.s.rec_seq == NULL
                or self.s.forget_t == NULL
                or self.s.forget_key == NULL or self.s.forget_rec == NULL
                or _map_alloc(&self.s.open_stays, 64) != ST_OK
                or _map_alloc(&self.s.ended, 64) != ST_OK
                or _map_alloc(&self.s.unanswered, 64) != ST_OK):
            raise MemoryError("no memory for the call tracker")
        for k in range(N_NOTES):
            self.s.note[k] = 0
        self.cid_slots.assign(64, NameSlot(0, -1))
        self.cid_at.push_back(0)
        self._cid_code(<const uint8_t*><const char*>b"", 0)
        self._cid_code(<const uint8_t*><const char*>b"NONE", 4)

    def __init__(self, int64_t memory, int64_t latest):
        self.s.memory = memory
        self.s.latest = latest

    def __dealloc__(self):
        free(self.s.rec)
        free(self.s.rec_callid)
        free(self.s.rec_seq)
        free(self.s.forget_t)
        free(self.s.forget_key)
        free(self.s.forget_rec)
        _map_free(&self.s.open_stays)
        _map_free(&self.s.ended)
        _map_free(&self.s.unanswered)

    # -- the callid table -----------------------------------------------------------

    cdef int32_t _cid_code(self, const uint8_t* p, int64_t n) except -1 nogil:
        """The token of a callid (its bytes), a new one the first time it is seen."""
        return self._cid_code_hashed(p, n, _name_hash(p, n))

    cdef int32_t _cid_code_hashed(self, const uint8_t* p, int64_t n, uint64_t h) except -1 nogil:
        """_cid_code, given the callid's _name_hash."""
        cdef size_t mask = self.cid_slots.size() - 1, i = <uint32_t>h & mask
        cdef int32_t code
        cdef int64_t start
        while self.cid_slots[i].code >= 0:
            if self.cid_slots[i].hash == <uint32_t>h:
                code = self.cid_slots[i].code
                start = self.cid_at[code]
                if (self.cid_at[code + 1] - start == n
                        and memcmp(self.cid_spelled.data() + start, p, n) == 0):
                    return code
            i = (i + 1) & mask
        if self.cid_at.size() > <size_t>INT32_MAX:
            with gil:
                raise OverflowError("more callids held than int32 codes")
        code = <int32_t>(self.cid_at.size() - 1)
        self.cid_slots[i] = NameSlot(<uint32_t>h, code)
        start = self.cid_spelled.size()
        self.cid_spelled.resize(start + n)
        if n:
            memcpy(self.cid_spelled.data() + start, p, n)
        self.cid_at.push_back(start + n)
        if 2 * self.cid_at.size() > self.cid_slots.size():
            self._cid_rehash(2 * self.cid_slots.size())
        return code

    cdef void _cid_rehash(self, size_t size) noexcept nogil:
        """Rebuild the hash slots of the callid table (`size`: a power of two)."""
        cdef size_t k, i, mask = size - 1
        cdef int64_t start
        cdef uint32_t h
        self.cid_slots.assign(size, NameSlot(0, -1))
        for k in range(self.cid_at.size() - 1):
            start = self.cid_at[k]
            h = <uint32_t>_name_hash(<const uint8_t*>self.cid_spelled.data() + start, self.cid_at[k + 1] - start)
            i = h & mask
            while self.cid_slots[i].code >= 0:
                i = (i + 1) & mask
            self.cid_slots[i] = NameSlot(h, <int32_t>k)

    def intern_callids(self, Py_ssize_t count, bytes joined):
        """A block's callid table, ``count`` names joined by LF (UTF-8): the int32 array
        of their tokens in this state's callid table (block code -> token)."""
        cdef const uint8_t* p = <const uint8_t*><const char*>joined
        cdef Py_ssize_t n = len(joined), pos = 0, k, done = 0
        cdef const uint8_t* bar
        cdef int64_t end
        if count < 0:
            raise ValueError("count must be >= 0")
        out = np.empty(count, dtype=np.int32)
        cdef int32_t[::1] token = out
        # The names are cut and hashed first, then looked up with the slot of the name
        # CID_AHEAD further on asked for meanwhile: the table is too big for the caches
        # and its slots are met in no order.
        cdef vector[int64_t] starts
        cdef vector[uint64_t] hashes
        cdef Py_ssize_t j
        with nogil:
            starts.reserve(count + 1)
            hashes.reserve(count)
            for k in range(count):
                if pos > n:
                    break
                bar = <const uint8_t*>memchr(p + pos, 10, n - pos) if pos < n else NULL
                end = (bar - p) if bar != NULL else n
                starts.push_back(pos)
                hashes.push_back(_name_hash(p + pos, end - pos))
                pos = end + 1
                done += 1
            starts.push_back(pos)
            for k in range(min(<Py_ssize_t>CID_AHEAD, done)):
                agentstats_calls_prefetch(&self.cid_slots[<uint32_t>hashes[k] & (self.cid_slots.size() - 1)])
            for k in range(done):
                j = k + CID_AHEAD
                if j < done:
                    agentstats_calls_prefetch(&self.cid_slots[<uint32_t>hashes[j] & (self.cid_slots.size() - 1)])
                token[k] = self._cid_code_hashed(p + starts[k], starts[k + 1] - 1 - starts[k], hashes[k])
        # (count names: count - 1 LFs, the last name ending the bytes)
        if done != count or (count and pos != n + 1) or (not count and n):
            raise ValueError(f"{count} callids announced, the bytes hold a different number")
        return out

    def callid_table_size(self):
        """Callids held in the callid table (the pinned "" and "NONE" included)."""
        return self.cid_at.size() - 1

    def callid_names(self, tokens=None):
        """The callid table: ``(count, UTF-8 names joined by LF)`` in token order; with
        `tokens` (int codes into the table), the names of those tokens in their order."""
        cdef vector[char] joined
        cdef size_t k, c, n = self.cid_at.size() - 1
        cdef const int64_t[::1] picked
        if tokens is None:
            for k in range(n):
                if k:
                    joined.push_back(10)
                joined.insert(joined.end(), self.cid_spelled.begin() + self.cid_at[k],
                              self.cid_spelled.begin() + self.cid_at[k + 1])
            return n, (joined.data()[:joined.size()] if joined.size() else b"")
        picked = np.ascontiguousarray(tokens, dtype=np.int64)
        for k in range(<size_t>picked.shape[0]):
            if picked[k] < 0 or <size_t>picked[k] >= n:
                raise IndexError(f"callid token {picked[k]} is not in the table of {n}")
            c = <size_t>picked[k]
            if k:
                joined.push_back(10)
            joined.insert(joined.end(), self.cid_spelled.begin() + self.cid_at[c],
                          self.cid_spelled.begin() + self.cid_at[c + 1])
        return <size_t>picked.shape[0], (joined.data()[:joined.size()] if joined.size() else b"")

    def compact_callids(self):
        """Keep in the callid table only the callids still referred to: the pinned ""
        and "NONE", the held records', the open and ended stays' and flow sources' keys,
        and the ended stays remembered (their FIFO keys are matched when they are
        forgotten); renumber them in token order and rewrite every reference. Returns
        how many are kept. Only for the tokens of :meth:`intern_callids`."""
        cdef State *st = &self.s
        cdef size_t n = self.cid_at.size() - 1, c, size
        cdef vector[int32_t] token
        cdef vector[char] spelled
        cdef vector[int64_t] at
        cdef Map *maps[3]
        cdef Map fresh[3]
        cdef Map *m
        cdef int64_t k, key, r
        cdef int32_t kept = 0
        cdef int m_i
        maps[0] = &st.open_stays
        maps[1] = &st.ended
        maps[2] = &st.unanswered
        for m_i in range(3):
            # (the new maps first: nothing is changed unless every one is there)
            if _map_alloc(&fresh[m_i], maps[m_i].mask + 1) != ST_OK:
                for k in range(m_i):
                    _map_free(&fresh[k])
                raise MemoryError("no memory for the call tracker's callid table")
        with nogil:
            token.assign(n, -1)
            token[0] = token[1] = 0
            for r in range(st.n_records):
                token[st.rec_callid[r]] = 0
            for m_i in range(2):
                m = maps[m_i]
                for k in range(m.mask + 1):
                    if m.keys[k] != NOTHING:
                        token[m.keys[k] >> 32] = 0
            for k in range(st.unanswered.mask + 1):
                if st.unanswered.keys[k] != NOTHING:
                    token[st.unanswered.keys[k]] = 0
            for k in range(st.forget_head, st.forget_tail):
                token[st.forget_key[k] >> 32] = 0
            at.push_back(0)
            for c in range(n):
                if token[c] < 0:
                    continue
                token[c] = kept
                kept += 1
                spelled.insert(spelled.end(), self.cid_spelled.begin() + self.cid_at[c],
                               self.cid_spelled.begin() + self.cid_at[c + 1])
                at.push_back(spelled.size())
            self.cid_spelled.swap(spelled)
            self.cid_at.swap(at)
            size = 64
            while 4 * (<size_t>kept + 1) > size:
                size *= 2
            self._cid_rehash(size)
            for r in range(st.n_records):
                st.rec_callid[r] = token[st.rec_callid[r]]
            for k in range(st.forget_head, st.forget_tail):
                st.forget_key[k] = _remap_key(st.forget_key[k], token.data())
            for m_i in range(3):
                m = maps[m_i]
                for k in range(m.mask + 1):
                    key = m.keys[k]
                    if key == NOTHING:
                        continue
                    key = _remap_key(key, token.data()) if m_i < 2 else token[key]
                    # (as many keys as before, in as many slots: no growth, no failure)
                    _map_put(&fresh[m_i], key, m.vals[k])
                _map_free(m)
                m[0] = fresh[m_i]
        return kept

    # -- the block ----------------------------------------------------------------

    def read(
        self,
        const int64_t[::1] epoch,
        const int64_t[::1] where,
        const int16_t[::1] verb,
        const int32_t[::1] callid,
        const int32_t[::1] queue,
        const int32_t[::1] agent,
        const int32_t[::1] data1,
        const int64_t[:, ::1] number_stripped,
        int8_t[::1] verdict,
        int8_t[::1] reason,
        const int8_t[::1] verb_kind,
        const int8_t[::1] verb_arg,
        const int8_t[::1] verb_field,
        int32_t[::1] queue_out,
        int32_t[::1] queue_raw,
        const int32_t[::1] agent_canon,
        int32_t[::1] canon_out,
        int32_t[::1] canon_of,
        *,
        int32_t callid_none_a,
        int32_t callid_none_b,
        int32_t queue_none_a,
        int32_t queue_none_b,
        int32_t agent_none_a,
        int32_t agent_none_b,
        int16_t attended,
        int32_t link,
    ):
        """Read one block of rows (already validated by the caller: equal lengths, every
        code inside its table). Fills verdict (-1 not the call side's line, 1 used, 0
        counted) and reason (REASONS codes); returns 0, or raises MemoryError."""
        cdef Py_ssize_t i, n = epoch.shape[0]
        cdef int64_t t, key, record, earlier, wait, talk, measured
        cdef State *st = &self.s
        cdef int64_t memory = st.memory, latest = st.latest
        cdef int64_t *r
        cdef int32_t c, q, a, code, canon
        cdef int8_t kind, field
        cdef int nobody, status = ST_OK, last = st.last_reason
        with nogil:
            for i in range(n):
                kind = verb_kind[verb[i]]
                reason[i] = R_NONE
                verdict[i] = -1
                if kind == K_NONE:
                    continue
                t = epoch[i]
                if st.forget_head < st.forget_tail and st.forget_t[st.forget_head] < t - memory:
                    _drop_old(st, t)
                c = callid[i]
                q = queue[i]
                nobody = R_NONE
                if c == callid_none_a or c == callid_none_b:
                    nobody = R_NO_CALLID
                elif q == queue_none_a or q == queue_none_b:
                    nobody = R_NO_QUEUE
                if nobody != R_NONE:
                    if kind == K_CONNECT or kind == K_END:
                        st.note[N_NO_CALLID if nobody == R_NO_CALLID else N_NO_QUEUE] += 1
                    else:
                        verdict[i] = 0
                        reason[i] = nobody
                        last = nobody
                    continue
                key = (<int64_t>c << 32) | <int64_t>q
                if kind == K_ENTER:
                    if _map_get(&st.open_stays, key) >= 0:
                        verdict[i] = 0                  # the first stay's exit line is missing
                        reason[i] = R_SECOND_ENTERQUEUE
                        last = R_SECOND_ENTERQUEUE
                        continue
                    record = _new(st, c, q, t, where[i], &queue_out[0], &queue_raw[0])
                    if record < 0 or _map_put(&st.open_stays, key, record) != ST_OK:
                        status = ST_NO_MEMORY
                        break
                    _enter_from_flow(st, c, record)
                    verdict[i] = 1
                elif kind == K_CONNECT:
                    wait = _seconds(number_stripped[i, 0], latest)   # holdtime
                    record = _map_pop(&st.open_stays, key)
                    if record < 0:
                        earlier = _map_get(&st.ended, key)
                        if earlier >= 0:
                            if st.rec[earlier * WIDTH + F_OUTCOME] == O_ANSWERED:
                                st.note[N_SECOND_CONNECT] += 1
                            else:
                                st.note[N_QUEUE_ORPHAN] += 1
                            continue
                        record = _new(st, c, q, t - wait if wait != INT64_MIN else INT64_MIN,
                                           where[i], &queue_out[0], &queue_raw[0])
                        if record < 0:
                            status = ST_NO_MEMORY
                            break
                        _enter_from_flow(st, c, record)
                    if _close(st, record, t, O_ANSWERED, wait, key) != ST_OK:
                        status = ST_NO_MEMORY
                        break
                    a = agent[i]
                    if a != agent_none_a and a != agent_none_b:
                        canon = agent_canon[a]
                        code = canon_out[canon]
                        if code < 0:
                            code = canon_out[canon] = <int32_t>st.n_agents
                            canon_of[code] = canon
                            st.n_agents += 1
                        st.rec[record * WIDTH + F_AGENT] = code
                elif kind == K_END:
                    record = _map_get(&st.ended, key)
                    if record < 0:
                        st.note[N_CALL_END_UNPAIRED] += 1
                        continue
                    r = st.rec + record * WIDTH
                    if r[F_OUTCOME] != O_ANSWERED or r[F_CALL_END] != INT64_MIN:
                        st.note[N_CALL_END_UNPAIRED] += 1
                        continue
                    field = verb_field[verb[i]]
                    if verb[i] == attended and data1[i] == link:
                        field += 1
                    talk = _seconds(number_stripped[i, field], latest)
                    measured = t - r[F_LEAVE]
                    if talk == INT64_MIN:
                        talk = measured
                    elif talk - measured > 1 or measured - talk > 1:
                        st.note[N_TALK_MISMATCH] += 1
                    r[F_TALK] = talk
                    r[F_CALL_END] = t
                    r[F_ENDED_BY] = verb_arg[verb[i]]
                elif kind == K_REFUSAL:
                    record = _new(st, c, q, t, where[i], &queue_out[0], &queue_raw[0])
                    if record < 0:
                        status = ST_NO_MEMORY
                        break
                    r = st.rec + record * WIDTH
                    r[F_LEAVE] = t
                    r[F_OUTCOME] = verb_arg[verb[i]]
                    verdict[i] = 1
                else:                                   # K_EXIT
                    field = verb_field[verb[i]]
                    wait = _seconds(number_stripped[i, field], latest) if field >= 0 else INT64_MIN
                    record = _map_pop(&st.open_stays, key)
                    if record < 0:
                        if _map_get(&st.ended, key) >= 0:
                            verdict[i] = 0              # that stay has already left the queue
                            reason[i] = R_QUEUE_ORPHAN
                            last = R_QUEUE_ORPHAN
                            continue
                        record = _new(st, c, q, t - wait if wait != INT64_MIN else INT64_MIN,
                                           where[i], &queue_out[0], &queue_raw[0])
                        if record < 0:
                            status = ST_NO_MEMORY
                            break
                        _enter_from_flow(st, c, record)
                    if _close(st, record, t, verb_arg[verb[i]], wait, key) != ST_OK:
                        status = ST_NO_MEMORY
                        break
                    verdict[i] = 1
        st.last_reason = last
        if status != ST_OK:
            raise MemoryError("no memory for the call tracker's records")
        return 0

    # -- results ------------------------------------------------------------------

    def __len__(self):
        return self.s.n_records

    def column(self, Py_ssize_t offset):
        """One field of every record (a new int64 array)."""
        cdef Py_ssize_t i, n = self.s.n_records
        if not 0 <= offset < WIDTH:
            raise IndexError(f"record field {offset} is not in 0..{WIDTH - 1}")
        out = np.empty(n, dtype=np.int64)
        cdef int64_t[::1] view = out
        for i in range(n):
            view[i] = self.s.rec[i * WIDTH + offset]
        return out

    def callid_codes(self):
        """The callid code of every record (a new int32 array)."""
        cdef Py_ssize_t i, n = self.s.n_records
        out = np.empty(n, dtype=np.int32)
        cdef int32_t[::1] view = out
        for i in range(n):
            view[i] = self.s.rec_callid[i]
        return out

    def seqs(self):
        """The seq of every record held: the order it began in among all the records
        ever made (a new int64 array, ascending)."""
        cdef Py_ssize_t i, n = self.s.n_records
        out = np.empty(n, dtype=np.int64)
        cdef int64_t[::1] view = out
        for i in range(n):
            view[i] = self.s.rec_seq[i]
        return out

    @property
    def created(self):
        """Records ever made (held or handed out)."""
        return self.s.n_created

    def take_final(self, bint full=False, bint everything=False):
        """Hand out the records no later line can change, and stop holding them.

        A record is final when no open stay, ended stay or flow source refers to it and
        the stay it flowed in from (if any) is final too. Returns the columns of the final
        records, in record order, as a tuple (queue int32, enter, leave, wait int64,
        outcome int8, flowed_in bool, flowed_out_at int64), or None when there is none;
        the records still held are moved to the front (their order kept), and a record
        that flowed in from a record handed out keeps flowed_in (its prev is -2 - the
        queue code of that record). With `full`, the tuple has an eighth item: a dict of
        the other fields of the final records (seq, callid, talk, call_end, line_at,
        agent, wait_source, ended_by int64, prev_queue and next_queue: the queue code of
        the stay flowed in from / out to, -1 for none). With `everything` (the end of the
        log), every record is handed out and the working state emptied."""
        cdef State *st = &self.s
        cdef Py_ssize_t n = st.n_records, r, j, k, m_i, n_final = 0
        cdef int64_t prev, nxt, e, v
        cdef Map *maps[3]
        cdef Map *m
        if n == 0:
            return None
        held_arr = np.zeros(n, dtype=np.uint8)
        new_arr = np.empty(n, dtype=np.int64)
        cdef uint8_t[::1] held = held_arr
        cdef int64_t[::1] newidx = new_arr
        maps[0] = &st.open_stays
        maps[1] = &st.ended
        maps[2] = &st.unanswered
        for m_i in range(3):
            m = maps[m_i]
            for k in range(m.mask + 1):
                if m.keys[k] != NOTHING:
                    if everything:
                        m.keys[k] = NOTHING
                    else:
                        held[m.vals[k]] = 1
            if everything:
                m.size = 0
        if everything:
            st.forget_head = st.forget_tail = 0
        # final: not held, and flowed in from nothing or from a final (or handed-out) record
        for r in range(n):
            prev = st.rec[r * WIDTH + F_PREV]
            if held[r] or (prev >= 0 and newidx[prev] >= 0):
                newidx[r] = 0            # kept (numbered below)
            else:
                newidx[r] = -1
                n_final += 1
        if n_final == 0:
            return None
        queue_arr = np.empty(n_final, dtype=np.int32)
        enter_arr = np.empty(n_final, dtype=np.int64)
        leave_arr = np.empty(n_final, dtype=np.int64)
        wait_arr = np.empty(n_final, dtype=np.int64)
        outcome_arr = np.empty(n_final, dtype=np.int8)
        flowed_in_arr = np.empty(n_final, dtype=np.uint8)
        flowed_out_arr = np.empty(n_final, dtype=np.int64)
        cdef int32_t[::1] o_queue = queue_arr
        cdef int64_t[::1] o_enter = enter_arr, o_leave = leave_arr, o_wait = wait_arr
        cdef int8_t[::1] o_outcome = outcome_arr
        cdef uint8_t[::1] o_in = flowed_in_arr
        cdef int64_t[::1] o_out = flowed_out_arr
        # the other fields (full): one int64 row of FULL_WIDTH values a final record
        more_arr = np.empty((n_final if full else 0, FULL_WIDTH), dtype=np.int64)
        cdef int64_t[:, ::1] o_more = more_arr
        cdef int64_t *row
        j = 0
        k = 0
        for r in range(n):
            row = st.rec + r * WIDTH
            prev = row[F_PREV]
            if newidx[r] < 0:
                o_queue[j] = <int32_t>row[F_QUEUE]
                o_enter[j] = row[F_ENTER]
                o_leave[j] = row[F_LEAVE]
                o_wait[j] = row[F_WAIT]
                o_outcome[j] = <int8_t>row[F_OUTCOME]
                o_in[j] = prev != -1
                nxt = row[F_NEXT]
                if nxt >= 0:   # the flow out happens when the next queue's stay begins
                    e = st.rec[nxt * WIDTH + F_ENTER]
                    o_out[j] = e if e != INT64_MIN else st.rec[nxt * WIDTH + F_LEAVE]
                else:
                    o_out[j] = INT64_MIN
                if full:
                    o_more[j, X_SEQ] = st.rec_seq[r]
                    o_more[j, X_CALLID] = st.rec_callid[r]
                    o_more[j, X_TALK] = row[F_TALK]
                    o_more[j, X_CALL_END] = row[F_CALL_END]
                    o_more[j, X_LINE_AT] = row[F_LINE_AT]
                    o_more[j, X_AGENT] = row[F_AGENT]
                    o_more[j, X_WAIT_SOURCE] = row[F_WAIT_SOURCE]
                    o_more[j, X_ENDED_BY] = row[F_ENDED_BY]
                    # (a final record's source is final too: in this batch, or handed out)
                    o_more[j, X_PREV_QUEUE] = (st.rec[prev * WIDTH + F_QUEUE] if prev >= 0
                                               else -1 if prev == -1 else -2 - prev)
                    o_more[j, X_NEXT_QUEUE] = st.rec[nxt * WIDTH + F_QUEUE] if nxt >= 0 else -1
                j += 1
            else:
                newidx[r] = k
                k += 1
                if prev >= 0 and newidx[prev] < 0:
                    # flowed in from a record handed out now: keep that stay's queue (the
                    # records have not moved yet)
                    row[F_PREV] = -2 - st.rec[prev * WIDTH + F_QUEUE]
        # move the held records to the front, renumbering their links
        for r in range(n):
            if newidx[r] < 0:
                continue
            k = newidx[r]
            row = st.rec + r * WIDTH
            prev = row[F_PREV]
            if prev >= 0:
                row[F_PREV] = newidx[prev]    # held: its source was handed out above otherwise
            nxt = row[F_NEXT]
            if nxt >= 0:
                row[F_NEXT] = newidx[nxt]     # a held record's next is held (it is not final)
            if k != r:
                memmove(st.rec + k * WIDTH, row, WIDTH * sizeof(int64_t))
                st.rec_callid[k] = st.rec_callid[r]
                st.rec_seq[k] = st.rec_seq[r]
        for m_i in range(3):
            m = maps[m_i]
            for k in range(m.mask + 1):
                if m.keys[k] != NOTHING:
                    m.vals[k] = newidx[m.vals[k]]
        for k in range(st.forget_head, st.forget_tail):
            v = st.forget_rec[k]
            # a handed-out record is no map's value: -1 never matches in _drop_old
            st.forget_rec[k] = newidx[v] if v >= 0 else -1
        st.n_records = n - n_final
        st.n_folded += n_final
        out = (queue_arr, enter_arr, leave_arr, wait_arr, outcome_arr,
               flowed_in_arr.view(np.bool_), flowed_out_arr)
        if full:
            return out + ({name: more_arr[:, i] for i, name in enumerate(FULL_FIELDS)},)
        return out

    def notes(self):
        """The note counts, in NOTES order."""
        return tuple(self.s.note[k] for k in range(N_NOTES))

    def working_set(self):
        """Entries held: (open stays, ended stays, flow sources, remembered ends)."""
        return (self.s.open_stays.size, self.s.ended.size, self.s.unanswered.size,
                self.s.forget_tail - self.s.forget_head)
