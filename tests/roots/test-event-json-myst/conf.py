extensions = ["myst_parser", "sphinxext.event_json"]
exclude_patterns = ["_build"]
# Sphinx 7.4 shows the [type.subtype] of a warning only when asked (8.0 and newer always do).
show_warning_types = True
