"""PyTorch's own events page, rewritten with the directive (docs/examples/torch_events.rst), built
against the installed torch: its examples are checked through torch's classes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.sphinx_builds import ROOTS, sphinx_build

PAGE = Path(__file__).parents[1] / "docs" / "examples" / "torch_events.rst"


@pytest.mark.torch
def test_pytorchs_events_page_builds_clean_with_checked_examples(tmp_path: Path) -> None:
    api = pytest.importorskip("torch.distributed.elastic.events.api")
    project = tmp_path / "project"
    shutil.copytree(ROOTS / "test-adopt-torch", project)
    shutil.copy(PAGE, project / "index.rst")
    result = sphinx_build("-n", "-W", "-b", "html", project, tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line]
    assert warnings == []
    page = BeautifulSoup((tmp_path / "out" / "index.html").read_text(), "html.parser")
    shown = [json.loads(pre.get_text()) for pre in page.select("div.event-json-class-"
             "torch\\.distributed\\.elastic\\.events\\.api\\.Event pre")]  # fmt: skip
    event = api.Event(
        "torchelastic.worker.status.SUCCEEDED",
        api.EventSource.WORKER,
        metadata={"run_id": "ft-7f3a", "global_rank": 1, "group_rank": 0,
                  "state": "SUCCEEDED", "raw_error": None},
    )  # fmt: skip
    assert shown == [json.loads(event.serialize())]
    rdzv = page.select("div.event-json-RdzvEvent pre")
    assert len(rdzv) == 1
    assert api.RdzvEvent.deserialize(rdzv[0].get_text()).node_state is api.NodeState.RUNNING
    rows = [tr.select_one("td").get_text() for tr in page.select("table.event-schema tbody tr")]
    assert rows == ["name", "source", "timestamp", "metadata"]
