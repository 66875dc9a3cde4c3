"""The ``elastic-events`` command: check, show and draw event logs.

Usage::

    elastic-events validate FILE... [-j N]   # every bad line as FILE:LINE: what is wrong
    elastic-events show FILE... [--json | --summary] [--name GLOB] [--source S] [--state S]
                                [--run-id ID] [--since T] [--until T] [--tz ZONE] [-j N]
    elastic-events timeline FILE... -o OUT.svg [--title TEXT] [filters as for show]

``FILE`` may be ``-`` for the standard input, and ``OUT.svg`` ``-`` for the standard output;
``python -m elastic_events`` is the same command. Logs compressed by gzip, bzip2 or xz are read
as they are. Several files are merged in time order, each line keeping its file and line
number. Exit status: 0 when every event line is valid, 1 when some are not (each is
reported, and the good ones are still shown or drawn), 2 for a usage error, a file that cannot
be read or written, or an output that fails (a full disk, a closed pipe); ``validate`` keeps its
verdict, 0 or 1, when its output is closed early.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import operator
import os
import stat
import sys

from elastic_events import __version__, _launcher
from elastic_events._logs import MAX_LINE, EventLog, LogLine
from elastic_events._model import EventSource
from elastic_events._timeline import Timeline
from elastic_events._times import format_time, parse_zone
from elastic_events._views import EventFilter, _fit_width, table_row

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from typing import Any, BinaryIO, TextIO

PROG = "elastic-events"
STDIN = "-"
OK, BAD_LINES, TROUBLE = 0, 1, 2


class _Unreadable(Exception):
    """A file that cannot be opened or read: reported, and the exit status is 2."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    Args:
        argv: The arguments, without the program name; by default ``sys.argv[1:]``.

    Example:
        >>> import pathlib, tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     log = pathlib.Path(folder, "run.log")
        ...     _ = log.write_text('{"name": "started", "source": "AGENT"}\\nthe end\\n')
        ...     main(["validate", str(log)])
        1 event, 0 bad lines, 1 other line in 1 file
        0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_usage(sys.stderr)
        print(f"{PROG}: error: say which command: validate, show or timeline", file=sys.stderr)
        return TROUBLE
    with contextlib.suppress(AttributeError, ValueError):  # Lone surrogates never crash a print.
        sys.stdout.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    out = _Output(sys.stdout)
    try:
        status: int = args.run(args, out)
        out.flush()
    except (_OutputFailed, BrokenPipeError) as failure:  # A full disk, a closed pipe.
        error = failure.error if isinstance(failure, _OutputFailed) else failure
        _silence_stdout()
        print(f"{PROG}: error: cannot write the standard output: {_reason(error)}", file=sys.stderr)
        return TROUBLE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 128 + 2  # As a shell reports SIGINT.
    return status


class _OutputFailed(Exception):
    """The standard output failed (told apart from any other OSError of a subcommand)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(error)
        self.error = error


class _Output:
    """The standard output, whose errors are _OutputFailed."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as error:
            raise _OutputFailed(error) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as error:
            raise _OutputFailed(error) from None

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def _silence_stdout() -> None:
    """Keep Python from failing again on the standard output when it flushes it at exit."""
    try:
        fileno = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    with contextlib.suppress(OSError):
        os.dup2(devnull, fileno)
    os.close(devnull)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Check, show and draw logs of torchelastic events (Event and RdzvEvent "
        "JSON lines, alone or at the end of log lines).",
        epilog="Exit status: 0 all event lines valid, 1 some bad lines (reported), "
        "2 usage error or unreadable file.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    validate = commands.add_parser(
        "validate",
        help="check every event line of logs",
        description="Check every event line; report each bad one as FILE:LINE: what is wrong, "
        "then a summary.",
    )
    validate.add_argument("files", nargs="+", metavar="FILE", help="a log file, or - for stdin")
    _add_reading(validate)
    _add_jobs(validate)
    validate.set_defaults(run=_validate)

    show = commands.add_parser(
        "show",
        help="print the events of a log as a table or as JSON lines",
        description="Print the events of a log as a table, or one normalized JSON event a line.",
    )
    show.add_argument(
        "files", nargs="+", metavar="FILE", help="log files merged in time order, or - for stdin"
    )
    output = show.add_mutually_exclusive_group()
    output.add_argument(
        "--json",
        action="store_true",
        help="one normalized JSON event a line; a line with a time as an object of two "
        "fields, time and event",
    )
    output.add_argument(
        "--summary",
        action="store_true",
        help="per run and round: when the rendezvous started and completed and how long it "
        "took, each failure, and how long the job ran",
    )
    _add_reading(show)
    _add_filters(show)
    _add_jobs(show)
    show.set_defaults(run=_show)

    timeline = commands.add_parser(
        "timeline",
        help="draw the events of a log as an SVG timeline, a lane per node",
        description="Draw an SVG timeline: one lane per node, a mark per event coloured by "
        "state, failures ringed in red.",
    )
    timeline.add_argument(
        "files", nargs="+", metavar="FILE", help="log files merged in time order, or - for stdin"
    )
    timeline.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT.svg",
        help="where to write the SVG (never one of the logs read), or - for stdout",
    )
    timeline.add_argument("--title", default="", help="the title of the picture")
    _add_reading(timeline)
    _add_filters(timeline)
    timeline.set_defaults(run=_timeline)

    _launcher.add_command(commands)  # elastic-events torchrun: its own module, torch imported late
    return parser


def _add_reading(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-line",
        type=_positive,
        default=MAX_LINE,
        metavar="BYTES",
        help=f"the longest line read (default {MAX_LINE:,}); a longer one is a bad line",
    )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1; got {value}")
    return value


def _add_filters(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("filters (all given must match)")
    group.add_argument("--name", metavar="GLOB", help="event names matching GLOB (* ? [...])")
    group.add_argument(
        "--source",
        type=str.upper,
        choices=list(EventSource.__members__),
        help="events of this source (rendezvous events have none)",
    )
    group.add_argument(
        "--state",
        type=str.upper,
        metavar="STATE",
        help="events that report this state: a rendezvous node state (INIT, RUNNING, "
        "SUCCEEDED, FAILED), or an agent or worker state (START, SUCCEEDED, FAILED, "
        "TERMINATED...)",
    )
    group.add_argument("--run-id", metavar="ID", help="events of this run (rendezvous) id")
    group.add_argument(
        "--since",
        metavar="TIME",
        help="lines from TIME on: an ISO 8601 instant, or a duration (90s, 10m, 1.5h) after "
        "the first timed line of the input",
    )
    group.add_argument(
        "--until",
        metavar="TIME",
        help="lines up to TIME: an ISO 8601 instant, or a duration before the last timed line",
    )
    parser.add_argument(
        "--tz",
        metavar="ZONE",
        help="the zone of times written without one (the asctime of Python logging): UTC "
        "(the default), an offset such as +02:00 (a negative one after an equals sign, "
        "as in tz=-05:00), or a name such as Europe/Paris",
    )


def _add_jobs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-j",
        "--jobs",
        type=_positive,
        default=0,
        metavar="N",
        help="processes reading large files at once (default: one per core)",
    )


# validate


def _validate(args: argparse.Namespace, out: TextIO) -> int:
    events = bad = other = files = unreadable = 0
    report = _Report(out)
    pool = _pool(args.files, args.jobs)
    split = [pool is not None and _parallel_file(path) for path in args.files]
    ahead = None
    if pool is not None:
        from elastic_events import _parallel

        chunked = [path for path, chunks in zip(args.files, split, strict=True) if chunks]
        ahead = _parallel.Ahead(pool, _parallel.validate_chunk, chunked, args.max_line)
    for path, chunks in zip(args.files, split, strict=True):
        name = _display_name(path)
        try:
            if ahead is not None and chunks:
                counts = _parallel.validate(ahead, path, name, report)
                events, bad, other = events + counts[0], bad + counts[1], other + counts[2]
                files += 1
                continue
            with _open(path) as stream:
                log = EventLog(stream, max_line=args.max_line)
                try:
                    for line in log.problems():
                        report.write(f"{name}:{line.number}: {line.error}\n")
                finally:
                    events, bad, other = events + log.events, bad + log.bad, other + log.other
        except _Unreadable as error:
            report.flush()
            print(f"{PROG}: error: {error}", file=sys.stderr)
            unreadable += 1
            continue
        files += 1
        if not log.events:
            report.flush()
            _no_events(name, log)
    if pool is not None:
        pool.shutdown()
    summary = (
        f"{_plural(events, 'event')}, {_plural(bad, 'bad line')}, "
        f"{_plural(other, 'other line')} in {_plural(files, 'file')}"
    )
    if unreadable:
        summary += f"; {_plural(unreadable, 'file')} could not be read"
    report.write(summary + "\n")
    report.flush()
    return TROUBLE if unreadable else (BAD_LINES if bad else OK)


class _Report:
    """validate's output: once it is closed (``| head``), the rest is dropped, the verdict kept."""

    def __init__(self, out: TextIO) -> None:
        self.out, self.closed = out, False

    def write(self, text: str) -> None:
        if not self.closed:
            try:
                self.out.write(text)
            except _OutputFailed as failure:
                self._closed_or_raise(failure)

    def flush(self) -> None:
        if not self.closed:
            try:
                self.out.flush()
            except _OutputFailed as failure:
                self._closed_or_raise(failure)

    def _closed_or_raise(self, failure: _OutputFailed) -> None:
        if not isinstance(failure.error, BrokenPipeError):
            raise failure

        self.closed = True
        _silence_stdout()


def _no_events(name: str, log: EventLog) -> None:
    """Say that a log holds no event at all: a wrong file, or a format not read, is no success."""
    read = f"{_plural(log.bad, 'bad line')} and {_plural(log.other, 'other line')}"
    how = f" ({log.compression} data)" if log.compression else ""
    print(f"{PROG}: note: {name}{how} holds no event: {read}", file=sys.stderr)


# show


def _show(args: argparse.Namespace, out: TextIO) -> int:
    try:
        zone, keep = _zone_and_filter(args)
    except ValueError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return TROUBLE
    several = len(args.files) > 1
    pool = None if args.summary else _pool(args.files, args.jobs)
    if pool is not None and not all(map(_parallel_file, args.files)):
        pool.shutdown()
        pool = None
    try:
        with contextlib.ExitStack() as stack:
            if pool is not None:
                from elastic_events import _parallel

                stack.callback(pool.shutdown, cancel_futures=True)
                bad = _parallel.show(pool, args, zone, keep, out)
                return BAD_LINES if bad else OK
            sources = _Sources(stack, args, zone, keep, out)
            lines = sources.lines()
            if args.summary:
                from elastic_events._summary import summary

                out.write(summary(line for _, line in lines))
            elif args.json:
                for _, line in lines:
                    out.write(json_line(line))
            else:
                _write_table(lines, out, several)
    except _Unreadable as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return TROUBLE
    return BAD_LINES if sources.bad else OK


def json_line(line: LogLine) -> str:
    """A line for ``show --json``: the event, or ``{"time": ..., "event": ...}`` when timed."""
    if line.time is None:
        return f"{line.event}\n"
    return f'{{"time": "{format_time(line.time)}", "event": {line.event}}}\n'


def _zone_and_filter(args: argparse.Namespace) -> tuple[Any, EventFilter]:
    """The --tz zone and the filter; a bad --tz, --since or --until raises ValueError."""
    zone = parse_zone(args.tz) if args.tz else None
    keep = EventFilter(
        name=args.name,
        source=args.source,
        state=args.state,
        run_id=args.run_id,
        since=args.since,
        until=args.until,
        zone=zone,
    )
    return zone, keep


# The table: its columns are sized on the first rows, then the rest streams through.
_SIZING_ROWS = 1000
_CAPS = {"LINE": 9, "TIME": 24, "SOURCE/STATE": 12, "NAME": 64, "NODE": 40, "DETAILS": 0}


def _row(name: str, line: LogLine) -> dict[str, str]:
    row = table_row(line)
    row["LINE"] = f"{name}:{row['LINE']}"
    return row


def _write_table(lines: Iterator[tuple[str, LogLine]], out: TextIO, several: bool = False) -> None:
    rows: Iterator[dict[str, str]]
    if several:
        rows = (_row(name, line) for name, line in lines)
    else:  # One file: its lines' rows as they are, made without a Python step per line.
        rows = map(table_row, map(_SECOND, lines))
    _write_rows(rows, out, several)


_SECOND = operator.itemgetter(1)


def _write_rows(rows: Iterator[dict[str, str]], out: TextIO, several: bool = False) -> None:
    first = []
    for row in rows:
        first.append(row)
        if len(first) == _SIZING_ROWS:
            break
    if not first:
        print("no events to show", file=sys.stderr)
        return
    columns = list(_CAPS)
    timed = any(row["TIME"] for row in first)
    if not timed:
        columns.remove("TIME")  # torchelastic leaves every timestamp at 0: LINE gives the order.
    caps = dict(_CAPS, LINE=48) if several else _CAPS
    widths = {  # DETAILS, the last column, is neither padded nor cut: it needs no width.
        column: min(caps[column], max(len(column), *(_fit_width(row[column])[1] for row in first)))
        for column in columns
        if column != "DETAILS"
    }

    padded = [(column, widths[column]) for column in columns if column not in ("LINE", "DETAILS")]
    line_width = widths["LINE"]
    put = out.write
    # Most rows are ASCII and fit their columns: str.ljust pads their cells, and the length of
    # the padded cells says that they fit. Any other row is laid out cell by cell (cut to the
    # column, wide characters counted as two). LINE is never cut.
    cells_of = operator.itemgetter(*(column for column, _ in padded))
    cell_widths = [width for _, width in padded]
    cells_width = sum(cell_widths) + 2 * (len(padded) - 1)
    ljust = str.ljust

    def write(row: dict[str, str]) -> None:
        if not timed and row.get("TIME"):  # A time after the rows that sized the table: not lost.
            row = {**row, "DETAILS": f"time={row['TIME']} {row['DETAILS']}".rstrip()}
        cells = "  ".join(map(ljust, cells_of(row), cell_widths))
        if len(cells) != cells_width or not cells.isascii():
            cells = "  ".join([_fit_width(row[column], width)[0] for column, width in padded])
        put(f"{row['LINE'].rjust(line_width)}  {cells}  {row['DETAILS']}".rstrip() + "\n")

    write({column: column for column in columns})
    for row in first:
        write(row)
    for row in rows:
        write(row)


# timeline


def _timeline(args: argparse.Namespace, out: TextIO) -> int:
    try:
        zone, keep = _zone_and_filter(args)
    except ValueError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return TROUBLE
    name = ", ".join(_display_name(path) for path in args.files)
    if args.output != STDIN and _one_of(args.output, args.files):
        print(
            f"{PROG}: error: will not write {args.output!r}: it is the log being read "
            "(give another -o)",
            file=sys.stderr,
        )
        return TROUBLE
    try:
        with contextlib.ExitStack() as stack:
            sources = _Sources(stack, args, zone, keep, out)
            timeline = Timeline(line for _, line in sources.lines())
    except _Unreadable as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return TROUBLE
    if timeline.count > _CROWDED and not timeline.timed:
        print(
            f"{PROG}: note: {timeline.count:,} events make a crowded picture; "
            "--run-id, --name or --state draw fewer",
            file=sys.stderr,
        )
    svg = timeline.svg(title=args.title or f"Events of {name} by node")
    if args.output == STDIN:
        out.write(svg)
    else:
        try:
            _write_file(args.output, svg)
        except OSError as error:
            print(f"{PROG}: error: cannot write {args.output!r}: {_reason(error)}", file=sys.stderr)
            return TROUBLE
    failures = sum(len(lane.failures) for lane in timeline.lanes)
    out.flush()
    print(
        f"wrote {'<stdout>' if args.output == STDIN else args.output}: "
        f"{_plural(timeline.count, 'event')} on "
        f"{_plural(len(timeline.lanes), 'node')}, {_plural(failures, 'failure')}",
        file=sys.stderr,
    )
    return BAD_LINES if sources.bad else OK


def _one_of(output: str, inputs: Sequence[str]) -> bool:
    """Whether *output* is one of the files *inputs* (the same file by any path or link)."""
    for path in inputs:
        if path == STDIN:
            continue
        with contextlib.suppress(OSError):
            if os.path.samefile(output, path):
                return True
    return False


def _write_file(path: str, text: str) -> None:
    """Write *text* to *path* through a temporary file renamed into place: whole, or not at all.

    A path that is not a regular file (``/dev/stdout``, a named pipe) is written as it is.
    """
    import tempfile  # Only when a file is written: it costs an import at start-up.

    try:
        mode: int | None = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        with open(path, "w", encoding="utf-8") as target:
            target.write(text)
        return
    real = os.path.realpath(path)  # Through a link, the file it names is replaced.
    folder, base = os.path.split(real)
    handle, temporary = tempfile.mkstemp(prefix=f".{base}.", suffix=".tmp", dir=folder or ".")
    try:
        with open(handle, "w", encoding="utf-8") as target:
            target.write(text)
        if mode is None:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        else:
            os.chmod(temporary, stat.S_IMODE(mode))
        os.replace(temporary, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


_CROWDED = 20_000


class _Sources:
    """The kept lines of several logs, merged in time order (a k-way merge, in flat memory).

    Each file is taken to be in time order, as logs are. A line without a time keeps its place
    after the timed line before it in its file; a line whose time is earlier than that of a
    line before it in its file is reported (once) and kept where it is, not reordered.
    """

    def __init__(
        self,
        stack: contextlib.ExitStack,
        args: argparse.Namespace,
        zone: Any,
        keep: EventFilter,
        out: TextIO,
    ) -> None:
        self.out, self.zone, self.max_line = out, zone, args.max_line
        self.logs = [
            (_display_name(path), self._log(stack.enter_context(_open(path))))
            for path in args.files
        ]
        self.keep = keep
        if keep.relative_until or (keep.since is not None and len(args.files) > 1):
            self.keep = self._anchored(stack, args.files, keep)

    def _log(self, stream: Any) -> EventLog:
        return EventLog(stream, zone=self.zone, max_line=self.max_line)

    @property
    def bad(self) -> int:
        return sum(log.bad for _, log in self.logs)

    def _anchored(
        self, stack: contextlib.ExitStack, paths: Sequence[str], keep: EventFilter
    ) -> EventFilter:
        """The filter with its durations counted from the first and last times of the input."""
        from elastic_events._parallel import edge_times

        firsts, lasts = [], []
        for index, path in enumerate(paths):
            if path == STDIN:  # Read once: kept in a temporary file to find its last time.
                import tempfile

                spool = stack.enter_context(tempfile.TemporaryFile())  # noqa: SIM115
                stdin = stack.enter_context(_open(path))
                while chunk := stdin.read(1 << 16):
                    spool.write(chunk)
                first, last = edge_times(spool, self.zone, self.max_line)
                spool.seek(0)
                self.logs[index] = ("<stdin>", self._log(spool))
            else:
                try:
                    with open(path, "rb") as stream:
                        first, last = edge_times(stream, self.zone, self.max_line)
                except OSError as error:
                    raise _Unreadable(f"cannot read {path!r}: {_reason(error)}") from None
            firsts += [first] if first is not None else []
            lasts += [last] if last is not None else []
        return keep.anchored(min(firsts, default=None), max(lasts, default=None))

    def _one(self, name: str, log: EventLog) -> Iterator[tuple[int, str, LogLine]]:
        """A file's good lines with their sort key; bad lines go to stderr as they come."""
        key = _EARLIEST
        late = 0
        for line in log:
            if line.event is None:
                self.out.flush()
                print(f"{name}:{line.number}: {line.error}", file=sys.stderr)
                continue
            time = line.time
            if time is not None:
                if time < key:
                    late += 1
                    if late <= _LATE_REPORTS:
                        self.out.flush()
                        print(
                            f"{PROG}: note: {name}:{line.number}: out of time order "
                            f"({format_time(time)} after {format_time(key)}); shown where it is",
                            file=sys.stderr,
                        )
                else:
                    key = time
            yield key, name, line
        if late > _LATE_REPORTS:
            print(
                f"{PROG}: note: {name}: {late - _LATE_REPORTS} more lines out of time order",
                file=sys.stderr,
            )

    def lines(self) -> Iterator[tuple[str, LogLine]]:
        """The kept lines of every file, in time order, each with its file's name."""
        keep = self.keep
        everything = keep == EventFilter(zone=keep.zone)  # Each line _one yields has an event.
        if len(self.logs) == 1:
            name, log = self.logs[0]
            lines = map(_THIRD, self._one(name, log))
            return zip(itertools.repeat(name), lines if everything else filter(keep, lines))
        import heapq

        merged = heapq.merge(
            *(self._one(name, log) for name, log in self.logs), key=lambda item: item[0]
        )
        return ((name, line) for _, name, line in merged if everything or keep(line))


_LATE_REPORTS = 10
_THIRD = operator.itemgetter(2)
# Before any time a line may have: a timestamp is at most about 1.8e308 ms (MAX_NUMBER).
_EARLIEST = -(1 << 1100)


def _pool(paths: Sequence[str], jobs: int) -> Any:
    """A pool of processes for large files, or ``None`` where one process does as well."""
    if jobs:
        count = jobs
    elif hasattr(os, "sched_getaffinity"):
        count = len(os.sched_getaffinity(0))
    else:  # pragma: no cover (macOS, Windows)
        count = os.cpu_count() or 1
    if count < 2:
        return None
    try:
        size = sum(os.stat(path).st_size for path in paths if path != STDIN)
    except OSError:
        return None  # Reported as the file is read.
    if size < _PARALLEL_BYTES:
        return None
    from elastic_events._parallel import pool

    return pool(count)


# Below this many bytes in all, starting processes costs more than it saves. Measured on a
# 2-core machine (validate of three 10 MB files, perf stat task-clock over the process tree):
# the pool (a forkserver that imports the reader once, two processes forked from it) costs
# about 0.26 s of CPU, 0.15 s of it on the way, while reading costs about 30-40 ms a MB in one
# process; two processes save half of that, so they pay from about 10 MB on: 16 MiB leaves a
# margin. The default of -j is every core the process may run on: the reading is CPU-bound.
_PARALLEL_BYTES = 16 << 20


def _parallel_file(path: str) -> bool:
    """Whether a file can be read in chunks: a regular file, not compressed (nor stdin)."""
    from elastic_events._parallel import splittable

    return path != STDIN and splittable(path)


# Files


@contextlib.contextmanager
def _open(path: str) -> Iterator[BinaryIO]:
    """The lines of a log, ``-`` being stdin; a file that cannot be read raises _Unreadable."""
    if path == STDIN:
        stdin = getattr(sys.stdin, "buffer", None)
        if stdin is None:
            raise _Unreadable("cannot read the standard input: it is closed")
        yield _Guarded(stdin, "the standard input")  # type: ignore[misc]
        return
    try:
        stream = open(path, "rb")  # noqa: SIM115 (closed below)
    except OSError as error:
        raise _Unreadable(f"cannot read {path!r}: {_reason(error)}") from None
    with stream:
        yield _Guarded(stream, repr(path))  # type: ignore[misc]


class _Guarded:
    """A binary stream whose read errors are _Unreadable, told apart from errors of the output.

    Reads take what is there (``read1``), so that ``tail -f run.log | elastic-events show -``
    shows each line as it comes.
    """

    def __init__(self, stream: BinaryIO, name: str) -> None:
        self._read = getattr(stream, "read1", stream.read)
        self._name = name

    def read(self, size: int = -1) -> bytes:
        try:
            data: bytes = self._read(size)
        except OSError as error:
            raise _Unreadable(f"cannot read {self._name}: {_reason(error)}") from None
        except ValueError:  # Closed under us.
            raise _Unreadable(f"cannot read {self._name}: it is closed") from None
        return data


def _reason(error: OSError) -> str:
    return (
        error.strerror
        or str(error)
        or ("Broken pipe" if isinstance(error, BrokenPipeError) else type(error).__name__)
    )


def _display_name(path: str) -> str:
    return "<stdin>" if path == STDIN else path


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
