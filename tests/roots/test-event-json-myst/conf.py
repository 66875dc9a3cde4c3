extensions = ["myst_parser", "sphinxext.event_json"]
exclude_patterns = ["_build"]
