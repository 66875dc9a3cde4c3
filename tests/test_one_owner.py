"""One owner for each meaning: the extension uses the library's public names only, every reader
parses JSON alike, and every view of a log agrees on an event's node, rank and failure."""

from __future__ import annotations

import ast
import json
import pkgutil
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

import sphinxext
from elastic_events import MAX_DEPTH, Event, EventLog, InvalidEventError
from elastic_events._cli import main
from tests.sphinx_builds import sphinx_build

EXTENSION = Path(sphinxext.__path__[0])


# --- the extension stands on the library's public face ---------------------------------------


def _imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_no_module_of_the_extension_imports_a_private_name_of_the_library() -> None:
    files = sorted(EXTENSION.rglob("*.py"))
    assert files
    private = {
        str(path.relative_to(EXTENSION)): sorted(
            name
            for name in _imported_modules(path)
            if name.startswith("elastic_events.") and name.split(".")[1].startswith("_")
        )
        for path in files
    }
    assert {path: names for path, names in private.items() if names} == {}


def _loadable_modules() -> list[str]:
    """The modules under sphinxext/ that a conf.py could list: no part of their name private."""
    names = [info.name for info in pkgutil.walk_packages(sphinxext.__path__, "sphinxext.")]
    return [name for name in names if not any(part.startswith("_") for part in name.split("."))]


def test_the_one_public_module_of_the_extension_is_the_package() -> None:
    assert _loadable_modules() == ["sphinxext.event_json"]


@pytest.mark.parametrize("module", _loadable_modules())
def test_every_public_module_of_the_extension_loads_alone_under_w(
    module: str, tmp_path: Path
) -> None:
    (tmp_path / "conf.py").write_text(f"extensions = [{module!r}]\n", encoding="utf-8")
    (tmp_path / "index.rst").write_text("Title\n=====\n", encoding="utf-8")
    result = sphinx_build("-W", "-b", "html", tmp_path, tmp_path / "out", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")


# --- one parser: every entry point accepts and rejects the same documents ----------------------

_BASE = '"name": "n", "source": "WORKER"'
#: Documents on which JSON readers commonly disagree, or that break naive ones.
TRICKY = {
    "plain": "{" + _BASE + "}",
    "escapes": '{"name": "caf\\u00e9 \\"quoted\\" \\/", "source": "WORKER"}',
    "whitespace": '{ \t"name" :"n" ,\t "source":"WORKER" }',
    "byte-order-mark": "\ufeff{" + _BASE + "}",
    "big-float": "{" + _BASE + ', "metadata": {"x": 1e308}}',
    "negative-zero": "{" + _BASE + ', "timestamp": -0}',
    "duplicate-key": "{" + _BASE + ', "name": "m"}',
    "duplicate-metadata-key": "{" + _BASE + ', "metadata": {"a": 1, "a": 2}}',
    "nan": "{" + _BASE + ', "metadata": {"x": NaN}}',
    "infinity": "{" + _BASE + ', "metadata": {"x": Infinity}}',
    "minus-infinity": "{" + _BASE + ', "timestamp": -Infinity}',
    "float-overflow": "{" + _BASE + ', "metadata": {"x": 1e400}}',
    "huge-integer": "{" + _BASE + ', "timestamp": ' + "9" * 5000 + "}",
    "nested-a-little": "{" + _BASE + ', "metadata": {"x": [[1]]}}',
    "nested-at-the-limit": "{" + _BASE + ', "metadata": {"x": ' + "[" * 98 + "]" * 98 + "}}",
    "nested-too-deep": "{" + _BASE + ', "metadata": {"x": ' + "[" * 200 + "]" * 200 + "}}",
    "nested-very-deep": "{" + _BASE + ', "metadata": {"x": ' + "[" * 50_000 + "]" * 50_000 + "}}",
    "brackets-in-strings": '{"name": "' + "[{" * 300 + '", "source": "WORKER"}',
    "trailing-comma": "{" + _BASE + ",}",
    "single-quotes": "{'name': 'n', 'source': 'WORKER'}",
    "extra-data": "{" + _BASE + "} {}",
}
ACCEPTED = {"plain", "escapes", "whitespace", "byte-order-mark", "big-float", "negative-zero",
            "brackets-in-strings"}  # fmt: skip


def _by_deserialize(text: str) -> bool:
    try:
        Event.deserialize(text)
    except InvalidEventError:
        return True
    return False


def _by_event_log(text: str) -> bool:
    [line] = EventLog([text.encode()])
    return line.event is None


def _by_validate(text: str, tmp_path: Path) -> bool:
    log = tmp_path / "one.log"
    log.write_bytes(text.encode() + b"\n")
    return main(["validate", str(log)]) == 1


@pytest.fixture(scope="module")
def rejected_by_the_directive(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The documents that ``event-json`` rejects: one directive each, in one build."""
    root = tmp_path_factory.mktemp("tricky")
    (root / "conf.py").write_text('extensions = ["sphinxext.event_json"]\n', encoding="utf-8")
    parts, lines = ["Tricky", "======", ""], {}
    for name, text in TRICKY.items():
        # Warnings point at the directive or at its content, two lines below.
        lines.update(dict.fromkeys(range(len(parts) + 1, len(parts) + 4), name))
        parts += [".. event-json:: Event", "", "   " + text, ""]
    (root / "index.rst").write_text("\n".join(parts), encoding="utf-8")
    result = sphinx_build("-b", "html", root, root / "out", cwd=root)
    assert result.returncode == 0, result.stderr
    warned = {int(n) for n in re.findall(r"index\.rst:(\d+): WARNING: event-json", result.stderr)}
    assert warned <= set(lines), result.stderr
    return {lines[number] for number in warned}


@pytest.mark.parametrize("name", TRICKY)
def test_every_reader_accepts_and_rejects_the_same_documents(
    name: str,
    rejected_by_the_directive: set[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = TRICKY[name]
    outcomes = {
        "deserialize": _by_deserialize(text),
        "EventLog": _by_event_log(text),
        "validate": _by_validate(text, tmp_path),
        "event-json": name in rejected_by_the_directive,
    }
    expected = name not in ACCEPTED
    assert outcomes == dict.fromkeys(outcomes, expected)


def test_the_depth_limit_is_where_the_documents_say() -> None:
    assert MAX_DEPTH == 100  # nested-at-the-limit and nested-too-deep straddle it
    depth = TRICKY["nested-at-the-limit"].count("[") + 2
    assert depth == MAX_DEPTH


# --- one view: every surface agrees on a node's rank and on failures ---------------------------


def _event(name: str, source: str, **metadata: object) -> str:
    return json.dumps({"name": name, "source": source, "timestamp": 0, "metadata": metadata})


# Ranks that differ (a worker's global_rank is not its node's group_rank); agent events with
# and without a "state" key; a TERMINATED worker, which was stopped and did not fail itself.
STATUS = "torchelastic.worker.status."
LOG = [
    _event(STATUS + "START", "WORKER", hostname="node-0", group_rank=0, global_rank=0,
           state="START"),
    _event(STATUS + "FAILED", "WORKER", hostname="node-1", group_rank=1, global_rank=3,
           state="FAILED"),
    _event(STATUS + "TERMINATED", "WORKER", hostname="node-1", group_rank=1, global_rank=2),
    _event(STATUS + "TERMINATED", "AGENT", hostname="node-0", group_rank=0),
    _event(STATUS + "FAILED", "AGENT", hostname="node-1", group_rank=1),
    json.dumps({"name": "rdzv.py:keep_alive", "run_id": "r", "message": "no heartbeat",
                "hostname": "node-1", "pid": 7, "node_state": "FAILED", "rank": 1}),
    _event(STATUS + "SUCCEEDED", "AGENT", hostname="node-0", group_rank=0, state="SUCCEEDED"),
]  # fmt: skip
FAILED_LINES = [2, 5, 6]


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("views") / "run.log"
    path.write_text("\n".join(LOG) + "\n", encoding="utf-8")
    return path


def _show(capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    assert main(["show", *args]) == 0
    return capsys.readouterr().out.splitlines()


def test_show_and_its_json_agree_on_failures_and_ranks(
    log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = _show(capsys, str(log), "--state", "FAILED")
    assert [int(row.split()[0]) for row in table[1:]] == FAILED_LINES
    assert all("node-1 rank 1" in row for row in table[1:])
    as_json = _show(capsys, str(log), "--json", "--state", "failed")
    assert len(as_json) == len(FAILED_LINES)
    every = _show(capsys, str(log))
    assert "node-1 rank 1" in every[2]
    assert "global_rank=3" in every[2]


def test_the_timeline_command_agrees(
    log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    svg = tmp_path / "run.svg"
    assert main(["timeline", str(log), "-o", str(svg)]) == 0
    assert f"{len(FAILED_LINES)} failures" in capsys.readouterr().err
    labels = re.findall(r'class="timeline-label[^"]*"[^>]*>([^<]*)<', svg.read_text())
    assert labels == ["node-0 rank 0", "node-1 rank 1"]


def test_the_directives_agree(log: Path) -> None:
    root = log.parent
    (root / "conf.py").write_text('extensions = ["sphinxext.event_json"]\n', encoding="utf-8")
    (root / "index.rst").write_text(
        "Views\n=====\n\n.. event-log:: run.log\n   :state: FAILED\n\n"
        ".. event-log:: run.log\n\n.. event-timeline:: run.log\n",
        encoding="utf-8",
    )
    result = sphinx_build("-W", "-b", "html", root, root / "out", cwd=root)
    assert result.returncode == 0, result.stderr
    page = BeautifulSoup((root / "out" / "index.html").read_text(encoding="utf-8"), "html.parser")
    failed, every = page.select("table.event-log")
    rows = [[td.get_text(strip=True) for td in tr.select("td")] for tr in failed.select("tbody tr")]
    assert [int(row[0]) for row in rows] == FAILED_LINES
    assert {row[3] for row in rows} == {"node-1 rank 1"}
    cells = [td.get_text(strip=True) for td in every.select("tbody tr")[1].select("td")]
    assert cells[3] == "node-1 rank 1"
    assert "global_rank=3" in cells[4]
    description = page.select_one("div.event-timeline svg desc")
    assert description is not None
    assert f"{len(FAILED_LINES)} failures: node-1 rank 1 at line 2" in description.get_text()
