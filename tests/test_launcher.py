"""``elastic-events torchrun``: real torchrun jobs, recorded by us and by torch side by side."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from elastic_events import Event, EventLog, EventSource, RdzvEvent

needs_torch = [
    pytest.mark.torch,
    pytest.mark.skipif(
        importlib.util.find_spec("torch") is None, reason="PyTorch is not installed"
    ),
]
pytestmark = needs_torch

TIMEOUT = 600  # seconds for one job: about 10 on an idle machine, far more on a loaded one
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}

# Two gloo workers that meet at a barrier; FAIL_RANK exits with 3 in the first FAIL_ROUNDS rounds.
# Each round keeps its gloo addresses under its own prefix of the agent's store: without it, a
# worker of round 1 may read the address its failed peer of round 0 left there, and time out.
WORKER = """\
import os, sys
from datetime import timedelta
import torch.distributed as dist

rank, size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
restart = int(os.environ["TORCHELASTIC_RESTART_COUNT"])
hosts_store = os.environ["TORCHELASTIC_USE_AGENT_STORE"] != "True" and rank == 0
store = dist.TCPStore(os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"]), size,
                      is_master=hosts_store, timeout=timedelta(seconds=60))
store = dist.PrefixStore(f"round-{restart}", store)
dist.init_process_group("gloo", store=store, rank=rank, world_size=size)
dist.barrier()
dist.destroy_process_group()
failing = rank == int(os.environ.get("FAIL_RANK", "-1"))
if failing and restart < int(os.environ.get("FAIL_ROUNDS", "99")):
    sys.exit(3)
"""

# The same job through torchrun with torch's own module recording to a file (its private handler
# dict is the only way to plug a destination into it).
TORCHS_OWN = """\
import logging, sys, warnings
warnings.simplefilter("ignore")
from torch.distributed.elastic.events import handlers
from torch.distributed import run

handler = logging.FileHandler(sys.argv[1])
handlers._log_handlers["reference"] = handlers._log_handlers["dynamic_rendezvous"] = handler
run.main(["--event-log-handler=reference", *sys.argv[2:]])
"""

SCENARIOS = {
    "clean": ({}, []),
    "one_worker_fails": ({"FAIL_RANK": "1"}, []),
    "restart": ({"FAIL_RANK": "1", "FAIL_ROUNDS": "1"}, ["--max-restarts=1"]),
}


def torchrun_args(run_id: str, script: Path, *extra: str) -> list[str]:
    return [
        "--nnodes=1",
        "--nproc-per-node=2",
        "--rdzv-backend=c10d",
        "--rdzv-endpoint=127.0.0.1:0",
        f"--rdzv-id={run_id}",
        "--monitor-interval=0.05",
        *extra,
        str(script),
    ]


def elastic_events_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "elastic_events", "torchrun", *args]


@pytest.fixture(scope="module")
def jobs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Job]:
    """Every scenario run twice at once: through us, and through torch's own module."""
    folder = tmp_path_factory.mktemp("jobs")
    script = folder / "worker.py"
    script.write_text(WORKER)
    running: dict[str, Job] = {}
    with contextlib.ExitStack() as stack:
        for name, (env, extra) in SCENARIOS.items():
            ours = folder / f"{name}-ours-{{run_id}}.log"
            command = elastic_events_command(
                f"--events-file={ours}", *torchrun_args(f"{name}-ours", script, *extra)
            )
            theirs = folder / f"{name}-torch.log"
            reference = [sys.executable, "-c", TORCHS_OWN, str(theirs)]
            reference += torchrun_args(f"{name}-torch", script, *extra)
            job = running[name] = Job(folder / f"{name}-ours-{name}-ours.log", theirs)
            for side, argv in (("ours", command), ("torch", reference)):
                # Output to files, not pipes: workers inherit them and may hold them open.
                out = stack.enter_context((folder / f"{name}-{side}.out").open("w"))
                err = folder / f"{name}-{side}.err"
                process = subprocess.Popen(
                    argv,
                    env={**ENV, **env},
                    cwd=folder,
                    stdout=out,
                    stderr=stack.enter_context(err.open("w")),
                )
                stack.callback(_reap, process)
                job.processes.append((process, err))
        for job in running.values():
            for process, err in job.processes:
                process.wait(timeout=TIMEOUT)
                job.outcomes.append((process.returncode, err.read_text()))
    return running


def _reap(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()


@dataclasses.dataclass
class Job:
    ours: Path
    theirs: Path
    processes: list[tuple[subprocess.Popen[bytes], Path]] = dataclasses.field(default_factory=list)
    outcomes: list[tuple[int, str]] = dataclasses.field(default_factory=list)


def events(path: Path) -> list[Event | RdzvEvent]:
    with path.open("rb") as lines:
        log = EventLog(lines)
        found = [line.event for line in log if line.event is not None]
        assert not list(log.problems()), path
    return found


def without_heartbeats(found: list[Event | RdzvEvent]) -> list[Event | RdzvEvent]:
    """Drop keep-alive heartbeats (as many as time allows) and the sync each one makes."""
    kept: list[Event | RdzvEvent] = []
    previous = ""
    for event in found:
        name = event.name
        if name.endswith("._keep_alive"):
            previous = name
            continue
        if previous.endswith("OpExecutor._keep_alive") and "successfully synced" in str(
            getattr(event, "message", "")
        ):
            previous = name
            continue
        previous = name
        kept.append(event)
    return kept


def key(event: Event | RdzvEvent) -> tuple[object, ...]:
    """What must be equal: name, source, state and ranks (not pids, times or hostnames)."""
    if isinstance(event, Event):
        metadata = event.metadata
        inner = json.loads(str(metadata.get("metadata") or "{}"))
        local_rank = tuple(inner.get("local_rank") or ())  # a one-element list, on worker events
        ranks = (metadata.get("global_rank"), metadata.get("group_rank"), local_rank)
        state = metadata.get("state")
        if event.source is EventSource.WORKER and state in ("FAILED", "TERMINATED"):
            # Whether the peer of a failed worker ends FAILED (it failed on its own first) or
            # TERMINATED (its agent stopped it first) is a race of the job, not of the recorder
            # (torch/distributed/elastic/agent/server/api.py:795-804, _get_worker_state).
            state = "FAILED or TERMINATED"
        return ("Event", event.name.rpartition(".")[0], event.source.name, state, ranks)
    return ("RdzvEvent", event.name, event.node_state.name, event.rank)


# A sync of the rendezvous state is recorded on each turn of the op executor's loop that wrote
# or read a change (torch/distributed/elastic/rendezvous/dynamic_rendezvous.py:645-663); how many
# turns write depends on when the keep-alive thread last wrote, so their number is a race.
SYNC = "_DistributedRendezvousOpExecutor.run"


def counted(found: list[Event | RdzvEvent]) -> Counter[tuple[object, ...]]:
    """How often each key occurs, with the syncs counted as present or absent."""
    counts = Counter(map(key, found))
    for each in counts:
        if isinstance(each[1], str) and each[1].endswith(SYNC):
            counts[each] = 1
    return counts


@pytest.mark.parametrize(
    ("scenario", "status"), [("clean", 0), ("one_worker_fails", 1), ("restart", 0)]
)
def test_our_file_holds_what_torchs_own_module_records(
    jobs: dict[str, Job], scenario: str, status: int
) -> None:
    job = jobs[scenario]
    (ours_status, ours_err), (theirs_status, theirs_err) = job.outcomes
    assert (ours_status, theirs_status) == (status, status), (ours_err[-3000:], theirs_err[-3000:])
    ours = without_heartbeats(events(job.ours))
    theirs = without_heartbeats(events(job.theirs))
    assert counted(ours) == counted(theirs)
    # The agent's own events come from one thread: the same sequence.
    assert [key(e) for e in ours if isinstance(e, Event)] == [
        key(e) for e in theirs if isinstance(e, Event)
    ]
    assert {e.metadata["run_id"] for e in ours if isinstance(e, Event)} == {f"{scenario}-ours"}


def test_a_failing_worker_is_recorded_and_reported(jobs: dict[str, Job]) -> None:
    (_, err), _ = jobs["one_worker_fails"].outcomes
    assert "ChildFailedError" in err
    assert "Traceback" not in err
    ours = events(jobs["one_worker_fails"].ours)
    states = [
        (e.metadata["state"], e.metadata["global_rank"]) for e in ours if isinstance(e, Event)
    ]
    assert ("FAILED", 1) in states
    assert ("SUCCEEDED", None) in states  # the agent's run() returned, as torch records it


def test_the_second_round_is_recorded(jobs: dict[str, Job]) -> None:
    ours = events(jobs["restart"].ours)
    rounds = [
        e.message for e in ours if isinstance(e, RdzvEvent) and "has joined round" in e.message
    ]
    assert len(rounds) == 2
    assert "round 1 " in rounds[1]
    restarts = [
        e.metadata["agent_restarts"]
        for e in ours
        if isinstance(e, Event) and e.metadata["state"] == "START"
    ]
    assert restarts == [0, 0, 1, 1]


def test_the_file_validates_and_draws(jobs: dict[str, Job], tmp_path: Path) -> None:
    from elastic_events._cli import main

    path = str(jobs["restart"].ours)
    assert main(["validate", path]) == 0
    assert main(["timeline", path, "-o", str(tmp_path / "run.svg")]) == 0
    assert (tmp_path / "run.svg").read_text().startswith("<svg")


# Bad inputs: each a clear message and exit status 2, before any job starts.


def run_ours(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        elastic_events_command(*args), capture_output=True, text=True, env=ENV, cwd=cwd, timeout=120
    )


def test_an_unknown_field_is_refused_before_the_job(tmp_path: Path) -> None:
    result = run_ours("--events-file", "{host}.log", "--nproc-per-node=2", "x.py", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "elastic-events torchrun: error: unknown field {host} in --events-file '{host}.log'; "
        "the fields are {hostname}, {pid}, {run_id} (write {{ and }} for braces)\n"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("pattern", ["{0}.log", "{}.log", "{pid.real}.log", "{pid[0]}.log"])
def test_positional_and_attribute_fields_are_unknown(tmp_path: Path, pattern: str) -> None:
    result = run_ours("--events-file", pattern, "x.py", cwd=tmp_path)
    assert result.returncode == 2
    assert "unknown field" in result.stderr


def test_an_unbalanced_brace_is_refused(tmp_path: Path) -> None:
    result = run_ours("--events-file", "run-{pid.log", "x.py", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(
        "elastic-events torchrun: error: bad --events-file pattern 'run-{pid.log': "
    )


def test_an_unwritable_file_is_refused_before_the_job(tmp_path: Path) -> None:
    script = tmp_path / "never.py"
    script.write_text("open('ran', 'w')\n")
    missing = tmp_path / "no-such-folder" / "{run_id}.log"
    result = run_ours("--events-file", str(missing), *torchrun_args("bad", script), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        f"elastic-events torchrun: error: cannot open the events file "
        f"'{tmp_path}/no-such-folder/bad.log': No such file or directory\n"
    )
    assert not (tmp_path / "ran").exists()


def test_events_file_and_event_log_handler_conflict(tmp_path: Path) -> None:
    result = run_ours("--events-file=e.log", "--event-log-handler=console", "x.py", cwd=tmp_path)
    assert result.returncode == 2
    assert "give one of them" in result.stderr
    assert not (tmp_path / "e.log").exists()


def test_torchruns_usage_errors_keep_its_status(tmp_path: Path) -> None:
    result = run_ours("--events-file=e.log", "--no-such-option", cwd=tmp_path)
    assert result.returncode == 2
    assert "elastic-events torchrun: error:" in result.stderr


def test_help_shows_ours_then_torchruns(tmp_path: Path) -> None:
    result = run_ours("--help", cwd=tmp_path)
    assert result.returncode == 0
    ours = result.stdout.index("--events-file PATTERN")
    theirs = result.stdout.index("--nproc-per-node")
    assert ours < result.stdout.index("torchrun's options:") < theirs


def test_without_torch_the_command_says_so(tmp_path: Path) -> None:
    code = textwrap.dedent(
        """
        import sys
        sys.modules["torch"] = None  # as if torch were not installed
        from elastic_events._cli import main
        sys.exit(main(["torchrun", "--events-file=e.log", "x.py"]))
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr == (
        "elastic-events torchrun: error: elastic_events.torch needs PyTorch, which is not "
        "installed; it supports torch 2.13 (python -m pip install 'torch==2.13.*')\n"
    )
