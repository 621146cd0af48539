# distutils: language = c++
"""Alias inference of the queue_log importer (SPEC 6.4) in compiled code.

:class:`AliasVotes` is fed the blocks of complete lines the reading layer hands out
(io.lines.LineReader.feed_lines, views of one buffer read into again, or byte_blocks:
LF-separated bytes, CR and CRLF already LF) and does,
with no Python code per line, what io.queue_log's plain-Python twin does per line:

- find the lines holding ``ADDMEMBER`` or ``UNPAUSE`` (a line longer than the longest
  line read is never read), strip leading NULs and trailing CRs, cut the fields at
  ``|`` and keep the ADDMEMBER / UNPAUSE / UNPAUSEALL lines with an epoch of ASCII
  digits (at most 12) and a member other than ``""`` and ``NONE``;
- intern queue and member names by their text's UTF-8 bytes: a line that is not valid
  UTF-8 (Python's strict decoder) is read as Latin-1, its names re-encoded, so that
  names compare exactly as the decoded texts of the twin do;
- keep the lines of the seconds still open (settled once more than `most_pending`
  seconds are held and a newer second arrives: every second older than the newest
  minus `window`), and settle a second: each ADDMEMBER line there votes for the one
  member that UNPAUSEs the same queue (or UNPAUSEALLs, queue ``*``) in it, when there
  is exactly one other than itself.

:meth:`AliasVotes.finish` returns the names whose votes all point at one member and
that never UNPAUSE themselves; the caller drops the names it already knows and words
the messages. Compiler directives are set in setup.py only.
"""

cimport cython
from cython.operator cimport dereference as deref
from ._text cimport has_wide as _has_wide, valid_utf8 as _valid_utf8
from libc.stdint cimport int32_t, int64_t, uint8_t
from libc.string cimport memchr, memcmp
from libcpp.map cimport map as cmap
from libcpp.string cimport string
from libcpp.unordered_map cimport unordered_map
from libcpp.vector cimport vector

cdef extern from *:
    """
    #include <string.h>
    /* The first `k` bytes of `word` in p[0:n], or NULL. memchr finds the word's byte
       `a` (one that is rare in queue_log lines), the rest is compared there: memchr reads
       many bytes an instruction, where memmem takes a few instructions a byte (most of
       the alias pass). Exact: the matches in order have their byte `a` in order. */
    static const unsigned char* agentstats_find_word(const unsigned char* p, size_t n,
                                                     const char* word, size_t k, size_t a) {
        const unsigned char* at = p + a;
        const unsigned char* last;
        if (n < k) return NULL;
        last = p + (n - k) + a;     /* byte `a` of the last place the word fits */
        while (at <= last) {
            at = (const unsigned char*)memchr(at, (unsigned char)word[a], (size_t)(last - at) + 1);
            if (at == NULL) return NULL;
            if (memcmp(at - a, word, k) == 0) return at - a;
            at += 1;
        }
        return NULL;
    }
    """
    const uint8_t* agentstats_find_word(const uint8_t* p, size_t n, const char* word, size_t k,
                                        size_t a) noexcept nogil

cdef struct Entry:
    int32_t queue
    int32_t name
    bint present           # an UNPAUSE / UNPAUSEALL line (else ADDMEMBER)

# flags of a name
cdef enum:
    UNPAUSES_ITSELF = 1
    MANY_TARGETS = 2

cdef int64_t MAX_EPOCH_DIGITS = 12
# the byte of each word looked for first: the rarest in real and demo logs (the "B" of
# ADDMEMBER, the "P" of UNPAUSE; a B or P every 200 - 600 bytes, an E every 12 - 27)
cdef int64_t ADDMEMBER_RARE = 6
cdef int64_t UNPAUSE_RARE = 2
cdef uint8_t BAR = 124         # "|"
cdef uint8_t LF = 10
cdef uint8_t CR = 13


cdef inline bint _is(const uint8_t* p, int64_t n, const char* word, int64_t k) noexcept nogil:
    return n == k and memcmp(p, word, k) == 0


def is_utf8(data: bytes) -> bool:
    """Whether `data` decodes as strict UTF-8 (the rule names are read by)."""
    cdef const uint8_t* p = data
    return _valid_utf8(p, len(data))


@cython.auto_pickle(False)       # the state is C++ containers; it is never sent anywhere
@cython.final       # (its cdef methods are then called directly, and the inline ones inlined)
cdef class AliasVotes:
    """The votes of alias inference over the blocks of one or more files, in order."""

    cdef unordered_map[string, int32_t] codes
    cdef vector[string] names          # UTF-8 bytes of each code's text
    cdef vector[int32_t] target        # the member a name's votes point at (-1: none yet)
    cdef vector[int64_t] support       # how many votes it has
    cdef vector[uint8_t] flags
    cdef cmap[int64_t, vector[Entry]] pending     # second -> its lines, still open
    cdef int64_t newest
    cdef bint has_newest
    cdef int32_t star
    cdef int64_t max_line_bytes, most_pending, window
    cdef int64_t n_used
    cdef string key                    # scratch for one name

    def __init__(self, max_line_bytes: int, most_pending: int, window: int) -> None:
        cdef const char* star = b"*"
        self.max_line_bytes = max_line_bytes
        self.most_pending = most_pending
        self.window = window
        self.has_newest = False
        self.newest = 0
        self.n_used = 0
        self.star = self._intern(<const uint8_t*>star, 1, False)

    @property
    def lines_used(self) -> int:
        """ADDMEMBER / UNPAUSE / UNPAUSEALL lines taken so far."""
        return self.n_used

    def feed(self, const uint8_t[::1] data not None) -> None:
        """Read one block of complete LF-separated lines (bytes, or a part of a buffer
        the caller reuses for the next block: nothing of it is kept)."""
        cdef int64_t n = data.shape[0]
        if n == 0:
            return
        with nogil:
            self._scan(&data[0], n)

    def finish(self) -> list[tuple[bytes, bytes, int]]:
        """Settle the seconds still open; ``(name, member, votes)`` for every name whose
        votes all point at one member and that never UNPAUSEs itself (UTF-8 bytes)."""
        cdef size_t code
        with nogil:
            self._settle_before(self.newest, True)
        found = []
        for code in range(self.names.size()):
            if self.target[code] >= 0 and not (self.flags[code] & (UNPAUSES_ITSELF | MANY_TARGETS)):
                found.append((self.names[code], self.names[self.target[code]],
                              self.support[code]))
        return found

    # -- per line (no Python) -----------------------------------------------------------

    cdef int _scan(self, const uint8_t* p, int64_t n) except -1 nogil:
        # the next ADDMEMBER and the next UNPAUSE (as the twin finds them)
        cdef int64_t added = self._find(p, 0, n, b"ADDMEMBER", 9, ADDMEMBER_RARE)
        cdef int64_t unpaused = self._find(p, 0, n, b"UNPAUSE", 7, UNPAUSE_RARE)
        cdef int64_t hit, start, end
        cdef const uint8_t* at
        while added >= 0 or unpaused >= 0:
            hit = unpaused if added < 0 or 0 <= unpaused < added else added
            start = hit
            while start > 0 and p[start - 1] != LF:
                start -= 1
            at = <const uint8_t*>memchr(p + hit, LF, n - hit)
            end = n if at == NULL else at - p
            if end - start <= self.max_line_bytes:     # a longer line is never read
                self._line(p, start, end)
            if 0 <= added < end:
                added = self._find(p, end, n, b"ADDMEMBER", 9, ADDMEMBER_RARE)
            if 0 <= unpaused < end:
                unpaused = self._find(p, end, n, b"UNPAUSE", 7, UNPAUSE_RARE)
        return 0

    cdef inline int64_t _find(self, const uint8_t* p, int64_t lo, int64_t n, const char* word,
                              int64_t k, int64_t rare) noexcept nogil:
        cdef const uint8_t* at = agentstats_find_word(p + lo, n - lo, word, k, rare)
        return -1 if at == NULL else at - p

    cdef int _line(self, const uint8_t* p, int64_t start, int64_t end) except -1 nogil:
        cdef int64_t s = start, e = end, i, count = 0, verb_end, epoch = 0
        cdef int64_t bars[5]
        cdef const uint8_t* at
        cdef bint present, latin1
        cdef int32_t queue, name
        cdef Entry entry
        while s < e and p[s] == 0:
            s += 1
        while e > s and p[e - 1] == CR:
            e -= 1
        i = s
        while count < 5:
            at = <const uint8_t*>memchr(p + i, BAR, e - i)
            if at == NULL:
                break
            bars[count] = at - p
            i = bars[count] + 1
            count += 1
        if count < 4:
            return 0
        # the epoch: ASCII digits, at most 12
        if not (0 < bars[0] - s <= MAX_EPOCH_DIGITS):
            return 0
        for i in range(s, bars[0]):
            if not (48 <= p[i] <= 57):
                return 0
            epoch = epoch * 10 + (p[i] - 48)
        # the member: not "" nor "NONE"
        if bars[3] - bars[2] - 1 == 0 or _is(p + bars[2] + 1, bars[3] - bars[2] - 1, b"NONE", 4):
            return 0
        verb_end = bars[4] if count == 5 else e
        if _is(p + bars[3] + 1, verb_end - bars[3] - 1, b"ADDMEMBER", 9):
            present, queue = False, -1
        elif _is(p + bars[3] + 1, verb_end - bars[3] - 1, b"UNPAUSE", 7):
            present, queue = True, -1
        elif _is(p + bars[3] + 1, verb_end - bars[3] - 1, b"UNPAUSEALL", 10):
            present, queue = True, self.star
        else:
            return 0
        # the whole line decides how its names read (UTF-8, else Latin-1)
        latin1 = False
        if _has_wide(p + bars[1] + 1, bars[3] - bars[1] - 1):
            latin1 = not _valid_utf8(p + start, end - start)
        if queue < 0:
            queue = self._intern(p + bars[1] + 1, bars[2] - bars[1] - 1, latin1)
        name = self._intern(p + bars[2] + 1, bars[3] - bars[2] - 1, latin1)
        if present:
            self.flags[name] = self.flags[name] | UNPAUSES_ITSELF
        entry.queue, entry.name, entry.present = queue, name, present
        self.pending[epoch].push_back(entry)
        self.n_used = self.n_used + 1
        if not self.has_newest or epoch > self.newest:
            self.newest, self.has_newest = epoch, True
            if <int64_t>self.pending.size() > self.most_pending:
                self._settle_before(self.newest - self.window, False)
        return 0

    cdef int32_t _intern(self, const uint8_t* p, int64_t n, bint latin1) except -1 nogil:
        cdef int64_t i
        cdef int32_t code
        if latin1:          # each byte one character, re-encoded as UTF-8
            self.key.clear()
            for i in range(n):
                if p[i] < 0x80:
                    self.key.push_back(<char>p[i])
                else:
                    self.key.push_back(<char>(0xC0 | (p[i] >> 6)))
                    self.key.push_back(<char>(0x80 | (p[i] & 0x3F)))
        else:
            self.key.assign(<const char*>p, n)
        found = self.codes.find(self.key)
        if found != self.codes.end():
            return deref(found).second
        code = <int32_t>self.names.size()
        self.codes[self.key] = code
        self.names.push_back(self.key)
        self.target.push_back(-1)
        self.support.push_back(0)
        self.flags.push_back(0)
        return code

    cdef int _settle_before(self, int64_t limit, bint every) except -1 nogil:
        """Settle the open seconds before `limit` (all of them with `every`)."""
        it = self.pending.begin()
        while it != self.pending.end() and (every or deref(it).first < limit):
            self._settle(deref(it).second)
            it = self.pending.erase(it)
        return 0

    cdef int _settle(self, vector[Entry]& lines) noexcept nogil:
        # A name already known to the caller is dropped there, so the twin's discarding
        # of its known member from the candidates changes nothing that is returned.
        cdef size_t a, m
        cdef int32_t candidate
        cdef bint many
        for a in range(lines.size()):
            if lines[a].present:
                continue
            candidate, many = -1, False
            for m in range(lines.size()):
                if (lines[m].present and (lines[m].queue == lines[a].queue or lines[m].queue == self.star)
                        and lines[m].name != lines[a].name):
                    if candidate < 0:
                        candidate = lines[m].name
                    elif lines[m].name != candidate:
                        many = True
                        break
            if candidate >= 0 and not many:
                self._vote(lines[a].name, candidate)
        return 0

    cdef inline void _vote(self, int32_t name, int32_t member) noexcept nogil:
        if self.target[name] < 0:
            self.target[name] = member
            self.support[name] = 1
        elif self.target[name] == member:
            self.support[name] = self.support[name] + 1
        else:
            self.flags[name] = self.flags[name] | MANY_TARGETS
