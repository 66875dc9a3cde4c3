"""The exceptions of elastic_events, all in one place."""

from __future__ import annotations


class InvalidEventError(ValueError):
    """An event, or the JSON of one, breaks the wire format.

    Raised by the event constructors, by ``serialize()``, by ``deserialize()`` and by
    :func:`~elastic_events.parse_json`. The message says what was wrong, where (the field, the
    metadata key, or the position in the JSON text) and what is allowed; the attributes carry
    the same facts as data, so that no caller needs to read the message.

    Attributes:
        reason: What is wrong, in words, without saying where.
        path: Where inside the event or document: field names and metadata keys (strings) and
            array indexes (integers), from the top; ``()`` for the whole of it.
        value: The offending value, or ``None`` where there is none to show (text that is not
            JSON).
        line: For text that is not JSON, the line where it breaks (from 1); else ``None``.
        column: For text that is not JSON, the column where it breaks (from 1); else ``None``.

    Example:
        >>> from elastic_events import Event, InvalidEventError
        >>> try:
        ...     Event("started", "AGENT", metadata={"rank": [0]})
        ... except InvalidEventError as error:
        ...     print(error.path, error.value)
        ('metadata', 'rank') [0]

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        path: tuple[str | int, ...] = (),
        value: object = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = message if reason is None else reason
        self.path = path
        self.value = value
        self.line = line
        self.column = column


class UnknownDestinationError(KeyError):
    """A destination name that has no handler registered.

    A subclass of :class:`KeyError`, which is what PyTorch raises, so existing ``except KeyError``
    clauses keep working; unlike PyTorch's, the message names the destination and lists the known
    ones.

    .. versionadded:: 0.1
    """

    def __str__(self) -> str:
        # KeyError quotes its argument with repr(); a sentence reads better as it is.
        return str(self.args[0]) if self.args else ""


class UnsupportedTorchError(RuntimeError):
    """The installed PyTorch records its events in a way :mod:`elastic_events.torch` does not know.

    Raised by :func:`elastic_events.torch.install`. The arguments are the message, the installed
    torch version and the supported ``major.minor`` versions; the last two are also the
    ``version`` and ``supported`` attributes.

    .. versionadded:: 0.1
    """

    def __init__(self, message: str, version: str, supported: tuple[str, ...]) -> None:
        super().__init__(message, version, supported)
        self.version = version
        self.supported = supported

    def __str__(self) -> str:
        return str(self.args[0])
