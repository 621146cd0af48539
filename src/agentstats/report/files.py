"""Write a report table to CSV, Parquet, JSON or Excel (chosen by the file name), each
with the line accounting: beside a CSV (OUT.accounting.json), in the Parquet file's
metadata (key ``agentstats.accounting``), under ``diagnostics`` in JSON, and on a sheet
of its own in Excel."""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

# pandas is imported where a frame is written (quick start-up for the screen report).
if TYPE_CHECKING:
    import pandas as pd

__all__ = ["write_report", "FILE_SUFFIXES", "accounting_rows", "accounting_path", "PARQUET_KEY", "FrameSlices"]

FILE_SUFFIXES = (".csv", ".parquet", ".json", ".xlsx")
PARQUET_KEY = b"agentstats.accounting"

#: columns in whole seconds that are durations (shown h:mm:ss, Excel duration cells)
DURATION_COLUMNS = frozenset({
    "session_duration", "total_talk_time", "average_talk_time", "total_wrapup_time",
    "average_wrapup_time", "total_call_time", "average_call_time", "average_time_to_answer",
    "longest_time_to_answer", "logged_in", "not_ready", "ready", "talk_time", "wrapup_time",
    "call_time", "talk", "wrapup", "average_handle_time", "average_speed_of_answer",
    "average_wait_time", "longest_ever_wait_time", "current_longest_wait_time", "wait",
})


def _is_duration(column: str) -> bool:
    return column in DURATION_COLUMNS or column.startswith("agent_time_") or column in (
        "agent_talk_time", "agent_wrapup_time")


def _jsonable(value: Any) -> Any:
    import pandas as pd

    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        return pd.Timestamp(value).isoformat() + ("Z" if pd.Timestamp(value).tzinfo is None else "")
    if isinstance(value, (pd.Timedelta, np.timedelta64)):
        return int(pd.Timedelta(value).total_seconds())
    return value


class FrameSlices:
    """A report table given as consecutive slices of its rows (frames with the same
    columns), so that a CSV file is written a slice at a time instead of from one frame
    of every row. `make` returns a new iterator of the slices; :meth:`map` applies a
    row-wise step (a filter, the time zone) to each slice; ``rows`` counts the rows
    given out by the latest pass."""

    def __init__(self, make: Any) -> None:
        self._make = make
        self.rows = 0

    def __iter__(self) -> Any:
        self.rows = 0
        for frame in self._make():
            self.rows += len(frame)
            yield frame

    def __len__(self) -> int:
        return self.rows

    def map(self, step: Any) -> FrameSlices:
        return FrameSlices(lambda: (step(frame) for frame in self._make()))


def accounting_path(path: str | os.PathLike) -> Path:
    """Where the line accounting of a CSV report goes: OUT.accounting.json beside it."""
    path = Path(path)
    return path.with_name(path.stem + ".accounting.json")


def accounting_rows(diagnostics: Mapping[str, Any] | None) -> list[tuple[str, str, Any]]:
    """The accounting as (section, item, value) rows: lines read, used and counted by
    reason, the events' buckets, inferred aliases."""
    rows: list[tuple[str, str, Any]] = []
    diagnostics = diagnostics or {}
    lines = diagnostics.get("lines") or {}
    if lines:
        rows.append(("lines", "read", int(lines.get("lines", 0))))
        rows.append(("lines", "used", int(lines.get("used", 0))))
        for reason, n in sorted(lines.get("counted", {}).items()):
            rows.append(("lines not used", reason, int(n)))
        if lines.get("unterminated_call"):
            rows.append(("calls", "unterminated_call", int(lines["unterminated_call"])))
        for reason, where in sorted(lines.get("examples", {}).items()):
            rows.append(("first lines", reason, ", ".join(map(str, where))))
        for message in lines.get("aliases_inferred", []):
            rows.append(("aliases", "inferred", message))
    for bucket, n in (diagnostics.get("events") or {}).items():
        rows.append(("events", bucket, int(n)))
    calls = diagnostics.get("calls") or {}
    for item in ("rows", "used"):
        if item in calls:
            rows.append(("call rows", item, int(calls[item])))
    for name in calls.get("files", []):
        rows.append(("call rows", "file", name))
    return rows


def write_report(frame: pd.DataFrame, path: str | os.PathLike, *,
                 diagnostics: dict[str, Any] | None = None, sheet: str = "report",
                 tables: Mapping[str, pd.DataFrame] | None = None) -> Path:
    """CSV (times ISO 8601, durations in whole seconds; the accounting beside it in
    OUT.accounting.json), Parquet (the accounting as JSON in the file's metadata), JSON
    (``{"rows": [...], "diagnostics": {...}}``) or Excel (.xlsx: one sheet per table,
    `sheet` for `frame` and `tables` for more, real date-time and duration cells, and an
    ``accounting`` sheet). Returns the path written.

    Every file is written under a temporary name in the same directory and renamed over
    its target only once complete, so a failed write (disk full, a file-size limit)
    leaves an existing file of that name unchanged and no partial file behind."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq", ".json", ".xlsx"):
        raise ValueError(f"{path}: the output must end in .csv, .parquet, .json or .xlsx")
    if isinstance(frame, FrameSlices) and suffix != ".csv":
        import pandas as pd

        frame = pd.concat(list(frame), ignore_index=True)      # (only a CSV is written by slices)
    targets = [path] + ([accounting_path(path)] if suffix == ".csv" and diagnostics is not None else [])
    temps = []
    try:
        for target in targets:
            fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                                             dir=target.parent if str(target.parent) else ".")
            os.close(fd)
            temps.append(Path(temp_name))
        _write(frame, temps[0], suffix, diagnostics, sheet, dict(tables or {}))
        if len(temps) > 1:
            write_accounting(temps[1], diagnostics)
        commit(temps, targets)
    except BaseException:
        for temp in temps:
            temp.unlink(missing_ok=True)
        raise
    return path


def csv_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as a CSV file holds it: local times as ISO 8601 text with their UTC
    offset (naive UTC ones are formatted by to_csv's date_format)."""
    import pandas as pd

    frame = frame.copy()
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
            frame[column] = frame[column].map(lambda t: "" if pd.isna(t) else t.isoformat())
    return frame


def write_accounting(path: Path, diagnostics: Mapping[str, Any] | None) -> None:
    """The line accounting as JSON (OUT.accounting.json beside a CSV)."""
    path.write_text(json.dumps(diagnostics, indent=1, default=_jsonable) + "\n", encoding="utf-8")


def commit(temps: list[Path], targets: list[Path]) -> None:
    """Move complete temporary files over their targets (each with the permissions of
    the file it replaces)."""
    for temp, target in zip(temps, targets):
        os.chmod(temp, _mode_for(target))
    for temp, target in zip(temps, targets):
        os.replace(temp, target)


def _write(frame: pd.DataFrame, path: Path, suffix: str, diagnostics: dict[str, Any] | None,
           sheet: str, tables: dict[str, pd.DataFrame]) -> None:
    import pandas as pd

    if suffix == ".csv" and isinstance(frame, FrameSlices):
        with open(path, "w", encoding="utf-8", newline="") as out:
            for i, part in enumerate(frame):
                csv_ready(part).to_csv(out, index=False, header=i == 0, date_format="%Y-%m-%dT%H:%M:%SZ")
    elif suffix == ".csv":
        csv_ready(frame).to_csv(path, index=False, date_format="%Y-%m-%dT%H:%M:%SZ")
    elif suffix in (".parquet", ".pq"):
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, preserve_index=False)
        if diagnostics is not None:
            metadata = dict(table.schema.metadata or {})
            metadata[PARQUET_KEY] = json.dumps(diagnostics, default=_jsonable).encode()
            table = table.replace_schema_metadata(metadata)
        pq.write_table(table, path)
    elif suffix == ".xlsx":
        _write_excel(path, {sheet: frame, **tables}, diagnostics)
    else:
        rows = [{k: _jsonable(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"rows": rows, "diagnostics": diagnostics or {}}, f, indent=1, default=_jsonable)
            f.write("\n")


def _excel_value(value: Any, duration: bool) -> Any:
    import pandas as pd

    from datetime import timedelta

    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, (pd.Timedelta, np.timedelta64)):
        return pd.Timedelta(value).to_pytimedelta()
    if duration and isinstance(value, (int, np.integer)):
        return timedelta(seconds=int(value))
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        stamp = pd.Timestamp(value)
        # Excel cells have no time zone: local wall-clock time (the header names the zone)
        return stamp.tz_localize(None).to_pydatetime() if stamp.tzinfo is not None else stamp.to_pydatetime()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _write_excel(path: Path, tables: dict[str, pd.DataFrame], diagnostics: dict[str, Any] | None) -> None:
    import pandas as pd

    try:
        from openpyxl import Workbook
        from openpyxl.styles import Font
    except ImportError as exc:
        raise ValueError(f"writing {path.name} needs openpyxl (pip install 'agentstats[excel]')") from exc

    book = Workbook()
    book.remove(book.active)
    for name, frame in tables.items():
        ws = book.create_sheet(title=name[:31])
        headers = []
        for column in frame.columns:
            zone = getattr(frame[column].dtype, "tz", None)
            headers.append(f"{column} ({zone})" if zone is not None else column)
        ws.append(headers)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        kinds = []
        for column in frame.columns:
            dtype = frame[column].dtype
            if pd.api.types.is_datetime64_any_dtype(dtype):
                kinds.append("time")
            elif pd.api.types.is_timedelta64_dtype(dtype) or _is_duration(column):
                kinds.append("dur")
            else:
                kinds.append("")
        for row in frame.itertuples(index=False, name=None):
            ws.append([_excel_value(v, k == "dur") for v, k in zip(row, kinds)])
        for j, kind in enumerate(kinds, start=1):
            form = {"time": "yyyy-mm-dd hh:mm:ss", "dur": "[h]:mm:ss"}.get(kind)
            letter = ws.cell(row=1, column=j).column_letter
            ws.column_dimensions[letter].width = max(12, min(40, len(headers[j - 1]) + 2))
            if form:
                for cells in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                    cells[0].number_format = form
        ws.freeze_panes = "A2"
    ws = book.create_sheet(title="accounting")
    ws.append(["section", "item", "value"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in accounting_rows(diagnostics):
        ws.append(list(row))
    ws.column_dimensions["B"].width = 28
    ws.column_dimensions["C"].width = 60
    book.save(path)


def _mode_for(path: Path) -> int:
    """The permissions of the file being replaced, else the usual ones (0666 - umask);
    the temporary file is created private."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
