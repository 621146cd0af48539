"""Write a report table to CSV, Parquet or JSON (chosen by the file name)."""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["write_report", "FILE_SUFFIXES"]

FILE_SUFFIXES = (".csv", ".parquet", ".json")


def _jsonable(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        return pd.Timestamp(value).isoformat() + ("Z" if pd.Timestamp(value).tzinfo is None else "")
    return value


def write_report(frame: pd.DataFrame, path: str | os.PathLike, *,
                 diagnostics: dict[str, Any] | None = None) -> Path:
    """CSV (times ISO 8601 UTC, durations in whole seconds), Parquet, or JSON
    (``{"rows": [...], "diagnostics": {...}}``). Returns the path written.

    The file is written under a temporary name in the same directory and renamed over
    `path` only once it is complete, so a failed write (disk full, a file-size limit)
    leaves an existing file of that name unchanged and no partial file behind."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq", ".json"):
        raise ValueError(f"{path}: the output must end in .csv, .parquet or .json")
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part",
                                     dir=path.parent if str(path.parent) else ".")
    os.close(fd)
    temp = Path(temp_name)
    try:
        _write(frame, temp, suffix, diagnostics)
        os.chmod(temp, _mode_for(path))
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return path


def _write(frame: pd.DataFrame, path: Path, suffix: str, diagnostics: dict[str, Any] | None) -> None:
    if suffix == ".csv":
        frame = frame.copy()
        for column in frame.columns:     # local times keep their UTC offset (ISO 8601)
            if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
                frame[column] = frame[column].map(lambda t: "" if pd.isna(t) else t.isoformat())
        frame.to_csv(path, index=False, date_format="%Y-%m-%dT%H:%M:%SZ")
    elif suffix in (".parquet", ".pq"):
        frame.to_parquet(path, index=False)
    else:
        rows = [{k: _jsonable(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"rows": rows, "diagnostics": diagnostics or {}}, f, indent=1, default=_jsonable)
            f.write("\n")


def _mode_for(path: Path) -> int:
    """The permissions of the file being replaced, else the usual ones (0666 - umask);
    the temporary file is created private."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
