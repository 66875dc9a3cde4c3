"""OpenTelemetry: events as log records, read back from the SDK's in-memory exporter."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from elastic_events import Event, EventSource, NodeState, RdzvEvent, record, register_handler

pytest.importorskip("opentelemetry.sdk", reason="opentelemetry-sdk is not installed")

from opentelemetry._logs import SeverityNumber
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import (
    InMemoryLogRecordExporter,
    SimpleLogRecordProcessor,
)

from elastic_events.otel import OpenTelemetryHandler


@pytest.fixture
def exporter() -> Iterator[InMemoryLogRecordExporter]:
    exporter = InMemoryLogRecordExporter()
    provider = LoggerProvider()
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    handler = OpenTelemetryHandler(logger_provider=provider)
    register_handler("otel", handler)
    register_handler("dynamic_rendezvous", handler)
    yield exporter
    provider.shutdown()


WORKER_FAILED = Event(
    "torchelastic.worker.status.FAILED",
    EventSource.WORKER,
    metadata={
        "run_id": "ft-7f3a",
        "global_rank": 1,
        "group_rank": 0,
        "worker_id": "4242",
        "hostname": "node-0",
        "state": "FAILED",
        "raw_error": None,
        "duration_ms": 12.5,
        "agent_restarts": 0,
    },
)


def test_an_event_becomes_a_log_record_with_its_fields(
    exporter: InMemoryLogRecordExporter,
) -> None:
    record(WORKER_FAILED, destination="otel")
    (log,) = exporter.get_finished_logs()
    assert log.log_record.body == WORKER_FAILED.serialize()
    assert log.log_record.event_name == "torchelastic.worker.status.FAILED"
    assert log.log_record.severity_number == SeverityNumber.ERROR
    assert dict(log.log_record.attributes or {}) == {
        "elastic_events.kind": "Event",
        "elastic_events.name": "torchelastic.worker.status.FAILED",
        "elastic_events.state": "FAILED",
        "elastic_events.run_id": "ft-7f3a",
        "elastic_events.source": "WORKER",
        "elastic_events.timestamp": 0,
        "elastic_events.metadata.run_id": "ft-7f3a",
        "elastic_events.metadata.global_rank": 1,
        "elastic_events.metadata.group_rank": 0,
        "elastic_events.metadata.worker_id": "4242",
        "elastic_events.metadata.hostname": "node-0",
        "elastic_events.metadata.state": "FAILED",
        "elastic_events.metadata.duration_ms": 12.5,
        "elastic_events.metadata.agent_restarts": 0,
    }
    assert log.instrumentation_scope is not None
    assert log.instrumentation_scope.name == "elastic_events"


def test_a_rendezvous_event_carries_its_node(exporter: InMemoryLogRecordExporter) -> None:
    event = RdzvEvent(
        "dynamic_rendezvous.py:DynamicRendezvousHandler.next_rendezvous",
        "ft-7f3a",
        "The node 'node-0_42_0' has joined round 0 of the rendezvous 'ft-7f3a' as rank 0.",
        "node-0",
        42,
        NodeState.RUNNING,
        rank=0,
        local_id=0,
    )
    record(event, destination="dynamic_rendezvous")
    (log,) = exporter.get_finished_logs()
    assert log.log_record.severity_number == SeverityNumber.INFO
    assert dict(log.log_record.attributes or {}) == {
        "elastic_events.kind": "RdzvEvent",
        "elastic_events.name": event.name,
        "elastic_events.state": "RUNNING",
        "elastic_events.run_id": "ft-7f3a",
        "elastic_events.message": event.message,
        "elastic_events.hostname": "node-0",
        "elastic_events.pid": 42,
        "elastic_events.node_state": "RUNNING",
        "elastic_events.master_endpoint": "",
        "elastic_events.rank": 0,
        "elastic_events.local_id": 0,
        "elastic_events.error_trace": "",
    }


def test_a_json_line_logged_by_someone_else_is_read(exporter: InMemoryLogRecordExporter) -> None:
    # torch's own module logs only the event's JSON line, with no event on the record.
    logger = logging.getLogger("torchelastic-events-otel-test")
    logger.propagate = False
    logger.addHandler(OpenTelemetryHandler(logger_provider=_provider_of(exporter)))
    logger.warning(WORKER_FAILED.serialize())
    (log,) = exporter.get_finished_logs()
    assert log.log_record.attributes is not None
    assert log.log_record.attributes["elastic_events.metadata.global_rank"] == 1


def test_a_record_that_is_no_event_keeps_its_message(exporter: InMemoryLogRecordExporter) -> None:
    logger = logging.getLogger("torchelastic-events-otel-test-2")
    logger.propagate = False
    logger.addHandler(OpenTelemetryHandler(logger_provider=_provider_of(exporter)))
    logger.warning("not an event {")
    (log,) = exporter.get_finished_logs()
    assert log.log_record.body == "not an event {"
    assert dict(log.log_record.attributes or {}) == {}
    assert log.log_record.event_name is None


def test_an_exporter_failure_never_reaches_the_caller(
    exporter: InMemoryLogRecordExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = OpenTelemetryHandler(logger_provider=_provider_of(exporter))

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("collector down")

    monkeypatch.setattr(handler._logger, "emit", broken)
    reported: list[logging.LogRecord] = []
    monkeypatch.setattr(handler, "handleError", reported.append)
    register_handler("otel", handler)
    record(WORKER_FAILED, destination="otel")
    assert [r.getMessage() for r in reported] == [WORKER_FAILED.serialize()]


def _provider_of(exporter: InMemoryLogRecordExporter) -> LoggerProvider:
    provider = LoggerProvider()
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    return provider
