"""Reading event logs: every line checked, line by line, in flat memory.

A log line is either a whole JSON event or a line of some log format whose event JSON starts at
its first ``{`` and runs to the end of the line (``2024-06-10 12:00:01 INFO {"name": ...}``).
Lines with no ``{`` at all are other lines: counted, never parsed. Each event is told apart as
an :class:`~elastic_events.Event` or an :class:`~elastic_events.RdzvEvent` by its fields, and
checked by the wire format (:mod:`elastic_events._wire`) with the library's own messages.

A binary stream is split here, not by Python's file iteration: lines end at ``\\n``, ``\\r\\n``
or a lone ``\\r`` (as in Python's text mode), no line is held past ``MAX_LINE`` bytes, and a
stream compressed by gzip, bzip2 or xz is read through its decompressor, told by its first bytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from elastic_events import _wire
from elastic_events._errors import InvalidEventError
from elastic_events._model import Event, RdzvEvent
from elastic_events._times import line_timer

TYPE_CHECKING = False
if TYPE_CHECKING:
    import datetime
    from collections.abc import Generator, Iterable, Iterator
    from typing import Any, BinaryIO, TextIO

# The longest line read, documented at the public face (elastic_events.MAX_LINE).
MAX_LINE = _wire.MAX_LENGTH

# What a binary stream is read by: 64 KiB, about what file iteration reads at a time.
_CHUNK = 1 << 16
# The first bytes of compressed streams, and the standard library module that reads each.
_MAGIC = ((b"\x1f\x8b", "gzip"), (b"BZh", "bzip2"), (b"\xfd7zXZ\x00", "xz"))

# The order breaks ties: an object with as many fields of each is read as a rendezvous event.
CLASSES: tuple[type[Event] | type[RdzvEvent], ...] = (RdzvEvent, Event)


@dataclass(frozen=True, slots=True)
class LogLine:
    """One event line of a log: the event read from it, or what is wrong with it.

    Attributes:
        number (int): The line number in the log, counting from 1.
        event (Event | RdzvEvent | None): The event, or ``None`` when the line is bad.
        error (str): What is wrong with the line, or ``""`` when it holds a valid event.
        time (int | None): When the event happened, in nanoseconds since the Unix epoch (UTC):
            the event's own ``timestamp`` when it is not 0, else the time written before the
            event on its line (see :func:`~elastic_events.prefix_time`); ``None`` when neither
            says, and for bad lines.

    Example:
        >>> from elastic_events import EventLog, format_time
        >>> [line] = EventLog(['2026-11-25T10:00:00.250000001Z {"name": "x", "source": "AGENT"}'])
        >>> line.time, format_time(line.time)
        (1795600800250000001, '2026-11-25T10:00:00.250Z')

    .. versionadded:: 0.1
    .. versionchanged:: 0.3 The ``time`` field.
    """

    number: int
    event: Event | RdzvEvent | None
    error: str
    time: int | None = None


# The slots of a LogLine, set as its __init__ sets them, without the frozen dataclass's call of
# object.__setattr__ per field: the reader makes one line for every event (half the cost).
_NEW_LINE = object.__new__
_SET_NUMBER, _SET_EVENT, _SET_ERROR, _SET_TIME = (
    LogLine.__dict__[name].__set__ for name in ("number", "event", "error", "time")
)


def _event_line(number: int, event: Event | RdzvEvent, time: int | None) -> LogLine:
    """``LogLine(number, event, "", time)``, made faster."""
    line = _NEW_LINE(LogLine)
    _SET_NUMBER(line, number)
    _SET_EVENT(line, event)
    _SET_ERROR(line, "")
    _SET_TIME(line, time)
    return line


class EventLog:
    """The events of a log, read and checked one line at a time.

    Each line is a whole JSON event, or a log line whose event JSON starts at its first ``{``;
    lines without ``{`` are other lines, counted and skipped. An event is read as an
    :class:`~elastic_events.Event` (it has a ``source``) or an
    :class:`~elastic_events.RdzvEvent` (it has a ``node_state``, a ``run_id``...) and checked
    as :meth:`~elastic_events.Event.deserialize` checks it. A bad line does not stop the
    reading: it is reported, with what is wrong, and the next line is read.

    Memory stays flat whatever the size of the log: one line is held at a time, and never more
    than *max_line* of it; a longer line is one bad line, and the reading goes on after its end.
    The lines are read once: iterate over an ``EventLog`` once, by ``for`` or by
    :meth:`problems`.

    A binary stream (the fastest) is split at ``\\n``, ``\\r\\n`` or a lone ``\\r``; one that
    starts as gzip, bzip2 or xz data is decompressed as it is read (``compression`` says
    which), and compressed data cut short is one bad line after the lines read before it. A
    line that is not UTF-8 is a bad line; a stream that starts with a UTF-16 or UTF-32 byte
    order mark is one bad line, as :func:`~elastic_events.parse_json` says of such bytes. A
    UTF-8 byte order mark is ignored.

    Args:
        lines: The lines of the log: a file opened in binary mode, a text file, or any iterable
            of ``str`` or ``bytes`` lines.
        zone: The time zone of times written before events without a zone (Python logging's
            ``asctime``); UTC by default. See :func:`~elastic_events.parse_zone`.
        max_line: The longest line read, in bytes (characters for a text stream and ``str``
            lines); by default :data:`~elastic_events.MAX_LINE`.

    Attributes:
        events: How many valid events were read so far.
        bad: How many event lines were bad so far.
        other: How many lines without any ``{`` were skipped so far.
        compression: ``"gzip"``, ``"bzip2"`` or ``"xz"`` once a compressed binary stream is
            being read; else ``None``.

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
    .. versionchanged:: 0.2
       Lines are capped at *max_line*; lone ``\\r`` line endings and compressed streams are read.
    .. versionchanged:: 0.3 *zone*, and the time of each line (:attr:`LogLine.time`).
    """

    def __init__(
        self,
        lines: Iterable[bytes | str] | BinaryIO | TextIO,
        *,
        zone: datetime.tzinfo | None = None,
        max_line: int = MAX_LINE,
    ) -> None:
        if max_line < 1:
            raise ValueError(f"max_line must be at least 1; got {max_line!r}")
        self._lines = lines
        self.zone = zone
        self.max_line = max_line
        self.events = 0
        self.bad = 0
        self.other = 0
        self.compression: str | None = None

    def _source(self) -> Iterator[bytes | str | _Unread]:
        lines, limit = self._lines, self.max_line
        if isinstance(lines, io.TextIOBase):
            return _text_lines(lines, limit)
        if hasattr(lines, "read"):
            return self._binary_lines(lines)
        return _given_lines(lines, limit)

    def _binary_lines(self, stream: Any) -> Iterator[bytes | _Unread]:
        read = getattr(stream, "read1", stream.read)
        first = read(_CHUNK)
        while first and any(m.startswith(first) for m, _ in _MAGIC):
            more = read(_CHUNK)  # A pipe may give the first bytes a few at a time.
            if not more:
                break
            first += more
        bom = _wire._wide_bom(first)
        if bom:
            yield _Unread(bom)
            return
        for magic, kind in _MAGIC:
            if first.startswith(magic):
                self.compression = kind
                yield from _decompressed(kind, first, stream, self.max_line)
                return
        yield from _split(first, read, self.max_line)

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
        plain, built, decode = _wire.plain_event, _wire.plain_built, _wire.decode
        classes, line_time, event_line = CLASSES, line_timer(self.zone), _event_line
        events = bad = other = 0
        try:
            for number, line in enumerate(self._source(), 1):
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
                elif isinstance(line, str):
                    start = line.find("{")
                    if start < 0:
                        other += 1
                        continue
                    text = line[start:] if start else line
                else:  # What the reader could not take as a line: too long, or broken data.
                    bad += 1
                    yield LogLine(number, None, line.error)
                    continue
                try:
                    found = plain(text, classes)
                    if found is None:  # Read it in full: it may be valid all the same.
                        data = loads(text)
                        cls = classify(data, classes)
                        if cls is None:
                            raise InvalidEventError(_neither(data))
                        validate(cls, data)
                        event: Event | RdzvEvent | None = decode(cls, data) if build else None
                    else:  # Checked already: built as it is.
                        event = built(*found) if build else None
                    events += 1
                    if event is not None:
                        yield event_line(number, event, line_time(event, line, start))
                except InvalidEventError as error:
                    bad += 1
                    yield LogLine(number, None, _problem(line, start, text, error))
        finally:
            self.events += events
            self.bad += bad
            self.other += other


class _Unread:
    """In place of a line: what kept the reader from taking it (too long, broken data)."""

    def __init__(self, error: str) -> None:
        self.error = error


def _too_long(limit: int, unit: str = "bytes") -> _Unread:
    return _Unread(
        f"not read: the line is longer than {limit:,} {unit} (the limit; see max_line); "
        "skipped to its end"
    )


def _split(first: bytes, read: Any, limit: int) -> Iterator[bytes | _Unread]:
    """The lines of a binary stream whose first bytes are *first*, holding at most *limit*."""
    carry = bytearray()  # The start of a line that goes on in the next chunk.
    skipping = False  # Inside a line past the limit, already reported.
    after_cr = False  # The last chunk ended in \r: a \n that starts this one belongs to it.
    chunk = first
    while chunk:
        if after_cr and chunk[:1] == b"\n":
            chunk = chunk[1:]
        after_cr = False
        if b"\r" in chunk:
            after_cr = chunk[-1:] == b"\r"
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = chunk.split(b"\n")
        tail = lines.pop()
        if lines:
            if skipping:
                skipping = False
                del lines[0]  # The end of the line past the limit.
            elif carry:
                if len(carry) + len(lines[0]) > limit:
                    yield _too_long(limit)
                    del lines[0]
                else:
                    carry += lines[0]
                    lines[0] = bytes(carry)
                carry.clear()
            if len(chunk) > limit:  # Only then can a whole line in the chunk be too long.
                for line in lines:
                    yield line if len(line) <= limit else _too_long(limit)
            else:
                yield from lines
        if tail and not skipping:
            if len(carry) + len(tail) > limit:
                yield _too_long(limit)
                skipping = True
                carry.clear()
            else:
                carry += tail
        chunk = read(_CHUNK)
    if carry:
        yield bytes(carry)


def _decompressed(kind: str, first: bytes, stream: Any, limit: int) -> Iterator[bytes | _Unread]:
    """The lines of compressed data; data cut short or damaged ends them with one _Unread."""
    import lzma  # Imported only for compressed logs: they cost start-up time.
    import zlib

    rest: Any = _Rest(first, stream)
    if kind == "gzip":
        import gzip

        decompressed: Any = gzip.GzipFile(fileobj=rest, mode="rb")
    elif kind == "bzip2":
        import bz2

        decompressed = bz2.BZ2File(rest, mode="rb")
    else:
        decompressed = lzma.LZMAFile(rest, mode="rb")  # noqa: SIM115 (read to its end below)
    try:
        yield from _split(decompressed.read1(_CHUNK), decompressed.read1, limit)
    except (OSError, EOFError, zlib.error, lzma.LZMAError) as error:
        if isinstance(error, OSError) and not _damaged(error):
            raise
        said = str(error) if len(str(error)) <= 80 else str(error)[:79] + "\u2026"
        yield _Unread(
            f"not read: the {kind} data is cut short or damaged ({said}); the lines before "
            "this one were read"
        )


def _damaged(error: OSError) -> bool:
    """Whether an OSError of a decompressor is about the data, not the disk."""
    return error.errno is None


class _Rest:
    """A stream of which the first bytes were read already: they come back first."""

    def __init__(self, first: bytes, stream: Any) -> None:
        self._first, self._stream = first, stream

    def read(self, size: int) -> bytes:  # The decompressors always say how much.
        if self._first:
            data = self._first[:size]
            self._first = self._first[len(data) :]
            return data
        result: bytes = self._stream.read(size)
        return result


def _text_lines(stream: Any, limit: int) -> Iterator[str | _Unread]:
    """The lines of a text stream, none held past *limit* characters."""
    readline, size = stream.readline, limit + 1  # A line past the limit comes without its end.
    while True:
        try:
            line = readline(size)
            if not line:
                return
            if len(line) > limit and not line.endswith("\n"):
                yield _too_long(limit, "characters")
                while line and not line.endswith("\n"):
                    line = readline(size)
                continue
        except UnicodeDecodeError as error:
            yield _Unread(
                f"not read: the text stream is not UTF-8 ({error.reason}); the lines before "
                "this one were read (open the log in binary mode to read past such a line)"
            )
            return
        yield line


def _given_lines(lines: Iterable[bytes | str], limit: int) -> Iterator[bytes | str | _Unread]:
    for line in lines:
        yield line if len(line) <= limit else _too_long(limit)


def _not_utf8(line: bytes, start: int, error: UnicodeDecodeError) -> str:
    position = start + error.start
    return f"not UTF-8 text: byte {line[position]:#04x} at column {position + 1} ({error.reason})"


def _problem(line: bytes | str, start: int, text: str, error: InvalidEventError) -> str:
    """What is wrong with a line; a JSON syntax error located by its column in the line."""
    column = error.column  # Only a JSON syntax error has a place (a line and a column).
    if column is None:
        return str(error)
    ending = text.rstrip("\r\n")
    if error.line != 1 or column > len(ending):
        # A line cut short ends in its newline: say what breaks, not that a string holds "\n".
        try:
            _wire._decode_text(ending)
        except InvalidEventError as at_the_end:
            if at_the_end.column is not None:
                error, column = at_the_end, at_the_end.column
    prefix = line[:start]
    width = len(prefix.decode(errors="replace")) if isinstance(prefix, bytes) else len(prefix)
    at = "" if error.reason.endswith(" at") else " at"  # "Unterminated string starting at"
    return f"not valid JSON: {error.reason}{at} column {width + column}"


def _neither(data: dict[str, Any]) -> str:
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
