"""Links from a rendered example or schema to the attributes the project documents."""

from __future__ import annotations

from typing import TYPE_CHECKING

from docutils import nodes  # type: ignore[import-untyped,unused-ignore]
from sphinx.util.nodes import make_refnode

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def attribute_link(
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


def href(reference: nodes.reference) -> str:
    """Where *reference* points, as an ``href``."""
    if "refid" in reference:
        return "#" + str(reference["refid"])
    return str(reference["refuri"])


def _single_anchor(uri: str) -> str:
    """Keep the last anchor of a URI: the singlehtml builder makes ``#document-api#anchor``."""
    if uri.count("#") > 1:
        uri = uri[: uri.index("#")] + uri[uri.rindex("#") :]
    return uri
