"""Reporting intervals on a time zone's local boundaries (zoneinfo; no hand-made
offsets): a local day of 23 or 25 hours, a local quarter hour that happens twice.

The kernels split time at the edges of equal-width buckets. For a zone, the buckets are
made fine enough that every local interval edge is one of their edges (the gcd of the
interval and the zone's UTC offsets: an hour for Europe/Rome's days, 15 minutes for
its quarter hours), and the exact sums of the fine buckets are then added up per local
interval. Each fine bucket is checked to lie in one local interval, so a zone whose
offsets do not fit the grid is an error, never a wrong split."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = ["time_zone", "fine_step", "local_interval_starts", "to_local"]

_EPOCH = datetime(1970, 1, 1)

def time_zone(tz: Any) -> Any:
    """A tzinfo for `tz` (a zoneinfo name such as "Europe/Rome", or a tzinfo), None for
    None. An unknown name raises ValueError."""
    if tz is None:
        return None
    if not isinstance(tz, str):
        return tz
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {tz!r} (use a name such as Europe/Rome or UTC)") from None

@lru_cache(maxsize=64)
def _offset_gcd(tz: Any) -> int:
    """The gcd of the zone's UTC offsets (seconds) in winter and summer, 1970-2100."""
    g = 0
    for year in range(1970, 2101):
        for month in (1, 4, 7, 10):
            offset = datetime(year, month, 15, 12, tzinfo=tz).utcoffset()
            g = math.gcd(g, int(offset.total_seconds()) if offset else 0)
    return g

def fine_step(interval_seconds: int, tz: Any) -> int:
    """The bucket width (seconds) the kernels split at, so that every local edge of an
    interval of `interval_seconds` in `tz` is a bucket edge."""
    g = _offset_gcd(tz)
    return math.gcd(int(interval_seconds), g) if g else int(interval_seconds)

def _offset_seconds(moment: datetime) -> int:
    offset = moment.utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def local_interval_starts(fine_starts: np.ndarray, step: int, interval_seconds: int, tz: Any) -> np.ndarray:
    """For fine buckets starting at `fine_starts` (epoch seconds, width `step`): the epoch
    second at which the local interval holding each one starts. Local intervals start at
    local wall-clock multiples of `interval_seconds` (midnight for a day); the instant of a
    wall time that happens twice is the occurrence the bucket is in, and one that never
    happens (the gap of a spring change) starts at the change."""
    starts = np.asarray(fine_starts, dtype=np.int64)
    unique, inverse = np.unique(starts, return_inverse=True)
    out = np.empty(len(unique), dtype=np.int64)
    for i, s in enumerate(unique.tolist()):
        here = datetime.fromtimestamp(s, tz)
        offset = _offset_seconds(here)
        last = _offset_seconds(datetime.fromtimestamp(s + step - 1, tz))
        if offset % step or last != offset:
            raise ValueError(f"time zone {tz}: its UTC offset changes inside a {step // 60}-minute "
                             f"step at {here.isoformat()}; choose an interval that fits the zone")
        wall = s + offset
        naive = _EPOCH + timedelta(seconds=wall - wall % interval_seconds)
        candidates = [int(naive.replace(tzinfo=tz, fold=fold).timestamp()) for fold in (0, 1)]
        out[i] = max(c for c in candidates if c <= s) if min(candidates) <= s else min(candidates)
    return out[inverse]

def to_local(values: Any, tz: Any) -> Any:
    """Naive UTC datetimes (a pandas Series or array of datetime64) as aware local ones."""
    import pandas as pd

    series = pd.Series(values) if not isinstance(values, pd.Series) else values
    return series.dt.tz_localize("UTC").dt.tz_convert(tz)



def regroup_seconds(frame: Any, key: str, step: int, interval_seconds: int, tz: Any) -> Any:
    """A per-(key, fine step) frame of whole-second sums (interval_start naive UTC on the
    fine grid) added up per local interval; interval_start becomes the local start.
    Exact when the sums are whole seconds of whole-second ticks (a queue_log)."""
    import pandas as pd

    if len(frame) == 0:
        return frame
    starts = pd.to_datetime(frame["interval_start"]).astype("datetime64[s]").to_numpy().view(np.int64)
    local = local_interval_starts(starts, step, interval_seconds, tz)
    out = frame.assign(interval_start=local.view("datetime64[s]"))
    out = out.groupby([key, "interval_start"], sort=True, as_index=False).sum()
    out["interval_start"] = to_local(out["interval_start"], tz).array
    return out


def localise_frame(frame: Any, tz: Any) -> Any:
    """Every datetime column of a report frame (naive ones are UTC) as local aware
    datetimes."""
    if tz is None:
        return frame
    import pandas as pd

    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.DatetimeTZDtype):
            out[column] = out[column].dt.tz_convert(tz)     # the same instants, local
        elif pd.api.types.is_datetime64_dtype(out[column]):
            out[column] = to_local(out[column], tz)
    return out
