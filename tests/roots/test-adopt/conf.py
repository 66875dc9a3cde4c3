# A third party's project: only the extension, autodoc and napoleon; its events in its own module.
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

extensions = ["sphinxext.event_json", "sphinx.ext.autodoc", "sphinx.ext.napoleon"]
project = "shipyard"
exclude_patterns = ["_build"]
nitpicky = True
event_json_classes = {
    "JobEvent": "shipyard_events.JobEvent",
    "TorchEvent": "torch.distributed.elastic.events.api.Event",
    "Ticket": "shipyard_models.Ticket",
    "Lease": "shipyard_models.Lease",
}
# Sphinx 7.4 shows the [type.subtype] of a warning only when asked (8.0 and newer always do).
show_warning_types = True
