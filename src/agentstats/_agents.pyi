"""Stub of the compiled agent timeline kernel (src/agentstats/_agents.pyx); checked by mypy.stubtest."""

import numpy as np
from numpy.typing import NDArray

STATUS_OK: int
STATUS_NEEDS_ORDER: int
STATUS_TIMEOUT: int
STATUS_NO_MEMORY: int
STATUS_BAD_CODE: int
STATUS_AGENT_CHANGED: int
STATUS_PRESENCE_CHANGED: int
STATUS_STOPPED: int
COUNTER_NAMES: tuple[str, ...]
SUMMARY_COLUMNS: tuple[str, ...]
INTERVAL_COLUMNS: tuple[str, ...]
REASON_COLUMNS: tuple[str, ...]

def openmp_enabled() -> bool: ...
def range_within(key_range: tuple[int, int], lo: int, n: int) -> bool: ...
def timeline_session_itemsize() -> int: ...
def timeline_session_cold_itemsize() -> int: ...
def timeline_agent_itemsize() -> int: ...
def scan(
    codes: NDArray[np.int64],
    agent_codes: NDArray[np.int64],
    time: NDArray[np.int64],
    state: NDArray[np.uint8],
    reason: NDArray[np.int32],
    presence: NDArray[np.uint8],
    sessions: NDArray[np.uint8],
    session_cold: NDArray[np.uint8],
    agents: NDArray[np.uint8],
    counters: NDArray[np.int64],
    *,
    as_of: int,
    origin: int,
    width: int,
    seq0: int,
    deadline: float,
    codes_lo: int = ...,
    codes_lookup: NDArray[np.int64] | None = ...,
    agents_lo: int = ...,
    agents_lookup: NDArray[np.int64] | None = ...,
    n_threads: int = ...,
    vector_pick: bool = ...,
    presence_before: bool = ...,
    codes_range: tuple[int, int] | None = ...,
    agents_range: tuple[int, int] | None = ...,
) -> tuple[int, int, NDArray[np.int64], NDArray[np.int64]]: ...
def close(
    agents: NDArray[np.uint8],
    *,
    as_of: int,
    origin: int,
    width: int,
) -> tuple[int, NDArray[np.int64], NDArray[np.int64], int, NDArray[np.int64]]: ...
def link_members(sessions: NDArray[np.uint8], session_cold: NDArray[np.uint8], agents: NDArray[np.uint8]) -> None: ...
def mark_keys(keys: NDArray[np.int64], lo: int, present: NDArray[np.uint8]) -> None: ...
def lookup_codes(keys: NDArray[np.int64], lo: int, lookup: NDArray[np.int64], out: NDArray[np.int64]) -> None: ...
def key_ranges(
    a: NDArray[np.int64], b: NDArray[np.int64], max_threads: int = ..., vectors: bool = ...
) -> tuple[int, int, int, int]: ...
