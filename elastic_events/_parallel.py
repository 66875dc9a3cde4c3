"""``validate`` and ``show`` over large files in several processes, and the edge times of a log.

A file is cut into chunks at line ends; each chunk is read by a process of a pool, which sends
back only what is printed (bad lines, kept lines, counts). The chunks of a file come back in
order, at most a few at a time per file, so memory stays flat whatever the size of the logs;
the files are then merged in time order as in one process.
"""

from __future__ import annotations

import io
import itertools
import os
import stat
import sys

from elastic_events import _wire
from elastic_events._logs import _MAGIC, EventLog

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    import datetime
    from collections.abc import Iterator
    from concurrent.futures import Executor, Future
    from typing import Any, BinaryIO, TextIO

    from elastic_events._views import EventFilter

_CHUNK_MIN, _CHUNK_MAX = 4 << 20, 32 << 20


def pool(count: int) -> Executor:
    """A pool of *count* processes, started fresh (never forked from a running program)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    if method == "forkserver":  # Imported once, by the server the processes are forked from.
        context.set_forkserver_preload(["elastic_events._parallel"])
    return ProcessPoolExecutor(count, mp_context=context)


def splittable(path: str) -> bool:
    """Whether a file can be read in chunks: a regular file that is neither compressed nor
    UTF-16 or UTF-32 (which :class:`~elastic_events.EventLog` tells by the first bytes)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False
        with open(path, "rb") as stream:
            first = stream.read(6)
    except OSError:
        return False  # Reported as the file is read.
    return not _wire._wide_bom(first) and not any(first.startswith(m) for m, _ in _MAGIC)


def _chunks(path: str, count: int) -> list[tuple[int, int]]:
    """Byte ranges of a file that start and end at line ends, a few per process."""
    size = os.stat(path).st_size
    step = min(max(size // (count * 3) + 1, _CHUNK_MIN), _CHUNK_MAX)
    bounds = [0]
    with open(path, "rb") as stream:
        while bounds[-1] + step < size:
            position = _line_end(stream, bounds[-1] + step)
            if position >= size:
                break
            bounds.append(position)
    bounds.append(size)
    return list(itertools.pairwise(bounds))


def _line_end(stream: BinaryIO, position: int) -> int:
    """Where the line that holds byte *position* ends, past its ``\n``; never a whole line held."""
    stream.seek(position)
    while block := stream.read(1 << 16):
        found = block.find(b"\n")
        if found >= 0:
            return position + found + 1
        position += len(block)
    return position


class _Range(io.RawIOBase):
    """The bytes of a file from *start* to *end*: a chunk, read as a stream."""

    def __init__(self, stream: BinaryIO, start: int, end: int) -> None:
        stream.seek(start)
        self._stream, self._left = stream, end - start

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = self._left if size < 0 else min(size, self._left)
        data = self._stream.read(size)
        self._left -= len(data)
        return data

    read1 = read


def _chunk_log(stream: BinaryIO, start: int, end: int, **options: Any) -> EventLog:
    """The lines of a chunk. A chunk after the first is read from the ``\n`` before it, so
    that its first bytes are never taken for a compressed stream's: one empty line more,
    which :func:`_counts` takes away."""
    return EventLog(_Range(stream, max(start - 1, 0), end), **options)


def _counts(log: EventLog, start: int) -> tuple[int, int, int, int]:
    """A chunk's events, bad and other lines, and the lines before its first (0 or the one
    empty line added by :func:`_chunk_log`)."""
    extra = 1 if start else 0
    return log.events, log.bad, log.other - extra, extra


def validate_chunk(
    path: str, start: int, end: int, max_line: int
) -> tuple[int, int, int, int, list[Any]]:
    with open(path, "rb") as stream:
        log = _chunk_log(stream, start, end, max_line=max_line)
        problems = [(line.number, line.error) for line in log.problems()]
    events, bad, other, extra = _counts(log, start)
    return events, bad, other, extra, problems


class Ahead:
    """The results of *call* over the chunks of several files, file by file and in order.

    A few chunks are in flight at a time (one more than there are processes), across the ends
    of files: the chunks of the next file are read while the last of this one is, so that no
    process waits at a file's end. Take the files in order, each by :meth:`file`.
    """

    def __init__(self, executor: Executor, call: Any, paths: list[str], *more: Any) -> None:
        from collections import deque

        workers = getattr(executor, "_max_workers", 2)
        self._window = workers + 1
        self._jobs = self._submitted(executor, call, paths, workers, more)
        self._waiting: deque[tuple[int, Future[Any] | OSError]] = deque()
        self._file = -1

    @staticmethod
    def _submitted(
        executor: Executor, call: Any, paths: list[str], workers: int, more: tuple[Any, ...]
    ) -> Iterator[tuple[int, Future[Any] | OSError]]:
        for index, path in enumerate(paths):
            try:
                chunks = _chunks(path, workers)
            except OSError as error:  # Raised when that file's results are taken.
                yield index, error
                continue
            for start, end in chunks:
                yield index, executor.submit(call, path, start, end, *more)

    def _fill(self) -> None:
        while len(self._waiting) < self._window:
            job = next(self._jobs, None)
            if job is None:
                return
            self._waiting.append(job)

    def file(self) -> Iterator[Any]:
        """The results of the next file's chunks, in order; OSError if it cannot be read."""
        self._file += 1
        index, waiting = self._file, self._waiting
        while True:
            self._fill()
            while waiting and waiting[0][0] < index:  # Left by a file given up on.
                stale = waiting.popleft()[1]
                if not isinstance(stale, OSError):
                    stale.cancel()
                self._fill()
            if not waiting or waiting[0][0] != index:
                return
            job = waiting.popleft()[1]
            self._fill()
            if isinstance(job, OSError):
                raise job
            yield job.result()


def _in_order(executor: Executor, call: Any, path: str, *more: Any) -> Iterator[Any]:
    """The results of *call* over the chunks of one file, in order."""
    return Ahead(executor, call, [path], *more).file()


def validate(ahead: Ahead, path: str, name: str, out: Any) -> tuple[int, int, int]:
    """Validate the next file of *ahead* in chunks; print its bad lines in order; return the
    counts."""
    from elastic_events._cli import _reason, _Unreadable

    events = bad = other = base = 0
    try:
        for counted, wrong, others, extra, problems in ahead.file():
            for number, error in problems:
                out.write(f"{name}:{base + number - extra}: {error}\n")
            events, bad, other = events + counted, bad + wrong, other + others
            base += counted + wrong + others
    except OSError as error:
        raise _Unreadable(f"cannot read {path!r}: {_reason(error)}") from None
    return events, bad, other


def _show_chunk(
    path: str, start: int, end: int, zone: Any, keep: EventFilter, table: bool, max_line: int
) -> tuple[int, list[Any], list[Any]]:
    from elastic_events._cli import json_line
    from elastic_events._views import table_row

    bad, kept = [], []
    with open(path, "rb") as stream:
        log = _chunk_log(stream, start, end, zone=zone, max_line=max_line)
        for line in log:
            number = line.number - (1 if start else 0)
            if line.event is None:
                bad.append((number, line.error))
            elif keep(line):
                kept.append((line.time, number, table_row(line) if table else json_line(line)))
    events, wrong, other, _ = _counts(log, start)
    return events + wrong + other, bad, kept


def show(
    executor: Executor, args: argparse.Namespace, zone: Any, keep: EventFilter, out: TextIO
) -> int:
    """``show`` over large files in chunks, merged in time order; return the bad lines' count."""
    import heapq

    from elastic_events._cli import _EARLIEST, STDIN, _display_name, _Unreadable, _write_rows

    if any(path == STDIN for path in args.files):
        raise _Unreadable("the standard input cannot be read in parallel: use -j 1")
    if keep.since is not None or keep.until is not None:
        firsts, lasts = [], []
        for path in args.files:
            with open(path, "rb") as stream:
                first, last = edge_times(stream, zone, args.max_line)
            firsts += [first] if first is not None else []
            lasts += [last] if last is not None else []
        keep = keep.anchored(min(firsts, default=None), max(lasts, default=None))
    table = not args.json
    several = len(args.files) > 1
    bad = [0]

    def one(path: str) -> Iterator[tuple[int, str, Any]]:
        name = _display_name(path)
        key, base = _EARLIEST, 0
        try:
            chunks = _in_order(executor, _show_chunk, path, zone, keep, table, args.max_line)
            for count, wrong, kept in chunks:
                for number, error in wrong:
                    out.flush()
                    print(f"{name}:{base + number}: {error}", file=sys.stderr)
                bad[0] += len(wrong)
                for time, number, item in kept:
                    if time is not None and time > key:
                        key = time
                    if table:
                        item["LINE"] = f"{name}:{base + number}" if several else str(base + number)
                    yield key, name, item
                base += count
        except OSError as error:
            from elastic_events._cli import _reason

            raise _Unreadable(f"cannot read {path!r}: {_reason(error)}") from None

    merged = (
        heapq.merge(*(one(path) for path in args.files), key=lambda item: item[0])
        if several
        else one(args.files[0])
    )
    items = (item for _, _, item in merged)
    if table:
        _write_rows(items, out, several)
    else:
        for text in items:
            out.write(text)
    return bad[0]


def edge_times(
    stream: BinaryIO, zone: datetime.tzinfo | None, max_line: int
) -> tuple[int | None, int | None]:
    """The times of the first and last timed lines of a seekable log, reading only its ends
    (all of it when it is compressed, as its end cannot be read alone)."""
    first = last = None
    stream.seek(0)
    log = EventLog(stream, zone=zone, max_line=max_line)
    for line in log:
        if line.time is not None:
            if first is None:
                first = line.time
                if log.compression is None:
                    break
            last = line.time
    if first is None or log.compression is not None:
        return first, last
    end = stream.seek(0, os.SEEK_END)
    block = 1 << 16
    while last is None:
        start = max(end - block, 0)
        tail = _Range(stream, start, end).read()
        lines = tail.splitlines()
        if start:
            lines = lines[1:]  # Maybe cut short.
        for line in EventLog(reversed(lines), zone=zone, max_line=max_line):
            if line.time is not None:
                last = line.time
                break
        if start == 0:
            break
        block *= 4
    return first, last
