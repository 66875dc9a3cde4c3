"""sphinxext.event_json in real Sphinx builds of the mini projects under tests/roots/."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from sphinx.errors import ConfigError
from sphinx.testing.util import SphinxTestApp

import elastic_events
from elastic_events import Event, EventSource, NodeState, RdzvEvent, json_schema
from sphinxext import event_json
from sphinxext.event_json._deps import defining_module, dependency_files
from sphinxext.event_json._render import pretty_json
from tests.sphinx_builds import (
    ROOTS,
    html_of_serial_and_parallel_builds,
    read_docs,
    soup,
    sphinx_build,
    touch_later,
    warnings_of,
)

REPOSITORY = Path(__file__).parents[1]
PAGES_WITH_EXAMPLES = {"examples", "escape", "more1", "more2", "more3"}

# What the directives of test-event-json/examples.rst describe, built by hand.
WORKER_FINISHED = Event(
    "torchelastic.worker.status.SUCCEEDED",
    EventSource.WORKER,
    metadata={"run_id": "ft-7f3a", "global_rank": 1, "name": "nested"},
)
NODE_JOINED = RdzvEvent(
    "rdzv.py:join", "ft-7f3a", "joined the café", "node-0", 4242, NodeState.RUNNING, rank=-1
)
COMPACT = Event("compact", EventSource.AGENT, 17, {"é": 1.5, "ok": True, "none": None})
FOLDED = RdzvEvent(
    "folded", "r", "m", "h", 1, NodeState.FAILED,
    error_trace="Traceback (most recent call last):\n  boom",
)  # fmt: skip
SCRIPT_NAME = "</code><script>alert(1)</script>"


def blocks(page: BeautifulSoup) -> list[Tag]:
    return page.select("div.event-json")


def pre_text(block: Tag) -> str:
    pre = block.select_one("div.highlight pre")
    assert pre is not None
    return pre.get_text().rstrip("\n")


def linked_keys(block: Tag) -> dict[str, str]:
    return {a.get_text(): str(a["href"]) for a in block.select("pre a.event-json-key")}


# --- the extension's promises ------------------------------------------------------------


class RecordingApp:
    """Stands in for the Sphinx application: records what setup() registers."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args, **kwargs: self.calls.append((name, args))


def test_setup_returns_the_version_and_parallel_safety() -> None:
    app = RecordingApp()
    assert event_json.setup(app) == {  # type: ignore[arg-type]
        "version": elastic_events.__version__,
        "env_version": 3,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
    registered = {(name, args[0]) for name, args in app.calls if name != "connect"}
    assert registered >= {
        ("add_directive", "event-json"),
        ("add_directive", "event-schema"),
        ("add_directive", "event-log"),
        ("add_directive", "event-timeline"),
        ("add_css_file", "event_json.css"),
        ("add_config_value", "event_json_indent"),
    }
    assert ("connect", ("config-inited", event_json._check_config)) in app.calls


@pytest.mark.sphinx("html", testroot="event-json", srcdir="event-json-setup")
def test_sphinx_sees_the_extension_as_parallel_safe(app: SphinxTestApp) -> None:
    extension = app.extensions["sphinxext.event_json"]
    assert extension.version == elastic_events.__version__
    assert extension.parallel_read_safe is True
    assert extension.parallel_write_safe is True
    assert app.is_parallel_allowed("read")
    assert app.is_parallel_allowed("write")


@pytest.mark.parametrize(
    "value", [0, 9, "2", 2.0, True, None], ids=["0", "9", "str", "float", "bool", "None"]
)
def test_bad_indent_config_is_rejected_once_with_what_to_write(
    make_app: Callable[..., SphinxTestApp], tmp_path: Path, value: object
) -> None:
    srcdir = tmp_path / "src"
    shutil.copytree(ROOTS / "test-event-json", srcdir)
    with srcdir.joinpath("conf.py").open("a") as conf:
        conf.write(f"event_json_indent = {value!r}\n")
    with pytest.raises(ConfigError) as info:
        make_app("html", srcdir=srcdir)
    assert str(info.value) == (
        "event_json_indent must be an integer from 1 to 8 (spaces per level of the "
        f"pretty-printed JSON); got {value!r}. Write for instance: event_json_indent = 2"
    )


@pytest.mark.sphinx(
    "html",
    testroot="event-json",
    srcdir="event-json-indent",
    confoverrides={"event_json_indent": 4},
)
def test_indent_config_sets_the_pretty_printing(app: SphinxTestApp) -> None:
    app.build()
    assert warnings_of(app) == []
    first = blocks(soup(app, "examples"))[0]
    assert pre_text(first) == json.dumps(json.loads(WORKER_FINISHED.serialize()), indent=4)


# --- HTML ----------------------------------------------------------------------------------


@pytest.mark.sphinx("html", testroot="event-json", srcdir="event-json-html", freshenv=True)
def test_html_shows_each_example_as_the_json_the_library_writes(app: SphinxTestApp) -> None:
    app.build()
    assert warnings_of(app) == []
    page = soup(app, "examples")
    texts = [pre_text(block) for block in blocks(page)]
    assert texts[:4] == [
        pretty_json(WORKER_FINISHED.serialize()),
        pretty_json(NODE_JOINED.serialize()),
        COMPACT.serialize(),  # :compact: the exact line the log gets, \u escapes and all
        pretty_json(FOLDED.serialize()),
    ]
    assert '"message": "joined the café"' in texts[1]  # non-ASCII kept as is
    for block in blocks(page):
        assert "highlight-json" in block["class"]  # highlighted as JSON, like code-block:: json


@pytest.mark.sphinx("html", testroot="event-json", srcdir="event-json-caption", freshenv=True)
def test_caption_and_name_make_a_reference_target(app: SphinxTestApp) -> None:
    app.build()
    page = soup(app, "examples")
    wrapper = page.select_one("div.literal-block-wrapper")
    assert wrapper is not None
    assert wrapper["id"] == "worker-finished"
    assert wrapper.select("div.event-json") == blocks(page)[:1]
    caption = wrapper.select_one(".code-block-caption .caption-text")
    assert caption is not None
    assert caption.get_text() == "A worker finished"
    reference = page.select_one('p a.reference.internal[href="#worker-finished"]')
    assert reference is not None
    assert reference.get_text() == "A worker finished"


@pytest.mark.sphinx("html", testroot="event-json", srcdir="event-json-collapsed", freshenv=True)
def test_collapsed_examples_fold_into_details(app: SphinxTestApp) -> None:
    app.build()
    page = soup(app, "examples")
    folded = page.select("details.event-json")
    assert [block.summary.get_text() for block in folded if block.summary] == [
        "RdzvEvent JSON",
        "JSON Schema of RdzvEvent",
    ]
    assert [pre_text(block) for block in folded] == [
        pretty_json(FOLDED.serialize()),
        json.dumps(json_schema(RdzvEvent), indent=2, ensure_ascii=False),
    ]
    assert len(blocks(page)) == 5  # four examples and the schema, folded or not
    assert all(details.get("open") is None for details in folded)


@pytest.mark.sphinx(
    "html", testroot="event-json", srcdir="event-json-collapsed-caption", freshenv=True
)
def test_the_caption_of_a_collapsed_example_titles_the_fold(app: SphinxTestApp) -> None:
    app.build()
    assert warnings_of(app) == []
    details, _schema = soup(app, "more2").select("details.event-json")
    assert str(details.summary) == "<summary>&lt;b&gt;Folded&lt;/b&gt; more 2</summary>"
    assert details.select(".code-block-caption") == []  # not shown twice
    wrapper = details.select_one("div.literal-block-wrapper")
    assert wrapper is not None
    assert wrapper["id"] == "more-2-folded"
    assert json.loads(pre_text(details))["name"] == "more 2"


@pytest.mark.sphinx(
    "text", testroot="event-json", srcdir="event-json-collapsed-text", freshenv=True
)
def test_collapsed_examples_show_plainly_in_text(app: SphinxTestApp) -> None:
    app.build()
    assert warnings_of(app) == []
    text = (app.outdir / "more2.txt").read_text(encoding="utf-8")
    assert '<b>Folded</b> "more 2"\n\n   {\n' in text  # the caption, then the JSON


@pytest.mark.sphinx("html", testroot="event-json", srcdir="event-json-links", freshenv=True)
def test_top_level_keys_link_to_the_documented_attributes_only(app: SphinxTestApp) -> None:
    app.build()
    page = soup(app, "examples")
    worker, joined, compact, folded = blocks(page)[:4]
    # api.rst documents Event.name, Event.source, RdzvEvent.name and RdzvEvent.node_state only;
    # the metadata key "name" is not a field and is not linked.
    assert linked_keys(worker) == {
        '"name"': "api.html#elastic_events.Event.name",
        '"source"': "api.html#elastic_events.Event.source",
    }
    assert linked_keys(joined) == {
        '"name"': "api.html#elastic_events.RdzvEvent.name",
        '"node_state"': "api.html#elastic_events.RdzvEvent.node_state",
    }
    assert set(linked_keys(compact)) == {'"name"', '"source"'}
    assert set(linked_keys(folded)) == {'"name"', '"node_state"'}
    api = soup(app, "api")
    for href in {**linked_keys(worker), **linked_keys(joined)}.values():
        assert api.find(id=href.partition("#")[2]) is not None
    # The copy button copies the text of the <pre>: the JSON, links or not.
    assert json.loads(pre_text(worker)) == json.loads(WORKER_FINISHED.serialize())


@pytest.mark.sphinx("html", testroot="event-json", srcdir="event-json-schema", freshenv=True)
def test_event_schema_shows_the_fields_and_the_json_schema(app: SphinxTestApp) -> None:
    app.build()
    page = soup(app, "examples")
    table = page.select_one("table.event-schema")
    assert table is not None
    header = [th.get_text() for th in table.select("thead th")]
    assert header == ["Field", "JSON type", "Required / default", "Description"]
    rows = [[td.get_text() for td in tr.select("td")] for tr in table.select("tbody tr")]
    schema = json_schema(RdzvEvent)
    assert [row[0] for row in rows] == list(schema["properties"])
    by_name = {row[0]: row for row in rows}
    assert by_name["node_state"] == [
        "node_state",
        '"INIT" | "RUNNING" | "SUCCEEDED" | "FAILED"',
        "required",
        schema["properties"]["node_state"]["description"],
    ]
    assert by_name["rank"][1:3] == ["integer | null", "default null"]
    assert by_name["master_endpoint"][2] == 'default ""'
    links = {a.get_text(): a["href"] for a in table.select("a.reference")}
    assert links == {
        "name": "api.html#elastic_events.RdzvEvent.name",
        "node_state": "api.html#elastic_events.RdzvEvent.node_state",
    }
    folded = blocks(page)[-1]
    assert pre_text(folded) == json.dumps(schema, indent=2, ensure_ascii=False)


# --- other builders ------------------------------------------------------------------------


@pytest.mark.sphinx("singlehtml", testroot="event-json", srcdir="event-json-single", freshenv=True)
def test_links_land_on_the_attribute_in_a_single_page(app: SphinxTestApp) -> None:
    app.build()
    assert warnings_of(app) == []
    page = soup(app, "index")
    hrefs = {str(a["href"]) for a in page.select("a.event-json-key, table.event-schema a")}
    assert hrefs == {
        "#elastic_events.Event.name",
        "#elastic_events.Event.source",
        "#elastic_events.RdzvEvent.name",
        "#elastic_events.RdzvEvent.node_state",
    }
    assert all(page.find(id=href[1:]) is not None for href in hrefs)


@pytest.mark.sphinx("text", testroot="event-json", srcdir="event-json-text", freshenv=True)
def test_text_builder_shows_the_json_plainly(app: SphinxTestApp) -> None:
    app.build()
    assert warnings_of(app) == []
    text = (app.outdir / "examples.txt").read_text(encoding="utf-8")
    for example in (WORKER_FINISHED, NODE_JOINED, FOLDED):
        indented = "\n".join("   " + line for line in pretty_json(example.serialize()).splitlines())
        assert indented in text
    assert "   " + COMPACT.serialize() in text
    assert "A worker finished" in text
    assert '| "node_state"' in text
    escaped = (app.outdir / "escape.txt").read_text(encoding="utf-8")
    assert f'"name": {json.dumps(SCRIPT_NAME)},' in escaped
    assert "<script>alert(2)</script>" in escaped  # the caption, as text


@pytest.mark.sphinx("latex", testroot="event-json", srcdir="event-json-latex", freshenv=True)
def test_latex_builder_escapes_and_keeps_captions(app: SphinxTestApp) -> None:
    app.build()
    assert warnings_of(app) == []
    (tex_file,) = app.outdir.glob("*.tex")
    tex = tex_file.read_text(encoding="utf-8")
    assert r"\sphinxSetupCaptionForVerbatim{A worker finished}" in tex
    assert (
        r"\sphinxSetupCaptionForVerbatim{\textless{}script\textgreater{}alert(2)"
        r"\textless{}/script\textgreater{}}"
    ) in tex
    assert r"\PYGZlt{}/code\PYGZgt{}\PYGZlt{}script\PYGZgt{}alert(1)" in tex
    assert "<script>" not in tex
    assert "event-json" not in tex  # folding is for HTML only
    assert "details" not in tex


# --- escaping ------------------------------------------------------------------------------


@pytest.mark.sphinx("html", testroot="event-json", srcdir="event-json-escape", freshenv=True)
def test_event_values_and_captions_are_escaped_in_html(app: SphinxTestApp) -> None:
    app.build()
    assert warnings_of(app) == []
    html = (app.outdir / "escape.html").read_text(encoding="utf-8")
    page = BeautifulSoup(html, "html.parser")
    assert not [s for s in page.find_all("script") if "alert" in s.get_text()]
    assert "<script>alert" not in html
    block, folded = blocks(page)
    event = json.loads(pre_text(block))
    assert event["name"] == SCRIPT_NAME
    assert event["metadata"] == {"<b>key</b>": "&amp; \\ {} $ % _ # ^ ~"}
    caption = page.select_one(".caption-text")
    assert caption is not None
    assert caption.get_text() == "<script>alert(2)</script>"
    summary = page.select_one("details.event-json > summary")
    assert summary is not None
    assert summary.get_text() == "</summary><script>alert(3)</script>"
    assert json.loads(pre_text(folded))["name"] == SCRIPT_NAME


# --- bad input -----------------------------------------------------------------------------

# case -> (subtype, where: None for the directive's line, or text of the line at fault, message)
BAD_CASES: dict[str, tuple[str, str | None, str]] = {
    "json-syntax": (
        "json",
        '"source": "WORKER",,',
        "event-json: invalid JSON at line 2, column 21 of the content: Expecting property name "
        "enclosed in double quotes; the content must be a single JSON object",
    ),
    "missing-field": (
        "field",
        None,
        "event-json: invalid Event: missing required field 'source' of an Event",
    ),
    "unknown-field": (
        "field",
        None,
        "event-json: invalid Event: unknown field 'colour' in an Event",
    ),
    "unknown-enum": (
        "field",
        None,
        "event-json: invalid Event: field 'source' must be one of 'AGENT', 'WORKER' "
        "(an EventSource); got 'MASTER' (a string)",
    ),
    "unknown-enum-expression": (
        "expression",
        "node_state=NodeState.DONE",
        "event-json: at line 2, column 22 of the content: NodeState has no member 'DONE'; "
        "expected one of NodeState.INIT, NodeState.RUNNING, NodeState.SUCCEEDED, NodeState.FAILED",
    ),
    "wrong-type": (
        "field",
        None,
        "event-json: invalid RdzvEvent: field 'pid' must be an integer; got '1234' (a string)",
    ),
    "nested-metadata": (
        "field",
        None,
        "event-json: invalid Event: metadata['config'] must be a string, number, boolean or "
        "null; got {'lr': 0.1} (an object)",
    ),
    "disallowed-call": (
        "expression",
        "__import__",
        "event-json: at line 1, column 12 of the content: a call to __import__('os').getcwd is "
        "not allowed; allowed are string, number",
    ),
    "disallowed-arithmetic": (
        "expression",
        "timestamp=1 + 2",
        "event-json: at line 3, column 17 of the content: arithmetic is not allowed",
    ),
    "disallowed-name": (
        "expression",
        "source=WORKER)",
        "event-json: at line 1, column 24 of the content: the name 'WORKER' is not allowed here; "
        "write EventSource.WORKER or the string 'WORKER'",
    ),
    "expression-syntax": (
        "expression",
        'Event(name="x",',
        "event-json: invalid expression at line 1, column 6 of the content: '(' was never closed",
    ),
    "empty": ("content", None, "event-json: the directive has no content; write a JSON object"),
    "unknown-class": (
        "class",
        None,
        "event-json: unknown event class 'WorkerEvent'; expected one of Event, RdzvEvent",
    ),
    "no-class": (
        "class",
        None,
        "event-json: the event-json directive needs the event class as its argument; write "
        "'event-json:: Event' or 'event-json:: RdzvEvent'",
    ),
    "class-mismatch": (
        "expression",
        'Event(name="x", source="WORKER")',
        "event-json: at line 1, column 1 of the content: the expression builds Event but the "
        "directive names RdzvEvent; make them agree",
    ),
    "duplicate-key": (
        "json",
        None,
        "event-json: not valid JSON: the key 'name' appears twice in one object (readers "
        "disagree on which one counts); keep only one",
    ),
    "nan": ("json", None, "event-json: not valid JSON: NaN is not a JSON value"),
    "schema-unknown-class": ("class", None, "event-schema: unknown event class 'Events'"),
}


def expected_locations(source: Path, marker: str) -> dict[str, int]:
    """Map each case of *source* (``<marker> NAME``) to the line its warning must point at."""
    lines = source.read_text(encoding="utf-8").splitlines()
    found = {}
    for index, line in enumerate(lines):
        if not line.startswith(marker):
            continue
        case = line.removeprefix(marker).strip()
        if case not in BAD_CASES:
            continue
        _, where, _ = BAD_CASES[case]
        rest = list(enumerate(lines))[index + 1 :]
        if where is None:
            found[case] = next(i for i, text in rest if re.match(r"(\.\. |```\{)event-", text)) + 1
        else:
            found[case] = next(i for i, text in rest if where in text) + 1
    return found


@pytest.mark.sphinx("html", testroot="event-json-bad", srcdir="event-json-bad", freshenv=True)
def test_every_mistake_is_a_located_warning_and_the_page_still_builds(app: SphinxTestApp) -> None:
    app.build()
    warnings = warnings_of(app)
    source = app.srcdir / "index.rst"
    locations = expected_locations(source, ".. case:")
    assert set(locations) == set(BAD_CASES)
    for case, line in locations.items():
        subtype, _, message = BAD_CASES[case]
        prefix = f"{source}:{line}: WARNING: {message}"
        matching = [w for w in warnings if w.startswith(prefix)]
        assert len(matching) == 1, f"{case}: no warning {prefix!r} in {warnings}"
        assert matching[0].endswith(f"[event_json.{subtype}]")
    assert len(warnings) == len(BAD_CASES)
    page = soup(app, "index")
    (good,) = blocks(page)
    assert json.loads(pre_text(good))["name"] == "still here"


@pytest.mark.sphinx(
    "html",
    testroot="event-json-bad",
    srcdir="event-json-bad-suppressed",
    freshenv=True,
    confoverrides={"suppress_warnings": ["event_json"]},
)
def test_suppress_warnings_silences_the_extension(app: SphinxTestApp) -> None:
    app.build()
    assert warnings_of(app) == []


@pytest.mark.sphinx(
    "html",
    testroot="event-json-bad",
    srcdir="event-json-bad-suppressed-json",
    freshenv=True,
    confoverrides={"suppress_warnings": ["event_json.json", "event_json.class"]},
)
def test_suppress_warnings_silences_one_subtype(app: SphinxTestApp) -> None:
    app.build()
    subtypes = {w.rpartition("[")[2] for w in warnings_of(app)}
    assert subtypes == {"event_json.field]", "event_json.expression]", "event_json.content]"}


def test_a_caption_that_is_not_inline_text_is_reported(
    make_app: Callable[..., SphinxTestApp], tmp_path: Path
) -> None:
    (tmp_path / "conf.py").write_text(
        'extensions = ["sphinxext.event_json"]\nshow_warning_types = True\n'
    )
    (tmp_path / "index.rst").write_text(
        "Caption\n=======\n\n.. event-json:: Event\n   :caption: .. not-a-caption::\n\n"
        '   {"name": "x", "source": "WORKER"}\n'
    )
    app = make_app("html", srcdir=tmp_path)
    app.build()
    ours = [w for w in warnings_of(app) if "[event_json." in w]
    assert ours == [
        f"{tmp_path / 'index.rst'}:4: WARNING: event-json: invalid caption '.. not-a-caption::'; "
        "a caption is one line of inline text [event_json.caption]"
    ]


def test_warnings_as_errors_fail_the_build_cleanly(tmp_path: Path) -> None:
    # --keep-going: Sphinx 8.1 and newer always go on; 7.4 would stop at the first warning.
    result = sphinx_build("-W", "--keep-going", "-b", "html", ROOTS / "test-event-json-bad",
                          tmp_path / "out", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert f"{ROOTS / 'test-event-json-bad' / 'index.rst'}:" in result.stderr
    assert "[event_json.json]" in result.stderr
    assert "build finished with problems" in result.stdout + result.stderr


# --- MyST ----------------------------------------------------------------------------------


@pytest.mark.sphinx("html", testroot="event-json-myst", srcdir="event-json-myst", freshenv=True)
def test_myst_fences_render_and_warn_at_their_lines(app: SphinxTestApp) -> None:
    app.build()
    page = soup(app, "index")
    rendered = blocks(page)
    failed = RdzvEvent("rdzv.py:fail", "r", "boom", "h", 7, NodeState.FAILED)
    assert pre_text(rendered[0]) == pretty_json(failed.serialize())
    caption = page.select_one("#node-failed .caption-text")
    assert caption is not None
    assert caption.get_text() == "A node failed"
    assert pre_text(rendered[1]) == Event("myst", EventSource.AGENT).serialize()
    assert page.select_one("table.event-schema") is not None
    assert len(rendered) == 3  # the two examples and the schema; the bad fences render nothing

    source = app.srcdir / "index.md"
    lines = source.read_text(encoding="utf-8").splitlines()

    def line_of(text: str) -> int:
        return next(i for i, line in enumerate(lines) if text in line) + 1

    broken = line_of('"source": 12,}')
    extra_fence = line_of('"extra": 1') - 1
    assert warnings_of(app) == [
        f"{source}:{broken}: WARNING: event-json: invalid JSON at line 2, "
        "column 15 of the content: Expecting property name enclosed in double quotes; the "
        "content must be a single JSON object [event_json.json]",
        f"{source}:{extra_fence}: WARNING: event-json: invalid Event: unknown field 'extra' in an "
        "Event; its fields are 'name', 'source', 'timestamp', 'metadata' [event_json.field]",
        f"{source}:{line_of('EventSource.MASTER')}: WARNING: event-json: at line 2, column 14 of "
        "the content: EventSource has no member 'MASTER'; expected one of EventSource.AGENT, "
        "EventSource.WORKER [event_json.expression]",
    ]


# --- parallel builds -----------------------------------------------------------------------


def test_parallel_build_gives_identical_output_and_no_warning(tmp_path: Path) -> None:
    serial, parallel = html_of_serial_and_parallel_builds(ROOTS / "test-event-json", tmp_path)
    assert set(serial) >= {Path(f"{page}.html") for page in PAGES_WITH_EXAMPLES}
    assert serial == parallel


# --- incremental builds --------------------------------------------------------------------


@pytest.mark.sphinx("html", testroot="event-json", srcdir="event-json-deps", freshenv=True)
def test_pages_with_examples_depend_on_the_library_code_they_render(app: SphinxTestApp) -> None:
    app.build()
    library = (
        set(dependency_files(Event))
        | set(dependency_files(RdzvEvent))
        | set(dependency_files(json_schema))
    )
    for page in PAGES_WITH_EXAMPLES:
        assert {Path(p) for p in app.env.dependencies[page]} & library, page
    defining = Path(sys.modules[defining_module(Event)].__file__ or "").resolve()
    assert defining in {Path(p) for p in app.env.dependencies["more1"]}
    for page in ("index", "api", "more"):
        assert not {Path(p) for p in app.env.dependencies.get(page, ())} & library


def test_editing_one_page_rereads_only_that_page(
    make_app: Callable[..., SphinxTestApp], tmp_path: Path
) -> None:
    srcdir = tmp_path / "src"
    shutil.copytree(ROOTS / "test-event-json", srcdir)
    first = make_app("html", srcdir=srcdir)
    first.build()
    first.cleanup()
    assert read_docs(first.status.getvalue()) == {
        "index", "api", "examples", "escape", "more", "more1", "more2", "more3",
    }  # fmt: skip

    unchanged = make_app("html", srcdir=srcdir)
    unchanged.build()
    unchanged.cleanup()
    assert read_docs(unchanged.status.getvalue()) == set()

    page = srcdir / "more2.rst"
    page.write_text(page.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    touch_later(page)
    edited = make_app("html", srcdir=srcdir)
    edited.build()
    assert read_docs(edited.status.getvalue()) == {"more2"}
    assert warnings_of(edited) == []


def test_a_change_to_the_library_rereads_the_pages_that_render_it(tmp_path: Path) -> None:
    """Build against a copy of elastic_events, edit the copy, rebuild: who is read again?"""
    library = tmp_path / "lib"
    package = Path(elastic_events.__file__ or "").parent
    shutil.copytree(
        package, library / "elastic_events", ignore=shutil.ignore_patterns("__pycache__")
    )
    env = {"PYTHONPATH": os.pathsep.join([str(library), str(REPOSITORY)])}
    args = ("-b", "html", ROOTS / "test-event-json", tmp_path / "out")

    first = sphinx_build(*args, cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert len(read_docs(first.stdout)) == 8

    used = {p.name for p in dependency_files(Event) + dependency_files(RdzvEvent)}
    used |= {p.name for p in dependency_files(json_schema)}
    unused = sorted({p.name for p in package.glob("*.py")} - used)
    if unused:  # a module of the library that no example renders: editing it rebuilds nothing
        touch_later(library / "elastic_events" / unused[0])
        untouched = sphinx_build(*args, cwd=tmp_path, env=env)
        assert read_docs(untouched.stdout) == set(), unused[0]

    defining = Path(sys.modules[defining_module(Event)].__file__ or "").name
    edited = library / "elastic_events" / defining
    edited.write_text(edited.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    touch_later(edited)
    second = sphinx_build(*args, cwd=tmp_path, env=env)
    assert second.returncode == 0, second.stderr
    assert read_docs(second.stdout) == PAGES_WITH_EXAMPLES
