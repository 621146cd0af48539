"""Stub of the compiled queue_log tokenizer (src/agentstats/_qlog.pyx); checked by mypy.stubtest."""

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
) -> int: ...
