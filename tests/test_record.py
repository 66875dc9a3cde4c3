"""Recording: record(), destinations and handlers, construct_and_record_rdzv_event()."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import elastic_events
from elastic_events import (
    Event,
    EventSource,
    InvalidEventError,
    NodeState,
    RdzvEvent,
    UnknownDestinationError,
    _destinations,
    construct_and_record_rdzv_event,
    destinations,
    get_logging_handler,
    record,
    record_rdzv_event,
    register_handler,
)

EVENT = Event("torchelastic.worker.status.START", EventSource.WORKER, metadata={"rank": 1})


class Collect(logging.Handler):
    """Keeps every record it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    @property
    def lines(self) -> list[str]:
        return [r.getMessage() for r in self.records]


class Explode(logging.Handler):
    """A naive handler whose emit raises, with no try/except of its own."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: list[BaseException | None] = []

    def emit(self, record: logging.LogRecord) -> None:
        raise RuntimeError("the handler broke")

    def handleError(self, record: logging.LogRecord) -> None:
        import sys

        self.errors.append(sys.exc_info()[1])


@pytest.fixture
def collect() -> Collect:
    handler = Collect()
    register_handler("collect", handler)
    return handler


# Destinations and handlers.


def test_built_in_destinations_are_torchs() -> None:
    assert destinations() == ("console", "dynamic_rendezvous", "null")
    assert isinstance(get_logging_handler(), logging.NullHandler)
    assert isinstance(get_logging_handler("dynamic_rendezvous"), logging.NullHandler)
    assert isinstance(get_logging_handler("console"), logging.StreamHandler)


def test_unknown_destination_names_it_and_the_known_ones() -> None:
    with pytest.raises(UnknownDestinationError) as raised:
        get_logging_handler("s3")
    assert str(raised.value) == (
        "unknown event destination 's3'; the known destinations are 'console', "
        "'dynamic_rendezvous', 'null' (add one with register_handler())"
    )
    assert isinstance(raised.value, KeyError)  # what torch raises, for existing except clauses


def test_registered_destination_receives_the_json_line_and_the_event(collect: Collect) -> None:
    record(EVENT, "collect")
    (log_record,) = collect.records
    assert log_record.getMessage() == EVENT.serialize()
    assert log_record.levelno == logging.INFO
    assert log_record.name == "torchelastic-events-collect"
    assert log_record.event is EVENT  # type: ignore[attr-defined]


def test_replacing_a_handler_after_events_were_recorded_takes_effect() -> None:
    first, second = Collect(), Collect()
    assert register_handler("swap", first) is None
    record(EVENT, "swap")
    assert register_handler("swap", second) is first
    record(EVENT, "swap")
    assert (len(first.records), len(second.records)) == (1, 1)
    assert logging.getLogger("torchelastic-events-swap").handlers == [second]


def test_replacing_the_null_handler_starts_recording() -> None:
    record(EVENT)  # the null destination's logger now exists, with a NullHandler
    handler = Collect()
    register_handler("null", handler)
    record(EVENT)
    assert handler.lines == [EVENT.serialize()]


@pytest.mark.parametrize("name", ["", "a.b", "with space", "ünï", 3, None])
def test_invalid_destination_names_are_rejected(name: object) -> None:
    with pytest.raises(ValueError, match=r"invalid destination name .*; use one or more letters"):
        register_handler(name, Collect())  # type: ignore[arg-type]
    assert destinations() == ("console", "dynamic_rendezvous", "null")


def test_a_handler_must_be_a_logging_handler() -> None:
    with pytest.raises(TypeError, match=r"a destination's handler must be a logging\.Handler"):
        register_handler("x", print)  # type: ignore[arg-type]


def test_console_writes_to_the_current_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    record(EVENT, "console")
    assert capsys.readouterr().err == EVENT.serialize() + "\n"


def test_event_loggers_do_not_propagate(caplog: pytest.LogCaptureFixture) -> None:
    register_handler("collect", Collect())
    with caplog.at_level(logging.DEBUG):
        record(EVENT, "collect")
    assert caplog.records == []


# record() to a silent destination serializes nothing.


class Unserializable(Event):
    """Counts its serialize() calls: record() never raises, so raising would prove nothing."""

    calls = 0

    def serialize(self) -> str:
        Unserializable.calls += 1
        return super().serialize()


def test_recording_to_null_does_not_serialize() -> None:
    Unserializable.calls = 0
    record(Unserializable("e", EventSource.AGENT))
    record(Unserializable("e", EventSource.AGENT), "null")
    record_rdzv_event(Unserializable("e", EventSource.AGENT))  # type: ignore[arg-type]
    assert Unserializable.calls == 0
    register_handler("null", Collect())
    record(Unserializable("e", EventSource.AGENT))
    assert Unserializable.calls == 1  # the counting works: a real handler does serialize


def test_metadata_broken_after_construction_is_no_error_for_null(
    capsys: pytest.CaptureFixture[str],
) -> None:
    event = Event("e", EventSource.AGENT)
    event.metadata["loss"] = float("nan")
    with mock.patch.object(Event, "serialize", side_effect=AssertionError) as serialize:
        record(event)
    serialize.assert_not_called()
    assert capsys.readouterr() == ("", "")


# A log call never raises into the caller.


def test_a_raising_handler_is_reported_and_the_others_still_get_the_event() -> None:
    broken, kept = Explode(), Collect()
    register_handler("both", broken)
    logging.getLogger("torchelastic-events-both").addHandler(kept)
    record(EVENT, "both")
    assert [type(e) for e in broken.errors] == [RuntimeError]
    assert kept.lines == [EVENT.serialize()]


class FullDisk(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError(28, "No space left on device")


def test_a_full_disk_is_reported_the_stdlib_way(capsys: pytest.CaptureFixture[str]) -> None:
    register_handler("disk", logging.StreamHandler(FullDisk()))
    record(EVENT, "disk")
    err = capsys.readouterr().err
    assert "--- Logging error ---" in err
    assert "No space left on device" in err


def test_an_event_that_cannot_be_serialized_is_reported_not_raised(
    collect: Collect, capsys: pytest.CaptureFixture[str]
) -> None:
    event = Event("e", EventSource.AGENT)
    event.metadata["loss"] = float("nan")
    record(event, "collect")
    assert collect.records == []
    err = capsys.readouterr().err
    assert "--- Logging error ---" in err
    assert "metadata['loss'] is nan, which JSON cannot carry" in err


def test_an_unknown_destination_is_reported_once_and_its_events_kept(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    record(EVENT, "s3")
    record(EVENT, "s3")
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "elastic_events",
            "ERROR",
            "unknown event destination 's3'; the known destinations are 'console', "
            "'dynamic_rendezvous', 'null' (add one with register_handler()); its events go to "
            "'console'",
        )
    ]
    assert capsys.readouterr().err.splitlines() == [EVENT.serialize(), EVENT.serialize()]


def test_a_handler_whose_error_reporting_fails_too_is_survived() -> None:
    class Hopeless(Explode):
        def handleError(self, record: logging.LogRecord) -> None:
            raise RuntimeError("and so did its error reporting")

    hopeless, kept = Hopeless(), Collect()
    register_handler("hopeless", hopeless)
    logging.getLogger("torchelastic-events-hopeless").addHandler(kept)
    record(EVENT, "hopeless")
    assert kept.lines == [EVENT.serialize()]  # the handler after the hopeless one still got it


def test_handler_levels_and_logger_filters_are_respected(collect: Collect) -> None:
    collect.setLevel(logging.INFO)
    record(EVENT, "collect")
    assert collect.lines == [EVENT.serialize()]
    collect.records.clear()
    collect.setLevel(logging.WARNING)
    record(EVENT, "collect")
    assert collect.records == []
    collect.setLevel(logging.NOTSET)
    logging.getLogger("torchelastic-events-collect").addFilter(lambda r: False)
    record(EVENT, "collect")
    assert collect.records == []


# LOGLEVEL: read in any case; events never vanish without a word.


@pytest.mark.parametrize(("value", "level"), [("debug", 10), ("Info", 20), ("5", 5), ("", 20)])
def test_loglevel_is_read_in_any_case(
    monkeypatch: pytest.MonkeyPatch, collect: Collect, value: str, level: int
) -> None:
    monkeypatch.setenv("LOGLEVEL", value)
    record(EVENT, "collect")
    assert logging.getLogger("torchelastic-events-collect").level == level
    assert collect.lines == [EVENT.serialize()]


def test_an_invalid_loglevel_is_reported_and_events_kept(
    monkeypatch: pytest.MonkeyPatch, collect: Collect, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("LOGLEVEL", "verbose")
    record(EVENT, "collect")
    assert collect.lines == [EVENT.serialize()]
    assert caplog.messages == [
        "LOGLEVEL='verbose' is not a logging level (expected DEBUG, INFO, WARNING, ERROR, "
        "CRITICAL or a number); event loggers use INFO"
    ]


def test_a_loglevel_above_info_drops_events_with_one_warning(
    monkeypatch: pytest.MonkeyPatch, collect: Collect, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("LOGLEVEL", "warning")
    record(EVENT, "collect")
    record(EVENT, "collect")
    assert collect.records == []
    assert caplog.messages == [
        "events recorded to 'collect' are dropped: its logger 'torchelastic-events-collect' does "
        "not admit INFO, the level of events (its level: WARNING; LOGLEVEL='warning'); set "
        "LOGLEVEL to INFO or lower, or undo logging.disable(), to keep them"
    ]


# construct_and_record_rdzv_event(): torch's semantics, without inspect.stack().


@pytest.fixture
def rendezvous() -> Collect:
    handler = Collect()
    register_handler("dynamic_rendezvous", handler)
    return handler


def recorded(handler: Collect) -> RdzvEvent:
    (log_record,) = handler.records
    return RdzvEvent.deserialize(log_record.getMessage())


def test_nothing_is_built_while_the_rendezvous_destination_is_null() -> None:
    with mock.patch.object(elastic_events._record, "RdzvEvent") as build:
        construct_and_record_rdzv_event("run", "msg", NodeState.RUNNING)
    build.assert_not_called()


def test_defaults_name_hostname_and_pid_from_the_caller(rendezvous: Collect) -> None:
    def next_rendezvous() -> None:
        construct_and_record_rdzv_event("run", "joined", NodeState.RUNNING, rank=2, local_id=0)

    next_rendezvous()
    event = recorded(rendezvous)
    assert event == RdzvEvent(
        name="test_record.py:next_rendezvous",
        run_id="run",
        message="joined",
        hostname=socket.getfqdn(),
        pid=os.getpid(),
        node_state=NodeState.RUNNING,
        rank=2,
        local_id=0,
    )


def test_a_given_name_is_prefixed_with_the_callers_file_as_torch_does(rendezvous: Collect) -> None:
    construct_and_record_rdzv_event(
        "run", "m", NodeState.INIT, name="Handler.join", hostname="h", pid=7, master_endpoint="e"
    )
    event = recorded(rendezvous)
    assert (event.name, event.hostname, event.pid, event.master_endpoint) == (
        "test_record.py:Handler.join", "h", 7, "e"
    )  # fmt: skip


def test_failed_carries_the_traceback_being_handled(rendezvous: Collect) -> None:
    try:
        raise TimeoutError("no heartbeat")
    except TimeoutError:
        construct_and_record_rdzv_event("run", "failed", NodeState.FAILED)
    trace = recorded(rendezvous).error_trace
    assert trace.startswith("Traceback (most recent call last):")
    assert trace.endswith("TimeoutError: no heartbeat\n")


def test_failed_outside_an_exception_has_an_empty_trace(rendezvous: Collect) -> None:
    construct_and_record_rdzv_event("run", "failed", NodeState.FAILED)
    assert recorded(rendezvous).error_trace == ""


def test_running_never_carries_a_trace(rendezvous: Collect) -> None:
    try:
        raise TimeoutError
    except TimeoutError:
        construct_and_record_rdzv_event("run", "still running", NodeState.RUNNING)
    assert recorded(rendezvous).error_trace == ""


def test_caller_detection_does_not_read_source_files(rendezvous: Collect) -> None:
    with mock.patch("inspect.stack", side_effect=AssertionError("inspect.stack() was called")):
        construct_and_record_rdzv_event("run", "joined", NodeState.RUNNING)
    assert len(rendezvous.records) == 1


def test_arguments_an_event_cannot_carry_are_reported_not_raised(
    rendezvous: Collect, capsys: pytest.CaptureFixture[str]
) -> None:
    class Reporting(Collect):
        def handleError(self, record: logging.LogRecord) -> None:
            import sys

            self.reported = (record.msg, sys.exc_info()[1])

    handler = Reporting()
    register_handler("dynamic_rendezvous", handler)
    construct_and_record_rdzv_event(None, "m", NodeState.RUNNING)  # type: ignore[arg-type]
    message, error = handler.reported
    assert message == "construct_and_record_rdzv_event(run_id=None, message='m', ...)"
    assert isinstance(error, InvalidEventError)
    assert str(error) == "field 'run_id' must be a string; got None"


# Patching the public names takes effect inside, as with torch's module.


def test_patched_get_logging_handler_decides_whether_to_build() -> None:
    with (
        mock.patch("elastic_events.get_logging_handler", return_value=logging.StreamHandler()),
        mock.patch("elastic_events.record_rdzv_event") as record_mock,
    ):
        construct_and_record_rdzv_event(run_id="r", message="m", node_state=NodeState.RUNNING)
    record_mock.assert_called_once()
    (event,), _ = record_mock.call_args
    assert isinstance(event, RdzvEvent)


def test_patched_null_handler_stops_construction() -> None:
    with (
        mock.patch("elastic_events.get_logging_handler", return_value=logging.NullHandler()),
        mock.patch("elastic_events.record_rdzv_event") as record_mock,
    ):
        construct_and_record_rdzv_event(run_id="r", message="m", node_state=NodeState.RUNNING)
    record_mock.assert_not_called()


def test_get_or_create_logger_uses_the_patched_handler() -> None:
    with mock.patch("elastic_events.get_logging_handler") as get_mock:
        get_mock.return_value = logging.NullHandler()
        logger = elastic_events._get_or_create_logger("test_destination")
    assert logger.handlers == [get_mock.return_value]
    assert logger.propagate is False
    assert logger is elastic_events._get_or_create_logger("test_destination")


def test_file_handler_appends_whole_lines(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("existing\n")
    handler = elastic_events.EventFileHandler(path)
    register_handler("file", handler)
    record(EVENT, "file")
    record(EVENT, "file")
    handler.close()
    assert path.read_text().splitlines() == ["existing", EVENT.serialize(), EVENT.serialize()]
    assert repr(handler) == f"<EventFileHandler {path} (NOTSET)>"


def test_file_handler_reports_writes_after_close(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    handler = elastic_events.EventFileHandler(tmp_path / "events.jsonl")
    register_handler("file", handler)
    handler.close()
    record(EVENT, "file")
    assert "is closed" in capsys.readouterr().err


def test_unregister_removes_an_added_destination_at_once(collect: Collect) -> None:
    record(EVENT, "collect")
    assert elastic_events.unregister_handler("collect") is collect
    assert destinations() == ("console", "dynamic_rendezvous", "null")
    assert logging.getLogger("torchelastic-events-collect").handlers == []
    with pytest.raises(UnknownDestinationError, match="unknown event destination 'collect'"):
        get_logging_handler("collect")
    assert len(collect.records) == 1


def test_unregister_puts_a_built_in_destinations_handler_back() -> None:
    original = get_logging_handler("null")
    record(EVENT)
    register_handler("null", Collect())
    elastic_events.unregister_handler("null")
    assert get_logging_handler("null") is original
    assert logging.getLogger("torchelastic-events-null").handlers == [original]
    Unserializable.calls = 0
    record(Unserializable("e", EventSource.AGENT))  # silent again: nothing is serialized
    assert Unserializable.calls == 0


def test_unregister_an_unknown_destination_names_the_known_ones() -> None:
    with pytest.raises(UnknownDestinationError, match="the known destinations are 'console'"):
        elastic_events.unregister_handler("s3")


def test_a_swap_detaches_the_old_handler_and_keeps_the_ones_added_to_the_logger(
    collect: Collect,
) -> None:
    record(EVENT, "collect")
    logger = logging.getLogger("torchelastic-events-collect")
    added, new = Collect(), Collect()
    logger.addHandler(added)
    register_handler("collect", new)
    assert logger.handlers == [added, new]


def test_a_sink_refuses_an_attribute_that_recording_does_not_read() -> None:
    sink = _destinations.open_sink("null")
    with pytest.raises(AttributeError):
        sink.slient = True  # type: ignore[attr-defined]  # A misspelt flag fails at once.


# The LogRecord of an event: the one the logger's makeRecord() would make, however logging is set.

# Times (ns) at which both are made: a whole second, within its last millisecond, CPython's
# example of a time whose seconds (ns / 1e9) round up to the next second, and just after a
# millisecond began.
TIMES_NS = [
    1_700_000_000_000_000_000,
    1_700_000_000_999_500_000,
    1_677_903_920_999_999_900,
    1_700_000_000_500_000_100,
]


def made_by_logging(destination: str) -> logging.LogRecord:
    """What the logger of ``destination`` makes of EVENT's line with makeRecord(), no caller."""
    logger = logging.getLogger(f"torchelastic-events-{destination}")
    line = EVENT.serialize()
    return logger.makeRecord(logger.name, logging.INFO, "(unknown file)", 0, line, (), None)


def recorded_and_made(
    destination: str, handler: Collect, ns: int = TIMES_NS[1]
) -> tuple[logging.LogRecord, logging.LogRecord]:
    """The record of EVENT that ``handler`` got, and makeRecord()'s, made at one stopped time."""
    with (
        mock.patch("time.time_ns", return_value=ns),
        mock.patch("time.time", return_value=ns / 1e9),
    ):
        record(EVENT, destination)
        made = made_by_logging(destination)
    written = handler.records.pop()
    assert vars(written).pop("event") is EVENT  # type: ignore[attr-defined]
    return written, made


def assert_same_record(written: logging.LogRecord, made: logging.LogRecord) -> None:
    assert list(vars(written)) == list(vars(made))  # The order too: some formatters show them all.
    assert vars(written) == vars(made)
    assert list(map(type, vars(written).values())) == list(map(type, vars(made).values()))


@pytest.mark.parametrize("ns", TIMES_NS)
def test_an_events_record_is_the_one_make_record_makes(collect: Collect, ns: int) -> None:
    written, made = recorded_and_made("collect", collect, ns)
    assert_same_record(written, made)
    assert written.process == os.getpid()


def test_an_events_record_made_in_another_thread_has_its_name(collect: Collect) -> None:
    import threading

    records: list[tuple[logging.LogRecord, logging.LogRecord]] = []
    worker = threading.Thread(
        target=lambda: records.append(recorded_and_made("collect", collect)), name="trainer-3"
    )
    worker.start()
    worker.join()
    ((written, made),) = records
    assert_same_record(written, made)
    assert (written.threadName, written.thread) == ("trainer-3", worker.ident)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() is POSIX")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_an_events_record_made_in_a_forked_child_has_its_process(collect: Collect) -> None:
    import multiprocessing

    record(EVENT, "collect")  # The parent's records first: nothing of them may stay.
    reading, writing = os.pipe()
    pid = os.fork()
    if pid == 0:  # The child: never return to pytest.
        status = 1
        try:
            multiprocessing.current_process().name = "renamed-child"
            written, made = recorded_and_made("collect", collect)
            assert_same_record(written, made)
            os.write(writing, f"{written.process} {written.processName}".encode())
            status = 0
        finally:
            os._exit(status)
    os.close(writing)
    with os.fdopen(reading) as pipe:
        told = pipe.read()
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    assert told == f"{pid} renamed-child"


@pytest.mark.parametrize(
    ("flag", "fields"),
    [
        ("logThreads", ["thread", "threadName"]),
        ("logProcesses", ["process"]),
        ("logMultiprocessing", ["processName"]),
        pytest.param(
            "logAsyncioTasks",
            ["taskName"],
            marks=pytest.mark.skipif(sys.version_info < (3, 12), reason="Python 3.12+"),
        ),
    ],
)
def test_logging_s_switches_leave_their_fields_out(
    collect: Collect, flag: str, fields: list[str]
) -> None:
    with mock.patch.object(logging, flag, False):
        written, made = recorded_and_made("collect", collect)
    assert_same_record(written, made)
    assert [getattr(written, field) for field in fields] == [None] * len(fields)


class Unnamed:
    """A process whose name cannot be read."""

    @property
    def name(self) -> str:
        raise RuntimeError("no name yet")


def _raise() -> object:
    raise ImportError("multiprocessing is being imported")


# multiprocessing as LogRecord may find it in sys.modules; it tolerates a partly imported one.
MULTIPROCESSING = {
    "not imported": None,
    "without current_process": object(),
    "whose current_process raises": mock.Mock(current_process=_raise),
    "whose process has no name": mock.Mock(current_process=lambda: object()),
    "whose process name raises": mock.Mock(current_process=Unnamed),
}


@pytest.mark.parametrize("state", MULTIPROCESSING)
def test_the_process_name_is_log_record_s_whatever_multiprocessing_is(
    collect: Collect, monkeypatch: pytest.MonkeyPatch, state: str
) -> None:
    monkeypatch.setitem(sys.modules, "multiprocessing", MULTIPROCESSING[state])
    written, made = recorded_and_made("collect", collect)
    assert_same_record(written, made)
    assert written.processName == "MainProcess"


def test_a_renamed_process_is_the_records_process_name(
    collect: Collect, monkeypatch: pytest.MonkeyPatch
) -> None:
    import multiprocessing

    monkeypatch.setattr(multiprocessing.current_process(), "name", "agent-0")
    written, made = recorded_and_made("collect", collect)
    assert_same_record(written, made)
    assert written.processName == "agent-0"


def test_an_events_record_made_in_an_asyncio_task_has_its_name(collect: Collect) -> None:
    import asyncio

    async def in_a_task() -> tuple[logging.LogRecord, logging.LogRecord]:
        asyncio.current_task().set_name("agent-loop")  # type: ignore[union-attr]
        return recorded_and_made("collect", collect)

    written, made = asyncio.run(in_a_task())
    assert_same_record(written, made)
    assert getattr(written, "taskName", "agent-loop") == "agent-loop"  # Python 3.12+ has it.


def test_a_renamed_level_is_the_records_level_name(collect: Collect) -> None:
    # The patched dicts are logging's own, which addLevelName() changes: restored afterwards.
    with mock.patch.dict(logging._levelToName), mock.patch.dict(logging._nameToLevel):  # type: ignore[attr-defined]
        logging.addLevelName(logging.INFO, "EVENT")
        written, made = recorded_and_made("collect", collect)
    assert_same_record(written, made)
    assert written.levelname == "EVENT"


def test_a_formatter_writes_the_same_text_for_an_events_record(collect: Collect) -> None:
    formatter = logging.Formatter(
        "%(asctime)s.%(msecs)03d %(relativeCreated)d %(name)s %(levelname)s %(levelno)d "
        "%(pathname)s %(filename)s %(module)s %(funcName)s %(lineno)d %(thread)d %(threadName)s "
        "%(process)d %(processName)s %(message)s"
    )
    written, made = recorded_and_made("collect", collect)
    assert formatter.format(written) == formatter.format(made)
    assert " (unknown file) (unknown file) None 0 " in formatter.format(written)


def test_a_custom_record_factory_makes_the_records(collect: Collect) -> None:
    stock = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        made = stock(*args, **kwargs)
        made.origin = "factory"
        return made

    logging.setLogRecordFactory(factory)
    try:
        record(EVENT, "collect")
    finally:
        logging.setLogRecordFactory(stock)
    assert collect.records[0].origin == "factory"  # type: ignore[attr-defined]


class TaggingLogger(logging.Logger):
    def makeRecord(self, *args: object, **kwargs: object) -> logging.LogRecord:  # type: ignore[override]
        made = super().makeRecord(*args, **kwargs)  # type: ignore[arg-type]
        made.origin = "subclass"
        return made


class PlainLogger(logging.Logger):
    """A subclass that leaves makeRecord() alone."""


@pytest.mark.parametrize("logger_class", [TaggingLogger, PlainLogger])
def test_a_logger_subclass_s_make_record_makes_the_records(logger_class: type) -> None:
    destination, handler = f"subclass-{logger_class.__name__}", Collect()
    register_handler(destination, handler)
    logging.setLoggerClass(logger_class)
    try:  # The destination's logger, made on first use, is one of logger_class.
        written, made = recorded_and_made(destination, handler)
    finally:
        logging.setLoggerClass(logging.Logger)
    assert type(logging.getLogger(f"torchelastic-events-{destination}")) is logger_class
    assert_same_record(written, made)  # TaggingLogger's origin too.


@pytest.mark.skipif(sys.version_info < (3, 11), reason="3.10's records are makeRecord()'s")
def test_an_events_record_is_not_made_by_log_record_init(collect: Collect) -> None:
    # LogRecord() spends a tenth of record() on basename() and splitext() of the same name. A
    # Python whose LogRecord has a field that _destinations does not know gets here: add it there.
    # Patching LogRecord.__init__ itself would turn the fast path off (a log enricher's patch).
    made_by_init = AssertionError("LogRecord.__init__ made the record")
    with (
        mock.patch("os.path.basename", side_effect=made_by_init),
        mock.patch("os.path.splitext", side_effect=made_by_init),
    ):
        record(EVENT, "collect")
    assert collect.lines == [EVENT.serialize()]


# The per-Python parts of LogRecord.__init__, each tested on any Python: the running one's
# against LogRecord itself, the others against their CPython source (Lib/logging/__init__.py,
# LogRecord.__init__), as transcribed here.


def times_up_to_3_12(ct: float, start: float) -> tuple[float, float, float]:
    """3.11, 3.12 (and 3.10 from gh-89047): ``ct = time.time()``, _startTime = time.time()."""
    return ct, int((ct - int(ct)) * 1000) + 0.0, (ct - start) * 1000


def times_from_3_13(ct: int, start: int) -> tuple[float, float, float]:
    """3.13 (gh-102412, gh-120683): ``ct = time.time_ns()``, _startTime = time.time_ns()."""
    created = ct / 1e9
    msecs = (ct % 1_000_000_000) // 1_000_000 + 0.0
    if msecs == 999.0 and int(created) != ct // 1_000_000_000:
        msecs = 0.0
    return created, msecs, (ct - start) / 1e6


def typed(values: tuple[object, ...]) -> list[tuple[type, object]]:
    return [(type(value), value) for value in values]


# Times before 1970 too: a test's mocked clock may give them.
NANOSECONDS = st.integers(min_value=-(2**64), max_value=2**64)


@given(ns=NANOSECONDS)
@example(ns=TIMES_NS[0])
@example(ns=TIMES_NS[1])
@example(ns=TIMES_NS[2])
@example(ns=TIMES_NS[3])
@example(ns=1_718_710_000_000_000_000 - 1)  # gh-120683's
def test_the_running_python_s_times_are_log_record_s(ns: int) -> None:
    with (
        mock.patch("time.time_ns", return_value=ns),
        mock.patch("time.time", return_value=ns / 1e9),
    ):
        made = logging.LogRecord("", logging.INFO, "", 0, "", (), None)
        times = _destinations._times()
    assert typed(times) == typed((made.created, made.msecs, made.relativeCreated))


@given(ns=NANOSECONDS, start=NANOSECONDS)
@example(ns=TIMES_NS[1], start=TIMES_NS[0])
@example(ns=TIMES_NS[2], start=TIMES_NS[0])
@example(ns=TIMES_NS[3], start=TIMES_NS[0])
def test_the_times_of_3_13_are_its_log_record_s(ns: int, start: int) -> None:
    with (
        mock.patch("time.time_ns", return_value=ns),
        mock.patch.object(logging, "_startTime", start),
    ):
        times = _destinations._times_of_ns()
    assert typed(times) == typed(times_from_3_13(ns, start))


SECONDS = st.floats(min_value=-(2.0**53), max_value=2.0**53)


@given(ct=SECONDS, start=SECONDS)
@example(ct=TIMES_NS[1] / 1e9, start=TIMES_NS[0] / 1e9)
@example(ct=1677793338.1, start=0.0)  # gh-102402's
def test_the_times_up_to_3_12_are_its_log_record_s(ct: float, start: float) -> None:
    with mock.patch("time.time", return_value=ct), mock.patch.object(logging, "_startTime", start):
        times = _destinations._times_of_seconds()
    assert typed(times) == typed(times_up_to_3_12(ct, start))


async def _named_task_s(make: Callable[[], object]) -> object:
    asyncio.current_task().set_name("agent-loop")  # type: ignore[union-attr]
    return make()


async def _callback_s(make: Callable[[], object]) -> object:
    done: asyncio.Future[object] = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().call_soon(lambda: done.set_result(make()))
    return await done


# Where the record of an event may be made: the task's name is "agent-loop" in a task only.
PLACES: dict[str, Callable[[Callable[[], object]], object]] = {
    "outside an event loop": lambda make: make(),
    "in a task": lambda make: asyncio.run(_named_task_s(make)),
    "in a loop's callback": lambda make: asyncio.run(_callback_s(make)),
}


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("imported", [True, False])
@pytest.mark.parametrize("switch", [True, False])
def test_the_task_name_is_the_running_tasks_if_logging_asks_for_it(
    monkeypatch: pytest.MonkeyPatch, place: str, imported: bool, switch: bool
) -> None:
    # From 3.12: taskName is None, or with logAsyncioTasks and asyncio imported, the name of
    # asyncio.current_task(), if that raises nothing.
    monkeypatch.setattr(logging, "logAsyncioTasks", switch, raising=False)
    if not imported:
        monkeypatch.setitem(sys.modules, "asyncio", None)
    name = PLACES[place](_destinations._task_name)
    assert name == ("agent-loop" if switch and imported and place == "in a task" else None)


def test_an_events_record_has_the_task_name_where_log_record_has_the_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_destinations, "_TASKS", True)  # As on 3.12+: LogRecord has taskName.
    monkeypatch.setattr(logging, "logAsyncioTasks", True, raising=False)
    made = PLACES["in a task"](lambda: _destinations._event_record("n", "m"))
    assert made.taskName == "agent-loop"  # type: ignore[attr-defined]
    assert list(vars(made))[-1] == "taskName"  # Last, as LogRecord.__init__ sets it.


# The fields of a LogRecord on this Python, and the versions that make each kind of record.
LOG_RECORD_FIELDS = set(vars(logging.LogRecord("", logging.INFO, "", 0, "", (), None)))
PY310, PY311, PY312 = (3, 10, 13, "final", 0), (3, 11, 0, "final", 0), (3, 12, 1, "final", 0)


@pytest.mark.parametrize(
    ("version", "fields", "start", "fits"),
    [
        (PY311, LOG_RECORD_FIELDS - {"taskName"}, True, True),
        (PY312, LOG_RECORD_FIELDS | {"taskName"}, True, True),
        (PY310, LOG_RECORD_FIELDS - {"taskName"}, True, False),  # Its msecs differed.
        (PY312, LOG_RECORD_FIELDS | {"taskName", "lineno_end"}, True, False),  # A new field.
        (PY311, LOG_RECORD_FIELDS - {"msecs"}, True, False),
        (PY311, LOG_RECORD_FIELDS, False, False),  # No logging._startTime.
    ],
)
def test_records_are_built_from_the_template_only_where_that_makes_log_record_s(
    version: tuple[int, int, int, str, int], fields: set[str], start: bool, fits: bool
) -> None:
    assert _destinations._template_fits(version, fields, start) is fits
