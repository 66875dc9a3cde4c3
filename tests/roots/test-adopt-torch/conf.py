# PyTorch's events page, rewritten with the event-json directive (docs/examples/torch_events.rst,
# copied here as index.rst by tests/test_adopt_torch_page.py), built as PyTorch would build it.
extensions = ["sphinxext.event_json", "sphinx.ext.autodoc", "sphinx.ext.napoleon"]
project = "torch events"
exclude_patterns = ["_build"]
nitpicky = True
show_warning_types = True
nitpick_ignore = [
    # get_logging_handler's return type: this offline build has no intersphinx inventory.
    ("py:class", "logging.Handler"),
    # Event's signature ends in "metadata: dict[str, EventMetadataValue] = <factory>", which
    # Sphinx cannot parse as Python and splits at its commas (torch/distributed/elastic/events/
    # api.py, the dataclass field with default_factory=dict).
    ("py:class", "dict[str"),
]
