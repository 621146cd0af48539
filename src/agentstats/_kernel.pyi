"""Stub of the compiled kernel (src/agentstats/_kernel.pyx); checked by mypy.stubtest."""

import numpy as np
from numpy.typing import NDArray

STATUS_OK: int
STATUS_NEEDS_ORDER: int
STATUS_TIMEOUT: int
STATUS_NO_MEMORY: int
STATUS_OVERFLOW: int
STATUS_BAD_CODE: int
STATUS_NEEDS_SERIAL: int
STATUS_VALUES_UNFIT: int
STATUS_NEGATIVE_WAIT: int
ENTRIES: tuple[str, ...]
COUNTER_NAMES: tuple[str, ...]
FINAL_COLUMNS: tuple[str, ...]

def openmp_enabled() -> bool: ...
def release_scratch() -> int: ...
def head_in_time_order(
    codes: NDArray[np.int64],
    time: NDArray[np.int64],
    state: NDArray[np.uint8],
    state_width: int,
    as_of: int,
    sample: int = ...,
) -> bool: ...
def session_state_itemsize() -> int: ...
def fresh_states(sessions: NDArray[np.uint8]) -> None: ...
def key_range(keys: NDArray[np.int64], max_threads: int = ..., vectors: bool = ...) -> tuple[int, int]: ...
def state_codes(raw: NDArray[np.integer], out: NDArray[np.uint8], max_threads: int = ...) -> None: ...
def first_negative(values: NDArray[np.int64], max_threads: int = ...) -> int: ...
def factorise_objects(keys: NDArray[np.object_], codes: NDArray[np.int64], first_rows: NDArray[np.int64]) -> int: ...
def scan(
    codes: NDArray[np.int64],
    base: int,
    time: NDArray[np.int64],
    state: NDArray[np.uint8],
    wait: NDArray[np.int64],
    sessions: NDArray[np.uint8],
    counters: NDArray[np.int64],
    *,
    has_wait: bool,
    as_of: int,
    deadline: float,
    grouped: bool = ...,
    state_width: int = ...,
) -> int: ...
def scan_unordered(
    codes: NDArray[np.int64],
    base: int,
    time: NDArray[np.int64],
    state: NDArray[np.uint8],
    wait: NDArray[np.int64],
    sessions: NDArray[np.uint8],
    counters: NDArray[np.int64],
    *,
    has_wait: bool,
    as_of: int,
    deadline: float,
    need_rows: bool = ...,
    entries: str = ...,
) -> int: ...
def finalize(
    sessions: NDArray[np.uint8],
    slots: NDArray[np.int64],
    as_of: int,
    out: NDArray[np.int64],
    max_threads: int = ...,
) -> int: ...
