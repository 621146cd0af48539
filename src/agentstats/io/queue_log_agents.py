"""The agent view of an Asterisk queue_log: the importer's events,
queue sessions and presence, through the agent timeline."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..agent_table import AgentTable
from ..agents import AgentAggregator
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

    The events are fed to the timeline chunk by chunk as the log is read (chunked and
    one-shot updates give the same table), and the per-call records are not kept
    (``keep_calls=False``), so memory does not grow with the log."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = [Path(p) for p in paths]
    as_of_s = _as_of_to_ticks(as_of, "s")
    options.setdefault("keep_calls", False)
    importer = QueueLogImporter(paths, as_of=as_of_s, **options)
    aggregator = AgentAggregator(unit="s", as_of=as_of_s, interval=interval, strict=strict,
                                 sessions=sessions, tz=tz, window_start=_as_of_to_ticks(window_start, "s"))

    fed = []

    def feed(events: EventChunk) -> None:
        fed.append(len(events))
        aggregator.update(events.session, events.time, events.state, agent=events.agent,
                          wait=events.wait, reason=events.reason, presence=events.presence,
                          acd_group=events.acd_group)

    held: EventChunk | None = None
    for events in importer.chunks():
        if held is not None and len(held):
            events = EventChunk.concat([held, events])
        # The timeline takes an agent's rows in time order across chunks; a queue session
        # of an agent logged in by AGENTLOGIN may still start at the login: such an
        # agent's rows wait until it logs off (or the end of the log).
        events, held = _split_logged_in(events, importer.logins())
        feed(events)
    importer.check()
    if held is not None and len(held):
        feed(held)
    if not fed:         # a log without events: the columns are known, with no rows
        feed(EventChunk.concat([]))
    if as_of_s is None:
        # the log's end: the newest time among the lines read (known once they are read,
        # so that pipes and standard input need no second look)
        as_of_s = importer.last_time
    table = aggregator.result(as_of=as_of_s)
    table.set_counts("missed", importer.missed)
    table.set_counts("transfers", importer.transfers)
    table.queue_log = importer.diagnostics
    table.session_columns = importer.session_columns()   # the frame is made on use
    return table


def _split_logged_in(events: EventChunk, logins: dict[str, int]) -> tuple[EventChunk, EventChunk | None]:
    """(the rows of the agents not logged in by AGENTLOGIN, the others' rows), each in
    input order."""
    if not logins or not len(events):
        return events, None
    sessions, first = np.unique(events.session, return_index=True)
    wait = np.fromiter((agent in logins for agent in events.agent[first].tolist()), dtype=bool,
                       count=len(sessions))
    if not wait.any():
        return events, None
    hold = np.isin(events.session, sessions[wait])
    return _rows(events, ~hold), _rows(events, hold)


def _rows(events: EventChunk, keep: np.ndarray) -> EventChunk:
    return EventChunk(*(getattr(events, f)[keep] if getattr(events, f) is not None else None
                        for f in ("session", "time", "state", "wait", "reason", "agent", "acd_group",
                                  "presence")))
