"""Text from logs and examples is data, never markup: hostile strings in every directive.

Someone who controls what one worker writes (its host name, an event name, an error message)
must not be able to put a link, a script or a file of the build machine into the site, nor stop
the build. Every string field of the events below holds reST and Markdown markup; the site is
built with every builder, in an ``.rst`` and a MyST ``.md`` page, and must show that text as text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from elastic_events import visible_text
from tests.sphinx_builds import sphinx_build

#: Markup that would do harm, or break the build, if a parser ever saw it.
HOSTILE = [
    "`click <javascript:alert(1)>`_",
    ":download:`../../../../etc/passwd`",
    ":ref:`genindex` :doc:`index` :file:`x` :abbr:`A (b)`",
    "[md](javascript:alert(2)) ![pic](data:text/html,alert(3)) <https://example.invalid/x>",
    "|sub|\n\n.. |sub| raw:: html\n\n   <script>alert(4)</script>",
    "head\n=======\n",
    "<script>alert(5)</script> ]]> <!-- c --> {{ jinja }} &amp; <b>bold</b>",
    "\n.. raw:: html\n\n   <script>alert(6)</script>\n\n.. include:: /etc/passwd\n",
    "**strong** *emphasis* ``literal`` $x$ {download}`/etc/passwd` {eval-rst}`x`",
    '<a href="javascript:alert(7)">a</a> <img src=x onerror=alert(8)>',
]
#: What no built page may contain when it came from the data.
FORBIDDEN_HREF = re.compile(r"javascript:|data:|passwd|example\.invalid", re.IGNORECASE)
HTML_BUILDERS = ["html", "dirhtml", "singlehtml"]
BUILDERS = [*HTML_BUILDERS, "text", "latex"]


def _traceback(text: str) -> str:
    return f'Traceback (most recent call last):\n  File "w.py", line 1\n{text}\nError: {text}'


def _log_lines() -> list[str]:
    lines = []
    for number, text in enumerate(HOSTILE):
        rendezvous = {
            "name": text, "run_id": text, "message": text, "hostname": text, "pid": number,
            "node_state": "FAILED", "master_endpoint": text, "rank": number, "local_id": 0,
            "error_trace": _traceback(text),
        }  # fmt: skip
        agent = {
            "name": text, "source": "AGENT", "timestamp": 0,
            "metadata": {
                "run_id": text, "hostname": text, "state": "FAILED", text[:40]: text,
                "raw_error": _traceback(text), "group_rank": number,
            },
        }  # fmt: skip
        worker = {**agent, "source": "WORKER", "metadata": {"hostname": text, "state": text}}
        lines += [json.dumps(rendezvous), json.dumps(agent), json.dumps(worker)]
    return lines


def _rst_page() -> str:
    parts = [
        "Hostile input", "=============", "",
        ".. toctree::", "", "   markdown", "",
        ".. event-log:: run.log", "   :tracebacks:", "",
        ".. event-log:: run.log", "   :caption: The run", "",
        ".. event-timeline:: run.log", "",
        ".. event-schema:: RdzvEvent", "",
    ]  # fmt: skip
    for text in HOSTILE:
        example = {"name": text, "run_id": text, "message": text, "hostname": text, "pid": 1,
                   "node_state": "FAILED", "error_trace": text}  # fmt: skip
        parts += [".. event-json:: RdzvEvent", "   :collapsed:", "", "   " + json.dumps(example)]
        parts += ["", ".. event-json:: Event", "", f"   Event(name={text!r}, source='WORKER',"]
        parts += [f"         metadata={{{text!r}: {text!r}}})", ""]
    return "\n".join(parts)


def _markdown_page() -> str:
    parts = [
        "# Hostile input in MyST", "",
        "```{event-log} run.log", ":tracebacks:", "```", "",
        "```{event-timeline} run.log", "```", "",
    ]  # fmt: skip
    for text in HOSTILE:
        example = {"name": text, "source": "AGENT", "metadata": {text: text}}
        parts += ["```{event-json} Event", ":collapsed:", json.dumps(example), "```", ""]
    return "\n".join(parts)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    (root / "conf.py").write_text(
        'extensions = ["myst_parser", "sphinxext.event_json"]\n'
        'exclude_patterns = ["_build"]\n'
        "suppress_warnings = []\n",
        encoding="utf-8",
    )
    (root / "run.log").write_text("\n".join(_log_lines()) + "\n", encoding="utf-8")
    (root / "index.rst").write_text(_rst_page(), encoding="utf-8")
    (root / "markdown.md").write_text(_markdown_page(), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def build(project: Path) -> Callable[[str], Path]:
    """Build the project with a builder (once per module); return the output folder."""
    done: dict[str, Path] = {}

    def run(builder: str) -> Path:
        if builder not in done:
            out = project / "_build" / builder
            result = sphinx_build("-W", "--keep-going", "-b", builder, project, out, cwd=project)
            assert result.returncode == 0, result.stdout + result.stderr
            assert result.stderr == ""
            done[builder] = out
        return done[builder]

    return run


def _pages(builder: str, out: Path) -> list[Path]:
    suffix = {"text": ".txt", "latex": ".tex"}.get(builder, ".html")
    return sorted(p for p in out.rglob(f"*{suffix}") if "_static" not in p.parts)


def _words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("builder", BUILDERS)
def test_the_build_succeeds_and_publishes_no_file_of_the_build_machine(
    build: Callable[[str], Path], builder: str
) -> None:
    out = build(builder)
    assert _pages(builder, out)
    assert not (out / "_downloads").exists()
    assert not list(out.rglob("passwd*"))


@pytest.mark.parametrize("builder", HTML_BUILDERS)
def test_no_link_or_script_comes_from_the_data(build: Callable[[str], Path], builder: str) -> None:
    out = build(builder)
    for page in _pages(builder, out):
        html = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        hrefs = [str(a.get("href", "")) for a in html.find_all("a")]
        assert not [href for href in hrefs if FORBIDDEN_HREF.search(href)], page
        sources = [str(tag.get("src", "")) for tag in html.find_all(["img", "iframe", "embed"])]
        assert not [src for src in sources if FORBIDDEN_HREF.search(src) or src == "x"], page
        assert not [s for s in html.find_all("script") if "alert" in s.get_text()], page
        assert not html.find_all(attrs={"onerror": True}), page
        content = html.select_one('[role="main"]') or html.body
        assert content is not None
        # Markup in the data made no markup: no strong, emphasis or bold of its own.
        made = [t for t in content.find_all(["strong", "em", "b"]) if "bold" in t.get_text()]
        made += [t for t in content.find_all(["strong", "em"]) if "strong" in t.get_text()]
        assert not made, page


@pytest.mark.parametrize("builder", BUILDERS)
def test_the_data_is_shown_literally(build: Callable[[str], Path], builder: str) -> None:
    out = build(builder)
    if builder == "latex":
        text = "\n".join(page.read_text(encoding="utf-8") for page in _pages(builder, out))
        assert "javascript:alert(1)" in text
        assert r"\href{javascript" not in text
        return
    if builder == "text":
        text = "\n".join(page.read_text(encoding="utf-8") for page in _pages(builder, out))
    else:
        text = "\n".join(
            BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").get_text()
            for page in _pages(builder, out)
        )
    words = _words(text)
    for hostile in HOSTILE:
        # Every line of every string, as written (the table escapes newlines as \n).
        for line in filter(None, (part.strip() for part in hostile.splitlines())):
            assert _words(line) in words, (builder, line)


@pytest.mark.parametrize("builder", ["html", "dirhtml"])
def test_traceback_captions_are_text_in_both_parsers(
    build: Callable[[str], Path], builder: str
) -> None:
    out = build(builder)
    traced = []
    for page in _pages(builder, out):
        html = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        captions = [c.get_text() for c in html.select(".literal-block-wrapper .caption-text")]
        traced += [c for c in captions if c.startswith("Line ")]
    # Two events of each string carry a traceback, in the log of each of the two pages.
    assert len(traced) == 4 * len(HOSTILE)
    assert f"Line 1: {HOSTILE[0]}" in traced
    assert f"Line 17: {visible_text(HOSTILE[5])}" in traced  # One line: its breaks escaped.
