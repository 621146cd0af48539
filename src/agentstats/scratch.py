"""Buffers kept between one-shot calls, so that the next call reuses their pages.

A one-shot `aggregate()` or `agent_stats()` allocates its per-session (and per-agent)
records, and they are scratch once its table is built. Fresh pages cost a fault each
the first time they are written (on this project's VM about 1 ms per MB), so the
buffers of the last calls are kept for the next ones: only buffers of at least 2 MiB
(below that fresh pages cost little) and at most 64 MiB each, at most 128 MiB in all,
the largest kept first. `agentstats.release_scratch()` frees them.
"""

from __future__ import annotations

import threading

import numpy as np

_MIN_BYTES = 2 << 20
_MAX_BYTES = 64 << 20
_MAX_TOTAL = 128 << 20
_kept: list[np.ndarray] = []
_lock = threading.Lock()


def take(nbytes: int) -> np.ndarray | None:
    """A kept uint8 buffer of at least `nbytes` (the smallest that fits), or None; its
    bytes are whatever the last call left: the caller writes every byte it reads."""
    if nbytes < _MIN_BYTES:
        return None
    with _lock:
        fitting = [i for i, raw in enumerate(_kept) if raw.nbytes >= nbytes]
        if not fitting:
            return None
        # (by position: list.remove would compare arrays with ==, element by element)
        return _kept.pop(min(fitting, key=lambda i: _kept[i].nbytes))


def give_back(array: np.ndarray) -> None:
    """Keep the buffer under `array` for a later call. Only for arrays that nothing
    else refers to any more (a table built from them holds copies)."""
    raw = array
    while isinstance(raw.base, np.ndarray):
        raw = raw.base
    if (raw.dtype != np.uint8 or raw.ndim != 1 or not raw.flags.owndata
            or not _MIN_BYTES <= raw.nbytes <= _MAX_BYTES):
        return
    with _lock:
        if any(kept is raw for kept in _kept):
            return
        _kept.append(raw)
        _kept.sort(key=lambda kept: kept.nbytes, reverse=True)
        while sum(kept.nbytes for kept in _kept) > _MAX_TOTAL:
            _kept.pop()


def release() -> int:
    """Free every kept buffer; the bytes freed."""
    with _lock:
        freed = sum(raw.nbytes for raw in _kept)
        _kept.clear()
    return freed
