"""Readers that never crash, hang or lie: hostile logs, pipes, paths and pages, by surface.

Each class of bad input (the docs' "What bad input gets") is tried on every surface that reads
it: the library (``parse_json``, ``deserialize``, ``EventLog``, ``Timeline``, the views), the
command (``validate``, ``show``, ``timeline``, in-process and as a process), and the Sphinx
directives. Every test is bounded in time (``signal.alarm`` in-process, ``timeout=`` for a
process); no test modifies an input file (the ``unchanged`` helper compares bytes and times).
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import json
import lzma
import os
import signal
import subprocess
import sys
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from elastic_events import (
    MAX_DEPTH,
    MAX_LINE,
    Event,
    EventLog,
    InvalidEventError,
    LogLine,
    Timeline,
    parse_json,
    table_row,
    visible_text,
)
from elastic_events._cli import main
from elastic_events._timeline import _natural
from tests.interpreter import setting
from tests.sphinx_builds import sphinx_build
from tests.strategies import (
    disguised_text,
    hostile_lines,
    huge_integer_text,
    line_endings,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = Path(__file__).parent / "data" / "torchelastic-examples.jsonl"
SVG = "{http://www.w3.org/2000/svg}"
GOOD = b'{"name": "started", "source": "AGENT", "timestamp": 0, "metadata": {}}'
HOSTILE = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(autouse=True)
def bounded() -> Iterator[None]:
    """Fail, never hang: every test of this module gets 120 seconds."""

    def expired(*args: object) -> None:
        raise TimeoutError("the test ran for more than 120 seconds")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(120)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def unchanged(*paths: Path) -> Iterator[None]:
    """Assert that the files are left as they were: their bytes and modification times."""
    before = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in paths}
    yield
    assert {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in paths} == before


Run = Callable[..., tuple[int, str, str]]


def command(
    *args: str | Path, stdin: bytes | None = None, timeout: float = 60, **kwargs: object
) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m elastic_events`` in a process of its own."""
    kwargs.setdefault("stdout", subprocess.PIPE)
    return subprocess.run(  # type: ignore[call-overload,no-any-return]
        [sys.executable, "-m", "elastic_events", *map(str, args)],
        input=stdin,
        stderr=subprocess.PIPE,
        timeout=timeout,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONIOENCODING": "utf-8:strict"},
        **kwargs,
    )


def event_line(timestamp: str = "0", host: str = "node-1", name: str = "started") -> bytes:
    metadata = json.dumps({"hostname": host})
    return (
        f'{{"name": {json.dumps(name)}, "source": "AGENT", "timestamp": {timestamp}, '
        f'"metadata": {metadata}}}'
    ).encode()


# 1. Numbers past what the code expects


@HOSTILE
@given(digits=huge_integer_text)
def test_an_integer_of_any_length_is_read_or_refused_alike_everywhere(digits: str) -> None:
    line = event_line(timestamp=digits)
    try:
        expected: str | None = None
        Event.deserialize(line)
    except InvalidEventError as error:
        expected = str(error)
    [read] = EventLog([line])
    assert (read.error or None) == expected
    if expected is not None:
        assert "digits" in expected
    else:
        assert table_row(read)["LINE"] == "1"
        Timeline([read, LogLine(2, Event("x", "AGENT", timestamp=1), "")]).svg()


LARGEST = int(sys.float_info.max)  # The wire format's bound on integers (MAX_NUMBER).


@pytest.mark.parametrize("timestamp", [10**300, LARGEST, LARGEST + 1, 10**400, 10**4000])
def test_timestamps_up_to_the_bound_are_drawn_and_past_it_are_bad_lines(timestamp: int) -> None:
    with _int_digits(0):
        lines = list(EventLog([event_line("1"), event_line(str(timestamp), host="node-2")]))
    svg = Timeline(lines).svg()
    ET.fromstring(svg)
    if timestamp <= LARGEST:
        assert [line.error for line in lines] == ["", ""]
        assert "e+" in svg  # The tick labels in scientific notation.
    else:
        assert lines[1].event is None
        assert lines[1].error


@pytest.mark.parametrize(
    ("first", "last"), [(1, 2**1023), (0, LARGEST), (-LARGEST, LARGEST), (-LARGEST, 0)]
)
def test_the_tick_loop_ends_for_a_span_near_the_float_maximum(first: int, last: int) -> None:
    lines = [
        LogLine(1, Event("a", "AGENT", timestamp=first or 1), ""),
        LogLine(2, Event("b", "AGENT", timestamp=last or -1), ""),
    ]
    timeline = Timeline(lines)
    root = ET.fromstring(timeline.svg())
    ticks = [t for t in root.iter(f"{SVG}text") if t.get("class") == "timeline-axis-text"]
    assert 3 <= len(ticks) <= 16 or not timeline.timed


@HOSTILE
@given(
    st.lists(
        st.integers(1, 6000).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n)),
        min_size=2,
        max_size=5,
    )
)
def test_host_names_of_huge_numbers_sort_in_numeric_order(numbers: list[str]) -> None:
    hosts = [f"node-{digits}" for digits in numbers]
    with _int_digits(0):
        values = [int(digits) for digits in numbers]
    by_value = sorted(range(len(hosts)), key=lambda index: (values[index], numbers[index]))
    by_name = sorted(range(len(hosts)), key=lambda index: (_natural(hosts[index]), numbers[index]))
    assert [values[i] for i in by_name] == [values[i] for i in by_value]


def _int_digits(limit: int) -> contextlib.AbstractContextManager[None]:
    return setting(sys.get_int_max_str_digits, sys.set_int_max_str_digits, limit)


def test_a_host_of_thousands_of_digits_gets_a_lane(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    log.write_bytes(event_line(host="n" + "9" * 5000) + b"\n" + event_line(host="n" + "9" * 4000))
    with unchanged(log):
        result = command("timeline", log, "-o", tmp_path / "t.svg")
    assert result.returncode == 0, result.stderr
    assert b"2 events on 2 nodes" in result.stderr


def test_validate_reports_a_huge_integer_as_one_located_bad_line(run: Run, tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    log.write_bytes(event_line("9" * 5000) + b"\n" + GOOD + b"\n")
    status, out, _ = run("validate", log)
    assert status == 1
    assert out.startswith(f"{log}:1: not read: an integer of more than 4300 digits")
    assert out.endswith("1 event, 1 bad line, 0 other lines in 1 file\n")


# 2. Deep nesting: sweep the depths where the parser's limit and error reporting meet


@pytest.mark.parametrize("opening", ["[", '{"a": ', '{"name": "x", "source": "AGENT", "m": '])
def test_every_depth_is_read_or_refused_without_recursion(opening: str) -> None:
    for depth in [*range(MAX_DEPTH - 5, MAX_DEPTH + 5), *range(200, 6000, 97), 50_000]:
        closing = "]" if opening == "[" else "}"
        for text in (opening * depth, opening * depth + "1" + closing * depth):
            with contextlib.suppress(InvalidEventError):
                parse_json(text)
            with contextlib.suppress(InvalidEventError):
                Event.deserialize(text)
            [line] = EventLog(["x {" + text])
            assert line.event is None
            assert line.error


def test_the_directive_content_is_refused_at_every_depth_with_a_content_error() -> None:
    from sphinxext.event_json._content import ContentError, parse_event

    depths = [*range(MAX_DEPTH - 3, MAX_DEPTH + 3), *range(150, 1200, 37), 5000, 30_000]
    for depth in depths:
        for text in (
            '{"name": "x", "source": "AGENT", "metadata": ' + "[" * depth + "]" * depth + "}",
            "Event('x', 'AGENT', metadata={'a': " + "[" * depth + "]" * depth + "})",
            "Event('x', 'AGENT', metadata=" + "(" * depth + ")" * depth + ")",
        ):
            with pytest.raises(ContentError):
                parse_event(text, Event)


def test_validate_sweeps_depths_as_bad_lines(run: Run, tmp_path: Path) -> None:
    log = tmp_path / "deep.log"
    depths = range(1, 3000, 13)
    log.write_text("".join('{"a": ' * depth + "\n" for depth in depths))
    status, out, _ = run("validate", log)
    assert status == 1
    assert out.endswith(f"0 events, {len(depths)} bad lines, 0 other lines in 1 file\n")


# 3. Unbounded lines


def reference_lines(data: bytes) -> list[bytes]:
    """Lines as Python's universal newlines split them: at \\n, \\r\\n or \\r."""
    return data.splitlines()


class Trickle(io.RawIOBase):
    """A stream that gives its bytes a few at a time, as a pipe may."""

    def __init__(self, data: bytes, sizes: list[int]) -> None:
        self.data, self.sizes, self.index = data, sizes or [1], 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        step = self.sizes[self.index % len(self.sizes)]
        self.index += 1
        chunk, self.data = self.data[:step], self.data[step:]
        return chunk


@HOSTILE
@given(
    lines=st.lists(st.tuples(hostile_lines, line_endings), max_size=30),
    sizes=st.lists(st.integers(min_value=1, max_value=300), max_size=5),
    limit=st.integers(min_value=1, max_value=400),
)
def test_a_stream_is_split_as_universal_newlines_with_long_lines_reported(
    lines: list[tuple[bytes, bytes]], sizes: list[int], limit: int
) -> None:
    data = b"".join(line + (end or b"\n") for line, end in lines)
    # Not a stream that starts as compressed data or with a UTF-16 or UTF-32 byte order mark.
    assume(not data.startswith((b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\xff\xfe", b"\xfe\xff")))
    assume(not data.startswith(b"\x00\x00\xfe\xff"))
    expected = reference_lines(data)
    got = list(EventLog(Trickle(data, sizes), max_line=limit))
    # Each event line once: good, bad, or too long (told before it is known to hold a "{").
    events = [line for line in expected if b"{" in line or len(line) > limit]
    assert len(got) == len(events)
    for read, line in zip(got, events, strict=True):
        if len(line) > limit:
            assert read.error.startswith(f"not read: the line is longer than {limit:,} bytes")
        elif read.event is None:
            assert read.error


@st.composite
def lines_about_a_limit(draw: st.DrawFn) -> tuple[int, list[int], bytes]:
    """A limit, pieces' sizes about it, and lines one byte shorter, as long or one longer."""
    limit = draw(st.integers(min_value=1, max_value=80))
    lengths = st.sampled_from([limit - 1, limit, limit + 1]) | st.integers(0, 2 * limit)
    tails = st.sampled_from([b"", b"{", b'{"name": 1}', GOOD])  # Other, bad and good lines.
    ends = st.sampled_from([b"\n", b"\r\n", b"\r"])
    data = b""
    for length, tail, end in draw(st.lists(st.tuples(lengths, tails, ends), max_size=10)):
        data += b"x" * (length - len(tail)) + tail + end  # Never compressed data's first bytes.
    if draw(st.booleans()):
        data = data.rstrip(b"\r\n")  # The last line without its end.
    sizes = draw(st.lists(st.integers(min_value=1, max_value=limit + 2), min_size=1, max_size=4))
    return limit, sizes, data


def read_all(log: EventLog) -> list[object]:
    lines = [(line.number, line.event, line.error, line.time) for line in log]
    return [*lines, (log.events, log.bad, log.other)]


@HOSTILE
@given(lines_about_a_limit())
# A line of the limit in pieces: after a line ended in the same piece; ending a piece; after a
# line past the limit.
@example((5, [3], b"x\nxxxxx\n"))
@example((5, [7], b"x\nxxxxx\n"))
@example((5, [3], b"xxxxxx\nxxxx{\n"))
def test_a_stream_in_any_pieces_reads_as_its_lines_given_one_by_one(
    drawn: tuple[int, list[int], bytes],
) -> None:
    limit, sizes, data = drawn
    assert read_all(EventLog(Trickle(data, sizes), max_line=limit)) == read_all(
        EventLog(data.splitlines(), max_line=limit)
    )


class Asked(io.BytesIO):
    """A file that remembers the most it was asked for at once."""

    most = 0

    def read1(self, size: int = -1) -> bytes:
        self.most = max(self.most, size)
        return super().read1(size)


def test_a_stream_is_read_at_most_64_kib_at_a_time() -> None:
    """What reading holds beside its line: bounded however large the stream is."""
    stream = Asked((GOOD + b"\n") * 10_000)
    log = EventLog(stream)
    assert sum(1 for _ in log) == 10_000
    assert 0 < stream.most <= 1 << 16


@HOSTILE
@given(lines=st.lists(hostile_lines, max_size=20), limit=st.integers(1, 100))
def test_text_and_given_lines_keep_the_limit_too(lines: list[bytes], limit: int) -> None:
    text = "".join(line.decode("utf-8", "replace") + "\n" for line in lines)
    for log in (
        EventLog(io.StringIO(text), max_line=limit),
        EventLog(text.splitlines(), max_line=limit),
    ):
        for read in log:
            assert read.event is not None or read.error


def test_a_gigabyte_without_a_newline_is_one_bad_line_in_bounded_memory() -> None:
    """1 GiB of ``{`` from a pipe, read under an address-space limit of 400 MiB."""
    writer = subprocess.Popen(
        [sys.executable, "-c", "import sys\nb = b'{' * (1 << 20)\n"
         "for _ in range(1024): sys.stdout.buffer.write(b)\nsys.stdout.buffer.write(b'\\n{}\\n')"],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    limit = (
        "import resource, runpy, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (400 << 20, 400 << 20))\n"
        "sys.argv = ['elastic-events', 'validate', '-']\n"
        "runpy.run_module('elastic_events', run_name='__main__')\n"
    )
    try:
        result = subprocess.run(
            [sys.executable, "-c", limit],
            stdin=writer.stdout,
            capture_output=True,
            timeout=110,
            check=False,
            cwd=ROOT,
        )
    finally:
        assert writer.stdout is not None
        writer.stdout.close()
        writer.wait(timeout=10)
    assert (
        result.stderr
        == b"elastic-events: note: <stdin> holds no event: 2 bad lines and 0 other lines\n"
    )
    assert (
        result.stdout
        == (
            f"<stdin>:1: not read: the line is longer than {MAX_LINE:,} bytes (the limit; see "
            "max_line); skipped to its end\n"
            "<stdin>:2: neither an Event (which has 'source') nor an RdzvEvent (which has "
            "'run_id', 'message', 'hostname', 'pid', 'node_state'); this object has no fields\n"
            "0 events, 2 bad lines, 0 other lines in 1 file\n"
        ).encode()
    )
    assert result.returncode == 1


def test_max_line_is_an_option_of_every_command(run: Run, tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    log.write_bytes(GOOD + b"\n" + b"{" + b" " * 100 + b"\n" + GOOD + b"\n")
    with unchanged(log):
        status, out, _ = run("validate", "--max-line", "80", log)
        assert (status, out.splitlines()[-1]) == (
            1,
            "2 events, 1 bad line, 0 other lines in 1 file",
        )
        assert run("show", "--max-line", "80", log)[0] == 1
        assert run("timeline", "--max-line", "80", log, "-o", tmp_path / "t.svg")[0] == 1
    with pytest.raises(SystemExit):
        main(["validate", "--max-line", "0", str(log)])


# 4. Lone surrogates and broken encodings


def test_a_lone_surrogate_is_shown_escaped_by_show(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    log.write_bytes(b'{"name": "x\\ud800", "source": "AGENT", "metadata": {"h": "\\udfff"}}\n')
    result = command("show", log)
    assert (result.returncode, result.stderr) == (0, b"")
    assert b"x\\ud800" in result.stdout
    assert b"h=\\udfff" in result.stdout


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"name": "x\xff", "source": "AGENT"}', "not UTF-8 text (invalid start byte)"),
        (b'{"name": "\xc3\x28", "source": "AGENT"}', "not UTF-8 text (invalid continuation byte)"),
    ],
)
def test_invalid_utf8_is_located_alike_by_deserialize_and_eventlog(
    data: bytes, reason: str
) -> None:
    with pytest.raises(InvalidEventError) as raised:
        Event.deserialize(data)
    assert raised.value.reason == reason
    [line] = EventLog([data])
    column = raised.value.column
    assert line.error == str(raised.value).replace(f"line 1, column {column}", f"column {column}")


@pytest.mark.parametrize(("bom", "encoding"), [("utf-16", "UTF-16"), ("utf-32", "UTF-32")])
def test_a_wide_byte_order_mark_is_said_alike_everywhere(
    run: Run, tmp_path: Path, bom: str, encoding: str
) -> None:
    data = (GOOD.decode() + "\n").encode(bom)
    with pytest.raises(InvalidEventError) as raised:
        Event.deserialize(data)
    message = str(raised.value)
    assert f"{encoding} text" in message
    assert [line.error for line in EventLog(io.BytesIO(data))] == [message]
    log = tmp_path / "wide.log"
    log.write_bytes(data)
    assert run("validate", log)[1].startswith(f"{log}:1: {message}\n")


def test_a_utf8_byte_order_mark_is_ignored_everywhere() -> None:
    data = b"\xef\xbb\xbf" + GOOD
    assert Event.deserialize(data).name == "started"
    assert [line.error for line in EventLog(io.BytesIO(data + b"\n" + data))] == ["", ""]
    assert [line.error for line in EventLog([data.decode()])] == [""]


@pytest.mark.parametrize("ending", [b"\r", b"\r\n", b"\n"])
def test_every_line_ending_reads_every_event(run: Run, tmp_path: Path, ending: bytes) -> None:
    log = tmp_path / "run.log"
    log.write_bytes(ending.join([GOOD, b"other", GOOD, b""]))
    assert run("validate", log) == (0, "2 events, 0 bad lines, 1 other line in 1 file\n", "")


# 5. Invisible and bidi characters


def _shown(text: str) -> bool:
    return not any(unicodedata.category(char) in ("Cc", "Cf", "Cs") for char in text)


def test_every_format_control_and_surrogate_character_is_escaped() -> None:
    hidden = [
        chr(code)
        for code in range(0x110000)
        if unicodedata.category(chr(code)) in ("Cc", "Cf", "Cs")
    ]
    assert all(visible_text(char) != char and visible_text(char).isascii() for char in hidden)
    assert visible_text("node-1 é ü 中 🚀") == "node-1 é ü 中 🚀"


@HOSTILE
@given(host=disguised_text, name=disguised_text)
def test_no_disguising_character_reaches_a_table_or_a_picture(host: str, name: str) -> None:
    lines = list(EventLog([Event(name, "AGENT", metadata={"hostname": host}).serialize()]))
    row = table_row(lines[0])
    assert all(_shown(cell) for cell in row.values())
    root = ET.fromstring(Timeline(lines).svg())
    assert all(_shown("".join(t.itertext())) for t in root.iter(f"{SVG}text"))
    assert all(_shown(t.text or "") for t in root.iter(f"{SVG}title"))


def test_lookalike_hosts_look_different(run: Run, tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    log.write_bytes(
        event_line(host="node-1")
        + b"\n"
        + event_line(host="node-1\u200b")
        + b"\n"
        + event_line(host="\u202e1-edon\u202c")
        + b"\n"
    )
    status, out, _ = run("show", log)
    assert status == 0
    assert "node-1\\u200b" in out
    assert "\\u202e1-edon\\u202c" in out
    assert "\u202e" not in out
    assert "\u200b" not in out


def test_show_aligns_columns_by_display_width(run: Run, tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    hosts = ["node-1", "节点-2", "e\u0301e\u0301-3"]
    log.write_bytes(b"\n".join(event_line(host=host, name=host) for host in hosts) + b"\n")
    out = run("show", log)[1].splitlines()

    def width(text: str) -> int:
        return sum(
            0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
            for c in text
        )

    # The NODE column starts at the same terminal column in every row.
    starts = {
        width(row[: row.index(host, row.index(host) + 1)])
        for row, host in zip(out[1:], hosts, strict=True)
    }
    assert len(starts) == 1


# 6. I/O faults


@pytest.mark.parametrize(
    "subcommand", [["validate", "-"], ["show", "-"], ["timeline", "-", "-o", "-"]]
)
def test_a_closed_stdin_is_one_line_and_exit_2(subcommand: list[str]) -> None:
    result = command(*subcommand, stdin=None, preexec_fn=lambda: os.close(0))
    assert result.returncode == 2
    assert result.stderr == b"elastic-events: error: cannot read the standard input: it is closed\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("subcommand", [["validate"], ["show"], ["show", "--json"]])
def test_a_full_disk_is_one_line_and_exit_2(subcommand: list[str]) -> None:
    with open("/dev/full", "wb") as full:
        result = command(*subcommand, SAMPLE, stdout=full)
    assert result.returncode == 2
    assert result.stderr == (
        b"elastic-events: error: cannot write the standard output: No space left on device\n"
    )


def _closed_early(args: list[str | Path]) -> tuple[int, bytes]:
    """Run the command, read one line of its output, close the pipe; its status and stderr."""
    process = subprocess.Popen(
        [sys.executable, "-m", "elastic_events", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    process.stdout.readline()
    process.stdout.close()
    try:
        status = process.wait(timeout=60)
        err = process.stderr.read()
    finally:
        process.kill()
        process.stderr.close()
    return status, err


@pytest.mark.parametrize(("bad", "verdict"), [(True, 1), (False, 0)])
def test_validate_keeps_its_verdict_when_its_output_closes(
    tmp_path: Path, bad: bool, verdict: int
) -> None:
    log = tmp_path / "run.log"
    lines = [b'{"name": ' if bad else GOOD] * 200_000 + [GOOD]
    log.write_bytes(b"\n".join(lines) + b"\n")
    with unchanged(log):
        status, err = _closed_early(["validate", log, log] if bad else ["validate", log, "-x"])
    if bad:
        assert (status, err) == (verdict, b"")
    else:
        assert status == 2  # No such file: "-x" is a usage error, the verdict of argparse.


def test_show_into_a_closed_pipe_is_one_line_and_exit_2(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    log.write_bytes((GOOD + b"\n") * 200_000)
    status, err = _closed_early(["show", log])
    assert status == 2
    assert err == b"elastic-events: error: cannot write the standard output: Broken pipe\n"


# 7. Output paths


@pytest.mark.parametrize("through", ["path", "symlink", "hardlink", "relative"])
def test_timeline_never_overwrites_its_log(tmp_path: Path, through: str, run: Run) -> None:
    log = tmp_path / "run.log"
    log.write_bytes(SAMPLE.read_bytes())
    output: str | Path = log
    if through == "symlink":
        output = tmp_path / "link.svg"
        output.symlink_to(log)
    elif through == "hardlink":
        output = tmp_path / "hard.svg"
        os.link(log, output)
    elif through == "relative":
        output = os.path.relpath(log)
    with unchanged(log):
        status, out, err = run("timeline", log, "-o", output)
    assert (status, out) == (2, "")
    assert err == (
        f"elastic-events: error: will not write {str(output)!r}: it is the log being read "
        "(give another -o)\n"
    )


def test_timeline_to_stdout_keeps_the_status_out_of_the_picture(tmp_path: Path) -> None:
    for output in ("-", "/dev/stdout"):
        result = command("timeline", SAMPLE, "-o", output)
        assert result.returncode == 0, result.stderr
        ET.fromstring(result.stdout)
        assert result.stderr.startswith(b"wrote ")


def test_a_failed_write_leaves_the_old_picture_whole(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    svg = tmp_path / "t.svg"
    svg.write_text("the old picture")
    svg.chmod(0o640)

    def failing(source: str, target: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.replace", failing)
    status, _, err = run("timeline", SAMPLE, "-o", svg)
    assert (status, err) == (
        2,
        f"elastic-events: error: cannot write {str(svg)!r}: No space left on device\n",
    )
    assert svg.read_text() == "the old picture"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.svg"]  # No temporary file left.
    monkeypatch.undo()
    assert run("timeline", SAMPLE, "-o", svg)[0] == 0
    assert svg.read_text().startswith("<svg")
    assert svg.stat().st_mode & 0o777 == 0o640  # The picture replaced keeps its permissions.


# 8. Answers that are silently wrong


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress, lzma.compress])
def test_compressed_logs_read_as_the_plain_one(
    run: Run, tmp_path: Path, compress: Callable[[bytes], bytes]
) -> None:
    data = SAMPLE.read_bytes() + b"other\n{\n"
    plain, packed = tmp_path / "run.log", tmp_path / "run.log.x"
    plain.write_bytes(data)
    packed.write_bytes(compress(data))
    with unchanged(plain, packed):
        expected = run("validate", plain)[1].replace(str(plain), "LOG")
        assert run("validate", packed)[1].replace(str(packed), "LOG") == expected
        assert run("show", "--json", packed)[1] == run("show", "--json", plain)[1]
    with open(packed, "rb") as stream:
        log = EventLog(stream)
        assert len(list(log)) == 7
    assert log.compression in ("gzip", "bzip2", "xz")


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress, lzma.compress])
def test_compressed_data_cut_short_is_one_bad_line_after_the_rest(
    run: Run, tmp_path: Path, compress: Callable[[bytes], bytes]
) -> None:
    data = compress(SAMPLE.read_bytes() * 50)
    log = tmp_path / "cut.log"
    log.write_bytes(data[: len(data) * 3 // 4])
    status, out, _ = run("validate", log)
    assert status == 1
    [problem] = [line for line in out.splitlines() if "cut short or damaged" in line]
    assert problem.startswith(f"{log}:")
    assert "the lines before this one were read" in problem


@HOSTILE
@given(data=st.binary(max_size=200), magic=st.sampled_from([b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00"]))
def test_garbage_after_a_compression_magic_never_raises(data: bytes, magic: bytes) -> None:
    for line in EventLog(io.BytesIO(magic + data)):
        assert line.error or line.event is not None


def test_a_file_without_any_event_is_said(run: Run, tmp_path: Path) -> None:
    log = tmp_path / "notes.txt"
    log.write_bytes(b"nothing\nhere\n")
    assert run("validate", log) == (
        0,
        "0 events, 0 bad lines, 2 other lines in 1 file\n",
        f"elastic-events: note: {log} holds no event: 0 bad lines and 2 other lines\n",
    )


def test_show_keeps_a_time_that_comes_after_the_rows_that_sized_the_table(
    run: Run, tmp_path: Path
) -> None:
    log = tmp_path / "run.log"
    log.write_bytes((GOOD + b"\n") * 1500 + event_line("1718020801000") + b"\n")
    out = run("show", log)[1].splitlines()
    assert "TIME" not in out[0]
    assert out[-1].endswith("time=2024-06-10T12:00:01.000Z")


# 9. One policy for duplicate keys and constants


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            '{"name": "a", "name": "b", "source": "AGENT"}',
            "the key 'name' appears twice in one object",
        ),
        ('{"name": "a", "source": "AGENT", "timestamp": NaN}', "NaN is not a JSON value"),
        (
            '{"name": "a", "source": "AGENT", "metadata": {"x": 1e999}}',
            "a number too large for a float",
        ),
    ],
)
def test_duplicate_keys_and_constants_are_refused_alike_everywhere(
    run: Run, tmp_path: Path, text: str, reason: str
) -> None:
    with pytest.raises(InvalidEventError) as raised:
        parse_json(text)
    assert raised.value.reason == reason
    with pytest.raises(InvalidEventError) as raised:
        Event.deserialize(text.encode())
    assert raised.value.reason == reason
    [line] = EventLog([text])
    assert line.error == str(raised.value)
    log = tmp_path / "run.log"
    log.write_text(text + "\n")
    assert run("validate", log)[1].startswith(f"{log}:1: {raised.value}\n")


# The extension: poison lines in logs, hostile examples, every builder


POISON = [
    event_line("9" * 5000),  # An integer past Python's limit.
    b"x " + b'{"a": ' * 3000,  # Deep nesting.
    event_line("1" + "0" * 400, host="n" + "9" * 5000),  # A timestamp past floats, a huge host.
    event_line("1", host="\u202e1-edon\u202c"),  # Bidi controls.
    event_line("2", host="node-1\u200b", name="x\\ud800"),  # Zero-width, a lone surrogate.
    b'{"name": "x\xff", "source": "AGENT"}',  # Not UTF-8.
    b'{"name": "a", "name": "b", "source": "AGENT"}',  # A key twice.
    json.dumps(
        {
            "name": "t",
            "run_id": "r",
            "message": "m\u202e",
            "hostname": "h\ud800",
            "pid": 1,
            "node_state": "FAILED",
            "error_trace": "Traceback\n\ud800\u202e boom",
        }
    ).encode(),
]


@pytest.fixture(scope="module")
def poisoned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("poison")
    (root / "conf.py").write_text(
        'extensions = ["sphinxext.event_json"]\nexclude_patterns = ["_build"]\n'
    )
    (root / "run.log").write_bytes(b"\n".join(POISON) + b"\n")
    (root / "run.log.gz").write_bytes(gzip.compress(b"\n".join(POISON) + b"\n"))
    example = json.dumps(
        {"name": "\u202e\ud800x", "source": "AGENT", "metadata": {"\u200b": "\udfff"}}
    )
    (root / "index.rst").write_text(
        "Poison\n======\n\n"
        ".. event-log:: run.log\n   :tracebacks:\n\n"
        ".. event-timeline:: run.log\n\n"
        ".. event-log:: run.log.gz\n\n"
        ".. event-json:: Event\n\n   " + example + "\n\n"
        ".. event-json:: RdzvEvent\n\n"
        "   RdzvEvent(name='\\u202e', run_id='\\ud800', message='m', hostname='h', pid=1,\n"
        "             node_state='FAILED', error_trace='\\udfff')\n\n"
        "The end.\n",
        encoding="utf-8",
    )
    return root


@pytest.mark.parametrize("builder", ["html", "text", "man", "latex"])
def test_a_poisoned_page_builds_with_every_builder_and_located_warnings(
    poisoned: Path, builder: str
) -> None:
    log = poisoned / "run.log"
    with unchanged(log, poisoned / "index.rst"):
        result = sphinx_build("-b", builder, poisoned, poisoned / "_build" / builder, cwd=poisoned)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "Exception occurred" not in result.stderr
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line]
    located = {line.split(": WARNING")[0] for line in warnings}
    for number in (1, 2, 6, 7):
        assert f"{log}:{number}" in located, result.stderr
    assert f"{poisoned / 'run.log.gz'}:1" in located
    assert all("event-log" in line or "event-timeline" in line for line in warnings)
    out = poisoned / "_build" / builder
    text = "".join(
        p.read_text(encoding="utf-8")
        for p in out.rglob("*")
        if p.suffix in {".txt", ".1", ".tex", ".html"}
    )
    assert "\u202e" not in text
    assert "u202e" in text  # Escaped: a backslash is written differently by each builder.
