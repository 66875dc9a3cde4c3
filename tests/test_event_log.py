"""The event-log and event-timeline directives, in real builds of tests/roots/test-event-log*/."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag
from sphinx.testing.util import SphinxTestApp

from elastic_events import EventFilter, EventLog, Timeline
from sphinxext.event_json import _timelines
from tests.sphinx_builds import (
    ROOTS,
    html_of_serial_and_parallel_builds,
    read_docs,
    soup,
    sphinx_build,
    strip_colors,
    touch_later,
    warnings_of,
)

REPOSITORY = Path(__file__).parents[1]
RUN_LOG = ROOTS / "test-event-log" / "logs" / "run.log"
BAD_LOG = ROOTS / "test-event-log-bad" / "bad.log"
SVG = "{http://www.w3.org/2000/svg}"
SCRIPT_NAME = "</code><script>alert(1)</script>"
HEADINGS = ["Line", "Source / state", "Name", "Node", "Details"]
FAILURE_ROW = [
    "5",
    "FAILED",
    "rdzv.py:keep_alive",
    "node-1 rank 1",
    "run_id=r-1 The node 'node-1_101_0' has failed to send a keep-alive heartbeat. "
    "[ConnectionResetError: [Errno 104] Connection reset by peer]",
]
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "rdzv.py", line 7, in keep_alive\n'
    "    store.set()\n"
    "ConnectionResetError: [Errno 104] Connection reset by peer\n"
)


def tables(page: BeautifulSoup) -> list[Tag]:
    return page.select("table.event-log")


def cells(table: Tag) -> tuple[list[str], list[list[str]]]:
    headings = [th.get_text(strip=True) for th in table.select("thead th")]
    rows = [
        [td.get_text(" ", strip=True) for td in tr.select("td")] for tr in table.select("tbody tr")
    ]
    return headings, rows


def svgs(page: BeautifulSoup) -> list[ET.Element]:
    """The inline SVG pictures of a page, parsed as XML (which they must be)."""
    return [ET.fromstring(str(svg)) for svg in page.select("div.event-timeline svg")]


def timeline_of(path: Path, run_id: str | None = None) -> Timeline:
    """The timeline the command draws of *path* (``elastic-events timeline --run-id``)."""
    keep = EventFilter(run_id=run_id)
    with path.open("rb") as stream:
        return Timeline(line for line in EventLog(stream) if keep(line))


# --- registration --------------------------------------------------------------------------


# --- event-log -----------------------------------------------------------------------------


@pytest.mark.sphinx("html", testroot="event-log", srcdir="event-log-html", freshenv=True)
def test_event_log_shows_each_event_line_as_a_row(app: SphinxTestApp) -> None:
    app.build()
    assert warnings_of(app) == []
    page = soup(app, "run")
    headings, rows = cells(tables(page)[0])
    assert headings == HEADINGS  # no time column: no event has a timestamp
    assert [row[0] for row in rows] == ["2", "3", "4", "5", "6"]  # line 1 is not an event
    assert rows[0] == [
        "2",
        "RUNNING",
        "rdzv.py:join",
        "node-0",
        "run_id=r-1 The node 'node-0_100_0' attempts to join.",
    ]
    assert rows[2][:4] == ["4", "WORKER", "torchelastic.worker.status.START", "node-0 rank 0"]
    assert rows[3] == FAILURE_ROW
    first_row = tables(page)[0].select("tbody tr")[0]
    assert [td["class"] for td in first_row.select("td")] == [
        ["event-log-line"],
        ["event-log-state"],
        ["event-log-name"],
        ["event-log-node"],
        ["event-log-details"],
    ]


@pytest.mark.sphinx("html", testroot="event-log", srcdir="event-log-caption", freshenv=True)
def test_caption_and_name_make_a_reference_target(app: SphinxTestApp) -> None:
    app.build()
    page = soup(app, "run")
    table = tables(page)[0]
    caption = table.select_one("caption .caption-text")
    assert caption is not None
    assert caption.get_text() == "The whole run"
    assert table["id"] == "the-run"
    link = page.select_one('a.reference.internal[href="#the-run"]')
    assert link is not None
    assert link.get_text() == "The whole run"


@pytest.mark.sphinx("html", testroot="event-log", srcdir="event-log-filters", freshenv=True)
def test_filters_limit_and_tracebacks(app: SphinxTestApp) -> None:
    app.build()
    page = soup(app, "run")
    _, failed, first_two, started = tables(page)
    # :state: failed (any case, as the command's --state)
    assert cells(failed)[1] == [FAILURE_ROW]
    traceback = page.select_one("div.event-log-traceback pre")
    assert traceback is not None
    assert traceback.get_text() == TRACEBACK
    wrapper = page.select_one("div.literal-block-wrapper .caption-text")
    assert wrapper is not None
    assert wrapper.get_text() == "Line 5: rdzv.py:keep_alive"
    # :limit: 2, and a word about the rest
    assert [row[0] for row in cells(first_two)[1]] == ["2", "3"]
    more = page.select_one("p.event-log-more")
    assert more is not None
    assert more.get_text() == "The first 2 of 5 events; 3 more are not shown."
    # :source: worker and :event-name: *.START, from a path absolute from the source directory
    assert [row[0] for row in cells(started)[1]] == ["4"]
    # :run-id: of no run
    empty = page.select_one("p.event-log-empty")
    assert empty is not None
    assert empty.get_text() == "No events to show."


@pytest.mark.sphinx("html", testroot="event-log", srcdir="event-log-paths", freshenv=True)
def test_paths_are_relative_to_the_document_or_to_the_source_directory(
    app: SphinxTestApp,
) -> None:
    app.build()
    assert warnings_of(app) == []
    in_folder = soup(app, "sub/page")
    assert cells(tables(in_folder)[0]) == cells(tables(soup(app, "run"))[0])
    assert len(svgs(in_folder)) == 1


def test_a_bad_option_value_is_reported_at_the_directive(
    make_app: Callable[..., SphinxTestApp], tmp_path: Path
) -> None:
    shutil.copy(RUN_LOG, tmp_path / "run.log")
    (tmp_path / "conf.py").write_text('extensions = ["sphinxext.event_json"]\n')
    (tmp_path / "index.rst").write_text(
        "Bad\n===\n\n.. event-log:: run.log\n   :source: MASTER\n\n"
        ".. event-log:: run.log\n   :limit: 0\n"
    )
    app = make_app("html", srcdir=tmp_path)
    app.build()
    page = tmp_path / "index.rst"
    assert strip_colors(app.warning.getvalue()) == (
        f'{page}:4: ERROR: Error in "event-log" directive:\n'
        "invalid option value: (option: \"source\"; value: 'MASTER')\n"
        "unknown source 'MASTER'; expected one of AGENT, WORKER.\n\n"
        ".. event-log:: run.log\n   :source: MASTER [docutils]\n"
        f'{page}:7: ERROR: Error in "event-log" directive:\n'
        "invalid option value: (option: \"limit\"; value: '0')\n"
        "negative or zero value; must be positive.\n\n"
        ".. event-log:: run.log\n   :limit: 0 [docutils]\n"
    )


# --- event-timeline ------------------------------------------------------------------------


@pytest.mark.sphinx("html", testroot="event-log", srcdir="event-timeline-html", freshenv=True)
def test_timeline_is_inline_well_formed_svg_labelled_for_screen_readers(
    app: SphinxTestApp,
) -> None:
    app.build()
    assert warnings_of(app) == []
    page = soup(app, "run")
    whole, first_run = svgs(page)
    ids = [element.get("id") for svg in (whole, first_run) for element in svg.iter()]
    ids = [i for i in ids if i]
    assert len(ids) == len(set(ids)) == 4  # a title and a desc each, unique on the page
    for svg, prefix in ((whole, "event-timeline-run-0"), (first_run, "event-timeline-run-1")):
        assert svg.get("role") == "img"
        assert svg.get("aria-labelledby") == f"{prefix}-title {prefix}-desc"
    title = whole.find(f"{SVG}title")
    desc = whole.find(f"{SVG}desc")
    assert title is not None
    assert desc is not None
    assert title.text == "The run by node"
    assert desc.text == timeline_of(RUN_LOG).describe()
    lanes = [g for g in whole.iter(f"{SVG}g") if g.get("class") == "lane"]
    assert len(lanes) == 3  # node-0, node-1 and <b>node-0</b>
    first_title = first_run.find(f"{SVG}title")
    assert first_title is not None
    assert first_title.text == "Events of run.log by node"  # the default title
    lanes = [g for g in first_run.iter(f"{SVG}g") if g.get("class") == "lane"]
    assert len(lanes) == 2  # :run-id: r-1
    container = page.select_one("div.event-timeline")
    assert container is not None
    assert container["id"] == "the-picture"
    # The words are for other builders; in HTML they are the picture's <desc>.
    assert not [p for p in page.select("p") if "Timeline of" in p.get_text()]
    assert "_static/event_json.css" in str(page.head)
    assert (app.outdir / "_static" / "event_json.css").is_file()


def test_the_stylesheet_recolours_every_themable_class_in_both_dark_modes() -> None:
    """Each class of the timeline's themable elements has a rule for Furo's "dark" and "auto"."""
    css = (_timelines.STATIC / "event_json.css").read_text(encoding="utf-8")
    dark = css.split("\n@media screen {\n", 1)[1].split("\n}\n", 1)[0]
    auto = css.split("\n@media screen and (prefers-color-scheme: dark) {\n", 1)[1]
    auto = auto.split("\n}\n", 1)[0]
    svg = Timeline(EventLog(RUN_LOG.read_text(encoding="utf-8").splitlines())).svg()
    classes = {
        css_class
        for element in ET.fromstring(svg).iter()
        for css_class in (element.get("class") or "").split()
        if css_class.startswith("timeline-")
    }
    assert len(classes) == 13, sorted(classes)
    for css_class in classes:
        rule = re.compile(rf"^  (\S+) \.event-timeline svg \.{css_class}(?: \{{|,)$", re.MULTILINE)
        assert rule.findall(dark) == ['body[data-theme="dark"]'], css_class
        assert rule.findall(auto) == ['body:not([data-theme="light"])'], css_class
    # The same rules in both.
    assert dark.replace('body[data-theme="dark"]', "") == auto.replace(
        'body:not([data-theme="light"])', ""
    )


@pytest.mark.sphinx("text", testroot="event-log", srcdir="event-timeline-text", freshenv=True)
def test_text_builder_gets_the_timeline_described_in_words(app: SphinxTestApp) -> None:
    app.build()
    assert warnings_of(app) == []
    text = (app.outdir / "run.txt").read_text(encoding="utf-8")
    assert "<svg" not in text
    described = timeline_of(RUN_LOG).describe().splitlines()
    assert "The run by node\n\nTimeline of 5 events from 3 nodes;" in text
    for line in described:
        assert line.split()[0] in text
    flat = " ".join(text.split())
    for line in [*described, *timeline_of(RUN_LOG, "r-1").describe().splitlines()]:
        assert line in flat
    assert "Events of run.log by node" in text


# --- escaping ------------------------------------------------------------------------------


@pytest.mark.sphinx("html", testroot="event-log", srcdir="event-log-escape", freshenv=True)
def test_names_from_the_log_are_text_in_html(app: SphinxTestApp) -> None:
    app.build()
    html = (app.outdir / "run.html").read_text(encoding="utf-8")
    page = BeautifulSoup(html, "html.parser")
    assert "<script>alert" not in html
    assert not [s for s in page.find_all("script") if "alert" in s.get_text()]
    assert not page.find_all("b", string="node-0")
    _, rows = cells(tables(page)[0])
    assert rows[4][2:4] == [SCRIPT_NAME, "<b>node-0</b> rank 0"]
    svg_text = " ".join(svgs(page)[0].itertext())
    assert SCRIPT_NAME in svg_text


@pytest.mark.sphinx("text", testroot="event-log", srcdir="event-log-escape-text", freshenv=True)
def test_names_from_the_log_are_text_in_text(app: SphinxTestApp) -> None:
    app.build()
    text = (app.outdir / "run.txt").read_text(encoding="utf-8")
    assert "| <b>node-0</b>" in text
    assert "</code><script>alert(1)</s" in text  # the cell wraps the name


@pytest.mark.sphinx("latex", testroot="event-log", srcdir="event-log-latex", freshenv=True)
def test_latex_builder_escapes_and_describes(app: SphinxTestApp) -> None:
    app.build()
    assert warnings_of(app) == []
    (tex_file,) = app.outdir.glob("*.tex")
    tex = tex_file.read_text(encoding="utf-8")
    assert "<script>" not in tex
    assert "<svg" not in tex
    assert r"\textless{}/code\textgreater{}\textless{}script\textgreater{}" in tex
    assert "Timeline of 5 events from 3 nodes" in tex


# --- bad logs ------------------------------------------------------------------------------


@pytest.mark.sphinx("html", testroot="event-log-bad", srcdir="event-log-bad", freshenv=True)
def test_bad_lines_and_missing_files_are_located_warnings(app: SphinxTestApp) -> None:
    app.build()
    log = app.srcdir / "bad.log"
    page = app.srcdir / "index.rst"
    # Each bad line once, though two directives of the page read the log.
    assert warnings_of(app) == [
        f"{log}:2: WARNING: event-log: not valid JSON: Expecting ',' delimiter at column 40 "
        "[event_json.log]",
        f"{log}:4: WARNING: event-log: field 'source' must be one of 'AGENT', 'WORKER' "
        "(an EventSource); got 'MASTER' (a string) [event_json.log]",
        f"{log}:5: WARNING: event-log: neither an Event (which has 'source') nor an RdzvEvent "
        "(which has 'run_id', 'message', 'hostname', 'pid', 'node_state'); this object has "
        "'name', 'colour' [event_json.log]",
        f"{page}:8: WARNING: event-log: cannot read 'missing.log': No such file or directory "
        "[event_json.file]",
        f"{page}:10: WARNING: event-timeline: cannot read 'logs/missing.log': No such file or "
        "directory [event_json.file]",
    ]
    # The good lines are still shown, and the rest of the page built.
    html = soup(app, "index")
    assert [row[2] for row in cells(tables(html)[0])[1]] == ["started", "still here"]
    assert len(svgs(html)) == 1
    assert "The end." in html.get_text()


def test_many_bad_lines_are_reported_ten_at_a_time(
    make_app: Callable[..., SphinxTestApp], tmp_path: Path
) -> None:
    (tmp_path / "conf.py").write_text('extensions = ["sphinxext.event_json"]\n')
    (tmp_path / "index.rst").write_text("Many\n====\n\n.. event-log:: many.log\n")
    (tmp_path / "many.log").write_text('{"name": 1}\n' * 25)
    app = make_app("html", srcdir=tmp_path)
    app.build()
    warnings = warnings_of(app)
    assert len(warnings) == 11
    assert warnings[9].startswith(f"{tmp_path / 'many.log'}:10: WARNING: event-log: ")
    assert warnings[10] == (
        f"{tmp_path / 'index.rst'}:4: WARNING: event-log: 15 more bad lines in 'many.log' not "
        "reported; 'elastic-events validate many.log' lists them all [event_json.log]"
    )


@pytest.mark.sphinx(
    "html",
    testroot="event-log-bad",
    srcdir="event-log-bad-suppressed",
    freshenv=True,
    confoverrides={"suppress_warnings": ["event_json.log"]},
)
def test_suppress_warnings_silences_bad_lines_only(app: SphinxTestApp) -> None:
    app.build()
    assert [w.rpartition(" ")[2] for w in warnings_of(app)] == ["[event_json.file]"] * 2


def test_warnings_as_errors_fail_the_build_cleanly(tmp_path: Path) -> None:
    result = sphinx_build("-W", "-b", "html", ROOTS / "test-event-log-bad", tmp_path / "out",
                          cwd=tmp_path)  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert f"{BAD_LOG}:2: WARNING: event-log: not valid JSON" in result.stderr


def test_myst_fences_render_and_warn_at_their_lines(
    make_app: Callable[..., SphinxTestApp], tmp_path: Path
) -> None:
    shutil.copy(RUN_LOG, tmp_path / "run.log")
    (tmp_path / "conf.py").write_text(
        'extensions = ["myst_parser", "sphinxext.event_json"]\n'
        'source_suffix = {".md": "markdown"}\n'
    )
    (tmp_path / "index.md").write_text(
        "# MyST\n\n```{event-log} run.log\n:state: FAILED\n```\n\n"
        "```{event-timeline} run.log\n```\n\n```{event-log} gone.log\n```\n"
    )
    app = make_app("html", srcdir=tmp_path)
    app.build()
    assert warnings_of(app) == [
        f"{tmp_path / 'index.md'}:10: WARNING: event-log: cannot read 'gone.log': No such file "
        "or directory [event_json.file]"
    ]
    page = soup(app, "index")
    assert cells(tables(page)[0])[1] == [FAILURE_ROW]
    assert len(svgs(page)) == 1


# --- builds: incremental and parallel ------------------------------------------------------


def test_editing_the_log_rereads_the_pages_that_show_it(
    make_app: Callable[..., SphinxTestApp], tmp_path: Path
) -> None:
    srcdir = tmp_path / "src"
    shutil.copytree(ROOTS / "test-event-log", srcdir)
    first = make_app("html", srcdir=srcdir)
    first.build()
    first.cleanup()
    assert read_docs(first.status.getvalue()) == {"index", "run", "sub/page"}

    unchanged = make_app("html", srcdir=srcdir)
    unchanged.build()
    unchanged.cleanup()
    assert read_docs(unchanged.status.getvalue()) == set()

    log = srcdir / "logs" / "run.log"
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    log.write_text("".join(lines[:3]), encoding="utf-8")  # two events left
    touch_later(log)
    edited = make_app("html", srcdir=srcdir)
    edited.build()
    assert read_docs(edited.status.getvalue()) == {"run", "sub/page"}
    assert warnings_of(edited) == []
    assert [row[0] for row in cells(tables(soup(edited, "sub/page"))[0])[1]] == ["2", "3"]


def test_a_page_with_a_missing_log_is_reread_until_the_log_exists(
    make_app: Callable[..., SphinxTestApp], tmp_path: Path
) -> None:
    (tmp_path / "conf.py").write_text('extensions = ["sphinxext.event_json"]\n')
    (tmp_path / "index.rst").write_text("Later\n=====\n\n.. event-log:: later.log\n")
    missing = make_app("html", srcdir=tmp_path)
    missing.build()
    missing.cleanup()
    assert len(warnings_of(missing)) == 1
    shutil.copy(RUN_LOG, tmp_path / "later.log")
    found = make_app("html", srcdir=tmp_path)
    found.build()
    assert read_docs(found.status.getvalue()) == {"index"}
    assert warnings_of(found) == []
    assert len(cells(tables(soup(found, "index"))[0])[1]) == 5


def test_parallel_build_gives_identical_output_and_no_warning(tmp_path: Path) -> None:
    serial, parallel = html_of_serial_and_parallel_builds(ROOTS / "test-event-log", tmp_path)
    assert Path("run.html") in serial
    assert serial == parallel


def simulate(out: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPOSITORY / "docs" / "simulate_run.py"), str(out)],
        cwd=cwd,
        env={**os.environ, "LOGLEVEL": "WARNING"},  # the script records whatever the caller says
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_the_simulated_run_is_the_same_everywhere_and_written_only_on_change(
    tmp_path: Path,
) -> None:
    one, two = tmp_path / "one" / "run.log", tmp_path / "two" / "run.log"
    first = simulate(one, cwd=tmp_path)
    assert (first.returncode, first.stderr) == (0, "")
    assert first.stdout == f"wrote {one}: 83 events\n"
    (tmp_path / "elsewhere").mkdir()
    assert simulate(two, cwd=tmp_path / "elsewhere").returncode == 0
    assert one.read_bytes() == two.read_bytes()
    assert str(REPOSITORY) not in one.read_text(encoding="utf-8")
    written = one.stat().st_mtime_ns
    again = simulate(one, cwd=tmp_path)
    assert again.stdout == f"{one} is up to date\n"
    assert one.stat().st_mtime_ns == written


def test_the_simulated_run_is_a_valid_log_of_four_nodes_one_failure_and_a_restart(
    tmp_path: Path,
) -> None:
    out = tmp_path / "run.log"
    assert simulate(out, cwd=tmp_path).returncode == 0
    with out.open("rb") as stream:
        log = EventLog(stream)
        lines = list(log)
    assert (log.events, log.bad, log.other) == (83, 0, 0)
    timeline = Timeline(lines)
    assert [lane.label for lane in timeline.lanes] == [f"gpu-node-{n} rank {n}" for n in range(4)]
    failures = [mark for lane in timeline.lanes for mark in lane.failures]
    assert len(failures) == 3  # the heartbeat and the node's two workers
    (heartbeat,) = [line.event for line in lines if getattr(line.event, "error_trace", "")]
    trace = heartbeat.error_trace  # type: ignore[union-attr]
    assert trace.startswith("Traceback (most recent call last):\n")
    assert '  File "simulate_run.py", line ' in trace
    assert trace.endswith(
        "RendezvousConnectionError: The connection to the C10d store has failed. See inner "
        "exception for details.\n"
    )
    messages = [getattr(line.event, "message", "") for line in lines]
    assert (
        "The node 'gpu-node-0_48210_0' has joined round 1 of the rendezvous 'llama-ft-7f3a' as "
        "rank 0 in a world of size 4." in messages
    )
    assert messages[-1] == (
        "The node 'gpu-node-0_48210_0' marked the rendezvous 'llama-ft-7f3a' as closed. "
        "Pending sync."
    )


def test_the_built_site_shows_the_simulated_run() -> None:
    """`make html` writes the log and the run page shows it (skipped where the site is unbuilt)."""
    page_file = REPOSITORY / "build" / "html" / "run.html"
    if not page_file.is_file():
        reason = "no built site: run `make html` first"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: the site must be built before the tests)")
        pytest.skip(reason)
    page = BeautifulSoup(page_file.read_text(encoding="utf-8"), "html.parser")
    (picture,) = svgs(page)
    labels = [
        "".join(text.itertext())
        for group in picture.iter(f"{SVG}g")
        if group.get("class") == "lane"
        for text in group.iter(f"{SVG}text")
    ]
    assert labels == [f"gpu-node-{n} rank {n}" for n in range(4)]
    assert len([g for g in picture.iter(f"{SVG}g") if g.get("class") == "failure"]) == 3
    every_event = page.select_one("table#run-log")
    assert every_event is not None
    assert len(every_event.select("tbody tr")) == 83
    traceback = page.select_one("div.event-log-traceback pre")
    assert traceback is not None
    assert "RendezvousConnectionError" in traceback.get_text()


def test_every_build_writes_the_log_where_the_run_page_reads_it() -> None:
    """`make html`, `make doctest` and Read the Docs run the script into the page's path."""
    makefile = (REPOSITORY / "Makefile").read_text(encoding="utf-8")
    assert "RUNLOG      := $(SOURCEDIR)/_generated/simulated-run.log\n" in makefile
    assert "\nrunlog: venv\n\t$(PY) docs/simulate_run.py $(RUNLOG)\n" in makefile
    assert "\nhtml: runlog\n" in makefile
    assert "\ndoctest: runlog\n" in makefile
    readthedocs = (REPOSITORY / ".readthedocs.yaml").read_text(encoding="utf-8")
    pre_build = readthedocs.split("pre_build:", 1)[1].split("build:", 1)[0]
    assert "- python docs/simulate_run.py docs/source/_generated/simulated-run.log\n" in pre_build
    page = (REPOSITORY / "docs" / "source" / "run.md").read_text(encoding="utf-8")
    assert "```{event-timeline} _generated/simulated-run.log\n" in page
    assert "/docs/source/_generated/\n" in (REPOSITORY / ".gitignore").read_text(encoding="utf-8")
