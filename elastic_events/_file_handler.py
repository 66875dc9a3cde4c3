"""A handler that appends events to a JSON Lines file, whole lines only."""

from __future__ import annotations

import logging
import os


class EventFileHandler(logging.Handler):
    """Append each event to a file as one line of JSON (JSON Lines).

    Each line goes to the file in a single :func:`os.write` on a descriptor opened with
    ``O_APPEND``, so lines from many threads and many processes appending to the same local
    file land whole, never interleaved, and nothing waits in a buffer when the process dies.
    A write that fails (a full disk, say) is reported through :meth:`~logging.Handler.handleError`.

    Args:
        path: The file; created if missing, appended to otherwise.
        level: The handler's level, as for any :class:`logging.Handler`.

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
    """

    def __init__(self, path: str | os.PathLike[str], level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self.path = os.fspath(path)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
        self._fd: int | None = os.open(self.path, flags, 0o644)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = (self.format(record) + "\n").encode("utf-8")
            if self._fd is None:
                raise ValueError(f"{self!r} is closed")
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
