"""The committed captures of docs/captures/ are what torch records today.

The torch tests run ``docs/captures/capture.py`` with the installed PyTorch (its CPU build) into
a temporary folder and compare the shape of each fresh capture with the committed one (see
``docs/captures/shape.py``). The tests of the comparison itself need no torch.
"""

from __future__ import annotations

import importlib.util
import sys
import warnings
from pathlib import Path
from types import ModuleType

import pytest

CAPTURES = Path(__file__).parents[1] / "docs" / "captures"
HOW_TO_RUN = (
    "PyTorch is not installed; to check the captures, install its CPU build "
    "(`.venv/bin/python -m pip install torch==2.13.0`) and run `pytest tests/test_captures.py`"
)


def load(name: str) -> ModuleType:
    """A module of docs/captures/, which is not a package."""
    qualified = f"docs_captures_{name}"
    if qualified in sys.modules:
        return sys.modules[qualified]
    spec = importlib.util.spec_from_file_location(qualified, CAPTURES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module
    spec.loader.exec_module(module)
    return module


shape = load("shape")
capture = load("capture")


def torch_or_skip() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns when NumPy is missing; irrelevant here
        pytest.importorskip("torch.distributed.run", reason=HOW_TO_RUN)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every scenario captured again, with the installed torch, into a temporary folder."""
    torch_or_skip()
    out = tmp_path_factory.mktemp("captures")
    capture.capture(out, list(capture.SCENARIOS))
    return out


def test_every_scenario_has_a_committed_capture_and_nothing_else() -> None:
    assert sorted(shape.committed_captures()) == sorted(f"{n}.log" for n in capture.SCENARIOS)


@pytest.mark.torch
def test_the_captures_come_from_the_installed_torch(fresh: Path) -> None:
    committed = (CAPTURES / "TORCH_VERSION").read_text(encoding="utf-8")
    assert (fresh / "TORCH_VERSION").read_text(encoding="utf-8") == committed


@pytest.mark.torch
@pytest.mark.parametrize("scenario", list(capture.SCENARIOS))
def test_a_fresh_capture_has_the_shape_of_the_committed_one(fresh: Path, scenario: str) -> None:
    name = f"{scenario}.log"
    committed = (CAPTURES / name).read_text(encoding="utf-8")
    found = shape.differences(name, committed, (fresh / name).read_text(encoding="utf-8"))
    assert not found, "torch records something else now:\n" + "\n".join(found)


@pytest.mark.torch
def test_every_line_of_a_fresh_capture_is_a_time_and_an_event(fresh: Path) -> None:
    for path in sorted(fresh.glob("*.log")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            time, _, event = line.partition(" ")
            assert len(time) == 24, (path, number)
            assert time[10] == "T", (path, number)
            assert time.endswith("Z"), (path, number)
            assert event.startswith("{"), (path, number)


# --- the comparison itself (no torch needed) ----------------------------------------------------


def test_a_capture_has_the_shape_of_itself() -> None:
    for name, text in shape.committed_captures().items():
        assert shape.differences(name, text, text) == []


def test_ids_pids_hosts_and_times_do_not_count() -> None:
    text = (CAPTURES / "restart.log").read_text(encoding="utf-8")
    other = (
        text.replace("localhost", "gpu-node-7.example")
        .replace("capture", "job-42")
        .replace("2026-", "2031-")
    )
    for digit in "0123456789":
        other = other.replace(f'"pid": {digit}', f'"pid": 9{digit}')
    assert other != text
    assert shape.differences("restart.log", text, other) == []


def one_character_changed(text: str, old: str, new: str) -> str:
    assert len(old) == len(new)
    assert sum(a != b for a, b in zip(old, new, strict=True)) == 1
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("has joined round", "has joined rounb"),  # a message
        ('"agent_restarts"', '"agent_restartz"'),  # a metadata key
        ('\\"exit_code\\"', '\\"exit_codE\\"'),  # a key of the inner metadata
        ('"node_state": "INIT"', '"node_state": "INIX"'),  # a state
        ("_mark_rendezvous_complete", "_mark_rendezvous_c0mplete"),  # a function
    ],
)
def test_a_one_character_change_fails_and_says_what_changed(old: str, new: str) -> None:
    committed = (CAPTURES / "clean.log").read_text(encoding="utf-8")
    found = shape.differences("clean.log", committed, one_character_changed(committed, old, new))
    assert found
    assert new.strip('"\\') in "\n".join(found)


def test_heartbeats_are_counted_within_bounds_not_one_by_one() -> None:
    committed = (CAPTURES / "clean.log").read_text(encoding="utf-8")
    lines = committed.splitlines(keepends=True)
    beats = [n for n, line in enumerate(lines) if "has sent a keep-alive heartbeat" in line]
    assert beats, "the clean capture has no heartbeat"
    fewer = "".join(line for n, line in enumerate(lines) if n != beats[0])
    assert shape.differences("clean.log", committed, fewer) == []
    many = committed + lines[beats[0]] * 400
    (found,) = shape.differences("clean.log", committed, many)
    assert "has sent a keep-alive heartbeat" in found
    assert "expected 0 to 400" in found
