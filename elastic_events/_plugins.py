"""Destinations from installed distributions: the ``elastic_events.handlers`` entry points.

A distribution declares, in its ``pyproject.toml``::

    [project.entry-points."elastic_events.handlers"]
    acme = "acme_plugin:make"

and ``record(event, destination="acme")`` then works with no registration code: on the first
use of the name, ``acme_plugin.make()`` is called and the :class:`logging.Handler` it returns
becomes the destination's handler, as if given to :func:`~elastic_events.register_handler`.
Nothing is imported before that, not even the list of entry points. A plugin that cannot be
loaded, raises, or returns something other than a handler is reported once, as a warning on
the ``elastic_events`` logger naming the plugin and its entry point, and its destination then
drops events: the caller never gets an exception.
"""

from __future__ import annotations

import logging
import sys
import threading

TYPE_CHECKING = False
if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

#: The entry point group that names handler plugins.
GROUP = "elastic_events.handlers"

_lock = threading.RLock()
# The entry points found, by name, and the sys.path they were found on (found again if it changes).
_found: tuple[tuple[str, ...], dict[str, EntryPoint]] = ((), {})
_diagnostics = logging.getLogger("elastic_events")


def names() -> tuple[str, ...]:
    """Return the names of the plugins installed, without loading any."""
    return tuple(_entry_points())


def load(destination: object) -> logging.Handler | None:
    """Return the handler of the plugin named ``destination``, or ``None`` if there is none.

    The plugin is loaded here, once: the caller registers what this returns. A broken plugin is
    reported and gets a :class:`logging.NullHandler`, so that its events are dropped, not sent
    elsewhere, and it is not loaded again.
    """
    if not isinstance(destination, str):
        return None
    entry_point = _entry_points().get(destination)
    if entry_point is None:
        return None
    where = f"{entry_point.value!r} (entry point {destination!r} of {GROUP!r}{_of(entry_point)})"
    try:
        made = entry_point.load()()
    except Exception as error:
        _diagnostics.warning(
            "the event handler plugin %s failed: %s: %s; events recorded to %r are dropped",
            where,
            type(error).__name__,
            error,
            destination,
        )
        return logging.NullHandler()
    if not isinstance(made, logging.Handler):
        _diagnostics.warning(
            "the event handler plugin %s returned %.200r, not a logging.Handler; events "
            "recorded to %r are dropped",
            where,
            made,
            destination,
        )
        return logging.NullHandler()
    return made


def _entry_points() -> dict[str, EntryPoint]:
    global _found
    with _lock:
        path = tuple(sys.path)
        if _found[0] != path or not path:
            from importlib.metadata import entry_points

            from elastic_events._destinations import _VALID_NAME

            found: dict[str, EntryPoint] = {}
            for entry_point in entry_points(group=GROUP):
                if _VALID_NAME.fullmatch(entry_point.name):  # Others could not be recorded to.
                    found.setdefault(entry_point.name, entry_point)  # The first on sys.path wins.
            _found = (path, found)
        return _found[1]


def _of(entry_point: EntryPoint) -> str:
    dist = getattr(entry_point, "dist", None)
    return f", distribution {dist.name!r}" if dist is not None else ""
