"""Hypothesis strategies for valid events: every value the wire format can carry."""

from __future__ import annotations

from hypothesis import strategies as st

from elastic_events import Event, EventSource, NodeState, RdzvEvent

# Any unicode, empty strings, and the characters JSON must escape.
text = st.text() | st.sampled_from(["", '"', "\\", "\n", "\x00", "\u2028", "é", "\U0001f680"])
# Python ints are unbounded and JSON numbers too: huge ones must survive the trip.
integers = st.integers() | st.integers(min_value=-(10**80), max_value=10**80)
finite_floats = st.floats(allow_nan=False, allow_infinity=False)
metadata_values = st.none() | st.booleans() | integers | finite_floats | text
metadata = st.dictionaries(text, metadata_values, max_size=16)

events = st.builds(
    Event,
    name=text,
    source=st.sampled_from(EventSource),
    timestamp=integers,
    metadata=metadata,
)

rdzv_events = st.builds(
    RdzvEvent,
    name=text,
    run_id=text,
    message=text,
    hostname=text,
    pid=integers,
    node_state=st.sampled_from(NodeState),
    master_endpoint=text,
    rank=st.none() | integers,
    local_id=st.none() | integers,
    error_trace=text,
)

any_event = events | rdzv_events
