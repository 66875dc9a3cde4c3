"""Times of log lines: read from their prefixes, shown, filtered, merged, drawn on a time axis."""

from __future__ import annotations

import datetime
import json
import logging
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sphinx.testing.util import SphinxTestApp

from elastic_events import (
    Event,
    EventFileHandler,
    EventFilter,
    EventLog,
    EventSource,
    NodeState,
    RdzvEvent,
    Timeline,
    _cli,
    _parallel,
    _times,
    format_time,
    parse_zone,
    prefix_time,
    record,
    register_handler,
)
from elastic_events._cli import main
from tests.sphinx_builds import warnings_of

SVG = "{http://www.w3.org/2000/svg}"
Run = Callable[..., tuple[int, str, str]]
START = 1_795_600_800 * 10**9  # 2026-11-25T10:00:00Z


def rdzv(node: int, message: str, state: NodeState = NodeState.RUNNING, **more: object) -> str:
    return RdzvEvent(
        "dynamic_rendezvous.py:DynamicRendezvousHandler.next_rendezvous",
        "job",
        message,
        f"node-{node}",
        100 + node,
        state,
        **more,  # type: ignore[arg-type]
    ).serialize()


def worker(node: int, state: str, rank: int = 0) -> str:
    return Event(
        f"torchelastic.worker.status.{state}",
        EventSource.WORKER,
        metadata={"hostname": f"node-{node}", "group_rank": node, "global_rank": rank,
                  "state": state, "run_id": "job"},
    ).serialize()  # fmt: skip


def kubectl(seconds: float, event: str) -> str:
    """A line as `kubectl logs --timestamps` writes it: RFC 3339 with nanoseconds, then the line."""
    whole, part = divmod(round(seconds * 10**9), 10**9)
    when = datetime.datetime.fromtimestamp(START // 10**9 + whole, datetime.timezone.utc)
    return f"{when:%Y-%m-%dT%H:%M:%S}.{part:09d}Z {event}\n"


def asctime(seconds: float, event: str) -> str:
    """A line of Python logging's default format: asctime, no zone, milliseconds after a comma."""
    when = datetime.datetime.fromtimestamp(START / 10**9 + seconds, datetime.timezone.utc)
    return f"{when:%Y-%m-%d %H:%M:%S},{when.microsecond // 1000:03d} INFO torchelastic: {event}\n"


def said(node: int, words: str, **more: object) -> str:
    """A rendezvous event of node-N whose message is what torch's dynamic rendezvous says."""
    return rdzv(node, f"The node 'node-{node}_{100 + node}_0' {words}", **more)


JOINED = "has joined round 0 of the rendezvous 'job' as rank {0} in a world of size 2."
# A failed job of two nodes: the rendezvous (no time of its own), workers, a failure at 42.5 s.
STORY = [
    (0.0, said(0, "attempts to join the next round of the rendezvous 'job'.")),
    (0.25, said(1, "attempts to join the next round of the rendezvous 'job'.")),
    (1.5, said(0, "marked round 0 of the rendezvous 'job' as complete.")),
    (2.0, said(0, JOINED.format(0), rank=0)),
    (2.000000001, said(1, JOINED.format(1), rank=1)),
    (3.0, worker(0, "START")),
    (3.0, worker(1, "START", 1)),
    (42.5, worker(1, "FAILED", 1)),
    (43.0, worker(0, "TERMINATED")),
]


def kubectl_log(tmp_path: Path, name: str = "kubectl.log") -> Path:
    path = tmp_path / name
    path.write_text("".join(kubectl(seconds, event) for seconds, event in STORY))
    return path


def asctime_log(tmp_path: Path) -> Path:
    path = tmp_path / "asctime.log"
    path.write_text("".join(asctime(seconds, event) for seconds, event in STORY))
    return path


def mixed_log(tmp_path: Path) -> Path:
    """kubectl lines, asctime lines, lines without a time, and an event with its own timestamp."""
    lines = []
    for index, (seconds, event) in enumerate(STORY):
        if index in (1, 3):
            lines.append(event + "\n")  # No time at all.
        elif index == 6:
            own = json.loads(event)
            own["timestamp"] = (START + round(seconds * 10**9)) // 10**6
            lines.append(asctime(1000, json.dumps(own)))  # Its own timestamp wins.
        else:
            lines.append((kubectl if index % 2 else asctime)(seconds, event))
    path = tmp_path / "mixed.log"
    path.write_text("".join(lines))
    return path


def ns(seconds: float) -> int:
    return START + round(seconds * 10**9)


# The times LogLine gives


def test_kubectl_lines_are_timed_to_the_nanosecond(tmp_path: Path) -> None:
    with open(kubectl_log(tmp_path), "rb") as stream:
        times = [line.time for line in EventLog(stream)]
    assert times == [ns(seconds) for seconds, _ in STORY]
    assert times[4] - times[3] == 1


def test_asctime_lines_are_utc_unless_a_zone_is_given(tmp_path: Path) -> None:
    path = asctime_log(tmp_path)
    with open(path, "rb") as stream:
        assert [line.time for line in EventLog(stream)] == [
            ns(round(seconds, 3)) // 10**6 * 10**6 for seconds, _ in STORY
        ]
    with open(path, "rb") as stream:
        shifted = [line.time for line in EventLog(stream, zone=parse_zone("+02:00"))]
    assert shifted[0] == ns(0) - 2 * 3600 * 10**9


def test_mixed_lines_get_their_own_time_or_none(tmp_path: Path) -> None:
    with open(mixed_log(tmp_path), "rb") as stream:
        times = [line.time for line in EventLog(stream)]
    expected: list[int | None] = [ns(round(seconds, 3)) for seconds, _ in STORY]
    expected[1] = expected[3] = None
    assert expected[4] == ns(2.0)  # asctime: to the millisecond.
    expected[6] = ns(3.0)  # The event's timestamp, not the prefix's 1000 s.
    assert times == expected


def test_an_iana_zone_follows_daylight_saving_time() -> None:
    try:
        paris = parse_zone("Europe/Paris")
    except ValueError as error:
        pytest.skip(str(error))  # No zone database on this system.
    winter = prefix_time("2026-01-15 12:00:00,000", paris)
    summer = prefix_time("2026-07-15 12:00:00,000", paris)
    assert winter == prefix_time("2026-01-15T11:00:00Z")
    assert summer == prefix_time("2026-07-15T10:00:00Z")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Mars/Olympus", "unknown time zone 'Mars/Olympus'; expected UTC, an offset such as"),
        ("+25:00", "time zone offset '+25:00' is not less than 24 hours"),
    ],
)
def test_a_bad_zone_says_what_is_allowed(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        parse_zone(text)


def test_without_a_zone_database_the_error_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    import zoneinfo

    monkeypatch.setattr(zoneinfo, "available_timezones", set)
    with pytest.raises(ValueError, match="this system has no time zone database"):
        parse_zone("Europe/Paris")
    assert parse_zone("-05:30") == datetime.timezone(-datetime.timedelta(hours=5, minutes=30))


# Hypothesis: every format reads back to the same instant, to its precision

instants = st.integers(min_value=-(10**9) * 86400 * 365 * 60, max_value=10**9 * 86400 * 365 * 300)
offsets = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59)


def _wall(nanos: int, offset_minutes: int) -> tuple[datetime.datetime, int]:
    seconds, part = divmod(nanos + offset_minutes * 60 * 10**9, 10**9)
    return datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=seconds), part


def _offset(minutes: int, colon: bool = True) -> str:
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}{':' if colon else ''}{rest:02d}"


FORMATS: dict[str, tuple[Callable[[int, int], str], int]] = {
    # name: (writer of (nanoseconds, offset in minutes), precision in nanoseconds)
    "kubectl": (lambda n, _: f"{_wall(n, 0)[0]:%Y-%m-%dT%H:%M:%S}.{_wall(n, 0)[1]:09d}Z", 1),
    "docker, offset": (
        lambda n, o: f"{_wall(n, o)[0]:%Y-%m-%dT%H:%M:%S}.{_wall(n, o)[1] // 1000:06d}{_offset(o)}",
        1000,
    ),
    "journald short-iso": (
        lambda n, o: f"{_wall(n, o)[0]:%Y-%m-%dT%H:%M:%S}{_offset(o, colon=False)} host agent[7]:",
        10**9,
    ),
    "space, Z, millis": (
        lambda n, _: f"{_wall(n, 0)[0]:%Y-%m-%d %H:%M:%S}.{_wall(n, 0)[1] // 10**6:03d}Z",
        10**6,
    ),
    "asctime": (
        lambda n, _: f"{_wall(n, 0)[0]:%Y-%m-%d %H:%M:%S},{_wall(n, 0)[1] // 10**6:03d} INFO x:",
        10**6,
    ),
    "lowercase t and z": (lambda n, _: f"{_wall(n, 0)[0]:%Y-%m-%dt%H:%M:%S}z", 10**9),
}


@pytest.mark.parametrize("name", FORMATS)
@given(nanos=instants, offset=offsets)
def test_a_time_written_in_each_format_reads_back_to_the_same_instant(
    name: str, nanos: int, offset: int
) -> None:
    write, precision = FORMATS[name]
    prefix = write(nanos, offset)
    assert prefix_time(prefix + " ") == nanos - nanos % precision, prefix
    assert prefix_time(prefix.encode() + b' {"name"') == nanos - nanos % precision


@given(st.text(max_size=60) | st.binary(max_size=60))
def test_any_prefix_gives_a_time_or_none_and_never_an_error(prefix: str | bytes) -> None:
    found = prefix_time(prefix)
    assert found is None or isinstance(found, int)


# Prefixes with a fraction, and the bytes a changed one may hold in their place.
_FRACTIONAL = [
    b"2026-11-25T10:00:00.123456789Z ",
    b"2026-11-25 10:00:00,123 INFO agent: ",
    b"[2026-11-25T10:00:00.5+02:00] ",
    b"2026-11-25T10:00:00.1234567890123Z ",
]
_BYTES = st.sampled_from(list(b"0123456789 .,:-+TZz\xd9a"))


@given(
    base=st.sampled_from(_FRACTIONAL),
    changes=st.lists(
        st.lists(st.tuples(st.integers(0, 40), _BYTES), max_size=3)
        | st.just([(-1, 0)]),  # A prefix one byte shorter.
        min_size=1,
        max_size=6,
    ),
)
def test_lines_in_a_row_are_timed_as_each_alone(
    base: bytes, changes: list[list[tuple[int, int]]]
) -> None:
    # The reader of a log keeps the last prefix with a fraction, and times a line that differs
    # from it only by the fraction's digits without the pattern: every line must get the time
    # that reading its prefix alone gives.
    line_time = _times.line_timer(None)
    event = Event("x", EventSource.AGENT)
    prefixes = [base]
    for edits in changes:
        prefix = bytearray(base)
        for position, byte in edits:
            if position < 0:
                del prefix[-2]
            elif position < len(prefix):
                prefix[position] = byte
        prefixes.append(bytes(prefix))
    for prefix in prefixes:
        alone = _times._new_readers(None)[0](prefix, len(prefix))
        assert line_time(event, prefix + b'{"name": "x"}', len(prefix)) == alone, prefix
        text = prefix.decode("utf-8", "replace")
        assert line_time(event, text + "{}", len(text)) == prefix_time(text), text


@pytest.mark.parametrize(
    "prefix",
    [
        "2026-13-01T00:00:00Z",
        "2026-02-29T00:00:00Z",
        "2026-04-31 10:00:00,000",
        "2026-11-25T24:00:00Z",
        "2026-11-25T10:61:00Z",
        "12026-11-25T10:00:00Z",
        "2026-11-25T10:00Z",
        "2026/11/25 10:00:00",
        "I1125 10:00:00.123456 7 agent.py:1]",
    ],
)
def test_a_malformed_prefix_gives_no_time(prefix: str) -> None:
    assert prefix_time(prefix) is None
    [line] = EventLog([prefix + ' {"name": "x", "source": "AGENT"}'])
    assert line.time is None
    assert line.event is not None


def test_validate_never_reads_times(monkeypatch: pytest.MonkeyPatch) -> None:
    from elastic_events import _logs

    def fail(*_: object) -> None:
        raise AssertionError("problems() parsed a time")

    monkeypatch.setattr(_logs, "line_timer", lambda zone: fail)
    log = EventLog([kubectl(1, worker(0, "START"))])
    assert list(log.problems()) == []
    assert log.events == 1
    with pytest.raises(AssertionError, match="parsed a time"):
        list(EventLog([kubectl(1, worker(0, "START"))]))  # Where times are read, it fails.


# show: the time column, the order, --json, --since, --until


def test_show_has_a_time_column_in_utc_iso_8601_to_the_millisecond(
    run: Run, tmp_path: Path
) -> None:
    status, out, _ = run("show", kubectl_log(tmp_path))
    assert status == 0
    rows = out.splitlines()
    assert rows[0].split()[:2] == ["LINE", "TIME"]
    assert [row.split()[1] for row in rows[1:]] == [
        format_time(ns(seconds)) for seconds, _ in STORY
    ]
    assert rows[8].split()[1] == "2026-11-25T10:00:42.500Z"


def test_show_json_gives_the_time_as_a_field_of_its_own(run: Run, tmp_path: Path) -> None:
    out = run("show", "--json", "--state", "FAILED", mixed_log(tmp_path))[1]
    [line] = [json.loads(text) for text in out.splitlines()]
    assert line == {"time": "2026-11-25T10:00:42.500Z", "event": json.loads(STORY[7][1])}


def test_show_json_of_an_untimed_line_is_the_event_alone(run: Run, tmp_path: Path) -> None:
    out = run("show", "--json", "--name", "*next_rendezvous", mixed_log(tmp_path))[1]
    assert json.loads(out.splitlines()[1]) == json.loads(STORY[1][1])


def test_several_files_are_merged_in_time_order_each_line_keeping_its_file_and_number(
    run: Run, tmp_path: Path
) -> None:
    first = tmp_path / "node-0.log"
    second = tmp_path / "node-1.log"
    first.write_text("".join(kubectl(s, e) for s, e in STORY if '"node-0"' in e))
    second.write_text("".join(asctime(s, e) for s, e in STORY if '"node-1"' in e))
    status, out, err = run("show", first, second)
    assert (status, err) == (0, "")
    where = [row.split()[0] for row in out.splitlines()[1:]]
    assert where == [
        f"{first}:1",
        f"{second}:1",
        f"{first}:2",
        f"{first}:3",
        f"{second}:2",
        f"{first}:4",
        f"{second}:3",
        f"{second}:4",
        f"{first}:5",
    ]


def test_a_line_out_of_time_order_is_reported_once_and_kept_in_place(
    run: Run, tmp_path: Path
) -> None:
    path = tmp_path / "late.log"
    path.write_text(kubectl(5, worker(0, "START")) + kubectl(1, worker(0, "FAILED")))
    other = tmp_path / "other.log"
    other.write_text(kubectl(3, worker(1, "START")))
    status, out, err = run("show", path, other)
    assert status == 0
    assert err == (
        f"elastic-events: note: {path}:2: out of time order (2026-11-25T10:00:01.000Z after "
        "2026-11-25T10:00:05.000Z); shown where it is\n"
    )
    assert [row.split()[0] for row in out.splitlines()[1:]] == [
        f"{other}:1",
        f"{path}:1",
        f"{path}:2",
    ]


@pytest.mark.parametrize(
    ("options", "kept"),
    [
        (["--since", "2026-11-25T10:00:02Z"], [3, 4, 5, 6, 7, 8]),
        (["--since", "2026-11-25T12:00:02+02:00"], [3, 4, 5, 6, 7, 8]),
        (["--until", "2026-11-25T10:00:01.5Z"], [0, 1, 2]),
        (["--since", "2s"], [3, 4, 5, 6, 7, 8]),
        (["--since", "1500ms", "--until", "40.5s"], [2, 3, 4]),
        (["--until", "40.5s"], [0, 1, 2, 3, 4]),  # 40.5 s before the last line, at 43 s.
        (["--until", "40s"], [0, 1, 2, 3, 4, 5, 6]),  # Up to 3 s, inclusive.
        (["--since", "1m"], []),
        (["--since", "2026-11-25"], list(range(9))),
    ],
)
def test_since_and_until_keep_the_lines_of_a_stretch_of_time(
    run: Run, tmp_path: Path, options: list[str], kept: list[int]
) -> None:
    for path in (kubectl_log(tmp_path), asctime_log(tmp_path)):
        out = run("show", "--json", *options, path)[1]
        events = [json.loads(text)["event"] for text in out.splitlines()]
        assert events == [json.loads(STORY[index][1]) for index in kept], (path, options)


def test_untimed_lines_stay_with_the_timed_line_before_them(run: Run, tmp_path: Path) -> None:
    out = run("show", "--json", "--since", "1.5s", "--until", "40.5s", mixed_log(tmp_path))[1]
    kept = [json.loads(text) for text in out.splitlines()]
    # Line 3 (1.5 s) kept, line 4 (no time) with it, line 5 (2 s) kept; line 2 (no time)
    # follows line 1 (0 s), left out.
    assert [item.get("event", item) for item in kept] == [
        json.loads(STORY[i][1]) for i in (2, 3, 4)
    ]


def test_since_and_until_read_stdin_for_a_dash(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import sys

    data = kubectl_log(tmp_path).read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    out = run("show", "--json", "--until", "40.5s", "-")[1]
    assert len(out.splitlines()) == 5


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--since", "yesterday"], "elastic-events: error: not a time or a duration: 'yesterday'"),
        (["--tz", "Mars/Olympus"], "elastic-events: error: unknown time zone 'Mars/Olympus'"),
    ],
)
def test_a_bad_time_option_exits_2_saying_what_is_allowed(
    run: Run, tmp_path: Path, options: list[str], message: str
) -> None:
    status, out, err = run("show", *options, kubectl_log(tmp_path))
    assert (status, out) == (2, "")
    assert err.startswith(message)


def test_tz_reads_asctime_in_that_zone(run: Run, tmp_path: Path) -> None:
    out = run("show", "--tz=-01:00", asctime_log(tmp_path))[1]
    assert out.splitlines()[1].split()[1] == "2026-11-25T11:00:00.000Z"


def test_summary_says_when_the_rendezvous_ran_and_failed(run: Run, tmp_path: Path) -> None:
    status, out, _ = run("show", "--summary", kubectl_log(tmp_path))
    assert status == 0
    assert out == (
        "run job: 2026-11-25T10:00:00.000Z to 2026-11-25T10:00:43.000Z, 43.0 s\n"
        "  round 0: rendezvous started 2026-11-25T10:00:00.000Z (+0 ms), completed "
        "2026-11-25T10:00:01.500Z (+1.5 s), took 1.5 s, world size 2\n"
        "  failure at 2026-11-25T10:00:42.500Z (+42.5 s), line 8: node-1 rank 1, worker 1: "
        "FAILED (torchelastic.worker.status.FAILED)\n"
        "the log: 9 events from 2026-11-25T10:00:00.000Z to 2026-11-25T10:00:43.000Z, 43.0 s\n"
    )


def test_summary_without_times_says_so(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "plain.log"
    path.write_text("".join(event + "\n" for _, event in STORY))
    out = run("show", "--summary", path)[1]
    assert "completed (no time)" in out
    assert out.endswith("the log: 9 events, none with a time\n")


# Several processes


def test_validate_and_show_in_several_processes_print_what_one_does(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [kubectl(index / 10, event) for index in range(300) for _, event in STORY[5:8]]
    lines[100] = "2026-11-25T10:00:00Z {broken\n"
    path = tmp_path / "big.log"
    path.write_text("".join(lines))
    other = tmp_path / "other.log"
    other.write_text("".join(asctime(index / 7, STORY[7][1]) for index in range(200)))
    serial = [run(*args, "-j", "1") for args in [
        ("validate", path, other),
        ("show", "--state", "FAILED", path, other),
        ("show", "--json", "--since", "10s", path),
    ]]  # fmt: skip
    monkeypatch.setattr(_cli, "_PARALLEL_BYTES", 0)
    monkeypatch.setattr(_parallel, "_CHUNK_MIN", 4000)
    assert len(_parallel._chunks(str(path), 2)) > 5
    parallel = [run(*args, "-j", "2") for args in [
        ("validate", path, other),
        ("show", "--state", "FAILED", path, other),
        ("show", "--json", "--since", "10s", path),
    ]]  # fmt: skip
    assert parallel == serial
    assert serial[0][0] == 1
    assert f"{path}:101: not valid JSON" in serial[0][1]


def test_validate_in_several_processes_reads_on_past_a_file_it_cannot_split(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chunks of the next files are read ahead: a file that fails between them is
    reported, and the files after it are counted as one process counts them."""
    paths = []
    for index in range(3):
        path = tmp_path / f"node-{index}.log"
        path.write_text("".join(kubectl(n / 10, STORY[5 + index][1]) for n in range(100 + index)))
        paths.append(path)
    serial = run("validate", "-j", "1", paths[0], paths[2])
    monkeypatch.setattr(_cli, "_PARALLEL_BYTES", 0)
    monkeypatch.setattr(_parallel, "_CHUNK_MIN", 2000)
    chunks = _parallel._chunks

    def failing(path: str, count: int) -> list[tuple[int, int]]:
        if path == str(paths[1]):
            raise PermissionError(13, "Permission denied")
        return chunks(path, count)

    monkeypatch.setattr(_parallel, "_chunks", failing)
    status, out, err = run("validate", "-j", "2", *paths)
    assert status == 2
    assert err == f"elastic-events: error: cannot read {str(paths[1])!r}: Permission denied\n"
    assert out == serial[1].replace("in 2 files", "in 2 files; 1 file could not be read")


def test_jobs_must_be_a_positive_number(run: Run, tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main(["validate", "-j", "0", str(kubectl_log(tmp_path))])


# The timeline on a time axis


def axis_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    axis = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "axis")
    return ["".join(text.itertext()) for text in axis.iter(f"{SVG}text")]


def mark_xs(svg: str) -> dict[str, float]:
    """The x of each single mark, by the line number in its tooltip."""
    found = {}
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        title = group.find(f"{SVG}title")
        shape = next((e for e in group if e.tag != f"{SVG}title" and "ring" not in
                      (e.get("class") or "")), None)  # fmt: skip
        if group.get("class") in (None, "failure") and title is not None and shape is not None:
            number = re.search(r"line (\d+)", title.text or "")
            if number:
                x = shape.get("cx") or shape.get("x")
                if x is None:  # A diamond: its path starts at its top.
                    x = (shape.get("d") or "M0 ").split()[0][1:]
                found[number.group(1)] = float(x)
    return found


@pytest.mark.parametrize("make", [kubectl_log, asctime_log, mixed_log])
def test_a_timeline_of_a_timed_log_has_a_time_axis_whose_start_is_in_words(
    tmp_path: Path, make: Callable[[Path], Path]
) -> None:
    with open(make(tmp_path), "rb") as stream:
        timeline = Timeline(EventLog(stream))
    svg = timeline.svg()
    assert axis_texts(svg)[-1] == "seconds from the first event, 25 November 2026, 10:00:00.000 UTC"
    assert axis_texts(svg)[:3] == ["0 s", "10 s", "20 s"]
    assert timeline.describe().startswith(
        "Timeline of 9 events from 2 nodes; the x axis is time, from 25 November 2026, "
        "10:00:00.000 UTC over 43.0 s."
    )
    xs = mark_xs(svg)
    # Lines at 0 s, 3 s and 42.5 s (lines 1, 6 and 8): distances in proportion to the times.
    assert (xs["8"] - xs["1"]) / (xs["6"] - xs["1"]) == pytest.approx(42.5 / 3, rel=0.02)


def test_untimed_lines_sit_between_their_timed_neighbours_drawn_hollow(tmp_path: Path) -> None:
    with open(mixed_log(tmp_path), "rb") as stream:
        timeline = Timeline(EventLog(stream))
    assert "2 events without a time are placed between the timed events before and after" in (
        timeline.describe()
    )
    svg = timeline.svg()
    xs = mark_xs(svg)
    assert xs["1"] < xs["2"] < xs["3"]
    assert xs["3"] < xs["4"] < xs["5"]
    hollow = [e for e in ET.fromstring(svg).iter() if e.get("class") == "timeline-untimed"]
    assert len(hollow) == 2
    assert all(e.get("fill") == "#ffffff" and e.get("stroke-dasharray") for e in hollow)


def test_a_timeline_without_times_keeps_the_log_order(tmp_path: Path) -> None:
    timeline = Timeline(EventLog([event for _, event in STORY]))
    assert not timeline.timed
    assert axis_texts(timeline.svg())[-1] == "events in the order of the log (no timestamps)"


def heartbeats(nodes: int, beats: int, gap_after: int | None = None) -> list[str]:
    lines = []
    for beat in range(beats):
        seconds = 5.0 * beat + (600 if gap_after is not None and beat > gap_after else 0)
        for node in range(nodes):
            message = f"The node 'node-{node}' has sent a keep-alive heartbeat to the rendezvous."
            lines.append(kubectl(seconds + node / 1000, rdzv(node, message, rank=node)))
    return lines


def test_heartbeats_of_a_node_are_one_span_and_a_gap_in_them_shows(tmp_path: Path) -> None:
    timeline = Timeline(EventLog(heartbeats(3, 200)))
    assert timeline.count == 600
    assert [[mark.count for mark in lane.marks] for lane in timeline.lanes] == [[200]] * 3
    assert "3 spans stand for 600 events" in timeline.describe()
    spans = [g for g in ET.fromstring(timeline.svg()).iter(f"{SVG}g") if g.get("class") == "span"]
    assert len(spans) == 3
    gapped = Timeline(EventLog(heartbeats(3, 200, gap_after=99)))
    assert [[mark.count for mark in lane.marks] for lane in gapped.lanes] == [[100, 100]] * 3


def test_a_cycle_of_repeated_events_is_a_span_each_and_a_new_state_ends_them() -> None:
    lines = []
    for beat in range(50):
        for step, name in enumerate(("a", "b", "c")):
            lines.append(kubectl(beat + step / 10, rdzv(0, f"heartbeat {name}")))
    lines.append(kubectl(60, worker(0, "FAILED")))
    lines += [kubectl(61 + beat, rdzv(0, "heartbeat a")) for beat in range(5)]
    timeline = Timeline(EventLog(lines))
    [lane] = timeline.lanes
    assert [mark.count for mark in lane.marks] == [50, 50, 50, 1, 5]


def test_the_timeline_keeps_no_object_per_event() -> None:
    small = Timeline(EventLog(heartbeats(4, 50)))
    large = Timeline(EventLog(heartbeats(4, 2000)))
    assert sum(len(lane.marks) for lane in large.lanes) == sum(
        len(lane.marks) for lane in small.lanes
    )
    assert len(large.svg()) < 1.1 * len(small.svg())


def test_timeline_command_merges_files_on_one_time_axis(run: Run, tmp_path: Path) -> None:
    first = kubectl_log(tmp_path, "a.log")
    second = tmp_path / "b.log"
    second.write_text(kubectl(100, worker(2, "FAILED")))
    out_svg = tmp_path / "run.svg"
    status, _, err = run("timeline", first, second, "-o", out_svg, "--since", "1s")
    assert status == 0
    assert err == f"wrote {out_svg}: 8 events on 3 nodes, 2 failures\n"
    assert "seconds from the first event, 25 November 2026, 10:00:01.500 UTC" in out_svg.read_text()


# The writer that stamps lines


def test_event_file_handler_with_a_time_prefix_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "events.log"
    handler = EventFileHandler(path, time_prefix=True)
    register_handler("stamped", handler)
    before = time.time_ns() // 10**6 * 10**6
    events = [Event(f"e{index}", EventSource.AGENT, metadata={"i": index}) for index in range(3)]
    for event in events:
        record(event, destination="stamped")
    after = time.time_ns()
    handler.close()
    text = path.read_text()
    assert re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \{.*\}\n){3}", text)
    with open(path, "rb") as stream:
        lines = list(EventLog(stream))
    assert [line.event for line in lines] == events
    times = [line.time for line in lines]
    assert all(time is not None and before <= time <= after for time in times)
    assert times == sorted(times)  # type: ignore[type-var]


def test_event_file_handler_writes_plain_json_lines_by_default(tmp_path: Path) -> None:
    path = tmp_path / "events.log"
    handler = EventFileHandler(path)
    handler.emit(logging.makeLogRecord({"msg": Event("e", EventSource.AGENT).serialize()}))
    handler.close()
    assert path.read_text() == Event("e", EventSource.AGENT).serialize() + "\n"


# EventFilter


def test_a_duration_until_needs_the_last_time_and_says_so() -> None:
    keep = EventFilter(until="10m")
    assert keep.relative_until
    [line] = EventLog([kubectl(0, worker(0, "START"))])
    with pytest.raises(ValueError, match=r"give that time with EventFilter.anchored\(\)"):
        keep(line)
    assert keep.anchored(line.time, line.time)(line) is False
    assert EventFilter(until="0s").anchored(line.time, line.time)(line) is True


# The directives' :since: and :until:


@pytest.mark.sphinx("text", testroot="event-times", freshenv=True)
def test_the_directives_filter_by_time_and_draw_a_time_axis(app: SphinxTestApp) -> None:
    app.build()
    warnings = "\n".join(warnings_of(app))
    assert "index.rst:16: ERROR" in warnings
    assert "not a time or a duration: 'yesterday'" in warnings
    text = (app.outdir / "index.txt").read_text(encoding="utf-8")
    tables = text.split("The job on a time axis")[0].split("From the failure on")

    def numbers(table: str) -> list[str]:
        return re.findall(r"^\| (\d+) ", table, re.MULTILINE)

    assert numbers(tables[0]) == ["3", "4", "5"]
    assert numbers(tables[1]) == ["8", "9"]
    assert "2026-11-25T10:00:42.500Z" in tables[1]
    flat = " ".join(text.split())
    assert "the x axis is time, from 25 November 2026, 10:00:00.000 UTC over 43.0 s." in flat


# The run page


@pytest.mark.parametrize("capture", ["restart.log", "fail.log"])
def test_the_run_pages_summaries_are_what_the_command_prints(capture: str) -> None:
    root = Path(__file__).parents[1]
    page = (root / "docs" / "source" / "run.md").read_text(encoding="utf-8")
    shown = page.split(f"```console\n$ elastic-events show --summary {capture}\n", 1)[1]
    result = subprocess.run(
        [sys.executable, "-m", "elastic_events", "show", "--summary", capture],
        cwd=root / "docs" / "captures",
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == shown.split("```", 1)[0]


def test_the_run_page_draws_the_capture_on_a_time_axis() -> None:
    captures = Path(__file__).parents[1] / "docs" / "captures"
    for name in ("restart.log", "fail.log"):
        with open(captures / name, "rb") as stream:
            timeline = Timeline(EventLog(stream))
        assert timeline.timed
        assert timeline.timed_count == timeline.count
        assert axis_texts(timeline.svg())[-1].startswith("seconds from the first event, 1 December")
