"""Cost of ``event-json`` directives in a Sphinx build, against plain ``code-block:: json``.

Generates two projects in a temporary directory: one with 200 ``event-json`` directives, one with
``code-block:: json`` blocks of the very same JSON (and captions), on the same pages. Builds each
from scratch (HTML, a fresh ``python -m sphinx`` process) over several rounds, alternating the two,
and prints the best time of each and their ratio, measured side by side in one run: the wall time
and the CPU time of the build's process. The goal is judged on CPU time: a build is one process
on one core, and on a shared machine the wall time also counts the moments a neighbour held that
core (this machine's wall ratios of one code drift by 0.1 from run to run). Then edits one page
of the ``event-json`` project and reports how many pages the incremental rebuild re-read.

It prints; it never fails its caller. BENCH_QUICK=1 runs fewer rounds.

    python benchmarks/bench_docs.py
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

QUICK = os.environ.get("BENCH_QUICK") == "1"
ROUNDS = 5 if QUICK else 9  # Alternating full builds; the best of each kind counts.
EXAMPLES = 200
PER_PAGE = 10
GOAL = 1.10

CONF = """\
extensions = [{extensions}]
exclude_patterns = ["_build"]
project = "bench"
"""

API = """\
API
===

.. py:module:: elastic_events

.. py:class:: Event

{event_fields}

.. py:class:: RdzvEvent

{rdzv_fields}
"""


def example(index: int) -> tuple[str, str, str]:
    """The class, the directive content and the caption of example *index*."""
    if index % 2:
        content = (
            f'{{"name": "torchelastic.worker.status.SUCCEEDED", "source": "WORKER",\n'
            f' "metadata": {{"run_id": "ft-{index:04d}", "global_rank": {index % 8}, '
            f'"group_world_size": 8, "state": "SUCCEEDED", "raw_error": null}}}}'
        )
        return "Event", content, f"Worker {index} finished"
    state = ("INIT", "RUNNING", "SUCCEEDED", "FAILED")[index % 4]
    content = (
        f'RdzvEvent(name="dynamic_rendezvous.py:_join", run_id="ft-{index:04d}",\n'
        f'          message="node {index} joined the rendezvous", hostname="node-{index % 16}",\n'
        f"          pid={1000 + index}, node_state=NodeState.{state}, rank={index % 8})"
    )
    return "RdzvEvent", content, f"Rendezvous step {index}"


def indent(text: str) -> str:
    return "\n".join("   " + line if line else "" for line in text.splitlines())


def write_projects(root: Path) -> tuple[Path, Path]:
    """Write the event-json project and its code-block twin; return their source dirs."""
    from elastic_events import Event, RdzvEvent
    from sphinxext.event_json._content import parse_event, serialize_checked
    from sphinxext.event_json._render import pretty_json

    classes = {"Event": Event, "RdzvEvent": RdzvEvent}
    fields = {
        name: "\n\n".join(f"   .. py:attribute:: {field}" for field in cls.__dataclass_fields__)
        for name, cls in classes.items()
    }
    projects = {"event-json": root / "event-json", "code-block": root / "code-block"}
    for kind, src in projects.items():
        src.mkdir(parents=True)
        extensions = '"sphinxext.event_json"' if kind == "event-json" else ""
        (src / "conf.py").write_text(CONF.format(extensions=extensions), encoding="utf-8")
        (src / "api.rst").write_text(
            API.format(event_fields=fields["Event"], rdzv_fields=fields["RdzvEvent"]),
            encoding="utf-8",
        )
    pages = EXAMPLES // PER_PAGE
    for kind, src in projects.items():
        toctree = "\n".join(f"   page{page:02d}" for page in range(pages))
        (src / "index.rst").write_text(
            f"Bench\n=====\n\n.. toctree::\n\n   api\n{toctree}\n", encoding="utf-8"
        )
        for page in range(pages):
            parts = [f"Page {page}\n{'=' * (5 + len(str(page)))}\n"]
            for index in range(page * PER_PAGE, (page + 1) * PER_PAGE):
                name, content, caption = example(index)
                if kind == "event-json":
                    directive = f".. event-json:: {name}\n   :caption: {caption}\n"
                    body = content
                else:
                    text = pretty_json(serialize_checked(parse_event(content, classes[name])))
                    directive = f".. code-block:: json\n   :caption: {caption}\n"
                    body = text
                parts.append(f"Example {index}.\n\n{directive}\n{indent(body)}\n")
            (src / f"page{page:02d}.rst").write_text("\n".join(parts), encoding="utf-8")
    return projects["event-json"], projects["code-block"]


def sphinx(src: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    # Bytecode caches on, as in any installed package (pip compiles it): otherwise every fresh
    # process of the event-json side would compile the extension and the library anew.
    env = {
        **{key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"},
        "PYTHONPATH": os.pathsep.join([str(REPOSITORY), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "--no-color", "-b", "html", *extra, str(src), str(out)],
        capture_output=True,
        text=True,
        env=env,
        cwd=src.parent,
        check=False,
        timeout=900,
    )


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def full_build(src: Path, out: Path) -> tuple[float, float]:
    """The wall time and the CPU time of a full build of *src*."""
    shutil.rmtree(out, ignore_errors=True)
    start, cpu = time.perf_counter(), children_cpu()
    result = sphinx(src, out, "-q", "-E")
    elapsed, cpu = time.perf_counter() - start, children_cpu() - cpu
    if result.returncode != 0 or result.stderr.strip():
        raise RuntimeError(f"build of {src.name} failed or warned:\n{result.stderr[-2000:]}")
    return elapsed, cpu


def read_pages(output: str) -> list[str]:
    return re.findall(r"reading sources\.\.\. \[\s*\d+%\] (\S+)", output)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-docs-") as tmp:
        root = Path(tmp)
        event_json, code_block = write_projects(root)
        times: dict[str, list[tuple[float, float]]] = {"code-block": [], "event-json": []}
        for project in (code_block, event_json):  # Writes the bytecode caches; not timed.
            sphinx(project, root / f"warm-up-{project.name}")
        for _ in range(ROUNDS):
            times["code-block"].append(full_build(code_block, root / "out-code-block"))
            times["event-json"].append(full_build(event_json, root / "out-event-json"))
        print(
            f"docs build, {EXAMPLES} examples on {EXAMPLES // PER_PAGE} pages "
            f"(html, full build in a fresh process, best of {ROUNDS} alternating rounds)"
        )
        ratios = []
        for index, clock in enumerate(("wall", "CPU")):
            runs = {kind: [run[index] for run in values] for kind, values in times.items()}
            best = {kind: min(values) for kind, values in runs.items()}
            for kind, label in (("code-block", "code-block:: json"), ("event-json", "event-json")):
                print(
                    f"  {label:<20} {clock:>4} best {best[kind]:6.2f} s   median "
                    f"{statistics.median(runs[kind]):6.2f} s"
                )
            ratios.append(best["event-json"] / best["code-block"])
        verdict = "ok" if ratios[1] <= GOAL else "over the goal"
        print(
            f"  ratio event-json / code-block: {ratios[1]:.2f}x by CPU time (goal <= {GOAL:.2f}x: "
            f"{verdict}); {ratios[0]:.2f}x by wall time"
        )

        pages = EXAMPLES // PER_PAGE + 2
        out = root / "out-incremental"
        first = sphinx(event_json, out)
        unchanged = sphinx(event_json, out)
        page = event_json / "page07.rst"
        page.write_text(page.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
        later = time.time() + 2
        os.utime(page, (later, later))
        edited = sphinx(event_json, out)
        reread = read_pages(edited.stdout)
        print(
            f"incremental rebuild: first build read {len(read_pages(first.stdout))} of {pages} "
            f"pages; with no change {len(read_pages(unchanged.stdout))}; after editing page07 "
            f"{len(reread)} ({', '.join(reread) or 'none'}; goal: page07 only)"
        )


if __name__ == "__main__":
    try:
        main()
    except Exception:  # a benchmark reports, it never fails its caller
        print("bench_docs: could not run:")
        traceback.print_exc(file=sys.stdout)
    sys.exit(0)
