"""The ``elastic-events`` command: exit statuses and exact messages of validate, show, timeline."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from elastic_events import Event, EventSource, NodeState, RdzvEvent, visible_text
from elastic_events._cli import main
from tests.test_timeline import SVG, simulated_log

Run = Callable[..., tuple[int, str, str]]
Log = Callable[..., Path]
Stdin = Callable[[bytes], None]

SAMPLE = Path(__file__).parent / "data" / "torchelastic-examples.jsonl"
GOOD = b'{"name": "started", "source": "AGENT", "timestamp": 0, "metadata": {}}\n'


@pytest.fixture
def log(tmp_path: Path) -> Log:
    """Write a log file of these lines (bytes or text) and give its path."""

    def log(*lines: bytes | str, name: str = "run.log") -> Path:
        path = tmp_path / name
        path.write_bytes(b"".join(x if isinstance(x, bytes) else x.encode() for x in lines))
        return path

    return log


@pytest.fixture
def stdin(monkeypatch: pytest.MonkeyPatch) -> Stdin:
    def feed(data: bytes) -> None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))

    return feed


# validate


def test_validate_a_good_log_exits_0_with_a_summary(run: Run, log: Log) -> None:
    path = log(SAMPLE.read_bytes())
    assert run("validate", path) == (0, "6 events, 0 bad lines, 0 other lines in 1 file\n", "")


def test_validate_reports_every_bad_line_as_file_line_message_and_exits_1(
    run: Run, log: Log
) -> None:
    path = log(
        "2024-06-10 12:00:00 INFO agent starting\n",
        GOOD,
        '{"name": "x", "source": "AGENT", "timestamp": 0, "metad',  # Truncated by a crash...
        "\n",
        b"\x00\x01garbage{\xff\xfe\n",
        '{"name": "j", "run_id": "r", "message": "m", "hostname": "h", "pid": "42", '
        '"node_state": "RUNNING"}\n',
        GOOD,
    )
    status, out, err = run("validate", path)
    assert (status, err) == (1, "")
    assert out.splitlines() == [
        f"{path}:3: not valid JSON: Unterminated string starting at column 50",
        f"{path}:4: not UTF-8 text: byte 0xff at column 11 (invalid start byte)",
        f"{path}:5: field 'pid' must be an integer; got '42' (a string)",
        "2 events, 3 bad lines, 1 other line in 1 file",
    ]


def test_validate_an_empty_file_exits_0_and_says_it_holds_no_event(run: Run, log: Log) -> None:
    path = log()
    assert run("validate", path) == (
        0,
        "0 events, 0 bad lines, 0 other lines in 1 file\n",
        f"elastic-events: note: {path} holds no event: 0 bad lines and 0 other lines\n",
    )


def test_validate_a_missing_file_says_which_and_why_and_exits_2(
    run: Run, log: Log, tmp_path: Path
) -> None:
    missing = tmp_path / "nope.log"
    status, out, err = run("validate", log(GOOD), missing)
    assert status == 2
    assert err == f"elastic-events: error: cannot read '{missing}': No such file or directory\n"
    assert out == "1 event, 0 bad lines, 0 other lines in 1 file; 1 file could not be read\n"


def test_validate_a_directory_exits_2(run: Run, tmp_path: Path) -> None:
    status, _, err = run("validate", tmp_path)
    assert status == 2
    assert err == f"elastic-events: error: cannot read '{tmp_path}': Is a directory\n"


def test_validate_reads_stdin_for_a_dash(run: Run, stdin: Stdin) -> None:
    stdin(GOOD + b"{oops\n")
    status, out, _ = run("validate", "-")
    assert status == 1
    assert out.splitlines() == [
        "<stdin>:2: not valid JSON: Expecting property name enclosed in double quotes at column 2",
        "1 event, 1 bad line, 0 other lines in 1 file",
    ]


def test_validate_sums_several_files(run: Run, log: Log) -> None:
    first, second = log(GOOD, "x\n", name="a.log"), log(GOOD, "{\n", name="b.log")
    status, out, _ = run("validate", first, second)
    assert status == 1
    assert out.splitlines() == [
        f"{second}:2: not valid JSON: Expecting property name enclosed in double quotes "
        "at column 2",
        "2 events, 1 bad line, 1 other line in 2 files",
    ]


def test_validate_a_10_mb_single_line(run: Run, log: Log) -> None:
    event = Event("big", EventSource.WORKER, metadata={"blob": "x" * 10_000_000})
    assert run("validate", log(event.serialize()))[:2] == (
        0,
        "1 event, 0 bad lines, 0 other lines in 1 file\n",
    )
    truncated = log(event.serialize()[:-3])
    assert run("validate", truncated)[:2] == (
        1,
        f"{truncated}:1: not valid JSON: Unterminated string starting at column 74\n"
        "0 events, 1 bad line, 0 other lines in 1 file\n",
    )


def test_usage_errors_exit_2(run: Run) -> None:
    assert run() == (
        2,
        "",
        "usage: elastic-events [-h] [--version] COMMAND ...\n"
        "elastic-events: error: say which command: validate, show or timeline\n",
    )
    with pytest.raises(SystemExit) as exited:
        main(["validate"])
    assert exited.value.code == 2
    with pytest.raises(SystemExit) as exited:
        main(["frobnicate"])
    assert exited.value.code == 2


def test_python_m_elastic_events_runs_the_command(log: Log) -> None:
    path = log(GOOD, "{\n")
    result = subprocess.run(
        [sys.executable, "-m", "elastic_events", "validate", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout.endswith("1 event, 1 bad line, 0 other lines in 1 file\n")


def test_the_console_script_is_declared() -> None:
    (script,) = entry_points(group="console_scripts", name="elastic-events")
    assert script.value == "elastic_events._cli:main"


# show


def test_show_prints_a_table_in_log_order_without_a_time_column_when_no_event_has_one(
    run: Run,
) -> None:
    status, out, err = run("show", SAMPLE)
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["LINE", "SOURCE/STATE", "NAME", "NODE", "DETAILS"]
    assert [line.split()[:3] for line in lines[1:]] == [
        ["1", "AGENT", "torchelastic.worker.status.RENDEZVOUS"],
        ["2", "WORKER", "torchelastic.worker.status.START"],
        ["3", "WORKER", "torchelastic.worker.status.FAILED"],
        ["4", "AGENT", "torchelastic.worker.status.SUCCEEDED"],
        ["5", "AGENT", "timer"],
        ["6", "RUNNING", "dynamic_rendezvous.py:DynamicRendezvousHandler.next_rendezvous"],
    ]
    # The node is the agent's (group_rank); the worker's own global_rank is a detail.
    node = "gpu-node-0.cluster.internal rank 0  run_id=llama-ft-7f3a global_rank=1 worker_id"
    assert node in lines[2]
    assert lines[6].endswith(
        "run_id=llama-ft-7f3a The node 'gpu-node-0.cluster.internal_48190_0' has joined round 1 "
        "of the rendezvous 'llama-ft-7f3a' as rank 0 in a world of size 2."
    )


def test_show_has_a_time_column_when_events_carry_timestamps(run: Run, log: Log) -> None:
    path = log(Event("e", EventSource.AGENT, timestamp=1_718_031_234_567).serialize())
    out = run("show", path)[1]
    assert out.splitlines()[1].split()[:2] == ["1", "2024-06-10T14:53:54.567Z"]


def test_show_json_prints_one_normalized_event_a_line(run: Run, log: Log) -> None:
    path = log(
        'INFO {"source":"WORKER","name":"w"}\n',
        '{"name":"j","run_id":"r","message":"m","hostname":"h","pid":1,"node_state":"INIT"}\n',
    )
    status, out, _ = run("show", "--json", path)
    assert status == 0
    assert out.splitlines() == [
        '{"name": "w", "source": "WORKER", "timestamp": 0, "metadata": {}}',
        '{"name": "j", "run_id": "r", "message": "m", "hostname": "h", "pid": 1, '
        '"node_state": "INIT", "master_endpoint": "", "rank": null, "local_id": null, '
        '"error_trace": ""}',
    ]


RENDEZVOUS, START, FAILED, SUCCEEDED = (
    f"torchelastic.worker.status.{state}"
    for state in ("RENDEZVOUS", "START", "FAILED", "SUCCEEDED")
)
TIMER, JOIN = "timer expired", "dynamic_rendezvous.py:DynamicRendezvousHandler.next_rendezvous"


@pytest.mark.parametrize(
    ("options", "names"),
    [
        (["--name", "torchelastic.worker.status.*"], [RENDEZVOUS, START, FAILED, SUCCEEDED]),
        (["--name", "*FAIL*"], [FAILED]),
        (["--source", "worker"], [START, FAILED]),
        (["--state", "failed"], [FAILED]),
        (["--state", "RUNNING"], [TIMER, JOIN]),
        (["--run-id", "llama-ft-7f3a", "--source", "AGENT"], [RENDEZVOUS, SUCCEEDED, TIMER]),
        (["--run-id", "other"], []),
    ],
)
def test_show_filters_select_events(run: Run, options: list[str], names: list[str]) -> None:
    status, out, _ = run("show", "--json", *options, SAMPLE)
    assert status == 0
    assert [json.loads(line)["name"] for line in out.splitlines()] == names


def test_show_says_so_when_no_event_matches(run: Run) -> None:
    assert run("show", "--run-id", "other", SAMPLE) == (0, "", "no events to show\n")


def test_show_reports_bad_lines_on_stderr_shows_the_rest_and_exits_1(run: Run, log: Log) -> None:
    path = log(GOOD, '{"name": "x"}\n', GOOD)
    status, out, err = run("show", "--json", path)
    assert status == 1
    assert out == GOOD.decode().replace("{", "{", 1) * 2
    assert err == (
        f"{path}:2: neither an Event (which has 'source') nor an RdzvEvent (which has 'run_id', "
        "'message', 'hostname', 'pid', 'node_state'); this object has 'name'\n"
    )


def test_show_makes_control_characters_in_events_visible(run: Run, log: Log) -> None:
    event = RdzvEvent("a\nb\x1b[2J", "r", "line1\nline2", "h", 1, NodeState.FAILED)
    out = run("show", log(event.serialize()))[1]
    assert "\x1b" not in out
    assert out.splitlines()[1].split()[:3] == ["1", "FAILED", "a\\nb\\x1b[2J"]


def test_show_rejects_an_unknown_source(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["show", "--source", "boss", str(SAMPLE)])
    assert "argument --source: invalid choice: 'BOSS'" in capsys.readouterr().err


def test_show_a_missing_file_exits_2(run: Run, tmp_path: Path) -> None:
    assert run("show", tmp_path / "x.log") == (
        2,
        "",
        f"elastic-events: error: cannot read '{tmp_path / 'x.log'}': No such file or directory\n",
    )


# timeline


@pytest.mark.parametrize("nodes", [4, 256])
def test_timeline_writes_an_svg_with_a_lane_per_node(
    run: Run, log: Log, tmp_path: Path, nodes: int
) -> None:
    path = log("\n".join(simulated_log(nodes)) + "\n")
    svg = tmp_path / "run.svg"
    status, out, err = run("timeline", path, "-o", svg)
    assert (status, out) == (0, "")
    assert err == f"wrote {svg}: {3 * nodes + 1 + nodes} events on {nodes} nodes, 1 failure\n"
    root = ET.parse(svg).getroot()
    assert root.tag == f"{SVG}svg"
    assert root[0].text == f"Events of {path} by node"
    labels = {"".join(t.itertext()) for t in root.iter(f"{SVG}text")}
    assert {f"node-{n} rank {n}" for n in range(nodes)} <= labels


def test_timeline_escapes_names_and_title(run: Run, log: Log, tmp_path: Path) -> None:
    hostile = "<script>alert('&')</script>"
    line = RdzvEvent(hostile, hostile, hostile, hostile, 1, NodeState.RUNNING).serialize()
    svg = tmp_path / "x.svg"
    assert run("timeline", log(line), "-o", svg, "--title", hostile)[0] == 0
    text = svg.read_text()
    assert "<script>" not in text
    root = ET.fromstring(text)
    assert root[0].text == hostile
    assert hostile in {"".join(t.itertext()) for t in root.iter(f"{SVG}text")}


def test_timeline_to_stdout_and_filtered(run: Run) -> None:
    status, out, _ = run("timeline", SAMPLE, "-o", "-", "--source", "WORKER")
    assert status == 0
    root = ET.fromstring(out)
    assert root[1].text is not None
    assert root[1].text.startswith("Timeline of 2 events from 1 node;")


def test_timeline_that_cannot_be_written_exits_2(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "dir.svg"
    assert run("timeline", SAMPLE, "-o", target) == (
        2,
        "",
        f"elastic-events: error: cannot write '{target}': No such file or directory\n",
    )


def test_timeline_reports_bad_lines_and_draws_the_rest(run: Run, log: Log, tmp_path: Path) -> None:
    path = log(SAMPLE.read_bytes(), b"{\n")
    status, out, err = run("timeline", path, "-o", tmp_path / "t.svg")
    assert (status, out) == (1, "")
    assert err == (
        f"{path}:7: not valid JSON: Expecting property name enclosed in double quotes at column 2\n"
        f"wrote {tmp_path / 't.svg'}: 6 events on 1 node, 1 failure\n"
    )


def test_timeline_of_many_events_suggests_filters(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("elastic_events._cli._CROWDED", 5)
    status, _, err = run("timeline", SAMPLE, "-o", tmp_path / "t.svg")
    assert (status, err) == (
        0,
        "elastic-events: note: 6 events make a crowded picture; "
        "--run-id, --name or --state draw fewer\n"
        f"wrote {tmp_path / 't.svg'}: 6 events on 1 node, 1 failure\n",
    )


# Interruptions


def test_an_interrupt_exits_130_without_a_traceback(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr("elastic_events._cli._validate", interrupted)
    assert run("validate", SAMPLE) == (130, "", "elastic-events: interrupted\n")


def test_a_closed_pipe_under_show_is_one_line_and_exit_2(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    def closed(*args: object) -> int:
        raise BrokenPipeError

    monkeypatch.setattr("elastic_events._cli._show", closed)
    monkeypatch.setattr("os.dup2", lambda *args: None)
    assert run("show", SAMPLE) == (
        2,
        "",
        "elastic-events: error: cannot write the standard output: Broken pipe\n",
    )


def test_show_and_timeline_read_stdin_for_a_dash(run: Run, stdin: Stdin) -> None:
    stdin(SAMPLE.read_bytes())
    status, out, _ = run("show", "--json", "--source", "WORKER", "-")
    assert status == 0
    assert [json.loads(line)["name"] for line in out.splitlines()] == [START, FAILED]
    stdin(b"noise\n" + SAMPLE.read_bytes())
    status, out, _ = run("timeline", "-", "-o", "-")
    assert status == 0
    assert ET.fromstring(out)[0].text == "Events of <stdin> by node"


def test_a_read_error_midway_reports_what_was_read_and_exits_2(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Failing(io.RawIOBase):
        """A pipe that gives one line, then fails as a broken disk does."""

        def __init__(self) -> None:
            self.lines = [b"{\n"]

        def read(self, size: int | None = -1) -> bytes:
            if self.lines:
                return self.lines.pop()
            raise OSError(5, "Input/output error")

    class Stdin:
        buffer = Failing()

    monkeypatch.setattr(sys, "stdin", Stdin())
    status, out, err = run("validate", "-")
    assert status == 2
    assert out == (
        "<stdin>:1: not valid JSON: Expecting property name enclosed in double quotes at column 2\n"
        "0 events, 1 bad line, 0 other lines in 0 files; 1 file could not be read\n"
    )
    assert err == "elastic-events: error: cannot read the standard input: Input/output error\n"


def test_every_character_the_table_escapes_is_one_that_isprintable_refuses() -> None:
    """visible_text() returns printable text as it is, without its regular expression: that is
    right only if each character it escapes is one that str.isprintable() refuses."""
    from elastic_events._views import _CONTROL, _SHOWN_IN_LINES

    for pattern in (_CONTROL, _SHOWN_IN_LINES):
        escaped = [chr(code) for code in range(0x110000) if pattern.match(chr(code))]
        assert len(escaped) > 200
        assert not any(char.isprintable() for char in escaped)
    assert visible_text("cut\u2026 n\u00e9") == "cut\u2026 n\u00e9"
    assert visible_text("cut\u2026\u200b") == "cut\u2026\\u200b"
