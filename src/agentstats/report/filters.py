"""--agent / --queue: keep the rows whose agent or queue matches one of the glob
patterns (fnmatch: * ? [..], case-sensitive, as names in a log are)."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any, Sequence

__all__ = ["matches", "filter_rows"]


def matches(values: Any, patterns: Sequence[str]) -> Any:
    """A boolean mask: which values match any of the patterns."""
    import numpy as np

    texts = ["" if v is None else str(v) for v in values]
    return np.array([any(fnmatchcase(t, p) for p in patterns) for t in texts], dtype=bool)


def filter_rows(frame: Any, *, agents: Sequence[str] = (), queues: Sequence[str] = ()) -> Any:
    """The rows of a report frame whose agent and queue match (no patterns: all rows).
    A frame without the column a filter needs raises ValueError naming the option."""
    for patterns, option, names in ((agents, "--agent", ("agent",)), (queues, "--queue", ("acd_group", "queue"))):
        if not patterns:
            continue
        column = next((n for n in names if n in frame.columns), None)
        if column is None:
            raise ValueError(f"{option}: this report has no {option[2:]} column")
        frame = frame[matches(frame[column], patterns)].reset_index(drop=True)
    return frame
