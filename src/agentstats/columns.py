"""Reading input columns: any container (NumPy, lists, pandas, Arrow, polars) as NumPy,
and times, waits, states and report times as exact int64 ticks.

Integer values never pass through float64, floats are rounded once to the nearest tick,
nothing wraps: a value that cannot be a tick raises, naming its row in plain values.
The fast path (native int64 / datetime64 NumPy columns) makes no copy and no pass.
"""

from __future__ import annotations

import datetime as _dt
import math
import sys
from typing import TYPE_CHECKING, Any

import numpy as np

from .hresult import shown

# pandas and pyarrow are imported inside the functions that need them (quick start-up).
# A value can only be a pandas or Arrow object if its library is already imported, so the
# container checks look in sys.modules instead of importing it.
if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

MISSING = np.iinfo(np.int64).min          # NaT: a missing time or wait (SPEC 3)
_INT64_MIN, _INT64_MAX = int(np.iinfo(np.int64).min), int(np.iinfo(np.int64).max)
INVALID_STATE = 255                       # any state outside 0..4, as the kernel sees it
TICKS_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}
_COARSE_DATETIME_UNITS = {"Y", "M", "W", "D", "h", "m"}   # converted to seconds


_NOT_PANDAS = object()                    # what pandas.NaT is compared with before pandas loads


# -- containers --------------------------------------------------------------------


def _length(values: Any, name: str) -> int:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise TypeError(f"{name} must be a one-dimensional array-like, not {type(values).__name__}")
    return len(values)


def _to_numpy(values: Any, name: str, *, fill: Any = None) -> np.ndarray:
    """Any supported column (NumPy, list, pandas, Arrow, polars) as a 1-D NumPy array.

    Integer columns never go through float64 (it cannot hold every int64): `fill`
    replaces the nulls of integer pandas/Arrow columns (which NumPy cannot hold), and
    without a `fill` such a column comes back as Python ints and None (object)."""
    if type(values).__module__.startswith("polars"):
        values = values.to_arrow()
    pa = sys.modules.get("pyarrow")
    pd = sys.modules.get("pandas")
    if pa is not None and isinstance(values, (pa.ChunkedArray, pa.Array)):
        array = _arrow_to_numpy(values, name, fill)
    elif pd is not None and (isinstance(values, (pd.Series, pd.Index))
                             or isinstance(values, pd.api.extensions.ExtensionArray)):
        array = _pandas_to_numpy(pd.Series(values, copy=False), name, fill)
    elif isinstance(values, (list, tuple)):
        array = _list_to_numpy(values)
    else:
        array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    return array


def _arrow_to_numpy(values: pa.Array | pa.ChunkedArray, name: str, fill: Any) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(values.type):
        values = values.cast(values.type.value_type)
    if pa.types.is_integer(values.type) and values.null_count:
        if fill is None or pa.types.is_unsigned_integer(values.type):
            # Exact Python ints and None; the object path reads them (or names the row).
            return np.fromiter(values.to_pylist(), dtype=object, count=len(values))
        return pc.fill_null(values.cast(pa.int64()), fill).to_numpy(zero_copy_only=False)
    if pa.types.is_boolean(values.type) and values.null_count:
        return np.fromiter(values.to_pylist(), dtype=object, count=len(values))
    if pa.types.is_timestamp(values.type) and values.type.tz is not None:
        values = values.cast(pa.timestamp(values.type.unit))
    return values.to_numpy(zero_copy_only=False)


def _pandas_to_numpy(series: pd.Series, name: str, fill: Any) -> np.ndarray:
    import pandas as pd
    import pyarrow as pa

    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        return series.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
    if isinstance(dtype, pd.CategoricalDtype):
        return series.to_numpy(dtype=object)
    if isinstance(dtype, pd.ArrowDtype):
        return _arrow_to_numpy(pa.array(series.array), name, fill)
    if not isinstance(dtype, pd.api.extensions.ExtensionDtype):
        return series.to_numpy()
    if pd.api.types.is_integer_dtype(dtype):         # Int64, UInt64, ...: values and mask
        if not series.hasnans:
            return series.to_numpy(dtype=dtype.numpy_dtype)
        if fill is None or dtype.numpy_dtype.kind == "u":
            return series.to_numpy(dtype=object, na_value=None)
        return series.to_numpy(dtype=np.int64, na_value=fill)
    if pd.api.types.is_float_dtype(dtype):          # Float64, Float32: NaN is missing
        return series.to_numpy(dtype=dtype.numpy_dtype, na_value=np.nan)
    if pd.api.types.is_bool_dtype(dtype) and not series.hasnans:
        return series.to_numpy(dtype=bool)
    return series.to_numpy(dtype=object, na_value=None)


def _list_to_numpy(values: list | tuple) -> np.ndarray:
    """A list as NumPy would read it, unless that changes a value: NumPy turns
    `[1, "1"]` into two equal strings and `[2**60 + 1, 0.5]` into floats, so mixed
    lists become object arrays (their values kept as given)."""
    try:
        array = np.asarray(values)
    except (ValueError, OverflowError):  # ragged (tuple keys of different lengths), huge ints
        array = None
    if array is None or array.ndim > 1:  # e.g. tuple keys
        return np.fromiter(values, dtype=object, count=len(values))
    if array.dtype.kind in "USf" and len(values):
        wanted = {"U": str, "S": bytes, "f": float}[array.dtype.kind]
        if not all(type(v) is wanted for v in values):
            return np.fromiter(values, dtype=object, count=len(values))
    return array


def _native(array: np.ndarray, dtype: Any) -> np.ndarray:
    """Contiguous, native-endian, of `dtype` (copies only when needed; never in place)."""
    return np.ascontiguousarray(array, dtype=np.dtype(dtype).newbyteorder("="))


def _fits_int64(keys: np.ndarray) -> bool:
    return keys.dtype != np.uint64 or not len(keys) or int(keys.max()) <= np.iinfo(np.int64).max


def _as_key_array(session: Any) -> np.ndarray:
    keys = _to_numpy(session, "session")
    if keys.dtype.kind in "iu":
        return keys if keys.dtype.isnative else keys.astype(keys.dtype.newbyteorder("="))
    if keys.dtype.kind == "f":
        bad = np.isnan(keys)
        if bad.any():
            raise ValueError(f"session key is missing (NaN) at row {int(np.argmax(bad))}")
    return keys


def _as_object_array(values: Any, name: str) -> np.ndarray:
    return _to_numpy(values, name).astype(object, copy=False)


# -- helpers: time, state, wait (SPEC 1, 1.2) --------------------------------------


def _time_to_ticks(time: Any, unit: str | None, fixed_unit: str | None) -> tuple[np.ndarray, str]:
    """int64 ticks (MISSING for NaT/NaN) and their unit. A later chunk is converted to
    the first chunk's unit when that is exact (coarser input), else it is an error."""
    values = _to_numpy(time, "time", fill=MISSING)
    numbers = None
    if values.dtype.kind in "OU":                  # Python objects, or ISO strings
        numbers = _object_numbers_to_ticks(values, "time")
        if numbers is None:
            values = _object_datetimes(values, "time")
    if numbers is not None or values.dtype.kind in "iuf":
        if unit is None:
            raise ValueError("time is numeric, so unit= is needed: one of 's', 'ms', 'us', 'ns'")
        source = unit
        ticks = numbers if numbers is not None else _numbers_to_ticks(values, "time", allow_missing=True)
    elif values.dtype.kind == "M":
        ticks, source = _datetime_ticks(values, "time")
    elif values.dtype.kind == "m":
        raise TypeError("time must be a point in time (datetime64) or numbers, not timedelta64")
    else:
        raise TypeError(f"time must be datetime64 or numbers with unit=, not {values.dtype}")
    if fixed_unit is None or fixed_unit == source:
        return ticks, source
    factor = TICKS_PER_SECOND[fixed_unit] // TICKS_PER_SECOND[source]
    if TICKS_PER_SECOND[fixed_unit] % TICKS_PER_SECOND[source]:
        raise ValueError(f"this chunk's time is in {source!r}, finer than the first chunk's {fixed_unit!r}")
    return _scale_exact(ticks, factor, "time"), fixed_unit


def _object_numbers_to_ticks(values: np.ndarray, name: str) -> np.ndarray | None:
    """An object column of numbers (Python or NumPy ints and floats, None/NaN missing)
    as int64 ticks, ints exactly and floats rounded once; None when it does
    not hold numbers (datetimes, strings). Mixed numbers and other values raise, naming
    the first row that differs from the first value's kind."""
    import pandas as pd

    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind == "empty":                              # only None / NaN / NaT
        return np.full(len(values), MISSING, dtype=np.int64)
    if kind == "boolean":
        row = next(row for row, value in enumerate(values) if isinstance(value, (bool, np.bool_)))
        raise TypeError(f"{name} at row {row} is {shown(values[row])}: {name} must be numeric, not bool")
    if kind == "floating":
        return _numbers_to_ticks(values.astype(np.float64), name, allow_missing=True)
    if kind == "integer":
        try:
            return pd.array(values, dtype="Int64").to_numpy(dtype=np.int64, na_value=MISSING)
        except (OverflowError, TypeError, ValueError):
            pass                                     # some int beyond int64: find it below
    elif kind != "mixed-integer-float":
        if kind in ("mixed", "mixed-integer"):
            _raise_mixed(values, name)
        return None
    ticks = np.empty(len(values), dtype=np.int64)
    for row, value in enumerate(values):
        if value is None or (isinstance(value, (float, np.floating)) and math.isnan(value)):
            ticks[row] = MISSING
            continue
        if isinstance(value, (float, np.floating)):
            if not math.isfinite(value):
                raise ValueError(f"{name} at row {row} is {shown(value)}, not a representable tick count")
            value = round(float(value))                  # nearest tick, halves to even (np.rint)
        value = int(value)
        if not _INT64_MIN <= value <= _INT64_MAX:          # INT64_MIN is NaT: missing
            raise ValueError(f"{name} at row {row} is {value}, beyond int64 ticks")
        ticks[row] = value
    return ticks


def _raise_mixed(values: np.ndarray, name: str) -> None:
    """An object column mixing numbers or bools with other values (e.g. strings): name
    the first row whose kind differs from the first value's. Returns when it holds no
    numbers and no bools at all (datetimes and strings: the datetime reader decides)."""
    import pandas as pd

    def kind(value: Any) -> str:
        if isinstance(value, (bool, np.bool_)):
            return "bool"
        return "number" if isinstance(value, (int, float, np.integer, np.floating)) else "other"

    present = [(row, value) for row, value in enumerate(values) if value is not None and not pd.isna(value)]
    kinds = [kind(value) for _, value in present]
    if "number" not in kinds and "bool" not in kinds:
        return
    first_row, first = present[0]
    other = "durations" if name == "wait" else "datetimes"
    for (row, value), value_kind in zip(present, kinds):
        if value_kind != kinds[0]:
            raise TypeError(
                f"{name} at row {row} is {shown(value)} ({type(value).__name__}) but row "
                f"{first_row} is {shown(first)} ({type(first).__name__}): a {name} column "
                f"holds numbers or {other}, not both (and never bools)")
    raise TypeError(f"{name} at row {first_row} is {shown(first)}: {name} must be numbers or {other}")  # pragma: no cover


def _object_datetimes(values: np.ndarray, name: str) -> np.ndarray:
    """An object column of datetimes or ISO strings as datetime64 (UTC, naive)."""
    import pandas as pd

    try:
        return pd.to_datetime(pd.Series(values), utc=True).dt.tz_localize(None).to_numpy()
    except (TypeError, ValueError, OverflowError) as exc:
        for row, value in enumerate(values):
            if value is None:
                continue
            try:
                pd.Timestamp(value)
            except (TypeError, ValueError, OverflowError):
                raise TypeError(f"{name} at row {row} is {shown(value)}, not a datetime; "
                                "give datetime64 or numbers with unit=") from None
        raise TypeError(f"{name} must be datetime64 or numbers with unit=; "
                        f"could not read it as datetimes: {exc}") from exc


def _datetime_ticks(values: np.ndarray, name: str) -> tuple[np.ndarray, str]:
    """datetime64 / timedelta64 values as native int64 ticks (NaT stays INT64_MIN) and
    their unit; units coarser than seconds are read in seconds, and a value beyond
    int64 seconds raises, naming its row (NumPy's cast would wrap it silently)."""
    source = np.datetime_data(values.dtype)[0]
    if source in _COARSE_DATETIME_UNITS:
        in_seconds = values.astype(f"{values.dtype.str[1:3]}[s]")
        present = ~np.isnat(values)
        wrapped = present & (np.isnat(in_seconds) | (in_seconds.astype(values.dtype) != values))
        if wrapped.any():
            row = int(np.argmax(wrapped))
            raise ValueError(f"{name} at row {row} is {shown(values[row])}, beyond the range of "
                             "int64 seconds (about 292 billion years either side of 1970)")
        values, source = in_seconds, "s"
    if source not in TICKS_PER_SECOND:
        raise ValueError(f"{name} resolution {source!r} is not supported (s, ms, us or ns)")
    return _native(values, values.dtype).view(np.int64), source


def _numbers_to_ticks(values: np.ndarray, name: str, *, allow_missing: bool) -> np.ndarray:
    """Integer or float numbers as int64 ticks; floats rounded once to the nearest tick
, NaN -> MISSING. Infinite or out-of-range values raise, naming the row."""
    if values.dtype.kind in "iu":
        if values.dtype == np.uint64 and len(values) and values.max() > np.iinfo(np.int64).max:
            row = int(np.argmax(values > np.iinfo(np.int64).max))
            raise ValueError(f"{name} at row {row} is {shown(values[row])}, beyond int64 ticks")
        return _native(values, np.int64)
    if values.dtype.kind == "b":
        raise TypeError(f"{name} must be numeric, not bool")
    if values.dtype.itemsize < 8:
        _refuse_coarse_floats(values, name)
    floats = _native(values, np.float64)
    missing = np.isnan(floats)
    rounded = np.rint(floats)
    limit = 2.0**63
    bad = ~missing & ~((rounded >= -limit) & (rounded < limit))
    if bad.any():
        row = int(np.argmax(bad))
        raise ValueError(f"{name} at row {row} is {shown(floats[row])}, not a representable tick count")
    ticks = np.where(missing, 0.0, rounded).astype(np.int64)
    if missing.any():
        if not allow_missing:
            raise ValueError(f"{name} has a missing value at row {int(np.argmax(missing))}")
        ticks[missing] = MISSING
    return ticks


def _refuse_coarse_floats(values: np.ndarray, name: str) -> None:
    """float32 (or float16) ticks are exact only while every whole tick is a float of
    that type: below 2**24 for float32. Beyond, a 60 s session at epoch seconds would
    be stored in steps of 128 s, so such values raise, naming the row."""
    limit = 2.0 ** (np.finfo(values.dtype).nmant + 1)
    coarse = np.abs(values) >= limit                    # NaN compares False
    if coarse.any():
        row = int(np.argmax(coarse))
        value = float(values[row])
        step = float(np.spacing(np.abs(values[row])))
        raise ValueError(
            f"{name} at row {row} is {value:.17g} in {values.dtype}: at that size {values.dtype} "
            f"steps by {step:g} ticks (it holds every whole tick only below {limit:.0f}); "
            "give float64 or integer ticks, or datetime64")


def _scale_exact(ticks: np.ndarray, factor: int, name: str) -> np.ndarray:
    """Ticks * factor, keeping MISSING, raising instead of wrapping."""
    if factor == 1:
        return ticks
    present = ticks != MISSING
    limit = np.iinfo(np.int64).max // factor
    too_big = present & (np.abs(ticks) > limit)
    if too_big.any():
        row = int(np.argmax(too_big))
        raise ValueError(f"{name} at row {row} overflows int64 when converted to finer ticks")
    return np.where(present, ticks * factor, MISSING)


def _normalise_state(state: Any, threads: int = 1, *, any_invalid: bool = False,
                     int64_in_place: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """uint8 states with INVALID_STATE for anything outside 0..4, and the raw values
    (for error messages). Non-numeric states are a structural error. `threads`: at
    most this many for the pass over an integer column (the caller knows they start).
    `any_invalid`: the caller takes every value above 4 as invalid (the session
    kernel does), so int8 states are read as uint8 in place: no pass, no copy.
    `int64_in_place`: an int64 column is returned as it is (contiguous, native), for
    a caller that reads int64 states itself (the session kernel's ordered scan)."""
    raw = _to_numpy(state, "state", fill=-1)
    if raw.dtype.kind in "OUT":
        import pandas as pd

        kind = pd.api.types.infer_dtype(raw, skipna=True)
        if kind == "boolean":
            raise TypeError("state must be numeric 0..4, not bool")
        if kind == "string":
            return _state_names(raw), raw
        try:
            raw = raw.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"state must be numeric 0..4; got {raw.dtype} values") from exc
    if raw.dtype.kind == "u" and raw.dtype.itemsize == 1:
        return _native(raw, np.uint8), raw
    if any_invalid and raw.dtype == np.int8:
        raw = np.ascontiguousarray(raw)
        return raw.view(np.uint8), raw          # -128..-1 read as 128..255: invalid
    if raw.dtype.kind in "iu":
        # one compiled pass of any integer width (int8 and int64 states alike)
        from . import _kernel

        raw = _native(raw, raw.dtype)
        if int64_in_place and raw.dtype == np.int64:
            return raw, raw
        states = np.empty(len(raw), dtype=np.uint8)
        _kernel.state_codes(raw, states, threads)
        return states, raw
    if raw.dtype.kind == "f":
        valid = (raw >= 0) & (raw <= 4) & (raw == np.floor(raw))
    else:
        raise TypeError(f"state must be numeric 0..4, not {raw.dtype}")
    states = np.where(valid, raw, INVALID_STATE).astype(np.uint8)
    return states, raw


def _state_names(raw: np.ndarray) -> np.ndarray:
    """States given by name ("READY", "busy_on_call", "WRAPUP", ...; the mapping of the
    table importer) or as numbers in text: uint8 codes, INVALID_STATE for any other
    name and for missing values. Each distinct value is looked up once."""
    import pandas as pd

    from .io.tabular import state_codes

    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    mapped = state_codes(np.asarray(uniques, dtype=object))
    valid = (mapped >= 0) & (mapped <= 4) & (mapped == np.floor(mapped))
    lookup = np.append(np.where(valid, mapped, INVALID_STATE), INVALID_STATE).astype(np.uint8)
    return lookup[codes]      # code -1 (missing) picks the last entry: INVALID_STATE


def _wait_to_ticks(wait: Any, unit: str | None, tick_unit: str, threads: int = 1, *,
                   check_later: bool = False) -> Any:
    """Wait in the time's ticks, MISSING when absent. timedelta64 converts exactly (or to
    the nearest tick, halves up, when finer than the time's tick); numbers are in `unit`
    when it is given, else in the time's tick. Negative waits raise. `threads`: at most
    this many for the check. `check_later`: returns (ticks, values, checked); when the
    ticks need no scaling the check is left to the caller (checked False: the session
    kernel checks them as it reads them), and `values` names a row in its error."""
    values = _to_numpy(wait, "wait", fill=MISSING)
    numbers = None
    if values.dtype.kind == "O":
        numbers = _object_numbers_to_ticks(values, "wait")
        if numbers is None:
            import pandas as pd

            try:
                values = pd.to_timedelta(pd.Series(values)).to_numpy()
            except (TypeError, ValueError, OverflowError) as exc:
                raise TypeError(f"wait must be timedelta64 or numbers: {exc}") from exc
    if numbers is not None or values.dtype.kind in "iuf":
        source = unit or tick_unit
        ticks = numbers if numbers is not None else _numbers_to_ticks(values, "wait", allow_missing=True)
    elif values.dtype.kind == "m":
        ticks, source = _datetime_ticks(values, "wait")
    else:
        raise TypeError(f"wait must be timedelta64 or numbers, not {values.dtype}")
    ticks = _native(ticks, np.int64)
    target, have = TICKS_PER_SECOND[tick_unit], TICKS_PER_SECOND[source]
    if check_later and target == have:
        return ticks, values, False
    _raise_negative_wait(ticks, values, threads)
    if check_later:
        return _scaled_wait(ticks, target, have), values, True
    return _scaled_wait(ticks, target, have)


def _raise_negative_wait(ticks: np.ndarray, values: np.ndarray, threads: int = 1) -> None:
    """ValueError naming the first negative wait (ticks: int64, MISSING not negative)."""
    from . import _kernel

    row = _kernel.first_negative(ticks, threads)   # one compiled pass
    if row >= 0:
        raise ValueError(f"wait at row {row} is negative ({shown(values[row])})")


def _scaled_wait(ticks: np.ndarray, target: int, have: int) -> np.ndarray:
    """Wait ticks of `have` per second in ticks of `target` per second."""
    if target >= have:
        return _scale_exact(ticks, target // have, "wait")
    divisor = have // target
    return np.where(ticks != MISSING, (ticks + divisor // 2) // divisor, MISSING)


_SECONDS_PER_UNIT = {"W": 7 * 86400, "D": 86400, "h": 3600, "m": 60, "s": 1}
_UNIT_PER_SECOND = {"ms": 10**3, "us": 10**6, "ns": 10**9, "ps": 10**12, "fs": 10**15, "as": 10**18}


def _as_of_to_ticks(as_of: Any, tick_unit: str) -> int | None:
    """The report time in ticks (floored to the tick), or None for the default.

    Exact integer arithmetic in Python (no detour through nanoseconds, so a report
    time after 2262 works with ticks coarser than ns). A missing time (NaT, NaN) or one
    beyond int64 ticks raises ValueError: it has no place on the time line."""
    if as_of is None:
        return None
    per_second = TICKS_PER_SECOND[tick_unit]
    if isinstance(as_of, (bool, np.bool_)):
        raise TypeError("as_of must be a datetime, datetime64, ISO string or ticks, not bool")
    if isinstance(as_of, (int, np.integer)):
        ticks = int(as_of)
    elif isinstance(as_of, (float, np.floating)):
        if not math.isfinite(as_of):
            raise ValueError(f"as_of is {shown(as_of)}: a missing or infinite report time; "
                             "pass None for the latest time in the log")
        ticks = math.floor(as_of)
    elif (isinstance(as_of, (str, _dt.datetime, _dt.date, np.datetime64))
          or as_of is getattr(sys.modules.get("pandas"), "NaT", _NOT_PANDAS)):
        ticks = _datetime_to_ticks(as_of, per_second)
    else:
        raise TypeError(f"as_of must be a datetime, datetime64, ISO string or ticks, not {type(as_of).__name__}")
    if not _INT64_MIN < ticks <= _INT64_MAX:
        raise ValueError(f"as_of {shown(as_of)} is beyond the range of int64 ticks of 1/{per_second} s "
                         f"({_tick_range(tick_unit)})")
    return ticks


def _datetime_to_ticks(as_of: Any, per_second: int) -> int:
    """A datetime-like report time as exact (Python int) ticks since 1970, floored."""
    # a text is read by pandas; a pandas value (Timestamp, NaT) means pandas is loaded, so
    # a datetime64 or datetime needs no import (the screen report of a small log)
    pd = sys.modules.get("pandas")
    if isinstance(as_of, str):
        import pandas as pd

        try:
            as_of = pd.Timestamp(as_of)
        except (ValueError, OverflowError):
            try:
                as_of = np.datetime64(as_of)
            except ValueError:
                raise ValueError(f"as_of {as_of!r} is not an ISO date and time") from None
    if (pd is not None and as_of is pd.NaT) or (isinstance(as_of, np.datetime64) and np.isnat(as_of)):
        raise ValueError("as_of is NaT (a missing time); pass None for the latest time in the log")
    if pd is not None and isinstance(as_of, pd.Timestamp):
        if as_of.tzinfo is not None:
            as_of = as_of.tz_convert("UTC").tz_localize(None)
        as_of = as_of.to_datetime64()                       # its own unit: no ns overflow
    if isinstance(as_of, np.datetime64):
        unit, count = np.datetime_data(as_of.dtype)
        value = int(as_of.astype(np.int64)) * count
        if unit in ("Y", "M"):                              # calendar units: via days
            days = as_of.astype("M8[D]")
            if days.astype(as_of.dtype) != as_of:
                raise ValueError(f"as_of {shown(as_of)} is beyond the range of int64 days")
            unit, value = "D", int(days.astype(np.int64))
        if unit in _SECONDS_PER_UNIT:
            return value * _SECONDS_PER_UNIT[unit] * per_second
        return (value * per_second) // _UNIT_PER_SECOND[unit]
    if not isinstance(as_of, _dt.datetime):                # a date: its midnight, UTC
        as_of = _dt.datetime(as_of.year, as_of.month, as_of.day)
    if as_of.tzinfo is not None:
        as_of = as_of.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    micros = (as_of - _dt.datetime(1970, 1, 1)) // _dt.timedelta(microseconds=1)
    return (micros * per_second) // 10**6


def _tick_range(tick_unit: str) -> str:
    low = np.datetime64(_INT64_MIN + 1, tick_unit)
    high = np.datetime64(_INT64_MAX, tick_unit)
    return f"{np.datetime_as_string(low, unit='s')} to {np.datetime_as_string(high, unit='s')}"
