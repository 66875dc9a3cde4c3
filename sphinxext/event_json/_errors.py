"""The one exception of the extension's checks: a mistake, said in words, with where it is."""

from __future__ import annotations


class ContentError(Exception):
    """A mistake in a directive.

    Attributes:
        message: What is wrong and what would be right.
        subtype: A short word for ``suppress_warnings`` (``event_json.<subtype>``).
        line: The 0-based line inside the directive's content where the mistake is, or ``None`` when
            it is the directive as a whole.
    """

    def __init__(self, message: str, *, subtype: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.subtype = subtype
        self.line = line
