"""Tables in and tables out: data frames as inputs and results.

Inputs: anything that speaks the Arrow PyCapsule stream interface (`__arrow_c_stream__`:
pyarrow Tables and RecordBatchReaders, polars DataFrames, DuckDB relations, pandas
>= 2.2), the dataframe interchange protocol (`__dataframe__`), pandas DataFrames and
plain mappings of name -> column. `columns_from_table()` picks the named columns and
hands each one over in the form columns.py reads exactly, without copying where the
layout allows (see `_column_view`).

Outputs: `arrow_table()` builds a pyarrow.Table straight from result arrays (no pandas
in between); `to_pandas()` / `to_polars()` convert that table; `ArrowStreamExport` is the
`__arrow_c_stream__` export for result objects.

Entry points use `call_columns()` to accept both call forms: separate columns
(`f(session, time, state, ...)`) and a table with column names (`f(table, session="sid",
...)`, `f("sid", "ts", "code", data=table)`, `table.pipe(f, session="sid", ...)`):

    def agent_stats(*columns, agent=None, time=None, state=None, data=None, ...):
        given = frames.call_columns(columns, data, {"agent": agent, "time": time,
                                    "state": state, ...}, required=("agent", "time", "state"),
                                    what="agent_stats")
        # given: {role: column}, each column readable by columns.py

A result object exports with `frames.arrow_table(columns, timestamps=..., durations=...,
time_unit=..., tz=..., duration_unit=...)`, then `frames.to_pandas` / `frames.to_polars`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import sys
from typing import TYPE_CHECKING, Any

import numpy as np

# pandas and pyarrow are imported where used (quick start-up); a value can only be a
# pandas or Arrow object when its library is already imported (see sys.modules below).
if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = [
    "DURATIONS",
    "arrow_table",
    "call_columns",
    "columns_from_table",
    "is_table",
    "to_pandas",
    "to_polars",
]

DURATIONS = ("seconds", "timedelta")


# -- tables in ---------------------------------------------------------------------


def is_table(value: Any) -> bool:
    """Is `value` a table (rather than one column)? Columns that also export an Arrow
    stream (pyarrow ChunkedArray, polars Series) are columns."""
    pa, pd = sys.modules.get("pyarrow"), sys.modules.get("pandas")
    if isinstance(value, np.ndarray):
        return False
    if pa is not None and isinstance(value, (pa.Array, pa.ChunkedArray)):
        return False
    if pd is not None and isinstance(value, (pd.Series, pd.Index)):
        return False
    if type(value).__module__.startswith("polars") and type(value).__name__ == "Series":
        return False
    return (isinstance(value, Mapping)
            or (pd is not None and isinstance(value, pd.DataFrame))
            or (pa is not None and isinstance(value, (pa.Table, pa.RecordBatch, pa.RecordBatchReader)))
            or hasattr(value, "__arrow_c_stream__") or hasattr(value, "__dataframe__"))


def call_columns(
    args: Sequence[Any], data: Any, named: Mapping[str, Any], *, required: Sequence[str],
    what: str = "aggregate",
) -> dict[str, Any]:
    """The columns of one call, in either form, as {role: column} (roles whose value is
    None are left out).

    args: the positional arguments; named: the keyword columns by role, in positional
    order (e.g. session, time, state, wait, ...); required: roles that must be given.

    - f(table, session="sid", time="ts", ...): one positional table, names as keywords
    - f("sid", "ts", "code", data=table): names positional or keyword, table as `data`
    - f(session_array, time_array, state_array, ...): columns (the array form)
    """
    roles = list(named)
    if data is None and len(args) == 1:
        names_given = any(isinstance(value, str) for value in named.values())
        if is_table(args[0]) or names_given and not hasattr(args[0], "__len__"):
            data, args = args[0], ()
    if len(args) > len(required):
        raise TypeError(f"{what}() takes at most {len(required)} positional columns "
                        f"({', '.join(required)}), got {len(args)}")
    given = dict(named)
    for role, value in zip(roles, args):
        if given[role] is not None:
            raise TypeError(f"{what}() got {role} both as a positional and a keyword argument")
        given[role] = value
    missing = [role for role in required if given[role] is None]
    if missing:
        form = "column names" if data is not None else "columns"
        raise TypeError(f"{what}() is missing {form} for: {', '.join(missing)}")
    wanted = {role: value for role, value in given.items() if value is not None}
    if data is None:
        return wanted
    not_names = [role for role, value in wanted.items() if not isinstance(value, str)]
    if not_names:
        raise TypeError(f"with a table, {', '.join(not_names)} must be column names (str), "
                        f"not {type(wanted[not_names[0]]).__name__}")
    return columns_from_table(data, wanted)


def columns_from_table(table: Any, names: Mapping[str, str]) -> dict[str, Any]:
    """{role: column} for {role: column name} of any supported table.

    pandas DataFrames give their Series (read as they are, extension dtypes too); every
    other table is read through Arrow, only the named columns; a column in one chunk of
    int64, float or timestamp values without nulls becomes a NumPy view of the Arrow
    buffer (no copy). Copies happen for a column in several chunks (joined once: a
    DuckDB result comes in batches), and for columns with nulls, strings or
    dictionaries (read by value)."""
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(table, pd.DataFrame):
        _check_names(list(map(str, table.columns)), names, table)
        return {role: table[name] for role, name in names.items()}
    if isinstance(table, Mapping):
        _check_names([str(k) for k in table], names, table)
        return {role: table[name] for role, name in names.items()}
    arrow = _as_arrow(table, list(dict.fromkeys(names.values())))
    return {role: _column_view(arrow.column(name)) for role, name in names.items()}


def _as_arrow(table: Any, wanted: list[str]) -> pa.Table:
    import pyarrow as pa

    if isinstance(table, pa.RecordBatch):
        table = pa.Table.from_batches([table])
    if isinstance(table, pa.Table):
        _check_names(table.column_names, dict(zip(wanted, wanted)), table)
        return table.select(wanted)
    # Narrow first where the table can (polars, DuckDB: only these columns leave it).
    select = getattr(table, "select", None)
    module = type(table).__module__
    if callable(select) and (module.startswith("polars") or module.startswith("duckdb")):
        columns = list(getattr(table, "columns", []))
        _check_names(columns, dict(zip(wanted, wanted)), table)
        table = select(*[_quoted(name) if module.startswith("duckdb") else name for name in wanted])
    if hasattr(table, "__arrow_c_stream__"):
        arrow = pa.RecordBatchReader.from_stream(table).read_all()
    elif hasattr(table, "__dataframe__"):
        import pyarrow.interchange

        arrow = pyarrow.interchange.from_dataframe(table)
    else:
        raise TypeError(f"{type(table).__name__} is not a table agentstats can read (give a "
                        "pandas, polars, pyarrow or DuckDB table, or separate columns)")
    _check_names(arrow.column_names, dict(zip(wanted, wanted)), table)
    return arrow.select(wanted)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _check_names(columns: list[str], names: Mapping[str, str], table: Any) -> None:
    for role, name in names.items():
        if name not in columns:
            shown = ", ".join(columns[:20]) + (", ..." if len(columns) > 20 else "")
            raise KeyError(f"no column {name!r} (for {role}) in the {type(table).__name__}; "
                           f"its columns: {shown}")


def _column_view(column: pa.ChunkedArray) -> Any:
    """A NumPy view of one Arrow column when its layout is NumPy's (one chunk, fixed
    width, no nulls), else the Arrow column itself (columns.py reads it by value)."""
    import pyarrow as pa

    viewable = (pa.types.is_integer, pa.types.is_floating, pa.types.is_timestamp, pa.types.is_duration)
    if column.num_chunks > 1:
        column = column.combine_chunks()          # one copy: NumPy needs one buffer
    chunk = column.chunk(0) if isinstance(column, pa.ChunkedArray) and column.num_chunks == 1 else column
    if isinstance(chunk, pa.ChunkedArray) or chunk.null_count or not any(is_(chunk.type) for is_ in viewable):
        return column
    if pa.types.is_timestamp(chunk.type):
        dtype = np.dtype(f"datetime64[{chunk.type.unit}]")   # Arrow stores UTC ticks
    elif pa.types.is_duration(chunk.type):
        dtype = np.dtype(f"timedelta64[{chunk.type.unit}]")
    else:
        dtype = np.dtype(chunk.type.to_pandas_dtype())
    data = chunk.buffers()[1]
    return np.frombuffer(data, dtype=dtype, count=len(chunk), offset=chunk.offset * dtype.itemsize)


# -- tables out --------------------------------------------------------------------


def arrow_table(
    columns: Mapping[str, Any], *, timestamps: Sequence[str] = (), durations: Sequence[str] = (),
    time_unit: str = "s", ticks_per_second: int = 1, tz: str | None = "UTC",
    duration_unit: str = "seconds",
) -> pa.Table:
    """A pyarrow.Table from result arrays, without pandas.

    columns: name -> NumPy array, pandas/Arrow array or object array (keys).
    timestamps: names of int64 tick columns (`time_unit`) made tz-aware timestamps.
    durations: names of int64 whole-second columns; with duration_unit="timedelta" they
        become Arrow durations (in seconds), else they stay int64 seconds.
    A NumPy int64/float64 column without a mask is wrapped, not copied."""
    import pyarrow as pa

    if duration_unit not in DURATIONS:
        raise ValueError(f"durations must be 'seconds' or 'timedelta', not {duration_unit!r}")
    if tz is not None:
        _check_zone(tz)
    arrays, fields = [], []
    for name, values in columns.items():
        if name in timestamps:
            array = pa.array(np.asarray(values, dtype=np.int64), type=pa.int64()).view(
                pa.timestamp(time_unit, tz=tz))
        elif name in durations and duration_unit == "timedelta":
            array = _as_arrow_array(values).cast(pa.duration("s"))
        else:
            array = _as_arrow_array(values)
        arrays.append(array)
        fields.append(pa.field(name, array.type))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _as_arrow_array(values: Any) -> pa.Array:
    import pandas as pd
    import pyarrow as pa

    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values
    if isinstance(values, pd.api.extensions.ExtensionArray):
        return pa.array(values)
    array = np.asarray(values)
    if array.dtype == object:
        return pa.array(array.tolist()) if len(array) else pa.array([], type=pa.null())
    return pa.array(array)


def _check_zone(tz: str) -> None:
    import zoneinfo

    if tz == "UTC":
        return
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"tz must be a time zone name such as 'UTC' or 'Europe/Paris', "
                         f"not {tz!r}") from None


def to_pandas(table: pa.Table, *, nullable: Sequence[str] = ()) -> pd.DataFrame:
    """pandas from a result table: the `nullable` integer columns become Int64 (<NA>
    for null), other integers stay int64; timestamps keep their zone, durations become
    timedelta64."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    frame = table.to_pandas()
    for name in nullable:
        if name in frame.columns and pa.types.is_integer(table.schema.field(name).type):
            column = table.column(name)
            values = pc.fill_null(column, 0).to_numpy().astype(np.int64, copy=False)
            mask = column.is_null().to_numpy(zero_copy_only=False)
            frame[name] = pd.arrays.IntegerArray(values, mask)
    return frame


def to_polars(table: pa.Table) -> Any:
    """polars from a result table (zero-copy for the numeric columns)."""
    try:
        import polars as pl
    except ImportError as exc:  # pragma: no cover - polars is optional
        raise ImportError("to_polars() needs polars: pip install polars") from exc
    return pl.from_arrow(table)


class TableExports:
    """Arrow, polars and the Arrow stream for a result class that has ``to_arrow()``
    (the agent and queue tables), and a clear error where ``pd.DataFrame(result)`` or
    ``np.asarray(result)`` would silently iterate it."""

    def to_polars(self) -> Any:
        """The same table as a polars DataFrame (from the Arrow table, no copy)."""
        import polars as pl

        return pl.from_arrow(self.to_arrow())   # type: ignore[attr-defined]

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        """The Arrow PyCapsule stream: ``pa.table(t)``, ``pl.DataFrame(t)`` and DuckDB
        read the table directly."""
        return self.to_arrow().__arrow_c_stream__(requested_schema)   # type: ignore[attr-defined]

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"a {type(self).__name__} is not an array: use .to_pandas(), "
                        ".to_polars(), .to_arrow() or pa.table(table)")
