"""The built site (build/html, made by `make html`) documents what the package exports and what
the command takes, and conf.py only configures the build.

Skipped where the site is not built, except in CI (``CI=true``), where `make test` builds it first.
"""

from __future__ import annotations

import argparse
import ast
import copy
import dataclasses
import inspect
import os
import re
import subprocess
import sys
import textwrap
import types
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag

import elastic_events
from elastic_events._cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "source"
HTML = ROOT / "build" / "html"
EVENTS_PAGE = HTML / "elastic" / "events.html"
CLI_PAGE = HTML / "cli.html"


def _built(page: Path) -> BeautifulSoup:
    if not page.is_file():
        reason = f"no built site at {HTML}: run `make html` first"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: the site must be built before the tests)")
        pytest.skip(reason)
    return BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")


@pytest.fixture(scope="module")
def events_page() -> BeautifulSoup:
    return _built(EVENTS_PAGE)


@pytest.fixture(scope="module")
def cli_page() -> BeautifulSoup:
    return _built(CLI_PAGE)


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
    description = entry.find_next_sibling("dd")
    text = description.get_text(" ", strip=True)
    assert "JSON scalar" in text
    assert "PEP 604" not in text, "the docstring of types.UnionType leaked in"
    # Napoleon reads a first line "words: more words" as "type: description".
    assert description.find(class_="field-list") is None, "part of the docstring became a type"


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


# -- conf.py configures; the library's annotations and docstrings are what autodoc needs ----------


def _repairs(source: str) -> list[str]:
    """What in a Sphinx conf.py runs generated code or changes a module it imports."""
    tree = ast.parse(source)
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {(alias.asname or alias.name).partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported |= {alias.asname or alias.name for alias in node.names}

    def root(node: ast.expr) -> str | None:
        while isinstance(node, ast.Attribute | ast.Subscript):
            node = node.value
        return node.id if isinstance(node, ast.Name) else None

    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign | ast.Delete):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in {"exec", "eval", "compile"}:
                found.append((node.lineno, f"{node.func.id}()"))
            elif node.func.id in {"setattr", "delattr"} and node.args:
                targets = [ast.Attribute(node.args[0], "?", ast.Store(), lineno=node.lineno)]
        while targets:
            target = targets.pop()
            if isinstance(target, ast.Tuple | ast.List):
                targets += target.elts
            elif isinstance(target, ast.Attribute | ast.Subscript) and root(target) in imported:
                found.append((node.lineno, f"changes {ast.unparse(target)}"))
    return [f"line {line}: {what}" for line, what in sorted(found)]


def test_conf_py_runs_no_generated_code_and_patches_nothing() -> None:
    assert _repairs((ROOT / "conf.py").read_text(encoding="utf-8")) == []


def test_the_conf_py_check_finds_what_it_looks_for() -> None:
    source = textwrap.dedent(
        """
        import sys, ast as syntax
        from sphinx.ext.napoleon.docstring import GoogleDocstring
        exec(compile(syntax.Module([], []), "x", "exec"), {})
        GoogleDocstring._lookup_annotation = len
        sys.modules["x"], other = None, 1
        setattr(syntax, "parse", len)
        local = {}
        local["fine"] = 1
        """
    )
    assert _repairs(source) == [
        "line 4: compile()",
        "line 4: exec()",
        "line 5: changes GoogleDocstring._lookup_annotation",
        "line 6: changes sys.modules['x']",
        "line 7: changes syntax.?",
    ]


def _spelled(annotation: object) -> str:
    """An annotation as a docstring spells it: ``dict[str, int | None]``."""
    if annotation is type(None):
        return "None"
    if isinstance(annotation, types.UnionType):
        return " | ".join(map(_spelled, annotation.__args__))
    if isinstance(annotation, types.GenericAlias):
        arguments = ", ".join(map(_spelled, annotation.__args__))
        return f"{annotation.__origin__.__name__}[{arguments}]"
    return str(getattr(annotation, "__name__", annotation))


def _attributes_section(cls: type) -> dict[str, str | None]:
    """The entries of the ``Attributes:`` section of a class's docstring, with their types."""
    lines = inspect.cleandoc(cls.__doc__ or "").splitlines()
    if "Attributes:" not in lines:
        return {}
    entries: dict[str, str | None] = {}
    for line in lines[lines.index("Attributes:") + 1 :]:
        if line.strip() and not line.startswith(" "):
            break
        if entry := re.fullmatch(r" {4}(\w+)(?: \((.+?)\))?: .*", line):
            entries[entry.group(1)] = entry.group(2)
    return entries


CLASSES = [
    name for name in elastic_events.__all__ if isinstance(getattr(elastic_events, name), type)
]


@pytest.mark.parametrize("name", CLASSES)
def test_attribute_types_in_docstrings_are_the_annotations(name: str) -> None:
    """sphinx-autodoc-typehints keeps Napoleon from reading them off the annotations."""
    cls = getattr(elastic_events, name)
    try:
        hints = typing.get_type_hints(cls)
    except NameError:  # a name imported for type checkers only: compare the words as written
        hints = inspect.get_annotations(cls)
    for attribute, written in _attributes_section(cls).items():
        expected = _spelled(hints[attribute]) if attribute in hints else None
        assert written == expected, f"{name}.{attribute}: write {attribute} ({expected}): ..."


@pytest.mark.parametrize(
    "cls", [elastic_events.Event, elastic_events.RdzvEvent, elastic_events.LogLine]
)
def test_the_attributes_section_of_a_dataclass_types_each_field(cls: type) -> None:
    written = _attributes_section(cls)
    assert list(written) == [field.name for field in dataclasses.fields(cls)]
    assert None not in written.values()


def test_public_functions_name_only_types_their_module_binds_at_run_time() -> None:
    """sphinx-autodoc-typehints runs the ``if TYPE_CHECKING:`` imports of the module named by a
    function's ``__module__``: for a public function that is elastic_events/__init__.py, not the
    private module it is defined in, so its annotations must resolve without them. Names from
    ``collections.abc`` (which the package's imports load anyway) may be imported at run time;
    typing's may not (``object``, not ``Any``).
    """
    code = textwrap.dedent(
        """
        import inspect, typing
        import elastic_events
        for name in elastic_events.__all__:
            obj = getattr(elastic_events, name)
            if inspect.isfunction(obj):
                try:
                    typing.get_type_hints(obj)
                except NameError as error:
                    print(f"{name}: {error}")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout == ""


# -- The CLI page is the parser's ---------------------------------------------------------------


def _parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """The parser and those of its subcommands, at any depth."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for subparser in dict.fromkeys(action.choices.values()):
                yield from _parsers(subparser)


def _plain(text: str) -> str:
    """Text as the page and ``--help`` both have it: docutils' smart quotes undone, one space."""
    for smart, plain in (("\u2019", "'"), ("\u2026", "..."), ("\u2013", "--")):
        text = text.replace(smart, plain)
    return " ".join(text.split())


def _heading(section: Tag) -> str:
    heading = section.find(re.compile(r"^h[1-6]$"))
    return _plain(heading.get_text().rstrip("¶#")) if heading else ""


def _section_of(page: BeautifulSoup, prog: str, subcommands: set[str]) -> Tag:
    """The section titled ``prog`` (the whole page for the command itself), without the sections
    of the subcommands in it."""
    if prog in subcommands:
        found = [section for section in page.select("article section") if _heading(section) == prog]
        assert len(found) == 1, f"the CLI page has no section (or several) for {prog!r}"
        section = copy.copy(found[0])
    else:
        section = copy.copy(page.find("article"))
    for nested in section.find_all("section"):
        if _heading(nested) in subcommands - {prog}:
            nested.decompose()
    return section


def test_cli_page_has_a_section_for_each_subcommand_with_each_option_and_its_help(
    cli_page: BeautifulSoup,
) -> None:
    parsers = list(_parsers(build_parser()))
    assert len(parsers) > 1, "the parser has no subcommands"
    subcommands = {parser.prog for parser in parsers[1:]}
    for parser in parsers:
        section = _section_of(cli_page, parser.prog, subcommands)
        codes = {_plain(code.get_text()) for code in section.find_all("code")}
        text = _plain(section.get_text(" "))
        for words in (parser.description, parser.epilog):
            assert _plain(words or "") in text, f"{parser.prog}: {words!r} is not on the CLI page"
        formatter = parser._get_formatter()
        for action in parser._actions:
            if action.help == argparse.SUPPRESS or isinstance(action, argparse._SubParsersAction):
                continue
            names = action.option_strings or [str(action.metavar or action.dest)]
            for name in names:
                assert name in codes, f"{parser.prog} {name} is not on the CLI page"
            help_text = _plain(formatter._expand_help(action))
            assert help_text in text, f"the help of {parser.prog} {names[0]}: {help_text!r}"
