"""Directives that show the events of a log file: ``event-log`` (a table), ``event-timeline``.

Part of :mod:`sphinxext.event_json`, whose ``setup()`` registers them: enable that extension.

``event-log``
    Renders the events of a log file as a table::

        .. event-log:: logs/run.log
           :caption: The run, event by event
           :state: FAILED

    The argument is the log's path, relative to the document, or to the source directory when
    it starts with ``/`` (as for ``literalinclude``). Each line is read and checked as
    ``elastic-events show`` reads it (:class:`elastic_events.EventLog`): a whole JSON event, or a
    log line whose event JSON starts at its first ``{``; lines without ``{`` are skipped. The
    table has the command's columns: line, time (only when events carry timestamps), source or
    node state, name, node (host and rank) and details. Options:

    ``:caption: text``
        A title above the table.
    ``:name: label``
        A reference target (the caption is the link text of ``:ref:``).
    ``:event-name: glob``, ``:source: AGENT|WORKER``, ``:state: STATE``, ``:run-id: id``
        Show only the events that match all of them, as ``elastic-events show --name --source
        --state --run-id`` do.
    ``:limit: n``
        Show the first *n* events (that match), and say how many more there are.
    ``:tracebacks:``
        Under the table, show the full traceback of each event shown that has one (a rendezvous
        ``error_trace``, or an agent's Python ``raw_error``), captioned by its line.

``event-timeline``
    Draws the events of a log file as the SVG timeline of ``elastic-events timeline``: inline in
    HTML (the picture has ``role="img"`` and is labelled by its title and by a description in
    words), and as that description in words in every other builder. Options: ``:title:`` (of
    the picture), ``:name:``, and the filters of ``event-log``.

Both directives make the page depend on the log file, so editing it rebuilds the page. A bad
line of the log is a warning located at the log file's path and line (type ``event_json``,
subtype ``log``); a file that cannot be read is a warning located at the directive (subtype
``file``), and the directive renders nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from docutils import nodes  # type: ignore[import-untyped,unused-ignore]
from docutils.parsers.rst import directives  # type: ignore[import-untyped,unused-ignore]
from sphinx import addnodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from elastic_events import EventLog
from elastic_events._cli import event_filter, table_row
from elastic_events._timeline import Timeline
from sphinxext._event_json.deps import dependency_files
from sphinxext._event_json.logs import (
    LogContents,
    id_prefix,
    read_log,
    source_option,
    state_option,
    table,
    traceback_of,
)

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import OptionSpec

    from elastic_events import LogLine

logger = logging.getLogger(__name__)

#: Bad lines of one log reported per directive; the rest are counted in one more warning.
MAX_BAD_LINES = 10
#: The CSS of the timelines, added to HTML builds.
STATIC = Path(__file__).parent / "_event_json" / "static"

# The bad lines already reported while reading the current page: (log path, line number).
_REPORTED = "event_log_reported"

_FILTERS: OptionSpec = {
    "event-name": directives.unchanged_required,
    "source": source_option,
    "state": state_option,
    "run-id": directives.unchanged_required,
}


class _LogDirective(SphinxDirective):
    """What both directives share: the path, the dependency, reading, filters and warnings."""

    required_arguments = 1
    final_argument_whitespace = True
    has_content = False

    def read(self) -> LogContents | None:
        """The log's contents, its bad lines reported; ``None`` (reported) if it cannot be read."""
        argument = self.arguments[0]
        relative, absolute = self.env.relfn2path(argument, self.env.docname)
        self.env.note_dependency(relative)
        self.note_library()
        keep = event_filter(
            name=self.options.get("event-name"),
            source=self.options.get("source"),
            state=self.options.get("state"),
            run_id=self.options.get("run-id"),
        )
        try:
            contents = read_log(absolute, keep)
        except OSError as error:
            reason = error.strerror or str(error)
            self.warn(f"cannot read {argument!r}: {reason}", self.get_location(), "file")
            return None
        # Each bad line once per page, however many directives read the log.
        reported = self.env.temp_data.setdefault(_REPORTED, set())
        assert isinstance(reported, set)
        fresh = [line for line in contents.bad if (absolute, line.number) not in reported]
        for line in fresh[:MAX_BAD_LINES]:
            reported.add((absolute, line.number))
            self.warn(line.error, f"{absolute}:{line.number}", "log")
        if len(fresh) > MAX_BAD_LINES:
            reported.update((absolute, line.number) for line in fresh)
            more = len(fresh) - MAX_BAD_LINES
            self.warn(
                f"{more} more bad lines in {argument!r} not reported; "
                f"'elastic-events validate {argument}' lists them all",
                self.get_location(),
                "log",
            )
        return contents

    def note_library(self) -> None:
        """Make the page outdated when the library code that reads and draws logs changes."""
        noted = self.env.dependencies.get(self.env.docname, ())
        for obj in (EventLog, table_row, Timeline):
            for path in dependency_files(obj):
                if path not in noted:
                    self.env.note_dependency(path)

    def warn(self, message: str, location: str, subtype: str) -> None:
        logger.warning(
            "%s: %s", self.name, message, location=location, type="event_json", subtype=subtype
        )


class EventLogDirective(_LogDirective):
    """``.. event-log:: path``: the events of a log file as a table."""

    option_spec: ClassVar[OptionSpec] = {
        "caption": directives.unchanged_required,
        "name": directives.unchanged,
        "limit": directives.positive_int,
        "tracebacks": directives.flag,
        **_FILTERS,
    }

    def run(self) -> list[nodes.Node]:
        contents = self.read()
        if contents is None:
            return []
        limit = self.options.get("limit")
        shown = contents.lines[:limit] if limit is not None else contents.lines
        if not shown:
            empty = nodes.paragraph("", "No events to show.", classes=["event-log-empty"])
            self.set_source_info(empty)
            return [empty]
        result: list[nodes.Node] = [self.table(shown)]
        hidden = len(contents.lines) - len(shown)
        if hidden:
            more = nodes.paragraph(
                "",
                f"The first {len(shown)} of {len(contents.lines)} events; "
                f"{hidden} more {'is' if hidden == 1 else 'are'} not shown.",
                classes=["event-log-more"],
            )
            self.set_source_info(more)
            result.append(more)
        if "tracebacks" in self.options:
            result += self.tracebacks(shown)
        return result

    def table(self, lines: list[LogLine]) -> nodes.table:
        columns, rows = table(lines)
        classes = [css for _, css in columns]
        widths = {"Line": 6, "Time": 16, "Source / state": 10, "Name": 26, "Node": 14}
        # Names and details are code-like: keep their straight quotes.
        table_node = nodes.table(classes=["event-log"], support_smartquotes=False)
        caption = self.options.get("caption")
        if caption:
            title_nodes, messages = self.parse_inline(caption)
            title = nodes.title(caption, "", *title_nodes)
            self.set_source_info(title)
            table_node += title
            table_node += messages
        group = nodes.tgroup(cols=len(columns))
        table_node += group
        group.extend(nodes.colspec(colwidth=widths.get(heading, 40)) for heading, _ in columns)
        head = nodes.thead()
        head += _row([heading for heading, _ in columns], classes)
        group += head
        body = nodes.tbody()
        group += body
        body.extend(_row(cells, classes) for cells in rows)
        self.set_source_info(table_node)
        self.add_name(table_node)
        return table_node

    def tracebacks(self, lines: list[LogLine]) -> list[nodes.Node]:
        blocks: list[nodes.Node] = []
        for line in lines:
            event = line.event
            trace = traceback_of(event) if event is not None else ""
            if event is None or not trace:
                continue
            literal = nodes.literal_block(
                trace, trace, language="pytb", classes=["event-log-traceback"]
            )
            self.set_source_info(literal)
            caption = nodes.caption("", "", nodes.Text(f"Line {line.number}: {event.name}"))
            self.set_source_info(caption)
            # Built by hand: the event's name is data, never parsed as markup.
            wrapper = nodes.container("", caption, literal, literal_block=True)
            wrapper["classes"].append("literal-block-wrapper")
            self.set_source_info(wrapper)
            blocks.append(wrapper)
        return blocks


class EventTimelineDirective(_LogDirective):
    """``.. event-timeline:: path``: the events of a log file as an SVG timeline."""

    option_spec: ClassVar[OptionSpec] = {
        "title": directives.unchanged_required,
        "name": directives.unchanged,
        **_FILTERS,
    }

    def run(self) -> list[nodes.Node]:
        contents = self.read()
        if contents is None:
            return []
        timeline = Timeline(contents.lines)
        title = self.options.get("title") or f"Events of {Path(self.arguments[0]).name} by node"
        prefix = id_prefix(self.env.docname, self.env.new_serialno("event-timeline"))
        svg = timeline.svg(title=title, id_prefix=prefix)
        figure = nodes.container(classes=["event-timeline"])
        self.set_source_info(figure)
        figure += nodes.raw("", svg, format="html")
        # Other builders get the words that the picture's <desc> gives screen readers.
        words = addnodes.only(expr="not html")
        words += nodes.paragraph("", title, classes=["event-timeline-title"])
        words.extend(nodes.paragraph("", text) for text in timeline.describe().splitlines())
        figure += words
        self.add_name(figure)
        return [figure]


def _row(cells: list[str], classes: list[str]) -> nodes.row:
    row = nodes.row()
    for cell, css in zip(cells, classes, strict=True):
        entry = nodes.entry(classes=[css])
        entry += nodes.paragraph("", cell)
        row += entry
    return row


def _add_static_path(app: Sphinx) -> None:
    if app.builder.format == "html" and str(STATIC) not in app.config.html_static_path:
        # A new list: never append to a default that another application may share.
        app.config.html_static_path = [*app.config.html_static_path, str(STATIC)]


def register(app: Sphinx) -> None:
    """Register the directives and the timeline's CSS (called by ``event_json.setup()``)."""
    app.add_directive("event-log", EventLogDirective)
    app.add_directive("event-timeline", EventTimelineDirective)
    app.add_css_file("event_json.css")
    app.connect("builder-inited", _add_static_path)
