"""Stub of the compiled queue-statistics loop (src/agentstats/_queues.pyx); checked by mypy.stubtest."""

import numpy as np
from numpy.typing import NDArray

STATUS_OK: int
STATUS_OVERFLOW: int
STATUS_BAD_CELL: int
COUNT_COLUMNS: int
FLOWED_IN_COLUMN: int
FLOWED_OUT_COLUMN: int
FINAL_COLUMN: int
WAIT_LEFT_N_COLUMN: int
WAIT_ANSWERED_N_COLUMN: int

def queue_cells(
    queue: NDArray[np.int32],
    enter: NDArray[np.int64],
    leave: NDArray[np.int64],
    wait: NDArray[np.int64],
    outcome: NDArray[np.int8],
    flowed_in: NDArray[np.uint8],
    flowed_out_at: NDArray[np.int64],
    cells: NDArray[np.int64],
    thresholds: NDArray[np.int64],
    counts: NDArray[np.int64],
    sums: NDArray[np.int64],
    maxima: NDArray[np.int64],
    within: NDArray[np.int64],
    *,
    as_of: int,
    window_start: int,
    step: int,
    first_bucket: int,
    n_queues: int,
) -> int: ...
