"""The agent view of an Asterisk queue_log: the importer's events,
queue sessions and presence, through the agent timeline."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..agent_table import AgentTable
from ..agents import agent_stats
from ..aggregate import _as_of_to_ticks
from .queue_log import EventChunk, QueueLogImporter

__all__ = ["queue_log_agent_stats"]


def queue_log_agent_stats(
    paths: Any,
    *,
    as_of: Any = None,
    interval: int | str | None = None,
    strict: bool = False,
    sessions: bool = True,
    tz: Any = None,
    window_start: Any = None,
    **options: Any,
) -> AgentTable:
    """The agent view of an Asterisk queue_log: one timeline per agent over its
    queue sessions and its presence, with missed offers (RINGNOANSWER) and
    transfers from the log. Options are those of QueueLogImporter (wrapup, aliases,
    infer, reorder_window, max_call, ...). `tz`: intervals on that zone's local
    boundaries and local times; `window_start`: a report of [window_start, as_of] only
    (see :func:`agentstats.agent_stats`). `table.queue_log` holds the line accounting.

    The events are gathered before the timeline runs (about 50 bytes an event): a queue
    session of an agent logged in without a queue starts at the login, which can be
    before lines of the agent already read."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = [Path(p) for p in paths]
    as_of_s = _as_of_to_ticks(as_of, "s")
    importer = QueueLogImporter(paths, as_of=as_of_s, **options)
    events = EventChunk.concat(list(importer.chunks()))
    importer.check()
    if as_of_s is None:
        # the log's end: the newest time among the lines read (known once they are read,
        # so that pipes and standard input need no second look)
        as_of_s = importer.last_time
    table = agent_stats(
        events.session, events.time, events.state, agent=events.agent, wait=events.wait,
        reason=events.reason, presence=events.presence, acd_group=events.acd_group, unit="s",
        as_of=as_of_s, interval=interval, strict=strict, sessions=sessions, tz=tz,
        window_start=_as_of_to_ticks(window_start, "s"))
    table.set_counts("missed", importer.missed)
    table.set_counts("transfers", importer.transfers)
    table.queue_log = importer.diagnostics
    table.session_columns = importer.session_columns()   # the frame is made on use
    return table
