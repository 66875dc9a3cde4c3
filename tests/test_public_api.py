"""The public face: what is exported, documented, typed, and free of dependencies."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import elastic_events

PACKAGE = Path(elastic_events.__file__).parent


def test_all_is_complete_and_has_no_duplicates() -> None:
    # Its order is ruff's (RUF022, checked by `make lint`): constants, classes, functions.
    assert len(set(elastic_events.__all__)) == len(elastic_events.__all__)
    public = {name for name in vars(elastic_events) if not name.startswith("_")}
    # Nothing else may leak into the namespace; the optional modules appear once imported.
    modules = {"annotations", "otel", "torch"}
    assert public - modules == set(elastic_events.__all__)


def test_public_objects_are_documented_under_their_public_path() -> None:
    for name in elastic_events.__all__:
        obj = getattr(elastic_events, name)
        if name == "EventMetadataValue":
            assert obj == str | int | float | bool | None
            continue
        if not callable(obj):  # Data, such as FAILURE_STATES: documented where it is defined.
            continue
        assert obj.__module__ == "elastic_events", name
        assert (obj.__doc__ or "").strip(), f"{name} has no docstring"


def test_package_is_typed() -> None:
    assert (PACKAGE / "py.typed").is_file()


def test_import_pulls_in_nothing_outside_the_standard_library() -> None:
    code = (
        "import sys; before = set(sys.modules); import elastic_events; "
        "print('\\n'.join(sorted(set(sys.modules) - before)))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    loaded = {name.partition(".")[0] for name in output.stdout.split()}
    assert loaded - sys.stdlib_module_names == {"elastic_events"}
    # Nor what costs milliseconds and only some uses need: typing for type checkers, datetime
    # for logs with times, fnmatch for name filters, torch for the bridge.
    assert not loaded & {"typing", "datetime", "fnmatch", "torch"}


def test_version_is_the_installed_distributions() -> None:
    from importlib.metadata import version

    assert elastic_events.__version__ == version("elastic-events")
