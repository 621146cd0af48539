"""HRESULT and TAPI constants, and the exception classes.

Every ``LINEERR_*`` constant of the Windows SDK header Tapi.h, every ``TAPI_E_*``
constant of Tapi3Err.h, the generic COM codes used by the facade, the TAPI 3
``AGENT_SESSION_STATE`` enumeration and the TAPI 2 ``LINEAGENTSESSIONSTATE_*``
flags, all as plain ints (unsigned 32-bit for HRESULTs).

Errors are raised as :class:`TapiError` (or a subclass that also derives from the
natural Python base class); build them with :func:`tapi_error`::

    raise tapi_error(TAPI_E_TIMEOUT, "aggregate did not finish within 0.001 s")

Sources (public copies of the headers; every value below was read from them):

* ``LINEERR_*``, ``LINEAGENTSESSIONSTATE_*`` and the ``LINEAGENTSESSIONINFO`` layout:
  mingw-w64/mingw-w64 ``mingw-w64-headers/include/tapi.h``
  (commit 1972a5ea6b0805efe9bc48e7b6d209ffc5032ad7), cross-checked against
  Frankie-PellesC/fSDK ``Include/Tapi.h`` (a copy of the SDK header with its
  ``TAPI_CURRENT_VERSION`` guards; same names and values), wine-mirror/wine
  ``include/tapi.h`` (0x80000001..0x80000056 only) and an SDK Tapi.h copy of
  TAPI 2.0 vintage (0x80000001..0x8000005C only).  0x80000004 and 0x80000031 are
  not defined by any of them (gaps in the SDK numbering, not omissions here).
  ``LINEERR_DISCONNECTED`` is spelled ``0X80000060`` (capital X) in the headers.
  ``LINEERR_USERCANCELLED``, ``LINEERR_INVALAGENTSESSIONSTATE``,
  ``LINEERR_DISCONNECTED`` and ``LINEERR_SERVICE_NOT_RUNNING`` need TAPI 2.2
  (``TAPI_CURRENT_VERSION >= 0x00020002``), ``LINEERR_INVALADDRESSTYPE`` TAPI 3.0.
* ``TAPI_E_*``: mingw-w64/mingw-w64 ``mingw-w64-headers/include/tapi3err.h``
  (commit 8a67ab4541226a80b3ec2047347890d915126de1), Frankie-PellesC/fSDK
  ``Include/Tapi3Err.h`` and windowsdevops/Microsoft-Windows-Longhorn-Lab03_n
  ``Include/Tapi3Err.h`` (the Microsoft message-compiler original).  All 90 values
  0x80040001..0x8004005A are present, identical, in all three; none is single-source.
* ``AGENT_SESSION_STATE``: mingw-w64/mingw-w64 ``mingw-w64-headers/include/tapi3cc.h``
  (the MIDL output of tapi3cc.idl; Microsoft documents the enum under tapi3.h /
  tapi3cc, not tapi3if).
* ``S_OK`` and ``E_*``: winerror.h (the standard COM values).

No two names here share a value, so :data:`HRESULT_NAMES` is a bijection (checked
at import time).  ``LINEAGENTSESSIONSTATEEX_*`` does not exist in any Tapi.h copy
searched (nor anywhere in the indexed public code), so it is not defined here.

LINEAGENTSESSIONINFO as declared in Tapi.h (mingw-w64 tapi.h is under
``#pragma pack(1)``; 17 fields, 76 bytes; the struct itself lives in lineinfo.py)::

    offset size  type      field
       0    4    DWORD     dwTotalSize
       4    4    DWORD     dwNeededSize
       8    4    DWORD     dwUsedSize
      12    4    DWORD     dwAgentSessionState       LINEAGENTSESSIONSTATE_* flag
      16    4    DWORD     dwNextAgentSessionState   LINEAGENTSESSIONSTATE_* flag
      20    8    DATE      dateSessionStartTime      (double, OLE Automation date)
      28    4    DWORD     dwSessionDuration
      32    4    DWORD     dwNumberOfCalls
      36    4    DWORD     dwTotalTalkTime
      40    4    DWORD     dwAverageTalkTime
      44    4    DWORD     dwTotalCallTime
      48    4    DWORD     dwAverageCallTime
      52    4    DWORD     dwTotalWrapUpTime
      56    4    DWORD     dwAverageWrapUpTime
      60    8    CURRENCY  cyACDCallRate             (int64, value x 10000)
      68    4    DWORD     dwLongestTimeToAnswer
      72    4    DWORD     dwAverageTimeToAnswer
                                                     total 76

Note: the fifth field is ``dwNextAgentSessionState`` (same name in mingw-w64 tapi.h,
fSDK Tapi.h and Microsoft's LINEAGENTSESSIONINFO page), not ``dwAgentSessionStateEx``;
size and offset are the same either way.
"""

from __future__ import annotations

import enum
import operator
from typing import Final

# ---------------------------------------------------------------------------
# Generic COM codes (winerror.h)
# ---------------------------------------------------------------------------

S_OK: Final[int] = 0x00000000
E_NOTIMPL: Final[int] = 0x80004001
E_POINTER: Final[int] = 0x80004003
E_FAIL: Final[int] = 0x80004005
E_UNEXPECTED: Final[int] = 0x8000FFFF
E_OUTOFMEMORY: Final[int] = 0x8007000E
E_INVALIDARG: Final[int] = 0x80070057

# ---------------------------------------------------------------------------
# LINEERR_* (Tapi.h), in header order.  TAPI 2 returns these as negative LONGs;
# as HRESULTs they are valid failure codes (bit 31 set).
# ---------------------------------------------------------------------------

LINEERR_ALLOCATED: Final[int] = 0x80000001
LINEERR_BADDEVICEID: Final[int] = 0x80000002
LINEERR_BEARERMODEUNAVAIL: Final[int] = 0x80000003
LINEERR_CALLUNAVAIL: Final[int] = 0x80000005
LINEERR_COMPLETIONOVERRUN: Final[int] = 0x80000006
LINEERR_CONFERENCEFULL: Final[int] = 0x80000007
LINEERR_DIALBILLING: Final[int] = 0x80000008
LINEERR_DIALDIALTONE: Final[int] = 0x80000009
LINEERR_DIALPROMPT: Final[int] = 0x8000000A
LINEERR_DIALQUIET: Final[int] = 0x8000000B
LINEERR_INCOMPATIBLEAPIVERSION: Final[int] = 0x8000000C
LINEERR_INCOMPATIBLEEXTVERSION: Final[int] = 0x8000000D
LINEERR_INIFILECORRUPT: Final[int] = 0x8000000E
LINEERR_INUSE: Final[int] = 0x8000000F
LINEERR_INVALADDRESS: Final[int] = 0x80000010
LINEERR_INVALADDRESSID: Final[int] = 0x80000011
LINEERR_INVALADDRESSMODE: Final[int] = 0x80000012
LINEERR_INVALADDRESSSTATE: Final[int] = 0x80000013
LINEERR_INVALAPPHANDLE: Final[int] = 0x80000014
LINEERR_INVALAPPNAME: Final[int] = 0x80000015
LINEERR_INVALBEARERMODE: Final[int] = 0x80000016
LINEERR_INVALCALLCOMPLMODE: Final[int] = 0x80000017
LINEERR_INVALCALLHANDLE: Final[int] = 0x80000018
LINEERR_INVALCALLPARAMS: Final[int] = 0x80000019
LINEERR_INVALCALLPRIVILEGE: Final[int] = 0x8000001A
LINEERR_INVALCALLSELECT: Final[int] = 0x8000001B
LINEERR_INVALCALLSTATE: Final[int] = 0x8000001C
LINEERR_INVALCALLSTATELIST: Final[int] = 0x8000001D
LINEERR_INVALCARD: Final[int] = 0x8000001E
LINEERR_INVALCOMPLETIONID: Final[int] = 0x8000001F
LINEERR_INVALCONFCALLHANDLE: Final[int] = 0x80000020
LINEERR_INVALCONSULTCALLHANDLE: Final[int] = 0x80000021
LINEERR_INVALCOUNTRYCODE: Final[int] = 0x80000022
LINEERR_INVALDEVICECLASS: Final[int] = 0x80000023
LINEERR_INVALDEVICEHANDLE: Final[int] = 0x80000024
LINEERR_INVALDIALPARAMS: Final[int] = 0x80000025
LINEERR_INVALDIGITLIST: Final[int] = 0x80000026
LINEERR_INVALDIGITMODE: Final[int] = 0x80000027
LINEERR_INVALDIGITS: Final[int] = 0x80000028
LINEERR_INVALEXTVERSION: Final[int] = 0x80000029
LINEERR_INVALGROUPID: Final[int] = 0x8000002A
LINEERR_INVALLINEHANDLE: Final[int] = 0x8000002B
LINEERR_INVALLINESTATE: Final[int] = 0x8000002C
LINEERR_INVALLOCATION: Final[int] = 0x8000002D
LINEERR_INVALMEDIALIST: Final[int] = 0x8000002E
LINEERR_INVALMEDIAMODE: Final[int] = 0x8000002F
LINEERR_INVALMESSAGEID: Final[int] = 0x80000030
LINEERR_INVALPARAM: Final[int] = 0x80000032
LINEERR_INVALPARKID: Final[int] = 0x80000033
LINEERR_INVALPARKMODE: Final[int] = 0x80000034
LINEERR_INVALPOINTER: Final[int] = 0x80000035
LINEERR_INVALPRIVSELECT: Final[int] = 0x80000036
LINEERR_INVALRATE: Final[int] = 0x80000037
LINEERR_INVALREQUESTMODE: Final[int] = 0x80000038
LINEERR_INVALTERMINALID: Final[int] = 0x80000039
LINEERR_INVALTERMINALMODE: Final[int] = 0x8000003A
LINEERR_INVALTIMEOUT: Final[int] = 0x8000003B
LINEERR_INVALTONE: Final[int] = 0x8000003C
LINEERR_INVALTONELIST: Final[int] = 0x8000003D
LINEERR_INVALTONEMODE: Final[int] = 0x8000003E
LINEERR_INVALTRANSFERMODE: Final[int] = 0x8000003F
LINEERR_LINEMAPPERFAILED: Final[int] = 0x80000040
LINEERR_NOCONFERENCE: Final[int] = 0x80000041
LINEERR_NODEVICE: Final[int] = 0x80000042
LINEERR_NODRIVER: Final[int] = 0x80000043
LINEERR_NOMEM: Final[int] = 0x80000044
LINEERR_NOREQUEST: Final[int] = 0x80000045
LINEERR_NOTOWNER: Final[int] = 0x80000046
LINEERR_NOTREGISTERED: Final[int] = 0x80000047
LINEERR_OPERATIONFAILED: Final[int] = 0x80000048
LINEERR_OPERATIONUNAVAIL: Final[int] = 0x80000049
LINEERR_RATEUNAVAIL: Final[int] = 0x8000004A
LINEERR_RESOURCEUNAVAIL: Final[int] = 0x8000004B
LINEERR_REQUESTOVERRUN: Final[int] = 0x8000004C
LINEERR_STRUCTURETOOSMALL: Final[int] = 0x8000004D
LINEERR_TARGETNOTFOUND: Final[int] = 0x8000004E
LINEERR_TARGETSELF: Final[int] = 0x8000004F
LINEERR_UNINITIALIZED: Final[int] = 0x80000050
LINEERR_USERUSERINFOTOOBIG: Final[int] = 0x80000051
LINEERR_REINIT: Final[int] = 0x80000052
LINEERR_ADDRESSBLOCKED: Final[int] = 0x80000053
LINEERR_BILLINGREJECTED: Final[int] = 0x80000054
LINEERR_INVALFEATURE: Final[int] = 0x80000055
LINEERR_NOMULTIPLEINSTANCE: Final[int] = 0x80000056
LINEERR_INVALAGENTID: Final[int] = 0x80000057
LINEERR_INVALAGENTGROUP: Final[int] = 0x80000058
LINEERR_INVALPASSWORD: Final[int] = 0x80000059
LINEERR_INVALAGENTSTATE: Final[int] = 0x8000005A
LINEERR_INVALAGENTACTIVITY: Final[int] = 0x8000005B
LINEERR_DIALVOICEDETECT: Final[int] = 0x8000005C
LINEERR_USERCANCELLED: Final[int] = 0x8000005D
LINEERR_INVALADDRESSTYPE: Final[int] = 0x8000005E
LINEERR_INVALAGENTSESSIONSTATE: Final[int] = 0x8000005F
LINEERR_DISCONNECTED: Final[int] = 0x80000060
LINEERR_SERVICE_NOT_RUNNING: Final[int] = 0x80000061

# ---------------------------------------------------------------------------
# TAPI_E_* (Tapi3Err.h), in header order.
# ---------------------------------------------------------------------------

TAPI_E_NOTENOUGHMEMORY: Final[int] = 0x80040001
TAPI_E_NOITEMS: Final[int] = 0x80040002
TAPI_E_NOTSUPPORTED: Final[int] = 0x80040003
TAPI_E_INVALIDMEDIATYPE: Final[int] = 0x80040004
TAPI_E_OPERATIONFAILED: Final[int] = 0x80040005
TAPI_E_ALLOCATED: Final[int] = 0x80040006
TAPI_E_CALLUNAVAIL: Final[int] = 0x80040007
TAPI_E_COMPLETIONOVERRUN: Final[int] = 0x80040008
TAPI_E_CONFERENCEFULL: Final[int] = 0x80040009
TAPI_E_DIALMODIFIERNOTSUPPORTED: Final[int] = 0x8004000A
TAPI_E_INUSE: Final[int] = 0x8004000B
TAPI_E_INVALADDRESS: Final[int] = 0x8004000C
TAPI_E_INVALADDRESSSTATE: Final[int] = 0x8004000D
TAPI_E_INVALCALLPARAMS: Final[int] = 0x8004000E
TAPI_E_INVALCALLPRIVILEGE: Final[int] = 0x8004000F
TAPI_E_INVALCALLSTATE: Final[int] = 0x80040010
TAPI_E_INVALCARD: Final[int] = 0x80040011
TAPI_E_INVALCOMPLETIONID: Final[int] = 0x80040012
TAPI_E_INVALCOUNTRYCODE: Final[int] = 0x80040013
TAPI_E_INVALDEVICECLASS: Final[int] = 0x80040014
TAPI_E_INVALDIALPARAMS: Final[int] = 0x80040015
TAPI_E_INVALDIGITS: Final[int] = 0x80040016
TAPI_E_INVALGROUPID: Final[int] = 0x80040017
TAPI_E_INVALLOCATION: Final[int] = 0x80040018
TAPI_E_INVALMESSAGEID: Final[int] = 0x80040019
TAPI_E_INVALPARKID: Final[int] = 0x8004001A
TAPI_E_INVALRATE: Final[int] = 0x8004001B
TAPI_E_INVALTIMEOUT: Final[int] = 0x8004001C
TAPI_E_INVALTONE: Final[int] = 0x8004001D
TAPI_E_INVALLIST: Final[int] = 0x8004001E
TAPI_E_INVALMODE: Final[int] = 0x8004001F
TAPI_E_NOCONFERENCE: Final[int] = 0x80040020
TAPI_E_NODEVICE: Final[int] = 0x80040021
TAPI_E_NOREQUEST: Final[int] = 0x80040022
TAPI_E_NOTOWNER: Final[int] = 0x80040023
TAPI_E_NOTREGISTERED: Final[int] = 0x80040024
TAPI_E_REQUESTOVERRUN: Final[int] = 0x80040025
TAPI_E_TARGETNOTFOUND: Final[int] = 0x80040026
TAPI_E_TARGETSELF: Final[int] = 0x80040027
TAPI_E_USERUSERINFOTOOBIG: Final[int] = 0x80040028
TAPI_E_REINIT: Final[int] = 0x80040029
TAPI_E_ADDRESSBLOCKED: Final[int] = 0x8004002A
TAPI_E_BILLINGREJECTED: Final[int] = 0x8004002B
TAPI_E_INVALFEATURE: Final[int] = 0x8004002C
TAPI_E_INVALBUTTONLAMPID: Final[int] = 0x8004002D
TAPI_E_INVALBUTTONSTATE: Final[int] = 0x8004002E
TAPI_E_INVALDATAID: Final[int] = 0x8004002F
TAPI_E_INVALHOOKSWITCHDEV: Final[int] = 0x80040030
TAPI_E_DROPPED: Final[int] = 0x80040031
TAPI_E_NOREQUESTRECIPIENT: Final[int] = 0x80040032
TAPI_E_REQUESTQUEUEFULL: Final[int] = 0x80040033
TAPI_E_DESTBUSY: Final[int] = 0x80040034
TAPI_E_DESTNOANSWER: Final[int] = 0x80040035
TAPI_E_DESTUNAVAIL: Final[int] = 0x80040036
TAPI_E_REQUESTFAILED: Final[int] = 0x80040037
TAPI_E_REQUESTCANCELLED: Final[int] = 0x80040038
TAPI_E_INVALPRIVILEGE: Final[int] = 0x80040039
TAPI_E_INVALIDDIRECTION: Final[int] = 0x8004003A
TAPI_E_INVALIDTERMINAL: Final[int] = 0x8004003B
TAPI_E_INVALIDTERMINALCLASS: Final[int] = 0x8004003C
TAPI_E_NODRIVER: Final[int] = 0x8004003D
TAPI_E_MAXSTREAMS: Final[int] = 0x8004003E
TAPI_E_NOTERMINALSELECTED: Final[int] = 0x8004003F
TAPI_E_TERMINALINUSE: Final[int] = 0x80040040
TAPI_E_NOTSTOPPED: Final[int] = 0x80040041
TAPI_E_MAXTERMINALS: Final[int] = 0x80040042
TAPI_E_INVALIDSTREAM: Final[int] = 0x80040043
TAPI_E_TIMEOUT: Final[int] = 0x80040044
TAPI_E_CALLCENTER_GROUP_REMOVED: Final[int] = 0x80040045
TAPI_E_CALLCENTER_QUEUE_REMOVED: Final[int] = 0x80040046
TAPI_E_CALLCENTER_NO_AGENT_ID: Final[int] = 0x80040047
TAPI_E_CALLCENTER_INVALAGENTID: Final[int] = 0x80040048
TAPI_E_CALLCENTER_INVALAGENTGROUP: Final[int] = 0x80040049
TAPI_E_CALLCENTER_INVALPASSWORD: Final[int] = 0x8004004A
TAPI_E_CALLCENTER_INVALAGENTSTATE: Final[int] = 0x8004004B
TAPI_E_CALLCENTER_INVALAGENTACTIVITY: Final[int] = 0x8004004C
TAPI_E_REGISTRY_SETTING_CORRUPT: Final[int] = 0x8004004D
TAPI_E_TERMINAL_PEER: Final[int] = 0x8004004E
TAPI_E_PEER_NOT_SET: Final[int] = 0x8004004F
TAPI_E_NOEVENT: Final[int] = 0x80040050
TAPI_E_INVALADDRESSTYPE: Final[int] = 0x80040051
TAPI_E_RESOURCEUNAVAIL: Final[int] = 0x80040052
TAPI_E_PHONENOTOPEN: Final[int] = 0x80040053
TAPI_E_CALLNOTSELECTED: Final[int] = 0x80040054
TAPI_E_WRONGEVENT: Final[int] = 0x80040055
TAPI_E_NOFORMAT: Final[int] = 0x80040056
TAPI_E_INVALIDSTREAMSTATE: Final[int] = 0x80040057
TAPI_E_WRONG_STATE: Final[int] = 0x80040058
TAPI_E_NOT_INITIALIZED: Final[int] = 0x80040059
TAPI_E_SERVICE_NOT_RUNNING: Final[int] = 0x8004005A

# ---------------------------------------------------------------------------
# Agent session states
# ---------------------------------------------------------------------------


class AgentSessionState(enum.IntEnum):
    """TAPI 3 ``AGENT_SESSION_STATE`` (tapi3cc.h), the value of ITAgentSession::State.

    The SDK names are the canonical member names (``AgentSessionState(1).name ==
    "ASST_READY"``); ``NOT_READY`` ... ``SESSION_ENDED`` are aliases of them.
    """

    ASST_NOT_READY = 0
    ASST_READY = 1
    ASST_BUSY_ON_CALL = 2
    ASST_BUSY_WRAPUP = 3
    ASST_SESSION_ENDED = 4

    # Short aliases (same values, so the enum treats them as aliases).
    NOT_READY = 0
    READY = 1
    BUSY_ON_CALL = 2
    BUSY_WRAPUP = 3
    SESSION_ENDED = 4


# Module-level copies for code ported from C.
ASST_NOT_READY: Final = AgentSessionState.ASST_NOT_READY
ASST_READY: Final = AgentSessionState.ASST_READY
ASST_BUSY_ON_CALL: Final = AgentSessionState.ASST_BUSY_ON_CALL
ASST_BUSY_WRAPUP: Final = AgentSessionState.ASST_BUSY_WRAPUP
ASST_SESSION_ENDED: Final = AgentSessionState.ASST_SESSION_ENDED

# TAPI 2 LINEAGENTSESSIONSTATE_* bit flags (Tapi.h), used in the
# dwAgentSessionState / dwNextAgentSessionState fields of LINEAGENTSESSIONINFO.
LINEAGENTSESSIONSTATE_NOTREADY: Final[int] = 0x00000001
LINEAGENTSESSIONSTATE_READY: Final[int] = 0x00000002
LINEAGENTSESSIONSTATE_BUSYONCALL: Final[int] = 0x00000004
LINEAGENTSESSIONSTATE_BUSYWRAPUP: Final[int] = 0x00000008
LINEAGENTSESSIONSTATE_ENDED: Final[int] = 0x00000010
LINEAGENTSESSIONSTATE_RELEASED: Final[int] = 0x00000020

# AGENT_SESSION_STATE -> LINEAGENTSESSIONSTATE_ flag, the natural one-to-one
# correspondence (RELEASED has no TAPI 3 counterpart).
_LINE_FLAG_OF_STATE: Final[dict[int, int]] = {
    0: LINEAGENTSESSIONSTATE_NOTREADY,
    1: LINEAGENTSESSIONSTATE_READY,
    2: LINEAGENTSESSIONSTATE_BUSYONCALL,
    3: LINEAGENTSESSIONSTATE_BUSYWRAPUP,
    4: LINEAGENTSESSIONSTATE_ENDED,
}


def line_agent_session_state(state: int) -> int:
    """The LINEAGENTSESSIONSTATE_* flag for an AGENT_SESSION_STATE value (0..4)."""
    try:
        return _LINE_FLAG_OF_STATE[operator.index(state)]
    except KeyError:
        raise ValueError(f"not an AGENT_SESSION_STATE value: {state!r}") from None


# ---------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------

_U32_MASK: Final[int] = 0xFFFFFFFF


def _u32(hr: int) -> int:
    """Normalise an HRESULT given signed (ctypes HRESULT, pywin32) or unsigned."""
    value = operator.index(hr)
    if not -0x80000000 <= value <= _U32_MASK:
        raise ValueError(f"HRESULT out of 32-bit range: {value!r}")
    return value & _U32_MASK


def to_unsigned32(hr: int) -> int:
    """HRESULT as unsigned 32-bit int (accepts the signed form, e.g. -2147467261)."""
    return _u32(hr)


def to_signed32(hr: int) -> int:
    """HRESULT as signed 32-bit int, as ctypes.HRESULT / a C ``long`` holds it."""
    value = _u32(hr)
    return value - 0x100000000 if value & 0x80000000 else value


def _build_names() -> dict[int, str]:
    # Header order: S_OK/E_* (winerror.h), LINEERR_* (Tapi.h), TAPI_E_* (Tapi3Err.h).
    # If two names ever shared a value the first would win; none do (asserted).
    names: dict[int, str] = {}
    count = 0
    for name, value in list(globals().items()):
        if name == "S_OK" or name.startswith(("E_", "LINEERR_", "TAPI_E_")):
            count += 1
            names.setdefault(value, name)
    assert len(names) == count, "two HRESULT names share a value"
    return names


HRESULT_NAMES: Final[dict[int, str]] = _build_names()
"""Unsigned HRESULT value -> symbolic name, for every S_OK/E_/LINEERR_/TAPI_E_ code.

The LINEAGENTSESSIONSTATE_* flags and AGENT_SESSION_STATE values are not HRESULTs
and are not in this map (they would collide with small integers)."""


def hresult_name(hr: int) -> str:
    """Symbolic name of an HRESULT, or ``"0x%08X"`` for an unknown code."""
    value = _u32(hr)
    return HRESULT_NAMES.get(value, f"0x{value:08X}")


def SUCCEEDED(hr: int) -> bool:  # noqa: N802 (winerror.h name)
    """winerror.h SUCCEEDED: bit 31 clear (accepts signed or unsigned form)."""
    return not _u32(hr) & 0x80000000


def FAILED(hr: int) -> bool:  # noqa: N802 (winerror.h name)
    """winerror.h FAILED: bit 31 set (accepts signed or unsigned form)."""
    return bool(_u32(hr) & 0x80000000)


# ---------------------------------------------------------------------------
# Exceptions
# ---------------------------------------------------------------------------


class TapiError(Exception):
    """A failed TAPI/COM call: carries the exact HRESULT and its name.

    ``.hresult`` is the unsigned 32-bit code, ``.name`` its symbolic name (or
    ``"0x%08X"``), ``.detail`` the free-text explanation.  ``str(exc)`` is
    ``"<NAME> (0x%08X): <detail>"`` (just ``"<NAME> (0x%08X)"`` with no detail).

    Plain ``TapiError`` is used for codes with no natural Python base, notably
    ``LINEERR_OPERATIONUNAVAIL`` (a statistic not derivable from the log: the call
    is valid, the data just do not support it, so neither ``NotImplementedError``
    nor ``LookupError`` would tell the truth), ``E_FAIL`` and ``E_UNEXPECTED``.
    Catch ``TapiError`` to catch every error of this package's COM facade.
    """

    default_hresult: int = E_FAIL

    hresult: int
    name: str
    detail: str

    def __init__(self, hresult: int | None = None, detail: str = "") -> None:
        value = _u32(self.default_hresult if hresult is None else hresult)
        self.hresult = value
        self.name = hresult_name(value)
        self.detail = str(detail)
        message = f"{self.name} (0x{value:08X})"
        if self.detail:
            message += f": {self.detail}"
        # One positional arg, so OSError-derived subclasses keep errno = None.
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""

    def __reduce__(self) -> tuple[type[TapiError], tuple[int, str]]:
        # Rebuild from (hresult, detail), not from the formatted message.
        return (type(self), (self.hresult, self.detail))


class TapiMemoryError(TapiError, MemoryError):
    """``E_OUTOFMEMORY`` (and TAPI 2's ``LINEERR_NOMEM``): memory could not be allocated."""

    default_hresult = E_OUTOFMEMORY


class TapiTimeoutError(TapiError, TimeoutError):
    """``TAPI_E_TIMEOUT``: the operation did not finish within the timeout."""

    default_hresult = TAPI_E_TIMEOUT


class TapiValueError(TapiError, ValueError):
    """A bad argument or bad data: ``E_INVALIDARG`` (put_State outside 0..4),
    ``LINEERR_INVALAGENTSESSIONSTATE`` (forbidden transition), ``LINEERR_INVALPARAM``
    (session unknown to its store) and ``LINEERR_OPERATIONFAILED`` (value overflows
    ``long``; strict-mode data error)."""

    default_hresult = E_INVALIDARG


class TapiPointerError(TapiError, ValueError):
    """``E_POINTER`` (and ``LINEERR_INVALPOINTER``): NULL, read-only or wrongly typed
    out-parameter in the COM-style calling form.  A ``ValueError``: the argument
    has the right role but an unusable value."""

    default_hresult = E_POINTER


class TapiUninitializedError(TapiError, RuntimeError):
    """``LINEERR_UNINITIALIZED``: the store is closed.  A ``RuntimeError``: the
    object is in the wrong state for the call, whatever the arguments."""

    default_hresult = LINEERR_UNINITIALIZED


class TapiResourceError(TapiError, OSError):
    """``LINEERR_RESOURCEUNAVAIL``: the event source is unreadable.  An ``OSError``
    (with ``errno`` None), as an unreadable file or socket would be."""

    default_hresult = LINEERR_RESOURCEUNAVAIL


class TapiNotImplementedError(TapiError, NotImplementedError):
    """``E_NOTIMPL``: the method is not implemented."""

    default_hresult = E_NOTIMPL


# HRESULT -> exception class; anything else gives plain TapiError.
_ERROR_CLASSES: Final[dict[int, type[TapiError]]] = {
    E_OUTOFMEMORY: TapiMemoryError,
    LINEERR_NOMEM: TapiMemoryError,
    TAPI_E_TIMEOUT: TapiTimeoutError,
    E_INVALIDARG: TapiValueError,
    LINEERR_INVALAGENTSESSIONSTATE: TapiValueError,
    LINEERR_INVALPARAM: TapiValueError,
    LINEERR_OPERATIONFAILED: TapiValueError,
    E_POINTER: TapiPointerError,
    LINEERR_INVALPOINTER: TapiPointerError,
    LINEERR_UNINITIALIZED: TapiUninitializedError,
    LINEERR_RESOURCEUNAVAIL: TapiResourceError,
    E_NOTIMPL: TapiNotImplementedError,
}


def error_class(hresult: int) -> type[TapiError]:
    """The exception class :func:`tapi_error` uses for a failure HRESULT."""
    return _ERROR_CLASSES.get(_u32(hresult), TapiError)


def tapi_error(hresult: int, detail: str = "") -> TapiError:
    """An exception instance of the right class for a failure HRESULT.

    ``raise tapi_error(TAPI_E_TIMEOUT, "...")`` raises a ``TapiTimeoutError`` (also a
    ``TimeoutError``).  The signed form of a code is accepted.  A success code
    (``SUCCEEDED(hresult)``, e.g. ``S_OK``) is not an error: ``ValueError``.
    """
    value = _u32(hresult)
    if not value & 0x80000000:
        raise ValueError(f"not a failure HRESULT: {hresult_name(value)} (0x{value:08X})")
    return _ERROR_CLASSES.get(value, TapiError)(value, detail)


def shown(value: object) -> str:
    """How error messages show a value: plain Python (``9``, ``'a'``), never a NumPy
    scalar repr (``np.int64(9)``, ``np.str_('a')``); dates and durations as text."""
    kind = type(value)
    if kind.__module__ == "numpy":
        if kind.__name__ in ("datetime64", "timedelta64"):
            return str(value)
        item = getattr(value, "item", None)
        if item is not None:
            value = item()
    return repr(value)


def raise_for_hresult(hresult: int, detail: str = "") -> None:
    """Raise :func:`tapi_error` for a failure HRESULT; return None on success."""
    if FAILED(hresult):
        raise tapi_error(hresult, detail)


__all__ = [
    "S_OK",
    "E_NOTIMPL",
    "E_POINTER",
    "E_FAIL",
    "E_UNEXPECTED",
    "E_OUTOFMEMORY",
    "E_INVALIDARG",
    "LINEERR_ALLOCATED",
    "LINEERR_BADDEVICEID",
    "LINEERR_BEARERMODEUNAVAIL",
    "LINEERR_CALLUNAVAIL",
    "LINEERR_COMPLETIONOVERRUN",
    "LINEERR_CONFERENCEFULL",
    "LINEERR_DIALBILLING",
    "LINEERR_DIALDIALTONE",
    "LINEERR_DIALPROMPT",
    "LINEERR_DIALQUIET",
    "LINEERR_INCOMPATIBLEAPIVERSION",
    "LINEERR_INCOMPATIBLEEXTVERSION",
    "LINEERR_INIFILECORRUPT",
    "LINEERR_INUSE",
    "LINEERR_INVALADDRESS",
    "LINEERR_INVALADDRESSID",
    "LINEERR_INVALADDRESSMODE",
    "LINEERR_INVALADDRESSSTATE",
    "LINEERR_INVALAPPHANDLE",
    "LINEERR_INVALAPPNAME",
    "LINEERR_INVALBEARERMODE",
    "LINEERR_INVALCALLCOMPLMODE",
    "LINEERR_INVALCALLHANDLE",
    "LINEERR_INVALCALLPARAMS",
    "LINEERR_INVALCALLPRIVILEGE",
    "LINEERR_INVALCALLSELECT",
    "LINEERR_INVALCALLSTATE",
    "LINEERR_INVALCALLSTATELIST",
    "LINEERR_INVALCARD",
    "LINEERR_INVALCOMPLETIONID",
    "LINEERR_INVALCONFCALLHANDLE",
    "LINEERR_INVALCONSULTCALLHANDLE",
    "LINEERR_INVALCOUNTRYCODE",
    "LINEERR_INVALDEVICECLASS",
    "LINEERR_INVALDEVICEHANDLE",
    "LINEERR_INVALDIALPARAMS",
    "LINEERR_INVALDIGITLIST",
    "LINEERR_INVALDIGITMODE",
    "LINEERR_INVALDIGITS",
    "LINEERR_INVALEXTVERSION",
    "LINEERR_INVALGROUPID",
    "LINEERR_INVALLINEHANDLE",
    "LINEERR_INVALLINESTATE",
    "LINEERR_INVALLOCATION",
    "LINEERR_INVALMEDIALIST",
    "LINEERR_INVALMEDIAMODE",
    "LINEERR_INVALMESSAGEID",
    "LINEERR_INVALPARAM",
    "LINEERR_INVALPARKID",
    "LINEERR_INVALPARKMODE",
    "LINEERR_INVALPOINTER",
    "LINEERR_INVALPRIVSELECT",
    "LINEERR_INVALRATE",
    "LINEERR_INVALREQUESTMODE",
    "LINEERR_INVALTERMINALID",
    "LINEERR_INVALTERMINALMODE",
    "LINEERR_INVALTIMEOUT",
    "LINEERR_INVALTONE",
    "LINEERR_INVALTONELIST",
    "LINEERR_INVALTONEMODE",
    "LINEERR_INVALTRANSFERMODE",
    "LINEERR_LINEMAPPERFAILED",
    "LINEERR_NOCONFERENCE",
    "LINEERR_NODEVICE",
    "LINEERR_NODRIVER",
    "LINEERR_NOMEM",
    "LINEERR_NOREQUEST",
    "LINEERR_NOTOWNER",
    "LINEERR_NOTREGISTERED",
    "LINEERR_OPERATIONFAILED",
    "LINEERR_OPERATIONUNAVAIL",
    "LINEERR_RATEUNAVAIL",
    "LINEERR_RESOURCEUNAVAIL",
    "LINEERR_REQUESTOVERRUN",
    "LINEERR_STRUCTURETOOSMALL",
    "LINEERR_TARGETNOTFOUND",
    "LINEERR_TARGETSELF",
    "LINEERR_UNINITIALIZED",
    "LINEERR_USERUSERINFOTOOBIG",
    "LINEERR_REINIT",
    "LINEERR_ADDRESSBLOCKED",
    "LINEERR_BILLINGREJECTED",
    "LINEERR_INVALFEATURE",
    "LINEERR_NOMULTIPLEINSTANCE",
    "LINEERR_INVALAGENTID",
    "LINEERR_INVALAGENTGROUP",
    "LINEERR_INVALPASSWORD",
    "LINEERR_INVALAGENTSTATE",
    "LINEERR_INVALAGENTACTIVITY",
    "LINEERR_DIALVOICEDETECT",
    "LINEERR_USERCANCELLED",
    "LINEERR_INVALADDRESSTYPE",
    "LINEERR_INVALAGENTSESSIONSTATE",
    "LINEERR_DISCONNECTED",
    "LINEERR_SERVICE_NOT_RUNNING",
    "TAPI_E_NOTENOUGHMEMORY",
    "TAPI_E_NOITEMS",
    "TAPI_E_NOTSUPPORTED",
    "TAPI_E_INVALIDMEDIATYPE",
    "TAPI_E_OPERATIONFAILED",
    "TAPI_E_ALLOCATED",
    "TAPI_E_CALLUNAVAIL",
    "TAPI_E_COMPLETIONOVERRUN",
    "TAPI_E_CONFERENCEFULL",
    "TAPI_E_DIALMODIFIERNOTSUPPORTED",
    "TAPI_E_INUSE",
    "TAPI_E_INVALADDRESS",
    "TAPI_E_INVALADDRESSSTATE",
    "TAPI_E_INVALCALLPARAMS",
    "TAPI_E_INVALCALLPRIVILEGE",
    "TAPI_E_INVALCALLSTATE",
    "TAPI_E_INVALCARD",
    "TAPI_E_INVALCOMPLETIONID",
    "TAPI_E_INVALCOUNTRYCODE",
    "TAPI_E_INVALDEVICECLASS",
    "TAPI_E_INVALDIALPARAMS",
    "TAPI_E_INVALDIGITS",
    "TAPI_E_INVALGROUPID",
    "TAPI_E_INVALLOCATION",
    "TAPI_E_INVALMESSAGEID",
    "TAPI_E_INVALPARKID",
    "TAPI_E_INVALRATE",
    "TAPI_E_INVALTIMEOUT",
    "TAPI_E_INVALTONE",
    "TAPI_E_INVALLIST",
    "TAPI_E_INVALMODE",
    "TAPI_E_NOCONFERENCE",
    "TAPI_E_NODEVICE",
    "TAPI_E_NOREQUEST",
    "TAPI_E_NOTOWNER",
    "TAPI_E_NOTREGISTERED",
    "TAPI_E_REQUESTOVERRUN",
    "TAPI_E_TARGETNOTFOUND",
    "TAPI_E_TARGETSELF",
    "TAPI_E_USERUSERINFOTOOBIG",
    "TAPI_E_REINIT",
    "TAPI_E_ADDRESSBLOCKED",
    "TAPI_E_BILLINGREJECTED",
    "TAPI_E_INVALFEATURE",
    "TAPI_E_INVALBUTTONLAMPID",
    "TAPI_E_INVALBUTTONSTATE",
    "TAPI_E_INVALDATAID",
    "TAPI_E_INVALHOOKSWITCHDEV",
    "TAPI_E_DROPPED",
    "TAPI_E_NOREQUESTRECIPIENT",
    "TAPI_E_REQUESTQUEUEFULL",
    "TAPI_E_DESTBUSY",
    "TAPI_E_DESTNOANSWER",
    "TAPI_E_DESTUNAVAIL",
    "TAPI_E_REQUESTFAILED",
    "TAPI_E_REQUESTCANCELLED",
    "TAPI_E_INVALPRIVILEGE",
    "TAPI_E_INVALIDDIRECTION",
    "TAPI_E_INVALIDTERMINAL",
    "TAPI_E_INVALIDTERMINALCLASS",
    "TAPI_E_NODRIVER",
    "TAPI_E_MAXSTREAMS",
    "TAPI_E_NOTERMINALSELECTED",
    "TAPI_E_TERMINALINUSE",
    "TAPI_E_NOTSTOPPED",
    "TAPI_E_MAXTERMINALS",
    "TAPI_E_INVALIDSTREAM",
    "TAPI_E_TIMEOUT",
    "TAPI_E_CALLCENTER_GROUP_REMOVED",
    "TAPI_E_CALLCENTER_QUEUE_REMOVED",
    "TAPI_E_CALLCENTER_NO_AGENT_ID",
    "TAPI_E_CALLCENTER_INVALAGENTID",
    "TAPI_E_CALLCENTER_INVALAGENTGROUP",
    "TAPI_E_CALLCENTER_INVALPASSWORD",
    "TAPI_E_CALLCENTER_INVALAGENTSTATE",
    "TAPI_E_CALLCENTER_INVALAGENTACTIVITY",
    "TAPI_E_REGISTRY_SETTING_CORRUPT",
    "TAPI_E_TERMINAL_PEER",
    "TAPI_E_PEER_NOT_SET",
    "TAPI_E_NOEVENT",
    "TAPI_E_INVALADDRESSTYPE",
    "TAPI_E_RESOURCEUNAVAIL",
    "TAPI_E_PHONENOTOPEN",
    "TAPI_E_CALLNOTSELECTED",
    "TAPI_E_WRONGEVENT",
    "TAPI_E_NOFORMAT",
    "TAPI_E_INVALIDSTREAMSTATE",
    "TAPI_E_WRONG_STATE",
    "TAPI_E_NOT_INITIALIZED",
    "TAPI_E_SERVICE_NOT_RUNNING",
    "AgentSessionState",
    "ASST_NOT_READY",
    "ASST_READY",
    "ASST_BUSY_ON_CALL",
    "ASST_BUSY_WRAPUP",
    "ASST_SESSION_ENDED",
    "LINEAGENTSESSIONSTATE_NOTREADY",
    "LINEAGENTSESSIONSTATE_READY",
    "LINEAGENTSESSIONSTATE_BUSYONCALL",
    "LINEAGENTSESSIONSTATE_BUSYWRAPUP",
    "LINEAGENTSESSIONSTATE_ENDED",
    "LINEAGENTSESSIONSTATE_RELEASED",
    "line_agent_session_state",
    "to_unsigned32",
    "to_signed32",
    "HRESULT_NAMES",
    "hresult_name",
    "SUCCEEDED",
    "FAILED",
    "TapiError",
    "TapiMemoryError",
    "TapiTimeoutError",
    "TapiValueError",
    "TapiPointerError",
    "TapiUninitializedError",
    "TapiResourceError",
    "TapiNotImplementedError",
    "error_class",
    "tapi_error",
    "raise_for_hresult",
]
