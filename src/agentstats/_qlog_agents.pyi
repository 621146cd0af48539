"""Stub of the compiled agent side of the queue_log translation (src/agentstats/_qlog_agents.pyx); checked by mypy.stubtest."""

import numpy as np
from numpy.typing import NDArray
from typing_extensions import final

VERB_UNKNOWN: int
VERB_EMPTY: int
VERB_NOT_AGENT: int
VERB_QUEUESTART: int
VERB_CONNECT: int
VERB_CALL_END: int
VERB_TRANSFER: int
VERB_PAUSE: int
VERB_UNPAUSE: int
VERB_PAUSEALL: int
VERB_UNPAUSEALL: int
VERB_WRAPUPSTART: int
VERB_ADDMEMBER: int
VERB_LOGIN: int
VERB_LOGOFF: int
VERB_REMOVEMEMBER: int
VERB_RINGNOANSWER: int
VERB_RING: int
REASONS: tuple[str, ...]
FIXED_REASONS: int
REASONS_WITH_EXAMPLES: tuple[str, ...]
HOW_SHIFT: int
HOW_PLAIN: int
HOW_STATIC_MEMBER: int
HOW_LOGGED_SECONDS: int
EXAMPLES: int

@final
class AgentState:
    @property
    def pending_events(self) -> int: ...
    @property
    def used(self) -> int: ...
    @property
    def unterminated_calls(self) -> int: ...
    @property
    def n_sessions(self) -> int: ...
    @property
    def is_finished(self) -> bool: ...
    def __init__(self, max_call: int) -> None: ...
    def read(
        self,
        epoch: NDArray[np.int64],
        where: NDArray[np.int64],
        verb: NDArray[np.int16],
        queue: NDArray[np.int32],
        agent: NDArray[np.int32],
        data1: NDArray[np.int32],
        number: NDArray[np.int64],
        verdict: NDArray[np.int8],
        call_reason: NDArray[np.int8],
        verb_kind: NDArray[np.int8],
        queue_nobody: NDArray[np.uint8],
        queue_wrapup: NDArray[np.int64],
        agent_canon: NDArray[np.int32],
        text_paused: NDArray[np.uint8],
        call_reason_code: NDArray[np.int8],
        *,
        n_agents: int,
        empty_text: int,
        login_verb: int,
    ) -> int: ...
    def finish(self, horizon: int, has_horizon: bool) -> int: ...
    def take_events(
        self,
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.uint8], NDArray[np.int64], NDArray[np.int32]]: ...
    def session_table(
        self,
    ) -> tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.int64], NDArray[np.int64], NDArray[np.int32]]: ...
    def counts(self) -> NDArray[np.int64]: ...
    def examples(self, reason: int) -> list[int]: ...
    def agent_counts(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]: ...
    def working_set(self) -> tuple[int, int, int]: ...
    def logins(self) -> NDArray[np.int64]: ...
