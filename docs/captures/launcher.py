"""Capture the events of a real torchrun job made by ``elastic-events torchrun --events-file``.

Writes ``docs/captures/launcher-restart.log``, which "Using it with torchrun"
(``docs/source/torchrun.md``) renders. The job: one node, two gloo workers on CPU, a c10d
rendezvous on 127.0.0.1, ``--max-restarts=1``; worker rank 1 exits with status 3 in the first
round, so the agent restarts the group and the second round succeeds. Needs torch; run it again
(``python docs/captures/launcher.py``) to refresh the capture after a torch upgrade.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "launcher-restart.log"

# Each round keeps its gloo addresses under its own prefix of the agent's store, so that a worker
# of round 1 never reads the address its failed peer of round 0 left there.
WORKER = """\
import os, sys
from datetime import timedelta
import torch.distributed as dist

rank, size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
restart = int(os.environ["TORCHELASTIC_RESTART_COUNT"])
hosts_store = os.environ["TORCHELASTIC_USE_AGENT_STORE"] != "True" and rank == 0
store = dist.TCPStore(os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"]), size,
                      is_master=hosts_store, timeout=timedelta(seconds=60))
dist.init_process_group("gloo", store=dist.PrefixStore(f"round-{restart}", store),
                        rank=rank, world_size=size)
dist.barrier()
dist.destroy_process_group()
if rank == 1 and restart == 0:
    sys.exit(3)
"""


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder, "train.py")
        script.write_text(WORKER)
        events = Path(folder, "events-{run_id}.log")
        command = [
            sys.executable,
            "-m",
            "elastic_events",
            "torchrun",
            f"--events-file={events}",
            "--nnodes=1",
            "--nproc-per-node=2",
            "--rdzv-backend=c10d",
            "--rdzv-endpoint=127.0.0.1:0",
            "--rdzv-id=ft-demo",
            "--max-restarts=1",
            "train.py",
        ]
        env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
        status = subprocess.run(command, cwd=folder, env=env, check=False).returncode
        if status:
            print(f"the job failed with exit status {status}; the capture is unchanged")
            return status
        OUTPUT.write_bytes(Path(folder, "events-ft-demo.log").read_bytes())
    print(f"wrote {OUTPUT.relative_to(HERE.parents[1])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
