"""The ``elastic-events`` command: check, show and draw event logs.

Usage::

    elastic-events validate FILE...          # every bad line as FILE:LINE: what is wrong
    elastic-events show FILE [--json] [--name GLOB] [--source S] [--state S] [--run-id ID]
    elastic-events timeline FILE -o OUT.svg [--title TEXT] [filters as for show]

``FILE`` may be ``-`` for the standard input; ``python -m elastic_events`` is the same command.
Exit status: 0 when every event line is valid, 1 when some are not (each is reported, and the
good ones are still shown or drawn), 2 for a usage error or a file that cannot be read or
written.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

from elastic_events import __version__, _launcher
from elastic_events._logs import EventLog, LogLine
from elastic_events._model import EventSource
from elastic_events._timeline import Timeline
from elastic_events._views import EventFilter, _fit, table_row

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from typing import BinaryIO, TextIO

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
    try:
        status: int = args.run(args, sys.stdout)
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python from complaining
        # again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        with contextlib.suppress(OSError):
            os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return OK
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 128 + 2  # As a shell reports SIGINT.
    return status


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
    validate.set_defaults(run=_validate)

    show = commands.add_parser(
        "show",
        help="print the events of a log as a table or as JSON lines",
        description="Print the events of a log as a table, or one normalized JSON event a line.",
    )
    show.add_argument("file", metavar="FILE", help="a log file, or - for stdin")
    show.add_argument("--json", action="store_true", help="one normalized JSON event a line")
    _add_filters(show)
    show.set_defaults(run=_show)

    timeline = commands.add_parser(
        "timeline",
        help="draw the events of a log as an SVG timeline, a lane per node",
        description="Draw an SVG timeline: one lane per node, a mark per event coloured by "
        "state, failures ringed in red.",
    )
    timeline.add_argument("file", metavar="FILE", help="a log file, or - for stdin")
    timeline.add_argument(
        "-o", "--output", required=True, metavar="OUT.svg", help="where to write the SVG"
    )
    timeline.add_argument("--title", default="", help="the title of the picture")
    _add_filters(timeline)
    timeline.set_defaults(run=_timeline)

    _launcher.add_command(commands)  # elastic-events torchrun: its own module, torch imported late
    return parser


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


# validate


def _validate(args: argparse.Namespace, out: TextIO) -> int:
    events = bad = other = files = unreadable = 0
    for path in args.files:
        name = _display_name(path)
        try:
            with _open(path) as stream:
                log = EventLog(stream)
                try:
                    for line in log.problems():
                        out.write(f"{name}:{line.number}: {line.error}\n")
                finally:
                    events, bad, other = events + log.events, bad + log.bad, other + log.other
        except _Unreadable as error:
            out.flush()
            print(f"{PROG}: error: {error}", file=sys.stderr)
            unreadable += 1
            continue
        files += 1
    summary = (
        f"{_plural(events, 'event')}, {_plural(bad, 'bad line')}, "
        f"{_plural(other, 'other line')} in {_plural(files, 'file')}"
    )
    if unreadable:
        summary += f"; {_plural(unreadable, 'file')} could not be read"
    out.write(summary + "\n")
    return TROUBLE if unreadable else (BAD_LINES if bad else OK)


# show


def _show(args: argparse.Namespace, out: TextIO) -> int:
    keep = _filter(args)
    try:
        with _open(args.file) as stream:
            log = EventLog(stream)
            lines = _lines_kept(log, _display_name(args.file), keep, out)
            if args.json:
                for line in lines:
                    out.write(f"{line.event}\n")
            else:
                _write_table(lines, out)
    except _Unreadable as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return TROUBLE
    return BAD_LINES if log.bad else OK


def _filter(args: argparse.Namespace) -> EventFilter:
    return EventFilter(name=args.name, source=args.source, state=args.state, run_id=args.run_id)


# The table: its columns are sized on the first rows, then the rest streams through.
_SIZING_ROWS = 1000
_CAPS = {"LINE": 9, "TIME": 24, "SOURCE/STATE": 12, "NAME": 64, "NODE": 40, "DETAILS": 0}


def _write_table(lines: Iterator[LogLine], out: TextIO) -> None:
    first = []
    for line in lines:
        first.append(table_row(line))
        if len(first) == _SIZING_ROWS:
            break
    if not first:
        print("no events to show", file=sys.stderr)
        return
    columns = list(_CAPS)
    if all(row["TIME"] == "" for row in first):
        columns.remove("TIME")  # torchelastic leaves every timestamp at 0: LINE gives the order.
    widths = {
        column: min(_CAPS[column] or 10**9, max(len(column), *(len(row[column]) for row in first)))
        for column in columns
    }

    def write(row: dict[str, str]) -> None:
        cells = []
        for column in columns:
            width, value = widths[column], row[column]
            if column == "DETAILS":
                cells.append(value)
            elif column == "LINE":
                cells.append(value.rjust(width))
            else:
                cells.append(_fit(value, width).ljust(width))
        out.write("  ".join(cells).rstrip() + "\n")

    write({column: column for column in columns})
    for row in first:
        write(row)
    for line in lines:
        write(table_row(line))


# timeline


def _timeline(args: argparse.Namespace, out: TextIO) -> int:
    keep = _filter(args)
    name = _display_name(args.file)
    try:
        with _open(args.file) as stream:
            log = EventLog(stream)
            timeline = Timeline(_lines_kept(log, name, keep, out))
    except _Unreadable as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return TROUBLE
    if timeline.count > _CROWDED:
        print(
            f"{PROG}: note: {timeline.count:,} events make a crowded picture; "
            "--run-id, --name or --state draw fewer",
            file=sys.stderr,
        )
    svg = timeline.svg(title=args.title or f"Events of {name} by node")
    try:
        if args.output == STDIN:
            out.write(svg)
        else:
            with open(args.output, "w", encoding="utf-8") as target:
                target.write(svg)
    except OSError as error:
        print(f"{PROG}: error: cannot write {args.output!r}: {_reason(error)}", file=sys.stderr)
        return TROUBLE
    if args.output != STDIN:
        failures = sum(len(lane.failures) for lane in timeline.lanes)
        out.write(
            f"wrote {args.output}: {_plural(timeline.count, 'event')} on "
            f"{_plural(len(timeline.lanes), 'node')}, {_plural(failures, 'failure')}\n"
        )
    return BAD_LINES if log.bad else OK


_CROWDED = 20_000


def _lines_kept(log: EventLog, name: str, keep: EventFilter, out: TextIO) -> Iterator[LogLine]:
    """The lines whose events pass the filter; bad lines go to stderr as they come."""
    for line in log:
        if line.event is None:
            out.flush()
            print(f"{name}:{line.number}: {line.error}", file=sys.stderr)
        elif keep(line):
            yield line


# Files


@contextlib.contextmanager
def _open(path: str) -> Iterator[Iterator[bytes]]:
    """The lines of a log, ``-`` being stdin; a file that cannot be read raises _Unreadable."""
    if path == STDIN:
        yield _read_lines(sys.stdin.buffer, "the standard input", batch=False)
        return
    try:
        stream = open(path, "rb")  # noqa: SIM115 (closed below)
    except OSError as error:
        raise _Unreadable(f"cannot read {path!r}: {_reason(error)}") from None
    with stream:
        yield _read_lines(stream, repr(path))


def _read_lines(stream: BinaryIO, name: str, batch: bool = True) -> Iterator[bytes]:
    """The lines of ``stream``; an error of the disk is told apart from one of the output.

    Batches of about 64 KiB read as fast as iterating over the file; a pipe is read line by
    line instead, so that ``tail -f run.log | elastic-events show -`` shows each line as it
    comes.
    """
    while True:
        try:
            lines = stream.readlines(1 << 16) if batch else [stream.readline()]
        except OSError as error:
            raise _Unreadable(f"cannot read {name}: {_reason(error)}") from None
        if not lines or not lines[0]:
            return
        yield from lines


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def _display_name(path: str) -> str:
    return "<stdin>" if path == STDIN else path


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
