"""Capture what torch records in real torchrun jobs; write one log per scenario.

Usage::

    python docs/captures/capture.py [OUT_DIR] [SCENARIO ...]

``OUT_DIR`` is ``docs/captures`` by default; with no scenario named, all of them run. Each job is
``torchrun --nproc-per-node=2 --rdzv-backend=c10d --rdzv-endpoint=127.0.0.1:<free port>`` with
PyTorch's installed build, two gloo workers, and the worker below (this file, run with
``worker``). The scenarios are in :data:`SCENARIOS`.

What is captured is what torch itself records: the driver (this file, run with ``driver``) puts a
file-writing :class:`logging.Handler` into torch's registry of event handlers for the agent's
destination (``--event-log-handler capture``) and for ``"dynamic_rendezvous"``, then runs
``torch.distributed.run.main`` in its own process. Each worker puts the same handler into its own
copy of the registry, so anything torch records in a worker lands in the log too. Every line is
``<UTC time, ISO 8601 with milliseconds and Z> <the event's JSON>``, as torch's logger hands it
to the handler, written with one ``os.write`` to a file opened with ``O_APPEND`` (the agent and
the workers share it).

How the events are recorded is one function, :func:`record_job`; a later change can switch it
to ``elastic-events torchrun --events-file``. The torch version of the captures goes to
``TORCH_VERSION`` next to them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUN_ID = "capture"
DESTINATION = "capture"  # the agent's destination: torchrun --event-log-handler capture
JOB_TIMEOUT = 180.0  # seconds; a job takes 5 to 30 (on a busy machine); longer is a hang


@dataclasses.dataclass(frozen=True)
class Scenario:
    """One torchrun job: what its workers do, and how torchrun is run."""

    name: str
    description: str
    max_restarts: int = 0
    file_timer: bool = False  # TORCHELASTIC_ENABLE_FILE_TIMER=1: the agent's watchdog
    #: How the driver ends: 0, or -SIGKILL when the watchdog kills the agent.
    driver_exit: int = 0


SCENARIOS = {
    s.name: s
    for s in [
        Scenario("clean", "two workers do an all-reduce and exit 0"),
        Scenario(
            "restart",
            "worker 1 raises in the first round; torchrun --max-restarts=1 restarts both "
            "workers, and the second round succeeds",
            max_restarts=1,
        ),
        Scenario(
            "fail",
            "worker 1 raises (its main is wrapped in torch's @record, so it writes an error "
            "file); no restart is left, so the job fails",
            driver_exit=1,
        ),
        Scenario(
            "timer",
            "the agent's file-timer watchdog is on (TORCHELASTIC_ENABLE_FILE_TIMER=1); each "
            "worker runs its all-reduce inside torch.distributed.elastic.timer.expires(after=30) "
            "through a FileTimerClient, and the timers are released in time",
            file_timer=True,
        ),
        Scenario(
            "timer-expires",
            "as timer, but worker 1 then holds a timer of 1 second for 20 seconds: the "
            "watchdog kills the worker, then the agent itself, with SIGKILL",
            file_timer=True,
            driver_exit=-signal.SIGKILL,
        ),
    ]
}


# --- what runs inside the jobs ------------------------------------------------------------------


class TimedLineHandler(logging.Handler):
    """Append ``<UTC time> <message>`` lines to a file, one ``os.write`` per line.

    The message is torch's JSON line as it is, except that the folders of this machine that
    tracebacks name (Python's library, the site-packages folder, the repository) are left out,
    so that a traceback names ``torch/distributed/...`` and ``docs/captures/capture.py``.
    """

    def __init__(self, path: str) -> None:
        super().__init__()
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        folders = {sysconfig.get_paths()[key] for key in ("purelib", "platlib", "stdlib")}
        folders.add(str(HERE.parents[1]))
        self.folders = sorted((folder + os.sep for folder in folders), key=len, reverse=True)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            for folder in self.folders:
                message = message.replace(folder, "")
            line = f"{utc_time(record.created)} {message}\n"
            os.write(self.fd, line.encode("utf-8"))
        except Exception:
            self.handleError(record)


def utc_time(seconds: float) -> str:
    """``2026-12-01T18:40:00.123Z``: the UTC time, to the millisecond."""
    whole = int(seconds)
    millis = int((seconds - whole) * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{millis:03d}Z"


def install_handler(log: str) -> None:
    """Give torch's event registry our handler, for the agent's and the rendezvous' events.

    torch looks the handler up by destination in the module-level dict ``_log_handlers`` of
    ``torch/distributed/elastic/events/handlers.py`` (line 12, read by ``get_logging_handler``
    at line 19), once per destination, when ``_get_or_create_logger`` of
    ``torch/distributed/elastic/events/__init__.py`` (lines 40-66) first creates that
    destination's logger; so the dict is filled before anything is recorded.
    ``construct_and_record_rdzv_event`` builds no event at all while ``"dynamic_rendezvous"``
    has a NullHandler (``__init__.py`` line 123).
    """
    from torch.distributed.elastic.events import handlers

    handler = TimedLineHandler(log)
    handlers._log_handlers[DESTINATION] = handler
    handlers._log_handlers["dynamic_rendezvous"] = handler


def torchrun_argv(scenario: Scenario, port: int) -> list[str]:
    """The arguments of torchrun for *scenario*; the training script is this file's worker."""
    return [
        "--nnodes=1",
        "--nproc-per-node=2",
        "--rdzv-backend=c10d",
        f"--rdzv-endpoint=127.0.0.1:{port}",
        f"--rdzv-id={RUN_ID}",
        # A heartbeat a second (the default is 5), so that even these short jobs send some.
        "--rdzv-conf=keep_alive_interval=1",
        f"--max-restarts={scenario.max_restarts}",
        "--monitor-interval=0.2",
        f"--event-log-handler={DESTINATION}",
        str(Path(__file__).resolve()),
        "worker",
        scenario.name,
    ]


def driver(log: str, scenario_name: str, port: int) -> int:
    """Run torchrun in this process, with torch's registry writing to *log*."""
    scenario = SCENARIOS[scenario_name]
    if scenario.file_timer:
        os.environ["TORCHELASTIC_ENABLE_FILE_TIMER"] = "1"
    os.environ["CAPTURE_LOG"] = log
    install_handler(log)
    from torch.distributed.run import main

    main(torchrun_argv(scenario, port))
    return 0


def worker(scenario_name: str) -> int:
    """The training script, its main wrapped in torch's ``@record`` as torch's docs advise."""
    install_handler(os.environ["CAPTURE_LOG"])
    from torch.distributed.elastic.multiprocessing.errors import record

    record(_work)(scenario_name)
    return 0


def _work(scenario_name: str) -> None:
    """Gloo, one all-reduce, and what the scenario adds."""
    pids = os.environ.get("CAPTURE_PIDS")
    if pids:
        Path(pids, str(os.getpid())).touch()
    import torch
    import torch.distributed as dist
    from torch.distributed.elastic import timer

    rank = int(os.environ["RANK"])
    restart = int(os.environ["TORCHELASTIC_RESTART_COUNT"])
    if scenario_name in {"restart", "fail"} and rank == 1 and restart == 0:
        raise RuntimeError(f"worker 1 fails in round {restart}, as the scenario asks")
    # The agent's TCP store outlives a restart (the rendezvous shares it with the workers), and
    # gloo's keys of the first round are still in it: a group re-created under the same keys
    # read the dead peer's address and timed out (torch 2.13). A prefix per round avoids that.
    store = dist.PrefixStore(
        f"capture/round-{restart}",
        dist.TCPStore(os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"]), is_master=False),
    )
    dist.init_process_group(
        "gloo", store=store, rank=rank, world_size=int(os.environ["WORLD_SIZE"])
    )
    if scenario_name.startswith("timer"):
        timer.configure(timer.FileTimerClient(os.environ["TORCHELASTIC_TIMER_FILE"]))
        with timer.expires(after=30, scope="all_reduce"):
            dist.all_reduce(torch.ones(1))
    else:
        dist.all_reduce(torch.ones(1))
    dist.destroy_process_group()
    if scenario_name == "timer-expires" and rank == 1:
        with timer.expires(after=1, scope="stuck"):
            time.sleep(20)


# --- recording a job ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def record_job(scenario: Scenario, log: Path) -> None:
    """Run *scenario*'s torchrun job and write what torch records to *log*.

    The one place that decides how events are recorded: here, torch's own module in a driver
    process (:func:`driver`).
    """
    log.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="capture-pids-") as pids:
        env = {**os.environ, "CAPTURE_PIDS": pids, "LOGLEVEL": "INFO"}
        command = [sys.executable, str(Path(__file__).resolve()), "driver", str(log)]
        command += [scenario.name, str(free_port())]
        try:
            done = subprocess.run(
                command,
                env=env,
                capture_output=True,
                text=True,
                timeout=JOB_TIMEOUT,
                check=False,
                start_new_session=True,
            )
        except subprocess.TimeoutExpired as hung:
            output = f"{_text(hung.stdout)}{_text(hung.stderr)}"
            msg = f"scenario {scenario.name!r}: no end after {JOB_TIMEOUT:.0f} s; output:\n{output}"
            raise RuntimeError(msg) from None
        finally:
            _kill_leftovers(Path(pids))
    if done.returncode != scenario.driver_exit:
        msg = (
            f"scenario {scenario.name!r}: the driver exited with {done.returncode}, expected "
            f"{scenario.driver_exit}; its output:\n{done.stdout}{done.stderr}"
        )
        raise RuntimeError(msg)


def _text(output: str | bytes | None) -> str:
    return output.decode(errors="replace") if isinstance(output, bytes) else output or ""


def _kill_leftovers(pids: Path) -> None:
    """Workers live in sessions of their own; kill any that outlived their agent."""
    for entry in pids.iterdir():
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(entry.name), signal.SIGKILL)


def torch_version() -> str:
    from importlib.metadata import version

    return version("torch")


def capture(out_dir: Path, names: list[str]) -> list[Path]:
    """Record each named scenario to ``OUT_DIR/<name>.log``; write ``OUT_DIR/TORCH_VERSION``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names:
        log = out_dir / f"{name}.log"
        record_job(SCENARIOS[name], log)
        written.append(log)
    (out_dir / "TORCH_VERSION").write_text(torch_version() + "\n", encoding="utf-8")
    return written


def main(argv: list[str]) -> int:
    if argv[:1] == ["driver"]:
        return driver(argv[1], argv[2], int(argv[3]))
    if argv[:1] == ["worker"]:
        return worker(argv[1])
    out_dir = Path(argv[0]) if argv else HERE
    names = argv[1:] or list(SCENARIOS)
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown:
        print(f"unknown scenario {unknown[0]!r}; known: {', '.join(SCENARIOS)}", file=sys.stderr)
        return 2
    for log in capture(out_dir, names):
        print(f"wrote {log}: {log.read_text(encoding='utf-8').count(chr(10))} events")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
