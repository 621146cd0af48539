"""Keys (session, agent, pause reason) -> dense int64 codes, kept across chunks, for the
agent timeline. Integer keys that continue a contiguous range are coded `key - base`
(the kernel subtracts; nothing is materialised), other integer keys in a compact range
go through a lookup table the kernel reads, anything else is hashed (pandas; a few
thousand integer or text keys while pandas is not loaded: a dict, so that a small
report need not import pandas)."""

from __future__ import annotations

import sys
from collections.abc import Hashable
from typing import Any

import numpy as np

from . import _agents, _kernel
from .aggregate import _MISSING_BY_PANDAS_MIN, _factorise, _fits_int64, _native

__all__ = ["KeyCodes", "Coded", "int_key_ranges"]

# Integer keys go through a lookup table when their range is at most this many slots,
# or one slot per 8 rows (no hashing of every row); other keys are hashed.
_DENSE_MIN_SLOTS = 1 << 20
_DENSE_ROWS_PER_SLOT = 8


class KeyCodes:
    """Any hashable keys -> dense int64 codes in first-seen order, kept across chunks.

    Integer keys in a compact range are mapped through a lookup table (no hashing of
    every row); the distinct keys of a chunk are then matched against the known ones.
    `codes()` prepares a chunk, `commit()` keeps its new keys."""

    def __init__(self, name: str) -> None:
        self.name = name
        # the known keys in code order: a _DictIndex while few, else a pandas Index
        self._index: Any = _DictIndex()
        self._pending: Any = None
        # while the known keys are exactly base, base + 1, ... in that order, a key's
        # code is key - base (no lookup at all)
        self._base: int | None = None
        self._pending_base: int | None = None

    def codes(self, keys: np.ndarray) -> np.ndarray:
        return self.coded(keys).codes()

    def coded(self, keys: np.ndarray, key_range: tuple[int, int] | None = None) -> Coded:
        """The chunk's codes, as a lookup table over the key range when the keys are
        integers in a compact range (the kernel looks each row up: no array of codes),
        else as an array of codes. `key_range`: (min, max) of integer keys when the
        caller already has it (`int_key_ranges`: one pass over two key columns)."""
        self._pending_base = self._base
        if len(keys) == 0:
            self._pending = self._index
            return Coded(np.empty(0, dtype=np.int64))
        if keys.dtype.kind in "iu" and _fits_int64(keys):
            keys = _native(keys, np.int64)
            lo, hi = key_range if key_range is not None else _kernel.key_range(keys)
            span = hi - lo + 1
            if span <= max(_DENSE_MIN_SLOTS, len(keys) // _DENSE_ROWS_PER_SLOT):
                start = lo if not len(self._index) else self._base
                if start is not None and start <= lo <= start + len(self._index):
                    # the keys continue base, base + 1, ... (no gap): every key of the
                    # range gets its code key - base now, seen or not (a code with no
                    # rows is never in a result), and no pass over the rows is needed
                    self._known_range(start + len(self._index), hi + 1)
                    self._pending_base = start
                    return Coded(keys, start, None, shifted=True)
                self._pending_base = None
                present = np.zeros(span, dtype=np.uint8)
                _agents.mark_keys(keys, lo, present)
                uniques = np.flatnonzero(present) + lo
                lookup = np.full(span, -1, dtype=np.int64)
                lookup[uniques - lo] = self._known(uniques)
                return Coded(keys, lo, lookup)
        try:
            local_codes, uniques = _factorise(keys)
        except ValueError as exc:
            raise ValueError(str(exc).replace("session key", f"{self.name} key")) from None
        self._pending_base = None
        return Coded(self._known(uniques)[local_codes])

    def _known_range(self, first: int, stop: int) -> None:
        """Make keys first .. stop - 1, none of them known yet, the next codes: as a
        pandas RangeIndex (no array of the keys, no lookup of them: 200k fresh agent
        ids cost 5 ms a call as an Index of an arange)."""
        index = self._index
        if stop <= first:                     # every key of the chunk is known already
            self._pending = index
            return
        if isinstance(index, _DictIndex) and index.small_enough(stop - first):
            self._known(np.arange(first, stop, dtype=np.int64))
            return
        import pandas as pd

        if isinstance(index, _DictIndex):
            index = index.to_pandas()
        added = pd.RangeIndex(first, stop)
        if not len(index):
            self._pending = added
        elif index.dtype != added.dtype:
            self._pending = index.astype(object).append(added.astype(object))
        else:
            self._pending = index.append(added)

    def _known(self, uniques: np.ndarray) -> np.ndarray:
        # integer keys stay an integer index (no boxing); anything else is object
        wanted = uniques if uniques.dtype.kind in "iu" else np.asarray(uniques, dtype=object)
        index = self._index
        if isinstance(index, _DictIndex):
            if index.takes(wanted):
                self._pending, mapped = index.extended(wanted)
                return mapped
            index = index.to_pandas()
        import pandas as pd

        if len(index):
            if index.dtype != object and wanted.dtype == object:
                index = index.astype(object)
            mapped = index.get_indexer(pd.Index(wanted, dtype=index.dtype if wanted.dtype != object
                                                else object)).astype(np.int64)
        else:
            index = pd.Index(wanted[:0], dtype=wanted.dtype)
            mapped = np.full(len(uniques), -1, dtype=np.int64)
        new = mapped < 0
        if new.any():
            mapped[new] = len(index) + np.arange(int(new.sum()))
            added = pd.Index(wanted[new], dtype=wanted.dtype)
            if index.dtype != added.dtype:
                index, added = index.astype(object), added.astype(object)
            index = index.append(added)
        self._pending = index
        return mapped

    def pending_size(self) -> int:
        return len(self._pending if self._pending is not None else self._index)

    def pending_key(self, code: int) -> Hashable:
        return (self._pending if self._pending is not None else self._index)[code]

    def commit(self) -> None:
        if self._pending is not None:
            self._index = self._pending
            self._base = self._pending_base
        self._pending = None

    def keys(self) -> np.ndarray:
        return self._index.to_numpy(dtype=object)

    def sortable_keys(self) -> np.ndarray:
        """The keys as int64 when they are all int64 (they sort as integers, not as
        boxed objects), else as keys()."""
        index = self._index
        if isinstance(index, _DictIndex):
            return np.array(index._keys, dtype=np.int64) if index._integer else self.keys()
        if index.dtype == np.int64:
            return index.to_numpy()
        return self.keys()

    def key_of(self, code: int) -> Hashable:
        return self._index[code]


def int_key_ranges(first: np.ndarray, second: np.ndarray, max_threads: int = 2
                   ) -> tuple[np.ndarray, np.ndarray, tuple[int, int] | None, tuple[int, int] | None]:
    """Two key columns of one chunk and their (min, max): when both are non-empty
    integers that fit int64, the columns as native int64 (converted once) and both
    ranges from one pass over the two (the compiled `key_ranges`); else the columns as
    given and (None, None), and KeyCodes finds each range itself."""
    if not (len(first) and len(first) == len(second) and first.dtype.kind in "iu"
            and second.dtype.kind in "iu" and _fits_int64(first) and _fits_int64(second)):
        return first, second, None, None
    first, second = _native(first, np.int64), _native(second, np.int64)
    lo1, hi1, lo2, hi2 = _agents.key_ranges(first, second, max_threads)
    return first, second, (lo1, hi1), (lo2, hi2)


class _DictIndex:
    """The known keys of a KeyCodes in code order, and key -> code, for a few thousand
    int64 or str keys while pandas is not loaded (pandas' Index does the same for more).
    Immutable: `extended` returns a new one (a chunk's keys are kept only on commit)."""

    __slots__ = ("_keys", "_codes", "_integer")

    def __init__(self, keys: list | None = None, codes: dict | None = None, integer: bool = True) -> None:
        self._keys: list = keys if keys is not None else []
        self._codes: dict = codes if codes is not None else {}
        self._integer = integer          # every key came from an int64 array

    def __len__(self) -> int:
        return len(self._keys)

    def __getitem__(self, code: int) -> Hashable:
        return self._keys[code]

    def takes(self, wanted: np.ndarray) -> bool:
        """Can these distinct keys join by dict lookups, with pandas' meaning of equal
        keys? (int64 keys, or str keys: no NaN, no 1 == 1.0 == True)"""
        if not self.small_enough(len(wanted)):
            return False
        return wanted.dtype == np.int64 or (wanted.dtype == object
                                            and all(type(v) is str for v in wanted.tolist()))

    def small_enough(self, n: int) -> bool:
        """Room for n more keys while pandas is not loaded (int64 keys always join)."""
        return "pandas" not in sys.modules and len(self._keys) + n < _MISSING_BY_PANDAS_MIN

    def extended(self, wanted: np.ndarray) -> tuple[_DictIndex, np.ndarray]:
        """This index with the new keys of `wanted` appended, and the code of each."""
        keys, codes = list(self._keys), dict(self._codes)
        mapped = np.fromiter((codes.setdefault(k, len(codes)) for k in wanted.tolist()), dtype=np.int64,
                             count=len(wanted))
        keys.extend(list(codes)[len(keys):])
        return _DictIndex(keys, codes, self._integer and wanted.dtype == np.int64), mapped

    def to_pandas(self) -> Any:
        import pandas as pd

        if self._integer:
            return pd.Index(np.array(self._keys, dtype=np.int64))
        return pd.Index(np.array(self._keys, dtype=object), dtype=object)

    def to_numpy(self, dtype: Any = object) -> np.ndarray:
        return np.array(self._keys, dtype=dtype)


class Coded:
    """A chunk's dense codes: `keys - lo` (no lookup), or `lookup[keys - lo]`; as an
    array only on demand."""

    __slots__ = ("keys", "lo", "lookup", "_codes")

    def __init__(self, keys: np.ndarray, lo: int = 0, lookup: np.ndarray | None = None,
                 *, shifted: bool = False) -> None:
        self.keys, self.lo, self.lookup = keys, int(lo), lookup
        self._codes: np.ndarray | None = None if lookup is not None or shifted else keys

    def codes(self) -> np.ndarray:
        if self._codes is None:
            if self.lookup is None:
                self._codes = self.keys - self.lo
            else:
                out = np.empty(len(self.keys), dtype=np.int64)
                _agents.lookup_codes(self.keys, self.lo, self.lookup, out)
                self._codes = out
        return self._codes
