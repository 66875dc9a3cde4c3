extensions = ["sphinxext.event_json"]
exclude_patterns = ["_build"]
