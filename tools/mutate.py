"""Mutation testing: does the test suite notice when the code is wrong?

Each mutant is one small change to one module, made on its syntax tree: a comparison, boolean
or arithmetic operator swapped, a constant changed, ``not`` dropped, a statement removed. The
tests that cover the module run against it (in a copy of the repository, fail-fast, fastest
first, with fewer Hypothesis examples, in a process forked from one that imported pytest
already); the mutant is killed when they fail or time out. Only the tests that run the mutated
lines run (found once per module by tracing the unmutated run); a mutant of a line that runs
on import, or in no test the tracer sees (a forked child), gets them all. Not made: mutants
that cannot change behaviour by construction (docstrings, annotations, the insides of ``if
TYPE_CHECKING:``, a function's final ``return None``). Prints the kill rate per module, the
seconds per mutant, and every survivor.

    python tools/mutate.py                 # every module of MODULES
    python tools/mutate.py elastic_events/_wire.py --jobs 2
    python tools/mutate.py elastic_events/_wire.py --lines 629,635   # those lines' mutants

`make mutate` runs it under `nice`. It is not part of `make test`.
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

#: The modules to mutate, and the pytest arguments that select the tests covering each (fastest
#: first: they fail first). Left out, as seconds a mutant each: the Sphinx builds (of
#: test_event_log.py, test_adopt.py: its foreign classes are read without Sphinx too) and the
#: tests spawning processes (the threads and the forks of test_concurrency.py stay). Tests that
#: run the code only in a subprocess (the CLI's) are never picked for a mutant: the tracer does
#: not see them run it.
_SLOW_CONCURRENCY = [
    "--deselect=tests/test_concurrency.py::test_processes_appending_to_one_file_write_whole_lines",
    "--deselect=tests/test_concurrency.py::test_processes_appending_lines_of_up_to_50_kb_write_them_whole",
]
_RECORDING = [
    "tests/test_record.py",
    "tests/test_plugins.py",
    "tests/test_hostile_record.py",
    "tests/test_hostile_fast_paths.py",
    "tests/test_concurrency.py",
    *_SLOW_CONCURRENCY,
]
_READING = [
    "tests/test_logs.py",
    "tests/test_hostile_read.py",
    *(
        f"--deselect=tests/test_hostile_read.py::{test}"
        for test in (
            "test_a_closed_stdin_is_one_line_and_exit_2",
            "test_a_full_disk_is_one_line_and_exit_2",
            "test_a_gigabyte_without_a_newline_is_one_bad_line_in_bounded_memory",
            "test_show_into_a_closed_pipe_is_one_line_and_exit_2",
            "test_validate_keeps_its_verdict_when_its_output_closes",
        )
    ),
]
MODULES: dict[str, list[str]] = {
    "elastic_events/_wire.py": [
        "tests/test_wire.py", "tests/test_hostile_record.py", "tests/test_hostile_fast_paths.py",
        *_READING,
    ],
    "elastic_events/_record.py": _RECORDING,
    "elastic_events/_destinations.py": _RECORDING,
    "elastic_events/_logs.py": _READING,
    "elastic_events/_file_handler.py": [
        *_RECORDING, "tests/test_times.py::test_event_file_handler_with_a_time_prefix_round_trips",
    ],
    "sphinxext/event_json/_content.py": [
        "tests/test_event_json_parse.py", "tests/test_adopt.py", "-m", "not sphinx",
        "--deselect=tests/test_adopt.py::test_the_extension_works_under_the_name_the_wheel_installs",
        "tests/test_hostile_read.py::test_the_directive_content_is_refused_at_every_depth_with_a_content_error",
    ],
}  # fmt: skip

#: A mutant's test run may take this many times the unmutated run of its tests, and STARTUP
#: seconds more, before it counts as killed (a mutant that hangs is noticed).
SLOWDOWN = 3
STARTUP = 20.0

# Appended to the copy's conftest.py, and chosen by --hypothesis-profile (tests/conftest.py loads
# a profile of its own): fewer Hypothesis examples, no example database.
_FAST_HYPOTHESIS = """
from hypothesis import settings as _settings
_settings.register_profile("mutate", max_examples=30, database=None, deadline=None)
_settings.load_profile("mutate")
"""

_SWAPS: dict[type, type] = {
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE,
    ast.GtE: ast.Gt, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
    ast.And: ast.Or, ast.Or: ast.And, ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.FloorDiv,
    ast.FloorDiv: ast.Mult, ast.Div: ast.Mult, ast.Mod: ast.FloorDiv, ast.BitOr: ast.BitAnd,
    ast.BitAnd: ast.BitOr, ast.USub: ast.UAdd,
}  # fmt: skip


def _docstring_nodes(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0]))
                found.add(id(body[0].value))
    return found


def _is_typing_guard(node: ast.AST) -> bool:
    """``TYPE_CHECKING = False`` and ``if TYPE_CHECKING:``: imports for type checkers only, so
    the mutants of their insides (the imports made at run time, or dropped) are equivalent."""
    if isinstance(node, ast.Assign):
        return [ast.dump(t) for t in node.targets] == [
            ast.dump(ast.Name("TYPE_CHECKING", ast.Store()))
        ]
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Name)
        and node.test.id == "TYPE_CHECKING"
    )


def _is_annotation_or_typing(node: ast.AST, parents: dict[int, ast.AST]) -> bool:
    """Code that never runs: annotations, ``if TYPE_CHECKING:`` blocks and their guard."""
    child, current = node, parents.get(id(node))
    while current is not None:
        if _is_typing_guard(current) and child not in getattr(current, "orelse", ()):
            return True
        if isinstance(current, ast.AnnAssign) and child is current.annotation:
            return True
        if isinstance(current, ast.arg) and child is current.annotation:
            return True
        if (
            isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef))
            and child is current.returns
        ):
            return True
        child, current = current, parents.get(id(current))
    return isinstance(node, ast.If) and _is_typing_guard(node)


def _is_final_return_none(node: ast.AST, parent: ast.AST | None) -> bool:
    """A function's last statement, ``return None``: removed, the function returns None all
    the same."""
    returns_none = isinstance(node, ast.Return) and (
        node.value is None or (isinstance(node.value, ast.Constant) and node.value.value is None)
    )
    in_function = isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef))
    return returns_none and in_function and parent.body[-1] is node  # type: ignore[union-attr]


def mutants(source: str, strings: bool = False) -> Iterator[tuple[int, int, str, str]]:
    """Yield (first line, last line, description, mutated source) for every mutation."""
    tree = ast.parse(source)
    docstrings = _docstring_nodes(tree)
    parents = {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    points: list[tuple[ast.AST, str]] = []
    for node in ast.walk(tree):
        if id(node) in docstrings or _is_annotation_or_typing(node, parents):
            continue
        if isinstance(node, ast.Compare):
            points.extend((node, f"op{i}") for i, op in enumerate(node.ops) if type(op) in _SWAPS)
        elif isinstance(node, (ast.BoolOp, ast.BinOp, ast.UnaryOp)):
            if type(node.op) in _SWAPS:
                points.append((node, "op"))
            if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
                points.append((node, "drop-not"))
        elif isinstance(node, ast.Constant) and not isinstance(
            parents.get(id(node)), ast.JoinedStr
        ):
            # Strings are mostly messages, which tests pin word for word: left out by default.
            kinds = (bool, int, float, str) if strings else (bool, int, float)
            if isinstance(node.value, kinds):
                points.append((node, "constant"))
        if (
            isinstance(node, ast.stmt)
            and not isinstance(
                node, (ast.FunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom, ast.Pass)
            )
            and not _is_final_return_none(node, parents.get(id(node)))
        ):
            points.append((node, "remove"))
    # Each mutation is made in the one tree, printed, and undone: no copy of the tree a mutant.
    for node, how in points:
        applied = _apply(node, how, parents.get(id(node)))
        if applied is None:
            continue
        description, undo = applied
        try:
            text = ast.unparse(ast.fix_missing_locations(tree))
        except Exception:  # An unprintable tree: not a mutant.
            continue
        finally:
            undo()
        yield node.lineno, node.end_lineno or node.lineno, description, text  # type: ignore[attr-defined]


Undo = Callable[[], None]


def _apply(node: ast.AST, how: str, parent: ast.AST | None) -> tuple[str, Undo] | None:
    """Mutate *node* in place: what was done, and how to undo it."""
    if how.startswith("op") and isinstance(node, ast.Compare):
        i, old = int(how[2:]), node.ops[int(how[2:])]
        node.ops[i] = _SWAPS[type(old)]()
        return f"{type(old).__name__} -> {type(node.ops[i]).__name__}", lambda: _set(
            node.ops, i, old
        )
    if how == "op":
        old = node.op  # type: ignore[attr-defined]
        node.op = _SWAPS[type(old)]()  # type: ignore[attr-defined]
        description = f"{type(old).__name__} -> {type(node.op).__name__}"  # type: ignore[attr-defined]
        return description, lambda: setattr(node, "op", old)
    if how == "constant":
        value = node.value  # type: ignore[attr-defined]
        if isinstance(value, bool):
            node.value = not value  # type: ignore[attr-defined]
        elif isinstance(value, (int, float)):
            node.value = value + 1  # type: ignore[attr-defined]
        elif isinstance(value, str):
            node.value = value + "X" if value else "X"  # type: ignore[attr-defined]
        description = f"constant {value!r:.40} -> {node.value!r:.40}"  # type: ignore[attr-defined]
        return description, lambda: setattr(node, "value", value)
    if parent is None:
        return None
    if how == "drop-not":
        return "not x -> x", _replace(parent, node, node.operand)  # type: ignore[attr-defined]
    if how == "remove":
        for field in ("body", "orelse", "finalbody", "handlers"):
            block = getattr(parent, field, None)
            if isinstance(block, list) and node in block:
                return f"removed {type(node).__name__}", _replace(parent, node, ast.Pass())
    return None


def _set(items: list[Any], index: int, value: Any) -> None:
    items[index] = value


def _replace(parent: ast.AST, old: ast.AST, new: ast.AST) -> Undo:
    """Put *new* where *old* is among *parent*'s children; return how to put *old* back."""
    for field, value in ast.iter_fields(parent):
        if value is old:
            setattr(parent, field, new)
            return lambda: setattr(parent, field, old)
        if isinstance(value, list) and old in value:
            index = value.index(old)
            value[index] = new
            return lambda: _set(value, index, old)
    raise LookupError(f"{old!r} is not a child of {parent!r}")


# A pytest plugin, written into the copy: the lines of $MUTATE_TARGET that each test runs (the
# key "" holds those run outside any test: on import) and its seconds, as JSON into $MUTATE_LINES.
_TRACER = """
import json, os, sys, threading, time
import pytest

_target, _lines, _seconds, _current = os.environ["MUTATE_TARGET"], {}, {}, [""]

def _line(frame, event, arg):
    if event == "line":
        _lines.setdefault(_current[0], set()).add(frame.f_lineno)
    return _line

def _call(frame, event, arg):
    return _line if frame.f_code.co_filename == _target else None

sys.settrace(_call)
threading.settrace(_call)

@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _current[0], began = item.nodeid, time.monotonic()
    try:
        return (yield)
    finally:
        _current[0], _seconds[item.nodeid] = "", time.monotonic() - began

def pytest_unconfigure(config):
    sys.settrace(None)
    with open(os.environ["MUTATE_LINES"], "w") as out:
        lines = {test: sorted(ran) for test, ran in _lines.items()}
        json.dump({"lines": lines, "seconds": _seconds}, out)
"""


# Written into the copy and run there, one per slot: it imports what every test run imports
# before the repository's code (pytest, Hypothesis, Sphinx: most of a run's start-up) once, then
# forks a child per request to run pytest on the mutant, which imports the mutated module afresh.
# A request is a JSON line {"args": [...], "timeout": seconds, "log": path}; the answer a line,
# pytest's exit status or "timeout" (the child's session ended whole: a hung mutant's forks too).
# The modules imported here can no longer be rewritten by pytest: its warning is turned off.
_SERVER = """
import json, os, select, signal, sys
import pytest, _pytest.config, _pytest.doctest, _pytest.fixtures, _pytest.python
import hypothesis, hypothesis.strategies
try:
    import sphinx.application, sphinx.testing.util
except ImportError:
    pass
assert "elastic_events" not in sys.modules, "the mutated code must be imported by each child"
for request in map(json.loads, sys.stdin):
    pid = os.fork()
    if pid == 0:
        os.setsid()
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os._exit(int(pytest.main(request["args"])))
    ended = select.select([os.pidfd_open(pid)], [], [], request["timeout"])[0]
    if not ended:
        os.killpg(pid, signal.SIGKILL)
    status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    print(status if ended else "timeout", flush=True)
"""


def _copy_repository(into: Path) -> None:
    for name in ("elastic_events", "sphinxext", "tests", "docs", "conftest.py", "pyproject.toml"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, into / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, into / name)
    with (into / "conftest.py").open("a") as conftest:
        conftest.write(_FAST_HYPOTHESIS)
    (into / "_mutate_tracer.py").write_text(_TRACER)
    (into / "_mutate_server.py").write_text(_SERVER)


_PYTEST = ["-x", "-q", "-p", "no:cacheprovider", "-p", "no:anyio", "--no-header",
           "-o", "addopts=--doctest-modules", "--hypothesis-profile=mutate",
           "-W", "ignore::pytest.PytestAssertRewriteWarning"]  # fmt: skip


def _environment(workdir: Path) -> dict[str, str]:
    # Bytecode is cached (pytest's assertion rewriting of the tests and plugins costs seconds a
    # run otherwise), except the mutated module's: see _forget_bytecode.
    environment = {**os.environ, "PYTHONPATH": str(workdir)}
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    return environment


def _forget_bytecode(workdir: Path, module: str) -> None:
    """A mutant may have its module's size and mtime second: its bytecode must not be reused."""
    for cached in (workdir / module).parent.glob(f"__pycache__/{Path(module).stem}.*"):
        cached.unlink()


def _traced_run(workdir: Path, module: str, tests: list[str], trace: Path) -> bool:
    """Whether the tests pass on the unmutated code; the tracer writes into *trace*."""
    _forget_bytecode(workdir, module)
    environment = _environment(workdir)
    environment |= {"MUTATE_TARGET": str(workdir / module), "MUTATE_LINES": str(trace)}
    command = [sys.executable, "-m", "pytest", *_PYTEST, "-p", "_mutate_tracer", *tests]
    run = subprocess.run(command, cwd=workdir, env=environment, capture_output=True, check=False)
    if run.returncode:  # Say why it failed.
        print((run.stdout + run.stderr).decode()[-3000:], flush=True)
    return run.returncode == 0


class _Slot:
    """A copy of the repository, and the server that runs tests in it (see _SERVER)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.log = workdir / "_mutate_run.log"
        self.server = subprocess.Popen(
            [sys.executable, "_mutate_server.py"], cwd=workdir, env=_environment(workdir),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip

    def passes(self, module: str, tests: list[str], timeout: float) -> bool:
        """Whether the tests pass in time (the mutant survives)."""
        _forget_bytecode(self.workdir, module)
        assert self.server.stdin is not None
        assert self.server.stdout is not None
        request = {"args": [*_PYTEST, *tests], "timeout": timeout, "log": str(self.log)}
        self.server.stdin.write(json.dumps(request) + "\n")
        self.server.stdin.flush()
        answer = self.server.stdout.readline().strip()
        if not answer:
            raise RuntimeError(f"the test server of {self.workdir} ended")
        return answer == "0"

    def close(self) -> None:
        if self.server.stdin is not None:
            self.server.stdin.close()
        self.server.wait()


_NO_LIMIT = 3600.0
#: Per module: the tests (pytest node IDs, in the order they ran) and the lines each ran.
_covering: dict[str, dict[str, set[int]]] = {}
#: The seconds of each test in the unmutated (traced) run.
_seconds: dict[str, float] = {}


def _tests_of(module: str, first: int, last: int) -> list[str]:
    """The tests that run any line from ``first`` to ``last``; all of them for a line that runs
    on import, or that no test was seen to run (the tracer misses forked children)."""
    lines = set(range(first, last + 1))
    covering = _covering[module]
    tests = [test for test, ran in covering.items() if test and lines & ran]
    if not tests or lines & covering.get("", set()):
        tests = [test for test in covering if test]
    return sorted(tests, key=lambda test: _seconds.get(test, 0.0))  # The fastest fail first.


def _try(
    job: tuple[str, int, int, str, str], slots: list[_Slot]
) -> tuple[str, int, str, bool, float]:
    module, line, last, description, text = job
    began = time.monotonic()
    tests = _tests_of(module, line, last)
    slot = slots.pop()
    try:
        target = slot.workdir / module
        original = target.read_text()
        target.write_text(text)
        try:
            timeout = STARTUP + SLOWDOWN * sum(_seconds.get(test, 0.0) for test in tests)
            survived = slot.passes(module, tests, timeout)
        finally:
            target.write_text(original)
    finally:
        slots.append(slot)
    return module, line, description, survived, time.monotonic() - began


def _measure_unmutated(modules: list[str], slots: list[_Slot], trace: Path) -> bool:
    """Trace which tests run which lines; the unmutated code must pass, or nothing is measured
    (by the test server too: what it preloads must not change what passes)."""
    for module in modules:
        if not _traced_run(slots[0].workdir, module, [*MODULES[module], module], trace):
            print(f"the tests of {module} fail on the unmutated code: stopping", flush=True)
            return False
        ran = json.loads(trace.read_text())
        _covering[module] = {test: set(lines) for test, lines in ran["lines"].items()}
        _seconds.update(ran["seconds"])
        for slot in slots:
            if not slot.passes(module, [test for test in _covering[module] if test], _NO_LIMIT):
                print(slot.log.read_text()[-3000:], flush=True)
                print(f"the tests of {module} fail in the test server: stopping", flush=True)
                return False
    return True


def _run_mutants(
    jobs: list[tuple[str, int, int, str, str]], modules: list[str], slots: list[_Slot]
) -> dict[str, list[tuple[int, str, bool, float]]]:
    results: dict[str, list[tuple[int, str, bool, float]]] = {m: [] for m in modules}
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(len(slots)) as pool:
        for done, (module, line, description, survived, seconds) in enumerate(
            pool.map(lambda job: _try(job, slots), jobs), 1
        ):
            results[module].append((line, description, survived, seconds))
            if survived:
                print(f"  SURVIVED {module}:{line}: {description}", flush=True)
            if done % 25 == 0:
                print(f"  {done}/{len(jobs)} in {time.monotonic() - start:.0f} s", flush=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", default=list(MODULES))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--strings", action="store_true", help="mutate string constants too")
    parser.add_argument(
        "--lines",
        type=lambda text: {int(n) for n in text.split(",")},
        help="only the mutants of these lines (comma-separated): the survivors of a run, again",
    )
    args = parser.parse_args()
    jobs = [
        (module, line, last, description, text)
        for module in args.modules
        for line, last, description, text in mutants((ROOT / module).read_text(), args.strings)
        if args.lines is None or line in args.lines
    ]
    print(f"{len(jobs)} mutants of {len(args.modules)} modules, {args.jobs} at a time", flush=True)
    with tempfile.TemporaryDirectory(prefix="mutate-") as scratch:
        for n in range(args.jobs):
            (Path(scratch) / f"slot{n}").mkdir()
            _copy_repository(Path(scratch) / f"slot{n}")
        slots = [_Slot(Path(scratch) / f"slot{n}") for n in range(args.jobs)]
        try:
            if not _measure_unmutated(args.modules, slots, Path(scratch) / "lines.json"):
                return 1
            results = _run_mutants(jobs, args.modules, slots)
        finally:
            for slot in slots:
                slot.close()
    total = killed = 0
    print("\nmodule                                    mutants  killed  rate    s/mutant")
    for module, outcomes in results.items():
        dead = sum(not survived for _, _, survived, _ in outcomes)
        total, killed = total + len(outcomes), killed + dead
        rate = dead / len(outcomes) if outcomes else 1.0
        each = sum(seconds for *_, seconds in outcomes) / max(len(outcomes), 1)
        print(f"{module:<42}{len(outcomes):>7}{dead:>8}  {rate:6.1%}  {each:6.1f}")
    print(f"{'all':<42}{total:>7}{killed:>8}  {killed / max(total, 1):6.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
