"""The `agentstats` command: agent-session reports from queue_log and event tables.

    agentstats demo
    agentstats report /var/log/asterisk/queue_log --by agent --wrapup support=30
    agentstats report events.parquet --column session=sid --column state=status -o out.csv
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_STDIN = "-"
#: the latest epoch second taken as a time (2200-01-01); the same bound as the readers'
LATEST_EPOCH = 7_258_118_400

__all__ = ["main", "build_parser"]

_DESCRIPTION = """\
Agent-session statistics for a contact center, the way TAPI 3 ITAgentSession defines
them: per agent and queue, how long the agent was logged in, how many ACD calls they
answered, talk, wrap-up and handle time, calls per hour, and how long callers waited
before the agent answered. Input is an Asterisk queue_log (rotated files may be given
together) or an event table (CSV, Parquet, Arrow/Feather)."""

_REPORT_EPILOG = """\
How a queue_log is read (details: agentstats explain session, agentstats explain line_reasons):
  session      one agent's membership of one queue: ADDMEMBER or AGENTLOGIN .. REMOVEMEMBER,
               AGENTLOGOFF, or QUEUESTART (server restart). Static members start at their
               first line in the queue.
  not ready    PAUSE / PAUSEALL (the reason is kept);  ready: UNPAUSE / UNPAUSEALL
  on call      CONNECT (its hold time is the time to answer) .. COMPLETEAGENT,
               COMPLETECALLER, TRANSFER, BLINDTRANSFER, ATTENDEDTRANSFER
  wrap-up      after a call, for --wrapup QUEUE=SECONDS (use your queues.conf wrapuptime)
  aliases      SIP/1001 and Sathish are joined into one agent by --alias FILE
               (lines NAME=AGENT) or inferred from the FreePBX/Issabel login lines.
  callers      ENTERQUEUE .. CONNECT (answered), ABANDON, EXITWITHTIMEOUT, EXITEMPTY, EXITWITHKEY;
               FULL, JOINEMPTY, CLOSED are refused at the door. --by queue reports them per
               queue (queued, answered, abandoned, waits, service level; agentstats explain queued_call)
               beside the members' agent-hours; --calls FILE writes one row per caller's stay.
Every line is either used or counted under a reason (blank, duplicate_line,
not_agent_event, unknown_verb:X, late, time_jump, bad_epoch, ...), shown under the table.
Inputs may be gzip/bzip2/xz compressed (recognised by their content), a pipe, or - for
standard input; CR, LF and CRLF line ends are all read.

Exit status: 0 ok, 1 bad input (one line naming the file and line), 2 bad usage.
What each statistic, line reason and error code means: agentstats explain TERM
(agentstats explain lists every term; the page is docs/definitions.md).

Examples:
  agentstats report /var/log/asterisk/queue_log.1 /var/log/asterisk/queue_log --by agent
  agentstats report queue_log --wrapup support=30 --wrapup sales=15 --as-of 2026-03-02T18:00
  agentstats report queue_log --by queue -o queues.parquet
  agentstats report queue_log --by queue --interval 15 --service-level 20,60 --calls calls.csv
  agentstats report events.csv --column session=sid --column time=ts --column state=status
"""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=30, width=100)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agentstats", description=_DESCRIPTION,
                                     formatter_class=_Formatter)
    from . import __version__

    parser.add_argument("--version", action="version", version=f"agentstats {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    report = commands.add_parser(
        "report", help="report agent sessions from queue_log or event-table files",
        description="Report agent-session statistics from queue_log or event-table files.",
        epilog=_REPORT_EPILOG, formatter_class=_Formatter)
    report.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="queue_log file(s) (rotated files together, any order; .gz/.bz2/.xz "
                             "read as they are; - for standard input, or a pipe such as "
                             "<(zcat ...)) or one or more .csv/.parquet/.feather event tables")
    _add_report_options(report)

    demo = commands.add_parser(
        "demo", help="run the whole pipeline on a shipped sample day (20 agents, 3 queues)",
        description="Report on the sample queue_log shipped with agentstats: one simulated "
                    "day of a 20-agent contact center with 3 queues (support wrap-up 30 s, "
                    "sales 15 s), including the dirt real files have.",
        formatter_class=_Formatter)
    _add_report_options(demo, demo=True)

    explain = commands.add_parser(
        "explain", help="define a statistic, a line reason or an error code (e.g. occupancy)",
        description="Print the definition of TERM: a statistic (talk_time, occupancy, "
                    "service_level, ...), a line reason (late, orphan, ...) or an error code "
                    "(E_INVALIDARG, ...). Without TERM, list every term. The same page is "
                    "docs/definitions.md, installed with the package.",
        formatter_class=_Formatter)
    explain.add_argument("term", nargs="*", metavar="TERM", help="what to define")
    return parser


def _add_report_options(p: argparse.ArgumentParser, *, demo: bool = False) -> None:
    if not demo:
        p.add_argument("--format", choices=("auto", "queue_log", "csv", "parquet", "arrow", "calls"),
                       default="auto",
                       help="input format (default auto: by file name, else queue_log); calls: "
                            "per-call tables (queue, outcome, enter, answer, leave, wait) for --by queue")
        p.add_argument("--wrapup", action="append", default=[], metavar="QUEUE=SECONDS",
                       help="wrap-up time after each call in QUEUE (repeatable; *=SECONDS for "
                            "every other queue). Without it a call ends straight in ready")
        p.add_argument("--alias", metavar="FILE",
                       help="alias file joining identities: lines like SIP/1001=Sathish")
        p.add_argument("--no-infer-aliases", dest="infer_aliases", action="store_false",
                       help="do not infer aliases from ADDMEMBER + UNPAUSE lines of the same second")
        p.add_argument("--reorder-window", type=int, default=None, metavar="SECONDS",
                       help="queue_log lines out of time order by up to this much are put back in "
                            "order (default 21600 = 6 h); older ones are counted as late, and a line "
                            "this much newer than the lines after it as a time jump")
        p.add_argument("--column", action="append", default=[], metavar="ROLE=NAME",
                       help="event tables: which column is session, time, state, wait, agent, "
                            "queue (repeatable; default: columns with those names)")
        p.add_argument("--time-unit", choices=("s", "ms", "us", "ns"), default="s",
                       help="event tables: unit of numeric times (default s)")
        p.add_argument("--wait-unit", choices=("s", "ms", "us", "ns"), default="s",
                       help="event tables: unit of numeric waits (default s)")
        p.add_argument("--whole-file", action="store_true",
                       help="event tables: read each file at once, so rows may come in any order "
                            "(default: stream in batches; each session's rows in time order)")
        p.add_argument("--lenient", action="store_true",
                       help="event tables: skip and count rows with an unknown state or no time "
                            "instead of stopping at the first one")
    p.add_argument("--as-of", metavar="T",
                   help="report time: ISO date-time (UTC, or local with --tz) or epoch seconds; later lines are not "
                        "seen and open sessions are measured up to T (default: the log's end)")
    p.add_argument("--from", dest="from_", metavar="T",
                   help="report the window from T (ISO date-time or epoch seconds) to --until: "
                        "session and agent time is cut exactly at T, calls answered or queued "
                        "before T are left out; with --interval, T must start an interval")
    p.add_argument("--until", metavar="T",
                   help="the window's end: the report time (same as --as-of)")
    p.add_argument("--agent", dest="agent_patterns", action="append", default=[], metavar="GLOB",
                   help="only agents matching GLOB (repeatable; * ? [..], e.g. 'Ana*')")
    p.add_argument("--queue", dest="queue_patterns", action="append", default=[], metavar="GLOB",
                   help="only queues matching GLOB (repeatable); with --by agent, the agents who "
                        "were members of a matching queue")
    p.add_argument("--days", metavar="DAYS",
                   help="with --interval: only the intervals on these local days, e.g. mon-fri or "
                        "sat,sun (time on other days is left out exactly, like a window)")
    p.add_argument("--hours", metavar="HH:MM-HH:MM",
                   help="with --interval: only the intervals within these local opening hours, e.g. "
                        "08:00-18:00 (on interval edges; 22:00-06:00 runs overnight)")
    p.add_argument("--tz", metavar="ZONE",
                   help="time zone of the report (e.g. Europe/Rome): interval edges and days on its "
                        "local boundaries (a local day may last 23 or 25 hours), every time shown "
                        "local, and --as-of/--from/--until without an offset read as local (default UTC)")
    p.add_argument("--by", choices=("session", "agent", "queue"), default="session" if not demo else "agent",
                   help="one row per session, or totals per agent or per queue "
                        f"(default {'agent' if demo else 'session'})")
    p.add_argument("--interval", type=_minutes, metavar="MINUTES",
                   help="with --by agent or --by queue: one row per reporting interval of MINUTES "
                        "(e.g. 15, 30, 60, or 'day'): logged-in, not-ready, ready, talk and wrap-up "
                        "time, split exactly at the interval edges (UTC, or local with --tz), and calls answered")
    p.add_argument("--service-level", metavar="T[,T...]",
                   help="with --by queue: service level = calls answered within T seconds / calls "
                        "queued, for each T (default 20)")
    p.add_argument("--calls", metavar="FILE",
                   help="queue_log, with --by session or --by queue: also write one row per caller's "
                        "stay in a queue (enter, leave, outcome, wait, agent, talk, flows) to FILE.csv, "
                        "FILE.parquet or FILE.json, times local with --tz")
    p.add_argument("--low-memory", action="store_true",
                   help="queue_log: trade time for memory: large buffers go back to the "
                        "system when freed and fewer events are in flight (about a third "
                        "less peak memory, a quarter more time)")
    if not demo:
        p.add_argument("--max-call", type=int, default=None, metavar="SECONDS",
                       help="queue_log: a call whose end line is missing counts at most SECONDS "
                            "of talk (default: until the member's next line)")
    p.add_argument("-o", "--output", metavar="OUT",
                   help="write the table to OUT.csv, OUT.parquet, OUT.json or OUT.xlsx (Excel) "
                        "instead of the screen, with the line accounting (beside a CSV in "
                        "OUT.accounting.json, in the Parquet metadata, on its own Excel sheet)")
    p.add_argument("--html", metavar="FILE",
                   help="queue_log: write the HTML report to FILE (one file that opens offline): "
                        "sortable agent and queue tables, each agent's day, per-interval charts "
                        "(--interval, default 60) and the line accounting")
    p.add_argument("--limit", type=int, default=50, metavar="N",
                   help="rows shown on the screen (default 50; 0 = all)")
    p.add_argument("--progress", dest="progress", action="store_true", default=None,
                   help="always show a progress bar on stderr")
    p.add_argument("--no-progress", dest="progress", action="store_false",
                   help="never show a progress bar")
    p.add_argument("-q", "--quiet", action="store_true", help="no diagnostics summary")
    p.add_argument("--list-aliases", action="store_true",
                   help="list every inferred alias and the lines it was inferred from "
                        "(default: one summary line)")


def _minutes(text: str) -> int:
    """--interval: a number of minutes, or 'day'."""
    if text.strip().lower() == "day":
        return 24 * 60
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid interval: {text!r} (minutes, or 'day')") from None


class InputError(Exception):
    """Bad input: reported as one line, exit status 1."""


# -- helpers ------------------------------------------------------------------------------


def _sniff(path: Path, fmt: str) -> str:
    if fmt != "auto":
        return "queue_log" if fmt == "queue_log" else fmt
    from .io.formats import detect_format

    try:
        return detect_format(path)
    except ValueError:
        return "queue_log"


def _as_of(text: str | None, zone: Any = None, option: str = "--as-of") -> Any:
    """A date-time option as naive UTC datetime64 (epoch seconds too). Without an
    offset the text is local time in `zone` (UTC without one); a local time that
    happens twice or never (at a clock change) must be given with its offset."""
    if text is None:
        return None
    digits = text.strip().removeprefix("-")
    if digits.isdigit():
        if not digits.isascii() or len(digits) > 12 or int(text) > LATEST_EPOCH or int(text) < -LATEST_EPOCH:
            raise argparse.ArgumentTypeError(
                f"{option} {text}: epoch seconds must be ASCII digits between -{LATEST_EPOCH} and "
                f"{LATEST_EPOCH} (the year 2200); give an ISO date-time or epoch seconds")
        import numpy as np

        # a point in time, not ticks: an event table's times may be in ms or ns
        return np.datetime64(int(text), "s")
    plain = _plain_iso(text, zone, option)
    if plain is not None:
        return plain
    return _as_of_by_pandas(text, zone, option)


#: the plain ISO forms read without pandas: a date, or a date and a time to the minute or
#: second with an optional Z or +HH:MM offset (pandas reads every other form)
_PLAIN_ISO = r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2})?)?"


def _plain_iso(text: str, zone: Any, option: str) -> Any:
    """`_as_of` of a plain ISO date-time (see _PLAIN_ISO) without importing pandas: the
    same instant, as datetime64[us]. None for any other text, or for a local time in a
    zone (pandas' rules for clock changes apply)."""
    import re
    from datetime import datetime, timezone

    if re.fullmatch(_PLAIN_ISO, text, flags=re.ASCII) is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None            # pandas says what is wrong with it
    if moment.tzinfo is None and zone is not None:
        return None
    if not datetime(1740, 1, 1) <= moment.replace(tzinfo=None) <= datetime(2200, 1, 1):
        raise argparse.ArgumentTypeError(f"{option} {text}: the report time must be between the years "
                                         f"1740 and 2200")
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    import numpy as np

    return np.datetime64(moment, "us")


def _as_of_by_pandas(text: str, zone: Any, option: str) -> Any:
    """`_as_of` of any date-time text pandas reads."""
    import pandas as pd

    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError):
        raise argparse.ArgumentTypeError(f"{option} {text!r} is not a date-time or epoch seconds") from None
    if stamp is pd.NaT:
        raise argparse.ArgumentTypeError(f"{option} {text!r} is not a date-time or epoch seconds")
    if not pd.Timestamp("1740-01-01") <= stamp.tz_localize(None) <= pd.Timestamp("2200-01-01"):
        raise argparse.ArgumentTypeError(f"{option} {text}: the report time must be between the years "
                                         f"1740 and 2200")
    if stamp.tzinfo is None and zone is not None:
        try:
            stamp = stamp.tz_localize(zone, ambiguous="raise", nonexistent="raise")
        except Exception:       # pytz/zoneinfo ambiguity errors have no common base
            raise argparse.ArgumentTypeError(
                f"{option} {text}: that local time happens twice or never in {zone} (a clock "
                f"change); give it with its UTC offset, e.g. {text}+01:00") from None
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.to_datetime64()


def _pairs(items: list[str], option: str) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise argparse.ArgumentTypeError(f"{option} must look like KEY=VALUE, not {item!r}")
        out[key] = value
    return out


@contextmanager
def _progress_bar(enabled: bool, total: int | None, label: str):
    """A rich progress bar on stderr; yields an update(done) callable (or None)."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn,
                               TimeRemainingColumn, TransferSpeedColumn)

    columns = [TextColumn("{task.description}"), BarColumn()]
    if total:
        columns += [DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn()]
    else:
        columns += [TextColumn("{task.completed:,.0f} rows")]
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda done: progress.update(task, completed=done)


def _want_progress(flag: bool | None, total_bytes: int) -> bool:
    if flag is not None:
        return flag
    return sys.stderr.isatty() and total_bytes > (16 << 20)


# -- the command --------------------------------------------------------------------------


def _run_report(args: argparse.Namespace, inputs: list[Path], *, wrapup: dict[str, int],
                aliases: dict[str, str], infer: bool, title: str) -> int:
    from rich.console import Console

    from .hresult import TapiError

    # Not a terminal (a pipe, a file, a test): wide enough for every column.
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
    sizes = [_input_size(path) for path in inputs]
    kinds = {_sniff(p, getattr(args, "format", "auto")) for p in inputs}
    if len(kinds) > 1:
        raise InputError(f"inputs mix formats ({', '.join(sorted(kinds))}); report one format at a time")
    kind = kinds.pop()
    if kind != "queue_log" and str(_STDIN) in map(str, inputs):
        raise InputError("standard input (-) can only be a queue_log; give event tables as files")
    if kind == "calls":
        from .report.queues import run_calls_report

        try:
            return run_calls_report(args, inputs, console=console, title=title)
        except (TapiError, ValueError, TypeError) as exc:
            raise InputError(str(getattr(exc, "detail", "") or exc)) from exc
    as_of = _as_of(args.as_of, args.zone)
    if args.html:
        return _write_html(args, inputs, kind, console, as_of=as_of, wrapup=wrapup, aliases=aliases,
                           infer=infer, title=title)
    calls_writer = _streamed_calls(args, kind)
    try:
        return _run_import_report(args, inputs, kind, console, sizes, as_of=as_of, wrapup=wrapup,
                                  aliases=aliases, infer=infer, title=title, calls_writer=calls_writer)
    finally:
        if calls_writer is not None:
            calls_writer.discard()      # its file was moved to the destination, or the report failed


def _streamed_calls(args: argparse.Namespace, kind: str) -> Any:
    """--calls FILE.csv of a queue_log: the writer that writes the stays while the log is
    read (None: the call table is written from every stay at the end)."""
    if not args.calls or kind != "queue_log" or Path(args.calls).suffix.lower() != ".csv":
        return None
    from .report.calls_file import CallsCsvWriter

    try:
        return CallsCsvWriter(args.calls, zone=args.zone)
    except OSError as exc:
        raise InputError(f"{args.calls}: cannot write the call table ({_os_error_text(exc)})") from exc


def _run_import_report(args: argparse.Namespace, inputs: list[Path], kind: str, console: Any,
                       sizes: list[int | None], *, as_of: Any, wrapup: dict[str, int],
                       aliases: dict[str, str], infer: bool, title: str, calls_writer: Any) -> int:
    from .hresult import TapiError
    from .io.queue_log import import_queue_log

    total = sum(size or 0 for size in sizes)
    started = time.perf_counter()
    low_memory = kind == "queue_log" and getattr(args, "low_memory", False)
    if low_memory:
        from .report.memory import map_large_buffers

        # the blocks' buffers go back to the system when freed, not into holes of the
        # heap (report/memory.py); each is then faulted in fresh: system time
        map_large_buffers()
    importer_diag: dict[str, Any] | None = None
    intervals = None
    aliases_inferred: list[str] = []
    options: dict[str, Any] = dict(wrapup=wrapup, aliases=aliases, infer=infer)
    if getattr(args, "reorder_window", None) is not None:
        options["reorder_window"] = args.reorder_window
    if getattr(args, "max_call", None) is not None:
        options["max_call"] = args.max_call
    if low_memory:
        # events in flight in chunks of this many (the importer's default: four times that)
        options["chunk_events"] = _REPORT_CHUNK_EVENTS
    if args.by == "agent":
        # The agent view: one wall-clock timeline per agent across its queues.
        from .report.agents import run_agent_report

        try:
            with _progress_bar(_want_progress(args.progress, total), total if kind == "queue_log" else None,
                               kind) as update:
                frame, by, importer_diag, kernel_diag, when = run_agent_report(
                    args, inputs, kind, as_of=as_of, progress=update, window_start=args.window_start,
                    options=options if kind == "queue_log" else {"columns": _pairs(args.column, "--column")},
                    numpy_rows=_screen_of_numpy_rows(args))
        except TapiError as exc:
            raise InputError(str(getattr(exc, "detail", "") or exc)) from exc
        except (ValueError, TypeError) as exc:
            raise InputError(str(exc)) from exc
        if importer_diag is not None:
            _check_readable(importer_diag)
            aliases_inferred = importer_diag.get("aliases_inferred", [])
        return _show(args, console, frame, by, title, importer_diag, kernel_diag, when,
                     aliases_inferred, time.perf_counter() - started)
    try:
        if kind == "queue_log":
            intervals = None
            if args.interval:
                from .aggregate import _as_of_to_ticks
                from .rollup import IntervalRollup

                # Without --as-of the report time is the log's end, known once it is read.
                intervals = IntervalRollup(_step_seconds(args), as_of=_as_of_to_ticks(as_of, "s"))
                column = "agent" if args.by == "agent" else "acd_group"
                options["on_chunk"] = lambda c: intervals.update(c.session, c.time, c.state, getattr(c, column))
            window = _session_window(args, as_of, "s")
            if window is not None:
                options["on_chunk"] = _both(options.get("on_chunk"), lambda c: window.update(
                    c.session, c.time, c.state, wait=c.wait, agent=c.agent, acd_group=c.acd_group))
            # Memory: the per-call records are kept only for --calls FILE.parquet/.json; else
            # each call is folded into the queue statistics (--by queue) once no later line
            # can change it, and written to --calls FILE.csv then.
            options["keep_calls"] = bool(args.calls) and calls_writer is None
            if calls_writer is not None:
                options["call_sink"] = calls_writer.add
            if args.by == "queue" and not options["keep_calls"]:
                options["queue_stats"] = dict(
                    interval=args.interval or None, service_level=tuple(args.service_levels),
                    tz=args.zone,
                    window_start=None if args.window_start is None else _epoch_seconds(args.window_start))
            with _progress_bar(_want_progress(args.progress, total), total, "queue_log") as update:
                result = import_queue_log(inputs, as_of=as_of, progress=update, **options)
            if window is not None:
                from dataclasses import replace

                # the sessions clipped to the window (SPEC 7.2 measurement period)
                result = replace(result, table=window.result(as_of=result.table.as_of))
            table = result.table
            importer_diag = result.diagnostics
            from .report.memory import release_free_heap

            release_free_heap()     # what the import freed, before the report's frames
            if intervals is not None and intervals.as_of is None:
                intervals.as_of = importer_diag["last_time"]
            aliases_inferred = result.aliases_inferred
            _check_readable(importer_diag)
            sessions: Any = None                    # the queue view reads the result itself
            if args.by == "session" and _screen_of_numpy_rows(args):
                from .report.rows import session_rows

                sessions = session_rows(result)     # the same rows, without pandas
            elif args.by == "session" and _csv_by_slices(args, result):
                from .report.rows import session_slices

                sessions = session_slices(result)   # the same rows, a slice at a time
            elif args.by == "session":
                sessions = result.to_pandas()
        else:
            from .io.tabular import import_table

            columns = _pairs(args.column, "--column")
            on_chunk = None
            if args.interval:
                intervals, on_chunk = _table_intervals(args, as_of)
            window = _session_window(args, as_of, args.time_unit)
            if window is not None:
                on_chunk = _both(on_chunk, lambda b: window.update(
                    b["session"], b["time"], b["state"], wait=b.get("wait"), agent=b.get("agent"),
                    acd_group=b.get("acd_group"), address=b.get("address")))
            with _progress_bar(_want_progress(args.progress, total), None, kind) as update:
                imported = import_table(inputs, format=kind, columns=columns, time_unit=args.time_unit,
                                        wait_unit=args.wait_unit, as_of=as_of, strict=not args.lenient,
                                        progress=update, on_chunk=on_chunk,
                                        **({"chunk_rows": None} if args.whole_file else {}))
            table = imported.table
            if window is not None:
                table = window.result(as_of=table.as_of)
            sessions = table.to_pandas()
    except TapiError as exc:
        raise InputError(str(getattr(exc, "detail", "") or exc)) from exc
    except (ValueError, TypeError) as exc:
        raise InputError(str(exc)) from exc
    except OSError as exc:
        raise InputError(_os_error(exc)) from exc
    elapsed = time.perf_counter() - started

    by = args.by
    if args.calls:
        from .report.queues import write_calls

        if kind != "queue_log":
            raise InputError("--calls needs a queue_log input (an event table has no callers)")
        diagnostics = {"lines": importer_diag, "events": table.diagnostics}
        try:
            if calls_writer is not None:
                from .report.queues import commit_streamed_calls

                commit_streamed_calls(calls_writer, diagnostics=diagnostics)
            else:
                from .localtime import localise_frame

                write_calls(localise_frame(result.calls, args.zone), args.calls, diagnostics=diagnostics)
        except (OSError, ValueError) as exc:
            raise InputError(f"{args.calls}: {exc}") from exc
    if kind == "queue_log" and by == "queue" and _screen_of_numpy_rows(args):
        from .report.rows import queue_rows

        # the same rows as queue_report's, without pandas
        frame = queue_rows(result, service_levels=args.service_levels,
                           window_start=None if args.window_start is None else _epoch_seconds(args.window_start))
        by = "queue_calls"
    elif kind == "queue_log" and by == "queue":
        from .report.queues import queue_report
        from .rollup import rollup

        # The callers' statistics (SPEC 8.2) with the members' agent-hours beside them.
        agents = intervals.result("acd_group") if intervals is not None else (
            rollup(table, "acd_group") if len(table) else None)
        if agents is not None and args.window_start is not None and intervals is not None:
            # the window starts on an interval edge: its intervals are the window
            agents = agents[_interval_seconds_of(agents["interval_start"]) >= _epoch_seconds(args.window_start)]
        if agents is not None and intervals is not None and args.zone is not None:
            from .localtime import regroup_seconds

            agents = regroup_seconds(agents, "acd_group", _step_seconds(args), args.interval * 60, args.zone)
        frame = queue_report(result, interval_minutes=args.interval, agent_frame=agents,
                             service_levels=args.service_levels, tz=args.zone,
                             window_start=None if args.window_start is None else _epoch_seconds(args.window_start))
        by = "queue_calls"
    elif intervals is not None:
        key = "agent" if by == "agent" else "acd_group"
        if kind == "queue_log":
            frame = intervals.result(key)
            if args.zone is not None:
                from .localtime import regroup_seconds

                frame = regroup_seconds(frame, key, _step_seconds(args), args.interval * 60, args.zone)
        else:       # ticks finer than seconds: regrouped in ticks, floored once per cell
            frame = intervals.result(key, tz=args.zone, interval_seconds=args.interval * 60)
        if args.window_start is not None:
            frame = frame[_interval_seconds_of(frame["interval_start"]) >= _epoch_seconds(args.window_start)]
            frame = frame.reset_index(drop=True)
        by = "interval"
    elif by == "session":
        frame = sessions
        if _by_slices(frame):
            pass                    # sorted already (report.rows.session_slices)
        elif "label" in frame.columns:
            frame = frame.sort_values(["agent", "acd_group", "instance"], kind="stable").reset_index(drop=True)
    else:
        from .rollup import rollup

        key = "agent" if by == "agent" else "acd_group"
        if len(table) == 0:
            frame = rollup(table, key, keys={key: []})
        elif key not in table.meta:
            raise _no_column_for(by)
        else:
            frame = rollup(table, key)

    return _show(args, console, frame, by, title, importer_diag, table.diagnostics,
                 table.as_of_datetime if len(table) else None, aliases_inferred, elapsed)


#: the events of a queue_log report's import are aggregated this many at a time: the
#: chunk and its copies are 10-20 MiB at the importer's default 524,288, and fewer
#: events a chunk measured 20-50 MiB less at the peak (benchmarks/README.md)
_REPORT_CHUNK_EVENTS = 1 << 17

#: set (to anything) to build every report through pandas: the tests compare both ways
_PANDAS_ROWS_ENV = "AGENTSTATS_PANDAS_ROWS"


def _csv_by_slices(args: argparse.Namespace, result: Any) -> bool:
    """Is this per-session report a CSV file of a queue_log with sessions? Its rows are
    then built and written a slice at a time (report.rows.session_slices)."""
    return (bool(args.output) and Path(args.output).suffix.lower() == ".csv" and len(result.table) > 0
            and not os.environ.get(_PANDAS_ROWS_ENV))


def _by_slices(frame: Any) -> bool:
    from .report.files import FrameSlices

    return isinstance(frame, FrameSlices)


def _screen_of_numpy_rows(args: argparse.Namespace) -> bool:
    """Is this report a table on the screen (no file, UTC) of sessions, agents or queues,
    without intervals? Its rows are then NumPy columns (report.rows): a small log is
    reported without importing pandas."""
    if os.environ.get(_PANDAS_ROWS_ENV) or args.output or getattr(args, "zone", None) is not None:
        return False
    if args.by == "session":
        return getattr(args, "window_start", None) is None
    return not args.interval


def _session_window(args: argparse.Namespace, as_of: Any, unit: str) -> Any:
    """--from on the per-session table, or on the per-queue totals of sessions: a
    SessionWindow fed the same rows as the report (None without --from, or when
    intervals or the agent view cut the window themselves)."""
    if args.window_start is None or args.interval or args.by not in ("session", "queue"):
        return None
    from .session_window import SessionWindow

    return SessionWindow(args.window_start, unit=unit, as_of=as_of, strict=False)


def _both(first: Any, second: Any) -> Any:
    """One on_chunk callback that calls `first` (if any), then `second`."""
    if first is None:
        return second

    def both(chunk: Any) -> None:
        first(chunk)
        second(chunk)

    return both


def _interval_seconds_of(values: Any) -> Any:
    """Interval starts (naive UTC or local aware datetimes) as epoch seconds."""
    import numpy as np
    import pandas as pd

    starts = pd.Series(pd.to_datetime(values))
    if isinstance(starts.dtype, pd.DatetimeTZDtype):
        starts = starts.dt.tz_convert("UTC").dt.tz_localize(None)
    return starts.astype("datetime64[s]").to_numpy().view(np.int64)


def _starts_an_interval(args: argparse.Namespace, seconds: int) -> bool:
    if args.interval > 525600 or args.interval <= 0:
        return True                     # refused below with its own message
    step = _step_seconds(args)
    if seconds % step:
        return False
    if args.zone is None:
        return True
    from .localtime import local_interval_starts

    import numpy as np

    return int(local_interval_starts(np.array([seconds]), step, args.interval * 60, args.zone)[0]) == seconds


def _epoch_seconds(value: Any) -> int:
    """An option's time (int epoch seconds or datetime64) as epoch seconds."""
    import numpy as np

    return value if isinstance(value, int) else int(np.datetime64(value, "s").astype(np.int64))


#: Excel sheet names of the report kinds
_SHEETS = {"session": "sessions", "agent": "agents", "interval": "intervals", "queue_calls": "queues",
           "queue": "queues"}


def _step_seconds(args: argparse.Namespace) -> int:
    """The bucket width of --interval: the interval itself, or with --tz a step that every
    local edge lies on (the per-interval sums are then added up per local interval)."""
    if getattr(args, "zone", None) is None:
        return args.interval * 60
    from .localtime import fine_step

    return fine_step(args.interval * 60, args.zone)


def _local_text(when: Any, zone: Any) -> str:
    """A report time (naive UTC datetime64) as text in the report's zone."""
    if zone is None:
        import numpy as np

        from .report.terminal import format_time

        return format_time(np.datetime64(when))
    import pandas as pd

    stamp = pd.Timestamp(when)
    if zone is not None:
        stamp = stamp.tz_localize("UTC").tz_convert(zone)
    return stamp.strftime("%Y-%m-%d %H:%M:%S")


def _write_html(args: argparse.Namespace, inputs: list[Path], kind: str, console: Any, *,
                as_of: Any, wrapup: dict[str, int], aliases: dict[str, str], infer: bool, title: str) -> int:
    """--html FILE: the HTML report of a queue_log."""
    from .hresult import TapiError

    if kind != "queue_log":
        raise InputError("--html needs a queue_log input")
    if str(_STDIN) in map(str, inputs):
        raise InputError("--html reads the log more than once: give files, not standard input")
    try:
        from .report.html import html_report
    except ImportError as exc:
        raise InputError(f"--html needs plotly (pip install 'agentstats[html]'): {exc}") from exc
    options: dict[str, Any] = dict(wrapup=wrapup, aliases=aliases, infer=infer)
    if getattr(args, "reorder_window", None) is not None:
        options["reorder_window"] = args.reorder_window
    try:
        out = html_report(inputs, args.html, interval=args.interval or 60, tz=args.zone, as_of=as_of,
                          window_start=args.window_start, service_level=args.service_levels[0], title=title,
                          agent_patterns=args.agent_patterns, queue_patterns=args.queue_patterns, **options)
    except TapiError as exc:
        raise InputError(str(getattr(exc, "detail", "") or exc)) from exc
    except OSError as exc:
        raise InputError(f"{args.html}: cannot write the report ({_os_error_text(exc)})") from exc
    except (ValueError, TypeError) as exc:
        raise InputError(str(exc)) from exc
    except ImportError as exc:     # plotly is imported when the page is built
        raise InputError(f"--html needs plotly (pip install 'agentstats[html]'): {exc}") from exc
    console.print(f"wrote the HTML report to {out}")
    return 0


def _check_readable(importer_diag: dict[str, Any]) -> None:
    """Refuse an input of which no line could be read as a queue_log line."""
    counted = importer_diag["counted"]
    unreadable = [r for r in ("malformed", "bad_epoch", "line_too_long") if counted.get(r)]
    bad = sum(counted[r] for r in unreadable)
    if bad and bad + counted.get("blank", 0) + counted.get("nul_garbage", 0) == importer_diag["lines"]:
        first = min((importer_diag["examples"][r][0] for r in unreadable),
                    key=lambda where: int(where.rpartition(":")[2]))
        raise InputError(f"{first}: no queue_log line could be read "
                         f"(is this a queue_log? use --format for tables)")


def _show(args: argparse.Namespace, console: Any, frame: Any, by: str, title: str,
          importer_diag: dict[str, Any] | None, kernel_diag: dict[str, int], when: Any,
          aliases_inferred: list[str], elapsed: float) -> int:
    """Write the report to a file or the screen, then the line and event accounting."""
    from .localtime import localise_frame
    from .report import print_table
    from .report.filters import filter_rows

    zone = getattr(args, "zone", None)
    if _by_slices(frame):                   # a CSV written a slice at a time
        queues = args.queue_patterns
        frame = frame.map(lambda part: localise_frame(
            filter_rows(part, agents=args.agent_patterns, queues=queues), zone))
        return _write_file(args, console, frame, by, importer_diag, kernel_diag, aliases_inferred, elapsed)
    try:
        frame = filter_rows(frame, agents=args.agent_patterns,
                            queues=args.queue_patterns if by not in ("agent", "interval") or "agent" not in frame
                            else ())
    except ValueError as exc:
        raise InputError(str(exc)) from exc

    if getattr(args, "open_days", None) is not None or getattr(args, "open_hours", None) is not None:
        from .report.opening_hours import keep_open

        frame = keep_open(frame, days=args.open_days, hours=args.open_hours, zone=zone)
    frame = localise_frame(frame, zone)
    zone_name = str(zone) if zone is not None else "UTC"

    if args.output:
        return _write_file(args, console, frame, by, importer_diag, kernel_diag, aliases_inferred, elapsed)
    else:
        subtitle = f"as of {_local_text(when, zone)} {zone_name}" if when is not None else ""
        if by == "queue_calls":
            from .report.queues import print_queue_table

            noun = "queue interval" if args.interval else "queue"
            print_queue_table(frame, title=f"{title} — {len(frame):,} {noun}{'s' if len(frame) != 1 else ''} "
                                           f"{subtitle}", console=console, limit=args.limit or None,
                             zone=zone_name)
        else:
            print_table(frame, title=f"{title} — {len(frame):,} {by if by != 'session' else 'session'}"
                                     f"{'s' if len(frame) != 1 else ''} {subtitle}",
                        console=console, limit=args.limit or None, by=by, zone=zone_name)
    _print_accounting(args, console, importer_diag, kernel_diag, aliases_inferred, elapsed)
    return 0


def _write_file(args: argparse.Namespace, console: Any, frame: Any, by: str, importer_diag: Any,
                kernel_diag: dict[str, int], aliases_inferred: list[str], elapsed: float) -> int:
    """-o OUT: the report to a file, then the line and event accounting."""
    from .report.files import accounting_path, write_report

    try:
        out = write_report(frame, args.output, sheet=_SHEETS.get(by, by),
                           diagnostics={"lines": importer_diag, "events": kernel_diag})
    except OSError as exc:
        raise InputError(f"{args.output}: cannot write the report ({_os_error_text(exc)}); "
                         f"an existing file of that name is unchanged") from exc
    except ValueError as exc:
        raise InputError(f"{args.output}: {exc}") from exc
    except ImportError as exc:
        raise InputError(f"{args.output}: writing Excel files needs openpyxl "
                         f"(pip install 'agentstats[excel]'): {exc}") from exc
    console.print(f"wrote {len(frame):,} rows to {out}"
                  + (f" (line accounting in {accounting_path(out)})" if out.suffix.lower() == ".csv" else ""))
    _print_accounting(args, console, importer_diag, kernel_diag, aliases_inferred, elapsed)
    return 0


def _print_accounting(args: argparse.Namespace, console: Any, importer_diag: Any, kernel_diag: dict[str, int],
                      aliases_inferred: list[str], elapsed: float) -> None:
    from .report import print_diagnostics

    if not args.quiet:
        print_diagnostics(console, importer=importer_diag, kernel=kernel_diag, aliases=aliases_inferred,
                          list_aliases=args.list_aliases)
        if importer_diag is not None and elapsed > 1:
            console.print(f"[dim]{importer_diag['lines']:,} lines in {elapsed:.1f} s "
                          f"({importer_diag['lines'] / elapsed:,.0f} lines/s)[/dim]")


def main(argv: list[str] | None = None) -> int:
    # The command does no linear algebra: NumPy's OpenBLAS need not start a thread per
    # core when NumPy is imported (a spinning thread beside the report's own start-up:
    # `import numpy` 0.08-0.10 s wall with one, 0.11-0.15 s without, on this VM under
    # load). Only when not set already, and only in the command (not in the library).
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        return _main(argv)
    except BrokenPipeError:
        # the reader of the output went away (`agentstats ... | head`): stop quietly, and
        # keep Python from reporting the same closed pipe again at exit
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 141


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:         # --help / --version (0) and usage errors (2)
        return exc.code if isinstance(exc.code, int) else 2
    if args.command == "explain":
        return _explain(" ".join(args.term))
    from .localtime import time_zone

    try:
        args.zone = time_zone(args.tz)
    except ValueError as exc:
        return _usage_error(parser, f"--tz: {exc}")
    if args.until is not None:
        if args.as_of is not None:
            return _usage_error(parser, "--until and --as-of are the same: give one of them")
        args.as_of = args.until
    try:
        end = _as_of(args.as_of, args.zone, "--until" if args.until is not None else "--as-of")
        args.window_start = _as_of(args.from_, args.zone, "--from")
    except argparse.ArgumentTypeError as exc:
        return _usage_error(parser, str(exc))
    if args.calls and (args.by == "agent" or args.html):
        return _usage_error(parser, "--calls writes the callers of a queue_log with --by session or --by queue "
                                    "(not with --by agent or --html)")
    if args.html and args.interval is None:
        args.interval = 60          # the HTML report's charts are per interval
    if args.window_start is not None:
        if end is not None and _epoch_seconds(args.window_start) > _epoch_seconds(end):
            return _usage_error(parser, "--from is after --until: the window would be empty")
        if args.interval and not _starts_an_interval(args, _epoch_seconds(args.window_start)):
            return _usage_error(parser, f"--from {args.from_}: with --interval the window must start "
                                        f"where an interval starts (e.g. at midnight)")
    if args.interval is not None and (args.interval <= 0 or (args.by == "session" and not args.html)):
        return _usage_error(parser, "--interval MINUTES needs MINUTES > 0 and --by agent or --by queue")
    if args.interval is not None and args.interval > 525600:
        return _usage_error(parser, f"--interval {args.interval}: at most 525600 minutes (a year)")
    from .report.opening_hours import check_fits, parse_days, parse_hours

    try:
        args.open_days, args.open_hours = parse_days(args.days), parse_hours(args.hours)
        if args.days is not None or args.hours is not None:
            if not args.interval or args.by == "session" or args.html:
                return _usage_error(parser, "--days and --hours need --interval and --by agent or --by queue "
                                            "(the opening hours are whole reporting intervals)")
            check_fits(args.open_hours, args.interval)
    except ValueError as exc:
        return _usage_error(parser, str(exc))
    from .report.queues import parse_service_levels

    try:
        args.service_levels = parse_service_levels(args.service_level)
    except ValueError as exc:
        return _usage_error(parser, str(exc))
    try:
        if args.command == "demo":
            from .demo import DEMO_WRAPUP, demo_log_path

            with _as_file(demo_log_path()) as path:
                return _run_report(args, [path], wrapup=DEMO_WRAPUP, aliases={}, infer=True,
                                   title="agentstats demo: one day of a 20-agent contact center")
        wrapup_items = args.wrapup
        from .io.queue_log import parse_wrapup, read_alias_file

        try:
            wrapup = parse_wrapup(wrapup_items)
            _pairs(args.column, "--column")
        except (ValueError, argparse.ArgumentTypeError) as exc:
            return _usage_error(parser, str(exc))
        aliases = {}
        if args.alias:
            try:
                aliases = read_alias_file(args.alias)
            except OSError as exc:
                raise InputError(f"{args.alias}: cannot read the alias file ({_os_error_text(exc)})") from exc
            except (ValueError, UnicodeDecodeError) as exc:
                raise InputError(f"{args.alias}: {exc}" if isinstance(exc, UnicodeDecodeError) else str(exc)) from exc
        inputs = [Path(p) for p in args.inputs]
        return _run_report(args, inputs, wrapup=wrapup, aliases=aliases, infer=args.infer_aliases,
                           title="agentstats report")
    except InputError as exc:
        print(f"agentstats: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("agentstats: interrupted", file=sys.stderr)
        return 130


def _explain(term: str) -> int:
    from .report.explain import entries, explain

    if not term:
        print("Terms (agentstats explain TERM):")
        for heading in entries():
            print(f"  {heading}")
        return 0
    text = explain(term)
    if text is None:
        print(f"agentstats: error: no definition of {term!r}; agentstats explain lists every term",
              file=sys.stderr)
        return 2
    print(text)
    return 0


def _input_size(path: Path) -> int | None:
    """The byte size of a regular input file, None for a stream (a FIFO, a pipe such as
    <(zcat ...), a character device, - for standard input); InputError when it cannot
    be used, with the reason in plain words (a permission problem says so)."""
    if str(path) == _STDIN:
        return None
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({_os_error_text(exc)})") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{path}: is a directory, not a log file")
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def _os_error_text(exc: OSError) -> str:
    from .io.lines import os_error_text

    return os_error_text(exc)


def _os_error(exc: OSError) -> str:
    name = f"{exc.filename}: " if exc.filename else ""
    return f"{name}{_os_error_text(exc)}"


def _usage_error(parser: argparse.ArgumentParser, message: str) -> int:
    try:
        parser.error(message)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    return 2  # pragma: no cover


@contextmanager
def _as_file(resource):
    from importlib import resources

    with resources.as_file(resource) as path:
        yield Path(path)


def _no_column_for(by: str) -> InputError:
    """--by agent / --by queue on an event table that maps no such column."""
    column = "agent" if by == "agent" else "queue"
    return InputError(f"--by {by}: the input has no {column} column "
                      f"(map one with --column {column}=NAME)")


def _table_intervals(args: argparse.Namespace, as_of: Any) -> tuple[Any, Any]:
    """An IntervalRollup in nanosecond ticks fed with each batch of an event table (the
    tables' times may be finer than seconds), keyed by agent or queue."""
    from .aggregate import _as_of_to_ticks, _time_to_ticks
    from .rollup import IntervalRollup

    role = "agent" if args.by == "agent" else "acd_group"
    ns = 10**9
    intervals = IntervalRollup(_step_seconds(args) * ns, ticks_per_second=ns,
                               as_of=_as_of_to_ticks(as_of, "ns"))

    def update(batch: dict[str, Any]) -> None:
        if role not in batch:
            raise _no_column_for(args.by)
        ticks, _ = _time_to_ticks(batch["time"], args.time_unit, "ns")
        intervals.update(batch["session"], ticks, batch["state"], batch[role])

    return intervals, update


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
