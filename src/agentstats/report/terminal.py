"""Readable terminal tables (rich): per session, per agent or per queue, and the
diagnostics summary (every line used or counted)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import numpy as np
from rich.console import Console
from rich.table import Table

# A table is a pandas DataFrame or the NumPy columns of report.rows (the screen report
# of sessions, made without pandas); pandas is imported only for a pandas value.
if TYPE_CHECKING:
    import pandas as pd

__all__ = ["print_table", "print_diagnostics", "hms", "format_time", "STATE_LABELS"]

STATE_LABELS = {0: "not ready", 1: "ready", 2: "on call", 3: "wrap-up", 4: "ended"}

# column -> (header, kind); kinds: text, time, dur, int, rate, state
_COLUMNS = {
    "agent": ("Agent", "text"),
    "acd_group": ("Queue", "text"),
    "instance": ("#", "int"),
    "session": ("Session", "text"),
    "sessions": ("Sessions", "int"),
    "start_time": ("Start (UTC)", "time"),
    "first_start": ("First start (UTC)", "time"),
    "state": ("State", "state"),
    "session_duration": ("Logged in", "dur"),
    "number_of_calls": ("Calls", "int"),
    "total_talk_time": ("Talk", "dur"),
    "average_talk_time": ("Avg talk", "dur"),
    "total_wrapup_time": ("Wrap-up", "dur"),
    "average_wrapup_time": ("Avg wrap", "dur"),
    "total_call_time": ("Handle", "dur"),
    "average_call_time": ("Avg handle", "dur"),
    "acd_call_rate": ("Calls/h", "rate"),
    "overall_call_rate": ("Calls/h", "rate"),
    "average_time_to_answer": ("Avg answer", "dur"),
    "longest_time_to_answer": ("Max answer", "dur"),
    "interval_start": ("Interval (UTC)", "time"),
    "logged_in": ("Logged in", "dur"),
    "not_ready": ("Not ready", "dur"),
    "ready": ("Ready", "dur"),
    "talk_time": ("Talk", "dur"),
    "wrapup_time": ("Wrap-up", "dur"),
    "call_time": ("Handle", "dur"),
    # the agent view (one timeline per agent across its queues)
    "first_login": ("First login (UTC)", "time"),
    "last_logoff": ("Last logoff (UTC)", "time"),
    "talk": ("Talk", "dur"),
    "wrapup": ("Wrap-up", "dur"),
    "calls": ("Calls", "int"),
    "missed": ("Missed", "int"),
    "transfers": ("Transfers", "int"),
    "occupancy": ("Occupancy", "pct"),
    "utilisation": ("Utilisation", "pct"),
    "average_handle_time": ("Avg handle", "dur"),
    "calls_per_hour": ("Calls/h", "rate"),
}
_SESSION_ORDER = ("agent", "acd_group", "instance", "start_time", "state", "session_duration",
                  "number_of_calls", "total_talk_time", "average_talk_time", "total_wrapup_time",
                  "average_call_time", "acd_call_rate", "average_time_to_answer",
                  "longest_time_to_answer")
_INTERVAL_ORDER = ("agent", "acd_group", "interval_start", "logged_in", "not_ready", "ready",
                   "number_of_calls", "talk_time", "wrapup_time", "call_time")
_AGENT_ORDER = ("agent", "state", "first_login", "last_logoff", "logged_in", "talk", "wrapup",
                "ready", "not_ready", "calls", "missed", "transfers", "occupancy", "utilisation",
                "average_handle_time", "calls_per_hour")
_ROLLUP_ORDER = ("agent", "acd_group", "sessions", "first_start", "session_duration",
                 "number_of_calls", "total_talk_time", "average_talk_time", "total_wrapup_time",
                 "average_call_time", "overall_call_rate", "average_time_to_answer",
                 "longest_time_to_answer")


def _is_pandas(value: Any, *names: str) -> bool:
    """Is `value` one of pandas' missing markers (NA, NaT)? Only when pandas is loaded:
    a value cannot be one otherwise."""
    pd = sys.modules.get("pandas")
    return pd is not None and any(value is getattr(pd, name) for name in names)


def format_time(value: np.datetime64) -> str:
    """A NumPy date-time as "YYYY-MM-DD HH:MM:SS" (whole seconds, as pandas' strftime
    shows it), "-" for NaT."""
    if np.isnat(value):
        return "-"
    moment = value.astype("datetime64[s]").astype(object)   # a datetime for years 1-9999
    if not hasattr(moment, "strftime"):
        return str(value)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def hms(seconds: Any) -> str:
    """Whole seconds as H:MM:SS (days as +Nd)."""
    if seconds is None or _is_pandas(seconds, "NA") or (isinstance(seconds, float) and np.isnan(seconds)):
        return "-"
    s = int(seconds)
    sign = "-" if s < 0 else ""
    s = abs(s)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{sign}{h}:{m:02d}:{sec:02d}"


def _cell(value: Any, kind: str) -> str:
    if value is None or _is_pandas(value, "NA", "NaT"):
        return "-"
    if kind in ("pct", "rate") and np.isnan(float(value)):
        return "-"
    if kind == "pct":
        return f"{float(value):.0%}"
    if kind == "dur":
        return hms(value)
    if kind == "int":
        return f"{int(value):,}"
    if kind == "rate":
        return f"{float(value):.2f}"
    if kind == "time":
        if isinstance(value, np.datetime64):      # the NumPy columns of report.rows
            return format_time(value)
        import pandas as pd

        try:
            stamp = pd.Timestamp(value)
            return "-" if pd.isna(stamp) else stamp.strftime("%Y-%m-%d %H:%M:%S")
        except (ValueError, OverflowError, NotImplementedError):
            # a time pandas cannot format (beyond its range): shown as stored, never a crash
            return str(value)
    if kind == "state":
        return value if isinstance(value, str) else STATE_LABELS.get(int(value), str(value))
    return str(value)


#: durations that add up the time of several agents when a row is a queue
_SUMMED = ("session_duration", "total_talk_time", "total_wrapup_time", "total_call_time", "logged_in",
           "not_ready", "ready", "talk_time", "wrapup_time", "call_time")
#: averages over a row's calls: missing (-) when the row has no call, not 0:00:00
_PER_CALL = ("average_talk_time", "average_wrapup_time", "average_call_time", "average_time_to_answer",
             "longest_time_to_answer")


def unit_of(kind: str, *, summed: bool = False, zone: str = "UTC") -> str:
    """The unit line under a column header."""
    if kind == "dur":
        return "agent-h:mm:ss" if summed else "h:mm:ss"
    return {"pct": "%", "rate": "calls/h", "time": zone}.get(kind, "")


def _all_missing(column: Any) -> bool:
    """Is every value of a column missing (pandas: isna; NumPy: None or NaN)?"""
    if hasattr(column, "isna"):
        return bool(column.isna().all())
    values = np.asarray(column)
    if len(values) == 0:
        return True
    if values.dtype == object:
        return all(v is None or v != v for v in values.tolist())
    return values.dtype.kind in "fc" and bool(np.isnan(values).all())


def print_table(frame: pd.DataFrame | Any, *, title: str, console: Console | None = None,
                limit: int | None = 50, by: str = "session", zone: str = "UTC") -> None:
    """One readable table; durations as h:mm:ss, missing values as -, the unit of each
    column under its header (agent-h:mm:ss where a sum is of several agents' time), at
    most `limit` rows (says how many more)."""
    console = console or Console()
    order = {"session": _SESSION_ORDER, "interval": _INTERVAL_ORDER,
             "agent": _AGENT_ORDER}.get(by, _ROLLUP_ORDER)
    present = [c for c in order if c in frame.columns]
    if by == "session" and "agent" not in frame.columns:
        present = ["session", *present]
    if "average_time_to_answer" in frame.columns and _all_missing(frame["average_time_to_answer"]):
        present = [c for c in present if c not in ("average_time_to_answer", "longest_time_to_answer")]
    table = Table(title=title, title_justify="left", header_style="bold", show_lines=False,
                  pad_edge=False)
    summed_rows = by == "queue" or (by == "interval" and "agent" not in frame.columns)
    for column in present:
        header, kind = _COLUMNS.get(column, (column, "text"))
        header = header.replace(" (UTC)", "")
        if by == "queue" and column == "session_duration":
            header = "Agent-hours"     # the members' logged-in time, summed over them
        unit = unit_of(kind, summed=summed_rows and column in _SUMMED, zone=zone)
        width = max(len(header), len(unit))
        table.add_column(f"{header}\n{unit}" if unit else header,
                         justify="left" if kind in ("text", "time", "state") else "right",
                         no_wrap=True, overflow="ellipsis",
                         min_width=min(width, 12) if kind == "text" else width)
    shown = frame if limit is None or len(frame) <= limit else frame.head(limit)
    kinds = [_COLUMNS.get(c, (c, "text"))[1] for c in present]
    no_calls = (np.asarray(shown["number_of_calls"] == 0) if "number_of_calls" in shown.columns
                else np.zeros(len(shown), bool))
    per_call = [c in _PER_CALL for c in present]
    for row, none in zip(shown[present].itertuples(index=False, name=None), no_calls):
        table.add_row(*("-" if none and pc else _cell(v, k) for v, k, pc in zip(row, kinds, per_call)))
    console.print(table)
    if len(shown) < len(frame):
        console.print(f"[dim]... {len(frame) - len(shown):,} more rows "
                      f"(--limit 0 shows all; -o FILE.csv writes all)[/dim]")

# reasons whose first lines are shown ("first at file:line, ...")
_SHOWN_WHERE = ("malformed", "late", "nul_garbage", "time_jump", "bad_epoch", "bad_hold_time",
                "line_too_long")


def alias_summary(messages: list[str]) -> list[str]:
    """The inferred aliases in one line ("3 aliases inferred: SIP/1003 -> Carla Novak,
    ..."); messages that are not an inferred alias are kept as they are."""
    import re

    pairs, other = [], []
    for message in messages:
        found = re.match(r"inferred alias (.+?) -> (.+?) from ", message)
        (pairs.append(f"{found.group(1)} -> {found.group(2)}") if found else other.append(message))
    lines = list(other)
    if pairs:
        shown = ", ".join(pairs[:4]) + (f", ... ({len(pairs) - 4} more)" if len(pairs) > 4 else "")
        lines.insert(0, f"{len(pairs)} alias{'es' if len(pairs) != 1 else ''} inferred: {shown} "
                        f"(--list-aliases shows each and why)")
    return lines


def print_diagnostics(console: Console, *, importer: dict[str, Any] | None,
                      kernel: dict[str, int], aliases: list[str] | None = None,
                      list_aliases: bool = False) -> None:
    """Where every input line/row went; the inferred aliases in one line, or each on
    its own line with `list_aliases`."""
    if aliases:
        for message in (aliases if list_aliases else alias_summary(aliases)):
            console.print(f"[cyan]{message}[/cyan]", highlight=False)
    if importer is not None and "lines" in importer:
        counted = importer.get("counted", {})
        parts = ", ".join(f"{name} {n:,}" for name, n in sorted(counted.items(), key=lambda kv: (-kv[1], kv[0])))
        console.print(f"[bold]Lines[/bold]: {importer['lines']:,} read, {importer['used']:,} used"
                      + (f"; not used: {parts}" if parts else ""))
        if importer.get("nul_runs"):
            console.print(f"  NUL runs stripped: {importer['nul_runs']} ({importer['nul_bytes']:,} bytes)")
        for reason, where in importer.get("examples", {}).items():
            if reason in _SHOWN_WHERE or reason.startswith("unknown_verb"):
                console.print(f"  {reason}: first at {', '.join(where)}")
    rows = kernel.get("rows", 0)
    anomalies = {k: v for k, v in kernel.items() if k not in ("rows", "used", "off_table") and v}
    text = ", ".join(f"{k} {v:,}" for k, v in anomalies.items()) or "none"
    console.print(f"[bold]Events[/bold]: {rows:,} state changes, {kernel.get('used', 0):,} used; "
                  f"anomalies: {text}; transitions the TAPI state table does not allow: {kernel.get('off_table', 0):,}")
    counted = (importer or {}).get("counted", {}) if importer is not None else {}
    example = next(iter(sorted(counted, key=lambda r: (-counted[r], r))), None) or next(iter(anomalies), None)
    if example is not None:
        # the definitions are installed with the package: say how to read them
        term = "line_reasons" if ":" in example else example
        console.print(f"[dim]What a reason means: agentstats explain {term} (agentstats explain lists "
                      f"every term)[/dim]")
