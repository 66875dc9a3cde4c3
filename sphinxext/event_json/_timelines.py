"""``event-timeline``: the events of a log file as the SVG timeline of ``elastic-events``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes  # type: ignore[import-untyped,unused-ignore]
from docutils.parsers.rst import directives  # type: ignore[import-untyped,unused-ignore]
from sphinx.transforms.post_transforms import SphinxPostTransform

from elastic_events import EventLog, Timeline

from ._base import FILTER_OPTIONS, TIME_OPTIONS, LogDirective

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import OptionSpec

#: The node attribute that holds the picture, for HTML builders.
SVG = "event_json_svg"
#: The CSS of the timelines, added to HTML builds.
STATIC = Path(__file__).parent / "static"


class EventTimelineDirective(LogDirective):
    """``.. event-timeline:: path``: the events of a log file as an SVG timeline.

    The directive makes words (the picture's title and its description); HTML builders draw
    the picture in their place (:class:`DrawTimelines`), labelled by the same words.
    """

    option_spec: ClassVar[OptionSpec] = {
        "title": directives.unchanged_required,
        "name": directives.unchanged,
        **FILTER_OPTIONS,
        **TIME_OPTIONS,
    }

    def run(self) -> list[nodes.Node]:
        self.note_dependencies(EventLog, Timeline)
        lines = self.read()
        if lines is None:
            return []
        timeline = Timeline(lines)
        title = self.options.get("title") or f"Events of {Path(self.arguments[0]).name} by node"
        prefix = id_prefix(self.env.docname, self.env.new_serialno("event-timeline"))
        figure = nodes.container(classes=["event-timeline"])
        self.set_source_info(figure)
        figure[SVG] = timeline.svg(title=title, id_prefix=prefix)
        figure += nodes.paragraph("", title, classes=["event-timeline-title"])
        figure.extend(nodes.paragraph("", text) for text in timeline.describe().splitlines())
        self.add_name(figure)
        return [figure]


class DrawTimelines(SphinxPostTransform):
    """In HTML, the picture takes the place of its words (which it carries for screen readers)."""

    default_priority = 400
    formats = ("html",)

    def run(self, **kwargs: Any) -> None:
        for figure in self.document.findall(nodes.container):
            if SVG in figure:
                figure.children = []
                figure += nodes.raw("", figure[SVG], format="html")


_NOT_ID = re.compile(r"[^a-z0-9]+")


def id_prefix(docname: str, number: int) -> str:
    """A prefix for the ``id`` attributes of a page's *number*-th timeline, unique in a site.

    >>> id_prefix("guide/Run 1", 0)
    'event-timeline-guide-run-1-0'
    """
    return f"event-timeline-{_NOT_ID.sub('-', docname.lower()).strip('-')}-{number}"


def _add_static_path(app: Sphinx) -> None:
    if app.builder.format == "html" and str(STATIC) not in app.config.html_static_path:
        # A new list: never append to a default that another application may share.
        app.config.html_static_path = [*app.config.html_static_path, str(STATIC)]


def setup_timelines(app: Sphinx) -> None:
    """Register ``event-timeline``, its drawing in HTML, and its CSS."""
    app.add_directive("event-timeline", EventTimelineDirective)
    app.add_post_transform(DrawTimelines)
    app.add_css_file("event_json.css")
    app.connect("builder-inited", _add_static_path)
