"""What the directives share: located warnings, dependencies, code blocks, and reading logs."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, ClassVar

from docutils import nodes  # type: ignore[import-untyped,unused-ignore]
from docutils.parsers.rst import directives  # type: ignore[import-untyped,unused-ignore]
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from elastic_events import EventFilter, EventLog, EventSource, LogLine

from ._classes import Codec, Registry
from ._deps import dependency_files
from ._errors import ContentError

if TYPE_CHECKING:
    from sphinx.config import Config
    from sphinx.util.typing import OptionSpec

logger = logging.getLogger(__name__)

#: The class of a folded block's container (see :mod:`sphinxext.event_json._folds`).
FOLDED = "event-json-folded"
#: The node attribute that holds the title of a folded block.
SUMMARY = "event_json_summary"
# The objects whose source files the page being read depends on, noted already.
_NOTED = "event_json_noted"


class EventDirective(SphinxDirective):
    """The base of every directive of the extension: warnings, dependencies and code blocks."""

    def warn(self, message: str, subtype: str, location: str | None = None) -> list[nodes.Node]:
        """Warn (type ``event_json``) at *location*, by default the directive; render nothing."""
        logger.warning(
            "%s: %s",
            self.name,
            message,
            location=location or self.get_location(),
            type="event_json",
            subtype=subtype,
        )
        return []

    def warn_content(self, error: ContentError) -> list[nodes.Node]:
        """Warn about a mistake in the content, at its line where it has one."""
        return self.warn(error.message, error.subtype, self.content_location(error.line))

    def content_location(self, line: int | None) -> str:
        """``source:line`` of line *line* (0-based) of the content, or of the directive."""
        if line is None or not 0 <= line < len(self.content):
            return self.get_location()
        source, offset = self.content.info(line)
        if offset is None or self.content.info(0)[1] == 0:
            # MyST numbers the content from 0; its first line follows the fence and the options.
            source = self.get_source_info()[0]
            number = self.lineno + 1 + self.content_offset + line
        else:
            number = offset + 1
        return f"{source}:{number}"

    def note_dependencies(self, *objects: object) -> None:
        """Make the page outdated when the library code that renders it changes."""
        noted = self.env.temp_data.setdefault(_NOTED, set())  # temp_data: this page's
        assert isinstance(noted, set)
        for obj in objects:
            if obj not in noted:
                noted.add(obj)
                for path in dependency_files(obj):
                    self.env.note_dependency(path)

    def literal(self, text: str, kind: str) -> nodes.literal_block:
        """A JSON code block; *kind* (a class name, or ``schema``) names what it shows."""
        literal = nodes.literal_block(
            text, text, language="json", classes=["event-json", f"event-json-{kind}"]
        )
        self.set_source_info(literal)
        return literal

    def fold(self, node: nodes.Element, summary: str) -> nodes.Element:
        """Mark *node* to fold, titled *summary*, in HTML; other builders show it plainly."""
        node["classes"].append(FOLDED)
        node[SUMMARY] = summary
        return node


class ClassDirective(EventDirective):
    """The base of the directives whose argument names an event class."""

    has_content = True
    required_arguments = 0
    optional_arguments = 1
    final_argument_whitespace = False

    def event_class(self) -> Codec:
        """The codec of the class the argument names, through the build's registry."""
        if not self.arguments:
            msg = (
                f"the {self.name} directive needs the event class as its argument; "
                f"write '{self.name}:: Event' or '{self.name}:: RdzvEvent'"
            )
            raise ContentError(msg, subtype="class")
        return registry(self.config).resolve(self.arguments[0])


_REGISTRIES: weakref.WeakKeyDictionary[Config, Registry] = weakref.WeakKeyDictionary()


def registry(config: Config) -> Registry:
    """The event classes of the build configured by *config*: each class imported once."""
    found = _REGISTRIES.get(config)
    if found is None:
        found = _REGISTRIES[config] = Registry(config.event_json_classes)
    return found


# --- logs -------------------------------------------------------------------------------------


def source_option(argument: str | None) -> str:
    """The value of a ``:source:`` option: ``AGENT`` or ``WORKER``, in any case."""
    value = (argument or "").strip().upper()
    if value not in EventSource.__members__:
        allowed = ", ".join(EventSource.__members__)
        raise ValueError(f"unknown source {argument!r}; expected one of {allowed}")
    return value


def state_option(argument: str | None) -> str:
    """The value of a ``:state:`` option."""
    value = (argument or "").strip()
    if not value:
        raise ValueError("the state is missing; write for instance :state: FAILED")
    return value


def time_option(argument: str | None) -> str:
    """The value of a ``:since:`` or ``:until:`` option: an ISO 8601 instant or a duration."""
    value = (argument or "").strip()
    EventFilter(since=value)  # Raises ValueError, saying what is allowed.
    return value


#: The options of every directive that shows a block: a caption and a reference target.
BLOCK_OPTIONS: OptionSpec = {
    "caption": directives.unchanged_required,
    "name": directives.unchanged,
}

#: The filters of the log directives, as ``elastic-events show`` has them.
FILTER_OPTIONS: OptionSpec = {
    "event-name": directives.unchanged_required,
    "source": source_option,
    "state": state_option,
    "run-id": directives.unchanged_required,
}

#: The options of the directives that show a log: the lines from or up to a time.
TIME_OPTIONS: OptionSpec = {"since": time_option, "until": time_option}


def filter_of(options: dict[str, str]) -> EventFilter:
    """The :class:`~elastic_events.EventFilter` that a directive's filter options make."""
    return EventFilter(
        name=options.get("event-name"),
        source=options.get("source"),
        state=options.get("state"),
        run_id=options.get("run-id"),
        since=options.get("since"),
        until=options.get("until"),
    )


#: Bad lines of one log reported per directive; the rest are counted in one more warning.
MAX_BAD_LINES = 10
# The bad lines already reported while reading the current page: (log path, line number).
_REPORTED = "event_log_reported"


class LogDirective(EventDirective):
    """The base of the directives that show a log file: its path, filters, and bad lines."""

    required_arguments = 1
    final_argument_whitespace = True
    has_content = False
    option_spec: ClassVar[OptionSpec] = {**FILTER_OPTIONS, **TIME_OPTIONS}

    def read(self) -> list[LogLine] | None:
        """The lines of the log that pass the filters; ``None`` (warned) if it cannot be read.

        Bad lines are warned about at their file and line, each once per page.
        """
        argument = self.arguments[0]
        relative, absolute = self.env.relfn2path(argument, self.env.docname)
        self.env.note_dependency(relative)
        keep = filter_of(self.options)
        good: list[LogLine] = []
        bad: list[LogLine] = []
        try:
            with open(absolute, "rb") as stream:
                for line in EventLog(stream):
                    (good if line.event is not None else bad).append(line)
        except OSError as error:
            self.warn(f"cannot read {argument!r}: {error.strerror or error}", "file")
            return None
        self.report(bad, absolute)
        times = [line.time for line in good if line.time is not None]
        if times:  # Durations count from the log's first and last times, never from now.
            keep = keep.anchored(times[0], times[-1])
        return [line for line in good if keep(line)]

    def report(self, bad: list[LogLine], path: str) -> None:
        reported = self.env.temp_data.setdefault(_REPORTED, set())
        assert isinstance(reported, set)
        fresh = [line for line in bad if (path, line.number) not in reported]
        reported.update((path, line.number) for line in fresh)
        for line in fresh[:MAX_BAD_LINES]:
            self.warn(line.error, "log", f"{path}:{line.number}")
        if len(fresh) > MAX_BAD_LINES:
            self.warn(
                f"{len(fresh) - MAX_BAD_LINES} more bad lines in {self.arguments[0]!r} not "
                f"reported; 'elastic-events validate {self.arguments[0]}' lists them all",
                "log",
            )
