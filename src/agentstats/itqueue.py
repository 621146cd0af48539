"""The ITQueue facade over a per-call table, with TAPI's errors.

    queue = agentstats.queue_stats(result).queue("support")     # or ITQueue(calls, "support")
    queue.get_TotalCallsQueued()                 # the value, or raises TapiError
    hr = queue.get_TotalCallsQueued(ctypes.pointer(out))   # COM style: returns the HRESULT
    queue.TotalCallsQueued                       # the COM property name
    queue.put_MeasurementPeriod(3600)            # the last hour before the report time

Every getter is computed from the calls that entered the queue in the measurement period
``[as_of - period, as_of]`` (default: the whole log), at the report time ``as_of``.
Values are 32-bit longs (a value that does not fit is ``LINEERR_OPERATIONFAILED``);
an average or a longest wait with no call to measure is 0, as for ITAgentSession.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .hresult import (E_INVALIDARG, LINEERR_INVALPARAM, S_OK, TapiError,  # noqa: F401
                      tapi_error)
from .session import _NO_OUT, _com_write, _long

__all__ = ["ITQueue"]

# getter name -> (column of the queue table, kind): "count" as is, "seconds" 0 when missing
_GETTERS: dict[str, tuple[str, str]] = {
    "TotalCallsQueued": ("total_calls_queued", "count"),
    "CurrentCallsQueued": ("current_calls_queued", "count"),
    "TotalCallsAbandoned": ("total_calls_abandoned", "count"),
    "TotalCallsFlowedIn": ("total_calls_flowed_in", "count"),
    "TotalCallsFlowedOut": ("total_calls_flowed_out", "count"),
    "LongestEverWaitTime": ("longest_ever_wait_time", "seconds"),
    "CurrentLongestWaitTime": ("current_longest_wait_time", "seconds"),
    "AverageWaitTime": ("average_wait_time", "seconds"),
    "FinalDisposition": ("final_disposition", "count"),
}


class ITQueue:
    """One queue of a per-call table (:class:`agentstats.queues.CallColumns`) at ``as_of``
    (ticks of the table; default its latest time)."""

    def __init__(self, calls: Any, name: str, *, as_of: int | None = None) -> None:
        from .queues import _as_call_columns

        self._calls = _as_call_columns(calls)
        names = list(self._calls.queue_names)
        if name not in names:
            raise tapi_error(LINEERR_INVALPARAM, f"no queue {name!r} in the calls")
        self._name = name
        if as_of is None:
            as_of = self._calls.default_as_of
        self._as_of = as_of if as_of is not None else self._calls.latest_time()
        self._period: int | None = None        # seconds; None: the whole log
        self._row: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"<ITQueue {self._name!r}>"

    # -- the statistics ---------------------------------------------------------------

    def _stats(self) -> dict[str, Any]:
        if self._row is None:
            from .queues import queue_stats

            tps = self._calls.ticks_per_second
            start = None if self._period is None or self._as_of is None else self._as_of - self._period * tps
            rows = queue_stats(self._calls, as_of=self._as_of, window_start=start).to_pandas()
            row = rows[rows["queue"] == self._name]
            self._row = {k: row[k].iloc[0] for k in row.columns} if len(row) else {}
        return self._row

    def _value(self, name: str) -> int:
        column, kind = _GETTERS[name]
        value = self._stats().get(column)
        if value is None or value is np.nan or _is_missing(value):
            value = 0
        return _long(name, int(value))

    def _get(self, name: str, out: Any) -> Any:
        produce: Callable[[], Any] = lambda: self._value(name)  # noqa: E731
        return produce() if out is _NO_OUT else _com_write(out, "long", produce)

    # -- ITQueue --------------------------------------------------------------------

    def get_Name(self, out: Any = _NO_OUT) -> Any:
        """The queue's name (a BSTR in TAPI: a ``ctypes.py_object`` out-parameter here)."""
        return self._name if out is _NO_OUT else _com_write(out, "object", lambda: self._name)

    def get_MeasurementPeriod(self, out: Any = _NO_OUT) -> Any:
        """Seconds before the report time that the statistics cover; by default the whole
        log (from its first call to the report time)."""
        def produce() -> int:
            if self._period is not None:
                return _long("MeasurementPeriod", self._period)
            first = _first_time(self._calls)
            if first is None or self._as_of is None:
                return 0
            return _long("MeasurementPeriod", (self._as_of - first) // self._calls.ticks_per_second)
        return produce() if out is _NO_OUT else _com_write(out, "long", produce)

    def put_MeasurementPeriod(self, seconds: int) -> int:
        """Statistics over ``[as_of - seconds, as_of]``; 0 or a negative period is
        E_INVALIDARG."""
        if isinstance(seconds, bool) or not isinstance(seconds, (int, np.integer)) or seconds <= 0:
            raise tapi_error(E_INVALIDARG, f"MeasurementPeriod must be whole seconds > 0, not {seconds!r}")
        self._period = _long("MeasurementPeriod", int(seconds))
        self._row = None
        return S_OK

    def get_TotalCallsQueued(self, out: Any = _NO_OUT) -> Any:
        return self._get("TotalCallsQueued", out)

    def get_CurrentCallsQueued(self, out: Any = _NO_OUT) -> Any:
        return self._get("CurrentCallsQueued", out)

    def get_TotalCallsAbandoned(self, out: Any = _NO_OUT) -> Any:
        return self._get("TotalCallsAbandoned", out)

    def get_TotalCallsFlowedIn(self, out: Any = _NO_OUT) -> Any:
        return self._get("TotalCallsFlowedIn", out)

    def get_TotalCallsFlowedOut(self, out: Any = _NO_OUT) -> Any:
        return self._get("TotalCallsFlowedOut", out)

    def get_LongestEverWaitTime(self, out: Any = _NO_OUT) -> Any:
        return self._get("LongestEverWaitTime", out)

    def get_CurrentLongestWaitTime(self, out: Any = _NO_OUT) -> Any:
        return self._get("CurrentLongestWaitTime", out)

    def get_AverageWaitTime(self, out: Any = _NO_OUT) -> Any:
        return self._get("AverageWaitTime", out)

    def get_FinalDisposition(self, out: Any = _NO_OUT) -> Any:
        return self._get("FinalDisposition", out)

    # -- COM property names ---------------------------------------------------------

    Name = property(lambda self: self.get_Name())
    MeasurementPeriod = property(lambda self: self.get_MeasurementPeriod(),
                                 lambda self, value: self.put_MeasurementPeriod(value))
    TotalCallsQueued = property(lambda self: self.get_TotalCallsQueued())
    CurrentCallsQueued = property(lambda self: self.get_CurrentCallsQueued())
    TotalCallsAbandoned = property(lambda self: self.get_TotalCallsAbandoned())
    TotalCallsFlowedIn = property(lambda self: self.get_TotalCallsFlowedIn())
    TotalCallsFlowedOut = property(lambda self: self.get_TotalCallsFlowedOut())
    LongestEverWaitTime = property(lambda self: self.get_LongestEverWaitTime())
    CurrentLongestWaitTime = property(lambda self: self.get_CurrentLongestWaitTime())
    AverageWaitTime = property(lambda self: self.get_AverageWaitTime())
    FinalDisposition = property(lambda self: self.get_FinalDisposition())


def _is_missing(value: Any) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def _first_time(calls: Any) -> int | None:
    from .queues import MISSING

    when = np.where(calls.enter != MISSING, calls.enter, calls.leave)
    known = when[when != MISSING]
    return int(known.min()) if len(known) else None
