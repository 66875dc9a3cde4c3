"""Reading a log file for the ``event-log`` and ``event-timeline`` directives, without Sphinx.

The lines are read and checked by :class:`elastic_events.EventLog`, filtered and tabulated as the
``elastic-events`` command does (:mod:`elastic_events._cli`), and drawn by
:class:`elastic_events._timeline.Timeline`: the docs show what the command shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from elastic_events import EventLog, EventSource, LogLine, RdzvEvent
from elastic_events._cli import table_row

if TYPE_CHECKING:
    from collections.abc import Callable

    from elastic_events import Event

#: The columns of an event-log table: the command's, with headings for readers and the CSS
#: class of their cells.
COLUMNS = {
    "LINE": ("Line", "event-log-line"),
    "TIME": ("Time", "event-log-time"),
    "SOURCE/STATE": ("Source / state", "event-log-state"),
    "NAME": ("Name", "event-log-name"),
    "NODE": ("Node", "event-log-node"),
    "DETAILS": ("Details", "event-log-details"),
}


@dataclass
class LogContents:
    """What a log file holds: its event lines that pass the filters, and its bad lines."""

    lines: list[LogLine] = field(default_factory=list)
    bad: list[LogLine] = field(default_factory=list)
    events: int = 0
    other: int = 0


def read_log(path: str, keep: Callable[[Event | RdzvEvent], bool]) -> LogContents:
    """Read and check the log at *path*; keep the events for which *keep* is true.

    Raises:
        OSError: The file cannot be opened or read.
    """
    contents = LogContents()
    with open(path, "rb") as stream:
        log = EventLog(stream)
        for line in log:
            if line.event is None:
                contents.bad.append(line)
            elif keep(line.event):
                contents.lines.append(line)
    contents.events, contents.other = log.events, log.other
    return contents


def source_option(argument: str | None) -> str:
    """The value of a ``:source:`` option: ``AGENT`` or ``WORKER``, in any case."""
    value = (argument or "").strip().upper()
    if value not in EventSource.__members__:
        allowed = ", ".join(EventSource.__members__)
        msg = f"unknown source {argument!r}; expected one of {allowed}"
        raise ValueError(msg)
    return value


def state_option(argument: str | None) -> str:
    """The value of a ``:state:`` option, upper-cased as the command does."""
    value = (argument or "").strip()
    if not value:
        msg = "the state is missing; write for instance :state: FAILED"
        raise ValueError(msg)
    return value.upper()


def table(lines: list[LogLine]) -> tuple[list[tuple[str, str]], list[list[str]]]:
    """The columns (heading, CSS class) and the cells of a table of *lines*, as in the command.

    The time column is left out when no event has a timestamp (torchelastic writes 0).
    """
    rows = [table_row(line.number, line.event) for line in lines if line.event is not None]
    columns = [c for c in COLUMNS if c != "TIME" or any(row["TIME"] for row in rows)]
    return [COLUMNS[c] for c in columns], [[row[c] for c in columns] for row in rows]


def traceback_of(event: Event | RdzvEvent) -> str:
    """The traceback an event carries: a rendezvous ``error_trace``, or a Python ``raw_error``."""
    if isinstance(event, RdzvEvent):
        return event.error_trace
    raw = event.metadata.get("raw_error")
    return raw if isinstance(raw, str) and raw.startswith("Traceback") else ""


_NOT_ID = re.compile(r"[^a-z0-9]+")


def id_prefix(docname: str, number: int) -> str:
    """A prefix for the ``id`` attributes of a page's *number*-th timeline, unique in a site."""
    return f"event-timeline-{_NOT_ID.sub('-', docname.lower()).strip('-')}-{number}"
