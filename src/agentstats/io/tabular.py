"""CSV / Parquet / Arrow (Feather) event tables -> agent-session statistics.

A column mapping says which column holds what:

    import_table("events.parquet", columns={"session": "sid", "time": "ts",
                 "state": "status", "wait": "hold_s", "agent": "who", "queue": "skill"})

Missing entries default to the column of the same name (``queue`` also finds
``acd_group``). States may be numbers 0..4 or names (``READY``, ``busy_on_call``,
TAPI's ``ASST_READY``...; case, spaces and hyphens do not matter). Numeric times are in
``time_unit`` (default seconds), timestamps and ISO strings are read as UTC; numeric
waits are in ``wait_unit`` (default seconds).

Files are read in record batches (``chunk_rows``) and fed to one
:class:`agentstats.Aggregator`, so memory depends on the number of sessions, not on
the file size. A session's rows must then not go back in time from one batch to the
next (a time-ordered file, the usual case, is fine); ``chunk_rows=None`` reads the
whole file at once and accepts any order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .formats import detect_format

__all__ = ["import_table", "read_table_events", "detect_format", "state_codes", "STATE_NAMES",
           "TableImport"]

STATE_NAMES = {
    "NOT_READY": 0, "READY": 1, "BUSY_ON_CALL": 2, "BUSY_WRAPUP": 3, "SESSION_ENDED": 4,
}
_ALIASES = {"BUSY": 2, "ON_CALL": 2, "WRAPUP": 3, "WRAP_UP": 3, "BUSY_WRAP_UP": 3,
            "ENDED": 4, "LOGGED_OUT": 4, "NOTREADY": 0}
_ROLES = ("session", "time", "state", "wait", "agent", "queue", "address")
_DEFAULT_CHUNK_ROWS = 1 << 20


@dataclass
class TableImport:
    table: Any                 # agentstats.SessionTable
    diagnostics: dict[str, Any]


def _state_key(name: str) -> str:
    key = name.strip().upper().replace("-", "_").replace(" ", "_")
    return key.removeprefix("ASST_").removeprefix("AS_")


def state_codes(values: Any) -> np.ndarray:
    """States given as numbers or names -> float64 codes (NaN for unknown/missing, which
    the aggregator counts or rejects as invalid_state)."""
    array = values.to_numpy(zero_copy_only=False) if isinstance(values, (pa.Array, pa.ChunkedArray)) \
        else np.asarray(values)
    if array.dtype.kind in "iuf":
        return array.astype(np.float64)
    out = np.full(len(array), np.nan)
    cache: dict[Any, float] = {}
    for i, value in enumerate(array):
        if value is None:
            continue
        code = cache.get(value)
        if code is None:
            text = str(value)
            key = _state_key(text)
            if key in STATE_NAMES:
                code = float(STATE_NAMES[key])
            elif key in _ALIASES:
                code = float(_ALIASES[key])
            else:
                try:
                    code = float(text)
                except ValueError:
                    code = np.nan
            cache[value] = code
        out[i] = code
    return out


def _resolve(columns: Mapping[str, str] | None, available: list[str], path: Path) -> dict[str, str]:
    columns = dict(columns or {})
    unknown = set(columns) - set(_ROLES) - {"acd_group"}
    if unknown:
        raise ValueError(f"unknown column role(s) {sorted(unknown)}; roles are {', '.join(_ROLES)}")
    if "acd_group" in columns:
        columns.setdefault("queue", columns.pop("acd_group"))
    lower = {name.lower(): name for name in available}
    mapping = {}
    for role in _ROLES:
        wanted = columns.get(role)
        if wanted is not None:
            if wanted not in available:
                raise ValueError(f"{path}: no column {wanted!r} (for {role}); columns are {available}")
            mapping[role] = wanted
            continue
        for candidate in ((role, "acd_group") if role == "queue" else (role,)):
            if candidate in available:
                mapping[role] = candidate
                break
            if candidate in lower:
                mapping[role] = lower[candidate]
                break
    missing = [role for role in ("session", "time", "state") if role not in mapping]
    if missing:
        raise ValueError(f"{path}: no column for {', '.join(missing)}; map it, e.g. "
                         f"--column {missing[0]}=NAME (columns are {available})")
    return mapping


def _batches(path: Path, fmt: str, chunk_rows: int | None) -> tuple[list[str], Iterator[pa.RecordBatch]]:
    import pyarrow.csv as pacsv
    import pyarrow.ipc as ipc
    import pyarrow.parquet as pq

    if fmt == "csv":
        # choice: CSV batches are cut by bytes, about 64 bytes per wanted row
        block = max(1 << 12, min(64 << 20, chunk_rows * 64)) if chunk_rows else (64 << 20)
        opts = pacsv.ReadOptions(block_size=block)
        if chunk_rows is None:
            table = pacsv.read_csv(path, read_options=opts)
            return table.column_names, iter(table.to_batches())
        reader = pacsv.open_csv(path, read_options=opts)
        return reader.schema.names, iter(reader)
    if fmt == "parquet":
        pf = pq.ParquetFile(path)
        names = pf.schema_arrow.names
        if chunk_rows is None:
            return names, iter(pf.read().to_batches())
        return names, pf.iter_batches(batch_size=chunk_rows)
    # Arrow IPC: the file format (Feather v2), else the stream format.
    try:
        reader = ipc.open_file(path)
        names = reader.schema.names
        return names, (reader.get_batch(i) for i in range(reader.num_record_batches))
    except pa.ArrowInvalid:
        reader = ipc.open_stream(path)
        return reader.schema.names, iter(reader)


#: the latest plausible time: 2200-01-01T00:00:00Z in seconds (the queue_log reader's
#: bound too); a later one means the time unit is wrong (or the value is corrupt)
LATEST_SECONDS = 7_258_118_400
_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}


class _Rows:
    """Names rows of one batch the way the user sees them: CSV lines (the header is
    line 1) or data rows (1-based) of other formats."""

    def __init__(self, path: Path, fmt: str, first_row: int) -> None:
        self.path, self.fmt, self.first_row = path, fmt, first_row

    def where(self, index: int) -> str:
        number = self.first_row + int(index)
        return f"line {number + 1}" if self.fmt == "csv" else f"row {number}"

    def error(self, index: int, column: str, role: str, message: str) -> ValueError:
        return ValueError(f"{self.path}: {self.where(index)}: column {column!r} ({role}): {message}")


def _plain(value: Any) -> str:
    """A value as the user wrote it (no NumPy or Arrow reprs)."""
    if isinstance(value, pa.Scalar):
        value = value.as_py()
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value) if isinstance(value, str) else str(value)


def _first_failure(strings: pa.Array, parse: Callable[[pa.Array], np.ndarray]) -> int:
    """Index of the first non-null string that `parse` (null/NaN/NaT on failure) cannot read."""
    parsed = parse(strings)
    present = ~np.asarray(strings.is_null().to_numpy(zero_copy_only=False))
    failed = present & pd.isna(parsed)
    return int(np.argmax(failed)) if failed.any() else -1


def _numbers_from_text(array: pa.Array, rows: _Rows, column: str, role: str) -> np.ndarray:
    """Text holding numbers -> float64 (null -> NaN); else an error naming the first row."""
    import pyarrow.compute as pc

    # empty or blank text is a missing value
    array = pc.if_else(pc.equal(pc.utf8_trim_whitespace(array), ""), pa.scalar(None, array.type), array)
    try:
        return pc.cast(array, pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        pass

    def parse(strings: pa.Array) -> np.ndarray:
        return pd.to_numeric(pd.Series(strings.to_pandas(), dtype=object).str.strip(), errors="coerce").to_numpy()

    bad = _first_failure(array, parse)
    if bad < 0:                          # pragma: no cover - Arrow and pandas disagree
        return parse(array).astype(np.float64)
    raise rows.error(bad, column, role, f"{_plain(array[bad])} is not a number")


def _text_of(array: pa.Array, rows: _Rows, column: str, role: str) -> pa.Array:
    """Binary values (a CSV column that is not valid UTF-8) as text, or an error
    naming the first value that is not."""
    if not (pa.types.is_binary(array.type) or pa.types.is_large_binary(array.type)):
        return array
    for index, value in enumerate(array.to_pylist()):
        if value is not None:
            try:
                value.decode("utf-8")
            except UnicodeDecodeError:
                raise rows.error(index, column, role, f"{value.decode('latin-1')!r} is not UTF-8 text") from None
    return array.cast(pa.string())      # pragma: no cover - Arrow found it binary for a reason


def _time_column(array: pa.Array, time_unit: str, rows: _Rows, column: str) -> Any:
    """Times as the Aggregator takes them; text is ISO 8601 (UTC) or numbers in
    `time_unit`; a time after the year 2200 is refused (see _check_time_scale)."""
    array = _text_of(array, rows, column, "time")
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        sample = array.drop_null()
        if len(sample) and _looks_numeric(sample[0].as_py()):
            # choice: numbers stored as text are numbers in time_unit
            numbers = _numbers_from_text(array, rows, column, "time")
            _check_time_scale(numbers, time_unit, rows, column)
            return numbers

        def parse(strings: pa.Array) -> np.ndarray:
            return pd.to_datetime(pd.Series(strings.to_pandas(), dtype=object), utc=True,
                                  format="ISO8601", errors="coerce").dt.tz_localize(None).to_numpy()

        try:
            values = pd.to_datetime(pd.Series(array.to_pandas(), dtype=object), utc=True,
                                    format="ISO8601").dt.tz_localize(None).to_numpy()
        except (ValueError, OverflowError):
            bad = _first_failure(array, parse)
            value = _plain(array[bad]) if bad >= 0 else "a value"
            raise rows.error(max(bad, 0), column, "time",
                             f"{value} is not a date-time (ISO 8601, e.g. 2026-03-02T18:00:00) "
                             f"or a number") from None
        _check_time_scale(values, "ns", rows, column)
        return values
    if pa.types.is_date(array.type):
        array = array.cast(pa.timestamp("s"))
    if pa.types.is_timestamp(array.type):
        ticks = array.cast(pa.int64()).to_numpy(zero_copy_only=False) if not array.null_count else \
            array.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
        _check_time_scale(ticks, array.type.unit, rows, column, stored=True)
        return array
    if pa.types.is_integer(array.type) or pa.types.is_floating(array.type):
        values = array.to_numpy(zero_copy_only=False) if not array.null_count else \
            array.cast(pa.float64()).to_numpy(zero_copy_only=False)
        _check_time_scale(values, time_unit, rows, column)
        return array
    return array      # other types (dictionary, decimal, ...): the aggregator decides


def _looks_numeric(text: Any) -> bool:
    text = str(text).strip().lstrip("+-")
    return bool(text) and text.replace(".", "", 1).isdigit() and text.isascii()


def _check_time_scale(values: np.ndarray, unit: str, rows: _Rows, column: str, *,
                      stored: bool = False) -> None:
    """Refuse times after the year 2200 (or before 1740): in a number column it means
    the unit is wrong (epoch milliseconds read as seconds give the year 55840)."""
    values = np.asarray(values)
    if values.dtype.kind == "M":
        values = values.view(np.int64).astype(np.float64)
        values[np.asarray(pd.isna(pd.Series(values)))] = np.nan
        unit = "ns"
    if not len(values) or values.dtype.kind not in "iuf":
        return
    limit = LATEST_SECONDS * _PER_SECOND[unit]
    with np.errstate(invalid="ignore"):
        as_float = values.astype(np.float64)
        beyond = np.abs(as_float) > limit          # NaN (missing) is not beyond; inf is
    if not beyond.any():
        return
    index = int(np.argmax(beyond))
    value = values[index]
    if not np.isfinite(as_float[index]):
        raise rows.error(index, column, "time", f"{_plain(value)} is not a time")
    seconds = float(value) / _PER_SECOND[unit]
    year = 1970 + int(seconds // 31_556_952)
    shown = _plain(int(value)) if float(value).is_integer() else _plain(value)
    if stored:
        raise rows.error(index, column, "time", f"{shown} {unit} is the year {year}, after 2200: "
                                                f"the file's times are not plausible")
    finer = [u for u in ("ms", "us", "ns") if _PER_SECOND[u] > _PER_SECOND[unit]
             and abs(float(value)) <= LATEST_SECONDS * _PER_SECOND[u] * 1.0]
    hint = (f"; if the times are in {_UNIT_WORDS[finer[0]]}, give --time-unit {finer[0]} "
            f"(time_unit=\"{finer[0]}\")" if finer else "")
    raise rows.error(index, column, "time", f"{shown} read in {_UNIT_WORDS[unit]} is the year {year}, "
                                            f"after 2200{hint}")


_UNIT_WORDS = {"s": "seconds", "ms": "milliseconds", "us": "microseconds", "ns": "nanoseconds"}


def _wait_column(array: pa.Array, wait_unit: str, rows: _Rows, column: str) -> Any:
    array = _text_of(array, rows, column, "wait")
    if pa.types.is_duration(array.type):
        return array
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        values = _numbers_from_text(array, rows, column, "wait")
    elif pa.types.is_integer(array.type) or pa.types.is_floating(array.type) or pa.types.is_null(array.type):
        values = array.to_numpy(zero_copy_only=False) if not array.null_count else \
            array.cast(pa.float64()).to_numpy(zero_copy_only=False)
    else:
        values = array.to_numpy(zero_copy_only=False)
    try:
        values = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise rows.error(0, column, "wait", f"waits of type {array.type} cannot be read "
                                            f"(give numbers or durations)") from None
    # A wait longer than the time since 1970 cannot be real (and would not fit in ns).
    with np.errstate(invalid="ignore"):
        beyond = np.abs(values) > LATEST_SECONDS * _PER_SECOND[wait_unit]
    if beyond.any():
        index = int(np.argmax(beyond))
        raise rows.error(index, column, "wait", f"{_plain(values[index])} {_UNIT_WORDS[wait_unit]} "
                                                f"is not a plausible wait")
    return pd.to_timedelta(values, unit=wait_unit).to_numpy()


def _check_unique(names: list[str], mapping: dict[str, str], path: Path) -> None:
    """A column name used for a role must name one column (Arrow would silently take
    one of them)."""
    for role, name in mapping.items():
        if names.count(name) > 1:
            raise ValueError(f"{path}: the column name {name!r} (used as {role}) appears "
                             f"{names.count(name)} times; rename the duplicates")


def read_table_events(
    path: str | os.PathLike,
    *,
    format: str = "auto",
    columns: Mapping[str, str] | None = None,
    time_unit: str = "s",
    wait_unit: str = "s",
    chunk_rows: int | None = _DEFAULT_CHUNK_ROWS,
) -> Iterator[dict[str, Any]]:
    """Event batches (dicts with session, time, state and the optional wait, agent,
    acd_group, address, plus first_row: the 1-based data row of the batch's first row)."""
    path = Path(path)
    fmt = detect_format(path, format)
    if not path.exists():
        from ..hresult import LINEERR_RESOURCEUNAVAIL, tapi_error

        raise tapi_error(LINEERR_RESOURCEUNAVAIL, f"{path}: no such file")
    try:
        names, batches = _batches(path, fmt, chunk_rows)
    except (OSError, pa.ArrowException) as exc:
        from ..hresult import LINEERR_RESOURCEUNAVAIL, tapi_error

        raise tapi_error(LINEERR_RESOURCEUNAVAIL, f"{path}: cannot read as {fmt}: {exc}") from exc
    mapping = _resolve(columns, names, path)
    _check_unique(list(names), mapping, path)
    first_row = 1
    pending: list[pa.RecordBatch] = []

    def emit(batch: pa.RecordBatch, first: int) -> dict[str, Any]:
        col = {role: batch.column(batch.schema.get_field_index(name)) for role, name in mapping.items()}
        rows = _Rows(path, fmt, first)
        out: dict[str, Any] = {
            "first_row": first,
            "session": col["session"],
            "time": _time_column(col["time"], time_unit, rows, mapping["time"]),
            "state": state_codes(col["state"]),
            "raw_state": col["state"],
        }
        if "wait" in col:
            out["wait"] = _wait_column(col["wait"], wait_unit, rows, mapping["wait"])
        for role, key in (("agent", "agent"), ("queue", "acd_group"), ("address", "address")):
            if role in col:
                out[key] = col[role]
        return out

    try:
        for batch in batches:
            if chunk_rows is None:
                pending.append(batch)
                continue
            if batch.num_rows == 0:
                continue
            yield emit(batch, first_row)
            first_row += batch.num_rows
        if pending:
            whole = pa.Table.from_batches(pending).combine_chunks()
            yield emit(pa.RecordBatch.from_arrays([c.combine_chunks() for c in whole.columns],
                                                  names=whole.column_names), 1)
    except pa.ArrowException as exc:
        from ..hresult import LINEERR_RESOURCEUNAVAIL, tapi_error

        raise tapi_error(LINEERR_RESOURCEUNAVAIL, f"{path}: near data row {first_row}: {exc}") from exc


def import_table(
    path: str | os.PathLike | list[str | os.PathLike],
    *,
    format: str = "auto",
    columns: Mapping[str, str] | None = None,
    time_unit: str = "s",
    wait_unit: str = "s",
    as_of: Any = None,
    strict: bool = True,
    n_threads: int | None = None,
    chunk_rows: int | None = _DEFAULT_CHUNK_ROWS,
    progress: Callable[[int], None] | None = None,
    on_chunk: Callable[[dict[str, Any]], None] | None = None,
) -> TableImport:
    """Aggregate an event table file (see the module docstring). In strict mode an
    unknown state or a missing time raises a ValueError naming the file and data row.
    Several files (a list) are aggregated together, in the order given. `on_chunk`
    sees every batch after it was aggregated (e.g. an IntervalRollup)."""
    from ..aggregate import Aggregator

    paths = [Path(p) for p in path] if isinstance(path, (list, tuple)) else [Path(path)]
    aggregator = Aggregator(unit=time_unit, as_of=as_of, strict=False, n_threads=n_threads)
    rows = 0
    for path in paths:
        rows = _feed(aggregator, path, rows, format=format, columns=columns, time_unit=time_unit,
                     wait_unit=wait_unit, chunk_rows=chunk_rows, strict=strict, progress=progress,
                     on_chunk=on_chunk)
    table = aggregator.result()
    return TableImport(table=table, diagnostics={"rows": rows, "files": [str(p) for p in paths]})


def _feed(aggregator, path: Path, rows: int, *, format, columns, time_unit, wait_unit,
          chunk_rows, strict, progress, on_chunk=None) -> int:
    fmt = detect_format(path, format)
    for batch in read_table_events(path, format=format, columns=columns, time_unit=time_unit,
                                   wait_unit=wait_unit, chunk_rows=chunk_rows):
        if strict:
            _check_rows(path, batch, fmt)
        try:
            aggregator.update(batch["session"], batch["time"], batch["state"],
                              wait=batch.get("wait"), agent=batch.get("agent"),
                              acd_group=batch.get("acd_group"), address=batch.get("address"))
        except (ValueError, TypeError) as exc:
            hint = (" (sort the file by time, or read it whole: chunk_rows=None, --whole-file)"
                    if "earlier than" in str(exc) else "")
            raise ValueError(f"{path}: rows {batch['first_row']}.."
                             f"{batch['first_row'] + len(batch['state']) - 1}: {exc}{hint}") from exc
        if on_chunk is not None:
            on_chunk(batch)
        rows += len(batch["state"])
        if progress is not None:
            progress(rows)
    return rows


def _check_rows(path: Path, batch: dict[str, Any], fmt: str = "csv") -> None:
    """Strict mode: name the first bad row by file and data row."""
    states = batch["state"]
    bad = ~((states >= 0) & (states <= 4) & (states == np.floor(states)))
    time = batch["time"]
    if isinstance(time, (pa.Array, pa.ChunkedArray)):
        missing = np.asarray(time.is_null().to_numpy(zero_copy_only=False))
        if pa.types.is_floating(time.type):
            missing |= np.isnan(time.to_numpy(zero_copy_only=False))
    else:
        missing = pd.isna(time)
    if bad.any() or missing.any():
        row = int(np.argmax(bad | missing))
        number = batch["first_row"] + row
        where = f"line {number + 1}" if fmt == "csv" else f"row {number}"
        if missing[row]:
            raise ValueError(f"{path}: {where}: missing time (use --lenient to skip and count such rows)")
        raw = batch["raw_state"][row].as_py()
        raise ValueError(f"{path}: {where}: state {raw!r} is not 0..4 or a state name "
                         f"({', '.join(STATE_NAMES)}) (use --lenient to skip and count such rows)")
