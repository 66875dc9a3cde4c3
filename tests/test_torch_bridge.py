"""elastic_events.torch: what it patches in torch, what it puts back, and what it refuses."""

from __future__ import annotations

import importlib
import importlib.util
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import elastic_events

pytestmark = [
    pytest.mark.torch,
    pytest.mark.skipif(
        importlib.util.find_spec("torch") is None, reason="PyTorch is not installed"
    ),
]


@pytest.fixture
def bridge() -> Iterator[object]:
    from elastic_events import torch as bridge

    yield bridge
    bridge.uninstall()


def torch_objects(bridge: object) -> dict[tuple[str, str], object]:
    return {
        (module, name): getattr(importlib.import_module(module), name)
        for module, name, _ in bridge.HOOKS  # type: ignore[attr-defined]
    }


def ours(bridge: object) -> dict[tuple[str, str], object]:
    return {
        (module, name): getattr(elastic_events, replacement) if replacement else elastic_events
        for module, name, replacement in bridge.HOOKS  # type: ignore[attr-defined]
    }


def same_objects(
    found: dict[tuple[str, str], object], expected: dict[tuple[str, str], object]
) -> bool:
    return found.keys() == expected.keys() and all(found[k] is expected[k] for k in found)


def test_install_points_every_hook_at_elastic_events(bridge: object) -> None:
    before = torch_objects(bridge)
    bridge.install()  # type: ignore[attr-defined]
    assert same_objects(torch_objects(bridge), ours(bridge))
    assert bridge.is_installed()  # type: ignore[attr-defined]
    bridge.uninstall()  # type: ignore[attr-defined]
    assert same_objects(torch_objects(bridge), before)
    assert not bridge.is_installed()  # type: ignore[attr-defined]


def test_a_second_install_changes_nothing_and_one_uninstall_restores(bridge: object) -> None:
    before = torch_objects(bridge)
    bridge.install()  # type: ignore[attr-defined]
    bridge.install()  # type: ignore[attr-defined]
    assert same_objects(torch_objects(bridge), ours(bridge))
    bridge.uninstall()  # type: ignore[attr-defined]
    assert same_objects(torch_objects(bridge), before)
    bridge.uninstall()  # type: ignore[attr-defined]
    assert same_objects(torch_objects(bridge), before)


def test_the_hooks_are_what_torchs_modules_imported(bridge: object) -> None:
    events = importlib.import_module("torch.distributed.elastic.events")
    for (module, name), found in torch_objects(bridge).items():
        replacement = dict(((m, n), r) for m, n, r in bridge.HOOKS)[(module, name)]  # type: ignore[attr-defined]
        assert found is (getattr(events, replacement) if replacement else events), (module, name)


def test_the_context_manager_installs_for_its_block(bridge: object) -> None:
    before = torch_objects(bridge)
    with bridge.installed():  # type: ignore[attr-defined]
        assert same_objects(torch_objects(bridge), ours(bridge))
        with bridge.installed():  # type: ignore[attr-defined]
            pass
        assert same_objects(torch_objects(bridge), ours(bridge))  # the inner block left it in
    assert same_objects(torch_objects(bridge), before)


def test_the_context_manager_leaves_an_earlier_install_in(bridge: object) -> None:
    bridge.install()  # type: ignore[attr-defined]
    with bridge.installed():  # type: ignore[attr-defined]
        pass
    assert bridge.is_installed()  # type: ignore[attr-defined]


def test_the_agent_records_through_our_destinations(bridge: object) -> None:
    from torch.distributed.elastic.agent.server import api as agent

    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    elastic_events.register_handler("collect", Collect())
    with bridge.installed():  # type: ignore[attr-defined]
        event = agent.Event("torchelastic.worker.status.START", source=agent.EventSource.WORKER)
        agent.record(event, "collect")
    assert isinstance(event, elastic_events.Event)
    assert lines == [event.serialize()]


def test_destinations_registered_in_torch_are_carried_over(bridge: object) -> None:
    from torch.distributed.elastic.events import handlers

    mine, rendezvous = logging.NullHandler(), logging.StreamHandler()
    ours_before = elastic_events.get_logging_handler("dynamic_rendezvous")
    console = elastic_events.get_logging_handler("console")
    saved = dict(handlers._log_handlers)
    handlers._log_handlers["mine"] = mine
    handlers._log_handlers["dynamic_rendezvous"] = rendezvous
    try:
        with bridge.installed():  # type: ignore[attr-defined]
            assert elastic_events.get_logging_handler("mine") is mine
            assert elastic_events.get_logging_handler("dynamic_rendezvous") is rendezvous
            assert elastic_events.get_logging_handler("console") is console  # torch's default
        assert "mine" not in elastic_events.destinations()
        assert elastic_events.get_logging_handler("dynamic_rendezvous") is ours_before
    finally:
        handlers._log_handlers.clear()
        handlers._log_handlers.update(saved)


def test_a_torch_destination_changed_here_after_install_stays(bridge: object) -> None:
    from torch.distributed.elastic.events import handlers

    theirs, later = logging.NullHandler(), logging.NullHandler()
    handlers._log_handlers["mine"] = theirs
    try:
        with bridge.installed():  # type: ignore[attr-defined]
            elastic_events.register_handler("mine", later)
        assert elastic_events.get_logging_handler("mine") is later
    finally:
        del handlers._log_handlers["mine"]


def test_a_torch_destination_that_cannot_be_ours_is_a_warning(bridge: object) -> None:
    from torch.distributed.elastic.events import handlers

    handlers._log_handlers["my.handler"] = logging.NullHandler()
    try:
        with pytest.warns(RuntimeWarning, match=r"torch's event destination 'my.handler' is not"):
            bridge.install()  # type: ignore[attr-defined]
        assert bridge.is_installed()  # type: ignore[attr-defined]
    finally:
        del handlers._log_handlers["my.handler"]


def test_an_unknown_torch_version_is_refused(
    bridge: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    before = torch_objects(bridge)
    monkeypatch.setattr(torch, "__version__", "2.99.0+cpu")
    with pytest.raises(bridge.UnsupportedTorchError) as caught:  # type: ignore[attr-defined]
        bridge.install()  # type: ignore[attr-defined]
    assert str(caught.value) == (
        "elastic_events.torch does not know the recording hooks of torch 2.99.0+cpu; "
        "it supports torch 2.13"
    )
    assert (caught.value.version, caught.value.supported) == ("2.99.0+cpu", ("2.13",))
    assert isinstance(caught.value, RuntimeError)
    assert same_objects(torch_objects(bridge), before)


def test_a_hook_that_is_not_torchs_is_refused(
    bridge: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from torch.distributed.launcher import api as launcher

    monkeypatch.setattr(launcher, "events", object())
    before = torch_objects(bridge)
    with pytest.raises(
        bridge.UnsupportedTorchError,
        match=r"^torch.distributed.launcher.api.events is not torch.distributed.elastic.events "
        r"in torch 2.13",
    ):  # type: ignore[attr-defined]
        bridge.install()  # type: ignore[attr-defined]
    assert same_objects(torch_objects(bridge), before)


def test_the_supported_versions_include_the_installed_one(bridge: object) -> None:
    assert bridge.torch_version() in bridge.SUPPORTED_TORCH_VERSIONS  # type: ignore[attr-defined]


def test_without_torch_the_import_says_which_versions() -> None:
    code = "import sys; sys.modules['torch'] = None; import elastic_events.torch"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "ModuleNotFoundError: elastic_events.torch needs PyTorch, which is not installed; it "
        "supports torch 2.13 (python -m pip install 'torch==2.13.*')"
    )


def test_importing_the_package_and_its_command_never_imports_torch() -> None:
    code = (
        "import sys, elastic_events, elastic_events._cli, elastic_events._launcher, "
        "elastic_events._plugins; elastic_events._cli.build_parser(); "
        "elastic_events.destinations(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'opentelemetry')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout == "[]\n"


# The list of hooks comes from a real job: a profiler notes every global that a function of
# torch reads during the run and that is bound to an object of torch.distributed.elastic.events.
DISCOVER = """\
import json, sys, threading, warnings
warnings.simplefilter("ignore")
import torch.distributed.elastic.events as events
from torch.distributed import run

wanted = {id(events): ""}  # the module itself, read as events.record(...)
for name in ("Event", "EventSource", "NodeState", "RdzvEvent", "record", "record_rdzv_event",
             "construct_and_record_rdzv_event", "get_logging_handler", "_get_or_create_logger"):
    wanted[id(getattr(events, name))] = name
seen = set()

def profile(frame, what, arg):
    if what != "call":
        return
    module = frame.f_globals.get("__name__", "")
    if not module.startswith("torch.") or module.startswith("torch.distributed.elastic.events"):
        return
    for name in frame.f_code.co_names:
        value = frame.f_globals.get(name)
        if value is not None and id(value) in wanted:
            seen.add((module, name, wanted[id(value)]))

threading.setprofile(profile)
sys.setprofile(profile)
try:
    run.main(sys.argv[2:])
finally:
    sys.setprofile(None)
    threading.setprofile(None)
    with open(sys.argv[1], "w") as out:
        json.dump(sorted(seen), out)
"""


def test_a_real_job_reads_no_recording_name_that_is_not_patched(
    bridge: object, tmp_path: Path
) -> None:
    script = tmp_path / "worker.py"
    script.write_text("import time\ntime.sleep(0.5)\n")
    found = tmp_path / "found.json"
    argv = [
        "--nnodes=1",
        "--nproc-per-node=1",
        "--rdzv-backend=c10d",
        "--rdzv-endpoint=127.0.0.1:0",
        "--rdzv-id=discover",
        "--monitor-interval=0.05",
        str(script),
    ]
    # The file-timer watchdog records too (local_elastic_agent.py:384-387): have it on.
    env = {**os.environ, "TORCHELASTIC_ENABLE_FILE_TIMER": "1", "PYTHONWARNINGS": "ignore"}
    subprocess.run(
        [sys.executable, "-c", DISCOVER, str(found), *argv],
        env=env,
        capture_output=True,
        timeout=240,
        check=True,
    )
    seen = {tuple(item) for item in json.loads(found.read_text())}
    assert seen == {tuple(hook) for hook in bridge.HOOKS}  # type: ignore[attr-defined]


def test_the_docs_name_the_hooks_by_line(bridge: object) -> None:
    """Each hook's comment cites torch's source: the cited lines read that name."""
    source = Path(bridge.__file__).read_text()  # type: ignore[attr-defined]
    import torch

    root = Path(torch.__file__).parent / "distributed"
    checks = {
        "elastic/agent/server/api.py": {26: "Event, EventSource, record", 864: "Event("},
        "elastic/agent/server/local_elastic_agent.py": {24: "import events", 387: "events.record"},
        "launcher/api.py": {19: "import events", 376: "events.record"},
        "elastic/rendezvous/dynamic_rendezvous.py": {25: "construct_and_record_rdzv_event"},
        "elastic/rendezvous/c10d_rendezvous_backend.py": {17: "construct_and_record_rdzv_event"},
    }
    for path, lines in checks.items():
        assert path in source
        text = (root / path).read_text().splitlines()
        for number, expected in lines.items():
            assert expected in text[number - 1], (path, number)
