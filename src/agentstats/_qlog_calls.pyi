"""Stub of the compiled call side of the queue_log translation (src/agentstats/_qlog_calls.pyx); checked by mypy.stubtest."""

from typing import Any

import numpy as np
from numpy.typing import NDArray
from typing_extensions import final

KIND_NONE: int
KIND_ENTER: int
KIND_CONNECT: int
KIND_END: int
KIND_REFUSAL: int
KIND_EXIT: int
REASONS: tuple[str, ...]
NOTES: tuple[str, ...]
RECORD_WIDTH: int
FULL_FIELDS: tuple[str, ...]

@final
class CallState:
    @property
    def memory(self) -> int: ...
    @property
    def latest(self) -> int: ...
    @property
    def n_queues(self) -> int: ...
    @property
    def n_agents(self) -> int: ...
    @property
    def folded(self) -> int: ...
    @property
    def last_reason(self) -> int: ...
    def __init__(self, memory: int, latest: int) -> None: ...
    def intern_callids(self, count: int, joined: bytes) -> NDArray[np.int32]: ...
    def callid_table_size(self) -> int: ...
    def callid_names(self, tokens: NDArray[np.int64] | None = None) -> tuple[int, bytes]: ...
    def compact_callids(self) -> int: ...
    def read(
        self,
        epoch: NDArray[np.int64],
        where: NDArray[np.int64],
        verb: NDArray[np.int16],
        callid: NDArray[np.int32],
        queue: NDArray[np.int32],
        agent: NDArray[np.int32],
        data1: NDArray[np.int32],
        number_stripped: NDArray[np.int64],
        verdict: NDArray[np.int8],
        reason: NDArray[np.int8],
        verb_kind: NDArray[np.int8],
        verb_arg: NDArray[np.int8],
        verb_field: NDArray[np.int8],
        queue_out: NDArray[np.int32],
        queue_raw: NDArray[np.int32],
        agent_canon: NDArray[np.int32],
        canon_out: NDArray[np.int32],
        canon_of: NDArray[np.int32],
        *,
        callid_none_a: int,
        callid_none_b: int,
        queue_none_a: int,
        queue_none_b: int,
        agent_none_a: int,
        agent_none_b: int,
        attended: int,
        link: int,
    ) -> int: ...
    def __len__(self) -> int: ...
    def column(self, offset: int) -> NDArray[np.int64]: ...
    def callid_codes(self) -> NDArray[np.int32]: ...
    def seqs(self) -> NDArray[np.int64]: ...
    @property
    def created(self) -> int: ...
    def take_final(
        self, full: bool = False, everything: bool = False,
    ) -> tuple[Any, ...] | None: ...
    def notes(self) -> tuple[int, ...]: ...
    def working_set(self) -> tuple[int, int, int, int]: ...
