"""Views of a log's events: the one definition of an event's state, node and failure, the filter,
and the rows of a table.

``elastic-events show`` and ``timeline``, :class:`~elastic_events.Timeline` and the Sphinx
directives all call these; none of them derives a state, a node or a rank of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from elastic_events._logs import LogLine
from elastic_events._model import Event, EventSource, RdzvEvent
from elastic_events._times import format_time

TYPE_CHECKING = False
if TYPE_CHECKING:
    import datetime
    from typing import Any

# The states of a failure, documented at the public face (elastic_events.FAILURE_STATES).
FAILURE_STATES = frozenset({"FAILED", "UNHEALTHY"})

# torchelastic names its agent and worker events "torchelastic.worker.status.<STATE>" and puts
# the same state in their metadata (torch/distributed/elastic/agent/server/api.py,
# SimpleElasticAgent._construct_event).
_STATUS_PREFIX = "torchelastic.worker.status."


def event_state(event: Event | RdzvEvent) -> str | None:
    """The state an event reports, upper-case; ``None`` when it reports none.

    That is the ``node_state`` of a rendezvous event; for an agent or worker event, the
    ``state`` of its metadata, or else the state its torchelastic name ends in.

    Example:
        >>> from elastic_events import Event, event_state
        >>> event_state(Event("torchelastic.worker.status.FAILED", "AGENT"))
        'FAILED'
        >>> event_state(Event("step", "WORKER", metadata={"state": "running"}))
        'RUNNING'
        >>> print(event_state(Event("step", "WORKER")))
        None

    .. versionadded:: 0.1
    """
    if isinstance(event, RdzvEvent):
        return event.node_state.name
    state = event.metadata.get("state")
    if isinstance(state, str):
        return state.upper()
    if event.name.startswith(_STATUS_PREFIX):
        return event.name[len(_STATUS_PREFIX) :].upper() or None
    return None


def is_failure(event: Event | RdzvEvent) -> bool:
    """Whether an event reports a failure: its state is one of :data:`FAILURE_STATES`.

    Example:
        >>> from elastic_events import Event, is_failure
        >>> is_failure(Event("torchelastic.worker.status.TERMINATED", "WORKER"))
        False

    .. versionadded:: 0.1
    """
    return event_state(event) in FAILURE_STATES


@dataclass(frozen=True, slots=True)
class Node:
    """The node (one agent, on one host) that recorded an event, as far as the event tells.

    Attributes:
        host (str): The host name; ``""`` when the event does not say.
        local_id (int | None): The rendezvous ``local_id`` that tells apart the agents of one
            host, where known.
        rank (int | None): The node's rank in the rendezvous (torchelastic's ``group_rank``),
            where known.

    .. versionadded:: 0.1
    """

    host: str
    local_id: int | None
    rank: int | None


def event_node(event: Event | RdzvEvent) -> Node:
    """The node that recorded an event: its host, local id and node rank.

    The rank is the node's: a rendezvous event's ``rank``, an agent or worker event's
    ``group_rank``. A worker's own ``global_rank`` is the worker's, not the node's.

    Example:
        >>> from elastic_events import Event, event_node
        >>> event_node(Event("torchelastic.worker.status.FAILED", "WORKER",
        ...                  metadata={"hostname": "node-1", "group_rank": 1, "global_rank": 3}))
        Node(host='node-1', local_id=None, rank=1)

    .. versionadded:: 0.1
    """
    if isinstance(event, RdzvEvent):
        return Node(event.hostname, event.local_id, event.rank)
    host, rank = _host_and_rank(event.metadata)
    return Node(host, None, rank)


def _host_and_rank(metadata: dict[str, Any]) -> tuple[str, int | None]:
    """The host (``""`` when none) and node rank of an agent or worker event, by its metadata.

    What :func:`event_node` says, without a Node: ``table_row`` needs only these, per line.
    """
    host, rank = metadata.get("hostname"), metadata.get("group_rank")
    return (
        host if isinstance(host, str) else "",
        rank if isinstance(rank, int) and not isinstance(rank, bool) else None,
    )


def event_traceback(event: Event | RdzvEvent) -> str:
    """The Python traceback an event carries, or ``""``.

    That is a rendezvous event's ``error_trace``, or an agent or worker event's ``raw_error``
    when it is a traceback (torchelastic also puts a worker's error file there, as JSON).

    Example:
        >>> from elastic_events import Event, event_traceback
        >>> event_traceback(Event("torchelastic.worker.status.FAILED", "AGENT",
        ...     metadata={"raw_error": "Traceback (most recent call last):\\n..."}))
        'Traceback (most recent call last):\\n...'

    .. versionadded:: 0.1
    """
    if isinstance(event, RdzvEvent):
        return event.error_trace
    raw = event.metadata.get("raw_error")
    return raw if isinstance(raw, str) and raw.startswith("Traceback") else ""


def _run_id(event: Event | RdzvEvent) -> object:
    return event.run_id if isinstance(event, RdzvEvent) else event.metadata.get("run_id")


@dataclass(frozen=True)
class EventFilter:
    """A test that the lines of a log pass when their event matches every filter given.

    ``elastic-events show --name --source --state --run-id --since --until``, ``timeline`` and
    the directives' options of the same names are this filter.

    Args:
        name: A glob the event name must match (``*``, ``?``, ``[...]``).
        source: ``AGENT`` or ``WORKER``, in any case: agent or worker events of that source only.
        state: The state the event reports (:func:`event_state`), in any case.
        run_id: The run (rendezvous) id.
        since: Lines from this time on (:attr:`LogLine.time <elastic_events.LogLine.time>`):
            an ISO 8601 instant (without a zone, in *zone*), or a duration such as ``10m``
            counted from the first timed line of the log.
        until: Lines up to this time, inclusive: an instant, or a duration counted back from
            the last timed line of the log; the last line's time must then be given by
            :meth:`anchored`.
        zone: The zone of instants written without one; UTC by default.

    A line without a time passes *since* and *until* as the timed line before it did (before
    any timed line: when there is no *since*), so untimed lines stay with their neighbours.
    A filter with *since* or *until* remembers the lines it has seen: use one per log.

    Raises:
        ValueError: *source* is not an event source, or *since* or *until* is neither an
            instant nor a duration.

    Example:
        >>> from elastic_events import EventFilter, EventLog
        >>> failed = EventFilter(state="failed")
        >>> lines = EventLog([
        ...     '{"name": "torchelastic.worker.status.FAILED", "source": "AGENT"}',
        ...     '{"name": "torchelastic.worker.status.SUCCEEDED", "source": "AGENT"}',
        ... ])
        >>> [line.number for line in lines if failed(line)]
        [1]
        >>> late = EventFilter(since="1m")
        >>> lines = EventLog([
        ...     '2026-11-25T10:00:00Z {"name": "start", "source": "AGENT"}',
        ...     '2026-11-25T10:00:30Z {"name": "step", "source": "AGENT"}',
        ...     '2026-11-25T10:01:00Z {"name": "stop", "source": "AGENT"}',
        ... ])
        >>> [line.event.name for line in lines if late(line)]
        ['stop']

    .. versionadded:: 0.1
    .. versionchanged:: 0.3 *since*, *until* and *zone*.
    """

    name: str | None = None
    source: str | None = None
    state: str | None = None
    run_id: str | None = None
    since: str | None = None
    until: str | None = None
    zone: datetime.tzinfo | None = field(default=None, repr=False)
    _pattern: re.Pattern[str] | None = field(init=False, repr=False, compare=False, default=None)
    # since and until as (nanoseconds, relative); what was seen: [first time, last line kept].
    _bounds: tuple[tuple[int, bool] | None, tuple[int, bool] | None] = field(
        init=False, repr=False, compare=False, default=(None, None)
    )
    _seen: list[Any] = field(init=False, repr=False, compare=False, default_factory=list)

    def __post_init__(self) -> None:
        if self.source is not None and self.source.upper() not in EventSource.__members__:
            allowed = ", ".join(EventSource.__members__)
            raise ValueError(f"unknown source {self.source!r}; expected one of {allowed}")
        if self.name is not None:
            import fnmatch  # Only where a name is filtered: it costs an import at start-up.

            object.__setattr__(self, "_pattern", re.compile(fnmatch.translate(self.name)))
        if self.since is not None or self.until is not None:
            from elastic_events._times import parse_bound

            bounds = tuple(
                None if text is None else parse_bound(text, self.zone)
                for text in (self.since, self.until)
            )
            object.__setattr__(self, "_bounds", bounds)
            self._seen[:] = [None, self.since is None]

    @property
    def relative_until(self) -> bool:
        """Whether *until* is a duration, counted from a last time that :meth:`anchored` gives."""
        return self._bounds[1] is not None and self._bounds[1][1]

    def anchored(self, first: int | None, last: int | None) -> EventFilter:
        """This filter with its durations counted from the first and last times of a log.

        Args:
            first: The time of the first timed line, in nanoseconds since the epoch.
            last: The time of the last timed line.

        Example:
            >>> from elastic_events import EventFilter, EventLog
            >>> lines = list(EventLog([
            ...     '2026-11-25T10:00:00Z {"name": "start", "source": "AGENT"}',
            ...     '2026-11-25T10:05:00Z {"name": "stop", "source": "AGENT"}',
            ... ]))
            >>> keep = EventFilter(until="1m").anchored(lines[0].time, lines[-1].time)
            >>> [line.event.name for line in lines if keep(line)]
            ['start']
        """
        copy = EventFilter(
            self.name, self.source, self.state, self.run_id, self.since, self.until, self.zone
        )
        since, until = copy._bounds
        if since is not None and since[1] and first is not None:
            since = (first + since[0], False)
        if until is not None and until[1] and last is not None:
            until = (last - until[0], False)
        object.__setattr__(copy, "_bounds", (since, until))
        return copy

    def _in_time(self, time: int | None) -> bool:
        seen = self._seen
        if time is None:
            return bool(seen[1])
        since, until = self._bounds
        if seen[0] is None:
            seen[0] = time
        keep = True
        if since is not None:
            keep = time >= (seen[0] + since[0] if since[1] else since[0])
        if keep and until is not None:
            if until[1]:
                raise ValueError(
                    f"until={self.until!r} is a duration from the last time of the log: "
                    "give that time with EventFilter.anchored()"
                )
            keep = time <= until[0]
        seen[1] = keep
        return keep

    def __call__(self, line: LogLine) -> bool:
        """Whether *line* holds an event that matches every filter given."""
        event = line.event
        if event is None:
            return False
        if self._seen and not self._in_time(line.time):
            return False
        if self._pattern is not None and self._pattern.match(event.name) is None:
            return False
        if self.source is not None and not (
            isinstance(event, Event) and event.source.name == self.source.upper()
        ):
            return False
        if self.state is not None and event_state(event) != self.state.upper():
            return False
        return self.run_id is None or _run_id(event) == self.run_id


# The columns of a table of events, documented at the public face (elastic_events.TABLE_COLUMNS).
TABLE_COLUMNS = {
    "LINE": "Line",
    "TIME": "Time",
    "SOURCE/STATE": "Source / state",
    "NAME": "Name",
    "NODE": "Node",
    "DETAILS": "Details",
}

# Shown elsewhere in the row (hostname, node rank), or said by the name (state), or nested JSON.
_NOT_DETAILS = frozenset({"hostname", "state", "metadata", "group_rank"})
# Shown as escapes: control characters (C0, DEL, C1), lone surrogates (no encoding writes them),
# and the format characters (Unicode category Cf: zero-width spaces and joiners, bidirectional
# controls, the byte order mark, soft hyphens, tags...), which are invisible or reorder the text
# around them, so that "node-1" and "node-1" + U+200B would look the same.
_CONTROL = re.compile(
    "[\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\ud800-\udfff\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)

# The same, but for line breaks and tabs.
_SHOWN_IN_LINES = re.compile(_CONTROL.pattern.replace("\x00-\x1f", "\x00-\x08\x0b-\x1f", 1))


def table_row(line: LogLine) -> dict[str, str]:
    """The cells of the row of an event line in a table, by column (see :data:`TABLE_COLUMNS`).

    Every cell is one line of plain text: control characters are shown as escapes. ``TIME`` is
    the line's time (:attr:`LogLine.time <elastic_events.LogLine.time>`) in UTC, ISO 8601 to the
    millisecond; ``""`` when the line has none.

    Raises:
        ValueError: *line* holds no event (it is a bad line).

    Example:
        >>> from elastic_events import EventLog, table_row
        >>> [line] = EventLog(['{"name": "torchelastic.worker.status.FAILED", "source": '
        ...     '"WORKER", "metadata": {"hostname": "node-1", "group_rank": 1, "global_rank": 3}}'])
        >>> row = table_row(line)
        >>> row["NODE"], row["DETAILS"]
        ('node-1 rank 1', 'global_rank=3')

    .. versionadded:: 0.1
    """
    event = line.event
    if event is None:
        raise ValueError(f"line {line.number} holds no event: {line.error}")
    if isinstance(event, RdzvEvent):
        host, rank = event.hostname, event.rank
        time, kind = "", event.node_state._name_  # .name, without enum's Python property
        details = event.message
        if event.error_trace:
            lines = [text for text in event.error_trace.splitlines() if text.strip()]
            details += f" [{lines[-1].strip() if lines else ''}]"
        details = f"run_id={event.run_id} {details}"
    else:
        host, rank = _host_and_rank(event.metadata)
        time, kind = _time(event.timestamp) if event.timestamp else "", event.source._name_
        details = " ".join([
            f"{key}={text if len(text) <= 60 else _fit(text, 60)}"
            for key, value in event.metadata.items()
            if value is not None and key not in _NOT_DETAILS
            for text in (str(value),)  # A str as it is (str() returns it), else its str().
        ])  # fmt: skip
    if line.time is not None:
        time = format_time(line.time)
    host = host or "?"
    name, node = event.name, host if rank is None else f"{host} rank {rank}"
    # Most rows: nothing to escape (visible_text would return each as it is) or cut.
    if not (
        name.isprintable()
        and node.isprintable()
        and details.isprintable()
        and len(details) <= _DETAILS_WIDTH
    ):
        name, node = _clean(name), _clean(node)
        details = _fit(_clean(details[: _DETAILS_WIDTH + 1]), _DETAILS_WIDTH)
    return {
        "LINE": str(line.number),
        "TIME": time,
        "SOURCE/STATE": kind,
        "NAME": name,
        "NODE": node,
        "DETAILS": details,
    }


# The widest details cell. Escaping a character never shortens it, so the cell is cleaned from
# the first characters only: the rest would be cut anyway.
_DETAILS_WIDTH = 400


def _time(timestamp: int) -> str:
    """A timestamp in milliseconds since the epoch as UTC; nothing for torchelastic's 0."""
    if timestamp == 0:
        return ""
    return format_time(timestamp * 1_000_000)


def visible_text(text: str, lines: bool = False) -> str:
    r"""Text from a log made safe to show as it is: what would hide or disguise it, escaped.

    Control characters (terminal escapes, newlines), Unicode format characters (category Cf:
    zero-width spaces and joiners, bidirectional controls such as U+202E, the byte order mark)
    and lone surrogates (which no encoding can write) become the escapes Python writes for
    them, such as ``\x1b`` and ``\u200b``; so ``node-1`` and ``node-1`` + U+200B never look the
    same, and nothing reorders or recolours the text around it. The tables of
    ``elastic-events show`` and of ``event-log``, the timeline's labels and the directives'
    tracebacks and JSON show text through this function.

    Args:
        text: The text.
        lines: Keep line breaks (``\n``) and tabs, for text of several lines such as a
            traceback.

    Example:
        >>> from elastic_events import visible_text
        >>> print(visible_text("node-1\u200b \u202e1-edon\u202c \x1b[31m \ud800 a\nb"))
        node-1\u200b \u202e1-edon\u202c \x1b[31m \ud800 a\nb
        >>> print(visible_text("Traceback:\n\u202eboom", lines=True))
        Traceback:
        \u202eboom

    .. versionadded:: 0.1
    """
    # Most text: nothing to escape, said in C. Every character escaped is one that
    # str.isprintable() refuses (a control, format or surrogate character), so printable text,
    # ASCII or not ("…" where a value was cut), is shown as it is.
    if text.isprintable():
        return text
    return (_SHOWN_IN_LINES if lines else _CONTROL).sub(_escaped, text)


_clean = visible_text


def _escaped(match: re.Match[str]) -> str:
    return repr(match.group())[1:-1]  # None of them is printable: repr() escapes each.


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _fit_width(text: str, width: int | None = None) -> tuple[str, int]:
    """*text* cut to *width* terminal columns and padded to them; and its width before that.

    East Asian wide characters take two columns, combining marks none. Without *width*, the
    text as it is and its width.
    """
    if text.isascii():
        size = len(text)
        if width is None:
            return text, size
        return (text.ljust(width) if size <= width else text[: width - 1] + "\u2026"), size
    import unicodedata  # Only for text that is not ASCII: it costs an import at start-up.

    sizes = [_char_width(char, unicodedata) for char in text]
    size = sum(sizes)
    if width is None:
        return text, size
    if size > width:
        kept, used = 0, 0
        while used + sizes[kept] <= width - 1:
            used += sizes[kept]
            kept += 1
        text, size = text[:kept] + "\u2026", used + 1
    return text + " " * (width - size), size


def _char_width(char: str, unicodedata: Any) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
