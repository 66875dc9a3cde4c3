"""The extension in another project: its own event classes (dataclasses, attrs, pydantic, torch's),
by dotted path and by ``event_json_classes``, in builds of tests/roots/test-adopt/."""

from __future__ import annotations

import ast
import dataclasses
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from sphinx.errors import ConfigError
from sphinx.testing.util import SphinxTestApp

from sphinxext.event_json import _classes
from sphinxext.event_json._classes import ClassProblem, Registry, UnsupportedType
from sphinxext.event_json._content import ContentError, parse_event
from tests.sphinx_builds import ROOTS, soup, sphinx_build, warnings_of

# Sphinx 9.0's napoleon reads autodoc's options through the interface that Sphinx deprecates.
pytestmark = pytest.mark.filterwarnings(
    "ignore:The mapping interface for autodoc options objects is deprecated"
)

EXTENSION = Path(__file__).parents[1] / "sphinxext" / "event_json"
EXTRA_PAGES = ("mistakes.rst", "torch.rst", "models.rst")


def only(*pages: str) -> dict[str, Any]:
    """confoverrides that build the project's main pages and *pages* of the extra ones."""
    return {
        "exclude_patterns": ["_build", *(p for p in EXTRA_PAGES if p not in pages)],
        "nitpicky": True,
    }


def shown(page: BeautifulSoup) -> list[tuple[str, Any]]:
    """(dotted class path, JSON value) of each event-json block of *page*."""
    found = []
    for block in page.select("div.event-json"):
        paths = [c for c in block.get("class", []) if c.startswith("event-json-class-")]
        if paths:
            pre = block.select_one("pre")
            assert pre is not None
            found.append((paths[0].removeprefix("event-json-class-"), json.loads(pre.get_text())))
    return found


def key_links(page: BeautifulSoup) -> list[dict[str, str]]:
    links = []
    for block in page.select("div.event-json"):
        if "event-json-schema" in block.get("class", []):
            continue
        links.append({json.loads(a.get_text()): str(a["href"]) for a in block.select("a")})
    return links


JOB_STARTED = {
    "job": "nightly-build",
    "phase": "running",
    "priority": 9,
    "retries": 0,
    "progress": 0.25,
    "node": "node-3",
    "tags": [],
    "labels": {"team": "infra"},
    "urgent": False,
}
JOB_FIELDS = list(JOB_STARTED)


# --- a third party's dataclass -----------------------------------------------------------------


@pytest.mark.sphinx("html", testroot="adopt", srcdir="adopt-clean", confoverrides=only())
def test_a_third_party_dataclass_renders_checked_and_linked(app: SphinxTestApp) -> None:
    app.build()
    assert warnings_of(app) == []
    page = soup(app, "examples")
    assert shown(page) == [
        ("shipyard_events.JobEvent", JOB_STARTED),
        ("shipyard_events.JobEvent", {**JOB_STARTED, "tags": ["ci", "nightly"]}),
        (
            "shipyard_events.JobEvent",
            {**JOB_STARTED, "job": "x", "phase": "queued", "priority": 5, "progress": 0.0,
             "node": None, "labels": {}},
        ),
    ]  # fmt: skip
    # The compact form is the line the codec writes: the fields in declaration order.
    compact = page.select("div.event-json-JobEvent pre")[2].get_text()
    assert compact.startswith('{"job": "x", "phase": "queued", "priority": 5, "retries": 0,')
    expected = {key: f"api.html#shipyard_events.JobEvent.{key}" for key in JOB_FIELDS}
    assert key_links(page) == [expected] * 3
    for href in expected.values():  # each link lands on the attribute autodoc made
        assert soup(app, "api").find(id=href.partition("#")[2]) is not None


@pytest.mark.sphinx("html", testroot="adopt", srcdir="adopt-schema", confoverrides=only())
def test_the_schema_of_a_dataclass_comes_from_its_annotations(app: SphinxTestApp) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    app.build()
    assert warnings_of(app) == []
    page = soup(app, "examples")
    rows = [
        [cell.get_text(" ", strip=True) for cell in row.select("td")]
        for row in page.select("table.event-schema tbody tr")
    ]
    assert rows == [
        ["job", "string", "required", "The job's name."],
        ["phase", '"queued" | "running" | "done"', "required", "Where the job is now."],
        ["priority", "1 | 5 | 9", "default 5", "How soon it runs."],
        ["retries", "integer", "default 0", "How often it was retried; never negative."],
        ["progress", "number", "default 0.0", "The part done, from 0 to 1."],
        ["node", "string | null", "default null", "The node that runs it, once one does."],
        ["tags", "array of string", "default []", "Free-form tags."],
        ["labels", "object of string", "default {}", "Labels, by key."],
        ["urgent", "boolean", "default false", "Whether a person is waiting."],
    ]
    names = page.select("table.event-schema tbody tr td:first-child a")
    targets = [f"api.html#shipyard_events.JobEvent.{key}" for key in JOB_FIELDS]
    assert [a["href"] for a in names] == targets
    pre = page.select_one("div.event-json-schema pre")
    assert pre is not None
    schema = json.loads(pre.get_text())
    validator = jsonschema.Draft202012Validator
    validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["required"] == ["job", "phase"]
    for _, value in shown(page):
        validator(schema).validate(value)
    for bad in (
        {"job": "x"},
        {"job": "x", "phase": "paused"},
        {"job": "x", "phase": "done", "node": 3},
        {"job": "x", "phase": "done", "labels": {"a": 1}},
        {"job": "x", "phase": "done", "colour": "red"},
    ):
        assert not validator(schema).is_valid(bad), bad


# --- mistakes ----------------------------------------------------------------------------------

MISTAKES = [
    (6, "class", "unknown event class 'JobEvnt'; expected one of Event, RdzvEvent, JobEvent,"),
    (10, "field", "JobEvent rejected the values: ValueError: retries must not be negative, got -1"),
    (14, "field", "invalid JobEvent: field 'phase' must be one of \"queued\", \"running\", "
     "\"done\" (a Phase); got 'paused' (a string)"),
    (18, "field", "invalid JobEvent: missing required field 'job'; JobEvent requires job, phase"),
    (22, "field", "invalid JobEvent: unknown field 'colour'; JobEvent has the fields job, phase,"),
    (28, "expression", "at line 1, column 14 of the content: a call to "
     "__import__('pathlib').Path('executed').touch is not allowed; allowed are string, number,"),
    (32, "expression", "at line 1, column 14 of the content: the attribute access "
     "shipyard_events.__name__ is not allowed; only members of the enums of JobEvent may be named "
     "(known: Phase, Priority)"),
    (36, "expression", "at line 1, column 25 of the content: the name 'RUNNING' is not allowed "
     "here; write Phase.RUNNING or its value 'running'"),
    (38, "class", "no_such_module.JobEvent cannot be imported: there is no module "
     "'no_such_module' on sys.path"),
    (42, "class", "shipyard_events.Phase is a class but not a dataclass, an attrs class or a "
     "pydantic v2 model"),
    (46, "class", "shipyard_events.field is a function, not a class"),
    (52, "expression", "at line 1, column 25 of the content: Phase has no member 'PAUSED'; "
     "expected one of Phase.QUEUED, Phase.RUNNING, Phase.DONE"),
    (54, "field", "invalid JobEvent: field 'progress' must be a number; got 'half' (a string)"),
]  # fmt: skip


@pytest.mark.sphinx(
    "html", testroot="adopt", srcdir="adopt-mistakes", confoverrides=only("mistakes.rst")
)
def test_each_mistake_is_one_located_warning_saying_what_is_wrong(app: SphinxTestApp) -> None:
    app.build()
    warnings = warnings_of(app)
    source = Path(app.srcdir) / "mistakes.rst"
    assert len(warnings) == len(MISTAKES), "\n".join(warnings)
    for warning, (line, subtype, message) in zip(warnings, MISTAKES, strict=True):
        assert warning.startswith(f"{source}:{line}: WARNING: event-json: {message}"), warning
        assert warning.endswith(f"[event_json.{subtype}]")
    # The build goes on: the page is written, without the broken examples.
    page = soup(app, "mistakes")
    assert page.select_one("h1") is not None
    assert page.select("div.event-json") == []
    # Nothing in an example ran: the call that would have made a file was refused, not evaluated.
    assert not (Path(app.srcdir) / "executed").exists()
    assert not Path("executed").exists()


def test_a_call_in_an_example_is_refused_without_running(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    calls: list[object] = []
    monkeypatch.setattr(builtins, "__import__", lambda *a, **k: calls.append(a))
    codec = Registry({}).resolve("tests.test_adopt.Sample")
    with pytest.raises(ContentError) as info:
        parse_event('Sample(name=__import__("os").getcwd())', codec)
    monkeypatch.undo()
    assert calls == []
    assert "a call to __import__('os').getcwd is not allowed" in info.value.message


# --- the registry ------------------------------------------------------------------------------


@dataclasses.dataclass
class Sample:
    """A small event class of this module, for the registry's tests."""

    name: str
    count: int = 0


def test_a_class_is_imported_once_per_build(monkeypatch: pytest.MonkeyPatch) -> None:
    imported: list[str] = []
    real = _classes.import_path
    monkeypatch.setattr(_classes, "import_path", lambda path: imported.append(path) or real(path))
    registry = Registry({"S": "tests.test_adopt.Sample"})
    first = registry.resolve("S")
    assert registry.resolve("tests.test_adopt.Sample") is first
    assert registry.resolve(" S ") is first
    with pytest.raises(ClassProblem):
        registry.resolve("tests.test_adopt.Missing")
    with pytest.raises(ClassProblem):
        registry.resolve("tests.test_adopt.Missing")
    assert imported == ["tests.test_adopt.Sample", "tests.test_adopt.Missing"]


def test_short_names_of_the_config_and_the_defaults() -> None:
    registry = Registry({"S": "tests.test_adopt.Sample"})
    assert registry.resolve("S").cls is Sample
    assert registry.resolve("Event").path == "elastic_events.Event"
    assert registry.resolve("elastic_events.RdzvEvent").kind == "own"
    assert parse_event('{"name": "n", "count": 2}', registry.resolve("S")) == Sample("n", 2)


@pytest.mark.parametrize(
    "value",
    [["JobEvent"], {"JobEvent": 1}, {"not a name": "a.B"}, "acme.JobEvent"],
    ids=["list", "int-path", "bad-key", "str"],
)
def test_a_bad_event_json_classes_stops_the_build(tmp_path: Path, value: object) -> None:
    conf = f'extensions = ["sphinxext.event_json"]\nevent_json_classes = {value!r}\n'
    (tmp_path / "conf.py").write_text(conf)
    (tmp_path / "index.rst").write_text("Title\n=====\n")
    with pytest.raises(ConfigError, match="event_json_classes must be a dict from short names"):
        SphinxTestApp("html", srcdir=tmp_path).cleanup()


def test_an_unsupported_annotation_is_a_problem_naming_the_field() -> None:
    with pytest.raises(UnsupportedType) as info:
        Registry({}).resolve("tests.test_adopt.WithBytes").schema()
    assert "field 'blob' of WithBytes has the type bytes, which has no JSON form" in str(info.value)
    with pytest.raises(ContentError) as error:
        parse_event('{"blob": "x"}', Registry({}).resolve("tests.test_adopt.WithBytes"))
    assert "field 'blob' has the type bytes, which the extension cannot read from JSON" in (
        error.value.message
    )


@dataclasses.dataclass
class WithBytes:
    blob: bytes


# --- other kinds of class ----------------------------------------------------------------------


@pytest.mark.torch
@pytest.mark.sphinx("html", testroot="adopt", srcdir="adopt-torch", confoverrides=only("torch.rst"))
def test_torch_classes_by_dotted_path_and_by_config(app: SphinxTestApp) -> None:
    api = pytest.importorskip("torch.distributed.elastic.events.api")
    app.build()
    assert warnings_of(app) == []
    page = soup(app, "torch")
    rdzv = api.RdzvEvent(
        "rdzv.py:join", "ft-7f3a", "joined", "node-0", 4242, api.NodeState.RUNNING, rank=0
    )
    event = api.Event(
        "torchelastic.worker.status.SUCCEEDED",
        api.EventSource.WORKER,
        metadata={"run_id": "ft-7f3a", "global_rank": 1, "ok": True, "took": 1.5,
                  "raw_error": None},
    )  # fmt: skip
    assert shown(page) == [
        ("torch.distributed.elastic.events.RdzvEvent", json.loads(rdzv.serialize())),
        ("torch.distributed.elastic.events.api.Event", json.loads(event.serialize())),
    ]
    rows = [row.select_one("td").get_text() for row in page.select("table.event-schema tbody tr")]
    assert rows == [f.name for f in dataclasses.fields(api.RdzvEvent)]


@pytest.mark.sphinx(
    "html", testroot="adopt", srcdir="adopt-models", confoverrides=only("models.rst")
)
def test_a_pydantic_model_and_an_attrs_class(app: SphinxTestApp) -> None:
    pytest.importorskip("pydantic")
    pytest.importorskip("attrs")
    jsonschema = pytest.importorskip("jsonschema")
    app.build()
    assert warnings_of(app) == []
    page = soup(app, "models")
    assert shown(page) == [
        ("shipyard_models.Ticket", {"ticket": "T-1", "phase": "done", "votes": 3, "tags": ["ui"]}),
        ("shipyard_models.Ticket", {"ticket": "T-2", "phase": "queued", "votes": 0, "tags": []}),
        ("shipyard_models.Lease", {"node": "node-1", "seconds": 30, "phase": "running"}),
        ("shipyard_models.Lease", {"node": "node-2", "seconds": 60, "phase": "done"}),
    ]
    ticket = sys.modules["shipyard_models"].Ticket
    schemas = [json.loads(pre.get_text()) for pre in page.select("div.event-json-schema pre")]
    assert schemas[0] == {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **ticket.model_json_schema(),
    }
    for schema in schemas:
        jsonschema.Draft202012Validator.check_schema(schema)
    tables = [
        [[td.get_text(" ", strip=True) for td in tr.select("td")] for tr in t.select("tbody tr")]
        for t in page.select("table.event-schema")
    ]
    assert tables[0][1] == ["phase", '"queued" | "running" | "done"', "required", "Where a job is."]
    assert tables[1][1] == ["seconds", "integer", "default 60", "For how long."]
    # Keys of the attrs class link to the attributes autodoc documents; Ticket is not documented.
    lease_keys = ("node", "seconds", "phase")
    assert key_links(page)[2] == {key: f"#shipyard_models.Lease.{key}" for key in lease_keys}
    assert key_links(page)[0] == {}


def test_the_validators_of_attrs_and_pydantic_reject_bad_examples() -> None:
    pytest.importorskip("pydantic")
    pytest.importorskip("attrs")
    sys.path.insert(0, str(ROOTS / "test-adopt"))
    try:
        registry = Registry({})
        lease = registry.resolve("shipyard_models.Lease")
        ticket = registry.resolve("shipyard_models.Ticket")
    finally:
        sys.path.remove(str(ROOTS / "test-adopt"))
    with pytest.raises(ContentError) as info:
        parse_event('{"node": "  ", "seconds": 5}', lease)
    assert info.value.message == "Lease rejected the values: ValueError: node must not be blank"
    with pytest.raises(ContentError) as info:
        parse_event('Lease(node="n", seconds=0)', lease)
    assert info.value.message.startswith(
        "Lease rejected the values: ValueError: 'seconds' must be > 0"
    )
    with pytest.raises(ContentError) as info:
        parse_event('{"ticket": "T", "phase": "done", "votes": -1}', ticket)
    assert info.value.message.startswith(
        "Ticket rejected the values: 1 validation error for Ticket"
    )
    assert "votes" in info.value.message
    assert "greater than or equal to 0" in info.value.message


# --- the package under another name ------------------------------------------------------------


def test_no_module_of_the_extension_imports_it_by_its_checkout_name() -> None:
    absolute = {
        path.name: [
            node.module
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (node.module or "").startswith("sphinxext")
        ]
        for path in sorted(EXTENSION.glob("*.py"))
    }
    assert {name: found for name, found in absolute.items() if found} == {}


def test_the_extension_works_under_the_name_the_wheel_installs(tmp_path: Path) -> None:
    """The wheel ships sphinxext/event_json as elastic_events_sphinx (see pyproject.toml)."""
    site = tmp_path / "site"
    shutil.copytree(EXTENSION, site / "elastic_events_sphinx")
    # A project's own sphinxext/ package, first on the path, hides the checkout's: the copy must
    # not need it.
    (site / "sphinxext").mkdir()
    (site / "sphinxext" / "__init__.py").write_text("# A project's own helpers.\n")
    project = tmp_path / "project"
    shutil.copytree(ROOTS / "test-adopt", project)
    conf = (project / "conf.py").read_text()
    conf = conf.replace('"sphinxext.event_json"', '"elastic_events_sphinx"')
    (project / "conf.py").write_text(conf)
    result = sphinx_build(
        "-n", "-W", "-b", "html", "-D", "exclude_patterns=_build,mistakes.rst,torch.rst,models.rst",
        project, tmp_path / "out", cwd=tmp_path, env={"PYTHONPATH": str(site)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    page = BeautifulSoup((tmp_path / "out" / "examples.html").read_text(), "html.parser")
    assert shown(page)[0] == ("shipyard_events.JobEvent", JOB_STARTED)


# --- the page "Use it in your project" -------------------------------------------------------

ADOPT_PAGE = Path(__file__).parents[1] / "docs" / "source" / "adopt.md"
EXAMPLES = Path(__file__).parents[1] / "docs" / "examples"
# What each row of the page's table of mistakes puts into a JobEvent example.
MISTAKE_EXAMPLES = {
    "`.. event-json:: JobEvnt`": ("JobEvnt", '{"job": "x", "phase": "queued"}'),
    '`"attempt": 0`': ("JobEvent", '{"job": "x", "phase": "queued", "attempt": 0}'),
    '`"phase": "paused"`': ("JobEvent", '{"job": "x", "phase": "paused"}'),
    'no `"job"`': ("JobEvent", '{"phase": "queued"}'),
    '`"colour": "red"`': ("JobEvent", '{"job": "x", "phase": "queued", "colour": "red"}'),
    "`job=os.getcwd()`": ("JobEvent", "JobEvent(job=os.getcwd(), phase=Phase.QUEUED)"),
    "`phase=RUNNING`": ("JobEvent", 'JobEvent(job="x", phase=RUNNING)'),
    "`phase=Phase.PAUSED`": ("JobEvent", 'JobEvent(job="x", phase=Phase.PAUSED)'),
}


def test_the_mistakes_the_page_shows_give_the_warnings_it_shows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.syspath_prepend(str(EXAMPLES))
    rows = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in ADOPT_PAGE.read_text(encoding="utf-8").splitlines()
        if line.startswith("| `") or line.startswith("| no ")
    ]
    assert [row[0] for row in rows] == list(MISTAKE_EXAMPLES)
    registry = Registry({"JobEvent": "acme_events.JobEvent"})
    for example, said in rows:
        name, text = MISTAKE_EXAMPLES[example]
        with pytest.raises(ContentError) as info:
            parse_event(text, registry.resolve(name))
        for part in said.strip("`").split(" …"):
            assert part.strip("` ") in info.value.message, (example, info.value.message)
