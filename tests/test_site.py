"""The built site (build/html, made by `make html`) documents what the package exports.

Skipped where the site is not built, except in CI (``CI=true``), where `make test` builds it first.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

import elastic_events

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "source"
HTML = ROOT / "build" / "html"
EVENTS_PAGE = HTML / "elastic" / "events.html"


@pytest.fixture(scope="module")
def events_page() -> BeautifulSoup:
    if not EVENTS_PAGE.is_file():
        reason = f"no built site at {HTML}: run `make html` first"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: the site must be built before the tests)")
        pytest.skip(reason)
    return BeautifulSoup(EVENTS_PAGE.read_text(encoding="utf-8"), "html.parser")


@pytest.mark.parametrize("name", elastic_events.__all__)
def test_api_reference_documents_every_public_name(events_page: BeautifulSoup, name: str) -> None:
    entry = events_page.find("dt", id=f"elastic_events.{name}")
    assert entry is not None, f"elastic_events.{name} is not documented on the API reference page"
    description = entry.find_next_sibling("dd")
    assert description is not None
    assert description.get_text(strip=True), f"elastic_events.{name} has no description"


def test_type_alias_is_documented_as_data_with_its_own_docstring(
    events_page: BeautifulSoup,
) -> None:
    entry = events_page.find("dt", id="elastic_events.EventMetadataValue")
    assert entry is not None
    assert "py data" in " ".join(entry.parent["class"]), "a type alias is data, not a class"
    text = entry.find_next_sibling("dd").get_text(" ", strip=True)
    assert "JSON scalar" in text
    assert "PEP 604" not in text, "the docstring of types.UnionType leaked in"


def test_every_field_of_each_event_class_is_an_attribute_target(
    events_page: BeautifulSoup,
) -> None:
    for cls in (elastic_events.Event, elastic_events.RdzvEvent):
        for field in cls.__dataclass_fields__:
            target = f"elastic_events.{cls.__name__}.{field}"
            assert events_page.find(id=target) is not None, f"no attribute entry {target}"


def test_json_examples_link_their_keys_to_the_attributes(events_page: BeautifulSoup) -> None:
    hrefs = {link["href"] for link in events_page.select(".event-json a.event-json-key")}
    for cls in (elastic_events.Event, elastic_events.RdzvEvent):
        for field in cls.__dataclass_fields__:
            assert f"#elastic_events.{cls.__name__}.{field}" in hrefs


def test_python_blocks_that_doctest_does_not_run_still_compile() -> None:
    """Code shown but not run (OpenTelemetry is not installed here) is at least valid Python."""
    blocks = []
    for page in sorted(DOCS.rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        blocks += [(page.name, block) for block in text.split("```python\n")[1:]]
    assert blocks, "no ```python blocks found in the MyST pages"
    for name, block in blocks:
        compile(block.split("\n```", 1)[0], f"<{name}>", "exec")


def test_the_guides_command_line_example_is_what_the_command_prints(tmp_path: Path) -> None:
    """The `elastic-events validate` session in the guide, run on the guide's four log lines."""
    guide = (DOCS / "guide.md").read_text(encoding="utf-8")
    session = guide.split("```console\n$ elastic-events validate events.log\n", 1)[1]
    expected = session.split("```", 1)[0]
    lines = [
        "2026-11-25 08:00:01 INFO "
        + elastic_events.Event("torchelastic.worker.status.START", "WORKER").serialize(),
        "worker 3 says hello",
        elastic_events.RdzvEvent(
            "rdzv.py:join", "ft-7f3a", "joined", "node-1", 77, "RUNNING"
        ).serialize(),
        '{"name": "torchelastic.worker.status.FAILED", "source": "NODE"}',
    ]
    (tmp_path / "events.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "elastic_events", "validate", "events.log"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (1, expected, "")


def test_the_mistakes_shown_for_doc_writers_give_the_warnings_shown(tmp_path: Path) -> None:
    """The directives page shows a page of mistakes and its warnings: build it and compare."""
    page = (DOCS / "directives.rst").read_text(encoding="utf-8")
    source = page.split(".. code-block:: rst\n   :linenos:\n\n", 1)[1].split("\ngives these", 1)[0]
    shown = page.split("gives these warnings", 1)[1].split(".. code-block:: text\n\n", 1)[1]
    expected = textwrap.dedent(shown.split("\n\n", 1)[0]).splitlines()
    (tmp_path / "mistakes.rst").write_text(textwrap.dedent(source), encoding="utf-8")
    (tmp_path / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n"
        'extensions = ["sphinxext.event_json"]\nroot_doc = "mistakes"\n',
        encoding="utf-8",
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "--no-color",
            "-q",
            "-b",
            "html",
            str(tmp_path),
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stderr.replace(f"{tmp_path}{os.sep}", "").splitlines()
    assert [line for line in output if "WARNING" in line or "ERROR" in line] == expected
