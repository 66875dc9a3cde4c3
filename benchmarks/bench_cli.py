"""Speed and memory of ``elastic-events validate`` against a bare ``json.loads`` loop.

A log of torchelastic events (the sample lines of ``tests/data``, varied: hosts, ranks, run ids,
messages, with a few lines of other loggers) is written to a temporary file; then, side by side
in one run, alternating over several rounds and keeping each one's best round:

- the baseline: ``for line in file: json.loads(line)`` over the same lines (binary and text
  files both timed; the ratio is taken against the faster);
- ``elastic-events validate FILE``, the whole command, output discarded, in one process
  (``-j 1``: the same work as the loop) and on every core (its default);
- reading every event as an object (what ``show`` and ``timeline`` do), for information.

Goal: validate within 2x of the baseline. A gzip-compressed copy of the log is validated too:
it should cost at most the decompression on top (the ratio printed is the time of the compressed
log over the plain one's plus decompressing it alone, goal <= 1). Memory: the peak resident size
of a process that validates a log of N/100 lines and one of N lines, which should be about the
same. It prints ratios and never fails; BENCH_QUICK=1 uses 100,000 lines instead of 1,000,000.

    python benchmarks/bench_cli.py
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from elastic_events import EventLog  # noqa: E402
from elastic_events._cli import main  # noqa: E402

QUICK = os.environ.get("BENCH_QUICK") == "1"
LINES = 100_000 if QUICK else 1_000_000
ROUNDS = 5  # Alternating; the best of each counts, so a round slowed by the machine does not.
SAMPLE = ROOT / "tests" / "data" / "torchelastic-examples.jsonl"


def varied_lines(count: int, seed: int = 5) -> list[bytes]:
    """``count`` log lines made from the samples: real shapes, varied values, some other lines."""
    rng = random.Random(seed)
    samples = [json.loads(line) for line in SAMPLE.read_text().splitlines()]
    distinct = []
    for index in range(2000):
        event = json.loads(json.dumps(rng.choice(samples)))
        node, rank = rng.randrange(256), rng.randrange(2048)
        host = f"gpu-node-{node}.cluster.internal"
        run_id = f"job-{rng.randrange(16):x}"
        if "metadata" in event:
            meta = event["metadata"]
            meta.update(hostname=host, run_id=run_id, total_run_time=rng.randrange(10**5))
            if meta.get("global_rank") is not None:
                meta["global_rank"] = rank
            if meta.get("duration_ms") is not None:
                meta["duration_ms"] = rng.random() * 5000
        else:
            event.update(hostname=host, run_id=run_id, pid=rng.randrange(1 << 22), rank=node)
            event["message"] = event["message"].replace("gpu-node-0.cluster.internal", host)
        distinct.append(json.dumps(event).encode() + b"\n")
        if index % 50 == 0:  # Other loggers write to the same file now and then.
            distinct.append(f"[I {index}] torch.distributed: checkpoint saved\n".encode())
    return [distinct[index % len(distinct)] for index in range(count)]


def best_seconds(contenders: dict[str, Callable[[], object]]) -> dict[str, float]:
    best = dict.fromkeys(contenders, float("inf"))
    for _ in range(ROUNDS):
        for name, call in contenders.items():
            start = time.perf_counter()
            call()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def json_loop_binary(path: Path) -> None:
    loads = json.loads
    with open(path, "rb") as lines:
        for line in lines:
            if b"{" in line:
                loads(line)


def json_loop_text(path: Path) -> None:
    loads = json.loads
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if "{" in line:
                loads(line)


def validate(path: Path, *options: str) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        status = main(["validate", *options, str(path)])
    assert status == 0, status


def decompress_only(path: Path) -> None:
    with gzip.open(path, "rb") as stream:
        while stream.read1(1 << 16):
            pass


def read_events(path: Path) -> None:
    with open(path, "rb") as lines:
        for _ in EventLog(lines):
            pass


PEAK = """
import re, resource, sys
from pathlib import Path
from elastic_events._cli import main
status = main(["validate", "-j", "1", sys.argv[1]])  # The reader itself, in one process.
try:  # Linux: the peak of this program; ru_maxrss would count the parent's from before exec.
    peak = int(re.search(r"VmHWM:\\s+(\\d+)", Path("/proc/self/status").read_text()).group(1))
except (OSError, AttributeError):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(peak, status, file=sys.stderr)
"""


def peak_kib(path: Path) -> int:
    result = subprocess.run(
        [sys.executable, "-c", PEAK, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return int(result.stderr.split()[0])


def run() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "events.log")
        small = Path(folder, "small.log")
        lines = varied_lines(LINES)
        path.write_bytes(b"".join(lines))
        packed = Path(folder, "events.log.gz")
        packed.write_bytes(gzip.compress(b"".join(lines), compresslevel=6))
        small.write_bytes(b"".join(lines[: LINES // 100]))
        del lines
        size = path.stat().st_size
        print(f"log: {LINES:,} lines, {size / 1e6:.0f} MB; best of {ROUNDS} alternating rounds")
        times = best_seconds(
            {
                "json.loads loop, binary file": lambda: json_loop_binary(path),
                "json.loads loop, text file": lambda: json_loop_text(path),
                "elastic-events validate -j 1": lambda: validate(path, "-j", "1"),
                "elastic-events validate (every core)": lambda: validate(path),
                "EventLog: build every event (show)": lambda: read_events(path),
                # A compressed log is read by one process: compared with -j 1, like for like.
                "elastic-events validate, gzip log": lambda: validate(packed),
                "gzip decompression alone": lambda: decompress_only(packed),
            }
        )
        base_name = min(list(times)[:2], key=times.__getitem__)
        base = times[base_name]
        print(f"\nvalidate vs a bare json.loads loop  (goal: <= 2x {base_name})")
        for name, seconds in times.items():
            per_line = seconds / LINES * 1e6
            print(f"  {name:<38} {seconds:8.2f} s  {per_line:6.2f} us/line  {seconds / base:6.2f}x")
        single = times["elastic-events validate -j 1"]
        print(f"  ratio validate -j 1 / baseline: {single / base:.2f}")
        plain, packed_time = (
            single,
            times["elastic-events validate, gzip log"],
        )
        decompression = times["gzip decompression alone"]
        print(
            "  compressed log: validate gzip / (validate -j 1 + decompression alone): "
            f"{packed_time / (plain + decompression):.2f}  (goal: <= 1; the extra time is "
            f"{(packed_time - plain) / decompression:.1f}x the decompression)"
        )
        small_peak, big_peak = peak_kib(small), peak_kib(path)
        print(
            f"\npeak memory of validate: {small_peak / 1024:.1f} MiB for {LINES // 100:,} lines, "
            f"{big_peak / 1024:.1f} MiB for {LINES:,} lines ({big_peak / small_peak:.2f}x)"
        )


if __name__ == "__main__":
    try:
        run()
    except Exception as error:  # A benchmark informs; it never fails.
        print(f"bench_cli could not run: {error!r}")
