"""LINEAGENTSESSIONINFO, the TAPI 2 structure behind ITAgentSession.

Layout (Tapi.h, packed to 1 byte, little-endian, 76 bytes):

    offset  field                     type
     0      dwTotalSize               DWORD
     4      dwNeededSize              DWORD
     8      dwUsedSize                DWORD
    12      dwAgentSessionState       DWORD   LINEAGENTSESSIONSTATE_* bit flag
    16      dwNextAgentSessionState   DWORD   LINEAGENTSESSIONSTATE_* flag (0: none pending)
    20      dateSessionStartTime      DATE    (double, OLE Automation date)
    28      dwSessionDuration         DWORD
    32      dwNumberOfCalls           DWORD
    36      dwTotalTalkTime           DWORD
    40      dwAverageTalkTime         DWORD
    44      dwTotalCallTime           DWORD
    48      dwAverageCallTime         DWORD
    52      dwTotalWrapUpTime         DWORD
    56      dwAverageWrapUpTime       DWORD
    60      cyACDCallRate             CY      (int64, value x 10000)
    68      dwLongestTimeToAnswer     DWORD
    72      dwAverageTimeToAnswer     DWORD
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from .hresult import (
    LINEAGENTSESSIONSTATE_BUSYONCALL,
    LINEAGENTSESSIONSTATE_BUSYWRAPUP,
    LINEAGENTSESSIONSTATE_ENDED,
    LINEAGENTSESSIONSTATE_NOTREADY,
    LINEAGENTSESSIONSTATE_READY,
    LINEERR_OPERATIONFAILED,
    tapi_error,
)

if TYPE_CHECKING:
    from .session import AgentSession

__all__ = ["LINEAGENTSESSIONINFO_FORMAT", "LINEAGENTSESSIONINFO_SIZE", "agent_session_info",
           "parse_agent_session_info"]

LINEAGENTSESSIONINFO_FORMAT = "<5Id8Iq2I"
LINEAGENTSESSIONINFO_SIZE = struct.calcsize(LINEAGENTSESSIONINFO_FORMAT)
assert LINEAGENTSESSIONINFO_SIZE == 76

# AGENT_SESSION_STATE (TAPI 3) -> LINEAGENTSESSIONSTATE_ flag (TAPI 2).
_STATE_FLAGS = (
    LINEAGENTSESSIONSTATE_NOTREADY,
    LINEAGENTSESSIONSTATE_READY,
    LINEAGENTSESSIONSTATE_BUSYONCALL,
    LINEAGENTSESSIONSTATE_BUSYWRAPUP,
    LINEAGENTSESSIONSTATE_ENDED,
)
_FIELDS = ("SessionDuration", "NumberOfCalls", "TotalTalkTime", "AverageTalkTime",
           "TotalCallTime", "AverageCallTime", "TotalWrapUpTime", "AverageWrapUpTime")


def agent_session_info(session: AgentSession) -> bytes:
    """The session's LINEAGENTSESSIONINFO bytes. dwNextAgentSessionState is 0: a log
    records only transitions that happened, never a pending one. The two time-to-answer fields are 0
    when the log has no wait (the structure cannot say "unavailable"); a value that
    does not fit a DWORD fails with LINEERR_OPERATIONFAILED."""
    dwords = [getattr(session, f"get_{name}")() for name in _FIELDS]
    if session.ticks().has_wait:
        answer = [session.get_LongestTimeToAnswer(), session.get_AverageTimeToAnswer()]
    else:
        answer = [0, 0]
    for value in (*dwords, *answer):
        if not 0 <= value < 2**32:
            raise tapi_error(LINEERR_OPERATIONFAILED, f"{value} does not fit a DWORD")
    rate_cy = int(session.get_ACDCallRate().scaleb(4))
    size = LINEAGENTSESSIONINFO_SIZE
    return struct.pack(
        LINEAGENTSESSIONINFO_FORMAT,
        size, size, size,
        _STATE_FLAGS[int(session.get_State())], 0,
        session.get_SessionStartTime(),
        *dwords,
        rate_cy,
        *answer,
    )


def parse_agent_session_info(data: bytes) -> dict[str, float | int]:
    """The fields of a LINEAGENTSESSIONINFO (for C interop tests and wire captures)."""
    names = ("dwTotalSize", "dwNeededSize", "dwUsedSize", "dwAgentSessionState",
             "dwNextAgentSessionState", "dateSessionStartTime",
             *(f"dw{name}" for name in _FIELDS), "cyACDCallRate",
             "dwLongestTimeToAnswer", "dwAverageTimeToAnswer")
    return dict(zip(names, struct.unpack(LINEAGENTSESSIONINFO_FORMAT, data[:LINEAGENTSESSIONINFO_SIZE])))
