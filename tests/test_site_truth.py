"""The site says of torch only what the committed captures (or torch's source) show.

Reads the docs sources and docs/captures/*.log; needs neither torch nor a build. Every example
event that claims to be torch's (by its name, or by being on the catalogue) must have a
rendezvous function and message of a captured event or of a template that
``docs/captures/shape.py`` cites from torch's source, and the metadata keys, the keys of the inner
``metadata`` string and the value types of a captured event of its kind. The catalogue must show
every kind the captures contain with a real captured line, named by its capture file; the logs
that the pages draw must be committed captures.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.test_captures import CAPTURES, shape

DOCS = Path(__file__).parents[1] / "docs" / "source"
PAGES = ["catalogue.rst", "guide.md", "elastic/events.rst", "run.md"]
# Pages that draw logs: these, and the doc writers' page, whose examples show the directives.
LOG_PAGES = [*PAGES, "directives.rst"]
TORCH_PAGES = {"catalogue.rst"}  # every example on these claims to be torch's
WATCHDOG_NAMES = {"watchdog started", "watchdog stopped", "timer expired", "kill worker process"}
RDZV_FIELDS = [
    "name",
    "run_id",
    "message",
    "hostname",
    "pid",
    "node_state",
    "master_endpoint",
    "rank",
    "local_id",
    "error_trace",
]
EVENT_FIELDS = ["name", "source", "timestamp", "metadata"]


@dataclasses.dataclass
class Example:
    page: str
    line: int
    directive: str  #: event-json, event-log or event-timeline
    argument: str
    options: dict[str, str]
    content: str

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


_RST = re.compile(
    r"^(?P<indent> *)\.\. (?P<directive>event-json|event-log|event-timeline)::"
    r" *(?P<argument>.*)$"
)
_MD = re.compile(r"^```\{(?P<directive>event-json|event-log|event-timeline)\} *(?P<argument>.*)$")
_LITERAL = re.compile(r"^ *(\.\. code-block::.*|.*::)$")
_OPTION = re.compile(r"^ *:(?P<name>[a-z-]+):(?: *(?P<value>.*))?$")


def examples_of(page: str, text: str) -> list[Example]:
    """The event directives of a page (reST or MyST Markdown), with their content."""
    lines = text.splitlines()
    found = []
    literal: int | None = None  # the indent of the code block we are in, if any
    for number, line in enumerate(lines):
        indent = len(line) - len(line.lstrip())
        if literal is not None and line.strip() and indent <= literal:
            literal = None
        if literal is not None:
            continue  # an example of how to write a directive, shown as code
        if _LITERAL.match(line) and not _RST.match(line):
            literal = indent
            continue
        if match := _RST.match(line):
            indent = len(match["indent"])
            body = []
            for following in lines[number + 1 :]:
                if following.strip() and len(following) - len(following.lstrip()) <= indent:
                    break
                body.append(following)
        elif match := _MD.match(line):
            body = []
            for following in lines[number + 1 :]:
                if following.startswith("```"):
                    break
                body.append(following)
        else:
            continue
        options: dict[str, str] = {}
        while body and (option := _OPTION.match(body[0])):
            options[option["name"]] = option["value"] or ""
            body.pop(0)
        content = "\n".join(body).strip("\n")
        directive, argument = match["directive"], match["argument"].strip()
        found.append(Example(page, number + 1, directive, argument, options, content))
    return found


def _value(node: ast.expr) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.attr  # EventSource.AGENT, NodeState.FAILED: the member's name
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_value(node.operand)
    if isinstance(node, ast.Dict):
        return {_value(k): _value(v) for k, v in zip(node.keys, node.values, strict=True) if k}
    raise ValueError(ast.dump(node))


def event_of(example: Example) -> dict[str, Any]:
    """The event an ``event-json`` example writes, as a JSON object (fields left out absent)."""
    content = example.content.strip()
    if content.startswith("{"):
        decoded = json.loads(content)
        assert isinstance(decoded, dict)
        return decoded
    call = ast.parse(content, mode="eval").body
    assert isinstance(call, ast.Call), example.where
    assert isinstance(call.func, ast.Name), example.where
    fields = RDZV_FIELDS if call.func.id == "RdzvEvent" else EVENT_FIELDS
    event = {fields[n]: _value(arg) for n, arg in enumerate(call.args)}
    event.update({kw.arg: _value(kw.value) for kw in call.keywords if kw.arg})
    return event


def claims_to_be_torchs(example: Example, event: dict[str, Any]) -> bool:
    if example.page in TORCH_PAGES:
        return True
    name = str(event.get("name", ""))
    if example.argument.endswith("RdzvEvent"):
        return name.startswith(("dynamic_rendezvous.py:", "c10d_rendezvous_backend.py:"))
    return name.startswith("torchelastic.") or name in WATCHDOG_NAMES


def pages(names: list[str] = PAGES) -> dict[str, str]:
    return {page: (DOCS / page).read_text(encoding="utf-8") for page in names}


def problems(captures: dict[str, str], texts: dict[str, str]) -> list[str]:
    """Where the pages' torch examples disagree with the captures; [] if nowhere."""
    captured = [event for text in captures.values() for event in shape.events(text)]
    by_kind: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for event in captured:
        by_kind.setdefault(shape.kind(event), []).append(event)
    found = []
    for page, text in texts.items():
        for example in examples_of(page, text):
            if example.directive != "event-json":
                continue
            event = event_of(example)
            if claims_to_be_torchs(example, event):
                found += [f"{example.where}: {p}" for p in _problems_of(event, by_kind)]
    return found


def _problems_of(
    event: dict[str, Any], by_kind: dict[tuple[str, str], list[dict[str, Any]]]
) -> list[str]:
    key = shape.kind(event)
    if "message" in event:  # a rendezvous event
        if key in by_kind:
            states = {e["node_state"] for e in by_kind[key]}
            if event.get("node_state") not in states:
                return [
                    f"{key[0]} {key[1]!r} is recorded as {sorted(states)}, not "
                    f"{event.get('node_state')!r}"
                ]
            return []
        if any(source.matches(event) for source in shape.SOURCE_ONLY_RDZV):
            return []
        near = [k for k in by_kind if k[0] == key[0]]
        return [
            f"no capture and no template of torch's source has {key[0]} {key[1]!r}"
            + (f"; captured with that name: {[k[1] for k in near]}" if near else "")
        ]
    metadata = event.get("metadata", {})
    inner = shape.inner_metadata(event)
    if key in by_kind:
        seen = by_kind[key]
        keys = {tuple(e["metadata"]) for e in seen}
        if tuple(metadata) not in keys:
            return [
                f"{key[0]} ({key[1]}) has the metadata keys {list(metadata)}; torch "
                f"records {[list(k) for k in sorted(keys)]}"
            ]
        types = [shape.shape(e)["inner"] for e in seen]
        mine = shape.shape(event)["inner"]
        if mine not in types:
            return [
                f"{key[0]} ({key[1]}) has the inner metadata {mine}; torch records "
                f"{[t for n, t in enumerate(types) if t not in types[:n]]}"
            ]
        states = {e["metadata"].get("state") for e in seen}
        if metadata.get("state") not in states:
            return [f"{key[0]} ({key[1]}) has the state {metadata.get('state')!r}, not {states}"]
        return []
    if key in shape.SOURCE_ONLY_STATUS:
        _, inner_keys = shape.SOURCE_ONLY_STATUS[key]
        if list(metadata) != shape.STATUS_KEYS or inner is None or list(inner) != inner_keys:
            return [
                f"{key[0]} ({key[1]}) must have the metadata keys {shape.STATUS_KEYS} and "
                f"the inner keys {inner_keys} of torch's _construct_event"
            ]
        return []
    return [f"no capture and no line of torch's source records {key[0]} ({key[1]})"]


def catalogue_problems(captures: dict[str, str], catalogue: str) -> list[str]:
    """Captured kinds the catalogue does not show with a real line of a named capture."""
    shown: dict[tuple[str, str], list[tuple[dict[str, Any], str]]] = {}
    for example in examples_of("catalogue.rst", catalogue):
        if example.directive == "event-json" and example.content.lstrip().startswith("{"):
            event = event_of(example)
            shown.setdefault(shape.kind(event), []).append(
                (event, example.options.get("caption", ""))
            )
    found = []
    for key, places in shape.captured_kinds(captures).items():
        real = {
            (file, json.dumps(event))
            for file, text in captures.items()
            for event in shape.events(text)
            if shape.kind(event) == key
        }
        if not any(
            (f, json.dumps(e)) in real and f in caption
            for e, caption in shown.get(key, [])
            for f in captures
        ):
            files = sorted({file for file, _ in places})
            found.append(
                f"the catalogue shows no captured line of {key[0]} {key[1]!r} with "
                f"the capture it comes from in its caption (it is in {files})"
            )
    return found


def test_the_parser_finds_the_examples_of_every_page() -> None:
    counts = {page: len(examples_of(page, text)) for page, text in pages(LOG_PAGES).items()}
    assert all(counts.values()), counts
    directives = {e.directive for text in pages(LOG_PAGES).values() for e in examples_of("", text)}
    assert directives == {"event-json", "event-log", "event-timeline"}


def test_every_torch_example_on_the_site_is_what_torch_records() -> None:
    found = problems(shape.committed_captures(), pages())
    assert not found, "\n".join(found)


def test_the_catalogue_shows_every_captured_kind_with_its_real_line() -> None:
    catalogue = pages()["catalogue.rst"]
    found = catalogue_problems(shape.committed_captures(), catalogue)
    assert not found, "\n".join(found)


def test_the_catalogue_cites_torchs_source_for_each_kind_no_capture_shows() -> None:
    catalogue = pages()["catalogue.rst"]
    marked = catalogue.split(".. _not-captured:", 1)
    assert len(marked) == 2, "the catalogue has no marked list of kinds no capture shows"
    for source in shape.SOURCE_ONLY_RDZV:
        assert source.where in marked[1], source
    for where, _ in shape.SOURCE_ONLY_STATUS.values():
        assert where.split(" ", 1)[0] in marked[1], where


@pytest.mark.parametrize("directive", ["event-log", "event-timeline"])
def test_the_logs_the_pages_draw_are_committed_captures(directive: str) -> None:
    drawn = [
        example
        for page, text in pages(LOG_PAGES).items()
        for example in examples_of(page, text)
        if example.directive == directive
    ]
    assert drawn
    for example in drawn:
        base = DOCS if example.argument.startswith("/") else (DOCS / example.page).parent
        path = (base / example.argument.lstrip("/")).resolve()
        assert path.parent == CAPTURES.resolve(), example.where
        assert path.is_file(), example.where


# --- the test of the test -----------------------------------------------------------------------


def changed_captures(old: str, new: str) -> dict[str, str]:
    """The committed captures with the first *old* replaced by *new* (one character apart)."""
    assert len(old) == len(new)
    assert sum(a != b for a, b in zip(old, new, strict=True)) == 1
    captures = shape.committed_captures()
    for name, text in captures.items():
        if old in text:
            return {**captures, name: text.replace(old, new)}
    raise AssertionError(f"{old!r} is in no capture")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("has joined round", "has joined rounb"),  # a message
        ("attempts to join the next", "attempts to join the nexT"),
        ('"duration_ms"', '"duration_mz"'),  # a metadata key
        ('\\"entry_point\\"', '\\"entry_pOint\\"'),  # a key of the inner metadata
        ("_mark_rendezvous_complete", "_mark_rendezvous_c0mplete"),  # a function
    ],
)
def test_a_one_character_change_to_a_capture_fails_the_site(old: str, new: str) -> None:
    assert problems(shape.committed_captures(), pages()) == []
    changed = changed_captures(old, new)
    found = problems(changed, pages()) + catalogue_problems(changed, pages()["catalogue.rst"])
    assert found


def test_the_run_page_and_the_catalogue_name_the_torch_version_of_the_captures() -> None:
    version = (CAPTURES / "TORCH_VERSION").read_text(encoding="utf-8").strip()
    release = version.split("+", 1)[0]  # 2.13.0+cpu: the CPU build of 2.13.0
    for page in ["run.md", "catalogue.rst"]:
        assert f"PyTorch {release} (its CPU build)" in pages()[page], page
