"""``event-json``: one example event, built through its class, checked and shown as JSON."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes  # type: ignore[import-untyped,unused-ignore]
from docutils.parsers.rst import directives  # type: ignore[import-untyped,unused-ignore]
from sphinx.directives.code import container_wrapper

import elastic_events

from ._base import BLOCK_OPTIONS, ClassDirective, registry
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
    }

    def text(self) -> str:
        """The example's text: the directive's content."""
        return "\n".join(self.content)

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


#: The class of an example's block that names the dotted path of its event class.
CLASS_PREFIX = "event-json-class-"
# The highlighted HTML of one event-json block: its <div> opening tag, then its <pre>.
_BLOCK = re.compile(
    r'(<div class="event-json event-json-\w+ event-json-class-([\w.]+)[^"]* highlight-json'
    r'[^"]*"[^>]*>)(.*?</pre>)',
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
        return opening + link_top_level_keys(block, hrefs[path])

    context["body"] = _BLOCK.sub(link, body)


def setup_examples(app: Sphinx) -> None:
    """Register ``event-json`` and the linking of its keys."""
    app.add_directive("event-json", EventJsonDirective)
    app.connect("html-page-context", link_keys)
