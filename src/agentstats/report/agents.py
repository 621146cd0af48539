"""`agentstats report --by agent`: the agent view (one wall-clock timeline per agent
across its queues), per agent or per agent and interval, on the screen or in a file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

# pandas is imported by the frames (files, intervals); the screen report of agents is
# NumPy columns (report.rows)
if TYPE_CHECKING:
    import pandas as pd

__all__ = ["agent_frame", "interval_frame", "run_agent_report"]

# Screen and file columns (times in whole seconds), in this order.
AGENT_REPORT_COLUMNS = ("agent", "state", "first_login", "last_logoff", "logged_in", "talk",
                        "wrapup", "ready", "not_ready", "calls", "missed", "transfers",
                        "occupancy", "utilisation", "average_handle_time", "calls_per_hour")


def _seconds(values: pd.Series) -> pd.Series:
    """Exact timedelta64 -> whole seconds (floor), missing stays missing."""
    import pandas as pd

    ns = values.astype("timedelta64[ns]").to_numpy().view(np.int64)
    missing = values.isna().to_numpy()
    out = pd.array(ns // 10**9, dtype="Int64")
    out[missing] = pd.NA
    return pd.Series(out, index=values.index)


def agent_frame(table: Any) -> pd.DataFrame:
    """One row per agent, times in whole seconds."""
    frame = table.to_pandas()
    for column in ("logged_in", "talk", "wrapup", "ready", "not_ready", "average_handle_time"):
        frame[column] = _seconds(frame[column])
    return frame[list(AGENT_REPORT_COLUMNS)]


def interval_frame(table: Any) -> pd.DataFrame:
    """One row per agent and interval, with the interval report's column names."""
    import pandas as pd

    frame = table.intervals()
    out = pd.DataFrame({"agent": frame["agent"], "interval_start": frame["interval_start"]})
    for column, name in (("logged_in", "logged_in"), ("not_ready", "not_ready"),
                         ("ready", "ready"), ("talk", "talk_time"), ("wrapup", "wrapup_time")):
        out[name] = _seconds(frame[column])
    out["number_of_calls"] = frame["calls"].to_numpy()
    out["call_time"] = out["talk_time"] + out["wrapup_time"]
    return out


def run_agent_report(args: argparse.Namespace, inputs: list[Path], kind: str, *,
                     options: dict[str, Any], as_of: Any, progress: Any, window_start: Any = None,
                     numpy_rows: bool = False) -> tuple[Any, str, dict[str, Any] | None, dict[str, int], Any]:
    """The agent table of the inputs: (frame, row kind, line accounting, event
    accounting, as_of datetime). `options`: the QueueLogImporter options of a
    queue_log, or {"columns": role -> name} of an event table. numpy_rows: the rows of
    a queue_log without intervals as report.rows.ReportColumns (no pandas) instead of
    a DataFrame."""
    from ..agents import AgentAggregator
    from ..io.queue_log_agents import queue_log_agent_stats

    interval = args.interval or None
    if kind == "queue_log":
        table = queue_log_agent_stats(inputs, as_of=as_of, interval=interval, sessions=False,
                                      progress=progress, tz=getattr(args, "zone", None),
                                      window_start=window_start, **options)
        importer = table.queue_log
        from .memory import release_free_heap

        release_free_heap()         # what the import freed, before the report's frames
    else:
        from ..io.tabular import import_table

        aggregator = AgentAggregator(unit=args.time_unit, as_of=as_of, interval=interval,
                                     strict=not args.lenient, sessions=False,
                                     tz=getattr(args, "zone", None), window_start=window_start)

        def update(batch: dict[str, Any]) -> None:
            if "agent" not in batch:
                raise ValueError("--by agent: the input has no agent column "
                                 "(name it with --column agent=NAME)")
            aggregator.update(batch["session"], batch["time"], batch["state"], agent=batch["agent"])

        import_table(inputs, format=kind, columns=options.get("columns", {}), time_unit=args.time_unit,
                     wait_unit=args.wait_unit, as_of=as_of, strict=not args.lenient,
                     progress=progress, on_chunk=update,
                     **({"chunk_rows": None} if args.whole_file else {}))
        table = aggregator.result()
        importer = None
    if numpy_rows and kind == "queue_log" and not interval:
        from .rows import agent_rows

        frame = agent_rows(table, window=window_start is not None)
    else:
        frame = interval_frame(table) if interval else agent_frame(table)
        if window_start is not None and not interval:
            import pandas as pd

            # missed offers and transfers are counted per log, not per window
            for column in ("missed", "transfers"):
                frame[column] = pd.array([pd.NA] * len(frame), dtype="Int64")
    if getattr(args, "queue_patterns", None):
        # the agents who were members of a matching queue (their whole timeline)
        from .filters import matches

        sessions = getattr(table, "session_columns", None)
        if sessions is None or "acd_group" not in sessions:
            raise ValueError("--queue with --by agent needs a queue_log input (or --by queue)")
        members = {agent for agent, member in zip(sessions["agent"], matches(sessions["acd_group"],
                                                                               args.queue_patterns)) if member}
        frame = frame[np.array([agent in members for agent in np.asarray(frame["agent"]).tolist()],
                               dtype=bool)].reset_index(drop=True)
    when = None if table.as_of is None else np.datetime64(table.as_of, table.time_unit)
    return frame, "interval" if interval else "agent", importer, table.diagnostics, when
