"""Stub of the compiled queue_log tokenizer (src/agentstats/_qlog.pyx); checked by mypy.stubtest."""

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

CANDIDATE: int
BLANK: int
NUL_GARBAGE: int
MALFORMED: int
BAD_EPOCH: int
LINE_TOO_LONG: int
SLOW: int
NO_EPOCH: int

def tokenize_block(
    data: bytes,
    max_line_bytes: int,
    epoch: NDArray[np.int64],
    reason: NDArray[np.uint8],
    start: NDArray[np.int64],
    end: NDArray[np.int64],
    nul_bytes: NDArray[np.int64],
    ascii_out: NDArray[np.uint8] | None = None,
) -> int: ...

READ_END: int
READ_CUT: int
READ_NO_LINE_END: int
READ_CR: int

def read_lines(
    readinto: Callable[[memoryview], int | None],
    head: bytes,
    size: int,
    seen: Callable[[bytes, int], object],
) -> tuple[int, int, bytes | None, bytes | None, bool]: ...
