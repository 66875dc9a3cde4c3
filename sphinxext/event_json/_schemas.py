"""``event-schema``: the wire fields of an event class as a table, and its JSON Schema."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes  # type: ignore[import-untyped,unused-ignore]

import elastic_events

from ._base import ClassDirective
from ._classes import Codec, UnsupportedType
from ._errors import ContentError
from ._links import attribute_link
from ._render import indented_json, schema_rows

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
            codec = self.event_class()
            schema = codec.schema()
        except ContentError as error:
            return self.warn_content(error)
        except UnsupportedType as error:
            return self.warn(f"{codec.path}: {error}", "class")
        except Exception as error:  # a model's own schema generation failed
            return self.warn(
                f"the JSON Schema of {codec.path} cannot be made: {type(error).__name__}: {error}",
                "class",
            )
        self.note_dependencies(codec.cls, elastic_events.json_schema)
        text = indented_json(schema, self.config.event_json_indent)
        block = self.fold(self.literal(text, "schema"), f"JSON Schema of {codec.name}")
        return [self.field_table(codec, inline_refs(schema)), block]

    def field_table(self, codec: Codec, schema: dict[str, Any]) -> nodes.table:
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
            name[FIELD_TARGET] = [*codec.targets, row.name]
            if row.required:
                required = "required"
            elif row.default is not None:
                required = f"default {row.default}"
            else:
                required = "optional"
            body += _row(name, row.json_type, required, row.description)
        self.set_source_info(table)
        return table


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """*schema* with each property's local ``$ref`` (as pydantic writes enums) replaced by its
    definition, for the table; the shown schema keeps them."""
    definitions = schema.get("$defs", {})

    def resolve(prop: Any, depth: int = 0) -> Any:
        if isinstance(prop, dict):
            ref = prop.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/") and depth < 8:
                found = definitions.get(ref.removeprefix("#/$defs/"), {})
                merged = {**found, **{k: v for k, v in prop.items() if k != "$ref"}}
                return resolve(merged, depth + 1)
            return {k: resolve(v, depth + 1) for k, v in prop.items()}
        if isinstance(prop, list):
            return [resolve(v, depth + 1) for v in prop]
        return prop

    if not definitions:
        return schema
    return {**schema, "properties": resolve(schema.get("properties", {}))}


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
            *classes, field = inline[FIELD_TARGET]
            link = attribute_link(app, docname, classes, field, inline.children)
            inline.replace_self(link if link is not None else inline.children)


def setup_schemas(app: Sphinx) -> None:
    """Register ``event-schema`` and the linking of its field names."""
    app.add_directive("event-schema", EventSchemaDirective)
    app.connect("doctree-resolved", link_fields)
