"""``event-json``: one example event, built through its class, checked and shown as JSON."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes  # type: ignore[import-untyped,unused-ignore]
from docutils.parsers.rst import directives  # type: ignore[import-untyped,unused-ignore]
from sphinx.directives.code import container_wrapper

from sphinxext.event_json._base import BLOCK_OPTIONS, ClassDirective
from sphinxext.event_json._content import (
    EVENT_CLASSES,
    ContentError,
    field_names,
    parse_event,
    public_name,
    resolve_class,
    serialize_checked,
)
from sphinxext.event_json._links import attribute_link, href
from sphinxext.event_json._render import link_top_level_keys, pretty_json

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import OptionSpec


class EventJsonDirective(ClassDirective):
    """``.. event-json:: Class``: one example event, built, checked and rendered as JSON."""

    option_spec: ClassVar[OptionSpec] = {
        **BLOCK_OPTIONS,
        "compact": directives.flag,
        "collapsed": directives.flag,
    }

    def run(self) -> list[nodes.Node]:
        try:
            cls = self.event_class()
            self.note_dependencies(cls)
            line = serialize_checked(parse_event("\n".join(self.content), cls))
        except ContentError as error:
            return self.warn_content(error)
        indent = self.config.event_json_indent
        text = line if "compact" in self.options else pretty_json(line, indent)
        block: nodes.Element = self.literal(text, cls.__name__)
        summary = f"{cls.__name__} JSON"
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

    Runs on the finished HTML of the page (``html-page-context``), because the keys to link
    are tokens of the highlighted code, which the HTML translator makes after every transform.
    Only the key's ``<span>`` inside the ``<pre>`` is wrapped, so the text of the block (what a
    copy button copies) is unchanged.
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
            cls = resolve_class(kind)
            hrefs[kind] = {}
            for field in field_names(cls):
                reference = attribute_link(app, pagename, f"{public_name(cls)}.{field}", [])
                if reference is not None:
                    hrefs[kind][field] = href(reference)
        return opening + link_top_level_keys(block, hrefs[kind])

    context["body"] = _BLOCK.sub(link, body)


def setup_examples(app: Sphinx) -> None:
    """Register ``event-json`` and the linking of its keys."""
    app.add_directive("event-json", EventJsonDirective)
    app.connect("html-page-context", link_keys)
