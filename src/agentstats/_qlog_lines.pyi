"""Stub of the compiled queue_log line stage (src/agentstats/_qlog_lines.pyx); checked by mypy.stubtest."""

from typing import Any

import numpy as np
from numpy.typing import NDArray
from typing_extensions import final

ARENA: int
TABLES: tuple[str, ...]

@final
class LineOrder:
    @property
    def newest(self) -> int: ...
    @property
    def first_time(self) -> int: ...
    @property
    def has_first(self) -> bool: ...
    @property
    def block_callids(self) -> bool: ...
    def __init__(self, reorder_window: int, latest_epoch: int, examples_kept: int, names: Any, *,
                 block_callids: bool = False) -> None: ...
    def counted(self) -> list[int]: ...
    def examples(self) -> list[list[int]]: ...
    def take_new_names(self) -> list[tuple[int, bytes]]: ...
    def callid_table_size(self) -> int: ...
    def put_arena(self, record: bytes) -> int: ...
    def order_block(
        self,
        data: bytes,
        epoch: NDArray[np.int64],
        reason: NDArray[np.uint8],
        start: NDArray[np.int64],
        end: NDArray[np.int64],
        n_lines: int,
        base: int,
        number: int,
        ascii_block: bool,
        too_long_after: bool,
    ) -> int: ...
    def finish(self) -> int: ...
    def hold_questions(self) -> list[tuple[int, bytes]]: ...
    def set_bad_hold(self, row: int) -> None: ...
    def release(
        self,
        epoch: NDArray[np.int64],
        where: NDArray[np.int64],
        verb: NDArray[np.int16],
        callid: NDArray[np.int32],
        queue: NDArray[np.int32],
        agent: NDArray[np.int32],
        data1: NDArray[np.int32],
        number: NDArray[np.int64],
        stripped: NDArray[np.int64],
        wide: NDArray[np.uint8],
        text_end: NDArray[np.int64],
        keep_texts: bool,
    ) -> tuple[int, bytes]: ...
    def end_block(self) -> None: ...
