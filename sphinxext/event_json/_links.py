"""Links from a rendered example or schema to the attributes the project documents."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from docutils import nodes  # type: ignore[import-untyped,unused-ignore]
from sphinx.util.nodes import make_refnode

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def attribute_link(
    app: Sphinx, docname: str, classes: list[str], field: str, children: list[nodes.Node]
) -> nodes.reference | None:
    """A reference from page *docname* to the attribute *field* of the first of *classes*
    (dotted paths of one class) that the project documents it under, if any does."""
    objects = python_objects(app)
    for owner in classes:
        target = f"{owner}.{field}"
        entry = objects.get(target)
        if entry is not None:
            break
    else:
        return None
    link = make_refnode(app.builder, docname, entry.docname, entry.node_id, children, target)
    if "refuri" in link:
        link["refuri"] = _single_anchor(str(link["refuri"]))
    return link


def python_objects(app: Sphinx) -> dict[str, Any]:
    """The objects of the Python domain (its ``objects`` dict, on every supported Sphinx)."""
    domain = app.env.get_domain("py")
    objects: dict[str, Any] = getattr(domain, "objects")  # noqa: B009 - PythonDomain's own
    return objects


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
