"""Send events to OpenTelemetry as log records whose attributes carry the event's fields.

Install with the extra: ``python -m pip install 'elastic-events[otel]'`` (the OpenTelemetry API;
add the SDK and an exporter, such as ``opentelemetry-exporter-otlp-proto-http``, to ship the
records to a Collector). This is the only module of the package that imports OpenTelemetry.

Each event becomes one log record: its body is the event's JSON line, its ``event_name`` the
event's name, its time the time it was recorded, and its attributes the event's fields, so a
Collector, and the stores behind it, can filter on them without parsing the body:

- both kinds: ``elastic_events.kind`` (``"Event"`` or ``"RdzvEvent"``), ``elastic_events.name``,
  ``elastic_events.state`` (an agent event's metadata ``state``, a rendezvous event's node
  state) and ``elastic_events.run_id``;
- an :class:`~elastic_events.Event`: ``elastic_events.source``, ``elastic_events.timestamp``,
  and each metadata key as ``elastic_events.metadata.<key>`` (``global_rank``,
  ``group_rank``, ``hostname``, ``raw_error``...);
- an :class:`~elastic_events.RdzvEvent`: each of its fields as ``elastic_events.<field>``
  (``hostname``, ``pid``, ``node_state``, ``rank``, ``local_id``, ``message``...).

Fields that are ``None`` are left out (OpenTelemetry attributes cannot be null). A ``FAILED``
state gives the record severity ``ERROR``; every other event is ``INFO``.

Example:
    .. doctest::
       :skipif: not HAVE_OTEL_SDK

       >>> from opentelemetry.sdk._logs import LoggerProvider
       >>> from opentelemetry.sdk._logs.export import (
       ...     InMemoryLogRecordExporter, SimpleLogRecordProcessor)
       >>> from elastic_events import Event, EventSource, record, register_handler
       >>> from elastic_events.otel import OpenTelemetryHandler
       >>> exporter = InMemoryLogRecordExporter()
       >>> provider = LoggerProvider()
       >>> provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
       >>> _ = register_handler("otel", OpenTelemetryHandler(logger_provider=provider))
       >>> record(Event("torchelastic.worker.status.FAILED", EventSource.WORKER,
       ...              metadata={"run_id": "ft-7f3a", "global_rank": 1, "state": "FAILED"}),
       ...        destination="otel")
       >>> (log,) = exporter.get_finished_logs()
       >>> log.log_record.event_name, log.log_record.severity_text
       ('torchelastic.worker.status.FAILED', 'ERROR')
       >>> dict(log.log_record.attributes)  # doctest: +NORMALIZE_WHITESPACE
       {'elastic_events.kind': 'Event', 'elastic_events.name': 'torchelastic.worker.status.FAILED',
        'elastic_events.state': 'FAILED', 'elastic_events.run_id': 'ft-7f3a',
        'elastic_events.source': 'WORKER', 'elastic_events.timestamp': 0,
        'elastic_events.metadata.run_id': 'ft-7f3a', 'elastic_events.metadata.global_rank': 1,
        'elastic_events.metadata.state': 'FAILED'}
       >>> provider.shutdown()

.. versionadded:: 0.1
"""

from __future__ import annotations

import dataclasses
import logging

from opentelemetry._logs import LogRecord, SeverityNumber, get_logger

from elastic_events import Event, EventLog, RdzvEvent, __version__

TYPE_CHECKING = False
if TYPE_CHECKING:
    from opentelemetry._logs import LoggerProvider

__all__ = ["OpenTelemetryHandler", "attributes_of"]

PREFIX = "elastic_events."


class OpenTelemetryHandler(logging.Handler):
    """A :class:`logging.Handler` that emits each event as an OpenTelemetry log record.

    Register it for a destination with :func:`~elastic_events.register_handler`. It reads the
    event from the record (``record.event``, which :func:`~elastic_events.record` sets), or
    else from the record's message, an event's JSON line, as torch's own module logs it; a
    record that holds no event is emitted with its message as the body and no attributes.

    Args:
        logger_provider: Where the records go; by default OpenTelemetry's global provider.
        level: The handler's level, as for any :class:`logging.Handler`.

    .. versionadded:: 0.1
    """

    def __init__(
        self, logger_provider: LoggerProvider | None = None, level: int = logging.NOTSET
    ) -> None:
        super().__init__(level)
        self._logger = get_logger("elastic_events", __version__, logger_provider=logger_provider)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            event = getattr(record, "event", None)
            if not isinstance(event, (Event, RdzvEvent)):
                event = _parse(message)
            attributes = attributes_of(event) if event is not None else {}
            failed = attributes.get(PREFIX + "state") == "FAILED"
            self._logger.emit(
                LogRecord(
                    timestamp=int(record.created * 1e9),
                    severity_number=SeverityNumber.ERROR if failed else SeverityNumber.INFO,
                    severity_text="ERROR" if failed else "INFO",
                    body=message,
                    attributes=attributes,
                    event_name=event.name if event is not None else None,
                )
            )
        except Exception:
            self.handleError(record)


def attributes_of(event: Event | RdzvEvent) -> dict[str, str | int | float | bool]:
    """Return the OpenTelemetry attributes of ``event``, as :class:`OpenTelemetryHandler` sets.

    .. versionadded:: 0.1
    """
    found: dict[str, str | int | float | bool | None] = {
        PREFIX + "kind": type(event).__name__,
        PREFIX + "name": event.name,
        PREFIX + "state": _state_of(event),
    }
    if isinstance(event, Event):
        found[PREFIX + "run_id"] = _plain(event.metadata.get("run_id"))
        found[PREFIX + "source"] = event.source.name
        found[PREFIX + "timestamp"] = event.timestamp
        for key, value in event.metadata.items():
            found[f"{PREFIX}metadata.{key}"] = _plain(value)
    else:
        for field in dataclasses.fields(event):
            found[PREFIX + field.name] = _plain(getattr(event, field.name))
        found[PREFIX + "run_id"] = event.run_id
    return {key: value for key, value in found.items() if value is not None}


def _state_of(event: Event | RdzvEvent) -> str | None:
    if isinstance(event, RdzvEvent):
        return event.node_state.name
    state = event.metadata.get("state")
    return state if isinstance(state, str) else None


def _plain(value: object) -> str | int | float | bool | None:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return getattr(value, "name", None) or str(value)  # an enum member by its name


def _parse(message: str) -> Event | RdzvEvent | None:
    for line in EventLog([message]):
        return line.event
    return None
