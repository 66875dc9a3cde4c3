"""``event-json :from:``: an example that is a real line of a log, re-read and checked."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from elastic_events import EventLog
from tests.sphinx_builds import sphinx_build

CAPTURE = Path(__file__).parents[1] / "docs" / "captures" / "clean.log"
START = "torchelastic.worker.status.START"

PAGE = f"""\
From a log
==========

.. event-json:: Event
   :from: run.log
   :event-name: {START}
   :occurrence: 2

.. event-json:: RdzvEvent
   :from: run.log
   :line: 1

.. event-json:: Event
   :from: missing.log

.. event-json:: Event
   :from: run.log
   :event-name: no.such.event

.. event-json:: Event
   :from: run.log
   :event-name: {START}
   :occurrence: 9

.. event-json:: Event
   :from: run.log
   :line: 3

   {{"name": "both", "source": "AGENT"}}

.. event-json:: Event
   :from: bad.log
   :line: 1
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("from")
    (root / "conf.py").write_text('extensions = ["sphinxext.event_json"]\n', encoding="utf-8")
    (root / "run.log").write_bytes(CAPTURE.read_bytes())
    (root / "bad.log").write_text('{"name": "x", "source": "MASTER"}\n', encoding="utf-8")
    (root / "index.rst").write_text(PAGE, encoding="utf-8")
    # As `make html` builds: a warning fails the build, after every page is written.
    result = sphinx_build("-W", "--keep-going", "-b", "html", root, root / "out", cwd=root)
    assert result.returncode == 1, result.stderr
    return root, result.stderr


def _blocks(root: Path) -> list[str]:
    page = BeautifulSoup((root / "out" / "index.html").read_text(encoding="utf-8"), "html.parser")
    return [pre.get_text() for pre in page.select("div.event-json pre")]


def test_an_example_is_the_chosen_event_of_the_log(built: tuple[Path, str]) -> None:
    root, _ = built
    with CAPTURE.open("rb") as stream:
        lines = [line for line in EventLog(stream) if line.event is not None]
    second_start = [line for line in lines if line.event and line.event.name == START][1]
    first = lines[0]
    assert first.number == 1
    shown = [json.loads(text) for text in _blocks(root)]
    assert shown == [
        json.loads(second_start.event.serialize()),  # type: ignore[union-attr]
        json.loads(first.event.serialize()),  # type: ignore[union-attr]
    ]


def test_each_mistake_fails_the_build_warning_at_its_directive(built: tuple[Path, str]) -> None:
    root, warnings = built
    found = re.findall(
        r"index\.rst:(\d+): WARNING: event-json: (.*) \[event_json\.from\]", warnings
    )
    directives = [n for n, line in enumerate(PAGE.splitlines(), 1) if line.startswith(".. ")]
    assert [int(line) for line, _ in found] == directives[2:]  # each at its directive
    assert [message for _, message in found] == [
        "cannot read 'missing.log': No such file or directory",
        "'run.log' has no event that matches",
        "'run.log' has no event that matches 9 times (only 2)",
        "give the event as the content or with :from:, not both",
        "line 1 of 'bad.log' is not an event: field 'source' must be one of 'AGENT', "
        "'WORKER' (an EventSource); got 'MASTER' (a string)",
    ]
    assert len(_blocks(root)) == 2
