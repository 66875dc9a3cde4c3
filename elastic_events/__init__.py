"""Record, read and check the structured events of elastic distributed training.

A standalone, standard-library-only implementation of PyTorch's
``torch.distributed.elastic.events``: the same classes and functions, the same JSON on the wire.

Example:
    >>> import elastic_events as events
    >>> event = events.Event("torchelastic.worker.status.SUCCEEDED", events.EventSource.WORKER,
    ...                      metadata={"run_id": "ft-7f3a", "global_rank": 1})
    >>> events.record(event)  # to "null": nothing is written, next to nothing is spent
    >>> print(event.serialize())  # doctest: +NORMALIZE_WHITESPACE
    {"name": "torchelastic.worker.status.SUCCEEDED", "source": "WORKER", "timestamp": 0,
     "metadata": {"run_id": "ft-7f3a", "global_rank": 1}}
"""

__version__ = "0.1.0"

from elastic_events import _logs, _model, _views, _wire
from elastic_events._destinations import (
    destinations,
    get_logging_handler,
    register_handler,
    unregister_handler,
)
from elastic_events._errors import InvalidEventError, UnknownDestinationError
from elastic_events._file_handler import EventFileHandler
from elastic_events._logs import EventLog, LogLine
from elastic_events._model import Event, EventSource, NodeState, RdzvEvent
from elastic_events._record import _get_or_create_logger as _get_or_create_logger  # PyTorch's tests
from elastic_events._record import construct_and_record_rdzv_event, record, record_rdzv_event
from elastic_events._timeline import Timeline
from elastic_events._times import format_time, parse_zone, prefix_time
from elastic_events._views import (
    EventFilter,
    Node,
    event_node,
    event_state,
    event_traceback,
    is_failure,
    table_row,
    visible_text,
)
from elastic_events._wire import json_schema, parse_json

EventMetadataValue = _model.EventMetadataValue
"""A value of :attr:`Event.metadata <elastic_events.Event.metadata>`, a JSON scalar.

Floats must be finite, since NaN and the infinities have no representation in JSON (RFC 8259).
Lists, dicts and other objects are rejected; encode them to a string first, as torchelastic does
with its nested ``metadata["metadata"]``.
"""

# Constants, documented here, where autodoc reads the docstrings of the public names.

FAILURE_STATES = _views.FAILURE_STATES
"""The states that are a failure, for :func:`is_failure`.

``FAILED``, of a rendezvous node or of an agent or worker, and ``UNHEALTHY``, as torchelastic's
``WorkerState`` names a worker group whose health check failed. A worker that its agent stopped
because another one failed records ``TERMINATED``, which is not a failure of its own.
"""

TABLE_COLUMNS = _views.TABLE_COLUMNS
"""The columns of a table of events (:func:`table_row`), by key, with their headings.

``LINE``, ``TIME`` (the line's time; empty when it has none), ``SOURCE/STATE``, ``NAME``, ``NODE``
(host and node rank) and ``DETAILS``.
"""

MAX_DEPTH = _wire.MAX_DEPTH
"""The deepest nesting of arrays and objects that :func:`parse_json` reads: 100.

An event is two levels deep (its metadata is a flat object); the limit leaves room for other
documents and stays far below Python's recursion limit, so that no reader, and no report of
an error, recurses without bound.
"""

MAX_LENGTH = _wire.MAX_LENGTH
"""The longest JSON text that :func:`parse_json` reads, in characters: 16 MiB."""

MAX_LINE = _logs.MAX_LINE
"""The longest line that :class:`EventLog` reads, in bytes: 16 MiB, as :data:`MAX_LENGTH`.

A longer line is one bad line, skipped to its end without being held, so that memory stays
bounded by it; ``max_line=`` of :class:`EventLog` and ``--max-line`` of ``elastic-events``
change it.
"""

__all__ = [
    "FAILURE_STATES",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_LINE",
    "TABLE_COLUMNS",
    "Event",
    "EventFileHandler",
    "EventFilter",
    "EventLog",
    "EventMetadataValue",
    "EventSource",
    "InvalidEventError",
    "LogLine",
    "Node",
    "NodeState",
    "RdzvEvent",
    "Timeline",
    "UnknownDestinationError",
    "construct_and_record_rdzv_event",
    "destinations",
    "event_node",
    "event_state",
    "event_traceback",
    "format_time",
    "get_logging_handler",
    "is_failure",
    "json_schema",
    "parse_json",
    "parse_zone",
    "prefix_time",
    "record",
    "record_rdzv_event",
    "register_handler",
    "table_row",
    "unregister_handler",
    "visible_text",
]

# Everything public is documented, pickled and shown under the path users import it from.
for _name in __all__:
    _object = globals()[_name]
    if hasattr(_object, "__module__") and not isinstance(_object, type(EventMetadataValue)):
        _object.__module__ = __name__
del _name, _object
