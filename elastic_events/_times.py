"""The time of a log line: read from the text before its event, or from the event itself.

The one owner of what a line's time is. Log collectors and logging formats put the time before
the event's JSON: RFC 3339 / ISO 8601 (``kubectl logs --timestamps``, ``docker logs -t``,
journald's ``short-iso``, Fluent Bit, CloudWatch exports), with ``T`` or a space between date
and time, ``Z`` or an offset, any precision up to nanoseconds; or Python logging's default
``asctime`` (``2026-11-25 10:00:00,000``), which has no zone. A time without a zone is read in
the zone given (UTC by default). An event's own ``timestamp`` (milliseconds since the epoch)
wins when it is not 0; torchelastic leaves it at 0, and rendezvous events have none.

Times are integers: nanoseconds since the Unix epoch, in UTC.
"""

from __future__ import annotations

import re

from elastic_events._model import Event

TYPE_CHECKING = False
if TYPE_CHECKING:
    import datetime
    from collections.abc import Callable

    from elastic_events._model import RdzvEvent

    _Read = Callable[[bytes, int], int | None]
    _LineTime = Callable[[Event | RdzvEvent, bytes | str, int], int | None]
else:

    class _Datetime:
        """The module datetime, imported when first used: not at start-up, as the time of
        ``import elastic_events`` matters; the docs read ``datetime.tzinfo`` in signatures."""

        def __getattr__(self, name: str) -> object:
            import datetime

            return getattr(datetime, name)

    datetime = _Datetime()

#: Nanoseconds in a second.
SECOND = 1_000_000_000

# A date and time not glued to other digits; a fraction of any length (kept to nanoseconds);
# then a zone: Z, UTC, or an offset (+02:00, +0200, +02).
_PREFIX = re.compile(
    rb"(?<![0-9])([0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2})"
    rb"(?:[.,]([0-9]{1,9})[0-9]*)?(?![0-9])"
    rb" ?([Zz]|UTC(?![A-Za-z])|[+-][0-9]{2}(?::?[0-9]{2})?(?![0-9]))?"
)
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_PADDING = (1, 10**8, 10**7, 10**6, 10**5, 10**4, 10**3, 10**2, 10, 1)


def _days(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 to a date of the proleptic Gregorian calendar."""
    year -= month <= 2
    era = year // 400
    of_era = year - era * 400
    of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    of_era_days = of_era * 365 + of_era // 4 - of_era // 100 + of_year
    return era * 146097 + of_era_days - 719468


_MISS = -(1 << 64)
# The shortest text that holds a time: YYYY-MM-DD HH:MM:SS.
_SHORTEST = 19


def _seconds(wall: bytes, offset: bytes | None, zone: datetime.tzinfo | None) -> int | None:
    """Seconds since the epoch of ``YYYY-MM-DDTHH:MM:SS`` in a zone; ``None`` if impossible."""
    year, month, day = int(wall[:4]), int(wall[5:7]), int(wall[8:10])
    hour, minute, second = int(wall[11:13]), int(wall[14:16]), int(wall[17:19])
    if (
        not 1 <= month <= 12
        or not 1 <= day <= _DAYS_IN_MONTH[month - 1]
        or hour > 23
        or minute > 59
        or second > 60  # 60: a leap second, read as the first second of the next minute.
    ):
        return None
    if month == 2 and day == 29 and not (year % 4 == 0 and (year % 100 or year % 400 == 0)):
        return None
    seconds = _days(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    if offset is None:
        if zone is not None:
            seconds -= _zone_offset(zone, seconds)
    elif offset[0] in b"+-":
        sign = -1 if offset[0] == 45 else 1  # 45 is "-"
        digits = offset[1:].replace(b":", b"")
        seconds -= sign * (int(digits[:2]) * 3600 + int(digits[2:] or 0) * 60)
    return seconds


def prefix_time(prefix: bytes | str, zone: datetime.tzinfo | None = None) -> int | None:
    """The time written in the text before an event, or ``None`` when it holds none.

    The first date and time in *prefix* is read: ISO 8601 / RFC 3339 with ``T`` or a space,
    ``Z``, ``UTC`` or an offset, a fraction of a second after ``.`` or ``,`` (digits past the
    ninth are dropped). A time without a zone is read in *zone*, UTC by default. A malformed
    or impossible time (month 13, February 30) is no time, never an error.

    Args:
        prefix: The text of the line before its event's ``{``.
        zone: The zone of times written without one; see :func:`parse_zone`.

    Returns:
        Nanoseconds since the Unix epoch, in UTC; or ``None``.

    Example:
        >>> from elastic_events import prefix_time
        >>> prefix_time("2026-11-25T10:00:00.123456789Z ")
        1795600800123456789
        >>> prefix_time("2026-11-25 10:00:00,123 INFO ")  # asctime: UTC unless zone says
        1795600800123000000
        >>> prefix_time("2026-11-25 12:00:00+02:00") == prefix_time("2026-11-25T10:00:00Z")
        True
        >>> print(prefix_time("2026-02-30T10:00:00Z"))
        None

    .. versionadded:: 0.3
    """
    if isinstance(prefix, str):
        prefix = prefix.encode("utf-8", "replace")
    return _readers(zone)[0](prefix, len(prefix))


# The readers of prefixes, by zone: made once per zone, they run once per line. Each pair keeps
# the seconds since the epoch (UTC) of the wall-clock times and offsets it last read, so that
# lines of one second, or of one minute, share them; and the last prefix with a fraction.
_READERS: dict[datetime.tzinfo | None, tuple[_Read, _LineTime]] = {}


def _readers(zone: datetime.tzinfo | None) -> tuple[_Read, _LineTime]:
    """``read(line, end)``, the time in ``line[:end]`` (bytes), and line_timer's function."""
    found = _READERS.get(zone)
    if found is None:
        found = _READERS[zone] = _new_readers(zone)
    return found


def _new_readers(zone: datetime.tzinfo | None) -> tuple[_Read, _LineTime]:
    cache: dict[bytes, int | None] = {}
    search = _PREFIX.search
    # The last prefix with a fraction, cut around it: (its length, the bytes before the
    # fraction, the bytes after it, where the fraction starts and ends, its second in
    # nanoseconds, the fraction's scale). _PREFIX tests digits by [0-9] only, never one by
    # one: a prefix that differs from it only by other digits in the fraction matches alike.
    last: tuple[int, bytes, bytes, int, int, int, int] = (-1, b"", b"", 0, 0, 0, 1)

    def read(line: bytes, end: int) -> int | None:
        nonlocal last
        match = search(line, 0, end)
        if match is None:
            return None
        wall, fraction, offset = match.groups()
        key = wall if offset is None else wall + offset
        seconds = cache.get(key, _MISS)
        if seconds == _MISS:
            seconds = _seconds(wall, offset, zone)
            if len(cache) >= 4096:
                cache.clear()
            cache[key] = seconds
        if seconds is None:
            return None
        if fraction is None:
            return seconds * SECOND
        low, high = match.span(2)
        base, scale = seconds * SECOND, _PADDING[high - low]
        last = (end, line[:low], line[high:end], low, high, base, scale)
        return base + int(fraction) * scale

    def line_time(event: Event | RdzvEvent, line: bytes | str, start: int) -> int | None:
        if type(event) is Event and event.timestamp:
            return event.timestamp * 1_000_000
        if start < _SHORTEST:
            return None
        if isinstance(line, str):
            line = line[:start].encode("utf-8", "replace")
            start = len(line)
        size, head, tail, low, high, base, scale = last
        # Most lines: the last prefix but for the digits of its fraction (checked here).
        if start == size and line.startswith(head) and line.startswith(tail, high, start):
            digits = line[low:high]
            if digits.isdigit():  # ASCII digits only, as [0-9].
                return base + int(digits) * scale
        return read(line, start)

    return read, line_time


def _zone_offset(zone: datetime.tzinfo, wall: int) -> int:
    """The offset from UTC, in seconds, of a wall-clock time (seconds since the epoch) in zone."""
    import datetime

    utcoffset = zone.utcoffset(None)
    if utcoffset is not None:  # A fixed offset.
        return int(utcoffset.total_seconds())
    try:
        naive = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=wall)
        found = naive.replace(tzinfo=zone).utcoffset()
    except (OverflowError, ValueError):
        return 0
    return int(found.total_seconds()) if found is not None else 0


def line_timer(
    zone: datetime.tzinfo | None,
) -> Callable[[Event | RdzvEvent, bytes | str, int], int | None]:
    """What tells the time of an event's line: the event's own non-zero ``timestamp``, else
    the time before the event on its line, read in *zone*. Made once per zone, it runs once
    per line.

    The function made takes the event, the line, and where the event's JSON starts in it.

    Example:
        >>> from elastic_events import Event
        >>> line_time = line_timer(None)
        >>> line_time(Event("x", "AGENT", timestamp=1_700_000_000_000), "", 0)
        1700000000000000000
        >>> line_time(Event("x", "AGENT"), "1970-01-01T00:00:01Z {}", 21)
        1000000000
    """
    return _readers(zone)[1]


_OFFSET = re.compile(r"(?:UTC)?([+-])([0-9]{2}):?([0-9]{2})?")


def parse_zone(text: str) -> datetime.tzinfo:
    """The zone of log times written without one: ``UTC``, an offset, or an IANA name.

    Args:
        text: ``UTC`` or ``Z``; an offset such as ``+02:00``, ``-0530`` or ``+02``; or a zone
            name of the IANA database such as ``Europe/Paris``.

    Raises:
        ValueError: *text* is none of these, or names a zone the system's zone database (or
            the ``tzdata`` package) does not have; the message says which.

    Example:
        >>> from elastic_events import parse_zone
        >>> parse_zone("+02:00")
        datetime.timezone(datetime.timedelta(seconds=7200))
        >>> parse_zone("Mars/Olympus")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: unknown time zone 'Mars/Olympus'; expected UTC, an offset such as +02:00, ...

    .. versionadded:: 0.3
    """
    import datetime

    value = text.strip()
    if value.upper() in ("UTC", "Z", "GMT"):
        return datetime.timezone.utc
    match = _OFFSET.fullmatch(value)
    if match is not None:
        sign, hours, minutes = match.groups()
        delta = datetime.timedelta(hours=int(hours), minutes=int(minutes or 0))
        if delta >= datetime.timedelta(hours=24):
            raise ValueError(f"time zone offset {text!r} is not less than 24 hours")
        return datetime.timezone(-delta if sign == "-" else delta)
    allowed = "expected UTC, an offset such as +02:00, or a zone name such as Europe/Paris"
    try:
        import zoneinfo
    except ImportError:  # pragma: no cover (Python 3.8)
        raise ValueError(f"time zone {text!r}: this Python has no zoneinfo; {allowed}") from None
    if not zoneinfo.available_timezones():
        raise ValueError(
            f"time zone {text!r}: this system has no time zone database (install tzdata, "
            "the system's or the Python package); an offset such as +02:00 works without one"
        )
    try:
        return zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {text!r}; {allowed}") from None


_DURATION = re.compile(r"([0-9]+(?:\.[0-9]*)?)(ms|s|m|min|h|d)")
_UNITS = {"ms": 10**6, "s": SECOND, "m": 60 * SECOND, "min": 60 * SECOND}
_UNITS.update(h=3600 * SECOND, d=86400 * SECOND)


def parse_bound(text: str, zone: datetime.tzinfo | None = None) -> tuple[int, bool]:
    """A ``since`` or ``until`` bound: an instant, or a duration counted from the log's times.

    Args:
        text: An ISO 8601 instant (``2026-11-25T10:05:00Z``; without a zone, in *zone*, UTC
            by default), or a duration: a number and a unit, ``ms``, ``s``, ``m`` (or ``min``),
            ``h`` or ``d``, such as ``10m`` or ``1.5h``.
        zone: The zone of an instant written without one.

    Returns:
        ``(nanoseconds, relative)``: an instant since the epoch, or a duration when
        *relative* is true.

    Raises:
        ValueError: *text* is neither; the message says what is allowed.

    Example:
        >>> parse_bound("10m")
        (600000000000, True)
        >>> parse_bound("2026-11-25T10:00:00Z")
        (1795600800000000000, False)
    """
    value = text.strip()
    match = _DURATION.fullmatch(value)
    if match is not None:
        number, unit = match.groups()
        whole, _, part = number.partition(".")
        scale = _UNITS[unit]
        nanos = int(whole) * scale + (int(part) * scale // 10 ** len(part) if part else 0)
        return nanos, True
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        value += "T00:00:00"
    found = prefix_time(value, zone) if _PREFIX.fullmatch(value.encode()) else None
    if found is None:
        raise ValueError(
            f"not a time or a duration: {text!r}; expected an ISO 8601 instant such as "
            "2026-11-25T10:05:00Z or a duration such as 90s, 10m, 1.5h"
        )
    return found, False


def format_time(nanos: int) -> str:
    """A time as UTC in ISO 8601, to the millisecond: ``2026-11-25T10:00:00.123Z``.

    Example:
        >>> from elastic_events import format_time
        >>> format_time(1795600800123456789)
        '2026-11-25T10:00:00.123Z'
    """
    global _LAST
    seconds, rest = divmod(nanos, SECOND)
    last = _LAST
    if seconds != last[0]:  # Lines come in order: the same second is formatted once.
        days, of_day = divmod(seconds, 86400)
        year, month, day = _civil(days)
        hour, of_hour = divmod(of_day, 3600)
        minute, second = divmod(of_hour, 60)
        text = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}."
        _LAST = last = (seconds, text)
    return last[1] + _MILLISECONDS[rest // 1_000_000]


_LAST: tuple[int | None, str] = (None, "")
_MILLISECONDS = tuple(f"{count:03d}Z" for count in range(1000))


def _civil(days: int) -> tuple[int, int, int]:
    """The date that is *days* after 1970-01-01 (the inverse of :func:`_days`)."""
    days += 719468
    era = days // 146097
    of_era = days - era * 146097
    year_of_era = (of_era - of_era // 1460 + of_era // 36524 - of_era // 146096) // 365
    of_year = of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    shifted = (5 * of_year + 2) // 153
    day = of_year - (153 * shifted + 2) // 5 + 1
    month = shifted + (3 if shifted < 10 else -9)
    return year_of_era + era * 400 + (month <= 2), month, day


def format_duration(nanos: int) -> str:
    """A duration in words a reader takes in at once: ``850 ms``, ``12.3 s``, ``4 min 05 s``.

    Example:
        >>> format_duration(3_725 * 10**9)
        '1 h 02 min 05 s'
    """
    if nanos < SECOND:
        return f"{nanos / 1e6:.0f} ms"
    if nanos < 60 * SECOND:
        return f"{nanos / SECOND:.1f} s"
    seconds = round(nanos / SECOND)
    minutes, second = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {second:02d} s"
    hours, minute = divmod(minutes, 60)
    return f"{hours} h {minute:02d} min {second:02d} s"
