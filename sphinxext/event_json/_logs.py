"""``event-log``: the events of a log file as a table, as ``elastic-events show`` prints them."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from docutils import nodes  # type: ignore[import-untyped,unused-ignore]
from docutils.parsers.rst import directives  # type: ignore[import-untyped,unused-ignore]

from elastic_events import TABLE_COLUMNS, EventLog, event_traceback, table_row, visible_text

from ._base import BLOCK_OPTIONS, FILTER_OPTIONS, TIME_OPTIONS, LogDirective

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import OptionSpec

    from elastic_events import LogLine

#: Relative widths of the columns; the details take the rest.
_WIDTHS = {"LINE": 6, "TIME": 24, "SOURCE/STATE": 10, "NAME": 26, "NODE": 14, "DETAILS": 40}


class EventLogDirective(LogDirective):
    """``.. event-log:: path``: the events of a log file as a table."""

    option_spec: ClassVar[OptionSpec] = {
        **BLOCK_OPTIONS,
        **FILTER_OPTIONS,
        **TIME_OPTIONS,
        "limit": directives.positive_int,
        "tracebacks": directives.flag,
    }

    def run(self) -> list[nodes.Node]:
        self.note_dependencies(EventLog, table_row)
        lines = self.read()
        if lines is None:
            return []
        limit = self.options.get("limit")
        shown = lines[:limit] if limit is not None else lines
        if not shown:
            return [self.paragraph("No events to show.", "event-log-empty")]
        result: list[nodes.Node] = [self.table(shown)]
        hidden = len(lines) - len(shown)
        if hidden:
            verb = "is" if hidden == 1 else "are"
            words = (
                f"The first {len(shown)} of {len(lines)} events; {hidden} more {verb} not shown."
            )
            result.append(self.paragraph(words, "event-log-more"))
        if "tracebacks" in self.options:
            result += self.tracebacks(shown)
        return result

    def paragraph(self, text: str, css: str) -> nodes.paragraph:
        paragraph = nodes.paragraph("", text, classes=[css])
        self.set_source_info(paragraph)
        return paragraph

    def table(self, lines: list[LogLine]) -> nodes.table:
        rows = [table_row(line) for line in lines]
        # torchelastic leaves every timestamp at 0: then the line number gives the order.
        columns = [c for c in TABLE_COLUMNS if c != "TIME" or any(row["TIME"] for row in rows)]
        # Names and details are code-like: keep their straight quotes.
        table = nodes.table(classes=["event-log"], support_smartquotes=False)
        caption = self.options.get("caption")
        if caption:  # The author's words, read as inline markup.
            title_nodes, messages = self.parse_inline(caption)
            title = nodes.title(caption, "", *title_nodes)
            self.set_source_info(title)
            table += title
            table += messages
        group = nodes.tgroup(cols=len(columns))
        table += group
        group.extend(nodes.colspec(colwidth=_WIDTHS[column]) for column in columns)
        head = nodes.thead()
        head += _row({c: TABLE_COLUMNS[c] for c in columns}, columns)
        group += head
        body = nodes.tbody()
        group += body
        body.extend(_row(row, columns) for row in rows)
        self.set_source_info(table)
        self.add_name(table)
        return table

    def tracebacks(self, lines: list[LogLine]) -> list[nodes.Node]:
        blocks: list[nodes.Node] = []
        for line in lines:
            trace = event_traceback(line.event) if line.event is not None else ""
            if line.event is None or not trace:
                continue
            trace = visible_text(trace, lines=True)
            literal = nodes.literal_block(
                trace, trace, language="pytb", classes=["event-log-traceback"]
            )
            self.set_source_info(literal)
            # Built from text: the event's name is data, never parsed as markup.
            caption = nodes.caption(
                "", "", nodes.Text(f"Line {line.number}: {visible_text(line.event.name)}")
            )
            self.set_source_info(caption)
            wrapper = nodes.container("", caption, literal, literal_block=True)
            wrapper["classes"].append("literal-block-wrapper")
            self.set_source_info(wrapper)
            blocks.append(wrapper)
        return blocks


def _row(cells: dict[str, str], columns: list[str]) -> nodes.row:
    row = nodes.row()
    for column in columns:
        entry = nodes.entry(classes=[_css(column)])
        entry += nodes.paragraph("", cells[column])
        row += entry
    return row


def _css(column: str) -> str:
    """The CSS class of a column's cells: ``event-log-line``, ``event-log-state``..."""
    return "event-log-" + {"SOURCE/STATE": "state"}.get(column, column.lower())


def setup_logs(app: Sphinx) -> None:
    """Register ``event-log``."""
    app.add_directive("event-log", EventLogDirective)
