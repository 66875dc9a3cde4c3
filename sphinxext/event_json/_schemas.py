"""``event-schema``: the wire fields of an event class as a table, and its JSON Schema."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes  # type: ignore[import-untyped,unused-ignore]

import elastic_events
from sphinxext.event_json._base import ClassDirective
from sphinxext.event_json._content import ContentError, EventClass, public_name
from sphinxext.event_json._links import attribute_link
from sphinxext.event_json._render import indented_json, schema_rows

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import OptionSpec

#: The node attribute of a schema table's field name: the dotted path of its attribute.
FIELD_TARGET = "event_json_field"


class EventSchemaDirective(ClassDirective):
    """``.. event-schema:: Class``: the wire fields as a table, and the JSON Schema, folded."""

    has_content = False
    option_spec: ClassVar[OptionSpec] = {}

    def run(self) -> list[nodes.Node]:
        try:
            cls = self.event_class()
        except ContentError as error:
            return self.warn_content(error)
        self.note_dependencies(cls, elastic_events.json_schema)
        schema = elastic_events.json_schema(cls)
        text = indented_json(schema, self.config.event_json_indent)
        block = self.fold(self.literal(text, "schema"), f"JSON Schema of {cls.__name__}")
        return [self.field_table(cls, schema), block]

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


def link_fields(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Link the field names of schema tables to the attributes the project documents.

    Runs on each page's resolved doctree at write time (``doctree-resolved``), when every page's
    objects are known, also in parallel builds. An attribute that is not documented gets no link
    and no warning.
    """
    for inline in list(doctree.findall(nodes.inline)):
        if FIELD_TARGET in inline:
            link = attribute_link(app, docname, inline[FIELD_TARGET], inline.children)
            inline.replace_self(link if link is not None else inline.children)


def setup_schemas(app: Sphinx) -> None:
    """Register ``event-schema`` and the linking of its field names."""
    app.add_directive("event-schema", EventSchemaDirective)
    app.connect("doctree-resolved", link_fields)
