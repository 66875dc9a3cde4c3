"""Make PyTorch's elastic agent, launcher and rendezvous record through ``elastic_events``.

torchelastic records its events with ``torch.distributed.elastic.events``, which each recording
module imported by name. :func:`install` points those names at ``elastic_events``, so a real
job's agent, worker and rendezvous events reach the destinations, handlers and plugins of this
package; :func:`uninstall` puts back the very objects torch had. This is the only module of the
package that imports torch: ``import elastic_events`` never does.

The names were found by running torchrun jobs (a clean one, a failing worker, a restart, the
file-timer watchdog on) under a profiler that noted every global an executed function of torch
read and that was bound to an object of ``torch.distributed.elastic.events``; see
``HOOKS`` for the list, each with the line of torch 2.13 that reads it. A test repeats that
run and fails if torch reads one that is not patched.

Example:
    .. doctest::
       :skipif: not HAVE_TORCH

       >>> import elastic_events
       >>> from elastic_events import torch as bridge
       >>> from torch.distributed.elastic.agent.server import api as agent_api
       >>> with bridge.installed():
       ...     agent_api.record is elastic_events.record
       True
       >>> agent_api.record is elastic_events.record
       False

.. versionadded:: 0.1
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import sys
import threading
import warnings

import elastic_events
from elastic_events._errors import UnsupportedTorchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import ModuleType

__all__ = [
    "HOOKS",
    "SUPPORTED_TORCH_VERSIONS",
    "UnsupportedTorchError",
    "install",
    "installed",
    "is_installed",
    "torch_version",
    "uninstall",
]

#: The ``major.minor`` versions of torch whose recording hooks this module knows.
SUPPORTED_TORCH_VERSIONS = ("2.13",)

_EVENTS = "torch.distributed.elastic.events"

#: The names that :func:`install` patches, as triples of a torch module, a global name of it and
#: the ``elastic_events`` name it gets there (``""`` for the package itself). The comments in
#: the source cite the lines of torch 2.13 that read each one.
HOOKS: tuple[tuple[str, str, str], ...] = (
    # elastic/agent/server/api.py:26 imports Event, EventSource and record by name; the agent
    # records worker START (:720-723), worker end states (:783-795), RENDEZVOUS and
    # ASSIGN_WORKER_RANKS (record_duration, :813-818) and builds every event in
    # _construct_event (:864).
    ("torch.distributed.elastic.agent.server.api", "Event", "Event"),
    ("torch.distributed.elastic.agent.server.api", "EventSource", "EventSource"),
    ("torch.distributed.elastic.agent.server.api", "record", "record"),
    # elastic/agent/server/local_elastic_agent.py:24 imports the module; _log_watchdog_event
    # reads events.Event, events.EventSource and events.record (:384-387).
    ("torch.distributed.elastic.agent.server.local_elastic_agent", "events", ""),
    # launcher/api.py:19 imports the module; launch_agent records the agent's SUCCEEDED (:376)
    # and FAILED (:396, :399) with events.record.
    ("torch.distributed.launcher.api", "events", ""),
    # elastic/rendezvous/dynamic_rendezvous.py:25; every rendezvous event goes through
    # construct_and_record_rdzv_event (:399, :627, :1115, :1453), with NodeState members.
    (
        "torch.distributed.elastic.rendezvous.dynamic_rendezvous",
        "construct_and_record_rdzv_event",
        "construct_and_record_rdzv_event",
    ),
    ("torch.distributed.elastic.rendezvous.dynamic_rendezvous", "NodeState", "NodeState"),
    # elastic/rendezvous/c10d_rendezvous_backend.py:17; the store's INIT event (:166) and
    # create_backend's FAILED one (:263).
    (
        "torch.distributed.elastic.rendezvous.c10d_rendezvous_backend",
        "construct_and_record_rdzv_event",
        "construct_and_record_rdzv_event",
    ),
    ("torch.distributed.elastic.rendezvous.c10d_rendezvous_backend", "NodeState", "NodeState"),
)

with warnings.catch_warnings():
    # torch's CPU build warns at import when NumPy is missing; the bridge never needs NumPy.
    warnings.filterwarnings("ignore", message="Failed to initialize NumPy", category=UserWarning)
    try:
        import torch
    except ModuleNotFoundError as error:
        if error.name != "torch":
            raise
        supported = ", ".join(SUPPORTED_TORCH_VERSIONS)
        raise ModuleNotFoundError(
            f"elastic_events.torch needs PyTorch, which is not installed; it supports torch "
            f"{supported} (python -m pip install 'torch=={SUPPORTED_TORCH_VERSIONS[-1]}.*')",
            name="torch",
        ) from None

UnsupportedTorchError.__module__ = __name__  # documented, and raised, as this module's

_lock = threading.RLock()
# While installed: each patched (module, name) and the object torch had there.
_originals: dict[tuple[str, str], object] = {}
# Destinations carried over from torch's handlers: name -> (our previous handler or None, torch's).
_carried: dict[str, tuple[logging.Handler | None, logging.Handler]] = {}


def torch_version() -> str:
    """Return the ``major.minor`` version of the installed torch, such as ``"2.13"``.

    .. versionadded:: 0.1
    """
    release = str(torch.__version__).partition("+")[0]
    return ".".join(release.split(".")[:2])


def install() -> None:
    """Make torch's agent, launcher and rendezvous record their events through ``elastic_events``.

    Every name of :data:`HOOKS` is pointed at its ``elastic_events`` counterpart, so events go
    to the destinations of this package: its handlers, :class:`~elastic_events.EventFileHandler`
    and plugins. A destination registered in torch's own
    ``torch.distributed.elastic.events.handlers`` before the call is carried over (registered
    here with the same handler object), so ``torchrun --event-log-handler NAME`` keeps finding
    it; one registered there later is not seen. A second call changes nothing.

    Raises:
        UnsupportedTorchError: The installed torch is not one of
            :data:`SUPPORTED_TORCH_VERSIONS`, or one of its recording modules does not hold the
            object this module expects; nothing is patched.

    .. versionadded:: 0.1
    """
    with _lock:
        if _originals:
            return
        modules = _recording_modules()
        _carry_over_torch_destinations(modules[_EVENTS])
        for module_name, attribute, ours in HOOKS:
            module = modules[module_name]
            _originals[(module_name, attribute)] = getattr(module, attribute)
            setattr(module, attribute, getattr(elastic_events, ours) if ours else elastic_events)


def uninstall() -> None:
    """Undo :func:`install`: give torch back the very objects it had.

    Each patched name gets the object it held before :func:`install` (the same object, not an
    equal one), and destinations carried over from torch are removed again (or get back the
    handler they had here) unless they were changed since. Without a previous :func:`install`,
    nothing happens.

    .. versionadded:: 0.1
    """
    with _lock:
        for (module_name, attribute), original in _originals.items():
            setattr(sys.modules[module_name], attribute, original)
        _originals.clear()
        for name, (previous, carried) in _carried.items():
            if name not in elastic_events.destinations():
                continue
            if elastic_events.get_logging_handler(name) is not carried:
                continue  # Changed since install(): the user's choice stands.
            if previous is None:
                elastic_events.unregister_handler(name)
            else:
                elastic_events.register_handler(name, previous)
        _carried.clear()


def is_installed() -> bool:
    """Return whether :func:`install` is in effect.

    .. versionadded:: 0.1
    """
    return bool(_originals)


@contextlib.contextmanager
def installed() -> Iterator[None]:
    """Install the bridge for the ``with`` block; uninstall it after, unless it was already in.

    .. versionadded:: 0.1
    """
    already = is_installed()
    install()
    try:
        yield
    finally:
        if not already:
            uninstall()


def _recording_modules() -> dict[str, ModuleType]:
    version = torch_version()
    if version not in SUPPORTED_TORCH_VERSIONS:
        raise UnsupportedTorchError(
            f"elastic_events.torch does not know the recording hooks of torch {torch.__version__}; "
            f"it supports torch {', '.join(SUPPORTED_TORCH_VERSIONS)}",
            str(torch.__version__),
            SUPPORTED_TORCH_VERSIONS,
        )
    names = {_EVENTS, *(module for module, _, _ in HOOKS)}
    modules = {name: importlib.import_module(name) for name in sorted(names)}
    events = modules[_EVENTS]
    for module_name, attribute, ours in HOOKS:
        expected = getattr(events, ours) if ours else events
        if getattr(modules[module_name], attribute, None) is not expected:
            raise UnsupportedTorchError(
                f"{module_name}.{attribute} is not {_EVENTS}{'.' + ours if ours else ''} in "
                f"torch {torch.__version__}: it has been patched by something else, or this "
                f"torch records differently from the versions supported "
                f"({', '.join(SUPPORTED_TORCH_VERSIONS)})",
                str(torch.__version__),
                SUPPORTED_TORCH_VERSIONS,
            )
    return modules


def _carry_over_torch_destinations(events: ModuleType) -> None:
    """Register here the handlers that torch's ``handlers._log_handlers`` holds by choice.

    torch 2.13 keeps its destinations in the private dict ``_log_handlers``
    (elastic/events/handlers.py:12-16), which users fill in by hand. Its three defaults are not
    carried over: ``null`` and ``dynamic_rendezvous`` drop events here too, and ``console`` here
    writes to the current ``sys.stderr``.
    """
    torch_handlers: dict[str, logging.Handler] = dict(events.handlers._log_handlers)
    known = set(elastic_events.destinations())
    for name, handler in torch_handlers.items():
        if name in known and _is_torch_default(name, handler):
            continue
        if name in known and elastic_events.get_logging_handler(name) is handler:
            continue
        try:
            previous = elastic_events.register_handler(name, handler)
        except (TypeError, ValueError) as error:
            warnings.warn(
                f"torch's event destination {name!r} is not carried over: {error}",
                RuntimeWarning,
                stacklevel=3,
            )
            continue
        _carried[name] = (previous, handler)


def _is_torch_default(name: str, handler: logging.Handler) -> bool:
    if name in ("null", "dynamic_rendezvous"):
        return type(handler) is logging.NullHandler
    if name == "console":
        stream = getattr(handler, "stream", None)
        at_stderr = (
            stream in (sys.stderr, sys.__stderr__) or getattr(stream, "name", "") == "<stderr>"
        )
        return type(handler) is logging.StreamHandler and at_stderr
    return False
