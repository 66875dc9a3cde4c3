"""Private helpers of :mod:`sphinxext.event_json`: plain functions that know nothing of Sphinx.

``content`` turns a directive's text into a real event, ``render`` formats it and the JSON Schema,
``deps`` finds the library files a rendering depends on. The public entry point is
``sphinxext.event_json``; nothing here is a stable API.
"""
