"""--days / --hours: a report of the opening hours only (e.g. Monday to Friday,
08:00-18:00 in the report's zone). Per reporting interval, time is already split
exactly at the interval edges, so keeping the intervals that start inside the
opening hours cuts the time outside them exactly, as a window does; the hours must
therefore fall on interval edges."""

from __future__ import annotations

from typing import Any

__all__ = ["parse_days", "parse_hours", "check_fits", "keep_open", "DAY_NAMES"]

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_days(text: str | None) -> frozenset[int] | None:
    """``"mon-fri"``, ``"sat,sun"``, ``"mon-wed,fri"`` -> weekday numbers (Monday 0);
    a range may wrap (``"fri-mon"``); full names work too. None for None."""
    if text is None:
        return None
    days: set[int] = set()
    for part in text.split(","):
        first, sep, last = part.partition("-")
        a = _weekday(first, text)
        b = _weekday(last, text) if sep else a
        days.update((a + i) % 7 for i in range((b - a) % 7 + 1))
    return frozenset(days)


_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _weekday(name: str, whole: str) -> int:
    key = name.strip().lower()
    for names in (DAY_NAMES, _FULL_NAMES):
        if key in names:
            return names.index(key)
    raise ValueError(f"--days {whole!r}: give day names or ranges such as mon-fri or sat,sun")


def _minute_of_day(text: str, whole: str) -> int:
    hours, sep, minutes = text.strip().partition(":")
    if not hours.isdigit() or (sep and not (minutes.isdigit() and len(minutes) == 2)):
        raise ValueError(f"--hours {whole!r}: give local times as HH:MM-HH:MM, e.g. 08:00-18:00")
    value = int(hours) * 60 + (int(minutes) if sep else 0)
    if value > 24 * 60 or (sep and int(minutes) >= 60):
        raise ValueError(f"--hours {whole!r}: a time of day is between 00:00 and 24:00")
    return value


def parse_hours(text: str | None) -> tuple[int, int] | None:
    """``"08:00-18:00"`` -> (480, 1080), minutes of the local day; ``"22:00-06:00"``
    runs overnight. None for None."""
    if text is None:
        return None
    first, sep, last = text.partition("-")
    if not sep:
        raise ValueError(f"--hours {text!r}: give local times as HH:MM-HH:MM, e.g. 08:00-18:00")
    start, end = _minute_of_day(first, text), _minute_of_day(last, text)
    if start == end:
        raise ValueError(f"--hours {text!r}: the opening hours would be empty")
    return start, end


def check_fits(hours: tuple[int, int] | None, interval_minutes: int) -> None:
    """The opening hours must start and end on interval edges (ValueError if not)."""
    if hours is None:
        return
    if interval_minutes >= 24 * 60 or any(edge % interval_minutes for edge in hours):
        raise ValueError(f"--hours: {_hhmm(hours[0])}-{_hhmm(hours[1])} does not fall on the edges of "
                         f"{interval_minutes}-minute intervals; choose an --interval that divides it "
                         f"(e.g. 15, 30 or 60)")


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def keep_open(frame: Any, *, days: frozenset[int] | None, hours: tuple[int, int] | None,
              zone: Any) -> Any:
    """The rows of a per-interval report frame whose interval starts inside the opening
    days and hours, in `zone` (interval_start naive UTC, or local aware)."""
    import pandas as pd

    if frame is None or len(frame) == 0 or (days is None and hours is None):
        return frame
    starts = pd.Series(pd.to_datetime(frame["interval_start"]), index=frame.index)
    if not isinstance(starts.dtype, pd.DatetimeTZDtype):
        starts = starts.dt.tz_localize("UTC")
    if zone is not None:
        starts = starts.dt.tz_convert(zone)
    keep = pd.Series(True, index=frame.index)
    if days is not None:
        keep &= starts.dt.day_of_week.isin(sorted(days))
    if hours is not None:
        minute = starts.dt.hour * 60 + starts.dt.minute
        start, end = hours
        keep &= ((minute >= start) & (minute < end)) if start < end else ((minute >= start) | (minute < end))
    return frame[keep.to_numpy()].reset_index(drop=True)
