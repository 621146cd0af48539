"""Aggregation of a Dask dataframe: each partition on a worker, the pieces merged in order.

    import agentstats.dask
    table = agentstats.dask.aggregate(ddf, session="sid", time="ts", state="code")

Needs the `dask` extra (dask[dataframe] and distributed). With a `distributed.Client`
open, the work runs on its cluster; without one, on Dask's default local scheduler.

How (SPEC 2, 3: the same table as `agentstats.aggregate(ddf.compute(), ...)`):
1. Each partition is aggregated alone on a worker into partial per-session states
   (partial.PartialSessions: state records, keys, counts, first rows; a few dozen
   bytes a session, not the rows) and sent back.
2. When the partitions are in time order (every row of a partition at or after every
   row of the partitions before it: the usual layout of daily Parquet files; checked on
   the partitions' own min/max times), the pieces are merged in partition order.
   Sessions that cross partition edges are folded exactly; the rare sessions the fold
   cannot express (rows after a SESSION_ENDED of an earlier partition, a repeated call
   with a wait at a partition's start) are aggregated again from their own rows.
3. Otherwise the rows are shuffled by session first (each session's rows in one
   partition, keeping their order), and the pieces, which share no session, merged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .aggregate import OffTable, Unit
from .hresult import TapiError
from .partial import PartialSessions, check_time_order, merge_partials, partial_aggregate
from .table import SessionTable

if TYPE_CHECKING:
    import dask.dataframe as dd

__all__ = ["aggregate"]

_PART = "__agentstats_partition"
_ROW = "__agentstats_row"


def aggregate(
    ddf: dd.DataFrame,
    *,
    session: str,
    time: str,
    state: str,
    wait: str | None = None,
    agent: str | None = None,
    acd_group: str | None = None,
    address: str | None = None,
    unit: Unit | None = None,
    as_of: Any = None,
    strict: bool = True,
    off_table: OffTable = "count",
) -> SessionTable:
    """The SessionTable of a Dask dataframe's events, identical to `agentstats.aggregate`
    of the same rows in one process (partition order is row order).

    session, time, state, wait, agent, acd_group, address: column names, as for
    `agentstats.aggregate(table, ...)`; unit, as_of, strict, off_table: the same options.
    Runs on the current `distributed.Client` if one is open."""
    import dask
    import dask.dataframe as dd

    if not isinstance(ddf, dd.DataFrame):
        raise TypeError(f"agentstats.dask.aggregate takes a dask DataFrame, not {type(ddf).__name__}")
    given = {"session": session, "time": time, "state": state, "wait": wait, "agent": agent,
             "acd_group": acd_group, "address": address}
    names: dict[str, str] = {role: name for role, name in given.items() if name is not None}
    missing = [name for name in names.values() if name not in ddf.columns]
    if missing:
        raise KeyError(f"no column {missing[0]!r} in the dask DataFrame; its columns: "
                       + ", ".join(map(str, ddf.columns)))
    options = {"unit": unit, "as_of": as_of, "strict": strict, "off_table": off_table}
    frame = ddf[list(dict.fromkeys(names.values()))]

    # One pass: the pieces, and their time ranges, which say whether they may be merged
    # (a dataframe indexed by time with known divisions is in order by construction).
    pieces = dask.compute(*[dask.delayed(_piece)(part, names, options, number)
                            for number, part in enumerate(frame.to_delayed())])
    if _time_indexed(ddf, time) or check_time_order(pieces):
        return _merged(pieces, frame, names, options)
    return _shuffled(frame, names, options, session)


def _time_indexed(ddf: Any, time: str) -> bool:
    """Sorted by a time index with known divisions: in time order without looking.
    (Here `time` must also be a column; an index alone is not read.)"""
    return bool(ddf.known_divisions and ddf.index.name == time and time in ddf.columns)


def _piece(frame: pd.DataFrame, names: Mapping[str, str], options: Mapping[str, Any],
           number: int) -> PartialSessions:
    """One partition's partial states (runs on a worker)."""
    columns = {role: frame[name] for role, name in names.items()}
    try:
        return partial_aggregate(columns, **options)
    except TapiError as exc:
        raise type(exc)(exc.hresult, f"partition {number}: {exc.detail}") from None
    except (ValueError, TypeError, KeyError) as exc:
        exc.args = (f"partition {number}: {exc.args[0] if exc.args else exc}", *exc.args[1:])
        raise


def _merged(pieces: Sequence[PartialSessions], frame: Any, names: Mapping[str, str],
            options: Mapping[str, Any]) -> SessionTable:
    import dask

    def rows_of(keys: np.ndarray) -> list[Mapping[str, Any] | None]:
        """The rows of these sessions in each partition (few: only the sessions the
        fold of states cannot express), fetched from the workers."""
        parts = dask.compute(*[dask.delayed(_rows_of_sessions)(part, names, keys)
                               for part in frame.to_delayed()])
        return list(parts)

    return merge_partials(pieces, unit=options["unit"], as_of=options["as_of"],
                          off_table=options["off_table"], rows_of=rows_of)


def _rows_of_sessions(frame: pd.DataFrame, names: Mapping[str, str],
                      keys: np.ndarray) -> dict[str, np.ndarray] | None:
    chosen = frame[frame[names["session"]].isin(pd.Index(keys, dtype=object))]
    if not len(chosen):
        return None
    return {role: chosen[name] for role, name in names.items()}


def _shuffled(frame: Any, names: Mapping[str, str], options: Mapping[str, Any],
              session: str) -> SessionTable:
    """Rows shuffled by session (each session in one partition), then aggregated per
    partition; the rows of one session keep their order (partition, row) across the
    shuffle, so ties in time stay in input order (SPEC 1.1)."""
    import dask

    numbered = frame.map_partitions(_number_rows, meta=_numbered_meta(frame))
    by_session = numbered.shuffle(on=session)
    pieces = dask.compute(*[dask.delayed(_piece_in_input_order)(part, names, options, number)
                            for number, part in enumerate(by_session.to_delayed())])
    return merge_partials(pieces, unit=options["unit"], as_of=options["as_of"],
                          off_table=options["off_table"])


def _piece_in_input_order(frame: pd.DataFrame, names: Mapping[str, str],
                          options: Mapping[str, Any], number: int) -> PartialSessions:
    return _piece(frame.sort_values([_PART, _ROW], kind="stable"), names, options, number)


def _number_rows(frame: pd.DataFrame, partition_info: Mapping[str, Any] | None = None) -> pd.DataFrame:
    number = 0 if partition_info is None else int(partition_info["number"])
    return frame.assign(**{_PART: np.full(len(frame), number, dtype=np.int64),
                           _ROW: np.arange(len(frame), dtype=np.int64)})


def _numbered_meta(frame: Any) -> pd.DataFrame:
    meta = frame._meta
    return meta.assign(**{_PART: np.empty(0, dtype=np.int64), _ROW: np.empty(0, dtype=np.int64)})
