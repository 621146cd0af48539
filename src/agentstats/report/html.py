"""The HTML report (`agentstats report LOG --html out.html`, or :func:`html_report`):
one self-contained file that opens offline, with plotly.js inlined.

It holds the per-agent and per-queue tables (click a header to sort), a timeline of
each agent's day (on call, wrap-up, ready, not ready; minute by minute), per-interval
charts (agents staffed by state; calls offered, answered and abandoned; service level
per queue), not-ready time by pause reason, and the line accounting."""

from __future__ import annotations

import html
import os
import tempfile
from pathlib import Path
from typing import Any, Mapping, Sequence

__all__ = ["html_report", "build_html", "CHART_IDS", "STATE_COLOURS"]

#: the charts of the page, by element id, in page order
CHART_IDS = ("timeline", "staffed", "calls", "service_level", "reasons")

#: agent state -> colour (the same in every chart)
STATE_COLOURS = {"on call": "#d62728", "wrap-up": "#ff7f0e", "ready": "#2ca02c", "not ready": "#7f7f7f"}
_STATE_COLUMNS = (("talk", "on call"), ("wrapup", "wrap-up"), ("ready", "ready"), ("not_ready", "not ready"))


def html_report(inputs: Any, path: str | os.PathLike, *, interval: int = 60, tz: Any = None,
                as_of: Any = None, window_start: Any = None, service_level: int = 20,
                title: str = "agentstats report", agent_patterns: Sequence[str] = (),
                queue_patterns: Sequence[str] = (), **options: Any) -> Path:
    """Write the HTML report of queue_log file(s) to `path` (atomically). `interval`:
    minutes of the per-interval charts (60 by default, or "day"); `tz`: a time zone
    name for local times and intervals; `window_start`, `as_of`: the window reported
    (agent time cut exactly at both edges; calls that entered the queue inside it);
    `agent_patterns`, `queue_patterns`: glob patterns of the agents and queues shown
    (with queue patterns, the agents who were members of a matching queue);
    `options`: those of the queue_log reader (wrapup, aliases, infer, ...). Returns the
    path written."""
    from ..io.queue_log import import_queue_log
    from ..io.queue_log_agents import queue_log_agent_stats
    from ..localtime import time_zone
    from .filters import filter_rows

    zone = time_zone(tz)
    window = dict(window_start=window_start) if window_start is not None else {}
    agents = queue_log_agent_stats(inputs, as_of=as_of, interval=interval, tz=zone, sessions=False,
                                   **window, **options)
    minutes = queue_log_agent_stats(inputs, as_of=as_of, interval=1, tz=zone, sessions=False, **window, **options)
    calls = import_queue_log(inputs, as_of=as_of, **options)
    start = None
    if window_start is not None:
        from ..aggregate import _as_of_to_ticks

        start = _as_of_to_ticks(window_start, "s") * calls.call_columns().ticks_per_second
    queues = calls.queue_stats(service_level=(service_level,), tz=zone, window_start=start).to_pandas()
    per_interval = calls.queue_stats(interval=interval, service_level=(service_level,), tz=zone,
                                     window_start=start).to_pandas()
    queues = filter_rows(queues, queues=queue_patterns)
    per_interval = filter_rows(per_interval, queues=queue_patterns)
    page = build_html(
        title=title, agents=agents, minute_table=minutes, queues=queues, queue_intervals=per_interval,
        interval_minutes=1440 if interval == "day" else int(interval), zone=str(zone) if zone else "UTC",
        accounting={"lines": agents.queue_log, "events": agents.diagnostics},
        service_level=service_level, shown_agents=_shown_agents(agents, agent_patterns, queue_patterns))
    return _write_atomically(Path(path), page)


def _shown_agents(agents: Any, agent_patterns: Sequence[str], queue_patterns: Sequence[str]) -> set[Any] | None:
    """The agents a filtered report shows (None: every agent)."""
    if not agent_patterns and not queue_patterns:
        return None
    from .filters import matches

    names = agents.to_pandas()["agent"]
    import numpy as np

    keep = matches(names, agent_patterns) if agent_patterns else np.ones(len(names), dtype=bool)
    if queue_patterns:
        labels = agents.session_labels
        members = set(labels.loc[matches(labels["acd_group"], queue_patterns), "agent"])
        keep = keep & names.isin(members).to_numpy()
    return set(names[keep])


def _write_atomically(path: Path, text: str) -> Path:
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent if str(path.parent) else ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path


def _seconds(values: Any) -> Any:
    import pandas as pd

    return pd.to_timedelta(values).dt.total_seconds()


def _timeline_frame(minute_table: Any) -> Any:
    """Runs of the same agent state, from the per-minute split: each minute takes the
    state the agent spent most of it in; consecutive minutes of one state are merged."""
    import numpy as np
    import pandas as pd

    frame = minute_table.intervals()
    if len(frame) == 0:
        return pd.DataFrame(columns=["agent", "state", "start", "end"])
    times = np.stack([_seconds(frame[c]).to_numpy() for c, _ in _STATE_COLUMNS], axis=1)
    names = np.array([name for _, name in _STATE_COLUMNS], dtype=object)
    state = names[times.argmax(axis=1)]
    start = pd.Series(frame["interval_start"]).reset_index(drop=True)
    agent = frame["agent"].reset_index(drop=True)
    new_run = (agent != agent.shift()) | (pd.Series(state) != pd.Series(state).shift()) | (
        start - start.shift() != pd.Timedelta(minutes=1))
    run = new_run.cumsum()
    runs = pd.DataFrame({"agent": agent, "state": state, "start": start, "run": run})
    out = runs.groupby("run").agg(agent=("agent", "first"), state=("state", "first"),
                                  start=("start", "first"), end=("start", "last"))
    out["end"] = out["end"] + pd.Timedelta(minutes=1)
    return out.reset_index(drop=True)


def _staffed_frame(frame: Any, interval_minutes: int) -> Any:
    """Per interval: the average number of agents in each state (state time / length),
    from the agents' per-interval table."""
    sums = frame.groupby("interval_start", sort=True)[[c for c, _ in _STATE_COLUMNS]].sum()
    length = interval_minutes * 60
    return sums.apply(lambda column: column.dt.total_seconds() / length)


def build_html(*, title: str, agents: Any, minute_table: Any, queues: Any, queue_intervals: Any,
               interval_minutes: int, zone: str, accounting: Mapping[str, Any],
               service_level: int = 20, shown_agents: set[Any] | None = None) -> str:
    """The page as one string: plotly.js inlined, every chart and table in it.
    `shown_agents`: only these agents in the agent table and charts (None: all)."""
    import plotly.express as px
    import plotly.graph_objects as go
    from plotly.offline import get_plotlyjs

    from .agents import agent_frame
    from .files import accounting_rows

    def shown(frame: Any) -> Any:
        return frame if shown_agents is None else frame[frame["agent"].isin(shown_agents)].reset_index(drop=True)

    charts: dict[str, Any] = {}
    # the timeline: one bar per run of a state
    runs = shown(_timeline_frame(minute_table))
    timeline = px.timeline(runs, x_start="start", x_end="end", y="agent", color="state",
                           color_discrete_map=STATE_COLOURS,
                           category_orders={"state": list(STATE_COLOURS)})
    timeline.update_yaxes(autorange="reversed", title=None)
    timeline.update_layout(height=max(300, 28 * runs["agent"].nunique() + 120),
                           title=f"Each agent's day ({zone}, minute by minute)", legend_title_text="")
    charts["timeline"] = timeline

    staffed = _staffed_frame(shown(agents.intervals()), interval_minutes)
    fig = go.Figure()
    for column, name in _STATE_COLUMNS:
        fig.add_bar(x=staffed.index, y=staffed[column], name=name, marker_color=STATE_COLOURS[name])
    fig.update_layout(barmode="stack", title=f"Agents staffed by state, per {interval_minutes} min ({zone})",
                      yaxis_title="agents (average over the interval)")
    charts["staffed"] = fig

    per = queue_intervals.groupby("interval_start", sort=True)[
        ["total_calls_queued", "answered", "total_calls_abandoned"]].sum()
    fig = go.Figure()
    for column, name, colour in (("total_calls_queued", "offered", "#1f77b4"), ("answered", "answered", "#2ca02c"),
                                 ("total_calls_abandoned", "abandoned", "#d62728")):
        fig.add_bar(x=per.index, y=per[column], name=name, marker_color=colour)
    fig.update_layout(barmode="group", title=f"Calls per {interval_minutes} min ({zone})", yaxis_title="calls")
    charts["calls"] = fig

    level = f"service_level_{service_level}s"
    fig = go.Figure()
    for queue, rows in queue_intervals.groupby("queue", sort=True):
        fig.add_scatter(x=rows["interval_start"], y=100 * rows[level].astype(float), name=str(queue),
                        mode="lines+markers")
    fig.update_layout(title=f"Service level: answered within {service_level} s / queued (%)",
                      yaxis_title="%", yaxis_range=[0, 105])
    charts["service_level"] = fig

    reasons = shown(agents.reasons())
    fig = go.Figure()
    for reason, rows in reasons.groupby("reason", sort=True):
        fig.add_bar(x=rows["agent"], y=_seconds(rows["not_ready"]) / 60, name=reason or "(no reason)")
    fig.update_layout(barmode="stack", title="Not-ready time by pause reason", yaxis_title="minutes")
    charts["reasons"] = fig

    parts = []
    for chart_id in CHART_IDS:
        parts.append(charts[chart_id].to_html(full_html=False, include_plotlyjs=False, div_id=chart_id,
                                              config={"displaylogo": False, "responsive": True}))
    agent_rows = shown(agent_frame(agents))
    if getattr(agents, "window_start", None) is not None:
        # missed offers and transfers are counted per log, not per window
        import pandas as pd

        for column in ("missed", "transfers"):
            agent_rows[column] = pd.array([pd.NA] * len(agent_rows), dtype="Int64")
    body = "\n".join([
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{html.escape(_period_text(agents, zone))}Times in {html.escape(zone)}. "
        f"Definitions of every column: <code>agentstats explain "
        f"TERM</code> (docs/definitions.md).</p>",
        "<h2>Agents</h2>", _table(agent_rows, "agents"),
        "<h2>Queues</h2>", _table(queues, "queues"),
        parts[0], "<h2>Per interval</h2>", *parts[1:4], parts[4],
        "<h2>Line accounting</h2>",
        _table_rows(["section", "item", "value"], accounting_rows(accounting), "accounting"),
    ])
    return _PAGE.format(title=html.escape(title), plotly=get_plotlyjs(), body=body, script=_SORT_SCRIPT)


def _period_text(agents: Any, zone: str) -> str:
    """'From .. to .. . ' for a window, 'As of .. . ' otherwise, in the report's zone."""
    import pandas as pd

    def local(ticks: int) -> str:
        stamp = pd.Timestamp(ticks, unit=agents.time_unit, tz="UTC").tz_convert(zone)
        return stamp.strftime("%Y-%m-%d %H:%M:%S")

    if agents.as_of is None:
        return ""
    start = getattr(agents, "window_start", None)
    if start is not None:
        return f"From {local(start)} to {local(agents.as_of)}. "
    return f"As of {local(agents.as_of)}. "


def _cell_text(column: str, value: Any) -> tuple[str, str]:
    """(shown text, sort key) of one cell."""
    import pandas as pd

    from .files import _is_duration
    from .terminal import hms

    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return "-", ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M:%S"), value.isoformat()
    if _is_duration(column) and not isinstance(value, str):
        return hms(value), str(int(value))
    if isinstance(value, float):
        if column in ("occupancy", "utilisation", "abandon_rate") or column.startswith("service_level_"):
            return f"{value:.0%}", repr(value)
        return f"{value:.2f}", repr(value)
    return str(value), str(value)


def _table(frame: Any, table_id: str) -> str:
    rows = [[(c, v) for c, v in zip(frame.columns, row)] for row in frame.itertuples(index=False, name=None)]
    return _table_html(list(frame.columns), rows, table_id)


def _table_rows(headers: Sequence[str], rows: Sequence[Sequence[Any]], table_id: str) -> str:
    return _table_html(list(headers), [[(h, v) for h, v in zip(headers, row)] for row in rows], table_id)


def _table_html(headers: list[str], rows: list[list[tuple[str, Any]]], table_id: str) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    lines = []
    for row in rows:
        cells = []
        for column, value in row:
            text, key = _cell_text(column, value)
            cells.append(f'<td data-sort="{html.escape(key)}">{html.escape(text)}</td>')
        lines.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<table class="sortable" id="{table_id}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(lines)}</tbody></table>')


_SORT_SCRIPT = """
document.querySelectorAll("table.sortable th").forEach(function (th, index) {
  th.addEventListener("click", function () {
    var table = th.closest("table"), body = table.tBodies[0];
    var up = th.getAttribute("data-order") !== "up";
    table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("data-order"); });
    th.setAttribute("data-order", up ? "up" : "down");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[index].getAttribute("data-sort"), y = b.cells[index].getAttribute("data-sort");
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny) && String(nx) === x.replace(/^(-?\\d+)\\.0+$/, "$1")) ? nx - ny
              : x.localeCompare(y);
      return up ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
"""

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }}
table {{ border-collapse: collapse; font-size: 13px; margin-bottom: 1.5em; }}
th, td {{ border: 1px solid #ddd; padding: 3px 7px; text-align: right; white-space: nowrap; }}
td:first-child, th:first-child {{ text-align: left; }}
th {{ background: #f3f3f3; cursor: pointer; }}
th[data-order=up]::after {{ content: " \\25B2"; }} th[data-order=down]::after {{ content: " \\25BC"; }}
</style>
<script>{plotly}</script>
</head><body>
{body}
<script>{script}</script>
</body></html>
"""
