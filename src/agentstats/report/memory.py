"""The report process's use of the C heap (glibc only; elsewhere these do nothing).

A report of a queue_log allocates and frees about a dozen buffers of 1-16 MiB for every
8 MiB block of the file (the block read, its line columns, the event chunks): 1.7 GB of
them for a 273 MB log. glibc serves a buffer of that size from a mapping of its own,
returned to the system when freed, only until the first such buffer is freed: it then
raises its threshold to that buffer's size, and from there on the buffers are carved
from the heap, where the freed ones stay as holes the system does not get back. On the
2.7 GB log the heap held 100-270 MiB of such free space at the peak, more as the file
went on (benchmarks/README.md, "Memory of the reports").
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

__all__ = ["LARGE_BUFFER_BYTES", "map_large_buffers", "release_free_heap"]

#: buffers from this size on get a mapping of their own (glibc starts at 128 KiB and
#: raises it; 1 MiB leaves the many small arrays and objects on the heap)
LARGE_BUFFER_BYTES = 1 << 20

_M_MMAP_THRESHOLD = -3          # glibc's <malloc.h>


@lru_cache(maxsize=1)
def _glibc() -> Any:
    """The C library when it is glibc (mallopt and malloc_trim as glibc defines them)."""
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return None
    except (ValueError, OSError, AttributeError):     # not glibc, or not a POSIX system
        return None
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        libc.mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
        libc.malloc_trim.argtypes = (ctypes.c_size_t,)
    except (OSError, AttributeError):
        return None
    return libc


def map_large_buffers() -> bool:
    """From now on give every buffer of LARGE_BUFFER_BYTES or more a mapping of its own,
    returned to the system when it is freed (a threshold set this way is one glibc no
    longer raises). The price: the fresh pages of each such buffer are faulted in again
    (system time). True if the setting was made."""
    libc = _glibc()
    return bool(libc is not None and libc.mallopt(_M_MMAP_THRESHOLD, LARGE_BUFFER_BYTES))


def release_free_heap() -> bool:
    """Return the free pages inside the heap to the system (after the import, before the
    report's own frames are built on top of them). True if some memory was returned."""
    libc = _glibc()
    return bool(libc is not None and libc.malloc_trim(0))
