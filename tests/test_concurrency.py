"""Many threads and many processes recording at once, handlers swapped and processes forked
meanwhile: every line whole, none lost or doubled, no child that hangs."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import random
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from unittest import mock

import pytest

import elastic_events
from elastic_events import Event, EventFileHandler, EventSource, record, register_handler
from tests.interpreter import setting

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


def _run_writers(
    target: Callable[[str, int, int], None], path: Path, processes: int, per_process: int
) -> None:
    """Run *processes* spawned processes of *target*, each writing *per_process* events."""
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=target, args=(str(path), n, per_process)) for n in range(processes)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0


def _append_from_a_process(path: str, writer: int, count: int) -> None:
    register_handler("file", EventFileHandler(path))
    for sequence in range(count):
        record(event_of(writer, sequence), "file")


def test_processes_appending_to_one_file_write_whole_lines(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    processes, per_process = 4, 1_000
    _run_writers(_append_from_a_process, path, processes, per_process)
    events = read_events(path)
    assert_each_written_once(events, processes, per_process)
    assert json.loads(path.read_text().splitlines()[0])["name"] == "concurrency"


class Count(logging.Handler):
    """Counts the (writer, sequence) pairs it is given; no lock of its own beyond handle()'s."""

    def __init__(self, seen: Counter[tuple[int, int]]) -> None:
        super().__init__()
        self.seen = seen

    def emit(self, log_record: logging.LogRecord) -> None:
        metadata = log_record.event.metadata  # type: ignore[attr-defined]
        self.seen[(metadata["writer"], metadata["sequence"])] += 1


@pytest.fixture
def tiny_switch_interval() -> Iterator[None]:
    """Switch threads as often as the interpreter can: every race gets its chance."""
    with setting(sys.getswitchinterval, sys.setswitchinterval, 1e-6):
        yield


@pytest.mark.usefixtures("tiny_switch_interval")
def test_swapping_the_handler_while_threads_record_loses_no_event() -> None:
    writers, per_writer = 5, 4_000  # 20,000 events
    seen: Counter[tuple[int, int]] = Counter()
    handlers = [Count(seen), Count(seen)]
    register_handler("swapped", handlers[0])
    done = threading.Event()
    swaps = 0

    def swap() -> None:
        nonlocal swaps
        while not done.is_set():
            register_handler("swapped", handlers[swaps % 2])
            swaps += 1

    def write(writer: int) -> None:
        for sequence in range(per_writer):
            metadata = {"writer": writer, "sequence": sequence}
            record(Event("e", EventSource.WORKER, metadata=metadata), "swapped")  # type: ignore[arg-type]

    swapper = threading.Thread(target=swap)
    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    swapper.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    swapper.join()
    assert swaps > 100  # the swapping thread did race the writers
    assert sum(seen.values()) == writers * per_writer
    assert set(seen.values()) == {1}
    assert logging.getLogger("torchelastic-events-swapped").handlers in (
        [handlers[0]],
        [handlers[1]],
    )


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() is POSIX")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
@pytest.mark.usefixtures("tiny_switch_interval")
def test_children_forked_while_the_registry_is_busy_record(tmp_path: Path) -> None:
    forks = 12
    done = threading.Event()

    def churn(number: int) -> None:  # Holds the registry lock as often as it can.
        while not done.is_set():
            name = f"churn{number}"
            register_handler(name, logging.NullHandler())
            record(EVENT_FOR_FORK, name)
            elastic_events.unregister_handler(name)

    busy = [threading.Thread(target=churn, args=(n,)) for n in range(3)]
    for thread in busy:
        thread.start()
    recorded = 0
    try:
        for child in range(forks):
            path = tmp_path / f"child{child}.jsonl"
            pid = os.fork()
            if pid == 0:  # The child: record, register, record again; never return to pytest.
                status = 1
                try:
                    register_handler("file", EventFileHandler(path))
                    record(EVENT_FOR_FORK, "file")
                    # From another thread too: a registry lock left held by the fork stops it.
                    other = threading.Thread(
                        target=register_handler, args=("other", EventFileHandler(path))
                    )
                    other.start()
                    other.join(5)
                    record(EVENT_FOR_FORK, "other")
                    status = int(other.is_alive())
                finally:
                    os._exit(status)
            recorded += _waited(pid, timeout=20) == 0 and read_events(path) == [EVENT_FOR_FORK] * 2
    finally:
        done.set()
        for thread in busy:
            thread.join()
    assert recorded == forks


EVENT_FOR_FORK = Event("forked", EventSource.AGENT)


def _waited(pid: int, timeout: float) -> int | None:
    """The exit status of a child, or None (and the child killed) when it hangs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


def _append_lines_of_many_sizes(path: str, writer: int, count: int) -> None:
    register_handler("file", EventFileHandler(path))
    sizes = random.Random(writer)
    for sequence in range(count):
        padding = "y" * sizes.randint(1, 50_000)  # lines of up to 50 KB
        metadata = {"writer": writer, "sequence": sequence, "padding": padding}
        record(Event("big", EventSource.WORKER, metadata=metadata), "file")  # type: ignore[arg-type]


def test_processes_appending_lines_of_up_to_50_kb_write_them_whole(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    processes, per_process = 4, 300
    _run_writers(_append_lines_of_many_sizes, path, processes, per_process)
    events = read_events(path)
    seen = Counter((e.metadata["writer"], e.metadata["sequence"]) for e in events)
    assert len(events) == processes * per_process
    assert set(seen.values()) == {1}
    assert max(map(len, path.read_text().splitlines())) > 40_000
    assert all(set(str(e.metadata["padding"])) == {"y"} for e in events)
