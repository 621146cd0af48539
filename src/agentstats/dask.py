"""Aggregation of a Dask dataframe: each partition on a worker, the pieces merged in order.

    import agentstats.dask
    table = agentstats.dask.aggregate(ddf, session="sid", time="ts", state="code")

Needs the `dask` extra (dask[dataframe] and distributed). With a `distributed.Client`
open, the work runs on its cluster; without one, on Dask's default local scheduler.

How (the same table, and the same row accounting, as `agentstats.aggregate(ddf.compute(), ...)`):
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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .aggregate import OffTable, Unit
from .hresult import TapiError
from .partial import PartialSessions, check_time_order, merge_partials, partial_aggregate
from .table import SessionTable

if TYPE_CHECKING:
    import dask.dataframe as dd

__all__ = ["aggregate", "agent_stats", "queue_stats", "AgentFrames"]

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
    shuffle, so ties in time stay in input order."""
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


# -- the agent view and the queue statistics ------------------------------------------
#
# Both decompose without a merge of states: an agent's timeline needs every row of that
# agent and nothing else (so the rows are shuffled by agent), and a queued call is one
# row whose statistics add up per queue and interval (so every partition is aggregated
# alone and the cells are summed). Both need the report time of the whole log first.


@dataclass
class AgentFrames:
    """What :func:`agent_stats` gives: the frames of an AgentTable (``to_pandas()``,
    ``intervals()`` when an interval was asked, ``reasons()``), agents in the order of
    their first row, and the row accounting summed over the partitions."""

    agents: pd.DataFrame
    intervals: pd.DataFrame | None
    reasons: pd.DataFrame
    diagnostics: dict[str, int]
    as_of: Any


def agent_stats(
    ddf: dd.DataFrame,
    *,
    session: str,
    time: str,
    state: str,
    agent: str,
    wait: str | None = None,
    reason: str | None = None,
    presence: str | None = None,
    unit: Unit | None = None,
    as_of: Any = None,
    interval: int | str | None = None,
    strict: bool = True,
) -> AgentFrames:
    """The agent view (one wall-clock timeline per agent) of a Dask dataframe's events,
    identical to ``agentstats.agent_stats`` of the same rows in one process (partition
    order is row order). Column names and options as for ``agentstats.agent_stats``.

    The rows are shuffled by agent (each agent's rows in one partition, in their input
    order), each partition's agents computed on a worker, and the frames concatenated."""
    import dask

    given = {"session": session, "time": time, "state": state, "agent": agent, "wait": wait,
             "reason": reason, "presence": presence}
    names = _checked_names(ddf, given, "agent_stats")
    frame = ddf[list(dict.fromkeys(names.values()))]
    options = {"unit": unit, "interval": interval, "strict": strict}
    numbered = frame.map_partitions(_number_rows, meta=_numbered_meta(frame))
    parts = numbered.shuffle(on=agent).to_delayed()
    if as_of is None:
        # The default report time is the log's latest valid time, not each partition's.
        ends = dask.compute(*[dask.delayed(_agent_end)(part, names, options) for part in parts])
        known = [end for end in ends if end is not None]
        as_of = max(known) if known else None
    results = dask.compute(*[dask.delayed(_agents_of)(part, names, options, as_of, number)
                             for number, part in enumerate(parts)])
    results = [r for r in results if r is not None]
    if not results:
        empty = _agents_of(numbered._meta, names, options, as_of, 0, empty_ok=True)
        results = [empty]
    from .aggregate import _sorting_order

    # The order of one process: agents sorted when their keys compare, else first seen.
    agents = pd.concat([r["agents"] for r in results], ignore_index=True)
    agents = agents.iloc[np.argsort(np.concatenate([r["first"] for r in results]), kind="stable")]
    by_key = _sorting_order(agents["agent"].to_numpy(dtype=object))
    if by_key is not None:
        agents = agents.iloc[by_key]
    position = dict(zip(agents["agent"].tolist(), range(len(agents))))

    def in_agent_order(key: str) -> pd.DataFrame:
        combined = pd.concat([r[key] for r in results], ignore_index=True)
        rank = combined["agent"].map(position).to_numpy()
        return combined.iloc[np.argsort(rank, kind="stable")].reset_index(drop=True)

    diagnostics: dict[str, int] = {}
    for r in results:
        for bucket, count in r["diagnostics"].items():
            diagnostics[bucket] = diagnostics.get(bucket, 0) + int(count)
    return AgentFrames(agents=agents.reset_index(drop=True),
                       intervals=in_agent_order("intervals") if interval is not None else None,
                       reasons=in_agent_order("reasons"), diagnostics=diagnostics, as_of=as_of)


def _checked_names(ddf: Any, given: Mapping[str, str | None], what: str) -> dict[str, str]:
    import dask.dataframe as dd

    if not isinstance(ddf, dd.DataFrame):
        raise TypeError(f"agentstats.dask.{what} takes a dask DataFrame, not {type(ddf).__name__}")
    names = {role: name for role, name in given.items() if name is not None}
    missing = [name for name in names.values() if name not in ddf.columns]
    if missing:
        raise KeyError(f"no column {missing[0]!r} in the dask DataFrame; its columns: "
                       + ", ".join(map(str, ddf.columns)))
    return names


def _as_of_value(table: Any, column: pd.Series) -> Any:
    """A table's report time (ticks) as a value the next call reads in the same unit."""
    if table.as_of is None:
        return None
    if pd.api.types.is_datetime64_any_dtype(column):
        return np.datetime64(int(table.as_of), table.time_unit)
    return int(table.as_of)


def _agent_end(frame: pd.DataFrame, names: Mapping[str, str], options: Mapping[str, Any]) -> Any:
    """The latest valid time of one partition (its agent view's default report time)."""
    from .agents import agent_stats as one_process

    if not len(frame):
        return None
    columns = {role: frame[name] for role, name in names.items()}
    table = one_process(**columns, unit=options["unit"], strict=options["strict"], sessions=False)
    return _as_of_value(table, frame[names["time"]])


def _agents_of(frame: pd.DataFrame, names: Mapping[str, str], options: Mapping[str, Any],
               as_of: Any, number: int, *, empty_ok: bool = False) -> dict[str, Any] | None:
    """The agent frames of one partition that holds every row of its agents (a worker)."""
    from .agents import agent_stats as one_process

    if not len(frame) and not empty_ok:
        return None
    frame = frame.sort_values([_PART, _ROW], kind="stable")
    columns = {role: frame[name] for role, name in names.items()}
    try:
        table = one_process(**columns, unit=options["unit"], strict=options["strict"],
                            as_of=as_of, interval=options["interval"], sessions=False)
    except TapiError as exc:
        raise type(exc)(exc.hresult, f"partition {number}: {exc.detail}") from None
    except (ValueError, TypeError, KeyError) as exc:
        exc.args = (f"partition {number}: {exc.args[0] if exc.args else exc}", *exc.args[1:])
        raise
    agents = table.to_pandas()
    # each agent's first row in the whole log: (partition, row) of the input
    position = frame[_PART].to_numpy() * (1 << 40) + frame[_ROW].to_numpy()
    first = pd.Series(position).groupby(frame[names["agent"]].to_numpy(), sort=False).min()
    return {
        "agents": agents,
        "first": first.reindex(agents["agent"]).to_numpy(dtype=np.int64),
        "intervals": table.intervals() if options["interval"] is not None else None,
        "reasons": table.reasons(),
        "diagnostics": table.diagnostics,
    }


def queue_stats(
    ddf: dd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
    time_unit: str = "s",
    wait_unit: str = "s",
    interval: int | str | None = None,
    service_level: Sequence[int] | int = (20,),
    as_of: Any = None,
) -> Any:
    """Queue statistics of a Dask dataframe of queued calls (one row per caller's stay
    in a queue), identical to ``agentstats.queue_stats`` of the same rows in one process
    (rows in queue then interval order). Options as for ``agentstats.queue_stats``.

    Every partition is aggregated alone on a worker with the report time of the whole
    table; the cells of the pieces add up exactly (counts and tick sums add, longest
    waits take the maximum). The result is a QueueTable without the ITQueue facade
    (that needs the calls in one process)."""
    import dask

    from .queues import QueueTable

    if not hasattr(ddf, "to_delayed"):
        raise TypeError(f"agentstats.dask.queue_stats takes a dask DataFrame, not {type(ddf).__name__}")
    read = {"columns": columns, "time_unit": time_unit, "wait_unit": wait_unit}
    parts = ddf.to_delayed()
    if as_of is None:
        ends = dask.compute(*[dask.delayed(_calls_end)(part, read) for part in parts])
        known = [end for end in ends if end is not None]
        as_of = max(known) if known else None
    pieces = dask.compute(*[dask.delayed(_queue_piece)(part, read, interval, service_level, as_of)
                            for part in parts])
    pieces = [piece for piece in pieces if piece is not None and len(piece)]
    if not pieces:
        return _queue_piece(ddf._meta, read, interval, service_level, as_of, empty_ok=True)
    names = sorted({name for piece in pieces for name in piece.queue_names}, key=str)
    code_of = {name: code for code, name in enumerate(names)}
    cells: dict[tuple[int, int], int] = {}
    rows = []
    for piece in pieces:
        codes = np.array([code_of[n] for n in piece.queue_names], dtype=np.int64)[piece.queue_code]
        starts = (piece.interval_start if piece.interval_start is not None
                  else np.zeros(len(piece), dtype=np.int64))
        rows.append([cells.setdefault((int(q), int(t)), len(cells)) for q, t in zip(codes, starts)])
    keys = np.array(list(cells), dtype=np.int64).reshape(-1, 2)
    order = np.lexsort((keys[:, 1], keys[:, 0]))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))

    def combined(kind: str, add: bool) -> dict[Any, np.ndarray]:
        out: dict[Any, np.ndarray] = {}
        for name in getattr(pieces[0], kind):
            total = np.zeros(len(cells), dtype=np.int64) if add else np.full(len(cells), -1, np.int64)
            for piece, where in zip(pieces, rows):
                values = getattr(piece, kind)[name]
                if add:
                    np.add.at(total, rank[where], values)
                else:
                    np.maximum.at(total, rank[where], values)
            out[name] = total
        return out

    first = pieces[0]
    return QueueTable(
        queue_names=names, queue=keys[order, 0],
        interval_start=keys[order, 1] if first.interval_start is not None else None,
        counts=combined("counts", True), sums=combined("sums", True),
        maxima=combined("maxima", False), within=combined("within", True),
        ticks_per_second=first.ticks_per_second, interval=first.interval, as_of=as_of)


def _calls_end(frame: pd.DataFrame, read: Mapping[str, Any]) -> int | None:
    from .io.calls import call_columns

    if not len(frame):
        return None
    calls = call_columns(frame, **read)
    return calls.default_as_of if calls.default_as_of is not None else calls.latest_time()


def _queue_piece(frame: pd.DataFrame, read: Mapping[str, Any], interval: Any, service_level: Any,
                 as_of: Any, *, empty_ok: bool = False) -> Any:
    from .queues import queue_stats as one_process

    if not len(frame) and not empty_ok:
        return None
    return one_process(frame, interval=interval, service_level=service_level, as_of=as_of, **read)
