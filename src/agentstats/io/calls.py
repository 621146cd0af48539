"""Per-call tables (CSV, Parquet, Arrow/Feather, pandas, Arrow) -> queue statistics input.

For exports of other systems (a contact-record export, a data warehouse), one row per
caller's stay in a queue:

| column | required | meaning |
|---|---|---|
| ``queue`` | yes | the queue |
| ``outcome`` | yes | answered, abandoned, timed_out, exited_empty, exited_with_key, full, joinempty, closed, waiting (other spellings below) |
| ``enter`` | one of enter/leave | when the caller entered the queue |
| ``answer`` | no | when an agent answered (answered calls) |
| ``leave`` | one of enter/leave | when the caller left the queue (for answered calls without ``answer``: the answer) |
| ``wait`` | no | seconds in the queue (numbers in ``wait_unit``, or durations) |
| ``flowed_in_from``, ``flowed_out_to`` | no | the queue the call came from / went on to (empty: none) |

Times are timestamps (read as UTC) or numbers in ``time_unit`` (epoch). A missing wait
is measured: answer (or leave) minus enter. Other column names are mapped with
``columns={"queue": "skill", ...}``. The per-call table agentstats writes itself
(``agentstats report LOG --calls FILE``) reads back with no mapping.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .queue_calls import ANSWERED, OUTCOMES, WAITING, CLOSED

__all__ = ["call_columns", "read_calls", "OUTCOME_NAMES"]

MISSING = np.iinfo(np.int64).min
_ROLES = ("queue", "outcome", "enter", "answer", "leave", "wait", "flowed_in_from", "flowed_out_to")

#: accepted outcome spellings (case, spaces, hyphens and underscores do not matter) -> outcome code
OUTCOME_NAMES = {name: code for code, name in enumerate(OUTCOMES)}
OUTCOME_NAMES.update({
    "queued": WAITING, "in_queue": WAITING, "connect": ANSWERED, "connected": ANSWERED,
    "abandon": OUTCOME_NAMES["abandoned"], "timeout": OUTCOME_NAMES["timed_out"],
    "exitwithtimeout": OUTCOME_NAMES["timed_out"], "exitempty": OUTCOME_NAMES["exited_empty"],
    "leaveempty": OUTCOME_NAMES["exited_empty"], "exitwithkey": OUTCOME_NAMES["exited_with_key"],
    "refused": CLOSED,
})
# spellings compared without case, spaces, hyphens or underscores
_LOOKUP = {name.replace("_", ""): code for name, code in OUTCOME_NAMES.items()}


def read_calls(path: str | os.PathLike, *, format: str = "auto") -> pd.DataFrame:
    """A per-call file (CSV, Parquet, Arrow/Feather) as a DataFrame."""
    from .tabular import detect_format

    path = Path(path)
    kind = detect_format(path, format)
    try:
        if kind == "csv":
            return pd.read_csv(path)
        if kind == "parquet":
            return pd.read_parquet(path)
        return pd.read_feather(path)
    except OSError as exc:
        from ..hresult import LINEERR_RESOURCEUNAVAIL, tapi_error

        raise tapi_error(LINEERR_RESOURCEUNAVAIL, f"{path}: cannot read the call table ({exc})") from exc


def call_columns(calls: Any, *, columns: Mapping[str, str] | None = None, time_unit: str = "s",
                 wait_unit: str = "s", format: str = "auto"):
    """A per-call table (DataFrame, Arrow table, or a file path) as
    :class:`agentstats.queues.CallColumns` in nanosecond ticks. Bad values raise
    ``ValueError`` naming the row (and the file)."""
    from ..queues import CallColumns

    where = ""
    if isinstance(calls, (str, os.PathLike)):
        where = f"{calls}: "
        calls = read_calls(calls, format=format)
    if not isinstance(calls, pd.DataFrame) and hasattr(calls, "__arrow_c_stream__"):
        # polars, pyarrow, DuckDB relations, ...: through Arrow (the roles are read by name)
        import pyarrow as pa

        calls = pa.table(calls).to_pandas()
    if not isinstance(calls, pd.DataFrame):
        to_pandas = getattr(calls, "to_pandas", None)
        if to_pandas is None:
            raise TypeError(f"a call table must be a DataFrame, an Arrow table or a file, not {type(calls).__name__}")
        calls = to_pandas()
    names = dict(columns or {})
    unknown = set(names) - set(_ROLES)
    if unknown:
        raise ValueError(f"unknown call-table roles {sorted(unknown)}; the roles are {', '.join(_ROLES)}")
    col = {role: names.get(role, role) for role in _ROLES}
    missing = [role for role in ("queue", "outcome") if col[role] not in calls.columns]
    if col["enter"] not in calls.columns and col["leave"] not in calls.columns:
        missing.append("enter or leave")
    if missing:
        raise ValueError(f"{where}the call table has no {' / '.join(missing)} column "
                         f"(columns: {', '.join(map(str, calls.columns))})")
    try:
        return _convert(calls, col, time_unit, wait_unit, CallColumns)
    except ValueError as exc:
        raise ValueError(f"{where}{exc}") from None


def _convert(calls: pd.DataFrame, col: dict, time_unit: str, wait_unit: str, CallColumns):
    from ..aggregate import _time_to_ticks, _wait_to_ticks

    n = len(calls)

    def times(role: str) -> np.ndarray:
        if col[role] not in calls.columns:
            return np.full(n, MISSING, dtype=np.int64)
        try:
            ticks, _ = _time_to_ticks(calls[col[role]], time_unit, "ns")
        except (TypeError, ValueError) as exc:
            raise ValueError(f"column {col[role]!r}: {exc}") from None
        return ticks

    queue_values = calls[col["queue"]]
    no_queue = queue_values.isna().to_numpy()
    if no_queue.any():
        row = int(np.argmax(no_queue))
        raise ValueError(f"row {row}: no queue")
    queue_codes, queue_names = pd.factorize(queue_values.astype(str), sort=False)

    spelled = calls[col["outcome"]].astype(str).str.lower().str.replace(r"[\s_-]+", "", regex=True)
    codes = spelled.map(_LOOKUP)
    bad = codes.isna().to_numpy()
    if bad.any():
        row = int(np.argmax(bad))
        raise ValueError(f"row {row}: outcome {calls[col['outcome']].iloc[row]!r} is not one of "
                         f"{', '.join(OUTCOMES)}")
    outcome = codes.to_numpy(dtype=np.int8)

    enter, answer, leave = times("enter"), times("answer"), times("leave")
    answered = outcome == ANSWERED
    # An answered call leaves the queue when it is answered.
    leave = np.where(answered & (answer != MISSING), answer, leave)
    waiting = outcome == WAITING
    leave = np.where(waiting, MISSING, leave)
    no_time = (enter == MISSING) & (leave == MISSING)
    if no_time.any():
        row = int(np.argmax(no_time))
        raise ValueError(f"row {row}: neither an entry nor a leaving time")
    early = (enter != MISSING) & (leave != MISSING) & (leave < enter)
    if early.any():
        row = int(np.argmax(early))
        raise ValueError(f"row {row}: the call leaves the queue before it enters it")
    if col["wait"] in calls.columns:
        try:
            wait = _wait_to_ticks(calls[col["wait"]], wait_unit, "ns")
        except (TypeError, ValueError) as exc:
            raise ValueError(f"column {col['wait']!r}: {exc}") from None
    else:
        wait = np.full(n, MISSING, dtype=np.int64)
    measurable = (wait == MISSING) & (enter != MISSING) & (leave != MISSING)
    wait = np.where(measurable, leave - enter, wait)
    wait = np.where(waiting, MISSING, wait)
    # Without an entry time, a logged wait places the entry (as for queue_log, SPEC 8.3).
    placed = (enter == MISSING) & (wait != MISSING) & (leave != MISSING)
    enter = np.where(placed, leave - wait, enter)

    def flow(role: str) -> np.ndarray:
        if col[role] not in calls.columns:
            return np.zeros(n, dtype=bool)
        values = calls[col[role]]
        return (values.notna() & (values.astype(str).str.strip() != "")).to_numpy()

    flowed_out = flow("flowed_out_to")
    return CallColumns(
        queue=queue_codes.astype(np.int32), queue_names=[str(q) for q in queue_names],
        enter=enter.astype(np.int64), leave=leave.astype(np.int64), wait=wait.astype(np.int64),
        outcome=outcome, flowed_in=flow("flowed_in_from"),
        flowed_out_at=np.where(flowed_out & (leave != MISSING), leave, MISSING).astype(np.int64),
        ticks_per_second=10**9)
