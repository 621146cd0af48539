"""Which table format a file name says (no heavy import: the command line asks this of
every input, a queue_log included)."""

from __future__ import annotations

import os

__all__ = ["detect_format"]


def detect_format(path: str | os.PathLike, format: str = "auto") -> str:
    """"csv", "parquet" or "arrow" from the option or the file name."""
    if format != "auto":
        if format in ("feather", "ipc"):
            return "arrow"
        if format not in ("csv", "parquet", "arrow"):
            raise ValueError(f"unknown table format {format!r}: csv, parquet or arrow")
        return format
    name = str(path).lower()
    for suffix in (".gz", ".bz2", ".zst", ".xz"):
        name = name.removesuffix(suffix)
    if name.endswith((".csv", ".tsv")):
        return "csv"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith((".feather", ".arrow", ".ipc", ".arrows")):
        return "arrow"
    raise ValueError(f"{path}: cannot tell the table format from the name; give format=")
