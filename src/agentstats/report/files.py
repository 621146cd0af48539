"""Write a report table to CSV, Parquet or JSON (chosen by the file name)."""

from __future__ import annotations

import json
import os
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
    (``{"rows": [...], "diagnostics": {...}}``). Returns the path written."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame.to_csv(path, index=False, date_format="%Y-%m-%dT%H:%M:%SZ")
    elif suffix in (".parquet", ".pq"):
        frame.to_parquet(path, index=False)
    elif suffix == ".json":
        rows = [{k: _jsonable(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"rows": rows, "diagnostics": diagnostics or {}}, f, indent=1, default=_jsonable)
            f.write("\n")
    else:
        raise ValueError(f"{path}: the output must end in .csv, .parquet or .json")
    return path
