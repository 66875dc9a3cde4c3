"""A handler that appends events to a JSON Lines file, whole lines only."""

from __future__ import annotations

import contextlib
import logging
import os

from elastic_events._times import format_time

_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)


class EventFileHandler(logging.Handler):
    """Append each event to a file as one line of JSON (JSON Lines).

    Each line goes to the file in a single :func:`os.write` on a descriptor opened with
    ``O_APPEND``, so lines from many threads and many processes appending to the same local
    file land whole, never interleaved, and nothing waits in a buffer when the process dies.
    A write that fails (a full disk, say) is reported through :meth:`~logging.Handler.handleError`.

    Before each write, the handler checks that ``path`` still names the file it has open (one
    :func:`os.stat`, about a microsecond): when the file was moved away (logrotate's default
    rotation: move, then create) or deleted, it opens ``path`` again, creating it if needed,
    so that later events land in the file that readers look at rather than in the moved file
    or a deleted one. A file truncated in place (logrotate's ``copytruncate``) is the same
    file: writes go on at its new end.

    Args:
        path: The file; created if missing, appended to otherwise.
        level: The handler's level, as for any :class:`logging.Handler`.
        time_prefix: Begin each line with the time it was recorded, in UTC, ISO 8601 to the
            millisecond (``2026-11-25T10:00:00.123Z {...}``), which
            :class:`~elastic_events.EventLog` reads as the line's time. By default, lines are
            the plain JSON that torch writes.

    Example:
        >>> import pathlib, tempfile
        >>> from elastic_events import Event, EventFileHandler, EventSource, record
        >>> from elastic_events import register_handler
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "events.jsonl"
        >>> _ = register_handler("file", EventFileHandler(path))
        >>> record(Event("started", EventSource.AGENT), destination="file")
        >>> path.read_text()
        '{"name": "started", "source": "AGENT", "timestamp": 0, "metadata": {}}\\n'

    .. versionadded:: 0.1
    .. versionchanged:: 0.3 *time_prefix*.
    """

    _identity: tuple[int, int]  # (st_dev, st_ino) of the open file, set by _open()

    def __init__(
        self,
        path: str | os.PathLike[str],
        level: int = logging.NOTSET,
        *,
        time_prefix: bool = False,
    ) -> None:
        super().__init__(level)
        self.path = os.fspath(path)
        self.time_prefix = time_prefix
        self._fd: int | None = None
        self._open()

    def _open(self) -> None:
        """Open ``path`` for appending (creating it), in place of the file open until now."""
        with self.lock or contextlib.nullcontext():  # Reentrant: handle() holds it already.
            fd = os.open(self.path, _FLAGS, 0o644)
            status = os.fstat(fd)
            previous, self._fd, self._identity = self._fd, fd, (status.st_dev, status.st_ino)
            if previous is not None:
                os.close(previous)

    def _reopen_if_moved(self) -> None:
        try:
            status = os.stat(self.path)
        except FileNotFoundError:  # Deleted, or moved with nothing created in its place yet.
            self._open()
            return
        if (status.st_dev, status.st_ino) != self._identity:  # Another file has the name now.
            self._open()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = (self.format(record) + "\n").encode("utf-8")
            if self.time_prefix:
                when = format_time(int(record.created * 1000) * 1_000_000)
                line = f"{when} ".encode() + line
            if self._fd is None:
                raise ValueError(f"{self!r} is closed")
            self._reopen_if_moved()
            written = os.write(self._fd, line)
            while written < len(line):  # Rare (a signal, a nearly full disk): finish the line.
                written += os.write(self._fd, line[written:])
        except Exception:
            self.handleError(record)

    def close(self) -> None:
        self.acquire()
        try:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
        finally:
            self.release()
        super().close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.path} ({logging.getLevelName(self.level)})>"
