"""The queue report (`agentstats report LOG --by queue`): the queue statistics of the
callers (queued, answered, abandoned, service level, ...) beside the agent-hours the
members spent logged in to each queue; and the per-call file (`--calls FILE`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from .rows import ticks_per_second_of_calls as _ticks_per_second

# pandas, rich and the file writers are imported where used (a report that needs none
# of them starts quickly; the command line reads --service-level here on every run).
if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

__all__ = ["queue_report", "print_queue_table", "write_calls", "parse_service_levels",
           "AGENT_COLUMNS"]

#: agent-session columns kept beside the queue statistics, under names that say whose time it is
AGENT_COLUMNS = {
    "sessions": "agent_sessions",
    "session_duration": "agent_time_logged_in",
    "logged_in": "agent_time_logged_in",
    "not_ready": "agent_time_not_ready",
    "ready": "agent_time_ready",
    "number_of_calls": "agent_calls",
    "total_talk_time": "agent_talk_time",
    "talk_time": "agent_talk_time",
    "total_wrapup_time": "agent_wrapup_time",
    "wrapup_time": "agent_wrapup_time",
}


def parse_service_levels(text: str | None) -> tuple[int, ...]:
    """``"20,60"`` -> (20, 60); the default is (20,)."""
    if text is None:
        return (20,)
    values = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit():
            raise ValueError(f"--service-level takes whole seconds separated by commas (e.g. 20,60), not {text!r}")
        values.append(int(part))
    return tuple(dict.fromkeys(values))


def queue_report(result: Any, *, interval_minutes: int | None, service_levels: Sequence[int],
                 agent_frame: pd.DataFrame | None, tz: Any = None,
                 window_start: int | None = None) -> pd.DataFrame:
    """Queue statistics of a queue_log import, per queue (or per queue and interval), with
    the agent-session times of the same queue (and interval) joined as agent_* columns."""
    import pandas as pd

    # a window report: calls that entered from window_start (epoch seconds) on
    start = None if window_start is None else window_start * _ticks_per_second(result)
    stats = result.queue_stats(interval=interval_minutes, service_level=tuple(service_levels),
                               tz=tz, window_start=start).to_pandas()
    if agent_frame is None or len(agent_frame) == 0:
        return stats
    keys = ["queue"] + (["interval_start"] if interval_minutes else [])
    agents = agent_frame.rename(columns={"acd_group": "queue"})
    keep = [c for c in agents.columns if c in AGENT_COLUMNS]
    agents = agents[keys + keep].rename(columns=AGENT_COLUMNS)
    if interval_minutes and tz is None:
        agents["interval_start"] = pd.to_datetime(agents["interval_start"]).astype("datetime64[s]")
    elif interval_minutes and len(stats):
        agents["interval_start"] = agents["interval_start"].astype(stats["interval_start"].dtype)
    merged = stats.merge(agents, on=keys, how="outer")
    counts = [c for c in stats.columns if stats[c].dtype == "int64"]    # not the Int64 (missing-able) ones
    for column in counts:             # a queue with members but no caller: zero calls
        merged[column] = merged[column].fillna(0).astype("int64")
    for column in agents.columns:     # a queue (or interval) with callers but no member: no agent time
        if column not in keys:
            merged[column] = merged[column].fillna(0).astype("int64")
    return merged.sort_values(keys, kind="stable").reset_index(drop=True)


# column -> (header, kind) for the terminal
_QUEUE_COLUMNS = {
    "queue": ("Queue", "text"),
    "interval_start": ("Interval (UTC)", "time"),
    "total_calls_queued": ("Queued", "int"),
    "answered": ("Answered", "int"),
    "total_calls_abandoned": ("Abandoned", "int"),
    "timed_out": ("Timed out", "int"),
    "exited_empty": ("Exit empty", "int"),
    "exited_with_key": ("Exit key", "int"),
    "refused": ("Refused", "int"),
    "current_calls_queued": ("Waiting", "int"),
    "total_calls_flowed_in": ("Flowed in", "int"),
    "total_calls_flowed_out": ("Flowed out", "int"),
    "average_speed_of_answer": ("ASA", "dur"),
    "average_wait_time": ("Avg wait", "dur"),
    "longest_ever_wait_time": ("Max wait", "dur"),
    "abandon_rate": ("Abandon %", "pct"),
    "agent_time_logged_in": ("Agent-hours", "dur"),
}


# outcome columns shown only when some row has such a call (keeps the table narrow)
_SHOWN_IF_ANY = ("timed_out", "exited_empty", "exited_with_key", "refused", "current_calls_queued",
                 "total_calls_flowed_in", "total_calls_flowed_out")


def print_queue_table(frame: pd.DataFrame, *, title: str, console: Console, limit: int | None,
                      zone: str = "UTC") -> None:
    from rich.table import Table

    from .terminal import _cell, unit_of

    columns = [c for c in _QUEUE_COLUMNS if c in frame.columns
               and (c not in _SHOWN_IF_ANY or (frame[c] != 0).any())]
    levels = [c for c in frame.columns if c.startswith("service_level_")]
    if "abandon_rate" in columns:
        after = columns.index("abandon_rate") + 1
        columns[after:after] = levels
    table = Table(title=title, title_justify="left", header_style="bold", pad_edge=False)
    kinds = []
    for column in columns:
        if column.startswith("service_level_"):
            header, kind = f"SL {column[len('service_level_'):]}", "pct"
        else:
            header, kind = _QUEUE_COLUMNS[column]
            header = header.replace(" (UTC)", "")
        kinds.append(kind)
        unit = unit_of(kind, summed=column == "agent_time_logged_in", zone=zone)
        if kind == "pct":
            header = header.replace(" %", "")
        table.add_column(f"{header}\n{unit}" if unit else header, justify="left" if kind in ("text", "time")
                         else "right", no_wrap=True, min_width=max(len(header), len(unit)))
    shown = frame if limit is None or len(frame) <= limit else frame.head(limit)
    for row in shown[columns].itertuples(index=False, name=None):
        table.add_row(*(_percent(v) if k == "pct" else _cell(v, k) for v, k in zip(row, kinds)))
    console.print(table)
    if len(shown) < len(frame):
        console.print(f"[dim]... {len(frame) - len(shown):,} more rows "
                      f"(--limit 0 shows all; -o FILE.csv writes all)[/dim]")
    console.print("[dim]Each call counts in the interval it entered the queue; service level = calls "
                  "answered within T s / calls queued"
                  + ("; agent-hours are the members' logged-in time" if "agent_time_logged_in" in columns else "")
                  + ".[/dim]")


def _percent(value: Any) -> str:
    from .terminal import _is_pandas

    if value is None or _is_pandas(value, "NA") or float(value) != float(value):
        return "-"
    return f"{100 * float(value):.1f}"


def write_calls(frame: pd.DataFrame, path: str | os.PathLike, *,
                diagnostics: dict[str, Any] | None = None) -> Path:
    """The per-call table to CSV, Parquet or JSON (by the file name), with the line
    accounting as every report file carries it, atomically: a failure never leaves a
    half-written file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq", ".json"):
        raise ValueError(f"{path}: the call table must end in .csv, .parquet or .json")
    from .files import write_report

    return write_report(frame, path, diagnostics=diagnostics, sheet="calls")


def commit_streamed_calls(writer: Any, *, diagnostics: dict[str, Any] | None = None) -> Path:
    """Complete the per-call CSV a :class:`~agentstats.report.calls_file.CallsCsvWriter`
    wrote while the log was read, with its line accounting beside it, and move both to
    their names (the writer's temporary files are removed by its ``discard``)."""
    from .files import accounting_path, commit, write_accounting

    path = writer.path
    done = writer.finish(_empty_call_frame())
    targets = [path]
    temps = [done]
    if diagnostics is not None:
        temps.append(writer.new_temporary(accounting_path(path)))
        write_accounting(temps[1], diagnostics)
        targets.append(accounting_path(path))
    commit(temps, targets)
    return path


def _empty_call_frame() -> pd.DataFrame:
    """The per-call table of a log without calls (its columns and types)."""
    from ..io.queue_calls import QueueCallTracker

    return QueueCallTracker(where_of=str).frame()


def run_calls_report(args: Any, inputs: list[Path], *, console: Console, title: str) -> int:
    """`agentstats report FILE --format calls`: queue statistics of per-call tables (an
    export of another system). Bad input raises ValueError naming the file and row."""
    import pandas as pd

    from ..io.calls import call_columns, read_calls
    from ..queues import queue_stats

    if args.by != "queue":
        raise ValueError("a per-call table (--format calls) is reported --by queue")
    if args.calls:
        raise ValueError("--calls writes the calls of a queue_log; this input is already a call table")
    columns = dict(item.split("=", 1) for item in args.column)
    frames = []
    for path in inputs:
        frame = read_calls(path)
        try:    # each file alone first, so that an error names its file and row
            call_columns(frame, columns=columns, time_unit=args.time_unit, wait_unit=args.wait_unit)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
        frames.append(frame)
    calls = call_columns(pd.concat(frames, ignore_index=True), columns=columns,
                         time_unit=args.time_unit, wait_unit=args.wait_unit)
    from ..cli import _as_of

    from ..aggregate import _as_of_to_ticks
    from ..localtime import localise_frame
    from .files import write_report
    from .filters import filter_rows

    zone = getattr(args, "zone", None)
    start = getattr(args, "window_start", None)
    stats = queue_stats(calls, interval=args.interval, service_level=args.service_levels,
                        as_of=_as_of(args.as_of, zone), tz=zone,
                        window_start=None if start is None else _as_of_to_ticks(start, "ns"))
    if getattr(args, "agent_patterns", None):
        raise ValueError("--agent: this report has no agent column")
    frame = localise_frame(filter_rows(stats.to_pandas(), queues=getattr(args, "queue_patterns", ())), zone)
    # the accounting of a call table: every row read is a call (a bad row stops the report)
    diagnostics = {"calls": {"files": [str(p) for p in inputs], "rows": len(calls), "used": len(calls)}}
    if args.output:
        out = write_report(frame, args.output, diagnostics=diagnostics, sheet="queues")
        console.print(f"wrote {len(frame):,} rows to {out}")
    else:
        when = pd.Timestamp(stats.as_of, unit="ns") if stats.as_of is not None else None
        if when is not None and zone is not None:
            when = when.tz_localize("UTC").tz_convert(zone)
        noun = "queue interval" if args.interval else "queue"
        print_queue_table(frame, title=f"{title} — {len(frame):,} {noun}{'s' if len(frame) != 1 else ''}"
                                       + (f" as of {when:%Y-%m-%d %H:%M:%S} {zone or 'UTC'}" if when is not None
                                          else ""),
                          console=console, limit=args.limit or None, zone=str(zone or "UTC"))
    if not args.quiet:
        console.print(f"[bold]Calls[/bold]: {len(calls):,} rows read from {len(inputs)} file"
                      f"{'s' if len(inputs) != 1 else ''}")
    return 0
