"""Destinations: a name, the handler that writes its events, and the logger between them.

Each destination has one handler, kept in a registry that :func:`register_handler` changes, and,
once an event is recorded to it, one logger named ``torchelastic-events-<name>`` (PyTorch's
names) that does not propagate. A :class:`Sink` pairs that logger with what recording needs to
know about it, so that :func:`~elastic_events.record` decides in one attribute read whether an
event must be serialized at all.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import threading
import time

import elastic_events as _public  # Look up public names at call time, so mock.patch works.
from elastic_events import _plugins
from elastic_events._errors import UnknownDestinationError

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds to import; only type checkers need it.
    from typing import Any, TextIO

#: What user code (and torchelastic) records events with; a logger's level must admit it.
EVENT_LEVEL = logging.INFO
# The LogRecords of events are built directly: logger.info() would search the stack for a
# caller that is always this module.
_NO_FILE = "(unknown file)"
# Those records are made as Logger.makeRecord() makes them, but from a copy of the fields that
# are the same for every event: makeRecord() is a fifth of record() to a handler, much of it
# os.path.basename() and splitext() of _NO_FILE, every time. See _record_of() for when.
_TEMPLATE = vars(logging.LogRecord("", EVENT_LEVEL, _NO_FILE, 0, "", (), None))
# The fields that _event_record() sets, then those it copies; besides them, it sets taskName
# where LogRecord has one (3.12+).
_FIELDS = (
    "name msg levelname created msecs relativeCreated thread threadName processName process"
    " args levelno pathname filename module exc_info exc_text stack_info lineno funcName"
)
_TASKS = "taskName" in _TEMPLATE


def _template_fits(version: tuple[int, int, int, str, int], fields: set[str], start: bool) -> bool:
    """Whether _event_record() makes the records that LogRecord.__init__ makes on a Python.

    Not on 3.10, some of whose releases computed msecs otherwise; not with a LogRecord field
    that _event_record() does not know (a copy would give it its value at import), nor without
    logging._startTime (``start``), which relativeCreated counts from.
    """
    return version >= (3, 11) and fields - {"taskName"} == set(_FIELDS.split()) and start


_FAST = _template_fits(sys.version_info, set(_TEMPLATE), hasattr(logging, "_startTime"))
_STOCK_RECORD = logging.LogRecord
_STOCK_MAKE_RECORD = logging.Logger.makeRecord
_STOCK_INIT = logging.LogRecord.__init__  # A log enricher may patch it after import.

_VALID_NAME = re.compile(r"[A-Za-z0-9_-]+")


class _Console(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler on whatever :data:`sys.stderr` is when it writes, not when it was made."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass  # StreamHandler.__init__ sets it; the property always answers sys.stderr.


_BUILT_IN: dict[str, logging.Handler] = {
    "console": _Console(),
    "dynamic_rendezvous": logging.NullHandler(),
    "null": logging.NullHandler(),
}
_handlers = dict(_BUILT_IN)
# Never rebound, only changed in place: the recording module holds this very dict.
sinks: dict[str, Sink] = {}
_lock = threading.RLock()
_diagnostics = logging.getLogger("elastic_events")
# The LOGLEVEL values already reported as unusable: each one is reported once.
_loglevel_reported: set[str] = set()


def _reset_lock_in_child() -> None:
    # A thread of the parent may have held the lock at fork(); it does not exist in the child,
    # which would wait for it forever. Before fork(), the forking thread takes the lock, so that
    # the child never sees the registry halfway through a change; the child gets a new lock.
    global _lock
    _lock = threading.RLock()


if hasattr(os, "register_at_fork"):  # Not on Windows, which has no fork().
    os.register_at_fork(
        before=lambda: _lock.acquire(),
        after_in_parent=lambda: _lock.release(),
        after_in_child=_reset_lock_in_child,
    )


def destinations() -> tuple[str, ...]:
    """Return the names of the destinations that have a handler, sorted.

    Example:
        >>> from elastic_events import destinations
        >>> destinations()
        ('console', 'dynamic_rendezvous', 'null')

    .. versionadded:: 0.1
    """
    return tuple(sorted({*_handlers, *_plugins.names()}))  # Plugins are listed, not loaded.


def get_logging_handler(destination: str = "null") -> logging.Handler:
    """Return the handler that writes the events recorded to ``destination``.

    The built-in destinations are ``"null"`` (drops events), ``"console"`` (a
    :class:`~logging.StreamHandler` that writes to :data:`sys.stderr`, whatever it is at the
    time) and ``"dynamic_rendezvous"`` (where rendezvous events go; drops them unless a handler
    is registered for it).

    Raises:
        UnknownDestinationError: No handler is registered for ``destination``; the message lists
            the known destinations.

    Example:
        >>> import logging
        >>> from elastic_events import get_logging_handler
        >>> isinstance(get_logging_handler("console"), logging.StreamHandler)
        True
        >>> try:
        ...     get_logging_handler("nowhere")
        ... except KeyError as error:
        ...     print(error)  # doctest: +NORMALIZE_WHITESPACE
        unknown event destination 'nowhere'; the known destinations are 'console',
        'dynamic_rendezvous', 'null' (add one with register_handler())
    """
    try:
        return _handlers[destination]
    except (KeyError, TypeError):
        handler = _plugin_handler(destination) if isinstance(destination, str) else None
    if handler is None:
        raise UnknownDestinationError(
            f"unknown event destination {destination!r}; the known destinations are "
            f"{', '.join(map(repr, destinations()))} (add one with register_handler())"
        ) from None
    return handler


def _plugin_handler(destination: str) -> logging.Handler | None:
    """The handler of the plugin named ``destination``, made and registered on first use."""
    with _lock:
        if destination not in _handlers:
            plugin = _plugins.load(destination)
            if plugin is None:
                return None
            register_handler(destination, plugin)
        return _handlers[destination]


def register_handler(destination: str, handler: logging.Handler) -> logging.Handler | None:
    """Make ``handler`` write the events recorded to ``destination``, from now on.

    Use it to add a destination or to replace the handler of an existing one, the built-in
    ones included. The change takes effect at once, even for a destination that events were
    already recorded to, and loses nothing: an event recorded by another thread meanwhile goes
    to the previous handler or to the new one. The previous handler is detached but not closed.

    Args:
        destination: The name: letters, digits, ``_`` and ``-``.
        handler: Any :class:`logging.Handler`; it receives a :class:`~logging.LogRecord` at
            ``INFO`` whose message is the event's JSON line and whose ``event`` attribute is
            the event object.

    Returns:
        The handler that ``destination`` had before, or ``None`` for a new destination.

    Raises:
        ValueError: ``destination`` is not a valid name.
        TypeError: ``handler`` is not a :class:`logging.Handler`.

    Example:
        >>> import io, logging
        >>> from elastic_events import Event, EventSource, record, register_handler
        >>> stream = io.StringIO()
        >>> register_handler("memory", logging.StreamHandler(stream))
        >>> record(Event("started", EventSource.AGENT), destination="memory")
        >>> stream.getvalue()
        '{"name": "started", "source": "AGENT", "timestamp": 0, "metadata": {}}\\n'

    .. versionadded:: 0.1
    """
    if not isinstance(destination, str) or not _VALID_NAME.fullmatch(destination):
        raise ValueError(
            f"invalid destination name {destination!r}; use one or more letters, digits, '_' or '-'"
        )
    if not isinstance(handler, logging.Handler):
        raise TypeError(f"a destination's handler must be a logging.Handler; got {handler!r}")
    with _lock:
        previous = _handlers.get(destination)
        _handlers[destination] = handler
        sink = sinks.get(destination)
        if sink is not None:
            sink.swap(previous, handler)
    return previous


def unregister_handler(destination: str) -> logging.Handler:
    """Undo :func:`register_handler`: remove ``destination``, or reset a built-in one.

    A destination added with :func:`register_handler` is removed, and recording to it is then
    recording to an unknown destination. A built-in destination gets its original handler back.
    Either way the change takes effect at once. The handler taken away is detached but not
    closed.

    Returns:
        The handler that ``destination`` had.

    Raises:
        UnknownDestinationError: ``destination`` has no handler.

    Example:
        >>> import logging
        >>> from elastic_events import destinations, register_handler, unregister_handler
        >>> handler = logging.StreamHandler()
        >>> register_handler("scratch", handler)
        >>> "scratch" in destinations()
        True
        >>> unregister_handler("scratch") is handler
        True
        >>> "scratch" in destinations()
        False

    .. versionadded:: 0.1
    """
    with _lock:
        handler = get_logging_handler(destination)
        original = _BUILT_IN.get(destination)
        if original is not None:
            register_handler(destination, original)
            return handler
        del _handlers[destination]
        sink = sinks.pop(destination, None)
        if sink is not None:
            sink.logger.removeHandler(handler)
    return handler


def logger_for(destination: str) -> logging.Logger:
    """Return the logger of ``destination``, creating it on first use."""
    return open_sink(destination).logger


def open_sink(destination: str) -> Sink:
    """Return the sink of ``destination``, creating its logger once even under contention."""
    with _lock:
        sink = sinks.get(destination)
        if sink is None:
            handler = _public.get_logging_handler(destination)
            logger = logging.getLogger(f"torchelastic-events-{destination}")
            logger.setLevel(_level_from_environment())
            logger.propagate = False
            logger.addHandler(handler)
            sink = sinks[destination] = Sink(destination, logger)
        return sink


def _level_from_environment() -> int:
    """Read ``LOGLEVEL`` as PyTorch does, but in any case and as a number too.

    A value that is neither a level name that :mod:`logging` knows nor a number in ASCII digits
    (``"²"``, ``"1e3"``, ``"-5"``, ``"verbose"``, more digits than Python converts) is reported
    once, as a warning, and ``INFO`` used instead; it never raises.
    """
    raw = os.environ.get("LOGLEVEL", "").strip()
    if not raw:
        return EVENT_LEVEL
    level: object = None
    with contextlib.suppress(ValueError):  # Beyond sys.get_int_max_str_digits().
        ascii_number = raw.isascii() and raw.isdigit()
        level = int(raw) if ascii_number else logging.getLevelName(raw.upper())
    if isinstance(level, int) and not isinstance(level, bool):
        return level
    if raw not in _loglevel_reported:
        _loglevel_reported.add(raw)
        shown = raw if len(raw) <= 40 else raw[:37] + "..."
        _diagnostics.warning(
            "LOGLEVEL=%r is not a logging level (expected DEBUG, INFO, WARNING, ERROR, CRITICAL "
            "or a number); event loggers use INFO",
            shown,
        )
    return EVENT_LEVEL


class Sink:
    """A destination's logger and what recording needs to know about it."""

    __slots__ = ("destination", "dropped_reported", "logger", "silent")

    def __init__(self, destination: str, logger: logging.Logger) -> None:
        self.destination = destination
        self.logger = logger
        self.dropped_reported = False
        self.refresh()  # Sets silent.

    def refresh(self) -> None:
        """Note whether every handler drops events, so that none needs to be serialized."""
        handlers = self.logger.handlers
        self.silent = all(isinstance(h, logging.NullHandler) for h in handlers)

    def swap(self, old: logging.Handler | None, new: logging.Handler) -> None:
        """Put ``new`` in the place of ``old``, in one step.

        The logger's handler list is replaced by a new list, never changed in place: a thread
        that is recording meanwhile walks the old list or the new one, so each event reaches
        the old handler or the new one, never neither.
        """
        logger = self.logger
        with _logging_lock():
            handlers = [h for h in logger.handlers if h is not old and h is not new]
            logger.handlers = [*handlers, new]
        self.refresh()

    def emit(self, event: Any) -> None:
        """Hand ``event`` to every handler; a failure is reported by the handler, never raised.

        An event that cannot be written as a line its reader accepts (a field changed after
        construction to a value JSON cannot carry) is dropped, and the error, which names the
        field, reported through each handler's :meth:`~logging.Handler.handleError`.
        """
        logger = self.logger
        try:
            if not logger.isEnabledFor(EVENT_LEVEL):
                self._report_dropped()
                return
            try:
                line = event.serialize()
            except Exception:
                self._report_drop(event)
                return
            if type(line) is not str:  # A subclass's serialize() returning something else.
                raise TypeError(f"serialize() returned {type(line).__name__}, not str")
            record = _record_of(logger, line)
            record.event = event
            if logger.filters and not logger.filter(record):
                return
            handlers = _handlers_of(logger) if logger.propagate else logger.handlers
        except Exception:  # The caller's logging setup: a filter, a level that is no int...
            self._report_drop(event)
            return
        for handler in handlers:
            try:
                if record.levelno >= handler.level:
                    handler.handle(record)
            except Exception:
                _report(handler, record)

    def report_error(self, message: str, event: object = None) -> None:
        """Report the exception being handled through each handler, the stdlib way.

        ``message`` (the record's message) says what was dropped; the traceback that
        :meth:`~logging.Handler.handleError` prints says why. ``event`` is the record's
        ``event`` attribute.
        """
        try:
            record = _record_of(self.logger, message)
            record.event = event
            handlers = _handlers_of(self.logger)
        except Exception:
            return  # Nothing left to report through: the caller's setup is broken beyond that.
        for handler in handlers:
            _report(handler, record)

    def _report_drop(self, event: object) -> None:
        self.report_error(
            f"an event recorded to {self.destination!r} was dropped "
            f"({type(event).__qualname__} object)",
            event,
        )

    def _report_dropped(self) -> None:
        if not self.dropped_reported:
            self.dropped_reported = True
            _diagnostics.warning(
                "events recorded to %r are dropped: its logger %r does not admit INFO, the level "
                "of events (its level: %s; LOGLEVEL=%r); set LOGLEVEL to INFO or lower, or "
                "undo logging.disable(), to keep them",
                self.destination,
                self.logger.name,
                logging.getLevelName(self.logger.getEffectiveLevel()),
                os.environ.get("LOGLEVEL"),
            )


def _logging_lock() -> contextlib.AbstractContextManager[object]:
    """The lock that :meth:`logging.Logger.addHandler` takes, so that a swap never races one."""
    lock = getattr(logging, "_lock", None)  # A private name of logging, present since 2.3.
    return lock if lock is not None else contextlib.nullcontext()


def _handlers_of(logger: logging.Logger) -> list[logging.Handler]:
    """The handlers a record logged to ``logger`` reaches, as :meth:`Logger.callHandlers` walks."""
    found: list[logging.Handler] = []
    current: logging.Logger | None = logger
    while current is not None:
        found.extend(current.handlers)
        current = current.parent if current.propagate else None
    return found


def _report(handler: logging.Handler, record: logging.LogRecord) -> None:
    # A handler whose error reporting fails too must still not kill the job.
    with contextlib.suppress(Exception):
        handler.handleError(record)


def _record_of(logger: logging.Logger, message: object) -> logging.LogRecord:
    """The record that ``logger.makeRecord()`` makes of ``message`` at EVENT_LEVEL, no caller.

    It is built by :func:`_event_record` where nothing could tell it from makeRecord()'s: the
    stock record factory and ``LogRecord.__init__``, and a logger whose makeRecord() is not
    replaced (a subclass's, one patched on the instance). Otherwise makeRecord() makes it.
    """
    make = logger.makeRecord
    if (
        getattr(make, "__func__", None) is _STOCK_MAKE_RECORD
        and logging.getLogRecordFactory() is _STOCK_RECORD
        and _STOCK_RECORD.__init__ is _STOCK_INIT
        and _FAST
    ):
        return _event_record(logger.name, message)
    return make(logger.name, EVENT_LEVEL, _NO_FILE, 0, message, (), None)


def _event_record(name: str, message: object) -> logging.LogRecord:
    """What LogRecord.__init__ makes of an event's record, each field as it computes it."""
    fields = _TEMPLATE.copy()  # In LogRecord's order, which some formatters show.
    fields["name"] = name
    fields["msg"] = message
    fields["levelname"] = logging.getLevelName(EVENT_LEVEL)  # addLevelName() may change it.
    fields["created"], fields["msecs"], fields["relativeCreated"] = _times()
    threads = logging.logThreads
    fields["thread"] = threading.get_ident() if threads else None
    fields["threadName"] = threading.current_thread().name if threads else None
    fields["processName"] = _process_name()
    fields["process"] = os.getpid() if logging.logProcesses else None  # Right after fork() too.
    if _TASKS:
        fields["taskName"] = _task_name()
    record: logging.LogRecord = object.__new__(_STOCK_RECORD)
    record.__dict__ = fields  # Much cheaper than updating the new record's own dict.
    return record


def _times_of_ns() -> tuple[float, float, float]:
    """created, msecs and relativeCreated, as LogRecord computes them from time_ns() (3.13+)."""
    ns = time.time_ns()
    created = ns / 1e9
    msecs = float((ns % 1_000_000_000) // 1_000_000)
    if msecs == 999.0 and int(created) != ns // 1_000_000_000:
        msecs = 0.0  # created was rounded up to the next second.
    return created, msecs, (ns - logging._startTime) / 1e6  # type: ignore[attr-defined]


def _times_of_seconds() -> tuple[float, float, float]:
    """created, msecs and relativeCreated, as LogRecord computes them from time() (to 3.12).

    ``ct % 1.0 * 1000 // 1.0`` is LogRecord's ``int((ct - int(ct)) * 1000) + 0.0`` without
    two calls of int() (2% of record() to a stream): the same float for any time after 1970,
    each step being exact. Before 1970 (a mocked clock), LogRecord's own is used.
    """
    ct = time.time()
    start: float = logging._startTime  # type: ignore[attr-defined]
    msecs = ct % 1.0 * 1000 // 1.0 if ct >= 0 else int((ct - int(ct)) * 1000) + 0.0
    return ct, msecs, (ct - start) * 1000


# Since 3.13, LogRecord's times are of time_ns(), and so is logging._startTime: an int.
_times = (
    _times_of_ns if isinstance(getattr(logging, "_startTime", None), int) else _times_of_seconds
)


def _process_name() -> str | None:
    """LogRecord.processName: multiprocessing's name of this process, if it is imported."""
    if not logging.logMultiprocessing:
        return None
    mp = sys.modules.get("multiprocessing")
    try:
        return "MainProcess" if mp is None else mp.current_process().name
    except Exception:  # multiprocessing partly imported (see LogRecord.__init__).
        return "MainProcess"


def _task_name() -> str | None:
    """LogRecord.taskName (3.12+): the name of the running asyncio task, if any."""
    if not logging.logAsyncioTasks:  # type: ignore[attr-defined]
        return None
    asyncio = sys.modules.get("asyncio")
    if asyncio:
        try:
            return asyncio.current_task().get_name()  # type: ignore[no-any-return]
        except Exception:  # No running event loop, or not in a task.
            pass
    return None
