"""Reading event logs: every line checked, line by line, in flat memory.

A log line is either a whole JSON event or a line of some log format whose event JSON starts at
its first ``{`` and runs to the end of the line (``2024-06-10 12:00:01 INFO {"name": ...}``).
Lines with no ``{`` at all are other lines: counted, never parsed. Each event is told apart as
an :class:`~elastic_events.Event` or an :class:`~elastic_events.RdzvEvent` by its fields, and
checked by the wire format (:mod:`elastic_events._wire`) with the library's own messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from elastic_events import _wire
from elastic_events._errors import InvalidEventError
from elastic_events._model import Event, RdzvEvent

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Generator, Iterable
    from typing import Any

# The order breaks ties: an object with as many fields of each is read as a rendezvous event.
CLASSES: tuple[type[Event] | type[RdzvEvent], ...] = (RdzvEvent, Event)


@dataclass(frozen=True, slots=True)
class LogLine:
    """One event line of a log: the event read from it, or what is wrong with it.

    Attributes:
        number (int): The line number in the log, counting from 1.
        event (Event | RdzvEvent | None): The event, or ``None`` when the line is bad.
        error (str): What is wrong with the line, or ``""`` when it holds a valid event.

    .. versionadded:: 0.1
    """

    number: int
    event: Event | RdzvEvent | None
    error: str


class EventLog:
    """The events of a log, read and checked one line at a time.

    Each line is a whole JSON event, or a log line whose event JSON starts at its first ``{``;
    lines without ``{`` are other lines, counted and skipped. An event is read as an
    :class:`~elastic_events.Event` (it has a ``source``) or an
    :class:`~elastic_events.RdzvEvent` (it has a ``node_state``, a ``run_id``...) and checked
    as :meth:`~elastic_events.Event.deserialize` checks it. A bad line does not stop the
    reading: it is reported, with what is wrong, and the next line is read.

    Memory stays flat whatever the size of the log: one line is held at a time (whole, however
    long it is). The lines are read once: iterate over an ``EventLog`` once, by ``for`` or by
    :meth:`problems`.

    Args:
        lines: The lines of the log: a file opened in binary mode (the fastest; a line that is
            not UTF-8 is reported and skipped), a text file, or any iterable of ``str`` or
            ``bytes`` lines.

    Attributes:
        events: How many valid events were read so far.
        bad: How many event lines were bad so far.
        other: How many lines without any ``{`` were skipped so far.

    Example:
        >>> from elastic_events import EventLog
        >>> log = EventLog([
        ...     'INFO {"name": "started", "source": "AGENT", "timestamp": 0, "metadata": {}}',
        ...     "a line of some other logger",
        ...     '{"name": "oops", "source": "AGENT", "timestamp": "soon"}',
        ... ])
        >>> for line in log:
        ...     print(line.number, line.event or line.error)
        1 {"name": "started", "source": "AGENT", "timestamp": 0, "metadata": {}}
        3 field 'timestamp' must be an integer; got 'soon' (a string)
        >>> log.events, log.bad, log.other
        (1, 1, 1)

    .. versionadded:: 0.1
    """

    def __init__(self, lines: Iterable[bytes | str]) -> None:
        self._lines = lines
        self.events = 0
        self.bad = 0
        self.other = 0

    def __iter__(self) -> Generator[LogLine, None, None]:
        """Yield every event line, good (with its event) or bad (with what is wrong)."""
        return self._read(build=True)

    def problems(self) -> Generator[LogLine, None, None]:
        """Yield the bad lines only; valid events are checked and counted, never built.

        The fast way to validate a log.

        Example:
            >>> from elastic_events import EventLog
            >>> log = EventLog([b'{"name": "x", "source": "AGENT"}', b'{"name": "x"'])
            >>> [(line.number, line.error) for line in log.problems()]
            [(2, "not valid JSON: Expecting ',' delimiter at column 13")]
            >>> log.events, log.bad
            (1, 1)
        """
        return self._read(build=False)

    def _read(self, build: bool) -> Generator[LogLine, None, None]:
        # The hot loop of `elastic-events validate`: keep it lean, one pass over the line.
        loads, classify, validate = _wire._decode_text, _wire.classify, _wire.validate
        decode, classes = _wire.decode, CLASSES
        events = bad = other = 0
        try:
            for number, line in enumerate(self._lines, 1):
                if isinstance(line, bytes):
                    start = line.find(b"{")
                    if start < 0:
                        other += 1
                        continue
                    try:
                        text = line[start:].decode()
                    except UnicodeDecodeError as error:
                        bad += 1
                        yield LogLine(number, None, _not_utf8(line, start, error))
                        continue
                else:
                    start = line.find("{")
                    if start < 0:
                        other += 1
                        continue
                    text = line[start:] if start else line
                try:
                    data = loads(text)
                    cls = classify(data, classes)
                    if cls is None:
                        raise InvalidEventError(_neither(data))
                    if build:
                        event: Event | RdzvEvent = decode(cls, data)
                        events += 1
                        yield LogLine(number, event, "")
                    else:
                        validate(cls, data)
                        events += 1
                except InvalidEventError as error:
                    bad += 1
                    yield LogLine(number, None, _problem(line, start, text, error))
        finally:
            self.events += events
            self.bad += bad
            self.other += other


def _not_utf8(line: bytes, start: int, error: UnicodeDecodeError) -> str:
    position = start + error.start
    return f"not UTF-8 text: byte {line[position]:#04x} at column {position + 1} ({error.reason})"


def _problem(line: bytes | str, start: int, text: str, error: InvalidEventError) -> str:
    """What is wrong with a line; a JSON syntax error located by its column in the line."""
    if error.line is None or error.column is None:
        return str(error)
    ending = text.rstrip("\r\n")
    if (error.line > 1 or error.column > len(ending)) and len(ending) < len(text):
        # A line cut short ends in its newline: say what breaks, not that a string holds "\n".
        try:
            _wire._decode_text(ending)
        except InvalidEventError as at_the_end:
            if at_the_end.column is not None:
                error = at_the_end
    prefix = line[:start]
    width = len(prefix.decode(errors="replace")) if isinstance(prefix, bytes) else len(prefix)
    at = "" if error.reason.endswith(" at") else " at"  # "Unterminated string starting at"
    return f"not valid JSON: {error.reason}{at} column {width + (error.column or 0)}"


def _neither(data: Any) -> str:
    if not isinstance(data, dict):  # Cannot be: the text starts with "{". Said all the same.
        return f"an event is a JSON object; got {_wire._describe(data)}"
    event, rdzv = (
        _wire._listed(f for f in _wire.distinctive_fields(cls, CLASSES) if f in _required(cls))
        for cls in (Event, RdzvEvent)
    )
    keys = list(data)
    shown = _wire._listed(keys[:8]) + (", ..." if len(keys) > 8 else "")
    found = f"this object has {shown}" if keys else "this object has no fields"
    return f"neither an Event (which has {event}) nor an RdzvEvent (which has {rdzv}); {found}"


def _required(cls: type) -> frozenset[str]:
    return _wire._spec_of(cls).required
