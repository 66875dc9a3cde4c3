"""The exceptions of elastic_events, all in one place."""

from __future__ import annotations


class InvalidEventError(ValueError):
    """An event, or the JSON of one, breaks the wire format.

    Raised by the event constructors, by ``serialize()`` and by ``deserialize()``. The message says
    what was wrong, where (the field, the metadata key, or the position in the JSON text) and what
    is allowed.

    .. versionadded:: 0.1
    """


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
