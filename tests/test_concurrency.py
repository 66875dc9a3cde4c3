"""Many threads and many processes recording at once: every line whole, none lost or doubled."""

from __future__ import annotations

import json
import logging
import multiprocessing
import threading
from collections import Counter
from pathlib import Path
from unittest import mock

import elastic_events
from elastic_events import Event, EventFileHandler, EventSource, record, register_handler

THREADS = 8
EVENTS_PER_THREAD = 2_000
# Longer than PIPE_BUF (4096) and than io's 8 KiB buffer: interleaving would show.
PADDING = "x" * 9_000


def event_of(writer: int, sequence: int) -> Event:
    metadata = {"writer": writer, "sequence": sequence, "padding": PADDING}
    return Event("concurrency", EventSource.WORKER, metadata=metadata)  # type: ignore[arg-type]


def read_events(path: Path) -> list[Event]:
    """Every line of the file as an event; a torn or interleaved line fails here."""
    return [Event.deserialize(line) for line in path.read_text(encoding="utf-8").splitlines()]


def assert_each_written_once(events: list[Event], writers: int, per_writer: int) -> None:
    seen = Counter((e.metadata["writer"], e.metadata["sequence"]) for e in events)
    assert len(events) == writers * per_writer
    assert set(seen.values()) == {1}
    assert all(e.metadata["padding"] == PADDING for e in events)


def test_threads_recording_to_one_file_lose_duplicate_and_interleave_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.jsonl"
    register_handler("file", EventFileHandler(path))
    start = threading.Barrier(THREADS)

    def write(writer: int) -> None:
        start.wait()
        for sequence in range(EVENTS_PER_THREAD):
            record(event_of(writer, sequence), "file")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert_each_written_once(read_events(path), THREADS, EVENTS_PER_THREAD)


def test_threads_racing_to_a_new_destination_create_its_logger_once() -> None:
    collected: list[str] = []

    class Collect(logging.Handler):
        def emit(self, log_record: logging.LogRecord) -> None:
            collected.append(log_record.getMessage())

    register_handler("fresh", Collect())
    start = threading.Barrier(THREADS)
    lookups = mock.patch(
        "elastic_events.get_logging_handler", wraps=elastic_events.get_logging_handler
    )

    def write() -> None:
        start.wait()
        record(Event("first", EventSource.AGENT), "fresh")

    with lookups as lookup:
        threads = [threading.Thread(target=write) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    lookup.assert_called_once_with("fresh")
    assert len(logging.getLogger("torchelastic-events-fresh").handlers) == 1
    assert len(collected) == THREADS


def _append_from_a_process(path: str, writer: int, count: int) -> None:
    register_handler("file", EventFileHandler(path))
    for sequence in range(count):
        record(event_of(writer, sequence), "file")


def test_processes_appending_to_one_file_write_whole_lines(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    processes, per_process = 4, 1_000
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_append_from_a_process, args=(str(path), n, per_process))
        for n in range(processes)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    events = read_events(path)
    assert_each_written_once(events, processes, per_process)
    assert json.loads(path.read_text().splitlines()[0])["name"] == "concurrency"
