"""The ``elastic-events torchrun`` command: torchrun, in this process, recording through us.

Usage::

    elastic-events torchrun [--events-file PATTERN] TORCHRUN-ARGS...

It runs torch's own launcher (``torch.distributed.run``) with :mod:`elastic_events.torch`
installed, so the agent's ``--event-log-handler`` names one of our destinations (plugins
included) and rendezvous events go to our ``dynamic_rendezvous``. ``--events-file`` sends both
to one file through :class:`~elastic_events.EventFileHandler`; ``PATTERN`` may hold
``{hostname}``, ``{pid}`` and ``{run_id}`` (torchrun's ``--rdzv-id``). Our options come first;
everything after them is torchrun's. The exit status is torchrun's (0, 1 when a worker or the
agent failed, 2 for its usage errors); a bad pattern, an events file that cannot be opened or a
missing torch is exit status 2, before the job starts.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import os
import string
import sys
import traceback

from elastic_events import _destinations
from elastic_events._file_handler import EventFileHandler

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, TextIO

PROG = "elastic-events torchrun"
#: The fields an ``--events-file`` pattern may name.
FIELDS = ("hostname", "pid", "run_id")
#: The destination ``--events-file`` registers and hands to torchrun's ``--event-log-handler``.
DESTINATION = "events_file"
RENDEZVOUS = "dynamic_rendezvous"
_EVENTS_FILE_HELP = (
    "append every agent, worker and rendezvous event of this node to this file, one JSON line "
    "each; {hostname}, {pid} and {run_id} (the --rdzv-id of torchrun) are replaced, so the nodes "
    "of a job can share a folder"
)
TROUBLE = 2


class _UsageError(Exception):
    """A bad argument of ours: reported, exit status 2, and the job does not start."""


def add_command(commands: Any) -> None:
    """Add the ``torchrun`` subcommand to the ``elastic-events`` parser's subparsers."""
    # Every argument is torchrun's but our leading options, which run() reads itself: torchrun's
    # options must reach it untouched (argparse would reject them), so no "-" option here.
    ours = _our_parser()
    parser = commands.add_parser(
        "torchrun",
        help="run torchrun with its events recorded through elastic_events",
        usage=ours.usage,
        description=f"{ours.description} --events-file PATTERN: {_EVENTS_FILE_HELP}.",
        epilog=ours.epilog,
        prefix_chars="+",
        add_help=False,
    )
    parser.add_argument(
        "arguments",
        nargs=argparse.REMAINDER,
        metavar="[--events-file PATTERN] TORCHRUN-ARGS",
        help="our options first, then those of torchrun, which -h shows after ours",
    )
    parser.set_defaults(run=run)


def _our_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        usage=f"{PROG} [--events-file PATTERN] TORCHRUN-ARGS...",
        description="Run torchrun (torch.distributed.run) in this process with its agent, "
        "worker and rendezvous events recorded through elastic_events: --event-log-handler "
        "names one of our destinations (plugins included).",
        epilog="Exit status: that of torchrun; 2 also for a bad pattern, an events file that "
        "cannot be opened, or no torch. The options of torchrun follow.",
        add_help=False,
        allow_abbrev=False,
    )
    parser.add_argument("-h", "--help", action="store_true", help="show this help and torchrun's")
    parser.add_argument(
        "--events-file",
        metavar="PATTERN",
        help=_EVENTS_FILE_HELP,
    )
    return parser


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Run the ``torchrun`` subcommand; return its exit status."""
    try:
        ours, torchrun_argv = _split(args.arguments)
        if ours.help:
            out.write(_our_parser().format_help())
            out.flush()
            return _torchrun_help(out)
        if ours.events_file is not None:
            _check_pattern(ours.events_file)
        bridge, torch_run = _import_torch()
        torch_args = _parse_torchrun(torch_run, torchrun_argv)
        if isinstance(torch_args, int):
            return torch_args
        _settle_rendezvous(torch_run, torch_args)
        with contextlib.ExitStack() as cleanup:
            if ours.events_file is not None:
                _send_to_file(cleanup, ours.events_file, torch_args)
            cleanup.enter_context(bridge.installed())
            return _launch(torch_args)
    except _UsageError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return TROUBLE


def _split(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """Our options from the front of ``argv``; from the first other one on, all is torchrun's."""
    ours: list[str] = []
    rest = list(argv)
    while rest:
        head = rest[0]
        if head in ("-h", "--help"):
            ours.append(rest.pop(0))
        elif head == "--events-file":
            if len(rest) < 2:
                raise _UsageError("--events-file needs a PATTERN")
            ours += [rest.pop(0), rest.pop(0)]
        elif head.startswith("--events-file="):
            ours.append(rest.pop(0))
        else:
            break
    return _our_parser().parse_args(ours), rest


def _check_pattern(pattern: str) -> None:
    try:
        fields = [
            field for _, field, _, _ in string.Formatter().parse(pattern) if field is not None
        ]
    except ValueError as error:
        raise _UsageError(f"bad --events-file pattern {pattern!r}: {error}") from None
    for field in fields:
        if field not in FIELDS:
            raise _UsageError(
                f"unknown field {{{field}}} in --events-file {pattern!r}; the fields are "
                f"{', '.join('{' + name + '}' for name in FIELDS)} (write {{{{ and }}}} for "
                "braces)"
            )
    if not pattern.strip():
        raise _UsageError("--events-file needs a non-empty PATTERN")


def _import_torch() -> tuple[Any, Any]:
    try:
        bridge = importlib.import_module("elastic_events.torch")
        torch_run = importlib.import_module("torch.distributed.run")
    except ModuleNotFoundError as error:
        if error.name != "torch":
            raise
        raise _UsageError(str(error)) from None
    return bridge, torch_run


def _parse_torchrun(torch_run: Any, argv: list[str]) -> argparse.Namespace | int:
    """torchrun's own parsing of its arguments; its usage errors end here with its status."""
    parser = torch_run.get_args_parser()
    parser.prog = PROG
    try:
        parsed: argparse.Namespace = parser.parse_args(argv)
    except SystemExit as exit:
        return exit.code if isinstance(exit.code, int) else TROUBLE
    return parsed


def _torchrun_help(out: TextIO) -> int:
    try:
        _, torch_run = _import_torch()
    except _UsageError as error:
        print(f"\n{error}", file=out)
        return TROUBLE
    parser = torch_run.get_args_parser()
    parser.prog = PROG
    text = io.StringIO()
    parser.print_help(text)
    out.write("\ntorchrun's options:\n\n" + text.getvalue())
    return 0


def _settle_rendezvous(torch_run: Any, args: argparse.Namespace) -> None:
    """Choose the rendezvous now, exactly as torchrun's ``run()`` would, to know the run id.

    torch 2.13's ``run()`` (torch/distributed/run.py:988-1011) draws a random ``--rdzv-id``
    for ``--standalone``, and for a one-node job with no endpoint on the static backend; the
    events file's ``{run_id}`` must be that id, so draw it here and leave ``run()`` nothing to
    choose.
    """
    import uuid

    single_node = False
    if not args.standalone and args.rdzv_backend == "static" and not args.rdzv_endpoint:
        single_node = (
            args.master_port is None and torch_run.parse_min_max_nnodes(args.nnodes)[1] == 1
        )
    if args.standalone or single_node:
        args.rdzv_backend = "c10d"
        args.rdzv_endpoint = "localhost:0"
        args.rdzv_id = str(uuid.uuid4())
        args.standalone = False


def _send_to_file(cleanup: contextlib.ExitStack, pattern: str, args: argparse.Namespace) -> None:
    if args.event_log_handler not in ("null", DESTINATION):
        raise _UsageError(
            f"--events-file and torchrun's --event-log-handler={args.event_log_handler} both "
            "name where agent events go; give one of them"
        )
    import socket

    values = {"hostname": socket.gethostname(), "pid": os.getpid(), "run_id": args.rdzv_id}
    path = pattern.format(**values)
    try:
        handler = _open_events_file(path)
    except OSError as error:
        raise _UsageError(
            f"cannot open the events file {path!r}: {error.strerror or error}"
        ) from None
    cleanup.callback(handler.close)
    previous = _destinations.get_logging_handler(RENDEZVOUS)
    _destinations.register_handler(DESTINATION, handler)
    cleanup.callback(_destinations.unregister_handler, DESTINATION)
    _destinations.register_handler(RENDEZVOUS, handler)
    cleanup.callback(_destinations.register_handler, RENDEZVOUS, previous)
    args.event_log_handler = DESTINATION


def _open_events_file(path: str) -> EventFileHandler:
    """The handler of ``--events-file``: options of :class:`EventFileHandler` are chosen here."""
    return EventFileHandler(path)


def _launch(args: argparse.Namespace) -> int:
    """Launch as torchrun's ``main()`` does (torch/distributed/run.py:1025-1028); its status."""
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError, record
    from torch.distributed.run import run as torch_run

    try:
        record(torch_run)(args)
    except ChildFailedError as error:
        # torchrun dies of it with a traceback (status 1); its message is the useful part.
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        return 1
    except SystemExit as exit:
        return exit.code if isinstance(exit.code, int) else 1
    except Exception:
        traceback.print_exc()
        return 1
    return 0
