"""Speed and memory of reading times: timed logs, many files, many processes, big timelines.

Side by side in one run (each contender's best of a few alternating rounds):

1. Over one log whose lines begin with a ``kubectl logs --timestamps`` time (the sample lines
   of ``bench_cli``): a bare loop that finds each line's ``{`` and calls ``json.loads``, against
   ``elastic-events validate`` (goal: at most 2x) and ``elastic-events show`` (a table with its
   time column; goal: at most 3.5x); and the peak memory of ``show`` over 1/100 of the log and
   over all of it (goal: about the same).
2. Over three files of about 100 MB of plain JSON lines on every core: ``validate`` against
   ``jq empty`` (goal: at most 0.75x) and ``show --json --state FAILED`` against the same
   selection by ``jq -c 'select(...)'`` (goal: at most 1.0x); skipped where ``jq`` is not
   installed. Both read the same files, as whole commands, from the start of the process.
3. A synthetic job of 1,000 nodes and 5 million events, mostly keep-alive heartbeats, with time
   prefixes, drawn by ``elastic-events timeline``: its peak memory (goal: under 200 MiB), the
   size of its SVG (goal: under 5 MB), and whether headless Chromium renders it (opened through
   Playwright with the browser and flags of ``tests/chromium.py``, as the browser tests are: a
   box of non-zero size, a lane per node, a screenshot), and how long that takes.
4. The cost of a timeline, from about 100 nodes and 2,000 events to 1,024 nodes and 21,000
   events (10x): goal, at most 12x the time (the process's own CPU time, best of 15 rounds;
   the small one timed over as many runs in a row as make one large, so that both are exposed
   alike to a busy machine).

It prints figures and never fails. ``BENCH_QUICK=1`` makes the logs smaller (and says so).

    python benchmarks/bench_times.py
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_cli import varied_lines  # noqa: E402

from elastic_events import EventLog, Timeline  # noqa: E402
from elastic_events._cli import main  # noqa: E402

QUICK = os.environ.get("BENCH_QUICK") == "1"
LINES = 100_000 if QUICK else 1_000_000
BIG_FILE_MB = 10 if QUICK else 100
NODES, EVENTS = (1000, 500_000) if QUICK else (1000, 5_000_000)
ROUNDS = 3
JQ = shutil.which("jq")
START = 1_795_600_800  # 2026-11-25T10:00:00Z


def best(
    contenders: dict[str, Callable[[], object]],
    rounds: int = ROUNDS,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, float]:
    """Each contender's best time over alternating rounds; by wall clock unless told."""
    seconds = dict.fromkeys(contenders, float("inf"))
    for _ in range(rounds):
        for name, call in contenders.items():
            start = clock()
            call()
            seconds[name] = min(seconds[name], clock() - start)
    return seconds


def stamp(seconds: float) -> str:
    whole = int(seconds)
    days, rest = divmod(START + whole, 86400)
    hour, rest = divmod(rest, 3600)
    minute, second = divmod(rest, 60)
    nanos = int((seconds - whole) * 1e9)
    day = 25 + days - START // 86400
    return f"2026-11-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}.{nanos:09d}Z"


def timed_lines(count: int) -> list[bytes]:
    """The sample lines of bench_cli, each after a kubectl-style time, 10 ms apart."""
    return [
        stamp(index / 100).encode() + b" " + line for index, line in enumerate(varied_lines(count))
    ]


def json_loop(path: Path) -> None:
    loads = json.loads
    with open(path, "rb") as lines:
        for line in lines:
            start = line.find(b"{")
            if start >= 0:
                loads(line[start:])


def command(*args: str) -> Callable[[], None]:
    def call() -> None:
        with contextlib.redirect_stdout(io.StringIO()) as out:
            main(list(args))
        del out

    return call


PEAK = """
import re, sys
from pathlib import Path
from elastic_events._cli import main
sys.stdout = open(__import__("os").devnull, "w")
main(sys.argv[1:])
peak = int(re.search(r"VmHWM:\\s+(\\d+)", Path("/proc/self/status").read_text()).group(1))
print(peak, file=sys.stderr)
"""


def peak_mib(*args: str, stdin: Iterator[bytes] | None = None) -> float:
    """The peak resident memory of the command in a process of its own, in MiB."""
    process = subprocess.Popen(
        [sys.executable, "-c", PEAK, *args],
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    if stdin is not None:
        assert process.stdin is not None
        for chunk in stdin:
            process.stdin.write(chunk)
        process.stdin.close()
    assert process.stderr is not None
    err = process.stderr.read().decode()
    process.wait()
    return int(err.split()[-1]) / 1024


def part_1(folder: Path) -> None:
    path, small = folder / "timed.log", folder / "timed-small.log"
    lines = timed_lines(LINES)
    path.write_bytes(b"".join(lines))
    small.write_bytes(b"".join(lines[: LINES // 100]))
    del lines
    print(f"1. one log of {LINES:,} timed lines, {path.stat().st_size / 1e6:.0f} MB")
    times = best(
        {
            "json.loads loop": lambda: json_loop(path),
            "elastic-events validate": command("validate", "-j", "1", str(path)),
            "elastic-events show (table)": command("show", "-j", "1", str(path)),
            "elastic-events show, every core": command("show", str(path)),
        }
    )
    base = times["json.loads loop"]
    for name, seconds in times.items():
        print(f"   {name:<30} {seconds:7.2f} s  {seconds / base:5.2f}x")
    print(f"   validate / loop: {times['elastic-events validate'] / base:.2f} (goal <= 2)")
    print(f"   show / loop:     {times['elastic-events show (table)'] / base:.2f} (goal <= 3.5)")
    print(f"   show on every core / loop: {times['elastic-events show, every core'] / base:.2f}")
    low, high = peak_mib("show", "-j", "1", str(small)), peak_mib("show", "-j", "1", str(path))
    print(
        f"   peak memory of show: {low:.1f} MiB for {LINES // 100:,} lines, {high:.1f} MiB for "
        f"{LINES:,} ({high / low:.2f}x)"
    )


# torchelastic's state of an event, as jq says it (what EventFilter(state="FAILED") keeps).
JQ_FAILED = (
    'select((.node_state // (.metadata.state | if type == "string" then ascii_upcase else null '
    'end) // (.name | if startswith("torchelastic.worker.status.") then .[27:] | ascii_upcase '
    'else null end)) == "FAILED")'
)


def part_2(folder: Path) -> None:
    if JQ is None:
        print("\n2. skipped: jq is not installed")
        return
    # JSON lines only: jq stops at the first line that is not JSON.
    lines = [line for line in varied_lines(20_000, seed=11) if line.startswith(b"{")]
    block = b"".join(lines)
    files = []
    for index in range(3):
        path = folder / f"node-{index}.jsonl"
        with open(path, "wb") as out:
            for _ in range(BIG_FILE_MB * 10**6 // len(block) + 1):
                out.write(block)
        files.append(str(path))
    size = sum(os.stat(path).st_size for path in files) / 1e6
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"\n2. three files, {size:.0f} MB in all, {cores} cores; whole commands, wall time")
    if QUICK:  # Python starts far slower than jq: on files a tenth the size that weighs more.
        print("   (quick mode: the goals are for files of 100 MB; run without BENCH_QUICK)")

    def run(*args: str) -> Callable[[], None]:
        def call() -> None:
            subprocess.run(args, stdout=subprocess.DEVNULL, check=False, cwd=ROOT)

        return call

    ours = [sys.executable, "-m", "elastic_events"]
    rounds = 2 if QUICK else 3
    times = best(
        {
            "jq empty": run(JQ, "empty", *files),
            "elastic-events validate": run(*ours, "validate", *files),
            "jq -c select(FAILED)": run(JQ, "-c", JQ_FAILED, *files),
            "elastic-events show --json --state FAILED": run(
                *ours, "show", "--json", "--state", "FAILED", *files
            ),
        },
        rounds,
    )
    for name, seconds in times.items():
        print(f"   {name:<44} {seconds:7.2f} s")
    ratio = times["elastic-events validate"] / times["jq empty"]
    print(f"   validate / jq empty: {ratio:.2f} (goal <= 0.75)")
    ratio = times["elastic-events show --json --state FAILED"] / times["jq -c select(FAILED)"]
    print(f"   show --json --state FAILED / jq select: {ratio:.2f} (goal <= 1.0)")
    theirs = subprocess.run([JQ, "-c", JQ_FAILED, *files], capture_output=True, check=False)
    mine = subprocess.run(
        [*ours, "show", "--json", "--state", "FAILED", *files], capture_output=True, check=False
    )
    counts = [result.stdout.count(b"\n") for result in (theirs, mine)]
    print(f"   lines selected: jq {counts[0]:,}, elastic-events {counts[1]:,}")
    for path in files:
        os.unlink(path)


def job(nodes: int, events: int, seed_failures: int = 3) -> Iterator[bytes]:
    """A job's log: every node joins, starts its workers, then sends heartbeats; a few fail."""
    beat = (
        '{"name": "dynamic_rendezvous.py:DynamicRendezvousHandler._keep_alive", "run_id": '
        '"job", "message": "The node \'node-%d_1_0\' has sent a keep-alive heartbeat to the '
        'rendezvous \'job\'.", "hostname": "node-%d", "pid": 1, "node_state": "RUNNING", '
        '"master_endpoint": "", "rank": %d, "local_id": 0, "error_trace": ""}\n'
    )
    start = (
        '{"name": "torchelastic.worker.status.START", "source": "WORKER", "timestamp": 0, '
        '"metadata": {"run_id": "job", "global_rank": %d, "group_rank": %d, "hostname": '
        '"node-%d", "state": "START"}}\n'
    )
    failed = start.replace("START", "FAILED")
    rounds = max(events // nodes - 1, 1)
    batch = []
    for node in range(nodes):
        batch.append(f"{stamp(node / 1000)} {start % (node, node, node)}")
    failing = {nodes // 3, nodes // 2, 2 * nodes // 3}
    for index in range(1, rounds):
        seconds = 5.0 * index
        for node in range(nodes):
            at = stamp(seconds + node / 1000)
            if index == rounds // 2 and node in failing:
                batch.append(f"{at} {failed % (node, node, node)}")
            else:
                batch.append(f"{at} {beat % (node, node, node)}")
        if len(batch) >= 20_000:
            yield "".join(batch).encode()
            batch = []
    yield "".join(batch).encode()


def part_3(folder: Path) -> None:
    out = folder / "job.svg"
    print(f"\n3. a job of {NODES:,} nodes and about {EVENTS:,} events (timed heartbeats)")
    started = time.perf_counter()
    peak = peak_mib("timeline", "-", "-o", str(out), stdin=job(NODES, EVENTS))
    seconds = time.perf_counter() - started
    size = out.stat().st_size if out.exists() else 0
    print(f"   drawn in {seconds:.1f} s; peak memory {peak:.1f} MiB (goal < 200)")
    print(f"   SVG {size / 1e6:.2f} MB (goal < 5)")
    print(f"   in headless Chromium: {render(out, folder / 'job.png')}")


def render(svg: Path, screenshot: Path) -> str:
    """Open an SVG in headless Chromium (as tests/test_browser.py does); say how it went."""
    try:
        from playwright import sync_api

        from tests.chromium import CHROMIUM, CHROMIUM_ARGS
    except ImportError as error:
        return f"not tried: {error}"
    if not CHROMIUM.is_file():
        return f"not tried: no Chromium at {CHROMIUM}"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(600_000)
            started = time.perf_counter()
            page.goto(svg.as_uri(), wait_until="load")
            box = page.locator("svg").first.bounding_box()
            lanes = page.locator("g.lane").count()
            page.screenshot(path=str(screenshot))
            seconds = time.perf_counter() - started
        finally:
            browser.close()
    drawn = box is not None and box["width"] > 0 and box["height"] > 0 and lanes == NODES
    size = f"{box['width']:.0f} x {box['height']:.0f} px" if box else "no box"
    shot = screenshot.stat().st_size if screenshot.exists() else 0
    verdict = "rendered" if drawn and shot else "NOT rendered"
    return (
        f"{verdict} in {seconds:.1f} s (loaded, measured and screenshot): {size}, "
        f"{lanes:,} lanes, a screenshot of {shot / 1e3:.0f} kB"
    )


def part_4() -> None:
    def lines_of(nodes: int, events: int) -> list[bytes]:
        return b"".join(job(nodes, events)).splitlines()

    small, large = lines_of(100, 2_000), lines_of(1_024, 21_000)
    repeats = round(len(large) / len(small))

    def draw_small() -> None:
        # As many small timelines back to back as make one large: both runs last as long, so
        # that a busy machine (other programs' caches, preemption) weighs on both alike.
        for _ in range(repeats):
            Timeline(EventLog(small)).svg()

    def draw_large() -> None:
        Timeline(EventLog(large)).svg()

    def clean(call: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            gc.collect()  # The garbage of the round before is not this one's to collect.
            call()

        return run

    times = best(
        {"100 nodes": clean(draw_small), "1,024 nodes": clean(draw_large)},
        15,
        time.process_time,  # One process: its own time, less what other programs take.
    )
    one_small = times["100 nodes"] / repeats
    ratio = times["1,024 nodes"] / one_small
    print(
        f"\n4. a timeline of {len(small):,} events on 100 nodes: {one_small * 1e3:.0f} ms (the "
        f"mean of {repeats} in a row); of {len(large):,} on 1,024 nodes: "
        f"{times['1,024 nodes'] * 1e3:.0f} ms; {ratio:.1f}x for "
        f"{len(large) / len(small):.1f}x the events (goal <= 12x; best of 15 rounds)"
    )


def run() -> None:
    if QUICK:
        print("quick mode (BENCH_QUICK=1): smaller logs than the goals name")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for part in (lambda: part_1(folder), lambda: part_2(folder), lambda: part_3(folder)):
            try:
                part()
            except Exception as error:  # A benchmark informs; it never fails.
                print(f"   could not run: {error!r}")
        part_4()


if __name__ == "__main__":
    try:
        run()
    except Exception as error:
        print(f"bench_times could not run: {error!r}")
