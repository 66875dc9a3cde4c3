"""``event-json``: one example event, built through its class, checked and shown as JSON."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes  # type: ignore[import-untyped,unused-ignore]
from docutils.parsers.rst import directives  # type: ignore[import-untyped,unused-ignore]
from sphinx.directives.code import container_wrapper

import elastic_events
from elastic_events import Event, EventLog, LogLine, RdzvEvent

from ._base import BLOCK_OPTIONS, FILTER_OPTIONS, ClassDirective, filter_of, registry
from ._classes import ClassProblem
from ._content import ContentError, parse_event, serialize_checked
from ._links import attribute_link, href
from ._render import link_top_level_keys, pretty_json

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import OptionSpec


class EventJsonDirective(ClassDirective):
    """``.. event-json:: Class``: one example event, built, checked and rendered as JSON."""

    option_spec: ClassVar[OptionSpec] = {
        **BLOCK_OPTIONS,
        "compact": directives.flag,
        "collapsed": directives.flag,
        # The event as a real log has it: a line of a log file, chosen by number or by filters.
        "from": directives.unchanged_required,
        "line": directives.positive_int,
        "occurrence": directives.positive_int,
        **FILTER_OPTIONS,
    }

    def text(self) -> str:
        """The example's text: the directive's content, or the event of a log's line."""
        if "from" not in self.options:
            return "\n".join(self.content)
        if self.content:
            msg = "give the event as the content or with :from:, not both"
            raise ContentError(msg, subtype="from")
        return self.logged_event()

    def logged_event(self) -> str:
        """The JSON of the event that ``:from:`` and its selector name, read by EventLog."""
        argument = self.options["from"]
        relative, absolute = self.env.relfn2path(argument, self.env.docname)
        self.env.note_dependency(relative)
        try:
            with open(absolute, "rb") as stream:
                return selected_event(EventLog(stream), self.options, argument).serialize()
        except OSError as error:
            msg = f"cannot read {argument!r}: {error.strerror or error}"
            raise ContentError(msg, subtype="from") from None

    def run(self) -> list[nodes.Node]:
        try:
            codec = self.event_class()
            self.note_dependencies(codec.cls)
            line = serialize_checked(parse_event(self.text(), codec), codec)
            indent = self.config.event_json_indent
            text = line if "compact" in self.options else pretty_json(line, indent)
        except ContentError as error:
            return self.warn_content(error)
        except elastic_events.InvalidEventError as error:  # a class's serialize() wrote bad JSON
            return self.warn(f"{codec.name} wrote JSON that cannot be read: {error}", "roundtrip")
        block: nodes.Element = self.literal(text, codec.name)
        block["classes"].append(CLASS_PREFIX + codec.path)
        if "compact" in self.options:
            block["classes"].append(COMPACT)
        summary = f"{codec.name} JSON"
        caption = self.options.get("caption")
        if caption:  # The author's words, read as inline markup as code-block reads them.
            try:
                block = container_wrapper(self, block, caption)
            except ValueError:
                return self.warn(
                    f"invalid caption {caption!r}; a caption is one line of inline text", "caption"
                )
            summary = block[0].astext()
        self.add_name(block)
        if "collapsed" in self.options:
            self.fold(block, summary)
        return [block]


def selected_event(
    log: Iterable[LogLine], options: dict[str, Any], argument: str
) -> Event | RdzvEvent:
    """The event of *log* that the selector of a ``:from:`` example names.

    The selector is the example's options, as the directive converted them: the line numbered
    ``line``, or the ``occurrence``-th event (the first by default) that passes the filter
    options. The test that holds the site to its captures selects through this function too.

    Args:
        log: The lines of the log, as :class:`~elastic_events.EventLog` reads them.
        options: The directive's options.
        argument: The log as the page names it, for the errors.

    Raises:
        ContentError: The selected line is not an event, or no line is selected.
    """
    number, wanted = options.get("line"), options.get("occurrence", 1)
    keep, seen = filter_of(options), 0
    for line in log:
        if number is not None and line.number != number:
            continue
        if line.event is None:
            msg = f"line {line.number} of {argument!r} is not an event: {line.error}"
            raise ContentError(msg, subtype="from")
        if keep(line):
            seen += 1
            if seen == wanted:
                return line.event
    where = f"at line {number}" if number is not None else "that matches"
    found = f" (only {seen})" if seen else ""
    msg = f"{argument!r} has no event {where}{'' if wanted == 1 else f' {wanted} times'}{found}"
    raise ContentError(msg, subtype="from")


#: The class of an example's block that names the dotted path of its event class.
CLASS_PREFIX = "event-json-class-"
#: The class of an example's block that shows the event as its class writes it, on one line.
COMPACT = "event-json-compact"
# The highlighted HTML of one event-json block: its <div> opening tag, then its <pre>.
_BLOCK = re.compile(
    r'(<div class="event-json event-json-\w+ event-json-class-([\w.]+)[^"]* highlight-json'
    r'[^"]*"[^>]*>)([^<]*(?:<(?!/pre>)[^<]*)*</pre>)'  # Up to </pre>: a lazy .*? is 10x slower.
)


def link_keys(
    app: Sphinx,
    pagename: str,
    templatename: str,
    context: dict[str, Any],
    doctree: nodes.document | None,
) -> None:
    """Link the top-level keys of each example on an HTML page to their attributes' docs.

    Runs on the finished HTML of the page (``html-page-context``), because the keys to link
    are tokens of the highlighted code, which the HTML translator makes after every transform.
    Only the key's ``<span>`` inside the ``<pre>`` is wrapped, so the text of the block (what a
    copy button copies) is unchanged.
    """
    body = context.get("body")
    if not isinstance(body, str) or "event-json-" not in body:
        return
    hrefs: dict[str, dict[str, str]] = {}
    indent = app.config.event_json_indent

    def link(match: re.Match[str]) -> str:
        opening, path, block = match.groups()
        if path not in hrefs:
            hrefs[path] = {}
            try:
                codec = registry(app.config).resolve(path)
            except ClassProblem:  # pragma: no cover - the directive rendered it, so it resolves
                return match.group(0)
            for field in codec.field_names():
                reference = attribute_link(app, pagename, codec.targets, field, [])
                if reference is not None:
                    hrefs[path][field] = href(reference)
        pretty = COMPACT not in opening  # Then the keys are found by their indentation.
        return opening + link_top_level_keys(block, hrefs[path], indent if pretty else None)

    context["body"] = _BLOCK.sub(link, body)


def setup_examples(app: Sphinx) -> None:
    """Register ``event-json`` and the linking of its keys."""
    app.add_directive("event-json", EventJsonDirective)
    app.connect("html-page-context", link_keys)
