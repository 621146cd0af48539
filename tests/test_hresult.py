"""Tests for agentstats.hresult: constants (SPEC 4.2 + SDK headers) and exceptions."""

from __future__ import annotations

import importlib.util
import pickle
import sys
from pathlib import Path
from types import ModuleType

import pytest


def _load_hresult() -> ModuleType:
    """``from agentstats import hresult`` if the package imports, else the file alone."""
    try:
        from agentstats import hresult as module
    except Exception:  # other modules of the package may be mid-edit
        path = Path(__file__).resolve().parents[1] / "src" / "agentstats" / "hresult.py"
        spec = importlib.util.spec_from_file_location("_agentstats_hresult_standalone", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # pickling needs the module to be findable
        spec.loader.exec_module(module)
    return module


h = _load_hresult()


# --- SPEC 4.2 table ---------------------------------------------------------

SPEC_TABLE = [
    # (name, value from SPEC 4.2, exception class name or None for success)
    ("S_OK", 0x00000000, None),
    ("E_POINTER", 0x80004003, "TapiPointerError"),
    ("E_OUTOFMEMORY", 0x8007000E, "TapiMemoryError"),
    ("TAPI_E_TIMEOUT", 0x80040044, "TapiTimeoutError"),
    ("E_INVALIDARG", 0x80070057, "TapiValueError"),
    ("LINEERR_INVALAGENTSESSIONSTATE", 0x8000005F, "TapiValueError"),
    ("LINEERR_INVALPARAM", 0x80000032, "TapiValueError"),
    ("LINEERR_UNINITIALIZED", 0x80000050, "TapiUninitializedError"),
    ("LINEERR_OPERATIONUNAVAIL", 0x80000049, "TapiError"),
    ("LINEERR_OPERATIONFAILED", 0x80000048, "TapiValueError"),
    ("LINEERR_RESOURCEUNAVAIL", 0x8000004B, "TapiResourceError"),
]


@pytest.mark.parametrize(("name", "value", "cls_name"), SPEC_TABLE)
def test_spec_table(name: str, value: int, cls_name: str | None) -> None:
    assert getattr(h, name) == value
    assert h.HRESULT_NAMES[value] == name
    assert h.hresult_name(value) == name
    if cls_name is None:
        assert h.SUCCEEDED(value) and not h.FAILED(value)
    else:
        assert h.FAILED(value)
        exc = h.tapi_error(value, "detail")
        assert type(exc) is getattr(h, cls_name)
        assert exc.hresult == value and exc.name == name


# --- other constants, as read from the headers ---------------------------------

# Values read from mingw-w64/mingw-w64 mingw-w64-headers/include/tapi.h and
# mingw-w64-headers/include/tapi3err.h (also identical in Frankie-PellesC/fSDK
# Include/Tapi.h and Include/Tapi3Err.h); winerror.h for the E_ codes.
HEADER_SAMPLE = [
    ("LINEERR_ALLOCATED", 0x80000001),
    ("LINEERR_BEARERMODEUNAVAIL", 0x80000003),
    ("LINEERR_CALLUNAVAIL", 0x80000005),
    ("LINEERR_INVALMESSAGEID", 0x80000030),
    ("LINEERR_INVALPOINTER", 0x80000035),
    ("LINEERR_NOMEM", 0x80000044),
    ("LINEERR_STRUCTURETOOSMALL", 0x8000004D),
    ("LINEERR_NOMULTIPLEINSTANCE", 0x80000056),
    ("LINEERR_DIALVOICEDETECT", 0x8000005C),
    ("LINEERR_USERCANCELLED", 0x8000005D),
    ("LINEERR_INVALADDRESSTYPE", 0x8000005E),
    ("LINEERR_DISCONNECTED", 0x80000060),
    ("LINEERR_SERVICE_NOT_RUNNING", 0x80000061),
    ("TAPI_E_NOTENOUGHMEMORY", 0x80040001),
    ("TAPI_E_INVALIDSTREAM", 0x80040043),
    ("TAPI_E_CALLCENTER_GROUP_REMOVED", 0x80040045),
    ("TAPI_E_CALLCENTER_INVALAGENTACTIVITY", 0x8004004C),
    ("TAPI_E_INVALIDSTREAMSTATE", 0x80040057),
    ("TAPI_E_SERVICE_NOT_RUNNING", 0x8004005A),
    ("E_NOTIMPL", 0x80004001),
    ("E_FAIL", 0x80004005),
    ("E_UNEXPECTED", 0x8000FFFF),
]


@pytest.mark.parametrize(("name", "value"), HEADER_SAMPLE)
def test_header_values(name: str, value: int) -> None:
    assert getattr(h, name) == value
    assert h.hresult_name(value) == name


def _names(prefix: str) -> list[str]:
    return [n for n in h.HRESULT_NAMES.values() if n.startswith(prefix)]


def test_lineerr_complete() -> None:
    # Tapi.h defines 0x80000001..0x80000061 except 0x80000004 and 0x80000031.
    values = sorted(getattr(h, n) for n in _names("LINEERR_"))
    expected = [v for v in range(0x80000001, 0x80000062) if v not in (0x80000004, 0x80000031)]
    assert values == expected
    assert len(values) == 95


def test_tapi_e_complete() -> None:
    # Tapi3Err.h defines 0x80040001..0x8004005A without gaps.
    values = sorted(getattr(h, n) for n in _names("TAPI_E_"))
    assert values == list(range(0x80040001, 0x8004005B))


def test_values_are_unsigned_32_bit_failures() -> None:
    assert len(h.HRESULT_NAMES) == 7 + 95 + 90
    for value, name in h.HRESULT_NAMES.items():
        assert isinstance(value, int) and 0 <= value <= 0xFFFFFFFF, name
        if name != "S_OK":
            assert h.FAILED(value) and not h.SUCCEEDED(value), name


def test_names_round_trip() -> None:
    for value, name in h.HRESULT_NAMES.items():
        assert getattr(h, name) == value
        assert h.hresult_name(value) == name
        assert name in h.__all__
    # No two names share a value, so every exported code is in the map.
    exported = [n for n in h.__all__ if n == "S_OK" or n.startswith(("E_", "LINEERR_", "TAPI_E_"))]
    assert sorted(exported) == sorted(h.HRESULT_NAMES.values())


def test_hresult_name_unknown_and_signed() -> None:
    assert h.hresult_name(0x80001234) == "0x80001234"
    assert h.hresult_name(1) == "0x00000001"
    assert h.hresult_name(-2147467261) == "E_POINTER"  # signed form of 0x80004003
    with pytest.raises(ValueError):
        h.hresult_name(0x100000000)
    with pytest.raises(TypeError):
        h.hresult_name("E_POINTER")  # type: ignore[arg-type]


def test_succeeded_failed_and_sign_conversion() -> None:
    assert h.SUCCEEDED(0) and h.SUCCEEDED(1) and h.SUCCEEDED(0x7FFFFFFF)
    assert h.FAILED(0x80000000) and h.FAILED(0xFFFFFFFF) and h.FAILED(-1)
    assert h.to_signed32(h.E_POINTER) == -2147467261
    assert h.to_unsigned32(-2147467261) == h.E_POINTER
    assert h.to_signed32(h.S_OK) == 0


# --- exceptions -------------------------------------------------------------

@pytest.mark.parametrize(
    ("code", "cls_name", "py_base"),
    [
        ("E_OUTOFMEMORY", "TapiMemoryError", MemoryError),
        ("LINEERR_NOMEM", "TapiMemoryError", MemoryError),
        ("TAPI_E_TIMEOUT", "TapiTimeoutError", TimeoutError),
        ("E_INVALIDARG", "TapiValueError", ValueError),
        ("LINEERR_INVALAGENTSESSIONSTATE", "TapiValueError", ValueError),
        ("LINEERR_INVALPARAM", "TapiValueError", ValueError),
        ("LINEERR_OPERATIONFAILED", "TapiValueError", ValueError),
        ("E_POINTER", "TapiPointerError", ValueError),
        ("LINEERR_UNINITIALIZED", "TapiUninitializedError", RuntimeError),
        ("LINEERR_RESOURCEUNAVAIL", "TapiResourceError", OSError),
        ("E_NOTIMPL", "TapiNotImplementedError", NotImplementedError),
    ],
)
def test_tapi_error_classes(code: str, cls_name: str, py_base: type[BaseException]) -> None:
    value = getattr(h, code)
    exc = h.tapi_error(value, "some detail")
    assert type(exc) is getattr(h, cls_name)
    assert h.error_class(value) is type(exc)
    assert isinstance(exc, h.TapiError) and isinstance(exc, py_base)
    assert exc.hresult == value and exc.name == code and exc.detail == "some detail"
    with pytest.raises(py_base):
        raise exc


@pytest.mark.parametrize("code", ["LINEERR_OPERATIONUNAVAIL", "E_FAIL", "E_UNEXPECTED", "TAPI_E_NOITEMS"])
def test_plain_tapi_error(code: str) -> None:
    exc = h.tapi_error(getattr(h, code))
    assert type(exc) is h.TapiError
    assert not isinstance(exc, (MemoryError, TimeoutError, ValueError, RuntimeError, OSError))


def test_message_format() -> None:
    exc = h.tapi_error(h.TAPI_E_TIMEOUT, "aggregate did not finish within 0.001 s")
    assert str(exc) == "TAPI_E_TIMEOUT (0x80040044): aggregate did not finish within 0.001 s"
    assert isinstance(exc, TimeoutError) and exc.errno is None
    assert str(h.tapi_error(h.E_POINTER)) == "E_POINTER (0x80004003)"
    unknown = h.tapi_error(0x80001234, "x")
    assert type(unknown) is h.TapiError
    assert unknown.name == "0x80001234" and str(unknown) == "0x80001234 (0x80001234): x"


def test_signed_hresult_is_normalised() -> None:
    exc = h.tapi_error(-2147024882, "d")  # signed 0x8007000E
    assert type(exc) is h.TapiMemoryError and exc.hresult == 0x8007000E


def test_success_code_is_not_an_error() -> None:
    with pytest.raises(ValueError):
        h.tapi_error(h.S_OK)
    h.raise_for_hresult(h.S_OK)
    with pytest.raises(h.TapiTimeoutError):
        h.raise_for_hresult(h.TAPI_E_TIMEOUT, "late")


def test_default_hresult_and_pickle() -> None:
    assert h.TapiTimeoutError().hresult == h.TAPI_E_TIMEOUT
    assert h.TapiValueError(detail="bad").hresult == h.E_INVALIDARG
    assert h.TapiError().hresult == h.E_FAIL
    for code in (h.TAPI_E_TIMEOUT, h.LINEERR_RESOURCEUNAVAIL, h.E_POINTER, h.LINEERR_OPERATIONUNAVAIL):
        exc = h.tapi_error(code, "detail text")
        back = pickle.loads(pickle.dumps(exc))
        assert type(back) is type(exc)
        assert (back.hresult, back.name, back.detail, str(back)) == (
            exc.hresult, exc.name, exc.detail, str(exc))


# --- agent session states ---------------------------------------------------

def test_agent_session_state() -> None:
    S = h.AgentSessionState
    assert [(m.name, int(m)) for m in S] == [
        ("ASST_NOT_READY", 0), ("ASST_READY", 1), ("ASST_BUSY_ON_CALL", 2),
        ("ASST_BUSY_WRAPUP", 3), ("ASST_SESSION_ENDED", 4)]
    assert S.NOT_READY is S.ASST_NOT_READY and S.READY is S.ASST_READY
    assert S.BUSY_ON_CALL is S.ASST_BUSY_ON_CALL and S.BUSY_WRAPUP is S.ASST_BUSY_WRAPUP
    assert S.SESSION_ENDED is S.ASST_SESSION_ENDED
    assert S(2) is S.BUSY_ON_CALL and h.ASST_SESSION_ENDED == 4


def test_line_agent_session_state_flags() -> None:
    # Tapi.h (mingw-w64 tapi.h).
    assert (h.LINEAGENTSESSIONSTATE_NOTREADY, h.LINEAGENTSESSIONSTATE_READY,
            h.LINEAGENTSESSIONSTATE_BUSYONCALL, h.LINEAGENTSESSIONSTATE_BUSYWRAPUP,
            h.LINEAGENTSESSIONSTATE_ENDED, h.LINEAGENTSESSIONSTATE_RELEASED) == (
        0x01, 0x02, 0x04, 0x08, 0x10, 0x20)
    assert [h.line_agent_session_state(s) for s in h.AgentSessionState] == [1, 2, 4, 8, 16]
    with pytest.raises(ValueError):
        h.line_agent_session_state(5)


def test_all_is_consistent() -> None:
    assert len(set(h.__all__)) == len(h.__all__)
    for name in h.__all__:
        assert hasattr(h, name), name
