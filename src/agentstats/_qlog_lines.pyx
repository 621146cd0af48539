# distutils: language = c++
"""Stage 1 of the queue_log reader in compiled code: tokenised lines -> time-ordered rows.

agentstats._qlog cuts a block of bytes into lines and gives each a verdict (an epoch, or
a reason it cannot be read); agentstats.io.qlog_stage (LineStage) judges the rare
non-ASCII lines whose verdict depends on how they decode, then hands the verdicts to
:class:`LineOrder`, which does the rest with no Python code per line:

- the time order: the reorder window (``late``), a jump ahead held until the lines
  after it confirm it (``time_jump`` when they do not), epochs after LATEST_EPOCH
  (``bad_epoch``), lines held until no later line can sort before them, then a stable
  sort by epoch;
- release: exact duplicates of a line of the same second (``duplicate_line``), CONNECT
  lines with an impossible hold time (``bad_hold_time``), then the fields: callid,
  queue, agent, verb and data1 interned into codes (open-addressing hash tables keyed by the field's
  UTF-8 bytes, so equal texts share a code: a line that is not valid UTF-8 is read as
  Latin-1 and re-encoded), data1 .. data5 read as numbers.

The rules are those of the plain-Python twin, io.qlog_stage.PythonLineStage (compared in
tests/test_qlog_lines.py). Compiler directives are set in setup.py only.

Row bytes live in the block being read while it is read; the rows still held after it
(and a pending jump) are copied into an arena owned by the LineOrder, compacted when most
of it is dead.
"""

cimport cython
from cython.operator cimport dereference as deref
from ._text cimport (find_bars as _find_bars, has_wide as _has_wide, name_hash as _hash,
                     name_hash_in as _hash_in, valid_utf8 as _valid_utf8)
from libc.stdint cimport INT64_MIN, int16_t, int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.string cimport memchr, memcmp, memcpy
from libcpp.algorithm cimport sort
from libcpp.utility cimport pair
from libcpp.vector cimport vector

# Verdicts of agentstats._qlog.tokenize_block, plus one of this stage's caller.
cdef enum:
    T_CANDIDATE = 0
    T_BLANK = 1
    T_LINE_TOO_LONG = 5
    T_SLOW = 6
    T_ARENA = 7            # a candidate whose record the caller put in the arena

# Reasons counted here (io.qlog_stage.STAGE_REASONS, in this order); a tokenizer
# verdict v in 1 .. 5 is reason v - 1.
cdef enum:
    S_BLANK = 0
    S_MALFORMED = 2
    S_BAD_EPOCH = 3
    S_LINE_TOO_LONG = 4
    S_LATE = 5
    S_TIME_JUMP = 6
    S_DUPLICATE = 7
    S_BAD_HOLD = 8
    N_REASONS = 9
    MAX_EXAMPLES = 16

# Name tables, in the order of TABLES.
cdef enum:
    N_CALLID = 0
    N_QUEUE = 1
    N_AGENT = 2
    N_VERB = 3
    N_TEXT = 4
    N_TABLES = 5

ARENA = T_ARENA
TABLES = ("callids", "queues", "agents", "verbs", "texts")

cdef int64_t NOTHING_YET = -(1 << 62)
cdef int64_t LONGEST_WINDOW = 1 << 50      # a longer reorder window changes nothing
cdef int64_t JUMP_CONFIRM = 2
cdef int DATA_FIELDS = 5
cdef int64_t MISSING = INT64_MIN
cdef int32_t MAX_VERB_CODE = 32767        # verb codes are int16 in the columns
cdef enum:
    RECENT_SLOTS = 4096                   # names met lately, per table (a power of two)
    CALLID_AHEAD = 16                     # rows: how far ahead the callid slot is asked for


cdef struct Slot:
    uint32_t hash          # the name's hash, low 32 bits (8-byte slots: half the cache lines)
    int32_t code           # -1: an empty slot


cdef struct Row:
    int64_t epoch
    int64_t where
    int64_t offset         # of the record's bytes, in the block or the arena
    int64_t length
    bint in_arena
    bint wide              # has a byte >= 0x80


cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define agentstats_qlog_prefetch(p) __builtin_prefetch((const void *)(p), 0, 1)
    #else
    #define agentstats_qlog_prefetch(p) ((void)(p))
    #endif
    """
    void agentstats_qlog_prefetch(const void* p) noexcept nogil


cdef inline bint _is_space(uint8_t c) noexcept nogil:
    # str.isspace on an ASCII character
    return c == 32 or (9 <= c <= 13) or (28 <= c <= 31)


cdef inline bint _same_bytes(const uint8_t* a, const uint8_t* b, int64_t n) noexcept nogil:
    """memcmp(a, b, n) == 0 for the short names of the tables, inline: 8 bytes a step,
    the last step overlapping the one before (every load within the n bytes)."""
    cdef uint64_t x, y
    cdef int64_t i = 0
    if n < 8:
        while i < n:
            if a[i] != b[i]:
                return False
            i += 1
        return True
    while i + 8 < n:
        memcpy(&x, a + i, 8)
        memcpy(&y, b + i, 8)
        if x != y:
            return False
        i += 8
    memcpy(&x, a + n - 8, 8)
    memcpy(&y, b + n - 8, 8)
    return x == y


cdef inline int64_t _field_number(const uint8_t* p, int64_t s, int64_t e) noexcept nogil:
    """field_number (io.qlog_columns): 1 to 18 ASCII digits, else MISSING."""
    cdef int64_t i, value = 0
    if e <= s or e - s > 18:
        return MISSING
    for i in range(s, e):
        if not (48 <= p[i] <= 57):
            return MISSING
        value = value * 10 + (p[i] - 48)
    return value


@cython.auto_pickle(False)
@cython.final       # (its cdef methods are then called directly, and the inline ones inlined)
cdef class LineOrder:
    """The time order, the release rules and the name tables of one import (see the
    module docstring); driven by agentstats.io.qlog_stage.LineStage, block by block:
    :meth:`order_block` (or :meth:`finish`), then :meth:`release`, then :meth:`end_block`."""

    cdef int64_t window
    cdef int64_t latest
    cdef readonly int64_t newest
    cdef readonly int64_t first_time
    cdef readonly bint has_first
    cdef vector[Row] pending
    cdef vector[Row] held
    cdef int64_t held_head                 # held[:held_head] are gone
    cdef vector[Row] fresh
    cdef vector[Row] ready
    cdef vector[uint8_t] verdict           # per ready row: 1 = bad hold time (asked of Python)
    cdef vector[char] arena
    # Scratch kept between blocks (their memory is reused, not asked of the system again).
    cdef vector[char] spare_arena
    cdef vector[Row] spare_rows
    cdef vector[uint8_t] dup
    cdef vector[pair[int64_t, int64_t]] sort_keys
    cdef const uint8_t* block              # the block being read (during a feed only)
    cdef int64_t counts[N_REASONS]
    cdef int64_t example_codes[N_REASONS][MAX_EXAMPLES]
    cdef int n_examples[N_REASONS]
    cdef int examples_kept
    # The name tables: per table, an open-addressing hash table of codes (linear probing,
    # at most half full), the names' bytes end to end, where each starts (name k is
    # spelled[name_at[k]:name_at[k + 1]]), and the first code not yet handed to Python.
    cdef vector[vector[Slot]] slots
    cdef vector[vector[char]] spelled
    cdef vector[vector[int64_t]] name_at
    cdef vector[int32_t] reported
    # Per table, the names met lately (direct-mapped by hash): a name is mostly met
    # again a few lines after it was first met (a call's lines are close together), and
    # its bytes are then still in the cache, while the big table's slot is not.
    cdef vector[vector[Slot]] recent
    # True: the callid table is emptied after each block's names are taken, so a block's
    # callid codes are 0 .. k - 1 and its new callids are its whole callid table
    cdef readonly bint block_callids

    def __init__(self, int64_t reorder_window, int64_t latest_epoch, int examples_kept, names, *,
                 bint block_callids=False):
        """`names`: the LineNames whose tables this extends (their names so far seed the
        maps, so codes go on from there; with `block_callids` its callids are not read)."""
        cdef int table
        if reorder_window < 0:
            raise ValueError("reorder_window must be >= 0 seconds")
        if not 0 <= examples_kept <= MAX_EXAMPLES:
            raise ValueError(f"examples_kept must be 0 .. {MAX_EXAMPLES}")
        self.window = min(reorder_window, LONGEST_WINDOW)
        self.latest = latest_epoch
        self.newest = NOTHING_YET
        self.examples_kept = examples_kept
        self.slots.resize(N_TABLES)
        self.recent.resize(N_TABLES)
        self.spelled.resize(N_TABLES)
        self.name_at.resize(N_TABLES)
        self.reported.assign(N_TABLES, 0)
        for table in range(N_TABLES):
            self.slots[table].resize(64, Slot(0, -1))
            self.recent[table].resize(RECENT_SLOTS, Slot(0, -1))
            self.name_at[table].push_back(0)
            if table == N_CALLID and block_callids:
                continue
            for name in getattr(names, TABLES[table]).names:
                self._intern(table, name.encode("utf-8"))
            self.reported[table] = <int32_t>self.name_at[table].size() - 1
        self.block_callids = block_callids

    cdef int32_t _intern(self, int table, bytes name) except -1:
        cdef const char* p = name
        return self._code(table, <const uint8_t*>p, len(name))

    cdef inline int32_t _code(self, int table, const uint8_t* p, int64_t n) except -1 nogil:
        """The code of a name (its bytes), a new one the first time it is seen."""
        return self._code_hashed(table, p, n, _hash(p, n))

    cdef inline int32_t _code_in(self, int table, const uint8_t* p, int64_t n, const uint8_t* end) except -1 nogil:
        """_code of a field of a row whose bytes end at `end` (see _text.name_hash_in)."""
        return self._code_hashed(table, p, n, _hash_in(p, n, end))

    cdef inline void _prefetch_name(self, int table, uint64_t h) noexcept nogil:
        """Ask for the slots a later _code_hashed(table, .., h) reads (a hint only)."""
        agentstats_qlog_prefetch(&self.slots[table][<uint32_t>h & (self.slots[table].size() - 1)])

    cdef inline int32_t _code_hashed(self, int table, const uint8_t* p, int64_t n, uint64_t h) except -1 nogil:
        """_code, given the name's _hash: a name met lately is answered here (inline, the
        usual case), any other by the table."""
        cdef const Slot* seen = &self.recent[table][(h >> 40) & (RECENT_SLOTS - 1)]
        cdef const int64_t* at
        cdef int32_t code = seen.code
        cdef int64_t start
        if code >= 0 and seen.hash == <uint32_t>h:
            at = self.name_at[table].data()
            start = at[code]
            if at[code + 1] - start == n and _same_bytes(<const uint8_t*>self.spelled[table].data() + start, p, n):
                return code
        return self._code_in_table(table, p, n, h)

    cdef int32_t _code_in_table(self, int table, const uint8_t* p, int64_t n, uint64_t h) except -1 nogil:
        """_code_hashed of a name not met lately: the table's slot, or a new code."""
        cdef vector[Slot]* slots = &self.slots[table]
        cdef vector[int64_t]* at = &self.name_at[table]
        cdef Slot* seen = &self.recent[table][(h >> 40) & (RECENT_SLOTS - 1)]
        # (the slot is chosen by the hash's low 32 bits, the ones a slot keeps: a table
        # of int32 codes at most half full has at most 2**32 slots)
        cdef size_t mask = slots.size() - 1, i = <uint32_t>h & mask
        cdef int32_t code
        cdef int64_t start
        while deref(slots)[i].code >= 0:
            if deref(slots)[i].hash == <uint32_t>h:
                code = deref(slots)[i].code
                start = deref(at)[code]
                if deref(at)[code + 1] - start == n and _same_bytes(<const uint8_t*>self.spelled[table].data() + start, p, n):
                    seen[0] = Slot(<uint32_t>h, code)
                    return code
            i = (i + 1) & mask
        code = <int32_t>(at.size() - 1)
        deref(slots)[i] = Slot(<uint32_t>h, code)
        seen[0] = Slot(<uint32_t>h, code)
        start = self.spelled[table].size()
        self.spelled[table].resize(start + n)
        if n:
            memcpy(self.spelled[table].data() + start, p, n)
        at.push_back(start + n)
        if 2 * at.size() > slots.size():
            self._grow(table)
        return code

    cdef int _grow(self, int table) except -1 nogil:
        cdef vector[Slot] wider
        cdef vector[Slot]* slots = &self.slots[table]
        cdef size_t k, i, mask = 2 * slots.size() - 1
        wider.resize(2 * slots.size(), Slot(0, -1))
        for k in range(slots.size()):
            if deref(slots)[k].code >= 0:
                i = deref(slots)[k].hash & mask
                while wider[i].code >= 0:
                    i = (i + 1) & mask
                wider[i] = deref(slots)[k]
        slots.swap(wider)
        return 0

    # -- accounting ----------------------------------------------------------------

    cdef inline void _count(self, int reason, int64_t where) noexcept nogil:
        # (through pointers: reason is one of this module's codes, 0 .. N_REASONS - 1)
        cdef int64_t* counts = self.counts
        cdef int* kept = self.n_examples
        cdef int64_t* codes = <int64_t*>self.example_codes
        counts[reason] += 1
        if reason != S_BLANK and kept[reason] < self.examples_kept:
            codes[reason * MAX_EXAMPLES + kept[reason]] = where
            kept[reason] += 1

    def counted(self) -> list:
        """Lines counted per reason (io.qlog_stage.STAGE_REASONS order)."""
        return [self.counts[k] for k in range(N_REASONS)]

    def examples(self) -> list:
        """Per reason, the location codes of the first lines counted."""
        return [[self.example_codes[k][j] for j in range(self.n_examples[k])] for k in range(N_REASONS)]

    def take_new_names(self) -> list:
        """Per table (TABLES order), ``(count, bytes)``: how many names were met since the
        last call, and their UTF-8 bytes in code order joined by LF (no name holds one:
        lines end there)."""
        cdef vector[char] joined
        cdef int table
        cdef int32_t code, last
        cdef int64_t start, end
        out = []
        for table in range(N_TABLES):
            joined.clear()
            last = <int32_t>self.name_at[table].size() - 1
            for code in range(self.reported[table], last):
                if code > self.reported[table]:
                    joined.push_back(10)
                start, end = self.name_at[table][code], self.name_at[table][code + 1]
                joined.insert(joined.end(), self.spelled[table].begin() + start, self.spelled[table].begin() + end)
            out.append((last - self.reported[table], joined.data()[:joined.size()] if joined.size() else b""))
            self.reported[table] = last
        if self.block_callids:
            self._clear_table(N_CALLID)
        return out

    cdef void _clear_table(self, int table) noexcept nogil:
        """Forget every name of a table (its slots keep their size: the next block's
        names need about as many)."""
        cdef size_t k
        cdef vector[Slot]* slots = &self.slots[table]
        cdef vector[Slot]* recent = &self.recent[table]
        for k in range(slots.size()):
            deref(slots)[k].code = -1
        for k in range(recent.size()):
            deref(recent)[k].code = -1
        self.spelled[table].clear()
        self.name_at[table].resize(1)
        self.reported[table] = 0

    def callid_table_size(self) -> int:
        """Slots of the callid table (its memory: the names it holds are at most half)."""
        return self.slots[N_CALLID].size()

    def put_arena(self, bytes record) -> int:
        """Keep a record's bytes (a line the caller decoded); its offset in the arena."""
        cdef int64_t at = self.arena.size()
        cdef const char* p = record
        self.arena.resize(at + len(record))
        if len(record):
            memcpy(self.arena.data() + at, p, len(record))
        return at

    # -- time order (SPEC 6.5) -------------------------------------------------------

    cdef inline const uint8_t* _bytes(self, const Row& row) noexcept nogil:
        if row.in_arena:
            return <const uint8_t*>self.arena.data() + row.offset
        return self.block + row.offset

    cdef int _admit(self, Row row) except -1 nogil:
        cdef vector[Row] was
        cdef size_t k
        if row.epoch > self.latest:
            self._count(S_BAD_EPOCH, row.where)
            return 0
        if self.pending.size():
            if row.epoch >= self.pending[0].epoch - self.window:
                self.pending.push_back(row)
                if <int64_t>self.pending.size() > JUMP_CONFIRM:     # confirmed: a real gap
                    was.swap(self.pending)
                    for k in range(was.size()):
                        self._accept(was[k])
                return 0
            # the line goes on from the old time: the first held line was corrupt
            self._count(S_TIME_JUMP, self.pending[0].where)
            was.swap(self.pending)
            for k in range(1, was.size()):
                self._admit(was[k])
            self._admit(row)
            return 0
        if self.newest == NOTHING_YET or row.epoch <= self.newest + self.window:
            self._accept(row)
        else:
            self.pending.push_back(row)
        return 0

    cdef int _accept(self, const Row& row) except -1 nogil:
        if row.epoch > self.newest:
            self.newest = row.epoch
        elif row.epoch < self.newest - self.window:
            self._count(S_LATE, row.where)
            return 0
        self.fresh.push_back(row)
        return 0

    cdef int _hold_fresh(self) except -1 nogil:
        """Sort the accepted lines (stably) into the held ones."""
        cdef vector[pair[int64_t, int64_t]]* keys = &self.sort_keys
        cdef vector[Row]* merged = &self.spare_rows
        cdef size_t k, n = self.fresh.size(), a, b, na
        cdef bint in_order = True
        if n == 0:
            return 0
        for k in range(1, n):
            if self.fresh[k].epoch < self.fresh[k - 1].epoch:
                in_order = False
                break
        if not in_order:
            keys.resize(n)
            for k in range(n):
                deref(keys)[k] = pair[int64_t, int64_t](self.fresh[k].epoch, <int64_t>k)
            sort(keys.begin(), keys.end())
            merged.clear()
            merged.reserve(n)
            for k in range(n):
                merged.push_back(self.fresh[deref(keys)[k].second])
            self.fresh.swap(deref(merged))
            merged.clear()
        if not self.has_first or self.fresh[0].epoch < self.first_time:
            self.first_time = self.fresh[0].epoch
            self.has_first = True
        na = self.held.size()
        if na > <size_t>self.held_head and self.fresh[0].epoch < self.held[na - 1].epoch:
            # a stable merge: held lines first among equal epochs
            merged.clear()
            merged.reserve(na - self.held_head + n)
            a, b = self.held_head, 0
            while a < na and b < n:
                if self.fresh[b].epoch < self.held[a].epoch:
                    merged.push_back(self.fresh[b])
                    b += 1
                else:
                    merged.push_back(self.held[a])
                    a += 1
            while a < na:
                merged.push_back(self.held[a])
                a += 1
            while b < n:
                merged.push_back(self.fresh[b])
                b += 1
            self.held.swap(deref(merged))
            merged.clear()
            self.held_head = 0
        else:
            self.held.insert(self.held.end(), self.fresh.begin(), self.fresh.end())
        self.fresh.clear()
        return 0

    cdef int _release_before(self, int64_t bound) except -1 nogil:
        """Held lines older than `bound` become ready."""
        cdef size_t lo = self.held_head, hi = self.held.size(), mid
        while lo < hi:
            mid = (lo + hi) // 2
            if self.held[mid].epoch < bound:
                lo = mid + 1
            else:
                hi = mid
        self.ready.clear()
        for mid in range(self.held_head, lo):
            self.ready.push_back(self.held[mid])
        self.held_head = lo
        if self.held_head * 2 > <int64_t>self.held.size():
            self.held.erase(self.held.begin(), self.held.begin() + self.held_head)
            self.held_head = 0
        return 0

    def order_block(self, const uint8_t[::1] data, const int64_t[::1] epoch, const uint8_t[::1] reason,
                    const int64_t[::1] start, const int64_t[::1] end, int64_t n_lines, int64_t base,
                    int64_t number, bint ascii_block, bint too_long_after) -> int:
        """The verdicts of a block's lines (those of tokenize_block; a SLOW line already
        judged by the caller), lines number + 1 .. of the file whose location base is
        `base`. Returns how many rows are ready (see :meth:`release`)."""
        cdef int64_t i, s, e, at
        cdef uint8_t code
        cdef Row row
        cdef const uint8_t* p
        cdef bint unjudged = False
        if n_lines > min(epoch.shape[0], reason.shape[0], start.shape[0], end.shape[0]):
            raise ValueError("the verdict arrays are shorter than the block")
        self.block = &data[0] if data.shape[0] else NULL
        with nogil:
            for i in range(n_lines):
                code = reason[i]
                row.where = base | (number + i + 1)
                if code == T_CANDIDATE or code == T_ARENA:
                    s, e = start[i], end[i]
                    row.epoch = epoch[i]
                    row.offset, row.length = s, e - s
                    row.in_arena = code == T_ARENA
                    row.wide = False
                    if row.in_arena or not ascii_block:
                        p = self._bytes(row)
                        row.wide = _has_wide(p, row.length)
                        if row.wide and not row.in_arena and not _valid_utf8(p, row.length):
                            # not UTF-8: Latin-1, each byte one character (re-encoded)
                            row.offset = self._latin1_to_arena(p, row.length)
                            row.length = <int64_t>self.arena.size() - row.offset
                            row.in_arena = True
                    self._admit(row)
                elif code == T_BLANK:
                    self._count(S_BLANK, row.where)
                elif code > T_LINE_TOO_LONG:
                    unjudged = True
                    break
                else:
                    self._count(code - 1, row.where)
            if too_long_after and not unjudged:
                self._count(S_LINE_TOO_LONG, base | (number + n_lines + 1))
            self._hold_fresh()
            self._release_before(self.newest - self.window)
        if unjudged:  # pragma: no cover - a caller's bug, never a data problem
            raise ValueError("a line's verdict is missing (a SLOW line not judged)")
        self.verdict.assign(self.ready.size(), 0)
        return self.ready.size()

    cdef int64_t _latin1_to_arena(self, const uint8_t* p, int64_t n) except -1 nogil:
        cdef int64_t at = self.arena.size(), i, k = 0
        self.arena.resize(at + 2 * n)
        cdef char* out = self.arena.data() + at
        for i in range(n):
            if p[i] < 128:
                out[k] = <char>p[i]
                k += 1
            else:
                out[k] = <char>(0xC0 | (p[i] >> 6))
                out[k + 1] = <char>(0x80 | (p[i] & 0x3F))
                k += 2
        self.arena.resize(at + k)
        return at

    def finish(self) -> int:
        """The end of the input: a pending jump ahead is confirmed by one line after it
        (a last line alone that jumps ahead is a time jump); every held row is ready."""
        cdef vector[Row] was
        cdef size_t k
        self.block = NULL
        with nogil:
            was.swap(self.pending)
            if was.size() == 1:
                self._count(S_TIME_JUMP, was[0].where)
            elif was.size() > 1:
                for k in range(was.size()):
                    self._accept(was[k])
            self._hold_fresh()
            self._release_before(LONGEST_WINDOW * 4)
        self.verdict.assign(self.ready.size(), 0)
        return self.ready.size()

    # -- release ----------------------------------------------------------------------

    def hold_questions(self) -> list:
        """The ready CONNECT rows whose hold time is not ASCII: ``(row, data1 bytes)``;
        the caller answers with :meth:`set_bad_hold` (str.isdigit decides)."""
        cdef size_t i
        cdef int64_t bars[7]
        cdef int64_t s, e
        cdef int n_bars
        cdef const uint8_t* p
        out = []
        for i in range(self.ready.size()):
            if not self.ready[i].wide:
                continue
            p = self._bytes(self.ready[i])
            n_bars = _find_bars(p, self.ready[i].length, bars, 6)
            if n_bars < 5 or not _is_connect(p, bars):
                continue
            s, e = bars[4] + 1, _field_end(bars, n_bars, 5, self.ready[i].length)
            if _has_wide(p + s, e - s):
                out.append((i, p[s:e]))
        return out

    def set_bad_hold(self, size_t row) -> None:
        if row >= self.verdict.size():
            raise IndexError(row)
        self.verdict[row] = 1

    def release(self, int64_t[::1] epoch, int64_t[::1] where, int16_t[::1] verb, int32_t[::1] callid,
                int32_t[::1] queue, int32_t[::1] agent, int32_t[::1] data1, int64_t[:, ::1] number,
                int64_t[:, ::1] stripped, uint8_t[::1] wide, int64_t[::1] text_end, bint keep_texts):
        """Fill the columns (as long as the ready rows) with the rows kept; returns
        ``(rows kept, their texts' bytes joined by LF or b"")``. `wide` marks rows with
        non-ASCII bytes (their stripped numbers are for the caller to read: str.strip
        removes Unicode spaces too); `text_end` is each row's end in the texts' bytes."""
        cdef size_t n = self.ready.size()
        cdef vector[char] texts
        cdef int64_t kept
        if min(epoch.shape[0], where.shape[0], verb.shape[0], callid.shape[0], queue.shape[0],
               agent.shape[0], data1.shape[0], number.shape[0], stripped.shape[0], wide.shape[0],
               text_end.shape[0]) < <int64_t>n or number.shape[1] < DATA_FIELDS or stripped.shape[1] < DATA_FIELDS:
            raise ValueError("the columns are shorter than the ready rows")
        with nogil:
            self.dup.assign(n, 0)
            self._mark_duplicates(self.dup)
            kept = self._fill(self.dup, texts, &epoch[0] if n else NULL, &where[0] if n else NULL,
                              &verb[0] if n else NULL, &callid[0] if n else NULL,
                              &queue[0] if n else NULL, &agent[0] if n else NULL,
                              &data1[0] if n else NULL, &number[0, 0] if n else NULL,
                              &stripped[0, 0] if n else NULL, &wide[0] if n else NULL,
                              &text_end[0] if n else NULL, keep_texts)
        return kept, texts.data()[:texts.size()] if texts.size() else b""

    cdef bint _same(self, const Row& a, const Row& b) noexcept nogil:
        return a.length == b.length and memcmp(self._bytes(a), self._bytes(b), a.length) == 0

    cdef int _mark_duplicates(self, vector[uint8_t]& dup) except -1 nogil:
        """Exact duplicates of an earlier ready line of the same second."""
        cdef size_t n = self.ready.size(), i = 0, j, a, b, g, h
        cdef vector[pair[uint64_t, size_t]] keys
        cdef vector[size_t] firsts
        while i < n:
            j = i + 1
            while j < n and self.ready[j].epoch == self.ready[i].epoch:
                j += 1
            if j - i <= 8:
                for a in range(i + 1, j):
                    for b in range(i, a):
                        if not dup[b] and self._same(self.ready[a], self.ready[b]):
                            dup[a] = 1
                            break
            else:
                keys.clear()
                for a in range(i, j):
                    keys.push_back(pair[uint64_t, size_t](
                        _hash(self._bytes(self.ready[a]), self.ready[a].length), a))
                sort(keys.begin(), keys.end())
                g = 0
                while g < keys.size():
                    h = g + 1
                    while h < keys.size() and keys[h].first == keys[g].first:
                        h += 1
                    # one hash: the rows in line order; each is a duplicate of an earlier
                    # distinct one, or a new distinct one
                    firsts.clear()
                    for a in range(g, h):
                        for b in range(firsts.size()):
                            if self._same(self.ready[keys[a].second], self.ready[firsts[b]]):
                                dup[keys[a].second] = 1
                                break
                        else:
                            firsts.push_back(keys[a].second)
                    g = h
            i = j
        return 0

    cdef int64_t _fill(self, vector[uint8_t]& dup, vector[char]& texts, int64_t* epoch, int64_t* where,
                       int16_t* verb, int32_t* callid, int32_t* queue, int32_t* agent, int32_t* data1,
                       int64_t* number, int64_t* stripped, uint8_t* wide, int64_t* text_end,
                       bint keep_texts) except -1 nogil:
        cdef size_t i
        cdef int64_t kept = 0, s, e, hold, length, at, value
        cdef int32_t verb_code
        cdef uint64_t callid_hash
        cdef int64_t bars[11]
        cdef int n_bars, k
        cdef const uint8_t* p
        cdef Row row
        # The callid table is the big one (a callid per call): its slot is a cache miss.
        # The callid's hash is computed CALLID_AHEAD rows ahead and its slot asked for
        # then, so that the miss overlaps the work on the rows in between.
        # The row's bars are found there too, once: the fill reads them back.
        cdef uint64_t ahead_hash[CALLID_AHEAD]
        cdef int64_t ahead_bars[CALLID_AHEAD][11]
        cdef int ahead_n_bars[CALLID_AHEAD]
        cdef size_t n_rows = self.ready.size(), j, slot
        cdef const uint8_t* end
        for j in range(min(<size_t>CALLID_AHEAD, n_rows)):
            self._look_ahead(self.ready[j], &ahead_hash[j], ahead_bars[j], &ahead_n_bars[j])
        for i in range(n_rows):
            row = self.ready[i]
            slot = i % CALLID_AHEAD
            callid_hash = ahead_hash[slot]
            n_bars = ahead_n_bars[slot]
            memcpy(bars, ahead_bars[slot], sizeof(bars))
            j = i + CALLID_AHEAD
            if j < n_rows:
                self._look_ahead(self.ready[j], &ahead_hash[slot], ahead_bars[slot], &ahead_n_bars[slot])
            if dup[i]:
                self._count(S_DUPLICATE, row.where)
                continue
            p = self._bytes(row)
            length = row.length
            end = p + length
            if n_bars >= 5 and _is_connect(p, bars):
                if self.verdict[i]:
                    self._count(S_BAD_HOLD, row.where)
                    continue
                s, e = bars[4] + 1, _field_end(bars, n_bars, 5, length)
                hold = _field_number(p, s, e)
                if hold == MISSING and 0 < e - s and _all_digits(p, s, e):
                    # digits, more than 18 of them
                    self._count(S_BAD_HOLD, row.where)
                    continue
                if hold != MISSING and hold > row.epoch:
                    self._count(S_BAD_HOLD, row.where)
                    continue
            # the verb first: a line whose verb has no int16 code costs only its line
            # (its verb keeps the code it was given, as in the twin)
            e = _field_end(bars, n_bars, 4, length)
            verb_code = self._code_in(N_VERB, p + bars[3] + 1, e - bars[3] - 1, end)
            if verb_code > MAX_VERB_CODE:
                self._count(S_MALFORMED, row.where)
                continue
            verb[kept] = <int16_t>verb_code
            epoch[kept] = row.epoch
            where[kept] = row.where
            callid[kept] = self._code_hashed(N_CALLID, p + bars[0] + 1, bars[1] - bars[0] - 1, callid_hash)
            queue[kept] = self._code_in(N_QUEUE, p + bars[1] + 1, bars[2] - bars[1] - 1, end)
            agent[kept] = self._code_in(N_AGENT, p + bars[2] + 1, bars[3] - bars[2] - 1, end)
            if n_bars >= 5:
                e = _field_end(bars, n_bars, 5, length)
                data1[kept] = self._code_in(N_TEXT, p + bars[4] + 1, e - bars[4] - 1, end)
            else:
                data1[kept] = self._code(N_TEXT, p, 0)
            for k in range(DATA_FIELDS):
                if n_bars >= 5 + k:
                    s, e = bars[4 + k] + 1, _field_end(bars, n_bars, 5 + k, length)
                    value = _field_number(p, s, e)
                    number[kept * DATA_FIELDS + k] = value
                    if value == MISSING and s < e and (_is_space(p[s]) or _is_space(p[e - 1])):
                        # (a number has no spaces: stripping changes only a field that is not one)
                        while s < e and _is_space(p[s]):
                            s += 1
                        while e > s and _is_space(p[e - 1]):
                            e -= 1
                        value = _field_number(p, s, e)
                    stripped[kept * DATA_FIELDS + k] = value
                else:
                    number[kept * DATA_FIELDS + k] = MISSING
                    stripped[kept * DATA_FIELDS + k] = MISSING
            wide[kept] = row.wide
            if keep_texts or row.wide:
                at = texts.size()
                if kept:
                    texts.push_back(10)
                    at += 1
                texts.resize(at + length)
                if length:
                    memcpy(texts.data() + at, p, length)
            text_end[kept] = texts.size()
            kept += 1
        return kept

    cdef inline void _look_ahead(self, const Row& row, uint64_t* callid_hash, int64_t* bars, int* n_bars) noexcept nogil:
        """A ready row's bars (the first 10), and the _hash of its callid (split index 1:
        every ready row has it), whose slot is asked for now."""
        cdef const uint8_t* p = self._bytes(row)
        n_bars[0] = _find_bars(p, row.length, bars, 10)
        if n_bars[0] < 2:
            callid_hash[0] = 0
            return
        callid_hash[0] = _hash_in(p + bars[0] + 1, bars[1] - bars[0] - 1, p + row.length)
        self._prefetch_name(N_CALLID, callid_hash[0])

    def end_block(self) -> None:
        """The block is done: the rows still held (and a pending jump) keep their bytes
        in the arena, which is compacted when most of it is dead."""
        cdef size_t k
        cdef int64_t live = 0, moved = 0
        with nogil:
            self.ready.clear()
            for k in range(self.held_head, self.held.size()):
                live += self.held[k].length
            for k in range(self.pending.size()):
                live += self.pending[k].length
            if <int64_t>self.arena.size() > 2 * live + (1 << 20):
                self.spare_arena.clear()
                for k in range(self.held_head, self.held.size()):
                    self._move(self.held[k], self.spare_arena)
                for k in range(self.pending.size()):
                    self._move(self.pending[k], self.spare_arena)
                self.arena.swap(self.spare_arena)
            else:
                for k in range(self.held_head, self.held.size()):
                    if not self.held[k].in_arena:
                        moved += self.held[k].length
                _reserve_chars(self.arena, self.arena.size() + moved)     # one growth at most
                for k in range(self.held_head, self.held.size()):
                    if not self.held[k].in_arena:
                        self._move(self.held[k], self.arena)
                for k in range(self.pending.size()):
                    if not self.pending[k].in_arena:
                        self._move(self.pending[k], self.arena)
        self.block = NULL

    cdef int _move(self, Row& row, vector[char]& into) except -1 nogil:
        cdef const char* p = <const char*>self._bytes(row)
        cdef int64_t at = into.size()
        # (an insert copies the bytes once: a resize would zero them first)
        into.insert(into.end(), p, p + row.length)
        row.offset = at
        row.in_arena = True
        return 0


cdef inline int64_t _field_end(const int64_t* bars, int n_bars, int field, int64_t n) noexcept nogil:
    """The end of field `field` (split index) that starts after bars[field - 1]."""
    return bars[field] if n_bars > field else n


cdef inline bint _is_connect(const uint8_t* p, const int64_t* bars) noexcept nogil:
    # verb (split index 4) == "CONNECT", followed by a '|' (a data1 field)
    return bars[4] - bars[3] - 1 == 7 and memcmp(p + bars[3] + 1, b"CONNECT", 7) == 0


cdef inline bint _all_digits(const uint8_t* p, int64_t s, int64_t e) noexcept nogil:
    cdef int64_t i
    for i in range(s, e):
        if not (48 <= p[i] <= 57):
            return False
    return True


cdef inline void _reserve_chars(vector[char]& v, size_t needed) noexcept nogil:
    """Room for `needed` bytes, growing by half at least: a reserve of the exact size
    would move the whole arena into new memory at every block (each move a copy of it
    and page faults on the new pages)."""
    if needed > v.capacity():
        v.reserve(max(needed, v.capacity() + v.capacity() // 2))
