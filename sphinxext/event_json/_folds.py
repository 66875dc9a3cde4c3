"""Folded blocks: a ``<details>`` element in HTML, the block as it is in every other builder."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from docutils import nodes  # type: ignore[import-untyped,unused-ignore]
from sphinx.transforms.post_transforms import SphinxPostTransform

from ._base import FOLDED, SUMMARY

if TYPE_CHECKING:
    from sphinx.application import Sphinx


class FoldBlocks(SphinxPostTransform):
    """Put each block marked by :meth:`EventDirective.fold` into ``<details>``, in HTML only.

    The title of the fold is the block's caption (or the directive's words), escaped; a
    captioned block loses its caption, which the title shows.
    """

    default_priority = 400
    formats = ("html",)

    def run(self, **kwargs: Any) -> None:
        for node in list(self.document.findall(nodes.Element)):
            if FOLDED not in node["classes"] or node.parent is None:
                continue
            title = html.escape(str(node.get(SUMMARY, "")))
            if isinstance(node, nodes.container):
                node.children = [c for c in node.children if not isinstance(c, nodes.caption)]
            opening = f'<details class="event-json">\n<summary>{title}</summary>\n'
            parent, index = node.parent, node.parent.index(node)
            parent.insert(index + 1, nodes.raw("", "</details>\n", format="html"))
            parent.insert(index, nodes.raw("", opening, format="html"))


def setup_folds(app: Sphinx) -> None:
    """Register the folding of blocks in HTML."""
    app.add_post_transform(FoldBlocks)
