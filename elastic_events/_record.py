"""Recording: the functions that user code and torchelastic call to log an event."""

from __future__ import annotations

import functools
import logging
import os
import sys
import traceback

import elastic_events as _public  # Look up public names at call time, so mock.patch works.
from elastic_events import _destinations
from elastic_events._destinations import Sink, sinks
from elastic_events._errors import UnknownDestinationError
from elastic_events._model import Event, NodeState, RdzvEvent

_unknown_reported: set[str] = set()


def record(event: Event | RdzvEvent, destination: str = "null") -> None:
    """Record ``event`` to ``destination``: hand its JSON line to the destination's handler.

    Nothing is serialized when the destination drops events (``"null"``, the default), so
    recording there costs next to nothing. A failure never reaches the caller, because a training
    job must not die for a log line: a handler that raises (or whose level is not a number)
    reports it through its :meth:`~logging.Handler.handleError`, and the other handlers still get
    the event. An event changed after construction into one that ``deserialize()`` would
    reject is dropped and the error, which names the field, reported the same way: no line that
    the event's reader rejects is ever written. An unknown destination is reported once as an
    error on the ``elastic_events`` logger, and its events go to ``"console"`` so that none is
    lost.

    Events are logged at ``INFO`` on the destination's logger, ``torchelastic-events-<name>``,
    whose level comes from the ``LOGLEVEL`` environment variable when it is created, as in
    PyTorch, but read in any case (``debug`` works). An invalid value is reported and ``INFO``
    used instead; a level above ``INFO`` drops the destination's events, as in PyTorch, but
    says so once, as a warning on the ``elastic_events`` logger.

    Args:
        event: The event to record.
        destination: The name of a destination: a built-in one or one added with
            :func:`~elastic_events.register_handler`.

    Example:
        >>> from elastic_events import Event, EventSource, record
        >>> record(Event("torchelastic.worker.status.START", EventSource.WORKER))
    """
    try:
        sink = sinks[destination]
    except Exception:  # Not opened yet, unknown, unhashable, or a str whose __hash__ raises.
        sink = _open_or_fall_back(destination)
    if not sink.silent:
        sink.emit(event)  # Never raises.


def _open_or_fall_back(destination: object) -> Sink:
    try:
        return _destinations.open_sink(destination)  # type: ignore[arg-type]
    except Exception as error:
        shown = _shown(destination)
        if shown not in _unknown_reported:
            _unknown_reported.add(shown)
            if not isinstance(error, KeyError):  # Something else broke: say what.
                error = UnknownDestinationError(f"cannot record to {shown}: {error!r}")
            logging.getLogger("elastic_events").error("%s; its events go to 'console'", error)
        return _destinations.open_sink("console")


def _shown(value: object) -> str:
    """repr() of a caller's object, or a stand-in when it raises or is too long to read."""
    try:
        shown = repr(value)
    except Exception:
        return f"<{type(value).__qualname__} object whose repr() raised>"
    return shown if len(shown) <= 200 else shown[:197] + "..."


def record_rdzv_event(event: RdzvEvent) -> None:
    """Record a rendezvous event to the ``"dynamic_rendezvous"`` destination.

    Example:
        >>> from elastic_events import NodeState, RdzvEvent, record_rdzv_event
        >>> record_rdzv_event(RdzvEvent("rdzv.py:join", "job-1", "joined", "node-0", 42,
        ...                             NodeState.RUNNING))
    """
    record(event, "dynamic_rendezvous")


def construct_and_record_rdzv_event(
    run_id: str,
    message: str,
    node_state: NodeState,
    name: str = "",
    hostname: str = "",
    pid: int | None = None,
    master_endpoint: str = "",
    local_id: int | None = None,
    rank: int | None = None,
) -> None:
    """Build a rendezvous event from what the caller knows, and record it.

    Nothing is built while the ``"dynamic_rendezvous"`` destination drops events (it does unless
    a handler is registered for it). Otherwise the event's name is
    ``"<caller's file name>:<name>"``, ``name`` defaulting to the calling function's name;
    ``hostname`` defaults to this host's fully qualified name, ``pid`` to this process's, and
    when ``node_state`` is ``FAILED``, ``error_trace`` is the traceback of the exception being
    handled (empty where there is none; PyTorch writes ``"NoneType: None"``). Arguments the
    event cannot carry are reported through the destination's handler, never raised.

    Args:
        run_id: The identifier of the rendezvous.
        message: What happened, in words.
        node_state: The state of the node.
        name: The action being performed; by default, the calling function's name.
        hostname: The host name of the node; by default, :func:`socket.getfqdn`.
        pid: The process identifier; by default (or when 0), :func:`os.getpid`.
        master_endpoint: The endpoint of the rendezvous store, if known.
        local_id: The identifier of the node among the nodes of its host.
        rank: The rank of the node, if known.

    Example:
        >>> import io, logging
        >>> from elastic_events import NodeState, construct_and_record_rdzv_event
        >>> from elastic_events import register_handler
        >>> stream = io.StringIO()
        >>> _ = register_handler("dynamic_rendezvous", logging.StreamHandler(stream))
        >>> def join():
        ...     construct_and_record_rdzv_event("job-1", "joined", NodeState.RUNNING,
        ...                                     hostname="node-0", pid=42)
        >>> join()
        >>> print(stream.getvalue().strip())  # doctest: +ELLIPSIS
        {"name": "...:join", "run_id": "job-1", "message": "joined", "hostname": "node-0", ...}
    """
    if isinstance(_public.get_logging_handler("dynamic_rendezvous"), logging.NullHandler):
        return
    caller = sys._getframe(1).f_code
    try:
        event = RdzvEvent(
            name=f"{os.path.basename(caller.co_filename)}:{name or caller.co_name}",
            run_id=run_id,
            message=message,
            hostname=hostname or _fqdn(),
            pid=pid or os.getpid(),
            node_state=node_state,
            master_endpoint=master_endpoint,
            rank=rank,
            local_id=local_id,
            error_trace=_current_traceback() if node_state == NodeState.FAILED else "",
        )
    except Exception:
        _destinations.open_sink("dynamic_rendezvous").report_error(
            f"construct_and_record_rdzv_event(run_id={_shown(run_id)}, "
            f"message={_shown(message)}, ...)"
        )
        return
    _public.record_rdzv_event(event)


@functools.cache
def _fqdn() -> str:
    # getfqdn() may ask DNS; the answer does not change while the job runs. socket is imported
    # here, when first needed, to keep it out of the import of elastic_events.
    import socket

    return socket.getfqdn()


def _current_traceback() -> str:
    error = sys.exc_info()[1]
    return "".join(traceback.format_exception(error)) if error is not None else ""


def _get_or_create_logger(destination: str = "null") -> logging.Logger:
    """PyTorch's private helper, kept so that tests written against it still pass."""
    return _destinations.logger_for(destination)
