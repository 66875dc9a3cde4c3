"""Sphinx directives that render example events of :mod:`elastic_events`, checked at build time.

Enable with ``extensions = ["sphinxext.event_json"]``.

``event-json``
    Renders one event as pretty-printed, highlighted JSON::

        .. event-json:: RdzvEvent
           :caption: A node joined the rendezvous

           {"name": "rdzv.py:join", "run_id": "ft-7f3a", "message": "joined",
            "hostname": "node-0", "pid": 4242, "node_state": "RUNNING"}

    The argument names the class: ``Event`` or ``RdzvEvent``, or their dotted paths
    ``elastic_events.Event`` and ``elastic_events.RdzvEvent``. The content is either

    * a JSON object, read as ``<Class>.deserialize`` reads a dict: omitted optional fields take the
      class defaults, a missing required field, an unknown field or a wrong type is an error; or
    * a constructor expression, such as ``Event("started", EventSource.AGENT, metadata={"n": 1})``
      or ``elastic_events.RdzvEvent(..., node_state=NodeState.FAILED)``, made of one call to the
      named class with positional or keyword arguments whose values are string, number, boolean
      and ``None`` literals (a minus sign on numbers), dicts with string keys, and enum members
      ``EventSource.X`` and ``NodeState.X`` (also as ``elastic_events.NodeState.X``). It is parsed
      with :mod:`ast` and checked node by node; it is never evaluated.

    The directive builds the real event, serializes it, checks that the JSON reads back to an
    equal event and shows it with a 2-space indent (config ``event_json_indent``) in wire key
    order. Options:

    ``:caption: text``
        A caption above the block, as for ``code-block``.
    ``:compact:``
        Show the exact single line that ``serialize()`` writes to the log.
    ``:collapsed:``
        In HTML, fold the block into a ``<details>`` element titled by the caption (or by
        ``<Class> JSON``); other builders show it plainly.
    ``:name: label``
        A reference target for ``:ref:`` (with a caption) and ``:numref:``.

    In HTML each top-level key links to the attribute that documents it
    (``elastic_events.<Class>.<field>``) where the project documents it.

``event-log``, ``event-timeline``
    The events of a log file as a table, and as an SVG timeline: see :mod:`sphinxext.event_log`.

``event-schema``
    ``.. event-schema:: RdzvEvent`` renders a table of the wire fields (name, JSON type, required or
    default, description) and, folded in HTML, the class's JSON Schema.

The directives emit standard nodes only: a ``literal_block`` (language ``json``, classes
``event-json`` and ``event-json-<Class>``), in a captioned container like ``code-block``'s, with
raw HTML ``<details>`` around it when folded; so highlighting, copy buttons and every builder work
as for any code block. (No custom node: Sphinx binds the visitors of custom nodes to every
translator it makes, a reference cycle that left each page's translator to the garbage
collector.) Keys are linked on the finished HTML of each page, field names of the schema table on
each resolved doctree: both run at write time, when every page's objects are known, also in
parallel builds.

Every mistake is a warning of type ``event_json`` (with a subtype: ``class``, ``content``,
``json``, ``expression``, ``field``, ``roundtrip``, ``caption``) located at the directive, or at the
line of the content for JSON and expression syntax, and the directive renders nothing.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes  # type: ignore[import-untyped,unused-ignore]
from docutils.parsers.rst import directives  # type: ignore[import-untyped,unused-ignore]
from sphinx.directives.code import container_wrapper
from sphinx.errors import ConfigError
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import make_refnode

import elastic_events
from sphinxext import event_log
from sphinxext._event_json.content import (
    EVENT_CLASSES,
    ContentError,
    EventClass,
    field_names,
    parse_event,
    public_name,
    resolve_class,
    serialize_checked,
)
from sphinxext._event_json.deps import dependency_files
from sphinxext._event_json.render import (
    indented_json,
    link_top_level_keys,
    pretty_json,
    schema_rows,
)

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config
    from sphinx.util.typing import ExtensionMetadata, OptionSpec

__version__ = elastic_events.__version__

logger = logging.getLogger(__name__)

#: The bounds of ``event_json_indent``.
INDENT_RANGE = range(1, 9)

#: The class of a folded block's container, whose caption HTML shows as the fold's title.
FOLDED = "event-json-folded"
#: The node attribute of a schema table's field name: the dotted path of its attribute.
FIELD_TARGET = "event_json_field"


# --- directives ----------------------------------------------------------------------------


class _EventDirective(SphinxDirective):
    """What both directives share: the class argument, dependencies and located warnings."""

    has_content = True
    required_arguments = 0
    optional_arguments = 1
    final_argument_whitespace = False

    def event_class(self) -> EventClass:
        if not self.arguments:
            msg = (
                f"the {self.name} directive needs the event class as its argument; "
                f"write '{self.name}:: Event' or '{self.name}:: RdzvEvent'"
            )
            raise ContentError(msg, subtype="class")
        return resolve_class(self.arguments[0])

    def note_dependencies(self, *objects: object) -> None:
        """Make the page outdated when the library code that renders it changes."""
        noted = self.env.dependencies.get(self.env.docname, ())
        for obj in objects:
            for path in dependency_files(obj):
                if path not in noted:
                    self.env.note_dependency(path)

    def warn(self, error: ContentError) -> list[nodes.Node]:
        logger.warning(
            "%s: %s",
            self.name,
            error.message,
            location=self.content_location(error.line),
            type="event_json",
            subtype=error.subtype,
        )
        return []

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

    def literal(self, text: str, kind: str) -> nodes.literal_block:
        """A JSON code block; *kind* (a class name, or ``schema``) names what it shows."""
        literal = nodes.literal_block(
            text, text, language="json", classes=["event-json", f"event-json-{kind}"]
        )
        self.set_source_info(literal)
        return literal

    def fold(self, node: nodes.Element, summary: str) -> list[nodes.Node]:
        """*node* folded into ``<details>`` in HTML, titled *summary*; plain elsewhere."""
        node["classes"].append(FOLDED)
        title = html.escape(summary)
        opening = f'<details class="event-json">\n<summary>{title}</summary>\n'
        return [
            nodes.raw("", opening, format="html"),
            node,
            nodes.raw("", "</details>\n", format="html"),
        ]


class EventJsonDirective(_EventDirective):
    """``.. event-json:: Class``: one example event, built, checked and rendered as JSON."""

    option_spec: ClassVar[OptionSpec] = {
        "caption": directives.unchanged_required,
        "compact": directives.flag,
        "collapsed": directives.flag,
        "name": directives.unchanged,
    }

    def run(self) -> list[nodes.Node]:
        try:
            cls = self.event_class()
            self.note_dependencies(cls)
            line = serialize_checked(parse_event("\n".join(self.content), cls))
        except ContentError as error:
            return self.warn(error)
        indent = self.config.event_json_indent
        text = line if "compact" in self.options else pretty_json(line, indent)
        literal: nodes.Element = self.literal(text, cls.__name__)
        summary = f"{cls.__name__} JSON"
        caption = self.options.get("caption")
        if caption:
            try:
                literal = container_wrapper(self, literal, caption)
            except ValueError:
                problem = ContentError(
                    f"invalid caption {caption!r}; a caption is one line of inline text",
                    subtype="caption",
                )
                return self.warn(problem)
            summary = literal[0].astext()
        self.add_name(literal)
        if "collapsed" in self.options:
            return self.fold(literal, summary)
        return [literal]


class EventSchemaDirective(_EventDirective):
    """``.. event-schema:: Class``: the wire fields as a table, and the JSON Schema, folded."""

    has_content = False
    option_spec: ClassVar[OptionSpec] = {}

    def run(self) -> list[nodes.Node]:
        try:
            cls = self.event_class()
        except ContentError as error:
            return self.warn(error)
        self.note_dependencies(cls, elastic_events.json_schema)
        schema = elastic_events.json_schema(cls)
        text = indented_json(schema, self.config.event_json_indent)
        block = self.fold(self.literal(text, "schema"), f"JSON Schema of {cls.__name__}")
        return [self.field_table(cls, schema), *block]

    def field_table(self, cls: EventClass, schema: dict[str, Any]) -> nodes.table:
        widths = (16, 22, 18, 44)
        # JSON types and defaults are code: keep their straight quotes.
        table = nodes.table(classes=["event-schema"], support_smartquotes=False)
        group = nodes.tgroup(cols=len(widths))
        table += group
        group.extend(nodes.colspec(colwidth=width) for width in widths)
        head = nodes.thead()
        head += _row("Field", "JSON type", "Required / default", "Description")
        group += head
        body = nodes.tbody()
        group += body
        for row in schema_rows(schema):
            name = nodes.inline("", "", nodes.literal(row.name, row.name))
            name[FIELD_TARGET] = f"{public_name(cls)}.{row.name}"
            if row.required:
                required = "required"
            elif row.default is not None:
                required = f"default {row.default}"
            else:
                required = "optional"
            body += _row(name, row.json_type, required, row.description)
        self.set_source_info(table)
        return table


def _row(*cells: str | nodes.Node) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        content = nodes.Text(cell) if isinstance(cell, str) else cell
        entry += nodes.paragraph("", "", content)
        row += entry
    return row


# --- write time ----------------------------------------------------------------------------


def _attribute_link(
    app: Sphinx, docname: str, target: str, children: list[nodes.Node]
) -> nodes.reference | None:
    """A reference from page *docname* to the documented attribute *target*, if there is one."""
    entry = app.env.domains.python_domain.objects.get(target)
    if entry is None:
        return None
    link = make_refnode(app.builder, docname, entry.docname, entry.node_id, children, target)
    if "refuri" in link:
        link["refuri"] = _single_anchor(str(link["refuri"]))
    return link


def _single_anchor(uri: str) -> str:
    """Keep the last anchor of a URI: the singlehtml builder makes ``#document-api#anchor``."""
    if uri.count("#") > 1:
        uri = uri[: uri.index("#")] + uri[uri.rindex("#") :]
    return uri


def resolve_fields(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Link the field names of schema tables to the attributes the project documents.

    Runs on each page's resolved doctree at write time (``doctree-resolved``), when every page's
    objects are known, also in parallel builds. An attribute that is not documented gets no link
    and no warning. In HTML, the caption of a folded block moves to the fold's title.
    """
    for inline in list(doctree.findall(nodes.inline)):
        if FIELD_TARGET in inline:
            link = _attribute_link(app, docname, inline[FIELD_TARGET], inline.children)
            inline.replace_self(link if link is not None else inline.children)
    if app.builder.format == "html":
        for container in list(doctree.findall(nodes.container)):
            if FOLDED in container["classes"]:
                container.children = [c for c in container if not isinstance(c, nodes.caption)]


# The highlighted HTML of one event-json block: its <div> opening tag, then its <pre>.
_BLOCK = re.compile(
    r'(<div class="event-json event-json-(\w+)[^"]* highlight-json[^"]*"[^>]*>)(.*?</pre>)',
    re.DOTALL,
)


def link_keys(
    app: Sphinx,
    pagename: str,
    templatename: str,
    context: dict[str, Any],
    doctree: nodes.document | None,
) -> None:
    """Link the top-level keys of each example on an HTML page to their attributes' docs.

    Runs on the finished HTML of the page (``html-page-context``): only the key's ``<span>``
    inside the highlighted ``<pre>`` is wrapped, so the text of the block is unchanged.
    """
    body = context.get("body")
    if not isinstance(body, str) or "event-json-" not in body:
        return
    hrefs: dict[str, dict[str, str]] = {}

    def link(match: re.Match[str]) -> str:
        opening, kind, block = match.groups()
        if kind not in EVENT_CLASSES:
            return match.group(0)
        if kind not in hrefs:
            name = public_name(resolve_class(kind))
            hrefs[kind] = {}
            for field in field_names(resolve_class(kind)):
                reference = _attribute_link(app, pagename, f"{name}.{field}", [])
                if reference is not None:
                    hrefs[kind][field] = _href(reference)
        return opening + link_top_level_keys(block, hrefs[kind])

    context["body"] = _BLOCK.sub(link, body)


def _href(reference: nodes.reference) -> str:
    if "refid" in reference:
        return "#" + str(reference["refid"])
    return str(reference["refuri"])


# --- setup ---------------------------------------------------------------------------------


def _check_config(app: Sphinx, config: Config) -> None:
    indent = config.event_json_indent
    if isinstance(indent, bool) or not isinstance(indent, int) or indent not in INDENT_RANGE:
        msg = (
            f"event_json_indent must be an integer from {INDENT_RANGE.start} to "
            f"{INDENT_RANGE.stop - 1} (spaces per level of the pretty-printed JSON); "
            f"got {indent!r}. Write for instance: event_json_indent = 2"
        )
        raise ConfigError(msg)


def setup(app: Sphinx) -> ExtensionMetadata:
    """Register the directives, their write-time hooks and the ``event_json_*`` config values."""
    app.add_config_value("event_json_indent", 2, "env", types=frozenset({int}))
    app.connect("config-inited", _check_config)
    app.add_directive("event-json", EventJsonDirective)
    app.add_directive("event-schema", EventSchemaDirective)
    event_log.register(app)  # event-log and event-timeline
    app.connect("doctree-resolved", resolve_fields)
    app.connect("html-page-context", link_keys)
    return {
        "version": __version__,
        "env_version": 2,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
